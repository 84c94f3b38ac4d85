/* SPDX-License-Identifier: ISC */
/*
 * check32.c: the self-checking 32-bit test guests, built twice: with
 * CHECK_XEN13 the xen-1.3 guest check13 (the seed's ABI, docs/xen-1.3.md:
 * 2-level paging, its extended start_info, no magic), without it the
 * xen-3.0-x86_32p guest pae-check (PAE paging, <xen/xen.h>'s start_info).
 * Like the x86_64 guest (x64-guest.c), whose console, reasons, command-line
 * and FNV-1a code it shares (x64-check.h), it checks its boot environment
 * from the inside, one line "check NAME ok" or "check NAME FAIL: reason"
 * per check, then "PASS" or "FAIL" and the verdict on boot's port.
 *
 * It runs as bin/boot runs it under QEMU: in ring 1, as under Xen, with
 * boot's handlers in the hypervisor's hole. Under Xen a 32-bit guest would
 * register its exception handlers with set_trap_table; lidt is not a
 * ring-1 instruction, so here it registers one handler with boot's
 * BOOT_CALL_TRAPS (boot/ports.h), which boot's handlers emulate, and
 * they bounce each exception to it. Its page tables lie in its bootstrap
 * region, mapped read-only, so it walks them through the region and needs
 * no BOOT_CALL_FRAME.
 *
 * What it cannot know (its memory size, its initrd) the test passes on the
 * command line, as for the x86_64 guest: expect_pages=N initrd_len=N
 * [initrd_sum=HEX] cmdline_sum=HEX.
 */
#ifdef CHECK_XEN13
#include "guest.h"
#else
#include <stdint.h>

#include <xen/xen.h>
#endif

#include "x64-check.h"

#define PAGE		4096U
#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_A		0x020ULL
#define PTE_PS		0x080ULL
#define PF_P		0x1U	/* #PF error code: protection violation */
#define PF_W		0x2U	/* ... on a write (ring 1: not a user access) */

#ifdef CHECK_XEN13
typedef struct start_info si_t;
typedef u32 pte_t;
#define GUEST_NAME	"xen-1.3"
#define V_START		0xC0000000U	/* basic.ld */
#define HV_START	0xFC000000U	/* the seed's HYPERVISOR_VIRT_START */
#define LEVELS		2
#define INDEX_BITS	10
#define CMDLINE_BYTES	256
#define PAT		guest_pattern
#define PAT_N		((u64)GUEST_PATTERN_WORDS)
#define PAT_B		((u64)GUEST_PATTERN_BASE)
#define PTE_ADDR	0xfffff000ULL
#define MAIN		guest_main
u8 guest_bss[GUEST_BSS_BYTES];		/* guest.h: the bss to check */
void	guest_main(const struct start_info *);
#else
typedef start_info_t si_t;
typedef u64 pte_t;
#define GUEST_NAME	"xen-3.0-x86_32p"
#define V_START		PAE_VIRT_BASE
#define HV_START	0xF5800000U	/* __HYPERVISOR_VIRT_START_PAE */
#define LEVELS		3
#define INDEX_BITS	9
#define CMDLINE_BYTES	MAX_GUEST_CMDLINE
#define PAT		xen3_pattern
#define PAT_N		((u64)XEN3_PATTERN_WORDS)
#define PAT_B		((u64)XEN3_PATTERN_BASE)
#define PTE_ADDR	0x000ffffffffff000ULL
#define MAIN		pae_main
u8 pae_bss[XEN3_BSS_BYTES];
void	pae_main(const si_t *);
#endif

/* Σ (i + 1) · pattern[i], fixed at build time (as x64-guest.c's). */
#define DATA_SUM	(PAT_B * PAT_N * (PAT_N + 1) / 2 + \
			 (PAT_N - 1) * PAT_N * (PAT_N + 1) / 3)

/* Caps: far above what a test domain has, so loops stay bounded. */
#define MAX_PT_FRAMES	512

void	check32_unexpected(u32 vector, u32 error, u32 addr, u32 eip)
	    __attribute__((noreturn));
int	check32_probe_read(const volatile void *p, u32 *out);
int	check32_probe_write(volatile void *p);
void	check32_trap(void);
volatile u32 check32_trap_vector, check32_trap_error, check32_trap_addr;

