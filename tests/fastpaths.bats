#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The short cuts a build takes for speed (README, "Speed") change no
# result: the sim writes whole kernel and initrd pages into machine.mem
# straight from the image, large images are read into buffers of huge
# pages, and pvbuild starts its stages with vfork and exec. Each test
# holds one of them to the result the long way gives.
bats_require_minimum_version 1.5.0
load helper

setup() {
	cd "$TOP"
	T=$BATS_TEST_TMPDIR
}

check() {
	local dir=$1 kernel=$2 memory=$3
	shift 3
	"$PY" "$TOP/tests/checker/checkdom.py" "$dir" --kernel "$kernel" \
		--memory "$memory" "$@"
}

# padded IMAGE SIZE OUT: IMAGE with zeros after its end up to SIZE bytes,
# the same guest (nothing reads past the ELF's own contents).
padded() {
	cp "$1" "$3"
	truncate -s "$2" "$3"
}

@test "kernel and initrd pages written into machine.mem from the image: the checker finds every byte, with several segments and partial pages" {
	local cmd="root=/dev/ram0 ro"
	"$BIN/pvbuild" build "$GUESTS/multiseg.elf.gz" --memory 20M \
		--initrd "$GUESTS/initrd.img.gz" --cmdline "$cmd" --out "$T/a" >/dev/null
	run -0 check "$T/a" "$GUESTS/multiseg.elf.gz" 20M \
		--initrd "$GUESTS/initrd.img.gz" --cmdline "$cmd"
	refute_output --partial FAIL
	"$BIN/pvbuild" build "$GUESTS/x64-basic.elf" --memory 33M \
		--initrd "$GUESTS/initrd.img" --cmdline "$cmd" --scatter 5 \
		--out "$T/b" >/dev/null
	run -0 check "$T/b" "$GUESTS/x64-basic.elf" 33M \
		--initrd "$GUESTS/initrd.img" --cmdline "$cmd"
	refute_output --partial FAIL
}

@test "images of 1 MiB and more, read into huge-page buffers: the plan's size and sha256 are the file's, at the buffer's edges" {
	local size want
	for size in 1048575 1048576 2097151 2097152 2097153 4194305; do
		padded "$GUESTS/x64-basic.elf" "$size" "$T/k"
		want=$(sha256sum "$T/k" | cut -c1-64)
		"$BIN/elfinfo" --no-cache "$T/k" >"$T/1.json"
		run -0 "$PY" -c 'import json, sys
i = json.load(open(sys.argv[1]))["elfinfo"]["image"]
print(i["size"], i["sha256"], i["elf_sha256"])' "$T/1.json"
		assert_output "$size $want $want"
	done
}

@test "a kernel padded past 2 MiB builds the very machine.mem, m2p.bin and domain.json of the unpadded one: finalize's read of it is whole too" {
	"$BIN/pvbuild" build "$GUESTS/x64-basic.elf" --memory 33M \
		--initrd "$GUESTS/initrd.img" --out "$T/small" >/dev/null
	padded "$GUESTS/x64-basic.elf" 2359297 "$T/k"
	"$BIN/pvbuild" build "$T/k" --memory 33M --initrd "$GUESTS/initrd.img" \
		--out "$T/big" >/dev/null
	cmp "$T/small/machine.mem" "$T/big/machine.mem"
	cmp "$T/small/m2p.bin" "$T/big/m2p.bin"
	cmp "$T/small/domain.json" "$T/big/domain.json"
	# And the plan finalize checked named the padded file whole.
	run -0 "$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["elfinfo"]["image"]["size"])' "$T/big/plan.json"
	assert_output 2359297
}

@test "pvbuild build with its standard input closed still pipes the plan from each stage to the next" {
	# Bounded: a stage left reading pvbuild's own descriptor 0 (its
	# signalfd) would wait for ever.
	run -0 --separate-stderr timeout 60 "$BIN/pvbuild" build \
		"$GUESTS/x64-basic.elf" --memory 33M --out "$T/dom" 0<&-
	assert_equal "$stderr" ""
	[ -s "$T/dom/machine.mem" ]
	run -0 check "$T/dom" "$GUESTS/x64-basic.elf" 33M
	refute_output --partial FAIL
}

@test "a stage that cannot be executed: pvbuild names it, exits 3, and nothing is built" {
	local s
	mkdir "$T/stages"
	for s in elfinfo layout populate pagetables finalize; do
		ln -s "$BIN/$s" "$T/stages/$s"
	done
	# The first stage: none is started before it fails.
	rm "$T/stages/elfinfo"
	printf 'not a program\n' >"$T/stages/elfinfo"
	chmod +x "$T/stages/elfinfo"
	PVBUILD_EXEC_PATH=$T/stages run -3 --separate-stderr "$BIN/pvbuild" \
		build "$GUESTS/x64-basic.elf" --memory 33M --out "$T/dom"
	assert_output ""
	assert_stderr "pvbuild: $T/stages/elfinfo: Exec format error"
	[ ! -e "$T/dom" ]
	run -0 find "$T" -maxdepth 1 -name '.dom.*'
	assert_output ""
}

