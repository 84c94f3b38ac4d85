#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# show: the VIRTUAL MEMORY ARRANGEMENT of a plan or a sim domain, as text
# or as an SVG picture of the bootstrap region to scale.
bats_require_minimum_version 1.5.0
load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# A golden plan (tests/golden/) with its @TOP@ made this tree: plans made
# there, whatever the toolchain builds of the guests today.
golden() {
	sed "s|@TOP@|$TOP|g" "$TOP/tests/golden/$1" >"$T/$1"
	echo "$T/$1"
}

# The SVG's rectangles: one line "ID CLASS X Y WIDTH HEIGHT" each.
rects() {
	"$PY" -c 'import sys, xml.etree.ElementTree as ET
for r in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}rect"):
    print(r.get("id"), r.get("class"), r.get("x"), r.get("y"), r.get("width"), r.get("height"))' "$1"
}

# The SVG's text, a line per <text>.
texts() {
	"$PY" -c 'import sys, xml.etree.ElementTree as ET
for t in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}text"):
    print(t.text)' "$1"
}

@test "show PLAN: the seed's headings, each range with its size, worked out by hand" {
	# basic.elf at 16 MiB with the 150000-byte initrd: a 0x12400-byte
	# kernel (73 KiB), the initrd from the next page, the p2m of 4096
	# 4-byte entries (16 KiB), an L2 and one L1 (8 KiB), a page each of
	# start info and stack, in the 4 MiB region.
	run -0 --separate-stderr "$BIN/show" "$(golden basic-16M-initrd.layout.json)"
	[ -z "$stderr" ]
	assert_output "$(cat <<'OUT'
VIRTUAL MEMORY ARRANGEMENT:
 Loaded kernel: c0000000->c0012400  73 KiB
 Init. ramdisk: c0013000->c00379f0  150000 bytes
 Phys-Mach map: c0038000->c003c000  16 KiB
 Page tables:   c003c000->c003e000  8 KiB
 Start info:    c003e000->c003f000  4 KiB
 Boot stack:    c003f000->c0040000  4 KiB
 TOTAL:         c0000000->c0400000  4 MiB
 ENTRY ADDRESS: c0000000
OUT
)"
}

@test "show takes a plan of any stage from layout on, and the same plan shows the same" {
	plan_to pagetables "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	"$BIN/show" "$T/2-layout.json" >"$T/want"
	[ "$(wc -l <"$T/want")" -eq 9 ]
	for f in 3-populate.json 4-pagetables.json; do
		run -0 "$BIN/show" "$T/$f"
		[ "$output" = "$(cat "$T/want")" ]
	done
	run -0 "$BIN/show" - <"$T/4-pagetables.json"
	[ "$output" = "$(cat "$T/want")" ]
}

@test "show DIR prints what finalize printed, and DIR/arrangement.txt is the arrangement" {
	plan_to pagetables "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	"$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json" >"$T/finalize.out"
	run -0 --separate-stderr "$BIN/show" "$T/dom"
	[ -z "$stderr" ]
	[ "$output" = "$(cat "$T/finalize.out")" ]
	assert_line -n 9 --regexp "^domain: $T/dom \(xen-1.3, 8192 pages, cr3 0x[0-9a-f]+000, start_info 0x"
	head -n 9 "$T/finalize.out" | cmp - "$T/dom/arrangement.txt"
	"$BIN/show" "$T/4-pagetables.json" | cmp - "$T/dom/arrangement.txt"
}

@test "an initrd passed by pfn shows as unmapped, pfn N, and is drawn apart" {
	# x64-nop2m asks for MOD_START_PFN: its 20 MiB region is pfns 0 to
	# 5119, the initrd the 37 pages after it (150000 bytes).
	plan_to layout "$GUESTS/x64-nop2m.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	[ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["layout"]["initrd_pfn"])' "$T/2-layout.json")" = 5120 ]
	run -0 "$BIN/show" "$T/2-layout.json"
	assert_line -n 2 ' Init. ramdisk: unmapped, pfn 5120  150000 bytes'
	refute_output --partial 'Init. ramdisk: ffffffff'
	assert_line -n 9 ' TOTAL:         ffffffff80000000->ffffffff81400000  20 MiB'
	"$BIN/show" --svg "$T/2-layout.json" >"$T/a.svg"
	xmllint --noout "$T/a.svg"
	# Apart: a box right of the bar (which ends at x 350), named.
	run rects "$T/a.svg"
	assert_line 'initrd apart 930 104.00 300 76'
	refute_line --partial 'initrd part'
	run texts "$T/a.svg"
	assert_line 'unmapped, pfn 5120'
	assert_line 'pfns 5120-5156, 150000 bytes'
	assert_line 'outside the region (not to scale)'
}

