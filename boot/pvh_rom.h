/* SPDX-License-Identifier: ISC */
/*
 * pvh_rom.h: what bin/boot's PVH firmware (boot/pvh_rom.S) and its C
 * side (boot/pvh.c) share. Plain #defines, included by both.
 *
 * A PVH domain's memory is all the domain's, to its first byte, so this
 * firmware keeps nothing in it: what it loads lies in the ROM itself,
 * which boot fills in for each run before QEMU reads it (a parameter
 * block and the GDT, at fixed offsets). It is QEMU's -bios, 64 KiB at
 * the top of the 32-bit physical space, entered at the reset vector in
 * real mode.
 */
#ifndef BOOT_PVH_ROM_H
#define BOOT_PVH_ROM_H

#define PVH_ROM_BASE		0xFFFF0000	/* physical, 32-bit */
#define PVH_ROM_SIZE		0x10000

/* The parameter block, at the ROM's first byte: 32 bits each. */
#define PVH_PARAM		0x00
#define PVH_P_EIP		0x00	/* the far pointer: eip, then cs */
#define PVH_P_CS_SEL		0x04
#define PVH_P_EBX		0x08
#define PVH_P_EFLAGS		0x0c
#define PVH_P_CR0		0x10
#define PVH_P_CR3		0x14
#define PVH_P_CR4		0x18
#define PVH_P_EFER		0x1c
#define PVH_P_SCRATCH		0x20	/* above a word of the domain's RAM */
#define PVH_P_GDTR		0x26	/* limit (16 bits), base (32) */
#define PVH_P_SIZE		0x40

/*
 * The GDT, at PVH_GDT: the domain's five segments at their selectors,
 * each built from domain.json's base, limit and attributes, and the
 * firmware's own flat code and data, which it runs on until the jump.
 */
#define PVH_GDT			0x40
#define PVH_SEL_CS		0x08
#define PVH_SEL_DS		0x10
#define PVH_SEL_ES		0x18
#define PVH_SEL_SS		0x20
#define PVH_SEL_TR		0x28
#define PVH_SEL_ROM_CS		0x30
#define PVH_SEL_ROM_DS		0x38
#define PVH_GDT_ENTRIES		8

/* The local APIC's registers (Intel SDM vol. 3A, 11.4.1, 11.5.1). */
#define PVH_LAPIC		0xfee00000
#define PVH_LAPIC_SVR		0xf0
#define PVH_LAPIC_LVT0		0x350
#define PVH_LAPIC_LVT1		0x360

/* PCI configuration mechanism 1 (the i440FX of QEMU's pc machine). */
#define PVH_PCI_ADDR		0xcf8
#define PVH_PCI_DATA		0xcfc

#endif
