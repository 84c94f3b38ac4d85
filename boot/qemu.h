/* SPDX-License-Identifier: ISC */
/*
 * qemu.h: running a sim domain in QEMU's emulated x86 (TCG), for the
 * paging modes this host's KVM cannot run (xen-1.3's 2-level, x86_32p's
 * PAE) or a host without KVM.
 *
 * boot writes the domain's machine, with its hole added (rom.h), to a
 * memfd, which QEMU takes as its RAM (memory-backend-file, shared, so
 * boot reads the handlers' record after the run), with boot's firmware
 * (rom.S), another memfd, as its BIOS. The console port is QEMU's
 * isa-debugcon, relayed by boot; the verdict port an isa-debug-exit
 * device, which only boot's handlers write.
 */
#ifndef BOOT_QEMU_H
#define BOOT_QEMU_H

#include "run.h"

/* The QEMU program run, found on PATH. */
#define BOOT_QEMU_PROGRAM "qemu-system-x86_64"

/* When set, the file QEMU logs every exception and reset to (-d, -D). */
#define BOOT_QEMU_LOG_ENV "PVBUILD_QEMU_LOG"

/*
 * Run the domain in QEMU: check that it fits the QEMU machine and build
 * boot's hole in its private memory (never the domain's files: the
 * handlers' frames in the reserved ones, entries only in the hypervisor's
 * part of the top-level table, each checked to be empty first), hand QEMU
 * the machine and the firmware as memfds, relay the console, and wait for
 * the end, at most run->timeout seconds or until *run->stop is set (by
 * a signal handler), which kill QEMU. Fails with PV_EXIT_INPUT for a
 * domain it cannot enter (naming the field), PV_EXIT_SYSTEM for what the
 * machine lacks or when QEMU could not run it.
 */
boot_path_fn boot_qemu_path;

/*
 * The first half of boot_qemu_path (qemu_hole.c): check that the domain
 * fits the QEMU machine and build the hole and the firmware's parameter
 * page in its private memory.
 */
int boot_qemu_prepare(struct boot_domain *, struct pv_err *);

#define BOOT_QEMU_4G		0x100000000ULL

/*
 * What QEMU is given of a domain: its machine's first ram_size bytes as
 * RAM (whole MiB), and a ROM of rom_size bytes (a multiple of 64 KiB)
 * ending at 4 GiB: the firmware (fw, fw_size bytes) at its top and, below
 * it, the machine's own bytes at those addresses (a PVH domain's ACPI
 * tables, where Xen puts them, 0xfc000000, in a hole QEMU's pc keeps for
 * devices, where it has no RAM).
 */
struct boot_qemu_machine {
	uint64_t ram_size, rom_size;
	const uint8_t *fw;
	size_t fw_size;
};

/*
 * Run the prepared domain, PV or PVH: the machine and the ROM into
 * memfds, QEMU started on them, its console relayed until the end, which
 * *r says.
 */
int boot_qemu_run(struct boot_domain *, const struct boot_run *,
    struct boot_result *r, const struct boot_qemu_machine *,
    struct pv_err *e);

/*
 * Run a PVH domain in QEMU (pvh_qemu.c): boot's PVH firmware
 * (pvh_rom.S), filled in with the domain's entry state, as the BIOS of
 * a pc machine with the domain's vCPUs and its memory as RAM, console on
 * COM1; the guest's verdict on BOOT_PORT_VERDICT ends the run. Fails as
 * boot_qemu_path does.
 */
boot_path_fn boot_pvh_qemu_path;

#endif
