/* SPDX-License-Identifier: ISC */
/*
 * arrangement.c: the VIRTUAL MEMORY ARRANGEMENT (arrangement.h). The
 * seed, Xen 1.3's xc_linux_build.c, printed the bootstrap region's parts
 * as ranges only; the ranges are kept under its headings, so that a reader
 * of the seed recognises them, and each gains its size, which an auditor
 * would otherwise work out by hand. A part the guest takes outside the
 * region (xen-3.0's MOD_START_PFN initrd and INIT_P2M list) is shown where
 * it is instead of as the empty range the region keeps at its place.
 * After the memory part come the request's vCPUs, maxmem, name and
 * devices, when it has more than the seed's domains had.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrangement.h"
#include "guest.h"

static const char *const label[NR_REGIONS] = {
	[REGION_KERNEL] = "Loaded kernel",
	[REGION_INITRD] = "Init. ramdisk",
	[REGION_P2M] = "Phys-Mach map",
	[REGION_PAGETABLES] = "Page tables",
	[REGION_START_INFO] = "Start info",
	[REGION_STACK] = "Boot stack",
	[REGION_XENSTORE] = "Xenstore",
	[REGION_CONSOLE] = "Console",
	[REGION_ACPI] = "ACPI tables",
};

size_t
arrangement_rows(const struct plan_elfinfo *ei, const struct plan_layout *l,
    struct arrangement_row *rows)
{
	const enum plan_region_id *order;
	struct arrangement_row *r;
	size_t i, n;

	order = plan_region_order(ei->abi, &n);
	for (i = 0; i < n; i++) {
		r = &rows[i];
		memset(r, 0, sizeof(*r));
		r->id = order[i];
		r->label = label[r->id];
		r->kind = ARR_MAPPED;
		r->start = l->regions[r->id].start;
		r->end = l->regions[r->id].end;
		r->size = r->end - r->start;
		if (r->id == REGION_INITRD && !l->has_initrd) {
			r->kind = ARR_NONE;
		} else if (r->id == REGION_INITRD && l->has_initrd_pfn) {
			r->kind = ARR_PFN;
			r->pfn = l->initrd_pfn;
			r->size = l->initrd.data_size;
			r->pages = (r->size + PV_PAGE_SIZE - 1) >> PV_PAGE_SHIFT;
		} else if (r->id == REGION_P2M && l->p2m_map.present) {
			/* The layout reader checked that va + pages fits. */
			r->kind = ARR_APART;
			r->start = l->p2m_map.va;
			r->pages = l->p2m_map.pages;
			r->size = r->pages << PV_PAGE_SHIFT;
			r->end = r->start + r->size;
			r->pfn = l->p2m_map.pfn;
			r->pt_pages = l->p2m_map.pt_pages;
		}
	}
	return n;
}

