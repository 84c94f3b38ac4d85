#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# PVH guests (README, "PVH"): elfinfo --pvh and its refusals, the layout's
# memory map, populate's hvm_start_info and ACPI tables, the empty page
# tables, the sim domain, and every reader's refusal of an edited plan.
# The small kernels come from tests/mkpvh.py; the facts a test expects
# are worked out here in Python from the image, not by the stages.
bats_require_minimum_version 1.5.0
load helper

setup_file() {
	"$PY" "$TOP/tests/mkpvh.py" "$BATS_FILE_TMPDIR/img"
	printf 'pvh initrd bytes\n' >"$BATS_FILE_TMPDIR/initrd"
}

IMG() { echo "$BATS_FILE_TMPDIR/img/$1"; }

# The stages of a PVH build into $BATS_TEST_TMPDIR: pvh_plan IMAGE ARGS...
pvh_plan() {
	local image=$1 d=$BATS_TEST_TMPDIR
	shift
	"$BIN/elfinfo" --pvh "$image" >"$d/1.json" &&
		"$BIN/layout" "$@" "$d/1.json" >"$d/2.json" &&
		"$BIN/populate" "$d/2.json" >"$d/3.json" &&
		"$BIN/pagetables" "$d/3.json" >"$d/4.json"
}

# The path of Debian's Linux (tests/realimages.sh), or skip saying why.
linux_image() {
	run "$TOP/tests/realimages.sh" print
	[ "$status" -ne 77 ] || skip "real images unavailable: $output"
	assert_success
	LINUX=$(printf '%s\n' "$output" | awk '$1 == "linux" { print $2 }')
	[ -n "$LINUX" ] || skip "realimages.sh names no linux"
}

# The image's loadable segments and PHYS32_ENTRY, read here with struct
# (checkdom.py's image reader undoes bzImage and compression), as JSON.
image_facts() {
	"$PY" -c '
import json, os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[2])
import checkdom as cd
e = cd.ElfImage(cd.read_image(sys.argv[1], "kernel"))
segs = [s for s in e.segments if s.loadable and s.memsz > 0]
print(json.dumps({"entry": hex(e.note_num(18)),
    "segments": sorted((hex(s.paddr), s.offset, s.filesz, s.memsz) for s in segs),
    "start": hex(min(s.paddr for s in segs)),
    "end": hex(max(s.paddr + s.memsz for s in segs))}, sort_keys=True))' \
		"$1" "$TOP/tests/checker"
}

# The plan's elfinfo in the same shape.
plan_facts() {
	"$PY" -c '
import json, sys
e = json.load(open(sys.argv[1]))["elfinfo"]
assert e["abi"] == "pvh" and e["paging_levels"] == 0, e["abi"]
assert all(s["vaddr"] == s["paddr"] for s in e["segments"])
print(json.dumps({"entry": e["entry"], "start": e["kernel_start"],
    "end": e["kernel_end"],
    "segments": sorted((s["paddr"], s["offset"], s["filesz"], s["memsz"])
                       for s in e["segments"])}, sort_keys=True))' "$1"
}

@test "elfinfo --pvh: the entry is PHYS32_ENTRY and segments lie at p_paddr, not p_vaddr" {
	run -0 "$BIN/elfinfo" --pvh "$(IMG good.elf)"
	echo "$output" >"$BATS_TEST_TMPDIR/e.json"
	run -0 plan_facts "$BATS_TEST_TMPDIR/e.json"
	local got=$output
	run -0 image_facts "$(IMG good.elf)"
	assert_equal "$got" "$output"
	assert_output --partial '"entry": "0x100010"'
	assert_output --partial '"start": "0x100000"'
	# The 8-byte note 64-bit Linux writes is read the same.
	run -0 "$BIN/elfinfo" --pvh "$(IMG good-note8.elf)"
	assert_output --partial '"entry": "0x100010"'
}

@test "elfinfo --pvh reads Debian's Linux bzImage: PHYS32_ENTRY and physical segments" {
	linux_image
	"$BIN/elfinfo" --pvh "$LINUX" >"$BATS_TEST_TMPDIR/e.json"
	run -0 plan_facts "$BATS_TEST_TMPDIR/e.json"
	local got=$output
	run -0 image_facts "$LINUX"
	assert_equal "$got" "$output"
}

