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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenguest.h>
#include <xenstore.h>

#include "hv.h"
#include "xenhdr.h"

#define XEN_SUPERPAGE_ORDER 9		/* 2 MiB extents */
#define XEN_SUPERPAGE_PAGES ((uint64_t)1 << XEN_SUPERPAGE_ORDER)
#define XEN_EXTENTS_PER_CALL 512	/* extents asked for at once */
#define XEN_WINDOW_PAGES 512		/* pfns mapped at once for writes */
#define XEN_WINDOWS 4			/* mappings kept */
#define XEN_MAXMEM_SLACK_KB 1024	/* as libxl's LIBXL_MAXMEM_CONSTANT */
#define XEN_EVTCHN_PORTS 1023		/* libxl's default event_channels */
#define XEN_CONSOLE_LIMIT "1048576"	/* libxl's console/limit */
#define XEN_RUN_DIR "/run/pvbuild"	/* the claims of builds in progress */
#define XEN_CLAIM_PREFIX "xen-"

/*
 * libxenctrl and libxenforeignmemory report through a logger; this one
 * keeps the last error so that the one line finalize prints can say what
 * Xen's library said, and prints nothing itself.
 */
struct xen_log {
	xentoollog_logger vtable;
	char last[256];
};

/* A run of consecutive mfns holding consecutive pfns. */
struct xen_run {
	uint64_t mfn, pfn, count;
};

struct xen_window {
	uint64_t pfn;			/* first pfn; UINT64_MAX: unused */
	uint8_t *va;
	uint64_t pages;			/* mapped: the last window is short */
	uint64_t used;			/* for least-recently-used reuse */
};

struct xen {
	struct hv hv;
	struct xen_log log;
	xc_interface *xch;
	xenforeignmemory_handle *fmem;
	struct xs_handle *xsh;
	uint32_t domid;
	int created, committed, paused;
	int pinned;			/* tables typed: map page by page */
	const volatile sig_atomic_t *stop;	/* a signal asks to stop */
	char *name;
	char uuid[37];
	xen_domain_handle_t handle;
	char claim[64];			/* XEN_RUN_DIR/xen-UUID */
	int claim_fd;			/* flock()ed while we build; -1 */
	xen_pfn_t *p2m;			/* the mfn of every pfn */
	struct xen_run *runs;		/* sorted by mfn */
	size_t nr_runs;
	struct xen_window win[XEN_WINDOWS];
	uint64_t clock;
	uint8_t *shinfo;		/* the shared_info frame, mapped */
	char where[64];
};

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
static int
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
static int
stopped(struct xen *x, struct pv_err *e)
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

static int
run_cmp(const void *a, const void *b)
{
	const struct xen_run *p = a, *q = b;

	return p->mfn < q->mfn ? -1 : p->mfn > q->mfn;
}

