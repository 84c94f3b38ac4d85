#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# What every program does with its command line and its input before any
# work (README, "Exit codes" and "The pipeline"): the first error of a
# pipe stands alone, a stage never waits in silence on a terminal, -h is
# --help, and long options are taken by their whole names only.
bats_require_minimum_version 1.5.0
load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# The stages that read a plan, each with what it needs besides the plan,
# one per line: the program and its options.
plan_readers() {
	printf '%s\n' "layout --memory 16M" populate pagetables \
		"finalize --out $T/dom"
}

# --- The first error stands alone ---

@test "the five-stage pipe with a missing image: stderr is elfinfo's one line, nothing built" {
	run -1 --separate-stderr bash -c 'set -o pipefail
		"$1/elfinfo" /nope | "$1/layout" --memory 16M | "$1/populate" |
		"$1/pagetables" | "$1/finalize" --out "$2/dom"' _ "$BIN" "$T"
	assert_output ''
	[ "$stderr" = "elfinfo: /nope: No such file or directory" ]
	[ ! -e "$T/dom" ]
}

@test "without pipefail the pipe still fails: the last stage exits 1 in silence" {
	run -1 --separate-stderr bash -c '"$1/elfinfo" /nope |
		"$1/layout" --memory 16M | "$1/populate" | "$1/pagetables" |
		"$1/finalize" --out "$2/dom"' _ "$BIN" "$T"
	[ "$stderr" = "elfinfo: /nope: No such file or directory" ]
}

@test "a layout that fails its own way: populate, pagetables and finalize add nothing" {
	run -1 --separate-stderr bash -c 'set -o pipefail
		"$1/elfinfo" "$3" | "$1/layout" --memory 1K | "$1/populate" |
		"$1/pagetables" | "$1/finalize" --out "$2/dom"' _ "$BIN" "$T" \
		"$GUESTS/basic.elf"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "layout: --memory: 1K is not a positive multiple of 4 KiB" ]]
}

@test "nothing at all from a pipe: each stage exits 1 and says nothing" {
	local cmd
	while read -r cmd; do
		run -1 --separate-stderr bash -c 'true | "$0/"$1' "$BIN" "$cmd"
		assert_output ''
		[ -z "$stderr" ] || { echo "$cmd: $stderr" >&2; return 1; }
	done < <(plan_readers)
	[ ! -e "$T/dom" ]
}

@test "nothing at all from a FIFO or a process substitution named as PLAN: exit 1, silent" {
	mkfifo "$T/fifo"
	: >"$T/fifo" &
	run -1 --separate-stderr "$BIN/populate" "$T/fifo"
	wait
	assert_output ''
	[ -z "$stderr" ]
	run -1 --separate-stderr bash -c '"$0/pagetables" <(true)' "$BIN"
	[ -z "$stderr" ]
}

@test "a pipe that ends in the middle of a plan is an error with line:column" {
	local cmd
	while read -r cmd; do
		run -1 --separate-stderr bash -c \
			'printf "{\"format\"" | "$0/"$1' "$BIN" "$cmd"
		[ "${#stderr_lines[@]}" -eq 1 ]
		assert_stderr --partial "${cmd%% *}: <stdin>:1:9: "
	done < <(plan_readers)
}

@test "an empty PLAN file, an empty file on stdin and /dev/null are refused, naming the input" {
	local cmd s
	: >"$T/empty.json"
	while read -r cmd; do
		s=${cmd%% *}
		run -1 --separate-stderr $BIN/$cmd "$T/empty.json"
		assert_output ''
		[ "$stderr" = "$s: $T/empty.json: empty: no plan in it" ]
		run -1 --separate-stderr $BIN/$cmd <"$T/empty.json"
		[ "$stderr" = "$s: <stdin>: empty: no plan in it" ]
		run -1 --separate-stderr $BIN/$cmd </dev/null
		[ "$stderr" = "$s: <stdin>: empty: no plan in it" ]
		run -1 --separate-stderr $BIN/$cmd - </dev/null
		[ "$stderr" = "$s: <stdin>: empty: no plan in it" ]
	done < <(plan_readers)
	[ ! -e "$T/dom" ]
}

@test "a directory as PLAN or on stdin is a read error, not an empty plan" {
	run -1 --separate-stderr "$BIN/populate" "$T"
	[ "$stderr" = "populate: $T: read error: Is a directory" ]
	run -1 --separate-stderr "$BIN/populate" <"$T"
	[ "$stderr" = "populate: <stdin>: read error: Is a directory" ]
}

# --- A terminal on standard input ---

# Run a command line with a terminal on stdin (and stdout and stderr, which
# script(1) gathers into its output), giving up after 10 seconds: a stage
# that waits for a plan from the terminal fails by the timeout. script
# passes its own stdin to the terminal: /dev/null, so that it takes nothing
# from the caller's.
on_tty() {
	command -v script >/dev/null ||
		skip "script (util-linux) is not installed: no terminal to test with"
	run timeout 10 script -qec "$1" /dev/null </dev/null
}

