/* SPDX-License-Identifier: ISC */
/*
 * xen.c: the xen backend, a real PV domain through Xen's libraries
 * (Debian libxen-dev): libxenctrl for the domain, its memory, pins, event
 * channels and vCPU; libxenforeignmemory to write its frames;
 * libxenstore to introduce it to xenstored and write the nodes that
 * xenconsoled and xl read; libxenguest only to seed its grant table.
 *
 * The order is Xen 4.17's builder's (libxenguest xc_dom_boot.c,
 * xc_dom_x86.c; libxl_dom.c, libxl_create.c): create the domain paused,
 * size it, populate its memory (2 MiB extents where Xen has them, 4 KiB
 * otherwise), write the plan, pin the top-level table, have Xen fill the
 * hypercall page, set the vCPU context, seed the grant table, write the
 * xenstore nodes, introduce the domain, unpause. Until commit succeeds the
 * domain is destroyed on any failure, xenstore nodes with it, so a failed
 * build leaves nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest.h"
#include "xenbe.h"

static void
log_vmessage(xentoollog_logger *l, xentoollog_level level, int errnoval,
    const char *context, const char *fmt, va_list ap)
{
	struct xen_log *lg = (struct xen_log *)l;

	if (level < XTL_ERROR)
		return;
	vsnprintf(lg->last, sizeof(lg->last), fmt, ap);
}

static void
log_destroy(xentoollog_logger *l)
{
}

/* Fail with errno's text, and the library's own words when it said any. */
int
xen_fail(struct pv_err *e, struct xen *x, const char *what)
{
	int err = errno;

	if (x != NULL && x->log.last[0] != '\0')
		pv_fail(e, PV_EXIT_SYSTEM, "xen: %s: %s (%s)", what,
		    strerror(err), x->log.last);
	else
		pv_fail(e, PV_EXIT_SYSTEM, "xen: %s: %s", what, strerror(err));
	if (x != NULL)
		x->log.last[0] = '\0';
	return -1;
}

/* Has a signal asked the build to stop? Then fail, and close destroys. */
int
xen_stopped(struct xen *x, struct pv_err *e)
{
	if (x->stop != NULL && *x->stop)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: interrupted; the "
		    "domain is destroyed");
	return 0;
}

static uint64_t
xen_mfn(struct hv *hv, uint64_t pfn)
{
	return ((struct xen *)hv)->p2m[pfn];
}

/* The pfn of one of the domain's frames, or UINT64_MAX. */
static uint64_t
xen_owner(const struct xen *x, uint64_t mfn)
{
	size_t lo = 0, hi = x->nr_runs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mfn < x->runs[mid].mfn)
			hi = mid;
		else if (mfn - x->runs[mid].mfn >= x->runs[mid].count)
			lo = mid + 1;
		else
			return x->runs[mid].pfn + (mfn - x->runs[mid].mfn);
	}
	return UINT64_MAX;
}

static void
unmap_windows(struct xen *x)
{
	size_t i;

	for (i = 0; i < XEN_WINDOWS; i++) {
		if (x->win[i].va != NULL)
			xenforeignmemory_unmap(x->fmem, x->win[i].va,
			    (size_t)x->win[i].pages);
		x->win[i].va = NULL;
		x->win[i].pfn = UINT64_MAX;
	}
}

/*
 * The address of pfn's frame through a mapping of the aligned window of
 * pfns holding it, mapped on first use (the least recently used one
 * replaced): writes come in pfn order, so one map call serves many. Once
 * the tables are pinned a window is one page: Xen refuses a writable
 * mapping of a frame typed as a page table (get_page_type), and a
 * wider window would take in the tables.
 */
