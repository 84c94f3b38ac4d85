# SPDX-License-Identifier: ISC
# machine.sh: the part of the batch (tests/xenvm/scenarios.sh sources it,
# in dom0 as /batch/machine.sh) that sets the machine a guest sees under
# pvbuild beside the one it sees under `xl create`: the same kernel,
# initrd, command line, memory, maxmem and vCPUs both ways; the guest's
# /init prints, for "pvshow" on its command line, its vCPUs (nproc), its
# MemTotal and the memory map Linux logged ("Xen: [mem ...]"), then powers
# off. tests/xen.bats compares what both guests and xenstore said.
#
# 9 s9: the two builds, one after the other, each guest left to power off:
#   xl's daemon destroys its own (on_poweroff=destroy); pvbuild's is
#   built with finalize --wait, which destroys it.
# 10 s10: more vCPUs than the host has is refused, exit 1, nothing left.

S9_MEM=256
S9_MAXMEM=512
S9_VCPUS=2
S9_CMDLINE="console=hvc0 quiet pvtag=s9 pvshow"

# xs_dump DOMID: the domain's xenstore nodes as "path=value" lines, the
# domain's path cut to "D", sorted.
xs_dump() {
	xenstore-ls -f "/local/domain/$1" 2>/dev/null |
		sed -n "s|^/local/domain/$1\\(/[^ ]*\\) = \"\\(.*\\)\"\$|D\\1=\\2|p" |
		sort
}

# guest_facts NAME: the "@@GUEST" lines of NAME's console after the
# command line's.
guest_facts() {
	sed -n 's/^@@GUEST \(nproc\|MemTotal\|map\|done\)/\1/p' \
		"$LOGS/guest-$1.log" 2>/dev/null | tr -s ' '
}

# wait_gone NAME SECONDS: until xl list no longer shows NAME.
wait_gone() {
	t0=$(up)
	while [ -n "$(domid "$1")" ] && before "$2" "$t0"; do
		sleep 0.2
	done
	[ -z "$(domid "$1")" ]
}

# xl's half only compares: the sanitizer pass (a file san in the
# batch) leaves it out.
if [ ! -e /batch/san ]; then
# 9, under xl: xl create returns once the domain runs; its daemon stays
# to destroy it when it powers off.
cat >/tmp/s9.cfg <<EOF
name = "s9-xl"
type = "pv"
kernel = "/batch/img/linux"
ramdisk = "/batch/img/initrd.gz"
extra = "$S9_CMDLINE"
memory = $S9_MEM
maxmem = $S9_MAXMEM
vcpus = $S9_VCPUS
EOF
t0=$(up)
xl -vvv create /tmp/s9.cfg >/dev/null 2>/tmp/s9-xl.err
mark "s9 xl rc=$? build=$(since "$t0")"
mark "s9 xl err $(grep -v '^xc: \|^libxl: \|^domainbuilder: ' /tmp/s9-xl.err | tr '\n' ' ' | tail -c 300)"
# libxenguest's layout of the same guest, to set beside pvbuild's.
grep -E 'domainbuilder: detail: (xc_dom_alloc_segment|alloc_pgtables|count_pgtables|start_info|  [a-z])' \
	/tmp/s9-xl.err | sed 's/^/@@XENVM s9 xl-layout /'

id=$(domid s9-xl)
mark "s9 xl done $(wait_console s9-xl '^@@GUEST done' 240)"
xs_dump "$id" | sed 's/^/@@XENVM s9 xs-xl /'
guest_facts s9-xl | sed 's/^/@@XENVM s9 guest-xl /'
sed -n 's/^@@GUEST diag /@@XENVM s9 diag-xl /p' "$LOGS/guest-s9-xl.log"
wait_gone s9-xl 60
mark "s9 xl gone $(xl list s9-xl >/dev/null 2>&1 && echo no || echo yes)"
xl destroy s9-xl 2>/dev/null
fi

# 9, under pvbuild: the stages with the same request; finalize --wait
# returns once the guest has powered off and it has destroyed it.
t0=$(up)
elfinfo /batch/img/linux | layout --memory ${S9_MEM}M --maxmem ${S9_MAXMEM}M \
	--vcpus $S9_VCPUS --initrd /batch/img/initrd.gz --cmdline "$S9_CMDLINE" |
	populate | pagetables |
	finalize --backend xen --name s9-pv --prefetch /batch/img/linux \
	--initrd /batch/img/initrd.gz --wait >/tmp/s9-pv.out 2>/tmp/s9-pv.err &
pid=$!
# The domain's line is flushed before finalize waits: the build is done.
while ! grep -q '^domain: ' /tmp/s9-pv.out 2>/dev/null &&
	kill -0 $pid 2>/dev/null && before 120 "$t0"; do
	sleep 0.1
done
mark "s9 pv build=$(since "$t0")"
id=$(domid s9-pv)
mark "s9 pv domid=$id"
mark "s9 pv done $(wait_console s9-pv '^@@GUEST done' 240)"
xs_dump "$id" | sed 's/^/@@XENVM s9 xs-pv /'
guest_facts s9-pv | sed 's/^/@@XENVM s9 guest-pv /'
sed -n 's/^@@GUEST diag /@@XENVM s9 diag-pv /p' "$LOGS/guest-s9-pv.log"
t1=$(up)
while kill -0 $pid 2>/dev/null && before 90 "$t1"; do
	sleep 0.2
done
mark "s9 pv state $(xl list s9-pv 2>&1 | tail -n 1)"
tail -n 3 "$LOGS/guest-s9-pv.log" | sed 's/^/@@XENVM s9 pv log /'
kill $pid 2>/dev/null
wait $pid
mark "s9 pv wait rc=$? after=$(since "$t1") listed=$(xl list s9-pv >/dev/null 2>&1 && echo yes || echo no)"
sed 's/^/@@XENVM s9 pv out /' /tmp/s9-pv.out
mark "s9 pv err $(tr '\n' ' ' </tmp/s9-pv.err)"
xl destroy s9-pv 2>/dev/null
mark "s9 after $(leftovers)"

# 10: more vCPUs than the host's CPUs (the VM has 2).
elfinfo /batch/img/linux | layout --memory 128M --vcpus 3 | populate |
	pagetables | finalize --backend xen --name s10-vcpus \
	--prefetch /batch/img/linux >/tmp/out 2>/tmp/s10.err
mark "s10 vcpus rc=$? stdout=$(wc -c </tmp/out)"
mark "s10 vcpus err $(cat /tmp/s10.err)"
mark "s10 after $(leftovers)"