@test "without --pvh a PVH-only kernel is read as PV and refused, as before" {
	run -1 --separate-stderr "$BIN/elfinfo" "$(IMG good.elf)"
	assert_output ''
	assert_stderr --partial "will only load images built for the generic loader or Linux"
}

@test "elfinfo --pvh refuses a kernel without PHYS32_ENTRY, saying so" {
	run -1 --separate-stderr "$BIN/elfinfo" --pvh "$(IMG no-phys32.elf)"
	assert_output ''
	assert_stderr "elfinfo: $(IMG no-phys32.elf): no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel"
}

@test "elfinfo --pvh refuses a PHYS32_ENTRY note of the wrong size or past 32 bits" {
	run -1 --separate-stderr "$BIN/elfinfo" --pvh "$(IMG note-size-2.elf)"
	assert_output ''
	assert_stderr --partial "note PHYS32_ENTRY at offset 0x100: 2 bytes is too short for an address"
	run -1 --separate-stderr "$BIN/elfinfo" --pvh "$(IMG entry-above-4g.elf)"
	assert_output ''
	assert_stderr --partial "note PHYS32_ENTRY: 0x100000010 is not a 32-bit physical address"
}

@test "elfinfo --pvh refuses an entry outside the loaded kernel" {
	run -1 --separate-stderr "$BIN/elfinfo" --pvh "$(IMG entry-outside.elf)"
	assert_output ''
	assert_stderr --partial "PHYS32_ENTRY 0x200000 is outside the loaded kernel [0x100000, 0x105000)"
}

@test "elfinfo --pvh refuses overlapping segments and a kernel reaching the hole below 4 GiB" {
	run -1 --separate-stderr "$BIN/elfinfo" --pvh "$(IMG overlap.elf)"
	assert_stderr --partial "loadable segments overlap: [0x100000, 0x101800) and [0x101000, 0x104000)"
	run -1 --separate-stderr "$BIN/elfinfo" --pvh "$(IMG in-hole.elf)"
	assert_output ''
	assert_stderr --partial "reaches the MMIO hole below 4 GiB at 0xfc000000"
}

@test "layout places initrd and hvm_start_info after the kernel, and maps RAM, ACPI and high RAM as libxl does" {
	pvh_plan "$(IMG good.elf)" --memory 4100M --initrd "$BATS_FILE_TMPDIR/initrd" \
		--cmdline "console=hvc0 x"
	# Worked out from the rules (README, PVH): the initrd on the page
	# after the kernel's end (0x105000); hvm_start_info on the next page:
	# 56 + 16 (the command line, 15 bytes rounded to 8) + 2 * (32 + 1024)
	# + 5 * 24 bytes (0x900); RAM up to 0xfc000000, the rest above 4 GiB.
	run -0 "$PY" -c '
import json, sys
l = json.load(open(sys.argv[1]))["layout"]
r = {x["name"]: (x["start"], x["end"]) for x in l["regions"]}
print(r["initrd"], r["start_info"], r["acpi"], r["xenstore"], r["console"])
print([(m["addr"], m["size"], m["type"]) for m in l["memory_map"]])' \
		"$BATS_TEST_TMPDIR/4.json"
	assert_line -n 0 "('0x105000', '0x105011') ('0x106000', '0x106900') ('0xfc000000', '0xfc002040') ('0xfeffc000', '0xfeffd000') ('0xfefff000', '0xff000000')"
	assert_line -n 1 "[('0x0', '0xfc000000', 1), ('0xfc000000', '0x1000', 3), ('0xfc001000', '0x1000', 3), ('0xfc002000', '0x40', 3), ('0x100000000', '0x4400000', 1)]"
	run -0 "$BIN/show" "$BATS_TEST_TMPDIR/4.json"
	assert_line -n 0 "PHYSICAL MEMORY ARRANGEMENT:"
	assert_line " Map: RAM:      100000000->104400000  68 MiB"
	assert_line " Xenstore:      feffc000->feffd000  4 KiB"
	assert_line " Console:       fefff000->ff000000  4 KiB"
	assert_line " Special pages: feff8000 paging, feff9000 access, feffa000 sharing, feffb000 bufioreq, feffd000 ioreq, feffe000 ident_pt"
}

