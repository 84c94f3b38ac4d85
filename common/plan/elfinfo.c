/* SPDX-License-Identifier: ISC */
/*
 * elfinfo.c: the elfinfo member (README, "elfinfo"): its reader, which
 * checks the kernel's extent, entry and segments against each other and
 * against the image, its writer, and the file references (elfinfo.image,
 * layout.initrd) the members share.
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "guest.h"
#include "members.h"

static const char *const compressions[] = { "none", "gzip", "bzip2", "xz",
	"lzma", "lzo", "lz4", "zstd" };
static const char *const containers[] = { "file", "bzimage" };

/* The name of the data's digest beside its size: elf_size, length. */
static const char *
digest_key(const char *size_key)
{
	return strcmp(size_key, "elf_size") == 0 ? "elf_sha256" : "data_sha256";
}

/* A kernel's reference (size_key "elf_size") or a module's ("length"). */
int
plan_ref_read(json_t *obj, const char *path, const char *size_key,
    struct img_ref *ref, struct pv_err *e)
{
	const char *dkey = digest_key(size_key);
	const char *const keys[] = { "path", "size", "sha256", "container",
	    "payload_offset", "payload_size", "compression", size_key, dkey,
	    NULL };
	int kernel = strcmp(size_key, "elf_size") == 0;
	const char *s, *h, *d;
	size_t c = 0, k = 0;

	ref->kind = kernel ? IMG_KERNEL : IMG_MODULE;
	if (pj_is_object(obj, path, e) < 0 || pj_only_keys(obj, path, keys, e) < 0 ||
	    pj_get_str(obj, path, "path", &s, e) < 0 ||
	    pj_get_uint(obj, path, "size", &ref->size, e) < 0 ||
	    pj_get_str(obj, path, "sha256", &h, e) < 0 ||
	    pj_get_enum(obj, path, "container", containers, kernel ? 2 : 1, &k,
	    e) < 0 ||
	    pj_get_uint(obj, path, "payload_offset", &ref->payload_offset, e) < 0 ||
	    pj_get_uint(obj, path, "payload_size", &ref->payload_size, e) < 0 ||
	    pj_get_enum(obj, path, "compression", compressions, kernel ? 8 : 2, &c,
	    e) < 0 ||
	    pj_get_uint(obj, path, size_key, &ref->data_size, e) < 0 ||
	    pj_get_str(obj, path, dkey, &d, e) < 0)
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
	if (!digest_valid(h) || !digest_valid(d))
		return pv_fail(e, PV_EXIT_INPUT, "%s.%s: not 64 lowercase hex "
		    "digits", path, digest_valid(h) ? dkey : "sha256");
	if ((ref->path = strdup(s)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	memcpy(ref->sha256, h, 65);
	memcpy(ref->data_sha256, d, 65);
	ref->compression = compressions[c];
	return 0;
}

json_t *
plan_ref_json(const struct img_ref *ref, const char *size_key)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:I, s:s}", "path",
	    ref->path, "size", (json_int_t)ref->size, "sha256", ref->sha256,
	    "container", ref->container, "payload_offset",
	    (json_int_t)ref->payload_offset, "payload_size",
	    (json_int_t)ref->payload_size, "compression", ref->compression,
	    size_key, (json_int_t)ref->data_size, digest_key(size_key),
	    ref->data_sha256);
}

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



