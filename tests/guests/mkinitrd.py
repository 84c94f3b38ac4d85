#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Write the initrd fixture of the pvbuild tests.

usage: mkinitrd.py SIZE OUT

OUT gets SIZE bytes of text: line i (32 bytes) is the first 31 hex digits of
SHA-256 of b"pvbuild-initrd" followed by i as 4 bytes little-endian, and a
newline; the last line is cut short. The bytes are the same on every run,
every page differs from every other (a page placed at the wrong pfn shows),
and gzip has real work to do on them (hex digits compress by about half).
"""

import hashlib
import struct
import sys


def initrd_bytes(size):
    lines = []
    for i in range((size + 31) // 32):
        digest = hashlib.sha256(b"pvbuild-initrd" + struct.pack("<I", i))
        lines.append(digest.hexdigest()[:31].encode("ascii") + b"\n")
    return b"".join(lines)[:size]


def main(argv):
    if len(argv) != 3 or not argv[1].isdigit():
        sys.exit("usage: mkinitrd.py SIZE OUT")
    with open(argv[2], "wb") as f:
        f.write(initrd_bytes(int(argv[1])))


if __name__ == "__main__":
    main(sys.argv)
