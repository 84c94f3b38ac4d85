#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# pagetables: the initial 2-level page tables of a xen-1.3 domain.
bats_require_minimum_version 1.5.0
load helper
load golden/golden

setup() {
	T=$BATS_TEST_TMPDIR
}

# A stage refusing a plan: exit 1, nothing on stdout, one line on stderr
# that starts with "STAGE: " and holds MESSAGE. refused STAGE MESSAGE ARGS...
refused() {
	local stage=$1 message=$2
	shift 2
	run -1 --separate-stderr "$BIN/$stage" "$@"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "$stage: "* ]]
	assert_stderr --partial "$message"
}

# finalize refusing the pagetables member of PLAN, leaving no domain.
finalize_refuses() {
	local message=$1 plan=$2
	refused finalize "$message" --backend sim --out "$T/dom" "$plan"
	[ ! -e "$T/dom" ]
	run compgen -G "$T/.dom.pvbuild-*"
	assert_failure
}

# The tables the seed builds (docs/xen-1.3.md, "The bootstrap region"
# and "Paging"), checked entry by entry against the pagetables member of PLAN:
# the directory is the first page of the pagetables region, one L1 per
# 4 MiB of [v_start, v_end) follows it, every pfn of the region is mapped
# once, with 0x23 (PRESENT|RW|ACCESSED), and the page-table pages with 0x21
# (not RW); each directory entry is 0x67 (PRESENT|RW|ACCESSED|DIRTY|USER).
pt_check() {
	"$PY" - "$1" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
l, t = p["layout"], p["pagetables"]
vs, ve = int(l["v_start"], 16), int(l["v_end"], 16)
pt = next(r for r in l["regions"] if r["name"] == "pagetables")
pt_lo = (int(pt["start"], 16) - vs) >> 12
pt_hi = pt_lo + l["nr_pt_pages"]
nr_l1 = (ve - vs) >> 22
assert (t["levels"], t["entry_size"], t["top_pfn"]) == (2, 4, pt_lo), t
assert t["pin"] == {"pfn": pt_lo, "level": 2}, t["pin"]
tables = t["tables"]
assert len(tables) == nr_l1 + 1, len(tables)
top = tables[0]
assert (top["pfn"], top["level"]) == (pt_lo, 2), top
assert top["maps"] == [{"index": vs >> 22, "count": nr_l1, "pfn": pt_lo + 1,
                        "flags": "0x67"}], top["maps"]
seen = {}
for k, tb in enumerate(tables[1:]):
    assert (tb["pfn"], tb["level"]) == (pt_lo + 1 + k, 1), tb
    entries = {}
    for m in tb["maps"]:
        for i in range(m["count"]):
            assert m["index"] + i not in entries, ("twice", tb["pfn"], m)
            entries[m["index"] + i] = (m["pfn"] + i, m["flags"])
    assert sorted(entries) == list(range(1024)), (tb["pfn"], len(entries))
    for i, (pfn, flags) in entries.items():
        assert pfn == k * 1024 + i, (tb["pfn"], i, pfn)
        want = "0x21" if pt_lo <= pfn < pt_hi else "0x23"
        assert flags == want, (pfn, flags, want)
        seen[pfn] = flags
assert sorted(seen) == list(range((ve - vs) >> 12))
assert [f for f in seen if seen[f] == "0x21"] == list(range(pt_lo, pt_hi))
EOF
}

# --- Goldens: pagetables alone on the committed populate goldens ---

golden_pagetables() {
	golden_input "$1.populate.json" "$T/in.json"
	"$BIN/pagetables" "$T/in.json" >"$T/out.json" 2>"$T/err"
	[ ! -s "$T/err" ]
	golden_check "$1.pagetables.json" "$T/out.json"
	pt_check "$T/out.json"
}

@test "golden: basic-64M" {
	golden_pagetables basic-64M
}

@test "golden: basic-16M-initrd" {
	golden_pagetables basic-16M-initrd
}

@test "golden: multiseg-32M-initrd-longcmdline" {
	golden_pagetables multiseg-32M-initrd-longcmdline
}

@test "golden: multiseg-1G (two L1 tables)" {
	golden_pagetables multiseg-1G
}

@test "golden: basic-3584M (two L1 tables, one of them mapping past the stack)" {
	golden_pagetables basic-3584M
}

