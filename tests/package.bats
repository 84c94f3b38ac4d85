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

# make ARGS... in the copy, built plainly: these tests are of the build
# itself, so the flags of the make that runs the suite (SAN=1 in CI's
# second pass, in MAKEFLAGS) must not reach it, nor slow it.
make_src() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$SRC" SAN=0 -j2 "$@"
}

# The copies are built the same in both passes of CI, so the sanitizer
# pass leaves them to make check.
plain_pass() {
	[ "${PVBUILD_SAN:-0}" != 1 ] ||
		skip "the sanitizer pass: this copy builds as in make check, which runs it"
}

@test "flags: Debian's hardening flags reach every program, and build clean" {
	plain_pass
	command -v dpkg-buildflags >/dev/null ||
		skip "dpkg-buildflags is missing (Debian's dpkg-dev)"
	command -v readelf >/dev/null || skip "readelf is missing (binutils)"
	copy_sources
	local f
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	# As debhelper passes them: in the environment.
	CPPFLAGS=$(dpkg-buildflags --get CPPFLAGS)
	CFLAGS=$(dpkg-buildflags --get CFLAGS)
	LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
	export CPPFLAGS CFLAGS LDFLAGS
	run make_src WERROR=1 all
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
	plain_pass
	command -v git >/dev/null || skip "git is missing"
	copy_sources
	git -C "$SRC" init -q
	git -C "$SRC" add -A
	git -C "$SRC" -c user.name=t -c user.email=t@t commit -qm t
	git -C "$SRC" -c user.name=t -c user.email=t@t tag -a v0.0.1 -m t
	echo 4.5.6 >"$SRC/VERSION"
	run -0 make_src bin/layout
	run -0 "$SRC/bin/layout" --version
	assert_output "layout (pvbuild) 4.5.6 (git v0.0.1-dirty)"
	git -C "$SRC" -c user.name=t -c user.email=t@t commit -qam t2
	run -0 make_src bin/layout
	run -0 "$SRC/bin/layout" --version
	assert_output --regexp '^layout \(pvbuild\) 4\.5\.6 \(git v0\.0\.1-1-g[0-9a-f]+\)$'
}

