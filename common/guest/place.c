/* SPDX-License-Identifier: ISC */
/*
 * place.c: what the guest types' layout solvers share (guest.h).
 */
#include "guest.h"

int
guest_place(struct plan_layout *l, enum plan_region_id id, uint64_t *va,
    uint64_t size, struct pv_err *e)
{
	l->regions[id].start = *va;
	if (pv_add(*va, size, &l->regions[id].end) < 0 ||
	    pv_roundup(l->regions[id].end, PV_PAGE_SIZE, va) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "the bootstrap region overflows "
		    "the address space");
	return 0;
}

int
guest_hole(const struct plan_layout *l, uint64_t at, struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_INPUT, "the bootstrap region [0x%llx, 0x%llx) "
	    "reaches the hypervisor hole at 0x%llx",
	    (unsigned long long)l->v_start, (unsigned long long)l->v_end,
	    (unsigned long long)at);
}

int
guest_too_small(const struct plan_layout *l, uint64_t need, struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_INPUT, "--memory: initial guest OS requires "
	    "too much space (%llu pages are more than the domain's %llu)",
	    (unsigned long long)(need >> PV_PAGE_SHIFT),
	    (unsigned long long)l->nr_pages);
}
