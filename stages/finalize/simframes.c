/* SPDX-License-Identifier: ISC */
/*
 * simframes.c: where the sim puts the domain's frames (sim.h). The frames
 * are scattered over the machine as Xen hands them out, in 2 MiB
 * extents (512 frames), but shuffled twice so that a pfn/mfn mix-up
 * shows: the extents by a permutation of extent numbers, and the frames
 * inside each extent by a shuffle of their 512 places. No two
 * consecutive pfns in whole extents are consecutive machine frames, by
 * construction, while the pages of a 2 MiB stretch of the domain share
 * one extent, which keeps the writes and the machine-to-phys table
 * local; the cost of it all is one permutation step per extent and a
 * table lookup per frame.
 *
 * A slot is what the sim places: pfn 0 to nr_pages - 1, then the
 * shared_info frame (slot nr_pages), then the slots nobody takes. The
 * whole extents above the reserved frames hold slots 512 * j to
 * 512 * j + 511 in extent P(j); the frames left at either end, outside
 * any whole extent (fewer than 1024), hold the slots after those, in an
 * order of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static uint64_t
mix64(uint64_t z)
{
	/* splitmix64's finaliser: a good 64-bit mixing function. */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
round_fn(const struct sim *s, uint64_t r, int round)
{
	return mix64(r ^ s->scatter ^ ((uint64_t)round << 56));
}

/*
 * One round of the Feistel network below, a bijection of k-bit values:
 * x = hi:lo (hi of `a` bits) becomes lo:(hi ^ F(lo)).
 */
static uint64_t
feistel_round(const struct sim *s, uint64_t x, int round)
{
	const unsigned a = s->perm_hi_bits;
	const uint64_t hi = x >> (s->perm_bits - a);
	const uint64_t lo = x & (s->perm_mask >> a);

	return lo << a | ((hi ^ round_fn(s, lo, round)) & ((1ULL << a) - 1));
}

/* The round undone: lo:(hi ^ F(lo)) back to hi:lo. */
static uint64_t
feistel_unround(const struct sim *s, uint64_t x, int round)
{
	const unsigned a = s->perm_hi_bits;
	const uint64_t lo = x >> a;
	const uint64_t hi = (x ^ round_fn(s, lo, round)) & ((1ULL << a) - 1);

	return hi << (s->perm_bits - a) | lo;
}

/*
 * P, the permutation of the whole extents [0, nr_ext) that --scatter
 * picks (`inverse`: which block of slots an extent holds): a four-round
 * Feistel network over the smallest power of two that holds them, split
 * unevenly when its bits are odd, walked until the value falls inside
 * (cycle walking keeps it a permutation; with the domain under twice
 * the extents it takes two steps on average). Constant memory, so the
 * machine can be far larger than what we keep of it.
 */
static uint64_t
permute(const struct sim *s, uint64_t x, int inverse)
{
	int i;

	do {
		for (i = 0; i < 4; i++)
			x = inverse ? feistel_unround(s, x, 3 - i) :
			    feistel_round(s, x, i);
	} while (x >= s->nr_ext);
	return x;
}

/*
 * A permutation of [0, n) that `key` picks, and its inverse: the
 * Fisher-Yates shuffle, drawing from mix64 of a counter.
 */
static void
make_shuffle(uint16_t *t, uint16_t *inv, unsigned n, uint64_t key)
{
	unsigned i, j;
	uint16_t v;

	for (i = 0; i < n; i++)
		t[i] = (uint16_t)i;
	for (i = n - 1; i > 0; i--) {
		j = (unsigned)(mix64(key ^ i) % (i + 1));
		v = t[i];
		t[i] = t[j];
		t[j] = v;
	}
	for (i = 0; i < n; i++)
		inv[t[i]] = (uint16_t)i;
}

/*
 * Whether a shuffle of the places of an extent ever puts place i + 1
 * right after place i, counting round the extent (place 511 is followed
 * by place 0, frame 511 by frame 0), as the rotations below do.
 */
static int
has_run(const uint16_t *t)
{
	unsigned i;

	for (i = 0; i < SIM_EXTENT_FRAMES; i++)
		if (t[(i + 1) % SIM_EXTENT_FRAMES] ==
		    (t[i] + 1) % SIM_EXTENT_FRAMES)
			return 1;
	return 0;
}

/*
 * Where place o of a block goes in its extent: the one shuffle of the 512
 * places, entered `in` places round and rotated `out` places round, both
 * the block's own. The shuffle has no run (has_run) and rotations keep
 * that, so no two consecutive pfns of a block are consecutive frames.
 */
