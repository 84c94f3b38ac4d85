/*
 * hv.h: the backends finalize builds a domain through. A backend owns the
 * machine: it hands out frames, writes them, and records what the
 * hypervisor records (machine-to-phys, pins, the vCPU context).
 */
#ifndef HV_H
#define HV_H

#include <stdint.h>

#include <jansson.h>

#include "plan.h"

struct hv;

struct hv_ops {
	/* The machine frame of a pfn of the domain (pfn < nr_pages). */
	uint64_t (*mfn)(struct hv *, uint64_t pfn);
	/*
	 * Write buf[0, len) at byte `off` of machine frame `mfn`, one of the
	 * domain's or its shared_info; off + len <= 4096.
	 */
	int (*write)(struct hv *, uint64_t mfn, uint64_t off, const void *buf,
	    size_t len, struct pv_err *);
	/* Record machine-to-phys for every pfn (MMU_MACHPHYS_UPDATE). */
	int (*machphys)(struct hv *, struct pv_err *);
	/* Pin the table at pfn as a `level` table. */
	int (*pin)(struct hv *, uint64_t pfn, int level, struct pv_err *);
	/*
	 * Set the vCPU context and make the domain exist for good; `plan`
	 * is the whole plan for the record. Nothing of the domain is visible
	 * before this succeeds.
	 */
	int (*commit)(struct hv *, const struct plan_vcpu *, uint64_t top_pfn,
	    json_t *plan, struct pv_err *);
	/* Undo everything not committed and free the backend. */
	void (*close)(struct hv *);
};

struct hv {
	const struct hv_ops *ops;
	uint64_t nr_pages;
	uint64_t shared_info_mfn;
	uint32_t control_evtchn;	/* start_info.domain_controller_evtchn */
	const char *where;		/* for messages and the report */
};

/*
 * The sim backend: the domain becomes the directory `out` (which must not
 * exist), built under a temporary name beside it. `seed` picks the
 * scattering of machine frames.
 */
int hv_sim_open(const char *out, uint64_t seed, const struct plan *,
    struct hv **, struct pv_err *);

#endif
