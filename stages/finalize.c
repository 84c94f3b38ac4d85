/*
 * finalize: build the planned domain through a backend. The only stage
 * that touches a hypervisor (or the sim's stand-in for one).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hv.h"

#define PROG "finalize"
#define SYNOPSIS "finalize --backend sim --out DIR [--seed N] [PLAN]"

static const uint8_t zero_page[PV_PAGE_SIZE];

static void
put32(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Write `len` bytes from src (or zeros) from byte `off` of pfn onwards. */
static int
write_run(struct hv *hv, uint64_t pfn, uint64_t off, const uint8_t *src,
    uint64_t len, struct pv_err *e)
{
	uint64_t chunk;

	while (len > 0) {
		chunk = PV_PAGE_SIZE - off;
		if (chunk > len)
			chunk = len;
		if (hv->ops->write(hv, hv->ops->mfn(hv, pfn), off,
		    src != NULL ? src : zero_page, (size_t)chunk, e) < 0)
			return -1;
		if (src != NULL)
			src += chunk;
		len -= chunk;
		off = 0;
		pfn++;
	}
	return 0;
}

static int
load(struct hv *hv, const struct plan_populate *pp, const uint8_t *kernel,
    const uint8_t *initrd, struct pv_err *e)
{
	const struct plan_write *w;
	const uint8_t *src;
	size_t i;

	for (i = 0; i < pp->nr_writes; i++) {
		w = &pp->writes[i];
		src = w->source == SOURCE_KERNEL ? kernel + w->source_offset :
		    w->source == SOURCE_INITRD ? initrd + w->source_offset : NULL;
		if (write_run(hv, w->pfn, w->offset, src, w->length, e) < 0)
			return -1;
	}
	return 0;
}

/* The phys-to-machine list in the guest: the mfn of every pfn. */
static int
write_p2m(struct hv *hv, const struct plan_populate *pp, struct pv_err *e)
{
	uint8_t page[PV_PAGE_SIZE];
	uint64_t pfn, per = PV_PAGE_SIZE / 4, n;

	for (pfn = 0; pfn < pp->p2m.entries; pfn += n) {
		n = pp->p2m.entries - pfn < per ? pp->p2m.entries - pfn : per;
		for (uint64_t k = 0; k < n; k++)
			put32(page + 4 * k, hv->ops->mfn(hv, pfn + k));
		if (hv->ops->write(hv, hv->ops->mfn(hv, pp->p2m.pfn + pfn / per),
		    0, page, (size_t)(4 * n), e) < 0)
			return -1;
	}
	return 0;
}

static int
write_tables(struct hv *hv, const struct plan_pagetables *pt, struct pv_err *e)
{
	uint8_t page[PV_PAGE_SIZE];
	const struct plan_map *m;
	uint64_t mfn, k;
	size_t i, j;

	for (i = 0; i < pt->nr_tables; i++) {
		memset(page, 0, sizeof(page));
		for (j = 0; j < pt->tables[i].nr_maps; j++) {
			m = &pt->tables[i].maps[j];
			for (k = 0; k < m->count; k++) {
				mfn = hv->ops->mfn(hv, m->pfn + k);
				if (mfn >> 20 != 0)
					return pv_fail(e, PV_EXIT_SYSTEM, "mfn "
					    "0x%llx is beyond 32-bit paging",
					    (unsigned long long)mfn);
				put32(page + 4 * (m->index + k),
				    mfn << PV_PAGE_SHIFT | m->flags);
			}
		}
		if (hv->ops->write(hv, hv->ops->mfn(hv, pt->tables[i].pfn), 0,
		    page, sizeof(page), e) < 0)
			return -1;
	}
	return 0;
}

/* start_info as seed/ABI-1.3.md lays it out (292 bytes, little-endian). */
static int
write_start_info(struct hv *hv, const struct plan *p, struct pv_err *e)
{
	const struct plan_populate *pp = p->populate;
	uint8_t page[PV_PAGE_SIZE];

	memset(page, 0, sizeof(page));
	put32(page + 0, pp->start_info.nr_pages);
	put32(page + 4, hv->shared_info_mfn << PV_PAGE_SHIFT);
	put32(page + 8, pp->start_info.flags);
	put32(page + 12, pp->start_info.pt_base);
	put32(page + 16, pp->start_info.nr_pt_frames);
	put32(page + 20, pp->start_info.mfn_list);
	put32(page + 24, pp->start_info.mod_start);
	put32(page + 28, pp->start_info.mod_len);
	memcpy(page + 32, p->layout->cmdline,
	    (size_t)pp->start_info.cmd_line_length);
	put32(page + 288, hv->control_evtchn);
	return hv->ops->write(hv, hv->ops->mfn(hv, pp->start_info.pfn), 0, page,
	    sizeof(page), e);
}

