/* SPDX-License-Identifier: ISC */
/*
 * sim.h: what the sim backend's three files share. sim.c is the machine
 * (its frames, what the hypervisor records); simframes.c is where the
 * domain's frames go on it; simdir.c is the domain's directory, built
 * under a temporary name beside DIR and renamed into place whole.
 */
#ifndef SIM_H
#define SIM_H

#include <pthread.h>

#include "hv.h"

/* The machine's extents: 2 MiB, as Xen hands out superpages. */
#define SIM_EXTENT_BITS 9
#define SIM_EXTENT_FRAMES ((uint64_t)1 << SIM_EXTENT_BITS)

/* The frames outside whole extents: fewer than two extents' worth. */
#define SIM_LEFT_MAX 1024

/* A block of 512 slots, in the whole extent that holds it (simframes.c). */
struct sim_block {
	uint64_t mfn;			/* the extent's first frame */
	uint16_t in, out;		/* its own rotations of the shuffle */
};

struct sim {
	struct hv hv;
	char *out, *tmp;
	int mem_fd;
	int tmp_lock;			/* the temporary, flock()ed while we build */
	uint64_t frames, reserved, scatter;
	int sync;			/* --sync: fsync before and after the rename */
	/*
	 * Where the frames go (simframes.c): nr_ext whole 2 MiB extents
	 * from ext_lo, permuted by a Feistel network over 2^perm_bits
	 * values; nr_left frames outside them, nr_head of them below
	 * ext_lo and the rest from tail_lo.
	 */
	uint64_t ext_lo, nr_ext, nr_left, nr_head, tail_lo;
	unsigned perm_bits, perm_hi_bits;
	uint64_t perm_mask;
	/* The places inside an extent shuffled, and the frames left over. */
	uint16_t shuffle[SIM_EXTENT_FRAMES], unshuffle[SIM_EXTENT_FRAMES];
	uint16_t left[SIM_LEFT_MAX], unleft[SIM_LEFT_MAX];
	struct sim_block *blocks;	/* the domain's, worked out once */
	uint64_t nr_blocks;
	/* One pfn may be moved off the permutation (a PAE L3). */
	int moved;
	uint64_t moved_pfn, moved_mfn, moved_from;
	uint64_t pinned_pfn;
	int pinned_level;
	/*
	 * The writes of one 2 MiB machine extent, gathered and written in
	 * runs of frames when the build moves to another (sim.c);
	 * stage_dirty marks the frames gathered, and stage_src says where
	 * each one's bytes are: its page of `stage`, or a whole page of the
	 * kernel or initrd, taken from there without a copy.
	 */
	uint8_t *stage;
	uint64_t stage_ext;
	uint64_t stage_dirty[SIM_EXTENT_FRAMES / 64];
	const uint8_t *stage_src[SIM_EXTENT_FRAMES];
	/* m2p.bin, written by a thread of its own while the build goes on. */
	pthread_t m2p_thread;
	int m2p_running, m2p_fd, m2p_errno;
};

/* Fail with errno's text, naming --out and `what` in it. */
int sim_sys_fail(struct pv_err *, const struct sim *, const char *what);

/*
 * The temporary directory beside `out`, made and locked (s->tmp,
 * s->tmp_lock), after stale ones of killed builds are removed; s->out
 * and s->hv.where become a copy of `out`. sim_close undoes it all.
 */
int sim_dir_create(struct sim *, const char *out, struct pv_err *);

/*
 * A new sim for --out (refused if it exists or cannot be built under),
 * with no file open yet; NULL with `e` filled.
 */
struct sim *sim_new(const char *out, int sync, struct pv_err *);

/*
 * sim_dir_create, then the temporary's machine.mem, a sparse file of
 * s->frames frames, open in s->mem_fd. Returns 0 or -1.
 */
int sim_dir_create_mem(struct sim *, const char *out, struct pv_err *);

/* The file `name` of the temporary (0600): the `len` bytes at buf. */
int sim_dir_write_file(const struct sim *, const char *name, const void *buf,
    size_t len, struct pv_err *);
/* The file `name` of the temporary: `j` as the plans are written. */
int sim_dir_write_json(const struct sim *, const char *name, json_t *j,
    struct pv_err *);

/* The temporary renamed to --out, the domain's one step into being. */
int sim_dir_place(struct sim *, struct pv_err *);

/* The temporary and its files removed, if it was not placed. */
void sim_dir_remove(struct sim *);

/*
 * The whole extents and the frames left over, worked out from s->frames,
 * s->reserved, s->scatter and s->hv.nr_pages; sets s->hv.shared_info_mfn.
 */
int sim_frames_init(struct sim *, struct pv_err *);

/* The machine frame of slot x (x <= nr_pages; the moved L3 aside). */
uint64_t sim_frames_slot(const struct sim *, uint64_t x);

/* The machine frames of slots [x, x + n) into out (the moved L3 aside). */
void sim_frames_slots(const struct sim *, uint64_t x, uint64_t n,
    uint64_t *out);

/* The pfn whose frame is m, or UINT64_MAX (the moved L3 included). */
uint64_t sim_frames_owner(const struct sim *, uint64_t m);

/*
 * The machine-to-phys entries of frames [m0, m0 + n), `w` bytes each;
 * m0 and n are multiples of SIM_EXTENT_FRAMES, or m0 + n is s->frames.
 */
void sim_frames_m2p(const struct sim *, uint64_t m0, uint64_t n,
    uint8_t *buf, unsigned w);

#endif
