/* SPDX-License-Identifier: ISC */
/*
 * cache.c: the cache of decompressed images (cache.h): finding the
 * directory, taking an entry only when it proves sound, filling one
 * through a temporary, and keeping all of them under the cap.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bigbuf.h"
#include "cache.h"
#include "digest.h"

/* The header before an entry's data: one line, zero-padded. */
#define HEADER CACHE_HEADER
#define MAGIC "pvbuild-cache 1"

/* A temporary whose writer is gone, or older than this, is removed. */
#define STALE_SECONDS (24 * 3600)

/* Make `path` and the directories above it that are missing, mode 0700. */
static void
make_dirs(const char *path)
{
	char *p = strdup(path), *s;

	if (p == NULL)
		return;
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		(void)mkdir(p, 0700);
		*s = '/';
	}
	(void)mkdir(p, 0700);
	free(p);
}

/* Where the cache is, by the rule cache.h gives; NULL when nowhere. */
static char *
cache_dir(void)
{
	const char *v;
	char *dir = NULL;

	if ((v = getenv("PVBUILD_CACHE")) != NULL && *v != '\0')
		return strdup(v);
	/* XDG: a relative $XDG_CACHE_HOME is invalid and is ignored. */
	if ((v = getenv("XDG_CACHE_HOME")) != NULL && *v == '/') {
		if (asprintf(&dir, "%s/pvbuild", v) < 0)
			return NULL;
		return dir;
	}
	if ((v = getenv("HOME")) != NULL && *v == '/') {
		if (asprintf(&dir, "%s/.cache/pvbuild", v) < 0)
			return NULL;
		return dir;
	}
	return NULL;
}

int
cache_open(struct cache *c, struct pv_err *e)
{
	const char *v = getenv("PVBUILD_CACHE_SIZE");
	struct stat st;
	char *dir;
	int fd;

	c->fd = -1;
	c->cap = CACHE_DEFAULT_CAP;
	c->lookup_only = 0;
	c->await = NULL;
	c->await_arg = NULL;
	if (v != NULL && pv_parse_size(v, &c->cap) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "PVBUILD_CACHE_SIZE: '%s' is "
		    "not a size; building without the cache", v);
	if (c->cap == 0 || (dir = cache_dir()) == NULL)
		return 0;
	make_dirs(dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		/* Nowhere to keep it: slower, not wrong. */
		if (fd >= 0)
			close(fd);
		free(dir);
		return 0;
	}
	/*
	 * Another user who may write here could plant an entry, and one who
	 * owns the directory could give himself that right: neither is
	 * trusted with what goes into a domain.
	 */
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		pv_fail(e, PV_EXIT_INPUT, "cache %s: %s; building without it",
		    dir, st.st_uid != geteuid() ? "owned by another user" :
		    "another user may write to it");
		close(fd);
		free(dir);
		return -1;
	}
	free(dir);
	c->fd = fd;
	return 0;
}

