/*
 * boot: start a sim domain for real and relay its console. Not a stage of
 * the pipeline: it reads what finalize --backend sim left (DIR/domain.json,
 * DIR/machine.mem) and runs it, entered directly in its own paging mode
 * with its own page tables and registers (README, "Booting a sim
 * domain"), on one of two paths, named on stderr ("boot: path ..."):
 *
 * - KVM (boot/kvm.c), for xen-3.0-x86_64 when /dev/kvm opens: an
 *   x86_64 PV kernel runs in ring 3, as under Xen, which a KVM without
 *   hardware virtualization (PVM) also runs at native speed; this host's
 *   KVM keeps no 32-bit paging.
 * - QEMU (boot/qemu.c, boot/rom.S), for xen-1.3 and
 *   xen-3.0-x86_32p (ring 1, 2-level or PAE paging), and x86_64 --with
 *   qemu: QEMU's TCG as a child, on a copy of the machine with boot's hole
 *   added, and boot's own firmware, whose handlers are the hole's
 *   hypervisor.
 *
 * The guest writes its console to port 0xE9 and its verdict to port 0xF4,
 * and calls on boot through port 0xF6 (boot/ports.h); the verdict
 * is boot's exit status. A guest that stops without one (an exception it
 * does not handle, a triple fault, a halt, the timeout) is a failure,
 * shown with its registers where the path has them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "kvm.h"
#include "ports.h"
#include "qemu.h"
#include "rom.h"
#include "x86.h"
#include "cli.h"

#define PROG "boot"
#define SYNOPSIS "boot DIR [--timeout SECONDS] [--with kvm|qemu]"

/* The guest stopped without a verdict: fault, shutdown, halt, timeout. */
#define BOOT_EXIT_NO_VERDICT 4

#define DEFAULT_TIMEOUT 10.0
#define MAX_TIMEOUT 86400.0

static struct boot_kvm *kicked;
static volatile sig_atomic_t timed_out;

static void
on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	boot_kvm_kick(kicked);
}

static int
start_timer(double seconds)
{
	struct itimerval it;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return -1;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds)
	    * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

