/* SPDX-License-Identifier: ISC */
/*
 * cli_cache.c: cli_cache (cli.h), in a file of its own: the programs that
 * do not read images (populate, pagetables) link cli.c and must not pull
 * in the cache and, with it, Nettle.
 */
#include <string.h>

#include "cli.h"

void
cli_cache(const char *prog, int off, int say, struct cache *c)
{
	struct pv_err e;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!off && cache_open(c, &e) < 0 && say)
		cli_say(prog, "%s", e.msg);
}
