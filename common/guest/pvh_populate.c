/* SPDX-License-Identifier: ISC */
/*
 * pvh_populate.c: what populate plans for a PVH guest (pvh.c): the
 * writes of the kernel's segments at their physical addresses and of the
 * initrd, hvm_start_info (<xen/arch-x86/hvm/start_info.h>, version 1)
 * with its module list, command line and memory map, the ACPI tables, the
 * HVM parameters of the special pages, the identity page table and the
 * first vCPU's entry state.
 *
 * Every part is derived from elfinfo and layout alone, so the member's
 * reader derives it again and holds the plan to it field by field: an
 * edited checksum, address or register is refused by its path.
 *
 * The ACPI tables are pvbuild's own, laid out as the ACPI specification
 * (6.x, chapter 5) has them, and as few as a hardware-reduced guest
 * needs, where Xen's libacpi builds more for a PVH domU: the RSDP
 * (revision 2, pointing at the XSDT only), the XSDT (FADT, MADT), a
 * hardware-reduced FADT (revision 5, as Xen's acpi_revision 5), a DSDT
 * holding no AML, and a MADT with one enabled local APIC per vCPU at
 * APIC ID 2 * vCPU (libxl's acpi_lapic_id) and the local APIC at
 * 0xfee00000 (LAPIC_BASE_ADDRESS).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "pt.h"
#include "xenhdr.h"

#include <xen/arch-x86/hvm/start_info.h>

#define ACPI_HEADER 36
#define RSDP_LENGTH 36		/* the ACPI 2.0 RSDP with the XSDT */
#define FADT_LENGTH 268		/* revision 5 */
#define FADT_HW_REDUCED (1u << 20)
#define FADT_NO_VGA (1u << 2)	/* IAPC_BOOT_ARCH: VGA Not Present */
#define MADT_LAPIC_LENGTH 8
#define LAPIC_BASE 0xfee00000u
#define ACPI_ALIGN 16		/* libacpi's allocator aligns to 16 */

/* The x86 segment attributes of <xen/hvm/hvm_vcpu.h>'s *_ar fields. */
#define AR_CODE32 0xc9b		/* present, DPL 0, code r/x, accessed, D, G */
#define AR_DATA32 0xc93		/* present, DPL 0, data r/w, accessed, D, G */
#define AR_TSS32_BUSY 0x8b	/* present, 32-bit TSS, busy */
#define CR0_PE 0x1
#define CR0_ET 0x10

/*
 * The identity map alloc_magic_pages_hvm writes into the ident_pt
 * special page: a 32-bit non-PAE page directory of 1024 4 MiB pages,
 * entry i mapping i * 4 MiB. Xen runs a guest on it while the guest's
 * paging is off, on Intel EPT hardware without unrestricted guest mode.
 */
#define IDENT_PT_ENTRIES 1024
#define IDENT_PT_STRIDE 0x400000
#define IDENT_PT_FLAGS (PTE_PRESENT | PTE_RW | PTE_USER | PTE_ACCESSED | \
	PTE_DIRTY | PTE_PSE)

