/* SPDX-License-Identifier: ISC */
/*
 * populate: plan the contents of every page of the bootstrap region: the
 * kernel's segments, the initrd, the phys-to-machine list, start_info,
 * shared_info and the initial vCPU context (common/derive_populate.c).
 */
#include "cli.h"
#include "derive.h"
#include "opt.h"

#define PROG "populate"
#define SYNOPSIS "populate [PLAN]"

int
main(int argc, char **argv)
{
	return cli_plain_stage(argc, argv, PROG, SYNOPSIS,
	    "Plans the contents of every page of the bootstrap region of the plan\n"
	    "(file PLAN or standard input).\n" OPT_ABOUT_PLAN, derive_populate);
}
