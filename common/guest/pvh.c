/* SPDX-License-Identifier: ISC */
/*
 * pvh.c: the PVH guest type (guest.h): an HVM container entered at the
 * kernel's 32-bit physical entry point with paging off
 * (docs/misc/pvh.pandoc), planned as Xen 4.17's toolstack plans a PVH
 * domU without a device model. Every address here is guest-physical.
 *
 * Where the facts come from:
 *  - the RAM: libxl__build_hvm (libxl_dom.c) puts RAM from 0 up to the
 *    MMIO hole below 4 GiB and the rest from 4 GiB; with no device model
 *    the hole starts at the lowest of the special pages, the local APIC
 *    and the ACPI info page, which is 0xfc000000 (PVH_HOLE_START, abi.h);
 *  - the order of the parts: xc_dom_build_image (xg_dom_core.c) loads the
 *    kernel at its physical addresses, then the modules (the initrd) on
 *    the next page, then alloc_magic_pages_hvm (xg_dom_x86.c) takes the
 *    next page for the hvm_start_info segment;
 *  - that segment's size (alloc_magic_pages_hvm) and layout
 *    (bootlate_hvm): struct hvm_start_info, the command line rounded up
 *    to 8 bytes, a module list of two entries and their two command lines
 *    of MAX_GUEST_CMDLINE bytes each, then the memory map;
 *  - the special pages: the 8 pages below X86_HVM_END_SPECIAL_REGION
 *    (pfn 0xff000), in the order of SPECIALPAGE_* (special_pfn): paging,
 *    access, sharing, bufioreq, xenstore, ioreq, ident_pt, console; they
 *    lie in the hole, so the memory map leaves them out, as libxl's does;
 *  - ACPI: libxl__dom_load_acpi (libxl_x86_acpi.c) puts the info page at
 *    ACPI_INFO_PHYSICAL_ADDRESS, the tables on the pages after it and the
 *    RSDP (64 bytes) on the page after the tables, for a kernel that does
 *    not say it is a Linux unable to read hvm_start_info's rsdp_paddr;
 *  - the memory map: libxl__arch_domain_construct_memmap (libxl_x86.c):
 *    low RAM from 0, one ACPI entry per ACPI part, high RAM from 4 GiB.
 *
 * Where pvbuild differs (README, "PVH"): the map is in address order
 * (Xen lists the RSDP first); the tables are pvbuild's own five in one
 * page, where libacpi writes more; the RSDP always follows the tables
 * (Xen moves it to 0xfffc0 for a Linux kernel that lacks the
 * linux_rsdp_unrestricted feature); and the RAM is --memory, where libxl
 * maps maxmem and populates it on demand.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "xenhdr.h"

#include <xen/arch-x86/hvm/start_info.h>
#include <xen/hvm/hvm_info_table.h>
#include <xen/hvm/params.h>

/* Xen 4.17, xg_dom_x86.c and its private headers. */
#define PVH_END_SPECIAL_PFN 0xff000ULL	/* X86_HVM_END_SPECIAL_REGION */
#define PVH_NR_SPECIAL 8		/* X86_HVM_NR_SPECIAL_PAGES */
#define PVH_SPECIAL_XENSTORE 4		/* SPECIALPAGE_XENSTORE */
#define PVH_SPECIAL_CONSOLE 7		/* SPECIALPAGE_CONSOLE */
#define PVH_FIRST_SPECIAL_PFN (PVH_END_SPECIAL_PFN - PVH_NR_SPECIAL)
#define PVH_MODULES 2			/* HVMLOADER_MODULE_MAX_COUNT */
/* The ACPI info page (libacpi's ACPI_INFO_PHYSICAL_ADDRESS). */
#define PVH_ACPI_INFO PVH_HOLE_START
/* pvbuild's tables (populate) fit one page even with HVM_MAX_VCPUS. */
#define PVH_ACPI_TABLE_PAGES 1
#define PVH_RSDP_SIZE 64

