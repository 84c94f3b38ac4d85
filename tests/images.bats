#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Kernel images in every form elfinfo reads: plain ELF, ELF compressed whole
# (gzip, bzip2, xz, lzma, lzo, lz4 in both frames, zstd), and Linux bzImages
# with each kind of payload; and the malformed ones, each refused with one
# line naming the file and what is wrong. The fixtures are made by
# tests/mkcompressed.py into build/compressed/ (make guests).
bats_require_minimum_version 1.5.0
load helper

C=$TOP/build/compressed

setup() {
	T=$BATS_TEST_TMPDIR
}

# Where mkcompressed.py puts a bzImage's payload: (setup_sects + 1) * 512
# bytes of boot sector and setup code, then 0x180 bytes of stand-in
# decompressor (payload_offset).
BZ_PAYLOAD=$(((3 + 1) * 512 + 0x180))
BZ_PAYLOAD_SECTS0=$(((4 + 1) * 512 + 0x180))

# The elfinfo plan of FILE has the kernel facts of plain basic.elf and an
# image member saying how FILE was read:
#   same_kernel FILE COMPRESSION CONTAINER PAYLOAD_OFFSET PAYLOAD_SIZE
same_kernel() {
	local file=$1
	run -0 --separate-stderr "$BIN/elfinfo" "$GUESTS/basic.elf"
	echo "$output" >"$T/plain.json"
	run -0 --separate-stderr "$BIN/elfinfo" "$file"
	[ -z "$stderr" ]
	echo "$output" >"$T/got.json"
	"$PY" - "$T/plain.json" "$T/got.json" "$@" <<'EOF'
import hashlib, json, os, sys
plain, got, path, compression, container, poff, psize = sys.argv[1:]
a = json.load(open(plain))["elfinfo"]
b = json.load(open(got))["elfinfo"]
for k in ("abi", "arch", "paging_levels", "guest_info", "kernel_start",
          "kernel_end", "entry", "segments"):
    assert a[k] == b[k], "%s: %r, plain basic.elf has %r" % (k, b[k], a[k])
img = b["image"]
raw = open(path, "rb").read()
want = {
    "path": os.path.realpath(path),
    "size": len(raw),
    "sha256": hashlib.sha256(raw).hexdigest(),
    "compression": compression,
    "container": container,
    "payload_offset": int(poff),
    "payload_size": int(psize),
    "elf_size": a["image"]["elf_size"],
    # The same ELF, whatever it came in.
    "elf_sha256": a["image"]["sha256"],
}
assert img == want, "image is %r, want %r" % (img, want)
EOF
}

# A whole compressed file: container "file", no payload range.
same_as_file() {
	same_kernel "$1" "$2" file 0 0
}

# A bzImage from mkcompressed.py: the payload runs from BZ_PAYLOAD to the
# end of the file.
same_as_bzimage() {
	local file=$1 compression=$2 at=${3:-$BZ_PAYLOAD}
	same_kernel "$file" "$compression" bzimage "$at" \
		$(($(stat -c %s "$file") - at))
}

# A malformed image refused: exit 1, nothing on stdout, exactly one line on
# stderr, "elfinfo: FILE: " then MESSAGE. refused FILE MESSAGE [OPTIONS...]
refused() {
	local file=$1 message=$2
	shift 2
	run -1 --separate-stderr "$BIN/elfinfo" "$@" "$file"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "elfinfo: $file: "
	assert_stderr --partial "$message"
}

# --- Plain and whole-file compressed ELF ---

@test "plain ELF: container file, compression none, no payload range" {
	same_as_file "$GUESTS/basic.elf" none
}

@test "gzip'd ELF (.gz) reads as plain basic.elf, compression gzip" {
	same_as_file "$C/basic.elf.gz" gzip
}

@test "bzip2'd ELF (.bz2) reads as plain basic.elf, compression bzip2" {
	same_as_file "$C/basic.elf.bz2" bzip2
}

@test "xz'd ELF (.xz) reads as plain basic.elf, compression xz" {
	same_as_file "$C/basic.elf.xz" xz
}

@test "lzma'd ELF (.lzma, the legacy 'alone' format) reads as plain basic.elf, compression lzma" {
	same_as_file "$C/basic.elf.lzma" lzma
}

@test "lzop'd ELF (.lzo) reads as plain basic.elf, compression lzo" {
	same_as_file "$C/basic.elf.lzo" lzo
}

