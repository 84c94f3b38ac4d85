/* SPDX-License-Identifier: ISC */
/*
 * rom.S: bin/boot's firmware for QEMU (rom.h): 64 KiB of ROM at
 * 0xFFFF0000, entered at the reset vector, that enters a sim domain in its
 * own paging mode, and whose exception handlers are the hypervisor hole's.
 *
 * Everything the firmware loads comes from the parameter page boot wrote
 * (PARAM_*); the descriptor tables, the TSS and the hole's page tables are
 * boot's, built in C (qemu.c). Architecture: Intel SDM vol. 3A, 9.1.4
 * (the reset vector), 9.9 (switching to protected mode), 9.8.5 (to IA-32e
 * mode), 6.12.1 (exception frames), 7.2 (the TSS and its I/O map).
 */
#include "ports.h"
#include "rom.h"
#include "run.h"

/* The linear address of a ROM label: the ROM is linked at offset 0. */
#define LIN(x)	(ROM_BASE + ((x) - rom_start))

	.section .text, "ax", @progbits
	.code16
rom_start:

/* Real mode, CS base 0xFFFF0000: to flat 32-bit protected mode. */
start16:
	cli
	cld
	lgdtl	%cs:(boot_gdtr - rom_start)
	movl	%cr0, %eax
	orl	$1, %eax			/* CR0.PE */
	movl	%eax, %cr0
	ljmpl	$0x08, $LIN(start32)

	.code32
start32:
	movl	$0x10, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	/* Mask both 8259s: nothing but the guest's own exceptions arrive. */
	movb	$0xff, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	movl	PARAM_PHYS + PARAM_CR4, %eax
	movl	%eax, %cr4
	movl	PARAM_PHYS + PARAM_EFER, %eax
	testl	%eax, %eax
	jz	1f
	movl	$0xc0000080, %ecx		/* IA32_EFER */
	xorl	%edx, %edx
	wrmsr
1:	cmpl	$MODE_LONG, PARAM_PHYS + PARAM_MODE
	je	start_long

	/*
	 * 2-level or PAE paging straight on the domain's table: the hole
	 * maps this ROM at its own address, so the next fetch still works.
	 */
	movl	PARAM_PHYS + PARAM_CR3, %eax
	movl	%eax, %cr3
	lgdtl	PARAM_PHYS + PARAM_GDTR
	lidtl	PARAM_PHYS + PARAM_IDTR
	movl	PARAM_PHYS + PARAM_CR0, %eax
	movl	%eax, %cr0
	jmp	1f
1:	movl	$HOLE32_PARAM, %ebx
	ltr	PARAM_TR(%ebx)
	movl	PARAM_STACK_TOP(%ebx), %esp
	/* An iret frame to the guest's ring, then its registers for popal. */
	pushl	PARAM_SS(%ebx)
	pushl	PARAM_SP(%ebx)
	pushl	PARAM_FLAGS(%ebx)
	pushl	PARAM_CS(%ebx)
	pushl	PARAM_IP(%ebx)
	pushl	PARAM_AX(%ebx)
	pushl	PARAM_CX(%ebx)
	pushl	PARAM_DX(%ebx)
	pushl	PARAM_BX(%ebx)
	pushl	$0
	pushl	PARAM_BP(%ebx)
	pushl	PARAM_SI(%ebx)
	pushl	PARAM_DI(%ebx)
	movw	PARAM_ES(%ebx), %es
	movw	PARAM_FS(%ebx), %fs
	movw	PARAM_GS(%ebx), %gs
	movw	PARAM_DS(%ebx), %ds
	popal
	iretl

/*
 * Long mode: paging on boot's own L4 (PARAM_TRAMP_CR3), which maps this
 * ROM at its own address, as the domain's L4 need not, and the hole as
 * the domain's does; then on in the hole's mapping of the ROM, which
 * changes to the domain's L4 and enters the guest.
 */
start_long:
	movl	PARAM_PHYS + PARAM_TRAMP_CR3, %eax
	movl	%eax, %cr3
	movl	PARAM_PHYS + PARAM_CR0, %eax
	movl	%eax, %cr0
	ljmpl	$0x18, $LIN(long64)

	.code64
