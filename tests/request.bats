#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The request beyond memory (issue 15): layout --vcpus, --maxmem, --name,
# --disk and --nic, from the command line through the plan to a sim
# domain's domain.json, the arrangement and the checker; and every
# refusal, by layout on the command line and by the next stage's reader on
# a plan edited by hand.
bats_require_minimum_version 1.5.0
load helper

X64=$GUESTS/x64-basic.elf
PAE=$GUESTS/pae-basic.elf

setup() {
	T=$BATS_TEST_TMPDIR
	"$BIN/elfinfo" "$X64" >"$T/x64.json"
	"$BIN/elfinfo" "$GUESTS/basic.elf" >"$T/x13.json"
}

# A failure of layout on the x64 guest: exit 1, one line on stderr that
# starts with "layout: " and holds MESSAGE, nothing on stdout.
refused() {
	local message=$1
	shift
	run -1 --separate-stderr "$BIN/layout" --memory 32M "$@" "$T/x64.json"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "$message"
	[[ $stderr == "layout: "* ]]
}

# layout.KEY of PLAN as JSON: member PLAN KEY
member() {
	"$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["layout"][sys.argv[2]], sort_keys=True))' "$1" "$2"
}

# The x64 guest's pagetables plan with the request: request_plan ARGS...
request_plan() {
	plan_to pagetables "$X64" --memory 32M "$@"
}

# A plan of the x64 guest with two disks and two NICs, edited by EDIT into
# $T/bad.json; the stage that reads it must refuse: bad_layout EDIT.
bad_layout() {
	plan_to layout "$X64" --memory 32M --maxmem 64M --vcpus 2 --name db \
	    --disk /srv/a.img,raw,xvda,rw --disk /srv/b.img,raw,xvdb,r \
	    --nic '' --nic bridge=br1
	edit_plan "$T/2-layout.json" "$T/bad.json" "$1"
}

# populate must refuse $T/bad.json, one line naming FIELD.
populate_refuses() {
	run -1 --separate-stderr "$BIN/populate" "$T/bad.json"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr --partial "$1"
}

@test "the request goes through the plan to a sim domain: vCPUs, maxmem, name, disks and NICs in domain.json, and the checker agrees" {
	request_plan --vcpus 4 --maxmem 128M --name web-1 \
	    --disk /srv/root.img,raw,xvda,rw --disk 'vdev=xvdb, access=ro, target=/srv/data,2' \
	    --nic '' --nic 'bridge=br1, mac=00:16:3E:0A:0B:0C'
	run -0 "$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json"
	run -0 "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1] + "/domain.json"))
p = json.load(open(sys.argv[2]))
for k in ("vcpus", "maxmem", "name", "disks", "nics"):
    assert d[k] == p["layout"][k], (k, d[k], p["layout"][k])
assert d["vcpus"] == 4 == p["populate"]["shared_info"]["vcpus"], d
assert d["maxmem"] == 128 << 20 and d["name"] == "web-1", d
assert d["disks"] == [{"target": "/srv/root.img", "vdev": "xvda", "access": "rw"},
                      {"target": "/srv/data,2", "vdev": "xvdb", "access": "r"}], d["disks"]
assert d["nics"][0]["bridge"] == "xenbr0" and d["nics"][0]["mac"].startswith("00:16:3e:"), d["nics"]
assert d["nics"][1] == {"mac": "00:16:3e:0a:0b:0c", "bridge": "br1"}, d["nics"]' "$T/dom" "$T/4-pagetables.json"
	run -0 "$PY" "$TOP/tests/checker/checkdom.py" "$T/dom" --kernel "$X64" \
	    --memory 32M --vcpus 4 --maxmem 128M --name web-1 \
	    --disk /srv/root.img,raw,xvda,rw --disk /srv/data,2,raw,xvdb,r \
	    --nic '' --nic bridge=br1,mac=00:16:3e:0a:0b:0c
	assert_line 'ok request'
	refute_output --partial FAIL
}

@test "the defaults: one vCPU, maxmem at memory, no name, no disk, no NIC" {
	plan_to layout "$X64" --memory 32M
	[ "$(member "$T/2-layout.json" vcpus)" = 1 ]
	[ "$(member "$T/2-layout.json" maxmem)" = $((32 << 20)) ]
	[ "$(member "$T/2-layout.json" name)" = null ]
	[ "$(member "$T/2-layout.json" disks)" = '[]' ]
	[ "$(member "$T/2-layout.json" nics)" = '[]' ]
}

