/* SPDX-License-Identifier: ISC */
/*
 * prefetch.c: finalize --prefetch IMAGE (finalize.h), the kernel read on a
 * thread of its own while the plan comes down the pipe.
 *
 * With the cache, the kernel is taken only from there: in a cold build
 * elfinfo is decompressing it at this moment and puts it there before it
 * writes its plan, so the thread watches the cache directory, reads and
 * hashes the entry's data while elfinfo writes it, and takes the entry
 * the moment it is renamed into place, while the plan still goes through
 * layout, populate and pagetables.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "digest.h"

#include "finalize.h"

/*
 * Following elfinfo's fill of the entry. Each piece is read once it is
 * written, into a copy of the data that grows with it, and hashed, so
 * that by the time the entry is renamed into place only its last piece
 * is left to read and hash; the entry is then taken, as the copy, if its
 * header names what was hashed. The copy costs its page faults while
 * elfinfo still decompresses, on the other processor, where mapping the
 * entry once it is in place cost them (about 7 ms for Debian's 66 MB
 * kernel) with the plan already on its way.
 */
#define STEP ((size_t)4 << 20)

struct follow {
	int fd;				/* the temporary, or -1 */
	char name[CACHE_TMP_MAX];
	uint64_t len;			/* data read and hashed so far */
	uint64_t cap;
	struct digest md;
	uint8_t *copy;			/* the header's room, then the data */
	size_t span;			/* reserved for it: room for cap + 1 */
};