long64:
	movabsq	$(HOLE64_ROM + (long_hole - rom_start)), %rax
	jmp	*%rax
long_hole:
	movabsq	$HOLE64_PARAM, %rbx
	lgdtq	PARAM_GDTR(%rbx)
	lidtq	PARAM_IDTR(%rbx)
	movl	PARAM_CR3(%rbx), %eax		/* 32 bits, zero-extended */
	movq	%rax, %cr3
	ltr	PARAM_TR(%rbx)
	movq	PARAM_STACK_TOP(%rbx), %rsp
	pushq	PARAM_SS(%rbx)
	pushq	PARAM_SP(%rbx)
	pushq	PARAM_FLAGS(%rbx)
	pushq	PARAM_CS(%rbx)
	pushq	PARAM_IP(%rbx)
	movw	PARAM_DS(%rbx), %ds
	movw	PARAM_ES(%rbx), %es
	movw	PARAM_FS(%rbx), %fs
	movw	PARAM_GS(%rbx), %gs
	movq	PARAM_AX(%rbx), %rax
	movq	PARAM_CX(%rbx), %rcx
	movq	PARAM_DX(%rbx), %rdx
	movq	PARAM_SI(%rbx), %rsi
	movq	PARAM_DI(%rbx), %rdi
	movq	PARAM_BP(%rbx), %rbp
	movq	PARAM_BX(%rbx), %rbx
	iretq

	.code32
	.balign	8
boot_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff		/* 0x08: ring 0, 32-bit code */
	.quad	0x00cf93000000ffff		/* 0x10: ring 0, data */
	.quad	0x00af9b000000ffff		/* 0x18: ring 0, 64-bit code */
boot_gdtr:
	.word	boot_gdtr - boot_gdt - 1
	.long	LIN(boot_gdt)

/*
 * What the 32-bit and the 64-bit handlers do alike, as macros over the
 * operand size (\s: l or q), the registers' prefix (\r: e or r) and
 * the frame's offsets (\f: F32 or F64, below).
 *
 * BOUNCE: an exception the guest took goes back to the handler it
 * registered, as boot_trap() in run.c decides for both paths (this
 * mirrors it; the caller has sent boot's own, ring 0, to \fault): none
 * registered, a vector of 32 or more, #DF (8), #MC (18), a fault at the
 * handler itself, or MAX_BOUNCES gone, and it goes to \fault instead.
 * Otherwise the guest resumes at its handler with the vector, the error
 * code, CR2 and the interrupted rip in the registers ports.h names.
 */
	.macro	BOUNCE s, r, f, fault, resume
	mov\s	DATA_HANDLER(%\r\()bx), %\r\()ax
	test\s	%\r\()ax, %\r\()ax
	jz	\fault
	cmpl	$32, %ecx
	jae	\fault
	cmpl	$8, %ecx
	je	\fault
	cmpl	$18, %ecx
	je	\fault
	cmp\s	%\r\()ax, \f\()_IP(%\r\()sp)
	je	\fault
	cmp\s	$MAX_BOUNCES, DATA_BOUNCES(%\r\()bx)
	jae	\fault
	inc\s	DATA_BOUNCES(%\r\()bx)
	mov\s	%\r\()cx, \f\()_DI(%\r\()sp)
	mov\s	\f\()_ERR(%\r\()sp), %\r\()dx
	mov\s	%\r\()dx, \f\()_SI(%\r\()sp)
	mov	%cr2, %\r\()dx
	mov\s	%\r\()dx, \f\()_DX(%\r\()sp)
	mov\s	\f\()_IP(%\r\()sp), %\r\()dx
	mov\s	%\r\()dx, \f\()_CX(%\r\()sp)
	mov\s	%\r\()ax, \f\()_IP(%\r\()sp)
	jmp	\resume
	.endm

/*
 * CALL_TRAPS: the guest's `out %al, $BOOT_PORT_CALL`, its call number in
 * al: for BOOT_CALL_TRAPS its rdi becomes the handler and edx 0, else
 * edx is -1 (refused) and al still holds the call for the caller to try.
 */
	.macro	CALL_TRAPS s, r, f
	mov\s	\f\()_AX(%\r\()sp), %\r\()ax
	mov\s	$-1, %\r\()dx
	cmpb	$BOOT_CALL_TRAPS, %al
	jne	1f
	mov\s	\f\()_DI(%\r\()sp), %\r\()ax
	mov\s	%\r\()ax, DATA_HANDLER(%\r\()bx)
	xorl	%edx, %edx
	.endm

