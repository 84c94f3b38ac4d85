#!/usr/bin/python3
"""checkdom.py: check a domain built by `finalize --backend sim` for xen-1.3.

    checkdom.py DIR --kernel KERNEL [--initrd INITRD] --memory BYTES
                [--cmdline STRING] [-v]

An independent second opinion on the builder. It shares no code with pvbuild
and never reads DIR/plan.json: it parses the ELF32 kernel itself, solves the
seed's layout loop itself (seed/xc_linux_build.c, setup_guestos; the rules of
seed/ABI-1.3.md), and then looks at the built machine the way the guest's MMU
would: from cr3 through the page directory and the L1 tables to the frames,
with the phys-to-machine list read from the guest's own memory.

Prints one line per check group, `ok NAME` or `FAIL NAME: what (where,
expected, got)`; exits 0 when every group passes, 1 when one fails, 2 on a
usage error (bad arguments, unreadable kernel or initrd).
"""

import bisect
import errno
import gzip
import json
import os
import struct
import sys

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
# The xen-1.3 ABI (seed/ABI-1.3.md).
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
class Checker:
    def __init__(self, args, kernel, initrd, cmdline):
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
        g.check(len(raw) == self.frames * 4,
                "%s: expected %d bytes (4 per frame), got %d"
                % (m2p_name, self.frames * 4, len(raw)))
        raw = raw[:len(raw) & ~3]
        self.m2p = struct.unpack("<%dI" % (len(raw) // 4), raw)
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


USAGE = ("usage: checkdom.py DIR --kernel KERNEL [--initrd INITRD] "
         "--memory BYTES [--cmdline STRING] [-v]")


def parse_args(argv):
    class A:
        pass
    a = A()
    a.dir = a.kernel = a.initrd = a.memory = None
    a.cmdline = None
    a.verbose = False
    opts = {"--kernel": "kernel", "--initrd": "initrd", "--memory": "memory",
            "--cmdline": "cmdline"}
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
            if getattr(a, opts[name]) is not None:
                raise UsageError("%s given twice" % name)
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
    if a.memory < PAGE:
        raise UsageError("--memory is in bytes (or with a K, M or G suffix): "
                         "%d is less than a page" % a.memory)
    return a


def main(argv):
    try:
        args = parse_args(argv)
        kernel = Kernel(read_maybe_gzip(args.kernel, "kernel"))
        initrd = None
        if args.initrd is not None:
            initrd = read_maybe_gzip(args.initrd, "initrd")
        cmdline = os.fsencode(args.cmdline) if args.cmdline else b""
        if b"\0" in cmdline:
            raise UsageError("--cmdline holds a NUL")
        if not os.path.isdir(args.dir):
            raise UsageError("%s: not a directory" % args.dir)
        checker = Checker(args, kernel, initrd, cmdline)
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
