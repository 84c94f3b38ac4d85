/* SPDX-License-Identifier: ISC */
/*
 * The C part of the x86_64 xen-3.0 test guests (x64-basic, x64-nop2m,
 * notes-sections): check the boot environment from the inside, one line
 * "check NAME ok" or "check NAME FAIL: reason" per check, then "PASS" or
 * "FAIL" and the verdict (0 or 1) on boot's verdict port.
 *
 * The guest runs as bin/boot runs it: in ring 3 as under Xen, on boot's
 * calls (boot/ports.h) for what a PV guest would ask Xen: an
 * exception handler, and a look at machine frames it does not map. What
 * it cannot know (its memory size, its initrd) the test passes on the
 * command line: expect_pages=N initrd_len=N [initrd_sum=HEX]
 * cmdline_sum=HEX, the last being the FNV-1a of the command line before
 * it, and initrd_sum that of the initrd's bytes.
 *
 * Built with X64_ON_XEN (x64-xen.elf) the same checks run on the real
 * hypervisor, which answers those calls (x64-xen.h), with the two
 * differences Xen makes: it emulates a guest's write to an L1 page-table
 * page (the write that must fault is one to a higher-level table) and
 * clears the user bit of the error code of a fault in guest kernel mode.
 *
 * Structures and constants are <xen/xen.h>'s; page-table bits the Intel
 * SDM's (vol. 3A, 4.5).
 */
#include <stdint.h>

#include <xen/xen.h>

#include "x64-check.h"

/* More than 1 MiB, all past the end of the file. Global, so it is kept. */
u8 x64_bss[XEN3_BSS_BYTES];

void	x64_main(const char *si);
void	x64_unexpected(u64 vector, u64 error, u64 addr, u64 rip)
	    __attribute__((noreturn));

/* Probes and the exception handler (boot's BOOT_CALL_TRAPS), below. */
int	x64_probe_read(const volatile void *p, u64 *out);
int	x64_probe_write(volatile void *p);
void	x64_trap(void);
volatile u64 x64_trap_vector, x64_trap_error, x64_trap_addr;

/*
 * x64_probe_read(p, out) and x64_probe_write(p) touch one word (read it,
 * or rewrite a byte unchanged) and return 0, or 1 if that faulted: boot
 * resumes x64_trap on the probe's stack, which sees the faulting rip is a
 * probe's and returns 1 from it. Any other exception is reported and
 * fails the run.
 */
__asm__(
"	.text\n"
"	.globl	x64_probe_read\n"
"x64_probe_read:\n"
"	xorl	%eax, %eax\n"
"x64_probe_read_insn:\n"
"	movq	(%rdi), %rcx\n"
"	movq	%rcx, (%rsi)\n"
"	ret\n"
"	.globl	x64_probe_write\n"
"x64_probe_write:\n"
"	xorl	%eax, %eax\n"
"x64_probe_write_insn:\n"
"	orb	$0, (%rdi)\n"
"	ret\n"
"x64_probe_fixup:\n"
"	movl	$1, %eax\n"
"	ret\n"
"	.globl	x64_trap\n"
"x64_trap:\n"
"	movq	%rdi, x64_trap_vector(%rip)\n"
"	movq	%rsi, x64_trap_error(%rip)\n"
"	movq	%rdx, x64_trap_addr(%rip)\n"
"	leaq	x64_probe_read_insn(%rip), %rax\n"
"	cmpq	%rax, %rcx\n"
"	je	x64_probe_fixup\n"
"	leaq	x64_probe_write_insn(%rip), %rax\n"
"	cmpq	%rax, %rcx\n"
"	je	x64_probe_fixup\n"
"	andq	$-16, %rsp\n"
"	call	x64_unexpected\n"
);

#define PAGE		4096ULL
#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_PS		0x080ULL
#define PTE_ADDR	0x000ffffffffff000ULL
#define PF_P		0x1ULL	/* #PF error code: protection violation */
#define PF_W		0x2ULL	/* ... on a write */
#define PF_U		0x4ULL	/* ... in ring 3 */

/* The hypervisor's L4 slots (Xen's hole, where boot maps itself). */
#define HV_SLOT_FIRST	256
#define HV_SLOT_END	272