@test "a memory too small for the start_info segment is refused" {
	# The kernel ends at 0x105000 = 1044K: nothing is left for it.
	run -1 --separate-stderr pvh_plan "$(IMG good.elf)" --memory 1044K
	assert_stderr --partial "layout: --memory: initial guest OS requires too much space"
}

@test "populate plans hvm_start_info, checksummed ACPI tables and the PVH entry state; pagetables is empty" {
	pvh_plan "$(IMG good.elf)" --memory 64M --vcpus 3 --cmdline "hello"
	run -0 "$PY" -c '
import json, sys
p = json.load(open(sys.argv[1]))
pop, si = p["populate"], p["populate"]["start_info"]
print(p["pagetables"], si["gpa"], si["magic"], si["version"], si["cmdline_paddr"],
      si["memmap_paddr"], si["memmap_entries"], si["rsdp_paddr"])
for t in pop["acpi"]:
    b = bytes.fromhex(t["bytes"])
    n = 20 if t["signature"] == "RSD PTR " else len(b)
    assert sum(b[:n]) % 256 == 0 and sum(b) % 256 == 0, t["signature"]
    print(t["signature"], t["gpa"], len(b))
madt = bytes.fromhex(pop["acpi"][2]["bytes"])
print("lapics", [(madt[i + 2], madt[i + 3]) for i in range(44, len(madt), 8)])
v = pop["vcpu"]
print(v["eip"], v["ebx"], v["cr0"], v["cs_ar"], v["ds_ar"], v["tr_ar"], v["tr_limit"])' \
		"$BATS_TEST_TMPDIR/4.json"
	assert_line -n 0 "{} 0x105000 0x336ec578 1 0x105038 0x105880 4 0xfc002000"
	assert_line "DSDT 0xfc001000 36"
	assert_line "FACP 0xfc001030 268"
	assert_line "APIC 0xfc001140 68"
	assert_line "RSD PTR  0xfc002000 36"
	assert_line "lapics [(0, 0), (1, 2), (2, 4)]"
	assert_line "0x100010 0x105000 0x11 0xc9b 0xc93 0x8b 0x67"
}

@test "an edited memory map, hvm_start_info, ACPI table or vCPU is refused by the next stage, naming it" {
	pvh_plan "$(IMG good.elf)" --memory 64M
	local d=$BATS_TEST_TMPDIR
	edit_plan "$d/2.json" "$d/x.json" 'p["layout"]["memory_map"][0]["size"] = "0x5000000"'
	run -1 --separate-stderr "$BIN/populate" "$d/x.json"
	assert_output ''
	assert_stderr --partial ": layout.memory_map[0]: not {0x0, 0x4000000, 1}"
	edit_plan "$d/3.json" "$d/x.json" 'p["populate"]["start_info"]["rsdp_paddr"] = "0xfc001000"'
	run -1 --separate-stderr "$BIN/pagetables" "$d/x.json"
	assert_stderr --partial ": populate.start_info.rsdp_paddr: not what the layout makes"
	edit_plan "$d/3.json" "$d/x.json" 'p["populate"]["acpi"][2]["checksum"] = "0x1"'
	run -1 --separate-stderr "$BIN/pagetables" "$d/x.json"
	assert_stderr --partial ": populate.acpi[2].checksum: not what the layout makes"
	edit_plan "$d/3.json" "$d/x.json" 'p["populate"]["vcpu"]["cr0"] = "0x80000011"'
	run -1 --separate-stderr "$BIN/pagetables" "$d/x.json"
	assert_stderr --partial ": populate.vcpu.cr0: not what the layout makes"
	edit_plan "$d/4.json" "$d/x.json" 'p["pagetables"] = {"levels": 4}'
	run -1 --separate-stderr "$BIN/finalize" --out "$d/dom" "$d/x.json"
	assert_stderr --partial ": pagetables: a pvh guest starts with paging off: the member is empty"
	[ ! -e "$d/dom" ]
}

