# SPDX-License-Identifier: ISC
# scenarios.sh: the batch tests/xen.bats runs in the Xen VM's dom0
# (busybox sh, as /batch/run.sh). It reports facts as "@@XENVM SCENARIO
# WHAT ..." lines; tests/xen.bats judges them. Every wait is bounded.
#
# /batch holds bin/ (pvbuild's programs, the front end pvbuild among
# them, which starts the stages beside it), img/linux (Debian's kernel, the
# dom0's own), img/grub64, img/grub32 (PV GRUB) and img/initrd.gz (a
# busybox initramfs whose /init prints "@@GUEST " and the kernel command
# line, then powers off), img/x64-xen (the self-checking x86_64 test guest
# built for Xen) with cmdline/s3-good and cmdline/s3-wrong (what it checks
# itself against: the right memory size, and one page too many).

LOGS=/var/log/xen/console
MEM=256M
XLMEM=256

mark() { echo "@@XENVM $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
# Seconds between two /proc/uptime readings, to the hundredth.
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }'; }

# build NAME IMAGE MEMORY CMDLINE [finalize options]: pvbuild's pipeline
# into a xen domain; prints finalize's output, stderr to /tmp/NAME.err.
build() {
	name=$1 image=$2 mem=$3 cmdline=$4
	shift 4
	set -o pipefail 2>/dev/null
	elfinfo "$image" | layout --memory "$mem" --initrd /batch/img/initrd.gz \
		--cmdline "$cmdline" | populate | pagetables |
		finalize --backend xen --name "$name" --prefetch "$image" \
		--initrd /batch/img/initrd.gz "$@" \
		2>/tmp/"$name".err
}

# domid NAME: the domain's id in xl list, or nothing.
domid() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $2 }'; }

# before SECONDS T0: is it less than SECONDS since uptime T0?
before() { awk -v a="$2" -v s="$1" -v b="$(up)" 'BEGIN { exit !(b - a < s) }'; }

# wait_console NAME PATTERN SECONDS: wait for PATTERN in NAME's console
# log; report the line found (or "none") and the time it took. A domain
# that does not exist is not waited for.
wait_console() {
	t0=$(up)
	while :; do
		line=$(grep -m 1 -e "$2" "$LOGS/guest-$1.log" 2>/dev/null) &&
			{ echo "$line|$(since "$t0")"; return 0; }
		[ -n "$(domid "$1")" ] && before "$3" "$t0" || break
		sleep 0.2
	done
	# The domain may have gone (xl's daemon destroys a guest that shut
	# down) between the look at its log and the look at xl list.
	line=$(grep -m 1 -e "$2" "$LOGS/guest-$1.log" 2>/dev/null) &&
		{ echo "$line|$(since "$t0")"; return 0; }
	echo "none|$(since "$t0")"
	return 1
}

# wait_state NAME LETTERS SECONDS: wait until xl list shows one of
# LETTERS (an awk bracket expression's) in the domain's state (s: shut
# down, c: crashed).
wait_state() {
	t0=$(up)
	while before "$3" "$t0"; do
		xl list "$1" 2>/dev/null | awk -v l="[$2]" 'NR == 2 && match($5, l) { f = 1 } END { exit !f }' &&
			return 0
		sleep 0.2
	done
	return 1
}

# Domains and xenstore entries besides dom0's.
leftovers() {
	echo "domains=$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0' | wc -l)" \
		"xenstore=$(xenstore-list /local/domain 2>/dev/null | grep -vx 0 | wc -l)" \
		"vm=$(xenstore-list /vm 2>/dev/null | wc -l)"
}

mark "caps $(xl info 2>/dev/null | sed -n 's/^xen_caps *: //p')"
mark "start $(leftovers)"

# 4: failures. Each must leave no domain and no xenstore node behind.
t0=$(up)
build s4-mem /batch/img/grub64 8G "" >/tmp/out
mark "s4 mem rc=$? stdout=$(wc -c </tmp/out) took=$(since "$t0")"
mark "s4 mem err $(cat /tmp/s4-mem.err)"
mark "s4 mem after $(leftovers)"
cp /batch/img/grub64 /tmp/grub64
elfinfo /tmp/grub64 >/tmp/changed.json
echo >>/tmp/grub64
layout --memory 64M /tmp/changed.json | populate | pagetables |
	finalize --backend xen --name s4-changed --prefetch /tmp/grub64 \
	>/tmp/out 2>/tmp/s4-changed.err
mark "s4 changed rc=$? stdout=$(wc -c </tmp/out)"
mark "s4 changed err $(cat /tmp/s4-changed.err)"
build s4-abi /batch/img/grub32 64M "" >/tmp/out
mark "s4 abi rc=$? stdout=$(wc -c </tmp/out)"
mark "s4 abi err $(cat /tmp/s4-abi.err)"
mark "s4 after $(leftovers)"

