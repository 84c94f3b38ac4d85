/* SPDX-License-Identifier: ISC */
/*
 * Entry point, hypercall page and initialised data of the x86_64 xen-3.0
 * test guests (x64-basic, x64-nop2m, notes-sections).
 *
 * The builder enters _start in 64-bit mode with RSI = virtual address of
 * start_info and RSP = top of the boot stack (<xen/xen.h>, "Start-of-day
 * memory layout"), so nothing is set up here: the C code runs on the
 * builder's stack. RSP is 16-byte aligned at entry, so after the call
 * x64_main sees the alignment the System V AMD64 ABI promises.
 */
#include "xen3.h"

/*
 * The page the hypervisor fills with hypercall stubs (the HYPERCALL_PAGE
 * note). Until then it holds int3, so a call into an unfilled page traps
 * instead of running on. Its own section, so the linker script puts it on a
 * page boundary inside the text segment.
 */
	.section .text.hypercall, "ax", @progbits
	.balign	4096
	.globl	hypercall_page
	.type	hypercall_page, @object
hypercall_page:
	.fill	4096, 1, 0xcc
	.size	hypercall_page, . - hypercall_page

/*
 * After the C code and the hypercall page, so the entry is not the
 * kernel's first byte.
 */
	.section .text.entry, "ax", @progbits
	.code64
	.globl	_start
	.type	_start, @function
_start:
	cld
	movq	%rsi, %rdi
	call	x64_main
1:	hlt
	jmp	1b
	.size	_start, . - _start

	xen3_pattern_data

	.section .note.GNU-stack, "", @progbits
