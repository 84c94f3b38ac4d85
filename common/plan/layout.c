/*
 * layout.c: the layout member (README, "layout"): its reader, which checks
 * the bootstrap region against the guest's placement rules, and its
 * writer.
 */
#include <string.h>

#include "members.h"
#include "pt.h"

const char *const plan_region_names[NR_REGIONS] = {
	"kernel", "initrd", "p2m", "pagetables", "start_info", "stack",
	"xenstore", "console",
};

/* The seed's order, and Xen 4.17's (xc_dom_build_image). */
static const enum plan_region_id order13[] = {
	REGION_KERNEL, REGION_INITRD, REGION_P2M, REGION_PAGETABLES,
	REGION_START_INFO, REGION_STACK,
};
static const enum plan_region_id order3[] = {
	REGION_KERNEL, REGION_INITRD, REGION_P2M, REGION_START_INFO,
	REGION_XENSTORE, REGION_CONSOLE, REGION_PAGETABLES, REGION_STACK,
};

const enum plan_region_id *
plan_region_order(const struct abi *abi, size_t *n)
{
	if (abi->id == ABI_XEN13) {
		*n = sizeof(order13) / sizeof(order13[0]);
		return order13;
	}
	*n = sizeof(order3) / sizeof(order3[0]);
	return order3;
}


/*
 * The xen-3.0 invariants: Xen 4.17's placement (xc_dom_build_image,
 * alloc_pgtables_pv), recomputed from the plan's own numbers.
 */
static int
check_layout_xen3(const struct plan_elfinfo *ei, struct plan_layout *l,
    struct pv_err *e)
{
	const struct plan_xen3 *x = &ei->x3;
	const struct plan_region *r = l->regions;
	const struct abi *abi = ei->abi;
	uint64_t boot = plan_bootstrap_pages(l), next, used, limit;
	struct pt_geometry g = { .abi = abi };
	int mapped_initrd = l->has_initrd && !x->mod_start_pfn;

#define BAD(...) pv_fail(e, PV_EXIT_INPUT, __VA_ARGS__)
	if (l->v_start != x->virt_base)
		return BAD("layout.v_start: not elfinfo.virt_base");
	if (r[REGION_INITRD].end - r[REGION_INITRD].start !=
	    (mapped_initrd ? l->initrd.data_size : 0))
		return BAD("layout.regions: the initrd region's size is wrong");
	if (r[REGION_P2M].end - r[REGION_P2M].start !=
	    (x->has_init_p2m ? 0 : l->nr_pages * abi->word))
		return BAD("layout.regions: the p2m region is not %u bytes per "
		    "page of the domain", abi->word);
	if (r[REGION_START_INFO].end - r[REGION_START_INFO].start !=
	    PV_PAGE_SIZE || r[REGION_XENSTORE].end - r[REGION_XENSTORE].start !=
	    PV_PAGE_SIZE || r[REGION_CONSOLE].end - r[REGION_CONSOLE].start !=
	    PV_PAGE_SIZE || r[REGION_STACK].end - r[REGION_STACK].start !=
	    PV_PAGE_SIZE)
		return BAD("layout.regions: start_info, xenstore, console and "
		    "stack are one page each");
	if (r[REGION_PAGETABLES].end - r[REGION_PAGETABLES].start !=
	    l->nr_pt_pages << PV_PAGE_SHIFT)
		return BAD("layout.nr_pt_pages: not the pagetables region");
	if (pt_add_mapping(&g, l->v_start, l->v_end - 1, 0,
	    (r[REGION_PAGETABLES].start - l->v_start) >> PV_PAGE_SHIFT, e) < 0)
		return pv_wrap(e, "layout");
	if (g.map[0].nr_tables != l->nr_pt_pages)
		return BAD("layout.nr_pt_pages: %llu, but the region needs %llu",
		    (unsigned long long)l->nr_pt_pages,
		    (unsigned long long)g.map[0].nr_tables);
	/* At least 512 KiB of padding after the stack (Xen's extra pages). */
	if (l->v_end - r[REGION_STACK].end < 512 * 1024)
		return BAD("layout.v_end: less than 512 KiB after the stack");
	limit = abi->hv_start;
	if (x->has_hv_start_low && x->hv_start_low < limit &&
	    abi->id == ABI_X86_32P)
		limit = x->hv_start_low;
	if (abi->id == ABI_X86_32P ? l->v_end > limit :
	    l->v_start < abi->hv_end && l->v_end > abi->hv_start)
		return BAD("layout.v_end: the bootstrap region [0x%llx, 0x%llx) "
		    "reaches the hypervisor's hole at 0x%llx",
		    (unsigned long long)l->v_start, (unsigned long long)l->v_end,
		    (unsigned long long)limit);
	used = boot;
	if (l->has_initrd_pfn != (l->has_initrd && x->mod_start_pfn))
		return BAD("layout.initrd_pfn: present exactly when an initrd "
		    "is left unmapped (MOD_START_PFN)");
	if (l->has_initrd_pfn) {
		if (l->initrd_pfn != used)
			return BAD("layout.initrd_pfn: not the first pfn after "
			    "the bootstrap region");
		used += (l->initrd.data_size + PV_PAGE_SIZE - 1) >> PV_PAGE_SHIFT;
	}
	if (l->p2m_map.present != x->has_init_p2m)
		return BAD("layout.p2m_mapping: present exactly when the guest "
		    "asks for INIT_P2M");
	if (l->p2m_map.present) {
		next = (l->nr_pages * abi->word + PV_PAGE_SIZE - 1) >>
		    PV_PAGE_SHIFT;
		if (l->p2m_map.va != x->init_p2m || l->p2m_map.pfn != used ||
		    l->p2m_map.pages != next)
			return BAD("layout.p2m_mapping: not INIT_P2M's address "
			    "at the next free pfn with %llu pages",
			    (unsigned long long)next);
		if (pt_add_mapping(&g, l->p2m_map.va, l->p2m_map.va +
		    (next << PV_PAGE_SHIFT) - 1, used, used + next, e) < 0)
			return pv_wrap(e, "layout.p2m_mapping");
		if (g.map[1].nr_tables != l->p2m_map.pt_pages)
			return BAD("layout.p2m_mapping.pt_pages: %llu, but the "
			    "mapping needs %llu",
			    (unsigned long long)l->p2m_map.pt_pages,
			    (unsigned long long)g.map[1].nr_tables);
		used += next + l->p2m_map.pt_pages;
	}
	if (used > l->nr_pages)
		return BAD("layout.nr_pages: the domain's %llu pages cannot "
		    "hold the %llu the build needs",
		    (unsigned long long)l->nr_pages, (unsigned long long)used);
#undef BAD
	return 0;
}

