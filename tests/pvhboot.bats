#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# PVH domains started for real: the self-checking PVH test guest
# (tests/guests/pvh-guest.c, pvh-check) under QEMU's own PVH loader, which
# proves the guest without pvbuild, and under bin/boot, which runs a PVH
# sim domain in QEMU with its firmware (boot/pvh_rom.S). The guest checks
# its entry registers, hvm_start_info, command line, memory map, initrd
# module and ACPI tables, one "check NAME ok|FAIL: reason" line each, then
# "PASS" or "FAIL NAME" (the first that failed); a damaged domain makes it
# name the check that caught it, and a domain.json boot cannot enter is
# refused by boot naming the member.
#
# The domains are pvbuild's (pvbuild build --pvh) and, for the damage,
# tests/mkpvhdomain.py's, the contract's second writer, which builds them
# with their ACPI tables right above the RAM (faster to boot than ROM at
# 0xfc000000). Debian's Linux, a pvbuild PVH domain under boot, reaches
# its /init beside QEMU's own PVH loader on the same kernel.
bats_require_minimum_version 1.5.0
load helper

CHECKS="entry start_info cmdline memmap module acpi vcpus"

need_qemu() {
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed (Debian qemu-system-x86)"
}

# The command line pvh-check checks itself against: pvh_cmdline PAGES VCPUS
pvh_cmdline() {
	"$PY" -B "$TOP/tests/guests/guest-cmdline.py" --vcpus "$2" "$1" \
		"$GUESTS/initrd.img"
}

# qemu_loader VCPUS PAGES EXPECT_VCPUS [QEMU ARGS...]: pvh-check and the
# initrd under QEMU's own PVH loader (SeaBIOS, QEMU's ACPI), 64 MiB and
# VCPUS vCPUs, told to expect PAGES pages and EXPECT_VCPUS vCPUs, its
# COM1 on standard output. isa-debug-exit: the verdict v exits QEMU with
# (v << 1) | 1.
qemu_loader() {
	local vcpus=$1 pages=$2 expect=$3
	shift 3
	qemu-system-x86_64 -nographic -nodefaults -no-reboot -accel tcg \
		-m 64M -smp "$vcpus" -kernel "$GUESTS/pvh-check.elf" \
		-initrd "$GUESTS/initrd.img" -append "$(pvh_cmdline "$pages" "$expect")" \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=1 "$@"
}

# make_pvh DIR MIB VCPUS [mkpvhdomain options...]: a pvh-check domain
# with the initrd fixture, expecting what it is given.
make_pvh() {
	local dir=$1 mib=$2 vcpus=$3
	shift 3
	"$PY" -B "$TOP/tests/mkpvhdomain.py" --memory "$mib" --vcpus "$vcpus" \
		--initrd "$GUESTS/initrd.img" \
		--cmdline "$(pvh_cmdline $((mib * 256)) "$vcpus")" "$@" \
		"$GUESTS/pvh-check.elf" "$dir"
}

# A copy of the shared 32 MiB, 2-vCPU domain to damage.
damaged() {
	cp -r --sparse=always "$BATS_FILE_TMPDIR/pvh32" "$BATS_TEST_TMPDIR/dom"
	echo "$BATS_TEST_TMPDIR/dom"
}

