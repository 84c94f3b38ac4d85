#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Memory checking: Valgrind's memcheck over every stage of the pipeline, on
# Debian's real images (tests/realimages.sh) and on test guests, and over
# elfinfo's refusals of malformed images: no invalid read or write, no use
# of uninitialised memory, nothing definitely lost, finalize's prefetch
# thread included. And the saved fuzzing corpus (tests/fuzz/corpus/), each
# input run through the programs themselves, which must refuse or accept
# it cleanly (sanitized too when built with make SAN=1).
bats_require_minimum_version 1.5.0
load helper

# Exit status valgrind gives when it found an error or a definite leak.
VG_ERROR=99

setup() {
	cd "$TOP"
}

# Skip unless valgrind can run the programs in bin/.
need_valgrind() {
	command -v valgrind >/dev/null ||
		skip "valgrind is not installed (apt-get install valgrind)"
	if nm "$BIN/elfinfo" 2>/dev/null | grep -q __asan_init; then
		skip "bin/ is built with SAN=1: valgrind cannot run ASan binaries"
	fi
}

# vg LOG PROGRAM ARGS...: PROGRAM under memcheck, its report in LOG.
# Without --track-origins, which finds no more errors but doubles the
# time: to see where an uninitialised value came from, run the command
# of a failing test again with it.
vg() {
	local log=$1
	shift
	valgrind --tool=memcheck --error-exitcode=$VG_ERROR --leak-check=full \
		--errors-for-leak-kinds=definite --show-leak-kinds=definite \
		--child-silent-after-fork=yes -q \
		--log-file="$log" "$@"
}

# vg_stage NAME LOG PROGRAM ARGS... >OUT: one stage under memcheck; on an
# error the report is printed and the test fails.
vg_stage() {
	local name=$1 log=$2 rc=0
	shift 2
	vg "$log" "$@" || rc=$?
	if [ "$rc" -ne 0 ] || grep -q 'definitely lost' "$log"; then
		echo "# $name: exit $rc under valgrind" >&2
		cat "$log" >&2
		return 1
	fi
}

# vg_pipeline IMAGE MEMORY [INITRD]: the five stages, each under memcheck,
# with the plans in files so that each stage's status is its own; finalize
# with --prefetch, as pipeline.sh runs it.
vg_pipeline() {
	local image=$1 memory=$2 initrd=${3:-} d=$BATS_TEST_TMPDIR
	local largs=(--memory "$memory" --cmdline "console=hvc0 root=/dev/ram0")
	[ -z "$initrd" ] || largs+=(--initrd "$initrd")
	echo "# $(basename "$image") $memory ${initrd:+initrd $(basename "$initrd")}"
	rm -rf "$d/dom"
	vg_stage elfinfo "$d/vg1" "$BIN/elfinfo" "$image" >"$d/1.json" &&
		vg_stage layout "$d/vg2" "$BIN/layout" "${largs[@]}" "$d/1.json" \
			>"$d/2.json" &&
		vg_stage populate "$d/vg3" "$BIN/populate" "$d/2.json" >"$d/3.json" &&
		vg_stage pagetables "$d/vg4" "$BIN/pagetables" "$d/3.json" \
			>"$d/4.json" &&
		vg_stage finalize "$d/vg5" "$BIN/finalize" --backend sim \
			--out "$d/dom" --prefetch "$image" "$d/4.json" >/dev/null ||
		return 1
	# The domain was built.
	[ -s "$d/dom/domain.json" ] && [ -s "$d/dom/machine.mem" ] ||
		{ echo "# finalize left no domain" >&2; return 1; }
	rm -rf "$d/dom"
}

# Is FILE a crash tests/fuzz/crashes/UNFIXED names, its bug not fixed yet?
unfixed() {
	[ -f tests/fuzz/crashes/UNFIXED ] &&
		grep -q "^$1[[:space:]]" tests/fuzz/crashes/UNFIXED
}

# The path of a real image (tests/realimages.sh), or skip saying why.
real_image() {
	run "$TOP/tests/realimages.sh" print
	[ "$status" -ne 77 ] || skip "real images unavailable: $output"
	assert_success
	REAL=$(printf '%s\n' "$output" | awk -v n="$1" '$1 == n { print $2 }')
	[ -n "$REAL" ] || skip "realimages.sh names no $1"
}

