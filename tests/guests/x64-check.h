/* SPDX-License-Identifier: ISC */
/*
 * x64-check.h: what the x86_64 test guest's self-checks (x64-guest.c)
 * need and a freestanding kernel has no library for: console output, the
 * reason a check failed, calls on boot, the command line's key=value
 * expectations and FNV-1a sums. Included once by each self-checking
 * guest: x64-guest.c, and check32.c for the 32-bit ones, whose %d and %x
 * arguments are u64 too.
 */
#ifndef X64_CHECK_H
#define X64_CHECK_H

#include "xen3.h"
#include "ports.h"		/* boot/ports.h, by -Iboot */

#if __SIZEOF_LONG__ == 4
/*
 * v / base, leaving v % base in *rem. A 32-bit guest has no libgcc to
 * divide 64-bit numbers (Debian's gcc ships none for -m32 without
 * gcc-multilib), so it shifts and subtracts; an x86_64 guest divides.
 */
static u64
divmod(u64 v, u64 base, u64 *rem)
{
	u64 q = 0, r = 0;
	int bit;

	for (bit = 63; bit >= 0; bit--) {
		r = r << 1 | ((v >> bit) & 1);
		if (r >= base) {
			r -= base;
			q |= 1ULL << bit;
		}
	}
	*rem = r;
	return q;
}
#endif

/*
 * A small printf: %s, %c, %d (u64, decimal) and %x (u64, "0x" and hex),
 * each character handed to `emit`. One formatted call instead of a chain
 * of puts keeps the guest's text small: the layout tests pin its pages.
 */
static void
format(void (*emit)(char), const char *f, __builtin_va_list ap)
{
	char buf[20];
	const char *s;
	u64 v, base;
#if __SIZEOF_LONG__ == 4
	u64 digit;
#endif
	int i;

	for (; *f != '\0'; f++) {
		if (*f != '%') {
			emit(*f);
			continue;
		}
		switch (*++f) {
		case 's':
			for (s = __builtin_va_arg(ap, const char *); *s; s++)
				emit(*s);
			continue;
		case 'c':
			emit((char)__builtin_va_arg(ap, int));
			continue;
		case 'x':
			emit('0');
			emit('x');
			base = 16;
			break;
		default:
			base = 10;
			break;
		}
		v = __builtin_va_arg(ap, u64);
		i = 0;
		do {
#if __SIZEOF_LONG__ == 4
			v = divmod(v, base, &digit);
			buf[i++] = "0123456789abcdef"[digit];
#else
			buf[i++] = "0123456789abcdef"[v % base];
			v /= base;
#endif
		} while (v != 0);
		while (i > 0)
			emit(buf[--i]);
	}
}

#ifdef X64_ON_XEN
/* On the real hypervisor: console ring, hypercalls and shutdown. */
#include "x64-xen.h"
#else
/* Console output (boot relays port 0xE9 to its standard output). */

static inline void
console_start(const void *start_info)
{
	(void)start_info;
}

static void
emit_console(char c)
{
	xen3_outb(XEN3_DEBUG_PORT, (u8)c);
}
#endif

static void
putf(const char *f, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, f);
	format(emit_console, f, ap);
	__builtin_va_end(ap);
}

/*
 * Why the current check failed: set by fail(), printed by report(). Only
 * a check's first reason is kept.
 */
static char why_buf[200];
static unsigned why_len;
static int why_done;

static void
emit_why(char c)
{
	if (why_len < sizeof(why_buf) - 1)
		why_buf[why_len++] = c;
}

/* Give the reason a check failed; returns 0, the check's result. */
static int
fail(const char *f, ...)
{
	__builtin_va_list ap;

	if (!why_done) {
		__builtin_va_start(ap, f);
		format(emit_why, f, ap);
		__builtin_va_end(ap);
		why_done = 1;
	}
	return 0;
}

static int verdict;

/* "check NAME ok" or "check NAME FAIL: reason", one line per check. */
static void
report(const char *name, int ok)
{
	why_buf[why_len] = '\0';
	putf(ok ? "check %s ok\n" : "check %s FAIL: %s\n", name, why_buf);
	if (!ok)
		verdict = 1;
	why_len = 0;
	why_done = 0;
}

/*
 * A call on boot (boot/ports.h): number in %al, arguments in %rdi, %rsi
 * (%edi, %esi in the 32-bit guests).
 */
