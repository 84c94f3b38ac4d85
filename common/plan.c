/*
 * plan.c: the plan document, read strictly and written canonically.
 *
 * Reading is strict: duplicate keys are refused with line:column,
 * every member is unpacked strictly (an unknown or missing key is an error),
 * addresses are parsed from hex strings with overflow checks, and the
 * invariants the later stages rely on are checked here, once, for every
 * stage that reads the member.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "pt.h"

const char *const plan_region_names[NR_REGIONS] = {
	"kernel", "initrd", "p2m", "pagetables", "start_info", "stack",
	"xenstore", "console",
};

/* The seed's order, and Xen 4.17's (xc_dom_build_image). */
static const enum plan_region_id order13[] = {
	REGION_KERNEL, REGION_INITRD, REGION_P2M, REGION_PAGETABLES,
	REGION_START_INFO, REGION_STACK,
};
static const enum plan_region_id order3[] = {
	REGION_KERNEL, REGION_INITRD, REGION_P2M, REGION_START_INFO,
	REGION_XENSTORE, REGION_CONSOLE, REGION_PAGETABLES, REGION_STACK,
};

const enum plan_region_id *
plan_region_order(const struct abi *abi, size_t *n)
{
	if (abi->id == ABI_XEN13) {
		*n = sizeof(order13) / sizeof(order13[0]);
		return order13;
	}
	*n = sizeof(order3) / sizeof(order3[0]);
	return order3;
}

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

static const char *const compressions[] = { "none", "gzip", "bzip2", "xz",
	"lzma", "lzo", "lz4", "zstd" };
static const char *const containers[] = { "file", "bzimage" };

/* A kernel's reference (size_key "elf_size") or a module's ("length"). */
static int
parse_ref(json_t *obj, const char *path, const char *size_key,
    struct img_ref *ref, struct pv_err *e)
{
	const char *const keys[] = { "path", "size", "sha256", "container",
	    "payload_offset", "payload_size", "compression", size_key, NULL };
	int kernel = strcmp(size_key, "elf_size") == 0;
	const char *s, *h;
	size_t c = 0, k = 0;

	ref->kind = kernel ? IMG_KERNEL : IMG_MODULE;
	if (is_object(obj, path, e) < 0 || only_keys(obj, path, keys, e) < 0 ||
	    get_str(obj, path, "path", &s, e) < 0 ||
	    get_uint(obj, path, "size", &ref->size, e) < 0 ||
	    get_str(obj, path, "sha256", &h, e) < 0 ||
	    get_enum(obj, path, "container", containers, kernel ? 2 : 1, &k,
	    e) < 0 ||
	    get_uint(obj, path, "payload_offset", &ref->payload_offset, e) < 0 ||
	    get_uint(obj, path, "payload_size", &ref->payload_size, e) < 0 ||
	    get_enum(obj, path, "compression", compressions, kernel ? 8 : 2, &c,
	    e) < 0 ||
	    get_uint(obj, path, size_key, &ref->data_size, e) < 0)
		return -1;
	if (k == 0 ? ref->payload_offset != 0 || ref->payload_size != 0 :
	    ref->payload_size == 0 ||
	    !pv_inside(ref->payload_offset, ref->payload_size, ref->size))
		return pv_fail(e, PV_EXIT_INPUT, "%s.payload_offset: [%llu, "
		    "+%llu) is not the payload range of a %s", path,
		    (unsigned long long)ref->payload_offset,
		    (unsigned long long)ref->payload_size, containers[k]);
	ref->container = containers[k];
	if (ref->size > IMG_MAX_FILE || ref->data_size > IMG_MAX_FILE)
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: more than the %llu "
		    "GiB any file pvbuild reads may have", path,
		    ref->size > IMG_MAX_FILE ? "size" : size_key,
		    (unsigned long long)(IMG_MAX_FILE >> 30));
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
	return json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:I}", "path",
	    ref->path, "size", (json_int_t)ref->size, "sha256", ref->sha256,
	    "container", ref->container, "payload_offset",
	    (json_int_t)ref->payload_offset, "payload_size",
	    (json_int_t)ref->payload_size, "compression", ref->compression,
	    size_key, (json_int_t)ref->data_size);
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
	json_t *o, *v;
	size_t i;

	/* Checked through a local: *out takes a reference only when valid. */
	if (get(obj, path, key, type, &o, e) < 0)
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

/*
 * The xen-3.0 invariants: Xen 4.17's placement (xc_dom_build_image,
 * alloc_pgtables_pv), recomputed from the plan's own numbers.
 */
