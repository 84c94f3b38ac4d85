/* SPDX-License-Identifier: ISC */
/*
 * pvh.c: domain.json's PVH members (pvh.h), read for bin/boot. As for a
 * PV domain (domain.c), the file is untrusted: every member boot uses is
 * checked for type and range, and a state boot's firmware could not load
 * (or that would fault before the guest's first instruction) is refused
 * naming the member. What Xen itself demands of the state is finalize's
 * to enforce; boot asks only what it needs to enter it faithfully.
 *
 * Formats: Intel SDM vol. 3A, 2.5 (CR0, CR4), 2.2.1 (EFER), 2.3 (EFLAGS),
 * 3.4.5 (segment descriptors, whose attribute bits <xen/hvm/hvm_vcpu.h>'s
 * "ar" packs as VMX and SVM do: type, S, DPL, P in bits 0-7, then AVL,
 * L, D/B, G in bits 8-11).
 */
#include <string.h>

#include "json.h"
#include "pvh.h"

#define CR0_PE		0x00000001ULL
#define CR0_ET		0x00000010ULL
#define CR0_NW		0x20000000ULL
#define CR0_CD		0x40000000ULL
#define CR0_PG		0x80000000ULL
/* The bits of CR0 there are: PE MP EM TS ET NE WP AM NW CD PG. */
#define CR0_KNOWN	0xe005003fULL
/* CR4 bits QEMU's qemu64 CPU has: TSD DE PSE PAE MCE PGE PCE OSFXSR
 * OSXMMEXCPT (not VME or PVI: setting one would fault). */
#define CR4_OK		0x000007fcULL
#define EFER_OK		0x00000901ULL	/* SCE, LME, NXE */
#define EFLAGS_FIXED	0x00000002ULL
#define EFLAGS_TF	0x00000100ULL
#define EFLAGS_VM	0x00020000ULL
/* CF PF AF ZF SF TF IF DF OF IOPL NT RF VM AC VIF VIP ID, and bit 1. */
#define EFLAGS_KNOWN	0x003f7fd7ULL

#define AR_TYPE		0x000fULL
#define AR_CODE		0x0008ULL	/* type: code, not data */
#define AR_WRITABLE	0x0002ULL	/* type, data: writable */
#define AR_S		0x0010ULL	/* code or data, not system */
#define AR_DPL		0x0060ULL
#define AR_P		0x0080ULL
#define AR_L		0x0200ULL
#define AR_DB		0x0400ULL
#define AR_G		0x0800ULL
#define AR_KNOWN	0x0fffULL
#define TSS32_AVAIL	0x9
#define TSS32_BUSY	0xb

#define U32_MAX		0xffffffffULL

enum seg_kind { SEG_CODE, SEG_STACK, SEG_DATA, SEG_TSS };

/*
 * One segment, "<seg>_base", "<seg>_limit", "<seg>_ar" of vcpu: within
 * 32 bits, a limit the descriptor can hold (with G, its low 12 bits all
 * ones; without, at most 1 MiB), present, and of its kind: cs 32-bit
 * ring-0 code, ss ring-0 writable data, ds and es data, tr a 32-bit TSS.
 */
static int
read_seg(json_t *vcpu, const char *name, enum seg_kind kind,
    struct boot_pvh_seg *s, struct pv_err *e)
{
	char key[16];
	uint64_t ar;
	const char *why = NULL;

