/* SPDX-License-Identifier: ISC */
/*
 * xen3.c: the two xen-3.0 guest types, x86_32 PAE and x86_64 (guest.h), as
 * Xen 4.17 reads and builds them: what the kernel declares (notes or a
 * legacy __xen_guest string), the placement of the bootstrap region
 * (xc_dom_build_image, alloc_pgtables_pv), start_info and the first vCPU.
 * The two tables differ in data (where the hypervisor's hole lies,
 * INIT_P2M, the extended-cr3 assist, the guest's width) and in the
 * layout of start_info, which is the width's.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "pt.h"
#include "xenhdr.h"

/*
 * The ceiling on a domain's vCPUs: the one Xen's public headers give, the
 * vCPUs an hvm_info_table has room for. A PV guest beyond
 * XEN_LEGACY_MAX_VCPUS registers its vcpu_info itself, as Linux does.
 */
#include <xen/hvm/hvm_info_table.h>

static const char *const layout_keys[] = { "memory", "nr_pages", "initrd",
    "cmdline", "v_start", "v_end", "nr_pt_pages", "regions", "initrd_pfn",
    "p2m_mapping", "vcpus", "maxmem", "name", "disks", "nics", NULL };
/* Xen 4.17's order (xc_dom_build_image). */
static const enum plan_region_id regions[] = {
	REGION_KERNEL, REGION_INITRD, REGION_P2M, REGION_START_INFO,
	REGION_XENSTORE, REGION_CONSOLE, REGION_PAGETABLES, REGION_STACK,
};

/*
 * Xen 4.17's (vcpu_x86_32, vcpu_x86_64): the flat kernel selectors,
 * interrupts enabled, and the extended-cr3 assist for a PAE kernel that
 * can have its page directory above 4 GiB. Xen reads a PAE_MODE note of
 * "yes" as extended-cr3; only the legacy string separates the two.
 */
static void
xen3_vcpu(struct plan_vcpu *v, const struct plan_elfinfo *ei,
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
	if (ei->abi->ops->extended_cr3 && extcr3)
		v->vm_assist = 1u << VMASST_TYPE_pae_extended_cr3;
}

/*
 * The placement rules, which the layout stage solves with and every reader
 * of the layout checks with: the size of each region but the page tables'
 * (whose count is l->nr_pt_pages), the tables [v_start, v_end) needs, the
 * hole the region must not reach, and what follows the region in pfns.
 */
static uint64_t
region_size(const struct plan_elfinfo *ei, const struct plan_layout *l,
    enum plan_region_id id)
{
	const struct plan_xen3 *x = &ei->x3;

	switch (id) {
	case REGION_KERNEL:
		return ei->kernel_end - ei->kernel_start;
	case REGION_INITRD:
		return l->has_initrd && !x->mod_start_pfn ?
		    l->initrd.data_size : 0;
	case REGION_P2M:
		/* nr_pages is capped by max_memory: this cannot wrap. */
		return x->has_init_p2m ? 0 : l->nr_pages * ei->abi->word;
	case REGION_PAGETABLES:
		return l->nr_pt_pages << PV_PAGE_SHIFT;
	default:
		return PV_PAGE_SIZE;
	}
}

static int
region_tables(const struct plan_elfinfo *ei, const struct plan_layout *l,
    uint64_t v_end, uint64_t pt_va, struct pt_geometry *g, struct pv_err *e)
{
	memset(g, 0, sizeof(*g));
	g->abi = ei->abi;
	return pt_add_mapping(g, l->v_start, v_end - 1, 0,
	    (pt_va - l->v_start) >> PV_PAGE_SHIFT, e);
}

/* Where the hole begins that the region must end below, if it lies at
 * the top of the space: HV_START_LOW may lower it (Xen honours it for
 * x86_32 guests only). */
static uint64_t
hole_start(const struct plan_elfinfo *ei)
{
	const struct plan_xen3 *x = &ei->x3;
	const struct abi *abi = ei->abi;

	if (abi->ops->hole_at_top && x->has_hv_start_low &&
	    x->hv_start_low < abi->hv_start)
		return x->hv_start_low;
	return abi->hv_start;
}

