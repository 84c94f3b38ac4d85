#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Messages are one line, whatever they quote. Plans are untrusted and
# finalize runs as root; file names and arguments come from anyone: a
# newline, an escape sequence or a byte that is not UTF-8 quoted raw would
# forge log lines ("finalize: ok, domain built") or drive the operator's
# terminal. Every line a program prints about a name from outside is
# escaped (\n, \x1b, \xff), and a message too long is cut in the middle,
# keeping the start (the file or field) and the end (the reason) whole.
bats_require_minimum_version 1.5.0
load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# Every line of TEXT is printable: valid UTF-8 without a C0 or C1
# control, DEL, or a Unicode line or paragraph separator.
printable() {
	printf '%s' "$1" | "$PY" -c 'import re, sys
s = sys.stdin.buffer.read().decode("utf-8")
bad = re.findall("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]", s)
sys.exit("raw control characters: %r" % bad if bad else 0)'
}

# The last run's stderr is one printable line of at most MAX bytes
# (default 600: the program's name and a message of 511).
one_line() {
	local max=${1:-600}
	if [ "${#stderr_lines[@]}" -ne 1 ]; then
		printf 'not one line on stderr:\n%s\n' "$stderr" >&2
		return 1
	fi
	printable "$stderr"
	[ "$(printf '%s' "$stderr" | wc -c)" -le "$max" ]
}

# A plan after STAGE of basic.elf at 16 MiB, edited: edited STAGE 'python'
# into $T/edited.json.
edited() {
	local n
	case $1 in
	elfinfo) n=1 ;; layout) n=2 ;; populate) n=3 ;; pagetables) n=4 ;;
	esac
	plan_to "$1" "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/$n-$1.json" "$T/edited.json" "$2"
}

@test "a plan's path with a newline cannot forge a second line" {
	edited pagetables 'p["elfinfo"]["image"]["path"] = "/tmp/x\nfinalize: ok, domain built"'
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/edited.json"
	assert_output ''
	one_line
	assert_stderr --partial 'finalize: elfinfo.image: /tmp/x\nfinalize: ok, domain built: '
	[ ! -e "$T/dom" ]
}

@test "a plan's path with an escape sequence reaches no terminal" {
	edited pagetables 'p["elfinfo"]["image"]["path"] = "/tmp/\u001b]0;pwned\u0007"'
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/edited.json"
	assert_output ''
	one_line
	[[ $stderr != *$'\e'* && $stderr != *$'\a'* ]]
	assert_stderr --partial '/tmp/\x1b]0;pwned\x07: '
}

@test "C1 controls (an 8-bit CSI) and bidirectional overrides are escaped" {
	edited pagetables 'p["elfinfo"]["image"]["path"] = "/tmp/\u009b2J\u202eexe.txt"'
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/edited.json"
	one_line
	assert_stderr --partial '/tmp/\xc2\x9b2J\xe2\x80\xaeexe.txt: '
}

@test "a hex value with a newline: one line in populate, pagetables and finalize" {
	edited layout 'p["elfinfo"]["entry"] = "0x1\n2"'
	run -1 --separate-stderr "$BIN/populate" "$T/edited.json"
	assert_output ''
	one_line
	assert_stderr --partial 'elfinfo.entry: "0x1\n2" is not'
	edited pagetables 'p["populate"]["vcpu"]["ip"] = "0x1\n2"'
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/edited.json"
	one_line
	assert_stderr --partial 'populate.vcpu.ip: "0x1\n2" is not'
	edited populate 'p["populate"]["vcpu"]["sp"] = "0x1\r\n\u001b[2K"'
	run -1 --separate-stderr "$BIN/pagetables" "$T/edited.json"
	one_line
	assert_stderr --partial 'populate.vcpu.sp: "0x1\r\n\x1b[2K" is not'
}

@test "a key with a newline is one line too" {
	edited elfinfo 'p["elfinfo\nlayout: ok"] = 1'
	run -1 --separate-stderr "$BIN/layout" --memory 16M "$T/edited.json"
	assert_output ''
	one_line
	assert_stderr --partial 'elfinfo\nlayout: ok: unknown member'
}

@test "a byte that is not UTF-8 in a path on the command line is escaped" {
	run -1 --separate-stderr "$BIN/elfinfo" $'/tmp/\xff\xfe-nonexistent'
	assert_output ''
	one_line
	assert_stderr --partial '/tmp/\xff\xfe-nonexistent: '
}

@test "an image or initrd whose name is not UTF-8 is refused as such, not as out of memory" {
	cp "$GUESTS/basic.elf" "$T/"$'\xff.elf'
	run -1 --separate-stderr "$BIN/elfinfo" "$T/"$'\xff.elf'
	assert_output ''
	one_line
	assert_stderr --partial '/\xff.elf: the name is not UTF-8, which a plan cannot hold'
	plan_to elfinfo "$GUESTS/basic.elf"
	run -1 --separate-stderr "$BIN/layout" --memory 16M --initrd "$T/"$'\xff.elf' "$T/1-elfinfo.json"
	one_line
	assert_stderr --partial '/\xff.elf: the name is not UTF-8, which a plan cannot hold'
}

