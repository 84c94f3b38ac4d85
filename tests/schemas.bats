load helper
# schemas/: every stage's output of every test guest validates against its
# stage's schema, the sim backend's domain.json against schemas/domain.json,
# and the schemas refuse what they must (tests/validate.py exits 1 naming the
# member).

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

# A valid plan of basic.elf with the initrd, up to STAGE, edited by the
# Python statement on p into $BATS_TEST_TMPDIR/bad.json.
bad_plan() {
	local stage=$1 edit=$2
	plan_to "$stage" "$GUESTS/basic.elf" --memory 32M \
	    --initrd "$GUESTS/initrd.img" --cmdline "$LONG_CMDLINE"
	edit_plan "$(stage_file "$stage")" "$BATS_TEST_TMPDIR/bad.json" "$edit"
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

@test "every plan schema forbids unknown members in every object it defines" {
	run -0 "$PY" -c 'import json, sys, glob
bad = []
def walk(node, where):
    if isinstance(node, dict):
        if node.get("type") == "object" and node.get("additionalProperties") is not False:
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

@test "an unknown abi, compression or format fails schemas/elfinfo.json" {
	bad_plan elfinfo 'p["elfinfo"]["abi"] = "xen-2.0"; p["elfinfo"]["image"]["compression"] = "bzip2"; p["format"] = "pvbuild-plan/2"'
	refused_by elfinfo
	assert_line --regexp '^\$\.elfinfo\.abi: '
	assert_line --regexp '^\$\.elfinfo\.image\.compression: '
	assert_line --regexp '^\$\.format: '
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