# pvh_edit DIR 'python': edit a domain, with `doc` its domain.json (saved
# after), rd(gpa, n) and wr(gpa, bytes) its memory, si hvm_start_info's
# gpa, and table(sig) the gpa of an ACPI table found from its rsdp_paddr
# (offset 32) by way of the XSDT.
pvh_edit() {
	"$PY" -B -c 'import json, os, struct, sys
d = sys.argv[1]
doc = json.load(open(os.path.join(d, "domain.json")))
mem = open(os.path.join(d, "machine.mem"), "r+b")
def rd(gpa, n):
    mem.seek(gpa)
    return mem.read(n)
def wr(gpa, b):
    mem.seek(gpa)
    mem.write(b)
si = int(doc["start_info"]["gpa"], 16)
def table(sig):
    rsdp, = struct.unpack("<Q", rd(si + 32, 8))
    xsdt, = struct.unpack("<Q", rd(rsdp + 24, 8))
    n = (struct.unpack("<I", rd(xsdt + 4, 4))[0] - 36) // 8
    for i in range(n):
        a, = struct.unpack("<Q", rd(xsdt + 36 + 8 * i, 8))
        if rd(a, 4) == sig:
            return a
    raise SystemExit("no %s" % sig)
exec(sys.argv[2])
mem.close()
with open(os.path.join(d, "domain.json"), "w") as f:
    json.dump(doc, f, indent=2, sort_keys=True)' "$1" "$2"
}

# The guest ran, and the first check that failed is NAME: exit 1 (its
# verdict), "check NAME FAIL: ...REASON...", "FAIL NAME".
assert_guest_fails() {
	assert_failure 1
	assert_line --partial "check $1 FAIL: "
	assert_line --partial "$2"
	assert_line "FAIL $1"
	assert_stderr --partial "boot: verdict 1 (fail)"
}

# boot refused the domain before it ran: exit 1, the message, no output.
assert_refused() {
	assert_failure 1
	assert_output ""
	assert_stderr --partial "boot: $1"
	refute_stderr_path
}

refute_stderr_path() {
	[[ "$stderr" != *"boot: path "* ]] || {
		echo "boot chose a path for a domain it should have refused" >&2
		return 1
	}
}

# refuses 'EDIT' MESSAGE: boot refuses a copy of the shared domain edited
# by pvh_edit's EDIT before it runs: exit 1, the message, no output.
refuses() {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" "$1"
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "$2"
}

# guest_fails 'EDIT' CHECK TEXT: in a copy of the shared domain edited by
# EDIT, the guest's first failed check is CHECK, for a reason with TEXT.
guest_fails() {
	need_qemu
	local dom
	dom=$(damaged)
	pvh_edit "$dom" "$1"
	run --separate-stderr "$BIN/boot" "$dom"
	assert_guest_fails "$2" "$3"
}

setup_file() {
	command -v qemu-system-x86_64 >/dev/null || return 0
	make_pvh "$BATS_FILE_TMPDIR/pvh32" 32 2 --acpi-at 0
}

setup() {
	cd "$TOP"
}

@test "pvh-check declares a PHYS32_ENTRY note and no PV notes" {
	run -0 readelf -n "$GUESTS/pvh-check.elf"
	assert_output --partial "Unknown note type: (0x00000012)"
	[ "$(grep -c '^  Xen ' <<<"$output")" = 1 ]
}

@test "pvh-check passes under QEMU's own PVH loader, on COM1 and on port 0xE9" {
	need_qemu
	run -1 --separate-stderr qemu_loader 3 16384 3 \
		-debugcon "file:$BATS_TEST_TMPDIR/e9"
	for c in $CHECKS; do
		assert_line "check $c ok"
	done
	assert_line PASS
	refute_output --partial FAIL
	# The same lines on both, but what SeaBIOS wrote before on COM1.
	diff -u <(grep -a '^pvh-check: \|^check \|^PASS' <<<"$output") \
		<(grep -av '^$' "$BATS_TEST_TMPDIR/e9")
}

@test "pvh-check under QEMU's loader fails vcpus when it has fewer vCPUs than it expects" {
	need_qemu
	run -3 --separate-stderr qemu_loader 1 16384 2
	assert_line "check acpi ok"
	assert_line "check vcpus FAIL: 1 enabled local APICs, expected 2 vCPUs"
	assert_line "FAIL vcpus"
}

@test "pvh-check under QEMU's loader fails memmap when it has more memory than it expects" {
	need_qemu
	run -3 --separate-stderr qemu_loader 1 8192 1
	assert_line --partial "check memmap FAIL: "
	assert_line "FAIL memmap"
}

