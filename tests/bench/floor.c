/* SPDX-License-Identifier: ISC */
/*
 * floor: the time to only decompress a kernel's payload with the library
 * elfinfo uses, the floor the bench compares the pipeline with. It reads
 * the file, finds the payload (a bzImage's, or the whole file), then times
 * decomp_run() alone, N runs, and prints the median in seconds: the median,
 * as for every figure of the bench, so that one run slowed by another
 * program on the machine moves no ratio. decomp_run decompresses into
 * malloc's memory, a page fault for each 4 KiB written, as a program that
 * calls the library plainly does (xl's libxenguest among them): the floor
 * stays what it was when the targets were set, while the programs'
 * decompression (decomp_run_tap) makes its memory ready ahead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bzimage.h"
#include "decomp.h"
#include "img.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	uint64_t size = 0, off = 0, plen, outlen;
	unsigned version;
	double *times, t;
	struct pv_err e;
	uint8_t *buf, *out;
	enum decomp_kind kind;
	int runs, i;
	FILE *fp;
	long n;

	if (argc != 3 || (runs = atoi(argv[2])) < 1 || runs > 1000) {
		fprintf(stderr, "usage: floor IMAGE RUNS (1 to 1000)\n");
		return 2;
	}
	if ((times = calloc((size_t)runs, sizeof(*times))) == NULL) {
		perror("floor");
		return 3;
	}
	if ((fp = fopen(argv[1], "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		perror(argv[1]);
		return 3;
	}
	fclose(fp);
	size = (uint64_t)n;
	plen = size;
	if (bzimage_payload(buf, size, &off, &plen, &version, &e) == 1 &&
	    decomp_detect(buf + off, plen) != DECOMP_GZIP)
		plen -= 4;	/* Linux's size trailer (see img.c) */
	kind = decomp_detect(buf + off, plen);
	if (kind == DECOMP_NONE) {
		fprintf(stderr, "floor: %s: not compressed\n", argv[1]);
		return 1;
	}
	for (i = 0; i < runs; i++) {
		t = now();
		if (decomp_run(kind, argv[1], buf + off, plen, IMG_DEFAULT_CAP,
		    &out, &outlen, &e) < 0) {
			fprintf(stderr, "floor: %s\n", e.msg);
			return 1;
		}
		t = now() - t;
		free(out);
		times[i] = t;
	}
	qsort(times, (size_t)runs, sizeof(*times), cmp_double);
	/* The middle run, or the mean of the two middle ones. */
	t = (times[(runs - 1) / 2] + times[runs / 2]) / 2;
	printf("%s %.4f %llu\n", decomp_name(kind), t,
	    (unsigned long long)outlen);
	return 0;
}