struct table {
	const char *sig;
	uint64_t gpa;
	uint8_t bytes[2048];
	size_t len;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* The byte that makes the first n bytes of t sum to 0 mod 256. */
static uint8_t
checksum(const uint8_t *t, size_t n)
{
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum = (uint8_t)(sum + t[i]);
	return (uint8_t)-sum;
}

/* The common header of an ACPI table; the checksum is set last. */
static void
header(struct table *t, const char *sig, size_t len, uint8_t revision)
{
	memset(t->bytes, 0, sizeof(t->bytes));
	t->sig = sig;
	t->len = len;
	memcpy(t->bytes, sig, 4);
	put32(t->bytes + 4, (uint32_t)len);
	t->bytes[8] = revision;
	memcpy(t->bytes + 10, "PVBLD ", 6);
	memcpy(t->bytes + 16, "PVBUILD ", 8);
	put32(t->bytes + 24, 1);
	memcpy(t->bytes + 28, "PVBD", 4);
	put32(t->bytes + 32, 1);
}

static void
seal(struct table *t)
{
	t->bytes[9] = 0;
	t->bytes[9] = checksum(t->bytes, t->len);
}

static uint64_t
align(uint64_t v)
{
	return (v + ACPI_ALIGN - 1) & ~(uint64_t)(ACPI_ALIGN - 1);
}

/*
 * The five tables for nr_vcpus vCPUs, tables from `at` (the page after
 * the info page) and the RSDP at `rsdp`, in address order: DSDT, FADT,
 * MADT, XSDT, RSDP.
 */
static void
acpi_tables(struct table t[5], uint64_t at, uint64_t rsdp, uint32_t vcpus)
{
	struct table *dsdt = &t[0], *fadt = &t[1], *madt = &t[2];
	struct table *xsdt = &t[3], *rs = &t[4];
	uint32_t i;

	header(dsdt, "DSDT", ACPI_HEADER, 2);
	dsdt->gpa = at;
	seal(dsdt);

	header(fadt, "FACP", FADT_LENGTH, 5);
	fadt->gpa = align(dsdt->gpa + dsdt->len);
	put32(fadt->bytes + 40, (uint32_t)dsdt->gpa);	/* DSDT */
	put16(fadt->bytes + 109, FADT_NO_VGA);		/* IAPC_BOOT_ARCH */
	put32(fadt->bytes + 112, FADT_HW_REDUCED);	/* Flags */
	put64(fadt->bytes + 140, dsdt->gpa);		/* X_DSDT */
	seal(fadt);

	header(madt, "APIC", ACPI_HEADER + 8 + (size_t)vcpus *
	    MADT_LAPIC_LENGTH, 3);
	madt->gpa = align(fadt->gpa + fadt->len);
	put32(madt->bytes + 36, LAPIC_BASE);
	for (i = 0; i < vcpus; i++) {
		uint8_t *e = madt->bytes + ACPI_HEADER + 8 +
		    (size_t)i * MADT_LAPIC_LENGTH;

		e[0] = 0;			/* Processor Local APIC */
		e[1] = MADT_LAPIC_LENGTH;
		e[2] = (uint8_t)i;		/* ACPI processor UID */
		e[3] = (uint8_t)(2 * i);	/* APIC ID */
		put32(e + 4, 1);		/* enabled */
	}
	seal(madt);

	header(xsdt, "XSDT", ACPI_HEADER + 2 * 8, 1);
	xsdt->gpa = align(madt->gpa + madt->len);
	put64(xsdt->bytes + ACPI_HEADER, fadt->gpa);
	put64(xsdt->bytes + ACPI_HEADER + 8, madt->gpa);
	seal(xsdt);

	memset(rs->bytes, 0, sizeof(rs->bytes));
	rs->sig = "RSD PTR ";
	rs->gpa = rsdp;
	rs->len = RSDP_LENGTH;
	memcpy(rs->bytes, "RSD PTR ", 8);
	memcpy(rs->bytes + 9, "PVBLD ", 6);
	rs->bytes[15] = 2;				/* revision */
	put32(rs->bytes + 20, RSDP_LENGTH);
	put64(rs->bytes + 24, xsdt->gpa);
	rs->bytes[8] = checksum(rs->bytes, 20);
	rs->bytes[32] = checksum(rs->bytes, RSDP_LENGTH);
}

static json_t *
hex_bytes(const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char s[2 * 2048 + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * n] = '\0';
	return json_string(s);
}

static json_t *
write_json(uint64_t gpa, uint64_t length, const char *source,
    uint64_t source_offset)
{
	return json_pack("{s:I, s:I, s:I, s:s, s:I}",
	    "pfn", (json_int_t)(gpa >> PV_PAGE_SHIFT),
	    "offset", (json_int_t)(gpa & (PV_PAGE_SIZE - 1)),
	    "length", (json_int_t)length, "source", source,
	    "source_offset", (json_int_t)source_offset);
}

/* The entry state of docs/misc/pvh.pandoc, as Xen 4.17's vcpu_hvm sets
 * it: flat 32-bit segments, protected mode with paging off, EBX the
 * address of hvm_start_info. */
static json_t *
vcpu_json(const struct plan_elfinfo *ei, const struct plan_layout *l)
{
	static const char *const segs[] = { "cs", "ds", "es", "ss", "tr" };
	json_t *v = json_object();
	char key[16];
	size_t i;

	json_object_set_new(v, "eip", plan_hex_json(ei->entry));
	json_object_set_new(v, "ebx",
	    plan_hex_json(l->regions[REGION_START_INFO].start));
	/* Only the reserved bit 1: interrupts off, as pvh.pandoc asks. */
	json_object_set_new(v, "eflags", plan_hex_json(0x2));
	json_object_set_new(v, "cr0", plan_hex_json(CR0_PE | CR0_ET));
	json_object_set_new(v, "cr3", plan_hex_json(0));
	json_object_set_new(v, "cr4", plan_hex_json(0));
	json_object_set_new(v, "efer", plan_hex_json(0));
	for (i = 0; i < 5; i++) {
		int tr = i == 4;

		snprintf(key, sizeof(key), "%s_base", segs[i]);
		json_object_set_new(v, key, plan_hex_json(0));
		snprintf(key, sizeof(key), "%s_limit", segs[i]);
		json_object_set_new(v, key, plan_hex_json(tr ? 0x67 :
		    0xffffffff));
		snprintf(key, sizeof(key), "%s_ar", segs[i]);
		json_object_set_new(v, key, plan_hex_json(tr ? AR_TSS32_BUSY :
		    i == 0 ? AR_CODE32 : AR_DATA32));
	}
	return v;
}

/*
 * hvm_start_info and what follows it in its segment, as bootlate_hvm
 * lays it out: the structure, the command line (rounded up to 8 bytes),
 * the module list of two entries, their two command lines, the memory
 * map.
 */
static json_t *
start_info_json(const struct plan_layout *l, uint64_t rsdp)
{
	uint64_t gpa = l->regions[REGION_START_INFO].start;
	uint64_t cmd = 0, cmdsize = 0, modlist, memmap;
	json_t *mods = json_array();

	if (l->cmdline[0] != '\0') {
		cmd = gpa + sizeof(struct hvm_start_info);
		cmdsize = (strlen(l->cmdline) + 1 + 7) & ~(uint64_t)7;
	}
	modlist = gpa + sizeof(struct hvm_start_info) + cmdsize;
	memmap = modlist + 2 * (sizeof(struct hvm_modlist_entry) +
	    MAX_GUEST_CMDLINE);
	if (l->has_initrd && l->initrd.data_size > 0)
		json_array_append_new(mods, json_pack("{s:o, s:o, s:o}",
		    "paddr", plan_hex_json(l->regions[REGION_INITRD].start),
		    "size", plan_hex_json(l->initrd.data_size),
		    "cmdline_paddr", plan_hex_json(0)));
	return json_pack("{s:o, s:o, s:I, s:o, s:I, s:o, s:o, s:o, s:o, "
	    "s:I, s:I, s:o}",
	    "gpa", plan_hex_json(gpa),
	    "magic", plan_hex_json(XEN_HVM_START_MAGIC_VALUE),
	    "version", (json_int_t)1, "flags", plan_hex_json(0),
	    "nr_modules", (json_int_t)json_array_size(mods),
	    "modlist_paddr", plan_hex_json(json_array_size(mods) ? modlist : 0),
	    "cmdline_paddr", plan_hex_json(cmd),
	    "rsdp_paddr", plan_hex_json(rsdp),
	    "memmap_paddr", plan_hex_json(memmap),
	    "memmap_entries", (json_int_t)l->nr_memmap,
	    "cmdline_length", (json_int_t)strlen(l->cmdline),
	    "modules", mods);
}

/*
 * The HVM parameters alloc_magic_pages_hvm sets, one for each special
 * page: its frame, or for the identity page table its address.
 */
static json_t *
hvm_params_json(const struct plan_layout *l)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i < PLAN_SPECIAL_PAGES; i++) {
		const struct guest_pvh_special *sp =
		    &guest_pvh_special[l->special[i].role];

		json_object_set_new(o, sp->param_name, sp->by_address ?
		    plan_hex_json(l->special[i].pfn << PV_PAGE_SHIFT) :
		    json_integer((json_int_t)l->special[i].pfn));
	}
	return o;
}

