/* SPDX-License-Identifier: ISC */
/*
 * build.c: `pvbuild build`, the five stages as one pipe (pipeline.sh's
 * job, which is now a script over this), to the sim or to Xen. The stages
 * and their arguments are what one would type:
 *
 *   elfinfo KERNEL | layout --memory SIZE [--initrd F] [--cmdline S] |
 *   populate | pagetables | finalize --backend B ... --prefetch KERNEL
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opt.h"
#include "pvbuild.h"
#include "xlcfg.h"

/* What --keep saves: the four plans and the arrangement. */
#define KEEP_FILES 5

#define SYNOPSIS "pvbuild build [KERNEL] [--config XLCFG] --memory SIZE " \
    "[--maxmem SIZE] [--vcpus N]\n" \
    "                     [--initrd FILE] [--cmdline STRING] [--name NAME] " \
    "[--disk SPEC ...]\n" \
    "                     [--nic SPEC ...] [--keep PLANDIR] [--no-cache] " \
    "[--dry-run] [--pvh]\n" \
    "                     [--backend sim] --out DIR [--scatter N] " \
    "[--sync] | --backend xen [--paused | --wait]"

static const struct opt options[] = {
	{ "backend", "sim|xen", "sim: a sim domain in DIR (default)\nxen: a "
	    "new PV domain on the Xen this runs under\n(in dom0, as root)",
	    'b' },
	{ "cmdline", "STRING", "the kernel command line", 'c' },
	{ "config", "XLCFG", "an xl domain configuration (xl.cfg(5)): its "
	    "name, type\n(\"pv\", \"pvh\"), kernel, ramdisk, cmdline, root, extra, "
	    "memory,\nmaxmem, vcpus, disk and vif; any other key is "
	    "refused.\nThe options given here override the file's values",
	    'f' },
	{ "disk", "SPEC", "a disk, in xl's disk syntax (pvbuild layout "
	    "--help);\nrepeatable, and any replace the file's disk list", 'd' },
	{ "dry-run", NULL, "print the stages' command lines, one a line, "
	    "and run\nnothing", 'N' },
	{ "initrd", "FILE", "initial ramdisk, plain or gzip'd", 'i' },
	{ "keep", "PLANDIR", "save the plan after each stage in PLANDIR (made "
	    "here; must\nnot exist) as 1-elfinfo.json ... 4-pagetables.json, "
	    "and\nthe arrangement as arrangement.txt", 'k' },
	{ "maxmem", "SIZE", "the most memory the domain may balloon up to "
	    "(default\n--memory)", 'M' },
	{ "memory", "SIZE", "the domain's memory: digits with K, M or G; bare "
	    "is MiB", 'm' },
	{ "name", "NAME", "the domain's name, in the plan (xen: default "
	    "pvbuild-DOMID)", 'n' },
	{ "nic", "SPEC", "a network interface, in xl's vif syntax;\n"
	    "repeatable, and any replace the file's vif list", 'v' },
	{ "no-cache", NULL, "keep no decompressed kernel for later builds "
	    "(README, The\ncache): the stages share a cache removed at the end",
	    'C' },
	{ "out", "DIR", "sim: where the domain goes; must not exist", 'o' },
	{ "pvh", NULL, "build KERNEL as a PVH guest (elfinfo --pvh; README, "
	    "PVH)", 'H' },
	{ "paused", NULL, "xen: leave the domain paused", 'P' },
	{ "scatter", "N", "sim: how it scatters machine frames (default 1)",
	    's' },
	/* The name --scatter had before, as finalize still takes it. */
	{ "seed", "N", NULL, 's' },
	{ "sync", NULL, "sim: the domain on disk before it appears "
	    "(finalize --help)", 'S' },
	{ "vcpus", "N", "the domain's vCPUs (default 1)", 'V' },
	{ "wait", NULL, "xen: wait until the guest shuts down, then destroy "
	    "it\n(finalize --help)", 'W' },
	{ NULL, NULL, NULL, 0 },
};

static const struct opt_prog prog = { "pvbuild", SYNOPSIS,
	"Builds KERNEL into a domain through elfinfo | layout | populate |\n"
	"pagetables | finalize, started from pvbuild --exec-path. It exits "
	"with the\ncode of the first stage that failed. With --config, "
	"KERNEL and --memory\nmay come from the file, as `xl create XLCFG` "
	"takes them.", options };

