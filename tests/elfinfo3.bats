#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# elfinfo on xen-3.0 kernels: what the notes and legacy strings declare,
# and each malformed image of tests/mkbad3.py refused with one clear line.
bats_require_minimum_version 1.5.0
load helper

BAD3=$TOP/build/bad3

# fact PLAN EXPR: print a Python expression on the elfinfo member `e`.
fact() {
	"$PY" -c 'import json,sys
e = json.load(open(sys.argv[1]))["elfinfo"]
print(eval(sys.argv[2]))' "$1" "$2"
}

# refused CASE TEXT: exit 1, one stderr line naming the file and TEXT.
refused() {
	run -1 --separate-stderr "$BIN/elfinfo" "$BAD3/$1"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "elfinfo: $BAD3/$1: "
	assert_stderr --partial "$2"
}

@test "x86_64 guest: ABI, addresses, hypercall page, INIT_P2M and features from its notes" {
	"$BIN/elfinfo" "$GUESTS/x64-basic.elf" >"$BATS_TEST_TMPDIR/p.json"
	# Where _start and hypercall_page lie, from the guest's own symbols.
	local start hc
	start=$(nm "$GUESTS/x64-basic.elf" | awk '$3 == "_start" { print "0x" $1 }')
	hc=$(nm "$GUESTS/x64-basic.elf" | awk '$3 == "hypercall_page" { print "0x" $1 }')
	run fact "$BATS_TEST_TMPDIR/p.json" '(e["abi"], e["paging_levels"], e["declared_by"], e["virt_base"], e["entry"], e["kernel_start"], e["hypercall_page"], e["init_p2m"], e["mod_start_pfn"], e["features"])'
	assert_output "('xen-3.0-x86_64', 4, 'notes', '0xffffffff80000000', '$start', '0xffffffff81000000', '$hc', '0x8000000000', False, {'required': '0x1', 'supported': '0x11'})"
}

@test "x86_64 segments are placed at paddr - PADDR_OFFSET + VIRT_BASE" {
	"$BIN/elfinfo" "$GUESTS/x64-basic.elf" >"$BATS_TEST_TMPDIR/p.json"
	run fact "$BATS_TEST_TMPDIR/p.json" 'all(int(s["vaddr"], 16) == int(s["paddr"], 16) + 0xffffffff80000000 for s in e["segments"]) and e["segments"][0]["paddr"]'
	assert_output "0x1000000"
}

@test "every Xen note the guest carries is decoded into the plan" {
	"$BIN/elfinfo" "$GUESTS/x64-basic.elf" >"$BATS_TEST_TMPDIR/p.json"
	run fact "$BATS_TEST_TMPDIR/p.json" 'sorted(e["notes"].items())'
	assert_output --partial "('L1_MFN_VALID', '0x1,0x1')"
	assert_output --partial "('SUSPEND_CANCEL', '0x1')"
	assert_output --partial "('GUEST_VERSION', '2.6')"
	assert_output --partial "('SUPPORTED_FEATURES', '0x1')"
}

@test "MOD_START_PFN is read: the initrd will be left unmapped" {
	"$BIN/elfinfo" "$GUESTS/x64-nop2m.elf" >"$BATS_TEST_TMPDIR/p.json"
	run fact "$BATS_TEST_TMPDIR/p.json" '(e["mod_start_pfn"], e["init_p2m"])'
	assert_output "(True, None)"
}

@test "notes only in an SHT_NOTE section are found" {
	"$BIN/elfinfo" "$GUESTS/notes-sections.elf" >"$BATS_TEST_TMPDIR/p.json"
	run fact "$BATS_TEST_TMPDIR/p.json" '(e["declared_by"], e["abi"])'
	assert_output "('note-sections', 'xen-3.0-x86_64')"
}

@test "PAE guest: xen-3.0-x86_32p, 3 levels, PAE_MODE recorded" {
	"$BIN/elfinfo" "$GUESTS/pae-bimodal.elf" >"$BATS_TEST_TMPDIR/p.json"
	run fact "$BATS_TEST_TMPDIR/p.json" '(e["abi"], e["arch"], e["paging_levels"], e["pae_mode"], e["virt_base"], e["paddr_offset"])'
	assert_output "('xen-3.0-x86_32p', 'x86_32', 3, 'bimodal', '0xc0000000', '0xc0000000')"
}

@test "legacy __xen_guest for xen-3.0: keys read as Xen reads them" {
	"$BIN/elfinfo" "$GUESTS/notes-legacy-pae.elf" >"$BATS_TEST_TMPDIR/p.json"
	run fact "$BATS_TEST_TMPDIR/p.json" '(e["declared_by"], e["abi"], e["hypercall_page"], e["pae_mode"], e["guest_info"].startswith("GUEST_OS=linux"))'
	assert_output "('guest_info', 'xen-3.0-x86_32p', '0xc0001000', 'yes[extended-cr3]', True)"
}

