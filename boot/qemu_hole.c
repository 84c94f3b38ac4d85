/* SPDX-License-Identifier: ISC */
/*
 * qemu_hole.c: boot's hypervisor hole for the QEMU path (qemu.h,
 * boot_qemu_prepare): the firmware's parameter page, and for a 32-bit
 * domain the hole itself; an x86_64 domain gets KVM's (x86.c), changed
 * for the firmware.
 *
 * The 32-bit hole follows Xen's on x86_32: boot's GDT entries where Xen
 * has its own (FLAT_GUESTOS_* of the seed, FLAT_RING1_* of
 * <xen/arch-x86/xen-x86_32.h>), the guest's ring-1 segments limited to
 * below the hole, as Xen limited them, and one L1 of boot's hooked into
 * the top-level table's last entry at the hole's top (2-level: L2 entry
 * 1023; PAE: entry 511 of the L2 that L3 entry 3 names), as Xen hooks its
 * own tables when it pins a guest's. Formats: Intel SDM vol. 3A, 3.4.5
 * (descriptors), 4.3 and 4.4 (32-bit and PAE paging), 6.11 (gates), 7.2.1
 * (the 32-bit TSS), 19.5.2 (the I/O permission map).
 */
#include <string.h>

#include "ports.h"
#include "qemu.h"
#include "rom.h"

#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_A		0x020ULL
#define PTE_D		0x040ULL
#define PTE_PS		0x080ULL
#define PTE_ADDR	0x000ffffffffff000ULL

#define CR0_PE		(1U << 0)
#define CR0_MP		(1U << 1)
#define CR0_ET		(1U << 4)
#define CR0_NE		(1U << 5)
#define CR0_WP		(1U << 16)
#define CR0_PG		(1U << 31)
#define CR4_PAE		(1U << 5)
#define CR4_OSFXSR	(1U << 9)
#define CR4_OSXMMEXCPT	(1U << 10)
#define EFER_LME	(1U << 8)
#define EFER_NXE	(1U << 11)
#define RFLAGS_IOPL	(3ULL << 12)

/*
 * QEMU's pc machine has RAM at guest-physical 0 up to 3.5 GiB when it has
 * no more than that; between 640 KiB and 1 MiB it shows VGA and ROM, so
 * the sim's reserved frames must cover the first MiB.
 */
#define QEMU_LOW_RAM_MAX	0xe0000000ULL
#define QEMU_LEGACY_END		0x100

#define TSS32_SIZE	104
#define TSS_IOMAP	102
#define IOMAP_BYTES	32		/* ports 0..255, then 0xff */

static uint8_t *
qframe(struct boot_domain *d, uint64_t f)
{
	return d->mem + f * PV_PAGE_SIZE;
}

/* A code or data descriptor: base 0, limit in 4 KiB units (SDM 3.4.5). */
static uint64_t
descriptor(uint32_t pages, uint8_t access, uint8_t flags)
{
	uint64_t limit = pages - 1;

	return (limit & 0xffff) | (uint64_t)access << 40 |
	    ((limit >> 16) & 0xf) << 48 | (uint64_t)flags << 52;
}

/*
 * The vCPU's registers the firmware loads (PARAM_*), by domain.json's
 * names: the selectors first (NR_SELECTORS, in x86.h's BOOT_SEG_* order),
 * then the rest in the order they are checked.
 */
struct param_reg {
	const char *name;
	unsigned param;
	uint64_t value;
};

#define NR_SELECTORS	BOOT_NR_SEGS
#define NR_PARAM_REGS	16

static void
param_regs(const struct boot_vcpu *v, struct param_reg *r)
{
	const struct param_reg regs[NR_PARAM_REGS] = {
		{ "cs", PARAM_CS, v->cs }, { "ss", PARAM_SS, v->ss },
		{ "ds", PARAM_DS, v->ds }, { "es", PARAM_ES, v->es },
		{ "fs", PARAM_FS, v->fs }, { "gs", PARAM_GS, v->gs },
		{ "ip", PARAM_IP, v->ip }, { "sp", PARAM_SP, v->sp },
		{ "si", PARAM_SI, v->si }, { "flags", PARAM_FLAGS, v->flags },
		{ "ax", PARAM_AX, v->ax }, { "bx", PARAM_BX, v->bx },
		{ "cx", PARAM_CX, v->cx }, { "dx", PARAM_DX, v->dx },
		{ "di", PARAM_DI, v->di }, { "bp", PARAM_BP, v->bp },
	};

	memcpy(r, regs, sizeof(regs));
}