@test "version: a tarball, even unpacked inside another checkout, has VERSION's alone" {
	plain_pass
	command -v git >/dev/null || skip "git is missing"
	git -C "$BATS_TEST_TMPDIR" init -q
	copy_sources
	echo 7.8.9 >"$SRC/VERSION"
	run -0 make_src bin/layout
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

# The man pages (man/): mdoc that mandoc's linter passes without a word.
@test "man: every page is lint-clean (mandoc -Tlint -Wwarning)" {
	command -v mandoc >/dev/null || skip "mandoc is missing (make deps installs it)"
	local f n=0
	for f in "$TOP"/man/*.[1-9]; do
		n=$((n + 1))
		run mandoc -Tlint -Wwarning "$f"
		[ -z "$output" ] || fail "$output"
	done
	[ "$n" -eq 9 ]
}

# The long options of PROGRAM [COMMAND] --help's table, one a line.
help_options() {
	$1 --help | grep -oE -- '^ +--[a-z][a-z-]*' | tr -d ' ' | sort -u
}

# The long options a page lists, one a line: those of its SYNOPSIS and
# those its lists describe (.It Fl), not the ones its prose mentions.
page_options() {
	{
		sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$1" | grep -oE -- 'Fl \\-[a-z\\-]+'
		grep -oE -- '^\.It Fl \\-[a-z\\-]+' "$1"
	} | sed 's/.*Fl \\-/--/; s/\\-/-/g' | sort -u
}

@test "man: each program's page lists the options its --help does, and no other" {
	local p page missing extra
	for p in elfinfo layout populate pagetables finalize boot show pvbuild; do
		[ -x "$BIN/$p" ] || { [ "$p" = pvbuild ] && continue; fail "no $BIN/$p"; }
		page=$TOP/man/pvbuild-$p.1
		[ "$p" != pvbuild ] || page=$TOP/man/pvbuild.1
		[ -f "$page" ] || fail "no page $page"
		# Both directions: a page may not fall behind --help, nor
		# keep an option the program dropped.
		missing=$(comm -23 <({ help_options "$BIN/$p"; [ "$p" != pvbuild ] ||
			help_options "$BIN/pvbuild build"; } | sort -u) <(page_options "$page"))
		[ -z "$missing" ] || fail "$page lacks: $missing"
		# pvbuild's page describes build's options too.
		[ "$p" != pvbuild ] || continue
		extra=$(comm -13 <( (help_options "$BIN/$p"; echo --help; echo --version) | sort -u) \
			<(page_options "$page"))
		[ -z "$extra" ] || fail "$page has options $p does not: $extra"
	done
}

@test "man: every page renders with man -l, with its NAME and SYNOPSIS" {
	command -v man >/dev/null || skip "man is missing"
	local f
	for f in "$TOP"/man/*.[1-9]; do
		run -0 --separate-stderr env MANWIDTH=80 man -l "$f"
		[ -z "$stderr" ] || fail "$f: $stderr"
		assert_line 'NAME'
		assert_line --regexp "^ +$(basename "${f%.*}") (-|—|\\\\-) "
		[[ $f != *.1 ]] || assert_line 'SYNOPSIS'
	done
}

# The completion (completion/pvbuild.bash), as bash runs it on Tab:
# complete WORD... puts the reply for the last word in $output, sorted.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_pvbuild; printf "%s\n" "${COMPREPLY[@]}" | sort' \
		_ "$TOP/completion/pvbuild.bash" "$@"
}

@test "completion: commands, build's options, files and directories" {
	run -0 complete_words pvbuild bu
	assert_output build
	run -0 complete_words pvbuild build --me
	assert_output --memory
	run -0 complete_words pvbuild build --backend ''
	assert_output $'sim\nxen'
	run -0 complete_words pvbuild pa
	assert_output pagetables
	cd "$BATS_TEST_TMPDIR"
	mkdir -p kdir && : >kfile
	run -0 complete_words pvbuild build --out k
	assert_output kdir
	run -0 complete_words pvbuild build --keep k
	assert_output kdir
	run -0 complete_words pvbuild build k
	assert_output $'kdir\nkfile'
	run -0 complete_words pvbuild build x.elf --initrd k
	assert_output $'kdir\nkfile'
	# A name with a space is one word.
	: >'k spaced'
	run -0 complete_words pvbuild build x.elf --initrd 'k '
	assert_output 'k spaced'
	run -0 complete_words pvbuild build x.elf --memory ''
	assert_output ''
}

@test "completion: each command's options are the ones its --help lists" {
	local p
	for p in elfinfo layout populate pagetables finalize boot show build; do
		if [ "$p" = build ]; then
			[ -x "$BIN/pvbuild" ] || continue
			set -- "$BIN/pvbuild build"
		else
			set -- "$BIN/$p"
		fi
		run -0 complete_words pvbuild "$p" --
		[ "$output" = "$( (help_options "$1"; echo --help; echo --version) | sort -u)" ] ||
			fail "$p: completion offers $output"
	done
	run -0 complete_words pvbuild help fi
	assert_output finalize
}

# make VARS... in the tree, as the suite built it: with SAN=1 when the suite
# runs on a SAN=1 build, so that nothing in bin/ is built again otherwise.
make_top() {
	make -C "$TOP" --no-print-directory SAN="${PVBUILD_SAN:-0}" "$@"
}

@test "install: man pages, completion and schemas in place; uninstall removes them all" {
	local d=$BATS_TEST_TMPDIR/root
	run -0 make_top install-data DESTDIR="$d" PREFIX=/usr
	[ -f "$d/usr/share/man/man1/pvbuild.1" ]
	[ -f "$d/usr/share/man/man1/pvbuild-finalize.1" ]
	[ -f "$d/usr/share/man/man5/pvbuild-plan.5" ]
	[ -f "$d/usr/share/bash-completion/completions/pvbuild" ]
	[ -f "$d/usr/share/pvbuild/schemas/pagetables.json" ]
	# The pages name PREFIX's directories.
	grep -q '^\.It Pa /usr/share/pvbuild/schemas/$' "$d/usr/share/man/man5/pvbuild-plan.5"
	! grep -rq /usr/local "$d/usr/share/man"
	[ "$(find "$d" -type f | wc -l)" -eq $((9 + 1 + $(ls "$TOP"/schemas/*.json | wc -l))) ]
	run -0 make_top uninstall DESTDIR="$d" PREFIX=/usr
	run -0 find "$d" -type f
	assert_output ''
	[ ! -e "$d/usr/share/pvbuild" ]
}

@test "install: make install then uninstall leaves no file behind, and man -l reads the pages" {
	[ -x "$BIN/pvbuild" ] ||
		skip "no bin/pvbuild: make install still puts every stage in BINDIR"
	local d=$BATS_TEST_TMPDIR/root f
	run -0 make_top install DESTDIR="$d" PREFIX=/usr/local
	[ -x "$d/usr/local/bin/pvbuild" ]
	[ "$(ls "$d/usr/local/bin")" = pvbuild ]
	for f in elfinfo layout populate pagetables finalize boot show; do
		[ -x "$d/usr/local/libexec/pvbuild/$f" ]
	done
	for f in "$d"/usr/local/share/man/man*/*; do
		run -0 env MANWIDTH=80 man -l "$f"
		assert_line NAME
	done
	run -0 make_top uninstall DESTDIR="$d" PREFIX=/usr/local
	run -0 find "$d" -type f
	assert_output ''
}
