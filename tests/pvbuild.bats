#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The front end: `pvbuild STAGE` starts the stage of that name from its
# exec path, `pvbuild build` runs the five stages as one pipe (to the sim
# or to Xen) and builds what the stages piped by hand build, and an
# installed pvbuild finds the stages in LIBEXECDIR, alone in BINDIR.
bats_require_minimum_version 1.5.0
load helper

setup() {
	cd "$TOP"
	T=$BATS_TEST_TMPDIR
}

# The domain the five stages make, piped by hand: by_hand DIR IMAGE
# [layout args...] (the initrd, if any, named to finalize as pvbuild does).
by_hand() {
	local out=$1 image=$2 initrd=()
	shift 2
	[ "${1:-}" != --initrd ] || initrd=(--initrd "$2")
	"$BIN/elfinfo" "$image" | "$BIN/layout" "$@" | "$BIN/populate" |
		"$BIN/pagetables" | "$BIN/finalize" --backend sim --out "$out" \
		--prefetch "$image" "${initrd[@]}"
}

same_domain() {
	local f
	for f in machine.mem m2p.bin domain.json plan.json; do
		cmp "$1/$f" "$2/$f"
	done
}

@test "pvbuild STAGE runs that stage, its argv[0] its own name: each one's --version" {
	local p
	for p in elfinfo layout populate pagetables finalize boot show; do
		run -0 "$BIN/pvbuild" "$p" --version
		assert_output --regexp "^$p \\(pvbuild\\) [0-9]"
	done
	run -0 "$BIN/pvbuild" --version
	assert_output --regexp '^pvbuild \(pvbuild\) [0-9]'
	# The stage's arguments reach it unparsed by pvbuild.
	run -2 --separate-stderr "$BIN/pvbuild" layout --exec-path
	assert_stderr --partial "layout: unknown option '--exec-path'"
}

@test "pvbuild --help, -h and help COMMAND" {
	run -0 "$BIN/pvbuild" --help
	assert_line 'usage: pvbuild [--exec-path] COMMAND [ARGS ...]'
	assert_output --partial '  build       '
	local help=$output
	run -0 "$BIN/pvbuild" -h
	[ "$output" = "$help" ]
	run -0 "$BIN/pvbuild" help
	[ "$output" = "$help" ]
	run -0 "$BIN/pvbuild" help build
	assert_line --index 0 --partial 'usage: pvbuild build [KERNEL] [--config XLCFG] --memory SIZE'
	assert_output --partial '--backend sim|xen'
	run -0 "$BIN/pvbuild" build --help
	assert_line --index 0 --partial 'usage: pvbuild build [KERNEL]'
	run -0 "$BIN/pvbuild" help pagetables
	assert_line --index 0 'usage: pagetables [PLAN]'
	run -2 --separate-stderr "$BIN/pvbuild" help nope
	assert_stderr "pvbuild: help: 'nope' is not a pvbuild command"
}

@test "an unknown command or none: one line on stderr, exit 2, nothing run" {
	run -2 --separate-stderr "$BIN/pvbuild" pipeline --out "$T/d"
	assert_output ''
	assert_stderr "pvbuild: 'pipeline' is not a pvbuild command (pvbuild --help lists them)"
	# What it quotes is escaped, as every message is.
	run -2 --separate-stderr "$BIN/pvbuild" $'x\e[2J'
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "'x\\x1b[2J'"
	run -2 --separate-stderr "$BIN/pvbuild"
	assert_stderr --partial 'pvbuild: no COMMAND given'
	run -2 --separate-stderr "$BIN/pvbuild" --nope build
	assert_stderr --partial "pvbuild: unknown option '--nope'"
}

@test "--exec-path: bin/ beside pvbuild, from any directory and through a symbolic link; PVBUILD_EXEC_PATH overrides it" {
	ln -s "$BIN/pvbuild" "$T/pv"
	cd "$T"
	run -0 ./pv --exec-path
	assert_output "$BIN"
	run -0 ./pv layout --version
	assert_output --regexp '^layout \(pvbuild\)'
	PVBUILD_EXEC_PATH=$T/stages run -0 ./pv --exec-path
	assert_output "$T/stages"
	PVBUILD_EXEC_PATH=$T/stages run -3 --separate-stderr ./pv layout --version
	assert_stderr "pvbuild: $T/stages/layout: No such file or directory"
	PVBUILD_EXEC_PATH=$T/stages run -3 --separate-stderr ./pv build \
		"$GUESTS/basic.elf" --memory 16M --out "$T/d"
	assert_output ''
	assert_stderr "pvbuild: $T/stages/elfinfo: No such file or directory"
	[ ! -e "$T/d" ]
}

