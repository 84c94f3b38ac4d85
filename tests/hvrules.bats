#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# finalize refuses what a hypervisor enforces on a PV guest's initial state
# (stages/finalize/hvrules.c): each test builds a real plan, edits one field and
# expects exit 1, one line on stderr naming the field, nothing on stdout
# and no domain directory; the plans the stages write, and what Xen 4.17
# takes unchanged, still build.
bats_require_minimum_version 1.5.0
load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# The plan of each ABI's test guest, at 32 MiB, in $T/4-pagetables.json;
# x64-basic asks for INIT_P2M, so its tables have two mappings.
plan13() { plan_to pagetables "$GUESTS/basic.elf" --memory 32M; }
plan32p() { plan_to pagetables "$GUESTS/pae-basic.elf" --memory 32M; }
plan64() { plan_to pagetables "$GUESTS/x64-basic.elf" --memory 32M; }

# refused MESSAGE 'python edit on p' [BACKEND]: the edited plan is refused.
refused() {
	local message=$1 edit=$2 backend=${3:-sim}
	edit_plan "$T/4-pagetables.json" "$T/bad.json" "$edit"
	if [ "$backend" = sim ]; then
		run -1 --separate-stderr "$BIN/finalize" --backend sim \
			--out "$T/dom" "$T/bad.json"
	else
		run -1 --separate-stderr "$BIN/finalize" --backend xen \
			"$T/bad.json"
	fi
	assert_output ''
	[[ $stderr == "finalize: "* ]]
	assert_stderr --partial "$message"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ ! -e "$T/dom" ]
	run compgen -G "$T/.dom.pvbuild-*"
	assert_failure
}

# accepted 'python edit on p': the edited plan builds (its domain is then
# removed, so that a refusal after it finds no directory).
accepted() {
	edit_plan "$T/4-pagetables.json" "$T/ok.json" "$1"
	run -0 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/ok.json"
	[ -z "$stderr" ]
	[ -f "$T/dom/domain.json" ]
	rm -r "$T/dom"
}

# Edits: vcpu FIELD VALUE, flags TABLE MAP VALUE, addmap TABLE INDEX PFN
# FLAGS (a one-entry map at the end), each printing the Python statement.
vcpu() { printf 'p["populate"]["vcpu"]["%s"] = "%s"' "$1" "$2"; }
flags() {
	printf 'p["pagetables"]["tables"][%s]["maps"][%s]["flags"] = "%s"' \
		"$1" "$2" "$3"
}
addmap() {
	printf 'p["pagetables"]["tables"][%s]["maps"].append({"index": %s, ' \
		"$1" "$2"
	printf '"count": 1, "pfn": %s, "flags": "%s"})' "$3" "$4"
}
TB='p["pagetables"]["tables"]'

@test "the plans the stages write build, on all three ABIs" {
	for abi in 13 32p 64; do
		"plan$abi"
		accepted 'pass'
	done
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 1G \
		--initrd "$GUESTS/initrd.img.gz"
	accepted 'pass'
	plan_to pagetables "$GUESTS/pae-basic.elf" --memory 1G \
		--initrd "$GUESTS/initrd.img"
	accepted 'pass'
}

@test "vCPU flags: IOPL above 0 is refused (0x3202, 0x1200)" {
	plan13
	refused 'populate.vcpu.flags: IOPL 3 in 0x3202' "$(vcpu flags 0x3202)"
	plan64
	refused 'populate.vcpu.flags: IOPL 1 in 0x1200' "$(vcpu flags 0x1200)"
}

@test "vCPU flags: interrupts off is refused, as Xen turns IF on" {
	plan32p
	refused 'populate.vcpu.flags: 0x2 has interrupts off' \
		"$(vcpu flags 0x2)"
}

@test "vCPU flags: virtual-8086 mode and reserved bits are refused" {
	plan13
	refused 'populate.vcpu.flags: 0x20202 asks for virtual-8086' \
		"$(vcpu flags 0x20202)"
	refused 'populate.vcpu.flags: 0x400202 sets reserved bits 0x400000' \
		"$(vcpu flags 0x400202)"
}

@test "vCPU flags Xen takes unchanged build (arithmetic flags, bit 1, DF)" {
	plan64
	accepted "$(vcpu flags 0x6c7)"
}

@test "code selector: a ring-0 cs (0xe008) is refused on every ABI" {
	for abi in 13 32p 64; do
		"plan$abi"
		refused 'populate.vcpu.cs: 0xe008 is not the flat code selector' \
			"$(vcpu cs 0xe008)"
	done
	# The other ring's flat selector is no better.
	plan32p
	refused 'populate.vcpu.cs: 0xe02b' "$(vcpu cs 0xe02b)"
}

