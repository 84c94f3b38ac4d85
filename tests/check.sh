#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# check.sh: the suite make check (and make check SAN=1) runs.
#
# make check: the Xen VM (tests/xen.bats, one boot of Xen under QEMU's
# TCG) runs beside the rest of the suite rather than after it: its minutes
# are mostly the VM's own waiting and one emulated CPU, and the rest of the
# suite mostly keeps one core busy, so together they take about as long as
# the longer of the two. Its report follows the rest's; the suite fails if
# either part does.
#
# make check SAN=1 (PVBUILD_SAN=1), the sanitizer pass, to stay within
# CI's thirty minutes: the suite files run two at a time (bats --jobs,
# GNU parallel; a file's own tests in order), and it leaves out the VM and
# schemas.bats, which make check runs whole with the same sources (the
# schemas judge the plans' shape, which the sanitizers do not change; the
# stages run on the same inputs in their own suites).
set -o nounset
cd "$(dirname "$0")/.."
mkdir -p build

if [ "${PVBUILD_SAN:-0}" = 1 ]; then
	files=()
	for f in tests/*.bats; do
		case $f in tests/xen.bats | tests/schemas.bats) ;; *) files+=("$f") ;; esac
	done
	echo "# the sanitizer pass leaves out tests/xen.bats and tests/schemas.bats (make check runs them)"
	jobs=(--jobs 2 --no-parallelize-within-files)
	command -v parallel >/dev/null || jobs=()
	exec bats --timing --print-output-on-failure "${jobs[@]}" "${files[@]}"
fi

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