@test "lz4'd ELF in the LZ4 frame (04 22 4d 18) reads as plain basic.elf, compression lz4" {
	same_as_file "$C/basic.elf.lz4" lz4
}

@test "lz4'd ELF in the legacy frame (lz4 -l, 02 21 4c 18) reads as plain basic.elf, compression lz4" {
	same_as_file "$C/basic.elf.lz4legacy" lz4
}

@test "zstd'd ELF (.zst) reads as plain basic.elf, compression zstd" {
	same_as_file "$C/basic.elf.zst" zstd
}

@test "magic decides, not the name: a .xz renamed .gz is read as xz" {
	cp "$C/basic.elf.xz" "$T/kernel.gz"
	same_as_file "$T/kernel.gz" xz
}

@test "concatenated xz streams with stream padding between them decompress as one" {
	# basic.elf split in two, each half its own stream, 8 null bytes of
	# padding between: xz -d gives basic.elf back.
	local n
	n=$(stat -c %s "$GUESTS/basic.elf")
	{ head -c $((n / 2)) "$GUESTS/basic.elf" | xz -c
	  printf '\0\0\0\0\0\0\0\0'
	  tail -c +$((n / 2 + 1)) "$GUESTS/basic.elf" | xz -c; } >"$T/k.xz"
	same_as_file "$T/k.xz" xz
}

@test "concatenated zstd frames, bzip2 streams and lz4 frames decompress as one" {
	local n tool
	n=$(stat -c %s "$GUESTS/basic.elf")
	for tool in "zstd -q -c" "bzip2 -c" "lz4 -q -c" "lz4 -q -l -c"; do
		{ head -c $((n / 2)) "$GUESTS/basic.elf" | $tool
		  tail -c +$((n / 2 + 1)) "$GUESTS/basic.elf" | $tool; } >"$T/k"
		"$BIN/elfinfo" "$T/k" >"$T/k.json"
		"$PY" -c 'import json,sys; i=json.load(open(sys.argv[1]))["elfinfo"]["image"]
assert i["elf_size"] == int(sys.argv[2]), i' "$T/k.json" "$n"
	done
}

# --- bzImages ---

@test "bzImage with a gzip payload (ISIZE is its size trailer) reads as plain basic.elf" {
	same_as_bzimage "$C/bzimage-gzip" gzip
}

@test "bzImage with a bzip2 payload and a size trailer reads as plain basic.elf" {
	same_as_bzimage "$C/bzimage-bzip2" bzip2
}

@test "bzImage with an xz payload (x86 BCJ filter, CRC32 check) reads as plain basic.elf" {
	same_as_bzimage "$C/bzimage-xz" xz
}

@test "bzImage with an lzma payload reads as plain basic.elf" {
	same_as_bzimage "$C/bzimage-lzma" lzma
}

@test "bzImage with an lzo (lzop) payload reads as plain basic.elf" {
	same_as_bzimage "$C/bzimage-lzo" lzo
}

@test "bzImage with an lz4 legacy-frame payload reads as plain basic.elf" {
	same_as_bzimage "$C/bzimage-lz4" lz4
}

@test "bzImage with a zstd payload reads as plain basic.elf" {
	same_as_bzimage "$C/bzimage-zstd" zstd
}

@test "bzImage with an uncompressed ELF payload reads as plain basic.elf, compression none" {
	same_as_bzimage "$C/bzimage-none" none
}

@test "bzImage with setup_sects 0 takes it as 4: the payload is a sector later" {
	same_as_bzimage "$C/bzimage-sects0-gzip" gzip "$BZ_PAYLOAD_SECTS0"
}

@test "every bzImage flavour and compressed file mkcompressed.py makes has a test here" {
	local f name
	for f in "$C"/basic.elf.* "$C"/bzimage-*; do
		name=$(basename "$f")
		grep -qF -- "\$C/$name\"" "$BATS_TEST_FILENAME" || {
			echo "no test for $name"
			return 1
		}
	done
}

# --- The decompression cap ---

