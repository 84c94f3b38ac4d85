#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Derive malformed kernel images from the good xen-3.0 test guests.

usage: mkbad3.py X64_ELF PAE_ELF OUTDIR

X64_ELF is build/guests/x64-basic.elf (tests/guests/x64-kernel.ld), an
ELF64 x86_64 image; PAE_ELF is build/guests/pae-basic.elf
(tests/guests/pae-kernel.ld), an ELF32 i386 image whose last note is
PAE_MODE "yes". Each has one PT_NOTE segment that is exactly the SHT_NOTE
section .note.Xen, inside the text segment, followed there by zero padding
up to the hypercall page; every note is owned by "Xen". The script checks
that it was given such images and says so if not.

OUTDIR (created if missing) gets one file per case, named after the case.
Each differs from its good image only in the way its name says, so the
error a builder reports is the one the case is for. A case that rewrites
the notes writes them back in place when they fit before the next section
(PT_NOTE's and .note.Xen's sizes follow), else appends a new note segment at
the end of the file and points the PT_NOTE program header at it, with
p_vaddr, p_paddr and p_memsz 0 as in Debian's grub-i386-xen.bin; .note.Xen
then still describes the good notes. pae-mode-overrun, which has that
shape, is a VALID image: Xen accepts it. The note types are those of
<xen/elfnote.h>.