static int
check_layout_xen13(const struct plan_elfinfo *ei, struct plan_layout *l,
    struct pv_err *e)
{
	const struct plan_region *r = l->regions;
	uint64_t size, want;

#define BAD(...) pv_fail(e, PV_EXIT_INPUT, __VA_ARGS__)
	if (l->v_end > ei->abi->hv_start)
		return BAD("layout.v_end: 0x%llx reaches the hypervisor hole at "
		    "0x%llx", (unsigned long long)l->v_end,
		    (unsigned long long)ei->abi->hv_start);
	if (l->v_end - l->v_start > l->memory)
		return BAD("layout.v_end: the bootstrap region is larger than "
		    "the domain");
	size = l->has_initrd ? l->initrd.data_size : 0;
	if (pv_roundup(ei->kernel_end, PV_PAGE_SIZE, &want) < 0 ||
	    r[REGION_INITRD].start != want ||
	    r[REGION_INITRD].end - r[REGION_INITRD].start != size)
		return BAD("layout.regions[1]: not the initrd's place and size");
	if (r[REGION_P2M].end - r[REGION_P2M].start != l->nr_pages * 4)
		return BAD("layout.regions[2]: not 4 bytes per page of the "
		    "domain");
	if (l->nr_pt_pages < ((l->v_end - l->v_start) >> X13_L2_SHIFT) + 1 ||
	    r[REGION_PAGETABLES].end - r[REGION_PAGETABLES].start !=
	    l->nr_pt_pages << PV_PAGE_SHIFT)
		return BAD("layout.nr_pt_pages: %llu pages cannot map the "
		    "region or do not match the pagetables region",
		    (unsigned long long)l->nr_pt_pages);
	if (r[REGION_START_INFO].end - r[REGION_START_INFO].start !=
	    PV_PAGE_SIZE || r[REGION_STACK].end - r[REGION_STACK].start !=
	    PV_PAGE_SIZE)
		return BAD("layout.regions: start_info and stack are one page "
		    "each");
#undef BAD
	return 0;
}

