#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# pipeline.sh: the source tree's way to build a domain, kept for the
# command lines and scripts that use it. It is bin/pvbuild build, which
# runs the five stages as one pipe (pvbuild build --help), and says so in
# its --help and --version; every other message is pvbuild's.
#
#   pipeline.sh IMAGE --memory SIZE [--initrd FILE] [--cmdline STRING]
#               --out DIR [--keep PLANDIR] [--no-cache] [--scatter N] [--sync]
set -o errexit -o nounset

synopsis="pipeline.sh IMAGE --memory SIZE [--initrd FILE] [--cmdline STRING] --out DIR [--keep PLANDIR] [--no-cache] [--scatter N] [--sync]"
# bin/ beside this script, found without $(cd "$(dirname ...)" && pwd):
# its subshell and dirname are two forks and an exec, a good part of what
# a script costs a small guest's build.
here=${BASH_SOURCE[0]}
case $here in
*/*) here=${here%/*}/ ;;
*) here= ;;
esac
[[ $here == /* ]] || here=$PWD/$here
bin=${PVBUILD_BIN:-${here}bin}

# --help and --version are this script's own; an option's value is not
# taken for one.
i=1
while [ "$i" -le $# ]; do
	case ${!i} in
	--help)
		printf 'usage: %s\n\nBuilds IMAGE into a sim domain in DIR through elfinfo | layout | populate |\npagetables | finalize: it runs bin/pvbuild build, which also reaches\nXen (bin/pvbuild build --help). --keep saves the plan after each stage in\nPLANDIR as 1-elfinfo.json ... 4-pagetables.json. --sync has finalize put\nthe domain on disk before it appears (finalize --help). --no-cache keeps no\ndecompressed kernel for later builds (README, The cache). The request options\nof bin/pvbuild build (--config XLCFG, --vcpus, --maxmem, --name, --disk,\n--nic, --dry-run) are taken too.\n' "$synopsis"
		exit 0 ;;
	--version)
		version=$("$bin/pvbuild" --version)
		printf 'pipeline.sh %s\n' "${version#pvbuild }"
		exit 0 ;;
	--memory|--initrd|--cmdline|--out|--keep|--scatter|--seed|--backend|--name|\
	--config|--maxmem|--vcpus|--disk|--nic)
		i=$((i + 2)) ;;
	--) break ;;
	*) i=$((i + 1)) ;;
	esac
done
exec "$bin/pvbuild" build "$@"
