/* SPDX-License-Identifier: ISC */
/*
 * xen_dev.c: the domain's disks and NICs as Xen's split drivers expect
 * them (xenbe.h): what both kinds share. xen_vbd.c finds or makes the
 * block device behind each disk; xen_vif.c checks each bridge and does
 * the hotplug work xl's vif-bridge script does. Here they are put
 * together: the checks and the loop devices first, then every node of
 * every device in one xenstore transaction (a backend driver probes a
 * device only once its frontend exists, so both go in together), then
 * the wait for the backend drivers to take them.
 *
 * The nodes are those libxl writes (tools/libs/light/libxl_device.c,
 * libxl_disk.c, libxl_nic.c in Xen 4.17): the frontend directory
 * /local/domain/DOMID/device/KIND/DEVID owned by the guest and readable
 * by dom0, the backend directory /local/domain/0/backend/KIND/DOMID/DEVID
 * owned by dom0 and readable by the guest, and /libxl/DOMID/device/...
 * naming both, which is what `xl destroy` walks to take devices down.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xen/io/xenbus.h>

#include "xenbe.h"

/* Write one node `dir`/`key` in transaction t. */
int
xen_dev_put(struct xs_handle *xsh, xs_transaction_t t, const char *dir,
    const char *key, const char *fmt, ...)
{
	char path[256], val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_write(xsh, t, path, val, strlen(val)) ? 0 : -1;
}

/* Make `dir`, owned by `owner` and readable by `reader`. */
int
xen_dev_mkdir(struct xs_handle *xsh, xs_transaction_t t, const char *dir,
    uint32_t owner, uint32_t reader)
{
	struct xs_permissions perms[2] = {
		{ .id = owner, .perms = XS_PERM_NONE },
		{ .id = reader, .perms = XS_PERM_READ },
	};

	return xs_mkdir(xsh, t, dir) && xs_set_permissions(xsh, t, dir, perms,
	    2) ? 0 : -1;
}

/*
 * The three directories of device `devid` of `kind` ("vbd", "vif"),
 * made with their owners, and the nodes that tie them together; the
 * caller adds the kind's own nodes under fe and be.
 */
int
xen_dev_dirs(struct xen *x, xs_transaction_t t, const char *kind,
    uint32_t devid, char *fe, char *be, size_t size)
{
	char lx[128];

	snprintf(fe, size, "/local/domain/%u/device/%s/%u", x->domid, kind,
	    devid);
	snprintf(be, size, "/local/domain/%u/backend/%s/%u/%u",
	    XEN_BACKEND_DOMID, kind, x->domid, devid);
	snprintf(lx, sizeof(lx), "/libxl/%u/device/%s/%u", x->domid, kind,
	    devid);
	if (xen_dev_mkdir(x->xsh, t, fe, x->domid, XEN_BACKEND_DOMID) < 0 ||
	    xen_dev_mkdir(x->xsh, t, be, XEN_BACKEND_DOMID, x->domid) < 0 ||
	    xen_dev_mkdir(x->xsh, t, lx, XEN_BACKEND_DOMID,
	    XEN_BACKEND_DOMID) < 0)
		return -1;
	return xen_dev_put(x->xsh, t, fe, "backend", "%s", be) < 0 ||
	    xen_dev_put(x->xsh, t, fe, "backend-id", "%u",
	    XEN_BACKEND_DOMID) < 0 ||
	    xen_dev_put(x->xsh, t, fe, "state", "%d",
	    XenbusStateInitialising) < 0 ||
	    xen_dev_put(x->xsh, t, be, "frontend", "%s", fe) < 0 ||
	    xen_dev_put(x->xsh, t, be, "frontend-id", "%u", x->domid) < 0 ||
	    xen_dev_put(x->xsh, t, be, "online", "1") < 0 ||
	    xen_dev_put(x->xsh, t, be, "state", "%d",
	    XenbusStateInitialising) < 0 ||
	    xen_dev_put(x->xsh, t, be, "script", XEN_HOTPLUG_SCRIPT) < 0 ||
	    xen_dev_put(x->xsh, t, lx, "frontend", "%s", fe) < 0 ||
	    xen_dev_put(x->xsh, t, lx, "backend", "%s", be) < 0 ? -1 : 0;
}

