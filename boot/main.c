/* SPDX-License-Identifier: ISC */
/*
 * boot: start a sim domain for real and relay its console. Not a stage of
 * the pipeline: it reads what finalize --backend sim left (DIR/domain.json,
 * DIR/machine.mem) and runs it, entered directly in its own paging mode
 * with its own page tables and registers (README, "Booting a sim
 * domain"), on one of two paths, named on stderr ("boot: path ..."):
 *
 * - KVM (kvm.h), for xen-3.0-x86_64 when /dev/kvm opens: an x86_64 PV
 *   kernel runs in ring 3, as under Xen, which a KVM without hardware
 *   virtualization (PVM) also runs at native speed; this host's KVM
 *   keeps no 32-bit paging.
 * - QEMU (qemu.h, rom.S), for xen-1.3 and xen-3.0-x86_32p (ring 1,
 *   2-level or PAE paging), and x86_64 --with qemu: QEMU's TCG as a
 *   child, on a copy of the machine with boot's hole added, and boot's
 *   own firmware, whose handlers are the hole's hypervisor.
 * - QEMU for a PVH domain (pvh.h, pvh_rom.S): the domain's memory as
 *   QEMU's RAM and a firmware that only enters it, in protected mode
 *   with paging off, as Xen enters a PVH guest; the guest writes the
 *   verdict port itself, and its console is COM1. KVM does not run PVH
 *   domains yet.
 *
 * The guest writes its console to port 0xE9 and its verdict to port 0xF4,
 * and calls on boot through port 0xF6 (ports.h); the verdict is boot's
 * exit status. A guest that stops without one (an exception it does not
 * handle, a triple fault, a halt, the timeout) is a failure, shown with
 * its registers where the path has them. Both paths return how the run
 * ended (run.h); main chooses the path and reports, once, for both.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kvm.h"
#include "opt.h"
#include "qemu.h"

#define PROG "boot"
#define SYNOPSIS "boot DIR [--timeout SECONDS] [--with kvm|qemu]"

/* The guest stopped without a verdict: fault, shutdown, halt, timeout. */
#define BOOT_EXIT_NO_VERDICT 4

#define DEFAULT_TIMEOUT 10
#define MAX_TIMEOUT 86400.0

/* A number in --help's text, from its macro. */
#define STR(x) STR_(x)
#define STR_(x) #x

static const struct opt options[] = {
	{ "timeout", "SECONDS", "give up after this long (default "
	    STR(DEFAULT_TIMEOUT) ")", 't' },
	{ "with", "kvm|qemu", "run it in a KVM virtual machine, or in QEMU ("
	    BOOT_QEMU_PROGRAM ");\nby default KVM for an x86_64 domain when "
	    "/dev/kvm opens,\nelse QEMU (always for a PVH domain)", 'w' },
	{ NULL, NULL, NULL, 0 },
};

static const struct opt_prog prog = { PROG, SYNOPSIS,
	"Starts the sim domain in DIR and relays its console (port 0xE9, or\n"
	"COM1 for a PVH domain) to standard output. The guest's verdict (port\n"
	"0xF4) is the exit status; a guest that stops without one exits "
	STR(BOOT_EXIT_NO_VERDICT) ",\nshowing its registers.", options };

/*
 * The two paths, by the names --with and "boot: path" give them. QEMU's
 * stops cleanly on SIGHUP, SIGINT or SIGTERM, killing its child; a
 * signal ends a run under KVM as it ends any program.
 */
static const struct path {
	const char *name;
	boot_path_fn *boot;
	boot_path_fn *boot_pvh;		/* NULL: it runs no PVH domain */
	int catch_stop;
} paths[] = {
	{ "kvm", boot_kvm_path, NULL, 0 },
	{ "qemu", boot_qemu_path, boot_pvh_qemu_path, 1 },
};

static const struct path *
find_path(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(paths[i].name, name) == 0)
			return &paths[i];
	return NULL;
}

/*
 * Which path runs the domain: --with, else KVM for an x86_64 domain when
 * /dev/kvm opens, and QEMU for the rest. The choice and its reason go to
 * stderr, so a test can tell which path ran.
 */
static const struct path *
choose_path(const struct path *with, const struct boot_domain *d,
    char *why, size_t whysz)
{
	int fd;

	if (with != NULL) {
		snprintf(why, whysz, "--with %s", with->name);
		return with;
	}
	if (d->is_pvh) {
		snprintf(why, whysz, "pvh: boot runs PVH domains in QEMU");
		return find_path("qemu");
	}
	if (!d->paging->kvm) {
		snprintf(why, whysz, "%s: %s, which this host's KVM does not "
		    "run", d->abi->name, d->paging->name);
		return find_path("qemu");
	}
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(why, whysz, "/dev/kvm: %s", strerror(errno));
		return find_path("qemu");
	}
	close(fd);
	snprintf(why, whysz, "%s under /dev/kvm", d->abi->name);
	return find_path("kvm");
}