@test "boot runs a PVH domain in QEMU, and pvh-check passes" {
	need_qemu
	run -0 --separate-stderr "$BIN/boot" "$BATS_FILE_TMPDIR/pvh32"
	for c in $CHECKS; do
		assert_line "check $c ok"
	done
	assert_line PASS
	refute_output --partial FAIL
	assert_stderr --partial "boot: path qemu (pvh: boot runs PVH domains in QEMU)"
	assert_stderr --partial "boot: qemu: pvh domain"
	assert_stderr --partial "boot: verdict 0 (pass)"
}

@test "boot runs a PVH domain pvbuild builds, and pvh-check passes" {
	need_qemu
	"$BIN/pvbuild" build "$GUESTS/pvh-check.elf" --pvh --memory 32M \
		--vcpus 3 --initrd "$GUESTS/initrd.img" \
		--cmdline "$(pvh_cmdline 8192 3)" --out "$BATS_TEST_TMPDIR/dom" \
		>/dev/null
	run -0 --separate-stderr "$BIN/boot" "$BATS_TEST_TMPDIR/dom"
	for c in $CHECKS; do
		assert_line "check $c ok"
	done
	assert_line PASS
	assert_stderr --partial "boot: qemu: pvh domain $BATS_TEST_TMPDIR/dom ("
	assert_stderr --partial ", 3 vCPUs)"
	# Edited after the build, its hvm_start_info is caught.
	pvh_edit "$BATS_TEST_TMPDIR/dom" 'wr(si + 4, struct.pack("<I", 0))'
	run -1 --separate-stderr "$BIN/boot" "$BATS_TEST_TMPDIR/dom"
	assert_line "check start_info FAIL: version 0: no memory map (1 or later expected)"
	assert_line "FAIL start_info"
}

@test "boot maps a PVH domain's ACPI tables at 0xfc000000, where libxl puts them, as ROM" {
	need_qemu
	make_pvh "$BATS_TEST_TMPDIR/dom" 32 1
	run -0 --separate-stderr "$BIN/boot" "$BATS_TEST_TMPDIR/dom"
	assert_line "check acpi ok"
	assert_line PASS
	assert_stderr --partial "RAM 0x0-0x2000000, ROM from 0xfc000000"
}

