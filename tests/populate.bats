#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# populate: the contents of the bootstrap region, start_info and the vCPU.
bats_require_minimum_version 1.5.0
load helper
load golden/golden

LONG_CMDLINE=$(printf 'console=xvc0 root=/dev/ram0 %0280d end' 0)

setup() {
	T=$BATS_TEST_TMPDIR
}

# A stage refusing a plan: exit 1, nothing on stdout, one line on stderr
# that starts with "STAGE: " and holds MESSAGE. refused STAGE MESSAGE PLAN
refused() {
	local stage=$1 message=$2 plan=$3
	run -1 --separate-stderr "$BIN/$stage" "$plan"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "$stage: "* ]]
	assert_stderr --partial "$message"
}

# A Python expression on the plan `p`, printed: `o` is its populate member,
# `v` the vcpu, r[NAME] a region's (start, end).
pq() {
	"$PY" -c 'import json,sys
p = json.load(open(sys.argv[1])); o = p.get("populate"); v = o and o["vcpu"]
r = {x["name"]: (int(x["start"], 16), int(x["end"], 16)) for x in p["layout"]["regions"]}
print(eval("(" + sys.argv[2] + "\n)"))' "$@"
}

# --- Goldens: populate alone on the committed layout goldens ---

golden_populate() {
	golden_input "$1.layout.json" "$T/in.json"
	"$BIN/populate" "$T/in.json" >"$T/out.json" 2>"$T/err"
	[ ! -s "$T/err" ]
	golden_check "$1.populate.json" "$T/out.json"
}

@test "golden: basic-64M" {
	golden_populate basic-64M
}

@test "golden: basic-16M-initrd" {
	golden_populate basic-16M-initrd
}

@test "golden: multiseg-32M-initrd-longcmdline" {
	golden_populate multiseg-32M-initrd-longcmdline
}

@test "golden: multiseg-1G" {
	golden_populate multiseg-1G
}

@test "golden: basic-3584M" {
	golden_populate basic-3584M
}

# The multiseg-32M-initrd-longcmdline golden by hand: v_start 0xc0000000;
# segments 0xc0000000 (547 bytes at file offset 4096), 0xc0003000 (5120 at
# 8192), 0xc0008100 (16 at 16640, memsz 3215392); initrd region at
# 0xc031a000 (pfn 0x31a = 794); p2m 0xc033f000 (pfn 831); pagetables
# 0xc0347000; start_info 0xc0349000 (pfn 841); stack [0xc034a000, 0xc034b000).
@test "golden values by hand: multiseg-32M-initrd-longcmdline writes, start_info, vcpu" {
	golden_input multiseg-32M-initrd-longcmdline.populate.json "$T/p.json"
	run pq "$T/p.json" '[(w["pfn"], w["offset"], w["length"], w["source"], w["source_offset"]) for w in o["writes"]]'
	assert_output "[(0, 0, 547, 'kernel', 4096), (3, 0, 5120, 'kernel', 8192), (8, 256, 16, 'kernel', 16640), (8, 272, 3215376, 'zero', 0), (794, 0, 150000, 'initrd', 0)]"
	run pq "$T/p.json" 'sorted(o["start_info"].items())'
	assert_output "[('cmd_line_length', 255), ('flag_names', []), ('flags', '0x0'), ('mfn_list', '0xc033f000'), ('mod_len', 150000), ('mod_start', '0xc031a000'), ('nr_pages', 8192), ('nr_pt_frames', 2), ('pfn', 841), ('pt_base', '0xc0347000'), ('va', '0xc0349000')]"
	run pq "$T/p.json" 'o["p2m"], o["shared_info"]'
	assert_output "({'entries': 8192, 'entry_size': 4, 'pfn': 831}, {'masked_vcpu_info': 1, 'upcall_mask': 1, 'vcpus': 1})"
	run pq "$T/p.json" 'sorted(o["vcpu"].items())'
	assert_output "[('callback_cs', '0x819'), ('cs', '0x819'), ('ds', '0x821'), ('es', '0x821'), ('flags', '0x202'), ('fs', '0x821'), ('gs', '0x821'), ('ip', '0xc0000216'), ('kernel_sp', '0xc034b000'), ('kernel_ss', '0x821'), ('si', '0xc0349000'), ('sp', '0xc034b000'), ('ss', '0x821'), ('trap_cs', '0x819')]"
}

