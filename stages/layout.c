/* SPDX-License-Identifier: ISC */
/*
 * layout: add the domain request (memory, maxmem, vCPUs, initrd, command
 * line, name, disks and NICs) to a plan and solve the bootstrap virtual
 * address space by the guest type's rules (common/guest/).
 */
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guest.h"
#include "opt.h"

#define PROG "layout"
#define SYNOPSIS "layout --memory SIZE [--maxmem SIZE] [--vcpus N] " \
    "[--name NAME] [--disk SPEC]... [--nic SPEC]... [--initrd FILE] " \
    "[--cmdline STRING] [--no-cache] [PLAN]"

/* What the command line asks for beyond memory, initrd and command line. */
struct ask {
	const char *maxmem, *vcpus, *name;
	const char *disks[PLAN_DISKS_MAX + 1], *nics[PLAN_NICS_MAX + 1];
	size_t nr_disks, nr_nics;
};

/*
 * The vCPUs, maxmem, name and devices of the request into l, whose
 * memory is set. Messages name the option, and a --disk or --nic by its
 * place among its kind on the command line, from 1.
 */
static int
request_more(const struct ask *a, const struct plan_elfinfo *ei,
    struct plan_layout *l, struct pv_err *e)
{
	const struct abi *abi = ei->abi;
	unsigned long long v;
	char *end;
	size_t i, j;
	int has_mac;

