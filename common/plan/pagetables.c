/* SPDX-License-Identifier: ISC */
/*
 * pagetables.c: the pagetables member (README, "pagetables"): its reader,
 * which checks that the tables form one tree in the pagetables region that
 * maps no table writable, and its writer.
 */
#include <stdlib.h>

#include "members.h"
#include "pt.h"

/* Is pfn one of the page-table pages the layout set aside? */
static int
is_table_pfn(const struct plan_layout *l, uint64_t pfn)
{
	uint64_t lo = plan_region_pfn(l, REGION_PAGETABLES);

	if (pfn >= lo && pfn - lo < l->nr_pt_pages)
		return 1;
	lo = l->p2m_map.pfn + l->p2m_map.pages;
	return l->p2m_map.present && pfn >= lo && pfn - lo < l->p2m_map.pt_pages;
}

int
plan_pagetables_read(json_t *obj, const struct abi *abi,
    const struct plan_layout *l, struct plan_pagetables *pt,
    struct pv_err *e)
{
	static const char *const keys[] = { "levels", "entry_size", "top_pfn",
	    "tables", "pin", NULL };
	static const char *const tkeys[] = { "pfn", "level", "maps", NULL };
	static const char *const mkeys[] = { "index", "count", "pfn", "flags",
	    NULL };
	static const char *const pkeys[] = { "pfn", "level", NULL };
	uint64_t v, next, entries = 1ULL << abi->index_bits, top_entries;
	uint64_t *level_of = NULL, nr_table_pfns, pt_lo, k;
	json_t *arr, *t, *maps, *m, *o;
	char path[80];
	size_t i, j;

	/* A guest entered with paging off (pvh) has none: an empty member. */
	if (abi->levels == 0) {
		if (pj_is_object(obj, "pagetables", e) < 0)
			return -1;
		if (json_object_size(obj) != 0)
			return pv_fail(e, PV_EXIT_INPUT, "pagetables: a %s guest "
			    "starts with paging off: the member is empty",
			    abi->name);
		return 0;
	}
	if (pj_is_object(obj, "pagetables", e) < 0 ||
	    pj_only_keys(obj, "pagetables", keys, e) < 0 ||
	    pj_get_uint(obj, "pagetables", "levels", &v, e) < 0)
		return -1;
	if (v != (uint64_t)abi->levels)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.levels: %llu, but "
		    "%s uses %d", (unsigned long long)v, abi->name, abi->levels);
	pt->levels = abi->levels;
	if (pj_get_uint(obj, "pagetables", "entry_size", &v, e) < 0)
		return -1;
	if (v != abi->pte_size)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.entry_size: %llu, "
		    "but %s uses %u", (unsigned long long)v, abi->name,
		    abi->pte_size);
	pt->entry_size = (int)abi->pte_size;
	/* A PAE top table has four entries (Intel SDM, PDPTEs). */
	top_entries = abi->levels == 3 ? 4 : entries;
	pt_lo = plan_region_pfn(l, REGION_PAGETABLES);
	if (pj_get_uint(obj, "pagetables", "top_pfn", &pt->top_pfn, e) < 0 ||
	    pj_get_array(obj, "pagetables", "tables", 1, MAX_TABLES, &arr, e) < 0)
		return -1;
	if (pt->top_pfn != pt_lo)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.top_pfn: not the "
		    "first page of the pagetables region");
	/* The level of each table pfn, to check what points at what. */
	nr_table_pfns = l->nr_pt_pages;
	if (l->p2m_map.present)
		nr_table_pfns += l->p2m_map.pt_pages;
	pt->nr_tables = json_array_size(arr);
	pt->tables = calloc(pt->nr_tables, sizeof(*pt->tables));
	level_of = calloc(nr_table_pfns + 1, sizeof(*level_of));
	if (pt->tables == NULL || level_of == NULL) {
		free(level_of);
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	/* Where a table pfn's level is kept in level_of[]. */
#define SLOT(x) ((x) - pt_lo < l->nr_pt_pages ? (x) - pt_lo : \
    l->nr_pt_pages + (x) - (l->p2m_map.pfn + l->p2m_map.pages))
	json_array_foreach(arr, i, t) {
		struct plan_table *tb = &pt->tables[i];

		snprintf(path, sizeof(path), "pagetables.tables[%zu]", i);
		if (pj_is_object(t, path, e) < 0 || pj_only_keys(t, path, tkeys, e) < 0 ||
		    pj_get_uint(t, path, "pfn", &tb->pfn, e) < 0 ||
		    pj_get_uint(t, path, "level", &v, e) < 0)
			goto fail;
		if (!is_table_pfn(l, tb->pfn) || level_of[SLOT(tb->pfn)] != 0) {
			pv_fail(e, PV_EXIT_INPUT, "%s.pfn: %llu is not a fresh "
			    "page of the pagetables region", path,
			    (unsigned long long)tb->pfn);
			goto fail;
		}
		if (v < 1 || v > (uint64_t)abi->levels ||
		    (tb->pfn == pt->top_pfn) != (v == (uint64_t)abi->levels)) {
			pv_fail(e, PV_EXIT_INPUT, "%s.level: %llu, but only the "
			    "top table is level %d and the rest below it", path,
			    (unsigned long long)v, abi->levels);
			goto fail;
		}
		tb->level = (int)v;
		level_of[SLOT(tb->pfn)] = v;
	}
	json_array_foreach(arr, i, t) {
		struct plan_table *tb = &pt->tables[i];
		uint64_t limit = tb->level == abi->levels ? top_entries : entries;

		snprintf(path, sizeof(path), "pagetables.tables[%zu]", i);
		if (pj_get_array(t, path, "maps", 0, MAX_MAPS, &maps, e) < 0)
			goto fail;
		tb->nr_maps = json_array_size(maps);
		if ((tb->maps = calloc(tb->nr_maps + 1, sizeof(*tb->maps))) ==
		    NULL) {
			pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
			goto fail;
		}
		next = 0;
		json_array_foreach(maps, j, m) {
			struct plan_map *mp = &tb->maps[j];
			char mpath[96];

			snprintf(mpath, sizeof(mpath), "pagetables.tables[%zu]."
			    "maps[%zu]", i, j);
			if (pj_is_object(m, mpath, e) < 0 ||
			    pj_only_keys(m, mpath, mkeys, e) < 0 ||
			    pj_get_uint(m, mpath, "index", &mp->index, e) < 0 ||
			    pj_get_uint(m, mpath, "count", &mp->count, e) < 0 ||
			    pj_get_uint(m, mpath, "pfn", &mp->pfn, e) < 0 ||
			    pj_get_hex(m, mpath, "flags", &mp->flags, e) < 0)
				goto fail;
			if (mp->index < next || mp->count == 0 ||
			    !pv_inside(mp->index, mp->count, limit)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.index: entries "
				    "out of order, overlapping or past %llu",
				    mpath, (unsigned long long)limit);
				goto fail;
			}
			next = mp->index + mp->count;
			if (!pv_inside(mp->pfn, mp->count, l->nr_pages)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.pfn: maps pages "
				    "past the domain's %llu", mpath,
				    (unsigned long long)l->nr_pages);
				goto fail;
			}
			if (mp->flags > 0xfff || !(mp->flags & PTE_PRESENT) ||
			    (mp->flags & PTE_PSE)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.flags: not the "
				    "flags of a present entry to a 4 KiB page "
				    "or table", mpath);
				goto fail;
			}
			/* The guest must not be able to write its tables. */
			for (k = 0; tb->level == 1 && (mp->flags & PTE_RW) &&
			    k < mp->count; k++)
				if (is_table_pfn(l, mp->pfn + k)) {
					pv_fail(e, PV_EXIT_INPUT, "%s.flags: maps "
					    "page-table pfn %llu writable", mpath,
					    (unsigned long long)(mp->pfn + k));
					goto fail;
				}
			for (k = 0; tb->level > 1 && k < mp->count; k++)
				if (!is_table_pfn(l, mp->pfn + k) ||
				    level_of[SLOT(mp->pfn + k)] !=
				    (uint64_t)tb->level - 1) {
					pv_fail(e, PV_EXIT_INPUT, "%s.pfn: a "
					    "level %d entry points at pfn %llu, "
					    "which is no level %d table", mpath,
					    tb->level, (unsigned long long)
					    (mp->pfn + k), tb->level - 1);
					goto fail;
				}
		}
	}
