/*
 * elfguest.c: the seed's ELF checks (readelfimage_base_and_size), with every
 * offset checked against the image before libelf or we read through it.
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

#define MAX_GUEST_INFO 1024

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
 * "XEN_VER=1.30" is not taken for 1.3.
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
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			n = (size_t)(end - p) - klen - 1;
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

static int
check_guest_info(const char *info, struct pv_err *e)
{
	char val[64], ex[160];

	if (guest_value(info, "GUEST_OS", val, sizeof(val)) == NULL ||
	    strcmp(val, "linux") != 0)
		return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: GUEST_OS is not "
		    "linux (saw '%s')", excerpt(info, strlen(info), ex,
		    sizeof(ex)));
	if (guest_value(info, "XEN_VER", val, sizeof(val)) == NULL ||
	    strcmp(val, "1.3") != 0)
		return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: XEN_VER is not "
		    "1.3; only images built for Xen 1.3 load as xen-1.3 "
		    "(saw '%s')", excerpt(info, strlen(info), ex, sizeof(ex)));
	return 0;
}

static int
find_guest_info(Elf *elf, const uint8_t *buf, uint64_t size,
    const GElf_Ehdr *eh, char **info, struct pv_err *e)
{
	GElf_Shdr sh, strsh;
	size_t shnum, shstrndx, i;
	const char *name, *gi;
	Elf_Scn *scn;

	if (elf_getshdrnum(elf, &shnum) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "section headers: %s",
		    elf_errmsg(-1));
	if (elf_getshdrstrndx(elf, &shstrndx) != 0 || shstrndx == SHN_UNDEF)
		return pv_fail(e, PV_EXIT_INPUT, "no section-header string "
		    "table (e_shstrndx is SHN_UNDEF)");
	if (shstrndx >= shnum)
		return pv_fail(e, PV_EXIT_INPUT, "e_shstrndx %zu is not one of "
		    "the %zu sections", shstrndx, shnum);
	if ((scn = elf_getscn(elf, shstrndx)) == NULL ||
	    gelf_getshdr(scn, &strsh) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "section %zu (shstrtab): %s",
		    shstrndx, elf_errmsg(-1));
	if (strsh.sh_type == SHT_NOBITS ||
	    !pv_inside(strsh.sh_offset, strsh.sh_size, size))
		return pv_fail(e, PV_EXIT_INPUT, "section %zu (shstrtab): bytes "
		    "[0x%llx, +0x%llx) outside the image of %llu bytes",
		    shstrndx, (unsigned long long)strsh.sh_offset,
		    (unsigned long long)strsh.sh_size,
		    (unsigned long long)size);
	(void)eh;
	for (i = 0; i < shnum; i++) {
		if ((scn = elf_getscn(elf, i)) == NULL ||
		    gelf_getshdr(scn, &sh) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "section %zu: %s", i,
			    elf_errmsg(-1));
		/* The name must start, and end, inside shstrtab. */
		if (sh.sh_name >= strsh.sh_size ||
		    memchr(buf + strsh.sh_offset + sh.sh_name, '\0',
		    strsh.sh_size - sh.sh_name) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "section %zu: name "
			    "offset %u is outside the section-header string "
			    "table (%llu bytes)", i, (unsigned)sh.sh_name,
			    (unsigned long long)strsh.sh_size);
		name = (const char *)buf + strsh.sh_offset + sh.sh_name;
		if (strcmp(name, "__xen_guest") != 0)
			continue;
		if (sh.sh_type == SHT_NOBITS ||
		    !pv_inside(sh.sh_offset, sh.sh_size, size))
			return pv_fail(e, PV_EXIT_INPUT, "section %zu "
			    "(__xen_guest): bytes [0x%llx, +0x%llx) outside "
			    "the image of %llu bytes", i,
			    (unsigned long long)sh.sh_offset,
			    (unsigned long long)sh.sh_size,
			    (unsigned long long)size);
		gi = (const char *)buf + sh.sh_offset;
		if (memchr(gi, '\0', sh.sh_size) == NULL)
			return pv_fail(e, PV_EXIT_INPUT, "section %zu "
			    "(__xen_guest): string not terminated inside its "
			    "%llu bytes", i, (unsigned long long)sh.sh_size);
		if (strlen(gi) > MAX_GUEST_INFO)
			return pv_fail(e, PV_EXIT_INPUT, "section %zu "
			    "(__xen_guest): string longer than %d bytes", i,
			    MAX_GUEST_INFO);
		if (check_guest_info(gi, e) < 0)
			return -1;
		if ((*info = strdup(gi)) == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		return 0;
	}
	return pv_fail(e, PV_EXIT_INPUT, "no '__xen_guest' section: not a "
	    "Xen guest kernel");
}

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

static int
read_segments(Elf *elf, const GElf_Ehdr *eh, uint64_t size,
    struct plan_elfinfo *ei, struct pv_err *e)
{
	struct plan_segment *segs, *sorted;
	uint64_t start = UINT64_MAX, end = 0;
	size_t i, n = 0;
	GElf_Phdr ph;

