/* SPDX-License-Identifier: ISC */
/*
 * hvrules.c: what a hypervisor enforces on a PV guest's initial state
 * (hvrules.h), checked on the plan before anything is built.
 *
 * The facts are Xen 4.17's: arch_set_info_guest (xen/arch/x86/domain.c)
 * for the vCPU, the validation of page tables in xen/arch/x86/mm.c and
 * pv/mm.h for the tables, and the public headers for the ABI's constants.
 * Where the stages always write one value, that value and what Xen would
 * take unchanged pass, and the rest is refused: a plan that finalize
 * builds is one Xen would build as it stands.
 */
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "hvrules.h"
#include "pt.h"
#include "xenhdr.h"

#define BAD(...) pv_fail(e, PV_EXIT_INPUT, __VA_ARGS__)
#define ULL(x) ((unsigned long long)(x))

/* EFLAGS (Intel SDM vol. 1, 3.4.3): the bits the vCPU rules look at. */
#define EFL_IF		0x00000200ULL
#define EFL_IOPL	0x00003000ULL
#define EFL_VM		0x00020000ULL
/* Every defined bit, bit 1 (always one) among them; the rest is reserved. */
#define EFL_DEFINED	0x003f7fd7ULL

/*
 * Xen 4.17 moves IOPL out of a PV guest's initial flags into its virtual
 * IOPL, sets IF, and clears VM on every entry to the guest: a plan asking
 * for I/O privilege, interrupts off or virtual-8086 mode would be quietly
 * changed, and reserved bits mean nothing any CPU runs.
 */
static int
check_flags(const struct plan_vcpu *v, struct pv_err *e)
{
	if (v->flags & EFL_IOPL)
		return BAD("populate.vcpu.flags: IOPL %llu in 0x%llx: Xen 4.17 "
		    "starts a PV domU at IOPL 0 (its I/O privilege is granted "
		    "by hypercall, not by the initial flags)",
		    ULL((v->flags & EFL_IOPL) >> 12), ULL(v->flags));
	if (!(v->flags & EFL_IF))
		return BAD("populate.vcpu.flags: 0x%llx has interrupts off (no "
		    "IF), which Xen 4.17 turns on in every PV guest",
		    ULL(v->flags));
	if (v->flags & EFL_VM)
		return BAD("populate.vcpu.flags: 0x%llx asks for virtual-8086 "
		    "mode (VM), which Xen 4.17 clears on every entry to a PV "
		    "guest", ULL(v->flags));
	if (v->flags & ~EFL_DEFINED)
		return BAD("populate.vcpu.flags: 0x%llx sets reserved bits "
		    "0x%llx", ULL(v->flags), ULL(v->flags & ~EFL_DEFINED));
	return 0;
}

/*
 * Xen 4.17 raises the RPL of a PV guest's code and stack selectors to its
 * kernel ring (fixup_guest_code_selector, fixup_guest_stack_selector: ring
 * 1 for 32-bit guests, ring 3 for 64-bit ones), so a ring-0 selector such
 * as Xen's own 0xe008 is quietly changed, or names a segment the guest
 * must not have. The selectors a builder gives are the ABI's flat kernel
 * ones (<xen/arch-x86/xen-x86_32.h>, xen-x86_64.h: FLAT_RING1_CS and
 * FLAT_RING1_SS, FLAT_RING3_CS64 and FLAT_RING3_SS64; xen-1.3's
 * X13_FLAT_CS and X13_FLAT_DS), and nothing else is accepted. A data
 * segment may also be the flat stack selector or null (0), which the
 * CPU loads without a descriptor; the trap and callback code selectors of
 * xen-3.0 may be 0, "none yet", as Xen 4.17's builder leaves them until the
 * guest registers its handlers.
 */
enum sel_kind { SEL_CODE, SEL_HANDLER, SEL_STACK, SEL_DATA };

static int
sel_ok(const struct abi *abi, enum sel_kind kind, uint64_t sel)
{
	switch (kind) {
	case SEL_CODE:
		return sel == abi->cs;
	case SEL_HANDLER:
		return sel == abi->cs || (abi->ops->null_callback_cs &&
		    sel == 0);
	case SEL_STACK:
		return sel == abi->ss;
	default:
		return sel == abi->ds || sel == abi->ss || sel == 0;
	}
}

