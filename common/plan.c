/*
 * plan.c: the plan document, read strictly and written canonically.
 *
 * Reading follows STYLE.md: duplicate keys are refused with line:column,
 * every member is unpacked strictly (an unknown or missing key is an error),
 * addresses are parsed from hex strings with overflow checks, and the
 * invariants the later stages rely on are checked here, once, for every
 * stage that reads the member.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

const char *const plan_region_names[NR_REGIONS] = {
	"kernel", "initrd", "p2m", "pagetables", "start_info", "stack",
};

/* The members in pipeline order; a stage's own member comes at its index. */
static const char *const stage_order[] = {
	"elfinfo", "layout", "populate", "pagetables", "finalize",
};
#define NR_STAGES (sizeof(stage_order) / sizeof(stage_order[0]))

/* Caps on counts read from a plan: far above anything a real plan has. */
#define MAX_SEGMENTS 65536
#define MAX_WRITES (2 * MAX_SEGMENTS + 16)
#define MAX_TABLES 4096
#define MAX_MAPS 1024

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

static const char *
type_name(const json_t *j)
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

static int
get(json_t *obj, const char *path, const char *key, json_type type,
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
		    path, key, want[type], type_name(v));
	*out = v;
	return 0;
}

static int
get_uint(json_t *obj, const char *path, const char *key, uint64_t *v,
    struct pv_err *e)
{
	json_t *j;

	if (get(obj, path, key, JSON_INTEGER, &j, e) < 0)
		return -1;
	if (json_integer_value(j) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: negative (%lld)",
		    path, key, (long long)json_integer_value(j));
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int
get_str(json_t *obj, const char *path, const char *key, const char **s,
    struct pv_err *e)
{
	json_t *j;

	if (get(obj, path, key, JSON_STRING, &j, e) < 0)
		return -1;
	if (strlen(json_string_value(j)) != json_string_length(j))
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: holds a NUL byte",
		    path, key);
	*s = json_string_value(j);
	return 0;
}

/* An address: "0x" and 1 to 16 lowercase hex digits. */
static int
get_hex(json_t *obj, const char *path, const char *key, uint64_t *v,
    struct pv_err *e)
{
	const char *s;
	size_t n;

	if (get_str(obj, path, key, &s, e) < 0)
		return -1;
	n = strlen(s);
	if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x' ||
	    strspn(s + 2, "0123456789abcdef") != n - 2 ||
	    pv_parse_u64(s, v) < 0)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: \"%s\" is not a "
		    "lowercase 0x-prefixed hex address", path, key, s);
	return 0;
}

static int
get_enum(json_t *obj, const char *path, const char *key,
    const char *const *names, size_t nr, size_t *idx, struct pv_err *e)
{
	const char *s;
	size_t i;

	if (get_str(obj, path, key, &s, e) < 0)
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
static int
only_keys(json_t *obj, const char *path, const char *const *keys,
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

static int
get_array(json_t *obj, const char *path, const char *key, size_t min,
    size_t max, json_t **arr, struct pv_err *e)
{
	if (get(obj, path, key, JSON_ARRAY, arr, e) < 0)
		return -1;
	if (json_array_size(*arr) < min || json_array_size(*arr) > max)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: %zu entries, expected "
		    "%zu to %zu", path, key, json_array_size(*arr), min, max);
	return 0;
}

static int
is_object(json_t *j, const char *path, struct pv_err *e)
{
	if (!json_is_object(j))
		return pv_fail(e, PV_EXIT_INPUT, "%s: expected object, got %s",
		    path, type_name(j));
	return 0;
}

/* File references (elfinfo.image, layout.initrd). */

static const char *const compressions[] = { "none", "gzip" };

static int
parse_ref(json_t *obj, const char *path, const char *size_key,
    struct img_ref *ref, struct pv_err *e)
{
	const char *const keys[] = { "path", "size", "sha256", "compression",
	    size_key, NULL };
	const char *s, *h;
	size_t c = 0;

	if (is_object(obj, path, e) < 0 || only_keys(obj, path, keys, e) < 0 ||
	    get_str(obj, path, "path", &s, e) < 0 ||
	    get_uint(obj, path, "size", &ref->size, e) < 0 ||
	    get_str(obj, path, "sha256", &h, e) < 0 ||
	    get_enum(obj, path, "compression", compressions, 2, &c, e) < 0 ||
	    get_uint(obj, path, size_key, &ref->data_size, e) < 0)
		return -1;
	if (s[0] != '/')
		return pv_fail(e, PV_EXIT_INPUT, "%s.path: \"%s\" is not "
		    "absolute", path, s);
	if (strlen(h) != 64 || strspn(h, "0123456789abcdef") != 64)
		return pv_fail(e, PV_EXIT_INPUT, "%s.sha256: not 64 lowercase "
		    "hex digits", path);
	if ((ref->path = strdup(s)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	memcpy(ref->sha256, h, 65);
	ref->compression = compressions[c];
	return 0;
}

static json_t *
ref_json(const struct img_ref *ref, const char *size_key)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:I}", "path", ref->path,
	    "size", (json_int_t)ref->size, "sha256", ref->sha256,
	    "compression", ref->compression, size_key,
	    (json_int_t)ref->data_size);
}

/* elfinfo */

static int
flags_ok(const char *f)
{
	/* A subset of "rwx" in that order. */
	const char *order = "rwx";

	for (; *f != '\0'; f++) {
		order = strchr(order, *f);
		if (order == NULL)
			return 0;
		order++;
	}
	return 1;
}

