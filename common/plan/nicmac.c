/* SPDX-License-Identifier: ISC */
/*
 * nicmac.c: the MAC layout gives a NIC the request gives none (plan.h,
 * plan_mac_make; README, "layout"). A file of its own because it hashes:
 * the readers of plans, which only check MACs, need not load Nettle.
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "plan.h"

void
plan_mac_make(const char *name, const char *kernel_sha256,
    const char *cmdline, size_t index, uint8_t mac[6])
{
	struct digest d;
	char hex[65], num[24];
	int i;

	/* The pieces are NUL-separated so that no two requests run
	 * together into the same bytes. */
	digest_init(&d);
	digest_update(&d, (const uint8_t *)"pvbuild-nic", 12);
	if (name != NULL)
		digest_update(&d, (const uint8_t *)name, strlen(name) + 1);
	else {
		digest_update(&d, (const uint8_t *)"", 1);
		digest_update(&d, (const uint8_t *)kernel_sha256,
		    strlen(kernel_sha256) + 1);
		digest_update(&d, (const uint8_t *)cmdline, strlen(cmdline) + 1);
	}
	snprintf(num, sizeof(num), "%zu", index);
	digest_update(&d, (const uint8_t *)num, strlen(num) + 1);
	digest_end(&d, hex);
	/* Xen's OUI, as xl gives the NICs it makes up, then three bytes. */
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	for (i = 0; i < 3; i++)
		mac[3 + i] = (uint8_t)strtoul((char[3]){ hex[2 * i],
		    hex[2 * i + 1], '\0' }, NULL, 16);
}
