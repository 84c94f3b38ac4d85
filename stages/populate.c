/*
 * populate: plan the contents of every page of the bootstrap region: the
 * kernel's segments, the initrd, the phys-to-machine list, start_info,
 * shared_info and the initial vCPU context.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PROG "populate"
#define SYNOPSIS "populate [PLAN]"

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

static int
populate(const struct plan *plan, json_t **member, struct pv_err *e)
{
	const struct plan_elfinfo *ei = plan->elfinfo;
	const struct plan_layout *l = plan->layout;
	const struct plan_region *r = l->regions;
	struct plan_populate p;
	struct plan_vcpu *v = &p.vcpu;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.writes = calloc(2 * ei->nr_segments + 1, sizeof(*p.writes));
	if (p.writes == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	/* Each segment's file bytes at its address, the rest up to memsz
	 * zeroed (the seed's loadelfimage()). */
	for (i = 0; i < ei->nr_segments; i++) {
		const struct plan_segment *s = &ei->segments[i];

		if (s->filesz > 0)
			add_write(&p, l, s->vaddr, s->filesz, SOURCE_KERNEL,
			    s->offset);
		if (s->memsz > s->filesz)
			add_write(&p, l, s->vaddr + s->filesz,
			    s->memsz - s->filesz, SOURCE_ZERO, 0);
	}
	if (l->has_initrd && l->initrd.data_size > 0)
		add_write(&p, l, r[REGION_INITRD].start, l->initrd.data_size,
		    SOURCE_INITRD, 0);
	p.p2m.pfn = plan_region_pfn(l, REGION_P2M);
	p.p2m.entries = l->nr_pages;
	p.p2m.entry_size = 4;
	p.start_info.pfn = plan_region_pfn(l, REGION_START_INFO);
	p.start_info.va = r[REGION_START_INFO].start;
	p.start_info.nr_pages = l->nr_pages;
	p.start_info.flags = 0;
	p.start_info.pt_base = r[REGION_PAGETABLES].start;
	p.start_info.nr_pt_frames = l->nr_pt_pages;
	p.start_info.mfn_list = r[REGION_P2M].start;
	if (l->has_initrd && l->initrd.data_size > 0) {
		p.start_info.mod_start = r[REGION_INITRD].start;
		p.start_info.mod_len = l->initrd.data_size;
	}
	/* The seed copies at most MAX_CMDLINE - 1 bytes and terminates. */
	p.start_info.cmd_line_length = strlen(l->cmdline);
	if (p.start_info.cmd_line_length > X13_CMDLINE_MAX - 1)
		p.start_info.cmd_line_length = X13_CMDLINE_MAX - 1;
	p.shared_info.vcpus = 1;
	p.shared_info.upcall_mask = 1;
	/*
	 * The vCPU context of seed/ABI-1.3.md, with its stack fix: the seed
	 * pointed ESP at start_info, so the first push would land in the
	 * read-only page tables; the stack is the top of the boot-stack page.
	 */
	v->ip = ei->entry;
	v->sp = r[REGION_STACK].end;
	v->si = r[REGION_START_INFO].start;
	v->flags = 0x202;
	v->cs = X13_FLAT_CS;
	v->ds = v->es = v->fs = v->gs = v->ss = X13_FLAT_DS;
	v->kernel_ss = X13_FLAT_DS;
	v->kernel_sp = v->sp;
	v->trap_cs = X13_FLAT_CS;
	v->callback_cs = X13_FLAT_CS;
	*member = plan_populate_json(&p);
	free(p.writes);
	return 0;
}

int
main(int argc, char **argv)
{
	return cli_plain_stage(argc, argv, PROG, SYNOPSIS,
	    "Plans the contents of every page of the bootstrap region of the plan\n"
	    "(file PLAN or standard input).\n", populate);
}
