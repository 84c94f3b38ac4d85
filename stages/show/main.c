/* SPDX-License-Identifier: ISC */
/*
 * show: the arrangement of a plan, or of a sim domain through its
 * plan.json, as finalize prints it (common/plan/arrangement.c), or with
 * --svg as a picture (svg.c). It only reads: a plan of any stage from
 * layout on is shown as the stages would read it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arrangement.h"
#include "cli.h"
#include "members.h"
#include "opt.h"
#include "show.h"

#define PROG "show"
#define SYNOPSIS "show [--svg] PLAN|DIR"

static const struct opt options[] = {
	{ "svg", NULL, "draw the arrangement as an SVG picture instead, the "
	    "bootstrap\nregion to scale", 's' },
	{ NULL, NULL, NULL, 0 },
};

static const struct opt_prog prog = { PROG, SYNOPSIS,
	"Prints the VIRTUAL MEMORY ARRANGEMENT of PLAN (a plan after layout or "
	"any\nlater stage; - for standard input), or of the sim domain in DIR "
	"with\nthe line finalize printed under it.", options };

/*
 * The line finalize printed under the arrangement, from DIR's domain.json
 * (untrusted, like a plan: read through the same guard and getters).
 */
static int
domain_line(const char *dir, char **text, struct pv_err *e)
{
	char path[PATH_MAX];
	uint64_t nr_pages, cr3, si;
	json_error_t je;
	json_t *root = NULL, *vcpu, *si_obj;
	const char *abi;
	FILE *fp;
	int rc;

	if (snprintf(path, sizeof(path), "%s/domain.json", dir) >=
	    (int)sizeof(path))
		return pv_fail(e, PV_EXIT_INPUT, "%s: name too long", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path,
		    strerror(errno));
	rc = plan_load_guarded(fp, NULL, 0, path, &root, &je, e);
	fclose(fp);
	if (rc < 0)
		return -1;
	if (root == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s:%d:%d: %s", path, je.line,
		    je.column, je.text);
	rc = pj_is_object(root, "domain.json", e) < 0 ||
	    pj_get_str(root, "domain.json", "abi", &abi, e) < 0 ||
	    pj_get_uint(root, "domain.json", "nr_pages", &nr_pages, e) < 0 ||
	    pj_get(root, "domain.json", "vcpu", JSON_OBJECT, &vcpu, e) < 0;
	/*
	 * A domain started with paging off (pvh) has an entry point and
	 * hvm_start_info's address where a PV one has cr3 and start_info.
	 */
	if (rc == 0 && json_object_get(vcpu, "eip") != NULL)
		rc = pj_get_hex(vcpu, "domain.json.vcpu", "eip", &cr3, e) < 0 ||
		    pj_get(root, "domain.json", "start_info", JSON_OBJECT, &si_obj,
		    e) < 0 || pj_get_hex(si_obj, "domain.json.start_info", "gpa",
		    &si, e) < 0 ? pv_wrap(e, "%s", dir) :
		    arrangement_domain_physical(text, dir, abi, nr_pages, cr3, si,
		    e);
	else
		rc = rc != 0 ||
		    pj_get_hex(vcpu, "domain.json.vcpu", "cr3", &cr3, e) < 0 ||
		    pj_get_hex(vcpu, "domain.json.vcpu", "si", &si, e) < 0 ?
		    pv_wrap(e, "%s", dir) :
		    arrangement_domain(text, dir, abi, nr_pages, cr3, si, e);
	json_decref(root);
	return rc;
}

/* What show prints of `path`, a plan or a domain directory, into *out. */
static int
show(const char *path, int svg, char **out, struct pv_err *e)
{
	char plan_path[PATH_MAX];
	struct stat st;
	struct plan p;
	int dir, rc;

	dir = strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode);
	if (dir && snprintf(plan_path, sizeof(plan_path), "%s/plan.json",
	    path) >= (int)sizeof(plan_path))
		return pv_fail(e, PV_EXIT_INPUT, "%s: name too long", path);
	if (plan_read(dir ? plan_path : path, NULL, &p, e) < 0) {
		plan_free(&p);
		return -1;
	}
	if (svg)
		rc = svg_draw(&p, path, out, e);
	else
		rc = arrangement_text(p.elfinfo, p.layout, out, e) < 0 ||
		    (dir && domain_line(path, out, e) < 0) ? -1 : 0;
	plan_free(&p);
	return rc;
}

int
main(int argc, char **argv)
{
	struct pv_err e;
	char *out = NULL, *v;
	int c, svg = 0, rc;

	while ((c = opt_next(&prog, argc, argv, &v, &rc)) > 0)
		if (c == 's')
			svg = 1;
	if (c < 0)
		return rc;
	if (optind == argc)
		return opt_usage(&prog, "no PLAN or DIR given");
	if (argc - optind > 1)
		return opt_usage(&prog, "too many arguments");
	if (show(argv[optind], svg, &out, &e) < 0)
		rc = cli_error(PROG, &e);
	else if ((fputs(out, stdout) == EOF) | (fclose(stdout) != 0)) {
		cli_say(PROG, "writing the output: %s", strerror(errno));
		rc = PV_EXIT_SYSTEM;
	} else
		rc = PV_EXIT_OK;
	free(out);
	return rc;
}
