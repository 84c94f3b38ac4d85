/* SPDX-License-Identifier: ISC */
/*
 * opt.h: a program's options as one table, which both parses the command
 * line and prints --help, as kvmtool's parse-options does. --help (also
 * -h) and --version are every program's and are not in the tables. Long
 * options are taken by their whole names only, never abbreviated.
 */
#ifndef OPT_H
#define OPT_H

#include <stdio.h>

struct opt {
	const char *name;	/* the long option, without "--" */
	const char *arg;	/* its value's name in --help; NULL: a flag */
	const char *help;	/* what it does; each '\n' starts a new line;
				   NULL: taken, but not in --help (an old
				   spelling kept working) */
	int key;		/* what opt_next returns for it; not 0 */
};

struct opt_prog {
	const char *name;	/* "layout": the prefix of every message */
	const char *synopsis;	/* the usage line, as README gives it */
	const char *about;	/* the paragraph --help prints first */
	const struct opt *opts;	/* sorted by name, ending with { NULL } */
};

/*
 * The paragraph that ends the about text of every program that reads a
 * plan: where it comes from, and the two rules of opt_plan_operand and
 * plan_read (README, "Exit codes").
 */
#define OPT_ABOUT_PLAN "\n" \
    "With no PLAN the plan is read from standard input, which must not be a\n" \
    "terminal. Nothing at all through a pipe means that the program before\n" \
    "failed and said why: this one exits 1 without a word.\n"

/* The most options one table may hold, --help and --version aside. */
#define OPT_MAX 30

/*
 * The next option of argv: its key, with its value (or NULL) in *value;
 * 0 when the options end, the operands starting at `optind`; or -1 when
 * main is to return *status at once: --help and --version printed, or a
 * usage error reported (an unknown or abbreviated option, a missing
 * value).
 */
int opt_next(const struct opt_prog *, int argc, char **argv,
    char **value, int *status);

/*
 * The operands of a program whose one operand is an optional PLAN,
 * standard input when it is not given: `nr` of them. Returns PV_EXIT_OK,
 * or the usage exit code once the error is reported: more than one, or
 * none while standard input is a terminal (nobody is about to type a plan
 * into it).
 */
int opt_plan_operand(const struct opt_prog *, int nr);

/*
 * A usage error: "prog: " and the message on stderr, escaped, then the
 * synopsis; returns the usage exit code.
 */
int opt_usage(const struct opt_prog *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --help: the synopsis, the about paragraph and the table, on stdout. */
void opt_help(const struct opt_prog *, FILE *);

#endif