/* Caps: far above what a test domain has, so loops stay bounded. */
#define MAX_PT_FRAMES	512
#define MAX_P2M_TABLES	512
#define MAX_TABLES	(MAX_PT_FRAMES + MAX_P2M_TABLES)

/*
 * Σ (i + 1) · xen3_pattern[i] over the pattern, as the compiler computes
 * it from the pattern's definition (xen3.h): the data's checksum, fixed at
 * build time. Σ (i + 1)(B + i) = B·n(n+1)/2 + (n-1)n(n+1)/3.
 */
#define PAT_N		((u64)XEN3_PATTERN_WORDS)
#define PAT_B		((u64)XEN3_PATTERN_BASE)
#define DATA_SUM	(PAT_B * PAT_N * (PAT_N + 1) / 2 + \
			 (PAT_N - 1) * PAT_N * (PAT_N + 1) / 3)

/* What the guest learns, check by check. */
static const start_info_t *si;
static u64 entry_rsp;
static int leaf_bad;
static u64 expect_pages, initrd_len, initrd_sum;
static u64 v_start = X64_VIRT_BASE;
static u64 region_pages;		/* the mapped bootstrap region */
static u64 pt_pfn, list_pages;

/* Page-table frames start_info names, and which the walk reached. */
static u64 table_mfn[MAX_TABLES];
static u8 table_seen[MAX_TABLES];
static u8 table_level[MAX_TABLES];	/* 1 to 4, once reached */
static unsigned nr_tables, nr_reached;

/* Boot copies frames here: one buffer per level, one for data. */
static u64 table_buf[4][512] __attribute__((aligned(4096)));
static u8 frame_buf[4096] __attribute__((aligned(4096)));

static u64
p2m(u64 pfn)
{
	return ((const volatile u64 *)si->mfn_list)[pfn];
}

static int
is_pt_pfn(u64 pfn)
{
	return pfn >= pt_pfn && pfn - pt_pfn < si->nr_pt_frames;
}

void
x64_unexpected(u64 vector, u64 error, u64 addr, u64 rip)
{
	putf("check exceptions FAIL: vector %d error %x at rip %x (cr2 %x)\n",
	    vector, error, rip, addr);
	verdict = 1;
	finish();
}

/* Every byte of .bss reads zero: before the guest writes any of it. */
static int
check_bss(void)
{
	const volatile u8 *p;

	for (p = __bss_start; p < __bss_end; p++)
		if (*p != 0)
			return fail("byte at %x is %x", (u64)p, (u64)*p);
	return 1;
}

/* The initialised data, word by word and against the build's checksum. */
static int
check_data(void)
{
	u64 sum = 0, i;

	for (i = 0; i < PAT_N; i++) {
		if (xen3_pattern[i] != PAT_B + i)
			return fail("pattern word %d at %x is %x", i,
			    (u64)&xen3_pattern[i], (u64)xen3_pattern[i]);
		sum += (i + 1) * xen3_pattern[i];
	}
	if (sum != DATA_SUM)
		return fail("checksum %x, built as %x", sum, DATA_SUM);
	return 1;
}

static int
check_traps(void)
{
	long r = boot_call(BOOT_CALL_TRAPS, (u64)x64_trap, 0);

	if (r != 0)
		return fail("boot refused the exception handler: %x", (u64)r);
	return 1;
}

/* start_info is where RSI said, and readable: the rest depends on it. */
static int
check_si_readable(const void *start_info)
{
	const char *p = start_info;
	u64 w;

	si = (const start_info_t *)p;
	if (p == 0 || ((u64)p & (PAGE - 1)) != 0)
		return fail("RSI %x is not a page address", (u64)p);
	if (x64_probe_read(p, &w) || x64_probe_read(p + PAGE - 8, &w))
		return fail("start_info at %x is not readable (#PF at %x)",
		    (u64)p, x64_trap_addr);
	return 1;
}

