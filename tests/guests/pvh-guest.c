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
 *               RAM where the guest lies, its RAM the expected size
 *   module      the initrd: count, address in RAM, size, checksum
 *   acpi        RSDP, XSDT (RSDT for an ACPI 1.0 RSDP), FACP, DSDT and
 *               APIC found, each with its signature and checksum
 *   vcpus       the MADT's enabled local APICs, one per expected vCPU
 *
 * What it cannot know the test passes on its command line, as for the
 * PV guests (guest-cmdline.py --vcpus): expect_pages=N initrd_len=N
 * [initrd_sum=HEX] expect_vcpus=N cmdline_sum=HEX. The RAM of the map
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

/*
 * A small printf: %s, %c, %u (u32, decimal), %x (u32) and %q (u64), both
 * hex with "0x": a 32-bit guest has no libgcc for 64-bit division, and
 * addresses read better in hex anyway.
 */
static void
format(void (*emit)(char), const char *f, __builtin_va_list ap)
{
	char buf[20];
	const char *s;
	u64 v;
	u32 d;
	int i;

	for (; *f != '\0'; f++) {
		if (*f != '%') {
			emit(*f);
			continue;
		}
		i = 0;
		switch (*++f) {
		case 's':
			for (s = __builtin_va_arg(ap, const char *); *s; s++)
				emit(*s);
			continue;
		case 'c':
			emit((char)__builtin_va_arg(ap, int));
			continue;
		case 'u':
			d = __builtin_va_arg(ap, u32);
			do {
				buf[i++] = (char)('0' + d % 10);
				d /= 10;
			} while (d != 0);
			break;
		case 'x':
		case 'q':
			v = *f == 'x' ? __builtin_va_arg(ap, u32) :
			    __builtin_va_arg(ap, u64);
			do {
				buf[i++] = "0123456789abcdef"[v & 15];
				v >>= 4;
			} while (v != 0);
			buf[i++] = 'x';
			buf[i++] = '0';
			break;
		default:
			emit(*f);
			continue;
		}
		while (i > 0)
			emit(buf[--i]);
	}
}

static void
putf(const char *f, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, f);
	format(emit_console, f, ap);
	__builtin_va_end(ap);
}

/* Why the current check failed: its first reason only. */
static char why_buf[200];
static unsigned why_len;
static int why_done;

static void
emit_why(char c)
{
	if (why_len < sizeof(why_buf) - 1)
		why_buf[why_len++] = c;
}

/* Give the reason a check failed; returns 0, the check's result. */
static int
fail(const char *f, ...)
{
	__builtin_va_list ap;

	if (!why_done) {
		__builtin_va_start(ap, f);
		format(emit_why, f, ap);
		__builtin_va_end(ap);
		why_done = 1;
	}
	return 0;
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
	report(current, fail("exception %u (error code %x) at eip %x", vector,
	    error, eip));
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

/* FNV-1a, 32 bits: the sums the test passes on the command line. */
static u32
fnv_add(u32 h, const u8 *p, u64 n)
{
	while (n-- > 0)
		h = (h ^ *p++) * 0x01000193u;
	return h;
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
		    "(paging off)", cr0);
	if (cr4 != 0)
		return fail("cr4 %x is not clear", cr4);
	if (efer & (EFER_LME | EFER_LMA))
		return fail("efer %x: long mode enabled", efer);
	if (eflags & (EFLAGS_IF | EFLAGS_TF | EFLAGS_VM))
		return fail("eflags %x: IF, TF or VM set", eflags);
	return 1;
}

static const struct hvm_start_info *si;

static int
check_start_info(u32 ebx)
{
	if (ebx == 0 || !reachable(ebx, sizeof(*si)))
		return fail("ebx %x cannot hold hvm_start_info", ebx);
	si = phys(ebx);
	if (si->magic != XEN_HVM_START_MAGIC_VALUE)
		return fail("magic %x at ebx %x, not %x", si->magic, ebx,
		    (u32)XEN_HVM_START_MAGIC_VALUE);
	if (si->version < 1)
		return fail("version %u: no memory map (1 or later expected)",
		    si->version);
	if (si->reserved != 0)
		return fail("reserved %x is not zero", si->reserved);
	return 1;
}

/* What the command line says to expect. */
static const char *cmdline;
static u64 expect_pages, initrd_len, initrd_sum, expect_vcpus;
static int has_initrd_sum;

/* The length of `key` if `p` starts with it followed by '=', else 0. */
static unsigned
key_at(const char *p, const char *key)
{
	unsigned n;

	for (n = 0; key[n] != '\0'; n++)
		if (p[n] != key[n])
			return 0;
	return p[n] == '=' ? n : 0;
}

/*
 * The value of "KEY=" in the command line (at its start or after a
 * space), in `base` 10 or 16, up to the next space; *at is where the key
 * starts. Returns 1 if found and well formed.
 */
