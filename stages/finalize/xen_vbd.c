/* SPDX-License-Identifier: ISC */
/*
 * xen_vbd.c: the domain's disks (xenbe.h). A block device is given to
 * the block backend as it is; a regular file through a loop device set
 * up here, as xl's block script would, but auto-clearing: the kernel
 * releases it when its last user closes it, which is the backend once
 * it has taken it, so `xl destroy` or a failed build leaves no loop
 * device behind without anyone running losetup -d.
 *
 * The nodes are those of blkif.h (xen/include/public/io/blkif.h) and of
 * libxl_disk.c; the device number is xl's for an xvdX name
 * (docs/misc/vbd-interface.pandoc).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/loop.h>

#include "img.h"
#include "xenbe.h"

#define XVD_MAJOR 202		/* the Xen virtual disk's major number */
#define VBD_EXTENDED (1u << 28)	/* the extended numbering's flag */
#define VBD_DISKS_MAX (1u << 20)	/* disks the extended form holds */

/*
 * The device number of vdev "xvd" + letters (a..z, aa.., as the plan's
 * reader allows): disk N is the letters read in bijective base 26, less
 * one; the first 16 in the xvd major's minors, 16 to a disk, the others
 * in the extended form, 256 to a disk. 0 when it is no such name.
 */
static uint32_t
vbd_number(const char *vdev)
{
	uint32_t disk = 0;
	const char *c;

	if (strncmp(vdev, "xvd", 3) != 0 || vdev[3] == '\0')
		return 0;
	for (c = vdev + 3; *c != '\0'; c++) {
		if (*c < 'a' || *c > 'z' || disk >= VBD_DISKS_MAX)
			return 0;
		disk = disk * 26 + (uint32_t)(*c - 'a' + 1);
	}
	disk--;
	if (disk < 16)
		return XVD_MAJOR << 8 | disk << 4;
	if (disk >= VBD_DISKS_MAX)
		return 0;
	return VBD_EXTENDED | disk << 8;
}

/*
 * A loop device over the open file `fd`: a free one asked of
 * loop-control and configured in one call (LOOP_CONFIGURE), read-only
 * when the disk is; another build may take the same free device between
 * the two calls, then the next one is asked for.
 */
static int
loop_attach(struct xen_disk *d, int fd, const char *target, int writable,
    struct pv_err *e)
{
	struct loop_config cfg;
	int ctl, n, tries, lfd = -1;

	if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: /dev/loop-control: %s "
		    "(is the loop module loaded?)", strerror(errno));
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (uint32_t)fd;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR |
	    (writable ? 0 : LO_FLAGS_READ_ONLY);
	snprintf((char *)cfg.info.lo_file_name, LO_NAME_SIZE, "%s", target);
	for (tries = 0; tries < 8; tries++) {
		if ((n = ioctl(ctl, LOOP_CTL_GET_FREE)) < 0)
			break;
		snprintf(d->loop, sizeof(d->loop), "/dev/loop%d", n);
		if ((lfd = open(d->loop, (writable ? O_RDWR : O_RDONLY) |
		    O_CLOEXEC)) < 0)
			break;
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
			break;
		close(lfd);
		lfd = -1;
		if (errno != EBUSY)
			break;
	}
	if (lfd < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "xen: a loop device for %s: %s",
		    target, strerror(errno));
		close(ctl);
		return -1;
	}
	close(ctl);
	d->loop_fd = lfd;
	return 0;
}

/*
 * Find the block device behind disk i: the target itself when it is
 * one, a loop device over it when it is a regular file. The target is
 * the plan's, untrusted: anything else, or one that cannot be opened as
 * the access asks, is exit 1 naming it.
 */
int
xen_vbd_prepare(struct xen *x, size_t i, const struct plan_disk *pd,
    struct pv_err *e)
{
	struct xen_disk *d = &x->dev->disk[i];
	struct stat st;
	int fd;