/* The command line, whole (its own sum), and the test's expectations. */
static int
check_cmdline(void)
{
	const char *c = (const char *)si->cmd_line, *at;
	u64 sum, len, i;

	for (len = 0; len < MAX_GUEST_CMDLINE && c[len] != '\0'; len++)
		;
	for (i = len; i < MAX_GUEST_CMDLINE; i++)
		if (c[i] != '\0')
			return fail("cmd_line byte %d, after its end, is not 0",
			    i);
	if (!cmdline_value(c, "cmdline_sum", 16, &sum, &at))
		return fail("no cmdline_sum=HEX in \"%s\"", c);
	len = at > c ? (u64)(at - c - 1) : 0;
	if (fnv_add(FNV_OFFSET, (const u8 *)c, len) != sum)
		return fail("\"%s\": FNV-1a of the %d bytes before "
		    "cmdline_sum is %x", c, len,
		    (u64)fnv_add(FNV_OFFSET, (const u8 *)c, len));
	if (!cmdline_value(c, "expect_pages", 10, &expect_pages, &at) ||
	    !cmdline_value(c, "initrd_len", 10, &initrd_len, &at) ||
	    (initrd_len != 0 &&
	    !cmdline_value(c, "initrd_sum", 16, &initrd_sum, &at)))
		return fail("no expect_pages=N initrd_len=N [initrd_sum=HEX] "
		    "in \"%s\"", c);
	return 1;
}

static int
check_start_info(void)
{
	static const char magic[] = "xen-3.0-x86_64";
	const u64 forbidden = SIF_PRIVILEGED | SIF_INITDOMAIN;
	u64 i;

	for (i = 0; i < sizeof(si->magic); i++)
		if (si->magic[i] != (i < sizeof(magic) ? magic[i] : 0))
			return fail("magic \"%s\", not \"%s\"",
			    (const char *)si->magic, magic);
	for (i = sizeof(*si); i < PAGE; i++)
		if (((const u8 *)si)[i] != 0)
			return fail("byte %d, after the structure, is %x", i,
			    (u64)((const u8 *)si)[i]);
	if (cmdline_ok && si->nr_pages != expect_pages)
		return fail("nr_pages %d, the test gave %d", si->nr_pages,
		    expect_pages);
	if (si->flags & forbidden)
		return fail("flags %x: a privileged or initial domain",
		    (u64)si->flags);
	if ((si->pt_base & (PAGE - 1)) != 0 || si->pt_base < v_start ||
	    (si->pt_base - v_start) / PAGE >= si->nr_pages)
		return fail("pt_base %x is not a page of the domain at "
		    "VIRT_BASE", si->pt_base);
	if (si->nr_pt_frames < 4 || si->nr_pt_frames > MAX_PT_FRAMES)
		return fail("nr_pt_frames %d", si->nr_pt_frames);
	if (si->nr_p2m_frames != 0 ? si->mfn_list != X64_INIT_P2M :
	    si->mfn_list < v_start ||
	    (si->mfn_list - v_start) / PAGE >= si->nr_pages)
		return fail("mfn_list %x is neither INIT_P2M nor in the "
		    "region (nr_p2m_frames %d)", si->mfn_list,
		    si->nr_p2m_frames);
	if (si->shared_info == 0 || (si->shared_info & (PAGE - 1)) != 0 ||
	    si->store_mfn == 0 || si->console.domU.mfn == 0)
		return fail("shared_info %x, store_mfn %x, console mfn %x",
		    si->shared_info, si->store_mfn, si->console.domU.mfn);
	pt_pfn = (si->pt_base - v_start) / PAGE;
	list_pages = (si->nr_pages * 8 + PAGE - 1) / PAGE;
	return 1;
}

/* The p2m list is readable through mfn_list and names real frames. */
static int
check_p2m(void)
{
	const u64 *list = (const u64 *)si->mfn_list;
	u64 pfn, w;

	for (pfn = 0; pfn <= si->nr_pages; pfn += PAGE / 8)
		if (x64_probe_read(&list[pfn < si->nr_pages ? pfn :
		    si->nr_pages - 1], &w))
			return fail("the list at %x faults at %x",
			    si->mfn_list, x64_trap_addr);
	/* Machine frame numbers have 40 bits (4-level paging, 52-bit PA). */
	for (pfn = 0; pfn < si->nr_pages; pfn++)
		if ((w = p2m(pfn)) == 0 || w >> 40 != 0)
			return fail("p2m[%d] is %x", pfn, w);
	if (si->nr_p2m_frames != 0 && (si->nr_p2m_frames <= list_pages ||
	    si->nr_p2m_frames - list_pages > MAX_P2M_TABLES ||
	    si->first_p2m_pfn + si->nr_p2m_frames > si->nr_pages))
		return fail("first_p2m_pfn %d, nr_p2m_frames %d for a list of "
		    "%d pages", si->first_p2m_pfn, si->nr_p2m_frames,
		    list_pages);
	return 1;
}