@test "an INIT_P2M list shows where it is mapped, with its size and pfn, and is drawn apart" {
	# x64-basic maps its p2m at INIT_P2M, 0x8000000000: 8192 8-byte
	# entries, 64 KiB, in the pfns after the 20 MiB region.
	plan_to layout "$GUESTS/x64-basic.elf" --memory 32M
	local pt
	pt=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["layout"]["p2m_mapping"]["pt_pages"])' "$T/2-layout.json")
	run -0 "$BIN/show" "$T/2-layout.json"
	assert_line -n 2 ' Init. ramdisk: none'
	assert_line -n 3 " Phys-Mach map: 0000008000000000->0000008000010000  64 KiB, mapped apart at pfn 5120 (+$pt pages of its page tables)"
	"$BIN/show" --svg "$T/2-layout.json" >"$T/a.svg"
	xmllint --noout "$T/a.svg"
	run rects "$T/a.svg"
	assert_line 'p2m apart 930 104.00 300 76'
	refute_line --partial 'initrd'
}

@test "show --svg: valid SVG, the region to scale, coordinates worked out by hand" {
	"$BIN/show" --svg "$(golden basic-16M-initrd.pagetables.json)" >"$T/a.svg"
	xmllint --noout "$T/a.svg"
	# The bar is 1024 px for the 4 MiB region from y 80: a page a pixel,
	# y = 80 + (va - 0xc0000000) / 4096. The kernel, 0x12400 bytes, is
	# 18.25 px; the p2m from 0xc0038000 (page 56) 4 pages; the page
	# tables from page 60, 2; the stack page 63.
	run rects "$T/a.svg"
	assert_line 'region free 200 80 150 1024'
	assert_line 'kernel part 200 80.00 150 18.25'
	assert_line 'p2m part 200 136.00 150 4.00'
	assert_line 'pagetables part 200 140.00 150 2.00'
	assert_line 'stack part 200 143.00 150 1.00'
	run texts "$T/a.svg"
	assert_line 'Loaded kernel  c0000000->c0012400  73 KiB'
	assert_line 'Unused         c0040000->c0400000  3840 KiB'
	assert_line 'v_start c0000000'
	assert_line 'v_end c0400000'
}

@test "show --svg escapes what it quotes: a name with markup and control bytes stays valid XML" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	mkdir -p "$T/<a&b>"
	cp "$T/2-layout.json" "$T/<a&b>/x"$'\x1b'".json"
	"$BIN/show" --svg "$T/<a&b>/x"$'\x1b'".json" >"$T/a.svg"
	xmllint --noout "$T/a.svg"
	run texts "$T/a.svg"
	assert_line "VIRTUAL MEMORY ARRANGEMENT of $T/<a&b>/x\\x1b.json"
}

@test "show refuses what it cannot show: exit 1, one line naming the file, nothing on stdout" {
	plan_to elfinfo "$GUESTS/basic.elf"
	echo 'not json' >"$T/text"
	mkdir "$T/empty"
	local args
	for args in "$T/nope" "$T/text" "$T/1-elfinfo.json" "$T/empty" \
	    "--svg $T/nope" "--svg $T/1-elfinfo.json"; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr "$BIN/show" $args
		assert_output ''
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == "show: $T/"* ]]
	done
	run -1 --separate-stderr "$BIN/show" "$T/nope"
	assert_stderr "show: $T/nope: No such file or directory"
	run -1 --separate-stderr "$BIN/show" "$T/1-elfinfo.json"
	assert_stderr "show: $T/1-elfinfo.json: layout: missing (run layout first)"
	run -1 --separate-stderr "$BIN/show" "$T/empty"
	assert_stderr "show: $T/empty/plan.json: No such file or directory"
}

@test "show DIR refuses a domain.json it cannot read, naming it" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json" >/dev/null
	edit_plan "$T/dom/domain.json" "$T/dom/domain.json" 'p["vcpu"]["cr3"] = 7'
	run -1 --separate-stderr "$BIN/show" "$T/dom"
	assert_output ''
	assert_stderr --partial "show: $T/dom: domain.json.vcpu.cr3: "
	rm "$T/dom/domain.json"
	run -1 --separate-stderr "$BIN/show" "$T/dom"
	assert_output ''
	assert_stderr "show: $T/dom/domain.json: No such file or directory"
}

@test "show: usage errors exit 2 with the synopsis; --help and --version exit 0" {
	run -2 --separate-stderr "$BIN/show"
	assert_output ''
	assert_stderr "$(printf 'show: no PLAN or DIR given\nusage: show [--svg] PLAN|DIR')"
	run -2 --separate-stderr "$BIN/show" a b
	assert_stderr --partial 'show: too many arguments'
	run -2 --separate-stderr "$BIN/show" --png x
	assert_output ''
	run -0 "$BIN/show" --help
	assert_line -n 0 'usage: show [--svg] PLAN|DIR'
	assert_line --partial '--svg'
	run -0 "$BIN/show" --version
	assert_output --regexp '^show \(pvbuild\) [0-9]+\.[0-9]+\.[0-9]+( \(git [^ ()]+\))?$'
}

@test "show names jansson alone: it reads plans, never an image" {
	run -0 readelf -dW "$BIN/show"
	assert_line --partial '[libjansson.so'
	refute_output --regexp 'libnettle|libcrypto|libz\.|liblzma|liblzo2|liblz4|libzstd|libbz2|libelf|libxen'
}
