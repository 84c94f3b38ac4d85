/* SPDX-License-Identifier: ISC */
/*
 * xen_vif.c: the domain's NICs (xenbe.h). The nodes are those of
 * netif.h (xen/include/public/io/netif.h) and of libxl_nic.c. The
 * network backend makes interface vifDOMID.DEVID when it sees the
 * backend directory, and connects the guest only once the toolstack has
 * written hotplug-status "connected"; between the two, the work xl's
 * vif-bridge script does is done here, by ioctl and without a shell:
 * the interface up and on its bridge.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "xenbe.h"

/*
 * Is NIC i's bridge a bridge on this host? Asked before anything is
 * written: a bridge that is not there is bad input, exit 1 naming it.
 */
int
xen_vif_check(const struct plan_nic *n, size_t i, struct pv_err *e)
{
	char path[64 + IFNAMSIZ];
	struct stat st;

	if (n->bridge == NULL || strlen(n->bridge) >= IFNAMSIZ ||
	    strchr(n->bridge, '/') != NULL)
		return pv_fail(e, PV_EXIT_INPUT, "layout.nics[%zu].bridge: "
		    "not an interface name", i);
	if (if_nametoindex(n->bridge) == 0)
		return pv_fail(e, PV_EXIT_INPUT, "nic %zu: bridge '%s' does "
		    "not exist", i, n->bridge);
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", n->bridge);
	if (stat(path, &st) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "nic %zu: '%s' is not a "
		    "bridge", i, n->bridge);
	return 0;
}

/* The nodes of NIC i (its device number is its index, as xl's). */
int
xen_vif_write(struct xen *x, xs_transaction_t t, size_t i,
    const struct plan_nic *n)
{
	const uint8_t *m = n->mac;
	char fe[128], be[128], mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
	    m[2], m[3], m[4], m[5]);
	if (xen_dev_dirs(x, t, "vif", (uint32_t)i, fe, be, sizeof(fe)) < 0)
		return -1;
	return xen_dev_put(x->xsh, t, fe, "handle", "%zu", i) < 0 ||
	    xen_dev_put(x->xsh, t, fe, "mac", "%s", mac) < 0 ||
	    xen_dev_put(x->xsh, t, fe, "trusted", "1") < 0 ||
	    xen_dev_put(x->xsh, t, be, "handle", "%zu", i) < 0 ||
	    xen_dev_put(x->xsh, t, be, "mac", "%s", mac) < 0 ||
	    xen_dev_put(x->xsh, t, be, "bridge", "%s", n->bridge) < 0 ||
	    xen_dev_put(x->xsh, t, be, "type", "vif") < 0 ? -1 : 0;
}

static int
vif_exists(const void *name)
{
	return if_nametoindex(name) != 0;
}

/*
 * NIC i's hotplug work, once the backend has made its interface: the
 * interface up, on the bridge (SIOCBRADDIF), and hotplug-status
 * "connected" for the backend to go on.
 */
int
xen_vif_connect(struct xen *x, size_t i, const struct plan_nic *n,
    struct pv_err *e)
{
	char vif[IFNAMSIZ], be[128];
	struct ifreq ifr;
	int s;

	snprintf(vif, sizeof(vif), "vif%u.%zu", x->domid, i);
	if (xen_dev_wait(x, vif_exists, vif) < 0)
		return xen_stopped(x, e) < 0 ? -1 : pv_fail(e, PV_EXIT_SYSTEM,
		    "xen: nic %zu: the network backend made no %s within %d s "
		    "(is xen-netback loaded?)", i, vif, XEN_DEV_WAIT_MS / 1000);
	if ((s = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: socket: %s",
		    strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", vif);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->bridge);
	if ((ifr.ifr_ifindex = (int)if_nametoindex(vif)) == 0 ||
	    ioctl(s, SIOCBRADDIF, &ifr) < 0)
		goto fail;
	close(s);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/vif/%u/%zu",
	    XEN_BACKEND_DOMID, x->domid, i);
	if (xen_dev_put(x->xsh, XBT_NULL, be, "hotplug-status",
	    "connected") < 0)
		return xen_fail(e, x, "writing the vif's hotplug-status");
	return 0;
fail:
	pv_fail(e, PV_EXIT_SYSTEM, "xen: nic %zu: %s on bridge %s: %s", i,
	    vif, n->bridge, strerror(errno));
	close(s);
	return -1;
}
