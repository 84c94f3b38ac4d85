# SPDX-License-Identifier: ISC
# pvbuild: one non-recursive Makefile.
#   make            build the programs into bin/
#   make demo       install what is missing, build, run the pipeline on a test guest
#   make check      install what is missing, build, run the whole suite
#   make test       build, run the suite without apt-get or the network
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
# The stages and boot, which only pvbuild starts, go where git puts its
# helpers; only pvbuild goes in BINDIR.
LIBEXECDIR ?= $(PREFIX)/libexec/pvbuild
WERROR ?= 1
V ?= 0

CC ?= cc
# A packager's CPPFLAGS, CFLAGS and LDFLAGS (dpkg-buildflags' hardening:
# _FORTIFY_SOURCE, the stack protector, relro and now) go on every compile
# and link line of the programs, after the project's own, so that they win;
# the freestanding test guests and the QEMU firmware keep their own flags.
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wcast-qual \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla -Wno-unused-parameter -Wno-format-truncation
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
PKGS = libelf jansson zlib nettle liblzma lzo2 liblz4 libzstd
PV_CPPFLAGS = -Icommon -Icommon/plan -Icommon/guest -Icommon/elf -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE
PV_CFLAGS = -std=gnu11 $(WARNINGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PV_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lelf -ljansson -lz \
	-lnettle -llzma -llzo2 -llz4 -lzstd) -lbz2
# Every program is linked against the one list of libraries, but records
# only those it calls: the dynamic loader maps and relocates each library a
# program names at every start, which is most of a planning stage's time
# on a small guest. The stages that only read plans need jansson alone.
PV_LDFLAGS = -Wl,--as-needed

ifeq ($(V),1)
Q =
else
Q = @
endif

STAGES = elfinfo layout populate pagetables finalize
# show is no stage: it reads any plan and prints or draws its arrangement.
PROGRAMS = $(addprefix bin/,$(STAGES)) bin/show
# The plan has a folder of its own (common/plan/), a file per member.
PLAN_SRCS = $(addprefix common/plan/,json.c elfinfo.c layout.c populate.c \
	pagetables.c guard.c document.c arrangement.c request.c devspec.c nicmac.c)
# A file per guest type (common/guest/guest.h).
GTYPE_SRCS = $(addprefix common/guest/,place.c pvh.c pvh_populate.c \
	xen13.c xen3.c \
	xen3_members.c)
LIB_SRCS = common/abi.c common/ahead.c common/bigbuf.c common/opt.c common/pt.c common/pv.c common/img.c \
	common/cache.c common/digest.c common/cli_cache.c \
	$(PLAN_SRCS) $(GTYPE_SRCS) common/cli.c common/derive_populate.c \
	common/derive_pagetables.c common/decomp.c common/bzimage.c \
	common/version.c
# The ELF reader, a file per concern as in Xen's libelf, behind one public
# header, elfguest.h.
LIB_SRCS += common/elf/elfguest.c common/elf/elfguest_headers.c \
	common/elf/elfguest_notes.c common/elf/elfguest_legacy.c \
	common/elf/elfguest_pvh.c
LIB_OBJS = $(LIB_SRCS:%.c=build/%.o)
# finalize has a folder of its own (stages/finalize/): its main, its jobs,
# its backends and the hypervisor's rules, which no other program uses.
FINALIZE_SRCS = stages/finalize/main.c stages/finalize/prefetch.c stages/finalize/early.c \
	stages/finalize/verify.c stages/finalize/build.c \
	stages/finalize/hvrules.c stages/finalize/sim.c stages/finalize/simdir.c \
	stages/finalize/simframes.c stages/finalize/simpvh.c stages/finalize/pvhimage.c \
	stages/finalize/xen.c stages/finalize/xen_domain.c stages/finalize/xen_store.c \
	stages/finalize/xen_wait.c stages/finalize/xen_dev.c \
	stages/finalize/xen_vbd.c stages/finalize/xen_vif.c stages/finalize/xen_pvh.c
FINALIZE_OBJS = $(FINALIZE_SRCS:%.c=build/%.o)
# show has a folder too (stages/show/): its main and its picture.
SHOW_SRCS = stages/show/main.c stages/show/svg.c
SHOW_OBJS = $(SHOW_SRCS:%.c=build/%.o)
STAGE_OBJS = $(filter-out build/stages/finalize.o,$(STAGES:%=build/stages/%.o)) \
	$(FINALIZE_OBJS) $(SHOW_OBJS)
DEPS = $(LIB_OBJS:.o=.d) $(STAGE_OBJS:.o=.d)

