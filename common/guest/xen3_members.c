/* SPDX-License-Identifier: ISC */
/*
 * xen3_members.c: what the xen-3.0 guest types (xen3.c) add to the plan's
 * members, read strictly and written canonically: elfinfo's declaration
 * (README, "elfinfo"), layout's initrd_pfn and p2m_mapping, populate's
 * start_info fields, hypercall page and vm_assist.
 */
#include <stdlib.h>
#include <string.h>

#include "guest.h"

const char *const guest_xen3_elfinfo_keys[] = { "abi", "arch", "paging_levels",
    "image", "guest_info", "kernel_start", "kernel_end", "entry",
    "segments", "declared_by", "notes", "warnings", "virt_base",
    "paddr_offset", "hypercall_page", "hv_start_low", "init_p2m",
    "mod_start_pfn", "pae_mode", "features", NULL };
const char *const guest_xen3_segment_keys[] = { "vaddr", "paddr", "offset",
    "filesz", "memsz", "flags", NULL };

int
guest_xen3_elfinfo_read(json_t *obj, struct plan_elfinfo *ei,
    struct pv_err *e)
{
	static const char *const declared[] = { "notes", "note-sections",
	    "guest_info" };
	static const char *const fkeys[] = { "supported", "required", NULL };
	struct plan_xen3 *x = &ei->x3;
	json_t *f, *pm;
	uint64_t v;
	size_t idx = 0;

