#!/bin/sh
# SPDX-License-Identifier: ISC
# bases.sh OUTDIR: the valid plans tests/plans/mutate.py starts from, made
# by the pipeline's first four stages from the test guests (make guests).
#
# Every ABI at two sizes, with and without an initrd: xen-1.3 (multiseg,
# gzip'd, with a gzip'd initrd, so the plan names compressed sources),
# xen-3.0-x86_32p (pae-basic) and xen-3.0-x86_64 both ways the guest can
# take its p2m list and initrd (x64-basic: INIT_P2M, mapped apart;
# x64-nop2m: MOD_START_PFN, the initrd by pfn). The sizes are small so that
# the checker stays quick: 24 MiB, and 128 MiB where the p2m list and the
# page tables span more pages. OUTDIR/NAME.json, NAME as
# GUEST-SIZE[-initrd].
#
# And PVH (elfinfo --pvh), named pvh-GUEST-SIZE[-initrd]-NCPU: the small
# kernel tests/mkpvh.py writes (kept in OUTDIR/pvh-img, since the plans
# name it) and the pvh-check guest, with and without an initrd, one vCPU
# and several, and one of 4160 MiB whose RAM goes on above 4 GiB (the
# sim's machine.mem is sparse, so its size costs nothing).
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PVBUILD_BIN:-$TOP/bin}
G=$TOP/build/guests
CMDLINE="console=hvc0 root=/dev/ram0 ro"

[ $# -eq 1 ] || { echo "usage: bases.sh OUTDIR" >&2; exit 2; }
out=$1
mkdir -p "$out"

# plan NAME IMAGE SIZE [INITRD], with $ELFINFO and $LAYOUT's options.
ELFINFO='' LAYOUT=''
plan() {
	name=$1 image=$2 size=$3
	"$BIN/elfinfo" $ELFINFO "$image" |
		"$BIN/layout" --memory "$size" ${4:+--initrd "$4"} \
			--cmdline "$CMDLINE" $LAYOUT |
		"$BIN/populate" | "$BIN/pagetables" >"$out/$name.json.tmp"
	mv "$out/$name.json.tmp" "$out/$name.json"
}

for guest in multiseg.elf.gz:initrd.img.gz pae-basic.elf:initrd.img \
	x64-basic.elf:initrd.img x64-nop2m.elf:initrd.img.gz; do
	image=$G/${guest%%:*} initrd=$G/${guest#*:}
	base=${guest%%.*}
	for size in 24M 128M; do
		plan "$base-$size" "$image" "$size"
		plan "$base-$size-initrd" "$image" "$size" "$initrd"
	done
done

/usr/bin/python3 "$TOP/tests/mkpvh.py" "$out/pvh-img"
ELFINFO=--pvh
for spec in good:24M::1 good:24M:initrd.img:2 check:24M:initrd.img.gz:1 \
	check:64M::3 good:4160M:initrd.img:2; do
	guest=${spec%%:*} rest=${spec#*:}
	size=${rest%%:*} rest=${rest#*:}
	initrd=${rest%%:*} vcpus=${rest#*:}
	case $guest in
	good) image=$out/pvh-img/good.elf ;;
	check) image=$G/pvh-check.elf ;;
	esac
	LAYOUT="--vcpus $vcpus"
	plan "pvh-$guest-$size${initrd:+-initrd}-${vcpus}cpu" "$image" "$size" \
		${initrd:+"$G/$initrd"}
done
