/* SPDX-License-Identifier: ISC */
/*
 * xen13.c: the xen-1.3 guest type (guest.h), as the seed builds it
 * (docs/xen-1.3.md): a 2-level x86_32 kernel declared by a __xen_guest
 * string, its bootstrap region, its first vCPU and its page tables.
 */
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "pt.h"

#define FOUR_MB ((uint64_t)1 << X13_L2_SHIFT)
#define ENTRIES 1024		/* per 2-level x86_32 table */

static const char *const elfinfo_keys[] = { "abi", "arch", "paging_levels",
    "image", "guest_info", "kernel_start", "kernel_end", "entry",
    "segments", NULL };
static const char *const segment_keys[] = { "vaddr", "offset", "filesz",
    "memsz", "flags", NULL };
static const char *const layout_keys[] = { "memory", "nr_pages", "initrd",
    "cmdline", "v_start", "v_end", "nr_pt_pages", "regions", "vcpus",
    "maxmem", "name", "disks", "nics", NULL };
static const char *const populate_keys[] = { "writes", "p2m",
    "start_info", "shared_info", "vcpu", NULL };
static const char *const start_info_keys[] = { "pfn", "va", "nr_pages",
    "flags", "flag_names", "pt_base", "nr_pt_frames", "mfn_list", "mod_start", "mod_len",
    "cmd_line_length", NULL };
static const char *const vcpu_keys[] = { "ip", "sp", "si", "flags", "cs",
    "ds", "es", "fs", "gs", "ss", "kernel_ss", "kernel_sp", "trap_cs",
    "callback_cs", NULL };
/* The seed's order. */
static const enum plan_region_id regions[] = {
	REGION_KERNEL, REGION_INITRD, REGION_P2M, REGION_PAGETABLES,
	REGION_START_INFO, REGION_STACK,
};

/* A xen-1.3 plan holds nothing beyond what every type has. */
static int
xen13_elfinfo_read(json_t *obj, struct plan_elfinfo *ei, struct pv_err *e)
{
	return 0;
}

static int
xen13_elfinfo_json(json_t *o, const struct plan_elfinfo *ei)
{
	return 0;
}

static int
xen13_layout_read(json_t *obj, struct plan_layout *l, struct pv_err *e)
{
	return 0;
}

static int
xen13_layout_json(json_t *o, const struct plan_layout *l)
{
	return 0;
}

/*
 * The seed's placement after the kernel, which the layout stage solves
 * with and every reader of the layout checks with: the initrd at the
 * kernel's page end, the p2m list (4 bytes a page) at the initrd's.
 */
static int
place_initrd_p2m(const struct plan_elfinfo *ei, const struct plan_layout *l,
    struct plan_region *r)
{
	uint64_t initrd_len = l->has_initrd ? l->initrd.data_size : 0;

	return pv_roundup(ei->kernel_end, PV_PAGE_SIZE,
	    &r[REGION_INITRD].start) < 0 ||
	    pv_add(r[REGION_INITRD].start, initrd_len,
	    &r[REGION_INITRD].end) < 0 ||
	    pv_roundup(r[REGION_INITRD].end, PV_PAGE_SIZE,
	    &r[REGION_P2M].start) < 0 ||
	    pv_add(r[REGION_P2M].start, l->nr_pages * 4, &r[REGION_P2M].end) < 0 ?
	    -1 : 0;
}

/* Enough page-table pages for the region: its L1s and the directory. */
static int
tables_map(const struct plan_layout *l)
{
	return l->nr_pt_pages >= ((l->v_end - l->v_start) >> X13_L2_SHIFT) + 1;
}

/* The region reaches the hypervisor's hole; it is larger than the domain. */
static int
in_hole(const struct plan_elfinfo *ei, const struct plan_layout *l)
{
	return l->v_end > ei->abi->hv_start;
}

static int
too_big(const struct plan_layout *l)
{
	return l->v_end - l->v_start > l->memory;
}

/*
 * The seed's simultaneous equations: the number of page-table pages depends
 * on the size of the bootstrap region, which depends on the number of
 * page-table pages (each is mapped). Solved, as the seed solves them, by
 * trying counts from 2 up; the answer is never more than one L1 per 4 MiB
 * of a 4 GiB space plus the directory, which bounds the loop.
 */
static int
xen13_layout_solve(const struct plan_elfinfo *ei, struct plan_layout *l,
    struct pv_err *e)
{
	struct plan_region *r = l->regions;
	uint64_t t;

