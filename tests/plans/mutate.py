#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Make semantic mutants of valid plans, to search the untrusted-plan class.

usage: mutate.py [--seed S] [--count N] [--from PATTERN] BASEDIR OUTDIR
       mutate.py [--seed S] [--from PATTERN] --index I BASEDIR OUT

BASEDIR holds valid finished plans (tests/plans/bases.sh writes them: every
ABI at two sizes, with and without an initrd). The first form writes N
mutants into OUTDIR as NNNNN.json, and every base unmutated as
base-NAME.json (mutation "none"), with OUTDIR/manifest.jsonl: one JSON
object a line, {"id", "file", "base", "seed", "mutation", "class"}. The
second writes mutant I of seed S alone to OUT, byte for byte the file the
first form writes, so that a finding reproduces from its seed and index.
Mutant i is made by its own random.Random("S:i") from a base it picks.
With --from (which may be given again), mutants start only from the bases
whose NAME matches a PATTERN (fnmatch), and only those are written
unmutated; every base still lends its fields to swap and abi (so a PVH
plan gets a PV plan's members, and the other way round).

Each mutant is a valid plan with one edit (sometimes two) that means
something to a builder, never a byte flip:

  limit     a number moved to a limit of its type or word (0, 1, max-1,
            max, max+1), to its neighbour (+-1, the next page), or for
            addresses and pfns to a region's start or end +-1, the end of
            the domain or the hypervisor's area
  count     an integer off by one
  swap      a field, or a whole object, replaced by the same field of
            another base (another ABI's or another size's plan)
  array     an entry of an array duplicated, dropped, or moved
  bit       one bit of a flags word or selector toggled (a page-table
            entry's flags, the vCPU's flags and selectors, start_info's
            flags), or a letter of a segment's "rwx"
  retarget  a page table's pfn, an entry's pfn, top_pfn or pin pointed at
            another table
  hvslot    an entry added in the hypervisor's slots of the top table (for
            PAE, of the L2 under L3 entry 3), pointing at a table below
  cmdline   the command line made 0 to 4096 bytes long, its length in
            start_info kept or set to match
  abi       the plan's elfinfo made another ABI's (a PV plan's "pvh", a
            PVH plan's a PV ABI): abi, arch and paging_levels from a base
            of that ABI, the members only one ABI has added from it or
            dropped, each segment's paddr given or taken away, so that the
            plan reaches the readers of the other type

For PVH plans, which have no page tables, retarget points one of the
addresses of a part (start_info's pointers, a module, a write, the entry,
a region, the special pages) at another part, the hole below 4 GiB or the
end of RAM; and hvslot puts RAM or a write into the hole (the ACPI pages,
the special pages, the local APIC) or adds a map entry over RAM.

"class" is the edit and the field with array indices dropped (for example
"limit:populate.writes[].pfn"; a bit of a page-table entry's flags names
its bit, "bit5:pagetables.tables[].maps[].flags"): run.py groups findings
by it and tests/plans/explained.txt names classes by it.
"""

import argparse
import fnmatch
import json
import os
import random
import re
import sys

PROG = "mutate.py"
PAGE = 4096
HEX = re.compile(r"0x[0-9a-f]+\Z")
STAGES = ("elfinfo", "layout", "populate", "pagetables")
# Where each ABI's hypervisor area starts (a guest's addresses stay below
# it, or for x86_64 outside [start, end)); a PVH guest's is the MMIO hole
# below 4 GiB, where its ACPI tables and special pages lie and its RAM
# does not.
HV_AREA = {"xen-1.3": (0xFC000000, 1 << 32),
           "xen-3.0-x86_32p": (0xF5800000, 1 << 32),
           "xen-3.0-x86_64": (0xFFFF800000000000, 0xFFFF880000000000),
           "pvh": (0xFC000000, 1 << 32)}
# Table indices at the edges of a table and of the hypervisor's entries:
# the top table's first and last Xen slots and their neighbours (xen-1.3's
# L2 from 1008, PAE's L3 entry 3 and its L2 from 428, x86_64's L4 256-271).
HV_INDICES = {"xen-1.3": (1007, 1008, 1023, 1024),
              "xen-3.0-x86_32p": (3, 4, 427, 428, 511, 512),
              "xen-3.0-x86_64": (255, 256, 271, 272, 511, 512),
              "pvh": ()}
FLAG_KEYS = {"flags", "cs", "ds", "es", "fs", "gs", "ss", "kernel_ss",
             "trap_cs", "callback_cs", "vm_assist", "upcall_mask",
             # A PVH vCPU's (<xen/hvm/hvm_vcpu.h>): control registers,
             # EFLAGS, segment attributes; and a memory map entry's type.
             "eflags", "cr0", "cr4", "efer", "cs_ar", "ds_ar", "es_ar",
             "ss_ar", "tr_ar", "type"}
ARRAYS = {"segments", "regions", "writes", "tables", "maps", "memory_map",
          "acpi", "modules"}
# PVH's pointers: where a PVH plan says a part of the domain lies, which
# retarget points at another part (a PVH plan has no page tables).
PVH_POINTERS = {"gpa", "cmdline_paddr", "modlist_paddr", "memmap_paddr",
                "rsdp_paddr", "paddr", "addr", "ebx", "eip", "pfn",
                "store_pfn", "console_pfn", "start", "end", "entry",
                "kernel_start", "kernel_end"}
# The special pages below X86_HVM_END_SPECIAL_REGION (pfn 0xff000).
PVH_SPECIAL_END = 0xFF000
# start_info's flag bits by their <xen/xen.h> names: a flipped flag gets
# flag_names to match, so that the flag itself reaches the rules that judge
# it, not only the names' cross-check.
SIF_NAMES = {0: "SIF_PRIVILEGED", 1: "SIF_INITDOMAIN", 2: "SIF_MULTIBOOT_MOD",
             3: "SIF_MOD_START_PFN", 4: "SIF_VIRT_P2M_4TOOLS"}
CMDLINE_LENGTHS = (0, 1, 254, 255, 256, 1022, 1023, 1024, 1025, 4096)


def name_of(path):
    """A path as the plan's readers name it: populate.writes[2].pfn."""
    out = ""
    for k in path:
        out += "[%d]" % k if isinstance(k, int) else ("." if out else "") + k
    return out


def class_of(op, path):
    return op + ":" + re.sub(r"\[\d+\]", "[]", name_of(path))


def pick(rng, paths):
    """A path, each field equally likely however many entries hold it:
    otherwise the thousands of page-table maps would drown the vCPU."""
    groups = {}
    for p in paths:
        groups.setdefault(class_of("", p), []).append(p)
    return rng.choice(groups[rng.choice(sorted(groups))])


def walk(node, path=()):
    """Every path below node, parents before children."""
    if path:
        yield path
    if isinstance(node, dict):
        for k in sorted(node):
            yield from walk(node[k], path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


def get(node, path):
    for k in path:
        node = node[k]
    return node


def put(node, path, value):
    get(node, path[:-1])[path[-1]] = value


def lookup(node, path):
    """The value at path, or None when node has no such path."""
    try:
        for k in path:
            if isinstance(node, dict) != isinstance(k, str):
                return None
            node = node[k]
    except (KeyError, IndexError, TypeError):
        return None
    return node


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def number(v):
    """The plan's number v as an int, or None: ints and "0x..." strings."""
    if is_int(v):
        return v
    if isinstance(v, str) and HEX.match(v):
        return int(v, 16)
    return None


def same_kind(old, v):
    """v written as old is: a hex string for a hex string, else an int."""
    return "0x%x" % v if isinstance(old, str) and v >= 0 else v


class Plan:
    """A base plan and what its mutations aim at."""

    def __init__(self, name, doc):
        self.name, self.doc = name, doc
        ei, lay = doc["elfinfo"], doc["layout"]
        self.abi = ei["abi"]
        self.pvh = self.abi == "pvh"
        self.bits = 64 if self.abi in ("xen-3.0-x86_64", "pvh") else 32
        self.nr_pages = lay["nr_pages"]
        self.v_start = int(lay["v_start"], 16)
        self.v_end = int(lay["v_end"], 16)
        self.regions = [(r["name"], int(r["start"], 16), int(r["end"], 16))
                        for r in lay["regions"]]
        self.tables = [t["pfn"] for t in
                       doc["pagetables"].get("tables", [])]
        # PVH: the memory map's entries, the ACPI tables' addresses.
        self.memmap = [(int(m["addr"], 16), int(m["size"], 16))
                       for m in lay.get("memory_map", [])]
        self.acpi = [int(t["gpa"], 16) for t in
                     doc["populate"].get("acpi", [])]

    def addresses(self):
        """Addresses worth moving an address to, with what each is."""
        out = [(self.v_start, "v_start"), (self.v_start - 1, "v_start-1"),
               (self.v_end, "v_end"), (self.v_end - 1, "v_end-1")]
        for name, start, end in self.regions:
            for v, what in ((start, "start"), (end, "end")):
                out += [(v - 1, "%s %s-1" % (name, what)),
                        (v, "%s %s" % (name, what)),
                        (v + 1, "%s %s+1" % (name, what))]
        lo, hi = HV_AREA[self.abi]
        out += [(lo, "hypervisor area start"), (lo - 1, "below the "
                "hypervisor area"), (hi - 1, "hypervisor area end-1")]
        for addr, size in self.memmap:
            out += [(addr, "map entry start"), (addr + size, "map entry "
                    "end"), (addr + size - 1, "map entry end-1")]
        out += [(a, "an ACPI table") for a in self.acpi]
        if self.pvh:
            ram = self.nr_pages * PAGE
            out += [(ram, "the end of RAM"), (ram - 1, "the end of RAM-1"),
                    (1 << 32, "4 GiB"), (lo + ram, "the hole + RAM"),
                    ((PVH_SPECIAL_END - 8) * PAGE, "the special pages"),
                    (0xFEE00000, "the local APIC")]
        return out

    def pfns(self):
        """Pfns worth moving a pfn to, with what each is."""
        out = [(self.nr_pages - 1, "last pfn"), (self.nr_pages, "nr_pages"),
               (self.nr_pages + 1, "nr_pages+1")]
        for name, start, _ in self.regions:
            out.append(((start - self.v_start) // PAGE, "%s pfn" % name))
        out += [(t, "table pfn") for t in self.tables]
        if self.pvh:
            out += [(PVH_SPECIAL_END - 8, "first special pfn"),
                    (PVH_SPECIAL_END - 1, "console pfn+1"),
                    (PVH_SPECIAL_END, "end of the special pages"),
                    (0xFC000, "hole pfn"), (1 << 20, "4 GiB pfn"),
                    ((1 << 20) + self.nr_pages, "nr_pages above 4 GiB")]
        return out

    def limits(self, old):
        """The type's and the word's limits, for a number like old."""
        w = self.bits
        vals = [0, 1, (1 << w) - 2, (1 << w) - 1, 1 << w,
                (1 << 32) - 1, 1 << 32, (1 << 63) - 1, (1 << 64) - 1]
        if is_int(old):
            vals += [-1, (1 << 31) - 1, 1 << 31, 1 << 63, 1 << 64]
        else:
            vals += [1 << 64, (1 << 63)]
        return [(v, "limit") for v in vals]


def leaves(doc):
    """Paths of the numbers under the stages' members, but for the notes:
    elfinfo keeps them for the reader and no later stage uses them, so
    edits there would spend the batch on nothing."""
    return [p for p in walk({k: doc[k] for k in STAGES})
            if number(get(doc, p)) is not None and p[:2] != ("elfinfo",
                                                            "notes")]


def m_limit(rng, plan, doc):
    path = pick(rng, leaves(doc))
    old = get(doc, path)
    v = number(old)
    cands = plan.limits(old) + [(v - 1, "-1"), (v + 1, "+1")]
    key = path[-1] if isinstance(path[-1], str) else ""
    if isinstance(old, str):
        cands += [(v - PAGE, "previous page"), (v + PAGE, "next page")]
        cands += plan.addresses()
    if key.endswith("pfn"):
        cands += plan.pfns()
    if key in ("index", "count"):
        cands += [(i, "table edge") for i in HV_INDICES[plan.abi]]
    cands = [(c, why) for c, why in cands if c != v]
    c, why = rng.choice(cands)
    new = same_kind(old, c)
    put(doc, path, new)
    return "limit", path, "%s -> %s (%s)" % (json.dumps(old), json.dumps(new),
                                             why)


def m_count(rng, plan, doc):
    paths = [p for p in leaves(doc) if is_int(get(doc, p))]
    path = pick(rng, paths)
    old = get(doc, path)
    new = old + rng.choice((-1, 1))
    put(doc, path, new)
    return "count", path, "%d -> %d" % (old, new)


def m_swap(rng, plan, doc, bases):
    donors = [b for b in bases if b.name != plan.name]
    donor = rng.choice(donors)
    paths = [p for p in walk({k: doc[k] for k in STAGES})
             if lookup(donor.doc, p) is not None and
             lookup(donor.doc, p) != get(doc, p)]
    if rng.random() < 0.3:
        objs = [p for p in paths if isinstance(get(doc, p), (dict, list))]
        paths = objs or paths
    path = pick(rng, paths)
    put(doc, path, json.loads(json.dumps(get(donor.doc, path))))
    return "swap", path, "from %s" % donor.name


def m_array(rng, plan, doc):
    paths = [p for p in walk({k: doc[k] for k in STAGES})
             if isinstance(p[-1], str) and p[-1] in ARRAYS and
             get(doc, p)]
    path = pick(rng, paths)
    arr = get(doc, path)
    i = rng.randrange(len(arr))
    how = rng.choice(("duplicate", "drop", "move") if len(arr) > 1 else
                     ("duplicate", "drop"))
    if how == "duplicate":
        arr.insert(i + 1, json.loads(json.dumps(arr[i])))
        return "array", path, "entry %d duplicated" % i
    if how == "drop":
        del arr[i]
        return "array", path, "entry %d dropped" % i
    j = rng.choice([k for k in range(len(arr)) if k != i])
    arr.insert(j, arr.pop(i))
    return "array", path, "entry %d moved to %d" % (i, j)


def m_bit(rng, plan, doc):
    paths = [p for p in walk({k: doc[k] for k in STAGES})
             if isinstance(p[-1], str) and p[-1] in FLAG_KEYS]
    path = pick(rng, paths)
    old = get(doc, path)
    if not HEX.match(str(old)) and not is_int(old):
        # A segment's "rwx": one letter added or taken away, in order.
        letter = rng.choice("rwx")
        new = "".join(c for c in "rwx" if (c in old) != (c == letter))
        put(doc, path, new)
        return "bit", path, "%s -> %s" % (json.dumps(old), json.dumps(new))
    v = number(old)
    entry = doc["pagetables"].get("entry_size", 8) * 8
    width = entry if "maps" in path else plan.bits
    bit = rng.randrange(24) if rng.random() < 0.8 else rng.randrange(width)
    flipped = v ^ (1 << bit)
    new = same_kind(old, flipped)
    put(doc, path, new)
    if path[-2:] == ("start_info", "flags") and isinstance(new, str) and \
            not plan.pvh:
        put(doc, path[:-1] + ("flag_names",),
            [SIF_NAMES.get(i, "0x%x" % (1 << i)) for i in range(32)
             if flipped >> i & 1])
    # A page-table entry's bits differ in what they mean to Xen: each is
    # a class of its own ("bit5:..." for Accessed).
    edit = "bit%d" % bit if "maps" in path else "bit"
    return edit, path, "bit %d: %s -> %s" % (bit, json.dumps(old),
                                             json.dumps(new))


def m_retarget(rng, plan, doc):
    if plan.pvh:
        return m_pointer(rng, plan, doc)
    pt = doc["pagetables"]
    tables = pt["tables"]
    where = rng.choice(("entry", "entry", "table", "top"))
    if where == "entry":
        ti = rng.randrange(len(tables))
        maps = tables[ti]["maps"]
        if maps:
            mi = rng.randrange(len(maps))
            path = ("pagetables", "tables", ti, "maps", mi, "pfn")
        else:
            path = ("pagetables", "tables", ti, "pfn")
    elif where == "table":
        path = ("pagetables", "tables", rng.randrange(len(tables)), "pfn")
    else:
        path = ("pagetables", rng.choice(("top_pfn", "pin")))
        if path[-1] == "pin":
            path += ("pfn",)
    old = get(doc, path)
    other = rng.choice([t for t in plan.tables if t != old] or plan.tables)
    put(doc, path, other)
    return "retarget", path, "%d -> %d (a table)" % (old, other)


def m_hvslot(rng, plan, doc):
    """An entry added in the hypervisor's slots, pointing at a table of
    the level below: in the top table (xen-1.3's L2 from 1008, x86_64's
    L4 256 to 271), or for PAE in the L2 that L3 entry 3 names, from 428."""
    if plan.pvh:
        return m_hole(rng, plan, doc)
    tables = doc["pagetables"]["tables"]
    by_pfn = {t["pfn"]: t for t in tables}
    levels = doc["pagetables"]["levels"]
    top = [t for t in tables if t["level"] == levels]
    if not top:
        return m_retarget(rng, plan, doc)
    table = top[0]
    first, last = {"xen-1.3": (1008, 1023), "xen-3.0-x86_64": (256, 271),
                   "xen-3.0-x86_32p": (428, 511)}[plan.abi]
    if plan.abi == "xen-3.0-x86_32p":
        l3 = [m for m in table["maps"] if m["index"] <= 3 < m["index"] +
              m["count"]]
        if not l3 or l3[0]["pfn"] + 3 - l3[0]["index"] not in by_pfn:
            return m_retarget(rng, plan, doc)
        table = by_pfn[l3[0]["pfn"] + 3 - l3[0]["index"]]
    below = [t["pfn"] for t in tables if t["level"] == table["level"] - 1]
    if not below or not table["maps"]:
        return m_retarget(rng, plan, doc)
    index = rng.choice((first, last, rng.randint(first, last)))
    new = {"index": index, "count": 1, "pfn": rng.choice(below),
           "flags": table["maps"][0]["flags"]}
    table["maps"].append(new)
    table["maps"].sort(key=lambda m: m["index"])
    i = tables.index(table)
    return "hvslot", ("pagetables", "tables", i, "maps"), \
        "index %d -> table pfn %d" % (index, new["pfn"])


def m_pointer(rng, plan, doc):
    """PVH's retarget: one of the plan's addresses of a part (start_info's
    pointers, a module, a write, the entry, the special pages, a region,
    a map entry) pointed at another part, or at the hole and RAM's end."""
    paths = [p for p in leaves(doc) if isinstance(p[-1], str) and
             p[-1] in PVH_POINTERS]
    path = pick(rng, paths)
    old = get(doc, path)
    if path[-1].endswith("pfn"):
        cands = plan.pfns()
    else:
        cands = plan.addresses()
    cands = [(c, why) for c, why in cands
             if c >= 0 and c != number(old)]
    c, why = rng.choice(cands)
    new = same_kind(old, c)
    put(doc, path, new)
    return "retarget", path, "%s -> %s (%s)" % (json.dumps(old),
                                                json.dumps(new), why)


def m_hole(rng, plan, doc):
    """PVH's hvslot: RAM, or a write, put into the hole below 4 GiB (the
    ACPI tables, the special pages, the local APIC) or over the ACPI map
    entries; a map entry added of another type over RAM."""
    lay = doc["layout"]
    how = rng.choice(("ram", "write", "type"))
    where = rng.choice(((0xFC000000, "ACPI info"), (0xFC001000, "ACPI "
                        "tables"), ((PVH_SPECIAL_END - 4) * PAGE,
                                    "xenstore page"),
                        (0xFEE00000, "local APIC"),
                        (0xFEFFF000, "console page")))
    if how == "write" and doc["populate"].get("writes"):
        ws = doc["populate"]["writes"]
        i = rng.randrange(len(ws))
        ws[i]["pfn"] = where[0] // PAGE
        return "hvslot", ("populate", "writes", i, "pfn"), \
            "write %d -> 0x%x (%s)" % (i, where[0], where[1])
    entry = {"addr": "0x%x" % where[0], "size": "0x%x" % PAGE,
             "type": 1}
    if how == "type":
        entry = {"addr": "0x%x" % (rng.randrange(plan.nr_pages) * PAGE),
                 "size": "0x%x" % PAGE, "type": rng.choice((2, 3, 4))}
    mm = lay["memory_map"]
    mm.append(entry)
    mm.sort(key=lambda m: int(m["addr"], 16))
    return "hvslot", ("layout", "memory_map"), "%s added (%s)" % (
        json.dumps(entry, sort_keys=True), where[1] if how == "ram" else
        "over RAM")


def m_cmdline(rng, plan, doc):
    n = rng.choice(CMDLINE_LENGTHS)
    text = ("console=hvc0 " * (n // 13 + 1))[:n]
    doc["layout"]["cmdline"] = text
    most = 255 if plan.abi == "xen-1.3" else 1023
    si = doc["populate"]["start_info"]
    # hvm_start_info has no length; the plan's cmdline_length says it.
    key = "cmdline_length" if plan.pvh else "cmd_line_length"
    how = rng.choice(("kept", "clamped", "whole"))
    if how == "clamped":
        si[key] = min(n, most)
    elif how == "whole":
        si[key] = n
    return "cmdline", ("layout", "cmdline"), "%d bytes, %s %s (%d)" % (
        n, key, how, si[key])


def m_abi(rng, plan, doc, bases):
    """The plan's elfinfo made that of a base of another ABI, but for
    the kernel's own facts (image, segments, entry, notes)."""
    others = sorted({b.abi for b in bases} - {plan.abi})
    target = rng.choice(others)
    donor = rng.choice([b for b in bases if b.abi == target])
    ei, de = doc["elfinfo"], donor.doc["elfinfo"]
    for k in [k for k in ei if k not in de]:
        del ei[k]
    for k in de:
        # What says which type a kernel is comes from the donor too.
        if k not in ei or k in ("abi", "arch", "paging_levels",
                                "guest_info", "declared_by"):
            ei[k] = json.loads(json.dumps(de[k]))
    for seg in ei["segments"]:
        if donor.abi == "pvh" or "paddr" in de["segments"][0]:
            seg["paddr"] = seg.get("paddr", seg["vaddr"])
        else:
            seg.pop("paddr", None)
    return "abi", ("elfinfo", "abi"), "%s -> %s (as %s)" % (
        plan.abi, donor.abi, donor.name)


OPS = [(m_limit, 30), (m_count, 10), (m_swap, 15), (m_array, 15),
       (m_bit, 15), (m_retarget, 10), (m_hvslot, 5), (m_cmdline, 5),
       (m_abi, 3)]


def mutant(seed, i, bases, starts=None):
    """Mutant i of seed from one of starts (all bases by default):
    (base, plan, description, class)."""
    rng = random.Random("%s:%d" % (seed, i))
    plan = rng.choice(starts or bases)
    doc = json.loads(json.dumps(plan.doc))
    descs, classes = [], []
    # A swap needs another base to take the field from, an ABI switch a
    # base of another ABI.
    ops = [(o, w) for o, w in OPS if (o is not m_swap or len(bases) > 1)
           and (o is not m_abi or len({b.abi for b in bases}) > 1)]
    for _ in range(2 if rng.random() < 0.125 else 1):
        op = rng.choices([o for o, _ in ops], [w for _, w in ops])[0]
        args = (rng, plan, doc, bases) if op in (m_swap, m_abi) else \
            (rng, plan, doc)
        kind, path, what = op(*args)
        descs.append("%s %s: %s" % (kind, name_of(path), what))
        classes.append(class_of(kind, path))
    return plan.name, doc, "; ".join(descs), "+".join(classes)


def load_bases(d):
    names = sorted(f[:-5] for f in os.listdir(d) if f.endswith(".json"))
    if not names:
        raise ValueError("%s: no base plans (NAME.json)" % d)
    out = []
    for n in names:
        with open(os.path.join(d, n + ".json")) as f:
            out.append(Plan(n, json.load(f)))
    return out


def dump(doc, path):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--seed", default="pvbuild")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--index", type=int)
    ap.add_argument("--from", dest="start", action="append")
    ap.add_argument("basedir")
    ap.add_argument("out")
    args = ap.parse_args()
    try:
        bases = load_bases(args.basedir)
        pats = args.start or ["*"]
        starts = [b for b in bases
                  if any(fnmatch.fnmatchcase(b.name, p) for p in pats)]
        if not starts:
            raise ValueError("%s: no base plan matches %s" % (
                args.basedir, " or ".join(pats)))
        if args.index is not None:
            base, doc, desc, _ = mutant(args.seed, args.index, bases,
                                        starts)
            dump(doc, args.out)
            print("%s: %s" % (base, desc))
            return 0
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "manifest.jsonl"), "w") as man:
            # The bases themselves first: the oracle must pass them all.
            for b in starts:
                name = "base-%s.json" % b.name
                dump(b.doc, os.path.join(args.out, name))
                man.write(json.dumps({"id": "base", "file": name,
                                      "base": b.name, "seed": args.seed,
                                      "mutation": "none", "class": "none"},
                                     sort_keys=True) + "\n")
            for i in range(args.count):
                base, doc, desc, cls = mutant(args.seed, i, bases, starts)
                name = "%05d.json" % i
                dump(doc, os.path.join(args.out, name))
                man.write(json.dumps({"id": i, "file": name, "base": base,
                                      "seed": args.seed, "mutation": desc,
                                      "class": cls}, sort_keys=True) + "\n")
    except (OSError, ValueError, KeyError) as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
