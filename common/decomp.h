/* SPDX-License-Identifier: ISC */
/*
 * decomp.h: recognising and undoing the compressions a kernel image (or an
 * initrd) may come in, with the output bounded by a cap.
 */
#ifndef DECOMP_H
#define DECOMP_H

#include <stdint.h>

#include "pv.h"

enum decomp_kind {
	DECOMP_NONE,
	DECOMP_GZIP,	/* RFC 1952, members may be concatenated */
	DECOMP_BZIP2,	/* bzip2 streams, may be concatenated */
	DECOMP_XZ,	/* .xz streams, may be concatenated, with padding */
	DECOMP_LZMA,	/* the legacy .lzma ("alone") format */
	DECOMP_LZO,	/* lzop's container around LZO1X blocks */
	DECOMP_LZ4,	/* the LZ4 frame, or the legacy frame of lz4 -l */
	DECOMP_ZSTD,	/* Zstandard frames, may be concatenated */
};

/* The name a plan uses for a kind: "none", "gzip", ... "zstd". */
const char *decomp_name(enum decomp_kind);

/*
 * Which compression the `len` untrusted bytes at `in` start with, by magic
 * number; DECOMP_NONE when none matches.
 */
enum decomp_kind decomp_detect(const uint8_t *in, uint64_t len);

/*
 * Decompress all `len` untrusted bytes at `in` as `kind` (not DECOMP_NONE),
 * producing at most `cap` bytes and never allocating more than `cap` + 1.
 * Data left after the last stream is refused. `what` starts every message
 * ("FILE" or "FILE: bzImage payload ..."). Returns 0 with the output in
 * `*out` (free it) and its length in `*outlen`, or -1 with `e` filled:
 * PV_EXIT_INPUT for bad or truncated data and for output past the cap,
 * PV_EXIT_SYSTEM when memory runs out.
 */
int decomp_run(enum decomp_kind kind, const char *what, const uint8_t *in,
    uint64_t len, uint64_t cap, uint8_t **out, uint64_t *outlen,
    struct pv_err *e);

/*
 * A tap sees the output while it is made: `fn` gets every byte once, in
 * order, in pieces of about a MiB as the stream goes on and the rest when
 * it ends well. What it gets is valid only during the call. A stream that
 * fails may have handed on part of its output first.
 */
struct decomp_tap {
	void (*fn)(void *arg, const uint8_t *p, size_t n);
	void *arg;
};

/*
 * decomp_run, with `tap` (NULL: none) shown the output, and the output
 * (and liblzma's dictionary) in memory made present on a thread ahead of
 * the decoder (ahead.h), in huge pages where the kernel gives them: what
 * the programs use. The output is freed with bigbuf_free. decomp_run
 * itself decompresses into malloc's memory, as a plain user of the
 * library does: the bench's floor (tests/bench/floor.c).
 */
int decomp_run_tap(enum decomp_kind kind, const char *what, const uint8_t *in,
    uint64_t len, uint64_t cap, const struct decomp_tap *tap, uint8_t **out,
    uint64_t *outlen, struct pv_err *e);

#endif
