/* SPDX-License-Identifier: ISC */
/*
 * abi.c: the table of abi.h.
 */
#include <string.h>

#include "abi.h"
#include "guest.h"
#include "xenhdr.h"

/*
 * <xen/xen.h> on an x86_64 build host describes the x86_64 ABI; the x86_32
 * facts come from the foreign header made for tools on other hosts, and
 * xen-1.3's from the seed's ABI document (Xen no longer has them).
 */
const struct abi abi_table[NR_ABIS] = {
	[ABI_XEN13] = {
		.id = ABI_XEN13, .name = "xen-1.3", .arch = "x86_32",
		.levels = 2, .pte_size = 4, .word = 4, .index_bits = 10,
		.va_bits = 32, .va_limit = 1ULL << 32,
		.hv_start = X13_HYPERVISOR_VIRT_START, .hv_end = 1ULL << 32,
		.mfn_bits = 20, .cs = X13_FLAT_CS, .ds = X13_FLAT_DS,
		.ss = X13_FLAT_DS, .ops = &guest_xen13,
	},
	[ABI_X86_32P] = {
		.id = ABI_X86_32P, .name = "xen-3.0-x86_32p", .arch = "x86_32",
		.levels = 3, .pte_size = 8, .word = 4, .index_bits = 9,
		.va_bits = 32, .va_limit = 1ULL << 32,
		.hv_start = 0xF5800000ULL, /* __HYPERVISOR_VIRT_START_PAE */
		.hv_end = 1ULL << 32, .mfn_bits = 32,
		.cs = FLAT_KERNEL_CS_X86_32, .ds = FLAT_KERNEL_DS_X86_32,
		.ss = FLAT_KERNEL_SS_X86_32, .ops = &guest_xen3_x86_32p,
	},
	[ABI_X86_64] = {
		.id = ABI_X86_64, .name = "xen-3.0-x86_64", .arch = "x86_64",
		.levels = 4, .pte_size = 8, .word = 8, .index_bits = 9,
		.va_bits = 48, .va_limit = 0,	/* the whole 64-bit space */
		.hv_start = __HYPERVISOR_VIRT_START,
		.hv_end = __HYPERVISOR_VIRT_END, .mfn_bits = 40,
		.cs = FLAT_KERNEL_CS_X86_64, .ds = FLAT_KERNEL_DS_X86_64,
		.ss = FLAT_KERNEL_SS_X86_64, .ops = &guest_xen3_x86_64,
	},
	/*
	 * A PVH guest runs with paging off at its entry, in guest-physical
	 * terms: its "addresses" are physical ones below 4 GiB, and the
	 * hole is the MMIO hole Xen's toolstack leaves below 4 GiB. It has
	 * no PV selectors: its segments are the flat ones of its vCPU state.
	 */
	[ABI_PVH] = {
		.id = ABI_PVH, .name = "pvh", .arch = "x86_32",
		.levels = 0, .pte_size = 0, .word = 4, .index_bits = 0,
		.va_bits = 32, .va_limit = 1ULL << 32,
		.hv_start = PVH_HOLE_START, .hv_end = 1ULL << 32,
		.mfn_bits = 0, .ops = &guest_pvh,
	},
};

const struct abi *
abi_by_name(const char *name)
{
	int i;

	for (i = 0; i < NR_ABIS; i++)
		if (strcmp(abi_table[i].name, name) == 0)
			return &abi_table[i];
	return NULL;
}
