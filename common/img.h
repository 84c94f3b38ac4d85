/* SPDX-License-Identifier: ISC */
/*
 * img.h: reading the files a domain is built from (kernel and initrd
 * images), plain, compressed whole or, for a kernel, a Linux bzImage, and
 * the reference a plan keeps of them.
 */
#ifndef IMG_H
#define IMG_H

#include <stdint.h>
#include <stdlib.h>

#include "cache.h"
#include "pv.h"

/* The default cap on the bytes a compressed image may expand to. */
#define IMG_DEFAULT_CAP ((uint64_t)1 << 30)

/* The largest file pvbuild reads: far more than any kernel or initrd. */
#define IMG_MAX_FILE ((uint64_t)4 << 30)

/*
 * With whose rights a file is opened: the caller's, for a file the person
 * running the program named, or, for a file that only a plan names, those
 * of a user who owns nothing and is in no group, so that a plan can make
 * a program running as root read only what every user may read (README,
 * "Trust").
 */
enum img_trust { IMG_AS_CALLER, IMG_AS_ANYONE };

/*
 * open(2) of `path` with `flags`, with the caller's rights or, for
 * IMG_AS_ANYONE, with those of a user who owns nothing and is in no group,
 * so that it opens only what every user may open so. Returns the
 * descriptor, or -1 with `e` set naming the file (and the rule, when it
 * is the rights that refused it) and errno open(2)'s.
 */
int img_open_as(const char *path, int flags, enum img_trust trust,
    struct pv_err *e);

/*
 * What a file is for. A kernel may be compressed whole in any format or be
 * a bzImage; a module (the initrd) is gunzipped, as the seed and Xen do,
 * and otherwise handed to the guest as it is: a Linux guest unpacks its
 * own xz or zstd initramfs.
 */
enum img_kind { IMG_KERNEL, IMG_MODULE };

/* How a plan names a file: by path, size and hash, never by content. */
struct img_ref {
	enum img_kind kind;	/* not in the plan: known from where it is */
	char *path;		/* absolute */
	uint64_t size;		/* bytes of the file as stored */
	char sha256[65];	/* of the file as stored, lowercase hex */
	/* "file", or "bzimage" when the data comes from a bzImage's
	 * payload, which lies at payload_offset in the file (both 0 for
	 * "file"). Static strings, like compression. */
	const char *container;
	uint64_t payload_offset, payload_size;
	const char *compression; /* a decomp_name(): "none", "gzip", ... */
	uint64_t data_size;	/* bytes after decompression */
	char data_sha256[65];	/* of those bytes, lowercase hex */
	int cached;		/* not in the plan: the data was the cache's */
};

/*
 * Read the regular file at `path` (untrusted; opened without blocking,
 * at most IMG_MAX_FILE bytes) with the caller's rights: when it starts with a compression's
 * magic, decompress it whole; when it is a bzImage, take its payload and
 * decompress that if its magic says so; otherwise take it as it is. A
 * decompression never produces more than `cap` bytes. With a `cache`
 * (cache.h; NULL: none), what is to be decompressed is taken from it when
 * it holds it, and put there when not; a cache opened lookup_only makes
 * data it does not hold a failure instead. Fills `ref` and, when `data`
 * is not NULL, hands back the resulting bytes (free them). Returns 0, or
 * -1 with `e` naming the file.
 */
int img_load(const char *path, enum img_kind, uint64_t cap, struct cache *,
    struct img_ref *ref, uint8_t **data, struct pv_err *e);

/*
 * The same for the `len` untrusted bytes at `raw` (copied, not kept),
 * named "<memory>" in messages: `ref` gets no path and no sha256 of a
 * file, only the data's (data_sha256).
 */
int img_decode(const uint8_t *raw, uint64_t len, enum img_kind, uint64_t cap,
    struct img_ref *ref, uint8_t **data, struct pv_err *e);

/*
 * Load the file a plan refers to, with `trust`'s rights, and check that it
 * is still the file the plan was made from: a regular file, of the plan's
 * size before a byte is read, its sha256, then read the same way
 * (container, payload range, compression, decompressed size and digest).
 * The cache's entry is taken only when its data has the plan's digest;
 * when it has not, the entry is dropped and the data made again, and the
 * decompression decides. A refusal names the field that disagrees, never
 * what the file holds.
 */
int img_load_ref(const struct img_ref *ref, enum img_trust trust,
    struct cache *, uint8_t **data, struct pv_err *e);

/* Was `got` read from the same bytes, the same way, as `want` says? */
int img_ref_same(const struct img_ref *want, const struct img_ref *got);

/*
 * Free what a reference holds. Inline, not in img.c: the stages that only
 * read plans (populate, pagetables) free references without reading
 * images, and a call into img.c would link the image reader and every
 * library it uses (Nettle, the decompressors) into them, each loaded
 * at every start.
 */
static inline void
img_ref_free(struct img_ref *ref)
{
	free(ref->path);
	ref->path = NULL;
}

/* Free the data img_load, img_load_ref or img_decode handed back: it may
 * be a cache entry's, mapped, rather than allocated. */
void img_free(uint8_t *data);

#endif
