/* SPDX-License-Identifier: ISC */
/*
 * pvbuild.h: the front end's parts. `pvbuild` finds the stages and starts
 * them (git-style: `pvbuild layout ...` is the program layout); `pvbuild
 * build` runs all five as one pipe. It links libc alone, so that its start
 * costs no more than the stages' own.
 */
#ifndef PVBUILD_H
#define PVBUILD_H

#include <stdio.h>

#include "pv.h"

/*
 * The directory of the stages: $PVBUILD_EXEC_PATH when set, else the one
 * this program was built for (execpath.c). Returns NULL with `e` filled
 * when there is none.
 */
const char *pvb_exec_path(struct pv_err *e);

/*
 * The most arguments a stage is started with, argv[0] and NULL included:
 * layout's, with the most disks and NICs a plan holds, take 64.
 */
#define RUN_MAX_ARGS 72

/* A stage to start: its name (also its argv[0]) and its arguments. */
struct run_stage {
	char *argv[RUN_MAX_ARGS];
	const char *out;	/* run_chain: the file its stdout goes to */
};

/*
 * How the stages ended: `status` is the exit code pvbuild is to use (0,
 * the first failing stage's code, 128 + a signal that killed it), `stop`
 * a signal (SIGINT, SIGTERM, SIGHUP) pvbuild itself got and passed on to
 * them, or 0.
 */
struct run_result {
	int status;
	int stop;
};

/*
 * The signals run_pipe and run_chain wait for, blocked: call it before
 * anything is made that must be removed however the build ends. Returns
 * -1 with `e` filled when they cannot be blocked.
 */
int run_block_signals(struct pv_err *e);

/*
 * Start the `n` stages of `dir` connected by pipes, the first reading
 * pvbuild's stdin and the last writing its stdout, and wait for all of
 * them. Returns 0 with `r` filled, or -1 with `e` (a stage could not be
 * started; those started are waited for).
 */
int run_pipe(const char *dir, struct run_stage *, int n,
    struct run_result *r, struct pv_err *e);

/*
 * The same one stage after another, each writing its stdout to its `out`
 * file (the last to pvbuild's stdout when it has none); stops at the first
 * that fails or when pvbuild is told to stop.
 */
int run_chain(const char *dir, struct run_stage *, int n,
    struct run_result *r, struct pv_err *e);

/*
 * Remove `path` and all under it, as rm -rf, without following symbolic
 * links; a path that is gone already is not an error.
 */
int run_remove_tree(const char *path, struct pv_err *e);

/* End as the signal `sig` would have ended pvbuild. */
void run_die_by(int sig) __attribute__((noreturn));

/*
 * --dry-run: the `n` stages' command lines, one a line in pipe order,
 * each word quoted for a shell, with the file a stage's output goes to
 * after " >". Returns -1 when `fp` could not be written.
 */
int run_print(struct run_stage *, int n, FILE *fp);

/* `pvbuild build ARGS`: argv[0] is "build". Returns the exit code. */
int pvb_build(int argc, char **argv);

/* The error line of the front end: "pvbuild: " and the message. */
int pvb_error(const struct pv_err *e);

#endif
