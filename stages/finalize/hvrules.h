/* SPDX-License-Identifier: ISC */
/*
 * hvrules.h: what a hypervisor enforces on a PV guest's initial state.
 *
 * A plan is untrusted (hand-edited, passed between machines) and finalize
 * runs as root, so before it builds anything it refuses what no stage
 * writes and what Xen 4.17 would refuse or quietly change in a PV domU:
 * the vCPU's flags and selectors (arch_set_info_guest), start_info's flags,
 * and the page tables as Xen's MMU validates them (the disallow masks, the
 * hypervisor's own slots, one reference per table). The sim backend then
 * builds only what the xen backend could, and boot runs only that.
 */
#ifndef HVRULES_H
#define HVRULES_H

#include "plan.h"

/*
 * Check a plan holding every member up to pagetables. Returns 0, or -1
 * with `e` naming the field (exit code PV_EXIT_INPUT).
 */
int hvrules_check(const struct plan *, struct pv_err *);

#endif
