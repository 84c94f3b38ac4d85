/* SPDX-License-Identifier: ISC */
/*
 * Entry point and ABI declaration of the pvbuild test guests.
 *
 * The xen-1.3 builder (Xen 1.3's, docs/xen-1.3.md) enters _start in ring 1 with
 * ESI = virtual address of start_info and ESP = top of the boot stack, so
 * nothing is set up here: the C code runs on the builder's stack.
 */
#include "guest.h"

/*
 * The declaration the seed looks for: a section named __xen_guest whose
 * string contains GUEST_OS=linux and XEN_VER=1.3. As in XenLinux 2.4's
 * head.S it is not allocated, so it is in no segment.
 */
	.section __xen_guest, "", @progbits
	.asciz	"GUEST_OS=linux,GUEST_VER=2.4,XEN_VER=1.3,LOADER=generic"

/* A section of its own, so each linker script decides where the entry lies. */
	.section .text.entry, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	cld
	pushl	%esi
	call	guest_main
	addl	$4, %esp
1:	hlt
	jmp	1b
	.size	_start, . - _start

	.section .note.GNU-stack, "", @progbits