	if ((segs = calloc(eh->e_phnum + 1u, sizeof(*segs))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	for (i = 0; i < eh->e_phnum; i++) {
		if (gelf_getphdr(elf, (int)i, &ph) == NULL) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: %s", i,
			    elf_errmsg(-1));
			goto fail;
		}
		/* The seed loads PT_LOAD segments that are writable or
		 * executable, and nothing else. */
		if (ph.p_type != PT_LOAD || (ph.p_flags & (PF_W | PF_X)) == 0)
			continue;
		if (!pv_inside(ph.p_offset, ph.p_filesz, size)) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: file "
			    "range [0x%llx, +0x%llx) runs past the end of the "
			    "image (%llu bytes)", i,
			    (unsigned long long)ph.p_offset,
			    (unsigned long long)ph.p_filesz,
			    (unsigned long long)size);
			goto fail;
		}
		if (ph.p_filesz > ph.p_memsz) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: filesz "
			    "0x%llx is larger than memsz 0x%llx", i,
			    (unsigned long long)ph.p_filesz,
			    (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (ph.p_vaddr + ph.p_memsz > ((uint64_t)1 << 32)) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: vaddr "
			    "0x%llx + memsz 0x%llx wraps past 4 GiB", i,
			    (unsigned long long)ph.p_vaddr,
			    (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (ph.p_memsz == 0)
			continue;	/* occupies nothing */
		segs[n].vaddr = ph.p_vaddr;
		segs[n].offset = ph.p_offset;
		segs[n].filesz = ph.p_filesz;
		segs[n].memsz = ph.p_memsz;
		flag_letters(ph.p_flags, segs[n].flags);
		if (ph.p_vaddr < start)
			start = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > end)
			end = ph.p_vaddr + ph.p_memsz;
		n++;
	}
	if (n == 0) {
		pv_fail(e, PV_EXIT_INPUT, "no loadable segments (PT_LOAD with "
		    "W or X)");
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
	if (eh->e_entry < start || eh->e_entry >= end) {
		pv_fail(e, PV_EXIT_INPUT, "entry point 0x%llx is outside the "
		    "kernel [0x%llx, 0x%llx)", (unsigned long long)eh->e_entry,
		    (unsigned long long)start, (unsigned long long)end);
		goto fail;
	}
	ei->segments = segs;
	ei->nr_segments = n;
	ei->kernel_start = start;
	ei->kernel_end = end;
	ei->entry = eh->e_entry;
	return 0;
fail:
	free(segs);
	return -1;
}

int
elf_guest_inspect(uint8_t *buf, uint64_t size, struct plan_elfinfo *ei,
    struct pv_err *e)
{
	GElf_Ehdr eh;
	uint64_t len;
	Elf *elf;
	int rc = -1;

	if (size < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "not an ELF image (no ELF "
		    "magic)");
	if (size < sizeof(Elf32_Ehdr))
		return pv_fail(e, PV_EXIT_INPUT, "truncated: %llu bytes cannot "
		    "hold an ELF header", (unsigned long long)size);
	if (buf[EI_CLASS] != ELFCLASS32 || buf[EI_DATA] != ELFDATA2LSB)
		return pv_fail(e, PV_EXIT_INPUT, "not a little-endian ELF32 "
		    "image: xen-1.3 kernels are ELF32 i386");
	if (elf_version(EV_CURRENT) == EV_NONE)
		return pv_fail(e, PV_EXIT_SYSTEM, "libelf: %s", elf_errmsg(-1));
	if ((elf = elf_memory((char *)buf, (size_t)size)) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "libelf: %s", elf_errmsg(-1));
	if (gelf_getehdr(elf, &eh) == NULL) {
		pv_fail(e, PV_EXIT_INPUT, "ELF header: %s", elf_errmsg(-1));
		goto out;
	}
	if (eh.e_machine != EM_386) {
		pv_fail(e, PV_EXIT_INPUT, "e_machine %u is not EM_386",
		    (unsigned)eh.e_machine);
		goto out;
	}
	if (eh.e_phnum > 0 && eh.e_phentsize != sizeof(Elf32_Phdr)) {
		pv_fail(e, PV_EXIT_INPUT, "e_phentsize %u is not %zu",
		    (unsigned)eh.e_phentsize, sizeof(Elf32_Phdr));
		goto out;
	}
	len = (uint64_t)eh.e_phnum * eh.e_phentsize;
	if (!pv_inside(eh.e_phoff, len, size)) {
		pv_fail(e, PV_EXIT_INPUT, "program headers [0x%llx, +0x%llx) "
		    "extend beyond the end of the image (%llu bytes)",
		    (unsigned long long)eh.e_phoff, (unsigned long long)len,
		    (unsigned long long)size);
		goto out;
	}
	if (eh.e_shnum > 0 && eh.e_shentsize != sizeof(Elf32_Shdr)) {
		pv_fail(e, PV_EXIT_INPUT, "e_shentsize %u is not %zu",
		    (unsigned)eh.e_shentsize, sizeof(Elf32_Shdr));
		goto out;
	}
	len = (uint64_t)eh.e_shnum * eh.e_shentsize;
	if (!pv_inside(eh.e_shoff, len, size)) {
		pv_fail(e, PV_EXIT_INPUT, "section headers [0x%llx, +0x%llx) "
		    "extend beyond the end of the image (%llu bytes)",
		    (unsigned long long)eh.e_shoff, (unsigned long long)len,
		    (unsigned long long)size);
		goto out;
	}
	if (find_guest_info(elf, buf, size, &eh, &ei->guest_info, e) < 0 ||
	    read_segments(elf, &eh, size, ei, e) < 0)
		goto out;
	ei->abi = "xen-1.3";
	ei->arch = "x86_32";
	ei->paging_levels = 2;
	rc = 0;
out:
	elf_end(elf);
	return rc;
}