# 1: Debian's Linux built by pvbuild build, as a user on a dom0 types it,
# boots, prints its marker, powers off.
t0=$(up)
pvbuild build /batch/img/linux --memory $MEM --initrd /batch/img/initrd.gz \
	--cmdline "console=hvc0 quiet pvtag=s1" --backend xen --name s1-linux \
	>/tmp/out 2>/tmp/s1-linux.err
mark "s1 build rc=$? took=$(since "$t0") domid=$(domid s1-linux)"
sed 's/^/@@XENVM s1 out /' /tmp/out
mark "s1 err $(cat /tmp/s1-linux.err)"
mark "s1 nodes name=$(xenstore-read /local/domain/$(domid s1-linux)/name 2>&1)" \
	"console-type=$(xenstore-read /local/domain/$(domid s1-linux)/console/type 2>&1)"
# xenconsoled has taken the console when it writes the pty's name.
sleep 1
mark "s1 tty $(xenstore-read /local/domain/$(domid s1-linux)/console/tty 2>&1)"
mark "s1 console $(wait_console s1-linux '@@GUEST' 90)"
if wait_state s1-linux s 30; then mark "s1 state shutdown"; else mark "s1 state $(xl list s1-linux 2>&1 | tail -n 1)"; fi
xl destroy s1-linux
mark "s1 destroy rc=$?"
mark "s1 after $(leftovers)"
tail -n 5 "$LOGS/guest-s1-linux.log" 2>/dev/null | sed 's/^/@@XENVM s1 log /'

# 2: PV GRUB built by pvbuild build, the front end as a user types it
# on a dom0, shows its banner.
t0=$(up)
pvbuild build /batch/img/grub64 --memory 64M --backend xen --name s2-grub \
	>/tmp/out 2>/tmp/s2-grub.err
mark "s2 build rc=$? took=$(since "$t0") domid=$(domid s2-grub)"
mark "s2 err $(cat /tmp/s2-grub.err)"
mark "s2 console $(wait_console s2-grub 'GNU GRUB' 60)"
# xl console attaches to the console xenconsoled serves and shows what
# the guest has on it: GRUB's screen with its prompt.
sleep 6 | timeout -s KILL 12 xl console s2-grub >/tmp/s2-con 2>&1
mark "s2 xl-console prompt=$(grep -c 'grub>' /tmp/s2-con)"
mark "s2 xl-console said $(sed 's/[^ -~]//g' /tmp/s2-con | tr '\n' ' ' | tail -c 200)"
xl destroy s2-grub
mark "s2 destroy rc=$?"
mark "s2 after $(leftovers)"

# 3: the x86_64 test guest checks its boot environment from the inside
# and reports on its console ring; then a command line that gives it a
# wrong memory size, which it must catch.
for run in good wrong; do
	name=s3-$run
	t0=$(up)
	build $name /batch/img/x64-xen 64M "$(cat /batch/cmdline/s3-$run)" >/tmp/out
	mark "s3 $run build rc=$? took=$(since "$t0") domid=$(domid $name)"
	mark "s3 $run err $(cat /tmp/$name.err)"
	mark "s3 $run verdict $(wait_console $name '^\(PASS\|FAIL\)' 60)"
	wait_state $name sc 30
	mark "s3 $run state $(xl list $name 2>&1 | tail -n 1 | awk '{ print $5 }')"
	sed -n 's/^/@@XENVM s3 '$run' log /p' "$LOGS/guest-$name.log" 2>/dev/null
	xl destroy $name
	mark "s3 $run after $(leftovers)"
done

# 5, xl create -p beside pvbuild --paused, timed, is make bench's now
# (tests/bench/xenbatch.sh); 9 (machine.sh) sets xl's guest beside
# pvbuild's, and 7 refuses a name that is taken. Its elfinfo plan of
# Debian's kernel is the one 6 and 8 build from.
elfinfo /batch/img/linux >/tmp/1.json

# 7: two builds racing for one name, started together: both pass the
# early check, both build; exactly one may name its domain so.
build s7-race /batch/img/grub64 64M "" >/tmp/s7a.out 2>/dev/null &
a=$!
elfinfo /batch/img/grub64 | layout --memory 64M | populate | pagetables |
	finalize --backend xen --name s7-race >/tmp/s7b.out 2>/tmp/s7b.err &