/* The command line, parsed, and the file of --config. */
struct build {
	char *kernel, *memory, *initrd, *cmdline, *keep, *out, *name;
	char *backend, *scatter, *config, *maxmem, *vcpus;
	char *disks[PLAN_DISKS_MAX], *nics[PLAN_NICS_MAX];
	size_t nr_disks, nr_nics;
	int xen, paused, wait, sync, no_cache, dry_run, pvh;
	struct xlcfg cfg;
	/* The file's numbers as layout's options take them. */
	char cfg_memory[24], cfg_maxmem[24], cfg_vcpus[24];
};

/* A repeated option's value into `list`, which holds `max`. */
static int
repeat(char **list, size_t *nr, size_t max, const char *option, char *v,
    int *status)
{
	if (*nr >= max) {
		*status = opt_usage(&prog, "%s: more than %zu given", option,
		    max);
		return -1;
	}
	list[(*nr)++] = v;
	return 0;
}

static int
parse_options(int argc, char **argv, struct build *b, int *status)
{
	char *v;
	int c, rc = 0;

	b->backend = "sim";
	while (rc == 0 && (c = opt_next(&prog, argc, argv, &v, status)) > 0) {
		switch (c) {
		case 'b': b->backend = v; break;
		case 'c': b->cmdline = v; break;
		case 'd': rc = repeat(b->disks, &b->nr_disks, PLAN_DISKS_MAX,
		    "--disk", v, status); break;
		case 'f': b->config = v; break;
		case 'i': b->initrd = v; break;
		case 'k': b->keep = v; break;
		case 'm': b->memory = v; break;
		case 'n': b->name = v; break;
		case 'v': rc = repeat(b->nics, &b->nr_nics, PLAN_NICS_MAX,
		    "--nic", v, status); break;
		case 'C': b->no_cache = 1; break;
		case 'H': b->pvh = 1; break;
		case 'M': b->maxmem = v; break;
		case 'N': b->dry_run = 1; break;
		case 'o': b->out = v; break;
		case 'P': b->paused = 1; break;
		case 's': b->scatter = v; break;
		case 'S': b->sync = 1; break;
		case 'V': b->vcpus = v; break;
		case 'W': b->wait = 1; break;
		}
	}
	if (rc < 0 || c < 0)
		return -1;
	if (optind < argc)
		b->kernel = argv[optind];
	if (argc - optind > 1) {
		*status = opt_usage(&prog, "too many arguments");
		return -1;
	}
	return 0;
}

/* A number of the file for layout: "N" and the unit's letter. */
static char *
cfg_number(char *buf, size_t size, const struct xlcfg_num *n,
    const char *unit)
{
	if (!n->set)
		return NULL;
	snprintf(buf, size, "%llu%s", (unsigned long long)n->value, unit);
	return buf;
}

/*
 * The file's values where the command line gave none, as `xl create
 * XLCFG KEY=VALUE` lets the command line's win; a --disk or --nic given
 * replaces the file's whole list, as disk=[...] there would.
 */
static int
merge_config(struct build *b, int *status)
{
	struct xlcfg *c = &b->cfg;
	struct pv_err e;
	size_t i;

	if (xlcfg_read(b->config, c, &e) < 0) {
		*status = pvb_error(&e);
		return -1;
	}
	if (b->kernel == NULL)
		b->kernel = c->kernel;
	if (c->pvh)
		b->pvh = 1;
	if (b->initrd == NULL)
		b->initrd = c->ramdisk;
	if (b->cmdline == NULL)
		b->cmdline = c->cmdline;
	if (b->name == NULL)
		b->name = c->name;
	if (b->memory == NULL)
		b->memory = cfg_number(b->cfg_memory, sizeof(b->cfg_memory),
		    &c->memory, "M");
	if (b->maxmem == NULL)
		b->maxmem = cfg_number(b->cfg_maxmem, sizeof(b->cfg_maxmem),
		    &c->maxmem, "M");
	if (b->vcpus == NULL)
		b->vcpus = cfg_number(b->cfg_vcpus, sizeof(b->cfg_vcpus),
		    &c->vcpus, "");
	if (b->nr_disks == 0)
		for (i = 0; i < c->disk.nr; i++)
			b->disks[b->nr_disks++] = c->disk.v[i];
	if (b->nr_nics == 0)
		for (i = 0; i < c->vif.nr; i++)
			b->nics[b->nr_nics++] = c->vif.v[i];
	return 0;
}

