/* SPDX-License-Identifier: ISC */
/*
 * Entry point, hypercall page and initialised data of the x86_32 PAE
 * xen-3.0 test guests (pae-basic, pae-bimodal, notes-legacy-pae).
 *
 * The builder enters _start in 32-bit protected mode with ESI = virtual
 * address of start_info and ESP = top of the boot stack (<xen/xen.h>,
 * "Start-of-day memory layout"), so nothing is set up here: the C code runs
 * on the builder's stack, as in the xen-1.3 guests (entry.S).
 */
#include "xen3.h"

/*
 * The page the hypervisor fills with hypercall stubs (the HYPERCALL_PAGE
 * note, or HYPERCALL_PAGE= in notes-legacy-pae's __xen_guest string). It
 * holds int3 until then; its own section, so the linker script puts it on a
 * page boundary inside the text segment.
 */
	.section .text.hypercall, "ax", @progbits
	.balign	4096
	.globl	hypercall_page
	.type	hypercall_page, @object
hypercall_page:
	.fill	4096, 1, 0xcc
	.size	hypercall_page, . - hypercall_page

/* After the C code and the hypercall page: not the kernel's first byte. */
	.section .text.entry, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	cld
	pushl	%esi
	call	pae_main
	addl	$4, %esp
1:	hlt
	jmp	1b
	.size	_start, . - _start

	xen3_pattern_data

	.section .note.GNU-stack, "", @progbits
