/* SPDX-License-Identifier: ISC */
/*
 * pvh-guest.c: the self-checking PVH test guest, pvh-check (entered by
 * pvh-entry.S). A PVH kernel starts at its 32-bit physical entry with
 * %ebx the address of struct hvm_start_info
 * (<xen/arch-x86/hvm/start_info.h>, Xen's docs/misc/pvh.pandoc), which
 * leads to everything else it is given: its command line, its modules,
 * its memory map and the ACPI tables. After a line naming itself, the
 * guest checks each, in order, one line "check NAME ok" or "check NAME
 * FAIL: reason" per check, then "PASS", or "FAIL NAME" naming the first
 * check that failed; a check that stands on one that failed says so
 * rather than read through a bad pointer. The checks:
 *
 *   entry       the registers at entry (pvh-entry.S saw them): %ds, %es,
 *               %ss flat; of %cr0's writable bits only PE; %cr4 clear;
 *               EFER's long mode bits clear; EFLAGS' IF, TF and VM clear
 *   start_info  %ebx: the magic, version 1 or later, reserved zero
 *   cmdline     the command line, against its own cmdline_sum
 *   memmap      the memory map: entries sane, sorted, not overlapping,
 *               RAM where the guest lies, each RAM entry memory where
 *               probed, its RAM the expected size
 *   module      the initrd: count, address in RAM, size, checksum
 *   acpi        RSDP, XSDT (RSDT for an ACPI 1.0 RSDP), FACP, DSDT and
 *               APIC found, each with its signature and checksum
 *   vcpus       the MADT's enabled local APICs, one per expected vCPU
 *   special     (asked for by expect_special=1) the eight HVM special
 *               pages Xen's toolstack makes below pfn 0xff000: outside
 *               the memory map and populated; the xenstore and console
 *               rings (the fifth and eighth) are dom0's to write once the
 *               domain is introduced, the others zero but the seventh,
 *               the identity page table, a page directory of 4 MiB
 *               identity pages
 *
 * What it cannot know the test passes on its command line, as for the
 * PV guests (guest-cmdline.py --vcpus): expect_pages=N initrd_len=N
 * [initrd_sum=HEX] expect_vcpus=N [expect_special=1] cmdline_sum=HEX.
 * Only a builder that makes the special pages is asked to check them:
 * under QEMU's own loader nothing lies there. The RAM of the map
 * may fall short of expect_pages by the holes and firmware a machine
 * keeps (MEMMAP_SLACK_PAGES), never exceed it.
 *
 * It reports on the serial port (COM1, 0x3f8) and on port 0xE9, Xen's
 * HVM debug console and QEMU's debugcon, then writes its verdict to
 * BOOT_PORT_VERDICT (boot/ports.h; an isa-debug-exit device in QEMU) and
 * halts. Physical memory is read directly: paging is off and the
 * segments are flat, so an address is a pointer.
 */
#include <stdint.h>

#include <xen/arch-x86/hvm/start_info.h>

#include "ports.h"		/* boot/ports.h, by -Iboot */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#include "check-text.h"

#define PAGE			4096U
#define SERIAL			0x3f8
#define SERIAL_LSR		(SERIAL + 5)
#define LSR_THRE		0x20
#define DEBUG_PORT		0xe9

#define CR0_PE			0x00000001U
/* CR0's writable bits: PE MP EM TS NE WP AM NW CD PG (Intel SDM 2.5). */
#define CR0_WRITABLE		0xe005002fU
#define EFER_LME		0x100U
#define EFER_LMA		0x400U
#define EFLAGS_TF		0x00000100U
#define EFLAGS_IF		0x00000200U
#define EFLAGS_VM		0x00020000U

/* pvh-entry.S's bits for the segments that are not flat. */
#define SEG_DS			1U
#define SEG_ES			2U
#define SEG_SS			4U

#define MAX_CMDLINE		4096U
#define MAX_MEMMAP		128U
#define MAX_MODULES		16U
#define MAX_TABLE		(1U << 20)	/* bytes of one ACPI table */
#define MAX_SDT_ENTRIES		64U
#define MEMMAP_SLACK_PAGES	1024U		/* 4 MiB */

