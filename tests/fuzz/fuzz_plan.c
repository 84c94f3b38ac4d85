/* SPDX-License-Identifier: ISC */
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
 *
 * Its custom mutator edits plans as tests/plans/mutate.py does, so that
 * the fuzzer spends its time on plans that parse and reach the checks
 * past the syntax: it reads the input after the stage byte as JSON, picks
 * a member and moves a number to a limit, off by one or to a neighbouring
 * page, flips one of its bits, swaps it with another number, or
 * duplicates, drops or moves an array entry, and writes the plan again.
 * An input that is not JSON, and one in four that is, get libFuzzer's own
 * byte mutations instead, so the parser itself stays fuzzed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvrules.h"
#include "message.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
    unsigned int seed);

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

/* The mutator's own generator, seeded by libFuzzer for reproducibility. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Where a value sits: in `parent` under `key`, or at `index` of it. */
struct slot {
	json_t *parent;
	const char *key;
	size_t index;
	json_t *value;
};

/* One slot of each kind, each picked uniformly (reservoir sampling). */
struct picks {
	uint64_t *rng;
	size_t nums, arrays;
	struct slot num, other, array;
};

/* Is j a number of the plan's: an integer or a "0x..." string? */
static int
plan_number(const json_t *j, uint64_t *v)
{
	const char *s;
	char *end;

	if (json_is_integer(j)) {
		*v = (uint64_t)json_integer_value(j);
		return 1;
	}
	if (!json_is_string(j))
		return 0;
	s = json_string_value(j);
	if (s[0] != '0' || s[1] != 'x' || s[2] == '\0')
		return 0;
	*v = strtoull(s + 2, &end, 16);
	return *end == '\0';
}

static void
visit(struct picks *p, json_t *parent, const char *key, size_t index,
    json_t *v, int depth)
{
	struct slot here = { parent, key, index, v };
	const char *k;
	uint64_t n;
	json_t *c;
	size_t i;

	if (parent != NULL && plan_number(v, &n)) {
		p->nums++;
		if (next_rand(p->rng) % p->nums == 0) {
			p->other = p->num;
			p->num = here;
		} else if (next_rand(p->rng) % p->nums == 0)
			p->other = here;
	}
	if (json_is_array(v) && json_array_size(v) > 0 &&
	    ++p->arrays && next_rand(p->rng) % p->arrays == 0)
		p->array = here;
	if (depth > 32)
		return;
	if (json_is_object(v))
		json_object_foreach(v, k, c)
			visit(p, v, k, 0, c, depth + 1);
	else if (json_is_array(v))
		json_array_foreach(v, i, c)
			visit(p, v, NULL, i, c, depth + 1);
}

/* Put `value` (a new reference) in slot s. */
static void
set_slot(const struct slot *s, json_t *value)
{
	if (s->key != NULL)
		json_object_set_new(s->parent, s->key, value);
	else
		json_array_set_new(s->parent, s->index, value);
}

/* The number v written as the slot's value is: integer or hex string. */
static json_t *
like(const json_t *old, uint64_t v, int overflow)
{
	char buf[24];

	if (json_is_integer(old))
		return json_integer((json_int_t)(overflow ? INT64_MAX : v));
	if (overflow)
		return json_string("0x10000000000000000");
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

/* A limit of a 32- or 64-bit word, a neighbour, or off by one. */
static void
edit_number(uint64_t *rng, const struct slot *s)
{
	static const uint64_t limits[] = { 0, 1, UINT32_MAX - 1, UINT32_MAX,
	    1ULL << 32, INT32_MAX, 1ULL << 31, UINT64_MAX - 1, UINT64_MAX,
	    INT64_MAX, 1ULL << 63 };
	const size_t nl = sizeof(limits) / sizeof(limits[0]);
	uint64_t v = 0, r = next_rand(rng) % (nl + 6);

	plan_number(s->value, &v);
	if (r < nl)
		v = limits[r];
	else if (r == nl)
		v += 1;
	else if (r == nl + 1)
		v -= 1;
	else if (r == nl + 2)
		v += 4096;
	else if (r == nl + 3)
		v -= 4096;
	else if (r == nl + 4)
		v ^= 1ULL << (next_rand(rng) % (next_rand(rng) % 4 ? 24 : 64));
	set_slot(s, like(s->value, v, r == nl + 5));
}

/* Duplicate, drop or move one entry of the array in slot s. */
static void
edit_array(uint64_t *rng, const struct slot *s)
{
	json_t *a = s->value, *e;
	size_t n = json_array_size(a), i = next_rand(rng) % n, j;

	switch (next_rand(rng) % 3) {
	case 0:
		json_array_insert_new(a, i, json_deep_copy(json_array_get(a, i)));
		break;
	case 1:
		json_array_remove(a, i);
		break;
	default:
		j = next_rand(rng) % n;
		e = json_incref(json_array_get(a, i));
		json_array_remove(a, i);
		json_array_insert_new(a, j, e);
	}
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
    unsigned int seed)
{
	uint64_t rng = (uint64_t)seed * 0x9e3779b97f4a7c15ULL + 1;
	struct picks p = { .rng = &rng };
	json_t *root, *t;
	char *text;
	size_t len;

	if (size < 2 || next_rand(&rng) % 4 == 0 ||
	    (root = json_loadb((const char *)data + 1, size - 1, 0,
	    NULL)) == NULL)
		return LLVMFuzzerMutate(data, size, max_size);
	visit(&p, NULL, NULL, 0, root, 0);
	switch (next_rand(&rng) % 4) {
	case 0:
		if (p.array.value != NULL) {
			edit_array(&rng, &p.array);
			break;
		}
		/* FALLTHROUGH */
	case 1:
		if (p.other.value != NULL && p.other.value != p.num.value) {
			t = json_incref(p.num.value);
			set_slot(&p.num, json_incref(p.other.value));
			set_slot(&p.other, t);
			break;
		}
		/* FALLTHROUGH */
	default:
		if (p.num.value != NULL)
			edit_number(&rng, &p.num);
	}
	/* Now and then the plan goes to another stage's reader. */
	if (next_rand(&rng) % 16 == 0)
		data[0] = (uint8_t)('0' + next_rand(&rng) % 4);
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (text == NULL || (len = strlen(text)) + 1 > max_size) {
		free(text);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data + 1, text, len);
	free(text);
	return len + 1;
}
