#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# finalize with the sim backend: the domain directory, all or nothing.
bats_require_minimum_version 1.5.0
load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# finalize refusing: exit CODE, nothing on stdout, one line on stderr
# holding MESSAGE (then the usage line for exit 2), and neither DIR nor
# its temporary ".DIR.pvbuild-*" beside it afterwards.
# refused CODE MESSAGE DIR ARGS...
refused() {
	local code=$1 message=$2 dir=$3
	shift 3
	run "-$code" --separate-stderr "$BIN/finalize" "$@"
	assert_output ''
	[[ $stderr == "finalize: "* ]]
	assert_stderr --partial "$message"
	if [ "$code" = 1 ]; then
		[ "${#stderr_lines[@]}" -eq 1 ]
	fi
	[ ! -e "$dir" ]
	run compgen -G "$(dirname "$dir")/.$(basename "$dir").pvbuild-*"
	assert_failure
}

# A value of DIR/domain.json by Python expression on `d`.
dq() {
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1] + "/domain.json")); print(eval(sys.argv[2]))' "$@"
}

@test "finalize builds DIR with machine.mem, m2p.bin, domain.json, plan.json and arrangement.txt, and nothing else" {
	plan_to pagetables "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	run -0 --separate-stderr "$BIN/finalize" --backend sim --out "$T/dom" "$T/4-pagetables.json"
	[ -z "$stderr" ]
	run ls -A "$T/dom"
	assert_output "$(printf '%s\n' arrangement.txt domain.json m2p.bin machine.mem plan.json)"
	run ls -A "$T"
	refute_output --partial pvbuild
	# The machine: 256 reserved frames and 4 times the domain and its
	# shared_info frame; m2p: 4 bytes per machine frame.
	run dq "$T/dom" 'd["abi"], d["nr_pages"], d["machine"]["frames"], d["machine"]["reserved_frames"], d["machine"]["seed"], d["m2p"]["entry_size"]'
	assert_output "('xen-1.3', 8192, $((256 + 4 * 8193)), 256, 1, 4)"
	[ "$(stat -c %s "$T/dom/machine.mem")" -eq $(((256 + 4 * 8193) * 4096)) ]
	[ "$(stat -c %s "$T/dom/m2p.bin")" -eq $(((256 + 4 * 8193) * 4)) ]
}

@test "plan.json is the input plan plus a finalize member" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$BIN/finalize" --out "$T/dom" --seed 7 "$T/4-pagetables.json" >/dev/null
	"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
f = b.pop("finalize"); assert a == b; assert f == {"backend": "sim", "seed": 7, "reserve": 1048576}, f' \
		"$T/4-pagetables.json" "$T/dom/plan.json"
}

