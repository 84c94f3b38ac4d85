#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# finalize --backend xen on real Xen: Xen 4.17 and a Debian dom0 booted
# once in QEMU (tests/xenvm/xenvm.sh) run the batch tests/xenvm/scenarios.sh;
# each test judges the "@@XENVM" lines it printed on the serial console.
# Skipped, saying why, when QEMU or the Debian packages cannot be had.
bats_require_minimum_version 1.5.0
load helper

# The serial log of the one boot, kept for a look after the run.
VMLOG=$TOP/build/xenvm/serial.log

# make_device_images BATCH CACHE: what tests/xenvm/devices.sh boots.
# img/root.ext4, the root disk: an ext4 image made by mke2fs -d from a
# directory holding busybox and an /init that reports what it runs on,
# writes the token from its command line into /token, pings dom0 and
# powers off (pvhold=N: N seconds later). img/devinit.gz: Debian's
# kernel has xen-blkfront, ext4 and xen-netfront as modules, none built
# in, so it cannot mount a root disk alone; this initramfs holds those
# modules (and what ext4 needs), loads them and switches to the disk.
make_device_images() {
	local b=$1 cache=$2 m f
	[ -d "$b" ] || return 1
	mkdir -p "$b/root/bin" "$b/root/proc" "$b/root/sys" "$b/root/dev" \
		"$b/devinit/bin" "$b/devinit/lib/modules" || return 1
	cp "$cache/xenvm/pkg/busybox-static/bin/busybox" "$b/root/bin/"
	cp "$cache/xenvm/pkg/busybox-static/bin/busybox" "$b/devinit/bin/"
	cat >"$b/root/init" <<'EOF'
#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
arg() { $B sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do $B sleep 0.1; i=$((i + 1)); done
$B echo "@@GUEST root $($B awk '$2 == "/" { d = $1 } END { print d }' /proc/mounts) nproc=$($B nproc) mac=$($B cat /sys/class/net/eth0/address 2>&1)"
$B echo "pvtoken-written=$(arg pvtoken)" >/token
$B sync
$B ip link set eth0 up
$B ip addr add 169.254.15.2/24 dev eth0
$B ping -c 3 -w 20 169.254.15.1 >/dev/null 2>&1
$B echo "@@GUEST ping rc=$?"
$B sync
$B sleep "$(arg pvhold)" 2>/dev/null
$B sleep 2
$B poweroff -f
EOF
	# What Linux runs when xl shutdown asks it to power off; the kernel
	# starts it with no terminal, so it says so on the console itself.
	mkdir -p "$b/root/sbin"
	printf '#!/bin/busybox sh\n/bin/busybox echo "@@GUEST poweroff asked" >/dev/console\n/bin/busybox sync\nexec /bin/busybox poweroff -f\n' \
		>"$b/root/sbin/poweroff"
	chmod 755 "$b/root/sbin/poweroff"
	cat >"$b/devinit/init" <<'EOF'
#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /dev /newroot
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
for m in crc32c_generic crc16 mbcache jbd2 ext4 xen-blkfront xen-netfront; do
	$B insmod /lib/modules/$m.ko || $B echo "@@GUEST insmod $m failed"
done
i=0
while [ ! -b /dev/xvda ] && [ $i -lt 100 ]; do $B sleep 0.1; i=$((i + 1)); done
$B mount -t ext4 /dev/xvda /newroot || { $B echo "@@GUEST no root disk"; $B poweroff -f; }
$B mount --move /dev /newroot/dev
$B umount /proc
exec $B switch_root /newroot /init
EOF
	chmod 755 "$b/root/init" "$b/devinit/init"
	for m in crc32c_generic crc16 mbcache jbd2 ext4 xen-blkfront xen-netfront; do
		f=$(find "$cache/xenvm/pkg" -path '*linux-image*' -name "$m.ko" | head -n 1)
		[ -n "$f" ] && cp "$f" "$b/devinit/lib/modules/"
	done
	mke2fs -q -t ext4 -d "$b/root" "$b/img/root.ext4" 16M || return 1
	(cd "$b/devinit" && find . | cpio -o -H newc --quiet | gzip -9) >"$b/img/devinit.gz"
	rm -rf -- "$b/root" "$b/devinit"
}

# readme_config README: README's worked example of an xl.cfg ("From an
# xl.cfg"), as the batch runs it: its kernel, ramdisk and disk made the
# batch's, and the command line given the token and the hold the root
# disk's /init reads (tests/xenvm/devices.sh, d2). Fails if the example
# is not found whole.
readme_config() {
	local f=$BATS_FILE_TMPDIR/web.cfg
	sed -n '/^    # \/etc\/xen\/web.cfg$/,/^$/p' "$1" | sed 's/^    //' | sed \
		-e 's|^kernel *=.*|kernel  = "/batch/img/linux"|' \
		-e 's|^ramdisk *=.*|ramdisk = "/batch/img/devinit.gz"|' \
		-e 's|/srv/web.img|/tmp/web.img|' \
		-e 's|^extra *= *"\(.*\)"|extra   = "\1 quiet pvtoken=web pvhold=60"|' >"$f"
	grep -q '^vif *= \[' "$f" && grep -q '^disk *= \[ "/tmp/web.img' "$f" &&
		grep -q 'pvhold=60"$' "$f" && grep -q '^kernel  = "/batch' "$f" && cat "$f"
}

setup_file() {
	local top b cache images
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	rm -rf "$top/build/xenvm"
	mkdir -p "$top/build/xenvm"
	: >"$top/build/xenvm/skip"
	local rc=0
	images=$("$top/tests/xenvm/xenvm.sh" prepare 2>"$top/build/xenvm/run.err") || rc=$?
	# 77: what the VM needs cannot be had, and the tests skip saying why;
	# any other failure fails them.
	if [ "$rc" = 77 ]; then
		cp "$top/build/xenvm/run.err" "$top/build/xenvm/skip"
		return 0
	fi
	[ "$rc" = 0 ] || return 0
	cache=${PVBUILD_DOWNLOADS:-$top/build/cache}
	b=$BATS_FILE_TMPDIR/batch
	mkdir -p "$b/bin" "$b/img" "$b/guest/bin" "$b/guest/proc"
	cp "$top"/bin/{pvbuild,elfinfo,layout,populate,pagetables,finalize} "$b/bin/"
	cp "$(echo "$images" | awk '$1 == "dom0_kernel" { print $2 }')" "$b/img/linux"
	"$top/tests/realimages.sh" print | while read -r name path; do
		case $name in grub64 | grub32) cp "$path" "$b/img/$name" ;; esac
	done
	# The guests' initramfs: busybox, and an /init that prints its marker
	# with the command line (which says which build it is) and powers off,
	# after a pause that lets xenconsoled log the marker before xl's daemon
	# destroys a guest that shut down. With "pvshow" on the command line
	# it prints the machine it was given first (tests/xenvm/machine.sh):
	# its vCPUs, MemTotal and the memory map Linux logged as it booted,
	# and pauses longer, for the batch to read xenstore meanwhile.
	cp "$cache/xenvm/pkg/busybox-static/bin/busybox" "$b/guest/bin/"
	cat >"$b/guest/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
cmdline=$(/bin/busybox cat /proc/cmdline)
/bin/busybox echo "@@GUEST $cmdline"
pause=2
case " $cmdline " in
*" pvshow "*)
	/bin/busybox echo "@@GUEST nproc $(/bin/busybox nproc)"
	/bin/busybox echo "@@GUEST $(/bin/busybox grep MemTotal /proc/meminfo)"
	/bin/busybox dmesg | /bin/busybox sed -n 's/.*Xen: \(\[mem .*\)/@@GUEST map \1/p'
	/bin/busybox dmesg | /bin/busybox grep -E 'Memory:|Freeing|eserve|Released|Remapped|p2m|RAMDISK|initrd' | /bin/busybox sed 's/^\[[ 0-9.]*\] /@@GUEST diag /'
	/bin/busybox echo "@@GUEST done"
	pause=8
	;;
