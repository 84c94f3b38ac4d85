#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# What a packager expects of the tree (README, "Installing"): the licence
# and an SPDX line on every source file, the packager's flags honoured,
# one version, the man pages, the completion, install and uninstall.

load helper

# The files that must carry an SPDX line: every source file the project
# wrote, whatever its language. JSON cannot hold a comment, and the fuzzing
# corpus and the crashes are data.
spdx_files() {
	git -C "$TOP" ls-files | grep -E \
		'\.(c|h|S|ld|sh|bash|bats|py)$|(^|/)Makefile$|^\.ci/run$|^tests/xenvm/dom0-init$'
}

@test "licence: LICENSE is ISC, and every source file says so in its first lines" {
	git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 ||
		skip "not a git checkout: no list of the tree's files"
	grep -q '^Permission to use, copy, modify, and distribute this software' \
		"$TOP/LICENSE"
	local n=0 missing=
	while read -r f; do
		n=$((n + 1))
		head -n 2 "$TOP/$f" | grep -q 'SPDX-License-Identifier: ISC' ||
			missing="$missing $f"
	done < <(spdx_files)
	[ "$n" -gt 100 ]
	[ -z "$missing" ] || { echo "no SPDX line:$missing" >&2; false; }
}