@test "pvbuild build makes the very domain the five stages piped by hand make" {
	run -0 --separate-stderr "$BIN/pvbuild" build "$GUESTS/multiseg.elf.gz" \
		--memory 32M --initrd "$GUESTS/initrd.img.gz" --cmdline 'a b' --out "$T/d"
	assert_line --partial "domain: $T/d (xen-1.3"
	assert_stderr ''
	by_hand "$T/ref" "$GUESTS/multiseg.elf.gz" --initrd "$GUESTS/initrd.img.gz" \
		--memory 32M --cmdline 'a b' >"$T/ref.out"
	same_domain "$T/d" "$T/ref"
	diff -u <(sed "s|$T/ref|DIR|" "$T/ref.out") <(printf '%s\n' "$output" | sed "s|$T/d|DIR|")
	# The default backend is the sim; --scatter reaches finalize.
	run -0 "$BIN/pvbuild" build "$GUESTS/x64-basic.elf" --memory 64M \
		--backend sim --scatter 7 --out "$T/s7"
	run -0 "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["machine"]["seed"])' "$T/s7/domain.json"
	assert_output 7
}

@test "pvbuild build --keep saves the four plans the stages make, the arrangement, and the same domain" {
	run -0 "$BIN/pvbuild" build "$GUESTS/basic.elf" --memory 16M \
		--cmdline quiet --out "$T/d" --keep "$T/k/plans"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --cmdline quiet
	local f
	for f in 1-elfinfo 2-layout 3-populate 4-pagetables; do
		cmp "$T/$f.json" "$T/k/plans/$f.json"
	done
	run ls "$T/k/plans"
	assert_output "$(printf '%s\n' 1-elfinfo.json 2-layout.json 3-populate.json 4-pagetables.json arrangement.txt)"
	# The arrangement finalize printed, as the domain keeps it too.
	cmp "$T/k/plans/arrangement.txt" "$T/d/arrangement.txt"
	"$BIN/show" "$T/4-pagetables.json" | cmp - "$T/k/plans/arrangement.txt"
	by_hand "$T/ref" "$GUESTS/basic.elf" --memory 16M --cmdline quiet >/dev/null
	same_domain "$T/d" "$T/ref"
	# A PLANDIR that exists is a usage error, and is left as it was.
	run -2 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" \
		--memory 16M --out "$T/d2" --keep "$T/k/plans"
	assert_stderr --partial "pvbuild: --keep: $T/k/plans already exists"
	[ ! -e "$T/d2" ]
	[ -e "$T/k/plans/4-pagetables.json" ]
}

@test "pvbuild build --no-cache: the same domain, and nothing left in TMPDIR or the cache" {
	mkdir "$T/tmp"
	PVBUILD_CACHE=$T/cache TMPDIR=$T/tmp run -0 "$BIN/pvbuild" build \
		"$GUESTS/basic.elf.gz" --memory 16M --initrd "$GUESTS/initrd.img.gz" \
		--out "$T/d" --no-cache
	run ls -A "$T/tmp"
	assert_output ''
	[ ! -e "$T/cache" ]
	by_hand "$T/ref" "$GUESTS/basic.elf.gz" --initrd "$GUESTS/initrd.img.gz" \
		--memory 16M >/dev/null
	same_domain "$T/d" "$T/ref"
	# Nor when the build fails.
	TMPDIR=$T/tmp run -1 "$BIN/pvbuild" build "$BAD/wrong-xen-ver" \
		--memory 16M --out "$T/d3" --no-cache
	run ls -A "$T/tmp"
	assert_output ''
}

@test "a failing stage: its one line alone on stderr, exit 1, nothing on stdout, no domain, no plans" {
	run -1 --separate-stderr "$BIN/pvbuild" build "$BAD/wrong-xen-ver" \
		--memory 16M --out "$T/d"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ ${stderr_lines[0]} == "elfinfo: $BAD/wrong-xen-ver: __xen_guest: XEN_VER "* ]]
	[ ! -e "$T/d" ]
	run -1 --separate-stderr "$BIN/pvbuild" build "$BAD/wrong-xen-ver" \
		--memory 16M --out "$T/d" --keep "$T/plans"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ ! -e "$T/d" ]
	[ ! -e "$T/plans" ]
	run ls -A "$T"
	refute_output --partial pvbuild
	# A stage in the middle, and the last: the leftmost failure speaks.
	run -1 --separate-stderr "$BIN/pvbuild" build "$BAD/huge-bss" --memory 64M \
		--out "$T/d"
	assert_output ''
	assert_stderr 'layout: --memory: initial guest OS requires too much space (204MB is greater than 64MB limit)'
	mkdir "$T/there"
	run -1 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" \
		--memory 16M --out "$T/there"
	assert_output ''
	assert_stderr "finalize: --out: $T/there already exists"
}