esac
/bin/busybox sleep $pause
/bin/busybox poweroff -f
EOF
	chmod 755 "$b/guest/init"
	(cd "$b/guest" && find . | cpio -o -H newc --quiet | gzip -9) >"$b/img/initrd.gz"
	rm -rf "$b/guest"
	# The self-checking x86_64 guest for Xen, and the command lines it
	# checks itself against: 64 MiB (16384 pages) and that initrd, and a
	# page more than it is given.
	cp "$top/build/guests/x64-xen.elf" "$b/img/x64-xen"
	mkdir -p "$b/cmdline"
	"$top/tests/guests/guest-cmdline.py" 16384 "$b/img/initrd.gz" >"$b/cmdline/s3-good"
	"$top/tests/guests/guest-cmdline.py" 16385 "$b/img/initrd.gz" >"$b/cmdline/s3-wrong"
	# The self-checking PVH guest (tests/xenvm/pvh.sh, p2) and what it
	# checks itself against: 64 MiB, that initrd, 2 vCPUs, and the eight
	# HVM special pages as Xen's toolstack leaves them.
	cp "$top/build/guests/pvh-check.elf" "$b/img/pvh-check"
	"$top/tests/guests/guest-cmdline.py" --vcpus 2 --special 16384 "$b/img/initrd.gz" >"$b/cmdline/p2"
	make_device_images "$b" "$cache" || return 1
	readme_config "$top/README.md" >"$b/web.cfg" || return 1
	cp "$top/tests/xenvm/scenarios.sh" "$b/run.sh"
	# The sanitizer pass (make check SAN=1) leaves out what only compares
	# or measures xl beside pvbuild; make check runs it.
	[ "${PVBUILD_SAN:-0}" != 1 ] || : >"$b/san"
	cp "$top/tests/xenvm/machine.sh" "$b/"
	cp "$top/tests/xenvm/devices.sh" "$b/devices.sh"
	cp "$top/tests/xenvm/pvh.sh" "$b/pvh.sh"
	"$top/tests/xenvm/xenvm.sh" run "$b" "$top/build/xenvm/serial.log" 1500 \
		2>"$top/build/xenvm/run.err" || true
}