/* X86_HVM_END_SPECIAL_REGION, X86_HVM_NR_SPECIAL_PAGES (xenguest.h). */
#define SPECIAL_END_PFN		0xff000U
#define NR_SPECIAL		8U
#define SPECIAL_XENSTORE	4U		/* SPECIALPAGE_XENSTORE */
#define SPECIAL_IDENT_PT	6U		/* SPECIALPAGE_IDENT_PT */
#define SPECIAL_CONSOLE		7U		/* SPECIALPAGE_CONSOLE */
/* Present, RW, User, Accessed, Dirty, 4 MiB page: a PDE's flags. */
#define IDENT_PDE_FLAGS		0xe7U

extern const u8 pvh_start[], pvh_image_end[];

static inline void
outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8
inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/*
 * One character to both consoles. The UART is waited for a bounded
 * while: where there is none (a PVH domain on Xen has no COM1) the port
 * reads all ones, and a stuck one must not stop the report on 0xE9.
 */
static void
emit_console(char c)
{
	unsigned spins;

	for (spins = 0; spins < 100000 && !(inb(SERIAL_LSR) & LSR_THRE);
	    spins++)
		;
	outb(SERIAL, (u8)c);
	outb(DEBUG_PORT, (u8)c);
}

/* The check running, for an exception's report, and the first failed. */
static const char *current = "entry";
static const char *first_failed;

static void
report(const char *name, int ok)
{
	why_buf[why_len] = '\0';
	putf(ok ? "check %s ok\n" : "check %s FAIL: %s\n", name, why_buf);
	if (!ok && first_failed == 0)
		first_failed = name;
	why_len = 0;
	why_done = 0;
}

static void __attribute__((noreturn))
finish(void)
{
	if (first_failed == 0)
		putf("PASS\n");
	else
		putf("FAIL %s\n", first_failed);
	outb(BOOT_PORT_VERDICT, first_failed == 0 ? 0 : 1);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void
skipped(const char *name, const char *because)
{
	report(name, fail("not checked: %s failed", because));
}

/* Called by pvh-entry.S's stubs: an exception ends the run. */
void __attribute__((noreturn, used)) pvh_trap(u32 vector, u32 error, u32 eip);

void
pvh_trap(u32 vector, u32 error, u32 eip)
{
	report(current, fail("exception %d (error code %x) at eip %x",
	    (u64)vector, (u64)error, (u64)eip));
	finish();
}

/* Whether [addr, addr + len) lies below 4 GiB, where the guest reaches. */
static int
reachable(u64 addr, u64 len)
{
	return addr <= 0x100000000ULL && len <= 0x100000000ULL - addr;
}

static const void *
phys(u64 addr)
{
	return (const void *)(uintptr_t)addr;
}

static u8
sum_bytes(const u8 *p, u32 n)
{
	u8 s = 0;

	while (n-- > 0)
		s = (u8)(s + *p++);
	return s;
}

static u32
get32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
	    (u32)p[3] << 24;
}

static u64
get64(const u8 *p)
{
	return (u64)get32(p) | (u64)get32(p + 4) << 32;
}

/* The entry's registers (pvh-entry.S). */
static int
check_entry(u32 badseg, u32 eflags, u32 cr0, u32 cr4, u32 efer)
{
	if (badseg != 0)
		return fail("%s%s%snot flat: a word above 1 MiB read through "
		    "it is not the word there", badseg & SEG_DS ? "ds " : "",
		    badseg & SEG_ES ? "es " : "", badseg & SEG_SS ? "ss " : "");
	if ((cr0 & CR0_WRITABLE) != CR0_PE)
		return fail("cr0 %x: of its writable bits only PE may be set "
		    "(paging off)", (u64)cr0);
	if (cr4 != 0)
		return fail("cr4 %x is not clear", (u64)cr4);
	if (efer & (EFER_LME | EFER_LMA))
		return fail("efer %x: long mode enabled", (u64)efer);
	if (eflags & (EFLAGS_IF | EFLAGS_TF | EFLAGS_VM))
		return fail("eflags %x: IF, TF or VM set", (u64)eflags);
	return 1;
}

static const struct hvm_start_info *si;

