/* SPDX-License-Identifier: ISC */
/*
 * pvh_qemu.c: the QEMU path for a PVH domain (qemu.h,
 * boot_pvh_qemu_path). The domain's memory is QEMU's RAM as it is, and
 * boot's PVH firmware (pvh_rom.S) enters it: boot fills in a copy of the
 * firmware's parameter block and GDT from domain.json's vCPU (checked by
 * pvh.c) and hands that copy to QEMU as its BIOS. The run itself is
 * qemu.c's, as for a PV domain.
 *
 * Descriptor format: Intel SDM vol. 3A, 3.4.5; the attribute bits are
 * <xen/hvm/hvm_vcpu.h>'s "ar" (type, S, DPL, P, then AVL, L, D/B, G).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pvh_rom.h"
#include "qemu.h"

/* The PVH firmware, built from pvh_rom.S and linked in (rom_blob.S). */
extern const unsigned char boot_pvh_rom_image[], boot_pvh_rom_image_end[];

#define AR_TYPE		0x000fULL
#define TSS32_AVAIL	0x9ULL

/*
 * The descriptor of a segment: its limit in the descriptor's units (pages
 * with G, which pvh.c checked the limit's low 12 bits allow), its
 * attributes as they are, except that a TSS is made available, as LTR
 * wants it (and marks it busy as it loads it).
 */
static uint64_t
descriptor(const struct boot_pvh_seg *s, int tss)
{
	uint64_t limit = (s->ar & 0x800) ? s->limit >> 12 : s->limit;
	uint64_t ar = tss ? (s->ar & ~AR_TYPE) | TSS32_AVAIL : s->ar;

	return (limit & 0xffff) | (s->base & 0xffffff) << 16 |
	    (ar & 0xff) << 40 | ((limit >> 16) & 0xf) << 48 |
	    ((ar >> 8) & 0xf) << 52 | ((s->base >> 24) & 0xff) << 56;
}

/* The firmware's own flat 32-bit code and data (base 0, 4 GiB). */
static const struct boot_pvh_seg rom_code = { 0, 0xffffffff, 0xc9b };
static const struct boot_pvh_seg rom_data = { 0, 0xffffffff, 0xc93 };

static void
fill_rom(const struct boot_pvh *p, uint8_t *rom)
{
	uint8_t *gdt = rom + PVH_GDT;

	memset(rom, 0, PVH_GDT + PVH_GDT_ENTRIES * 8);
	pv_put32(rom + PVH_P_EIP, p->eip);
	pv_put_le(rom + PVH_P_CS_SEL, PVH_SEL_CS, 2);
	pv_put32(rom + PVH_P_EBX, p->ebx);
	pv_put32(rom + PVH_P_EFLAGS, p->eflags);
	pv_put32(rom + PVH_P_CR0, p->cr0);
	pv_put32(rom + PVH_P_CR3, p->cr3);
	pv_put32(rom + PVH_P_CR4, p->cr4);
	pv_put32(rom + PVH_P_EFER, p->efer);
	/* POPF's stack: the word at start_info's address, put back after. */
	pv_put32(rom + PVH_P_SCRATCH, p->start_info + 4);
	pv_put_le(rom + PVH_P_GDTR, PVH_GDT_ENTRIES * 8 - 1, 2);
	pv_put32(rom + PVH_P_GDTR + 2, PVH_ROM_BASE + PVH_GDT);
	pv_put64(gdt + PVH_SEL_CS, descriptor(&p->cs, 0));
	pv_put64(gdt + PVH_SEL_DS, descriptor(&p->ds, 0));
	pv_put64(gdt + PVH_SEL_ES, descriptor(&p->es, 0));
	pv_put64(gdt + PVH_SEL_SS, descriptor(&p->ss, 0));
	pv_put64(gdt + PVH_SEL_TR, descriptor(&p->tr, 1));
	pv_put64(gdt + PVH_SEL_ROM_CS, descriptor(&rom_code, 0));
	pv_put64(gdt + PVH_SEL_ROM_DS, descriptor(&rom_data, 0));
}

