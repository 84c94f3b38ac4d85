/* SPDX-License-Identifier: ISC */
/*
 * build.c: the verified plan built through a backend (finalize.h): the
 * writes, the p2m list, the page tables, start_info, shared_info and the
 * hypercall page, then the record and the report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrangement.h"
#include "finalize.h"
#include "guest.h"

static const uint8_t zero_page[PV_PAGE_SIZE];

/*
 * Write `len` bytes from src (or zeros) from byte `off` of pfn onwards.
 * Into frames that come zeroed, a piece of src that is all zeros is not
 * written: it would change nothing (the plan's writes never overlap, and
 * no earlier write touched the frame). Debian's kernel is half pages of
 * zeros in its file, and each page not written is one the sim's
 * machine.mem need not take in the page cache. A whole page of the kernel
 * or initrd, which stay as they are until the build ends, goes to a
 * backend that takes pages by reference without a copy of its own.
 */
static int
write_run(struct hv *hv, uint64_t pfn, uint64_t off, const uint8_t *src,
    uint64_t len, struct pv_err *e)
{
	uint64_t chunk;
	int rc;

	while (len > 0) {
		chunk = PV_PAGE_SIZE - off;
		if (chunk > len)
			chunk = len;
		if (src != NULL && hv->zeroed &&
		    memcmp(src, zero_page, (size_t)chunk) == 0)
			rc = 0;
		else if (src != NULL && chunk == PV_PAGE_SIZE &&
		    hv->ops->write_page != NULL)
			rc = hv->ops->write_page(hv, hv->ops->mfn(hv, pfn), src,
			    e);
		else
			rc = hv->ops->write(hv, hv->ops->mfn(hv, pfn), off,
			    src != NULL ? src : zero_page, (size_t)chunk, e);
		if (rc < 0)
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
		/*
		 * Zero fill of frames that come zeroed changes nothing: the
		 * plan's writes never overlap (each lies in its own segment
		 * or the initrd), so no earlier write is undone by skipping.
		 */
		if (w->source == SOURCE_ZERO && hv->zeroed)
			continue;
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
	const unsigned w = (unsigned)pp->p2m.entry_size;
	uint64_t pfn, per = PV_PAGE_SIZE / w, n, k;
	uint64_t mfns[PV_PAGE_SIZE / 4];
	uint8_t page[PV_PAGE_SIZE];

	for (pfn = 0; pfn < pp->p2m.entries; pfn += n) {
		n = pp->p2m.entries - pfn < per ? pp->p2m.entries - pfn : per;
		if (hv->ops->mfns != NULL)
			hv->ops->mfns(hv, pfn, n, mfns);
		else
			for (k = 0; k < n; k++)
				mfns[k] = hv->ops->mfn(hv, pfn + k);
		for (k = 0; k < n; k++)
			hv_put_entry(page + w * k, mfns[k], w);
		if (hv->ops->write(hv, hv->ops->mfn(hv, pp->p2m.pfn + pfn / per),
		    0, page, (size_t)(w * n), e) < 0)
			return -1;
	}
	return 0;
}

static int
write_tables(struct hv *hv, const struct plan_pagetables *pt, struct pv_err *e)
{
	const unsigned w = (unsigned)pt->entry_size;
	const unsigned bits = hv->abi->mfn_bits;
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
				if (mfn >> bits != 0)
					return pv_fail(e, PV_EXIT_SYSTEM, "mfn "
					    "0x%llx is beyond %s paging",
					    (unsigned long long)mfn,
					    hv->abi->name);
				hv_put_entry(page + w * (m->index + k),
				    mfn << PV_PAGE_SHIFT | m->flags, w);
			}
		}
		if (hv->ops->write(hv, hv->ops->mfn(hv, pt->tables[i].pfn), 0,
		    page, sizeof(page), e) < 0)
			return -1;
	}
	return 0;
}

/* start_info, laid out by the guest's type from what the backend chose. */
static int
write_start_info(struct hv *hv, const struct plan *p, struct pv_err *e)
{
	const struct plan_populate *pp = p->populate;
	const struct guest_machine m = {
		.shared_info_mfn = hv->shared_info_mfn,
		.store_mfn = hv->ops->mfn(hv, pp->start_info.store_pfn),
		.console_ring_mfn = hv->ops->mfn(hv,
		    pp->start_info.console_pfn),
		.control_evtchn = hv->control_evtchn,
		.store_port = hv->store_port,
		.console_port = hv->console_port,
	};
	uint8_t page[PV_PAGE_SIZE];

	memset(page, 0, sizeof(page));
	hv->abi->ops->start_info_page(page, p, &m);
	return hv->ops->write(hv, hv->ops->mfn(hv, pp->start_info.pfn), 0,
	    page, sizeof(page), e);
}