/* shared_info starts empty with every vCPU's upcalls masked. */
static int
write_shared_info(struct hv *hv, const struct plan_populate *pp,
    struct pv_err *e)
{
	uint8_t page[PV_PAGE_SIZE];
	uint64_t i;

	memset(page, 0, sizeof(page));
	for (i = 0; i < pp->shared_info.vcpus; i++)
		page[4 * i + 1] = (uint8_t)pp->shared_info.upcall_mask;
	return hv->ops->write(hv, hv->shared_info_mfn, 0, page, sizeof(page), e);
}

static void
report(const struct plan *p, const struct hv *hv, uint64_t cr3)
{
	const struct plan_region *r = p->layout->regions;
	static const char *const label[NR_REGIONS] = {
		"Loaded kernel", "Init. ramdisk", "Phys-Mach map",
		"Page tables", "Start info", "Boot stack",
	};
	size_t i;

	printf("VIRTUAL MEMORY ARRANGEMENT:\n");
	for (i = 0; i < NR_REGIONS; i++)
		printf(" %s: %08llx->%08llx\n", label[i],
		    (unsigned long long)r[i].start, (unsigned long long)r[i].end);
	printf(" TOTAL: %08llx->%08llx\n", (unsigned long long)p->layout->v_start,
	    (unsigned long long)p->layout->v_end);
	printf(" ENTRY ADDRESS: %08llx\n", (unsigned long long)p->elfinfo->entry);
	printf("domain: %s (%s, %llu pages, cr3 0x%llx, start_info 0x%llx)\n",
	    hv->where, p->elfinfo->abi->name, (unsigned long long)hv->nr_pages,
	    (unsigned long long)cr3, (unsigned long long)p->populate->vcpu.si);
}

static int
finalize(struct plan *p, const char *out, uint64_t seed, struct pv_err *e)
{
	uint8_t *kernel = NULL, *initrd = NULL;
	struct hv *hv = NULL;
	uint64_t cr3;
	int rc = -1;

	if (img_load_ref(&p->elfinfo->image, &kernel, e) < 0 ||
	    (p->layout->has_initrd &&
	    img_load_ref(&p->layout->initrd, &initrd, e) < 0))
		goto out;
	if (hv_sim_open(out, seed, p, &hv, e) < 0)
		goto out;
	if (load(hv, p->populate, kernel, initrd, e) < 0 ||
	    write_p2m(hv, p->populate, e) < 0 ||
	    write_tables(hv, p->pagetables, e) < 0 ||
	    hv->ops->machphys(hv, e) < 0 ||
	    hv->ops->pin(hv, p->pagetables->pin.pfn, p->pagetables->pin.level,
	    e) < 0 || write_start_info(hv, p, e) < 0 ||
	    write_shared_info(hv, p->populate, e) < 0 ||
	    plan_set(p, "finalize", json_pack("{s:s, s:I}", "backend", "sim",
	    "seed", (json_int_t)seed), e) < 0 ||
	    hv->ops->commit(hv, &p->populate->vcpu, p->pagetables->top_pfn,
	    p->root, e) < 0)
		goto out;
	cr3 = hv->ops->mfn(hv, p->pagetables->top_pfn) << PV_PAGE_SHIFT;
	report(p, hv, cr3);
	rc = 0;
out:
	if (hv != NULL)
		hv->ops->close(hv);
	free(kernel);
	free(initrd);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *backend = "sim", *out = NULL;
	uint64_t seed = 1;
	struct pv_err e;
	struct plan p;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': backend = optarg; break;
		case 'h':
			printf("usage: %s\n\nBuilds the planned domain (file PLAN "
			    "or standard input) through a backend\nand prints "
			    "where it went.\n\n"
			    "  --backend sim  the stand-in hypervisor (default): "
			    "the domain is a directory\n"
			    "  --out DIR      where the sim domain goes; must not "
			    "exist\n"
			    "  --seed N       how the sim scatters machine frames "
			    "(default 1)\n", SYNOPSIS);
			return PV_EXIT_OK;
		case 'o': out = optarg; break;
		case 's':
			if (pv_parse_u64(optarg, &seed) < 0)
				return cli_usage(PROG, SYNOPSIS, "--seed: '%s' is "
				    "not a number", optarg);
			break;
		case 'V': return cli_version(PROG);
		default:
			return cli_usage(PROG, SYNOPSIS, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (strcmp(backend, "sim") != 0)
		return cli_usage(PROG, SYNOPSIS, "--backend: unknown backend "
		    "'%s' (this build has: sim)", backend);
	if (out == NULL || *out == '\0')
		return cli_usage(PROG, SYNOPSIS, "--out DIR is required");
	if (argc - optind > 1)
		return cli_usage(PROG, SYNOPSIS, "too many arguments");
	if (plan_read(argv[optind], PROG, &p, &e) < 0 ||
	    finalize(&p, out, seed, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
	plan_free(&p);
	return rc;
}
