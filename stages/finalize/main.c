/* SPDX-License-Identifier: ISC */
/*
 * finalize: build the planned domain through a backend. The only stage
 * that touches a hypervisor (or the sim's stand-in for one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "finalize.h"
#include "guest.h"
#include "hvrules.h"
#include "opt.h"

#define PROG "finalize"
#define SYNOPSIS "finalize [--backend sim] --out DIR [--initrd FILE] " \
    "[--json] [--no-cache] [--prefetch IMAGE] [--reserve SIZE] [--scatter N] " \
    "[--sync] [PLAN]\n" \
    "       finalize --backend xen [--initrd FILE] [--json] " \
    "[--memory SIZE [--maxmem SIZE] [--vcpus N]] [--name NAME] " \
    "[--no-cache] [--paused | --wait] [--prefetch IMAGE] [PLAN]"

static const struct opt options[] = {
	{ "backend", "sim|xen", "sim: the stand-in hypervisor (default): the "
	    "domain is\na directory\nxen: a new PV domain on the Xen this runs "
	    "under (in\ndom0, as root); prints its domain id", 'b' },
	{ "initrd", "FILE", "the initrd the plan names, named here so that it "
	    "is read\nwith your rights (README, Trust)", 'i' },
	{ "json", NULL, "print the result as one JSON object instead of the\n"
	    "arrangement and the domain's line", 'j' },
	{ "maxmem", "SIZE", "xen, with --memory: the maxmem the plan asks "
	    "for", 'X' },
	{ "memory", "SIZE", "xen: the memory the plan asks for; the domain "
	    "is made\nwhile the plan comes, and made again if the plan asks "
	    "for\nanother", 'M' },
	{ "name", "NAME", "xen: the domain's name (default pvbuild-DOMID)",
	    'n' },
	{ "no-cache", NULL, "decompress the kernel and initrd without the "
	    "cache of\ndecompressed images (README, The cache)", 'C' },
	{ "out", "DIR", "sim: where the domain goes; must not exist", 'o' },
	{ "paused", NULL, "xen: leave the domain paused", 'P' },
	{ "prefetch", "IMAGE", "start reading the kernel IMAGE at once (used "
	    "only if it\nis the plan's, which is then read with your rights)",
	    'p' },
	{ "reserve", "SIZE", "sim: the low memory its hypervisor keeps "
	    "(default 1M)", 'r' },
	{ "scatter", "N", "sim: how it scatters machine frames (default 1)",
	    's' },
	/* The name --scatter had before, so that command lines written
	 * then still work. */
	{ "seed", "N", NULL, 'e' },
	{ "sync", NULL, "sim: the domain on disk (fsync) before it is renamed "
	    "into\nplace, so that it survives a power loss whole or not at all",
	    'S' },
	{ "vcpus", "N", "xen, with --memory: the vCPUs the plan asks for", 'V' },
	{ "wait", NULL, "xen: wait until the guest shuts down, then destroy "
	    "it\n(exit 0 after a poweroff; finalize(1))", 'W' },
	{ NULL, NULL, NULL, 0 },
};

static const struct opt_prog prog = { PROG, SYNOPSIS,
	"Builds the planned domain (file PLAN or standard input) through a "
	"backend\nand prints where it went.\n" OPT_ABOUT_PLAN, options };

/* The command line, parsed. */
struct args {
	struct backend b;
	const char *backend;		/* --backend as given */
	int sim_only;			/* an option only the sim takes given */
	const char *scatter;		/* --scatter or --seed, as typed */
	struct prefetch pf;		/* --prefetch */
	struct early early;		/* --memory, --maxmem, --vcpus */
	const char *maxmem, *vcpus;	/* as given */
	int early_asked;		/* --memory given */
	int no_cache;			/* --no-cache */
	int nr_plans;			/* operands: at most one, PLAN */
};

