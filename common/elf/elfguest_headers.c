/* SPDX-License-Identifier: ISC */
/*
 * elfguest_headers.c: the ELF header, the section headers and the loadable
 * segments of a guest kernel: the way into the image that the notes and
 * the __xen_guest string are then read through.
 *
 * libelf reads the headers; before each call that trusts a header field,
 * the field is range-checked here with pv_inside(), so a hostile image gets
 * a message saying which field is wrong rather than libelf's generic one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gelf.h>
#include <libelf.h>

#include "elfguest_int.h"
#include "guest.h"

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
eg_open(struct image *im, uint8_t *buf, uint64_t size, struct pv_err *e)
{
	im->buf = buf;
	im->size = size;
	im->elf = NULL;
	if (size < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "not an ELF image (no ELF "
		    "magic)");
	if (size <= EI_DATA || (buf[EI_CLASS] != ELFCLASS32 &&
	    buf[EI_CLASS] != ELFCLASS64) || buf[EI_DATA] != ELFDATA2LSB)
		return pv_fail(e, PV_EXIT_INPUT, "not a little-endian ELF32 or "
		    "ELF64 image");
	im->is64 = buf[EI_CLASS] == ELFCLASS64;
	if (size < (im->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return pv_fail(e, PV_EXIT_INPUT, "truncated: %llu bytes cannot "
		    "hold an ELF header", (unsigned long long)size);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return pv_fail(e, PV_EXIT_SYSTEM, "libelf: %s", elf_errmsg(-1));
	if ((im->elf = elf_memory((char *)buf, (size_t)size)) == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "libelf: %s", elf_errmsg(-1));
	if (gelf_getehdr(im->elf, &im->eh) == NULL) {
		pv_fail(e, PV_EXIT_INPUT, "ELF header: %s", elf_errmsg(-1));
		goto fail;
	}
	if (im->eh.e_machine != (im->is64 ? EM_X86_64 : EM_386)) {
		pv_fail(e, PV_EXIT_INPUT, "e_machine %u contradicts the %s class: "
		    "x86 guests are ELF32 EM_386 or ELF64 EM_X86_64",
		    (unsigned)im->eh.e_machine, im->is64 ? "ELF64" : "ELF32");
		goto fail;
	}
	if (header_table(im, "ph", "program", im->eh.e_phoff, im->eh.e_phnum,
	    im->eh.e_phentsize, im->is64 ? sizeof(Elf64_Phdr) :
	    sizeof(Elf32_Phdr), e) < 0 ||
	    header_table(im, "sh", "section", im->eh.e_shoff, im->eh.e_shnum,
	    im->eh.e_shentsize, im->is64 ? sizeof(Elf64_Shdr) :
	    sizeof(Elf32_Shdr), e) < 0)
		goto fail;
	return 0;
fail:
	elf_end(im->elf);
	im->elf = NULL;
	return -1;
}

/* Section headers: the string table and a lookup by name. */

int
eg_shstrtab(struct image *im, GElf_Shdr *strsh, size_t *shnum, struct pv_err *e)
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
int
eg_section(struct image *im, const GElf_Shdr *strsh, size_t i, GElf_Shdr *sh,
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
 * The type's load flags ("wx", "rwx") as the PF_ bits a loadable segment
 * has one of, and as the words of the message that finds none ("W or X",
 * "R, W or X"), so that a type states them once, as letters.
 */
static GElf_Word
load_flags(const char *letters, char *words, size_t wordsz)
{
	GElf_Word want = 0;
	size_t i, n = strlen(letters), at = 0;

	for (i = 0; i < n; i++) {
		want |= letters[i] == 'r' ? PF_R : letters[i] == 'w' ? PF_W :
		    letters[i] == 'x' ? PF_X : 0;
		at += (size_t)snprintf(words + at, wordsz - at, "%s%c",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ",
		    letters[i] - 'a' + 'A');
		if (at >= wordsz)
			break;
	}
	return want;
}

/*
 * The loadable program headers, as the guest's type loads them: the seed's
 * (PT_LOAD with W or X, placed at p_vaddr) for xen-1.3, Xen's (PT_LOAD with
 * any of R, W, X, placed at p_paddr + virt_offset) for xen-3.0. Fills the
 * segments and the extent.
 */
int
eg_read_segments(struct image *im, uint64_t virt_offset,
    struct plan_elfinfo *ei, struct pv_err *e)
{
	const struct guest_ops *ops = ei->abi->ops;
	/*
	 * Xen's loader, which places segments at p_paddr, also counts empty
	 * ones in the kernel's extent; the seed's does neither.
	 */
	const int at_paddr = ops->segment_paddr;
	const uint64_t va_limit = ei->abi->va_limit;
	char words[16];
	GElf_Word want = load_flags(ops->load_flags, words, sizeof(words));
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
		va = at_paddr ? ph.p_paddr + virt_offset : ph.p_vaddr;
		if (pv_add(va, ph.p_memsz, &top) < 0 ||
		    (va_limit != 0 && top > va_limit) ||
		    (at_paddr && pv_add(ph.p_paddr, ph.p_memsz, &top) < 0)) {
			pv_fail(e, PV_EXIT_INPUT, "program header %zu: address "
			    "0x%llx + memsz 0x%llx wraps past the end of the "
			    "address space", i, (unsigned long long)va,
			    (unsigned long long)ph.p_memsz);
			goto fail;
		}
		if (ph.p_memsz == 0) {
			/* Loads nothing; Xen still counts it in the extent. */
			if (at_paddr) {
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
		    "%s)", words);
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
