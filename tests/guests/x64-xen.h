/* SPDX-License-Identifier: ISC */
/*
 * x64-xen.h: the x86_64 test guest on the real hypervisor (x64-xen.elf,
 * x64-guest.c built with X64_ON_XEN). Included by x64-check.h in place of
 * boot's ports: the same checks run, and what they asked of bin/boot is
 * asked of Xen through the hypercall page the builder had Xen fill.
 *
 * - The console is the domain's console ring (start_info's console.domU),
 *   which xenconsoled reads when the guest signals its event channel.
 * - BOOT_CALL_TRAPS installs a trap table (set_trap_table) whose entries
 *   turn Xen's exception frame into the handler's registers, as boot does.
 * - BOOT_CALL_FRAME maps the machine frame read-only at a window page
 *   (update_va_mapping), copies it and maps the window's own frame back.
 * - The run ends with SCHEDOP_shutdown: poweroff on PASS, crash on FAIL.
 *
 * Structures and numbers are Xen's public headers'; the frame Xen builds
 * for an exception (rcx, r11, [error code], rip, cs, rflags, rsp, ss from
 * the top), the error code's user bit cleared for a fault in guest kernel
 * mode and CR2 read back through the privileged-instruction emulation are
 * Xen's documented x86_64 PV behaviour.
 */
#ifndef X64_XEN_H
#define X64_XEN_H

#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/io/console.h>

extern u8 hypercall_page[];

/*
 * A hypercall through its 32-byte stub: arguments in rdi, rsi, rdx; the
 * result in rax. A debug Xen scrambles the argument registers a call does
 * not use, so all of them are outputs here.
 */
static inline long
xen_hypercall(unsigned nr, u64 a, u64 b, u64 c)
{
	register u64 rdi __asm__("rdi") = a;
	register u64 rsi __asm__("rsi") = b;
	register u64 rdx __asm__("rdx") = c;
	register u64 r10 __asm__("r10") = 0;
	register u64 r8 __asm__("r8") = 0;
	long r;

	__asm__ volatile("call *%[stub]"
	    : "=a"(r), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
	    : [stub] "r"(hypercall_page + 32 * nr)
	    : "rcx", "r11", "r9", "memory");
	return r;
}

/*
 * What the guest knows of its start_info before the checks read it: in
 * .data, since the first check reads .bss as the builder left it.
 */
#define XEN_DATA	__attribute__((section(".data")))
static const start_info_t *xen_si XEN_DATA;
static struct xencons_interface *xen_cons XEN_DATA;
static u32 xen_cons_port XEN_DATA;

static void
xen_notify(void)
{
	struct evtchn_send send = { .port = xen_cons_port };

	xen_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send,
	    (u64)&send, 0);
}

/*
 * The console ring is a page of the bootstrap region: the one whose p2m
 * entry is start_info's console mfn, at VIRT_BASE plus its pfn. Without
 * it there is no console and nothing to report on.
 */
static void
console_start(const void *start_info)
{
	const u64 *p2m;
	u64 pfn;

	xen_si = start_info;
	p2m = (const u64 *)xen_si->mfn_list;
	xen_cons_port = xen_si->console.domU.evtchn;
	for (pfn = 0; pfn < xen_si->nr_pages; pfn++)
		if (p2m[pfn] == xen_si->console.domU.mfn) {
			xen_cons = (struct xencons_interface *)
			    (X64_VIRT_BASE + pfn * 4096);
			return;
		}
}

/* Each byte into the ring's output half; a full ring waits for the reader. */
static void
emit_console(char c)
{
	struct xencons_interface *r = xen_cons;

	if (r == 0)
		return;
	while (r->out_prod - *(volatile XENCONS_RING_IDX *)&r->out_cons >=
	    sizeof(r->out)) {
		xen_notify();
		xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
	}
	r->out[MASK_XENCONS_IDX(r->out_prod, r->out)] = c;
	__asm__ volatile("" : : : "memory");	/* the byte, then the index */
	r->out_prod++;
	if (c == '\n')
		xen_notify();
}

/*
 * The exception stubs: one per vector, each loading the vector and
 * jumping to the common part for vectors with or without an error code,
 * which takes the error code, rip and the interrupted rsp from Xen's
 * frame (and CR2 for a page fault) and resumes x64_trap on the
 * interrupted stack, with the registers boot would give it.
 */
#define XEN_TRAP_VECTORS	20	/* 0 to 19; 8, 10-14 and 17 push an error code */
void	x64_trap(void);
extern const u64 xen_trap_stubs[XEN_TRAP_VECTORS];