static int
check_start_info(u32 ebx)
{
	if (ebx == 0 || !reachable(ebx, sizeof(*si)))
		return fail("ebx %x cannot hold hvm_start_info", (u64)ebx);
	si = phys(ebx);
	if (si->magic != XEN_HVM_START_MAGIC_VALUE)
		return fail("magic %x at ebx %x, not %x", (u64)si->magic,
		    (u64)ebx, (u64)XEN_HVM_START_MAGIC_VALUE);
	if (si->version < 1)
		return fail("version %d: no memory map (1 or later expected)",
		    (u64)si->version);
	if (si->reserved != 0)
		return fail("reserved %x is not zero", (u64)si->reserved);
	return 1;
}

/* What the command line says to expect. */
static const char *cmdline;
static u64 expect_pages, initrd_len, initrd_sum, expect_vcpus,
    expect_special;
static int has_initrd_sum;

static int
check_cmdline(void)
{
	const char *at;
	u64 sum;
	u32 n;

	if (si->cmdline_paddr == 0 || !reachable(si->cmdline_paddr, 1))
		return fail("cmdline_paddr %x: no command line",
		    (u64)si->cmdline_paddr);
	cmdline = phys(si->cmdline_paddr);
	for (n = 0; n < MAX_CMDLINE && cmdline[n] != '\0'; n++)
		if (!reachable(si->cmdline_paddr, n + 2))
			return fail("the command line runs past 4 GiB");
	if (n == MAX_CMDLINE)
		return fail("no NUL in the command line's first %d bytes",
		    (u64)MAX_CMDLINE);
	if (!cmdline_value(cmdline, "cmdline_sum", 16, &sum, &at))
		return fail("no cmdline_sum=HEX in \"%s\"", cmdline);
	if (at == cmdline || fnv_add(FNV_OFFSET, (const u8 *)cmdline,
	    (u64)(at - cmdline - 1)) != (u32)sum)
		return fail("\"%s\" is not the command line whose sum is %x",
		    cmdline, (u64)sum);
	if (!cmdline_value(cmdline, "expect_pages", 10, &expect_pages, &at) ||
	    !cmdline_value(cmdline, "initrd_len", 10, &initrd_len, &at) ||
	    !cmdline_value(cmdline, "expect_vcpus", 10, &expect_vcpus, &at))
		return fail("expect_pages, initrd_len or expect_vcpus missing "
		    "from \"%s\"", cmdline);
	has_initrd_sum = cmdline_value(cmdline, "initrd_sum", 16, &initrd_sum,
	    &at);
	if (!cmdline_value(cmdline, "expect_special", 10, &expect_special,
	    &at))
		expect_special = 0;
	return 1;
}

static const struct hvm_memmap_table_entry *map;
static u32 map_entries;

/* Whether [addr, addr + len) lies in one entry of the map of `type`. */
static int
in_map(u64 addr, u64 len, u32 type)
{
	u32 i;

	for (i = 0; i < map_entries; i++)
		if (map[i].type == type && addr >= map[i].addr &&
		    addr - map[i].addr <= map[i].size &&
		    len <= map[i].size - (addr - map[i].addr))
			return 1;
	return 0;
}

/*
 * Whether the word at `addr` is memory: a pattern written there reads
 * back, and the word is put back as it was. Interrupts are off and
 * nothing else runs, so nothing sees the pattern.
 */
static int
is_memory(u32 addr)
{
	volatile u32 *w = (volatile u32 *)(uintptr_t)addr;
	u32 old = *w, ok;

	*w = 0x5a3cc3a5;
	ok = *w == 0x5a3cc3a5;
	*w = ~0x5a3cc3a5u;
	ok = ok && *w == ~0x5a3cc3a5u;
	*w = old;
	return ok;
}

/*
 * A RAM entry is memory where the guest probes it: its first and last
 * word below 4 GiB, and each page of it in the first MiB, which a PC
 * keeps for VGA and its firmware unless told otherwise.
 */
static int
ram_is_memory(u64 addr, u64 size)
{
	u64 end = addr + size, a;

	if (addr >= 0x100000000ULL)
		return 1;
	if (end > 0x100000000ULL)
		end = 0x100000000ULL;
	if (!is_memory((u32)addr))
		return fail("RAM at %x is not memory", addr);
	if (!is_memory((u32)(end - 4)))
		return fail("RAM at %x is not memory", end - 4);
	for (a = addr; a < end && a < 0x100000; a += PAGE)
		if (!is_memory((u32)a))
			return fail("RAM at %x is not memory", a);
	return 1;
}

