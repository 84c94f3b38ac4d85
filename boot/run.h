/* SPDX-License-Identifier: ISC */
/*
 * run.h: what boot's two paths (kvm.h, qemu.h) share with main, which
 * calls one of them and reports what it returns: how a run ended, why a
 * path could not run the domain at all, and the rule for which of the
 * guest's exceptions go back to the handler it registered. The #defines
 * come first and alone, so that the firmware (rom.S) includes this file
 * too.
 */
#ifndef BOOT_RUN_H
#define BOOT_RUN_H

/*
 * More bounces to the guest's handler than any test guest's probes take:
 * past this many, the guest is in a fault loop and the run ends.
 */
#define MAX_BOUNCES		100000

#ifndef __ASSEMBLER__

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "x86.h"

/* How a run ended. */
enum boot_end {
	BOOT_END_VERDICT,	/* the guest gave one: verdict */
	BOOT_END_FAULT,		/* an exception it did not handle: fault */
	BOOT_END_STOPPED,	/* it stopped otherwise, without one: why */
	BOOT_END_SIGNAL,	/* boot was told to stop: why */
};

/* Why a path could not run the domain, beyond its message. */
enum boot_failure {
	BOOT_FAILED,		/* the message says all there is */
	BOOT_FAILED_KVM,	/* this host's KVM cannot: QEMU may */
};

struct boot_result {
	enum boot_end end;
	unsigned verdict;
	double seconds;			/* the run, start to verdict */
	char why[PV_MSG_SIZE];		/* STOPPED, SIGNAL: the line to show */
	struct boot_fault fault;	/* FAULT */
	uint64_t handler;		/* FAULT: the guest's, 0 for none */
	unsigned long bounces;		/* FAULT: exceptions sent to it */
	int has_cpu;			/* FAULT, STOPPED: cpu was read */
	struct boot_cpu cpu;		/* the registers when the run ended */
	struct pv_err cpu_err;		/* ... or why they could not be read */
	enum boot_failure failure;	/* with a path's -1 */
};

/* What main hands a path. */
struct boot_run {
	double timeout;			/* seconds, then the run ends */
	/* Each console byte the guest writes, as it comes. */
	void (*console)(const uint8_t *, size_t);
	/*
	 * Called once, when the domain is ready to enter: `where` says
	 * where the path put boot's own pieces, for main's banner.
	 */
	void (*ready)(const struct boot_run *, const struct boot_domain *,
	    const char *where);
	const char *path, *dir;		/* for the banner: "kvm", DIR */
	/*
	 * Set by a signal handler when boot is to stop: a path that can stop
	 * cleanly (QEMU's, killing its child) polls it.
	 */
	volatile sig_atomic_t *stop;
};

/*
 * A path: run the domain (kvm.h, qemu.h). Returns 0 with *r saying how
 * the run ended, or -1 with e set (and r->failure) when the path could not
 * run it.
 */
typedef int boot_path_fn(struct boot_domain *, const struct boot_run *,
    struct boot_result *r, struct pv_err *e);

/* Whether an exception goes back to the guest's handler, or why not. */
enum boot_trap {
	BOOT_TRAP_BOUNCE,	/* it does */
	BOOT_TRAP_OWN,		/* taken in boot's own code (ring 0) */
	BOOT_TRAP_LOOP,		/* MAX_BOUNCES sent already */
	BOOT_TRAP_NO_HANDLER,	/* the guest registered none */
	BOOT_TRAP_KEPT,		/* not one the guest handles (see run.c) */
};

/*
 * The one rule of ports.h's BOOT_CALL_TRAPS, for an exception `vector`
 * taken at cs:rip, the guest's handler (0: none) and the bounces so far.
 * KVM's run loop decides by it; the firmware's handlers (rom.S, BOUNCE)
 * mirror it; main names the reason a run ended from it.
 */
enum boot_trap boot_trap(unsigned vector, uint64_t cs, uint64_t rip,
    uint64_t handler, unsigned long bounces);

#endif /* __ASSEMBLER__ */

#endif
