#!/bin/sh
# SPDX-License-Identifier: ISC
# fuzz.sh: run, replay and save the libFuzzer targets (Makefile, "Fuzzing").
#
#   fuzz.sh run SECONDS TARGET...  fuzz each TARGET for SECONDS from the seed
#                                  corpus (build/fuzz/seeds/TARGET) and the
#                                  saved one (tests/fuzz/corpus/TARGET) into
#                                  build/fuzz/work/TARGET; a crash is written
#                                  to build/fuzz/artifacts/TARGET/
#   fuzz.sh regress TARGET...      replay every saved input and every crash
#                                  (tests/fuzz/crashes/TARGET/) but those
#                                  tests/fuzz/crashes/UNFIXED names
#   fuzz.sh save TARGET...         merge seeds, work and saved corpus into a
#                                  new saved corpus: the fewest, smallest
#                                  inputs that reach every feature, within
#                                  SAVE_FILES files and SAVE_BYTES bytes
#
# The targets are build/fuzz/TARGET. Exit status: 0, or 1 when a target
# crashed or failed.

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$TOP" || exit 1
SAVE_FILES=300
SAVE_BYTES=$((700 * 1024))

# Per target: the longest input and the dictionary.
max_len() {
	case $1 in
	fuzz_image) echo 262144 ;;
	*) echo 131072 ;;
	esac
}
dict() {
	case $1 in
	fuzz_image) echo tests/fuzz/image.dict ;;
	fuzz_plan) echo build/fuzz/seeds/plan.dict ;;
	esac
}

run() {
	seconds=$1
	shift
	status=0
	# The targets run side by side, one a CPU, each for SECONDS.
	for t in "$@"; do
		mkdir -p "build/fuzz/work/$t" "build/fuzz/artifacts/$t" \
			"tests/fuzz/corpus/$t"
		d=$(dict "$t")
		echo "fuzz: $t for ${seconds}s"
		("build/fuzz/$t" -max_total_time="$seconds" -timeout=30 \
			-rss_limit_mb=4096 -max_len="$(max_len "$t")" \
			${d:+-dict="$d"} -print_final_stats=1 \
			-artifact_prefix="build/fuzz/artifacts/$t/" \
			"build/fuzz/work/$t" "build/fuzz/seeds/$t" \
			"tests/fuzz/corpus/$t" >"build/fuzz/$t.log" 2>&1
		echo $? >"build/fuzz/$t.rc") &
	done
	wait
	for t in "$@"; do
		rc=$(cat "build/fuzz/$t.rc")
		grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
			"build/fuzz/$t.log"
		if [ "$rc" -ne 0 ]; then
			echo "fuzz: $t FAILED (exit $rc): see build/fuzz/$t.log and build/fuzz/artifacts/$t/" >&2
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
				"build/fuzz/$t.log" >&2
			status=1
		fi
	done
	return $status
}

# The crashes of TARGET that are still to be fixed, one path a line.
unfixed() {
	[ -f tests/fuzz/crashes/UNFIXED ] || return 0
	sed -n "s|^\(tests/fuzz/crashes/$1/[^ 	]*\).*|\1|p" tests/fuzz/crashes/UNFIXED
}

regress() {
	status=0
	for t in "$@"; do
		list=build/fuzz/$t.regress
		skip=$(unfixed "$t")
		: >"$list"
		for f in tests/fuzz/corpus/"$t"/* tests/fuzz/crashes/"$t"/*; do
			[ -f "$f" ] || continue
			case " $(echo $skip) " in
			*" $f "*) echo "fuzz-regress: $t: skipped, unfixed: $f" ;;
			*) echo "$f" >>"$list" ;;
			esac
		done
		n=$(wc -l <"$list")
		if [ "$n" -eq 0 ]; then
			echo "fuzz-regress: $t: no inputs"
			continue
		fi
		if xargs "build/fuzz/$t" -timeout=30 -rss_limit_mb=4096 \
			<"$list" >"build/fuzz/$t.regress.log" 2>&1; then
			echo "fuzz-regress: $t: $n inputs replayed, ok"
		else
			echo "fuzz-regress: $t FAILED: see build/fuzz/$t.regress.log" >&2
			grep -E 'Running:|ERROR|SUMMARY|runtime error' \
				"build/fuzz/$t.regress.log" | tail -n 20 >&2
			status=1
		fi
	done
	return $status
}

save() {
	for t in "$@"; do
		new=build/fuzz/save/$t
		rm -rf "$new"
		mkdir -p "$new" "build/fuzz/work/$t" "build/fuzz/seeds/$t" \
			"tests/fuzz/corpus/$t"
		"build/fuzz/$t" -merge=1 -timeout=30 -rss_limit_mb=4096 \
			-max_len="$(max_len "$t")" "$new" "tests/fuzz/corpus/$t" \
			"build/fuzz/seeds/$t" "build/fuzz/work/$t" \
			>"build/fuzz/$t.save.log" 2>&1 ||
			{ echo "fuzz: merging $t failed: see build/fuzz/$t.save.log" >&2; return 1; }
		# The budget: drop the largest until it fits.
		while :; do
			files=$(ls "$new" | wc -l)
			bytes=$(cat "$new"/* 2>/dev/null | wc -c)
			[ "$files" -gt $SAVE_FILES ] || [ "$bytes" -gt $SAVE_BYTES ] || break
			rm -f "$new/$(ls -S "$new" | head -n 1)"
		done
		rm -rf "tests/fuzz/corpus/$t"
		mv "$new" "tests/fuzz/corpus/$t"
		echo "fuzz: tests/fuzz/corpus/$t: $files inputs, $bytes bytes"
	done
}

[ $# -ge 1 ] || { echo "usage: fuzz.sh run SECONDS TARGET... | regress TARGET... | save TARGET..." >&2; exit 2; }
cmd=$1
shift
case $cmd in
run) [ $# -ge 2 ] || exit 2; run "$@" ;;
regress) regress "$@" ;;
save) save "$@" ;;
*) echo "fuzz.sh: unknown command $cmd" >&2; exit 2 ;;
esac