static void
stop_timer(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
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

/* "the guest took exception ..." and where; `why` ends the line. */
static void
say_fault(const struct boot_fault *f, const char *why)
{
	char code[48] = "";

	if (f->has_error)
		snprintf(code, sizeof(code), ", error code 0x%llx",
		    (unsigned long long)f->error);
	cli_say(PROG, "the guest took exception %u (%s)%s at rip 0x%llx%s",
	    f->vector, boot_x86_vector_name(f->vector), code,
	    (unsigned long long)f->rip, why);
}

/* A run of an x86_64 domain under KVM. */
struct run {
	struct boot_kvm *kvm;
	struct boot_domain *dom;
	const struct boot_hole *hole;
	uint64_t trap_handler;		/* BOOT_CALL_TRAPS, 0 for none */
	unsigned long bounces;
	double timeout, t0;
};

/* MAX_BOUNCES (rom.h): more is a guest in a fault loop. */

/*
 * The run failed without a verdict: say why (the caller did, or this says
 * which exception, `why` ending its line), then show the vCPU. For an
 * exception, the registers the guest had when it took it, from the stubs'
 * stack.
 */
static int
no_verdict(struct run *r, const struct boot_fault *f, const char *why)
{
	struct boot_cpu c;
	struct pv_err e;

	fflush(stdout);
	if (f != NULL)
		say_fault(f, why);
	if (boot_kvm_cpu(r->kvm, &c, &e) < 0) {
		cli_error(PROG, &e);
		return BOOT_EXIT_NO_VERDICT;
	}
	if (f != NULL) {
		c.rip = f->rip;
		c.rsp = f->rsp;
		c.rflags = f->rflags;
		c.rax = f->rax;
		c.cs = (uint16_t)f->cs;
		c.ss = (uint16_t)f->ss;
	}
	cli_say(PROG, "registers%s:", f != NULL ?
	    " when the guest took the exception" : "");
	print_cpu(&c);
	return BOOT_EXIT_NO_VERDICT;
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

/* BOOT_CALL_FRAME: copy machine frame rdi to the guest's page at rsi. */
static int64_t
call_frame(struct run *r, uint64_t mfn, uint64_t va)
{
	uint64_t maddr;

	if (mfn < r->dom->reserved_frames || mfn >= r->dom->frames ||
	    (va & (PV_PAGE_SIZE - 1)) != 0 ||
	    boot_x64_translate(r->dom, va, 1, &maddr) < 0)
		return -1;
	memmove(r->dom->mem + maddr, r->dom->mem + mfn * PV_PAGE_SIZE,
	    PV_PAGE_SIZE);
	return 0;
}

/* A call on boot (ports.h): the result goes back in rax. */
static int
call(struct run *r, uint8_t nr)
{
	struct boot_cpu c;
	struct pv_err e;
	int64_t result = -1;

	if (boot_kvm_cpu(r->kvm, &c, &e) < 0)
		return cli_error(PROG, &e);
	switch (nr) {
	case BOOT_CALL_TRAPS:
		r->trap_handler = c.rdi;
		result = 0;
		break;
	case BOOT_CALL_FRAME:
		result = call_frame(r, c.rdi, c.rsi);
		break;
	}
	c.rax = (uint64_t)result;
	if (boot_kvm_set_cpu(r->kvm, &c, 0, &e) < 0)
		return cli_error(PROG, &e);
	return 0;
}

/*
 * An exception reached boot's stub. One the guest took in ring 3, with a
 * handler registered, resumes at the handler (ports.h,
 * BOOT_CALL_TRAPS); any other ends the run.
 */
static int
exception(struct run *r, unsigned vector, int *resumed)
{
	struct boot_fault f;
	struct boot_cpu c;
	struct pv_err e;

	*resumed = 0;
	boot_x64_fault(r->dom, r->hole, vector, &f);
	if (r->trap_handler != 0 && vector < 32 && vector != 8 &&
	    vector != 18 && (f.cs & 3) == 3 && f.rip != r->trap_handler &&
	    r->bounces < MAX_BOUNCES) {
		if (boot_kvm_cpu(r->kvm, &c, &e) < 0)
			return cli_error(PROG, &e);
		r->bounces++;
		c.rax = f.rax;
		c.rdi = vector;
		c.rsi = f.error;
		c.rdx = c.cr2;
		c.rcx = f.rip;
		c.rip = r->trap_handler;
		c.rsp = f.rsp;
		c.rflags = f.rflags;
		if (boot_kvm_set_cpu(r->kvm, &c, 1, &e) < 0)
			return cli_error(PROG, &e);
		*resumed = 1;
		return 0;
	}
	return no_verdict(r, &f, r->bounces >= MAX_BOUNCES ?
	    ", again: a fault loop" : r->trap_handler != 0 ? "" :
	    " with no handler registered");
}

static int
run_loop(struct run *r)
{
	struct boot_exit x;
	struct pv_err e;
	int rc, resumed;
	uint64_t v;

	for (;;) {
		if (boot_kvm_run(r->kvm, &x, &e) < 0) {
			cli_error(PROG, &e);
			return no_verdict(r, NULL, NULL);
		}
		switch (x.kind) {
		case BOOT_EXIT_OUT:
			if (x.port == BOOT_PORT_CONSOLE) {
				console(x.data, x.len);
				continue;
			}
			if (x.port == BOOT_PORT_CALL && x.len >= 1) {
				if ((rc = call(r, x.data[0])) != 0)
					return rc;
				continue;
			}
			if (x.port == BOOT_PORT_FAULT && x.len >= 1) {
				rc = exception(r, x.data[0], &resumed);
				if (resumed)
					continue;
				return rc;
			}
			if (x.port == BOOT_PORT_VERDICT) {
				v = pv_get_le(x.data, x.len < 8 ? x.len : 8);
				if (fflush(stdout) != 0) {
					cli_say(PROG, "writing the console: "
					    "%s", strerror(errno));
					return PV_EXIT_SYSTEM;
				}
				if (v > 255) {
					cli_say(PROG, "verdict 0x%llx "
					    "is not an exit status",
					    (unsigned long long)v);
					return no_verdict(r, NULL, NULL);
				}
				cli_say(PROG, "verdict %llu (%s) after "
				    "%.3f s", (unsigned long long)v,
				    v == 0 ? "pass" : "fail", pv_now() - r->t0);
				return (int)v;
			}
			fflush(stdout);
			cli_say(PROG, "the guest wrote %zu bytes to "
			    "port 0x%x, which boot does not have", x.len,
			    x.port);
			return no_verdict(r, NULL, NULL);
		case BOOT_EXIT_IN:
			fflush(stdout);
			cli_say(PROG, "the guest read port 0x%x, which "
			    "boot does not have", x.port);
			return no_verdict(r, NULL, NULL);
		case BOOT_EXIT_HLT:
			fflush(stdout);
			cli_say(PROG, "the guest halted without a verdict");
			return no_verdict(r, NULL, NULL);
		case BOOT_EXIT_SHUTDOWN:
			fflush(stdout);
			cli_say(PROG, "the guest shut down (a triple "
			    "fault) without a verdict");
			return no_verdict(r, NULL, NULL);
		case BOOT_EXIT_MMIO:
			fflush(stdout);
			cli_say(PROG, "the guest's %s of physical "
			    "address 0x%llx is outside its machine (%llu "
			    "frames)", x.detail, (unsigned long long)x.addr,
			    (unsigned long long)r->dom->frames);
			return no_verdict(r, NULL, NULL);
		case BOOT_EXIT_INTR:
			if (!timed_out)
				continue;
			fflush(stdout);
			cli_say(PROG, "timeout: no verdict after %g s",
			    r->timeout);
			return no_verdict(r, NULL, NULL);
		case BOOT_EXIT_FAIL:
			fflush(stdout);
			cli_say(PROG, "KVM could not run the guest: %s",
			    x.detail);
			return no_verdict(r, NULL, NULL);
		}
	}
}

/*
 * A 32-bit domain: this slice runs only long mode under KVM. Find out
 * whether this host's KVM could run the guest's paging mode at all, and
 * say which it is.
 */
static int
refuse_paging32(const struct boot_domain *d)
{
	struct boot_kvm *k = NULL;
	struct pv_err e;
	int kept = 0;

	if (boot_kvm_open(&k, &e) < 0 || boot_kvm_memory(k, d, &e) < 0 ||
	    boot_kvm_keeps_paging32(k, d, d->abi->id == ABI_X86_32P, &kept,
	    &e) < 0) {
		boot_kvm_close(k);
		cli_say(PROG, "%s; use --with qemu", e.msg);
		return PV_EXIT_SYSTEM;
	}
	boot_kvm_close(k);
	if (kept)
		cli_say(PROG, "%s: this host's KVM keeps 32-bit paging, "
		    "but boot runs only x86_64 domains under KVM yet; use "
		    "--with qemu", d->abi->name);
	else
		cli_say(PROG, "%s needs 32-bit paging, which this "
		    "host's KVM cannot run; use --with qemu", d->abi->name);
	return PV_EXIT_SYSTEM;
}

static int
boot_kvm(const char *dir, struct boot_domain *d, double timeout)
{
	struct boot_hole h;
	struct pv_err e;
	struct run r;
	int rc;

	if (d->abi->id != ABI_X86_64)
		return refuse_paging32(d);
	memset(&r, 0, sizeof(r));
	r.dom = d;
	r.hole = &h;
	r.timeout = timeout;
	r.t0 = pv_now();
	if (boot_x64_hole_build(d, &h, &e) < 0)
		return cli_error(PROG, &e);
	if (boot_kvm_open(&r.kvm, &e) < 0 || boot_kvm_memory(r.kvm, d, &e) < 0 ||
	    boot_kvm_load_x64(r.kvm, d, &h, &e) < 0) {
		boot_kvm_close(r.kvm);
		if (e.code != PV_EXIT_SYSTEM ||
		    strstr(e.msg, "use --with qemu") != NULL)
			return cli_error(PROG, &e);
		cli_say(PROG, "%s; use --with qemu", e.msg);
		return PV_EXIT_SYSTEM;
	}
	cli_say(PROG, "kvm: %s domain %s (%llu frames): cr3 0x%llx, "
	    "rip 0x%llx, rsp 0x%llx, rsi 0x%llx, rflags 0x%llx",
	    d->abi->name, dir, (unsigned long long)d->frames,
	    (unsigned long long)d->vcpu.cr3, (unsigned long long)d->vcpu.ip,
	    (unsigned long long)d->vcpu.sp, (unsigned long long)d->vcpu.si,
	    (unsigned long long)d->vcpu.flags);
	cli_say(PROG, "kvm: ring 3 on the domain's cs 0x%llx, ss "
	    "0x%llx, ds/es/fs/gs 0x%llx/0x%llx/0x%llx/0x%llx, in boot's "
	    "GDT laid out as Xen's; boot's GDT, IDT and stubs in L4 slot %u",
	    (unsigned long long)d->vcpu.cs, (unsigned long long)d->vcpu.ss,
	    (unsigned long long)d->vcpu.ds, (unsigned long long)d->vcpu.es,
	    (unsigned long long)d->vcpu.fs, (unsigned long long)d->vcpu.gs,
	    h.l4_slot);
	fflush(stderr);
	kicked = r.kvm;
	if (start_timer(timeout) < 0) {
		cli_say(PROG, "timer: %s", strerror(errno));
		boot_kvm_close(r.kvm);
		return PV_EXIT_SYSTEM;
	}
	rc = run_loop(&r);
	stop_timer();
	kicked = NULL;
	boot_kvm_close(r.kvm);
	return rc;
}

static int
qemu_fault(const struct boot_qemu_result *r)
{
	const struct boot_fault *f = &r->fault;

	say_fault(f, (f->cs & 3) == 0 ? " in boot's own code" :
	    r->bounces >= MAX_BOUNCES ? ", again: a fault loop" :
	    r->handler ? "" : " with no handler registered");
	cli_say(PROG, "registers when the guest took the exception:");
	print_cpu(&r->cpu);
	return BOOT_EXIT_NO_VERDICT;
}

static int
boot_qemu(const char *dir, struct boot_domain *d, double timeout)
{
	struct boot_qemu_result r;
	struct pv_err e;

	/* SIGINT, SIGTERM, SIGHUP stop the run and kill QEMU. */
	if (cli_catch_stop() < 0) {
		cli_say(PROG, "sigaction: %s", strerror(errno));
		return PV_EXIT_SYSTEM;
	}
	if (boot_qemu_prepare(d, &e) < 0)
		return cli_error(PROG, &e);
	cli_say(PROG, "qemu: %s domain %s (%llu frames): cr3 0x%llx, "
	    "rip 0x%llx, rsp 0x%llx, rsi 0x%llx, rflags 0x%llx",
	    d->abi->name, dir, (unsigned long long)d->frames,
	    (unsigned long long)d->vcpu.cr3, (unsigned long long)d->vcpu.ip,
	    (unsigned long long)d->vcpu.sp, (unsigned long long)d->vcpu.si,
	    (unsigned long long)d->vcpu.flags);
	cli_say(PROG, "qemu: ring %llu on the domain's cs 0x%llx, ss "
	    "0x%llx; boot's GDT, IDT, TSS and handlers in the hypervisor's "
	    "hole from 0x%llx", (unsigned long long)(d->vcpu.cs & 3),
	    (unsigned long long)d->vcpu.cs, (unsigned long long)d->vcpu.ss,
	    (unsigned long long)d->abi->hv_start);
	fflush(stderr);
	if (boot_qemu_run(d, timeout, console, &cli_stop_signal, &r, &e) < 0) {
		fflush(stdout);
		return cli_error(PROG, &e);
	}
	if (fflush(stdout) != 0) {
		cli_say(PROG, "writing the console: %s",
		    strerror(errno));
		return PV_EXIT_SYSTEM;
	}
	switch (r.end) {
	case BOOT_QEMU_VERDICT:
		cli_say(PROG, "verdict %u (%s) after %.3f s",
		    r.verdict, r.verdict == 0 ? "pass" : "fail", r.seconds);
		return (int)r.verdict;
	case BOOT_QEMU_FAULT:
		return qemu_fault(&r);
	case BOOT_QEMU_SHUTDOWN:
		cli_say(PROG, "the guest shut down (a triple fault) "
		    "without a verdict, after %.3f s", r.seconds);
		return BOOT_EXIT_NO_VERDICT;
	case BOOT_QEMU_TIMEOUT:
		cli_say(PROG, "timeout: no verdict after %g s; QEMU killed",
		    timeout);
		return BOOT_EXIT_NO_VERDICT;
	case BOOT_QEMU_SIGNAL:
		break;
	}
	cli_say(PROG, "stopped by signal %d; QEMU killed",
	    r.signal);
	return PV_EXIT_SYSTEM;
}

/*
 * Which path runs the domain: --with, else KVM for an x86_64 domain when
 * /dev/kvm opens, and QEMU for the rest. The choice and its reason go to
 * stderr, so a test can tell which path ran.
 */
static const char *
choose_path(const char *with, const struct boot_domain *d, char *why,
    size_t whysz)
{
	int fd;

	if (with != NULL) {
		snprintf(why, whysz, "--with %s", with);
		return with;
	}
	if (d->abi->id != ABI_X86_64) {
		snprintf(why, whysz, "%s: 32-bit paging, which this host's KVM "
		    "does not run", d->abi->name);
		return "qemu";
	}
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(why, whysz, "/dev/kvm: %s", strerror(errno));
		return "qemu";
	}
	close(fd);
	snprintf(why, whysz, "%s under /dev/kvm", d->abi->name);
	return "kvm";
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "with", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *with = NULL, *path;
	char why[160];
	double timeout = DEFAULT_TIMEOUT;
	struct boot_domain d;
	struct pv_err e;
	char *end;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: %s\n\nStarts the sim domain in DIR and "
			    "relays its console (port 0xE9) to\nstandard "
			    "output. The guest's verdict (port 0xF4) is the "
			    "exit status;\na guest that stops without one "
			    "exits %d, showing its registers.\n\n"
			    "  --timeout SECONDS  give up after this long "
			    "(default %g)\n"
			    "  --with kvm|qemu    run it in a KVM virtual "
			    "machine, or in QEMU (%s);\n"
			    "                     by default KVM for an "
			    "x86_64 domain when /dev/kvm opens,\n"
			    "                     else QEMU\n", SYNOPSIS,
			    BOOT_EXIT_NO_VERDICT, DEFAULT_TIMEOUT,
			    BOOT_QEMU_PROGRAM);
			return PV_EXIT_OK;
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !isfinite(timeout) || timeout <= 0 ||
			    timeout > MAX_TIMEOUT)
				return cli_usage(PROG, SYNOPSIS, "--timeout "
				    "'%s': not a number of seconds in (0, %g]",
				    optarg, MAX_TIMEOUT);
			break;
		case 'V': return cli_version(PROG);
		case 'w':
			if (strcmp(optarg, "kvm") != 0 &&
			    strcmp(optarg, "qemu") != 0)
				return cli_usage(PROG, SYNOPSIS, "--with '%s': "
				    "not kvm or qemu", optarg);
			with = optarg;
			break;
		case ':':
			return cli_usage(PROG, SYNOPSIS, "%s needs a value",
			    argv[optind - 1]);
		default:
			return cli_usage(PROG, SYNOPSIS, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage(PROG, SYNOPSIS, argc - optind == 0 ?
		    "DIR is required" : "too many arguments");
	if (boot_domain_open(argv[optind], &d, &e) < 0)
		return cli_error(PROG, &e);
	path = choose_path(with, &d, why, sizeof(why));
	cli_say(PROG, "path %s (%s)", path, why);
	if (strcmp(path, "qemu") == 0)
		rc = boot_qemu(argv[optind], &d, timeout);
	else
		rc = boot_kvm(argv[optind], &d, timeout);
	boot_domain_close(&d);
	if (fclose(stdout) != 0 && rc == PV_EXIT_OK) {
		cli_say(PROG, "writing the console: %s", strerror(errno));
		rc = PV_EXIT_SYSTEM;
	}
	return rc;
}
