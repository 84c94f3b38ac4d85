/* SPDX-License-Identifier: ISC */
/*
 * img.c: whole-file reads, hashing, and finding the data in a file: the
 * file itself, the file decompressed, or a bzImage's payload (bzimage.c),
 * decompressed when it is compressed (decomp.c, always under a cap).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bigbuf.h"
#include "bzimage.h"
#include "decomp.h"
#include "digest.h"
#include "img.h"

/*
 * Open `path` with `flags`, with the caller's rights or, for IMG_AS_ANYONE,
 * with those of a user who owns nothing and belongs to no group (nobody,
 * without supplementary groups): a file that opens so is one every user of
 * the machine may read. The file-system ids and the groups are the calling
 * thread's own (the raw system calls, not glibc's wrappers, which would
 * change every thread's), and they are put back before returning. A
 * process that is not root opens the file with its own rights, which are
 * then no more than any user's it could borrow. Returns the descriptor,
 * -1 with errno when the open fails, or -2 with `e` set when the rights
 * could not be changed or put back.
 */
static int
open_as(const char *path, int flags, enum img_trust trust, struct pv_err *e)
{
	const uid_t nobody = 65534;
	uid_t uid;
	gid_t gid, *groups;
	int n, fd, err;

	if (trust == IMG_AS_CALLER || geteuid() != 0)
		return open(path, flags);
	uid = (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
	gid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
	if ((n = getgroups(0, NULL)) < 0 ||
	    (groups = malloc(((size_t)n + 1) * sizeof(*groups))) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: cannot save the groups: %s",
		    path, strerror(errno));
		return -2;
	}
	if ((n = getgroups(n, groups)) < 0 ||
	    syscall(SYS_setgroups, 0, NULL) < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: cannot drop the groups: %s",
		    path, strerror(errno));
		free(groups);
		return -2;
	}
	syscall(SYS_setfsgid, nobody);
	syscall(SYS_setfsuid, nobody);
	fd = open(path, flags);
	err = errno;
	syscall(SYS_setfsuid, uid);
	syscall(SYS_setfsgid, gid);
	if (syscall(SYS_setgroups, (size_t)n, groups) < 0 ||
	    (uid_t)syscall(SYS_setfsuid, (uid_t)-1) != uid) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: cannot put the rights back: "
		    "%s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(groups);
		return -2;
	}
	free(groups);
	errno = err;
	return fd;
}

/* An open_as that failed, as a message: why, and what the rule is. */
static int
open_failed(const char *path, int rc, enum img_trust trust, struct pv_err *e)
{
	if (rc == -2)
		return -1;
	if (trust == IMG_AS_ANYONE && (errno == EACCES || errno == EPERM))
		return pv_fail(e, PV_EXIT_INPUT, "%s: not readable by every "
		    "user, and not named on the command line (finalize reads "
		    "such a file only when it is named there)", path);
	return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path, strerror(errno));
}

int
img_open_as(const char *path, int flags, enum img_trust trust,
    struct pv_err *e)
{
	int fd, err;

