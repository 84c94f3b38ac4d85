#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Run pvbuild's elfinfo and Xen's parser (build/xenparse) on a corpus and
classify every image by how the two answer.

usage: run.py [--jobs N] [--timeout S] [--out DIR] [--explained FILE]
              [--check] [--prune] [--top DIR] CORPUS

CORPUS is what mutate.py wrote (CORPUS/manifest.jsonl names the images).
Every image falls in one class:

  agree-accept      both accept it and the facts are equal: ABI, virt_base,
                    entry, kernel extent, hypercall page, INIT_P2M, paddr
                    offset, MOD_START_PFN, features (the fields
                    tests/xenagree.bats compares) and HV_START_LOW
  agree-reject      both refuse it
  xen-1.3           pvbuild builds it as a xen-1.3 guest; Xen 4.17 refuses
                    those by design (XEN_VER must be xen-3.0)
  pvbuild-stricter  pvbuild refuses, Xen accepts; the reason class is taken
                    from pvbuild's error message (REASONS)
  pvbuild-looser    pvbuild accepts, Xen refuses; the case class is the
                    cause, recognised from how pvbuild read the image (its
                    container and compression), Xen's error, and a scan of
                    the ELF and __xen_guest string for the known causes
                    (CAUSES); "unexplained: ..." when none is recognised
  facts-differ      both accept, some fact differs; the case class is the
                    cause as for pvbuild-looser
  pvbuild-crash     elfinfo exited with a status other than 0 and 1
  xen-crash         xenparse exited with a status other than 0
  timeout           a parser ran past --timeout seconds

Prints the counts per class and per reason or case class. With --out, DIR
gets results.jsonl (one line an image) and DIR/cases/CLASS/REASON/ holding,
for the looser, differ, crash and timeout images and the first few of each
stricter reason, the image and both parsers' outputs. With --explained,
every stricter, looser, facts-differ and crash class seen must have a line
"KIND CLASS reason" in FILE (KIND stricter, looser, differ or crash);
classes whose reason starts with BUG are counted apart as known bugs. With
--check the exit status is 1 when a class has no line, or when xenparse
crashed or a parser timed out. --prune deletes the corpus images that
agree (for big corpora).

