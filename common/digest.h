/* SPDX-License-Identifier: ISC */
/*
 * digest.h: the one digest pvbuild names data by, sha256, as the
 * lowercase hex a plan holds.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nettle/sha2.h>

/* sha256 of the `len` bytes at `buf` into `out` as 64 hex digits. */
void digest_sha256(const uint8_t *buf, uint64_t len, char out[65]);

/*
 * The same made piece by piece, on the caller's thread: digest_init,
 * digest_update with each piece in order, digest_end for the hex.
 */
struct digest {
	struct sha256_ctx sha;
};

void digest_init(struct digest *);
void digest_update(struct digest *, const uint8_t *p, size_t n);
void digest_end(struct digest *, char out[65]);

/*
 * Is `s` 64 lowercase hex digits and nothing more? Inline: the stages
 * that only read plans check digests without making one, and need not
 * load Nettle for it.
 */
static inline int
digest_valid(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/*
 * Hashing on a thread of its own, so that data is hashed (and written
 * out) while it is still being made: digest_start, digest_feed each piece
 * in order (it is copied), digest_finish for the sha256. With `fd` >= 0
 * every piece is also written to it, from offset `off`, but for whole
 * blocks of zeros, left as holes: the caller sets the file's size once
 * the data is all written (ftruncate). digest_start
 * returns NULL when no thread can be had; the caller then hashes the
 * whole at the end itself.
 */
struct digest_job;

struct digest_job *digest_start(int fd, uint64_t off);
void digest_feed(struct digest_job *, const uint8_t *p, size_t n);
/*
 * Returns 0, or -1 when writing to the descriptor failed; `out` is empty
 * when the digest itself could not be made (the caller makes it again).
 */
int digest_finish(struct digest_job *, char out[65]);

/*
 * The sha256 of the `len` bytes at `buf`, which stay as they are until
 * digest_bg_end, made on a thread of its own: digest_bg_start (NULL when
 * no thread can be had), digest_bg_ready to ask without waiting whether
 * it is made, digest_bg_end to wait for it, take it and free the job.
 */
struct digest_bg;

struct digest_bg *digest_bg_start(const uint8_t *buf, uint64_t len);
int digest_bg_ready(struct digest_bg *);
void digest_bg_end(struct digest_bg *, char out[65]);

#endif