@test "stack selectors: ss and kernel_ss other than the flat one are refused" {
	plan32p
	refused 'populate.vcpu.ss: 0xe033' "$(vcpu ss 0xe033)"
	plan64
	refused 'populate.vcpu.kernel_ss: 0xe010' "$(vcpu kernel_ss 0xe010)"
	refused 'populate.vcpu.ss: 0x0' "$(vcpu ss 0x0)"
}

@test "trap and callback code selectors: only the flat one, or 0 for xen-3.0" {
	plan13
	refused 'populate.vcpu.trap_cs: 0x0' "$(vcpu trap_cs 0x0)"
	plan64
	refused 'populate.vcpu.callback_cs: 0xe008' "$(vcpu callback_cs 0xe008)"
	accepted "$(vcpu trap_cs 0xe033)"
}

@test "data selectors: a ring-0 one is refused; null and the flat stack selector build" {
	plan13
	refused 'populate.vcpu.ds: 0xe010' "$(vcpu ds 0xe010)"
	accepted "$(vcpu ds 0x0); $(vcpu gs 0x0)"
	plan32p
	refused 'populate.vcpu.fs: 0xe033' "$(vcpu fs 0xe033)"
	accepted "$(vcpu es 0x0)"
	plan64
	accepted "$(vcpu ds 0xe02b)"
}

@test "vm_assist: an assist Xen does not offer the guest's width is refused" {
	plan32p
	refused 'populate.vcpu.vm_assist: 0x48 asks for 0x40' \
		"$(vcpu vm_assist 0x48)"
	plan64
	refused 'populate.vcpu.vm_assist: 0x200000000 asks for 0x200000000' \
		"$(vcpu vm_assist 0x200000000)"
	# m2p_strict (bit 32) is a 64-bit guest's to ask for.
	accepted "$(vcpu vm_assist 0x100000004)"
}

@test "start_info flags: the privileged and initdomain flags are refused for a domU" {
	plan13
	refused 'populate.start_info.flags: 3 sets SIF_PRIVILEGED or SIF_INITDOMAIN' \
		'p["populate"]["start_info"]["flags"] = 3'
	plan64
	refused 'populate.start_info.flags: 17 sets SIF_PRIVILEGED' \
		'p["populate"]["start_info"]["flags"] = 17'
	refused 'populate.start_info.flags: 272 sets 0x100' \
		'p["populate"]["start_info"]["flags"] = 272'
}

@test "stack: sp and kernel_sp must be a stack top in the mapped, writable region" {
	plan13
	refused 'populate.vcpu.sp: 0x0 is no stack top' "$(vcpu sp 0x0)"
	# The top of the page tables: its first push lands in a read-only page.
	refused 'populate.vcpu.sp: 0xc001d000' "$(vcpu sp 0xc001d000)"
	refused 'populate.vcpu.kernel_sp: 0xc0401000' \
		"$(vcpu kernel_sp 0xc0401000)"
	# An L2 entry without RW makes every page under it read-only.
	refused 'populate.vcpu.sp: 0xc001f000' "$(flags 0 0 0x65)"
	plan64
	refused 'populate.vcpu.sp: 0x0 is no stack top' "$(vcpu sp 0x0)"
}

@test "start_info: vcpu.si must point at start_info" {
	plan32p
	refused 'populate.vcpu.si: 0xc0110000 is not start_info' \
		"$(vcpu si 0xc0110000)"
}

@test "L1 flags: User, cache and Global bits (0x27, 0xf7f) are refused; Dirty builds" {
	plan13
	refused 'pagetables.tables[1].maps[0].flags: 0x27 sets 0x4' \
		"$(flags 1 0 0x27)"
	refused 'pagetables.tables[1].maps[0].flags: 0xf7f sets 0xf1c' \
		"$(flags 1 0 0xf7f)"
	plan64
	refused 'pagetables.tables[3].maps[0].flags: 0x123 sets 0x100' \
		"$(flags 3 0 0x123)"
	accepted "$(flags 3 0 0x63)"
}

@test "upper flags: PWT, PCD and Global refused; what Xen would add is required on x86_64" {
	plan13
	refused 'pagetables.tables[0].maps[0].flags: 0x167 sets 0x100' \
		"$(flags 0 0 0x167)"
	refused 'pagetables.tables[0].maps[0].flags: 0x77 sets 0x10' \
		"$(flags 0 0 0x77)"
	# Xen takes an L2 entry without Dirty as it is.
	accepted "$(flags 0 0 0x27)"
	plan64
	refused 'pagetables.tables[2].maps[0].flags: 0x63 lacks 0x4' \
		"$(flags 2 0 0x63)"
	refused 'pagetables.tables[0].maps[0].flags: 0x47 lacks 0x20' \
		"$(flags 0 0 0x47)"
}