static int
cmp_segment(const void *a, const void *b)
{
	const struct plan_segment *x = *(const struct plan_segment *const *)a;
	const struct plan_segment *y = *(const struct plan_segment *const *)b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* An address or null: *has says which. */
static int
get_hex_or_null(json_t *obj, const char *path, const char *key, int *has,
    uint64_t *v, struct pv_err *e)
{
	json_t *j = json_object_get(obj, key);

	*has = 0;
	if (j != NULL && json_is_null(j))
		return 0;
	*has = 1;
	return get_hex(obj, path, key, v, e);
}

static int
get_bool(json_t *obj, const char *path, const char *key, int *v,
    struct pv_err *e)
{
	json_t *j = json_object_get(obj, key);

	if (j == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: missing", path, key);
	if (!json_is_boolean(j))
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: expected boolean, got "
		    "%s", path, key, type_name(j));
	*v = json_is_true(j);
	return 0;
}

/* A JSON object of strings (notes) or an array of strings (warnings). */
static int
get_strings(json_t *obj, const char *path, const char *key, json_type type,
    json_t **out, struct pv_err *e)
{
	const char *k;
	json_t *v;
	size_t i;

	if (get(obj, path, key, type, out, e) < 0)
		return -1;
	if (type == JSON_OBJECT) {
		json_object_foreach(*out, k, v)
			if (!json_is_string(v))
				return pv_fail(e, PV_EXIT_INPUT, "%s.%s.%s: "
				    "expected string", path, key, k);
	} else {
		json_array_foreach(*out, i, v)
			if (!json_is_string(v))
				return pv_fail(e, PV_EXIT_INPUT, "%s.%s[%zu]: "
				    "expected string", path, key, i);
	}
	json_incref(*out);
	return 0;
}

static int
parse_xen3(json_t *obj, struct plan_elfinfo *ei, struct pv_err *e)
{
	static const char *const declared[] = { "notes", "note-sections",
	    "guest_info" };
	static const char *const fkeys[] = { "supported", "required", NULL };
	struct plan_xen3 *x = &ei->x3;
	json_t *f, *pm;
	uint64_t v;
	size_t idx = 0;

	if (get_enum(obj, "elfinfo", "declared_by", declared, 3, &idx, e) < 0)
		return -1;
	x->declared_by = declared[idx];
	if (get_strings(obj, "elfinfo", "notes", JSON_OBJECT, &x->notes, e) < 0 ||
	    get_strings(obj, "elfinfo", "warnings", JSON_ARRAY, &x->warnings,
	    e) < 0 ||
	    get_hex(obj, "elfinfo", "virt_base", &x->virt_base, e) < 0 ||
	    get_hex(obj, "elfinfo", "paddr_offset", &x->paddr_offset, e) < 0 ||
	    get_hex_or_null(obj, "elfinfo", "hypercall_page",
	    &x->has_hypercall_page, &x->hypercall_page, e) < 0 ||
	    get_hex_or_null(obj, "elfinfo", "hv_start_low",
	    &x->has_hv_start_low, &x->hv_start_low, e) < 0 ||
	    get_hex_or_null(obj, "elfinfo", "init_p2m", &x->has_init_p2m,
	    &x->init_p2m, e) < 0 ||
	    get_bool(obj, "elfinfo", "mod_start_pfn", &x->mod_start_pfn, e) < 0 ||
	    get(obj, "elfinfo", "features", JSON_OBJECT, &f, e) < 0 ||
	    only_keys(f, "elfinfo.features", fkeys, e) < 0)
		return -1;
	if (get_hex(f, "elfinfo.features", "supported", &v, e) < 0)
		return -1;
	x->features_supported = (uint32_t)v;
	if (v > UINT32_MAX || get_hex(f, "elfinfo.features", "required", &v,
	    e) < 0 || v > UINT32_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.features: not 32-bit "
		    "maps");
	x->features_required = (uint32_t)v;
	if ((pm = json_object_get(obj, "pae_mode")) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.pae_mode: missing");
	if (!json_is_null(pm)) {
		if (!json_is_string(pm))
			return pv_fail(e, PV_EXIT_INPUT, "elfinfo.pae_mode: "
			    "expected string or null");
		if ((x->pae_mode = strdup(json_string_value(pm))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	if (x->virt_base > ei->kernel_start)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.virt_base: above the "
		    "kernel");
	if (x->has_hypercall_page && (x->hypercall_page < ei->kernel_start ||
	    x->hypercall_page >= ei->kernel_end ||
	    (x->hypercall_page & (PV_PAGE_SIZE - 1)) != 0))
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.hypercall_page: not a "
		    "page of the kernel");
	if (x->has_init_p2m && (ei->abi->id != ABI_X86_64 ||
	    x->init_p2m >= x->virt_base ||
	    (x->init_p2m & (PV_PAGE_SIZE - 1)) != 0))
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.init_p2m: not a page "
		    "below virt_base of an x86_64 guest");
	if ((ei->kernel_start & (PV_PAGE_SIZE - 1)) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.kernel_start: not page "
		    "aligned");
	return 0;
}

static int
parse_elfinfo(json_t *obj, struct plan_elfinfo *ei, struct pv_err *e)
{
	static const char *const keys13[] = { "abi", "arch", "paging_levels",
	    "image", "guest_info", "kernel_start", "kernel_end", "entry",
	    "segments", NULL };
	static const char *const keys3[] = { "abi", "arch", "paging_levels",
	    "image", "guest_info", "kernel_start", "kernel_end", "entry",
	    "segments", "declared_by", "notes", "warnings", "virt_base",
	    "paddr_offset", "hypercall_page", "hv_start_low", "init_p2m",
	    "mod_start_pfn", "pae_mode", "features", NULL };
	static const char *const segkeys13[] = { "vaddr", "offset", "filesz",
	    "memsz", "flags", NULL };
	static const char *const segkeys3[] = { "vaddr", "paddr", "offset",
	    "filesz", "memsz", "flags", NULL };
	const struct plan_segment **sorted = NULL;
	uint64_t levels, end, top;
	json_t *arr, *s, *img, *gij;
	const char *fl, *name, *arch;
	char path[64];
	int xen3;
	size_t i;

	if (is_object(obj, "elfinfo", e) < 0 ||
	    get_str(obj, "elfinfo", "abi", &name, e) < 0)
		return -1;
	if ((ei->abi = abi_by_name(name)) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.abi: unknown ABI "
		    "\"%s\"", name);
	xen3 = ei->abi->id != ABI_XEN13;
	if (only_keys(obj, "elfinfo", xen3 ? keys3 : keys13, e) < 0 ||
	    get_str(obj, "elfinfo", "arch", &arch, e) < 0 ||
	    get_uint(obj, "elfinfo", "paging_levels", &levels, e) < 0)
		return -1;
	if (strcmp(arch, ei->abi->arch) != 0 ||
	    levels != (uint64_t)ei->abi->levels)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.arch: %s with %llu "
		    "paging levels is not %s", arch, (unsigned long long)levels,
		    ei->abi->name);
	if (get(obj, "elfinfo", "image", JSON_OBJECT, &img, e) < 0 ||
	    parse_ref(img, "elfinfo.image", "elf_size", &ei->image, e) < 0 ||
	    get_hex(obj, "elfinfo", "kernel_start", &ei->kernel_start, e) < 0 ||
	    get_hex(obj, "elfinfo", "kernel_end", &ei->kernel_end, e) < 0 ||
	    get_hex(obj, "elfinfo", "entry", &ei->entry, e) < 0 ||
	    get_array(obj, "elfinfo", "segments", 1, MAX_SEGMENTS, &arr, e) < 0)
		return -1;
	gij = json_object_get(obj, "guest_info");
	if (gij == NULL || (!json_is_string(gij) &&
	    !(xen3 && json_is_null(gij))))
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.guest_info: missing or "
		    "not a string");
	if (json_is_string(gij) &&
	    (ei->guest_info = strdup(json_string_value(gij))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	if (ei->kernel_start >= ei->kernel_end || (ei->abi->va_limit != 0 &&
	    ei->kernel_end > ei->abi->va_limit))
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.kernel_end: kernel "
		    "extent [0x%llx, 0x%llx) is empty or past the address "
		    "space", (unsigned long long)ei->kernel_start,
		    (unsigned long long)ei->kernel_end);
	if (ei->entry < ei->kernel_start || ei->entry >= ei->kernel_end)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.entry: 0x%llx is "
		    "outside the kernel", (unsigned long long)ei->entry);
	ei->nr_segments = json_array_size(arr);
	ei->segments = calloc(ei->nr_segments, sizeof(*ei->segments));
	sorted = calloc(ei->nr_segments, sizeof(*sorted));
	if (ei->segments == NULL || sorted == NULL) {
		free(sorted);
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	json_array_foreach(arr, i, s) {
		struct plan_segment *sg = &ei->segments[i];

		snprintf(path, sizeof(path), "elfinfo.segments[%zu]", i);
		if (is_object(s, path, e) < 0 ||
		    only_keys(s, path, xen3 ? segkeys3 : segkeys13, e) < 0 ||
		    get_hex(s, path, "vaddr", &sg->vaddr, e) < 0 ||
		    (xen3 && get_hex(s, path, "paddr", &sg->paddr, e) < 0) ||
		    get_uint(s, path, "offset", &sg->offset, e) < 0 ||
		    get_uint(s, path, "filesz", &sg->filesz, e) < 0 ||
		    get_uint(s, path, "memsz", &sg->memsz, e) < 0 ||
		    get_str(s, path, "flags", &fl, e) < 0)
			goto fail;
		if (strlen(fl) > 3 || !flags_ok(fl) || *fl == '\0' ||
		    (!xen3 && strpbrk(fl, "wx") == NULL)) {
			pv_fail(e, PV_EXIT_INPUT, "%s.flags: \"%s\" is not a "
			    "loadable segment's flags", path, fl);
			goto fail;
		}
		strcpy(sg->flags, fl);
		if (sg->filesz > sg->memsz) {
			pv_fail(e, PV_EXIT_INPUT, "%s.filesz: larger than memsz",
			    path);
			goto fail;
		}
		if (!pv_inside(sg->offset, sg->filesz, ei->image.data_size)) {
			pv_fail(e, PV_EXIT_INPUT, "%s.offset: file range runs "
			    "past the image's %llu bytes", path,
			    (unsigned long long)ei->image.data_size);
			goto fail;
		}
		if (sg->vaddr < ei->kernel_start ||
		    pv_add(sg->vaddr, sg->memsz, &top) < 0 ||
		    top > ei->kernel_end) {
			pv_fail(e, PV_EXIT_INPUT, "%s.vaddr: outside the kernel "
			    "extent", path);
			goto fail;
		}
		sorted[i] = sg;
	}
	qsort(sorted, ei->nr_segments, sizeof(*sorted), cmp_segment);
	if (sorted[0]->vaddr != ei->kernel_start) {
		pv_fail(e, PV_EXIT_INPUT, "elfinfo.kernel_start: no segment "
		    "starts there");
		goto fail;
	}
	for (end = 0, i = 0; i < ei->nr_segments; i++) {
		if (i > 0 && sorted[i]->vaddr < end) {
			pv_fail(e, PV_EXIT_INPUT, "elfinfo.segments: segments "
			    "overlap at 0x%llx",
			    (unsigned long long)sorted[i]->vaddr);
			goto fail;
		}
		if (sorted[i]->vaddr + sorted[i]->memsz > end)
			end = sorted[i]->vaddr + sorted[i]->memsz;
	}
	if (end != ei->kernel_end) {
		pv_fail(e, PV_EXIT_INPUT, "elfinfo.kernel_end: no segment "
		    "ends there");
		goto fail;
	}
	free(sorted);
	return xen3 ? parse_xen3(obj, ei, e) : 0;
fail:
	free(sorted);
	return -1;
}

static json_t *
hex_or_null(int has, uint64_t v)
{
	return has ? plan_hex_json(v) : json_null();
}

json_t *
plan_elfinfo_json(const struct plan_elfinfo *ei)
{
	const struct plan_xen3 *x = &ei->x3;
	int xen3 = ei->abi->id != ABI_XEN13;
	json_t *segs = json_array(), *o, *sg, *x3;
	size_t i;

	for (i = 0; i < ei->nr_segments; i++) {
		const struct plan_segment *s = &ei->segments[i];

		sg = json_pack("{s:o, s:I, s:I, s:I, s:s}",
		    "vaddr", plan_hex_json(s->vaddr),
		    "offset", (json_int_t)s->offset,
		    "filesz", (json_int_t)s->filesz,
		    "memsz", (json_int_t)s->memsz, "flags", s->flags);
		if (xen3)
			json_object_set_new(sg, "paddr", plan_hex_json(s->paddr));
		json_array_append_new(segs, sg);
	}
	o = json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "abi", ei->abi->name, "arch", ei->abi->arch, "paging_levels",
	    ei->abi->levels, "image", ref_json(&ei->image, "elf_size"),
	    "guest_info", ei->guest_info != NULL ?
	    json_string(ei->guest_info) : json_null(),
	    "kernel_start", plan_hex_json(ei->kernel_start),
	    "kernel_end", plan_hex_json(ei->kernel_end),
	    "entry", plan_hex_json(ei->entry), "segments", segs);
	if (!xen3)
		return o;
	x3 = json_pack("{s:s, s:O, s:O, s:o, s:o, s:o, s:o, "
	    "s:o, s:b, s:o, s:{s:o, s:o}}",
	    "declared_by", x->declared_by, "notes", x->notes,
	    "warnings", x->warnings,
	    "virt_base", plan_hex_json(x->virt_base),
	    "paddr_offset", plan_hex_json(x->paddr_offset),
	    "hypercall_page", hex_or_null(x->has_hypercall_page,
	    x->hypercall_page),
	    "hv_start_low", hex_or_null(x->has_hv_start_low, x->hv_start_low),
	    "init_p2m", hex_or_null(x->has_init_p2m, x->init_p2m),
	    "mod_start_pfn", x->mod_start_pfn,
	    "pae_mode", x->pae_mode != NULL ? json_string(x->pae_mode) :
	    json_null(),
	    "features", "supported", plan_hex_json(x->features_supported),
	    "required", plan_hex_json(x->features_required));
	json_object_update(o, x3);
	json_decref(x3);
	return o;
}

