#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# End to end: pipeline.sh builds sim domains that the independent checker
# (tests/checker/checkdom.py, which shares no code with the builder)
# accepts, and fails cleanly, leaving nothing, when a stage fails.
bats_require_minimum_version 1.5.0
load helper

LONG_CMDLINE=$(printf 'root=/dev/ram0 console=xvc0 %0300d end' 0)

build_and_check() {
	local image=$1 memory=$2 initrd=$3 cmdline=$4
	local out=$BATS_TEST_TMPDIR/dom
	local args=(--memory "$memory" --cmdline "$cmdline" --out "$out")
	local cargs=(--kernel "$image" --cmdline "$cmdline")
	if [ -n "$initrd" ]; then
		args+=(--initrd "$initrd")
		cargs+=(--initrd "$initrd")
	fi
	run ./pipeline.sh "$image" "${args[@]}"
	assert_success
	assert_line --partial "domain: $out"
	local bytes
	bytes=$("$PY" -c 'import sys; s=sys.argv[1]; m={"K":10,"M":20,"G":30}
print(int(s[:-1]) << m[s[-1]] if s[-1] in m else int(s) << 20)' "$memory")
	run "$PY" "$TOP/tests/checker/checkdom.py" "$out" "${cargs[@]}" \
		--memory "$bytes"
	assert_success
	refute_output --partial FAIL
}

setup() {
	cd "$TOP"
}

@test "basic guest, 16 MiB, no initrd: the checker accepts the domain" {
	build_and_check "$GUESTS/basic.elf" 16M "" "quiet"
}

@test "basic guest, 64 MiB, gzip'd initrd: the checker accepts the domain" {
	build_and_check "$GUESTS/basic.elf" 64M "$GUESTS/initrd.img.gz" "ro"
}

@test "multiseg guest (several segments, 3 MiB bss, entry inside), plain initrd" {
	build_and_check "$GUESTS/multiseg.elf" 32M "$GUESTS/initrd.img" "a b c"
}

@test "gzip'd multiseg guest, 256 MiB, command line over 255 bytes is cut" {
	build_and_check "$GUESTS/multiseg.elf.gz" 256M "$GUESTS/initrd.img" \
		"$LONG_CMDLINE"
}

@test "high guest ending just below the hypervisor hole, 1 GiB" {
	build_and_check "$GUESTS/high.elf.gz" 1G "$GUESTS/initrd.img.gz" ""
}

@test "empty command line and no initrd give empty start_info fields" {
	build_and_check "$GUESTS/multiseg.elf" 8M "" ""
}

@test "pipeline.sh --keep saves the four plans, each the previous plus one member" {
	run ./pipeline.sh "$GUESTS/basic.elf" --memory 16M --out "$BATS_TEST_TMPDIR/d" \
		--keep "$BATS_TEST_TMPDIR/plans"
	assert_success
	run "$PY" -c 'import json,sys
d = sys.argv[1]
names = ["elfinfo", "layout", "populate", "pagetables"]
prev = {"format": "pvbuild-plan/1"}
for i, n in enumerate(names):
    p = json.load(open("%s/%d-%s.json" % (d, i + 1, n)))
    assert sorted(p) == sorted(list(prev) + [n]), (n, sorted(p))
    for k in prev:
        assert p[k] == prev[k], (n, k)
    prev = p
print("ok")' "$BATS_TEST_TMPDIR/plans"
	assert_success
	assert_output ok
	cmp "$BATS_TEST_TMPDIR/plans/4-pagetables.json" <(
		"$PY" -c 'import json,sys
p = json.load(open(sys.argv[1])); del p["finalize"]
print(json.dumps(p, indent=2, sort_keys=True))' "$BATS_TEST_TMPDIR/d/plan.json")
}

@test "the same input gives byte-identical plans and machine memory" {
	for n in 1 2; do
		./pipeline.sh "$GUESTS/multiseg.elf.gz" --memory 16M --initrd "$GUESTS/initrd.img" \
			--out "$BATS_TEST_TMPDIR/d$n" --keep "$BATS_TEST_TMPDIR/p$n" >/dev/null
	done
	diff -ru "$BATS_TEST_TMPDIR/p1" "$BATS_TEST_TMPDIR/p2"
	cmp "$BATS_TEST_TMPDIR/d1/machine.mem" "$BATS_TEST_TMPDIR/d2/machine.mem"
	cmp "$BATS_TEST_TMPDIR/d1/domain.json" "$BATS_TEST_TMPDIR/d2/domain.json"
}

@test "a failing stage leaves no domain, no plans and no temporary directory" {
	run -1 --separate-stderr ./pipeline.sh "$BAD/wrong-xen-ver" --memory 16M \
		--out "$BATS_TEST_TMPDIR/d" --keep "$BATS_TEST_TMPDIR/plans"
	assert_output ''
	assert_stderr --partial 'elfinfo: '
	assert_stderr --partial 'XEN_VER'
	[ ! -e "$BATS_TEST_TMPDIR/d" ]
	[ ! -e "$BATS_TEST_TMPDIR/plans" ]
	run ls -A "$BATS_TEST_TMPDIR"
	refute_output --partial pvbuild
}

@test "a failing layout in the plain pipe exits 1 with nothing on stdout" {
	run -1 --separate-stderr ./pipeline.sh "$BAD/huge-bss" --memory 64M \
		--out "$BATS_TEST_TMPDIR/d"
	assert_output ''
	assert_stderr --partial 'layout: --memory: initial guest OS requires too much space'
	[ ! -e "$BATS_TEST_TMPDIR/d" ]
}

@test "pipeline.sh usage errors exit 2" {
	run -2 --separate-stderr ./pipeline.sh --memory 16M --out "$BATS_TEST_TMPDIR/d"
	assert_stderr --partial 'no KERNEL given'
	run -2 --separate-stderr ./pipeline.sh "$GUESTS/basic.elf" --out "$BATS_TEST_TMPDIR/d"
	assert_stderr --partial '--memory is required'
	run -2 --separate-stderr ./pipeline.sh "$GUESTS/basic.elf" --memory 16M
	assert_stderr --partial '--out DIR is required'
	run -2 --separate-stderr ./pipeline.sh "$GUESTS/basic.elf" --memory
	assert_stderr --partial '--memory needs a value'
	run -0 ./pipeline.sh --help
	assert_output --partial 'usage: pipeline.sh IMAGE'
}

@test "every program answers --help and --version" {
	for p in elfinfo layout populate pagetables finalize show; do
		run -0 "$BIN/$p" --help
		assert_output --partial "usage: $p"
		run -0 "$BIN/$p" --version
		assert_output --regexp "^$p \\(pvbuild\\) [0-9]"
	done
}

@test "pipeline.sh finds bin/ beside itself from any directory, by any path" {
	local rel
	rel=$(realpath --relative-to="$BATS_TEST_TMPDIR" "$TOP/pipeline.sh")
	cd "$BATS_TEST_TMPDIR"
	run -0 "$rel" "$GUESTS/basic.elf" --memory 16M --out d1
	assert_line --partial "domain: d1"
	run -0 "$TOP/pipeline.sh" "$GUESTS/basic.elf" --memory 16M --out d2
	assert_line --partial "domain: d2"
	PATH=$TOP:$PATH run -0 pipeline.sh "$GUESTS/basic.elf" --memory 16M --out d3
	assert_line --partial "domain: d3"
	run -0 bash "$rel" --version
	assert_output --regexp '^pipeline.sh \(pvbuild\) [0-9]'
}

# Every library a program names is loaded and relocated at each of its
# starts, the most of a small guest's build that the planners spend; the
# stages link theirs statically (PV_STATIC=1, the default) or as shared
# libraries (PV_STATIC=0), so a library is looked for both ways: named,
# or its functions linked in.
@test "the plan-only stages load no image library; finalize loads no Xen library; no stage loads libcrypto" {
	local p
	for p in populate pagetables; do
		run -0 bash -c 'readelf -dW "$1" && nm "$1"' - "$BIN/$p"
		assert_line --regexp '\[libjansson\.so| T json_loadf$'
		refute_output --regexp 'libnettle|libcrypto|libz\.|liblzma|liblzo2|liblz4|libzstd|libbz2|libelf'
		refute_output --regexp ' T (nettle_sha256_update|lzma_code|inflate|ZSTD_decompressStream|LZ4F_decompress|lzo1x_decompress_safe|BZ2_bzDecompress|elf_begin)$'
	done
	# sha256 from Nettle: OpenSSL's libcrypto costs more to load and to
	# set up than a small guest's whole digest.
	for p in elfinfo layout finalize; do
		run -0 bash -c 'readelf -dW "$1" && nm "$1"' - "$BIN/$p"
		assert_line --regexp '\[libnettle\.so| T nettle_sha256_update$'
		refute_output --regexp '\[libcrypto| T (SHA256_Init|EVP_DigestInit_ex)$'
	done
	run -0 readelf -dW "$BIN/finalize"
	refute_output --partial '[libxen'
	# The static link kept the xen backend whole.
	run -0 nm "$BIN/finalize"
	assert_line --regexp ' T xc_interface_open$'
}
