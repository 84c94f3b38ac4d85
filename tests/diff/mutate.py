#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Make a corpus of mutated guest kernel images for differential testing.

usage: mutate.py [--seed S] [--count N] [--linux N] [--vmlinux N]
                 [--no-real] [--top DIR] OUTDIR
       mutate.py --case NAME OUT
       mutate.py --list-cases

The first form writes N mutants (and one unmutated copy of every seed)
into OUTDIR, with OUTDIR/manifest.jsonl: one JSON object a line, {"id",
"file", "seed", "mutation"}. The same S and the same seed files give the
same corpus: mutant i is made by its own random.Random("S:i").

Seeds (paths from --top, the project's top directory):
  build/guests/{x64-basic,x64-nop2m,pae-basic,pae-bimodal,notes-legacy-pae,
    notes-sections}.elf and their .gz: the xen-3.0 test guests
  build/guests/basic.elf: a xen-1.3 guest (Xen 4.17 refuses these)
  build/compressed/bzimage-*: synthetic bzImages of basic.elf (xen-1.3)
  derived here: x64-basic.elf and pae-basic.elf wrapped in synthetic Linux
    bzImages (gzip, xz, lzma, bzip2, zstd, lz4 legacy and frame, none) and
    x64-basic.elf compressed whole (xz, lzma, bzip2, zstd)
  the real images of `tests/realimages.sh print` (unless --no-real): the
    PV GRUBs, Debian's Linux bzImage (at most --linux mutants, of its setup
    header, payload bytes and length; default count/100) and the ELF inside
    it (at most --vmlinux mutants; default count/200)

Mutations are structure-aware: the ELF is parsed to find the ELF header,
program and section headers, the Xen notes (PT_NOTE segments and SHT_NOTE
sections) and the __xen_guest string, and each mutant edits one of them
(or two), flips bits inside them, or truncates the file at an offset that
matters. Compressed seeds are decompressed, mutated and compressed again,
or have their container edited (gzip header and trailer, a bzImage's setup
header, payload magic and size trailer).

The second form writes one targeted mutant, NAME from CASES below (the
third lists them), made from a test guest, for the tests that show why
pvbuild is stricter than Xen: each is a reason class of run.py.