static uint8_t *
window(struct xen *x, uint64_t pfn, struct pv_err *e)
{
	const uint64_t span = x->pinned ? 1 : XEN_WINDOW_PAGES;
	uint64_t base = pfn - pfn % span, n;
	int err[XEN_WINDOW_PAGES];
	struct xen_window *w = &x->win[0];
	size_t i;

	for (i = 0; i < XEN_WINDOWS; i++) {
		if (x->win[i].pfn == base) {
			x->win[i].used = ++x->clock;
			return x->win[i].va + ((pfn - base) << PV_PAGE_SHIFT);
		}
		if (x->win[i].used < w->used)
			w = &x->win[i];
	}
	if (xen_stopped(x, e) < 0)
		return NULL;
	if (w->va != NULL)
		xenforeignmemory_unmap(x->fmem, w->va, (size_t)w->pages);
	w->va = NULL;
	w->pfn = UINT64_MAX;
	n = x->hv.nr_pages - base;
	if (n > span)
		n = span;
	w->va = xenforeignmemory_map(x->fmem, x->domid, PROT_READ | PROT_WRITE,
	    (size_t)n, x->p2m + base, err);
	if (w->va == NULL) {
		xen_fail(e, x, "mapping the domain's frames");
		return NULL;
	}
	w->pages = n;
	for (i = 0; i < n; i++)
		if (err[i] != 0) {
			errno = -err[i];
			xen_fail(e, x, "mapping a frame of the domain");
			return NULL;	/* unmapped with the others */
		}
	w->pfn = base;
	w->used = ++x->clock;
	return w->va + ((pfn - base) << PV_PAGE_SHIFT);
}

static int
xen_write(struct hv *hv, uint64_t mfn, uint64_t off, const void *buf,
    size_t len, struct pv_err *e)
{
	struct xen *x = (struct xen *)hv;
	uint64_t pfn;
	uint8_t *page;

	if (!pv_inside(off, len, PV_PAGE_SIZE))
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: a write runs past its "
		    "page (mfn 0x%llx)", (unsigned long long)mfn);
	if (mfn == hv->shared_info_mfn) {
		memcpy(x->shinfo + off, buf, len);
		return 0;
	}
	if ((pfn = xen_owner(x, mfn)) == UINT64_MAX)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: write outside the "
		    "domain's frames (mfn 0x%llx)", (unsigned long long)mfn);
	if ((page = window(x, pfn, e)) == NULL)
		return -1;
	memcpy(page + off, buf, len);
	return 0;
}

/*
 * For a PV domain Xen records machine-to-phys itself as it populates the
 * memory (XENMEM_populate_physmap is given each extent's pfn), so there
 * is nothing left to record.
 */
static int
xen_machphys(struct hv *hv, struct pv_err *e)
{
	return 0;
}

/*
 * A PAE guest's L3 must sit below 4 GiB unless the guest declares the
 * extended-cr3 format; libxenguest moves it there by exchanging the frame
 * (move_l3_below_4G). This backend does not move it: it checks, for every
 * PAE guest, and refuses the build if Xen handed out a higher frame.
 * (Debian's Xen 4.17 runs no 32-bit PV guests, so this path is untested
 * on real Xen.)
 */
static int
xen_below_4g(struct hv *hv, uint64_t pfn, struct pv_err *e)
{
	if (xen_mfn(hv, pfn) >> (32 - PV_PAGE_SHIFT) != 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: the PAE guest's L3 "
		    "table got mfn 0x%llx, above 4 GiB, and this backend does "
		    "not move it", (unsigned long long)xen_mfn(hv, pfn));
	return 0;
}

static int
xen_pin(struct hv *hv, uint64_t pfn, int level, struct pv_err *e)
{
	struct xen *x = (struct xen *)hv;
	struct mmuext_op op;

	/* Xen types a frame as a table only while nothing maps it writable. */
	unmap_windows(x);
	memset(&op, 0, sizeof(op));
	op.cmd = level == 4 ? MMUEXT_PIN_L4_TABLE : level == 3 ?
	    MMUEXT_PIN_L3_TABLE : MMUEXT_PIN_L2_TABLE;
	op.arg1.mfn = x->p2m[pfn];
	if (xc_mmuext_op(x->xch, &op, 1, x->domid) != 0)
		return xen_fail(e, x, "pinning the top-level page table");
	x->pinned = 1;
	return 0;
}

/* Xen writes its own hypercall stubs (XEN_DOMCTL_hypercall_init). */
static int
xen_hypercall_page(struct hv *hv, uint64_t pfn, struct pv_err *e)
{
	struct xen *x = (struct xen *)hv;
	struct xen_domctl domctl;

	memset(&domctl, 0, sizeof(domctl));
	domctl.cmd = XEN_DOMCTL_hypercall_init;
	domctl.domain = (domid_t)x->domid;
	domctl.u.hypercall_init.gmfn = x->p2m[pfn];
	if (xc_domctl(x->xch, &domctl) != 0)
		return xen_fail(e, x, "filling the hypercall page");
	return 0;
}