@test "xl's disk spec: positional, by key, with empty positions, and xl's old form with its prefixes give the same disk" {
	local spec want=
	# After a prefix the positions are xl's old TARGET,VDEV,ACCESS.
	for spec in '/srv/a.img,raw,xvdc,rw' '/srv/a.img,,xvdc' \
	    'format=raw, vdev=xvdc, access=w, target=/srv/a.img' \
	    'vdev=xvdc,/srv/a.img' 'phy:/srv/a.img,xvdc,w' 'file:/srv/a.img,xvdc' \
	    'tap:aio:/srv/a.img,xvdc:disk,rw' 'raw:/srv/a.img,xvdc,' 'phy:/srv/a.img,vdev=xvdc' \
	    '/srv/a.img,,xvdc:disk'; do
		"$BIN/layout" --memory 32M --disk "$spec" "$T/x64.json" >"$T/l.json"
		[ "$(member "$T/l.json" disks)" = '[{"access": "rw", "target": "/srv/a.img", "vdev": "xvdc"}]' ]
	done
	for spec in '/srv/a.img,raw,xvdc,r' '/srv/a.img,,xvdc,ro' 'access=r,vdev=xvdc,target=/srv/a.img' \
	    'phy:/srv/a.img,xvdc,r'; do
		"$BIN/layout" --memory 32M --disk "$spec" "$T/x64.json" >"$T/l.json"
		[ "$(member "$T/l.json" disks)" = '[{"access": "r", "target": "/srv/a.img", "vdev": "xvdc"}]' ]
	done
}