Python 3 standard library only (zstd and lz4 are run when present for the
bzImage seeds that need them). Exit status 0, 1 on a failure (one line on
stderr), 2 on usage errors.
"""

import argparse
import bz2
import gzip
import json
import lzma
import os
import random
import shutil
import struct
import subprocess
import sys

PROG = "mutate.py"

# ---------------------------------------------------------------------------
# ELF layout

EH32 = {"e_type": (16, 2), "e_machine": (18, 2), "e_version": (20, 4),
        "e_entry": (24, 4), "e_phoff": (28, 4), "e_shoff": (32, 4),
        "e_flags": (36, 4), "e_ehsize": (40, 2), "e_phentsize": (42, 2),
        "e_phnum": (44, 2), "e_shentsize": (46, 2), "e_shnum": (48, 2),
        "e_shstrndx": (50, 2)}
EH64 = {"e_type": (16, 2), "e_machine": (18, 2), "e_version": (20, 4),
        "e_entry": (24, 8), "e_phoff": (32, 8), "e_shoff": (40, 8),
        "e_flags": (48, 4), "e_ehsize": (52, 2), "e_phentsize": (54, 2),
        "e_phnum": (56, 2), "e_shentsize": (58, 2), "e_shnum": (60, 2),
        "e_shstrndx": (62, 2)}
PH32 = {"p_type": (0, 4), "p_offset": (4, 4), "p_vaddr": (8, 4),
        "p_paddr": (12, 4), "p_filesz": (16, 4), "p_memsz": (20, 4),
        "p_flags": (24, 4), "p_align": (28, 4)}
PH64 = {"p_type": (0, 4), "p_flags": (4, 4), "p_offset": (8, 8),
        "p_vaddr": (16, 8), "p_paddr": (24, 8), "p_filesz": (32, 8),
        "p_memsz": (40, 8), "p_align": (48, 8)}
SH32 = {"sh_name": (0, 4), "sh_type": (4, 4), "sh_flags": (8, 4),
        "sh_addr": (12, 4), "sh_offset": (16, 4), "sh_size": (20, 4),
        "sh_link": (24, 4), "sh_info": (28, 4), "sh_addralign": (32, 4),
        "sh_entsize": (36, 4)}
SH64 = {"sh_name": (0, 4), "sh_type": (4, 4), "sh_flags": (8, 8),
        "sh_addr": (16, 8), "sh_offset": (24, 8), "sh_size": (32, 8),
        "sh_link": (40, 4), "sh_info": (44, 4), "sh_addralign": (48, 8),
        "sh_entsize": (56, 8)}

PT_NULL, PT_LOAD, PT_NOTE = 0, 1, 4
SHT_PROGBITS, SHT_NOTE, SHT_NOBITS = 1, 7, 8

# <xen/elfnote.h>
NOTE_NAMES = {
    0: "INFO", 1: "ENTRY", 2: "HYPERCALL_PAGE", 3: "VIRT_BASE",
    4: "PADDR_OFFSET", 5: "XEN_VERSION", 6: "GUEST_OS", 7: "GUEST_VERSION",
    8: "LOADER", 9: "PAE_MODE", 10: "FEATURES", 11: "BSD_SYMTAB",
    12: "HV_START_LOW", 13: "L1_MFN_VALID", 14: "SUSPEND_CANCEL",
    15: "INIT_P2M", 16: "MOD_START_PFN", 17: "SUPPORTED_FEATURES",
    18: "PHYS32_ENTRY",
}
NOTE_TYPE = {v: k for k, v in NOTE_NAMES.items()}
STRING_NOTES = {5, 6, 7, 8, 9, 10, 11}
ADDRESS_NOTES = {1, 2, 3, 4, 12, 15, 18}

STRING_POOL = {
    5: ["xen-3.0", "xen-3.0-x", "xen-3.", "xen-4.0", "XEN-3.0", "1.3", "",
        "xen-3.0\x01", " xen-3.0"],
    6: ["linux", "Linux", "linuxish", "lin", "", "netbsd", "generic",
        "linux\x7f"],
    7: ["2.6", "", "x" * 40, "2.6\x02"],
    8: ["generic", "generic-x", "gener", "", "linux", "Generic"],
    9: ["yes", "no", "bimodal", "yes,bimodal", "yesno", "ye", "YES", "",
        "yes[extended-cr3]", "extended-cr3", "notbimodalreally", "yes "],
    10: ["", "!dom0", "dom0", "!auto_translated_physmap",
         "!supervisor_mode_kernel", "!hvm_callback_vector",
         "!writable_page_tables", "!writable_descriptor_tables",
         "!pae_pgdir_above_4gb", "!unknown_feature", "unknown_feature", "!",
         "|", "||!writable_descriptor_tables",
         "writable_page_tables|!pae_pgdir_above_4gb",
         "!" + "w" * 70, "w" * 70, "!writable_page_tables|" + "x" * 62,
         "!writable_page_tables|" + "x" * 64 + "!dom0",
         "writable_page_tables|pae_pgdir_above_4gb|auto_translated_physmap",
         "!writable_page_tables|\x01"],
    11: ["yes", "no", "", "yesno", "YES"],
}
STRING_GENERIC = ["", "a", "x" * 1023, "x" * 1024, "x" * 1500, "\x01\x02",
                  "caf\xe9"]


def le(data, pos, size):
    return int.from_bytes(data[pos:pos + size], "little")


def put(data, pos, size, value):
    data[pos:pos + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(
        size, "little")


class Note:
    """A note: where it is in the image and what it holds."""

    def __init__(self, pos, namesz, descsz, ntype, name, desc):
        self.pos, self.namesz, self.descsz = pos, namesz, descsz
        self.type = ntype
        self.name, self.desc = name, desc

    def is_xen(self):
        return self.name == b"Xen\0"


class Area:
    """A run of notes: a PT_NOTE segment or a SHT_NOTE section."""

    def __init__(self, start, end, phdr=None, shdr=None):
        self.start, self.end, self.phdr, self.shdr = start, end, phdr, shdr
        self.notes = []


class Elf:
    """The parts of a (good) ELF image a mutation edits."""

    def __init__(self, data):
        d = self.d = bytearray(data)
        if d[:4] != b"\x7fELF":
            raise ValueError("not an ELF image")
        self.is64 = d[4] == 2
        self.bits = 64 if self.is64 else 32
        self.eh = EH64 if self.is64 else EH32
        self.ph = PH64 if self.is64 else PH32
        self.sh = SH64 if self.is64 else SH32
        self.phsize = 56 if self.is64 else 32
        self.shsize = 64 if self.is64 else 40
        self.ehsize = 64 if self.is64 else 52
        g = self.ehdr
        self.phoff, self.phnum = g("e_phoff"), g("e_phnum")
        self.shoff, self.shnum = g("e_shoff"), g("e_shnum")
        self.shstrndx = g("e_shstrndx")
        self.phdrs = [self.phoff + i * self.phsize for i in range(self.phnum)]
        self.shdrs = [self.shoff + i * self.shsize for i in range(self.shnum)]
        self.names = {}
        if 0 < self.shstrndx < self.shnum:
            so = self.shdr(self.shstrndx, "sh_offset")
            ss = self.shdr(self.shstrndx, "sh_size")
            self.strtab = (so, ss)
            for i in range(self.shnum):
                n = self.shdr(i, "sh_name")
                end = d.find(b"\0", so + n)
                self.names[i] = bytes(d[so + n:end]).decode("latin-1")
        else:
            self.strtab = None
        self.areas = []
        for i in range(self.phnum):
            if self.phdr(i, "p_type") == PT_NOTE and self.phdr(i, "p_offset"):
                o, s = self.phdr(i, "p_offset"), self.phdr(i, "p_filesz")
                self.areas.append(Area(o, o + s, phdr=i))
        for i in range(1, self.shnum):
            if self.shdr(i, "sh_type") == SHT_NOTE:
                o, s = self.shdr(i, "sh_offset"), self.shdr(i, "sh_size")
                same = [a for a in self.areas if a.start == o]
                if same:
                    same[0].shdr = i
                else:
                    self.areas.append(Area(o, o + s, shdr=i))
        for a in self.areas:
            a.notes = parse_notes(d, a.start, a.end)
        self.notes = [n for a in self.areas for n in a.notes]
        self.guest = None
        for i, name in self.names.items():
            if name == "__xen_guest":
                self.guest = i
        self.loads = [i for i in range(self.phnum)
                      if self.phdr(i, "p_type") == PT_LOAD]
        self.facts()

    def ehdr(self, field):
        pos, size = self.eh[field]
        return le(self.d, pos, size)

    def phdr(self, i, field):
        pos, size = self.ph[field]
        return le(self.d, self.phdrs[i] + pos, size)

    def shdr(self, i, field):
        pos, size = self.sh[field]
        return le(self.d, self.shdrs[i] + pos, size)

    def facts(self):
        """Addresses worth aiming a mutated value at."""
        vals = {}
        for n in self.notes:
            if n.is_xen() and n.type not in STRING_NOTES and \
                    n.descsz in (4, 8):
                vals[n.type] = int.from_bytes(n.desc[:n.descsz], "little")
        guest = self.guest_string() or ""
        for kv in guest.split(","):
            k, _, v = kv.partition("=")
            try:
                if k == "VIRT_BASE":
                    vals[3] = int(v, 0)
                if k == "ELF_PADDR_OFFSET":
                    vals[4] = int(v, 0)
            except ValueError:
                pass
        base = vals.get(3, 0)
        off = vals.get(4, base if self.guest is not None and not self.notes
                       else 0)
        lo = min((self.phdr(i, "p_paddr") for i in self.loads), default=0)
        hi = max((self.phdr(i, "p_paddr") + self.phdr(i, "p_memsz")
                  for i in self.loads), default=0)
        self.virt_base = base
        self.kstart = lo + base - off
        self.kend = hi + base - off
        self.entry = vals.get(1, self.ehdr("e_entry"))

    def guest_string(self):
        if self.guest is None:
            return None
        o = self.shdr(self.guest, "sh_offset")
        end = self.d.find(b"\0", o)
        return bytes(self.d[o:end]).decode("latin-1")

    def addresses(self):
        m = (1 << self.bits) - 1
        ks, ke, vb = self.kstart, self.kend, self.virt_base
        return [x & m for x in (
            ks, ks + 1, ks - 1, ks + 0x1000, ks - 0x1000, ks + 0x800,
            ke, ke - 1, ke + 1, ke - 0x1000, ke + 0x1000,
            (ke + 0xfff) & ~0xfff,
            vb, vb - 0x1000, vb + 1, vb + 0x1000, 0, 1, 0x1000, 0x8000000000,
            0x7fffffffff000, m, m - 0xfff, self.entry, self.entry + 1)]


def parse_notes(d, start, end):
    notes, off = [], start
    while off + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", d, off)
        nameoff = off + 12
        descoff = nameoff + ((namesz + 3) & ~3)
        nxt = descoff + ((descsz + 3) & ~3)
        if nxt > end:
            break
        notes.append(Note(off, namesz, descsz, ntype,
                          bytes(d[nameoff:nameoff + namesz]),
                          bytes(d[descoff:descoff + descsz])))
        off = nxt
    return notes


def serialize_notes(notes):
    """notes: (name bytes, type, desc bytes, descsz or None)."""
    out = bytearray()
    for name, ntype, desc, descsz in notes:
        out += struct.pack("<III", len(name),
                           len(desc) if descsz is None else descsz, ntype)
        out += name + b"\0" * (-len(name) % 4)
        out += desc + b"\0" * (-len(desc) % 4)
    return out


# ---------------------------------------------------------------------------
# Values

def interesting(rng, cur, bits, extra=()):
    """A value for a field of `bits` holding `cur`, never `cur` itself."""
    m = (1 << bits) - 1
    extra = [x & m for x in extra if x & m != cur & m]
    if extra and rng.random() < 0.5:
        return rng.choice(extra)
    cands = [0, 1, cur + 1, cur - 1, cur + 4, cur - 4, cur + 0x1000,
             cur - 0x1000, cur + 0x800, cur * 2, cur >> 1, m, m - 1,
             1 << (bits - 1), (1 << (bits - 1)) - 1, rng.getrandbits(bits),
             0x7fffffff, 0xffffffff, 0x100000000]
    cands = [x & m for x in cands if x & m != cur & m]
    return rng.choice(cands or [cur ^ (1 << rng.randrange(bits))]) & m


def fmt_num(rng, v):
    """A number as a __xen_guest value, in one of the spellings strtoull
    (base 0) reads, or does not."""
    style = rng.choice(["hex", "hex", "HEX", "dec", "oct", "junk", "space",
                        "neg", "plus", "empty", "huge"])
    if style == "hex":
        return "0x%x" % v
    if style == "HEX":
        return "0X%X" % v
    if style == "dec":
        return "%d" % v
    if style == "oct":
        return "0%d" % v
    if style == "junk":
        return "0x%xg" % v
    if style == "space":
        return " 0x%x" % v
    if style == "neg":
        return "-%d" % max(v, 1)
    if style == "plus":
        return "+0x%x" % v
    if style == "empty":
        return ""
    return "0x1%016x" % v


# ---------------------------------------------------------------------------
# Mutations of an ELF image: each edits m.d and returns what it did.

def op_ehdr(rng, m):
    d = m.d
    choice = rng.choice(["class", "data", "magic", "version_ident", "e_type",
                         "e_machine", "e_machine", "e_version", "e_entry",
                         "e_entry", "e_phoff", "e_phoff", "e_phnum",
                         "e_phnum", "e_phentsize", "e_shoff", "e_shnum",
                         "e_shnum", "e_shentsize", "e_shstrndx",
                         "e_shstrndx", "e_ehsize", "e_flags"])
    size = len(d)
    if choice == "class":
        v = rng.choice([0, 1, 2, 3, 0xff])
        d[4] = v
        return "ehdr EI_CLASS=%d" % v
    if choice == "data":
        v = rng.choice([0, 2, 3])
        d[5] = v
        return "ehdr EI_DATA=%d" % v
    if choice == "magic":
        i = rng.randrange(4)
        d[i] ^= 1 << rng.randrange(8)
        return "ehdr magic byte %d flipped" % i
    if choice == "version_ident":
        d[6] = rng.choice([0, 2, 0xff])
        return "ehdr EI_VERSION=%d" % d[6]
    pos, w = m.eh[choice]
    cur = le(d, pos, w)
    extra = {
        "e_type": [0, 1, 3, 4],
        "e_machine": [3, 62, 0, 40, 183, 8, 0xffff, 6],
        "e_version": [0, 2],
        "e_entry": m.addresses(),
        "e_phoff": [0, size, size - m.phsize, size - m.phnum * m.phsize,
                    size - m.phnum * m.phsize + 1, m.ehsize, m.shoff,
                    m.ehsize - 1, 0x34, 0x40],
        "e_phnum": [0, 1, m.phnum - 1, m.phnum + 1, m.phnum + 2, 0xffff,
                    size // m.phsize],
        "e_phentsize": [0, 32, 56, 64, 40, cur + 1, cur - 1, cur * 2],
        "e_shoff": [0, size, size - 1, size - m.shnum * m.shsize + 1,
                    m.phoff],
        "e_shnum": [0, 1, m.shnum - 1, m.shnum + 1, 0xffff,
                    size // m.shsize, size // m.shsize + 1],
        "e_shentsize": [0, 40, 64, cur + 8, cur - 8],
        "e_shstrndx": [0, m.shnum - 1, m.shnum, m.shnum + 1, 0xffff,
                       rng.randrange(max(m.shnum, 1))],
        "e_ehsize": [0, 52, 64, 0xffff],
        "e_flags": [rng.getrandbits(32)],
    }[choice]
    v = interesting(rng, cur, 8 * w, extra)
    put(d, pos, w, v)
    return "ehdr %s 0x%x -> 0x%x" % (choice, cur, v)


def pick_phdr(rng, m):
    weights = []
    for i in range(m.phnum):
        t = m.phdr(i, "p_type")
        weights.append(3 if t in (PT_LOAD, PT_NOTE) else 1)
    return rng.choices(range(m.phnum), weights)[0]


def op_phdr(rng, m):
    if not m.phnum:
        return op_ehdr(rng, m)
    if m.loads and rng.random() < 0.06:
        i = rng.choice(m.loads)
        p = m.phdrs[i]
        for f in ("p_filesz", "p_memsz"):
            put(m.d, p + m.ph[f][0], m.ph[f][1], 0)
        if rng.random() < 0.5:
            v = rng.choice([m.phdr(i, "p_paddr") - 0x1000,
                            m.phdr(i, "p_paddr") + 0x200000])
            put(m.d, p + m.ph["p_paddr"][0], m.ph["p_paddr"][1], v)
            return "phdr %d (type 1) emptied (filesz = memsz = 0), " \
                "p_paddr 0x%x" % (i, v)
        return "phdr %d (type 1) emptied (filesz = memsz = 0)" % i
    i = pick_phdr(rng, m)
    field = rng.choice(["p_type", "p_flags", "p_offset", "p_offset",
                        "p_filesz", "p_filesz", "p_memsz", "p_memsz",
                        "p_vaddr", "p_paddr", "p_paddr", "p_paddr",
                        "p_align"])
    pos, w = m.ph[field]
    base = m.phdrs[i]
    cur = le(m.d, base + pos, w)
    size = len(m.d)
    off = m.phdr(i, "p_offset")
    filesz, memsz = m.phdr(i, "p_filesz"), m.phdr(i, "p_memsz")
    paddrs = [m.phdr(j, "p_paddr") for j in m.loads]
    others = [m.phdr(j, "p_paddr") + m.phdr(j, "p_memsz") for j in m.loads]
    top = 1 << m.bits
    extra = {
        "p_type": [PT_NULL, PT_LOAD, PT_NOTE, 2, 6, 7, 0x6474e551,
                   0x60000000, 0xffffffff],
        "p_flags": [0, 1, 2, 4, 5, 6, 7, 8, 0xfffffff8],
        "p_offset": [0, size, size - 1, size - filesz, size - filesz + 1,
                     size - 4, size - 12, off + 4, off - 4, off + 12,
                     m.phoff, off + 1],
        "p_filesz": [0, memsz + 1, memsz, size - off, size - off + 1,
                     filesz + 4, filesz - 4, filesz + 12, filesz - 12,
                     filesz - 1, filesz + 1, 12, 11],
        "p_memsz": [0, filesz - 1, filesz, top - cur,
                    top - m.phdr(i, "p_paddr"),
                    top - m.phdr(i, "p_paddr") + 1, memsz + 0x1000,
                    (1 << 32) - m.phdr(i, "p_paddr")],
        "p_vaddr": [0, cur + 1, cur + 0x1000, m.phdr(i, "p_paddr")],
        "p_paddr": paddrs + others + [p - 1 for p in others] +
                   [cur + 0x800, cur + 0x1000, cur - 0x1000, 0,
                    top - 0x1000, top - memsz, cur + 1],
        "p_align": [0, 1, 3, 0x200000],
    }[field]
    v = interesting(rng, cur, 8 * w, extra)
    put(m.d, base + pos, w, v)
    return "phdr %d (type %d) %s 0x%x -> 0x%x" % (
        i, m.phdr(i, "p_type") if field != "p_type" else cur, field, cur, v)


def pick_shdr(rng, m):
    weights = []
    for i in range(m.shnum):
        t = m.shdr(i, "sh_type")
        w = 1
        if t == SHT_NOTE:
            w = 3
        if i == m.guest:
            w = 5
        if i == m.shstrndx:
            w = 2
        weights.append(w)
    return rng.choices(range(m.shnum), weights)[0]


def op_shdr(rng, m):
    if not m.shnum:
        return op_phdr(rng, m)
    i = pick_shdr(rng, m)
    field = rng.choice(["sh_name", "sh_type", "sh_offset", "sh_offset",
                        "sh_size", "sh_size", "sh_size"])
    pos, w = m.sh[field]
    base = m.shdrs[i]
    cur = le(m.d, base + pos, w)
    size = len(m.d)
    off = m.shdr(i, "sh_offset")
    ssz = m.shdr(i, "sh_size")
    strsz = m.strtab[1] if m.strtab else 0
    extra = {
        "sh_name": [0, cur + 1, cur - 1, strsz, strsz - 1, strsz + 1,
                    0xffffffff] + [m.shdr(j, "sh_name")
                                   for j in range(m.shnum)],
        "sh_type": [0, SHT_PROGBITS, 2, 3, SHT_NOTE, SHT_NOBITS, 0x6fffffff],
        "sh_offset": [0, size, size - 1, size - ssz, size - ssz + 1, off + 1,
                      off + 4, off - 4, off + 12],
        "sh_size": [0, 1, ssz - 1, ssz + 1, ssz - 4, ssz + 4, ssz + 12,
                    ssz - 12, size - off, size - off + 1, 12, 11],
    }[field]
    v = interesting(rng, cur, 8 * w, extra)
    put(m.d, base + pos, w, v)
    return "shdr %d (%s) %s 0x%x -> 0x%x" % (i, m.names.get(i, "?"), field,
                                              cur, v)


def note_label(n):
    if n.is_xen():
        return NOTE_NAMES.get(n.type, "type %d" % n.type)
    return "%r type %d" % (n.name, n.type)


def pick_note(rng, m, xen_only=False):
    notes = [n for n in m.notes if n.is_xen() or not xen_only]
    if not notes:
        return None
    return rng.choice(notes)


def op_note_field(rng, m):
    n = pick_note(rng, m)
    if n is None:
        return op_phdr(rng, m)
    area = [a for a in m.areas if n in a.notes][0]
    field = rng.choice(["namesz", "descsz", "descsz", "type", "type", "name"])
    nameoff = n.pos + 12
    descoff = nameoff + ((n.namesz + 3) & ~3)
    size = len(m.d)
    if field == "name":
        new = rng.choice([b"XEN\0", b"Xe\0\0", b"Xenn", b"xen\0", b"GNU\0",
                          b"\0en\0", b"Xen\0"])
        m.d[nameoff:nameoff + 4] = new
        return "note %s at 0x%x name -> %r" % (note_label(n), n.pos, new)
    if field == "namesz":
        v = rng.choice([0, 1, 2, 3, 5, 6, 7, 8, 12, 0xffffffff, 0xfffffffd,
                        0xfffffffc, 0x80000000, area.end - nameoff,
                        area.end - nameoff + 1, size - nameoff + 1])
        put(m.d, n.pos, 4, v)
        return "note %s at 0x%x namesz %d -> 0x%x" % (note_label(n), n.pos,
                                                      n.namesz, v)
    if field == "descsz":
        v = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16,
                        n.descsz - 1, n.descsz + 1, n.descsz + 4,
                        n.descsz - 4, area.end - descoff,
                        area.end - descoff + 1, area.end - descoff + 4,
                        size - descoff, size - descoff + 1, 0xffffffff,
                        0xfffffffd, 0x7fffffff]) & 0xffffffff
        put(m.d, n.pos + 4, 4, v)
        return "note %s at 0x%x descsz %d -> 0x%x" % (note_label(n), n.pos,
                                                      n.descsz, v)
    v = rng.choice(list(range(0, 21)) + [30, 0x100, 0xffffffff, 0x80000001,
                                         n.type ^ (1 << rng.randrange(32))])
    put(m.d, n.pos + 8, 4, v)
    return "note %s at 0x%x type -> %d" % (note_label(n), n.pos, v)


def string_value(rng, ntype):
    pool = STRING_POOL.get(ntype, []) + STRING_GENERIC
    if rng.random() < 0.8 and ntype in STRING_POOL:
        pool = STRING_POOL[ntype]
    return rng.choice(pool).encode("latin-1")


def desc_for(rng, m, ntype, cur=None):
    """A description for a note of ntype, and its descsz override."""
    if ntype in STRING_NOTES or (ntype not in NOTE_NAMES and
                                 rng.random() < 0.5):
        s = string_value(rng, ntype)
        how = rng.choice(["nul", "nul", "nul", "nul", "nonul", "extra",
                          "short"])
        if how == "nul":
            return s + b"\0", None, repr(s)
        if how == "nonul":
            return s, None, "%r without NUL" % s
        if how == "extra":
            return s + b"\0" * rng.choice([1, 4, 9]), None, "%r + NULs" % s
        return s + b"\0", max(len(s) - rng.choice([1, 3]), 0), \
            "%r, descsz short" % s
    w = 8 if m.is64 else 4
    if ntype == NOTE_TYPE["SUPPORTED_FEATURES"]:
        v = rng.choice([0, 1, 0x8801, 0x4, 0x800, 0x10, 0xffffffff, 0x2])
        size = rng.choice([4, 4, 8, 1, 2, 3, 5, 6, 7, 12, 0])
    elif ntype == NOTE_TYPE["L1_MFN_VALID"]:
        v = rng.choice([1, 0, 0x100000001])
        size = rng.choice([w, 2 * w, 4, 8, 16, 3, 0, 17 * w])
        data = b"".join((rng.choice([1, 0, 0xff])).to_bytes(w, "little")
                        for _ in range(max(size // w, 1)))
        data = (data * 20)[:size]
        return data, None, "%d bytes" % size
    elif ntype in (NOTE_TYPE["MOD_START_PFN"], NOTE_TYPE["SUSPEND_CANCEL"]):
        v = rng.choice([0, 1, 2, 0xff, 0x100, 1 << 32])
        size = rng.choice([1, 2, 4, 8, 3, 0])
    else:
        v = rng.choice(m.addresses() + ([cur] if cur is not None else []) +
                       ([cur + 1, cur - 0x1000, cur + 0x1000] if cur else []))
        size = rng.choice([w, w, w, 4, 8, 1, 2, 3, 5, 16, 0])
    v &= (1 << 64) - 1
    data = (v.to_bytes(8, "little") + b"\0" * 8)[:size]
    return data, None, "0x%x in %d bytes" % (v, size)


def rewrite_area(rng, m, area, notes, why, move=False):
    """Replace an area's notes, in place when the size allows (unless
    move), else at the end of the file."""
    new = serialize_notes(notes)
    old = area.end - area.start
    if not move and (len(new) == old or
                     (len(new) < old and rng.random() < 0.2)):
        m.d[area.start:area.start + len(new)] = new
        m.d[area.start + len(new):area.end] = b"\0" * (old - len(new))
        return why + " (in place)"
    m.d += b"\0" * (-len(m.d) % 8)
    pos = len(m.d)
    m.d += new
    if area.phdr is not None:
        p = m.phdrs[area.phdr]
        for field, v in (("p_offset", pos), ("p_filesz", len(new)),
                         ("p_memsz", len(new))):
            put(m.d, p + m.ph[field][0], m.ph[field][1], v)
    if area.shdr is not None:
        s = m.shdrs[area.shdr]
        for field, v in (("sh_offset", pos), ("sh_size", len(new))):
            put(m.d, s + m.sh[field][0], m.sh[field][1], v)
    return why + " (notes moved to 0x%x)" % pos


def op_note_rewrite(rng, m):
    if not m.areas:
        return op_guest(rng, m) if m.guest is not None else op_phdr(rng, m)
    area = rng.choice([a for a in m.areas if a.notes] or m.areas)
    notes = [[n.name, n.type, n.desc, None] for n in area.notes]
    xen = [i for i, n in enumerate(notes) if n[0] == b"Xen\0"]
    action = rng.choice(["set", "set", "set", "set", "delete", "dup", "dup",
                         "add", "add", "swap", "owner", "owner"] * 2 +
                        ["decoy"])
    if not xen and action != "add":
        action = "add"
    if action == "decoy":
        return decoy(rng, m, area)
    if action in ("set", "dup"):
        i = rng.choice(xen)
        ntype = notes[i][1]
        cur = le(notes[i][2], 0, len(notes[i][2])) if ntype not in \
            STRING_NOTES and len(notes[i][2]) <= 8 else None
        desc, descsz, what = desc_for(rng, m, ntype, cur)
        new = [b"Xen\0", ntype, desc, descsz]
        if action == "set":
            notes[i] = new
            why = "note %s set to %s" % (NOTE_NAMES.get(ntype, ntype), what)
        else:
            if rng.random() < 0.3:
                new = list(notes[i])
                what = "the same value"
            notes.insert(rng.choice([i, i + 1, len(notes)]), new)
            why = "note %s given again: %s" % (NOTE_NAMES.get(ntype, ntype),
                                               what)
    elif action == "delete":
        i = rng.choice(xen)
        why = "note %s removed" % NOTE_NAMES.get(notes[i][1], notes[i][1])
        del notes[i]
    elif action == "add":
        ntype = rng.choice(list(range(0, 19)) + [19, 20, 30])
        desc, descsz, what = desc_for(rng, m, ntype)
        notes.insert(rng.randrange(len(notes) + 1),
                     [b"Xen\0", ntype, desc, descsz])
        why = "note %s added: %s" % (NOTE_NAMES.get(ntype, ntype), what)
    elif action == "swap":
        i = rng.choice(xen)
        j = rng.choice([k for k in range(len(notes)) if k != i] or [i])
        notes[i], notes[j] = notes[j], notes[i]
        why = "notes %d and %d swapped" % (i, j)
    else:
        i = rng.choice(xen)
        name = rng.choice([b"Xen", b"Xen\0\0", b"Xen\0\0\0\0", b"Xen\0x",
                           b"XEN\0", b"Xen\0\0\0\0\0\0\0\0\0"])
        notes[i][0] = name
        why = "note %s owner name %r" % (NOTE_NAMES.get(notes[i][1]), name)
    return rewrite_area(rng, m, area, notes, why)


def decoy(rng, m, area):
    """The area's Xen notes given unknown types; where a section holds the
    same notes, it is pointed at an intact copy."""
    what = "every Xen note of %s given an unknown type" % (
        "segment %s" % area.phdr if area.phdr is not None
        else "section %s" % area.shdr)
    if area.phdr is not None and area.shdr is not None:
        blob = bytes(m.d[area.start:area.end])
        m.d += b"\0" * (-len(m.d) % 8)
        pos = len(m.d)
        m.d += blob
        sh = m.shdrs[area.shdr]
        put(m.d, sh + m.sh["sh_offset"][0], m.sh["sh_offset"][1], pos)
        what += ", section %d pointed at an intact copy" % area.shdr
    t = rng.choice([19, 20, 30, 0x100])
    for n in area.notes:
        if n.is_xen():
            put(m.d, n.pos + 8, 4, t)
    return what


def op_note_segment(rng, m):
    """A PT_NOTE segment added after the program headers, its notes at the
    end of the file."""
    end = m.phoff + (m.phnum + 1) * m.phsize
    lowest = min([m.phdr(i, "p_offset") for i in range(m.phnum)
                  if m.phdr(i, "p_offset") >= m.phoff] + [len(m.d)])
    if m.phnum == 0 or end > lowest or \
            any(m.d[m.phoff + m.phnum * m.phsize:end]) or \
            (m.shnum and m.shoff < end and m.shoff + m.shnum * m.shsize >
             m.phoff):
        return op_note_rewrite(rng, m) if m.areas else op_phdr(rng, m)
    notes, what = [], []
    for _ in range(rng.choice([1, 1, 2, 3])):
        kind = rng.choice(["unknown", "unknown", "gnu", "xen", "xen"])
        if kind == "unknown":
            notes.append([b"Xen\0", rng.choice([19, 30]), b"\0" * 4, None])
            what.append("Xen type %d" % notes[-1][1])
        elif kind == "gnu":
            notes.append([b"GNU\0", 3, b"\x01" * 20, None])
            what.append("GNU build-id")
        else:
            ntype = rng.choice(sorted(NOTE_NAMES))
            desc, descsz, w = desc_for(rng, m, ntype)
            notes.append([b"Xen\0", ntype, desc, descsz])
            what.append("%s %s" % (NOTE_NAMES[ntype], w))
    blob = serialize_notes(notes)
    m.d += b"\0" * (-len(m.d) % 8)
    pos = len(m.d)
    m.d += blob
    ph = m.phoff + m.phnum * m.phsize
    vals = {"p_type": PT_NOTE, "p_offset": pos, "p_filesz": len(blob),
            "p_memsz": len(blob), "p_flags": 4, "p_align": 4}
    for f, v in vals.items():
        put(m.d, ph + m.ph[f][0], m.ph[f][1], v)
    put(m.d, m.eh["e_phnum"][0], 2, m.phnum + 1)
    return "PT_NOTE segment added with: " + ", ".join(what)


GUEST_KEYS = ["GUEST_OS", "GUEST_VER", "XEN_VER", "LOADER", "PAE", "VIRT_BASE",
              "ELF_PADDR_OFFSET", "VIRT_ENTRY", "HYPERCALL_PAGE", "FEATURES",
              "BSD_SYMTAB"]


def guest_value(rng, m, key, cur):
    if key == "XEN_VER":
        return rng.choice(["xen-3.0", "1.3", "xen-3.0x", "3.0", "", "xen-3",
                           "1.30", "xen-3.0,"])
    if key == "GUEST_OS":
        return rng.choice(["linux", "Linux", "", "netbsd", "linuxx"])
    if key == "LOADER":
        return rng.choice(["generic", "", "genericx", "linux"])
    if key == "GUEST_VER":
        return rng.choice(["2.6", "", "x" * 130])
    if key == "PAE":
        return rng.choice(["yes", "yes[extended-cr3]", "no", "bimodal",
                           "yesno", "YES", "", "yes[extended-cr3]x",
                           "[extended-cr3]"])
    if key == "FEATURES":
        return rng.choice(STRING_POOL[10]).replace(",", "")
    if key == "BSD_SYMTAB":
        return rng.choice(["yes", "no", ""])
    if key == "HYPERCALL_PAGE":
        v = rng.choice([1, 0, 2, 8, 0x105, 0x106, 0x107, 0xfffff,
                        (m.kend - m.virt_base) >> 12, 10, 0x100000])
        return fmt_num(rng, v)
    try:
        c = int(cur, 0) if cur else 0
    except ValueError:
        c = 0
    v = rng.choice(m.addresses() + [c, c + 1, c - 0x1000, 0xc0000000,
                                    0xc0001000])
    return fmt_num(rng, v)


def op_guest(rng, m):
    if m.guest is None:
        return op_note_rewrite(rng, m) if m.areas else op_phdr(rng, m)
    s = m.guest_string()
    items = [kv.partition("=") for kv in s.split(",")]
    items = [[k, v if sep else None] for k, sep, v in items]
    action = rng.choice(["set", "set", "set", "set", "delete", "dup", "dup",
                         "nokey", "longkey", "longval", "sep", "raw", "raw",
                         "unterminated", "truncate", "smuggle"])
    keys = [k for k, _ in items]
    if action == "set":
        key = rng.choice(GUEST_KEYS)
        old = dict((k, v) for k, v in items).get(key)
        val = guest_value(rng, m, key, old)
        if key in keys:
            items[keys.index(key)][1] = val
        else:
            items.insert(rng.randrange(len(items) + 1), [key, val])
        why = "%s=%s" % (key, val)
    elif action == "delete":
        i = rng.randrange(len(items))
        why = "%s removed" % items[i][0]
        del items[i]
    elif action == "dup":
        key = rng.choice(GUEST_KEYS)
        val = guest_value(rng, m, key, None)
        items.insert(rng.choice([0, len(items)]), [key, val])
        why = "%s=%s added again" % (key, val)
    elif action == "nokey":
        key = rng.choice(GUEST_KEYS)
        if key in keys:
            items[keys.index(key)][1] = None
        else:
            items.append([key, None])
        why = "%s without a value" % key
    elif action == "longkey":
        items.insert(0, ["K" * rng.choice([31, 32, 40]) +
                     rng.choice(["", "XEN_VER"]), "xen-3.0"])
        why = "long key %s" % items[0][0]
    elif action == "longval":
        key = rng.choice(["GUEST_VER", "XEN_VER", "PAE", "LOADER"])
        val = rng.choice(["xen-3.0", "yes", "generic", "x"]) + \
            "y" * rng.choice([120, 127, 128, 200])
        if key in keys:
            items[keys.index(key)][1] = val
        else:
            items.append([key, val])
        why = "long value for %s" % key
    elif action == "smuggle":
        # Xen reads a key of at most 31 and a value of at most 127 bytes
        # and takes what follows as the next key.
        key = rng.choice(["XEN_VER", "PAE", "FEATURES", "VIRT_BASE",
                          "HYPERCALL_PAGE", "BSD_SYMTAB", "GUEST_OS",
                          "LOADER", "ELF_PADDR_OFFSET", "VIRT_ENTRY"])
        val = guest_value(rng, m, key, None)
        lead = rng.choice(["GUEST_VER=" + "v" * 127, "K" * 31])
        items.insert(rng.choice([0, len(items)]), [lead + key, val])
        why = "%s... hides %s=%s" % (lead[:12], key, val)
    elif action == "sep":
        sep = rng.choice([",,", ", ", " ,", ",=", "="])
        text = sep.join(k if v is None else k + "=" + v for k, v in items)
        return write_guest(rng, m, text, "separators %r" % sep)
    elif action == "raw":
        text = bytearray(s.encode("latin-1"))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text))
            text[i] = rng.choice([ord(","), ord("="), ord("0"), ord("x"),
                                  text[i] ^ 0x20, 0x01, 0xff])
        return write_guest(rng, m, text.decode("latin-1"),
                           "bytes edited: %r" % text.decode("latin-1"))
    elif action == "unterminated":
        o = m.shdr(m.guest, "sh_offset")
        sz = m.shdr(m.guest, "sh_size")
        end = m.d.find(b"\0", o)
        fill = rng.choice([b",", b"x", b" "])
        for p in range(end, o + sz):
            m.d[p] = fill[0]
        return "__xen_guest: NUL and padding replaced by %r to the " \
            "section's end" % fill
    else:
        cut = rng.randrange(len(s))
        return write_guest(rng, m, s[:cut], "cut to %r" % s[:cut])
    text = ",".join(k if v is None else k + "=" + v for k, v in items)
    return write_guest(rng, m, text, why)


def write_guest(rng, m, text, why):
    raw = text.encode("latin-1") + b"\0"
    o = m.shdr(m.guest, "sh_offset")
    sz = m.shdr(m.guest, "sh_size")
    if len(raw) <= sz:
        m.d[o:o + sz] = raw + b"\0" * (sz - len(raw))
        return "__xen_guest: " + why
    m.d += b"\0" * (-len(m.d) % 4)
    pos = len(m.d)
    m.d += raw
    s = m.shdrs[m.guest]
    put(m.d, s + m.sh["sh_offset"][0], m.sh["sh_offset"][1], pos)
    put(m.d, s + m.sh["sh_size"][0], m.sh["sh_size"][1], len(raw))
    return "__xen_guest: %s (moved to 0x%x)" % (why, pos)


def regions(m):
    r = [("ehdr", 0, m.ehsize)]
    if m.phnum:
        r.append(("phdrs", m.phoff, m.phoff + m.phnum * m.phsize))
    if m.shnum:
        r.append(("shdrs", m.shoff, m.shoff + m.shnum * m.shsize))
    for a in m.areas:
        r += [("notes", a.start, a.end)] * 3
    if m.guest is not None:
        o = m.shdr(m.guest, "sh_offset")
        r += [("__xen_guest", o, o + m.shdr(m.guest, "sh_size"))] * 3
    if m.strtab:
        r.append(("shstrtab", m.strtab[0], m.strtab[0] + m.strtab[1]))
    return [x for x in r if x[2] > x[1]]


def op_flip(rng, m):
    name, lo, hi = rng.choice(regions(m))
    hi = min(hi, len(m.d))
    if lo >= hi:
        name, lo, hi = "ehdr", 0, min(m.ehsize, len(m.d))
    done = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        pos = rng.randrange(lo, hi)
        bit = rng.randrange(8)
        m.d[pos] ^= 1 << bit
        done.append("0x%x.%d" % (pos, bit))
    return "flip in %s at %s" % (name, " ".join(done))


def op_truncate(rng, m):
    size = len(m.d)
    cands = [0, 1, 4, 16, m.ehsize - 1, m.ehsize, size - 1, size - 4,
             rng.randrange(size)]
    if m.phnum:
        cands += [m.phoff + m.phsize // 2, m.phoff + m.phnum * m.phsize - 1]
        for i in m.loads:
            o, f = m.phdr(i, "p_offset"), m.phdr(i, "p_filesz")
            cands += [o, o + 1, o + f - 1, o + f // 2]
    if m.shnum:
        cands += [m.shoff, m.shoff + m.shnum * m.shsize - 1]
    for a in m.areas:
        cands += [a.start + 6, a.end - 1, a.end - 4]
        for n in a.notes:
            cands += [n.pos + rng.randrange(1, 13), n.pos + 12 + 2,
                      n.pos + 16 + max(n.descsz - 1, 0)]
    if m.guest is not None:
        o = m.shdr(m.guest, "sh_offset")
        cands += [o + 5, o + m.shdr(m.guest, "sh_size") - 1]
    cut = rng.choice([c for c in cands if 0 <= c < size] or [size // 2])
    del m.d[cut:]
    return "truncated to %d bytes (of %d)" % (cut, size)


ELF_OPS = [(op_ehdr, 10), (op_phdr, 16), (op_shdr, 6), (op_note_field, 14),
           (op_note_rewrite, 18), (op_guest, 6), (op_flip, 12),
           (op_truncate, 6), (op_note_segment, 2)]


def mutate_elf(rng, data, ops=ELF_OPS, combo=True):
    m = Elf(data)
    fns, weights = zip(*ops)
    if m.guest is not None:
        weights = [w * 5 if f is op_guest else
                   w * 3 if f is op_note_segment else w for f, w in ops]
    first = rng.choices(fns, weights)[0]
    what = [first(rng, m)]
    if combo and first is not op_truncate and rng.random() < 0.12:
        safe = [(f, w) for f, w in ops if f is not op_truncate]
        f2, w2 = zip(*safe)
        what.append(rng.choices(f2, w2)[0](rng, m))
    return bytes(m.d), "; ".join(what)


# ---------------------------------------------------------------------------
# Containers

def compress(kind, data):
    """Compress as Linux does for a bzImage payload (with the 4-byte size
    trailer for all but gzip), or as the command-line tools do whole."""
    if kind == "gzip":
        return gzip.compress(data, 9, mtime=0)
    trailer = struct.pack("<I", len(data) & 0xffffffff)
    if kind == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ,
                             check=lzma.CHECK_CRC32,
                             filters=[{"id": lzma.FILTER_X86},
                                      {"id": lzma.FILTER_LZMA2,
                                       "preset": 6}]) + trailer
    if kind == "lzma":
        return lzma.compress(data, format=lzma.FORMAT_ALONE) + trailer
    if kind == "bzip2":
        return bz2.compress(data, 9) + trailer
    if kind == "none":
        return data
    args = {"zstd": ["zstd", "-19", "-q", "-c"], "lz4": ["lz4", "-l", "-9",
                                                         "-q", "-c"],
            "lz4frame": ["lz4", "-9", "-q", "-c"]}[kind]
    r = subprocess.run(args, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, check=True)
    return r.stdout + trailer


def whole(kind, data):
    """A file compressed whole, as xz(1), bzip2(1) and zstd(1) write it."""
    if kind == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    if kind == "lzma":
        return lzma.compress(data, format=lzma.FORMAT_ALONE)
    if kind == "bzip2":
        return bz2.compress(data, 9)
    if kind == "gzip":
        return gzip.compress(data, 9, mtime=0)
    return subprocess.run(["zstd", "-19", "-q", "-c"], input=data,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          check=True).stdout


def decompress_payload(kind, payload):
    if kind == "gzip":
        return gzip.decompress(payload)
    if kind in ("xz", "lzma"):
        return lzma.decompress(payload[:-4])
    if kind == "bzip2":
        return bz2.decompress(payload[:-4])
    if kind == "none":
        return payload
    return None


# Linux boot protocol (Documentation/arch/x86/boot.rst)
SETUP_SECTS, BOOT_FLAG, HDRS, VERSION = 0x1F1, 0x1FE, 0x202, 0x206
PAYLOAD_OFFSET, PAYLOAD_LENGTH = 0x248, 0x24C


def make_bzimage(payload, sects=3, stub=0x180, tail=0x40):
    setup = bytearray((sects + 1) * 512)
    setup[SETUP_SECTS] = sects
    put(setup, BOOT_FLAG, 2, 0xAA55)
    put(setup, 0x200, 2, 0x66EB)
    setup[HDRS:HDRS + 4] = b"HdrS"
    put(setup, VERSION, 2, 0x020F)
    put(setup, PAYLOAD_OFFSET, 4, stub)
    put(setup, PAYLOAD_LENGTH, 4, len(payload))
    return bytes(setup) + b"\xcc" * stub + payload + b"\xcc" * tail


def bz_payload(d):
    sects = d[SETUP_SECTS] or 4
    start = (sects + 1) * 512 + le(d, PAYLOAD_OFFSET, 4)
    return start, le(d, PAYLOAD_LENGTH, 4)


def payload_kind(p):
    for kind, magic in (("gzip", b"\x1f\x8b"), ("xz", b"\xfd7zXZ\0"),
                        ("lzma", b"\x5d\0\0"), ("bzip2", b"BZh"),
                        ("zstd", b"\x28\xb5\x2f\xfd"),
                        ("lz4", b"\x02\x21\x4c\x18"),
                        ("lz4frame", b"\x04\x22\x4d\x18"),
                        ("lzo", b"\x89LZO"), ("none", b"\x7fELF")):
        if p.startswith(magic):
            return kind
    return "unknown"


MAGICS = [b"\x1f\x8b", b"\xfd7zXZ\0", b"\x5d\0\0", b"\x5d\0\x10", b"BZh9",
          b"\x28\xb5\x2f\xfd", b"\x02\x21\x4c\x18", b"\x04\x22\x4d\x18",
          b"\x89LZO\0", b"\x7fELF", b"\0\0\0\0"]


def mutate_bzimage(rng, data, inner_ok=True, payload_flips_only=False):
    d = bytearray(data)
    start, plen = bz_payload(d)
    kind = payload_kind(bytes(d[start:start + 8]))
    if inner_ok and kind in ("gzip", "xz", "lzma", "bzip2", "none", "zstd",
                             "lz4", "lz4frame") and rng.random() < 0.45:
        inner = decompress_inner(kind, bytes(d[start:start + plen]))
        if inner is not None and inner[:4] == b"\x7fELF":
            new, what = mutate_elf(rng, inner)
            p = compress(kind, new)
            put(d, PAYLOAD_LENGTH, 4, len(p))
            d[start:start + plen] = p
            return bytes(d), "payload (%s) ELF: %s" % (kind, what)
    choice = rng.choice(["setup_sects", "version", "hdrs", "boot_flag",
                         "payload_offset", "payload_offset",
                         "payload_length", "payload_length", "magic",
                         "trailer", "trailer", "flip", "flip", "truncate",
                         "truncate", "append"])
    if payload_flips_only:
        choice = rng.choice(["flip", "flip", "flip", "setup_sects", "version",
                             "payload_offset", "payload_length", "trailer",
                             "truncate", "magic"])
    size = len(d)
    if choice == "setup_sects":
        cur = d[SETUP_SECTS]
        v = rng.choice([0, 1, cur - 1, cur + 1, 4, 255, rng.randrange(256)])
        d[SETUP_SECTS] = v & 0xff
        return bytes(d), "bzImage setup_sects %d -> %d" % (cur, v & 0xff)
    if choice == "version":
        v = rng.choice([0x0200, 0x0207, 0x0208, 0x0209, 0x020f, 0xffff,
                        0x0300])
        put(d, VERSION, 2, v)
        return bytes(d), "bzImage version -> 0x%04x" % v
    if choice == "hdrs":
        i = rng.randrange(4)
        d[HDRS + i] ^= 1 << rng.randrange(8)
        return bytes(d), "bzImage HdrS byte %d flipped" % i
    if choice == "boot_flag":
        put(d, BOOT_FLAG, 2, 0)
        return bytes(d), "bzImage boot_flag 0"
    if choice == "payload_offset":
        cur = le(d, PAYLOAD_OFFSET, 4)
        v = rng.choice([cur + 1, cur - 1, cur + 512, cur - 512, 0,
                        cur + plen, 0xffffffff, size, size - start + cur,
                        size - start + cur - 1])
        put(d, PAYLOAD_OFFSET, 4, v)
        return bytes(d), "bzImage payload_offset 0x%x -> 0x%x" % (
            cur, v & 0xffffffff)
    if choice == "payload_length":
        v = rng.choice([plen + 1, plen - 1, plen - 4, plen + 4, 0, 1, 4, 5,
                        8, 9, size - start, size - start + 1, 0xffffffff,
                        plen // 2])
        put(d, PAYLOAD_LENGTH, 4, v)
        return bytes(d), "bzImage payload_length 0x%x -> 0x%x" % (
            plen, v & 0xffffffff)
    if choice == "magic":
        if rng.random() < 0.5:
            i = start + rng.randrange(6)
            d[i] ^= 1 << rng.randrange(8)
            return bytes(d), "payload magic byte 0x%x flipped" % i
        mg = rng.choice(MAGICS)
        d[start:start + len(mg)] = mg
        return bytes(d), "payload magic -> %r" % mg
    if choice == "trailer":
        pos = start + plen - 4
        cur = le(d, pos, 4)
        v = rng.choice([cur + 1, cur - 1, 0, cur * 2, 0xffffffff,
                        cur + 16, cur - 16, (1 << 30) + 1, cur + 0x1000])
        put(d, pos, 4, v)
        return bytes(d), "payload size trailer %d -> %d" % (cur,
                                                          v & 0xffffffff)
    if choice == "flip":
        done = []
        for _ in range(rng.choice([1, 1, 2, 3])):
            pos = start + rng.randrange(max(plen, 1))
            d[pos] ^= 1 << rng.randrange(8)
            done.append("0x%x" % pos)
        return bytes(d), "payload bit flip at %s" % " ".join(done)
    if choice == "truncate":
        cut = rng.choice([0x1f1, 0x206, 0x24a, 0x250, start - 1, start,
                          start + 3, start + plen // 2, start + plen - 1,
                          start + plen - 4, start + plen + 1, size - 1])
        del d[cut:]
        return bytes(d), "truncated to %d bytes (of %d)" % (cut, size)
    junk = rng.choice([b"\0" * 16, b"junk" * 8])
    d[start + plen:start + plen] = junk
    return bytes(d), "%d bytes inserted after the payload" % len(junk)


def decompress_inner(kind, payload):
    try:
        if kind in ("zstd", "lz4", "lz4frame"):
            tool = ["zstd", "-d", "-q", "-c"] if kind == "zstd" else \
                ["lz4", "-d", "-q", "-c"]
            r = subprocess.run(tool, input=payload[:-4],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, check=True)
            return r.stdout
        return decompress_payload(kind, payload)
    except (OSError, subprocess.CalledProcessError, lzma.LZMAError,
            EOFError, ValueError):
        return None


def mutate_gzip(rng, data):
    if rng.random() < 0.6:
        new, what = mutate_elf(rng, gzip.decompress(data))
        return gzip.compress(new, 9, mtime=0), "inside gzip: " + what
    d = bytearray(data)
    size = len(d)
    choice = rng.choice(["header", "isize", "isize", "crc", "body",
                         "truncate", "append", "append"])
    if choice == "header":
        i = rng.randrange(10)
        d[i] ^= 1 << rng.randrange(8)
        return bytes(d), "gzip header byte %d flipped" % i
    if choice == "isize":
        cur = le(d, size - 4, 4)
        v = rng.choice([cur + 1, cur - 1, 0, cur * 2, 0xffffffff, cur + 16,
                        cur - 16, (1 << 30) + 1, cur + 0x10000])
        put(d, size - 4, 4, v)
        return bytes(d), "gzip ISIZE %d -> %d" % (cur, v & 0xffffffff)
    if choice == "crc":
        i = size - 8 + rng.randrange(4)
        d[i] ^= 1 << rng.randrange(8)
        return bytes(d), "gzip CRC32 byte flipped"
    if choice == "body":
        pos = rng.randrange(10, size - 8)
        d[pos] ^= 1 << rng.randrange(8)
        return bytes(d), "deflate bit flip at 0x%x" % pos
    if choice == "truncate":
        cut = rng.choice([1, 2, 6, 10, size // 2, size - 8, size - 4,
                          size - 1])
        del d[cut:]
        return bytes(d), "gzip truncated to %d bytes (of %d)" % (cut, size)
    junk = rng.choice([b"\0" * 8, b"junk", gzip.compress(b"x", mtime=0),
                       b"\0\0\0\0" + d[-4:]])
    d += junk
    return bytes(d), "%d bytes appended after the gzip member" % len(junk)


def mutate_whole(rng, data, kind):
    if rng.random() < 0.5:
        inner = {"xz": lzma.decompress, "lzma": lzma.decompress,
                 "bzip2": bz2.decompress}.get(kind)
        if inner is not None:
            new, what = mutate_elf(rng, inner(data))
            return whole(kind, new), "inside %s: %s" % (kind, what)
    d = bytearray(data)
    pos = rng.randrange(len(d))
    if rng.random() < 0.5:
        d[pos] ^= 1 << rng.randrange(8)
        return bytes(d), "%s bit flip at 0x%x" % (kind, pos)
    del d[pos:]
    return bytes(d), "%s truncated to %d bytes" % (kind, pos)


# ---------------------------------------------------------------------------
# Seeds

XEN3 = ["x64-basic", "x64-nop2m", "pae-basic", "pae-bimodal",
        "notes-legacy-pae", "notes-sections"]
BZ_KINDS = ["gzip", "xz", "lzma", "bzip2", "zstd", "lz4", "lz4frame", "none"]


class Seed:
    def __init__(self, name, data, kind, weight):
        self.name, self.data, self.kind, self.weight = name, data, kind, weight


def read(path):
    with open(path, "rb") as f:
        return f.read()


def have(tool):
    return shutil.which(tool) is not None


def real_images(top):
    try:
        r = subprocess.run([os.path.join(top, "tests", "realimages.sh"),
                            "print"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=False, text=True)
    except OSError:
        return {}
    if r.returncode != 0:
        return {}
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and os.path.isfile(parts[1]):
            out[parts[0]] = parts[1]
    return out


def load_seeds(top, use_real):
    g = os.path.join(top, "build", "guests")
    seeds = []
    for name in XEN3:
        seeds.append(Seed(name + ".elf", read(os.path.join(g, name + ".elf")),
                          "elf", 7.5))
        seeds.append(Seed(name + ".elf.gz",
                          read(os.path.join(g, name + ".elf.gz")), "gz", 1.7))
    seeds.append(Seed("basic.elf", read(os.path.join(g, "basic.elf")),
                      "elf", 2))
    comp = os.path.join(top, "build", "compressed")
    for f in sorted(os.listdir(comp)):
        if f.startswith("bzimage-"):
            seeds.append(Seed(f, read(os.path.join(comp, f)), "bzimage", 0.6))
    x64 = read(os.path.join(g, "x64-basic.elf"))
    pae = read(os.path.join(g, "pae-basic.elf"))
    for kind in BZ_KINDS:
        if kind in ("zstd", "lz4", "lz4frame") and \
                not have("zstd" if kind == "zstd" else "lz4"):
            continue
        seeds.append(Seed("x64-basic.bzimage-" + kind,
                          make_bzimage(compress(kind, x64)), "bzimage", 1.5))
    for kind in ("gzip", "xz"):
        seeds.append(Seed("pae-basic.bzimage-" + kind,
                          make_bzimage(compress(kind, pae)), "bzimage", 1.5))
    seeds.append(Seed("x64-basic.bzimage-sects0-gzip",
                      sects0(make_bzimage(compress("gzip", x64), sects=4)),
                      "bzimage", 0.5))
    for kind in ("xz", "lzma", "bzip2") + (("zstd",) if have("zstd") else ()):
        seeds.append(Seed("x64-basic.elf." + kind, whole(kind, x64),
                          "whole-" + kind, 0.5))
    real = real_images(top) if use_real else {}
    for name in ("grub64", "grub32"):
        if name in real:
            seeds.append(Seed(name, read(real[name]), "elf", 8))
    return seeds, real


def sects0(image):
    d = bytearray(image)
    d[SETUP_SECTS] = 0
    return bytes(d)


def linux_seeds(real):
    """Debian's bzImage and the ELF inside it, or (None, None)."""
    if "linux" not in real:
        return None, None
    data = read(real["linux"])
    start, plen = bz_payload(data)
    kind = payload_kind(data[start:start + 8])
    inner = decompress_inner(kind, data[start:start + plen])
    return data, inner


