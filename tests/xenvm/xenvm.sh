#!/bin/sh
# SPDX-License-Identifier: ISC
# xenvm.sh: real Xen for the test suite, in QEMU.
#
#   xenvm.sh prepare          fetch what the VM needs, build the dom0
#                             initramfs (cached), print "NAME PATH" lines
#   xenvm.sh run BATCH LOG [SECONDS]
#                             boot Xen and a Debian dom0 in QEMU once; dom0
#                             runs BATCH/run.sh (BATCH is copied into dom0
#                             as /batch, with the shared libraries of the
#                             programs in BATCH/bin) and powers off
#
# Xen 4.17 and Debian 12's Linux run under QEMU's TCG (no KVM is needed,
# and nested KVM cannot run Xen); Xen's serial console, which carries
# dom0's console too, is written to LOG, \r stripped. dom0 is a busybox
# initramfs running xenstored, xen-init-dom0 and xenconsoled, which logs
# every guest's console to /var/log/xen/console/guest-NAME.log. The batch
# prints its results as lines starting "@@XENVM " for the caller to judge.
#
# Debian packages are fetched with `apt-get download` and unpacked with
# dpkg-deb into the cache (build/cache, or $PVBUILD_DOWNLOADS), never installed;
# the libxen runtime libraries come from the host, where libxen-dev (a
# build dependency) has installed the very version of the tools. The dom0
# initramfs is cached under a name made from the packages' versions and
# this script, so a new package or a changed script builds a new one.
#
# With $PVBUILD_OFFLINE set (make test), nothing is fetched: a package not
# yet in the cache ends prepare with 77, without running apt-get.
#
# $PVBUILD_QEMU names another QEMU (default qemu-system-x86_64);
# $PVBUILD_XENVM_UP the seconds dom0 has to come up (default 120).
#
# Exit status: 0 done (run: dom0 reached the end of the batch), 1 the VM
# timed out or stopped early (run), 2 usage, 77 what the VM needs cannot be
# had (no network, no QEMU, not Debian): the reason is on stderr, so that a
# test can skip saying why.

set -u

PROG=xenvm
EXIT_SKIP=77
XENVER=4.17
QEMU=${PVBUILD_QEMU:-qemu-system-x86_64}
UP_SECONDS=${PVBUILD_XENVM_UP:-240}

die_skip() {
	echo "$PROG: $*" >&2
	exit $EXIT_SKIP
}

usage() {
	echo "usage: $PROG prepare | $PROG run BATCH LOG [SECONDS]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
TOP=$(cd "$(dirname "$0")/../.." && pwd) || exit 3
HERE=$TOP/tests/xenvm
CACHE=${PVBUILD_DOWNLOADS:-$TOP/build/cache}
mkdir -p "$CACHE/xenvm" 2>/dev/null || die_skip "cannot create $CACHE/xenvm"
CACHE=$(cd "$CACHE" && pwd) || die_skip "cannot enter the cache $CACHE"
VMC=$CACHE/xenvm

# The shared libraries an ELF program needs, as ldd resolves them here.
libs_of() {
	ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }'
}

# copy_with_libs ROOT FILE...: each FILE and its libraries into ROOT at
# the same paths (symlinks followed, so ROOT holds real files). A library
# this host lacks ends the run, naming it.
copy_with_libs() {
	root=$1
	shift
	for f in "$@"; do
		missing=$(ldd "$f" 2>/dev/null | awk '/not found/ { print $1 }')
		[ -z "$missing" ] ||
			die_skip "$(basename "$f") needs" $missing "(not installed here)"
		for g in "$f" $(libs_of "$f"); do
			[ -e "$root$g" ] && continue
			mkdir -p "$root$(dirname "$g")" && cp -L "$g" "$root$g" ||
				return 1
		done
	done
}

