/* SPDX-License-Identifier: ISC */
/*
 * populate.c: the populate member (README, "populate"): its reader, which
 * checks every write, the p2m list, start_info, shared_info and the vCPU
 * context against the layout, and its writer.
 */
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "members.h"
#include "xenhdr.h"

static const char *const source_names[] = { "kernel", "initrd", "zero" };

/*
 * start_info's flag bits by the names <xen/xen.h> gives them (xen-1.3's
 * start_info has the same first two).
 */
static const struct { uint32_t bit; const char *name; } sif_names[] = {
	{ SIF_PRIVILEGED, "SIF_PRIVILEGED" },
	{ SIF_INITDOMAIN, "SIF_INITDOMAIN" },
	{ SIF_MULTIBOOT_MOD, "SIF_MULTIBOOT_MOD" },
	{ SIF_MOD_START_PFN, "SIF_MOD_START_PFN" },
	{ SIF_VIRT_P2M_4TOOLS, "SIF_VIRT_P2M_4TOOLS" },
};

/*
 * flag_names: every bit set in start_info's flags, lowest first, by its
 * <xen/xen.h> name, or in hex when it has none (the power-management
 * byte, reserved bits), so that the list accounts for every bit.
 */
static json_t *
flag_names_json(uint32_t flags)
{
	json_t *a = json_array();
	uint32_t bit;
	size_t i;

	for (bit = 1; a != NULL && bit != 0; bit <<= 1) {
		if ((flags & bit) == 0)
			continue;
		for (i = 0; i < sizeof(sif_names) / sizeof(sif_names[0]); i++)
			if (sif_names[i].bit == bit)
				break;
		json_array_append_new(a, i < sizeof(sif_names) /
		    sizeof(sif_names[0]) ? json_string(sif_names[i].name) :
		    plan_hex_json(bit));
	}
	return a;
}

/*
 * start_info's flags and their names, which must be exactly those of
 * the raw bits: a reader who trusts either sees the same flags.
 */
