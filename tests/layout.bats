#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# layout: the domain request and the seed's bootstrap address space.
bats_require_minimum_version 1.5.0
load helper
load golden/golden

LONG_CMDLINE=$(printf 'console=xvc0 root=/dev/ram0 %0280d end' 0)
SHORT_CMDLINE="console=xvc0 root=/dev/ram0"

setup() {
	T=$BATS_TEST_TMPDIR
}

# A failure of layout: exit 1, one line on stderr that starts with
# "layout: " and holds MESSAGE, nothing on stdout.
refused() {
	local message=$1
	shift
	run -1 --separate-stderr "$BIN/layout" "$@"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "$message"
	[[ $stderr == "layout: "* ]]
}

# The seed's arithmetic (Xen 1.3's setup_guestos, docs/xen-1.3.md), written
# again here without looking at stages/layout.c: checks every number of
# the layout member of PLAN for memory MEM (as given to --memory) and an
# initrd of INITRD_LEN bytes.
seed_check() {
	"$PY" - "$@" <<'EOF'
import json, sys
plan, mem, initrd_len = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = json.load(open(plan))
ei, l = p["elfinfo"], p["layout"]
shift = {"K": 10, "M": 20, "G": 30}
memory = int(mem[:-1]) << shift[mem[-1]] if mem[-1] in shift else int(mem) << 20
nr_pages = memory >> 12
page_up = lambda x: (x + 0xfff) & ~0xfff
kstart, kend = int(ei["kernel_start"], 16), int(ei["kernel_end"], 16)
v_start = kstart & ~((1 << 22) - 1)
nr_pt = 2
while True:
    initrd = (page_up(kend), page_up(kend) + initrd_len)
    p2m = (page_up(initrd[1]), page_up(initrd[1]) + nr_pages * 4)
    pt = (page_up(p2m[1]), page_up(p2m[1]) + nr_pt * 4096)
    si = (pt[1], pt[1] + 4096)
    stack = (si[1], si[1] + 4096)
    v_end = (stack[1] + (1 << 22) - 1) & ~((1 << 22) - 1)
    if v_end - stack[1] < 512 << 10:
        v_end += 1 << 22
    if ((v_end - v_start) >> 22) + 1 <= nr_pt:
        break
    nr_pt += 1
want = {
    "memory": memory, "nr_pages": nr_pages, "nr_pt_pages": nr_pt,
    "v_start": hex(v_start), "v_end": hex(v_end),
    "regions": [{"name": n, "start": hex(s), "end": hex(e)} for n, (s, e) in
                zip(["kernel", "initrd", "p2m", "pagetables", "start_info",
                     "stack"], [(kstart, kend), initrd, p2m, pt, si, stack])],
}
bad = [(k, l[k], v) for k, v in want.items() if l[k] != v]
for k, got, exp in bad:
    print("layout.%s: got %s, the seed computes %s" % (k, got, exp))
assert v_end - v_start <= memory and v_end <= 0xFC000000, "should be refused"
sys.exit(1 if bad else 0)
EOF
}

# --- Goldens (tests/golden/golden.bash says how to regenerate them) ---

# golden_layout CASE GUEST [layout args...]: layout alone on the committed
# elfinfo plan of GUEST gives the committed CASE.layout.json, saying
# nothing on stderr but $golden_warning when a test sets it.
golden_layout() {
	local case=$1 guest=$2
	shift 2
	golden_input "$guest.elfinfo.json" "$T/in.json"
	"$BIN/layout" "$@" "$T/in.json" >"$T/out.json" 2>"$T/err"
	assert_equal "$(cat "$T/err")" "${golden_warning:-}"
	golden_check "$case.layout.json" "$T/out.json"
}