# Debian packages the build, the demo and the suite need.
DEB_PACKAGES = gcc make binutils pkg-config gzip libelf-dev libjansson-dev \
	zlib1g-dev nettle-dev bats bats-support bats-assert python3 \
	python3-jsonschema libxen-dev libbz2-dev liblzma-dev liblzo2-dev \
	liblz4-dev libzstd-dev bzip2 xz-utils lzop lz4 zstd valgrind clang mandoc \
	man-db dpkg-dev git \
	libclang-rt-14-dev llvm qemu-system-x86 cpio strace libxml2-utils \
	parallel

all: $(PROGRAMS)

# The version, from one place: the VERSION file, and in a git checkout of
# this tree (not a tarball or a git archive unpacked elsewhere, which may
# sit inside another repository) git describe after it. build/version.h is
# rewritten only when it changes, so only version.c is compiled again.
PV_RELEASE = $(shell cat VERSION)
PV_DESCRIBE = $(shell test -e .git && git describe --tags --always --dirty 2>/dev/null)
PV_FULL_VERSION = $(PV_RELEASE)$(if $(PV_DESCRIBE), (git $(PV_DESCRIBE)))

build/version.h: flags-force VERSION
	@mkdir -p $(@D)
	@echo '#define PV_VERSION_STRING "$(PV_FULL_VERSION)"' | cmp -s - $@ || \
		echo '#define PV_VERSION_STRING "$(PV_FULL_VERSION)"' >$@

build/common/version.o build/fuzz/common/version.o: build/version.h
build/common/version.o build/fuzz/common/version.o: PV_CPPFLAGS += -Ibuild

