/* SPDX-License-Identifier: ISC */
/*
 * Initialised data of a known pattern, more than a page long: guest_main
 * checks that the builder copied every byte of it from the image.
 */
#include "guest.h"

	.section .data.pattern, "aw", @progbits
	.balign	4
	.globl	guest_pattern
	.type	guest_pattern, @object
guest_pattern:
	.set	i, 0
	.rept	GUEST_PATTERN_WORDS
	.long	GUEST_PATTERN_BASE + i
	.set	i, i + 1
	.endr
	.size	guest_pattern, . - guest_pattern

	.section .note.GNU-stack, "", @progbits