@test "stdout shows the VIRTUAL MEMORY ARRANGEMENT with the plan's addresses and sizes" {
	plan_to pagetables "$GUESTS/multiseg.elf" --memory 32M --initrd "$GUESTS/initrd.img"
	run -0 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json"
	[ -z "$stderr" ]
	local want
	want=$("$PY" -c 'import json,sys; p=json.load(open(sys.argv[1])); l=p["layout"]
names = {"kernel": "Loaded kernel", "initrd": "Init. ramdisk", "p2m": "Phys-Mach map",
         "pagetables": "Page tables", "start_info": "Start info", "stack": "Boot stack"}
h = lambda s: "%08x" % int(s, 16)
def size(n):
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if n and n % (1 << shift) == 0:
            return "%d %s" % (n >> shift, unit)
    return "%d bytes" % n
def row(name, rest):
    print(" %-15s%s" % (name + ":", rest))
print("VIRTUAL MEMORY ARRANGEMENT:")
for r in l["regions"]:
    row(names[r["name"]], "%s->%s  %s" % (h(r["start"]), h(r["end"]),
        size(int(r["end"], 16) - int(r["start"], 16))))
row("TOTAL", "%s->%s  %s" % (h(l["v_start"]), h(l["v_end"]),
    size(int(l["v_end"], 16) - int(l["v_start"], 16))))
row("ENTRY ADDRESS", h(p["elfinfo"]["entry"]))' "$T/4-pagetables.json")
	[ "${#lines[@]}" -eq 10 ]
	[ "$(printf '%s\n' "${lines[@]:0:9}")" = "$want" ]
	assert_line -n 0 'VIRTUAL MEMORY ARRANGEMENT:'
	local cr3 si
	cr3=$(dq "$T/dom" 'd["vcpu"]["cr3"]')
	si=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["populate"]["vcpu"]["si"])' "$T/4-pagetables.json")
	assert_line -n 9 "domain: $T/dom (xen-1.3, 8192 pages, cr3 $cr3, start_info $si)"
	# The domain keeps the arrangement, the same text.
	[ "$(cat "$T/dom/arrangement.txt")" = "$(printf '%s\n' "${lines[@]:0:9}")" ]
	[ "$(stat -c %a "$T/dom/arrangement.txt")" = 600 ]
	# The addresses by hand (multiseg at 32M with the 150000-byte initrd;
	# populate.bats has the arithmetic), for the guest the goldens were
	# made from: kernel_end comes from the size of its .bss. The sizes:
	# 0x319120 bytes of kernel, 8 pages of p2m (8192 4-byte entries),
	# 2 page-table pages, a page each of start info and stack, and the
	# 4 MiB region.
	"$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["elfinfo"]; print(e["image"]["sha256"])' \
		"$TOP/tests/golden/multiseg.elfinfo.json" >"$T/want.sha"
	if [ "$(cat "$T/want.sha")" != "$(sha256sum <"$GUESTS/multiseg.elf" | cut -d' ' -f1)" ]; then
		skip "build/guests/multiseg.elf is not the goldens' (another toolchain?)"
	fi
	assert_line -n 1 ' Loaded kernel: c0000000->c0319120  3248416 bytes'
	assert_line -n 2 ' Init. ramdisk: c031a000->c033e9f0  150000 bytes'
	assert_line -n 3 ' Phys-Mach map: c033f000->c0347000  32 KiB'
	assert_line -n 4 ' Page tables:   c0347000->c0349000  8 KiB'
	assert_line -n 5 ' Start info:    c0349000->c034a000  4 KiB'
	assert_line -n 6 ' Boot stack:    c034a000->c034b000  4 KiB'
	assert_line -n 7 ' TOTAL:         c0000000->c0400000  4 MiB'
	assert_line -n 8 ' ENTRY ADDRESS: c0000216'
}

@test "finalize --json prints one JSON object: backend, dir, abi, pages, cr3 and start_info, as domain.json has them" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	run -0 --separate-stderr "$BIN/finalize" --json --out "$T/dom" "$T/4-pagetables.json"
	[ -z "$stderr" ]
	refute_output --partial 'VIRTUAL MEMORY'
	printf '%s\n' "$output" >"$T/result.json"
	run -0 "$PY" -c 'import json,sys
r = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2] + "/domain.json"))
assert sorted(r) == ["abi", "backend", "cr3", "dir", "pages", "start_info"], r
assert r["backend"] == "sim" and r["dir"] == sys.argv[2], r
assert r["abi"] == "xen-1.3" and r["pages"] == 4096 == d["nr_pages"], r
assert r["cr3"] == d["vcpu"]["cr3"] and r["start_info"] == d["vcpu"]["si"] == d["start_info"]["va"], (r, d)
print("ok")' "$T/result.json" "$T/dom"
	assert_output ok
	run -0 "$PY" "$TOP/tests/validate.py" "$TOP/schemas/result.json" "$T/result.json"
	assert_output ''
	# The domain still keeps its arrangement.
	run -0 "$BIN/show" "$T/4-pagetables.json"
	[ "$output" = "$(cat "$T/dom/arrangement.txt")" ]
}

@test "finalize --json with an --out that is not UTF-8: a usage error before anything is built" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused 2 'finalize: --json: --out and --name must be UTF-8' "$T/d"$'\xff' \
		--json --out "$T/d"$'\xff' "$T/4-pagetables.json"
}

