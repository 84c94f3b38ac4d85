/* SPDX-License-Identifier: ISC */
/*
 * What the multiseg guest adds to the others: bytes for a segment the
 * builder must not load, data in a segment that does not start on a page
 * boundary, and a .bss of more than 3 MiB. multiseg.ld places them.
 */
#include "guest.h"

#define MARKER_LINE	"pvbuild: R-only segment, must not be loaded\n"

/* Recognisable bytes in the PF_R-only segment (seed: is_loadable_phdr). */
const char multiseg_marker[] __attribute__((section(".marker"))) =
    MARKER_LINE MARKER_LINE MARKER_LINE MARKER_LINE;

/* Data at 0xC0008100, in the middle of its first page. */
u32 multiseg_late[4] __attribute__((section(".late"))) = {
	0x4c415445, 0x53454731, 0x4c415445, 0x53454732
};

/* Zero-initialised, 3 MiB and a page: a kernel much larger than its file. */
u8 multiseg_bss[(3 << 20) + 4096];
