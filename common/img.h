/*
 * img.h: reading the files a domain is built from (kernel and initrd
 * images), plain or compressed, and the reference a plan keeps of them.
 */
#ifndef IMG_H
#define IMG_H

#include <stdint.h>

#include "pv.h"

/* The default cap on the bytes a compressed image may expand to. */
#define IMG_DEFAULT_CAP ((uint64_t)1 << 30)

/* How a plan names a file: by path, size and hash, never by content. */
struct img_ref {
	char *path;		/* absolute */
	uint64_t size;		/* bytes of the file as stored */
	char sha256[65];	/* of the file as stored, lowercase hex */
	const char *compression; /* "none" or "gzip" (static strings) */
	uint64_t data_size;	/* bytes after decompression */
};

/*
 * Read the file at `path` (untrusted), decompress it if its magic says so,
 * never producing more than `cap` bytes. Fills `ref` and, when `data` is not
 * NULL, hands back the decompressed bytes (free them). Returns 0, or -1 with
 * `e` naming the file.
 */
int img_load(const char *path, uint64_t cap, struct img_ref *ref,
    uint8_t **data, struct pv_err *e);

/*
 * Load the file a plan refers to and check that it is still the file the
 * plan was made from (size and sha256, then the decompressed size).
 */
int img_load_ref(const struct img_ref *ref, uint8_t **data, struct pv_err *e);

void img_ref_free(struct img_ref *);

#endif