static int
check_layout_xen3(const struct plan_elfinfo *ei, struct plan_layout *l,
    struct pv_err *e)
{
	const struct plan_xen3 *x = &ei->x3;
	const struct plan_region *r = l->regions;
	const struct abi *abi = ei->abi;
	uint64_t boot = plan_bootstrap_pages(l), next, used, limit;
	struct pt_geometry g = { .abi = abi };
	int mapped_initrd = l->has_initrd && !x->mod_start_pfn;

#define BAD(...) pv_fail(e, PV_EXIT_INPUT, __VA_ARGS__)
	if (l->v_start != x->virt_base)
		return BAD("layout.v_start: not elfinfo.virt_base");
	if (r[REGION_INITRD].end - r[REGION_INITRD].start !=
	    (mapped_initrd ? l->initrd.data_size : 0))
		return BAD("layout.regions: the initrd region's size is wrong");
	if (r[REGION_P2M].end - r[REGION_P2M].start !=
	    (x->has_init_p2m ? 0 : l->nr_pages * abi->word))
		return BAD("layout.regions: the p2m region is not %u bytes per "
		    "page of the domain", abi->word);
	if (r[REGION_START_INFO].end - r[REGION_START_INFO].start !=
	    PV_PAGE_SIZE || r[REGION_XENSTORE].end - r[REGION_XENSTORE].start !=
	    PV_PAGE_SIZE || r[REGION_CONSOLE].end - r[REGION_CONSOLE].start !=
	    PV_PAGE_SIZE || r[REGION_STACK].end - r[REGION_STACK].start !=
	    PV_PAGE_SIZE)
		return BAD("layout.regions: start_info, xenstore, console and "
		    "stack are one page each");
	if (r[REGION_PAGETABLES].end - r[REGION_PAGETABLES].start !=
	    l->nr_pt_pages << PV_PAGE_SHIFT)
		return BAD("layout.nr_pt_pages: not the pagetables region");
	if (pt_add_mapping(&g, l->v_start, l->v_end - 1, 0,
	    (r[REGION_PAGETABLES].start - l->v_start) >> PV_PAGE_SHIFT, e) < 0)
		return pv_wrap(e, "layout");
	if (g.map[0].nr_tables != l->nr_pt_pages)
		return BAD("layout.nr_pt_pages: %llu, but the region needs %llu",
		    (unsigned long long)l->nr_pt_pages,
		    (unsigned long long)g.map[0].nr_tables);
	/* At least 512 KiB of padding after the stack (Xen's extra pages). */
	if (l->v_end - r[REGION_STACK].end < 512 * 1024)
		return BAD("layout.v_end: less than 512 KiB after the stack");
	limit = abi->hv_start;
	if (x->has_hv_start_low && x->hv_start_low < limit &&
	    abi->id == ABI_X86_32P)
		limit = x->hv_start_low;
	if (abi->id == ABI_X86_32P ? l->v_end > limit :
	    l->v_start < abi->hv_end && l->v_end > abi->hv_start)
		return BAD("layout.v_end: the bootstrap region [0x%llx, 0x%llx) "
		    "reaches the hypervisor's hole at 0x%llx",
		    (unsigned long long)l->v_start, (unsigned long long)l->v_end,
		    (unsigned long long)limit);
	used = boot;
	if (l->has_initrd_pfn != (l->has_initrd && x->mod_start_pfn))
		return BAD("layout.initrd_pfn: present exactly when an initrd "
		    "is left unmapped (MOD_START_PFN)");
	if (l->has_initrd_pfn) {
		if (l->initrd_pfn != used)
			return BAD("layout.initrd_pfn: not the first pfn after "
			    "the bootstrap region");
		used += (l->initrd.data_size + PV_PAGE_SIZE - 1) >> PV_PAGE_SHIFT;
	}
	if (l->p2m_map.present != x->has_init_p2m)
		return BAD("layout.p2m_mapping: present exactly when the guest "
		    "asks for INIT_P2M");
	if (l->p2m_map.present) {
		next = (l->nr_pages * abi->word + PV_PAGE_SIZE - 1) >>
		    PV_PAGE_SHIFT;
		if (l->p2m_map.va != x->init_p2m || l->p2m_map.pfn != used ||
		    l->p2m_map.pages != next)
			return BAD("layout.p2m_mapping: not INIT_P2M's address "
			    "at the next free pfn with %llu pages",
			    (unsigned long long)next);
		if (pt_add_mapping(&g, l->p2m_map.va, l->p2m_map.va +
		    (next << PV_PAGE_SHIFT) - 1, used, used + next, e) < 0)
			return pv_wrap(e, "layout.p2m_mapping");
		if (g.map[1].nr_tables != l->p2m_map.pt_pages)
			return BAD("layout.p2m_mapping.pt_pages: %llu, but the "
			    "mapping needs %llu",
			    (unsigned long long)l->p2m_map.pt_pages,
			    (unsigned long long)g.map[1].nr_tables);
		used += next + l->p2m_map.pt_pages;
	}
	if (used > l->nr_pages)
		return BAD("layout.nr_pages: the domain's %llu pages cannot "
		    "hold the %llu the build needs",
		    (unsigned long long)l->nr_pages, (unsigned long long)used);
#undef BAD
	return 0;
}

