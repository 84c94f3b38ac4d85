#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Differential testing against Xen 4.17's own parser (build/xenparse):
# a corpus of mutated guests and real images (tests/diff/mutate.py, a fixed
# seed), each read by elfinfo and by Xen (tests/diff/run.py). Every case
# where pvbuild accepts what Xen refuses, where the two read different
# facts, or where pvbuild refuses what Xen accepts must have its class in
# tests/diff/explained.txt with the reason. Then one test for each reason
# pvbuild is stricter than Xen: the mutant that shows it, Xen accepting it,
# elfinfo refusing it, and the test's name saying why.
# `make difftest` runs the big corpus.
bats_require_minimum_version 1.5.0
load helper

DIFF=$TOP/tests/diff

setup() {
	[ -x "$TOP/build/xenparse" ] ||
		skip "build/xenparse not built (make xenparse; needs libxen-dev)"
}

@test "a corpus of 300 mutants (seed ci): every difference from Xen is explained" {
	"$PY" "$DIFF/mutate.py" --seed ci --count 300 --linux 2 --vmlinux 1 \
		"$BATS_TEST_TMPDIR/corpus"
	run "$PY" "$DIFF/run.py" --jobs 2 --timeout 60 \
		--explained "$DIFF/explained.txt" --check \
		--out "$BATS_TEST_TMPDIR/results" "$BATS_TEST_TMPDIR/corpus"
	# The counts, shown whatever the outcome.
	printf '# %s\n' "${lines[@]}" >&3
	[ "$status" -eq 0 ]
	assert_line 'unexplained cases: 0'
	assert_line --regexp '^  xen-crash +0$'
	assert_line --regexp '^  timeout +0$'
}

@test "every case of mutate.py --case has its stricter line in explained.txt" {
	run "$PY" "$DIFF/mutate.py" --list-cases
	[ "$status" -eq 0 ]
	for name in $(awk '{ print $1 }' <<<"$output"); do
		case $name in
		guest-info-*) name=guest-info-format ;;
		supported-features-size) name=numeric-note-size ;;
		esac
		grep -q "^stricter $name " "$DIFF/explained.txt" ||
			{ echo "no 'stricter $name' line"; return 1; }
	done
}

# stricter CASE [CLASS]: the targeted mutant CASE is accepted by Xen and
# refused by elfinfo (exit 1, one line) for the reason class CLASS (CASE
# when not given), as run.py names it from the message.
stricter() {
	local case=$1 class=${2:-$1} img=$BATS_TEST_TMPDIR/$1
	"$PY" "$DIFF/mutate.py" --case "$case" "$img"
	run -0 "$TOP/build/xenparse" "$img"
	assert_output --partial '"accepted": true'
	run -1 --separate-stderr "$BIN/elfinfo" "$img"
	[ "${#stderr_lines[@]}" -eq 1 ]
	echo "elfinfo: $stderr"
	run -0 "$PY" -c 'import sys
sys.path.insert(0, sys.argv[1])
import run
print(run.stricter_reason(sys.argv[2]))' "$DIFF" "$stderr"
	assert_output "$class"
}

@test "stricter: a note header past its segment's end (Xen reads the header from the bytes after the segment)" {
	stricter note-header-past-area
}

@test "stricter: a note name past its segment's end (Xen reads the name from the bytes after the segment)" {
	stricter note-name-past-area
}

@test "stricter: a numeric note description past its segment's end (Xen reads the value from beyond it)" {
	stricter note-desc-past-area
}

@test "stricter: a string note unterminated at the end of the file (Xen silently skips the note)" {
	stricter note-string-past-file
}

@test "stricter: a control byte in a string note (Xen copies it; it would go into the plan's JSON and messages)" {
	stricter note-string-unprintable
}

@test "stricter: a string note over 1024 bytes (Xen reads strings up to 4096 bytes)" {
	stricter note-string-too-long
}

@test "stricter: a 3-byte numeric note (Xen's elf_note_numeric silently reads 0 for sizes other than 1, 2, 4, 8)" {
	stricter numeric-note-size
}

@test "stricter: the same note twice with different values (Xen silently keeps the last)" {
	stricter note-given-twice
}

@test "stricter: more than 2048 notes (pvbuild bounds its work; Xen 4.17 reads up to 65536)" {
	stricter too-many-notes
}

@test "stricter: a note segment starting past the end of the file (Xen skips it and falls back to the sections)" {
	stricter note-area-past-file
}

@test "stricter: BSD_SYMTAB yes (pvbuild does not load the symbol table; Xen would, past the kernel)" {
	stricter bsd-symtab
}

@test "stricter: FEATURES requiring auto_translated_physmap (a PV domU cannot have it; Xen's parser refuses only dom0)" {
	stricter impossible-feature
}

@test "stricter: a 70-byte FEATURES name (Xen cuts it into 63-byte names)" {
	stricter feature-name-too-long
}