/*
 * The 32-bit handlers. Each stub pushes a zero where the CPU pushes no
 * error code, then the vector. The frame, after common32's pushes:
 */
	.set	F32_ES, 0
	.set	F32_DS, 4
	.set	F32_DI, 8
	.set	F32_SI, 12
	.set	F32_BP, 16
	.set	F32_BX, 24
	.set	F32_DX, 28
	.set	F32_CX, 32
	.set	F32_AX, 36
	.set	F32_VEC, 40
	.set	F32_ERR, 44
	.set	F32_IP, 48
	.set	F32_CS, 52
	.set	F32_FL, 56
	.set	F32_SP, 60		/* only from the guest's ring */
	.set	F32_SS, 64

/* The vectors for which the CPU pushes an error code (SDM 6.15). */
#define HAS_ERROR(v)	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			 (v) == 21 || (v) == 29 || (v) == 30)

	.org	ROM_STUBS32
	.set	vec, 0
	.rept	256
	.balign	ROM_STUB_SIZE, 0xcc
	.if	!HAS_ERROR(vec)
	pushl	$0
	.endif
	pushl	$vec
	jmp	common32
	.set	vec, vec + 1
	.endr

	.balign	16, 0xcc
common32:
	pushal
	pushl	%ds
	pushl	%es
	movl	%ss, %eax			/* boot's ring-0 data, from the TSS */
	movl	%eax, %ds
	movl	%eax, %es
	movl	$HOLE32_DATA, %ebx
	movl	F32_VEC(%esp), %ecx
	testl	$3, F32_CS(%esp)
	jz	fault32				/* boot's own: no guest to blame */
	cmpl	$13, %ecx
	jne	bounce32
	/* #GP on a port the TSS refuses: the two boot emulates. */
	movl	F32_IP(%esp), %esi
	movzwl	(%esi), %eax
	cmpl	$(BOOT_PORT_CALL << 8 | 0xe6), %eax	/* out %al, $CALL */
	je	call32
	cmpl	$(BOOT_PORT_VERDICT << 8 | 0xe6), %eax	/* out %al, $VERDICT */
	je	verdict32
bounce32:
	BOUNCE	l, e, F32, fault32, resume32
call32:
	CALL_TRAPS l, e, F32
1:	movl	%edx, F32_AX(%esp)
	addl	$2, F32_IP(%esp)
resume32:
	popl	%es
	popl	%ds
	popal
	addl	$8, %esp
	iretl
verdict32:
	movzbl	F32_AX(%esp), %eax
	movl	%eax, DATA_VALUE(%ebx)
	movl	$DATA_VERDICT, DATA_MAGIC(%ebx)
	outb	%al, $BOOT_PORT_VERDICT		/* QEMU exits */
	jmp	halt32
fault32:
	movl	%ecx, DATA_VALUE(%ebx)
	movl	F32_ERR(%esp), %eax
	movl	%eax, DATA_ERROR(%ebx)
	movl	F32_IP(%esp), %eax
	movl	%eax, DATA_IP(%ebx)
	movl	F32_CS(%esp), %eax
	movl	%eax, DATA_CS(%ebx)
	movl	F32_FL(%esp), %eax
	movl	%eax, DATA_FLAGS(%ebx)
	testl	$3, F32_CS(%esp)
	jz	1f
	movl	F32_SP(%esp), %eax
	movl	%eax, DATA_SP(%ebx)
	movl	F32_SS(%esp), %eax
	movl	%eax, DATA_SS(%ebx)
	jmp	2f
1:	leal	F32_SP(%esp), %eax
	movl	%eax, DATA_SP(%ebx)
	movl	%ss, %eax
	movl	%eax, DATA_SS(%ebx)