/* The reverse of the p2m as sorted runs, for xen_owner. */
static int
make_runs(struct xen *x, struct pv_err *e)
{
	uint64_t pfn, n = 0;

	for (pfn = 0; pfn < x->hv.nr_pages; pfn++)
		if (pfn == 0 || x->p2m[pfn] != x->p2m[pfn - 1] + 1)
			n++;
	if ((x->runs = calloc(n, sizeof(*x->runs))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
	for (pfn = 0; pfn < x->hv.nr_pages; pfn++) {
		if (pfn == 0 || x->p2m[pfn] != x->p2m[pfn - 1] + 1) {
			x->runs[x->nr_runs].mfn = x->p2m[pfn];
			x->runs[x->nr_runs].pfn = pfn;
			x->nr_runs++;
		}
		x->runs[x->nr_runs - 1].count++;
	}
	qsort(x->runs, x->nr_runs, sizeof(*x->runs), run_cmp);
	return 0;
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
	if (stopped(x, e) < 0)
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
	if (x->hv.abi->id == ABI_X86_64)
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

/* Write one xenstore node under `base` in transaction t. */
static int
xs_put(struct xen *x, xs_transaction_t t, const char *base, const char *key,
    const char *fmt, ...)
{
	char path[256], val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", base, key);
	return xs_write(x->xsh, t, path, val, strlen(val)) ? 0 : -1;
}

/*
 * The nodes libxl writes for a PV domain that xenconsoled, xl and the
 * guest use, in one transaction: the domain's directory (read-only to it)
 * with name, domid, vm, memory, vCPU, console and store; the directories
 * the guest writes (control/shutdown, device, data, ...); and /vm/UUID.
 */
static int
write_nodes(struct xen *x, const struct plan *p, xs_transaction_t t)
{
	static const char *const rw_dirs[] = {
		"device", "control", "control/shutdown", "control/sysrq",
		"data", "drivers", "feature", "attr", "error",
	};
	const struct plan_populate *pp = p->populate;
	struct xs_permissions ro[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = x->domid, .perms = XS_PERM_READ },
	};
	struct xs_permissions rw[1] = {
		{ .id = x->domid, .perms = XS_PERM_NONE },
	};
	char dom[64], vm[64], path[128];
	size_t i;

	snprintf(dom, sizeof(dom), "/local/domain/%u", x->domid);
	snprintf(vm, sizeof(vm), "/vm/%s", x->uuid);
	if (!xs_mkdir(x->xsh, t, dom) || !xs_set_permissions(x->xsh, t, dom,
	    ro, 2) || !xs_mkdir(x->xsh, t, vm) ||
	    !xs_set_permissions(x->xsh, t, vm, ro, 2))
		return -1;
	for (i = 0; i < sizeof(rw_dirs) / sizeof(rw_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dom, rw_dirs[i]);
		if (!xs_mkdir(x->xsh, t, path) ||
		    !xs_set_permissions(x->xsh, t, path, rw, 1))
			return -1;
	}
	if (xs_put(x, t, vm, "name", "%s", x->name) < 0 ||
	    xs_put(x, t, vm, "uuid", "%s", x->uuid) < 0 ||
	    xs_put(x, t, dom, "name", "%s", x->name) < 0 ||
	    xs_put(x, t, dom, "domid", "%u", x->domid) < 0 ||
	    xs_put(x, t, dom, "vm", "%s", vm) < 0 ||
	    xs_put(x, t, dom, "memory/static-max", "%llu",
	    (unsigned long long)(x->hv.nr_pages * 4)) < 0 ||
	    xs_put(x, t, dom, "memory/target", "%llu",
	    (unsigned long long)(x->hv.nr_pages * 4)) < 0 ||
	    xs_put(x, t, dom, "cpu/0/availability", "online") < 0 ||
	    xs_put(x, t, dom, "store/port", "%u", x->hv.store_port) < 0 ||
	    xs_put(x, t, dom, "store/ring-ref", "%llu",
	    (unsigned long long)x->p2m[pp->start_info.store_pfn]) < 0 ||
	    xs_put(x, t, dom, "console/port", "%u", x->hv.console_port) < 0 ||
	    xs_put(x, t, dom, "console/ring-ref", "%llu",
	    (unsigned long long)x->p2m[pp->start_info.console_pfn]) < 0 ||
	    xs_put(x, t, dom, "console/type", "xenconsoled") < 0 ||
	    xs_put(x, t, dom, "console/output", "pty") < 0 ||
	    xs_put(x, t, dom, "console/limit", XEN_CONSOLE_LIMIT) < 0)
		return -1;
	return 0;
}

/* Remove what write_nodes wrote (after a failure, or with the domain). */
static void
remove_nodes(struct xs_handle *xsh, uint32_t domid, const char *uuid)
{
	char path[64];

	if (xsh == NULL)
		return;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	xs_rm(xsh, XBT_NULL, path);
	snprintf(path, sizeof(path), "/vm/%s", uuid);
	xs_rm(xsh, XBT_NULL, path);
}

/*
 * A build holds an flock on XEN_RUN_DIR/xen-UUID, UUID its domain's
 * handle, from before the domain exists until xenstored knows it. A
 * finalize killed meanwhile by a signal no handler sees (SIGKILL) leaves
 * its domain paused and unnamed and the file unlocked; the next build
 * destroys the domain with that handle, and the file (reap_stale).
 */
static int
claim(struct xen *x, struct pv_err *e)
{
	struct stat a, b;
	int tries, fd;

	if (mkdir(XEN_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: %s: %s", XEN_RUN_DIR,
		    strerror(errno));
	snprintf(x->claim, sizeof(x->claim), "%s/%s%s", XEN_RUN_DIR,
	    XEN_CLAIM_PREFIX, x->uuid);
	for (tries = 0; tries < 3; tries++) {
		if ((fd = open(x->claim, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600)) < 0)
			break;
		if (flock(fd, LOCK_EX) < 0) {
			close(fd);
			break;
		}
		/* Still ours, not removed by a build that took it as stale? */
		if (stat(x->claim, &a) == 0 && fstat(fd, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			x->claim_fd = fd;
			return 0;
		}
		close(fd);
	}
	return pv_fail(e, PV_EXIT_SYSTEM, "xen: %s: %s", x->claim,
	    strerror(errno));
}

static void
unclaim(struct xen *x)
{
	if (x->claim_fd < 0)
		return;
	unlink(x->claim);
	close(x->claim_fd);
	x->claim_fd = -1;
}

static void
format_uuid(const uint8_t *u, char *out)
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Destroy the domain whose handle is `uuid`, if there is one. */
static void
destroy_by_uuid(struct xen *x, const char *uuid)
{
	xc_dominfo_t info[64];
	uint32_t next = 1;
	char u[37];
	int n, i;

	do {
		if ((n = xc_domain_getinfo(x->xch, next, 64, info)) <= 0)
			return;
		for (i = 0; i < n; i++) {
			format_uuid(info[i].handle, u);
			if (strcmp(u, uuid) == 0) {
				xc_domain_destroy(x->xch, info[i].domid);
				remove_nodes(x->xsh, info[i].domid, uuid);
				return;
			}
		}
		next = info[n - 1].domid + 1;
	} while (n == 64);
}

/* The claims nobody holds: their builds were killed. */
static void
reap_stale(struct xen *x)
{
	const size_t len = strlen(XEN_CLAIM_PREFIX) + 36;
	struct dirent *de;
	DIR *d;
	int fd;

	if ((d = opendir(XEN_RUN_DIR)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != len || strncmp(de->d_name,
		    XEN_CLAIM_PREFIX, strlen(XEN_CLAIM_PREFIX)) != 0)
			continue;
		if ((fd = openat(dirfd(d), de->d_name, O_RDWR | O_CLOEXEC)) < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			destroy_by_uuid(x, de->d_name +
			    strlen(XEN_CLAIM_PREFIX));
			unlinkat(dirfd(d), de->d_name, 0);
		}
		close(fd);
	}
	closedir(d);
}

static int	check_name(struct xen *, xs_transaction_t, struct pv_err *);

static int
xen_commit(struct hv *hv, const struct plan *p, struct pv_err *e)
{
	struct xen *x = (struct xen *)hv;
	const struct plan_populate *pp = p->populate;
	xs_transaction_t t;
	int tries;

	unmap_windows(x);
	if (stopped(x, e) < 0 || set_context(x, p, e) < 0)
		return -1;
	/* The console and store rings, by grant as well as by mfn. */
	if (xc_dom_gnttab_seed(x->xch, x->domid, false,
	    x->p2m[pp->start_info.console_pfn],
	    x->p2m[pp->start_info.store_pfn], 0, 0) != 0)
		return xen_fail(e, x, "seeding the grant table");
	for (tries = 0;; tries++) {
		if ((t = xs_transaction_start(x->xsh)) == XBT_NULL)
			return xen_fail(e, x, "xenstore transaction");
		if (check_name(x, t, e) < 0) {
			xs_transaction_end(x->xsh, t, true);
			return -1;
		}
		if (write_nodes(x, p, t) < 0) {
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
	if (!xs_introduce_domain(x->xsh, x->domid,
	    x->p2m[pp->start_info.store_pfn], x->hv.store_port))
		return xen_fail(e, x, "introducing the domain to xenstored");
	/* Whole now; only the unpause is left: no build may take it. */
	unclaim(x);
	if (!x->paused && xc_domain_unpause(x->xch, x->domid) != 0)
		return xen_fail(e, x, "unpausing the domain");
	x->committed = 1;
	return 0;
}

static void
xen_close(struct hv *hv)
{
	struct xen *x = (struct xen *)hv;

	unmap_windows(x);
	if (x->shinfo != NULL)
		xenforeignmemory_unmap(x->fmem, x->shinfo, 1);
	if (x->created && !x->committed) {
		/* xenstored forgets an introduced domain when it dies. */
		xc_domain_destroy(x->xch, x->domid);
		remove_nodes(x->xsh, x->domid, x->uuid);
	}
	unclaim(x);
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
	.close = xen_close,
};

/*
 * Refuse, before anything is created, an ABI this hypervisor does not
 * run: XENVER_capabilities lists the PV ABIs it offers.
 */
static int
check_abi(struct xen *x, struct pv_err *e)
{
	xen_capabilities_info_t caps;
	const char *want = x->hv.abi->name;
	char *s, *tok, *save;

	memset(caps, 0, sizeof(caps));
	if (xc_version(x->xch, XENVER_capabilities, &caps) < 0)
		return xen_fail(e, x, "asking the hypervisor's capabilities");
	caps[sizeof(caps) - 1] = '\0';
	for (s = caps; (tok = strtok_r(s, " ", &save)) != NULL; s = NULL)
		if (strcmp(tok, want) == 0)
			return 0;
	return pv_fail(e, PV_EXIT_SYSTEM, "xen: this hypervisor does not run "
	    "%s guests (it offers: %s)", want, caps);
}

/*
 * Is `name` taken by another domain xenstore knows? Asked before the
 * build, to refuse early, and again inside the transaction that writes
 * the domain's own name: xenstored fails that transaction (EAGAIN) if
 * another one added a domain since it read /local/domain, so of two
 * builds racing for one name exactly one gets it.
 */
static int
check_name(struct xen *x, xs_transaction_t t, struct pv_err *e)
{
	unsigned int n, i, len;
	char path[64], *name;
	char **ids;
	int taken = 0;

	if ((ids = xs_directory(x->xsh, t, "/local/domain", &n)) == NULL)
		return 0;
	for (i = 0; i < n && !taken; i++) {
		if (x->created && strtoul(ids[i], NULL, 10) == x->domid)
			continue;
		snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
		if ((name = xs_read(x->xsh, t, path, &len)) != NULL) {
			taken = strcmp(name, x->name) == 0;
			free(name);
		}
	}
	free(ids);
	if (taken)
		return pv_fail(e, PV_EXIT_INPUT, "--name: a domain named '%s' "
		    "exists", x->name);
	return 0;
}

/*
 * The domain's memory: 2 MiB extents for every aligned run of 512 pfns
 * while Xen has them, 4 KiB frames for the rest. For a PV domain Xen reads
 * each extent's first pfn (recording machine-to-phys) and writes back the
 * first mfn.
 */
static int
populate(struct xen *x, struct pv_err *e)
{
	const uint64_t nr = x->hv.nr_pages;
	const uint64_t nr_super = nr / XEN_SUPERPAGE_PAGES;
	xen_pfn_t ext[XEN_EXTENTS_PER_CALL];
	uint64_t done = 0, pfn, n, k, j;
	long rc;

	while (done < nr_super) {
		if (stopped(x, e) < 0)
			return -1;
		n = nr_super - done < XEN_EXTENTS_PER_CALL ? nr_super - done :
		    XEN_EXTENTS_PER_CALL;
		for (k = 0; k < n; k++)
			ext[k] = (done + k) * XEN_SUPERPAGE_PAGES;
		rc = xc_domain_populate_physmap(x->xch, x->domid,
		    (unsigned long)n, XEN_SUPERPAGE_ORDER, 0, ext);
		if (rc < 0)
			rc = 0;
		for (k = 0; k < (uint64_t)rc; k++)
			for (j = 0; j < XEN_SUPERPAGE_PAGES; j++)
				x->p2m[(done + k) * XEN_SUPERPAGE_PAGES + j] =
				    ext[k] + j;
		done += (uint64_t)rc;
		if ((uint64_t)rc < n)
			break;		/* no more 2 MiB runs: 4 KiB from here */
	}
	x->log.last[0] = '\0';
	for (pfn = done * XEN_SUPERPAGE_PAGES; pfn < nr; pfn += n) {
		if (stopped(x, e) < 0)
			return -1;
		n = nr - pfn < XEN_EXTENTS_PER_CALL * 8 ? nr - pfn :
		    XEN_EXTENTS_PER_CALL * 8;
		for (k = 0; k < n; k++)
			x->p2m[pfn + k] = pfn + k;
		if (xc_domain_populate_physmap_exact(x->xch, x->domid,
		    (unsigned long)n, 0, 0, x->p2m + pfn) != 0) {
			char what[128];

			snprintf(what, sizeof(what), "populating pfns "
			    "%llu-%llu of %llu (%llu MiB)",
			    (unsigned long long)pfn,
			    (unsigned long long)(pfn + n - 1),
			    (unsigned long long)nr,
			    (unsigned long long)(nr >> (20 - PV_PAGE_SHIFT)));
			return xen_fail(e, x, what);
		}
	}
	return make_runs(x, e);
}

/* A version-4 UUID for the domain handle and its /vm path. */
static int
make_uuid(struct xen *x, struct pv_err *e)
{
	uint8_t *u = x->handle;

	if (getrandom(u, sizeof(x->handle), 0) != (ssize_t)sizeof(x->handle))
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: getrandom: %s",
		    strerror(errno));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	format_uuid(u, x->uuid);
	return 0;
}

/* Create the domain, paused, and give it its size and address width. */
static int
create(struct xen *x, struct pv_err *e)
{
	struct xen_domctl_createdomain config;
	struct xen_domctl domctl;
	xc_dominfo_t info;
	int ev;

	memset(&config, 0, sizeof(config));
	memcpy(config.handle, x->handle, sizeof(config.handle));
	config.max_vcpus = 1;
	config.max_evtchn_port = XEN_EVTCHN_PORTS;
	config.max_grant_frames = -1;		/* the hypervisor's default */
	config.max_maptrack_frames = -1;
	config.grant_opts = XEN_DOMCTL_GRANT_version(1);
	if (xc_domain_create(x->xch, &x->domid, &config) != 0)
		return xen_fail(e, x, "creating the domain");
	x->created = 1;
	snprintf(x->where, sizeof(x->where), "xen domid %u", x->domid);
	memset(&domctl, 0, sizeof(domctl));
	domctl.cmd = XEN_DOMCTL_set_address_size;
	domctl.domain = (domid_t)x->domid;
	domctl.u.address_size.size = x->hv.abi->word * 8;
	if (xc_domctl(x->xch, &domctl) != 0)
		return xen_fail(e, x, "setting the guest's address size");
	if (xc_domain_max_vcpus(x->xch, x->domid, 1) != 0)
		return xen_fail(e, x, "setting the vCPUs");
	if (xc_domain_setmaxmem(x->xch, x->domid,
	    x->hv.nr_pages * 4 + XEN_MAXMEM_SLACK_KB) != 0)
		return xen_fail(e, x, "setting the maximum memory");
	if (xc_domain_set_memmap_limit(x->xch, x->domid,
	    (unsigned long)(x->hv.nr_pages * 4)) != 0)
		return xen_fail(e, x, "setting the memory map");
	if (xc_domain_getinfo(x->xch, x->domid, 1, &info) != 1 ||
	    info.domid != x->domid)
		return xen_fail(e, x, "reading the new domain's information");
	x->hv.shared_info_mfn = info.shared_info_frame;
	if ((ev = xc_evtchn_alloc_unbound(x->xch, x->domid, 0)) < 0)
		return xen_fail(e, x, "allocating the xenstore event channel");
	x->hv.store_port = (uint32_t)ev;
	if ((ev = xc_evtchn_alloc_unbound(x->xch, x->domid, 0)) < 0)
		return xen_fail(e, x, "allocating the console event channel");
	x->hv.console_port = (uint32_t)ev;
	return 0;
}

int
hv_xen_open(const struct hv_xen_options *opt, const struct plan *p,
    struct hv **hvp, struct pv_err *e)
{
	const struct abi *abi = p->elfinfo->abi;
	xen_pfn_t shinfo;
	struct xen *x;
	size_t i;

	if (abi->id == ABI_XEN13)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: Xen builds no xen-1.3 "
		    "guests (2-level x86_32 paging); use --backend sim");
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
	x->claim_fd = -1;
	x->hv.ops = &xen_ops;
	x->hv.abi = abi;
	x->hv.nr_pages = p->layout->nr_pages;
	x->hv.zeroed = 1;	/* Xen scrubs the frames it hands a domain */
	x->hv.where = x->where;
	x->paused = opt->paused;
	x->stop = opt->stop;
	x->log.vtable.vmessage = log_vmessage;
	x->log.vtable.destroy = log_destroy;
	for (i = 0; i < XEN_WINDOWS; i++)
		x->win[i].pfn = UINT64_MAX;
	if ((x->xch = xc_interface_open(&x->log.vtable, &x->log.vtable,
	    0)) == NULL) {
		xen_fail(e, x, "cannot open the hypervisor interface (is this "
		    "a Xen dom0?)");
		goto fail;
	}
	if (check_abi(x, e) < 0)
		goto fail;
	if ((x->fmem = xenforeignmemory_open(&x->log.vtable, 0)) == NULL) {
		xen_fail(e, x, "opening foreign memory");
		goto fail;
	}
	if ((x->xsh = xs_open(0)) == NULL) {
		xen_fail(e, x, "connecting to xenstored");
		goto fail;
	}
	reap_stale(x);
	if (make_uuid(x, e) < 0 || claim(x, e) < 0)
		goto fail;
	if (opt->name != NULL) {
		if ((x->name = strdup(opt->name)) == NULL) {
			pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
			goto fail;
		}
		if (check_name(x, XBT_NULL, e) < 0)
			goto fail;
	}
	if ((x->p2m = calloc(x->hv.nr_pages, sizeof(*x->p2m))) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory for the p2m of "
		    "%llu pages", (unsigned long long)x->hv.nr_pages);
		goto fail;
	}
	if (create(x, e) < 0)
		goto fail;
	if (x->name == NULL) {
		char name[32];

		snprintf(name, sizeof(name), "pvbuild-%u", x->domid);
		if ((x->name = strdup(name)) == NULL) {
			pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
			goto fail;
		}
	}
	if (populate(x, e) < 0)
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
	xen_close(&x->hv);
	return -1;
}
