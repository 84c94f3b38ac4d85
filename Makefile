# pvbuild: one non-recursive Makefile.
#   make            build the programs into bin/
#   make demo       install what is missing, build, run the pipeline on a test guest
#   make check      install what is missing, build, run the whole suite
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
WERROR ?= 1
V ?= 0

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wcast-qual \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla -Wno-unused-parameter -Wno-format-truncation
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
PKGS = libelf jansson zlib libcrypto liblzma lzo2 liblz4 libzstd
PV_CPPFLAGS = -Icommon -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE
PV_CFLAGS = -std=gnu11 $(WARNINGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PV_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lelf -ljansson -lz \
	-lcrypto -llzma -llzo2 -llz4 -lzstd) -lbz2

ifeq ($(V),1)
Q =
else
Q = @
endif

STAGES = elfinfo layout populate pagetables finalize
PROGRAMS = $(addprefix bin/,$(STAGES))
LIB_SRCS = common/abi.c common/pt.c common/pv.c common/img.c common/plan.c common/elfguest.c \
	common/cli.c common/hv_sim.c common/decomp.c common/bzimage.c
LIB_OBJS = $(LIB_SRCS:%.c=build/%.o)
STAGE_OBJS = $(STAGES:%=build/stages/%.o)
DEPS = $(LIB_OBJS:.o=.d) $(STAGE_OBJS:.o=.d)

# Debian packages the build, the demo and the suite need.
DEB_PACKAGES = gcc make binutils pkg-config gzip libelf-dev libjansson-dev \
	zlib1g-dev libssl-dev bats bats-support bats-assert python3 \
	python3-jsonschema libxen-dev libbz2-dev liblzma-dev liblzo2-dev \
	liblz4-dev libzstd-dev bzip2 xz-utils lzop lz4 zstd

all: $(PROGRAMS)

build/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(PV_CPPFLAGS) $(PV_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

build/libpvbuild.a: $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

bin/%: build/stages/%.o build/libpvbuild.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PV_LIBS)

-include $(DEPS)

# Test guests (tests/guests/): freestanding ELF32 xen-1.3 kernels, their
# gzip'd copies, an initrd fixture, and malformed images made from them.
GUEST_CC ?= gcc
GUEST_CFLAGS = -m32 -march=i686 -O2 -std=gnu11 -ffreestanding -fno-pic \
	-fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -mgeneral-regs-only -fno-common -Wall -Wextra \
	-Werror -ffile-prefix-map=$(CURDIR)/= -Itests/guests -MMD -MP
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

build/bad3/.stamp: tests/mkbad3.py build/guests/x64-basic.elf build/guests/pae-basic.elf
	$(Q)rm -rf build/bad3
	$(Q)/usr/bin/python3 tests/mkbad3.py build/guests/x64-basic.elf \
		build/guests/pae-basic.elf build/bad3
	@touch $@

-include $(XEN3_OBJS:.o=.d)

# Xen's own parser, for agreement tests
# build/xenparse asks Xen 4.17's libxenguest what it makes of an image; the
# agreement tests compare its answer with elfinfo's. Not part of all.
XEN_PKGS = xenguest xencontrol xentoollog
xenparse: build/xenparse

build/xenparse: tests/xen/xenparse.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CCLD    $<")
	$(Q)$(CC) -D_GNU_SOURCE -std=gnu11 $(WARNINGS) $(CFLAGS) \
		$(shell pkg-config --cflags $(XEN_PKGS) 2>/dev/null) $(LDFLAGS) \
		-o $@ $< $(shell pkg-config --libs $(XEN_PKGS) 2>/dev/null || \
		echo -lxenguest -lxenctrl -lxentoollog)

.PHONY: xenparse

# Compressed kernels (tests/mkcompressed.py): basic.elf compressed whole in
# every format elfinfo reads, synthetic Linux bzImages with each kind of
# payload, and malformed variants of both, in build/compressed/.
build/compressed/.stamp: tests/mkcompressed.py build/guests/basic.elf
	$(Q)rm -rf build/compressed
	$(Q)/usr/bin/python3 tests/mkcompressed.py build/guests/basic.elf \
		build/compressed
	@touch $@

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
demo:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all guests
	$(Q)rm -rf $(DEMO_OUT) build/demo-plans
	./pipeline.sh build/guests/multiseg.elf.gz --memory 32M \
		--initrd build/guests/initrd.img --cmdline "console=xvc0 root=/dev/ram0" \
		--out $(DEMO_OUT) --keep build/demo-plans

check:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all guests xenparse
	bats --print-output-on-failure tests

# The floor of the bench: decompression alone, with the pipeline's library.
build/bench-floor: tests/bench/floor.c build/libpvbuild.a
	$(Q)$(CC) $(PV_CPPFLAGS) $(PV_CFLAGS) $(CFLAGS) -o $@ $< build/libpvbuild.a $(PV_LIBS)

bench: all guests build/bench-floor
	tests/bench/bench.sh

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)
	install -m 755 pipeline.sh $(DESTDIR)$(BINDIR)/pvbuild-pipeline

clean:
	rm -rf build bin

.PHONY: all deps demo check bench install clean guests
