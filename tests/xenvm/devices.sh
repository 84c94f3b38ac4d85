# SPDX-License-Identifier: ISC
# devices.sh: the disks and NICs of issue 15 on real Xen, sourced by
# scenarios.sh in the same dom0 (its helpers: mark, up, since, domid,
# wait_console, wait_state, leftovers). Facts go out as "@@XENVM dN ..."
# lines for tests/xen.bats; every wait is bounded.
#
# /batch/img/root.ext4 is the guest's root disk (mke2fs -d of busybox and
# an /init that reports, writes the token its command line carries into
# /token, pings dom0 and powers off); /batch/img/devinit.gz the initramfs
# that loads the modules Debian's kernel needs for it (xen-blkfront,
# ext4, xen-netfront are modules there) and switches to it.
#
# d1: the stages with a disk and a NIC; the guest reports, pings, and is
#     powered off by xl shutdown. d3: bad devices refused, nothing left.
# d2: README's xl.cfg example by pvbuild build --config, and the same
#     file by xl create; d4: xl destroy of pvbuild's domain while it runs.

BRIDGE=xenbr0
DOM0_ADDR=169.254.15.1		# link-local: the bridge lives in this VM only
GUEST_MAC=00:16:3e:15:00:01
DISK_ID=51712			# xvda: 202 << 8

# Loop devices bound to a file, and device nodes in xenstore.
loops() { ls /sys/block/loop*/loop/backing_file 2>/dev/null | wc -l; }
devnodes() {
	echo "vbd=$(xenstore-list /local/domain/0/backend/vbd 2>/dev/null | wc -l)" \
		"vif=$(xenstore-list /local/domain/0/backend/vif 2>/dev/null | wc -l)" \
		"libxl=$(xenstore-list /libxl 2>/dev/null | wc -l) loops=$(loops)"
}
# settle: the backend drivers let go after the nodes are gone; wait for
# the loop devices to clear, up to 10 seconds.
settle() {
	t0=$(up)
	while [ "$(loops)" != 0 ] && before 10 "$t0"; do sleep 0.2; done
}

# devbuild NAME IMAGE INITRD CMDLINE [layout options]: the pipeline into
# a xen domain of 256 MiB; every stage's stderr to /tmp/NAME.err.
devbuild() {
	name=$1 image=$2 initrd=$3 cmdline=$4
	shift 4
	set -o pipefail 2>/dev/null
	{ elfinfo "$image" | layout --memory 256M ${initrd:+--initrd "$initrd"} \
		--cmdline "$cmdline" "$@" | populate | pagetables |
		finalize --backend xen --name "$name" --prefetch "$image" \
		${initrd:+--initrd "$initrd"}; } 2>/tmp/"$name".err
}

# Without STP (brctl's default) a port forwards as soon as it is added.
brctl addbr $BRIDGE && ip addr add $DOM0_ADDR/24 dev $BRIDGE &&
	ip link set $BRIDGE up
mark "d0 bridge rc=$? $(devnodes)"

# d1: Debian's Linux with 2 vCPUs, 256 MiB and 512 MiB maxmem, a root
# disk and a NIC on the bridge.
cp /batch/img/root.ext4 /tmp/d1.ext4
# A disk only the plan names is opened with the rights of a user who
# owns nothing (README, "Trust"): this one every user may write.
chmod 666 /tmp/d1.ext4
token=tok$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
t0=$(up)
devbuild d1 /batch/img/linux /batch/img/devinit.gz \
	"console=hvc0 quiet root=/dev/xvda pvtoken=$token pvhold=90" \
	--vcpus 2 --maxmem 512M \
	--disk "format=raw,vdev=xvda,access=rw,target=/tmp/d1.ext4" \
	--nic "bridge=$BRIDGE,mac=$GUEST_MAC" >/tmp/out
mark "d1 build rc=$? took=$(since "$t0") domid=$(domid d1)"
mark "d1 err $(cat /tmp/d1.err)"
id=$(domid d1)
be=/local/domain/0/backend
mark "d1 nodes phys=$(xenstore-read $be/vbd/$id/$DISK_ID/physical-device 2>&1)" \
	"mode=$(xenstore-read $be/vbd/$id/$DISK_ID/mode 2>&1)" \
	"vdev=$(xenstore-read /local/domain/$id/device/vbd/$DISK_ID/virtual-device 2>&1)" \
	"mac=$(xenstore-read /local/domain/$id/device/vif/0/mac 2>&1)" \
	"hotplug=$(xenstore-read $be/vif/$id/0/hotplug-status 2>&1)" \
	"libxl=$(xenstore-read /libxl/$id/device/vbd/$DISK_ID/backend 2>&1)"
for f in /sys/block/loop*/loop/backing_file; do
	[ -e "$f" ] && mark "d1 loop $(cat "$f") autoclear=$(cat "${f%backing_file}autoclear")"
