/* SPDX-License-Identifier: ISC */
/*
 * pt.h: the geometry of the initial page tables of the xen-3.0 ABIs, as
 * Xen 4.17's builder lays them out (xg_dom_x86.c: count_pgtables and
 * setup_pgtables_pv): how many tables each level needs to map a range of
 * virtual addresses, where they lie, and what each entry maps.
 *
 * A domain has one or two mappings: the bootstrap region, and for an
 * x86_64 guest asking for it (INIT_P2M) the p2m list mapped apart. The top
 * table belongs to the first; a lower table already made for the first is
 * not made again for the second.
 */
#ifndef PT_H
#define PT_H

#include <stdint.h>

#include "abi.h"
#include "pv.h"

/* Entry flags (Intel SDM, "Paging"). */
#define PTE_PRESENT 0x001
#define PTE_RW 0x002
#define PTE_USER 0x004
#define PTE_ACCESSED 0x020
#define PTE_DIRTY 0x040
#define PTE_PSE 0x080
/*
 * The flags the builders give an L1 entry and an upper-level one (the
 * seed's L1_PROT and L2_PROT, which Xen 4.17 keeps for every level above
 * L1 but a PAE L3).
 */
#define X13_L1_PROT (PTE_PRESENT | PTE_RW | PTE_ACCESSED)
#define X13_L2_PROT (PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY | PTE_USER)

#define PT_MAX_MAPPINGS 2

struct pt_level {
	uint64_t from, to;	/* inclusive va range its tables cover */
	uint64_t pfn;		/* the first of its tables */
	uint64_t count;		/* how many tables */
};

struct pt_mapping {
	uint64_t from, to;	/* inclusive va range mapped (va_bits wide) */
	uint64_t pfn;		/* pfn mapped at `from` */
	uint64_t nr_tables;	/* tables this mapping adds */
	struct pt_level lvl[4];	/* index 0: L1 */
};

struct pt_geometry {
	const struct abi *abi;
	int nr_mappings;
	struct pt_mapping map[PT_MAX_MAPPINGS];
};

/*
 * Count the tables a new mapping of [from, to] (inclusive, untrusted
 * values already range-checked by the caller) needs, placing its tables
 * from `table_pfn` and mapping `from` to `pfn`. Returns 0 or -1.
 */
int pt_add_mapping(struct pt_geometry *, uint64_t from, uint64_t to,
    uint64_t pfn, uint64_t table_pfn, struct pv_err *);

/* The va bits the tables translate, as a mask. */
uint64_t pt_va_mask(const struct abi *);

/* Bytes of va one entry at level l (0: L1) covers, as a shift. */
static inline unsigned
pt_shift(const struct abi *abi, int l)
{
	return PV_PAGE_SHIFT + (unsigned)l * abi->index_bits;
}

#endif
