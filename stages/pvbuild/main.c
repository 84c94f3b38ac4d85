/* SPDX-License-Identifier: ISC */
/*
 * pvbuild: the one command on the PATH. `pvbuild STAGE ARGS` runs the
 * stage program of that name from the stages' directory, as git runs its
 * helpers from its exec path; `pvbuild build` runs all five (build.c).
 * The stages stay programs of their own, the same run from here or
 * directly: pvbuild only finds and starts them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"
#include "pvbuild.h"

#define SYNOPSIS "pvbuild [--exec-path] COMMAND [ARGS ...]"

static const struct opt options[] = {
	{ "exec-path", NULL, "print the directory the stages are started "
	    "from, and exit", 'x' },
	{ NULL, NULL, NULL, 0 },
};

static const struct opt_prog prog = { "pvbuild", SYNOPSIS,
	"Builds Xen PV domains. The commands:\n"
	"  build       elfinfo | layout | populate | pagetables | finalize "
	"in one go\n"
	"  elfinfo     reads a kernel image and starts a plan\n"
	"  layout      adds the domain request and solves the bootstrap "
	"address space\n"
	"  populate    plans the contents of every page the builder writes\n"
	"  pagetables  plans the initial page tables\n"
	"  finalize    builds the planned domain through a backend (sim or "
	"xen)\n"
	"  boot        starts a sim domain in KVM or QEMU\n"
	"  show        prints or draws the arrangement of a plan or a sim "
	"domain\n"
	"  help CMD    CMD --help\n"
	"The stages are programs of their own in the --exec-path directory\n"
	"($PVBUILD_EXEC_PATH when set).", options };

/* The stages and the other programs pvbuild starts by name. */
static char *const commands[] = { "elfinfo", "layout", "populate",
	"pagetables", "finalize", "boot", "show", NULL };

int
pvb_error(const struct pv_err *e)
{
	fprintf(stderr, "pvbuild: %s\n", e->msg);
	return e->code != 0 ? e->code : PV_EXIT_SYSTEM;
}

/* Run the program `name` in place of pvbuild, with argv[0] its name. */
static int
run_command(char *name, char **argv)
{
	char path[PATH_MAX];
	struct pv_err e;
	const char *dir;
	int len;

	if ((dir = pvb_exec_path(&e)) == NULL)
		return pvb_error(&e);
	len = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (len < 0 || (size_t)len >= sizeof(path)) {
		pv_fail(&e, PV_EXIT_SYSTEM, "%s: the stages' directory name "
		    "is too long", dir);
		return pvb_error(&e);
	}
	argv[0] = name;
	execv(path, argv);
	pv_fail(&e, PV_EXIT_SYSTEM, "%s: %s", path, strerror(errno));
	return pvb_error(&e);
}

/*
 * `pvbuild help [COMMAND]`: pvbuild's help, or the command's own --help
 * (the program's, which says what it does best).
 */
static int
help(int argc, char **argv)
{
	static char opt_help_arg[] = "--help";
	char *args[3] = { NULL, opt_help_arg, NULL };
	struct pv_err e;
	int i;

	if (argc < 2) {
		opt_help(&prog, stdout);
		return fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
	}
	if (argc > 2)
		return opt_usage(&prog, "help: too many arguments");
	if (strcmp(argv[1], "build") == 0)
		return pvb_build(2, (char *[]){ argv[1], opt_help_arg, NULL });
	for (i = 0; commands[i] != NULL; i++)
		if (strcmp(argv[1], commands[i]) == 0)
			return run_command(commands[i], args);
	pv_fail(&e, PV_EXIT_USAGE, "help: '%s' is not a pvbuild command",
	    argv[1]);
	return pvb_error(&e);
}

int
main(int argc, char **argv)
{
	static char long_help[] = "--help";
	struct pv_err e;
	const char *dir;
	char *value;
	int c, i, n, status = PV_EXIT_OK, exec_path = 0;

	/*
	 * pvbuild's own options come before the command; what follows the
	 * command is the command's, so getopt sees only the first ones.
	 */
	for (n = 1; n < argc && argv[n][0] == '-'; n++)
		if (strcmp(argv[n], "-h") == 0)
			argv[n] = long_help;
	while ((c = opt_next(&prog, n, argv, &value, &status)) > 0)
		if (c == 'x')
			exec_path = 1;
	if (c < 0)
		return status;
	if (exec_path) {
		if ((dir = pvb_exec_path(&e)) == NULL)
			return pvb_error(&e);
		printf("%s\n", dir);
		return fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
	}
	if (optind >= argc)
		return opt_usage(&prog, "no COMMAND given (pvbuild --help "
		    "lists them)");
	argv += optind;
	argc -= optind;
	/* getopt starts afresh on the command's arguments. */
	optind = 0;
	if (strcmp(argv[0], "build") == 0)
		return pvb_build(argc, argv);
	if (strcmp(argv[0], "help") == 0)
		return help(argc, argv);
	for (i = 0; commands[i] != NULL; i++)
		if (strcmp(argv[0], commands[i]) == 0)
			return run_command(commands[i], argv);
	pv_fail(&e, PV_EXIT_USAGE, "'%s' is not a pvbuild command (pvbuild "
	    "--help lists them)", argv[0]);
	return pvb_error(&e);
}
