/* SPDX-License-Identifier: ISC */
/*
 * derive_populate.c: what the populate stage plans from the elfinfo and
 * layout members: the contents of every page of the bootstrap region (the
 * kernel's segments, the initrd, the phys-to-machine list, start_info,
 * shared_info) and the initial vCPU context. finalize derives it again to
 * hold a plan's populate member to it.
 */
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "guest.h"

static void
add_write(struct plan_populate *p, const struct plan_layout *l, uint64_t va,
    uint64_t length, enum plan_source source, uint64_t source_offset)
{
	struct plan_write *w = &p->writes[p->nr_writes++];

	w->pfn = (va - l->v_start) >> PV_PAGE_SHIFT;
	w->offset = (va - l->v_start) & (PV_PAGE_SIZE - 1);
	w->length = length;
	w->source = source;
	w->source_offset = source_offset;
}

int
derive_populate(const struct plan *plan, json_t **member, struct pv_err *e)
{
	const struct plan_elfinfo *ei = plan->elfinfo;
	const struct plan_layout *l = plan->layout;
	const struct plan_region *r = l->regions;
	const struct guest_ops *ops = ei->abi->ops;
	struct plan_populate p;
	uint64_t initrd_va;
	size_t i;

	if (ops->populate_whole != NULL) {
		if ((*member = ops->populate_whole(ei, l)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		return 0;
	}
	memset(&p, 0, sizeof(p));
	p.writes = calloc(2 * ei->nr_segments + 1, sizeof(*p.writes));
	if (p.writes == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	/* Each segment's file bytes at its address, the rest up to memsz
	 * zeroed (the seed's loadelfimage(), Xen's elf_load_binary()). */
	for (i = 0; i < ei->nr_segments; i++) {
		const struct plan_segment *s = &ei->segments[i];

		if (s->filesz > 0)
			add_write(&p, l, s->vaddr, s->filesz, SOURCE_KERNEL,
			    s->offset);
		if (s->memsz > s->filesz)
			add_write(&p, l, s->vaddr + s->filesz,
			    s->memsz - s->filesz, SOURCE_ZERO, 0);
	}
	/* An unmapped initrd (MOD_START_PFN) is placed by pfn, not va. */
	initrd_va = l->has_initrd_pfn ? l->v_start +
	    (l->initrd_pfn << PV_PAGE_SHIFT) : r[REGION_INITRD].start;
	if (l->has_initrd && l->initrd.data_size > 0)
		add_write(&p, l, initrd_va, l->initrd.data_size, SOURCE_INITRD, 0);
	p.p2m.pfn = l->p2m_map.present ? l->p2m_map.pfn :
	    plan_region_pfn(l, REGION_P2M);
	p.p2m.entries = l->nr_pages;
	p.p2m.entry_size = ei->abi->word;
	p.start_info.pfn = plan_region_pfn(l, REGION_START_INFO);
	p.start_info.va = r[REGION_START_INFO].start;
	p.start_info.nr_pages = l->nr_pages;
	p.start_info.pt_base = r[REGION_PAGETABLES].start;
	p.start_info.nr_pt_frames = l->nr_pt_pages;
	p.start_info.mfn_list = l->p2m_map.present ? l->p2m_map.va :
	    r[REGION_P2M].start;
	if (l->has_initrd && l->initrd.data_size > 0) {
		p.start_info.mod_start = l->has_initrd_pfn ? l->initrd_pfn :
		    r[REGION_INITRD].start;
		p.start_info.mod_len = l->initrd.data_size;
	}
	/* The seed and Xen copy one byte less than the field and end it. */
	p.start_info.cmd_line_length = strlen(l->cmdline);
	if (p.start_info.cmd_line_length > plan_cmdline_max(ei->abi) - 1)
		p.start_info.cmd_line_length = plan_cmdline_max(ei->abi) - 1;
	p.shared_info.upcall_mask = 1;
	p.shared_info.vcpus = l->vcpus;
	p.shared_info.masked_vcpu_info = ops->shared_info_vcpus;
	ops->start_info(&p, ei, l);
	ops->vcpu(&p.vcpu, ei, l);
	*member = plan_populate_json(&p, ei->abi);
	free(p.writes);
	return 0;
}
