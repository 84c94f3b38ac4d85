/* SPDX-License-Identifier: ISC */
/*
 * kvm_api.c: a sim domain in a KVM virtual machine (kvm_api.h).
 *
 * The API is the kernel's, Documentation/virt/kvm/api.rst: KVM_CREATE_VM,
 * KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU and its mmap'd struct
 * kvm_run, KVM_GET_SUPPORTED_CPUID/KVM_SET_CPUID2, KVM_SET_SREGS and
 * KVM_SET_REGS, KVM_RUN. The control-register bits are the Intel SDM's
 * (vol. 3A, 2.5; EFER: 2.2.1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kvm_api.h"

#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)
#define RFLAGS_FIXED	(1ULL << 1)	/* bit 1 always reads 1 */
#define RFLAGS_IOPL	(3ULL << 12)
#define CPUID_EXT_NX	(1U << 20)	/* CPUID 0x80000001 EDX */

#define KVM_API 12
#define MAX_CPUID 1024

struct boot_kvm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	int has_nx;
	/* The guest's segments, as loaded at entry (x86.h, BOOT_SEG_*). */
	struct kvm_segment seg[BOOT_NR_SEGS];
};

static int
sys_fail(struct pv_err *e, const char *what)
{
	return pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", what, strerror(errno));
}

/* The host's CPUID, as KVM can offer it, becomes the vCPU's. */
static int
set_cpuid(struct boot_kvm *k, struct pv_err *e)
{
	struct kvm_cpuid2 *c = NULL;
	unsigned n, i;
	int rc = -1;

	for (n = 64; n <= MAX_CPUID; n *= 2) {
		free(c);
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (c == NULL)
			return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
		c->nent = n;
		if (ioctl(k->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		if (errno != E2BIG) {
			sys_fail(e, "KVM_GET_SUPPORTED_CPUID");
			goto out;
		}
	}
	if (n > MAX_CPUID) {
		pv_fail(e, PV_EXIT_SYSTEM, "KVM_GET_SUPPORTED_CPUID: more "
		    "than %d entries", MAX_CPUID);
		goto out;
	}
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000001 &&
		    (c->entries[i].edx & CPUID_EXT_NX))
			k->has_nx = 1;
	if (ioctl(k->vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		sys_fail(e, "KVM_SET_CPUID2");
		goto out;
	}
	rc = 0;
out:
	free(c);
	return rc;
}

int
boot_kvm_open(struct boot_kvm **out, struct pv_err *e)
{
	struct boot_kvm *k;
	int n;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "out of memory");
	k->kvm_fd = k->vm_fd = k->vcpu_fd = -1;
	*out = k;
	if ((k->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		return sys_fail(e, "/dev/kvm");
	if ((n = ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0)) != KVM_API)
		return pv_fail(e, PV_EXIT_SYSTEM, "/dev/kvm: API version %d, "
		    "not %d", n, KVM_API);
	if ((k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0)) < 0)
		return sys_fail(e, "KVM_CREATE_VM");
	if ((k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0)) < 0)
		return sys_fail(e, "KVM_CREATE_VCPU");
	if ((n = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0)) < 0)
		return sys_fail(e, "KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)n < sizeof(*k->run))
		return pv_fail(e, PV_EXIT_SYSTEM, "KVM_GET_VCPU_MMAP_SIZE: %d "
		    "bytes", n);
	k->run_size = (size_t)n;
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return sys_fail(e, "mmap of the vCPU");
	}
	return set_cpuid(k, e);
}

void
boot_kvm_close(struct boot_kvm *k)
{
	if (k == NULL)
		return;
	if (k->run != NULL)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	free(k);
}

int
boot_kvm_memory(struct boot_kvm *k, const struct boot_domain *d,
    struct pv_err *e)
{
	struct kvm_userspace_memory_region r;

	memset(&r, 0, sizeof(r));
	r.slot = 0;
	r.guest_phys_addr = 0;
	r.memory_size = d->mem_size;
	r.userspace_addr = (uint64_t)(uintptr_t)d->mem;
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "KVM_SET_USER_MEMORY_REGION "
		    "of %llu frames: %s", (unsigned long long)d->frames,
		    strerror(errno));
	return 0;
}

static void
segment(struct kvm_segment *s, uint16_t selector, uint8_t type, int code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->s = 1;
	s->l = code64 ? 1 : 0;
	s->db = code64 ? 0 : 1;
	s->g = 1;
}

static void
unusable(struct kvm_segment *s, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->unusable = 1;
}

/* The guest's segment registers, as worked out once, into sregs. */
static void
guest_segments(const struct boot_kvm *k, struct kvm_sregs *s)
{
	s->cs = k->seg[BOOT_SEG_CS];
	s->ss = k->seg[BOOT_SEG_SS];
	s->ds = k->seg[BOOT_SEG_DS];
	s->es = k->seg[BOOT_SEG_ES];
	s->fs = k->seg[BOOT_SEG_FS];
	s->gs = k->seg[BOOT_SEG_GS];
}