/*
 * Console bytes go out as they come, a line at a time, and as they are:
 * standard output is the guest's own data stream, which a test or an
 * operator reads byte for byte, not a message of boot's; boot's own lines,
 * on stderr, are escaped (cli_say).
 */
static void
console(const uint8_t *data, size_t len)
{
	fwrite(data, 1, len, stdout);
	if (memchr(data, '\n', len) != NULL)
		fflush(stdout);
}

/* The domain is ready to enter: what it starts with, and where. */
static void
banner(const struct boot_run *how, const struct boot_domain *d,
    const char *where)
{
	const struct boot_vcpu *v = &d->vcpu;
	const struct boot_pvh *p = &d->pvh;

	if (d->is_pvh) {
		cli_say(PROG, "%s: pvh domain %s (%llu frames, %llu vCPUs): "
		    "eip 0x%llx, ebx 0x%llx, cr0 0x%llx, eflags 0x%llx%s",
		    how->path, how->dir, (unsigned long long)d->frames,
		    (unsigned long long)p->vcpus, (unsigned long long)p->eip,
		    (unsigned long long)p->ebx, (unsigned long long)p->cr0,
		    (unsigned long long)p->eflags, where);
		fflush(stderr);
		return;
	}

	cli_say(PROG, "%s: %s domain %s (%llu frames): cr3 0x%llx, rip 0x%llx, "
	    "rsp 0x%llx, rsi 0x%llx, rflags 0x%llx", how->path, d->abi->name,
	    how->dir, (unsigned long long)d->frames,
	    (unsigned long long)v->cr3, (unsigned long long)v->ip,
	    (unsigned long long)v->sp, (unsigned long long)v->si,
	    (unsigned long long)v->flags);
	cli_say(PROG, "%s: ring %llu on the domain's cs 0x%llx, ss 0x%llx%s",
	    how->path, (unsigned long long)(v->cs & 3),
	    (unsigned long long)v->cs, (unsigned long long)v->ss, where);
	fflush(stderr);
}

/* The registers, one line each, as boot's other messages are. */
static void
print_cpu(const struct boot_cpu *c)
{
	cli_say(PROG, "  rip %016llx rsp %016llx rflags %08llx",
	    (unsigned long long)c->rip, (unsigned long long)c->rsp,
	    (unsigned long long)c->rflags);
	cli_say(PROG, "  rax %016llx rbx %016llx rcx %016llx rdx %016llx",
	    (unsigned long long)c->rax, (unsigned long long)c->rbx,
	    (unsigned long long)c->rcx, (unsigned long long)c->rdx);
	cli_say(PROG, "  rsi %016llx rdi %016llx rbp %016llx r8  %016llx",
	    (unsigned long long)c->rsi, (unsigned long long)c->rdi,
	    (unsigned long long)c->rbp, (unsigned long long)c->r8);
	cli_say(PROG, "  r9  %016llx r10 %016llx r11 %016llx r12 %016llx",
	    (unsigned long long)c->r9, (unsigned long long)c->r10,
	    (unsigned long long)c->r11, (unsigned long long)c->r12);
	cli_say(PROG, "  r13 %016llx r14 %016llx r15 %016llx",
	    (unsigned long long)c->r13, (unsigned long long)c->r14,
	    (unsigned long long)c->r15);
	cli_say(PROG, "  cr0 %08llx cr2 %016llx cr3 %016llx cr4 %08llx "
	    "efer %llx", (unsigned long long)c->cr0,
	    (unsigned long long)c->cr2, (unsigned long long)c->cr3,
	    (unsigned long long)c->cr4, (unsigned long long)c->efer);
	cli_say(PROG, "  cs %04x ds %04x es %04x fs %04x gs %04x ss %04x "
	    "tr %04x", c->cs, c->ds, c->es, c->fs, c->gs, c->ss, c->tr);
}