/*
 * What alloc_magic_pages_hvm does with each special page: it populates
 * and clears all eight and points an HVM parameter at each, the device
 * model's two ioreq pages included even for a guest without one.
 */
const struct guest_pvh_special guest_pvh_special[PLAN_SPECIAL_PAGES] = {
	{ "paging", "paging_ring_pfn", HVM_PARAM_PAGING_RING_PFN, 0 },
	{ "access", "monitor_ring_pfn", HVM_PARAM_MONITOR_RING_PFN, 0 },
	{ "sharing", "sharing_ring_pfn", HVM_PARAM_SHARING_RING_PFN, 0 },
	{ "bufioreq", "bufioreq_pfn", HVM_PARAM_BUFIOREQ_PFN, 0 },
	{ "xenstore", "store_pfn", HVM_PARAM_STORE_PFN, 0 },
	{ "ioreq", "ioreq_pfn", HVM_PARAM_IOREQ_PFN, 0 },
	{ "ident_pt", "ident_pt", HVM_PARAM_IDENT_PT, 1 },
	{ "console", "console_pfn", HVM_PARAM_CONSOLE_PFN, 0 },
};

static const char *const elfinfo_keys[] = { "abi", "arch", "paging_levels",
    "image", "guest_info", "kernel_start", "kernel_end", "entry",
    "segments", "declared_by", "notes", "warnings", NULL };
static const char *const layout_keys[] = { "memory", "nr_pages", "initrd",
    "cmdline", "v_start", "v_end", "nr_pt_pages", "regions", "memory_map",
    "special_pages", "vcpus", "maxmem", "name", "disks", "nics", NULL };
/* In address order: the kernel at its own, what follows it, the hole. */
static const enum plan_region_id regions[] = {
	REGION_KERNEL, REGION_INITRD, REGION_START_INFO, REGION_ACPI,
	REGION_XENSTORE, REGION_CONSOLE,
};
#define NR_PVH_REGIONS (sizeof(regions) / sizeof(regions[0]))

static int
pvh_elfinfo_read(json_t *obj, struct plan_elfinfo *ei, struct pv_err *e)
{
	static const char *const declared[] = { "notes", "note-sections" };
	struct plan_xen3 *x = &ei->x3;
	const char *s;
	uint64_t v;
	size_t i, idx = 0;

	if (pj_get_enum(obj, "elfinfo", "declared_by", declared, 2, &idx,
	    e) < 0 ||
	    pj_get_strings(obj, "elfinfo", "notes", JSON_OBJECT, &x->notes,
	    e) < 0 ||
	    pj_get_strings(obj, "elfinfo", "warnings", JSON_ARRAY, &x->warnings,
	    e) < 0)
		return -1;
	x->declared_by = declared[idx];
	if (ei->guest_info != NULL)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.guest_info: a PVH "
		    "kernel declares itself by notes: null");
	s = json_string_value(json_object_get(x->notes, "PHYS32_ENTRY"));
	if (s == NULL || pv_parse_u64(s, &v) < 0 || v != ei->entry ||
	    v > UINT32_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.entry: not the "
		    "32-bit address of notes.PHYS32_ENTRY");
	for (i = 0; i < ei->nr_segments; i++)
		if (ei->segments[i].vaddr != ei->segments[i].paddr)
			return pv_fail(e, PV_EXIT_INPUT, "elfinfo.segments[%zu]."
			    "vaddr: not paddr (a PVH kernel is loaded at its "
			    "physical addresses)", i);
	if ((ei->kernel_start & (PV_PAGE_SIZE - 1)) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.kernel_start: not "
		    "page aligned");
	if (ei->kernel_end > ei->abi->hv_start)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.kernel_end: 0x%llx "
		    "reaches the MMIO hole below 4 GiB at 0x%llx",
		    (unsigned long long)ei->kernel_end,
		    (unsigned long long)ei->abi->hv_start);
	return 0;
}

