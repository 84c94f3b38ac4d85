/* SPDX-License-Identifier: ISC */
/*
 * hv.h: the backends finalize builds a domain through. A backend owns the
 * machine: it hands out frames, writes them, and records what the
 * hypervisor records (machine-to-phys, pins, the vCPU context).
 */
#ifndef HV_H
#define HV_H

#include <endian.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "plan.h"

struct hv;

/*
 * An entry of the p2m list or the m2p table, `w` bytes (4 or 8) little
 * endian, in one store: pv_put_le's byte loop, with the length known only
 * at run time, costs more than the rest of making a large domain's lists.
 */
static inline void
hv_put_entry(uint8_t *p, uint64_t v, unsigned w)
{
	uint32_t v32;

	if (w == 8) {
		v = htole64(v);
		memcpy(p, &v, 8);
	} else {
		v32 = htole32((uint32_t)v);
		memcpy(p, &v32, 4);
	}
}

struct hv_ops {
	/* The machine frame of a pfn of the domain (pfn < nr_pages). */
	uint64_t (*mfn)(struct hv *, uint64_t pfn);
	/*
	 * The machine frames of pfns [pfn, pfn + n) into out[0, n), as mfn
	 * gives them one by one; for the p2m list, millions of them in a
	 * large domain. Optional: NULL, and mfn is asked for each.
	 */
	void (*mfns)(struct hv *, uint64_t pfn, uint64_t n, uint64_t *out);
	/*
	 * Write buf[0, len) at byte `off` of machine frame `mfn`, one of the
	 * domain's or its shared_info; off + len <= 4096.
	 */
	int (*write)(struct hv *, uint64_t mfn, uint64_t off, const void *buf,
	    size_t len, struct pv_err *);
	/*
	 * Write the whole frame `mfn` from page, which stays valid and
	 * unchanged until commit or close: the backend may take the bytes
	 * from there when it likes rather than copy them now. Optional:
	 * NULL, and write is used.
	 */
	int (*write_page)(struct hv *, uint64_t mfn, const uint8_t *page,
	    struct pv_err *);
	/*
	 * Record machine-to-phys for every pfn (MMU_MACHPHYS_UPDATE), once
	 * every frame is settled (after below_4g); a backend may finish it
	 * by commit, which fails if it could not.
	 */
	int (*machphys)(struct hv *, struct pv_err *);
	/*
	 * Make pfn's frame one below 4 GiB (a PAE guest's L3 must be: CR3
	 * holds 32 bits), moving it if need be. Call before writing.
	 */
	int (*below_4g)(struct hv *, uint64_t pfn, struct pv_err *);
	/* Pin the table at pfn as a `level` table. */
	int (*pin)(struct hv *, uint64_t pfn, int level, struct pv_err *);
	/*
	 * Fill the hypercall page at pfn with the stubs through which the
	 * guest calls the hypervisor: Xen writes its own (the xen backend
	 * asks it to), the sim writes what Xen would.
	 */
	int (*hypercall_page)(struct hv *, uint64_t pfn, struct pv_err *);
	/*
	 * Set the vCPU context of the plan and make the domain exist for
	 * good, keeping the whole plan for the record. Nothing of the domain
	 * is visible before this succeeds.
	 */
	int (*commit)(struct hv *, const struct plan *, struct pv_err *);
	/*
	 * After commit: wait until the domain shuts down, then destroy it
	 * (xen --wait). Optional: NULL where there is nothing to wait for.
	 */
	int (*wait)(struct hv *, struct pv_err *);
	/* Undo everything not committed and free the backend. */
	void (*close)(struct hv *);
};

struct hv {
	const struct hv_ops *ops;
	const struct abi *abi;
	uint64_t nr_pages;
	uint64_t shared_info_mfn;
	uint32_t control_evtchn;	/* xen-1.3: the domain controller's */
	uint32_t store_port, console_port;	/* xen-3.0 event channels */
	const char *where;		/* for messages and the report */
	const char *arrangement;	/* the report's arrangement, set
					   before commit (the sim keeps it) */
	uint32_t domid;			/* xen: the domain's id and name */
	const char *name;
	int zeroed;			/* frames come zeroed: no zero fill */
};

/* Options of the sim backend. */
struct hv_sim_options {
	uint64_t scatter;	/* picks how the machine frames are scattered */
	uint64_t reserved;	/* bytes at the bottom kept by the hypervisor */
	int sync;		/* on disk (fsync) before and after the rename */
};

