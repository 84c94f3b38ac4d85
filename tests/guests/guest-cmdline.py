#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""guest-cmdline.py [--vcpus N] [--special] PAGES [INITRD]: the command
line a self-checking test guest (x64-guest.c, check32.c, pvh-guest.c)
checks itself against:

    expect_pages=PAGES initrd_len=N [initrd_sum=HEX] [expect_vcpus=N]
    [expect_special=1] cmdline_sum=HEX

initrd_sum is the FNV-1a (32 bits) of the bytes the guest gets, gunzipped
as the builder does; cmdline_sum that of everything before it;
expect_vcpus (the PVH guest's, which counts its MADT's CPUs) with --vcpus;
expect_special (the PVH guest's: check the HVM special pages) with
--special. Used by
tests/boot.bats and make demo.
"""
import gzip
import sys


def fnv(b):
    h = 0x811C9DC5
    for x in b:
        h = ((h ^ x) * 0x01000193) & 0xFFFFFFFF
    return h


def main():
    args = sys.argv[1:]
    vcpus = None
    special = False
    if args[:1] == ["--vcpus"] and len(args) > 1 and args[1].isdigit():
        vcpus = args[1]
        args = args[2:]
    if args[:1] == ["--special"]:
        special = True
        args = args[1:]
    if len(args) not in (1, 2) or not args[0].isdigit():
        sys.stderr.write("usage: guest-cmdline.py [--vcpus N] [--special] "
                         "PAGES [INITRD]\n")
        return 2
    parts = ["expect_pages=%s" % args[0]]
    if len(args) > 1:
        with open(args[1], "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        parts += ["initrd_len=%d" % len(data), "initrd_sum=%08x" % fnv(data)]
    else:
        parts += ["initrd_len=0"]
    if vcpus is not None:
        parts += ["expect_vcpus=%s" % vcpus]
    if special:
        parts += ["expect_special=1"]
    base = " ".join(parts)
    print(base + " cmdline_sum=%08x" % fnv(base.encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