/* The start of the hole [v_start, v_end) reaches, or 0. */
static uint64_t
hole_reached(const struct plan_elfinfo *ei, uint64_t v_start, uint64_t v_end)
{
	const struct abi *abi = ei->abi;

	if (abi->ops->hole_at_top)
		return v_end > hole_start(ei) ? hole_start(ei) : 0;
	return v_start < abi->hv_end && v_end > abi->hv_start ?
	    abi->hv_start : 0;
}

/*
 * What the guest takes apart, in the pfns after the bootstrap region of
 * l: an initrd left unmapped (MOD_START_PFN), then the p2m list and its
 * own tables mapped at INIT_P2M (g holds the region's mapping). Fills
 * want's initrd_pfn and p2m_map and *used, the pfns the build needs;
 * -1 when the p2m list's mapping cannot be made, *used still set.
 */
static int
after_region(const struct plan_elfinfo *ei, const struct plan_layout *l,
    struct pt_geometry *g, struct plan_layout *want, uint64_t *used,
    struct pv_err *e)
{
	const struct plan_xen3 *x = &ei->x3;

	*used = plan_bootstrap_pages(l);
	if (l->has_initrd && x->mod_start_pfn) {
		want->has_initrd_pfn = 1;
		want->initrd_pfn = *used;
		*used += (l->initrd.data_size + PV_PAGE_SIZE - 1) >>
		    PV_PAGE_SHIFT;
	}
	if (!x->has_init_p2m)
		return 0;
	want->p2m_map.present = 1;
	want->p2m_map.va = x->init_p2m;
	want->p2m_map.pfn = *used;
	want->p2m_map.pages = (l->nr_pages * ei->abi->word + PV_PAGE_SIZE -
	    1) >> PV_PAGE_SHIFT;
	if (pt_add_mapping(g, want->p2m_map.va, want->p2m_map.va +
	    (want->p2m_map.pages << PV_PAGE_SHIFT) - 1, *used,
	    *used + want->p2m_map.pages, e) < 0)
		return -1;
	want->p2m_map.pt_pages = g->map[1].nr_tables;
	*used += want->p2m_map.pages + want->p2m_map.pt_pages;
	return 0;
}

/*
 * Xen 4.17's placement (xc_dom_build_image and alloc_pgtables_pv): from
 * virt_base, the kernel, the initrd (unless the guest takes it by pfn),
 * the p2m list (unless the guest maps it apart), start_info, xenstore,
 * console, the page tables, the boot stack; then the region is padded to
 * a 4 MiB boundary with at least 512 KiB to spare, the page-table count
 * solved by trying until the tables fit. What the guest takes apart
 * follows in the pfns after the region.
 */
static int
xen3_layout_solve(const struct plan_elfinfo *ei, struct plan_layout *l,
    struct pv_err *e)
{
	const uint64_t extra = 1 + (512 * 1024) / PV_PAGE_SIZE, four = 4 << 20;
	uint64_t va, pages, try_end, used, limit, p2m_bytes, at;
	struct pt_geometry g;
	int tries;
	size_t i;