@test "the small PVH kernel goes through pvbuild build --pvh to a sim domain the checker accepts" {
	local d=$BATS_TEST_TMPDIR
	run -0 "$BIN/pvbuild" build --pvh "$(IMG good.elf)" --memory 64M --vcpus 2 \
		--initrd "$BATS_FILE_TMPDIR/initrd" --cmdline "console=hvc0" --out "$d/dom"
	assert_line "domain: $d/dom (pvh, 16384 pages, entry 0x100010, start_info 0x106000)"
	printf '%s\n' "$output" >"$d/printed"
	# show DIR prints what finalize printed.
	run -0 "$BIN/show" "$d/dom"
	assert_output "$(cat "$d/printed")"
	run -0 "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sorted(d))
print(d["abi"], d["machine"], d["start_info"], d["hvm_params"], d["vcpu"]["ebx"])' \
		"$d/dom/domain.json"
	assert_line -n 0 "['abi', 'backend', 'disks', 'hvm_params', 'machine', 'maxmem', 'memory_map', 'name', 'nics', 'nr_pages', 'start_info', 'vcpu', 'vcpus']"
	assert_line -n 1 "pvh {'file': 'machine.mem', 'frames': 1044480, 'page_size': 4096} {'gpa': '0x106000'} {'bufioreq_pfn': 1044475, 'console_evtchn': 2, 'console_pfn': 1044479, 'ident_pt': '0xfeffe000', 'ioreq_pfn': 1044477, 'monitor_ring_pfn': 1044473, 'paging_ring_pfn': 1044472, 'sharing_ring_pfn': 1044474, 'store_evtchn': 1, 'store_pfn': 1044476} 0x106000"
	run -0 "$PY" "$TOP/tests/checker/checkdom.py" "$d/dom" --kernel "$(IMG good.elf)" \
		--initrd "$BATS_FILE_TMPDIR/initrd" --cmdline "console=hvc0" --memory 64M --vcpus 2
	refute_output --partial FAIL
	# Told another vCPU count, the checker sees the MADT disagree.
	run -1 "$PY" "$TOP/tests/checker/checkpvh.py" "$d/dom" --kernel "$(IMG good.elf)" \
		--initrd "$BATS_FILE_TMPDIR/initrd" --cmdline "console=hvc0" --memory 64M --vcpus 3
	assert_output --partial "FAIL acpi: the MADT has 2 enabled local APICs for 3 vCPUs"
}

@test "the checker fails each damaged PVH domain in the damaged part" {
	[ "${PVBUILD_SAN:-0}" != 1 ] ||
		skip "the sanitizer pass: damage and the checker are Python alone"
	local d=$BATS_TEST_TMPDIR kind group n=0
	"$TOP/pipeline.sh" --pvh "$(IMG good.elf)" --memory 16M --cmdline hi \
		--out "$d/good" >/dev/null
	for kind in $("$PY" "$TOP/tests/checker/checkpvh.py" --kinds | cut -d' ' -f1); do
		rm -rf "$d/copy"
		cp -r --sparse=always "$d/good" "$d/copy"
		group=$("$PY" "$TOP/tests/checker/checkpvh.py" --damage "$d/copy" "$kind")
		run -1 "$PY" "$TOP/tests/checker/checkpvh.py" "$d/copy" \
			--kernel "$(IMG good.elf)" --cmdline hi --memory 16M
		assert_output --partial "FAIL $group"
		n=$((n + 1))
	done
	[ "$n" -ge 12 ]
}

@test "Debian's Linux goes through the pipeline as PVH to a sim domain the checker accepts" {
	linux_image
	local d=$BATS_TEST_TMPDIR
	run -0 "$TOP/pipeline.sh" --pvh "$LINUX" --memory 256M --vcpus 2 \
		--cmdline "console=hvc0" --out "$d/dom"
	assert_line --partial "domain: $d/dom (pvh, 65536 pages"
	run -0 "$PY" "$TOP/tests/checker/checkpvh.py" "$d/dom" --kernel "$LINUX" \
		--cmdline "console=hvc0" --memory 256M --vcpus 2
	refute_output --partial FAIL
}

