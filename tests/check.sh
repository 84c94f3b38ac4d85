#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# check.sh: the suite make check (and make check SAN=1) runs. The Xen VM
# (tests/xen.bats, one boot of Xen under QEMU's TCG) runs beside the rest
# of the suite rather than after it: its minutes are mostly the VM's own
# waiting and one emulated CPU, and the rest of the suite mostly keeps one
# core busy, so together they take about as long as the longer of the two.
# Its report follows the rest's; the suite fails if either part does.
set -o nounset
cd "$(dirname "$0")/.."

mkdir -p build
log=build/xen-suite.log
bats --timing --print-output-on-failure tests/xen.bats >"$log" 2>&1 &
xen=$!
# Stopped, the suite stops the VM's bats too, which stops its QEMU.
trap 'kill "$xen" 2>/dev/null; exit 130' INT TERM

rest=()
for f in tests/*.bats; do
	[ "$f" = tests/xen.bats ] || rest+=("$f")
done
bats --timing --print-output-on-failure "${rest[@]}"
rc=$?

wait "$xen"
xrc=$?
echo "# tests/xen.bats, run beside the rest ($log):"
cat "$log"
[ "$rc" = 0 ] && [ "$xrc" = 0 ]
