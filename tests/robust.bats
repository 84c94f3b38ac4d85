#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Robustness: finalize killed at random moments leaves a whole domain or
# none; a full or read-only disk fails cleanly and leaves nothing;
# decompression bombs, huge ELF tables and huge plans are refused in bounded
# memory and time; every stage runs unprivileged. Figures (outcome counts,
# peak RSS, timings) are printed as TAP comments. The inputs are made by
# tests/robust/robust.py; tests needing root (mount, setpriv) skip saying
# why without it.
bats_require_minimum_version 1.5.0
load helper

R=$TOP/tests/robust/robust.py
X64=$GUESTS/x64-basic.elf
CAP_MIB=64
# Peak RSS allowed under a cap of CAP_MIB: 1.5 times it plus 64 MiB, in KiB.
RSS_LIMIT_KB=$(((CAP_MIB * 3 / 2 + 64) * 1024))

setup() {
	T=$BATS_TEST_TMPDIR
	W=
	cd "$TOP"
}

teardown() {
	local m
	if [ -f "$T/mounts" ]; then
		tac "$T/mounts" | while read -r m; do umount "$m" || umount -l "$m"; done
	fi
	if [ -n "${W:-}" ]; then
		rm -rf -- "$W"
	fi
}

# bounded TEST-ARGS: a bound on peak memory or CPU time, as test(1) says it.
# The bounds are for the plain build: a sanitizer build (make check SAN=1,
# PVBUILD_SAN=1) shadows every byte and slows every call, so there the
# outcome is still checked but not the bound.
bounded() {
	[ "${PVBUILD_SAN:-0}" = 1 ] || [ "$@" ]
}

# The longest tests here run in make check alone: CI's sanitizer pass
# would take them past its time (they run the same stages as the others).
plain_pass() {
	[ "${PVBUILD_SAN:-0}" != 1 ] ||
		skip "left to make check: the sanitizer pass has no time for it"
}

# A line in the TAP output, shown whether the test passes or not.
note() {
	printf '# %s\n' "$*" >&3
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root ($1)"
}

# mount -t tmpfs -o OPTIONS at a new DIR under $T, or skip saying why.
tmpfs_at() {
	local dir=$1 opts=$2 why
	need_root "mount -t tmpfs"
	mkdir -p "$dir"
	why=$(mount -t tmpfs -o "$opts" pvbuild-robust "$dir" 2>&1) ||
		skip "mount -t tmpfs is not permitted here: $why"
	echo "$dir" >>"$T/mounts"
}

# run with the wall time of the command in $ms: timed [run options] CMD...
timed() {
	local t0
	t0=$(date +%s%N)
	run "$@"
	ms=$((($(date +%s%N) - t0) / 1000000))
}

# run under /usr/bin/time: the peak RSS in KiB in $rss_kb, the wall time
# in $ms and the CPU time (user and system) in $cpu_ms. Bounds are on CPU
# time, which other work on a shared machine stretches less than wall
# time: rss [run options] -- CMD...
rss() {
	local opts=() m u s
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	timed "${opts[@]}" /usr/bin/time -o "$T/time" -f '%M %U %S' "$@"
	read -r m u s < <(tail -n 1 "$T/time")
	rss_kb=$m
	cpu_ms=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000 }')
}

# The user the unprivileged tests run as, with no supplementary groups.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# A scratch directory others can reach ($T's parents are root's 0700),
# removed by teardown: sets W.
shared_scratch() {
	W=$(mktemp -d /tmp/pvbuild-robust.XXXXXX)
	chmod 755 "$W"
}

temporaries() {
	compgen -G "$1/.$2.pvbuild-*" || true
}

# ---------------------------------------------------------------------
# 1. Fault injection: all or nothing under SIGKILL.

# The x86_64 guest at 4 GiB: finalize runs for about a tenth of a second
# here (512M-1G take under 40 ms, too short a window to aim at).
plan_4g() {
	plan_to pagetables "$X64" --memory 4G
}

