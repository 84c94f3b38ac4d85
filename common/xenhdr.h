/* SPDX-License-Identifier: ISC */
/*
 * xenhdr.h: Xen's public headers (Debian libxen-dev), the source of every
 * xen-3.0 ABI structure and constant. They expect <stdint.h> first.
 */
#ifndef XENHDR_H
#define XENHDR_H

#include <stdint.h>

#include <xen/xen.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include <xen/foreign/x86_32.h>
#include <xen/foreign/x86_64.h>

#endif