# ---------------------------------------------------------------------------
# Targeted cases for the tests (--case)

def find_note(m, label):
    for a in m.areas:
        for n in a.notes:
            if n.is_xen() and NOTE_NAMES.get(n.type) == label:
                return a, n
    raise ValueError("no %s note" % label)


def set_field(m, table, base, field, value):
    pos, size = table[field]
    put(m.d, base + pos, size, value)


def with_desc(m, ntype, desc, what):
    """with_notes, the descriptor of every Xen note of type NTYPE made DESC
    (bytes, or a function of the old descriptor)."""
    def edit(notes):
        for n in notes:
            if n[1] == ntype:
                n[2] = desc(n[2]) if callable(desc) else desc
    return with_notes(m, edit, what)


def with_notes(m, edit, why, move=False):
    """Rewrite the first note area after edit(list of [name, type, desc,
    descsz]) has changed its notes."""
    a = m.areas[0]
    notes = [[n.name, n.type, n.desc, None] for n in a.notes]
    edit(notes)
    return rewrite_area(random.Random(0), m, a, notes, why, move)


def c_note_header_past_area(m):
    a = m.areas[0]
    set_field(m, m.ph, m.phdrs[a.phdr], "p_filesz",
              a.notes[-1].pos + 6 - a.start)
    return "PT_NOTE p_filesz ends 6 bytes into the last note's header"


