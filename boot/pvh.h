/* SPDX-License-Identifier: ISC */
/*
 * pvh.h: a PVH sim domain as bin/boot sees it (README, "PVH domains"):
 * what domain.json says of the first vCPU, named after Xen's struct
 * vcpu_hvm_x86_32 (<xen/hvm/hvm_vcpu.h>), of hvm_start_info and of the
 * memory map. qemu.h's boot_pvh_qemu_path runs it, entered by boot's PVH
 * firmware (pvh_rom.S) as Xen enters a PVH guest (docs/misc/pvh.pandoc):
 * 32-bit protected mode, paging off.
 */
#ifndef BOOT_PVH_H
#define BOOT_PVH_H

#include <stdint.h>

#include <jansson.h>

#include "pv.h"

/* A segment register, in vcpu_hvm_x86_32's terms. */
struct boot_pvh_seg {
	uint64_t base, limit, ar;
};

/* The entries of the memory map boot takes, at most. */
#define BOOT_PVH_MAX_MAP	128
/*
 * A PVH machine lies below 4 GiB, its RAM below 3.5 GiB, all of which
 * QEMU's pc machine keeps below 4 GiB; what lies above its RAM (Xen's
 * ACPI and special pages) in the top BOOT_PVH_MAX_ROM bytes, which boot
 * maps as ROM (qemu.h).
 */
#define BOOT_PVH_MAX_FRAMES	0x100000U
#define BOOT_PVH_MAX_RAM	0xe0000000ULL
#define BOOT_PVH_MAX_ROM	0x20000000ULL
/* The vCPUs boot gives QEMU, at most: each is an argument (qemu.c). */
#define BOOT_PVH_MAX_VCPUS	32

struct boot_pvh {
	uint64_t eip, ebx, eflags, cr0, cr3, cr4, efer;
	struct boot_pvh_seg cs, ds, es, ss, tr;
	uint64_t start_info;		/* start_info.gpa */
	uint64_t vcpus, nr_pages;
	uint64_t ram_end;		/* the end of the map's last RAM */
};

/*
 * Read domain.json's PVH members (root, untrusted) into *p: the vCPU
 * (every register and segment checked to be one boot's firmware can
 * load, 32-bit protected mode with paging off), start_info, the memory
 * map (sorted, RAM only where the machine has frames, as many RAM pages
 * as nr_pages) and vcpus, against the machine's `frames`. Returns 0, or
 * -1 with e set (PV_EXIT_INPUT, naming the member).
 */
int boot_pvh_read(json_t *root, uint64_t frames, struct boot_pvh *p,
    struct pv_err *e);

#endif
