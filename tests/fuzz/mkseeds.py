#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""mkseeds.py OUTDIR: the fuzzers' seed corpus, made from what the suite has.

OUTDIR/fuzz_image/  every test guest (build/guests/*.elf, *.gz), every
                    compressed kernel and bzImage (build/compressed/*), every
                    malformed image (build/bad/*, build/bad3/*) and, when
                    tests/realimages.sh can have them, small images made from
                    Debian's: PV GRUB (x86_64, i386) with the bytes of its
                    segments zeroed but its notes kept, gzip'd; Linux's real
                    bzImage header with an xz'd test guest as its payload, and
                    its first 64 KiB alone.
OUTDIR/fuzz_plan/   the plans pipeline.sh --keep writes for those guests, each
                    with the first byte fuzz_plan reads to pick the stage that
                    reads it: '0' layout, '1' populate, '2' pagetables,
                    '3' finalize.
OUTDIR/plan.dict    libFuzzer dictionary: every key and short word of the plans.

Each seed is named by the sha1 of its content, so the corpus is the same
whenever its sources are.
"""
import glob
import gzip
import hashlib
import json
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def put(outdir, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)


def real_images():
    """NAME -> path from tests/realimages.sh, or {} when it cannot have them."""
    r = subprocess.run([os.path.join(TOP, "tests/realimages.sh"), "print"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("mkseeds: no real images: %s" % r.stderr)
        return {}
    return dict(line.split(None, 1) for line in r.stdout.splitlines() if line)


def elf_skeleton(data):
    """The ELF with every PT_LOAD's bytes zeroed but those of its notes."""
    out = bytearray(data)
    is64 = data[4] == 2
    if is64:
        phoff, = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    else:
        phoff, = struct.unpack_from("<I", data, 0x1c)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x2a)
    keep = []
    loads = []
    for i in range(phnum):
        at = phoff + i * phentsize
        if is64:
            ptype, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", data, at)
        else:
            ptype, off, _, _, filesz = struct.unpack_from("<IIIII", data, at)
        if ptype == 1:
            loads.append((off, filesz))
        elif ptype == 4:
            keep.append((off, filesz))
    for off, size in loads:
        for i in range(off, min(off + size, len(data))):
            out[i] = 0
    for off, size in keep:
        out[off:off + size] = data[off:off + size]
    # Keep the ELF and program headers even if a segment covers them.
    end = phoff + phnum * phentsize
    out[:end] = data[:end]
    return bytes(out)


def image_seeds(outdir):
    os.makedirs(outdir, exist_ok=True)
    paths = (glob.glob(os.path.join(TOP, "build/guests/*.elf")) +
             glob.glob(os.path.join(TOP, "build/guests/*.elf.gz")) +
             glob.glob(os.path.join(TOP, "build/compressed/*")) +
             glob.glob(os.path.join(TOP, "build/bad/*")) +
             glob.glob(os.path.join(TOP, "build/bad3/*")))
    for p in sorted(paths):
        if os.path.isfile(p) and not os.path.basename(p).startswith("."):
            put(outdir, open(p, "rb").read())
    real = real_images()
    for name in ("grub64", "grub32"):
        if name in real:
            skel = elf_skeleton(open(real[name], "rb").read())
            put(outdir, gzip.compress(skel, 9, mtime=0))
    if "linux" in real:
        bz = open(real["linux"], "rb").read()
        put(outdir, bz[:65536])
        sects = bz[0x1f1] or 4
        poff, = struct.unpack_from("<I", bz, 0x248)
        start = (sects + 1) * 512 + poff
        elf = open(os.path.join(TOP, "build/guests/x64-basic.elf"), "rb").read()
        payload = lzma.compress(elf, format=lzma.FORMAT_XZ,
                                check=lzma.CHECK_CRC32,
                                filters=[{"id": lzma.FILTER_X86},
                                         {"id": lzma.FILTER_LZMA2}])
        payload += struct.pack("<I", len(elf))
        head = bytearray(bz[:start])
        struct.pack_into("<I", head, 0x24c, len(payload))
        put(outdir, bytes(head) + payload)
    return real


def words(obj, acc):
    if isinstance(obj, dict):
        for k, v in obj.items():
            acc.add(k)
            words(v, acc)
    elif isinstance(obj, list):
        for v in obj:
            words(v, acc)
    elif isinstance(obj, str) and len(obj) <= 24 and not obj.startswith("/"):
        acc.add(obj)


def plan_seeds(outdir, dictpath, real):
    os.makedirs(outdir, exist_ok=True)
    g = os.path.join(TOP, "build/guests")
    runs = [
        (g + "/basic.elf", ["--memory", "16M"]),
        (g + "/multiseg.elf.gz", ["--memory", "32M", "--initrd",
                                  g + "/initrd.img", "--cmdline",
                                  "console=xvc0 root=/dev/ram0"]),
        (g + "/high.elf", ["--memory", "8M"]),
        (g + "/x64-basic.elf", ["--memory", "32M", "--initrd",
                                g + "/initrd.img.gz"]),
        (g + "/x64-nop2m.elf", ["--memory", "64M", "--initrd",
                                g + "/initrd.img"]),
        (g + "/notes-sections.elf", ["--memory", "32M"]),
        (g + "/pae-basic.elf", ["--memory", "48M", "--initrd",
                                g + "/initrd.img"]),
        (g + "/pae-bimodal.elf", ["--memory", "32M"]),
        (g + "/notes-legacy-pae.elf", ["--memory", "32M", "--cmdline", "x"]),
        (os.path.join(TOP, "build/compressed/bzimage-xz"), ["--memory", "16M"]),
    ]
    for name in ("grub64", "grub32"):
        if name in real:
            runs.append((real[name], ["--memory", "64M"]))
    acc = set()
    tmp = tempfile.mkdtemp(prefix="mkseeds.")
    try:
        # A PVH plan of each stage too (tests/mkpvh.py's small kernel).
        subprocess.run([sys.executable, os.path.join(TOP, "tests/mkpvh.py"),
                        os.path.join(tmp, "pvh")], check=True)
        runs.append((os.path.join(tmp, "pvh/good.elf"),
                     ["--pvh", "--memory", "16M", "--vcpus", "2", "--initrd",
                      g + "/initrd.img", "--cmdline", "console=hvc0"]))
        for i, (image, args) in enumerate(runs):
            keep = os.path.join(tmp, "plans%d" % i)
            r = subprocess.run([os.path.join(TOP, "pipeline.sh"), image] + args +
                               ["--out", os.path.join(tmp, "dom%d" % i),
                                "--keep", keep], capture_output=True)
            if r.returncode != 0:
                sys.exit("mkseeds: pipeline.sh %s failed: %s" %
                         (image, r.stderr.decode(errors="replace")))
            for n, stage in enumerate(["1-elfinfo", "2-layout", "3-populate",
                                       "4-pagetables"]):
                text = open(os.path.join(keep, stage + ".json"), "rb").read()
                put(outdir, b"0123"[n:n + 1] + text)
                words(json.loads(text), acc)
            shutil.rmtree(os.path.join(tmp, "dom%d" % i))
    finally:
        shutil.rmtree(tmp)
    with open(dictpath, "w") as f:
        for w in sorted(acc):
            if all(32 <= ord(c) < 127 and c not in '"\\' for c in w):
                f.write('"\\"%s\\""\n' % w)
        for w in ("0x", "0xffffffffffffffff", "18446744073709551615",
                  "-1", "null", "true", "false", "1e999", "[]", "{}"):
            f.write('"%s"\n' % w)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkseeds.py OUTDIR")
    out = sys.argv[1]
    if os.path.exists(out):
        shutil.rmtree(out)
    real = image_seeds(os.path.join(out, "fuzz_image"))
    plan_seeds(os.path.join(out, "fuzz_plan"), os.path.join(out, "plan.dict"),
               real)


main()
