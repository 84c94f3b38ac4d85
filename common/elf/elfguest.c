/*
 * elfguest.c: reading a guest kernel's ELF image and what it declares.
 *
 * Two families of guest:
 *  - xen-1.3, the seed's: ELF32 i386 with a __xen_guest string holding
 *    GUEST_OS=linux and XEN_VER=1.3; the checks of the seed's
 *    readelfimage_base_and_size(), made safe;
 *  - xen-3.0 (x86_32p, x86_64): ELF32 or ELF64 declaring itself with Xen
 *    ELF notes (<xen/elfnote.h>) or a legacy __xen_guest string, read as
 *    Xen 4.17's libelf reads them (libelf-dominfo.c): notes from PT_NOTE
 *    segments first, then SHT_NOTE sections, then the string.
 *
 * libelf reads the headers; before each call that trusts a header field,
 * the field is range-checked here with pv_inside(), so a hostile image gets
 * a message saying which field is wrong rather than libelf's generic one.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <gelf.h>
#include <libelf.h>

#include "elfguest.h"
#include "xenhdr.h"

#define MAX_GUEST_INFO 1024
/*
 * Notes read per image, all owners: a bound on the work, well above what
 * kernels carry (Linux has about 20). Xen 4.17 reads up to 65536.
 */
#define MAX_NOTES 2048
#define MAX_NOTE_STRING 1024
/*
 * The longest __xen_guest key and value Xen reads whole: its parser copies
 * them into 32- and 128-byte buffers, stops one byte short of the end and
 * reads what follows as the next item, so a 31-byte key loses its value
 * (libelf-dominfo.c, elf_xen_parse_guest_info).
 */
#define MAX_GUEST_KEY 30
#define MAX_GUEST_VALUE 127

/* Everything the image is read through: the bytes and libelf's view. */
struct image {
	uint8_t *buf;
	uint64_t size;
	Elf *elf;
	GElf_Ehdr eh;
	int is64;
};

/* A printable excerpt of untrusted text for a message. */
static const char *
excerpt(const char *s, size_t n, char *buf, size_t bufsz)
{
	size_t i, j = 0;

	for (i = 0; i < n && s[i] != '\0' && j + 5 < bufsz; i++)
		if (isprint((unsigned char)s[i]))
			buf[j++] = s[i];
		else
			j += (size_t)snprintf(buf + j, bufsz - j, "\\x%02x",
			    (unsigned char)s[i]);
	if (i < n && s[i] != '\0' && j + 4 < bufsz)
		j += (size_t)snprintf(buf + j, bufsz - j, "...");
	buf[j] = '\0';
	return buf;
}

/*
 * The __xen_guest string is a comma-separated list of KEY=VALUE. The seed
 * looked for substrings; here each key is matched whole, so that
 * "XEN_VER=1.30" is not taken for 1.3. Returns NULL when the key is absent.
 */
static const char *
guest_value(const char *info, const char *key, char *val, size_t valsz)
{
	size_t klen = strlen(key), n;
	const char *p = info, *end;

	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) >= klen && strncmp(p, key, klen) == 0 &&
		    (p[klen] == '=' || p + klen == end)) {
			n = p + klen == end ? 0 : (size_t)(end - p) - klen - 1;
			if (n >= valsz)
				n = valsz - 1;
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return val;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return NULL;
}

/* Section headers: the string table and a lookup by name. */

static int
shstrtab(struct image *im, GElf_Shdr *strsh, size_t *shnum, struct pv_err *e)
{
	size_t shstrndx;
	Elf_Scn *scn;

	if (elf_getshdrnum(im->elf, shnum) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "section headers: %s",
		    elf_errmsg(-1));
	if (elf_getshdrstrndx(im->elf, &shstrndx) != 0 || shstrndx == SHN_UNDEF)
		return pv_fail(e, PV_EXIT_INPUT, "no section-header string "
		    "table (e_shstrndx is SHN_UNDEF)");
	if (shstrndx >= *shnum)
		return pv_fail(e, PV_EXIT_INPUT, "e_shstrndx %zu is not one of "
		    "the %zu sections", shstrndx, *shnum);
	if ((scn = elf_getscn(im->elf, shstrndx)) == NULL ||
	    gelf_getshdr(scn, strsh) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "section %zu (shstrtab): %s",
		    shstrndx, elf_errmsg(-1));
	if (strsh->sh_type == SHT_NOBITS ||
	    !pv_inside(strsh->sh_offset, strsh->sh_size, im->size))
		return pv_fail(e, PV_EXIT_INPUT, "section %zu (shstrtab): bytes "
		    "[0x%llx, +0x%llx) outside the image of %llu bytes",
		    shstrndx, (unsigned long long)strsh->sh_offset,
		    (unsigned long long)strsh->sh_size,
		    (unsigned long long)im->size);
	return 0;
}

