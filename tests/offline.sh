#!/bin/sh
# SPDX-License-Identifier: ISC
# offline.sh: the suite as make check runs it, for make test, which never
# installs nor fetches anything (a packager's build, a machine offline).
#
# The Debian packages of $DEB_PACKAGES (the Makefile's list) that are not
# installed are named; a suite that cannot run at all without one of them
# (NEEDS below) is left out, saying so, and the others skip the tests that
# need what is missing, each saying why. PVBUILD_OFFLINE=1 keeps
# tests/realimages.sh and tests/xenvm/xenvm.sh from running apt-get: what
# an earlier make check left in build/cache is used, and without it the
# real-image and Xen VM tests skip.
#
# Exit status: bats's.

set -u
cd "$(dirname "$0")/.." || exit 2

# SUITE:PACKAGE, for each suite that cannot start without PACKAGE.
NEEDS="schemas:python3-jsonschema xen:qemu-system-x86 xen:cpio"

missing=" "
if command -v dpkg-query >/dev/null 2>&1; then
	for p in ${DEB_PACKAGES:-}; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'ok installed' || missing="$missing$p "
	done
	[ "$missing" = " " ] ||
		echo "make test: not installed (the tests that need them skip):$missing"
else
	echo "make test: no dpkg-query: the packages installed cannot be told"
fi

suites=
for f in tests/*.bats; do
	s=$(basename "$f" .bats)
	out=
	for n in $NEEDS; do
		[ "${n%%:*}" = "$s" ] || continue
		case $missing in
		*" ${n#*:} "*) out="${n#*:}" ;;
		esac
	done
	if [ -n "$out" ]; then
		echo "make test: leaving out $f: $out is not installed"
	else
		suites="$suites $f"
	fi
done

command -v bats >/dev/null 2>&1 || {
	echo "make test: bats is not installed (Debian bats, bats-support, bats-assert)" >&2
	exit 1
}
export PVBUILD_OFFLINE=1
# shellcheck disable=SC2086
exec bats --timing --print-output-on-failure $suites