	l->vcpus = 1;
	if (a->vcpus != NULL) {
		v = strtoull(a->vcpus, &end, 10);
		if (*a->vcpus < '0' || *a->vcpus > '9' || *end != '\0' ||
		    v == 0)
			return pv_fail(e, PV_EXIT_INPUT, "--vcpus: '%s' is not "
			    "a positive number", a->vcpus);
		if (v > abi->ops->max_vcpus && abi->ops->max_vcpus == 1)
			return pv_fail(e, PV_EXIT_INPUT, "--vcpus: %s, but a %s "
			    "domain has exactly one vCPU (the ABI starts one and "
			    "its shared_info has one slot)", a->vcpus, abi->name);
		if (v > abi->ops->max_vcpus)
			return pv_fail(e, PV_EXIT_INPUT, "--vcpus: %s is above "
			    "%u, the most a %s domain has (HVM_MAX_VCPUS, "
			    "<xen/hvm/hvm_info_table.h>)", a->vcpus,
			    (unsigned)abi->ops->max_vcpus, abi->name);
		l->vcpus = (uint32_t)v;
	}
	l->maxmem = l->memory;
	if (a->maxmem != NULL) {
		if (pv_parse_size(a->maxmem, &l->maxmem) < 0 ||
		    (l->maxmem & (PV_PAGE_SIZE - 1)) != 0)
			return pv_fail(e, PV_EXIT_INPUT, "--maxmem: '%s' is not "
			    "a multiple of 4 KiB (digits with K, M or G; bare "
			    "is MiB)", a->maxmem);
		if (l->maxmem < l->memory)
			return pv_fail(e, PV_EXIT_INPUT, "--maxmem: %s is below "
			    "--memory", a->maxmem);
		if (l->maxmem > plan_max_memory(abi))
			return pv_fail(e, PV_EXIT_INPUT, "--maxmem: %s is too "
			    "large for %s: its domains have at most 0x%llx "
			    "bytes", a->maxmem, abi->name,
			    (unsigned long long)plan_max_memory(abi));
	}
	if (a->name != NULL) {
		if (plan_name_check(a->name) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "--name: '%s' is not 1 "
			    "to %d printable bytes without space or '/', or is "
			    "digits alone (xl takes those for a domain id)",
			    a->name, PLAN_NAME_MAX);
		if ((l->name = strdup(a->name)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	if (a->nr_disks > PLAN_DISKS_MAX || a->nr_nics > PLAN_NICS_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "--%s: more than %d",
		    a->nr_disks > PLAN_DISKS_MAX ? "disk" : "nic",
		    a->nr_disks > PLAN_DISKS_MAX ? PLAN_DISKS_MAX : PLAN_NICS_MAX);
	for (i = 0; i < a->nr_disks; i++) {
		if (plan_disk_spec(a->disks[i], &l->disks[i], e) < 0)
			return pv_wrap(e, "--disk %zu", i + 1);
		l->nr_disks = i + 1;
		for (j = 0; j < i; j++)
			if (strcmp(l->disks[j].vdev, l->disks[i].vdev) == 0)
				return pv_fail(e, PV_EXIT_INPUT, "--disk %zu: "
				    "vdev \"%s\" given twice (--disk %zu has it)",
				    i + 1, l->disks[i].vdev, j + 1);
	}
	for (i = 0; i < a->nr_nics; i++) {
		if (plan_nic_spec(a->nics[i], &l->nics[i], &has_mac, e) < 0)
			return pv_wrap(e, "--nic %zu", i + 1);
		l->nr_nics = i + 1;
		if (!has_mac)
			plan_mac_make(l->name, ei->image.sha256, l->cmdline, i,
			    l->nics[i].mac);
	}
	return 0;
}

/*
 * Which string of the request JSON could not hold: the plan is UTF-8,
 * and the command line and a disk's target are the strings of the
 * request that are taken as given.
 */
static int
not_utf8(const struct plan_layout *l, struct pv_err *e)
{
	json_t *j;
	size_t i;

	if ((j = json_string(l->cmdline)) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "--cmdline: not valid UTF-8");
	json_decref(j);
	for (i = 0; i < l->nr_disks; i++) {
		if ((j = json_string(l->disks[i].target)) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "--disk %zu: the "
			    "target is not valid UTF-8", i + 1);
		json_decref(j);
	}
	return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
}

/* The request, with the initrd `initrd` read already (NULL: none). */
static int
request(const char *memory, const struct ask *a, struct img_ref *initrd,
    char *cmdline, const struct plan_elfinfo *ei, json_t **member,
    struct pv_err *e)
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
	if (request_more(a, ei, &l, e) < 0)
		goto out;
	/* Not an error (the seed cut it too), but not silent. */
	if (strlen(cmdline) > plan_cmdline_max(ei->abi) - 1)
		cli_say(PROG, "--cmdline: %zu bytes, of which a %s guest sees "
		    "the first %llu", strlen(cmdline), ei->abi->name,
		    (unsigned long long)plan_cmdline_max(ei->abi) - 1);
	if (ei->abi->ops->layout_solve(ei, &l, e) == 0) {
		*member = plan_layout_json(&l, ei->abi);
		if (*member != NULL)
			rc = 0;
		else
			not_utf8(&l, e);
	}
out:
	plan_request_free(&l);
	return rc;
}

static const struct opt options[] = {
	{ "cmdline", "STRING", "kernel command line (a xen-1.3 guest sees its "
	    "first 255 bytes,\na xen-3.0 guest its first 1023: a longer one is "
	    "cut, with a warning)", 'c' },
	{ "disk", "SPEC", "a disk, in xl's disk spec: TARGET,raw,VDEV,ACCESS "
	    "or\ntarget=, format=raw, vdev=xvdX, access=r|rw; repeatable, up "
	    "to 16", 'd' },
	{ "initrd", "FILE", "initial ramdisk, plain or gzip'd", 'i' },
	{ "maxmem", "SIZE", "the most memory the domain may balloon up to "
	    "(default: --memory)", 'M' },
	{ "memory", "SIZE", "the domain's memory: digits with K, M or G; bare "
	    "is MiB", 'm' },
	{ "name", "NAME", "the domain's name: up to 64 printable bytes, no "
	    "space or '/',\nnot digits alone", 'n' },
	{ "nic", "SPEC", "a network interface, in xl's vif spec: bridge=NAME "
	    "(default\nxenbr0), mac=xx:xx:xx:xx:xx:xx (default: made from "
	    "--name, or the\nkernel and command line, and the NIC's place); "
	    "repeatable, up to 8", 'N' },
	{ "no-cache", NULL, "gunzip the initrd without the cache of "
	    "decompressed images\n(README, The cache)", 'C' },
	{ "vcpus", "N", "the domain's vCPUs, default 1: a xen-1.3 guest has "
	    "one, a xen-3.0\nguest up to 128 (HVM_MAX_VCPUS of Xen's public "
	    "headers)", 'v' },
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
	struct ask ask;
	struct img_ref ref;
	struct cache cache;
	struct pv_err e;
	struct plan p;
	int c, rc, no_cache = 0;

	memset(&ask, 0, sizeof(ask));
	while ((c = opt_next(&prog, argc, argv, &value, &rc)) > 0) {
		switch (c) {
		case 'c': cmdline = value; break;
		case 'd':
			/* One past the cap is kept, for request_more to
			 * refuse; the rest are not looked at. */
			if (ask.nr_disks <= PLAN_DISKS_MAX)
				ask.disks[ask.nr_disks++] = value;
			break;
		case 'i': initrd = value; break;
		case 'm': memory = value; break;
		case 'M': ask.maxmem = value; break;
		case 'n': ask.name = value; break;
		case 'N':
			if (ask.nr_nics <= PLAN_NICS_MAX)
				ask.nics[ask.nr_nics++] = value;
			break;
		case 'v': ask.vcpus = value; break;
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
	    request(memory, &ask, initrd != NULL ? &ref : NULL, cmdline,
	    p.elfinfo, &member, &e) < 0)
		rc = cli_error(PROG, &e);
	else
		rc = cli_emit(PROG, &p, PROG, member);
	img_ref_free(&ref);
	plan_free(&p);
	cache_close(&cache);
	return rc;
}