# big_xz OUT: a guest of 32 MiB (OUT.elf: x64-basic.elf, then numbers in
# text, which nothing reads but which decode at about the pace a kernel
# does) and, xz'd in two streams that split it at 20 MiB, OUT: output
# past AHEAD_WINDOW several times over, and a second dictionary after the
# first is freed.
big_xz() {
	{ cat "$GUESTS/x64-basic.elf"; seq 1 5000000; } | head -c $((32 << 20)) >"$1.elf"
	head -c $((20 << 20)) "$1.elf" | xz -T1 -1 >"$1"
	tail -c +$(((20 << 20) + 1)) "$1.elf" | xz -T1 -1 >>"$1"
}

# faults CMD...: the page faults CMD took writing to memory not yet
# present (perf's count, which leaves out what the kernel makes present
# on request), with transparent huge pages off, so that only memory made
# ready ahead keeps them few. CMD's output is dropped.
faults() {
	"$PY" -c 'import ctypes, os, sys
ctypes.CDLL(None, use_errno=True).prctl(41, 1, 0, 0, 0)	# PR_SET_THP_DISABLE
os.execvp("perf", ["perf", "stat", "-x,", "-e", "page-faults", "-o",
    sys.argv[1], "--"] + sys.argv[2:])' "$T/perf" "$@" >/dev/null
	awk -F, '$3 == "page-faults" { print $1 }' "$T/perf"
}

@test "decompression into memory made ready ahead of the decoder: two xz streams of 32 MiB give the file's bytes" {
	big_xz "$T/k.xz"
	want=$(sha256sum "$T/k.xz.elf" | cut -c1-64)
	PVBUILD_CACHE=$T/cache "$BIN/elfinfo" "$T/k.xz" >"$T/1.json"
	run -0 "$PY" -c 'import json, sys
i = json.load(open(sys.argv[1]))["elfinfo"]["image"]
print(i["compression"], i["elf_size"], i["elf_sha256"])' "$T/1.json"
	assert_output "xz $((32 << 20)) $want"
	# The cache entry holds the same bytes: a warm build takes them.
	PVBUILD_CACHE=$T/cache "$BIN/elfinfo" "$T/k.xz" >"$T/2.json"
	cmp "$T/1.json" "$T/2.json"
	# A cap one byte short is still refused, a cap of the size taken.
	run -1 --separate-stderr "$BIN/elfinfo" --no-cache --max-size 32767K "$T/k.xz"
	assert_stderr "elfinfo: $T/k.xz: decompresses past the cap of $((32767 << 10)) bytes"
	run -0 "$BIN/elfinfo" --no-cache --max-size 32M "$T/k.xz"
}

@test "decompression into memory made ready ahead of the decoder: elfinfo takes a page fault for far fewer than each 4 KiB it writes" {
	[ "${PVBUILD_SAN:-0}" != 1 ] ||
		skip "the sanitizer pass: under AddressSanitizer the output is malloc's, faulted a page at a time"
	local v
	v=$(uname -r)
	v=${v%%-*}
	[ "$(printf '%s\n5.14\n' "$v" | sort -V | head -n 1)" = 5.14 ] ||
		skip "Linux $v has no MADV_POPULATE_WRITE (5.14)"
	big_xz "$T/k.xz"
	perf stat -e page-faults true >/dev/null 2>&1 ||
		skip "perf stat cannot count page faults here"
	big_xz "$T/k.xz"
	# 32 MiB of output and xz -1's dictionary of 1 MiB: 8,448 pages of
	# 4 KiB, each a fault when written to fresh memory.
	run -0 faults "$BIN/elfinfo" --no-cache "$T/k.xz"
	echo "page faults: $output"
	[ "$output" -lt 2112 ]
}

@test "finalize's thread that waits for the kernel runs at nice 10, so that it leaves the decompression a processor" {
	local pid nices i
	mkfifo "$T/plan"
	mkdir -m 700 "$T/cache"
	# Nothing fills the cache: the thread waits for the entry until the
	# plan comes, which it never does here.
	PVBUILD_CACHE=$T/cache "$BIN/finalize" --prefetch "$GUESTS/basic.elf.gz" \
		--out "$T/dom" "$T/plan" 2>/dev/null &
	pid=$!
	exec 9>"$T/plan"
	for i in $(seq 50); do
		nices=$(cat /proc/$pid/task/*/stat 2>/dev/null |
			sed 's/.*) //' | awk '{ print $17 }' | sort -n | tr '\n' ' ')
		[ "$nices" = "0 10 " ] && break
		sleep 0.1
	done
	exec 9>&-
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	echo "thread nice values: $nices"
	[ "$nices" = "0 10 " ]
}