static int
check_selectors(const struct abi *abi, const struct plan_vcpu *v,
    struct pv_err *e)
{
	static const char *const want[] = {
		[SEL_CODE] = "the flat code selector",
		[SEL_HANDLER] = "the flat code selector (or 0 for xen-3.0)",
		[SEL_STACK] = "the flat stack selector",
		[SEL_DATA] = "a flat data or stack selector or null (0)",
	};
	const struct {
		const char *name;
		uint64_t sel;
		enum sel_kind kind;
	} s[] = {
		{ "cs", v->cs, SEL_CODE },
		{ "trap_cs", v->trap_cs, SEL_HANDLER },
		{ "callback_cs", v->callback_cs, SEL_HANDLER },
		{ "ss", v->ss, SEL_STACK },
		{ "kernel_ss", v->kernel_ss, SEL_STACK },
		{ "ds", v->ds, SEL_DATA },
		{ "es", v->es, SEL_DATA },
		{ "fs", v->fs, SEL_DATA },
		{ "gs", v->gs, SEL_DATA },
	};
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (!sel_ok(abi, s[i].kind, s[i].sel))
			return BAD("populate.vcpu.%s: 0x%llx is not %s of %s's "
			    "ring %d (cs 0x%llx, ss 0x%llx, ds 0x%llx)",
			    s[i].name, ULL(s[i].sel), want[s[i].kind],
			    abi->name, (int)(abi->cs & 3),
			    ULL(abi->cs), ULL(abi->ss), ULL(abi->ds));
	return 0;
}

/*
 * Xen 4.17 refuses a vCPU 0 context asking for an assist it does not
 * offer the guest's width (arch_vm_assist_valid_mask: the type's
 * vm_assists). A xen-1.3 context has no vm_assist, so the plan's reader
 * leaves it 0 and it passes.
 */
static int
check_vm_assist(const struct abi *abi, const struct plan_vcpu *v,
    struct pv_err *e)
{
	uint64_t valid = abi->ops->vm_assists;

	if (v->vm_assist & ~valid)
		return BAD("populate.vcpu.vm_assist: 0x%llx asks for 0x%llx, "
		    "which Xen 4.17 does not offer a %s guest",
		    ULL(v->vm_assist), ULL(v->vm_assist & ~valid), abi->arch);
	return 0;
}

/*
 * start_info's flags tell the guest what it is. SIF_PRIVILEGED and
 * SIF_INITDOMAIN (<xen/xen.h>, the same bits in xen-1.3) make a guest
 * believe it is the control domain, and the power-management byte is
 * dom0's; a domU's builder sets only the type's start_info_flags
 * (Xen 4.17's xc_dom_x86.c: SIF_MOD_START_PFN and SIF_VIRT_P2M_4TOOLS;
 * xen-1.3's none).
 */
static int
check_start_info(const struct abi *abi, const struct plan_populate *pp,
    struct pv_err *e)
{
	uint64_t f = pp->start_info.flags;
	uint64_t allowed = abi->ops->start_info_flags;

	if (f & (SIF_PRIVILEGED | SIF_INITDOMAIN))
		return BAD("populate.start_info.flags: 0x%llx sets SIF_PRIVILEGED "
		    "or SIF_INITDOMAIN, the control domain's flags, which a "
		    "domU never has", ULL(f));
	if (f & ~allowed)
		return BAD("populate.start_info.flags: 0x%llx sets 0x%llx, which "
		    "a %s domU's builder never sets", ULL(f),
		    ULL(f & ~allowed), abi->name);
	return 0;
}

/* The page tables as a tree, walked from the top table. */
struct walk {
	const struct abi *abi;
	const struct plan_pagetables *pt;
	size_t nr, top;
	struct slot { uint64_t pfn; size_t table; } *by_pfn;
	unsigned *refs;		/* entries pointing at each table */
	uint64_t *base;		/* the first va each table maps */
	size_t *stack;		/* tables still to walk */
};

