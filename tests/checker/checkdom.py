#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""checkdom.py: check a domain built by `finalize --backend sim` for xen-1.3,
xen-3.0-x86_64 or xen-3.0-x86_32p (which one: from the kernel itself).

    checkdom.py DIR --kernel KERNEL [--initrd INITRD] --memory BYTES
                [--cmdline STRING] [--vcpus N] [--maxmem BYTES] [--name NAME]
                [--disk TARGET,raw,VDEV,ACCESS]... [--nic KEY=VALUE,...]... [-v]

An independent second opinion on the builder. It shares no code with pvbuild
and never reads DIR/plan.json: it parses the ELF32 kernel itself, solves the
seed's layout loop itself (Xen 1.3's setup_guestos, docs/xen-1.3.md; the rules of
docs/xen-1.3.md), and then looks at the built machine the way the guest's MMU
would: from cr3 through the page directory and the L1 tables to the frames,
with the phys-to-machine list read from the guest's own memory.

For the xen-3.0 ABIs (the second half of this file) it reads ELF32/ELF64
images, plain, compressed whole (gzip, xz, bzip2, lzma) or a Linux
bzImage's payload; takes the guest's Xen notes (PT_NOTE, else SHT_NOTE) or
its legacy __xen_guest string; solves Xen's PV layout and page-table count
(libxenguest, Xen 4.17) itself, including the p2m list mapped apart at
INIT_P2M and the initrd given by pfn (MOD_START_PFN); and checks every
entry of every 4-level or PAE page table, the hypercall page, the whole
start_info page, shared_info, the vCPU context and the 8- or 4-byte m2p.

The request beyond memory (vCPUs, maxmem, name, disks, NICs) is held to
what domain.json records, a NIC without mac= to the MAC the README says
pvbuild makes for it; shared_info has no count of vCPUs to read it from.

Prints one line per check group, `ok NAME` or `FAIL NAME: what (where,
expected, got)`; exits 0 when every group passes, 1 when one fails, 2 on a
usage error (bad arguments, unreadable kernel or initrd).
"""

import bisect
import bz2
import errno
import gzip
import hashlib
import json
import lzma
import os
import struct
import sys
import zlib

# ---------------------------------------------------------------------------
# Where things are in the sim backend's output (README, "The sim backend").
# Key paths are tuples into domain.json; alternatives are tried in order.
# ---------------------------------------------------------------------------
DOMAIN_JSON = "domain.json"
MACHINE_MEM = "machine.mem"
M2P_BIN = "m2p.bin"
K_ABI = [("abi",)]
K_NR_PAGES = [("nr_pages",)]
K_FRAMES = [("machine", "frames")]
K_RESERVED = [("machine", "reserved_frames")]
K_M2P_ENTRY_SIZE = [("m2p", "entry_size")]
K_M2P_FILE = [("m2p", "file"), ("m2p", "path")]
K_M2P_INVALID = [("m2p", "invalid")]     # other frames' entry, if given
K_PAGE_SIZE = [("machine", "page_size")]
K_SHARED_INFO_MFN = [("shared_info_mfn",), ("shared_info", "mfn")]
K_PINNED = [("pinned",)]
K_EVTCHN = [("control_evtchn",), ("start_info", "domain_controller_evtchn"),
            ("domain_controller_evtchn",)]
K_MACHINE_FILE = [("machine", "file")]
K_START_INFO_VA = [("start_info", "va")]
K_START_INFO_PFN = [("start_info", "pfn")]
K_START_INFO_MFN = [("start_info", "mfn")]
K_VCPU = [("vcpu",)]
# Names of the vCPU context members inside K_VCPU.
V_CR3, V_IP, V_SP, V_SI, V_FLAGS = "cr3", "ip", "sp", "si", "flags"
V_SEGS = ("ds", "es", "fs", "gs", "ss")
V_CS, V_KSS, V_KSP = "cs", "kernel_ss", "kernel_sp"
# The rest of the ABI's initial context, each checked when domain.json has
# it: key path inside the vcpu member, and the value the ABI gives it.
V_OPTIONAL = [
    (("trap_cs",), 0x0819), (("callback_cs",), 0x0819),
    (("ax",), 0), (("bx",), 0), (("cx",), 0), (("dx",), 0), (("di",), 0),
    (("bp",), 0),
    (("event_callback", "cs"), 0x0819), (("event_callback", "ip"), 0),
    (("failsafe_callback", "cs"), 0x0819), (("failsafe_callback", "ip"), 0),
    (("trap_table", "cs"), 0x0819), (("trap_table", "entries"), 256),
    (("trap_table", "handler"), 0),
    (("ldt_ents",), 0), (("gdt_ents",), 0), (("fast_trap_idx",), 0),
]
V_DEBUGREG = ("debugreg",)       # all zero, when present

# ---------------------------------------------------------------------------
# The xen-1.3 ABI (docs/xen-1.3.md).
# ---------------------------------------------------------------------------
PAGE_SHIFT = 12
PAGE = 1 << PAGE_SHIFT
L2_SHIFT = 22
L2_SPAN = 1 << L2_SHIFT
ENTRIES = 1024
HYPERVISOR_VIRT_START = 0xFC000000
MAX_MFN = 1 << 20      # a 32-bit PTE holds a 20-bit frame number
P_PRESENT, P_RW, P_USER, P_ACCESSED, P_DIRTY = 0x1, 0x2, 0x4, 0x20, 0x40
L1_PROT = P_PRESENT | P_RW | P_ACCESSED                      # 0x23
L1_PROT_PT = P_PRESENT | P_ACCESSED                          # 0x21
L2_PROT = P_PRESENT | P_RW | P_ACCESSED | P_DIRTY | P_USER   # 0x67
FLAT_GUESTOS_CS = 0x0819
FLAT_GUESTOS_DS = 0x0821
EFLAGS = 0x202
START_INFO_SIZE = 292
MAX_CMDLINE = 256
PT_LOAD = 1
PF_X, PF_W = 1, 2
ZERO_PAGE = bytes(PAGE)

MAX_FAILURES = 20      # per group: stop collecting after this many
SHOW_PER_GROUP = 5     # failure lines printed per group
SHOW_TOTAL = 20        # failure lines printed in all


class UsageError(Exception):
    pass


class Unmapped(Exception):
    def __init__(self, va, why):
        super().__init__("va 0x%08x not mapped (%s)" % (va, why))
        self.va = va


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------
class Report:
    def __init__(self):
        self.shown = 0
        self.failed = False

    def group(self, name):
        return Group(self, name)


class Group:
    def __init__(self, report, name):
        self.report = report
        self.name = name
        self.fails = []
        self.count = 0
        self.notes = []

    def fail(self, msg):
        self.count += 1
        if len(self.fails) < SHOW_PER_GROUP:
            self.fails.append(msg)

    def check(self, cond, msg):
        if not cond:
            self.fail(msg)
        return cond

    def full(self):
        return self.count >= MAX_FAILURES

    def note(self, msg):
        self.notes.append(msg)

    def done(self):
        r = self.report
        if self.count == 0:
            extra = " (%s)" % "; ".join(self.notes) if self.notes else ""
            print("ok %s%s" % (self.name, extra))
            return True
        r.failed = True
        printed = 0
        for msg in self.fails:
            # Past the total budget a group still gets its first line.
            if printed and r.shown >= SHOW_TOTAL:
                break
            print("FAIL %s: %s" % (self.name, msg))
            printed += 1
            r.shown += 1
        if self.count > printed:
            print("FAIL %s: ... and %d%s more" % (
                self.name, self.count - printed, "+" if self.full() else ""))
        return False


def skipped(report, name, why):
    g = report.group(name)
    g.fail("not checked: %s" % why)
    g.done()


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------
def read_maybe_gzip(path, what):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError("%s: %s: %s" % (what, path, e.strerror))
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ValueError) as e:
            raise UsageError("%s: %s: bad gzip data: %s" % (what, path, e))
    return data


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = s.strip()
    m = 1
    if t and t[-1].upper() in mult:
        m = mult[t[-1].upper()]
        t = t[:-1]
    try:
        v = int(t, 0)
    except ValueError:
        raise UsageError("--memory: not a size: %r" % s)
    if v <= 0:
        raise UsageError("--memory: must be positive: %r" % s)
    return v * m


class Segment:
    def __init__(self, index, p_type, offset, vaddr, filesz, memsz, flags):
        self.index, self.type, self.offset = index, p_type, offset
        self.vaddr, self.filesz, self.memsz, self.flags = \
            vaddr, filesz, memsz, flags

    @property
    def loadable(self):
        # The seed's is_loadable_phdr(): PT_LOAD with W or X.
        return self.type == PT_LOAD and (self.flags & (PF_W | PF_X)) != 0


class Kernel:
    """The facts of an ELF32 little-endian image, read with struct."""

    def __init__(self, data):
        if len(data) < 52 or data[:4] != b"\x7fELF":
            raise UsageError("kernel: not an ELF image")
        if data[4] != 1 or data[5] != 1:
            raise UsageError("kernel: not ELF32 little-endian")
        (_, _, _, self.entry, phoff, _, _, _, phentsize, phnum, _, _,
         _) = struct.unpack_from("<HHIIIIIHHHHHH", data, 16)
        if phnum == 0 or phentsize < 32:
            raise UsageError("kernel: no usable program headers")
        if phoff + phnum * phentsize > len(data):
            raise UsageError("kernel: program headers beyond the image")
        self.data = data
        self.segments = []
        for i in range(phnum):
            (p_type, p_offset, p_vaddr, _, p_filesz, p_memsz, p_flags,
             _) = struct.unpack_from("<8I", data, phoff + i * phentsize)
            seg = Segment(i, p_type, p_offset, p_vaddr, p_filesz, p_memsz,
                          p_flags)
            if seg.loadable:
                if p_filesz > p_memsz or p_offset + p_filesz > len(data):
                    raise UsageError("kernel: program header %d: file range "
                                     "outside the image" % i)
            self.segments.append(seg)
        loadable = self.loadable()
        if not loadable:
            raise UsageError("kernel: no loadable (PT_LOAD with W or X) "
                             "segment")
        self.start = min(s.vaddr for s in loadable)
        self.end = max(s.vaddr + s.memsz for s in loadable)
        if not self.start <= self.entry <= self.end:
            raise UsageError("kernel: entry 0x%x outside [0x%x, 0x%x)"
                             % (self.entry, self.start, self.end))

    def loadable(self):
        return [s for s in self.segments if s.loadable]


def round_up(v, a=PAGE):
    return (v + a - 1) & ~(a - 1)


class Layout:
    """The seed's simultaneous equations, solved by the same search."""

    def __init__(self, kernel, initrd_len, nr_pages):
        self.nr_pages = nr_pages
        n = 2
        while True:
            self.v_start = kernel.start & ~(L2_SPAN - 1)
            self.kernel_start, self.kernel_end = kernel.start, kernel.end
            self.initrd_start = round_up(kernel.end)
            self.initrd_end = self.initrd_start + initrd_len
            self.p2m_start = round_up(self.initrd_end)
            self.p2m_end = self.p2m_start + nr_pages * 4
            self.pt_start = round_up(self.p2m_end)
            self.pt_end = self.pt_start + n * PAGE
            self.si_start = self.pt_end
            self.si_end = self.si_start + PAGE
            self.stack_start = self.si_end
            self.stack_end = self.stack_start + PAGE
            self.v_end = round_up(self.stack_end, L2_SPAN)
            if self.v_end - self.stack_end < (512 << 10):
                self.v_end += L2_SPAN
            if ((self.v_end - self.v_start) >> L2_SHIFT) + 1 <= n:
                break
            n += 1
            if n > ENTRIES + 1:
                raise UsageError("layout: no page-table count fits")
        self.nr_pt_pages = n
        self.nr_boot_pages = (self.v_end - self.v_start) >> PAGE_SHIFT
        self.nr_l1 = (self.v_end - self.v_start) >> L2_SHIFT

    def pfn(self, va):
        return (va - self.v_start) >> PAGE_SHIFT

    def describe(self):
        rows = [("kernel", self.kernel_start, self.kernel_end),
                ("initrd", self.initrd_start, self.initrd_end),
                ("p2m", self.p2m_start, self.p2m_end),
                ("pagetables", self.pt_start, self.pt_end),
                ("start_info", self.si_start, self.si_end),
                ("stack", self.stack_start, self.stack_end),
                ("total", self.v_start, self.v_end)]
        out = ["# %-10s 0x%08x -> 0x%08x" % r for r in rows]
        out.append("# nr_pages %d, nr_pt_pages %d"
                   % (self.nr_pages, self.nr_pt_pages))
        return out


# ---------------------------------------------------------------------------
# domain.json access
# ---------------------------------------------------------------------------
_MISSING = object()


def lookup(doc, paths):
    for path in paths:
        cur = doc
        for k in path:
            if not isinstance(cur, dict) or k not in cur:
                cur = _MISSING
                break
            cur = cur[k]
        if cur is not _MISSING:
            return cur
    return _MISSING


