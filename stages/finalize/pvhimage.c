/* SPDX-License-Identifier: ISC */
/*
 * pvhimage.c: the bytes of a domain planned in guest-physical terms
 * (pvh), as every backend writes them (hv.h): the kernel's segments and
 * the initrd where the plan's writes put them, hvm_start_info with its
 * command line, module list and memory map (bootlate_hvm's layout of its
 * segment, xg_dom_x86.c), each ACPI table at its address, and the
 * special pages cleared with the identity page table in its own, as
 * alloc_magic_pages_hvm leaves them. The sim writes them into
 * machine.mem, the xen backend into the guest's frames.
 *
 * The plan's populate member was held to its derivation whole by the
 * plan reader, so what it says is what the layout makes; the lengths are
 * still checked against what holds them before a byte is copied.
 */
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "xenhdr.h"

#include <xen/arch-x86/hvm/start_info.h>

static uint64_t
hex(json_t *o, const char *key)
{
	uint64_t v = 0;

	(void)pv_parse_u64(json_string_value(json_object_get(o, key)), &v);
	return v;
}

/* The kernel's segments and the initrd, as the plan's writes say. */
static int
load(json_t *writes, const struct plan *p, const uint8_t *kernel,
    const uint8_t *initrd, hv_put_fn put, void *ctx, struct pv_err *e)
{
	json_t *w;
	size_t i;

	json_array_foreach(writes, i, w) {
		const char *src = json_string_value(json_object_get(w,
		    "source"));
		uint64_t gpa = ((uint64_t)json_integer_value(json_object_get(w,
		    "pfn")) << PV_PAGE_SHIFT) +
		    (uint64_t)json_integer_value(json_object_get(w, "offset"));
		uint64_t len = (uint64_t)json_integer_value(json_object_get(w,
		    "length"));
		uint64_t off = (uint64_t)json_integer_value(json_object_get(w,
		    "source_offset"));
		const uint8_t *from = src == NULL ? NULL :
		    strcmp(src, "kernel") == 0 ? kernel :
		    strcmp(src, "initrd") == 0 ? initrd : NULL;
		uint64_t size = from == kernel ? p->elfinfo->image.data_size :
		    p->layout->has_initrd ? p->layout->initrd.data_size : 0;

		/* A zero write: every backend's frames start zeroed. */
		if (from == NULL)
			continue;
		if (!pv_inside(off, len, size) || len > SIZE_MAX)
			return pv_fail(e, PV_EXIT_INPUT, "populate.writes[%zu]: "
			    "past the end of its file", i);
		if (put(ctx, gpa, from + off, (size_t)len, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * hvm_start_info, its command line, module list and memory map, at the
 * places the plan gives, built in one buffer the segment's size.
 */
static int
write_start_info(json_t *si, const struct plan_layout *l, hv_put_fn put,
    void *ctx, struct pv_err *e)
{
	uint64_t gpa = hex(si, "gpa"), size;
	struct hvm_start_info h;
	struct hvm_modlist_entry m;
	struct hvm_memmap_table_entry mm;
	json_t *mod;
	uint8_t *seg;
	size_t i;
	int rc;

	size = l->regions[REGION_START_INFO].end - gpa;
	if ((seg = calloc(1, (size_t)size)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	memset(&h, 0, sizeof(h));
	h.magic = (uint32_t)hex(si, "magic");
	h.version = (uint32_t)json_integer_value(json_object_get(si,
	    "version"));
	h.flags = (uint32_t)hex(si, "flags");
	h.nr_modules = (uint32_t)json_integer_value(json_object_get(si,
	    "nr_modules"));
	h.modlist_paddr = hex(si, "modlist_paddr");
	h.cmdline_paddr = hex(si, "cmdline_paddr");
	h.rsdp_paddr = hex(si, "rsdp_paddr");
	h.memmap_paddr = hex(si, "memmap_paddr");
	h.memmap_entries = (uint32_t)json_integer_value(json_object_get(si,
	    "memmap_entries"));
	memcpy(seg, &h, sizeof(h));
	if (h.cmdline_paddr != 0)
		memcpy(seg + (h.cmdline_paddr - gpa), l->cmdline,
		    strlen(l->cmdline) + 1);
	json_array_foreach(json_object_get(si, "modules"), i, mod) {
		memset(&m, 0, sizeof(m));
		m.paddr = hex(mod, "paddr");
		m.size = hex(mod, "size");
		m.cmdline_paddr = hex(mod, "cmdline_paddr");
		memcpy(seg + (h.modlist_paddr - gpa) + i * sizeof(m), &m,
		    sizeof(m));
	}
	for (i = 0; i < l->nr_memmap; i++) {
		memset(&mm, 0, sizeof(mm));
		mm.addr = l->memmap[i].addr;
		mm.size = l->memmap[i].size;
		mm.type = l->memmap[i].type;
		memcpy(seg + (h.memmap_paddr - gpa) + i * sizeof(mm), &mm,
		    sizeof(mm));
	}
	rc = put(ctx, gpa, seg, (size_t)size, e);
	free(seg);
	return rc;
}

/* Each ACPI table's bytes at its address. */
static int
write_acpi(json_t *tables, hv_put_fn put, void *ctx, struct pv_err *e)
{
	uint8_t buf[2048];
	const char *h;
	json_t *t;
	size_t i, j, n;

	json_array_foreach(tables, i, t) {
		h = json_string_value(json_object_get(t, "bytes"));
		n = h == NULL ? 0 : strlen(h) / 2;
		if (n > sizeof(buf))
			return pv_fail(e, PV_EXIT_INPUT, "populate.acpi[%zu]: "
			    "too long", i);
		for (j = 0; j < n; j++) {
			char pair[3] = { h[2 * j], h[2 * j + 1], '\0' };

			buf[j] = (uint8_t)strtoul(pair, NULL, 16);
		}
		if (put(ctx, hex(t, "gpa"), buf, n, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * Every special page cleared (xc_clear_domain_pages), then the identity
 * page table in its page: entry i maps i * stride with the plan's flags,
 * 32-bit entries as a non-PAE page directory has them.
 */
static int
write_special(json_t *ident, const struct plan_layout *l, hv_put_fn put,
    void *ctx, struct pv_err *e)
{
	uint8_t page[PV_PAGE_SIZE];
	uint64_t entries, stride = hex(ident, "stride"), flags = hex(ident,
	    "flags"), pfn, v;
	size_t i;

	memset(page, 0, sizeof(page));
	for (i = 0; i < PLAN_SPECIAL_PAGES; i++)
		if (put(ctx, l->special[i].pfn << PV_PAGE_SHIFT, page,
		    sizeof(page), e) < 0)
			return -1;
	entries = (uint64_t)json_integer_value(json_object_get(ident,
	    "entries"));
	pfn = (uint64_t)json_integer_value(json_object_get(ident, "pfn"));
	if (entries > sizeof(page) / 4)
		return pv_fail(e, PV_EXIT_INPUT, "populate.ident_pt.entries: "
		    "more than a page holds");
	for (i = 0; i < entries; i++) {
		v = (uint64_t)i * stride | flags;
		page[4 * i] = (uint8_t)v;
		page[4 * i + 1] = (uint8_t)(v >> 8);
		page[4 * i + 2] = (uint8_t)(v >> 16);
		page[4 * i + 3] = (uint8_t)(v >> 24);
	}
	return put(ctx, pfn << PV_PAGE_SHIFT, page, sizeof(page), e);
}

int
hv_physical_image(const struct plan *p, const uint8_t *kernel,
    const uint8_t *initrd, hv_put_fn put, void *ctx, struct pv_err *e)
{
	json_t *pop = json_object_get(p->root, "populate");

	if (load(json_object_get(pop, "writes"), p, kernel, initrd, put, ctx,
	    e) < 0 ||
	    write_start_info(json_object_get(pop, "start_info"), p->layout,
	    put, ctx, e) < 0 ||
	    write_acpi(json_object_get(pop, "acpi"), put, ctx, e) < 0 ||
	    write_special(json_object_get(pop, "ident_pt"), p->layout, put,
	    ctx, e) < 0)
		return -1;
	return 0;
}