@test "the same scatter builds the same machine, byte for byte, under either spelling" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	"$BIN/finalize" --out "$T/a" --scatter 5 "$T/4-pagetables.json" >"$T/a.out"
	"$BIN/finalize" --out "$T/b" --seed 5 "$T/4-pagetables.json" >"$T/b.out"
	cmp "$T/a/machine.mem" "$T/b/machine.mem"
	cmp "$T/a/m2p.bin" "$T/b/m2p.bin"
	cmp "$T/a/domain.json" "$T/b/domain.json"
	# The default scatter is 1.
	"$BIN/finalize" --out "$T/c" "$T/4-pagetables.json" >/dev/null
	"$BIN/finalize" --out "$T/d" --scatter 1 "$T/4-pagetables.json" >/dev/null
	cmp "$T/c/machine.mem" "$T/d/machine.mem"
	run dq "$T/c" 'd["machine"]["seed"]'
	assert_output 1
}

@test "a different seed scatters the frames differently: another cr3, another machine" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$BIN/finalize" --out "$T/a" --seed 1 "$T/4-pagetables.json" >/dev/null
	"$BIN/finalize" --out "$T/b" --seed 2 "$T/4-pagetables.json" >/dev/null
	local a b
	a=$(dq "$T/a" 'd["vcpu"]["cr3"]')
	b=$(dq "$T/b" 'd["vcpu"]["cr3"]')
	[ "$a" != "$b" ]
	! cmp -s "$T/a/machine.mem" "$T/b/machine.mem"
}

@test "m2p.bin maps the pinned directory's mfn back to its pfn; cr3 is that mfn's address" {
	plan_to pagetables "$GUESTS/multiseg.elf" --memory 32M
	"$BIN/finalize" --out "$T/dom" --seed 3 "$T/4-pagetables.json" >/dev/null
	"$PY" - "$T/dom" "$T/4-pagetables.json" <<'EOF'
import json, struct, sys
d = json.load(open(sys.argv[1] + "/domain.json"))
plan = json.load(open(sys.argv[2]))
m2p = open(sys.argv[1] + "/m2p.bin", "rb").read()
entry = lambda m: struct.unpack_from("<I", m2p, 4 * m)[0]
pin = d["pinned"][0]
assert len(d["pinned"]) == 1 and pin["level"] == 2, d["pinned"]
assert pin["pfn"] == plan["pagetables"]["top_pfn"], pin
assert entry(pin["mfn"]) == pin["pfn"], (pin, entry(pin["mfn"]))
assert int(d["vcpu"]["cr3"], 16) == pin["mfn"] << 12, d["vcpu"]["cr3"]
# Scattered: the directory is not at machine frame 256 + its pfn, and no
# domain frame is among the hypervisor's 256.
assert pin["mfn"] >= 256 and pin["mfn"] != 256 + pin["pfn"], pin
assert all(entry(m) == 0xffffffff for m in range(256))
# Every pfn of the domain has exactly one machine frame.
pfns = sorted(e for e in struct.unpack("<%dI" % (len(m2p) // 4), m2p) if e != 0xffffffff)
assert pfns == list(range(d["nr_pages"])), (len(pfns), d["nr_pages"])
assert entry(d["shared_info_mfn"]) == 0xffffffff
EOF
}

# The machine-to-phys table of DIR turned round: the mfn of every pfn,
# checked to be a bijection onto frames above the reserved ones that
# leaves shared_info's frame out. A Python snippet for the tests below.
P2M_OF='
import array, json, sys
def p2m_of(dom):
    d = json.load(open(dom + "/domain.json"))
    m2p = array.array("I" if d["m2p"]["entry_size"] == 4 else "Q")
    m2p.frombytes(open(dom + "/m2p.bin", "rb").read())
    invalid, reserved = int(d["m2p"]["invalid"], 16), d["machine"]["reserved_frames"]
    p2m = [None] * d["nr_pages"]
    for m, pfn in enumerate(m2p):
        if pfn != invalid:
            assert m >= reserved and p2m[pfn] is None, (m, pfn)
            p2m[pfn] = m
    assert None not in p2m and m2p[d["shared_info_mfn"]] == invalid, d
    return p2m
'

@test "frames go in 2 MiB extents, 512 pfns to each, and no two consecutive pfns are consecutive frames" {
	# A --reserve that is no whole number of extents, and two scatters.
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 64M
	"$BIN/finalize" --out "$T/a" --reserve 1027K "$T/4-pagetables.json" >/dev/null
	"$BIN/finalize" --out "$T/b" --reserve 1027K --scatter 9 "$T/4-pagetables.json" >/dev/null
	"$PY" -c "$P2M_OF"'
a, b = p2m_of(sys.argv[1]), p2m_of(sys.argv[2])
for p2m in a, b:
    assert all(p2m[i + 1] != p2m[i] + 1 for i in range(len(p2m) - 1))
    for j in range(0, len(p2m), 512):
        assert len(set(m >> 9 for m in p2m[j:j + 512])) == 1, j
        assert min(p2m[j:j + 512]) >> 9 > 1027 * 1024 // 4096 // 512, j
assert [m >> 9 for m in a[::512]] != [m >> 9 for m in b[::512]]
assert [m % 512 for m in a[:512]] != [m % 512 for m in b[:512]]' "$T/a" "$T/b"
}

@test "a domain that nearly fills its machine takes the frames outside whole extents too" {
	# xen-1.3 machines end at 4 GiB: the hypervisor keeps all but 4100
	# frames of it, four of them below the first whole extent, and the
	# domain's 4096 pages and shared_info need 4097.
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$BIN/finalize" --out "$T/dom" --reserve 4177904K "$T/4-pagetables.json" >/dev/null
	"$PY" -c "$P2M_OF"'
d = json.load(open(sys.argv[1] + "/domain.json"))
p2m = p2m_of(sys.argv[1])
assert d["machine"]["frames"] - d["machine"]["reserved_frames"] == 4100, d["machine"]
left = [m for m in p2m + [d["shared_info_mfn"]] if m < 1044480]
assert len(left) == 1, left' "$T/dom"
}

@test "domain.json holds the vCPU context of the plan" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json" >/dev/null
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1] + "/domain.json"))["vcpu"]
v = json.load(open(sys.argv[2]))["populate"]["vcpu"]
regs = [k for k in v if k not in ("trap_cs", "callback_cs")]
assert all(d[k] == v[k] for k in regs), [(k, d[k], v[k]) for k in regs if d[k] != v[k]]
assert d["trap_table"] == {"entries": 256, "cs": v["trap_cs"], "handler": "0x0"}, d["trap_table"]
assert d["event_callback"] == d["failsafe_callback"] == {"cs": v["callback_cs"], "ip": "0x0"}, d
assert (d["ip"], d["flags"], d["cs"], d["ss"]) == ("0xc0000000", "0x202", "0x819", "0x821"), d' \
		"$T/dom" "$T/4-pagetables.json"
}