# --- Values, derived from the plan of the guests as built ---

# Every write populate should plan for the plan P, as the seed's
# loadelfimage() and initrd copy do it, compared with what it planned.
writes_check() {
	"$PY" - "$1" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
e, l, o = p["elfinfo"], p["layout"], p["populate"]
vs = int(l["v_start"], 16)
def at(va):
    return (va - vs) >> 12, (va - vs) & 0xfff
want = []
for s in e["segments"]:
    va = int(s["vaddr"], 16)
    if s["filesz"]:
        want.append((*at(va), s["filesz"], "kernel", s["offset"]))
    if s["memsz"] > s["filesz"]:
        want.append((*at(va + s["filesz"]), s["memsz"] - s["filesz"], "zero", 0))
if l["initrd"] and l["initrd"]["length"]:
    r = l["regions"][1]
    want.append((*at(int(r["start"], 16)), l["initrd"]["length"], "initrd", 0))
got = [(w["pfn"], w["offset"], w["length"], w["source"], w["source_offset"]) for w in o["writes"]]
assert got == want, "got %s, want %s" % (got, want)
EOF
}

@test "multiseg: one write per segment's file part, a zero write for the bss, the initrd write" {
	plan_to populate "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	writes_check "$T/3-populate.json"
	run pq "$T/3-populate.json" '[w["source"] for w in o["writes"]]'
	assert_output "['kernel', 'kernel', 'kernel', 'zero', 'initrd']"
	# The R-only segment at 0xc0006000 (pfn 6) is not loaded.
	run pq "$T/3-populate.json" '[w["pfn"] for w in o["writes"] if w["source"] == "kernel"]'
	assert_output '[0, 3, 8]'
}

@test "the writes of every guest, with and without an initrd, are the seed's loads" {
	local g
	for g in basic multiseg high; do
		plan_to populate "$GUESTS/$g.elf" --memory 64M
		writes_check "$T/3-populate.json"
		plan_to populate "$GUESTS/$g.elf.gz" --memory 64M --initrd "$GUESTS/initrd.img.gz"
		writes_check "$T/3-populate.json"
	done
}

@test "the writes check above can fail: a write one page off is caught" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][0]["pfn"] = 1'
	run writes_check "$T/x.json"
	assert_failure
}

@test "start_info: pt_base, mfn_list, mod_start and mod_len are the layout's regions" {
	plan_to populate "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img.gz"
	run pq "$T/3-populate.json" 'o["start_info"]["pt_base"] == hex(r["pagetables"][0]),
o["start_info"]["mfn_list"] == hex(r["p2m"][0]), o["start_info"]["mod_start"] == hex(r["initrd"][0]),
o["start_info"]["mod_len"], o["start_info"]["nr_pages"], o["start_info"]["nr_pt_frames"] == p["layout"]["nr_pt_pages"],
o["start_info"]["va"] == hex(r["start_info"][0]), o["start_info"]["pfn"] == (r["start_info"][0] - int(p["layout"]["v_start"], 16)) >> 12,
o["start_info"]["flags"]'
	assert_output "(True, True, True, 150000, 8192, True, True, True, '0x0')"
}

@test "start_info without an initrd: mod_start 0x0, mod_len 0, no initrd write" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	run pq "$T/3-populate.json" 'o["start_info"]["mod_start"], o["start_info"]["mod_len"], [w for w in o["writes"] if w["source"] == "initrd"]'
	assert_output "('0x0', 0, [])"
}

@test "start_info with an empty initrd: mod_start 0x0, mod_len 0, no initrd write" {
	: >"$T/empty.img"
	plan_to populate "$GUESTS/basic.elf" --memory 16M --initrd "$T/empty.img"
	run pq "$T/3-populate.json" 'o["start_info"]["mod_start"], o["start_info"]["mod_len"], [w for w in o["writes"] if w["source"] == "initrd"]'
	assert_output "('0x0', 0, [])"
}

