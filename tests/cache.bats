#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The cache of decompressed images (README, "The cache"): one decompression
# per build, none for a kernel built before, and nothing in the cache
# trusted: damaged, swapped, half-written or foreign entries are not used.
bats_require_minimum_version 1.5.0
load helper

COUNT_SO=$TOP/build/count.so

setup() {
	cd "$TOP"
	T=$BATS_TEST_TMPDIR
	C=$T/cache
	export PVBUILD_CACHE=$C
	[ -f "$COUNT_SO" ] || skip "build/count.so is not built (make guests)"
}

# counted CMD...: run CMD with every gzip decompression counted into
# $T/count, one line per decompression naming the program.
counted() {
	rm -f "$T/count"
	touch "$T/count"
	# The sanitizers' runtime wants to come first; the counter is
	# harmless before it.
	LD_PRELOAD=$COUNT_SO PVBUILD_COUNT=$T/count \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 "$@"
}

# entry IMAGE: the path of IMAGE's entry, as the file's gunzipped data.
entry() {
	echo "$C/$(sha256sum "$1" | cut -c1-64)-file-gzip"
}

# The field of an entry's header: header_field ENTRY N (1 magic name,
# 2 magic version, 3 key, 4 length, 5 sha256).
header_field() {
	head -c 256 "$1" | tr -d '\0' | head -n 1 | cut -d' ' -f"$2"
}

# forge IMAGE DATA: make IMAGE's entry hold DATA, with a header that is
# right for it: a sound entry that is not IMAGE's decompression.
forge() {
	"$PY" - "$(entry "$1")" "$2" <<'EOF'
import hashlib, os, sys
path, data = sys.argv[1], open(sys.argv[2], "rb").read()
key = os.path.basename(path)
head = ("pvbuild-cache 1 %s %d %s\n" % (key, len(data),
        hashlib.sha256(data).hexdigest())).encode()
open(path, "wb").write(head + bytes(256 - len(head)) + data)
EOF
}

# The plan elfinfo makes without any cache, to compare with.
reference() {
	"$BIN/elfinfo" --no-cache "$1" >"$T/ref.json"
}

@test "elfinfo gives its decompression a MiB of room at a time, so that its hashing thread follows it side by side" {
	# 8 MiB that gzip cannot shrink: not a kernel, refused once it is
	# decompressed (and hashed).
	head -c 8M /dev/urandom | gzip -1 >"$T/big.gz"
	rm -f "$T/inflate"
	LD_PRELOAD=$COUNT_SO PVBUILD_INFLATE=$T/inflate \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		run -1 --separate-stderr "$BIN/elfinfo" "$T/big.gz"
	assert_stderr --partial 'elfinfo: '
	# Given the whole buffer, zlib would fill it before handing back:
	# megabytes at once, hashed only after.
	run awk '$1 == "elfinfo" { n++; if ($2 + 0 > most) most = $2 + 0 }
		END { print (n >= 8), (most > 0 && most <= 1048576) }' "$T/inflate"
	assert_output '1 1'
}

@test "a cold build decompresses each payload once; a warm one decompresses nothing" {
	local out=$T/dom
	counted ./pipeline.sh "$GUESTS/x64-basic.elf.gz" --memory 64M \
		--initrd "$GUESTS/initrd.img.gz" --out "$out"
	run sort "$T/count"
	assert_output $'elfinfo\nlayout'
	[ -f "$(entry "$GUESTS/x64-basic.elf.gz")" ]
	[ -f "$(entry "$GUESTS/initrd.img.gz")" ]
	rm -rf "$out"
	counted ./pipeline.sh "$GUESTS/x64-basic.elf.gz" --memory 64M \
		--initrd "$GUESTS/initrd.img.gz" --out "$out"
	run cat "$T/count"
	assert_output ""
	run "$PY" "$TOP/tests/checker/checkdom.py" "$out" \
		--kernel "$GUESTS/x64-basic.elf.gz" \
		--initrd "$GUESTS/initrd.img.gz" --cmdline "" --memory $((64 << 20))
	assert_success
	refute_output --partial FAIL
}

