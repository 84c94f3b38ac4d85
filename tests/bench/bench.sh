#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# bench.sh: the issue's table of targets, every row measured in this one
# run, each figure the median of RUNS runs (at least 3) with its ratio to
# the row it is judged against:
#
#   floor     decompressing Debian's Linux payload with the library
#             elfinfo uses, in one process (tests/bench/floor.c)
#   sim Linux the whole pipeline (pvbuild build ... --out DIR, or the
#             tree's pipeline.sh where it has no pvbuild) at 1 GiB and
#             64 GiB, with an empty cache (cold) and with one that a build
#             of the same kernel filled (warm): against the floor
#   PV GRUB   the whole pipeline at 256 MiB, this tree against the base
#             tree (BENCH_BASE, default ea6a8a6: main before the cache),
#             built from git into build/bench-base
#   xen       with XENVM=1: xl create -p against the pipeline with finalize
#             --backend xen --paused, cold and warm, in one boot of the Xen
#             VM (tests/bench/xen.sh)
#
# The sim rows also show each stage alone, from the plans, under the same
# cache. The rows are measured in rounds, each round running every build
# once, so that a load that comes and goes on the machine falls on all of
# them alike. The cache is always a directory of this run ($PVBUILD_CACHE
# for the commands timed), never the user's.
#
# BENCH_ROWS limits the rows measured, beside the floor, to those it
# names (1G-cold 1G-warm 64G-cold 64G-warm grub; default all of them),
# for a quick look at one target on a busy machine.
#
#   tests/bench/bench.sh [RUNS]   (make bench [BENCH_RUNS=3] [XENVM=1]
#                                  [BENCH_ROWS='1G-cold ...'])
set -o errexit -o nounset -o pipefail
export LC_ALL=C

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$top/bin
runs=${1:-3}
base_rev=${BENCH_BASE:-ea6a8a6}
# Each round runs the PV GRUB builds this many times: a build takes tens
# of milliseconds, so more samples cost little and steady its median.
tiny_reps=6

die() {
	echo "bench: $*" >&2
	exit 1
}

[[ $runs =~ ^[0-9]+$ ]] && [ "$runs" -ge 3 ] && [ "$runs" -le 99 ] ||
	{ echo "bench: RUNS must be 3 to 99 (each figure is a median)" >&2; exit 2; }
all_rows="1G-cold 1G-warm 64G-cold 64G-warm grub"
rows=${BENCH_ROWS:-$all_rows}
for r in $rows; do
	[[ " $all_rows " == *" $r "* ]] ||
		{ echo "bench: BENCH_ROWS: unknown row '$r' (rows: $all_rows)" >&2; exit 2; }
done
# wanted ROW: is ROW among those to measure?
wanted() {
	[[ " $rows " == *" $1 "* ]]
}

# The images are fetched before PVBUILD_CACHE means anything here: the
# download cache is the test infrastructure's own business.
if ! list=$("$top/tests/realimages.sh" print); then
	echo "bench: Debian's kernel cannot be had; nothing measured" >&2
	exit 77
fi
kernel=$(awk '$1 == "linux" { print $2 }' <<<"$list")
grub=$(awk '$1 == "grub64" { print $2 }' <<<"$list")
initrd=$top/build/guests/initrd.img.gz
cmdline=console=hvc0