@test "golden inputs: the committed elfinfo plans are elfinfo's output for the test guests" {
	local guest
	for guest in basic multiseg; do
		"$BIN/elfinfo" "$GUESTS/$guest.elf" >"$T/$guest.json"
		if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
			golden_check "$guest.elfinfo.json" "$T/$guest.json"
			continue
		fi
		# Another toolchain builds other bytes; the goldens stand on the
		# committed inputs, so only compare when the guest is the same.
		local want got
		want=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["elfinfo"]["image"]["sha256"])' "$GOLDEN/$guest.elfinfo.json")
		got=$(sha256sum <"$GUESTS/$guest.elf" | cut -d' ' -f1)
		if [ "$want" != "$got" ]; then
			skip "build/guests/$guest.elf is not the one the goldens were made from (another toolchain?)"
		fi
		golden_check "$guest.elfinfo.json" "$T/$guest.json"
	done
}

@test "golden: basic.elf, 64M, no initrd, no command line" {
	golden_layout basic-64M basic --memory 64M
}

@test "golden: basic.elf, 16M, initrd, short command line" {
	golden_layout basic-16M-initrd basic --memory 16M \
		--initrd "$GUESTS/initrd.img" --cmdline "$SHORT_CMDLINE"
}

@test "golden: multiseg.elf, 32M, initrd, command line over 255 bytes" {
	local golden_warning="layout: --cmdline: ${#LONG_CMDLINE} bytes, of which a xen-1.3 guest sees the first 255"
	golden_layout multiseg-32M-initrd-longcmdline multiseg --memory 32M \
		--initrd "$GUESTS/initrd.img" --cmdline "$LONG_CMDLINE"
}

@test "golden: multiseg.elf, 1G, no initrd" {
	golden_layout multiseg-1G multiseg --memory 1G
}

@test "golden: basic.elf, 3584M: the 512 KiB padding rule adds 4 MiB" {
	golden_layout basic-3584M basic --memory 3584M
}

# The goldens checked by hand against the seed's arithmetic.
#
# multiseg-1G (kernel [0xc0000000, 0xc0319120) in multiseg.elfinfo.json):
#   v_start    = 0xc0000000 & ~(4M-1)                = 0xc0000000
#   initrd     = round_up(0xc0319120), no initrd     = [0xc031a000, 0xc031a000)
#   p2m        = 1G / 4K = 262144 pages * 4 = 0x100000 -> [0xc031a000, 0xc041a000)
#   nr_pt = 2: pagetables [0xc041a000, 0xc041c000), start_info to 0xc041d000,
#              stack to 0xc041e000; v_end = round_up(0xc041e000, 4M) = 0xc0800000
#              (padding 0x3e2000 >= 512K); (8M >> 22) + 1 = 3 > 2: one more.
#   nr_pt = 3: pagetables [0xc041a000, 0xc041d000), start_info
#              [0xc041d000, 0xc041e000), stack [0xc041e000, 0xc041f000);
#              v_end = 0xc0800000; 3 <= 3: done. nr_pt_pages = 3.
#
# basic-3584M (kernel [0xc0000000, 0xc0012400) in basic.elfinfo.json):
#   initrd     = [0xc0013000, 0xc0013000)
#   p2m        = 3584M / 4K = 917504 pages * 4 = 0x380000 -> [0xc0013000, 0xc0393000)
#   nr_pt = 2: stack ends 0xc0397000; round_up = 0xc0400000 leaves 0x69000
#              (420 KiB) < 512 KiB, so v_end = 0xc0800000; (8M >> 22) + 1 = 3 > 2.
#   nr_pt = 3: pagetables [0xc0393000, 0xc0396000), start_info
#              [0xc0396000, 0xc0397000), stack [0xc0397000, 0xc0398000);
#              0xc0400000 - 0xc0398000 = 416 KiB < 512 KiB: v_end = 0xc0800000;
#              3 <= 3: done. nr_pt_pages = 3.
@test "golden values checked by hand: multiseg-1G and basic-3584M" {
	"$PY" - "$GOLDEN/multiseg-1G.layout.json" "$GOLDEN/basic-3584M.layout.json" <<'EOF'
import json, sys
def regions(l):
    return [(r["name"], r["start"], r["end"]) for r in l["regions"]]
m = json.load(open(sys.argv[1]))["layout"]
assert (m["memory"], m["nr_pages"]) == (1 << 30, 262144), m
assert (m["v_start"], m["v_end"], m["nr_pt_pages"]) == ("0xc0000000", "0xc0800000", 3), m
assert regions(m) == [
    ("kernel", "0xc0000000", "0xc0319120"),
    ("initrd", "0xc031a000", "0xc031a000"),
    ("p2m", "0xc031a000", "0xc041a000"),
    ("pagetables", "0xc041a000", "0xc041d000"),
    ("start_info", "0xc041d000", "0xc041e000"),
    ("stack", "0xc041e000", "0xc041f000")], regions(m)
assert m["initrd"] is None and m["cmdline"] == ""
b = json.load(open(sys.argv[2]))["layout"]
assert (b["nr_pages"], b["v_start"], b["v_end"], b["nr_pt_pages"]) == \
    (917504, "0xc0000000", "0xc0800000", 3), b
assert regions(b) == [
    ("kernel", "0xc0000000", "0xc0012400"),
    ("initrd", "0xc0013000", "0xc0013000"),
    ("p2m", "0xc0013000", "0xc0393000"),
    ("pagetables", "0xc0393000", "0xc0396000"),
    ("start_info", "0xc0396000", "0xc0397000"),
    ("stack", "0xc0397000", "0xc0398000")], regions(b)
EOF
}