@test "SIGKILL at random moments: DIR is absent or whole, never partial; the next builds remove the temporaries" {
	plain_pass
	plan_4g
	mkdir "$T/k"
	run -0 --separate-stderr "$PY" "$R" kill-loop "$T/4-pagetables.json" "$T/k" 300 40 KILL
	note "SIGKILL: $(echo "$output" | tr '\n' ' ')"
	local -A n
	local k v
	while read -r k v; do n[$k]=$v; done <<<"$output"
	# Enough builds, and the kills landed before, during and after the
	# build: some left nothing, some a whole domain, some a temporary.
	[ "${n[iterations]}" -ge 100 ]
	[ "${n[absent]}" -ge 1 ]
	[ "$((n[complete] + n[finished]))" -ge 1 ]
	[ "${n[left_temporaries]}" -ge 1 ]
	# Each later build removed what the killed ones left: never more than
	# the last kill's temporary at a time, and all of them in the end but
	# the last kill's.
	[ "${n[max_temporaries]}" -le 1 ]
	[ "${n[remaining_temporaries]}" -le 1 ]
	[ "$((n[removed_stale] + n[remaining_temporaries]))" -eq "${n[left_temporaries]}" ]
	# One more whole build removes the rest and is the uninterrupted one.
	"$BIN/finalize" --out "$T/k/dom" "$T/4-pagetables.json" >/dev/null
	[ -z "$(temporaries "$T/k" dom)" ]
	"$PY" "$R" check-domain "$T/k/dom" "$T/k/ref"
}

@test "SIGTERM, SIGINT or SIGHUP at random moments: the same, all or nothing" {
	plan_4g
	mkdir "$T/k"
	run -0 --separate-stderr "$PY" "$R" kill-loop "$T/4-pagetables.json" "$T/k" 60 15 TERM,INT,HUP 2
	note "TERM/INT/HUP: $(echo "$output" | tr '\n' ' ')"
	local -A n
	local k v
	while read -r k v; do n[$k]=$v; done <<<"$output"
	[ "${n[iterations]}" -ge 30 ]
	[ "${n[absent]}" -ge 1 ]
	[ "${n[max_temporaries]}" -le 1 ]
	"$BIN/finalize" --out "$T/k/dom" "$T/4-pagetables.json" >/dev/null
	[ -z "$(temporaries "$T/k" dom)" ]
}

# Run finalize --out DIR and SIGKILL it the moment its temporary beside
# DIR holds machine.mem (robust.py watches in a tight loop, so a fast build's window
# is not missed on a busy machine; up to twenty tries). Sets killed_tmp.
kill_mid_build() {
	local dir=$1 plan=$2 line
	line=$("$PY" "$R" stop-mid-build KILL "$(dirname "$dir")" "$(basename "$dir")" - -- \
		"$BIN/finalize" --out "$dir" "$plan") || return 1
	killed_tmp=${line% *}
}

@test "a SIGKILLed build's temporary is removed by the next build of that NAME (only of that NAME)" {
	plan_4g
	kill_mid_build "$T/dom" "$T/4-pagetables.json"
	[ ! -e "$T/dom" ]
	[ -d "$killed_tmp" ]
	[ -f "$killed_tmp/machine.mem" ]
	note "left by SIGKILL: $(basename "$killed_tmp"): $(ls "$killed_tmp" | tr '\n' ' ')"
	# A build of another name beside it leaves it alone...
	"$BIN/finalize" --out "$T/other" "$T/4-pagetables.json" >/dev/null
	[ -d "$killed_tmp" ]
	# ...and the next build of DIR removes it.
	"$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json" >/dev/null
	[ ! -e "$killed_tmp" ]
	[ -z "$(temporaries "$T" dom)" ]
	"$PY" "$R" check-domain "$T/dom" "$T/other"
}