/*
 * A 32-bit domain's registers: each must fit 32 bits, and the selectors
 * be the ABI's, ring 1 (es, fs and gs may be null).
 */
static int
check_regs32(const struct boot_domain *d, struct pv_err *e)
{
	struct param_reg r[NR_PARAM_REGS];
	uint64_t want;
	unsigned i;

	param_regs(&d->vcpu, r);
	for (i = NR_SELECTORS; i < NR_PARAM_REGS; i++)
		if (r[i].value >> 32 != 0)
			return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.%s "
			    "0x%llx does not fit a 32-bit register",
			    r[i].name, (unsigned long long)r[i].value);
	for (i = 0; i < NR_SELECTORS; i++) {
		want = i == BOOT_SEG_CS ? d->abi->cs : i == BOOT_SEG_SS ?
		    d->abi->ss : d->abi->ds;
		if (r[i].value != want && !(i >= BOOT_SEG_ES && r[i].value == 0))
			return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.%s "
			    "0x%llx is not %s's ring-1 selector 0x%llx",
			    r[i].name, (unsigned long long)r[i].value,
			    d->abi->name, (unsigned long long)want);
	}
	return 0;
}

/*
 * The registers into the parameter page; IOPL 0 whatever domain.json
 * says: the TSS's I/O map, not the flags, decides which ports the guest
 * reaches (Xen, too, grants I/O privilege by hypercall, not by the
 * initial flags).
 */
static void
put_regs(uint8_t *param, const struct boot_vcpu *v)
{
	struct param_reg r[NR_PARAM_REGS];
	unsigned i;

	param_regs(v, r);
	for (i = 0; i < NR_PARAM_REGS; i++)
		pv_put64(param + r[i].param, r[i].param == PARAM_FLAGS ?
		    (r[i].value & ~RFLAGS_IOPL) | 2 : r[i].value);
}

/* A GDTR or IDTR image for lgdt/lidt: the limit, then the base. */
static void
put_dtr(uint8_t *p, uint16_t limit, uint64_t base)
{
	p[0] = (uint8_t)limit;
	p[1] = (uint8_t)(limit >> 8);
	pv_put64(p + 2, base);
}

/* Entry `i` of a 32-bit mode's table: 8 bytes under PAE, else 4. */
static void
put_pte32(uint8_t *table, uint64_t i, uint64_t pte, int pae)
{
	if (pae)
		pv_put64(table + 8 * i, pte);
	else
		pv_put32(table + 4 * i, (uint32_t)pte);
}

/*
 * The TSS's I/O map: the guest reaches the console port itself; the
 * verdict and call ports fault into boot's handlers, which emulate them.
 */
static void
build_iomap(uint8_t *tss, unsigned tss_size)
{
	pv_put32(tss + TSS_IOMAP - 2, (uint32_t)tss_size << 16);
	memset(tss + tss_size, 0xff, IOMAP_BYTES + 1);
	tss[tss_size + BOOT_PORT_CONSOLE / 8] &=
	    (uint8_t)~(1u << (BOOT_PORT_CONSOLE % 8));
}

/* Where a 32-bit domain's top-level table takes boot's L1. */
static int
hook32(struct boot_domain *d, uint8_t **entry, struct pv_err *e)
{
	uint64_t cr3 = d->vcpu.cr3, l3e, l2;
	uint8_t *l3;

	if (d->paging->mode == MODE_2LEVEL) {
		*entry = d->mem + cr3 + 4 * 1023;
		if (pv_get32(*entry) != 0)
			goto busy;
		return 0;
	}
	l3 = d->mem + cr3;
	l3e = pv_get64(l3 + 8 * 3);
	l2 = (l3e & PTE_ADDR) >> PV_PAGE_SHIFT;
	if (!(l3e & PTE_P) || l2 >= d->frames || l2 < d->reserved_frames)
		return pv_fail(e, PV_EXIT_INPUT, "the domain's L3 entry 3 "
		    "(0x%llx) names no L2 of the machine for the hypervisor's "
		    "hole", (unsigned long long)l3e);
	*entry = qframe(d, l2) + 8 * 511;
	if (pv_get64(*entry) != 0)
		goto busy;
	return 0;
busy:
	return pv_fail(e, PV_EXIT_INPUT, "the domain maps the hypervisor's "
	    "hole: its top-level entry for 0x%x is not empty",
	    d->paging->hole_l1);
}

