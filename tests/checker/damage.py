#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""damage.py: damage a built sim domain in place, for negative tests.

    damage.py DIR KIND      edit DIR's files (never a copy: make one first)
    damage.py --list        the KINDs, each with the checkdom group that
                            must then fail on a xen-1.3 domain and on a
                            xen-3.0 (x86_64 or PAE) one, "-" where the
                            kind does not apply

Each KIND makes one small, deliberate change a correct builder would never
make; checkdom.py must then report `FAIL GROUP` for the group printed on
standard output. Locations are found the way the guest finds them (cr3,
vcpu.si, start_info; for xen-3.0 also m2p.bin for a frame's pfn);
plan.json is read only by `bss`, `load-ro` and `hypercall-byte`, for the
kernel's file name. Exits 0 when done, 1 when DIR cannot be damaged
that way (e.g. `initrd` without an initrd), 2 on usage.
"""

import json
import os
import struct
import sys

sys.dont_write_bytecode = True      # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkdom as cd  # noqa: E402  (key names and ABI constants only)

PAGE = cd.PAGE


class Impossible(Exception):
    pass


class Dom:
    def __init__(self, d):
        self.dir = d
        self.jpath = os.path.join(d, cd.DOMAIN_JSON)
        with open(self.jpath) as f:
            self.doc = json.load(f)
        mem = cd.file_name(self.doc, cd.K_MACHINE_FILE, cd.MACHINE_MEM)
        self.fd = os.open(os.path.join(d, mem), os.O_RDWR)
        self.vcpu = cd.lookup(self.doc, cd.K_VCPU)
        self.cr3 = cd.as_int(self.vcpu[cd.V_CR3])
        self.frames = cd.as_int(cd.lookup(self.doc, cd.K_FRAMES))
        self.reserved = cd.as_int(cd.lookup(self.doc, cd.K_RESERVED))
        self.si_va = cd.as_int(self.vcpu[cd.V_SI])
        si = self.read_va(self.si_va, cd.START_INFO_SIZE)
        (self.nr_pages, _, _, self.pt_base, self.nr_pt_frames,
         self.mfn_list, self.mod_start, self.mod_len) = \
            struct.unpack_from("<8I", si, 0)
        l2 = self.l2()
        present = [i for i in range(cd.ENTRIES) if l2[i] & cd.P_PRESENT]
        self.v_start = present[0] << cd.L2_SHIFT
        self.v_end = (present[-1] + 1) << cd.L2_SHIFT

    def stack_va(self):
        # start_info follows the page tables; the boot stack follows it.
        return self.pt_base + (self.nr_pt_frames + 1) * PAGE

    def frame(self, mfn):
        b = os.pread(self.fd, PAGE, mfn * PAGE)
        return b + bytes(PAGE - len(b))

    def l2(self):
        return struct.unpack_from("<1024I", self.frame(self.cr3 >> 12))

    def pte_addr(self, va):
        """Byte offset in machine.mem of the L1 entry mapping va."""
        l2e = self.l2()[va >> cd.L2_SHIFT]
        return (l2e >> 12) * PAGE + ((va >> 12) & 1023) * 4

    def mfn(self, va):
        (e,) = struct.unpack(
            "<I", os.pread(self.fd, 4, self.pte_addr(va)))
        return e >> 12

    def read_va(self, va, n):
        out = b""
        while n > 0:
            off = va & (PAGE - 1)
            c = min(n, PAGE - off)
            out += self.frame(self.mfn(va))[off:off + c]
            va += c
            n -= c
        return out

    def write_va(self, va, data):
        while data:
            off = va & (PAGE - 1)
            c = min(len(data), PAGE - off)
            os.pwrite(self.fd, data[:c], self.mfn(va) * PAGE + off)
            va += c
            data = data[c:]

    def xor_byte(self, va, mask=0xFF):
        b = self.read_va(va, 1)[0]
        self.write_va(va, bytes([b ^ mask]))

    def edit_u32(self, offset, fn):
        (v,) = struct.unpack("<I", os.pread(self.fd, 4, offset))
        os.pwrite(self.fd, struct.pack("<I", fn(v) & 0xFFFFFFFF), offset)

    def p2m(self, pfn):
        return struct.unpack("<I", self.read_va(self.mfn_list + 4 * pfn, 4))[0]

    def set_vcpu(self, name, value):
        old = self.vcpu[name]
        self.vcpu[name] = "0x%x" % value if isinstance(old, str) else value
        self.save_json()

    def save_json(self):
        with open(self.jpath, "w") as f:
            json.dump(self.doc, f, indent=2, sort_keys=True)
            f.write("\n")


def d_pte(d):
    # The kernel entry's page now maps the frame after its own.
    d.edit_u32(d.pte_addr(cd.as_int(d.vcpu[cd.V_IP])),
               lambda e: e + PAGE)


def d_pte_absent(d):
    d.edit_u32(d.pte_addr(d.stack_va()), lambda e: e & ~cd.P_PRESENT)


def d_pt_rw(d):
    # The last page-table page becomes writable by the guest.
    d.edit_u32(d.pte_addr(d.pt_base + (d.nr_pt_frames - 1) * PAGE),
               lambda e: e | cd.P_RW)


def d_l2_flags(d):
    d.edit_u32((d.cr3 >> 12) * PAGE + (d.v_start >> cd.L2_SHIFT) * 4,
               lambda e: e & ~cd.P_USER)


def d_start_info(d):
    # nr_pt_frames, offset 16.
    d.write_va(d.si_va + 16, struct.pack("<I", d.nr_pt_frames + 1))


def d_si_flags(d):
    d.write_va(d.si_va + 8, struct.pack("<I", 1))   # SIF_PRIVILEGED


def d_cmdline(d):
    d.xor_byte(d.si_va + 32, 0x20)


def d_si_tail(d):
    d.xor_byte(d.si_va + PAGE - 1)


def d_kernel_byte(d):
    d.xor_byte(cd.as_int(d.vcpu[cd.V_IP]))


def kernel_of(d):
    """The kernel the domain was built from. plan.json only names the file
    here; what to damage is found in the ELF itself."""
    try:
        with open(os.path.join(d.dir, "plan.json")) as f:
            path = json.load(f)["elfinfo"]["image"]["path"]
        return cd.Kernel(cd.read_maybe_gzip(path, "kernel"))
    except (OSError, ValueError, KeyError, TypeError, cd.UsageError) as e:
        raise Impossible("cannot find the kernel: %s" % e)


def d_bss(d):
    segs = [s for s in kernel_of(d).loadable() if s.memsz > s.filesz]
    if not segs:
        raise Impossible("the kernel has no bss")
    s = segs[-1]
    d.xor_byte(s.vaddr + s.filesz + (s.memsz - s.filesz) // 2)


def d_load_ro(d):
    # Load a PT_LOAD without W or X, which the seed leaves out.
    k = kernel_of(d)
    for s in k.segments:
        if s.type == cd.PT_LOAD and not s.loadable and s.filesz and \
                k.start <= s.vaddr and s.vaddr + s.filesz <= k.end:
            d.write_va(s.vaddr, k.data[s.offset:s.offset + s.filesz])
            return
    raise Impossible("the kernel has no PT_LOAD without W or X inside it")


def d_extra_map(d):
    # One more L2 entry: the 4 MiB after v_end alias the first L1 table.
    pd = (d.cr3 >> 12) * PAGE
    first = d.v_start >> cd.L2_SHIFT
    extra = d.v_end >> cd.L2_SHIFT
    if extra >= cd.ENTRIES:
        extra = first - 1
    (l2e,) = struct.unpack("<I", os.pread(d.fd, 4, pd + first * 4))
    os.pwrite(d.fd, struct.pack("<I", l2e), pd + extra * 4)


def d_p2m_swap(d):
    # Swap the guest's p2m entries of the first two pfns.
    a, b = d.p2m(0), d.p2m(1)
    d.write_va(d.mfn_list, struct.pack("<II", b, a))


def d_p2m_tail(d):
    # A byte after the p2m list's last entry, in its last page.
    end = d.mfn_list + 4 * d.nr_pages
    if end % PAGE == 0:
        raise Impossible("the p2m list ends on a page boundary")
    d.xor_byte(end)


def d_m2p(d):
    path = os.path.join(d.dir,
                        cd.file_name(d.doc, cd.K_M2P_FILE, cd.M2P_BIN))
    mfn = d.p2m(1)
    with open(path, "r+b") as f:
        f.seek(mfn * 4)
        f.write(struct.pack("<I", 0))


def d_m2p_stray(d):
    # A frame that is not the domain's claims pfn 0.
    used = {d.p2m(p) for p in range(d.nr_pages)}
    mfn = next(m for m in range(d.reserved, d.frames) if m not in used)
    path = os.path.join(d.dir,
                        cd.file_name(d.doc, cd.K_M2P_FILE, cd.M2P_BIN))
    with open(path, "r+b") as f:
        f.seek(mfn * 4)
        f.write(struct.pack("<I", 0))


def d_shared_info(d):
    mfn = cd.as_int(cd.lookup(d.doc, cd.K_SHARED_INFO_MFN))
    os.pwrite(d.fd, b"\x01", mfn * PAGE)     # evtchn_upcall_pending


def d_vcpu_sp(d):
    # The seed's fault: the stack pointer at start_info.
    d.set_vcpu(cd.V_SP, d.si_va)


def d_vcpu_cs(d):
    d.set_vcpu(cd.V_CS, 0x10)


def d_cr3(d):
    d.set_vcpu(cd.V_CR3, (d.reserved - 1) * PAGE)


def d_stack(d):
    d.xor_byte(d.stack_va() + PAGE - 4)


def d_padding(d):
    d.xor_byte(d.v_end - 1)


def d_beyond(d):
    nboot = (d.v_end - d.v_start) >> 12
    if nboot >= d.nr_pages:
        raise Impossible("no pages beyond v_end")
    os.pwrite(d.fd, b"\x5a", d.p2m(d.nr_pages - 1) * PAGE + 123)


def d_stray(d):
    # A byte in a machine frame that belongs to nobody.
    used = {d.p2m(p) for p in range(d.nr_pages)}
    used.add(cd.as_int(cd.lookup(d.doc, cd.K_SHARED_INFO_MFN)))
    for mfn in range(d.frames - 1, d.reserved - 1, -1):
        if mfn not in used:
            os.pwrite(d.fd, b"\x5a", mfn * PAGE + 7)
            return
    raise Impossible("no free frame")


def d_initrd(d):
    if d.mod_len == 0:
        raise Impossible("no initrd")
    d.xor_byte(d.mod_start + d.mod_len // 2)


def d_initrd_tail(d):
    if d.mod_len == 0 or d.mod_len % PAGE == 0:
        raise Impossible("no initrd, or it ends on a page boundary")
    d.xor_byte(d.mod_start + d.mod_len)


# The request domain.json records, the same for every ABI: one more vCPU,
# a page more of maxmem, a disk's vdev or access changed, a NIC's MAC.
def r_vcpus(d):
    d.doc["vcpus"] = d.doc.get("vcpus", 0) + 1
    d.save_json()


def r_maxmem(d):
    d.doc["maxmem"] = d.doc.get("maxmem", 0) + PAGE
    d.save_json()


def r_disk(d):
    if not d.doc.get("disks"):
        raise Impossible("the domain has no disk")
    disk = d.doc["disks"][0]
    disk["access"] = "r" if disk.get("access") == "rw" else "rw"
    d.save_json()


def r_nic(d):
    if not d.doc.get("nics"):
        raise Impossible("the domain has no NIC")
    mac = d.doc["nics"][0]["mac"]
    d.doc["nics"][0]["mac"] = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    d.save_json()


REQUEST_KINDS = {
    "req-vcpus": ("request", r_vcpus),
    "req-maxmem": ("request", r_maxmem),
    "req-disk": ("request", r_disk),
    "req-nic": ("request", r_nic),
}


# ---------------------------------------------------------------------------
# xen-3.0-x86_64 and xen-3.0-x86_32p domains: 8-byte entries, 4 or 3 levels,
# the guest-width start_info. Everything is found from cr3, vcpu.si and
# start_info, and m2p.bin for the pfn of a frame.
# ---------------------------------------------------------------------------
class Dom3:
    def __init__(self, d, abi):
        self.dir = d
        self.abi = a = cd.Abi3(abi)
        self.jpath = os.path.join(d, cd.DOMAIN_JSON)
        with open(self.jpath) as f:
            self.doc = json.load(f)
        mem = cd.file_name(self.doc, cd.K_MACHINE_FILE, cd.MACHINE_MEM)
        self.fd = os.open(os.path.join(d, mem), os.O_RDWR)
        self.vcpu = cd.lookup(self.doc, cd.K_VCPU)
        self.cr3 = cd.as_int(self.vcpu[cd.V_CR3])
        self.frames = cd.as_int(cd.lookup(self.doc, cd.K_FRAMES))
        self.reserved = cd.as_int(cd.lookup(self.doc, cd.K_RESERVED))
        self.m2p_path = os.path.join(
            d, cd.file_name(self.doc, cd.K_M2P_FILE, cd.M2P_BIN))
        self.si_va = cd.as_int(self.vcpu[cd.V_SI])
        si = self.read_va(self.si_va, a.si_size)
        self.si = {}
        self.si_off = {}
        for name, off, size in a.si_fields:
            self.si_off[name] = off
            if size <= 8:
                self.si[name] = int.from_bytes(si[off:off + size], "little")
        self.nr_pages = self.si["nr_pages"]
        self.pt_base = self.si["pt_base"]
        self.nr_pt_frames = self.si["nr_pt_frames"]
        self.mfn_list = self.si["mfn_list"]
        self.mod_start, self.mod_len = self.si["mod_start"], self.si["mod_len"]
        self.stack_end = cd.as_int(self.vcpu[cd.V_SP])
        self.v_start = self.si_va - (self.m2p_entry(self.mfn(self.si_va))
                                     << cd.PAGE_SHIFT)
        va = self.stack_end
        while self.mapped(va):
            va += PAGE
        self.v_end = va
        self.nboot = (self.v_end - self.v_start) >> cd.PAGE_SHIFT

    # Page tables
    def walk(self, va):
        """[(level, byte offset in machine.mem, entry)] from the top down,
        as far as entries are present."""
        a = self.abi
        v, mfn, out = va & a.vmask, self.cr3 >> cd.PAGE_SHIFT, []
        for lv in range(a.levels, 0, -1):
            off = mfn * PAGE + ((v >> (12 + 9 * (lv - 1))) & 511) * 8
            (e,) = struct.unpack("<Q", os.pread(self.fd, 8, off))
            out.append((lv, off, e))
            if not e & cd.P_PRESENT:
                break
            mfn = (e & cd.PTE_ADDR) >> cd.PAGE_SHIFT
        return out

    def entry_addr(self, va, lv):
        for level, off, _ in self.walk(va):
            if level == lv:
                return off
        raise Impossible("va 0x%x has no L%d entry" % (va, lv))

    def pte_addr(self, va):
        return self.entry_addr(va, 1)

    def mapped(self, va):
        w = self.walk(va)
        return w[-1][0] == 1 and w[-1][2] & cd.P_PRESENT

    def mfn(self, va):
        w = self.walk(va)
        if w[-1][0] != 1 or not w[-1][2] & cd.P_PRESENT:
            raise Impossible("va 0x%x not mapped" % va)
        return (w[-1][2] & cd.PTE_ADDR) >> cd.PAGE_SHIFT

    def edit_u64(self, offset, fn):
        (v,) = struct.unpack("<Q", os.pread(self.fd, 8, offset))
        os.pwrite(self.fd, struct.pack("<Q", fn(v) & cd.U64), offset)

    # Memory
    def frame(self, mfn):
        b = os.pread(self.fd, PAGE, mfn * PAGE)
        return b + bytes(PAGE - len(b))

    def read_va(self, va, n):
        out = b""
        while n > 0:
            off = va & (PAGE - 1)
            c = min(n, PAGE - off)
            out += self.frame(self.mfn(va))[off:off + c]
            va += c
            n -= c
        return out

    def write_va(self, va, data):
        while data:
            off = va & (PAGE - 1)
            c = min(len(data), PAGE - off)
            os.pwrite(self.fd, data[:c], self.mfn(va) * PAGE + off)
            va += c
            data = data[c:]

    def xor_byte(self, va, mask=0xFF):
        b = self.read_va(va, 1)[0]
        self.write_va(va, bytes([b ^ mask]))

    def xor_frame_byte(self, mfn, off, mask=0xFF):
        b = os.pread(self.fd, 1, mfn * PAGE + off)[0]
        os.pwrite(self.fd, bytes([b ^ mask]), mfn * PAGE + off)

    def p2m(self, pfn):
        w = self.abi.word
        return int.from_bytes(self.read_va(self.mfn_list + w * pfn, w),
                              "little")

    def m2p_entry(self, mfn):
        w = self.abi.word
        with open(self.m2p_path, "rb") as f:
            f.seek(mfn * w)
            return int.from_bytes(f.read(w), "little")

    def set_m2p(self, mfn, value):
        w = self.abi.word
        with open(self.m2p_path, "r+b") as f:
            f.seek(mfn * w)
            f.write(value.to_bytes(w, "little"))

    def write_si(self, name, value):
        size = [s for n, _, s in self.abi.si_fields if n == name][0]
        self.write_va(self.si_va + self.si_off[name],
                      value.to_bytes(size, "little"))

    def p2m_apart(self):
        return self.si["nr_p2m_frames"] != 0

    def initrd_by_pfn(self):
        return bool(self.si["flags"] & cd.SIF_MOD_START_PFN)

    def pfns_used(self):
        """The end of what is not zero after v_end: the initrd given by
        pfn, the p2m list mapped apart and its tables."""
        end = self.nboot
        if self.initrd_by_pfn():
            end = max(end, self.mod_start + (self.mod_len + PAGE - 1) //
                      PAGE)
        if self.p2m_apart():
            end = max(end, self.si["first_p2m_pfn"] +
                      self.si["nr_p2m_frames"])
        return end

    def set_vcpu(self, name, value):
        old = self.vcpu[name]
        self.vcpu[name] = "0x%x" % value if isinstance(old, str) else value
        self.save_json()

    def save_json(self):
        with open(self.jpath, "w") as f:
            json.dump(self.doc, f, indent=2, sort_keys=True)
            f.write("\n")


def kernel3_of(d):
    try:
        with open(os.path.join(d.dir, "plan.json")) as f:
            path = json.load(f)["elfinfo"]["image"]["path"]
        return cd.Kernel3(cd.read_image(path, "kernel"))
    except (OSError, ValueError, KeyError, TypeError, cd.UsageError) as e:
        raise Impossible("cannot find the kernel: %s" % e)


def e_pte(d):
    # The kernel entry's page now maps the frame after its own.
    d.edit_u64(d.pte_addr(cd.as_int(d.vcpu[cd.V_IP])), lambda e: e + PAGE)


def e_pte_absent(d):
    d.edit_u64(d.pte_addr(d.stack_end - PAGE), lambda e: e & ~cd.P_PRESENT)


def e_pt_rw(d):
    # The last page-table page becomes writable by the guest.
    d.edit_u64(d.pte_addr(d.pt_base + (d.nr_pt_frames - 1) * PAGE),
               lambda e: e | cd.P_RW)


def e_l2_flags(d):
    d.edit_u64(d.entry_addr(d.v_start, 2), lambda e: e & ~cd.P_USER)


def flip_entry(lv):
    def fn(d):
        if lv > d.abi.levels:
            raise Impossible("%s has no L%d" % (d.abi.name, lv))
        # Point the entry that maps start_info at another frame.
        d.edit_u64(d.entry_addr(d.si_va, lv), lambda e: e ^ PAGE)
    return fn


def e_l3_flags(d):
    if d.abi.x64:
        raise Impossible("only PAE L3 entries carry Present alone")
    # What a 4-level table would hold: P|RW|A|D|U.
    d.edit_u64(d.entry_addr(d.si_va, 3), lambda e: e | cd.UPPER_PROT3)


def e_extra_map(d):
    # In the L2 table mapping the region, one more entry: a copy of the
    # first one, just past the last used entry (or before the first).
    first = d.entry_addr(d.v_start, 2)
    last = d.entry_addr(d.v_end - 1, 2)
    if last // PAGE != first // PAGE:
        raise Impossible("the region spans two L2 tables")
    slot = last + 8 if (last + 8) % PAGE else first - 8
    if slot // PAGE != first // PAGE:
        raise Impossible("no free L2 entry next to the region")
    (e,) = struct.unpack("<Q", os.pread(d.fd, 8, first))
    os.pwrite(d.fd, struct.pack("<Q", e), slot)


def e_p2m_pt_rw(d):
    # A page-table page of the p2m mapping (its first table, which follows
    # the list) mapped writable, just past the list in that mapping.
    if not d.p2m_apart():
        raise Impossible("the p2m list is not mapped apart")
    list_pages = (d.nr_pages * d.abi.word + PAGE - 1) // PAGE
    va = d.mfn_list + list_pages * PAGE
    if (va >> 21) != ((va - PAGE) >> 21):
        raise Impossible("the list ends its L1 table")
    table_mfn = d.p2m(d.si["first_p2m_pfn"] + list_pages)
    off = d.pte_addr(va - PAGE) + 8
    os.pwrite(d.fd, struct.pack("<Q", (table_mfn << cd.PAGE_SHIFT) |
                                cd.L1_PROT3), off)


def e_p2m_map_entry(d):
    if not d.p2m_apart():
        raise Impossible("the p2m list is not mapped apart")
    # The list's first page, at INIT_P2M, now maps the frame after its own.
    d.edit_u64(d.pte_addr(d.mfn_list), lambda e: e + PAGE)


def e_p2m_swap(d):
    w = d.abi.word
    a, b = d.p2m(0), d.p2m(1)
    d.write_va(d.mfn_list, b.to_bytes(w, "little") + a.to_bytes(w, "little"))


def e_p2m_tail(d):
    end = d.mfn_list + d.abi.word * d.nr_pages
    if end % PAGE == 0:
        raise Impossible("the p2m list ends on a page boundary")
    d.xor_byte(end)
    return "p2m_mapping" if d.p2m_apart() else "region"


def e_m2p(d):
    d.set_m2p(d.p2m(1), 0)


def e_m2p_stray(d):
    used = {d.p2m(p) for p in range(d.nr_pages)}
    mfn = next(m for m in range(d.reserved, d.frames) if m not in used)
    d.set_m2p(mfn, 0)


def e_kernel_byte(d):
    d.xor_byte(cd.as_int(d.vcpu[cd.V_IP]))


def e_bss(d):
    k = kernel3_of(d)
    segs = [s for s in k.loadable() if s.memsz > s.filesz]
    if not segs:
        raise Impossible("the kernel has no bss")
    s = segs[-1]
    d.xor_byte(s.load + s.filesz + (s.memsz - s.filesz) // 2)


def e_hypercall_byte(d):
    k = kernel3_of(d)
    if k.hypercall is None:
        raise Impossible("the kernel declares no hypercall page")
    # The mov's operand of hypercall 1, in the page's frame.
    pfn = ((k.hypercall - d.v_start) & cd.U64) >> cd.PAGE_SHIFT
    d.xor_frame_byte(d.p2m(pfn), cd.HYPERCALL_STRIDE + 5, 0x01)


def e_initrd_at(d, off):
    if d.initrd_by_pfn():
        d.xor_frame_byte(d.p2m(d.mod_start + off // PAGE), off % PAGE)
    else:
        d.xor_byte(d.mod_start + off)


def e_initrd(d):
    if d.mod_len == 0:
        raise Impossible("no initrd")
    e_initrd_at(d, d.mod_len // 2)


def e_initrd_tail(d):
    if d.mod_len == 0 or d.mod_len % PAGE == 0:
        raise Impossible("no initrd, or it ends on a page boundary")
    e_initrd_at(d, d.mod_len)


def e_start_info(d):
    d.write_si("nr_pt_frames", d.nr_pt_frames + 1)


def e_si_flags(d):
    d.write_si("flags", d.si["flags"] | 1)      # SIF_PRIVILEGED


def e_si_magic(d):
    d.xor_byte(d.si_va + d.si_off["magic"] + 6, 0x01)    # "xen-3.1"


def e_cmdline(d):
    d.xor_byte(d.si_va + d.si_off["cmd_line"], 0x20)


def e_si_tail(d):
    d.xor_byte(d.si_va + PAGE - 1)


def e_store_page(d):
    d.xor_frame_byte(d.si["store_mfn"], 100)


def e_console_page(d):
    d.xor_frame_byte(d.si["console.domU.mfn"], PAGE - 100)


def e_shared_info(d):
    mfn = cd.as_int(cd.lookup(d.doc, cd.K_SHARED_INFO_MFN))
    os.pwrite(d.fd, b"\x01", mfn * PAGE)     # evtchn_upcall_pending


def e_vcpu_sp(d):
    d.set_vcpu(cd.V_SP, d.si_va)


def e_vcpu_cs(d):
    d.set_vcpu(cd.V_CS, 0x10)


def e_vm_assist(d):
    d.set_vcpu("vm_assist", cd.as_int(d.vcpu.get("vm_assist", 0)) ^
               cd.VMASST_PAE_EXTENDED_CR3)


def e_cr3(d):
    d.set_vcpu(cd.V_CR3, (d.reserved - 1) * PAGE)


def e_stack(d):
    d.xor_byte(d.stack_end - 4)


def e_padding(d):
    d.xor_byte(d.v_end - 1)


def e_beyond(d):
    if d.pfns_used() >= d.nr_pages:
        raise Impossible("no free pages beyond v_end")
    os.pwrite(d.fd, b"\x5a", d.p2m(d.nr_pages - 1) * PAGE + 123)


def e_stray(d):
    used = {d.p2m(p) for p in range(d.nr_pages)}
    used.add(cd.as_int(cd.lookup(d.doc, cd.K_SHARED_INFO_MFN)))
    for mfn in range(d.frames - 1, d.reserved - 1, -1):
        if mfn not in used:
            os.pwrite(d.fd, b"\x5a", mfn * PAGE + 7)
            return
    raise Impossible("no free frame")


# kind: (group that must fail on a xen-1.3 domain, its function), for
# kinds that exist for xen-1.3.
KINDS = {
    "pte": ("pagetables", d_pte),
    "pte-absent": ("pagetables", d_pte_absent),
    "pt-rw": ("pagetables", d_pt_rw),
    "l2-flags": ("pagetables", d_l2_flags),
    "extra-map": ("unmapped", d_extra_map),
    "p2m-swap": ("pagetables", d_p2m_swap),
    "m2p": ("p2m", d_m2p),
    "m2p-stray": ("p2m", d_m2p_stray),
    "kernel-byte": ("kernel", d_kernel_byte),
    "bss": ("kernel", d_bss),
    "load-ro": ("kernel", d_load_ro),
    "initrd": ("initrd", d_initrd),
    "initrd-tail": ("initrd", d_initrd_tail),
    "start-info": ("start_info", d_start_info),
    "si-flags": ("start_info", d_si_flags),
    "cmdline": ("start_info", d_cmdline),
    "si-tail": ("start_info", d_si_tail),
    "shared-info": ("shared_info", d_shared_info),
    "vcpu-sp": ("vcpu", d_vcpu_sp),
    "vcpu-cs": ("vcpu", d_vcpu_cs),
    "cr3": ("cr3", d_cr3),
    "p2m-tail": ("region", d_p2m_tail),
    "stack": ("region", d_stack),
    "padding": ("region", d_padding),
    "beyond": ("beyond", d_beyond),
    "stray": ("machine", d_stray),
    **REQUEST_KINDS,
}


# kind: (group that must fail on a xen-3.0-x86_64 or xen-3.0-x86_32p domain,
# its function; a function may name another group for the domain at hand).
KINDS3 = {
    "pte": ("pagetables", e_pte),
    "pte-absent": ("pagetables", e_pte_absent),
    "pt-rw": ("pagetables", e_pt_rw),
    "l2-flags": ("pagetables", e_l2_flags),
    "l1-entry": ("pagetables", flip_entry(1)),
    "l2-entry": ("pagetables", flip_entry(2)),
    "l3-entry": ("pagetables", flip_entry(3)),
    "l4-entry": ("pagetables", flip_entry(4)),
    "l3-flags": ("pagetables", e_l3_flags),
    "extra-map": ("unmapped", e_extra_map),
    "p2m-pt-rw": ("unmapped", e_p2m_pt_rw),
    "p2m-map-entry": ("p2m_mapping", e_p2m_map_entry),
    "p2m-swap": ("p2m", e_p2m_swap),
    "m2p": ("p2m", e_m2p),
    "m2p-stray": ("p2m", e_m2p_stray),
    "kernel-byte": ("kernel", e_kernel_byte),
    "bss": ("kernel", e_bss),
    "hypercall-byte": ("hypercall", e_hypercall_byte),
    "initrd": ("initrd", e_initrd),
    "initrd-tail": ("initrd", e_initrd_tail),
    "start-info": ("start_info", e_start_info),
    "si-flags": ("start_info", e_si_flags),
    "si-magic": ("start_info", e_si_magic),
    "cmdline": ("start_info", e_cmdline),
    "si-tail": ("start_info", e_si_tail),
    "xenstore-page": ("region", e_store_page),
    "console-page": ("region", e_console_page),
    "shared-info": ("shared_info", e_shared_info),
    "vcpu-sp": ("vcpu", e_vcpu_sp),
    "vcpu-cs": ("vcpu", e_vcpu_cs),
    "vm-assist": ("vcpu", e_vm_assist),
    "cr3": ("cr3", e_cr3),
    "p2m-tail": ("region", e_p2m_tail),
    "stack": ("region", e_stack),
    "padding": ("region", e_padding),
    "beyond": ("beyond", e_beyond),
    "stray": ("machine", e_stray),
    **REQUEST_KINDS,
}


def domain_abi(d):
    try:
        with open(os.path.join(d, cd.DOMAIN_JSON)) as f:
            abi = json.load(f).get("abi", cd.ABI_13)
    except (OSError, ValueError, AttributeError) as e:
        raise Impossible("cannot read domain.json: %s" % e)
    if abi not in (cd.ABI_13, cd.ABI_X64, cd.ABI_PAE):
        raise Impossible("unknown abi %r" % abi)
    return abi


def main(argv):
    names = list(KINDS) + [k for k in KINDS3 if k not in KINDS]
    if argv == ["--list"]:
        for k in names:
            print("%s %s %s" % (k, KINDS[k][0] if k in KINDS else "-",
                                KINDS3[k][0] if k in KINDS3 else "-"))
        return 0
    if len(argv) != 2 or argv[1] not in names:
        print("usage: damage.py DIR KIND | damage.py --list\nKIND: %s"
              % " ".join(names), file=sys.stderr)
        return 2
    kind = argv[1]
    try:
        abi = domain_abi(argv[0])
        table = KINDS if abi == cd.ABI_13 else KINDS3
        if kind not in table:
            raise Impossible("does not apply to a %s domain" % abi)
        group, fn = table[kind]
        dom = Dom(argv[0]) if abi == cd.ABI_13 else Dom3(argv[0], abi)
        group = fn(dom) or group
    except Impossible as e:
        print("damage.py: %s: %s" % (kind, e), file=sys.stderr)
        return 1
    print(group)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
