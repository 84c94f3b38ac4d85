/* SPDX-License-Identifier: ISC */
/*
 * The Xen ELF notes of the x86_32 PAE guests (<xen/elfnote.h>), in the
 * shape of old 32-bit XenLinux: p_paddr == p_vaddr, so PADDR_OFFSET equals
 * VIRT_BASE and the load address p_paddr - PADDR_OFFSET + VIRT_BASE is the
 * link address. Built twice: PAE_MODE "yes" for pae-basic, and with
 * XEN3_PAE_BIMODAL PAE_MODE "bimodal" for pae-bimodal. PAE_MODE is the last
 * note, as tests/mkbad3.py's pae-mode-overrun case wants it.
 */
#include "xen3.h"

	xen_note XEN_ELFNOTE_GUEST_OS, .asciz "linux"
	xen_note XEN_ELFNOTE_GUEST_VERSION, .asciz "2.6"
	xen_note XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0"
	xen_note XEN_ELFNOTE_VIRT_BASE, .long PAE_VIRT_BASE
	xen_note XEN_ELFNOTE_PADDR_OFFSET, .long PAE_VIRT_BASE
	xen_note XEN_ELFNOTE_ENTRY, .long _start
	xen_note XEN_ELFNOTE_HYPERCALL_PAGE, .long hypercall_page
	xen_note XEN_ELFNOTE_FEATURES, .asciz "writable_page_tables|pae_pgdir_above_4gb"
#ifdef XEN3_PAE_BIMODAL
	xen_note XEN_ELFNOTE_PAE_MODE, .asciz "bimodal"
#else
	xen_note XEN_ELFNOTE_PAE_MODE, .asciz "yes"
#endif

	.section .note.GNU-stack, "", @progbits