b=$!
wait $a; ra=$?
wait $b; rb=$?
mark "s7 race rc=$(echo $ra $rb | tr ' ' '\n' | sort | tr '\n' ' ')named=$(xl list 2>/dev/null | awk '$1 == "s7-race"' | wc -l) domains=$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0' | wc -l)"
mark "s7 race err $(cat /tmp/s7-race.err /tmp/s7b.err | tr '\n' ' ')"
xl destroy s7-race
mark "s7 after $(leftovers)"
# Whatever a failure left, so that the next scenario starts clean.
for id in $(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0 { print $2 }'); do
	xl destroy "$id"
done

# 6: a build stopped by a signal once its domain exists fails and leaves
# nothing. A big initrd (written page by page) keeps the build going.
# Not zeros: finalize skips writing pages of zeros into frames that come
# zeroed, and an initrd of zeros would be built before the signal.
tr '\0' 'Z' </dev/zero | head -c 1048576 >/tmp/z.img
for i in $(seq 192); do cat /tmp/z.img; done >/tmp/big.img
rm -f /tmp/z.img
layout --memory 512M --initrd /tmp/big.img /tmp/1.json | populate | pagetables >/tmp/big.json
finalize --backend xen --name s6-stop --prefetch /batch/img/linux \
	--initrd /tmp/big.img /tmp/big.json >/tmp/out 2>/tmp/s6.err &
pid=$!
t0=$(up)
while [ -z "$(domid s6-stop)" ] && [ -z "$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0')" ] &&
	kill -0 $pid 2>/dev/null && before 60 "$t0"; do
	sleep 0.1
done
mark "s6 seen $(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0 { print "domid=" $2 }')"
kill -TERM $pid
wait $pid
mark "s6 stop rc=$? stdout=$(wc -c </tmp/out)"
mark "s6 stop err $(cat /tmp/s6.err)"
mark "s6 after $(leftovers)"

# 8: a build killed by SIGKILL once its domain exists leaves it paused,
# unnamed, and its claim in /run/pvbuild unlocked; the next build removes
# both and builds its own.
finalize --backend xen --name s8-killed --prefetch /batch/img/linux \
	--initrd /tmp/big.img /tmp/big.json >/dev/null 2>/tmp/s8.err &
pid=$!
t0=$(up)
while [ -z "$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0')" ] &&
	kill -0 $pid 2>/dev/null && before 60 "$t0"; do
	sleep 0.1
done
kill -KILL $pid
wait $pid
mark "s8 killed rc=$? domains=$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0' | wc -l) state=$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0 { print $5 }') claims=$(ls /run/pvbuild | wc -l)"
build s8-next /batch/img/grub64 64M "" >/dev/null
mark "s8 next rc=$? others=$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0 && $1 != "s8-next"' | wc -l) claims=$(ls /run/pvbuild | wc -l)"
xl destroy s8-next
mark "s8 after $(leftovers)"
for id in $(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0 { print $2 }'); do
	xl destroy "$id"
done
rm -f /tmp/big.img

# 11: the domain finalize makes early, from --memory, while the plan
# comes (pvbuild build passes it, so s1 and s2 boot in one). A plan that
# asks for another size gets its own domain, and the early one is gone;
# a stage that fails, or a signal before the plan, leaves nothing.
build s11-other /batch/img/grub64 64M "" --memory 128M --paused >/tmp/out
mark "s11 other build rc=$? domains=$(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0' | wc -l) mem=$(xl list s11-other 2>/dev/null | awk 'NR == 2 { print $3 }')"
mark "s11 other err $(cat /tmp/s11-other.err)"
xl destroy s11-other
mark "s11 other after $(leftovers)"
echo 'not a kernel' >/tmp/notakernel
elfinfo /tmp/notakernel 2>/dev/null | layout --memory 64M | populate |
	pagetables | finalize --backend xen --name s11-fail --memory 64M \
	>/tmp/out 2>/tmp/s11-fail.err
mark "s11 fail rc=$? stdout=$(wc -c </tmp/out)"
mark "s11 fail err $(cat /tmp/s11-fail.err)"
mark "s11 fail after $(leftovers)"
sleep 60 | finalize --backend xen --name s11-stop --memory 64M \
	>/tmp/out 2>/tmp/s11-stop.err &
pid=$!
t0=$(up)
while [ -z "$(domid s11-stop)" ] && kill -0 $pid 2>/dev/null && before 60 "$t0"; do
	sleep 0.1
done
mark "s11 seen $(xl list s11-stop 2>/dev/null | awk 'NR == 2 { print "mem=" $3 }')"
kill -TERM $pid
wait $pid
mark "s11 stop rc=$? stdout=$(wc -c </tmp/out)"
mark "s11 stop after $(leftovers)"
for id in $(xl list 2>/dev/null | awk 'NR > 1 && $2 != 0 { print $2 }'); do
	xl destroy "$id"
done

# 9, 10: the machine the guest sees, under pvbuild and under xl.
. ./machine.sh

# The domains' disks and NICs (issue 15), in tests/xenvm/devices.sh.
. ./devices.sh

# PVH domains (issue 16), in tests/xenvm/pvh.sh.
. ./pvh.sh