static int
get_flags(json_t *o, uint64_t *flags, struct pv_err *e)
{
	json_t *names, *want;
	int same;

	if (pj_get_hex(o, "populate.start_info", "flags", flags, e) < 0 ||
	    pj_get(o, "populate.start_info", "flag_names", JSON_ARRAY, &names,
	    e) < 0)
		return -1;
	if (*flags > UINT32_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info.flags: "
		    "wider than 32 bits");
	if ((want = flag_names_json((uint32_t)*flags)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	same = json_equal(names, want);
	json_decref(want);
	if (!same)
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info.flag_names: "
		    "not the names of the bits set in flags, lowest first");
	return 0;
}

/* The pseudo-physical byte range [start, end) of a region. */
static void
region_pa(const struct plan_layout *l, enum plan_region_id r, uint64_t *start,
    uint64_t *end)
{
	*start = l->regions[r].start - l->v_start;
	*end = l->regions[r].end - l->v_start;
}

/*
 * The vCPU context: the type's keys are a prefix of these fields, in
 * this order.
 */
static int
get_vcpu(json_t *obj, const struct abi *abi, struct plan_vcpu *v,
    struct pv_err *e)
{
	uint64_t *const fields[] = { &v->ip, &v->sp, &v->si, &v->flags, &v->cs,
	    &v->ds, &v->es, &v->fs, &v->gs, &v->ss, &v->kernel_ss,
	    &v->kernel_sp, &v->trap_cs, &v->callback_cs, &v->vm_assist };
	const char *const *keys = abi->ops->vcpu_keys;
	size_t i;

	if (pj_is_object(obj, "populate.vcpu", e) < 0 ||
	    pj_only_keys(obj, "populate.vcpu", keys, e) < 0)
		return -1;
	for (i = 0; keys[i] != NULL &&
	    i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (pj_get_hex(obj, "populate.vcpu", keys[i], fields[i], e) < 0)
			return -1;
		if (abi->word == 4 && *fields[i] > UINT32_MAX)
			return pv_fail(e, PV_EXIT_INPUT, "populate.vcpu.%s: "
			    "wider than 32 bits", keys[i]);
	}
	return 0;
}

/* The pseudo-physical byte range [start, end) where an initrd goes. */
static void
initrd_pa(const struct plan_layout *l, uint64_t *lo, uint64_t *hi)
{
	if (l->has_initrd_pfn) {
		*lo = l->initrd_pfn << PV_PAGE_SHIFT;
		*hi = *lo + l->initrd.data_size;
	} else
		region_pa(l, REGION_INITRD, lo, hi);
}

static int
cmp_write(const void *a, const void *b)
{
	const struct plan_write *x = *(const struct plan_write *const *)a;
	const struct plan_write *y = *(const struct plan_write *const *)b;
	uint64_t dx = (x->pfn << PV_PAGE_SHIFT) + x->offset;
	uint64_t dy = (y->pfn << PV_PAGE_SHIFT) + y->offset;

	return dx < dy ? -1 : dx > dy;
}

/*
 * Writes never overlap, so their order does not matter and a backend
 * whose frames come zeroed may skip zero fill. Destinations were checked
 * to lie in their regions, so the sums below cannot wrap.
 */
static int
writes_overlap(const struct plan_populate *p, struct pv_err *e)
{
	const struct plan_write **w;
	uint64_t end = 0, dst;
	size_t i;

	if (p->nr_writes < 2)
		return 0;
	if ((w = malloc(p->nr_writes * sizeof(*w))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	for (i = 0; i < p->nr_writes; i++)
		w[i] = &p->writes[i];
	qsort(w, p->nr_writes, sizeof(*w), cmp_write);
	for (i = 0; i < p->nr_writes; i++) {
		dst = (w[i]->pfn << PV_PAGE_SHIFT) + w[i]->offset;
		if (i > 0 && dst < end) {
			pv_fail(e, PV_EXIT_INPUT, "populate.writes: two writes "
			    "overlap at pfn %llu offset %llu",
			    (unsigned long long)w[i]->pfn,
			    (unsigned long long)w[i]->offset);
			free(w);
			return -1;
		}
		end = dst + w[i]->length;
	}
	free(w);
	return 0;
}

int
plan_populate_read(json_t *obj, const struct plan_elfinfo *ei,
    const struct plan_layout *l, struct plan_populate *p, struct pv_err *e)
{
	static const char *const wkeys[] = { "pfn", "offset", "length",
	    "source", "source_offset", NULL };
	static const char *const p2mkeys[] = { "pfn", "entries", "entry_size",
	    NULL };
	static const char *const shkeys[] = { "vcpus", "masked_vcpu_info",
	    "upcall_mask", NULL };
	const struct abi *abi = ei->abi;
	const struct guest_ops *ops = abi->ops;
	struct plan_populate derived;
	uint64_t lo, hi, dst, srcsize, want;
	json_t *arr, *w, *o;
	char path[64];
	size_t i, idx = 0;

	if (ops->populate_whole_read != NULL) {
		if (ops->populate_whole_read(obj, ei, l, e) < 0)
			return -1;
		p->whole = json_incref(obj);
		return 0;
	}
	if (pj_is_object(obj, "populate", e) < 0 ||
	    pj_only_keys(obj, "populate", ops->populate_keys, e) < 0 ||
	    pj_get_array(obj, "populate", "writes", 0, MAX_WRITES, &arr, e) < 0)
		return -1;
	p->nr_writes = json_array_size(arr);
	if ((p->writes = calloc(p->nr_writes + 1, sizeof(*p->writes))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	json_array_foreach(arr, i, w) {
		struct plan_write *wr = &p->writes[i];
		enum plan_region_id in;

		snprintf(path, sizeof(path), "populate.writes[%zu]", i);
		if (pj_is_object(w, path, e) < 0 || pj_only_keys(w, path, wkeys, e) < 0 ||
		    pj_get_uint(w, path, "pfn", &wr->pfn, e) < 0 ||
		    pj_get_uint(w, path, "offset", &wr->offset, e) < 0 ||
		    pj_get_uint(w, path, "length", &wr->length, e) < 0 ||
		    pj_get_enum(w, path, "source", source_names, 3, &idx, e) < 0 ||
		    pj_get_uint(w, path, "source_offset", &wr->source_offset, e) < 0)
			return -1;
		wr->source = (enum plan_source)idx;
		srcsize = wr->source == SOURCE_KERNEL ? ei->image.data_size :
		    wr->source == SOURCE_INITRD && l->has_initrd ?
		    l->initrd.data_size : 0;
		if (wr->source != SOURCE_ZERO &&
		    !pv_inside(wr->source_offset, wr->length, srcsize))
			return pv_fail(e, PV_EXIT_INPUT, "%s.source_offset: "
			    "range runs past the %s's %llu bytes", path,
			    source_names[idx], (unsigned long long)srcsize);
		if (wr->source == SOURCE_ZERO && wr->source_offset != 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.source_offset: "
			    "must be 0 for zero fill", path);
		/* Loads go to the kernel's or the initrd's pages only. */
		in = wr->source == SOURCE_INITRD ? REGION_INITRD : REGION_KERNEL;
		if (in == REGION_INITRD)
			initrd_pa(l, &lo, &hi);
		else
			region_pa(l, in, &lo, &hi);
		if (wr->offset >= PV_PAGE_SIZE || wr->pfn > (hi >> PV_PAGE_SHIFT) ||
		    (dst = (wr->pfn << PV_PAGE_SHIFT) + wr->offset) < lo ||
		    !pv_inside(dst - lo, wr->length, hi - lo))
			return pv_fail(e, PV_EXIT_INPUT, "%s.pfn: destination is "
			    "not inside the %s region", path,
			    plan_region_names[in]);
	}
	if (writes_overlap(p, e) < 0)
		return -1;
	if (pj_get(obj, "populate", "p2m", JSON_OBJECT, &o, e) < 0 ||
	    pj_only_keys(o, "populate.p2m", p2mkeys, e) < 0 ||
	    pj_get_uint(o, "populate.p2m", "pfn", &p->p2m.pfn, e) < 0 ||
	    pj_get_uint(o, "populate.p2m", "entries", &p->p2m.entries, e) < 0 ||
	    pj_get_uint(o, "populate.p2m", "entry_size", &p->p2m.entry_size, e) < 0)
		return -1;
	want = l->p2m_map.present ? l->p2m_map.pfn :
	    plan_region_pfn(l, REGION_P2M);
	if (p->p2m.pfn != want || p->p2m.entries != l->nr_pages ||
	    p->p2m.entry_size != abi->word)
		return pv_fail(e, PV_EXIT_INPUT, "populate.p2m: not the p2m "
		    "list's place and size");
	if (pj_get(obj, "populate", "start_info", JSON_OBJECT, &o, e) < 0 ||
	    pj_only_keys(o, "populate.start_info", ops->start_info_keys,
	    e) < 0)
		return -1;
#define SI(k, getter) getter(o, "populate.start_info", #k, &p->start_info.k, e)
	if (SI(pfn, pj_get_uint) < 0 || SI(va, pj_get_hex) < 0 ||
	    SI(nr_pages, pj_get_uint) < 0 ||
	    get_flags(o, &p->start_info.flags, e) < 0 ||
	    SI(pt_base, pj_get_hex) < 0 || SI(nr_pt_frames, pj_get_uint) < 0 ||
	    SI(mfn_list, pj_get_hex) < 0 || SI(mod_start, pj_get_hex) < 0 ||
	    SI(mod_len, pj_get_uint) < 0 || SI(cmd_line_length, pj_get_uint) < 0)
		return -1;
#undef SI
	if (ops->start_info_read(o, abi, p, e) < 0)
		return -1;
	p->start_info.magic = abi->name;
	if (p->start_info.pfn != plan_region_pfn(l, REGION_START_INFO) ||
	    p->start_info.va != l->regions[REGION_START_INFO].start)
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info.pfn: not "
		    "the start_info region");
	if (p->start_info.nr_pages != l->nr_pages ||
	    p->start_info.nr_pt_frames != l->nr_pt_pages ||
	    p->start_info.pt_base != l->regions[REGION_PAGETABLES].start ||
	    p->start_info.mfn_list != (l->p2m_map.present ? l->p2m_map.va :
	    l->regions[REGION_P2M].start))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info: fields "
		    "disagree with the layout");
	/* What the type adds to start_info, held to what it derives. */
	memset(&derived, 0, sizeof(derived));
	ops->start_info(&derived, ei, l);
	if (p->start_info.store_pfn != derived.start_info.store_pfn ||
	    p->start_info.console_pfn != derived.start_info.console_pfn ||
	    p->start_info.first_p2m_pfn != derived.start_info.first_p2m_pfn ||
	    p->start_info.nr_p2m_frames != derived.start_info.nr_p2m_frames)
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info: xenstore, "
		    "console or p2m frames disagree with the layout");
	want = !l->has_initrd ? 0 : l->has_initrd_pfn ? l->initrd_pfn :
	    l->regions[REGION_INITRD].start;
	if (p->start_info.mod_len != (l->has_initrd ? l->initrd.data_size : 0) ||
	    p->start_info.mod_start != (p->start_info.mod_len != 0 ? want : 0))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info.mod_start: "
		    "not the initrd");
	if (p->start_info.cmd_line_length > plan_cmdline_max(abi) - 1 ||
	    p->start_info.cmd_line_length > strlen(l->cmdline))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info."
		    "cmd_line_length: more than the command line or %llu",
		    (unsigned long long)plan_cmdline_max(abi) - 1);
	if (pj_get(obj, "populate", "shared_info", JSON_OBJECT, &o, e) < 0 ||
	    pj_only_keys(o, "populate.shared_info", shkeys, e) < 0 ||
	    pj_get_uint(o, "populate.shared_info", "vcpus",
	    &p->shared_info.vcpus, e) < 0 ||
	    pj_get_uint(o, "populate.shared_info", "masked_vcpu_info",
	    &p->shared_info.masked_vcpu_info, e) < 0 ||
	    pj_get_uint(o, "populate.shared_info", "upcall_mask",
	    &p->shared_info.upcall_mask, e) < 0)
		return -1;
	if (p->shared_info.vcpus != l->vcpus)
		return pv_fail(e, PV_EXIT_INPUT, "populate.shared_info.vcpus: "
		    "%llu, not layout.vcpus (%u)",
		    (unsigned long long)p->shared_info.vcpus, (unsigned)l->vcpus);
	/* Xen's builder masks every slot, whatever the domain's vCPUs. */
	if (p->shared_info.masked_vcpu_info != ops->shared_info_vcpus ||
	    p->shared_info.upcall_mask > 1)
		return pv_fail(e, PV_EXIT_INPUT, "populate.shared_info: %s has "
		    "%d vcpu_info slots to mask and a mask of 0 or 1", abi->name,
		    (int)ops->shared_info_vcpus);
	if (ops->populate_read(obj, ei, l, p, e) < 0)
		return -1;
	if (pj_get(obj, "populate", "vcpu", JSON_OBJECT, &o, e) < 0 ||
	    get_vcpu(o, abi, &p->vcpu, e) < 0)
		return -1;
	if (p->vcpu.ip < ei->kernel_start || p->vcpu.ip >= ei->kernel_end)
		return pv_fail(e, PV_EXIT_INPUT, "populate.vcpu.ip: outside the "
		    "kernel");
	return 0;
}