@test "a PAE_MODE note running past its segment and the file is built, with a warning" {
	run -0 --separate-stderr "$BIN/elfinfo" "$BAD3/pae-mode-overrun"
	echo "$output" >"$BATS_TEST_TMPDIR/p.json"
	run fact "$BATS_TEST_TMPDIR/p.json" '(e["abi"], e["pae_mode"], [w for w in e["warnings"] if "PAE_MODE" in w and "past the end" in w] != [])'
	assert_output "('xen-3.0-x86_32p', 'yes', True)"
}

@test "a note header straddling the end of its segment is refused (Xen reads on past it)" {
	refused note-header-past-segment "header runs past the end of the notes"
}

@test "a note name running past its segment is refused" {
	refused note-name-past-segment "name of 4294967280 bytes runs past the end of the notes"
}

@test "a numeric note description running past the file is refused" {
	refused note-desc-past-file "note VIRT_BASE"
	assert_stderr --partial "runs past the end of the notes"
}

@test "a string note with no terminator inside the file is refused" {
	refused string-note-unterminated "note GUEST_OS"
	assert_stderr --partial "string not terminated inside the file"
}

@test "a numeric note too short for its value is refused" {
	refused numeric-note-short "note VIRT_BASE"
	assert_stderr --partial "3 bytes is not a 1, 2, 4 or 8-byte number"
}

@test "too many notes are refused in bounded time" {
	refused too-many-notes "more than 2048 notes"
}

@test "the same note twice with different values is refused" {
	refused duplicate-note-conflict "note VIRT_BASE given twice with different values"
}

@test "XEN_VERSION other than xen-3.0 is refused" {
	refused xen-version-wrong "XEN_VERSION 'xen-2.0' is not xen-3.0"
}

@test "neither LOADER generic nor GUEST_OS linux is refused" {
	refused loader-and-os-wrong "generic loader or Linux"
}

@test "a required feature a PV domain cannot have is refused by name" {
	refused required-feature-autotranslate "requires feature 'auto_translated_physmap'"
}

@test "a required feature Xen does not know is refused by name" {
	refused required-feature-unknown "requires 'no_such_feature'"
}

@test "an ELF machine that contradicts the ELF class is refused" {
	refused machine-contradicts "e_machine 3 contradicts the ELF64 class"
}

@test "a non-PAE xen-3.0 32-bit kernel is refused saying why" {
	refused pae-no "non-PAE xen-3.0 x86_32 kernel"
}

@test "an entry point outside the kernel is refused" {
	refused entry-outside "entry point 0xffffffff7ffff000 is outside the kernel"
}

@test "a hypercall page outside the kernel is refused" {
	refused hypercall-outside "HYPERCALL_PAGE 0xbffff000 is not a page of the kernel"
}

@test "PADDR_OFFSET without VIRT_BASE is refused" {
	refused paddr-offset-without-virt-base "PADDR_OFFSET set, VIRT_BASE unset"
}

@test "every case of mkbad3.py has a test in this file" {
	local f
	for f in "$BAD3"/*; do
		[ "$(basename "$f")" = .stamp ] && continue
		grep -q "$(basename "$f")" "$BATS_TEST_FILENAME" ||
			fail "no test for $(basename "$f")"
	done
}

@test "a PAE L3 needing a frame below 4 GiB on a machine with none free is refused, leaving nothing" {
	plan_to pagetables "$GUESTS/pae-basic.elf" --memory 32M
	run -1 --separate-stderr "$BIN/finalize" --out "$BATS_TEST_TMPDIR/dom" \
		--reserve 4G "$BATS_TEST_TMPDIR/4-pagetables.json"
	assert_output ''
	assert_stderr --partial 'needs a frame below 4 GiB'
	[ ! -e "$BATS_TEST_TMPDIR/dom" ]
	run ls -A "$BATS_TEST_TMPDIR"
	refute_output --partial pvbuild
}

@test "a PAE L3 is moved below 4 GiB when its frame lies above" {
	# The hypervisor keeps all but the last 16 frames under 4 GiB, so
	# the scattered L3 lands above and must be moved into one of those.
	plan_to pagetables "$GUESTS/pae-basic.elf" --memory 32M
	"$BIN/finalize" --out "$BATS_TEST_TMPDIR/dom" --reserve 4194240K \
		"$BATS_TEST_TMPDIR/4-pagetables.json" >/dev/null
	run "$PY" -c 'import json,struct,sys
d = json.load(open(sys.argv[1] + "/domain.json"))
cr3 = int(d["vcpu"]["cr3"], 16)
m = cr3 >> 12
m2p = open(sys.argv[1] + "/m2p.bin", "rb")
m2p.seek(m * 4)
owner = struct.unpack("<I", m2p.read(4))[0]
print(d["machine"]["reserved_frames"] <= m < 1 << 20, owner == d["pinned"][0]["pfn"], d["pinned"][0]["level"])' "$BATS_TEST_TMPDIR/dom"
	assert_output "True True 3"
}
