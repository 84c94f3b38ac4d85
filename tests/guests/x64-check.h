/* SPDX-License-Identifier: ISC */
/*
 * x64-check.h: what the x86_64 test guest's self-checks (x64-guest.c)
 * need and a freestanding kernel has no library for: console output and
 * calls on boot, beside check-text.h's formatting, reasons, command-line
 * expectations and FNV-1a sums. Included once by each self-checking
 * guest: x64-guest.c, and check32.c for the 32-bit ones, whose %d and %x
 * arguments are u64 too.
 */
#ifndef X64_CHECK_H
#define X64_CHECK_H

#include "xen3.h"
#include "ports.h"		/* boot/ports.h, by -Iboot */
#include "check-text.h"

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

#endif
