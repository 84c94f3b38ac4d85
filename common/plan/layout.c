/* SPDX-License-Identifier: ISC */
/*
 * layout.c: the layout member (README, "layout"): its reader, which checks
 * the bootstrap region against the guest's placement rules, and its
 * writer.
 */
#include <string.h>

#include "guest.h"
#include "members.h"
#include "pt.h"

const char *const plan_region_names[NR_REGIONS] = {
	"kernel", "initrd", "p2m", "pagetables", "start_info", "stack",
	"xenstore", "console", "acpi",
};

const enum plan_region_id *
plan_region_order(const struct abi *abi, size_t *n)
{
	*n = abi->ops->nr_regions;
	return abi->ops->regions;
}

int
plan_layout_read(json_t *obj, const struct plan_elfinfo *ei,
    struct plan_layout *l, struct pv_err *e)
{
	static const char *const regkeys[] = { "name", "start", "end", NULL };
	const struct abi *abi = ei->abi;
	const enum plan_region_id *order;
	const struct plan_region *r = l->regions, *prev = NULL;
	uint64_t max_pages;
	const char *cmd;
	json_t *ir, *arr, *rj;
	char path[64];
	size_t i, n, idx = 0;

	order = plan_region_order(abi, &n);
	if (pj_is_object(obj, "layout", e) < 0 ||
	    pj_only_keys(obj, "layout", abi->ops->layout_keys, e) < 0 ||
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
	if (abi->ops->layout_read(obj, l, e) < 0 ||
	    plan_request_read(obj, "layout", abi, l, e) < 0)
		return -1;
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
	return abi->ops->layout_check(ei, l, e);
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
	/*
	 * What the type adds, and the request beyond memory; a failure is
	 * out of memory or a string that is not UTF-8 (a --disk target).
	 */
	if (o != NULL && (abi->ops->layout_json(o, l) < 0 ||
	    plan_request_set(o, l) < 0)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

uint64_t
plan_max_memory(const struct abi *abi)
{
	return abi->ops->max_memory;
}