json_t *
plan_populate_json(const struct plan_populate *p, const struct abi *abi)
{
	const struct plan_vcpu *v = &p->vcpu;
	json_t *ws, *o;
	size_t i;

	/* Read whole, it is written as it was read (and derived). */
	if (abi->ops->populate_whole != NULL)
		return json_deep_copy(p->whole);
	ws = json_array();
	for (i = 0; i < p->nr_writes; i++) {
		const struct plan_write *w = &p->writes[i];

		json_array_append_new(ws, json_pack("{s:I, s:I, s:I, s:s, s:I}",
		    "pfn", (json_int_t)w->pfn, "offset", (json_int_t)w->offset,
		    "length", (json_int_t)w->length,
		    "source", source_names[w->source],
		    "source_offset", (json_int_t)w->source_offset));
	}
	o = json_pack("{s:o, s:{s:I, s:I, s:I}, s:{s:I, s:o, s:I, s:o, s:o, "
	    "s:o, s:I, s:o, s:o, s:I, s:I}, s:{s:I, s:I, s:I}, s:{s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}}",
	    "writes", ws,
	    "p2m", "pfn", (json_int_t)p->p2m.pfn,
	    "entries", (json_int_t)p->p2m.entries,
	    "entry_size", (json_int_t)p->p2m.entry_size,
	    "start_info", "pfn", (json_int_t)p->start_info.pfn,
	    "va", plan_hex_json(p->start_info.va),
	    "nr_pages", (json_int_t)p->start_info.nr_pages,
	    "flags", plan_hex_json(p->start_info.flags),
	    "flag_names", flag_names_json((uint32_t)p->start_info.flags),
	    "pt_base", plan_hex_json(p->start_info.pt_base),
	    "nr_pt_frames", (json_int_t)p->start_info.nr_pt_frames,
	    "mfn_list", plan_hex_json(p->start_info.mfn_list),
	    "mod_start", plan_hex_json(p->start_info.mod_start),
	    "mod_len", (json_int_t)p->start_info.mod_len,
	    "cmd_line_length", (json_int_t)p->start_info.cmd_line_length,
	    "shared_info", "vcpus", (json_int_t)p->shared_info.vcpus,
	    "masked_vcpu_info", (json_int_t)p->shared_info.masked_vcpu_info,
	    "upcall_mask", (json_int_t)p->shared_info.upcall_mask,
	    "vcpu", "ip", plan_hex_json(v->ip), "sp", plan_hex_json(v->sp),
	    "si", plan_hex_json(v->si), "flags", plan_hex_json(v->flags),
	    "cs", plan_hex_json(v->cs), "ds", plan_hex_json(v->ds),
	    "es", plan_hex_json(v->es), "fs", plan_hex_json(v->fs),
	    "gs", plan_hex_json(v->gs), "ss", plan_hex_json(v->ss),
	    "kernel_ss", plan_hex_json(v->kernel_ss),
	    "kernel_sp", plan_hex_json(v->kernel_sp),
	    "trap_cs", plan_hex_json(v->trap_cs),
	    "callback_cs", plan_hex_json(v->callback_cs));
	/* What the type adds; a failure is only ever out of memory. */
	if (o != NULL)
		(void)abi->ops->populate_json(o, p);
	return o;
}

uint64_t
plan_cmdline_max(const struct abi *abi)
{
	return abi->ops->cmdline_max;
}