setup() {
	if [ -s "$TOP/build/xenvm/skip" ]; then
		skip "$(cat "$TOP/build/xenvm/skip")"
	fi
	[ -s "$VMLOG" ] || fail "the VM wrote no serial log: $(cat "$TOP/build/xenvm/run.err")"
}

# Skips a test of xl's side, which the sanitizer pass leaves out.
xl_side() {
	[ "${PVBUILD_SAN:-0}" != 1 ] ||
		skip "the sanitizer pass leaves out xl's side, which only compares and measures (make check runs it)"
}

# The value of the first "@@XENVM WHAT..." line: mark 's1 build'
mark() {
	sed -n "s/^@@XENVM $1 //p" "$VMLOG" | head -n 1
}

# built WHAT: the build marked "WHAT build" ("s2", "s3 good") exited 0.
built() {
	local line
	line=$(mark "$1 build")
	[ "$(field rc "$line")" = 0 ] || fail "finalize failed: $line / $(mark "$1 err")"
}

# nothing_left WHAT: no domain and no xenstore node after WHAT.
nothing_left() {
	run mark "$1 after"
	assert_output 'domains=0 xenstore=0 vm=0'
}

# refused_in_vm WHAT CODE MESSAGE: the build marked "WHAT" exited CODE,
# wrote nothing on stdout and said MESSAGE, its one line, on stderr.
refused_in_vm() {
	local line
	line=$(mark "$1")
	[ "$(field rc "$line")" = "$2" ] || fail "$line / $(mark "$1 err")"
	[ "$(field stdout "$line")" = 0 ] || fail "finalize wrote to stdout: $line"
	run mark "$1 err"
	assert_output "$3"
}

# field KEY LINE: the value of KEY=VALUE in LINE.
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

@test "Xen and dom0 come up and run the whole batch" {
	run mark up
	assert_output --regexp '^[0-9.]+$'
	grep -q '^@@XENVM end' "$VMLOG" || fail "the batch did not finish: $(cat "$TOP/build/xenvm/run.err")"
	run mark start
	assert_output 'domains=0 xenstore=0 vm=0'
}

@test "Debian's Linux built by pvbuild build --backend xen boots on Xen, prints its marker and powers off" {
	local line
	line=$(mark 's1 build')
	[ "$(field rc "$line")" = 0 ] || fail "finalize failed: $line / $(mark 's1 err')"
	[[ "$(field domid "$line")" =~ ^[1-9][0-9]*$ ]] || fail "no domain id: $line"
	run sed -n 's/^@@XENVM s1 out //p' "$VMLOG"
	assert_line --regexp "^domain: xen domid $(field domid "$line") \(xen-3.0-x86_64, 65536 pages, cr3 0x[0-9a-f]+000, "
	run mark 's1 nodes'
	assert_output 'name=s1-linux console-type=xenconsoled'
	run mark 's1 tty'
	assert_output --regexp '^/dev/pts/[0-9]+$'
	run mark 's1 console'
	assert_output --regexp '^@@GUEST .*pvtag=s1.*\|[0-9.]+$'
	run mark 's1 state'
	assert_output shutdown
	run mark 's1 destroy'
	assert_output rc=0
	nothing_left 's1'
}

@test "PV GRUB built by pvbuild build --backend xen shows its banner on the Xen console and its prompt through xl console" {
	built 's2'
	run mark 's2 console'
	assert_output --regexp 'GNU GRUB.*\|[0-9.]+$'
	local con
	con=$(mark 's2 xl-console')
	[[ "$(field prompt "$con")" =~ ^[1-9] ]] || fail "$con: xl console said: $(mark 's2 xl-console said')"
	nothing_left 's2'
}

