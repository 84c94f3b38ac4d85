# SPDX-License-Identifier: ISC
# Shared setup for the bats suites: paths, bats-support and bats-assert.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BIN=$TOP/bin
GUESTS=$TOP/build/guests
BAD=$TOP/build/bad
PY=/usr/bin/python3

# The cache of decompressed images: the suite's own, one per file, never
# the home directory's (README, "The cache"). A test that is about the
# cache sets its own.
export PVBUILD_CACHE=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/pvbuild-cache
unset PVBUILD_CACHE_SIZE

# elfinfo | layout | populate | pagetables of a guest into $BATS_TEST_TMPDIR,
# one plan file per stage: plan_to STAGE IMAGE [layout args...]
plan_to() {
	local stage=$1 image=$2
	shift 2
	local d=$BATS_TEST_TMPDIR
	"$BIN/elfinfo" "$image" >"$d/1-elfinfo.json" || return
	[ "$stage" = elfinfo ] && return
	"$BIN/layout" "$@" "$d/1-elfinfo.json" >"$d/2-layout.json" || return
	[ "$stage" = layout ] && return
	"$BIN/populate" "$d/2-layout.json" >"$d/3-populate.json" || return
	[ "$stage" = populate ] && return
	"$BIN/pagetables" "$d/3-populate.json" >"$d/4-pagetables.json"
}

# Edit a plan with a Python expression on `p`: edit_plan IN OUT 'p["x"]=1'
edit_plan() {
	"$PY" -c 'import json,sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"), indent=2, sort_keys=True)' "$1" "$2" "$3"
}

# ZEROS_IN_FILE IN OUT: a Python program making OUT of IN (x64-basic.elf):
# its data segment moved to the end of the file and followed there by
# zeros up to 0x6000 bytes of file, then 0xf00 zeros past every segment:
# the same guest in memory (the zeros were .bss), with pages 3 to 5 of
# the segment all zeros in the file, and a file that ends in a block of
# zeros once behind a cache entry's 256-byte header. Prints the segment's
# address and its offset in OUT.
ZEROS_IN_FILE='
import struct, sys
elf = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", elf, 0x20)
phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
for i in range(phnum):
    at = phoff + i * phentsize
    kind, flags, off, va, pa, filesz, memsz, align = struct.unpack_from("<IIQQQQQQ", elf, at)
    if kind == 1 and flags & 2:
        break
assert filesz < 0x3000 and memsz >= 0x6000 and va % 0x1000 == 0, (filesz, memsz)
data = bytes(elf[off:off + filesz])
elf += bytes(-len(elf) % 0x1000)
at_off = len(elf)
struct.pack_into("<Q", elf, at + 8, at_off)
struct.pack_into("<Q", elf, at + 32, 0x6000)
elf += data + bytes(0x6000 - filesz) + bytes(0xf00)
open(sys.argv[2], "wb").write(elf)
print("0x%x 0x%x" % (va, at_off))
'

# holes_told DIR: does the file system of DIR tell holes from data
# (SEEK_DATA), so that a test can see what a program left unwritten?
holes_told() {
	"$PY" - "$1/.holes" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
os.ftruncate(fd, 1 << 20)
try:
    told = os.lseek(fd, 0, os.SEEK_DATA) != 0
except OSError:
    told = True
os.unlink(sys.argv[1])
sys.exit(0 if told else 1)
EOF
}

# Debian 12's bats-assert (2.0) has no assert_stderr; this is the subset
# the suites use: assert_stderr [--partial] TEXT, after run --separate-stderr.
if ! declare -F assert_stderr >/dev/null; then
	assert_stderr() {
		local partial=0
		if [ "$1" = --partial ]; then
			partial=1
			shift
		fi
		if { [ "$partial" = 1 ] && [[ "$stderr" == *"$1"* ]]; } ||
			{ [ "$partial" = 0 ] && [ "$stderr" = "$1" ]; }; then
			return 0
		fi
		printf -- '-- stderr %s --\nexpected: %s\nactual  : %s\n--\n' \
			"$([ "$partial" = 1 ] && echo 'does not contain' || echo differs)" \
			"$1" "$stderr" >&2
		return 1
	}
fi