static int
check_layout_xen13(const struct plan_elfinfo *ei, struct plan_layout *l,
    struct pv_err *e)
{
	const struct plan_region *r = l->regions;
	uint64_t size, want;

#define BAD(...) pv_fail(e, PV_EXIT_INPUT, __VA_ARGS__)
	if (l->v_end > ei->abi->hv_start)
		return BAD("layout.v_end: 0x%llx reaches the hypervisor hole at "
		    "0x%llx", (unsigned long long)l->v_end,
		    (unsigned long long)ei->abi->hv_start);
	if (l->v_end - l->v_start > l->memory)
		return BAD("layout.v_end: the bootstrap region is larger than "
		    "the domain");
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

static int
parse_p2m_mapping(json_t *obj, struct plan_layout *l, struct pv_err *e)
{
	static const char *const keys[] = { "va", "pfn", "pages", "pt_pages",
	    NULL };
	const char *path = "layout.p2m_mapping";
	json_t *m = json_object_get(obj, "p2m_mapping");

	if (m == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s: missing", path);
	if (json_is_null(m))
		return 0;
	l->p2m_map.present = 1;
	if (is_object(m, path, e) < 0 || only_keys(m, path, keys, e) < 0 ||
	    get_hex(m, path, "va", &l->p2m_map.va, e) < 0 ||
	    get_uint(m, path, "pfn", &l->p2m_map.pfn, e) < 0 ||
	    get_uint(m, path, "pages", &l->p2m_map.pages, e) < 0 ||
	    get_uint(m, path, "pt_pages", &l->p2m_map.pt_pages, e) < 0)
		return -1;
	return 0;
}

static int
parse_layout(json_t *obj, const struct plan_elfinfo *ei,
    struct plan_layout *l, struct pv_err *e)
{
	static const char *const keys13[] = { "memory", "nr_pages", "initrd",
	    "cmdline", "v_start", "v_end", "nr_pt_pages", "regions", NULL };
	static const char *const keys3[] = { "memory", "nr_pages", "initrd",
	    "cmdline", "v_start", "v_end", "nr_pt_pages", "regions",
	    "initrd_pfn", "p2m_mapping", NULL };
	static const char *const regkeys[] = { "name", "start", "end", NULL };
	const struct abi *abi = ei->abi;
	const enum plan_region_id *order;
	const struct plan_region *r = l->regions, *prev = NULL;
	int xen3 = abi->id != ABI_XEN13;
	uint64_t max_pages;
	const char *cmd;
	json_t *ir, *arr, *rj;
	char path[64];
	size_t i, n, idx = 0;

	order = plan_region_order(abi, &n);
	if (is_object(obj, "layout", e) < 0 ||
	    only_keys(obj, "layout", xen3 ? keys3 : keys13, e) < 0 ||
	    get_uint(obj, "layout", "memory", &l->memory, e) < 0 ||
	    get_uint(obj, "layout", "nr_pages", &l->nr_pages, e) < 0)
		return -1;
	max_pages = plan_max_memory(abi) >> PV_PAGE_SHIFT;
	if (l->nr_pages == 0 || l->nr_pages > max_pages ||
	    l->memory != l->nr_pages << PV_PAGE_SHIFT)
		return pv_fail(e, PV_EXIT_INPUT, "layout.nr_pages: %llu pages "
		    "do not make %llu bytes of a valid %s domain",
		    (unsigned long long)l->nr_pages,
		    (unsigned long long)l->memory, abi->name);
	if ((ir = json_object_get(obj, "initrd")) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "layout.initrd: missing");
	if (!json_is_null(ir)) {
		if (parse_ref(ir, "layout.initrd", "length", &l->initrd, e) < 0)
			return -1;
		l->has_initrd = 1;
	}
	if (get_str(obj, "layout", "cmdline", &cmd, e) < 0)
		return -1;
	/* What layout --cmdline refuses, every reader refuses. */
	if (strlen(cmd) > PLAN_CMDLINE_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "layout.cmdline: longer than "
		    "%d bytes", PLAN_CMDLINE_MAX);
	if ((l->cmdline = strdup(cmd)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	if (get_hex(obj, "layout", "v_start", &l->v_start, e) < 0 ||
	    get_hex(obj, "layout", "v_end", &l->v_end, e) < 0 ||
	    get_uint(obj, "layout", "nr_pt_pages", &l->nr_pt_pages, e) < 0 ||
	    get_array(obj, "layout", "regions", n, n, &arr, e) < 0)
		return -1;
	if (xen3) {
		ir = json_object_get(obj, "initrd_pfn");
		if (ir == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "layout.initrd_pfn: "
			    "missing");
		if (!json_is_null(ir)) {
			l->has_initrd_pfn = 1;
			if (get_uint(obj, "layout", "initrd_pfn", &l->initrd_pfn,
			    e) < 0)
				return -1;
		}
		if (parse_p2m_mapping(obj, l, e) < 0)
			return -1;
	}
	if ((l->v_start & ((1ULL << X13_L2_SHIFT) - 1)) != 0 ||
	    ((l->v_end & pt_va_mask(abi)) & ((1ULL << X13_L2_SHIFT) - 1)) != 0 ||
	    l->v_end <= l->v_start ||
	    (abi->va_limit != 0 && l->v_end > abi->va_limit))
		return pv_fail(e, PV_EXIT_INPUT, "layout.v_end: [v_start, v_end) "
		    "is not a non-empty range of 4 MiB boundaries in the "
		    "address space");
	json_array_foreach(arr, i, rj) {
		enum plan_region_id id = order[i];

		snprintf(path, sizeof(path), "layout.regions[%zu]", i);
		if (is_object(rj, path, e) < 0 ||
		    only_keys(rj, path, regkeys, e) < 0 ||
		    get_enum(rj, path, "name", plan_region_names, NR_REGIONS,
		    &idx, e) < 0)
			return -1;
		if (idx != (size_t)id)
			return pv_fail(e, PV_EXIT_INPUT, "%s.name: \"%s\" out of "
			    "order, expected \"%s\"", path,
			    plan_region_names[idx], plan_region_names[id]);
		if (get_hex(rj, path, "start", &l->regions[id].start, e) < 0 ||
		    get_hex(rj, path, "end", &l->regions[id].end, e) < 0)
			return -1;
		if (r[id].end < r[id].start)
			return pv_fail(e, PV_EXIT_INPUT, "%s.end: before its "
			    "start", path);
		if (prev != NULL && r[id].start < prev->end)
			return pv_fail(e, PV_EXIT_INPUT, "%s.start: overlaps the "
			    "%s region", path, plan_region_names[order[i - 1]]);
		if (i > 0 && (r[id].start & (PV_PAGE_SIZE - 1)) != 0)
			return pv_fail(e, PV_EXIT_INPUT, "%s.start: not page "
			    "aligned", path);
		if (r[id].start < l->v_start || r[id].end > l->v_end)
			return pv_fail(e, PV_EXIT_INPUT, "%s: not inside "
			    "[v_start, v_end)", path);
		prev = &r[id];
	}
	if (r[REGION_KERNEL].start != ei->kernel_start ||
	    r[REGION_KERNEL].end != ei->kernel_end)
		return pv_fail(e, PV_EXIT_INPUT, "layout.regions[0]: not the "
		    "kernel's extent");
	return xen3 ? check_layout_xen3(ei, l, e) : check_layout_xen13(ei, l, e);
}

json_t *
plan_layout_json(const struct plan_layout *l, const struct abi *abi)
{
	const enum plan_region_id *order;
	json_t *regs = json_array(), *o;
	size_t i, n;

	order = plan_region_order(abi, &n);
	for (i = 0; i < n; i++)
		json_array_append_new(regs, json_pack("{s:s, s:o, s:o}",
		    "name", plan_region_names[order[i]],
		    "start", plan_hex_json(l->regions[order[i]].start),
		    "end", plan_hex_json(l->regions[order[i]].end)));
	o = json_pack("{s:I, s:I, s:o, s:s, s:o, s:o, s:I, s:o}",
	    "memory", (json_int_t)l->memory,
	    "nr_pages", (json_int_t)l->nr_pages,
	    "initrd", l->has_initrd ? ref_json(&l->initrd, "length") :
	    json_null(), "cmdline", l->cmdline,
	    "v_start", plan_hex_json(l->v_start),
	    "v_end", plan_hex_json(l->v_end),
	    "nr_pt_pages", (json_int_t)l->nr_pt_pages, "regions", regs);
	if (o == NULL || abi->id == ABI_XEN13)
		return o;
	json_object_set_new(o, "initrd_pfn", l->has_initrd_pfn ?
	    json_integer((json_int_t)l->initrd_pfn) : json_null());
	json_object_set_new(o, "p2m_mapping", !l->p2m_map.present ? json_null() :
	    json_pack("{s:o, s:I, s:I, s:I}", "va", plan_hex_json(l->p2m_map.va),
	    "pfn", (json_int_t)l->p2m_map.pfn,
	    "pages", (json_int_t)l->p2m_map.pages,
	    "pt_pages", (json_int_t)l->p2m_map.pt_pages));
	return o;
}

uint64_t
plan_max_memory(const struct abi *abi)
{
	switch (abi->id) {
	case ABI_XEN13:
		return X13_MAX_MEMORY;
	case ABI_X86_32P:
		return 64ULL << 30;	/* PAE's 36-bit physical space */
	default:
		return 1ULL << 40;	/* 1 TiB */
	}
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
get_vcpu(json_t *obj, const struct abi *abi, struct plan_vcpu *v,
    struct pv_err *e)
{
	static const char *const keys[] = { "ip", "sp", "si", "flags", "cs",
	    "ds", "es", "fs", "gs", "ss", "kernel_ss", "kernel_sp", "trap_cs",
	    "callback_cs", "vm_assist", NULL };
	uint64_t *const fields[] = { &v->ip, &v->sp, &v->si, &v->flags, &v->cs,
	    &v->ds, &v->es, &v->fs, &v->gs, &v->ss, &v->kernel_ss,
	    &v->kernel_sp, &v->trap_cs, &v->callback_cs, &v->vm_assist };
	size_t i, n = abi->id == ABI_XEN13 ? 14 : 15;
	const char *const *k13 = keys;

	if (is_object(obj, "populate.vcpu", e) < 0)
		return -1;
	if (abi->id == ABI_XEN13) {
		static const char *const keys13[] = { "ip", "sp", "si", "flags",
		    "cs", "ds", "es", "fs", "gs", "ss", "kernel_ss",
		    "kernel_sp", "trap_cs", "callback_cs", NULL };
		k13 = keys13;
	}
	if (only_keys(obj, "populate.vcpu", k13, e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (get_hex(obj, "populate.vcpu", keys[i], fields[i], e) < 0)
			return -1;
		if (abi->word == 4 && *fields[i] > UINT32_MAX)
			return pv_fail(e, PV_EXIT_INPUT, "populate.vcpu.%s: "
			    "wider than 32 bits", keys[i]);
	}
	return 0;
}

/* The pseudo-physical byte range [start, end) where an initrd goes. */
static void
initrd_pa(const struct plan_layout *l, uint64_t *lo, uint64_t *hi)
{
	if (l->has_initrd_pfn) {
		*lo = l->initrd_pfn << PV_PAGE_SHIFT;
		*hi = *lo + l->initrd.data_size;
	} else
		region_pa(l, REGION_INITRD, lo, hi);
}

static int
cmp_write(const void *a, const void *b)
{
	const struct plan_write *x = *(const struct plan_write *const *)a;
	const struct plan_write *y = *(const struct plan_write *const *)b;
	uint64_t dx = (x->pfn << PV_PAGE_SHIFT) + x->offset;
	uint64_t dy = (y->pfn << PV_PAGE_SHIFT) + y->offset;

	return dx < dy ? -1 : dx > dy;
}

/*
 * Writes never overlap, so their order does not matter and a backend
 * whose frames come zeroed may skip zero fill. Destinations were checked
 * to lie in their regions, so the sums below cannot wrap.
 */
static int
writes_overlap(const struct plan_populate *p, struct pv_err *e)
{
	const struct plan_write **w;
	uint64_t end = 0, dst;
	size_t i;

	if (p->nr_writes < 2)
		return 0;
	if ((w = malloc(p->nr_writes * sizeof(*w))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	for (i = 0; i < p->nr_writes; i++)
		w[i] = &p->writes[i];
	qsort(w, p->nr_writes, sizeof(*w), cmp_write);
	for (i = 0; i < p->nr_writes; i++) {
		dst = (w[i]->pfn << PV_PAGE_SHIFT) + w[i]->offset;
		if (i > 0 && dst < end) {
			pv_fail(e, PV_EXIT_INPUT, "populate.writes: two writes "
			    "overlap at pfn %llu offset %llu",
			    (unsigned long long)w[i]->pfn,
			    (unsigned long long)w[i]->offset);
			free(w);
			return -1;
		}
		end = dst + w[i]->length;
	}
	free(w);
	return 0;
}

static int
parse_populate(json_t *obj, const struct plan_elfinfo *ei,
    const struct plan_layout *l, struct plan_populate *p, struct pv_err *e)
{
	static const char *const keys13[] = { "writes", "p2m", "start_info",
	    "shared_info", "vcpu", NULL };
	static const char *const keys3[] = { "writes", "p2m", "start_info",
	    "shared_info", "vcpu", "hypercall_page", NULL };
	static const char *const wkeys[] = { "pfn", "offset", "length",
	    "source", "source_offset", NULL };
	static const char *const p2mkeys[] = { "pfn", "entries", "entry_size",
	    NULL };
	static const char *const sikeys13[] = { "pfn", "va", "nr_pages",
	    "flags", "pt_base", "nr_pt_frames", "mfn_list", "mod_start",
	    "mod_len", "cmd_line_length", NULL };
	static const char *const sikeys3[] = { "pfn", "va", "nr_pages",
	    "flags", "pt_base", "nr_pt_frames", "mfn_list", "mod_start",
	    "mod_len", "cmd_line_length", "magic", "store_pfn", "console_pfn",
	    "first_p2m_pfn", "nr_p2m_frames", NULL };
	static const char *const shkeys[] = { "vcpus", "upcall_mask", NULL };
	static const char *const hkeys[] = { "pfn", NULL };
	const struct abi *abi = ei->abi;
	int xen3 = abi->id != ABI_XEN13;
	uint64_t lo, hi, dst, srcsize, want;
	json_t *arr, *w, *o;
	char path[64];
	size_t i, idx = 0;

	if (is_object(obj, "populate", e) < 0 ||
	    only_keys(obj, "populate", xen3 ? keys3 : keys13, e) < 0 ||
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
		if (in == REGION_INITRD)
			initrd_pa(l, &lo, &hi);
		else
			region_pa(l, in, &lo, &hi);
		if (wr->offset >= PV_PAGE_SIZE || wr->pfn > (hi >> PV_PAGE_SHIFT) ||
		    (dst = (wr->pfn << PV_PAGE_SHIFT) + wr->offset) < lo ||
		    !pv_inside(dst - lo, wr->length, hi - lo))
			return pv_fail(e, PV_EXIT_INPUT, "%s.pfn: destination is "
			    "not inside the %s region", path,
			    plan_region_names[in]);
	}
	if (writes_overlap(p, e) < 0)
		return -1;
	if (get(obj, "populate", "p2m", JSON_OBJECT, &o, e) < 0 ||
	    only_keys(o, "populate.p2m", p2mkeys, e) < 0 ||
	    get_uint(o, "populate.p2m", "pfn", &p->p2m.pfn, e) < 0 ||
	    get_uint(o, "populate.p2m", "entries", &p->p2m.entries, e) < 0 ||
	    get_uint(o, "populate.p2m", "entry_size", &p->p2m.entry_size, e) < 0)
		return -1;
	want = l->p2m_map.present ? l->p2m_map.pfn :
	    plan_region_pfn(l, REGION_P2M);
	if (p->p2m.pfn != want || p->p2m.entries != l->nr_pages ||
	    p->p2m.entry_size != abi->word)
		return pv_fail(e, PV_EXIT_INPUT, "populate.p2m: not the p2m "
		    "list's place and size");
	if (get(obj, "populate", "start_info", JSON_OBJECT, &o, e) < 0 ||
	    only_keys(o, "populate.start_info", xen3 ? sikeys3 : sikeys13,
	    e) < 0)
		return -1;
#define SI(k, getter) getter(o, "populate.start_info", #k, &p->start_info.k, e)
	if (SI(pfn, get_uint) < 0 || SI(va, get_hex) < 0 ||
	    SI(nr_pages, get_uint) < 0 || SI(flags, get_uint) < 0 ||
	    SI(pt_base, get_hex) < 0 || SI(nr_pt_frames, get_uint) < 0 ||
	    SI(mfn_list, get_hex) < 0 || SI(mod_start, get_hex) < 0 ||
	    SI(mod_len, get_uint) < 0 || SI(cmd_line_length, get_uint) < 0)
		return -1;
	if (xen3 && (SI(store_pfn, get_uint) < 0 || SI(console_pfn, get_uint) < 0 ||
	    SI(first_p2m_pfn, get_uint) < 0 || SI(nr_p2m_frames, get_uint) < 0 ||
	    get_enum(o, "populate.start_info", "magic", &abi->name, 1, &idx,
	    e) < 0))
		return -1;
#undef SI
	p->start_info.magic = abi->name;
	if (p->start_info.pfn != plan_region_pfn(l, REGION_START_INFO) ||
	    p->start_info.va != l->regions[REGION_START_INFO].start)
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info.pfn: not "
		    "the start_info region");
	if (p->start_info.flags > UINT32_MAX || p->start_info.nr_pages !=
	    l->nr_pages || p->start_info.nr_pt_frames != l->nr_pt_pages ||
	    p->start_info.pt_base != l->regions[REGION_PAGETABLES].start ||
	    p->start_info.mfn_list != (l->p2m_map.present ? l->p2m_map.va :
	    l->regions[REGION_P2M].start))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info: fields "
		    "disagree with the layout");
	if (xen3 && (p->start_info.store_pfn !=
	    plan_region_pfn(l, REGION_XENSTORE) || p->start_info.console_pfn !=
	    plan_region_pfn(l, REGION_CONSOLE) ||
	    p->start_info.first_p2m_pfn != (l->p2m_map.present ?
	    l->p2m_map.pfn : 0) || p->start_info.nr_p2m_frames !=
	    (l->p2m_map.present ? l->p2m_map.pages + l->p2m_map.pt_pages : 0)))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info: xenstore, "
		    "console or p2m frames disagree with the layout");
	want = !l->has_initrd ? 0 : l->has_initrd_pfn ? l->initrd_pfn :
	    l->regions[REGION_INITRD].start;
	if (p->start_info.mod_len != (l->has_initrd ? l->initrd.data_size : 0) ||
	    p->start_info.mod_start != (p->start_info.mod_len != 0 ? want : 0))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info.mod_start: "
		    "not the initrd");
	if (p->start_info.cmd_line_length > plan_cmdline_max(abi) - 1 ||
	    p->start_info.cmd_line_length > strlen(l->cmdline))
		return pv_fail(e, PV_EXIT_INPUT, "populate.start_info."
		    "cmd_line_length: more than the command line or %llu",
		    (unsigned long long)plan_cmdline_max(abi) - 1);
	if (get(obj, "populate", "shared_info", JSON_OBJECT, &o, e) < 0 ||
	    only_keys(o, "populate.shared_info", shkeys, e) < 0 ||
	    get_uint(o, "populate.shared_info", "vcpus",
	    &p->shared_info.vcpus, e) < 0 ||
	    get_uint(o, "populate.shared_info", "upcall_mask",
	    &p->shared_info.upcall_mask, e) < 0)
		return -1;
	if (p->shared_info.vcpus != (xen3 ? 32 : 1) ||
	    p->shared_info.upcall_mask > 1)
		return pv_fail(e, PV_EXIT_INPUT, "populate.shared_info: %s has "
		    "%d vCPU slots and a mask of 0 or 1", abi->name,
		    xen3 ? 32 : 1);
	if (xen3) {
		o = json_object_get(obj, "hypercall_page");
		if (o == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "populate.hypercall_page: "
			    "missing");
		if (!json_is_null(o)) {
			p->has_hypercall_page = 1;
			if (is_object(o, "populate.hypercall_page", e) < 0 ||
			    only_keys(o, "populate.hypercall_page", hkeys, e) < 0 ||
			    get_uint(o, "populate.hypercall_page", "pfn",
			    &p->hypercall_pfn, e) < 0)
				return -1;
		}
		if (p->has_hypercall_page != ei->x3.has_hypercall_page ||
		    (p->has_hypercall_page && p->hypercall_pfn !=
		    (ei->x3.hypercall_page - l->v_start) >> PV_PAGE_SHIFT))
			return pv_fail(e, PV_EXIT_INPUT, "populate.hypercall_page: "
			    "not the kernel's hypercall page");
	}
	if (get(obj, "populate", "vcpu", JSON_OBJECT, &o, e) < 0 ||
	    get_vcpu(o, abi, &p->vcpu, e) < 0)
		return -1;
	if (p->vcpu.ip < ei->kernel_start || p->vcpu.ip >= ei->kernel_end)
		return pv_fail(e, PV_EXIT_INPUT, "populate.vcpu.ip: outside the "
		    "kernel");
	return 0;
}

json_t *
plan_populate_json(const struct plan_populate *p, const struct abi *abi)
{
	const struct plan_vcpu *v = &p->vcpu;
	json_t *ws = json_array(), *o, *si;
	size_t i;

	for (i = 0; i < p->nr_writes; i++) {
		const struct plan_write *w = &p->writes[i];

		json_array_append_new(ws, json_pack("{s:I, s:I, s:I, s:s, s:I}",
		    "pfn", (json_int_t)w->pfn, "offset", (json_int_t)w->offset,
		    "length", (json_int_t)w->length,
		    "source", source_names[w->source],
		    "source_offset", (json_int_t)w->source_offset));
	}
	o = json_pack("{s:o, s:{s:I, s:I, s:I}, s:{s:I, s:o, s:I, s:I, "
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
	if (o == NULL || abi->id == ABI_XEN13)
		return o;
	json_object_set_new(json_object_get(o, "vcpu"), "vm_assist",
	    plan_hex_json(v->vm_assist));
	si = json_pack("{s:s, s:I, s:I, s:I, s:I}", "magic",
	    p->start_info.magic, "store_pfn", (json_int_t)p->start_info.store_pfn,
	    "console_pfn", (json_int_t)p->start_info.console_pfn,
	    "first_p2m_pfn", (json_int_t)p->start_info.first_p2m_pfn,
	    "nr_p2m_frames", (json_int_t)p->start_info.nr_p2m_frames);
	json_object_update(json_object_get(o, "start_info"), si);
	json_decref(si);
	json_object_set_new(o, "hypercall_page", p->has_hypercall_page ?
	    json_pack("{s:I}", "pfn", (json_int_t)p->hypercall_pfn) :
	    json_null());
	return o;
}

/* pagetables */

/* Is pfn one of the page-table pages the layout set aside? */
static int
is_table_pfn(const struct plan_layout *l, uint64_t pfn)
{
	uint64_t lo = plan_region_pfn(l, REGION_PAGETABLES);

	if (pfn >= lo && pfn - lo < l->nr_pt_pages)
		return 1;
	lo = l->p2m_map.pfn + l->p2m_map.pages;
	return l->p2m_map.present && pfn >= lo && pfn - lo < l->p2m_map.pt_pages;
}

static int
parse_pagetables(json_t *obj, const struct abi *abi,
    const struct plan_layout *l, struct plan_pagetables *pt,
    struct pv_err *e)
{
	static const char *const keys[] = { "levels", "entry_size", "top_pfn",
	    "tables", "pin", NULL };
	static const char *const tkeys[] = { "pfn", "level", "maps", NULL };
	static const char *const mkeys[] = { "index", "count", "pfn", "flags",
	    NULL };
	static const char *const pkeys[] = { "pfn", "level", NULL };
	uint64_t v, next, entries = 1ULL << abi->index_bits, top_entries;
	uint64_t *level_of = NULL, nr_table_pfns, pt_lo, k;
	json_t *arr, *t, *maps, *m, *o;
	char path[80];
	size_t i, j;

	if (is_object(obj, "pagetables", e) < 0 ||
	    only_keys(obj, "pagetables", keys, e) < 0 ||
	    get_uint(obj, "pagetables", "levels", &v, e) < 0)
		return -1;
	if (v != (uint64_t)abi->levels)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.levels: %llu, but "
		    "%s uses %d", (unsigned long long)v, abi->name, abi->levels);
	pt->levels = abi->levels;
	if (get_uint(obj, "pagetables", "entry_size", &v, e) < 0)
		return -1;
	if (v != abi->pte_size)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.entry_size: %llu, "
		    "but %s uses %u", (unsigned long long)v, abi->name,
		    abi->pte_size);
	pt->entry_size = (int)abi->pte_size;
	/* A PAE top table has four entries (Intel SDM, PDPTEs). */
	top_entries = abi->levels == 3 ? 4 : entries;
	pt_lo = plan_region_pfn(l, REGION_PAGETABLES);
	if (get_uint(obj, "pagetables", "top_pfn", &pt->top_pfn, e) < 0 ||
	    get_array(obj, "pagetables", "tables", 1, MAX_TABLES, &arr, e) < 0)
		return -1;
	if (pt->top_pfn != pt_lo)
		return pv_fail(e, PV_EXIT_INPUT, "pagetables.top_pfn: not the "
		    "first page of the pagetables region");
	/* The level of each table pfn, to check what points at what. */
	nr_table_pfns = l->nr_pt_pages;
	if (l->p2m_map.present)
		nr_table_pfns += l->p2m_map.pt_pages;
	pt->nr_tables = json_array_size(arr);
	pt->tables = calloc(pt->nr_tables, sizeof(*pt->tables));
	level_of = calloc(nr_table_pfns + 1, sizeof(*level_of));
	if (pt->tables == NULL || level_of == NULL) {
		free(level_of);
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	/* Where a table pfn's level is kept in level_of[]. */
#define SLOT(x) ((x) - pt_lo < l->nr_pt_pages ? (x) - pt_lo : \
    l->nr_pt_pages + (x) - (l->p2m_map.pfn + l->p2m_map.pages))
	json_array_foreach(arr, i, t) {
		struct plan_table *tb = &pt->tables[i];

		snprintf(path, sizeof(path), "pagetables.tables[%zu]", i);
		if (is_object(t, path, e) < 0 || only_keys(t, path, tkeys, e) < 0 ||
		    get_uint(t, path, "pfn", &tb->pfn, e) < 0 ||
		    get_uint(t, path, "level", &v, e) < 0)
			goto fail;
		if (!is_table_pfn(l, tb->pfn) || level_of[SLOT(tb->pfn)] != 0) {
			pv_fail(e, PV_EXIT_INPUT, "%s.pfn: %llu is not a fresh "
			    "page of the pagetables region", path,
			    (unsigned long long)tb->pfn);
			goto fail;
		}
		if (v < 1 || v > (uint64_t)abi->levels ||
		    (tb->pfn == pt->top_pfn) != (v == (uint64_t)abi->levels)) {
			pv_fail(e, PV_EXIT_INPUT, "%s.level: %llu, but only the "
			    "top table is level %d and the rest below it", path,
			    (unsigned long long)v, abi->levels);
			goto fail;
		}
		tb->level = (int)v;
		level_of[SLOT(tb->pfn)] = v;
	}
	json_array_foreach(arr, i, t) {
		struct plan_table *tb = &pt->tables[i];
		uint64_t limit = tb->level == abi->levels ? top_entries : entries;

		snprintf(path, sizeof(path), "pagetables.tables[%zu]", i);
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
			    !pv_inside(mp->index, mp->count, limit)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.index: entries "
				    "out of order, overlapping or past %llu",
				    mpath, (unsigned long long)limit);
				goto fail;
			}
			next = mp->index + mp->count;
			if (!pv_inside(mp->pfn, mp->count, l->nr_pages)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.pfn: maps pages "
				    "past the domain's %llu", mpath,
				    (unsigned long long)l->nr_pages);
				goto fail;
			}
			if (mp->flags > 0xfff || !(mp->flags & PTE_PRESENT) ||
			    (mp->flags & PTE_PSE)) {
				pv_fail(e, PV_EXIT_INPUT, "%s.flags: not the "
				    "flags of a present entry to a 4 KiB page "
				    "or table", mpath);
				goto fail;
			}
			/* The guest must not be able to write its tables. */
			for (k = 0; tb->level == 1 && (mp->flags & PTE_RW) &&
			    k < mp->count; k++)
				if (is_table_pfn(l, mp->pfn + k)) {
					pv_fail(e, PV_EXIT_INPUT, "%s.flags: maps "
					    "page-table pfn %llu writable", mpath,
					    (unsigned long long)(mp->pfn + k));
					goto fail;
				}
			for (k = 0; tb->level > 1 && k < mp->count; k++)
				if (!is_table_pfn(l, mp->pfn + k) ||
				    level_of[SLOT(mp->pfn + k)] !=
				    (uint64_t)tb->level - 1) {
					pv_fail(e, PV_EXIT_INPUT, "%s.pfn: a "
					    "level %d entry points at pfn %llu, "
					    "which is no level %d table", mpath,
					    tb->level, (unsigned long long)
					    (mp->pfn + k), tb->level - 1);
					goto fail;
				}
		}
	}