@test "an entry holds the data and the digest the plan records" {
	"$BIN/elfinfo" "$GUESTS/basic.elf.gz" >"$T/p.json"
	local e sha
	e=$(entry "$GUESTS/basic.elf.gz")
	sha=$(gunzip -c "$GUESTS/basic.elf.gz" | sha256sum | cut -c1-64)
	run header_field "$e" 3
	assert_output "$(basename "$e")"
	run header_field "$e" 4
	assert_output "$(gunzip -c "$GUESTS/basic.elf.gz" | wc -c)"
	run header_field "$e" 5
	assert_output "$sha"
	tail -c +257 "$e" | cmp - <(gunzip -c "$GUESTS/basic.elf.gz")
	run "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["elfinfo"]["image"]["elf_sha256"])' "$T/p.json"
	assert_output "$sha"
	# Of a plain file, the data is the file: its digest is the file's,
	# and there is nothing to keep.
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/q.json"
	run "$PY" -c 'import json,sys; i=json.load(open(sys.argv[1]))["elfinfo"]["image"]; print(i["elf_sha256"] == i["sha256"])' "$T/q.json"
	assert_output True
	run ls "$C"
	assert_output "$(basename "$e")"
}

@test "an entry leaves the kernel's blocks of zeros out as holes, and a cold build follows it and takes it" {
	holes_told "$T" || skip "the file system of $T does not tell holes (SEEK_DATA)"
	local va off e
	read -r va off < <("$PY" -c "$ZEROS_IN_FILE" "$GUESTS/x64-basic.elf" "$T/zeros.elf")
	gzip -n -c "$T/zeros.elf" >"$T/zeros.elf.gz"
	counted ./pipeline.sh "$T/zeros.elf.gz" --memory 64M --out "$T/dom"
	# Decompressed once, by elfinfo: finalize took the entry it followed.
	run cat "$T/count"
	assert_output elfinfo
	e=$(entry "$T/zeros.elf.gz")
	tail -c +257 "$e" | cmp - "$T/zeros.elf"
	# Behind the 256-byte header, the segment's three pages of zeros are
	# the file's blocks at off + 0x3000 to off + 0x5fff, and the last
	# block, at off + 0x6000, is zeros to the end: all four are holes,
	# the block before them data, and the file is its whole length.
	"$PY" - "$e" "$off" "$(stat -c %s "$T/zeros.elf")" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
off, size = int(sys.argv[2], 16), int(sys.argv[3])
assert os.fstat(fd).st_size == 256 + size, os.fstat(fd).st_size
def data_at(at):
    try:
        return os.lseek(fd, at, os.SEEK_DATA) == at
    except OSError:
        return False
got = [data_at(off + k * 0x1000) for k in range(2, 7)]
assert got == [True, False, False, False, False], got
EOF
	run "$PY" "$TOP/tests/checker/checkdom.py" "$T/dom" \
		--kernel "$T/zeros.elf.gz" --cmdline "" --memory $((64 << 20))
	assert_success
	refute_output --partial FAIL
}

@test "pipeline.sh --no-cache: still one decompression, and nothing kept" {
	mkdir "$T/tmp"
	TMPDIR=$T/tmp counted ./pipeline.sh "$GUESTS/basic.elf.gz" --memory 16M \
		--initrd "$GUESTS/initrd.img.gz" --out "$T/dom" --no-cache
	run sort "$T/count"
	assert_output $'elfinfo\nlayout'
	[ ! -e "$C" ]
	run ls -A "$T/tmp"
	assert_output ""
}