	if ((d->devid = vbd_number(pd->vdev)) == 0)
		return pv_fail(e, PV_EXIT_INPUT, "layout.disks[%zu].vdev: "
		    "'%s' is not a xvd name", i, pd->vdev);
	/*
	 * Only the plan names the target, and finalize runs as root: it is
	 * opened with the rights of a user who owns nothing, as a kernel or
	 * initrd only the plan names is, so that a plan cannot hand a guest
	 * a file or device its author could not open (README, "Trust").
	 */
	if ((fd = img_open_as(pd->target, (pd->writable ? O_RDWR : O_RDONLY) |
	    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, IMG_AS_ANYONE, e)) < 0) {
		if (errno == EACCES || errno == EPERM)
			return pv_fail(e, PV_EXIT_INPUT, "disk %s: %s: not %s "
			    "by every user (finalize opens a plan's disk with no "
			    "user's rights)", pd->vdev, pd->target,
			    pd->writable ? "writable" : "readable");
		return pv_wrap(e, "disk %s", pd->vdev);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return pv_fail(e, PV_EXIT_SYSTEM, "disk %s: %s: %s", pd->vdev,
		    pd->target, strerror(errno));
	}
	if (S_ISBLK(st.st_mode)) {
		close(fd);
		snprintf(d->loop, sizeof(d->loop), "%s", "");
		d->major = major(st.st_rdev);
		d->minor = minor(st.st_rdev);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return pv_fail(e, PV_EXIT_INPUT, "disk %s: %s: neither a file "
		    "nor a block device", pd->vdev, pd->target);
	}
	if (loop_attach(d, fd, pd->target, pd->writable, e) < 0) {
		close(fd);
		return -1;
	}
	close(fd);		/* the loop device holds the file now */
	if (fstat(d->loop_fd, &st) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: %s: %s", d->loop,
		    strerror(errno));
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
	return 0;
}

/* The nodes of disk i: blkif.h's, and libxl's for `xl destroy`. */
int
xen_vbd_write(struct xen *x, xs_transaction_t t, size_t i,
    const struct plan_disk *pd)
{
	const struct xen_disk *d = &x->dev->disk[i];
	char fe[128], be[128];

	if (xen_dev_dirs(x, t, "vbd", d->devid, fe, be, sizeof(fe)) < 0)
		return -1;
	return xen_dev_put(x->xsh, t, fe, "virtual-device", "%u",
	    d->devid) < 0 ||
	    xen_dev_put(x->xsh, t, fe, "device-type", "disk") < 0 ||
	    xen_dev_put(x->xsh, t, fe, "trusted", "1") < 0 ||
	    xen_dev_put(x->xsh, t, be, "params", "%s", pd->target) < 0 ||
	    xen_dev_put(x->xsh, t, be, "type", "phy") < 0 ||
	    xen_dev_put(x->xsh, t, be, "dev", "%s", pd->vdev) < 0 ||
	    xen_dev_put(x->xsh, t, be, "mode", pd->writable ? "w" : "r") < 0 ||
	    xen_dev_put(x->xsh, t, be, "device-type", "disk") < 0 ||
	    xen_dev_put(x->xsh, t, be, "removable", "0") < 0 ||
	    xen_dev_put(x->xsh, t, be, "bootable", "1") < 0 ||
	    xen_dev_put(x->xsh, t, be, "discard-enable", "%d",
	    pd->writable ? 1 : 0) < 0 ||
	    (d->loop[0] != '\0' && xen_dev_put(x->xsh, t, be,
	    "physical-device-path", "%s", d->loop) < 0) ||
	    xen_dev_put(x->xsh, t, be, "physical-device", "%x:%x", d->major,
	    d->minor) < 0 ? -1 : 0;
}

struct vbd_seen {
	char path[128];
};

static int
vbd_taken(const void *arg)
{
	return access(((const struct vbd_seen *)arg)->path, F_OK) == 0;
}

/*
 * Wait for the block backend to open disk i's device: it shows the
 * device in sysfs (xen-backend/devices/vbd-DOMID-DEVID/physical_device)
 * once it has. Only then may this build close its own hold on a loop
 * device, or the loop device would clear itself with no user left.
 */
int
xen_vbd_wait(struct xen *x, size_t i, const struct plan_disk *pd,
    struct pv_err *e)
{
	struct xen_disk *d = &x->dev->disk[i];
	struct vbd_seen seen;

	snprintf(seen.path, sizeof(seen.path), "/sys/bus/xen-backend/devices/"
	    "vbd-%u-%u/physical_device", x->domid, d->devid);
	if (xen_dev_wait(x, vbd_taken, &seen) < 0)
		return xen_stopped(x, e) < 0 ? -1 : pv_fail(e, PV_EXIT_SYSTEM,
		    "xen: disk %s: the block backend did not take %s within "
		    "%d s (is xen-blkback loaded?)", pd->vdev, pd->target,
		    XEN_DEV_WAIT_MS / 1000);
	if (d->loop_fd >= 0) {
		close(d->loop_fd);
		d->loop_fd = -1;
	}
	return 0;
}
