/* SPDX-License-Identifier: ISC */
/*
 * elfguest_notes.c: the Xen ELF notes (<xen/elfnote.h>) a xen-3.0 kernel
 * declares itself with, read as Xen 4.17's libelf reads them (its
 * elf_xen_parse_note): from PT_NOTE segments first, else from SHT_NOTE
 * sections, each note's header, name and numeric description checked to
 * lie inside its area before a byte of it is read.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gelf.h>

#include "elfguest_int.h"
#include "xenhdr.h"

/*
 * Notes read per image, all owners: a bound on the work, well above what
 * kernels carry (Linux has about 20). Xen 4.17 reads up to 65536.
 */
#define MAX_NOTES 2048
#define MAX_NOTE_STRING 1024

struct note_kind {
	const char *name;
	int is_string;
};

/* The notes a PV guest can carry (<xen/elfnote.h>), by type. */
static const struct note_kind note_kinds[] = {
	[XEN_ELFNOTE_ENTRY] = { "ENTRY", 0 },
	[XEN_ELFNOTE_HYPERCALL_PAGE] = { "HYPERCALL_PAGE", 0 },
	[XEN_ELFNOTE_VIRT_BASE] = { "VIRT_BASE", 0 },
	[XEN_ELFNOTE_PADDR_OFFSET] = { "PADDR_OFFSET", 0 },
	[XEN_ELFNOTE_XEN_VERSION] = { "XEN_VERSION", 1 },
	[XEN_ELFNOTE_GUEST_OS] = { "GUEST_OS", 1 },
	[XEN_ELFNOTE_GUEST_VERSION] = { "GUEST_VERSION", 1 },
	[XEN_ELFNOTE_LOADER] = { "LOADER", 1 },
	[XEN_ELFNOTE_PAE_MODE] = { "PAE_MODE", 1 },
	[XEN_ELFNOTE_FEATURES] = { "FEATURES", 1 },
	[XEN_ELFNOTE_BSD_SYMTAB] = { "BSD_SYMTAB", 1 },
	[XEN_ELFNOTE_HV_START_LOW] = { "HV_START_LOW", 0 },
	[XEN_ELFNOTE_L1_MFN_VALID] = { "L1_MFN_VALID", 0 },
	[XEN_ELFNOTE_SUSPEND_CANCEL] = { "SUSPEND_CANCEL", 0 },
	[XEN_ELFNOTE_INIT_P2M] = { "INIT_P2M", 0 },
	[XEN_ELFNOTE_MOD_START_PFN] = { "MOD_START_PFN", 0 },
	[XEN_ELFNOTE_SUPPORTED_FEATURES] = { "SUPPORTED_FEATURES", 0 },
	[XEN_ELFNOTE_PHYS32_ENTRY] = { "PHYS32_ENTRY", 0 },
};
#define NR_NOTE_KINDS (sizeof(note_kinds) / sizeof(note_kinds[0]))

/* Record a note's decoded value; the same note twice must agree. */
static int
record(struct decl *d, const char *name, const char *value, const char *where,
    struct pv_err *e)
{
	json_t *old = json_object_get(d->notes, name);

	if (old != NULL && strcmp(json_string_value(old), value) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "%s: note %s given twice with "
		    "different values ('%s', then '%s')", where, name,
		    json_string_value(old), value);
	json_object_set_new(d->notes, name, json_string(value));
	return 0;
}

int
eg_warn(struct decl *d, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(d->warnings, json_string(buf));
	return 0;
}

/*
 * The notes in image bytes [start, end) (an area inside the image): each
 * a 12-byte header (namesz, descsz, type), the name and the description,
 * each padded to 4 bytes. Headers and names must lie inside the area, and
 * a numeric description too. A string description that runs past the area
 * (or the file) but whose string ends inside the file is taken, as Xen
 * takes it, with a warning: Debian's grub-i386-xen.bin ends its notes so.
 */
static int
parse_notes(struct image *im, uint64_t start, uint64_t end, const char *what,
    struct decl *d, struct pv_err *e)
{
	uint64_t off = start, namesz, descsz, type, nameoff, descoff, next;
	const struct note_kind *k;
	char where[96], val[MAX_NOTE_STRING + 1];
	const uint8_t *desc;
	const char *s;
	size_t n;
	int xen;