@test "boot leaves a PVH domain's files as they were" {
	need_qemu
	local dom
	dom=$(damaged)
	sha256sum "$dom"/* >"$BATS_TEST_TMPDIR/before"
	run -0 "$BIN/boot" "$dom"
	sha256sum "$dom"/* | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "a PVH domain whose hvm_start_info magic is edited fails start_info" {
	guest_fails 'wr(si, struct.pack("<I", 0x336ec579))' \
		start_info "magic 0x336ec579"
	refute_line --partial "check cmdline"
}

@test "a PVH domain whose EBX is not hvm_start_info's address fails start_info" {
	guest_fails 'doc["vcpu"]["ebx"] = "0x%x" % (si + 0x1000)' \
		start_info "at ebx"
}

@test "a PVH domain whose MADT checksum is wrong fails acpi" {
	guest_fails 'a = table(b"APIC"); wr(a + 9, bytes([rd(a + 9, 1)[0] ^ 1]))' \
		acpi "APIC at"
	assert_line --partial "checksum"
	assert_line "check vcpus FAIL: not checked: acpi failed"
}

@test "a PVH domain whose command line contradicts its expectation fails cmdline" {
	# expect_pages=8192 becomes 8193: the sum no longer matches.
	guest_fails 'c, = struct.unpack("<Q", rd(si + 24, 8))
line = rd(c, 200)
at = line.index(b"expect_pages=8192") + len("expect_pages=819")
wr(c + at, b"3")' cmdline "is not the command line whose sum is"
	assert_line "check memmap FAIL: not checked: cmdline failed"
}

@test "a PVH domain entered with a writable CR0 bit beyond PE fails entry" {
	# 0x31: ET reads as 1 whatever is written.
	guest_fails 'doc["vcpu"]["cr0"] = "0x21"' \
		entry "cr0 0x31: of its writable bits only PE"
}

@test "a PVH domain entered with a data segment based above 0 fails entry" {
	guest_fails 'doc["vcpu"]["es_base"] = "0x1000"' \
		entry "es not flat"
}

@test "a PVH domain whose MADT enables fewer CPUs than it has vCPUs fails vcpus" {
	# The second local APIC's flags, 0: disabled; the checksum made good.
	guest_fails 'a = table(b"APIC"); n = struct.unpack("<I", rd(a + 4, 4))[0]
wr(a + 52 + 4, struct.pack("<I", 0))
t = bytearray(rd(a, n)); t[9] = 0; t[9] = (-sum(t)) & 0xff; wr(a, bytes(t))' \
		vcpus "1 enabled local APICs, expected 2 vCPUs"
}

@test "boot refuses a PVH domain whose vcpu.cr0 turns paging on" {
	refuses 'doc["vcpu"]["cr0"] = "0x80000001"' \
		"domain.json: vcpu.cr0 0x80000001 is not protected mode with paging off"
}

@test "boot refuses a PVH domain whose cs is a data segment" {
	refuses 'doc["vcpu"]["cs_ar"] = "0xc93"' \
		"domain.json: vcpu.cs_ar 0xc93: not 32-bit ring-0 code"
}

@test "boot refuses a PVH domain whose segment limit a descriptor cannot hold" {
	refuses 'doc["vcpu"]["ds_limit"] = "0xfffff000"' \
		"domain.json: vcpu.ds_limit 0xfffff000 is not one a descriptor holds"
}

@test "boot refuses a PVH domain whose tr is not a 32-bit TSS" {
	refuses 'doc["vcpu"]["tr_ar"] = "0x83"' \
		"domain.json: vcpu.tr_ar 0x83: not a 32-bit TSS"
}

@test "boot refuses a PVH domain whose eip is not a 32-bit value" {
	refuses 'doc["vcpu"]["eip"] = "0x100000000"' \
		"domain.json: vcpu.eip 0x100000000 is not a 32-bit value"
}

@test "boot refuses a PVH domain whose vcpu lacks a register" {
	refuses 'del doc["vcpu"]["ebx"]' \
		"domain.json: vcpu.ebx"
}

@test "boot refuses a PVH domain with EFLAGS' TF set" {
	refuses 'doc["vcpu"]["eflags"] = "0x102"' \
		"domain.json: vcpu.eflags 0x102"
}

@test "boot refuses a PVH domain whose memory map is out of order" {
	refuses 'doc["memory_map"].reverse()' \
		"domain.json: memory_map[1]: addr 0x2000000 is below the end of the entry before it, 0x2006000"
}

@test "boot refuses a PVH domain whose RAM runs past its machine" {
	refuses 'doc["memory_map"][0]["size"] = "0x10000000"' \
		"domain.json: memory_map[0]: RAM 0x0-0x10000000 is not whole frames of the machine's"
}

@test "boot refuses a PVH domain whose nr_pages is not its map's RAM" {
	refuses 'doc["nr_pages"] += 1' \
		"domain.json: memory_map: 8192 pages of RAM, not nr_pages 8193"
}

@test "boot refuses a PVH domain whose start_info lies above its RAM" {
	refuses 'doc["start_info"]["gpa"] = "0xfffff000"' \
		"domain.json: start_info.gpa 0xfffff000 is not an aligned address below the memory map's last RAM, 0x2000000"
}

@test "boot refuses a PVH domain with no vCPU" {
	refuses 'doc["vcpus"] = 0' \
		"domain.json: vcpus 0 is not in 1..32"
}

@test "boot refuses a PVH domain whose machine.mem is shorter than its frames" {
	local dom
	dom=$(damaged)
	truncate -s 4096 "$dom/machine.mem"
	run -1 --separate-stderr "$BIN/boot" "$dom"
	assert_output ""
	assert_stderr --partial "/machine.mem: 4096 bytes, not the 8198 frames domain.json names"
}

@test "boot --with kvm does not run a PVH domain, and says to use QEMU" {
	run -3 --separate-stderr "$BIN/boot" --with kvm "$BATS_FILE_TMPDIR/pvh32"
	assert_output ""
	assert_stderr --partial "boot: the kvm path does not run PVH domains; use --with qemu"
}

# Debian's busybox-static, fetched once into the download cache as
# tests/realimages.sh fetches the kernel (apt-get download, never
# installed), or skip saying why.
busybox() {
	local cache=${PVBUILD_DOWNLOADS:-$TOP/build/cache} tmp deb
	BUSYBOX=$cache/busybox-static/bin/busybox
	[ -x "$BUSYBOX" ] && return 0
	[ -z "${PVBUILD_OFFLINE:-}" ] ||
		skip "offline (PVBUILD_OFFLINE): busybox-static is not in $cache"
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
		skip "no apt-get or dpkg-deb to fetch busybox-static"
	mkdir -p "$cache" && tmp=$(mktemp -d "$cache/.tmp.XXXXXX") ||
		skip "cannot write to $cache"
	if ! (cd "$tmp" && apt-get download -q busybox-static) >/dev/null 2>&1; then
		rm -rf "$tmp"
		skip "cannot download busybox-static"
	fi
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb -x "$deb" "$tmp/root" && [ -x "$tmp/root/bin/busybox" ] &&
		mv -T "$tmp/root" "$cache/busybox-static" 2>/dev/null
	rm -rf "$tmp"
	[ -x "$BUSYBOX" ] || skip "busybox-static has no bin/busybox"
}

# linux_initrd FILE: an initramfs of busybox whose /init prints "@@PVH
# nproc=N MemTotal: M kB" on its standard output and through /dev/kmsg
# (boot's Linux has no serial interrupt: README, "PVH domains"), then
# ends the run: the verdict 0 on QEMU's isa-debug-exit port (0xF4)
# through /dev/port, else poweroff.
linux_initrd() {
	local root=$BATS_TEST_TMPDIR/initramfs
	mkdir -p "$root/bin" "$root/proc" "$root/dev"
	cp "$BUSYBOX" "$root/bin/busybox"
	cat >"$root/init" <<'EOF'
#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
M="@@PVH nproc=$($B nproc) $($B grep MemTotal /proc/meminfo | $B tr -s ' ')"
$B echo "$M"
$B echo "$M" >/dev/kmsg
$B printf '\000' | $B dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
$B poweroff -f
EOF
	chmod 755 "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$1"
}

# assert_marker N MIB: the marker with nproc N and a MemTotal of at most
# MIB and more than half of it.
assert_marker() {
	local line kb
	line=$(grep -a -m 1 "@@PVH nproc=$1 MemTotal: " <<<"$output") ||
		fail "no \"@@PVH nproc=$1\" line"
	kb=$(sed 's/.*MemTotal: \([0-9]*\) kB.*/\1/' <<<"$line")
	[ "$kb" -le $(($2 * 1024)) ] && [ "$kb" -gt $(($2 * 512)) ] ||
		fail "MemTotal $kb kB for $2 MiB"
}