/*
 * shared_info starts empty with the upcalls of every vcpu_info slot
 * masked, not only the domain's vCPUs', as Xen's builder does.
 */
static int
write_shared_info(struct hv *hv, const struct plan_populate *pp,
    struct pv_err *e)
{
	const struct guest_ops *ops = hv->abi->ops;
	uint8_t page[PV_PAGE_SIZE];
	uint64_t i;

	memset(page, 0, sizeof(page));
	for (i = 0; i < pp->shared_info.masked_vcpu_info; i++)
		page[ops->vcpu_info_size * i + ops->upcall_mask_offset] =
		    (uint8_t)pp->shared_info.upcall_mask;
	return hv->ops->write(hv, hv->shared_info_mfn, 0, page, sizeof(page), e);
}

/* The hypercall page, filled by the backend as Xen fills it. */
static int
write_hypercall_page(struct hv *hv, const struct plan_populate *pp,
    struct pv_err *e)
{
	if (!pp->has_hypercall_page)
		return 0;
	return hv->ops->hypercall_page(hv, pp->hypercall_pfn, e);
}

/*
 * What finalize prints once the domain is built (README, "The pipeline"):
 * the arrangement and the domain's line, or with --json one JSON object.
 * Made into *out before the domain is committed, so that once it exists
 * only the write to standard output can fail.
 */