/*
 * The page-table frames start_info names: nr_pt_frames from pt_base, and
 * the tables of a p2m list mapped apart (after the list's own pages).
 */
static void
expect_tables(void)
{
	u64 i;

	nr_tables = 0;
	for (i = 0; i < si->nr_pt_frames; i++)
		table_mfn[nr_tables++] = p2m(pt_pfn + i);
	if (si->nr_p2m_frames != 0)
		for (i = list_pages; i < si->nr_p2m_frames; i++)
			table_mfn[nr_tables++] = p2m(si->first_p2m_pfn + i);
}

/*
 * One present L1 entry: the page at va maps what the p2m says, as it may.
 * A wrong entry fails the check but not the walk (leaf_bad), so the
 * region is still known for the checks after it.
 */
static int
leaf(u64 va, u64 pte, u64 *region_end)
{
	u64 pfn, want;
	int writable;

	if (va >= v_start && (va - v_start) / PAGE < si->nr_pages) {
		pfn = (va - v_start) / PAGE;
		writable = !is_pt_pfn(pfn);
		if (pfn + 1 > *region_end)
			*region_end = pfn + 1;
		region_pages++;
	} else if (si->nr_p2m_frames != 0 && va >= si->mfn_list &&
	    (va - si->mfn_list) / PAGE < list_pages) {
		pfn = si->first_p2m_pfn + (va - si->mfn_list) / PAGE;
		writable = 1;
	} else {
		return fail("va %x is mapped (pte %x), outside the region and "
		    "the p2m list", va, pte);
	}
	want = p2m(pfn);
	if ((pte & PTE_ADDR) >> 12 != want) {
		leaf_bad = 1;
		fail("va %x (pfn %d) maps mfn %x, p2m says %x", va, pfn,
		    (pte & PTE_ADDR) >> 12, want);
	}
	if (!!(pte & PTE_RW) != writable) {
		leaf_bad = 1;
		if (writable)
			fail("va %x (pfn %d) is read-only, pte %x", va, pfn, pte);
		else
			fail("va %x (pfn %d) is mapped writable, but start_info "
			    "makes it a page-table page (pt_base %x, "
			    "nr_pt_frames %d), pte %x", va, pfn, si->pt_base,
			    si->nr_pt_frames, pte);
	}
	return 1;
}

/* Walk a table as the MMU does, reading it through boot (BOOT_CALL_FRAME). */
static int
walk(int level, u64 mfn, u64 va_base, u64 *region_end)
{
	u64 *t = table_buf[level - 1], pte, va;
	unsigned i, k;

	for (k = 0; k < nr_tables && table_mfn[k] != mfn; k++)
		;
	if (k == nr_tables || table_seen[k])
		return fail("L%d table mfn %x %s", (u64)level, mfn,
		    k == nr_tables ? "is not a page-table frame start_info "
		    "names" : "is reached twice");
	table_seen[k] = 1;
	table_level[k] = (u8)level;
	nr_reached++;
	if (boot_call(BOOT_CALL_FRAME, mfn, (u64)t) != 0)
		return fail("boot could not copy table mfn %x", mfn);
	for (i = 0; i < 512; i++) {
		if (level == 4 && i >= HV_SLOT_FIRST && i < HV_SLOT_END)
			continue;
		pte = t[i];
		if (!(pte & PTE_P))
			continue;
		va = va_base | (u64)i << (12 + 9 * (level - 1));
		if (level == 4 && i >= 256)
			va |= 0xffff000000000000ULL;
		if (level > 1 && (pte & (PTE_PS | PTE_RW)) != PTE_RW)
			return fail("L%d entry %x for va %x: a large page or "
			    "read-only", (u64)level, pte, va);
		/* A child uses its own buffer: ours stays intact. */
		if (level > 1 ? !walk(level - 1, (pte & PTE_ADDR) >> 12, va,
		    region_end) : !leaf(va, pte, region_end))
			return 0;
	}
	return 1;
}

