/*
 * qemu.h: running a sim domain in QEMU's emulated x86 (TCG), for the
 * paging modes this host's KVM cannot run (xen-1.3's 2-level, x86_32p's
 * PAE) or a host without KVM.
 *
 * boot writes the domain's machine, with its hole added (rom.h), to a
 * file in a temporary directory, which QEMU takes as its RAM
 * (memory-backend-file, shared, so boot reads the handlers' record after
 * the run), with boot's firmware (rom.S) as its BIOS. The console
 * port is QEMU's isa-debugcon, relayed by boot; the verdict port an
 * isa-debug-exit device, which only boot's handlers write.
 */
#ifndef BOOT_QEMU_H
#define BOOT_QEMU_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "x86.h"
#include "pv.h"

/* The QEMU program run, found on PATH. */
#define BOOT_QEMU_PROGRAM "qemu-system-x86_64"

/* When set, the file QEMU logs every exception and reset to (-d, -D). */
#define BOOT_QEMU_LOG_ENV "PVBUILD_QEMU_LOG"

enum boot_qemu_end {
	BOOT_QEMU_VERDICT,	/* the guest gave one: verdict */
	BOOT_QEMU_FAULT,	/* an exception the guest did not handle */
	BOOT_QEMU_SHUTDOWN,	/* QEMU stopped: a triple fault */
	BOOT_QEMU_TIMEOUT,
	BOOT_QEMU_SIGNAL,	/* boot was told to stop: signal */
};

struct boot_qemu_result {
	enum boot_qemu_end end;
	unsigned verdict;
	int signal;
	struct boot_fault fault;	/* for BOOT_QEMU_FAULT */
	struct boot_cpu cpu;		/* the registers the handler saw */
	int handler;			/* the guest had registered one */
	unsigned long bounces;		/* exceptions bounced to it */
	double seconds;			/* QEMU's run, start to end */
};

/*
 * Check that the domain fits the QEMU machine and build boot's hole in
 * its private memory (never the domain's files): the handlers' frames in
 * the reserved ones, entries only in the hypervisor's part of the
 * top-level table, each checked to be empty first. Fails with
 * PV_EXIT_INPUT for a domain it cannot enter (naming the field),
 * PV_EXIT_SYSTEM for what the machine lacks.
 */
int boot_qemu_prepare(struct boot_domain *, struct pv_err *);

/*
 * Run the prepared domain: write the machine and the firmware into a
 * temporary directory, start QEMU, hand each console byte to `console`,
 * wait for the end, at most `timeout` seconds or until *stop is set (by a
 * signal handler), and remove every file it wrote. Returns 0 with *r
 * saying how the run ended, or -1 with e set when QEMU could not run it.
 */
int boot_qemu_run(struct boot_domain *, double timeout,
    void (*console)(const uint8_t *, size_t), volatile sig_atomic_t *stop,
    struct boot_qemu_result *r, struct pv_err *e);

#endif