@test "a live build's temporary is left alone when its pid names no process here (another pid namespace)" {

	need_root "unshare --pid"
	command -v unshare >/dev/null || skip "no unshare(1)"
	plan_to pagetables "$X64" --memory 8G
	local pid_max inner outer t
	pid_max=$(cat /proc/sys/kernel/pid_max)
	inner=$((pid_max - 7))
	! kill -0 "$inner" 2>/dev/null || skip "pid $inner is in use here"
	# The inner build is pid $inner in its namespace; here it has another,
	# which robust.py finds and stops the moment the temporary exists.
	local line stopped=
	# shellcheck disable=SC2016
	line=$("$PY" "$R" stop-mid-build STOP "$T" dom "$inner" -- \
		unshare --pid --fork --mount-proc bash -c 'echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid
"$2" --out "$3" "$4" >/dev/null 2>"$5.err"; echo $? >"$5.rc"' \
		inner "$inner" "$BIN/finalize" "$T/dom" "$T/4-pagetables.json" "$T/inner") && stopped=1
	outer=${line##* }
	[ -n "$stopped" ] || fail "the inner build ended before it was stopped: $line"
	t=$(temporaries "$T" dom)
	[[ $t == *".dom.pvbuild-$inner-"* ]]
	# Another build of the same NAME, here: it must not touch the live one.
	"$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json" >/dev/null
	kill -CONT "$outer"
	[ -d "$t" ]
	# It is robust.py's child, not this shell's: wait for its exit status.
	for _ in $(seq 300); do
		[ -s "$T/inner.rc" ] && break
		sleep 0.1
	done
	# The live build then finds DIR taken, refuses, and cleans up after itself.
	[ "$(cat "$T/inner.rc")" = 1 ]
	grep -q 'File exists' "$T/inner.err"
	[ -z "$(temporaries "$T" dom)" ]
	"$PY" "$R" check-domain "$T/dom" "$T/dom"
}

# ---------------------------------------------------------------------
# 2. A full or unwritable disk: exit 3, one line naming the file, nothing left.

# finalize failing with exit 3 and one line holding MESSAGE, DIR's parent
# then holding only KEEP (a name or ''): fails_cleanly MESSAGE DIR KEEP ARGS...
fails_cleanly() {
	local message=$1 dir=$2 keep=$3
	shift 3
	run -3 --separate-stderr "$@"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "finalize: "* ]]
	assert_stderr --partial "$message"
	[ "$(ls -A "$(dirname "$dir")")" = "$keep" ]
}

@test "a 2 MiB tmpfs as the output's parent: exit 3 naming m2p.bin, nothing left" {
	tmpfs_at "$T/mnt" size=2M
	plan_to pagetables "$X64" --memory 512M
	fails_cleanly "sim: $T/mnt/dom: m2p.bin: No space left on device" "$T/mnt/dom" '' \
		"$BIN/finalize" --out "$T/mnt/dom" "$T/4-pagetables.json"
	note "$stderr"
}