@test "domain.json has the members the README names, start_info among them" {
	# README, "The sim backend": domain.json holds abi, nr_pages, machine
	# (frames, reserved_frames, seed), m2p, shared_info_mfn, pinned,
	# start_info and vcpu.
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json" >/dev/null
	run dq "$T/dom" '[k for k in ("abi", "nr_pages", "machine", "m2p", "shared_info_mfn", "pinned", "start_info", "vcpu") if k not in d]'
	assert_output '[]'
}

# --- Refusals: nothing is left behind ---

@test "an existing --out directory is refused and left untouched" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	mkdir "$T/dom"
	echo keep >"$T/dom/mine"
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr "finalize: --out: $T/dom already exists"
	run ls -A "$T/dom"
	assert_output mine
	[ "$(cat "$T/dom/mine")" = keep ]
	run compgen -G "$T/.dom.pvbuild-*"
	assert_failure
}

@test "an existing --out file or dangling symbolic link is refused and left untouched" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	echo keep >"$T/file"
	run -1 --separate-stderr "$BIN/finalize" --out "$T/file" "$T/4-pagetables.json"
	assert_output ''
	assert_stderr --partial "already exists"
	[ "$(cat "$T/file")" = keep ]
	ln -s "$T/nowhere" "$T/link"
	run -1 --separate-stderr "$BIN/finalize" --out "$T/link" "$T/4-pagetables.json"
	assert_stderr --partial "already exists"
	[ ! -e "$T/nowhere" ]
}

