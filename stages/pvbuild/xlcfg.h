/* SPDX-License-Identifier: ISC */
/*
 * xlcfg.h: an xl domain configuration (xl.cfg(5)) read for the keys that
 * pvbuild build has options for, so that the file people already have for
 * `xl create` builds the same guest. Every other key is refused by name
 * rather than ignored: a setting that silently does nothing is a guest
 * that differs from the one xl would build.
 */
#ifndef XLCFG_H
#define XLCFG_H

#include <stdint.h>

#include "plan.h"
#include "pv.h"

/* The largest file read: xl.cfg files are a few hundred bytes. */
#define XLCFG_MAX_SIZE (64 * 1024)

/* A number the file gave (xl reads them with strtol's base 0). */
struct xlcfg_num {
	int set;
	uint64_t value;
};

/* A list of strings the file gave; `set` even when it is empty. */
struct xlcfg_list {
	int set;
	size_t nr;
	char *v[PLAN_DISKS_MAX > PLAN_NICS_MAX ? PLAN_DISKS_MAX : PLAN_NICS_MAX];
};

/* The values of the file, NULL or unset where it gave none. */
struct xlcfg {
	char *name, *kernel, *ramdisk, *root, *extra, *cmdline_key;
	/* The command line as xl makes it of cmdline, root and extra. */
	char *cmdline;
	struct xlcfg_num memory, maxmem, vcpus;	/* MiB, MiB, count */
	struct xlcfg_list disk, vif;
	int pvh;			/* type = "pvh": elfinfo --pvh */
};

/*
 * Read the configuration at `path` (untrusted: at most XLCFG_MAX_SIZE
 * bytes, no NUL) into `c`, which xlcfg_free releases whatever this
 * returns. Returns 0, or -1 with `e` filled (exit 1): a syntax error names
 * the line and column, a refused or mistyped setting its line and key, and
 * no message quotes the file beyond a key's name.
 */
int xlcfg_read(const char *path, struct xlcfg *c, struct pv_err *e);

void xlcfg_free(struct xlcfg *c);

#endif
