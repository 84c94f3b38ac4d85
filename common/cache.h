/* SPDX-License-Identifier: ISC */
/*
 * cache.h: the cache of decompressed images (README, "The cache"), so that
 * a kernel is decompressed once per build, and not at all when it was
 * built before.
 *
 * An entry is one file named by its key, what determines its bytes: the
 * sha256 of the file as stored, the container and the compression the
 * data was found in ("<sha256>-bzimage-xz"). It holds a header (the key,
 * the length and the sha256 of the data) and the data. Nothing in it is
 * trusted: an entry is used only when its header names the key it was
 * looked up by and its data hashes to the header's digest; anything else
 * is removed and the data made again. Entries are written to a temporary
 * name and renamed, so that a build killed half way leaves nothing that a
 * later build would take, and two builds filling one entry both succeed.
 * The entries together stay under a size cap, the least recently used
 * removed first.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stdint.h>

#include "pv.h"

/* The cap when $PVBUILD_CACHE_SIZE does not set one. */
#define CACHE_DEFAULT_CAP ((uint64_t)1 << 30)

/* The bytes of an entry's header, before its data. */
#define CACHE_HEADER 256

/* The longest key: a sha256, a container and a compression. */
#define CACHE_KEY_MAX 96

/*
 * The longest temporary's name: ".tmp-PID-SERIAL-KEY". The key is in it
 * so that a program waiting for the entry can follow the data while it
 * is written (cache_is_fill, cache_adopt).
 */
#define CACHE_TMP_MAX (48 + CACHE_KEY_MAX)

struct cache;

/*
 * How a lookup-only cache waits for an entry that another program is
 * filling at this moment (finalize --prefetch): called when the entry is
 * not there, it returns as cache_get does once the entry is, or 0 when it
 * gives up.
 */
typedef int cache_await_fn(struct cache *, const char *key, uint64_t cap,
    uint8_t **data, uint64_t *len, char sha256[65]);

struct cache {
	int fd;			/* the directory, or -1: no cache */
	uint64_t cap;		/* bytes all entries may take together */
	int lookup_only;	/* take entries, never write one */
	cache_await_fn *await;	/* lookup_only: NULL, or how to wait */
	void *await_arg;	/* for `await` */
};

/*
 * Find and open the cache directory: $PVBUILD_CACHE if set, else
 * $XDG_CACHE_HOME/pvbuild, else $HOME/.cache/pvbuild, made (mode 0700)
 * when missing; its cap from $PVBUILD_CACHE_SIZE. Returns 0 with c->fd
 * the directory, or c->fd -1 when there is no cache to use: none can be
 * made there (an unwritable home), or the cap is 0. Returns -1, c->fd -1
 * and `e` saying why, when the directory is not safe to use (another
 * user owns it or may write to it) or the cap is not a size: the caller
 * may say so, then goes on without a cache either way.
 */
int cache_open(struct cache *, struct pv_err *);
void cache_close(struct cache *);

/*
 * The entry `key` when it is sound and its data no longer than `cap`:
 * returns 1 with the data in *data (cache_free it), its length and its
 * sha256; 0 when there is none to use (an unsound entry is removed). The
 * data is the entry mapped, copy on write: only renames and removals
 * ever change an entry, never a write in place.
 */
int cache_get(struct cache *, const char *key, uint64_t cap, uint8_t **data,
    uint64_t *len, char sha256[65]);

/* Free data from cache_get, or from malloc: either may be given. */
void cache_free(uint8_t *data);

/* Remove the entry `key` (its data turned out not to be what it says). */
void cache_drop(struct cache *, const char *key);

/*
 * Filling an entry: cache_begin before the data is made, so that the
 * temporary exists while it is (a build killed then leaves only the
 * temporary), and fill->fd is where the data may be written as it is
 * made, from CACHE_HEADER on (-1: there is no entry to fill); cache_end
 * writes the header and the data (`data` NULL: it is written already),
 * renames the entry into place and keeps the cache under its cap;
 * cache_abort when the data could not be made.
 * None fails the caller: a cache that cannot be written is only slower.
 */
struct cache_fill {
	int fd;
	char tmp[CACHE_TMP_MAX];
	char key[CACHE_KEY_MAX];	/* "" until named */
	size_t stem;			/* tmp's length before the key */
};

void cache_begin(struct cache *, const char *key, struct cache_fill *);

/*
 * A fill begun with no key (cache_begin's `key` NULL: the data is being
 * made before its key is known) takes `key` now: its temporary is renamed
 * to the name a fill of `key` has, so that a program waiting for that
 * entry follows it from here on. Returns 0, or -1 when it cannot be (the
 * caller then aborts the fill).
 */
int cache_name(struct cache *, struct cache_fill *, const char *key);

/*
 * Might the cache hold an entry of `len` bytes of data under a key ending
 * in "-`suffix`"? 0 only when it certainly holds none: no entry of that
 * suffix has that size. A build that knows the length its data will have
 * may then make the data before its key is known, with no lookup to wait
 * for.
 */
int cache_may_hold(struct cache *, const char *suffix, uint64_t len);
void cache_end(struct cache *, struct cache_fill *, const uint8_t *data,
    uint64_t len, const char sha256[65]);
void cache_abort(struct cache *, struct cache_fill *);

/*
 * Following a fill from another program, to have hashed its data by the
 * time it is renamed into place. cache_is_fill: is `name` a temporary
 * filling the entry `key`? cache_adopt: the entry `key` has arrived, and
 * the caller hashed `len` bytes of data from `fd`, the temporary it
 * followed, through `map` (`span` bytes of `fd` mapped from offset 0),
 * and they hashed to `sha256`; returns 1, as cache_get does, with *data
 * in that mapping (cache_free unmaps it), when the entry is that very
 * file and its header names `key`, `len` and `sha256`; else 0, and the
 * mapping is still the caller's (who then takes the entry with
 * cache_get, which hashes it again). Only what the caller hashed is
 * trusted, as cache_get trusts only what it hashes.
 */
int cache_is_fill(const char *name, const char *key);
int cache_adopt(struct cache *, const char *key, int fd, uint64_t len,
    const char sha256[65], uint8_t *map, size_t span, uint8_t **data);

#endif