@test "the made MAC is stable, in Xen's OUI, and differs by name, by index and (unnamed) by command line" {
	local a b c d e f
	"$BIN/layout" --memory 32M --name web --nic '' --nic '' "$T/x64.json" >"$T/1.json"
	"$BIN/layout" --memory 64M --name web --nic '' --nic '' "$T/x64.json" >"$T/2.json"
	"$BIN/layout" --memory 32M --name db --nic '' "$T/x64.json" >"$T/3.json"
	a=$(member "$T/1.json" nics)
	# The same name, the same MACs, whatever else the request holds.
	[ "$a" = "$(member "$T/2.json" nics)" ]
	b=$("$PY" -c 'import json,sys; n=json.loads(sys.argv[1]); print(n[0]["mac"], n[1]["mac"])' "$a")
	[[ ${b% *} == 00:16:3e:* && ${b#* } == 00:16:3e:* ]]
	[ "${b% *}" != "${b#* }" ]
	c=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[0]["mac"])' "$(member "$T/3.json" nics)")
	[ "$c" != "${b% *}" ]
	# Unnamed: from the kernel and the command line, stable.
	"$BIN/layout" --memory 32M --cmdline x --nic '' "$T/x64.json" >"$T/4.json"
	"$BIN/layout" --memory 32M --cmdline x --nic '' "$T/x64.json" >"$T/5.json"
	"$BIN/layout" --memory 32M --cmdline y --nic '' "$T/x64.json" >"$T/6.json"
	d=$(member "$T/4.json" nics)
	[ "$d" = "$(member "$T/5.json" nics)" ]
	[ "$d" != "$(member "$T/6.json" nics)" ]
	e=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[0]["mac"])' "$d")
	[ "$e" != "$c" ] && [ "$e" != "${b% *}" ]
	# mac= given is kept as given (lowercased).
	"$BIN/layout" --memory 32M --name web --nic mac=00:16:3E:AA:BB:CC "$T/x64.json" >"$T/7.json"
	f=$(member "$T/7.json" nics)
	[ "$f" = '[{"bridge": "xenbr0", "mac": "00:16:3e:aa:bb:cc"}]' ]
}

@test "the arrangement lists the request after the memory part, and a default request adds no line" {
	request_plan --vcpus 2 --maxmem 64M --name web --disk /srv/a.img,,xvda,r \
	    --nic bridge=br0,mac=00:16:3e:00:00:01
	run -0 "$BIN/show" "$T/4-pagetables.json"
	assert_line -n 11 ' vCPUs:         2'
	assert_line -n 12 ' Max memory:    64 MiB (balloon up from 32 MiB)'
	assert_line -n 13 ' Name:          web'
	assert_line -n 14 ' Disk xvda:     /srv/a.img (r)'
	assert_line -n 15 ' NIC 0:         00:16:3e:00:00:01 on bridge br0'
	[ "${#lines[@]}" -eq 16 ]
	run -0 "$BIN/finalize" --out "$T/dom" "$T/4-pagetables.json"
	assert_line -n 15 ' NIC 0:         00:16:3e:00:00:01 on bridge br0'
	"$BIN/show" "$T/4-pagetables.json" | cmp - "$T/dom/arrangement.txt"
	run -0 "$BIN/show" --svg "$T/4-pagetables.json"
	assert_output --partial '> NIC 0:         00:16:3e:00:00:01 on bridge br0</text>'
	assert_output --partial '> Disk xvda:     /srv/a.img (r)</text>'
	plan_to layout "$X64" --memory 32M
	run -0 "$BIN/show" "$T/2-layout.json"
	refute_output --partial 'vCPUs'
	[ "${#lines[@]}" -eq 11 ]
}

@test "--vcpus 0, a word, or above HVM_MAX_VCPUS (128) is refused" {
	refused "--vcpus: '0' is not a positive number" --vcpus 0
	refused "--vcpus: 'two' is not a positive number" --vcpus two
	refused "--vcpus: 129 is above 128, the most a xen-3.0-x86_64 domain has (HVM_MAX_VCPUS" --vcpus 129
	run -0 "$BIN/layout" --memory 32M --vcpus 128 "$T/x64.json"
}

@test "a xen-1.3 guest with 2 vCPUs is refused, naming the ABI" {
	run -1 --separate-stderr "$BIN/layout" --memory 16M --vcpus 2 "$T/x13.json"
	assert_output ''
	assert_stderr "layout: --vcpus: 2, but a xen-1.3 domain has exactly one vCPU (the ABI starts one and its shared_info has one slot)"
}

@test "--maxmem below --memory, not whole pages, or above the ABI's maximum is refused" {
	refused "--maxmem: 16M is below --memory" --maxmem 16M
	refused "--maxmem: '32769K' is not a multiple of 4 KiB" --maxmem 32769K
	refused "--maxmem: 2048G is too large for xen-3.0-x86_64" --maxmem 2048G
	run -1 --separate-stderr "$BIN/layout" --memory 32M --maxmem 65G "$(plan_to elfinfo "$PAE"; echo "$T/1-elfinfo.json")"
	assert_stderr --partial "--maxmem: 65G is too large for xen-3.0-x86_32p"
}

@test "--name of digits alone, with '/', a space, or over 64 bytes is refused" {
	refused "--name: '1234' is not 1 to 64 printable bytes" --name 1234
	refused "--name: 'a/b'" --name a/b
	refused "--name: 'a b'" --name 'a b'
	refused "--name: " --name "$(printf 'n%.0s' {1..65})"
	run -0 "$BIN/layout" --memory 32M --name "$(printf 'n%.0s' {1..64})" "$T/x64.json"
}

@test "a --disk with an unknown key, no target, no vdev, another format, a bad vdev or access is refused naming the --disk" {
	refused '--disk 2: unknown key "cache" (pvbuild takes target, format, vdev and access)' \
	    --disk /a,,xvda --disk /b,,xvdb,cache=none
	refused '--disk 1: an empty spec' --disk ' '
	refused '--disk 1: no target' --disk vdev=xvda
	refused '--disk 1: no vdev (xl requires one)' --disk /a
	refused '--disk 1: format "qcow2": pvbuild takes raw disks only' --disk /a,qcow2,xvda
	refused '--disk 1: vdev "hda": not a PV disk name' --disk /a,,hda
	refused '--disk 1: vdev "xvda1": not a PV disk name' --disk /a,,xvda1
	refused '--disk 1: access "rx": not r, ro, w or rw' --disk /a,,xvda,rx
	refused '--disk 1: "cdrom": more parameters than target, format, vdev and access' \
	    --disk /a,raw,xvda,r,cdrom
	refused '--disk 1: vdev given twice' --disk /a,,xvda,vdev=xvdb
}

@test "xl's old form: a format among its positions, a prefix xl has no use for, a cdrom, or a second format is refused by name" {
	# xl reads this as vdev "raw" and access "xvdc", and refuses it too.
	refused '--disk 1: vdev "raw": not a PV disk name' --disk phy:/a,raw,xvdc
	refused '--disk 1: prefix "nbd:": not one of xl'"'"'s that pvbuild takes' --disk nbd:/a,xvda
	refused '--disk 1: prefix "foo:": not one of xl'"'"'s that pvbuild takes' --disk foo:/a,xvda
	refused '--disk 1: vdev "xvda:cdrom": device type "cdrom" (pvbuild makes disks only)' --disk phy:/a,xvda:cdrom,r
	refused '--disk 1: format "vhd": pvbuild takes raw disks only' --disk vhd:/a,xvda
	refused '--disk 1: format given twice' --disk format=raw,raw:/a,xvda
	# A file whose name has a colon before a letter is no prefix.
	"$BIN/layout" --memory 32M --disk 'srv:a.img,,xvda' "$T/x64.json" >"$T/l.json"
	[ "$(member "$T/l.json" disks)" = '[{"access": "rw", "target": "srv:a.img", "vdev": "xvda"}]' ]
}

@test "a vdev given twice is refused naming both --disks" {
	refused '--disk 3: vdev "xvda" given twice (--disk 1 has it)' \
	    --disk /a,,xvda --disk /b,,xvdb --disk /c,,xvda
}

@test "more than 16 disks or 8 NICs is refused" {
	local i args=()
	for i in a b c d e f g h i j k l m n o p q; do args+=(--disk "/d$i,,xvd$i"); done
	refused '--disk: more than 16' "${args[@]}"
	args=()
	for i in 1 2 3 4 5 6 7 8 9; do args+=(--nic ''); done
	refused '--nic: more than 8' "${args[@]}"
}

@test "a --nic with script=, ip=, model= or a word, a bad or multicast MAC, or a bad bridge is refused naming the --nic" {
	refused '--nic 1: unknown key "script" (pvbuild takes bridge and mac)' --nic script=vif-route
	refused '--nic 2: unknown key "ip"' --nic '' --nic ip=10.0.0.2
	refused '--nic 1: unknown key "model"' --nic bridge=br0,model=e1000
	refused '--nic 1: "br0": not key=value' --nic br0
	refused '--nic 1: mac "00:16:3e:00:00": not six hex bytes' --nic mac=00:16:3e:00:00
	refused '--nic 1: mac "01:00:5e:00:00:01": not six hex bytes xx:xx:xx:xx:xx:xx of a unicast address' --nic mac=01:00:5e:00:00:01
	refused '--nic 1: mac "00:16:3g:00:00:01"' --nic mac=00:16:3g:00:00:01
	refused '--nic 1: bridge "a-bridge-too-long": not an interface name (1 to 15' --nic bridge=a-bridge-too-long
	refused '--nic 1: bridge "br/0"' --nic bridge=br/0
	refused '--nic 1: bridge given twice' --nic bridge=a,bridge=b
	run -0 "$BIN/layout" --memory 32M --nic bridge=fifteen-bytes-x "$T/x64.json"
}

@test "a plan with a vdev twice, a bad MAC, a bad bridge, an unknown disk key or a bad access is refused by populate naming the field" {
	bad_layout 'p["layout"]["disks"][1]["vdev"] = "xvda"'
	populate_refuses 'layout.disks[1].vdev: "xvda" is disks[0]'"'"'s too'
	bad_layout 'p["layout"]["nics"][1]["mac"] = "01:16:3e:00:00:01"'
	populate_refuses 'layout.nics[1].mac: "01:16:3e:00:00:01" is not a unicast MAC'
	bad_layout 'p["layout"]["nics"][0]["mac"] = "00:16:3e:00:00:1"'
	populate_refuses 'layout.nics[0].mac'
	bad_layout 'p["layout"]["nics"][0]["bridge"] = "x" * 16'
	populate_refuses 'layout.nics[0].bridge'
	bad_layout 'p["layout"]["disks"][0]["cache"] = "none"'
	populate_refuses 'layout.disks[0]'
	populate_refuses 'cache'
	bad_layout 'p["layout"]["disks"][0]["access"] = "w"'
	populate_refuses 'layout.disks[0].access'
	bad_layout 'p["layout"]["disks"][0]["target"] = "/a\nb"'
	populate_refuses 'layout.disks[0].target'
	bad_layout 'p["layout"]["disks"] = [p["layout"]["disks"][0]] * 17'
	populate_refuses 'layout.disks'
}

@test "a plan with maxmem below memory, vcpus 0 or above the ceiling, a bad name, or a request member missing is refused by populate" {
	bad_layout 'p["layout"]["maxmem"] = p["layout"]["memory"] - 4096'
	populate_refuses 'layout.maxmem: 33550336 is not whole pages from memory (33554432)'
	bad_layout 'p["layout"]["maxmem"] = p["layout"]["memory"] + 1'
	populate_refuses 'layout.maxmem'
	bad_layout 'p["layout"]["vcpus"] = 0'
	populate_refuses 'layout.vcpus: 0, where a xen-3.0-x86_64 domain has 1 to 128'
	bad_layout 'p["layout"]["vcpus"] = 129'
	populate_refuses 'layout.vcpus: 129'
	bad_layout 'p["layout"]["name"] = "42"'
	populate_refuses 'layout.name'
	bad_layout 'del p["layout"]["nics"]'
	populate_refuses 'layout.nics'
	bad_layout 'del p["layout"]["name"]'
	populate_refuses 'layout.name: missing'
}

@test "a xen-1.3 plan with 2 vCPUs is refused by populate" {
	plan_to layout "$GUESTS/basic.elf" --memory 16M
	edit_plan "$T/2-layout.json" "$T/bad.json" 'p["layout"]["vcpus"] = 2'
	populate_refuses 'layout.vcpus: 2, where a xen-1.3 domain has 1 to 1'
}

@test "shared_info.vcpus not layout.vcpus is refused by pagetables and finalize" {
	request_plan --vcpus 3
	edit_plan "$T/3-populate.json" "$T/bad.json" 'p["populate"]["shared_info"]["vcpus"] = 2'
	run -1 --separate-stderr "$BIN/pagetables" "$T/bad.json"
	assert_stderr --partial 'populate.shared_info.vcpus: 2, not layout.vcpus (3)'
	edit_plan "$T/4-pagetables.json" "$T/bad.json" 'p["populate"]["shared_info"]["vcpus"] = 4'
	run -1 --separate-stderr "$BIN/finalize" --out "$T/dom" "$T/bad.json"
	assert_stderr --partial 'populate.shared_info.vcpus: 4, not layout.vcpus (3)'
	[ ! -e "$T/dom" ]
}

@test "the checker fails on a damaged vcpus, maxmem, disk or NIC in domain.json, and on a request it was not told" {
	local kind
	request_plan --vcpus 2 --maxmem 64M --disk /srv/a.img,raw,xvda,rw --nic bridge=br0
	run -0 "$BIN/finalize" --out "$T/good" "$T/4-pagetables.json"
	for kind in req-vcpus req-maxmem req-disk req-nic; do
		rm -rf "$T/copy"
		cp -r --sparse=always "$T/good" "$T/copy"
		run -0 "$PY" "$TOP/tests/checker/damage.py" "$T/copy" "$kind"
		assert_output request
		run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$T/copy" --kernel "$X64" \
		    --memory 32M --vcpus 2 --maxmem 64M --disk /srv/a.img,raw,xvda,rw --nic bridge=br0
		assert_line --partial 'FAIL request'
	done
	run -0 "$PY" "$TOP/tests/checker/checkdom.py" "$T/good" --kernel "$X64" \
	    --memory 32M --vcpus 2 --maxmem 64M --disk /srv/a.img,raw,xvda,rw --nic bridge=br0
	run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$T/good" --kernel "$X64" \
	    --memory 32M --vcpus 1 --maxmem 64M --disk /srv/a.img,raw,xvda,rw --nic bridge=br0
	assert_line --partial 'FAIL request: domain.json vcpus: expected 1, got 2'
	# Told a name, the checker expects the name's MAC, not the unnamed one.
	run -1 "$PY" "$TOP/tests/checker/checkdom.py" "$T/good" --kernel "$X64" \
	    --memory 32M --vcpus 2 --maxmem 64M --name other --disk /srv/a.img,raw,xvda,rw --nic bridge=br0
	assert_line --partial 'FAIL request: domain.json name'
	assert_line --partial 'domain.json nics'
}

@test "a --disk target that is not UTF-8 or holds a control character is refused" {
	refused '--disk 1: the target is not valid UTF-8' --disk $'/srv/a\xff.img,,xvda'
	refused '--disk 1: no target, or one that is not a path of printable bytes' --disk $'/srv/a\tb,,xvda'
}
