/* SPDX-License-Identifier: ISC */
/*
 * xen_domain.c: the xen backend's domain (xenbe.h): the hypervisor's
 * offer checked, the domain created paused with its vCPUs, size, handle
 * and event channels, and its memory populated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "guest.h"
#include "xenbe.h"

/*
 * Refuse, before anything is created, an ABI this hypervisor does not
 * run: XENVER_capabilities lists the PV ABIs it offers, and the HVM ones
 * (a PVH guest is an HVM one that starts in 32-bit mode).
 */
int
xen_check_abi(struct xen *x, struct pv_err *e)
{
	xen_capabilities_info_t caps;
	const char *want = x->hv.abi->ops->xen_capability != NULL ?
	    x->hv.abi->ops->xen_capability : x->hv.abi->name;
	char *s, *tok, *save;

	memset(caps, 0, sizeof(caps));
	if (xc_version(x->xch, XENVER_capabilities, &caps) < 0)
		return xen_fail(e, x, "asking the hypervisor's capabilities");
	caps[sizeof(caps) - 1] = '\0';
	for (s = caps; (tok = strtok_r(s, " ", &save)) != NULL; s = NULL)
		if (strcmp(tok, want) == 0)
			return 0;
	return pv_fail(e, PV_EXIT_SYSTEM, "xen: this hypervisor does not run "
	    "%s guests (it offers: %s)", x->hv.abi->name, caps);
}

/*
 * Refuse, before anything is created, more vCPUs than the host has
 * physical CPUs (XEN_SYSCTL_physinfo). Xen itself would create a PV
 * domain of up to its compiled MAX_VIRT_CPUS, which no call reports;
 * pvbuild does not overcommit: a vCPU beyond the physical CPUs only
 * shares them, and a number no host can run is a mistake to name. The
 * request is the user's, so the error is input's (exit 1).
 */
int
xen_check_vcpus(struct xen *x, struct pv_err *e)
{
	xc_physinfo_t info;

	memset(&info, 0, sizeof(info));
	if (xc_physinfo(x->xch, &info) != 0)
		return xen_fail(e, x, "asking the hypervisor's physical CPUs");
	if (x->vcpus < 1 || x->vcpus > info.nr_cpus)
		return pv_fail(e, PV_EXIT_INPUT, "--vcpus: %u vCPUs, and this "
		    "host's limit is %u (its physical CPUs)", x->vcpus,
		    info.nr_cpus);
	return 0;
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

/*
 * The domain's memory: 2 MiB extents for every aligned run of 512 pfns
 * while Xen has them, 4 KiB frames for the rest. For a PV domain Xen reads
 * each extent's first pfn (recording machine-to-phys) and writes back the
 * first mfn.
 */
int
xen_populate(struct xen *x, struct pv_err *e)
{
	const uint64_t nr = x->hv.nr_pages;
	const uint64_t nr_super = nr / XEN_SUPERPAGE_PAGES;
	xen_pfn_t ext[XEN_EXTENTS_PER_CALL];
	uint64_t done = 0, pfn, n, k, j;
	long rc;

	while (done < nr_super) {
		if (xen_stopped(x, e) < 0)
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
		if (xen_stopped(x, e) < 0)
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
int
xen_make_uuid(struct xen *x, struct pv_err *e)
{
	uint8_t *u = x->handle;

	if (getrandom(u, sizeof(x->handle), 0) != (ssize_t)sizeof(x->handle))
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: getrandom: %s",
		    strerror(errno));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	xen_format_uuid(u, x->uuid);
	return 0;
}

/*
 * Create the domain, paused, and give it its vCPUs, size and address
 * width as libxl 4.17 does for a PV guest (libxl__build_pre,
 * libxl__arch_domain_create), so that the guest sees the machine xl
 * would give it: the hypervisor's maximum is the memory it starts with
 * plus LIBXL_MAXMEM_CONSTANT (Linux reads it, XENMEM_maximum_reservation,
 * to size its balloon; whoever raises memory/target, as `xl mem-set`
 * does, raises it first), and the memory map the guest is given
 * (XENMEM_memory_map) runs to maxmem plus the PV slack, room the balloon
 * can grow into.
 */
int
xen_create(struct xen *x, struct pv_err *e)
{
	struct xen_domctl_createdomain config;
	struct xen_domctl domctl;
	xc_dominfo_t info;

	memset(&config, 0, sizeof(config));
	memcpy(config.handle, x->handle, sizeof(config.handle));
	config.max_vcpus = x->vcpus;
	config.max_evtchn_port = XEN_EVTCHN_PORTS;
	config.max_grant_frames = -1;		/* the hypervisor's default */
	config.max_maptrack_frames = -1;
	config.grant_opts = XEN_DOMCTL_GRANT_version(1);
	if (xc_domain_create(x->xch, &x->domid, &config) != 0) {
		if (errno == EINVAL && x->vcpus > 1)
			return pv_fail(e, PV_EXIT_INPUT, "--vcpus: the "
			    "hypervisor refused a PV domain of %u vCPUs",
			    x->vcpus);
		return xen_fail(e, x, "creating the domain");
	}
	x->created = 1;
	snprintf(x->where, sizeof(x->where), "xen domid %u", x->domid);
	memset(&domctl, 0, sizeof(domctl));
	domctl.cmd = XEN_DOMCTL_set_address_size;
	domctl.domain = (domid_t)x->domid;
	domctl.u.address_size.size = x->hv.abi->word * 8;
	if (xc_domctl(x->xch, &domctl) != 0)
		return xen_fail(e, x, "setting the guest's address size");
	if (xc_domain_max_vcpus(x->xch, x->domid, x->vcpus) != 0)
		return xen_fail(e, x, "setting the vCPUs");
	if (xc_domain_setmaxmem(x->xch, x->domid,
	    x->memory_kb + XEN_MAXMEM_SLACK_KB) != 0)
		return xen_fail(e, x, "setting the maximum memory");
	if (xc_domain_set_memmap_limit(x->xch, x->domid,
	    (unsigned long)(x->maxmem_kb + XEN_PV_SLACK_KB)) != 0)
		return xen_fail(e, x, "setting the memory map");
	if (xc_domain_getinfo(x->xch, x->domid, 1, &info) != 1 ||
	    info.domid != x->domid)
		return xen_fail(e, x, "reading the new domain's information");
	x->hv.shared_info_mfn = info.shared_info_frame;
	return xen_alloc_ports(x, e);
}

/* The xenstore and console event channels, unbound, for dom0 to bind. */
int
xen_alloc_ports(struct xen *x, struct pv_err *e)
{
	int ev;

	if ((ev = xc_evtchn_alloc_unbound(x->xch, x->domid, 0)) < 0)
		return xen_fail(e, x, "allocating the xenstore event channel");
	x->hv.store_port = (uint32_t)ev;
	if ((ev = xc_evtchn_alloc_unbound(x->xch, x->domid, 0)) < 0)
		return xen_fail(e, x, "allocating the console event channel");
	x->hv.console_port = (uint32_t)ev;
	return 0;
}
