#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""mkpvhdomain.py --memory MIB [--vcpus N] [--initrd F] [--cmdline S] ELF DIR

Makes a PVH sim domain in DIR (README, "PVH domains": machine.mem and
domain.json) from a kernel ELF with a XEN_ELFNOTE_PHYS32_ENTRY note, by
the letter of the sim's PVH contract and nothing of the stages: boot's
tests run PVH domains made by this second, independent writer as well
as pvbuild's own, so that a fault of one shows against the other. Like
libxl, it lays the guest out as Xen's PVH ABI has it
(docs/misc/pvh.pandoc): RAM from 0, the kernel's PT_LOAD segments at their
physical addresses, the initrd after them, then one page of
hvm_start_info (<xen/arch-x86/hvm/start_info.h>) with the module list,
the memory map and the command line, and the ACPI tables (RSDP, XSDT,
FADT, DSDT, MADT: one local APIC per vCPU, at APIC ID 2 * vCPU as Xen
numbers them, no IO-APIC) in an ACPI region where libxl puts it,
0xfc000000 (--acpi-at: elsewhere, or right above the RAM if that is
higher), then the xenstore and console pages, reserved. Exit 0, or 1 with a message.
"""
import argparse
import json
import os
import struct
import sys

PAGE = 4096
PHYS32_ENTRY = 18
MAGIC = 0x336EC578
ACPI_PAGES = 4
ACPI_AT = 0xFC000000    # libacpi's ACPI_INFO_PHYSICAL_ADDRESS


def die(msg):
    sys.stderr.write("mkpvhdomain: %s\n" % msg)
    sys.exit(1)


def read_elf(data):
    """The PT_LOAD segments (paddr, bytes, memsz) and the PHYS32 entry."""
    if data[:4] != b"\x7fELF":
        die("not an ELF")
    is64 = data[4] == 2
    if is64:
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
    else:
        phoff, = struct.unpack_from("<I", data, 28)
        phentsize, phnum = struct.unpack_from("<HH", data, 42)
    segs, entry = [], None
    for i in range(phnum):
        o = phoff + i * phentsize
        if is64:
            ptype, _, off, _, paddr, filesz, memsz = struct.unpack_from(
                "<IIQQQQQ", data, o)
        else:
            ptype, off, _, paddr, filesz, memsz = struct.unpack_from(
                "<IIIIII", data, o)
        if ptype == 1:
            segs.append((paddr, data[off:off + filesz], memsz))
        elif ptype == 4:
            n = off
            while n + 12 <= off + filesz:
                namesz, descsz, ntype = struct.unpack_from("<III", data, n)
                name = data[n + 12:n + 12 + namesz]
                desc = n + 12 + ((namesz + 3) & ~3)
                if name == b"Xen\0" and ntype == PHYS32_ENTRY:
                    entry, = struct.unpack_from(
                        "<Q" if descsz == 8 else "<I", data, desc)
                    entry &= 0xFFFFFFFF
                n = desc + ((descsz + 3) & ~3)
    if entry is None:
        die("no XEN_ELFNOTE_PHYS32_ENTRY note")
    return segs, entry


def checksum(b, at):
    """Set byte `at` so that the bytes of b sum to zero."""
    b[at] = 0
    b[at] = (-sum(b)) & 0xFF
    return b


def sdt(sig, body, rev=1):
    """An ACPI table: its 36-byte header (ACPI 6.4, 5.2.6) and body."""
    t = bytearray(struct.pack("<4sIBB6s8sI4sI", sig, 36 + len(body), rev, 0,
                              b"PVBLD ", b"PVHTEST ", 1, b"PVBD", 1)) + body
    return checksum(t, 9)


def acpi(base, vcpus):
    """RSDP, XSDT, FADT, DSDT and MADT at `base`, one page each."""
    dsdt_a, fadt_a, madt_a, xsdt_a = (base + PAGE * i for i in range(4))
    rsdp_a = base + PAGE * 3 + 512
    dsdt = sdt(b"DSDT", b"", 2)
    fadt_body = bytearray(276 - 36)
    struct.pack_into("<I", fadt_body, 40 - 36, dsdt_a)          # DSDT
    struct.pack_into("<B", fadt_body, 131 - 36, 5)              # minor rev
    struct.pack_into("<Q", fadt_body, 140 - 36, dsdt_a)         # X_DSDT
    fadt = sdt(b"FACP", bytes(fadt_body), 6)
    madt_body = struct.pack("<II", 0xFEE00000, 1)               # PCAT_COMPAT
    for i in range(vcpus):
        madt_body += struct.pack("<BBBBI", 0, 8, i, i * 2, 1)
    madt = sdt(b"APIC", madt_body, 4)
    xsdt = sdt(b"XSDT", struct.pack("<QQ", fadt_a, madt_a))
    rsdp = bytearray(struct.pack("<8sB6sBIIQB3s", b"RSD PTR ", 0, b"PVBLD ",
                                 2, 0, 36, xsdt_a, 0, b"\0\0\0"))
    rsdp[8] = (-sum(rsdp[:20])) & 0xFF
    checksum(rsdp, 32)
    return rsdp_a, [(dsdt_a, dsdt), (fadt_a, fadt), (madt_a, madt),
                    (xsdt_a, xsdt), (rsdp_a, rsdp)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--memory", type=int, required=True)
    ap.add_argument("--vcpus", type=int, default=1)
    ap.add_argument("--initrd")
    ap.add_argument("--cmdline", default="")
    ap.add_argument("--acpi-at", type=lambda v: int(v, 0), default=ACPI_AT)
    ap.add_argument("elf")
    ap.add_argument("dir")
    a = ap.parse_args()
    with open(a.elf, "rb") as f:
        segs, entry = read_elf(f.read())
    ram_pages = a.memory * 256
    ram_end = ram_pages * PAGE
    writes = []
    top = 0
    for paddr, data, memsz in segs:
        writes.append((paddr, data))
        top = max(top, paddr + memsz)
    top = (top + PAGE - 1) & ~(PAGE - 1)
    modules = b""
    if a.initrd:
        with open(a.initrd, "rb") as f:
            initrd = f.read()
        writes.append((top, initrd))
        modules = struct.pack("<QQQQ", top, len(initrd), 0, 0)
        top = (top + len(initrd) + PAGE - 1) & ~(PAGE - 1)
    si = top
    acpi_base = max(a.acpi_at, ram_end)
    rsdp, tables = acpi(acpi_base, a.vcpus)
    special = acpi_base + ACPI_PAGES * PAGE
    memmap = [(0, ram_end, 1), (acpi_base, ACPI_PAGES * PAGE, 3),
              (special, 2 * PAGE, 2)]
    mm = b"".join(struct.pack("<QQII", ad, sz, ty, 0) for ad, sz, ty in memmap)
    cmd = a.cmdline.encode() + b"\0"
    # The page: hvm_start_info (56 bytes), modlist at 64, memmap at 128,
    # the command line at 1024.
    modlist_a, memmap_a, cmd_a = si + 64, si + 128, si + 1024
    if len(cmd) > PAGE - 1024 or 128 + len(mm) > 1024:
        die("the command line does not fit its page")
    info = struct.pack("<IIIIQQQQII", MAGIC, 1, 0, 1 if a.initrd else 0,
                       modlist_a if a.initrd else 0, cmd_a, rsdp, memmap_a,
                       len(memmap), 0)
    writes += [(si, info), (modlist_a, modules), (memmap_a, mm),
               (cmd_a, cmd)] + tables
    if si + PAGE > ram_end:
        die("the kernel and initrd do not fit %d MiB" % a.memory)
    frames = special // PAGE + 2
    os.makedirs(a.dir)
    with open(os.path.join(a.dir, "machine.mem"), "wb") as f:
        f.truncate(frames * PAGE)
        for addr, data in writes:
            f.seek(addr)
            f.write(data)
    seg = {}
    for name, ar, limit in (("cs", 0xC9B, 0xFFFFFFFF), ("ds", 0xC93, 0xFFFFFFFF),
                            ("es", 0xC93, 0xFFFFFFFF), ("ss", 0xC93, 0xFFFFFFFF),
                            ("tr", 0x8B, 0x67)):
        seg[name + "_base"] = "0x0"
        seg[name + "_limit"] = "0x%x" % limit
        seg[name + "_ar"] = "0x%x" % ar
    vcpu = dict(eip="0x%x" % entry, ebx="0x%x" % si, eflags="0x2",
                cr0="0x1", cr3="0x0", cr4="0x0", efer="0x0", **seg)
    doc = {
        "abi": "pvh", "backend": "sim", "nr_pages": ram_pages,
        "machine": {"file": "machine.mem", "page_size": PAGE,
                    "frames": frames},
        "memory_map": [{"addr": "0x%x" % ad, "size": "0x%x" % sz,
                        "type": ty} for ad, sz, ty in memmap],
        "start_info": {"gpa": "0x%x" % si},
        "hvm_params": {"store_pfn": special // PAGE,
                       "console_pfn": special // PAGE + 1,
                       "store_evtchn": 1, "console_evtchn": 2},
        "vcpu": vcpu, "vcpus": a.vcpus, "maxmem": ram_pages,
        "name": "pvh", "disks": [], "nics": [],
    }
    with open(os.path.join(a.dir, "domain.json"), "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