@test "--no-cache on elfinfo, layout and finalize: no entry is read or written" {
	mkdir -m 700 "$C"
	# A sound entry that is not the file's: taken, it would show.
	forge "$GUESTS/basic.elf.gz" "$GUESTS/high.elf"
	reference "$GUESTS/basic.elf.gz"
	counted "$BIN/elfinfo" --no-cache "$GUESTS/basic.elf.gz" >"$T/1.json"
	cmp "$T/1.json" "$T/ref.json"
	run cat "$T/count"
	assert_output elfinfo
	"$BIN/layout" --no-cache --memory 16M --initrd "$GUESTS/initrd.img.gz" \
		"$T/1.json" | "$BIN/populate" | "$BIN/pagetables" >"$T/4.json"
	counted "$BIN/finalize" --no-cache --out "$T/dom" "$T/4.json" >/dev/null
	run sort "$T/count"
	assert_output $'finalize\nfinalize'
	run ls "$C"
	assert_output "$(basename "$(entry "$GUESTS/basic.elf.gz")")"
}

@test "a sound entry is taken as it is: elfinfo reads what the cache holds" {
	mkdir -m 700 "$C"
	# basic.elf padded to high.elf's size: an entry of another length
	# than gzip's ISIZE says is never looked up (the next test).
	cp "$GUESTS/basic.elf" "$T/k.elf"
	truncate -s "$(stat -c %s "$GUESTS/high.elf")" "$T/k.elf"
	gzip -n "$T/k.elf"
	forge "$T/k.elf.gz" "$GUESTS/high.elf"
	counted "$BIN/elfinfo" "$T/k.elf.gz" >"$T/p.json"
	run cat "$T/count"
	assert_output ""
	"$BIN/elfinfo" "$GUESTS/high.elf" >"$T/high.json"
	run "$PY" -c 'import json,sys
a = json.load(open(sys.argv[1]))["elfinfo"]; b = json.load(open(sys.argv[2]))["elfinfo"]
print(a["entry"] == b["entry"], a["image"]["elf_sha256"] == b["image"]["sha256"])' "$T/p.json" "$T/high.json"
	assert_output "True True"
}

@test "an entry of another length than the container gives is not looked up: the image is decompressed at once, the entry made again" {
	mkdir -m 700 "$C"
	# high.elf's 14012 bytes where basic.elf.gz's ISIZE says 13984.
	forge "$GUESTS/basic.elf.gz" "$GUESTS/high.elf"
	reference "$GUESTS/basic.elf.gz"
	counted "$BIN/elfinfo" "$GUESTS/basic.elf.gz" >"$T/p.json"
	run cat "$T/count"
	assert_output elfinfo
	cmp "$T/p.json" "$T/ref.json"
	tail -c +257 "$(entry "$GUESTS/basic.elf.gz")" | cmp - "$GUESTS/basic.elf"
	run ls -A "$C"
	assert_output "$(basename "$(entry "$GUESTS/basic.elf.gz")")"
}

# damaged HOW: elfinfo after the entry is damaged HOW (a python statement
# on `d`, the entry's bytes) makes the plan it makes without a cache, and
# leaves a sound entry behind.
damaged() {
	"$BIN/elfinfo" "$GUESTS/basic.elf.gz" >/dev/null
	reference "$GUESTS/basic.elf.gz"
	local e
	e=$(entry "$GUESTS/basic.elf.gz")
	"$PY" -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read())
exec(sys.argv[2])
open(sys.argv[1], "wb").write(d)' "$e" "$1"
	counted "$BIN/elfinfo" "$GUESTS/basic.elf.gz" >"$T/p.json"
	cmp "$T/p.json" "$T/ref.json"
	run cat "$T/count"
	assert_output elfinfo
	tail -c +257 "$e" | cmp - <(gunzip -c "$GUESTS/basic.elf.gz")
	run header_field "$e" 5
	assert_output "$(gunzip -c "$GUESTS/basic.elf.gz" | sha256sum | cut -c1-64)"
}

@test "an entry with a flipped byte in its data is discarded and made again" {
	damaged 'd[256 + 100] ^= 1'
}

@test "a truncated entry is discarded and made again" {
	damaged 'del d[len(d) - 1000:]'
}

