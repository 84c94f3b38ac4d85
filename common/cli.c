/* SPDX-License-Identifier: ISC */
/*
 * cli.c: main's helpers. These print, so they live apart from the rest of
 * common/, which only returns errors.
 */
#include <errno.h>
#include <unistd.h>
#include <string.h>

#include "cli.h"
#include "opt.h"

volatile sig_atomic_t cli_stop_signal;

static void
on_stop(int sig)
{
	cli_stop_signal = sig;
}

int
cli_catch_stop(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

/*
 * Every line a program prints on stderr goes through pv_escape (pv.h), by
 * pv_vmessage: one printable line of bounded length, whatever it quotes.
 */
void
cli_say(const char *prog, const char *fmt, ...)
{
	char msg[PV_MSG_SIZE];
	va_list ap;

	va_start(ap, fmt);
	pv_vmessage(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, msg);
}

/*
 * The record's message is escaped already; escaping is idempotent, so
 * doing it again costs nothing and covers a message filled some other way.
 * An empty message is a failure reported already (pv_fail_reported).
 */
int
cli_error(const char *prog, const struct pv_err *e)
{
	if (e->msg[0] != '\0')
		cli_say(prog, "%s", e->msg);
	return e->code != 0 ? e->code : PV_EXIT_SYSTEM;
}

int
cli_emit(const char *prog, struct plan *p, const char *member, json_t *value)
{
	struct pv_err e;

	if (plan_set(p, member, value, &e) < 0 || plan_write(p, stdout, &e) < 0)
		return cli_error(prog, &e);
	if (fclose(stdout) != 0) {
		cli_say(prog, "writing the plan: %s", strerror(errno));
		return PV_EXIT_SYSTEM;
	}
	return PV_EXIT_OK;
}

int
cli_plain_stage(int argc, char **argv, const char *prog, const char *synopsis,
    const char *about, cli_stage_fn fn)
{
	const struct opt_prog op = { prog, synopsis, about, NULL };
	json_t *member = NULL;
	char *value;
	struct pv_err e;
	struct plan p;
	int rc;

	if (opt_next(&op, argc, argv, &value, &rc) != 0 ||
	    (rc = opt_plan_operand(&op, argc - optind)) != PV_EXIT_OK)
		return rc;
	if (plan_read(argv[optind], prog, &p, &e) < 0 || fn(&p, &member, &e) < 0)
		rc = cli_error(prog, &e);
	else
		rc = cli_emit(prog, &p, prog, member);
	plan_free(&p);
	return rc;
}