static int
check_memmap(void)
{
	u64 ram = 0, end = 0, pages;
	u32 i;

	map_entries = si->memmap_entries;
	if (map_entries == 0 || map_entries > MAX_MEMMAP)
		return fail("memmap_entries %d is not in 1..%d",
		    (u64)map_entries, (u64)MAX_MEMMAP);
	if (si->memmap_paddr == 0 || !reachable(si->memmap_paddr,
	    (u64)map_entries * sizeof(*map)))
		return fail("memmap_paddr %x cannot hold %d entries",
		    (u64)si->memmap_paddr, (u64)map_entries);
	map = phys(si->memmap_paddr);
	for (i = 0; i < map_entries; i++) {
		if (map[i].size == 0 || map[i].addr + map[i].size < map[i].addr)
			return fail("entry %d: addr %x size %x", (u64)i,
			    map[i].addr, map[i].size);
		if (map[i].type == 0)
			return fail("entry %d: type 0", (u64)i);
		if (i > 0 && map[i].addr < end)
			return fail("entry %d at %x: not after the one before, "
			    "which ends at %x", (u64)i, map[i].addr, end);
		end = map[i].addr + map[i].size;
		if (map[i].type != XEN_HVM_MEMMAP_TYPE_RAM)
			continue;
		ram += map[i].size;
		if (!ram_is_memory(map[i].addr, map[i].size))
			return 0;
	}
	if (!in_map((uintptr_t)pvh_start, (u64)(pvh_image_end - pvh_start),
	    XEN_HVM_MEMMAP_TYPE_RAM))
		return fail("the guest, %x-%x, is not in one RAM entry",
		    (u64)(uintptr_t)pvh_start, (u64)(uintptr_t)pvh_image_end);
	pages = ram / PAGE;
	if (pages > expect_pages || pages + MEMMAP_SLACK_PAGES < expect_pages)
		return fail("%d pages of RAM, expected %d (or up to %d fewer)",
		    (u64)pages, (u64)expect_pages, (u64)MEMMAP_SLACK_PAGES);
	return 1;
}

static int
check_module(int memmap_ok)
{
	const struct hvm_modlist_entry *mod;
	u32 sum;

	if (initrd_len == 0)
		return si->nr_modules == 0 ? 1 :
		    fail("nr_modules %d, and no initrd given",
		    (u64)si->nr_modules);
	if (si->nr_modules == 0 || si->nr_modules > MAX_MODULES)
		return fail("nr_modules %d: not the initrd given",
		    (u64)si->nr_modules);
	if (si->modlist_paddr == 0 || !reachable(si->modlist_paddr,
	    (u64)si->nr_modules * sizeof(*mod)))
		return fail("modlist_paddr %x cannot hold %d entries",
		    (u64)si->modlist_paddr, (u64)si->nr_modules);
	mod = phys(si->modlist_paddr);
	if (mod->size != initrd_len)
		return fail("module 0: %x bytes, not the initrd's %x",
		    (u64)mod->size, (u64)initrd_len);
	if (mod->paddr == 0 || !reachable(mod->paddr, mod->size))
		return fail("module 0 at %x: not below 4 GiB", (u64)mod->paddr);
	if (memmap_ok && !in_map(mod->paddr, mod->size,
	    XEN_HVM_MEMMAP_TYPE_RAM))
		return fail("module 0, %x bytes at %x: not in RAM", mod->size,
		    mod->paddr);
	if (mod->paddr < (uintptr_t)pvh_image_end &&
	    mod->paddr + mod->size > (uintptr_t)pvh_start)
		return fail("module 0 at %x overlaps the guest", mod->paddr);
	if (has_initrd_sum && (sum = fnv_add(FNV_OFFSET, phys(mod->paddr),
	    mod->size)) != (u32)initrd_sum)
		return fail("module 0's bytes sum to %x, not %x", (u64)sum,
		    (u64)initrd_sum);
	return 1;
}

/*
 * An ACPI table's header (ACPI 6.4, 5.2.6) at `addr`: its signature, a
 * length that holds the header and no more than MAX_TABLE, and a
 * checksum summing the whole table to zero. Returns the table or 0.
 */
