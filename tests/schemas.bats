# SPDX-License-Identifier: ISC
load helper
# schemas/: every stage's output of every test guest validates against its
# stage's schema, the sim backend's domain.json against schemas/domain.json,
# and the schemas refuse what they must (tests/validate.py exits 1 naming the
# member). Three ABIs: xen-1.3 (basic, multiseg, high), xen-3.0-x86_64 and
# xen-3.0-x86_32p (the x64-*, notes-*, pae-* guests); compressed kernels and
# bzImages from build/compressed; the real Debian images of
# tests/realimages.sh when they can be had.

bats_require_minimum_version 1.5.0

VALIDATE=$TOP/tests/validate.py
SCHEMAS=$TOP/schemas
# A command line over 255 bytes: start_info gets only the first 255.
LONG_CMDLINE="root=/dev/ram0 $(printf 'console=tty0 %.0s' {1..25})end"

stage_file() {
	case $1 in
	elfinfo) echo "$BATS_TEST_TMPDIR/1-elfinfo.json" ;;
	layout) echo "$BATS_TEST_TMPDIR/2-layout.json" ;;
	populate) echo "$BATS_TEST_TMPDIR/3-populate.json" ;;
	pagetables) echo "$BATS_TEST_TMPDIR/4-pagetables.json" ;;
	domain) echo "$BATS_TEST_TMPDIR/dom/domain.json" ;;
	esac
}

# Run the stages up to STAGE on IMAGE with 32 MiB, the long command line and
# the extra layout arguments, and validate STAGE's output against its schema.
# elfinfo takes no layout arguments.
stage_validates() {
	local stage=$1 image=$2
	shift 2
	[ "${#LONG_CMDLINE}" -gt 255 ]
	if [ "$stage" = elfinfo ]; then
		plan_to elfinfo "$GUESTS/$image"
	else
		plan_to "$stage" "$GUESTS/$image" --memory 32M \
		    --cmdline "$LONG_CMDLINE" "$@"
	fi
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/$stage.json" "$(stage_file "$stage")"
	assert_output ''
}

# Build IMAGE's domain with the sim backend and validate its domain.json.
domain_validates() {
	local image=$1
	shift
	plan_to pagetables "$GUESTS/$image" --memory 32M \
	    --cmdline "$LONG_CMDLINE" "$@"
	run -0 "$BIN/finalize" --out "$BATS_TEST_TMPDIR/dom" \
	    "$BATS_TEST_TMPDIR/4-pagetables.json"
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/domain.json" \
	    "$BATS_TEST_TMPDIR/dom/domain.json"
	assert_output ''
}

# Every stage's plan of KERNEL (a path) and the sim domain.json built from
# it, each validated against its schema: all_validate KERNEL [layout args].
# Every file that fails is named, with validate.py's lines.
all_validate() {
	local image=$1 s bad=
	shift
	plan_to pagetables "$image" "$@"
	rm -rf "$BATS_TEST_TMPDIR/dom"
	run -0 "$BIN/finalize" --out "$BATS_TEST_TMPDIR/dom" \
	    "$BATS_TEST_TMPDIR/4-pagetables.json"
	for s in elfinfo layout populate pagetables domain; do
		run "$PY" "$VALIDATE" "$SCHEMAS/$s.json" "$(stage_file "$s")"
		if [ "$status" -ne 0 ] || [ -n "$output" ]; then
			bad+="$(stage_file "$s") (exit $status):"$'\n'"$output"$'\n'
		fi
	done
	if [ -n "$bad" ]; then
		printf 'not valid: %s' "$bad" >&2
		return 1
	fi
}

# all_validate of a test guest with 32 MiB and the long command line, with
# or without the initrd: guest_validates GUEST [--initrd].
guest_validates() {
	local guest=$1
	shift
	if [ "${1-}" = --initrd ]; then
		set -- --initrd "$GUESTS/initrd.img"
	fi
	all_validate "$GUESTS/$guest" --memory 32M --cmdline "$LONG_CMDLINE" "$@"
}

# REAL: the path of the real image NAME (linux, grub64, grub32); the test is
# skipped, saying why, when tests/realimages.sh cannot have it (exit 77).
real_image() {
	local list rc=0
	list=$("$TOP/tests/realimages.sh" print 2>"$BATS_TEST_TMPDIR/why") || rc=$?
	if [ "$rc" -eq 77 ]; then
		skip "real images unavailable: $(cat "$BATS_TEST_TMPDIR/why")"
	fi
	if [ "$rc" -ne 0 ]; then
		echo "tests/realimages.sh print: exit $rc: $(cat "$BATS_TEST_TMPDIR/why")" >&2
		return 1
	fi
	REAL=$(awk -v n="$1" '$1 == n { print $2 }' <<<"$list")
	[ -n "$REAL" ] && [ -f "$REAL" ]
}

# A valid plan of GUEST with the initrd, up to STAGE, edited by the Python
# statement on p into $BATS_TEST_TMPDIR/bad.json: bad_plan_of GUEST STAGE EDIT.
bad_plan_of() {
	local guest=$1 stage=$2 edit=$3
	plan_to "$stage" "$GUESTS/$guest" --memory 32M \
	    --initrd "$GUESTS/initrd.img" --cmdline "$LONG_CMDLINE"
	edit_plan "$(stage_file "$stage")" "$BATS_TEST_TMPDIR/bad.json" "$edit"
}

# The same of basic.elf (xen-1.3): bad_plan STAGE EDIT.
bad_plan() {
	bad_plan_of basic.elf "$@"
}

# GUEST's sim domain.json (with the initrd), edited by EDIT into bad.json.
bad_domain() {
	local guest=$1 edit=$2
	plan_to pagetables "$GUESTS/$guest" --memory 32M \
	    --initrd "$GUESTS/initrd.img"
	rm -rf "$BATS_TEST_TMPDIR/dom"
	run -0 "$BIN/finalize" --out "$BATS_TEST_TMPDIR/dom" \
	    "$BATS_TEST_TMPDIR/4-pagetables.json"
	edit_plan "$BATS_TEST_TMPDIR/dom/domain.json" "$BATS_TEST_TMPDIR/bad.json" \
	    "$edit"
}

# Validate $BATS_TEST_TMPDIR/bad.json against schemas/SCHEMA.json: exit 1.
refused_by() {
	run -1 "$PY" "$VALIDATE" "$SCHEMAS/$1.json" "$BATS_TEST_TMPDIR/bad.json"
}

# The schemas themselves.