build/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(PV_CPPFLAGS) $(CPPFLAGS) $(PV_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

build/libpvbuild.a: $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

bin/%: build/stages/%.o build/libpvbuild.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(PV_LDFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PV_LIBS)

bin/finalize: $(FINALIZE_OBJS) build/libpvbuild.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(PV_LDFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PV_LIBS)

bin/show: $(SHOW_OBJS) build/libpvbuild.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(PV_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PV_LIBS)

-include $(DEPS)

# pvbuild, the front end (stages/pvbuild/): it finds the stages and starts
# them, and links libc alone (opt.o and pv.o are all it takes from the
# library), so that its start costs what any small program's does. Two
# builds differ only in execpath.c: bin/pvbuild starts the stages beside
# it, in the tree; build/install/pvbuild, which make install installs,
# those in $(LIBEXECDIR), compiled in. build/install/.libexecdir records
# that directory, so that another one builds it again.
PVBUILD_SRCS = stages/pvbuild/main.c stages/pvbuild/build.c \
	stages/pvbuild/xlcfg.c \
	stages/pvbuild/run.c stages/pvbuild/execpath.c
PVBUILD_OBJS = $(PVBUILD_SRCS:%.c=build/%.o)
PVBUILD_INSTALL_OBJS = $(filter-out build/stages/pvbuild/execpath.o, \
	$(PVBUILD_OBJS)) build/install/execpath.o
all: bin/pvbuild

bin/pvbuild build/install/pvbuild: build/libpvbuild.a
bin/pvbuild: $(PVBUILD_OBJS)
build/install/pvbuild: $(PVBUILD_INSTALL_OBJS)
bin/pvbuild build/install/pvbuild:
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(PV_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^)

build/install/execpath.o: stages/pvbuild/execpath.c build/install/.libexecdir
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(PV_CPPFLAGS) $(CPPFLAGS) $(PV_CFLAGS) $(CFLAGS) \
		-DPVBUILD_LIBEXECDIR='"$(LIBEXECDIR)"' -MMD -MP -c -o $@ $<

build/install/.libexecdir: flags-force
	@mkdir -p $(@D)
	@echo '$(LIBEXECDIR)' | cmp -s - $@ || echo '$(LIBEXECDIR)' >$@

$(PVBUILD_OBJS) build/install/execpath.o: build/.cflags
ifeq ($(SAN),1)
bin/pvbuild build/install/pvbuild: build/san/sanopts.o
endif
-include $(PVBUILD_OBJS:.o=.d) build/install/execpath.d

# finalize's xen backend (stages/finalize/xen.c) links Xen's libraries,
# and only finalize has it, so only finalize links them. They are linked
# in statically: dynamically, the ten of them (libxenctrl and what it
# needs) were loaded and relocated at every start of finalize, a sim build
# too, for a backend it does not use. Their archives come with libxen-dev,
# and a static link ties finalize to no Xen release more than the dynamic
# one did: libxenctrl's and libxenguest's sonames name the release (4.17).
XEN_BACKEND_PKGS = xencontrol xenforeignmemory xenstore xenguest
XEN_BACKEND_LIBS = -Wl,-Bstatic -Wl,--start-group $(shell pkg-config --static --libs \
	$(XEN_BACKEND_PKGS) 2>/dev/null || echo -lxenguest -lxenstore \
	-lxenforeignmemory -lxenctrl -lxenevtchn -lxengnttab -lxendevicemodel \
	-lxencall -lxentoolcore -lxentoollog) -Wl,--end-group -Wl,-Bdynamic
# The five stages link most of their own libraries (jansson, libelf, LZO,
# LZ4, zstd and libbz2) statically too: each shared library costs the
# dynamic loader about 0.15 ms at every start, and a small guest's build
# starts five stages. zlib and Nettle stay shared: the suite counts the
# inflates and the sha256 work of a build by interposing them
# (tests/cache/count.c), which a static link would hide. liblzma stays
# shared too: Debian's archive of it decompressed Debian's kernel about 10%
# slower than its shared library (tests/bench/floor.c linked both ways,
# five runs each: 1.65 to 2.54 s against 1.49 to 1.70 s), where zstd's did
# not. As with Xen's, a security update of a static one then needs the
# stages built again (README, "Installing"); PV_STATIC=0 links them all as
# shared libraries.
PV_STATIC ?= 1
PV_SHARED_ALWAYS = -lnettle -lz -llzma
ifeq ($(PV_STATIC),1)
PV_STAGE_LIBS := -Wl,-Bstatic -Wl,--start-group \
	$(filter-out $(PV_SHARED_ALWAYS),$(PV_LIBS)) -Wl,--end-group \
	-Wl,-Bdynamic $(PV_SHARED_ALWAYS)
else
PV_STAGE_LIBS := $(PV_LIBS)
endif
$(filter-out bin/finalize,$(addprefix bin/,$(STAGES))): PV_LIBS := $(PV_STAGE_LIBS)
bin/finalize: PV_LIBS := $(XEN_BACKEND_LIBS) $(PV_STAGE_LIBS)

# Test guests (tests/guests/): freestanding ELF32 xen-1.3 kernels, their
# gzip'd copies, an initrd fixture, and malformed images made from them.
GUEST_CC ?= gcc
GUEST_CFLAGS = -m32 -march=i686 -O2 -std=gnu11 -ffreestanding -fno-pic \
	-fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -mgeneral-regs-only -fno-common -Wall -Wextra \
	-Werror -ffile-prefix-map=$(CURDIR)/= -Itests/guests -Iboot -MMD -MP
GUEST_LDFLAGS = -m32 -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096
GUEST_COMMON = build/guests/entry.o build/guests/pattern.o build/guests/guest.o
GUEST_OBJS = $(GUEST_COMMON) build/guests/multiseg.o
GUESTS = build/guests/basic.elf build/guests/multiseg.elf build/guests/high.elf
GUEST_FILES = $(GUESTS) $(GUESTS:=.gz) build/guests/initrd.img \
	build/guests/initrd.img.gz build/bad/.stamp build/compressed/.stamp

guests: $(GUEST_FILES)

build/guests/%.o: tests/guests/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTCC $<")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

build/guests/%.o: tests/guests/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTAS $<")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

build/guests/basic.elf: $(GUEST_COMMON) tests/guests/basic.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T tests/guests/basic.ld -o $@ $(GUEST_COMMON)

build/guests/high.elf: $(GUEST_COMMON) tests/guests/basic.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,--defsym=KERNEL_BASE=0xFB800000 \
		-T tests/guests/basic.ld -o $@ $(GUEST_COMMON)

build/guests/multiseg.elf: $(GUEST_OBJS) tests/guests/multiseg.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T tests/guests/multiseg.ld -o $@ $(GUEST_OBJS)

build/guests/initrd.img: tests/guests/mkinitrd.py
	@mkdir -p $(@D)
	$(Q)/usr/bin/python3 tests/guests/mkinitrd.py 150000 $@

build/guests/%.gz: build/guests/%
	$(Q)gzip -9n < $< > $@.tmp && mv $@.tmp $@

build/bad/.stamp: tests/mkbad.py build/guests/basic.elf
	$(Q)rm -rf build/bad
	$(Q)/usr/bin/python3 tests/mkbad.py build/guests/basic.elf build/bad
	@touch $@

-include $(GUEST_OBJS:.o=.d)

# xen-3.0 test guests (tests/guests/x64-*, pae-*, notes-*, xen3.h): kernels
# for the x86_64 and x86_32 PAE ABIs declared with Xen ELF notes (or, for
# notes-legacy-pae, a __xen_guest string), their gzip'd copies, and malformed
# images made from them by tests/mkbad3.py. The pae-* and notes-legacy-pae
# objects are 32-bit and built by the rules above; the x64-* ones by the
# rules below, which make prefers for their shorter stem.
X64_CFLAGS = $(filter-out -m32 -march=%,$(GUEST_CFLAGS)) -m64 -mcmodel=kernel \
	-mno-red-zone
X64_LDFLAGS = $(filter-out -m32,$(GUEST_LDFLAGS)) -m64
X64_CODE = build/guests/x64-entry.o build/guests/x64-guest.o
PAE_CODE = build/guests/pae-entry.o build/guests/pae-guest.o
XEN3_OBJS = $(X64_CODE) $(PAE_CODE) build/guests/x64-notes.o \
	build/guests/x64-nop2m-notes.o build/guests/pae-notes.o \
	build/guests/pae-bimodal-notes.o build/guests/notes-legacy-pae.o
XEN3_GUESTS = build/guests/x64-basic.elf build/guests/x64-nop2m.elf \
	build/guests/notes-sections.elf build/guests/pae-basic.elf \
	build/guests/pae-bimodal.elf build/guests/notes-legacy-pae.elf
XEN3_FILES = $(XEN3_GUESTS) $(XEN3_GUESTS:=.gz) build/bad3/.stamp
GUEST_FILES += $(XEN3_FILES)

# The prerequisites of "guests" above were expanded before these were added.
guests: $(XEN3_FILES)

build/guests/x64-%.o: tests/guests/x64-%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTCC $<")
	$(Q)$(GUEST_CC) $(X64_CFLAGS) -c -o $@ $<

build/guests/x64-%.o: tests/guests/x64-%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTAS $<")
	$(Q)$(GUEST_CC) $(X64_CFLAGS) -c -o $@ $<

build/guests/x64-nop2m-notes.o: tests/guests/x64-notes.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTAS $< (no INIT_P2M)")
	$(Q)$(GUEST_CC) $(X64_CFLAGS) -DXEN3_NO_INIT_P2M -c -o $@ $<

build/guests/pae-bimodal-notes.o: tests/guests/pae-notes.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTAS $< (bimodal)")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -DXEN3_PAE_BIMODAL -c -o $@ $<

build/guests/x64-basic.elf: $(X64_CODE) build/guests/x64-notes.o \
		tests/guests/x64-kernel.ld
	$(Q)$(GUEST_CC) $(X64_LDFLAGS) -T tests/guests/x64-kernel.ld -o $@ $(filter %.o,$^)

build/guests/x64-nop2m.elf: $(X64_CODE) build/guests/x64-nop2m-notes.o \
		tests/guests/x64-kernel.ld
	$(Q)$(GUEST_CC) $(X64_LDFLAGS) -T tests/guests/x64-kernel.ld -o $@ $(filter %.o,$^)

# pvh-check: the self-checking PVH guest (tests/guests/pvh-*), an ELF32
# entered at its PHYS32_ENTRY note, for QEMU's PVH loader and bin/boot.
guests: build/guests/pvh-check.elf

build/guests/pvh-check.elf: build/guests/pvh-entry.o build/guests/pvh-guest.o \
		tests/guests/pvh.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T tests/guests/pvh.ld -o $@ $(filter %.o,$^)

# x64-xen: the same checks on the real hypervisor (tests/guests/x64-xen.h),
# for the Xen scenarios (tests/xenvm/scenarios.sh).
guests: build/guests/x64-xen.elf

build/guests/x64-xen-guest.o: tests/guests/x64-guest.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTCC $< (on Xen)")
	$(Q)$(GUEST_CC) $(X64_CFLAGS) -DX64_ON_XEN -c -o $@ $<

build/guests/x64-xen.elf: build/guests/x64-entry.o build/guests/x64-xen-guest.o \
		build/guests/x64-notes.o tests/guests/x64-kernel.ld
	$(Q)$(GUEST_CC) $(X64_LDFLAGS) -T tests/guests/x64-kernel.ld -o $@ $(filter %.o,$^)

build/guests/notes-sections.elf: $(X64_CODE) build/guests/x64-notes.o \
		tests/guests/notes-sections.ld
	$(Q)$(GUEST_CC) $(X64_LDFLAGS) -T tests/guests/notes-sections.ld -o $@ $(filter %.o,$^)

build/guests/pae-basic.elf: $(PAE_CODE) build/guests/pae-notes.o \
		tests/guests/pae-kernel.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T tests/guests/pae-kernel.ld -o $@ $(filter %.o,$^)

build/guests/pae-bimodal.elf: $(PAE_CODE) build/guests/pae-bimodal-notes.o \
		tests/guests/pae-kernel.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T tests/guests/pae-kernel.ld -o $@ $(filter %.o,$^)

build/guests/notes-legacy-pae.elf: $(PAE_CODE) build/guests/notes-legacy-pae.o \
		tests/guests/notes-legacy-pae.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T tests/guests/notes-legacy-pae.ld -o $@ $(filter %.o,$^)

# The self-checking 32-bit guests (tests/guests/check32.c, one source for
# both ABIs): check13 is a xen-1.3 kernel on entry.S's declaration and
# basic.ld, pae-check an x86_32p one on pae-entry.S's and pae-kernel.ld.
# New images beside basic and pae-basic, whose layouts the goldens pin.
CHECK32_GUESTS = build/guests/check13.elf build/guests/pae-check.elf
guests: $(CHECK32_GUESTS) $(CHECK32_GUESTS:=.gz)

build/guests/check13.o: tests/guests/check32.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTCC $< (xen-1.3)")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -DCHECK_XEN13 -c -o $@ $<

build/guests/pae-check.o: tests/guests/check32.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUESTCC $< (x86_32p)")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

build/guests/check13.elf: build/guests/entry.o build/guests/pattern.o \
		build/guests/check13.o tests/guests/basic.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T tests/guests/basic.ld -o $@ $(filter %.o,$^)

build/guests/pae-check.elf: build/guests/pae-entry.o build/guests/pae-check.o \
		build/guests/pae-notes.o tests/guests/pae-kernel.ld
	$(Q)$(GUEST_CC) $(GUEST_LDFLAGS) -T tests/guests/pae-kernel.ld -o $@ $(filter %.o,$^)

build/bad3/.stamp: tests/mkbad3.py build/guests/x64-basic.elf build/guests/pae-basic.elf
	$(Q)rm -rf build/bad3
	$(Q)/usr/bin/python3 tests/mkbad3.py build/guests/x64-basic.elf \
		build/guests/pae-basic.elf build/bad3
	@touch $@

-include $(XEN3_OBJS:.o=.d) build/guests/x64-xen-guest.d

# Xen's own parser, for agreement tests
# build/xenparse asks Xen 4.17's libxenguest what it makes of an image; the
# agreement tests compare its answer with elfinfo's. Not part of all.
XEN_PKGS = xenguest xencontrol xentoollog
xenparse: build/xenparse

build/xenparse: tests/xen/xenparse.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CCLD    $<")
	$(Q)$(CC) -D_GNU_SOURCE $(CPPFLAGS) -std=gnu11 $(WARNINGS) $(CFLAGS) \
		$(shell pkg-config --cflags $(XEN_PKGS) 2>/dev/null) $(LDFLAGS) \
		-o $@ $< $(shell pkg-config --libs $(XEN_PKGS) 2>/dev/null || \
		echo -lxenguest -lxenctrl -lxentoollog)

.PHONY: xenparse

# tests/cache.bats counts the decompressions of a build with this preload
# library (tests/cache/count.c); built plain, as the test guests are.
guests: build/count.so

build/count.so: tests/cache/count.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CCLD    $<")
	$(Q)$(CC) -std=gnu11 $(WARNINGS) $(PV_PLAIN_CFLAGS) -fPIC -shared \
		-o $@ $< -ldl

# Compressed kernels (tests/mkcompressed.py): basic.elf compressed whole in
# every format elfinfo reads, synthetic Linux bzImages with each kind of
# payload, and malformed variants of both, in build/compressed/.
build/compressed/.stamp: tests/mkcompressed.py build/guests/basic.elf
	$(Q)rm -rf build/compressed
	$(Q)/usr/bin/python3 tests/mkcompressed.py build/guests/basic.elf \
		build/compressed
	@touch $@

# Sanitizers
# make SAN=1 (make check SAN=1) builds every program with AddressSanitizer,
# LeakSanitizer and UBSan into the same bin/, so the suite runs them; the
# runtime's defaults (every report fatal, leaks checked, exit code 86) are
# linked in from tests/fuzz/sanopts.c. build/.cflags records the compiler and
# flags and every object depends on it, so a change of SAN (or of CC or
# CFLAGS) rebuilds them all: objects built with and without SAN never mix.
# build/xenparse, Xen's code, is built without.
SAN ?= 0
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
PV_PLAIN_CFLAGS := $(CFLAGS)
ifeq ($(SAN),1)
override CFLAGS += $(SAN_FLAGS)
$(PROGRAMS): build/san/sanopts.o
# Tests of resource bounds (peak RSS, CPU time), which ASan's shadow memory,
# quarantine and checks lift, can tell: the suite runs with PVBUILD_SAN=1.
export PVBUILD_SAN = 1
endif
FLAGS_ID = $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) PV_STATIC=$(PV_STATIC)

