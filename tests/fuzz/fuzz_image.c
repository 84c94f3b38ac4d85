/* SPDX-License-Identifier: ISC */
/*
 * fuzz_image.c: libFuzzer target for the kernel image reader, as elfinfo
 * uses it: the input is an untrusted image file's bytes, decoded the way
 * img_load decodes a file (a compression's magic, a bzImage, or plain
 * ELF; decompression under a 16 MiB cap), then checked and read by
 * elf_guest_inspect; an image it accepts is written out as the plan's
 * elfinfo member, which the next stage's plan reader must accept. Whatever
 * the bytes, the result must be a plan member or a clean error: a crash, a
 * sanitizer report, a leak, a hang or a refused member is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfguest.h"
#include "img.h"
#include "message.h"
#include "plan.h"

/*
 * Small enough to keep runs fast (a bomb that fills it takes 0.1 s under
 * the sanitizers), large enough for every test guest and PV GRUB.
 */
#define FUZZ_IMAGE_CAP ((uint64_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A clean error is one printable line (main prints it as is: message.h),
 * and says something.
 */
static void
check_message(const struct pv_err *e)
{
	if (!message_is_one_line(e->msg)) {
		fprintf(stderr, "bad error message: \"%s\"\n", e->msg);
		abort();
	}
}

/*
 * What elfinfo would write of an image it accepts must be a plan that the
 * next stage accepts: the member, in a plan, read back as layout reads it.
 * The file's name and hash are elfinfo's, not the decoder's: made up.
 */
static void
round_trip(struct plan_elfinfo *ei)
{
	struct plan p;
	struct pv_err e;
	json_t *root;
	char *text;

	if ((ei->image.path = strdup("/fuzz/image")) == NULL)
		abort();
	memset(ei->image.sha256, 'a', 64);
	if ((root = json_pack("{s:s, s:o}", "format", PLAN_FORMAT, "elfinfo",
	    plan_elfinfo_json(ei))) == NULL)
		abort();
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		abort();
	if (plan_read_buffer(text, strlen(text), "layout", &p, &e) < 0) {
		fprintf(stderr, "elfinfo's member is refused by layout: %s\n%s\n",
		    e.msg, text);
		abort();
	}
	plan_free(&p);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_elfinfo ei;
	struct img_ref ref;
	struct pv_err e;
	uint8_t *elf = NULL;
	int pass;

	memset(&ei, 0, sizeof(ei));
	if (img_decode(data, size, IMG_KERNEL, FUZZ_IMAGE_CAP, &ei.image, &elf,
	    &e) < 0) {
		if (e.code != PV_EXIT_INPUT && e.code != PV_EXIT_SYSTEM)
			abort();
		check_message(&e);
		return 0;
	}
	if (ei.image.data_size > FUZZ_IMAGE_CAP)
		abort();
	ref = ei.image;
	/* As what it declares, then as a PVH guest (elfinfo --pvh). */
	for (pass = 0; pass < 2; pass++) {
		memset(&ei, 0, sizeof(ei));
		ei.image = ref;
		if (elf_guest_inspect_as(pass ? &abi_table[ABI_PVH] : NULL, elf,
		    ref.data_size, &ei, &e) == 0)
			round_trip(&ei);
		else if (e.code != PV_EXIT_INPUT)
			abort();
		else
			check_message(&e);
		plan_elfinfo_clear(&ei);
	}
	free(elf);
	return 0;
}
