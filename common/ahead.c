/* SPDX-License-Identifier: ISC */
/*
 * ahead.c: memory made present ahead of its writer (ahead.h). The regions
 * go forward together, a step at a time, the one furthest behind first:
 * a decompressor's output and its dictionary are written at about the
 * same pace.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ahead.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* A huge page: what one step makes present. */
#define AHEAD_STEP ((size_t)2 << 20)
#define AHEAD_REGIONS 4

struct ahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* for the thread: progress, a region, stop */
	pthread_cond_t idle;	/* for ahead_forget: a step is done */
	struct {
		uint8_t *p;	/* NULL: a free slot */
		size_t len, pos;
	} r[AHEAD_REGIONS];
	int busy;		/* the region a step is in, or -1 */
	size_t progress;
	int stop, waiting, unable;
};

/* The region to step in next, or -1: the one furthest behind. */
static int
next_region(const struct ahead *a)
{
	size_t limit;
	int i, best = -1;

	if (a->unable)
		return -1;
	limit = a->progress > SIZE_MAX - AHEAD_WINDOW ? SIZE_MAX :
	    a->progress + AHEAD_WINDOW;
	for (i = 0; i < AHEAD_REGIONS; i++)
		if (a->r[i].p != NULL && a->r[i].pos < a->r[i].len &&
		    a->r[i].pos < limit &&
		    (best < 0 || a->r[i].pos < a->r[best].pos))
			best = i;
	return best;
}

static void *
run(void *arg)
{
	struct ahead *a = arg;
	uint8_t *p;
	size_t n;
	int i, rc, err;

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		if ((i = next_region(a)) < 0) {
			a->waiting = 1;
			pthread_cond_wait(&a->work, &a->lock);
			a->waiting = 0;
			continue;
		}
		p = a->r[i].p + a->r[i].pos;
		n = a->r[i].len - a->r[i].pos;
		if (n > AHEAD_STEP)
			n = AHEAD_STEP;
		a->busy = i;
		pthread_mutex_unlock(&a->lock);
		rc = madvise(p, n, MADV_POPULATE_WRITE);
		err = errno;
		pthread_mutex_lock(&a->lock);
		a->busy = -1;
		a->r[i].pos += n;
		/* A kernel before 5.14 has no MADV_POPULATE_WRITE; anything
		 * else ends this region only. */
		if (rc < 0 && err == EINVAL)
			a->unable = 1;
		else if (rc < 0)
			a->r[i].pos = a->r[i].len;
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

struct ahead *
ahead_start(void)
{
	struct ahead *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->busy = -1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->idle, NULL);
	if (pthread_create(&a->thread, NULL, run, a) != 0) {
		pthread_mutex_destroy(&a->lock);
		pthread_cond_destroy(&a->work);
		pthread_cond_destroy(&a->idle);
		free(a);
		return NULL;
	}
	return a;
}

void
ahead_add(struct ahead *a, void *p, size_t len)
{
	int i;

	if (a == NULL || p == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < AHEAD_REGIONS && a->r[i].p != NULL; i++)
		;
	if (i < AHEAD_REGIONS) {
		a->r[i].p = p;
		a->r[i].len = len;
		a->r[i].pos = 0;
		pthread_cond_signal(&a->work);
	}
	pthread_mutex_unlock(&a->lock);
}

void
ahead_forget(struct ahead *a, void *p)
{
	int i;

	if (a == NULL || p == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < AHEAD_REGIONS && a->r[i].p != p; i++)
		;
	if (i < AHEAD_REGIONS) {
		while (a->busy == i)
			pthread_cond_wait(&a->idle, &a->lock);
		a->r[i].p = NULL;
	}
	pthread_mutex_unlock(&a->lock);
}

void
ahead_progress(struct ahead *a, size_t done)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	if (done > a->progress) {
		a->progress = done;
		if (a->waiting)
			pthread_cond_signal(&a->work);
	}
	pthread_mutex_unlock(&a->lock);
}

void
ahead_stop(struct ahead *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->idle);
	free(a);
}
