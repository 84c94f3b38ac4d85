# SPDX-License-Identifier: ISC
# xenbatch.sh: the Xen rows of make bench, run in the Xen VM's dom0
# (busybox sh, as /batch/run.sh) by tests/bench/xen.sh.
#
# /batch holds bin/ (pvbuild's stages), img/linux (Debian's kernel, the
# dom0's own), img/initrd.gz (the guests' busybox initramfs) and runs (how
# many rounds). Each round builds the kernel at 256 MiB once by xl create
# -p and once by pvbuild's pipe with finalize --backend xen --paused from
# an empty cache and once from a warm one; every domain is destroyed
# before the next build starts, so that each finds the hypervisor as the
# first did. It prints
# "@@XENVM bench sample KEY T0 T1" (KEY's build ran from uptime T0 to T1;
# busybox's date has no sub-second clock) and "@@XENVM bench fail KEY WHY".

IMG=/batch/img/linux
INITRD=/batch/img/initrd.gz
MEM=256M
CMDLINE="console=hvc0 quiet"
COLD=/tmp/bench-cold
WARM=/tmp/bench-warm
set -o pipefail

fail() { echo "@@XENVM bench fail $*"; }

# build_pv NAME: pvbuild's build into a paused domain NAME, as a user
# starts it: pvbuild build, or the five stages' pipe as
# tests/xenvm/scenarios.sh writes it when the tree has no front end.
build_pv() {
	if [ -x /batch/bin/pvbuild ]; then
		pvbuild build $IMG --memory $MEM --initrd $INITRD \
			--cmdline "$CMDLINE" --backend xen --name "$1" --paused
		return
	fi
	elfinfo $IMG | layout --memory $MEM --initrd $INITRD --cmdline "$CMDLINE" |
		populate | pagetables |
		finalize --backend xen --name "$1" --paused --prefetch $IMG --initrd $INITRD
}

# clear: destroy every domain but dom0 and wait (10 s at most) until xl
# lists none.
clear() {
	for id in $(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0 { print $2 }'); do
		xl destroy "$id"
	done
	i=0
	while [ -n "$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0')" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# timed KEY CACHE DOMAIN CMD...: one run of CMD, which builds DOMAIN, as
# KEY's sample, with the cache CACHE (cold: a new empty directory; warm:
# the one filled before the rounds). CMD must leave DOMAIN there, paused;
# it is destroyed after the time is taken.
timed() {
	key=$1 cache=$2 dom=$3
	shift 3
	if [ "$cache" = cold ]; then
		rm -rf $COLD
		mkdir -m 700 $COLD
		export PVBUILD_CACHE=$COLD
	else
		export PVBUILD_CACHE=$WARM
	fi
	read -r t0 _ </proc/uptime
	"$@" >/dev/null 2>/tmp/bench.err
	rc=$?
	read -r t1 _ </proc/uptime
	if [ $rc != 0 ]; then
		fail "$key rc=$rc $(head -c 300 /tmp/bench.err | tr '\n' ' ')"
	elif ! xl list "$dom" 2>/dev/null |
		awk 'NR == 2 && $5 ~ /p/ { f = 1 } END { exit !f }'; then
		fail "$key: no paused domain $dom after the build"
	else
		echo "@@XENVM bench sample $key $t0 $t1"
	fi
	clear
}

cat >/tmp/bench.cfg <<EOF
name = "bench-xl"
type = "pv"
kernel = "$IMG"
ramdisk = "$INITRD"
extra = "$CMDLINE"
memory = ${MEM%M}
EOF

# One build fills the warm cache, as a host's first build of the kernel
# does.
clear
rm -rf $WARM
mkdir -m 700 $WARM
timed prime warm bench-prime build_pv bench-prime

# Each of the three builds goes first in one round of three: under TCG
# a build's time depends much on what ran just before it.
r=0
while [ $r -lt "$(cat /batch/runs)" ]; do
	echo "@@XENVM bench round $r"
	for k in 0 1 2; do
		case $(((r + k) % 3)) in
		0) timed xen-xl:whole none bench-xl xl create -p /tmp/bench.cfg ;;
		1) timed xen-cold:whole cold bench-cold build_pv bench-cold ;;
		2) timed xen-warm:whole warm bench-warm build_pv bench-warm ;;
		esac
	done
	r=$((r + 1))
done
clear
