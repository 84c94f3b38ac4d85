/* SPDX-License-Identifier: ISC */
/*
 * count.c: an LD_PRELOAD library for tests/cache.bats that counts
 * decompressions and hashing. Every gzip stream a program starts to
 * inflate adds a line with the program's name to $PVBUILD_COUNT, then
 * zlib does the work as usual; every piece a program hashes adds a line
 * with its name and its length to $PVBUILD_HASHED, then Nettle hashes it.
 * Every call into inflate adds a line with the program's name and the
 * room it was given for output to $PVBUILD_INFLATE. A test runs a build
 * under it and reads how many times, and in which program, the kernel
 * was decompressed, how many bytes each hashed, and in what steps the
 * output was made.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <zlib.h>

typedef int (*init_fn)(z_streamp, int, const char *, int);
typedef int (*inflate_fn)(z_streamp, int);
typedef void (*update_fn)(struct sha256_ctx *, size_t, const uint8_t *);

/* Append "COMM[ WHAT]" as a line to the file $`var` names, if set. */
static void
note(const char *var, const char *what)
{
	const char *file = getenv(var);
	char comm[64] = "?", line[96];
	int fd, n;

	if (file == NULL)
		return;
	if ((fd = open("/proc/self/comm", O_RDONLY)) >= 0) {
		n = (int)read(fd, comm, sizeof(comm) - 1);
		comm[n > 0 ? n : 0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		close(fd);
	}
	n = snprintf(line, sizeof(line), "%s%s%s\n", comm, *what ? " " : "",
	    what);
	/* O_APPEND: the pipeline's programs (and threads) write at once. */
	if ((fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600)) >= 0) {
		(void)!write(fd, line, (size_t)n);
		close(fd);
	}
}

int
inflateInit2_(z_streamp strm, int bits, const char *version, int size)
{
	static init_fn next;

	if (next == NULL)
		next = (init_fn)dlsym(RTLD_NEXT, "inflateInit2_");
	note("PVBUILD_COUNT", "");
	return next(strm, bits, version, size);
}

int
inflate(z_streamp strm, int flush)
{
	static inflate_fn next;
	char n[32];

	if (next == NULL)
		next = (inflate_fn)dlsym(RTLD_NEXT, "inflate");
	snprintf(n, sizeof(n), "%u", strm->avail_out);
	note("PVBUILD_INFLATE", n);
	return next(strm, flush);
}

/* sha256_update is a macro for this name in Nettle's header. */
void
nettle_sha256_update(struct sha256_ctx *ctx, size_t length,
    const uint8_t *data)
{
	static update_fn next;
	char n[32];

	if (next == NULL)
		next = (update_fn)dlsym(RTLD_NEXT, "nettle_sha256_update");
	snprintf(n, sizeof(n), "%zu", length);
	note("PVBUILD_HASHED", n);
	next(ctx, length, data);
}
