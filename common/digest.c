/* SPDX-License-Identifier: ISC */
/*
 * digest.c: sha256 as hex (digest.h), through Nettle, which uses the
 * processor's SHA instructions where it has them, at once or on a thread
 * that follows the data as it is made. Nettle rather than OpenSSL's
 * libcrypto: the same speed, but a small library with nothing to set up,
 * where libcrypto's loading and first digest cost a small guest's build
 * more than a millisecond in each program that hashes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "digest.h"
#include "pv.h"

static void
to_hex(const uint8_t md[SHA256_DIGEST_SIZE], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void
digest_init(struct digest *d)
{
	sha256_init(&d->sha);
}

void
digest_update(struct digest *d, const uint8_t *p, size_t n)
{
	sha256_update(&d->sha, n, p);
}

void
digest_end(struct digest *d, char out[65])
{
	uint8_t md[SHA256_DIGEST_SIZE];

	sha256_digest(&d->sha, sizeof(md), md);
	to_hex(md, out);
}

void
digest_sha256(const uint8_t *buf, uint64_t len, char out[65])
{
	struct digest d;

	digest_init(&d);
	digest_update(&d, buf, (size_t)len);
	digest_end(&d, out);
}

/*
 * A piece waiting for the thread: room for PIECE_MAX bytes, mapped, and
 * used again once hashed, so that the memory a job adds is the queue's
 * and no page is faulted in more than once.
 */
struct piece {
	struct piece *next;
	size_t n;
	uint8_t data[];
};

/*
 * The most the queue holds: a decompression faster than the hashing
 * (a bomb of zeros) waits for it rather than doubling its memory.
 */
#define QUEUE_MAX ((size_t)4 << 20)

/* The largest piece: a decoder may hand on tens of MiB at once. */
#define PIECE_MAX ((size_t)1 << 20)

struct digest_job {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	struct piece *head, **tail;	/* the queue, oldest first */
	struct piece *spare;		/* hashed pieces, to be used again */
	size_t queued;			/* bytes in it */
	int done;			/* no more pieces will come */
	int failed;			/* a feed or a write went wrong */
	struct digest md;
	int fd;
	uint64_t off;
};

/* The file blocks a sparse write leaves out when they hold only zeros. */
#define BLOCK ((uint64_t)4096)

static const uint8_t zero_block[BLOCK];

/*
 * Write the `n` bytes at `data` to `fd` at `off`, leaving out each whole
 * block of the file (BLOCK bytes at a multiple of BLOCK) that they would
 * fill with zeros: the file reads zeros there all the same, as a hole,
 * once its size reaches past it (the caller sets the size at the end).
 * A kernel is much zeros (half the pages of Debian's), and each block
 * left out is a page the page cache need not take. Returns 0 or -1.
 */
static int
write_sparse(int fd, const uint8_t *data, size_t n, uint64_t off)
{
	size_t done = 0, run = 0, k;

	while (done + run < n) {
		k = (size_t)(BLOCK - (off + done + run) % BLOCK);
		if (k > n - done - run)
			k = n - done - run;
		if (k == BLOCK && memcmp(data + done + run, zero_block,
		    BLOCK) == 0) {
			/* The run of data before this block goes out; the
			 * block is skipped. */
			if (run > 0 && pv_pwrite_all(fd, data + done, run,
			    off + done) < 0)
				return -1;
			done += run + k;
			run = 0;
		} else
			run += k;
	}
	if (run > 0 && pv_pwrite_all(fd, data + done, run, off + done) < 0)
		return -1;
	return 0;
}