	snprintf(key, sizeof(key), "%s_base", name);
	if (pj_get_hex(vcpu, "domain.json: vcpu", key, &s->base, e) < 0)
		return -1;
	snprintf(key, sizeof(key), "%s_limit", name);
	if (pj_get_hex(vcpu, "domain.json: vcpu", key, &s->limit, e) < 0)
		return -1;
	snprintf(key, sizeof(key), "%s_ar", name);
	if (pj_get_hex(vcpu, "domain.json: vcpu", key, &s->ar, e) < 0)
		return -1;
	ar = s->ar;
	if (s->base > U32_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.%s_base "
		    "0x%llx is not a 32-bit address", name,
		    (unsigned long long)s->base);
	if (s->limit > U32_MAX || ((ar & AR_G) ? (s->limit & 0xfff) != 0xfff :
	    s->limit > 0xfffff))
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.%s_limit "
		    "0x%llx is not one a descriptor holds with %s_ar 0x%llx",
		    name, (unsigned long long)s->limit, name,
		    (unsigned long long)ar);
	if ((ar & ~AR_KNOWN) != 0 || !(ar & AR_P))
		why = "not a present segment's attributes";
	else if (kind == SEG_TSS && ((ar & AR_S) || ((ar & AR_TYPE) !=
	    TSS32_AVAIL && (ar & AR_TYPE) != TSS32_BUSY)))
		why = "not a 32-bit TSS";
	else if (kind != SEG_TSS && !(ar & AR_S))
		why = "a system segment";
	else if (kind == SEG_CODE && (!(ar & AR_CODE) || (ar & AR_DPL) ||
	    (ar & AR_L) || !(ar & AR_DB)))
		why = "not 32-bit ring-0 code";
	else if (kind == SEG_STACK && ((ar & AR_CODE) || !(ar & AR_WRITABLE) ||
	    (ar & AR_DPL)))
		why = "not ring-0 writable data";
	else if (kind == SEG_DATA && (ar & AR_CODE))
		why = "code, not data";
	if (why != NULL)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.%s_ar "
		    "0x%llx: %s", name, (unsigned long long)ar, why);
	return 0;
}

static int
read_vcpu(json_t *root, struct boot_pvh *p, struct pv_err *e)
{
	static const struct {
		const char *key;
		size_t off;
		uint64_t max;
	} regs[] = {
#define REG(name) { #name, offsetof(struct boot_pvh, name), U32_MAX }
		REG(eip), REG(ebx), REG(eflags), REG(cr0), REG(cr3),
		REG(cr4), REG(efer),
#undef REG
	};
	json_t *vcpu;
	uint64_t *v;
	size_t i;

	if (pj_get(root, "domain.json: domain", "vcpu", JSON_OBJECT, &vcpu,
	    e) < 0)
		return -1;
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		v = (uint64_t *)((char *)p + regs[i].off);
		if (pj_get_hex(vcpu, "domain.json: vcpu", regs[i].key, v,
		    e) < 0)
			return -1;
		if (*v > regs[i].max)
			return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.%s "
			    "0x%llx is not a 32-bit value", regs[i].key,
			    (unsigned long long)*v);
	}
	if (!(p->cr0 & CR0_PE) || (p->cr0 & CR0_PG) || (p->cr0 & ~CR0_KNOWN) ||
	    ((p->cr0 & CR0_NW) && !(p->cr0 & CR0_CD)))
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.cr0 0x%llx "
		    "is not protected mode with paging off", (unsigned long long)
		    p->cr0);
	if (p->cr4 & ~CR4_OK)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.cr4 0x%llx "
		    "has bits boot's CPU cannot set", (unsigned long long)
		    p->cr4);
	if (p->efer & ~EFER_OK)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.efer 0x%llx "
		    "has bits boot's CPU cannot set", (unsigned long long)
		    p->efer);
	if (!(p->eflags & EFLAGS_FIXED) || (p->eflags & ~EFLAGS_KNOWN) ||
	    (p->eflags & (EFLAGS_TF | EFLAGS_VM)))
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.eflags "
		    "0x%llx is not one boot enters with (bit 1 set, no "
		    "reserved bits, TF and VM clear)", (unsigned long long)
		    p->eflags);
	return read_seg(vcpu, "cs", SEG_CODE, &p->cs, e) < 0 ||
	    read_seg(vcpu, "ds", SEG_DATA, &p->ds, e) < 0 ||
	    read_seg(vcpu, "es", SEG_DATA, &p->es, e) < 0 ||
	    read_seg(vcpu, "ss", SEG_STACK, &p->ss, e) < 0 ||
	    read_seg(vcpu, "tr", SEG_TSS, &p->tr, e) < 0 ? -1 : 0;
}

/*
 * The memory map: 1 to BOOT_PVH_MAX_MAP entries in address order, none
 * empty, overlapping or past 2^64; RAM only where the machine has frames,
 * and as many RAM pages as nr_pages says.
 */
