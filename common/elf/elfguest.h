/* SPDX-License-Identifier: ISC */
/*
 * elfguest.h: reading a guest kernel's ELF image and its declarations; the
 * one header of the reader in common/elf/ that code outside it includes.
 */
#ifndef ELFGUEST_H
#define ELFGUEST_H

#include <stdint.h>

#include "plan.h"

/*
 * Check the ELF image in buf[0, size) (untrusted; writable only because
 * libelf's elf_memory() takes it so: it is not written) as a guest kernel
 * of one of the three ABIs (xen-1.3, xen-3.0 x86_32p or x86_64), find what
 * it declares (Xen ELF notes or the __xen_guest string), and fill
 * everything of `ei` but `image`. Returns 0, or -1 with a message that the
 * caller prefixes with the file name.
 */
int elf_guest_inspect(uint8_t *buf, uint64_t size,
    struct plan_elfinfo *ei, struct pv_err *e);

/*
 * The image read as the type `as` when the type is one a user chooses
 * (pvh: the ABI "pvh", the entry the PHYS32_ENTRY note gives, a 4 or
 * 8-byte note holding a 32-bit address, a kernel without one refused;
 * segments at their physical addresses, below the MMIO hole under 4 GiB
 * and overlapping nothing), or as what it declares when `as` is NULL, as
 * elf_guest_inspect does. Returns 0 or -1, as above.
 */
int elf_guest_inspect_as(const struct abi *as, uint8_t *buf, uint64_t size,
    struct plan_elfinfo *ei, struct pv_err *e);

#endif
