/*
 * sim.h: what the sim backend's two files share. sim.c is the machine
 * (its frames, their scattering, what the hypervisor records); simdir.c
 * is the domain's directory, built under a temporary name beside DIR and
 * renamed into place whole.
 */
#ifndef SIM_H
#define SIM_H

#include "hv.h"

struct sim {
	struct hv hv;
	char *out, *tmp;
	int mem_fd;
	int tmp_lock;			/* the temporary, flock()ed while we build */
	uint64_t frames, reserved, scatter;
	int sync;			/* --sync: fsync before and after the rename */
	unsigned perm_bits, perm_hi_bits;	/* the Feistel domain: 2^bits */
	uint64_t perm_mask;
	uint64_t pool;			/* frames - reserved */
	uint64_t *p2m;			/* the mfn of every pfn, worked out once */
	/* One pfn may be moved off the permutation (a PAE L3). */
	int moved;
	uint64_t moved_pfn, moved_mfn, moved_from;
	uint64_t pinned_pfn;
	int pinned_level;
};

/* Fail with errno's text, naming --out and `what` in it. */
int sim_sys_fail(struct pv_err *, const struct sim *, const char *what);

/*
 * The temporary directory beside `out`, made and locked (s->tmp,
 * s->tmp_lock), after stale ones of killed builds are removed; s->out
 * and s->hv.where become a copy of `out`. sim_close undoes it all.
 */
int sim_dir_create(struct sim *, const char *out, struct pv_err *);

/* The file `name` of the temporary: `j` as the plans are written. */
int sim_dir_write_json(const struct sim *, const char *name, json_t *j,
    struct pv_err *);

/* The temporary renamed to --out, the domain's one step into being. */
int sim_dir_place(struct sim *, struct pv_err *);

/* The temporary and its files removed, if it was not placed. */
void sim_dir_remove(struct sim *);

#endif
