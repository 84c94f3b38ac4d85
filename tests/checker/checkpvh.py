#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""checkpvh.py: check a PVH domain built by `finalize --backend sim`, and
damage one for the negative tests.

    checkpvh.py DIR --kernel KERNEL [--initrd INITRD] --memory BYTES
                [--cmdline STRING] [--vcpus N] [--maxmem BYTES]
                [--name NAME] [--disk SPEC]... [--nic SPEC]...
    checkpvh.py --damage DIR KIND     edit DIR in place (copy it first)
    checkpvh.py --kinds               the KINDs and the group each fails

A second opinion that shares no code with pvbuild and never reads
DIR/plan.json. It reads the kernel itself (checkdom.py's image and ELF
readers: plain, compressed, bzImage), takes PHYS32_ENTRY from its notes,
works out from the README's PVH rules (Xen 4.17's toolstack) where each
part goes, and then reads machine.mem the way the guest would with paging
off: guest-physical address A at byte A. It checks the kernel's bytes at
their physical addresses (bss zero), the initrd, hvm_start_info
(<xen/arch-x86/hvm/start_info.h>) with its command line, module and
memory map, the ACPI tables from the RSDP down (signatures, checksums, the
hardware-reduced FADT, one enabled local APIC per vCPU in the MADT), the
vCPU's entry state, the eight special pages (each zero but the identity
page table, which holds its page directory) with the HVM parameters that
point at them, that nothing else was written, and the request beyond
memory (vCPUs, maxmem, name, devices) as checkdom.py holds a PV domain's.