$(LIB_OBJS) $(STAGE_OBJS) build/bench-floor: build/.cflags

build/.cflags: flags-force
	@mkdir -p $(@D)
	@echo '$(FLAGS_ID)' | cmp -s - $@ || echo '$(FLAGS_ID)' >$@

build/san/sanopts.o: tests/fuzz/sanopts.c build/.cflags
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(PV_CPPFLAGS) $(CPPFLAGS) $(PV_CFLAGS) $(CFLAGS) -c -o $@ $<

build/xenparse: override CFLAGS = $(PV_PLAIN_CFLAGS)

.PHONY: flags-force

# Fuzzing
# libFuzzer targets (tests/fuzz/README.md): fuzz_image, the image reader as
# elfinfo uses it, and fuzz_plan, the stages' plan readers, built by clang
# into build/fuzz/ with their own objects of common/.
#   make fuzz [FUZZ_SECONDS=60]  seed corpus from the guests, the real images
#                                and the pipeline's plans; each target runs
#                                FUZZ_SECONDS into build/fuzz/work/TARGET
#   make fuzz-regress            replay tests/fuzz/corpus/ and tests/fuzz/crashes/
#   make fuzz-corpus             merge the work corpus into tests/fuzz/corpus/
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wno-unknown-warning-option
FUZZ_TARGETS = fuzz_image fuzz_plan
FUZZ_BINS = $(FUZZ_TARGETS:%=build/fuzz/%)
# fuzz_plan takes a plan as far as finalize's hypervisor rules
# (stages/finalize/hvrules.c); the backends are left out: they build what
# those rules and the plan readers have checked, and the xen one needs
# Xen's libraries and a hypervisor.
FUZZ_LIB_OBJS = $(LIB_SRCS:%.c=build/fuzz/%.o) \
	build/fuzz/stages/finalize/hvrules.o

