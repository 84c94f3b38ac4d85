/* SPDX-License-Identifier: ISC */
/*
 * execpath.c: where the stages are. Two builds of this one file decide it
 * when pvbuild is compiled, never by guessing at run time: the tree's
 * bin/pvbuild (no PVBUILD_LIBEXECDIR) takes the directory its own
 * executable is in, so that the tree works from any directory, and the
 * installed one (make install compiles this again with
 * -DPVBUILD_LIBEXECDIR) takes $(LIBEXECDIR). PVBUILD_EXEC_PATH overrides
 * both, as GIT_EXEC_PATH does git's: for tests and odd layouts.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvbuild.h"

const char *
pvb_exec_path(struct pv_err *e)
{
	const char *env = getenv("PVBUILD_EXEC_PATH");

	if (env != NULL && *env != '\0')
		return env;
#ifdef PVBUILD_LIBEXECDIR
	(void)e;
	return PVBUILD_LIBEXECDIR;
#else
	static char dir[PATH_MAX];
	ssize_t len;
	char *slash;

	/* The kernel's name for the running file, symbolic links resolved. */
	len = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (len < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "/proc/self/exe: %s (set "
		    "PVBUILD_EXEC_PATH to the stages' directory)",
		    strerror(errno));
		return NULL;
	}
	dir[len] = '\0';
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "/proc/self/exe: '%s' is not a "
		    "path", dir);
		return NULL;
	}
	*(slash == dir ? slash + 1 : slash) = '\0';
	return dir;
#endif
}
