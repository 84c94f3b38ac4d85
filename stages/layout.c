/*
 * layout: add the domain request (memory, initrd, command line) to a plan
 * and solve the bootstrap virtual address space as the seed does.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PROG "layout"
#define SYNOPSIS "layout --memory SIZE [--initrd FILE] [--cmdline STRING] " \
    "[PLAN]"
#define MAX_CMDLINE_ARG 65536
#define FOUR_MB ((uint64_t)1 << X13_L2_SHIFT)

/*
 * The seed's simultaneous equations: the number of page-table pages depends
 * on the size of the bootstrap region, which depends on the number of
 * page-table pages (each is mapped). Solved, as the seed solves them, by
 * trying counts from 2 up; the answer is never more than one L1 per 4 MiB
 * of a 4 GiB space plus the directory, which bounds the loop.
 */
static int
solve(const struct plan_elfinfo *ei, struct plan_layout *l, struct pv_err *e)
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
		return pv_fail(e, PV_EXIT_INPUT, "the bootstrap region "
		    "[0x%llx, 0x%llx) reaches the hypervisor hole at 0x%llx",
		    (unsigned long long)l->v_start, (unsigned long long)l->v_end,
		    X13_HYPERVISOR_VIRT_START);
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
	if (l.memory > X13_MAX_MEMORY)
		return pv_fail(e, PV_EXIT_INPUT, "--memory: %s is too large for "
		    "x86_32: xen-1.3 domains end below 0x%llx bytes", memory,
		    X13_MAX_MEMORY);
	l.nr_pages = l.memory >> PV_PAGE_SHIFT;
	if (strlen(cmdline) > MAX_CMDLINE_ARG)
		return pv_fail(e, PV_EXIT_INPUT, "--cmdline: longer than %d "
		    "bytes", MAX_CMDLINE_ARG);
	l.cmdline = cmdline;
	if (initrd != NULL) {
		if (img_load(initrd, IMG_DEFAULT_CAP, &l.initrd, NULL, e) < 0)
			return pv_wrap(e, "--initrd");
		l.has_initrd = 1;
	}
	if (solve(ei, &l, e) == 0) {
		*member = plan_layout_json(&l);
		if (*member == NULL)
			pv_fail(e, PV_EXIT_INPUT, "--cmdline: not valid UTF-8");
		else
			rc = 0;
	}
	img_ref_free(&l.initrd);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cmdline", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "memory", required_argument, NULL, 'm' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char empty[1];
	const char *memory = NULL, *initrd = NULL;
	char *cmdline = empty;
	json_t *member = NULL;
	struct pv_err e;
	struct plan p;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cmdline = optarg; break;
		case 'h':
			printf("usage: %s\n\nAdds the domain request to the plan "
			    "(file PLAN or standard input) and\nsolves the "
			    "bootstrap address space.\n\n"
			    "  --memory SIZE     the domain's memory: digits with "
			    "K, M or G; bare is MiB\n"
			    "  --initrd FILE     initial ramdisk, plain or "
			    "gzip'd\n"
			    "  --cmdline STRING  kernel command line (the guest "
			    "sees at most 255 bytes)\n", SYNOPSIS);
			return PV_EXIT_OK;
		case 'i': initrd = optarg; break;
		case 'm': memory = optarg; break;
		case 'V': return cli_version(PROG);
		default:
			return cli_usage(PROG, SYNOPSIS, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (memory == NULL)
		return cli_usage(PROG, SYNOPSIS, "--memory is required");
	if (argc - optind > 1)
		return cli_usage(PROG, SYNOPSIS, "too many arguments");
	if (plan_read(argv[optind], PROG, &p, &e) < 0 ||
	    request(memory, initrd, cmdline, p.elfinfo, &member, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = cli_emit(PROG, &p, PROG, member);
	plan_free(&p);
	return rc;
}