/* The end of machine.mem's last data extent in [from, to), or from. */
static int
data_end(const struct boot_domain *d, uint64_t from, uint64_t to,
    uint64_t *end, struct pv_err *e)
{
	off_t at = (off_t)from, hole;

	*end = from;
	while ((uint64_t)at < to) {
		if ((at = lseek(d->mem_fd, at, SEEK_DATA)) < 0) {
			if (errno == ENXIO)
				break;
			return pv_fail(e, PV_EXIT_SYSTEM, "machine.mem: lseek: "
			    "%s", strerror(errno));
		}
		if ((uint64_t)at >= to)
			break;
		if ((hole = lseek(d->mem_fd, at, SEEK_HOLE)) < 0)
			return pv_fail(e, PV_EXIT_SYSTEM, "machine.mem: lseek: "
			    "%s", strerror(errno));
		*end = (uint64_t)hole < to ? (uint64_t)hole : to;
		at = hole;
	}
	return 0;
}

#define MIB		(1ULL << 20)
#define ROM_ALIGN	0x10000ULL

/*
 * QEMU's RAM: the map's RAM and any data of the machine's below the ROM
 * region, in whole MiB (at least 2); its ROM: the firmware, and below it
 * whatever the machine holds in the top BOOT_PVH_MAX_ROM bytes, from the
 * 64 KiB block of its first byte. Data where the firmware goes is
 * refused.
 */
static int
plan_machine(const struct boot_domain *d, struct boot_qemu_machine *m,
    struct pv_err *e)
{
	const uint64_t rom_low = BOOT_QEMU_4G - BOOT_PVH_MAX_ROM;
	uint64_t end, size = d->mem_size;
	off_t data;

	if (data_end(d, d->pvh.ram_end, rom_low < size ? rom_low : size, &end,
	    e) < 0)
		return -1;
	m->ram_size = (end + MIB - 1) & ~(MIB - 1);
	if (m->ram_size < 2 * MIB)
		m->ram_size = 2 * MIB;
	m->rom_size = m->fw_size;
	if (size <= rom_low)
		return 0;
	if ((data = lseek(d->mem_fd, (off_t)rom_low, SEEK_DATA)) < 0) {
		if (errno == ENXIO)
			return 0;
		return pv_fail(e, PV_EXIT_SYSTEM, "machine.mem: lseek: %s",
		    strerror(errno));
	}
	if (size > BOOT_QEMU_4G - m->fw_size) {
		if (data_end(d, BOOT_QEMU_4G - m->fw_size, size, &end, e) < 0)
			return -1;
		if (end > BOOT_QEMU_4G - m->fw_size)
			return pv_fail(e, PV_EXIT_INPUT, "machine.mem: data at "
			    "0x%llx, where boot's PVH firmware goes",
			    BOOT_QEMU_4G - m->fw_size);
	}
	if ((uint64_t)data < size)
		m->rom_size = BOOT_QEMU_4G - ((uint64_t)data & ~(ROM_ALIGN - 1));
	return 0;
}

int
boot_pvh_qemu_path(struct boot_domain *d, const struct boot_run *how,
    struct boot_result *r, struct pv_err *e)
{
	static uint8_t rom[PVH_ROM_SIZE];
	struct boot_qemu_machine m;
	char where[PV_MSG_SIZE];

	memset(r, 0, sizeof(*r));
	if ((size_t)(boot_pvh_rom_image_end - boot_pvh_rom_image) !=
	    sizeof(rom))
		return pv_fail(e, PV_EXIT_SYSTEM, "the PVH firmware is not "
		    "%zu bytes", sizeof(rom));
	memcpy(rom, boot_pvh_rom_image, sizeof(rom));
	fill_rom(&d->pvh, rom);
	m.fw = rom;
	m.fw_size = sizeof(rom);
	if (plan_machine(d, &m, e) < 0)
		return -1;
	snprintf(where, sizeof(where), "; RAM 0x0-0x%llx, ROM from 0x%llx "
	    "(boot's PVH firmware at 0x%x)", (unsigned long long)m.ram_size,
	    (unsigned long long)(BOOT_QEMU_4G - m.rom_size), PVH_ROM_BASE);
	how->ready(how, d, where);
	return boot_qemu_run(d, how, r, &m, e);
}