@test "--out in a directory that does not exist is refused, leaving nothing" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused 1 "--out: $T/no/dom: cannot create a directory beside it" "$T/no/dom" \
		--out "$T/no/dom" "$T/4-pagetables.json"
	[ ! -e "$T/no" ]
}

@test "a kernel changed after elfinfo is refused: changed since; no DIR, no temporary left" {
	cp "$GUESTS/basic.elf" "$T/kernel.elf"
	plan_to pagetables "$T/kernel.elf" --memory 16M
	# One byte of the text segment, same size.
	printf '\220' | dd of="$T/kernel.elf" bs=1 seek=4100 conv=notrunc 2>/dev/null
	refused 1 "$T/kernel.elf: changed since the plan was made" "$T/dom" \
		--out "$T/dom" --prefetch "$T/kernel.elf" "$T/4-pagetables.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "a kernel that has disappeared since elfinfo is refused, leaving nothing" {
	cp "$GUESTS/basic.elf" "$T/kernel.elf"
	plan_to pagetables "$T/kernel.elf" --memory 16M
	rm "$T/kernel.elf"
	refused 1 "$T/kernel.elf: No such file or directory" "$T/dom" \
		--out "$T/dom" --prefetch "$T/kernel.elf" "$T/4-pagetables.json"
}

@test "a gzip'd kernel changed after elfinfo is refused: changed since" {
	cp "$GUESTS/basic.elf.gz" "$T/kernel.gz"
	plan_to pagetables "$T/kernel.gz" --memory 16M
	# Another valid gzip'd kernel under the same name: it decompresses to
	# more bytes than the plan's elf_size.
	cp "$GUESTS/multiseg.elf.gz" "$T/kernel.gz"
	refused 1 "$T/kernel.gz: changed since the plan was made" "$T/dom" \
		--out "$T/dom" --prefetch "$T/kernel.gz" "$T/4-pagetables.json"
}

@test "an initrd changed after layout is refused: changed since; no DIR, no temporary left" {
	cp "$GUESTS/initrd.img" "$T/initrd.img"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --initrd "$T/initrd.img"
	printf 'X' | dd of="$T/initrd.img" bs=1 seek=70000 conv=notrunc 2>/dev/null
	refused 1 "$T/initrd.img: changed since the plan was made" "$T/dom" \
		--out "$T/dom" --initrd "$T/initrd.img" "$T/4-pagetables.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "an initrd that grew after layout is refused: changed since" {
	cp "$GUESTS/initrd.img" "$T/initrd.img"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --initrd "$T/initrd.img"
	echo more >>"$T/initrd.img"
	refused 1 "$T/initrd.img: changed since the plan was made" "$T/dom" \
		--out "$T/dom" --initrd "$T/initrd.img" "$T/4-pagetables.json"
}

@test "a plan without pagetables is refused: missing" {
	plan_to populate "$GUESTS/basic.elf" --memory 16M
	refused 1 "pagetables: missing (run pagetables first)" "$T/dom" \
		--out "$T/dom" "$T/3-populate.json"
}

@test "finalize run on a finalized plan is refused" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	"$BIN/finalize" --out "$T/a" "$T/4-pagetables.json" >/dev/null
	refused 1 "finalize: already in the plan" "$T/dom" --out "$T/dom" "$T/a/plan.json"
}

# --- Usage ---

@test "an unknown --backend exits 2 naming the backend and the ones there are" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused 2 "--backend: unknown backend 'frob' (this build has: sim, xen)" "$T/dom" --backend frob --out "$T/dom" "$T/4-pagetables.json"
}

@test "the sim's options with --backend xen, and the xen backend's with sim, exit 2" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused 2 "--out, --reserve, --scatter and --sync are for --backend sim" "$T/dom" --backend xen --out "$T/dom" "$T/4-pagetables.json"
	refused 2 "--out, --reserve, --scatter and --sync are for --backend sim" "$T/dom" --backend xen --scatter 3 "$T/4-pagetables.json"
	refused 2 "--out, --reserve, --seed and --sync are for --backend sim" "$T/dom" --backend xen --seed 3 "$T/4-pagetables.json"
	refused 2 "--memory, --name, --paused and --wait are for --backend xen" "$T/dom" --name a --out "$T/dom" "$T/4-pagetables.json"
	refused 2 "--memory, --name, --paused and --wait are for --backend xen" "$T/dom" --paused --out "$T/dom" "$T/4-pagetables.json"
	refused 2 "--memory, --name, --paused and --wait are for --backend xen" "$T/dom" --wait --out "$T/dom" "$T/4-pagetables.json"
	refused 2 "--memory, --name, --paused and --wait are for --backend xen" "$T/dom" --memory 16M --out "$T/dom" "$T/4-pagetables.json"
}

