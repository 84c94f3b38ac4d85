/* SPDX-License-Identifier: ISC */
/*
 * decomp.c: capped decompression of gzip, bzip2, xz, lzma, lzo (lzop), lz4
 * and zstd data through Debian's libraries.
 *
 * The seed sized its buffer from the gzip trailer and trusted it; here a
 * size field in the data is at most a first guess at the buffer size. Every
 * decompressor writes into one output buffer that grows geometrically and
 * never past cap + 1 bytes: reaching the cap + 1st byte is what tells a
 * stream that decompresses past the cap. Where a library does not read the
 * container (lzop, the legacy lz4 frame), the container is parsed here, each
 * field read through pv_inside().
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>
#include <bzlib.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <lz4.h>
#include <lz4frame.h>
#include <zstd.h>

#include "ahead.h"
#include "bigbuf.h"
#include "decomp.h"

/* The memory liblzma may use for the decoder's dictionary and state. */
#define DECOMP_LZMA_MEMLIMIT ((uint64_t)256 << 20)

/*
 * Input handed to a streaming decoder at a time where it would take it all
 * at once, so that the offset an error is reported at is near its cause.
 */
#define DECOMP_IN_CHUNK 512

/* The first allocation when the data gives no usable size hint. */
#define DECOMP_FIRST_ALLOC ((uint64_t)64 << 10)

/* Deflate cannot expand one input byte into more than 1032 output bytes. */
#define DEFLATE_MAX_RATIO 1032

static const char *const names[] = {
	[DECOMP_NONE] = "none",
	[DECOMP_GZIP] = "gzip",
	[DECOMP_BZIP2] = "bzip2",
	[DECOMP_XZ] = "xz",
	[DECOMP_LZMA] = "lzma",
	[DECOMP_LZO] = "lzo",
	[DECOMP_LZ4] = "lz4",
	[DECOMP_ZSTD] = "zstd",
};

const char *
decomp_name(enum decomp_kind kind)
{
	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[kind];
}

/* Magic numbers, from each format's specification. */
static const uint8_t gzip_magic[] = { 0x1f, 0x8b };
static const uint8_t bzip2_magic[] = { 'B', 'Z', 'h' };
static const uint8_t xz_magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
/* .lzma: properties byte 0x5d (lc=3, lp=0, pb=2), a dictionary size that is
 * a multiple of 64 KiB. Linux and xz(1) write it so. */
static const uint8_t lzma_magic[] = { 0x5d, 0x00, 0x00 };
static const uint8_t lzop_magic[] = { 0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a,
	0x1a, 0x0a };
static const uint8_t lz4_magic[] = { 0x04, 0x22, 0x4d, 0x18 };
static const uint8_t lz4_legacy_magic[] = { 0x02, 0x21, 0x4c, 0x18 };
static const uint8_t zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK ((uint64_t)8 << 20)

static int
starts_with(const uint8_t *in, uint64_t len, const uint8_t *magic, size_t n)
{
	return pv_inside(0, n, len) && memcmp(in, magic, n) == 0;
}

enum decomp_kind
decomp_detect(const uint8_t *in, uint64_t len)
{
	if (starts_with(in, len, gzip_magic, sizeof(gzip_magic)))
		return DECOMP_GZIP;
	if (starts_with(in, len, bzip2_magic, sizeof(bzip2_magic)) &&
	    pv_inside(3, 1, len) && in[3] >= '1' && in[3] <= '9')
		return DECOMP_BZIP2;
	if (starts_with(in, len, xz_magic, sizeof(xz_magic)))
		return DECOMP_XZ;
	if (starts_with(in, len, lzma_magic, sizeof(lzma_magic)))
		return DECOMP_LZMA;
	if (starts_with(in, len, lzop_magic, sizeof(lzop_magic)))
		return DECOMP_LZO;
	if (starts_with(in, len, lz4_magic, sizeof(lz4_magic)) ||
	    starts_with(in, len, lz4_legacy_magic, sizeof(lz4_legacy_magic)))
		return DECOMP_LZ4;
	if (starts_with(in, len, zstd_magic, sizeof(zstd_magic)))
		return DECOMP_ZSTD;
	return DECOMP_NONE;
}