work=$(mktemp -d "${TMPDIR:-/tmp}/pvbuild-bench.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
cold=$work/cache-cold
warm=$work/cache-warm
mkdir -m 700 "$warm"

declare -A samples skipped
for r in $all_rows; do
	wanted "$r" && continue
	if [ "$r" = grub ]; then
		skipped[grub-base]="skipped: not in BENCH_ROWS"
		skipped[grub-cold]="skipped: not in BENCH_ROWS"
		skipped[grub-warm]="skipped: not in BENCH_ROWS"
	else
		skipped[$r]="skipped: not in BENCH_ROWS"
	fi
done

# timed KEY CACHE CMD...: one run of CMD, its wall time in microseconds
# added to KEY's samples. CACHE is cold (a new empty cache directory),
# warm (the one the priming builds filled) or none. The domain directory
# of the last run is removed first, outside the time.
timed() {
	local key=$1 cache=$2 s e dir=$warm
	shift 2
	rm -rf -- "$work/dom"
	if [ "$cache" = cold ]; then
		rm -rf -- "$cold"
		mkdir -m 700 "$cold"
		dir=$cold
	fi
	s=${EPOCHREALTIME/[.,]/}
	PVBUILD_CACHE=$dir "$@" >/dev/null || die "$key: '$*' failed"
	e=${EPOCHREALTIME/[.,]/}
	samples[$key]+="$((e - s)) "
}

# median KEY: the median of KEY's samples in seconds, or "-".
median() {
	[ -n "${samples[$1]:-}" ] || { echo -; return; }
	tr ' ' '\n' <<<"${samples[$1]}" | grep . | sort -n | awk '{ a[NR] = $1 }
		END { printf "%.4f", (a[int((NR + 1) / 2)] + a[int(NR / 2) + 1]) / 2e6 }'
}

# plans BIN DIR MEMORY IMAGE [LAYOUT OPTION...]: the four plans of IMAGE
# at MEMORY, made by BIN's stages into DIR, for the stages to be timed
# alone.
plans() {
	local b=$1 d=$2 mem=$3 image=$4
	shift 4
	mkdir -p "$d"
	PVBUILD_CACHE=$warm "$b/elfinfo" "$image" >"$d/1.json"
	PVBUILD_CACHE=$warm "$b/layout" --memory "$mem" "$@" "$d/1.json" >"$d/2.json"
	"$b/populate" "$d/2.json" >"$d/3.json"
	"$b/pagetables" "$d/3.json" >"$d/4.json"
}

# elfinfo takes no memory size: the 64 GiB rows show the 1 GiB rows'
# elfinfo, which is the very same command, rather than time it again.
declare -A same_as=([64G-cold:elfinfo]=1G-cold:elfinfo [64G-warm:elfinfo]=1G-warm:elfinfo)

# build ROW CACHE BIN PLANS IMAGE MEMORY [LAYOUT OPTION...]: each stage
# alone from PLANS, then the whole pipeline, once, as ROW's samples.
build() {
	local row=$1 cache=$2 b=$3 d=$4 image=$5 mem=$6 whole
	shift 6
	# The whole build as its user starts it: pvbuild build in a tree
	# that has the front end, else the tree's pipeline.sh (the base's).
	if [ -x "$b/pvbuild" ]; then
		whole=("$b/pvbuild" build)
	else
		whole=("$(dirname "$b")/pipeline.sh")
	fi
	[ -n "${same_as[$row:elfinfo]:-}" ] ||
		timed "$row:elfinfo" "$cache" "$b/elfinfo" "$image"
	timed "$row:layout" "$cache" "$b/layout" --memory "$mem" "$@" "$d/1.json"
	timed "$row:populate" "$cache" "$b/populate" "$d/2.json"
	timed "$row:pagetables" "$cache" "$b/pagetables" "$d/3.json"
	timed "$row:finalize" "$cache" "$b/finalize" --out "$work/dom" "$d/4.json"
	timed "$row:whole" "$cache" "${whole[@]}" "$image" --memory "$mem" "$@" \
		--out "$work/dom"
}

# build_base: the base tree's stages, from git into build/bench-base
# (kept between runs, rebuilt when BENCH_BASE names another commit), or
# the reason there are none in skipped[grub-base].
base=$top/build/bench-base
build_base() {
	local sha
	command -v git >/dev/null || { skipped[grub-base]="skipped: git not found"; return; }
	sha=$(git -C "$top" rev-parse -q --verify "$base_rev^{commit}" 2>/dev/null) ||
		{ skipped[grub-base]="skipped: no commit $base_rev in $top's git history"; return; }
	if [ "$(cat "$base/.bench-commit" 2>/dev/null)" != "$sha" ]; then
		rm -rf -- "$base"
		mkdir -p "$base"
		git -C "$top" archive --format=tar "$sha" | tar -x -C "$base" ||
			{ skipped[grub-base]="skipped: git archive $base_rev failed"; return; }
		echo "$sha" >"$base/.bench-commit"
	fi
	# Its own make, not this one's: the jobserver and the command line
	# of `make bench` are not for another tree's Makefile.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$base" -j"$(nproc)" \
		bin/elfinfo bin/layout bin/populate bin/pagetables bin/finalize \
		>"$work/base.log" 2>&1 ||
		skipped[grub-base]="skipped: building $base_rev failed: $(tail -n 1 "$work/base.log")"
}

# row ID LABEL REF TARGET: one line of the table: the medians of each
# stage and of the whole build, its ratio to row REF's whole build and,
# when the issue sets one, whether the ratio is within TARGET.
row() {
	local id=$1 label=$2 ref=$3 target=$4 c whole rw ratio=- verdict=
	local -a col=()
	if [ -n "${skipped[$id]:-}" ]; then
		printf '%-44s %s\n' "$label" "${skipped[$id]}"
		return
	fi
	for c in elfinfo layout populate pagetables finalize; do
		col+=("$(median "${same_as[$id:$c]:-$id:$c}")")
	done
	whole=$(median "$id:whole")
	rw=$(median "$ref:whole")
	if [ "$whole" != - ] && [ "$rw" != - ]; then
		ratio=$(awk -v a="$whole" -v b="$rw" -v r="${ref%%-*}" \
			'BEGIN { printf "%.2fx %s", a / b, r == "grub" ? "base" : r == "xen" ? "xl" : r }')
	fi
	if [ -n "$target" ] && [ "$ratio" != - ]; then
		verdict=$(awk -v r="${ratio%%x*}" -v t="$target" \
			'BEGIN { printf "<=%.2fx %s", t, r <= t ? "met" : "NOT met" }')
	fi
	printf '%-44s %9s %9s %9s %10s %9s %9s  %-11s %s\n' "$label" "${col[@]}" \
		"$whole" "$ratio" "$verdict"
}

if wanted grub; then
	build_base
fi
plans "$bin" "$work/1G" 1G "$kernel" --initrd "$initrd" --cmdline "$cmdline"
plans "$bin" "$work/64G" 64G "$kernel" --initrd "$initrd" --cmdline "$cmdline"
plans "$bin" "$work/grub" 256M "$grub"
[ -n "${skipped[grub-base]:-}" ] || plans "$base/bin" "$work/grub-base" 256M "$grub"
# The warm cache is filled by one build of each image, as a host that
# built the kernel once before has it.
rm -rf -- "$work/dom"
PVBUILD_CACHE=$warm "$top/pipeline.sh" "$kernel" --memory 1G --initrd "$initrd" \
	--cmdline "$cmdline" --out "$work/dom" >/dev/null
rm -rf -- "$work/dom"
PVBUILD_CACHE=$warm "$top/pipeline.sh" "$grub" --memory 256M --out "$work/dom" >/dev/null
# A tree that keeps no cache (main before issue #12) leaves it empty: its
# warm rows are cold ones, and the table says so.
cache_note=
[ -n "$(ls -A "$warm")" ] ||
	cache_note="note: the builds left the warm cache empty: warm rows are cold ones"$'\n'

for ((r = 1; r <= runs; r++)); do
	echo "bench: round $r of $runs" >&2
	# The floor is timed inside its process: the decompression alone.
	read -r comp t elf_bytes < <("$top/build/bench-floor" "$kernel" 1)
	samples[floor:whole]+="$(awk -v t="$t" 'BEGIN { printf "%d", t * 1e6 }') "
	for mem in 1G 64G; do
		for cache in cold warm; do
			wanted "$mem-$cache" || continue
			build "$mem-$cache" "$cache" "$bin" "$work/$mem" "$kernel" "$mem" \
				--initrd "$initrd" --cmdline "$cmdline"
		done
	done
	# Each of the three PV GRUB builds goes first as often as the others,
	# lest whatever the one before leaves (in the caches of the CPU, the
	# kernel, the disk) fall on one of them only.
	wanted grub || continue
	for ((i = 0; i < tiny_reps; i++)); do
		for ((j = 0; j < 3; j++)); do
			case $(((i + j) % 3)) in
			0)	[ -n "${skipped[grub-base]:-}" ] ||
					build grub-base none "$base/bin" "$work/grub-base" "$grub" 256M ;;
			1)	build grub-cold cold "$bin" "$work/grub" "$grub" 256M ;;
			2)	build grub-warm warm "$bin" "$work/grub" "$grub" 256M ;;
			esac
		done
	done
