#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# What a packager expects of the tree (README, "Installing"): the licence
# and an SPDX line on every source file, the packager's flags honoured,
# one version, the man pages, the completion, install and uninstall.

bats_require_minimum_version 1.5.0
load helper

# The files that must carry an SPDX line: every source file the project
# wrote, whatever its language. JSON cannot hold a comment, and the fuzzing
# corpus and the crashes are data.
spdx_files() {
	git -C "$TOP" ls-files | grep -E \
		'\.(c|h|S|ld|sh|bash|bats|py)$|(^|/)Makefile$|^\.ci/run$|^tests/xenvm/dom0-init$'
}

@test "licence: LICENSE is ISC, and every source file says so in its first lines" {
	git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 ||
		skip "not a git checkout: no list of the tree's files"
	grep -q '^Permission to use, copy, modify, and distribute this software' \
		"$TOP/LICENSE"
	local n=0 missing=
	while read -r f; do
		n=$((n + 1))
		head -n 2 "$TOP/$f" | grep -q 'SPDX-License-Identifier: ISC' ||
			missing="$missing $f"
	done < <(spdx_files)
	[ "$n" -gt 100 ]
	[ -z "$missing" ] || { echo "no SPDX line:$missing" >&2; false; }
}

# A copy of the sources, without what the tree has built, in $BATS_TEST_TMPDIR/src.
copy_sources() {
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	tar -C "$TOP" --exclude=./build --exclude=./bin --exclude=./.git -cf - . |
		tar -x -C "$SRC"
}

