#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# pvbuild build --config: an xl domain configuration (xl.cfg(5)) read with
# xl's syntax for the keys pvbuild has options for, every other key
# refused by name; the same request as on the command line builds the
# same domain, and the command line overrides the file.
bats_require_minimum_version 1.5.0
load helper

setup() {
	cd "$TOP"
	T=$BATS_TEST_TMPDIR
}

# The stage command lines a configuration turns into: dry CFG [ARGS...].
dry() {
	local cfg=$1
	shift
	run -0 --separate-stderr "$BIN/pvbuild" build --config "$cfg" \
		--out "$T/d" --dry-run "$@"
	[ -z "$stderr" ]
	[ ! -e "$T/d" ]
}

# layout's line of a dry run, in $output.
layout_line() {
	dry "$@"
	output=${lines[1]}
}

# A configuration refused: refused CFG MESSAGE [ARGS...]: exit 1, one
# line naming the file, nothing on stdout, nothing built.
refused() {
	local cfg=$1 message=$2
	shift 2
	run -1 --separate-stderr "$BIN/pvbuild" build --config "$cfg" \
		--out "$T/d" --keep "$T/plans" "$@"
	assert_output ''
	[ "${#stderr_lines[@]}" -eq 1 ]
	assert_stderr "pvbuild: $cfg: $message"
	[ ! -e "$T/d" ]
	[ ! -e "$T/plans" ]
}

same_domain() {
	local f
	for f in machine.mem m2p.bin domain.json plan.json; do
		cmp "$1/$f" "$2/$f"
	done
}

@test "a configuration builds the same sim domain as the same request on the command line" {
	local k=$GUESTS/x64-basic.elf.gz
	head -c 300000 /dev/urandom >"$T/initrd"
	cat >"$T/g.cfg" <<-EOF
	name = "guest1"
	type = "pv"
	kernel = "$k"
	ramdisk = "$T/initrd"
	memory = 64
	extra = "console=hvc0 quiet"
	EOF
	run -0 "$BIN/pvbuild" build --config "$T/g.cfg" --out "$T/a" --keep "$T/pa"
	run -0 "$BIN/pvbuild" build "$k" --memory 64M --initrd "$T/initrd" \
		--cmdline "console=hvc0 quiet" --name guest1 --out "$T/b" --keep "$T/pb"
	same_domain "$T/a" "$T/b"
	cmp "$T/pa/2-layout.json" "$T/pb/2-layout.json"
	# The values reached the plan: the file was read, not ignored.
	run -0 "$PY" -c 'import json,sys; l = json.load(open(sys.argv[1]))["layout"]
print(l["memory"], l["cmdline"], l["name"])' "$T/pa/2-layout.json"
	assert_output "67108864 console=hvc0 quiet guest1"
}

@test "every key taken at once: the same sim domain and domain.json as the command line" {
	local k=$GUESTS/x64-basic.elf.gz
	: >"$T/root.img"
	cat >"$T/g.cfg" <<-EOF
	name = "web"
	type = "pv"
	kernel = "$k"
	root = "/dev/xvda1 ro"
	extra = "console=hvc0"
	memory = 64
	maxmem = 128
	vcpus = 2
	disk = [ "$T/root.img,raw,xvda,rw", "vdev=xvdb, access=r, target=$T/root.img" ]
	vif = [ "bridge=xenbr0", "mac=00:16:3e:0a:0b:0c,bridge=br1" ]
	EOF
	run -0 "$BIN/pvbuild" build --config "$T/g.cfg" --out "$T/a"
	run -0 "$BIN/pvbuild" build "$k" --memory 64M --maxmem 128M --vcpus 2 \
		--name web --cmdline 'root=/dev/xvda1 ro console=hvc0' \
		--disk "$T/root.img,raw,xvda,rw" \
		--disk "vdev=xvdb, access=r, target=$T/root.img" \
		--nic bridge=xenbr0 --nic mac=00:16:3e:0a:0b:0c,bridge=br1 --out "$T/b"
	same_domain "$T/a" "$T/b"
	# And the file's values are in it.
	run -0 "$PY" -c 'import json,sys; l = json.load(open(sys.argv[1]))["layout"]
print(l["vcpus"], l["maxmem"], len(l["disks"]), l["disks"][1]["access"], l["nics"][1]["mac"])' "$T/a/plan.json"
	assert_output '2 134217728 2 r 00:16:3e:0a:0b:0c'
}

