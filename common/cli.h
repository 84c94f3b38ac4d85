/* SPDX-License-Identifier: ISC */
/*
 * cli.h: what every program's main shares beyond its options (opt.h): the
 * one error line, stopping on a signal, and writing the plan out.
 */
#ifndef CLI_H
#define CLI_H

#include <signal.h>
#include <stdio.h>

#include "cache.h"
#include "plan.h"

/*
 * Print "prog: msg" once on stderr, escaped (pv_escape), or nothing when
 * the message is empty (pv_fail_reported); returns the exit code to use.
 */
int cli_error(const char *prog, const struct pv_err *);

/* Print "prog: " and the formatted message, escaped, as one line. */
void cli_say(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * SIGHUP, SIGINT and SIGTERM caught into cli_stop_signal (the signal, 0
 * until one comes), for a program that stops cleanly between steps when
 * asked; -1 with errno if one cannot be caught.
 */
extern volatile sig_atomic_t cli_stop_signal;
int cli_catch_stop(void);

/*
 * Add `member` to the plan, write the plan on stdout and check that stdout
 * was written and closed without error. Returns the exit code.
 */
int cli_emit(const char *prog, struct plan *, const char *member, json_t *);

/*
 * The whole main of a stage that takes no options but --help and
 * --version: read the plan (file argument or stdin), call `fn` for the
 * stage's member, write the plan. Returns the exit code.
 */
typedef int (*cli_stage_fn)(const struct plan *, json_t **member,
    struct pv_err *);
int cli_plain_stage(int argc, char **argv, const char *prog,
    const char *synopsis, const char *about, cli_stage_fn fn);

/*
 * The cache of decompressed images (cache.h) for a program, none with
 * --no-cache (`off`). A directory that is not safe to use is said once
 * per build: by the program that fills the cache first (`say`), elfinfo.
 */
void cli_cache(const char *prog, int off, int say, struct cache *);

#endif
