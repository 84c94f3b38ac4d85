/*
 * prefetch.c: finalize --prefetch IMAGE (finalize.h), the kernel read on a
 * thread of its own while the plan comes down the pipe.
 */
#include <stdlib.h>

#include "finalize.h"

static void *
prefetch_run(void *arg)
{
	struct prefetch *pf = arg;

	pf->ok = img_load(pf->path, IMG_KERNEL, IMG_DEFAULT_CAP, pf->cache,
	    &pf->ref, &pf->data, &pf->err) == 0;
	return NULL;
}

void
prefetch_start(struct prefetch *pf)
{
	if (pf->path != NULL)
		pf->started = pthread_create(&pf->thread, NULL, prefetch_run,
		    pf) == 0;
}

uint8_t *
prefetch_take(struct prefetch *pf, const struct img_ref *want)
{
	uint8_t *data = NULL;

	if (!pf->started)
		return NULL;
	pthread_join(pf->thread, NULL);
	pf->started = 0;
	if (pf->ok && want != NULL && img_ref_same(want, &pf->ref)) {
		data = pf->data;
		pf->data = NULL;
	}
	img_free(pf->data);
	pf->data = NULL;
	if (pf->ok)
		img_ref_free(&pf->ref);
	return data;
}