static int
prepare32(struct boot_domain *d, struct pv_err *e)
{
	const int pae = d->paging->mode == MODE_PAE;
	/* Xen's own selectors sit just below the guest's: 0x808, 0xe008. */
	const uint32_t sel_base = (uint32_t)d->abi->cs & ~0xffU;
	const uint32_t sel_page = sel_base & ~0xfffU;
	const uint32_t hv_cs = sel_base + 0x08, hv_ds = sel_base + 0x10;
	const uint32_t tr = sel_base + 0x40;
	const uint32_t l1_base = d->paging->hole_l1;
	const uint32_t guest_pages = (uint32_t)(d->abi->hv_start >> 12);
	const struct {
		uint32_t va;
		uint64_t frame;
		int rw;
	} maps[] = {
		{ HOLE32_GDT, QF_GDT, 1 },	/* ltr marks the TSS busy */
		{ HOLE32_IDT, QF_IDT, 0 },
		{ HOLE32_TSS, QF_TSS, 0 },
		{ HOLE32_DATA, QF_DATA, 1 },
		{ HOLE32_PARAM, QF_PARAM, 0 },
		{ HOLE32_STACK, QF_STACK, 1 },
	};
	uint8_t *gdt, *idt, *tss, *l1, *param, *hook = NULL;
	uint64_t pte, off;
	unsigned i;

	if (check_regs32(d, e) < 0 || hook32(d, &hook, e) < 0)
		return -1;
	gdt = qframe(d, QF_GDT);
	idt = qframe(d, QF_IDT);
	tss = qframe(d, QF_TSS);
	l1 = qframe(d, QF_L1);
	param = qframe(d, QF_PARAM);

	/*
	 * Boot's ring-0 code and data, the TSS, and the guest's ring-1 code
	 * and data, limited to below the hole (accessed bits preset).
	 */
	pv_put64(gdt + (hv_cs & 0xfff), descriptor(0x100000, 0x9b, 0xc));
	pv_put64(gdt + (hv_ds & 0xfff), descriptor(0x100000, 0x93, 0xc));
	pv_put64(gdt + (d->abi->cs & 0xff8), descriptor(guest_pages, 0xbb, 0xc));
	pv_put64(gdt + (d->abi->ds & 0xff8), descriptor(guest_pages, 0xb3, 0xc));
	pv_put64(gdt + (tr & 0xfff), (TSS32_SIZE + IOMAP_BYTES) |
	    (uint64_t)(HOLE32_TSS & 0xffffff) << 16 | 0x89ULL << 40 |
	    (uint64_t)(HOLE32_TSS >> 24) << 56);
	/* 32-bit interrupt gates, DPL 0, to the ROM's stubs. */
	for (i = 0; i < 256; i++) {
		off = ROM_BASE + ROM_STUBS32 + ROM_STUB_SIZE * i;
		pv_put64(idt + 8 * i, (off & 0xffff) | (uint64_t)hv_cs << 16 |
		    0x8eULL << 40 | (off >> 16) << 48);
	}
	pv_put32(tss + 4, HOLE32_STACK_TOP);		/* esp0 */
	pv_put32(tss + 8, hv_ds);				/* ss0 */
	build_iomap(tss, TSS32_SIZE);

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		pte = maps[i].frame << PV_PAGE_SHIFT | PTE_P | PTE_A |
		    (maps[i].rw ? PTE_RW | PTE_D : 0);
		put_pte32(l1, (maps[i].va - l1_base) >> PV_PAGE_SHIFT, pte,
		    pae);
	}
	/* The ROM, at its own address: the firmware runs on under paging. */
	for (i = 0; i < ROM_SIZE / PV_PAGE_SIZE; i++) {
		pte = (ROM_BASE + i * PV_PAGE_SIZE) | PTE_P | PTE_A;
		put_pte32(l1, (ROM_BASE - l1_base) / PV_PAGE_SIZE + i, pte, pae);
	}
	put_pte32(hook, 0, (uint64_t)QF_L1 << PV_PAGE_SHIFT | PTE_P | PTE_RW |
	    PTE_A | PTE_D, pae);

	pv_put32(param + PARAM_MODE, d->paging->mode);
	pv_put32(param + PARAM_CR0, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP |
	    CR0_PG);
	pv_put32(param + PARAM_CR3, (uint32_t)d->vcpu.cr3);
	pv_put32(param + PARAM_CR4, pae ? CR4_PAE : 0);
	pv_put32(param + PARAM_EFER, pae ? EFER_NXE : 0);
	pv_put32(param + PARAM_TR, tr);
	/* Only the GDT's page with entries is mapped: the CPU reads no other. */
	put_dtr(param + PARAM_GDTR, (uint16_t)(sel_base + 0x47),
	    HOLE32_GDT - sel_page);
	put_dtr(param + PARAM_IDTR, 0x7ff, HOLE32_IDT);
	pv_put64(param + PARAM_STACK_TOP, HOLE32_STACK_TOP);
	put_regs(param, &d->vcpu);
	return 0;
}

