/* SPDX-License-Identifier: ISC */
/*
 * bzimage.h: finding the kernel inside a Linux x86 bzImage (the Linux boot
 * protocol, Documentation/arch/x86/boot.rst, version 2.08 or later).
 */
#ifndef BZIMAGE_H
#define BZIMAGE_H

#include <stdint.h>

#include "pv.h"

/* The oldest boot protocol that says where the payload is (2.08). */
#define BZIMAGE_MIN_VERSION 0x0208

/*
 * Is the `len` untrusted bytes at `buf` a bzImage? Returns 0 when not (no
 * "HdrS" signature at 0x202), 1 when it is, with the payload's
 * offset and length in the file (checked to lie inside it) in `*off` and
 * `*plen` and the boot protocol version in `*version`, or -1 with `e`
 * saying what is wrong when it is one that cannot be read: a protocol
 * older than 2.08, a header or payload past the end of the file.
 */
int bzimage_payload(const uint8_t *buf, uint64_t len, uint64_t *off,
    uint64_t *plen, unsigned *version, struct pv_err *e);

#endif
