/* SPDX-License-Identifier: ISC */
/*
 * document.c: the plan document (README, "The plan format"): a fresh
 * plan, reading one strictly (through the guard, then each member it
 * holds in pipeline order, by the member's own reader), adding a member
 * and writing the plan canonically.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "members.h"

/* The members in pipeline order; a stage's own member comes at its index. */
static const char *const stage_order[] = {
	"elfinfo", "layout", "populate", "pagetables", "finalize",
};
#define NR_STAGES (sizeof(stage_order) / sizeof(stage_order[0]))

int
plan_new(struct plan *p, struct pv_err *e)
{
	memset(p, 0, sizeof(*p));
	if ((p->root = json_pack("{s:s}", "format", PLAN_FORMAT)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	return 0;
}

static int
parse_members(struct plan *p, size_t upto, struct pv_err *e)
{
	json_t *m;

	if (upto > 0) {
		m = json_object_get(p->root, "elfinfo");
		if ((p->elfinfo = calloc(1, sizeof(*p->elfinfo))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		if (plan_elfinfo_read(m, p->elfinfo, e) < 0)
			return -1;
	}
	if (upto > 1) {
		m = json_object_get(p->root, "layout");
		if ((p->layout = calloc(1, sizeof(*p->layout))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		if (plan_layout_read(m, p->elfinfo, p->layout, e) < 0)
			return -1;
	}
	if (upto > 2) {
		m = json_object_get(p->root, "populate");
		if ((p->populate = calloc(1, sizeof(*p->populate))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		if (plan_populate_read(m, p->elfinfo, p->layout, p->populate, e) < 0)
			return -1;
	}
	if (upto > 3) {
		m = json_object_get(p->root, "pagetables");
		if ((p->pagetables = calloc(1, sizeof(*p->pagetables))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		if (plan_pagetables_read(m, p->elfinfo->abi, p->layout, p->pagetables,
		    e) < 0)
			return -1;
	}
	return 0;
}

/*
 * What plan_read and plan_read_buffer share: check the document that
 * json_load* made of the input `name` (NULL when it did not parse, with
 * `je` saying where) and every member it holds for `stage`.
 */
static int
check_root(struct plan *p, const char *name, const char *stage,
    const json_error_t *je, struct pv_err *e)
{
	json_t *fmt;
	const char *k;
	json_t *v;
	size_t i, me;

	for (me = 0; me < NR_STAGES; me++)
		if (stage != NULL && strcmp(stage, stage_order[me]) == 0)
			break;
	if (p->root == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s:%d:%d: %s", name, je->line,
		    je->column, je->text);
	if (!json_is_object(p->root))
		return pv_fail(e, PV_EXIT_INPUT, "%s: a plan is a JSON object",
		    name);
	fmt = json_object_get(p->root, "format");
	if (!json_is_string(fmt))
		return pv_fail(e, PV_EXIT_INPUT, "%s: format: missing or not a "
		    "string", name);
	if (strcmp(json_string_value(fmt), PLAN_FORMAT) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "%s: format: \"%s\" is not "
		    "\"%s\"", name, json_string_value(fmt), PLAN_FORMAT);
	json_object_foreach(p->root, k, v) {
		if (strcmp(k, "format") == 0)
			continue;
		for (i = 0; i < NR_STAGES; i++)
			if (strcmp(k, stage_order[i]) == 0)
				break;
		if (i == NR_STAGES)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s: unknown member",
			    name, k);
		if (i >= me)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s: already in the "
			    "plan (was the stage run twice?)", name, k);
	}
	/*
	 * A plan to look at (no stage: show): any from layout on. Its
	 * members are those before the first it lacks, and none may follow.
	 */
	if (stage == NULL) {
		for (me = 0; me < NR_STAGES &&
		    json_object_get(p->root, stage_order[me]) != NULL; me++)
			;
		for (i = me + 1; i < NR_STAGES; i++)
			if (json_object_get(p->root, stage_order[i]) != NULL)
				break;
		if (me < 2 || i < NR_STAGES)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s: missing (run "
			    "%s first)", name, stage_order[me], stage_order[me]);
	}
	for (i = 0; i < me && i < NR_STAGES; i++)
		if (json_object_get(p->root, stage_order[i]) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s: missing (run "
			    "%s first)", name, stage_order[i], stage_order[i]);
	/* No reader takes the finalize member: a record, not a plan. */
	if (parse_members(p, me < NR_STAGES - 1 ? me : NR_STAGES - 1, e) < 0)
		return pv_wrap(e, "%s", name);
	return 0;
}
/*
 * Input with not a single byte in it. A pipe, FIFO or socket carries what
 * a program wrote, and a stage writes a plan or fails saying why: nothing
 * at all from one means the program before failed, and its line should
 * stand alone (pv_fail_reported). A file, /dev/null included, was named
 * on purpose and is said to be empty. A pipe that ends after some bytes
 * is left to the parser, which says where the plan stops.
 */
static int
empty_input(FILE *fp, const char *name, struct pv_err *e)
{
	struct stat st;
	int c;

	if ((c = getc(fp)) != EOF)
		return ungetc(c, fp) == EOF ? pv_fail(e, PV_EXIT_SYSTEM,
		    "%s: cannot put a byte back", name) : 0;
	if (ferror(fp))
		return pv_fail(e, PV_EXIT_INPUT, "%s: read error: %s", name,
		    strerror(errno));
	if (fstat(fileno(fp), &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return pv_fail_reported(e, PV_EXIT_INPUT);
	return pv_fail(e, PV_EXIT_INPUT, "%s: empty: no plan in it", name);
}

int
plan_read(const char *path, const char *stage, struct plan *p,
    struct pv_err *e)
{
	const char *name = path == NULL || strcmp(path, "-") == 0 ? "<stdin>" :
	    path;
	json_error_t je;
	FILE *fp;
	int rc;

	memset(p, 0, sizeof(*p));
	if (name == path) {
		if ((fp = fopen(path, "r")) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path,
			    strerror(errno));
	} else
		fp = stdin;
	rc = empty_input(fp, name, e);
	if (rc == 0)
		rc = plan_load_guarded(fp, NULL, 0, name, &p->root, &je, e);
	if (fp != stdin)
		fclose(fp);
	return rc < 0 ? -1 : check_root(p, name, stage, &je, e);
}

int
plan_read_buffer(const char *buf, size_t len, const char *stage,
    struct plan *p, struct pv_err *e)
{
	json_error_t je;

	memset(p, 0, sizeof(*p));
	if (plan_load_guarded(NULL, buf, len, "<buffer>", &p->root, &je, e) < 0)
		return -1;
	return check_root(p, "<buffer>", stage, &je, e);
}

int
plan_set(struct plan *p, const char *member, json_t *value, struct pv_err *e)
{
	if (value == NULL || json_object_set_new(p->root, member, value) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory building %s",
		    member);
	return 0;
}

/*
 * The plan is rendered whole, then written at once: json_dumpf writes it
 * token by token through stdio, a call per key, bracket and number, and
 * the next stage, reading the pipe, was woken for each buffer's worth.
 */
int
plan_write(const struct plan *p, FILE *fp, struct pv_err *e)
{
	char *text;
	size_t len;
	int ok;

	if ((text = json_dumps(p->root, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
	    NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "writing the plan: out of "
		    "memory");
	len = strlen(text);
	text[len] = '\n';	/* json_dumps leaves room for the NUL */
	ok = fwrite(text, 1, len + 1, fp) == len + 1 && fflush(fp) != EOF &&
	    !ferror(fp);
	free(text);
	if (!ok)
		return pv_fail(e, PV_EXIT_SYSTEM, "writing the plan: %s",
		    strerror(errno));
	return 0;
}

static void
free_elfinfo(struct plan_elfinfo *ei)
{
	if (ei == NULL)
		return;
	plan_elfinfo_clear(ei);
	free(ei);
}

void
plan_free(struct plan *p)
{
	size_t i;

	json_decref(p->root);
	free_elfinfo(p->elfinfo);
	if (p->layout != NULL) {
		img_ref_free(&p->layout->initrd);
		free(p->layout->cmdline);
		plan_request_free(p->layout);
		free(p->layout);
	}
	if (p->populate != NULL) {
		json_decref(p->populate->whole);
		free(p->populate->writes);
		free(p->populate);
	}
	if (p->pagetables != NULL) {
		for (i = 0; i < p->pagetables->nr_tables; i++)
			free(p->pagetables->tables[i].maps);
		free(p->pagetables->tables);
		free(p->pagetables);
	}
	memset(p, 0, sizeof(*p));
}
