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
 * The 32-bit handlers. Each stub pushes a zero where the CPU pushes no
 * error code, then the vector. The frame, after common32's pushes:
 */
#define F_ES	0
#define F_DS	4
#define F_EDI	8
#define F_ESI	12
#define F_EBP	16
#define F_EBX	24
#define F_EDX	28
#define F_ECX	32
#define F_EAX	36
#define F_VEC	40
#define F_ERR	44
#define F_EIP	48
#define F_CS	52
#define F_EFL	56
#define F_ESP	60		/* only from the guest's ring */
#define F_SS	64

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
	movl	F_VEC(%esp), %ecx
	testl	$3, F_CS(%esp)
	jz	fault32				/* boot's own: no guest to blame */
	cmpl	$13, %ecx
	jne	bounce32
	/* #GP on a port the TSS refuses: the two boot emulates. */
	movl	F_EIP(%esp), %esi
	movzwl	(%esi), %eax
	cmpl	$(BOOT_PORT_CALL << 8 | 0xe6), %eax	/* out %al, $CALL */
	je	call32
	cmpl	$(BOOT_PORT_VERDICT << 8 | 0xe6), %eax	/* out %al, $VERDICT */
	je	verdict32
bounce32:
	/* To the guest's handler (BOOT_CALL_TRAPS), as ports.h says. */
	movl	DATA_HANDLER(%ebx), %eax
	testl	%eax, %eax
	jz	fault32
	cmpl	$32, %ecx
	jae	fault32
	cmpl	$2, %ecx
	je	fault32
	cmpl	$8, %ecx
	je	fault32
	cmpl	$18, %ecx
	je	fault32
	cmpl	%eax, F_EIP(%esp)
	je	fault32
	cmpl	$MAX_BOUNCES, DATA_BOUNCES(%ebx)
	jae	fault32
	incl	DATA_BOUNCES(%ebx)
	movl	%ecx, F_EDI(%esp)
	movl	F_ERR(%esp), %edx
	movl	%edx, F_ESI(%esp)
	movl	%cr2, %edx
	movl	%edx, F_EDX(%esp)
	movl	F_EIP(%esp), %edx
	movl	%edx, F_ECX(%esp)
	movl	%eax, F_EIP(%esp)
	jmp	resume32
call32:
	movl	F_EAX(%esp), %eax
	movl	$-1, %edx
	cmpb	$BOOT_CALL_TRAPS, %al
	jne	1f
	movl	F_EDI(%esp), %eax
	movl	%eax, DATA_HANDLER(%ebx)
	xorl	%edx, %edx
1:	movl	%edx, F_EAX(%esp)
	addl	$2, F_EIP(%esp)
resume32:
	popl	%es
	popl	%ds
	popal
	addl	$8, %esp
	iretl
verdict32:
	movzbl	F_EAX(%esp), %eax
	movl	%eax, DATA_VALUE(%ebx)
	movl	$DATA_VERDICT, DATA_MAGIC(%ebx)
	outb	%al, $BOOT_PORT_VERDICT		/* QEMU exits */
	jmp	halt32
fault32:
	movl	%ecx, DATA_VALUE(%ebx)
	movl	F_ERR(%esp), %eax
	movl	%eax, DATA_ERROR(%ebx)
	movl	F_EIP(%esp), %eax
	movl	%eax, DATA_IP(%ebx)
	movl	F_CS(%esp), %eax
	movl	%eax, DATA_CS(%ebx)
	movl	F_EFL(%esp), %eax
	movl	%eax, DATA_FLAGS(%ebx)
	testl	$3, F_CS(%esp)
	jz	1f
	movl	F_ESP(%esp), %eax
	movl	%eax, DATA_SP(%ebx)
	movl	F_SS(%esp), %eax
	movl	%eax, DATA_SS(%ebx)
	jmp	2f
1:	leal	F_ESP(%esp), %eax
	movl	%eax, DATA_SP(%ebx)
	movl	%ss, %eax
	movl	%eax, DATA_SS(%ebx)
2:	movl	%cr2, %eax
	movl	%eax, DATA_CR2(%ebx)
	movl	%cr3, %eax
	movl	%eax, DATA_CR3(%ebx)
	movl	F_EAX(%esp), %eax
	movl	%eax, DATA_AX(%ebx)
	movl	F_EBX(%esp), %eax
	movl	%eax, DATA_BX(%ebx)
	movl	F_ECX(%esp), %eax
	movl	%eax, DATA_CX(%ebx)
	movl	F_EDX(%esp), %eax
	movl	%eax, DATA_DX(%ebx)
	movl	F_ESI(%esp), %eax
	movl	%eax, DATA_SI(%ebx)
	movl	F_EDI(%esp), %eax
	movl	%eax, DATA_DI(%ebx)
	movl	F_EBP(%esp), %eax
	movl	%eax, DATA_BP(%ebx)
	movl	F_DS(%esp), %eax
	movl	%eax, DATA_DS(%ebx)
	movl	F_ES(%esp), %eax
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
#define G_R10	0
#define G_R9	8
#define G_R8	16
#define G_RDI	24
#define G_RSI	32
#define G_RBP	40
#define G_RBX	48
#define G_RDX	56
#define G_RCX	64
#define G_RAX	72
#define G_VEC	80
#define G_ERR	88
#define G_RIP	96
#define G_CS	104
#define G_RFL	112
#define G_RSP	120
#define G_SS	128

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
	movq	G_VEC(%rsp), %rcx
	testb	$3, G_CS(%rsp)
	jz	fault64
	cmpq	$13, %rcx
	jne	bounce64
	movq	G_RIP(%rsp), %rsi
	movzwl	(%rsi), %eax
	cmpl	$(BOOT_PORT_CALL << 8 | 0xe6), %eax
	je	call64
	cmpl	$(BOOT_PORT_VERDICT << 8 | 0xe6), %eax
	je	verdict64