static int
read_map(json_t *root, uint64_t frames, struct boot_pvh *p,
    struct pv_err *e)
{
	static const char *const keys[] = { "addr", "size", "type", NULL };
	uint64_t addr, size, type, end = 0, ram = 0;
	char where[64];
	json_t *map, *ent;
	size_t i;

	if (pj_get_array(root, "domain.json: domain", "memory_map", 1,
	    BOOT_PVH_MAX_MAP, &map, e) < 0)
		return -1;
	json_array_foreach(map, i, ent) {
		snprintf(where, sizeof(where), "domain.json: memory_map[%zu]",
		    i);
		if (pj_is_object(ent, where, e) < 0 ||
		    pj_only_keys(ent, where, keys, e) < 0 ||
		    pj_get_hex(ent, where, "addr", &addr, e) < 0 ||
		    pj_get_hex(ent, where, "size", &size, e) < 0 ||
		    pj_get_uint(ent, where, "type", &type, e) < 0)
			return -1;
		if (size == 0 || addr + size < addr)
			return pv_fail(e, PV_EXIT_INPUT, "%s: addr 0x%llx size "
			    "0x%llx is not a range", where,
			    (unsigned long long)addr, (unsigned long long)size);
		if (i > 0 && addr < end)
			return pv_fail(e, PV_EXIT_INPUT, "%s: addr 0x%llx is "
			    "below the end of the entry before it, 0x%llx",
			    where, (unsigned long long)addr,
			    (unsigned long long)end);
		if (type == 0 || type > UINT32_MAX)
			return pv_fail(e, PV_EXIT_INPUT, "%s: type %llu",
			    where, (unsigned long long)type);
		end = addr + size;
		if (type != 1)
			continue;
		if ((addr | size) & (PV_PAGE_SIZE - 1) ||
		    end / PV_PAGE_SIZE > frames)
			return pv_fail(e, PV_EXIT_INPUT, "%s: RAM 0x%llx-0x%llx "
			    "is not whole frames of the machine's %llu", where,
			    (unsigned long long)addr, (unsigned long long)end,
			    (unsigned long long)frames);
		if (end > BOOT_PVH_MAX_RAM)
			return pv_fail(e, PV_EXIT_INPUT, "%s: RAM up to 0x%llx, "
			    "where boot runs PVH domains with RAM below 0x%llx",
			    where, (unsigned long long)end,
			    BOOT_PVH_MAX_RAM);
		ram += size / PV_PAGE_SIZE;
		p->ram_end = end;
	}
	if (ram != p->nr_pages)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: memory_map: %llu "
		    "pages of RAM, not nr_pages %llu", (unsigned long long)ram,
		    (unsigned long long)p->nr_pages);
	return 0;
}

int
boot_pvh_read(json_t *root, uint64_t frames, struct boot_pvh *p,
    struct pv_err *e)
{
	json_t *si;

	memset(p, 0, sizeof(*p));
	if (pj_get_uint(root, "domain.json: domain", "nr_pages", &p->nr_pages,
	    e) < 0 ||
	    pj_get_uint(root, "domain.json: domain", "vcpus", &p->vcpus,
	    e) < 0 ||
	    pj_get(root, "domain.json: domain", "start_info", JSON_OBJECT,
	    &si, e) < 0 ||
	    pj_get_hex(si, "domain.json: start_info", "gpa", &p->start_info,
	    e) < 0 ||
	    read_vcpu(root, p, e) < 0 || read_map(root, frames, p, e) < 0)
		return -1;
	if (p->vcpus == 0 || p->vcpus > BOOT_PVH_MAX_VCPUS)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpus %llu is "
		    "not in 1..%d", (unsigned long long)p->vcpus,
		    BOOT_PVH_MAX_VCPUS);
	/* The firmware borrows a word of it to load EFLAGS (pvh_rom.S). */
	if ((p->start_info & 3) != 0 || p->start_info / PV_PAGE_SIZE >= frames)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: start_info.gpa "
		    "0x%llx is not an aligned address of the machine's %llu "
		    "frames", (unsigned long long)p->start_info,
		    (unsigned long long)frames);
	return 0;
}