static unsigned
in_extent(const struct sim *s, const struct sim_block *b, unsigned o)
{
	const unsigned mask = SIM_EXTENT_FRAMES - 1;

	return (s->shuffle[(o + b->in) & mask] + b->out) & mask;
}

/* Block j: its extent and its rotations. */
static struct sim_block
block(const struct sim *s, uint64_t j)
{
	const uint64_t key = mix64(s->scatter ^ mix64(j ^ 0x6a09e667f3bcc908ULL));
	const unsigned mask = SIM_EXTENT_FRAMES - 1;
	struct sim_block b = {
		.mfn = s->ext_lo + (permute(s, j, 0) << SIM_EXTENT_BITS),
		.in = (uint16_t)(key & mask),
		.out = (uint16_t)(key >> 32 & mask),
	};

	/*
	 * The block's first pfn is never its extent's first frame, so the
	 * last pfn of the block before, in the extent before, is never
	 * right below it either.
	 */
	if (((s->shuffle[b.in] + b.out) & mask) == 0)
		b.out = (uint16_t)((b.out + 1) & mask);
	return b;
}

/* The machine frame of slot x, beyond the whole extents' slots. */
static uint64_t
left_mfn(const struct sim *s, uint64_t x)
{
	unsigned y = (unsigned)(x - s->nr_ext * SIM_EXTENT_FRAMES);

	do
		y = s->left[y];
	while (y >= s->nr_left);
	return y < s->nr_head ? s->reserved + y : s->tail_lo + (y - s->nr_head);
}