2:	movl	%cr2, %eax
	movl	%eax, DATA_CR2(%ebx)
	movl	%cr3, %eax
	movl	%eax, DATA_CR3(%ebx)
	movl	F32_AX(%esp), %eax
	movl	%eax, DATA_AX(%ebx)
	movl	F32_BX(%esp), %eax
	movl	%eax, DATA_BX(%ebx)
	movl	F32_CX(%esp), %eax
	movl	%eax, DATA_CX(%ebx)
	movl	F32_DX(%esp), %eax
	movl	%eax, DATA_DX(%ebx)
	movl	F32_SI(%esp), %eax
	movl	%eax, DATA_SI(%ebx)
	movl	F32_DI(%esp), %eax
	movl	%eax, DATA_DI(%ebx)
	movl	F32_BP(%esp), %eax
	movl	%eax, DATA_BP(%ebx)
	movl	F32_DS(%esp), %eax
	movl	%eax, DATA_DS(%ebx)
	movl	F32_ES(%esp), %eax
	movl	%eax, DATA_ES(%ebx)
	movw	%fs, DATA_FS(%ebx)
	movw	%gs, DATA_GS(%ebx)
	str	DATA_TR(%ebx)
	movl	%cr0, %eax
	movl	%eax, DATA_CR0(%ebx)
	movl	%cr4, %eax
	movl	%eax, DATA_CR4(%ebx)
	movl	%ecx, %esi
	movl	$0xc0000080, %ecx		/* IA32_EFER */
	rdmsr
	movl	%eax, DATA_EFER(%ebx)
	movl	%esi, %ecx
	movl	$DATA_FAULT, DATA_MAGIC(%ebx)
	movb	%cl, %al
	outb	%al, $BOOT_PORT_VERDICT		/* QEMU exits */
halt32:
	cli
	hlt
	jmp	halt32

/*
 * The 64-bit handlers, on IST1. The frame, after common64's pushes (the
 * CPU pushes ss and rsp in 64-bit mode whatever the ring):
 */
	.set	F64_R10, 0
	.set	F64_R9, 8
	.set	F64_R8, 16
	.set	F64_DI, 24
	.set	F64_SI, 32
	.set	F64_BP, 40
	.set	F64_BX, 48
	.set	F64_DX, 56
	.set	F64_CX, 64
	.set	F64_AX, 72
	.set	F64_VEC, 80
	.set	F64_ERR, 88
	.set	F64_IP, 96
	.set	F64_CS, 104
	.set	F64_FL, 112
	.set	F64_SP, 120
	.set	F64_SS, 128

#define PTE_ADDR	0x000ffffffffff000

	.code64
	.org	ROM_STUBS64
	.set	vec, 0
	.rept	256
	.balign	ROM_STUB_SIZE, 0xcc
	.if	!HAS_ERROR(vec)
	pushq	$0
	.endif
	pushq	$vec
	jmp	common64
	.set	vec, vec + 1
	.endr

	.balign	16, 0xcc
common64:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rbx
	pushq	%rbp
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	cld
	movabsq	$HOLE64_DATA, %rbx
	movq	F64_VEC(%rsp), %rcx
	testb	$3, F64_CS(%rsp)
	jz	fault64
	cmpq	$13, %rcx
	jne	bounce64
	movq	F64_IP(%rsp), %rsi
	movzwl	(%rsi), %eax
	cmpl	$(BOOT_PORT_CALL << 8 | 0xe6), %eax
	je	call64
	cmpl	$(BOOT_PORT_VERDICT << 8 | 0xe6), %eax
	je	verdict64
bounce64:
	BOUNCE	q, r, F64, fault64, resume64
call64:
	CALL_TRAPS q, r, F64
	jmp	9f
1:	cmpb	$BOOT_CALL_FRAME, %al
	jne	9f
	/* A frame of the domain's, not the hypervisor's ... */
	movq	F64_DI(%rsp), %rax
	cmpq	DATA_RESERVED(%rbx), %rax
	jb	9f
	cmpq	DATA_FRAMES(%rbx), %rax
	jae	9f
	/* ... to a page the guest's tables map present, user, writable. */
	movq	F64_SI(%rsp), %rdi
	testq	$0xfff, %rdi
	jnz	9f
	movq	%cr3, %r8
	movabsq	$PTE_ADDR, %r10
	andq	%r10, %r8
	movl	$39, %ecx
