# SPDX-License-Identifier: ISC
# Shared setup for the bats suites: paths, bats-support and bats-assert.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BIN=$TOP/bin
GUESTS=$TOP/build/guests
BAD=$TOP/build/bad
PY=/usr/bin/python3

# The cache of decompressed images: the suite's own, one per file, never
# the home directory's (README, "The cache"). A test that is about the
# cache sets its own.
export PVBUILD_CACHE=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/pvbuild-cache
unset PVBUILD_CACHE_SIZE

# elfinfo | layout | populate | pagetables of a guest into $BATS_TEST_TMPDIR,
# one plan file per stage: plan_to STAGE IMAGE [layout args...]
plan_to() {
	local stage=$1 image=$2
	shift 2
	local d=$BATS_TEST_TMPDIR
	"$BIN/elfinfo" "$image" >"$d/1-elfinfo.json" || return
	[ "$stage" = elfinfo ] && return
	"$BIN/layout" "$@" "$d/1-elfinfo.json" >"$d/2-layout.json" || return
	[ "$stage" = layout ] && return
	"$BIN/populate" "$d/2-layout.json" >"$d/3-populate.json" || return
	[ "$stage" = populate ] && return
	"$BIN/pagetables" "$d/3-populate.json" >"$d/4-pagetables.json"
}

# Edit a plan with a Python expression on `p`: edit_plan IN OUT 'p["x"]=1'
edit_plan() {
	"$PY" -c 'import json,sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"), indent=2, sort_keys=True)' "$1" "$2" "$3"
}

# Debian 12's bats-assert (2.0) has no assert_stderr; this is the subset
# the suites use: assert_stderr [--partial] TEXT, after run --separate-stderr.
if ! declare -F assert_stderr >/dev/null; then
	assert_stderr() {
		local partial=0
		if [ "$1" = --partial ]; then
			partial=1
			shift
		fi
		if { [ "$partial" = 1 ] && [[ "$stderr" == *"$1"* ]]; } ||
			{ [ "$partial" = 0 ] && [ "$stderr" = "$1" ]; }; then
			return 0
		fi
		printf -- '-- stderr %s --\nexpected: %s\nactual  : %s\n--\n' \
			"$([ "$partial" = 1 ] && echo 'does not contain' || echo differs)" \
			"$1" "$stderr" >&2
		return 1
	}
fi