UNSET fields of Xen's (0xffffffffffffffff) are compared as null. pvbuild
gives init_p2m null with a warning when Xen ignores the note (a 32-bit
guest, or an address not a page below VIRT_BASE); that counts as equal.
"""

import argparse
import bz2
import collections
import concurrent.futures
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

PROG = "run.py"
UNSET = "0xffffffffffffffff"

# pvbuild's error message -> why pvbuild refused what Xen accepts.
REASONS = [
    ("declaration-not-seen", r"is not xen-3\.0 \(Xen only|will only load "
     r"images built for the generic loader|PAE_MODE '[^']*': a non-PAE|"
     r"PADDR_OFFSET set, VIRT_BASE unset"),
    ("bsd-symtab", r"BSD_SYMTAB: loading the symbol table is not supported"),
    ("note-header-past-area", r"header runs past the end of the notes"),
    ("note-name-past-area", r"name of \d+ bytes runs past the end"),
    ("note-desc-past-area", r"description of \d+ bytes runs past the end"),
    ("note-string-past-file", r"description starts past the end of the file|"
     r"string not terminated inside the file"),
    ("note-string-unprintable", r"non-printable byte"),
    ("note-string-too-long", r"string longer than \d+ bytes"),
    ("numeric-note-size", r"not a 1, 2, 4 or 8-byte number|too short for an "
     r"address|cannot hold a 32-bit feature map|is not a list of"),
    ("note-given-twice", r"given twice with different values"),
    ("too-many-notes", r"more than \d+ notes"),
    ("note-area-past-file", r"note segment starts past the end of the file|"
     r"notes outside the file"),
    ("segment-past-file", r"file range .* runs past the end of the image"),
    ("filesz-over-memsz", r"filesz 0x[0-9a-f]+ is larger than memsz"),
    ("segment-wraps", r"wraps past the end of the address space"),
    ("segments-overlap", r"loadable segments overlap"),
    ("kernel-start-unaligned", r"start 0x[0-9a-f]+ is not page aligned"),
    ("entry-outside-kernel", r"entry point 0x[0-9a-f]+ is outside the kernel"),
    ("hypercall-page-outside", r"HYPERCALL_PAGE 0x[0-9a-f]+ is not a page"),
    ("impossible-feature", r"which a PV domU cannot have"),
    ("feature-name-too-long", r"FEATURES: a name longer"),
    ("machine-contradicts-class", r"e_machine \d+ contradicts"),
    ("elf-class-or-data", r"not a little-endian ELF32 or ELF64"),
    ("phentsize", r"e_phentsize \d+ is not"),
    ("header-table-past-file", r"(program|section) headers \[0x[0-9a-f]+, "
     r"\+0x[0-9a-f]+\) extend beyond the end of the image"),
    ("shentsize", r"e_shentsize \d+ is not"),
    ("section-headers", r"section headers \[|section-header string table|"
     r"e_shstrndx|section \d+ \(shstrtab\)|section \d+: name offset|"
     r"section \d+:"),
    ("guest-info-format", r"__xen_guest"),
    ("no-loadable-segments", r"no loadable segments"),
    ("libelf", r"libelf:|ELF header:"),
    ("trailing-data", r"bytes of trailing data after the \w+ stream"),
    ("decompression", r"corrupt \w+ data|stream truncated|"
     r"decompresses past|too short for a \w+ stream"),
    ("bzimage-header", r"bzImage"),
]

KEEP_PER_REASON = 5


def unset(v):
    return None if v == UNSET else v


def run(cmd, timeout):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    return r


def facts(ours, xen):
    """(name, pvbuild's, Xen's) for every compared fact."""
    return [
        ("abi", ours["abi"], xen["guest_type"]),
        ("virt_base", ours["virt_base"], xen["virt_base"]),
        ("entry", ours["entry"], xen["virt_entry"]),
        ("kernel_start", ours["kernel_start"], xen["virt_kstart"]),
        ("kernel_end", ours["kernel_end"], xen["virt_kend"]),
        ("hypercall_page", ours["hypercall_page"],
         unset(xen["virt_hypercall"])),
        ("init_p2m", ours["init_p2m"], unset(xen["p2m_base"])),
        ("mod_start_pfn", ours["mod_start_pfn"], xen["unmapped_initrd"]),
        ("features.supported", int(ours["features"]["supported"], 16),
         int(xen["f_supported"], 16)),
        ("features.required", int(ours["features"]["required"], 16),
         int(xen["f_required"], 16)),
        ("paddr_offset", ours["paddr_offset"], xen["elf_paddr_offset"]),
        ("hv_start_low", ours.get("hv_start_low"),
         unset(xen["virt_hv_start_low"])),
    ]


def differing(ours, xen):
    bad = []
    for name, a, b in facts(ours, xen):
        if name == "init_p2m" and a is None and any(
                "INIT_P2M" in w and "ignored" in w
                for w in ours.get("warnings", [])):
            continue
        if a != b:
            bad.append((name, a, b))
    return bad


def stricter_reason(msg):
    for name, rx in REASONS:
        if re.search(rx, msg):
            return name
    return "other"


def le32(data, pos):
    if pos < 0 or pos + 4 > len(data):
        return None
    return int.from_bytes(data[pos:pos + 4], "little")


def gzip_class(data, size):
    """Xen gunzips one member into a buffer sized by the file's last four
    bytes; pvbuild reads every member."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        d.decompress(data)
    except zlib.error:
        return None
    if d.unused_data:
        return "gzip-multi-member"
    if le32(data, len(data) - 4) != size & 0xffffffff:
        return "gzip-isize"
    return None