@test "the keys that go to layout: vcpus, maxmem, name, disk and vif, in the file's order" {
	cat >"$T/g.cfg" <<-'EOF'
	kernel = "k"
	memory = 256
	maxmem = 512
	vcpus = 2
	name = "web"
	disk = [ "format=raw, vdev=xvda, access=rw, target=/srv/root.img",
	         "/dev/vg/data,raw,xvdb,r" ]
	vif = [ "bridge=xenbr0", "mac=00:16:3e:01:02:03,bridge=br1" ]
	EOF
	dry "$T/g.cfg"
	assert_line --index 0 'elfinfo -- k'
	assert_line --index 1 "layout --memory 256M --vcpus 2 --maxmem 512M --name web --disk 'format=raw, vdev=xvda, access=rw, target=/srv/root.img' --disk /dev/vg/data,raw,xvdb,r --nic bridge=xenbr0 --nic mac=00:16:3e:01:02:03,bridge=br1"
	assert_line --index 4 "finalize --backend sim --out $T/d --scatter 1 --prefetch k"
	# The xen backend gets the name too, and the request it makes the
	# domain from while the plan comes.
	run -0 "$BIN/pvbuild" build --config "$T/g.cfg" --backend xen --dry-run
	assert_line --index 4 'finalize --backend xen --name web --memory 256M --maxmem 512M --vcpus 2 --prefetch k'
}

@test "xl's syntax: quotes of both kinds, escapes, ';', comments, lists over lines with a trailing comma, numbers in any base" {
	cat >"$T/g.cfg" <<-'EOF'
	# a comment line, then a blank one

	kernel = 'k' ; memory = 0x40	# 64 MiB, hexadecimal
	vcpus = 010   # octal, as xl's strtol reads it: 8
	cmdline = "a \"b\" 'c' \x41\t\\d"
	disk = [
	    'one',   # a comment inside a list
	    "two",
	]
	vif = []
	name="n";
	EOF
	layout_line "$T/g.cfg"
	assert_output "layout --memory 64M --cmdline 'a \"b\" '\\''c'\\'' A'\$'\\x09''\\d' --vcpus 8 --name n --disk one --disk two"
	# The last line needs no new line, and a key set twice takes the last.
	printf 'kernel = "k"\nmemory = 16\nmemory = 32' >"$T/h.cfg"
	layout_line "$T/h.cfg"
	assert_output 'layout --memory 32M'
	# Numbers may be quoted, as xl reads them from strings too.
	printf 'kernel = "k"\nmemory = "48"\n' >"$T/q.cfg"
	layout_line "$T/q.cfg"
	assert_output 'layout --memory 48M'
}

@test "+= joins strings and extends lists, as xl's; for a number it is refused" {
	cat >"$T/g.cfg" <<-'EOF'
	kernel = "k"
	memory = 16
	extra = "console=hvc0"
	extra += " quiet"
	disk = [ "a" ]
	disk += [ "b", "c" ]
	vif += [ "bridge=x" ]
	EOF
	layout_line "$T/g.cfg"
	assert_output "layout --memory 16M --cmdline 'console=hvc0 quiet' --disk a --disk b --disk c --nic bridge=x"
	printf 'kernel = "k"\nmemory = 16\nmemory += 16\n' >"$T/n.cfg"
	refused "$T/n.cfg" "line 3: memory is a number: '+=' does not apply"
}

@test "root, extra and cmdline make the command line as xl makes it" {
	printf 'kernel = "k"\nmemory = 16\nroot = "/dev/xvda1 ro"\nextra = "quiet"\n' >"$T/a.cfg"
	layout_line "$T/a.cfg"
	assert_output "layout --memory 16M --cmdline 'root=/dev/xvda1 ro quiet'"
	printf 'kernel = "k"\nmemory = 16\nroot = "/dev/xvda1"\n' >"$T/b.cfg"
	layout_line "$T/b.cfg"
	assert_output 'layout --memory 16M --cmdline root=/dev/xvda1'
	printf 'kernel = "k"\nmemory = 16\nextra = "quiet"\n' >"$T/c.cfg"
	layout_line "$T/c.cfg"
	assert_output 'layout --memory 16M --cmdline quiet'
	# cmdline wins over both, wherever it stands.
	printf 'kernel = "k"\ncmdline = "x=1"\nmemory = 16\nroot = "/dev/xvda1"\nextra = "quiet"\n' >"$T/d.cfg"
	layout_line "$T/d.cfg"
	assert_output 'layout --memory 16M --cmdline x=1'
}

