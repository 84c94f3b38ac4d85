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
# The domains are made by tests/mkpvhdomain.py, the contract's second
# writer; Debian's Linux, booted the same way, reaches its /init.
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
	# isa-debug-exit: the verdict v exits QEMU with (v << 1) | 1.
	run -1 --separate-stderr qemu-system-x86_64 -nographic -nodefaults \
		-no-reboot -accel tcg -m 64M -smp 3 \
		-kernel "$GUESTS/pvh-check.elf" -initrd "$GUESTS/initrd.img" \
		-append "$(pvh_cmdline 16384 3)" -serial stdio \
		-debugcon "file:$BATS_TEST_TMPDIR/e9" \
		-device isa-debug-exit,iobase=0xf4,iosize=1
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
	run -3 --separate-stderr qemu-system-x86_64 -nographic -nodefaults \
		-no-reboot -accel tcg -m 64M -smp 1 \
		-kernel "$GUESTS/pvh-check.elf" -initrd "$GUESTS/initrd.img" \
		-append "$(pvh_cmdline 16384 2)" -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=1
	assert_line "check acpi ok"
	assert_line "check vcpus FAIL: 1 enabled local APICs, expected 2 vCPUs"
	assert_line "FAIL vcpus"
}

@test "pvh-check under QEMU's loader fails memmap when it has more memory than it expects" {
	need_qemu
	run -3 --separate-stderr qemu-system-x86_64 -nographic -nodefaults \
		-no-reboot -accel tcg -m 64M \
		-kernel "$GUESTS/pvh-check.elf" -initrd "$GUESTS/initrd.img" \
		-append "$(pvh_cmdline 8192 1)" -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=1
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
	need_qemu
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'wr(si, struct.pack("<I", 0x336ec579))'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_guest_fails start_info "magic 0x336ec579"
	refute_line --partial "check cmdline"
}

@test "a PVH domain whose EBX is not hvm_start_info's address fails start_info" {
	need_qemu
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["ebx"] = "0x%x" % (si + 0x1000)'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_guest_fails start_info "at ebx"
}

@test "a PVH domain whose MADT checksum is wrong fails acpi" {
	need_qemu
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'a = table(b"APIC"); wr(a + 9, bytes([rd(a + 9, 1)[0] ^ 1]))'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_guest_fails acpi "APIC at"
	assert_line --partial "checksum"
	assert_line "check vcpus FAIL: not checked: acpi failed"
}

@test "a PVH domain whose command line contradicts its expectation fails cmdline" {
	need_qemu
	local dom
	dom=$(damaged)
	# expect_pages=8192 becomes 8193: the sum no longer matches.
	pvh_edit "$dom" 'c, = struct.unpack("<Q", rd(si + 24, 8))
line = rd(c, 200)
at = line.index(b"expect_pages=8192") + len("expect_pages=819")
wr(c + at, b"3")'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_guest_fails cmdline "is not the command line whose sum is"
	assert_line "check memmap FAIL: not checked: cmdline failed"
}

@test "a PVH domain entered with a writable CR0 bit beyond PE fails entry" {
	need_qemu
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["cr0"] = "0x21"'
	run --separate-stderr "$BIN/boot" "$dom"
	# 0x31: ET reads as 1 whatever is written.
	assert_guest_fails entry "cr0 0x31: of its writable bits only PE"
}

@test "a PVH domain entered with a data segment based above 0 fails entry" {
	need_qemu
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["es_base"] = "0x1000"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_guest_fails entry "es not flat"
}

@test "a PVH domain whose MADT enables fewer CPUs than it has vCPUs fails vcpus" {
	need_qemu
	local dom
	dom=$(damaged)
	# The second local APIC's flags, 0: disabled; the checksum made good.
	pvh_edit "$dom" 'a = table(b"APIC"); n = struct.unpack("<I", rd(a + 4, 4))[0]
wr(a + 52 + 4, struct.pack("<I", 0))
t = bytearray(rd(a, n)); t[9] = 0; t[9] = (-sum(t)) & 0xff; wr(a, bytes(t))'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_guest_fails vcpus "1 enabled local APICs, expected 2 vCPUs"
}

@test "boot refuses a PVH domain whose vcpu.cr0 turns paging on" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["cr0"] = "0x80000001"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: vcpu.cr0 0x80000001 is not protected mode with paging off"
}

@test "boot refuses a PVH domain whose cs is a data segment" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["cs_ar"] = "0xc93"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: vcpu.cs_ar 0xc93: not 32-bit ring-0 code"
}

@test "boot refuses a PVH domain whose segment limit a descriptor cannot hold" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["ds_limit"] = "0xfffff000"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: vcpu.ds_limit 0xfffff000 is not one a descriptor holds"
}

@test "boot refuses a PVH domain whose tr is not a 32-bit TSS" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["tr_ar"] = "0x83"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: vcpu.tr_ar 0x83: not a 32-bit TSS"
}

@test "boot refuses a PVH domain whose eip is not a 32-bit value" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["eip"] = "0x100000000"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: vcpu.eip 0x100000000 is not a 32-bit value"
}

@test "boot refuses a PVH domain whose vcpu lacks a register" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'del doc["vcpu"]["ebx"]'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: vcpu.ebx"
}

@test "boot refuses a PVH domain with EFLAGS' TF set" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpu"]["eflags"] = "0x102"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: vcpu.eflags 0x102"
}

@test "boot refuses a PVH domain whose memory map is out of order" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["memory_map"].reverse()'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: memory_map[1]: addr 0x2000000 is below the end of the entry before it, 0x2006000"
}

@test "boot refuses a PVH domain whose RAM runs past its machine" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["memory_map"][0]["size"] = "0x10000000"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: memory_map[0]: RAM 0x0-0x10000000 is not whole frames of the machine's"
}

@test "boot refuses a PVH domain whose nr_pages is not its map's RAM" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["nr_pages"] += 1'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: memory_map: 8192 pages of RAM, not nr_pages 8193"
}

@test "boot refuses a PVH domain whose start_info lies outside its machine" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["start_info"]["gpa"] = "0xfffff000"'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: start_info.gpa 0xfffff000 is not an aligned address of the machine's"
}

@test "boot refuses a PVH domain with no vCPU" {
	local dom
	dom=$(damaged)
	pvh_edit "$dom" 'doc["vcpus"] = 0'
	run --separate-stderr "$BIN/boot" "$dom"
	assert_refused "domain.json: vcpus 0 is not in 1..32"
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