# --- Values ---

@test "every guest, memory size and initrd: the regions are the seed's arithmetic" {
	local guest mem
	for guest in basic multiseg high; do
		"$BIN/elfinfo" "$GUESTS/$guest.elf" >"$T/$guest.json"
		for mem in 16M 64M 1G 3584M; do
			"$BIN/layout" --memory "$mem" "$T/$guest.json" >"$T/l.json"
			seed_check "$T/l.json" "$mem" 0
			"$BIN/layout" --memory "$mem" --initrd "$GUESTS/initrd.img" \
				"$T/$guest.json" >"$T/l.json"
			seed_check "$T/l.json" "$mem" 150000
		done
	done
}

@test "the seed model above can fail: a layout moved by one page is caught" {
	plan_to layout "$GUESTS/basic.elf" --memory 64M
	edit_plan "$T/2-layout.json" "$T/bad.json" \
		'p["layout"]["regions"][2]["start"] = "0xc0014000"'
	run seed_check "$T/bad.json" 64M 0
	assert_failure
	assert_output --partial 'layout.regions'
}

@test "--memory takes K, M, G and bare MiB; nr_pages is memory / 4096" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	local mem want
	for mem in 65536K:67108864 64M:67108864 64:67108864 1G:1073741824 \
		16388K:16781312 4032M:4227858432; do
		want=${mem#*:}
		"$BIN/layout" --memory "${mem%%:*}" "$T/e.json" >"$T/l.json"
		run "$PY" -c 'import json,sys; l=json.load(open(sys.argv[1]))["layout"]
print(l["memory"], l["nr_pages"])' "$T/l.json"
		assert_output "$want $((want / 4096))"
	done
}

@test "without an initrd: initrd is null and its region is empty at round_up(kernel_end)" {
	plan_to layout "$GUESTS/multiseg.elf" --memory 32M
	run "$PY" -c 'import json,sys; p=json.load(open(sys.argv[1])); l=p["layout"]
r=l["regions"][1]; up=(int(p["elfinfo"]["kernel_end"], 16) + 0xfff) & ~0xfff
print(l["initrd"], r["name"], r["start"] == r["end"] == hex(up), l["cmdline"] == "")' "$T/2-layout.json"
	assert_output 'None initrd True True'
}

@test "a plain initrd: path, size, sha256, compression none, length, region of its length" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	local sum
	sum=$(sha256sum <"$GUESTS/initrd.img" | cut -d' ' -f1)
	run "$PY" -c 'import json,sys; l=json.load(open(sys.argv[1]))["layout"]
i=l["initrd"]; r=l["regions"][1]
print(i["path"], i["size"], i["sha256"], i["compression"], i["length"])
print(r["start"], int(r["end"], 16) - int(r["start"], 16))' "$T/2-layout.json"
	assert_line -n 0 "$(realpath "$GUESTS/initrd.img") 150000 $sum none 150000"
	assert_line -n 1 "0xc0013000 150000"
}