@test "stricter: a PT_LOAD whose file bytes lie past the end of the file (Xen's parser does not look; its loader would copy nothing)" {
	stricter segment-past-file
}

@test "stricter: p_filesz larger than p_memsz (the file bytes do not fit the segment; Xen's parser does not check)" {
	stricter filesz-over-memsz
}

@test "stricter: a 32-bit guest's segment ending past 4 GiB (Xen computes the extent in 64 bits)" {
	stricter segment-wraps
}

@test "stricter: overlapping loadable segments (Xen loads the later over the earlier)" {
	stricter segments-overlap
}

@test "stricter: a kernel starting off a page boundary (Xen's parser accepts it, its builder fails later)" {
	stricter kernel-start-unaligned
}

@test "stricter: ENTRY at the kernel's end (Xen checks entry > virt_kend, not >=)" {
	stricter entry-outside-kernel
}

@test "stricter: HYPERCALL_PAGE outside the kernel (Xen's parser does not check it)" {
	stricter hypercall-page-outside
}

@test "stricter: ELF32 with EM_X86_64 (Xen takes the guest type from e_machine alone)" {
	stricter machine-contradicts-class
}

@test "stricter: EI_CLASS 3 (Xen reads any class but ELFCLASS64 as ELF32)" {
	stricter elf-class-or-data
}

@test "stricter: EI_VERSION 0 (elfutils' libelf refuses it; Xen's libelf does not look)" {
	stricter libelf
}

@test "stricter: e_phentsize not sizeof(Elf64_Phdr) (Xen steps through the table by e_phentsize)" {
	stricter phentsize
}

@test "stricter: e_shentsize not sizeof(Elf64_Shdr) (Xen steps through the table by e_shentsize)" {
	stricter shentsize
}

@test "stricter: no section-header string table (Xen reads note sections by type, without names)" {
	stricter section-headers
}

@test "stricter: gzip'd, section headers 8 bytes past the ELF's end (Xen counts the 16 spare bytes it allocates past ISIZE)" {
	stricter header-table-past-file
}

@test "stricter: bytes after the gzip member (Xen ignores what follows the first member)" {
	stricter trailing-data
}

@test "stricter: __xen_guest VIRT_BASE=0xC0000000UL (Xen's strtoull stops at the U)" {
	stricter guest-info-format
}

@test "stricter: a __xen_guest string not terminated inside its section (Xen reads on past the section)" {
	stricter guest-info-unterminated guest-info-format
}

@test "stricter: SUPPORTED_FEATURES of 6 bytes (Xen's elf_note_numeric_array reads 0 from a size not a multiple of 4)" {
	stricter supported-features-size numeric-note-size
}

@test "stricter: __xen_guest VIRT_BASE=030000000000 (octal to Xen's strtoull, decimal to the eye)" {
	stricter guest-info-octal guest-info-format
}

@test "stricter: a __xen_guest value of 128 bytes (Xen reads 127 and the rest as another item)" {
	stricter guest-info-long-value guest-info-format
}

@test "stricter: a __xen_guest key given twice with different values (Xen takes the last)" {
	stricter guest-info-twice guest-info-format
}

@test "stricter: a __xen_guest byte that is not ASCII (Xen copies it; it would go into the plan)" {
	stricter guest-info-not-ascii guest-info-format
}

# agree CASE accept|reject: the mutant CASE (mutate.py AGREES), where
# pvbuild once read differently from Xen, is now read as Xen reads it:
# both accept with the same facts, or both refuse.
agree() {
	local case=$1 want=$2 img=$BATS_TEST_TMPDIR/$1
	"$PY" "$DIFF/mutate.py" --case "$case" "$img"
	run -0 "$PY" -c 'import os, sys
sys.path.insert(0, sys.argv[1])
import run
r = run.classify({"file": os.path.basename(sys.argv[2])},
                 os.path.dirname(sys.argv[2]), sys.argv[3], sys.argv[4], 60)
print(r["class"], r.get("reason", "-"), r.get("differ", ""))' 		"$DIFF" "$img" "$BIN/elfinfo" "$TOP/build/xenparse"
	assert_output "agree-$want - "
}

@test "agrees with Xen: a note named \"Xen\" with namesz 5 is Xen's (Xen compares the name up to its NUL)" {
	agree owner-namesz accept
}

@test "agrees with Xen: a note segment of only unknown Xen note types declares nothing, and no fallback to the sections" {
	agree unknown-type-xen-notes reject
}

@test "agrees with Xen: a PAE_MODE note \"yes[extended-cr3]\" is not PAE (the note must be \"yes\" or hold \"bimodal\")" {
	agree pae-note-not-exactly-yes reject
}

@test "agrees with Xen: __xen_guest PAE=bimodal is not PAE (the legacy key must start \"yes\")" {
	agree guest-info-pae-bimodal reject
}

@test "agrees with Xen: a loadable PT_LOAD of memsz 0 still counts in the kernel's extent" {
	agree empty-load accept
}
