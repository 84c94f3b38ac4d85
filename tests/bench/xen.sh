#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# xen.sh RUNS: the Xen rows of make bench. Boots the Xen VM of the tests
# once (tests/xenvm/xenvm.sh run) with the batch tests/bench/xenbatch.sh:
# Debian's Linux with a busybox initramfs at 256 MiB, built RUNS times by
# xl create -p and by pvbuild --paused from an empty and from a warm
# cache. Prints a "KEY MICROSECONDS" line a sample (KEY: xen-xl:whole,
# xen-cold:whole, xen-warm:whole) for bench.sh to take the medians of. The VM's serial log is kept in
# build/bench/xen-serial.log.
#
# Exit status: 0 measured; 1 the VM or a build failed; 77 the VM cannot be
# had. The reason is on stderr.
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=$1
log=$top/build/bench/xen-serial.log
mkdir -p "$(dirname "$log")"

images=$("$top/tests/xenvm/xenvm.sh" prepare) || exit $?
kernel=$(awk '$1 == "dom0_kernel" { print $2 }' <<<"$images")
busybox=$(awk '$1 == "busybox" { print $2 }' <<<"$images")

b=$(mktemp -d "${TMPDIR:-/tmp}/pvbuild-xenbench.XXXXXX")
trap 'rm -rf -- "$b"' EXIT
mkdir -p "$b/bin" "$b/img" "$b/guest/bin"
cp "$top"/bin/{elfinfo,layout,populate,pagetables,finalize} "$b/bin/"
[ ! -x "$top/bin/pvbuild" ] || cp "$top/bin/pvbuild" "$b/bin/"
cp "$kernel" "$b/img/linux"
# The guests' initramfs is the size of the one tests/xen.bats gives its
# guests, busybox and an /init; the bench's domains stay paused, so the
# /init never runs.
cp "$busybox" "$b/guest/bin/"
printf '#!/bin/busybox sh\n/bin/busybox poweroff -f\n' >"$b/guest/init"
chmod 755 "$b/guest/init"
(cd "$b/guest" && find . | cpio -o -H newc --quiet | gzip -9) >"$b/img/initrd.gz"
rm -rf -- "$b/guest"
echo "$runs" >"$b/runs"
cp "$top/tests/bench/xenbatch.sh" "$b/run.sh"

# The boot takes one to two minutes of TCG, and a round of three builds
# one to two more; on a loaded machine (seen at a load of 5 on 2 cores)
# both take three times as long.
"$top/tests/xenvm/xenvm.sh" run "$b" "$log" $((400 + 360 * runs)) || {
	rc=$?
	[ "$rc" = 77 ] || echo "bench: the Xen VM failed; its log is $log" >&2
	exit "$rc"
}
fails=$(sed -n 's/^@@XENVM bench fail //p' "$log")
if [ -n "$fails" ]; then
	echo "bench: on Xen: $fails" | head -n 3 >&2
	exit 1
fi
awk '$1 == "@@XENVM" && $2 == "bench" && $3 == "sample" && $4 != "prime" {
	printf "%s %d\n", $4, ($6 - $5) * 1e6 + 0.5 }' "$log"