@test "a gzip'd initrd: size and sha256 of the file, length after decompression" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img.gz"
	local sum size
	sum=$(sha256sum <"$GUESTS/initrd.img.gz" | cut -d' ' -f1)
	size=$(stat -c %s "$GUESTS/initrd.img.gz")
	run "$PY" -c 'import json,sys; l=json.load(open(sys.argv[1]))["layout"]
i=l["initrd"]; r=l["regions"][1]
print(i["size"], i["sha256"], i["compression"], i["length"])
print(int(r["end"], 16) - int(r["start"], 16))' "$T/2-layout.json"
	assert_line -n 0 "$size $sum gzip 150000"
	assert_line -n 1 150000
}

@test "a relative --initrd is recorded as an absolute path" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	cd "$GUESTS"
	"$BIN/layout" --memory 16M --initrd initrd.img "$T/e.json" >"$T/l.json"
	run "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["layout"]["initrd"]["path"])' "$T/l.json"
	assert_output "$(realpath "$GUESTS/initrd.img")"
}

@test "a command line over 255 bytes is kept whole in the plan" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M --cmdline "$LONG_CMDLINE"
	[ "${#LONG_CMDLINE}" -gt 255 ]
	run "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["layout"]["cmdline"])' "$T/2-layout.json"
	assert_output "$LONG_CMDLINE"
}

@test "layout keeps the elfinfo member unchanged and reads the plan from stdin" {
	"$BIN/elfinfo" "$GUESTS/multiseg.elf" >"$T/e.json"
	"$BIN/layout" --memory 32M <"$T/e.json" >"$T/stdin.json"
	"$BIN/layout" --memory 32M "$T/e.json" >"$T/file.json"
	cmp "$T/stdin.json" "$T/file.json"
	run "$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
print(a["elfinfo"] == b["elfinfo"], sorted(b))' "$T/e.json" "$T/file.json"
	assert_output "True ['elfinfo', 'format', 'layout']"
}

@test "output is deterministic: keys sorted, indented by two, newline-terminated" {
	plan_to layout "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	"$BIN/layout" --memory 32M --initrd "$GUESTS/initrd.img" \
		"$T/1-elfinfo.json" >"$T/again.json"
	cmp "$T/2-layout.json" "$T/again.json"
	"$PY" -c 'import json,sys; s=open(sys.argv[1]).read()
assert s == json.dumps(json.loads(s), indent=2, sort_keys=True) + "\n"' "$T/again.json"
}

@test "high.elf at 64M with an initrd: v_end is 0xfbc00000, below the hypervisor hole" {
	plan_to pagetables "$GUESTS/high.elf" --memory 64M --initrd "$GUESTS/initrd.img"
	run "$PY" -c 'import json,sys; l=json.load(open(sys.argv[1]))["layout"]
print(l["v_start"], l["v_end"], int(l["v_end"], 16) <= 0xfc000000)' "$T/2-layout.json"
	assert_output '0xfb800000 0xfbc00000 True'
	seed_check "$T/2-layout.json" 64M 150000
}

@test "high.elf at 1G with an initrd: v_end is 0xfbc00000, below the hypervisor hole" {
	plan_to pagetables "$GUESTS/high.elf" --memory 1G --initrd "$GUESTS/initrd.img"
	run "$PY" -c 'import json,sys; l=json.load(open(sys.argv[1]))["layout"]
print(l["v_start"], l["v_end"], int(l["v_end"], 16) <= 0xfc000000)' "$T/2-layout.json"
	assert_output '0xfb800000 0xfbc00000 True'
	seed_check "$T/2-layout.json" 1G 150000
}

# --- The request refused ---

@test "--memory 0 is refused: not a positive multiple of 4 KiB" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	refused "--memory: 0 is not a positive multiple of 4 KiB" --memory 0 "$T/e.json"
}

@test "--memory garbage is refused: '12Q', '-5', '', '64MB', '0x40'" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	local m
	for m in 12Q -5 '' 64MB 0x40 ' 64' 1.5G; do
		refused "--memory: '$m' is not a size" --memory "$m" "$T/e.json"
	done
}