@test "a full tmpfs at every amount of free space: a whole domain, or exit 3 naming the file and nothing left" {
	tmpfs_at "$T/mnt" size=2M
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	local free names=() name
	for free in $(seq 0 512); do
		head -c $(((512 - free) * 4096)) /dev/zero >"$T/mnt/fill"
		run --separate-stderr "$BIN/finalize" --out "$T/mnt/dom" "$T/4-pagetables.json"
		if [ "$status" = 0 ]; then
			break
		fi
		[ "$status" = 3 ]
		assert_output ''
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr =~ ^finalize:\ sim:\ $T/mnt/dom:\ ([a-z0-9.]+):\ No\ space\ left\ on\ device$ ]]
		name=${BASH_REMATCH[1]}
		[[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
		[ "$(ls -A "$T/mnt")" = fill ]
	done
	[ "$status" = 0 ]
	note "needs $free free pages; the files named as free space grew: ${names[*]}"
	rm "$T/mnt/fill"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$BIN/finalize" --out "$T/ref" "$T/4-pagetables.json" >/dev/null
	"$PY" "$R" check-domain "$T/mnt/dom" "$T/ref"
	# Every file the sim writes was, at some size of the disk, the one to fail.
	[ "$(printf '%s\n' "${names[@]}" | sort | tr '\n' ' ')" = "arrangement.txt domain.json m2p.bin machine.mem plan.json " ]
}

@test "a tmpfs out of inodes: exit 3, one line, nothing left" {
	tmpfs_at "$T/mnt" size=2M,nr_inodes=1
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	fails_cleanly "--out: $T/mnt/dom: cannot create a directory beside it: No space left on device" \
		"$T/mnt/dom" '' "$BIN/finalize" --out "$T/mnt/dom" "$T/4-pagetables.json"
}

@test "a read-only output parent (tmpfs remounted ro): exit 3, one line, nothing left" {
	tmpfs_at "$T/mnt" size=2M
	mount -o remount,ro "$T/mnt"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	fails_cleanly "--out: $T/mnt/dom: cannot create a directory beside it: Read-only file system" \
		"$T/mnt/dom" '' "$BIN/finalize" --out "$T/mnt/dom" "$T/4-pagetables.json"
}

@test "a read-only bind mount as the output's parent: exit 3, one line, nothing left" {
	need_root "mount --bind"
	mkdir "$T/ro"
	: >"$T/ro/keep"
	mount --bind "$T/ro" "$T/ro" || skip "mount --bind is not permitted here"
	echo "$T/ro" >>"$T/mounts"
	mount -o remount,bind,ro "$T/ro"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	fails_cleanly "--out: $T/ro/dom: cannot create a directory beside it: Read-only file system" \
		"$T/ro/dom" keep "$BIN/finalize" --out "$T/ro/dom" "$T/4-pagetables.json"
}

@test "an output parent the user may not write (nobody, root's 0755 directory): exit 3, one line, nothing left" {
	need_root "setpriv to nobody"
	shared_scratch
	mkdir -m 755 "$W/root-owned"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	cp "$T/4-pagetables.json" "$W/plan.json"
	fails_cleanly "--out: $W/root-owned/dom: cannot create a directory beside it: Permission denied" \
		"$W/root-owned/dom" '' as_nobody "$BIN/finalize" --out "$W/root-owned/dom" "$W/plan.json"
}

# ---------------------------------------------------------------------
# 3. Bounded resources.

# elfinfo refusing bomb FILE at --max-size CAP_MIB with peak RSS in bounds.
refuses_bomb() {
	local file=$1 what=$2
	rss -1 --separate-stderr -- "$BIN/elfinfo" --max-size "${CAP_MIB}M" "$file"
	assert_output ''
	assert_stderr "elfinfo: $file: decompresses past the cap of $((CAP_MIB << 20)) bytes"
	note "$what ($(stat -c %s "$file") bytes): refused in $ms ms ($cpu_ms ms CPU), peak RSS $((rss_kb / 1024)) MiB (limit $((RSS_LIMIT_KB / 1024)))"
	# At least the cap was filled (it went past it), and not much more.
	[ "$rss_kb" -ge $((CAP_MIB * 1024)) ]
	bounded "$rss_kb" -le "$RSS_LIMIT_KB"
}

@test "a gzip bomb (2 GiB of zeros in 2 MiB) is refused at --max-size 64M with peak RSS near the cap" {
	"$PY" "$R" gzip-bomb "$T/bomb.gz" 2048
	refuses_bomb "$T/bomb.gz" "gzip bomb, 2 GiB"
}

@test "a gzip bomb whose size trailer says 1 KiB is refused the same" {
	"$PY" "$R" gzip-bomb "$T/bomb.gz" 2048
	"$PY" -c 'import struct,sys; d=open(sys.argv[1],"rb").read()
open(sys.argv[1],"wb").write(d[:-4] + struct.pack("<I", 1024))' "$T/bomb.gz"
	refuses_bomb "$T/bomb.gz" "gzip bomb, ISIZE 1024"
}

@test "an xz bomb (2 GiB of zeros in concatenated streams) is refused at --max-size 64M with peak RSS near the cap" {
	"$PY" "$R" xz-bomb "$T/bomb.xz" 2048
	refuses_bomb "$T/bomb.xz" "xz bomb, 2 GiB"
}

@test "a bzip2 bomb (1 GiB of zeros) is refused at --max-size 64M with peak RSS near the cap" {
	"$PY" "$R" bz2-bomb "$T/bomb.bz2" 1024
	refuses_bomb "$T/bomb.bz2" "bzip2 bomb, 1 GiB"
}

@test "zstd (128 MiB window) and lz4 bombs are refused at --max-size 64M with peak RSS in bounds" {
	command -v zstd >/dev/null && command -v lz4 >/dev/null || skip "no zstd(1) or lz4(1)"
	head -c 256M /dev/zero | zstd -q -1 --long=27 -c >"$T/bomb.zst"
	refuses_bomb "$T/bomb.zst" "zstd bomb, 256 MiB, window 128 MiB"
	head -c 256M /dev/zero | lz4 -q -9 -c >"$T/bomb.lz4"
	refuses_bomb "$T/bomb.lz4" "lz4 bomb, 256 MiB"
}

@test "65535 program headers (PN_XNUM, PT_NULL after the guest's own) are read in bounded time" {
	"$PY" "$R" many-phdrs "$X64" "$T/k.elf" null
	rss -0 --separate-stderr -- "$BIN/elfinfo" "$T/k.elf"
	note "65535 phdrs, PT_NULL: accepted in $ms ms ($cpu_ms ms CPU), $((rss_kb / 1024)) MiB"
	bounded "$cpu_ms" -lt 5000
	"$PY" -c 'import json,sys; e=json.loads(sys.argv[1])["elfinfo"]
assert len(e["segments"]) == 2 and e["abi"] == "xen-3.0-x86_64", e' "$output"
}

@test "65535 PT_NOTE program headers are refused at 2048 notes in bounded time" {
	"$PY" "$R" many-phdrs "$X64" "$T/k.elf" note
	rss -1 --separate-stderr -- "$BIN/elfinfo" "$T/k.elf"
	note "65535 phdrs, PT_NOTE: refused in $ms ms ($cpu_ms ms CPU), $((rss_kb / 1024)) MiB: $stderr"
	bounded "$cpu_ms" -lt 5000
	assert_stderr --partial "more than 2048 notes"
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "65535 one-page loadable segments: every stage, finalize too, finishes in bounded time" {
	plain_pass
	"$PY" "$R" many-phdrs "$X64" "$T/k.elf" load
	local d=$T stage prev='' times=''
	for stage in elfinfo layout populate pagetables finalize; do
		case $stage in
		elfinfo) rss -0 --separate-stderr -- "$BIN/elfinfo" "$T/k.elf" ;;
		layout) rss -0 --separate-stderr -- "$BIN/layout" --memory 1G "$prev" ;;
		finalize) rss -0 --separate-stderr -- "$BIN/finalize" --out "$T/dom" \
			--prefetch "$T/k.elf" "$prev" ;;
		*) rss -0 --separate-stderr -- "$BIN/$stage" "$prev" ;;
		esac
		times+="$stage $ms ms ($cpu_ms ms CPU) $((rss_kb / 1024)) MiB; "
		bounded "$cpu_ms" -lt 5000
		prev=$d/$stage.json
		printf '%s\n' "$output" >"$prev"
	done
	note "65535 PT_LOAD: $times"
	"$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["elfinfo"]
