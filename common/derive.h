/* SPDX-License-Identifier: ISC */
/*
 * derive.h: what the populate and pagetables stages plan from the members
 * before theirs. The stages write it; finalize derives it again, so that
 * it builds only what they would have planned (README, "Trust").
 */
#ifndef DERIVE_H
#define DERIVE_H

#include "plan.h"

/*
 * The populate (or pagetables) member for `plan`, whose earlier members
 * were read and checked by plan_read. Returns 0 with *member set (the
 * caller owns it), or -1 with `e` set.
 */
int derive_populate(const struct plan *, json_t **member, struct pv_err *);
int derive_pagetables(const struct plan *, json_t **member, struct pv_err *);

#endif