#define FILL_CONTEXT(c, v, cr3, flags_) do {				\
	(c)->user_regs.eip = (v)->ip;					\
	(c)->user_regs.esp = (v)->sp;					\
	(c)->user_regs.esi = (v)->si;					\
	(c)->user_regs.eflags = (v)->flags;				\
	(c)->user_regs.cs = (v)->cs;					\
	(c)->user_regs.ds = (v)->ds;					\
	(c)->user_regs.es = (v)->es;					\
	(c)->user_regs.fs = (v)->fs;					\
	(c)->user_regs.gs = (v)->gs;					\
	(c)->user_regs.ss = (v)->ss;					\
	(c)->kernel_ss = (v)->kernel_ss;				\
	(c)->kernel_sp = (v)->kernel_sp;				\
	(c)->vm_assist = (v)->vm_assist;				\
	(c)->flags = (flags_);						\
	(c)->ctrlreg[3] = (cr3);					\
	/* Xen's builder sets DR6 and DR7 to their reset values. */	\
	(c)->debugreg[6] = 0xffff0ff0;					\
	(c)->debugreg[7] = 0x400;					\
} while (0)

/*
 * The vCPU context of <xen/foreign/x86_64.h> or x86_32.h from the plan's;
 * CR3 holds the top-level table's mfn as Xen encodes it for the guest's
 * width (xen_pfn_to_cr3 in <xen/arch-x86/xen-x86_*.h>).
 */
static int
set_context(struct xen *x, const struct plan *p, struct pv_err *e)
{
	const struct plan_vcpu *v = &p->populate->vcpu;
	uint64_t top = x->p2m[p->pagetables->top_pfn];
	vcpu_guest_context_any_t ctxt;

	memset(&ctxt, 0, sizeof(ctxt));
	if (x->hv.abi->ops->long_mode)
		FILL_CONTEXT(&ctxt.x64, v, top << PV_PAGE_SHIFT,
		    VGCF_in_kernel_X86_64 | VGCF_online_X86_64);
	else
		FILL_CONTEXT(&ctxt.x32, v,
		    (uint32_t)(top << 12 | top >> 20),
		    VGCF_in_kernel_X86_32 | VGCF_online_X86_32);
	if (xc_vcpu_setcontext(x->xch, x->domid, 0, &ctxt) != 0)
		return xen_fail(e, x, "setting the vCPU context");
	return 0;
}

/*
 * The domain's xenstore nodes in one transaction: those that name it
 * (xen_write_nodes), unless an early build wrote them already, with the
 * look at every other domain's name that makes the name its own, and,
 * with `rings`, where its store and console rings are.
 */
static int
store_transaction(struct xen *x, int rings, struct pv_err *e)
{
	xs_transaction_t t;
	int tries;

	for (tries = 0;; tries++) {
		if ((t = xs_transaction_start(x->xsh)) == XBT_NULL)
			return xen_fail(e, x, "xenstore transaction");
		if (!x->named && xen_check_name(x, t, e) < 0) {
			xs_transaction_end(x->xsh, t, true);
			return -1;
		}
		if ((!x->named && xen_write_nodes(x, t) < 0) ||
		    (rings && xen_write_rings(x, t) < 0)) {
			xen_fail(e, x, "writing the domain's xenstore nodes");
			xs_transaction_end(x->xsh, t, true);
			return -1;
		}
		if (xs_transaction_end(x->xsh, t, false))
			break;
		if (errno != EAGAIN || tries >= 10)
			return xen_fail(e, x, "writing the domain's xenstore "
			    "nodes");
	}
	x->named = 1;
	return 0;
}

/*
 * What every type's commit ends with, once its memory and vCPUs are set
 * and its grant table seeded: the xenstore nodes (store_transaction), the
 * devices, the introduction to xenstored (store_frame: an mfn for PV, a
 * gfn for PVH), and the unpause unless --paused. Committed then: close no
 * longer destroys it.
 */
int
xen_commit_store(struct xen *x, const struct plan *p, struct pv_err *e)
{
	if (store_transaction(x, 1, e) < 0)
		return -1;
	if (xen_dev_attach(x, p, e) < 0)
		return -1;
	if (!xs_introduce_domain(x->xsh, x->domid, x->store_frame,
	    x->hv.store_port))
		return xen_fail(e, x, "introducing the domain to xenstored");
	/* Whole now; only the unpause is left: no build may take it. */
	xen_unclaim(x);
	if (!x->paused && xc_domain_unpause(x->xch, x->domid) != 0)
		return xen_fail(e, x, "unpausing the domain");
	x->committed = 1;
	return 0;
}

