/* SPDX-License-Identifier: ISC */
/*
 * json.c: the strict JSON getters of json.h. An error names the member
 * path and what was wrong with it, never more than it quotes from it.
 */
#include <string.h>

#include "json.h"

const char *
plan_hex(uint64_t v, char *buf)
{
	snprintf(buf, 19, "0x%llx", (unsigned long long)v);
	return buf;
}

json_t *
plan_hex_json(uint64_t v)
{
	char buf[19];

	return json_string(plan_hex(v, buf));
}

/* Strict getters. `path` names the object for messages. */

const char *
pj_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

int
pj_get(json_t *obj, const char *path, const char *key, json_type type,
    json_t **out, struct pv_err *e)
{
	static const char *const want[] = {
		[JSON_OBJECT] = "object", [JSON_ARRAY] = "array",
		[JSON_STRING] = "string", [JSON_INTEGER] = "integer",
	};
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: missing", path, key);
	if (json_typeof(v) != type)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: expected %s, got %s",
		    path, key, want[type], pj_type_name(v));
	*out = v;
	return 0;
}

int
pj_get_uint(json_t *obj, const char *path, const char *key, uint64_t *v,
    struct pv_err *e)
{
	json_t *j;

	if (pj_get(obj, path, key, JSON_INTEGER, &j, e) < 0)
		return -1;
	if (json_integer_value(j) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: negative (%lld)",
		    path, key, (long long)json_integer_value(j));
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

int
pj_get_str(json_t *obj, const char *path, const char *key, const char **s,
    struct pv_err *e)
{
	json_t *j;

	if (pj_get(obj, path, key, JSON_STRING, &j, e) < 0)
		return -1;
	if (strlen(json_string_value(j)) != json_string_length(j))
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: holds a NUL byte",
		    path, key);
	*s = json_string_value(j);
	return 0;
}

/* An address: "0x" and 1 to 16 lowercase hex digits. */
int
pj_get_hex(json_t *obj, const char *path, const char *key, uint64_t *v,
    struct pv_err *e)
{
	const char *s;
	size_t n;

	if (pj_get_str(obj, path, key, &s, e) < 0)
		return -1;
	n = strlen(s);
	if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x' ||
	    strspn(s + 2, "0123456789abcdef") != n - 2 ||
	    pv_parse_u64(s, v) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: \"%s\" is not a "
		    "lowercase 0x-prefixed hex address", path, key, s);
	return 0;
}

int
pj_get_enum(json_t *obj, const char *path, const char *key,
    const char *const *names, size_t nr, size_t *idx, struct pv_err *e)
{
	const char *s;
	size_t i;

	if (pj_get_str(obj, path, key, &s, e) < 0)
		return -1;
	for (i = 0; i < nr; i++)
		if (strcmp(s, names[i]) == 0) {
			*idx = i;
			return 0;
		}
	return pv_fail(e, PV_EXIT_INPUT, "%s.%s: unknown value \"%s\"", path,
	    key, s);
}

/* Refuse any key not in the NULL-terminated list. */
int
pj_only_keys(json_t *obj, const char *path, const char *const *keys,
    struct pv_err *e)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (keys[i] == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "%s.%s: unknown member",
			    path, k);
	}
	return 0;
}

int
pj_get_array(json_t *obj, const char *path, const char *key, size_t min,
    size_t max, json_t **arr, struct pv_err *e)
{
	if (pj_get(obj, path, key, JSON_ARRAY, arr, e) < 0)
		return -1;
	if (json_array_size(*arr) < min || json_array_size(*arr) > max)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: %zu entries, expected "
		    "%zu to %zu", path, key, json_array_size(*arr), min, max);
	return 0;
}

int
pj_is_object(json_t *j, const char *path, struct pv_err *e)
{
	if (!json_is_object(j))
		return pv_fail(e, PV_EXIT_INPUT, "%s: expected object, got %s",
		    path, pj_type_name(j));
	return 0;
}


/* An address or null: *has says which. */
int
pj_get_hex_or_null(json_t *obj, const char *path, const char *key, int *has,
    uint64_t *v, struct pv_err *e)
{
	json_t *j = json_object_get(obj, key);

	*has = 0;
	if (j != NULL && json_is_null(j))
		return 0;
	*has = 1;
	return pj_get_hex(obj, path, key, v, e);
}

int
pj_get_bool(json_t *obj, const char *path, const char *key, int *v,
    struct pv_err *e)
{
	json_t *j = json_object_get(obj, key);

	if (j == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: missing", path, key);
	if (!json_is_boolean(j))
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: expected boolean, got "
		    "%s", path, key, pj_type_name(j));
	*v = json_is_true(j);
	return 0;
}

/* A JSON object of strings (notes) or an array of strings (warnings). */
int
pj_get_strings(json_t *obj, const char *path, const char *key, json_type type,
    json_t **out, struct pv_err *e)
{
	const char *k;
	json_t *o, *v;
	size_t i;

	/* Checked through a local: *out takes a reference only when valid. */
	if (pj_get(obj, path, key, type, &o, e) < 0)
		return -1;
	if (type == JSON_OBJECT) {
		json_object_foreach(o, k, v)
			if (!json_is_string(v))
				return pv_fail(e, PV_EXIT_INPUT, "%s.%s.%s: "
				    "expected string", path, key, k);
	} else {
		json_array_foreach(o, i, v)
			if (!json_is_string(v))
				return pv_fail(e, PV_EXIT_INPUT, "%s.%s[%zu]: "
				    "expected string", path, key, i);
	}
	*out = json_incref(o);
	return 0;
}
