/*
 * layout: add the domain request (memory, initrd, command line) to a plan
 * and solve the bootstrap virtual address space by the guest type's rules
 * (common/guest/).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guest.h"

#define PROG "layout"
#define SYNOPSIS "layout --memory SIZE [--initrd FILE] [--cmdline STRING] " \
    "[PLAN]"

static int
request(const char *memory, const char *initrd, char *cmdline,
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
		if (img_load(initrd, IMG_MODULE, IMG_DEFAULT_CAP, &l.initrd, NULL,
		    e) < 0)
			return pv_wrap(e, "--initrd");
		l.has_initrd = 1;
	}
	if (ei->abi->ops->layout_solve(ei, &l, e) == 0) {
		*member = plan_layout_json(&l, ei->abi);
		if (*member == NULL)
			pv_fail(e, PV_EXIT_INPUT, "--cmdline: not valid UTF-8");
		else
			rc = 0;
	}
	img_ref_free(&l.initrd);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cmdline", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "memory", required_argument, NULL, 'm' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char empty[1];
	const char *memory = NULL, *initrd = NULL;
	char *cmdline = empty;
	json_t *member = NULL;
	struct pv_err e;
	struct plan p;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cmdline = optarg; break;
		case 'h':
			printf("usage: %s\n\nAdds the domain request to the plan "
			    "(file PLAN or standard input) and\nsolves the "
			    "bootstrap address space.\n\n"
			    "  --memory SIZE     the domain's memory: digits with "
			    "K, M or G; bare is MiB\n"
			    "  --initrd FILE     initial ramdisk, plain or "
			    "gzip'd\n"
			    "  --cmdline STRING  kernel command line (the guest "
			    "sees at most 255 bytes)\n", SYNOPSIS);
			return PV_EXIT_OK;
		case 'i': initrd = optarg; break;
		case 'm': memory = optarg; break;
		case 'V': return cli_version(PROG);
		case ':':
			return cli_usage(PROG, SYNOPSIS, "%s needs a value",
			    argv[optind - 1]);
		default:
			return cli_usage(PROG, SYNOPSIS, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (memory == NULL)
		return cli_usage(PROG, SYNOPSIS, "--memory is required");
	if (argc - optind > 1)
		return cli_usage(PROG, SYNOPSIS, "too many arguments");
	if (plan_read(argv[optind], PROG, &p, &e) < 0 ||
	    request(memory, initrd, cmdline, p.elfinfo, &member, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = cli_emit(PROG, &p, PROG, member);
	plan_free(&p);
	return rc;
}