/*
 * --memory, --maxmem and --vcpus as the early domain's request: a 64-bit
 * PV domain (the only PV guests Xen runs today) of the sizes layout
 * would take. They only say what the plan is expected to ask for, and
 * the plan decides: a request that could not be a plan's is no use
 * early, and no domain is made before the plan comes (`pvbuild build`
 * passes them as the user typed them, and layout's is then the one
 * message about them).
 */
static void
parse_request(struct args *a, const char *memory)
{
	struct hv_request *r = &a->early.req;
	uint64_t bytes, n = 1;

	r->abi = &abi_table[ABI_X86_64];
	if (pv_parse_size(memory, &bytes) < 0 || bytes == 0 ||
	    (bytes & (PV_PAGE_SIZE - 1)) != 0 ||
	    bytes > plan_max_memory(r->abi))
		return;
	r->nr_pages = bytes >> PV_PAGE_SHIFT;
	r->maxmem = bytes;
	if (a->maxmem != NULL && (pv_parse_size(a->maxmem, &r->maxmem) < 0 ||
	    (r->maxmem & (PV_PAGE_SIZE - 1)) != 0 || r->maxmem < bytes ||
	    r->maxmem > plan_max_memory(r->abi)))
		return;
	if (a->vcpus != NULL && (pv_parse_u64(a->vcpus, &n) < 0 || n == 0 ||
	    n > r->abi->ops->max_vcpus))
		return;
	r->vcpus = (uint32_t)n;
	a->early.wanted = 1;
}

/*
 * The options into `a`, each value checked as far as it can be alone.
 * Returns 0, or -1 when main is to return *status at once (--help,
 * --version, a usage error).
 */
static int
parse(int argc, char **argv, struct args *a, int *status)
{
	const char *memory = NULL;
	char *v;
	int c;

	while ((c = opt_next(&prog, argc, argv, &v, status)) > 0) {
		switch (c) {
		case 'b': a->backend = v; break;
		case 'i': a->b.initrd = v; break;
		case 'C': a->no_cache = 1; break;
		case 'j': a->b.json = 1; break;
		case 'M': memory = v; break;
		case 'X': a->maxmem = v; break;
		case 'V': a->vcpus = v; break;
		case 'n':
			/* A xenstore value and a console log's file name. */
			if (*v == '\0' || strlen(v) > 64 ||
			    strchr(v, '/') != NULL) {
				*status = opt_usage(&prog, "--name: '%s' is not "
				    "1 to 64 characters without '/'", v);
				return -1;
			}
			a->b.x.name = v;
			break;
		case 'o': a->b.out = v; break;
		case 'P': a->b.x.paused = 1; break;
		case 'W': a->b.x.wait = 1; break;
		case 'p': a->pf.path = v; break;
		case 'r':
			a->sim_only = 1;
			if (pv_parse_size(v, &a->b.sim.reserved) < 0 ||
			    a->b.sim.reserved > ((uint64_t)1 << 50)) {
				*status = opt_usage(&prog, "--reserve: '%s' is "
				    "not a size", v);
				return -1;
			}
			break;
		case 's':
		case 'e':
			/* Recorded as a JSON integer: keep it below 2^53. */
			a->sim_only = 1;
			a->scatter = c == 's' ? "--scatter" : "--seed";
			if (pv_parse_u64(v, &a->b.sim.scatter) < 0 ||
			    a->b.sim.scatter >= (uint64_t)1 << 53) {
				*status = opt_usage(&prog, "%s: '%s' is not a "
				    "number below 2^53", a->scatter, v);
				return -1;
			}
			break;
		case 'S':
			a->sim_only = 1;
			a->b.sim.sync = 1;
			break;
		}
	}
	a->nr_plans = argc - optind;
	if (c == 0 && memory == NULL && (a->maxmem != NULL ||
	    a->vcpus != NULL)) {
		*status = opt_usage(&prog, "--maxmem and --vcpus go with "
		    "--memory");
		return -1;
	}
	a->early_asked = memory != NULL;
	if (c == 0 && memory != NULL)
		parse_request(a, memory);
	return c;
}

/*
 * The backend named and the options given for it agree, and the sim's
 * --out can be built under, before the plan is read (then the operands
 * are counted); a xen build gets ready to be stopped by a signal. Returns
 * PV_EXIT_OK, or the exit code once the error is reported.
 */
