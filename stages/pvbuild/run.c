/* SPDX-License-Identifier: ISC */
/*
 * run.c: starting the stages and waiting for them, as a shell runs a
 * pipeline, without a shell: a vfork and an exec each (no copy of
 * pvbuild) and one wait for all. pvbuild installs no signal
 * handler: SIGCHLD, SIGINT, SIGTERM and SIGHUP are blocked and read from
 * a signalfd, so a stop is passed on to the stages whenever it comes and
 * the stages start with the mask and dispositions pvbuild was given.
 *
 * In a pipe, a stage after one that failed reads an empty plan and would
 * say so; its words add nothing to the first error and bury it. So the
 * stages after the first write their stderr to pvbuild, which holds it
 * until all have ended and then passes on what the stages up to the
 * first that failed said (all of it when none failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvbuild.h"

extern char **environ;

#define RUN_MAX_STAGES 8

static sigset_t waited;		/* the signals taken with sigwaitinfo */
static sigset_t original;	/* the mask pvbuild started with */
static int sigfd = -1;		/* where the waited signals are read */

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
	    sigprocmask(SIG_BLOCK, &waited, &original) < 0 ||
	    (sigfd = signalfd(-1, &waited, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
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
 * What a stage says on stderr, held. More than this is not held back but
 * passed on as it comes: a stage that says so much is no echo of another.
 */
#define HELD_MAX 65536

struct held {
	int fd;			/* the read end of its stderr, or -1 */
	int spilt;		/* said more than HELD_MAX: passed on */
	size_t len;
	char text[HELD_MAX];
};

/*
 * The stages waited for: their pids (0 once reaped), how each ended, as a
 * shell reports it (the exit code, or 128 + the signal), and what each
 * says when it is held.
 */
struct waiting {
	pid_t pid[RUN_MAX_STAGES];
	int status[RUN_MAX_STAGES];
	struct held *err[RUN_MAX_STAGES];
	int n, live;
};

static void
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0 && ((w = write(fd, p, len)) > 0 || errno == EINTR))
		if (w > 0) {
			p += w;
			len -= (size_t)w;
		}
}

/* Read what a stage said into its hold; at the end, close its end. */
static void
take_stderr(struct held *h)
{
	char buf[4096];
	ssize_t r = read(h->fd, buf, sizeof(buf));

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		close(h->fd);
		h->fd = -1;
		return;
	}
	if (!h->spilt && h->len + (size_t)r <= HELD_MAX) {
		memcpy(h->text + h->len, buf, (size_t)r);
		h->len += (size_t)r;
		return;
	}
	if (!h->spilt)
		write_all(2, h->text, h->len);
	h->spilt = 1;
	write_all(2, buf, (size_t)r);
}

/* Reap the stages that ended; one SIGCHLD may stand for several. */
static void
reap(struct waiting *w)
{
	pid_t pid;
	int i, ws;

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

/*
 * Wait until every stage in `w` has ended and said all it says, passing
 * a stop signal that pvbuild gets on to those still running; the first
 * such signal goes to *stop.
 */
static void
wait_all(struct waiting *w, int *stop)
{
	struct pollfd pf[RUN_MAX_STAGES + 1];
	struct held *polled[RUN_MAX_STAGES + 1];
	struct signalfd_siginfo si;
	int i, n;

	for (;;) {
		pf[0] = (struct pollfd){ sigfd, POLLIN, 0 };
		for (i = 0, n = 1; i < w->n; i++)
			if (w->err[i] != NULL && w->err[i]->fd >= 0) {
				polled[n] = w->err[i];
				pf[n++] = (struct pollfd){ w->err[i]->fd,
				    POLLIN, 0 };
			}
		if (w->live == 0 && n == 1)
			return;
		if (poll(pf, (nfds_t)n, -1) < 0)
			continue;	/* EINTR: a signal not waited for */
		for (i = 1; i < n; i++)
			if (pf[i].revents != 0)
				take_stderr(polled[i]);
		while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				continue;
			if (*stop == 0)
				*stop = (int)si.ssi_signo;
			for (i = 0; i < w->n; i++)
				if (w->pid[i] > 0)
					kill(w->pid[i], (int)si.ssi_signo);
		}
		reap(w);
	}
}

/*
 * The leftmost stage that failed decides pvbuild's exit code, since the
 * failures after it follow from it. A stage killed by SIGPIPE failed only
 * because one after it stopped reading, which is the failure to report.
 * Returns its index, or w->n when none failed.
 */
static int
first_failure(const struct waiting *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->status[i] != 0 && w->status[i] != 128 + SIGPIPE)
			return i;
	for (i = 0; i < w->n; i++)
		if (w->status[i] != 0)
			return i;
	return w->n;
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
 * A stage's standard streams: the descriptors to put at 0, 1 and 2 (-1:
 * pvbuild's own), or for 1 the file to create (run_chain's --keep).
 */
struct redir {
	int fd[3];
	const char *out_path;
};

/*
 * In the child: `fd` made descriptor `to`, open across the exec (dup2 of
 * a descriptor onto itself would leave it close-on-exec).
 */
static int
child_move(int fd, int to)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, to) < 0 ? -1 : 0;
}

/*
 * Start one stage with `r`'s redirections and pvbuild's own mask; its
 * pid into *pid. A vfork and an exec, as posix_spawn does, but without
 * its reset of all 64 signal dispositions in the child (some 120 system
 * calls before each exec, while pvbuild waits): pvbuild installs no
 * handler (it reads its signals from a signalfd), so the child has none
 * to reset, and blocks only the signals that the mask set back here
 * unblocks. The child touches nothing of pvbuild's memory but `child_err`,
 * where a failed redirection or exec leaves its errno.
 */