@test "--memory that is not a multiple of 4 KiB is refused (1001K)" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	refused "--memory: 1001K is not a positive multiple of 4 KiB" --memory 1001K "$T/e.json"
}

@test "--memory too large for x86_32 is refused (5G, 4G, 4033M; 4032M is the most)" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	local m
	for m in 5G 4G 4033M 99999999999G; do
		run -1 --separate-stderr "$BIN/layout" --memory "$m" "$T/e.json"
		assert_output ''
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr =~ ^layout:\ --memory:\ .*(too\ large\ for\ x86_32|is\ not\ a\ size) ]]
	done
	refused "--memory: 5G is too large for x86_32" --memory 5G "$T/e.json"
	run -0 "$BIN/layout" --memory 4032M "$T/e.json"
}

@test "a kernel too big for the memory is refused: huge-bss at 64M requires too much space" {
	"$BIN/elfinfo" "$BAD/huge-bss" >"$T/e.json"
	refused "requires too much space (204MB is greater than 64MB limit)" --memory 64M "$T/e.json"
	# With room for it, the same kernel lays out.
	"$BIN/layout" --memory 256M "$T/e.json" >"$T/l.json"
	seed_check "$T/l.json" 256M 0
}

@test "memory of exactly the bootstrap region is enough, 4 KiB less is not" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	# basic at 4M: the region is [0xc0000000, 0xc0400000), exactly 4 MiB.
	"$BIN/layout" --memory 4M "$T/e.json" >"$T/l.json"
	seed_check "$T/l.json" 4M 0
	refused "requires too much space" --memory 4092K "$T/e.json"
}

@test "a region reaching the hypervisor hole at 0xFC000000 is refused (near-hypervisor-hole)" {
	"$BIN/elfinfo" "$BAD/near-hypervisor-hole" >"$T/e.json"
	local m
	for m in 16M 64M 1G; do
		refused "reaches the hypervisor hole at 0xfc000000" --memory "$m" "$T/e.json"
	done
}

@test "a missing initrd is refused, naming the file" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	refused "--initrd: $T/none.img: No such file or directory" --memory 16M \
		--initrd "$T/none.img" "$T/e.json"
}

@test "an initrd that is a directory is refused: not a regular file" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	mkdir "$T/dir.img"
	refused "--initrd: $T/dir.img: not a regular file" --memory 16M \
		--initrd "$T/dir.img" "$T/e.json"
}

@test "an unreadable initrd is refused: Permission denied" {
	if [ "$(id -u)" -eq 0 ]; then
		skip "root reads a file of mode 000"
	fi
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	cp "$GUESTS/initrd.img" "$T/secret.img"
	chmod 000 "$T/secret.img"
	refused "--initrd: $T/secret.img: Permission denied" --memory 16M \
		--initrd "$T/secret.img" "$T/e.json"
}

@test "a corrupt gzip initrd is refused with the offset of the bad data" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	refused "--initrd: $BAD/gzip-corrupt: corrupt gzip data at input offset" \
		--memory 16M --initrd "$BAD/gzip-corrupt" "$T/e.json"
}

@test "a truncated gzip initrd is refused: gzip stream truncated" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	refused "--initrd: $BAD/gzip-truncated: gzip stream truncated" \
		--memory 16M --initrd "$BAD/gzip-truncated" "$T/e.json"
}

@test "a gzip initrd with a wrong CRC is refused" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	refused "--initrd: $BAD/gzip-crc-wrong: corrupt gzip data" \
		--memory 16M --initrd "$BAD/gzip-crc-wrong" "$T/e.json"
}

@test "a command line over 64 KiB is refused" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	refused "--cmdline: longer than 65536 bytes" --memory 16M \
		--cmdline "$(printf '%065537d' 0)" "$T/e.json"
}

@test "a command line that is not UTF-8 is refused" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	refused "--cmdline: not valid UTF-8" --memory 16M --cmdline $'root=\xff' "$T/e.json"
}

# --- Usage ---

