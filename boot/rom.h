/* SPDX-License-Identifier: ISC */
/*
 * rom.h: what bin/boot's QEMU firmware (boot/rom.S) and its C
 * side (boot/qemu.c) share. Plain #defines, included by both, so
 * the two cannot drift apart.
 *
 * The firmware is QEMU's -bios: 64 KiB of ROM at the top of the 32-bit
 * physical space, entered at the reset vector in real mode. It reads a
 * parameter page boot wrote into a reserved frame of the machine, turns on
 * the domain's paging mode on the domain's top-level table (long mode by
 * way of boot's own L4, QF_TRAMP, which maps the ROM where it is), loads
 * boot's GDT, IDT and TSS from the hypervisor's hole and enters the guest
 * with the registers domain.json names. Its exception handlers are the hole's
 * "hypervisor": they emulate the two ports a guest may not use directly
 * (BOOT_PORT_VERDICT, BOOT_PORT_CALL), bounce exceptions to the handler a
 * guest registered, and record anything else for boot to show.
 */
#ifndef BOOT_ROM_H
#define BOOT_ROM_H

#define ROM_BASE		0xFFFF0000	/* physical, 32-bit */
#define ROM_SIZE		0x10000

/* Offsets in the ROM. */
#define ROM_STUBS32		0x1000	/* 256 stubs, 16 bytes each */
#define ROM_STUBS64		0x3000	/* 256 stubs, 16 bytes each */
#define ROM_STUB_SIZE		16

/* Frames of the machine boot takes for the QEMU path (below 640 KiB). */
#define QF_PARAM		0x10	/* the parameter page */
#define QF_DATA			0x11	/* the handlers' state and records */
#define QF_GDT			0x12
#define QF_IDT			0x13
#define QF_TSS			0x14
#define QF_STACK		0x15
#define QF_L1			0x16	/* the hole's L1 (32-bit modes) */
#define QF_TRAMP		0x17	/* x86_64: boot's own L4, L3, L2, L1 */
#define QF_DIRECT_L3		0x1b	/* x86_64: the direct map's L3 */
#define QF_DIRECT_L2		0x1c	/* ... and its L2s, one per GiB */
#define QF_DIRECT_L2_MAX	4
#define QF_END			0x20
#define PARAM_PHYS		(QF_PARAM * 0x1000)

/* Paging modes (PARAM_MODE). */
#define MODE_2LEVEL		1
#define MODE_PAE		2
#define MODE_LONG		3

/* The parameter page: what boot asks the firmware to load. */
#define PARAM_MODE		0x00	/* 32 bits each, up to PARAM_GDTR */
#define PARAM_CR0		0x04
#define PARAM_CR3		0x08
#define PARAM_CR4		0x0c
#define PARAM_EFER		0x10	/* low half of the MSR */
#define PARAM_TRAMP_CR3		0x14	/* x86_64: boot's own L4 */
#define PARAM_TR		0x18
#define PARAM_GDTR		0x20	/* limit (16 bits), base (64) */
#define PARAM_IDTR		0x30
#define PARAM_CS		0x40	/* 64 bits each from here */
#define PARAM_SS		0x48
#define PARAM_DS		0x50
#define PARAM_ES		0x58
#define PARAM_FS		0x60
#define PARAM_GS		0x68
#define PARAM_IP		0x70
#define PARAM_SP		0x78
#define PARAM_FLAGS		0x80
#define PARAM_AX		0x88
#define PARAM_BX		0x90
#define PARAM_CX		0x98
#define PARAM_DX		0xa0
#define PARAM_SI		0xa8
#define PARAM_DI		0xb0
#define PARAM_BP		0xb8
#define PARAM_STACK_TOP		0xc0	/* the handlers' stack, a hole va */

/*
 * The data page: the handlers' state, and the record of how the run
 * ended, which boot reads from the machine after QEMU exits. 64 bits each.
 */
#define DATA_HANDLER		0x00	/* BOOT_CALL_TRAPS, 0 for none */
#define DATA_BOUNCES		0x08
#define DATA_MAGIC		0x10	/* DATA_VERDICT or DATA_FAULT (32 bits) */
#define DATA_VALUE		0x18	/* the verdict, or the vector */
#define DATA_ERROR		0x20
#define DATA_IP			0x28
#define DATA_CS			0x30
#define DATA_FLAGS		0x38
#define DATA_SP			0x40
#define DATA_SS			0x48
#define DATA_CR2		0x50
#define DATA_AX			0x58
#define DATA_BX			0x60
#define DATA_CX			0x68
#define DATA_DX			0x70
#define DATA_SI			0x78
#define DATA_DI			0x80
#define DATA_BP			0x88
#define DATA_CR3		0x90
#define DATA_DS			0xb0
#define DATA_ES			0xb8
#define DATA_FS			0xc0
#define DATA_GS			0xc8
#define DATA_CR0		0xd0
#define DATA_CR4		0xd8
#define DATA_EFER		0xe0
#define DATA_TR			0xe8
#define DATA_FRAMES		0xa0	/* x86_64: frames of the machine */
#define DATA_RESERVED		0xa8	/* ... the hypervisor's */

#define DATA_VERDICT		0x44524556	/* "VERD" */
#define DATA_FAULT		0x544c5546	/* "FULT" */

/*
 * The 32-bit hole (both 2-level and PAE): one L1 of boot's maps these
 * pages, the ROM at its own physical address so the firmware runs on
 * across the switch to paging.
 */
#define HOLE32_L1_2LEVEL	0xFFC00000	/* L2 entry 1023 */
#define HOLE32_L1_PAE		0xFFE00000	/* L3 3, L2 entry 511 */
#define HOLE32_GDT		0xFFFE0000
#define HOLE32_IDT		0xFFFE1000
#define HOLE32_TSS		0xFFFE2000
#define HOLE32_DATA		0xFFFE3000
#define HOLE32_PARAM		0xFFFE4000
#define HOLE32_STACK		0xFFFE6000	/* a guard page below */
#define HOLE32_STACK_TOP	0xFFFE7000

/*
 * The x86_64 hole, L4 slot 256 (x86.h lays out its first pages):
 * the QEMU path adds the data and parameter pages and the ROM, and a map
 * of the whole machine in slot 257 for BOOT_CALL_FRAME.
 */
#define HOLE64_DATA		0xffff800000014000
#define HOLE64_PARAM		0xffff800000015000
#define HOLE64_ROM		0xffff800000020000	/* 16 pages */
#define HOLE64_DIRECT		0xffff808000000000	/* L4 slot 257 */

#endif