static const u8 *
acpi_table(u64 addr, const char *sig)
{
	const u8 *t;
	u32 len;
	int i;

	if (addr == 0 || !reachable(addr, 36)) {
		fail("%s at %x: not below 4 GiB", sig, (u64)addr);
		return 0;
	}
	t = phys(addr);
	for (i = 0; i < 4; i++)
		if (t[i] != (u8)sig[i]) {
			fail("no %s signature at %x: \"%c%c%c%c\"", sig, addr,
			    t[0], t[1], t[2], t[3]);
			return 0;
		}
	len = get32(t + 4);
	if (len < 36 || len > MAX_TABLE || !reachable(addr, len)) {
		fail("%s at %x: length %d", sig, (u64)addr, (u64)len);
		return 0;
	}
	if (sum_bytes(t, len) != 0) {
		fail("%s at %x: checksum %x does not sum the table to zero",
		    sig, (u64)addr, (u64)((u32)t[9]));
		return 0;
	}
	return t;
}

static const u8 *madt;

/*
 * RSDP (ACPI 6.4, 5.2.5): "RSD PTR ", the first 20 bytes summing to zero,
 * and from revision 2 a length and an extended checksum over it, and the
 * XSDT, whose entries are 64-bit. An ACPI 1.0 RSDP (revision 0, as
 * SeaBIOS gives) has only the RSDT, of 32-bit entries.
 */
static int
check_acpi(void)
{
	static const char rsdp_sig[8] = "RSD PTR ";
	const u8 *rsdp, *root, *t, *fadt = 0;
	u64 addr, dsdt_addr;
	u32 i, n, len, width;
	int xsdt;

	if (si->rsdp_paddr == 0 || !reachable(si->rsdp_paddr, 36))
		return fail("rsdp_paddr %x: no RSDP", (u64)si->rsdp_paddr);
	rsdp = phys(si->rsdp_paddr);
	for (i = 0; i < 8; i++)
		if (rsdp[i] != (u8)rsdp_sig[i])
			return fail("no \"RSD PTR \" at rsdp_paddr %x",
			    (u64)si->rsdp_paddr);
	if (sum_bytes(rsdp, 20) != 0)
		return fail("RSDP: checksum %x does not sum its first 20 bytes "
		    "to zero", (u64)((u32)rsdp[8]));
	xsdt = rsdp[15] >= 2;
	if (xsdt) {
		len = get32(rsdp + 20);
		if (len < 36 || len > 4096 || !reachable(si->rsdp_paddr, len))
			return fail("RSDP: length %d", (u64)len);
		if (sum_bytes(rsdp, len) != 0)
			return fail("RSDP: extended checksum %x does not sum it "
			    "to zero", (u64)((u32)rsdp[32]));
		root = acpi_table(get64(rsdp + 24), "XSDT");
	} else {
		root = acpi_table(get32(rsdp + 16), "RSDT");
	}
	if (root == 0)
		return 0;
	width = xsdt ? 8 : 4;
	n = (get32(root + 4) - 36) / width;
	if (n > MAX_SDT_ENTRIES)
		return fail("%s: %d entries", xsdt ? "XSDT" : "RSDT", (u64)n);
	for (i = 0; i < n; i++) {
		addr = xsdt ? get64(root + 36 + 8 * i) :
		    get32(root + 36 + 4 * i);
		if (addr == 0 || !reachable(addr, 36))
			return fail("entry %d: %x", (u64)i, (u64)addr);
		t = phys(addr);
		if (get32(t) == get32((const u8 *)"FACP")) {
			if ((fadt = acpi_table(addr, "FACP")) == 0)
				return 0;
		} else if (get32(t) == get32((const u8 *)"APIC")) {
			if ((madt = acpi_table(addr, "APIC")) == 0)
				return 0;
		}
	}
	if (fadt == 0 || madt == 0)
		return fail("%s lists no %s", xsdt ? "XSDT" : "RSDT",
		    fadt == 0 ? "FACP" : "APIC");
	/* FADT: X_DSDT (offset 140) where it has one, else DSDT (40). */
	dsdt_addr = get32(fadt + 4) >= 148 ? get64(fadt + 140) : 0;
	if (dsdt_addr == 0)
		dsdt_addr = get32(fadt + 40);
	if (acpi_table(dsdt_addr, "DSDT") == 0)
		return 0;
	if (get32(madt + 4) < 44)
		return fail("APIC: length %d", (u64)(get32(madt + 4)));
	return 1;
}