@test "an entry cut inside its header is discarded and made again" {
	damaged 'del d[100:]'
}

@test "a header with a flipped digest is discarded and made again" {
	damaged 'i = d.index(b"\n") - 1; d[i] = ord("0") if d[i] != ord("0") else ord("1")'
}

@test "an entry swapped for another kernel's is discarded and made again" {
	"$BIN/elfinfo" "$GUESTS/high.elf.gz" >/dev/null
	damaged 'd[:] = open(sys.argv[1].rsplit("/", 1)[0] + "/" + [n for n in __import__("os").listdir(sys.argv[1].rsplit("/", 1)[0]) if n != sys.argv[1].rsplit("/", 1)[1]][0], "rb").read()'
}

@test "finalize loads only bytes with the plan's digest: a sound but other entry is replaced" {
	plan_to pagetables "$GUESTS/basic.elf.gz" --memory 16M
	# After the plan, the entry is made to hold another kernel, soundly.
	forge "$GUESTS/basic.elf.gz" "$GUESTS/high.elf"
	counted "$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json" >/dev/null
	run cat "$T/count"
	assert_output finalize
	run "$PY" "$TOP/tests/checker/checkdom.py" "$T/dom" \
		--kernel "$GUESTS/basic.elf.gz" --cmdline "" --memory $((16 << 20))
	assert_success
	refute_output --partial FAIL
	tail -c +257 "$(entry "$GUESTS/basic.elf.gz")" |
		cmp - <(gunzip -c "$GUESTS/basic.elf.gz")
}

@test "finalize refuses a plan whose elf_sha256 is not the kernel's, whatever the cache holds" {
	plan_to pagetables "$GUESTS/basic.elf.gz" --memory 16M
	local other
	other=$(sha256sum "$GUESTS/high.elf" | cut -c1-64)
	edit_plan "$T/4-pagetables.json" "$T/x.json" \
		"p['elfinfo']['image']['elf_sha256'] = '$other'"
	forge "$GUESTS/basic.elf.gz" "$GUESTS/high.elf"
	run --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/x.json"
	assert_failure 1
	assert_output ""
	assert_stderr "finalize: elfinfo.image: $(realpath "$GUESTS/basic.elf.gz"): is not read as the plan says: its elf_sha256 disagrees"
	[ ! -e "$T/dom" ]
	# The forged entry went; the one in its place is the file's.
	tail -c +257 "$(entry "$GUESTS/basic.elf.gz")" |
		cmp - <(gunzip -c "$GUESTS/basic.elf.gz")
}

@test "a cache directory another user may write to is not used, and said once" {
	mkdir -m 777 "$C"
	chmod 777 "$C"
	run --separate-stderr ./pipeline.sh "$GUESTS/basic.elf.gz" --memory 16M \
		--initrd "$GUESTS/initrd.img.gz" --out "$T/dom"
	assert_success
	assert_stderr "elfinfo: cache $C: another user may write to it; building without it"
	run ls -A "$C"
	assert_output ""
}

@test "a cache directory owned by another user is not used" {
	[ "$(id -u)" = 0 ] || skip "needs root, to give the directory away"
	mkdir -m 700 "$C"
	chown 65534:65534 "$C"
	run --separate-stderr "$BIN/elfinfo" "$GUESTS/basic.elf.gz"
	assert_success
	assert_stderr "elfinfo: cache $C: owned by another user; building without it"
	run ls -A "$C"
	assert_output ""
}

@test "an entry owned by another user is not taken" {
	[ "$(id -u)" = 0 ] || skip "needs root, to give the entry away"
	mkdir -m 700 "$C"
	forge "$GUESTS/basic.elf.gz" "$GUESTS/high.elf"
	chown 65534:65534 "$(entry "$GUESTS/basic.elf.gz")"
	reference "$GUESTS/basic.elf.gz"
	"$BIN/elfinfo" "$GUESTS/basic.elf.gz" >"$T/p.json"
	cmp "$T/p.json" "$T/ref.json"
}

