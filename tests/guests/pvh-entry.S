/* SPDX-License-Identifier: ISC */
/*
 * pvh-entry.S: the entry of the PVH test guest (pvh-guest.c has its
 * checks). A PVH kernel declares its 32-bit physical entry point with
 * the XEN_ELFNOTE_PHYS32_ENTRY note and nothing of the PV notes; it is
 * entered, per Xen's docs/misc/pvh.pandoc, in 32-bit protected mode with
 * paging off, flat 4 GiB code and data segments, IF clear, and %ebx the
 * physical address of struct hvm_start_info. Its stack pointer, GDT and
 * IDT are unspecified, so the guest trusts none of them.
 *
 * The entry records what only it can see before the guest changes it:
 * whether %ds, %es and %ss really are flat (a word of .data read through
 * each must be the word the link put there: a wrong base reads another
 * word, a 64 KiB or 1 MiB limit faults, the word lying above 1 MiB), %cr0,
 * %cr4, EFER and EFLAGS. Until it loads its own segments it writes no
 * memory and uses no stack (both go through a segment it has not yet
 * trusted); its GDT and IDT are loaded first, through %cs, so that a fault
 * in these reads is caught and named. Then it loads its own flat segments
 * and stack and calls pvh_main with what it saw.
 */
#include <xen/elfnote.h>

#define CODE_SEL	0x08
#define DATA_SEL	0x10
#define FLAT_WORD	0x50564821	/* "!HVP" */
#define MSR_EFER	0xc0000080
#define STACK_BYTES	16384

	.section .note.Xen, "a", @note
	.balign	4
	.long	4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.balign	4
	.long	pvh_start

	.section .text.entry, "ax"
	.code32
	.globl	pvh_start
pvh_start:
	lgdtl	%cs:gdt_desc
	lidtl	%cs:idt_desc
	/* %esi: a bit per segment that is not flat (pvh-guest.c, SEG_*). */
	xorl	%esi, %esi
	cmpl	$FLAT_WORD, %ds:flat_word
	je	1f
	orl	$1, %esi
1:	cmpl	$FLAT_WORD, %es:flat_word
	je	2f
	orl	$2, %esi
2:	cmpl	$FLAT_WORD, %ss:flat_word
	je	3f
	orl	$4, %esi
3:	movl	%cr0, %edi
	movl	%cr4, %ebp
	movl	$MSR_EFER, %ecx
	rdmsr
	movl	%eax, %ecx
	/* Moves to segment registers leave EFLAGS as they are. */
	movw	$DATA_SEL, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	$stack_top, %esp
	pushfl
	popl	%eax
	ljmpl	$CODE_SEL, $4f
4:	pushl	%ecx		/* EFER */
	pushl	%ebp		/* %cr4 */
	pushl	%edi		/* %cr0 */
	pushl	%eax		/* EFLAGS */
	pushl	%esi		/* the segments that are not flat */
	pushl	%ebx		/* hvm_start_info, per the ABI */
	call	pvh_main
5:	cli
	hlt
	jmp	5b

/*
 * The exception stubs, 8 bytes each, vector i at pvh_vectors + 8 * i:
 * with no error code of its own an exception gets a 0, so that the
 * common part finds the same frame.
 */
	.balign	256
	.globl	pvh_vectors
pvh_vectors:
	vector = 0
	.rept	32
	.balign	8
	.if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30
	nop
	nop
	.else
	pushl	$0
	.endif
	pushl	$vector
	jmp	trap_common
	vector = vector + 1
	.endr

/* The segments may still be the entry's: load the guest's own first. */
trap_common:
	movw	$DATA_SEL, %bx
	movw	%bx, %ds
	movw	%bx, %es
	/*
	 * The frame (vector, error code, eip) is on the stack the exception
	 * found, read here as if its segment were flat: the entry's stack
	 * pointer is no promise, so the stack is the guest's own from now.
	 */
	movl	(%esp), %eax
	movl	4(%esp), %edx
	movl	8(%esp), %ecx
	movw	%bx, %ss
	movl	$trap_stack_top, %esp
	pushl	%ecx
	pushl	%edx
	pushl	%eax
	call	pvh_trap
6:	cli
	hlt
	jmp	6b

	.section .rodata
	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* CODE_SEL: flat 32-bit code */
	.quad	0x00cf93000000ffff	/* DATA_SEL: flat data */
gdt_end:
	.balign	4
	.word	0
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt
	.balign	8
idt:
	vector = 0
	.rept	32
	.word	pvh_vec_lo + 8 * vector, CODE_SEL, 0x8e00, pvh_vec_hi
	vector = vector + 1
	.endr
idt_end:
	.balign	4
	.word	0
idt_desc:
	.word	idt_end - idt - 1
	.long	idt

	.data
	.balign	4
	.globl	flat_word
flat_word:
	.long	FLAT_WORD

	.bss
	.balign	16
	.space	STACK_BYTES
stack_top:
	.space	4096
trap_stack_top:

	.section .note.GNU-stack, "", @progbits