# README, "Where pvbuild differs from Xen's builder": mod_len is the
# initrd's exact length, where Xen 4.17 rounds one given by pfn up to a
# page and gives a gzip'd one the larger of the file's size and its ISIZE
# plus 16; the region after a mapped initrd starts in the page its exact
# length ends in, where Xen's may start a page later (ISIZE 8192 here).
@test "mod_len is the initrd's exact length, by pfn and mapped, not Xen's rounded one" {
	head -c 5000 "$GUESTS/initrd.img" >"$T/i5000"
	plan_to populate "$GUESTS/x64-nop2m.elf" --memory 32M --initrd "$T/i5000"
	run pq "$T/3-populate.json" 'o["start_info"]["flags"], o["start_info"]["flag_names"], o["start_info"]["mod_start"] == hex(p["layout"]["initrd_pfn"]),
o["start_info"]["mod_len"], [w["length"] for w in o["writes"] if w["source"] == "initrd"]'
	assert_output "('0x8', ['SIF_MOD_START_PFN'], True, 5000, [5000])"
	"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 32)' |
		gzip -n >"$T/two-pages.gz"
	plan_to populate "$GUESTS/pae-basic.elf" --memory 32M --initrd "$T/two-pages.gz"
	run pq "$T/3-populate.json" 'p["layout"]["initrd"]["compression"], int(o["start_info"]["flags"], 16) & 8,
o["start_info"]["mod_start"] == hex(r["initrd"][0]), o["start_info"]["mod_len"],
r["initrd"][1] - r["initrd"][0], r["p2m"][0] == r["initrd"][1]'
	assert_output "('gzip', 0, True, 8192, 8192, True)"
}

@test "cmd_line_length: 255 for a long command line, 255 for 255 and 256 bytes, the length below, 0 for none" {
	local n cmd want
	for n in 0 1 254 255 256 300 4096; do
		cmd=$(head -c "$n" /dev/zero | tr '\0' a)
		plan_to populate "$GUESTS/basic.elf" --memory 16M --cmdline "$cmd"
		want=$((n > 255 ? 255 : n))
		run pq "$T/3-populate.json" 'o["start_info"]["cmd_line_length"]'
		assert_output "$want"
	done
	plan_to populate "$GUESTS/basic.elf" --memory 16M --cmdline "$LONG_CMDLINE"
	run pq "$T/3-populate.json" 'o["start_info"]["cmd_line_length"], len(p["layout"]["cmdline"])'
	assert_output "(255, ${#LONG_CMDLINE})"
}

@test "vcpu: sp is the stack region's end, si start_info's va, ip the entry, flags 0x202, cs 0x819, ds 0x821" {
	local g
	for g in basic multiseg high; do
		plan_to populate "$GUESTS/$g.elf" --memory 64M --initrd "$GUESTS/initrd.img"
		run pq "$T/3-populate.json" '(v["sp"] == hex(r["stack"][1]), v["kernel_sp"] == v["sp"],
v["si"] == hex(r["start_info"][0]), v["ip"] == p["elfinfo"]["entry"], v["flags"], v["cs"], v["trap_cs"],
v["callback_cs"], {v[k] for k in ("ds", "es", "fs", "gs", "ss", "kernel_ss")})'
		assert_output "(True, True, True, True, '0x202', '0x819', '0x819', '0x819', {'0x821'})"
	done
}

@test "the seed's stack fault is fixed: sp is not start_info's address" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	run pq "$T/3-populate.json" 'o["vcpu"]["sp"] != o["vcpu"]["si"], int(o["vcpu"]["sp"], 16) - int(o["vcpu"]["si"], 16)'
	assert_output '(True, 8192)'
}

@test "p2m: at the p2m region's pfn, one 4-byte entry per page; shared_info: one vCPU, masked" {
	plan_to populate "$GUESTS/basic.elf" --memory 64M
	run pq "$T/3-populate.json" 'o["p2m"]["pfn"] == (r["p2m"][0] - int(p["layout"]["v_start"], 16)) >> 12,
o["p2m"]["entries"], o["p2m"]["entry_size"], o["shared_info"]["vcpus"], o["shared_info"]["masked_vcpu_info"],
o["shared_info"]["upcall_mask"]'
	assert_output '(True, 16384, 4, 1, 1, 1)'
}

@test "populate keeps the earlier members, reads stdin, and is deterministic" {
	plan_to populate "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	"$BIN/populate" <"$T/2-layout.json" >"$T/again.json"
	cmp "$T/3-populate.json" "$T/again.json"
	"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
assert {k: b[k] for k in a} == a and sorted(b) == ["elfinfo", "format", "layout", "populate"]
s = open(sys.argv[2]).read(); assert s == json.dumps(b, indent=2, sort_keys=True) + "\n"' \
		"$T/2-layout.json" "$T/3-populate.json"
}