@test "an unwritable place for the cache costs nothing but speed" {
	export PVBUILD_CACHE=/dev/null/cache
	run --separate-stderr ./pipeline.sh "$GUESTS/basic.elf.gz" --memory 16M \
		--initrd "$GUESTS/initrd.img.gz" --out "$T/dom"
	assert_success
	assert_stderr ""
}

@test "the cache is \$PVBUILD_CACHE, else \$XDG_CACHE_HOME/pvbuild, else \$HOME/.cache/pvbuild" {
	XDG_CACHE_HOME=$T/xdg HOME=$T/home "$BIN/elfinfo" "$GUESTS/basic.elf.gz" >/dev/null
	[ -f "$(entry "$GUESTS/basic.elf.gz")" ]
	env -u PVBUILD_CACHE XDG_CACHE_HOME="$T/xdg" HOME="$T/home" \
		"$BIN/elfinfo" "$GUESTS/basic.elf.gz" >/dev/null
	run ls "$T/xdg/pvbuild"
	assert_output "$(basename "$(entry "$GUESTS/basic.elf.gz")")"
	[ "$(stat -c %a "$T/xdg/pvbuild")" = 700 ]
	env -u PVBUILD_CACHE -u XDG_CACHE_HOME HOME="$T/home" \
		"$BIN/elfinfo" "$GUESTS/basic.elf.gz" >/dev/null
	run ls "$T/home/.cache/pvbuild"
	assert_output "$(basename "$(entry "$GUESTS/basic.elf.gz")")"
	# Nowhere to put it: built all the same.
	run --separate-stderr env -u PVBUILD_CACHE -u XDG_CACHE_HOME -u HOME \
		"$BIN/elfinfo" "$GUESTS/basic.elf.gz"
	assert_success
	assert_stderr ""
}

@test "the cache stays under its cap, the least recently used entry going first" {
	export PVBUILD_CACHE_SIZE=40K
	mkdir -m 700 "$C"
	echo mine >"$C/notes.txt"
	"$BIN/elfinfo" "$GUESTS/basic.elf.gz" >/dev/null
	sleep 0.05
	"$BIN/elfinfo" "$GUESTS/high.elf.gz" >/dev/null
	sleep 0.05
	# basic is used again, so high is now the least recently used.
	counted "$BIN/elfinfo" "$GUESTS/basic.elf.gz" >/dev/null
	run cat "$T/count"
	assert_output ""
	sleep 0.05
	"$BIN/elfinfo" "$GUESTS/multiseg.elf.gz" >/dev/null
	[ -f "$(entry "$GUESTS/basic.elf.gz")" ]
	[ -f "$(entry "$GUESTS/multiseg.elf.gz")" ]
	[ ! -e "$(entry "$GUESTS/high.elf.gz")" ]
	# What is not an entry is not the cache's to remove.
	[ "$(cat "$C/notes.txt")" = mine ]
}

@test "an entry larger than the cap is not kept; the build goes on" {
	export PVBUILD_CACHE_SIZE=1K
	run --separate-stderr "$BIN/elfinfo" "$GUESTS/basic.elf.gz"
	assert_success
	assert_stderr ""
	run ls -A "$C"
	assert_output ""
}

@test "PVBUILD_CACHE_SIZE: 0 turns the cache off; what is not a size is said, and built without" {
	PVBUILD_CACHE_SIZE=0 "$BIN/elfinfo" "$GUESTS/basic.elf.gz" >/dev/null
	[ ! -e "$C" ]
	run --separate-stderr env PVBUILD_CACHE_SIZE=lots "$BIN/elfinfo" "$GUESTS/basic.elf.gz"
	assert_success
	assert_stderr "elfinfo: PVBUILD_CACHE_SIZE: 'lots' is not a size; building without the cache"
	[ ! -e "$C" ]
}

