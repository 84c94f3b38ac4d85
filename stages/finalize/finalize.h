/* SPDX-License-Identifier: ISC */
/*
 * finalize.h: what finalize's main and its jobs share. main.c reads the
 * command line, prefetch.c reads the kernel early, early.c makes the xen
 * domain early, verify.c holds the plan to what the stages would plan
 * from the files it names, build.c builds the domain through a backend
 * (hv.h).
 */
#ifndef FINALIZE_H
#define FINALIZE_H

#include <pthread.h>

#include "hv.h"

/* What the command line asked of the backend. */
struct backend {
	int xen;			/* else sim */
	const char *initrd;		/* --initrd: the caller's initrd */
	const char *out;		/* sim */
	int json;			/* --json: the result as JSON */
	struct hv_sim_options sim;
	struct hv_xen_options x;
};

/*
 * --prefetch: the kernel image read while the plan is still on its way
 * down the pipe. With the cache, only from the cache: elfinfo fills it
 * when it has not the kernel yet, so that the kernel is decompressed once
 * per build; with --no-cache, decompressed, overlapping elfinfo's own
 * decompression. Used only if it turns out to be the very file, read the
 * very way, the plan names; otherwise dropped.
 */
struct prefetch {
	const char *path;		/* --prefetch IMAGE, or NULL */
	struct cache *cache;		/* lookup_only, or NULL: decompress */
	int stop[2];			/* a pipe: the plan is here */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t read_done;	/* signalled when `done` is set */
	int started, done, taken, ok;
	int inotify;			/* the cache's watch, or -1 */
	struct img_ref ref;
	uint8_t *data;
	struct pv_err err;
};

/* Start reading pf->path, if there is one, on a thread of its own. */
void prefetch_start(struct prefetch *);

/*
 * The prefetched kernel if it is `want`, the plan's image, else NULL;
 * waits for the read and drops whatever is not taken. `want` NULL: wait
 * and drop, and wait for the thread to end (once the domain is built: the
 * thread may still be closing its watch of the cache, which takes the
 * kernel tens of milliseconds, and that need not delay the build).
 */
uint8_t *prefetch_take(struct prefetch *, const struct img_ref *want);

/*
 * --memory (--maxmem, --vcpus): the xen backend's PV domain made from the
 * command line's request on a thread of its own while the plan is still
 * on its way (hv_xen_open_early), so that creating it, populating its
 * memory and naming it in xenstore cost the build nothing. Nothing of the
 * plan goes into it before the plan is read and verified. The build
 * takes it when the plan asks for that very domain (hv_xen_fits); any
 * other outcome destroys it.
 */
struct early {
	int wanted;			/* --memory given */
	struct hv_request req;
	const struct hv_xen_options *opt;
	int started;
	pthread_t thread;
	struct hv *hv;			/* made, or NULL */
	struct pv_err err;		/* why not: the build for the plan
					   meets it again if it holds */
};

/* Start making the domain, when one is wanted, on a thread. */
void early_start(struct early *, const struct hv_xen_options *);

/*
 * Wait for the early domain and hand it over if it fits the plan `p`;
 * one that does not is destroyed first (so that its name is free again).
 * Returns NULL when there is none to take.
 */
struct hv *early_take(struct early *, const struct plan *p);

/* Wait for the early domain, and destroy it if nobody took it. */
void early_end(struct early *);

/*
 * The plan, read and held to the hypervisor's rules, is what the stages
 * plan from the files it names: populate's and pagetables' members as
 * they would derive them, elfinfo's as elfinfo makes it of the kernel.
 * The kernel and the initrd are read on the way, each with the rights
 * README's "Trust" gives it, through `cache` (NULL: none) into *kernel and
 * *initrd (the caller frees them, on failure too). Returns 0, or -1 with
 * `e` naming the field.
 */
int verify(const struct plan *, const struct backend *, struct prefetch *,
    struct cache *, uint8_t **kernel, uint8_t **initrd, struct pv_err *);

/*
 * Build the verified plan through the backend `b` names (on Xen in the
 * early domain when it fits), with the kernel and initrd bytes verify
 * read; record how in the plan's finalize member
 * and print where the domain went. Nothing is left of a failed build.
 */
int build(struct plan *, const struct backend *, struct early *,
    const uint8_t *kernel, const uint8_t *initrd, struct pv_err *);

#endif
