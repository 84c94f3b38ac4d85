/* SPDX-License-Identifier: ISC */
/*
 * x86.h: the piece of "hypervisor" bin/boot puts in an x86_64
 * domain, as Xen puts itself in every PV guest: page tables in the
 * machine's reserved frames, hooked into the hypervisor's slots of the
 * guest's top-level table (L4 slots 256..271, the hole 0xffff800000000000-
 * 0xffff880000000000 of <xen/arch-x86/xen-x86_64.h>), mapping a GDT laid
 * out as Xen's (so the domain's own selectors, FLAT_RING3_CS64 0xe033 and
 * FLAT_RING3_SS64 0xe02b, are what the vCPU runs on), an IDT, a TSS and
 * exception stubs with their stack.
 *
 * The guest kernel runs in ring 3, as a 64-bit PV kernel does under Xen;
 * its mappings are kept, except that, as Xen does when it pins a guest's
 * tables, every present entry gets the User bit. An exception lands in a
 * ring-0 stub that names the vector on BOOT_PORT_FAULT.
 */
#ifndef BOOT_X86_H
#define BOOT_X86_H

#include <stdint.h>

#include "domain.h"
#include "pv.h"

/* Boot's own selectors, where Xen has its own (ring 0). */
#define BOOT_X64_HV_CS	0xe008	/* 64-bit code: the stubs */
#define BOOT_X64_HV_DS	0xe010	/* flat data */
#define BOOT_X64_TR	0xe040	/* the TSS: IST1, I/O permission map */

/* The low reserved frames boot takes: from BOOT_HOLE_FIRST_FRAME on. */
#define BOOT_HOLE_FIRST_FRAME	1
#define BOOT_HOLE_FRAMES	9

/* What the vCPU's descriptor-table registers must hold. */
struct boot_hole {
	uint64_t gdt_va, idt_va, tss_va;
	uint16_t gdt_limit, idt_limit, tss_limit;
	unsigned l4_slot;		/* the slot of the guest's L4 used */
	uint64_t stack_frame;		/* machine frame of the stubs' stack */
};

/*
 * Build the hole into the domain's private memory: boot's frames in the
 * reserved ones and one entry of the top-level table at vcpu.cr3 (a copy:
 * the domain directory is never written), and set the User bit on every
 * present entry of the guest's tables reachable from cr3, outside the
 * hypervisor's slots (Xen's adjust_guest_l[1-4]e). Fails (PV_EXIT_SYSTEM)
 * when the machine reserves too few frames, or (PV_EXIT_INPUT) when cr3
 * names one of boot's frames.
 */
int boot_x64_hole_build(struct boot_domain *, struct boot_hole *,
    struct pv_err *);

/*
 * For the QEMU path (qemu.h, rom.h), after boot_x64_hole_build:
 * the firmware's handlers, data and parameter pages in the hole, a map of
 * the machine in L4 slot 257 (checked empty first), and boot's own L4 for
 * the switch to long mode. PV_EXIT_SYSTEM for a machine over 4 GiB.
 */
int boot_x64_hole_qemu(struct boot_domain *, const struct boot_hole *,
    struct pv_err *);

/* A segment as the vCPU holds it (Intel SDM vol. 3A, 3.4.5). */
struct boot_segment {
	uint16_t selector;
	uint8_t type, s, dpl, present, l, db, g;
};

/* The guest's segment registers, in the order they are checked. */
enum {
	BOOT_SEG_CS, BOOT_SEG_SS, BOOT_SEG_DS, BOOT_SEG_ES, BOOT_SEG_FS,
	BOOT_SEG_GS, BOOT_NR_SEGS
};

/*
 * The descriptors of boot's GDT that the vCPU's selectors (untrusted, from
 * domain.json) name, into seg[BOOT_SEG_*]: CS 64-bit code, SS data, DS,
 * ES, FS and GS data or the null selector; ring 3, RPL 3, as the domain
 * runs under Xen. Returns 0, or -1 with e set (PV_EXIT_INPUT, naming the
 * register).
 */
int boot_x64_segments(const struct boot_vcpu *, struct boot_segment *seg,
    struct pv_err *);

/*
 * The machine address the guest's tables give `va`, walked from cr3 as
 * the MMU does for a ring-3 access (Present and User at every level,
 * Writable too when `write`); 4 KiB pages only. Returns 0 or -1.
 */
int boot_x64_translate(const struct boot_domain *, uint64_t va, int write,
    uint64_t *maddr);

/* The vCPU's state, as boot prints it when a run fails. */
struct boot_cpu {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint16_t cs, ds, es, fs, gs, ss, tr;
};

/*
 * An exception the guest took, as the stub for `vector` left it on its
 * stack: where the guest was (rip, rsp, rflags, cs, ss), its error code for
 * the vectors that push one, and its rax (which the stub uses).
 */
struct boot_fault {
	unsigned vector;
	int has_error;
	uint64_t error, rip, cs, rflags, rsp, ss, rax;
};

void boot_x64_fault(const struct boot_domain *, const struct boot_hole *,
    unsigned vector, struct boot_fault *);

/*
 * Whether the CPU pushes an error code for `vector` (Intel SDM vol. 3A,
 * 6.15); the firmware's stubs (rom.S, HAS_ERROR) follow the same list.
 */
int boot_x86_has_error(unsigned vector);

/* "#PF", "#GP", ...: the mnemonic of an exception vector. */
const char *boot_x86_vector_name(unsigned vector);

#endif
