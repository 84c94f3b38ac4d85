/* SPDX-License-Identifier: ISC */
/*
 * layout: add the domain request (memory, initrd, command line) to a plan
 * and solve the bootstrap virtual address space by the guest type's rules
 * (common/guest/).
 */
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guest.h"
#include "opt.h"

#define PROG "layout"
#define SYNOPSIS "layout --memory SIZE [--initrd FILE] [--cmdline STRING] " \
    "[--no-cache] [PLAN]"

/* The request, with the initrd `initrd` read already (NULL: none). */
static int
request(const char *memory, struct img_ref *initrd, char *cmdline,
    const struct plan_elfinfo *ei, json_t **member, struct pv_err *e)
{
	struct plan_layout l;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	if (pv_parse_size(memory, &l.memory) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "--memory: '%s' is not a size "
		    "(digits with K, M or G; bare is MiB)", memory);
	if (l.memory == 0 || (l.memory & (PV_PAGE_SIZE - 1)) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "--memory: %s is not a "
		    "positive multiple of 4 KiB", memory);
	if (l.memory > plan_max_memory(ei->abi))
		return pv_fail(e, PV_EXIT_INPUT, "--memory: %s is too large for "
		    "%s (%s): its domains have at most 0x%llx bytes", memory,
		    ei->abi->arch, ei->abi->name, (unsigned long long)plan_max_memory(ei->abi));
	l.nr_pages = l.memory >> PV_PAGE_SHIFT;
	if (strlen(cmdline) > PLAN_CMDLINE_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "--cmdline: longer than %d "
		    "bytes", PLAN_CMDLINE_MAX);
	l.cmdline = cmdline;
	if (initrd != NULL) {
		l.initrd = *initrd;
		l.has_initrd = 1;
	}
	if (ei->abi->ops->layout_solve(ei, &l, e) == 0) {
		*member = plan_layout_json(&l, ei->abi);
		if (*member == NULL)
			pv_fail(e, PV_EXIT_INPUT, "--cmdline: not valid UTF-8");
		else
			rc = 0;
	}
	return rc;
}

static const struct opt options[] = {
	{ "cmdline", "STRING", "kernel command line (the guest sees at most "
	    "255 bytes)", 'c' },
	{ "initrd", "FILE", "initial ramdisk, plain or gzip'd", 'i' },
	{ "memory", "SIZE", "the domain's memory: digits with K, M or G; bare "
	    "is MiB", 'm' },
	{ "no-cache", NULL, "gunzip the initrd without the cache of "
	    "decompressed images\n(README, The cache)", 'C' },
	{ NULL, NULL, NULL, 0 },
};

static const struct opt_prog prog = { PROG, SYNOPSIS,
	"Adds the domain request to the plan (file PLAN or standard input) "
	"and\nsolves the bootstrap address space.\n" OPT_ABOUT_PLAN, options };

int
main(int argc, char **argv)
{
	static char empty[1];
	const char *memory = NULL, *initrd = NULL;
	char *cmdline = empty, *value;
	json_t *member = NULL;
	struct img_ref ref;
	struct cache cache;
	struct pv_err e;
	struct plan p;
	int c, rc, no_cache = 0;

	while ((c = opt_next(&prog, argc, argv, &value, &rc)) > 0) {
		switch (c) {
		case 'c': cmdline = value; break;
		case 'i': initrd = value; break;
		case 'm': memory = value; break;
		case 'C': no_cache = 1; break;
		}
	}
	if (c < 0)
		return rc;
	if (memory == NULL)
		return opt_usage(&prog, "--memory is required");
	if ((rc = opt_plan_operand(&prog, argc - optind)) != PV_EXIT_OK)
		return rc;
	cli_cache(PROG, no_cache || initrd == NULL, 0, &cache);
	/*
	 * The initrd is read (and gunzipped) before the plan: in a pipe,
	 * while elfinfo is still decompressing the kernel, rather than
	 * after it.
	 */
	memset(&ref, 0, sizeof(ref));
	memset(&p, 0, sizeof(p));
	if (initrd != NULL && img_load(initrd, IMG_MODULE, IMG_DEFAULT_CAP,
	    &cache, &ref, NULL, &e) < 0) {
		pv_wrap(&e, "--initrd");
		rc = cli_error(PROG, &e);
	} else if (plan_read(argv[optind], PROG, &p, &e) < 0 ||
	    request(memory, initrd != NULL ? &ref : NULL, cmdline, p.elfinfo,
	    &member, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = cli_emit(PROG, &p, PROG, member);
	img_ref_free(&ref);
	plan_free(&p);
	cache_close(&cache);
	return rc;
}