build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(PV_CPPFLAGS) $(PV_CFLAGS) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(PV_CPPFLAGS) -Istages/finalize $(PV_CFLAGS) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer $(PV_LDFLAGS) -MMD -MP -o $@ $< $(FUZZ_LIB_OBJS) $(PV_LIBS)

# Kept, though only pattern rules name them.
.SECONDARY: $(FUZZ_LIB_OBJS)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d)

build/fuzz/seeds/.stamp: tests/fuzz/mkseeds.py $(PROGRAMS) $(GUEST_FILES)
	$(Q)/usr/bin/python3 tests/fuzz/mkseeds.py build/fuzz/seeds
	@touch $@

# Each installs what is missing first (clang and its libFuzzer among them).
fuzz:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS) build/fuzz/seeds/.stamp
	$(Q)tests/fuzz/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-regress:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)tests/fuzz/fuzz.sh regress $(FUZZ_TARGETS)

fuzz-corpus:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS) build/fuzz/seeds/.stamp
	$(Q)tests/fuzz/fuzz.sh save $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-regress fuzz-corpus

# boot
# bin/boot starts a sim domain in a KVM virtual machine or in QEMU and
# relays its console (boot/); it is no stage of the pipeline, and its
# modules are linked into it alone, beside the library every program
# shares.
BOOT_SRCS = boot/main.c boot/run.c boot/domain.c boot/x86.c boot/kvm.c \
	boot/kvm_api.c boot/qemu.c boot/qemu_hole.c boot/paging.c boot/pvh.c \
	boot/pvh_qemu.c
