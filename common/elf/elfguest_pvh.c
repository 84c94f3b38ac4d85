/* SPDX-License-Identifier: ISC */
/*
 * elfguest_pvh.c: a kernel read as a PVH guest (elfinfo --pvh), as Xen
 * 4.17 reads one for an HVM container: the one declaration it needs is
 * the XEN_ELFNOTE_PHYS32_ENTRY note (<xen/elfnote.h>), the 32-bit
 * physical address the vCPU starts at with paging off
 * (docs/misc/pvh.pandoc); the other notes are read and kept, but a PVH
 * domain ignores VIRT_BASE and PADDR_OFFSET (libelf's
 * elf_xen_addr_calc_check takes both as 0 for an HVM container), so the
 * loadable segments lie at their physical addresses, p_paddr.
 */
#include "elfguest_int.h"
#include "xenhdr.h"

int
eg_inspect_pvh(struct image *im, struct decl *d, const char *by,
    struct plan_elfinfo *ei, struct pv_err *e)
{
	const struct abi *abi = &abi_table[ABI_PVH];

	if (by == NULL || !eg_note_num(d, "PHYS32_ENTRY", &ei->entry))
		return pv_fail(e, PV_EXIT_INPUT, "no XEN_ELFNOTE_PHYS32_ENTRY "
		    "note: not a PVH kernel");
	/*
	 * Linux writes the note as a pointer (_ASM_PTR): 8 bytes in a 64-bit
	 * kernel, which Xen reads as it reads any numeric note. Either width
	 * is taken; the value must be a 32-bit address, since the vCPU
	 * starts in 32-bit protected mode.
	 */
	if (d->phys32_size != 4 && d->phys32_size != 8)
		return pv_fail(e, PV_EXIT_INPUT, "note PHYS32_ENTRY: %llu bytes, "
		    "not a 4 or 8-byte address",
		    (unsigned long long)d->phys32_size);
	if (ei->entry > UINT32_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "note PHYS32_ENTRY: 0x%llx is "
		    "not a 32-bit physical address",
		    (unsigned long long)ei->entry);
	ei->abi = abi;
	ei->x3.declared_by = by;
	/* Segments at p_paddr, below 4 GiB (the ABI's va_limit). */
	if (eg_read_segments(im, 0, ei, e) < 0)
		return -1;
	if ((ei->kernel_start & (PV_PAGE_SIZE - 1)) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "the kernel's start 0x%llx is "
		    "not page aligned", (unsigned long long)ei->kernel_start);
	if (ei->kernel_end > abi->hv_start)
		return pv_fail(e, PV_EXIT_INPUT, "the kernel [0x%llx, 0x%llx) "
		    "reaches the MMIO hole below 4 GiB at 0x%llx",
		    (unsigned long long)ei->kernel_start,
		    (unsigned long long)ei->kernel_end,
		    (unsigned long long)abi->hv_start);
	if (ei->entry < ei->kernel_start || ei->entry >= ei->kernel_end)
		return pv_fail(e, PV_EXIT_INPUT, "PHYS32_ENTRY 0x%llx is outside "
		    "the loaded kernel [0x%llx, 0x%llx)",
		    (unsigned long long)ei->entry,
		    (unsigned long long)ei->kernel_start,
		    (unsigned long long)ei->kernel_end);
	return 0;
}
