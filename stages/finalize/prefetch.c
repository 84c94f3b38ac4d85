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

#include "bigbuf.h"
#include "cache.h"
#include "digest.h"

#include "finalize.h"

/*
 * Following elfinfo's fill of the entry. The temporary is mapped, and
 * each piece is hashed through the mapping once it is written, so that by
 * the time the entry is renamed into place only its last piece is left to
 * hash; the entry is then taken, as that mapping, if it is the same file
 * and its header names what was hashed. The pages are mapped while
 * elfinfo still decompresses, on the other processor, where mapping the
 * entry once it is in place (MAP_POPULATE) cost about 7 ms for Debian's
 * 66 MB kernel with the plan already on its way; and nothing is copied.
 */
struct follow {
	int fd;				/* the temporary, or -1 */
	char name[CACHE_TMP_MAX];
	uint64_t len;			/* data hashed so far */
	uint64_t cap;
	struct digest md;
	uint8_t *map;			/* the temporary, `span` bytes */
	size_t span;			/* room for the header, cap + 1 */
};

static void
follow_stop(struct follow *f)
{
	if (f->map != NULL)
		munmap(f->map, f->span);
	f->map = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/*
 * Follow the temporary `name`: opened and mapped, past its end too, for
 * the data to come; the cap and a byte more, to see data past the cap.
 */
static void
follow_open(struct follow *f, const struct cache *c, const char *name)
{
	uint64_t span;

	if (f->fd >= 0 || strlen(name) >= sizeof(f->name) ||
	    pv_add(CACHE_HEADER + 1, f->cap, &span) || span > SIZE_MAX)
		return;
	f->fd = openat(c->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (f->fd < 0)
		return;
	f->span = (size_t)span;
	f->map = mmap(NULL, f->span, PROT_READ, MAP_PRIVATE, f->fd, 0);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		follow_stop(f);
		return;
	}
	strcpy(f->name, name);
	f->len = 0;
	digest_init(&f->md);
}

/*
 * Hash what has been written since the last look: the bytes below the
 * file's size, which elfinfo's writes have filled.
 */
static void
follow_read(struct follow *f)
{
	struct stat st;
	uint64_t size;

	if (f->fd < 0 || fstat(f->fd, &st) < 0)
		return;
	size = (uint64_t)st.st_size;
	if (size <= CACHE_HEADER + f->len)
		return;
	if (size - CACHE_HEADER > f->cap) {
		follow_stop(f);		/* cache_get will say */
		return;
	}
	/* Mapped in one call: a fault a page costs several times the
	 * hash in a Xen PV dom0, where each is a trip through Xen. */
	bigbuf_present(f->map + CACHE_HEADER + f->len,
	    (size_t)(size - CACHE_HEADER - f->len));
	digest_update(&f->md, f->map + CACHE_HEADER + f->len,
	    (size_t)(size - CACHE_HEADER - f->len));
	f->len = size - CACHE_HEADER;
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
			/* A fill begun before its key was known takes it
			 * by a rename (cache_name). */
			if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
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
	struct follow f = { .fd = -1, .cap = cap, .map = NULL };
	struct pollfd fds[2];
	char dir[64], got[65];
	int in, rc = 0;

	snprintf(dir, sizeof(dir), "/proc/self/fd/%d", c->fd);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, dir, IN_CREATE | IN_MODIFY |
	    IN_DELETE | IN_MOVED_TO) < 0)
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
		if (cache_adopt(c, key, f.fd, f.len, got, f.map, f.span,
		    data) == 1) {
			f.map = NULL;
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

	pv_thread_background();

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