@test "two builds filling one entry at once both succeed, leaving one sound entry" {
	local i
	for i in 1 2 3 4; do
		./pipeline.sh "$GUESTS/x64-basic.elf.gz" --memory 64M \
			--initrd "$GUESTS/initrd.img.gz" --out "$T/dom$i" \
			>"$T/out$i" 2>"$T/err$i" &
	done
	for i in 1 2 3 4; do
		wait %$i || fail "build $i failed: $(cat "$T/err$i")"
		[ ! -s "$T/err$i" ] || fail "build $i said: $(cat "$T/err$i")"
	done
	run ls -A "$C"
	assert_output "$(printf '%s\n' "$(basename "$(entry "$GUESTS/x64-basic.elf.gz")")" \
		"$(basename "$(entry "$GUESTS/initrd.img.gz")")" | sort)"
	tail -c +257 "$(entry "$GUESTS/x64-basic.elf.gz")" |
		cmp - <(gunzip -c "$GUESTS/x64-basic.elf.gz")
}

@test "a SIGKILL while an entry is written leaves nothing a later build takes" {
	local list kernel pid i
	list=$("$TOP/tests/realimages.sh" print) ||
		skip "Debian's kernel cannot be had: $list"
	kernel=$(awk '$1 == "linux" { print $2 }' <<<"$list")
	mkdir -m 700 "$C"
	"$BIN/elfinfo" "$kernel" >/dev/null &
	pid=$!
	# The temporary exists from before the decompression starts until
	# the entry is renamed into place: seconds for this kernel.
	for ((i = 0; i < 1000; i++)); do
		compgen -G "$C/.tmp-*" >/dev/null && break
		sleep 0.01
	done
	kill -KILL "$pid"
	wait "$pid" || true
	compgen -G "$C/.tmp-*" >/dev/null || fail "no temporary was seen"
	run ls "$C"
	assert_output ""
	"$BIN/elfinfo" "$kernel" >"$T/p.json"
	# The killed build's temporary is swept when the next entry is made,
	# and the entry made holds what the plan says.
	local e
	e=$C/$(sha256sum "$kernel" | cut -c1-64)-bzimage-xz
	run ls -A "$C"
	assert_output "$(basename "$e")"
	run header_field "$e" 5
	assert_output "$(tail -c +257 "$e" | sha256sum | cut -c1-64)"
	run "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["elfinfo"]["image"]["elf_sha256"])' "$T/p.json"
	assert_output "$(header_field "$e" 5)"
}

# hashed_by PROG: the bytes PROG has hashed so far, from $T/hashed.
hashed_by() {
	awk -v p="$1" '$1 == p { n += $2 } END { print n + 0 }' "$T/hashed"
}

# wait_hashed PROG N: until PROG has hashed N bytes (ten seconds at most).
wait_hashed() {
	local i
	for ((i = 0; i < 1000; i++)); do
		[ "$(hashed_by "$1")" -lt "$2" ] || return 0
		sleep 0.01
	done
	# The plan goes on its way, so that finalize ends.
	touch "$T/go"
	fail "$1 hashed $(hashed_by "$1") bytes, not $2"
}

