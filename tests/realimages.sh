#!/bin/sh
# SPDX-License-Identifier: ISC
# realimages.sh print
#
# Fetches real PV images from Debian 12 into a cache and prints one
# "NAME PATH" line for each:
#
#   linux   Debian 12's current kernel (linux-image-6.1.0-*-amd64, the one the
#           linux-image-amd64 metapackage depends on): a bzImage whose payload
#           is an xz'd ELF64 built with CONFIG_XEN_PV=y
#   grub64  grub-x86_64-xen.bin from grub-xen-host (ELF64 PV GRUB)
#   grub32  grub-i386-xen.bin from grub-xen-host (ELF32 PAE PV GRUB)
#
# The packages are fetched with `apt-get download` and the images unpacked
# from them (dpkg-deb --fsys-tarfile) into the cache; they are never installed and /boot is never
# touched. The cache is build/cache, or $PVBUILD_DOWNLOADS. The first call
# fetches, later calls print from the cache. Two calls may run at once: a
# lock serialises them where flock(1) exists, and every package is unpacked
# into a temporary directory that is renamed into place only when complete.
#
# With $PVBUILD_OFFLINE set (make test), nothing is fetched: the images
# are printed from the cache when it has them all, and otherwise the call
# exits 77 without running apt-get.
#
# Exit status: 0 printed, 2 usage, 77 an image cannot be had (no network,
# package not found, apt missing): the reason is on stderr, so that a test
# can skip saying why.

set -u

PROG=realimages
EXIT_SKIP=77

die_skip() {
	echo "$PROG: $*" >&2
	exit $EXIT_SKIP
}

usage() {
	echo "usage: $PROG print" >&2
	exit 2
}

[ $# -eq 1 ] && [ "$1" = print ] || usage

TOP=$(cd "$(dirname "$0")/.." && pwd) || exit 3
CACHE=${PVBUILD_DOWNLOADS:-$TOP/build/cache}
mkdir -p "$CACHE" 2>/dev/null || die_skip "cannot create the cache $CACHE"
CACHE=$(cd "$CACHE" && pwd) || die_skip "cannot enter the cache $CACHE"
LIST=$CACHE/images.list

# The fast path: every image named in the list is still there. The list
# pins the kernel: remove the cache to fetch a newer one.
list_complete() {
	[ -s "$LIST" ] || return 1
	n=0
	while read -r name path; do
		[ -n "$name" ] && [ -f "$path" ] || return 1
		n=$((n + 1))
	done <"$LIST"
	[ "$n" -eq 3 ]
}

if list_complete; then
	cat "$LIST"
	exit 0
fi

[ -z "${PVBUILD_OFFLINE:-}" ] ||
	die_skip "offline (PVBUILD_OFFLINE): the images are not in $CACHE (make check fetches them)"

for tool in apt-get apt-cache dpkg-deb; do
	command -v $tool >/dev/null 2>&1 ||
		die_skip "$tool not found: not a Debian system?"
done

if command -v flock >/dev/null 2>&1; then
	exec 9>"$CACHE/.lock" || die_skip "cannot open $CACHE/.lock"
	flock 9
	# Another call may have filled the cache while this one waited.
	if list_complete; then
		cat "$LIST"
		exit 0
	fi
fi

TMP=$(mktemp -d "$CACHE/.tmp.XXXXXX") || die_skip "cannot create a directory in $CACHE"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
LOG=$TMP/apt.log
UPDATED=0

# The last line apt wrote, as the reason a package could not be had.
apt_reason() {
	grep -v '^$' "$LOG" 2>/dev/null | tail -n 1
}

# Refreshes the package lists once per call, which needs root.
apt_update() {
	[ $UPDATED = 0 ] || return 1
	UPDATED=1
	[ "$(id -u)" = 0 ] || return 1
	apt-get update -qq >"$LOG" 2>&1
}

# The kernel package the linux-image-amd64 metapackage depends on.
linux_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

# fetch PACKAGE REGEX: unpacks the files of PACKAGE whose paths in the
# package match the extended regex REGEX into $CACHE/PACKAGE (once), with
# their paths in $CACHE/PACKAGE/.files and the package's name and version in
# $CACHE/PACKAGE/.package. Only the images are unpacked: all of the kernel
# package, modules included, would take 400 MB.
fetch() {
	pkg=$1
	dest=$CACHE/$pkg
	[ -s "$dest/.files" ] && return 0
	work=$TMP/$pkg
	mkdir -p "$work/root" || return 1
	if ! (cd "$work" && apt-get download -q "$pkg" >"$LOG" 2>&1); then
		apt_update && (cd "$work" && apt-get download -q "$pkg" >"$LOG" 2>&1) ||
			die_skip "cannot download $pkg: $(apt_reason)"
	fi
	deb=
	for f in "$work"/*.deb; do
		[ -f "$f" ] && deb=$f && break
	done
	[ -n "$deb" ] || die_skip "apt-get download $pkg left no .deb"
	dpkg-deb -c "$deb" | awk '$1 ~ /^-/ { print $NF }' | grep -E "$2" \
		>"$work/members"
	[ -s "$work/members" ] || die_skip "$pkg has no file matching $2"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/root" -T "$work/members" ||
		die_skip "cannot unpack $deb"
	dpkg-deb -f "$deb" Package Version >"$work/root/.package" || return 1
	sed 's|^\./|/|' "$work/members" >"$work/root/.files" || return 1
	# The rename is the commit point: a directory named after the package
	# is always complete. A concurrent call may have committed it first.
	mv -T "$work/root" "$dest" 2>/dev/null || [ -s "$dest/.files" ]
}

# member PACKAGE REGEX: the unpacked path of PACKAGE's first file whose
# path in the package matches REGEX.
member() {
	m=$(grep -E "$2" "$CACHE/$1/.files" | head -n 1)
	[ -n "$m" ] && [ -f "$CACHE/$1$m" ] ||
		die_skip "$1 has no file matching $2"
	echo "$CACHE/$1$m"
}

LINUX_RE='^\./boot/vmlinuz-'
GRUB64_RE='/grub-x86_64-xen\.bin$'
GRUB32_RE='/grub-i386-xen\.bin$'

linux=$(linux_package)
if [ -z "$linux" ]; then
	apt_update
	linux=$(linux_package)
	[ -n "$linux" ] ||
		die_skip "cannot find linux-image-amd64's kernel package: $(apt_reason)"
fi

fetch "$linux" "$LINUX_RE" || die_skip "cannot fetch $linux"
fetch grub-xen-host "$GRUB64_RE|$GRUB32_RE" || die_skip "cannot fetch grub-xen-host"

vmlinuz=$(member "$linux" '^/boot/vmlinuz-') || exit $EXIT_SKIP
grub64=$(member grub-xen-host "$GRUB64_RE") || exit $EXIT_SKIP
grub32=$(member grub-xen-host "$GRUB32_RE") || exit $EXIT_SKIP
printf 'linux %s\ngrub64 %s\ngrub32 %s\n' "$vmlinuz" "$grub64" "$grub32" \
	>"$TMP/images.list" || die_skip "cannot write $TMP/images.list"
mv -f "$TMP/images.list" "$LIST" || die_skip "cannot write $LIST"
cat "$LIST"
