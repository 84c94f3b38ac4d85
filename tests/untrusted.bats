#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Plans are untrusted: the files a plan names, as finalize (often root)
# reads them. No oracle (no message says what a file holds), no deputy (a
# file only the plan names is read with every user's rights), no hang, no
# read past the plan's size, bounded objects, and notes checked against
# the kernel. README, "Trust".
bats_require_minimum_version 1.5.0
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	W=
}

teardown() {
	if [ -n "$W" ]; then
		rm -rf -- "$W"
	fi
}

# A scratch directory every user can reach ($T's parents are 0700): sets W.
shared_scratch() {
	W=$(mktemp -d /tmp/pvbuild-untrusted.XXXXXX)
	chmod 755 "$W"
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root ($1)"
}

# A plan of the basic guest with an initrd, to edit: $T/plan.json.
basic_plan() {
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --initrd "$GUESTS/initrd.img"
	cp "$T/4-pagetables.json" "$T/plan.json"
}

# finalize refusing: exit 1, one line naming MESSAGE, nothing on stdout,
# no 64-digit hex (a digest) anywhere, and no DIR or temporary left.
# refused MESSAGE DIR ARGS...
refused() {
	local message=$1 dir=$2
	shift 2
	run -1 --separate-stderr timeout 20 "$BIN/finalize" --out "$dir" "$@"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "$message"
	! [[ $stderr =~ [0-9a-f]{64} ]] || fail "a digest on stderr: $stderr"
	[ ! -e "$dir" ]
	run compgen -G "$(dirname "$dir")/.$(basename "$dir").pvbuild-*"
	assert_failure
}

# --- 1. A FIFO never blocks ---

@test "a plan naming a FIFO as its kernel is refused at once: not a regular file" {
	basic_plan
	mkfifo "$T/fifo"
	edit_plan "$T/plan.json" "$T/x.json" "p['elfinfo']['image']['path'] = '$T/fifo'"
	refused "elfinfo.image: $T/fifo: not a regular file" "$T/dom" --prefetch "$T/fifo" "$T/x.json"
}

@test "a plan naming a FIFO as its initrd is refused at once: not a regular file" {
	basic_plan
	mkfifo "$T/fifo"
	edit_plan "$T/plan.json" "$T/x.json" "p['layout']['initrd']['path'] = '$T/fifo'"
	refused "layout.initrd: $T/fifo: not a regular file" "$T/dom" --initrd "$T/fifo" "$T/x.json"
}

@test "elfinfo and layout --initrd given a FIFO refuse it at once" {
	mkfifo "$T/fifo"
	run -1 --separate-stderr timeout 20 "$BIN/elfinfo" "$T/fifo"
	assert_stderr "elfinfo: $T/fifo: not a regular file"
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/1.json"
	run -1 --separate-stderr timeout 20 "$BIN/layout" --memory 16M --initrd "$T/fifo" "$T/1.json"
	assert_output ''
	assert_stderr "layout: --initrd: $T/fifo: not a regular file"
}

# --- 2. No oracle, no deputy ---

@test "a plan naming /etc/shadow as its initrd is refused without a digest, even with the file's own hash and size" {
	need_root "the deputy is root"
	[ -r /etc/shadow ] || skip "no /etc/shadow here"
	basic_plan
	edit_plan "$T/plan.json" "$T/x.json" "p['layout']['initrd']['path'] = '/etc/shadow'"
	refused "layout.initrd: /etc/shadow: not readable by every user, and not named on the command line" \
		"$T/dom" "$T/x.json"
	# The attack's second step: a plan made with a stand-in of the same
	# size, then given the file's path and its true hash, which root can
	# compute but the plan's author could only learn from an oracle.
	local sum size
	sum=$(sha256sum </etc/shadow | cut -d' ' -f1)
	size=$(stat -c %s /etc/shadow)
	head -c "$size" /dev/zero | tr '\0' x >"$T/stand-in"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --initrd "$T/stand-in"
	edit_plan "$T/4-pagetables.json" "$T/y.json" "
p['layout']['initrd'].update(path='/etc/shadow', sha256='$sum')"
	refused "layout.initrd: /etc/shadow: not readable by every user" "$T/dom" "$T/y.json"
	[[ $stderr != *"$sum"* ]]
}

