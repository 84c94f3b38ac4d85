#!/usr/bin/python3
"""damage.py: damage a built sim domain in place, for negative tests.

    damage.py DIR KIND      edit DIR's files (never a copy: make one first)
    damage.py --list        the KINDs, each with the checkdom group that
                            must then fail

Each KIND makes one small, deliberate change a correct builder would never
make; checkdom.py must then report `FAIL GROUP` for the group printed on
standard output. Locations are found the way the guest finds them (cr3,
vcpu.si, start_info); plan.json is read only by `bss` and `load-ro`, for
the kernel's file name. Exits 0 when done, 1 when DIR cannot be damaged
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


KINDS = {
    # kind: (group that must fail, function)
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
}


def main(argv):
    if argv == ["--list"]:
        for k, (g, _) in KINDS.items():
            print("%s %s" % (k, g))
        return 0
    if len(argv) != 2 or argv[1] not in KINDS:
        print("usage: damage.py DIR KIND | damage.py --list\nKIND: %s"
              % " ".join(KINDS), file=sys.stderr)
        return 2
    group, fn = KINDS[argv[1]]
    try:
        fn(Dom(argv[0]))
    except Impossible as e:
        print("damage.py: %s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    print(group)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