	if (pv_mul(l->nr_pages, ei->abi->word, &p2m_bytes) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "--memory: too large");
	l->v_start = ei->x3.virt_base;
	va = ei->kernel_start;
	for (i = 0; regions[i] != REGION_PAGETABLES; i++)
		if (guest_place(l, regions[i], &va, region_size(ei, l,
		    regions[i]), e) < 0)
			return -1;
	/* The region must not run into the hole (or off the end). */
	limit = ei->abi->ops->hole_at_top ? hole_start(ei) : UINT64_MAX;
	for (pages = extra, tries = 0;; tries++) {
		if (tries > 64 || pv_add(va, pages << PV_PAGE_SHIFT, &try_end) < 0 ||
		    pv_roundup(try_end, four, &try_end) < 0 || try_end == 0 ||
		    try_end > limit) {
			if (limit == UINT64_MAX || try_end == 0 || tries > 64)
				return pv_fail(e, PV_EXIT_INPUT, "the bootstrap "
				    "region from 0x%llx runs off the end of the "
				    "address space", (unsigned long long)
				    l->v_start);
			l->v_end = try_end;
			return guest_hole(l, limit, e);
		}
		if (region_tables(ei, l, try_end, va, &g, e) < 0)
			return -1;
		pages = g.map[0].nr_tables + extra;
		if (va + (pages << PV_PAGE_SHIFT) <= try_end)
			break;
	}
	l->v_end = try_end;
	l->nr_pt_pages = g.map[0].nr_tables;
	for (; i < ei->abi->ops->nr_regions; i++)
		if (guest_place(l, regions[i], &va, region_size(ei, l,
		    regions[i]), e) < 0)
			return -1;
	if ((at = hole_reached(ei, l->v_start, l->v_end)) != 0)
		return guest_hole(l, at, e);
	if (plan_bootstrap_pages(l) > l->nr_pages)
		return guest_too_small(l, l->v_end - l->v_start, e);
	if (after_region(ei, l, &g, l, &used, e) < 0)
		return pv_wrap(e, "INIT_P2M");
	if (used > l->nr_pages)
		return guest_too_small(l, used << PV_PAGE_SHIFT, e);
	return 0;
}

/* The same rules, checked against a plan's own numbers. */
static int
xen3_layout_check(const struct plan_elfinfo *ei, const struct plan_layout *l,
    struct pv_err *e)
{
	const struct plan_region *r = l->regions;
	const struct abi *abi = ei->abi;
	struct plan_layout want;
	struct pt_geometry g;
	struct pv_err after;
	uint64_t used, at;
	int rc;

#define BAD(...) pv_fail(e, PV_EXIT_INPUT, __VA_ARGS__)
#define SIZE(id) (r[id].end - r[id].start)
	if (l->v_start != ei->x3.virt_base)
		return BAD("layout.v_start: not elfinfo.virt_base");
	if (SIZE(REGION_INITRD) != region_size(ei, l, REGION_INITRD))
		return BAD("layout.regions: the initrd region's size is wrong");
	if (SIZE(REGION_P2M) != region_size(ei, l, REGION_P2M))
		return BAD("layout.regions: the p2m region is not %u bytes per "
		    "page of the domain", abi->word);
	if (SIZE(REGION_START_INFO) != region_size(ei, l, REGION_START_INFO) ||
	    SIZE(REGION_XENSTORE) != region_size(ei, l, REGION_XENSTORE) ||
	    SIZE(REGION_CONSOLE) != region_size(ei, l, REGION_CONSOLE) ||
	    SIZE(REGION_STACK) != region_size(ei, l, REGION_STACK))
		return BAD("layout.regions: start_info, xenstore, console and "
		    "stack are one page each");
	if (SIZE(REGION_PAGETABLES) != region_size(ei, l, REGION_PAGETABLES))
		return BAD("layout.nr_pt_pages: not the pagetables region");
#undef SIZE
	if (region_tables(ei, l, l->v_end, r[REGION_PAGETABLES].start, &g,
	    e) < 0)
		return pv_wrap(e, "layout");
	if (g.map[0].nr_tables != l->nr_pt_pages)
		return BAD("layout.nr_pt_pages: %llu, but the region needs %llu",
		    (unsigned long long)l->nr_pt_pages,
		    (unsigned long long)g.map[0].nr_tables);
	/* At least 512 KiB of padding after the stack (Xen's extra pages). */
	if (l->v_end - r[REGION_STACK].end < 512 * 1024)
		return BAD("layout.v_end: less than 512 KiB after the stack");
	if ((at = hole_reached(ei, l->v_start, l->v_end)) != 0)
		return BAD("layout.v_end: the bootstrap region [0x%llx, 0x%llx) "
		    "reaches the hypervisor's hole at 0x%llx",
		    (unsigned long long)l->v_start, (unsigned long long)l->v_end,
		    (unsigned long long)at);
	/* What follows the region: its own rules' answer, then compared. */
	memset(&want, 0, sizeof(want));
	rc = after_region(ei, l, &g, &want, &used, &after);
	if (l->has_initrd_pfn != want.has_initrd_pfn)
		return BAD("layout.initrd_pfn: present exactly when an initrd "
		    "is left unmapped (MOD_START_PFN)");
	if (l->has_initrd_pfn && l->initrd_pfn != want.initrd_pfn)
		return BAD("layout.initrd_pfn: not the first pfn after the "
		    "bootstrap region");
	if (l->p2m_map.present != want.p2m_map.present)
		return BAD("layout.p2m_mapping: present exactly when the guest "
		    "asks for INIT_P2M");
	if (l->p2m_map.present) {
		if (l->p2m_map.va != want.p2m_map.va ||
		    l->p2m_map.pfn != want.p2m_map.pfn ||
		    l->p2m_map.pages != want.p2m_map.pages)
			return BAD("layout.p2m_mapping: not INIT_P2M's address "
			    "at the next free pfn with %llu pages",
			    (unsigned long long)want.p2m_map.pages);
		if (rc < 0) {
			*e = after;
			return pv_wrap(e, "layout.p2m_mapping");
		}
		if (l->p2m_map.pt_pages != want.p2m_map.pt_pages)
			return BAD("layout.p2m_mapping.pt_pages: %llu, but the "
			    "mapping needs %llu",
			    (unsigned long long)l->p2m_map.pt_pages,
			    (unsigned long long)want.p2m_map.pt_pages);
	}
	if (used > l->nr_pages)
		return BAD("layout.nr_pages: the domain's %llu pages cannot "
		    "hold the %llu the build needs",
		    (unsigned long long)l->nr_pages, (unsigned long long)used);
#undef BAD
	return 0;
}