static int
cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* The index in pagetables.tables of the table at pfn, or nr. */
static size_t
table_of(const struct walk *w, uint64_t pfn)
{
	struct slot key = { .pfn = pfn }, *s;

	s = bsearch(&key, w->by_pfn, w->nr, sizeof(key), cmp_slot);
	return s == NULL ? w->nr : s->table;
}

/* A 48-bit address of an x86_64 table walk, sign-extended to canonical. */
static uint64_t
canonical(const struct abi *abi, uint64_t va)
{
	if (abi->va_bits == 48 && (va >> 47) & 1)
		va |= ~pt_va_mask(abi);
	return va;
}

/*
 * The flags an entry may carry, level by level. Xen 4.17's disallow masks
 * (mm.c: BASE_DISALLOW_MASK, L1/L2/L4_DISALLOW_MASK, and 0xFFFFF198 for a
 * 32-bit guest's L3) refuse PWT, PCD, PSE/PAT and, above L1, Global; its
 * adjust_guest_l*e (pv/mm.h) add User to a 64-bit guest's entries at every
 * level, Accessed to its L4 entries, and hide RW, User and Accessed of a
 * 32-bit guest's L3 from it. What passes here is what the stages write
 * (README: L1 Present, RW, Accessed; upper levels add Dirty and User; a
 * PAE L3 entry Present only) and Xen takes as it is, with Dirty and
 * Accessed, which the CPU sets itself. L1 is narrower than Xen: a User
 * page in the bootstrap region is the kernel's memory opened to the
 * guest's user space (Xen 4.17 maps it Global as a user page of a 64-bit
 * guest), and software bits and Global are no part of the contract.
 */
static int
check_entry_flags(const struct abi *abi, int level, uint64_t flags,
    const char *path, struct pv_err *e)
{
	uint64_t allowed, need = PTE_PRESENT;
	const char *what;

	if (level == 1) {
		allowed = PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY;
		what = "Present, RW, Accessed and Dirty of an L1 entry (User "
		    "would open the kernel's page to its user space; Xen 4.17 "
		    "refuses a domU's cache bits)";
	} else if (abi->levels == 3 && level == 3) {
		allowed = PTE_PRESENT;
		what = "Present of a PAE L3 entry (the CPU reserves RW, User, "
		    "Accessed and Dirty there; Xen 4.17 hides them from a "
		    "32-bit guest and refuses PWT and PCD)";
	} else {
		allowed = X13_L2_PROT;
		what = "Present, RW, User, Accessed and Dirty of an upper entry "
		    "(Xen 4.17 refuses PWT, PCD, PSE and Global there)";
		if (abi->ops->upper_user)
			need |= PTE_USER | (level == 4 ? PTE_ACCESSED : 0);
	}
	if (flags & ~allowed)
		return BAD("%s.flags: 0x%llx sets 0x%llx, beyond the %s", path,
		    ULL(flags), ULL(flags & ~allowed), what);
	if ((flags & need) != need)
		return BAD("%s.flags: 0x%llx lacks 0x%llx, which Xen 4.17 adds to "
		    "every present L%d entry of a 64-bit guest", path,
		    ULL(flags), ULL(need & ~flags), level);
	return 0;
}

/*
 * Is [va, va + size) in the hypervisor's area [hv_start, hv_end)? (abi.h:
 * xen-1.3's 0xfc000000 up; a 32-bit domU's from Xen 4.17's
 * __HYPERVISOR_COMPAT_VIRT_START, the first of its L2 slots in the table
 * L3 entry 3 names; x86_64's L4 slots 256 to 271 of <xen/arch-x86/
 * xen-x86_64.h>.) Xen overwrites those entries with its own, so a plan
 * that fills them builds a domain Xen would not.
 */
static int
in_hole(const struct abi *abi, uint64_t va, uint64_t size, int whole)
{
	uint64_t last = va + (size - 1);

	if (whole)
		return va >= abi->hv_start && last <= abi->hv_end - 1;
	return va <= abi->hv_end - 1 && last >= abi->hv_start;
}