/* layout */

static int
parse_layout(json_t *obj, const struct plan_elfinfo *ei,
    struct plan_layout *l, struct pv_err *e)
{
	static const char *const keys[] = { "memory", "nr_pages", "initrd",
	    "cmdline", "v_start", "v_end", "nr_pt_pages", "regions", NULL };
	static const char *const regkeys[] = { "name", "start", "end", NULL };
	const struct plan_region *r = l->regions;
	uint64_t size, want;
	const char *cmd;
	json_t *ir, *arr, *rj;
	char path[64];
	size_t i, idx = 0;

	if (is_object(obj, "layout", e) < 0 ||
	    only_keys(obj, "layout", keys, e) < 0 ||
	    get_uint(obj, "layout", "memory", &l->memory, e) < 0 ||
	    get_uint(obj, "layout", "nr_pages", &l->nr_pages, e) < 0)
		return -1;
	if (l->nr_pages == 0 || l->nr_pages > (X13_MAX_MEMORY >> PV_PAGE_SHIFT) ||
	    l->memory != l->nr_pages << PV_PAGE_SHIFT)
		return pv_fail(e, PV_EXIT_INPUT, "layout.nr_pages: %llu pages "
		    "do not make %llu bytes of a valid xen-1.3 domain",
		    (unsigned long long)l->nr_pages,
		    (unsigned long long)l->memory);
	if ((ir = json_object_get(obj, "initrd")) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "layout.initrd: missing");
	if (!json_is_null(ir)) {
		if (parse_ref(ir, "layout.initrd", "length", &l->initrd, e) < 0)
			return -1;
		l->has_initrd = 1;
	}
	if (get_str(obj, "layout", "cmdline", &cmd, e) < 0)
		return -1;
	if ((l->cmdline = strdup(cmd)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	if (get_hex(obj, "layout", "v_start", &l->v_start, e) < 0 ||
	    get_hex(obj, "layout", "v_end", &l->v_end, e) < 0 ||
	    get_uint(obj, "layout", "nr_pt_pages", &l->nr_pt_pages, e) < 0 ||
	    get_array(obj, "layout", "regions", NR_REGIONS, NR_REGIONS, &arr,
	    e) < 0)
		return -1;
	json_array_foreach(arr, i, rj) {
		snprintf(path, sizeof(path), "layout.regions[%zu]", i);
		if (is_object(rj, path, e) < 0 ||
		    only_keys(rj, path, regkeys, e) < 0 ||
		    get_enum(rj, path, "name", plan_region_names, NR_REGIONS,
		    &idx, e) < 0)
			return -1;
		if (idx != i)
			return pv_fail(e, PV_EXIT_INPUT, "%s.name: \"%s\" out of "
			    "order, expected \"%s\"", path,
			    plan_region_names[idx], plan_region_names[i]);
		if (get_hex(rj, path, "start", &l->regions[i].start, e) < 0 ||
		    get_hex(rj, path, "end", &l->regions[i].end, e) < 0)
			return -1;
		if (l->regions[i].end < l->regions[i].start)
			return pv_fail(e, PV_EXIT_INPUT, "%s.end: before its "
			    "start", path);
		if (i > 0 && l->regions[i].start < l->regions[i - 1].end)
			return pv_fail(e, PV_EXIT_INPUT, "%s.start: overlaps the "
			    "%s region", path, plan_region_names[i - 1]);
		if (i > 0 && (l->regions[i].start & (PV_PAGE_SIZE - 1)) != 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.start: not page "
			    "aligned", path);
	}
	/* The invariants the later stages build on (seed/ABI-1.3.md). */
#define BAD(...) pv_fail(e, PV_EXIT_INPUT, __VA_ARGS__)
	if ((l->v_start & ((1ULL << X13_L2_SHIFT) - 1)) != 0 ||
	    (l->v_end & ((1ULL << X13_L2_SHIFT) - 1)) != 0 ||
	    l->v_end <= l->v_start)
		return BAD("layout.v_end: [v_start, v_end) is not a non-empty "
		    "range of 4 MiB boundaries");
	if (l->v_end > X13_HYPERVISOR_VIRT_START)
		return BAD("layout.v_end: 0x%llx reaches the hypervisor hole at "
		    "0x%llx", (unsigned long long)l->v_end,
		    X13_HYPERVISOR_VIRT_START);
	if (l->v_end - l->v_start > l->memory)
		return BAD("layout.v_end: the bootstrap region is larger than "
		    "the domain");
	if (r[REGION_KERNEL].start != ei->kernel_start ||
	    r[REGION_KERNEL].end != ei->kernel_end)
		return BAD("layout.regions[0]: not the kernel's extent");
	if (r[REGION_KERNEL].start < l->v_start ||
	    r[REGION_STACK].end > l->v_end)
		return BAD("layout.regions: not inside [v_start, v_end)");
	size = l->has_initrd ? l->initrd.data_size : 0;
	if (pv_roundup(ei->kernel_end, PV_PAGE_SIZE, &want) < 0 ||
	    r[REGION_INITRD].start != want ||
	    r[REGION_INITRD].end - r[REGION_INITRD].start != size)
		return BAD("layout.regions[1]: not the initrd's place and size");
	if (r[REGION_P2M].end - r[REGION_P2M].start != l->nr_pages * 4)
		return BAD("layout.regions[2]: not 4 bytes per page of the "
		    "domain");
	if (l->nr_pt_pages < ((l->v_end - l->v_start) >> X13_L2_SHIFT) + 1 ||
	    r[REGION_PAGETABLES].end - r[REGION_PAGETABLES].start !=
	    l->nr_pt_pages << PV_PAGE_SHIFT)
		return BAD("layout.nr_pt_pages: %llu pages cannot map the "
		    "region or do not match the pagetables region",
		    (unsigned long long)l->nr_pt_pages);
	if (r[REGION_START_INFO].end - r[REGION_START_INFO].start !=
	    PV_PAGE_SIZE || r[REGION_STACK].end - r[REGION_STACK].start !=
	    PV_PAGE_SIZE)
		return BAD("layout.regions: start_info and stack are one page "
		    "each");
#undef BAD
	return 0;
}

json_t *
plan_layout_json(const struct plan_layout *l)
{
	json_t *regs = json_array();
	size_t i;

	for (i = 0; i < NR_REGIONS; i++)
		json_array_append_new(regs, json_pack("{s:s, s:o, s:o}",
		    "name", plan_region_names[i],
		    "start", plan_hex_json(l->regions[i].start),
		    "end", plan_hex_json(l->regions[i].end)));
	return json_pack("{s:I, s:I, s:o, s:s, s:o, s:o, s:I, s:o}",
	    "memory", (json_int_t)l->memory,
	    "nr_pages", (json_int_t)l->nr_pages,
	    "initrd", l->has_initrd ? ref_json(&l->initrd, "length") :
	    json_null(), "cmdline", l->cmdline,
	    "v_start", plan_hex_json(l->v_start),
	    "v_end", plan_hex_json(l->v_end),
	    "nr_pt_pages", (json_int_t)l->nr_pt_pages, "regions", regs);
}

/* populate */

static const char *const source_names[] = { "kernel", "initrd", "zero" };

/* The pseudo-physical byte range [start, end) of a region. */
static void
region_pa(const struct plan_layout *l, enum plan_region_id r, uint64_t *start,
    uint64_t *end)
{
	*start = l->regions[r].start - l->v_start;
	*end = l->regions[r].end - l->v_start;
}

static int
get_vcpu(json_t *obj, struct plan_vcpu *v, struct pv_err *e)
{
	static const char *const keys[] = { "ip", "sp", "si", "flags", "cs",
	    "ds", "es", "fs", "gs", "ss", "kernel_ss", "kernel_sp", "trap_cs",
	    "callback_cs", NULL };
	uint64_t *const fields[] = { &v->ip, &v->sp, &v->si, &v->flags, &v->cs,
	    &v->ds, &v->es, &v->fs, &v->gs, &v->ss, &v->kernel_ss,
	    &v->kernel_sp, &v->trap_cs, &v->callback_cs };
	size_t i;

	if (is_object(obj, "populate.vcpu", e) < 0 ||
	    only_keys(obj, "populate.vcpu", keys, e) < 0)
		return -1;
	for (i = 0; keys[i] != NULL; i++) {
		if (get_hex(obj, "populate.vcpu", keys[i], fields[i], e) < 0)
			return -1;
		if (*fields[i] > UINT32_MAX)
			return pv_fail(e, PV_EXIT_INPUT, "populate.vcpu.%s: "
			    "wider than 32 bits", keys[i]);
	}
	return 0;
}

static int
parse_populate(json_t *obj, const struct plan_elfinfo *ei,
    const struct plan_layout *l, struct plan_populate *p, struct pv_err *e)
{
	static const char *const keys[] = { "writes", "p2m", "start_info",
	    "shared_info", "vcpu", NULL };
	static const char *const wkeys[] = { "pfn", "offset", "length",
	    "source", "source_offset", NULL };
	static const char *const p2mkeys[] = { "pfn", "entries", "entry_size",
	    NULL };
	static const char *const sikeys[] = { "pfn", "va", "nr_pages", "flags",
	    "pt_base", "nr_pt_frames", "mfn_list", "mod_start", "mod_len",
	    "cmd_line_length", NULL };
	static const char *const shkeys[] = { "vcpus", "upcall_mask", NULL };
	uint64_t lo, hi, dst, srcsize;
	json_t *arr, *w, *o;
	char path[64];
	size_t i, idx = 0;

	if (is_object(obj, "populate", e) < 0 ||
	    only_keys(obj, "populate", keys, e) < 0 ||
	    get_array(obj, "populate", "writes", 0, MAX_WRITES, &arr, e) < 0)
		return -1;
	p->nr_writes = json_array_size(arr);
	if ((p->writes = calloc(p->nr_writes + 1, sizeof(*p->writes))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	json_array_foreach(arr, i, w) {
		struct plan_write *wr = &p->writes[i];
		enum plan_region_id in;

		snprintf(path, sizeof(path), "populate.writes[%zu]", i);
		if (is_object(w, path, e) < 0 || only_keys(w, path, wkeys, e) < 0 ||
		    get_uint(w, path, "pfn", &wr->pfn, e) < 0 ||
		    get_uint(w, path, "offset", &wr->offset, e) < 0 ||
		    get_uint(w, path, "length", &wr->length, e) < 0 ||
		    get_enum(w, path, "source", source_names, 3, &idx, e) < 0 ||
		    get_uint(w, path, "source_offset", &wr->source_offset, e) < 0)
			return -1;
		wr->source = (enum plan_source)idx;
		srcsize = wr->source == SOURCE_KERNEL ? ei->image.data_size :
		    wr->source == SOURCE_INITRD && l->has_initrd ?
		    l->initrd.data_size : 0;
		if (wr->source != SOURCE_ZERO &&
		    !pv_inside(wr->source_offset, wr->length, srcsize))
			return pv_fail(e, PV_EXIT_INPUT, "%s.source_offset: "
			    "range runs past the %s's %llu bytes", path,
			    source_names[idx], (unsigned long long)srcsize);
		if (wr->source == SOURCE_ZERO && wr->source_offset != 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.source_offset: "
			    "must be 0 for zero fill", path);
		/* Loads go to the kernel's or the initrd's pages only. */
		in = wr->source == SOURCE_INITRD ? REGION_INITRD : REGION_KERNEL;
		region_pa(l, in, &lo, &hi);
		if (wr->offset >= PV_PAGE_SIZE || wr->pfn > (hi >> PV_PAGE_SHIFT) ||
		    (dst = (wr->pfn << PV_PAGE_SHIFT) + wr->offset) < lo ||
		    !pv_inside(dst - lo, wr->length, hi - lo))
			return pv_fail(e, PV_EXIT_INPUT, "%s.pfn: destination is "
			    "not inside the %s region", path,
			    plan_region_names[in]);
	}
	if (get(obj, "populate", "p2m", JSON_OBJECT, &o, e) < 0 ||
	    only_keys(o, "populate.p2m", p2mkeys, e) < 0 ||
	    get_uint(o, "populate.p2m", "pfn", &p->p2m.pfn, e) < 0 ||
	    get_uint(o, "populate.p2m", "entries", &p->p2m.entries, e) < 0 ||
	    get_uint(o, "populate.p2m", "entry_size", &p->p2m.entry_size, e) < 0)
		return -1;
	if (p->p2m.pfn != plan_region_pfn(l, REGION_P2M) ||
	    p->p2m.entries != l->nr_pages || p->p2m.entry_size != 4)
		return pv_fail(e, PV_EXIT_INPUT, "populate.p2m: not the p2m "
		    "region's place and size");
	if (get(obj, "populate", "start_info", JSON_OBJECT, &o, e) < 0 ||
	    only_keys(o, "populate.start_info", sikeys, e) < 0)
		return -1;
#define SI(k, getter) getter(o, "populate.start_info", #k, &p->start_info.k, e)
	if (SI(pfn, get_uint) < 0 || SI(va, get_hex) < 0 ||
	    SI(nr_pages, get_uint) < 0 || SI(flags, get_uint) < 0 ||
	    SI(pt_base, get_hex) < 0 || SI(nr_pt_frames, get_uint) < 0 ||
	    SI(mfn_list, get_hex) < 0 || SI(mod_start, get_hex) < 0 ||
	    SI(mod_len, get_uint) < 0 || SI(cmd_line_length, get_uint) < 0)
		return -1;
#undef SI
	if (p->start_info.pfn != plan_region_pfn(l, REGION_START_INFO) ||
	    p->start_info.va != l->regions[REGION_START_INFO].start)
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info.pfn: not "
		    "the start_info region");
	if (p->start_info.flags > UINT32_MAX || p->start_info.nr_pages !=
	    l->nr_pages || p->start_info.nr_pt_frames != l->nr_pt_pages ||
	    p->start_info.pt_base != l->regions[REGION_PAGETABLES].start ||
	    p->start_info.mfn_list != l->regions[REGION_P2M].start)
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info: fields "
		    "disagree with the layout");
	if (p->start_info.mod_len != (l->has_initrd ? l->initrd.data_size : 0) ||
	    p->start_info.mod_start != (p->start_info.mod_len != 0 ?
	    l->regions[REGION_INITRD].start : 0))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info.mod_start: "
		    "not the initrd region");
	if (p->start_info.cmd_line_length > X13_CMDLINE_MAX - 1 ||
	    p->start_info.cmd_line_length > strlen(l->cmdline))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info."
		    "cmd_line_length: more than the command line or 255");
	if (get(obj, "populate", "shared_info", JSON_OBJECT, &o, e) < 0 ||
	    only_keys(o, "populate.shared_info", shkeys, e) < 0 ||
	    get_uint(o, "populate.shared_info", "vcpus",
	    &p->shared_info.vcpus, e) < 0 ||
	    get_uint(o, "populate.shared_info", "upcall_mask",
	    &p->shared_info.upcall_mask, e) < 0)
		return -1;
	if (p->shared_info.vcpus != 1 || p->shared_info.upcall_mask > 1)
		return pv_fail(e, PV_EXIT_INPUT, "populate.shared_info: xen-1.3 "
		    "has one vCPU and a mask of 0 or 1");
	if (get(obj, "populate", "vcpu", JSON_OBJECT, &o, e) < 0 ||
	    get_vcpu(o, &p->vcpu, e) < 0)
		return -1;
	if (p->vcpu.ip < ei->kernel_start || p->vcpu.ip >= ei->kernel_end)
		return pv_fail(e, PV_EXIT_INPUT, "populate.vcpu.ip: outside the "
		    "kernel");
	return 0;
}

