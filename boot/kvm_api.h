/* SPDX-License-Identifier: ISC */
/*
 * kvm_api.h: running a sim domain in a KVM virtual machine through the
 * kernel's /dev/kvm API (Documentation/virt/kvm/api.rst): one VM, one
 * vCPU, the domain's machine memory as the VM's physical memory, entered
 * directly in the domain's paging mode with no firmware and no real-mode
 * trampoline.
 */
#ifndef BOOT_KVM_API_H
#define BOOT_KVM_API_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "x86.h"
#include "pv.h"

struct boot_kvm;

/* Open /dev/kvm, create the VM and its vCPU with the host's CPUID. */
int boot_kvm_open(struct boot_kvm **, struct pv_err *);
void boot_kvm_close(struct boot_kvm *);

/*
 * Give the VM the domain's machine memory as guest-physical memory, from
 * address 0.
 */
int boot_kvm_memory(struct boot_kvm *, const struct boot_domain *,
    struct pv_err *);

/*
 * Load an x86_64 domain's initial vCPU: long mode (CR0 PE|PG|WP, CR4 PAE,
 * EFER LME|LMA, and NXE where the host has it) on the domain's cr3, boot's
 * GDT/IDT/TSS from the hole, the domain's own ring-3 selectors (checked
 * against the GDT: PV_EXIT_INPUT when they name no fitting descriptor),
 * and its ip, sp, si, flags and general registers. The special registers
 * are read back: a KVM that does not keep long mode is refused
 * (PV_EXIT_SYSTEM), saying what it dropped.
 */
int boot_kvm_load_x64(struct boot_kvm *, const struct boot_domain *,
    const struct boot_hole *, struct pv_err *);

/*
 * Whether this KVM keeps 32-bit paging (PAE when `pae`): set CR0.PE|PG on
 * the domain's cr3 and read it back into *kept. Some KVMs accept the
 * registers and silently drop CR0.PG.
 */
int boot_kvm_keeps_paging32(struct boot_kvm *, const struct boot_domain *,
    int pae, int *kept, struct pv_err *);

enum boot_exit_kind {
	BOOT_EXIT_OUT,		/* an out: port, data, len */
	BOOT_EXIT_IN,		/* an in: port, len */
	BOOT_EXIT_HLT,
	BOOT_EXIT_SHUTDOWN,	/* a triple fault */
	BOOT_EXIT_MMIO,		/* an access outside memory: addr */
	BOOT_EXIT_INTR,		/* a signal: boot_kvm_kick, or another */
	BOOT_EXIT_FAIL,		/* KVM could not run the vCPU: detail */
};

struct boot_exit {
	enum boot_exit_kind kind;
	uint16_t port;
	const uint8_t *data;	/* for BOOT_EXIT_OUT, in KVM's run page */
	size_t len;
	uint64_t addr;
	char detail[96];
};

/*
 * Run the vCPU until its next exit, which *x describes. Returns 0, or -1
 * with e set when KVM_RUN itself fails.
 */
int boot_kvm_run(struct boot_kvm *, struct boot_exit *x, struct pv_err *);

/* Make the current or next run return BOOT_EXIT_INTR. Async-signal-safe. */
void boot_kvm_kick(struct boot_kvm *);

/* The vCPU's registers now. */
int boot_kvm_cpu(struct boot_kvm *, struct boot_cpu *, struct pv_err *);

/*
 * Set the general registers, rip and rflags from *c (the rest of *c is
 * not used); with `to_guest`, also put the guest's own segments back (to
 * resume it in ring 3 from one of boot's ring-0 stubs).
 */
int boot_kvm_set_cpu(struct boot_kvm *, const struct boot_cpu *c,
    int to_guest, struct pv_err *);

#endif
