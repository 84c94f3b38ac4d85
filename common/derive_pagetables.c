/* SPDX-License-Identifier: ISC */
/*
 * derive_pagetables.c: what the pagetables stage plans from the layout:
 * the initial page tables, by the guest type's own hook (guest.h); the
 * xen-3.0 types' builder, as Xen 4.17's, is here, xen-1.3's in
 * guest/xen13.c. finalize derives them again to hold a plan's pagetables
 * member to them.
 */
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "guest.h"
#include "pt.h"

/* The tables of a xen-3.0 domain, as they are built up. */
struct builder {
	const struct abi *abi;
	struct plan_pagetables pt;
	uint64_t base[PT_MAX_MAPPINGS], count[PT_MAX_MAPPINGS];
	size_t *cap;			/* maps allocated, per table */
};

static struct plan_table *
table_at(struct builder *b, uint64_t pfn)
{
	size_t k, at = 0;

	for (k = 0; k < PT_MAX_MAPPINGS; at += b->count[k], k++)
		if (pfn >= b->base[k] && pfn - b->base[k] < b->count[k])
			return &b->pt.tables[at + (pfn - b->base[k])];
	return NULL;
}

/* Entry `index` of table `pfn` maps `target` with `flags`: extend the
 * table's last run or start a new one. */
