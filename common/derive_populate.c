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
#include "xenhdr.h"

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

/* The vCPU context of docs/xen-1.3.md, with its stack fix. */
static void
vcpu_xen13(struct plan_vcpu *v, const struct plan_elfinfo *ei,
    const struct plan_layout *l)
{
	/*
	 * The seed pointed ESP at start_info, so the first push would land
	 * in the read-only page tables; the stack is the top of the
	 * boot-stack page, as later Xen builders have it.
	 */
	v->ip = ei->entry;
	v->sp = l->regions[REGION_STACK].end;
	v->si = l->regions[REGION_START_INFO].start;
	v->flags = 0x202;
	v->cs = X13_FLAT_CS;
	v->ds = v->es = v->fs = v->gs = v->ss = X13_FLAT_DS;
	v->kernel_ss = X13_FLAT_DS;
	v->kernel_sp = v->sp;
	v->trap_cs = X13_FLAT_CS;
	v->callback_cs = X13_FLAT_CS;
}

/*
 * Xen 4.17's (vcpu_x86_32, vcpu_x86_64): the flat kernel selectors,
 * interrupts enabled, and the extended-cr3 assist for a PAE kernel that
 * can have its page directory above 4 GiB. Xen reads a PAE_MODE note of
 * "yes" as extended-cr3; only the legacy string separates the two.
 */
static void
vcpu_xen3(struct plan_vcpu *v, const struct plan_elfinfo *ei,
    const struct plan_layout *l)
{
	const struct plan_xen3 *x = &ei->x3;
	const char *pae = x->pae_mode;
	int extcr3;

	memset(v, 0, sizeof(*v));
	v->ip = ei->entry;
	v->sp = l->regions[REGION_STACK].end;
	v->si = l->regions[REGION_START_INFO].start;
	v->flags = 1 << 9;
	v->cs = ei->abi->cs;
	v->ds = v->es = v->fs = v->gs = ei->abi->ds;
	v->ss = v->kernel_ss = ei->abi->ss;
	v->kernel_sp = v->sp;
	extcr3 = pae != NULL && (strstr(pae, "bimodal") != NULL ||
	    strcmp(pae, "yes[extended-cr3]") == 0 ||
	    (strcmp(pae, "yes") == 0 &&
	    strcmp(x->declared_by, "guest_info") != 0));
	if (ei->abi->id == ABI_X86_32P && extcr3)
		v->vm_assist = 1u << VMASST_TYPE_pae_extended_cr3;
}

int
derive_populate(const struct plan *plan, json_t **member, struct pv_err *e)
{
	const struct plan_elfinfo *ei = plan->elfinfo;
	const struct plan_layout *l = plan->layout;
	const struct plan_region *r = l->regions;
	int xen3 = ei->abi->id != ABI_XEN13;
	struct plan_populate p;
	uint64_t initrd_va;
	size_t i;

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
	if (!xen3) {
		p.shared_info.vcpus = 1;
		vcpu_xen13(&p.vcpu, ei, l);
	} else {
		/* Xen's builder starts every domain with this flag. */
		p.start_info.flags = SIF_VIRT_P2M_4TOOLS |
		    (l->has_initrd_pfn && p.start_info.mod_len != 0 ?
		    SIF_MOD_START_PFN : 0);
		p.start_info.magic = ei->abi->name;
		p.start_info.store_pfn = plan_region_pfn(l, REGION_XENSTORE);
		p.start_info.console_pfn = plan_region_pfn(l, REGION_CONSOLE);
		if (l->p2m_map.present) {
			p.start_info.first_p2m_pfn = l->p2m_map.pfn;
			p.start_info.nr_p2m_frames = l->p2m_map.pages +
			    l->p2m_map.pt_pages;
		}
		p.shared_info.vcpus = XEN_LEGACY_MAX_VCPUS;
		p.has_hypercall_page = ei->x3.has_hypercall_page;
		p.hypercall_pfn = (ei->x3.hypercall_page - l->v_start) >>
		    PV_PAGE_SHIFT;
		vcpu_xen3(&p.vcpu, ei, l);
	}
	*member = plan_populate_json(&p, ei->abi);
	free(p.writes);
	return 0;
}