@test "Debian's Linux as a pvbuild PVH domain boots under boot to its /init, as under QEMU's PVH loader" {
	need_qemu
	local list rc=0 kernel khz t0 t1 vmlinux cmdline
	list=$("$TOP/tests/realimages.sh" print 2>"$BATS_TEST_TMPDIR/why") || rc=$?
	[ "$rc" != 77 ] ||
		skip "Debian's kernel cannot be had: $(cat "$BATS_TEST_TMPDIR/why")"
	[ "$rc" = 0 ]
	kernel=$(awk '$1 == "linux" { print $2 }' <<<"$list")
	busybox
	linux_initrd "$BATS_TEST_TMPDIR/initrd.gz"
	# Under TCG Linux cannot calibrate its TSC against the PIT, and the
	# domain's ACPI is hardware-reduced with no HPET, as Xen's: its TSC
	# runs at the host's, which it is told (README, "PVH domains").
	khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	[ -n "$khz" ] || skip "no cpu MHz in /proc/cpuinfo for tsc_early_khz"
	cmdline="console=ttyS0 tsc_early_khz=$khz tsc=reliable"
	"$BIN/pvbuild" build "$kernel" --pvh --memory 256M --vcpus 2 \
		--initrd "$BATS_TEST_TMPDIR/initrd.gz" --cmdline "$cmdline" \
		--out "$BATS_TEST_TMPDIR/dom" >/dev/null
	t0=$(date +%s.%N)
	run -0 --separate-stderr "$BIN/boot" --timeout 120 "$BATS_TEST_TMPDIR/dom"
	t1=$(date +%s.%N)
	assert_marker 2 256
	assert_line --partial "Run /init as init process"
	echo "# boot: Debian's Linux to its /init and the verdict in $(echo "$t1 - $t0" | bc) s" >&3
	# The sanitizer pass runs boot, not QEMU's loader: that half is
	# make check's.
	[ "${PVBUILD_SAN:-0}" != 1 ] || return 0
	# QEMU's own loader takes the kernel's ELF, which the build left in
	# the cache (helper.bash's): the entry past its 256-byte header.
	vmlinux=$BATS_TEST_TMPDIR/vmlinux
	tail -c +257 "$(ls "$PVBUILD_CACHE"/*-bzimage-xz)" >"$vmlinux"
	readelf -n "$vmlinux" | grep -q "Unknown note type: (0x00000012)"
	t0=$(date +%s.%N)
	run -1 --separate-stderr timeout 120 qemu-system-x86_64 -nographic \
		-nodefaults -no-reboot -accel tcg -m 256M -smp 2 \
		-kernel "$vmlinux" -initrd "$BATS_TEST_TMPDIR/initrd.gz" \
		-append "$cmdline" -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=1
	t1=$(date +%s.%N)
	assert_marker 2 256
	echo "# QEMU's PVH loader: the same in $(echo "$t1 - $t0" | bc) s" >&3
}

