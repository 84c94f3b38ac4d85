/*
 * finalize: build the planned domain through a backend. The only stage
 * that touches a hypervisor (or the sim's stand-in for one).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "derive.h"
#include "elfguest.h"
#include "hv.h"
#include "hvrules.h"
#include "xenhdr.h"

#define PROG "finalize"
#define SYNOPSIS "finalize --backend sim --out DIR [--initrd FILE] " \
    "[--prefetch IMAGE] [--reserve SIZE] [--seed N] [--sync] [PLAN]\n" \
    "       finalize --backend xen [--initrd FILE] [--name NAME] [--paused] " \
    "[--prefetch IMAGE] [PLAN]"

static const uint8_t zero_page[PV_PAGE_SIZE];

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
	uint8_t page[PV_PAGE_SIZE];

	for (pfn = 0; pfn < pp->p2m.entries; pfn += n) {
		n = pp->p2m.entries - pfn < per ? pp->p2m.entries - pfn : per;
		for (k = 0; k < n; k++)
			pv_put_le(page + w * k, hv->ops->mfn(hv, pfn + k), w);
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
				pv_put_le(page + w * (m->index + k),
				    mfn << PV_PAGE_SHIFT | m->flags, w);
			}
		}
		if (hv->ops->write(hv, hv->ops->mfn(hv, pt->tables[i].pfn), 0,
		    page, sizeof(page), e) < 0)
			return -1;
	}
	return 0;
}

/* start_info as docs/xen-1.3.md lays it out (292 bytes, little-endian). */
static void
start_info_xen13(struct hv *hv, const struct plan *p, uint8_t *page)
{
	const struct plan_populate *pp = p->populate;

	pv_put32(page + 0, pp->start_info.nr_pages);
	pv_put32(page + 4, hv->shared_info_mfn << PV_PAGE_SHIFT);
	pv_put32(page + 8, pp->start_info.flags);
	pv_put32(page + 12, pp->start_info.pt_base);
	pv_put32(page + 16, pp->start_info.nr_pt_frames);
	pv_put32(page + 20, pp->start_info.mfn_list);
	pv_put32(page + 24, pp->start_info.mod_start);
	pv_put32(page + 28, pp->start_info.mod_len);
	memcpy(page + 32, p->layout->cmdline,
	    (size_t)pp->start_info.cmd_line_length);
	pv_put32(page + 288, hv->control_evtchn);
}

/*
 * start_info of <xen/xen.h>, in the guest's own layout: the foreign
 * headers give both, whatever this host is. The guest is little-endian,
 * as this host is (x86).
 */
#define FILL_START_INFO(si, hv, p) do {					\
	const struct plan_populate *pp_ = (p)->populate;		\
									\
	strncpy((si)->magic, pp_->start_info.magic,			\
	    sizeof((si)->magic) - 1);					\
	(si)->nr_pages = pp_->start_info.nr_pages;			\
	(si)->shared_info = (hv)->shared_info_mfn << PV_PAGE_SHIFT;	\
	(si)->flags = (uint32_t)pp_->start_info.flags;			\
	(si)->store_mfn = (hv)->ops->mfn((hv), pp_->start_info.store_pfn); \
	(si)->store_evtchn = (hv)->store_port;			\
	(si)->console.domU.mfn = (hv)->ops->mfn((hv),			\
	    pp_->start_info.console_pfn);				\
	(si)->console.domU.evtchn = (hv)->console_port;		\
	(si)->pt_base = pp_->start_info.pt_base;			\
	(si)->nr_pt_frames = pp_->start_info.nr_pt_frames;		\
	(si)->mfn_list = pp_->start_info.mfn_list;			\
	(si)->mod_start = pp_->start_info.mod_start;			\
	(si)->mod_len = pp_->start_info.mod_len;			\
	memcpy((si)->cmd_line, (p)->layout->cmdline,			\
	    (size_t)pp_->start_info.cmd_line_length);			\
	(si)->first_p2m_pfn = pp_->start_info.first_p2m_pfn;		\
	(si)->nr_p2m_frames = pp_->start_info.nr_p2m_frames;		\
} while (0)

