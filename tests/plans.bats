#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The untrusted-plan search: valid plans of every ABI, PVH's among them
# (tests/plans/bases.sh), edited semantically (tests/plans/mutate.py, a
# fixed seed) and fed to finalize, each judged by an oracle that shares no
# code with the builder (tests/plans/run.py): finalize refuses it cleanly
# (exit 1, one line, no output, nothing left), or builds a domain
# tests/checker/checkdom.py passes; the PVH batch goes to the other
# readers of a plan too, which refuse as cleanly or accept. Any other
# result must have its class in tests/plans/explained.txt with the
# reason. boot's reader of a PVH domain.json is searched the same way
# (tests/plans/bootdoms.py). Then each runner must be able to fail:
# against a wrong finalize (tests/plans/mockfinalize.sh), reader or boot
# it reports each kind of finding. `make plantest` runs longer batches.
bats_require_minimum_version 1.5.0
load helper

PLANS=$TOP/tests/plans

# The bases, in a directory every user can reach: the PVH plans name
# kernels mkpvh.py writes beside them, and finalize, run as root, reads a
# file only the plan names only when every user may read it (README,
# "Trust"); $BATS_FILE_TMPDIR's parents are 0700.
setup_file() {
	SCRATCH=$(mktemp -d /tmp/pvbuild-plans.XXXXXX)
	chmod 755 "$SCRATCH"
	export SCRATCH BASES=$SCRATCH/bases
	"$PLANS/bases.sh" "$BASES"
}

teardown_file() {
	if [ -n "${SCRATCH:-}" ]; then
		rm -rf -- "$SCRATCH"
	fi
}

# runner CORPUS [run.py options...]: run.py on CORPUS, its report kept.
runner() {
	local corpus=$1
	shift
	run "$PY" "$PLANS/run.py" --jobs 2 --timeout 60 "$@" "$corpus"
	printf '# %s\n' "${lines[@]}" >&3
}

# The PV bases, by name: PV_BASES... as mutate.py options.
PV_BASES=(--from 'multiseg-*' --from 'pae-*' --from 'x64-*')

@test "200 mutants of PV plans (seed ci): every finding is explained" {
	"$PY" "$PLANS/mutate.py" --seed ci --count 200 "${PV_BASES[@]}" \
		"$BASES" "$BATS_TEST_TMPDIR/corpus"
	runner "$BATS_TEST_TMPDIR/corpus" --explained "$PLANS/explained.txt" \
		--check --out "$BATS_TEST_TMPDIR/results"
	assert_line 'unexplained findings: 0'
	[ "$status" -eq 0 ]
}

@test "100 PVH mutants (seed ci-pvh), PV plans' members and ABI switches among them, to the first reader of each edit: every finding is explained" {
	"$PY" "$PLANS/mutate.py" --seed ci-pvh --count 100 --from 'pvh-*' \
		"$BASES" "$BATS_TEST_TMPDIR/corpus"
	# Each kind of PVH edit is in the batch.
	run -0 cut -d'"' -f8 "$BATS_TEST_TMPDIR/corpus/manifest.jsonl"
	local kind
	for kind in limit count swap array bit retarget hvslot cmdline abi; do
		assert_line --regexp "^$kind:"
	done
	runner "$BATS_TEST_TMPDIR/corpus" --explained "$PLANS/explained.txt" \
		--check --readers=first --out "$BATS_TEST_TMPDIR/results"
	assert_line 'unexplained findings: 0'
	assert_line --regexp '^105 plans$'
	[ "$status" -eq 0 ]
}

# boot's reader of domain.json, untrusted as a plan is: bootdoms.py on the
# PVH bases' domains, through a boot that may be a wrong one in TOP:
# bootdoms SEED COUNT [TOP]
bootdoms() {
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed (Debian qemu-system-x86)"
	run "$PY" "$PLANS/bootdoms.py" --seed "$1" --count "$2" --timeout 1 \
		${3:+--top "$3"} "$BASES" "$BATS_TEST_TMPDIR/boot"
	printf '# %s\n' "${lines[@]}" >&3
}

@test "12 PVH domains with an edited domain.json (seed ci): boot refuses each in one line or runs it" {
	bootdoms ci 12
	assert_success
	assert_line 'findings: 0'
	# Both happen in the batch.
	assert_line --regexp '^  refused +[1-9]'
	assert_line --regexp '^  ran +[1-9]'
}

@test "the boot search catches a boot that refuses in two lines" {
	local top=$BATS_TEST_TMPDIR/top
	mkdir -p "$top/bin"
	ln -s "$BIN/finalize" "$top/bin/finalize"
	printf '#!/bin/sh\n"%s" "$@"; rc=$?; [ $rc -ne 1 ] || echo "boot: and more" >&2; exit $rc\n' \
		"$BIN/boot" >"$top/bin/boot"
	chmod +x "$top/bin/boot"
	bootdoms ci 3 "$top"
	assert_failure 1
	assert_line --regexp '^      -> refused with stdout 0B, 2 lines on stderr$'
}

