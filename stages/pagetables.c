/* SPDX-License-Identifier: ISC */
/*
 * pagetables: plan the initial page tables (common/derive_pagetables.c).
 */
#include "cli.h"
#include "derive.h"
#include "opt.h"

#define PROG "pagetables"
#define SYNOPSIS "pagetables [PLAN]"

int
main(int argc, char **argv)
{
	return cli_plain_stage(argc, argv, PROG, SYNOPSIS,
	    "Plans the initial page tables of the plan (file PLAN or standard "
	    "input).\n" OPT_ABOUT_PLAN, derive_pagetables);
}
