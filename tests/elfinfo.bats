#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# elfinfo: the facts of a guest kernel image, and every malformed image
# refused with one line naming the file and what is wrong.
bats_require_minimum_version 1.5.0
load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# The loadable segments of an ELF32 image as the seed means them (PT_LOAD
# with W or X, in file order), its entry, extent and the whole elfinfo
# "segments" list, read with Python's struct, not libelf: prints JSON.
elf_facts() {
	"$PY" - "$1" <<'EOF'
import json, struct, sys
d = open(sys.argv[1], "rb").read()
entry, phoff = struct.unpack_from("<II", d, 24)
phentsize, phnum = struct.unpack_from("<HH", d, 42)
segs = []
for i in range(phnum):
    t, off, va, pa, fsz, msz, fl, al = struct.unpack_from("<8I", d, phoff + i * phentsize)
    if t == 1 and fl & 3 and msz:
        segs.append({"vaddr": hex(va), "offset": off, "filesz": fsz, "memsz": msz,
                     "flags": "".join(c for c, b in (("r", 4), ("w", 2), ("x", 1)) if fl & b)})
start = min(int(s["vaddr"], 16) for s in segs)
end = max(int(s["vaddr"], 16) + s["memsz"] for s in segs)
print(json.dumps({"entry": hex(entry), "kernel_start": hex(start),
                  "kernel_end": hex(end), "segments": segs}, sort_keys=True))
EOF
}

# A member of the elfinfo plan on stdout, as JSON: member FILE KEY...
member() {
	"$PY" -c 'import json,sys
v = json.load(open(sys.argv[1]))["elfinfo"]
for k in sys.argv[2:]:
    v = v[k]
print(json.dumps(v, sort_keys=True) if not isinstance(v, str) else v)' "$@"
}

# A malformed image refused: exit 1, nothing on stdout, exactly one line on
# stderr, "elfinfo: FILE: " then MESSAGE.
bad_image() {
	local name=$1 message=$2
	run -1 --separate-stderr "$BIN/elfinfo" "$BAD/$name"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "elfinfo: $BAD/$name: "
	assert_stderr --partial "$message"
}

# --- Good images ---

@test "basic.elf: abi, arch, paging levels, guest_info" {
	run -0 --separate-stderr "$BIN/elfinfo" "$GUESTS/basic.elf"
	[ -z "$stderr" ]
	echo "$output" >"$T/p.json"
	run "$PY" -c 'import json,sys; p=json.load(open(sys.argv[1])); e=p["elfinfo"]
print(p["format"], sorted(p), e["abi"], e["arch"], e["paging_levels"])
print(e["guest_info"])' "$T/p.json"
	assert_line -n 0 "pvbuild-plan/1 ['elfinfo', 'format'] xen-1.3 x86_32 2"
	assert_line -n 1 'GUEST_OS=linux,GUEST_VER=2.4,XEN_VER=1.3,LOADER=generic'
}

@test "basic.elf: kernel_start 0xc0000000, entry at its first byte, kernel_end and segments as the program headers say" {
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/p.json"
	run member "$T/p.json" kernel_start
	assert_output 0xc0000000
	run member "$T/p.json" entry
	assert_output 0xc0000000
	run "$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["elfinfo"]
print(json.dumps({k: e[k] for k in ("entry", "kernel_start", "kernel_end", "segments")}, sort_keys=True))' "$T/p.json"
	assert_output "$(elf_facts "$GUESTS/basic.elf")"
	# Two segments: text r-x at the base, data rw- on the next page with
	# its .bss past the file part.
	run "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["elfinfo"]["segments"]
print(len(s), s[0]["vaddr"], s[0]["flags"], s[1]["vaddr"], s[1]["flags"], s[1]["memsz"] > s[1]["filesz"])' "$T/p.json"
	assert_output '2 0xc0000000 rx 0xc0001000 rw True'
}