@test "usage: no --memory, an unknown option, two plans exit 2" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/e.json"
	run -2 --separate-stderr "$BIN/layout" "$T/e.json"
	assert_output ''
	assert_stderr --partial 'layout: --memory is required'
	assert_stderr --partial 'usage: layout --memory SIZE'
	run -2 --separate-stderr "$BIN/layout" --memory 16M --frob "$T/e.json"
	assert_output ''
	assert_stderr --partial "layout: unknown option '--frob'"
	run -2 --separate-stderr "$BIN/layout" --memory 16M "$T/e.json" "$T/e.json"
	assert_output ''
	assert_stderr --partial 'layout: too many arguments'
}

@test "--help and --version exit 0" {
	run -0 "$BIN/layout" --help
	assert_line --index 0 'usage: layout --memory SIZE [--maxmem SIZE] [--vcpus N] [--name NAME] [--disk SPEC]... [--nic SPEC]... [--initrd FILE] [--cmdline STRING] [--no-cache] [PLAN]'
	run -0 "$BIN/layout" --version
	assert_output --regexp '^layout \(pvbuild\) [0-9]+\.[0-9]+\.[0-9]+( \(git [^ ()]+\))?$'
}

# --- The input plan refused ---

@test "a plan file that does not exist is refused" {
	refused "$T/nothing.json: No such file or directory" --memory 16M "$T/nothing.json"
}

@test "malformed JSON is refused with line:column" {
	printf '{\n  "format": "pvbuild-plan/1",\n  "elfinfo": {,\n}\n' >"$T/bad.json"
	refused "$T/bad.json:3:15: " --memory 16M "$T/bad.json"
}

@test "an empty plan file, or /dev/null on stdin, is refused as empty" {
	: >"$T/empty.json"
	refused "$T/empty.json: empty: no plan in it" --memory 16M "$T/empty.json"
	run -1 --separate-stderr "$BIN/layout" --memory 16M </dev/null
	assert_output ''
	assert_stderr 'layout: <stdin>: empty: no plan in it'
}

@test "a duplicate key is refused with line:column" {
	printf '{"format": "pvbuild-plan/1", "format": "pvbuild-plan/1"}\n' >"$T/dup.json"
	refused "$T/dup.json:1:" --memory 16M "$T/dup.json"
	assert_stderr --partial 'duplicate'
}

@test "a plan that is not an object is refused" {
	echo '["pvbuild-plan/1"]' >"$T/arr.json"
	refused "$T/arr.json: a plan is a JSON object" --memory 16M "$T/arr.json"
}

@test "an unknown format is refused (pvbuild-plan/9)" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/f9.json" 'p["format"] = "pvbuild-plan/9"'
	refused 'format: "pvbuild-plan/9" is not "pvbuild-plan/1"' --memory 16M "$T/f9.json"
	edit_plan "$T/1-elfinfo.json" "$T/nof.json" 'del p["format"]'
	refused 'format: missing or not a string' --memory 16M "$T/nof.json"
}

@test "a plan without elfinfo is refused: missing (run elfinfo first)" {
	echo '{"format": "pvbuild-plan/1"}' >"$T/bare.json"
	refused "$T/bare.json: elfinfo: missing (run elfinfo first)" --memory 16M "$T/bare.json"
}

@test "a missing elfinfo member is refused, naming it (elfinfo.entry)" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'del p["elfinfo"]["entry"]'
	refused "elfinfo.entry: missing" --memory 16M "$T/x.json"
}

@test "an ill-typed member is refused: kernel_start as a number" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["elfinfo"]["kernel_start"] = 0xc0000000'
	refused "elfinfo.kernel_start: expected string, got integer" --memory 16M "$T/x.json"
}

@test "an ill-typed member is refused: a segment's offset as a string" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["elfinfo"]["segments"][1]["offset"] = "8192"'
	refused "elfinfo.segments[1].offset: expected integer, got string" --memory 16M "$T/x.json"
}

@test "the stage run twice is refused: layout on a layout plan" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	refused "layout: already in the plan (was the stage run twice?)" --memory 16M "$T/2-layout.json"
}