@test "--help and --version exit 0; an unknown option and two plans exit 2" {
	run -0 "$BIN/populate" --help
	assert_line -n 0 'usage: populate [PLAN]'
	run -0 "$BIN/populate" --version
	assert_output --regexp '^populate \(pvbuild\) [0-9]+\.[0-9]+\.[0-9]+( \(git [^ ()]+\))?$'
	run -2 --separate-stderr "$BIN/populate" --frob
	assert_output ''
	assert_stderr --partial "populate: unknown option '--frob'"
	run -2 --separate-stderr "$BIN/populate" a.json b.json
	assert_output ''
	assert_stderr --partial 'populate: too many arguments'
}

# --- An inconsistent layout refused by populate ---

@test "a plan without layout is refused: missing (run layout first)" {
	plan_to elfinfo "$GUESTS/basic.elf"
	refused populate "layout: missing (run layout first)" "$T/1-elfinfo.json"
}

@test "populate run twice is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	refused populate "populate: already in the plan (was the stage run twice?)" "$T/3-populate.json"
}

@test "regions out of order are refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	edit_plan "$T/2-layout.json" "$T/x.json" 'r = p["layout"]["regions"]; r[1], r[2] = r[2], r[1]'
	refused populate 'layout.regions[1].name: "p2m" out of order, expected "initrd"' "$T/x.json"
}

@test "overlapping regions are refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	edit_plan "$T/2-layout.json" "$T/x.json" 'r = p["layout"]["regions"]; r[3]["start"] = r[2]["start"]'
	refused populate "layout.regions[3].start: overlaps the p2m region" "$T/x.json"
}

@test "a region ending before it starts is refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/2-layout.json" "$T/x.json" 'r = p["layout"]["regions"][5]; r["end"] = hex(int(r["start"], 16) - 4096)'
	refused populate "layout.regions[5].end: before its start" "$T/x.json"
}

@test "a region that is not page aligned is refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/2-layout.json" "$T/x.json" 'r = p["layout"]["regions"]; r[4]["start"] = hex(int(r[4]["start"], 16) + 8)'
	refused populate "layout.regions[4].start: not page aligned" "$T/x.json"
}

@test "a p2m region of the wrong size is refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/2-layout.json" "$T/x.json" 'r = p["layout"]["regions"][2]; r["end"] = hex(int(r["end"], 16) - 4)'
	refused populate "layout.regions[2]: not 4 bytes per page of the domain" "$T/x.json"
}

@test "an initrd region that is not the initrd's length is refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	edit_plan "$T/2-layout.json" "$T/x.json" 'p["layout"]["initrd"]["length"] = 4096'
	refused populate "layout.regions[1]: not the initrd's place and size" "$T/x.json"
}

@test "a kernel region that is not the kernel's extent is refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/2-layout.json" "$T/x.json" 'p["layout"]["regions"][0]["end"] = "0xc0012000"'
	refused populate "layout.regions[0]: not the kernel's extent" "$T/x.json"
}

@test "too few page-table pages for the region are refused" {
	plan_to layout "$GUESTS/multiseg.elf" --memory 1G
	edit_plan "$T/2-layout.json" "$T/x.json" 'l = p["layout"]; l["nr_pt_pages"] = 2
r = l["regions"]; r[3]["end"] = hex(int(r[3]["end"], 16) - 4096)'
	refused populate "layout.nr_pt_pages: 2 pages cannot map the region" "$T/x.json"
}

@test "a bootstrap region into the hypervisor hole is refused" {
	plan_to layout "$GUESTS/high.elf" --memory 64M
	edit_plan "$T/2-layout.json" "$T/x.json" 'p["layout"]["v_end"] = "0xfc400000"'
	refused populate "layout.v_end: 0xfc400000 reaches the hypervisor hole at 0xfc000000" "$T/x.json"
}

@test "a bootstrap region larger than the domain is refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 4M
	edit_plan "$T/2-layout.json" "$T/x.json" 'p["layout"]["v_end"] = "0xc0800000"'
	refused populate "layout.v_end: the bootstrap region is larger than the domain" "$T/x.json"
}

@test "memory and nr_pages that disagree are refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/2-layout.json" "$T/x.json" 'p["layout"]["nr_pages"] += 1'
	refused populate "layout.nr_pages: 4097 pages do not make 16777216 bytes" "$T/x.json"
}