done

printf 'kernel: %s (%s payload, %s bytes of ELF)\n' "$kernel" "$comp" "$elf_bytes"
printf 'PV GRUB: %s\nbase: %s, built in %s\n%s' "$grub" "$base_rev" "$base" "$cache_note"
printf 'measured %s on %s cores (load %s); seconds, medians of %d runs (PV GRUB %d)\n\n' \
	"$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
	"$runs" $((runs * tiny_reps))
printf '%-44s %9s %9s %9s %10s %9s %9s  %-11s %s\n' build elfinfo layout populate \
	pagetables finalize whole ratio target
row floor "floor: $comp decompression, one process" floor ""
row 1G-cold "sim Linux 1 GiB, empty cache" floor 1.10
row 1G-warm "sim Linux 1 GiB, warm cache" floor 0.25
row 64G-cold "sim Linux 64 GiB, empty cache" floor 1.5
row 64G-warm "sim Linux 64 GiB, warm cache" floor 1.0
row grub-base "sim PV GRUB 256 MiB, $base_rev" grub-base ""
row grub-cold "sim PV GRUB 256 MiB, empty cache" grub-base 0.5
row grub-warm "sim PV GRUB 256 MiB, warm cache" grub-base 0.5

# The Xen rows need the VM, minutes of TCG on both cores: only when asked.
status=0
if [ "${XENVM:-0}" = 1 ]; then
	echo "bench: the Xen rows: booting the Xen VM (minutes)" >&2
	if xen=$("$top/tests/bench/xen.sh" "$runs" 2>"$work/xen.err"); then
		while read -r key us; do
			samples[$key]+="$us "
		done <<<"$xen"
	else
		status=$?
		why=$(grep . "$work/xen.err" | tail -n 1)
		if [ "$status" = 77 ]; then
			status=0 why="skipped: $why"
		else
			why="FAILED: $why"
		fi
		skipped[xen-xl]=$why skipped[xen-cold]=$why skipped[xen-warm]=$why
	fi
else
	why="skipped: not asked for (make bench XENVM=1 boots the Xen VM: minutes)"
	skipped[xen-xl]=$why skipped[xen-cold]=$why skipped[xen-warm]=$why
fi
row xen-xl "xen Linux 256 MiB, xl create -p" xen-xl ""
row xen-cold "xen Linux 256 MiB, pvbuild, empty cache" xen-xl 0.95
row xen-warm "xen Linux 256 MiB, pvbuild, warm cache" xen-xl 0.5
printf '\nratio: the whole build against the floor, the base tree or xl, all measured in this run.\n'
exit "$status"