/* What Xen's builder sets in start_info beyond the seed's fields. */
static void
xen3_start_info(struct plan_populate *p, const struct plan_elfinfo *ei,
    const struct plan_layout *l)
{
	/*
	 * Xen's builder on its own would start the domain with
	 * SIF_VIRT_P2M_4TOOLS (xc_dom_allocate's default), but libxl, which
	 * xl create drives, sets the flags to 0 before it builds a PV
	 * domain (libxl__build_pv), and the guest must see what it sees
	 * under xl: without the flag Linux builds the three-level frame
	 * list of its p2m for the tools, which costs it four pages of a
	 * 256 MiB guest (16 kB of MemTotal, measured in the Xen VM). Only
	 * an initrd given by pfn sets a bit.
	 */
	p->start_info.flags = l->has_initrd_pfn && p->start_info.mod_len != 0 ?
	    SIF_MOD_START_PFN : 0;
	p->start_info.magic = ei->abi->name;
	p->start_info.store_pfn = plan_region_pfn(l, REGION_XENSTORE);
	p->start_info.console_pfn = plan_region_pfn(l, REGION_CONSOLE);
	if (l->p2m_map.present) {
		p->start_info.first_p2m_pfn = l->p2m_map.pfn;
		p->start_info.nr_p2m_frames = l->p2m_map.pages +
		    l->p2m_map.pt_pages;
	}
	p->has_hypercall_page = ei->x3.has_hypercall_page;
	p->hypercall_pfn = (ei->x3.hypercall_page - l->v_start) >>
	    PV_PAGE_SHIFT;
}

/*
 * start_info of <xen/xen.h>, in the guest's own layout: the foreign
 * headers give both, whatever this host is. The guest is little-endian,
 * as this host is (x86).
 */
#define START_INFO_PAGE(name, type)					\
static void								\
name(uint8_t *page, const struct plan *p, const struct guest_machine *m) \
{									\
	const struct plan_populate *pp = p->populate;			\
	type si;							\
									\
	memset(&si, 0, sizeof(si));					\
	strncpy(si.magic, pp->start_info.magic, sizeof(si.magic) - 1);	\
	si.nr_pages = pp->start_info.nr_pages;				\
	si.shared_info = m->shared_info_mfn << PV_PAGE_SHIFT;		\
	si.flags = (uint32_t)pp->start_info.flags;			\
	si.store_mfn = m->store_mfn;					\
	si.store_evtchn = m->store_port;				\
	si.console.domU.mfn = m->console_ring_mfn;			\
	si.console.domU.evtchn = m->console_port;			\
	si.pt_base = pp->start_info.pt_base;				\
	si.nr_pt_frames = pp->start_info.nr_pt_frames;			\
	si.mfn_list = pp->start_info.mfn_list;				\
	si.mod_start = pp->start_info.mod_start;			\
	si.mod_len = pp->start_info.mod_len;				\
	memcpy(si.cmd_line, p->layout->cmdline,				\
	    (size_t)pp->start_info.cmd_line_length);			\
	si.first_p2m_pfn = pp->start_info.first_p2m_pfn;		\
	si.nr_p2m_frames = pp->start_info.nr_p2m_frames;		\
	memcpy(page, &si, sizeof(si));					\
}