def c_note_name_past_area(m):
    a = m.areas[0]
    set_field(m, m.ph, m.phdrs[a.phdr], "p_filesz",
              a.notes[-1].pos + 14 - a.start)
    return "PT_NOTE p_filesz ends 2 bytes into the last note's name"


def c_note_desc_past_area(m):
    a = m.areas[0]
    set_field(m, m.ph, m.phdrs[a.phdr], "p_filesz", a.end - 4 - a.start)
    return "PT_NOTE p_filesz ends 4 bytes into the last note's (%s) " \
        "description" % note_label(a.notes[-1])


def c_numeric_note_size(m):
    _, n = find_note(m, "SUSPEND_CANCEL")
    put(m.d, n.pos + 4, 4, 3)
    return "SUSPEND_CANCEL descsz 3"


def c_note_given_twice(m):
    def edit(notes):
        i = [k for k, n in enumerate(notes) if n[1] == 7][0]
        notes.insert(i + 1, [b"Xen\0", 7, b"2.4\0", None])
    return with_notes(m, edit, "GUEST_VERSION given twice (2.6, then 2.4)")


def c_note_string_unprintable(m):
    _, n = find_note(m, "GUEST_VERSION")
    m.d[n.pos + 16] = 0x01
    return "GUEST_VERSION's first byte 0x01"


