/* SPDX-License-Identifier: ISC */
/*
 * The Xen ELF notes of the x86_64 guests (<xen/elfnote.h>), with the values
 * Debian's x86_64 Linux declares. Built twice: as it is for x64-basic and
 * notes-sections, and with XEN3_NO_INIT_P2M for x64-nop2m, which has no
 * INIT_P2M note (so the builder maps the phys-to-machine list itself) and
 * asks with MOD_START_PFN that the initrd be given by pfn, not mapped.
 */
#include "xen3.h"

	xen_note XEN_ELFNOTE_GUEST_OS, .asciz "linux"
	xen_note XEN_ELFNOTE_GUEST_VERSION, .asciz "2.6"
	xen_note XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0"
	xen_note XEN_ELFNOTE_VIRT_BASE, .quad X64_VIRT_BASE
	xen_note XEN_ELFNOTE_PADDR_OFFSET, .quad 0
	xen_note XEN_ELFNOTE_ENTRY, .quad _start
	xen_note XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page
	xen_note XEN_ELFNOTE_FEATURES, .asciz "!writable_page_tables|pae_pgdir_above_4gb"
	xen_note XEN_ELFNOTE_SUPPORTED_FEATURES, .long (1 << XENFEAT_writable_page_tables)
	xen_note XEN_ELFNOTE_PAE_MODE, .asciz "yes"
	/* Mask and value of a valid L1 entry: _PAGE_PRESENT, as in Linux. */
	xen_note XEN_ELFNOTE_L1_MFN_VALID, .quad 1, 1
	xen_note XEN_ELFNOTE_SUSPEND_CANCEL, .long 1
#ifdef XEN3_NO_INIT_P2M
	xen_note XEN_ELFNOTE_MOD_START_PFN, .long 1
#else
	xen_note XEN_ELFNOTE_INIT_P2M, .quad X64_INIT_P2M
#endif

	.section .note.GNU-stack, "", @progbits
