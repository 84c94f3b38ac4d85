/* SPDX-License-Identifier: ISC */
/*
 * xenbe.h: what the xen backend's files share. xen.c is the backend's
 * operations (writes through mapped windows, pins, the vCPU, commit);
 * xen_domain.c makes the domain and its memory; xen_store.c its xenstore
 * nodes and names, and the claims that let a killed build be undone.
 */
#ifndef XENBE_H
#define XENBE_H

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
/*
 * The memory map of a PV domain ends at maxmem plus libxl's PV slack
 * (b_info.u.pv.slack_memkb), which libxl 4.17 defaults to nothing.
 */
#define XEN_PV_SLACK_KB 0
#define XEN_EVTCHN_PORTS 1023		/* libxl's default event_channels */
#define XEN_CONSOLE_LIMIT "1048576"	/* libxl's console/limit */
#define XEN_WAIT_EXIT 10		/* --wait: + the shutdown code */
#define XEN_WAIT_EXIT_GONE 9		/* --wait: destroyed by another */
#define XEN_RUN_DIR "/run/pvbuild"	/* the claims of builds in progress */
#define XEN_CLAIM_PREFIX "xen-"
#define XEN_BACKEND_DOMID 0u		/* dom0 serves the devices */
#define XEN_DEV_WAIT_MS 10000		/* for a backend driver to answer */
/*
 * The hotplug script the backend directories name. libxl runs a
 * device's script when `xl destroy` takes it down and keeps the nodes
 * if it cannot; the network backend will not probe a vif without one.
 * pvbuild's devices have nothing to undo (the loop device clears itself,
 * the vif leaves its bridge as it goes), so the script does nothing.
 */
#define XEN_HOTPLUG_SCRIPT "/bin/true"

/* A disk's block device: the target's own, or a loop device over it. */
struct xen_disk {
	uint32_t devid;			/* xl's number for the vdev */
	unsigned int major, minor;
	char loop[32];			/* /dev/loopN; "" for a device */
	int loop_fd;			/* held until the backend has it; -1 */
};

struct xen_devs {
	struct xen_disk disk[PLAN_DISKS_MAX];
};

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
	uint32_t vcpus;			/* layout.vcpus */
	uint64_t memory_kb, maxmem_kb;	/* the domain's, and layout.maxmem */
	int created, committed, paused;
	int named;			/* its naming nodes are in xenstore */
	int pinned;			/* tables typed: map page by page */
	const volatile sig_atomic_t *stop;	/* a signal asks to stop */
	char *name;
	char uuid[37];
	xen_domain_handle_t handle;
	char claim[64];			/* XEN_RUN_DIR/xen-UUID */
	int claim_fd;			/* flock()ed while we build; -1 */
	xen_pfn_t *p2m;			/* PV: the mfn of every pfn */
	/* The xenstore and console pages: mfns (PV) or gfns (PVH). */
	uint64_t store_frame, console_frame;
	struct xen_run *runs;		/* sorted by mfn */
	size_t nr_runs;
	struct xen_window win[XEN_WINDOWS];
	uint64_t clock;
	uint8_t *shinfo;		/* the shared_info frame, mapped */
	char where[64];
	struct xen_devs *dev;		/* the disks' state; NULL: none */
};

/* Fail with errno's text, and the library's own words when it said any. */
int xen_fail(struct pv_err *, struct xen *, const char *what);

/* Has a signal asked the build to stop? Then fail, and close destroys. */
int xen_stopped(struct xen *, struct pv_err *);

/*
 * xen.c, what every guest type's build shares: the request a plan makes;
 * the backend opened for a request with the checks made before a domain
 * exists (*hv set even on failure, for its close); the created domain
 * named; the commit's xenstore nodes, devices, introduction and unpause.
 */
void xen_request_of(const struct plan *, struct hv_request *);
int xen_open_common(const struct hv_xen_options *, const struct hv_request *,
    struct hv **, struct pv_err *);
int xen_name_domain(struct xen *, struct pv_err *);
int xen_commit_store(struct xen *, const struct plan *, struct pv_err *);

/* xen_domain.c */
int xen_check_abi(struct xen *, struct pv_err *);
int xen_check_vcpus(struct xen *, struct pv_err *);
int xen_make_uuid(struct xen *, struct pv_err *);
int xen_create(struct xen *, struct pv_err *);
int xen_alloc_ports(struct xen *, struct pv_err *);
int xen_populate(struct xen *, struct pv_err *);

/* xen_store.c */
void xen_format_uuid(const uint8_t *, char *out);
int xen_claim(struct xen *, struct pv_err *);
void xen_unclaim(struct xen *);
void xen_reap_stale(struct xen *);
int xen_check_name(struct xen *, xs_transaction_t, struct pv_err *);
int xen_write_nodes(struct xen *, xs_transaction_t);
int xen_write_rings(struct xen *, xs_transaction_t);
void xen_remove_nodes(struct xs_handle *, uint32_t domid, const char *uuid);

/* xen_wait.c */
void xen_destroy(struct xen *);
int xen_wait(struct hv *, struct pv_err *);

/* xen_dev.c, xen_vbd.c, xen_vif.c: the domain's disks and NICs */
int xen_dev_attach(struct xen *, const struct plan *, struct pv_err *);
void xen_dev_remove(struct xs_handle *, uint32_t domid);
void xen_dev_close(struct xen *);
int xen_dev_put(struct xs_handle *, xs_transaction_t, const char *dir,
    const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int xen_dev_mkdir(struct xs_handle *, xs_transaction_t, const char *dir,
    uint32_t owner, uint32_t reader);
int xen_dev_dirs(struct xen *, xs_transaction_t, const char *kind,
    uint32_t devid, char *fe, char *be, size_t size);
int xen_dev_wait(struct xen *, int (*ready)(const void *), const void *);
int xen_vbd_prepare(struct xen *, size_t, const struct plan_disk *,
    struct pv_err *);
int xen_vbd_write(struct xen *, xs_transaction_t, size_t,
    const struct plan_disk *);
int xen_vbd_wait(struct xen *, size_t, const struct plan_disk *,
    struct pv_err *);
int xen_vif_check(const struct plan_nic *, size_t, struct pv_err *);
int xen_vif_write(struct xen *, xs_transaction_t, size_t,
    const struct plan_nic *);
int xen_vif_connect(struct xen *, size_t, const struct plan_nic *,
    struct pv_err *);

#endif