@test "an unknown member inside layout is refused" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/2-layout.json" "$T/x.json" 'p["layout"]["regions"][0]["flags"] = "rw"'
	refused populate "layout.regions[0].flags: unknown member" "$T/x.json"
}

# --- An inconsistent populate member refused by the stage that reads it ---

@test "a write outside the kernel region is refused" {
	plan_to populate "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	# pfn 900 is past the kernel (and the initrd), in the p2m's pages.
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][0]["pfn"] = 900'
	refused pagetables "populate.writes[0].pfn: destination is not inside the kernel region" "$T/x.json"
}

@test "a zero write running past the kernel's end is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][-1]["length"] += 1'
	refused pagetables "populate.writes[2].pfn: destination is not inside the kernel region" "$T/x.json"
}

@test "an initrd write outside the initrd region is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][-1]["offset"] = 1'
	refused pagetables "populate.writes[3].pfn: destination is not inside the initrd region" "$T/x.json"
}

@test "a write whose source range runs past the kernel image is refused" {
	plan_to populate "$GUESTS/multiseg.elf" --memory 32M
	edit_plan "$T/3-populate.json" "$T/x.json" 'w = p["populate"]["writes"][0]; w["source_offset"] = p["elfinfo"]["image"]["elf_size"] - w["length"] + 1'
	refused pagetables "populate.writes[0].source_offset: range runs past the kernel's 17540 bytes" "$T/x.json"
}

@test "a write whose source range runs past the initrd is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][-1]["source_offset"] = 1'
	refused pagetables "populate.writes[3].source_offset: range runs past the initrd's 150000 bytes" "$T/x.json"
}

@test "an initrd write in a plan without an initrd is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"].append({"pfn": 19, "offset": 0, "length": 16, "source": "initrd", "source_offset": 0})'
	refused pagetables "populate.writes[3].source_offset: range runs past the initrd's 0 bytes" "$T/x.json"
}

@test "a write offset of a page or more is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][0]["offset"] = 4096'
	refused pagetables "populate.writes[0].pfn: destination is not inside the kernel region" "$T/x.json"
}

@test "a zero write with a source offset is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][2]["source_offset"] = 4'
	refused pagetables "populate.writes[2].source_offset: must be 0 for zero fill" "$T/x.json"
}

@test "an unknown write source is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][0]["source"] = "file"'
	refused pagetables 'populate.writes[0].source: unknown value "file"' "$T/x.json"
}

@test "a negative write length is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["writes"][0]["length"] = -1'
	refused pagetables "populate.writes[0].length: negative (-1)" "$T/x.json"
}

@test "start_info fields that disagree with the layout are refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	local edit
	for edit in 'p["populate"]["start_info"]["pt_base"] = "0xc0000000"' \
		'p["populate"]["start_info"]["mfn_list"] = "0xc0014000"' \
		'p["populate"]["start_info"]["nr_pages"] = 1' \
		'p["populate"]["start_info"]["nr_pt_frames"] = 3'; do
		edit_plan "$T/3-populate.json" "$T/x.json" "$edit"
		refused pagetables "populate.start_info: fields disagree with the layout" "$T/x.json"
	done
}

@test "start_info mod_start that is not the initrd region is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["start_info"]["mod_start"] = "0xc0014000"'
	refused pagetables "populate.start_info.mod_start: not the initrd" "$T/x.json"
}

@test "start_info not at the start_info region is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["start_info"]["pfn"] += 1'
	refused pagetables "populate.start_info.pfn: not the start_info region" "$T/x.json"
}

@test "cmd_line_length over 255 or over the command line is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M --cmdline "$LONG_CMDLINE"
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["start_info"]["cmd_line_length"] = 256'
	refused pagetables "populate.start_info.cmd_line_length: more than the command line or 255" "$T/x.json"
	plan_to populate "$GUESTS/basic.elf" --memory 16M --cmdline quiet
	edit_plan "$T/3-populate.json" "$T/y.json" 'p["populate"]["start_info"]["cmd_line_length"] = 6'
	refused pagetables "populate.start_info.cmd_line_length: more than the command line or 255" "$T/y.json"
}

@test "a p2m not at the p2m region is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["p2m"]["entries"] -= 1'
	refused pagetables "populate.p2m: not the p2m" "$T/x.json"
	assert_stderr --partial "place and size"
}