/* Section i's header and name, the name checked to lie in shstrtab. */
static int
section(struct image *im, const GElf_Shdr *strsh, size_t i, GElf_Shdr *sh,
    const char **name, struct pv_err *e)
{
	Elf_Scn *scn;

	if ((scn = elf_getscn(im->elf, i)) == NULL ||
	    gelf_getshdr(scn, sh) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "section %zu: %s", i,
		    elf_errmsg(-1));
	if (sh->sh_name >= strsh->sh_size ||
	    memchr(im->buf + strsh->sh_offset + sh->sh_name, '\0',
	    strsh->sh_size - sh->sh_name) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "section %zu: name offset %u "
		    "is outside the section-header string table (%llu bytes)",
		    i, (unsigned)sh->sh_name, (unsigned long long)strsh->sh_size);
	*name = (const char *)im->buf + strsh->sh_offset + sh->sh_name;
	return 0;
}

/*
 * A __xen_guest string read the same way by pvbuild and by Xen, or refused:
 * printable ASCII (it goes into the plan and messages), every key and value
 * short enough for Xen to read whole (a longer one Xen splits, reading its
 * tail as another key), and no key given twice with different values (Xen
 * takes the last, guest_value the first).
 */
static int
check_guest_info(const char *gi, size_t sec, struct pv_err *e)
{
	const char *p, *item, *eq, *end, *q, *qeq, *qend;
	size_t klen, vlen, i;

	for (i = 0; gi[i] != '\0'; i++)
		if (!isprint((unsigned char)gi[i]))
			return pv_fail(e, PV_EXIT_INPUT, "section %zu "
			    "(__xen_guest): byte 0x%02x at offset %zu is not "
			    "printable ASCII", sec, (unsigned char)gi[i], i);
	for (item = gi; *item != '\0'; item = *end == ',' ? end + 1 : end) {
		end = item + strcspn(item, ",");
		eq = memchr(item, '=', (size_t)(end - item));
		klen = (size_t)((eq != NULL ? eq : end) - item);
		vlen = eq != NULL ? (size_t)(end - eq - 1) : 0;
		if (klen > MAX_GUEST_KEY || vlen > MAX_GUEST_VALUE)
			return pv_fail(e, PV_EXIT_INPUT, "section %zu "
			    "(__xen_guest): item at offset %zu has a key of "
			    "%zu or a value of %zu bytes (Xen reads at most "
			    "%d and %d, and the rest as another item)", sec,
			    (size_t)(item - gi), klen, vlen, MAX_GUEST_KEY,
			    MAX_GUEST_VALUE);
		/* The same key earlier: its value must be this one. */
		for (p = gi; p < item; p = *qend == ',' ? qend + 1 : qend) {
			qend = p + strcspn(p, ",");
			qeq = memchr(p, '=', (size_t)(qend - p));
			q = qeq != NULL ? qeq : qend;
			if ((size_t)(q - p) != klen ||
			    memcmp(p, item, klen) != 0)
				continue;
			if ((size_t)(qend - q) != (size_t)(end - item) - klen ||
			    memcmp(q, item + klen, (size_t)(qend - q)) != 0)
				return pv_fail(e, PV_EXIT_INPUT, "section %zu "
				    "(__xen_guest): key %.*s appears twice "
				    "with different values (Xen takes the "
				    "last)", sec, (int)klen, item);
		}
	}
	return 0;
}

/*
 * The __xen_guest string, checked to lie and end inside the image; NULL in
 * *info when there is no such section.
 */
