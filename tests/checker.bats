#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The independent checker must be able to fail: each kind of damage that
# tests/checker/damage.py knows, done to a copy of a good domain, makes the
# checker fail in the group that damage names.
bats_require_minimum_version 1.5.0
load helper

setup_file() {
	local d=$BATS_FILE_TMPDIR
	"$TOP/pipeline.sh" "$TOP/build/guests/multiseg.elf.gz" --memory 20M \
		--initrd "$TOP/build/guests/initrd.img.gz" --cmdline "root=/dev/ram0 ro" \
		--out "$d/good" >/dev/null
}

check() {
	"$PY" "$TOP/tests/checker/checkdom.py" "$1" --kernel "$GUESTS/multiseg.elf.gz" \
		--initrd "$GUESTS/initrd.img.gz" --cmdline "root=/dev/ram0 ro" --memory 20M
}

@test "the checker accepts the untouched domain" {
	run -0 check "$BATS_FILE_TMPDIR/good"
	refute_output --partial FAIL
}

@test "the checker fails on every kind of damage, naming the damaged part" {
	# Only the Python checker runs here, on a domain built once: the
	# sanitizer pass, which is for pvbuild's programs, leaves it out.
	[ "${PVBUILD_SAN:-0}" != 1 ] ||
		skip "the sanitizer pass: damage and the checker are Python alone (make check runs them)"
	local kinds kind group n=0
	kinds=$("$PY" "$TOP/tests/checker/damage.py" --list | cut -d' ' -f1)
	for kind in $kinds; do
		rm -rf "$BATS_TEST_TMPDIR/copy"
		cp -r --sparse=always "$BATS_FILE_TMPDIR/good" "$BATS_TEST_TMPDIR/copy"
		# A kind that does not apply to this domain says so and exits 1.
		group=$("$PY" "$TOP/tests/checker/damage.py" "$BATS_TEST_TMPDIR/copy" \
			"$kind" 2>/dev/null) || continue
		run -1 check "$BATS_TEST_TMPDIR/copy"
		assert_output --partial "FAIL $group"
		n=$((n + 1))
	done
	[ "$n" -ge 20 ]
}

@test "the checker fails when told a different command line or memory size" {
	run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$BATS_FILE_TMPDIR/good" \
		--kernel "$GUESTS/multiseg.elf.gz" --initrd "$GUESTS/initrd.img.gz" \
		--cmdline "root=/dev/ram1 ro" --memory 20M
	assert_output --partial 'FAIL start_info'
	run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$BATS_FILE_TMPDIR/good" \
		--kernel "$GUESTS/multiseg.elf.gz" --initrd "$GUESTS/initrd.img.gz" \
		--cmdline "root=/dev/ram0 ro" --memory 24M
	assert_output --partial FAIL
}