@test "the x86_64 test guest built by pvbuild checks its boot environment on Xen from the inside and reports PASS" {
	local c
	built 's3 good'
	run mark 's3 good verdict'
	assert_output --regexp '^PASS\|[0-9.]+$'
	run sed -n 's/^@@XENVM s3 good log //p' "$VMLOG"
	assert_line --regexp '^pvbuild x64 guest: entered, start_info 0xffffffff8[0-9a-f]+000, rsp '
	for c in bss data traps cmdline start_info p2m pagetables write_protect \
		stack padding initrd; do
		assert_line "check $c ok"
	done
	refute_line --partial FAIL
	assert_line --regexp '^pvbuild x64 guest: region 0xffffffff80000000-0xffffffff8[0-9a-f]+, [0-9]+ page-table pages at .*, initrd at 0xffffffff8'
	run mark 's3 good state'
	assert_output --regexp '^---s.-$'
	nothing_left 's3 good'
}

@test "on Xen the test guest catches a command line that contradicts its memory size, reports FAIL and stops" {
	built 's3 wrong'
	run mark 's3 wrong verdict'
	assert_output --regexp '^FAIL\|[0-9.]+$'
	run sed -n 's/^@@XENVM s3 wrong log //p' "$VMLOG"
	assert_line 'check start_info FAIL: nr_pages 16384, the test gave 16385'
	assert_line 'check bss ok'
	run mark 's3 wrong state'
	assert_output --regexp '^---s.-$'
	nothing_left 's3 wrong'
}

@test "a memory size Xen cannot give fails half-way with exit 3 and leaves no domain and no xenstore node" {
	local line
	line=$(mark 's4 mem')
	[ "$(field rc "$line")" = 3 ] || fail "$line / $(mark 's4 mem err')"
	[ "$(field stdout "$line")" = 0 ] || fail "finalize wrote to stdout: $line"
	run mark 's4 mem err'
	assert_output --regexp '^finalize: xen: populating pfns [0-9]+-[0-9]+ of 2097152 \(8192 MiB\): '
	nothing_left 's4 mem'
}

@test "a kernel changed since elfinfo is refused with exit 1 before a domain is made" {
	local line
	line=$(mark 's4 changed')
	[ "$(field rc "$line")" = 1 ] || fail "$line / $(mark 's4 changed err')"
	[ "$(field stdout "$line")" = 0 ] || fail "finalize wrote to stdout: $line"
	run mark 's4 changed err'
	assert_output --partial '/tmp/grub64'
	assert_output --partial 'changed'
}

@test "a 32-bit PAE guest on a Xen without xen-3.0-x86_32p is refused with exit 3 saying so" {
	run mark caps
	refute_output --partial 'xen-3.0-x86_32p'
	local line
	line=$(mark 's4 abi')
	[ "$(field rc "$line")" = 3 ] || fail "$line / $(mark 's4 abi err')"
	run mark 's4 abi err'
	assert_output --partial 'finalize: xen: this hypervisor does not run xen-3.0-x86_32p guests (it offers: xen-3.0-x86_64'
	nothing_left 's4'
}

@test "two builds racing for one name: exactly one gets it, the other exits 1 and leaves nothing" {
	local line
	line=$(mark 's7 race')
	[ "$(field rc "$line")" = 0 ] || fail "$line / $(mark 's7 race err')"
	assert_equal "$line" "rc=0 1 named=1 domains=1"
	run mark 's7 race err'
	assert_output --partial "finalize: --name: a domain named 's7-race' exists"
	nothing_left 's7'
}

@test "a xen build stopped by SIGTERM once its domain exists exits 3 and leaves nothing" {
	run mark 's6 seen'
	assert_output --regexp '^domid=[0-9]+$'
	local line
	line=$(mark 's6 stop')
	[ "$(field rc "$line")" = 3 ] || fail "$line / $(mark 's6 stop err')"
	[ "$(field stdout "$line")" = 0 ] || fail "finalize wrote to stdout: $line"
	run mark 's6 stop err'
	assert_output 'finalize: xen: interrupted; the domain is destroyed'
	nothing_left 's6'
}

@test "a xen build killed by SIGKILL leaves a paused domain, which the next build removes with its claim" {
	local line
	line=$(mark 's8 killed')
	[ "$(field rc "$line")" = 137 ] || fail "$line"
	[ "$(field domains "$line")" = 1 ] || fail "no domain left by the killed build: $line"
	[[ "$(field state "$line")" == *p* ]] || fail "the killed build's domain is not paused: $line"
	[ "$(field claims "$line")" = 1 ] || fail "$line"
	run mark 's8 next'
	assert_output 'rc=0 others=0 claims=0'
	nothing_left 's8'
}

