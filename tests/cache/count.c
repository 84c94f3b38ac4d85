/* SPDX-License-Identifier: ISC */
/*
 * count.c: an LD_PRELOAD library for tests/cache.bats that counts
 * decompressions. Every gzip stream a program starts to inflate adds a
 * line with the program's name to $PVBUILD_COUNT, then zlib does the work
 * as usual. A test runs a build under it and reads how many times, and in
 * which program, the kernel was decompressed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

typedef int (*init_fn)(z_streamp, int, const char *, int);

int
inflateInit2_(z_streamp strm, int bits, const char *version, int size)
{
	static init_fn next;
	const char *file = getenv("PVBUILD_COUNT");
	char comm[64] = "?", line[80];
	int fd, n;

	if (next == NULL)
		next = (init_fn)dlsym(RTLD_NEXT, "inflateInit2_");
	if (file != NULL) {
		if ((fd = open("/proc/self/comm", O_RDONLY)) >= 0) {
			n = (int)read(fd, comm, sizeof(comm) - 1);
			comm[n > 0 ? n : 0] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
			close(fd);
		}
		n = snprintf(line, sizeof(line), "%s\n", comm);
		/* O_APPEND: the pipeline's programs write at once. */
		if ((fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600)) >= 0) {
			(void)!write(fd, line, (size_t)n);
			close(fd);
		}
	}
	return next(strm, bits, version, size);
}
