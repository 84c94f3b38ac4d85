/* SPDX-License-Identifier: ISC */
/*
 * elfguest_int.h: what the files of the ELF reader in common/elf/ share, and
 * nothing outside that folder includes: the image as it is read, the
 * declarations gathered from it, and what each file offers the others.
 * Every function here reads the image's untrusted bytes only after a
 * pv_inside() check on what it reads; the public entry point is
 * elf_guest_inspect() in elfguest.h. Internal names start "eg_" so that
 * they cannot be taken for libelf's "elf_" ones.
 */
#ifndef ELFGUEST_INT_H
#define ELFGUEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include <gelf.h>
#include <jansson.h>

#include "elfguest.h"

/* Everything the image is read through: the bytes and libelf's view. */
struct image {
	uint8_t *buf;
	uint64_t size;
	Elf *elf;
	GElf_Ehdr eh;
	int is64;
};

/* What the declarations say, gathered before anything is derived. */
struct decl {
	json_t *notes;		/* name -> decoded value (string) */
	json_t *warnings;
	unsigned nr_notes;	/* all notes seen, any owner */
	unsigned nr_xen;	/* notes named Xen, of any type */
	uint64_t phys32_size;	/* PHYS32_ENTRY's description, in bytes */
};

/* elfguest_headers.c: the ELF header, section headers, loadable segments. */

/*
 * Check the ELF header of the untrusted image in buf[0, size) (the class
 * against the machine, both header tables' entry sizes and extents) and
 * open it with libelf into `im`. Returns 0, or -1 with `e` filled and
 * nothing left to end.
 */
int eg_open(struct image *im, uint8_t *buf, uint64_t size, struct pv_err *e);

/*
 * The section-header string table, checked to lie in the image, and the
 * number of sections. Returns 0 or -1.
 */
int eg_shstrtab(struct image *im, GElf_Shdr *strsh, size_t *shnum,
    struct pv_err *e);

/* Section i's header and its name, checked to end inside the string table
 * `strsh` that eg_shstrtab() gave. Returns 0 or -1. */
int eg_section(struct image *im, const GElf_Shdr *strsh, size_t i,
    GElf_Shdr *sh, const char **name, struct pv_err *e);

/*
 * The loadable program headers, as the type of ei->abi (set before the
 * call) loads them (guest.h: load_flags, segment_paddr): the seed's
 * (PT_LOAD with W or X, placed at p_vaddr) for xen-1.3, Xen's (PT_LOAD with
 * any of R, W, X, placed at p_paddr + virt_offset) for xen-3.0, each
 * checked to lie in the image and below the ABI's va_limit (0 for none),
 * none overlapping. Fills ei's segments and the kernel's extent; returns 0
 * or -1.
 */
int eg_read_segments(struct image *im, uint64_t virt_offset,
    struct plan_elfinfo *ei, struct pv_err *e);

/* elfguest_notes.c: Xen ELF notes (<xen/elfnote.h>). */

/*
 * The Xen notes of PT_NOTE segments, else of SHT_NOTE sections (Xen's
 * order), decoded into `d`; `*by` says which ("notes", "note-sections"),
 * and stays NULL when there are none. Returns 0 or -1.
 */
int eg_find_notes(struct image *im, struct decl *d, const char **by,
    struct pv_err *e);

/* A note's decoded value, or NULL when the kernel does not give it. */
const char *eg_note_str(const struct decl *d, const char *name);
/* A numeric note's value into *v; 0 when absent or not a number. */
int eg_note_num(const struct decl *d, const char *name, uint64_t *v);

/* Add a warning to the plan: accepted, as Xen accepts it, but not well
 * formed. Returns 0. */
int eg_warn(struct decl *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* elfguest_legacy.c: the legacy __xen_guest string. */

/*
 * The __xen_guest string, checked to lie and end inside the image and to
 * read the same to pvbuild and to Xen, copied into *info (free it); NULL
 * in *info when there is no such section. Returns 0 or -1.
 */
int eg_find_guest_info(struct image *im, char **info, struct pv_err *e);

/*
 * The value of `key` in the string `info` (KEY=VALUE items separated by
 * commas), cut to fit `valsz` bytes, in `val`; NULL when the key is absent.
 */
const char *eg_guest_value(const char *info, const char *key, char *val,
    size_t valsz);

/* The string's keys as the notes they stand for, into `d`. Returns 0 or
 * -1. */
int eg_guest_info_notes(const char *info, struct decl *d, struct pv_err *e);

/* A printable excerpt of the untrusted text s[0, n) for a message. */
const char *eg_excerpt(const char *s, size_t n, char *buf, size_t bufsz);

/* elfguest_pvh.c: the image as a PVH guest (elf_guest_inspect_as). */

/*
 * With the notes found (`by` as eg_find_notes set it), check the image
 * as a PVH kernel and fill ei: the ABI, the entry (PHYS32_ENTRY), the
 * segments and the extent. Returns 0 or -1.
 */
int eg_inspect_pvh(struct image *im, struct decl *d, const char *by,
    struct plan_elfinfo *ei, struct pv_err *e);

#endif