/*
 * The page tables from pt_base: every table one start_info names, each
 * reached once; every mapped page the region's or the p2m list's, on the
 * frame the p2m gives it, read-only exactly when it is a page-table page;
 * the region mapped whole, from VIRT_BASE to a 4 MiB boundary past the
 * boot stack.
 */
static int
check_pagetables(void)
{
	u64 region_end = 0, v_end;

	expect_tables();
	region_pages = 0;
	if (!walk(4, p2m(pt_pfn), 0, &region_end))
		return 0;
	v_end = v_start + region_end * PAGE;
	if (region_pages != region_end || (v_end & ((4ULL << 20) - 1)) != 0 ||
	    v_end < entry_rsp)
		return fail("the region maps %d pages up to %x: not all of "
		    "[VIRT_BASE, a 4 MiB boundary past the stack)",
		    region_pages, v_end);
	/* The walk is whole: the checks after this one may use the region. */
	walk_ok = 1;
	if (leaf_bad)
		return 0;
	if (nr_reached != nr_tables)
		return fail("the walk reached %d tables, start_info names %d "
		    "(nr_pt_frames %d)", (u64)nr_reached, (u64)nr_tables,
		    si->nr_pt_frames);
	return 1;
}

/*
 * Writes: every page-table page of the region refuses one (#PF, present,
 * write, ring 3, at that address); every other page of the region and of
 * the p2m list takes one (the byte rewritten unchanged). On Xen the fault
 * is in guest kernel mode (no user bit), and a write to an L1 table is
 * Xen's to emulate: it takes the unchanged byte without a fault.
 */
#ifdef X64_ON_XEN
#define PT_WRITE_ERROR	(PF_P | PF_W)
#define PT_WRITE_L1_OK	1
#else
#define PT_WRITE_ERROR	(PF_P | PF_W | PF_U)
#define PT_WRITE_L1_OK	0
#endif

static int
check_write_protect(void)
{
	u64 pfn, va, n_ro = 0, err;
	int faulted;

	for (pfn = 0; pfn < region_pages + (si->nr_p2m_frames ? list_pages : 0);
	    pfn++) {
		va = pfn < region_pages ? v_start + pfn * PAGE :
		    si->mfn_list + (pfn - region_pages) * PAGE;
		faulted = x64_probe_write((volatile void *)va);
		err = x64_trap_error;
		if (pfn < region_pages && is_pt_pfn(pfn)) {
			if (!faulted && PT_WRITE_L1_OK &&
			    table_level[pfn - pt_pfn] == 1) {
				n_ro++;
				continue;
			}
			if (!faulted)
				return fail("a write to page-table page %x (pfn "
				    "%d, L%d) did not fault", va, pfn,
				    (u64)table_level[pfn - pt_pfn]);
			if (err != PT_WRITE_ERROR || x64_trap_addr != va)
				return fail("the write to %x faulted with error "
				    "%x at %x", va, err, x64_trap_addr);
			n_ro++;
		} else if (faulted) {
			return fail("a write to %x faulted (error %x)", va, err);
		}
	}
	if (n_ro != si->nr_pt_frames)
		return fail("only %d page-table pages are mapped", n_ro);
	return 1;
}

/*
 * RSP was the top of the boot stack: the page after the page tables,
 * writable, not a table.
 */
static int
check_stack(void)
{
	u64 want = si->pt_base + (si->nr_pt_frames + 1) * PAGE;
	u8 probe[64];
	unsigned i;

	if (entry_rsp != want)
		return fail("rsp %x at entry, not %x, the top of the page after "
		    "the page tables", entry_rsp, want);
	if (x64_probe_write((volatile void *)(entry_rsp - PAGE)))
		return fail("the stack page's bottom at %x is not writable",
		    entry_rsp - PAGE);
	/* Usable: it holds what is written to it (this array is on it). */
	for (i = 0; i < sizeof(probe); i++)
		((volatile u8 *)probe)[i] = (u8)(i * 7 + 1);
	for (i = 0; i < sizeof(probe); i++)
		if (((volatile u8 *)probe)[i] != (u8)(i * 7 + 1))
			return fail("the stack does not keep what is written");
	return 1;
}