@test "every format is refused one KiB under its size and read at the KiB above" {
	# basic.elf is between 13 KiB and 14 KiB.
	local n f
	n=$(stat -c %s "$GUESTS/basic.elf")
	[ "$n" -gt 13312 ] && [ "$n" -le 14336 ]
	for f in "$C"/basic.elf.* "$C"/bzimage-*; do
		[ "$f" = "$C/bzimage-none" ] && continue
		refused "$f" "decompresses past the cap of 13312 bytes" --max-size 13K
		run -0 --separate-stderr "$BIN/elfinfo" --max-size 14K "$f"
	done
}

@test "a bomb (100 MiB of zeros in a few KiB of xz) is refused at the cap" {
	[ "$(stat -c %s "$C/bad-bomb.xz")" -lt 65536 ]
	refused "$C/bad-bomb.xz" "decompresses past the cap of 1048576 bytes" --max-size 1M
}

@test "a bomb inside a bzImage payload is refused at the cap too" {
	"$PY" - "$C/bad-bomb.xz" "$T/bomb-bzimage" <<'EOF'
import struct, sys
payload = open(sys.argv[1], "rb").read() + struct.pack("<I", 100 << 20)
setup = bytearray(4 * 512)
setup[0x1f1] = 3
setup[0x202:0x206] = b"HdrS"
struct.pack_into("<H", setup, 0x206, 0x020f)
struct.pack_into("<II", setup, 0x248, 0, len(payload))
open(sys.argv[2], "wb").write(bytes(setup) + payload)
EOF
	refused "$T/bomb-bzimage" "bzImage payload at 0x800: decompresses past the cap of 2097152 bytes" --max-size 2M
}

# --- Malformed compressed files ---

@test "truncated gzip is refused: gzip stream truncated" {
	refused "$C/bad-truncated.gz" "gzip stream truncated at input offset"
}

@test "truncated bzip2 is refused: bzip2 stream truncated" {
	refused "$C/bad-truncated.bz2" "bzip2 stream truncated at input offset"
}

@test "truncated xz is refused: xz stream truncated" {
	refused "$C/bad-truncated.xz" "xz stream truncated at input offset"
}

@test "truncated lzma is refused: lzma stream truncated" {
	refused "$C/bad-truncated.lzma" "lzma stream truncated at input offset"
}

@test "truncated lzo is refused: lzo stream truncated" {
	refused "$C/bad-truncated.lzo" "lzo stream truncated at input offset"
}

@test "truncated lz4 frame is refused: lz4 stream truncated" {
	refused "$C/bad-truncated.lz4" "lz4 stream truncated at input offset"
}

@test "truncated lz4 legacy frame (a block cut short) is refused: lz4 stream truncated" {
	refused "$C/bad-truncated.lz4legacy" "lz4 stream truncated at input offset"
}

@test "truncated zstd is refused: zstd stream truncated" {
	refused "$C/bad-truncated.zst" "zstd stream truncated at input offset"
}

@test "an lzop header cut short is refused: lzo stream truncated" {
	head -c 20 "$C/basic.elf.lzo" >"$T/k.lzo"
	refused "$T/k.lzo" "lzo stream truncated at input offset 20"
}

@test "corrupt gzip is refused, naming the input offset" {
	refused "$C/bad-corrupt.gz" "corrupt gzip data at input offset"
}

@test "corrupt bzip2 is refused, naming the input offset" {
	refused "$C/bad-corrupt.bz2" "corrupt bzip2 data at input offset"
}

@test "corrupt xz is refused, naming the input offset" {
	refused "$C/bad-corrupt.xz" "corrupt xz data at input offset"
}

@test "corrupt lzo is refused, naming the block's input offset" {
	refused "$C/bad-corrupt.lzo" "corrupt lzo data at input offset"
}

@test "corrupt lz4 (content checksum wrong) is refused" {
	refused "$C/bad-corrupt.lz4" "corrupt lz4 data at input offset"
}

@test "corrupt zstd is refused, naming the input offset" {
	refused "$C/bad-corrupt.zst" "corrupt zstd data at input offset"
}

@test "an lzop header checksum that does not match is refused" {
	# Byte 23 is in the mode field, which the header checksum covers.
	"$PY" -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[23] ^= 1
open(sys.argv[2], "wb").write(d)' "$C/basic.elf.lzo" "$T/k.lzo"
	refused "$T/k.lzo" "corrupt lzo data at input offset"
	assert_stderr --partial "header checksum mismatch"
}

@test "bytes after the xz stream are refused as trailing data" {
	refused "$C/bad-trailing.xz" "8 bytes of trailing data after the xz stream"
}

