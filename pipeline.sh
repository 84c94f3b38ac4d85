#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# pipeline.sh: run the five stages as one pipe, keeping the plans if asked.
#
#   pipeline.sh IMAGE --memory SIZE [--initrd FILE] [--cmdline STRING]
#               --out DIR [--keep PLANDIR] [--no-cache] [--scatter N] [--sync]
set -o errexit -o nounset -o pipefail

prog=pipeline.sh
synopsis="pipeline.sh IMAGE --memory SIZE [--initrd FILE] [--cmdline STRING] --out DIR [--keep PLANDIR] [--no-cache] [--scatter N] [--sync]"
# bin/ beside this script, found without $(cd "$(dirname ...)" && pwd):
# its subshell and dirname are two forks and an exec, a good part of what
# this script itself costs a small guest's build.
here=${BASH_SOURCE[0]}
case $here in
*/*) here=${here%/*}/ ;;
*) here= ;;
esac
[[ $here == /* ]] || here=$PWD/$here
bin=${PVBUILD_BIN:-${here}bin}

# A name from the command line as it is, or in bash's $'...' form when it
# holds a byte that is not printable ASCII: a message is one printable line
# whatever it quotes (README, "Exit codes").
shown() {
	local LC_ALL=C
	if [[ $1 == *[![:print:]]* ]]; then
		printf '%q' "$1"
	else
		printf '%s' "$1"
	fi
}

usage() {
	printf '%s: %s\nusage: %s\n' "$prog" "$1" "$synopsis" >&2
	exit 2
}

image= memory= initrd= cmdline= out= keep= scatter=1 have_cmdline=0
sync=() no_cache=0
while [ $# -gt 0 ]; do
	case $1 in
	--help)
		printf 'usage: %s\n\nBuilds IMAGE into a sim domain in DIR through elfinfo | layout | populate |\npagetables | finalize. --keep saves the plan after each stage in PLANDIR\nas 1-elfinfo.json ... 4-pagetables.json. --sync has finalize put the domain\non disk before it appears (finalize --help). --no-cache keeps no\ndecompressed kernel for later builds (README, The cache).\n' "$synopsis"
		exit 0 ;;
	--version) "$bin/elfinfo" --version | sed 's/^elfinfo/pipeline.sh/'; exit 0 ;;
	--sync) sync=(--sync); shift ;;
	--no-cache) no_cache=1; shift ;;
	--memory|--initrd|--cmdline|--out|--keep|--scatter|--seed)
		[ $# -ge 2 ] || usage "$1 needs a value"
		case $1 in
		--memory) memory=$2 ;;
		--initrd) initrd=$2 ;;
		--cmdline) cmdline=$2; have_cmdline=1 ;;
		--out) out=$2 ;;
		--keep) keep=$2 ;;
		# --seed: what --scatter was called before.
		--scatter|--seed) scatter=$2 ;;
		esac
		shift 2 ;;
	-*) usage "unknown option '$(shown "$1")'" ;;
	*)
		[ -z "$image" ] || usage "too many arguments"
		image=$1; shift ;;
	esac
done
[ -n "$image" ] || usage "no IMAGE given"
[ -n "$memory" ] || usage "--memory is required"
[ -n "$out" ] || usage "--out DIR is required"

# --no-cache: the stages still share the one decompression of this build,
# through a cache of its own that goes when the build ends, so that the
# kernel is decompressed once and nothing is kept.
if [ "$no_cache" = 1 ]; then
	PVBUILD_CACHE=$(mktemp -d "${TMPDIR:-/tmp}/pvbuild-cache.XXXXXX")
	export PVBUILD_CACHE
	trap 'rm -rf -- "$PVBUILD_CACHE"' EXIT
	unset PVBUILD_CACHE_SIZE
fi

layout_args=(--memory "$memory")
[ -z "$initrd" ] || layout_args+=(--initrd "$initrd")
[ "$have_cmdline" = 0 ] || layout_args+=(--cmdline "$cmdline")
# The files are named to finalize too: it reads them with the caller's
# rights only when the command line names them (README, "Trust").
finalize_args=(--backend sim --out "$out" --scatter "$scatter" "${sync[@]}" --prefetch "$image")
[ -z "$initrd" ] || finalize_args+=(--initrd "$initrd")

if [ -z "$keep" ]; then
	"$bin/elfinfo" "$image" | "$bin/layout" "${layout_args[@]}" |
		"$bin/populate" | "$bin/pagetables" |
		"$bin/finalize" "${finalize_args[@]}"
	exit
fi

# With --keep, each plan goes to a file; PLANDIR is made fresh and removed
# again if a stage fails, so a failed run leaves nothing behind.
[ ! -e "$keep" ] || usage "--keep: $(shown "$keep") already exists"
mkdir -p "$keep"
status=0
"$bin/elfinfo" "$image" >"$keep/1-elfinfo.json" &&
	"$bin/layout" "${layout_args[@]}" "$keep/1-elfinfo.json" >"$keep/2-layout.json" &&
	"$bin/populate" "$keep/2-layout.json" >"$keep/3-populate.json" &&
	"$bin/pagetables" "$keep/3-populate.json" >"$keep/4-pagetables.json" &&
	"$bin/finalize" "${finalize_args[@]}" "$keep/4-pagetables.json" ||
	status=$?
if [ "$status" -ne 0 ]; then
	rm -rf -- "$keep"
	exit "$status"
fi
