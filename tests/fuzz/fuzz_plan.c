/*
 * fuzz_plan.c: libFuzzer target for the plan readers. The first byte picks
 * the stage whose reader runs (its low two bits: layout, populate,
 * pagetables, finalize: '0' to '3' in a seed), the rest is the plan as that
 * stage would read it from its standard input. Whatever the bytes, the
 * result must be a checked plan or a clean error; and a plan that is
 * accepted, written out again by the stages' own writers, must be accepted
 * again; a plan finalize accepts then goes through hvrules_check, which
 * walks its page tables. A crash, a sanitizer report, a leak or a refused
 * rewrite is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvrules.h"
#include "message.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const readers[] = {
	"layout", "populate", "pagetables", "finalize",
};

/*
 * A clean error has an exit code of its own and a message of one
 * printable line (message.h). The message quotes the plan (jansson's
 * messages quote the token they stopped at, and a stage quotes strings it
 * refuses), newlines, escape sequences and all: escaped, it must still be
 * one line, so the fuzzer keeps searching for a plan that breaks one.
 */
static void
check_message(const struct pv_err *e)
{
	if ((e->code != PV_EXIT_INPUT && e->code != PV_EXIT_SYSTEM) ||
	    !message_is_one_line(e->msg)) {
		fprintf(stderr, "bad error: %d \"%s\"\n", e->code, e->msg);
		abort();
	}
}

static void
add(json_t *root, const char *member, json_t *value)
{
	if (value == NULL || json_object_set_new(root, member, value) < 0)
		abort();
}

/* The plan `p` as the stages that made it would have written it. */
static void
rewrite(const struct plan *p, const char *stage)
{
	const struct abi *abi = p->elfinfo->abi;
	struct plan again;
	struct pv_err e;
	json_t *root;
	char *text;

	if ((root = json_pack("{s:s}", "format", PLAN_FORMAT)) == NULL)
		abort();
	add(root, "elfinfo", plan_elfinfo_json(p->elfinfo));
	if (p->layout != NULL)
		add(root, "layout", plan_layout_json(p->layout, abi));
	if (p->populate != NULL)
		add(root, "populate", plan_populate_json(p->populate, abi));
	if (p->pagetables != NULL)
		add(root, "pagetables", plan_pagetables_json(p->pagetables));
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
		abort();
	json_decref(root);
	if (plan_read_buffer(text, strlen(text), stage, &again, &e) < 0) {
		fprintf(stderr, "%s: the rewritten plan is refused: %s\n%s\n",
		    stage, e.msg, text);
		abort();
	}
	plan_free(&again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *stage;
	struct pv_err e;
	struct plan p;

	if (size < 1)
		return 0;
	stage = readers[data[0] & 3];
	if (plan_read_buffer((const char *)data + 1, size - 1, stage, &p,
	    &e) < 0)
		check_message(&e);
	else {
		rewrite(&p, stage);
		/* finalize walks a plan it read once more, for hvrules. */
		if (strcmp(stage, "finalize") == 0 && hvrules_check(&p, &e) < 0)
			check_message(&e);
	}
	plan_free(&p);
	return 0;
}
