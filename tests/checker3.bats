#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The independent checker (tests/checker/checkdom.py) on xen-3.0 domains:
# x86_64 (4-level) and x86_32 PAE (3-level) guests built by pipeline.sh
# pass it, real images too, and every kind of damage tests/checker/damage.py
# knows for these ABIs makes it fail in the group the damage names.
bats_require_minimum_version 1.5.0
load helper

CMDLINE="console=hvc0 root=/dev/ram0 ro"
XEN3_GUESTS="x64-basic x64-nop2m notes-sections pae-basic pae-bimodal notes-legacy-pae"

# pipeline.sh IMAGE, then the checker on the domain; the domain is removed
# when the checker passes: build_check IMAGE MEMORY [INITRD]
build_check() {
	local image=$1 memory=$2 initrd=${3:-}
	local out=$BATS_TEST_TMPDIR/dom
	local args=(--memory "$memory" --cmdline "$CMDLINE" --out "$out")
	local cargs=(--kernel "$image" --memory "$memory" --cmdline "$CMDLINE")
	if [ -n "$initrd" ]; then
		args+=(--initrd "$initrd")
		cargs+=(--initrd "$initrd")
	fi
	echo "# $(basename "$image") $memory ${initrd:+initrd $(basename "$initrd")}"
	rm -rf "$out"
	run ./pipeline.sh "$image" "${args[@]}"
	assert_success
	run "$PY" "$TOP/tests/checker/checkdom.py" "$out" "${cargs[@]}"
	assert_success
	refute_output --partial FAIL
	rm -rf "$out"
}

# The path of a real image (tests/realimages.sh), or skip saying why.
real_image() {
	run "$TOP/tests/realimages.sh" print
	[ "$status" -ne 77 ] || skip "real images unavailable: $output"
	assert_success
	REAL=$(printf '%s\n' "$output" | awk -v n="$1" '$1 == n { print $2 }')
	[ -n "$REAL" ] || skip "realimages.sh names no $1"
}

# The base domains the damage tests copy: name guest memory initrd.
BASES=(
	"x64-p2m x64-basic 33M initrd.img.gz"
	"x64-pfn x64-nop2m 33M initrd.img"
	"pae pae-basic 33M initrd.img"
)

setup_file() {
	local b name guest memory initrd
	cd "$TOP"
	for b in "${BASES[@]}"; do
		read -r name guest memory initrd <<<"$b"
		./pipeline.sh "$GUESTS/$guest.elf" --memory "$memory" \
			--initrd "$GUESTS/$initrd" --cmdline "$CMDLINE" \
			--out "$BATS_FILE_TMPDIR/$name" >/dev/null
	done
}

setup() {
	cd "$TOP"
}

check_base() {
	local name=$1 dir=$2 b n guest memory initrd
	for b in "${BASES[@]}"; do
		read -r n guest memory initrd <<<"$b"
		[ "$n" = "$name" ] || continue
		"$PY" "$TOP/tests/checker/checkdom.py" "$dir" \
			--kernel "$GUESTS/$guest.elf" --initrd "$GUESTS/$initrd" \
			--cmdline "$CMDLINE" --memory "$memory"
		return
	done
	return 2
}

# Every kind that applies to the base domain NAME, each done to a fresh
# copy, fails the checker in its group; the kinds in REQUIRED must apply.
# damage_all NAME MIN REQUIRED...
damage_all() {
	local name=$1 min=$2 kind group n=0
	shift 2
	# Only the Python checker runs here, on a domain built once: the
	# sanitizer pass, which is for pvbuild's programs, leaves it out.
	[ "${PVBUILD_SAN:-0}" != 1 ] ||
		skip "the sanitizer pass: damage and the checker are Python alone (make check runs them)"
	local required=" $* " applied=" "
	run -0 check_base "$name" "$BATS_FILE_TMPDIR/$name"
	refute_output --partial FAIL
	for kind in $("$PY" "$TOP/tests/checker/damage.py" --list |
		awk '$3 != "-" { print $1 }'); do
		rm -rf "$BATS_TEST_TMPDIR/copy"
		cp -r --sparse=always "$BATS_FILE_TMPDIR/$name" "$BATS_TEST_TMPDIR/copy"
		group=$("$PY" "$TOP/tests/checker/damage.py" "$BATS_TEST_TMPDIR/copy" \
			"$kind" 2>/dev/null) || continue
		echo "# $kind: FAIL $group expected"
		run -1 check_base "$name" "$BATS_TEST_TMPDIR/copy"
		assert_output --partial "FAIL $group"
		applied+="$kind "
		n=$((n + 1))
	done
	for kind in $required; do
		[[ "$applied" == *" $kind "* ]] || fail "kind $kind did not apply"
	done
	[ "$n" -ge "$min" ] || fail "only $n kinds applied, expected $min"
}

@test "x64-basic (INIT_P2M), 32 MiB and 1 GiB, with and without an initrd: the checker accepts the domain" {
	for m in 32M 1G; do
		build_check "$GUESTS/x64-basic.elf" "$m"
		build_check "$GUESTS/x64-basic.elf" "$m" "$GUESTS/initrd.img.gz"
	done
}

