#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Write small PVH kernel images, a good one and its malformed kin.

usage: mkpvh.py OUTDIR

Every image is an ELF32 i386 file made here from nothing but this
script: two PT_LOAD segments whose p_vaddr (0xc0100000...) differs from
their p_paddr (0x100000...), so that a builder which loads at the wrong
address shows it, the second with a bss; and one PT_NOTE segment with a
Xen XEN_ELFNOTE_PHYS32_ENTRY note (type 18 of <xen/elfnote.h>). No
section headers. The bytes of the segments are a pattern the tests
recompute.

OUTDIR (created if missing) gets:

  good.elf            the good image: entry 0x100010, a 4-byte note
  good-note8.elf      the same with an 8-byte note, as 64-bit Linux has
  no-phys32.elf       a Xen note, but not PHYS32_ENTRY (GUEST_OS)
  note-size-2.elf     PHYS32_ENTRY with a 2-byte description
  entry-outside.elf   PHYS32_ENTRY 0x200000, past the loaded kernel
  entry-above-4g.elf  an 8-byte PHYS32_ENTRY of 0x100000010
  overlap.elf         the second segment starts inside the first
  in-hole.elf         the second segment at 0xfbfff000, into the hole
                      below 4 GiB at 0xfc000000

Prints nothing on success; exits 2 on bad arguments.
"""
import os
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W, PF_R = 1, 2, 4
PHYS32_ENTRY, GUEST_OS = 18, 6

TEXT_PADDR, TEXT_OFF, TEXT_SIZE = 0x100000, 0x1000, 0x1800
DATA_PADDR, DATA_OFF, DATA_FILESZ, DATA_MEMSZ = 0x102000, 0x3000, 0x100, 0x3000
VIRT = 0xc0000000
ENTRY = 0x100010
NOTE_OFF = 0x100


def pattern(paddr, n):
    """The bytes the tests expect at guest-physical paddr: a function of
    the address alone."""
    return bytes(((a >> 3) ^ (a * 7)) & 0xff for a in range(paddr, paddr + n))


def note(ntype, desc):
    name = b"Xen\0"
    pad = (-len(desc)) % 4
    return struct.pack("<III", len(name), len(desc), ntype) + name + \
        desc + b"\0" * pad


def image(notes, data_paddr=DATA_PADDR):
    ehdr_size, phdr_size, nph = 52, 32, 3
    phdrs = [
        (PT_LOAD, TEXT_OFF, VIRT + TEXT_PADDR, TEXT_PADDR, TEXT_SIZE,
         TEXT_SIZE, PF_R | PF_X, 0x1000),
        (PT_LOAD, DATA_OFF, (VIRT + data_paddr) & 0xffffffff, data_paddr, DATA_FILESZ,
         DATA_MEMSZ, PF_R | PF_W, 0x1000),
        (PT_NOTE, NOTE_OFF, 0, 0, len(notes), len(notes), PF_R, 4),
    ]
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + b"\0" * 8
    ehdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, VIRT + ENTRY,
                               ehdr_size, 0, 0, ehdr_size, phdr_size, nph,
                               40, 0, 0)
    out = bytearray(DATA_OFF + DATA_FILESZ)
    out[0:len(ehdr)] = ehdr
    for i, p in enumerate(phdrs):
        off = ehdr_size + i * phdr_size
        out[off:off + phdr_size] = struct.pack("<IIIIIIII", *p)
    out[NOTE_OFF:NOTE_OFF + len(notes)] = notes
    out[TEXT_OFF:TEXT_OFF + TEXT_SIZE] = pattern(TEXT_PADDR, TEXT_SIZE)
    out[DATA_OFF:DATA_OFF + DATA_FILESZ] = pattern(data_paddr, DATA_FILESZ)
    return bytes(out)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: mkpvh.py OUTDIR\n")
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    e4 = note(PHYS32_ENTRY, struct.pack("<I", ENTRY))
    cases = {
        "good.elf": image(e4),
        "good-note8.elf": image(note(PHYS32_ENTRY, struct.pack("<Q", ENTRY))),
        "no-phys32.elf": image(note(GUEST_OS, b"linux\0")),
        "note-size-2.elf": image(note(PHYS32_ENTRY, struct.pack("<H", 0x10))),
        "entry-outside.elf": image(note(PHYS32_ENTRY,
                                        struct.pack("<I", 0x200000))),
        "entry-above-4g.elf": image(note(PHYS32_ENTRY,
                                         struct.pack("<Q", (1 << 32) + 0x10))),
        "overlap.elf": image(e4, data_paddr=TEXT_PADDR + 0x1000),
        "in-hole.elf": image(e4, data_paddr=0xfbfff000),
    }
    for name, data in cases.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