@test "every base plan builds a domain the checker passes" {
	"$PY" "$PLANS/mutate.py" --count 0 "$BASES" \
		"$BATS_TEST_TMPDIR/corpus"
	runner "$BATS_TEST_TMPDIR/corpus" --check
	assert_success
	assert_line --regexp '^  built +21$'
	assert_line 'unexplained findings: 0'
}

@test "a mutant remade from its seed and index is the very file" {
	"$PY" "$PLANS/mutate.py" --seed again --count 20 \
		"$BASES" "$BATS_TEST_TMPDIR/corpus"
	run -0 "$PY" "$PLANS/mutate.py" --seed again --index 13 \
		"$BASES" "$BATS_TEST_TMPDIR/13.json"
	cmp "$BATS_TEST_TMPDIR/13.json" "$BATS_TEST_TMPDIR/corpus/00013.json"
	# It says what the manifest says of it.
	assert_output "$("$PY" -c 'import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["id"] == 13:
        print("%s: %s" % (m["base"], m["mutation"]))' \
		"$BATS_TEST_TMPDIR/corpus/manifest.jsonl")"
}

# A corpus of N mutants of one base plan alone (x64-basic-24M unless
# BASE), and run.py on it against mockfinalize.sh in MODE, which builds
# OTHER (multiseg-24M) in ignore mode: mock MODE N [BASE [OTHER]]
mock() {
	mkdir -p "$BATS_TEST_TMPDIR/one"
	cp "$BASES/${3:-x64-basic-24M}.json" "$BATS_TEST_TMPDIR/one/"
	"$PY" "$PLANS/mutate.py" --seed mock --count "$2" "$BATS_TEST_TMPDIR/one" \
		"$BATS_TEST_TMPDIR/corpus"
	MOCK_MODE=$1 MOCK_PLAN=$BASES/${4:-multiseg-24M}.json \
		runner "$BATS_TEST_TMPDIR/corpus" --finalize "$PLANS/mockfinalize.sh" \
		--explained "$PLANS/explained.txt" --check
	assert_failure 1
}

@test "the runner catches a finalize that builds a domain it was not asked for" {
	mock ignore 3
	# The base itself: built "fine", but not the domain its plan asks for.
	assert_line --regexp '^  \[checker\] seed mock index base, x64-basic-24M: none$'
	assert_line --regexp '^  checker +4$'
}

@test "the runner catches a finalize that builds another PVH domain than the plan's" {
	# The same kernel and size, but no initrd and one vCPU where the plan
	# asks for an initrd and two.
	mock ignore 2 pvh-good-24M-initrd-2cpu pvh-good-24M-1cpu
	assert_line --regexp '^  \[checker\] seed mock index base, pvh-good-24M-initrd-2cpu: none$'
	assert_line --regexp '^  checker +3$'
}

@test "the runner catches a reader that refuses in two lines (--readers)" {
	# A tree whose populate adds a second line to every refusal.
	local top=$BATS_TEST_TMPDIR/top prog
	mkdir -p "$top/bin" "$BATS_TEST_TMPDIR/one"
	ln -s "$TOP/tests" "$top/tests"
	for prog in layout pagetables finalize show; do
		ln -s "$BIN/$prog" "$top/bin/$prog"
	done
	printf '#!/bin/sh\n"%s" "$@" || { rc=$?; echo "populate: and more" >&2; exit $rc; }\n' \
		"$BIN/populate" >"$top/bin/populate"
	chmod +x "$top/bin/populate"
	cp "$BASES/pvh-good-24M-initrd-2cpu.json" "$BATS_TEST_TMPDIR/one/"
	"$PY" "$PLANS/mutate.py" --seed mock --count 4 "$BATS_TEST_TMPDIR/one" \
		"$BATS_TEST_TMPDIR/corpus"
	runner "$BATS_TEST_TMPDIR/corpus" --readers --top "$top" \
		--explained "$PLANS/explained.txt" --check
	assert_failure 1
	assert_line --regexp '^      -> populate: 2 lines on stderr: '
}

@test "the runner catches a refusal of two lines" {
	mock twolines 10
	assert_line --regexp '^      -> 2 lines on stderr$'
}

@test "the runner catches a refusal that leaves the domain directory" {
	mock leftover 10
	assert_line --regexp '^      -> left dom$'
}

@test "the runner catches another exit status" {
	mock exit3 2
	assert_line --regexp '^  exit +3$'
	assert_line '      -> exit 3: finalize: backend failure'
}