START_INFO_PAGE(x86_32_start_info_page, start_info_x86_32_t)
START_INFO_PAGE(x86_64_start_info_page, start_info_x86_64_t)

/* What the two tables share: all but where the hole lies, INIT_P2M, the
 * assists and what goes with the guest's width. */
#define XEN3_OPS \
	.elfinfo_keys = guest_xen3_elfinfo_keys, \
	.segment_keys = guest_xen3_segment_keys, .segment_paddr = 1, \
	.load_flags = "rwx", .elfinfo_read = guest_xen3_elfinfo_read, \
	.elfinfo_json = guest_xen3_elfinfo_json, .layout_keys = layout_keys, \
	.regions = regions, \
	.nr_regions = sizeof(regions) / sizeof(regions[0]), \
	.layout_solve = xen3_layout_solve, .layout_check = xen3_layout_check, \
	.layout_read = guest_xen3_layout_read, \
	.layout_json = guest_xen3_layout_json, \
	.cmdline_max = 1024, .shared_info_vcpus = XEN_LEGACY_MAX_VCPUS, \
	.max_vcpus = HVM_MAX_VCPUS, \
	.start_info = xen3_start_info, .vcpu = xen3_vcpu, \
	.populate_keys = guest_xen3_populate_keys, \
	.start_info_keys = guest_xen3_start_info_keys, \
	.vcpu_keys = guest_xen3_vcpu_keys, \
	.start_info_read = guest_xen3_start_info_read, \
	.populate_read = guest_xen3_populate_read, \
	.populate_json = guest_xen3_populate_json, \
	.pagetables = guest_xen3_pagetables, \
	.start_info_flags = SIF_MOD_START_PFN | SIF_VIRT_P2M_4TOOLS, \
	.null_callback_cs = 1, .trap_entries = 0, .context_assists = 1, \
	.xen_builds = 1

/* The assists Xen 4.17 offers every PV guest. */
#define XEN3_ASSISTS (1ULL << VMASST_TYPE_4gb_segments | \
	1ULL << VMASST_TYPE_4gb_segments_notify | \
	1ULL << VMASST_TYPE_writable_pagetables | \
	1ULL << VMASST_TYPE_pae_extended_cr3 | \
	1ULL << VMASST_TYPE_architectural_iopl | \
	1ULL << VMASST_TYPE_runstate_update_flag)

const struct guest_ops guest_xen3_x86_32p = {
	XEN3_OPS,
	.max_memory = 64ULL << 30,	/* PAE's 36-bit physical space */
	.hole_at_top = 1,
	.extended_cr3 = 1,
	.vm_assists = XEN3_ASSISTS,
	.start_info_page = x86_32_start_info_page,
	.vcpu_info_size = sizeof(struct vcpu_info_x86_32),
	.upcall_mask_offset = offsetof(struct vcpu_info_x86_32,
	    evtchn_upcall_mask),
	.top_below_4g = 1,
};

const struct guest_ops guest_xen3_x86_64 = {
	XEN3_OPS,
	.max_memory = 1ULL << 40,	/* 1 TiB */
	.takes_init_p2m = 1,
	.vm_assists = XEN3_ASSISTS | 1ULL << VMASST_TYPE_m2p_strict,
	.start_info_page = x86_64_start_info_page,
	.vcpu_info_size = sizeof(struct vcpu_info_x86_64),
	.upcall_mask_offset = offsetof(struct vcpu_info_x86_64,
	    evtchn_upcall_mask),
	.upper_user = 1, .long_mode = 1,
};
