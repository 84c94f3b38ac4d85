/* SPDX-License-Identifier: ISC */
/*
 * ahead.h: memory made present on a thread of its own, a little ahead of
 * the program writing it.
 *
 * A page written for the first time costs a page fault. Decompressing a
 * kernel of 66 MB into fresh memory, with liblzma's 32 MiB dictionary
 * beside it, takes about 24,000 of them; in a Xen PV dom0, where every
 * fault is a trip through the hypervisor, they came to a quarter of the
 * decompression's time. Made present in bulk (madvise MADV_POPULATE_WRITE,
 * Linux 5.14) by another processor, the same pages cost the writer
 * nothing. The thread keeps at most AHEAD_WINDOW bytes past what the
 * writer says it has made, so that output that ends early (or a size
 * that lies) leaves little memory filled for nothing.
 */
#ifndef AHEAD_H
#define AHEAD_H

#include <stddef.h>

#define AHEAD_WINDOW ((size_t)8 << 20)

struct ahead;

/*
 * A thread to make regions present; NULL when none can be started or the
 * kernel cannot populate (then nothing is done ahead, which costs only
 * time).
 */
struct ahead *ahead_start(void);

/*
 * Make the `len` bytes at `p` (a private anonymous mapping) present from
 * its start on, as the writer's progress allows. At most four regions.
 */
void ahead_add(struct ahead *, void *p, size_t len);

/* Before `p` (from ahead_add) is unmapped: it is left alone from now on. */
void ahead_forget(struct ahead *, void *p);

/*
 * The writer has made `done` bytes: each region may be made present up
 * to `done` + AHEAD_WINDOW from its start.
 */
void ahead_progress(struct ahead *, size_t done);

/* Stop and join the thread (NULL: nothing). */
void ahead_stop(struct ahead *);

#endif