BOOT_OBJS = $(BOOT_SRCS:%.c=build/%.o)
all: bin/boot

# The QEMU firmwares (boot/rom.S, and boot/pvh_rom.S for PVH domains):
# freestanding, 64 KiB each, linked into bin/boot as data (boot/rom_blob.S).
build/boot/rom.o build/boot/pvh_rom.o: build/boot/%.o: boot/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(GUEST_CC) -m64 -c -Iboot -MMD -MP -o $@ $<

# A ROM is never linked: a symbol it names but does not define (a
# constant its headers lost) would silently read as 0, so none may be left.
build/boot/rom.bin build/boot/pvh_rom.bin: build/boot/%.bin: build/boot/%.o
	$(Q)test -z "$$(nm -u $<)" || { echo "$<: undefined: $$(nm -u $< | tr -s ' \n' ' ')" >&2; exit 1; }
	$(Q)objcopy -O binary -j .text $< $@
	$(Q)test "$$(stat -c %s $@)" = 65536 || { echo "$@: not 64 KiB" >&2; rm -f $@; exit 1; }

build/boot/rom_blob.o: boot/rom_blob.S build/boot/rom.bin build/boot/pvh_rom.bin
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

bin/boot: $(BOOT_OBJS) build/boot/rom_blob.o build/libpvbuild.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(PV_LDFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PV_LIBS)

