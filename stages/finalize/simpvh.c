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
 *    parameters pvbuild sets (the eight special pages', as
 *    alloc_magic_pages_hvm sets them, and the store and console event
 *    channels), and the
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

/* The sim's event channels, as the PV sim gives them. */
#define PVH_STORE_PORT 1
#define PVH_CONSOLE_PORT 2

/* Write len bytes at guest-physical gpa: machine.mem's byte gpa. */
static int
put(void *ctx, uint64_t gpa, const void *buf, size_t len, struct pv_err *e)
{
	struct sim *s = ctx;
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
	json_t *params;
	struct sim *s;
	int rc = -1;

	if ((s = sim_new(out, opt->sync, e)) == NULL)
		return -1;
	s->frames = frames_of(l);
	if (sim_dir_create_mem(s, out, e) < 0)
		goto done;
	if (hv_physical_image(p, kernel, initrd, put, s, e) < 0)
		goto done;
	if (close(s->mem_fd) < 0) {
		s->mem_fd = -1;
		sim_sys_fail(e, s, "machine.mem");
		goto done;
	}
	s->mem_fd = -1;
	/* The plan's parameters, then the event channels the sim gives. */
	params = json_deep_copy(json_object_get(pop, "hvm_params"));
	if (params != NULL && (json_object_set_new(params, "store_evtchn",
	    json_integer(PVH_STORE_PORT)) < 0 ||
	    json_object_set_new(params, "console_evtchn",
	    json_integer(PVH_CONSOLE_PORT)) < 0)) {
		json_decref(params);
		params = NULL;
	}
	dom = json_pack("{s:s, s:s, s:I, s:{s:s, s:I, s:I}, s:o, s:{s:O}, "
	    "s:o, s:O}",
	    "abi", p->elfinfo->abi->name, "backend", "sim",
	    "nr_pages", (json_int_t)l->nr_pages,
	    "machine", "file", "machine.mem", "page_size",
	    (json_int_t)PV_PAGE_SIZE, "frames", (json_int_t)s->frames,
	    "memory_map", memory_map_json(l),
	    "start_info", "gpa",
	    json_object_get(json_object_get(pop, "start_info"), "gpa"),
	    "hvm_params", params,
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