@test "a vcpu ip outside the kernel is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["vcpu"]["ip"] = p["elfinfo"]["kernel_end"]'
	refused pagetables "populate.vcpu.ip: outside the kernel" "$T/x.json"
}

@test "a vcpu register wider than 32 bits is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["vcpu"]["flags"] = "0x100000202"'
	refused pagetables "populate.vcpu.flags: wider than 32 bits" "$T/x.json"
}

@test "shared_info.vcpus other than layout.vcpus is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["shared_info"]["vcpus"] = 2'
	refused pagetables "populate.shared_info.vcpus: 2, not layout.vcpus (1)" "$T/x.json"
	plan_to populate "$GUESTS/x64-basic.elf" --memory 32M --vcpus 4
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["shared_info"]["vcpus"] = 1'
	refused pagetables "populate.shared_info.vcpus: 1, not layout.vcpus (4)" "$T/x.json"
}

# Xen's builder masks every vcpu_info slot of shared_info, not only the
# domain's vCPUs': 1 for xen-1.3, XEN_LEGACY_MAX_VCPUS (32) for xen-3.0.
@test "shared_info masking other than every vcpu_info slot is refused" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["shared_info"]["masked_vcpu_info"] = 32'
	refused pagetables "populate.shared_info: xen-1.3 has 1 vcpu_info slots" "$T/x.json"
	plan_to populate "$GUESTS/x64-basic.elf" --memory 32M
	run pq "$T/3-populate.json" 'o["shared_info"]'
	assert_output "{'masked_vcpu_info': 32, 'upcall_mask': 1, 'vcpus': 1}"
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["shared_info"]["masked_vcpu_info"] = 1'
	refused pagetables "populate.shared_info: xen-3.0-x86_64 has 32 vcpu_info slots" "$T/x.json"
}

@test "start_info.flags not a hex string is refused" {
	plan_to populate "$GUESTS/x64-basic.elf" --memory 32M
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["start_info"]["flags"] = 16'
	refused pagetables "populate.start_info.flags: expected" "$T/x.json"
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["start_info"]["flags"] = "0x100000010"'
	refused pagetables "populate.start_info.flags: wider than 32 bits" "$T/x.json"
}

# xl create (libxl__build_pv) clears the SIF_VIRT_P2M_4TOOLS that Xen's
# builder alone would start a domain with; the guest must see xl's flags.
@test "start_info.flags are xl's: none, or SIF_MOD_START_PFN alone for an initrd by pfn" {
	plan_to populate "$GUESTS/x64-basic.elf" --memory 32M
	run pq "$T/3-populate.json" 'o["start_info"]["flags"], o["start_info"]["flag_names"]'
	assert_output "('0x0', [])"
	plan_to populate "$GUESTS/pae-basic.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	run pq "$T/3-populate.json" 'o["start_info"]["flags"], o["start_info"]["flag_names"]'
	assert_output "('0x0', [])"
}

@test "start_info.flag_names that are not exactly the bits of flags are refused" {
	plan_to populate "$GUESTS/x64-nop2m.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	run pq "$T/3-populate.json" 'o["start_info"]["flags"], o["start_info"]["flag_names"]'
	assert_output "('0x8', ['SIF_MOD_START_PFN'])"
	local edit
	for edit in '["SIF_VIRT_P2M_4TOOLS"]' '[]' '["SIF_MOD_START_PFN", "SIF_MOD_START_PFN"]' \
	    '["0x8"]' '"SIF_MOD_START_PFN"'; do
		edit_plan "$T/3-populate.json" "$T/x.json" "p['populate']['start_info']['flag_names'] = $edit"
		refused pagetables "populate.start_info.flag_names" "$T/x.json"
	done
	# A bit without a name in <xen/xen.h> is named by its value.
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["start_info"]["flags"] = "0x8008"'
	refused pagetables "populate.start_info.flag_names: not the names of the bits set in flags" "$T/x.json"
	edit_plan "$T/3-populate.json" "$T/x.json" 'p["populate"]["start_info"]["flags"] = "0x8008"
p["populate"]["start_info"]["flag_names"] = ["SIF_MOD_START_PFN", "0x8000"]'
	run --separate-stderr "$BIN/pagetables" "$T/x.json"
	assert_success
	assert_stderr ''
}
