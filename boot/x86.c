/* SPDX-License-Identifier: ISC */
/*
 * x86.c: boot's hypervisor hole in an x86_64 domain (x86.h).
 *
 * Descriptor and page-table formats: Intel SDM vol. 3A, 3.4.5 (segment
 * descriptors), 4.5 (4-level paging), 6.14.1 (64-bit IDT gates), 7.7 (the
 * 64-bit TSS), 6.14.5 (the interrupt stack table), 19.5.2 (the I/O
 * permission bit map). The GDT's layout and the User bits follow Xen (the
 * FLAT_RING3_* selectors of <xen/arch-x86/xen-x86_64.h>; adjust_guest_l*e
 * of its x86_64 PV memory management).
 */
#include <stdlib.h>
#include <string.h>

#include "ports.h"
#include "rom.h"
#include "x86.h"
#include "xenhdr.h"

/* Page-table entry bits (SDM 4.5). */
#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_US		0x004ULL
#define PTE_A		0x020ULL
#define PTE_D		0x040ULL
#define PTE_PS		0x080ULL
#define PTE_ADDR	0x000ffffffffff000ULL

/* Boot's frames, from BOOT_HOLE_FIRST_FRAME on. */
enum {
	F_L3, F_L2, F_L1, F_ZERO, F_GDT, F_IDT, F_TSS, F_STUBS, F_STACK, NR_F
};

/*
 * Pages of the hole from its first address: a GDT as long as Xen's, whose
 * first 14 pages (the guest's own GDT frames under Xen, none here) map
 * one zero frame and whose 15th holds Xen's reserved entries; then the IDT,
 * the TSS, the stubs, an unmapped page that catches a stub overrunning its
 * stack, and the stack.
 */
#define GDT_PAGES	15
enum {
	P_GDT = 0, P_IDT = GDT_PAGES, P_TSS, P_STUBS, P_GUARD, P_STACK
};

#define STUB_SIZE	8
#define TSS_SIZE	104
#define TSS_RSP0	4
#define TSS_IST1	36
#define TSS_IOMAP	102		/* offset of the I/O map base */
#define IOMAP_BYTES	32		/* ports 0..255, then 0xff */

/* Ports the guest may use from ring 3 (ports.h). */
static const uint16_t guest_ports[] = {
	BOOT_PORT_CONSOLE, BOOT_PORT_VERDICT, BOOT_PORT_CALL,
};

_Static_assert(NR_F == BOOT_HOLE_FRAMES, "x86.h counts the frames");
_Static_assert(BOOT_HOLE_FIRST_FRAME + NR_F <= QF_PARAM,
    "the QEMU path's frames are after these");
_Static_assert(HOLE64_DATA == HYPERVISOR_VIRT_START + (P_STACK + 1) * 4096 &&
    HOLE64_PARAM == HOLE64_DATA + 4096 && HOLE64_ROM + ROM_SIZE <=
    HYPERVISOR_VIRT_START + (512 << 12), "rom.h's hole pages fit");
_Static_assert(BOOT_X64_TR + 16 <= GDT_PAGES * 4096, "the GDT holds the TSS");

static uint8_t *
frame(struct boot_domain *d, unsigned f)
{
	return d->mem + (uint64_t)(BOOT_HOLE_FIRST_FRAME + f) * PV_PAGE_SIZE;
}

static uint8_t *
qframe(struct boot_domain *d, uint64_t f)
{
	return d->mem + f * PV_PAGE_SIZE;
}

static uint64_t
frame_addr(unsigned f)
{
	return (uint64_t)(BOOT_HOLE_FIRST_FRAME + f) << PV_PAGE_SHIFT;
}

static int
is_boot_frame(uint64_t mfn)
{
	return mfn >= BOOT_HOLE_FIRST_FRAME &&
	    mfn < BOOT_HOLE_FIRST_FRAME + NR_F;
}