json_t *
plan_populate_json(const struct plan_populate *p)
{
	const struct plan_vcpu *v = &p->vcpu;
	json_t *ws = json_array();
	size_t i;

	for (i = 0; i < p->nr_writes; i++) {
		const struct plan_write *w = &p->writes[i];

		json_array_append_new(ws, json_pack("{s:I, s:I, s:I, s:s, s:I}",
		    "pfn", (json_int_t)w->pfn, "offset", (json_int_t)w->offset,
		    "length", (json_int_t)w->length,
		    "source", source_names[w->source],
		    "source_offset", (json_int_t)w->source_offset));
	}
	return json_pack("{s:o, s:{s:I, s:I, s:I}, s:{s:I, s:o, s:I, s:I, "
	    "s:o, s:I, s:o, s:o, s:I, s:I}, s:{s:I, s:I}, s:{s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}}",
	    "writes", ws,
	    "p2m", "pfn", (json_int_t)p->p2m.pfn,
	    "entries", (json_int_t)p->p2m.entries,
	    "entry_size", (json_int_t)p->p2m.entry_size,
	    "start_info", "pfn", (json_int_t)p->start_info.pfn,
	    "va", plan_hex_json(p->start_info.va),
	    "nr_pages", (json_int_t)p->start_info.nr_pages,
	    "flags", (json_int_t)p->start_info.flags,
	    "pt_base", plan_hex_json(p->start_info.pt_base),
	    "nr_pt_frames", (json_int_t)p->start_info.nr_pt_frames,
	    "mfn_list", plan_hex_json(p->start_info.mfn_list),
	    "mod_start", plan_hex_json(p->start_info.mod_start),
	    "mod_len", (json_int_t)p->start_info.mod_len,
	    "cmd_line_length", (json_int_t)p->start_info.cmd_line_length,
	    "shared_info", "vcpus", (json_int_t)p->shared_info.vcpus,
	    "upcall_mask", (json_int_t)p->shared_info.upcall_mask,
	    "vcpu", "ip", plan_hex_json(v->ip), "sp", plan_hex_json(v->sp),
	    "si", plan_hex_json(v->si), "flags", plan_hex_json(v->flags),
	    "cs", plan_hex_json(v->cs), "ds", plan_hex_json(v->ds),
	    "es", plan_hex_json(v->es), "fs", plan_hex_json(v->fs),
	    "gs", plan_hex_json(v->gs), "ss", plan_hex_json(v->ss),
	    "kernel_ss", plan_hex_json(v->kernel_ss),
	    "kernel_sp", plan_hex_json(v->kernel_sp),
	    "trap_cs", plan_hex_json(v->trap_cs),
	    "callback_cs", plan_hex_json(v->callback_cs));
}

