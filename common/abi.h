/* SPDX-License-Identifier: ISC */
/*
 * abi.h: the guest ABIs pvbuild builds, as one table: paging geometry,
 * address limits and the selectors of the initial vCPU context, and each
 * type's operations, what it does differently (common/guest/guest.h).
 *
 * xen-1.3's facts come from docs/xen-1.3.md; the xen-3.0 ones from Xen's
 * public headers (<xen/arch-x86/xen-x86_32.h>, <xen/arch-x86/xen-x86_64.h>,
 * <xen/foreign/x86_32.h>) and Xen 4.17's builder; pvh's from
 * <xen/arch-x86/hvm/start_info.h>, docs/misc/pvh.pandoc and Xen 4.17's
 * toolstack (common/guest/pvh.c).
 */
#ifndef ABI_H
#define ABI_H

#include <stdint.h>

enum abi_id { ABI_XEN13, ABI_X86_32P, ABI_X86_64, ABI_PVH, NR_ABIS };

struct guest_ops;	/* common/guest/guest.h */

struct abi {
	enum abi_id id;
	const char *name;	/* "xen-1.3", "xen-3.0-x86_32p", ... */
	const char *arch;	/* "x86_32" or "x86_64" */
	int levels;		/* paging levels: 2, 3, 4; 0 for pvh (paging off) */
	unsigned pte_size;	/* bytes of a page-table entry */
	unsigned word;		/* bytes of the guest's unsigned long */
	unsigned index_bits;	/* bits of va per level: 10 or 9 */
	unsigned va_bits;	/* bits of va the tables translate */
	uint64_t va_limit;	/* one past the highest guest address */
	uint64_t hv_start;	/* the hypervisor's hole starts here... */
	uint64_t hv_end;	/* ...and ends here (pvh: the MMIO hole
				 * below 4 GiB, in guest-physical terms) */
	unsigned mfn_bits;	/* machine frame numbers fit in this */
	uint64_t cs, ds, ss;	/* FLAT_KERNEL_* selectors */
	/* What the type does differently: its hooks (guest.h). */
	const struct guest_ops *ops;
};

/*
 * xen-1.3 facts (docs/xen-1.3.md): the hypervisor's hole, the flat ring-1
 * selectors, the 2-level directory's span and start_info's size.
 */
#define X13_HYPERVISOR_VIRT_START 0xfc000000ULL
#define X13_MAX_MEMORY X13_HYPERVISOR_VIRT_START
#define X13_L2_SHIFT 22
#define X13_FLAT_CS 0x0819
#define X13_FLAT_DS 0x0821
#define X13_START_INFO_SIZE 292
#define X13_CMDLINE_MAX 256

/*
 * pvh: where the MMIO hole below 4 GiB starts for a PVH domU. Xen 4.17's
 * libxl (libxl__build_hvm, no device model) starts it at the lowest of
 * the special pages (0xfeff8000), the local APIC (0xfee00000) and the
 * ACPI info page (ACPI_INFO_PHYSICAL_ADDRESS, 0xfc000000): the last.
 */
#define PVH_HOLE_START 0xfc000000ULL

extern const struct abi abi_table[NR_ABIS];

/* The ABI of that name, or NULL. */
const struct abi *abi_by_name(const char *name);

#endif