assert len(e["segments"]) == 65534, len(e["segments"])' "$d/elfinfo.json"
}

@test "65535 notes in one note segment are refused at 2048 in bounded time" {
	"$PY" "$R" many-notes "$X64" "$T/k.elf" 65535
	rss -1 --separate-stderr -- "$BIN/elfinfo" "$T/k.elf"
	note "65535 notes: refused in $ms ms ($cpu_ms ms CPU), $((rss_kb / 1024)) MiB"
	bounded "$cpu_ms" -lt 5000
	assert_stderr "elfinfo: $T/k.elf: note segment 2: more than 2048 notes"
}

# STAGE refusing PLAN whose array PATH holds a million entries while it reads
# it (at the 131089th, more than any plan holds): exit 1 in under 5 s and
# 192 MiB, one line naming the array: refuses_million FROM PATH STAGE ARGS...
refuses_million() {
	local from=$1 path=$2 stage=$3
	shift 3
	plan_to pagetables "$X64" --memory 512M
	"$PY" "$R" big-array "$T/$from.json" "$T/big.json" "$path" 1000000
	rss -1 --separate-stderr -- "$BIN/$stage" "$@" "$T/big.json"
	note "a million $path ($(($(stat -c %s "$T/big.json") >> 20)) MiB of plan): $stage refused in $ms ms ($cpu_ms ms CPU), peak RSS $((rss_kb / 1024)) MiB"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial ": more than 131088 entries (no plan has so many)"
	bounded "$cpu_ms" -lt 5000
	bounded "$rss_kb" -le $((192 * 1024))
}

@test "a plan of a million segments is refused by layout: exit 1, under 5 s" {
	refuses_million 1-elfinfo elfinfo.segments layout --memory 512M
	assert_stderr --partial "elfinfo.segments: more than"
}

@test "a plan of a million regions is refused by populate: exit 1, under 5 s" {
	refuses_million 2-layout layout.regions populate
	assert_stderr --partial "layout.regions: more than"
}

@test "a plan of a million writes is refused by pagetables: exit 1, under 5 s" {
	refuses_million 3-populate populate.writes pagetables
	assert_stderr --partial "populate.writes: more than"
}

@test "a plan of a million table maps is refused by finalize: exit 1, under 5 s, nothing built" {
	refuses_million 4-pagetables pagetables.tables.0.maps finalize --out "$T/dom"
	assert_stderr --partial "pagetables.tables[0].maps: more than"
	[ ! -e "$T/dom" ]
}

@test "too many maps in a table: the message names the array once, pagetables.tables[N].maps" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$PY" "$R" big-array "$T/4-pagetables.json" "$T/big.json" pagetables.tables.0.maps 1025
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/big.json"
	assert_stderr "finalize: $T/big.json: pagetables.tables[0].maps: 1025 entries, expected 0 to 1024"
}

