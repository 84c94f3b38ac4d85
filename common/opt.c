/* SPDX-License-Identifier: ISC */
/*
 * opt.c: the option table of opt.h over getopt_long. It prints (help and
 * usage errors), so, like cli.c, it serves mains only.
 */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"
#include "pv.h"

/*
 * getopt_long's view of the table, with --help and --version added. Each
 * long option's `val` is LONG_BASE plus its index, which getopt_long stores
 * through `flag` into `slot` (returning 0) and, when the option is misused,
 * into optopt, where a short option's error leaves the character itself:
 * so an error says which of the two it was, and which option.
 */
#define LONG_BASE 256
static int slot;

static size_t
long_options(const struct opt_prog *p, struct option *lo)
{
	size_t n = 0;

	for (; n < OPT_MAX && p->opts != NULL && p->opts[n].name != NULL; n++)
		lo[n] = (struct option){ p->opts[n].name, p->opts[n].arg != NULL
		    ? required_argument : no_argument, &slot,
		    LONG_BASE + (int)n };
	lo[n] = (struct option){ "help", no_argument, &slot,
	    LONG_BASE + (int)n };
	n++;
	lo[n] = (struct option){ "version", no_argument, &slot,
	    LONG_BASE + (int)n };
	n++;
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	return n;
}

static void vusage(const struct opt_prog *, const char *fmt, va_list)
    __attribute__((format(printf, 2, 0)));

static void
vusage(const struct opt_prog *p, const char *fmt, va_list ap)
{
	char msg[PV_MSG_SIZE];

	pv_vmessage(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s: %s\nusage: %s\n", p->name, msg, p->synopsis);
}

int
opt_usage(const struct opt_prog *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage(p, fmt, ap);
	va_end(ap);
	return PV_EXIT_USAGE;
}

void
opt_help(const struct opt_prog *p, FILE *fp)
{
	const struct opt *o;
	const char *line, *nl;
	size_t w, width = 0;

	fprintf(fp, "usage: %s\n", p->synopsis);
	if (p->about != NULL && *p->about != '\0')
		fprintf(fp, "\n%s%s", p->about,
		    p->about[strlen(p->about) - 1] == '\n' ? "" : "\n");
	for (o = p->opts; o != NULL && o->name != NULL; o++) {
		if (o->help == NULL)
			continue;
		w = strlen(o->name) + (o->arg != NULL ? strlen(o->arg) + 1 : 0);
		if (w > width)
			width = w;
	}
	if (width > 0)
		fputc('\n', fp);
	for (o = p->opts; o != NULL && o->name != NULL; o++) {
		if (o->help == NULL)
			continue;
		w = strlen(o->name) + (o->arg != NULL ? strlen(o->arg) + 1 : 0);
		fprintf(fp, "  --%s%s%s%*s", o->name, o->arg != NULL ? " " : "",
		    o->arg != NULL ? o->arg : "", (int)(width - w + 2), "");
		for (line = o->help; (nl = strchr(line, '\n')) != NULL;
		    line = nl + 1)
			fprintf(fp, "%.*s\n%*s", (int)(nl - line), line,
			    (int)width + 6, "");
		fprintf(fp, "%s\n", line);
	}
}

/*
 * getopt_long also takes any unique prefix of a long option (--mem for
 * --memory); pvbuild takes whole names only, as pipeline.sh always did: a
 * script that says --mem would work only until an option that --mem also
 * begins was added. `arg` is the option as typed, "--name" or
 * "--name=value"; its name's length, or 0 when it is not a long option.
 */
static size_t
typed_name(const char *arg)
{
	return strncmp(arg, "--", 2) == 0 ? 2 + strcspn(arg + 2, "=") : 0;
}

static int
is_whole(const struct option *o, const char *arg)
{
	size_t n = typed_name(arg);

	return n > 2 && strlen(o->name) == n - 2 &&
	    strncmp(arg + 2, o->name, n - 2) == 0;
}

/* The usage error for an option none of the table's, as typed. */
static int
unknown(const struct opt_prog *p, const char *arg)
{
	size_t n = typed_name(arg);

	return opt_usage(p, "unknown option '%.*s'", (int)(n > 0 ? n :
	    strlen(arg)), arg);
}

/*
 * Waiting in silence for a plan to be typed into a terminal helps nobody:
 * say how to use the program instead. An explicit "-" still reads the
 * terminal, for whoever means to paste a plan.
 */
int
opt_plan_operand(const struct opt_prog *p, int nr)
{
	if (nr > 1)
		return opt_usage(p, "too many arguments");
	if (nr == 0 && isatty(STDIN_FILENO))
		return opt_usage(p, "no PLAN given, and standard input is a "
		    "terminal");
	return PV_EXIT_OK;
}

/*
 * A usage error from getopt_long: optopt is the misused long option's
 * LONG_BASE + index, a short option's character, or 0 for a long option
 * that is none of the table's (the option as typed is then the element
 * before optind).
 */
static int
misused(const struct opt_prog *p, const struct option *lo, int c,
    char **argv)
{
	const char *arg = argv[optind - 1];

	if (optopt > 0 && optopt < LONG_BASE)
		return opt_usage(p, "unknown option '-%c'", optopt);
	if (optopt == 0 || !is_whole(&lo[optopt - LONG_BASE], arg))
		return unknown(p, arg);
	if (c == ':')
		return opt_usage(p, "%s needs a value", arg);
	return opt_usage(p, "%.*s takes no value", (int)typed_name(arg), arg);
}

int
opt_next(const struct opt_prog *p, int argc, char **argv, char **value,
    int *status)
{
	struct option lo[OPT_MAX + 3];
	const char *arg;
	size_t n, i;
	int c;

	n = long_options(p, lo);
	opterr = 0;
	optopt = 0;
	slot = 0;
	*value = NULL;
	c = getopt_long(argc, argv, ":h", lo, NULL);
	if (c == -1)
		return 0;
	if (c == 'h')
		slot = LONG_BASE + (int)n - 2;
	else if (c != 0) {
		*status = misused(p, lo, c, argv);
		return -1;
	}
	i = (size_t)(slot - LONG_BASE);
	/* The option as typed: the element before its value if separate. */
	arg = argv[optind - 1];
	if (optarg != NULL && optarg == arg && optind >= 2)
		arg = argv[optind - 2];
	if (c == 0 && !is_whole(&lo[i], arg)) {
		*status = unknown(p, arg);
		return -1;
	}
	if (i == n - 2) {
		opt_help(p, stdout);
		*status = fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
		return -1;
	}
	if (i == n - 1) {
		printf("%s (pvbuild) %s\n", p->name, PV_VERSION);
		*status = fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
		return -1;
	}
	*value = optarg;
	return p->opts[i].key;
}