2:	movq	%rdi, %rax
	shrq	%cl, %rax
	andl	$511, %eax
	movabsq	$HOLE64_DIRECT, %r9
	addq	%r8, %r9
	movq	(%r9, %rax, 8), %rax
	movq	%rax, %r9
	andl	$7, %r9d
	cmpl	$7, %r9d			/* Present, Writable, User */
	jne	9f
	cmpl	$12, %ecx
	je	3f
	testb	$0x80, %al			/* a large page: not here */
	jnz	9f
3:	movq	%rax, %r8
	andq	%r10, %r8
	subl	$9, %ecx
	cmpl	$12, %ecx
	jae	2b
	shrq	$12, %r8
	cmpq	DATA_FRAMES(%rbx), %r8
	jae	9f
	/* Copy through the direct map: the page is writable, so no fault. */
	movq	F64_DI(%rsp), %rsi
	shlq	$12, %rsi
	movabsq	$HOLE64_DIRECT, %rax
	addq	%rax, %rsi
	shlq	$12, %r8
	leaq	(%rax, %r8), %rdi
	movl	$512, %ecx
	rep movsq
	xorl	%edx, %edx
9:	movq	%rdx, F64_AX(%rsp)
	addq	$2, F64_IP(%rsp)
resume64:
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rbp
	popq	%rbx
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp
	iretq
verdict64:
	movzbl	F64_AX(%rsp), %eax
	movq	%rax, DATA_VALUE(%rbx)
	movl	$DATA_VERDICT, DATA_MAGIC(%rbx)
	outb	%al, $BOOT_PORT_VERDICT		/* QEMU exits */
	jmp	halt64
fault64:
	movq	%rcx, DATA_VALUE(%rbx)
	movq	F64_ERR(%rsp), %rax
	movq	%rax, DATA_ERROR(%rbx)
	movq	F64_IP(%rsp), %rax
	movq	%rax, DATA_IP(%rbx)
	movq	F64_CS(%rsp), %rax
	movq	%rax, DATA_CS(%rbx)
	movq	F64_FL(%rsp), %rax
	movq	%rax, DATA_FLAGS(%rbx)
	movq	F64_SP(%rsp), %rax
	movq	%rax, DATA_SP(%rbx)
	movq	F64_SS(%rsp), %rax
	movq	%rax, DATA_SS(%rbx)
	movq	%cr2, %rax
	movq	%rax, DATA_CR2(%rbx)
	movq	%cr3, %rax
	movq	%rax, DATA_CR3(%rbx)
	movq	F64_AX(%rsp), %rax
	movq	%rax, DATA_AX(%rbx)
	movq	F64_BX(%rsp), %rax
	movq	%rax, DATA_BX(%rbx)
	movq	F64_CX(%rsp), %rax
	movq	%rax, DATA_CX(%rbx)
	movq	F64_DX(%rsp), %rax
	movq	%rax, DATA_DX(%rbx)
	movq	F64_SI(%rsp), %rax
	movq	%rax, DATA_SI(%rbx)
	movq	F64_DI(%rsp), %rax
	movq	%rax, DATA_DI(%rbx)
	movq	F64_BP(%rsp), %rax
	movq	%rax, DATA_BP(%rbx)
	movw	%ds, DATA_DS(%rbx)
	movw	%es, DATA_ES(%rbx)
	movw	%fs, DATA_FS(%rbx)
	movw	%gs, DATA_GS(%rbx)
	str	DATA_TR(%rbx)
	movq	%cr0, %rax
	movq	%rax, DATA_CR0(%rbx)
	movq	%cr4, %rax
	movq	%rax, DATA_CR4(%rbx)
	movq	%rcx, %rsi
	movl	$0xc0000080, %ecx		/* IA32_EFER */
	rdmsr
	movl	%eax, DATA_EFER(%rbx)
	movq	%rsi, %rcx
	movl	$DATA_FAULT, DATA_MAGIC(%rbx)
	movb	%cl, %al
	outb	%al, $BOOT_PORT_VERDICT		/* QEMU exits */
halt64:
	cli
	hlt
	jmp	halt64

	.org	0xfff0
reset:
	.code16
	jmp	start16
	.org	ROM_SIZE
