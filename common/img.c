/*
 * img.c: whole-file reads, hashing, and finding the data in a file: the
 * file itself, the file decompressed, or a bzImage's payload (bzimage.c),
 * decompressed when it is compressed (decomp.c, always under a cap).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bzimage.h"
#include "decomp.h"
#include "img.h"

static int
read_file(const char *path, uint8_t **buf, uint64_t *size, struct pv_err *e)
{
	struct stat st;
	uint8_t *p = NULL;
	uint64_t done = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		pv_fail(e, PV_EXIT_INPUT, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		pv_fail(e, PV_EXIT_INPUT, "%s: not a regular file", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > SIZE_MAX - 1 ||
	    (p = malloc((size_t)st.st_size + 1)) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory for %lld bytes",
		    path, (long long)st.st_size);
		goto fail;
	}
	while (done < (uint64_t)st.st_size) {
		n = read(fd, p + done, (size_t)((uint64_t)st.st_size - done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pv_fail(e, PV_EXIT_INPUT, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;	/* the file shrank while we read it */
		done += (uint64_t)n;
	}
	close(fd);
	*buf = p;
	*size = done;
	return 0;
fail:
	free(p);
	close(fd);
	return -1;
}

static void
sha256_hex(const uint8_t *buf, uint64_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	unsigned i;

	EVP_Digest(buf, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

static int
is_elf(const uint8_t *buf, uint64_t len)
{
	return pv_inside(0, 4, len) && memcmp(buf, "\177ELF", 4) == 0;
}

/*
 * A bzImage's payload, by the Linux boot protocol: compressed, or an ELF
 * as it is. Linux appends the uncompressed size as 4 little-endian bytes
 * to every compressed payload but gzip's, whose own trailer (ISIZE) is
 * that size already; the trailer is no more than a hint, so it is left
 * out of the stream and not otherwise used.
 */
static int
bzimage_data(const char *path, uint8_t *raw, uint64_t off, uint64_t plen,
    uint64_t cap, struct img_ref *ref, uint8_t **out, uint64_t *outlen,
    struct pv_err *e)
{
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
	rc = decomp_run(kind, what, payload, slen, cap, out, outlen, e);
	free(what);
	if (rc == 0)
		free(raw);
	return rc;
}

/*
 * Find the data in the `rawlen` untrusted bytes at `raw` (malloc'd), named
 * `name` in messages, and fill `ref`'s container, payload range and
 * compression. On success `raw` is consumed: it is the data itself
 * (`*out`) or freed; on failure it is still the caller's.
 */
static int
decode(const char *name, uint8_t *raw, uint64_t rawlen, enum img_kind what,
    uint64_t cap, struct img_ref *ref, uint8_t **out, uint64_t *outlen,
    struct pv_err *e)
{
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
		return bzimage_data(name, raw, off, plen, cap, ref, out, outlen,
		    e);
	}
	if (kind != DECOMP_NONE) {
		ref->compression = decomp_name(kind);
		if (decomp_run(kind, name, raw, rawlen, cap, out, outlen, e) < 0)
			return -1;
		free(raw);
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
 * runs into.
 */
static int
load(const char *path, enum img_kind what, uint64_t cap,
    const struct img_ref *want, struct img_ref *ref, uint8_t **data,
    struct pv_err *e)
{
	uint8_t *raw = NULL, *out = NULL;
	uint64_t rawlen = 0, outlen = 0;
	char *abs;

	memset(ref, 0, sizeof(*ref));
	ref->kind = what;
	if (read_file(path, &raw, &rawlen, e) < 0)
		return -1;
	if ((abs = realpath(path, NULL)) == NULL) {
		free(raw);
		return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path, strerror(errno));
	}
	ref->path = abs;
	/* Else the plan could not hold it, and would fail as out of memory. */
	if (!pv_utf8_valid(abs, strlen(abs))) {
		pv_fail(e, PV_EXIT_INPUT, "%s: the name is not UTF-8, which a "
		    "plan cannot hold", path);
		goto fail;
	}
	ref->size = rawlen;
	sha256_hex(raw, rawlen, ref->sha256);
	if (want != NULL && (ref->size != want->size ||
	    strcmp(ref->sha256, want->sha256) != 0)) {
		pv_fail(e, PV_EXIT_INPUT, "%s: changed since the plan was made "
		    "(sha256 %s, plan says %s)", path, ref->sha256,
		    want->sha256);
		goto fail;
	}
	if (decode(path, raw, rawlen, what, cap, ref, &out, &outlen, e) < 0)
		goto fail;
	ref->data_size = outlen;
	if (data != NULL)
		*data = out;
	else
		free(out);
	return 0;
fail:
	free(raw);
	img_ref_free(ref);
	return -1;
}

int
img_decode(const uint8_t *raw, uint64_t len, enum img_kind what,
    uint64_t cap, struct img_ref *ref, uint8_t **data, struct pv_err *e)
{
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
	if (decode("<memory>", copy, len, what, cap, ref, &out, &outlen,
	    e) < 0) {
		free(copy);
		return -1;
	}
	ref->data_size = outlen;
	if (data != NULL)
		*data = out;
	else
		free(out);
	return 0;
}

int
img_load(const char *path, enum img_kind what, uint64_t cap,
    struct img_ref *ref, uint8_t **data, struct pv_err *e)
{
	return load(path, what, cap, NULL, ref, data, e);
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
	    got->payload_size == want->payload_size;
}

int
img_load_ref(const struct img_ref *want, uint8_t **data, struct pv_err *e)
{
	struct img_ref got;
	uint8_t *buf;

	if (load(want->path, want->kind, want->data_size, want, &got, &buf,
	    e) < 0)
		return -1;
	/* The same bytes read the same way, unless the plan says otherwise
	 * (a plan edited by hand, or made by another version). */
	if (!img_ref_same(want, &got)) {
		pv_fail(e, PV_EXIT_INPUT, "%s: is read as %s %s data of %llu "
		    "bytes, the plan says %s %s data of %llu bytes", want->path,
		    got.compression, got.container,
		    (unsigned long long)got.data_size, want->compression,
		    want->container, (unsigned long long)want->data_size);
		img_ref_free(&got);
		free(buf);
		return -1;
	}
	img_ref_free(&got);
	*data = buf;
	return 0;
}

void
img_ref_free(struct img_ref *ref)
{
	free(ref->path);
	ref->path = NULL;
}
