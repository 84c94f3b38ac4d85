/*
 * elfinfo: read a guest kernel image and start a plan with its facts.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "elfguest.h"

#define PROG "elfinfo"
#define SYNOPSIS "elfinfo [--max-size SIZE] IMAGE"

static int
inspect(const char *path, uint64_t cap, json_t **member, struct pv_err *e)
{
	struct plan_elfinfo ei;
	uint8_t *data;
	int rc;

	memset(&ei, 0, sizeof(ei));
	if (img_load(path, IMG_KERNEL, cap, &ei.image, &data, e) < 0)
		return -1;
	rc = elf_guest_inspect(data, ei.image.data_size, &ei, e);
	free(data);
	if (rc < 0)
		pv_wrap(e, "%s", path);
	else
		*member = plan_elfinfo_json(&ei);
	plan_elfinfo_clear(&ei);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t cap = IMG_DEFAULT_CAP;
	json_t *member = NULL;
	struct pv_err e;
	struct plan p;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: %s\n\nReads a guest kernel image (ELF, "
			    "plain or compressed with gzip, bzip2,\nxz, lzma, "
			    "lzo, lz4 or zstd, or a Linux bzImage), checks it "
			    "and writes a plan\nwith its facts on standard "
			    "output.\n\n"
			    "  --max-size SIZE  refuse images that decompress "
			    "past SIZE (default 1G)\n", SYNOPSIS);
			return PV_EXIT_OK;
		case 'm':
			if (pv_parse_size(optarg, &cap) < 0 || cap == 0)
				return cli_usage(PROG, SYNOPSIS, "--max-size: "
				    "'%s' is not a size", optarg);
			break;
		case 'V':
			return cli_version(PROG);
		case ':':
			return cli_usage(PROG, SYNOPSIS, "%s needs a value",
			    argv[optind - 1]);
		default:
			return cli_usage(PROG, SYNOPSIS, "unknown option "
			    "'%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage(PROG, SYNOPSIS, argc == optind ?
		    "no IMAGE given" : "too many arguments");
	if (plan_new(&p, &e) < 0 || inspect(argv[optind], cap, &member, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = cli_emit(PROG, &p, "elfinfo", member);
	plan_free(&p);
	return rc;
}
