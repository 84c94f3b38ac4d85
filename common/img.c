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

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bzimage.h"
#include "decomp.h"
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
	if ((p = malloc((size_t)want + 1)) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: out of memory for %llu bytes",
		    path, (unsigned long long)want);
		goto fail;
	}
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

	/*
	 * OpenSSL reads its configuration (openssl.cnf, or whatever
	 * $OPENSSL_CONF names) at its first use unless told not to. Nothing
	 * in it bears on a sha256, reading it took a third of what the first
	 * digest costs, and it may load modules: finalize runs as root.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
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
 * runs into. No message says what the file holds (its size or digest):
 * only which of the plan's fields it does not match.
 */
static int
load(const char *path, enum img_kind what, uint64_t cap,
    const struct img_ref *want, enum img_trust trust, struct img_ref *ref,
    uint8_t **data, struct pv_err *e)
{
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
	sha256_hex(raw, rawlen, ref->sha256);
	if (want != NULL && strcmp(ref->sha256, want->sha256) != 0) {
		pv_fail(e, PV_EXIT_INPUT, "%s: changed since the plan was made "
		    "(its sha256 is not the plan's)", path);
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
	return load(path, what, cap, NULL, IMG_AS_CALLER, ref, data, e);
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
	return NULL;
}

int
img_load_ref(const struct img_ref *want, enum img_trust trust, uint8_t **data,
    struct pv_err *e)
{
	struct img_ref got;
	const char *field;
	uint8_t *buf;

	if (load(want->path, want->kind, want->data_size, want, trust, &got,
	    &buf, e) < 0)
		return -1;
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
		free(buf);
		return -1;
	}
	img_ref_free(&got);
	*data = buf;
	return 0;
}