def c_note_string_too_long(m):
    return with_desc(m, 7, b"2" * 1100 + b"\0",
                     "GUEST_VERSION of 1100 bytes")


def c_note_string_past_file(m):
    def edit(notes):
        ver = [n for n in notes if n[1] == 7][0]
        notes.remove(ver)
        notes.append([b"Xen\0", 7, b"2.64", None])
    return with_notes(m, edit, "GUEST_VERSION last, its 4 bytes \"2.64\" "
                      "without a NUL ending the file", move=True)


def c_too_many_notes(m):
    def edit(notes):
        notes += [[b"Pad\0", 1, b"", None]] * 2100
    return with_notes(m, edit, "2100 empty non-Xen notes after the Xen notes")


def c_note_area_past_file(m):
    a = m.areas[0]
    set_field(m, m.ph, m.phdrs[a.phdr], "p_offset", 0x7fffffff)
    return "PT_NOTE p_offset 0x7fffffff (the notes are also in a section)"


def a_owner_namesz(m):
    def edit(notes):
        for n in notes:
            if n[1] == 6:
                n[0] = b"Xen\0\0"
    return with_notes(m, edit, "GUEST_OS note named \"Xen\\0\\0\" "
                      "(namesz 5)")


def a_unknown_type_xen_notes(m):
    def edit(notes):
        for i, n in enumerate(notes):
            n[1] = 100 + i
    return with_notes(m, edit, "every Xen note of the segment retyped "
                      "100 and up (the sections hold the same bytes)")