json_t *
guest_pvh_populate(const struct plan_elfinfo *ei, const struct plan_layout *l)
{
	const struct plan_region *acpi = &l->regions[REGION_ACPI];
	uint64_t rsdp = acpi->end - 64;
	struct table *t;
	json_t *o, *ws, *tabs;
	size_t i;

	if ((t = calloc(5, sizeof(*t))) == NULL)
		return NULL;
	acpi_tables(t, acpi->start + PV_PAGE_SIZE, rsdp, l->vcpus);
	ws = json_array();
	for (i = 0; i < ei->nr_segments; i++) {
		const struct plan_segment *s = &ei->segments[i];

		if (s->filesz > 0)
			json_array_append_new(ws, write_json(s->paddr,
			    s->filesz, "kernel", s->offset));
		if (s->memsz > s->filesz)
			json_array_append_new(ws, write_json(s->paddr +
			    s->filesz, s->memsz - s->filesz, "zero", 0));
	}
	if (l->has_initrd && l->initrd.data_size > 0)
		json_array_append_new(ws, write_json(
		    l->regions[REGION_INITRD].start, l->initrd.data_size,
		    "initrd", 0));
	/* The ACPI info page, which the guest's map says is ACPI's. */
	json_array_append_new(ws, write_json(acpi->start, PV_PAGE_SIZE, "zero",
	    0));
	tabs = json_array();
	for (i = 0; i < 5; i++)
		json_array_append_new(tabs, json_pack("{s:s, s:o, s:I, s:o, s:o}",
		    "signature", t[i].sig, "gpa", plan_hex_json(t[i].gpa),
		    "length", (json_int_t)t[i].len,
		    "checksum", plan_hex_json(t[i].bytes[i == 4 ? 8 : 9]),
		    "bytes", hex_bytes(t[i].bytes, t[i].len)));
	free(t);
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:o, s:o}}",
	    "writes", ws, "start_info", start_info_json(l, rsdp),
	    "acpi", tabs, "vcpu", vcpu_json(ei, l),
	    "hvm_params", hvm_params_json(l),
	    "ident_pt", "pfn", (json_int_t)l->special[GUEST_PVH_IDENT_PT].pfn,
	    "entries", (json_int_t)IDENT_PT_ENTRIES,
	    "stride", plan_hex_json(IDENT_PT_STRIDE),
	    "flags", plan_hex_json(IDENT_PT_FLAGS));
	return o;
}