	if ((fd = open_as(path, flags, trust, e)) < 0) {
		err = errno;
		open_failed(path, fd, trust, e);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Open a regular file for reading. O_NONBLOCK, so that a FIFO returns at
 * once instead of waiting for a writer, and O_NOCTTY; what is not a
 * regular file is refused before a byte is read. Returns the descriptor,
 * or -1 with `e` set.
 */
static int
open_regular(const char *path, enum img_trust trust, struct stat *st,
    struct pv_err *e)
{
	int fd;

	fd = open_as(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, trust,
	    e);
	if (fd < 0)
		return open_failed(path, fd, trust, e);
	if (fstat(fd, st) < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return pv_fail(e, PV_EXIT_INPUT, "%s: not a regular file",
		    path);
	}
	return fd;
}

/*
 * Read the regular file at `path` whole: at most `expect` bytes when the
 * caller knows what the file holds (a plan's size; UINT64_MAX when it
 * does not), compared with the file's size before a byte is read, and at
 * most IMG_MAX_FILE bytes in any case. A file that is not what `expect`
 * says, or that grows while it is read, is refused.
 */
static int
read_file(const char *path, enum img_trust trust, uint64_t expect,
    uint8_t **buf, uint64_t *size, char **abs, struct pv_err *e)
{
	char proc[64], link[PATH_MAX + 1];
	uint64_t done = 0, want;
	struct stat st;
	uint8_t *p = NULL;
	ssize_t n;
	int fd;

	if ((fd = open_regular(path, trust, &st, e)) < 0)
		return -1;
	want = (uint64_t)st.st_size;
	if (expect != UINT64_MAX && want != expect) {
		pv_fail(e, PV_EXIT_INPUT, "%s: changed since the plan was made "
		    "(its size is not the plan's)", path);
		goto fail;
	}
	if (want > IMG_MAX_FILE) {
		pv_fail(e, PV_EXIT_INPUT, "%s: larger than %llu GiB, more than "
		    "any kernel or initrd", path,
		    (unsigned long long)(IMG_MAX_FILE >> 30));
		goto fail;
	}
	/* One byte more than the size, to see a file that grew. */
	if ((p = bigbuf_alloc((size_t)want + 1)) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory for %llu bytes",
		    path, (unsigned long long)want);
		goto fail;
	}
	bigbuf_ready(p, (size_t)want + 1);
	while (done < want + 1) {
		n = read(fd, p + done, (size_t)(want + 1 - done));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			pv_fail(e, PV_EXIT_INPUT, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		done += (uint64_t)n;
	}
	if (done != want) {
		pv_fail(e, PV_EXIT_INPUT, "%s: changed while it was read (it "
		    "%s)", path, done > want ? "grew" : "shrank");
		goto fail;
	}
	/* The file's own name, from the descriptor: the file that was read,
	 * whatever the path leads to by now. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, link, sizeof(link) - 1)) > 0 && link[0] == '/') {
		link[n] = '\0';
		*abs = strdup(link);
	} else
		*abs = realpath(path, NULL);
	if (*abs == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	*buf = p;
	*size = done;
	return 0;
fail:
	bigbuf_free(p);
	close(fd);
	return -1;
}

static int
is_elf(const uint8_t *buf, uint64_t len)
{
	return pv_inside(0, 4, len) && memcmp(buf, "\177ELF", 4) == 0;
}

/*
 * Where decode's bytes come from, and where what they decompress to may
 * be kept.
 */
struct source {
	const char *name;	/* the file, in messages */
	const char *sha256;	/* the file's, or NULL for bytes in memory */
	struct cache *cache;	/* or NULL */
	int fresh;		/* decompress even if the cache has the data */
	/*
	 * A file whose sha256 is not made yet (sha256 NULL): its bytes, as
	 * read, and where the digest goes once it is made (file_sha256),
	 * which the file's bytes must be before anything changes them.
	 */
	const uint8_t *raw;
	uint64_t rawlen;
	char *later;
};

/* The file's sha256, made now if it is not yet. */
static const char *
file_sha256(struct source *src)
{
	if (src->sha256 == NULL && src->later != NULL) {
		digest_sha256(src->raw, src->rawlen, src->later);
		src->sha256 = src->later;
	}
	return src->sha256;
}

/* The cache's name for the data `ref` says how to find in file `sha256`. */
static void
cache_key(const char *sha256, const struct img_ref *ref,
    char key[CACHE_KEY_MAX])
{
	snprintf(key, CACHE_KEY_MAX, "%s-%s-%s", sha256, ref->container,
	    ref->compression);
}

/*
 * What a decompression's tap works with: the digest's thread, which also
 * writes the data to the cache's fill, and, where the data is made before
 * the file's sha256 is known (unpack), the thread making that sha256 and
 * the fill to name with the key it gives.
 */
struct tapped {
	struct digest_job *job;		/* or NULL */
	struct digest_bg *file;		/* or NULL: named, or never to be */
	struct source *src;
	const struct img_ref *ref;
	struct cache_fill *fill;
	int lost;			/* the fill could not be named */
};

/* The file's sha256 made: the fill takes its key (waits for it if `wait`). */
static void
name_fill(struct tapped *t, int wait)
{
	char key[CACHE_KEY_MAX];

	if (t->file == NULL || (!wait && !digest_bg_ready(t->file)))
		return;
	digest_bg_end(t->file, t->src->later);
	t->file = NULL;
	t->src->sha256 = t->src->later;
	cache_key(t->src->sha256, t->ref, key);
	t->lost = cache_name(t->src->cache, t->fill, key) < 0;
}

/* A decompression's tap: each piece to the digest's thread. */
static void
to_digest(void *arg, const uint8_t *p, size_t n)
{
	struct tapped *t = arg;

	if (t->job != NULL)
		digest_feed(t->job, p, n);
	name_fill(t, 0);
}

/*
 * decomp_run, through the cache when there is one: the data from its
 * entry (with its digest) when it has a sound one, else decompressed and
 * offered to it. What is decompressed is hashed, and written to the
 * entry, on a thread of its own while the decompression goes on, so that
 * neither adds to the time it takes.
 */
static int
unpack(struct source *src, struct img_ref *ref, enum decomp_kind kind,
    const char *what, const uint8_t *in, uint64_t len, uint64_t expect,
    uint64_t cap, uint8_t **out, uint64_t *outlen, struct pv_err *e)
{
	struct cache_fill fill = { .fd = -1 };
	struct tapped t = { NULL, NULL, src, ref, &fill, 0 };
	char key[CACHE_KEY_MAX];
	struct decomp_tap tap = { to_digest, &t };
	int rc, written;

	/*
	 * Where the cache certainly holds no entry of the length the
	 * container says the data has, nothing is to be looked up: the
	 * decompression starts at once, and the file's sha256, the key,
	 * is made beside it, then given to the fill. A length that lies
	 * costs a decompression a lookup might have saved, no more.
	 */
	if (src->cache != NULL && src->sha256 == NULL && src->later != NULL &&
	    !src->cache->lookup_only && !src->fresh && expect > 0 &&
	    expect <= cap && snprintf(key, sizeof(key), "%s-%s",
	    ref->container, ref->compression) < (int)sizeof(key) &&
	    !cache_may_hold(src->cache, key, expect)) {
		cache_begin(src->cache, NULL, &fill);
		if (fill.fd >= 0 &&
		    (t.file = digest_bg_start(src->raw, src->rawlen)) == NULL)
			cache_abort(src->cache, &fill);
	}
	if (src->cache != NULL && t.file == NULL &&
	    file_sha256(src) != NULL) {
		cache_key(src->sha256, ref, key);
		if (!src->fresh && cache_get(src->cache, key, cap, out, outlen,
		    ref->data_sha256) == 1) {
			ref->cached = 1;
			return 0;
		}
		if (src->cache->lookup_only) {
			if (!src->fresh && src->cache->await != NULL &&
			    src->cache->await(src->cache, key, cap, out, outlen,
			    ref->data_sha256) == 1) {
				ref->cached = 1;
				return 0;
			}
			return pv_fail(e, PV_EXIT_SYSTEM, "%s: not in the "
			    "cache", src->name);
		}
		cache_begin(src->cache, key, &fill);
	}
	t.job = digest_start(fill.fd, CACHE_HEADER);
	rc = decomp_run_tap(kind, what, in, len, cap, &tap, out, outlen, e);
	/* The file's bytes are the caller's again once this returns. */
	name_fill(&t, 1);
	written = t.job != NULL &&
	    digest_finish(t.job, ref->data_sha256) == 0 && fill.fd >= 0;
	if (t.lost && src->cache != NULL)
		cache_abort(src->cache, &fill);
	if (rc < 0) {
		ref->data_sha256[0] = '\0';
		if (src->cache != NULL)
			cache_abort(src->cache, &fill);
		return -1;
	}
	if (ref->data_sha256[0] == '\0')
		digest_sha256(*out, *outlen, ref->data_sha256);
	if (src->cache != NULL)
		cache_end(src->cache, &fill, written ? NULL : *out, *outlen,
		    ref->data_sha256);
	return 0;
}

/*
 * A bzImage's payload, by the Linux boot protocol: compressed, or an ELF
 * as it is. Linux appends the uncompressed size as 4 little-endian bytes
 * to every compressed payload but gzip's, whose own trailer (ISIZE) is
 * that size already; the trailer is no more than a hint, so it is left
 * out of the stream and not otherwise used.
 */
static int
bzimage_data(struct source *src, uint8_t *raw, uint64_t off,
    uint64_t plen, uint64_t cap, struct img_ref *ref, uint8_t **out,
    uint64_t *outlen, struct pv_err *e)
{
	const char *path = src->name;
	const uint8_t *payload = raw + off;
	enum decomp_kind kind = decomp_detect(payload, plen);
	uint64_t slen = plen, i;
	char *what, magic[16] = "";
	int rc;

	if (kind == DECOMP_NONE && !is_elf(payload, plen)) {
		for (i = 0; i < 4 && i < plen; i++)
			snprintf(magic + strlen(magic), sizeof(magic) -
			    strlen(magic), "%s%02x", i > 0 ? " " : "",
			    payload[i]);
		return pv_fail(e, PV_EXIT_INPUT, "%s: bzImage payload at "
		    "0x%llx: unknown compression, magic %s", path,
		    (unsigned long long)off, magic);
	}
	ref->compression = decomp_name(kind);
	if (kind == DECOMP_NONE) {
		file_sha256(src);	/* before the file's bytes move */
		memmove(raw, payload, (size_t)plen);
		*out = raw;
		*outlen = plen;
		return 0;
	}
	if (kind != DECOMP_GZIP) {
		if (plen <= 4)
			return pv_fail(e, PV_EXIT_INPUT, "%s: bzImage payload "
			    "of %llu bytes is too short for a %s stream and "
			    "its size trailer", path,
			    (unsigned long long)plen, decomp_name(kind));
		slen = plen - 4;
	}
	if (asprintf(&what, "%s: bzImage payload at 0x%llx", path,
	    (unsigned long long)off) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory", path);
	/* The size Linux appends (gzip's ISIZE), as unpack's hint. */
	rc = unpack(src, ref, kind, what, payload, slen, plen >= 4 ?
	    pv_get32(payload + plen - 4) : 0, cap, out, outlen, e);
	free(what);
	if (rc == 0)
		bigbuf_free(raw);
	return rc;
}

/*
 * Find the data in the `rawlen` untrusted bytes at `raw` (malloc'd), named
 * `name` in messages, and fill `ref`'s container, payload range and
 * compression. On success `raw` is consumed: it is the data itself
 * (`*out`) or freed; on failure it is still the caller's.
 */
static int
decode(struct source *src, uint8_t *raw, uint64_t rawlen,
    enum img_kind what, uint64_t cap, struct img_ref *ref, uint8_t **out,
    uint64_t *outlen, struct pv_err *e)
{
	const char *name = src->name;
	uint64_t off = 0, plen = 0;
	enum decomp_kind kind;
	unsigned version;
	int rc = 0;

	ref->container = "file";
	/* A compression's magic first: a bzImage starts with none of them,
	 * and an ELF file is never taken for a bzImage. */
	kind = decomp_detect(raw, rawlen);
	if (what == IMG_MODULE && kind != DECOMP_GZIP)
		kind = DECOMP_NONE;
	if (what == IMG_KERNEL && kind == DECOMP_NONE && !is_elf(raw, rawlen))
		rc = bzimage_payload(raw, rawlen, &off, &plen, &version, e);
	if (rc < 0)
		return pv_wrap(e, "%s", name);
	if (rc == 1) {
		ref->container = "bzimage";
		ref->payload_offset = off;
		ref->payload_size = plen;
		return bzimage_data(src, raw, off, plen, cap, ref, out, outlen,
		    e);
	}
	if (kind != DECOMP_NONE) {
		ref->compression = decomp_name(kind);
		if (unpack(src, ref, kind, name, raw, rawlen, kind ==
		    DECOMP_GZIP && rawlen >= 4 ? pv_get32(raw + rawlen - 4) : 0,
		    cap, out, outlen, e) < 0)
			return -1;
		bigbuf_free(raw);
		return 0;
	}
	ref->compression = decomp_name(DECOMP_NONE);
	*out = raw;
	*outlen = rawlen;
	return 0;
}

/*
 * img_load, and img_load_ref when `want` is not NULL: then a file whose
 * size or hash differs from the plan's is refused before it is decoded, so
 * that a changed file is reported as changed, not as whatever decoding it
 * runs into. No message says what the file holds (its size or digest):
 * only which of the plan's fields it does not match.
 */
static int
load(const char *path, enum img_kind what, uint64_t cap,
    const struct img_ref *want, enum img_trust trust, struct cache *cache,
    int fresh, struct img_ref *ref, uint8_t **data, struct pv_err *e)
{
	struct source src = { path, NULL, cache, fresh, NULL, 0, NULL };
	uint8_t *raw = NULL, *out = NULL;
	uint64_t rawlen = 0, outlen = 0;

	memset(ref, 0, sizeof(*ref));
	ref->kind = what;
	if (read_file(path, trust, want != NULL ? want->size : UINT64_MAX,
	    &raw, &rawlen, &ref->path, e) < 0)
		return -1;
	/* Else the plan could not hold it, and would fail as out of memory. */
	if (!pv_utf8_valid(ref->path, strlen(ref->path))) {
		pv_fail(e, PV_EXIT_INPUT, "%s: the name is not UTF-8, which a "
		    "plan cannot hold", path);
		goto fail;
	}
	ref->size = rawlen;
	/*
	 * A file to compare with the plan is hashed first; where the data
	 * may go to the cache, its digest is made when it is needed, which
	 * may be beside the decompression (unpack).
	 */
	src.raw = raw;
	src.rawlen = rawlen;
	src.later = ref->sha256;
	if (want != NULL || cache == NULL || cache->fd < 0 ||
	    cache->lookup_only)
		file_sha256(&src);
	if (want != NULL && strcmp(ref->sha256, want->sha256) != 0) {
		pv_fail(e, PV_EXIT_INPUT, "%s: changed since the plan was made "
		    "(its sha256 is not the plan's)", path);
		goto fail;
	}
	if (decode(&src, raw, rawlen, what, cap, ref, &out, &outlen, e) < 0)
		goto fail;
	/* Data that is the file as it was read (out is raw): not yet. */
	file_sha256(&src);
	ref->data_size = outlen;
	/* The data is the file itself, whose digest is already known, or
	 * came out of the cache or a decompression with its digest, or is
	 * a bzImage's uncompressed payload. */
	if (strcmp(ref->container, "file") == 0 &&
	    strcmp(ref->compression, "none") == 0)
		memcpy(ref->data_sha256, ref->sha256, 65);
	else if (ref->data_sha256[0] == '\0')
		digest_sha256(out, outlen, ref->data_sha256);
	if (data != NULL)
		*data = out;
	else
		img_free(out);
	return 0;
fail:
	bigbuf_free(raw);
	img_ref_free(ref);
	return -1;
}

int
img_decode(const uint8_t *raw, uint64_t len, enum img_kind what,
    uint64_t cap, struct img_ref *ref, uint8_t **data, struct pv_err *e)
{
	struct source src = { "<memory>", NULL, NULL, 0, NULL, 0, NULL };
	uint8_t *copy, *out = NULL;
	uint64_t outlen = 0;

	memset(ref, 0, sizeof(*ref));
	ref->kind = what;
	ref->size = len;
	/* Exactly `len` bytes, so that a sanitizer sees a read past them. */
	if (len > SIZE_MAX || (copy = malloc(len > 0 ? (size_t)len : 1)) ==
	    NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "<memory>: out of memory for "
		    "%llu bytes", (unsigned long long)len);
	if (len > 0)
		memcpy(copy, raw, (size_t)len);
	if (decode(&src, copy, len, what, cap, ref, &out, &outlen, e) < 0) {
		bigbuf_free(copy);
		return -1;
	}
	ref->data_size = outlen;
	if (ref->data_sha256[0] == '\0')
		digest_sha256(out, outlen, ref->data_sha256);
	if (data != NULL)
		*data = out;
	else
		img_free(out);
	return 0;
}

int
img_load(const char *path, enum img_kind what, uint64_t cap,
    struct cache *cache, struct img_ref *ref, uint8_t **data,
    struct pv_err *e)
{
	return load(path, what, cap, NULL, IMG_AS_CALLER, cache, 0, ref, data,
	    e);
}

/* Was `got` read from the same bytes the same way as `want` says? */
int
img_ref_same(const struct img_ref *want, const struct img_ref *got)
{
	return want->kind == got->kind && strcmp(want->path, got->path) == 0 &&
	    want->size == got->size && strcmp(want->sha256, got->sha256) == 0 &&
	    strcmp(got->compression, want->compression) == 0 &&
	    got->data_size == want->data_size &&
	    strcmp(got->container, want->container) == 0 &&
	    got->payload_offset == want->payload_offset &&
	    got->payload_size == want->payload_size &&
	    strcmp(got->data_sha256, want->data_sha256) == 0;
}

/* The first of the plan's fields that `got` disagrees with, or NULL. */
static const char *
ref_differs(const struct img_ref *want, const struct img_ref *got)
{
	if (strcmp(want->path, got->path) != 0)
		return "path";
	if (strcmp(want->container, got->container) != 0)
		return "container";
	if (want->payload_offset != got->payload_offset)
		return "payload_offset";
	if (want->payload_size != got->payload_size)
		return "payload_size";
	if (strcmp(want->compression, got->compression) != 0)
		return "compression";
	if (want->data_size != got->data_size)
		return want->kind == IMG_KERNEL ? "elf_size" : "length";
	if (strcmp(want->data_sha256, got->data_sha256) != 0)
		return want->kind == IMG_KERNEL ? "elf_sha256" : "data_sha256";
	return NULL;
}

int
img_load_ref(const struct img_ref *want, enum img_trust trust,
    struct cache *cache, uint8_t **data, struct pv_err *e)
{
	char key[CACHE_KEY_MAX];
	struct img_ref got;
	const char *field;
	uint8_t *buf;

	if (load(want->path, want->kind, want->data_size, want, trust, cache,
	    0, &got, &buf, e) < 0)
		return -1;
	/*
	 * A sound entry whose data is not the plan's: the entry was made
	 * from this very file, so one of them is wrong. Made again, the
	 * decompression says which, and the entry is replaced.
	 */
	if (got.cached && strcmp(got.data_sha256, want->data_sha256) != 0) {
		cache_key(got.sha256, &got, key);
		cache_drop(cache, key);
		img_ref_free(&got);
		img_free(buf);
		if (load(want->path, want->kind, want->data_size, want, trust,
		    cache, 1, &got, &buf, e) < 0)
			return -1;
	}
	/* The same bytes read the same way, unless the plan says otherwise
	 * (a plan edited by hand, or made by another version). */
	if ((field = ref_differs(want, &got)) != NULL) {
		if (strcmp(field, "path") == 0)
			pv_fail(e, PV_EXIT_INPUT, "%s: now leads to another "
			    "file (a symbolic link?); the plan names the file "
			    "itself", want->path);
		else
			pv_fail(e, PV_EXIT_INPUT, "%s: is not read as the plan "
			    "says: its %s disagrees", want->path, field);
		img_ref_free(&got);
		img_free(buf);
		return -1;
	}
	img_ref_free(&got);
	*data = buf;
	return 0;
}

void
img_free(uint8_t *data)
{
	cache_free(data);
}