@test "multiseg.elf: three loadable segments; the R-only one at 0xc0006000 is not listed" {
	"$BIN/elfinfo" "$GUESTS/multiseg.elf" >"$T/p.json"
	run "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["elfinfo"]["segments"]
print(" ".join(x["vaddr"] + ":" + x["flags"] for x in s))' "$T/p.json"
	assert_output '0xc0000000:rx 0xc0003000:rw 0xc0008100:rw'
	# The image does have the fourth, R-only PT_LOAD: the check can fail.
	readelf -lW "$GUESTS/multiseg.elf" | grep -E 'LOAD .* 0xc0006000 .* R +0x'
	run "$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["elfinfo"]
print(json.dumps({k: e[k] for k in ("entry", "kernel_start", "kernel_end", "segments")}, sort_keys=True))' "$T/p.json"
	assert_output "$(elf_facts "$GUESTS/multiseg.elf")"
}

@test "multiseg.elf: entry is not the kernel's first byte; kernel_end is the late segment's end" {
	"$BIN/elfinfo" "$GUESTS/multiseg.elf" >"$T/p.json"
	run "$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["elfinfo"]; s=e["segments"][2]
ks, ke, en = (int(e[k], 16) for k in ("kernel_start", "kernel_end", "entry"))
print(ks < en < int(s["vaddr"], 16), ke == int(s["vaddr"], 16) + s["memsz"], s["filesz"] < s["memsz"])' "$T/p.json"
	assert_output 'True True True'
}

@test "high.elf: kernel_start 0xfb800000" {
	"$BIN/elfinfo" "$GUESTS/high.elf" >"$T/p.json"
	run member "$T/p.json" kernel_start
	assert_output 0xfb800000
	run "$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["elfinfo"]
print(json.dumps({k: e[k] for k in ("entry", "kernel_start", "kernel_end", "segments")}, sort_keys=True))' "$T/p.json"
	assert_output "$(elf_facts "$GUESTS/high.elf")"
}

@test "a plain image: size and elf_size are the file's, sha256 is sha256sum's, compression none" {
	local g
	for g in basic multiseg high; do
		"$BIN/elfinfo" "$GUESTS/$g.elf" >"$T/p.json"
		run "$PY" -c 'import json,sys; i=json.load(open(sys.argv[1]))["elfinfo"]["image"]
print(i["path"], i["size"], i["elf_size"], i["sha256"], i["compression"])' "$T/p.json"
		local size
		size=$(stat -c %s "$GUESTS/$g.elf")
		assert_output "$(realpath "$GUESTS/$g.elf") $size $size $(sha256sum <"$GUESTS/$g.elf" | cut -d' ' -f1) none"
	done
}

@test "a gzip'd image: compression gzip, elf_size the plain file's size, size and sha256 the .gz file's" {
	local g
	for g in basic multiseg high; do
		"$BIN/elfinfo" "$GUESTS/$g.elf.gz" >"$T/p.json"
		run "$PY" -c 'import json,sys; i=json.load(open(sys.argv[1]))["elfinfo"]["image"]
print(i["path"], i["size"], i["elf_size"], i["sha256"], i["compression"])' "$T/p.json"
		assert_output "$(realpath "$GUESTS/$g.elf.gz") $(stat -c %s "$GUESTS/$g.elf.gz") $(stat -c %s "$GUESTS/$g.elf") $(sha256sum <"$GUESTS/$g.elf.gz" | cut -d' ' -f1) gzip"
	done
}

@test "a gzip'd image has the same facts as the plain one, apart from image" {
	"$BIN/elfinfo" "$GUESTS/multiseg.elf" >"$T/plain.json"
	"$BIN/elfinfo" "$GUESTS/multiseg.elf.gz" >"$T/gz.json"
	"$PY" -c 'import json,sys
a, b = (json.load(open(f))["elfinfo"] for f in sys.argv[1:])
assert a.pop("image") != b.pop("image")
assert a == b, (a, b)' "$T/plain.json" "$T/gz.json"
}

