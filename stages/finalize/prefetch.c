/* SPDX-License-Identifier: ISC */
/*
 * prefetch.c: finalize --prefetch IMAGE (finalize.h), the kernel read on a
 * thread of its own while the plan comes down the pipe.
 *
 * With the cache, the kernel is taken only from there: in a cold build
 * elfinfo is decompressing it at this moment and puts it there before it
 * writes its plan, so the thread watches the cache directory and takes
 * the entry the moment it is renamed into place, while the plan still
 * goes through layout, populate and pagetables.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "finalize.h"

/* Has an entry (not a temporary) been renamed into the directory? */
static int
entry_arrived(int in)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;
	int seen = 0;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			if (ev->len > 0 && ev->name[0] != '.')
				seen = 1;
		}
	return seen;
}

/*
 * Wait until an entry arrives (0) or prefetch_take says the plan is here,
 * a byte on pf->stop[0] (-1).
 */
static int
wait_entry(struct prefetch *pf, int in)
{
	struct pollfd fds[2] = {
		{ .fd = in, .events = POLLIN },
		{ .fd = pf->stop[0], .events = POLLIN },
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (fds[1].revents != 0 || !(fds[0].revents & POLLIN))
			return -1;
		if (entry_arrived(in))
			return 0;
	}
}

/* Take the kernel from the cache, now or when its entry arrives. */
static int
from_cache(struct prefetch *pf)
{
	char dir[64];
	int in, rc;

	snprintf(dir, sizeof(dir), "/proc/self/fd/%d", pf->cache->fd);
	/* Watched before the first look, so that no arrival is missed. */
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in >= 0 && inotify_add_watch(in, dir, IN_MOVED_TO) < 0) {
		close(in);
		in = -1;
	}
	while ((rc = img_load(pf->path, IMG_KERNEL, IMG_DEFAULT_CAP,
	    pf->cache, &pf->ref, &pf->data, &pf->err)) < 0 && in >= 0 &&
	    wait_entry(pf, in) == 0)
		;
	if (in >= 0)
		close(in);
	return rc;
}

static void *
prefetch_run(void *arg)
{
	struct prefetch *pf = arg;

	if (pf->cache != NULL)
		pf->ok = from_cache(pf) == 0;
	else
		pf->ok = img_load(pf->path, IMG_KERNEL, IMG_DEFAULT_CAP, NULL,
		    &pf->ref, &pf->data, &pf->err) == 0;
	return NULL;
}

void
prefetch_start(struct prefetch *pf)
{
	if (pf->path == NULL)
		return;
	if (pipe2(pf->stop, O_CLOEXEC) < 0)
		return;
	pf->started = pthread_create(&pf->thread, NULL, prefetch_run,
	    pf) == 0;
	if (!pf->started) {
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
	/* The plan is here: a thread still waiting for the cache stops. */
	(void)!write(pf->stop[1], "", 1);
	pthread_join(pf->thread, NULL);
	close(pf->stop[0]);
	close(pf->stop[1]);
	pf->started = 0;
	if (pf->ok && want != NULL && img_ref_same(want, &pf->ref)) {
		data = pf->data;
		pf->data = NULL;
	}
	img_free(pf->data);
	pf->data = NULL;
	if (pf->ok)
		img_ref_free(&pf->ref);
	return data;
}