/*
 * The descriptors of boot's GDT (in its last page, as Xen's reserved
 * entries are): selector, access byte (P, DPL, S, type) and flags nibble
 * (G, D/B, L). Accessed is set from the start: the page is read-only and
 * the CPU would otherwise write the bit when it loads a selector.
 */
static const struct {
	uint16_t selector;
	uint8_t access, flags;
} gdt_entries[] = {
	{ BOOT_X64_HV_CS, 0x9b, 0xa },		/* ring 0, 64-bit code */
	{ BOOT_X64_HV_DS, 0x93, 0xc },		/* ring 0, data */
	{ FLAT_RING3_CS32, 0xfb, 0xc },		/* ring 3, 32-bit code */
	{ FLAT_RING3_DS32, 0xf3, 0xc },		/* ring 3, data (SS) */
	{ FLAT_RING3_CS64, 0xfb, 0xa },		/* ring 3, 64-bit code */
};

static void
build_gdt(uint8_t *page, uint64_t tss_va, uint16_t tss_limit)
{
	const unsigned base = (GDT_PAGES - 1) * PV_PAGE_SIZE;
	size_t i;

	memset(page, 0, PV_PAGE_SIZE);
	for (i = 0; i < sizeof(gdt_entries) / sizeof(gdt_entries[0]); i++)
		pv_put64(page + (gdt_entries[i].selector & ~7u) - base, 0xffffULL |
		    (uint64_t)gdt_entries[i].access << 40 | 0xfULL << 48 |
		    (uint64_t)gdt_entries[i].flags << 52);
	/* A 16-byte system descriptor: busy 64-bit TSS (type 0xb), P. */
	pv_put64(page + BOOT_X64_TR - base, tss_limit |
	    (tss_va & 0xffffff) << 16 | 0x8bULL << 40 |
	    ((tss_va >> 24) & 0xff) << 56);
	pv_put64(page + BOOT_X64_TR + 8 - base, tss_va >> 32);
}

/*
 * The descriptor of boot's GDT that `selector` names, for a guest segment
 * register: `code` asks for CS (64-bit code), else a data segment or, for
 * DS/ES/FS/GS only (`null_ok`), the null selector. Returns 0, or -1 with
 * *why set.
 */
static int
segment(uint64_t selector, int code, int null_ok, struct boot_segment *s,
    const char **why)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	if (selector == 0 && null_ok)
		return 0;
	if (selector > 0xffff || (selector & 3) != 3) {
		*why = "is not a ring-3 selector";
		return -1;
	}
	for (i = 0; i < sizeof(gdt_entries) / sizeof(gdt_entries[0]); i++) {
		if (gdt_entries[i].selector != selector)
			continue;
		s->selector = (uint16_t)selector;
		s->type = gdt_entries[i].access & 0xf;
		s->s = 1;
		s->dpl = (gdt_entries[i].access >> 5) & 3;
		s->present = 1;
		s->l = (gdt_entries[i].flags >> 1) & 1;
		s->db = (gdt_entries[i].flags >> 2) & 1;
		s->g = 1;
		if (s->dpl != 3) {
			*why = "names a ring-0 descriptor";
			return -1;
		}
		if (code && !((s->type & 8) && s->l)) {
			*why = "is not a 64-bit code segment";
			return -1;
		}
		if (!code && (s->type & 8)) {
			*why = "is a code segment";
			return -1;
		}
		return 0;
	}
	*why = "names no descriptor of the GDT (Xen's: FLAT_RING3_CS64 "
	    "0xe033, FLAT_RING3_SS64 0xe02b)";
	return -1;
}

int
boot_x64_segments(const struct boot_vcpu *v, struct boot_segment *seg,
    struct pv_err *e)
{
	const struct {
		const char *name;
		uint64_t selector;
	} regs[BOOT_NR_SEGS] = {
		[BOOT_SEG_CS] = { "cs", v->cs }, [BOOT_SEG_SS] = { "ss", v->ss },
		[BOOT_SEG_DS] = { "ds", v->ds }, [BOOT_SEG_ES] = { "es", v->es },
		[BOOT_SEG_FS] = { "fs", v->fs }, [BOOT_SEG_GS] = { "gs", v->gs },
	};
	const char *why;
	unsigned i;