static int
pvh_elfinfo_json(json_t *o, const struct plan_elfinfo *ei)
{
	const struct plan_xen3 *x = &ei->x3;
	json_t *more = json_pack("{s:s, s:O, s:O}", "declared_by",
	    x->declared_by, "notes", x->notes, "warnings", x->warnings);
	int rc = more != NULL && json_object_update(o, more) == 0 ? 0 : -1;

	json_decref(more);
	return rc;
}

/* The bytes of the hvm_start_info segment for a map of nr_map entries. */
static uint64_t
start_info_size(const struct plan_layout *l, size_t nr_map)
{
	uint64_t size = sizeof(struct hvm_start_info);

	size += PVH_MODULES * (sizeof(struct hvm_modlist_entry) +
	    MAX_GUEST_CMDLINE);
	size += nr_map * sizeof(struct hvm_memmap_table_entry);
	/* The command line is capped (PLAN_CMDLINE_MAX): no overflow. */
	if (l->cmdline != NULL && l->cmdline[0] != '\0')
		size += (strlen(l->cmdline) + 1 + 7) & ~(uint64_t)7;
	return size;
}

static void
map_add(struct plan_layout *l, uint64_t addr, uint64_t size, uint32_t type)
{
	struct plan_memmap *m = &l->memmap[l->nr_memmap++];

	m->addr = addr;
	m->size = size;
	m->type = type;
}

/*
 * The plan of the guest-physical space for the request in l (memory,
 * initrd, command line), into l's regions and memory map.
 */
static int
pvh_layout_solve(const struct plan_elfinfo *ei, struct plan_layout *l,
    struct pv_err *e)
{
	uint64_t low = l->memory, high = 0, at, acpi_end;
	size_t i;

	if (low > PVH_HOLE_START) {
		high = low - PVH_HOLE_START;
		low = PVH_HOLE_START;
	}
	l->v_start = 0;
	l->v_end = ei->abi->va_limit;
	l->nr_pt_pages = 0;
	l->nr_memmap = 0;
	acpi_end = PVH_ACPI_INFO + ((1 + PVH_ACPI_TABLE_PAGES) <<
	    PV_PAGE_SHIFT) + PVH_RSDP_SIZE;
	map_add(l, 0, low, XEN_HVM_MEMMAP_TYPE_RAM);
	map_add(l, PVH_ACPI_INFO, PV_PAGE_SIZE, XEN_HVM_MEMMAP_TYPE_ACPI);
	map_add(l, PVH_ACPI_INFO + PV_PAGE_SIZE,
	    PVH_ACPI_TABLE_PAGES << PV_PAGE_SHIFT, XEN_HVM_MEMMAP_TYPE_ACPI);
	map_add(l, acpi_end - PVH_RSDP_SIZE, PVH_RSDP_SIZE,
	    XEN_HVM_MEMMAP_TYPE_ACPI);
	if (high != 0)
		map_add(l, 1ULL << 32, high, XEN_HVM_MEMMAP_TYPE_RAM);

	at = ei->kernel_start;
	if (guest_place(l, REGION_KERNEL, &at, ei->kernel_end -
	    ei->kernel_start, e) < 0 ||
	    guest_place(l, REGION_INITRD, &at, l->has_initrd ?
	    l->initrd.data_size : 0, e) < 0 ||
	    guest_place(l, REGION_START_INFO, &at, start_info_size(l,
	    l->nr_memmap), e) < 0)
		return -1;
	/* What the build writes in RAM must lie in low RAM. */
	if (l->regions[REGION_START_INFO].end > low)
		return guest_too_small(l, (l->regions[REGION_START_INFO].end +
		    PV_PAGE_SIZE - 1) & ~(uint64_t)(PV_PAGE_SIZE - 1), e);
	l->regions[REGION_ACPI].start = PVH_ACPI_INFO;
	l->regions[REGION_ACPI].end = acpi_end;
	for (i = 0; i < PVH_NR_SPECIAL; i++) {
		l->special[i].pfn = PVH_FIRST_SPECIAL_PFN + i;
		l->special[i].role = i;
	}
	at = (PVH_FIRST_SPECIAL_PFN + PVH_SPECIAL_XENSTORE) << PV_PAGE_SHIFT;
	l->regions[REGION_XENSTORE].start = at;
	l->regions[REGION_XENSTORE].end = at + PV_PAGE_SIZE;
	at = (PVH_FIRST_SPECIAL_PFN + PVH_SPECIAL_CONSOLE) << PV_PAGE_SHIFT;
	l->regions[REGION_CONSOLE].start = at;
	l->regions[REGION_CONSOLE].end = at + PV_PAGE_SIZE;
	return 0;
}