@test "a PVH domain that faults at its first instruction ends without a verdict, exit 4" {
	need_qemu
	local dom
	dom=$(damaged)
	# A 4 KiB code segment: eip 0x100000 lies past its limit (#GP, and
	# with no IDT of the guest's, a triple fault).
	pvh_edit "$dom" 'doc["vcpu"]["cs_limit"] = "0xfff"'
	run -4 --separate-stderr "$BIN/boot" "$dom"
	assert_output ""
	assert_stderr --partial "boot: the guest reset or shut down (a triple fault?) without a verdict"
}

@test "a QEMU that fails to start is no pass of a PVH domain's, though it exits 1 as verdict 0 does" {
	local fake=$BATS_TEST_TMPDIR/fake
	mkdir -p "$fake"
	cat >"$fake/qemu-system-x86_64" <<'EOF'
#!/bin/sh
echo "qemu-system-x86_64: warning: only a warning" >&2
echo "qemu-system-x86_64: cannot start" >&2
exit 1
EOF
	chmod 755 "$fake/qemu-system-x86_64"
	PATH=$fake:$PATH run -3 --separate-stderr "$BIN/boot" "$BATS_FILE_TMPDIR/pvh32"
	assert_output ""
	assert_stderr --partial "boot: qemu-system-x86_64 exited 1 without a verdict: qemu-system-x86_64: cannot start"
	[[ "$stderr" != *"boot: verdict"* ]]
}