def a_pae_note_not_exactly_yes(m):
    return with_desc(m, 9, b"yes[extended-cr3]\0",
                     "PAE_MODE note \"yes[extended-cr3]\"")


def a_guest_info_pae_bimodal(m):
    s = m.guest_string().replace("PAE=yes[extended-cr3]", "PAE=bimodal")
    return write_guest(random.Random(0), m, s, "PAE=bimodal")


def a_empty_load(m):
    set_field(m, m.ph, m.phdrs[1], "p_filesz", 0)
    set_field(m, m.ph, m.phdrs[1], "p_memsz", 0)
    return "the data PT_LOAD's p_filesz and p_memsz 0"


def c_supported_features_size(m):
    return with_desc(m, 17, lambda d: d[:4] + b"\0\0",
                     "SUPPORTED_FEATURES descsz 6")


def c_guest_info_octal(m):
    s = m.guest_string().replace("VIRT_BASE=0xC0000000",
                                 "VIRT_BASE=030000000000")
    return write_guest(random.Random(0), m, s, "VIRT_BASE=030000000000")


def c_guest_info_long_value(m):
    s = m.guest_string() + ",GUEST_VER=" + "7" * 128
    return write_guest(random.Random(0), m, s, "GUEST_VER of 128 bytes")


def c_guest_info_twice(m):
    s = m.guest_string() + ",LOADER=generic-2"
    return write_guest(random.Random(0), m, s, "LOADER given twice")