# By hand, from the layout goldens: multiseg-32M-initrd-longcmdline has
# pagetables [0xc0347000, 0xc0349000) = pfns 839, 840 in [0xc0000000,
# 0xc0400000): the directory is 839, its entry 0xc0000000 >> 22 = 768
# points at L1 840, which maps pfns 0..838 RW, 839..840 read-only and
# 841..1023 RW. multiseg-1G has pagetables [0xc041a000, 0xc041d000) =
# pfns 1050..1052 in [0xc0000000, 0xc0800000): directory 1050, entries
# 768 and 769 -> L1 1051 (pfns 0..1023, all RW) and 1052 (pfns 1024..2047:
# 26 RW, 3 read-only at index 26, 995 RW).
@test "golden values by hand: multiseg-32M-initrd-longcmdline and multiseg-1G" {
	"$PY" - "$GOLDEN/multiseg-32M-initrd-longcmdline.pagetables.json" \
		"$GOLDEN/multiseg-1G.pagetables.json" <<'EOF'
import json, sys
def maps(f):
    t = json.load(open(f))["pagetables"]
    return t["top_pfn"], [(x["pfn"], x["level"], [(m["index"], m["count"], m["pfn"], m["flags"])
                                                   for m in x["maps"]]) for x in t["tables"]]
assert maps(sys.argv[1]) == (839, [
    (839, 2, [(768, 1, 840, "0x67")]),
    (840, 1, [(0, 839, 0, "0x23"), (839, 2, 839, "0x21"), (841, 183, 841, "0x23")])]), maps(sys.argv[1])
assert maps(sys.argv[2]) == (1050, [
    (1050, 2, [(768, 2, 1051, "0x67")]),
    (1051, 1, [(0, 1024, 0, "0x23")]),
    (1052, 1, [(0, 26, 1024, "0x23"), (26, 3, 1050, "0x21"), (29, 995, 1053, "0x23")])]), maps(sys.argv[2])
EOF
}

# --- Values ---

@test "every guest and memory size: the tables are the seed's, entry by entry" {
	local g m
	for g in basic multiseg high; do
		for m in 4M 16M 64M 1G; do
			plan_to pagetables "$GUESTS/$g.elf" --memory "$m" --initrd "$GUESTS/initrd.img"
			pt_check "$T/4-pagetables.json"
		done
	done
}

@test "the directory's single map: index v_start>>22, count (v_end-v_start)>>22, flags 0x67" {
	plan_to pagetables "$GUESTS/high.elf" --memory 64M
	run "$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))["pagetables"]["tables"][0]
print(t["level"], t["maps"])' "$T/4-pagetables.json"
	# high.elf: [0xfb800000, 0xfbc00000): 0xfb800000 >> 22 = 1006, one L1.
	assert_output "2 [{'count': 1, 'flags': '0x67', 'index': 1006, 'pfn': $(("$(
		"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pagetables"]["top_pfn"])' \
			"$T/4-pagetables.json")" + 1))}]"
}

@test "the check above can fail: a page-table page mapped 0x23 is caught" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][1]["maps"][1]["flags"] = "0x23"'
	run pt_check "$T/x.json"
	assert_failure
}

@test "pagetables keeps the earlier members, reads stdin, and is deterministic" {
	plan_to pagetables "$GUESTS/multiseg.elf" --memory 32M
	"$BIN/pagetables" <"$T/3-populate.json" >"$T/again.json"
	cmp "$T/4-pagetables.json" "$T/again.json"
	"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
assert {k: b[k] for k in a} == a and sorted(b) == ["elfinfo", "format", "layout", "pagetables", "populate"]
s = open(sys.argv[2]).read(); assert s == json.dumps(b, indent=2, sort_keys=True) + "\n"' \
		"$T/3-populate.json" "$T/4-pagetables.json"
}

@test "--help and --version exit 0; an unknown option and two plans exit 2" {
	run -0 "$BIN/pagetables" --help
	assert_line -n 0 'usage: pagetables [PLAN]'
	run -0 "$BIN/pagetables" --version
	assert_output --regexp '^pagetables \(pvbuild\) [0-9]+\.[0-9]+\.[0-9]+( \(git [^ ()]+\))?$'
	run -2 --separate-stderr "$BIN/pagetables" --frob
	assert_output ''
	assert_stderr --partial "pagetables: unknown option '--frob'"
	run -2 --separate-stderr "$BIN/pagetables" a.json b.json
	assert_output ''
	assert_stderr --partial 'pagetables: too many arguments'
}

# --- Plans refused by pagetables ---

@test "a plan without populate is refused: missing (run populate first)" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	refused pagetables "populate: missing (run populate first)" "$T/2-layout.json"
}

@test "pagetables run twice is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused pagetables "pagetables: already in the plan (was the stage run twice?)" "$T/4-pagetables.json"
}

# --- An inconsistent pagetables member refused by finalize ---

@test "a map past nr_pages is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'm = p["pagetables"]["tables"][1]["maps"][-1]; m["pfn"] = p["layout"]["nr_pages"] - m["count"] + 1'
	finalize_refuses "pagetables.tables[1].maps[2].pfn: maps pages past the domain's 4096" "$T/x.json"
}

@test "a directory entry pointing outside the L1 tables is refused (a data page, the directory itself)" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][0]["maps"][0]["pfn"] = 0'
	finalize_refuses "pagetables.tables[0].maps[0].pfn: " "$T/x.json"
	[[ $stderr =~ (L1|level\ 1)\ table ]]
	edit_plan "$T/4-pagetables.json" "$T/y.json" 't = p["pagetables"]; t["tables"][0]["maps"][0]["pfn"] = t["top_pfn"]'
	finalize_refuses "pagetables.tables[0].maps[0].pfn: " "$T/y.json"
	[[ $stderr =~ (L1|level\ 1)\ table ]]
}