@test "the command line overrides the file's values; a --disk or --nic replaces the file's list" {
	cat >"$T/g.cfg" <<-'EOF'
	name = "file"
	kernel = "k"
	ramdisk = "r"
	memory = 64
	maxmem = 128
	vcpus = 2
	root = "/dev/xvda1"
	disk = [ "a", "b" ]
	vif = [ "bridge=x" ]
	EOF
	dry "$T/g.cfg" other --memory 32M --maxmem 96M --vcpus 3 --name cli \
		--cmdline 'console=hvc0' --initrd i --disk c --nic bridge=y
	assert_line --index 0 'elfinfo -- other'
	assert_line --index 1 'layout --memory 32M --initrd i --cmdline console=hvc0 --vcpus 3 --maxmem 96M --name cli --disk c --nic bridge=y'
	# Only what is given is overridden.
	dry "$T/g.cfg" --nic bridge=y
	assert_line --index 1 'layout --memory 64M --initrd r --cmdline root=/dev/xvda1 --vcpus 2 --maxmem 128M --name file --disk a --disk b --nic bridge=y'
}

@test "a relative kernel or ramdisk is relative to the current directory, as xl's, not to the file's" {
	mkdir -p "$T/etc" "$T/run"
	cp "$GUESTS/x64-basic.elf.gz" "$T/run/vmlinuz"
	printf 'kernel = "vmlinuz"\nmemory = 64\n' >"$T/etc/g.cfg"
	cd "$T/run"
	run -0 "$BIN/pvbuild" build --config ../etc/g.cfg --out "$T/d"
	[ -f "$T/d/domain.json" ]
	cd "$T/etc"
	run -1 --separate-stderr "$BIN/pvbuild" build --config g.cfg --out "$T/e"
	assert_stderr --partial 'vmlinuz'
	[ ! -e "$T/e" ]
}

@test "every other key is refused by name, exit 1, nothing built" {
	printf 'kernel = "%s"\nmemory = 16\n# on_crash would need xl'"'"'s daemon\n\non_crash = "destroy"\n' \
		"$GUESTS/x64-basic.elf.gz" >"$T/g.cfg"
	refused "$T/g.cfg" 'line 5: "on_crash" is not supported'
	printf 'kernel = "k"\nmemory = 16\nbuilder = "generic"\n' >"$T/b.cfg"
	refused "$T/b.cfg" 'line 3: "builder" is not supported'
	printf 'kernel = "k"\nmemory = 16\nmaxvcpus = 4\n' >"$T/m.cfg"
	refused "$T/m.cfg" 'line 3: "maxvcpus" is not supported'
}

@test "type: pv is taken, pvh builds with elfinfo --pvh; hvm is refused, saying why" {
	printf 'type = "pv"\nkernel = "k"\nmemory = 16\n' >"$T/pv.cfg"
	dry "$T/pv.cfg"
	assert_line -n 0 "elfinfo -- k"
	printf 'type = "pvh"\nkernel = "k"\nmemory = 16\n' >"$T/pvh.cfg"
	dry "$T/pvh.cfg"
	assert_line -n 0 "elfinfo --pvh -- k"
	printf 'kernel = "k"\nmemory = 16\ntype = "hvm"\n' >"$T/hvm.cfg"
	refused "$T/hvm.cfg" 'line 3: type "hvm" is not supported: pvbuild builds PV and PVH guests'
	printf 'type = "\e[2J"\n' >"$T/x.cfg"
	refused "$T/x.cfg" 'line 1: type must be "pv" or "pvh"'
	printf 'type = ["pv"]\n' >"$T/l.cfg"
	refused "$T/l.cfg" 'line 1: type must be the string "pv" or "pvh"'
}

