/*
 * run.c: starting the stages and waiting for them, as a shell runs a
 * pipeline, without a shell: posix_spawn (a vfork and an exec each, no
 * copy of pvbuild) and one wait for all. pvbuild installs no signal
 * handler: SIGCHLD, SIGINT, SIGTERM and SIGHUP are blocked and taken with
 * sigwaitinfo, so a stop is passed on to the stages whenever it comes and
 * the stages start with the mask and dispositions pvbuild was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvbuild.h"

extern char **environ;

#define RUN_MAX_STAGES 8

static sigset_t waited;		/* the signals taken with sigwaitinfo */
static sigset_t original;	/* the mask pvbuild started with */

int
run_block_signals(struct pv_err *e)
{
	struct sigaction sa;

	/*
	 * SIGCHLD must not be ignored, or the stages would be reaped before
	 * pvbuild learns how they ended.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&waited);
	sigaddset(&waited, SIGCHLD);
	sigaddset(&waited, SIGINT);
	sigaddset(&waited, SIGTERM);
	sigaddset(&waited, SIGHUP);
	if (sigaction(SIGCHLD, &sa, NULL) < 0 ||
	    sigprocmask(SIG_BLOCK, &waited, &original) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "signals: %s",
		    strerror(errno));
	return 0;
}

void
run_die_by(int sig)
{
	struct sigaction sa;
	sigset_t one;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	_exit(128 + sig);
}

/*
 * The stages waited for: their pids (0 once reaped) and how each ended,
 * as a shell reports it (the exit code, or 128 + the signal).
 */
struct waiting {
	pid_t pid[RUN_MAX_STAGES];
	int status[RUN_MAX_STAGES];
	int n, live;
};

/*
 * Wait until every stage in `w` has ended, passing a stop signal that
 * pvbuild gets on to those still running; the first such signal goes to
 * *stop.
 */
static void
wait_all(struct waiting *w, int *stop)
{
	siginfo_t si;
	pid_t pid;
	int i, ws, sig;

	while (w->live > 0) {
		sig = sigwaitinfo(&waited, &si);
		if (sig < 0)
			continue;	/* EINTR: a signal not waited for */
		if (sig != SIGCHLD) {
			if (*stop == 0)
				*stop = sig;
			for (i = 0; i < w->n; i++)
				if (w->pid[i] > 0)
					kill(w->pid[i], sig);
			continue;
		}
		/* One SIGCHLD may stand for several stages that ended. */
		while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
			for (i = 0; i < w->n && w->pid[i] != pid; i++)
				;
			if (i == w->n)
				continue;
			w->pid[i] = 0;
			w->live--;
			w->status[i] = WIFEXITED(ws) ? WEXITSTATUS(ws) :
			    128 + WTERMSIG(ws);
		}
	}
}

/*
 * The leftmost stage that failed decides pvbuild's exit code, since the
 * failures after it follow from it. A stage killed by SIGPIPE failed only
 * because one after it stopped reading, which is the failure to report.
 */
static int
first_failure(const struct waiting *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->status[i] != 0 && w->status[i] != 128 + SIGPIPE)
			return w->status[i];
	for (i = 0; i < w->n; i++)
		if (w->status[i] != 0)
			return w->status[i];
	return 0;
}

/* dir/name into buf; -1 with `e` when it does not fit. */
static int
stage_path(char *buf, const char *dir, const char *name, struct pv_err *e)
{
	int len = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	if (len < 0 || len >= PATH_MAX)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: the stages' directory "
		    "name is too long", dir);
	return 0;
}

/*
 * Start one stage with `fa`'s redirections and pvbuild's own mask;
 * its pid into *pid.
 */