/*
 * The output buffer: `len` bytes produced into `size` allocated, `size`
 * never above `limit` (cap + 1). A buffer made ready (decomp_run_tap) is
 * address space for the whole limit from the start, never moved, and its
 * pages, with those of the decoder's dictionary, are made present on a
 * thread ahead of the decoder (ahead.h).
 */
struct obuf {
	uint8_t *p;
	uint64_t len, size, limit, cap;
	const char *what;
	const struct decomp_tap *tap;	/* or NULL */
	uint64_t tapped;		/* bytes handed to the tap */
	int ready;			/* p from bigbuf_reserve */
	struct ahead *ahead;		/* or NULL */
};

/* The smallest of the decoder's allocations made present ahead of it. */
#define DECOMP_AHEAD_MIN ((size_t)1 << 20)
/* Output handed to a tap at a time, while the stream goes on. */
#define DECOMP_TAP_STEP ((uint64_t)1 << 20)

/* The output not yet handed to the tap, handed on. */
static void
ob_tap(struct obuf *ob)
{
	if (ob->tap != NULL && ob->len > ob->tapped) {
		ob->tap->fn(ob->tap->arg, ob->p + ob->tapped,
		    (size_t)(ob->len - ob->tapped));
		ob->tapped = ob->len;
	}
}

static int
past_cap(const struct obuf *ob, struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_INPUT, "%s: decompresses past the cap of "
	    "%llu bytes", ob->what, (unsigned long long)ob->cap);
}

static int
out_of_memory(const struct obuf *ob, struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory decompressing "
	    "(%llu bytes)", ob->what, (unsigned long long)ob->size);
}

static int
truncated(const struct obuf *ob, enum decomp_kind kind, uint64_t off,
    struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_INPUT, "%s: %s stream truncated at input "
	    "offset %llu, after %llu bytes of output", ob->what,
	    decomp_name(kind), (unsigned long long)off,
	    (unsigned long long)ob->len);
}

static int
corrupt(const struct obuf *ob, enum decomp_kind kind, uint64_t off,
    const char *why, struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_INPUT, "%s: corrupt %s data at input offset "
	    "%llu: %s", ob->what, decomp_name(kind), (unsigned long long)off,
	    why);
}

static int
trailing(const struct obuf *ob, enum decomp_kind kind, uint64_t left,
    struct pv_err *e)
{
	return pv_fail(e, PV_EXIT_INPUT, "%s: %llu bytes of trailing data "
	    "after the %s stream", ob->what, (unsigned long long)left,
	    decomp_name(kind));
}

static int
ob_init(struct obuf *ob, const char *what, uint64_t cap, uint64_t hint,
    int ready, struct pv_err *e)
{
	memset(ob, 0, sizeof(*ob));
	ob->what = what;
	ob->cap = cap;
	ob->limit = cap < UINT64_MAX ? cap + 1 : cap;
	if (ob->limit > SIZE_MAX)
		ob->limit = SIZE_MAX;
	if (ready && (ob->p = bigbuf_reserve((size_t)ob->limit)) != NULL) {
		ob->ready = 1;
		ob->size = ob->limit;
		if ((ob->ahead = ahead_start()) != NULL)
			ahead_add(ob->ahead, ob->p, (size_t)ob->size);
		return 0;
	}
	ob->size = hint < DECOMP_FIRST_ALLOC ? DECOMP_FIRST_ALLOC : hint + 1;
	if (ob->size > ob->limit)
		ob->size = ob->limit;
	if ((ob->p = malloc((size_t)ob->size)) == NULL)
		return out_of_memory(ob, e);
	return 0;
}

/*
 * Make room for at least `want` more bytes, doubling the buffer and
 * stopping at the limit. Asking for room past the limit means the output
 * would pass the cap.
 */
static int
ob_room(struct obuf *ob, uint64_t want, struct pv_err *e)
{
	uint64_t need, nsize;
	uint8_t *np;

	/* Every decoder asks for room before each step: the place to hand
	 * on what the steps before made. */
	if (ob->len - ob->tapped >= DECOMP_TAP_STEP)
		ob_tap(ob);
	ahead_progress(ob->ahead, (size_t)ob->len);
	if (want <= ob->size - ob->len)
		return 0;
	if (pv_add(ob->len, want, &need) || need > ob->limit)
		return past_cap(ob, e);
	nsize = ob->size > ob->limit / 2 ? ob->limit : ob->size * 2;
	if (nsize < need)
		nsize = need;
	if ((np = realloc(ob->p, (size_t)nsize)) == NULL)
		return out_of_memory(ob, e);
	ob->p = np;
	ob->size = nsize;
	return 0;
}

