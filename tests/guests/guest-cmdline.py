#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""guest-cmdline.py PAGES [INITRD]: the command line a self-checking test
guest (x64-guest.c, check32.c) checks itself against:

    expect_pages=PAGES initrd_len=N [initrd_sum=HEX] cmdline_sum=HEX

initrd_sum is the FNV-1a (32 bits) of the bytes the guest gets, gunzipped
as the builder does; cmdline_sum that of everything before it. Used by
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
    if len(sys.argv) not in (2, 3) or not sys.argv[1].isdigit():
        sys.stderr.write("usage: guest-cmdline.py PAGES [INITRD]\n")
        return 2
    parts = ["expect_pages=%s" % sys.argv[1]]
    if len(sys.argv) > 2:
        with open(sys.argv[2], "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        parts += ["initrd_len=%d" % len(data), "initrd_sum=%08x" % fnv(data)]
    else:
        parts += ["initrd_len=0"]
    base = " ".join(parts)
    print(base + " cmdline_sum=%08x" % fnv(base.encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