/* One table's entries: flags, the hole, and the tables they point at. */
static int
walk_table(struct walk *w, size_t ti, size_t *depth, struct pv_err *e)
{
	const struct abi *abi = w->abi;
	const struct plan_table *t = &w->pt->tables[ti];
	unsigned shift = pt_shift(abi, t->level - 1);
	uint64_t va, k;
	size_t j, child;
	char path[96];

	for (j = 0; j < t->nr_maps; j++) {
		const struct plan_map *m = &t->maps[j];

		snprintf(path, sizeof(path), "pagetables.tables[%zu].maps[%zu]",
		    ti, j);
		if (check_entry_flags(abi, t->level, m->flags, path, e) < 0)
			return -1;
		va = canonical(abi, w->base[ti] + (m->index << shift));
		if (t->level == 1 && in_hole(abi, va, m->count << shift, 0))
			return BAD("%s.index: maps [0x%llx, 0x%llx), in the "
			    "hypervisor's area from 0x%llx", path, ULL(va),
			    ULL(va + (m->count << shift)), ULL(abi->hv_start));
		for (k = 0; t->level > 1 && k < m->count; k++) {
			va = canonical(abi, w->base[ti] +
			    ((m->index + k) << shift));
			if (in_hole(abi, va, 1ULL << shift, 1))
				return BAD("%s.index: entry %llu covers 0x%llx, "
				    "in the hypervisor's area from 0x%llx",
				    path, ULL(m->index + k), ULL(va),
				    ULL(abi->hv_start));
			/* parse_pagetables saw a table one level down. */
			child = table_of(w, m->pfn + k);
			if (child == w->nr || ++w->refs[child] > 1)
				return BAD("%s.pfn: table pfn %llu is "
				    "referenced again; Xen 4.17 types each "
				    "table for one place, and the stages "
				    "reference each exactly once", path,
				    ULL(m->pfn + k));
			w->base[child] = va;
			w->stack[(*depth)++] = child;
		}
	}
	return 0;
}

/*
 * The tables from the top: the top table listed (Xen 4.17 pins it as
 * cr3), every other table referenced exactly once, as the stages build
 * them (Xen types a table for one place: a second reference is a linear
 * page table, and a 32-bit guest's L2 under L3 entry 3 may be nowhere
 * else), and a PAE top table with entry 3, which Xen 4.17 requires.
 */
static int
walk_tables(struct walk *w, struct pv_err *e)
{
	const struct plan_pagetables *pt = w->pt;
	size_t i, depth = 0;

	for (i = 0; i < w->nr; i++) {
		w->by_pfn[i].pfn = pt->tables[i].pfn;
		w->by_pfn[i].table = i;
	}
	qsort(w->by_pfn, w->nr, sizeof(*w->by_pfn), cmp_slot);
	w->top = table_of(w, pt->top_pfn);
	if (w->top == w->nr)
		return BAD("pagetables.tables: the top-level table (pfn %llu) "
		    "is missing; Xen 4.17 pins it as the domain's cr3",
		    ULL(pt->top_pfn));
	w->stack[depth++] = w->top;
	while (depth > 0)
		if (walk_table(w, w->stack[--depth], &depth, e) < 0)
			return -1;
	for (i = 0; i < w->nr; i++)
		if (i != w->top && w->refs[i] == 0)
			return BAD("pagetables.tables[%zu]: pfn %llu is "
			    "referenced by no entry", i,
			    ULL(pt->tables[i].pfn));
	if (w->abi->levels == 3) {
		const struct plan_table *t = &pt->tables[w->top];

		for (i = 0; i < t->nr_maps; i++)
			if (t->maps[i].index + t->maps[i].count == 4)
				return 0;
		return BAD("pagetables.tables[%zu].maps: no L3 entry 3, which "
		    "Xen 4.17 requires of a 32-bit guest", w->top);
	}
	return 0;
}

/*
 * The pfn va maps to and whether the guest may write it (RW at every
 * level: a PAE L3 entry has no RW bit); -1 when va is not mapped.
 */