static int
spawn_stage(const char *dir, struct run_stage *s,
    posix_spawn_file_actions_t *fa, pid_t *pid, struct pv_err *e)
{
	char path[PATH_MAX];
	posix_spawnattr_t at;
	int err;

	if (stage_path(path, dir, s->argv[0], e) < 0)
		return -1;
	if ((err = posix_spawnattr_init(&at)) != 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", path, strerror(err));
	err = posix_spawnattr_setsigmask(&at, &original);
	if (err == 0)
		err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	if (err == 0)
		err = posix_spawn(pid, path, fa, &at, s->argv, environ);
	posix_spawnattr_destroy(&at);
	if (err != 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", path, strerror(err));
	return 0;
}

/*
 * Every stage is there to be run before any starts: a stage missing from
 * the middle of a pipe would leave the others to fail on a broken pipe,
 * each with a message of its own.
 */
static int
check_stages(const char *dir, struct run_stage *s, int n, struct pv_err *e)
{
	char path[PATH_MAX];
	int i;

	if (n < 1 || n > RUN_MAX_STAGES)
		return pv_fail(e, PV_EXIT_SYSTEM, "%d stages to run", n);
	for (i = 0; i < n; i++) {
		if (stage_path(path, dir, s[i].argv[0], e) < 0)
			return -1;
		if (access(path, X_OK) < 0)
			return pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", path,
			    strerror(errno));
	}
	return 0;
}

int
run_pipe(const char *dir, struct run_stage *s, int n, struct run_result *r,
    struct pv_err *e)
{
	posix_spawn_file_actions_t fa;
	struct waiting w;
	int fd[2], in = -1, i, err, rc = 0;

	memset(&w, 0, sizeof(w));
	r->status = r->stop = 0;
	if (check_stages(dir, s, n, e) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		fd[0] = fd[1] = -1;
		/* Close-on-exec: each stage keeps only its own two ends. */
		if (i + 1 < n && pipe2(fd, O_CLOEXEC) < 0) {
			rc = pv_fail(e, PV_EXIT_SYSTEM, "pipe: %s",
			    strerror(errno));
			break;
		}
		if ((err = posix_spawn_file_actions_init(&fa)) != 0)
			rc = pv_fail(e, PV_EXIT_SYSTEM, "spawn: %s",
			    strerror(err));
		else {
			if (in >= 0)
				err = posix_spawn_file_actions_adddup2(&fa, in, 0);
			if (err == 0 && fd[1] >= 0)
				err = posix_spawn_file_actions_adddup2(&fa,
				    fd[1], 1);
			if (err != 0)
				rc = pv_fail(e, PV_EXIT_SYSTEM, "spawn: %s",
				    strerror(err));
			else if (spawn_stage(dir, &s[i], &fa, &w.pid[i], e) == 0)
				w.n = ++w.live;
			else
				rc = -1;
			posix_spawn_file_actions_destroy(&fa);
		}
		if (in >= 0)
			close(in);
		if (fd[1] >= 0)
			close(fd[1]);
		in = fd[0];
	}
	if (in >= 0)
		close(in);
	wait_all(&w, &r->stop);
	r->status = first_failure(&w);
	return rc;
}

int
run_chain(const char *dir, struct run_stage *s, int n, struct run_result *r,
    struct pv_err *e)
{
	posix_spawn_file_actions_t fa;
	struct waiting w;
	int i, err;

	r->status = r->stop = 0;
	if (check_stages(dir, s, n, e) < 0)
		return -1;
	for (i = 0; i < n && r->status == 0 && r->stop == 0; i++) {
		memset(&w, 0, sizeof(w));
		if ((err = posix_spawn_file_actions_init(&fa)) != 0)
			return pv_fail(e, PV_EXIT_SYSTEM, "spawn: %s",
			    strerror(err));
		err = s[i].out == NULL ? 0 : posix_spawn_file_actions_addopen(
		    &fa, 1, s[i].out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (err != 0) {
			posix_spawn_file_actions_destroy(&fa);
			return pv_fail(e, PV_EXIT_SYSTEM, "spawn: %s",
			    strerror(err));
		}
		err = spawn_stage(dir, &s[i], &fa, &w.pid[0], e);
		posix_spawn_file_actions_destroy(&fa);
		if (err < 0)
			return -1;
		w.n = w.live = 1;
		wait_all(&w, &r->stop);
		r->status = w.status[0];
	}
	return 0;
}

static int
remove_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0 &&
	    errno != ENOENT)
		return errno;
	return 0;
}

int
run_remove_tree(const char *path, struct pv_err *e)
{
	int err;

	err = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	if (err < 0 && errno == ENOENT)
		return 0;
	if (err != 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "removing %s: %s", path,
		    strerror(err > 0 ? err : errno));
	return 0;
}