@test "concatenated gzip members decompress as one image, as gzip(1) does" {
	head -c 5000 "$GUESTS/basic.elf" | gzip -n >"$T/two.gz"
	tail -c +5001 "$GUESTS/basic.elf" | gzip -n >>"$T/two.gz"
	"$BIN/elfinfo" "$T/two.gz" >"$T/p.json"
	run member "$T/p.json" image elf_size
	assert_output "$(stat -c %s "$GUESTS/basic.elf")"
}

@test "the image path is absolute even when given relative, through .. and a symbolic link" {
	cd "$GUESTS"
	"$BIN/elfinfo" basic.elf >"$T/p.json"
	run member "$T/p.json" image path
	assert_output "$(realpath "$GUESTS/basic.elf")"
	[[ $output == /* ]]
	cd "$T"
	ln -s "$GUESTS/basic.elf" link.elf
	"$BIN/elfinfo" ./link.elf >"$T/q.json"
	run member "$T/q.json" image path
	assert_output "$(realpath "$GUESTS/basic.elf")"
}

@test "output is deterministic: keys sorted, indented by two, newline-terminated" {
	"$BIN/elfinfo" "$GUESTS/multiseg.elf" >"$T/a.json"
	"$BIN/elfinfo" "$GUESTS/multiseg.elf" >"$T/b.json"
	cmp "$T/a.json" "$T/b.json"
	"$PY" -c 'import json,sys; s=open(sys.argv[1]).read()
assert s == json.dumps(json.loads(s), indent=2, sort_keys=True) + "\n"' "$T/a.json"
}

@test "huge-bss and near-hypervisor-hole are well-formed: elfinfo accepts them (layout refuses)" {
	run -0 --separate-stderr "$BIN/elfinfo" "$BAD/huge-bss"
	[ -z "$stderr" ]
	echo "$output" >"$T/h.json"
	run "$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["elfinfo"]
print(e["segments"][-1]["memsz"], e["kernel_end"])' "$T/h.json"
	assert_output "$((200 << 20)) 0xcc801000"
	run -0 --separate-stderr "$BIN/elfinfo" "$BAD/near-hypervisor-hole"
	[ -z "$stderr" ]
	echo "$output" >"$T/n.json"
	run member "$T/n.json" kernel_start
	assert_output 0xfbfc0000
}

# --- Every case of tests/mkbad.py ---

@test "every file build/bad holds has a test here" {
	# Keep in step with the bad_image tests below and mkbad.py's CASES.
	local known="entry-outside-kernel entry-past-end filesz-gt-memsz
		guest-section-past-end gzip-corrupt gzip-crc-wrong gzip-trailer-huge
		gzip-trailer-lies gzip-truncated huge-bss name-outside-shstrtab
		near-hypervisor-hole no-loadable-segments no-shstrtab no-xen-guest
		not-elf offset-overflow overlapping-segments phdrs-past-end
		phentsize-wrong segment-past-end shdrs-past-end shstrndx-out-of-range
		shstrtab-past-end truncated truncated-after-ehdr
		unterminated-guest-string vaddr-overflow wrong-guest-os wrong-xen-ver"
	local f n=0
	for f in "$BAD"/*; do
		n=$((n + 1))
		[[ " $(echo $known) " == *" $(basename "$f") "* ]] ||
			fail "build/bad/$(basename "$f") has no test in elfinfo.bats"
	done
	[ "$n" -eq 30 ]
}

@test "not-elf: no ELF magic" {
	bad_image not-elf "not an ELF image (no ELF magic)"
}

@test "truncated: cut inside the program headers" {
	bad_image truncated "program headers [0x34, +0x40) extend beyond the end of the image (100 bytes)"
}

@test "truncated-after-ehdr: only the ELF header" {
	bad_image truncated-after-ehdr "program headers [0x34, +0x40) extend beyond the end of the image (52 bytes)"
}

@test "phdrs-past-end: the program header table runs past the end" {
	bad_image phdrs-past-end "program headers ["
	assert_stderr --partial "extend beyond the end of the image"
}

@test "shdrs-past-end: one section header more than the file holds" {
	bad_image shdrs-past-end "section headers ["
	assert_stderr --partial "extend beyond the end of the image"
}

@test "no-shstrtab: e_shstrndx is SHN_UNDEF" {
	bad_image no-shstrtab "no section-header string table (e_shstrndx is SHN_UNDEF)"
}

@test "shstrndx-out-of-range: e_shstrndx is not a section" {
	bad_image shstrndx-out-of-range "e_shstrndx 8 is not one of the 8 sections"
}

@test "name-outside-shstrtab: a section name offset past the string table" {
	bad_image name-outside-shstrtab "section 1: name offset"
	assert_stderr --partial "is outside the section-header string table"
}

@test "shstrtab-past-end: the string table runs past the end" {
	bad_image shstrtab-past-end "(shstrtab): bytes ["
	assert_stderr --partial "outside the image of"
}

@test "no-xen-guest: no __xen_guest section" {
	bad_image no-xen-guest "'__xen_guest' section: not a Xen guest kernel"
}

@test "wrong-guest-os: GUEST_OS is not linux" {
	bad_image wrong-guest-os "GUEST_OS is not linux"
	assert_stderr --partial "GUEST_OS=bsdxx"
}

@test "wrong-xen-ver: XEN_VER is not 1.3" {
	bad_image wrong-xen-ver "__xen_guest: XEN_VER is n"
	assert_stderr --partial "1.3"
	assert_stderr --partial "XEN_VER=2.0"
}

@test "unterminated-guest-string: the __xen_guest string has no NUL inside its section" {
	bad_image unterminated-guest-string "(__xen_guest): string not terminated inside its"
}

@test "guest-section-past-end: __xen_guest runs past the end" {
	bad_image guest-section-past-end "(__xen_guest): bytes ["
	assert_stderr --partial "outside the image of"
}

@test "segment-past-end: a segment's file part runs past the end" {
	bad_image segment-past-end "program header 1: file range [0x2000, +"
	assert_stderr --partial "runs past the end of the image"
}

@test "filesz-gt-memsz: a segment's file part is larger than its memory part" {
	bad_image filesz-gt-memsz "program header 0: filesz"
	assert_stderr --partial "is larger than memsz"
}

@test "overlapping-segments: two loadable segments share addresses" {
	bad_image overlapping-segments "loadable segments overlap: [0xc0000000,"
}

@test "entry-outside-kernel: the entry point is below the kernel" {
	bad_image entry-outside-kernel "entry point 0xbffff000 is outside the kernel [0xc0000000,"
}

@test "entry-past-end: the entry point is past the kernel" {
	bad_image entry-past-end "entry point"
	assert_stderr --partial "is outside the kernel [0xc0000000,"
}

@test "vaddr-overflow: a segment's vaddr + memsz wraps past 4 GiB" {
	bad_image vaddr-overflow "program header 1: "
	assert_stderr --partial "0xc0001000 + memsz 0x40000000 wraps past"
}

@test "offset-overflow: a segment's p_offset + p_filesz wraps" {
	bad_image offset-overflow "program header 1: file range [0xfffff000, +"
	assert_stderr --partial "runs past the end of the image"
}

@test "no-loadable-segments: no PT_LOAD with W or X" {
	bad_image no-loadable-segments "no loadable segments (PT_LOAD with W or X)"
}

@test "phentsize-wrong: e_phentsize is not 32" {
	bad_image phentsize-wrong "e_phentsize 40 is not 32"
}

@test "gzip-corrupt: the deflate stream is broken" {
	bad_image gzip-corrupt "corrupt gzip data at input offset"
}

@test "gzip-truncated: the gzip stream stops half way" {
	bad_image gzip-truncated "gzip stream truncated"
}

@test "gzip-trailer-lies: ISIZE says half the size; the length check catches it" {
	bad_image gzip-trailer-lies "corrupt gzip data"
	assert_stderr --partial "incorrect length check"
}

@test "gzip-trailer-huge: ISIZE says 4 GiB - 1; nothing that big is allocated or accepted" {
	bad_image gzip-trailer-huge "corrupt gzip data"
	assert_stderr --partial "incorrect length check"
}

@test "gzip-crc-wrong: the CRC of the trailer is wrong" {
	bad_image gzip-crc-wrong "corrupt gzip data"
	assert_stderr --partial "incorrect data check"
}

@test "a gzip'd malformed ELF is refused after decompression with the ELF's message" {
	gzip -n <"$BAD/no-xen-guest" >"$T/no-xen-guest.gz"
	run -1 --separate-stderr "$BIN/elfinfo" "$T/no-xen-guest.gz"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "elfinfo: $T/no-xen-guest.gz: "
	assert_stderr --partial "'__xen_guest' section: not a Xen guest kernel"
}

@test "bytes after the gzip stream are refused" {
	cp "$GUESTS/basic.elf.gz" "$T/trailing.gz"
	printf 'junk' >>"$T/trailing.gz"
	run -1 --separate-stderr "$BIN/elfinfo" "$T/trailing.gz"
	assert_output ''
	assert_stderr --partial "elfinfo: $T/trailing.gz: 4 bytes of trailing data after the gzip stream"
}

@test "an empty file is refused: no ELF magic" {
	: >"$T/empty.elf"
	run -1 --separate-stderr "$BIN/elfinfo" "$T/empty.elf"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "elfinfo: $T/empty.elf: not an ELF image"
}

@test "an ELF64 header on an i386 image is refused: the class contradicts e_machine" {
	cp "$GUESTS/basic.elf" "$T/elf64"
	printf '\002' | dd of="$T/elf64" bs=1 seek=4 conv=notrunc 2>/dev/null
	run -1 --separate-stderr "$BIN/elfinfo" "$T/elf64"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "elfinfo: $T/elf64: e_machine 3 "
	assert_stderr --partial "ELF64"
}

@test "a big-endian ELF image is refused" {
	cp "$GUESTS/basic.elf" "$T/msb"
	printf '\002' | dd of="$T/msb" bs=1 seek=5 conv=notrunc 2>/dev/null
	run -1 --separate-stderr "$BIN/elfinfo" "$T/msb"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "elfinfo: $T/msb: "
	assert_stderr --partial "little-endian"
}

@test "an ELF32 image for another machine is refused: e_machine 40 (ARM)" {
	cp "$GUESTS/basic.elf" "$T/arm"
	printf '\050' | dd of="$T/arm" bs=1 seek=18 conv=notrunc 2>/dev/null
	run -1 --separate-stderr "$BIN/elfinfo" "$T/arm"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "elfinfo: $T/arm: e_machine 40 "
}

# --- Files and usage ---

@test "a missing file is refused (exit 1), naming it" {
	run -1 --separate-stderr "$BIN/elfinfo" "$T/nothing.elf"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr "elfinfo: $T/nothing.elf: No such file or directory"
}

@test "a directory is refused (exit 1): not a regular file" {
	run -1 --separate-stderr "$BIN/elfinfo" "$T"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr "elfinfo: $T: not a regular file"
}

@test "usage: no image exits 2" {
	run -2 --separate-stderr "$BIN/elfinfo"
	assert_output ''
	assert_stderr --partial 'elfinfo: no IMAGE given'
	assert_stderr --partial 'usage: elfinfo [--max-size SIZE] [--no-cache] [--pvh] IMAGE'
}

@test "usage: two images exit 2" {
	run -2 --separate-stderr "$BIN/elfinfo" "$GUESTS/basic.elf" "$GUESTS/high.elf"
	assert_output ''
	assert_stderr --partial 'elfinfo: too many arguments'
}

@test "usage: an unknown option exits 2" {
	run -2 --separate-stderr "$BIN/elfinfo" --frob "$GUESTS/basic.elf"
	assert_output ''
	assert_stderr --partial "elfinfo: unknown option '--frob'"
}

@test "usage: --max-size garbage exits 2 ('12Q', '', '0', '-1')" {
	local s
	for s in 12Q '' 0 -1; do
		run -2 --separate-stderr "$BIN/elfinfo" --max-size "$s" "$GUESTS/basic.elf"
		assert_output ''
		assert_stderr --partial "elfinfo: --max-size: '$s' is not a size"
	done
}

@test "usage: --max-size without its value exits 2 and says the value is missing" {
	run -2 --separate-stderr "$BIN/elfinfo" --max-size
	assert_output ''
	assert_stderr --partial '--max-size'
	# The option is known; it only lacks its argument.
	[[ $stderr != *"unknown option"* ]]
}

@test "--help and --version exit 0 and print on stdout" {
	run -0 --separate-stderr "$BIN/elfinfo" --help
	[ -z "$stderr" ]
	assert_line -n 0 'usage: elfinfo [--max-size SIZE] [--no-cache] [--pvh] IMAGE'
	assert_output --partial '--max-size SIZE'
	run -0 --separate-stderr "$BIN/elfinfo" --version
	[ -z "$stderr" ]
	assert_output --regexp '^elfinfo \(pvbuild\) [0-9]+\.[0-9]+\.[0-9]+( \(git [^ ()]+\))?$'
}

# --- The decompression cap ---

@test "--max-size smaller than a .gz's decompressed size refuses it, naming the cap" {
	run -1 --separate-stderr "$BIN/elfinfo" --max-size 4K "$GUESTS/basic.elf.gz"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr "elfinfo: $GUESTS/basic.elf.gz: decompresses past the cap of 4096 bytes"
}

@test "--max-size of the decompressed size exactly accepts the .gz" {
	# basic.elf padded to 14 KiB exactly: an ELF may have bytes after its
	# section headers.
	cp "$GUESTS/basic.elf" "$T/k.elf"
	head -c $((14336 - $(stat -c %s "$T/k.elf"))) /dev/zero >>"$T/k.elf"
	gzip -n <"$T/k.elf" >"$T/k.gz"
	"$BIN/elfinfo" --max-size 14K "$T/k.gz" >"$T/p.json"
	run member "$T/p.json" image elf_size
	assert_output 14336
}

@test "--max-size: a .gz one byte over the cap is refused" {
	# The cap bounds the output: 14 KiB + 1 byte is past a 14 KiB cap.
	cp "$GUESTS/basic.elf" "$T/k.elf"
	head -c $((14337 - $(stat -c %s "$T/k.elf"))) /dev/zero >>"$T/k.elf"
	gzip -n <"$T/k.elf" >"$T/k.gz"
	run -1 --separate-stderr "$BIN/elfinfo" --max-size 14K "$T/k.gz"
	assert_output ''
	assert_stderr "elfinfo: $T/k.gz: decompresses past the cap of 14336 bytes"
}

@test "--max-size: a .gz two bytes over the cap is refused" {
	cp "$GUESTS/basic.elf" "$T/k.elf"
	head -c $((14338 - $(stat -c %s "$T/k.elf"))) /dev/zero >>"$T/k.elf"
	gzip -n <"$T/k.elf" >"$T/k.gz"
	run -1 --separate-stderr "$BIN/elfinfo" --max-size 14K "$T/k.gz"
	assert_output ''
	assert_stderr "elfinfo: $T/k.gz: decompresses past the cap of 14336 bytes"
}