/* An x86_64 domain: boot's KVM hole, changed for the firmware. */
static int
prepare64(struct boot_domain *d, struct pv_err *e)
{
	uint8_t *param = qframe(d, QF_PARAM), *data = qframe(d, QF_DATA);
	struct boot_segment seg[BOOT_NR_SEGS];
	struct boot_hole h;

	if (boot_x64_segments(&d->vcpu, seg, e) < 0)
		return -1;
	if (d->vcpu.cr3 >> 32 != 0)
		return pv_fail(e, PV_EXIT_INPUT, "vcpu.cr3 0x%llx is above "
		    "4 GiB", (unsigned long long)d->vcpu.cr3);
	if (boot_x64_hole_build(d, &h, e) < 0 ||
	    boot_x64_hole_qemu(d, &h, e) < 0)
		return -1;
	pv_put32(param + PARAM_MODE, MODE_LONG);
	pv_put32(param + PARAM_CR0, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP |
	    CR0_PG);
	pv_put32(param + PARAM_CR3, (uint32_t)d->vcpu.cr3);
	pv_put32(param + PARAM_CR4, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT);
	pv_put32(param + PARAM_EFER, EFER_LME | EFER_NXE);
	pv_put32(param + PARAM_TRAMP_CR3, QF_TRAMP << PV_PAGE_SHIFT);
	pv_put32(param + PARAM_TR, BOOT_X64_TR);
	put_dtr(param + PARAM_GDTR, h.gdt_limit, h.gdt_va);
	put_dtr(param + PARAM_IDTR, h.idt_limit, h.idt_va);
	pv_put64(param + PARAM_STACK_TOP, HOLE64_DATA);	/* the stack's top */
	put_regs(param, &d->vcpu);
	pv_put64(data + DATA_FRAMES, d->frames);
	pv_put64(data + DATA_RESERVED, d->reserved_frames);
	return 0;
}

int
boot_qemu_prepare(struct boot_domain *d, struct pv_err *e)
{
	uint64_t cr3_frame = d->vcpu.cr3 >> PV_PAGE_SHIFT, f;

	if (d->reserved_frames < QEMU_LEGACY_END)
		return pv_fail(e, PV_EXIT_SYSTEM, "the machine reserves %llu "
		    "frames; QEMU's machine shows ROM and VGA in frames 0xa0 "
		    "to 0xff, so boot needs the first %d reserved",
		    (unsigned long long)d->reserved_frames, QEMU_LEGACY_END);
	if (d->mem_size > QEMU_LOW_RAM_MAX)
		return pv_fail(e, PV_EXIT_SYSTEM, "the machine's %llu frames "
		    "are more than QEMU's pc machine keeps below 4 GiB",
		    (unsigned long long)d->frames);
	if (cr3_frame < d->reserved_frames)
		return pv_fail(e, PV_EXIT_INPUT, "vcpu.cr3 0x%llx is one of the "
		    "hypervisor's frames", (unsigned long long)d->vcpu.cr3);
	for (f = QF_PARAM; f < QF_END; f++)
		memset(qframe(d, f), 0, PV_PAGE_SIZE);
	switch (d->paging->mode) {
	case MODE_2LEVEL:
	case MODE_PAE:
		return prepare32(d, e);
	case MODE_LONG:
		return prepare64(d, e);
	default:
		break;
	}
	return pv_fail(e, PV_EXIT_SYSTEM, "%s: no QEMU entry", d->abi->name);
}