@test "--maxmem or --vcpus without --memory exits 2: they describe the domain --memory makes early" {
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 64M
	refused 2 "--maxmem and --vcpus go with --memory" "$T/dom" --backend xen --maxmem 128M "$T/4-pagetables.json"
	refused 2 "--maxmem and --vcpus go with --memory" "$T/dom" --backend xen --vcpus 2 "$T/4-pagetables.json"
}

@test "--backend xen --memory where no Xen runs: the early start's failure is unsaid, the build for the plan says its one line" {
	[ ! -e /dev/xen/privcmd ] || skip "this is a Xen dom0"
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 64M
	refused 3 "finalize: xen: cannot open the hypervisor interface (is this a Xen dom0?)" "$T/dom" --backend xen --memory 64M --maxmem 128M --vcpus 2 "$T/4-pagetables.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
	# A request no plan could carry makes nothing early and is not
	# reported: the plan decides, and layout judged the request.
	refused 3 "finalize: xen: cannot open the hypervisor interface" "$T/dom" --backend xen --memory 64Q --vcpus 0 "$T/4-pagetables.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
	refused 3 "finalize: xen: cannot open the hypervisor interface" "$T/dom" --backend xen --memory 64M --maxmem 32M "$T/4-pagetables.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "--wait with --paused exits 2: a paused domain never shuts down" {
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 64M
	refused 2 "--wait: a paused domain never shuts down; give --paused or --wait" "$T/dom" --backend xen --paused --wait "$T/4-pagetables.json"
}

@test "--name empty, over 64 characters or with '/' exits 2" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused 2 "--name: '' is not 1 to 64 characters without '/'" "$T/dom" --backend xen --name '' "$T/4-pagetables.json"
	refused 2 "is not 1 to 64 characters" "$T/dom" --backend xen --name "$(printf 'a%.0s' {1..65})" "$T/4-pagetables.json"
	refused 2 "--name: 'a/b' is not" "$T/dom" --backend xen --name a/b "$T/4-pagetables.json"
}

@test "--backend xen: --name and a different layout.name exit 1 naming both, before it looks for Xen" {
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 64M --name alpha
	refused 1 "finalize: --name: 'beta', and the plan's layout.name is 'alpha'" "$T/dom" --backend xen --name beta "$T/4-pagetables.json"
	# The same name twice is no contradiction: it goes on to look for Xen.
	run --separate-stderr "$BIN/finalize" --backend xen --name alpha "$T/4-pagetables.json"
	[[ $stderr != *layout.name* ]]
}

@test "--backend xen refuses a xen-1.3 plan with exit 3 before it looks for Xen" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused 3 "xen: Xen builds no xen-1.3 guests (2-level x86_32 paging); use --backend sim" "$T/dom" --backend xen "$T/4-pagetables.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "--backend xen where no Xen runs exits 3 with one line and nothing on stdout" {
	[ ! -e /dev/xen/privcmd ] || skip "this is a Xen dom0"
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 64M
	refused 3 "xen: cannot open the hypervisor interface (is this a Xen dom0?)" "$T/dom" --backend xen "$T/4-pagetables.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "no --out exits 2; an empty --out exits 2" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused 2 "--out DIR is required" "$T/dom" "$T/4-pagetables.json"
	refused 2 "--out DIR is required" "$T/dom" --out '' "$T/4-pagetables.json"
}

