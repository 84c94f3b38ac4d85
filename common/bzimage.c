/* SPDX-License-Identifier: ISC */
/*
 * bzimage.c: the real-mode header of a Linux x86 bzImage.
 *
 * Offsets are the Linux boot protocol's ("THE REAL-MODE KERNEL HEADER" in
 * Documentation/arch/x86/boot.rst): the header starts at 0x1f1 of the
 * file, setup_sects + 1 sectors of 512 bytes of real-mode code come first
 * (0 meaning 4, as old boot loaders assumed), and from protocol 2.08 on,
 * payload_offset and payload_length say where the compressed kernel lies
 * after them.
 */
#include "bzimage.h"

#define BZ_SECTOR 512
#define BZ_SETUP_SECTS 0x1f1	/* u8 */
#define BZ_HEADER 0x202		/* "HdrS" */
#define BZ_VERSION 0x206	/* u16 */
#define BZ_PAYLOAD_OFFSET 0x248	/* u32, from the end of the setup code */
#define BZ_PAYLOAD_LENGTH 0x24c	/* u32 */
#define BZ_DEFAULT_SETUP_SECTS 4

int
bzimage_payload(const uint8_t *buf, uint64_t len, uint64_t *off,
    uint64_t *plen, unsigned *version, struct pv_err *e)
{
	uint64_t setup, start, size;
	unsigned sects;

	/* The signature alone decides, as boot loaders do; the boot flag
	 * (0xaa55 at 0x1fe) is not required. */
	if (!pv_inside(BZ_HEADER, 4, len) ||
	    pv_get32(buf + BZ_HEADER) != 0x53726448)	/* "HdrS" */
		return 0;
	if (!pv_inside(BZ_VERSION, 2, len))
		return pv_fail(e, PV_EXIT_INPUT, "bzImage header truncated at "
		    "%llu bytes", (unsigned long long)len);
	*version = (unsigned)pv_get16(buf + BZ_VERSION);
	if (*version < BZIMAGE_MIN_VERSION)
		return pv_fail(e, PV_EXIT_INPUT, "bzImage boot protocol "
		    "%u.%02u is older than 2.08, which first gives the "
		    "payload's offset", *version >> 8, *version & 0xff);
	if (!pv_inside(BZ_PAYLOAD_LENGTH, 4, len))
		return pv_fail(e, PV_EXIT_INPUT, "bzImage header truncated at "
		    "%llu bytes, before payload_length at 0x%x",
		    (unsigned long long)len, BZ_PAYLOAD_LENGTH);
	sects = buf[BZ_SETUP_SECTS];
	if (sects == 0)
		sects = BZ_DEFAULT_SETUP_SECTS;
	setup = ((uint64_t)sects + 1) * BZ_SECTOR;
	/* Both fields are 32-bit and setup is small: the sum cannot wrap. */
	start = setup + pv_get32(buf + BZ_PAYLOAD_OFFSET);
	size = pv_get32(buf + BZ_PAYLOAD_LENGTH);
	if (size == 0)
		return pv_fail(e, PV_EXIT_INPUT, "bzImage payload_length is 0");
	if (!pv_inside(start, size, len))
		return pv_fail(e, PV_EXIT_INPUT, "bzImage payload [0x%llx, "
		    "0x%llx) (setup_sects %u, payload_offset 0x%x, "
		    "payload_length 0x%x) lies past the end of the file at "
		    "0x%llx", (unsigned long long)start,
		    (unsigned long long)(start + size), sects,
		    (unsigned)pv_get32(buf + BZ_PAYLOAD_OFFSET), (unsigned)size,
		    (unsigned long long)len);
	*off = start;
	*plen = size;
	return 1;
}