/* Room for the next step of a streaming decoder: at least one byte. */
static int
ob_more(struct obuf *ob, struct pv_err *e)
{
	return ob_room(ob, 1, e);
}

static uint64_t
ob_free(const struct obuf *ob)
{
	/*
	 * With a tap, a decoder is given at most a step of room at a time,
	 * so that its output goes to the tap as it is made. Given the whole
	 * buffer, liblzma fills it before it returns: tens of MiB at once,
	 * which the tap's thread (a hash, slower than the decompression
	 * where the processor has no SHA instructions) then takes while the
	 * decoder waits for room in its queue, the two in turn rather than
	 * side by side.
	 */
	if ((ob->tap != NULL || ob->ahead != NULL) &&
	    ob->size - ob->len > DECOMP_TAP_STEP)
		return DECOMP_TAP_STEP;
	return ob->size - ob->len;
}

static unsigned
clamp_uint(uint64_t v)
{
	return v > UINT_MAX ? UINT_MAX : (unsigned)v;
}

/*
 * gzip (RFC 1952): concatenated members are accepted, as gzip(1) does;
 * anything else after the last member is refused.
 */
static int
gunzip(const uint8_t *in, uint64_t len, struct obuf *ob, struct pv_err *e)
{
	z_stream zs;
	uint64_t pos, left;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: zlib: cannot start",
		    ob->what);
	zs.next_in = in;
	for (;;) {
		if (ob_more(ob, e) < 0)
			goto fail;
		pos = (uint64_t)(zs.next_in - in);
		zs.next_out = ob->p + ob->len;
		zs.avail_out = clamp_uint(ob_free(ob));
		zs.avail_in = clamp_uint(len - pos);
		rc = inflate(&zs, Z_NO_FLUSH);
		ob->len = (uint64_t)(zs.next_out - ob->p);
		pos = (uint64_t)(zs.next_in - in);
		if (rc == Z_STREAM_END) {
			left = len - pos;
			if (left == 0)
				break;
			if (starts_with(zs.next_in, left, gzip_magic,
			    sizeof(gzip_magic))) {
				inflateReset(&zs);
				continue;
			}
			trailing(ob, DECOMP_GZIP, left, e);
			goto fail;
		}
		if (rc == Z_OK)
			continue;
		if (rc == Z_BUF_ERROR && pos == len && zs.avail_out > 0) {
			truncated(ob, DECOMP_GZIP, pos, e);
			goto fail;
		}
		if (rc == Z_BUF_ERROR)
			continue;	/* output full: grow and go on */
		if (rc == Z_MEM_ERROR) {
			out_of_memory(ob, e);
			goto fail;
		}
		corrupt(ob, DECOMP_GZIP, pos, zs.msg != NULL ? zs.msg :
		    "inflate failed", e);
		goto fail;
	}
	inflateEnd(&zs);
	return 0;
fail:
	inflateEnd(&zs);
	return -1;
}

static const char *
bzip2_error(int rc)
{
	switch (rc) {
	case BZ_DATA_ERROR:
		return "bad block data or checksum";
	case BZ_DATA_ERROR_MAGIC:
		return "bad stream magic";
	case BZ_PARAM_ERROR:
		return "bad parameters";
	default:
		return "decompression failed";
	}
}

