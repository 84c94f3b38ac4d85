#!/usr/bin/env bash
# bench.sh: wall time of each stage and of the whole pipeline on Debian's
# Linux kernel, beside the floor: the time to only decompress the same
# payload with the same library (tests/bench/floor.c). Best of RUNS runs
# each, all measured in this one run, so the ratios compare like with like.
#
#   tests/bench/bench.sh [RUNS]        (make bench)
set -o errexit -o nounset -o pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$top/bin
runs=${1:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/pvbuild-bench.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

if ! list=$("$top/tests/realimages.sh" print); then
	echo "bench: Debian's kernel cannot be had; nothing measured" >&2
	exit 77
fi
kernel=$(awk '$1 == "linux" { print $2 }' <<<"$list")
initrd=$top/build/guests/initrd.img.gz

# best CMD...: the best wall time of $runs runs, in seconds.
best() {
	local i s e t b=
	for ((i = 0; i < runs; i++)); do
		rm -rf "$work/dom"
		s=$(date +%s%N)
		"$@" >/dev/null
		e=$(date +%s%N)
		t=$(( (e - s) / 1000 ))
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	awk -v u="$b" 'BEGIN { printf "%.3f", u / 1e6 }'
}

floor=$("$top/build/bench-floor" "$kernel" "$runs")
read -r comp floor_s elf_bytes <<<"$floor"
printf 'kernel: %s\n' "$kernel"
printf 'payload: %s, %s bytes of ELF; floor (decompress only, best of %d): %s s\n\n' \
	"$comp" "$elf_bytes" "$runs" "$floor_s"
printf '%-8s %-11s %9s %9s %9s %9s %9s %9s %8s %10s\n' memory stage elfinfo layout \
	populate pagetables finalize pipeline ratio plan_bytes

for mem in 1G 64G; do
	"$bin/elfinfo" "$kernel" >"$work/1.json"
	"$bin/layout" --memory "$mem" --initrd "$initrd" --cmdline "console=hvc0" \
		"$work/1.json" >"$work/2.json"
	"$bin/populate" "$work/2.json" >"$work/3.json"
	"$bin/pagetables" "$work/3.json" >"$work/4.json"
	t1=$(best "$bin/elfinfo" "$kernel")
	t2=$(best "$bin/layout" --memory "$mem" --initrd "$initrd" \
		--cmdline "console=hvc0" "$work/1.json")
	t3=$(best "$bin/populate" "$work/2.json")
	t4=$(best "$bin/pagetables" "$work/3.json")
	t5=$(best "$bin/finalize" --out "$work/dom" "$work/4.json")
	tp=$(best "$top/pipeline.sh" "$kernel" --memory "$mem" --initrd "$initrd" \
		--cmdline "console=hvc0" --out "$work/dom")
	ratio=$(awk -v p="$tp" -v f="$floor_s" 'BEGIN { printf "%.2fx", p / f }')
	printf '%-8s %-11s %9s %9s %9s %9s %9s %9s %8s %10s\n' "$mem" seconds \
		"$t1" "$t2" "$t3" "$t4" "$t5" "$tp" "$ratio" \
		"$(stat -c %s "$work/4.json")"
done
printf '\nratio: the whole pipeline against the floor, measured in this run.\n'
