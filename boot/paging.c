/* SPDX-License-Identifier: ISC */
/*
 * paging.c: the table of paging.h. KVM on x86 runs a vCPU in long mode
 * for boot; a 32-bit paging mode it may keep or drop depending on the
 * host (kvm.c asks), so boot takes only x86_64 domains there and runs the
 * rest in QEMU, whose hole for them sits at the top-level entry where Xen
 * on x86_32 hooked its own tables (README, "Booting a sim domain").
 */
#include "paging.h"
#include "rom.h"

static const struct boot_paging paging_table[NR_ABIS] = {
	[ABI_XEN13] = {
		.mode = MODE_2LEVEL, .name = "32-bit paging", .kvm = 0,
		.hole_l1 = HOLE32_L1_2LEVEL,
	},
	[ABI_X86_32P] = {
		.mode = MODE_PAE, .name = "32-bit paging", .kvm = 0,
		.hole_l1 = HOLE32_L1_PAE,
	},
	[ABI_X86_64] = {
		.mode = MODE_LONG, .name = "long mode", .kvm = 1,
	},
};

const struct boot_paging *
boot_paging(const struct abi *abi)
{
	return &paging_table[abi->id];
}