@test "a file in a private directory is read only when the command line names it" {
	need_root "as root, every file opens; the rule is what refuses"
	cp "$GUESTS/initrd.img" "$T/initrd.img"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --initrd "$T/initrd.img"
	refused "layout.initrd: $T/initrd.img: not readable by every user, and not named on the command line" \
		"$T/dom" "$T/4-pagetables.json"
	run -0 --separate-stderr "$BIN/finalize" --out "$T/dom" --initrd "$T/initrd.img" "$T/4-pagetables.json"
	[ -d "$T/dom" ]
	# The same holds for the kernel, named by --prefetch.
	cp "$GUESTS/basic.elf" "$T/kernel.elf"
	plan_to pagetables "$T/kernel.elf" --memory 16M
	refused "elfinfo.image: $T/kernel.elf: not readable by every user" "$T/dom2" "$T/4-pagetables.json"
	run -0 --separate-stderr "$BIN/finalize" --out "$T/dom2" --prefetch "$T/kernel.elf" "$T/4-pagetables.json"
}

@test "a file every user may read is read though only the plan names it" {
	shared_scratch
	cp "$GUESTS/initrd.img" "$W/initrd.img"
	chmod 644 "$W/initrd.img"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M --initrd "$W/initrd.img"
	run -0 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json"
	# Readable by its owner only: refused, although root could read it.
	chmod 600 "$W/initrd.img"
	if [ "$(id -u)" = 0 ]; then
		refused "layout.initrd: $W/initrd.img: not readable by every user" "$T/dom2" "$T/4-pagetables.json"
	fi
}

@test "--initrd naming another file than the plan's is refused: the caller meant that file" {
	basic_plan
	refused "layout.initrd.path: not the file --initrd names" "$T/dom" \
		--initrd "$GUESTS/initrd.img.gz" "$T/plan.json"
	plan_to pagetables "$GUESTS/basic.elf" --memory 16M
	refused "layout.initrd.path: not the file --initrd names" "$T/dom" \
		--initrd "$GUESTS/initrd.img" "$T/4-pagetables.json"
}

@test "a changed kernel or initrd is refused naming what disagrees, never its digest or size" {
	cp "$GUESTS/basic.elf" "$T/kernel.elf"
	cp "$GUESTS/initrd.img" "$T/initrd.img"
	plan_to pagetables "$T/kernel.elf" --memory 16M --initrd "$T/initrd.img"
	printf '\220' | dd of="$T/kernel.elf" bs=1 seek=4100 conv=notrunc 2>/dev/null
	refused "elfinfo.image: $T/kernel.elf: changed since the plan was made (its sha256 is not the plan's)" \
		"$T/dom" --prefetch "$T/kernel.elf" --initrd "$T/initrd.img" "$T/4-pagetables.json"
	cp "$GUESTS/basic.elf" "$T/kernel.elf"
	echo more >>"$T/initrd.img"
	refused "layout.initrd: $T/initrd.img: changed since the plan was made (its size is not the plan's)" \
		"$T/dom" --prefetch "$T/kernel.elf" --initrd "$T/initrd.img" "$T/4-pagetables.json"
	[[ $stderr != *"$(stat -c %s "$T/initrd.img")"* ]]
}

@test "a kernel path that has become a symbolic link is refused saying so" {
	cp "$GUESTS/basic.elf" "$T/kernel.elf"
	plan_to pagetables "$T/kernel.elf" --memory 16M
	mv "$T/kernel.elf" "$T/other.elf"
	ln -s other.elf "$T/kernel.elf"
	refused "elfinfo.image: $T/kernel.elf: now leads to another file (a symbolic link?)" \
		"$T/dom" --prefetch "$T/kernel.elf" "$T/4-pagetables.json"
}

