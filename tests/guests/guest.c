/* SPDX-License-Identifier: ISC */
/*
 * The C part of the pvbuild test guests: report on the debug console what
 * the guest finds of its boot environment. Each check is one function
 * returning nonzero when it holds, reported by one line "check NAME ok" or
 * "check NAME FAIL", so checks of start_info, page tables and registers can
 * be added one at a time.
 */
#include "guest.h"

/*
 * Must read zero at entry: the builder zeroes each segment past p_filesz.
 * Global, so the compiler keeps it although only check_bss reads it.
 */
u8 guest_bss[GUEST_BSS_BYTES];

static void
outb(u16 port, u8 val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static void
console_write(const char *s)
{
	while (*s != '\0')
		outb(GUEST_DEBUG_PORT, (u8)*s++);
}

static void
report(const char *name, int ok)
{
	console_write("check ");
	console_write(name);
	console_write(ok ? " ok\n" : " FAIL\n");
}

/* The initialised data arrived whole, at the address it was linked for. */
static int
check_pattern(void)
{
	u32 i;

	for (i = 0; i < GUEST_PATTERN_WORDS; i++)
		if (guest_pattern[i] != GUEST_PATTERN_BASE + i)
			return 0;
	return 1;
}

/* Every byte of .bss, whichever segment holds it, reads zero. */
static int
check_bss(void)
{
	const volatile u8 *p;

	for (p = __bss_start; p < __bss_end; p++)
		if (*p != 0)
			return 0;
	return 1;
}

void
guest_main(const struct start_info *si)
{
	console_write("pvbuild test guest: entered\n");
	report("start_info", si != 0);
	report("pattern", check_pattern());
	report("bss", check_bss());
	console_write("pvbuild test guest: done\n");
}
