/* SPDX-License-Identifier: ISC */
/*
 * json.h: the strict JSON getters every plan reader uses (README, "The plan
 * format"), and the hex form addresses take in a plan.
 *
 * Each getter reads one member of an untrusted object: it fails, naming
 * "path.key", when the member is missing or of the wrong type, so that a
 * reader checks every key it takes and pj_only_keys refuses the rest.
 * Each returns 0, or -1 with `e` set (PV_EXIT_INPUT).
 */
#ifndef PJ_JSON_H
#define PJ_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pv.h"

/* The name of a JSON value's type, for messages. */
const char *pj_type_name(const json_t *);

/* obj[key] of `type` (object, array, string or integer) into *out. */
int pj_get(json_t *obj, const char *path, const char *key, json_type type,
    json_t **out, struct pv_err *);
/* A non-negative integer. */
int pj_get_uint(json_t *obj, const char *path, const char *key, uint64_t *v,
    struct pv_err *);
/* A string without NUL bytes; *s points into obj. */
int pj_get_str(json_t *obj, const char *path, const char *key,
    const char **s, struct pv_err *);
/* An address: "0x" and 1 to 16 lowercase hex digits. */
int pj_get_hex(json_t *obj, const char *path, const char *key, uint64_t *v,
    struct pv_err *);
/* An address or null: *has says which. */
int pj_get_hex_or_null(json_t *obj, const char *path, const char *key,
    int *has, uint64_t *v, struct pv_err *);
/* One of the `nr` strings of `names`: *idx is its index. */
int pj_get_enum(json_t *obj, const char *path, const char *key,
    const char *const *names, size_t nr, size_t *idx, struct pv_err *);
/* A boolean, as 0 or 1. */
int pj_get_bool(json_t *obj, const char *path, const char *key, int *v,
    struct pv_err *);
/* An array of `min` to `max` entries. */
int pj_get_array(json_t *obj, const char *path, const char *key, size_t min,
    size_t max, json_t **arr, struct pv_err *);
/*
 * An object of strings (type JSON_OBJECT) or an array of strings
 * (JSON_ARRAY): *out takes a reference the caller drops.
 */
int pj_get_strings(json_t *obj, const char *path, const char *key,
    json_type type, json_t **out, struct pv_err *);
/* Refuse any key of obj not in the NULL-terminated list. */
int pj_only_keys(json_t *obj, const char *path, const char *const *keys,
    struct pv_err *);
/* Is j an object? `path` names it. */
int pj_is_object(json_t *j, const char *path, struct pv_err *);

/* Lowercase 0x-prefixed hex of v into buf (at least 19 bytes). */
const char *plan_hex(uint64_t v, char *buf);
json_t *plan_hex_json(uint64_t v);

#endif
