/* SPDX-License-Identifier: ISC */
/*
 * run.c: the rule both of boot's paths follow for the guest's exceptions
 * (run.h).
 */
#include "run.h"

/*
 * The guest gets back what ports.h promises for BOOT_CALL_TRAPS: vectors
 * 0 to 31 but #DF (8) and #MC (18), so NMI (2) too, as a PV guest's trap
 * table under Xen has a vector-2 entry (tests/guests/x64-xen.h registers
 * one). Not one taken at the handler's own first instruction, which would
 * only be taken again, nor any once MAX_BOUNCES have gone. The reasons
 * not to come in the order main names them: boot's own code first, then
 * the loop, then a guest that registered no handler.
 */
enum boot_trap
boot_trap(unsigned vector, uint64_t cs, uint64_t rip, uint64_t handler,
    unsigned long bounces)
{
	if ((cs & 3) == 0)
		return BOOT_TRAP_OWN;
	if (bounces >= MAX_BOUNCES)
		return BOOT_TRAP_LOOP;
	if (handler == 0)
		return BOOT_TRAP_NO_HANDLER;
	if (vector >= 32 || vector == 8 || vector == 18 || rip == handler)
		return BOOT_TRAP_KEPT;
	return BOOT_TRAP_BOUNCE;
}
