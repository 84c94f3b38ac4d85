/* SPDX-License-Identifier: ISC */
/*
 * paging.h: what bin/boot must know of a guest ABI to run it, one row per
 * ABI: the paging mode the domain's tables are for, whether boot runs that
 * mode under KVM, and where a 32-bit mode's hypervisor hole takes boot's
 * L1. These are boot's facts, not the guest type's (common/guest/guest.h):
 * they follow from how boot stands in for Xen, so they live here, and a
 * new ABI that boot runs is a new row of paging.c.
 */
#ifndef BOOT_PAGING_H
#define BOOT_PAGING_H

#include <stdint.h>

#include "abi.h"

struct boot_paging {
	/*
	 * The firmware's paging mode (rom.h: MODE_2LEVEL, MODE_PAE,
	 * MODE_LONG), or 0 for an ABI boot has no way to run.
	 */
	uint32_t mode;
	const char *name;	/* the mode, for messages: "32-bit paging" */
	int kvm;		/* boot runs it under KVM (long mode only, yet) */
	/* A 32-bit mode: the va of the hole's L1 (rom.h, HOLE32_L1_*). */
	uint32_t hole_l1;
};

/* The row of the ABI: never NULL. */
const struct boot_paging *boot_paging(const struct abi *);

#endif
