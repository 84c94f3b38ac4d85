#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Derive malformed kernel images from a good xen-1.3 test guest.

usage: mkbad.py GOOD_ELF OUTDIR

GOOD_ELF is build/guests/basic.elf (tests/guests/basic.ld): an ELF32 i386
image with two loadable segments (text R X, then data R W whose file part is
more than a page and whose .bss reaches past the end of the file), a
non-allocated __xen_guest section and the section headers last in the file.
The script checks that it was given such an image and says so if not.

OUTDIR (created if missing) gets one file per case, named after the case.
Each differs from GOOD_ELF only in the way its name says, so the error a
builder reports is the one the case is for; where one field cannot break
alone (a moved header table is read from other bytes), the comment says so.
Every output is the same on every run: the gzip cases use mtime=0.

Prints nothing on success. Exits 2 on bad arguments, 1 with one line on
stderr if the image is not what it needs (then no file is written) or an
output cannot be written.
"""

import gzip
import os
import struct
import sys
import zlib

PROG = "mkbad.py"

EHDR_SIZE = 52
PHDR_SIZE = 32
SHDR_SIZE = 40

# ELF32 header field offsets and formats (System V gABI, "ELF Header").
E_ENTRY = (24, "<I")
E_PHOFF = (28, "<I")
E_SHOFF = (32, "<I")
E_PHENTSIZE = (42, "<H")
E_PHNUM = (44, "<H")
E_SHENTSIZE = (46, "<H")
E_SHNUM = (48, "<H")
E_SHSTRNDX = (50, "<H")

# Program header fields, relative to the header.
P_TYPE, P_OFFSET, P_VADDR, P_PADDR = 0, 4, 8, 12
P_FILESZ, P_MEMSZ, P_FLAGS, P_ALIGN = 16, 20, 24, 28

# Section header fields, relative to the header.
SH_NAME, SH_FLAGS, SH_ADDR, SH_OFFSET, SH_SIZE = 0, 8, 12, 16, 20

PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4
SHF_ALLOC = 2

GUEST_SECTION = b"__xen_guest"

# Where near-hypervisor-hole puts the kernel. Its end stays below
# HYPERVISOR_VIRT_START (0xFC000000), but with any memory size the
# phys-to-machine list, page tables, start_info and stack follow it, and the
# seed's padding rule (at least 512 KiB after the stack, else 4 MiB more)
# makes the bootstrap region [0xFBC00000, 0xFC400000) cross into the hole.
NEAR_HOLE_BASE = 0xFBFC0000

HUGE_MEMSZ = 200 << 20


class Bad(Exception):
    pass


def get(buf, field, base=0):
    off, fmt = field if isinstance(field, tuple) else (field, "<I")
    return struct.unpack_from(fmt, buf, base + off)[0]


def put(buf, field, value, base=0):
    off, fmt = field if isinstance(field, tuple) else (field, "<I")
    struct.pack_into(fmt, buf, base + off, value)


class Image:
    """The facts of the good image that the cases edit."""

    def __init__(self, data):
        self.data = bytes(data)
        size = len(data)
        if size < EHDR_SIZE or data[:4] != b"\x7fELF":
            raise Bad("not an ELF image")
        if data[4] != 1 or data[5] != 1:
            raise Bad("not ELF32 little-endian")
        if get(data, E_PHENTSIZE) != PHDR_SIZE or get(data, E_SHENTSIZE) != SHDR_SIZE:
            raise Bad("unexpected program or section header size")
        self.phoff = get(data, E_PHOFF)
        self.phnum = get(data, E_PHNUM)
        self.shoff = get(data, E_SHOFF)
        self.shnum = get(data, E_SHNUM)
        self.shstrndx = get(data, E_SHSTRNDX)
        self.entry = get(data, E_ENTRY)
        if self.phoff + self.phnum * PHDR_SIZE > size:
            raise Bad("program headers past the end")
        if self.shoff + self.shnum * SHDR_SIZE != size:
            raise Bad("section headers are not the last thing in the file")
        if not 0 < self.shstrndx < self.shnum:
            raise Bad("no section-header string table")

        # Loadable as the seed means it (is_loadable_phdr): PT_LOAD with W or X.
        self.load = []
        for i in range(self.phnum):
            ph = self.phoff + i * PHDR_SIZE
            if get(data, P_TYPE, ph) == PT_LOAD and get(data, P_FLAGS, ph) & (PF_W | PF_X):
                self.load.append(ph)
        if len(self.load) < 2:
            raise Bad("fewer than two loadable segments")
        self.kern_start = min(get(data, P_VADDR, ph) for ph in self.load)
        self.kern_end = max(get(data, P_VADDR, ph) + get(data, P_MEMSZ, ph) for ph in self.load)
        if not self.kern_start <= self.entry < self.kern_end:
            raise Bad("entry outside the kernel")

        self.shstrtab = self.shdr(self.shstrndx)
        strtab_off = get(data, SH_OFFSET, self.shstrtab)
        strtab_size = get(data, SH_SIZE, self.shstrtab)
        if strtab_off + strtab_size > size:
            raise Bad("shstrtab past the end")
        self.strtab_off = strtab_off
        self.strtab_size = strtab_size

        self.guest = None
        for i in range(self.shnum):
            sh = self.shdr(i)
            name = get(data, SH_NAME, sh)
            if name >= strtab_size:
                raise Bad("section name outside shstrtab")
            end = data.index(b"\0", strtab_off + name)
            if data[strtab_off + name:end] == GUEST_SECTION:
                self.guest = sh
        if self.guest is None:
            raise Bad("no __xen_guest section")
        self.guest_off = get(data, SH_OFFSET, self.guest)
        self.guest_size = get(data, SH_SIZE, self.guest)
        text = data[self.guest_off:self.guest_off + self.guest_size]
        if b"\0" not in text or b"GUEST_OS=linux" not in text or b"XEN_VER=1.3" not in text:
            raise Bad("__xen_guest does not declare GUEST_OS=linux, XEN_VER=1.3")

    def shdr(self, i):
        return self.shoff + i * SHDR_SIZE

    def copy(self):
        return bytearray(self.data)


def replace_once(buf, start, end, old, new):
    """Replace the one occurrence of old in buf[start:end] by new (same length)."""
    at = buf.find(old, start, end)
    if at < 0 or buf.find(old, at + 1, end) >= 0 or len(old) != len(new):
        raise Bad("%r not found exactly once" % old)
    buf[at:at + len(old)] = new


def gz(data):
    return bytearray(gzip.compress(data, compresslevel=9, mtime=0))


# Each case takes the good image and returns the bad bytes.

def not_elf(img):
    b = img.copy()
    b[1:2] = b"X"  # "\x7fXLF"
    return b


def truncated(img):
    # Cut in the middle of the second program header.
    return img.data[:img.phoff + PHDR_SIZE + PHDR_SIZE // 2]


def truncated_after_ehdr(img):
    return img.data[:EHDR_SIZE]


def phdrs_past_end(img):
    # The table starts inside the file and its last 4 bytes lie past the
    # end; what it holds is read from other bytes (the section headers).
    b = img.copy()
    put(b, E_PHOFF, len(b) - img.phnum * PHDR_SIZE + 4)
    return b


def shdrs_past_end(img):
    # One more section header than the file holds; the real ones are intact.
    b = img.copy()
    put(b, E_SHNUM, img.shnum + 1)
    return b


def no_shstrtab(img):
    b = img.copy()
    put(b, E_SHSTRNDX, 0)  # SHN_UNDEF
    return b


def shstrndx_out_of_range(img):
    b = img.copy()
    put(b, E_SHSTRNDX, img.shnum)
    return b


def name_outside_shstrtab(img):
    # Section 1 (.text), before __xen_guest, so a reader that stops at
    # __xen_guest still meets it.
    b = img.copy()
    put(b, SH_NAME, img.strtab_size, img.shdr(1))
    return b


def shstrtab_past_end(img):
    b = img.copy()
    put(b, SH_SIZE, len(b) - img.strtab_off + 1, img.shstrtab)
    return b


def no_xen_guest(img):
    b = img.copy()
    replace_once(b, img.strtab_off, img.strtab_off + img.strtab_size,
                 GUEST_SECTION + b"\0", b"__xen_guesz\0")
    return b


def wrong_guest_os(img):
    b = img.copy()
    replace_once(b, img.guest_off, img.guest_off + img.guest_size,
                 b"GUEST_OS=linux", b"GUEST_OS=bsdxx")
    return b


def wrong_xen_ver(img):
    b = img.copy()
    replace_once(b, img.guest_off, img.guest_off + img.guest_size,
                 b"XEN_VER=1.3", b"XEN_VER=2.0")
    return b


def unterminated_guest_string(img):
    # Every NUL inside the section becomes ','; sh_size is unchanged, so
    # the section still ends where it did, right before the next NUL in the
    # file (the first byte of the null symbol in .symtab). A reader that
    # overruns the section by one byte finds a terminated string.
    b = img.copy()
    for i in range(img.guest_off, img.guest_off + img.guest_size):
        if b[i] == 0:
            b[i] = ord(",")
    if img.guest_off + img.guest_size >= len(b) or b[img.guest_off + img.guest_size] != 0:
        raise Bad("__xen_guest is not followed by a NUL")
    return b


def guest_section_past_end(img):
    b = img.copy()
    put(b, SH_SIZE, len(b) - img.guest_off + 1, img.guest)
    return b


def segment_past_end(img):
    # The data segment's file part grows to one byte past the end of the
    # file; it stays within p_memsz.
    b = img.copy()
    ph = img.load[1]
    filesz = len(b) - get(b, P_OFFSET, ph) + 1
    if filesz > get(b, P_MEMSZ, ph):
        raise Bad("data segment's p_memsz too small for segment-past-end")
    put(b, P_FILESZ, filesz, ph)
    return b


def filesz_gt_memsz(img):
    # The text segment's file part one byte longer than its memory part;
    # the byte is still in the file and the kernel's extent is unchanged.
    b = img.copy()
    ph = img.load[0]
    put(b, P_FILESZ, get(b, P_MEMSZ, ph) + 1, ph)
    if get(b, P_OFFSET, ph) + get(b, P_FILESZ, ph) > len(b):
        raise Bad("text segment at the end of the file")
    return b


def overlapping_segments(img):
    # The data segment moves down a whole number of pages (so p_vaddr stays
    # congruent to p_offset modulo p_align) onto the text segment's page.
    b = img.copy()
    text, data = img.load[0], img.load[1]
    delta = get(b, P_VADDR, data) - get(b, P_VADDR, text)
    delta -= delta % 0x1000
    if delta == 0:
        raise Bad("segments already share a page")
    for field in (P_VADDR, P_PADDR):
        put(b, field, get(b, field, data) - delta, data)
    return b


def entry_outside_kernel(img):
    b = img.copy()
    put(b, E_ENTRY, img.kern_start - 0x1000)
    return b


def entry_past_end(img):
    b = img.copy()
    put(b, E_ENTRY, img.kern_end + 0x1000)
    return b


def vaddr_overflow(img):
    # The last segment's memory part ends 4 KiB past 2^32.
    b = img.copy()
    ph = img.load[-1]
    put(b, P_MEMSZ, (1 << 32) - get(b, P_VADDR, ph) + 0x1000, ph)
    return b


def offset_overflow(img):
    # The data segment's p_offset moves to the last page below 2^32, keeping
    # its offset in the page, so p_offset + p_filesz (more than a page) wraps.
    b = img.copy()
    ph = img.load[1]
    offset = 0xFFFFF000 | (get(b, P_OFFSET, ph) & 0xFFF)
    if offset + get(b, P_FILESZ, ph) < 1 << 32:
        raise Bad("data segment's file part smaller than a page")
    put(b, P_OFFSET, offset, ph)
    return b


def no_loadable_segments(img):
    b = img.copy()
    for ph in img.load:
        put(b, P_FLAGS, PF_R, ph)
    return b


def phentsize_wrong(img):
    b = img.copy()
    put(b, E_PHENTSIZE, 40)
    return b


def huge_bss(img):
    b = img.copy()
    put(b, P_MEMSZ, HUGE_MEMSZ, img.load[-1])
    return b


def near_hypervisor_hole(img):
    # Every loadable segment, the entry and the allocated sections' addresses
    # move by the same whole number of pages.
    b = img.copy()
    delta = NEAR_HOLE_BASE - img.kern_start
    if delta % 0x1000 or img.kern_end + delta > 0xFC000000:
        raise Bad("kernel too large for near-hypervisor-hole")
    for ph in img.load:
        for field in (P_VADDR, P_PADDR):
            put(b, field, get(b, field, ph) + delta, ph)
    put(b, E_ENTRY, img.entry + delta)
    for i in range(img.shnum):
        sh = img.shdr(i)
        if get(b, SH_FLAGS, sh) & SHF_ALLOC:
            put(b, SH_ADDR, get(b, SH_ADDR, sh) + delta, sh)
    return b


def gzip_corrupt(img):
    # Flip a byte in the middle of the deflate stream. Most flips only
    # change what the Huffman codes decode to, which the CRC catches; take
    # the first from the middle on that zlib's inflate (what pvbuild uses)
    # refuses as data, so the error is the stream's, not the trailer's.
    # GNU gzip's own inflate does not check distances against the output
    # so far, and reports a CRC error on this file instead.
    b = gz(img.data)
    stream_start, stream_end = 10, len(b) - 8
    for at in range((stream_start + stream_end) // 2, stream_end):
        bad = bytearray(b)
        bad[at] ^= 0xFF
        try:
            zlib.decompressobj(-zlib.MAX_WBITS).decompress(bytes(bad[stream_start:stream_end]))
        except zlib.error:
            return bad
    raise Bad("no byte flip breaks the deflate stream")


def gzip_truncated(img):
    b = gz(img.data)
    return b[:len(b) // 2]


def gzip_trailer_lies(img):
    # ISIZE says half the real size: a reader that sizes its buffer by it
    # and stops there gets half an image.
    b = gz(img.data)
    put(b, len(b) - 4, len(img.data) // 2)
    return b


def gzip_trailer_huge(img):
    # ISIZE says 4 GiB - 1: a reader that allocates what it says asks for 4 GiB.
    b = gz(img.data)
    put(b, len(b) - 4, 0xFFFFFFFF)
    return b


def gzip_crc_wrong(img):
    b = gz(img.data)
    put(b, len(b) - 8, get(b, len(b) - 8) ^ 1)
    return b


CASES = [
    ("not-elf", not_elf),
    ("truncated", truncated),
    ("truncated-after-ehdr", truncated_after_ehdr),
    ("phdrs-past-end", phdrs_past_end),
    ("shdrs-past-end", shdrs_past_end),
    ("no-shstrtab", no_shstrtab),
    ("shstrndx-out-of-range", shstrndx_out_of_range),
    ("name-outside-shstrtab", name_outside_shstrtab),
    ("shstrtab-past-end", shstrtab_past_end),
    ("no-xen-guest", no_xen_guest),
    ("wrong-guest-os", wrong_guest_os),
    ("wrong-xen-ver", wrong_xen_ver),
    ("unterminated-guest-string", unterminated_guest_string),
    ("guest-section-past-end", guest_section_past_end),
    ("segment-past-end", segment_past_end),
    ("filesz-gt-memsz", filesz_gt_memsz),
    ("overlapping-segments", overlapping_segments),
    ("entry-outside-kernel", entry_outside_kernel),
    ("entry-past-end", entry_past_end),
    ("vaddr-overflow", vaddr_overflow),
    ("offset-overflow", offset_overflow),
    ("no-loadable-segments", no_loadable_segments),
    ("phentsize-wrong", phentsize_wrong),
    ("huge-bss", huge_bss),
    ("near-hypervisor-hole", near_hypervisor_hole),
    ("gzip-corrupt", gzip_corrupt),
    ("gzip-truncated", gzip_truncated),
    ("gzip-trailer-lies", gzip_trailer_lies),
    ("gzip-trailer-huge", gzip_trailer_huge),
    ("gzip-crc-wrong", gzip_crc_wrong),
]


def main(argv):
    if len(argv) != 3:
        print("usage: %s GOOD_ELF OUTDIR" % PROG, file=sys.stderr)
        sys.exit(2)
    good, outdir = argv[1], argv[2]
    try:
        with open(good, "rb") as f:
            img = Image(f.read())
    except OSError as e:
        sys.exit("%s: %s: %s" % (PROG, good, e.strerror))
    except Bad as e:
        sys.exit("%s: %s: %s" % (PROG, good, e))
    # Make every case before writing any, so a bad input leaves no files.
    out = []
    try:
        for name, make in CASES:
            data = bytes(make(img))
            if data == img.data:
                raise Bad("case %s changed nothing" % name)
            out.append((name, data))
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