@test "a syntax error names the line and the column" {
	printf 'kernel = "k"\nmemory 16\n' >"$T/a.cfg"
	refused "$T/a.cfg" "line 2, column 8: '=' expected after the key"
	printf 'kernel = "k"\n  memory = 16 17\n' >"$T/b.cfg"
	refused "$T/b.cfg" "line 2, column 15: a new line or ';' expected after the value"
	printf 'kernel = "k"\n\nmemory = \n' >"$T/c.cfg"
	refused "$T/c.cfg" 'line 3, column 10: a value expected'
	printf 'kernel = "k"\nMemory = 16\n' >"$T/d.cfg"
	refused "$T/d.cfg" "line 2, column 1: a character xl's configuration syntax does not allow"
	printf 'disk = [ "a" "b" ]\n' >"$T/e.cfg"
	refused "$T/e.cfg" "line 1, column 14: ',' or ']' expected"
	printf 'disk = [ "a",\n, "b" ]\n' >"$T/f.cfg"
	refused "$T/f.cfg" "line 2, column 1: a string or ']' expected"
	printf '= 3\n' >"$T/g.cfg"
	refused "$T/g.cfg" 'line 1, column 1: a key expected'
	printf 'kernel = "a\\qb"\n' >"$T/h.cfg"
	refused "$T/h.cfg" 'line 1, column 10: a backslash escape pvbuild does not take in this string'
	# A NUL made by an escape would cut the value short where it is passed on.
	printf 'kernel = "a\\x00b"\n' >"$T/i.cfg"
	refused "$T/i.cfg" 'line 1, column 10: a backslash escape pvbuild does not take in this string'
}

@test "an unterminated string: at the end of its line or of the file" {
	printf 'memory = 16\nkernel = "k\nname = "x"\n' >"$T/a.cfg"
	refused "$T/a.cfg" 'line 2, column 10: unterminated string'
	printf "memory = 16\nkernel = 'k" >"$T/b.cfg"
	refused "$T/b.cfg" 'line 2, column 10: unterminated string'
	printf 'kernel = "k\\' >"$T/c.cfg"
	refused "$T/c.cfg" 'line 1, column 10: unterminated string'
}

@test "a value of the wrong type names its key" {
	printf 'kernel = "k"\nmemory = [ 16 ]\n' >"$T/a.cfg"
	refused "$T/a.cfg" 'line 2: memory must be a number, not a list'
	printf 'kernel = 5\nmemory = 16\n' >"$T/b.cfg"
	refused "$T/b.cfg" 'line 1: kernel must be a string in quotes'
	printf 'kernel = ["k"]\n' >"$T/c.cfg"
	refused "$T/c.cfg" 'line 1: kernel must be a string, not a list'
	printf 'kernel = "k"\nmemory = 16\ndisk = "a"\n' >"$T/d.cfg"
	refused "$T/d.cfg" 'line 3: disk must be a list of strings'
	printf 'kernel = "k"\nmemory = 16\nvif = [ 3 ]\n' >"$T/e.cfg"
	refused "$T/e.cfg" 'line 3: vif must be a list of strings'
	printf 'kernel = "k"\nmemory = 16\ndisk = [ ["a"] ]\n' >"$T/f.cfg"
	refused "$T/f.cfg" 'line 3: disk must be a list of strings'
	printf 'kernel = "k"\nvcpus = "two"\n' >"$T/g.cfg"
	refused "$T/g.cfg" 'line 2: vcpus is not a number'
	printf 'kernel = "k"\nmemory = 99999999999999999999\n' >"$T/h.cfg"
	refused "$T/h.cfg" 'line 2: memory is not a number'
	printf 'kernel = "k"\nmemory = 09\n' >"$T/i.cfg"
	refused "$T/i.cfg" 'line 2: memory is not a number'
}

@test "more disks or vifs than a plan holds are refused, in the file and on the command line" {
	{ printf 'kernel = "k"\nmemory = 16\ndisk = ['
	  for i in $(seq 17); do printf '"d%s",' "$i"; done
	  printf ']\n'; } >"$T/a.cfg"
	refused "$T/a.cfg" 'line 3: disk has more than 16 entries'
	{ printf 'kernel = "k"\nmemory = 16\nvif = ['
	  for i in $(seq 9); do printf '"bridge=b%s",' "$i"; done
	  printf ']\n'; } >"$T/b.cfg"
	refused "$T/b.cfg" 'line 3: vif has more than 8 entries'
	# 16 are taken, and all reach layout.
	{ printf 'kernel = "k"\nmemory = 16\ndisk = ['
	  for i in $(seq 16); do printf '"d%s",' "$i"; done
	  printf ']\n'; } >"$T/c.cfg"
	layout_line "$T/c.cfg"
	[[ $output == *' --disk d16' ]]
	local nics=()
	for i in $(seq 9); do nics+=(--nic "bridge=b$i"); done
	run -2 --separate-stderr "$BIN/pvbuild" build "$GUESTS/basic.elf" \
		--memory 16M --out "$T/d" "${nics[@]}"
	assert_stderr --partial 'pvbuild: --nic: more than 8 given'
}

