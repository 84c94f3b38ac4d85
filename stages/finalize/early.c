/* SPDX-License-Identifier: ISC */
/*
 * early.c: the xen domain made while the plan comes (finalize.h). In a
 * cold build the plan comes after elfinfo has decompressed the kernel,
 * seconds under emulation; the domain's creation, its memory and its
 * xenstore nodes need only the request the command line already gives,
 * so they are made meanwhile, and the build that follows the plan has
 * only to load it.
 */
#include <signal.h>
#include <string.h>

#include "finalize.h"

static void *
early_run(void *arg)
{
	struct early *ea = arg;

	pv_thread_background();

	if (hv_xen_open_early(ea->opt, &ea->req, &ea->hv, &ea->err) < 0)
		ea->hv = NULL;
	return NULL;
}

void
early_start(struct early *ea, const struct hv_xen_options *opt)
{
	sigset_t stop, old;

	ea->hv = NULL;
	if (!ea->wanted)
		return;
	ea->opt = opt;
	/*
	 * The signals that stop a build are the main thread's, so that one
	 * interrupts its wait for the plan; the thread sees them through
	 * opt->stop between its steps.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	ea->started = pthread_create(&ea->thread, NULL, early_run, ea) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void
early_join(struct early *ea)
{
	if (ea->started)
		pthread_join(ea->thread, NULL);
	ea->started = 0;
}

struct hv *
early_take(struct early *ea, const struct plan *p)
{
	struct hv *hv;

	early_join(ea);
	hv = ea->hv;
	ea->hv = NULL;
	if (hv != NULL && !hv_xen_fits(hv, ea->opt, p)) {
		hv->ops->close(hv);
		hv = NULL;
	}
	return hv;
}

void
early_end(struct early *ea)
{
	early_join(ea);
	if (ea->hv != NULL)
		ea->hv->ops->close(ea->hv);
	ea->hv = NULL;
}
