/* SPDX-License-Identifier: ISC */
/*
 * kvm.c: the KVM path (kvm.h): boot's run loop over the vCPU's exits.
 *
 * Each `out` the guest makes to one of boot's ports (ports.h) is an I/O
 * exit; boot's stubs in the hole name an exception on BOOT_PORT_FAULT,
 * and the run loop either sends it back to the guest's handler, as the
 * firmware's handlers do on the QEMU path (run.h, boot_trap), or ends the
 * run with the guest's registers.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "kvm.h"
#include "kvm_api.h"
#include "ports.h"
#include "rom.h"

/* A run of an x86_64 domain under KVM. */
struct run {
	struct boot_kvm *kvm;
	struct boot_domain *dom;
	const struct boot_run *how;
	struct boot_hole hole;
	uint64_t trap_handler;		/* BOOT_CALL_TRAPS, 0 for none */
	unsigned long bounces;
	double t0;
};

/* The VM the timeout interrupts, and whether it has. */
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
start_timer(double seconds, struct pv_err *e)
{
	struct itimerval it;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds)
	    * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	if (sigaction(SIGALRM, &sa, NULL) < 0 ||
	    setitimer(ITIMER_REAL, &it, NULL) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "timer: %s", strerror(errno));
	return 0;
}

static void
stop_timer(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * The run ended without a verdict: why (`fmt`), and the vCPU's registers,
 * for main to show.
 */
static int stopped(struct run *, struct boot_result *, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
stopped(struct run *r, struct boot_result *res, const char *fmt, ...)
{
	va_list ap;

	res->end = BOOT_END_STOPPED;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	res->has_cpu = boot_kvm_cpu(r->kvm, &res->cpu, &res->cpu_err) == 0;
	return 0;
}

/*
 * An exception the guest did not get back: the registers it had when it
 * took it, from the stubs' stack, over the vCPU's others.
 */
static int
fault(struct run *r, const struct boot_fault *f, struct boot_result *res)
{
	res->end = BOOT_END_FAULT;
	res->fault = *f;
	res->handler = r->trap_handler;
	res->bounces = r->bounces;
	res->has_cpu = boot_kvm_cpu(r->kvm, &res->cpu, &res->cpu_err) == 0;
	if (res->has_cpu) {
		res->cpu.rip = f->rip;
		res->cpu.rsp = f->rsp;
		res->cpu.rflags = f->rflags;
		res->cpu.rax = f->rax;
		res->cpu.cs = (uint16_t)f->cs;
		res->cpu.ss = (uint16_t)f->ss;
	}
	return 0;
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
call(struct run *r, uint8_t nr, struct pv_err *e)
{
	struct boot_cpu c;
	int64_t result = -1;

	if (boot_kvm_cpu(r->kvm, &c, e) < 0)
		return -1;
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
	return boot_kvm_set_cpu(r->kvm, &c, 0, e);
}

/*
 * An exception reached boot's stub. One that boot_trap sends back resumes
 * at the guest's handler, as ports.h says (*resumed); any other ends the
 * run.
 */
static int
exception(struct run *r, unsigned vector, int *resumed,
    struct boot_result *res, struct pv_err *e)
{
	struct boot_fault f;
	struct boot_cpu c;

	*resumed = 0;
	boot_x64_fault(r->dom, &r->hole, vector, &f);
	if (boot_trap(vector, f.cs, f.rip, r->trap_handler, r->bounces) !=
	    BOOT_TRAP_BOUNCE)
		return fault(r, &f, res);
	if (boot_kvm_cpu(r->kvm, &c, e) < 0)
		return -1;
	r->bounces++;
	c.rax = f.rax;
	c.rdi = vector;
	c.rsi = f.error;
	c.rdx = c.cr2;
	c.rcx = f.rip;
	c.rip = r->trap_handler;
	c.rsp = f.rsp;
	c.rflags = f.rflags;
	if (boot_kvm_set_cpu(r->kvm, &c, 1, e) < 0)
		return -1;
	*resumed = 1;
	return 0;
}

/* An `out` to one of boot's ports; *done when the run has ended. */
static int
port_out(struct run *r, const struct boot_exit *x, int *done,
    struct boot_result *res, struct pv_err *e)
{
	uint64_t v;
	int resumed;

	*done = 0;
	if (x->port == BOOT_PORT_CONSOLE) {
		r->how->console(x->data, x->len);
		return 0;
	}
	if (x->port == BOOT_PORT_CALL && x->len >= 1)
		return call(r, x->data[0], e);
	*done = 1;
	if (x->port == BOOT_PORT_FAULT && x->len >= 1) {
		if (exception(r, x->data[0], &resumed, res, e) < 0)
			return -1;
		*done = !resumed;
		return 0;
	}
	if (x->port != BOOT_PORT_VERDICT)
		return stopped(r, res, "the guest wrote %zu bytes to port 0x%x, "
		    "which boot does not have", x->len, x->port);
	v = pv_get_le(x->data, x->len < 8 ? (unsigned)x->len : 8);
	if (v > 255)
		return stopped(r, res, "verdict 0x%llx is not an exit status",
		    (unsigned long long)v);
	res->end = BOOT_END_VERDICT;
	res->verdict = (unsigned)v;
	res->seconds = pv_now() - r->t0;
	return 0;
}

/* Run the vCPU until the run ends: 0 with *res, or -1 with e. */
static int
run_loop(struct run *r, struct boot_result *res, struct pv_err *e)
{
	struct boot_exit x;
	struct pv_err ke;
	int done;

	for (;;) {
		if (boot_kvm_run(r->kvm, &x, &ke) < 0)
			return stopped(r, res, "%s", ke.msg);
		switch (x.kind) {
		case BOOT_EXIT_OUT:
			if (port_out(r, &x, &done, res, e) < 0)
				return -1;
			if (done)
				return 0;
			continue;
		case BOOT_EXIT_IN:
			return stopped(r, res, "the guest read port 0x%x, which "
			    "boot does not have", x.port);
		case BOOT_EXIT_HLT:
			return stopped(r, res, "the guest halted without a "
			    "verdict");
		case BOOT_EXIT_SHUTDOWN:
			return stopped(r, res, "the guest shut down (a triple "
			    "fault) without a verdict");
		case BOOT_EXIT_MMIO:
			return stopped(r, res, "the guest's %s of physical "
			    "address 0x%llx is outside its machine (%llu "
			    "frames)", x.detail, (unsigned long long)x.addr,
			    (unsigned long long)r->dom->frames);
		case BOOT_EXIT_INTR:
			if (!timed_out)
				continue;
			return stopped(r, res, "timeout: no verdict after %g s",
			    r->how->timeout);
		case BOOT_EXIT_FAIL:
			return stopped(r, res, "KVM could not run the guest: %s",
			    x.detail);
		}
	}
}

/*
 * A 32-bit domain: boot runs only long mode under KVM. Find out whether
 * this host's KVM could run the guest's paging mode at all, and say which
 * it is.
 */
static int
refuse_paging32(const struct boot_domain *d, struct pv_err *e)
{
	struct boot_kvm *k = NULL;
	int kept = 0, rc;

	rc = boot_kvm_open(&k, e) < 0 || boot_kvm_memory(k, d, e) < 0 ||
	    boot_kvm_keeps_paging32(k, d, d->paging->mode == MODE_PAE, &kept,
	    e) < 0 ? -1 : 0;
	boot_kvm_close(k);
	if (rc < 0)
		return -1;
	if (kept)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: this host's KVM keeps "
		    "%s, but boot runs only x86_64 domains under KVM yet",
		    d->abi->name, d->paging->name);
	return pv_fail(e, PV_EXIT_SYSTEM, "%s needs %s, which this host's KVM "
	    "cannot run", d->abi->name, d->paging->name);
}

/* The VM with the domain loaded, and where boot's pieces are. */
static int
load(struct run *r, char *where, size_t size, struct boot_result *res,
    struct pv_err *e)
{
	const struct boot_domain *d = r->dom;

	if (boot_x64_hole_build(r->dom, &r->hole, e) < 0)
		return -1;
	if (boot_kvm_open(&r->kvm, e) < 0 ||
	    boot_kvm_memory(r->kvm, d, e) < 0 ||
	    boot_kvm_load_x64(r->kvm, d, &r->hole, e) < 0) {
		if (e->code == PV_EXIT_SYSTEM)
			res->failure = BOOT_FAILED_KVM;
		return -1;
	}
	snprintf(where, size, ", ds/es/fs/gs 0x%llx/0x%llx/0x%llx/0x%llx, in "
	    "boot's GDT laid out as Xen's; boot's GDT, IDT and stubs in L4 "
	    "slot %u", (unsigned long long)d->vcpu.ds,
	    (unsigned long long)d->vcpu.es, (unsigned long long)d->vcpu.fs,
	    (unsigned long long)d->vcpu.gs, r->hole.l4_slot);
	return 0;
}

int
boot_kvm_path(struct boot_domain *d, const struct boot_run *how,
    struct boot_result *res, struct pv_err *e)
{
	char where[PV_MSG_SIZE];
	struct run r;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!d->paging->kvm) {
		res->failure = BOOT_FAILED_KVM;
		return refuse_paging32(d, e);
	}
	memset(&r, 0, sizeof(r));
	r.dom = d;
	r.how = how;
	if (load(&r, where, sizeof(where), res, e) < 0) {
		boot_kvm_close(r.kvm);
		return -1;
	}
	how->ready(how, d, where);
	kicked = r.kvm;
	r.t0 = pv_now();
	rc = start_timer(how->timeout, e);
	if (rc == 0)
		rc = run_loop(&r, res, e);
	stop_timer();
	kicked = NULL;
	boot_kvm_close(r.kvm);
	return rc;
}