@test "a later stage's member is refused (populate in a plan for layout)" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/3-populate.json" "$T/x.json" 'del p["layout"]'
	refused "populate: already in the plan" --memory 16M "$T/x.json"
}

@test "an unknown member is refused, at the top and inside elfinfo" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["extra"] = 1'
	refused "extra: unknown member" --memory 16M "$T/x.json"
	edit_plan "$T/1-elfinfo.json" "$T/y.json" 'p["elfinfo"]["segments"][0]["align"] = 4096'
	refused "elfinfo.segments[0].align: unknown member" --memory 16M "$T/y.json"
}

@test "a hex address in uppercase is refused (0xC0012400, 0XC0000000)" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["elfinfo"]["kernel_end"] = "0xC0012400"'
	refused 'elfinfo.kernel_end: "0xC0012400" is not a lowercase 0x-prefixed hex address' \
		--memory 16M "$T/x.json"
	edit_plan "$T/1-elfinfo.json" "$T/y.json" 'p["elfinfo"]["entry"] = "0XC0000000"'
	refused 'elfinfo.entry: "0XC0000000" is not a lowercase' --memory 16M "$T/y.json"
}

@test "a hex address past 64 bits or without digits is refused" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["elfinfo"]["entry"] = "0x1" + "0" * 16'
	refused 'elfinfo.entry: "0x10000000000000000" is not a lowercase' --memory 16M "$T/x.json"
	edit_plan "$T/1-elfinfo.json" "$T/y.json" 'p["elfinfo"]["entry"] = "0x"'
	refused 'elfinfo.entry: "0x" is not' --memory 16M "$T/y.json"
}

@test "an elfinfo whose entry is outside the kernel is refused" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["elfinfo"]["entry"] = p["elfinfo"]["kernel_end"]'
	refused "elfinfo.entry: 0xc0012400 is outside the kernel" --memory 16M "$T/x.json"
}

@test "an elfinfo segment past the image's bytes is refused" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" \
		's = p["elfinfo"]["segments"][1]; s["filesz"] = p["elfinfo"]["image"]["elf_size"] - s["offset"] + 1'
	refused "elfinfo.segments[1].offset: file range runs past the image's" --memory 16M "$T/x.json"
}

@test "elfinfo segments that overlap are refused" {
	plan_to elfinfo "$GUESTS/multiseg.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["elfinfo"]["segments"][1]["vaddr"] = "0xc0000200"'
	refused "elfinfo.segments: segments overlap at 0xc0000200" --memory 16M "$T/x.json"
}

@test "an elfinfo kernel_end that no segment ends at is refused" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["elfinfo"]["kernel_end"] = "0xc0013000"'
	refused "elfinfo.kernel_end: no segment ends there" --memory 16M "$T/x.json"
}

@test "an elfinfo image path that is not absolute is refused" {
	plan_to elfinfo "$GUESTS/basic.elf"
	edit_plan "$T/1-elfinfo.json" "$T/x.json" 'p["elfinfo"]["image"]["path"] = "basic.elf"'
	refused 'elfinfo.image.path: "basic.elf" is not absolute' --memory 16M "$T/x.json"
}

@test "a command line longer than the guest sees is cut with a warning on stderr, not an error" {
	local long
	long=$(head -c 1100 /dev/zero | tr '\0' a)
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/13.json"
	run --separate-stderr "$BIN/layout" --memory 16M --cmdline "${long:0:300}" "$T/13.json"
	assert_success
	assert_equal "$stderr" "layout: --cmdline: 300 bytes, of which a xen-1.3 guest sees the first 255"
	"$BIN/elfinfo" "$GUESTS/x64-basic.elf" >"$T/3.json"
	run --separate-stderr "$BIN/layout" --memory 64M --cmdline "${long:0:300}" "$T/3.json"
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr "$BIN/layout" --memory 64M --cmdline "$long" "$T/3.json"
	assert_success
	assert_equal "$stderr" "layout: --cmdline: 1100 bytes, of which a xen-3.0-x86_64 guest sees the first 1023"
}