/*
 * The special pages of a plan, before they are held to their places:
 * each in the hole below 4 GiB, on no entry of the memory map (RAM or
 * ACPI) and on no other special page, so that an edit is refused with
 * what is wrong with it.
 */
static int
special_check(const struct plan_layout *l, struct pv_err *e)
{
	const uint64_t hole = PVH_HOLE_START >> PV_PAGE_SHIFT;
	const uint64_t top = (1ULL << 32) >> PV_PAGE_SHIFT;
	size_t i, j;

	for (i = 0; i < PVH_NR_SPECIAL; i++) {
		uint64_t pfn = l->special[i].pfn;

		/* The map was held to its derivation: its ends do not wrap. */
		for (j = 0; j < l->nr_memmap; j++)
			if (pfn < (l->memmap[j].addr + l->memmap[j].size +
			    PV_PAGE_SIZE - 1) >> PV_PAGE_SHIFT &&
			    pfn >= l->memmap[j].addr >> PV_PAGE_SHIFT)
				return pv_fail(e, PV_EXIT_INPUT, "layout."
				    "special_pages[%zu].pfn: 0x%llx overlaps "
				    "layout.memory_map[%zu] (%s)", i,
				    (unsigned long long)pfn, j,
				    l->memmap[j].type == XEN_HVM_MEMMAP_TYPE_RAM ?
				    "RAM" : "ACPI");
		for (j = 0; j < i; j++)
			if (l->special[j].pfn == pfn)
				return pv_fail(e, PV_EXIT_INPUT, "layout."
				    "special_pages[%zu].pfn: 0x%llx is "
				    "special_pages[%zu]'s too", i,
				    (unsigned long long)pfn, j);
		if (pfn < hole || pfn >= top)
			return pv_fail(e, PV_EXIT_INPUT, "layout.special_pages"
			    "[%zu].pfn: 0x%llx is not in the hole [0x%llx, "
			    "0x%llx) below 4 GiB", i, (unsigned long long)pfn,
			    (unsigned long long)hole, (unsigned long long)top);
	}
	return 0;
}

/*
 * A plan's layout against the same rules: the plan must be what they
 * make of its request, region by region and entry by entry.
 */
static int
pvh_layout_check(const struct plan_elfinfo *ei, const struct plan_layout *l,
    struct pv_err *e)
{
	struct plan_layout *want;
	struct pv_err why;
	size_t i;
	int rc = -1;