/* Every node of every device, in one transaction (retried on EAGAIN). */
static int
write_devices(struct xen *x, const struct plan_layout *l, struct pv_err *e)
{
	xs_transaction_t t;
	size_t i;
	int tries, bad;

	for (tries = 0;; tries++) {
		if ((t = xs_transaction_start(x->xsh)) == XBT_NULL)
			return xen_fail(e, x, "xenstore transaction");
		bad = 0;
		for (i = 0; i < l->nr_disks && !bad; i++)
			bad = xen_vbd_write(x, t, i, &l->disks[i]) < 0;
		for (i = 0; i < l->nr_nics && !bad; i++)
			bad = xen_vif_write(x, t, i, &l->nics[i]) < 0;
		if (bad) {
			xen_fail(e, x, "writing the devices' xenstore nodes");
			xs_transaction_end(x->xsh, t, true);
			return -1;
		}
		if (xs_transaction_end(x->xsh, t, false))
			return 0;
		if (errno != EAGAIN || tries >= 10)
			return xen_fail(e, x, "writing the devices' xenstore "
			    "nodes");
	}
}

/*
 * Give the domain the plan's disks and NICs. Bad input (a disk that is
 * neither a file nor a block device, a bridge that is not there) is
 * found before anything is written, and is exit 1; whatever this made
 * before a failure is undone by xen_dev_close and xen_dev_remove (from
 * xen_remove_nodes), which xen_close calls.
 */
int
xen_dev_attach(struct xen *x, const struct plan *p, struct pv_err *e)
{
	const struct plan_layout *l = p->layout;
	size_t i;

	if (l->nr_disks == 0 && l->nr_nics == 0)
		return 0;
	if ((x->dev = calloc(1, sizeof(*x->dev))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
	for (i = 0; i < PLAN_DISKS_MAX; i++)
		x->dev->disk[i].loop_fd = -1;
	for (i = 0; i < l->nr_disks; i++)
		if (xen_vbd_prepare(x, i, &l->disks[i], e) < 0)
			return -1;
	for (i = 0; i < l->nr_nics; i++)
		if (xen_vif_check(&l->nics[i], i, e) < 0)
			return -1;
	if (xen_stopped(x, e) < 0 || write_devices(x, l, e) < 0)
		return -1;
	for (i = 0; i < l->nr_disks; i++)
		if (xen_vbd_wait(x, i, &l->disks[i], e) < 0)
			return -1;
	for (i = 0; i < l->nr_nics; i++)
		if (xen_vif_connect(x, i, &l->nics[i], e) < 0)
			return -1;
	return 0;
}

/*
 * Remove every device node of domain `domid`: the backend directories
 * (the backend drivers then close what they opened, which releases an
 * auto-clearing loop device) and libxl's record. The frontends go with
 * /local/domain/DOMID.
 */
void
xen_dev_remove(struct xs_handle *xsh, uint32_t domid)
{
	static const char *const kinds[] = { "vbd", "vif" };
	char path[128];
	size_t i;

	if (xsh == NULL)
		return;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/backend/%s/%u",
		    XEN_BACKEND_DOMID, kinds[i], domid);
		xs_rm(xsh, XBT_NULL, path);
	}
	snprintf(path, sizeof(path), "/libxl/%u", domid);
	xs_rm(xsh, XBT_NULL, path);
}

/*
 * Let go of the loop devices this build still holds: one the block
 * backend took stays bound while it holds it; one it never took is
 * released now (LO_FLAGS_AUTOCLEAR).
 */
void
xen_dev_close(struct xen *x)
{
	size_t i;

	if (x->dev == NULL)
		return;
	for (i = 0; i < PLAN_DISKS_MAX; i++)
		if (x->dev->disk[i].loop_fd >= 0)
			close(x->dev->disk[i].loop_fd);
	free(x->dev);
	x->dev = NULL;
}

/* Wait up to XEN_DEV_WAIT_MS for ready(arg) to hold, a signal aside. */
int
xen_dev_wait(struct xen *x, int (*ready)(const void *), const void *arg)
{
	int ms;

	for (ms = 0; ms < XEN_DEV_WAIT_MS; ms += 50) {
		if (ready(arg))
			return 0;
		if (x->stop != NULL && *x->stop)
			return -1;
		usleep(50 * 1000);
	}
	return ready(arg) ? 0 : -1;
}