@test "a stage with a terminal on stdin and no PLAN prints its usage and exits 2" {
	local cmds cmd s
	mapfile -t cmds < <(plan_readers)
	for cmd in "${cmds[@]}"; do
		s=${cmd%% *}
		on_tty "$BIN/$cmd"
		[ "$status" -eq 2 ] || { echo "$cmd: $status: $output" >&2; return 1; }
		assert_line --index 0 --partial "$s: no PLAN given, and standard input is a terminal"
		assert_line --index 1 --partial "usage: $s "
	done
	[ ! -e "$T/dom" ]
}

@test "with a terminal on stdin a PLAN file is read as usual" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	on_tty "$BIN/populate $T/2-layout.json >$T/3.json"
	[ "$status" -eq 0 ]
	"$BIN/pagetables" "$T/3.json" >/dev/null
}

# --- -h and whole option names, for every program ---

@test "-h prints what --help prints, on stdout, exit 0, for every program" {
	local p
	for p in elfinfo layout populate pagetables finalize boot show; do
		run -0 --separate-stderr "$BIN/$p" --help
		local help=$output
		[[ ${lines[0]} == "usage: $p "* ]]
		run -0 --separate-stderr "$BIN/$p" -h
		[ "$output" = "$help" ]
		[ -z "$stderr" ]
	done
}

# An abbreviation of each program's options, first, with the rest of a
# command line that would otherwise be whole: PROGRAM ARGS..., one per line.
abbreviations() {
	cat <<-EOF
	elfinfo --max 1G $GUESTS/basic.elf
	elfinfo --no $GUESTS/basic.elf
	layout --mem 16M $T/p.json
	layout --cmd x --memory 16M $T/p.json
	layout --init $T/p.json --memory 16M $T/p.json
	populate --he
	pagetables --vers
	finalize --back sim --out $T/dom $T/p.json
	finalize --scat 2 --out $T/dom $T/p.json
	finalize --o $T/dom $T/p.json
	boot --time 5 $T/dom
	boot --wi kvm $T/dom
	finalize --js --out $T/dom $T/p.json
	show --sv $T/p.json
	EOF
}

@test "an abbreviated long option is unknown, exit 2, for every program" {
	local p args name
	while read -r p args; do
		name=${args%% *}
		name=${name%%=*}
		run -2 --separate-stderr "$BIN/$p" $args
		assert_output ''
		[ "${stderr_lines[0]}" = "$p: unknown option '$name'" ] ||
			{ echo "$p $args: $stderr" >&2; return 1; }
		[[ ${stderr_lines[1]} == "usage: $p "* ]]
	done < <(abbreviations)
	[ ! -e "$T/dom" ]
}

@test "an abbreviation with =VALUE is unknown by its name alone" {
	run -2 --separate-stderr "$BIN/layout" --mem=16M
	[ "${stderr_lines[0]}" = "layout: unknown option '--mem'" ]
	run -2 --separate-stderr "$BIN/layout" --mem
	[ "${stderr_lines[0]}" = "layout: unknown option '--mem'" ]
}

@test "the whole names still work, with a separate value or =VALUE" {
	"$BIN/elfinfo" --max-size=1G --no-cache "$GUESTS/basic.elf" >"$T/1.json"
	"$BIN/layout" --memory=16M --cmdline x "$T/1.json" >"$T/2.json"
	"$BIN/populate" "$T/2.json" | "$BIN/pagetables" |
		"$BIN/finalize" --backend=sim --out "$T/dom" --scatter=2 >/dev/null
	[ -f "$T/dom/domain.json" ]
}

@test "a flag given a value, a value missing, a short option unknown: exit 2, each named" {
	run -2 --separate-stderr "$BIN/layout" --no-cache=1 --memory 16M
	[ "${stderr_lines[0]}" = "layout: --no-cache takes no value" ]
	run -2 --separate-stderr "$BIN/layout" --memory
	[ "${stderr_lines[0]}" = "layout: --memory needs a value" ]
	run -2 --separate-stderr "$BIN/layout" -x --memory 16M
	[ "${stderr_lines[0]}" = "layout: unknown option '-x'" ]
	run -2 --separate-stderr "$BIN/finalize" --out "$T/dom" -qh
	[ "${stderr_lines[0]}" = "finalize: unknown option '-q'" ]
}

@test "the --help of every stage that reads a plan states both rules" {
	local cmd
	while read -r cmd; do
		run -0 "$BIN/${cmd%% *}" --help
		assert_output --partial "read from standard input, which must not be a
terminal. Nothing at all through a pipe means that the program before
failed and said why: this one exits 1 without a word."
	done < <(plan_readers)
}
