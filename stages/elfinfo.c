/* SPDX-License-Identifier: ISC */
/*
 * elfinfo: read a guest kernel image and start a plan with its facts.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "elfguest.h"
#include "opt.h"

#define PROG "elfinfo"
#define SYNOPSIS "elfinfo [--max-size SIZE] [--no-cache] [--pvh] IMAGE"

/*
 * The kernel's member into *member; its data stays in *data, for main to
 * free once the plan is out: freeing tens of MiB takes a while, and the
 * next stage need not wait for it.
 */
static int
inspect(const char *path, uint64_t cap, int pvh, struct cache *cache,
    json_t **member, uint8_t **data, struct pv_err *e)
{
	struct plan_elfinfo ei;
	int rc;

	memset(&ei, 0, sizeof(ei));
	if (img_load(path, IMG_KERNEL, cap, cache, &ei.image, data, e) < 0)
		return -1;
	rc = elf_guest_inspect_as(pvh ? &abi_table[ABI_PVH] : NULL, *data,
	    ei.image.data_size, &ei, e);
	if (rc < 0)
		pv_wrap(e, "%s", path);
	else
		*member = plan_elfinfo_json(&ei);
	plan_elfinfo_clear(&ei);
	return rc;
}

static const struct opt options[] = {
	{ "max-size", "SIZE", "refuse images that decompress past SIZE "
	    "(default 1G)", 'm' },
	{ "no-cache", NULL, "decompress IMAGE, without the cache of "
	    "decompressed kernels\n(README, The cache)", 'C' },
	{ "pvh", NULL, "read IMAGE as a PVH guest, entered at its "
	    "PHYS32_ENTRY note\n(README, PVH)", 'p' },
	{ NULL, NULL, NULL, 0 },
};

static const struct opt_prog prog = { PROG, SYNOPSIS,
	"Reads a guest kernel image (ELF, plain or compressed with gzip, "
	"bzip2,\nxz, lzma, lzo, lz4 or zstd, or a Linux bzImage), checks it "
	"and writes a plan\nwith its facts on standard output.", options };

int
main(int argc, char **argv)
{
	uint64_t cap = IMG_DEFAULT_CAP;
	json_t *member = NULL;
	uint8_t *data = NULL;
	struct cache cache;
	int no_cache = 0, pvh = 0;
	char *value;
	struct pv_err e;
	struct plan p;
	int c, rc;

	while ((c = opt_next(&prog, argc, argv, &value, &rc)) > 0) {
		if (c == 'm' && (pv_parse_size(value, &cap) < 0 || cap == 0))
			return opt_usage(&prog, "--max-size: '%s' is not a "
			    "size", value);
		if (c == 'C')
			no_cache = 1;
		if (c == 'p')
			pvh = 1;
	}
	if (c < 0)
		return rc;
	if (argc - optind != 1)
		return opt_usage(&prog, argc == optind ? "no IMAGE given" :
		    "too many arguments");
	cli_cache(PROG, no_cache, 1, &cache);
	if (plan_new(&p, &e) < 0 ||
	    inspect(argv[optind], cap, pvh, &cache, &member, &data, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = cli_emit(PROG, &p, "elfinfo", member);
	img_free(data);
	plan_free(&p);
	cache_close(&cache);
	return rc;
}
