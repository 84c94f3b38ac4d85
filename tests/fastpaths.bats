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
