/* SPDX-License-Identifier: ISC */
/*
 * simpvh.c: the sim's domain of a type planned in guest-physical terms
 * (pvh): no machine frames to scatter, no p2m, no page tables. The
 * domain directory is built as the PV sim builds one (simdir.c: a
 * locked temporary renamed into place, plan.json, arrangement.txt):
 *  - machine.mem, the guest-physical image: gfn g at byte g * 4096,
 *    sparse, covering every RAM frame of the memory map and every page
 *    the build writes (the ACPI tables, hvm_start_info, the special
 *    pages);
 *  - domain.json: the memory map, where hvm_start_info is, the HVM
 *    parameters of the special pages and their event channels, and the
 *    first vCPU's state, named after <xen/hvm/hvm_vcpu.h>'s
 *    struct vcpu_hvm_x86_32.
 * The plan's populate member was held to its derivation whole by the
 * plan reader, so what it says is what the layout makes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"
#include "xenhdr.h"

#include <xen/arch-x86/hvm/start_info.h>

/* The sim's event channels, as the PV sim gives them. */
#define PVH_STORE_PORT 1
#define PVH_CONSOLE_PORT 2

static int
put(struct sim *s, uint64_t gpa, const void *buf, size_t len,
    struct pv_err *e)
{
	const uint8_t *b = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(s->mem_fd, b, len, (off_t)gpa);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sim_sys_fail(e, s, "machine.mem");
		b += n;
		gpa += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* The kernel's segments and the initrd, as the plan's writes say. */
static int
load(struct sim *s, json_t *writes, const struct plan *p,
    const uint8_t *kernel, const uint8_t *initrd, struct pv_err *e)
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
		const uint8_t *from = strcmp(src, "kernel") == 0 ? kernel :
		    strcmp(src, "initrd") == 0 ? initrd : NULL;
		uint64_t size = from == kernel ? p->elfinfo->image.data_size :
		    p->layout->has_initrd ? p->layout->initrd.data_size : 0;

		/* A zero write: machine.mem is a new sparse file. */
		if (from == NULL)
			continue;
		if (!pv_inside(off, len, size))
			return pv_fail(e, PV_EXIT_INPUT, "populate.writes[%zu]: "
			    "past the end of its file", i);
		if (put(s, gpa, from + off, (size_t)len, e) < 0)
			return -1;
	}
	return 0;
}

static uint64_t
hex(json_t *o, const char *key)
{
	uint64_t v = 0;

	(void)pv_parse_u64(json_string_value(json_object_get(o, key)), &v);
	return v;
}

/*
 * hvm_start_info, its command line, module list and memory map, at the
 * places the plan gives (bootlate_hvm's layout of the segment).
 */
static int
write_start_info(struct sim *s, json_t *si, const struct plan_layout *l,
    struct pv_err *e)
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
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
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
	rc = put(s, gpa, seg, (size_t)size, e);
	free(seg);
	return rc;
}

/* Each ACPI table's bytes at its address. */
static int
write_acpi(struct sim *s, json_t *tables, struct pv_err *e)
{
	uint8_t buf[2048];
	const char *h;
	json_t *t;
	size_t i, j, n;

	json_array_foreach(tables, i, t) {
		h = json_string_value(json_object_get(t, "bytes"));
		n = strlen(h) / 2;
		if (n > sizeof(buf))
			return pv_fail(e, PV_EXIT_INPUT, "populate.acpi[%zu]: "
			    "too long", i);
		for (j = 0; j < n; j++) {
			char pair[3] = { h[2 * j], h[2 * j + 1], '\0' };

			buf[j] = (uint8_t)strtoul(pair, NULL, 16);
		}
		if (put(s, hex(t, "gpa"), buf, n, e) < 0)
			return -1;
	}
	return 0;
}

static json_t *
memory_map_json(const struct plan_layout *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < l->nr_memmap; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:I}",
		    "addr", plan_hex_json(l->memmap[i].addr),
		    "size", plan_hex_json(l->memmap[i].size),
		    "type", (json_int_t)l->memmap[i].type));
	return a;
}

/* The frames machine.mem covers: RAM and every page written. */
static uint64_t
frames_of(const struct plan_layout *l)
{
	uint64_t end = 0, top;
	size_t i;

	for (i = 0; i < l->nr_memmap; i++) {
		top = (l->memmap[i].addr + l->memmap[i].size + PV_PAGE_SIZE -
		    1) >> PV_PAGE_SHIFT;
		if (top > end)
			end = top;
	}
	top = l->regions[REGION_CONSOLE].end >> PV_PAGE_SHIFT;
	return top > end ? top : end;
}

int
hv_sim_build_physical(const char *out, const struct hv_sim_options *opt,
    const struct plan *p, const uint8_t *kernel, const uint8_t *initrd,
    const char *arrangement, struct pv_err *e)
{
	const struct plan_layout *l = p->layout;
	json_t *pop = json_object_get(p->root, "populate"), *dom = NULL;
	struct sim *s;
	int rc = -1;

	if ((s = sim_new(out, opt->sync, e)) == NULL)
		return -1;
	s->frames = frames_of(l);
	if (sim_dir_create_mem(s, out, e) < 0)
		goto done;
	if (load(s, json_object_get(pop, "writes"), p, kernel, initrd, e) < 0 ||
	    write_start_info(s, json_object_get(pop, "start_info"), l, e) < 0 ||
	    write_acpi(s, json_object_get(pop, "acpi"), e) < 0)
		goto done;
	if (close(s->mem_fd) < 0) {
		s->mem_fd = -1;
		sim_sys_fail(e, s, "machine.mem");
		goto done;
	}
	s->mem_fd = -1;
	dom = json_pack("{s:s, s:s, s:I, s:{s:s, s:I, s:I}, s:o, s:{s:O}, "
	    "s:{s:O, s:O, s:i, s:i}, s:O}",
	    "abi", p->elfinfo->abi->name, "backend", "sim",
	    "nr_pages", (json_int_t)l->nr_pages,
	    "machine", "file", "machine.mem", "page_size",
	    (json_int_t)PV_PAGE_SIZE, "frames", (json_int_t)s->frames,
	    "memory_map", memory_map_json(l),
	    "start_info", "gpa",
	    json_object_get(json_object_get(pop, "start_info"), "gpa"),
	    "hvm_params",
	    "store_pfn", json_object_get(json_object_get(pop, "hvm_params"),
	    "store_pfn"),
	    "console_pfn", json_object_get(json_object_get(pop, "hvm_params"),
	    "console_pfn"),
	    "store_evtchn", PVH_STORE_PORT, "console_evtchn", PVH_CONSOLE_PORT,
	    "vcpu", json_object_get(pop, "vcpu"));
	if (dom == NULL || plan_request_set(dom, l) < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
		goto done;
	}
	if (sim_dir_write_json(s, "domain.json", dom, e) < 0 ||
	    sim_dir_write_json(s, "plan.json", p->root, e) < 0 ||
	    sim_dir_write_file(s, "arrangement.txt", arrangement,
	    strlen(arrangement), e) < 0 || sim_dir_place(s, e) < 0)
		goto done;
	rc = 0;
done:
	json_decref(dom);
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	sim_dir_remove(s);
	free(s->out);
	free(s);
	return rc;
}