/* A segment register as KVM takes it; the null selector is unusable. */
static void
guest_segment(struct kvm_segment *s, const struct boot_segment *b)
{
	if (b->selector == 0) {
		unusable(s, 0x3);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = b->selector;
	s->type = b->type;
	s->present = b->present;
	s->dpl = b->dpl;
	s->db = b->db;
	s->s = b->s;
	s->l = b->l;
	s->g = b->g;
}

/* What long mode depends on, for the message when KVM drops it. */
static void
long_mode_regs(const struct kvm_sregs *s, char *buf, size_t size)
{
	snprintf(buf, size, "CR0 0x%llx CR4 0x%llx EFER 0x%llx CR3 0x%llx "
	    "CS.L %d CPL %d", (unsigned long long)s->cr0,
	    (unsigned long long)s->cr4, (unsigned long long)s->efer,
	    (unsigned long long)s->cr3, s->cs.l, s->cs.dpl);
}

int
boot_kvm_load_x64(struct boot_kvm *k, const struct boot_domain *d,
    const struct boot_hole *h, struct pv_err *e)
{
	const struct boot_vcpu *v = &d->vcpu;
	struct boot_segment seg[BOOT_NR_SEGS];
	char set[128], got[128];
	struct kvm_sregs s, back;
	struct kvm_regs r;
	unsigned i;

	if (boot_x64_segments(v, seg, e) < 0)
		return -1;
	for (i = 0; i < BOOT_NR_SEGS; i++)
		guest_segment(&k->seg[i], &seg[i]);
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return sys_fail(e, "KVM_GET_SREGS");
	guest_segments(k, &s);
	unusable(&s.ldt, 0x2);
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.base = h->tss_va;
	s.tr.limit = h->tss_limit;
	s.tr.selector = BOOT_X64_TR;
	s.tr.type = 0xb;				/* busy 64-bit TSS */
	s.tr.present = 1;
	s.gdt.base = h->gdt_va;
	s.gdt.limit = h->gdt_limit;
	s.idt.base = h->idt_va;
	s.idt.limit = h->idt_limit;
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr3 = v->cr3;
	s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA | (k->has_nx ? EFER_NXE : 0);
	memset(s.interrupt_bitmap, 0, sizeof(s.interrupt_bitmap));
	if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return sys_fail(e, "KVM_SET_SREGS (long mode)");

	/* KVM may accept registers it does not keep: look again. */
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &back) < 0)
		return sys_fail(e, "KVM_GET_SREGS");
	if (!(back.cr0 & CR0_PG) || !(back.cr0 & CR0_PE) ||
	    !(back.cr0 & CR0_WP) || !(back.cr4 & CR4_PAE) ||
	    !(back.efer & EFER_LME) || !(back.efer & EFER_LMA) ||
	    !back.cs.l || back.cs.dpl != 3 || back.cr3 != v->cr3) {
		long_mode_regs(&s, set, sizeof(set));
		long_mode_regs(&back, got, sizeof(got));
		return pv_fail(e, PV_EXIT_SYSTEM, "this host's KVM did not "
		    "keep long mode: set %s, read back %s", set, got);
	}

	memset(&r, 0, sizeof(r));
	r.rax = v->ax;
	r.rbx = v->bx;
	r.rcx = v->cx;
	r.rdx = v->dx;
	r.rsi = v->si;
	r.rdi = v->di;
	r.rbp = v->bp;
	r.rsp = v->sp;
	r.rip = v->ip;
	/*
	 * IOPL 0 whatever domain.json says, as on the QEMU path: the TSS's
	 * I/O map, not the flags, decides which ports the guest reaches, so
	 * that a guest in ring 3 cannot write the port only boot's stubs
	 * write (BOOT_PORT_FAULT); Xen, too, moves IOPL out of the initial
	 * flags and grants I/O privilege by hypercall.
	 */
	r.rflags = (v->flags & ~RFLAGS_IOPL) | RFLAGS_FIXED;
	if (ioctl(k->vcpu_fd, KVM_SET_REGS, &r) < 0)
		return sys_fail(e, "KVM_SET_REGS");
	return 0;
}

int
boot_kvm_keeps_paging32(struct boot_kvm *k, const struct boot_domain *d,
    int pae, int *kept, struct pv_err *e)
{
	struct kvm_sregs s;

	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return sys_fail(e, "KVM_GET_SREGS");
	segment(&s.cs, 0x08, 0xb, 0);
	segment(&s.ds, 0x10, 0x3, 0);
	s.es = s.ss = s.ds;
	s.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr3 = d->vcpu.cr3;
	s.cr4 = pae ? CR4_PAE : 0;
	s.efer = 0;
	/* Refused outright, or accepted and dropped: either way, no. */
	*kept = 0;
	if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return 0;
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return sys_fail(e, "KVM_GET_SREGS");
	*kept = (s.cr0 & CR0_PG) != 0 && (s.cr0 & CR0_PE) != 0 &&
	    !!(s.cr4 & CR4_PAE) == !!pae;
	return 0;
}