/*
 * The sim backend: the domain becomes the directory `out` (which must not
 * exist), built under a temporary name beside it. `scatter` picks the
 * scattering of machine frames.
 */
int hv_sim_open(const char *out, const struct hv_sim_options *,
    const struct plan *, struct hv **, struct pv_err *);

/*
 * Whether the sim can build a domain named `out`: its temporary beside it
 * has a longer last component than `out` (NAME_MAX), and the files in
 * that a longer path (PATH_MAX). Exit 1 if not, naming --out; hv_sim_open
 * checks it too, and main before it reads the plan.
 */
int hv_sim_check_out(const char *out, struct pv_err *);

/* Options of the xen backend. */
struct hv_xen_options {
	const char *name;	/* the domain's name; NULL: pvbuild-DOMID */
	int paused;		/* leave it paused after the build */
	int wait;		/* then wait for it to shut down */
	/*
	 * Set (by main's signal handler) to stop the build: the backend
	 * looks at it between steps and fails, destroying the domain.
	 */
	const volatile sig_atomic_t *stop;
};

/*
 * The xen backend: a new PV domain on the Xen this program runs under
 * (a dom0 with privcmd and xenstored), through libxenctrl,
 * libxenforeignmemory and libxenstore. An ABI the hypervisor does not
 * offer is refused before anything is created; until commit, any failure
 * (and close) destroys the domain and its xenstore nodes.
 */
int hv_xen_open(const struct hv_xen_options *, const struct plan *,
    struct hv **, struct pv_err *);

/*
 * What a domain is asked to be: its guest type, size, vCPUs, balloon
 * ceiling and name. The plan's layout member says it; finalize's
 * --memory, --maxmem and --vcpus say it before the plan has come.
 */
struct hv_request {
	const struct abi *abi;
	uint64_t nr_pages;
	uint64_t maxmem;		/* bytes; below memory: none */
	uint32_t vcpus;
	const char *name;		/* NULL: the options' or pvbuild-DOMID */
};

/*
 * The xen backend's domain made early, from the command line's request
 * alone (nothing of the plan, which is still on its way): created with
 * its vCPUs, size and event channels, its memory populated and its
 * xenstore nodes written but the rings', which only the plan can place.
 * hv_xen_fits: is that domain the one the plan asks for (guest type,
 * pages, vCPUs, maxmem, name)? Then the build goes on with it; if not,
 * the caller closes it, which destroys it, and opens one for the plan.
 */
int hv_xen_open_early(const struct hv_xen_options *,
    const struct hv_request *, struct hv **, struct pv_err *);
int hv_xen_fits(const struct hv *, const struct hv_xen_options *,
    const struct plan *);

/*
 * The sim's domain of a type planned in guest-physical terms (pvh,
 * simpvh.c): machine.mem as the guest-physical image, domain.json, the
 * plan and the arrangement, in DIR made whole or not at all.
 */
int hv_sim_build_physical(const char *out, const struct hv_sim_options *,
    const struct plan *, const uint8_t *kernel, const uint8_t *initrd,
    const char *arrangement, struct pv_err *);

/* Write len bytes at guest-physical address gpa of the domain. */
typedef int (*hv_put_fn)(void *ctx, uint64_t gpa, const void *buf,
    size_t len, struct pv_err *);

/*
 * The bytes of a domain planned in guest-physical terms (pvh,
 * pvhimage.c), each passed to put at its address: the kernel and the
 * initrd (zero fill skipped: every backend's frames start zeroed),
 * hvm_start_info with its command line, modules and memory map, and the
 * ACPI tables. The plan's populate member must have been held to its
 * derivation (the plan reader does).
 */
int hv_physical_image(const struct plan *, const uint8_t *kernel,
    const uint8_t *initrd, hv_put_fn put, void *ctx, struct pv_err *);

/*
 * The xen backend's domain of a type planned in guest-physical terms
 * (pvh, xen_pvh.c): an HVM container with HAP and only the local APIC
 * emulated, as libxl 4.17 builds `type = "pvh"`: created, filled and
 * wired, or destroyed. `shown` is called once the domain exists and
 * before it is committed, to make what finalize prints (into *out); the
 * text is printed once the domain is committed, then, with opt->wait,
 * the domain is waited for as a PV one is.
 */
int hv_xen_build_physical(const struct hv_xen_options *, const struct plan *,
    const uint8_t *kernel, const uint8_t *initrd,
    int (*shown)(const struct hv *, void *arg, char **out, struct pv_err *),
    void *arg, struct pv_err *);

#endif