	for (i = 0; i < BOOT_NR_SEGS; i++)
		if (segment(regs[i].selector, i == BOOT_SEG_CS,
		    i != BOOT_SEG_CS && i != BOOT_SEG_SS, &seg[i], &why) < 0)
			return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.%s "
			    "0x%llx %s", regs[i].name,
			    (unsigned long long)regs[i].selector, why);
	return 0;
}

/*
 * Each stub (8 bytes): push %rax; mov $vector, %al; out %al, $FAULT;
 * then hlt forever. Boot acts on the out, and finds the guest's rax and
 * the CPU's frame on the stub stack.
 */
static void
build_stubs(uint8_t *stubs)
{
	unsigned v;
	uint8_t *s;

	memset(stubs, 0xcc, PV_PAGE_SIZE);
	for (v = 0; v < 256; v++) {
		s = stubs + STUB_SIZE * v;
		s[0] = 0x50;			/* push %rax */
		s[1] = 0xb0;			/* mov $v, %al */
		s[2] = (uint8_t)v;
		s[3] = 0xe6;			/* out %al, $BOOT_PORT_FAULT */
		s[4] = BOOT_PORT_FAULT;
		s[5] = 0xf4;			/* hlt */
		s[6] = 0xeb;			/* jmp .-3 (the hlt) */
		s[7] = 0xfd;
	}
}

/* 64-bit interrupt gates (type 0xe, P, DPL 0) on IST1, one per vector. */
static void
build_idt(uint8_t *idt, uint64_t stubs_va, unsigned stub_size)
{
	uint64_t off;
	unsigned v;

	for (v = 0; v < 256; v++) {
		off = stubs_va + (uint64_t)stub_size * v;
		pv_put64(idt + 16 * v, (off & 0xffff) |
		    (uint64_t)BOOT_X64_HV_CS << 16 | 1ULL << 32 |
		    0x8eULL << 40 | ((off >> 16) & 0xffff) << 48);
		pv_put64(idt + 16 * v + 8, off >> 32);
	}
}

static void
build_tss(uint8_t *tss, uint64_t stack_top)
{
	size_t i;

	pv_put64(tss + TSS_RSP0, stack_top);
	pv_put64(tss + TSS_IST1, stack_top);
	tss[TSS_IOMAP] = TSS_SIZE;
	/* A set bit refuses the port; the byte after the map ends it. */
	memset(tss + TSS_SIZE, 0xff, IOMAP_BYTES + 1);
	for (i = 0; i < sizeof(guest_ports) / sizeof(guest_ports[0]); i++)
		tss[TSS_SIZE + guest_ports[i] / 8] &=
		    (uint8_t)~(1u << (guest_ports[i] % 8));
}

/*
 * As Xen's pinning does for a 64-bit PV guest, whose kernel runs in ring
 * 3: every present entry of the guest's tables gets the User bit. Each
 * table is visited once (a damaged tree may share or loop); frames beyond
 * the machine and boot's own are not followed.
 */
static void
user_bits(struct boot_domain *d, const struct boot_hole *h, uint64_t mfn,
    int level, uint8_t *seen)
{
	unsigned first_hv = h->l4_slot, end_hv = h->l4_slot + 16, i;
	uint8_t *t = d->mem + mfn * PV_PAGE_SIZE;
	uint64_t pte, next;

	seen[mfn / 8] |= (uint8_t)(1u << (mfn % 8));
	for (i = 0; i < 512; i++) {
		if (level == 4 && i >= first_hv && i < end_hv)
			continue;
		pte = pv_get64(t + 8 * i);
		if (!(pte & PTE_P))
			continue;
		pv_put64(t + 8 * i, pte | PTE_US);
		next = (pte & PTE_ADDR) >> PV_PAGE_SHIFT;
		if (level == 1 || (level <= 3 && (pte & PTE_PS)) ||
		    next >= d->frames || is_boot_frame(next) ||
		    (seen[next / 8] & (1u << (next % 8))))
			continue;
		user_bits(d, h, next, level - 1, seen);
	}
}

