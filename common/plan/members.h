/* SPDX-License-Identifier: ISC */
/*
 * members.h: what the files of common/plan/ share and nothing else uses:
 * each member's reader, which document.c calls in pipeline order, and the
 * caps on the counts a plan may hold.
 *
 * A reader takes the member's untrusted JSON and the members before it,
 * already checked, and fills its structure; it returns 0, or -1 with `e`
 * set naming the member path.
 */
#ifndef PLAN_MEMBERS_H
#define PLAN_MEMBERS_H

#include "json.h"
#include "plan.h"

/* Caps on counts read from a plan: far above anything a real plan has. */
#define MAX_SEGMENTS 65536
#define MAX_WRITES (2 * MAX_SEGMENTS + 16)
#define MAX_TABLES 4096
#define MAX_MAPS 1024

int plan_elfinfo_read(json_t *obj, struct plan_elfinfo *, struct pv_err *);
int plan_layout_read(json_t *obj, const struct plan_elfinfo *,
    struct plan_layout *, struct pv_err *);
int plan_populate_read(json_t *obj, const struct plan_elfinfo *,
    const struct plan_layout *, struct plan_populate *, struct pv_err *);
int plan_pagetables_read(json_t *obj, const struct abi *,
    const struct plan_layout *, struct plan_pagetables *, struct pv_err *);

/*
 * A file reference (elfinfo.image, layout.initrd): a kernel's, whose size
 * key is "elf_size", or a module's ("length"). ref->path is the caller's
 * to free (img_ref_free).
 */
int plan_ref_read(json_t *obj, const char *path, const char *size_key,
    struct img_ref *ref, struct pv_err *);
json_t *plan_ref_json(const struct img_ref *ref, const char *size_key);

/*
 * Parse the plan's JSON from fp, or else from the `len` bytes at buf,
 * through a guard that stops the read at the first array or object larger,
 * or past the size, that any plan has (guard.c). Returns -1 with `e` set
 * when the guard stopped it; else 0 with *root the document, or NULL with
 * *je saying where it did not parse.
 */
int plan_load_guarded(FILE *fp, const char *buf, size_t len,
    const char *name, json_t **root, json_error_t *je, struct pv_err *);

#endif