int
boot_kvm_run(struct boot_kvm *k, struct boot_exit *x, struct pv_err *e)
{
	struct kvm_run *run = k->run;

	memset(x, 0, sizeof(*x));
	if (ioctl(k->vcpu_fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR) {
			x->kind = BOOT_EXIT_INTR;
			return 0;
		}
		return sys_fail(e, "KVM_RUN");
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		x->kind = run->io.direction == KVM_EXIT_IO_OUT ? BOOT_EXIT_OUT :
		    BOOT_EXIT_IN;
		x->port = run->io.port;
		x->len = (size_t)run->io.size * run->io.count;
		/* The data lie in the run page; never trust an offset. */
		if (!pv_inside(run->io.data_offset, x->len, k->run_size)) {
			x->kind = BOOT_EXIT_FAIL;
			snprintf(x->detail, sizeof(x->detail), "I/O exit data "
			    "outside the run page");
			break;
		}
		x->data = (const uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_HLT:
		x->kind = BOOT_EXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		x->kind = BOOT_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_MMIO:
		x->kind = BOOT_EXIT_MMIO;
		x->addr = run->mmio.phys_addr;
		snprintf(x->detail, sizeof(x->detail), "%s",
		    run->mmio.is_write ? "write" : "read");
		break;
	case KVM_EXIT_INTR:
		x->kind = BOOT_EXIT_INTR;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		x->kind = BOOT_EXIT_FAIL;
		snprintf(x->detail, sizeof(x->detail), "KVM_EXIT_FAIL_ENTRY, "
		    "hardware reason 0x%llx", (unsigned long long)
		    run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		x->kind = BOOT_EXIT_FAIL;
		snprintf(x->detail, sizeof(x->detail), "KVM_EXIT_INTERNAL_ERROR"
		    ", suberror %u", run->internal.suberror);
		break;
	default:
		x->kind = BOOT_EXIT_FAIL;
		snprintf(x->detail, sizeof(x->detail), "KVM exit reason %u",
		    run->exit_reason);
		break;
	}
	return 0;
}

void
boot_kvm_kick(struct boot_kvm *k)
{
	if (k != NULL && k->run != NULL)
		k->run->immediate_exit = 1;
}

int
boot_kvm_cpu(struct boot_kvm *k, struct boot_cpu *c, struct pv_err *e)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(k->vcpu_fd, KVM_GET_REGS, &r) < 0)
		return sys_fail(e, "KVM_GET_REGS");
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return sys_fail(e, "KVM_GET_SREGS");
	c->rax = r.rax; c->rbx = r.rbx; c->rcx = r.rcx; c->rdx = r.rdx;
	c->rsi = r.rsi; c->rdi = r.rdi; c->rbp = r.rbp; c->rsp = r.rsp;
	c->r8 = r.r8; c->r9 = r.r9; c->r10 = r.r10; c->r11 = r.r11;
	c->r12 = r.r12; c->r13 = r.r13; c->r14 = r.r14; c->r15 = r.r15;
	c->rip = r.rip;
	c->rflags = r.rflags;
	c->cr0 = s.cr0; c->cr2 = s.cr2; c->cr3 = s.cr3; c->cr4 = s.cr4;
	c->efer = s.efer;
	c->cs = s.cs.selector; c->ds = s.ds.selector; c->es = s.es.selector;
	c->fs = s.fs.selector; c->gs = s.gs.selector; c->ss = s.ss.selector;
	c->tr = s.tr.selector;
	return 0;
}

int
boot_kvm_set_cpu(struct boot_kvm *k, const struct boot_cpu *c, int to_guest,
    struct pv_err *e)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (to_guest) {
		if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0)
			return sys_fail(e, "KVM_GET_SREGS");
		guest_segments(k, &s);
		if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &s) < 0)
			return sys_fail(e, "KVM_SET_SREGS");
	}
	memset(&r, 0, sizeof(r));
	r.rax = c->rax; r.rbx = c->rbx; r.rcx = c->rcx; r.rdx = c->rdx;
	r.rsi = c->rsi; r.rdi = c->rdi; r.rbp = c->rbp; r.rsp = c->rsp;
	r.r8 = c->r8; r.r9 = c->r9; r.r10 = c->r10; r.r11 = c->r11;
	r.r12 = c->r12; r.r13 = c->r13; r.r14 = c->r14; r.r15 = c->r15;
	r.rip = c->rip;
	r.rflags = c->rflags | RFLAGS_FIXED;
	if (ioctl(k->vcpu_fd, KVM_SET_REGS, &r) < 0)
		return sys_fail(e, "KVM_SET_REGS");
	return 0;
}