@test "options for the other backend are refused before anything runs, exit 2" {
	local k=(--keep "$T/plans")
	run -2 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" --memory 16M \
		--out "$T/d" --paused "${k[@]}"
	assert_stderr --partial 'pvbuild: --paused and --wait are for --backend xen'
	run -2 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" --memory 16M \
		--out "$T/d" --wait "${k[@]}"
	assert_stderr --partial 'pvbuild: --paused and --wait are for --backend xen'
	local o
	for o in "--out $T/d" "--scatter 2" --sync "--seed 2"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" \
			--memory 16M --backend xen $o "${k[@]}"
		assert_stderr --partial 'pvbuild: --out, --scatter and --sync are for --backend sim'
	done
	run -2 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" --memory 16M \
		--backend kvm --out "$T/d"
	assert_stderr --partial "pvbuild: --backend: unknown backend 'kvm' (sim or xen)"
	run -2 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" --memory 16M
	assert_stderr --partial 'pvbuild: --out DIR is required'
	run -2 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" "$GUESTS/basic.elf" \
		--memory 16M --out "$T/d"
	assert_stderr --partial 'pvbuild: too many arguments'
	[ ! -e "$T/d" ]
	[ ! -e "$T/plans" ]
}

@test "--name, --vcpus, --maxmem, --disk and --nic reach layout, for either backend, and the sim domain records them" {
	: >"$T/root.img"
	run -0 "$BIN/pvbuild" build "$GUESTS/x64-basic.elf.gz" --memory 64M \
		--maxmem 96M --vcpus 2 --name web --disk "$T/root.img,raw,xvda,rw" \
		--disk "vdev=xvdb,access=r,target=$T/root.img" --nic bridge=xenbr0 \
		--nic mac=00:16:3e:01:02:03,bridge=br1 --out "$T/d" --keep "$T/plans"
	run -0 "$PY" -c 'import json,sys; l = json.load(open(sys.argv[1]))["layout"]
print(l["vcpus"], l["maxmem"], l["name"])
for d in l["disks"]: print(d["target"], d["vdev"], d["access"])
for n in l["nics"]: print(n["bridge"], n["mac"] if n["mac"].startswith("00:16:3e:01") else "made")' "$T/plans/2-layout.json"
	assert_output "2 100663296 web
$T/root.img xvda rw
$T/root.img xvdb r
xenbr0 made
br1 00:16:3e:01:02:03"
	# The same plan from the stages piped by hand.
	by_hand "$T/h" "$GUESTS/x64-basic.elf.gz" --memory 64M --maxmem 96M \
		--vcpus 2 --name web --disk "$T/root.img,raw,xvda,rw" \
		--disk "vdev=xvdb,access=r,target=$T/root.img" --nic bridge=xenbr0 \
		--nic mac=00:16:3e:01:02:03,bridge=br1
	same_domain "$T/d" "$T/h"
	# layout judges them: pvbuild passes them on unchanged.
	run -1 --separate-stderr "$BIN/pvbuild" build "$GUESTS/x64-basic.elf.gz" \
		--memory 64M --vcpus 0 --out "$T/e"
	assert_output ''
	assert_stderr --partial 'layout: '
	[ ! -e "$T/e" ]
}

@test "pvbuild build --backend xen gives finalize the request it gives layout, for the domain made early; not for PVH nor the sim" {
	run -0 --separate-stderr "$BIN/pvbuild" build "$GUESTS/x64-basic.elf" \
		--memory 64M --maxmem 96M --vcpus 2 --backend xen --name web \
		--paused --dry-run
	assert_line --index 1 'layout --memory 64M --vcpus 2 --maxmem 96M --name web'
	assert_line --index 4 --regexp '^finalize --backend xen --name web --memory 64M --maxmem 96M --vcpus 2 --paused --prefetch '
	run -0 --separate-stderr "$BIN/pvbuild" build "$GUESTS/x64-basic.elf" \
		--memory 64M --vcpus 2 --backend xen --pvh --dry-run
	assert_line --index 4 --regexp '^finalize --backend xen --prefetch '
	run -0 --separate-stderr "$BIN/pvbuild" build "$GUESTS/x64-basic.elf" \
		--memory 64M --vcpus 2 --out "$T/d" --dry-run
	assert_line --index 4 --regexp '^finalize --backend sim --out '
}

