# SPDX-License-Identifier: ISC
# Golden plans for layout.bats, populate.bats and pagetables.bats.
#
# Each stage is run alone on a committed input and its whole output plan is
# compared, by `diff -u`, with a committed golden. The inputs form a chain:
#
#   NAME.elfinfo.json    elfinfo plan of build/guests/NAME.elf  (input)
#   CASE.layout.json     layout on it with the CASE's arguments
#   CASE.populate.json   populate on CASE.layout.json
#   CASE.pagetables.json pagetables on CASE.populate.json
#
# so a stage's golden is the next stage's input, and the goldens do not
# depend on the compiler that built the test guests (only elfinfo reads the
# kernel image; layout reads the initrd, which tests/guests/mkinitrd.py makes
# byte for byte the same everywhere).
#
# Plans hold absolute paths; the repository may be cloned anywhere, so a
# golden holds @TOP@ where the plan had the top of the repository.
#
# To regenerate after an intended change, run the suites in pipeline order
# (each one reads the goldens the one before wrote), then read the diff:
#
#   UPDATE_GOLDEN=1 bats tests/layout.bats tests/populate.bats tests/pagetables.bats
#   git diff tests/golden/

GOLDEN=$TOP/tests/golden
# The stages write paths with symbolic links resolved (realpath), so the
# top of the repository is matched as the kernel names it.
GOLDEN_TOP=$(cd "$TOP" && pwd -P)

# $GOLDEN_TOP as a sed pattern: its regex metacharacters (and the '#'
# delimiter) escaped, so a checkout under /home/a.b/ is matched literally.
golden_top_re() {
	printf '%s' "$GOLDEN_TOP" | sed 's/[][\\.*^$#]/\\&/g'
}

# golden_input NAME OUT: the committed plan NAME with @TOP@ made the top.
golden_input() {
	local top_esc
	top_esc=$(printf '%s' "$GOLDEN_TOP" | sed 's/[\\&#]/\\&/g')
	[ -f "$GOLDEN/$1" ] || {
		echo "missing golden input $GOLDEN/$1 (UPDATE_GOLDEN=1 in pipeline order makes it)" >&2
		return 1
	}
	sed "s#@TOP@#$top_esc#g" "$GOLDEN/$1" >"$2"
}

# golden_check NAME FILE: FILE, with the top made @TOP@, must equal the
# committed golden NAME; with UPDATE_GOLDEN=1 it becomes that golden.
golden_check() {
	local name=$1 file=$2 got=$BATS_TEST_TMPDIR/$1.normalised
	sed "s#$(golden_top_re)#@TOP@#g" "$file" >"$got"
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$got" "$GOLDEN/$name"
		return 0
	fi
	[ -f "$GOLDEN/$name" ] || {
		echo "missing golden $GOLDEN/$name (UPDATE_GOLDEN=1 makes it)" >&2
		return 1
	}
	diff -u "$GOLDEN/$name" "$got"
}