def as_int(v):
    """A domain.json number: an integer, or a hex (0x) or decimal string."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v, 16) if v.lower().startswith("0x") else int(v, 10)
        except ValueError:
            return None
    return None


def get_int(doc, paths, group, required=True):
    v = lookup(doc, paths)
    if v is _MISSING:
        if required:
            group.fail("domain.json: no %s" % ".".join(paths[0]))
        return None
    n = as_int(v)
    if n is None:
        group.fail("domain.json: %s is not a number: %r"
                   % (".".join(paths[0]), v))
    return n


def file_name(doc, paths, default):
    """A file of DIR that domain.json names; only plain names inside DIR."""
    v = lookup(doc, paths)
    if not isinstance(v, str) or not v or os.sep in v or v.startswith("."):
        return default
    return v


# ---------------------------------------------------------------------------
# The machine: sparse memory, frame m at byte m * 4096.
# ---------------------------------------------------------------------------
class Machine:
    def __init__(self, path, frames):
        self.fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        self.frames = frames
        self._extents = None

    def frame(self, mfn):
        b = os.pread(self.fd, PAGE, mfn * PAGE)
        if len(b) < PAGE:
            b += bytes(PAGE - len(b))
        return b

    def extents(self):
        """[(start, end)) byte ranges that hold data, holes skipped."""
        if self._extents is not None:
            return self._extents
        ext = []
        off = 0
        try:
            while off < self.size:
                try:
                    start = os.lseek(self.fd, off, os.SEEK_DATA)
                except OSError as e:
                    if e.errno == errno.ENXIO:
                        break
                    raise
                end = os.lseek(self.fd, start, os.SEEK_HOLE)
                ext.append((start, end))
                off = end
        except (OSError, AttributeError):
            ext = [(0, self.size)]
        self._extents = ext
        self._starts = [e[0] for e in ext]
        return ext

    def has_data(self, mfn):
        """Might frame mfn hold non-zero bytes? False only for holes."""
        ext = self.extents()
        lo, hi = mfn * PAGE, (mfn + 1) * PAGE
        i = bisect.bisect_right(self._starts, lo) - 1
        if i >= 0 and ext[i][1] > lo:
            return True
        return i + 1 < len(ext) and ext[i + 1][0] < hi

    def data_frames(self):
        for start, end in self.extents():
            last = (end + PAGE - 1) >> PAGE_SHIFT
            for mfn in range(start >> PAGE_SHIFT, last):
                yield mfn


class MMU:
    """Translate guest virtual addresses as the x86 2-level MMU would."""

    def __init__(self, machine, cr3):
        self.m = machine
        self.l2 = struct.unpack_from("<1024I",
                                     machine.frame(cr3 >> PAGE_SHIFT))
        self.l1cache = {}

    def l1(self, mfn):
        t = self.l1cache.get(mfn)
        if t is None:
            t = struct.unpack_from("<1024I", self.m.frame(mfn))
            self.l1cache[mfn] = t
        return t

    def translate(self, va):
        l2e = self.l2[va >> L2_SHIFT]
        if not l2e & P_PRESENT:
            raise Unmapped(va, "L2 entry %d not present" % (va >> L2_SHIFT))
        if (l2e >> PAGE_SHIFT) >= self.m.frames:
            raise Unmapped(va, "L2 entry points outside the machine")
        l1e = self.l1(l2e >> PAGE_SHIFT)[(va >> PAGE_SHIFT) & (ENTRIES - 1)]
        if not l1e & P_PRESENT:
            raise Unmapped(va, "L1 entry not present")
        if (l1e >> PAGE_SHIFT) >= self.m.frames:
            raise Unmapped(va, "L1 entry points outside the machine")
        return l1e >> PAGE_SHIFT

    def read(self, va, length):
        out = bytearray()
        while length > 0:
            off = va & (PAGE - 1)
            n = min(length, PAGE - off)
            out += self.m.frame(self.translate(va))[off:off + n]
            va += n
            length -= n
        return bytes(out)


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return None


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------
# The request beyond memory, as README ("layout") gives its defaults.
XL_DEFAULT_BRIDGE = "xenbr0"
# <xen/hvm/hvm_info_table.h> HVM_MAX_VCPUS; a xen-1.3 domain has one.
MAX_VCPUS = {"xen-1.3": 1}
MAX_VCPUS_XEN3 = 128


def made_mac(name, kernel_sha256, cmdline, index):
    """The MAC README says pvbuild gives NIC `index` without mac=: Xen's
    OUI and the first three bytes of a sha256 of NUL-ended pieces."""
    h = hashlib.sha256(b"pvbuild-nic\0")
    if name is not None:
        h.update(os.fsencode(name) + b"\0")
    else:
        h.update(b"\0" + kernel_sha256.encode() + b"\0" + cmdline + b"\0")
    h.update(b"%d\0" % index)
    return "00:16:3e:" + ":".join("%02x" % b for b in h.digest()[:3])


def expected_request(args, cmdline):
    """domain.json's request members as the command line asks them."""
    with open(args.kernel, "rb") as f:
        ksha = hashlib.sha256(f.read()).hexdigest()
    disks = []
    for spec in args.disks:
        parts = spec.rsplit(",", 3)
        if len(parts) != 4 or parts[1] not in ("", "raw"):
            raise UsageError("--disk %s: not TARGET,raw,VDEV,ACCESS" % spec)
        disks.append({"target": parts[0], "vdev": parts[2],
                      "access": "r" if parts[3] in ("r", "ro") else "rw"})
    nics = []
    for i, spec in enumerate(args.nics):
        kv = dict(p.split("=", 1) for p in spec.split(",") if p)
        nics.append({"bridge": kv.get("bridge", XL_DEFAULT_BRIDGE),
                     "mac": kv.get("mac", "").lower() or
                     made_mac(args.name, ksha, cmdline, i)})
    return {"vcpus": args.vcpus, "maxmem": args.maxmem, "name": args.name,
            "disks": disks, "nics": nics}