const char *
arrangement_size(uint64_t bytes, char *buf)
{
	static const struct { unsigned shift; const char *unit; } units[] = {
		{ 30, "GiB" }, { 20, "MiB" }, { 10, "KiB" },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (bytes != 0 && bytes % ((uint64_t)1 << units[i].shift) == 0) {
			snprintf(buf, ARRANGEMENT_SIZE_LEN, "%llu %s",
			    (unsigned long long)(bytes >> units[i].shift),
			    units[i].unit);
			return buf;
		}
	snprintf(buf, ARRANGEMENT_SIZE_LEN, "%llu bytes",
	    (unsigned long long)bytes);
	return buf;
}

/* One line: the heading, padded as the seed's were, and what follows. */
static void
line(FILE *fp, const char *heading, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
line(FILE *fp, const char *heading, const char *fmt, ...)
{
	va_list ap;

	fprintf(fp, " %s:%*s", heading, (int)(14 - strlen(heading)), "");
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fputc('\n', fp);
}

/*
 * What the domain is asked for beyond its memory, after the memory part.
 * A request the seed could have made (one vCPU, maxmem at memory, no
 * name, no device) adds nothing, so that the seed's report is kept line
 * for line; otherwise vCPUs and maxmem are both shown, then the name and
 * each disk and NIC. The target is a path from outside: escaped.
 */
static void
request_lines(FILE *fp, const struct plan_layout *l)
{
	char size[ARRANGEMENT_SIZE_LEN], mem[ARRANGEMENT_SIZE_LEN];
	char heading[32], mac[PLAN_MAC_STRLEN], shown[4 * PLAN_TARGET_MAX + 1];
	size_t i;

	if (!arrangement_has_request(l))
		return;
	line(fp, "vCPUs", "%u", (unsigned)l->vcpus);
	line(fp, "Max memory", "%s (balloon up from %s)",
	    arrangement_size(l->maxmem, size), arrangement_size(l->memory, mem));
	if (l->name != NULL)
		line(fp, "Name", "%s", l->name);
	for (i = 0; i < l->nr_disks; i++) {
		snprintf(heading, sizeof(heading), "Disk %s", l->disks[i].vdev);
		pv_escape(shown, sizeof(shown), l->disks[i].target,
		    strlen(l->disks[i].target));
		line(fp, heading, "%s (%s)", shown,
		    l->disks[i].writable ? "rw" : "r");
	}
	for (i = 0; i < l->nr_nics; i++) {
		snprintf(heading, sizeof(heading), "NIC %zu", i);
		plan_mac_string(l->nics[i].mac, mac);
		line(fp, heading, "%s on bridge %s", mac, l->nics[i].bridge);
	}
}

int
arrangement_has_request(const struct plan_layout *l)
{
	return l->vcpus != 1 || l->maxmem != l->memory || l->name != NULL ||
	    l->nr_disks > 0 || l->nr_nics > 0;
}

int
arrangement_request(const struct plan_layout *l, char **text,
    struct pv_err *e)
{
	size_t len;
	FILE *fp;

	*text = NULL;
	if ((fp = open_memstream(text, &len)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "arrangement: %s",
		    strerror(errno));
	request_lines(fp, l);
	if (ferror(fp) | fclose(fp)) {
		free(*text);
		*text = NULL;
		return pv_fail(e, PV_EXIT_SYSTEM, "arrangement: out of memory");
	}
	return 0;
}

/* A memory map entry's heading, by its E820 type. */
static const char *
memmap_label(uint32_t type)
{
	static const char *const names[] = { "Map: type ?", "Map: RAM",
	    "Map: reserved", "Map: ACPI", "Map: ACPI NVS", "Map: unusable",
	    "Map: disabled", "Map: PMEM" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] :
	    names[0];
}

/*
 * A guest-physical type's special pages beside Xenstore and Console,
 * which have rows of their own: libxenguest's other six, each at its
 * address (`w` digits) with its role.
 */
static void
special_line(FILE *fp, const struct plan_layout *l, int w)
{
	char buf[256];
	size_t i, n = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < PLAN_SPECIAL_PAGES; i++) {
		if (l->special[i].role >= PLAN_SPECIAL_PAGES ||
		    l->special[i].role == GUEST_PVH_XENSTORE ||
		    l->special[i].role == GUEST_PVH_CONSOLE)
			continue;
		k = snprintf(buf + n, sizeof(buf) - n, "%s%0*llx %s",
		    n > 0 ? ", " : "", w,
		    (unsigned long long)(l->special[i].pfn << PV_PAGE_SHIFT),
		    guest_pvh_special[l->special[i].role].role);
		if (k < 0 || (size_t)k >= sizeof(buf) - n)
			break;
		n += (size_t)k;
	}
	line(fp, "Special pages", "%s", buf);
}

int
arrangement_text(const struct plan_elfinfo *ei, const struct plan_layout *l,
    char **text, struct pv_err *e)
{
	struct arrangement_row rows[NR_REGIONS], *r;
	char size[ARRANGEMENT_SIZE_LEN];
	int w = ei->abi->word == 8 ? 16 : 8;
	size_t i, n, len;
	FILE *fp;

	/* A memory stream: the text is built, never printed, here. */
	*text = NULL;
	if ((fp = open_memstream(text, &len)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "arrangement: %s",
		    strerror(errno));
	n = arrangement_rows(ei, l, rows);
	fprintf(fp, "%s MEMORY ARRANGEMENT:\n", ei->abi->ops->physical ?
	    "PHYSICAL" : "VIRTUAL");
	for (i = 0; i < n; i++) {
		r = &rows[i];
		arrangement_size(r->size, size);
		switch (r->kind) {
		case ARR_MAPPED:
			line(fp, r->label, "%0*llx->%0*llx  %s", w,
			    (unsigned long long)r->start, w,
			    (unsigned long long)r->end, size);
			break;
		case ARR_NONE:
			line(fp, r->label, "none");
			break;
		case ARR_PFN:
			line(fp, r->label, "unmapped, pfn %llu  %s",
			    (unsigned long long)r->pfn, size);
			break;
		case ARR_APART:
			line(fp, r->label, "%0*llx->%0*llx  %s, mapped apart "
			    "at pfn %llu (+%llu pages of its page tables)", w,
			    (unsigned long long)r->start, w,
			    (unsigned long long)r->end, size,
			    (unsigned long long)r->pfn,
			    (unsigned long long)r->pt_pages);
			break;
		}
	}
	if (ei->abi->ops->physical)
		special_line(fp, l, w);
	/*
	 * A type planned in guest-physical terms has no bootstrap region
	 * to total: its memory map says what the guest is given instead.
	 */
	if (l->nr_memmap == 0)
		line(fp, "TOTAL", "%0*llx->%0*llx  %s", w,
		    (unsigned long long)l->v_start, w,
		    (unsigned long long)l->v_end,
		    arrangement_size(l->v_end - l->v_start, size));
	for (i = 0; i < l->nr_memmap; i++)
		line(fp, memmap_label(l->memmap[i].type), "%0*llx->%0*llx  %s",
		    w, (unsigned long long)l->memmap[i].addr, w,
		    (unsigned long long)(l->memmap[i].addr +
		    l->memmap[i].size),
		    arrangement_size(l->memmap[i].size, size));
	line(fp, "ENTRY ADDRESS", "%0*llx", w, (unsigned long long)ei->entry);
	request_lines(fp, l);
	if (ferror(fp) | fclose(fp)) {
		free(*text);
		*text = NULL;
		return pv_fail(e, PV_EXIT_SYSTEM, "arrangement: out of memory");
	}
	return 0;
}

/* The domain line of either kind: `what` names the register it shows. */
static int
domain_line(char **text, const char *where, const char *abi,
    uint64_t nr_pages, const char *what, uint64_t reg, uint64_t si,
    struct pv_err *e)
{
	/* Room for any --out finalize takes, escaped whole. */
	char shown[4 * PATH_MAX + 1], *joined;

	/*
	 * The domain's name comes from outside (--out, the operand):
	 * escaped, so that this is one line whatever it holds.
	 */
	pv_escape(shown, sizeof(shown), where, strlen(where));
	if (asprintf(&joined, "%sdomain: %s (%s, %llu pages, %s 0x%llx, "
	    "start_info 0x%llx)\n", *text, shown, abi,
	    (unsigned long long)nr_pages, what, (unsigned long long)reg,
	    (unsigned long long)si) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "arrangement: out of memory");
	free(*text);
	*text = joined;
	return 0;
}

int
arrangement_domain(char **text, const char *where, const char *abi,
    uint64_t nr_pages, uint64_t cr3, uint64_t si, struct pv_err *e)
{
	return domain_line(text, where, abi, nr_pages, "cr3", cr3, si, e);
}

int
arrangement_domain_physical(char **text, const char *where, const char *abi,
    uint64_t nr_pages, uint64_t entry, uint64_t si, struct pv_err *e)
{
	return domain_line(text, where, abi, nr_pages, "entry", entry, si, e);
}