def c_guest_info_not_ascii(m):
    s = m.guest_string() + ",GUEST_VER=2.6\xe9"
    return write_guest(random.Random(0), m, s, "GUEST_VER=2.6\\xe9")


def c_bsd_symtab(m):
    return with_notes(m, lambda notes: notes.append(
        [b"Xen\0", 11, b"yes\0", None]), "BSD_SYMTAB \"yes\" added")


def c_impossible_feature(m):
    return with_desc(m, 10, b"!writable_page_tables|!auto_translated_physmap\0",
                     "FEATURES requires auto_translated_physmap")


def c_feature_name_too_long(m):
    return with_desc(m, 10, b"!writable_page_tables|" + b"x" * 70 + b"\0",
                     "FEATURES with an unknown 70-byte name")


def c_segment_past_file(m):
    p = m.phdrs[m.loads[0]]
    set_field(m, m.ph, p, "p_filesz", len(m.d))
    set_field(m, m.ph, p, "p_memsz", len(m.d))
    return "first PT_LOAD filesz and memsz = the file's size"


def c_filesz_over_memsz(m):
    i = m.loads[1]
    set_field(m, m.ph, m.phdrs[i], "p_memsz", m.phdr(i, "p_filesz") - 1)
    return "second PT_LOAD memsz = filesz - 1"


def c_segment_wraps(m):
    set_field(m, m.ph, m.phdrs[m.loads[1]], "p_memsz", 0x40000000)
    return "PAE guest's second PT_LOAD memsz 1 GiB: it ends past 4 GiB"


def c_segments_overlap(m):
    i = m.loads[1]
    set_field(m, m.ph, m.phdrs[i], "p_paddr", m.phdr(i, "p_paddr") - 0x1000)
    return "second PT_LOAD p_paddr one page lower, into the first"


def c_kernel_start_unaligned(m):
    for i in m.loads:
        set_field(m, m.ph, m.phdrs[i], "p_paddr",
                  m.phdr(i, "p_paddr") + 0x800)
    return "every PT_LOAD p_paddr + 0x800"


def c_entry_outside_kernel(m):
    _, n = find_note(m, "ENTRY")
    put(m.d, n.pos + 16, n.descsz, m.kend)
    return "ENTRY = the kernel's end 0x%x" % m.kend


def c_hypercall_page_outside(m):
    _, n = find_note(m, "HYPERCALL_PAGE")
    put(m.d, n.pos + 16, n.descsz, m.kend + 0x1000)
    return "HYPERCALL_PAGE a page past the kernel's end"


def c_machine_contradicts_class(m):
    put(m.d, m.eh["e_machine"][0], 2, 62)
    return "ELF32 PAE guest with e_machine EM_X86_64"


def c_elf_class(m):
    m.d[4] = 3
    return "ELF32 guest with EI_CLASS 3"


def c_libelf(m):
    m.d[6] = 0
    return "EI_VERSION 0"