/*
 * The initrd: mod_len and the sum of its bytes as the test gave them,
 * zeros after it in its last page; mapped in the region, or (with
 * SIF_MOD_START_PFN) pfns past it, read through boot.
 */
static int
check_initrd(void)
{
	int by_pfn = (si->flags & SIF_MOD_START_PFN) != 0;
	u64 pages, i, n, off, first;
	const u8 *page;
	u32 h = FNV_OFFSET;

	if (initrd_len == 0) {
		if (si->mod_start != 0 || si->mod_len != 0 || by_pfn)
			return fail("no initrd given, but mod_start %x, mod_len "
			    "%d", si->mod_start, si->mod_len);
		return 1;
	}
	if (si->mod_len != initrd_len)
		return fail("mod_len %d, the test gave %d", si->mod_len,
		    initrd_len);
	pages = (si->mod_len + PAGE - 1) / PAGE;
	first = by_pfn ? si->mod_start : (si->mod_start - v_start) / PAGE;
	if ((!by_pfn && ((si->mod_start & (PAGE - 1)) != 0 ||
	    si->mod_start < v_start || first + pages > region_pages)) ||
	    (by_pfn && (first < region_pages || first > si->nr_pages ||
	    pages > si->nr_pages - first)))
		return fail("mod_start %x is not %s", si->mod_start, by_pfn ?
		    "a pfn past the region" : "a page in the region");
	for (i = 0; i < pages; i++) {
		if (by_pfn) {
			if (boot_call(BOOT_CALL_FRAME, p2m(first + i),
			    (u64)frame_buf) != 0)
				return fail("boot could not copy pfn %d",
				    first + i);
			page = frame_buf;
		} else {
			page = (const u8 *)(si->mod_start + i * PAGE);
		}
		n = si->mod_len - i * PAGE < PAGE ? si->mod_len - i * PAGE :
		    PAGE;
		h = fnv_add(h, page, n);
		for (off = n; off < PAGE; off++)
			if (page[off] != 0)
				return fail("byte %d, after the initrd's end, is "
				    "%x", i * PAGE + off, (u64)page[off]);
	}
	if (h != initrd_sum)
		return fail("FNV-1a of the %d bytes is %x, the test gave %x",
		    si->mod_len, (u64)h, initrd_sum);
	return 1;
}

/* The region's pages after the boot stack read zero. */
static int
check_padding(void)
{
	const volatile u64 *p = (const volatile u64 *)entry_rsp;
	const volatile u64 *end = (const volatile u64 *)(v_start +
	    region_pages * PAGE);

	for (; p < end; p++)
		if (*p != 0)
			return fail("the word at %x is %x", (u64)p, *p);
	return 1;
}

/* What the checks found, for the reader of the console. */
static void
describe(void)
{
	putf("pvbuild x64 guest: region %x-%x, %d page-table pages at %x, "
	    "p2m list at %x (%s), ", v_start, v_start + region_pages * PAGE,
	    si->nr_pt_frames, si->pt_base, si->mfn_list,
	    si->nr_p2m_frames != 0 ? "mapped apart" : "in the region");
	if (si->mod_len == 0)
		putf("no initrd\n");
	else if (si->flags & SIF_MOD_START_PFN)
		putf("initrd at pfn %d (unmapped)\n", si->mod_start);
	else
		putf("initrd at %x\n", si->mod_start);
}

static void
entry_stack(u64 sp)
{
	entry_rsp = sp;
}

void
x64_main(const char *start_info)
{
	/* _start called us with RSP as the builder left it. */
	u64 rsp = (u64)__builtin_frame_address(0) + 16;

	console_start(start_info);
	putf("pvbuild x64 guest: entered, start_info %x, rsp %x\n",
	    (u64)start_info, rsp);
	run_checks(start_info, rsp);
}