#undef SLOT
	if (get(obj, "pagetables", "pin", JSON_OBJECT, &o, e) < 0 ||
	    only_keys(o, "pagetables.pin", pkeys, e) < 0 ||
	    get_uint(o, "pagetables.pin", "pfn", &pt->pin.pfn, e) < 0 ||
	    get_uint(o, "pagetables.pin", "level", &v, e) < 0)
		goto fail;
	if (pt->pin.pfn != pt->top_pfn || v != (uint64_t)abi->levels) {
		pv_fail(e, PV_EXIT_INPUT, "pagetables.pin: %s pins the top "
		    "table at level %d", abi->name, abi->levels);
		goto fail;
	}
	pt->pin.level = abi->levels;
	free(level_of);
	return 0;
fail:
	free(level_of);
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
		if (parse_pagetables(m, p->elfinfo->abi, p->layout, p->pagetables,
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
		if (strcmp(stage, stage_order[me]) == 0)
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
	for (i = 0; i < me && i < NR_STAGES; i++)
		if (json_object_get(p->root, stage_order[i]) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s: missing (run "
			    "%s first)", name, stage_order[i], stage_order[i]);
	if (parse_members(p, me, e) < 0)
		return pv_wrap(e, "%s", name);
	return 0;
}

/*
 * A guard on the bytes jansson reads, so that a plan too large to be real is
 * refused while it is read, before it is a tree of a million nodes: it
 * follows the JSON's nesting (strings, keys, arrays, objects) and stops the
 * read at the first array longer than any plan holds, the first object
 * with more members than any plan's (the largest, elfinfo's and its notes,
 * have a few dozen), or past PLAN_MAX_BYTES, naming the array or object as
 * parse_members would. Syntax is left to jansson.
 */
#define PLAN_MAX_BYTES (256u << 20)
#define PLAN_MAX_ARRAY MAX_WRITES
#define PLAN_MAX_MEMBERS 256
#define GUARD_DEPTH 32
#define GUARD_KEY 40

struct guard_frame {
	char kind;		/* '{' or '[' */
	uint32_t count;		/* elements or members begun */
	char key[GUARD_KEY];	/* object: the current member's key */
};

struct guard {
	FILE *fp;			/* the source: a file, */
	const char *buf;		/* or a buffer */
	size_t len, pos;
	uint64_t total;
	struct guard_frame st[GUARD_DEPTH];
	unsigned depth;			/* frames open, maybe past GUARD_DEPTH */
	int in_str, esc, is_key, want_value, want_key;
	size_t keylen;
	char key[GUARD_KEY];
	char err[192];
};

static void
guard_path(const struct guard *g, char *out, size_t outsz)
{
	size_t o = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i + 1 < g->depth && i < GUARD_DEPTH && o < outsz; i++) {
		if (g->st[i].kind == '{')
			o += (size_t)snprintf(out + o, outsz - o, "%s%s",
			    i == 0 ? "" : ".", g->st[i].key);
		else
			o += (size_t)snprintf(out + o, outsz - o, "[%u]",
			    g->st[i].count - 1);
	}
}

/* Follow bytes [p, p + n); -1 with g->err set at the first excess. */
static int
guard_scan(struct guard *g, const char *p, size_t n)
{
	struct guard_frame *f;
	char path[128];
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (g->in_str) {
			if (g->esc)
				g->esc = 0;
			else if (c == '\\')
				g->esc = 1;
			else if (c == '"')
				g->in_str = 0;
			if (g->is_key && g->in_str && g->keylen + 1 < GUARD_KEY)
				g->key[g->keylen++] = c;
			if (g->is_key && !g->in_str) {
				g->key[g->keylen] = '\0';
				if (g->depth > 0 && g->depth <= GUARD_DEPTH)
					memcpy(g->st[g->depth - 1].key, g->key,
					    g->keylen + 1);
				g->is_key = 0;
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		f = g->depth > 0 && g->depth <= GUARD_DEPTH ?
		    &g->st[g->depth - 1] : NULL;
		/* A value begins in an array: count it. */
		if (g->want_value && c != ']' && f != NULL && f->kind == '[') {
			if (++f->count > PLAN_MAX_ARRAY) {
				guard_path(g, path, sizeof(path));
				snprintf(g->err, sizeof(g->err), "%s: more "
				    "than %u entries (no plan has so many)",
				    path[0] != '\0' ? path : "array",
				    PLAN_MAX_ARRAY);
				return -1;
			}
		}
		g->want_value = 0;
		/* A member begins in an object: count it. */
		if (g->want_key && c == '"' && f != NULL && f->kind == '{' &&
		    ++f->count > PLAN_MAX_MEMBERS) {
			guard_path(g, path, sizeof(path));
			snprintf(g->err, sizeof(g->err), "%s: more than %u "
			    "members (no plan has so many)",
			    path[0] != '\0' ? path : "object", PLAN_MAX_MEMBERS);
			return -1;
		}
		switch (c) {
		case '"':
			g->in_str = 1;
			g->is_key = g->want_key;
			g->keylen = 0;
			g->want_key = 0;
			break;
		case '{':
		case '[':
			if (g->depth < GUARD_DEPTH) {
				g->st[g->depth].kind = c;
				g->st[g->depth].count = 0;
				g->st[g->depth].key[0] = '\0';
			}
			g->depth++;
			g->want_key = c == '{';
			g->want_value = c == '[';
			break;
		case '}':
		case ']':
			if (g->depth > 0)
				g->depth--;
			break;
		case ',':
			g->want_key = f != NULL && f->kind == '{';
			g->want_value = f != NULL && f->kind == '[';
			break;
		default:
			break;
		}
	}
	return 0;
}

/* jansson's source of bytes, through the guard. */
static size_t
guard_read(void *out, size_t size, void *arg)
{
	struct guard *g = arg;
	size_t n;

	if (g->err[0] != '\0')
		return (size_t)-1;
	if (g->fp != NULL) {
		n = fread(out, 1, size, g->fp);
		if (n == 0 && ferror(g->fp)) {
			snprintf(g->err, sizeof(g->err), "read error: %s",
			    strerror(errno));
			return (size_t)-1;
		}
	} else {
		n = g->len - g->pos < size ? g->len - g->pos : size;
		memcpy(out, g->buf + g->pos, n);
		g->pos += n;
	}
	g->total += n;
	if (g->total > PLAN_MAX_BYTES) {
		snprintf(g->err, sizeof(g->err), "larger than %u MiB (no plan "
		    "is)", PLAN_MAX_BYTES >> 20);
		return (size_t)-1;
	}
	return guard_scan(g, out, n) < 0 ? (size_t)-1 : n;
}

static int
load_guarded(struct plan *p, struct guard *g, const char *name,
    const char *stage, struct pv_err *e)
{
	json_error_t je;

	p->root = json_load_callback(guard_read, g, JSON_REJECT_DUPLICATES,
	    &je);
	if (g->err[0] != '\0') {
		json_decref(p->root);
		p->root = NULL;
		return pv_fail(e, PV_EXIT_INPUT, "%s: %s", name, g->err);
	}
	return check_root(p, name, stage, &je, e);
}

int
plan_read(const char *path, const char *stage, struct plan *p,
    struct pv_err *e)
{
	const char *name = path == NULL || strcmp(path, "-") == 0 ? "<stdin>" :
	    path;
	struct guard *g;
	FILE *fp;
	int rc;

	memset(p, 0, sizeof(*p));
	if (name == path) {
		if ((fp = fopen(path, "r")) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "%s: %s", path,
			    strerror(errno));
	} else
		fp = stdin;
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		if (fp != stdin)
			fclose(fp);
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	}
	g->fp = fp;
	rc = load_guarded(p, g, name, stage, e);
	free(g);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

int
plan_read_buffer(const char *buf, size_t len, const char *stage,
    struct plan *p, struct pv_err *e)
{
	struct guard *g;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	g->buf = buf;
	g->len = len;
	rc = load_guarded(p, g, "<buffer>", stage, e);
	free(g);
	return rc;
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