static int
find_guest_info(struct image *im, char **info, struct pv_err *e)
{
	GElf_Shdr sh, strsh;
	size_t shnum, i;
	const char *name, *gi;

	*info = NULL;
	if (shstrtab(im, &strsh, &shnum, e) < 0)
		return -1;
	for (i = 0; i < shnum; i++) {
		if (section(im, &strsh, i, &sh, &name, e) < 0)
			return -1;
		if (strcmp(name, "__xen_guest") != 0)
			continue;
		if (sh.sh_type == SHT_NOBITS ||
		    !pv_inside(sh.sh_offset, sh.sh_size, im->size))
			return pv_fail(e, PV_EXIT_INPUT, "section %zu "
			    "(__xen_guest): bytes [0x%llx, +0x%llx) outside "
			    "the image of %llu bytes", i,
			    (unsigned long long)sh.sh_offset,
			    (unsigned long long)sh.sh_size,
			    (unsigned long long)im->size);
		gi = (const char *)im->buf + sh.sh_offset;
		if (memchr(gi, '\0', sh.sh_size) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "section %zu "
			    "(__xen_guest): string not terminated inside its "
			    "%llu bytes", i, (unsigned long long)sh.sh_size);
		if (strlen(gi) > MAX_GUEST_INFO)
			return pv_fail(e, PV_EXIT_INPUT, "section %zu "
			    "(__xen_guest): string longer than %d bytes", i,
			    MAX_GUEST_INFO);
		if (check_guest_info(gi, i, e) < 0)
			return -1;
		if ((*info = strdup(gi)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		return 0;
	}
	return 0;
}

/* Xen ELF notes. */

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

/* What the declarations say, gathered before anything is derived. */
struct decl {
	json_t *notes;		/* name -> decoded value (string) */
	json_t *warnings;
	unsigned nr_notes;	/* all notes seen, any owner */
	unsigned nr_xen;	/* notes named Xen, of any type */
};

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

static int
warn(struct decl *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
warn(struct decl *d, const char *fmt, ...)
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
			warn(d, "%s: namesz %llu for the name \"Xen\"; the note "
			    "is read as Xen's, as Xen does", where,
			    (unsigned long long)namesz);
		if (xen)
			d->nr_xen++;
		if (!xen || type >= NR_NOTE_KINDS ||
		    note_kinds[type].name == NULL) {
			if (xen)
				warn(d, "%s: unknown Xen note type %llu ignored",
				    where, (unsigned long long)type);
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
				warn(d, "%s: descsz %llu runs past the end of "
				    "the notes (0x%llx)%s; the string \"%s\" "
				    "inside the file is used, as Xen does",
				    where, (unsigned long long)descsz,
				    (unsigned long long)end,
				    descoff + descsz > im->size ?
				    " and of the file" : "",
				    excerpt(s, n, val, sizeof(val)));
				next = end;	/* nothing after it can be read */
			} else if (n >= ((descsz + 3) & ~3ULL)) {
				warn(d, "%s: the string runs past its %llu-byte "
				    "description; read up to its NUL, as Xen "
				    "does", where, (unsigned long long)descsz);
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
static int
find_notes(struct image *im, struct decl *d, const char **by,
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
			warn(d, "%s: runs past the end of the file; read up to "
			    "it", what);
		if (parse_notes(im, ph.p_offset, end, what, d, e) < 0)
			return -1;
	}
	if (d->nr_xen > 0) {
		*by = "notes";
		return 0;
	}
	if (im->eh.e_shnum == 0 || shstrtab(im, &strsh, &shnum, e) < 0)
		return im->eh.e_shnum == 0 ? 0 : -1;
	for (i = 1; i < shnum; i++) {
		if (section(im, &strsh, i, &sh, &name, e) < 0)
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

static const char *note_str(const struct decl *, const char *);
static int note_num(const struct decl *, const char *, uint64_t *);

/*
 * The legacy string's keys as note names, values as Xen reads them
 * (libelf-dominfo.c, elf_xen_parse_guest_info): numbers by strtoull with
 * base 0, HYPERCALL_PAGE a page number relative to VIRT_BASE.
 */
static int
guest_info_notes(const char *info, struct decl *d, struct pv_err *e)
{
	static const struct { const char *key, *note; int num; } keys[] = {
		{ "LOADER", "LOADER", 0 }, { "GUEST_OS", "GUEST_OS", 0 },
		{ "GUEST_VER", "GUEST_VERSION", 0 },
		{ "XEN_VER", "XEN_VERSION", 0 }, { "PAE", "PAE_MODE", 0 },
		{ "BSD_SYMTAB", "BSD_SYMTAB", 0 }, { "FEATURES", "FEATURES", 0 },
		{ "VIRT_BASE", "VIRT_BASE", 1 }, { "VIRT_ENTRY", "ENTRY", 1 },
		{ "ELF_PADDR_OFFSET", "PADDR_OFFSET", 1 },
		{ "HYPERCALL_PAGE", "HYPERCALL_PAGE", 2 },
	};
	char val[128], num[24];
	uint64_t v, base;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (guest_value(info, keys[i].key, val, sizeof(val)) == NULL)
			continue;
		if (keys[i].num) {
			/* Xen's strtoull(, 0) reads a leading 0 as octal. */
			if (val[0] == '0' && isdigit((unsigned char)val[1]))
				return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: "
				    "%s=%s has a leading zero (octal to Xen, "
				    "decimal to the eye)", keys[i].key, val);
			if (pv_parse_u64(val, &v) < 0)
				return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: "
				    "%s=%s is not a number", keys[i].key, val);
			if (keys[i].num == 2 && v > (UINT64_MAX >> 12))
				return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: "
				    "HYPERCALL_PAGE=%s overflows", val);
			snprintf(num, sizeof(num), "0x%llx", (unsigned long long)
			    (keys[i].num == 2 ? v << 12 : v));
			json_object_set_new(d->notes, keys[i].note,
			    json_string(num));
		} else {
			json_object_set_new(d->notes, keys[i].note,
			    json_string(keys[i].num == 0 &&
			    strcmp(keys[i].key, "BSD_SYMTAB") == 0 ? "yes" :
			    val));
		}
	}
	/* The legacy hypercall page counts from VIRT_BASE when it is set. */
	if (note_num(d, "HYPERCALL_PAGE", &v) && note_num(d, "VIRT_BASE", &base)) {
		if (pv_add(v, base, &v) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: "
			    "HYPERCALL_PAGE + VIRT_BASE overflows");
		snprintf(num, sizeof(num), "0x%llx", (unsigned long long)v);
		json_object_set_new(d->notes, "HYPERCALL_PAGE", json_string(num));
	}
	return 0;
}

/* Features (<xen/features.h>), as Xen's elf_xen_parse_features names them. */
static const char *const feature_names[] = {
	[XENFEAT_writable_page_tables] = "writable_page_tables",
	[XENFEAT_writable_descriptor_tables] = "writable_descriptor_tables",
	[XENFEAT_auto_translated_physmap] = "auto_translated_physmap",
	[XENFEAT_supervisor_mode_kernel] = "supervisor_mode_kernel",
	[XENFEAT_pae_pgdir_above_4gb] = "pae_pgdir_above_4gb",
	[XENFEAT_hvm_callback_vector] = "hvm_callback_vector",
	[XENFEAT_dom0] = "dom0",
};
#define NR_FEATURE_NAMES (sizeof(feature_names) / sizeof(feature_names[0]))

/*
 * Features a PV domU built here cannot have: Xen's builder refuses
 * auto_translated_physmap for PV and dom0 for an unprivileged domain;
 * the other two are for HVM or were removed from Xen.
 */
#define PV_IMPOSSIBLE ((1u << XENFEAT_auto_translated_physmap) | \
    (1u << XENFEAT_supervisor_mode_kernel) | \
    (1u << XENFEAT_hvm_callback_vector) | (1u << XENFEAT_dom0))