static int
xen_commit(struct hv *hv, const struct plan *p, struct pv_err *e)
{
	struct xen *x = (struct xen *)hv;
	const struct plan_populate *pp = p->populate;

	unmap_windows(x);
	if (xen_stopped(x, e) < 0 || set_context(x, p, e) < 0)
		return -1;
	x->store_frame = x->p2m[pp->start_info.store_pfn];
	x->console_frame = x->p2m[pp->start_info.console_pfn];
	/* The console and store rings, by grant as well as by mfn. */
	if (xc_dom_gnttab_seed(x->xch, x->domid, false, x->console_frame,
	    x->store_frame, 0, 0) != 0)
		return xen_fail(e, x, "seeding the grant table");
	return xen_commit_store(x, p, e);
}

static void
xen_close(struct hv *hv)
{
	struct xen *x = (struct xen *)hv;

	unmap_windows(x);
	if (x->shinfo != NULL)
		xenforeignmemory_unmap(x->fmem, x->shinfo, 1);
	if (x->created && !x->committed)
		xen_destroy(x);
	xen_dev_close(x);
	xen_unclaim(x);
	if (x->xsh != NULL)
		xs_close(x->xsh);
	if (x->fmem != NULL)
		xenforeignmemory_close(x->fmem);
	if (x->xch != NULL)
		xc_interface_close(x->xch);
	free(x->p2m);
	free(x->runs);
	free(x->name);
	free(x);
}

static const struct hv_ops xen_ops = {
	.mfn = xen_mfn,
	.write = xen_write,
	.machphys = xen_machphys,
	.below_4g = xen_below_4g,
	.pin = xen_pin,
	.hypercall_page = xen_hypercall_page,
	.commit = xen_commit,
	.wait = xen_wait,
	.close = xen_close,
};

/*
 * The request a plan makes (layout.vcpus and layout.maxmem may be
 * missing from a plan made before they were members: one vCPU, no
 * balloon room).
 */
void
xen_request_of(const struct plan *p, struct hv_request *r)
{
	r->abi = p->elfinfo->abi;
	r->nr_pages = p->layout->nr_pages;
	r->maxmem = p->layout->maxmem;
	r->vcpus = p->layout->vcpus != 0 ? p->layout->vcpus : 1;
	r->name = p->layout->name;
}

/* The balloon's ceiling in KiB: maxmem, and never below the memory. */
static uint64_t
maxmem_kb(const struct hv_request *r)
{
	uint64_t memory_kb = r->nr_pages * (PV_PAGE_SIZE / 1024);

	return r->maxmem / 1024 > memory_kb ? r->maxmem / 1024 : memory_kb;
}

/*
 * What every type's build starts with: the request checked against the
 * options, the hypervisor's interfaces opened, the ABI and vCPUs checked
 * against what it offers, stale claims reaped, the claim of this build
 * taken and the name checked, before any domain exists.
 */
int
xen_open_common(const struct hv_xen_options *opt, const struct hv_request *r,
    struct hv **hvp, struct pv_err *e)
{
	const struct abi *abi = r->abi;
	const char *name;
	struct xen *x;
	size_t i;