/*
 * The first place where `have` is not `want`, as a member path under
 * `path` into buf; 0 when they are equal. Objects are compared key by
 * key (a missing or extra key is a difference), arrays entry by entry.
 */
static int
differ(json_t *have, json_t *want, const char *path, char *buf, size_t n)
{
	char sub[256];
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(want) && json_is_object(have)) {
		json_object_foreach(have, k, v)
			if (json_object_get(want, k) == NULL) {
				snprintf(buf, n, "%s.%s: not a member", path, k);
				return 1;
			}
		json_object_foreach(want, k, v) {
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			if (json_object_get(have, k) == NULL) {
				snprintf(buf, n, "%s: missing", sub);
				return 1;
			}
			if (differ(json_object_get(have, k), v, sub, buf, n))
				return 1;
		}
		return 0;
	}
	if (json_is_array(want) && json_is_array(have)) {
		if (json_array_size(have) != json_array_size(want)) {
			snprintf(buf, n, "%s: %zu entries, not %zu", path,
			    json_array_size(have), json_array_size(want));
			return 1;
		}
		json_array_foreach(want, i, v) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (differ(json_array_get(have, i), v, sub, buf, n))
				return 1;
		}
		return 0;
	}
	if (json_equal(have, want))
		return 0;
	snprintf(buf, n, "%s: not what the layout makes", path);
	return 1;
}

int
guest_pvh_populate_read(json_t *obj, const struct plan_elfinfo *ei,
    const struct plan_layout *l, struct pv_err *e)
{
	json_t *want = guest_pvh_populate(ei, l);
	char where[PV_MSG_SIZE];
	int d;

	if (want == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	d = differ(obj, want, "populate", where, sizeof(where));
	json_decref(want);
	if (d)
		return pv_fail(e, PV_EXIT_INPUT, "%s", where);
	return 0;
}