@test "pvbuild build --backend xen reaches finalize's xen backend" {
	# A xen-1.3 guest: finalize's xen backend refuses it before it
	# opens the hypervisor, on any machine.
	run -3 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" \
		--memory 16M --backend xen --name t --paused
	assert_output ''
	assert_stderr 'finalize: xen: Xen builds no xen-1.3 guests (2-level x86_32 paging); use --backend sim'
}

@test "SIGTERM or SIGINT to pvbuild build reaches the stages: all or nothing, no stage left running" {
	local i t sig rc pid killed=0 keep
	mkdir "$T/tmp"
	# A build of about 0.1 s here (16 GiB), stopped at moments across it,
	# as a pipe and one stage after another.
	for i in 1 2 3 4 5 6; do
		sig=$([ $((i % 2)) = 0 ] && echo INT || echo TERM)
		keep=()
		[ "$i" -gt 3 ] || keep=(--keep "$T/k")
		rm -rf "$T/d" "$T/k"
		# setsid: a process group of its own, to look for stragglers in.
		# env: a job started with & here has SIGINT ignored, and so would pvbuild.
		TMPDIR=$T/tmp setsid env --default-signal=INT "$BIN/pvbuild" build \
			"$GUESTS/x64-basic.elf" --memory 16G --out "$T/d" "${keep[@]}" \
			--no-cache >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((i + 1))"
		kill -s "$sig" "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" || rc=$?
		if [ "$rc" = 0 ]; then
			[ -e "$T/d/domain.json" ]
			[ "$i" -gt 3 ] || [ -e "$T/k/4-pagetables.json" ]
		else
			[ "$rc" = $((128 + $(kill -l "$sig"))) ]
			[ ! -e "$T/d" ]
			[ ! -e "$T/k" ]
			killed=$((killed + 1))
		fi
		# Nothing of the group is left running: a sanitizer's helper
		# task of a stage stopped at its exit may take a moment to go,
		# so the group is given three seconds to empty...
		for ((t = 0; t < 30; t++)); do
			[ -n "$(pgrep -g "$pid")" ] || break
			sleep 0.1
		done
		run pgrep -g "$pid"
		assert_output ''
		# ...and no stage went on to finish a build pvbuild said was
		# stopped.
		[ "$rc" = 0 ] || [ ! -e "$T/d" ]
		# The private cache of --no-cache goes whatever happens.
		run ls -A "$T/tmp"
		assert_output ''
	done
	# Some were stopped mid-build, or this tested nothing.
	[ "$killed" -gt 0 ]
}

@test "pvbuild links libc alone" {
	run -0 readelf -dW "$BIN/pvbuild"
	assert_line --partial '[libc.so.6]'
	refute_output --regexp 'libjansson|libnettle|libelf|libz\.|liblzma|liblzo2|liblz4|libzstd|libbz2|libxen|libpthread'
}

@test "make install: only pvbuild in BINDIR, the stages in LIBEXECDIR, and the installed pvbuild builds" {
	# With the suite's SAN, or make would build bin/ again without it.
	run -0 make -s install DESTDIR="$T/root" PREFIX=/usr/local \
		${PVBUILD_SAN:+SAN=1}
	run -0 ls -A "$T/root/usr/local/bin"
	assert_output pvbuild
	run -0 ls "$T/root/usr/local/libexec/pvbuild"
	assert_output "$(printf '%s\n' boot elfinfo finalize layout pagetables populate show)"
	local pv=$T/root/usr/local/bin/pvbuild
	# Built for /usr/local, whatever DESTDIR it was copied under.
	run -0 "$pv" --exec-path
	assert_output /usr/local/libexec/pvbuild
	export PVBUILD_EXEC_PATH=$T/root/usr/local/libexec/pvbuild
	run -0 "$pv" --help
	assert_line 'usage: pvbuild [--exec-path] COMMAND [ARGS ...]'
	run -0 "$pv" finalize --version
	assert_output --regexp '^finalize \(pvbuild\) [0-9]'
	cd "$T"
	run -0 --separate-stderr "$pv" build "$GUESTS/basic.elf" --memory 16M --out D
	assert_line --partial 'domain: D (xen-1.3'
	run -0 "$pv" show D
	[ "$(head -n 9 <<<"$output")" = "$(cat D/arrangement.txt)" ]
	assert_line -n 9 --partial 'domain: D (xen-1.3'
	cd "$TOP"
	by_hand "$T/ref" "$GUESTS/basic.elf" --memory 16M >/dev/null
	same_domain "$T/D" "$T/ref"
}