	while (off < end) {
		snprintf(where, sizeof(where), "%s, note at offset 0x%llx",
		    what, (unsigned long long)off);
		if (++d->nr_notes > MAX_NOTES)
			return pv_fail(e, PV_EXIT_INPUT, "%s: more than %d notes",
			    what, MAX_NOTES);
		if (!pv_inside(off, 12, end))
			return pv_fail(e, PV_EXIT_INPUT, "%s: header runs past "
			    "the end of the notes at 0x%llx", where,
			    (unsigned long long)end);
		namesz = pv_get32(im->buf + off);
		descsz = pv_get32(im->buf + off + 4);
		type = pv_get32(im->buf + off + 8);
		nameoff = off + 12;
		if (!pv_inside(nameoff, namesz, end))
			return pv_fail(e, PV_EXIT_INPUT, "%s: name of %llu bytes "
			    "runs past the end of the notes at 0x%llx", where,
			    (unsigned long long)namesz,
			    (unsigned long long)end);
		descoff = nameoff + ((namesz + 3) & ~3ULL);
		next = descoff + ((descsz + 3) & ~3ULL);
		/*
		 * Xen takes the name up to its NUL, whatever namesz says:
		 * "Xen" then a NUL within the name's padded bytes is Xen's,
		 * and every note of Xen's counts, of a known type or not
		 * (a segment with one holds the declarations: no fallback).
		 */
		xen = descoff <= end && descoff - nameoff >= 4 &&
		    memcmp(im->buf + nameoff, "Xen", 4) == 0;
		if (xen && namesz != 4)
			eg_warn(d, "%s: namesz %llu for the name \"Xen\"; the "
			    "note is read as Xen's, as Xen does", where,
			    (unsigned long long)namesz);
		if (xen)
			d->nr_xen++;
		if (!xen || type >= NR_NOTE_KINDS ||
		    note_kinds[type].name == NULL) {
			if (xen)
				eg_warn(d, "%s: unknown Xen note type %llu "
				    "ignored", where, (unsigned long long)type);
			if (!pv_inside(descoff, descsz, end))
				return pv_fail(e, PV_EXIT_INPUT, "%s: "
				    "description of %llu bytes runs past the "
				    "end of the notes at 0x%llx", where,
				    (unsigned long long)descsz,
				    (unsigned long long)end);
			off = next;
			continue;
		}
		k = &note_kinds[type];
		snprintf(where, sizeof(where), "%s, note %s at offset 0x%llx",
		    what, k->name, (unsigned long long)off);
		if (k->is_string) {
			if (descoff >= im->size)
				return pv_fail(e, PV_EXIT_INPUT, "%s: description "
				    "starts past the end of the file", where);
			s = (const char *)im->buf + descoff;
			n = strnlen(s, im->size - descoff);
			if (n == im->size - descoff)
				return pv_fail(e, PV_EXIT_INPUT, "%s: string not "
				    "terminated inside the file", where);
			if (n > MAX_NOTE_STRING)
				return pv_fail(e, PV_EXIT_INPUT, "%s: string "
				    "longer than %d bytes", where,
				    MAX_NOTE_STRING);
			/*
			 * Xen reads the string up to its NUL wherever that
			 * lies in the image: Linux ends FEATURES in its
			 * padding, grub-i386-xen.bin's PAE_MODE claims more
			 * bytes than the file has. Both are taken; all but
			 * the padding case is said in the plan.
			 */
			if (!pv_inside(descoff, descsz, end)) {
				eg_warn(d, "%s: descsz %llu runs past the end "
				    "of the notes (0x%llx)%s; the string \"%s\" "
				    "inside the file is used, as Xen does",
				    where, (unsigned long long)descsz,
				    (unsigned long long)end,
				    descoff + descsz > im->size ?
				    " and of the file" : "",
				    eg_excerpt(s, n, val, sizeof(val)));
				next = end;	/* nothing after it can be read */
			} else if (n >= ((descsz + 3) & ~3ULL)) {
				eg_warn(d, "%s: the string runs past its "
				    "%llu-byte description; read up to its NUL, "
				    "as Xen does", where, (unsigned long long)descsz);
			}
			memcpy(val, s, n);
			val[n] = '\0';
			for (size_t i = 0; i < n; i++)
				if (!isprint((unsigned char)val[i]))
					return pv_fail(e, PV_EXIT_INPUT, "%s: "
					    "string holds a non-printable byte",
					    where);
		} else {
			if (!pv_inside(descoff, descsz, end))
				return pv_fail(e, PV_EXIT_INPUT, "%s: description "
				    "of %llu bytes runs past the end of the notes "
				    "at 0x%llx", where, (unsigned long long)descsz,
				    (unsigned long long)end);
			desc = im->buf + descoff;
			/* A PVH reading wants it 4 bytes (elfguest_pvh.c). */
			if (type == XEN_ELFNOTE_PHYS32_ENTRY)
				d->phys32_size = descsz;
			if (type == XEN_ELFNOTE_SUPPORTED_FEATURES) {
				/* Xen reads 0 from any other size. */
				if (descsz < 4 || descsz % 4 != 0)
					return pv_fail(e, PV_EXIT_INPUT, "%s: %llu "
					    "bytes is not a list of 32-bit "
					    "feature words", where,
					    (unsigned long long)descsz);
				snprintf(val, sizeof(val), "0x%x",
				    (unsigned)pv_get32(desc));
			} else if (type == XEN_ELFNOTE_L1_MFN_VALID) {
				/* Pairs of (mask, value), each a word. */
				unsigned w = im->is64 ? 8 : 4;
				size_t j, o = 0;

				if (descsz == 0 || descsz % w != 0 ||
				    descsz > 16 * w)
					return pv_fail(e, PV_EXIT_INPUT, "%s: %llu "
					    "bytes is not a list of %u-byte "
					    "words", where,
					    (unsigned long long)descsz, w);
				for (j = 0; j < descsz / w; j++)
					o += (size_t)snprintf(val + o,
					    sizeof(val) - o, "%s0x%llx",
					    j ? "," : "", (unsigned long long)
					    pv_get_le(desc + j * w, w));
			} else {
				if (descsz != 1 && descsz != 2 && descsz != 4 &&
				    descsz != 8)
					return pv_fail(e, PV_EXIT_INPUT, "%s: %llu "
					    "bytes is not a 1, 2, 4 or 8-byte "
					    "number", where,
					    (unsigned long long)descsz);
				if (descsz < 4 && (type == XEN_ELFNOTE_ENTRY ||
				    type == XEN_ELFNOTE_VIRT_BASE ||
				    type == XEN_ELFNOTE_PADDR_OFFSET ||
				    type == XEN_ELFNOTE_HYPERCALL_PAGE ||
				    type == XEN_ELFNOTE_HV_START_LOW ||
				    type == XEN_ELFNOTE_INIT_P2M ||
				    type == XEN_ELFNOTE_PHYS32_ENTRY))
					return pv_fail(e, PV_EXIT_INPUT, "%s: %llu "
					    "bytes is too short for an address",
					    where, (unsigned long long)descsz);
				snprintf(val, sizeof(val), "0x%llx",
				    (unsigned long long)pv_get_le(desc,
				    (unsigned)descsz));
			}
		}
		if (record(d, k->name, val, where, e) < 0)
			return -1;
		if (next <= off)	/* cannot happen; loops must advance */
			return pv_fail(e, PV_EXIT_INPUT, "%s: does not advance",
			    where);
		off = next;
	}
	return 0;
}