# guest WHO: what the guest built by WHO (xl, pv) said of its machine.
guest() {
	sed -n "s/^@@XENVM s9 guest-$1 //p" "$VMLOG"
}

# xs WHO: the xenstore nodes of WHO's domain while its guest ran, but for
# those that must differ between two domains (ids, names, the uuid, the
# frames and the pty they were given).
# libxl also records the console as a device of dom0's backend tree
# (console/backend, console/backend-id); the guest and xenconsoled read
# the primary console from the nodes both write, and pvbuild's devices
# are tests/xenvm/devices.sh's.
xs() {
	sed -n "s/^@@XENVM s9 xs-$1 //p" "$VMLOG" |
		grep -Ev '^D/(domid|name|vm|store/ring-ref|console/ring-ref|console/tty|console/backend|console/backend-id)='
}

@test "a domain made early from finalize --memory for a plan of another size is destroyed; the plan's is built, alone" {
	local line
	line=$(mark 's11 other build')
	[ "$(field rc "$line")" = 0 ] || fail "finalize failed: $line / $(mark 's11 other err')"
	# xl list's memory column: the plan's 64 MiB, not the early 128.
	[ "$(field mem "$line")" = 64 ] || fail "$line"
	[ "$(field domains "$line")" = 1 ] || fail "another domain is left: $line"
	nothing_left 's11 other'
}

@test "a stage that fails before the plan comes leaves no early domain: finalize exits 1, silent, and nothing is left" {
	# An empty plan: the stage before said why, finalize says nothing.
	refused_in_vm 's11 fail' 1 ''
	nothing_left 's11 fail'
}

@test "SIGTERM while the early domain waits for its plan ends finalize and destroys the domain" {
	local line
	run mark 's11 seen'
	assert_output 'mem=64'
	line=$(mark 's11 stop')
	[ "$(field rc "$line")" != 0 ] || fail "$line"
	[ "$(field stdout "$line")" = 0 ] || fail "finalize wrote to stdout: $line"
	nothing_left 's11 stop'
}

@test "vCPUs and maxmem: Linux built by pvbuild sees the vCPUs and the memory map xl create gives it" {
	xl_side
	local xl pv
	xl=$(mark 's9 xl')
	[ "$(field rc "$xl")" = 0 ] || fail "xl create failed: $xl / $(mark 's9 xl err')"
	run mark 's9 xl done'
	assert_output --regexp '^@@GUEST done\|'
	run mark 's9 pv done'
	assert_output --regexp '^@@GUEST done\|' || fail "$(mark 's9 pv err')"
	run guest pv
	assert_line 'nproc 2'
	assert_line --regexp '^map \[mem 0x0+-0x[0-9a-f]+\] usable$'
	# The map runs to maxmem (512 MiB), where the balloon can grow.
	assert_line --partial '-0x000000001fffffff] usable'
	assert_equal "$(guest pv)" "$(guest xl)"
	echo "# build times in the VM (TCG), 256 MiB, maxmem 512 MiB, 2 vCPUs:" \
		"xl create $(field build "$xl") s, pvbuild (stages, finalize --wait)" \
		"$(field build "$(mark 's9 pv')") s" >&3
}

# MemTotal is the finest figure of the machine a guest was given: a page
# of its own reserved at boot shows. It once differed by 16 kB, the four
# pages Linux spends on its p2m's frame list for the tools when
# start_info lacks SIF_VIRT_P2M_4TOOLS, as it does under xl.
@test "Linux built by pvbuild has the MemTotal it has under xl create, to the kB" {
	xl_side
	run guest pv
	assert_line --regexp '^MemTotal: [0-9]+ kB$'
	local pv xl
	pv=$(guest pv | sed -n 's/^MemTotal: \([0-9]*\) kB$/\1/p')
	xl=$(guest xl | sed -n 's/^MemTotal: \([0-9]*\) kB$/\1/p')
	[ -n "$xl" ] || fail "xl's guest reported no MemTotal"
	echo "# MemTotal: pvbuild's guest $pv kB, xl's $xl kB" >&3
	[ "$pv" = "$xl" ] ||
		fail "pvbuild's guest: $pv kB, xl's: $xl kB;" \
		"$(sed -n 's/^@@XENVM s9 diag-pv \(Memory:.*\)/pvbuild \1/p; s/^@@XENVM s9 diag-xl \(Memory:.*\)/xl \1/p' "$VMLOG")"
}

