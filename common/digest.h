/*
 * digest.h: the one digest pvbuild names data by, sha256, as the
 * lowercase hex a plan holds.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stdint.h>

/* sha256 of the `len` bytes at `buf` into `out` as 64 hex digits. */
void digest_sha256(const uint8_t *buf, uint64_t len, char out[65]);

/* Is `s` 64 lowercase hex digits and nothing more? */
int digest_valid(const char *s);

#endif