	l->v_start = ei->kernel_start & ~(FOUR_MB - 1);
	r[REGION_KERNEL].start = ei->kernel_start;
	r[REGION_KERNEL].end = ei->kernel_end;
	for (l->nr_pt_pages = 2; l->nr_pt_pages <= 1025; l->nr_pt_pages++) {
		if (place_initrd_p2m(ei, l, r) < 0 ||
		    pv_roundup(r[REGION_P2M].end, PV_PAGE_SIZE,
		    &r[REGION_PAGETABLES].start) < 0 ||
		    pv_add(r[REGION_PAGETABLES].start, l->nr_pt_pages <<
		    PV_PAGE_SHIFT, &r[REGION_PAGETABLES].end) < 0 ||
		    pv_add(r[REGION_PAGETABLES].end, 2 * PV_PAGE_SIZE, &t) < 0 ||
		    pv_roundup(t, FOUR_MB, &l->v_end) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "the bootstrap region "
			    "overflows the address space");
		r[REGION_START_INFO].start = r[REGION_PAGETABLES].end;
		r[REGION_START_INFO].end = r[REGION_START_INFO].start +
		    PV_PAGE_SIZE;
		r[REGION_STACK].start = r[REGION_START_INFO].end;
		r[REGION_STACK].end = t;
		/* At least 512 KiB of padding after the stack. */
		if (l->v_end - t < 512 * 1024)
			l->v_end += FOUR_MB;
		if (in_hole(ei, l) || tables_map(l))
			break;
	}
	if (too_big(l))
		return pv_fail(e, PV_EXIT_INPUT, "--memory: initial guest OS "
		    "requires too much space (%lluMB is greater than %lluMB "
		    "limit)", (unsigned long long)((l->v_end - l->v_start) >> 20),
		    (unsigned long long)(l->memory >> 20));
	if (in_hole(ei, l))
		return guest_hole(l, ei->abi->hv_start, e);
	return 0;
}

/* The same rules, checked against a plan's own numbers. */
static int
xen13_layout_check(const struct plan_elfinfo *ei, const struct plan_layout *l,
    struct pv_err *e)
{
	const struct plan_region *r = l->regions;
	struct plan_region want[NR_REGIONS];

#define BAD(...) pv_fail(e, PV_EXIT_INPUT, __VA_ARGS__)
#define SIZE(reg, id) (reg[id].end - reg[id].start)
	if (in_hole(ei, l))
		return BAD("layout.v_end: 0x%llx reaches the hypervisor hole at "
		    "0x%llx", (unsigned long long)l->v_end,
		    (unsigned long long)ei->abi->hv_start);
	if (too_big(l))
		return BAD("layout.v_end: the bootstrap region is larger than "
		    "the domain");
	memset(want, 0, sizeof(want));
	if (place_initrd_p2m(ei, l, want) < 0 ||
	    r[REGION_INITRD].start != want[REGION_INITRD].start ||
	    SIZE(r, REGION_INITRD) != SIZE(want, REGION_INITRD))
		return BAD("layout.regions[1]: not the initrd's place and size");
	if (SIZE(r, REGION_P2M) != SIZE(want, REGION_P2M))
		return BAD("layout.regions[2]: not 4 bytes per page of the "
		    "domain");
	if (!tables_map(l) || SIZE(r, REGION_PAGETABLES) !=
	    l->nr_pt_pages << PV_PAGE_SHIFT)
		return BAD("layout.nr_pt_pages: %llu pages cannot map the "
		    "region or do not match the pagetables region",
		    (unsigned long long)l->nr_pt_pages);
	if (SIZE(r, REGION_START_INFO) != PV_PAGE_SIZE ||
	    SIZE(r, REGION_STACK) != PV_PAGE_SIZE)
		return BAD("layout.regions: start_info and stack are one page "
		    "each");
#undef SIZE
#undef BAD
	return 0;
}

/* The seed sets no start_info field beyond what every type has. */
static void
xen13_start_info(struct plan_populate *p, const struct plan_elfinfo *ei,
    const struct plan_layout *l)
{
}

/* Nor does its populate member hold anything more. */
static int
xen13_start_info_read(json_t *si, const struct abi *abi,
    struct plan_populate *p, struct pv_err *e)
{
	return 0;
}

static int
xen13_populate_read(json_t *obj, const struct plan_elfinfo *ei,
    const struct plan_layout *l, struct plan_populate *p, struct pv_err *e)
{
	return 0;
}

static int
xen13_populate_json(json_t *o, const struct plan_populate *p)
{
	return 0;
}