static int
report(const struct plan *p, const struct backend *b, const struct hv *hv,
    uint64_t cr3, char **out, struct pv_err *e)
{
	char cr3_hex[19], si_hex[19];
	char *text = NULL;
	json_t *j;
	int n;

	if (b->json) {
		/* main took only UTF-8 names: JSON strings are UTF-8. */
		j = json_pack("{s:s, s:s, s:I, s:s, s:s}", "abi",
		    p->elfinfo->abi->name, "backend", b->xen ? "xen" : "sim",
		    "pages", (json_int_t)hv->nr_pages, "cr3",
		    plan_hex(cr3, cr3_hex), "start_info",
		    plan_hex(p->populate->vcpu.si, si_hex));
		if (j != NULL && (b->xen ? json_object_set_new(j, "domid",
		    json_integer(hv->domid)) == 0 && json_object_set_new(j,
		    "name", json_string(hv->name)) == 0 :
		    json_object_set_new(j, "dir", json_string(hv->where)) == 0))
			text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(j);
		n = text == NULL ? -1 : asprintf(out, "%s\n", text);
		free(text);
		if (n < 0) {
			*out = NULL;
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		}
		return 0;
	}
	if ((*out = strdup(hv->arrangement)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	return arrangement_domain(out, hv->where, p->elfinfo->abi->name,
	    hv->nr_pages, cr3, p->populate->vcpu.si, e);
}

/*
 * The plan's finalize member: how it was built. The sim's --scatter is
 * recorded under "seed", its name when plans got this member.
 */
static json_t *
record(const struct backend *b, const struct hv *hv)
{
	if (b->xen && hv != NULL)
		return json_pack("{s:s, s:s}", "backend", "xen", "domain",
		    hv->where);
	return json_pack("{s:s, s:I, s:I}", "backend", "sim", "seed",
	    (json_int_t)b->sim.scatter, "reserve",
	    (json_int_t)b->sim.reserved);
}

/* What finalize prints for a type planned in guest-physical terms. */
struct physical_report {
	const struct plan *p;
	const struct backend *b;
	const char *arrangement;
};

/*
 * The arrangement and the domain's line (or with --json one object):
 * the sim's DIR or Xen's domid and name, the entry and hvm_start_info.
 */
static int
physical_shown(const struct hv *hv, void *arg, char **out, struct pv_err *e)
{
	const struct physical_report *r = arg;
	const struct plan *p = r->p;
	uint64_t si = p->layout->regions[REGION_START_INFO].start;
	char *text;
	json_t *j;
	int n;

	*out = NULL;
	if (r->b->json) {
		j = json_pack("{s:s, s:s, s:I, s:o, s:o}", "abi",
		    p->elfinfo->abi->name, "backend", r->b->xen ? "xen" : "sim",
		    "pages", (json_int_t)p->layout->nr_pages, "entry",
		    plan_hex_json(p->elfinfo->entry), "start_info",
		    plan_hex_json(si));
		if (j != NULL && (hv != NULL ? json_object_set_new(j, "domid",
		    json_integer(hv->domid)) == 0 && json_object_set_new(j,
		    "name", json_string(hv->name)) == 0 :
		    json_object_set_new(j, "dir", json_string(r->b->out)) == 0))
			text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		else
			text = NULL;
		json_decref(j);
		n = text == NULL ? -1 : asprintf(out, "%s\n", text);
		free(text);
	} else {
		if ((*out = strdup(r->arrangement)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		if (arrangement_domain_physical(out, hv != NULL ? hv->where :
		    r->b->out, p->elfinfo->abi->name, p->layout->nr_pages,
		    p->elfinfo->entry, si, e) < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
		n = 0;
	}
	if (n < 0) {
		*out = NULL;
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	return 0;
}

/*
 * A type planned in guest-physical terms (pvh): no frames to translate,
 * no tables to pin. The sim builds it as a directory (simpvh.c), the xen
 * backend as a PVH domain (xen_pvh.c), which prints and waits itself.
 */
static int
build_physical(struct plan *p, const struct backend *b, const uint8_t *kernel,
    const uint8_t *initrd, struct pv_err *e)
{
	struct physical_report r = { .p = p, .b = b };
	char *arrangement = NULL, *shown = NULL;
	int rc = -1;

	if (plan_set(p, "finalize", b->xen ? json_pack("{s:s}", "backend",
	    "xen") : record(b, NULL), e) < 0 ||
	    arrangement_text(p->elfinfo, p->layout, &arrangement, e) < 0)
		goto out;
	r.arrangement = arrangement;
	if (b->xen) {
		rc = hv_xen_build_physical(&b->x, p, kernel, initrd,
		    physical_shown, &r, e);
		goto out;
	}
	if (physical_shown(NULL, &r, &shown, e) < 0 ||
	    hv_sim_build_physical(b->out, &b->sim, p, kernel, initrd,
	    arrangement, e) < 0)
		goto out;
	fputs(shown, stdout);
	rc = 0;
out:
	free(arrangement);
	free(shown);
	return rc;
}

int
build(struct plan *p, const struct backend *b, struct early *early,
    const uint8_t *kernel, const uint8_t *initrd, struct pv_err *e)
{
	struct hv *hv = NULL;
	char *arrangement = NULL, *out = NULL;
	uint64_t cr3;
	int rc = -1;

	/* An early domain the plan does not want is gone before another is
	 * made: it may hold the name. */
	hv = early_take(early, p);
	if (p->elfinfo->abi->ops->physical)
		return build_physical(p, b, kernel, initrd, e);
	if (hv == NULL && (b->xen ? hv_xen_open(&b->x, p, &hv, e) :
	    hv_sim_open(b->out, &b->sim, p, &hv, e)) < 0)
		return -1;
	/*
	 * A PAE L3 must sit below 4 GiB before anything points at it; then
	 * every frame is where it stays, and machine-to-phys can be recorded
	 * (the sim writes it while the rest is built).
	 */
	if ((hv->abi->ops->top_below_4g &&
	    hv->ops->below_4g(hv, p->pagetables->top_pfn, e) < 0) ||
	    hv->ops->machphys(hv, e) < 0 ||
	    load(hv, p->populate, kernel, initrd, e) < 0 ||
	    write_p2m(hv, p->populate, e) < 0 ||
	    write_tables(hv, p->pagetables, e) < 0 ||
	    hv->ops->pin(hv, p->pagetables->pin.pfn, p->pagetables->pin.level,
	    e) < 0 || write_start_info(hv, p, e) < 0 ||
	    write_shared_info(hv, p->populate, e) < 0 ||
	    write_hypercall_page(hv, p->populate, e) < 0 ||
	    plan_set(p, "finalize", record(b, hv), e) < 0 ||
	    arrangement_text(p->elfinfo, p->layout, &arrangement, e) < 0)
		goto out;
	/* The sim keeps the arrangement in the domain (arrangement.txt). */
	hv->arrangement = arrangement;
	cr3 = hv->ops->mfn(hv, p->pagetables->top_pfn) << PV_PAGE_SHIFT;
	if (report(p, b, hv, cr3, &out, e) < 0 || hv->ops->commit(hv, p, e) < 0)
		goto out;
	fputs(out, stdout);
	if (b->xen && b->x.wait && hv->ops->wait(hv, e) < 0)
		goto out;
	rc = 0;
out:
	hv->ops->close(hv);
	free(arrangement);
	free(out);
	return rc;
}