static int
cmdline_value(const char *key, unsigned base, u64 *v, const char **at)
{
	const char *p, *s = cmdline;
	unsigned n, d;

	for (p = s; *p != '\0'; p++) {
		if ((p != s && p[-1] != ' ') || (n = key_at(p, key)) == 0)
			continue;
		*at = p;
		*v = 0;
		for (p += n + 1; *p != '\0' && *p != ' '; p++) {
			if (*p >= '0' && *p <= '9')
				d = (unsigned)(*p - '0');
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = (unsigned)(*p - 'a' + 10);
			else
				return 0;
			if (*v >> 59 != 0)
				return 0;
			*v = *v * base + d;
		}
		return p != *at + n + 1;
	}
	return 0;
}

static int
check_cmdline(void)
{
	const char *at;
	u64 sum;
	u32 n;

	if (si->cmdline_paddr == 0 || !reachable(si->cmdline_paddr, 1))
		return fail("cmdline_paddr %q: no command line",
		    si->cmdline_paddr);
	cmdline = phys(si->cmdline_paddr);
	for (n = 0; n < MAX_CMDLINE && cmdline[n] != '\0'; n++)
		if (!reachable(si->cmdline_paddr, n + 2))
			return fail("the command line runs past 4 GiB");
	if (n == MAX_CMDLINE)
		return fail("no NUL in the command line's first %u bytes",
		    MAX_CMDLINE);
	if (!cmdline_value("cmdline_sum", 16, &sum, &at))
		return fail("no cmdline_sum=HEX in \"%s\"", cmdline);
	if (at == cmdline || fnv_add(0x811c9dc5u, (const u8 *)cmdline,
	    (u64)(at - cmdline - 1)) != (u32)sum)
		return fail("\"%s\" is not the command line whose sum is %x",
		    cmdline, (u32)sum);
	if (!cmdline_value("expect_pages", 10, &expect_pages, &at) ||
	    !cmdline_value("initrd_len", 10, &initrd_len, &at) ||
	    !cmdline_value("expect_vcpus", 10, &expect_vcpus, &at))
		return fail("expect_pages, initrd_len or expect_vcpus missing "
		    "from \"%s\"", cmdline);
	has_initrd_sum = cmdline_value("initrd_sum", 16, &initrd_sum, &at);
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

static int
check_memmap(void)
{
	u64 ram = 0, end = 0, pages;
	u32 i;

	map_entries = si->memmap_entries;
	if (map_entries == 0 || map_entries > MAX_MEMMAP)
		return fail("memmap_entries %u is not in 1..%u", map_entries,
		    MAX_MEMMAP);
	if (si->memmap_paddr == 0 || !reachable(si->memmap_paddr,
	    (u64)map_entries * sizeof(*map)))
		return fail("memmap_paddr %q cannot hold %u entries",
		    si->memmap_paddr, map_entries);
	map = phys(si->memmap_paddr);
	for (i = 0; i < map_entries; i++) {
		if (map[i].size == 0 || map[i].addr + map[i].size < map[i].addr)
			return fail("entry %u: addr %q size %q", i, map[i].addr,
			    map[i].size);
		if (map[i].type == 0)
			return fail("entry %u: type 0", i);
		if (i > 0 && map[i].addr < end)
			return fail("entry %u at %q: not after the one before, "
			    "which ends at %q", i, map[i].addr, end);
		end = map[i].addr + map[i].size;
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
			ram += map[i].size;
	}
	if (!in_map((uintptr_t)pvh_start, (u64)(pvh_image_end - pvh_start),
	    XEN_HVM_MEMMAP_TYPE_RAM))
		return fail("the guest, %x-%x, is not in one RAM entry",
		    (u32)(uintptr_t)pvh_start, (u32)(uintptr_t)pvh_image_end);
	pages = ram / PAGE;
	if (pages > expect_pages || pages + MEMMAP_SLACK_PAGES < expect_pages)
		return fail("%u pages of RAM, expected %u (or up to %u fewer)",
		    (u32)pages, (u32)expect_pages, MEMMAP_SLACK_PAGES);
	return 1;
}

static int
check_module(int memmap_ok)
{
	const struct hvm_modlist_entry *mod;
	u32 sum;

	if (initrd_len == 0)
		return si->nr_modules == 0 ? 1 :
		    fail("nr_modules %u, and no initrd given", si->nr_modules);
	if (si->nr_modules == 0 || si->nr_modules > MAX_MODULES)
		return fail("nr_modules %u: not the initrd given",
		    si->nr_modules);
	if (si->modlist_paddr == 0 || !reachable(si->modlist_paddr,
	    (u64)si->nr_modules * sizeof(*mod)))
		return fail("modlist_paddr %q cannot hold %u entries",
		    si->modlist_paddr, si->nr_modules);
	mod = phys(si->modlist_paddr);
	if (mod->size != initrd_len)
		return fail("module 0: %q bytes, not the initrd's %q",
		    mod->size, initrd_len);
	if (mod->paddr == 0 || !reachable(mod->paddr, mod->size))
		return fail("module 0 at %q: not below 4 GiB", mod->paddr);
	if (memmap_ok && !in_map(mod->paddr, mod->size,
	    XEN_HVM_MEMMAP_TYPE_RAM))
		return fail("module 0, %q bytes at %q: not in RAM", mod->size,
		    mod->paddr);
	if (mod->paddr < (uintptr_t)pvh_image_end &&
	    mod->paddr + mod->size > (uintptr_t)pvh_start)
		return fail("module 0 at %q overlaps the guest", mod->paddr);
	if (has_initrd_sum && (sum = fnv_add(0x811c9dc5u, phys(mod->paddr),
	    mod->size)) != (u32)initrd_sum)
		return fail("module 0's bytes sum to %x, not %x", sum,
		    (u32)initrd_sum);
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
		fail("%s at %q: not below 4 GiB", sig, addr);
		return 0;
	}
	t = phys(addr);
	for (i = 0; i < 4; i++)
		if (t[i] != (u8)sig[i]) {
			fail("no %s signature at %q: \"%c%c%c%c\"", sig, addr,
			    t[0], t[1], t[2], t[3]);
			return 0;
		}
	len = get32(t + 4);
	if (len < 36 || len > MAX_TABLE || !reachable(addr, len)) {
		fail("%s at %q: length %u", sig, addr, len);
		return 0;
	}
	if (sum_bytes(t, len) != 0) {
		fail("%s at %q: checksum %x does not sum the table to zero",
		    sig, addr, (u32)t[9]);
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
		return fail("rsdp_paddr %q: no RSDP", si->rsdp_paddr);
	rsdp = phys(si->rsdp_paddr);
	for (i = 0; i < 8; i++)
		if (rsdp[i] != (u8)rsdp_sig[i])
			return fail("no \"RSD PTR \" at rsdp_paddr %q",
			    si->rsdp_paddr);
	if (sum_bytes(rsdp, 20) != 0)
		return fail("RSDP: checksum %x does not sum its first 20 bytes "
		    "to zero", (u32)rsdp[8]);
	xsdt = rsdp[15] >= 2;
	if (xsdt) {
		len = get32(rsdp + 20);
		if (len < 36 || len > 4096 || !reachable(si->rsdp_paddr, len))
			return fail("RSDP: length %u", len);
		if (sum_bytes(rsdp, len) != 0)
			return fail("RSDP: extended checksum %x does not sum it "
			    "to zero", (u32)rsdp[32]);
		root = acpi_table(get64(rsdp + 24), "XSDT");
	} else {
		root = acpi_table(get32(rsdp + 16), "RSDT");
	}
	if (root == 0)
		return 0;
	width = xsdt ? 8 : 4;
	n = (get32(root + 4) - 36) / width;
	if (n > MAX_SDT_ENTRIES)
		return fail("%s: %u entries", xsdt ? "XSDT" : "RSDT", n);
	for (i = 0; i < n; i++) {
		addr = xsdt ? get64(root + 36 + 8 * i) : get32(root + 36 + 4 * i);
		if (addr == 0 || !reachable(addr, 36))
			return fail("entry %u: %q", i, addr);
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
		return fail("APIC: length %u", get32(madt + 4));
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
			return fail("APIC: a truncated entry at %u", off);
		type = madt[off];
		elen = madt[off + 1];
		if (elen < 2 || elen > len - off)
			return fail("APIC: entry at %u: length %u", off,
			    (u32)elen);
		if (type == 0 && elen >= 8 && (get32(madt + off + 4) & 1))
			cpus++;
		else if (type == 9 && elen >= 16 && (get32(madt + off + 8) & 1))
			cpus++;
		off += elen;
	}
	if (cpus != expect_vcpus)
		return fail("%u enabled local APICs, expected %u vCPUs", cpus,
		    (u32)expect_vcpus);
	return 1;
}

void __attribute__((noreturn, used)) pvh_main(u32 ebx, u32 badseg,
    u32 eflags, u32 cr0, u32 cr4, u32 efer);

void
pvh_main(u32 ebx, u32 badseg, u32 eflags, u32 cr0, u32 cr4, u32 efer)
{
	int si_ok, cmdline_ok, memmap_ok = 0, acpi_ok;

	/* On a line of its own, whatever a firmware wrote before. */
	putf("\npvh-check: entered at %x, ebx %x\n", (u32)(uintptr_t)pvh_start,
	    ebx);
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
	finish();
}
