/* SPDX-License-Identifier: ISC */
/*
 * bigbuf.h: memory for a whole file read at once (a kernel image, an
 * initrd), in 2 MiB pages where the kernel gives them.
 */
#ifndef BIGBUF_H
#define BIGBUF_H

#include <stddef.h>

/*
 * Room for `len` bytes (len > 0). A large buffer is mapped on its own,
 * aligned to 2 MiB and offered to the kernel for transparent huge pages:
 * filled by read(2), a buffer of small pages takes a page fault for each
 * 4 KiB, which on a virtual machine costs several times the copy. Under
 * AddressSanitizer, and for small sizes, it is malloc's, so that a read
 * past `len` is seen. Returns NULL when out of memory.
 */
void *bigbuf_alloc(size_t len);

/*
 * Address space for up to `len` bytes, none of it memory until written
 * (MAP_NORESERVE), aligned and offered for huge pages as bigbuf_alloc's:
 * for output whose size is known only when it is all made. NULL under
 * AddressSanitizer, or when the space cannot be had: the caller then
 * grows a buffer of malloc's.
 */
void *bigbuf_reserve(size_t len);

/*
 * Make the `len` bytes at `p` present now, in one call rather than a page
 * fault each (madvise MADV_POPULATE_WRITE, Linux 5.14; nothing where the
 * kernel cannot): for a buffer about to be filled whole, by read(2) say.
 */
void bigbuf_ready(void *p, size_t len);

/*
 * Map the pages of a file's mapping that hold the `len` bytes at `p`
 * (which the file has), in one call rather than a page fault each
 * (MADV_POPULATE_READ; nothing where the kernel cannot).
 */
void bigbuf_present(const void *p, size_t len);

/*
 * Take the mapping of `len` bytes at `base` (a cache entry's) into the
 * table, its data at base + offset, so that bigbuf_free of that data
 * unmaps it. Returns 0, or -1 when too many are kept (then it is still
 * the caller's).
 */
int bigbuf_keep(void *base, size_t len, size_t offset);

/*
 * Free what bigbuf_alloc gave, data bigbuf_keep took, or any memory of
 * malloc's (NULL too).
 */
void bigbuf_free(void *);

#endif