def c_phentsize(m):
    stride = m.phsize + 8
    table = bytearray()
    for i in range(m.phnum):
        table += m.d[m.phdrs[i]:m.phdrs[i] + m.phsize] + b"\0" * 8
    m.d += b"\0" * (-len(m.d) % 8)
    pos = len(m.d)
    m.d += table
    put(m.d, m.eh["e_phoff"][0], m.eh["e_phoff"][1], pos)
    put(m.d, m.eh["e_phentsize"][0], 2, stride)
    return "e_phentsize %d, the table rewritten with that stride" % stride


def c_shentsize(m):
    put(m.d, m.eh["e_shentsize"][0], 2, m.shsize - 16)
    return "e_shentsize %d (the notes are in a segment)" % (m.shsize - 16)


def c_section_headers(m):
    put(m.d, m.eh["e_shstrndx"][0], 2, 0)
    return "e_shstrndx 0 in an image whose notes are in a section"


def c_header_table_past_file(m):
    put(m.d, m.eh["e_shoff"][0], m.eh["e_shoff"][1], m.shoff + 8)
    return "e_shoff + 8: the section headers end 8 bytes past the ELF " \
        "(gzip'd)"


def c_trailing_data(m):
    return "gzip'd, then 4 zero bytes and the ISIZE again appended"


def c_guest_info_number(m):
    s = m.guest_string().replace("VIRT_BASE=0xC0000000",
                                 "VIRT_BASE=0xC0000000UL")
    return write_guest(random.Random(0), m, s, "VIRT_BASE=0xC0000000UL")


def c_guest_info_unterminated(m):
    o = m.shdr(m.guest, "sh_offset")
    sz = m.shdr(m.guest, "sh_size")
    end = m.d.find(b"\0", o)
    put(m.d, m.shdrs[m.guest] + m.sh["sh_size"][0], m.sh["sh_size"][1],
        end - o)
    return "__xen_guest sh_size %d -> %d: its NUL lies just past it" % (
        sz, end - o)


def gzip_trailing(data):
    z = gzip.compress(data, 9, mtime=0)
    return z + b"\0\0\0\0" + z[-4:]


# NAME -> (seed in build/guests, edit, wrap)
CASES = {
    "note-header-past-area": ("x64-basic.elf", c_note_header_past_area, None),
    "note-name-past-area": ("x64-basic.elf", c_note_name_past_area, None),
    "note-desc-past-area": ("x64-basic.elf", c_note_desc_past_area, None),
    "note-string-past-file": ("x64-basic.elf", c_note_string_past_file,
                              None),
    "note-string-unprintable": ("x64-basic.elf", c_note_string_unprintable,
                                None),
    "note-string-too-long": ("x64-basic.elf", c_note_string_too_long, None),
    "numeric-note-size": ("x64-nop2m.elf", c_numeric_note_size, None),
    "note-given-twice": ("x64-basic.elf", c_note_given_twice, None),
    "too-many-notes": ("x64-basic.elf", c_too_many_notes, None),
    "note-area-past-file": ("pae-bimodal.elf", c_note_area_past_file, None),
    "bsd-symtab": ("x64-basic.elf", c_bsd_symtab, None),
    "impossible-feature": ("x64-basic.elf", c_impossible_feature, None),
    "feature-name-too-long": ("x64-basic.elf", c_feature_name_too_long,
                              None),
    "segment-past-file": ("x64-basic.elf", c_segment_past_file, None),
    "filesz-over-memsz": ("x64-basic.elf", c_filesz_over_memsz, None),
    "segment-wraps": ("pae-basic.elf", c_segment_wraps, None),
    "segments-overlap": ("x64-basic.elf", c_segments_overlap, None),
    "kernel-start-unaligned": ("x64-basic.elf", c_kernel_start_unaligned,
                               None),
    "entry-outside-kernel": ("x64-basic.elf", c_entry_outside_kernel, None),
    "hypercall-page-outside": ("x64-basic.elf", c_hypercall_page_outside,
                               None),
    "machine-contradicts-class": ("pae-basic.elf",
                                  c_machine_contradicts_class, None),
    "elf-class-or-data": ("pae-basic.elf", c_elf_class, None),
    "libelf": ("x64-basic.elf", c_libelf, None),
    "phentsize": ("x64-basic.elf", c_phentsize, None),
    "shentsize": ("x64-basic.elf", c_shentsize, None),
    "section-headers": ("notes-sections.elf", c_section_headers, None),
    "header-table-past-file": ("x64-basic.elf", c_header_table_past_file,
                               "gzip"),
    "trailing-data": ("x64-basic.elf", c_trailing_data, "gzip-trailing"),
    "guest-info-format": ("notes-legacy-pae.elf", c_guest_info_number, None),
    "guest-info-unterminated": ("notes-legacy-pae.elf",
                                c_guest_info_unterminated, None),
    "supported-features-size": ("x64-basic.elf", c_supported_features_size,
                                None),
    "guest-info-octal": ("notes-legacy-pae.elf", c_guest_info_octal, None),
    "guest-info-long-value": ("notes-legacy-pae.elf",
                              c_guest_info_long_value, None),
    "guest-info-twice": ("notes-legacy-pae.elf", c_guest_info_twice, None),
    "guest-info-not-ascii": ("notes-legacy-pae.elf", c_guest_info_not_ascii,
                             None),
}

# Mutants where pvbuild once read differently from Xen and now reads as Xen
# does (tests/differential.bats checks that both agree on each):
# NAME -> (seed in build/guests, edit, wrap).
AGREES = {
    "owner-namesz": ("x64-basic.elf", a_owner_namesz, None),
    "unknown-type-xen-notes": ("x64-basic.elf", a_unknown_type_xen_notes,
                               None),
    "pae-note-not-exactly-yes": ("pae-basic.elf", a_pae_note_not_exactly_yes,
                                 None),
    "guest-info-pae-bimodal": ("notes-legacy-pae.elf",
                               a_guest_info_pae_bimodal, None),
    "empty-load": ("x64-basic.elf", a_empty_load, None),
}


# ---------------------------------------------------------------------------

def make_corpus(args):
    top = os.path.abspath(args.top)
    seeds, real = load_seeds(top, not args.no_real)
    out = args.outdir
    os.makedirs(out, exist_ok=True)
    n_linux = args.count // 100 if args.linux is None else args.linux
    n_vmlinux = args.count // 200 if args.vmlinux is None else args.vmlinux
    linux, vmlinux = (None, None)
    if n_linux or n_vmlinux:
        linux, vmlinux = linux_seeds(real)
    manifest = []

    def emit(i, seed, data, what):
        name = "%05d-%s" % (i, seed.replace("/", "_"))
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        manifest.append({"id": i, "file": name, "seed": seed,
                         "mutation": what})

    idx = 0
    for s in seeds:
        emit(idx, s.name, s.data, "none")
        idx += 1
    names = [s for s in seeds]
    weights = [s.weight for s in seeds]
    for i in range(args.count):
        rng = random.Random("%s:%d" % (args.seed, i))
        s = rng.choices(names, weights)[0]
        data, what = mutate_one(rng, s)
        emit(idx, s.name, data, what)
        idx += 1
    if linux is not None:
        for i in range(n_linux):
            rng = random.Random("%s:linux:%d" % (args.seed, i))
            data, what = mutate_bzimage(rng, linux, inner_ok=False,
                                        payload_flips_only=i % 2 == 0)
            emit(idx, "linux", data, what)
            idx += 1
    if vmlinux is not None:
        for i in range(n_vmlinux):
            rng = random.Random("%s:vmlinux:%d" % (args.seed, i))
            ops = [(f, w) for f, w in ELF_OPS if f is not op_truncate]
            data, what = mutate_elf(rng, vmlinux, ops)
            emit(idx, "linux-vmlinux", data, what)
            idx += 1
    with open(os.path.join(out, "manifest.jsonl"), "w") as f:
        for e in manifest:
            f.write(json.dumps(e, sort_keys=True) + "\n")
    return 0


def mutate_one(rng, s):
    if s.kind == "elf":
        return mutate_elf(rng, s.data)
    if s.kind == "gz":
        return mutate_gzip(rng, s.data)
    if s.kind == "bzimage":
        return mutate_bzimage(rng, s.data)
    return mutate_whole(rng, s.data, s.kind[len("whole-"):])


def make_case(args):
    cases = dict(CASES, **AGREES)
    if args.case not in cases:
        print("%s: unknown case '%s' (known: %s)" % (
            PROG, args.case, " ".join(sorted(cases))), file=sys.stderr)
        return 2
    seed, edit, wrap = cases[args.case]
    m = Elf(read(os.path.join(os.path.abspath(args.top), "build", "guests",
                              seed)))
    what = edit(m)
    data = bytes(m.d)
    if wrap == "gzip":
        data = gzip.compress(data, 9, mtime=0)
    elif wrap == "gzip-trailing":
        data = gzip_trailing(data)
    with open(args.out, "wb") as f:
        f.write(data)
    print("%s: %s" % (seed, what))
    return 0


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--seed", default="pvbuild")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--linux", type=int, default=None)
    ap.add_argument("--vmlinux", type=int, default=None)
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--top", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--case")
    ap.add_argument("--list-cases", action="store_true")
    ap.add_argument("args", nargs="*")
    args = ap.parse_args()
    try:
        if args.list_cases:
            for name in sorted(CASES):
                print(name, CASES[name][0])
            return 0
        if args.case:
            if len(args.args) != 1:
                ap.error("--case NAME OUT")
            args.out = args.args[0]
            return make_case(args)
        if len(args.args) != 1:
            ap.error("one OUTDIR")
        args.outdir = args.args[0]
        return make_corpus(args)
    except (OSError, ValueError, subprocess.CalledProcessError,
            lzma.LZMAError) as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