@test "PAE L3 flags: anything but Present (0x67) is refused" {
	plan32p
	refused 'pagetables.tables[0].maps[0].flags: 0x67 sets 0x66' \
		"$(flags 0 0 0x67)"
	refused 'pagetables.tables[0].maps[0].flags: 0x9 sets 0x8' \
		"$(flags 0 0 0x9)"
}

@test "the top-level table left out of pagetables.tables is refused" {
	plan13
	refused 'pagetables.tables: the top-level table (pfn 27) is missing' \
		"del $TB[0]"
	plan64
	refused 'pagetables.tables: the top-level table' "del $TB[0]"
}

@test "aliasing: a table referenced twice is refused" {
	plan13
	refused 'pagetables.tables[0].maps[1].pfn: table pfn 28 is referenced again' \
		"$(addmap 0 769 28 0x67)"
	# The L2 that L3 entry 3 names, named again by entry 2.
	plan32p
	refused 'pagetables.tables[0].maps[1].pfn: table pfn 275 is referenced again' \
		"$(addmap 0 2 275 0x1); $TB[0][\"maps\"].sort(key=lambda m: m[\"index\"])"
	plan64
	refused 'table pfn 4376 is referenced again' \
		"$(addmap 2 10 4376 0x67)"
}

@test "a table no entry references is refused" {
	plan13
	refused 'pagetables.tables[1]: pfn 28 is referenced by no entry' \
		"$TB[0][\"maps\"] = []"
}

@test "PAE: an L3 without entry 3 is refused" {
	plan32p
	refused 'pagetables.tables[0].maps: no L3 entry 3' \
		"$TB[0][\"maps\"][0][\"index\"] = 2"
}

@test "the hypervisor's area: xen-1.3 L2 1010, PAE L2 511 under L3 3, x86_64 L4 256 are refused" {
	plan13
	refused 'pagetables.tables[0].maps[0].index: entry 1010 covers 0xfc800000, in the hypervisor' \
		"$TB[0][\"maps\"][0][\"index\"] = 1010"
	plan32p
	refused 'pagetables.tables[1].maps[1].index: entry 511 covers 0xffe00000, in the hypervisor' \
		"$TB[1][\"maps\"][0][\"count\"] = 1; $(addmap 1 511 277 0x67)"
	# The first L2 entry of Xen's, from __HYPERVISOR_COMPAT_VIRT_START.
	refused 'entry 428 covers 0xf5800000' \
		"$TB[1][\"maps\"][0][\"count\"] = 1; $(addmap 1 428 277 0x67)"
	plan64
	refused 'pagetables.tables[0].maps[0].index: entry 256 covers 0xffff800000000000, in the hypervisor' \
		"$TB[0][\"maps\"][0][\"index\"] = 256"
	refused 'entry 271 covers 0xffff878000000000' \
		"$TB[0][\"maps\"][0][\"index\"] = 271"
	# Slot 272 is the guest's again: not the hypervisor's, though not
	# where pagetables put the entry either.
	refused 'pagetables.tables[0].maps[0].index: not what pagetables plans from the layout' \
		"$TB[0][\"maps\"][0][\"index\"] = 272"
	[[ $stderr != *hypervisor* ]]
}

@test "layout.cmdline over 65536 bytes is refused by finalize and every reader" {
	plan13
	refused 'layout.cmdline: longer than 65536 bytes' 'p["layout"]["cmdline"] = "x" * 100000'
	edit_plan "$T/2-layout.json" "$T/bad2.json" 'p["layout"]["cmdline"] = "x" * 65537'
	run -1 --separate-stderr "$BIN/populate" "$T/bad2.json"
	assert_stderr --partial 'layout.cmdline: longer than 65536 bytes'
	accepted 'p["layout"]["cmdline"] = "x" * 65536; p["populate"]["start_info"]["cmd_line_length"] = 255'
}

@test "the rules hold on every backend: --backend xen refuses before it looks for Xen" {
	plan64
	refused 'populate.vcpu.flags: IOPL 3' "$(vcpu flags 0x3200)" xen
	refused 'pagetables.tables[3].maps[0].flags: 0x27 sets 0x4' \
		"$(flags 3 0 0x27)" xen
}