static void
follow_open(struct follow *f, const struct cache *c, const char *name)
{
	if (f->fd >= 0 || strlen(name) >= sizeof(f->name))
		return;
	f->fd = openat(c->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (f->fd < 0)
		return;
	strcpy(f->name, name);
	f->len = 0;
	digest_init(&f->md);
}

static void
follow_stop(struct follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/*
 * Room for the copy: the cap and a byte more (to see data past it), only
 * reserved, so that no more is ever backed than the data read.
 */
static int
follow_reserve(struct follow *f)
{
	uint64_t span;

	if (pv_add(CACHE_HEADER + 1, f->cap, &span) || span > SIZE_MAX)
		return -1;
	f->span = (size_t)span;
	f->copy = mmap(NULL, f->span, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f->copy == MAP_FAILED) {
		f->copy = NULL;
		return -1;
	}
	return 0;
}

/* Read and hash what has been written since the last read. */
static void
follow_read(struct follow *f)
{
	uint8_t *at;
	uint64_t room;
	ssize_t n;

	while (f->fd >= 0) {
		at = f->copy + CACHE_HEADER + f->len;
		room = f->cap + 1 - f->len;
		n = pread(f->fd, at, room < STEP ? (size_t)room : STEP,
		    (off_t)(CACHE_HEADER + f->len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return;
		if (n < 0 || f->len + (uint64_t)n > f->cap) {
			follow_stop(f);	/* cache_get will say */
			return;
		}
		digest_update(&f->md, at, (size_t)n);
		f->len += (uint64_t)n;
	}
}

/* A temporary filling `key` already, from before the watch began. */
static void
follow_existing(struct follow *f, const struct cache *c, const char *key)
{
	struct dirent *d;
	DIR *dir;
	int fd;

	if ((fd = openat(c->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while (f->fd < 0 && (d = readdir(dir)) != NULL)
		if (cache_is_fill(d->d_name, key))
			follow_open(f, c, d->d_name);
	closedir(dir);
}

/* Take in the directory's news: a fill of `key` begun or abandoned. */
static void
follow_events(struct follow *f, const struct cache *c, int in,
    const char *key)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			if (ev->len == 0)
				continue;
			if ((ev->mask & IN_CREATE) &&
			    cache_is_fill(ev->name, key))
				follow_open(f, c, ev->name);
			else if ((ev->mask & IN_DELETE) && f->fd >= 0 &&
			    strcmp(ev->name, f->name) == 0)
				follow_stop(f);
		}
}

static int
arrived(const struct cache *c, const char *key)
{
	struct stat st;

	return fstatat(c->fd, key, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * The cache's await (cache.h): wait for the entry `key`, following its
 * fill, until it arrives or the plan does (a byte on pf->stop[0]).
 */
static int
await_entry(struct cache *c, const char *key, uint64_t cap, uint8_t **data,
    uint64_t *len, char sha256[65])
{
	struct prefetch *pf = c->await_arg;
	struct follow f = { .fd = -1, .cap = cap };
	struct pollfd fds[2];
	char dir[64], got[65];
	int in, rc = 0;

	snprintf(dir, sizeof(dir), "/proc/self/fd/%d", c->fd);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, dir, IN_CREATE | IN_MODIFY |
	    IN_DELETE | IN_MOVED_TO) < 0 || follow_reserve(&f) < 0)
		goto out;
	fds[0] = (struct pollfd){ .fd = in, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = pf->stop[0], .events = POLLIN };
	/* Watched before the first look, so that nothing is missed. */
	follow_existing(&f, c, key);
	while (!arrived(c, key)) {
		follow_read(&f);
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		/* The plan is here: elfinfo renames its entry before it
		 * writes its plan, so the entry is too unless it never comes. */
		if (fds[1].revents != 0 || !(fds[0].revents & POLLIN)) {
			if (!arrived(c, key))
				goto out;
			break;
		}
		follow_events(&f, c, in, key);
	}
	follow_read(&f);
	if (f.fd >= 0) {
		digest_end(&f.md, got);
		if (cache_adopt(c, key, f.fd, f.len, got, f.copy, f.span,
		    data) == 1) {
			f.copy = NULL;
			*len = f.len;
			memcpy(sha256, got, 65);
			rc = 1;
			goto out;
		}
	}
	/* Another fill won the race, or one was not followed: hashed now. */
	rc = cache_get(c, key, cap, data, len, sha256);
out:
	follow_stop(&f);
	if (f.copy != NULL)
		munmap(f.copy, f.span);
	/* Closed once the kernel is handed over (prefetch_run): closing a
	 * watch waits for the kernel's grace period, tens of milliseconds. */
	if (in >= 0 && pf->inotify < 0)
		pf->inotify = in;
	else if (in >= 0)
		close(in);
	return rc;
}

static void *
prefetch_run(void *arg)
{
	struct prefetch *pf = arg;

	if (pf->cache != NULL) {
		pf->cache->await = await_entry;
		pf->cache->await_arg = pf;
	}
	pf->ok = img_load(pf->path, IMG_KERNEL, IMG_DEFAULT_CAP, pf->cache,
	    &pf->ref, &pf->data, &pf->err) == 0;
	pthread_mutex_lock(&pf->lock);
	pf->done = 1;
	pthread_cond_signal(&pf->read_done);
	pthread_mutex_unlock(&pf->lock);
	/* The build goes on meanwhile. */
	if (pf->inotify >= 0)
		close(pf->inotify);
	pf->inotify = -1;
	return NULL;
}

void
prefetch_start(struct prefetch *pf)
{
	if (pf->path == NULL)
		return;
	if (pipe2(pf->stop, O_CLOEXEC) < 0)
		return;
	pf->inotify = -1;
	pf->done = pf->taken = 0;
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->read_done, NULL);
	pf->started = pthread_create(&pf->thread, NULL, prefetch_run,
	    pf) == 0;
	if (!pf->started) {
		pthread_mutex_destroy(&pf->lock);
		pthread_cond_destroy(&pf->read_done);
		close(pf->stop[0]);
		close(pf->stop[1]);
	}
}

uint8_t *
prefetch_take(struct prefetch *pf, const struct img_ref *want)
{
	uint8_t *data = NULL;

	if (!pf->started)
		return NULL;
	if (!pf->taken) {
		/* The plan is here: a thread still waiting for the cache
		 * stops. */
		(void)!write(pf->stop[1], "", 1);
		pthread_mutex_lock(&pf->lock);
		while (!pf->done)
			pthread_cond_wait(&pf->read_done, &pf->lock);
		pthread_mutex_unlock(&pf->lock);
		pf->taken = 1;
		if (pf->ok && want != NULL && img_ref_same(want, &pf->ref)) {
			data = pf->data;
			pf->data = NULL;
		}
		img_free(pf->data);
		pf->data = NULL;
		if (pf->ok)
			img_ref_free(&pf->ref);
	}
	if (want == NULL) {
		pthread_join(pf->thread, NULL);
		pthread_mutex_destroy(&pf->lock);
		pthread_cond_destroy(&pf->read_done);
		close(pf->stop[0]);
		close(pf->stop[1]);
		pf->started = 0;
	}
	return data;
}
