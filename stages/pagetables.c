/*
 * pagetables: plan the initial page tables of a xen-1.3 domain, as the
 * seed builds them (seed/README.md, "The restored page-table loop").
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PROG "pagetables"
#define SYNOPSIS "pagetables [PLAN]"
#define ENTRIES 1024		/* per 2-level x86_32 table */

/*
 * The directory is the first page of the pagetables region, the L1 tables
 * follow it, one per 4 MiB of [v_start, v_end). Every page of the region
 * maps its pfn with L1_PROT, the page-table pages without RW; each
 * directory entry points at its L1 with L2_PROT. Nothing else is mapped.
 */
static int
pagetables(const struct plan *plan, json_t **member, struct pv_err *e)
{
	const struct plan_layout *l = plan->layout;
	uint64_t nr_l1 = (l->v_end - l->v_start) >> X13_L2_SHIFT;
	uint64_t pt_lo = plan_region_pfn(l, REGION_PAGETABLES);
	uint64_t pt_hi = pt_lo + l->nr_pt_pages, pfn, end;
	struct plan_pagetables pt;
	struct plan_table *t;
	struct plan_map *m;
	uint64_t k;
	int rc = -1;

	memset(&pt, 0, sizeof(pt));
	pt.levels = 2;
	pt.entry_size = 4;
	pt.top_pfn = pt_lo;
	pt.pin.pfn = pt_lo;
	pt.pin.level = 2;
	pt.nr_tables = nr_l1 + 1;
	if ((pt.tables = calloc(pt.nr_tables, sizeof(*pt.tables))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	t = &pt.tables[0];
	t->pfn = pt_lo;
	t->level = 2;
	t->nr_maps = 1;
	if ((t->maps = calloc(1, sizeof(*t->maps))) == NULL)
		goto out;
	t->maps[0].index = l->v_start >> X13_L2_SHIFT;
	t->maps[0].count = nr_l1;
	t->maps[0].pfn = pt_lo + 1;
	t->maps[0].flags = X13_L2_PROT;
	for (k = 0; k < nr_l1; k++) {
		t = &pt.tables[k + 1];
		t->pfn = pt_lo + 1 + k;
		t->level = 1;
		if ((t->maps = calloc(3, sizeof(*t->maps))) == NULL)
			goto out;
		/* Runs of equal protection within this table's 1024 pfns. */
		for (pfn = k * ENTRIES; pfn < (k + 1) * ENTRIES; pfn = end) {
			int ro = pfn >= pt_lo && pfn < pt_hi;

			end = ro ? pt_hi : pfn < pt_lo ? pt_lo : (k + 1) * ENTRIES;
			if (end > (k + 1) * ENTRIES)
				end = (k + 1) * ENTRIES;
			m = &t->maps[t->nr_maps++];
			m->index = pfn - k * ENTRIES;
			m->count = end - pfn;
			m->pfn = pfn;
			m->flags = ro ? X13_L1_PROT & ~PTE_RW : X13_L1_PROT;
		}
	}
	*member = plan_pagetables_json(&pt);
	rc = 0;
out:
	if (rc < 0)
		pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	for (k = 0; k < pt.nr_tables; k++)
		free(pt.tables[k].maps);
	free(pt.tables);
	return rc;
}

int
main(int argc, char **argv)
{
	return cli_plain_stage(argc, argv, PROG, SYNOPSIS,
	    "Plans the initial page tables of the plan (file PLAN or standard "
	    "input).\n", pagetables);
}
