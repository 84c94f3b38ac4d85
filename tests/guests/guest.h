/* SPDX-License-Identifier: ISC */
/*
 * Shared definitions of the pvbuild test guests: freestanding ELF32 i386
 * kernels for the xen-1.3 ABI (docs/xen-1.3.md). Included by C and by
 * assembler sources, so everything C-only sits under !__ASSEMBLER__.
 */
#ifndef GUEST_H
#define GUEST_H

/* Port of the debug console (QEMU's and Bochs' "port 0xE9 hack"). */
#define GUEST_DEBUG_PORT	0xE9

/*
 * Words in the initialised data pattern (guest_pattern in pattern.S); word i
 * holds GUEST_PATTERN_BASE + i. More than a page, so a loader that copies
 * the wrong page or stops early shows.
 */
#define GUEST_PATTERN_WORDS	1280
#define GUEST_PATTERN_BASE	0x50560000

/* Bytes of zero-initialised data, spanning many pages (guest.c). */
#define GUEST_BSS_BYTES		65536

#ifndef __ASSEMBLER__

typedef unsigned char		u8;
typedef unsigned short		u16;
typedef unsigned int		u32;

/*
 * The seed's extended_start_info_t, 292 bytes (docs/xen-1.3.md). The builder
 * passes its virtual address in ESI; _start hands it to guest_main.
 */
struct start_info {
	u32	nr_pages;
	u32	shared_info;		/* machine address */
	u32	flags;
	u32	pt_base;		/* virtual address of the page directory */
	u32	nr_pt_frames;
	u32	mfn_list;		/* virtual address of the p2m list */
	u32	mod_start;		/* virtual address of the initrd, or 0 */
	u32	mod_len;
	u8	cmd_line[256];
	u32	domain_controller_evtchn;
};

_Static_assert(sizeof(struct start_info) == 292, "start_info is 292 bytes");

/* Bounds of the zero-initialised data, from each shape's linker script. */
extern u8 __bss_start[], __bss_end[];

/* From pattern.S. */
extern const u32 guest_pattern[GUEST_PATTERN_WORDS];

void	guest_main(const struct start_info *si);

#endif /* !__ASSEMBLER__ */
#endif /* GUEST_H */
