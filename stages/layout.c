/*
 * layout: add the domain request (memory, initrd, command line) to a plan
 * and solve the bootstrap virtual address space as the seed does.
 */
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pt.h"

#define PROG "layout"
#define SYNOPSIS "layout --memory SIZE [--initrd FILE] [--cmdline STRING] " \
    "[PLAN]"
#define FOUR_MB ((uint64_t)1 << X13_L2_SHIFT)


static int
hole(const struct plan_layout *l, uint64_t at, struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_INPUT, "the bootstrap region [0x%llx, 0x%llx) "
	    "reaches the hypervisor hole at 0x%llx",
	    (unsigned long long)l->v_start, (unsigned long long)l->v_end,
	    (unsigned long long)at);
}

static int
too_small(const struct plan_layout *l, uint64_t need, struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_INPUT, "--memory: initial guest OS requires "
	    "too much space (%llu pages are more than the domain's %llu)",
	    (unsigned long long)(need >> PV_PAGE_SHIFT),
	    (unsigned long long)l->nr_pages);
}

/* Place a region of `size` bytes at *va, leaving *va at its page end. */
static int
place(struct plan_layout *l, enum plan_region_id id, uint64_t *va,
    uint64_t size, struct pv_err *e)
{
	l->regions[id].start = *va;
	if (pv_add(*va, size, &l->regions[id].end) < 0 ||
	    pv_roundup(l->regions[id].end, PV_PAGE_SIZE, va) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "the bootstrap region overflows "
		    "the address space");
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
solve_xen3(const struct plan_elfinfo *ei, struct plan_layout *l,
    struct pv_err *e)
{
	const struct plan_xen3 *x = &ei->x3;
	const struct abi *abi = ei->abi;
	const uint64_t extra = 1 + (512 * 1024) / PV_PAGE_SIZE, four = 4 << 20;
	uint64_t va = l->v_start = x->virt_base, pages, try_end, boot, used;
	uint64_t limit, p2m_bytes;
	struct pt_geometry g;
	int mapped_initrd = l->has_initrd && !x->mod_start_pfn, tries;

	if (pv_mul(l->nr_pages, abi->word, &p2m_bytes) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "--memory: too large");
	va = ei->kernel_start;
	if (place(l, REGION_KERNEL, &va, ei->kernel_end - ei->kernel_start,
	    e) < 0 || place(l, REGION_INITRD, &va, mapped_initrd ?
	    l->initrd.data_size : 0, e) < 0 ||
	    place(l, REGION_P2M, &va, x->has_init_p2m ? 0 : p2m_bytes, e) < 0 ||
	    place(l, REGION_START_INFO, &va, PV_PAGE_SIZE, e) < 0 ||
	    place(l, REGION_XENSTORE, &va, PV_PAGE_SIZE, e) < 0 ||
	    place(l, REGION_CONSOLE, &va, PV_PAGE_SIZE, e) < 0)
		return -1;
	/* The region must not run into the hole (or off the end). */
	limit = abi->id == ABI_X86_32P ? abi->hv_start : UINT64_MAX;
	if (x->has_hv_start_low && x->hv_start_low < limit &&
	    abi->id == ABI_X86_32P)
		limit = x->hv_start_low;
	for (pages = extra, tries = 0;; tries++) {
		memset(&g, 0, sizeof(g));
		g.abi = abi;
		if (tries > 64 || pv_add(va, pages << PV_PAGE_SHIFT, &try_end) < 0 ||
		    pv_roundup(try_end, four, &try_end) < 0 || try_end == 0 ||
		    try_end > limit) {
			if (limit == UINT64_MAX || try_end == 0 || tries > 64)
				return pv_fail(e, PV_EXIT_INPUT, "the bootstrap "
				    "region from 0x%llx runs off the end of the "
				    "address space", (unsigned long long)
				    l->v_start);
			l->v_end = try_end;
			return hole(l, limit, e);
		}
		if (pt_add_mapping(&g, l->v_start, try_end - 1, 0,
		    (va - l->v_start) >> PV_PAGE_SHIFT, e) < 0)
			return -1;
		pages = g.map[0].nr_tables + extra;
		if (va + (pages << PV_PAGE_SHIFT) <= try_end)
			break;
	}
	l->v_end = try_end;
	l->nr_pt_pages = g.map[0].nr_tables;
	if (place(l, REGION_PAGETABLES, &va, l->nr_pt_pages << PV_PAGE_SHIFT,
	    e) < 0 || place(l, REGION_STACK, &va, PV_PAGE_SIZE, e) < 0)
		return -1;
	if (abi->id == ABI_X86_64 && l->v_start < abi->hv_end &&
	    l->v_end > abi->hv_start)
		return hole(l, abi->hv_start, e);
	boot = used = plan_bootstrap_pages(l);
	if (boot > l->nr_pages)
		return too_small(l, l->v_end - l->v_start, e);
	if (l->has_initrd && x->mod_start_pfn) {
		l->has_initrd_pfn = 1;
		l->initrd_pfn = used;
		used += (l->initrd.data_size + PV_PAGE_SIZE - 1) >> PV_PAGE_SHIFT;
	}
	if (x->has_init_p2m) {
		l->p2m_map.present = 1;
		l->p2m_map.va = x->init_p2m;
		l->p2m_map.pfn = used;
		l->p2m_map.pages = (p2m_bytes + PV_PAGE_SIZE - 1) >>
		    PV_PAGE_SHIFT;
		if (pt_add_mapping(&g, l->p2m_map.va, l->p2m_map.va +
		    (l->p2m_map.pages << PV_PAGE_SHIFT) - 1, used,
		    used + l->p2m_map.pages, e) < 0)
			return pv_wrap(e, "INIT_P2M");
		l->p2m_map.pt_pages = g.map[1].nr_tables;
		used += l->p2m_map.pages + l->p2m_map.pt_pages;
	}
	if (used > l->nr_pages)
		return too_small(l, used << PV_PAGE_SHIFT, e);
	return 0;
}

/*
 * The seed's simultaneous equations: the number of page-table pages depends
 * on the size of the bootstrap region, which depends on the number of
 * page-table pages (each is mapped). Solved, as the seed solves them, by
 * trying counts from 2 up; the answer is never more than one L1 per 4 MiB
 * of a 4 GiB space plus the directory, which bounds the loop.
 */
static int
solve_xen13(const struct plan_elfinfo *ei, struct plan_layout *l, struct pv_err *e)
{
	struct plan_region *r = l->regions;
	uint64_t initrd_len = l->has_initrd ? l->initrd.data_size : 0;
	uint64_t nr_pt, p2m_size = l->nr_pages * 4, t;

	l->v_start = ei->kernel_start & ~(FOUR_MB - 1);
	r[REGION_KERNEL].start = ei->kernel_start;
	r[REGION_KERNEL].end = ei->kernel_end;
	for (nr_pt = 2; nr_pt <= 1025; nr_pt++) {
		if (pv_roundup(ei->kernel_end, PV_PAGE_SIZE,
		    &r[REGION_INITRD].start) < 0 ||
		    pv_add(r[REGION_INITRD].start, initrd_len,
		    &r[REGION_INITRD].end) < 0 ||
		    pv_roundup(r[REGION_INITRD].end, PV_PAGE_SIZE,
		    &r[REGION_P2M].start) < 0 ||
		    pv_add(r[REGION_P2M].start, p2m_size, &r[REGION_P2M].end) < 0 ||
		    pv_roundup(r[REGION_P2M].end, PV_PAGE_SIZE,
		    &r[REGION_PAGETABLES].start) < 0 ||
		    pv_add(r[REGION_PAGETABLES].start, nr_pt << PV_PAGE_SHIFT,
		    &r[REGION_PAGETABLES].end) < 0 ||
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
		if (l->v_end > X13_HYPERVISOR_VIRT_START)
			break;
		if (((l->v_end - l->v_start) >> X13_L2_SHIFT) + 1 <= nr_pt)
			break;
	}
	l->nr_pt_pages = nr_pt;
	if (l->v_end - l->v_start > l->memory)
		return pv_fail(e, PV_EXIT_INPUT, "--memory: initial guest OS "
		    "requires too much space (%lluMB is greater than %lluMB "
		    "limit)", (unsigned long long)((l->v_end - l->v_start) >> 20),
		    (unsigned long long)(l->memory >> 20));
	if (l->v_end > X13_HYPERVISOR_VIRT_START)
		return hole(l, X13_HYPERVISOR_VIRT_START, e);
	return 0;
}

static int
request(const char *memory, const char *initrd, char *cmdline,
    const struct plan_elfinfo *ei, json_t **member, struct pv_err *e)
{
	struct plan_layout l;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	if (pv_parse_size(memory, &l.memory) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "--memory: '%s' is not a size "
		    "(digits with K, M or G; bare is MiB)", memory);
	if (l.memory == 0 || (l.memory & (PV_PAGE_SIZE - 1)) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "--memory: %s is not a "
		    "positive multiple of 4 KiB", memory);
	if (l.memory > plan_max_memory(ei->abi))
		return pv_fail(e, PV_EXIT_INPUT, "--memory: %s is too large for "
		    "%s (%s): its domains have at most 0x%llx bytes", memory,
		    ei->abi->arch, ei->abi->name, (unsigned long long)plan_max_memory(ei->abi));
	l.nr_pages = l.memory >> PV_PAGE_SHIFT;
	if (strlen(cmdline) > PLAN_CMDLINE_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "--cmdline: longer than %d "
		    "bytes", PLAN_CMDLINE_MAX);
	l.cmdline = cmdline;
	if (initrd != NULL) {
		if (img_load(initrd, IMG_MODULE, IMG_DEFAULT_CAP, &l.initrd, NULL,
		    e) < 0)
			return pv_wrap(e, "--initrd");
		l.has_initrd = 1;
	}
	if ((ei->abi->id == ABI_XEN13 ? solve_xen13(ei, &l, e) :
	    solve_xen3(ei, &l, e)) == 0) {
		*member = plan_layout_json(&l, ei->abi);
		if (*member == NULL)
			pv_fail(e, PV_EXIT_INPUT, "--cmdline: not valid UTF-8");
		else
			rc = 0;
	}
	img_ref_free(&l.initrd);
	return rc;
}

static const struct opt options[] = {
	{ "cmdline", "STRING", "kernel command line (the guest sees at most "
	    "255 bytes)", 'c' },
	{ "initrd", "FILE", "initial ramdisk, plain or gzip'd", 'i' },
	{ "memory", "SIZE", "the domain's memory: digits with K, M or G; bare "
	    "is MiB", 'm' },
	{ NULL, NULL, NULL, 0 },
};

static const struct opt_prog prog = { PROG, SYNOPSIS,
	"Adds the domain request to the plan (file PLAN or standard input) "
	"and\nsolves the bootstrap address space.", options };

int
main(int argc, char **argv)
{
	static char empty[1];
	const char *memory = NULL, *initrd = NULL;
	char *cmdline = empty, *value;
	json_t *member = NULL;
	struct pv_err e;
	struct plan p;
	int c, rc;

	while ((c = opt_next(&prog, argc, argv, &value, &rc)) > 0) {
		switch (c) {
		case 'c': cmdline = value; break;
		case 'i': initrd = value; break;
		case 'm': memory = value; break;
		}
	}
	if (c < 0)
		return rc;
	if (memory == NULL)
		return opt_usage(&prog, "--memory is required");
	if (argc - optind > 1)
		return opt_usage(&prog, "too many arguments");
	if (plan_read(argv[optind], PROG, &p, &e) < 0 ||
	    request(memory, initrd, cmdline, p.elfinfo, &member, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = cli_emit(PROG, &p, PROG, member);
	plan_free(&p);
	return rc;
}
