/* SPDX-License-Identifier: ISC */
/*
 * arrangement.h: the VIRTUAL MEMORY ARRANGEMENT of a plan, the seed's
 * report of where the bootstrap region's parts lie, with each part's size,
 * and what the domain holds outside the region. finalize prints it and
 * saves it in a sim domain; show prints it or draws it (stages/show/).
 */
#ifndef ARRANGEMENT_H
#define ARRANGEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

enum arrangement_kind {
	ARR_MAPPED,		/* [start, end) in the bootstrap region */
	ARR_NONE,		/* not in the domain (no initrd) */
	ARR_PFN,		/* unmapped, at pfn (MOD_START_PFN) */
	ARR_APART,		/* mapped at [start, end) outside the region,
				   at pfn, with pt_pages of its own tables
				   after it (INIT_P2M) */
};

/* One part of the domain, as the seed's report names it. */
struct arrangement_row {
	enum plan_region_id id;
	const char *label;	/* the seed's: "Loaded kernel", ... */
	enum arrangement_kind kind;
	uint64_t start, end;	/* virtual addresses: ARR_MAPPED, ARR_APART */
	uint64_t size;		/* bytes: the range's, or the initrd's */
	uint64_t pfn, pages, pt_pages;	/* ARR_PFN, ARR_APART */
};

/*
 * The parts of the domain in the plan's region order (plan_region_order),
 * from the elfinfo and layout members, which the plan's readers checked.
 * rows has room for NR_REGIONS; returns how many were filled.
 */
size_t arrangement_rows(const struct plan_elfinfo *,
    const struct plan_layout *, struct arrangement_row *rows);

/*
 * The report as text, lines ending in '\n', in a buffer the caller frees:
 * the seed's headings with sizes beside the ranges, the unmapped parts by
 * pfn. Returns 0, or -1 with `e` filled (out of memory).
 */
int arrangement_text(const struct plan_elfinfo *, const struct plan_layout *,
    char **text, struct pv_err *);

/*
 * Whether the request goes beyond what the seed's domains had (one vCPU,
 * maxmem at memory, no name, no device), and then the lines of it that
 * arrangement_text adds after the memory part, in a buffer the caller
 * frees (empty when there is nothing beyond). Returns 0, or -1 with `e`
 * filled (out of memory).
 */
int arrangement_has_request(const struct plan_layout *);
int arrangement_request(const struct plan_layout *, char **text,
    struct pv_err *);

/*
 * The line finalize prints under the arrangement, appended to *text (a
 * buffer arrangement_text made, replaced): "domain: WHERE (ABI, N pages,
 * cr3 0x..., start_info 0x...)", WHERE (untrusted: a name from outside)
 * escaped. Returns 0, or -1 with `e` filled and *text left as it was.
 */
int arrangement_domain(char **text, const char *where, const char *abi,
    uint64_t nr_pages, uint64_t cr3, uint64_t si, struct pv_err *);
/* The same for a domain with paging off (pvh): "domain: WHERE (ABI, N
 * pages, entry 0x..., start_info 0x...)", start_info its physical
 * address. */
int arrangement_domain_physical(char **text, const char *where,
    const char *abi, uint64_t nr_pages, uint64_t entry, uint64_t si,
    struct pv_err *);

/*
 * A size in bytes as the report shows it, exact: in the largest of GiB,
 * MiB and KiB that divides it, otherwise in bytes. buf holds at least
 * ARRANGEMENT_SIZE_LEN bytes.
 */
#define ARRANGEMENT_SIZE_LEN 32
const char *arrangement_size(uint64_t bytes, char *buf);

#endif