int
plan_elfinfo_read(json_t *obj, struct plan_elfinfo *ei, struct pv_err *e)
{
	const struct plan_segment **sorted = NULL;
	uint64_t levels, end, top;
	json_t *arr, *s, *img, *gij;
	const char *fl, *name, *arch;
	char path[64];
	const struct guest_ops *ops;
	size_t i;

	if (pj_is_object(obj, "elfinfo", e) < 0 ||
	    pj_get_str(obj, "elfinfo", "abi", &name, e) < 0)
		return -1;
	if ((ei->abi = abi_by_name(name)) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.abi: unknown ABI "
		    "\"%s\"", name);
	ops = ei->abi->ops;
	if (pj_only_keys(obj, "elfinfo", ops->elfinfo_keys, e) < 0 ||
	    pj_get_str(obj, "elfinfo", "arch", &arch, e) < 0 ||
	    pj_get_uint(obj, "elfinfo", "paging_levels", &levels, e) < 0)
		return -1;
	if (strcmp(arch, ei->abi->arch) != 0 ||
	    levels != (uint64_t)ei->abi->levels)
		return pv_fail(e, PV_EXIT_INPUT, "elfinfo.arch: %s with %llu "
		    "paging levels is not %s", arch, (unsigned long long)levels,
		    ei->abi->name);
	if (pj_get(obj, "elfinfo", "image", JSON_OBJECT, &img, e) < 0 ||
	    plan_ref_read(img, "elfinfo.image", "elf_size", &ei->image, e) < 0 ||
	    pj_get_hex(obj, "elfinfo", "kernel_start", &ei->kernel_start, e) < 0 ||
	    pj_get_hex(obj, "elfinfo", "kernel_end", &ei->kernel_end, e) < 0 ||
	    pj_get_hex(obj, "elfinfo", "entry", &ei->entry, e) < 0 ||
	    pj_get_array(obj, "elfinfo", "segments", 1, MAX_SEGMENTS, &arr, e) < 0)
		return -1;
	gij = json_object_get(obj, "guest_info");
	if (gij == NULL || (!json_is_string(gij) &&
	    !(!ops->guest_info_required && json_is_null(gij))))
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
		if (pj_is_object(s, path, e) < 0 ||
		    pj_only_keys(s, path, ops->segment_keys, e) < 0 ||
		    pj_get_hex(s, path, "vaddr", &sg->vaddr, e) < 0 ||
		    (ops->segment_paddr &&
		    pj_get_hex(s, path, "paddr", &sg->paddr, e) < 0) ||
		    pj_get_uint(s, path, "offset", &sg->offset, e) < 0 ||
		    pj_get_uint(s, path, "filesz", &sg->filesz, e) < 0 ||
		    pj_get_uint(s, path, "memsz", &sg->memsz, e) < 0 ||
		    pj_get_str(s, path, "flags", &fl, e) < 0)
			goto fail;
		if (strlen(fl) > 3 || !flags_ok(fl) || *fl == '\0' ||
		    strpbrk(fl, ops->load_flags) == NULL) {
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
	return ops->elfinfo_read(obj, ei, e);
fail:
	free(sorted);
	return -1;
}

json_t *
plan_elfinfo_json(const struct plan_elfinfo *ei)
{
	const struct guest_ops *ops = ei->abi->ops;
	json_t *segs = json_array(), *o, *sg;
	size_t i;

	for (i = 0; i < ei->nr_segments; i++) {
		const struct plan_segment *s = &ei->segments[i];

		sg = json_pack("{s:o, s:I, s:I, s:I, s:s}",
		    "vaddr", plan_hex_json(s->vaddr),
		    "offset", (json_int_t)s->offset,
		    "filesz", (json_int_t)s->filesz,
		    "memsz", (json_int_t)s->memsz, "flags", s->flags);
		if (ops->segment_paddr)
			json_object_set_new(sg, "paddr", plan_hex_json(s->paddr));
		json_array_append_new(segs, sg);
	}
	o = json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "abi", ei->abi->name, "arch", ei->abi->arch, "paging_levels",
	    ei->abi->levels, "image", plan_ref_json(&ei->image, "elf_size"),
	    "guest_info", ei->guest_info != NULL ?
	    json_string(ei->guest_info) : json_null(),
	    "kernel_start", plan_hex_json(ei->kernel_start),
	    "kernel_end", plan_hex_json(ei->kernel_end),
	    "entry", plan_hex_json(ei->entry), "segments", segs);
	/* What the type adds; a failure is only ever out of memory. */
	if (o != NULL)
		(void)ops->elfinfo_json(o, ei);
	return o;
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