@test "finalize --backend xen takes a PVH plan to the hypervisor: outside a dom0 it fails there (exit 3), printing nothing" {
	[ ! -e /dev/xen/privcmd ] || skip "this is a Xen dom0 (tests/xen.bats builds PVH there)"
	pvh_plan "$(IMG good.elf)" --memory 16M
	run -3 --separate-stderr "$BIN/finalize" --backend xen \
		--prefetch "$(IMG good.elf)" "$BATS_TEST_TMPDIR/4.json"
	assert_output ''
	assert_stderr --partial "finalize: xen: cannot open the hypervisor interface (is this a Xen dom0?)"
}

@test "pvbuild build --pvh hands --pvh to elfinfo" {
	run -0 "$BIN/pvbuild" build --pvh "$(IMG good.elf)" --memory 16M --out x --dry-run
	assert_line -n 0 "elfinfo --pvh -- $(IMG good.elf)"
}

@test "every PVH stage's plan and the sim domain.json validate against schemas/; an edited one does not" {
	local d=$BATS_TEST_TMPDIR s n=1
	pvh_plan "$(IMG good.elf)" --memory 16M --initrd "$BATS_FILE_TMPDIR/initrd" --cmdline x
	for s in elfinfo layout populate pagetables; do
		run -0 "$PY" "$TOP/tests/validate.py" "$TOP/schemas/$s.json" "$d/$n.json"
		assert_output ''
		n=$((n + 1))
	done
	"$BIN/finalize" --out "$d/dom" --prefetch "$(IMG good.elf)" \
		--initrd "$BATS_FILE_TMPDIR/initrd" "$d/4.json" >/dev/null
	run -0 "$PY" "$TOP/tests/validate.py" "$TOP/schemas/domain.json" "$d/dom/domain.json"
	assert_output ''
	edit_plan "$d/4.json" "$d/x.json" 'p["pagetables"] = {"levels": 0}'
	run -1 "$PY" "$TOP/tests/validate.py" "$TOP/schemas/pagetables.json" "$d/x.json"
	assert_output --partial 'pagetables'
	edit_plan "$d/3.json" "$d/x.json" 'del p["populate"]["vcpu"]["cr0"]'
	run -1 "$PY" "$TOP/tests/validate.py" "$TOP/schemas/populate.json" "$d/x.json"
	assert_output --partial 'cr0'
}

@test "finalize --json of a PVH plan prints its entry and hvm_start_info, valid by schemas/result.json" {
	local d=$BATS_TEST_TMPDIR
	pvh_plan "$(IMG good.elf)" --memory 16M
	run -0 --separate-stderr "$BIN/finalize" --json --out "$d/dom" \
		--prefetch "$(IMG good.elf)" "$d/4.json"
	printf '%s\n' "$output" >"$d/r.json"
	run -0 "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["abi"], r["entry"], r["start_info"], r["pages"])' "$d/r.json"
	assert_output "pvh 0x100010 0x105000 4096"
	run -0 "$PY" "$TOP/tests/validate.py" "$TOP/schemas/result.json" "$d/r.json"
	assert_output ''
}

@test "a PVH request keeps --maxmem, --name, --disk and --nic, into the plan and domain.json" {
	local d=$BATS_TEST_TMPDIR
	printf 'disk' >"$d/disk.img"
	run -0 "$BIN/pvbuild" build --pvh "$(IMG good.elf)" --memory 16M --maxmem 32M \
		--name web --disk "$d/disk.img,raw,xvda,rw" --nic "bridge=br1,mac=00:16:3e:00:00:01" \
		--out "$d/dom"
	assert_line " Max memory:    32 MiB (balloon up from 16 MiB)"
	assert_line " Name:          web"
	run -0 "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["maxmem"], d["name"], d["disks"][0]["vdev"], d["nics"][0]["bridge"], d["nics"][0]["mac"])' \
		"$d/dom/domain.json"
	assert_output "33554432 web xvda br1 00:16:3e:00:00:01"
}

# The special pages as Xen 4.17's libxenguest places them, worked out here:
# X86_HVM_NR_SPECIAL_PAGES (8) pages below X86_HVM_END_SPECIAL_REGION
# (pfn 0xff000), in the order of its SPECIALPAGE_* indices, each with the
# HVM parameter alloc_magic_pages_hvm points at it.
SPECIAL_ROLES="paging access sharing bufioreq xenstore ioreq ident_pt console"
SPECIAL_PARAMS="paging_ring_pfn monitor_ring_pfn sharing_ring_pfn bufioreq_pfn store_pfn ioreq_pfn ident_pt console_pfn"