Prints nothing on success. Exits 2 on bad arguments, 1 with one line on
stderr if an image is not what it needs (then no file is written) or an
output cannot be written.
"""

import os
import struct
import sys

PROG = "mkbad3.py"

ELFCLASS32, ELFCLASS64 = 1, 2
EM_386, EM_X86_64 = 3, 62
PT_LOAD, PT_NOTE = 1, 4
SHT_NOTE, SHT_NOBITS = 7, 8

# The notes the cases edit (<xen/elfnote.h>).
XEN_ELFNOTE_ENTRY = 1
XEN_ELFNOTE_HYPERCALL_PAGE = 2
XEN_ELFNOTE_VIRT_BASE = 3
XEN_ELFNOTE_PADDR_OFFSET = 4
XEN_ELFNOTE_XEN_VERSION = 5
XEN_ELFNOTE_GUEST_OS = 6
XEN_ELFNOTE_LOADER = 8
XEN_ELFNOTE_PAE_MODE = 9
XEN_ELFNOTE_FEATURES = 10

NUMERIC = (XEN_ELFNOTE_ENTRY, XEN_ELFNOTE_HYPERCALL_PAGE,
           XEN_ELFNOTE_VIRT_BASE, XEN_ELFNOTE_PADDR_OFFSET)
REQUIRED = NUMERIC + (XEN_ELFNOTE_XEN_VERSION, XEN_ELFNOTE_GUEST_OS,
                      XEN_ELFNOTE_FEATURES, XEN_ELFNOTE_PAE_MODE)

OWNER = b"Xen\0"
NOTE_HDR = 12

# Xen stops at ELF_MAX_TOTAL_NOTE_COUNT (65536) notes in all; too-many-notes
# adds this many to the good ones.
EXTRA_NOTES = 65536

# A type <xen/elfnote.h> does not define: VIRT_BASE's number with a high
# byte no Xen note has.
UNKNOWN_NOTE = 0x7F000003

# Field offsets and formats (System V gABI, "ELF Header", "Program Header",
# "Sections"), by ELF class.
FIELDS = {
    ELFCLASS32: {
        "e_machine": (18, "<H"), "e_entry": (24, "<I"), "e_phoff": (28, "<I"),
        "e_shoff": (32, "<I"), "e_phentsize": (42, "<H"), "e_phnum": (44, "<H"),
        "e_shentsize": (46, "<H"), "e_shnum": (48, "<H"),
        "e_shstrndx": (50, "<H"),
        "p_type": (0, "<I"), "p_offset": (4, "<I"), "p_vaddr": (8, "<I"),
        "p_paddr": (12, "<I"), "p_filesz": (16, "<I"), "p_memsz": (20, "<I"),
        "sh_name": (0, "<I"), "sh_type": (4, "<I"), "sh_offset": (16, "<I"),
        "sh_size": (20, "<I"),
        "phentsize": 32, "shentsize": 40,
    },
    ELFCLASS64: {
        "e_machine": (18, "<H"), "e_entry": (24, "<Q"), "e_phoff": (32, "<Q"),
        "e_shoff": (40, "<Q"), "e_phentsize": (54, "<H"), "e_phnum": (56, "<H"),
        "e_shentsize": (58, "<H"), "e_shnum": (60, "<H"),
        "e_shstrndx": (62, "<H"),
        "p_type": (0, "<I"), "p_offset": (8, "<Q"), "p_vaddr": (16, "<Q"),
        "p_paddr": (24, "<Q"), "p_filesz": (32, "<Q"), "p_memsz": (40, "<Q"),
        "sh_name": (0, "<I"), "sh_type": (4, "<I"), "sh_offset": (24, "<Q"),
        "sh_size": (32, "<Q"),
        "phentsize": 56, "shentsize": 64,
    },
}


class Bad(Exception):
    pass


def align4(n):
    return (n + 3) & ~3


class Note:
    """One note. namesz and descsz default to the lengths of name and desc;
    pad is the byte that pads name and desc to 4 bytes."""

    def __init__(self, ntype, desc, name=OWNER, namesz=None, descsz=None, pad=b"\0"):
        self.type = ntype
        self.desc = desc
        self.name = name
        self.namesz = namesz
        self.descsz = descsz
        self.pad = pad

    def copy(self, **kw):
        n = Note(self.type, self.desc, self.name, self.namesz, self.descsz, self.pad)
        for k, v in kw.items():
            setattr(n, k, v)
        return n

    def pack(self):
        namesz = len(self.name) if self.namesz is None else self.namesz
        descsz = len(self.desc) if self.descsz is None else self.descsz
        name = self.name + self.pad * (align4(len(self.name)) - len(self.name))
        desc = self.desc + self.pad * (align4(len(self.desc)) - len(self.desc))
        return struct.pack("<III", namesz, descsz, self.type) + name + desc


def pack_notes(notes):
    return b"".join(n.pack() for n in notes)


class Image:
    """The facts of a good image that the cases edit."""

    def __init__(self, data, elfclass, machine):
        self.data = bytes(data)
        size = len(data)
        if size < 64 or data[:4] != b"\x7fELF":
            raise Bad("not an ELF image")
        if data[4] != elfclass or data[5] != 1:
            raise Bad("not ELF%d little-endian" % (32 if elfclass == ELFCLASS32 else 64))
        self.f = FIELDS[elfclass]
        if self.get("e_machine") != machine:
            raise Bad("e_machine is not %d" % machine)
        if (self.get("e_phentsize") != self.f["phentsize"]
                or self.get("e_shentsize") != self.f["shentsize"]):
            raise Bad("unexpected program or section header size")
        self.phoff, self.phnum = self.get("e_phoff"), self.get("e_phnum")
        self.shoff, self.shnum = self.get("e_shoff"), self.get("e_shnum")
        if self.phoff + self.phnum * self.f["phentsize"] > size:
            raise Bad("program headers past the end")
        if self.shoff + self.shnum * self.f["shentsize"] > size:
            raise Bad("section headers past the end")

        self.loads = [ph for ph in self.phdrs() if self.get("p_type", ph) == PT_LOAD]
        notes = [ph for ph in self.phdrs() if self.get("p_type", ph) == PT_NOTE]
        if not self.loads or len(notes) != 1:
            raise Bad("not one PT_NOTE segment and some PT_LOAD ones")
        self.note_ph = notes[0]
        self.note_off = self.get("p_offset", self.note_ph)
        self.note_size = self.get("p_filesz", self.note_ph)
        if self.note_off == 0 or self.note_off + self.note_size > size:
            raise Bad("note segment not inside the file")

        shstr = self.shdr(self.get("e_shstrndx"))
        shstr_off = self.get("sh_offset", shstr)
        self.note_sh = None
        for i in range(self.shnum):
            sh = self.shdr(i)
            if self.get("sh_type", sh) != SHT_NOTE:
                continue
            name_off = shstr_off + self.get("sh_name", sh)
            if data[name_off:data.index(b"\0", name_off)] == b".note.Xen":
                self.note_sh = sh
        if (self.note_sh is None or self.get("sh_offset", self.note_sh) != self.note_off
                or self.get("sh_size", self.note_sh) != self.note_size):
            raise Bad("PT_NOTE is not exactly the section .note.Xen")

        # Where rewritten notes may grow to in place: up to the next section
        # in the file or the end of the text segment's file part.
        self.room_end = size
        for ph in self.loads:
            off = self.get("p_offset", ph)
            end = off + self.get("p_filesz", ph)
            if off <= self.note_off < end:
                self.room_end = min(self.room_end, end)
        for i in range(self.shnum):
            sh = self.shdr(i)
            off = self.get("sh_offset", sh)
            if self.get("sh_type", sh) != SHT_NOBITS and off > self.note_off:
                self.room_end = min(self.room_end, off)
        if any(data[self.note_off + self.note_size:self.room_end]):
            raise Bad("the bytes after the notes are not zero padding")

        self.notes, self.note_at = self.parse_notes()
        self.by_type = {}
        for n in self.notes:
            if n.type in self.by_type:
                raise Bad("note type %d twice" % n.type)
            self.by_type[n.type] = n
        for t in REQUIRED:
            if t not in self.by_type:
                raise Bad("no note of type %d" % t)
        for t in NUMERIC:
            if len(self.by_type[t].desc) != (4 if elfclass == ELFCLASS32 else 8):
                raise Bad("numeric note %d is not a word long" % t)

        # The kernel's extent as a Xen builder computes it from the notes.
        virt_base = self.numeric(XEN_ELFNOTE_VIRT_BASE)
        paddr_offset = self.numeric(XEN_ELFNOTE_PADDR_OFFSET)
        starts = [self.get("p_paddr", ph) - paddr_offset + virt_base for ph in self.loads]
        self.kern_start = min(starts)
        self.kern_end = max(s + self.get("p_memsz", ph) for s, ph in zip(starts, self.loads))
        if self.kern_start != min(self.get("p_vaddr", ph) for ph in self.loads):
            raise Bad("load address is not the link address")
        for t in (XEN_ELFNOTE_ENTRY, XEN_ELFNOTE_HYPERCALL_PAGE):
            if not self.kern_start <= self.numeric(t) < self.kern_end:
                raise Bad("note %d outside the kernel" % t)

    def get(self, field, base=0):
        off, fmt = self.f[field]
        return struct.unpack_from(fmt, self.data, base + off)[0]

    def phdrs(self):
        return [self.phoff + i * self.f["phentsize"] for i in range(self.phnum)]

    def shdr(self, i):
        return self.shoff + i * self.f["shentsize"]

    def parse_notes(self):
        notes, at = [], []
        off, end = self.note_off, self.note_off + self.note_size
        while off < end:
            if off + NOTE_HDR > end:
                raise Bad("note header past the note segment")
            namesz, descsz, ntype = struct.unpack_from("<III", self.data, off)
            name_at = off + NOTE_HDR
            desc_at = name_at + align4(namesz)
            next_at = desc_at + align4(descsz)
            if next_at > end:
                raise Bad("note past the note segment")
            if self.data[name_at:name_at + namesz] != OWNER:
                raise Bad("note not owned by Xen")
            notes.append(Note(ntype, self.data[desc_at:desc_at + descsz]))
            at.append(off)
            off = next_at
        return notes, at

    def numeric(self, ntype):
        return int.from_bytes(self.by_type[ntype].desc, "little")

    def word(self, value):
        return value.to_bytes(len(self.by_type[XEN_ELFNOTE_VIRT_BASE].desc), "little")

    def copy(self):
        return bytearray(self.data)

    def put(self, buf, field, value, base=0):
        off, fmt = self.f[field]
        struct.pack_into(fmt, buf, base + off, value)

    def replaced(self, ntype, **kw):
        """The good notes with the one of type ntype changed as kw says."""
        return [n.copy(**kw) if n.type == ntype else n for n in self.notes]

    def in_place(self, notes):
        """The image with its notes rewritten where they were."""
        blob = pack_notes(notes)
        if self.note_off + len(blob) > self.room_end:
            raise Bad("rewritten notes do not fit in place")
        b = self.copy()
        b[self.note_off:self.room_end] = blob + bytes(self.room_end - self.note_off - len(blob))
        for field in ("p_filesz", "p_memsz"):
            self.put(b, field, len(blob), self.note_ph)
        self.put(b, "sh_size", len(blob), self.note_sh)
        return b

    def appended(self, blob):
        """The image with blob appended (from a 4-byte boundary) as its note
        segment, the last thing in the file."""
        b = self.copy()
        b += bytes(align4(len(b)) - len(b))
        off = len(b)
        b += blob
        self.put(b, "p_offset", off, self.note_ph)
        for field in ("p_vaddr", "p_paddr", "p_memsz"):
            self.put(b, field, 0, self.note_ph)
        self.put(b, "p_filesz", len(blob), self.note_ph)
        return b


def string_last(notes, ntype):
    """notes with the one of type ntype moved to the end."""
    return [n for n in notes if n.type != ntype] + [n for n in notes if n.type == ntype]


# Each case takes the good image and returns the bad bytes.

def note_header_past_segment(img):
    # p_filesz (and p_memsz) end 6 bytes into the last note's 12-byte
    # header; the bytes after it are unchanged, and .note.Xen is whole.
    b = img.copy()
    cut = img.note_at[-1] + NOTE_HDR // 2 - img.note_off
    for field in ("p_filesz", "p_memsz"):
        img.put(b, field, cut, img.note_ph)
    return b


def note_name_past_segment(img):
    # The first note's namesz: 32-bit sums of offset and size wrap.
    b = img.copy()
    struct.pack_into("<I", b, img.note_at[0], 0xFFFFFFF0)
    return b


def note_desc_past_file(img):
    # VIRT_BASE's descsz reaches 8 bytes past the end of the file.
    b = img.copy()
    i = [n.type for n in img.notes].index(XEN_ELFNOTE_VIRT_BASE)
    desc_at = img.note_at[i] + NOTE_HDR + align4(len(OWNER))
    struct.pack_into("<I", b, img.note_at[i] + 4, len(b) - desc_at + 8)
    return b


def string_note_unterminated(img):
    # GUEST_OS last, descsz 5 for "linux" and no NUL, padded with 0xff:
    # the file ends with the padding, so no NUL follows the string.
    notes = string_last(img.notes, XEN_ELFNOTE_GUEST_OS)
    notes[-1] = notes[-1].copy(desc=img.by_type[XEN_ELFNOTE_GUEST_OS].desc.rstrip(b"\0"),
                               pad=b"\xff")
    return img.appended(pack_notes(notes))


def numeric_note_short(img):
    # VIRT_BASE with descsz 3; its fourth byte becomes zero padding, so the
    # notes keep their size and place.
    desc = img.by_type[XEN_ELFNOTE_VIRT_BASE].desc
    return img.in_place(img.replaced(XEN_ELFNOTE_VIRT_BASE, desc=desc[:3]))


def too_many_notes(img):
    # EXTRA_NOTES empty notes of owner "T", then the good notes. Xen stops
    # at its cap and marks the image broken, but only warns about that, so
    # with the good notes first it would build the domain; after the cap it
    # finds no Xen notes (nor, as the count is shared, through .note.Xen).
    extra = Note(0, b"", name=b"T\0").pack()
    return img.appended(extra * EXTRA_NOTES + pack_notes(img.notes))


def duplicate_note_conflict(img):
    # A second VIRT_BASE, 16 MiB higher, after the good notes.
    second = Note(XEN_ELFNOTE_VIRT_BASE,
                  img.word(img.numeric(XEN_ELFNOTE_VIRT_BASE) + 0x1000000))
    return img.in_place(img.notes + [second])


def xen_version_wrong(img):
    return img.in_place(img.replaced(XEN_ELFNOTE_XEN_VERSION, desc=b"xen-2.0\0"))


def loader_and_os_wrong(img):
    if XEN_ELFNOTE_LOADER in img.by_type:
        raise Bad("a LOADER note already")
    return img.in_place(img.replaced(XEN_ELFNOTE_GUEST_OS, desc=b"bsd\0"))


def required_feature(img, feature):
    old = img.by_type[XEN_ELFNOTE_FEATURES].desc.rstrip(b"\0")
    return img.in_place(img.replaced(XEN_ELFNOTE_FEATURES, desc=old + b"|!" + feature + b"\0"))


def required_feature_autotranslate(img):
    return required_feature(img, b"auto_translated_physmap")


def required_feature_unknown(img):
    return required_feature(img, b"no_such_feature")


def machine_contradicts(img):
    b = img.copy()
    img.put(b, "e_machine", EM_386)
    return b


def pae_no(img):
    return img.in_place(img.replaced(XEN_ELFNOTE_PAE_MODE, desc=b"no\0"))


def outside(img):
    # A page below VIRT_BASE: outside the kernel and outside any region a
    # builder lays out from VIRT_BASE up (Xen's dom0 builder checks the
    # hypercall page only against the whole bootstrap region).
    return img.word(img.numeric(XEN_ELFNOTE_VIRT_BASE) - 0x1000)


def entry_outside(img):
    return img.in_place(img.replaced(XEN_ELFNOTE_ENTRY, desc=outside(img)))


def hypercall_outside(img):
    return img.in_place(img.replaced(XEN_ELFNOTE_HYPERCALL_PAGE, desc=outside(img)))


def paddr_offset_without_virt_base(img):
    return img.in_place(img.replaced(XEN_ELFNOTE_VIRT_BASE, type=UNKNOWN_NOTE))


def pae_mode_overrun(img):
    # Valid, shaped like Debian's grub-i386-xen.bin: PAE_MODE last, descsz
    # 12 (the length of "yes,bimodal\0"), the file ending right after
    # "yes\0", the note segment the last thing in the file.
    if img.notes[-1].type != XEN_ELFNOTE_PAE_MODE or img.notes[-1].desc != b"yes\0":
        raise Bad('the last note is not PAE_MODE "yes"')
    notes = img.notes[:-1] + [img.notes[-1].copy(descsz=12)]
    return img.appended(pack_notes(notes))


# (name, which image: 0 X64_ELF, 1 PAE_ELF, maker)
CASES = [
    ("note-header-past-segment", 0, note_header_past_segment),
    ("note-name-past-segment", 0, note_name_past_segment),
    ("note-desc-past-file", 0, note_desc_past_file),
    ("string-note-unterminated", 0, string_note_unterminated),
    ("numeric-note-short", 1, numeric_note_short),
    ("too-many-notes", 0, too_many_notes),
    ("duplicate-note-conflict", 0, duplicate_note_conflict),
    ("xen-version-wrong", 0, xen_version_wrong),
    ("loader-and-os-wrong", 0, loader_and_os_wrong),
    ("required-feature-autotranslate", 0, required_feature_autotranslate),
    ("required-feature-unknown", 0, required_feature_unknown),
    ("machine-contradicts", 0, machine_contradicts),
    ("pae-no", 1, pae_no),
    ("entry-outside", 0, entry_outside),
    ("hypercall-outside", 1, hypercall_outside),
    ("paddr-offset-without-virt-base", 1, paddr_offset_without_virt_base),
    ("pae-mode-overrun", 1, pae_mode_overrun),
]


def main(argv):
    if len(argv) != 4:
        print("usage: %s X64_ELF PAE_ELF OUTDIR" % PROG, file=sys.stderr)
        sys.exit(2)
    outdir = argv[3]
    imgs = []
    for path, elfclass, machine in ((argv[1], ELFCLASS64, EM_X86_64),
                                    (argv[2], ELFCLASS32, EM_386)):
        try:
            with open(path, "rb") as f:
                imgs.append(Image(f.read(), elfclass, machine))
        except OSError as e:
            sys.exit("%s: %s: %s" % (PROG, path, e.strerror))
        except Bad as e:
            sys.exit("%s: %s: %s" % (PROG, path, e))
    # Make every case before writing any, so a bad input leaves no files.
    out = []
    for name, which, make in CASES:
        try:
            data = bytes(make(imgs[which]))
            if data == imgs[which].data:
                raise Bad("case %s changed nothing" % name)
        except Bad as e:
            sys.exit("%s: %s: %s: %s" % (PROG, argv[1 + which], name, e))
        out.append((name, data))
    try:
        os.makedirs(outdir, exist_ok=True)
        for name, data in out:
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(data)
    except OSError as e:
        sys.exit("%s: %s: %s" % (PROG, e.filename or outdir, e.strerror))


if __name__ == "__main__":
    main(sys.argv)
