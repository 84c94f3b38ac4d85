/* SPDX-License-Identifier: ISC */
/*
 * xen_wait.c: the end of a xen domain (xenbe.h): destroyed whole, with
 * its xenstore nodes, after a failed build or, with --wait, once the
 * guest has shut down, as xl's default on_poweroff=destroy does. xl's
 * daemon also restarts a guest that reboots and keeps a crashed one on
 * request; pvbuild has no daemon: --wait is its one policy, and the exit
 * code says how the guest ended.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenbe.h"

#define WAIT_TOKEN "pvbuild-wait"

/* The domain destroyed and every node written for it removed. */
void
xen_destroy(struct xen *x)
{
	/* xenstored forgets an introduced domain when it dies. */
	xc_domain_destroy(x->xch, x->domid);
	xen_remove_nodes(x->xsh, x->domid, x->uuid);
}

/* Xen's shutdown codes (<xen/sched.h>, SHUTDOWN_*) by name. */
static const char *
reason_name(unsigned int reason)
{
	static const char *const names[] = {
		[SHUTDOWN_poweroff] = "poweroff",
		[SHUTDOWN_reboot] = "reboot",
		[SHUTDOWN_suspend] = "suspend",
		[SHUTDOWN_crash] = "crash",
		[SHUTDOWN_watchdog] = "watchdog",
		[SHUTDOWN_soft_reset] = "soft_reset",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason] != NULL)
		return names[reason];
	return "unknown";
}

enum dom_state { DOM_RUNNING, DOM_SHUTDOWN, DOM_GONE };

/*
 * Is our domain still running? A domid no longer there, dying, or taken
 * by another domain (another handle) is gone: someone destroyed it.
 */
static enum dom_state
dom_state(struct xen *x, unsigned int *reason)
{
	xc_dominfo_t info;

	if (xc_domain_getinfo(x->xch, x->domid, 1, &info) != 1 ||
	    info.domid != x->domid || info.dying ||
	    memcmp(info.handle, x->handle, sizeof(x->handle)) != 0)
		return DOM_GONE;
	if (!info.shutdown)
		return DOM_RUNNING;
	*reason = info.shutdown_reason;
	return DOM_SHUTDOWN;
}

/*
 * After commit, with --wait: the domain's line is flushed to stdout, then
 * this waits, without polling, on xenstored's @releaseDomain watch (it
 * fires when any domain shuts down or dies; the first event comes at once
 * and is harmless) and asks Xen each time whether ours is one of them.
 * The wait blocks in libxenstore's xs_read_watch (the library finalize
 * links reads its socket itself, with no thread to wake a poll, and
 * retries a read a signal interrupted): the stop signals get their
 * default action back first, so that one ends finalize and leaves the
 * domain running. Once the domain has shut down it is destroyed with its
 * nodes and the reason is printed. Returns 0 after a poweroff; otherwise
 * fails with exit code XEN_WAIT_EXIT + Xen's shutdown code, or
 * XEN_WAIT_EXIT_GONE when someone else destroyed the domain.
 */
int
xen_wait(struct hv *hv, struct pv_err *e)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM };
	struct xen *x = (struct xen *)hv;
	unsigned int reason = 0, n;
	enum dom_state st;
	char **ev;
	size_t i;

	if (fflush(stdout) != 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "standard output: %s",
		    strerror(errno));
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	if (x->stop != NULL && *x->stop)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: interrupted before the "
		    "wait; domain %u (%s) keeps running", x->domid, x->name);
	if (!xs_watch(x->xsh, "@releaseDomain", WAIT_TOKEN))
		return xen_fail(e, x, "watching @releaseDomain");
	while ((st = dom_state(x, &reason)) == DOM_RUNNING) {
		if ((ev = xs_read_watch(x->xsh, &n)) == NULL)
			return xen_fail(e, x, "waiting for the domain");
		free(ev);
	}
	xs_unwatch(x->xsh, "@releaseDomain", WAIT_TOKEN);
	if (st == DOM_GONE) {
		xen_remove_nodes(x->xsh, x->domid, x->uuid);
		return pv_fail(e, XEN_WAIT_EXIT_GONE, "xen: domain %u (%s) was "
		    "destroyed before it shut down", x->domid, x->name);
	}
	xen_destroy(x);
	if (reason != SHUTDOWN_poweroff)
		return pv_fail(e, XEN_WAIT_EXIT + (int)(reason & 0x3f), "xen: "
		    "domain %u (%s) shut down: %s; destroyed", x->domid,
		    x->name, reason_name(reason));
	if (printf("shutdown: %s\n", reason_name(reason)) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "standard output: %s",
		    strerror(errno));
	return 0;
}