static int
parse_features(const char *s, uint32_t *supported, uint32_t *required,
    struct pv_err *e)
{
	char name[64];
	size_t len, i;
	int req;

	while (*s != '\0') {
		len = strcspn(s, "|");
		req = s[0] == '!';
		if (len - (size_t)req >= sizeof(name))
			return pv_fail(e, PV_EXIT_INPUT, "FEATURES: a name longer "
			    "than %zu bytes", sizeof(name) - 1);
		memcpy(name, s + req, len - (size_t)req);
		name[len - (size_t)req] = '\0';
		for (i = 0; i < NR_FEATURE_NAMES; i++)
			if (feature_names[i] != NULL &&
			    strcmp(name, feature_names[i]) == 0)
				break;
		if (i == NR_FEATURE_NAMES && req)
			return pv_fail(e, PV_EXIT_INPUT, "FEATURES: the kernel "
			    "requires '%s', a feature Xen does not know", name);
		if (i < NR_FEATURE_NAMES) {
			*supported |= 1u << i;
			if (req)
				*required |= 1u << i;
		}
		s += len;
		if (*s == '|')
			s++;
	}
	return 0;
}

static const char *
note_str(const struct decl *d, const char *name)
{
	json_t *v = json_object_get(d->notes, name);

	return v != NULL ? json_string_value(v) : NULL;
}