	if (pj_get_enum(obj, "elfinfo", "declared_by", declared, 3, &idx, e) < 0)
		return -1;
	x->declared_by = declared[idx];
	if (pj_get_strings(obj, "elfinfo", "notes", JSON_OBJECT, &x->notes, e) < 0 ||
	    pj_get_strings(obj, "elfinfo", "warnings", JSON_ARRAY, &x->warnings,
	    e) < 0 ||
	    pj_get_hex(obj, "elfinfo", "virt_base", &x->virt_base, e) < 0 ||
	    pj_get_hex(obj, "elfinfo", "paddr_offset", &x->paddr_offset, e) < 0 ||
	    pj_get_hex_or_null(obj, "elfinfo", "hypercall_page",
	    &x->has_hypercall_page, &x->hypercall_page, e) < 0 ||
	    pj_get_hex_or_null(obj, "elfinfo", "hv_start_low",
	    &x->has_hv_start_low, &x->hv_start_low, e) < 0 ||
	    pj_get_hex_or_null(obj, "elfinfo", "init_p2m", &x->has_init_p2m,
	    &x->init_p2m, e) < 0 ||
	    pj_get_bool(obj, "elfinfo", "mod_start_pfn", &x->mod_start_pfn, e) < 0 ||
	    pj_get(obj, "elfinfo", "features", JSON_OBJECT, &f, e) < 0 ||
	    pj_only_keys(f, "elfinfo.features", fkeys, e) < 0)
		return -1;
	if (pj_get_hex(f, "elfinfo.features", "supported", &v, e) < 0)
		return -1;
	x->features_supported = (uint32_t)v;
	if (v > UINT32_MAX || pj_get_hex(f, "elfinfo.features", "required", &v,
	    e) < 0 || v > UINT32_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.features: not 32-bit "
		    "maps");
	x->features_required = (uint32_t)v;
	if ((pm = json_object_get(obj, "pae_mode")) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.pae_mode: missing");
	if (!json_is_null(pm)) {
		if (!json_is_string(pm))
			return pv_fail(e, PV_EXIT_INPUT, "elfinfo.pae_mode: "
			    "expected string or null");
		if ((x->pae_mode = strdup(json_string_value(pm))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	if (x->virt_base > ei->kernel_start)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.virt_base: above the "
		    "kernel");
	if (x->has_hypercall_page && (x->hypercall_page < ei->kernel_start ||
	    x->hypercall_page >= ei->kernel_end ||
	    (x->hypercall_page & (PV_PAGE_SIZE - 1)) != 0))
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.hypercall_page: not a "
		    "page of the kernel");
	if (x->has_init_p2m && (!ei->abi->ops->takes_init_p2m ||
	    x->init_p2m >= x->virt_base ||
	    (x->init_p2m & (PV_PAGE_SIZE - 1)) != 0))
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.init_p2m: not a page "
		    "below virt_base of an x86_64 guest");
	if ((ei->kernel_start & (PV_PAGE_SIZE - 1)) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.kernel_start: not page "
		    "aligned");
	return 0;
}


static json_t *
hex_or_null(int has, uint64_t v)
{
	return has ? plan_hex_json(v) : json_null();
}

int
guest_xen3_elfinfo_json(json_t *o, const struct plan_elfinfo *ei)
{
	const struct plan_xen3 *x = &ei->x3;
	json_t *x3;
	int rc;

	x3 = json_pack("{s:s, s:O, s:O, s:o, s:o, s:o, s:o, "
	    "s:o, s:b, s:o, s:{s:o, s:o}}",
	    "declared_by", x->declared_by, "notes", x->notes,
	    "warnings", x->warnings,
	    "virt_base", plan_hex_json(x->virt_base),
	    "paddr_offset", plan_hex_json(x->paddr_offset),
	    "hypercall_page", hex_or_null(x->has_hypercall_page,
	    x->hypercall_page),
	    "hv_start_low", hex_or_null(x->has_hv_start_low, x->hv_start_low),
	    "init_p2m", hex_or_null(x->has_init_p2m, x->init_p2m),
	    "mod_start_pfn", x->mod_start_pfn,
	    "pae_mode", x->pae_mode != NULL ? json_string(x->pae_mode) :
	    json_null(),
	    "features", "supported", plan_hex_json(x->features_supported),
	    "required", plan_hex_json(x->features_required));
	rc = json_object_update(o, x3);
	json_decref(x3);
	return rc;
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
guest_xen3_layout_read(json_t *obj, struct plan_layout *l, struct pv_err *e)
{
	json_t *ir = json_object_get(obj, "initrd_pfn");

	if (ir == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "layout.initrd_pfn: missing");
	if (!json_is_null(ir)) {
		l->has_initrd_pfn = 1;
		if (pj_get_uint(obj, "layout", "initrd_pfn", &l->initrd_pfn,
		    e) < 0)
			return -1;
	}
	return parse_p2m_mapping(obj, l, e);
}

int
guest_xen3_layout_json(json_t *o, const struct plan_layout *l)
{
	if (json_object_set_new(o, "initrd_pfn", l->has_initrd_pfn ?
	    json_integer((json_int_t)l->initrd_pfn) : json_null()) < 0)
		return -1;
	return json_object_set_new(o, "p2m_mapping", !l->p2m_map.present ?
	    json_null() : json_pack("{s:o, s:I, s:I, s:I}",
	    "va", plan_hex_json(l->p2m_map.va),
	    "pfn", (json_int_t)l->p2m_map.pfn,
	    "pages", (json_int_t)l->p2m_map.pages,
	    "pt_pages", (json_int_t)l->p2m_map.pt_pages));
}


const char *const guest_xen3_populate_keys[] = { "writes", "p2m",
    "start_info", "shared_info", "vcpu", "hypercall_page", NULL };
const char *const guest_xen3_start_info_keys[] = { "pfn", "va", "nr_pages",
    "flags", "pt_base", "nr_pt_frames", "mfn_list", "mod_start", "mod_len",
    "cmd_line_length", "magic", "store_pfn", "console_pfn",
    "first_p2m_pfn", "nr_p2m_frames", NULL };
const char *const guest_xen3_vcpu_keys[] = { "ip", "sp", "si", "flags",
    "cs", "ds", "es", "fs", "gs", "ss", "kernel_ss", "kernel_sp", "trap_cs",
    "callback_cs", "vm_assist", NULL };

int
guest_xen3_start_info_read(json_t *o, const struct abi *abi,
    struct plan_populate *p, struct pv_err *e)
{
	size_t idx = 0;

#define SI(k) pj_get_uint(o, "populate.start_info", #k, &p->start_info.k, e)
	if (SI(store_pfn) < 0 || SI(console_pfn) < 0 || SI(first_p2m_pfn) < 0 ||
	    SI(nr_p2m_frames) < 0 || pj_get_enum(o, "populate.start_info",
	    "magic", &abi->name, 1, &idx, e) < 0)
		return -1;
#undef SI
	return 0;
}

int
guest_xen3_populate_read(json_t *obj, const struct plan_elfinfo *ei,
    const struct plan_layout *l, struct plan_populate *p, struct pv_err *e)
{
	static const char *const hkeys[] = { "pfn", NULL };
	json_t *o = json_object_get(obj, "hypercall_page");

	if (o == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "populate.hypercall_page: "
		    "missing");
	if (!json_is_null(o)) {
		p->has_hypercall_page = 1;
		if (pj_is_object(o, "populate.hypercall_page", e) < 0 ||
		    pj_only_keys(o, "populate.hypercall_page", hkeys, e) < 0 ||
		    pj_get_uint(o, "populate.hypercall_page", "pfn",
		    &p->hypercall_pfn, e) < 0)
			return -1;
	}
	if (p->has_hypercall_page != ei->x3.has_hypercall_page ||
	    (p->has_hypercall_page && p->hypercall_pfn !=
	    (ei->x3.hypercall_page - l->v_start) >> PV_PAGE_SHIFT))
		return pv_fail(e, PV_EXIT_INPUT, "populate.hypercall_page: not "
		    "the kernel's hypercall page");
	return 0;
}

int
guest_xen3_populate_json(json_t *o, const struct plan_populate *p)
{
	json_t *si;

	json_object_set_new(json_object_get(o, "vcpu"), "vm_assist",
	    plan_hex_json(p->vcpu.vm_assist));
	si = json_pack("{s:s, s:I, s:I, s:I, s:I}", "magic",
	    p->start_info.magic, "store_pfn", (json_int_t)p->start_info.store_pfn,
	    "console_pfn", (json_int_t)p->start_info.console_pfn,
	    "first_p2m_pfn", (json_int_t)p->start_info.first_p2m_pfn,
	    "nr_p2m_frames", (json_int_t)p->start_info.nr_p2m_frames);
	json_object_update(json_object_get(o, "start_info"), si);
	json_decref(si);
	return json_object_set_new(o, "hypercall_page", p->has_hypercall_page ?
	    json_pack("{s:I}", "pfn", (json_int_t)p->hypercall_pfn) :
	    json_null());
}
