/* SPDX-License-Identifier: ISC */
/*
 * verify.c: the plan is what the stages would plan from the files it
 * names (finalize.h), read with the rights README's "Trust" gives them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "derive.h"
#include "elfguest.h"
#include "finalize.h"
#include "guest.h"

/*
 * Did the person running finalize name the file at `plan_path` (absolute,
 * as the plan has it) on the command line as `arg`? Then it is read with
 * their rights; a file only the plan names is read with the rights every
 * user has (README, "Trust").
 */
static enum img_trust
trust_of(const char *arg, const char *plan_path)
{
	char *real, *abs = NULL, *cwd;
	int same;

	if (arg == NULL)
		return IMG_AS_ANYONE;
	/* The path as named (a file may be gone, or a link now), or the
	 * file it leads to. */
	if (arg[0] != '/' && (cwd = getcwd(NULL, 0)) != NULL) {
		if (asprintf(&abs, "%s/%s", cwd, arg) < 0)
			abs = NULL;
		free(cwd);
	}
	real = realpath(arg, NULL);
	same = strcmp(abs != NULL ? abs : arg, plan_path) == 0 ||
	    (real != NULL && strcmp(real, plan_path) == 0);
	free(abs);
	free(real);
	return same ? IMG_AS_CALLER : IMG_AS_ANYONE;
}

/*
 * The kernel and the initrd the plan names, each read with the rights the
 * rule above gives it. The kernel comes from --prefetch when that read the
 * very file the very way; an --initrd that is not the plan's is refused,
 * since the person who gave it meant that file to be built.
 */
static int
load_files(const struct plan *p, const struct backend *b, struct prefetch *pf,
    struct cache *cache, uint8_t **kernel, uint8_t **initrd, struct pv_err *e)
{
	const struct plan_layout *l = p->layout;

	if (b->initrd != NULL && (!l->has_initrd ||
	    trust_of(b->initrd, l->initrd.path) != IMG_AS_CALLER))
		return pv_fail(e, PV_EXIT_INPUT, "layout.initrd.path: not the "
		    "file --initrd names");
	*kernel = prefetch_take(pf, &p->elfinfo->image);
	if (*kernel == NULL && img_load_ref(&p->elfinfo->image,
	    trust_of(pf->path, p->elfinfo->image.path), cache, kernel, e) < 0)
		return pv_wrap(e, "elfinfo.image");
	if (l->has_initrd && img_load_ref(&l->initrd,
	    trust_of(b->initrd, l->initrd.path), cache, initrd, e) < 0)
		return pv_wrap(e, "layout.initrd");
	return 0;
}

/*
 * The elfinfo member must be what elfinfo makes of the kernel: it goes into
 * the domain with the plan, and a plan may not say of a kernel what the
 * kernel does not (notes, segments, entry). Compared member by member, so
 * that a refusal names the first that differs.
 */