#undef SLOT
	if (pj_get(obj, "pagetables", "pin", JSON_OBJECT, &o, e) < 0 ||
	    pj_only_keys(o, "pagetables.pin", pkeys, e) < 0 ||
	    pj_get_uint(o, "pagetables.pin", "pfn", &pt->pin.pfn, e) < 0 ||
	    pj_get_uint(o, "pagetables.pin", "level", &v, e) < 0)
		goto fail;
	if (pt->pin.pfn != pt->top_pfn || v != (uint64_t)abi->levels) {
		pv_fail(e, PV_EXIT_INPUT, "pagetables.pin: %s pins the top "
		    "table at level %d", abi->name, abi->levels);
		goto fail;
	}
	pt->pin.level = abi->levels;
	free(level_of);
	return 0;
fail:
	free(level_of);
	return -1;
}

json_t *
plan_pagetables_json(const struct plan_pagetables *pt)
{
	json_t *tables, *maps;
	size_t i, j;

	/* No paging levels (pvh): the member is empty. */
	if (pt->levels == 0)
		return json_object();
	tables = json_array();
	for (i = 0; i < pt->nr_tables; i++) {
		const struct plan_table *t = &pt->tables[i];

		maps = json_array();
		for (j = 0; j < t->nr_maps; j++)
			json_array_append_new(maps, json_pack("{s:I, s:I, s:I, "
			    "s:o}", "index", (json_int_t)t->maps[j].index,
			    "count", (json_int_t)t->maps[j].count,
			    "pfn", (json_int_t)t->maps[j].pfn,
			    "flags", plan_hex_json(t->maps[j].flags)));
		json_array_append_new(tables, json_pack("{s:I, s:i, s:o}",
		    "pfn", (json_int_t)t->pfn, "level", t->level,
		    "maps", maps));
	}
	return json_pack("{s:i, s:i, s:I, s:o, s:{s:I, s:i}}",
	    "levels", pt->levels, "entry_size", pt->entry_size,
	    "top_pfn", (json_int_t)pt->top_pfn, "tables", tables,
	    "pin", "pfn", (json_int_t)pt->pin.pfn, "level", pt->pin.level);
}