static int
translate(const struct walk *w, uint64_t va, uint64_t *pfn, int *writable)
{
	const struct abi *abi = w->abi;
	uint64_t idx, mask = (1ULL << abi->index_bits) - 1, target;
	size_t t = w->top, j;
	int l;

	*writable = 1;

	for (l = abi->levels; l >= 1; l--) {
		const struct plan_table *tb = &w->pt->tables[t];

		idx = (va >> pt_shift(abi, l - 1)) & mask;
		for (j = 0; j < tb->nr_maps; j++)
			if (idx >= tb->maps[j].index &&
			    idx - tb->maps[j].index < tb->maps[j].count)
				break;
		if (j == tb->nr_maps)
			return -1;
		target = tb->maps[j].pfn + (idx - tb->maps[j].index);
		if (!(abi->levels == 3 && l == 3) &&
		    !(tb->maps[j].flags & PTE_RW))
			*writable = 0;
		if (l == 1) {
			*pfn = target;
			return 0;
		}
		t = table_of(w, target);
	}
	return -1;
}

/*
 * The stack the guest starts on: its first push (a word below sp) must
 * land in a mapped, writable page of the bootstrap region; kernel_sp, the
 * stack Xen switches to on the guest's first trap, likewise. start_info
 * is where vcpu.si points: the guest finds it nowhere else.
 */
static int
check_stack_and_si(const struct walk *w, const struct plan *p,
    struct pv_err *e)
{
	const struct plan_layout *l = p->layout;
	const struct plan_vcpu *v = &p->populate->vcpu;
	const char *names[] = { "sp", "kernel_sp" };
	const uint64_t sps[] = { v->sp, v->kernel_sp };
	uint64_t word = w->abi->word, pfn;
	int i, writable;

	for (i = 0; i < 2; i++)
		if (sps[i] < l->v_start + word || sps[i] > l->v_end ||
		    translate(w, sps[i] - word, &pfn, &writable) < 0 ||
		    !writable)
			return BAD("populate.vcpu.%s: 0x%llx is no stack top in "
			    "the mapped, writable bootstrap region [0x%llx, "
			    "0x%llx)", names[i], ULL(sps[i]), ULL(l->v_start),
			    ULL(l->v_end));
	if (v->si != p->populate->start_info.va ||
	    translate(w, v->si, &pfn, &writable) < 0 ||
	    pfn != p->populate->start_info.pfn)
		return BAD("populate.vcpu.si: 0x%llx is not start_info, mapped "
		    "at 0x%llx to pfn %llu", ULL(v->si),
		    ULL(p->populate->start_info.va),
		    ULL(p->populate->start_info.pfn));
	return 0;
}

int
hvrules_check(const struct plan *p, struct pv_err *e)
{
	const struct abi *abi = p->elfinfo->abi;
	const struct plan_vcpu *v = &p->populate->vcpu;
	struct walk w = { .abi = abi, .pt = p->pagetables };
	int rc = -1;

	/*
	 * These are PV's rules. A type whose populate member is held whole
	 * to its derivation (pvh) starts in the state its rules make.
	 */
	if (abi->ops->populate_whole != NULL)
		return 0;
	if (check_flags(v, e) < 0 || check_selectors(abi, v, e) < 0 ||
	    check_vm_assist(abi, v, e) < 0 ||
	    check_start_info(abi, p->populate, e) < 0)
		return -1;
	w.nr = p->pagetables->nr_tables;
	w.by_pfn = calloc(w.nr, sizeof(*w.by_pfn));
	w.refs = calloc(w.nr, sizeof(*w.refs));
	w.base = calloc(w.nr, sizeof(*w.base));
	w.stack = calloc(w.nr, sizeof(*w.stack));
	if (w.by_pfn == NULL || w.refs == NULL || w.base == NULL ||
	    w.stack == NULL)
		pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	else if (walk_tables(&w, e) == 0 && check_stack_and_si(&w, p, e) == 0)
		rc = 0;
	free(w.by_pfn);
	free(w.refs);
	free(w.base);
	free(w.stack);
	return rc;
}
