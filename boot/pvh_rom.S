/* SPDX-License-Identifier: ISC */
/*
 * pvh_rom.S: bin/boot's firmware for PVH domains in QEMU (pvh_rom.h):
 * 64 KiB of ROM at 0xFFFF0000, entered at the reset vector, that enters
 * the domain as Xen's docs/misc/pvh.pandoc has a PVH guest entered, with
 * the state domain.json names (boot/pvh.c checked it and wrote it here):
 * protected mode, paging off, the domain's segments, %ebx, EFLAGS, and a
 * far jump to cs:eip. Every other general register is zero.
 *
 * On the way it makes the whole low MiB the domain's RAM (the i440FX's
 * PAM registers to DRAM, its SMRAM window open), which a PC otherwise
 * keeps for the VGA window and the BIOS, masks both 8259s and puts the
 * local APIC in virtual-wire mode, as a PC's firmware leaves them. It writes no memory but one word of the domain's
 * RAM, which it puts back: POPF is the only way to load EFLAGS whole,
 * and it takes a stack. Architecture: Intel SDM vol. 3A, 9.1.4 (the
 * reset vector), 9.9.1 (switching to protected mode), 3.4.5 (segment
 * descriptors); the i440FX datasheet, 3.2 (PAM, SMRAM).
 */
#include "pvh_rom.h"

#define LIN(x)	(PVH_ROM_BASE + ((x) - rom_start))

/* A byte of the host bridge's (bus 0, device 0) PCI configuration. */
	.macro	pci_byte reg, value
	movw	$PVH_PCI_ADDR, %dx
	movl	$(0x80000000 | (\reg & ~3)), %eax
	outl	%eax, %dx
	movw	$(PVH_PCI_DATA + (\reg & 3)), %dx
	movb	$\value, %al
	outb	%al, %dx
	.endm

	.section .text, "ax", @progbits
	.code16
rom_start:
	/* boot fills in the parameter block and the GDT (pvh.c). */
	.fill	PVH_GDT, 1, 0
gdt:
	.fill	PVH_GDT_ENTRIES * 8, 1, 0

start16:
	cli
	cld
	lgdtl	%cs:PVH_P_GDTR
	movl	%cr0, %eax
	orl	$1, %eax			/* CR0.PE */
	movl	%eax, %cr0
	ljmpl	$PVH_SEL_ROM_CS, $LIN(start32)

	.code32
start32:
	movl	$PVH_SEL_ROM_DS, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	/* The low MiB: PAM0-6 read/write DRAM, SMRAM's D_OPEN. */
	pci_byte 0x59, 0x30			/* PAM0: 0xf0000-0xfffff */
	pci_byte 0x5a, 0x33
	pci_byte 0x5b, 0x33
	pci_byte 0x5c, 0x33
	pci_byte 0x5d, 0x33
	pci_byte 0x5e, 0x33
	pci_byte 0x5f, 0x33			/* PAM6: ... 0xeffff */
	pci_byte 0x72, 0x4a			/* D_OPEN, G_SMRAME, C_BASE_SEG */
	/* Mask both 8259s: the domain programs its own. */
	movb	$0xff, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	/*
	 * The local APIC in virtual-wire mode, as a PC's firmware leaves
	 * it (MultiProcessor Specification 1.4, 3.6.2.2): enabled, LINT0
	 * taking the 8259's interrupts (ExtINT), LINT1 the NMI. Linux keeps
	 * LINT0 as it finds it when the MADT has no IO-APIC, and without
	 * it no interrupt of the 8259s' (the PIT's tick) would arrive.
	 */
	movl	$0x1ff, PVH_LAPIC + PVH_LAPIC_SVR	/* enabled, vector 0xff */
	movl	$0x700, PVH_LAPIC + PVH_LAPIC_LVT0	/* ExtINT */
	movl	$0x400, PVH_LAPIC + PVH_LAPIC_LVT1	/* NMI */
	movl	(PVH_ROM_BASE + PVH_P_CR4), %eax
	movl	%eax, %cr4
	movl	(PVH_ROM_BASE + PVH_P_CR3), %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* IA32_EFER */
	movl	(PVH_ROM_BASE + PVH_P_EFER), %eax
	xorl	%edx, %edx
	wrmsr
	movl	(PVH_ROM_BASE + PVH_P_CR0), %eax
	movl	%eax, %cr0
	movw	$PVH_SEL_TR, %ax
	ltr	%ax
	/* EFLAGS, by way of a word of the domain's RAM, put back after. */
	movl	(PVH_ROM_BASE + PVH_P_SCRATCH), %esp
	movl	-4(%esp), %ecx
	pushl	(PVH_ROM_BASE + PVH_P_EFLAGS)
	popfl
	movl	%ecx, -4(%esp)
	/* The domain's data segments, then only %cs: reads. */
	movw	$PVH_SEL_ES, %ax
	movw	%ax, %es
	movw	$PVH_SEL_SS, %ax
	movw	%ax, %ss
	movw	$PVH_SEL_DS, %ax
	movw	%ax, %ds
	xorl	%eax, %eax
	movw	%ax, %fs
	movw	%ax, %gs
	movl	%cs:(PVH_ROM_BASE + PVH_P_EBX), %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%esp, %esp
	ljmpl	*%cs:(PVH_ROM_BASE + PVH_P_EIP)

	.org	0xfff0
reset:
	.code16
	jmp	start16
	.org	PVH_ROM_SIZE