@test "the read guard counts array entries, not commas or brackets inside strings" {
	plan_to layout "$X64" --memory 64M
	# An escaped quote and a bracket, then 140000 ",1", in one string
	# of an array: one entry. A broken guard ends the string early and
	# counts the commas; the plan then fails later, on the member.
	"$PY" -c 'import json, sys
p = json.load(open(sys.argv[1]))
p["zz"] = ["\\\" [" + ",1" * 140000]
json.dump(p, open(sys.argv[2], "w"))' "$T/2-layout.json" "$T/odd.json"
	run -1 --separate-stderr "$BIN/populate" "$T/odd.json"
	assert_stderr "populate: $T/odd.json: zz: unknown member"
}

@test "a plan past 256 MiB is refused while it is read, in bounded memory" {
	# A plan that never ends: '{' and then spaces, on standard input.
	rss -1 --separate-stderr -- bash -c \
		'{ printf "{"; head -c 300M /dev/zero | tr "\\0" " "; } | "$1" -' _ "$BIN/pagetables"
	note "300 MiB of plan on stdin: refused in $ms ms ($cpu_ms ms CPU), peak RSS $((rss_kb / 1024)) MiB"
	assert_output ''
	assert_stderr "pagetables: <stdin>: larger than 256 MiB (no plan is)"
	bounded "$rss_kb" -le $((64 * 1024))
}

# ---------------------------------------------------------------------
# 4. Least privilege: nothing but finalize's output needs any right.

@test "every stage but finalize runs as nobody on readable inputs and makes root's plans, byte for byte" {
	need_root "setpriv to nobody"
	shared_scratch
	local spec image args i=0
	for spec in "basic.elf --memory 16M --initrd $GUESTS/initrd.img.gz --cmdline ro" \
		"pae-basic.elf.gz --memory 64M --initrd $GUESTS/initrd.img" \
		"x64-basic.elf.gz --memory 512M --cmdline quiet"; do
		i=$((i + 1))
		read -r image args <<<"$spec"
		mkdir -m 755 "$W/root$i" "$W/nobody$i"
		chown nobody:nogroup "$W/nobody$i"
		# shellcheck disable=SC2086
		(cd "$W/root$i" && BATS_TEST_TMPDIR=$PWD plan_to pagetables "$GUESTS/$image" $args)
		# shellcheck disable=SC2016,SC2086
		run as_nobody sh -c 'set -e; d=$1; b=$2; image=$3; shift 3
			[ "$(id -u)" = "$(id -u nobody)" ] && [ "$(id -G)" = "$(id -g)" ]
			"$b/elfinfo" "$image" >"$d/1-elfinfo.json"
			"$b/layout" "$@" "$d/1-elfinfo.json" >"$d/2-layout.json"
			"$b/populate" "$d/2-layout.json" >"$d/3-populate.json"
			"$b/pagetables" <"$d/3-populate.json" >"$d/4-pagetables.json"' \
			sh "$W/nobody$i" "$BIN" "$GUESTS/$image" $args
		assert_success
		[ "$(stat -c %U "$W/nobody$i/4-pagetables.json")" = nobody ]
		for f in 1-elfinfo 2-layout 3-populate 4-pagetables; do
			cmp "$W/root$i/$f.json" "$W/nobody$i/$f.json"
		done
	done
}

@test "finalize as nobody into a directory it owns builds root's domain, owned by nobody" {
	need_root "setpriv to nobody"
	shared_scratch
	mkdir -m 755 "$W/n"
	chown nobody:nogroup "$W/n"
	plan_to pagetables "$X64" --memory 512M --initrd "$GUESTS/initrd.img.gz"
	cp "$T/4-pagetables.json" "$W/plan.json"
	chmod 644 "$W/plan.json"
	run -0 --separate-stderr as_nobody "$BIN/finalize" --out "$W/n/dom" --prefetch "$X64" "$W/plan.json"
	assert_line --partial "domain: $W/n/dom (xen-3.0-x86_64"
	"$BIN/finalize" --out "$T/ref" "$W/plan.json" >/dev/null
	"$PY" "$R" check-domain "$W/n/dom" "$T/ref"
	run stat -c %U "$W/n/dom" "$W/n/dom/domain.json" "$W/n/dom/machine.mem"
	assert_output "$(printf 'nobody\nnobody\nnobody')"
	# And the whole pipeline, as nobody, from the driver.
	run -0 as_nobody ./pipeline.sh "$X64" --memory 512M --initrd "$GUESTS/initrd.img.gz" \
		--out "$W/n/dom2" --keep "$W/n/plans"
	cmp "$W/n/plans/4-pagetables.json" "$T/4-pagetables.json"
	"$PY" "$R" check-domain "$W/n/dom2" "$T/ref"
}
