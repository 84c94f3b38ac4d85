/* SPDX-License-Identifier: ISC */
/*
 * ports.h: the I/O ports through which a guest run by bin/boot talks
 * to it. Plain #defines, so the freestanding test guests include this very
 * file and the two sides cannot drift apart.
 *
 * Under KVM each `out` to one of these ports is an I/O exit that boot
 * handles; an x86_64 guest runs in ring 3, as under Xen, and boot's TSS
 * lets it reach exactly the console, verdict and call ports. Under QEMU
 * (rom.h) the TSS lets the guest reach only the console, QEMU's debug
 * console (0xE9, as Bochs'); its `out %al, $imm8` to the verdict or call
 * port faults into boot's handlers in the hole, which do what boot does
 * under KVM and write the verdict to an isa-debug-exit device at
 * BOOT_PORT_VERDICT. So the guest writes these ports with `out %al, $imm8`
 * only: the handlers recognise that instruction.
 */
#ifndef BOOT_PORTS_H
#define BOOT_PORTS_H

/* Each byte written here goes to boot's standard output. */
#define BOOT_PORT_CONSOLE	0xE9

/*
 * The guest's verdict: the byte written here ends the run and is boot's
 * exit status (0 pass, anything else the guest's failure).
 */
#define BOOT_PORT_VERDICT	0xF4

/*
 * Written by boot's own exception stubs in the hypervisor's hole, never by
 * the guest: the vector of an exception the guest took (KVM; under QEMU
 * the handlers record it in their data page instead, rom.h).
 */
#define BOOT_PORT_FAULT		0xF5

/*
 * A call on boot, the stand-in hypervisor: `out %al, $BOOT_PORT_CALL` with
 * the call number in %al and its arguments in %rdi, %rsi; the result comes
 * back in %rax (0 done, -1 refused) and every other register is kept.
 */
#define BOOT_PORT_CALL		0xF6

/*
 * %rdi: the guest's exception handler (0: none). An exception the guest
 * takes (vectors 0-31, not #DF or #MC) then resumes at the handler, on the
 * stack, flags and registers it had, with %rdi = vector, %rsi = error code
 * (0 when there is none), %rdx = the faulting address (CR2, for #PF) and
 * %rcx = the interrupted instruction's address. Without a handler, an
 * exception ends the run.
 */
#define BOOT_CALL_TRAPS		1

/*
 * %rdi: a machine frame number, %rsi: a page-aligned guest virtual address
 * mapped present, user and writable. Copies the machine frame's 4096 bytes
 * there: what a PV guest would map with mmu_update, to read a frame it
 * does not map (its own page tables, an initrd passed by pfn).
 */
#define BOOT_CALL_FRAME		2

#endif