@test "an argument in a usage error is escaped; the synopsis follows" {
	run -2 --separate-stderr "$BIN/layout" $'--x\n2\e[2J'
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 2 ]
	printable "$stderr"
	assert_stderr --partial "unknown option '--x\\n2\\x1b[2J'"
	[[ ${stderr_lines[1]} == "usage: layout "* ]]
	run -2 --separate-stderr "$BIN/boot" --with $'kvm\nboot: verdict 0'
	[ "${#stderr_lines[@]}" -eq 2 ]
	assert_stderr --partial "--with 'kvm\\nboot: verdict 0': not kvm or qemu"
}

@test "finalize --out with a newline: the domain: line is one line" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	run -0 --separate-stderr "$BIN/finalize" --out "$T/a"$'\n'"b" "$T/4-pagetables.json"
	[ -z "$stderr" ]
	assert_line --regexp "^domain: $T/a\\\\nb \(xen-1.3, 4096 pages, "
	refute_line --regexp '^b '
	printable "$output"
	# The directory has the name asked for; only the line shows it escaped.
	[ -d "$T/a"$'\n'"b" ]
}

@test "finalize --out with an escape sequence, refused: one line" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	mkdir "$T/x"$'\e[2J'
	run -1 --separate-stderr "$BIN/finalize" --out "$T/x"$'\e[2J' "$T/4-pagetables.json"
	assert_output ''
	one_line
	assert_stderr --partial '/x\x1b[2J already exists'
}

@test "--out of 300 characters is refused at once, one line naming --out, nothing left" {
	local name
	name=$(printf 'd%.0s' $(seq 300))
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	run -1 --separate-stderr "$BIN/finalize" --out "$T/$name" "$T/4-pagetables.json"
	assert_output ''
	one_line
	[[ $stderr == "finalize: --out: $T/ddd"* ]]
	[[ $stderr == *": its last component is 300 bytes, more than the 228 that leave room for the temporary directory beside it (NAME_MAX 255)" ]]
	[ ! -e "$T/$name" ]
	run compgen -G "$T/.$name.pvbuild-*"
	assert_failure
	# The longest name that leaves room for the temporary is built.
	name=$(printf 'd%.0s' $(seq 228))
	run -0 "$BIN/finalize" --out "$T/$name" "$T/4-pagetables.json"
	[ -d "$T/$name" ]
}

@test "--out of 5000 characters: the line is cut in the middle, the reason whole at its end" {
	local out
	out=$T$(printf '/dd%.0s' $(seq 1666))
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	run -1 --separate-stderr "$BIN/finalize" --out "$out" "$T/4-pagetables.json"
	assert_output ''
	one_line
	[[ $stderr == "finalize: --out: $T/dd/dd/"*"..."*"/dd/dd: ${#out} bytes, too long for the paths of the files in the temporary directory beside it (PATH_MAX 4096)" ]]
}

# layout --initrd PATH on basic.elf's plan: refused, exit 1, one line.
refused_initrd() {
	plan_to elfinfo "$GUESTS/basic.elf"
	run -1 --separate-stderr "$BIN/layout" --memory 16M --initrd "$1" "$T/1-elfinfo.json"
	assert_output ''
	one_line
}

@test "layout --initrd of 10000 characters: one bounded line ending with the reason" {
	refused_initrd "/tmp/$(printf 'i%.0s' $(seq 10000))"
	[[ $stderr == "layout: --initrd: /tmp/iii"*"..."*"iii: File name too long" ]]
}

@test "a cut through multibyte characters and escapes keeps both halves whole" {
	# é is two bytes, \x01 four escaped: a cut at any byte could split one.
	refused_initrd "/tmp/$(printf 'é\001%.0s' $(seq 3000))"
	# (A message cut again when it is wrapped may show more dots.)
	[[ $stderr =~ ^layout:\ --initrd:\ /tmp/(é|\\x01)+\.{3,}(é|\\x01)+:\ File\ name\ too\ long$ ]]
}

@test "boot escapes a domain's name in its own lines" {
	run -1 --separate-stderr "$BIN/boot" "$T/"$'dom\nboot: verdict 0 (pass)'
	assert_output ''
	one_line
	assert_stderr --partial 'dom\nboot: verdict 0 (pass)/domain.json'
}

@test "boot: its own lines escaped, the guest's console on stdout as it is" {
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed (Debian qemu-system-x86)"
	local dom=$T/$'dom\e]0;pwned\a'
	"$TOP/pipeline.sh" "$GUESTS/check13.elf" --memory 32M \
		--cmdline "$("$PY" -B "$TOP/tests/guests/guest-cmdline.py" 8192)" \
		--out "$dom" >/dev/null
	run -0 --separate-stderr "$BIN/boot" --with qemu "$dom"
	assert_line PASS
	printable "$stderr"
	[ "${#stderr_lines[@]}" -ge 3 ]
	local l
	for l in "${stderr_lines[@]}"; do
		[[ $l == "boot: "* ]]
	done
	assert_stderr --partial 'dom\x1b]0;pwned\x07 ('
}

@test "pipeline.sh escapes what it quotes in its own usage errors" {
	run -2 --separate-stderr "$TOP/pipeline.sh" $'--x\e[2J'
	printable "$stderr"
	# The message from pvbuild build, which pipeline.sh runs, in one line,
	# then its synopsis, whose lines after the first are indented.
	[[ ${stderr_lines[0]} == "pvbuild: unknown option "*"x"* ]]
	[[ ${stderr_lines[1]} == "usage: pvbuild build "* ]]
	local l
	for l in "${stderr_lines[@]:2}"; do
		[[ $l == " "* ]]
	done
}