@test "the domain directory and its files are private to their owner (0700, 0600)" {
	basic_plan
	umask 022
	"$BIN/finalize" --out "$T/dom" "$T/plan.json" >/dev/null
	[ "$(stat -c %a "$T/dom")" = 700 ]
	run stat -c '%a %n' "$T/dom"/*
	assert_output "$(printf '600 %s\n' "$T/dom/arrangement.txt" "$T/dom/domain.json" "$T/dom/m2p.bin" "$T/dom/machine.mem" "$T/dom/plan.json")"
}

# --- 3. Never read more than the plan says ---

@test "a 2 GB sparse file as the initrd is refused before a byte is read: exit 1, little memory" {
	basic_plan
	truncate -s 2G "$T/sparse"
	edit_plan "$T/plan.json" "$T/x.json" "p['layout']['initrd']['path'] = '$T/sparse'"
	run -1 --separate-stderr /usr/bin/time -o "$T/time" -f '%M' \
		"$BIN/finalize" --out "$T/dom" --initrd "$T/sparse" "$T/x.json"
	assert_output ''
	assert_stderr "finalize: layout.initrd: $T/sparse: changed since the plan was made (its size is not the plan's)"
	# A build that read the file before comparing sizes would hold 2 GiB.
	[ "${PVBUILD_SAN:-0}" = 1 ] || [ "$(tail -n 1 "$T/time")" -lt $((64 * 1024)) ]
	[ ! -e "$T/dom" ]
}

@test "a 2 GB sparse file that only the plan names costs no read at all" {
	shared_scratch
	basic_plan
	truncate -s 2G "$W/sparse"
	chmod 644 "$W/sparse"
	edit_plan "$T/plan.json" "$T/x.json" "p['elfinfo']['image']['path'] = '$W/sparse'"
	run -1 --separate-stderr /usr/bin/time -o "$T/time" -f '%M' \
		"$BIN/finalize" --out "$T/dom" "$T/x.json"
	assert_stderr "finalize: elfinfo.image: $W/sparse: changed since the plan was made (its size is not the plan's)"
	[ "${PVBUILD_SAN:-0}" = 1 ] || [ "$(tail -n 1 "$T/time")" -lt $((64 * 1024)) ]
}

@test "a plan saying its kernel has 100 GB is refused as bad input, not out of memory" {
	basic_plan
	truncate -s 100G "$T/huge"
	edit_plan "$T/plan.json" "$T/x.json" "
p['elfinfo']['image']['path'] = '$T/huge'
p['elfinfo']['image']['size'] = 100 << 30"
	refused "elfinfo.image.size: more than the 4 GiB any file pvbuild reads may have" \
		"$T/dom" --prefetch "$T/huge" "$T/x.json"
}

@test "elfinfo and layout refuse a file larger than 4 GiB before reading it" {
	truncate -s 5G "$T/huge"
	run -1 --separate-stderr timeout 20 "$BIN/elfinfo" "$T/huge"
	assert_stderr "elfinfo: $T/huge: larger than 4 GiB, more than any kernel or initrd"
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/1.json"
	run -1 --separate-stderr timeout 20 "$BIN/layout" --memory 16M --initrd "$T/huge" "$T/1.json"
	assert_stderr "layout: --initrd: $T/huge: larger than 4 GiB, more than any kernel or initrd"
}

# --- 5. Bounded plans; notes checked against the kernel ---

@test "a plan whose elfinfo.notes holds 9.5M keys is refused while it is read" {
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 32M
	# The 143 MB plan of the report, streamed: finalize stops reading at
	# the first member past the limit, so the writer sees a closed pipe.
	run -1 --separate-stderr bash -c '
"$1" -c "
import json, sys
p = json.load(open(sys.argv[1]))
text = json.dumps(p, sort_keys=True)
head, tail = text.split(\"\\\"notes\\\": {\", 1)
out = sys.stdout
out.write(head + \"\\\"notes\\\": {\")
try:
    for i in range(0, 9500000, 100000):
        out.write(\"\".join(\"\\\"K%d\\\": \\\"v\\\", \" % k for k in range(i, i + 100000)))
    out.write(tail)
    out.flush()
except BrokenPipeError:
    sys.stderr.close()
" "$2" | /usr/bin/time -o "$3/time" -f %M "$4" --out "$3/dom"' _ \
		"$PY" "$T/4-pagetables.json" "$T" "$BIN/finalize"
	assert_output ''
	assert_stderr "finalize: <stdin>: elfinfo.notes: more than 256 members (no plan has so many)"
	[ "${PVBUILD_SAN:-0}" = 1 ] || [ "$(tail -n 1 "$T/time")" -lt $((64 * 1024)) ]
	[ ! -e "$T/dom" ]
}

@test "every stage refuses an object with more members than any plan has" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/2-layout.json" "$T/x.json" "p['layout'].update({'k%d' % i: 0 for i in range(300)})"
	run -1 --separate-stderr "$BIN/populate" "$T/x.json"
	assert_stderr "populate: $T/x.json: layout: more than 256 members (no plan has so many)"
}

@test "notes the kernel does not declare are refused: added, changed or removed" {
	plan_to pagetables "$GUESTS/x64-basic.elf" --memory 32M
	edit_plan "$T/4-pagetables.json" "$T/a.json" "p['elfinfo']['notes']['LOADER'] = 'forged'"
	refused "elfinfo.notes: not what the kernel declares" "$T/dom" "$T/a.json"
	edit_plan "$T/4-pagetables.json" "$T/b.json" "p['elfinfo']['notes']['GUEST_OS'] = 'evil'"
	refused "elfinfo.notes: not what the kernel declares" "$T/dom" "$T/b.json"
	edit_plan "$T/4-pagetables.json" "$T/c.json" "del p['elfinfo']['notes']['GUEST_OS']"
	refused "elfinfo.notes: not what the kernel declares" "$T/dom" "$T/c.json"
	edit_plan "$T/4-pagetables.json" "$T/d.json" "p['elfinfo']['warnings'].append('forged')"
	refused "elfinfo.warnings: not what the kernel declares" "$T/dom" "$T/d.json"
	# And the plan as elfinfo wrote it builds.
	run -0 "$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json"
}

# --- boot reads only the domain directory's own files ---

@test "boot refuses a domain whose files are a symbolic link or a FIFO, at once" {
	basic_plan
	"$BIN/finalize" --out "$T/dom" "$T/plan.json" >/dev/null
	cp -a "$T/dom" "$T/d1"
	rm "$T/d1/machine.mem"
	ln -s /etc/passwd "$T/d1/machine.mem"
	run -1 --separate-stderr timeout 20 "$BIN/boot" "$T/d1"
	assert_stderr --partial "$T/d1/machine.mem: a symbolic link, not the domain's file"
	cp -a "$T/dom" "$T/d2"
	rm "$T/d2/domain.json"
	mkfifo "$T/d2/domain.json"
	run -1 --separate-stderr timeout 20 "$BIN/boot" "$T/d2"
	assert_stderr --partial "$T/d2/domain.json: not a regular file"
}

@test "pipeline.sh names its kernel and initrd to finalize: files in a private directory build" {
	cp "$GUESTS/basic.elf" "$T/kernel.elf"
	cp "$GUESTS/initrd.img" "$T/initrd.img"
	run -0 --separate-stderr "$TOP/pipeline.sh" "$T/kernel.elf" --memory 16M \
		--initrd "$T/initrd.img" --out "$T/dom"
	[ -f "$T/dom/machine.mem" ]
}

# --- 6. A plan relabelled as the other guest type ---

# The PAE guest's elfinfo ($T/pv.json) edited by CODE into $T/e.json,
# CODE seeing e (its elfinfo) and h (pvh-check's as PVH, $T/pvh.json);
# then the later stages, given layout's ARGS, into $T/plan.json:
# relabel CODE ARGS...
relabel() {
	local code=$1
	shift
	"$BIN/elfinfo" "$GUESTS/pae-basic.elf" >"$T/pv.json"
	"$BIN/elfinfo" --pvh "$GUESTS/pvh-check.elf" >"$T/pvh.json"
	edit_plan "$T/pv.json" "$T/e.json" "
h = json.load(open('$T/pvh.json'))['elfinfo']
e = p['elfinfo']
$code"
	"$BIN/layout" "$@" "$T/e.json" >"$T/2.json" &&
		"$BIN/populate" "$T/2.json" >"$T/3.json" &&
		"$BIN/pagetables" "$T/3.json" >"$T/plan.json"
}

@test "a PV kernel's plan relabelled PVH, the later stages planned for it, is refused: not a PVH kernel" {
	# elfinfo made PVH's: the entry declared as PHYS32_ENTRY, the
	# segments at their virtual addresses as physical ones, and RAM
	# enough to hold them. Nothing but the kernel itself says otherwise.
	relabel '
for k in [k for k in e if k not in h]:
    del e[k]
e.update(abi="pvh", paging_levels=0, guest_info=None, declared_by="notes",
         notes={"PHYS32_ENTRY": e["entry"]})
for s in e["segments"]:
    s["paddr"] = s["vaddr"]' --memory 3100M
	refused "finalize: elfinfo.image: no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel" \
		"$T/dom" "$T/plan.json"
	# A reader given the label alone refuses it by the plan's own rules.
	edit_plan "$T/pv.json" "$T/x.json" 'p["elfinfo"]["abi"] = "pvh"'
	run -1 --separate-stderr "$BIN/layout" --memory 24M "$T/x.json"
	assert_stderr "layout: $T/x.json: elfinfo.features: unknown member"
}

@test "a PVH kernel's plan relabelled PV, the later stages planned for it, is refused: not a PV kernel" {
	# elfinfo made a PAE guest's, its notes a PV kernel's placed at the
	# PVH kernel's addresses (virt_base 0).
	relabel '
for k in ("image", "segments", "entry", "kernel_start", "kernel_end"):
    e[k] = h[k]
e.update(virt_base="0x0", paddr_offset="0x0", hypercall_page="0x101000")
e["notes"].update(VIRT_BASE="0x0", PADDR_OFFSET="0x0", ENTRY=h["entry"],
                  HYPERCALL_PAGE="0x101000")' --memory 24M
	refused "finalize: elfinfo.image: will only load images built for the generic loader or Linux" \
		"$T/dom" "$T/plan.json"
	# The PVH plan labelled PV alone is refused by its members' shapes.
	"$BIN/layout" --memory 24M "$T/pvh.json" >"$T/2.json"
	edit_plan "$T/2.json" "$T/x.json" '
p["elfinfo"].update(abi="xen-3.0-x86_32p", paging_levels=3)'
	run -1 --separate-stderr "$BIN/populate" "$T/x.json"
	assert_output ''
	assert_stderr --partial "populate: $T/x.json: elfinfo."
}