/* pagetables */

static int
parse_pagetables(json_t *obj, const struct plan_layout *l,
    struct plan_pagetables *pt, struct pv_err *e)
{
	static const char *const keys[] = { "levels", "entry_size", "top_pfn",
	    "tables", "pin", NULL };
	static const char *const tkeys[] = { "pfn", "level", "maps", NULL };
	static const char *const mkeys[] = { "index", "count", "pfn", "flags",
	    NULL };
	static const char *const pkeys[] = { "pfn", "level", NULL };
	uint64_t v, pt_first, pt_count, next;
	unsigned char *seen = NULL;
	json_t *arr, *t, *maps, *m, *o;
	char path[80];
	size_t i, j, k;

	if (is_object(obj, "pagetables", e) < 0 ||
	    only_keys(obj, "pagetables", keys, e) < 0 ||
	    get_uint(obj, "pagetables", "levels", &v, e) < 0)
		return -1;
	if (v != 2)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.levels: %llu, but "
		    "xen-1.3 uses 2", (unsigned long long)v);
	pt->levels = 2;
	if (get_uint(obj, "pagetables", "entry_size", &v, e) < 0)
		return -1;
	if (v != 4)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.entry_size: %llu, "
		    "but xen-1.3 uses 4", (unsigned long long)v);
	pt->entry_size = 4;
	pt_first = plan_region_pfn(l, REGION_PAGETABLES);
	pt_count = l->nr_pt_pages;
	if (get_uint(obj, "pagetables", "top_pfn", &pt->top_pfn, e) < 0 ||
	    get_array(obj, "pagetables", "tables", 1, MAX_TABLES, &arr, e) < 0)
		return -1;
	if (pt->top_pfn - pt_first >= pt_count || pt->top_pfn < pt_first)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.top_pfn: not in the "
		    "pagetables region");
	pt->nr_tables = json_array_size(arr);
	pt->tables = calloc(pt->nr_tables, sizeof(*pt->tables));
	if (pt->tables == NULL || (seen = calloc(pt_count, 1)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	json_array_foreach(arr, i, t) {
		struct plan_table *tb = &pt->tables[i];

		snprintf(path, sizeof(path), "pagetables.tables[%zu]", i);
		if (is_object(t, path, e) < 0 || only_keys(t, path, tkeys, e) < 0 ||
		    get_uint(t, path, "pfn", &tb->pfn, e) < 0 ||
		    get_uint(t, path, "level", &v, e) < 0)
			goto fail;
		if (tb->pfn < pt_first || tb->pfn - pt_first >= pt_count ||
		    seen[tb->pfn - pt_first]) {
			pv_fail(e, PV_EXIT_INPUT, "%s.pfn: %llu is not a fresh "
			    "page of the pagetables region", path,
			    (unsigned long long)tb->pfn);
			goto fail;
		}
		seen[tb->pfn - pt_first] = 1;
		if (v < 1 || v > 2 || (tb->pfn == pt->top_pfn) != (v == 2)) {
			pv_fail(e, PV_EXIT_INPUT, "%s.level: %llu, but only the "
			    "top table is level 2 and the rest level 1", path,
			    (unsigned long long)v);
			goto fail;
		}
		tb->level = (int)v;
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		    ".maps");
		if (get_array(t, path, "maps", 0, MAX_MAPS, &maps, e) < 0)
			goto fail;
		tb->nr_maps = json_array_size(maps);
		if ((tb->maps = calloc(tb->nr_maps + 1, sizeof(*tb->maps))) ==
		    NULL) {
			pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
			goto fail;
		}
		next = 0;
		json_array_foreach(maps, j, m) {
			struct plan_map *mp = &tb->maps[j];
			char mpath[96];

			snprintf(mpath, sizeof(mpath), "pagetables.tables[%zu]."
			    "maps[%zu]", i, j);
			if (is_object(m, mpath, e) < 0 ||
			    only_keys(m, mpath, mkeys, e) < 0 ||
			    get_uint(m, mpath, "index", &mp->index, e) < 0 ||
			    get_uint(m, mpath, "count", &mp->count, e) < 0 ||
			    get_uint(m, mpath, "pfn", &mp->pfn, e) < 0 ||
			    get_hex(m, mpath, "flags", &mp->flags, e) < 0)
				goto fail;
			if (mp->index < next || mp->count == 0 ||
			    !pv_inside(mp->index, mp->count, 1024)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.index: entries "
				    "out of order, overlapping or past 1024",
				    mpath);
				goto fail;
			}
			next = mp->index + mp->count;
			if (!pv_inside(mp->pfn, mp->count, l->nr_pages)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.pfn: maps pages "
				    "past the domain's %llu", mpath,
				    (unsigned long long)l->nr_pages);
				goto fail;
			}
			if (mp->flags > 0xfff || !(mp->flags & PTE_PRESENT)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.flags: not the "
				    "flags of a present entry", mpath);
				goto fail;
			}
			for (k = 0; tb->level == 2 && k < mp->count; k++)
				if (mp->pfn + k < pt_first ||
				    mp->pfn + k - pt_first >= pt_count ||
				    mp->pfn + k == pt->top_pfn) {
					pv_fail(e, PV_EXIT_INPUT, "%s.pfn: a "
					    "directory entry points outside "
					    "the L1 tables", mpath);
					goto fail;
				}
		}
	}
	if (!seen[pt->top_pfn - pt_first]) {
		pv_fail(e, PV_EXIT_INPUT, "pagetables.tables: no table at "
		    "top_pfn");
		goto fail;
	}
	if (get(obj, "pagetables", "pin", JSON_OBJECT, &o, e) < 0 ||
	    only_keys(o, "pagetables.pin", pkeys, e) < 0 ||
	    get_uint(o, "pagetables.pin", "pfn", &pt->pin.pfn, e) < 0 ||
	    get_uint(o, "pagetables.pin", "level", &v, e) < 0)
		goto fail;
	if (pt->pin.pfn != pt->top_pfn || v != 2) {
		pv_fail(e, PV_EXIT_INPUT, "pagetables.pin: xen-1.3 pins the top "
		    "table at level 2");
		goto fail;
	}
	pt->pin.level = 2;
	free(seen);
	return 0;