# fetch PACKAGE REGEX: PACKAGE's files matching REGEX unpacked into
# $VMC/pkg/PACKAGE once (committed by a rename), its version in .version
# and REGEX in .regex: another REGEX unpacks it again.
fetch() {
	pkg=$1 re=$2
	dest=$VMC/pkg/$pkg
	[ -s "$dest/.version" ] && [ "$(cat "$dest/.regex" 2>/dev/null)" = "$re" ] &&
		return 0
	[ -z "${PVBUILD_OFFLINE:-}" ] ||
		die_skip "offline (PVBUILD_OFFLINE): $pkg is not in $VMC/pkg (make check fetches it)"
	work=$TMP/$pkg
	mkdir -p "$work/root" || return 1
	if ! (cd "$work" && apt-get download -q "$pkg" >"$TMP/apt.log" 2>&1); then
		if [ "$(id -u)" = 0 ] && [ ! -e "$TMP/updated" ]; then
			touch "$TMP/updated"
			apt-get update -qq >"$TMP/apt.log" 2>&1
		fi
		(cd "$work" && apt-get download -q "$pkg" >"$TMP/apt.log" 2>&1) ||
			die_skip "cannot download $pkg: $(grep -v '^$' "$TMP/apt.log" | tail -n 1)"
	fi
	set -- "$work"/*.deb
	[ -f "$1" ] || die_skip "apt-get download $pkg left no .deb"
	dpkg-deb -c "$1" | awk '$1 ~ /^-/ { print $NF }' | grep -E "$re" \
		>"$work/members"
	[ -s "$work/members" ] || die_skip "$pkg has no file matching $re"
	dpkg-deb --fsys-tarfile "$1" | tar -x -C "$work/root" -T "$work/members" ||
		die_skip "cannot unpack $pkg"
	dpkg-deb -f "$1" Version >"$work/root/.version" || return 1
	printf '%s\n' "$re" >"$work/root/.regex" || return 1
	rm -rf "$dest"
	mkdir -p "$VMC/pkg" && mv -T "$work/root" "$dest"
}

prepare() {
	for tool in apt-get dpkg-deb cpio gzip ldd sha256sum $QEMU; do
		command -v $tool >/dev/null 2>&1 ||
			die_skip "$tool not found (make deps installs it)"
	done
	images=$("$TOP/tests/realimages.sh" print) || exit $EXIT_SKIP
	vmlinuz=$(echo "$images" | awk '$1 == "linux" { print $2 }')
	kdir=$(dirname "$(dirname "$vmlinuz")")
	kpkg=$(sed -n 's/^Package: //p' "$kdir/.package")
	kver=${kpkg#linux-image-}
	[ -n "$kpkg" ] || die_skip "cannot tell the kernel package of $vmlinuz"

	if command -v flock >/dev/null 2>&1; then
		exec 9>"$VMC/.lock" || die_skip "cannot open $VMC/.lock"
		flock 9
	fi
	TMP=$(mktemp -d "$VMC/.tmp.XXXXXX") || die_skip "cannot create a directory in $VMC"
	trap 'rm -rf "$TMP"' EXIT
	trap 'exit 130' INT TERM

	fetch "xen-hypervisor-$XENVER-amd64" '/boot/xen-.*\.gz$' || exit 3
	fetch "xen-utils-$XENVER" "/bin/(xl|xenstored|xenconsoled|xenconsole|xen-init-dom0)\$" ||
		exit 3
	fetch xenstore-utils '/usr/bin/xenstore$' || exit 3
	# xl's hotplug scripts for a file-backed disk and a vif on a bridge,
	# which it runs itself (run_hotplug_scripts); they are bash scripts,
	# and lock with util-linux's flock, which busybox lacks (both are
	# taken from this machine, as the libraries are).
	fetch xen-utils-common '/etc/xen/scripts/(block|block-common\.sh|hotplugpath\.sh|locking\.sh|logging\.sh|vif-bridge|vif-common\.sh|xen-hotplug-common\.sh|xen-network-common\.sh|xen-script-common\.sh)$' ||
		exit 3
	fetch busybox-static '/bin/busybox$' || exit 3
	# dom0's Xen drivers, and the backends of the guests' disks and NICs
	# with what they stand on (loop devices, the bridge); and what a
	# guest needs to mount an ext4 root disk and use its NIC, which
	# Debian builds as modules too (tests/xenvm/devices.sh).
	fetch "$kpkg" '/kernel/(drivers/xen/(xen-evtchn|xen-privcmd|xen-gntdev|xen-gntalloc|xenfs/xenfs)|drivers/block/(loop|xen-blkback/xen-blkback|xen-blkfront)|drivers/net/(xen-netback/xen-netback|xen-netfront)|net/(llc/llc|802/stp|bridge/bridge)|fs/(ext4/ext4|jbd2/jbd2|mbcache)|lib/crc16|crypto/crc32c_generic)\.ko' ||
		exit 3

	key=$( (for p in "xen-hypervisor-$XENVER-amd64" "xen-utils-$XENVER" \
		xenstore-utils xen-utils-common busybox-static "$kpkg"; do
		echo "$p $(cat "$VMC/pkg/$p/.version")"
	done
	dpkg-query -W 'libxen*' libc6 bash util-linux 2>/dev/null
	cat "$0" "$HERE/dom0-init") | sha256sum | cut -c1-16)
	dom0=$VMC/dom0-$key.cpio.gz
	xen=$VMC/xen-$(cat "$VMC/pkg/xen-hypervisor-$XENVER-amd64/.version").elf
	if [ ! -s "$xen" ]; then
		zcat "$VMC/pkg/xen-hypervisor-$XENVER-amd64"/boot/xen-*.gz \
			>"$TMP/xen.elf" && mv "$TMP/xen.elf" "$xen" ||
			die_skip "cannot unpack Xen"
	fi
	if [ ! -s "$dom0" ]; then
		root=$TMP/dom0
		bin=$VMC/pkg/xen-utils-$XENVER/usr/lib/xen-$XENVER/bin
		mkdir -p "$root/bin" "$root/lib/modules" "$root/usr/lib/xen-$XENVER/bin" \
			"$root/usr/bin" "$root/etc" || exit 3
		cp "$VMC/pkg/busybox-static/bin/busybox" "$root/bin/" || exit 3
		find "$VMC/pkg/$kpkg" -name '*.ko' -exec cp {} "$root/lib/modules/" \; ||
			exit 3
		for b in xl xenstored xenconsoled xenconsole xen-init-dom0; do
			cp "$bin/$b" "$root/usr/lib/xen-$XENVER/bin/" || exit 3
			copy_with_libs "$root" "$bin/$b" || exit 3
		done
		cp "$VMC/pkg/xenstore-utils/usr/bin/xenstore" "$root/usr/bin/" &&
			copy_with_libs "$root" "$root/usr/bin/xenstore" || exit 3
		mkdir -p "$root/etc/xen" &&
			cp -R "$VMC/pkg/xen-utils-common/etc/xen/scripts" "$root/etc/xen/" &&
			copy_with_libs "$root" /bin/bash "$(command -v flock)" || exit 3
		# xl's threads unwind through libgcc_s, which it loads itself.
		copy_with_libs "$root" /lib/x86_64-linux-gnu/libgcc_s.so.1 || exit 3
		for v in read write ls rm list exists; do
			ln -s xenstore "$root/usr/bin/xenstore-$v"
		done
		cp "$HERE/dom0-init" "$root/init" && chmod 755 "$root/init" || exit 3
		echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
		(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) \
			>"$TMP/dom0.cpio.gz" && mv "$TMP/dom0.cpio.gz" "$dom0" ||
			die_skip "cannot build the dom0 initramfs"
	fi
	printf 'xen %s\ndom0_kernel %s\ndom0_initrd %s\nkernel_version %s\n' \
		"$xen" "$vmlinuz" "$dom0" "$kver"
	# For make bench (tests/bench/xen.sh), which builds its guests'
	# initramfs from it as tests/xen.bats does.
	printf 'busybox %s\n' "$VMC/pkg/busybox-static/bin/busybox"
}

run() {
	[ $# -ge 2 ] && [ $# -le 3 ] || usage
	batch=$1 log=$2 secs=${3:-300}
	[ -f "$batch/run.sh" ] || { echo "$PROG: $batch/run.sh: no such file" >&2; exit 2; }
	list=$(prepare) || exit $?
	xen=$(echo "$list" | awk '$1 == "xen" { print $2 }')
	kernel=$(echo "$list" | awk '$1 == "dom0_kernel" { print $2 }')
	dom0=$(echo "$list" | awk '$1 == "dom0_initrd" { print $2 }')
	RUN=$(mktemp -d) || exit 3
	trap 'rm -rf "$RUN"' EXIT
	mkdir -p "$RUN/root/batch" && cp -a "$batch/." "$RUN/root/batch/" || exit 3
	for f in "$RUN/root/batch/bin"/*; do
		[ -f "$f" ] && head -c 4 "$f" | grep -q ELF &&
			{ copy_with_libs "$RUN/root" "$f" || exit 3; }
	done
	# The kernel unpacks concatenated archives in turn: the batch's
	# files land over the cached dom0.
	(cd "$RUN/root" && find . | cpio -o -H newc --quiet | gzip -1) \
		>"$RUN/batch.cpio.gz" || exit 3
	cat "$dom0" "$RUN/batch.cpio.gz" >"$RUN/initrd.gz" || exit 3
	# A dom0 that is not up after UP_SECONDS is taken to have hung (seen
	# once in a dozen boots under TCG, silent after the kernel started)
	# and is booted again, once.
	: >"$RUN/qemu.err"
	boot 1 || boot 2 || {
		echo "$PROG: the VM stopped before the batch's end:" \
			$(tail -n 4 "$RUN/qemu.err") >&2
		exit 1
	}
}

# boot ATTEMPT: one boot of the VM; the serial log goes to $log. Fails if
# dom0 was not up within UP_SECONDS or the batch did not reach its end.
boot() {
	: >"$RUN/serial"
	# Every wait is bounded: QEMU is killed after SECONDS, and hard 10
	# seconds later. -cpu max crashes dom0 (SMAP); qemu64 with svm boots,
	# and with npt Xen has hardware-assisted paging (HAP), which HVM and
	# PVH guests need (Debian's Xen has no shadow paging). Xen logs what
	# a guest writes to its debug port 0xe9 (guest_loglvl=all): the PVH
	# test guest's verdict (tests/xenvm/pvh.sh).
	timeout -k 10 "$secs" "$QEMU" -accel tcg,thread=multi -cpu qemu64,+svm,+npt \
		-smp 2 -m 3072 -display none -monitor none -nodefaults \
		-chardev file,id=serial,path="$RUN/serial" -serial chardev:serial \
		-no-reboot -kernel "$xen" \
		-append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=2 guest_loglvl=all" \
		-initrd "$kernel console=hvc0 quiet panic=-1,$RUN/initrd.gz" \
		</dev/null 2>>"$RUN/qemu.err" &
	qpid=$!
	t=0
	while ! grep -q '^@@XENVM up' "$RUN/serial" && kill -0 $qpid 2>/dev/null; do
		if [ $t -ge "$UP_SECONDS" ]; then
			echo "$PROG: boot $1: dom0 not up after ${UP_SECONDS}s" >>"$RUN/qemu.err"
			kill $qpid
			break
		fi
		sleep 1
		t=$((t + 1))
	done
	wait $qpid
	tr -d '\r' <"$RUN/serial" >"$log"
	grep -q '^@@XENVM end' "$log"
}

case $1 in
prepare) [ $# -eq 1 ] || usage; prepare ;;
run) shift; run "$@" ;;
*) usage ;;
esac