@test "the xenstore nodes pvbuild writes for a domain are those xl writes, memory and vCPUs among them" {
	xl_side
	run xs pv
	assert_line 'D/memory/static-max=524288'
	assert_line 'D/memory/target=262144'
	assert_line 'D/memory/videoram=0'
	assert_line 'D/cpu/0/availability=online'
	assert_line 'D/cpu/1/availability=online'
	refute_line --partial 'D/cpu/2/'
	diff -u <(xs xl) <(xs pv) >&2 || fail "xl's nodes (-) and pvbuild's (+) differ"
}

@test "finalize --wait returns once the guest powers off, having destroyed it and its nodes, and says so" {
	local line
	line=$(mark 's9 pv wait')
	[ "$(field rc "$line")" = 0 ] || fail "$line / $(mark 's9 pv err')"
	[ "$(field listed "$line")" = no ] || fail "still listed: $line"
	run sed -n 's/^@@XENVM s9 pv out //p' "$VMLOG"
	assert_line --regexp '^domain: xen domid [0-9]+ \(xen-3.0-x86_64, 65536 pages, '
	assert_line 'shutdown: poweroff'
	if [ "${PVBUILD_SAN:-0}" != 1 ]; then
		run mark 's9 xl gone'
		assert_output yes
	fi
	nothing_left 's9'
}

@test "--vcpus above the host's physical CPUs exits 1 naming the limit, before a domain is made" {
	refused_in_vm 's10 vcpus' 1 "finalize: --vcpus: 3 vCPUs, and this host's limit is 2 (its physical CPUs)"
	nothing_left 's10'
}

# Device nodes and loop devices as devices.sh counts them before its
# first build; every "after" must come back to them.
devices_before() {
	mark 'd0 bridge' | sed 's/^rc=[0-9]* //'
}

@test "Debian's Linux built by pvbuild with 2 vCPUs, 512 MiB maxmem, a root disk and a NIC boots from the disk, writes its token there and pings dom0 across the bridge" {
	local line id
	run mark 'd0 bridge'
	assert_output --regexp '^rc=0 '
	line=$(mark 'd1 build')
	[ "$(field rc "$line")" = 0 ] || fail "finalize failed: $line / $(mark 'd1 err')"
	id=$(field domid "$line")
	# xvda is device 51712 to the guest; the file's loop device is the
	# backend's, bound while the domain runs and set to clear itself.
	run mark 'd1 nodes'
	assert_output --regexp '^phys=7:[0-9a-f]+ mode=w vdev=51712 mac=00:16:3e:15:00:01 hotplug=connected '
	assert_output --partial "libxl=/local/domain/0/backend/vbd/$id/51712"
	run mark 'd1 loop'
	assert_output '/tmp/d1.ext4 autoclear=1'
	run mark 'd1 brif'
	assert_output "vif$id.0 "
	run mark 'd1 console'
	assert_output --regexp '^@@GUEST ping rc=0\|[0-9.]+$'
	run sed -n 's/^@@XENVM d1 guest //p' "$VMLOG"
	assert_line --regexp '^root /dev/xvda nproc=2 mac=00:16:3e:15:00:01$'
	run mark 'd1 arp'
	assert_output '169.254.15.2 0x1 0x2 00:16:3e:15:00:01 * xenbr0'
}

@test "xl shutdown of a pvbuild domain asks its Linux to power off, and it does" {
	run mark 'd1 xl-shutdown'
	assert_output --regexp '^rc=0 '
	run sed -n 's/^@@XENVM d1 guest //p' "$VMLOG"
	assert_line 'poweroff asked'
	run mark 'd1 state'
	assert_output shutdown
	run mark 'd1 token'
	assert_output 'found=1'
	run mark 'd1 destroy'
	assert_output rc=0
	run mark 'd1 after'
	assert_output "domains=0 xenstore=0 vm=0 $(devices_before)"
}

# refused WHAT MESSAGE: the build marked "d3 WHAT" exited 1 with MESSAGE
# (a part of it, with --partial first), wrote nothing on stdout and left
# nothing behind.
refused() {
	local line
	line=$(mark "d3 $1")
	[ "$(field rc "$line")" = 1 ] || fail "$line / $(mark "d3 $1 err")"
	[ "$(field stdout "$line")" = 0 ] || fail "a stage wrote to stdout: $line"
	run mark "d3 $1 err"
	assert_output "${@:2}"
	run mark "d3 $1 after"
	assert_output "domains=0 xenstore=0 vm=0 $(devices_before)"
}

@test "a disk that does not exist is refused with exit 1 naming it, and leaves no domain, node or loop device" {
	refused disk 'finalize: disk xvda: /tmp/no-such.ext4: No such file or directory'
}

@test "a disk only root may read is refused with exit 1, since a plan's disk is opened with no user's rights, and leaves nothing" {
	refused secret 'finalize: disk xvda: /tmp/secret.ext4: not readable by every user (finalize opens a plan'"'"'s disk with no user'"'"'s rights)'
}