/*
 * The probes touch one word (read it, or rewrite a byte unchanged) and
 * return 0, or 1 if that faulted: boot's handlers resume check32_trap on
 * the probe's stack (%edi vector, %esi error, %edx CR2, %ecx the faulting
 * eip), which returns 1 from the probe when the fault was one of theirs.
 * %edi and %esi are the caller's to keep (i386 System V ABI), so each
 * probe saves them before it touches anything.
 */
__asm__(
"	.text\n"
"	.globl	check32_probe_read\n"
"check32_probe_read:\n"
"	pushl	%esi\n"
"	pushl	%edi\n"
"	movl	12(%esp), %edx\n"
"	xorl	%eax, %eax\n"
"check32_probe_read_insn:\n"
"	movl	(%edx), %ecx\n"
"	movl	16(%esp), %edx\n"
"	movl	%ecx, (%edx)\n"
"	popl	%edi\n"
"	popl	%esi\n"
"	ret\n"
"	.globl	check32_probe_write\n"
"check32_probe_write:\n"
"	pushl	%esi\n"
"	pushl	%edi\n"
"	movl	12(%esp), %edx\n"
"	xorl	%eax, %eax\n"
"check32_probe_write_insn:\n"
"	orb	$0, (%edx)\n"
"	popl	%edi\n"
"	popl	%esi\n"
"	ret\n"
"check32_probe_fixup:\n"
"	movl	$1, %eax\n"
"	popl	%edi\n"
"	popl	%esi\n"
"	ret\n"
"	.globl	check32_trap\n"
"check32_trap:\n"
"	movl	%edi, check32_trap_vector\n"
"	movl	%esi, check32_trap_error\n"
"	movl	%edx, check32_trap_addr\n"
"	cmpl	$check32_probe_read_insn, %ecx\n"
"	je	check32_probe_fixup\n"
"	cmpl	$check32_probe_write_insn, %ecx\n"
"	je	check32_probe_fixup\n"
"	andl	$-16, %esp\n"
"	pushl	%ecx\n"
"	pushl	%edx\n"
"	pushl	%esi\n"
"	pushl	%edi\n"
"	call	check32_unexpected\n"
);

/* What the guest learns, check by check. */
static const si_t *si;
static u32 entry_esp;
static int leaf_bad;
static u64 expect_pages, initrd_len, initrd_sum;
static u32 region_pages, pt_pfn;
static u8 table_seen[MAX_PT_FRAMES];
static unsigned nr_reached;

static u32
p2m(u32 pfn)
{
	return ((const volatile u32 *)si->mfn_list)[pfn];
}

static int
is_pt_pfn(u32 pfn)
{
	return pfn >= pt_pfn && pfn - pt_pfn < si->nr_pt_frames;
}

void
check32_unexpected(u32 vector, u32 error, u32 addr, u32 eip)
{
	putf("check exceptions FAIL: vector %d error %x at eip %x (cr2 %x)\n",
	    (u64)vector, (u64)error, (u64)eip, (u64)addr);
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
			return fail("byte at %x is %x", (u64)(u32)p, (u64)*p);
	return 1;
}

/* The initialised data, word by word and against the build's checksum. */
static int
check_data(void)
{
	u64 sum = 0, i;

	for (i = 0; i < PAT_N; i++) {
		if (PAT[i] != PAT_B + i)
			return fail("pattern word %d at %x is %x", i,
			    (u64)(u32)&PAT[i], (u64)PAT[i]);
		sum += (i + 1) * PAT[i];
	}
	if (sum != DATA_SUM)
		return fail("checksum %x, built as %x", sum, (u64)DATA_SUM);
	return 1;
}

static int
check_traps(void)
{
	long r = boot_call(BOOT_CALL_TRAPS, (unsigned long)check32_trap, 0);

	if (r != 0)
		return fail("boot refused the exception handler: %x",
		    (u64)(u32)r);
	return 1;
}

/* start_info is where ESI said, and readable: the rest depends on it. */
static int
check_si_readable(const void *p)
{
	u32 w;

	si = p;
	if (p == 0 || ((u32)p & (PAGE - 1)) != 0)
		return fail("ESI %x is not a page address", (u64)(u32)p);
	if (check32_probe_read(p, &w) ||
	    check32_probe_read((const u8 *)p + PAGE - 4, &w))
		return fail("start_info at %x is not readable (#PF at %x)",
		    (u64)(u32)p, (u64)check32_trap_addr);
	return 1;
}