@test "layout names all eight special pages, in libxenguest's order, in the hole the memory map leaves" {
	pvh_plan "$(IMG good.elf)" --memory 4100M
	run -0 "$PY" -c '
import json, sys
l = json.load(open(sys.argv[1]))["layout"]
roles = sys.argv[2].split()
want = [{"role": r, "pfn": 0xff000 - 8 + i, "gpa": hex((0xff000 - 8 + i) << 12)}
        for i, r in enumerate(roles)]
assert l["special_pages"] == want, l["special_pages"]
for s in l["special_pages"]:
    for m in l["memory_map"]:
        a, n = int(m["addr"], 16), int(m["size"], 16)
        assert not a <= s["pfn"] << 12 < a + n, (s, m)
print(" ".join("%s@%x" % (s["role"], s["pfn"]) for s in l["special_pages"]))' \
		"$BATS_TEST_TMPDIR/4.json" "$SPECIAL_ROLES"
	assert_output "paging@feff8 access@feff9 sharing@feffa bufioreq@feffb xenstore@feffc ioreq@feffd ident_pt@feffe console@fefff"
}

@test "populate sets every special page's HVM parameter (IDENT_PT by address) and plans the identity page table" {
	pvh_plan "$(IMG good.elf)" --memory 16M
	run -0 "$PY" -c '
import json, sys
pop = json.load(open(sys.argv[1]))["populate"]
names = sys.argv[2].split()
want = {k: 0xff000 - 8 + i for i, k in enumerate(names)}
want["ident_pt"] = hex(want["ident_pt"] << 12)
assert pop["hvm_params"] == want, pop["hvm_params"]
print(pop["ident_pt"])' "$BATS_TEST_TMPDIR/4.json" "$SPECIAL_PARAMS"
	assert_output "{'entries': 1024, 'flags': '0xe7', 'pfn': 1044478, 'stride': '0x400000'}"
}

@test "the sim domain holds the eight special pages: seven zero, ident_pt a page directory of 4 MiB identity pages" {
	local d=$BATS_TEST_TMPDIR
	pvh_plan "$(IMG good.elf)" --memory 16M
	"$BIN/finalize" --out "$d/dom" --prefetch "$(IMG good.elf)" "$d/4.json" >/dev/null
	run -0 "$PY" -c '
import json, struct, sys
h = json.load(open(sys.argv[1] + "/domain.json"))["hvm_params"]
names = sys.argv[2].split()
mem = open(sys.argv[1] + "/machine.mem", "rb")
for i, k in enumerate(names):
    pfn = 0xff000 - 8 + i
    assert h[k] == (hex(pfn << 12) if k == "ident_pt" else pfn), (k, h[k])
    mem.seek(pfn << 12)
    page = mem.read(4096)
    assert len(page) == 4096, k
    if k == "ident_pt":
        e = struct.unpack("<1024I", page)
        assert all(e[j] == (j << 22) | 0xe7 for j in range(1024)), k
    else:
        assert not any(page), k
print(sorted(h))' "$d/dom" "$SPECIAL_PARAMS"
	assert_output "['bufioreq_pfn', 'console_evtchn', 'console_pfn', 'ident_pt', 'ioreq_pfn', 'monitor_ring_pfn', 'paging_ring_pfn', 'sharing_ring_pfn', 'store_evtchn', 'store_pfn']"
}