@test "--scatter or --seed garbage, an unknown option and two plans exit 2" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused 2 "--seed: 'x1' is not a number" "$T/dom" --seed x1 --out "$T/dom" "$T/4-pagetables.json"
	refused 2 "--scatter: '2^53' is not a number" "$T/dom" --scatter 2^53 --out "$T/dom" "$T/4-pagetables.json"
	refused 2 "unknown option '--frob'" "$T/dom" --frob --out "$T/dom" "$T/4-pagetables.json"
	refused 2 "too many arguments" "$T/dom" --out "$T/dom" "$T/4-pagetables.json" "$T/4-pagetables.json"
}

@test "--help and --version exit 0; --help lists --scatter, not its old name --seed" {
	run -0 "$BIN/finalize" --help
	assert_line -n 0 'usage: finalize [--backend sim] --out DIR [--initrd FILE] [--json] [--no-cache] [--prefetch IMAGE] [--reserve SIZE] [--scatter N] [--sync] [PLAN]'
	assert_line --partial '--scatter N'
	refute_line --partial '--seed'
	run -0 "$BIN/finalize" --version
	assert_output --regexp '^finalize \(pvbuild\) [0-9]+\.[0-9]+\.[0-9]+( \(git [^ ()]+\))?$'
}

@test "finalize refuses a plan whose writes overlap (zero fill may be skipped only without overlaps)" {
	plan_to pagetables "$GUESTS/multiseg.elf" --memory 16M
	edit_plan "$T/4-pagetables.json" "$T/bad.json" \
		'w = p["populate"]["writes"]; w.append(dict(w[0], source="zero", source_offset=0))'
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/bad.json"
	assert_output ''
	assert_stderr --partial 'populate.writes: two writes overlap at pfn 0 offset 0'
	[ ! -e "$T/dom" ]
}

@test "finalize writes no page of the kernel that is all zeros: its frame in machine.mem stays a hole" {
	holes_told "$T" || skip "the file system of $T does not tell holes (SEEK_DATA)"
	read -r va off < <("$PY" -c "$ZEROS_IN_FILE" "$GUESTS/x64-basic.elf" "$T/zeros.elf")
	plan_to pagetables "$T/zeros.elf" --memory 64M
	"$BIN/finalize" --out "$T/dom" --prefetch "$T/zeros.elf" \
		"$T/4-pagetables.json" >/dev/null
	"$PY" - "$T/dom" "$T/4-pagetables.json" "$va" <<EOF
$P2M_OF
import os
dom, plan = sys.argv[1], json.load(open(sys.argv[2]))
p2m = p2m_of(dom)
first = (int(sys.argv[3], 16) - int(plan["layout"]["v_start"], 16)) >> 12
mem = os.open(dom + "/machine.mem", os.O_RDONLY)
def data_at(pfn):
    off = p2m[pfn] << 12
    try:
        return os.lseek(mem, off, os.SEEK_DATA) == off
    except OSError:
        return False
# The segment's three pages of data are written, its three of zeros are
# not, and read as zeros all the same.
got = [data_at(first + i) for i in range(6)]
assert got == [True] * 3 + [False] * 3, got
assert all(os.pread(mem, 4096, p2m[first + i] << 12) == bytes(4096) for i in range(3, 6))
assert os.pread(mem, 4096, p2m[first] << 12) != bytes(4096)
EOF
	# The domain is the guest all the same: the checker holds it to the plan.
	run "$PY" "$TOP/tests/checker/checkdom.py" "$T/dom" \
		--kernel "$T/zeros.elf" --cmdline "" --memory $((64 << 20))
	assert_success
	refute_output --partial FAIL
}

@test "--prefetch of the plan's own kernel builds the same machine as without it" {
	plan_to pagetables "$GUESTS/multiseg.elf.gz" --memory 16M
	"$BIN/finalize" --out "$T/a" "$T/4-pagetables.json" >/dev/null
	"$BIN/finalize" --out "$T/b" --prefetch "$GUESTS/multiseg.elf.gz" \
		"$T/4-pagetables.json" >/dev/null
	cmp "$T/a/machine.mem" "$T/b/machine.mem"
}