void
cache_close(struct cache *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void
cache_drop(struct cache *c, const char *key)
{
	if (c->fd >= 0 && !c->lookup_only)
		(void)unlinkat(c->fd, key, 0);
}

/* Read `len` bytes at `off` whole; -1 when the file has fewer. */
static int
read_at(int fd, uint8_t *buf, uint64_t len, uint64_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pread(fd, buf, len > (1 << 30) ? (1 << 30) : (size_t)len,
		    (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/*
 * An entry's header: its key, the data's length and sha256. Returns 0
 * when it is well formed and names `key` and `len` bytes of data.
 */
static int
header_ok(const char *h, const char *key, uint64_t len, char sha256[65])
{
	char want[HEADER];
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "%s %s %" PRIu64 " ", MAGIC,
	    key, len);
	if (n >= sizeof(want) - 66 || memcmp(h, want, n) != 0)
		return -1;
	memcpy(sha256, h + n, 64);
	sha256[64] = '\0';
	if (!digest_valid(sha256) || h[n + 64] != '\n')
		return -1;
	/* The rest of the header is zeros: nothing hides in it. */
	for (n += 65; n < HEADER; n++)
		if (h[n] != '\0')
			return -1;
	return 0;
}

/*
 * The entry's data, mapped read-only (nothing writes to an image's data)
 * and at once: its pages are in the page cache, and mapped, not copied.
 */
static uint8_t *
map_entry(int fd, size_t len)
{
	uint8_t *base;

	base = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (base == MAP_FAILED)
		return NULL;
	/* Handed out mapped: cache_free (bigbuf_free) unmaps it. */
	if (bigbuf_keep(base, len, HEADER) < 0) {
		munmap(base, len);
		return NULL;
	}
	return base + HEADER;
}

void
cache_free(uint8_t *data)
{
	bigbuf_free(data);
}

int
cache_get(struct cache *c, const char *key, uint64_t cap, uint8_t **data,
    uint64_t *len, char sha256[65])
{
	char head[HEADER], got[65];
	uint8_t *buf = NULL;
	struct stat st;
	uint64_t n;
	int fd;

	if (c->fd < 0 || (fd = openat(c->fd, key, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)) < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (uint64_t)st.st_size < HEADER)
		goto drop;
	n = (uint64_t)st.st_size - HEADER;
	if (read_at(fd, (uint8_t *)head, HEADER, 0) < 0 ||
	    header_ok(head, key, n, sha256) < 0)
		goto drop;
	/* Sound or not, more than this read may take: decompressing would
	 * refuse it, and says why. */
	if (n > cap || n > SIZE_MAX - HEADER ||
	    (buf = map_entry(fd, (size_t)st.st_size)) == NULL) {
		close(fd);
		return 0;
	}
	digest_sha256(buf, n, got);
	if (strcmp(got, sha256) != 0)
		goto drop;
	/* Used now: the last to go when the cache is over its cap. */
	(void)futimens(fd, NULL);
	close(fd);
	*data = buf;
	*len = n;
	return 1;
drop:
	cache_free(buf);
	close(fd);
	cache_drop(c, key);
	return 0;
}

static int is_key(const char *);

void
cache_begin(struct cache *c, const char *key, struct cache_fill *f)
{
	static unsigned serial;
	struct timespec ts;
	int n;

	f->fd = -1;
	if (c->fd < 0 || c->lookup_only ||
	    (key != NULL && strlen(key) >= sizeof(f->key)))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(f->tmp, sizeof(f->tmp), ".tmp-%ld-%x%lx-", (long)getpid(),
	    serial++, (unsigned long)ts.tv_nsec);
	if (n < 0 || (key != NULL && (size_t)n + strlen(key) >= sizeof(f->tmp)))
		return;
	f->stem = (size_t)n;
	f->key[0] = '\0';
	if (key != NULL) {
		strcpy(f->tmp + n, key);
		strcpy(f->key, key);
	}
	f->fd = openat(c->fd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
}

int
cache_name(struct cache *c, struct cache_fill *f, const char *key)
{
	char named[CACHE_TMP_MAX];

	if (f->fd < 0 || f->key[0] != '\0' || strlen(key) >= sizeof(f->key) ||
	    f->stem + strlen(key) >= sizeof(named))
		return -1;
	memcpy(named, f->tmp, f->stem);
	strcpy(named + f->stem, key);
	if (renameat(c->fd, f->tmp, c->fd, named) < 0)
		return -1;
	strcpy(f->tmp, named);
	strcpy(f->key, key);
	return 0;
}

int
cache_may_hold(struct cache *c, const char *suffix, uint64_t len)
{
	size_t n, k = strlen(suffix);
	struct dirent *d;
	struct stat st;
	int fd, maybe = 0;
	DIR *dir;

	if (c->fd < 0 || (fd = openat(c->fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return 1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return 1;
	}
	while (!maybe && (d = readdir(dir)) != NULL) {
		n = strlen(d->d_name);
		if (!is_key(d->d_name) || n < k + 1 ||
		    d->d_name[n - k - 1] != '-' ||
		    strcmp(d->d_name + n - k, suffix) != 0)
			continue;
		/* An entry that cannot be looked at might be the one. */
		maybe = fstatat(c->fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0 || (uint64_t)st.st_size == HEADER + len;
	}
	closedir(dir);
	return maybe;
}

void
cache_abort(struct cache *c, struct cache_fill *f)
{
	if (f->fd < 0)
		return;
	close(f->fd);
	f->fd = -1;
	(void)unlinkat(c->fd, f->tmp, 0);
}

/* A key as cache_begin's callers make them: a sha256, then [a-z0-9-]. */
static int
is_key(const char *name)
{
	size_t n = strlen(name);

	return n > 65 && n < CACHE_KEY_MAX &&
	    strspn(name, "0123456789abcdef") == 64 && name[64] == '-' &&
	    strspn(name + 65, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
	    n - 65;
}

/* A temporary left by a build that is gone (or very old). */
static int
is_stale(const char *name, const struct stat *st)
{
	long pid;

	if (sscanf(name, ".tmp-%ld-", &pid) != 1)
		return 0;
	if (time(NULL) - st->st_mtime > STALE_SECONDS)
		return 1;
	return pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

struct kept {
	struct timespec used;
	uint64_t size;
	char name[CACHE_KEY_MAX];
};

static int
older(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return 0;
}

/*
 * Keep the entries under the cap, the least recently used (oldest
 * modification time: cache_get touches what it takes) removed first, and
 * sweep the temporaries of builds that are gone. Only names the cache
 * makes are touched: whatever else a person keeps in the directory stays.
 */
static void
evict(struct cache *c)
{
	struct kept *all = NULL, *grown;
	size_t n = 0, room = 0, i;
	uint64_t total = 0;
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd;

	if ((fd = dup(c->fd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(dir);
	while ((d = readdir(dir)) != NULL) {
		if (fstatat(c->fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (is_stale(d->d_name, &st)) {
			(void)unlinkat(c->fd, d->d_name, 0);
			continue;
		}
		if (!is_key(d->d_name))
			continue;
		if (n == room) {
			room = room ? 2 * room : 16;
			if ((grown = realloc(all, room * sizeof(*all))) == NULL)
				break;
			all = grown;
		}
		all[n].used = st.st_mtim;
		all[n].size = (uint64_t)st.st_size;
		strcpy(all[n].name, d->d_name);
		total += all[n].size;
		n++;
	}
	closedir(dir);
	if (n > 0)
		qsort(all, n, sizeof(*all), older);
	for (i = 0; i < n && total > c->cap; i++) {
		(void)unlinkat(c->fd, all[i].name, 0);
		total -= all[i].size;
	}
	free(all);
}

void
cache_end(struct cache *c, struct cache_fill *f, const uint8_t *data,
    uint64_t len, const char sha256[65])
{
	char head[HEADER];
	int n;

	if (f->fd < 0)
		return;
	if (f->key[0] == '\0') {
		cache_abort(c, f);	/* never named: no entry to make */
		return;
	}
	memset(head, 0, sizeof(head));
	n = snprintf(head, sizeof(head), "%s %s %" PRIu64 " %s\n", MAGIC,
	    f->key, len, sha256);
	/*
	 * An entry larger than the whole cache is not kept. Its size is set
	 * first: the data written as it was made (`data` NULL) may end in a
	 * hole, blocks of zeros left out (digest.h).
	 */
	if (n < 0 || n >= HEADER || c->cap < HEADER || len > c->cap - HEADER ||
	    ftruncate(f->fd, (off_t)(HEADER + len)) < 0 ||
	    pv_pwrite_all(f->fd, head, HEADER, 0) < 0 || (data != NULL &&
	    pv_pwrite_all(f->fd, data, (size_t)len, HEADER) < 0)) {
		cache_abort(c, f);
		return;
	}
	if (close(f->fd) < 0 || renameat(c->fd, f->tmp, c->fd, f->key) < 0) {
		f->fd = -1;
		(void)unlinkat(c->fd, f->tmp, 0);
		return;
	}
	f->fd = -1;
	evict(c);
}

int
cache_is_fill(const char *name, const char *key)
{
	size_t n = strlen(name), k = strlen(key);
	long pid;

	return sscanf(name, ".tmp-%ld-", &pid) == 1 && n > k + 1 &&
	    name[n - k - 1] == '-' && strcmp(name + n - k, key) == 0;
}

int
cache_adopt(struct cache *c, const char *key, int fd, uint64_t len,
    const char sha256[65], uint8_t *map, size_t span, uint8_t **data)
{
	char head[HEADER], named[65];
	struct stat st, entry;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), keep;

	if (c->fd < 0 || fstat(fd, &st) < 0 || fstatat(c->fd, key, &entry,
	    AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != entry.st_dev ||
	    st.st_ino != entry.st_ino || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != HEADER + len || span < HEADER ||
	    len > span - HEADER ||
	    read_at(fd, (uint8_t *)head, HEADER, 0) < 0 ||
	    header_ok(head, key, len, named) < 0 ||
	    strcmp(named, sha256) != 0)
		return 0;
	/* The caller's mapping becomes the data, and the room past it is
	 * given back. */
	keep = (size_t)(HEADER + len + page - 1) / page * page;
	if (keep > span || bigbuf_keep(map, keep, HEADER) < 0)
		return 0;
	if (span > keep)
		munmap(map + keep, span - keep);
	(void)futimens(fd, NULL);
	*data = map + HEADER;
	return 1;
}