Prints `ok GROUP` or `FAIL GROUP: what` per group; exits 0 when all pass,
1 when one fails, 2 on a usage error.
"""

import json
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkdom as cd  # noqa: E402  (the image and ELF readers only)

PAGE = 4096
PHYS32_ENTRY = 18
HOLE = 0xFC000000           # the MMIO hole below 4 GiB for a PVH domU
ACPI_INFO = HOLE            # ACPI_INFO_PHYSICAL_ADDRESS
SPECIAL_END = 0xFF000       # X86_HVM_END_SPECIAL_REGION (a pfn)
# The special pages in libxenguest's order (SPECIALPAGE_*), each with the
# HVM parameter alloc_magic_pages_hvm points at it (domain.json's name).
SPECIAL = ["paging_ring_pfn", "monitor_ring_pfn", "sharing_ring_pfn",
           "bufioreq_pfn", "store_pfn", "ioreq_pfn", "ident_pt",
           "console_pfn"]
FIRST_SPECIAL = SPECIAL_END - len(SPECIAL)
STORE_PFN = FIRST_SPECIAL + SPECIAL.index("store_pfn")
CONSOLE_PFN = FIRST_SPECIAL + SPECIAL.index("console_pfn")
IDENT_PT_PFN = FIRST_SPECIAL + SPECIAL.index("ident_pt")
# A non-PAE page directory of 4 MiB pages: P, RW, US, A, D, PS.
IDENT_PT_FLAGS = 0x1 | 0x2 | 0x4 | 0x20 | 0x40 | 0x80
START_MAGIC = 0x336EC578
SI_SIZE, MOD_SIZE, MAP_SIZE, MOD_CMDLINE = 56, 32, 24, 1024


def up(v, a=PAGE):
    return (v + a - 1) // a * a


def expected_map(memory):
    low = min(memory, HOLE)
    m = [(0, low, 1), (ACPI_INFO, PAGE, 3), (ACPI_INFO + PAGE, PAGE, 3),
         (ACPI_INFO + 2 * PAGE, 64, 3)]
    if memory > HOLE:
        m.append((1 << 32, memory - HOLE, 1))
    return m


class Report:
    def __init__(self):
        self.failed = False

    def group(self, name, problems):
        if problems:
            self.failed = True
            print("FAIL %s: %s" % (name, "; ".join(problems[:3])))
        else:
            print("ok %s" % name)


def checksum_ok(b):
    return sum(b) & 0xFF == 0


class PvhCheck:
    def __init__(self, args):
        self.dir = args.dir
        with open(os.path.join(self.dir, "domain.json")) as f:
            self.doc = json.load(f)
        self.fd = os.open(os.path.join(self.dir, "machine.mem"), os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        self.elf = cd.ElfImage(cd.read_image(args.kernel, "kernel"))
        self.initrd = b""
        if args.initrd:
            self.initrd = cd.read_image(args.initrd, "initrd")
        self.memory = args.memory
        self.cmdline = args.cmdline
        self.vcpus = args.vcpus
        self.want_request = cd.expected_request(
            args, os.fsencode(self.cmdline))
        segs = [s for s in self.elf.segments if s.loadable and s.memsz > 0]
        self.segs = segs
        self.k_start = min(s.paddr for s in segs)
        self.k_end = max(s.paddr + s.memsz for s in segs)
        self.initrd_at = up(self.k_end)
        cmdsize = up(len(self.cmdline) + 1, 8) if self.cmdline else 0
        self.map = expected_map(self.memory)
        self.si_at = up(self.initrd_at + len(self.initrd))
        self.si_len = SI_SIZE + cmdsize + 2 * (MOD_SIZE + MOD_CMDLINE) + \
            len(self.map) * MAP_SIZE

    def read(self, gpa, n):
        b = os.pread(self.fd, n, gpa)
        return b + bytes(n - len(b))

    def check_domain(self):
        p, d = [], self.doc
        if d.get("abi") != "pvh" or d.get("backend") != "sim":
            p.append("abi/backend %r/%r, not pvh/sim" % (d.get("abi"),
                                                         d.get("backend")))
        if d.get("nr_pages") != self.memory // PAGE:
            p.append("nr_pages %r, not %d" % (d.get("nr_pages"),
                                              self.memory // PAGE))
        frames = d.get("machine", {}).get("frames")
        need = max(up(a + s) // PAGE for a, s, _ in self.map)
        need = max(need, CONSOLE_PFN + 1)
        if frames != need or self.size != need * PAGE:
            p.append("machine covers %r frames (%d bytes), not %d"
                     % (frames, self.size, need))
        if d.get("vcpus") != self.vcpus:
            p.append("vcpus %r, not %d" % (d.get("vcpus"), self.vcpus))
        return p

    def check_request(self):
        """domain.json's vcpus, maxmem, name, disks and NICs: what was
        asked, within what an HVM guest may have."""
        p, d = [], self.doc
        for key, want in sorted(self.want_request.items()):
            if d.get(key, p) != want:
                p.append("%s %r, not %r" % (key, d.get(key), want))
        if not 1 <= self.vcpus <= cd.MAX_VCPUS_XEN3:
            p.append("vcpus %d: an HVM guest has 1 to %d"
                     % (self.vcpus, cd.MAX_VCPUS_XEN3))
        maxmem = d.get("maxmem")
        if not isinstance(maxmem, int) or maxmem % PAGE or \
                maxmem < self.memory:
            p.append("maxmem %r: not whole pages at least the memory"
                     % (maxmem,))
        return p

    def check_memory_map(self):
        got = [(int(e["addr"], 16), int(e["size"], 16), e["type"])
               for e in self.doc.get("memory_map", [])]
        if got != self.map:
            return ["domain.json has %r, not %r" % (got, self.map)]
        return []

    def check_kernel(self):
        p = []
        data = self.elf.data
        for s in self.segs:
            want = data[s.offset:s.offset + s.filesz]
            if self.read(s.paddr, s.filesz) != want:
                p.append("segment %d at 0x%x: not the file's bytes"
                         % (s.index, s.paddr))
            if s.memsz > s.filesz and any(self.read(s.paddr + s.filesz,
                                                    s.memsz - s.filesz)):
                p.append("segment %d: bss at 0x%x not zero"
                         % (s.index, s.paddr + s.filesz))
        return p

    def check_initrd(self):
        if self.read(self.initrd_at, len(self.initrd)) != self.initrd:
            return ["not at 0x%x" % self.initrd_at]
        return []

    def check_start_info(self):
        p = []
        gpa = int(self.doc.get("start_info", {}).get("gpa", "0x0"), 16)
        if gpa != self.si_at:
            p.append("at 0x%x, not 0x%x" % (gpa, self.si_at))
        b = self.read(self.si_at, self.si_len)
        (magic, version, flags, nr_mod, modlist, cmd, rsdp, memmap,
         entries, reserved) = struct.unpack_from("<4I4QII", b, 0)
        if (magic, version, flags, reserved) != (START_MAGIC, 1, 0, 0):
            p.append("magic/version/flags 0x%x/%d/0x%x" % (magic, version,
                                                          flags))
        if self.cmdline:
            if cmd != self.si_at + SI_SIZE:
                p.append("cmdline_paddr 0x%x" % cmd)
            got = self.read(cmd, len(self.cmdline) + 1)
            if got != self.cmdline.encode() + b"\0":
                p.append("the command line is %r" % got)
        elif cmd != 0:
            p.append("cmdline_paddr 0x%x with no command line" % cmd)
        cmdsize = up(len(self.cmdline) + 1, 8) if self.cmdline else 0
        ml = self.si_at + SI_SIZE + cmdsize
        if self.initrd:
            if nr_mod != 1 or modlist != ml:
                p.append("%d modules at 0x%x, not 1 at 0x%x"
                         % (nr_mod, modlist, ml))
            else:
                paddr, size, mcmd, _ = struct.unpack_from(
                    "<4Q", self.read(ml, MOD_SIZE))
                if (paddr, size, mcmd) != (self.initrd_at, len(self.initrd),
                                           0):
                    p.append("module 0 is 0x%x+%d" % (paddr, size))
        elif nr_mod != 0 or modlist != 0:
            p.append("%d modules with no initrd" % nr_mod)
        want_mm = ml + 2 * (MOD_SIZE + MOD_CMDLINE)
        if memmap != want_mm or entries != len(self.map):
            p.append("memmap %d entries at 0x%x, not %d at 0x%x"
                     % (entries, memmap, len(self.map), want_mm))
        else:
            got = []
            for i in range(entries):
                a, s, t, r = struct.unpack_from(
                    "<QQII", self.read(memmap + i * MAP_SIZE, MAP_SIZE))
                got.append((a, s, t))
            if got != self.map:
                p.append("the memory map is %r" % got)
        if rsdp != ACPI_INFO + 2 * PAGE:
            p.append("rsdp_paddr 0x%x" % rsdp)
        self.rsdp = rsdp
        return p

    def table(self, gpa, sig, p):
        head = self.read(gpa, 36)
        if head[:4] != sig:
            p.append("%s at 0x%x: signature %r" % (sig.decode(), gpa,
                                                     head[:4]))
            return None
        (length,) = struct.unpack_from("<I", head, 4)
        if length < 36 or length > PAGE:
            p.append("%s: length %d" % (sig.decode(), length))
            return None
        t = self.read(gpa, length)
        if not checksum_ok(t):
            p.append("%s at 0x%x: bad checksum" % (sig.decode(), gpa))
        return t

    def check_acpi(self):
        p = []
        r = self.read(self.rsdp, 36)
        if r[:8] != b"RSD PTR ":
            return ["no RSDP at 0x%x" % self.rsdp]
        if not checksum_ok(r[:20]) or not checksum_ok(r[:36]):
            p.append("RSDP checksum")
        if r[15] < 2:
            p.append("RSDP revision %d has no XSDT" % r[15])
        (xsdt,) = struct.unpack_from("<Q", r, 24)
        x = self.table(xsdt, b"XSDT", p)
        if x is None:
            return p
        ptrs = struct.unpack_from("<%dQ" % ((len(x) - 36) // 8), x, 36)
        sigs = {self.read(a, 4): a for a in ptrs}
        if set(sigs) != {b"FACP", b"APIC"}:
            p.append("the XSDT lists %r" % sorted(sigs))
            return p
        f = self.table(sigs[b"FACP"], b"FACP", p)
        if f is not None:
            (flags,) = struct.unpack_from("<I", f, 112)
            if not flags & (1 << 20):
                p.append("FADT is not hardware-reduced")
            (dsdt32,) = struct.unpack_from("<I", f, 40)
            (dsdt,) = struct.unpack_from("<Q", f, 140)
            if dsdt32 not in (0, dsdt):
                p.append("FADT's DSDT and X_DSDT differ")
            self.table(dsdt, b"DSDT", p)
        m = self.table(sigs[b"APIC"], b"APIC", p)
        if m is not None:
            lapics, off = [], 44
            while off + 2 <= len(m):
                etype, elen = m[off], m[off + 1]
                if elen < 2:
                    p.append("MADT entry of length %d" % elen)
                    break
                if etype == 0:
                    lapics.append(m[off:off + elen])
                off += elen
            enabled = [e for e in lapics
                       if struct.unpack_from("<I", e, 4)[0] & 1]
            # libxl's acpi_lapic_id: vCPU n has APIC ID 2n.
            ids = [(e[2], e[3]) for e in enabled]
            if ids != [(n, 2 * n) for n in range(len(ids))]:
                p.append("MADT (UID, APIC ID) %r, not (n, 2n)" % ids[:4])
            if len(enabled) != self.vcpus:
                p.append("the MADT has %d enabled local APICs for %d vCPUs"
                         % (len(enabled), self.vcpus))
        return p

    def check_vcpu(self):
        v = self.doc.get("vcpu", {})
        want = {"eip": self.elf.note_num(PHYS32_ENTRY), "ebx": self.si_at,
                "cr0": 0x11, "cr3": 0, "cr4": 0, "efer": 0}
        for s in ("cs", "ds", "es", "ss"):
            want[s + "_base"] = 0
            want[s + "_limit"] = 0xFFFFFFFF
            want[s + "_ar"] = 0xC9B if s == "cs" else 0xC93
        want.update(tr_base=0, tr_limit=0x67, tr_ar=0x8B)
        p = []
        for k, w in sorted(want.items()):
            g = v.get(k)
            if not isinstance(g, str) or int(g, 16) != w:
                p.append("%s %r, not 0x%x" % (k, g, w))
        fl = v.get("eflags")
        if not isinstance(fl, str) or int(fl, 16) & ((1 << 9) | (1 << 8) |
                                                     (1 << 17)):
            p.append("eflags %r: IF, TF or VM set" % fl)
        if not self.k_start <= int(v.get("eip", "0x0"), 16) < self.k_end:
            p.append("eip outside the kernel")
        return p

    def check_special(self):
        h = dict(self.doc.get("hvm_params", {}))
        p = []
        want = {k: FIRST_SPECIAL + i for i, k in enumerate(SPECIAL)}
        want["ident_pt"] = "0x%x" % (IDENT_PT_PFN * PAGE)
        want.update(store_evtchn=1, console_evtchn=2)
        for k in sorted(set(want) | set(h)):
            if k not in want:
                p.append("parameter %s set, which libxenguest leaves" % k)
            elif h.get(k) != want[k]:
                p.append("%s %r, not %r" % (k, h.get(k), want[k]))
        ident = b"".join(struct.pack("<I", (i << 22) | IDENT_PT_FLAGS)
                         for i in range(PAGE // 4))
        for i, k in enumerate(SPECIAL):
            got = self.read((FIRST_SPECIAL + i) * PAGE, PAGE)
            if k == "ident_pt" and got != ident:
                p.append("page 0x%x (%s) not the identity page directory"
                         % (FIRST_SPECIAL + i, k))
            elif k != "ident_pt" and any(got):
                p.append("page 0x%x (%s) not clear" % (FIRST_SPECIAL + i, k))
        return p

    def check_beyond(self):
        """Every byte of data lies where the build writes."""
        places = [(s.paddr, s.paddr + s.filesz) for s in self.segs]
        places += [(self.initrd_at, self.initrd_at + len(self.initrd)),
                   (self.si_at, self.si_at + self.si_len),
                   (ACPI_INFO + PAGE, ACPI_INFO + 2 * PAGE + 64),
                   (IDENT_PT_PFN * PAGE, (IDENT_PT_PFN + 1) * PAGE)]
        places.sort()
        off = 0
        while off < self.size:
            try:
                off = os.lseek(self.fd, off, os.SEEK_DATA)
                end = os.lseek(self.fd, off, os.SEEK_HOLE)
            except OSError:
                break
            # The parts of [off, end) outside every place must be zero.
            at = off
            for lo, hi in places + [(end, end)]:
                if hi <= at:
                    continue
                stop = min(lo, end)
                while at < stop:
                    n = min(stop - at, 1 << 22)
                    chunk = self.read(at, n)
                    if chunk.count(0) != n:
                        i = next(j for j, b in enumerate(chunk) if b)
                        return ["data at 0x%x" % (at + i)]
                    at += n
                at = max(at, hi)
                if at >= end:
                    break
            off = end
        return []

    def run(self):
        rep = Report()
        for name, fn in [("domain", self.check_domain),
                         ("request", self.check_request),
                         ("memory_map", self.check_memory_map),
                         ("kernel", self.check_kernel),
                         ("initrd", self.check_initrd),
                         ("start_info", self.check_start_info),
                         ("acpi", self.check_acpi),
                         ("vcpu", self.check_vcpu),
                         ("special", self.check_special),
                         ("beyond", self.check_beyond)]:
            rep.group(name, fn())
        return 1 if rep.failed else 0


# --- damage -----------------------------------------------------------------
def _dom(d):
    with open(os.path.join(d, "domain.json")) as f:
        doc = json.load(f)
    fd = os.open(os.path.join(d, "machine.mem"), os.O_RDWR)
    return doc, fd


def _xor(fd, at, mask=0xFF):
    b = os.pread(fd, 1, at)[0]
    os.pwrite(fd, bytes([b ^ mask]), at)


def _si(doc):
    return int(doc["start_info"]["gpa"], 16)


def d_kernel_byte(d):
    doc, fd = _dom(d)
    _xor(fd, int(doc["vcpu"]["eip"], 16))


def d_magic(d):
    doc, fd = _dom(d)
    _xor(fd, _si(doc), 0x01)


def d_memmap(d):
    doc, fd = _dom(d)
    (mm,) = struct.unpack("<Q", os.pread(fd, 8, _si(doc) + 40))
    _xor(fd, mm + 9, 0x10)      # low RAM's size, bit 20


def d_rsdp_checksum(d):
    doc, fd = _dom(d)
    (rsdp,) = struct.unpack("<Q", os.pread(fd, 8, _si(doc) + 32))
    _xor(fd, rsdp + 8, 0x01)


def d_madt_count(d):
    """One local APIC disabled, the MADT's checksum kept right, so that
    only the count is wrong."""
    doc, fd = _dom(d)
    (rsdp,) = struct.unpack("<Q", os.pread(fd, 8, _si(doc) + 32))
    (xsdt,) = struct.unpack("<Q", os.pread(fd, 8, rsdp + 24))
    for i in range(2):
        (t,) = struct.unpack("<Q", os.pread(fd, 8, xsdt + 36 + 8 * i))
        if os.pread(fd, 4, t) == b"APIC":
            _xor(fd, t + 44 + 4, 0x01)      # the first LAPIC's enabled bit
            _xor(fd, t + 9, 0xFF)
            b = bytearray(os.pread(fd, 44 + 8, t))
            b[9] = 0
            (ln,) = struct.unpack_from("<I", b, 4)
            full = bytearray(os.pread(fd, ln, t))
            full[9] = 0
            full[9] = (-sum(full)) & 0xFF
            os.pwrite(fd, bytes(full[9:10]), t + 9)
            return
    raise SystemExit("no MADT")


def d_dsdt_sig(d):
    doc, fd = _dom(d)
    _xor(fd, ACPI_INFO + PAGE, 0x20)        # pvbuild's DSDT comes first


def d_vcpu_eip(d):
    path = os.path.join(d, "domain.json")
    with open(path) as f:
        doc = json.load(f)
    doc["vcpu"]["eip"] = "0x%x" % (int(doc["vcpu"]["eip"], 16) + 1)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)


def d_maxmem(d):
    """maxmem a page below the memory: a balloon that cannot hold what
    the domain was given."""
    path = os.path.join(d, "domain.json")
    with open(path) as f:
        doc = json.load(f)
    doc["maxmem"] = doc["nr_pages"] * PAGE - PAGE
    with open(path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)


def d_console(d):
    doc, fd = _dom(d)
    _xor(fd, doc["hvm_params"]["console_pfn"] * PAGE + 100)


def d_paging_page(d):
    doc, fd = _dom(d)
    _xor(fd, doc["hvm_params"]["paging_ring_pfn"] * PAGE + 7)


def d_ident_pt(d):
    doc, fd = _dom(d)
    _xor(fd, int(doc["hvm_params"]["ident_pt"], 16) + 4 * 3 + 2, 0x40)


def d_ioreq_param(d):
    path = os.path.join(d, "domain.json")
    with open(path) as f:
        doc = json.load(f)
    del doc["hvm_params"]["ioreq_pfn"]
    with open(path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)


def d_stray(d):
    doc, fd = _dom(d)
    _xor(fd, 0x9F000 + 5)       # low RAM the build leaves alone


KINDS = {
    "kernel-byte": ("kernel", d_kernel_byte),
    "si-magic": ("start_info", d_magic),
    "memmap": ("start_info", d_memmap),
    "rsdp-checksum": ("acpi", d_rsdp_checksum),
    "madt-count": ("acpi", d_madt_count),
    "dsdt-signature": ("acpi", d_dsdt_sig),
    "vcpu-eip": ("vcpu", d_vcpu_eip),
    "maxmem": ("request", d_maxmem),
    "console-page": ("special", d_console),
    "paging-page": ("special", d_paging_page),
    "ident-pt-entry": ("special", d_ident_pt),
    "ioreq-param": ("special", d_ioreq_param),
    "stray": ("beyond", d_stray),
}


def parse(argv):
    """checkdom.py's command line, which a PVH domain shares."""
    a = cd.parse_args(argv)
    a.cmdline = a.cmdline or ""
    if "\0" in a.cmdline:
        raise cd.UsageError("--cmdline holds a NUL")
    return a


def main(argv):
    if argv == ["--kinds"]:
        for k, (g, _) in KINDS.items():
            print(k, g)
        return 0
    if len(argv) == 3 and argv[0] == "--damage" and argv[2] in KINDS:
        group, fn = KINDS[argv[2]]
        fn(argv[1])
        print(group)
        return 0
    try:
        return PvhCheck(parse(argv)).run()
    except (cd.UsageError, OSError, ValueError) as e:
        print("checkpvh.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