@test "--prefetch of another file, or of none, is dropped: the plan's kernel is built" {
	plan_to pagetables "$GUESTS/multiseg.elf.gz" --memory 16M
	"$BIN/finalize" --out "$T/a" "$T/4-pagetables.json" >/dev/null
	"$BIN/finalize" --out "$T/b" --prefetch "$GUESTS/basic.elf.gz" \
		"$T/4-pagetables.json" >/dev/null
	"$BIN/finalize" --out "$T/c" --prefetch "$T/no-such-file" \
		"$T/4-pagetables.json" >/dev/null
	cmp "$T/a/machine.mem" "$T/b/machine.mem"
	cmp "$T/a/machine.mem" "$T/c/machine.mem"
}

@test "--prefetch does not let a kernel changed since elfinfo through" {
	cp "$GUESTS/multiseg.elf.gz" "$T/k.gz"
	plan_to pagetables "$T/k.gz" --memory 16M
	cp "$GUESTS/basic.elf.gz" "$T/k.gz"
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" --prefetch "$T/k.gz" \
		"$T/4-pagetables.json"
	assert_stderr --partial 'changed since the plan was made'
	[ ! -e "$T/dom" ]
}

@test "a killed build's temporary directory is removed by the next build; a live one's is left" {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	# PID 2^22+1 is above Linux's pid_max limit, so no process has it.
	mkdir "$T/.dom.pvbuild-4194305-AbCdEf"
	: >"$T/.dom.pvbuild-4194305-AbCdEf/machine.mem"
	mkdir "$T/.dom.pvbuild-$$-GhIjKl"
	"$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json" >/dev/null
	[ ! -e "$T/.dom.pvbuild-4194305-AbCdEf" ]
	[ -d "$T/.dom.pvbuild-$$-GhIjKl" ]
	[ -f "$T/dom/domain.json" ]
}

# The paths finalize (or pipeline.sh) fsynced, one a line, under strace:
# fsynced ARGS... (run in $T, the trace in $T/trace). LeakSanitizer cannot
# run under ptrace, so a SAN=1 build runs without it here.
# Each test that traces calls need_strace first, outside `run`: make test
# installs nothing (PVBUILD_OFFLINE), and there a missing strace skips.
need_strace() {
	command -v strace >/dev/null || [ -z "${PVBUILD_OFFLINE:-}" ] ||
		skip "strace is not installed"
}

fsynced() {
	command -v strace >/dev/null || fail "strace is not installed (make deps)"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -y -qq -e trace=fsync -o "$T/trace" "$@" >/dev/null
	sed -n 's/.*fsync([0-9]*<\([^>]*\)>) = 0$/\1/p' "$T/trace"
}

@test "finalize --sync puts every file, the temporary and its parent on disk before and after the rename" {
	need_strace
	local f tmp
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	run fsynced "$BIN/finalize" --out "$T/dom" --sync "$T/4-pagetables.json"
	assert_success
	# The temporary the files were written in: the directory fsynced
	# before the rename, ".dom.pvbuild-PID-XXXXXX" beside DIR.
	tmp=$(printf '%s\n' "${lines[@]}" | grep -x "$T/\.dom\.pvbuild-[0-9]*-[A-Za-z0-9]*" | head -n 1)
	[ -n "$tmp" ] || fail "no fsync of the temporary directory: ${lines[*]}"
	for f in machine.mem m2p.bin domain.json plan.json arrangement.txt; do
		[ -f "$T/dom/$f" ]
		assert_line "$tmp/$f"
	done
	# After the rename, the parent that now holds DIR.
	assert_line "$T"
	[ "${lines[-1]}" = "$T" ]
	[ "${#lines[@]}" -eq 7 ]
}

@test "finalize without --sync calls no fsync: the rename alone makes the domain whole or absent" {
	need_strace
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	run fsynced "$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json"
	assert_success
	assert_output ''
	[ -f "$T/dom/domain.json" ]
	grep -q 'fsync' "$T/trace" && fail "fsync without --sync: $(cat "$T/trace")"
	true
}

@test "pipeline.sh --sync hands --sync to finalize" {
	need_strace
	run fsynced ./pipeline.sh "$GUESTS/basic.elf" --memory 16M --out "$T/dom" --sync
	assert_success
	assert_line "$T"
	assert_line --regexp "^$T/\.dom\.pvbuild-[0-9]+-[A-Za-z0-9]+/machine\.mem$"
}