static int
parse_p2m_mapping(json_t *obj, struct plan_layout *l, struct pv_err *e)
{
	static const char *const keys[] = { "va", "pfn", "pages", "pt_pages",
	    NULL };
	const char *path = "layout.p2m_mapping";
	json_t *m = json_object_get(obj, "p2m_mapping");

	if (m == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s: missing", path);
	if (json_is_null(m))
		return 0;
	l->p2m_map.present = 1;
	if (pj_is_object(m, path, e) < 0 || pj_only_keys(m, path, keys, e) < 0 ||
	    pj_get_hex(m, path, "va", &l->p2m_map.va, e) < 0 ||
	    pj_get_uint(m, path, "pfn", &l->p2m_map.pfn, e) < 0 ||
	    pj_get_uint(m, path, "pages", &l->p2m_map.pages, e) < 0 ||
	    pj_get_uint(m, path, "pt_pages", &l->p2m_map.pt_pages, e) < 0)
		return -1;
	return 0;
}

int
plan_layout_read(json_t *obj, const struct plan_elfinfo *ei,
    struct plan_layout *l, struct pv_err *e)
{
	static const char *const keys13[] = { "memory", "nr_pages", "initrd",
	    "cmdline", "v_start", "v_end", "nr_pt_pages", "regions", NULL };
	static const char *const keys3[] = { "memory", "nr_pages", "initrd",
	    "cmdline", "v_start", "v_end", "nr_pt_pages", "regions",
	    "initrd_pfn", "p2m_mapping", NULL };
	static const char *const regkeys[] = { "name", "start", "end", NULL };
	const struct abi *abi = ei->abi;
	const enum plan_region_id *order;
	const struct plan_region *r = l->regions, *prev = NULL;
	int xen3 = abi->id != ABI_XEN13;
	uint64_t max_pages;
	const char *cmd;
	json_t *ir, *arr, *rj;
	char path[64];
	size_t i, n, idx = 0;

	order = plan_region_order(abi, &n);
	if (pj_is_object(obj, "layout", e) < 0 ||
	    pj_only_keys(obj, "layout", xen3 ? keys3 : keys13, e) < 0 ||
	    pj_get_uint(obj, "layout", "memory", &l->memory, e) < 0 ||
	    pj_get_uint(obj, "layout", "nr_pages", &l->nr_pages, e) < 0)
		return -1;
	max_pages = plan_max_memory(abi) >> PV_PAGE_SHIFT;
	if (l->nr_pages == 0 || l->nr_pages > max_pages ||
	    l->memory != l->nr_pages << PV_PAGE_SHIFT)
		return pv_fail(e, PV_EXIT_INPUT, "layout.nr_pages: %llu pages "
		    "do not make %llu bytes of a valid %s domain",
		    (unsigned long long)l->nr_pages,
		    (unsigned long long)l->memory, abi->name);
	if ((ir = json_object_get(obj, "initrd")) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "layout.initrd: missing");
	if (!json_is_null(ir)) {
		if (plan_ref_read(ir, "layout.initrd", "length", &l->initrd, e) < 0)
			return -1;
		l->has_initrd = 1;
	}
	if (pj_get_str(obj, "layout", "cmdline", &cmd, e) < 0)
		return -1;
	/* What layout --cmdline refuses, every reader refuses. */
	if (strlen(cmd) > PLAN_CMDLINE_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "layout.cmdline: longer than "
		    "%d bytes", PLAN_CMDLINE_MAX);
	if ((l->cmdline = strdup(cmd)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	if (pj_get_hex(obj, "layout", "v_start", &l->v_start, e) < 0 ||
	    pj_get_hex(obj, "layout", "v_end", &l->v_end, e) < 0 ||
	    pj_get_uint(obj, "layout", "nr_pt_pages", &l->nr_pt_pages, e) < 0 ||
	    pj_get_array(obj, "layout", "regions", n, n, &arr, e) < 0)
		return -1;
	if (xen3) {
		ir = json_object_get(obj, "initrd_pfn");
		if (ir == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "layout.initrd_pfn: "
			    "missing");
		if (!json_is_null(ir)) {
			l->has_initrd_pfn = 1;
			if (pj_get_uint(obj, "layout", "initrd_pfn", &l->initrd_pfn,
			    e) < 0)
				return -1;
		}
		if (parse_p2m_mapping(obj, l, e) < 0)
			return -1;
	}
	if ((l->v_start & ((1ULL << X13_L2_SHIFT) - 1)) != 0 ||
	    ((l->v_end & pt_va_mask(abi)) & ((1ULL << X13_L2_SHIFT) - 1)) != 0 ||
	    l->v_end <= l->v_start ||
	    (abi->va_limit != 0 && l->v_end > abi->va_limit))
		return pv_fail(e, PV_EXIT_INPUT, "layout.v_end: [v_start, v_end) "
		    "is not a non-empty range of 4 MiB boundaries in the "
		    "address space");
	json_array_foreach(arr, i, rj) {
		enum plan_region_id id = order[i];

		snprintf(path, sizeof(path), "layout.regions[%zu]", i);
		if (pj_is_object(rj, path, e) < 0 ||
		    pj_only_keys(rj, path, regkeys, e) < 0 ||
		    pj_get_enum(rj, path, "name", plan_region_names, NR_REGIONS,
		    &idx, e) < 0)
			return -1;
		if (idx != (size_t)id)
			return pv_fail(e, PV_EXIT_INPUT, "%s.name: \"%s\" out of "
			    "order, expected \"%s\"", path,
			    plan_region_names[idx], plan_region_names[id]);
		if (pj_get_hex(rj, path, "start", &l->regions[id].start, e) < 0 ||
		    pj_get_hex(rj, path, "end", &l->regions[id].end, e) < 0)
			return -1;
		if (r[id].end < r[id].start)
			return pv_fail(e, PV_EXIT_INPUT, "%s.end: before its "
			    "start", path);
		if (prev != NULL && r[id].start < prev->end)
			return pv_fail(e, PV_EXIT_INPUT, "%s.start: overlaps the "
			    "%s region", path, plan_region_names[order[i - 1]]);
		if (i > 0 && (r[id].start & (PV_PAGE_SIZE - 1)) != 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.start: not page "
			    "aligned", path);
		if (r[id].start < l->v_start || r[id].end > l->v_end)
			return pv_fail(e, PV_EXIT_INPUT, "%s: not inside "
			    "[v_start, v_end)", path);
		prev = &r[id];
	}
	if (r[REGION_KERNEL].start != ei->kernel_start ||
	    r[REGION_KERNEL].end != ei->kernel_end)
		return pv_fail(e, PV_EXIT_INPUT, "layout.regions[0]: not the "
		    "kernel's extent");
	return xen3 ? check_layout_xen3(ei, l, e) : check_layout_xen13(ei, l, e);
}

json_t *
plan_layout_json(const struct plan_layout *l, const struct abi *abi)
{
	const enum plan_region_id *order;
	json_t *regs = json_array(), *o;
	size_t i, n;

	order = plan_region_order(abi, &n);
	for (i = 0; i < n; i++)
		json_array_append_new(regs, json_pack("{s:s, s:o, s:o}",
		    "name", plan_region_names[order[i]],
		    "start", plan_hex_json(l->regions[order[i]].start),
		    "end", plan_hex_json(l->regions[order[i]].end)));
	o = json_pack("{s:I, s:I, s:o, s:s, s:o, s:o, s:I, s:o}",
	    "memory", (json_int_t)l->memory,
	    "nr_pages", (json_int_t)l->nr_pages,
	    "initrd", l->has_initrd ? plan_ref_json(&l->initrd, "length") :
	    json_null(), "cmdline", l->cmdline,
	    "v_start", plan_hex_json(l->v_start),
	    "v_end", plan_hex_json(l->v_end),
	    "nr_pt_pages", (json_int_t)l->nr_pt_pages, "regions", regs);
	if (o == NULL || abi->id == ABI_XEN13)
		return o;
	json_object_set_new(o, "initrd_pfn", l->has_initrd_pfn ?
	    json_integer((json_int_t)l->initrd_pfn) : json_null());
	json_object_set_new(o, "p2m_mapping", !l->p2m_map.present ? json_null() :
	    json_pack("{s:o, s:I, s:I, s:I}", "va", plan_hex_json(l->p2m_map.va),
	    "pfn", (json_int_t)l->p2m_map.pfn,
	    "pages", (json_int_t)l->p2m_map.pages,
	    "pt_pages", (json_int_t)l->p2m_map.pt_pages));
	return o;
}

uint64_t
plan_max_memory(const struct abi *abi)
{
	switch (abi->id) {
	case ABI_XEN13:
		return X13_MAX_MEMORY;
	case ABI_X86_32P:
		return 64ULL << 30;	/* PAE's 36-bit physical space */
	default:
		return 1ULL << 40;	/* 1 TiB */
	}
}

