/* SPDX-License-Identifier: ISC */
/*
 * elfguest.c: what a guest kernel's ELF image declares, and the guest it
 * makes: the ABI, the checks and the addresses derived, as Xen 4.17's
 * libelf does them.
 *
 * Two families of guest:
 *  - xen-1.3, the seed's: ELF32 i386 with a __xen_guest string holding
 *    GUEST_OS=linux and XEN_VER=1.3 (docs/xen-1.3.md); the checks of the
 *    seed's readelfimage_base_and_size(), made safe;
 *  - xen-3.0 (x86_32p, x86_64): ELF32 or ELF64 declaring itself with Xen
 *    ELF notes (<xen/elfnote.h>) or a legacy __xen_guest string, read as
 *    Xen 4.17's libelf reads them: notes from PT_NOTE segments first, then
 *    SHT_NOTE sections, then the string.
 *
 * The files beside this one read the parts of the image: the headers and
 * segments (elfguest_headers.c), the notes (elfguest_notes.c) and the
 * string (elfguest_legacy.c); elfguest_int.h is what they share.
 */
#include <string.h>

#include <gelf.h>

#include "elfguest_int.h"
#include "guest.h"
#include "xenhdr.h"

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

	if (eg_guest_value(ei->guest_info, "GUEST_OS", val,
	    sizeof(val)) == NULL || strcmp(val, "linux") != 0)
		return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: GUEST_OS is not "
		    "linux (saw '%s')", eg_excerpt(ei->guest_info,
		    strlen(ei->guest_info), ex, sizeof(ex)));
	if (im->is64 || im->eh.e_machine != EM_386)
		return pv_fail(e, PV_EXIT_INPUT, "__xen_guest: XEN_VER=1.3 "
		    "kernels are ELF32 i386");
	ei->abi = &abi_table[ABI_XEN13];
	if (eg_read_segments(im, 0, ei, e) < 0)
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
	const char *loader = eg_note_str(d, "LOADER");
	const char *os = eg_note_str(d, "GUEST_OS");
	const char *ver = eg_note_str(d, "XEN_VERSION"), *s;
	uint64_t v, virt_offset;
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
	if ((s = eg_note_str(d, "BSD_SYMTAB")) != NULL && strcmp(s, "yes") == 0)
		return pv_fail(e, PV_EXIT_INPUT, "BSD_SYMTAB: loading the "
		    "symbol table is not supported");
	if ((s = eg_note_str(d, "FEATURES")) != NULL &&
	    parse_features(s, &x->features_supported, &x->features_required,
	    e) < 0)
		return -1;
	if (eg_note_num(d, "SUPPORTED_FEATURES", &v))
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
		s = eg_note_str(d, "PAE_MODE");
		if (s == NULL || (strcmp(x->declared_by, "guest_info") == 0 ?
		    strncmp(s, "yes", 3) != 0 :
		    strcmp(s, "yes") != 0 && strstr(s, "bimodal") == NULL))
			return pv_fail(e, PV_EXIT_INPUT, "PAE_MODE '%s': a "
			    "non-PAE xen-3.0 x86_32 kernel; Xen builds 32-bit "
			    "PV guests with PAE paging only", s ? s : "");
		ei->abi = &abi_table[ABI_X86_32P];
	}
	if ((s = eg_note_str(d, "PAE_MODE")) != NULL &&
	    (x->pae_mode = strdup(s)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");

	/* Addresses (elf_xen_addr_calc_check). */
	has_base = eg_note_num(d, "VIRT_BASE", &x->virt_base);
	has_off = eg_note_num(d, "PADDR_OFFSET", &x->paddr_offset);
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
	if (eg_read_segments(im, virt_offset, ei, e) < 0)
		return -1;
	if (!eg_note_num(d, "ENTRY", &ei->entry))
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
	if (eg_note_num(d, "HYPERCALL_PAGE", &x->hypercall_page)) {
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
	x->has_hv_start_low = eg_note_num(d, "HV_START_LOW", &x->hv_start_low);
	if (eg_note_num(d, "MOD_START_PFN", &v))
		x->mod_start_pfn = v != 0;
	if (eg_note_num(d, "INIT_P2M", &v)) {
		if (v >= ei->kernel_start && v < ei->kernel_end)
			return pv_fail(e, PV_EXIT_INPUT, "INIT_P2M 0x%llx lies "
			    "inside the kernel", (unsigned long long)v);
		/* Where Xen ignores the request, say so. */
		if (!ei->abi->ops->takes_init_p2m)
			eg_warn(d, "INIT_P2M ignored: only x86_64 guests get a "
			    "p2m list mapped apart");
		else if (v >= x->virt_base || (v & (PV_PAGE_SIZE - 1)) != 0)
			eg_warn(d, "INIT_P2M 0x%llx ignored: not a page below "
			    "VIRT_BASE", (unsigned long long)v);
		else {
			x->has_init_p2m = 1;
			x->init_p2m = v;
		}
	}
	return 0;
}

int
elf_guest_inspect(uint8_t *buf, uint64_t size, struct plan_elfinfo *ei,
    struct pv_err *e)
{
	return elf_guest_inspect_as(NULL, buf, size, ei, e);
}

int
elf_guest_inspect_as(const struct abi *as, uint8_t *buf, uint64_t size,
    struct plan_elfinfo *ei, struct pv_err *e)
{
	struct image im;
	struct decl d = { 0 };
	const char *by = NULL;
	const int pvh = as != NULL && as->id == ABI_PVH;
	char val[64];
	int rc = -1;

	if (eg_open(&im, buf, size, e) < 0)
		return -1;
	d.notes = json_object();
	d.warnings = json_array();
	if (eg_find_notes(&im, &d, &by, e) < 0)
		goto out;
	/* A type the user chose is read as that type (elfguest_pvh.c). */
	if (pvh) {
		if (eg_inspect_pvh(&im, &d, by, ei, e) < 0)
			goto out;
	} else if (by == NULL) {
		if (im.eh.e_shnum == 0) {
			pv_fail(e, PV_EXIT_INPUT, "no Xen ELF notes and no "
			    "sections: not a Xen guest kernel");
			goto out;
		}
		if (eg_find_guest_info(&im, &ei->guest_info, e) < 0)
			goto out;
		if (ei->guest_info == NULL) {
			pv_fail(e, PV_EXIT_INPUT, "no Xen ELF notes and no "
			    "'__xen_guest' section: not a Xen guest kernel");
			goto out;
		}
		by = "guest_info";
		if (eg_guest_value(ei->guest_info, "XEN_VER", val,
		    sizeof(val)) != NULL && strcmp(val, "1.3") == 0) {
			rc = inspect_xen13(&im, ei, e);
			goto out;
		}
		if (eg_guest_value(ei->guest_info, "XEN_VER", val,
		    sizeof(val)) == NULL || strncmp(val, "xen-3.0", 7) != 0) {
			char ex[160];

			pv_fail(e, PV_EXIT_INPUT, "__xen_guest: XEN_VER is "
			    "neither 1.3 nor xen-3.0 (saw '%s')",
			    eg_excerpt(ei->guest_info, strlen(ei->guest_info),
			    ex, sizeof(ex)));
			goto out;
		}
		if (eg_guest_info_notes(ei->guest_info, &d, e) < 0)
			goto out;
	}
	if (!pvh) {
		ei->x3.declared_by = by;
		if (inspect_xen3(&im, &d, ei, e) < 0)
			goto out;
	}
	ei->x3.notes = json_incref(d.notes);
	ei->x3.warnings = json_incref(d.warnings);
	rc = 0;
out:
	json_decref(d.notes);
	json_decref(d.warnings);
	elf_end(im.elf);
	return rc;
}