fail:
	free(seen);
	return -1;
}

json_t *
plan_pagetables_json(const struct plan_pagetables *pt)
{
	json_t *tables = json_array(), *maps;
	size_t i, j;

	for (i = 0; i < pt->nr_tables; i++) {
		const struct plan_table *t = &pt->tables[i];

		maps = json_array();
		for (j = 0; j < t->nr_maps; j++)
			json_array_append_new(maps, json_pack("{s:I, s:I, s:I, "
			    "s:o}", "index", (json_int_t)t->maps[j].index,
			    "count", (json_int_t)t->maps[j].count,
			    "pfn", (json_int_t)t->maps[j].pfn,
			    "flags", plan_hex_json(t->maps[j].flags)));
		json_array_append_new(tables, json_pack("{s:I, s:i, s:o}",
		    "pfn", (json_int_t)t->pfn, "level", t->level,
		    "maps", maps));
	}
	return json_pack("{s:i, s:i, s:I, s:o, s:{s:I, s:i}}",
	    "levels", pt->levels, "entry_size", pt->entry_size,
	    "top_pfn", (json_int_t)pt->top_pfn, "tables", tables,
	    "pin", "pfn", (json_int_t)pt->pin.pfn, "level", pt->pin.level);
}

/* The document. */

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
		if (parse_elfinfo(m, p->elfinfo, e) < 0)
			return -1;
	}
	if (upto > 1) {
		m = json_object_get(p->root, "layout");
		if ((p->layout = calloc(1, sizeof(*p->layout))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		if (parse_layout(m, p->elfinfo, p->layout, e) < 0)
			return -1;
	}
	if (upto > 2) {
		m = json_object_get(p->root, "populate");
		if ((p->populate = calloc(1, sizeof(*p->populate))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		if (parse_populate(m, p->elfinfo, p->layout, p->populate, e) < 0)
			return -1;
	}
	if (upto > 3) {
		m = json_object_get(p->root, "pagetables");
		if ((p->pagetables = calloc(1, sizeof(*p->pagetables))) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		if (parse_pagetables(m, p->layout, p->pagetables, e) < 0)
			return -1;
	}
	return 0;
}

int
plan_read(const char *path, const char *stage, struct plan *p,
    struct pv_err *e)
{
	const char *name = path == NULL || strcmp(path, "-") == 0 ? "<stdin>" :
	    path;
	json_error_t je;
	json_t *fmt;
	const char *k;
	json_t *v;
	size_t i, me;
	FILE *fp;

	memset(p, 0, sizeof(*p));
	for (me = 0; me < NR_STAGES; me++)
		if (strcmp(stage, stage_order[me]) == 0)
			break;
	if (name == path) {
		if ((fp = fopen(path, "r")) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path,
			    strerror(errno));
	} else
		fp = stdin;
	p->root = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
	if (fp != stdin)
		fclose(fp);
	if (p->root == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s:%d:%d: %s", name, je.line,
		    je.column, je.text);
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
	for (i = 0; i < me && i < NR_STAGES; i++)
		if (json_object_get(p->root, stage_order[i]) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s: missing (run "
			    "%s first)", name, stage_order[i], stage_order[i]);
	if (parse_members(p, me, e) < 0)
		return pv_wrap(e, "%s", name);
	return 0;
}

int
plan_set(struct plan *p, const char *member, json_t *value, struct pv_err *e)
{
	if (value == NULL || json_object_set_new(p->root, member, value) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory building %s",
		    member);
	return 0;
}

int
plan_write(const struct plan *p, FILE *fp, struct pv_err *e)
{
	if (json_dumpf(p->root, fp, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ||
	    fputc('\n', fp) == EOF || fflush(fp) == EOF || ferror(fp))
		return pv_fail(e, PV_EXIT_SYSTEM, "writing the plan: %s",
		    strerror(errno));
	return 0;
}

void
plan_elfinfo_clear(struct plan_elfinfo *ei)
{
	img_ref_free(&ei->image);
	free(ei->guest_info);
	free(ei->segments);
	json_decref(ei->x3.notes);
	json_decref(ei->x3.warnings);
	free(ei->x3.pae_mode);
	memset(ei, 0, sizeof(*ei));
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
		free(p->layout);
	}
	if (p->populate != NULL) {
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