/* bzip2: concatenated streams are accepted, as bzip2(1) does. */
static int
bunzip2(const uint8_t *in, uint64_t len, struct obuf *ob, struct pv_err *e)
{
	bz_stream bs;
	uint64_t pos = 0, room;
	unsigned avail_in;
	int rc;

	for (;;) {
		memset(&bs, 0, sizeof(bs));
		if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK)
			return pv_fail(e, PV_EXIT_SYSTEM, "%s: libbz2: cannot "
			    "start", ob->what);
		for (;;) {
			if (ob_more(ob, e) < 0)
				goto fail;
			avail_in = clamp_uint(len - pos);
			room = ob_free(ob);
			/* libbz2 takes non-const pointers but does not write
			 * through next_in. */
			bs.next_in = (char *)(uintptr_t)(in + pos);
			bs.avail_in = avail_in;
			bs.next_out = (char *)(ob->p + ob->len);
			bs.avail_out = clamp_uint(room);
			rc = BZ2_bzDecompress(&bs);
			pos += avail_in - bs.avail_in;
			ob->len += clamp_uint(room) - bs.avail_out;
			if (rc == BZ_STREAM_END)
				break;
			if (rc == BZ_OK) {
				if (pos == len && bs.avail_out > 0) {
					truncated(ob, DECOMP_BZIP2, pos, e);
					goto fail;
				}
				continue;
			}
			if (rc == BZ_MEM_ERROR) {
				out_of_memory(ob, e);
				goto fail;
			}
			corrupt(ob, DECOMP_BZIP2, pos, bzip2_error(rc), e);
			goto fail;
		}
		BZ2_bzDecompressEnd(&bs);
		if (pos == len)
			return 0;
		if (decomp_detect(in + pos, len - pos) != DECOMP_BZIP2)
			return trailing(ob, DECOMP_BZIP2, len - pos, e);
	}
fail:
	BZ2_bzDecompressEnd(&bs);
	return -1;
}

static const char *
lzma_error(lzma_ret rc)
{
	switch (rc) {
	case LZMA_FORMAT_ERROR:
		return "not in the expected format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "bad compressed data";
	case LZMA_MEMLIMIT_ERROR:
		return "needs more than 256 MiB of memory to decode";
	default:
		return "decompression failed";
	}
}

/*
 * Skip xz stream padding (.xz file format 2.2: null bytes, a multiple of
 * four) after a stream ending at `pos`; returns where the padding ends, or
 * `pos` when what follows is not padding.
 */
static uint64_t
xz_padding(const uint8_t *in, uint64_t len, uint64_t pos)
{
	uint64_t end = pos;

	while (pv_inside(end, 4, len) && pv_get32(in + end) == 0)
		end += 4;
	return end;
}

/*
 * liblzma's memory, for a buffer made ready: its dictionary (32 MiB for
 * Linux's xz) is written as the output is, so it is made present ahead
 * of the decoder too, in huge pages where the kernel gives them.
 */
static void *
lzma_ready_alloc(void *arg, size_t nmemb, size_t size)
{
	struct obuf *ob = arg;
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	/* The decoder's small pieces are left to malloc and to faults. */
	if ((p = bigbuf_alloc(nmemb * size)) != NULL &&
	    nmemb * size >= DECOMP_AHEAD_MIN)
		ahead_add(ob->ahead, p, nmemb * size);
	return p;
}

static void
lzma_ready_free(void *arg, void *p)
{
	struct obuf *ob = arg;

	ahead_forget(ob->ahead, p);
	bigbuf_free(p);
}

/*
 * xz (concatenated streams and stream padding accepted, as xz(1) does) and
 * the legacy .lzma format (one stream), both through liblzma. Streams are
 * started here one by one, so that data after the last one is named as
 * trailing data rather than taken for a truncated stream.
 */
static int
unlzma(enum decomp_kind kind, const uint8_t *in, uint64_t len,
    struct obuf *ob, struct pv_err *e)
{
	lzma_stream ls = LZMA_STREAM_INIT;
	lzma_allocator ready = { lzma_ready_alloc, lzma_ready_free, ob };
	lzma_ret rc;
	uint64_t room, pos = 0, at;