/* Notes from PT_NOTE segments, else from SHT_NOTE sections (Xen's order). */
int
eg_find_notes(struct image *im, struct decl *d, const char **by,
    struct pv_err *e)
{
	GElf_Shdr sh, strsh;
	GElf_Phdr ph;
	const char *name;
	size_t i, shnum;
	uint64_t end;
	char what[64];

	for (i = 0; i < im->eh.e_phnum; i++) {
		if (gelf_getphdr(im->elf, (int)i, &ph) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "program header %zu: %s",
			    i, elf_errmsg(-1));
		/* Xen skips note segments at offset 0 (old binutils). */
		if (ph.p_type != PT_NOTE || ph.p_offset == 0)
			continue;
		if (ph.p_offset >= im->size)
			return pv_fail(e, PV_EXIT_INPUT, "program header %zu: "
			    "note segment starts past the end of the file", i);
		end = pv_inside(ph.p_offset, ph.p_filesz, im->size) ?
		    ph.p_offset + ph.p_filesz : im->size;
		snprintf(what, sizeof(what), "note segment %zu", i);
		if (end != ph.p_offset + ph.p_filesz)
			eg_warn(d, "%s: runs past the end of the file; read "
			    "up to it", what);
		if (parse_notes(im, ph.p_offset, end, what, d, e) < 0)
			return -1;
	}
	if (d->nr_xen > 0) {
		*by = "notes";
		return 0;
	}
	if (im->eh.e_shnum == 0 || eg_shstrtab(im, &strsh, &shnum, e) < 0)
		return im->eh.e_shnum == 0 ? 0 : -1;
	for (i = 1; i < shnum; i++) {
		if (eg_section(im, &strsh, i, &sh, &name, e) < 0)
			return -1;
		if (sh.sh_type != SHT_NOTE)
			continue;
		if (!pv_inside(sh.sh_offset, sh.sh_size, im->size))
			return pv_fail(e, PV_EXIT_INPUT, "section %zu (%s): "
			    "notes outside the file", i, name);
		snprintf(what, sizeof(what), "note section %zu", i);
		if (parse_notes(im, sh.sh_offset, sh.sh_offset + sh.sh_size,
		    what, d, e) < 0)
			return -1;
	}
	if (d->nr_xen > 0)
		*by = "note-sections";
	return 0;
}

const char *
eg_note_str(const struct decl *d, const char *name)
{
	json_t *v = json_object_get(d->notes, name);

	return v != NULL ? json_string_value(v) : NULL;
}

int
eg_note_num(const struct decl *d, const char *name, uint64_t *v)
{
	const char *s = eg_note_str(d, name);

	return s != NULL && pv_parse_u64(s, v) == 0;
}