	if ((want = malloc(sizeof(*want))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	memcpy(want, l, sizeof(*want));
	if (pvh_layout_solve(ei, want, &why) < 0) {
		pv_fail(e, PV_EXIT_INPUT, "layout: %s", why.msg);
		goto out;
	}
	if (l->v_start != want->v_start || l->v_end != want->v_end ||
	    l->nr_pt_pages != 0) {
		pv_fail(e, PV_EXIT_INPUT, "layout.v_start: a PVH layout spans "
		    "[0, 4 GiB) with no page tables");
		goto out;
	}
	for (i = 0; i < NR_PVH_REGIONS; i++) {
		const struct plan_region *r = &l->regions[regions[i]];
		const struct plan_region *w = &want->regions[regions[i]];

		if (r->start != w->start || r->end != w->end) {
			pv_fail(e, PV_EXIT_INPUT, "layout.regions[%zu]: the %s "
			    "region is [0x%llx, 0x%llx), not [0x%llx, 0x%llx)",
			    i, plan_region_names[regions[i]],
			    (unsigned long long)r->start,
			    (unsigned long long)r->end,
			    (unsigned long long)w->start,
			    (unsigned long long)w->end);
			goto out;
		}
	}
	if (l->nr_memmap != want->nr_memmap) {
		pv_fail(e, PV_EXIT_INPUT, "layout.memory_map: %zu entries, "
		    "not %zu", l->nr_memmap, want->nr_memmap);
		goto out;
	}
	for (i = 0; i < l->nr_memmap; i++)
		if (l->memmap[i].addr != want->memmap[i].addr ||
		    l->memmap[i].size != want->memmap[i].size ||
		    l->memmap[i].type != want->memmap[i].type) {
			pv_fail(e, PV_EXIT_INPUT, "layout.memory_map[%zu]: not "
			    "{0x%llx, 0x%llx, %u}", i,
			    (unsigned long long)want->memmap[i].addr,
			    (unsigned long long)want->memmap[i].size,
			    (unsigned)want->memmap[i].type);
			goto out;
		}
	if (special_check(l, e) < 0)
		goto out;
	for (i = 0; i < PVH_NR_SPECIAL; i++)
		if (l->special[i].pfn != want->special[i].pfn ||
		    l->special[i].role != want->special[i].role) {
			pv_fail(e, PV_EXIT_INPUT, "layout.special_pages[%zu]: "
			    "not the %s page at pfn 0x%llx (libxenguest's "
			    "special_pfn(%zu))", i,
			    guest_pvh_special[want->special[i].role].role,
			    (unsigned long long)want->special[i].pfn, i);
			goto out;
		}
	rc = 0;
out:
	free(want);
	return rc;
}

/* layout.special_pages: all eight, each its role, pfn and address. */
static int
special_read(json_t *obj, struct plan_layout *l, struct pv_err *e)
{
	static const char *const keys[] = { "role", "pfn", "gpa", NULL };
	static const char *roles[PLAN_SPECIAL_PAGES];
	json_t *arr, *m;
	char path[48];
	uint64_t gpa;
	size_t i;

	for (i = 0; i < PLAN_SPECIAL_PAGES; i++)
		roles[i] = guest_pvh_special[i].role;
	if (pj_get_array(obj, "layout", "special_pages", 0, SIZE_MAX, &arr,
	    e) < 0)
		return -1;
	if (json_array_size(arr) != PLAN_SPECIAL_PAGES)
		return pv_fail(e, PV_EXIT_INPUT, "layout.special_pages: %zu "
		    "entries, not the %d special pages of an HVM domain",
		    json_array_size(arr), PLAN_SPECIAL_PAGES);
	json_array_foreach(arr, i, m) {
		struct plan_special *sp = &l->special[i];

		snprintf(path, sizeof(path), "layout.special_pages[%zu]", i);
		if (pj_is_object(m, path, e) < 0 ||
		    pj_only_keys(m, path, keys, e) < 0 ||
		    pj_get_enum(m, path, "role", roles, PLAN_SPECIAL_PAGES,
		    &sp->role, e) < 0 ||
		    pj_get_uint(m, path, "pfn", &sp->pfn, e) < 0 ||
		    pj_get_hex(m, path, "gpa", &gpa, e) < 0)
			return -1;
		if (sp->pfn > (UINT64_MAX >> PV_PAGE_SHIFT) ||
		    gpa != sp->pfn << PV_PAGE_SHIFT)
			return pv_fail(e, PV_EXIT_INPUT, "%s.gpa: not the "
			    "address of its pfn", path);
	}
	return 0;
}

static int
pvh_layout_read(json_t *obj, struct plan_layout *l, struct pv_err *e)
{
	static const char *const keys[] = { "addr", "size", "type", NULL };
	json_t *arr, *m;
	char path[48];
	uint64_t type;
	size_t i;

	if (pj_get_array(obj, "layout", "memory_map", 1, PLAN_MEMMAP_MAX, &arr,
	    e) < 0)
		return -1;
	json_array_foreach(arr, i, m) {
		struct plan_memmap *p = &l->memmap[i];

		snprintf(path, sizeof(path), "layout.memory_map[%zu]", i);
		if (pj_is_object(m, path, e) < 0 ||
		    pj_only_keys(m, path, keys, e) < 0 ||
		    pj_get_hex(m, path, "addr", &p->addr, e) < 0 ||
		    pj_get_hex(m, path, "size", &p->size, e) < 0 ||
		    pj_get_uint(m, path, "type", &type, e) < 0)
			return -1;
		if (type > UINT32_MAX)
			return pv_fail(e, PV_EXIT_INPUT, "%s.type: wider than "
			    "32 bits", path);
		p->type = (uint32_t)type;
	}
	l->nr_memmap = json_array_size(arr);
	return special_read(obj, l, e);
}

static int
pvh_layout_json(json_t *o, const struct plan_layout *l)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < l->nr_memmap; i++)
		if (json_array_append_new(arr, json_pack("{s:o, s:o, s:I}",
		    "addr", plan_hex_json(l->memmap[i].addr),
		    "size", plan_hex_json(l->memmap[i].size),
		    "type", (json_int_t)l->memmap[i].type)) < 0) {
			json_decref(arr);
			return -1;
		}
	if (json_object_set_new(o, "memory_map", arr) < 0 ||
	    (arr = json_array()) == NULL)
		return -1;
	for (i = 0; i < PVH_NR_SPECIAL; i++)
		if (json_array_append_new(arr, json_pack("{s:s, s:I, s:o}",
		    "role", guest_pvh_special[l->special[i].role].role,
		    "pfn", (json_int_t)l->special[i].pfn,
		    "gpa", plan_hex_json(l->special[i].pfn << PV_PAGE_SHIFT))) <
		    0) {
			json_decref(arr);
			return -1;
		}
	return json_object_set_new(o, "special_pages", arr);
}