static int
write_start_info(struct hv *hv, const struct plan *p, struct pv_err *e)
{
	uint8_t page[PV_PAGE_SIZE];

	memset(page, 0, sizeof(page));
	switch (hv->abi->id) {
	case ABI_XEN13:
		start_info_xen13(hv, p, page);
		break;
	case ABI_X86_32P: {
		start_info_x86_32_t si;

		memset(&si, 0, sizeof(si));
		FILL_START_INFO(&si, hv, p);
		memcpy(page, &si, sizeof(si));
		break;
	}
	default: {
		start_info_x86_64_t si;

		memset(&si, 0, sizeof(si));
		FILL_START_INFO(&si, hv, p);
		memcpy(page, &si, sizeof(si));
		break;
	}
	}
	return hv->ops->write(hv, hv->ops->mfn(hv, p->populate->start_info.pfn),
	    0, page, sizeof(page), e);
}

/* shared_info starts empty with every vCPU's upcalls masked. */
static int
write_shared_info(struct hv *hv, const struct plan_populate *pp,
    struct pv_err *e)
{
	size_t stride = 4, mask = 1;	/* xen-1.3: docs/xen-1.3.md */
	uint8_t page[PV_PAGE_SIZE];
	uint64_t i;

	if (hv->abi->id == ABI_X86_32P) {
		stride = sizeof(struct vcpu_info_x86_32);
		mask = offsetof(struct vcpu_info_x86_32, evtchn_upcall_mask);
	} else if (hv->abi->id == ABI_X86_64) {
		stride = sizeof(struct vcpu_info_x86_64);
		mask = offsetof(struct vcpu_info_x86_64, evtchn_upcall_mask);
	}
	memset(page, 0, sizeof(page));
	for (i = 0; i < pp->shared_info.vcpus; i++)
		page[stride * i + mask] = (uint8_t)pp->shared_info.upcall_mask;
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

static void
report(const struct plan *p, const struct hv *hv, uint64_t cr3)
{
	static const char *const label[NR_REGIONS] = {
		[REGION_KERNEL] = "Loaded kernel",
		[REGION_INITRD] = "Init. ramdisk",
		[REGION_P2M] = "Phys-Mach map",
		[REGION_PAGETABLES] = "Page tables",
		[REGION_START_INFO] = "Start info",
		[REGION_STACK] = "Boot stack",
		[REGION_XENSTORE] = "Xenstore",
		[REGION_CONSOLE] = "Console",
	};
	/* Room for any --out hv_sim_check_out takes, escaped whole. */
	char where[4 * PATH_MAX + 1];
	const struct plan_layout *l = p->layout;
	const struct plan_region *r = l->regions;
	const enum plan_region_id *order;
	int w = p->elfinfo->abi->word == 8 ? 16 : 8;
	size_t i, n;

	order = plan_region_order(p->elfinfo->abi, &n);
	printf("VIRTUAL MEMORY ARRANGEMENT:\n");
	for (i = 0; i < n; i++)
		printf(" %s: %0*llx->%0*llx\n", label[order[i]], w,
		    (unsigned long long)r[order[i]].start, w,
		    (unsigned long long)r[order[i]].end);
	printf(" TOTAL: %0*llx->%0*llx\n", w, (unsigned long long)l->v_start,
	    w, (unsigned long long)l->v_end);
	printf(" ENTRY ADDRESS: %0*llx\n", w,
	    (unsigned long long)p->elfinfo->entry);
	if (l->has_initrd_pfn)
		printf(" Init. ramdisk unmapped at pfn %llu\n",
		    (unsigned long long)l->initrd_pfn);
	if (l->p2m_map.present)
		printf(" Phys-Mach map mapped apart: %0*llx at pfn %llu\n", w,
		    (unsigned long long)l->p2m_map.va,
		    (unsigned long long)l->p2m_map.pfn);
	/*
	 * The domain's name comes from outside (--out): escaped, so that
	 * this is one line whatever it holds.
	 */
	pv_escape(where, sizeof(where), hv->where, strlen(hv->where));
	printf("domain: %s (%s, %llu pages, cr3 0x%llx, start_info 0x%llx)\n",
	    where, p->elfinfo->abi->name, (unsigned long long)hv->nr_pages,
	    (unsigned long long)cr3, (unsigned long long)p->populate->vcpu.si);
}

/*
 * --prefetch: the kernel image read and decompressed while the plan is
 * still on its way down the pipe, so that finalize's decompression
 * overlaps elfinfo's instead of following it. Used only if it turns out to
 * be the very file, read the very way, the plan names; otherwise dropped.
 */
struct prefetch {
	const char *path;
	pthread_t thread;
	int started, ok;
	struct img_ref ref;
	uint8_t *data;
	struct pv_err err;
};

static void *
prefetch_run(void *arg)
{
	struct prefetch *pf = arg;

	pf->ok = img_load(pf->path, IMG_KERNEL, IMG_DEFAULT_CAP, &pf->ref,
	    &pf->data, &pf->err) == 0;
	return NULL;
}

static void
prefetch_start(struct prefetch *pf)
{
	if (pf->path != NULL)
		pf->started = pthread_create(&pf->thread, NULL, prefetch_run,
		    pf) == 0;
}

/* The prefetched kernel if it is the plan's, else NULL. */
static uint8_t *
prefetch_take(struct prefetch *pf, const struct img_ref *want)
{
	uint8_t *data = NULL;

	if (!pf->started)
		return NULL;
	pthread_join(pf->thread, NULL);
	pf->started = 0;
	if (pf->ok && want != NULL && img_ref_same(want, &pf->ref)) {
		data = pf->data;
		pf->data = NULL;
	}
	free(pf->data);
	pf->data = NULL;
	if (pf->ok)
		img_ref_free(&pf->ref);
	return data;
}

/* What main asked of the backend. */
struct backend {
	int xen;			/* else sim */
	const char *initrd;		/* --initrd: the caller's initrd */
	const char *out;		/* sim */
	struct hv_sim_options sim;
	struct hv_xen_options x;
};

/* The plan's finalize member: how it was built. */
static json_t *
record(const struct backend *b, const struct hv *hv)
{
	if (b->xen)
		return json_pack("{s:s, s:s}", "backend", "xen", "domain",
		    hv->where);
	return json_pack("{s:s, s:I, s:I}", "backend", "sim", "seed",
	    (json_int_t)b->sim.seed, "reserve", (json_int_t)b->sim.reserved);
}

/*
 * Did the person running finalize name the file at `plan_path` (absolute,
 * as the plan has it) on the command line as `arg`? Then it is read with
 * their rights; a file only the plan names is read with the rights every
 * user has (README, "Trust").
 */
static enum img_trust
trust_of(const char *arg, const char *plan_path)
{
	char *real, *abs = NULL, *cwd;
	int same;

	if (arg == NULL)
		return IMG_AS_ANYONE;
	/* The path as named (a file may be gone, or a link now), or the
	 * file it leads to. */
	if (arg[0] != '/' && (cwd = getcwd(NULL, 0)) != NULL) {
		if (asprintf(&abs, "%s/%s", cwd, arg) < 0)
			abs = NULL;
		free(cwd);
	}
	real = realpath(arg, NULL);
	same = strcmp(abs != NULL ? abs : arg, plan_path) == 0 ||
	    (real != NULL && strcmp(real, plan_path) == 0);
	free(abs);
	free(real);
	return same ? IMG_AS_CALLER : IMG_AS_ANYONE;
}

/*
 * The kernel and the initrd the plan names, each read with the rights the
 * rule above gives it. The kernel comes from --prefetch when that read the
 * very file the very way; an --initrd that is not the plan's is refused,
 * since the person who gave it meant that file to be built.
 */
static int
load_files(const struct plan *p, const struct backend *b, struct prefetch *pf,
    uint8_t **kernel, uint8_t **initrd, struct pv_err *e)
{
	const struct plan_layout *l = p->layout;

	if (b->initrd != NULL && (!l->has_initrd ||
	    trust_of(b->initrd, l->initrd.path) != IMG_AS_CALLER))
		return pv_fail(e, PV_EXIT_INPUT, "layout.initrd.path: not the "
		    "file --initrd names");
	*kernel = prefetch_take(pf, &p->elfinfo->image);
	if (*kernel == NULL && img_load_ref(&p->elfinfo->image,
	    trust_of(pf->path, p->elfinfo->image.path), kernel, e) < 0)
		return pv_wrap(e, "elfinfo.image");
	if (l->has_initrd && img_load_ref(&l->initrd,
	    trust_of(b->initrd, l->initrd.path), initrd, e) < 0)
		return pv_wrap(e, "layout.initrd");
	return 0;
}

/*
 * The elfinfo member must be what elfinfo makes of the kernel: it goes into
 * the domain with the plan, and a plan may not say of a kernel what the
 * kernel does not (notes, segments, entry). Compared member by member, so
 * that a refusal names the first that differs.
 */
static int
check_elfinfo(const struct plan *p, uint8_t *kernel, struct pv_err *e)
{
	json_t *want = json_object_get(p->root, "elfinfo"), *got, *v;
	struct plan_elfinfo ei;
	const char *key;
	int rc;

	memset(&ei, 0, sizeof(ei));
	if (elf_guest_inspect(kernel, p->elfinfo->image.data_size, &ei, e) < 0)
		return pv_wrap(e, "elfinfo.image");
	ei.image = p->elfinfo->image;
	got = plan_elfinfo_json(&ei);
	ei.image.path = NULL;
	plan_elfinfo_clear(&ei);
	if (got == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	rc = 0;
	json_object_foreach(want, key, v)
		if (!json_equal(v, json_object_get(got, key))) {
			rc = pv_fail(e, PV_EXIT_INPUT, "elfinfo.%s: not what the "
			    "kernel declares", key);
			break;
		}
	if (rc == 0 && json_object_size(got) != json_object_size(want))
		rc = pv_fail(e, PV_EXIT_INPUT, "elfinfo: members missing");
	json_decref(got);
	return rc;
}

/*
 * Where `got` (the plan's) first differs from `want` (what the stage
 * derives), as a path that goes on from `buf`: down through the first
 * differing entry of an array and the first differing member of an
 * object, to the value that differs. Returns 0 when they are equal.
 */
static int
first_difference(json_t *got, json_t *want, char *buf, size_t size)
{
	size_t i, len = strlen(buf);
	const char *key;
	json_t *v;

	if (json_equal(got, want))
		return 0;
	if (json_is_array(got) && json_is_array(want)) {
		for (i = 0; json_equal(json_array_get(got, i),
		    json_array_get(want, i)); i++)
			;
		snprintf(buf + len, size - len, "[%zu]", i);
		if (i < json_array_size(got) && i < json_array_size(want))
			first_difference(json_array_get(got, i),
			    json_array_get(want, i), buf, size);
	} else if (json_is_object(got) && json_is_object(want)) {
		json_object_foreach(got, key, v)
			if (!json_equal(v, json_object_get(want, key)))
				break;
		if (key == NULL)
			return 1;	/* a member the plan lacks */
		snprintf(buf + len, size - len, ".%s", key);
		if (json_object_get(want, key) != NULL)
			first_difference(v, json_object_get(want, key), buf,
			    size);
	}
	return 1;
}

/* A copy of a pagetables member without its entries' flags. */
static json_t *
without_flags(json_t *pt)
{
	json_t *copy = json_deep_copy(pt), *t, *m;
	size_t i, j;

	json_array_foreach(json_object_get(copy, "tables"), i, t)
		json_array_foreach(json_object_get(t, "maps"), j, m)
			json_object_del(m, "flags");
	return copy;
}

/*
 * finalize builds only what populate and pagetables plan from the elfinfo
 * and layout members: the writes (so the kernel and the initrd are loaded
 * as they are), the p2m list, start_info, and every page table with every
 * entry. The entries' flags, the vCPU context and shared_info's upcall
 * mask are held to hvrules and the plan reader instead, which take what
 * the stages write and what Xen would take unchanged.
 */
static int
check_derived(const struct plan *p, struct pv_err *e)
{
	static const char *const populate_members[] = { "writes", "p2m",
	    "start_info" };
	json_t *pop = NULL, *pt = NULL, *got = NULL, *want = NULL;
	char where[128];
	size_t i;
	int rc = -1;

	if (derive_populate(p, &pop, e) < 0 ||
	    derive_pagetables(p, &pt, e) < 0)
		goto out;
	if (pop == NULL || pt == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		goto out;
	}
	for (i = 0; i < 3; i++) {
		snprintf(where, sizeof(where), "populate.%s",
		    populate_members[i]);
		if (first_difference(json_object_get(json_object_get(p->root,
		    "populate"), populate_members[i]),
		    json_object_get(pop, populate_members[i]), where,
		    sizeof(where))) {
			pv_fail(e, PV_EXIT_INPUT, "%s: not what populate plans "
			    "from the elfinfo and layout members", where);
			goto out;
		}
	}
	got = without_flags(json_object_get(p->root, "pagetables"));
	want = without_flags(pt);
	snprintf(where, sizeof(where), "pagetables");
	if (first_difference(got, want, where, sizeof(where))) {
		pv_fail(e, PV_EXIT_INPUT, "%s: not what pagetables plans from "
		    "the layout", where);
		goto out;
	}
	rc = 0;
out:
	json_decref(pop);
	json_decref(pt);
	json_decref(got);
	json_decref(want);
	return rc;
}

static int
finalize(struct plan *p, const struct backend *b, struct prefetch *pf,
    struct pv_err *e)
{
	uint8_t *kernel = NULL, *initrd = NULL;
	struct hv *hv = NULL;
	uint64_t cr3;
	int rc = -1;

	if (check_derived(p, e) < 0 ||
	    load_files(p, b, pf, &kernel, &initrd, e) < 0 ||
	    check_elfinfo(p, kernel, e) < 0)
		goto out;
	if ((b->xen ? hv_xen_open(&b->x, p, &hv, e) :
	    hv_sim_open(b->out, &b->sim, p, &hv, e)) < 0)
		goto out;
	/* A PAE L3 must sit below 4 GiB before anything points at it. */
	if ((hv->abi->id == ABI_X86_32P &&
	    hv->ops->below_4g(hv, p->pagetables->top_pfn, e) < 0) ||
	    load(hv, p->populate, kernel, initrd, e) < 0 ||
	    write_p2m(hv, p->populate, e) < 0 ||
	    write_tables(hv, p->pagetables, e) < 0 ||
	    hv->ops->machphys(hv, e) < 0 ||
	    hv->ops->pin(hv, p->pagetables->pin.pfn, p->pagetables->pin.level,
	    e) < 0 || write_start_info(hv, p, e) < 0 ||
	    write_shared_info(hv, p->populate, e) < 0 ||
	    write_hypercall_page(hv, p->populate, e) < 0 ||
	    plan_set(p, "finalize", record(b, hv), e) < 0 ||
	    hv->ops->commit(hv, p, e) < 0)
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
		{ "initrd", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "paused", no_argument, NULL, 'P' },
		{ "prefetch", required_argument, NULL, 'p' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "sync", no_argument, NULL, 'S' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct backend b = { .sim = { .seed = 1, .reserved = 1 << 20 } };
	struct prefetch pf = { 0 };
	const char *backend = "sim";
	int sim_only = 0;
	struct pv_err e;
	struct plan p;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'b': backend = optarg; break;
		case 'h':
			printf("usage: %s\n\nBuilds the planned domain (file PLAN "
			    "or standard input) through a backend\nand prints "
			    "where it went.\n\n"
			    "  --backend sim  the stand-in hypervisor (default): "
			    "the domain is a directory\n"
			    "  --backend xen  a new PV domain on the Xen this runs "
			    "under (in dom0, as root);\n"
			    "                 prints its domain id\n"
			    "  --initrd FILE  the initrd the plan names, named "
			    "here so that it is read\n"
			    "                 with your rights (README, Trust)\n"
			    "  --name NAME    xen: the domain's name (default "
			    "pvbuild-DOMID)\n"
			    "  --out DIR      sim: where the domain goes; must not "
			    "exist\n"
			    "  --paused       xen: leave the domain paused\n"
			    "  --prefetch IMAGE  start reading the kernel IMAGE "
			    "at once (used only if it\n"
			    "                 is the plan's, which is then read "
			    "with your rights)\n"
			    "  --reserve SIZE sim: the low memory its hypervisor "
			    "keeps (default 1M)\n"
			    "  --seed N       sim: how it scatters machine frames "
			    "(default 1)\n"
			    "  --sync         sim: the domain on disk (fsync) before "
			    "it is renamed into\n"
			    "                 place, so that it survives a power "
			    "loss whole or not at all\n", SYNOPSIS);
			return PV_EXIT_OK;
		case 'i': b.initrd = optarg; break;
		case 'n':
			/* A xenstore value and a console log's file name. */
			if (*optarg == '\0' || strlen(optarg) > 64 ||
			    strchr(optarg, '/') != NULL)
				return cli_usage(PROG, SYNOPSIS, "--name: '%s' is "
				    "not 1 to 64 characters without '/'", optarg);
			b.x.name = optarg;
			break;
		case 'o': b.out = optarg; break;
		case 'P': b.x.paused = 1; break;
		case 'p': pf.path = optarg; break;
		case 'r':
			sim_only = 1;
			if (pv_parse_size(optarg, &b.sim.reserved) < 0 ||
			    b.sim.reserved > ((uint64_t)1 << 50))
				return cli_usage(PROG, SYNOPSIS, "--reserve: '%s' "
				    "is not a size", optarg);
			break;
		case 's':
			/* Recorded as a JSON integer: keep it below 2^53. */
			sim_only = 1;
			if (pv_parse_u64(optarg, &b.sim.seed) < 0 ||
			    b.sim.seed >= (uint64_t)1 << 53)
				return cli_usage(PROG, SYNOPSIS, "--seed: '%s' is "
				    "not a number below 2^53", optarg);
			break;
		case 'S':
			sim_only = 1;
			b.sim.sync = 1;
			break;
		case 'V': return cli_version(PROG);
		case ':':
			return cli_usage(PROG, SYNOPSIS, "%s needs a value",
			    argv[optind - 1]);
		default:
			return cli_usage(PROG, SYNOPSIS, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	b.xen = strcmp(backend, "xen") == 0;
	if (!b.xen && strcmp(backend, "sim") != 0)
		return cli_usage(PROG, SYNOPSIS, "--backend: unknown backend "
		    "'%s' (this build has: sim, xen)", backend);
	if (b.xen && (sim_only || b.out != NULL))
		return cli_usage(PROG, SYNOPSIS, "--out, --reserve, --seed and "
		    "--sync are for --backend sim");
	if (!b.xen && (b.x.name != NULL || b.x.paused))
		return cli_usage(PROG, SYNOPSIS, "--name and --paused are for "
		    "--backend xen");
	if (!b.xen && (b.out == NULL || *b.out == '\0'))
		return cli_usage(PROG, SYNOPSIS, "--out DIR is required");
	/*
	 * A name the sim cannot build under is refused now, before the plan
	 * is read. A name with control characters is any other name to the
	 * kernel, and the operator's choice: it is built, and every line
	 * that shows it shows it escaped.
	 */
	if (!b.xen && hv_sim_check_out(b.out, &e) < 0)
		return cli_error(PROG, &e);
	if (argc - optind > 1)
		return cli_usage(PROG, SYNOPSIS, "too many arguments");
	if (b.xen) {
		/*
		 * A signal during a xen build: the backend sees it between
		 * steps, fails and destroys the domain, so that an
		 * interrupted build leaves nothing.
		 */
		b.x.stop = &cli_stop_signal;
		if (cli_catch_stop() < 0) {
			cli_say(PROG, "sigaction: %s", strerror(errno));
			return PV_EXIT_SYSTEM;
		}
	}
	prefetch_start(&pf);
	/*
	 * The plan is untrusted and this runs as root: what no hypervisor
	 * would build is refused before anything is read or built, on every
	 * backend.
	 */
	if (plan_read(argv[optind], PROG, &p, &e) < 0 ||
	    hvrules_check(&p, &e) < 0 || finalize(&p, &b, &pf, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
	free(prefetch_take(&pf, NULL));
	plan_free(&p);
	return rc;
}