/* MADT entries (ACPI 6.4, 5.2.12): local APIC (0), local x2APIC (9). */
static int
check_vcpus(void)
{
	u32 off = 44, len = get32(madt + 4), cpus = 0;
	u8 type, elen;

	while (off < len) {
		if (len - off < 2)
			return fail("APIC: a truncated entry at %d", (u64)off);
		type = madt[off];
		elen = madt[off + 1];
		if (elen < 2 || elen > len - off)
			return fail("APIC: entry at %d: length %d", (u64)off,
			    (u64)elen);
		if (type == 0 && elen >= 8 && (get32(madt + off + 4) & 1))
			cpus++;
		else if (type == 9 && elen >= 16 && (get32(madt + off + 8) & 1))
			cpus++;
		off += elen;
	}
	if (cpus != expect_vcpus)
		return fail("%d enabled local APICs, expected %d vCPUs",
		    (u64)cpus,
		    (u64)expect_vcpus);
	return 1;
}

/*
 * The special pages, read where they lie: a frame left unpopulated reads
 * as all ones on Xen (nothing emulates it), so a zero page is one the
 * builder populated and cleared, and a ring page that is all ones is
 * one it did not populate.
 */
static int
check_special(int memmap_ok)
{
	const volatile u32 *w;
	u64 addr;
	u32 i, j, want, ones;

	for (i = 0; i < NR_SPECIAL; i++) {
		addr = (u64)(SPECIAL_END_PFN - NR_SPECIAL + i) * PAGE;
		for (j = 0; memmap_ok && j < map_entries; j++)
			if (addr < map[j].addr + map[j].size &&
			    addr + PAGE > map[j].addr)
				return fail("special page %x lies in memory map "
				    "entry %d", addr, (u64)j);
		w = (const volatile u32 *)(uintptr_t)addr;
		if (i == SPECIAL_XENSTORE || i == SPECIAL_CONSOLE) {
			for (j = 0, ones = 0; j < PAGE / 4; j++)
				ones += w[j] == 0xffffffffU;
			if (ones == PAGE / 4)
				return fail("special page %x reads as all ones: "
				    "not populated", addr);
			continue;
		}
		for (j = 0; j < PAGE / 4; j++) {
			want = i == SPECIAL_IDENT_PT ?
			    (j << 22) | IDENT_PDE_FLAGS : 0;
			if (w[j] != want)
				return fail("special page %x: word %d is %x, "
				    "not %x", addr, (u64)j, (u64)w[j],
				    (u64)want);
		}
	}
	return 1;
}

void __attribute__((noreturn, used)) pvh_main(u32 ebx, u32 badseg,
    u32 eflags, u32 cr0, u32 cr4, u32 efer);

void
pvh_main(u32 ebx, u32 badseg, u32 eflags, u32 cr0, u32 cr4, u32 efer)
{
	int si_ok, cmdline_ok, memmap_ok = 0, acpi_ok;

	/* On a line of its own, whatever a firmware wrote before. */
	putf("\npvh-check: entered at %x, ebx %x\n",
	    (u64)(uintptr_t)pvh_start,
	    (u64)ebx);
	report("entry", check_entry(badseg, eflags, cr0, cr4, efer));
	current = "start_info";
	report("start_info", si_ok = check_start_info(ebx));
	if (!si_ok)
		finish();
	current = "cmdline";
	report("cmdline", cmdline_ok = check_cmdline());
	current = "memmap";
	if (cmdline_ok)
		report("memmap", memmap_ok = check_memmap());
	else
		skipped("memmap", "cmdline");
	current = "module";
	if (cmdline_ok)
		report("module", check_module(memmap_ok));
	else
		skipped("module", "cmdline");
	current = "acpi";
	report("acpi", acpi_ok = check_acpi());
	current = "vcpus";
	if (!acpi_ok)
		skipped("vcpus", "acpi");
	else if (!cmdline_ok)
		skipped("vcpus", "cmdline");
	else
		report("vcpus", check_vcpus());
	if (cmdline_ok && expect_special) {
		current = "special";
		report("special", check_special(memmap_ok));
	}
	finish();
}