__asm__(
"	.text\n"
"	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19\n"
"xen_trap_\\v:\n"
"	movq	$\\v, %rdi\n"
"	.if	(1 << \\v) & ((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 17))\n"
"	jmp	xen_trap_error\n"
"	.else\n"
"	jmp	xen_trap_plain\n"
"	.endif\n"
"	.endr\n"
"xen_trap_error:\n"
"	movq	16(%rsp), %rsi\n"
"	movq	24(%rsp), %rcx\n"
"	movq	48(%rsp), %rax\n"
"	jmp	xen_trap_resume\n"
"xen_trap_plain:\n"
"	xorl	%esi, %esi\n"
"	movq	16(%rsp), %rcx\n"
"	movq	40(%rsp), %rax\n"
"xen_trap_resume:\n"
"	xorl	%edx, %edx\n"
"	cmpq	$14, %rdi\n"
"	jne	1f\n"
"	movq	%cr2, %rdx\n"
"1:	movq	%rax, %rsp\n"
"	jmp	x64_trap\n"
"	.section .rodata\n"
"	.balign	8\n"
"xen_trap_stubs:\n"
"	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19\n"
"	.quad	xen_trap_\\v\n"
"	.endr\n"
"	.text\n"
);

/* Page-table entry bits (Intel SDM vol. 3A, 4.5). */
#define XEN_PTE_PRESENT	0x001ULL
#define XEN_PTE_RW	0x002ULL
#define XEN_PTE_ADDR	0x000ffffffffff000ULL

/* The page BOOT_CALL_FRAME maps a machine frame at, for a moment. */
static u8 xen_window[4096] __attribute__((aligned(4096)));

static long
xen_set_traps(void)
{
	static trap_info_t table[XEN_TRAP_VECTORS + 1];
	unsigned v;

	for (v = 0; v < XEN_TRAP_VECTORS; v++) {
		table[v].vector = (u8)v;
		table[v].flags = 0;
		table[v].cs = FLAT_KERNEL_CS;
		table[v].address = xen_trap_stubs[v];
	}
	/* The table ends at an entry whose address is 0. */
	return xen_hypercall(__HYPERVISOR_set_trap_table, (u64)table, 0, 0);
}

/* The machine frame mfn's bytes copied to dst, through the window. */
static long
xen_copy_frame(u64 mfn, u64 dst)
{
	const u64 *p2m = (const u64 *)xen_si->mfn_list;
	u64 own = p2m[((u64)xen_window - X64_VIRT_BASE) / 4096];
	unsigned slot = ((u64)xen_window >> 12) & 511;
	long r, back;
	unsigned i;

	r = xen_hypercall(__HYPERVISOR_update_va_mapping, (u64)xen_window,
	    mfn << 12 | XEN_PTE_PRESENT, UVMF_INVLPG);
	if (r == 0)
		for (i = 0; i < 4096 / 8; i++)
			((volatile u64 *)dst)[i] =
			    ((const volatile u64 *)xen_window)[i];
	back = xen_hypercall(__HYPERVISOR_update_va_mapping, (u64)xen_window,
	    own << 12 | XEN_PTE_PRESENT | XEN_PTE_RW, UVMF_INVLPG);
	/*
	 * The copy of the L1 table that maps the window was taken while the
	 * window mapped that very table, read-only: its entry for the window
	 * says so. The entry is the guest's own doing, not the builder's
	 * (the first copy replaced what the builder wrote), so it is given
	 * the value just written back. Only an entry naming the copied frame
	 * itself, present and read-only, is taken for it.
	 */
	if (r == 0 && (((volatile u64 *)dst)[slot] & XEN_PTE_ADDR) ==
	    mfn << 12 &&
	    (((volatile u64 *)dst)[slot] & (XEN_PTE_PRESENT | XEN_PTE_RW)) ==
	    XEN_PTE_PRESENT)
		((volatile u64 *)dst)[slot] =
		    (((volatile u64 *)dst)[slot] & ~XEN_PTE_ADDR) | own << 12 |
		    XEN_PTE_RW;
	return r != 0 ? r : back;
}

/* boot's calls (boot/ports.h), answered by Xen. */
static inline long
boot_call(u8 nr, unsigned long a, unsigned long b)
{
	if (nr == BOOT_CALL_TRAPS)
		return xen_set_traps();
	if (nr == BOOT_CALL_FRAME)
		return xen_copy_frame(a, b);
	return -1;
}

/*
 * The verdict: once xenconsoled has taken the whole report (a bounded
 * wait), the domain shuts down, powered off on PASS, crashed on FAIL.
 */
static void __attribute__((noreturn))
end_run(u8 verdict)
{
	struct sched_shutdown down = {
		.reason = verdict == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash,
	};
	unsigned spins;

	if (xen_cons != 0) {
		xen_notify();
		for (spins = 0; spins < 100000 && xen_cons->out_prod !=
		    *(volatile XENCONS_RING_IDX *)&xen_cons->out_cons; spins++)
			xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0,
			    0);
	}
	for (;;)
		xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown,
		    (u64)&down, 0);
}

#endif