	if (!abi->ops->xen_builds)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: Xen builds no %s "
		    "guests (%d-level %s paging); use --backend sim", abi->name,
		    abi->levels, abi->arch);
	/*
	 * The name layout recorded (layout --name) is the domain's unless
	 * --name gives one; two names for one domain are a contradiction.
	 */
	name = opt->name != NULL ? opt->name : r->name;
	if (opt->name != NULL && r->name != NULL &&
	    strcmp(opt->name, r->name) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "--name: '%s', and the plan's "
		    "layout.name is '%s'", opt->name, r->name);
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
	x->claim_fd = -1;
	x->hv.ops = &xen_ops;
	x->hv.abi = abi;
	x->hv.nr_pages = r->nr_pages;
	x->vcpus = r->vcpus;
	x->memory_kb = x->hv.nr_pages * (PV_PAGE_SIZE / 1024);
	x->maxmem_kb = maxmem_kb(r);
	x->hv.zeroed = 1;	/* Xen scrubs the frames it hands a domain */
	x->hv.where = x->where;
	x->paused = opt->paused;
	x->stop = opt->stop;
	x->log.vtable.vmessage = log_vmessage;
	x->log.vtable.destroy = log_destroy;
	for (i = 0; i < XEN_WINDOWS; i++)
		x->win[i].pfn = UINT64_MAX;
	*hvp = &x->hv;
	if ((x->xch = xc_interface_open(&x->log.vtable, &x->log.vtable,
	    0)) == NULL)
		return xen_fail(e, x, "cannot open the hypervisor interface "
		    "(is this a Xen dom0?)");
	if (xen_check_abi(x, e) < 0 || xen_check_vcpus(x, e) < 0)
		return -1;
	if ((x->fmem = xenforeignmemory_open(&x->log.vtable, 0)) == NULL)
		return xen_fail(e, x, "opening foreign memory");
	if ((x->xsh = xs_open(0)) == NULL)
		return xen_fail(e, x, "connecting to xenstored");
	xen_reap_stale(x);
	if (xen_make_uuid(x, e) < 0 || xen_claim(x, e) < 0)
		return -1;
	if (name != NULL) {
		if ((x->name = strdup(name)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
		if (xen_check_name(x, XBT_NULL, e) < 0)
			return -1;
	}
	return 0;
}

/* The domain, once created, is named pvbuild-DOMID if nothing named it. */
int
xen_name_domain(struct xen *x, struct pv_err *e)
{
	char made[32];

	x->hv.domid = x->domid;
	if (x->name == NULL) {
		snprintf(made, sizeof(made), "pvbuild-%u", x->domid);
		if ((x->name = strdup(made)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
	}
	x->hv.name = x->name;
	return 0;
}

/* A PV domain for the request `r`, created and its memory populated. */
static int
open_pv(const struct hv_xen_options *opt, const struct hv_request *r,
    struct hv **hvp, struct pv_err *e)
{
	struct hv *hv = NULL;
	xen_pfn_t shinfo;
	struct xen *x;

	if (xen_open_common(opt, r, &hv, e) < 0)
		goto fail;
	x = (struct xen *)hv;
	if ((x->p2m = calloc(x->hv.nr_pages, sizeof(*x->p2m))) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory for the p2m of "
		    "%llu pages", (unsigned long long)x->hv.nr_pages);
		goto fail;
	}
	if (xen_create(x, e) < 0 || xen_name_domain(x, e) < 0 ||
	    xen_populate(x, e) < 0)
		goto fail;
	shinfo = x->hv.shared_info_mfn;
	if ((x->shinfo = xenforeignmemory_map(x->fmem, x->domid,
	    PROT_READ | PROT_WRITE, 1, &shinfo, NULL)) == NULL) {
		xen_fail(e, x, "mapping shared_info");
		goto fail;
	}
	*hvp = &x->hv;
	return 0;
fail:
	if (hv != NULL)
		xen_close(hv);
	return -1;
}

int
hv_xen_open(const struct hv_xen_options *opt, const struct plan *p,
    struct hv **hvp, struct pv_err *e)
{
	struct hv_request r;

	xen_request_of(p, &r);
	return open_pv(opt, &r, hvp, e);
}

/*
 * The nodes that name the domain go to xenstore now, in the transaction
 * that makes the name its own, as libxl writes them once it has created
 * a domain: of two builds racing for one name the later is refused here,
 * its domain destroyed, and its build made again for the plan fails as
 * it would have without the early start.
 */
int
hv_xen_open_early(const struct hv_xen_options *opt,
    const struct hv_request *r, struct hv **hvp, struct pv_err *e)
{
	if (open_pv(opt, r, hvp, e) < 0) {
		*hvp = NULL;		/* closed */
		return -1;
	}
	if (store_transaction((struct xen *)*hvp, 0, e) < 0) {
		xen_close(*hvp);
		*hvp = NULL;
		return -1;
	}
	return 0;
}

int
hv_xen_fits(const struct hv *hv, const struct hv_xen_options *opt,
    const struct plan *p)
{
	const struct xen *x = (const struct xen *)hv;
	struct hv_request r;

	xen_request_of(p, &r);
	/* The early domain took its name from --name alone. */
	if (r.name != NULL && (opt->name == NULL ||
	    strcmp(r.name, opt->name) != 0))
		return 0;
	return r.abi == hv->abi && r.nr_pages == hv->nr_pages &&
	    r.vcpus == x->vcpus && maxmem_kb(&r) == x->maxmem_kb;
}