@test "the file is untrusted: a NUL, a file over 64 KiB, none at all; nothing of it echoed" {
	printf 'kernel = "k"\nmemory = 16\0\n' >"$T/a.cfg"
	refused "$T/a.cfg" 'line 2: a NUL byte, which no text has'
	# 64 KiB exactly is read; one byte more is refused.
	{ printf 'kernel = "k"\nmemory = 16\n#'; head -c $((65536 - 27)) /dev/zero | tr '\0' x; printf '\n'; } >"$T/b.cfg"
	[ "$(stat -c %s "$T/b.cfg")" = 65536 ]
	dry "$T/b.cfg"
	printf 'x' >>"$T/b.cfg"
	refused "$T/b.cfg" 'larger than 64 KiB, more than an xl configuration'
	run -1 --separate-stderr "$BIN/pvbuild" build --config "$T/none.cfg" --out "$T/d"
	assert_stderr "pvbuild: $T/none.cfg: No such file or directory"
	run -1 --separate-stderr "$BIN/pvbuild" build --config "$T" --out "$T/d"
	assert_stderr "pvbuild: $T: Is a directory"
	# A long unknown key is cut, and a bad line is not quoted.
	printf 'kernel = "k"\n%s = 1\n' "$(printf 'a%.0s' {1..300})" >"$T/c.cfg"
	refused "$T/c.cfg" "line 2: \"$(printf 'a%.0s' {1..64})\" is not supported"
	printf 'kernel = "k"\n\e]0;x\a = 1\n' >"$T/d.cfg"
	refused "$T/d.cfg" "line 2, column 1: a character xl's configuration syntax does not allow"
}

@test "KERNEL and --memory may come from the file or the command line, but from one of them" {
	printf 'memory = 16\n' >"$T/a.cfg"
	run -2 --separate-stderr "$BIN/pvbuild" build --config "$T/a.cfg" --out "$T/d"
	assert_stderr --partial 'pvbuild: no KERNEL given'
	printf 'kernel = "k"\n' >"$T/b.cfg"
	run -2 --separate-stderr "$BIN/pvbuild" build --config "$T/b.cfg" --out "$T/d"
	assert_stderr --partial 'pvbuild: --memory is required'
	dry "$T/b.cfg" --memory 16M
	assert_line --index 1 'layout --memory 16M'
}

@test "--dry-run quotes every word for a shell and makes nothing, --keep included" {
	run -0 "$BIN/pvbuild" build "$GUESTS/basic.elf" --memory 16M \
		--cmdline $'it\'s \e[2J' --out "$T/d" --keep "$T/plans" --dry-run
	assert_line --index 1 "layout --memory 16M --cmdline 'it'\\''s '\$'\\x1b''[2J' -- $T/plans/1-elfinfo.json >$T/plans/2-layout.json"
	assert_line --index 5 "show -- $T/plans/4-pagetables.json >$T/plans/arrangement.txt"
	[ ! -e "$T/d" ]
	[ ! -e "$T/plans" ]
	# What it prints is what runs: pasted into a shell, the same domain.
	run -0 "$BIN/pvbuild" build "$GUESTS/x64-basic.elf.gz" --memory 64M \
		--cmdline "a 'b'" --out "$T/d" --dry-run
	local script
	script=$(printf '%s |\n' "${lines[@]}")
	(cd "$BIN" && PATH=$BIN:$PATH bash -c "${script% |}")
	run -0 "$BIN/pvbuild" build "$GUESTS/x64-basic.elf.gz" --memory 64M \
		--cmdline "a 'b'" --out "$T/e"
	same_domain "$T/d" "$T/e"
}