@test "valgrind: the test guests of every ABI, gzip'd, with a gzip'd initrd: no error, nothing lost" {
	need_valgrind
	vg_pipeline "$GUESTS/multiseg.elf.gz" 32M "$GUESTS/initrd.img.gz"
	vg_pipeline "$GUESTS/x64-basic.elf.gz" 32M "$GUESTS/initrd.img"
	vg_pipeline "$GUESTS/pae-bimodal.elf" 48M
	vg_pipeline "$TOP/build/compressed/bzimage-zstd" 16M
}

@test "valgrind: Debian's Linux (bzImage, xz payload) with an initrd: no error, nothing lost" {
	need_valgrind
	real_image linux
	vg_pipeline "$REAL" 256M "$GUESTS/initrd.img"
}

@test "valgrind: Debian's PV GRUB x86_64: no error, nothing lost" {
	need_valgrind
	real_image grub64
	vg_pipeline "$REAL" 64M
}

@test "valgrind: Debian's PV GRUB i386 (PAE): no error, nothing lost" {
	need_valgrind
	real_image grub32
	vg_pipeline "$REAL" 64M
}

@test "valgrind: elfinfo refusing every kind of malformed and truncated image: no error, nothing lost" {
	need_valgrind
	local f n=0 jobs=$(nproc) d=$BATS_TEST_TMPDIR/vg
	mkdir -p "$d"
	# One memcheck per CPU at a time, each image's report in its own
	# log and its exit status in a file beside it.
	for f in "$BAD"/* "$TOP"/build/bad3/* "$TOP"/build/compressed/bad-*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		printf '%s\n' "$f" >"$d/$n.name"
		(rc=0
			vg "$d/$n.log" "$BIN/elfinfo" --max-size 16M "$f" \
				>/dev/null 2>&1 || rc=$?
			echo $rc >"$d/$n.rc") &
		[ $((n % jobs)) -ne 0 ] || wait
	done
	wait
	[ "$n" -ge 60 ]
	for ((i = 1; i <= n; i++)); do
		# Most are refused (1); a few, such as huge-bss, only by layout.
		if [ "$(cat "$d/$i.rc")" -gt 1 ] ||
			grep -q 'definitely lost\|Invalid\|uninitialised' "$d/$i.log"; then
			echo "# $(cat "$d/$i.name"): exit $(cat "$d/$i.rc")" >&2
			cat "$d/$i.log" >&2
			return 1
		fi
	done
}

@test "the saved fuzzing corpus of images: elfinfo accepts or refuses each, exit 0 or 1, one line on refusal" {
	local f n=0
	for f in tests/fuzz/corpus/fuzz_image/* tests/fuzz/crashes/fuzz_image/*; do
		[ -f "$f" ] && ! unfixed "$f" || continue
		run --separate-stderr "$BIN/elfinfo" --max-size 16M "$f"
		if [ "$status" -gt 1 ] || { [ "$status" -eq 1 ] &&
			[ "$(printf '%s\n' "$stderr" | wc -l)" -ne 1 ]; }; then
			echo "# $f: exit $status: $stderr" >&2
			return 1
		fi
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no saved corpus in tests/fuzz/corpus/fuzz_image"
}

@test "the saved fuzzing corpus of plans: each stage accepts or refuses its plan, exit 0 or 1" {
	local f n=0 stage args
	for f in tests/fuzz/corpus/fuzz_plan/* tests/fuzz/crashes/fuzz_plan/*; do
		[ -f "$f" ] && ! unfixed "$f" || continue
		# The first byte names the stage, as in tests/fuzz/fuzz_plan.c.
		case $(($(od -An -tu1 -N1 "$f") & 3)) in
		0) stage=layout args=(--memory 64M) ;;
		1) stage=populate args=() ;;
		2) stage=pagetables args=() ;;
		3) stage=finalize args=(--backend sim --out "$BATS_TEST_TMPDIR/dom") ;;
		esac
		tail -c +2 "$f" >"$BATS_TEST_TMPDIR/plan"
		rm -rf "$BATS_TEST_TMPDIR/dom"
		run --separate-stderr "$BIN/$stage" "${args[@]}" "$BATS_TEST_TMPDIR/plan"
		if [ "$status" -gt 1 ]; then
			echo "# $f ($stage): exit $status: $stderr" >&2
			return 1
		fi
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no saved corpus in tests/fuzz/corpus/fuzz_plan"
}