-include $(BOOT_OBJS:.o=.d) build/boot/rom.d build/boot/pvh_rom.d

# As the other programs under "Sanitizers" above.
$(BOOT_OBJS): build/.cflags
ifeq ($(SAN),1)
bin/boot: build/san/sanopts.o
endif

# Differential testing against Xen
# tests/diff/mutate.py mutates the test guests and the real images into a
# corpus, tests/diff/run.py runs elfinfo and Xen's parser (build/xenparse)
# on each mutant and classifies how they differ; tests/diff/explained.txt
# says why for each kind of difference. The suite runs a small corpus
# (tests/differential.bats); this is the big run, not part of all or check:
#   make difftest [DIFF_COUNT=3000] [DIFF_SEED=pvbuild] [DIFF_JOBS=2]
# It keeps the interesting cases in build/diff/results/cases/.
DIFF_COUNT ?= 3000
DIFF_SEED ?= pvbuild
DIFF_JOBS ?= 2

difftest: all guests xenparse
	$(Q)rm -rf build/diff
	$(Q)/usr/bin/python3 tests/diff/mutate.py --seed '$(DIFF_SEED)' \
		--count $(DIFF_COUNT) build/diff/corpus
	$(Q)/usr/bin/python3 tests/diff/run.py --jobs $(DIFF_JOBS) --prune \
		--explained tests/diff/explained.txt --check \
		--out build/diff/results build/diff/corpus

.PHONY: difftest

# The untrusted-plan search
# tests/plans/bases.sh makes valid plans of every ABI from the test guests,
# tests/plans/mutate.py edits them semantically, tests/plans/run.py feeds
# each mutant to finalize and judges it (a clean refusal, or a domain
# tests/checker/checkdom.py passes); tests/plans/explained.txt says why for
# each class of finding the checker's strictness explains. The suite runs
# 200 mutants (tests/plans.bats); this is the longer run, not part of all
# or check. Then PLANTEST_PVH mutants of the PVH plans go to every reader
# of a plan (run.py --readers), and PLANTEST_BOOTS PVH domains with an
# edited domain.json to boot (tests/plans/bootdoms.py):
#   make plantest [PLANTEST_COUNT=2000] [PLANTEST_PVH=1000]
#        [PLANTEST_BOOTS=200] [PLANTEST_SEED=pvbuild] [PLANTEST_JOBS=2]
# It keeps the findings in build/plans/results/cases/ and
# build/plans/pvh-results/cases/.
PLANTEST_COUNT ?= 2000
PLANTEST_PVH ?= 1000
PLANTEST_BOOTS ?= 200
PLANTEST_SEED ?= pvbuild
PLANTEST_JOBS ?= 2

plantest: all guests
	$(Q)rm -rf build/plans
	$(Q)tests/plans/bases.sh build/plans/bases
	$(Q)/usr/bin/python3 tests/plans/mutate.py --seed '$(PLANTEST_SEED)' \
		--count $(PLANTEST_COUNT) build/plans/bases build/plans/corpus
	$(Q)/usr/bin/python3 tests/plans/run.py --jobs $(PLANTEST_JOBS) \
		--explained tests/plans/explained.txt --check \
		--out build/plans/results build/plans/corpus
	$(Q)/usr/bin/python3 tests/plans/mutate.py --seed '$(PLANTEST_SEED)' \
		--count $(PLANTEST_PVH) --from 'pvh-*' build/plans/bases \
		build/plans/pvh-corpus
	$(Q)/usr/bin/python3 tests/plans/run.py --jobs $(PLANTEST_JOBS) \
		--explained tests/plans/explained.txt --check --readers \
		--out build/plans/pvh-results build/plans/pvh-corpus
	$(Q)/usr/bin/python3 tests/plans/bootdoms.py --jobs $(PLANTEST_JOBS) \
		--seed '$(PLANTEST_SEED)' --count $(PLANTEST_BOOTS) \
		build/plans/bases build/plans/boot

.PHONY: plantest