def first_gzip_member(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return d.decompress(data)


def unpack(kind, data, trailer):
    """data decompressed (a size trailer dropped first), or None."""
    if trailer and kind != "gzip":
        data = data[:-4]
    try:
        if kind == "none":
            return data
        if kind == "gzip":
            return first_gzip_member(data)
        if kind in ("xz", "lzma"):
            return lzma.LZMADecompressor().decompress(data)
        if kind == "bzip2":
            return bz2.BZ2Decompressor().decompress(data)
        tool = {"zstd": ["zstd", "-d", "-q", "-c"],
                "lz4": ["lz4", "-d", "-q", "-c"],
                "lzo": ["lzop", "-d", "-q", "-c"]}[kind]
        r = subprocess.run(tool, input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, check=False)
        return r.stdout or None
    except (OSError, KeyError, lzma.LZMAError, EOFError, ValueError,
            zlib.error):
        return None


def elf_of(data, img):
    """The ELF pvbuild read (best effort), from the file and its plan."""
    if img["container"] == "bzimage":
        off, size = img["payload_offset"], img["payload_size"]
        return unpack(img["compression"], data[off:off + size], True)
    return unpack(img["compression"], data, False)


# pvbuild's known Xen note types (common/elf/elfguest_notes.c note_kinds).
PV_NOTE_TYPES = set(range(1, 19))


def scan(elf):
    """What Xen's reading of the notes would see that pvbuild's does not:
    flags for the causes of known differences."""
    flags = set()
    if not elf or elf[:4] != b"\x7fELF" or len(elf) < 64:
        return flags
    is64 = elf[4] == 2
    try:
        if is64:
            phoff, = struct.unpack_from("<Q", elf, 32)
            shoff, = struct.unpack_from("<Q", elf, 40)
            phent, phnum, shent, shnum = struct.unpack_from("<HHHH", elf, 54)
        else:
            phoff, shoff = struct.unpack_from("<II", elf, 28)
            phent, phnum, shent, shnum = struct.unpack_from("<HHHH", elf, 42)
        areas, sections = [], []
        for i in range(phnum):
            o = phoff + i * phent
            if is64:
                t, fl, off, _, pa, fsz, msz = struct.unpack_from(
                    "<IIQQQQQ", elf, o)
            else:
                t, off, _, pa, fsz, msz, fl = struct.unpack_from(
                    "<IIIIIII", elf, o)
            if t == 1 and fl & 7 and msz == 0:
                flags.add("empty-load")
            if t == 4 and off:
                areas.append((off, off + fsz))
        for i in range(1, shnum):
            o = shoff + i * shent
            if is64:
                t, = struct.unpack_from("<I", elf, o + 4)
                off, size = struct.unpack_from("<QQ", elf, o + 24)
            else:
                t, = struct.unpack_from("<I", elf, o + 4)
                off, size = struct.unpack_from("<II", elf, o + 16)
            if t == 7:
                sections.append((off, off + size))
    except struct.error:
        return flags
    seg_xen = seg_known = 0
    for n, (start, end) in enumerate(areas + sections):
        pos, count = start, 0
        while pos < end and pos + 12 <= len(elf) and count < 4096:
            count += 1
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            nul = elf.find(b"\0", pos + 12)
            name = elf[pos + 12:nul] if nul >= 0 else b""
            if name == b"Xen":
                if namesz != 4:
                    flags.add("owner-namesz")
                if n < len(areas):
                    seg_xen += 1
                    if namesz == 4 and ntype in PV_NOTE_TYPES:
                        seg_known += 1
                if ntype == 17 and descsz % 4:
                    flags.add("supported-features-size")
            step = 12 + (((namesz + 3) & ~3) & 0xffffffff) + \
                (((descsz + 3) & ~3) & 0xffffffff)
            pos += step
    if seg_xen and not seg_known:
        flags.add("unknown-type-xen-notes")
    return flags


def guest_flags(info):
    """How Xen's reading of a __xen_guest string differs from pvbuild's."""
    flags = set()
    if not info:
        return flags
    seen = set()
    for item in info.split(","):
        key, sep, val = item.partition("=")
        if len(key) > 30 or len(val) > 127:
            flags.add("guest-info-long-field")
        if key in seen:
            flags.add("guest-info-duplicate-key")
        seen.add(key)
        if key in ("VIRT_BASE", "VIRT_ENTRY", "ELF_PADDR_OFFSET",
                   "HYPERCALL_PAGE") and re.match(r"0[0-9]", val):
            flags.add("guest-info-octal-number")
        if key == "PAE" and "bimodal" in val and not val.startswith("yes"):
            flags.add("guest-info-pae-bimodal")
    return flags


def causes(path, ours):
    with open(path, "rb") as f:
        data = f.read()
    return data, scan(elf_of(data, ours["image"])) | \
        guest_flags(ours.get("guest_info"))


# Known causes, in the order they are tried.
CAUSES = ["owner-namesz", "unknown-type-xen-notes", "guest-info-pae-bimodal",
          "guest-info-duplicate-key", "guest-info-long-field",
          "guest-info-octal-number", "supported-features-size", "empty-load"]


def looser_class(path, ours, xen):
    """Why Xen refused what pvbuild read: a class for explained.txt."""
    img = ours["image"]
    err = (xen.get("error") or "") + " " + (xen.get("elf_probe_error") or "")
    data, flags = causes(path, ours)
    if img["container"] == "bzimage":
        off, size = img["payload_offset"], img["payload_size"]
        payload = data[off:off + 8]
        if data[0x1f1] == 0:
            return "bzimage-setup-sects-0"
        if "BZIP2 decompress support unavailable" in err:
            return "xen-built-without-bzip2"
        if "LZO1x decompress support unavailable" in err:
            return "xen-built-without-lzo"
        if img["compression"] == "lz4" and payload[:4] == b"\x04\x22\x4d\x18":
            return "bzimage-lz4-frame"
        if img["compression"] not in ("gzip", "none"):
            if le32(data, off + size - 4) != img["elf_size"]:
                return "payload-size-trailer"
        elif img["compression"] == "gzip":
            c = gzip_class(data[off:off + size], img["elf_size"])
            if c:
                return c
    elif img["compression"] not in ("none", "gzip"):
        return "whole-file-" + img["compression"]
    elif img["compression"] == "gzip":
        c = gzip_class(data, img["elf_size"])
        if c:
            return c
    if "xen-3.0-x86_32 not supported" in err and \
            ours.get("declared_by") != "guest_info" and \
            ours.get("pae_mode") != "yes" and \
            "bimodal" not in (ours.get("pae_mode") or ""):
        return "pae-mode-note-not-exactly-yes"
    for c in CAUSES:
        if c in flags:
            return c
    last = (xen.get("elf_probe_error") or xen.get("error") or "").strip()
    last = last.splitlines()[-1] if last else "?"
    last = re.sub(r"0x[0-9a-f]+|\d+", "N", last)
    return "unexplained: " + last[:100]


def differ_class(path, ours, xen, bad):
    _, flags = causes(path, ours)
    for c in CAUSES:
        if c in flags:
            return c
    return "unexplained: " + ",".join(sorted(n for n, _, _ in bad))


def classify(entry, corpus, elfinfo, xenparse, timeout):
    path = os.path.join(corpus, entry["file"])
    res = dict(entry)
    pv = run([elfinfo, path], timeout)
    xr = run([xenparse, path], timeout)
    if pv is None or xr is None:
        res["class"] = "timeout"
        res["reason"] = "pvbuild" if pv is None else "xen"
        return res
    res["pv_rc"] = pv.returncode
    res["pv_err"] = pv.stderr.decode(errors="replace").strip()
    res["xen_rc"] = xr.returncode
    if pv.returncode not in (0, 1):
        msg = res["pv_err"].split(": ")[-1] if res["pv_err"] else "-"
        res["class"] = "pvbuild-crash"
        res["reason"] = "exit %d: %s" % (pv.returncode,
                                         re.sub(r"\d+", "N", msg)[:60])
        if "out of memory building elfinfo" in msg:
            res["reason"] = "non-utf8-text"
        return res
    if xr.returncode != 0:
        res["class"], res["reason"] = "xen-crash", "rc %d" % xr.returncode
        res["xen_err"] = xr.stderr.decode(errors="replace").strip()
        return res
    xen = json.loads(xr.stdout)
    res["xen"] = {k: xen.get(k) for k in (
        "accepted", "error", "elf_probe_error", "failed_in", "guest_type",
        "virt_base", "virt_entry", "virt_kstart", "virt_kend",
        "virt_hypercall", "p2m_base", "unmapped_initrd", "f_supported",
        "f_required", "elf_paddr_offset", "notes", "kernel_loader")}
    ours = json.loads(pv.stdout)["elfinfo"] if pv.returncode == 0 else None
    if ours is not None:
        res["pv"] = {k: ours.get(k) for k in (
            "abi", "virt_base", "entry", "kernel_start", "kernel_end",
            "hypercall_page", "init_p2m", "mod_start_pfn", "features",
            "paddr_offset", "warnings", "notes", "declared_by", "image",
            "guest_info", "pae_mode", "hv_start_low")}
    if ours is not None and ours["abi"] == "xen-1.3":
        if xen["accepted"]:
            res["class"] = "facts-differ"
            res["reason"] = "xen-1.3-accepted-by-xen"
        else:
            res["class"], res["reason"] = "xen-1.3", "-"
    elif ours is not None and xen["accepted"]:
        bad = differing(ours, xen)
        if bad:
            res["class"] = "facts-differ"
            res["reason"] = differ_class(path, ours, xen, bad)
            res["differ"] = [[n, a, b] for n, a, b in bad]
        else:
            res["class"], res["reason"] = "agree-accept", "-"
    elif ours is None and not xen["accepted"]:
        res["class"], res["reason"] = "agree-reject", "-"
    elif ours is None:
        res["class"] = "pvbuild-stricter"
        res["reason"] = stricter_reason(res["pv_err"])
    else:
        res["class"] = "pvbuild-looser"
        res["reason"] = looser_class(path, ours, xen)
    return res


def load_explained(path):
    """(kind, class) -> reason, from lines "KIND CLASS reason"."""
    known = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[0] not in ("looser", "differ",
                                                  "stricter", "crash"):
                raise ValueError("%s: bad line: %s" % (path, line))
            known[(parts[0], parts[1])] = parts[2]
    return known


def explained_key(res):
    kind = {"pvbuild-looser": "looser", "facts-differ": "differ",
            "pvbuild-stricter": "stricter",
            "pvbuild-crash": "crash"}.get(res["class"])
    return None if kind is None else (kind, res["reason"])


def keep_case(out, res, corpus):
    d = os.path.join(out, "cases", res["class"],
                     re.sub(r"[^A-Za-z0-9_.,:-]+", "_", res["reason"])[:80])
    os.makedirs(d, exist_ok=True)
    if len(os.listdir(d)) >= 3 * KEEP_PER_REASON and \
            res["class"] == "pvbuild-stricter":
        return
    src = os.path.join(corpus, res["file"])
    if os.path.getsize(src) < (16 << 20):
        shutil.copyfile(src, os.path.join(d, res["file"]))
    with open(os.path.join(d, res["file"] + ".json"), "w") as f:
        json.dump(res, f, indent=2, sort_keys=True)


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--out")
    ap.add_argument("--explained")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--prune", action="store_true")
    ap.add_argument("--top", default=os.path.join(here, "..", ".."))
    ap.add_argument("corpus")
    args = ap.parse_args()
    top = os.path.abspath(args.top)
    elfinfo = os.path.join(top, "bin", "elfinfo")
    xenparse = os.path.join(top, "build", "xenparse")
    for p in (elfinfo, xenparse):
        if not os.access(p, os.X_OK):
            print("%s: %s is missing" % (PROG, p), file=sys.stderr)
            return 2
    with open(os.path.join(args.corpus, "manifest.jsonl")) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    known = load_explained(args.explained) if args.explained else None

    results = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futs = [pool.submit(classify, e, args.corpus, elfinfo, xenparse,
                            args.timeout) for e in entries]
        for fu in futs:
            results.append(fu.result())
    results.sort(key=lambda r: r["id"])

    classes = collections.Counter(r["class"] for r in results)
    reasons = collections.Counter((r["class"], r["reason"]) for r in results
                                  if r["reason"] != "-")
    print("%d images" % len(results))
    order = ["agree-accept", "agree-reject", "xen-1.3", "pvbuild-stricter",
             "pvbuild-looser", "facts-differ", "pvbuild-crash", "xen-crash",
             "timeout"]
    for c in order:
        print("  %-18s %5d" % (c, classes.get(c, 0)))
        for (c2, r), n in sorted(reasons.items(), key=lambda x: (-x[1], x[0])):
            if c2 == c:
                print("      %5d  %s" % (n, r))

    unexplained, bugs = [], collections.Counter()
    for r in results:
        key = explained_key(r)
        if key is None or known is None:
            continue
        if key not in known:
            unexplained.append(r)
        elif known[key].startswith("BUG"):
            bugs[key] += 1
    bad = [r for r in results if r["class"] in ("xen-crash", "timeout")]
    if known is not None:
        print("cases of known pvbuild bugs (BUG in %s): %d" % (
            os.path.basename(args.explained), sum(bugs.values())))
        for (kind, c), n in sorted(bugs.items()):
            print("  %5d  %s %s" % (n, kind, c))
        print("unexplained cases: %d" % len(unexplained))
        for r in unexplained[:20]:
            print("  %s [%s] %s: %s" % (r["file"], r["class"], r["reason"],
                                        r["mutation"]))

    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "results.jsonl"), "w") as f:
            for r in results:
                f.write(json.dumps(r, sort_keys=True) + "\n")
        for r in results:
            if r["class"] in ("pvbuild-looser", "facts-differ",
                              "pvbuild-crash", "xen-crash", "timeout",
                              "pvbuild-stricter"):
                keep_case(args.out, r, args.corpus)
    if args.prune:
        for r in results:
            if r["class"] in ("agree-accept", "agree-reject", "xen-1.3"):
                try:
                    os.unlink(os.path.join(args.corpus, r["file"]))
                except OSError:
                    pass
    if args.check and (unexplained or bad):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