static int
parse(int argc, char **argv, struct build *b, int *status)
{
	if (parse_options(argc, argv, b, status) < 0)
		return -1;
	if (b->config != NULL && merge_config(b, status) < 0)
		return -1;
	if (b->kernel == NULL)
		*status = opt_usage(&prog, "no KERNEL given");
	else if (b->memory == NULL)
		*status = opt_usage(&prog, "--memory is required");
	else if (strcmp(b->backend, "sim") != 0 &&
	    strcmp(b->backend, "xen") != 0)
		*status = opt_usage(&prog, "--backend: unknown backend '%s' "
		    "(sim or xen)", b->backend);
	else if ((b->xen = strcmp(b->backend, "xen") == 0) &&
	    (b->out != NULL || b->scatter != NULL || b->sync))
		*status = opt_usage(&prog, "--out, --scatter and --sync are "
		    "for --backend sim");
	else if (!b->xen && (b->paused || b->wait))
		*status = opt_usage(&prog, "--paused and --wait are for "
		    "--backend xen");
	else if (!b->xen && b->out == NULL)
		*status = opt_usage(&prog, "--out DIR is required");
	else
		return 0;
	return -1;
}

/*
 * Append to a stage's argv. The room is counted: layout, which takes the
 * most, is given at most 64 with the most disks and NICs.
 */
static void
add(struct run_stage *s, char *arg)
{
	int i;

	for (i = 0; i < RUN_MAX_ARGS - 1 && s->argv[i] != NULL; i++)
		;
	if (i < RUN_MAX_ARGS - 1)
		s->argv[i] = arg;
}

/* An option and its value, when it has one. */
static void
add_value(struct run_stage *s, char *option, char *value)
{
	if (value != NULL) {
		add(s, option);
		add(s, value);
	}
}

/*
 * The five stages' argv. `plans` holds the four plan files and
 * arrangement.txt with --keep (each stage after elfinfo then reads the
 * one before it, and show writes the arrangement of the last), else NULL.
 */
static void
stages(struct build *b, char plans[KEEP_FILES][PATH_MAX],
    struct run_stage *s)
{
	static char *names[] = { "elfinfo", "layout", "populate",
	    "pagetables", "finalize", "show" };
	size_t i;

	memset(s, 0, 6 * sizeof(*s));
	for (i = 0; i < 6; i++)
		add(&s[i], names[i]);
	add_value(&s[1], "--memory", b->memory);
	add_value(&s[1], "--initrd", b->initrd);
	add_value(&s[1], "--cmdline", b->cmdline);
	add_value(&s[1], "--vcpus", b->vcpus);
	add_value(&s[1], "--maxmem", b->maxmem);
	add_value(&s[1], "--name", b->name);
	for (i = 0; i < b->nr_disks; i++)
		add_value(&s[1], "--disk", b->disks[i]);
	for (i = 0; i < b->nr_nics; i++)
		add_value(&s[1], "--nic", b->nics[i]);
	add_value(&s[4], "--backend", b->backend);
	if (b->xen) {
		add_value(&s[4], "--name", b->name);
		/*
		 * The request layout is given, so that finalize makes the
		 * PV domain while the kernel is still being decompressed.
		 */
		if (!b->pvh) {
			add_value(&s[4], "--memory", b->memory);
			add_value(&s[4], "--maxmem", b->maxmem);
			add_value(&s[4], "--vcpus", b->vcpus);
		}
		if (b->paused)
			add(&s[4], "--paused");
		if (b->wait)
			add(&s[4], "--wait");
	} else {
		add_value(&s[4], "--out", b->out);
		add_value(&s[4], "--scatter", b->scatter != NULL ? b->scatter :
		    "1");
		if (b->sync)
			add(&s[4], "--sync");
	}
	/*
	 * The files are named to finalize too: it reads them with the
	 * caller's rights only when its command line names them (README,
	 * "Trust"), and starts on the kernel while the plan is still coming.
	 */
	add_value(&s[4], "--prefetch", b->kernel);
	add_value(&s[4], "--initrd", b->initrd);
	/* Operands after "--": a file named "-x" is a file. */
	if (b->pvh)
		add(&s[0], "--pvh");
	add(&s[0], "--");
	add(&s[0], b->kernel);
	for (i = 0; plans != NULL && i < 4; i++) {
		s[i].out = plans[i];
		add(&s[i + 1], "--");
		add(&s[i + 1], plans[i]);
	}
	/* With --keep, show saves the arrangement beside the plans. */
	if (plans != NULL) {
		add(&s[5], "--");
		add(&s[5], plans[3]);
		s[5].out = plans[4];
	}
}