int
sim_frames_init(struct sim *s, struct pv_err *e)
{
	const uint64_t lo = (s->reserved + SIM_EXTENT_FRAMES - 1) &
	    ~(SIM_EXTENT_FRAMES - 1), hi = s->frames & ~(SIM_EXTENT_FRAMES - 1);
	uint64_t bits, j, key;

	if (hi > lo) {
		s->ext_lo = lo;
		s->nr_ext = (hi - lo) >> SIM_EXTENT_BITS;
		s->nr_head = lo - s->reserved;
		s->tail_lo = hi;
	} else {
		/* No whole extent: every frame is left over (under 1024). */
		s->ext_lo = s->reserved;
		s->nr_ext = 0;
		s->nr_head = s->frames - s->reserved;
		s->tail_lo = s->frames;
	}
	s->nr_left = s->frames - s->reserved - (s->nr_ext << SIM_EXTENT_BITS);
	for (bits = 2; (uint64_t)1 << bits < s->nr_ext; bits++)
		;
	s->perm_bits = (unsigned)bits;
	s->perm_hi_bits = (unsigned)bits / 2;
	s->perm_mask = ((uint64_t)1 << bits) - 1;
	/* A random shuffle has no run about one time in e: try again. */
	key = mix64(s->scatter ^ 0xbb67ae8584caa73bULL);
	do
		make_shuffle(s->shuffle, s->unshuffle, SIM_EXTENT_FRAMES, key++);
	while (has_run(s->shuffle));
	make_shuffle(s->left, s->unleft, SIM_LEFT_MAX,
	    mix64(s->scatter ^ 0x3c6ef372fe94f82bULL));
	/* The blocks of slots up to shared_info's that whole extents hold. */
	s->nr_blocks = (s->hv.nr_pages >> SIM_EXTENT_BITS) + 1;
	if (s->nr_blocks > s->nr_ext)
		s->nr_blocks = s->nr_ext;
	s->blocks = malloc((s->nr_blocks ? s->nr_blocks : 1) *
	    sizeof(*s->blocks));
	if (s->blocks == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
	for (j = 0; j < s->nr_blocks; j++)
		s->blocks[j] = block(s, j);
	s->hv.shared_info_mfn = sim_frames_slot(s, s->hv.nr_pages);
	return 0;
}

uint64_t
sim_frames_slot(const struct sim *s, uint64_t x)
{
	const struct sim_block *b;

	if (x >> SIM_EXTENT_BITS >= s->nr_blocks)
		return left_mfn(s, x);
	b = &s->blocks[x >> SIM_EXTENT_BITS];
	return b->mfn + in_extent(s, b, x & (SIM_EXTENT_FRAMES - 1));
}

void
sim_frames_slots(const struct sim *s, uint64_t x, uint64_t n, uint64_t *out)
{
	const struct sim_block *b;
	unsigned o, first;
	uint64_t run, k;

	for (; n > 0; x += run, out += run, n -= run) {
		first = x & (SIM_EXTENT_FRAMES - 1);
		run = SIM_EXTENT_FRAMES - first < n ? SIM_EXTENT_FRAMES - first :
		    n;
		if (x >> SIM_EXTENT_BITS >= s->nr_blocks) {
			for (k = 0; k < run; k++)
				out[k] = left_mfn(s, x + k);
			continue;
		}
		/* One block: its extent and rotations looked up once. */
		b = &s->blocks[x >> SIM_EXTENT_BITS];
		for (o = first; o < first + run; o++)
			out[o - first] = b->mfn + in_extent(s, b, o);
	}
}

uint64_t
sim_frames_owner(const struct sim *s, uint64_t m)
{
	struct sim_block b;
	uint64_t x, j;
	unsigned y;

	if (m < s->reserved || m >= s->frames)
		return UINT64_MAX;
	if (s->moved && m == s->moved_mfn)
		return s->moved_pfn;
	if (s->moved && m == s->moved_from)
		return UINT64_MAX;
	if (m >= s->ext_lo && m - s->ext_lo < s->nr_ext << SIM_EXTENT_BITS) {
		j = permute(s, (m - s->ext_lo) >> SIM_EXTENT_BITS, 1);
		b = block(s, j);
		y = (unsigned)(m - b.out) & (SIM_EXTENT_FRAMES - 1);
		x = j << SIM_EXTENT_BITS |
		    ((s->unshuffle[y] - b.in) & (SIM_EXTENT_FRAMES - 1));
	} else {
		y = (unsigned)(m < s->ext_lo ? m - s->reserved :
		    s->nr_head + (m - s->tail_lo));
		do
			y = s->unleft[y];
		while (y >= s->nr_left);
		x = (s->nr_ext << SIM_EXTENT_BITS) + y;
	}
	return x < s->hv.nr_pages ? x : UINT64_MAX;
}

/*
 * The entries of a whole extent, at `dst`, for places [0, last) of block b
 * (slots x onwards): the loop the m2p spends its time in, with the entry
 * size known to the compiler.
 */
static void
extent_m2p(const struct sim *s, const struct sim_block *b, uint64_t x,
    unsigned last, uint8_t *dst, unsigned w)
{
	const unsigned mask = SIM_EXTENT_FRAMES - 1, in = b->in, out = b->out;
	unsigned o;

	if (w == 8)
		for (o = 0; o < last; o++)
			hv_put_entry(dst + 8 * ((s->shuffle[(o + in) & mask] +
			    out) & mask), x + o, 8);
	else
		for (o = 0; o < last; o++)
			hv_put_entry(dst + 4 * ((s->shuffle[(o + in) & mask] +
			    out) & mask), x + o, 4);
}

/*
 * Entries [m0, m0 + n) of the machine-to-phys table, into buf (n entries
 * of `w` bytes); m0 and n are whole extents, or n runs to the machine's
 * end. A whole extent's entries are stored from its block of slots, all
 * within the extent's 4 KiB (or 2 KiB) of buf, which a block the domain
 * fills needs nothing else in; the few frames outside whole extents are
 * looked up one by one.
 */
void
sim_frames_m2p(const struct sim *s, uint64_t m0, uint64_t n, uint8_t *buf,
    unsigned w)
{
	const uint64_t end = m0 + n, nr_pages = s->hv.nr_pages;
	const uint64_t ext_hi = s->ext_lo + (s->nr_ext << SIM_EXTENT_BITS);
	uint64_t m, j, x;
	uint8_t *dst;
	unsigned last;

	for (m = m0; m < end; ) {
		dst = buf + (m - m0) * w;
		if (m < s->ext_lo || m >= ext_hi) {
			hv_put_entry(dst, sim_frames_owner(s, m), w);
			m++;
			continue;
		}
		/* An extent holding pfns holds a block the domain has. */
		j = permute(s, (m - s->ext_lo) >> SIM_EXTENT_BITS, 1);
		x = j << SIM_EXTENT_BITS;
		last = x >= nr_pages ? 0 : nr_pages - x < SIM_EXTENT_FRAMES ?
		    (unsigned)(nr_pages - x) : SIM_EXTENT_FRAMES;
		if (last < SIM_EXTENT_FRAMES)
			memset(dst, 0xff, (size_t)(SIM_EXTENT_FRAMES * w));
		if (last > 0)
			extent_m2p(s, &s->blocks[j], x, last, dst, w);
		m += SIM_EXTENT_FRAMES;
	}
	/* The PAE L3 moved below 4 GiB: its new frame, and its old one. */
	if (s->moved && s->moved_mfn >= m0 && s->moved_mfn < end)
		hv_put_entry(buf + (s->moved_mfn - m0) * w, s->moved_pfn, w);
	if (s->moved && s->moved_from >= m0 && s->moved_from < end)
		memset(buf + (s->moved_from - m0) * w, 0xff, w);
}