@test "a bridge that does not exist is refused with exit 1 naming it, and the loop device made for the disk before it is released" {
	refused bridge "finalize: nic 0: bridge 'nosuchbr0' does not exist"
}

@test "a vdev given twice is refused with exit 1 naming it, building nothing" {
	refused twice --partial 'vdev "xvda" given twice'
}

@test "README's xl.cfg example, built by pvbuild build --config on a dom0, boots from its disk with its 2 vCPUs and made MAC and reaches dom0" {
	local line mac
	line=$(mark 'd2 build')
	[ "$(field rc "$line")" = 0 ] || fail "pvbuild build failed: $line / $(mark 'd2 err')"
	run mark 'd2 console'
	assert_output --regexp '^@@GUEST ping rc=0\|[0-9.]+$'
	mac=$(mark 'd2 nodes' | sed -n 's/^mac=\([^ ]*\) .*/\1/p')
	[[ $mac == 00:16:3e:* ]] || fail "no made MAC: $(mark 'd2 nodes')"
	run sed -n 's/^@@XENVM d2 guest //p' "$VMLOG"
	assert_line "root /dev/xvda nproc=2 mac=$mac"
	run mark 'd2 nodes'
	assert_output --partial 'static-max=524288'
	run mark 'd2 token'
	assert_output 'found=1'
}

@test "the same xl.cfg under xl create gives the guest pvbuild's gave it: its disk, 2 vCPUs, the ping, the token" {
	xl_side
	local line mac
	line=$(mark 'd2 xl build')
	[ "$(field rc "$line")" = 0 ] || fail "xl create failed: $line / $(mark 'd2 xl err')"
	echo "# README's example: xl create $(field took "$line") s, pvbuild build --config $(field took "$(mark 'd2 build')") s" >&3
	run mark 'd2 xl console'
	assert_output --regexp '^@@GUEST ping rc=0\|[0-9.]+$'
	mac=$(mark 'd2 xl nodes' | sed -n 's/^mac=\([^ ]*\)$/\1/p')
	[[ $mac == 00:16:3e:* ]] || fail "$(mark 'd2 xl nodes')"
	# The same lines as pvbuild's guest printed, but for xl's own MAC.
	diff -u <(sed -n "s/^@@XENVM d2 guest //p" "$VMLOG" | sed 's/mac=.*/mac=M/') \
		<(sed -n "s/^@@XENVM d2 xl-guest //p" "$VMLOG" | sed 's/mac=.*/mac=M/') >&2 ||
		fail "pvbuild's guest (-) and xl's (+) said different things"
	run mark 'd2 xl token'
	assert_output 'found=1'
	run mark 'd2 xl after'
	assert_output "domains=0 xenstore=0 vm=0 $(devices_before)"
}

@test "xl destroy of a running pvbuild domain with a disk and a NIC leaves no backend node and no loop device" {
	local line
	# The guest is up from its disk (it holds on after its ping), running
	# or blocked, and holds one more of each than before.
	run mark 'd4 running'
	assert_output --regexp '^state=(r-|-b)---- '
	line=$(mark 'd4 running')
	[ "$(field vbd "$line")" = $(($(field vbd "$(devices_before)") + 1)) ] || fail "$line"
	[ "$(field vif "$line")" = $(($(field vif "$(devices_before)") + 1)) ] || fail "$line"
	[ "$(field loops "$line")" = 1 ] || fail "$line"
	run mark 'd4 destroy'
	assert_output rc=0
	run mark 'd4 after'
	assert_output "domains=0 xenstore=0 vm=0 $(devices_before)"
}

# PVH domains (tests/xenvm/pvh.sh): Xen runs them with HAP, which QEMU's
# CPU offers with +svm,+npt.

# pvh_guest pv|xl: what p1's guest of that build printed about itself.
pvh_guest() {
	sed -n "s/^@@XENVM p1 guest-$1 //p" "$VMLOG"
}

@test "Xen in the VM offers HVM guests (HAP), which PVH needs" {
	run mark caps
	assert_output --partial 'hvm-3.0-x86_32'
}