/* No page tables: the guest starts with paging off (pvh.pandoc). */
static int
pvh_pagetables(const struct plan *p, json_t **member, struct pv_err *e)
{
	(void)p;
	if ((*member = json_object()) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	return 0;
}

const struct guest_ops guest_pvh = {
	.elfinfo_keys = elfinfo_keys,
	.segment_keys = guest_xen3_segment_keys, .segment_paddr = 1,
	.load_flags = "rwx", .chosen = 1,
	.elfinfo_read = pvh_elfinfo_read, .elfinfo_json = pvh_elfinfo_json,
	.physical = 1, .layout_keys = layout_keys, .regions = regions,
	.nr_regions = NR_PVH_REGIONS,
	/* RAM below the hole and up to 1 TiB above 4 GiB. */
	.max_memory = 1ULL << 40,
	.max_vcpus = HVM_MAX_VCPUS,
	.layout_solve = pvh_layout_solve, .layout_check = pvh_layout_check,
	.layout_read = pvh_layout_read, .layout_json = pvh_layout_json,
	/* The command line goes whole into the start_info segment. */
	.cmdline_max = PLAN_CMDLINE_MAX + 1,
	.populate_whole = guest_pvh_populate,
	.populate_whole_read = guest_pvh_populate_read,
	.pagetables = pvh_pagetables,
	/* Xen runs it as an HVM guest that starts in 32-bit mode, on a
	 * host with HAP (stages/finalize/xen_pvh.c checks that). */
	.xen_builds = 1, .xen_capability = "hvm-3.0-x86_32",
};