	if (ob->ready)
		ls.allocator = &ready;
	for (;;) {
		if (kind == DECOMP_XZ)
			rc = lzma_stream_decoder(&ls, DECOMP_LZMA_MEMLIMIT, 0);
		else
			rc = lzma_alone_decoder(&ls, DECOMP_LZMA_MEMLIMIT);
		if (rc != LZMA_OK)
			return pv_fail(e, PV_EXIT_SYSTEM, "%s: liblzma: cannot "
			    "start", ob->what);
		/* All the input is there, so LZMA_FINISH throughout. */
		ls.next_in = in + pos;
		ls.avail_in = (size_t)(len - pos);
		for (;;) {
			if (ob_more(ob, e) < 0)
				goto fail;
			room = ob_free(ob);
			ls.next_out = ob->p + ob->len;
			ls.avail_out = (size_t)room;
			rc = lzma_code(&ls, LZMA_FINISH);
			ob->len += room - ls.avail_out;
			at = pos + ls.total_in;
			if (rc == LZMA_STREAM_END)
				break;
			if (rc == LZMA_OK ||
			    (rc == LZMA_BUF_ERROR && ls.avail_out == 0))
				continue;
			if (rc == LZMA_BUF_ERROR)
				truncated(ob, kind, at, e);
			else if (rc == LZMA_MEM_ERROR)
				out_of_memory(ob, e);
			else
				corrupt(ob, kind, at, lzma_error(rc), e);
			goto fail;
		}
		pos = at;
		if (kind == DECOMP_XZ)
			pos = xz_padding(in, len, pos);
		lzma_end(&ls);
		if (pos == len)
			return 0;
		if (kind != DECOMP_XZ ||
		    decomp_detect(in + pos, len - pos) != DECOMP_XZ)
			return trailing(ob, kind, len - pos, e);
	}
fail:
	lzma_end(&ls);
	return -1;
}

/*
 * lzop's container (lzop 1.04, "lzop file format"): magic; version, library
 * version, [version needed, 0x0940+]; method; [level, 0x0940+]; flags;
 * [filter]; mode; mtime low, [mtime high, 0x0940+]; name length and name;
 * header checksum; [extra field]. Then blocks of uncompressed length (0 ends
 * the stream), compressed length, the checksums the flags ask for, and the
 * data, stored as is when both lengths are equal. Numbers are big-endian.
 */
#define LZOP_F_ADLER32_D 0x0001u
#define LZOP_F_ADLER32_C 0x0002u
#define LZOP_F_H_EXTRA_FIELD 0x0040u
#define LZOP_F_CRC32_D 0x0100u
#define LZOP_F_CRC32_C 0x0200u
#define LZOP_F_H_FILTER 0x0800u
#define LZOP_F_H_CRC32 0x1000u
#define LZOP_M_LZO1X_1 1
#define LZOP_M_LZO1X_1_15 2
#define LZOP_M_LZO1X_999 3
/* lzop refuses blocks larger than this. */
#define LZOP_MAX_BLOCK ((uint64_t)64 << 20)

/* A cursor over untrusted bytes: every read is range-checked. */
struct cursor {
	const uint8_t *in;
	uint64_t len, pos;
};

static int
cur_take(struct cursor *c, uint64_t n, const uint8_t **p)
{
	if (!pv_inside(c->pos, n, c->len))
		return -1;
	*p = c->in + c->pos;
	c->pos += n;
	return 0;
}

static int
cur_be(struct cursor *c, unsigned bytes, uint32_t *v)
{
	const uint8_t *p;
	unsigned i;

	if (cur_take(c, bytes, &p) < 0)
		return -1;
	for (*v = 0, i = 0; i < bytes; i++)
		*v = *v << 8 | p[i];
	return 0;
}

static uint32_t
lzop_check(int crc, const uint8_t *p, uint64_t n)
{
	return crc ? (uint32_t)crc32(0, p, (uInt)n) :
	    (uint32_t)adler32(1, p, (uInt)n);
}

static int
lzop_header(struct cursor *c, uint32_t *flags, struct obuf *ob,
    struct pv_err *e)
{
	uint32_t version, v, method, namelen, sum, extra;
	const uint8_t *p;
	uint64_t start;