@test "Debian's Linux built by pvbuild as PVH boots on Xen with its 2 vCPUs, 512 MiB and command line, and finalize --wait destroys it on poweroff" {
	local line
	line=$(mark 'p1 pv')
	[[ "$(field domid "$line")" =~ ^[1-9][0-9]*$ ]] || fail "no domain: $line / $(mark 'p1 pv err')"
	run sed -n 's/^@@XENVM p1 pv out //p' "$VMLOG"
	assert_line --regexp "^domain: xen domid $(field domid "$line") \(pvh, 131072 pages, entry 0x[0-9a-f]+, start_info 0x[0-9a-f]+\)$"
	assert_line 'shutdown: poweroff'
	run mark 'p1 pv done'
	assert_output --regexp '^@@GUEST done\|' || fail "$(mark 'p1 pv err') $(sed -n 's/^@@XENVM p1 pv log //p' "$VMLOG")"
	run mark 'p1 pv cmdline'
	assert_output --regexp '^console=hvc0 quiet pvtag=p1 pvshow'
	run pvh_guest pv
	assert_line 'nproc 2'
	assert_line --regexp '^MemTotal: [0-9]+ kB$'
	local kb
	kb=$(pvh_guest pv | sed -n 's/^MemTotal: \([0-9]*\) kB$/\1/p')
	# 512 MiB less what Linux keeps for itself: its image and early tables.
	[ "$kb" -gt $((400 * 1024)) ] && [ "$kb" -le $((512 * 1024)) ] ||
		fail "MemTotal $kb kB for 512 MiB"
	line=$(mark 'p1 pv wait')
	[ "$(field rc "$line")" = 0 ] || fail "$line / $(mark 'p1 pv err')"
	[ "$(field listed "$line")" = no ] || fail "still listed: $line"
	nothing_left 'p1'
}

@test "Linux as PVH sees the same vCPUs and MemTotal under pvbuild as under xl create type=pvh, and both build times are shown" {
	xl_side
	local xl pv
	xl=$(mark 'p1 xl')
	[ "$(field rc "$xl")" = 0 ] || fail "xl create failed: $xl / $(mark 'p1 xl err')"
	run mark 'p1 xl done'
	assert_output --regexp '^@@GUEST done\|'
	run pvh_guest xl
	assert_line 'nproc 2'
	pv=$(pvh_guest pv | sed -n 's/^MemTotal: \([0-9]*\) kB$/\1/p')
	xl=$(pvh_guest xl | sed -n 's/^MemTotal: \([0-9]*\) kB$/\1/p')
	echo "# PVH, 512 MiB, 2 vCPUs, build times in the VM (TCG): xl create" \
		"$(field build "$(mark 'p1 xl')") s, pvbuild build --wait" \
		"$(field build "$(mark 'p1 pv')") s; MemTotal: pvbuild's $pv kB, xl's $xl kB" >&3
	assert_equal "$(pvh_guest pv | grep nproc)" "$(pvh_guest xl | grep nproc)"
	[ -n "$xl" ] || fail "xl's guest reported no MemTotal"
	assert_equal "$pv" "$xl"
}

@test "the self-checking PVH test guest built by pvbuild checks its entry state, hvm_start_info, memory map, initrd, ACPI and special pages on Xen and reports PASS on the debug port" {
	built 'p2'
	run mark 'p2 verdict'
	assert_output --regexp '^PASS\|[0-9.]+$' ||
		fail "$(sed -n 's/^@@XENVM p2 log //p' "$VMLOG")"
	run sed -n 's/^@@XENVM p2 log //p' "$VMLOG"
	local c
	for c in entry start_info cmdline memmap module acpi vcpus special; do
		assert_line --regexp "\\(d[0-9]+\\) check $c ok\$"
	done
	nothing_left 'p2'
}

# Under xl the guest's memmap and module checks fail, as the README's
# PVH differences say they would: Xen lists the RSDP's entry first, and
# gives a gzip'd initrd's length as its trailer's plus 16.
@test "the self-checking PVH test guest finds its eight special pages under xl create type=pvh as under pvbuild" {
	xl_side
	built 'p2 xl'
	run mark 'p2 xl verdict'
	assert_output --regexp '^(PASS|FAIL [a-z_]+)\|[0-9.]+$' ||
		fail "no verdict: $(mark 'p2 xl err')"
	run sed -n 's/^@@XENVM p2 xl log //p' "$VMLOG"
	assert_line --regexp "\\(d[0-9]+\\) check special ok\$"
	nothing_left 'p2 xl'
}

@test "a PVH domain of a memory size Xen cannot give fails half-way with exit 3 and leaves no domain and no xenstore node" {
	local line
	line=$(mark 'p3 mem')
	[ "$(field rc "$line")" = 3 ] || fail "$line / $(mark 'p3 mem err')"
	[ "$(field stdout "$line")" = 0 ] || fail "wrote to stdout: $line"
	run mark 'p3 mem err'
	assert_output --regexp '^finalize: xen: populating gfns 0x[0-9a-f]+-0x[0-9a-f]+: '
	nothing_left 'p3'
}