#ifndef X64_ON_XEN
static inline long
boot_call(u8 nr, unsigned long a, unsigned long b)
{
	long r = nr;

	__asm__ volatile("outb %%al, %w1"
	    : "+a"(r)
	    : "Nd"((u16)BOOT_PORT_CALL), "D"(a), "S"(b)
	    : "memory");
	return r;
}

/* The verdict on boot's port ends the run. */
static void __attribute__((noreturn))
end_run(u8 v)
{
	xen3_outb(BOOT_PORT_VERDICT, v);
	for (;;)
		__asm__ volatile("pause");
}
#endif

static void __attribute__((noreturn))
finish(void)
{
	putf(verdict == 0 ? "PASS\n" : "FAIL\n");
	end_run((u8)verdict);
}

/*
 * The checks of a self-checking guest, each defined by the guest
 * (x64-guest.c, check32.c) and run in this order by run_checks: one that
 * stands on an earlier one that failed is reported as not checked.
 */
static int si_ok, cmdline_ok, p2m_ok, walk_ok;

static int	check_bss(void);
static void	entry_stack(u64 sp);	/* keep the entry stack pointer */
static int	check_data(void);
static int	check_traps(void);
static int	check_si_readable(const void *start_info);
static int	check_cmdline(void);
static int	check_start_info(void);
static int	check_p2m(void);
static int	check_pagetables(void);	/* sets walk_ok once the walk is whole */
static int	check_write_protect(void);
static int	check_stack(void);
static int	check_padding(void);
static int	check_initrd(void);
static void	describe(void);		/* what the checks found */

/* Checks that cannot run say why, naming what failed before them. */
static void
skipped(const char *name, const char *because)
{
	report(name, fail("not checked: %s failed", because));
}

static void __attribute__((noreturn))
run_checks(const void *start_info, u64 sp)
{
	/* First, while nothing has written .bss (keep to locals till then). */
	report("bss", check_bss());
	entry_stack(sp);
	report("data", check_data());
	report("traps", check_traps());
	si_ok = check_si_readable(start_info);
	if (!si_ok) {
		report("start_info", 0);
		finish();
	}
	report("cmdline", cmdline_ok = check_cmdline());
	report("start_info", si_ok = check_start_info());
	if (!si_ok) {
		skipped("p2m", "start_info");
		finish();
	}
	report("p2m", p2m_ok = check_p2m());
	if (!p2m_ok) {
		skipped("pagetables", "p2m");
		finish();
	}
	report("pagetables", check_pagetables());
	if (walk_ok)
		report("write_protect", check_write_protect());
	else
		skipped("write_protect", "pagetables");
	report("stack", check_stack());
	if (walk_ok)
		report("padding", check_padding());
	else
		skipped("padding", "pagetables");
	if (!cmdline_ok)
		skipped("initrd", "cmdline");
	else if (!walk_ok)
		skipped("initrd", "pagetables");
	else
		report("initrd", check_initrd());
	if (walk_ok)
		describe();
	finish();
}

/* FNV-1a, 32 bits: the sums the test passes on the command line. */
#define FNV_OFFSET	0x811c9dc5u
#define FNV_PRIME	0x01000193u

static u32
fnv_add(u32 h, const u8 *p, u64 n)
{
	while (n-- > 0)
		h = (h ^ *p++) * FNV_PRIME;
	return h;
}

/* The length of `key` if `p` starts with it followed by '=', else 0. */
static unsigned
key_at(const char *p, const char *key)
{
	unsigned n;

	for (n = 0; key[n] != '\0'; n++)
		if (p[n] != key[n])
			return 0;
	return p[n] == '=' ? n : 0;
}

/*
 * The value of "KEY=" in the command line `s` (at its start or after a
 * space), in `base` 10 or 16, up to the next space; *at is where the key
 * starts. Returns 1 if found and well formed.
 */
static int
cmdline_value(const char *s, const char *key, unsigned base, u64 *v,
    const char **at)
{
	const char *p;
	unsigned n, d;

	for (p = s; *p != '\0'; p++) {
		if ((p != s && p[-1] != ' ') || (n = key_at(p, key)) == 0)
			continue;
		*at = p;
		*v = 0;
		for (p += n + 1; *p != '\0' && *p != ' '; p++) {
			if (*p >= '0' && *p <= '9')
				d = (unsigned)(*p - '0');
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = (unsigned)(*p - 'a' + 10);
			else
				return 0;
			*v = *v * base + d;
		}
		return p != *at + n + 1;
	}
	return 0;
}

#endif