done
mark "d1 brif $(ls /sys/class/net/$BRIDGE/brif 2>&1 | tr '\n' ' ')"
mark "d1 console $(wait_console d1 '@@GUEST ping' 240)"
# dom0 learnt the guest's MAC on the bridge when it answered the ping;
# asked while the guest holds on, since the bridge forgets its
# neighbours when its last port goes down with the guest.
mark "d1 arp $(grep -i " $GUEST_MAC " /proc/net/arp | tr -s ' ')"
# The guest holds on after its ping; xl shutdown asks it to power off
# (control/shutdown), and its Linux runs the disk's /sbin/poweroff.
xl shutdown d1 >/tmp/d1-shutdown.out 2>&1
mark "d1 xl-shutdown rc=$? said $(tr '\n' ' ' </tmp/d1-shutdown.out)"
if wait_state d1 s 60; then mark "d1 state shutdown"; else mark "d1 state $(xl list d1 2>&1 | tail -n 1)"; fi
grep '@@GUEST' "$LOGS/guest-d1.log" 2>/dev/null | sed 's/^.*@@GUEST/@@XENVM d1 guest/'
tail -n 8 "$LOGS/guest-d1.log" 2>/dev/null | sed 's/^/@@XENVM d1 log /'
mark "d1 token found=$(grep -a -c "pvtoken-written=$token" /tmp/d1.ext4)"
xl destroy d1
mark "d1 destroy rc=$?"
settle
mark "d1 after $(leftovers) $(devnodes)"
rm -f /tmp/d1.ext4

# d3: bad devices are exit 1 naming them, and leave nothing: not a
# domain, a node, nor the loop device made for the good disk before.
cp /batch/img/root.ext4 /tmp/d3.ext4
chmod 666 /tmp/d3.ext4
# refused WHAT [layout options]: a build of PV GRUB with them, marked
# "d3 WHAT": its exit status, its output, its error and what it left.
refused() {
	what=$1
	shift
	devbuild d3-$what /batch/img/grub64 "" "" "$@" >/tmp/out
	mark "d3 $what rc=$? stdout=$(wc -c </tmp/out)"
	mark "d3 $what err $(cat /tmp/d3-$what.err)"
	settle
	mark "d3 $what after $(leftovers) $(devnodes)"
}
refused disk --disk "format=raw,vdev=xvda,access=rw,target=/tmp/no-such.ext4"
cp /batch/img/root.ext4 /tmp/secret.ext4
chmod 600 /tmp/secret.ext4
refused secret --disk "format=raw,vdev=xvda,access=r,target=/tmp/secret.ext4"
rm -f /tmp/secret.ext4
refused bridge --disk "format=raw,vdev=xvda,access=rw,target=/tmp/d3.ext4" \
	--nic "bridge=nosuchbr0"
refused twice --disk "format=raw,vdev=xvda,access=rw,target=/tmp/d3.ext4" \
	--disk "format=raw,vdev=xvda,access=r,target=/tmp/d3.ext4"

# d2: README's xl.cfg example (tests/xen.bats puts it in /batch/web.cfg
# with the batch's kernel, initrd and disk) as README says to run it on a
# dom0; then, d4, xl destroy of the domain while it runs.
cp /batch/img/root.ext4 /tmp/web.img
chmod 666 /tmp/web.img
t0=$(up)
pvbuild build --config /batch/web.cfg --backend xen >/tmp/out 2>/tmp/web.err
mark "d2 build rc=$? took=$(since "$t0") domid=$(domid web)"
mark "d2 err $(cat /tmp/web.err)"
mark "d2 console $(wait_console web '@@GUEST ping' 240)"
grep '@@GUEST' "$LOGS/guest-web.log" 2>/dev/null | sed 's/^.*@@GUEST/@@XENVM d2 guest/'
mark "d2 nodes mac=$(xenstore-read /local/domain/$(domid web)/device/vif/0/mac 2>&1)" \
	"static-max=$(xenstore-read /local/domain/$(domid web)/memory/static-max 2>&1)"
mark "d4 running state=$(xl list web 2>/dev/null | awk 'NR == 2 { print $5 }') $(devnodes)"
xl destroy web
mark "d4 destroy rc=$?"
settle
mark "d4 after $(leftovers) $(devnodes)"
mark "d2 token found=$(grep -a -c "pvtoken-written=web" /tmp/web.img)"
rm -f /tmp/web.img

# d2 under xl: the same file (its name made web-xl) by xl create, which
# runs its own hotplug scripts (xen-utils-common's block and vif-bridge,
# under bash) for the disk and the vif; its MAC is one xl makes. Only
# compared: the sanitizer pass (a file san in the batch) leaves it out.
if [ ! -e /batch/san ]; then
cp /batch/img/root.ext4 /tmp/web.img
chmod 666 /tmp/web.img
sed 's/^name .*/name    = "web-xl"/' /batch/web.cfg >/tmp/web-xl.cfg
t0=$(up)
xl create /tmp/web-xl.cfg >/tmp/out 2>/tmp/web-xl.err
mark "d2 xl build rc=$? took=$(since "$t0") domid=$(domid web-xl)"
mark "d2 xl err $(tr '\n' ' ' </tmp/web-xl.err | tail -c 400)"
mark "d2 xl console $(wait_console web-xl '@@GUEST ping' 240)"
grep '@@GUEST' "$LOGS/guest-web-xl.log" 2>/dev/null | sed 's/^.*@@GUEST/@@XENVM d2 xl-guest/'
mark "d2 xl nodes mac=$(xenstore-read /local/domain/$(domid web-xl)/device/vif/0/mac 2>&1)"
xl destroy web-xl
mark "d2 xl destroy rc=$?"
settle
mark "d2 xl after $(leftovers) $(devnodes)"
mark "d2 xl token found=$(grep -a -c "pvtoken-written=web" /tmp/web.img)"
rm -f /tmp/web.img
fi
rm -f /tmp/d3.ext4