static int
note_num(const struct decl *d, const char *name, uint64_t *v)
{
	const char *s = note_str(d, name);

	return s != NULL && pv_parse_u64(s, v) == 0;
}

/* Loadable segments and the kernel's extent. */

static void
flag_letters(GElf_Word f, char out[4])
{
	char *p = out;

	if (f & PF_R)
		*p++ = 'r';
	if (f & PF_W)
		*p++ = 'w';
	if (f & PF_X)
		*p++ = 'x';
	*p = '\0';
}

static int
cmp_seg(const void *a, const void *b)
{
	const struct plan_segment *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/*
 * The loadable program headers: the seed's (PT_LOAD with W or X, placed at
 * p_vaddr) for xen-1.3, Xen's (PT_LOAD with any of R, W, X, placed at
 * p_paddr + virt_offset) for xen-3.0. Fills the segments and the extent.
 */
static int
read_segments(struct image *im, int xen3, uint64_t virt_offset,
    uint64_t va_limit, struct plan_elfinfo *ei, struct pv_err *e)
{
	GElf_Word want = xen3 ? PF_R | PF_W | PF_X : PF_W | PF_X;
	struct plan_segment *segs, *sorted;
	uint64_t start = UINT64_MAX, end = 0, va, top;
	size_t i, n = 0;
	GElf_Phdr ph;

	if ((segs = calloc(im->eh.e_phnum + 1u, sizeof(*segs))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	for (i = 0; i < im->eh.e_phnum; i++) {
		if (gelf_getphdr(im->elf, (int)i, &ph) == NULL) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: %s", i,
			    elf_errmsg(-1));
			goto fail;
		}
		if (ph.p_type != PT_LOAD || (ph.p_flags & want) == 0)
			continue;
		if (!pv_inside(ph.p_offset, ph.p_filesz, im->size)) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: file "
			    "range [0x%llx, +0x%llx) runs past the end of the "
			    "image (%llu bytes)", i,
			    (unsigned long long)ph.p_offset,
			    (unsigned long long)ph.p_filesz,
			    (unsigned long long)im->size);
			goto fail;
		}
		if (ph.p_filesz > ph.p_memsz) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: filesz "
			    "0x%llx is larger than memsz 0x%llx", i,
			    (unsigned long long)ph.p_filesz,
			    (unsigned long long)ph.p_memsz);
			goto fail;
		}
		va = xen3 ? ph.p_paddr + virt_offset : ph.p_vaddr;
		if (pv_add(va, ph.p_memsz, &top) < 0 ||
		    (va_limit != 0 && top > va_limit) ||
		    (xen3 && pv_add(ph.p_paddr, ph.p_memsz, &top) < 0)) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: address "
			    "0x%llx + memsz 0x%llx wraps past the end of the "
			    "address space", i, (unsigned long long)va,
			    (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (ph.p_memsz == 0) {
			/* Loads nothing; Xen still counts it in the extent. */
			if (xen3) {
				start = va < start ? va : start;
				end = va > end ? va : end;
			}
			continue;
		}
		segs[n].vaddr = va;
		segs[n].paddr = ph.p_paddr;
		segs[n].offset = ph.p_offset;
		segs[n].filesz = ph.p_filesz;
		segs[n].memsz = ph.p_memsz;
		flag_letters(ph.p_flags, segs[n].flags);
		if (va < start)
			start = va;
		if (va + ph.p_memsz > end)
			end = va + ph.p_memsz;
		n++;
	}
	if (n == 0) {
		pv_fail(e, PV_EXIT_INPUT, "no loadable segments (PT_LOAD with "
		    "%s)", xen3 ? "R, W or X" : "W or X");
		goto fail;
	}
	if ((sorted = malloc(n * sizeof(*sorted))) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		goto fail;
	}
	memcpy(sorted, segs, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_seg);
	for (i = 1; i < n; i++)
		if (sorted[i].vaddr < sorted[i - 1].vaddr + sorted[i - 1].memsz) {
			pv_fail(e, PV_EXIT_INPUT, "loadable segments overlap: "
			    "[0x%llx, 0x%llx) and [0x%llx, 0x%llx)",
			    (unsigned long long)sorted[i - 1].vaddr,
			    (unsigned long long)(sorted[i - 1].vaddr +
			    sorted[i - 1].memsz),
			    (unsigned long long)sorted[i].vaddr,
			    (unsigned long long)(sorted[i].vaddr +
			    sorted[i].memsz));
			free(sorted);
			goto fail;
		}
	free(sorted);
	ei->segments = segs;
	ei->nr_segments = n;
	ei->kernel_start = start;
	ei->kernel_end = end;
	return 0;