/* The command line, whole (its own sum), and the test's expectations. */
static int
check_cmdline(void)
{
	const char *c = (const char *)si->cmd_line, *at;
	u64 sum, len, i;

	for (len = 0; len < CMDLINE_BYTES && c[len] != '\0'; len++)
		;
	if (len == CMDLINE_BYTES)
		return fail("cmd_line has no terminating 0");
	for (i = len; i < CMDLINE_BYTES; i++)
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

/* A region address: page-aligned, in [V_START, V_START + nr_pages). */
static int
in_region(u32 va)
{
	return (va & (PAGE - 1)) == 0 && va >= V_START &&
	    (va - V_START) / PAGE < si->nr_pages;
}

static int
check_start_info(void)
{
	const u32 forbidden = 1 | 2;	/* SIF_PRIVILEGED, SIF_INITDOMAIN */
#ifndef CHECK_XEN13
	static const char magic[] = "xen-3.0-x86_32p";
	u32 i;

	for (i = 0; i < sizeof(si->magic); i++)
		if (si->magic[i] != (i < sizeof(magic) ? magic[i] : 0))
			return fail("magic \"%s\", not \"%s\"",
			    (const char *)si->magic, magic);
	for (i = sizeof(*si); i < PAGE; i++)
		if (((const u8 *)si)[i] != 0)
			return fail("byte %d, after the structure, is %x",
			    (u64)i, (u64)((const u8 *)si)[i]);
#endif
	if (cmdline_ok && si->nr_pages != expect_pages)
		return fail("nr_pages %d, the test gave %d",
		    (u64)si->nr_pages, expect_pages);
	if (si->flags & forbidden)
		return fail("flags %x: a privileged or initial domain",
		    (u64)si->flags);
	if (!in_region(si->pt_base))
		return fail("pt_base %x is not a page of the domain at %x",
		    (u64)si->pt_base, (u64)V_START);
	if (si->nr_pt_frames < LEVELS || si->nr_pt_frames > MAX_PT_FRAMES)
		return fail("nr_pt_frames %d", (u64)si->nr_pt_frames);
	if (!in_region(si->mfn_list))
		return fail("mfn_list %x is not a page of the region",
		    (u64)si->mfn_list);
	if (si->shared_info == 0 || (si->shared_info & (PAGE - 1)) != 0)
		return fail("shared_info %x is not a frame's address",
		    (u64)si->shared_info);
#ifndef CHECK_XEN13
	if (si->store_mfn == 0 || si->console.domU.mfn == 0)
		return fail("store_mfn %x, console mfn %x",
		    (u64)si->store_mfn, (u64)si->console.domU.mfn);
#endif
	pt_pfn = (si->pt_base - V_START) / PAGE;
	return 1;
}

/* The p2m list is readable through mfn_list and names real frames. */
static int
check_p2m(void)
{
	u32 pfn, w, list_pages = (si->nr_pages * 4 + PAGE - 1) / PAGE;

	if ((si->mfn_list - V_START) / PAGE + list_pages > si->nr_pages)
		return fail("the list at %x runs past the domain",
		    (u64)si->mfn_list);
	for (pfn = 0; pfn < si->nr_pages; pfn++)
		if ((w = p2m(pfn)) == 0 || (LEVELS == 2 && w >> 20 != 0))
			return fail("p2m[%d] is %x", (u64)pfn, (u64)w);
	return 1;
}

/*
 * One present L1 entry: the page at va maps what the p2m says, writable
 * exactly when it is not a page-table page. A wrong entry fails the check
 * but not the walk (leaf_bad), so the region is still known.
 */
static int
leaf(u32 va, pte_t pte, u32 *region_end)
{
	u32 pfn, want;
	int writable;

	if (!in_region(va))
		return fail("va %x is mapped (pte %x), outside the region",
		    (u64)va, (u64)pte);
	pfn = (va - V_START) / PAGE;
	writable = !is_pt_pfn(pfn);
	if (pfn + 1 > *region_end)
		*region_end = pfn + 1;
	region_pages++;
	want = p2m(pfn);
	if ((pte & PTE_ADDR) >> 12 != want) {
		leaf_bad = 1;
		fail("va %x (pfn %d) maps mfn %x, p2m says %x", (u64)va,
		    (u64)pfn, (u64)((pte & PTE_ADDR) >> 12), (u64)want);
	}
	if (!!(pte & PTE_RW) != writable) {
		leaf_bad = 1;
		if (writable)
			fail("va %x (pfn %d) is read-only, pte %x", (u64)va,
			    (u64)pfn, (u64)pte);
		else
			fail("va %x (pfn %d) is mapped writable, but start_info "
			    "makes it a page-table page (pt_base %x, "
			    "nr_pt_frames %d), pte %x", (u64)va, (u64)pfn,
			    (u64)si->pt_base, (u64)si->nr_pt_frames, (u64)pte);
	}
	return 1;
}

/*
 * Walk a table as the MMU does, reading it where the region maps it (a
 * page-table frame is one of the region's pfns). The hypervisor's hole is
 * not the guest's: entries for it are skipped.
 */
static int
walk(int level, u32 mfn, u32 va_base, u32 *region_end)
{
	const volatile pte_t *t;
	unsigned i, k, n;
	pte_t pte;
	u32 va;

	for (k = 0; k < si->nr_pt_frames && p2m(pt_pfn + k) != mfn; k++)
		;
	if (k == si->nr_pt_frames || table_seen[k])
		return fail("L%d table mfn %x %s", (u64)level, (u64)mfn,
		    k == si->nr_pt_frames ? "is not a page-table frame "
		    "start_info names" : "is reached twice");
	table_seen[k] = 1;
	nr_reached++;
	t = (const volatile pte_t *)(V_START + (pt_pfn + k) * PAGE);
	n = LEVELS == 3 && level == 3 ? 4 : 1u << INDEX_BITS;
	for (i = 0; i < n; i++) {
		va = va_base | i << (12 + INDEX_BITS * (level - 1));
		if (va >= HV_START)
			break;
		pte = t[i];
		if (!(pte & PTE_P))
			continue;
		if (level == 3) {
			/*
			 * PAE's L3 entries carry no RW (SDM 4.4.1); the
			 * builder writes Present alone, and QEMU's TCG sets
			 * Accessed when it loads them, as hardware does not.
			 */
			if ((pte & ~PTE_ADDR & ~PTE_A) != PTE_P)
				return fail("L3 entry %d is %x", (u64)i,
				    (u64)pte);
		} else if (level > 1 && (pte & (PTE_PS | PTE_RW)) != PTE_RW) {
			return fail("L%d entry %x for va %x: a large page or "
			    "read-only", (u64)level, (u64)pte, (u64)va);
		}
		if (level > 1 ? !walk(level - 1, (u32)((pte & PTE_ADDR) >> 12),
		    va, region_end) : !leaf(va, pte, region_end))
			return 0;
	}
	return 1;
}

/*
 * The page tables from pt_base: every table a page-table frame of the
 * region, each reached once; every mapped page the region's, on the frame
 * the p2m gives it, read-only exactly when it is a page-table page; the
 * region mapped whole, from V_START to a 4 MiB boundary past the stack.
 */
static int
check_pagetables(void)
{
	u32 region_end = 0, v_end;

	region_pages = 0;
	if (!walk(LEVELS, p2m(pt_pfn), 0, &region_end))
		return 0;
	v_end = V_START + region_end * PAGE;
	if (region_pages != region_end || (v_end & ((4U << 20) - 1)) != 0 ||
	    v_end < entry_esp)
		return fail("the region maps %d pages up to %x: not all of "
		    "[%x, a 4 MiB boundary past the stack)",
		    (u64)region_pages, (u64)v_end, (u64)V_START);
	walk_ok = 1;
	if (leaf_bad)
		return 0;
	if (nr_reached != si->nr_pt_frames)
		return fail("the walk reached %d tables, start_info names %d",
		    (u64)nr_reached, (u64)si->nr_pt_frames);
	return 1;
}

/*
 * Writes: every page-table page of the region refuses one (#PF, present,
 * write, at that address); every other page of the region takes one.
 */
static int
check_write_protect(void)
{
	u32 pfn, va, n_ro = 0, err;
	int faulted;

	for (pfn = 0; pfn < region_pages; pfn++) {
		va = V_START + pfn * PAGE;
		faulted = check32_probe_write((volatile void *)va);
		err = check32_trap_error;
		if (is_pt_pfn(pfn)) {
			if (!faulted)
				return fail("a write to page-table page %x (pfn "
				    "%d) did not fault", (u64)va, (u64)pfn);
			if (err != (PF_P | PF_W) || check32_trap_addr != va)
				return fail("the write to %x faulted with error "
				    "%x at %x", (u64)va, (u64)err,
				    (u64)check32_trap_addr);
			n_ro++;
		} else if (faulted) {
			return fail("a write to %x faulted (error %x)",
			    (u64)va, (u64)err);
		}
	}
	if (n_ro != si->nr_pt_frames)
		return fail("only %d page-table pages are mapped", (u64)n_ro);
	return 1;
}

/*
 * ESP was the top of the boot stack: the page after start_info in the
 * seed's order (xen-1.3), after the page tables in Xen 3's.
 */
static int
check_stack(void)
{
#ifdef CHECK_XEN13
	u32 want = (u32)si + 2 * PAGE;
	const char *after = "start_info";
#else
	u32 want = si->pt_base + (si->nr_pt_frames + 1) * PAGE;
	const char *after = "the page tables";
#endif
	u8 probe[64];
	unsigned i;

	if (entry_esp != want)
		return fail("esp %x at entry, not %x, the top of the page after "
		    "%s", (u64)entry_esp, (u64)want, after);
	if (check32_probe_write((volatile void *)(entry_esp - PAGE)))
		return fail("the stack page's bottom at %x is not writable",
		    (u64)(entry_esp - PAGE));
	for (i = 0; i < sizeof(probe); i++)
		((volatile u8 *)probe)[i] = (u8)(i * 7 + 1);
	for (i = 0; i < sizeof(probe); i++)
		if (((volatile u8 *)probe)[i] != (u8)(i * 7 + 1))
			return fail("the stack does not keep what is written");
	return 1;
}

/* The initrd, mapped in the region: mod_len and the test's sum. */
static int
check_initrd(void)
{
	u32 pages, i, n, off, first;
	const u8 *page;
	u32 h = FNV_OFFSET;

#ifndef CHECK_XEN13
	if (si->flags & SIF_MOD_START_PFN)
		return fail("mod_start %x is a pfn (SIF_MOD_START_PFN); this "
		    "guest reads only a mapped initrd", (u64)si->mod_start);
#endif
	if (initrd_len == 0) {
		if (si->mod_start != 0 || si->mod_len != 0)
			return fail("no initrd given, but mod_start %x, mod_len "
			    "%d", (u64)si->mod_start, (u64)si->mod_len);
		return 1;
	}
	if (si->mod_len != initrd_len)
		return fail("mod_len %d, the test gave %d", (u64)si->mod_len,
		    initrd_len);
	pages = (si->mod_len + PAGE - 1) / PAGE;
	first = (si->mod_start - V_START) / PAGE;
	if (!in_region(si->mod_start) || first + pages > region_pages)
		return fail("mod_start %x is not a page in the region",
		    (u64)si->mod_start);
	for (i = 0; i < pages; i++) {
		page = (const u8 *)(si->mod_start + i * PAGE);
		n = si->mod_len - i * PAGE < PAGE ? si->mod_len - i * PAGE :
		    PAGE;
		h = fnv_add(h, page, n);
		for (off = n; off < PAGE; off++)
			if (page[off] != 0)
				return fail("byte %d, after the initrd's end, is "
				    "%x", (u64)(i * PAGE + off), (u64)page[off]);
	}
	if (h != initrd_sum)
		return fail("FNV-1a of the %d bytes is %x, the test gave %x",
		    (u64)si->mod_len, (u64)h, initrd_sum);
	return 1;
}

/* The region's pages after the boot stack read zero. */
static int
check_padding(void)
{
	const volatile u32 *p = (const volatile u32 *)entry_esp;
	const volatile u32 *end = (const volatile u32 *)(V_START +
	    region_pages * PAGE);

	for (; p < end; p++)
		if (*p != 0)
			return fail("the word at %x is %x", (u64)(u32)p,
			    (u64)*p);
	return 1;
}

static void
entry_stack(u64 sp)
{
	entry_esp = (u32)sp;
}

/* What the checks found, for the reader of the console. */
static void
describe(void)
{
	putf("pvbuild %s guest: region %x-%x, %d page-table pages at %x, "
	    "p2m list at %x, %s%x\n", GUEST_NAME, (u64)V_START,
	    (u64)(V_START + region_pages * PAGE),
	    (u64)si->nr_pt_frames, (u64)si->pt_base,
	    (u64)si->mfn_list, si->mod_len ? "initrd at " :
	    "no initrd, mod_start ", (u64)si->mod_start);
}

void
MAIN(const si_t *start_info)
{
	/* _start pushed ESI and called us: ESP as the builder left it. */
	u32 esp = (u32)__builtin_frame_address(0) + 12;

	putf("pvbuild %s guest: entered, start_info %x, esp %x\n", GUEST_NAME,
	    (u64)(u32)start_info, (u64)esp);
	run_checks(start_info, esp);
}