# replay_fill TAMPER: the test plays elfinfo's part of a cold build for
# a finalize --prefetch that waits for its plan: it writes the entry's
# temporary in two halves, waiting each time until finalize has hashed
# what is there, writes the header, renames the temporary into place and
# only then hands finalize the plan. With TAMPER 1 the first half is
# garbage at first, put right after finalize hashed it. finalize's
# output is in $T/out and $T/err, its status in $T/rc.
replay_fill() {
	local img=$GUESTS/x64-basic.elf.gz key src tmp size half isz
	PVBUILD_CACHE=$T/other "$BIN/elfinfo" "$img" |
		PVBUILD_CACHE=$T/other "$BIN/layout" --memory 64M |
		"$BIN/populate" | "$BIN/pagetables" >"$T/4.json"
	key=$(basename "$(entry "$img")")
	src=$T/other/$key
	mkdir -m 700 "$C"
	tmp=$C/.tmp-$$-1a2b-$key
	size=$(($(stat -c %s "$src") - 256))
	half=$((size / 512))		# in blocks of 256 bytes
	isz=$(stat -c %s "$img")
	: >"$T/hashed"
	(
		for ((i = 0; i < 3000; i++)); do
			[ ! -e "$T/go" ] || break
			sleep 0.01
		done
		cat "$T/4.json"
	) | LD_PRELOAD=$COUNT_SO PVBUILD_HASHED=$T/hashed \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$BIN/finalize" --out "$T/dom" --prefetch "$img" \
		>"$T/out" 2>"$T/err" &
	local pid=$!
	# The image itself is hashed first, to find its entry's key.
	wait_hashed finalize "$isz"
	if [ "$1" = 1 ]; then
		head -c $((half * 256)) /dev/urandom |
			dd of="$tmp" bs=256 seek=1 conv=notrunc status=none
		wait_hashed finalize $((isz + half * 256))
	fi
	dd if="$src" of="$tmp" bs=256 skip=1 seek=1 count="$half" \
		conv=notrunc status=none
	[ "$1" = 1 ] || wait_hashed finalize $((isz + half * 256))
	dd if="$src" of="$tmp" bs=256 skip=$((half + 1)) seek=$((half + 1)) \
		conv=notrunc status=none
	head -c 256 "$src" | dd of="$tmp" conv=notrunc status=none
	mv "$tmp" "$C/$key"
	touch "$T/go"
	local rc=0
	wait "$pid" || rc=$?
	echo "$rc" >"$T/rc"
	echo "$size" >"$T/size"
	echo "$isz" >"$T/isz"
}

# replayed_domain_ok: replay_fill's domain is the guest's, checked.
replayed_domain_ok() {
	run "$PY" "$TOP/tests/checker/checkdom.py" "$T/dom" \
		--kernel "$GUESTS/x64-basic.elf.gz" --cmdline "" \
		--memory $((64 << 20))
	assert_success
	refute_output --partial FAIL
}

@test "finalize hashes an entry while it is written, and not again once it is in place" {
	replay_fill 0
	[ "$(cat "$T/rc")" = 0 ] || fail "finalize: $(cat "$T/err")"
	# The image once, the data once: nothing was hashed twice.
	[ "$(hashed_by finalize)" = $(($(cat "$T/isz") + $(cat "$T/size"))) ] ||
		fail "finalize hashed $(hashed_by finalize) bytes"
	replayed_domain_ok
}

@test "a written entry whose bytes change after finalize hashed them is hashed again before use" {
	replay_fill 1
	[ "$(cat "$T/rc")" = 0 ] || fail "finalize: $(cat "$T/err")"
	# What was followed does not match the header: the entry in place
	# was hashed whole again, and it is the one loaded.
	[ "$(hashed_by finalize)" -gt $(($(cat "$T/isz") + $(cat "$T/size"))) ] ||
		fail "finalize hashed only $(hashed_by finalize) bytes"
	replayed_domain_ok
}

@test "layout reads and gunzips its initrd while the plan before it is still being made" {
	local e i
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/1.json"
	e=$(entry "$GUESTS/initrd.img.gz")
	# The plan comes only once the initrd's entry is there (or after ten
	# seconds, saying so): layout must not wait for it to start.
	(
		for ((i = 0; i < 1000; i++)); do
			[ ! -e "$e" ] || break
			sleep 0.01
		done
		[ -e "$e" ] || echo "no entry before the plan" >"$T/late"
		cat "$T/1.json"
	) | "$BIN/layout" --memory 16M --initrd "$GUESTS/initrd.img.gz" >"$T/2.json"
	[ ! -e "$T/late" ] || fail "$(cat "$T/late")"
	run "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["layout"]["initrd"]["data_sha256"])' "$T/2.json"
	assert_output "$(gunzip -c "$GUESTS/initrd.img.gz" | sha256sum | cut -c1-64)"
}