static int
check_elfinfo(const struct plan *p, uint8_t *kernel, struct pv_err *e)
{
	json_t *want = json_object_get(p->root, "elfinfo"), *got, *v;
	struct plan_elfinfo ei;
	const char *key;
	int rc;

	memset(&ei, 0, sizeof(ei));
	if (elf_guest_inspect_as(p->elfinfo->abi->ops->chosen ?
	    p->elfinfo->abi : NULL, kernel, p->elfinfo->image.data_size, &ei,
	    e) < 0)
		return pv_wrap(e, "elfinfo.image");
	ei.image = p->elfinfo->image;
	got = plan_elfinfo_json(&ei);
	ei.image.path = NULL;
	plan_elfinfo_clear(&ei);
	if (got == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	rc = 0;
	json_object_foreach(want, key, v)
		if (!json_equal(v, json_object_get(got, key))) {
			rc = pv_fail(e, PV_EXIT_INPUT, "elfinfo.%s: not what the "
			    "kernel declares", key);
			break;
		}
	if (rc == 0 && json_object_size(got) != json_object_size(want))
		rc = pv_fail(e, PV_EXIT_INPUT, "elfinfo: members missing");
	json_decref(got);
	return rc;
}

/*
 * Where `got` (the plan's) first differs from `want` (what the stage
 * derives), as a path that goes on from `buf`: down through the first
 * differing entry of an array and the first differing member of an
 * object, to the value that differs. Returns 0 when they are equal.
 */
static int
first_difference(json_t *got, json_t *want, char *buf, size_t size)
{
	size_t i, len = strlen(buf);
	const char *key;
	json_t *v;

	if (json_equal(got, want))
		return 0;
	if (json_is_array(got) && json_is_array(want)) {
		for (i = 0; json_equal(json_array_get(got, i),
		    json_array_get(want, i)); i++)
			;
		snprintf(buf + len, size - len, "[%zu]", i);
		if (i < json_array_size(got) && i < json_array_size(want))
			first_difference(json_array_get(got, i),
			    json_array_get(want, i), buf, size);
	} else if (json_is_object(got) && json_is_object(want)) {
		json_object_foreach(got, key, v)
			if (!json_equal(v, json_object_get(want, key)))
				break;
		if (key == NULL)
			return 1;	/* a member the plan lacks */
		snprintf(buf + len, size - len, ".%s", key);
		if (json_object_get(want, key) != NULL)
			first_difference(v, json_object_get(want, key), buf,
			    size);
	}
	return 1;
}

/* A copy of a pagetables member without its entries' flags. */
static json_t *
without_flags(json_t *pt)
{
	json_t *copy = json_deep_copy(pt), *t, *m;
	size_t i, j;

	json_array_foreach(json_object_get(copy, "tables"), i, t)
		json_array_foreach(json_object_get(t, "maps"), j, m)
			json_object_del(m, "flags");
	return copy;
}

/*
 * finalize builds only what populate and pagetables plan from the elfinfo
 * and layout members: the writes (so the kernel and the initrd are loaded
 * as they are), the p2m list, start_info, and every page table with every
 * entry. The entries' flags, the vCPU context and shared_info's upcall
 * mask are held to hvrules and the plan reader instead, which take what
 * the stages write and what Xen would take unchanged.
 */
static int
check_derived(const struct plan *p, struct pv_err *e)
{
	static const char *const populate_members[] = { "writes", "p2m",
	    "start_info" };
	json_t *pop = NULL, *pt = NULL, *got = NULL, *want = NULL;
	char where[128];
	size_t i;
	int rc = -1;

	if (derive_populate(p, &pop, e) < 0 ||
	    derive_pagetables(p, &pt, e) < 0)
		goto out;
	if (pop == NULL || pt == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		goto out;
	}
	for (i = 0; i < 3; i++) {
		snprintf(where, sizeof(where), "populate.%s",
		    populate_members[i]);
		if (first_difference(json_object_get(json_object_get(p->root,
		    "populate"), populate_members[i]),
		    json_object_get(pop, populate_members[i]), where,
		    sizeof(where))) {
			pv_fail(e, PV_EXIT_INPUT, "%s: not what populate plans "
			    "from the elfinfo and layout members", where);
			goto out;
		}
	}
	got = without_flags(json_object_get(p->root, "pagetables"));
	want = without_flags(pt);
	snprintf(where, sizeof(where), "pagetables");
	if (first_difference(got, want, where, sizeof(where))) {
		pv_fail(e, PV_EXIT_INPUT, "%s: not what pagetables plans from "
		    "the layout", where);
		goto out;
	}
	rc = 0;
out:
	json_decref(pop);
	json_decref(pt);
	json_decref(got);
	json_decref(want);
	return rc;
}

int
verify(const struct plan *p, const struct backend *b, struct prefetch *pf,
    struct cache *cache, uint8_t **kernel, uint8_t **initrd,
    struct pv_err *e)
{
	/* A populate member read whole was held to the derivation then. */
	if ((p->elfinfo->abi->ops->populate_whole == NULL &&
	    check_derived(p, e) < 0) ||
	    load_files(p, b, pf, cache, kernel, initrd, e) < 0 ||
	    check_elfinfo(p, *kernel, e) < 0)
		return -1;
	return 0;
}
