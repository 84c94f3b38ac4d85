/* SPDX-License-Identifier: ISC */
/*
 * kvm.h: the KVM path of bin/boot: an x86_64 domain in a KVM virtual
 * machine (kvm_api.h), its kernel in ring 3 as under Xen, boot's hole
 * (x86.h) standing in for the hypervisor, and boot's run loop handling
 * each exit: the console, the guest's calls (ports.h), its exceptions
 * (run.h's rule), the verdict.
 */
#ifndef BOOT_KVM_H
#define BOOT_KVM_H

#include "run.h"

/*
 * Run an x86_64 domain (a 32-bit one is refused, saying whether this
 * host's KVM could run its paging mode) until its verdict, an end without
 * one, or run->timeout. A failure that QEMU would not have (KVM missing,
 * or not keeping what boot sets) comes with r->failure BOOT_FAILED_KVM.
 */
boot_path_fn boot_kvm_path;

#endif