static int
spawn_stage(const char *dir, struct run_stage *s, const struct redir *r,
    pid_t *pid, struct pv_err *e)
{
	char path[PATH_MAX];
	volatile int child_err = 0;
	pid_t p;
	int i, fd;

	if (stage_path(path, dir, s->argv[0], e) < 0)
		return -1;
	p = vfork();
	if (p == 0) {
		for (i = 0; i < 3; i++)
			if (r->fd[i] >= 0 && child_move(r->fd[i], i) < 0)
				goto fail;
		if (r->out_path != NULL) {
			fd = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC,
			    0666);
			if (fd < 0 || child_move(fd, 1) < 0)
				goto fail;
			if (fd != 1)
				close(fd);
		}
		if (sigprocmask(SIG_SETMASK, &original, NULL) < 0)
			goto fail;
		execve(path, s->argv, environ);
fail:
		child_err = errno != 0 ? errno : EINVAL;
		_exit(127);
	}
	if (p < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", path,
		    strerror(errno));
	if (child_err != 0) {
		/* The child has ended: reap it here, not as a stage. */
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", path,
		    strerror(child_err));
	}
	*pid = p;
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

/*
 * Start stage i of a pipe: stdin from `in` (none for the first), stdout
 * to `out` (none for the last), stderr to `err` when it is held.
 */
static int
spawn_piped(const char *dir, struct run_stage *s, int in, int out, int err,
    pid_t *pid, struct pv_err *e)
{
	const struct redir r = { { in, out, err }, NULL };

	return spawn_stage(dir, s, &r, pid, e);
}

int
run_pipe(const char *dir, struct run_stage *s, int n, struct run_result *r,
    struct pv_err *e)
{
	static struct held held[RUN_MAX_STAGES];
	struct waiting w;
	int fd[2], err[2], in = -1, i, culprit, rc = 0;

	memset(&w, 0, sizeof(w));
	r->status = r->stop = 0;
	if (check_stages(dir, s, n, e) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		fd[0] = fd[1] = err[0] = err[1] = -1;
		/* Close-on-exec: each stage keeps only its own ends. */
		if ((i + 1 < n && pipe2(fd, O_CLOEXEC) < 0) ||
		    (i > 0 && pipe2(err, O_CLOEXEC | O_NONBLOCK) < 0))
			rc = pv_fail(e, PV_EXIT_SYSTEM, "pipe: %s",
			    strerror(errno));
		else if (spawn_piped(dir, &s[i], in, fd[1], err[1], &w.pid[i],
		    e) == 0)
			w.n = ++w.live;
		else
			rc = -1;
		if (err[0] >= 0) {
			/* The write end is the stage's, not pvbuild's. */
			if (rc == 0) {
				held[i].fd = err[0];
				held[i].len = 0;
				held[i].spilt = 0;
				w.err[i] = &held[i];
			} else
				close(err[0]);
			close(err[1]);
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
	culprit = first_failure(&w);
	r->status = culprit < w.n ? w.status[culprit] : 0;
	for (i = 0; i < w.n && i <= culprit; i++)
		if (w.err[i] != NULL && !w.err[i]->spilt)
			write_all(2, w.err[i]->text, w.err[i]->len);
	return rc;
}

int
run_chain(const char *dir, struct run_stage *s, int n, struct run_result *r,
    struct pv_err *e)
{
	struct waiting w;
	struct redir rd;
	int i;

	r->status = r->stop = 0;
	if (check_stages(dir, s, n, e) < 0)
		return -1;
	for (i = 0; i < n && r->status == 0 && r->stop == 0; i++) {
		memset(&w, 0, sizeof(w));
		rd = (struct redir){ { -1, -1, -1 }, s[i].out };
		if (spawn_stage(dir, &s[i], &rd, &w.pid[0], e) < 0)
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

/*
 * One word for a POSIX shell: as it is when it holds nothing the shell
 * treats apart, else in single quotes; a byte that is not printable ASCII
 * (the words can come from an untrusted xl.cfg) is written as bash's
 * $'\xHH', so that none reaches the terminal as it is.
 */
static void
print_word(const char *w, FILE *fp)
{
	const unsigned char *p;
	int quoted = 0;

	if (*w != '\0' && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789_@%+=:,./-") == strlen(w)) {
		fputs(w, fp);
		return;
	}
	if (*w == '\0')
		fputs("''", fp);
	for (p = (const unsigned char *)w; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f) {
			if (!quoted)
				fputc('\'', fp);
			quoted = 1;
			fputs(*p == '\'' ? "'\\''" : (char[]){ (char)*p, 0 },
			    fp);
			continue;
		}
		if (quoted)
			fputc('\'', fp);
		quoted = 0;
		fprintf(fp, "$'\\x%02x'", *p);
	}
	if (quoted)
		fputc('\'', fp);
}

int
run_print(struct run_stage *s, int n, FILE *fp)
{
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < RUN_MAX_ARGS && s[i].argv[j] != NULL; j++) {
			if (j > 0)
				fputc(' ', fp);
			print_word(s[i].argv[j], fp);
		}
		if (s[i].out != NULL) {
			fputs(" >", fp);
			print_word(s[i].out, fp);
		}
		fputc('\n', fp);
	}
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -1;
}