	c->pos = sizeof(lzop_magic);
	start = c->pos;
	if (cur_be(c, 2, &version) < 0 || cur_be(c, 2, &v) < 0 ||
	    (version >= 0x0940 && cur_be(c, 2, &v) < 0) ||
	    cur_be(c, 1, &method) < 0 ||
	    (version >= 0x0940 && cur_be(c, 1, &v) < 0) ||
	    cur_be(c, 4, flags) < 0)
		return truncated(ob, DECOMP_LZO, c->len, e);
	if (version < 0x0900)
		return corrupt(ob, DECOMP_LZO, sizeof(lzop_magic), "lzop "
		    "format version too old", e);
	if (method != LZOP_M_LZO1X_1 && method != LZOP_M_LZO1X_1_15 &&
	    method != LZOP_M_LZO1X_999)
		return pv_fail(e, PV_EXIT_INPUT, "%s: lzop method %u is not "
		    "LZO1X, which is all this reads", ob->what, method);
	if (*flags & LZOP_F_H_FILTER)
		return pv_fail(e, PV_EXIT_INPUT, "%s: lzop filters are not "
		    "supported", ob->what);
	if (cur_be(c, 4, &v) < 0 || cur_be(c, 4, &v) < 0 ||
	    (version >= 0x0940 && cur_be(c, 4, &v) < 0) ||
	    cur_be(c, 1, &namelen) < 0 || cur_take(c, namelen, &p) < 0)
		return truncated(ob, DECOMP_LZO, c->len, e);
	v = lzop_check(*flags & LZOP_F_H_CRC32, c->in + start, c->pos - start);
	if (cur_be(c, 4, &sum) < 0)
		return truncated(ob, DECOMP_LZO, c->len, e);
	if (sum != v)
		return corrupt(ob, DECOMP_LZO, c->pos - 4, "header checksum "
		    "mismatch", e);
	if (*flags & LZOP_F_H_EXTRA_FIELD) {
		if (cur_be(c, 4, &extra) < 0 || cur_take(c, extra, &p) < 0 ||
		    cur_be(c, 4, &sum) < 0)
			return truncated(ob, DECOMP_LZO, c->len, e);
	}
	return 0;
}

static int
unlzop(const uint8_t *in, uint64_t len, struct obuf *ob, struct pv_err *e)
{
	struct cursor c = { in, len, 0 };
	uint32_t flags = 0, dlen, clen, dsum = 0, dcrc = 0, csum = 0, ccrc = 0;
	uint64_t block;
	const uint8_t *src;
	lzo_uint n;
	int rc;

	if (lzo_init() != LZO_E_OK)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: liblzo2: cannot start",
		    ob->what);
	if (lzop_header(&c, &flags, ob, e) < 0)
		return -1;
	for (;;) {
		block = c.pos;
		if (cur_be(&c, 4, &dlen) < 0)
			return truncated(ob, DECOMP_LZO, c.len, e);
		if (dlen == 0)
			break;
		if (cur_be(&c, 4, &clen) < 0 ||
		    ((flags & LZOP_F_ADLER32_D) && cur_be(&c, 4, &dsum) < 0) ||
		    ((flags & LZOP_F_CRC32_D) && cur_be(&c, 4, &dcrc) < 0) ||
		    (clen < dlen && (flags & LZOP_F_ADLER32_C) &&
		    cur_be(&c, 4, &csum) < 0) ||
		    (clen < dlen && (flags & LZOP_F_CRC32_C) &&
		    cur_be(&c, 4, &ccrc) < 0))
			return truncated(ob, DECOMP_LZO, c.len, e);
		if (dlen > LZOP_MAX_BLOCK || clen == 0 || clen > dlen)
			return corrupt(ob, DECOMP_LZO, block, "bad block "
			    "lengths", e);
		if (cur_take(&c, clen, &src) < 0)
			return truncated(ob, DECOMP_LZO, c.len, e);
		if (ob_room(ob, dlen, e) < 0)
			return -1;
		if (clen < dlen) {
			if (((flags & LZOP_F_ADLER32_C) &&
			    lzop_check(0, src, clen) != csum) ||
			    ((flags & LZOP_F_CRC32_C) &&
			    lzop_check(1, src, clen) != ccrc))
				return corrupt(ob, DECOMP_LZO, block,
				    "compressed block checksum mismatch", e);
			n = dlen;
			/* liblzo2 takes a non-const source it does not
			 * write. */
			rc = lzo1x_decompress_safe((lzo_bytep)(uintptr_t)src,
			    clen, ob->p + ob->len, &n, NULL);
			if (rc != LZO_E_OK || n != dlen)
				return corrupt(ob, DECOMP_LZO, block,
				    "bad LZO1X block", e);
		} else {
			memcpy(ob->p + ob->len, src, dlen);
		}
		if (((flags & LZOP_F_ADLER32_D) &&
		    lzop_check(0, ob->p + ob->len, dlen) != dsum) ||
		    ((flags & LZOP_F_CRC32_D) &&
		    lzop_check(1, ob->p + ob->len, dlen) != dcrc))
			return corrupt(ob, DECOMP_LZO, block, "block checksum "
			    "mismatch", e);
		ob->len += dlen;
	}
	if (c.pos != len)
		return trailing(ob, DECOMP_LZO, len - c.pos, e);
	return 0;
}