fail:
	free(segs);
	return -1;
}

static int
check_entry(uint64_t entry, const struct plan_elfinfo *ei, struct pv_err *e)
{
	if (entry < ei->kernel_start || entry >= ei->kernel_end)
		return pv_fail(e, PV_EXIT_INPUT, "entry point 0x%llx is outside "
		    "the kernel [0x%llx, 0x%llx)", (unsigned long long)entry,
		    (unsigned long long)ei->kernel_start,
		    (unsigned long long)ei->kernel_end);
	return 0;
}

/* The seed's guests. */
static int
inspect_xen13(struct image *im, struct plan_elfinfo *ei, struct pv_err *e)
{
	char val[64], ex[160];

	if (guest_value(ei->guest_info, "GUEST_OS", val, sizeof(val)) == NULL ||
	    strcmp(val, "linux") != 0)
		return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: GUEST_OS is not "
		    "linux (saw '%s')", excerpt(ei->guest_info,
		    strlen(ei->guest_info), ex, sizeof(ex)));
	if (im->is64 || im->eh.e_machine != EM_386)
		return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: XEN_VER=1.3 "
		    "kernels are ELF32 i386");
	ei->abi = &abi_table[ABI_XEN13];
	if (read_segments(im, 0, 0, 1ULL << 32, ei, e) < 0)
		return -1;
	ei->entry = im->eh.e_entry;
	return check_entry(ei->entry, ei, e);
}

/* Xen 4.17's checks and derivations (elf_xen_note_check,
 * elf_xen_addr_calc_check, xc_dom_guest_type). */
static int
inspect_xen3(struct image *im, struct decl *d, struct plan_elfinfo *ei,
    struct pv_err *e)
{
	struct plan_xen3 *x = &ei->x3;
	const char *loader = note_str(d, "LOADER"), *os = note_str(d, "GUEST_OS");
	const char *ver = note_str(d, "XEN_VERSION"), *s;
	uint64_t v, virt_offset, pstart;
	int has_base, has_off;
	size_t i;

	if ((loader == NULL || strncmp(loader, "generic", 7) != 0) &&
	    (os == NULL || strncmp(os, "linux", 5) != 0))
		return pv_fail(e, PV_EXIT_INPUT, "will only load images built "
		    "for the generic loader or Linux (LOADER '%s', GUEST_OS "
		    "'%s')", loader ? loader : "", os ? os : "");
	if (ver == NULL || strncmp(ver, "xen-3.0", 7) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "XEN_VERSION '%s' is not "
		    "xen-3.0 (Xen only loads images built for xen-3.0)",
		    ver ? ver : "");
	if ((s = note_str(d, "BSD_SYMTAB")) != NULL && strcmp(s, "yes") == 0)
		return pv_fail(e, PV_EXIT_INPUT, "BSD_SYMTAB: loading the "
		    "symbol table is not supported");
	if ((s = note_str(d, "FEATURES")) != NULL &&
	    parse_features(s, &x->features_supported, &x->features_required,
	    e) < 0)
		return -1;
	if (note_num(d, "SUPPORTED_FEATURES", &v))
		x->features_supported |= (uint32_t)v;
	for (i = 0; i < NR_FEATURE_NAMES; i++)
		if ((x->features_required & PV_IMPOSSIBLE & (1u << i)) != 0)
			return pv_fail(e, PV_EXIT_INPUT, "the kernel requires "
			    "feature '%s', which a PV domU cannot have",
			    feature_names[i]);