static int
add_entry(struct builder *b, uint64_t pfn, uint64_t index, uint64_t target,
    uint64_t flags, struct pv_err *e)
{
	struct plan_table *t = table_at(b, pfn);
	struct plan_map *m, *nm;
	size_t ti;

	if (t == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "no table at pfn %llu",
		    (unsigned long long)pfn);
	ti = (size_t)(t - b->pt.tables);
	m = t->nr_maps > 0 ? &t->maps[t->nr_maps - 1] : NULL;
	if (m != NULL && m->index + m->count == index &&
	    m->pfn + m->count == target && m->flags == flags) {
		m->count++;
		return 0;
	}
	if (t->nr_maps == b->cap[ti]) {
		b->cap[ti] = b->cap[ti] ? 2 * b->cap[ti] : 4;
		nm = realloc(t->maps, b->cap[ti] * sizeof(*nm));
		if (nm == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		t->maps = nm;
	}
	m = &t->maps[t->nr_maps++];
	m->index = index;
	m->count = 1;
	m->pfn = target;
	m->flags = flags;
	return 0;
}

/*
 * Xen 4.17's setup_pgtables_pv: for each level from the top, each
 * mapping's tables at that level get an entry for every part of the level
 * below (or, at L1, of the mapped area) that falls in their range. L1
 * entries of page-table pages are read-only. Upper levels carry
 * Present|RW|Accessed|Dirty|User, except a PAE L3, whose entries a real
 * CPU allows only Present in (Intel SDM, PDPTE format).
 */
static int
fill(struct builder *b, const struct pt_geometry *g, struct pv_err *e)
{
	const struct abi *abi = b->abi;
	uint64_t entries = 1ULL << abi->index_bits, from, to, cf, ct, cpfn;
	uint64_t p, ps, pe, target, flags, lo, k;
	const struct pt_mapping *m1, *m2;
	unsigned shift;
	int l, i, j, ro;

	for (l = abi->levels - 1; l >= 0; l--)
		for (i = 0; i < g->nr_mappings; i++) {
			m1 = &g->map[i];
			if (m1->lvl[l].count == 0)
				continue;
			from = m1->lvl[l].from;
			to = m1->lvl[l].to;
			shift = pt_shift(abi, l);
			for (j = 0; j < g->nr_mappings; j++) {
				m2 = &g->map[j];
				if (l > 0) {
					if (m2->lvl[l - 1].count == 0)
						continue;
					cf = m2->lvl[l - 1].from;
					ct = m2->lvl[l - 1].to;
					cpfn = m2->lvl[l - 1].pfn;
				} else {
					cf = m2->from;
					ct = m2->to;
					cpfn = m2->pfn;
				}
				if (cf >= to || ct <= from)
					continue;
				ps = ((cf > from ? cf : from) - from) >> shift;
				pe = ((ct < to ? ct : to) - from) >> shift;
				target = (((cf > from ? cf : from) - cf) >> shift) +
				    cpfn;
				for (p = ps; p <= pe; p++, target++) {
					if (l > 0) {
						flags = abi->levels == 3 &&
						    l == 2 ? PTE_PRESENT :
						    X13_L2_PROT;
					} else {
						ro = 0;
						for (k = 0; k < (uint64_t)
						    g->nr_mappings; k++) {
							lo = g->map[k].lvl[
							    abi->levels - 1].pfn;
							if (target >= lo && target -
							    lo < g->map[k].nr_tables)
								ro = 1;
						}
						flags = ro ? X13_L1_PROT & ~PTE_RW :
						    X13_L1_PROT;
					}
					if (add_entry(b, m1->lvl[l].pfn +
					    p / entries, p % entries, target,
					    flags, e) < 0)
						return -1;
				}
			}
		}
	return 0;
}

static int
cmp_map(const void *a, const void *b)
{
	const struct plan_map *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

int
guest_xen3_pagetables(const struct plan *plan, json_t **member,
    struct pv_err *e)
{
	const struct plan_layout *l = plan->layout;
	const struct abi *abi = plan->elfinfo->abi;
	struct pt_geometry g = { .abi = abi };
	struct builder b = { .abi = abi };
	uint64_t pt_lo = plan_region_pfn(l, REGION_PAGETABLES), k, n, pfn;
	int i, lv, rc = -1;
	size_t at = 0;

	if (pt_add_mapping(&g, l->v_start, l->v_end - 1, 0, pt_lo, e) < 0 ||
	    (l->p2m_map.present && pt_add_mapping(&g, l->p2m_map.va,
	    l->p2m_map.va + (l->p2m_map.pages << PV_PAGE_SHIFT) - 1,
	    l->p2m_map.pfn, l->p2m_map.pfn + l->p2m_map.pages, e) < 0))
		return -1;
	if (g.map[0].nr_tables != l->nr_pt_pages || (l->p2m_map.present &&
	    g.map[1].nr_tables != l->p2m_map.pt_pages))
		return pv_fail(e, PV_EXIT_INPUT, "layout: the page-table counts "
		    "disagree with the mappings");
	b.pt.levels = abi->levels;
	b.pt.entry_size = (int)abi->pte_size;
	b.pt.top_pfn = b.pt.pin.pfn = pt_lo;
	b.pt.pin.level = abi->levels;
	for (i = 0; i < g.nr_mappings; i++) {
		b.base[i] = g.map[i].lvl[abi->levels - 1].pfn;
		b.count[i] = g.map[i].nr_tables;
		b.pt.nr_tables += g.map[i].nr_tables;
	}
	b.pt.tables = calloc(b.pt.nr_tables, sizeof(*b.pt.tables));
	b.cap = calloc(b.pt.nr_tables, sizeof(*b.cap));
	if (b.pt.tables == NULL || b.cap == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		goto out;
	}
	/* Tables in pfn order: per mapping, from the top level down. */
	for (i = 0; i < g.nr_mappings; i++)
		for (lv = abi->levels - 1; lv >= 0; lv--) {
			n = g.map[i].lvl[lv].count;
			for (k = 0, pfn = g.map[i].lvl[lv].pfn; k < n; k++) {
				b.pt.tables[at].pfn = pfn + k;
				b.pt.tables[at].level = lv + 1;
				at++;
			}
		}
	if (fill(&b, &g, e) < 0)
		goto out;
	/* A top table may get its entries from two mappings out of order. */
	for (at = 0; at < b.pt.nr_tables; at++)
		if (b.pt.tables[at].nr_maps > 1)
			qsort(b.pt.tables[at].maps,
			    b.pt.tables[at].nr_maps, sizeof(struct plan_map),
			    cmp_map);
	*member = plan_pagetables_json(&b.pt);
	rc = 0;
out:
	for (at = 0; at < b.pt.nr_tables; at++)
		free(b.pt.tables[at].maps);
	free(b.pt.tables);
	free(b.cap);
	return rc;
}

int
derive_pagetables(const struct plan *plan, json_t **member, struct pv_err *e)
{
	return plan->elfinfo->abi->ops->pagetables(plan, member, e);
}
