/*
 * img.c: whole-file reads, hashing and capped decompression.
 *
 * The seed sized its buffer from the gzip trailer and trusted it; here the
 * trailer is only a first guess at the buffer size, and the output is
 * bounded by a cap whatever the stream says.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#define ZLIB_CONST
#include <zlib.h>

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

/*
 * Inflate a gzip file of `len` bytes, accepting concatenated members as
 * gzip(1) does, refusing anything else after the last member, and never
 * producing more than `cap` bytes.
 */
static int
gunzip(const char *path, const uint8_t *in, uint64_t len, uint64_t cap,
    uint8_t **out, uint64_t *outlen, struct pv_err *e)
{
	z_stream zs;
	uint8_t *buf = NULL, *nbuf;
	uint64_t have = 0, bufsz, hint;
	int rc;

	/* The size trailer is a hint for the first allocation, no more. */
	hint = len >= 4 ? (uint64_t)in[len - 4] | (uint64_t)in[len - 3] << 8 |
	    (uint64_t)in[len - 2] << 16 | (uint64_t)in[len - 1] << 24 : 0;
	bufsz = hint < 65536 ? 65536 : hint + 1;
	if (bufsz > cap + 1)
		bufsz = cap + 1;
	if ((buf = malloc((size_t)bufsz)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory", path);
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {
		free(buf);
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: zlib: cannot start", path);
	}
	zs.next_in = in;
	for (;;) {
		if (have == bufsz) {
			if (bufsz > cap) {
				pv_fail(e, PV_EXIT_INPUT, "%s: decompresses past "
				    "the cap of %llu bytes", path,
				    (unsigned long long)cap);
				goto fail;
			}
			bufsz = bufsz > cap / 2 ? cap + 1 : bufsz * 2;
			if ((nbuf = realloc(buf, (size_t)bufsz)) == NULL) {
				pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory "
				    "decompressing", path);
				goto fail;
			}
			buf = nbuf;
		}
		zs.next_out = buf + have;
		zs.avail_out = (uInt)((bufsz - have) > UINT_MAX ? UINT_MAX :
		    bufsz - have);
		uint64_t left = len - (uint64_t)(zs.next_in - in);
		zs.avail_in = (uInt)(left > UINT_MAX ? UINT_MAX : left);
		rc = inflate(&zs, Z_NO_FLUSH);
		have = (uint64_t)(zs.next_out - buf);
		if (rc == Z_STREAM_END) {
			left = len - (uint64_t)(zs.next_in - in);
			if (left == 0)
				break;
			if (left >= 2 && zs.next_in[0] == 0x1f &&
			    zs.next_in[1] == 0x8b) {
				inflateReset(&zs);
				continue;
			}
			pv_fail(e, PV_EXIT_INPUT, "%s: %llu bytes of trailing "
			    "data after the gzip stream", path,
			    (unsigned long long)left);
			goto fail;
		}
		if (rc == Z_OK)
			continue;
		if (rc == Z_BUF_ERROR && zs.avail_in == 0 &&
		    (uint64_t)(zs.next_in - in) == len) {
			pv_fail(e, PV_EXIT_INPUT, "%s: gzip stream truncated "
			    "after %llu bytes of output", path,
			    (unsigned long long)have);
			goto fail;
		}
		if (rc == Z_BUF_ERROR)
			continue;	/* output full: grow and go on */
		pv_fail(e, PV_EXIT_INPUT, "%s: corrupt gzip data at input "
		    "offset %llu: %s", path,
		    (unsigned long long)(zs.next_in - in),
		    zs.msg != NULL ? zs.msg : "inflate failed");
		goto fail;
	}
	inflateEnd(&zs);
	*out = buf;
	*outlen = have;
	return 0;
fail:
	inflateEnd(&zs);
	free(buf);
	return -1;
}

int
img_load(const char *path, uint64_t cap, struct img_ref *ref, uint8_t **data,
    struct pv_err *e)
{
	uint8_t *raw = NULL, *out = NULL;
	uint64_t rawlen = 0, outlen = 0;
	char *abs;

	memset(ref, 0, sizeof(*ref));
	if (read_file(path, &raw, &rawlen, e) < 0)
		return -1;
	if ((abs = realpath(path, NULL)) == NULL) {
		free(raw);
		return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path, strerror(errno));
	}
	ref->path = abs;
	ref->size = rawlen;
	sha256_hex(raw, rawlen, ref->sha256);
	if (rawlen >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		ref->compression = "gzip";
		if (gunzip(path, raw, rawlen, cap, &out, &outlen, e) < 0) {
			free(raw);
			img_ref_free(ref);
			return -1;
		}
		free(raw);
	} else {
		ref->compression = "none";
		out = raw;
		outlen = rawlen;
	}
	ref->data_size = outlen;
	if (data != NULL)
		*data = out;
	else
		free(out);
	return 0;
}

int
img_load_ref(const struct img_ref *want, uint8_t **data, struct pv_err *e)
{
	struct img_ref got;
	uint8_t *buf;

	if (img_load(want->path, want->data_size, &got, &buf, e) < 0)
		return -1;
	if (got.size != want->size || strcmp(got.sha256, want->sha256) != 0 ||
	    strcmp(got.compression, want->compression) != 0 ||
	    got.data_size != want->data_size) {
		pv_fail(e, PV_EXIT_INPUT, "%s: changed since the plan was made "
		    "(sha256 %s, plan says %s)", want->path, got.sha256,
		    want->sha256);
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