/* "the guest took exception ...", where, and why it was not sent back. */
static void
say_fault(const struct boot_result *r)
{
	static const char *const why[] = {
		[BOOT_TRAP_BOUNCE] = "",
		[BOOT_TRAP_OWN] = " in boot's own code",
		[BOOT_TRAP_LOOP] = ", again: a fault loop",
		[BOOT_TRAP_NO_HANDLER] = " with no handler registered",
		[BOOT_TRAP_KEPT] = "",
	};
	const struct boot_fault *f = &r->fault;
	char code[48] = "";

	if (f->has_error)
		snprintf(code, sizeof(code), ", error code 0x%llx",
		    (unsigned long long)f->error);
	cli_say(PROG, "the guest took exception %u (%s)%s at rip 0x%llx%s",
	    f->vector, boot_x86_vector_name(f->vector), code,
	    (unsigned long long)f->rip, why[boot_trap(f->vector, f->cs, f->rip,
	    r->handler, r->bounces)]);
}

/* How the run ended, once for both paths; returns the exit status. */
static int
report(const struct boot_result *r)
{
	if (fflush(stdout) != 0) {
		cli_say(PROG, "writing the console: %s", strerror(errno));
		return PV_EXIT_SYSTEM;
	}
	switch (r->end) {
	case BOOT_END_VERDICT:
		cli_say(PROG, "verdict %u (%s) after %.3f s", r->verdict,
		    r->verdict == 0 ? "pass" : "fail", r->seconds);
		return (int)r->verdict;
	case BOOT_END_SIGNAL:
		cli_say(PROG, "%s", r->why);
		return PV_EXIT_SYSTEM;
	case BOOT_END_FAULT:
		say_fault(r);
		break;
	case BOOT_END_STOPPED:
		cli_say(PROG, "%s", r->why);
		break;
	}
	if (r->has_cpu) {
		cli_say(PROG, "registers%s:", r->end == BOOT_END_FAULT ?
		    " when the guest took the exception" : "");
		print_cpu(&r->cpu);
	} else if (r->cpu_err.msg[0] != '\0') {
		cli_error(PROG, &r->cpu_err);
	}
	return BOOT_EXIT_NO_VERDICT;
}

/* The path could not run the domain: why, and where KVM cannot, QEMU. */
static int
refused(const struct boot_result *r, const struct pv_err *e)
{
	fflush(stdout);
	if (r->failure == BOOT_FAILED_KVM) {
		cli_say(PROG, "%s; use --with qemu", e->msg);
		return PV_EXIT_SYSTEM;
	}
	return cli_error(PROG, e);
}

int
main(int argc, char **argv)
{
	const struct path *with = NULL, *path;
	boot_path_fn *boot;
	double timeout = DEFAULT_TIMEOUT;
	struct boot_result r;
	struct boot_domain d;
	struct boot_run how;
	struct pv_err e;
	char why[160], *value, *end;
	int c, rc;

	while ((c = opt_next(&prog, argc, argv, &value, &rc)) > 0) {
		switch (c) {
		case 't':
			errno = 0;
			timeout = strtod(value, &end);
			if (errno != 0 || end == value || *end != '\0' ||
			    !isfinite(timeout) || timeout <= 0 ||
			    timeout > MAX_TIMEOUT)
				return opt_usage(&prog, "--timeout '%s': not a "
				    "number of seconds in (0, %g]", value,
				    MAX_TIMEOUT);
			break;
		case 'w':
			if ((with = find_path(value)) == NULL)
				return opt_usage(&prog, "--with '%s': not kvm "
				    "or qemu", value);
			break;
		}
	}
	if (c < 0)
		return rc;
	if (argc - optind != 1)
		return opt_usage(&prog, argc - optind == 0 ?
		    "DIR is required" : "too many arguments");
	if (boot_domain_open(argv[optind], &d, &e) < 0)
		return cli_error(PROG, &e);
	path = choose_path(with, &d, why, sizeof(why));
	cli_say(PROG, "path %s (%s)", path->name, why);
	how = (struct boot_run){ timeout, console, banner, path->name,
	    argv[optind], &cli_stop_signal };
	boot = d.is_pvh ? path->boot_pvh : path->boot;
	memset(&r, 0, sizeof(r));
	if (boot == NULL) {
		pv_fail(&e, PV_EXIT_SYSTEM, "the %s path does not run PVH "
		    "domains", path->name);
		r.failure = BOOT_FAILED_KVM;
		rc = refused(&r, &e);
	} else if (path->catch_stop && cli_catch_stop() < 0) {
		cli_say(PROG, "sigaction: %s", strerror(errno));
		rc = PV_EXIT_SYSTEM;
	} else if (boot(&d, &how, &r, &e) < 0) {
		rc = refused(&r, &e);
	} else {
		rc = report(&r);
	}
	boot_domain_close(&d);
	if (fclose(stdout) != 0 && rc == PV_EXIT_OK) {
		cli_say(PROG, "writing the console: %s", strerror(errno));
		rc = PV_EXIT_SYSTEM;
	}
	return rc;
}