# Install the Debian packages that are missing (as root), or name them.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:" $$missing; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing \
			>/dev/null || exit 1; \
		else \
			echo "missing Debian packages:" $$missing \
			"(run make as root, or apt-get install them)"; exit 1; \
		fi; \
	fi

DEMO_OUT = build/demo-domain
# The demo guest checks its own boot environment (tests/guests/check32.c)
# against what its command line says it was given, and bin/boot runs it:
# in QEMU, as a xen-1.3 domain's 2-level paging is not for this KVM.
DEMO_GUEST = build/guests/check13.elf.gz
demo:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all guests
	$(Q)rm -rf $(DEMO_OUT) build/demo-plans
	./pipeline.sh $(DEMO_GUEST) --memory 32M --initrd build/guests/initrd.img \
		--cmdline "$$(/usr/bin/python3 tests/guests/guest-cmdline.py 8192 build/guests/initrd.img)" \
		--out $(DEMO_OUT) --keep build/demo-plans
	bin/boot $(DEMO_OUT)

check:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all guests xenparse
	tests/check.sh

# make test: the same suite without installing or fetching anything
# (tests/offline.sh): what is missing is named and its tests skip.
test:
	$(Q)$(MAKE) --no-print-directory all guests xenparse
	DEB_PACKAGES="$(DEB_PACKAGES)" tests/offline.sh

# The floor of the bench: decompression alone, with the pipeline's library.
build/bench-floor: tests/bench/floor.c build/libpvbuild.a
	$(Q)$(CC) $(PV_CPPFLAGS) $(CPPFLAGS) $(PV_CFLAGS) $(CFLAGS) $(PV_LDFLAGS) $(LDFLAGS) -o $@ $< build/libpvbuild.a $(PV_LIBS)

# make bench [BENCH_RUNS=3] [XENVM=1] [BENCH_BASE=ea6a8a6] [BENCH_ROWS=...]:
# the issue's table of targets (tests/bench/bench.sh); XENVM=1 adds the
# rows on real Xen, from one boot of the Xen VM (a few minutes);
# BENCH_ROWS='1G-cold 1G-warm' measures only those rows beside the floor.
BENCH_RUNS ?= 3
XENVM ?= 0
BENCH_ROWS ?=
bench: all guests build/bench-floor
	XENVM=$(XENVM) BENCH_ROWS="$(BENCH_ROWS)" tests/bench/bench.sh $(BENCH_RUNS)

install: all build/install/pvbuild
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 755 build/install/pvbuild $(DESTDIR)$(BINDIR)/pvbuild
	install -m 755 $(PROGRAMS) bin/boot $(DESTDIR)$(LIBEXECDIR)

clean:
	rm -rf build bin

.PHONY: all deps demo check test bench install clean guests

# What install puts beside the programs, and uninstall
# The man pages (man/, mdoc), the bash completion (completion/) and the
# plan's JSON Schemas (schemas/). The man pages name the installed
# directories as /usr/local, rewritten to PREFIX's as they are installed.
# uninstall removes exactly what install put, the programs too (only
# pvbuild in BINDIR, the stages, show and boot in LIBEXECDIR), and the
# directories that are pvbuild's alone, never a shared one such as man1.
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/pvbuild
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
MAN1 = man/pvbuild.1 $(STAGES:%=man/pvbuild-%.1) man/pvbuild-boot.1 \
	man/pvbuild-show.1
MAN5 = man/pvbuild-plan.5
SCHEMAS = $(wildcard schemas/*.json)

install: install-data

install-data:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DATADIR)/schemas $(DESTDIR)$(BASHCOMPDIR)
	for f in $(MAN1) $(MAN5); do \
		s=$${f##*.}; \
		sed 's|/usr/local/|$(PREFIX)/|g' $$f >$(DESTDIR)$(MANDIR)/man$$s/$${f#man/} && \
		chmod 644 $(DESTDIR)$(MANDIR)/man$$s/$${f#man/} || exit 1; \
	done
	install -m 644 $(SCHEMAS) $(DESTDIR)$(DATADIR)/schemas
	install -m 644 completion/pvbuild.bash $(DESTDIR)$(BASHCOMPDIR)/pvbuild

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pvbuild
	rm -f $(addprefix $(DESTDIR)$(LIBEXECDIR)/,$(PROGRAMS:bin/%=%) boot)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) \
		$(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%)
	rm -f $(SCHEMAS:schemas/%=$(DESTDIR)$(DATADIR)/schemas/%)
	rm -f $(DESTDIR)$(BASHCOMPDIR)/pvbuild
	rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/schemas \
		$(DESTDIR)$(DATADIR) 2>/dev/null || true

.PHONY: install-data uninstall