static int
check_backend(struct args *a)
{
	struct pv_err e;
	int rc;

	a->b.xen = strcmp(a->backend, "xen") == 0;
	if (!a->b.xen && strcmp(a->backend, "sim") != 0)
		return opt_usage(&prog, "--backend: unknown backend '%s' (this "
		    "build has: sim, xen)", a->backend);
	if (a->b.xen && (a->sim_only || a->b.out != NULL))
		return opt_usage(&prog, "--out, --reserve, %s and --sync are "
		    "for --backend sim", a->scatter);
	if (!a->b.xen && (a->b.x.name != NULL || a->b.x.paused ||
	    a->b.x.wait || a->early_asked))
		return opt_usage(&prog, "--memory, --name, --paused and --wait "
		    "are for --backend xen");
	if (a->b.x.paused && a->b.x.wait)
		return opt_usage(&prog, "--wait: a paused domain never shuts "
		    "down; give --paused or --wait");
	if (!a->b.xen && (a->b.out == NULL || *a->b.out == '\0'))
		return opt_usage(&prog, "--out DIR is required");
	/*
	 * A name the sim cannot build under is refused now, before the plan
	 * is read. A name with control characters is any other name to the
	 * kernel, and the operator's choice: it is built, and every line
	 * that shows it shows it escaped.
	 */
	if (!a->b.xen && hv_sim_check_out(a->b.out, &e) < 0)
		return cli_error(PROG, &e);
	/* JSON strings are UTF-8: --json cannot show another name. */
	if (a->b.json && ((a->b.out != NULL && !pv_utf8_valid(a->b.out,
	    strlen(a->b.out))) || (a->b.x.name != NULL &&
	    !pv_utf8_valid(a->b.x.name, strlen(a->b.x.name)))))
		return opt_usage(&prog, "--json: --out and --name must be "
		    "UTF-8");
	if ((rc = opt_plan_operand(&prog, a->nr_plans)) != PV_EXIT_OK)
		return rc;
	if (a->b.xen) {
		/*
		 * A signal during a xen build: the backend sees it between
		 * steps, fails and destroys the domain, so that an
		 * interrupted build leaves nothing.
		 */
		a->b.x.stop = &cli_stop_signal;
		if (cli_catch_stop() < 0) {
			cli_say(PROG, "sigaction: %s", strerror(errno));
			return PV_EXIT_SYSTEM;
		}
	}
	return PV_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct args a = { .backend = "sim", .scatter = "--scatter",
	    .b.sim = { .scatter = 1, .reserved = 1 << 20 } };
	uint8_t *kernel = NULL, *initrd = NULL;
	struct cache cache, lookup;
	struct pv_err e;
	struct plan p;
	int rc;

	if (parse(argc, argv, &a, &rc) < 0 ||
	    (rc = check_backend(&a)) != PV_EXIT_OK)
		return rc;
	cli_cache(PROG, a.no_cache, 0, &cache);
	lookup = cache;
	lookup.lookup_only = 1;
	a.pf.cache = cache.fd >= 0 ? &lookup : NULL;
	prefetch_start(&a.pf);
	early_start(&a.early, &a.b.x);
	/*
	 * The plan is untrusted and this runs as root: what no hypervisor
	 * would build is refused before anything is read or built, on every
	 * backend.
	 */
	if (plan_read(argv[optind], PROG, &p, &e) < 0 ||
	    hvrules_check(&p, &e) < 0 ||
	    verify(&p, &a.b, &a.pf, &cache, &kernel, &initrd, &e) < 0 ||
	    build(&p, &a.b, &a.early, kernel, initrd, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = fclose(stdout) == 0 ? PV_EXIT_OK : PV_EXIT_SYSTEM;
	early_end(&a.early);
	img_free(kernel);
	img_free(initrd);
	img_free(prefetch_take(&a.pf, NULL));
	plan_free(&p);
	cache_close(&cache);
	return rc;
}