/*
 * The legacy lz4 frame (lz4 -l, Linux's lz4 payloads): the magic, then
 * blocks of a little-endian compressed size and the data, each block
 * decompressing to at most 8 MiB. There is no end mark: the input ends the
 * stream, and a size equal to the magic starts a new frame.
 */
static int
unlz4_legacy(const uint8_t *in, uint64_t len, struct obuf *ob,
    struct pv_err *e)
{
	struct cursor c = { in, len, sizeof(lz4_legacy_magic) };
	const uint8_t *p, *src;
	uint64_t block, room;
	uint32_t clen;
	int n;

	while (c.pos < len) {
		block = c.pos;
		if (cur_take(&c, 4, &p) < 0)
			return truncated(ob, DECOMP_LZ4, len, e);
		clen = (uint32_t)pv_get32(p);
		if (clen == LZ4_LEGACY_MAGIC)
			continue;
		if (clen == 0 ||
		    clen > (uint32_t)LZ4_compressBound((int)LZ4_LEGACY_BLOCK))
			return corrupt(ob, DECOMP_LZ4, block, "bad legacy "
			    "block size", e);
		if (cur_take(&c, clen, &src) < 0)
			return truncated(ob, DECOMP_LZ4, len, e);
		/* A whole block's worth of room, or up to the limit. */
		room = ob->limit - ob->len;
		if (room > LZ4_LEGACY_BLOCK)
			room = LZ4_LEGACY_BLOCK;
		if (room == 0)
			return past_cap(ob, e);
		if (ob_room(ob, room, e) < 0)
			return -1;
		n = LZ4_decompress_safe((const char *)src,
		    (char *)(ob->p + ob->len), (int)clen, (int)room);
		if (n < 0 && room < LZ4_LEGACY_BLOCK &&
		    LZ4_decompress_safe_partial((const char *)src,
		    (char *)(ob->p + ob->len), (int)clen, (int)room,
		    (int)room) == (int)room)
			return past_cap(ob, e);
		if (n < 0)
			return corrupt(ob, DECOMP_LZ4, block, "bad legacy "
			    "block", e);
		ob->len += (uint64_t)n;
	}
	return 0;
}

/* The LZ4 frame format, frames possibly concatenated, through LZ4F. */
static int
unlz4_frame(const uint8_t *in, uint64_t len, struct obuf *ob,
    struct pv_err *e)
{
	LZ4F_dctx *dc;
	uint64_t pos = 0;
	size_t r = 1, src, dst, room;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&dc, LZ4F_VERSION)))
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: liblz4: cannot start",
		    ob->what);
	while (pos < len || r != 0) {
		if (ob_more(ob, e) < 0)
			goto fail;
		src = (size_t)(len - pos < DECOMP_IN_CHUNK ? len - pos :
		    DECOMP_IN_CHUNK);
		room = dst = (size_t)ob_free(ob);
		r = LZ4F_decompress(dc, ob->p + ob->len, &dst, in + pos, &src,
		    NULL);
		if (LZ4F_isError(r)) {
			/* The fault lies in the chunk that starts at pos. */
			corrupt(ob, DECOMP_LZ4, pos, LZ4F_getErrorName(r), e);
			goto fail;
		}
		pos += src;
		ob->len += dst;
		if (r != 0 && pos == len && dst < room) {
			truncated(ob, DECOMP_LZ4, pos, e);
			goto fail;
		}
	}
	LZ4F_freeDecompressionContext(dc);
	return 0;
fail:
	LZ4F_freeDecompressionContext(dc);
	return -1;
}