/* mkdir -p: PLANDIR and the directories above it that are missing. */
static int
make_dirs(const char *path, struct pv_err *e)
{
	char buf[PATH_MAX];
	size_t len = strlen(path), i;

	if (len >= sizeof(buf))
		return pv_fail(e, PV_EXIT_INPUT, "--keep: %s: name too long",
		    path);
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0777) < 0 && (errno != EEXIST || i == len))
			return pv_fail(e, PV_EXIT_SYSTEM, "--keep: %s: %s",
			    buf, strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

/*
 * The plan files' names in PLANDIR; a PLANDIR that is there already is a
 * usage error, as it was in pipeline.sh.
 */
static int
keep_names(const char *keep, char plans[KEEP_FILES][PATH_MAX], int *status)
{
	static const char *files[KEEP_FILES] = { "1-elfinfo.json",
	    "2-layout.json", "3-populate.json", "4-pagetables.json",
	    "arrangement.txt" };
	struct stat st;
	struct pv_err e;
	int i, len;

	if (lstat(keep, &st) == 0) {
		*status = opt_usage(&prog, "--keep: %s already exists", keep);
		return -1;
	}
	for (i = 0; i < KEEP_FILES; i++) {
		len = snprintf(plans[i], PATH_MAX, "%s/%s", keep, files[i]);
		if (len < 0 || len >= PATH_MAX) {
			pv_fail(&e, PV_EXIT_INPUT, "--keep: %s: name too long",
			    keep);
			*status = pvb_error(&e);
			return -1;
		}
	}
	return 0;
}

/*
 * --no-cache: the stages still share the one decompression of this
 * build, through a cache of their own that goes when the build ends, so
 * that the kernel is decompressed once and nothing is kept.
 */
static int
private_cache(char *dir, size_t size, struct pv_err *e)
{
	const char *tmp = getenv("TMPDIR");
	int len;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	len = snprintf(dir, size, "%s/pvbuild-cache.XXXXXX", tmp);
	if (len < 0 || (size_t)len >= size)
		return pv_fail(e, PV_EXIT_SYSTEM, "TMPDIR: name too long");
	if (mkdtemp(dir) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", dir,
		    strerror(errno));
	if (setenv("PVBUILD_CACHE", dir, 1) < 0 ||
	    unsetenv("PVBUILD_CACHE_SIZE") < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "setenv: %s", strerror(errno));
		rmdir(dir);
		return -1;
	}
	return 0;
}

/*
 * Standard input, output and error open, so that no pipe or file of a
 * stage lands on one of them by chance.
 */
static void
open_std(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return;
}

/* --dry-run: the command lines, and nothing made. */
static int
dry_run(struct build *b, char plans[KEEP_FILES][PATH_MAX])
{
	struct run_stage s[6];

	stages(b, b->keep != NULL ? plans : NULL, s);
	if (run_print(s, b->keep != NULL ? 6 : 5, stdout) < 0 ||
	    fclose(stdout) != 0)
		return PV_EXIT_SYSTEM;
	return PV_EXIT_OK;
}

static int
build(struct build *b)
{
	static char plans[KEEP_FILES][PATH_MAX];
	char cache[PATH_MAX] = "";
	struct run_stage s[6];
	struct run_result r = { 0, 0 };
	struct pv_err e;
	const char *dir;
	int status = PV_EXIT_OK, rc;

	if (b->keep != NULL && keep_names(b->keep, plans, &status) < 0)
		return status;
	if (b->dry_run)
		return dry_run(b, plans);
	if ((dir = pvb_exec_path(&e)) == NULL)
		return pvb_error(&e);
	open_std();
	/* From here on a signal is waited for, not taken. */
	if (run_block_signals(&e) < 0)
		return pvb_error(&e);
	if (b->keep != NULL && make_dirs(b->keep, &e) < 0)
		return pvb_error(&e);
	rc = b->no_cache ? private_cache(cache, sizeof(cache), &e) : 0;
	if (rc == 0) {
		stages(b, b->keep != NULL ? plans : NULL, s);
		rc = b->keep != NULL ? run_chain(dir, s, 6, &r, &e) :
		    run_pipe(dir, s, 5, &r, &e);
	}
	status = rc < 0 ? pvb_error(&e) : r.status;
	if (*cache != '\0' && run_remove_tree(cache, &e) < 0 && status == 0)
		status = pvb_error(&e);
	/* A failed build leaves no plans behind, as it leaves no domain. */
	if (b->keep != NULL && (status != 0 || r.stop != 0) &&
	    run_remove_tree(b->keep, &e) < 0)
		pvb_error(&e);
	if (r.stop != 0)
		run_die_by(r.stop);
	return status;
}

int
pvb_build(int argc, char **argv)
{
	struct build b;
	int status = PV_EXIT_OK;

	memset(&b, 0, sizeof(b));
	if (parse(argc, argv, &b, &status) == 0)
		status = build(&b);
	xlcfg_free(&b.cfg);
	return status;
}