@test "a directory map running past the L1 tables is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][0]["maps"][0]["count"] = 2'
	finalize_refuses "pagetables.tables[0].maps[0].pfn: " "$T/x.json"
	[[ $stderr =~ (L1|level\ 1)\ table ]]
}

@test "map entries past 1024, overlapping or out of order are refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][1]["maps"][-1]["count"] += 1'
	finalize_refuses "pagetables.tables[1].maps[2].index: entries out of order, overlapping or past 1024" "$T/x.json"
	edit_plan "$T/4-pagetables.json" "$T/y.json" 'm = p["pagetables"]["tables"][1]["maps"]; m[0], m[1] = m[1], m[0]'
	finalize_refuses "pagetables.tables[1].maps[1].index: entries out of order, overlapping or past 1024" "$T/y.json"
	edit_plan "$T/4-pagetables.json" "$T/z.json" 'p["pagetables"]["tables"][1]["maps"][0]["count"] = 0'
	finalize_refuses "pagetables.tables[1].maps[0].index: entries out of order" "$T/z.json"
}

@test "a table outside the pagetables region, or the same table twice, is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][1]["pfn"] = 0'
	finalize_refuses "pagetables.tables[1].pfn: 0 is not a fresh page of the pagetables region" "$T/x.json"
	edit_plan "$T/4-pagetables.json" "$T/y.json" 't = p["pagetables"]["tables"]; t.append(dict(t[1]))'
	finalize_refuses "pagetables.tables[2].pfn:" "$T/y.json"
	assert_stderr --partial "is not a fresh page of the pagetables region"
}

@test "top_pfn outside the pagetables region is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["top_pfn"] = 0'
	finalize_refuses "pagetables.top_pfn: " "$T/x.json"
	assert_stderr --partial "pagetables region"
}

@test "a second level-2 table, or an L1 at top_pfn, is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][1]["level"] = 2'
	finalize_refuses "pagetables.tables[1].level: 2, but only the top table is level 2" "$T/x.json"
	edit_plan "$T/4-pagetables.json" "$T/y.json" 'p["pagetables"]["tables"][0]["level"] = 1'
	finalize_refuses "pagetables.tables[0].level: 1, but only the top table is level 2" "$T/y.json"
}

@test "entry flags that are not present or wider than 12 bits are refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][1]["maps"][0]["flags"] = "0x22"'
	finalize_refuses "pagetables.tables[1].maps[0].flags: not the flags of a present entry" "$T/x.json"
	edit_plan "$T/4-pagetables.json" "$T/y.json" 'p["pagetables"]["tables"][1]["maps"][0]["flags"] = "0x1023"'
	finalize_refuses "pagetables.tables[1].maps[0].flags: not the flags of a present entry" "$T/y.json"
}

@test "a pin that is not the top table at level 2 is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["pin"]["pfn"] += 1'
	finalize_refuses "pagetables.pin: xen-1.3 pins the top table at level 2" "$T/x.json"
	edit_plan "$T/4-pagetables.json" "$T/y.json" 'p["pagetables"]["pin"]["level"] = 1'
	finalize_refuses "pagetables.pin: xen-1.3 pins the top table at level 2" "$T/y.json"
}

@test "levels other than 2 and entry_size other than 4 are refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["levels"] = 3'
	finalize_refuses "pagetables.levels: 3, but xen-1.3 uses 2" "$T/x.json"
	edit_plan "$T/4-pagetables.json" "$T/y.json" 'p["pagetables"]["entry_size"] = 8'
	finalize_refuses "pagetables.entry_size: 8, but xen-1.3 uses 4" "$T/y.json"
}

@test "a page-table page mapped writable is refused (ABI rule 4: the page tables are read-only)" {
	# docs/xen-1.3.md: everything is mapped read-write "except the bootstrap
	# page tables, which are read-only". A guest with a writable mapping of
	# its own page tables can map any machine frame.
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'm = p["pagetables"]["tables"][1]["maps"][1]; assert m["flags"] == "0x21"; m["flags"] = "0x23"'
	finalize_refuses "pagetables.tables[1].maps[1]" "$T/x.json"
}

@test "a directory entry with _PAGE_PSE (a 4 MiB page) is refused" {
	# xen-1.3 maps 4 KiB pages only (docs/xen-1.3.md): a PSE directory
	# entry would map 4 MiB of machine memory from the L1 table's frame on.
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][0]["maps"][0]["flags"] = "0xe7"'
	finalize_refuses "pagetables.tables[0].maps[0].flags" "$T/x.json"
}

@test "an unknown member inside pagetables is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/x.json" 'p["pagetables"]["tables"][0]["maps"][0]["mfn"] = 1'
	finalize_refuses "pagetables.tables[0].maps[0].mfn: unknown member" "$T/x.json"
}
