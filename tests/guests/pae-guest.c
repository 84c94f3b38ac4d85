/* SPDX-License-Identifier: ISC */
/*
 * The C part of the x86_32 PAE xen-3.0 test guests: say on the debug
 * console that the guest was entered, then report what it finds of its boot
 * environment, one line "check NAME ok" or "check NAME FAIL" per check.
 */
#include "xen3.h"

/* More than 1 MiB, all past the end of the file. Global, so it is kept. */
u8 pae_bss[XEN3_BSS_BYTES];

void	pae_main(const char *si);

void
pae_main(const char *si)
{
	xen3_write("pvbuild pae guest: entered\n");
	xen3_report("start_info", xen3_check_start_info(si));
	xen3_report("pattern", xen3_check_pattern());
	xen3_report("bss", xen3_check_bss());
	xen3_write("pvbuild pae guest: done\n");
}