@test "flags: Debian's hardening flags reach every program, and build clean" {
	command -v dpkg-buildflags >/dev/null ||
		skip "dpkg-buildflags is missing (Debian's dpkg-dev)"
	command -v readelf >/dev/null || skip "readelf is missing (binutils)"
	copy_sources
	local f
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	# As debhelper passes them: in the environment.
	run env CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" \
		CFLAGS="$(dpkg-buildflags --get CFLAGS)" \
		LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
		make -C "$SRC" -j2 WERROR=1 all
	assert_success
	# Every warning is an error under WERROR=1, but the flags may add
	# some the project's do not: none may be printed either.
	refute_output --partial "warning:"
	for f in "$SRC"/bin/*; do
		# -Wl,-z,now from LDFLAGS, and -Wl,-z,relro.
		readelf -d "$f" | grep -q 'BIND_NOW' || { echo "$f: no BIND_NOW" >&2; false; }
		readelf -l "$f" | grep -q 'GNU_RELRO' || { echo "$f: no RELRO" >&2; false; }
		# _FORTIFY_SOURCE from CPPFLAGS: the checked variants of the
		# string and printf functions are linked (the plain build has
		# none), and the stack protector from CFLAGS.
		nm -D "$f" | grep -Eq ' __(memcpy|printf|fprintf|snprintf|vsnprintf|read|memset|strcpy|fgets)_chk@' ||
			{ echo "$f: no _FORTIFY_SOURCE" >&2; false; }
		nm -D "$f" | grep -q ' __stack_chk_fail@' ||
			{ echo "$f: no stack protector" >&2; false; }
	done
	[ "$(ls "$SRC"/bin | wc -l)" -ge 6 ]
}

# The version in VERSION, and after it what git describe says of a checkout.
@test "version: every program prints VERSION's version, the same for all" {
	local v p first=
	v=$(cat "$TOP/VERSION")
	[[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
	for p in "$BIN"/*; do
		run -0 "$p" --version
		assert_output --regexp "^$(basename "$p") \\(pvbuild\\) ${v//./\\.}( \\(git [^ ()]+\\))?\$"
		[ -z "$first" ] || [ "${output#* (pvbuild) }" = "$first" ]
		first=${output#* (pvbuild) }
	done
}

@test "version: a git checkout adds git describe's, dirty when edited" {
	command -v git >/dev/null || skip "git is missing"
	copy_sources
	git -C "$SRC" init -q
	git -C "$SRC" add -A
	git -C "$SRC" -c user.name=t -c user.email=t@t commit -qm t
	git -C "$SRC" -c user.name=t -c user.email=t@t tag -a v0.0.1 -m t
	echo 4.5.6 >"$SRC/VERSION"
	run -0 make -C "$SRC" -j2 bin/layout
	run -0 "$SRC/bin/layout" --version
	assert_output "layout (pvbuild) 4.5.6 (git v0.0.1-dirty)"
	git -C "$SRC" -c user.name=t -c user.email=t@t commit -qam t2
	run -0 make -C "$SRC" -j2 bin/layout
	run -0 "$SRC/bin/layout" --version
	assert_output --regexp '^layout \(pvbuild\) 4\.5\.6 \(git v0\.0\.1-1-g[0-9a-f]+\)$'
}

@test "version: a tarball, even unpacked inside another checkout, has VERSION's alone" {
	command -v git >/dev/null || skip "git is missing"
	git -C "$BATS_TEST_TMPDIR" init -q
	copy_sources
	echo 7.8.9 >"$SRC/VERSION"
	run -0 make -C "$SRC" -j2 bin/layout
	run -0 "$SRC/bin/layout" --version
	assert_output "layout (pvbuild) 7.8.9"
}

# A directory of stand-ins for apt-get and apt-cache that only record that
# they were called, first on PATH: $FAKE, the record in $FAKE/called.
fake_apt() {
	FAKE=$BATS_TEST_TMPDIR/fake
	mkdir -p "$FAKE"
	local t
	for t in apt-get apt-cache; do
		printf '#!/bin/sh\necho "%s $*" >>"%s/called"\nexit 100\n' "$t" "$FAKE" >"$FAKE/$t"
		chmod +x "$FAKE/$t"
	done
	command -v cpio >/dev/null || ln -s /bin/true "$FAKE/cpio"
	command -v dpkg-deb >/dev/null || ln -s /bin/true "$FAKE/dpkg-deb"
}

@test "make test: installs nothing; its recipe has no apt-get and no deps" {
	run -0 make -C "$TOP" -n test
	refute_output --partial 'apt-get'
	refute_output --partial 'make deps'
	assert_output --partial 'tests/offline.sh'
	run -0 make -C "$TOP" -n check
	assert_output --partial 'deps'
}

@test "make test: the real images and the Xen VM are not fetched offline, and skip (77)" {
	fake_apt
	local dl=$BATS_TEST_TMPDIR/downloads
	mkdir -p "$dl"
	# Without the network, as make test runs them: nothing in the cache.
	PATH=$FAKE:$PATH PVBUILD_OFFLINE=1 PVBUILD_DOWNLOADS=$dl \
		run -77 --separate-stderr "$TOP/tests/realimages.sh" print
	assert_stderr --partial 'offline'
	# The images in the cache, but not the VM's packages: xenvm.sh
	# gets past them to its own, and fetches none of those either.
	mkdir -p "$dl/linux-image-t/boot" "$dl/g"
	: >"$dl/linux-image-t/boot/vmlinuz"
	echo 'Package: linux-image-t' >"$dl/linux-image-t/.package"
	: >"$dl/g/64" && : >"$dl/g/32"
	printf 'linux %s\ngrub64 %s\ngrub32 %s\n' "$dl/linux-image-t/boot/vmlinuz" \
		"$dl/g/64" "$dl/g/32" >"$dl/images.list"
	PATH=$FAKE:$PATH PVBUILD_OFFLINE=1 PVBUILD_DOWNLOADS=$dl PVBUILD_QEMU=true \
		run -77 --separate-stderr "$TOP/tests/xenvm/xenvm.sh" prepare
	assert_stderr --partial 'offline (PVBUILD_OFFLINE): xen-hypervisor-'
	[ ! -e "$FAKE/called" ] || fail "apt was run: $(cat "$FAKE/called")"
	# And the stand-ins are the ones these scripts would call.
	PATH=$FAKE:$PATH PVBUILD_DOWNLOADS=$BATS_TEST_TMPDIR/online \
		run --separate-stderr "$TOP/tests/realimages.sh" print
	[ -s "$FAKE/called" ]
}
