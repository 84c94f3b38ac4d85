/* SPDX-License-Identifier: ISC */
/*
 * bigbuf.c: whole-file buffers in huge pages (bigbuf.h). The buffers
 * mapped, these and the cache's entries handed out as mappings, are few
 * at a time (a kernel, an initrd, a prefetched kernel) and are told from
 * malloc's memory by a small table.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bigbuf.h"

#define HUGE_SIZE ((size_t)2 << 20)
/* Smaller buffers fault in few pages: malloc's are as good. */
#define BIGBUF_MIN ((size_t)1 << 20)
#define BIGBUF_MAX 16

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22	/* Linux 5.14 */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#if defined(__SANITIZE_ADDRESS__)
#define BIGBUF_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BIGBUF_SANITIZED 1
#endif
#endif

static struct {
	uint8_t *base;
	size_t len;
	size_t offset;		/* where the data handed out starts */
} bufs[BIGBUF_MAX];
static pthread_mutex_t bufs_lock = PTHREAD_MUTEX_INITIALIZER;

int
bigbuf_keep(void *base, size_t len, size_t offset)
{
	int i;

	pthread_mutex_lock(&bufs_lock);
	for (i = 0; i < BIGBUF_MAX && bufs[i].base != NULL; i++)
		;
	if (i < BIGBUF_MAX) {
		bufs[i].base = base;
		bufs[i].len = len;
		bufs[i].offset = offset;
	}
	pthread_mutex_unlock(&bufs_lock);
	return i < BIGBUF_MAX ? 0 : -1;
}

#ifndef BIGBUF_SANITIZED
/*
 * `len` bytes rounded up to whole huge pages, mapped at a huge page's
 * boundary (a mapping of one huge page more, its ends cut off), or NULL.
 */
static void *
map_huge(size_t len, int flags, size_t *mapped)
{
	size_t room, span, head;
	uint8_t *q, *p;

	if (len > SIZE_MAX - 2 * HUGE_SIZE)
		return NULL;
	room = (len + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	span = room + HUGE_SIZE;
	q = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | flags, -1, 0);
	if (q == MAP_FAILED)
		return NULL;
	head = (HUGE_SIZE - (uintptr_t)q % HUGE_SIZE) % HUGE_SIZE;
	p = q + head;
	if (head > 0)
		munmap(q, head);
	if (span - head > room)
		munmap(p + room, span - head - room);
	/*
	 * Huge pages for the whole ones the data fills and for a last piece
	 * of half one or more; a smaller last piece stays in small pages,
	 * rather than have a whole huge page cleared for it. A kernel
	 * without transparent huge pages gives small ones throughout.
	 */
	(void)madvise(p, (flags & MAP_NORESERVE) ||
	    len % HUGE_SIZE >= HUGE_SIZE / 2 ? room : len - len % HUGE_SIZE,
	    MADV_HUGEPAGE);
	*mapped = room;
	return p;
}
#endif

void *
bigbuf_alloc(size_t len)
{
#ifndef BIGBUF_SANITIZED
	size_t mapped;
	void *p;

	if (len >= BIGBUF_MIN && (p = map_huge(len, 0, &mapped)) != NULL) {
		if (bigbuf_keep(p, mapped, 0) == 0)
			return p;
		munmap(p, mapped);
	}
#endif
	return malloc(len > 0 ? len : 1);
}

void *
bigbuf_reserve(size_t len)
{
#ifndef BIGBUF_SANITIZED
	size_t mapped;
	void *p;

	if ((p = map_huge(len, MAP_NORESERVE, &mapped)) != NULL) {
		if (bigbuf_keep(p, mapped, 0) == 0)
			return p;
		munmap(p, mapped);
	}
#else
	(void)len;
#endif
	return NULL;
}

/* madvise `advice` for the pages holding the `len` bytes at `p`. */
static void
populate(const void *p, size_t len, int advice)
{
	uintptr_t start = (uintptr_t)p & ~(uintptr_t)4095;

	if (p != NULL && len > 0)
		(void)madvise((void *)start, len + ((uintptr_t)p - start),
		    advice);
}

void
bigbuf_ready(void *p, size_t len)
{
#ifndef BIGBUF_SANITIZED
	if (len >= BIGBUF_MIN)
		populate(p, len, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)len;
#endif
}

void
bigbuf_present(const void *p, size_t len)
{
	populate(p, len, MADV_POPULATE_READ);
}

void
bigbuf_free(void *p)
{
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&bufs_lock);
	for (i = 0; i < BIGBUF_MAX && (bufs[i].base == NULL ||
	    bufs[i].base + bufs[i].offset != p); i++)
		;
	if (i < BIGBUF_MAX) {
		munmap(bufs[i].base, bufs[i].len);
		bufs[i].base = NULL;
	}
	pthread_mutex_unlock(&bufs_lock);
	if (i == BIGBUF_MAX)
		free(p);
}
