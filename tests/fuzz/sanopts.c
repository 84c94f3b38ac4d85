/* SPDX-License-Identifier: ISC */
/*
 * sanopts.c: the sanitizer runtime's defaults for the programs built with
 * SAN=1 (Makefile, "Sanitizers"), so that they hold whoever runs them:
 * every report is fatal, leaks are checked at exit (LeakSanitizer), and a
 * report exits 86, which is none of pvbuild's exit codes (README), so a
 * test that expects 0, 1, 2 or 3 fails on it. ASAN_OPTIONS and
 * UBSAN_OPTIONS still override these.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=1:exitcode=86:abort_on_error=0:"
	    "detect_stack_use_after_return=1:strict_string_checks=1:"
	    "check_initialization_order=1:detect_invalid_pointer_pairs=0";
}

const char *
__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1:exitcode=86";
}

const char *
__lsan_default_options(void)
{
	return "exitcode=86";
}
