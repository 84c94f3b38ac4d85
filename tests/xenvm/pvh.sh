# SPDX-License-Identifier: ISC
# pvh.sh: the PVH part of the batch (tests/xenvm/scenarios.sh sources it
# last, in dom0 as /batch/pvh.sh): PVH domains on Xen, which needs HAP
# (xenvm.sh gives QEMU's CPU svm and npt). tests/xen.bats judges the
# "@@XENVM p..." lines.
#
# p1: Debian's Linux built by pvbuild as PVH (2 vCPUs, 512 MiB, the
#     batch's initramfs, console=hvc0) and, side by side, by xl create
#     with type = "pvh": both guests' markers and machines (nproc,
#     MemTotal), both build times (information).
# p2: the self-checking PVH guest (pvh-check) built by pvbuild reports its
#     verdict on Xen's debug port 0xe9, which Xen logs as "(dN) ...";
#     its command line asks it to check the eight HVM special pages too
#     (populated, zero but the identity page table). Then, beside it, the
#     same guest and command line under xl create type = "pvh" (p2 xl):
#     what a guest can see of them is the same under both builders (the
#     HVM parameters themselves only the toolstack can read); its other
#     checks meet the README's known differences there.
# p3: a memory size Xen cannot give fails half-way, leaving nothing.

# verdict DOMID T0: pvh-check's verdict (PASS or FAIL NAME), which Xen
# logs from its debug port as "(dN) ...", waited for up to 60 s from T0;
# "none" if none came.
verdict() {
	local v
	while [ -n "$1" ] && before 60 "$2"; do
		v=$(xl dmesg | sed -n "s/^(XEN) (d$1) \(PASS\|FAIL.*\)\$/\1/p; s/^(d$1) \(PASS\|FAIL.*\)\$/\1/p" | head -n 1)
		[ -n "$v" ] && break
		sleep 0.5
	done
	echo "${v:-none}"
}

P1_MEM=512
P1_VCPUS=2
P1_CMDLINE="console=hvc0 quiet pvtag=p1 pvshow"

# p3 first: a failure half-way leaves no domain and no xenstore node.
t0=$(up)
pvbuild build --pvh /batch/img/linux --memory 8G --backend xen \
	--name p3-mem >/tmp/out 2>/tmp/p3.err
mark "p3 mem rc=$? stdout=$(wc -c </tmp/out) took=$(since "$t0")"
mark "p3 mem err $(cat /tmp/p3.err)"
mark "p3 after $(leftovers)"

# p1, pvbuild's: finalize --wait destroys the guest once it powers off;
# the domain's line is printed before it waits, so the build time is
# until that line.
t0=$(up)
pvbuild build --pvh /batch/img/linux --memory ${P1_MEM}M --vcpus $P1_VCPUS \
	--initrd /batch/img/initrd.gz --cmdline "$P1_CMDLINE" --backend xen \
	--name p1-pvh --wait >/tmp/p1.out 2>/tmp/p1.err &
pid=$!
while ! grep -q '^domain: ' /tmp/p1.out 2>/dev/null &&
	kill -0 $pid 2>/dev/null && before 120 "$t0"; do
	sleep 0.1
done
mark "p1 pv build=$(since "$t0") domid=$(domid p1-pvh)"

# p1, xl's, beside it: the same kernel, initrd, command line, memory and
# vCPUs as type = "pvh"; xl's daemon destroys it when it powers off.
if [ ! -e /batch/san ]; then
cat >/tmp/p1.cfg <<EOC
name = "p1-xl"
type = "pvh"
kernel = "/batch/img/linux"
ramdisk = "/batch/img/initrd.gz"
extra = "$P1_CMDLINE"
memory = $P1_MEM
vcpus = $P1_VCPUS
EOC
t1=$(up)
xl create /tmp/p1.cfg >/dev/null 2>/tmp/p1-xl.err
mark "p1 xl rc=$? build=$(since "$t1")"
mark "p1 xl err $(tr '\n' ' ' </tmp/p1-xl.err | tail -c 300)"
fi

mark "p1 pv done $(wait_console p1-pvh '^@@GUEST done' 240)"
sed -n 's/^@@GUEST \(console=.*\)/@@XENVM p1 pv cmdline \1/p' \
	"$LOGS/guest-p1-pvh.log" | head -n 1
guest_facts p1-pvh | sed 's/^/@@XENVM p1 guest-pv /'
if [ ! -e /batch/san ]; then
	mark "p1 xl done $(wait_console p1-xl '^@@GUEST done' 240)"
	guest_facts p1-xl | sed 's/^/@@XENVM p1 guest-xl /'
	wait_gone p1-xl 60
	xl destroy p1-xl 2>/dev/null
fi
t1=$(up)
while kill -0 $pid 2>/dev/null && before 60 "$t1"; do
	sleep 0.2
done
kill $pid 2>/dev/null
wait $pid
mark "p1 pv wait rc=$? listed=$(xl list p1-pvh >/dev/null 2>&1 && echo yes || echo no)"
sed 's/^/@@XENVM p1 pv out /' /tmp/p1.out
mark "p1 pv err $(tr '\n' ' ' </tmp/p1.err)"
[ -n "$(domid p1-pvh)" ] && tail -n 20 "$LOGS/guest-p1-pvh.log" | sed 's/^/@@XENVM p1 pv log /'
xl destroy p1-pvh 2>/dev/null
mark "p1 after $(leftovers)"

# p2: pvh-check halts once it has given its verdict; it is destroyed then.
t0=$(up)
pvbuild build --pvh /batch/img/pvh-check --memory 64M --vcpus 2 \
	--initrd /batch/img/initrd.gz --cmdline "$(cat /batch/cmdline/p2)" \
	--backend xen --name p2-check >/tmp/out 2>/tmp/p2.err
mark "p2 build rc=$? took=$(since "$t0") domid=$(domid p2-check)"
mark "p2 err $(cat /tmp/p2.err)"
id=$(domid p2-check)
mark "p2 verdict $(verdict "$id" "$t0")|$(since "$t0")"
xl dmesg | grep "(d$id) " | sed 's/^/@@XENVM p2 log /'
xl destroy p2-check 2>/dev/null
mark "p2 after $(leftovers)"

# p2 xl: the same guest as xl builds it. pvh-check halts with interrupts
# off, which Xen takes for a poweroff; the domain is kept (preserve) for
# its id, which names its lines in xl dmesg, and destroyed after.
if [ ! -e /batch/san ]; then
cat >/tmp/p2.cfg <<EOC
name = "p2-xl"
type = "pvh"
kernel = "/batch/img/pvh-check"
ramdisk = "/batch/img/initrd.gz"
extra = "$(cat /batch/cmdline/p2)"
memory = 64
vcpus = 2
on_poweroff = "preserve"
EOC
t0=$(up)
xl create /tmp/p2.cfg >/dev/null 2>/tmp/p2-xl.err
mark "p2 xl build rc=$? took=$(since "$t0") domid=$(domid p2-xl)"
mark "p2 xl err $(tr '\n' ' ' </tmp/p2-xl.err | tail -c 300)"
id=$(domid p2-xl)
mark "p2 xl verdict $(verdict "$id" "$t0")|$(since "$t0")"
xl dmesg | grep "(d$id) " | sed 's/^/@@XENVM p2 xl log /'
xl destroy p2-xl 2>/dev/null
mark "p2 xl after $(leftovers)"
fi
