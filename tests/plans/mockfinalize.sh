#!/bin/sh
# SPDX-License-Identifier: ISC
# mockfinalize.sh: a wrong finalize, for tests/plans.bats to show that
# run.py catches each kind of finding. It takes finalize's arguments
# (--backend sim --out DIR PLAN) and misbehaves as MOCK_MODE says:
#
#   ignore     builds MOCK_PLAN instead of PLAN and exits 0, as a finalize
#              that checked nothing and built the wrong domain would
#   twolines   as finalize, but a refusal says two lines
#   leftover   as finalize, but a refusal leaves DIR behind
#   exit3      refuses every plan with exit 3
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
out='' prev=''
for arg; do
	[ "$prev" = --out ] && out=$arg
	prev=$arg
done

case ${MOCK_MODE:-} in
ignore) exec "$TOP/bin/finalize" --backend sim --out "$out" "$MOCK_PLAN" ;;
exit3) echo "finalize: backend failure" >&2; exit 3 ;;
esac
"$TOP/bin/finalize" "$@"
rc=$?
if [ $rc -eq 1 ]; then
	case $MOCK_MODE in
	twolines) echo "finalize: and a second line" >&2 ;;
	leftover) mkdir -p "$out" ;;
	esac
fi
exit $rc
