#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Make compressed kernels and bzImages, good and malformed, from a test guest.

usage: mkcompressed.py GOOD_ELF OUTDIR

GOOD_ELF is build/guests/basic.elf. OUTDIR (created if missing) gets:

  basic.elf.EXT      GOOD_ELF compressed whole by Debian's command-line
                     tools: gz (gzip), bz2 (bzip2), xz, lzma (xz
                     --format=lzma), lzo (lzop), lz4 (the LZ4 frame), lz4legacy
                     (lz4 -l, the legacy frame) and zst (zstd)
  bzimage-KIND       a synthetic Linux x86 bzImage (boot protocol 2.15) whose
                     payload is GOOD_ELF compressed as Linux compresses it, for
                     KIND gzip, bzip2, xz, lzma, lzo, lz4, zstd, and none (the
                     ELF as it is)
  bzimage-sects0-gzip  the same with setup_sects 0, which means 4
  bad-*              malformed variants, each broken in the one way its name
                     says (see CASES)

Every output is the same on every run: the tools store no time or name
(lzop, which stores both, is given a file with a fixed mtime and none).

Prints nothing on success. Exits 2 on bad arguments, 1 with one line on
stderr when a tool fails or an output cannot be written.
"""

import bz2
import gzip
import lzma
import os
import struct
import subprocess
import sys
import tempfile
import zlib

PROG = "mkcompressed.py"

# Linux boot protocol (Documentation/arch/x86/boot.rst), offsets in the
# file of the real-mode kernel header fields this writes.
SECTOR = 512
SETUP_SECTS = 0x1F1      # u8: sectors of setup code after the boot sector
BOOT_FLAG = 0x1FE        # u16: 0xAA55
JUMP = 0x200             # u16: a short jump over the header
HEADER = 0x202           # "HdrS"
VERSION = 0x206          # u16: boot protocol version
PAYLOAD_OFFSET = 0x248   # u32: from the start of the protected-mode code
PAYLOAD_LENGTH = 0x24C   # u32

BZ_SETUP_SECTS = 3
BZ_VERSION = 0x020F
# Stand-in for the decompressor that precedes the payload in a real bzImage.
BZ_DECOMPRESSOR = 0x180

BOMB_SIZE = 100 << 20


class Bad(Exception):
    pass


def tool(args, data):
    """Run a compressor on data, from stdin to stdout."""
    try:
        r = subprocess.run(args, input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=False)
    except OSError as e:
        raise Bad("%s: %s" % (args[0], e.strerror))
    if r.returncode != 0:
        raise Bad("%s failed: %s" % (" ".join(args),
                                     r.stderr.decode(errors="replace").strip()))
    return r.stdout


def lzop(data):
    # lzop stores the mode, mtime and name of its input: give it a file
    # with fixed ones on stdin, so the name is empty and the rest constant.
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        os.chmod(f.name, 0o644)
        os.utime(f.name, (0, 0))
        with open(f.name, "rb") as src:
            r = subprocess.run(["lzop", "-9", "-c"], stdin=src,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               check=False)
    if r.returncode != 0:
        raise Bad("lzop failed: %s" % r.stderr.decode(errors="replace").strip())
    return r.stdout


# Whole-file compression, one suffix each.
def whole(suffix, data):
    if suffix == "gz":
        return gzip.compress(data, 9, mtime=0)
    if suffix == "bz2":
        return tool(["bzip2", "-9", "-c"], data)
    if suffix == "xz":
        return tool(["xz", "-9", "-c"], data)
    if suffix == "lzma":
        return tool(["xz", "--format=lzma", "-9", "-c"], data)
    if suffix == "lzo":
        return lzop(data)
    if suffix == "lz4":
        return tool(["lz4", "-9", "-c", "-q"], data)
    if suffix == "lz4legacy":
        return tool(["lz4", "-l", "-9", "-c", "-q"], data)
    if suffix == "zst":
        return tool(["zstd", "-19", "-c", "-q"], data)
    raise Bad("no compressor for .%s" % suffix)


SUFFIXES = ["gz", "bz2", "xz", "lzma", "lzo", "lz4", "lz4legacy", "zst"]


def size_trailer(data):
    return struct.pack("<I", len(data) & 0xFFFFFFFF)


def linux_payload(kind, data):
    """GOOD_ELF compressed as Linux's arch/x86/boot/compressed does it:
    the same tools and options, and the uncompressed size appended as 4
    little-endian bytes to all but gzip, whose ISIZE trailer says it."""
    if kind == "none":
        return data
    if kind == "gzip":
        return gzip.compress(data, 9, mtime=0)
    if kind == "bzip2":
        c = tool(["bzip2", "-9", "-c"], data)
    elif kind == "lzma":
        c = tool(["xz", "--format=lzma", "-9", "-c"], data)
    elif kind == "xz":
        c = tool(["xz", "--check=crc32", "--x86", "--lzma2=,dict=32MiB",
                  "-c"], data)
    elif kind == "lzo":
        c = lzop(data)
    elif kind == "lz4":
        c = tool(["lz4", "-l", "-9", "-c", "-q"], data)
    elif kind == "zstd":
        c = tool(["zstd", "--ultra", "-22", "-c", "-q"], data)
    else:
        raise Bad("no Linux payload kind %s" % kind)
    return c + size_trailer(data)


KINDS = ["gzip", "bzip2", "xz", "lzma", "lzo", "lz4", "zstd", "none"]


def bzimage(payload, setup_sects=BZ_SETUP_SECTS, version=BZ_VERSION,
            payload_length=None):
    """A bzImage: boot sector and setup code ((setup_sects or 4) + 1
    sectors) with the header, then protected-mode code: a stand-in for the
    decompressor, then the payload."""
    sects = setup_sects if setup_sects != 0 else 4
    setup = bytearray((sects + 1) * SECTOR)
    setup[0:2] = b"MZ"
    struct.pack_into("<B", setup, SETUP_SECTS, setup_sects)
    struct.pack_into("<H", setup, BOOT_FLAG, 0xAA55)
    struct.pack_into("<BB", setup, JUMP, 0xEB, 0x66)
    setup[HEADER:HEADER + 4] = b"HdrS"
    struct.pack_into("<H", setup, VERSION, version)
    struct.pack_into("<I", setup, PAYLOAD_OFFSET, BZ_DECOMPRESSOR)
    struct.pack_into("<I", setup, PAYLOAD_LENGTH,
                     len(payload) if payload_length is None else payload_length)
    code = bytes([0x90]) * BZ_DECOMPRESSOR
    return bytes(setup) + code + payload


def flip_until(data, decodes, what):
    """Flip one byte, from the middle on, until the format's own decoder
    refuses the result: a corrupt case that a checksum or the decoder is
    sure to catch."""
    for at in range(len(data) // 2, len(data) - 16):
        bad = bytearray(data)
        bad[at] ^= 0x55
        if not decodes(bytes(bad)):
            return bytes(bad)
    raise Bad("no byte flip breaks the %s data" % what)


def cli_decodes(args):
    def decodes(data):
        r = subprocess.run(args, input=data, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
        return r.returncode == 0
    return decodes


def py_decodes(fn, errors):
    def decodes(data):
        try:
            fn(data)
        except errors:
            return False
        return True
    return decodes


DECODERS = {
    "gz": py_decodes(gzip.decompress, (OSError, EOFError, zlib.error)),
    "bz2": py_decodes(bz2.decompress, (OSError, EOFError, ValueError)),
    "xz": py_decodes(lzma.decompress, (lzma.LZMAError, EOFError)),
    "lzo": cli_decodes(["lzop", "-d", "-c"]),
    "lz4": cli_decodes(["lz4", "-d", "-c"]),
    "zst": cli_decodes(["zstd", "-d", "-c", "-q"]),
}


def make_all(elf):
    out = []
    comp = {}
    for suffix in SUFFIXES:
        comp[suffix] = whole(suffix, elf)
        out.append(("basic.elf." + suffix, comp[suffix]))
    payloads = {}
    for kind in KINDS:
        payloads[kind] = linux_payload(kind, elf)
        out.append(("bzimage-" + kind, bzimage(payloads[kind])))
    out.append(("bzimage-sects0-gzip", bzimage(payloads["gzip"],
                                               setup_sects=0)))

    # Malformed: every format cut in half.
    for suffix in SUFFIXES:
        c = comp[suffix]
        out.append(("bad-truncated." + suffix, c[:len(c) // 2]))
    # Malformed: a byte flipped where the format's checks catch it.
    for suffix, decodes in DECODERS.items():
        out.append(("bad-corrupt." + suffix,
                    flip_until(comp[suffix], decodes, suffix)))
    # Malformed: data after the end of the stream.
    out.append(("bad-trailing.xz", comp["xz"] + b"GARBAGE!"))
    # A bomb: 100 MiB of zeros in a few KiB.
    out.append(("bad-bomb.xz", tool(["xz", "-6", "-c"], bytes(BOMB_SIZE))))

    # Malformed bzImages.
    out.append(("bad-bzimage-proto-2.07",
                bzimage(payloads["gzip"], version=0x0207)))
    out.append(("bad-bzimage-payload-past-end",
                bzimage(payloads["gzip"],
                        payload_length=len(payloads["gzip"]) + 4096)))
    out.append(("bad-bzimage-unknown-magic",
                bzimage(b"PK\x03\x04" + payloads["gzip"][4:])))
    half = payloads["xz"][:len(payloads["xz"]) // 2]
    out.append(("bad-bzimage-xz-truncated", bzimage(half)))
    out.append(("bad-bzimage-header-truncated",
                bzimage(payloads["gzip"])[:PAYLOAD_OFFSET]))
    return out


def main(argv):
    if len(argv) != 3:
        print("usage: %s GOOD_ELF OUTDIR" % PROG, file=sys.stderr)
        sys.exit(2)
    good, outdir = argv[1], argv[2]
    try:
        with open(good, "rb") as f:
            elf = f.read()
    except OSError as e:
        sys.exit("%s: %s: %s" % (PROG, good, e.strerror))
    if elf[:4] != b"\x7fELF":
        sys.exit("%s: %s: not an ELF file" % (PROG, good))
    # Make every file before writing any, so a failure leaves none.
    try:
        out = make_all(elf)
    except Bad as e:
        sys.exit("%s: %s: %s" % (PROG, good, e))
    try:
        os.makedirs(outdir, exist_ok=True)
        for name, data in out:
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(data)
    except OSError as e:
        sys.exit("%s: %s: %s" % (PROG, e.filename or outdir, e.strerror))


if __name__ == "__main__":
    main(sys.argv)