/* Zstandard frames, possibly concatenated, skippable frames skipped. */
static int
unzstd(const uint8_t *in, uint64_t len, struct obuf *ob, struct pv_err *e)
{
	ZSTD_DStream *ds;
	ZSTD_inBuffer ib = { in, 0, 0 };
	ZSTD_outBuffer out;
	size_t r = 1, at;

	if ((ds = ZSTD_createDStream()) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: libzstd: cannot start",
		    ob->what);
	while (ib.pos < len || r != 0) {
		if (ob_more(ob, e) < 0)
			goto fail;
		at = ib.pos;
		ib.size = (size_t)(len - at < DECOMP_IN_CHUNK ? len :
		    at + DECOMP_IN_CHUNK);
		out.dst = ob->p + ob->len;
		out.size = (size_t)ob_free(ob);
		out.pos = 0;
		r = ZSTD_decompressStream(ds, &out, &ib);
		ob->len += out.pos;
		if (ZSTD_isError(r)) {
			/* The fault lies in the chunk that starts at `at`. */
			corrupt(ob, DECOMP_ZSTD, at, ZSTD_getErrorName(r), e);
			goto fail;
		}
		if (r != 0 && ib.pos == len && out.pos < out.size) {
			truncated(ob, DECOMP_ZSTD, ib.pos, e);
			goto fail;
		}
	}
	ZSTD_freeDStream(ds);
	return 0;
fail:
	ZSTD_freeDStream(ds);
	return -1;
}

static int
run(enum decomp_kind kind, const char *what, const uint8_t *in, uint64_t len,
    uint64_t cap, int ready, const struct decomp_tap *tap, uint8_t **out,
    uint64_t *outlen, struct pv_err *e)
{
	struct obuf ob;
	uint64_t hint = 0;
	int rc;

	if (len > SIZE_MAX)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: too large", what);
	/* The gzip size trailer (ISIZE) is a hint for the first allocation,
	 * no more, and no larger than deflate could produce. */
	if (kind == DECOMP_GZIP && pv_inside(0, 4, len)) {
		hint = pv_get32(in + len - 4);
		if (hint / DEFLATE_MAX_RATIO > len)
			hint = 0;
	}
	if (ob_init(&ob, what, cap, hint, ready, e) < 0)
		return -1;
	ob.tap = tap;
	switch (kind) {
	case DECOMP_GZIP:
		rc = gunzip(in, len, &ob, e);
		break;
	case DECOMP_BZIP2:
		rc = bunzip2(in, len, &ob, e);
		break;
	case DECOMP_XZ:
	case DECOMP_LZMA:
		rc = unlzma(kind, in, len, &ob, e);
		break;
	case DECOMP_LZO:
		rc = unlzop(in, len, &ob, e);
		break;
	case DECOMP_LZ4:
		if (starts_with(in, len, lz4_legacy_magic,
		    sizeof(lz4_legacy_magic)))
			rc = unlz4_legacy(in, len, &ob, e);
		else
			rc = unlz4_frame(in, len, &ob, e);
		break;
	case DECOMP_ZSTD:
		rc = unzstd(in, len, &ob, e);
		break;
	default:
		rc = pv_fail(e, PV_EXIT_SYSTEM, "%s: no decompressor for %s",
		    what, decomp_name(kind));
		break;
	}
	/* Filling the last byte of the limit means the stream went past the
	 * cap, even when it ended there. */
	if (rc == 0 && ob.len > cap)
		rc = past_cap(&ob, e);
	ahead_stop(ob.ahead);
	if (rc < 0) {
		bigbuf_free(ob.p);
		return -1;
	}
	ob_tap(&ob);
	*out = ob.p;
	*outlen = ob.len;
	return 0;
}

int
decomp_run(enum decomp_kind kind, const char *what, const uint8_t *in,
    uint64_t len, uint64_t cap, uint8_t **out, uint64_t *outlen,
    struct pv_err *e)
{
	return run(kind, what, in, len, cap, 0, NULL, out, outlen, e);
}

int
decomp_run_tap(enum decomp_kind kind, const char *what, const uint8_t *in,
    uint64_t len, uint64_t cap, const struct decomp_tap *tap, uint8_t **out,
    uint64_t *outlen, struct pv_err *e)
{
	return run(kind, what, in, len, cap, 1, tap, out, outlen, e);
}
