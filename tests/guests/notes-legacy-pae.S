/* SPDX-License-Identifier: ISC */
/*
 * The declaration of notes-legacy-pae: an x86_32 PAE xen-3.0 guest that
 * has no ELF notes and says what it is in a __xen_guest section string, as
 * 32-bit XenLinux did before notes. HYPERCALL_PAGE is a page number counted
 * from VIRT_BASE; notes-legacy-pae.ld asserts that page 1 is hypercall_page.
 * As in XenLinux the section is not allocated, so it is in no segment.
 */
	.section __xen_guest, "", @progbits
	.asciz	"GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,ELF_PADDR_OFFSET=0xC0000000,HYPERCALL_PAGE=0x1,PAE=yes[extended-cr3],LOADER=generic"

	.section .note.GNU-stack, "", @progbits