@test "bytes after the zstd, lzma and lzo streams are refused" {
	local ext name
	for ext in zst:zstd lzma:lzma lzo:lzo bz2:bzip2; do
		name=${ext#*:}
		{ cat "$C/basic.elf.${ext%%:*}"; printf 'GARBAGE!'; } >"$T/k"
		run -1 --separate-stderr "$BIN/elfinfo" "$T/k"
		assert_output ''
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == *"corrupt $name data"* || $stderr == *"trailing data after the $name stream"* ]]
	done
}

@test "an lz4 legacy block size past the largest an 8 MiB block compresses to is refused" {
	"$PY" -c 'import sys; open(sys.argv[1], "wb").write(bytes.fromhex("02214c18") + (0x7fffffff).to_bytes(4, "little") + bytes(64))' "$T/k.lz4"
	refused "$T/k.lz4" "corrupt lz4 data at input offset 4: bad legacy block size"
}

# --- Malformed bzImages ---

@test "a bzImage of boot protocol 2.07 is refused: no payload fields before 2.08" {
	refused "$C/bad-bzimage-proto-2.07" "bzImage boot protocol 2.07 is older than 2.08"
}

@test "a bzImage whose payload runs past the end of the file is refused, naming the offsets" {
	local size
	size=$(stat -c %s "$C/bad-bzimage-payload-past-end")
	refused "$C/bad-bzimage-payload-past-end" "bzImage payload [0x980, "
	assert_stderr --partial "lies past the end of the file at $(printf 0x%x "$size")"
}

@test "a bzImage payload of unknown compression is refused, naming its magic bytes" {
	refused "$C/bad-bzimage-unknown-magic" "bzImage payload at 0x980: unknown compression, magic 50 4b 03 04"
}

@test "a bzImage whose xz payload is cut short is refused: xz stream truncated" {
	refused "$C/bad-bzimage-xz-truncated" "bzImage payload at 0x980: xz stream truncated"
}

@test "a bzImage cut inside its header is refused: header truncated" {
	refused "$C/bad-bzimage-header-truncated" "bzImage header truncated at 584 bytes"
}

@test "a bzImage with payload_length 0 is refused" {
	"$PY" -c 'import struct, sys; d = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", d, 0x24c, 0); open(sys.argv[2], "wb").write(d)' \
		"$C/bzimage-zstd" "$T/k"
	refused "$T/k" "bzImage payload_length is 0"
}

@test "a bzImage whose payload_offset + setup passes 4 GiB is refused, not wrapped" {
	"$PY" -c 'import struct, sys; d = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", d, 0x248, 0xffffffff); open(sys.argv[2], "wb").write(d)' \
		"$C/bzimage-zstd" "$T/k"
	refused "$T/k" "bzImage payload [0x1000007ff, "
}

@test "a compressed bzImage payload too short for its size trailer is refused" {
	"$PY" -c 'import struct, sys; d = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", d, 0x24c, 4); open(sys.argv[2], "wb").write(d)' \
		"$C/bzimage-zstd" "$T/k"
	refused "$T/k" "bzImage payload of 4 bytes is too short for a zstd stream and its size trailer"
}

# --- Through the whole pipeline ---

@test "a bzImage builds the same domain memory as plain basic.elf, and finalize re-reads it" {
	local f
	for f in "$GUESTS/basic.elf" "$C/bzimage-xz" "$C/basic.elf.lz4legacy"; do
		rm -f "$T"/[1-4]-*.json
		plan_to pagetables "$f" --memory 16M
		"$BIN/finalize" --out "$T/dom-$(basename "$f")" "$T/4-pagetables.json" >/dev/null
	done
	cmp "$T/dom-basic.elf/machine.mem" "$T/dom-bzimage-xz/machine.mem"
	cmp "$T/dom-basic.elf/machine.mem" "$T/dom-basic.elf.lz4legacy/machine.mem"
}

@test "finalize refuses a bzImage whose payload changed since elfinfo" {
	cp "$C/bzimage-zstd" "$T/k"
	plan_to pagetables "$T/k" --memory 16M
	cp "$C/bzimage-xz" "$T/k"
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" --prefetch "$T/k" \
		"$T/4-pagetables.json"
	assert_output ''
	assert_stderr --partial "$T/k: changed since the plan was made"
	[ ! -e "$T/dom" ]
}