static void *
digest_run(void *arg)
{
	struct digest_job *j = arg;
	struct piece *p;

	pv_thread_background();

	for (;;) {
		pthread_mutex_lock(&j->lock);
		while (j->head == NULL && !j->done)
			pthread_cond_wait(&j->more, &j->lock);
		p = j->head;
		if (p != NULL && (j->head = p->next) == NULL)
			j->tail = &j->head;
		if (p != NULL) {
			j->queued -= p->n;
			pthread_cond_signal(&j->room);
		}
		pthread_mutex_unlock(&j->lock);
		if (p == NULL)
			return NULL;
		digest_update(&j->md, p->data, p->n);
		if (j->fd >= 0 && !j->failed) {
			if (write_sparse(j->fd, p->data, p->n, j->off) < 0)
				j->failed = 1;
			j->off += p->n;
		}
		pthread_mutex_lock(&j->lock);
		p->next = j->spare;
		j->spare = p;
		pthread_mutex_unlock(&j->lock);
	}
}

#define PIECE_SIZE (sizeof(struct piece) + PIECE_MAX)

/* A piece holding the `n` bytes at `data` (n <= PIECE_MAX), or NULL. */
static struct piece *
piece_new(struct digest_job *j, const uint8_t *data, size_t n)
{
	struct piece *p;

	pthread_mutex_lock(&j->lock);
	if ((p = j->spare) != NULL)
		j->spare = p->next;
	pthread_mutex_unlock(&j->lock);
	if (p == NULL) {
		/* Made present at once: the copy into it is on the
		 * decompression's own thread. */
		p = mmap(NULL, PIECE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
	}
	p->next = NULL;
	p->n = n;
	memcpy(p->data, data, n);
	return p;
}

struct digest_job *
digest_start(int fd, uint64_t off)
{
	struct digest_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->tail = &j->head;
	j->fd = fd;
	j->off = off;
	digest_init(&j->md);
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->more, NULL);
	pthread_cond_init(&j->room, NULL);
	if (pthread_create(&j->thread, NULL, digest_run, j) != 0) {
		pthread_mutex_destroy(&j->lock);
		pthread_cond_destroy(&j->more);
		pthread_cond_destroy(&j->room);
		free(j);
		return NULL;
	}
	return j;
}

void
digest_feed(struct digest_job *j, const uint8_t *data, size_t n)
{
	struct piece *p;
	size_t k;

	for (; n > 0; data += k, n -= k) {
		k = n < PIECE_MAX ? n : PIECE_MAX;
		p = piece_new(j, data, k);
		pthread_mutex_lock(&j->lock);
		while (p != NULL && j->queued > 0 && j->queued + k > QUEUE_MAX)
			pthread_cond_wait(&j->room, &j->lock);
		if (p == NULL)
			j->failed = 2;	/* the digest would miss a piece */
		else {
			j->queued += k;
			*j->tail = p;
			j->tail = &p->next;
			pthread_cond_signal(&j->more);
		}
		pthread_mutex_unlock(&j->lock);
	}
}

int
digest_finish(struct digest_job *j, char out[65])
{
	struct piece *p;
	int rc;

	pthread_mutex_lock(&j->lock);
	j->done = 1;
	pthread_cond_signal(&j->more);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->thread, NULL);
	rc = j->failed ? -1 : 0;
	digest_end(&j->md, out);
	while ((p = j->spare) != NULL) {
		j->spare = p->next;
		munmap(p, PIECE_SIZE);
	}
	if (j->failed == 2)
		out[0] = '\0';
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->more);
	pthread_cond_destroy(&j->room);
	free(j);
	return rc;
}

struct digest_bg {
	pthread_t thread;
	const uint8_t *buf;
	uint64_t len;
	char out[65];
	int made;		/* atomic: out is the digest */
};

static void *
bg_run(void *arg)
{
	struct digest_bg *b = arg;

	digest_sha256(b->buf, b->len, b->out);
	__atomic_store_n(&b->made, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct digest_bg *
digest_bg_start(const uint8_t *buf, uint64_t len)
{
	struct digest_bg *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->buf = buf;
	b->len = len;
	if (pthread_create(&b->thread, NULL, bg_run, b) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

int
digest_bg_ready(struct digest_bg *b)
{
	return __atomic_load_n(&b->made, __ATOMIC_ACQUIRE);
}

void
digest_bg_end(struct digest_bg *b, char out[65])
{
	pthread_join(b->thread, NULL);
	memcpy(out, b->out, 65);
	free(b);
}