@test "x64-nop2m (MOD_START_PFN), 32 MiB and 1 GiB, with and without an initrd: the checker accepts the domain" {
	for m in 32M 1G; do
		build_check "$GUESTS/x64-nop2m.elf" "$m"
		build_check "$GUESTS/x64-nop2m.elf" "$m" "$GUESTS/initrd.img"
	done
}

@test "notes-sections (SHT_NOTE), 32 MiB and 1 GiB, with and without an initrd: the checker accepts the domain" {
	for m in 32M 1G; do
		build_check "$GUESTS/notes-sections.elf" "$m"
		build_check "$GUESTS/notes-sections.elf.gz" "$m" "$GUESTS/initrd.img"
	done
}

@test "pae-basic, 32 MiB and 1 GiB, with and without an initrd: the checker accepts the domain" {
	for m in 32M 1G; do
		build_check "$GUESTS/pae-basic.elf" "$m"
		build_check "$GUESTS/pae-basic.elf" "$m" "$GUESTS/initrd.img.gz"
	done
}

@test "pae-bimodal, 32 MiB and 1 GiB, with and without an initrd: the checker accepts the domain" {
	for m in 32M 1G; do
		build_check "$GUESTS/pae-bimodal.elf.gz" "$m"
		build_check "$GUESTS/pae-bimodal.elf" "$m" "$GUESTS/initrd.img"
	done
}

@test "notes-legacy-pae (__xen_guest), 32 MiB and 1 GiB, with and without an initrd: the checker accepts the domain" {
	for m in 32M 1G; do
		build_check "$GUESTS/notes-legacy-pae.elf" "$m"
		build_check "$GUESTS/notes-legacy-pae.elf" "$m" "$GUESTS/initrd.img.gz"
	done
}

@test "a 1 GiB x86_64 domain is checked in a few seconds" {
	local out=$BATS_TEST_TMPDIR/dom start
	./pipeline.sh "$GUESTS/x64-basic.elf" --memory 1G --out "$out" >/dev/null
	start=$SECONDS
	run -0 "$PY" "$TOP/tests/checker/checkdom.py" "$out" \
		--kernel "$GUESTS/x64-basic.elf" --memory 1G
	refute_output --partial FAIL
	[ $((SECONDS - start)) -le 10 ]
}

@test "the checker reads no plan: without plan.json the verdict is the same" {
	local out=$BATS_TEST_TMPDIR/dom
	cp -r --sparse=always "$BATS_FILE_TMPDIR/x64-p2m" "$out"
	rm "$out/plan.json"
	run -0 check_base x64-p2m "$out"
	refute_output --partial FAIL
}

@test "grub-x86_64-xen (PV GRUB, x86_64), 64 MiB: the checker accepts the domain" {
	real_image grub64
	build_check "$REAL" 64M
}

@test "grub-i386-xen (PV GRUB, PAE), 64 MiB: the checker accepts the domain" {
	real_image grub32
	build_check "$REAL" 64M
}

@test "Debian's Linux (bzImage, xz payload), 512 MiB with an initrd: the checker accepts the domain" {
	real_image linux
	"$BIN/elfinfo" "$REAL" >/dev/null 2>&1 ||
		skip "bin/elfinfo does not read bzImages yet"
	build_check "$REAL" 512M "$GUESTS/initrd.img.gz"
}

@test "damage to an x86_64 domain with its p2m list at INIT_P2M: the checker fails in the damaged group" {
	damage_all x64-p2m 30 pte pt-rw l1-entry l2-entry l3-entry l4-entry \
		extra-map p2m-pt-rw p2m-map-entry p2m-tail hypercall-byte si-magic \
		initrd start-info beyond
}

@test "damage to an x86_64 domain with its initrd given by pfn: the checker fails in the damaged group" {
	damage_all x64-pfn 30 l4-entry initrd initrd-tail p2m-tail \
		hypercall-byte si-magic beyond
}

@test "damage to a PAE domain: the checker fails in the damaged group" {
	damage_all pae 30 l1-entry l2-entry l3-entry l3-flags extra-map \
		p2m-tail hypercall-byte si-magic vm-assist initrd-tail
}

@test "the checker fails a xen-3.0 domain when told a different command line, memory size, initrd or kernel" {
	local d=$BATS_FILE_TMPDIR/pae
	run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$d" \
		--kernel "$GUESTS/pae-basic.elf" --initrd "$GUESTS/initrd.img" \
		--cmdline "console=hvc0 root=/dev/ram1 ro" --memory 33M
	assert_output --partial 'FAIL start_info'
	run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$d" \
		--kernel "$GUESTS/pae-basic.elf" --initrd "$GUESTS/initrd.img" \
		--cmdline "$CMDLINE" --memory 34M
	assert_output --partial FAIL
	run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$d" \
		--kernel "$GUESTS/pae-basic.elf" --cmdline "$CMDLINE" --memory 33M
	assert_output --partial FAIL
	run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$d" \
		--kernel "$GUESTS/x64-nop2m.elf" --initrd "$GUESTS/initrd.img" \
		--cmdline "$CMDLINE" --memory 33M
	assert_output --partial "FAIL domain: abi: expected 'xen-3.0-x86_64'"
}