int
boot_x64_hole_build(struct boot_domain *d, struct boot_hole *h,
    struct pv_err *e)
{
	const uint64_t base = d->abi->hv_start;
	const uint64_t upper = PTE_P | PTE_RW | PTE_A | PTE_D;
	const uint64_t ro = PTE_P | PTE_A;
	uint64_t cr3_frame = d->vcpu.cr3 >> PV_PAGE_SHIFT, stack_top;
	uint8_t *l1, *seen;
	unsigned i;

	if (d->paging->mode != MODE_LONG)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: no x86_64 hole",
		    d->abi->name);
	if (d->reserved_frames < BOOT_HOLE_FIRST_FRAME + NR_F)
		return pv_fail(e, PV_EXIT_SYSTEM, "the machine reserves %llu "
		    "frames; boot needs %d", (unsigned long long)
		    d->reserved_frames, BOOT_HOLE_FIRST_FRAME + NR_F);
	if (is_boot_frame(cr3_frame))
		return pv_fail(e, PV_EXIT_INPUT, "vcpu.cr3 0x%llx is one of "
		    "the frames boot keeps for itself",
		    (unsigned long long)d->vcpu.cr3);

	for (i = 0; i < NR_F; i++)
		memset(frame(d, i), 0, PV_PAGE_SIZE);
	h->l4_slot = (unsigned)(base >> 39) & 511;
	h->gdt_va = base + P_GDT * PV_PAGE_SIZE;
	h->idt_va = base + P_IDT * PV_PAGE_SIZE;
	h->tss_va = base + P_TSS * PV_PAGE_SIZE;
	h->gdt_limit = BOOT_X64_TR + 16 - 1;
	h->idt_limit = 256 * 16 - 1;
	h->tss_limit = TSS_SIZE + IOMAP_BYTES;
	h->stack_frame = BOOT_HOLE_FIRST_FRAME + F_STACK;
	stack_top = base + (P_STACK + 1) * PV_PAGE_SIZE;

	/* The hole's first 2 MiB: one L3, L2 and L1 entry each. */
	pv_put64(frame(d, F_L3) + 8 * ((base >> 30) & 511),
	    frame_addr(F_L2) | upper);
	pv_put64(frame(d, F_L2) + 8 * ((base >> 21) & 511),
	    frame_addr(F_L1) | upper);
	l1 = frame(d, F_L1);
	for (i = 0; i < GDT_PAGES - 1; i++)
		pv_put64(l1 + 8 * (P_GDT + i), frame_addr(F_ZERO) | ro);
	pv_put64(l1 + 8 * (P_GDT + GDT_PAGES - 1), frame_addr(F_GDT) | ro);
	pv_put64(l1 + 8 * P_IDT, frame_addr(F_IDT) | ro);
	pv_put64(l1 + 8 * P_TSS, frame_addr(F_TSS) | ro);
	pv_put64(l1 + 8 * P_STUBS, frame_addr(F_STUBS) | ro);
	pv_put64(l1 + 8 * P_STACK, frame_addr(F_STACK) | upper);

	build_gdt(frame(d, F_GDT), h->tss_va, h->tss_limit);
	build_idt(frame(d, F_IDT), base + P_STUBS * PV_PAGE_SIZE, STUB_SIZE);
	build_tss(frame(d, F_TSS), stack_top);
	build_stubs(frame(d, F_STUBS));

	if ((seen = calloc(1, (size_t)(d->frames / 8 + 1))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	user_bits(d, h, cr3_frame, 4, seen);
	free(seen);
	/* As Xen fills its slots of every guest L4 (ring 0 only: no User). */
	pv_put64(d->mem + cr3_frame * PV_PAGE_SIZE + 8 * h->l4_slot,
	    frame_addr(F_L3) | upper);
	return 0;
}

int
boot_x64_translate(const struct boot_domain *d, uint64_t va, int write,
    uint64_t *maddr)
{
	const uint64_t need = PTE_P | PTE_US | (write ? PTE_RW : 0);
	uint64_t mfn = d->vcpu.cr3 >> PV_PAGE_SHIFT, pte;
	int level;

	/* Canonical: bits 63..47 all equal. */
	if ((uint64_t)((int64_t)(va << 16) >> 16) != va)
		return -1;
	for (level = 4; level >= 1; level--) {
		if (mfn >= d->frames)
			return -1;
		pte = pv_get64(d->mem + mfn * PV_PAGE_SIZE +
		    8 * ((va >> (12 + 9 * (level - 1))) & 511));
		if ((pte & need) != need || (level > 1 && (pte & PTE_PS)))
			return -1;
		mfn = (pte & PTE_ADDR) >> PV_PAGE_SHIFT;
	}
	if (mfn >= d->frames)
		return -1;
	*maddr = mfn << PV_PAGE_SHIFT | (va & (PV_PAGE_SIZE - 1));
	return 0;
}

/*
 * The QEMU path's changes to the hole boot_x64_hole_build made (rom.h):
 * the IDT's gates go to the firmware's 64-bit handlers, mapped from the ROM
 * into the hole; the TSS lets the guest reach only the console port, so
 * that the verdict and call ports fault into the handlers, which emulate
 * them; the TSS descriptor is left available and its GDT page writable, as
 * the firmware loads TR with ltr; the handlers' data and the parameter
 * page are mapped; L4 slot 257 maps the whole machine with 2 MiB pages,
 * for BOOT_CALL_FRAME, as Xen's direct map does; and boot's own L4, in
 * QF_TRAMP, maps the ROM at its physical address beside the hole, for the
 * switch to long mode.
 */
int
boot_x64_hole_qemu(struct boot_domain *d, const struct boot_hole *h,
    struct pv_err *e)
{
	const uint64_t upper = PTE_P | PTE_RW | PTE_A | PTE_D;
	const uint64_t ro = PTE_P | PTE_A;
	const uint64_t base = d->abi->hv_start;
	uint64_t gib = (d->mem_size + (1ULL << 30) - 1) >> 30, i, j;
	uint8_t *l1 = frame(d, F_L1), *gdt = frame(d, F_GDT);
	uint8_t *tss = frame(d, F_TSS), *cr3 = d->mem + d->vcpu.cr3;
	uint8_t *t4, *t3, *t2, *t1;

	if (gib > QF_DIRECT_L2_MAX)
		return pv_fail(e, PV_EXIT_SYSTEM, "the machine's %llu frames "
		    "are more than boot maps for QEMU", (unsigned long long)
		    d->frames);
	if (pv_get64(cr3 + 8 * (h->l4_slot + 1)) != 0)
		return pv_fail(e, PV_EXIT_INPUT, "the domain's L4 entry %u, in "
		    "the hypervisor's hole, is not empty", h->l4_slot + 1);
	build_idt(frame(d, F_IDT), HOLE64_ROM + ROM_STUBS64, ROM_STUB_SIZE);
	pv_put64(gdt + BOOT_X64_TR - (GDT_PAGES - 1) * PV_PAGE_SIZE,
	    pv_get64(gdt + BOOT_X64_TR - (GDT_PAGES - 1) * PV_PAGE_SIZE) &
	    ~(0x2ULL << 40));			/* busy 0xb -> available 0x9 */
	pv_put64(l1 + 8 * (P_GDT + GDT_PAGES - 1), frame_addr(F_GDT) | upper);
	memset(tss + TSS_SIZE, 0xff, IOMAP_BYTES + 1);
	tss[TSS_SIZE + BOOT_PORT_CONSOLE / 8] &=
	    (uint8_t)~(1u << (BOOT_PORT_CONSOLE % 8));
	pv_put64(l1 + 8 * ((HOLE64_DATA - base) >> PV_PAGE_SHIFT),
	    (uint64_t)QF_DATA << PV_PAGE_SHIFT | upper);
	pv_put64(l1 + 8 * ((HOLE64_PARAM - base) >> PV_PAGE_SHIFT),
	    (uint64_t)QF_PARAM << PV_PAGE_SHIFT | ro);
	for (i = 0; i < ROM_SIZE / PV_PAGE_SIZE; i++)
		pv_put64(l1 + 8 * (((HOLE64_ROM - base) >> PV_PAGE_SHIFT) + i),
		    (ROM_BASE + i * PV_PAGE_SIZE) | ro);

	/* The direct map: slot 257, machine address 0 up, 2 MiB pages. */
	for (i = 0; i < gib; i++) {
		pv_put64(qframe(d, QF_DIRECT_L3) + 8 * i,
		    (uint64_t)(QF_DIRECT_L2 + i) << PV_PAGE_SHIFT | upper);
		for (j = 0; j < 512; j++)
			pv_put64(qframe(d, QF_DIRECT_L2 + i) + 8 * j,
			    (i << 30 | j << 21) | upper | PTE_PS);
	}
	pv_put64(cr3 + 8 * (h->l4_slot + 1),
	    (uint64_t)QF_DIRECT_L3 << PV_PAGE_SHIFT | upper);

	/* Boot's own L4: the ROM where it is, and the hole. */
	t4 = qframe(d, QF_TRAMP);
	t3 = qframe(d, QF_TRAMP + 1);
	t2 = qframe(d, QF_TRAMP + 2);
	t1 = qframe(d, QF_TRAMP + 3);
	pv_put64(t4, (uint64_t)(QF_TRAMP + 1) << PV_PAGE_SHIFT | upper);
	pv_put64(t3 + 8 * ((ROM_BASE >> 30) & 511),
	    (uint64_t)(QF_TRAMP + 2) << PV_PAGE_SHIFT | upper);
	pv_put64(t2 + 8 * ((ROM_BASE >> 21) & 511),
	    (uint64_t)(QF_TRAMP + 3) << PV_PAGE_SHIFT | upper);
	for (i = 0; i < ROM_SIZE / PV_PAGE_SIZE; i++)
		pv_put64(t1 + 8 * (((ROM_BASE >> 12) & 511) + i),
		    (ROM_BASE + i * PV_PAGE_SIZE) | ro);
	pv_put64(t4 + 8 * h->l4_slot, pv_get64(cr3 + 8 * h->l4_slot));
	return 0;
}

int
boot_x86_has_error(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
	    v == 29 || v == 30;
}

void
boot_x64_fault(const struct boot_domain *d, const struct boot_hole *h,
    unsigned vector, struct boot_fault *f)
{
	/* The CPU pushed ss, rsp, rflags, cs, rip [, error]; the stub rax. */
	const uint8_t *top = d->mem + (h->stack_frame + 1) * PV_PAGE_SIZE;

	memset(f, 0, sizeof(*f));
	f->vector = vector;
	f->has_error = boot_x86_has_error(vector);
	f->ss = pv_get64(top - 8);
	f->rsp = pv_get64(top - 16);
	f->rflags = pv_get64(top - 24);
	f->cs = pv_get64(top - 32);
	f->rip = pv_get64(top - 40);
	if (f->has_error) {
		f->error = pv_get64(top - 48);
		f->rax = pv_get64(top - 56);
	} else {
		f->rax = pv_get64(top - 48);
	}
}

const char *
boot_x86_vector_name(unsigned v)
{
	static const char *const names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
		"#DF", "vector 9", "#TS", "#NP", "#SS", "#GP", "#PF",
		"vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};

	return v < 32 && names[v] != NULL ? names[v] : "an interrupt";
}
