/* SPDX-License-Identifier: ISC */
/*
 * elfguest_legacy.c: the __xen_guest string, a comma-separated list of
 * KEY=VALUE in a section of that name: all that declares a xen-1.3 kernel
 * (docs/xen-1.3.md), and the legacy way a xen-3.0 kernel may declare
 * itself, read as Xen 4.17's elf_xen_parse_guest_info reads it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <gelf.h>

#include "elfguest_int.h"

/* The longest string taken: it goes whole into the plan and messages. */
#define MAX_GUEST_INFO 1024
/*
 * The longest __xen_guest key and value Xen reads whole: its parser copies
 * them into 32- and 128-byte buffers, stops one byte short of the end and
 * reads what follows as the next item, so a 31-byte key loses its value
 * (Xen 4.17's elf_xen_parse_guest_info).
 */
#define MAX_GUEST_KEY 30
#define MAX_GUEST_VALUE 127

/* A printable excerpt of untrusted text for a message. */
const char *
eg_excerpt(const char *s, size_t n, char *buf, size_t bufsz)
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
const char *
eg_guest_value(const char *info, const char *key, char *val, size_t valsz)
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

/*
 * A __xen_guest string read the same way by pvbuild and by Xen, or refused:
 * printable ASCII (it goes into the plan and messages), every key and value
 * short enough for Xen to read whole (a longer one Xen splits, reading its
 * tail as another key), and no key given twice with different values (Xen
 * takes the last, eg_guest_value the first).
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
int
eg_find_guest_info(struct image *im, char **info, struct pv_err *e)
{
	GElf_Shdr sh, strsh;
	size_t shnum, i;
	const char *name, *gi;

	*info = NULL;
	if (eg_shstrtab(im, &strsh, &shnum, e) < 0)
		return -1;
	for (i = 0; i < shnum; i++) {
		if (eg_section(im, &strsh, i, &sh, &name, e) < 0)
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

/*
 * The legacy string's keys as note names, values as Xen reads them
 * (Xen 4.17's elf_xen_parse_guest_info): numbers by strtoull with
 * base 0, HYPERCALL_PAGE a page number relative to VIRT_BASE.
 */
int
eg_guest_info_notes(const char *info, struct decl *d, struct pv_err *e)
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
		if (eg_guest_value(info, keys[i].key, val, sizeof(val)) == NULL)
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
	if (eg_note_num(d, "HYPERCALL_PAGE", &v) &&
	    eg_note_num(d, "VIRT_BASE", &base)) {
		if (pv_add(v, base, &v) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: "
			    "HYPERCALL_PAGE + VIRT_BASE overflows");
		snprintf(num, sizeof(num), "0x%llx", (unsigned long long)v);
		json_object_set_new(d->notes, "HYPERCALL_PAGE", json_string(num));
	}
	return 0;
}
