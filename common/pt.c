/* SPDX-License-Identifier: ISC */
/*
 * pt.c: page-table geometry (pt.h).
 */
#include <string.h>

#include "pt.h"

uint64_t
pt_va_mask(const struct abi *abi)
{
	return abi->va_bits >= 64 ? UINT64_MAX :
	    ((uint64_t)1 << abi->va_bits) - 1;
}

int
pt_add_mapping(struct pt_geometry *g, uint64_t from, uint64_t to,
    uint64_t pfn, uint64_t table_pfn, struct pv_err *e)
{
	const struct abi *abi = g->abi;
	uint64_t vmask = pt_va_mask(abi), mask;
	struct pt_mapping *m, *o;
	struct pt_level *lv;
	int l, top = abi->levels - 1, k;
	unsigned bits;

	if (g->nr_mappings == PT_MAX_MAPPINGS)
		return pv_fail(e, PV_EXIT_INPUT, "too many mappings");
	m = &g->map[g->nr_mappings];
	memset(m, 0, sizeof(*m));
	m->from = from & vmask;
	m->to = to & vmask;
	m->pfn = pfn;
	if (m->from > m->to)
		return pv_fail(e, PV_EXIT_INPUT, "mapping [0x%llx, 0x%llx] is "
		    "empty", (unsigned long long)from, (unsigned long long)to);
	for (k = 0; k < g->nr_mappings; k++) {
		o = &g->map[k];
		if (m->from <= o->to && m->to >= o->from)
			return pv_fail(e, PV_EXIT_INPUT, "mapping [0x%llx, "
			    "0x%llx] overlaps another", (unsigned long long)from,
			    (unsigned long long)to);
	}
	for (l = top; l >= 0; l--) {
		lv = &m->lvl[l];
		lv->pfn = table_pfn + m->nr_tables;
		if (l == top) {
			/* The top table belongs to the first mapping. */
			if (g->nr_mappings == 0) {
				lv->from = 0;
				lv->to = vmask;
				lv->count = 1;
				m->nr_tables++;
			}
			continue;
		}
		bits = pt_shift(abi, l + 1);
		mask = bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
		lv->from = m->from & ~mask;
		lv->to = m->to | mask;
		/*
		 * A 32-bit PAE guest gets an L2 for every L3 slot from its
		 * region up to the last, whose L2 Xen fills with its own
		 * mappings ("extra l2 page table for l3#3").
		 */
		if (abi->levels == 3 && g->nr_mappings == 0 && l == 1 &&
		    to < 0xc0000000ULL)
			lv->to = vmask;
		/* Tables another mapping already has are not made again. */
		for (k = 0; k < g->nr_mappings; k++) {
			o = &g->map[k];
			if (o->lvl[l].count == 0)
				continue;
			if (lv->from >= o->lvl[l].from && lv->to <= o->lvl[l].to) {
				lv->from = lv->to = 0;
				break;
			}
			if (lv->from >= o->lvl[l].from && lv->from <= o->lvl[l].to)
				lv->from = o->lvl[l].to + 1;
			if (lv->to >= o->lvl[l].from && lv->to <= o->lvl[l].to)
				lv->to = o->lvl[l].from - 1;
		}
		if (lv->from < lv->to)
			lv->count = ((lv->to - lv->from) >> bits) + 1;
		m->nr_tables += lv->count;
	}
	g->nr_mappings++;
	return 0;
}