/* The vCPU context of docs/xen-1.3.md, with its stack fix. */
static void
xen13_vcpu(struct plan_vcpu *v, const struct plan_elfinfo *ei,
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

/* start_info as docs/xen-1.3.md lays it out (292 bytes, little-endian). */
static void
xen13_start_info_page(uint8_t *page, const struct plan *p,
    const struct guest_machine *m)
{
	const struct plan_populate *pp = p->populate;

	pv_put32(page + 0, pp->start_info.nr_pages);
	pv_put32(page + 4, m->shared_info_mfn << PV_PAGE_SHIFT);
	pv_put32(page + 8, pp->start_info.flags);
	pv_put32(page + 12, pp->start_info.pt_base);
	pv_put32(page + 16, pp->start_info.nr_pt_frames);
	pv_put32(page + 20, pp->start_info.mfn_list);
	pv_put32(page + 24, pp->start_info.mod_start);
	pv_put32(page + 28, pp->start_info.mod_len);
	memcpy(page + 32, p->layout->cmdline,
	    (size_t)pp->start_info.cmd_line_length);
	pv_put32(page + 288, m->control_evtchn);
}

/*
 * The directory is the first page of the pagetables region, the L1 tables
 * follow it, one per 4 MiB of [v_start, v_end). Every page of the region
 * maps its pfn with L1_PROT, the page-table pages without RW; each
 * directory entry points at its L1 with L2_PROT. Nothing else is mapped.
 */
static int
xen13_pagetables(const struct plan *plan, json_t **member, struct pv_err *e)
{
	const struct plan_layout *l = plan->layout;
	uint64_t nr_l1 = (l->v_end - l->v_start) >> X13_L2_SHIFT;
	uint64_t pt_lo = plan_region_pfn(l, REGION_PAGETABLES);
	uint64_t pt_hi = pt_lo + l->nr_pt_pages, pfn, end;
	struct plan_pagetables pt;
	struct plan_table *t;
	struct plan_map *m;
	uint64_t k;
	int rc = -1;

	memset(&pt, 0, sizeof(pt));
	pt.levels = 2;
	pt.entry_size = 4;
	pt.top_pfn = pt_lo;
	pt.pin.pfn = pt_lo;
	pt.pin.level = 2;
	pt.nr_tables = nr_l1 + 1;
	if ((pt.tables = calloc(pt.nr_tables, sizeof(*pt.tables))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	t = &pt.tables[0];
	t->pfn = pt_lo;
	t->level = 2;
	t->nr_maps = 1;
	if ((t->maps = calloc(1, sizeof(*t->maps))) == NULL)
		goto out;
	t->maps[0].index = l->v_start >> X13_L2_SHIFT;
	t->maps[0].count = nr_l1;
	t->maps[0].pfn = pt_lo + 1;
	t->maps[0].flags = X13_L2_PROT;
	for (k = 0; k < nr_l1; k++) {
		t = &pt.tables[k + 1];
		t->pfn = pt_lo + 1 + k;
		t->level = 1;
		if ((t->maps = calloc(3, sizeof(*t->maps))) == NULL)
			goto out;
		/* Runs of equal protection within this table's 1024 pfns. */
		for (pfn = k * ENTRIES; pfn < (k + 1) * ENTRIES; pfn = end) {
			int ro = pfn >= pt_lo && pfn < pt_hi;

			end = ro ? pt_hi : pfn < pt_lo ? pt_lo : (k + 1) * ENTRIES;
			if (end > (k + 1) * ENTRIES)
				end = (k + 1) * ENTRIES;
			m = &t->maps[t->nr_maps++];
			m->index = pfn - k * ENTRIES;
			m->count = end - pfn;
			m->pfn = pfn;
			m->flags = ro ? X13_L1_PROT & ~PTE_RW : X13_L1_PROT;
		}
	}
	*member = plan_pagetables_json(&pt);
	rc = 0;
out:
	if (rc < 0)
		pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	for (k = 0; k < pt.nr_tables; k++)
		free(pt.tables[k].maps);
	free(pt.tables);
	return rc;
}

const struct guest_ops guest_xen13 = {
	.elfinfo_keys = elfinfo_keys, .segment_keys = segment_keys,
	.load_flags = "wx", .elfinfo_read = xen13_elfinfo_read,
	.elfinfo_json = xen13_elfinfo_json, .guest_info_required = 1,
	.layout_keys = layout_keys, .regions = regions,
	.nr_regions = sizeof(regions) / sizeof(regions[0]),
	.max_memory = X13_MAX_MEMORY, .hole_at_top = 1,
	/* The seed starts one vCPU, and its shared_info has one slot. */
	.max_vcpus = 1,
	.layout_solve = xen13_layout_solve, .layout_check = xen13_layout_check,
	.layout_read = xen13_layout_read,
	.layout_json = xen13_layout_json,
	.cmdline_max = X13_CMDLINE_MAX, .shared_info_vcpus = 1,
	/* The seed sets no flags and knows no assists (docs/xen-1.3.md). */
	.start_info_flags = 0, .vm_assists = 0, .null_callback_cs = 0,
	.start_info = xen13_start_info, .vcpu = xen13_vcpu,
	.populate_keys = populate_keys, .start_info_keys = start_info_keys,
	.vcpu_keys = vcpu_keys, .start_info_read = xen13_start_info_read,
	.populate_read = xen13_populate_read,
	.populate_json = xen13_populate_json,
	.pagetables = xen13_pagetables,
	/*
	 * shared_info holds one 4-byte vcpu_info whose second byte is the
	 * upcall mask; the seed fills every trap entry and talks to the
	 * domain controller (docs/xen-1.3.md). Xen builds it no longer.
	 */
	.start_info_page = xen13_start_info_page,
	.vcpu_info_size = 4, .upcall_mask_offset = 1, .trap_entries = 256,
	.control_evtchn = 1,
};