class Checker:
    # The request: vCPUs, maxmem, name and devices as asked, within what
    # the ABI allows, each vdev and MAC once.
    def check_request(self):
        g = self.report.group("request")
        doc, want = self.doc, self.want_request
        for key in ("vcpus", "maxmem", "name", "disks", "nics"):
            got = doc.get(key, _MISSING)
            g.check(got == want[key], "domain.json %s: expected %r, got %r"
                    % (key, want[key], None if got is _MISSING else got))
        abi = doc.get("abi")
        cap = MAX_VCPUS.get(abi, MAX_VCPUS_XEN3)
        vcpus = doc.get("vcpus")
        g.check(isinstance(vcpus, int) and 1 <= vcpus <= cap,
                "vcpus %r: a %s domain has 1 to %d" % (vcpus, abi, cap))
        maxmem = doc.get("maxmem")
        g.check(isinstance(maxmem, int) and maxmem % PAGE == 0 and
                maxmem >= self.nr_pages * PAGE,
                "maxmem %r: not whole pages at least the domain's %d"
                % (maxmem, self.nr_pages * PAGE))
        for key, field in (("disks", "vdev"), ("nics", "mac")):
            seen = [d.get(field) for d in doc.get(key) or []
                    if isinstance(d, dict)]
            g.check(len(seen) == len(set(seen)),
                    "%s: a %s twice in %r" % (key, field, seen))
        return g.done()

    def __init__(self, args, kernel, initrd, cmdline):
        self.args = args
        self.dir = args.dir
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
        self.nr_pages = args.memory >> PAGE_SHIFT
        self.L = Layout(kernel, len(initrd) if initrd is not None else 0,
                        self.nr_pages)
        self.verbose = args.verbose
        self.report = Report()
        self.p2m = None
        self.mmu = None

    # 0. The layout must be one the builder could have built at all.
    def check_layout(self):
        g = self.report.group("layout")
        L = self.L
        if self.verbose:
            for line in L.describe():
                print(line)
        g.check(L.v_end - L.v_start <= self.nr_pages * PAGE,
                "bootstrap region 0x%x-0x%x (%d MiB) exceeds the domain's %d "
                "MiB: the builder should have refused" % (
                    L.v_start, L.v_end, (L.v_end - L.v_start) >> 20,
                    (self.nr_pages * PAGE) >> 20))
        g.check(L.v_end <= HYPERVISOR_VIRT_START,
                "v_end 0x%x above HYPERVISOR_VIRT_START 0x%x"
                % (L.v_end, HYPERVISOR_VIRT_START))
        g.note("v_start 0x%08x v_end 0x%08x nr_pt_pages %d"
               % (L.v_start, L.v_end, L.nr_pt_pages))
        return g.done()

    # domain.json, machine.mem and m2p.bin are there and agree.
    def check_domain(self):
        g = self.report.group("domain")
        path = os.path.join(self.dir, DOMAIN_JSON)
        try:
            with open(path, "rb") as f:
                self.doc = json.loads(f.read())
        except (OSError, ValueError) as e:
            g.fail("%s: %s" % (path, e))
            g.done()
            return False
        doc = self.doc
        abi = lookup(doc, K_ABI)
        g.check(abi == "xen-1.3", "abi: expected 'xen-1.3', got %r"
                % (None if abi is _MISSING else abi))
        nr = get_int(doc, K_NR_PAGES, g)
        if nr is not None:
            g.check(nr == self.nr_pages, "nr_pages: expected %d, got %d"
                    % (self.nr_pages, nr))
        self.frames = get_int(doc, K_FRAMES, g)
        self.reserved = get_int(doc, K_RESERVED, g)
        psz = get_int(doc, K_PAGE_SIZE, g, required=False)
        g.check(psz in (None, PAGE), "machine page_size: expected %d, got %s"
                % (PAGE, psz))
        esz = get_int(doc, K_M2P_ENTRY_SIZE, g, required=False)
        self.m2p_esize = 4 if esz is None else esz
        g.check(self.m2p_esize == 4, "m2p entry_size: expected 4, got %s"
                % self.m2p_esize)
        return self.load_machine(doc, g, 4, "I")

    def load_machine(self, doc, g, w, fmt):
        """Open machine.mem and read m2p.bin (w-byte entries, struct
        format letter fmt) as domain.json names them; ends group g."""
        if self.frames is None or self.reserved is None or g.count:
            g.done()
            return False
        g.check(0 < self.reserved < self.frames,
                "machine: reserved_frames %d, frames %d"
                % (self.reserved, self.frames))
        g.check(self.frames - self.reserved >= self.nr_pages,
                "machine: %d frames, %d reserved: no room for %d pages"
                % (self.frames, self.reserved, self.nr_pages))
        mpath = os.path.join(self.dir, file_name(doc, K_MACHINE_FILE,
                                                 MACHINE_MEM))
        try:
            self.machine = Machine(mpath, self.frames)
        except OSError as e:
            g.fail("%s: %s" % (mpath, e.strerror))
            g.done()
            return False
        g.check(self.machine.size <= self.frames * PAGE,
                "%s: %d bytes, more than %d frames" % (
                    MACHINE_MEM, self.machine.size, self.frames))
        m2p_name = file_name(doc, K_M2P_FILE, M2P_BIN)
        ppath = os.path.join(self.dir, m2p_name)
        try:
            with open(ppath, "rb") as f:
                raw = f.read()
        except OSError as e:
            g.fail("%s: %s" % (ppath, e.strerror))
            g.done()
            return False
        g.check(len(raw) == self.frames * w,
                "%s: expected %d bytes (%d per frame), got %d"
                % (m2p_name, self.frames * w, w, len(raw)))
        raw = raw[:len(raw) - len(raw) % w]
        self.m2p = struct.unpack("<%d%s" % (len(raw) // w, fmt), raw)
        g.note("%d frames, %d reserved" % (self.frames, self.reserved))
        return g.done()

    def mfn_ok(self, mfn):
        return self.reserved <= mfn < self.frames

    # 1. cr3.
    def check_cr3(self):
        g = self.report.group("cr3")
        vcpu = lookup(self.doc, K_VCPU)
        if not isinstance(vcpu, dict):
            g.fail("domain.json: no vcpu")
            return g.done()
        self.vcpu = vcpu
        cr3 = get_int(vcpu, [(V_CR3,)], g)
        if cr3 is None:
            return g.done()
        self.cr3 = cr3
        g.check(cr3 & (PAGE - 1) == 0, "cr3 0x%x not page aligned" % cr3)
        g.check((cr3 >> PAGE_SHIFT) < self.frames,
                "cr3 0x%x: frame %d outside the machine's %d"
                % (cr3, cr3 >> PAGE_SHIFT, self.frames))
        g.check((cr3 >> PAGE_SHIFT) >= self.reserved,
                "cr3 0x%x: frame %d is the hypervisor's (< %d)"
                % (cr3, cr3 >> PAGE_SHIFT, self.reserved))
        ok = g.done()
        if ok:
            self.mmu = MMU(self.machine, cr3)
        return ok

    # 2 (part). The guest's own p2m list, read through its page tables.
    def check_p2m(self):
        g = self.report.group("p2m")
        L, n = self.L, self.nr_pages
        try:
            raw = self.mmu.read(L.p2m_start, n * 4)
        except Unmapped as e:
            g.fail("p2m list at 0x%08x unreadable: %s" % (L.p2m_start, e))
            return g.done()
        p2m = struct.unpack("<%dI" % n, raw)
        self.p2m = p2m
        seen = {}
        si_mfn = as_int(lookup(self.doc, K_SHARED_INFO_MFN))
        for pfn, mfn in enumerate(p2m):
            if g.full():
                break
            if not self.mfn_ok(mfn):
                g.fail("pfn %d: mfn %d outside the domain's frames "
                       "[%d, %d)" % (pfn, mfn, self.reserved, self.frames))
                continue
            if mfn >= MAX_MFN:
                g.fail("pfn %d: mfn %d does not fit a 2-level PTE (>= 2^20)"
                       % (pfn, mfn))
                continue
            if mfn in seen:
                g.fail("pfn %d: mfn %d already given to pfn %d"
                       % (pfn, mfn, seen[mfn]))
                continue
            seen[mfn] = pfn
            if mfn == si_mfn:
                g.fail("pfn %d: mfn %d is the shared_info frame" % (pfn, mfn))
            got = self.m2p[mfn] if mfn < len(self.m2p) else None
            if got != pfn:
                g.fail("m2p[mfn %d]: expected pfn %d, got %s"
                       % (mfn, pfn, got))
        self.domain_mfns = set(p2m)
        # Frames not the domain's must not claim a pfn.
        invalid = as_int(lookup(self.doc, K_M2P_INVALID))
        if invalid is not None and not g.full():
            m2p = self.m2p
            if len(m2p) - m2p.count(invalid) != len(self.domain_mfns):
                for mfn, pfn in enumerate(m2p):
                    if pfn != invalid and mfn not in self.domain_mfns:
                        g.fail("m2p[mfn %d]: not the domain's frame, expected "
                               "0x%x, got pfn %d" % (mfn, invalid, pfn))
                        if g.full():
                            break
        g.note("%d pfns" % n)
        return g.done()

    # 2 and 3. Every entry of the page directory and of the L1 tables.
    def check_pagetables(self):
        g = self.report.group("pagetables")
        L, p2m, mmu = self.L, self.p2m, self.mmu
        lo, hi = L.v_start >> L2_SHIFT, L.v_end >> L2_SHIFT
        pt_pfn = L.pfn(L.pt_start)
        ro_lo, ro_hi = pt_pfn, L.pfn(L.pt_end)
        # The directory is the first page of the page-table area.
        g.check(self.cr3 >> PAGE_SHIFT == p2m[pt_pfn],
                "page directory: cr3 frame %d is not the first page-table "
                "page (pfn %d, mfn %d)" % (self.cr3 >> PAGE_SHIFT, pt_pfn,
                                          p2m[pt_pfn]))
        for i in range(lo, hi):
            if g.full():
                break
            l2e = mmu.l2[i]
            va = i << L2_SHIFT
            want_pfn = pt_pfn + 1 + (i - lo)
            want_mfn = p2m[want_pfn] if want_pfn < len(p2m) else None
            if l2e & 0xFFF != L2_PROT:
                g.fail("L2[%d] (va 0x%08x): flags expected 0x%03x, got "
                       "0x%03x" % (i, va, L2_PROT, l2e & 0xFFF))
            if l2e >> PAGE_SHIFT != want_mfn:
                g.fail("L2[%d] (va 0x%08x): L1 table expected mfn %s (pfn %d, "
                       "page-table page %d), got mfn %d" % (
                           i, va, want_mfn, want_pfn, 1 + i - lo,
                           l2e >> PAGE_SHIFT))
            if not l2e & P_PRESENT or not self.mfn_ok(l2e >> PAGE_SHIFT):
                g.fail("L2[%d]: L1 frame %d not usable"
                       % (i, l2e >> PAGE_SHIFT))
                continue
            l1 = mmu.l1(l2e >> PAGE_SHIFT)
            for j in range(ENTRIES):
                e = l1[j]
                va = (i << L2_SHIFT) | (j << PAGE_SHIFT)
                if not L.v_start <= va < L.v_end:
                    if e != 0:
                        g.fail("L1 of L2[%d], entry %d (va 0x%08x): outside "
                               "the bootstrap region, expected 0, got 0x%08x"
                               % (i, j, va, e))
                    continue
                pfn = L.pfn(va)
                want = L1_PROT_PT if ro_lo <= pfn < ro_hi else L1_PROT
                if e & 0xFFF != want or e >> PAGE_SHIFT != p2m[pfn]:
                    g.fail("L1 entry for va 0x%08x (pfn %d%s): expected "
                           "0x%08x (mfn %d, flags 0x%03x), got 0x%08x" % (
                               va, pfn, ", page-table page"
                               if want == L1_PROT_PT else "",
                               (p2m[pfn] << PAGE_SHIFT) | want, p2m[pfn],
                               want, e))
                    if g.full():
                        break
        g.note("%d L1 tables" % (hi - lo))
        return g.done()

    # 3. Nothing else mapped.
    def check_unmapped(self):
        g = self.report.group("unmapped")
        L, mmu = self.L, self.mmu
        lo, hi = L.v_start >> L2_SHIFT, L.v_end >> L2_SHIFT
        for i in range(ENTRIES):
            if lo <= i < hi:
                continue
            if mmu.l2[i] != 0:
                g.fail("L2[%d] (va 0x%08x): expected 0, got 0x%08x"
                       % (i, i << L2_SHIFT, mmu.l2[i]))
                if g.full():
                    break
        # Page-table pages beyond the directory and its L1 tables (the
        # seed's search makes none, but the layout may say otherwise).
        for k in range(1 + (hi - lo), L.nr_pt_pages):
            pfn = L.pfn(L.pt_start) + k
            if self.machine.frame(self.p2m[pfn]) != ZERO_PAGE:
                g.fail("page-table page %d (pfn %d) unused but not zero"
                       % (k, pfn))
        return g.done()

    def read_region(self):
        """The bootstrap region's bytes, page by page through the MMU."""
        L, mmu = self.L, self.mmu
        self.region = [None] * L.nr_boot_pages
        for pfn in range(L.nr_boot_pages):
            va = L.v_start + (pfn << PAGE_SHIFT)
            try:
                self.region[pfn] = self.machine.frame(mmu.translate(va))
            except Unmapped:
                pass

    def compare(self, g, start, end, expected, what):
        """Compare [start, end) (page aligned) with `expected` (bytes of
        that length); report the first differing byte of each page."""
        L = self.L
        for va in range(start, end, PAGE):
            if g.full():
                return
            pfn = L.pfn(va)
            got = self.region[pfn]
            want = expected[va - start:va - start + PAGE]
            if got is None:
                g.fail("va 0x%08x (pfn %d): not mapped" % (va, pfn))
                continue
            if got == want:
                continue
            off = first_diff(got, want)
            g.fail("va 0x%08x (pfn %d, mfn %d): %s: expected 0x%02x, "
                   "got 0x%02x" % (va + off, pfn, self.p2m[pfn],
                                   what(va + off), want[off], got[off]))

    # 4. The kernel, and everything before the initrd.
    def check_kernel(self):
        g = self.report.group("kernel")
        L, k = self.L, self.kernel
        end = round_up(L.kernel_end)
        exp = bytearray(end - L.v_start)
        for s in k.loadable():  # in file order, as loadelfimage() does
            o = s.vaddr - L.v_start
            exp[o:o + s.filesz] = k.data[s.offset:s.offset + s.filesz]
            exp[o + s.filesz:o + s.memsz] = bytes(s.memsz - s.filesz)

        def what(va):
            for s in reversed(k.loadable()):
                if s.vaddr <= va < s.vaddr + s.filesz:
                    return "segment %d, ELF offset 0x%x" % (
                        s.index, s.offset + va - s.vaddr)
                if s.vaddr <= va < s.vaddr + s.memsz:
                    return "bss of segment %d" % s.index
            for s in k.segments:
                if s.type == PT_LOAD and s.vaddr <= va < s.vaddr + s.memsz:
                    return ("PT_LOAD %d without W or X (the seed does not "
                            "load it)" % s.index)
            if va < L.kernel_start:
                return "below the kernel"
            if va >= L.kernel_end:
                return "after the kernel's end"
            return "gap between segments"

        self.compare(g, L.v_start, end, exp, what)
        skipped_segs = [s for s in k.segments
                        if s.type == PT_LOAD and not s.loadable]
        left_out = (", %d PT_LOAD without W/X left out" % len(skipped_segs)
                    if skipped_segs else "")
        g.note("%d segments%s" % (len(k.loadable()), left_out))
        return g.done()

    # 5. The initrd.
    def check_initrd(self):
        g = self.report.group("initrd")
        L = self.L
        data = self.initrd if self.initrd is not None else b""
        start, end = L.initrd_start, round_up(L.initrd_end)
        exp = data + bytes(end - start - len(data))

        def what(va):
            if va < L.initrd_end:
                return "initrd offset 0x%x" % (va - start)
            return "after the initrd's end"

        self.compare(g, start, end, exp, what)
        if self.initrd is not None:
            g.note("%d bytes at 0x%08x" % (len(data), start))
        else:
            g.note("none")
        return g.done()

    # 2/9. What the region holds besides kernel, initrd, tables, start_info:
    # the p2m list's tail, the boot stack and the padding are zero.
    def check_region(self):
        g = self.report.group("region")
        L = self.L
        p2m_pages = round_up(L.p2m_end) - L.p2m_start
        raw = struct.pack("<%dI" % len(self.p2m), *self.p2m)
        exp = raw + bytes(p2m_pages - len(raw))
        self.compare(g, L.p2m_start, L.p2m_start + p2m_pages, exp,
                     lambda va: "p2m list" if va < L.p2m_end
                     else "after the p2m list")
        self.compare(g, L.stack_start, L.v_end,
                     bytes(L.v_end - L.stack_start),
                     lambda va: "boot stack" if va < L.stack_end
                     else "padding after the stack")
        return g.done()

    # 6. start_info.
    def check_start_info(self):
        g = self.report.group("start_info")
        L = self.L
        page = self.region[L.pfn(L.si_start)]
        if page is None:
            g.fail("start_info page va 0x%08x not mapped" % L.si_start)
            return g.done()
        (nr_pages, shared_info, flags, pt_base, nr_pt_frames, mfn_list,
         mod_start, mod_len) = struct.unpack_from("<8I", page, 0)
        cmd_line = page[32:32 + MAX_CMDLINE]
        (evtchn,) = struct.unpack_from("<I", page, 288)
        si_mfn = as_int(lookup(self.doc, K_SHARED_INFO_MFN))
        # The seed sets mod_start and mod_len only for a non-empty initrd.
        has_initrd = bool(self.initrd)
        want = [("nr_pages", nr_pages, self.nr_pages),
                ("shared_info", shared_info,
                 None if si_mfn is None else si_mfn << PAGE_SHIFT),
                ("flags", flags, 0),
                ("pt_base", pt_base, L.pt_start),
                ("nr_pt_frames", nr_pt_frames, L.nr_pt_pages),
                ("mfn_list", mfn_list, L.p2m_start),
                ("mod_start", mod_start, L.initrd_start if has_initrd else 0),
                ("mod_len", mod_len, len(self.initrd) if has_initrd else 0)]
        for name, got, exp in want:
            if exp is None:
                g.fail("%s: domain.json has no shared_info_mfn" % name)
            elif got != exp:
                g.fail("%s (offset %d): expected 0x%x, got 0x%x"
                       % (name, 4 * [w[0] for w in want].index(name), exp,
                          got))
        cl = self.cmdline[:MAX_CMDLINE - 1]
        exp_cl = cl + bytes(MAX_CMDLINE - len(cl))
        if cmd_line != exp_cl:
            off = first_diff(cmd_line, exp_cl)
            g.fail("cmd_line[%d] (offset %d): expected %r, got %r (got "
                   "string %r)" % (off, 32 + off, exp_cl[off:off + 1],
                                   cmd_line[off:off + 1],
                                   cmd_line.split(b"\0")[0][:60]))
        doc_evtchn = as_int(lookup(self.doc, K_EVTCHN))
        if doc_evtchn is not None:
            g.check(evtchn == doc_evtchn,
                    "domain_controller_evtchn (offset 288): domain.json "
                    "says %d, start_info holds %d" % (doc_evtchn, evtchn))
        g.note("domain_controller_evtchn %d" % evtchn)
        rest = page[START_INFO_SIZE:]
        if rest != bytes(PAGE - START_INFO_SIZE):
            off = first_diff(rest, bytes(len(rest)))
            g.fail("byte %d after the %d-byte structure: expected 0, got "
                   "0x%02x" % (START_INFO_SIZE + off, START_INFO_SIZE,
                               rest[off]))
        # What domain.json says of start_info, where it says anything.
        for paths, exp, name in ((K_START_INFO_VA, L.si_start, "va"),
                                 (K_START_INFO_PFN, L.pfn(L.si_start), "pfn"),
                                 (K_START_INFO_MFN,
                                  self.p2m[L.pfn(L.si_start)], "mfn")):
            v = as_int(lookup(self.doc, paths))
            if v is not None and v != exp:
                g.fail("domain.json start_info.%s: expected 0x%x, got 0x%x"
                       % (name, exp, v))
        return g.done()

    # 7. shared_info.
    def check_shared_info(self):
        g = self.report.group("shared_info")
        mfn = get_int(self.doc, K_SHARED_INFO_MFN, g)
        if mfn is None:
            return g.done()
        if not g.check(0 <= mfn < self.frames,
                       "shared_info_mfn %d outside the machine" % mfn):
            return g.done()
        g.check(mfn not in self.domain_mfns,
                "shared_info_mfn %d is one of the domain's pages (pfn %s)"
                % (mfn, self.p2m.index(mfn) if mfn in self.domain_mfns
                   else None))
        page = self.machine.frame(mfn)
        exp = bytearray(PAGE)
        exp[1] = 1   # vcpu_data[0].evtchn_upcall_mask
        if page != bytes(exp):
            off = first_diff(page, exp)
            g.fail("frame %d byte %d: expected 0x%02x, got 0x%02x"
                   % (mfn, off, exp[off], page[off]))
        return g.done()

    # 8. The vCPU context and what is pinned.
    def check_vcpu(self):
        g = self.report.group("vcpu")
        L, v = self.L, self.vcpu
        want = [(V_IP, self.kernel.entry), (V_SI, L.si_start),
                (V_SP, L.stack_end), (V_FLAGS, EFLAGS),
                (V_CS, FLAT_GUESTOS_CS)]
        want += [(s, FLAT_GUESTOS_DS) for s in V_SEGS]
        want += [(V_KSS, FLAT_GUESTOS_DS), (V_KSP, L.stack_end)]
        for name, exp in want:
            got = get_int(v, [(name,)], g)
            if got is not None and got != exp:
                extra = ""
                if name in (V_SP, V_KSP) and got == L.si_start:
                    extra = " (the seed's fault: start_info's va)"
                g.fail("%s: expected 0x%x, got 0x%x%s" % (name, exp, got,
                                                          extra))
        for path, exp in V_OPTIONAL:
            got = get_int(v, [path], g, required=False)
            if got is not None:
                g.check(got == exp, "%s: expected 0x%x, got 0x%x"
                        % (".".join(path), exp, got))
        dr = lookup(v, [V_DEBUGREG])
        if dr is not _MISSING:
            g.check(isinstance(dr, list) and all(as_int(x) == 0 for x in dr),
                    "debugreg: expected all 0, got %r" % (dr,))
        self.check_pinned(g)
        return g.done()

    def check_pinned(self, g):
        pinned = lookup(self.doc, K_PINNED)
        if pinned is _MISSING:
            g.fail("domain.json: no pinned")
            return
        items = pinned if isinstance(pinned, list) else [pinned]
        if len(items) != 1 or not isinstance(items[0], dict):
            g.fail("pinned: expected the one page directory, got %r" % pinned)
            return
        p = items[0]
        L = self.L
        pd_pfn = L.pfn(L.pt_start)
        level = as_int(p.get("level"))
        g.check(level == 2, "pinned level: expected 2, got %r"
                % p.get("level"))
        said = False
        for key, exp in (("mfn", self.cr3 >> PAGE_SHIFT), ("pfn", pd_pfn),
                         ("maddr", self.cr3), ("cr3", self.cr3),
                         ("va", L.pt_start)):
            if key in p:
                said = True
                got = as_int(p[key])
                g.check(got == exp, "pinned %s: expected 0x%x (the page "
                        "directory), got %r" % (key, exp, p[key]))
        g.check(said, "pinned: does not say which table: %r" % p)

    # 9. The domain's pages beyond v_end are zero.
    def check_beyond(self):
        g = self.report.group("beyond")
        L, m = self.L, self.machine
        checked = 0
        for pfn in range(L.nr_boot_pages, self.nr_pages):
            mfn = self.p2m[pfn]
            if mfn >= self.frames:
                continue    # reported by the p2m group
            if not m.has_data(mfn):
                continue
            checked += 1
            page = m.frame(mfn)
            if page != ZERO_PAGE:
                off = first_diff(page, ZERO_PAGE)
                g.fail("pfn %d (mfn %d) byte %d: expected 0, got 0x%02x"
                       % (pfn, mfn, off, page[off]))
                if g.full():
                    break
        g.note("%d pages, %d read" % (self.nr_pages - L.nr_boot_pages,
                                      checked))
        return g.done()

    # Nothing written outside the domain's frames and shared_info.
    def check_machine(self):
        g = self.report.group("machine")
        m = self.machine
        si_mfn = as_int(lookup(self.doc, K_SHARED_INFO_MFN))
        for mfn in m.data_frames():
            if mfn in self.domain_mfns or mfn == si_mfn:
                continue
            page = m.frame(mfn)
            if page != ZERO_PAGE:
                off = first_diff(page, ZERO_PAGE)
                g.fail("frame %d%s (no page of the domain) byte %d: "
                       "expected 0, got 0x%02x" % (
                           mfn, ", hypervisor's" if mfn < self.reserved
                           else "", off, page[off]))
                if g.full():
                    break
        return g.done()

    def run(self):
        rep = self.report
        later = ["cr3", "p2m", "pagetables", "unmapped", "kernel", "initrd",
                 "region", "start_info", "shared_info", "vcpu", "beyond",
                 "machine"]
        if not self.check_layout():
            return 1
        if not self.check_domain():
            for name in later:
                skipped(rep, name, "domain files unusable")
            return 1
        self.check_request()
        if not self.check_cr3():
            for name in later[1:]:
                skipped(rep, name, "no usable cr3")
            return 1
        self.check_p2m()
        if self.p2m is None:
            for name in later[2:]:
                skipped(rep, name, "no p2m list")
            return 1
        self.check_pagetables()
        self.check_unmapped()
        self.read_region()
        self.check_kernel()
        self.check_initrd()
        self.check_region()
        self.check_start_info()
        self.check_shared_info()
        self.check_vcpu()
        self.check_beyond()
        self.check_machine()
        return 1 if rep.failed else 0


# ===========================================================================
# The xen-3.0 ABIs: xen-3.0-x86_64 (4-level paging) and xen-3.0-x86_32p
# (PAE, 3-level), as today's Xen builds them (libxenguest's x86 PV builder,
# Xen 4.17). Facts of the image come from its Xen ELF notes (<xen/elfnote.h>)
# or its legacy __xen_guest string; the structures are those of
# <xen/foreign/x86_64.h> and <xen/foreign/x86_32.h>. Nothing here is shared
# with the builder; the expectations are computed from the image alone.
# ===========================================================================
ABI_13 = "xen-1.3"
ABI_X64 = "xen-3.0-x86_64"
ABI_PAE = "xen-3.0-x86_32p"
EM_386, EM_X86_64 = 3, 62
PT_NOTE, SHT_NOTE = 4, 7
PF_R = 4
U64 = (1 << 64) - 1
# XEN_ELFNOTE_* numbers.
N_ENTRY, N_HYPERCALL_PAGE, N_VIRT_BASE, N_PADDR_OFFSET = 1, 2, 3, 4
N_XEN_VERSION, N_GUEST_OS, N_LOADER, N_PAE_MODE = 5, 6, 8, 9
N_BSD_SYMTAB, N_HV_START_LOW, N_INIT_P2M, N_MOD_START_PFN = 11, 12, 15, 16
STRING_NOTES = (N_XEN_VERSION, N_GUEST_OS, 7, N_LOADER, N_PAE_MODE, 10,
                N_BSD_SYMTAB)
# What the guest says of PAE (libelf's XEN_PAE_*).
PAE_NO, PAE_YES, PAE_EXTCR3, PAE_BIMODAL = 0, 1, 2, 3
PAE_NAMES = {PAE_NO: "no", PAE_YES: "yes", PAE_EXTCR3: "extended-cr3",
             PAE_BIMODAL: "bimodal"}
SIF_MOD_START_PFN, SIF_VIRT_P2M_4TOOLS = 8, 16
VMASST_PAE_EXTENDED_CR3 = 1 << 3
SPAN_4M = 1 << 22
# Pages the page-table solver reserves besides the tables: the boot stack
# and 512 KiB of slack for the guest's own early allocations.
PT_EXTRA_PAGES = 1 + (512 << 10) // PAGE
L1_PROT3 = P_PRESENT | P_RW | P_ACCESSED                     # 0x23
L1_PROT3_PT = P_PRESENT | P_ACCESSED                         # 0x21
UPPER_PROT3 = P_PRESENT | P_RW | P_ACCESSED | P_DIRTY | P_USER  # 0x67
PAE_L3_PROT = P_PRESENT                                      # 0x1
PTE_ADDR = 0x000FFFFFFFFFF000     # bits 12..51 of an 8-byte entry
HYPERCALL_ENTRIES, HYPERCALL_STRIDE, HYPERCALL_IRET = 128, 32, 23
SHARED_INFO_VCPUS, VCPU_INFO_SIZE = 32, 64
DR6_DEFAULT, DR7_DEFAULT = 0xFFFF0FF0, 0x400
# Where a 32-bit PV guest's address space ends on 64-bit Xen unless the
# guest says otherwise (HV_START_LOW), and the range 64-bit Xen keeps for
# itself in every 64-bit PV address space.
PAE_HV_START = 0xF5800000
X64_HV_LO, X64_HV_HI = 0xFFFF800000000000, 0xFFFF880000000000
K_STORE_EVTCHN = [("store_evtchn",), ("xenstore", "evtchn")]
K_CONSOLE_EVTCHN = [("console_evtchn",), ("console", "evtchn")]


class Abi3:
    """The constants of one xen-3.0 guest ABI."""

    def __init__(self, name):
        self.name = name
        self.x64 = name == ABI_X64
        self.levels = 4 if self.x64 else 3
        self.word = 8 if self.x64 else 4
        self.wfmt = "Q" if self.x64 else "I"
        self.vmask = (1 << (48 if self.x64 else 32)) - 1
        if self.x64:
            self.cs, self.ds, self.ss = 0xE033, 0x0, 0xE02B
        else:
            self.cs, self.ds, self.ss = 0xE019, 0xE021, 0xE021
        # start_info: (name, offset, size) in guest-width struct order.
        w = self.word
        if self.x64:
            self.si_fields = [
                ("magic", 0, 32), ("nr_pages", 32, 8), ("shared_info", 40, 8),
                ("flags", 48, 4), ("store_mfn", 56, 8),
                ("store_evtchn", 64, 4), ("console.domU.mfn", 72, 8),
                ("console.domU.evtchn", 80, 4), ("pt_base", 88, 8),
                ("nr_pt_frames", 96, 8), ("mfn_list", 104, 8),
                ("mod_start", 112, 8), ("mod_len", 120, 8),
                ("cmd_line", 128, 1024), ("first_p2m_pfn", 1152, 8),
                ("nr_p2m_frames", 1160, 8)]
        else:
            names = ["nr_pages", "shared_info", "flags", "store_mfn",
                     "store_evtchn", "console.domU.mfn",
                     "console.domU.evtchn", "pt_base", "nr_pt_frames",
                     "mfn_list", "mod_start", "mod_len"]
            self.si_fields = [("magic", 0, 32)]
            self.si_fields += [(n, 32 + w * i, w) for i, n in enumerate(names)]
            self.si_fields += [("cmd_line", 80, 1024),
                               ("first_p2m_pfn", 1104, 4),
                               ("nr_p2m_frames", 1108, 4)]
        last = self.si_fields[-1]
        self.si_size = last[1] + last[2]

    def canon(self, va):
        """A masked virtual address as the guest writes it (x86_64:
        sign-extended from bit 47)."""
        va &= self.vmask
        if self.x64 and va & (1 << 47):
            va |= U64 & ~self.vmask
        return va


def hypercall_page(x64):
    """The page the hypervisor writes at the guest's HYPERCALL_PAGE: one
    32-byte stub per hypercall, int3 (0xcc) everywhere else."""
    page = bytearray(b"\xcc" * PAGE)
    for i in range(HYPERCALL_ENTRIES):
        num = struct.pack("<I", i)
        if x64:
            # push %rcx; push %r11; [push %rax;] mov $i,%eax; syscall;
            # then pop %r11; pop %rcx; ret (not for iret, which never
            # returns).
            if i == HYPERCALL_IRET:
                stub = b"\x51\x41\x53\x50\xb8" + num + b"\x0f\x05"
            else:
                stub = (b"\x51\x41\x53\xb8" + num + b"\x0f\x05\x41\x5b\x59"
                        b"\xc3")
        else:
            # [push %eax;] mov $i,%eax; int $0x82; [ret]
            if i == HYPERCALL_IRET:
                stub = b"\x50\xb8" + num + b"\xcd\x82"
            else:
                stub = b"\xb8" + num + b"\xcd\x82\xc3"
        o = i * HYPERCALL_STRIDE
        page[o:o + len(stub)] = stub
    return bytes(page)


# ---------------------------------------------------------------------------
# Images: plain ELF, ELF compressed whole, or a Linux bzImage
# ---------------------------------------------------------------------------
def _magic_kind(data):
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:3] == b"BZh" and len(data) > 3 and 0x31 <= data[3] <= 0x39:
        return "bzip2"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[:3] == b"\x5d\x00\x00":
        return "lzma"
    if data[:4] == b"\x89LZO" or data[:4] in (b"\x04\x22\x4d\x18",
                                               b"\x02\x21\x4c\x18"):
        return "lzo/lz4"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return None


def _decompress(data, kind, what, whole):
    """Undo `kind`. `whole`: the file is all streams (as gzip, xz, bzip2
    write them); otherwise the first stream is taken and what follows it
    (a bzImage's appended length) is left."""
    try:
        if kind == "gzip":
            if whole:
                return gzip.decompress(data)
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
        if kind == "bzip2":
            if whole:
                return bz2.decompress(data)
            return bz2.BZ2Decompressor().decompress(data)
        if kind in ("xz", "lzma"):
            fmt = lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE
            if whole:
                return lzma.decompress(data, format=fmt)
            return lzma.LZMADecompressor(format=fmt).decompress(data)
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as e:
        raise UsageError("%s: bad %s data: %s" % (what, kind, e))
    raise UsageError("%s: %s compression: the checker reads gzip, xz, "
                     "bzip2 and lzma" % (what, kind))


def bzimage_payload(data):
    """(offset, length) of a Linux bzImage's compressed kernel, or None."""
    if len(data) < 0x250 or data[0x202:0x206] != b"HdrS":
        return None
    setup_sects = data[0x1F1] or 4
    (off, length) = struct.unpack_from("<II", data, 0x248)
    start = (setup_sects + 1) * 512 + off
    if length == 0 or start + length > len(data):
        return None
    return start, length


def read_image(path, what):
    """The bytes of a kernel or initrd file, with one layer of whole-file
    compression undone; for a kernel, a Linux bzImage's payload."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError("%s: %s: %s" % (what, path, e.strerror))
    kind = _magic_kind(data)
    if kind is not None:
        return _decompress(data, kind, "%s: %s" % (what, path), True)
    if what == "kernel" and data[:4] != b"\x7fELF":
        bz = bzimage_payload(data)
        if bz is not None:
            payload = data[bz[0]:bz[0] + bz[1]]
            kind = _magic_kind(payload)
            if kind is None:
                raise UsageError("kernel: %s: bzImage payload in no known "
                                 "compression" % path)
            return _decompress(payload, kind, "kernel: %s: bzImage payload"
                               % path, False)
    return data


# ---------------------------------------------------------------------------
# The ELF image and its Xen declarations
# ---------------------------------------------------------------------------
class Segment3:
    def __init__(self, index, p_type, offset, vaddr, paddr, filesz, memsz,
                 flags):
        self.index, self.type, self.offset = index, p_type, offset
        self.vaddr, self.paddr = vaddr, paddr
        self.filesz, self.memsz, self.flags = filesz, memsz, flags
        self.load = None        # where it goes, set by Kernel3

    @property
    def loadable(self):
        # libelf's rule: PT_LOAD with any of R, W, X.
        return self.type == PT_LOAD and (self.flags & (PF_R | PF_W | PF_X))


def c_strtoull(s):
    """strtoull(s, NULL, 0) of an ASCII string."""
    s = s.lstrip(" \t\n\r\f\v")
    if s[:1] in ("+", "-"):
        s = s[1:]
    base, digits = 10, "0123456789"
    if s[:2].lower() == "0x" and s[2:3] and s[2].lower() in \
            "0123456789abcdef":
        base, digits, s = 16, "0123456789abcdef", s[2:]
    elif s[:1] == "0":
        base, digits = 8, "01234567"
    n = 0
    while n < len(s) and s[n].lower() in digits:
        n += 1
    return int(s[:n], base) & U64 if n else 0


def guest_info_pairs(s):
    """The NAME=VALUE pairs of a __xen_guest string, split the way Xen's
    parser splits them (names cut at 31 bytes, values at 127)."""
    pos, out = 0, []
    while pos < len(s):
        name, value = bytearray(), bytearray()
        while len(name) < 31 and pos < len(s):
            c = s[pos]
            pos += 1
            if c == 0x2C:           # ','
                break
            if c == 0x3D:           # '='
                while len(value) < 127 and pos < len(s):
                    c = s[pos]
                    pos += 1
                    if c == 0x2C:
                        break
                    value.append(c)
                break
            name.append(c)
        out.append((name.decode("latin-1"), value.decode("latin-1")))
    return out


class ElfImage:
    """Headers, segments, sections and Xen declarations of an ELF32 or ELF64
    little-endian image, read with struct."""

    def __init__(self, data):
        if len(data) < 52 or data[:4] != b"\x7fELF":
            raise UsageError("kernel: not an ELF image")
        if data[5] != 1 or data[4] not in (1, 2):
            raise UsageError("kernel: not ELF32/ELF64 little-endian")
        self.data = data
        self.is64 = data[4] == 2
        if self.is64:
            if len(data) < 64:
                raise UsageError("kernel: ELF header cut short")
            (_, self.machine, _, self.entry, phoff, shoff, _, _, phentsize,
             phnum, shentsize, shnum, shstrndx) = struct.unpack_from(
                 "<HHIQQQIHHHHHH", data, 16)
            phfmt, phmin, shfmt, shmin = "<IIQQQQQQ", 56, "<IIQQQQIIQQ", 64
        else:
            (_, self.machine, _, self.entry, phoff, shoff, _, _, phentsize,
             phnum, shentsize, shnum, shstrndx) = struct.unpack_from(
                 "<HHIIIIIHHHHHH", data, 16)
            phfmt, phmin, shfmt, shmin = "<8I", 32, "<10I", 40
        if phnum == 0 or phentsize < phmin:
            raise UsageError("kernel: no usable program headers")
        if phoff + phnum * phentsize > len(data):
            raise UsageError("kernel: program headers beyond the image")
        self.segments = []
        for i in range(phnum):
            v = struct.unpack_from(phfmt, data, phoff + i * phentsize)
            if self.is64:
                p_type, p_flags, off, vaddr, paddr, filesz, memsz, _ = v
            else:
                p_type, off, vaddr, paddr, filesz, memsz, p_flags, _ = v
            seg = Segment3(i, p_type, off, vaddr, paddr, filesz, memsz,
                           p_flags)
            if seg.loadable and (filesz > memsz or off + filesz > len(data)):
                raise UsageError("kernel: program header %d: file range "
                                 "outside the image" % i)
            self.segments.append(seg)
        self.sections = []
        if shnum and shentsize >= shmin and \
                shoff + shnum * shentsize <= len(data):
            for i in range(shnum):
                v = struct.unpack_from(shfmt, data, shoff + i * shentsize)
                self.sections.append((v[0], v[1], v[4], v[5]))
        self.shstr = None
        if 0 < shstrndx < len(self.sections):
            _, _, off, size = self.sections[shstrndx]
            if off + size <= len(data):
                self.shstr = (off, size)
        self.read_declarations()

    def cstr(self, off):
        if off >= len(self.data):
            return None
        end = self.data.find(b"\0", off)
        return self.data[off:end if end >= 0 else len(self.data)]

    def section_name(self, name_off):
        if self.shstr is None or name_off >= self.shstr[1]:
            return None
        return self.cstr(self.shstr[0] + name_off)

    def scan_notes(self, start, end, notes):
        """Xen notes in [start, end) of the file into `notes` (type: (desc
        offset, desc size)); returns how many there were."""
        n, off, data = 0, start, self.data
        while off < end and off + 12 <= len(data):
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            name_off = off + 12
            desc_off = name_off + ((namesz + 3) & ~3)
            name = data[name_off:name_off + namesz].split(b"\0")[0]
            if name == b"Xen":
                notes[ntype] = (desc_off, descsz)
                n += 1
            off = desc_off + ((descsz + 3) & ~3)
        return n

    def read_declarations(self):
        """Xen's search order: Xen notes in PT_NOTE segments; else in
        SHT_NOTE sections; else the __xen_guest section's string."""
        self.notes = {}
        self.declared_by = None
        self.guest_info = None
        found = 0
        for s in self.segments:
            if s.type == PT_NOTE and s.offset != 0:
                found += self.scan_notes(s.offset, s.offset + s.filesz,
                                         self.notes)
        if found:
            self.declared_by = "notes"
            return
        for name_off, sh_type, off, size in self.sections[1:]:
            if sh_type == SHT_NOTE:
                found += self.scan_notes(off, off + size, self.notes)
        if found:
            self.declared_by = "note sections"
            return
        for name_off, sh_type, off, size in self.sections[1:]:
            if self.section_name(name_off) == b"__xen_guest":
                self.guest_info = self.cstr(off) or b""
                self.declared_by = "__xen_guest"
                return

    def note_str(self, ntype):
        if ntype not in self.notes:
            return None
        s = self.cstr(self.notes[ntype][0])
        return None if s is None else s.decode("latin-1")

    def note_num(self, ntype):
        if ntype not in self.notes:
            return None
        off, size = self.notes[ntype]
        if size not in (1, 2, 4, 8) or off + size > len(self.data):
            return 0
        return int.from_bytes(self.data[off:off + size], "little")

    def xen_version(self):
        if self.declared_by in ("notes", "note sections"):
            return self.note_str(N_XEN_VERSION) or ""
        if self.guest_info is not None:
            for name, value in guest_info_pairs(self.guest_info):
                if name == "XEN_VER":
                    return value
        return ""


def is_xen3_image(data):
    """Does the (decompressed) kernel declare itself a xen-3.0 guest? An
    ELF64 image always does here; an ELF32 one when it has Xen notes or a
    __xen_guest string naming xen-3.0. Everything else is left to the
    xen-1.3 checker, exactly as before."""
    if len(data) < 52 or data[:4] != b"\x7fELF":
        return False
    if data[4] == 2:
        return True
    try:
        img = ElfImage(data)
    except (UsageError, struct.error):
        return False
    if img.declared_by in ("notes", "note sections"):
        return True
    return img.xen_version().startswith("xen-3.0")


class Kernel3:
    """A xen-3.0 kernel: where its segments go and what it asks for."""

    def __init__(self, data):
        img = ElfImage(data)
        self.img = img
        self.data = data
        self.entry_elf = img.entry
        self.problems = []     # what Xen refuses; the builder must too
        self.declared_by = img.declared_by
        if img.declared_by is None:
            raise UsageError("kernel: no Xen notes and no __xen_guest "
                             "section")
        vb = po = entry = hc = p2m = hv_low = None
        unmapped = False
        pae = PAE_NO
        loader = guest_os = xen_ver = ""
        if img.guest_info is None:
            vb = img.note_num(N_VIRT_BASE)
            po = img.note_num(N_PADDR_OFFSET)
            entry = img.note_num(N_ENTRY)
            hc = img.note_num(N_HYPERCALL_PAGE)
            p2m = img.note_num(N_INIT_P2M)
            hv_low = img.note_num(N_HV_START_LOW)
            unmapped = bool(img.note_num(N_MOD_START_PFN))
            mode = img.note_str(N_PAE_MODE)
            if mode is not None:
                if mode == "yes":
                    pae = PAE_EXTCR3
                if "bimodal" in mode:
                    pae = PAE_BIMODAL
            loader = img.note_str(N_LOADER) or ""
            guest_os = img.note_str(N_GUEST_OS) or ""
            xen_ver = img.note_str(N_XEN_VERSION) or ""
            if img.note_str(N_BSD_SYMTAB) == "yes":
                raise UsageError("kernel: BSD_SYMTAB is not checked here")
        else:
            for name, value in guest_info_pairs(img.guest_info):
                if name == "LOADER":
                    loader = value
                elif name == "GUEST_OS":
                    guest_os = value
                elif name == "XEN_VER":
                    xen_ver = value
                elif name == "PAE":
                    if value == "yes[extended-cr3]":
                        pae = PAE_EXTCR3
                    elif value.startswith("yes"):
                        pae = PAE_YES
                elif name == "VIRT_BASE":
                    vb = c_strtoull(value)
                elif name == "VIRT_ENTRY":
                    entry = c_strtoull(value)
                elif name == "ELF_PADDR_OFFSET":
                    po = c_strtoull(value)
                elif name == "HYPERCALL_PAGE":
                    hc = (c_strtoull(value) << PAGE_SHIFT) & U64
                elif name == "BSD_SYMTAB":
                    raise UsageError("kernel: BSD_SYMTAB is not checked "
                                     "here")
            if hc is not None and vb is not None:
                hc = (hc + vb) & U64
        if not ((loader.startswith("generic")) or
                guest_os.startswith("linux")):
            self.problems.append("neither LOADER=generic nor GUEST_OS=linux "
                                 "(%r, %r)" % (loader, guest_os))
        if not xen_ver.startswith("xen-3.0"):
            self.problems.append("XEN_VERSION %r is not xen-3.0" % xen_ver)
        if po is not None and vb is None:
            self.problems.append("PADDR_OFFSET without VIRT_BASE")
        if vb is None:
            vb = 0
        if po is None:
            po = 0 if img.guest_info is None else vb
        if entry is None:
            entry = img.entry
        # The ABI: by machine, and for x86_32 by what is said of PAE.
        if img.machine == EM_X86_64:
            abi = ABI_X64
        elif img.machine == EM_386:
            if pae == PAE_NO:
                raise UsageError("kernel: a non-PAE xen-3.0-x86_32 guest; "
                                 "only x86_64 and PAE are checked")
            abi = ABI_PAE
        else:
            raise UsageError("kernel: e_machine %d is neither EM_386 nor "
                             "EM_X86_64" % img.machine)
        self.abi = Abi3(abi)
        self.pae = pae
        self.virt_base, self.paddr_offset, self.entry = vb, po, entry
        self.hypercall = hc
        self.init_p2m = p2m
        self.hv_start_low = hv_low
        self.unmapped_initrd = unmapped
        self.segments = img.segments
        loadable = self.loadable()
        if not loadable:
            raise UsageError("kernel: no loadable (PT_LOAD with R, W or X) "
                             "segment")
        off = (vb - po) & U64
        for s in loadable:
            s.load = (s.paddr + off) & U64
        pstart = min(s.paddr for s in loadable)
        pend = max(s.paddr + s.memsz for s in loadable)
        self.start = (pstart + off) & U64
        self.end = (pend + off) & U64
        if not (self.start <= self.end and self.start <= entry <= self.end
                and vb <= self.start):
            self.problems.append(
                "kernel [0x%x, 0x%x), entry 0x%x, VIRT_BASE 0x%x out of "
                "bounds" % (self.start, self.end, entry, vb))
        if p2m is not None and self.start <= p2m < self.end:
            self.problems.append("INIT_P2M 0x%x inside the kernel" % p2m)

    def loadable(self):
        return [s for s in self.segments if s.loadable]

    def describe(self):
        return ("%s by %s: VIRT_BASE 0x%x PADDR_OFFSET 0x%x ENTRY 0x%x "
                "HYPERCALL_PAGE %s INIT_P2M %s MOD_START_PFN %d PAE %s"
                % (self.abi.name, self.declared_by, self.virt_base,
                   self.paddr_offset, self.entry,
                   "none" if self.hypercall is None else
                   "0x%x" % self.hypercall,
                   "none" if self.init_p2m is None else
                   "0x%x" % self.init_p2m, self.unmapped_initrd,
                   PAE_NAMES[self.pae]))


# ---------------------------------------------------------------------------
# The layout Xen's PV builder gives a xen-3.0 guest
# ---------------------------------------------------------------------------
class Mapping:
    """One initial mapping: the virtual range [lo, hi] (inclusive, masked to
    the guest's address width) backed by consecutive pfns from `pfn`, and
    the page tables it brings, from `table_pfn` on: top level first (the
    first mapping only), then each lower level, L1 last. At level lv (1 is
    L1) a table covers 2^(12 + 9*lv) bytes and the mapping's tables of that
    level cover [lo_lv, hi_lv], one after the other. A later mapping does not
    repeat tables an earlier one already has: its range at a level is
    dropped when it lies inside the earlier one's, or cut where they
    overlap."""

    def __init__(self, abi, lo, hi, pfn, table_pfn, earlier=None):
        self.abi = abi
        self.lo, self.hi = lo & abi.vmask, hi & abi.vmask
        self.pfn = pfn
        self.table_pfn = table_pfn
        self.ranges = {}        # level: (lo_lv, hi_lv, count, first pfn)
        n = 0
        top = abi.levels
        if earlier is None:
            self.ranges[top] = (0, abi.vmask, 1, table_pfn)
            n = 1
        else:
            self.ranges[top] = (0, 0, 0, table_pfn)
        for lv in range(top - 1, 0, -1):
            bits = PAGE_SHIFT + 9 * lv
            mask = (1 << bits) - 1
            f, t = self.lo & ~mask, self.hi | mask
            if not abi.x64 and earlier is None and lv == 2 and \
                    hi < 0xC0000000:
                # PAE: an L2 for every L3 slot up to the last one, so the
                # guest finds the L2 of slot 3 (where its kernel
                # mappings go) present.
                t = abi.vmask
            if earlier is not None:
                ef, et = earlier.ranges[lv][:2]
                if ef != et:
                    if ef <= f and t <= et:
                        f = t = 0
                    else:
                        if ef <= f <= et:
                            f = et + 1
                        if ef <= t <= et:
                            t = ef - 1
            count = ((t - f) >> bits) + 1 if f < t else 0
            self.ranges[lv] = (f, t, count, table_pfn + n)
            n += count
        self.nr_tables = n

    def tables(self):
        """(level, first address covered, pfn) of each table, in pfn order."""
        out = []
        for lv in range(self.abi.levels, 0, -1):
            f, _, count, pfn = self.ranges[lv]
            bits = PAGE_SHIFT + 9 * lv
            out += [(lv, f + (k << bits), pfn + k) for k in range(count)]
        return out

    def is_table(self, pfn):
        return self.table_pfn <= pfn < self.table_pfn + self.nr_tables


class Layout3:
    """Where Xen's builder puts everything, from v_start = VIRT_BASE: the
    kernel, the initrd (unless given by pfn), the p2m list (unless mapped
    apart at INIT_P2M), start_info, xenstore and console pages, the page
    tables, the boot stack; v_end the 4 MiB boundary the page-table solver
    settles on. After v_end, in pfn order: the initrd given by pfn, then the
    p2m list mapped apart and that mapping's own tables."""

    def __init__(self, kernel, nr_pages, initrd):
        a = kernel.abi
        self.abi = a
        self.nr_pages = nr_pages
        self.problems = []
        self.v_start = kernel.virt_base
        self.kernel_start, self.kernel_end = kernel.start, kernel.end
        if self.v_start % PAGE:
            self.problems.append("VIRT_BASE 0x%x not page aligned"
                                 % self.v_start)
        if kernel.start % PAGE:
            self.problems.append("kernel start 0x%x not page aligned"
                                 % kernel.start)
        va = round_up(kernel.end)
        self.has_initrd = initrd is not None
        self.initrd_len = len(initrd) if initrd is not None else 0
        self.initrd_mapped = self.has_initrd and not kernel.unmapped_initrd
        self.initrd_start = self.initrd_end = None
        if self.initrd_mapped:
            self.initrd_start = va
            self.initrd_end = va + self.initrd_len
            va = round_up(self.initrd_end)
        p2m = kernel.init_p2m
        self.p2m_apart = (a.x64 and p2m is not None and p2m % PAGE == 0
                          and p2m < kernel.virt_base)
        self.p2m_bytes = nr_pages * a.word
        self.p2m_pages = round_up(self.p2m_bytes) >> PAGE_SHIFT
        if not self.p2m_apart:
            self.p2m_start = va
            va += self.p2m_pages * PAGE
        self.si_start = va
        self.store_start = va + PAGE
        self.console_start = va + 2 * PAGE
        self.pt_start = va + 3 * PAGE
        alloc_end = self.pt_start
        # The page-table solver: guess the pages still to come, take the
        # 4 MiB boundary past them, count the tables mapping up to there,
        # until the tables and the extra pages fit below the boundary.
        pages = PT_EXTRA_PAGES
        for _ in range(4096):
            last = (alloc_end + pages * PAGE) | (SPAN_4M - 1)
            m1 = Mapping(a, self.v_start, last, 0, self.pfn(self.pt_start))
            pages = m1.nr_tables + PT_EXTRA_PAGES
            if alloc_end + pages * PAGE <= last + 1:
                break
        else:
            raise UsageError("layout: the page-table count does not settle")
        self.map1 = m1
        self.maps = [m1]
        self.nr_pt = m1.nr_tables
        self.pt_end = self.pt_start + self.nr_pt * PAGE
        self.stack_start = self.pt_end
        self.stack_end = self.stack_start + PAGE
        self.v_end = last + 1
        self.nr_boot_pages = (self.v_end - self.v_start) >> PAGE_SHIFT
        pfn = self.nr_boot_pages
        self.initrd_pfn = None
        if self.has_initrd and not self.initrd_mapped:
            self.initrd_pfn = pfn
            pfn += round_up(self.initrd_len) >> PAGE_SHIFT
        self.map2 = None
        self.p2m_pfn = self.pfn(self.p2m_start) if not self.p2m_apart \
            else pfn
        self.p2m_frames = 0
        if self.p2m_apart:
            self.p2m_start = p2m
            m2 = Mapping(a, p2m, p2m + self.p2m_pages * PAGE - 1, pfn,
                         pfn + self.p2m_pages, m1)
            self.map2 = m2
            self.maps.append(m2)
            self.p2m_frames = self.p2m_pages + m2.nr_tables
            pfn += self.p2m_frames
            if m1.lo <= m2.hi and m2.lo <= m1.hi:
                self.problems.append("INIT_P2M mapping 0x%x overlaps the "
                                     "bootstrap region" % p2m)
        self.p2m_end = self.p2m_start + self.p2m_bytes
        self.pfns_used = pfn
        self.hypercall_pfn = None
        if kernel.hypercall is not None:
            self.hypercall_pfn = ((kernel.hypercall - self.v_start) & U64) \
                >> PAGE_SHIFT
        self.check(kernel)

    def pfn(self, va):
        return (va - self.v_start) >> PAGE_SHIFT

    def check(self, kernel):
        a, p = self.abi, self.problems
        if self.nr_boot_pages > self.nr_pages:
            p.append("bootstrap region 0x%x-0x%x (%d pages) exceeds the "
                     "domain's %d pages" % (self.v_start, self.v_end,
                                            self.nr_boot_pages,
                                            self.nr_pages))
        elif self.pfns_used > self.nr_pages:
            p.append("region, initrd and p2m list need %d pages, the domain "
                     "has %d" % (self.pfns_used, self.nr_pages))
        if self.v_end - 1 > (U64 if a.x64 else a.vmask):
            p.append("v_end 0x%x beyond the address space" % self.v_end)
        if a.x64:
            if self.v_start < X64_HV_HI and self.v_end > X64_HV_LO:
                p.append("region 0x%x-0x%x overlaps Xen's 0x%x-0x%x" % (
                    self.v_start, self.v_end, X64_HV_LO, X64_HV_HI))
        else:
            hv = kernel.hv_start_low
            hv = PAE_HV_START if hv is None or hv > PAE_HV_START else hv
            if self.v_end > hv:
                p.append("v_end 0x%x above the hypervisor's 0x%x"
                         % (self.v_end, hv))
        if self.hypercall_pfn is not None and \
                self.hypercall_pfn >= self.nr_pages:
            p.append("HYPERCALL_PAGE 0x%x is no page of the domain"
                     % kernel.hypercall)

    def describe(self):
        c = self.abi.canon
        rows = [("kernel", self.kernel_start, self.kernel_end)]
        if self.initrd_mapped:
            rows.append(("initrd", self.initrd_start, self.initrd_end))
        if not self.p2m_apart:
            rows.append(("p2m", self.p2m_start, self.p2m_end))
        rows += [("start_info", self.si_start, self.si_start + PAGE),
                 ("xenstore", self.store_start, self.store_start + PAGE),
                 ("console", self.console_start, self.console_start + PAGE),
                 ("pagetables", self.pt_start, self.pt_end),
                 ("stack", self.stack_start, self.stack_end),
                 ("total", self.v_start, self.v_end)]
        out = ["# %-10s 0x%016x -> 0x%016x" % (n, c(s), c(e))
               for n, s, e in rows]
        if self.initrd_pfn is not None:
            out.append("# initrd at pfn %d, %d bytes" % (self.initrd_pfn,
                                                         self.initrd_len))
        if self.p2m_apart:
            out.append("# p2m list at 0x%x: pfn %d, %d pages + %d tables"
                       % (self.p2m_start, self.p2m_pfn, self.p2m_pages,
                          self.map2.nr_tables))
        out.append("# nr_pages %d, nr_pt_frames %d" % (self.nr_pages,
                                                        self.nr_pt))
        return out


class MMU3:
    """Translate guest virtual addresses as the x86 MMU would, in 4-level
    (x86_64) or PAE (3-level, 4 top entries) mode, 8-byte entries."""

    def __init__(self, machine, cr3, abi):
        self.m = machine
        self.abi = abi
        self.top = cr3 >> PAGE_SHIFT
        self.cache = {}

    def table(self, mfn):
        t = self.cache.get(mfn)
        if t is None:
            t = struct.unpack("<512Q", self.m.frame(mfn))
            self.cache[mfn] = t
        return t

    def translate(self, va):
        a = self.abi
        v = va & a.vmask
        mfn = self.top
        for lv in range(a.levels, 0, -1):
            idx = (v >> (PAGE_SHIFT + 9 * (lv - 1))) & 511
            e = self.table(mfn)[idx]
            if not e & P_PRESENT:
                raise Unmapped(va, "L%d entry %d not present" % (lv, idx))
            mfn = (e & PTE_ADDR) >> PAGE_SHIFT
            if mfn >= self.m.frames:
                raise Unmapped(va, "L%d entry %d points outside the machine"
                               % (lv, idx))
        return mfn

    def read(self, va, length):
        out = bytearray()
        while length > 0:
            off = va & (PAGE - 1)
            n = min(length, PAGE - off)
            out += self.m.frame(self.translate(va))[off:off + n]
            va += n
            length -= n
        return bytes(out)


# ---------------------------------------------------------------------------
# The checks of a xen-3.0 domain
# ---------------------------------------------------------------------------
class Checker3(Checker):
    """The xen-1.3 checks' counterparts for xen-3.0-x86_64 and
    xen-3.0-x86_32p; what does not depend on the ABI (the machine's other
    frames, byte comparisons, reading the region) is inherited."""

    def __init__(self, args, kernel, initrd, cmdline):
        self.args = args
        self.dir = args.dir
        self.kernel = kernel
        self.abi = kernel.abi
        self.initrd = initrd
        self.cmdline = cmdline
        self.nr_pages = args.memory >> PAGE_SHIFT
        self.L = Layout3(kernel, self.nr_pages, initrd)
        self.verbose = args.verbose
        self.report = Report()
        self.p2m = None
        self.mmu = None
        self.skip_pfns = set()
        if self.L.hypercall_pfn is not None:
            self.skip_pfns.add(self.L.hypercall_pfn)

    def hx(self, va):
        return "0x%x" % self.abi.canon(va)

    # 0. The layout must be one the builder could have built at all.
    def check_layout(self):
        g = self.report.group("layout")
        L, k = self.L, self.kernel
        if self.verbose:
            print("# " + k.describe())
            for line in L.describe():
                print(line)
        for why in k.problems + L.problems:
            g.fail("%s: the builder should have refused" % why)
        g.note("%s, v_start %s v_end %s nr_pt_frames %d%s" % (
            self.abi.name, self.hx(L.v_start), self.hx(L.v_end), L.nr_pt,
            ", p2m mapped at 0x%x" % L.p2m_start if L.p2m_apart else ""))
        return g.done()

    # domain.json, machine.mem and m2p.bin are there and agree.
    def check_domain(self):
        g = self.report.group("domain")
        a = self.abi
        path = os.path.join(self.dir, DOMAIN_JSON)
        try:
            with open(path, "rb") as f:
                self.doc = json.loads(f.read())
        except (OSError, ValueError) as e:
            g.fail("%s: %s" % (path, e))
            g.done()
            return False
        doc = self.doc
        abi = lookup(doc, K_ABI)
        g.check(abi == a.name, "abi: expected %r, got %r"
                % (a.name, None if abi is _MISSING else abi))
        nr = get_int(doc, K_NR_PAGES, g)
        if nr is not None:
            g.check(nr == self.nr_pages, "nr_pages: expected %d, got %d"
                    % (self.nr_pages, nr))
        self.frames = get_int(doc, K_FRAMES, g)
        self.reserved = get_int(doc, K_RESERVED, g)
        psz = get_int(doc, K_PAGE_SIZE, g, required=False)
        g.check(psz in (None, PAGE), "machine page_size: expected %d, got %s"
                % (PAGE, psz))
        esz = get_int(doc, K_M2P_ENTRY_SIZE, g)
        g.check(esz in (None, a.word), "m2p entry_size: expected %d, got %s"
                % (a.word, esz))
        self.invalid = (1 << (8 * a.word)) - 1
        inv = get_int(doc, K_M2P_INVALID, g, required=False)
        g.check(inv in (None, self.invalid), "m2p invalid: expected 0x%x, "
                "got %s" % (self.invalid, inv if inv is None else hex(inv)))
        return self.load_machine(doc, g, a.word, a.wfmt)

    # 1. cr3.
    def check_cr3(self):
        g = self.report.group("cr3")
        vcpu = lookup(self.doc, K_VCPU)
        if not isinstance(vcpu, dict):
            g.fail("domain.json: no vcpu")
            return g.done()
        self.vcpu = vcpu
        cr3 = get_int(vcpu, [(V_CR3,)], g)
        if cr3 is None:
            return g.done()
        self.cr3 = cr3
        mfn = cr3 >> PAGE_SHIFT
        g.check(cr3 & (PAGE - 1) == 0, "cr3 0x%x not page aligned" % cr3)
        g.check(mfn < self.frames, "cr3 0x%x: frame %d outside the "
                "machine's %d" % (cr3, mfn, self.frames))
        g.check(mfn >= self.reserved, "cr3 0x%x: frame %d is the "
                "hypervisor's (< %d)" % (cr3, mfn, self.reserved))
        if not self.abi.x64:
            g.check(mfn < MAX_MFN, "cr3 0x%x: the PAE L3 must be below "
                    "4 GiB (frame %d >= 2^20)" % (cr3, mfn))
        ok = g.done()
        if ok:
            self.mmu = MMU3(self.machine, cr3, self.abi)
        return ok

    # 2 (part). The guest's own p2m list, read through its page tables,
    # against the hypervisor's m2p.
    def check_p2m(self):
        g = self.report.group("p2m")
        L, n, a = self.L, self.nr_pages, self.abi
        guest = None
        try:
            raw = self.mmu.read(L.p2m_start, n * a.word)
            guest = struct.unpack("<%d%s" % (n, a.wfmt), raw)
        except Unmapped as e:
            g.fail("p2m list at %s unreadable: %s" % (self.hx(L.p2m_start),
                                                      e))
        si_mfn = as_int(lookup(self.doc, K_SHARED_INFO_MFN))
        m2p = self.m2p
        agree = guest is not None
        if guest is not None:
            seen = {}
            for pfn, mfn in enumerate(guest):
                if g.full():
                    agree = False
                    break
                if not self.mfn_ok(mfn):
                    g.fail("pfn %d: mfn %d outside the domain's frames "
                           "[%d, %d)" % (pfn, mfn, self.reserved,
                                         self.frames))
                    agree = False
                    continue
                if mfn in seen:
                    g.fail("pfn %d: mfn %d already given to pfn %d"
                           % (pfn, mfn, seen[mfn]))
                    agree = False
                    continue
                seen[mfn] = pfn
                if mfn == si_mfn:
                    g.fail("pfn %d: mfn %d is the shared_info frame"
                           % (pfn, mfn))
                got = m2p[mfn] if mfn < len(m2p) else None
                if got != pfn:
                    g.fail("m2p[mfn %d]: expected pfn %d (the guest's p2m "
                           "list), got %s" % (mfn, pfn, got))
                    agree = False
        # Frames not the domain's must not claim a pfn.
        inv = self.invalid
        claimed = len(m2p) - m2p.count(inv)
        if claimed != n and not g.full():
            mine = set(guest) if guest is not None else set()
            for mfn, pfn in enumerate(m2p):
                if pfn != inv and mfn not in mine:
                    g.fail("m2p[mfn %d]: not the domain's frame%s, expected "
                           "0x%x, got %d" % (
                               mfn, "" if guest is not None else
                               " (no p2m list to tell)", inv, pfn))
                    if g.full():
                        break
        p2m = guest
        if not agree:
            # Go on with the hypervisor's view when it is whole: every pfn
            # claimed by exactly one frame.
            inverse = [None] * n
            whole = claimed == n
            for mfn, pfn in enumerate(m2p):
                if pfn != inv:
                    if pfn >= n or inverse[pfn] is not None:
                        whole = False
                        break
                    inverse[pfn] = mfn
            if whole:
                p2m = tuple(inverse)
                g.note("the other checks use m2p.bin's inverse")
        self.p2m = p2m
        self.guest_p2m = guest
        self.domain_mfns = set(p2m) if p2m is not None else set()
        g.note("%d pfns, %d-byte entries at %s" % (n, a.word,
                                                   self.hx(L.p2m_start)))
        return g.done()

    # 2, 3. Every entry of every page table, from the top level down.
    def table_entries(self, lv, span, children, ro):
        """The 512 entries Xen's builder writes in the table at level lv
        covering from `span` on."""
        a, p2m = self.abi, self.p2m
        ents = [0] * 512
        if lv > 1:
            prot = PAE_L3_PROT if (not a.x64 and lv == 3) else UPPER_PROT3
            shift = PAGE_SHIFT + 9 * (lv - 1)
            for i in range(512):
                c = children.get((lv - 1, span + (i << shift)))
                if c is not None:
                    ents[i] = (p2m[c] << PAGE_SHIFT) | prot
            return ents
        top = span + (512 << PAGE_SHIFT) - 1
        for m in self.L.maps:
            lo, hi = max(span, m.lo), min(top, m.hi)
            if lo > hi:
                continue
            i0 = (lo - span) >> PAGE_SHIFT
            pfn0 = m.pfn + ((lo - m.lo) >> PAGE_SHIFT)
            for k in range(((hi - lo) >> PAGE_SHIFT) + 1):
                pfn = pfn0 + k
                prot = L1_PROT3_PT if ro(pfn) else L1_PROT3
                ents[i0 + k] = (p2m[pfn] << PAGE_SHIFT) | prot
        return ents

    def check_pagetables(self):
        g = self.report.group("pagetables")
        gm = self.report.group("p2m_mapping")
        gu = self.report.group("unmapped")
        L, a, p2m = self.L, self.abi, self.p2m
        top_pfn = L.pfn(L.pt_start)
        g.check(self.cr3 >> PAGE_SHIFT == p2m[top_pfn],
                "top-level table: cr3 frame %d is not the first page-table "
                "page (pfn %d, mfn %d)" % (self.cr3 >> PAGE_SHIFT, top_pfn,
                                          p2m[top_pfn]))
        tables = []
        for mi, m in enumerate(L.maps):
            tables += [(lv, span, pfn, mi) for lv, span, pfn in m.tables()]
        children = {(lv, span): pfn for lv, span, pfn, _ in tables}
        maps = L.maps

        def ro(pfn):
            return any(m.is_table(pfn) for m in maps)

        second = (L.p2m_pfn, L.p2m_pfn + L.p2m_frames) if L.p2m_apart \
            else (0, 0)

        def in_second(pfn):
            return second[0] <= pfn < second[1]

        def page_pfn(va):
            for m in maps:
                if m.lo <= va <= m.hi:
                    return m.pfn + ((va - m.lo) >> PAGE_SHIFT)
            return None

        for lv, span, pfn, mi in tables:
            mfn = p2m[pfn]
            owner = gm if mi else g
            if not self.mfn_ok(mfn):
                owner.fail("L%d table pfn %d: mfn %d not the domain's"
                           % (lv, pfn, mfn))
                continue
            got = struct.unpack("<512Q", self.machine.frame(mfn))
            exp = self.table_entries(lv, span, children, ro)
            if list(got) == exp:
                continue
            shift = PAGE_SHIFT + 9 * (lv - 1)
            if g.full() and gm.full() and gu.full():
                break
            for i in range(512):
                if got[i] == exp[i]:
                    continue
                va = self.hx(span + (i << shift))
                where = "L%d table pfn %d, entry %d (va %s)" % (lv, pfn, i,
                                                                va)
                if exp[i] == 0:
                    gu.fail("%s: expected 0, got 0x%x" % (where, got[i]))
                    continue
                want_pfn = page_pfn(span + (i << shift)) if lv == 1 \
                    else children[(lv - 1, span + (i << shift))]
                what = "page-table page" if lv == 1 and ro(want_pfn) \
                    else ("L%d table" % (lv - 1) if lv > 1 else "page")
                grp = gm if mi or in_second(want_pfn) else g
                grp.fail("%s: expected 0x%x (%s pfn %d, mfn %d, flags "
                         "0x%03x), got 0x%x" % (where, exp[i], what,
                                               want_pfn,
                                               exp[i] >> PAGE_SHIFT,
                                               exp[i] & 0xFFF, got[i]))
        if L.p2m_apart:
            # The list's pages themselves, read by pfn: the list, then
            # zeros to the end of its last page.
            raw = struct.pack("<%d%s" % (len(p2m), a.wfmt), *p2m)
            raw += bytes(L.p2m_pages * PAGE - len(raw))
            for k in range(L.p2m_pages):
                pfn = L.p2m_pfn + k
                page = self.machine.frame(p2m[pfn])
                want = raw[k * PAGE:(k + 1) * PAGE]
                if page != want:
                    off = first_diff(page, want)
                    gm.fail("p2m list page %d (pfn %d, mfn %d) byte %d: %s: "
                            "expected 0x%02x, got 0x%02x" % (
                                k, pfn, p2m[pfn], off,
                                "entry of pfn %d" % ((k * PAGE + off) //
                                                     a.word)
                                if k * PAGE + off < L.p2m_bytes
                                else "after the list", want[off], page[off]))
            gm.note("%d list pages at 0x%x (pfn %d), %d tables"
                    % (L.p2m_pages, L.p2m_start, L.p2m_pfn,
                       L.map2.nr_tables))
        else:
            gm.note("none: the list is in the bootstrap region")
        g.note("%d tables, %d levels" % (L.nr_pt, a.levels))
        g.done()
        gm.done()
        return gu.done()

    def compare(self, g, start, end, expected, what):
        """As for xen-1.3, leaving out the hypercall page (its own group)."""
        L = self.L
        for va in range(start, end, PAGE):
            if g.full():
                return
            pfn = L.pfn(va)
            if pfn in self.skip_pfns:
                continue
            got = self.region[pfn]
            want = expected[va - start:va - start + PAGE]
            if got is None:
                g.fail("va %s (pfn %d): not mapped" % (self.hx(va), pfn))
                continue
            if got == want:
                continue
            off = first_diff(got, want)
            g.fail("va %s (pfn %d, mfn %d): %s: expected 0x%02x, got 0x%02x"
                   % (self.hx(va + off), pfn, self.p2m[pfn], what(va + off),
                      want[off], got[off]))

    # 4. The kernel, and the padding before it.
    def check_kernel(self):
        g = self.report.group("kernel")
        L, k = self.L, self.kernel
        end = round_up(L.kernel_end)
        exp = bytearray(end - L.v_start)
        for s in k.loadable():  # in file order, as libelf loads them
            o = s.load - L.v_start
            exp[o:o + s.filesz] = k.data[s.offset:s.offset + s.filesz]
            exp[o + s.filesz:o + s.memsz] = bytes(s.memsz - s.filesz)

        def what(va):
            for s in reversed(k.loadable()):
                if s.load <= va < s.load + s.filesz:
                    return "segment %d, ELF offset 0x%x" % (
                        s.index, s.offset + va - s.load)
                if s.load <= va < s.load + s.memsz:
                    return "bss of segment %d" % s.index
            if va < L.kernel_start:
                return "padding below the kernel"
            if va >= L.kernel_end:
                return "after the kernel's end"
            return "gap between segments"

        self.compare(g, L.v_start, end, exp, what)
        g.note("%d segments at %s" % (len(k.loadable()),
                                      self.hx(L.kernel_start)))
        return g.done()

    # 4b. The hypercall page the hypervisor fills.
    def check_hypercall(self):
        g = self.report.group("hypercall")
        L, k = self.L, self.kernel
        if k.hypercall is None:
            g.note("none declared")
            return g.done()
        pfn = L.hypercall_pfn
        mfn = self.p2m[pfn]
        page = self.machine.frame(mfn)
        want = hypercall_page(self.abi.x64)
        for e in range(HYPERCALL_ENTRIES):
            o = e * HYPERCALL_STRIDE
            got_e, want_e = page[o:o + HYPERCALL_STRIDE], \
                want[o:o + HYPERCALL_STRIDE]
            if got_e != want_e:
                off = first_diff(got_e, want_e)
                g.fail("va %s (pfn %d, mfn %d) byte %d, hypercall %d stub "
                       "byte %d: expected 0x%02x, got 0x%02x" % (
                           self.hx(k.hypercall + o + off), pfn, mfn, o + off,
                           e, off, want_e[off], got_e[off]))
                if g.full():
                    break
        g.note("at %s" % self.hx(k.hypercall))
        return g.done()

    # 5. The initrd: mapped after the kernel, or by pfn after v_end.
    def check_initrd(self):
        g = self.report.group("initrd")
        L = self.L
        data = self.initrd if self.initrd is not None else b""
        if L.initrd_mapped:
            start, end = L.initrd_start, round_up(L.initrd_end)
            exp = data + bytes(end - start - len(data))
            self.compare(g, start, end, exp,
                         lambda va: "initrd offset 0x%x" % (va - start)
                         if va < L.initrd_end else "after the initrd's end")
            g.note("%d bytes at %s" % (len(data), self.hx(start)))
        elif L.initrd_pfn is not None:
            pages = round_up(len(data)) >> PAGE_SHIFT
            exp = data + bytes(pages * PAGE - len(data))
            for k in range(pages):
                if g.full():
                    break
                pfn = L.initrd_pfn + k
                if pfn in self.skip_pfns:
                    continue
                page = self.machine.frame(self.p2m[pfn])
                want = exp[k * PAGE:(k + 1) * PAGE]
                if page != want:
                    off = first_diff(page, want)
                    o = k * PAGE + off
                    g.fail("pfn %d (mfn %d) byte %d: %s: expected 0x%02x, "
                           "got 0x%02x" % (
                               pfn, self.p2m[pfn], off,
                               "initrd offset 0x%x" % o if o < len(data)
                               else "after the initrd's end", want[off],
                               page[off]))
            g.note("%d bytes at pfn %d, unmapped" % (len(data),
                                                      L.initrd_pfn))
        else:
            g.note("none")
        return g.done()

    # What the region holds besides kernel, initrd, tables, start_info: the
    # p2m list (when there), xenstore and console pages, the boot stack and
    # the padding to v_end.
    def check_region(self):
        g = self.report.group("region")
        L, a = self.L, self.abi
        if not L.p2m_apart:
            raw = struct.pack("<%d%s" % (len(self.p2m), a.wfmt), *self.p2m)
            n = L.p2m_pages * PAGE
            self.compare(g, L.p2m_start, L.p2m_start + n,
                         raw + bytes(n - len(raw)),
                         lambda va: "p2m list" if va < L.p2m_end
                         else "after the p2m list")
        self.compare(g, L.store_start, L.store_start + 2 * PAGE,
                     bytes(2 * PAGE), lambda va: "xenstore page"
                     if va < L.console_start else "console page")
        self.compare(g, L.stack_start, L.v_end,
                     bytes(L.v_end - L.stack_start),
                     lambda va: "boot stack" if va < L.stack_end
                     else "padding after the stack")
        return g.done()

    # 6. start_info, the whole page.
    def check_start_info(self):
        g = self.report.group("start_info")
        L, a, p2m, k = self.L, self.abi, self.p2m, self.kernel
        page = self.region[L.pfn(L.si_start)]
        if page is None:
            g.fail("start_info page va %s not mapped" % self.hx(L.si_start))
            return g.done()
        si_mfn = as_int(lookup(self.doc, K_SHARED_INFO_MFN))
        store_ev = get_int(self.doc, K_STORE_EVTCHN, g)
        cons_ev = get_int(self.doc, K_CONSOLE_EVTCHN, g)
        flags = SIF_VIRT_P2M_4TOOLS
        if L.initrd_pfn is not None:
            flags |= SIF_MOD_START_PFN
        if L.initrd_mapped:
            mod_start = a.canon(L.initrd_start)
        elif L.initrd_pfn is not None:
            mod_start = L.initrd_pfn
        else:
            mod_start = 0
        cl = self.cmdline[:1023]
        vals = {
            "magic": a.name.encode() + bytes(32 - len(a.name)),
            "nr_pages": self.nr_pages,
            "shared_info": None if si_mfn is None else si_mfn << PAGE_SHIFT,
            "flags": flags,
            "store_mfn": p2m[L.pfn(L.store_start)],
            "store_evtchn": store_ev,
            "console.domU.mfn": p2m[L.pfn(L.console_start)],
            "console.domU.evtchn": cons_ev,
            "pt_base": a.canon(L.pt_start),
            "nr_pt_frames": L.nr_pt,
            "mfn_list": a.canon(L.p2m_start),
            "mod_start": mod_start,
            "mod_len": L.initrd_len,
            "cmd_line": cl + bytes(1024 - len(cl)),
            "first_p2m_pfn": L.p2m_pfn if L.p2m_apart else 0,
            "nr_p2m_frames": L.p2m_frames if L.p2m_apart else 0,
        }
        exp = bytearray(PAGE)
        for name, off, size in a.si_fields:
            v = vals[name]
            if v is None:
                g.fail("%s: domain.json does not say" % name)
                v = int.from_bytes(page[off:off + size], "little")
            if isinstance(v, int):
                v = (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
            exp[off:off + size] = v
        if page != bytes(exp):
            for name, off, size in a.si_fields:
                got, want = page[off:off + size], exp[off:off + size]
                if got == want:
                    continue
                if name in ("magic", "cmd_line"):
                    d = first_diff(got, want)
                    g.fail("%s[%d] (offset %d): expected %r, got %r (got "
                           "string %r)" % (name, d, off + d, want[d:d + 1],
                                           got[d:d + 1],
                                           got.split(b"\0")[0][:60]))
                else:
                    g.fail("%s (offset %d): expected 0x%x, got 0x%x" % (
                        name, off, int.from_bytes(want, "little"),
                        int.from_bytes(got, "little")))
            covered = set()
            for _, off, size in a.si_fields:
                covered.update(range(off, off + size))
            for i in range(PAGE):
                if i not in covered and page[i] != exp[i]:
                    g.fail("byte %d (%s): expected 0, got 0x%02x" % (
                        i, "padding" if i < a.si_size
                        else "after the %d-byte structure" % a.si_size,
                        page[i]))
                    break
        for paths, want, name in (
                (K_START_INFO_VA, a.canon(L.si_start), "va"),
                (K_START_INFO_PFN, L.pfn(L.si_start), "pfn"),
                (K_START_INFO_MFN, p2m[L.pfn(L.si_start)], "mfn")):
            v = as_int(lookup(self.doc, paths))
            if v is not None and v != want:
                g.fail("domain.json start_info.%s: expected 0x%x, got 0x%x"
                       % (name, want, v))
        g.note("%s, evtchn store %s console %s" % (a.name, store_ev,
                                                   cons_ev))
        return g.done()

    # 7. shared_info: every vCPU's upcall mask set, nothing else.
    def check_shared_info(self):
        g = self.report.group("shared_info")
        mfn = get_int(self.doc, K_SHARED_INFO_MFN, g)
        if mfn is None:
            return g.done()
        if not g.check(0 <= mfn < self.frames,
                       "shared_info_mfn %d outside the machine" % mfn):
            return g.done()
        g.check(mfn not in self.domain_mfns,
                "shared_info_mfn %d is one of the domain's pages" % mfn)
        page = self.machine.frame(mfn)
        exp = bytearray(PAGE)
        for i in range(SHARED_INFO_VCPUS):
            exp[i * VCPU_INFO_SIZE + 1] = 1     # evtchn_upcall_mask
        if page != bytes(exp):
            off = first_diff(page, exp)
            g.fail("frame %d byte %d%s: expected 0x%02x, got 0x%02x" % (
                mfn, off, " (vcpu_info[%d])" % (off // VCPU_INFO_SIZE)
                if off < SHARED_INFO_VCPUS * VCPU_INFO_SIZE else "",
                exp[off], page[off]))
        return g.done()

    # 8. The vCPU context and what is pinned.
    def check_vcpu(self):
        g = self.report.group("vcpu")
        L, v, a, k = self.L, self.vcpu, self.abi, self.kernel
        sp = a.canon(L.stack_end)
        want = [(V_IP, k.entry), (V_SI, a.canon(L.si_start)), (V_SP, sp),
                (V_FLAGS, 0x200), (V_CS, a.cs)]
        want += [(s, a.ds) for s in V_SEGS if s != "ss"]
        want += [("ss", a.ss), (V_KSS, a.ss), (V_KSP, sp)]
        assist = 0
        if not a.x64 and k.pae in (PAE_EXTCR3, PAE_BIMODAL):
            assist = VMASST_PAE_EXTENDED_CR3
        want.append(("vm_assist", assist))
        for name, exp in want:
            got = get_int(v, [(name,)], g)
            if got is not None and got != exp:
                g.fail("%s: expected 0x%x, got 0x%x" % (name, exp, got))
        for path in (("ax",), ("bx",), ("cx",), ("dx",), ("di",), ("bp",),
                     ("event_callback", "cs"), ("event_callback", "ip"),
                     ("failsafe_callback", "cs"), ("failsafe_callback", "ip"),
                     ("trap_table", "cs"), ("trap_table", "entries"),
                     ("trap_table", "handler"), ("ldt_ents",), ("gdt_ents",),
                     ("fast_trap_idx",)):
            got = get_int(v, [path], g, required=False)
            if got is not None:
                g.check(got == 0, "%s: expected 0, got 0x%x"
                        % (".".join(path), got))
        dr = lookup(v, [V_DEBUGREG])
        want_dr = [0] * 6 + [DR6_DEFAULT, DR7_DEFAULT]
        got_dr = [as_int(x) for x in dr] if isinstance(dr, list) else None
        g.check(got_dr == want_dr, "debugreg: expected %s, got %s" % (
            "[%s]" % ", ".join("0x%x" % x for x in want_dr),
            "[%s]" % ", ".join("?" if x is None else "0x%x" % x if x >= 0
                               else "%d" % x for x in got_dr)
            if got_dr is not None else
            ("nothing" if dr is _MISSING else repr(dr))))
        self.check_pinned(g)
        return g.done()

    def check_pinned(self, g):
        pinned = lookup(self.doc, K_PINNED)
        if pinned is _MISSING:
            g.fail("domain.json: no pinned")
            return
        items = pinned if isinstance(pinned, list) else [pinned]
        if len(items) != 1 or not isinstance(items[0], dict):
            g.fail("pinned: expected the one top-level table, got %r"
                   % pinned)
            return
        p = items[0]
        L = self.L
        top = L.pfn(L.pt_start)
        level = as_int(p.get("level"))
        g.check(level == self.abi.levels, "pinned level: expected %d, got "
                "%r" % (self.abi.levels, p.get("level")))
        for key, exp in (("pfn", top), ("mfn", self.p2m[top])):
            g.check(as_int(p.get(key)) == exp, "pinned %s: expected %d (the "
                    "top-level table), got %r" % (key, exp, p.get(key)))

    # 9. The domain's other pages are zero.
    def check_beyond(self):
        g = self.report.group("beyond")
        L, m = self.L, self.machine
        skip = set(self.skip_pfns)
        if L.initrd_pfn is not None:
            skip.update(range(L.initrd_pfn, L.initrd_pfn +
                              (round_up(L.initrd_len) >> PAGE_SHIFT)))
        if L.p2m_apart:
            skip.update(range(L.p2m_pfn, L.p2m_pfn + L.p2m_frames))
        checked = 0
        for pfn in range(L.nr_boot_pages, self.nr_pages):
            mfn = self.p2m[pfn]
            if pfn in skip or mfn >= self.frames or not m.has_data(mfn):
                continue
            checked += 1
            page = m.frame(mfn)
            if page != ZERO_PAGE:
                off = first_diff(page, ZERO_PAGE)
                g.fail("pfn %d (mfn %d) byte %d: expected 0, got 0x%02x"
                       % (pfn, mfn, off, page[off]))
                if g.full():
                    break
        g.note("%d pages, %d read" % (self.nr_pages - L.nr_boot_pages,
                                      checked))
        return g.done()

    def run(self):
        rep = self.report
        later = ["cr3", "p2m", "pagetables", "p2m_mapping", "unmapped",
                 "kernel", "hypercall", "initrd", "region", "start_info",
                 "shared_info", "vcpu", "beyond", "machine"]
        if not self.check_layout():
            return 1
        if not self.check_domain():
            for name in later:
                skipped(rep, name, "domain files unusable")
            return 1
        self.check_request()
        if not self.check_cr3():
            for name in later[1:]:
                skipped(rep, name, "no usable cr3")
            return 1
        self.check_p2m()
        if self.p2m is None:
            for name in later[2:]:
                skipped(rep, name, "no p2m list")
            return 1
        self.check_pagetables()
        self.read_region()
        self.check_kernel()
        self.check_hypercall()
        self.check_initrd()
        self.check_region()
        self.check_start_info()
        self.check_shared_info()
        self.check_vcpu()
        self.check_beyond()
        self.check_machine()
        return 1 if rep.failed else 0


USAGE = ("usage: checkdom.py DIR --kernel KERNEL [--initrd INITRD] "
         "--memory BYTES [--cmdline STRING] [--vcpus N] [--maxmem BYTES] "
         "[--name NAME] [--disk TARGET,raw,VDEV,ACCESS]... "
         "[--nic KEY=VALUE,...]... [-v]")


def parse_args(argv):
    class A:
        pass
    a = A()
    a.dir = a.kernel = a.initrd = a.memory = None
    a.cmdline = a.vcpus = a.maxmem = a.name = None
    a.disks, a.nics = [], []
    a.verbose = False
    opts = {"--kernel": "kernel", "--initrd": "initrd", "--memory": "memory",
            "--cmdline": "cmdline", "--vcpus": "vcpus", "--maxmem": "maxmem",
            "--name": "name", "--disk": "disks", "--nic": "nics"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            print(USAGE)
            sys.exit(0)
        if arg in ("-v", "--verbose"):
            a.verbose = True
        elif arg.split("=", 1)[0] in opts:
            name, eq, val = arg.partition("=")
            if not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError("%s needs a value" % arg)
                val = argv[i]
            if isinstance(getattr(a, opts[name]), list):
                getattr(a, opts[name]).append(val)
            elif getattr(a, opts[name]) is not None:
                raise UsageError("%s given twice" % name)
            else:
                setattr(a, opts[name], val)
        elif arg.startswith("-") and arg != "-":
            raise UsageError("unknown option %s" % arg)
        elif a.dir is None:
            a.dir = arg
        else:
            raise UsageError("extra argument %s" % arg)
        i += 1
    if a.dir is None or a.kernel is None or a.memory is None:
        raise UsageError("DIR, --kernel and --memory are required")
    a.memory = parse_size(a.memory)
    try:
        a.vcpus = 1 if a.vcpus is None else int(a.vcpus)
    except ValueError:
        raise UsageError("--vcpus: not a number: %r" % a.vcpus)
    a.maxmem = a.memory if a.maxmem is None else parse_size(a.maxmem)
    if a.memory < PAGE:
        raise UsageError("--memory is in bytes (or with a K, M or G suffix): "
                         "%d is less than a page" % a.memory)
    return a


def pvh_domain(argv):
    """Is the DIR of argv a PVH domain? checkpvh.py checks those."""
    for a in argv:
        if not a.startswith("-"):
            try:
                with open(os.path.join(a, DOMAIN_JSON)) as f:
                    return json.load(f).get("abi") == "pvh"
            except (OSError, ValueError, AttributeError):
                return False
    return False


def main(argv):
    if pvh_domain(argv):
        sys.dont_write_bytecode = True      # no __pycache__ in the tree
        import checkpvh
        return checkpvh.main(argv)
    try:
        args = parse_args(argv)
        data = read_image(args.kernel, "kernel")
        xen3 = is_xen3_image(data)
        kernel = Kernel3(data) if xen3 else Kernel(data)
        initrd = None
        if args.initrd is not None:
            initrd = read_image(args.initrd, "initrd")
        cmdline = os.fsencode(args.cmdline) if args.cmdline else b""
        if b"\0" in cmdline:
            raise UsageError("--cmdline holds a NUL")
        if not os.path.isdir(args.dir):
            raise UsageError("%s: not a directory" % args.dir)
        checker = (Checker3 if xen3 else Checker)(args, kernel, initrd,
                                                  cmdline)
        checker.want_request = expected_request(args, cmdline)
    except UsageError as e:
        print("checkdom: %s" % e, file=sys.stderr)
        print(USAGE, file=sys.stderr)
        return 2
    return checker.run()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(1)