	/* The ABI, from the machine and the PAE declaration. */
	if (im->eh.e_machine == EM_X86_64) {
		ei->abi = &abi_table[ABI_X86_64];
	} else {
		/*
		 * Xen's readings differ: the note means PAE when it is "yes"
		 * or holds "bimodal", the legacy PAE= when it starts "yes".
		 */
		s = note_str(d, "PAE_MODE");
		if (s == NULL || (strcmp(x->declared_by, "guest_info") == 0 ?
		    strncmp(s, "yes", 3) != 0 :
		    strcmp(s, "yes") != 0 && strstr(s, "bimodal") == NULL))
			return pv_fail(e, PV_EXIT_INPUT, "PAE_MODE '%s': a "
			    "non-PAE xen-3.0 x86_32 kernel; Xen builds 32-bit "
			    "PV guests with PAE paging only", s ? s : "");
		ei->abi = &abi_table[ABI_X86_32P];
	}
	if ((s = note_str(d, "PAE_MODE")) != NULL &&
	    (x->pae_mode = strdup(s)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");

	/* Addresses (elf_xen_addr_calc_check). */
	has_base = note_num(d, "VIRT_BASE", &x->virt_base);
	has_off = note_num(d, "PADDR_OFFSET", &x->paddr_offset);
	if (has_off && !has_base)
		return pv_fail(e, PV_EXIT_INPUT, "PADDR_OFFSET set, VIRT_BASE "
		    "unset");
	if (!has_base)
		x->virt_base = 0;
	/* Legacy strings default the offset to VIRT_BASE, notes to 0. */
	if (!has_off)
		x->paddr_offset = strcmp(x->declared_by, "guest_info") == 0 ?
		    x->virt_base : 0;
	virt_offset = x->virt_base - x->paddr_offset;
	if (read_segments(im, 1, virt_offset, ei->abi->va_limit, ei, e) < 0)
		return -1;
	pstart = ei->segments[0].paddr;
	for (i = 1; i < ei->nr_segments; i++)
		if (ei->segments[i].paddr < pstart)
			pstart = ei->segments[i].paddr;
	(void)pstart;
	if (!note_num(d, "ENTRY", &ei->entry))
		ei->entry = im->eh.e_entry;
	if (x->virt_base > ei->kernel_start)
		return pv_fail(e, PV_EXIT_INPUT, "VIRT_BASE 0x%llx is above the "
		    "kernel's start 0x%llx", (unsigned long long)x->virt_base,
		    (unsigned long long)ei->kernel_start);
	if ((ei->kernel_start & (PV_PAGE_SIZE - 1)) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "the kernel's start 0x%llx is "
		    "not page aligned", (unsigned long long)ei->kernel_start);
	if (check_entry(ei->entry, ei, e) < 0)
		return -1;
	if (note_num(d, "HYPERCALL_PAGE", &x->hypercall_page)) {
		x->has_hypercall_page = 1;
		if (x->hypercall_page < ei->kernel_start ||
		    x->hypercall_page >= ei->kernel_end ||
		    (x->hypercall_page & (PV_PAGE_SIZE - 1)) != 0)
			return pv_fail(e, PV_EXIT_INPUT, "HYPERCALL_PAGE 0x%llx "
			    "is not a page of the kernel [0x%llx, 0x%llx)",
			    (unsigned long long)x->hypercall_page,
			    (unsigned long long)ei->kernel_start,
			    (unsigned long long)ei->kernel_end);
	}
	x->has_hv_start_low = note_num(d, "HV_START_LOW", &x->hv_start_low);
	if (note_num(d, "MOD_START_PFN", &v))
		x->mod_start_pfn = v != 0;
	if (note_num(d, "INIT_P2M", &v)) {
		if (v >= ei->kernel_start && v < ei->kernel_end)
			return pv_fail(e, PV_EXIT_INPUT, "INIT_P2M 0x%llx lies "
			    "inside the kernel", (unsigned long long)v);
		/* Where Xen ignores the request, say so. */
		if (ei->abi->id != ABI_X86_64)
			warn(d, "INIT_P2M ignored: only x86_64 guests get a "
			    "p2m list mapped apart");
		else if (v >= x->virt_base || (v & (PV_PAGE_SIZE - 1)) != 0)
			warn(d, "INIT_P2M 0x%llx ignored: not a page below "
			    "VIRT_BASE", (unsigned long long)v);
		else {
			x->has_init_p2m = 1;
			x->init_p2m = v;
		}
	}
	return 0;
}

/*
 * A table of program or section headers ("ph" or "sh") must hold
 * entries of its class's size and lie inside the image before libelf is
 * trusted to read it: libelf's own refusal would not say which field is
 * wrong.
 */
static int
header_table(const struct image *im, const char *abbr, const char *kind,
    uint64_t off, unsigned num, unsigned entsize, size_t want,
    struct pv_err *e)
{
	uint64_t len;

	if (num > 0 && entsize != want)
		return pv_fail(e, PV_EXIT_INPUT, "e_%sentsize %u is not %zu",
		    abbr, entsize, want);
	len = (uint64_t)num * entsize;
	if (!pv_inside(off, len, im->size))
		return pv_fail(e, PV_EXIT_INPUT, "%s headers [0x%llx, +0x%llx) "
		    "extend beyond the end of the image (%llu bytes)", kind,
		    (unsigned long long)off, (unsigned long long)len,
		    (unsigned long long)im->size);
	return 0;
}

int
elf_guest_inspect(uint8_t *buf, uint64_t size, struct plan_elfinfo *ei,
    struct pv_err *e)
{
	struct image im = { .buf = buf, .size = size };
	struct decl d = { 0 };
	const char *by = NULL;
	char val[64];
	int rc = -1;

	if (size < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "not an ELF image (no ELF "
		    "magic)");
	if (size <= EI_DATA || (buf[EI_CLASS] != ELFCLASS32 &&
	    buf[EI_CLASS] != ELFCLASS64) || buf[EI_DATA] != ELFDATA2LSB)
		return pv_fail(e, PV_EXIT_INPUT, "not a little-endian ELF32 or "
		    "ELF64 image");
	im.is64 = buf[EI_CLASS] == ELFCLASS64;
	if (size < (im.is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return pv_fail(e, PV_EXIT_INPUT, "truncated: %llu bytes cannot "
		    "hold an ELF header", (unsigned long long)size);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return pv_fail(e, PV_EXIT_SYSTEM, "libelf: %s", elf_errmsg(-1));
	if ((im.elf = elf_memory((char *)buf, (size_t)size)) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "libelf: %s", elf_errmsg(-1));
	d.notes = json_object();
	d.warnings = json_array();
	if (gelf_getehdr(im.elf, &im.eh) == NULL) {
		pv_fail(e, PV_EXIT_INPUT, "ELF header: %s", elf_errmsg(-1));
		goto out;
	}
	if (im.eh.e_machine != (im.is64 ? EM_X86_64 : EM_386)) {
		pv_fail(e, PV_EXIT_INPUT, "e_machine %u contradicts the %s class: "
		    "x86 guests are ELF32 EM_386 or ELF64 EM_X86_64",
		    (unsigned)im.eh.e_machine, im.is64 ? "ELF64" : "ELF32");
		goto out;
	}
	if (header_table(&im, "ph", "program", im.eh.e_phoff, im.eh.e_phnum,
	    im.eh.e_phentsize, im.is64 ? sizeof(Elf64_Phdr) :
	    sizeof(Elf32_Phdr), e) < 0 ||
	    header_table(&im, "sh", "section", im.eh.e_shoff, im.eh.e_shnum,
	    im.eh.e_shentsize, im.is64 ? sizeof(Elf64_Shdr) :
	    sizeof(Elf32_Shdr), e) < 0)
		goto out;
	if (find_notes(&im, &d, &by, e) < 0)
		goto out;
	if (by == NULL) {
		if (im.eh.e_shnum == 0) {
			pv_fail(e, PV_EXIT_INPUT, "no Xen ELF notes and no "
			    "sections: not a Xen guest kernel");
			goto out;
		}
		if (find_guest_info(&im, &ei->guest_info, e) < 0)
			goto out;
		if (ei->guest_info == NULL) {
			pv_fail(e, PV_EXIT_INPUT, "no Xen ELF notes and no "
			    "'__xen_guest' section: not a Xen guest kernel");
			goto out;
		}
		by = "guest_info";
		if (guest_value(ei->guest_info, "XEN_VER", val,
		    sizeof(val)) != NULL && strcmp(val, "1.3") == 0) {
			rc = inspect_xen13(&im, ei, e);
			goto out;
		}
		if (guest_value(ei->guest_info, "XEN_VER", val,
		    sizeof(val)) == NULL || strncmp(val, "xen-3.0", 7) != 0) {
			char ex[160];

			pv_fail(e, PV_EXIT_INPUT, "__xen_guest: XEN_VER is "
			    "neither 1.3 nor xen-3.0 (saw '%s')",
			    excerpt(ei->guest_info, strlen(ei->guest_info), ex,
			    sizeof(ex)));
			goto out;
		}
		if (guest_info_notes(ei->guest_info, &d, e) < 0)
			goto out;
	}
	ei->x3.declared_by = by;
	if (inspect_xen3(&im, &d, ei, e) < 0)
		goto out;
	ei->x3.notes = json_incref(d.notes);
	ei->x3.warnings = json_incref(d.warnings);
	rc = 0;
out:
	json_decref(d.notes);
	json_decref(d.warnings);
	elf_end(im.elf);
	return rc;
}