@test "every schema in schemas/ is a valid draft 2020-12 schema" {
	local s
	for s in "$SCHEMAS"/*.json; do
		run -0 "$PY" -c 'import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema", s.get("$schema")
jsonschema.Draft202012Validator.check_schema(s)' "$s"
	done
}

@test "every plan schema forbids unknown members in every object it defines (additionalProperties or a propertyNames list)" {
	run -0 "$PY" -c 'import json, sys, glob
bad = []
def walk(node, where):
    if isinstance(node, dict):
        closed = node.get("additionalProperties") is False or \
            "enum" in node.get("propertyNames", {})
        if node.get("type") == "object" and not closed:
            bad.append(where)
        for k, v in node.items():
            walk(v, where + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, "%s/%d" % (where, i))
for f in glob.glob(sys.argv[1] + "/*.json"):
    walk(json.load(open(f)), f)
print("\n".join(bad))' "$SCHEMAS"
	assert_output ''
}

# Every stage's output of every guest shape.

@test "elfinfo output of basic.elf validates against schemas/elfinfo.json" {
	stage_validates elfinfo basic.elf
}

@test "elfinfo output of multiseg.elf validates against schemas/elfinfo.json" {
	stage_validates elfinfo multiseg.elf
}

@test "elfinfo output of multiseg.elf.gz validates against schemas/elfinfo.json" {
	stage_validates elfinfo multiseg.elf.gz
}

@test "elfinfo output of high.elf validates against schemas/elfinfo.json" {
	stage_validates elfinfo high.elf
}

@test "layout output of basic.elf without initrd validates against schemas/layout.json" {
	stage_validates layout basic.elf
}

@test "layout output of basic.elf with initrd validates against schemas/layout.json" {
	stage_validates layout basic.elf --initrd "$GUESTS/initrd.img"
}

@test "layout output of multiseg.elf without initrd validates against schemas/layout.json" {
	stage_validates layout multiseg.elf
}

@test "layout output of multiseg.elf with initrd validates against schemas/layout.json" {
	stage_validates layout multiseg.elf --initrd "$GUESTS/initrd.img"
}

@test "layout output of multiseg.elf.gz without initrd validates against schemas/layout.json" {
	stage_validates layout multiseg.elf.gz
}

@test "layout output of multiseg.elf.gz with initrd validates against schemas/layout.json" {
	stage_validates layout multiseg.elf.gz --initrd "$GUESTS/initrd.img"
}

@test "layout output of high.elf without initrd validates against schemas/layout.json" {
	stage_validates layout high.elf
}

@test "layout output of high.elf with initrd validates against schemas/layout.json" {
	stage_validates layout high.elf --initrd "$GUESTS/initrd.img"
}

@test "layout output with no --cmdline (an empty command line) validates against schemas/layout.json" {
	plan_to layout "$GUESTS/basic.elf" --memory 32M
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/layout.json" "$BATS_TEST_TMPDIR/2-layout.json"
	assert_output ''
}

@test "populate output of basic.elf without initrd validates against schemas/populate.json" {
	stage_validates populate basic.elf
}

@test "populate output of basic.elf with initrd validates against schemas/populate.json" {
	stage_validates populate basic.elf --initrd "$GUESTS/initrd.img"
}

@test "populate output of multiseg.elf without initrd validates against schemas/populate.json" {
	stage_validates populate multiseg.elf
}

@test "populate output of multiseg.elf with initrd validates against schemas/populate.json" {
	stage_validates populate multiseg.elf --initrd "$GUESTS/initrd.img"
}

@test "populate output of multiseg.elf.gz without initrd validates against schemas/populate.json" {
	stage_validates populate multiseg.elf.gz
}

@test "populate output of multiseg.elf.gz with initrd validates against schemas/populate.json" {
	stage_validates populate multiseg.elf.gz --initrd "$GUESTS/initrd.img"
}

@test "populate output of high.elf without initrd validates against schemas/populate.json" {
	stage_validates populate high.elf
}

@test "populate output of high.elf with initrd validates against schemas/populate.json" {
	stage_validates populate high.elf --initrd "$GUESTS/initrd.img"
}

@test "pagetables output of basic.elf without initrd validates against schemas/pagetables.json" {
	stage_validates pagetables basic.elf
}

@test "pagetables output of basic.elf with initrd validates against schemas/pagetables.json" {
	stage_validates pagetables basic.elf --initrd "$GUESTS/initrd.img"
}

@test "pagetables output of multiseg.elf without initrd validates against schemas/pagetables.json" {
	stage_validates pagetables multiseg.elf
}

@test "pagetables output of multiseg.elf with initrd validates against schemas/pagetables.json" {
	stage_validates pagetables multiseg.elf --initrd "$GUESTS/initrd.img"
}

@test "pagetables output of multiseg.elf.gz without initrd validates against schemas/pagetables.json" {
	stage_validates pagetables multiseg.elf.gz
}

@test "pagetables output of multiseg.elf.gz with initrd validates against schemas/pagetables.json" {
	stage_validates pagetables multiseg.elf.gz --initrd "$GUESTS/initrd.img"
}

@test "pagetables output of high.elf without initrd validates against schemas/pagetables.json" {
	stage_validates pagetables high.elf
}

@test "pagetables output of high.elf with initrd validates against schemas/pagetables.json" {
	stage_validates pagetables high.elf --initrd "$GUESTS/initrd.img"
}

@test "sim domain.json of basic.elf without initrd validates against schemas/domain.json" {
	domain_validates basic.elf
}

@test "sim domain.json of basic.elf with initrd validates against schemas/domain.json" {
	domain_validates basic.elf --initrd "$GUESTS/initrd.img"
}

@test "sim domain.json of multiseg.elf without initrd validates against schemas/domain.json" {
	domain_validates multiseg.elf
}

@test "sim domain.json of multiseg.elf with initrd validates against schemas/domain.json" {
	domain_validates multiseg.elf --initrd "$GUESTS/initrd.img"
}

@test "sim domain.json of multiseg.elf.gz without initrd validates against schemas/domain.json" {
	domain_validates multiseg.elf.gz
}

@test "sim domain.json of multiseg.elf.gz with initrd validates against schemas/domain.json" {
	domain_validates multiseg.elf.gz --initrd "$GUESTS/initrd.img"
}

@test "sim domain.json of high.elf without initrd validates against schemas/domain.json" {
	domain_validates high.elf
}

@test "sim domain.json of high.elf with initrd validates against schemas/domain.json" {
	domain_validates high.elf --initrd "$GUESTS/initrd.img"
}

# xen-3.0 guests: every stage's output and domain.json, with and without the
# initrd.

@test "xen-3.0-x86_64 x64-basic.elf (INIT_P2M) without initrd: every plan and domain.json validate" {
	guest_validates x64-basic.elf
}

@test "xen-3.0-x86_64 x64-basic.elf (INIT_P2M) with initrd: every plan and domain.json validate" {
	guest_validates x64-basic.elf --initrd
}

@test "xen-3.0-x86_64 x64-nop2m.elf (MOD_START_PFN) without initrd: every plan and domain.json validate" {
	guest_validates x64-nop2m.elf
}

@test "xen-3.0-x86_64 x64-nop2m.elf (MOD_START_PFN) with initrd: every plan and domain.json validate" {
	guest_validates x64-nop2m.elf --initrd
}

@test "xen-3.0-x86_64 notes-sections.elf without initrd: every plan and domain.json validate" {
	guest_validates notes-sections.elf
}

@test "xen-3.0-x86_64 notes-sections.elf with initrd: every plan and domain.json validate" {
	guest_validates notes-sections.elf --initrd
}

@test "xen-3.0-x86_32p pae-basic.elf without initrd: every plan and domain.json validate" {
	guest_validates pae-basic.elf
}

@test "xen-3.0-x86_32p pae-basic.elf with initrd: every plan and domain.json validate" {
	guest_validates pae-basic.elf --initrd
}

@test "xen-3.0-x86_32p pae-bimodal.elf without initrd: every plan and domain.json validate" {
	guest_validates pae-bimodal.elf
}

@test "xen-3.0-x86_32p pae-bimodal.elf with initrd: every plan and domain.json validate" {
	guest_validates pae-bimodal.elf --initrd
}

@test "xen-3.0-x86_32p notes-legacy-pae.elf (__xen_guest) without initrd: every plan and domain.json validate" {
	guest_validates notes-legacy-pae.elf
}

@test "xen-3.0-x86_32p notes-legacy-pae.elf (__xen_guest) with initrd: every plan and domain.json validate" {
	guest_validates notes-legacy-pae.elf --initrd
}

@test "gzip'd xen-3.0 kernels and a gzip'd initrd: every plan and domain.json validate" {
	all_validate "$GUESTS/x64-basic.elf.gz" --memory 32M \
	    --initrd "$GUESTS/initrd.img.gz"
	all_validate "$GUESTS/pae-basic.elf.gz" --memory 32M \
	    --initrd "$GUESTS/initrd.img.gz"
	run -0 "$PY" -c 'import json, sys
p = json.load(open(sys.argv[1]))
print(p["elfinfo"]["image"]["compression"], p["layout"]["initrd"]["compression"])' \
	    "$BATS_TEST_TMPDIR/4-pagetables.json"
	assert_output 'gzip gzip'
}

@test "a xen-3.0 command line over 1023 bytes (cmd_line_length 1023) validates" {
	local long
	long="root=/dev/ram0 $(printf 'console=hvc0 %.0s' {1..90})end"
	[ "${#long}" -gt 1023 ]
	all_validate "$GUESTS/x64-basic.elf" --memory 32M --cmdline "$long"
	run -0 "$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["populate"]["start_info"]["cmd_line_length"])' \
	    "$BATS_TEST_TMPDIR/3-populate.json"
	assert_output 1023
}

@test "xen-3.0 domains of 6 GiB (machine frames beyond 2^20): every plan and domain.json validate" {
	all_validate "$GUESTS/x64-basic.elf" --memory 6G --initrd "$GUESTS/initrd.img"
	run -0 "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["shared_info_mfn"] >= 1 << 20, d["machine"]["frames"] > 1 << 20)' \
	    "$BATS_TEST_TMPDIR/dom/domain.json"
	assert_output 'True True'
	all_validate "$GUESTS/pae-basic.elf" --memory 6G --initrd "$GUESTS/initrd.img"
}

# Compressed kernels and bzImages (build/compressed).

@test "elfinfo output of every kernel compression and bzImage in build/compressed validates" {
	local f n=0 bad=
	for f in "$TOP"/build/compressed/basic.elf.* "$TOP"/build/compressed/bzimage-*; do
		n=$((n + 1))
		"$BIN/elfinfo" "$f" >"$BATS_TEST_TMPDIR/1-elfinfo.json"
		run "$PY" "$VALIDATE" "$SCHEMAS/elfinfo.json" "$BATS_TEST_TMPDIR/1-elfinfo.json"
		[ "$status" -eq 0 ] && [ -z "$output" ] || bad+="$f: $output"$'\n'
	done
	[ "$n" -ge 17 ]
	[ -z "$bad" ] || { printf '%s' "$bad" >&2; false; }
}

@test "an xz-compressed kernel without initrd: every plan and domain.json validate" {
	all_validate "$TOP/build/compressed/basic.elf.xz" --memory 32M
}

@test "an xz-compressed kernel with a gzip'd initrd: every plan and domain.json validate" {
	all_validate "$TOP/build/compressed/basic.elf.xz" --memory 32M \
	    --initrd "$GUESTS/initrd.img.gz" --cmdline "$LONG_CMDLINE"
}

@test "a bzImage (xz payload) without initrd: every plan and domain.json validate" {
	all_validate "$TOP/build/compressed/bzimage-xz" --memory 32M
	run -0 "$PY" -c 'import json, sys
i = json.load(open(sys.argv[1]))["elfinfo"]["image"]
print(i["container"], i["compression"], i["payload_offset"] > 0, i["payload_size"] > 0)' \
	    "$BATS_TEST_TMPDIR/1-elfinfo.json"
	assert_output 'bzimage xz True True'
}

@test "a bzImage (xz payload) with initrd: every plan and domain.json validate" {
	all_validate "$TOP/build/compressed/bzimage-xz" --memory 32M \
	    --initrd "$GUESTS/initrd.img" --cmdline "$LONG_CMDLINE"
}

# The real Debian images (tests/realimages.sh), skipped when unavailable.

@test "real linux bzImage (xen-3.0-x86_64) without initrd: every plan and domain.json validate" {
	real_image linux
	all_validate "$REAL" --memory 256M --cmdline "$LONG_CMDLINE"
}

@test "real linux bzImage (xen-3.0-x86_64) with initrd: every plan and domain.json validate" {
	real_image linux
	all_validate "$REAL" --memory 256M --initrd "$GUESTS/initrd.img"
}

@test "real grub64 (xen-3.0-x86_64) without initrd: every plan and domain.json validate" {
	real_image grub64
	all_validate "$REAL" --memory 256M
}

@test "real grub64 (xen-3.0-x86_64) with initrd: every plan and domain.json validate" {
	real_image grub64
	all_validate "$REAL" --memory 256M --initrd "$GUESTS/initrd.img"
}

@test "real grub32 (xen-3.0-x86_32p) without initrd: every plan and domain.json validate" {
	real_image grub32
	all_validate "$REAL" --memory 256M
}

@test "real grub32 (xen-3.0-x86_32p) with initrd: every plan and domain.json validate" {
	real_image grub32
	all_validate "$REAL" --memory 256M --initrd "$GUESTS/initrd.img"
}

# The schemas refuse what they must.

@test "a plan with an unknown top-level member fails schemas/elfinfo.json naming the member" {
	bad_plan elfinfo 'p["extra"] = 1'
	refused_by elfinfo
	assert_output '$.extra: unknown member'
}

@test "a segment with an unknown member fails schemas/elfinfo.json naming the member" {
	bad_plan elfinfo 'p["elfinfo"]["segments"][1]["align"] = 4096'
	refused_by elfinfo
	assert_output '$.elfinfo.segments[1].align: unknown member'
}

@test "an uppercase hex address fails schemas/layout.json naming the member" {
	bad_plan layout 'p["layout"]["v_start"] = p["layout"]["v_start"].upper().replace("0X", "0x")'
	refused_by layout
	assert_output --regexp '^\$\.layout\.v_start: .*does not match'
	assert_equal "${#lines[@]}" 1
}

@test "an address without 0x or longer than 16 hex digits fails schemas/elfinfo.json" {
	bad_plan elfinfo 'p["elfinfo"]["entry"] = "c0000000"; p["elfinfo"]["kernel_end"] = "0x" + "1" * 17'
	refused_by elfinfo
	assert_line --index 0 --regexp '^\$\.elfinfo\.entry: .*does not match'
	assert_line --index 1 --regexp '^\$\.elfinfo\.kernel_end: .*does not match'
}

@test "a populate plan missing start_info.mod_len fails schemas/populate.json naming the member" {
	bad_plan populate 'del p["populate"]["start_info"]["mod_len"]'
	refused_by populate
	assert_output '$.populate.start_info.mod_len: missing (required)'
}

@test "a plan without its elfinfo member fails schemas/elfinfo.json" {
	bad_plan elfinfo 'del p["elfinfo"]'
	refused_by elfinfo
	assert_output '$.elfinfo: missing (required)'
}

@test "regions out of order fail schemas/layout.json naming both regions" {
	bad_plan layout 'r = p["layout"]["regions"]; r[2], r[3] = r[3], r[2]'
	refused_by layout
	assert_line --index 0 --regexp '^\$\.layout\.regions\[2\]\.name: .*p2m'
	assert_line --index 1 --regexp '^\$\.layout\.regions\[3\]\.name: .*pagetables'
	assert_equal "${#lines[@]}" 2
}

@test "a seventh region fails schemas/layout.json" {
	bad_plan layout 'p["layout"]["regions"].append(dict(p["layout"]["regions"][5]))'
	refused_by layout
	assert_output --regexp '^\$\.layout\.regions: '
}

@test "a layout plan that has a populate member fails schemas/layout.json" {
	bad_plan layout 'p["populate"] = {}'
	refused_by layout
	assert_output '$.populate: unknown member'
}

@test "populate output fails schemas/layout.json: a stage's schema forbids later stages" {
	plan_to populate "$GUESTS/basic.elf" --memory 32M
	run -1 "$PY" "$VALIDATE" "$SCHEMAS/layout.json" "$BATS_TEST_TMPDIR/3-populate.json"
	assert_output '$.populate: unknown member'
}

@test "layout output fails schemas/pagetables.json: a stage's schema requires earlier stages" {
	plan_to layout "$GUESTS/basic.elf" --memory 32M
	run -1 "$PY" "$VALIDATE" "$SCHEMAS/pagetables.json" "$BATS_TEST_TMPDIR/2-layout.json"
	assert_line '$.populate: missing (required)'
	assert_line '$.pagetables: missing (required)'
}

@test "an unknown abi or format fails schemas/elfinfo.json" {
	bad_plan elfinfo 'p["elfinfo"]["abi"] = "xen-2.0"; p["format"] = "pvbuild-plan/2"'
	refused_by elfinfo
	assert_line --index 0 --regexp '^\$\.elfinfo\.abi: .*is not one of'
	assert_line --index 1 --regexp '^\$\.format: '
	assert_equal "${#lines[@]}" 2
}

@test "an unknown kernel compression fails schemas/elfinfo.json" {
	bad_plan elfinfo 'p["elfinfo"]["image"]["compression"] = "lz5"'
	refused_by elfinfo
	assert_output --regexp '^\$\.elfinfo\.image\.compression: .*is not one of'
}

@test "segment flags without w or x, or out of rwx order, fail schemas/elfinfo.json" {
	bad_plan elfinfo 'p["elfinfo"]["segments"][0]["flags"] = "r"; p["elfinfo"]["segments"][1]["flags"] = "wr"'
	refused_by elfinfo
	assert_line --regexp '^\$\.elfinfo\.segments\[0\]\.flags: '
	assert_line --regexp '^\$\.elfinfo\.segments\[1\]\.flags: '
}

@test "a negative size or a relative image path fails schemas/elfinfo.json" {
	bad_plan elfinfo 'p["elfinfo"]["segments"][0]["memsz"] = -1; p["elfinfo"]["image"]["path"] = "guest.elf"'
	refused_by elfinfo
	assert_line --regexp '^\$\.elfinfo\.image\.path: '
	assert_line --regexp '^\$\.elfinfo\.segments\[0\]\.memsz: .*less than the minimum'
}

@test "an initrd reference with an uppercase sha256 fails schemas/layout.json naming the member" {
	bad_plan layout 'p["layout"]["initrd"]["sha256"] = p["layout"]["initrd"]["sha256"].upper()'
	refused_by layout
	assert_output --regexp '^\$\.layout\.initrd\.sha256: '
}

@test "a cmd_line_length over 255 fails schemas/populate.json" {
	bad_plan populate 'p["populate"]["start_info"]["cmd_line_length"] = 256'
	refused_by populate
	assert_output --regexp '^\$\.populate\.start_info\.cmd_line_length: '
}

@test "a zero-fill write with a source_offset fails schemas/populate.json" {
	bad_plan populate 'p["populate"]["writes"].append({"pfn": 0, "offset": 0, "length": 1, "source": "zero", "source_offset": 8})'
	refused_by populate
	assert_output --regexp '^\$\.populate\.writes\[[0-9]+\]\.source_offset: '
}

@test "a vcpu register wider than 32 bits fails schemas/populate.json" {
	bad_plan populate 'p["populate"]["vcpu"]["sp"] = "0x100000000"'
	refused_by populate
	assert_output --regexp '^\$\.populate\.vcpu\.sp: '
}

@test "a page-table entry that is not present fails schemas/pagetables.json" {
	bad_plan pagetables 'p["pagetables"]["tables"][1]["maps"][0]["flags"] = "0x22"'
	refused_by pagetables
	assert_output --regexp '^\$\.pagetables\.tables\[1\]\.maps\[0\]\.flags: '
}

@test "a domain.json with a negative seed or an extra member fails schemas/domain.json" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 32M
	run -0 "$BIN/finalize" --out "$BATS_TEST_TMPDIR/dom" "$BATS_TEST_TMPDIR/4-pagetables.json"
	edit_plan "$BATS_TEST_TMPDIR/dom/domain.json" "$BATS_TEST_TMPDIR/bad.json" \
	    'p["machine"]["seed"] = -1; p["vcpu"]["cr4"] = "0x0"'
	refused_by domain
	assert_line --regexp '^\$\.machine\.seed: '
	assert_line '$.vcpu.cr4: unknown member'
}

# Image references: container, payload range, per-kind compression.

@test "a bzip2-compressed kernel validates, but a file container with a payload range fails schemas/elfinfo.json" {
	plan_to elfinfo "$TOP/build/compressed/basic.elf.bz2"
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/elfinfo.json" "$BATS_TEST_TMPDIR/1-elfinfo.json"
	edit_plan "$BATS_TEST_TMPDIR/1-elfinfo.json" "$BATS_TEST_TMPDIR/bad.json" \
	    'p["elfinfo"]["image"]["payload_offset"] = 512; p["elfinfo"]["image"]["payload_size"] = 100'
	refused_by elfinfo
	assert_line --index 0 '$.elfinfo.image.payload_offset: 0 was expected'
	assert_line --index 1 '$.elfinfo.image.payload_size: 0 was expected'
	assert_equal "${#lines[@]}" 2
}

@test "a bzImage reference with an empty payload or an unknown container fails schemas/elfinfo.json" {
	plan_to elfinfo "$TOP/build/compressed/bzimage-gzip"
	edit_plan "$BATS_TEST_TMPDIR/1-elfinfo.json" "$BATS_TEST_TMPDIR/bad.json" \
	    'p["elfinfo"]["image"]["payload_size"] = 0'
	refused_by elfinfo
	assert_output --regexp '^\$\.elfinfo\.image\.payload_size: 0 is less than the minimum of 1$'
	edit_plan "$BATS_TEST_TMPDIR/1-elfinfo.json" "$BATS_TEST_TMPDIR/bad.json" \
	    'p["elfinfo"]["image"]["container"] = "pe"'
	refused_by elfinfo
	assert_line --regexp "^\\\$\\.elfinfo\\.image\\.container: 'pe' is not one of"
}

@test "an image reference without container, payload_offset or payload_size fails schemas/elfinfo.json" {
	bad_plan_of x64-basic.elf elfinfo 'i = p["elfinfo"]["image"]; del i["container"], i["payload_offset"], i["payload_size"]'
	refused_by elfinfo
	assert_line '$.elfinfo.image.container: missing (required)'
	assert_line '$.elfinfo.image.payload_offset: missing (required)'
	assert_line '$.elfinfo.image.payload_size: missing (required)'
}

@test "an initrd with compression xz fails schemas/layout.json: a module is none or gzip" {
	bad_plan layout 'p["layout"]["initrd"]["compression"] = "xz"'
	refused_by layout
	assert_output --regexp "^\\\$\\.layout\\.initrd\\.compression: 'xz' is not one of \\['none', 'gzip'\\]$"
}

@test "an initrd in a bzImage container or with a payload range fails schemas/layout.json" {
	bad_plan_of pae-basic.elf layout 'p["layout"]["initrd"]["container"] = "bzimage"; p["layout"]["initrd"]["payload_size"] = 10'
	refused_by layout
	assert_line --index 0 --regexp '^\$\.layout\.initrd\.container: '
	assert_line --index 1 --regexp '^\$\.layout\.initrd\.payload_size: '
	assert_equal "${#lines[@]}" 2
}

@test "an initrd reference with elf_size instead of length fails schemas/layout.json" {
	bad_plan layout 'i = p["layout"]["initrd"]; i["elf_size"] = i.pop("length")'
	refused_by layout
	assert_line '$.layout.initrd.elf_size: unknown member'
	assert_line '$.layout.initrd.length: missing (required)'
}

# elfinfo: each ABI's members.

@test "a xen-1.3 elfinfo with xen-3.0 members or segment paddr fails schemas/elfinfo.json" {
	bad_plan elfinfo 'p["elfinfo"]["declared_by"] = "notes"; p["elfinfo"]["virt_base"] = "0xc0000000"; p["elfinfo"]["segments"][0]["paddr"] = "0x0"'
	refused_by elfinfo
	assert_output "\$.elfinfo.declared_by: unknown member
\$.elfinfo.virt_base: unknown member
\$.elfinfo.segments[0].paddr: unknown member"
}

@test "a xen-3.0 elfinfo without its notes, features or segment paddr fails schemas/elfinfo.json" {
	bad_plan_of x64-basic.elf elfinfo 'e = p["elfinfo"]; del e["notes"], e["features"], e["segments"][1]["paddr"]'
	refused_by elfinfo
	assert_line '$.elfinfo.notes: missing (required)'
	assert_line '$.elfinfo.features: missing (required)'
	assert_line '$.elfinfo.segments[1].paddr: missing (required)'
}

@test "xen-3.0 declarations of the wrong type fail schemas/elfinfo.json" {
	bad_plan_of pae-basic.elf elfinfo 'e = p["elfinfo"]; e["declared_by"] = "strings"; e["notes"]["ENTRY"] = 3; e["warnings"] = [None]; e["mod_start_pfn"] = 1; e["features"]["supported"] = "0x100000000"; e["hv_start_low"] = 0; e["pae_mode"] = False'
	refused_by elfinfo
	assert_line --regexp "^\\\$\\.elfinfo\\.declared_by: 'strings' is not one of"
	assert_line --regexp '^\$\.elfinfo\.notes\.ENTRY: 3 is not of type'
	assert_line --regexp '^\$\.elfinfo\.warnings\[0\]: None is not of type'
	assert_line --regexp '^\$\.elfinfo\.mod_start_pfn: 1 is not of type'
	assert_line --regexp '^\$\.elfinfo\.features\.supported: .*does not match'
	assert_line --regexp '^\$\.elfinfo\.hv_start_low: '
	assert_line --regexp '^\$\.elfinfo\.pae_mode: '
	assert_equal "${#lines[@]}" 7
}

@test "a note name that is not a Xen note's fails schemas/elfinfo.json" {
	bad_plan_of x64-basic.elf elfinfo 'p["elfinfo"]["notes"]["entry"] = "0x0"'
	refused_by elfinfo
	assert_output '$.elfinfo.notes.entry: unknown member'
}

@test "an x86_64 elfinfo that says x86_32 or 3 levels fails schemas/elfinfo.json" {
	bad_plan_of x64-basic.elf elfinfo 'p["elfinfo"]["arch"] = "x86_32"; p["elfinfo"]["paging_levels"] = 3'
	refused_by elfinfo
	assert_line --index 0 "\$.elfinfo.arch: 'x86_64' was expected"
	assert_line --index 1 '$.elfinfo.paging_levels: 4 was expected'
	assert_equal "${#lines[@]}" 2
}

@test "a PAE elfinfo with INIT_P2M or a 64-bit entry fails schemas/elfinfo.json" {
	bad_plan_of pae-basic.elf elfinfo 'p["elfinfo"]["init_p2m"] = "0x8000000"; p["elfinfo"]["entry"] = "0x1c0002000"'
	refused_by elfinfo
	assert_line --index 0 --regexp '^\$\.elfinfo\.entry: .*does not match'
	assert_line --index 1 --regexp '^\$\.elfinfo\.init_p2m: None was expected'
	assert_equal "${#lines[@]}" 2
}

@test "a xen-3.0 segment with no flags fails, one with only r validates" {
	bad_plan_of pae-basic.elf elfinfo 'p["elfinfo"]["segments"][0]["flags"] = "r"'
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/elfinfo.json" "$BATS_TEST_TMPDIR/bad.json"
	edit_plan "$BATS_TEST_TMPDIR/1-elfinfo.json" "$BATS_TEST_TMPDIR/bad.json" \
	    'p["elfinfo"]["segments"][0]["flags"] = ""'
	refused_by elfinfo
	assert_output --regexp '^\$\.elfinfo\.segments\[0\]\.flags: .*does not match'
}

@test "a legacy guest_info of null validates for xen-3.0 but fails for xen-1.3" {
	bad_plan_of notes-legacy-pae.elf elfinfo 'p["elfinfo"]["guest_info"] = None'
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/elfinfo.json" "$BATS_TEST_TMPDIR/bad.json"
	bad_plan elfinfo 'p["elfinfo"]["guest_info"] = None'
	refused_by elfinfo
	assert_output --regexp '^\$\.elfinfo\.guest_info: None is not of type'
}

# layout: each ABI's regions and members.

@test "an x86_64 plan with its 8 regions out of order fails schemas/layout.json naming both" {
	bad_plan_of x64-basic.elf layout 'r = p["layout"]["regions"]; r[3], r[6] = r[6], r[3]'
	refused_by layout
	assert_line --index 0 --regexp "^\\\$\\.layout\\.regions\\[3\\]\\.name: 'start_info' was expected"
	assert_line --index 1 --regexp "^\\\$\\.layout\\.regions\\[6\\]\\.name: 'pagetables' was expected"
	assert_equal "${#lines[@]}" 2
}

@test "a PAE plan in xen-1.3's region order (6 regions) fails schemas/layout.json" {
	bad_plan_of pae-basic.elf layout 'r = p["layout"]["regions"]; p["layout"]["regions"] = [r[0], r[1], r[2], r[6], r[3], r[7]]'
	refused_by layout
	assert_line --regexp '^\$\.layout\.regions: .*too short'
	assert_line --regexp '^\$\.layout\.regions\[3\]\.name: '
}

@test "a xen-1.3 plan with xenstore and console regions fails schemas/layout.json" {
	bad_plan layout 'r = p["layout"]["regions"]; r.insert(5, {"name": "xenstore", "start": r[4]["end"], "end": r[4]["end"]})'
	refused_by layout
	assert_line --regexp '^\$\.layout\.regions: '
	assert_line --regexp "^\\\$\\.layout\\.regions\\[5\\]\\.name: 'stack' was expected"
}

@test "a xen-3.0 layout without initrd_pfn or p2m_mapping fails, a xen-1.3 one with them fails" {
	bad_plan_of x64-nop2m.elf layout 'del p["layout"]["initrd_pfn"], p["layout"]["p2m_mapping"]'
	refused_by layout
	assert_output "\$.layout.initrd_pfn: missing (required)
\$.layout.p2m_mapping: missing (required)"
	bad_plan layout 'p["layout"]["initrd_pfn"] = None; p["layout"]["p2m_mapping"] = None'
	refused_by layout
	assert_output "\$.layout.initrd_pfn: unknown member
\$.layout.p2m_mapping: unknown member"
}

@test "a PAE layout with a p2m_mapping, or over 64 GiB, fails schemas/layout.json" {
	bad_plan_of pae-basic.elf layout 'l = p["layout"]; l["p2m_mapping"] = {"va": "0x8000000", "pfn": 8000, "pages": 8, "pt_pages": 1}; l["memory"] = 128 << 30; l["nr_pages"] = 32 << 20'
	refused_by layout
	assert_line --index 0 --regexp '^\$\.layout\.memory: .*greater than the maximum of 68719476736'
	assert_line --index 1 --regexp '^\$\.layout\.nr_pages: .*greater than the maximum of 16777216'
	assert_line --index 2 --regexp '^\$\.layout\.p2m_mapping: .*None was expected'
	assert_equal "${#lines[@]}" 3
}

@test "an x86_64 p2m_mapping with an unknown member or a negative pfn fails schemas/layout.json" {
	bad_plan_of x64-basic.elf layout 'm = p["layout"]["p2m_mapping"]; m["pfn"] = -1; m["mfn"] = 0'
	refused_by layout
	assert_line '$.layout.p2m_mapping.mfn: unknown member'
	assert_line --regexp '^\$\.layout\.p2m_mapping\.pfn: -1 is less than the minimum'
	assert_equal "${#lines[@]}" 2
}

@test "a xen-1.3 layout over 4032 MiB fails, an x86_64 one of 64 GiB validates" {
	bad_plan layout 'p["layout"]["memory"] = 4 << 30; p["layout"]["nr_pages"] = 1 << 20'
	refused_by layout
	assert_line --index 0 --regexp '^\$\.layout\.memory: .*greater than the maximum'
	assert_line --index 1 --regexp '^\$\.layout\.nr_pages: .*greater than the maximum'
	bad_plan_of x64-basic.elf layout 'p["layout"]["memory"] = 64 << 30; p["layout"]["nr_pages"] = 16 << 20'
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/layout.json" "$BATS_TEST_TMPDIR/bad.json"
}

@test "a plan whose layout is another ABI's fails schemas/layout.json" {
	plan_to layout "$GUESTS/basic.elf" --memory 32M
	cp "$BATS_TEST_TMPDIR/2-layout.json" "$BATS_TEST_TMPDIR/xen13.json"
	plan_to layout "$GUESTS/x64-basic.elf" --memory 32M
	edit_plan "$BATS_TEST_TMPDIR/2-layout.json" "$BATS_TEST_TMPDIR/bad.json" \
	    'import json; p["layout"] = json.load(open(sys.argv[1].replace("2-layout", "xen13")))["layout"]'
	refused_by layout
	assert_line '$.layout.initrd_pfn: missing (required)'
	assert_line --regexp '^\$\.layout\.regions: .*too short'
}

# populate: start_info, shared_info, hypercall_page, vcpu per ABI.

@test "a xen-1.3 plan with a vm_assist member fails schemas/populate.json" {
	bad_plan populate 'p["populate"]["vcpu"]["vm_assist"] = "0x0"'
	refused_by populate
	assert_output '$.populate.vcpu.vm_assist: unknown member'
}

@test "a xen-1.3 plan with xen-3.0 start_info fields or a hypercall_page fails schemas/populate.json" {
	bad_plan populate 'p["populate"]["start_info"]["store_pfn"] = 1; p["populate"]["start_info"]["magic"] = "xen-1.3"; p["populate"]["hypercall_page"] = None'
	refused_by populate
	assert_output "\$.populate.hypercall_page: unknown member
\$.populate.start_info.magic: unknown member
\$.populate.start_info.store_pfn: unknown member"
}

@test "a xen-3.0 populate without vm_assist, hypercall_page or start_info.store_pfn fails schemas/populate.json" {
	bad_plan_of pae-bimodal.elf populate 'q = p["populate"]; del q["vcpu"]["vm_assist"], q["hypercall_page"], q["start_info"]["store_pfn"]'
	refused_by populate
	assert_output "\$.populate.hypercall_page: missing (required)
\$.populate.start_info.store_pfn: missing (required)
\$.populate.vcpu.vm_assist: missing (required)"
}

@test "an x86_64 populate with the PAE magic, 4-byte p2m entries or one vCPU slot fails schemas/populate.json" {
	bad_plan_of x64-basic.elf populate 'q = p["populate"]; q["start_info"]["magic"] = "xen-3.0-x86_32p"; q["p2m"]["entry_size"] = 4; q["shared_info"]["masked_vcpu_info"] = 1'
	refused_by populate
	assert_output "\$.populate.p2m.entry_size: 8 was expected
\$.populate.shared_info.masked_vcpu_info: 32 was expected
\$.populate.start_info.magic: 'xen-3.0-x86_64' was expected"
}

@test "start_info flags as an integer, or flag_names with a name <xen/xen.h> does not have, fail schemas/populate.json" {
	bad_plan_of x64-basic.elf populate 'q = p["populate"]["start_info"]; q["flags"] = 16; q["flag_names"] = ["SIF_VIRT_P2M"]'
	refused_by populate
	assert_line --regexp '^\$\.populate\.start_info\.flag_names\[0\]: '
	assert_line --regexp "^\\\$\.populate\.start_info\.flags: 16 is not of type 'string'"
}

@test "a 64-bit register validates on x86_64 but fails on PAE (schemas/populate.json)" {
	bad_plan_of x64-basic.elf populate 'p["populate"]["vcpu"]["vm_assist"] = "0x100000000"'
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/populate.json" "$BATS_TEST_TMPDIR/bad.json"
	bad_plan_of pae-basic.elf populate 'p["populate"]["vcpu"]["sp"] = "0xffffffffc0400000"; p["populate"]["vcpu"]["vm_assist"] = "0x100000000"'
	refused_by populate
	assert_output --regexp '^\$\.populate\.vcpu\.sp: .*does not match.*
\$\.populate\.vcpu\.vm_assist: .*does not match'
}

@test "a PAE populate with p2m frames, or a xen-3.0 one with cmd_line_length 1024, fails schemas/populate.json" {
	bad_plan_of pae-basic.elf populate 's = p["populate"]["start_info"]; s["first_p2m_pfn"] = 5; s["nr_p2m_frames"] = 3; s["cmd_line_length"] = 1024'
	refused_by populate
	assert_output --regexp '^\$\.populate\.start_info\.cmd_line_length: 1024 is greater than the maximum of 1023
\$\.populate\.start_info\.first_p2m_pfn: 0 was expected
\$\.populate\.start_info\.nr_p2m_frames: 0 was expected$'
}

@test "a hypercall_page with an unknown member fails schemas/populate.json" {
	bad_plan_of x64-basic.elf populate 'p["populate"]["hypercall_page"]["mfn"] = 1'
	refused_by populate
	assert_output '$.populate.hypercall_page.mfn: unknown member'
}

# pagetables: levels, entry size, table sizes per ABI.

@test "a PAE pagetables plan with levels 4 fails schemas/pagetables.json" {
	bad_plan_of pae-basic.elf pagetables 'p["pagetables"]["levels"] = 4'
	refused_by pagetables
	assert_output '$.pagetables.levels: 3 was expected'
}

@test "an x86_64 pagetables plan with 4-byte entries or a level-3 pin fails schemas/pagetables.json" {
	bad_plan_of x64-basic.elf pagetables 'p["pagetables"]["entry_size"] = 4; p["pagetables"]["pin"]["level"] = 3'
	refused_by pagetables
	assert_output "\$.pagetables.entry_size: 8 was expected
\$.pagetables.pin.level: 4 was expected"
}

@test "a xen-1.3 pagetables plan with 8-byte entries or a level-3 table fails schemas/pagetables.json" {
	bad_plan pagetables 'p["pagetables"]["entry_size"] = 8; p["pagetables"]["tables"][0]["level"] = 3'
	refused_by pagetables
	assert_output --regexp '^\$\.pagetables\.entry_size: 4 was expected
\$\.pagetables\.tables\[0\]\.level: 3 is not one of \[1, 2\]$'
}

@test "a PAE top table with a fifth entry fails schemas/pagetables.json; a lower table's entry 511 validates" {
	bad_plan_of pae-basic.elf pagetables 't = p["pagetables"]["tables"]; assert t[0]["level"] == 3; t[0]["maps"][-1]["index"] = 4; t[1]["maps"][-1]["index"] = 511; t[1]["maps"][-1]["count"] = 1'
	refused_by pagetables
	assert_output --regexp '^\$\.pagetables\.tables\[0\]\.maps\[0\]\.index: 4 is greater than the maximum of 3$'
}

@test "an x86_64 table entry 512 or a level-5 table fails schemas/pagetables.json" {
	bad_plan_of x64-basic.elf pagetables 't = p["pagetables"]["tables"]; t[0]["maps"][-1]["index"] = 512; t[1]["level"] = 5'
	refused_by pagetables
	assert_line --regexp '^\$\.pagetables\.tables\[0\]\.maps\[1\]\.index: 512 is greater than the maximum of 511$'
	assert_line --regexp '^\$\.pagetables\.tables\[1\]\.level: 5 is not one of \[1, 2, 3, 4\]$'
	assert_equal "${#lines[@]}" 2
}

# domain.json per ABI.

@test "a domain.json without start_info, or with an unknown member in it, fails schemas/domain.json" {
	bad_domain basic.elf 'del p["start_info"]'
	refused_by domain
	assert_output '$.start_info: missing (required)'
	bad_domain x64-basic.elf 'p["start_info"]["level"] = 1'
	refused_by domain
	assert_line '$.start_info.level: unknown member'
}

@test "a xen-3.0 domain.json with control_evtchn instead of store_evtchn fails schemas/domain.json" {
	bad_domain pae-basic.elf 'p["control_evtchn"] = p.pop("store_evtchn")'
	refused_by domain
	assert_line '$.control_evtchn: unknown member'
	assert_line '$.store_evtchn: missing (required)'
}

@test "a xen-1.3 domain.json with vm_assist or the xen-3.0 event channels fails schemas/domain.json" {
	bad_domain basic.elf 'p["vcpu"]["vm_assist"] = "0x0"; p["store_evtchn"] = 1; p["console_evtchn"] = 2'
	refused_by domain
	assert_output "\$.console_evtchn: unknown member
\$.store_evtchn: unknown member
\$.vcpu.vm_assist: unknown member"
}

@test "a xen-1.3 domain.json with an mfn beyond 2^20 fails, an x86_64 one validates its mfns" {
	bad_domain basic.elf 'p["start_info"]["mfn"] = 1 << 20; p["shared_info_mfn"] = 1 << 20; p["pinned"][0]["mfn"] = 1 << 20'
	refused_by domain
	assert_output --regexp '^\$\.pinned\[0\]\.mfn: 1048576 is greater than the maximum of 1048575
\$\.shared_info_mfn: .*
\$\.start_info\.mfn: .*$'
	bad_domain x64-basic.elf 'p["start_info"]["mfn"] = 1 << 39; p["shared_info_mfn"] = (1 << 40) - 1; p["pinned"][0]["mfn"] = 1 << 30; p["vcpu"]["cr3"] = hex((1 << 30) << 12)'
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/domain.json" "$BATS_TEST_TMPDIR/bad.json"
	bad_domain x64-basic.elf 'p["start_info"]["mfn"] = 1 << 40'
	refused_by domain
	assert_line --regexp '^\$\.start_info\.mfn: .*greater than the maximum of 1099511627775$'
}

@test "a PAE domain.json whose pinned L3 or cr3 is above 4 GiB fails schemas/domain.json" {
	bad_domain pae-basic.elf 'p["pinned"][0]["mfn"] = 1 << 20; p["vcpu"]["cr3"] = "0x100000000"'
	refused_by domain
	assert_line --regexp '^\$\.pinned\[0\]\.mfn: 1048576 is greater than the maximum of 1048575$'
	assert_line --regexp '^\$\.vcpu\.cr3: .*does not match'
}

@test "an x86_64 domain.json with a 4-byte m2p or a level-3 pin fails schemas/domain.json" {
	bad_domain x64-nop2m.elf 'p["m2p"]["entry_size"] = 4; p["m2p"]["invalid"] = "0xffffffff"; p["pinned"][0]["level"] = 3'
	refused_by domain
	assert_line '$.m2p.entry_size: 8 was expected'
	assert_line "\$.m2p.invalid: '0xffffffffffffffff' was expected"
	assert_line '$.pinned[0].level: 4 was expected'
}

@test "a xen-3.0 domain.json with DR6 or DR7 off their reset values or a trap table fails schemas/domain.json" {
	bad_domain pae-basic.elf 'p["vcpu"]["debugreg"] = ["0x0"] * 8; p["vcpu"]["trap_table"]["entries"] = 256'
	refused_by domain
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 "\$.vcpu.debugreg[6]: '0xffff0ff0' was expected"
	assert_line --index 1 "\$.vcpu.debugreg[7]: '0x400' was expected"
	assert_line --index 2 '$.vcpu.trap_table.entries: 0 was expected'
}

@test "a PAE domain.json with a 64-bit register fails, an x86_64 one validates it" {
	bad_domain pae-basic.elf 'p["vcpu"]["vm_assist"] = "0x100000000"'
	refused_by domain
	assert_line --regexp '^\$\.vcpu\.vm_assist: .*does not match'
	bad_domain x64-basic.elf 'p["vcpu"]["vm_assist"] = "0x100000000"'
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/domain.json" "$BATS_TEST_TMPDIR/bad.json"
}

@test "a domain.json of an unknown abi fails schemas/domain.json naming abi" {
	bad_domain basic.elf 'p["abi"] = "xen-2.0"'
	refused_by domain
	assert_output --regexp "^\\\$\\.abi: 'xen-2\\.0' is not one of"
}

# finalize --json (schemas/result.json).

@test "finalize --json of every ABI validates against schemas/result.json" {
	local g
	for g in basic.elf pae-basic.elf x64-basic.elf; do
		plan_to pagetables "$GUESTS/$g" --memory 32M
		rm -rf "$BATS_TEST_TMPDIR/dom"
		"$BIN/finalize" --json --out "$BATS_TEST_TMPDIR/dom" \
		    "$BATS_TEST_TMPDIR/4-pagetables.json" >"$BATS_TEST_TMPDIR/r.json"
		run -0 "$PY" "$VALIDATE" "$SCHEMAS/result.json" "$BATS_TEST_TMPDIR/r.json"
		assert_output ''
	done
}

@test "schemas/result.json refuses an unknown member, a sim result with a domid, a cr3 in decimal and a xen result without its name" {
	local edit
	plan_to pagetables "$GUESTS/basic.elf" --memory 32M
	"$BIN/finalize" --json --out "$BATS_TEST_TMPDIR/dom" \
	    "$BATS_TEST_TMPDIR/4-pagetables.json" >"$BATS_TEST_TMPDIR/r.json"
	for edit in 'p["extra"] = 1' 'p["domid"] = 3' 'p["cr3"] = 4096' \
	    'p["backend"] = "xen"; p["domid"] = 3; del p["dir"]'; do
		edit_plan "$BATS_TEST_TMPDIR/r.json" "$BATS_TEST_TMPDIR/bad.json" "$edit"
		refused_by result
	done
	# The unedited one passes: the edits are what fail.
	edit_plan "$BATS_TEST_TMPDIR/r.json" "$BATS_TEST_TMPDIR/bad.json" \
	    'p["backend"] = "xen"; p["domid"] = 3; p["name"] = "a"; del p["dir"]'
	run -0 "$PY" "$VALIDATE" "$SCHEMAS/result.json" "$BATS_TEST_TMPDIR/bad.json"
}

# tests/validate.py itself.

@test "validate.py names each file when given several, and exits 1 if any fails" {
	plan_to layout "$GUESTS/basic.elf" --memory 32M
	run -1 "$PY" "$VALIDATE" "$SCHEMAS/elfinfo.json" \
	    "$BATS_TEST_TMPDIR/1-elfinfo.json" "$BATS_TEST_TMPDIR/2-layout.json"
	assert_output "$BATS_TEST_TMPDIR/2-layout.json: \$.layout: unknown member"
}

@test "validate.py refuses a broken schema (check_schema) with exit 1" {
	cp -r "$SCHEMAS" "$BATS_TEST_TMPDIR/s"
	edit_plan "$SCHEMAS/defs.json" "$BATS_TEST_TMPDIR/s/defs.json" \
	    'p["$defs"]["count"]["minimum"] = "zero"'
	plan_to elfinfo "$GUESTS/basic.elf"
	run -1 "$PY" "$VALIDATE" "$BATS_TEST_TMPDIR/s/elfinfo.json" "$BATS_TEST_TMPDIR/1-elfinfo.json"
	assert_output --partial 'schema error'
}

@test "validate.py exits 1 on a file that is not JSON" {
	printf '{"format": ' >"$BATS_TEST_TMPDIR/bad.json"
	refused_by elfinfo
	assert_output --partial "$BATS_TEST_TMPDIR/bad.json: "
}

@test "validate.py without a JSONFILE is a usage error (exit 2)" {
	run -2 "$PY" "$VALIDATE" "$SCHEMAS/elfinfo.json"
	assert_output --partial 'usage: validate.py SCHEMA JSONFILE...'
}

# The request beyond memory (issue 15): vCPUs, maxmem, name, disks, NICs.

@test "xen-3.0-x86_64 with 4 vCPUs, maxmem, a name, two disks and two NICs: every plan and domain.json validate" {
	all_validate "$GUESTS/x64-basic.elf" --memory 32M --maxmem 64M --vcpus 4 \
	    --name web-1 --disk /srv/root.img,raw,xvda,rw \
	    --disk 'vdev=xvdb, access=ro, target=/dev/vg/data' \
	    --nic '' --nic bridge=br1,mac=00:16:3e:00:00:01
}

@test "layout's request members out of their rules fail schemas/layout.json" {
	local edit
	for edit in 'p["layout"]["vcpus"] = 2' 'p["layout"]["maxmem"] = 4097' \
	    'p["layout"]["name"] = "1234"' 'p["layout"]["name"] = "a/b"' \
	    'p["layout"]["disks"] = [{"target": "/x", "vdev": "hda", "access": "rw"}]' \
	    'p["layout"]["disks"] = [{"target": "/x", "vdev": "xvda", "access": "w"}]' \
	    'p["layout"]["nics"] = [{"mac": "01:16:3e:00:00:01", "bridge": "xenbr0"}]' \
	    'p["layout"]["nics"] = [{"mac": "00:16:3e:00:00:01", "bridge": "a-bridge-name-too-long"}]' \
	    'del p["layout"]["nics"]'; do
		bad_plan layout "$edit"
		refused_by layout
		assert_output --partial '$.layout'
	done
}

@test "a populate plan with shared_info.vcpus 0 fails schemas/populate.json" {
	bad_plan_of x64-basic.elf populate 'p["populate"]["shared_info"]["vcpus"] = 0'
	refused_by populate
	assert_output --partial 'shared_info.vcpus'
}

@test "a domain.json without its request, or with a bad disk, fails schemas/domain.json" {
	bad_domain x64-basic.elf 'del p["maxmem"]'
	refused_by domain
	assert_output --partial 'maxmem'
	bad_domain x64-basic.elf 'p["disks"] = [{"target": "", "vdev": "xvda", "access": "rw"}]'
	refused_by domain
	assert_output --partial 'disks[0].target'
}
