/* SPDX-License-Identifier: ISC */
/*
 * xen_store.c: the xen backend's names (xenbe.h): the xenstore nodes
 * libxl would write for the domain, the check that its name is free, and
 * the claim files under XEN_RUN_DIR through which the next build undoes
 * one that was killed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xenbe.h"

/* Write one xenstore node under `base` in transaction t. */
#define xs_put(x, t, base, key, ...) \
	xen_dev_put((x)->xsh, (t), (base), (key), __VA_ARGS__)

/*
 * The nodes libxl 4.17 writes for a PV domain that xenconsoled, xl and
 * the guest use, but the rings' (xen_write_rings), in one transaction:
 * the domain's directory (read-only to it) with name, domid, vm, the
 * console's and store's event channels and the console's kind; memory as the balloon
 * driver reads it (static-max the ceiling, maxmem; target what it starts
 * with; videoram none); every vCPU's availability, which Linux reads to
 * bring the vCPUs up, all online as xl's `vcpus` makes them; the platform
 * features libxl__domain_make offers (control/platform-feature-*, in
 * control, which the guest reads); the nodes the guest writes, made for
 * it (control/shutdown and control/feature-*, device, data, ...); and
 * /vm/UUID.
 */
int
xen_write_nodes(struct xen *x, xs_transaction_t t)
{
	static const char *const rw_dirs[] = {
		"device", "device/suspend/event-channel", "control/shutdown", "control/feature-poweroff",
		"control/feature-reboot", "control/feature-suspend",
		"control/sysrq", "data", "drivers", "feature", "attr", "error",
	};
	struct xs_permissions ro[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = x->domid, .perms = XS_PERM_READ },
	};
	struct xs_permissions rw[1] = {
		{ .id = x->domid, .perms = XS_PERM_NONE },
	};
	char dom[64], vm[64], path[128];
	uint32_t cpu;
	size_t i;

	snprintf(dom, sizeof(dom), "/local/domain/%u", x->domid);
	snprintf(vm, sizeof(vm), "/vm/%s", x->uuid);
	snprintf(path, sizeof(path), "%s/control", dom);
	if (!xs_mkdir(x->xsh, t, dom) || !xs_set_permissions(x->xsh, t, dom,
	    ro, 2) || !xs_mkdir(x->xsh, t, vm) ||
	    !xs_set_permissions(x->xsh, t, vm, ro, 2) ||
	    !xs_mkdir(x->xsh, t, path) ||
	    !xs_set_permissions(x->xsh, t, path, ro, 2))
		return -1;
	for (i = 0; i < sizeof(rw_dirs) / sizeof(rw_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dom, rw_dirs[i]);
		if (!xs_mkdir(x->xsh, t, path) ||
		    !xs_set_permissions(x->xsh, t, path, rw, 1))
			return -1;
	}
	for (cpu = 0; cpu < x->vcpus; cpu++) {
		snprintf(path, sizeof(path), "cpu/%u/availability", cpu);
		if (xs_put(x, t, dom, path, "online") < 0)
			return -1;
	}
	if (xs_put(x, t, vm, "name", "%s", x->name) < 0 ||
	    xs_put(x, t, vm, "uuid", "%s", x->uuid) < 0 ||
	    xs_put(x, t, dom, "name", "%s", x->name) < 0 ||
	    xs_put(x, t, dom, "domid", "%u", x->domid) < 0 ||
	    xs_put(x, t, dom, "vm", "%s", vm) < 0 ||
	    xs_put(x, t, dom, "memory/static-max", "%llu",
	    (unsigned long long)x->maxmem_kb) < 0 ||
	    xs_put(x, t, dom, "memory/target", "%llu",
	    (unsigned long long)x->memory_kb) < 0 ||
	    xs_put(x, t, dom, "memory/videoram", "0") < 0 ||
	    xs_put(x, t, dom, "control/platform-feature-multiprocessor-"
	    "suspend", "1") < 0 ||
	    xs_put(x, t, dom, "control/platform-feature-xs_reset_watches",
	    "1") < 0 ||
	    xs_put(x, t, dom, "store/port", "%u", x->hv.store_port) < 0 ||
	    xs_put(x, t, dom, "console/port", "%u", x->hv.console_port) < 0 ||
	    xs_put(x, t, dom, "console/type", "xenconsoled") < 0 ||
	    xs_put(x, t, dom, "console/output", "pty") < 0 ||
	    xs_put(x, t, dom, "console/limit", XEN_CONSOLE_LIMIT) < 0)
		return -1;
	return 0;
}

/*
 * Where the store and console rings are: frames only the plan places,
 * written at commit, before xenstored and xenconsoled hear of the domain.
 */
int
xen_write_rings(struct xen *x, xs_transaction_t t)
{
	char dom[64];

	snprintf(dom, sizeof(dom), "/local/domain/%u", x->domid);
	if (xs_put(x, t, dom, "store/ring-ref", "%llu",
	    (unsigned long long)x->store_frame) < 0 ||
	    xs_put(x, t, dom, "console/ring-ref", "%llu",
	    (unsigned long long)x->console_frame) < 0)
		return -1;
	return 0;
}

/* Remove what write_nodes wrote (after a failure, or with the domain). */
void
xen_remove_nodes(struct xs_handle *xsh, uint32_t domid, const char *uuid)
{
	char path[64];

	if (xsh == NULL)
		return;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	xs_rm(xsh, XBT_NULL, path);
	snprintf(path, sizeof(path), "/vm/%s", uuid);
	xs_rm(xsh, XBT_NULL, path);
	xen_dev_remove(xsh, domid);
}

/*
 * A build holds an flock on XEN_RUN_DIR/xen-UUID, UUID its domain's
 * handle, from before the domain exists until xenstored knows it. A
 * finalize killed meanwhile by a signal no handler sees (SIGKILL) leaves
 * its domain paused and unnamed and the file unlocked; the next build
 * destroys the domain with that handle, and the file (reap_stale).
 */
int
xen_claim(struct xen *x, struct pv_err *e)
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

void
xen_unclaim(struct xen *x)
{
	if (x->claim_fd < 0)
		return;
	unlink(x->claim);
	close(x->claim_fd);
	x->claim_fd = -1;
}

void
xen_format_uuid(const uint8_t *u, char *out)
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
			xen_format_uuid(info[i].handle, u);
			if (strcmp(u, uuid) == 0) {
				xc_domain_destroy(x->xch, info[i].domid);
				xen_remove_nodes(x->xsh, info[i].domid, uuid);
				return;
			}
		}
		next = info[n - 1].domid + 1;
	} while (n == 64);
}

/* The claims nobody holds: their builds were killed. */
void
xen_reap_stale(struct xen *x)
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

/*
 * Is `name` taken by another domain xenstore knows? Asked before the
 * build, to refuse early, and again inside the transaction that writes
 * the domain's own name: xenstored fails that transaction (EAGAIN) if
 * another one added a domain since it read /local/domain, so of two
 * builds racing for one name exactly one gets it.
 */
int
xen_check_name(struct xen *x, xs_transaction_t t, struct pv_err *e)
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