bounce64:
	movq	DATA_HANDLER(%rbx), %rax
	testq	%rax, %rax
	jz	fault64
	cmpq	$32, %rcx
	jae	fault64
	cmpq	$2, %rcx
	je	fault64
	cmpq	$8, %rcx
	je	fault64
	cmpq	$18, %rcx
	je	fault64
	cmpq	%rax, G_RIP(%rsp)
	je	fault64
	cmpq	$MAX_BOUNCES, DATA_BOUNCES(%rbx)
	jae	fault64
	incq	DATA_BOUNCES(%rbx)
	movq	%rcx, G_RDI(%rsp)
	movq	G_ERR(%rsp), %rdx
	movq	%rdx, G_RSI(%rsp)
	movq	%cr2, %rdx
	movq	%rdx, G_RDX(%rsp)
	movq	G_RIP(%rsp), %rdx
	movq	%rdx, G_RCX(%rsp)
	movq	%rax, G_RIP(%rsp)
	jmp	resume64
call64:
	movq	G_RAX(%rsp), %rax
	movq	$-1, %rdx
	cmpb	$BOOT_CALL_TRAPS, %al
	jne	1f
	movq	G_RDI(%rsp), %rax
	movq	%rax, DATA_HANDLER(%rbx)
	xorl	%edx, %edx
	jmp	9f
1:	cmpb	$BOOT_CALL_FRAME, %al
	jne	9f
	/* A frame of the domain's, not the hypervisor's ... */
	movq	G_RDI(%rsp), %rax
	cmpq	DATA_RESERVED(%rbx), %rax
	jb	9f
	cmpq	DATA_FRAMES(%rbx), %rax
	jae	9f
	/* ... to a page the guest's tables map present, user, writable. */
	movq	G_RSI(%rsp), %rdi
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
	movq	G_RDI(%rsp), %rsi
	shlq	$12, %rsi
	movabsq	$HOLE64_DIRECT, %rax
	addq	%rax, %rsi
	shlq	$12, %r8
	leaq	(%rax, %r8), %rdi
	movl	$512, %ecx
	rep movsq
	xorl	%edx, %edx
9:	movq	%rdx, G_RAX(%rsp)
	addq	$2, G_RIP(%rsp)
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
	movzbl	G_RAX(%rsp), %eax
	movq	%rax, DATA_VALUE(%rbx)
	movl	$DATA_VERDICT, DATA_MAGIC(%rbx)
	outb	%al, $BOOT_PORT_VERDICT		/* QEMU exits */
	jmp	halt64
fault64:
	movq	%rcx, DATA_VALUE(%rbx)
	movq	G_ERR(%rsp), %rax
	movq	%rax, DATA_ERROR(%rbx)
	movq	G_RIP(%rsp), %rax
	movq	%rax, DATA_IP(%rbx)
	movq	G_CS(%rsp), %rax
	movq	%rax, DATA_CS(%rbx)
	movq	G_RFL(%rsp), %rax
	movq	%rax, DATA_FLAGS(%rbx)
	movq	G_RSP(%rsp), %rax
	movq	%rax, DATA_SP(%rbx)
	movq	G_SS(%rsp), %rax
	movq	%rax, DATA_SS(%rbx)
	movq	%cr2, %rax
	movq	%rax, DATA_CR2(%rbx)
	movq	%cr3, %rax
	movq	%rax, DATA_CR3(%rbx)
	movq	G_RAX(%rsp), %rax
	movq	%rax, DATA_AX(%rbx)
	movq	G_RBX(%rsp), %rax
	movq	%rax, DATA_BX(%rbx)
	movq	G_RCX(%rsp), %rax
	movq	%rax, DATA_CX(%rbx)
	movq	G_RDX(%rsp), %rax
	movq	%rax, DATA_DX(%rbx)
	movq	G_RSI(%rsp), %rax
	movq	%rax, DATA_SI(%rbx)
	movq	G_RDI(%rsp), %rax
	movq	%rax, DATA_DI(%rbx)
	movq	G_RBP(%rsp), %rax
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