@test "special pages moved, missing, duplicated or lying on RAM or ACPI are refused by the next stage, naming the field" {
	pvh_plan "$(IMG good.elf)" --memory 64M
	local d=$BATS_TEST_TMPDIR sp='p["layout"]["special_pages"]'
	check() {
		edit_plan "$d/2.json" "$d/x.json" "$1"
		run -1 --separate-stderr "$BIN/populate" "$d/x.json"
		assert_output ''
		assert_stderr "populate: $d/x.json: $2"
	}
	move() { echo "$sp[$1].update(pfn=$2, gpa=hex($2 << 12))"; }
	check "$(move 3 0xfeff7)" "layout.special_pages[3]: not the bufioreq page at pfn 0xfeffb (libxenguest's special_pfn(3))"
	check "del $sp[5]" "layout.special_pages: 7 entries, not the 8 special pages of an HVM domain"
	check "$(move 2 0xfeffc)" "layout.special_pages[4].pfn: 0xfeffc is special_pages[2]'s too"
	check "$(move 0 0x100)" "layout.special_pages[0].pfn: 0x100 overlaps layout.memory_map[0] (RAM)"
	check "$(move 7 0xfc001)" "layout.special_pages[7].pfn: 0xfc001 overlaps layout.memory_map[2] (ACPI)"
	check "$sp[1][\"role\"] = \"paging\"" "layout.special_pages[1]: not the access page at pfn 0xfeff9 (libxenguest's special_pfn(1))"
	check "$sp[6][\"gpa\"] = \"0xfeffd000\"" "layout.special_pages[6].gpa: not the address of its pfn"
	# finalize, reading the same layout, builds nothing from it.
	edit_plan "$d/4.json" "$d/x.json" "del $sp[0]"
	run -1 --separate-stderr "$BIN/finalize" --out "$d/dom" "$d/x.json"
	assert_output ''
	assert_stderr --partial "layout.special_pages: 7 entries"
	[ ! -e "$d/dom" ]
}

@test "an edited or missing HVM parameter or identity page table in populate is refused by the next stage" {
	pvh_plan "$(IMG good.elf)" --memory 16M
	local d=$BATS_TEST_TMPDIR
	edit_plan "$d/3.json" "$d/x.json" 'del p["populate"]["hvm_params"]["monitor_ring_pfn"]'
	run -1 --separate-stderr "$BIN/pagetables" "$d/x.json"
	assert_output ''
	assert_stderr --partial ": populate.hvm_params.monitor_ring_pfn: missing"
	edit_plan "$d/3.json" "$d/x.json" 'p["populate"]["hvm_params"]["ident_pt"] = "0xfeffe"'
	run -1 --separate-stderr "$BIN/pagetables" "$d/x.json"
	assert_stderr --partial ": populate.hvm_params.ident_pt: not what the layout makes"
	edit_plan "$d/3.json" "$d/x.json" 'p["populate"]["ident_pt"]["flags"] = "0x67"'
	run -1 --separate-stderr "$BIN/pagetables" "$d/x.json"
	assert_stderr --partial ": populate.ident_pt.flags: not what the layout makes"
}

@test "pvh-check, told to, finds the eight special pages of a pvbuild domain under boot as Xen's toolstack leaves them, and a dirtied one fails special" {
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed (Debian qemu-system-x86)"
	local d=$BATS_TEST_TMPDIR
	"$BIN/pvbuild" build "$GUESTS/pvh-check.elf" --pvh --memory 16M \
		--initrd "$GUESTS/initrd.img" --out "$d/dom" --cmdline \
		"$("$PY" -B "$TOP/tests/guests/guest-cmdline.py" --vcpus 1 --special 4096 "$GUESTS/initrd.img")" \
		>/dev/null
	run -0 --separate-stderr "$BIN/boot" "$d/dom"
	assert_line "check special ok"
	assert_line PASS
	# A byte of the sharing ring's page (pfn 0xfeffa), then the identity
	# table's eighth entry.
	printf '\001' | dd of="$d/dom/machine.mem" bs=1 seek=$((0xfeffa000 + 12)) conv=notrunc status=none
	run -1 --separate-stderr "$BIN/boot" "$d/dom"
	assert_line "check special FAIL: special page 0xfeffa000: word 3 is 0x1, not 0x0"
	assert_line "FAIL special"
	printf '\000' | dd of="$d/dom/machine.mem" bs=1 seek=$((0xfeffa000 + 12)) conv=notrunc status=none
	printf '\000' | dd of="$d/dom/machine.mem" bs=1 seek=$((0xfeffe000 + 28)) conv=notrunc status=none
	run -1 --separate-stderr "$BIN/boot" "$d/dom"
	assert_line "check special FAIL: special page 0xfeffe000: word 7 is 0x1c00000, not 0x1c000e7"
}
