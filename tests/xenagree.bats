#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Agreement with Xen: for the xen-3.0 test guests and the real images,
# elfinfo's ABI, virt_base, entry, kernel extent, hypercall page, INIT_P2M,
# MOD_START_PFN and features equal what Xen 4.17's own parser (libxenguest,
# run without a hypervisor by build/xenparse) reports for the same file.
bats_require_minimum_version 1.5.0
load helper

# compare IMAGE: run both parsers and compare the facts, printing them.
compare() {
	local image=$1
	"$BIN/elfinfo" "$image" >"$BATS_TEST_TMPDIR/plan.json" || return
	"$TOP/build/xenparse" "$image" >"$BATS_TEST_TMPDIR/xen.json" || return
	"$PY" - "$BATS_TEST_TMPDIR/plan.json" "$BATS_TEST_TMPDIR/xen.json" <<'PYEOF'
import json, sys
ours = json.load(open(sys.argv[1]))["elfinfo"]
xen = json.load(open(sys.argv[2]))
UNSET = "0xffffffffffffffff"
assert xen["accepted"], "Xen refused it: %s" % xen["error"]
def unset(v):
    return None if v == UNSET else v
pairs = [
    ("abi", ours["abi"], xen["guest_type"]),
    ("virt_base", ours["virt_base"], xen["virt_base"]),
    ("entry", ours["entry"], xen["virt_entry"]),
    ("kernel_start", ours["kernel_start"], xen["virt_kstart"]),
    ("kernel_end", ours["kernel_end"], xen["virt_kend"]),
    ("hypercall_page", ours["hypercall_page"], unset(xen["virt_hypercall"])),
    ("init_p2m", ours["init_p2m"], unset(xen["p2m_base"])),
    ("mod_start_pfn", ours["mod_start_pfn"], xen["unmapped_initrd"]),
    ("features.supported", int(ours["features"]["supported"], 16),
     int(xen["f_supported"], 16)),
    ("features.required", int(ours["features"]["required"], 16),
     int(xen["f_required"], 16)),
    ("paddr_offset", ours["paddr_offset"], xen["elf_paddr_offset"]),
]
bad = [p for p in pairs if p[1] != p[2]]
for name, a, b in pairs:
    print("%-20s pvbuild %-22s xen %s" % (name, a, b))
assert not bad, "disagree: %s" % bad
PYEOF
}

setup() {
	[ -x "$TOP/build/xenparse" ] || skip "build/xenparse not built (make xenparse)"
}

real_image() {
	local list
	list=$("$TOP/tests/realimages.sh" print 2>"$BATS_TEST_TMPDIR/why") ||
		skip "real images unavailable: $(cat "$BATS_TEST_TMPDIR/why")"
	awk -v n="$1" '$1 == n { print $2 }' <<<"$list"
}

@test "x86_64 guest with notes and INIT_P2M: pvbuild and Xen agree" {
	run -0 compare "$GUESTS/x64-basic.elf"
	assert_line --regexp '^init_p2m +pvbuild 0x8000000000 +xen 0x8000000000$'
}

@test "x86_64 guest with MOD_START_PFN: pvbuild and Xen agree" {
	run -0 compare "$GUESTS/x64-nop2m.elf"
	assert_line --regexp '^mod_start_pfn +pvbuild True +xen True$'
}

@test "x86_64 guest with notes in a section only: pvbuild and Xen agree" {
	run -0 compare "$GUESTS/notes-sections.elf"
}

@test "PAE guest with notes: pvbuild and Xen agree" {
	run -0 compare "$GUESTS/pae-basic.elf"
	assert_line --regexp '^abi +pvbuild xen-3.0-x86_32p +xen xen-3.0-x86_32p$'
}

@test "bimodal PAE guest: pvbuild and Xen agree" {
	run -0 compare "$GUESTS/pae-bimodal.elf"
}

@test "legacy __xen_guest PAE guest, hypercall page counted from VIRT_BASE" {
	run -0 compare "$GUESTS/notes-legacy-pae.elf"
	assert_line --regexp '^hypercall_page +pvbuild 0xc0001000 +xen 0xc0001000$'
}

@test "gzip'd x86_64 guest: pvbuild and Xen agree" {
	run -0 compare "$GUESTS/x64-basic.elf.gz"
}

@test "Debian's PV GRUB x86_64: pvbuild and Xen agree" {
	run -0 compare "$(real_image grub64)"
}

@test "Debian's PV GRUB i386 (PAE_MODE note past the file's end): pvbuild and Xen agree" {
	run -0 compare "$(real_image grub32)"
	run -0 "$PY" -c 'import json,sys
w = json.load(open(sys.argv[1]))["elfinfo"]["warnings"]
assert any("PAE_MODE" in x and "past the end" in x for x in w), w' \
		"$BATS_TEST_TMPDIR/plan.json"
}

@test "Debian 12's Linux kernel (bzImage, xz payload): pvbuild and Xen agree" {
	run -0 compare "$(real_image linux)"
	assert_line --regexp '^abi +pvbuild xen-3.0-x86_64 +xen xen-3.0-x86_64$'
}

@test "the seed's xen-1.3 guests: pvbuild builds them, Xen 4.17 refuses them" {
	run -0 "$BIN/elfinfo" "$GUESTS/basic.elf"
	run -0 "$TOP/build/xenparse" "$GUESTS/basic.elf"
	assert_output --partial '"accepted": false'
}
