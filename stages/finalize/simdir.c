/* SPDX-License-Identifier: ISC */
/*
 * simdir.c: the sim's domain directory (sim.h). Everything is built in a
 * temporary directory beside DIR and renamed into place by commit, so a
 * failed or killed build never leaves a partial domain under the name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

static const char *const sim_files[] = {
	"machine.mem", "m2p.bin", "domain.json", "plan.json", "arrangement.txt",
};

/*
 * What the temporary beside NAME, ".NAME.pvbuild-PID-XXXXXX", adds to
 * NAME at the most: the dot, ".pvbuild-", a PID of up to 10 digits (pid_t
 * is an int) and "-XXXXXX".
 */
#define SIM_TMP_EXTRA (1 + 9 + 10 + 7)

int
sim_sys_fail(struct pv_err *e, const struct sim *s, const char *what)
{
	return pv_fail(e, PV_EXIT_SYSTEM, "sim: %s: %s: %s", s->out, what,
	    strerror(errno));
}

int
sim_dir_write_file(const struct sim *s, const char *name, const void *buf,
    size_t len, struct pv_err *e)
{
	char path[4096];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", s->tmp, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return sim_sys_fail(e, s, name);
	rc = pv_pwrite_all(fd, buf, len, 0);
	if (close(fd) < 0 || rc < 0)
		return sim_sys_fail(e, s, name);
	return 0;
}

/* A JSON file as the plans are written: sorted, indented, newline. */
int
sim_dir_write_json(const struct sim *s, const char *name, json_t *j,
    struct pv_err *e)
{
	size_t len;
	char *text;
	int rc;

	if (j == NULL || (text = json_dumps(j, JSON_INDENT(2) |
	    JSON_SORT_KEYS)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
	len = strlen(text);
	text[len] = '\n';	/* json_dumps leaves room for the NUL */
	rc = sim_dir_write_file(s, name, text, len + 1, e);
	free(text);
	return rc;
}

/* Remove a temporary domain directory and the files the sim puts in it. */
static void
remove_tmp(const char *dir)
{
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(sim_files) / sizeof(sim_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sim_files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* fsync DIR/NAME (NAME ".." syncs DIR's parent); -1 with errno. */
static int
sync_path(const char *dir, const char *name)
{
	char path[4096];
	int fd, rc, saved;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * With --sync, every file of the domain, then the temporary directory, on
 * disk before the rename: a domain that exists after a crash or power loss
 * is whole. Without it the rename alone makes the domain whole or absent
 * to anyone who looks while the system runs, the builder killed or not.
 */
static int
sync_tmp(struct sim *s, struct pv_err *e)
{
	size_t i;

	for (i = 0; i < sizeof(sim_files) / sizeof(sim_files[0]); i++)
		if (sync_path(s->tmp, sim_files[i]) < 0)
			return pv_fail(e, PV_EXIT_SYSTEM, "--out: %s: syncing "
			    "%s: %s", s->out, sim_files[i], strerror(errno));
	if (fsync(s->tmp_lock) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "--out: %s: syncing its "
		    "temporary directory: %s", s->out, strerror(errno));
	return 0;
}

int
sim_dir_place(struct sim *s, struct pv_err *e)
{
	if (s->sync && sync_tmp(s, e) < 0)
		return -1;
	/* The one step that makes the domain exist, and never over another. */
	if (renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->out, RENAME_NOREPLACE) < 0)
		return pv_fail(e, errno == EEXIST ? PV_EXIT_INPUT :
		    PV_EXIT_SYSTEM, "--out: %s: %s", s->out, strerror(errno));
	/*
	 * The rename itself, on disk (--sync); if that fails the build
	 * fails, and a failed build leaves nothing, so the domain goes again.
	 */
	if (s->sync && sync_path(s->out, "..") < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "--out: %s: syncing its directory: "
		    "%s", s->out, strerror(errno));
		if (rename(s->out, s->tmp) < 0)
			remove_tmp(s->out);
		return -1;
	}
	free(s->tmp);
	s->tmp = NULL;
	return 0;
}

void
sim_dir_remove(struct sim *s)
{
	if (s->tmp != NULL) {
		remove_tmp(s->tmp);
		free(s->tmp);
		s->tmp = NULL;
	}
	if (s->tmp_lock >= 0)
		close(s->tmp_lock);
	s->tmp_lock = -1;
}

/*
 * A build killed before its rename leaves its temporary directory,
 * ".NAME.pvbuild-PID-XXXXXX", beside NAME. A build under way holds an
 * exclusive flock on its temporary from just after creating it to its end,
 * and the lock goes with the process however it ends; so a temporary is
 * removed, under its lock, when nobody holds that lock and its PID names no
 * process here. The lock alone decides across PID namespaces (a live
 * build's PID may name nothing here); the PID covers the instant between a
 * build's mkdtemp and its flock. (A PID reused by an unrelated process only
 * delays the clean-up.)
 */
static void
remove_stale(const char *parent, const char *name)
{
	char prefix[512], path[4096];
	struct dirent *de;
	size_t plen;
	long pid;
	char *end;
	DIR *d;
	int fd;

	plen = (size_t)snprintf(prefix, sizeof(prefix), ".%s.pvbuild-", name);
	if (plen >= sizeof(prefix) || (d = opendir(parent)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		pid = strtol(de->d_name + plen, &end, 10);
		if (end == de->d_name + plen || *end != '-' || pid <= 0 ||
		    (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		/* A cut path would name another directory: leave it. */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", parent,
		    de->d_name) >= sizeof(path))
			continue;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			remove_tmp(path);
		close(fd);
	}
	closedir(d);
}

/*
 * Create this build's temporary beside the target and lock it (see
 * remove_stale). Another build's clean-up may take the new directory in the
 * instant before the lock, if our PID means nothing to it: then the
 * directory is gone once we hold the lock, and we make another.
 */
static int
make_tmp(struct sim *s, const char *parent, const char *name, char *path,
    size_t pathsz)
{
	struct stat st;
	int tries, saved;

	for (tries = 0; tries < 8; tries++) {
		snprintf(path, pathsz, "%s/.%s.pvbuild-%ld-XXXXXX", parent,
		    name, (long)getpid());
		if (mkdtemp(path) == NULL)
			return -1;
		s->tmp_lock = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (s->tmp_lock < 0 || flock(s->tmp_lock, LOCK_EX) < 0) {
			saved = errno;
			if (s->tmp_lock >= 0)
				close(s->tmp_lock);
			s->tmp_lock = -1;
			rmdir(path);
			errno = saved;
			if (saved == ENOENT)
				continue;
			return -1;
		}
		if (fstat(s->tmp_lock, &st) == 0 && st.st_nlink > 0)
			return 0;
		close(s->tmp_lock);
		s->tmp_lock = -1;
	}
	errno = EAGAIN;
	return -1;
}

/*
 * DIR's parent and last component as dirname and basename give them, in
 * two copies of DIR the caller frees; -1 out of memory.
 */
static int
split_out(const char *out, char **dcopy, char **bcopy, char **parent,
    char **name)
{
	*dcopy = strdup(out);
	*bcopy = strdup(out);
	if (*dcopy == NULL || *bcopy == NULL) {
		free(*dcopy);
		free(*bcopy);
		*dcopy = *bcopy = NULL;
		return -1;
	}
	*parent = dirname(*dcopy);
	*name = basename(*bcopy);
	return 0;
}

int
hv_sim_check_out(const char *out, struct pv_err *e)
{
	const size_t room = NAME_MAX - SIM_TMP_EXTRA;
	char *dcopy, *bcopy, *parent, *name;
	size_t longest = 0, need, i;
	int rc = 0;

	if (split_out(out, &dcopy, &bcopy, &parent, &name) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
	for (i = 0; i < sizeof(sim_files) / sizeof(sim_files[0]); i++)
		if (strlen(sim_files[i]) > longest)
			longest = strlen(sim_files[i]);
	need = strlen(parent) + 1 + SIM_TMP_EXTRA + strlen(name) + 1 + longest;
	if (strlen(name) > room)
		rc = pv_fail(e, PV_EXIT_INPUT, "--out: %s: its last component "
		    "is %zu bytes, more than the %zu that leave room for the "
		    "temporary directory beside it (NAME_MAX %d)", out,
		    strlen(name), room, NAME_MAX);
	else if (need >= PATH_MAX)
		rc = pv_fail(e, PV_EXIT_INPUT, "--out: %s: %zu bytes, too long "
		    "for the paths of the files in the temporary directory "
		    "beside it (PATH_MAX %d)", out, strlen(out), PATH_MAX);
	free(dcopy);
	free(bcopy);
	return rc;
}

int
sim_dir_create(struct sim *s, const char *out, struct pv_err *e)
{
	char *dcopy = NULL, *bcopy = NULL, *parent, *name;
	char path[4096];
	int rc = -1;

	if ((s->out = strdup(out)) == NULL ||
	    split_out(out, &dcopy, &bcopy, &parent, &name) < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
		goto done;
	}
	s->hv.where = s->out;
	remove_stale(parent, name);
	if (make_tmp(s, parent, name, path, sizeof(path)) < 0) {
		pv_fail(e, errno == ENOENT ? PV_EXIT_INPUT : PV_EXIT_SYSTEM,
		    "--out: %s: cannot create a directory beside it: %s", out,
		    strerror(errno));
		goto done;
	}
	/* mkdtemp makes it 0700, and so it stays: the domain directory and
	 * its files (0600) hold guest memory, its owner's alone. */
	if ((s->tmp = strdup(path)) == NULL) {
		rmdir(path);
		close(s->tmp_lock);
		s->tmp_lock = -1;
		pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
		goto done;
	}
	rc = 0;
done:
	free(dcopy);
	free(bcopy);
	return rc;
}

struct sim *
sim_new(const char *out, int sync, struct pv_err *e)
{
	struct stat st;
	struct sim *s;

	if (hv_sim_check_out(out, e) < 0)
		return NULL;
	if (lstat(out, &st) == 0) {
		pv_fail(e, PV_EXIT_INPUT, "--out: %s already exists", out);
		return NULL;
	}
	if (errno != ENOENT) {
		pv_fail(e, PV_EXIT_SYSTEM, "--out: %s: %s", out,
		    strerror(errno));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
		return NULL;
	}
	s->mem_fd = -1;
	s->tmp_lock = -1;
	s->m2p_fd = -1;
	s->sync = sync;
	return s;
}

int
sim_dir_create_mem(struct sim *s, const char *out, struct pv_err *e)
{
	char path[4096];

	if (sim_dir_create(s, out, e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/machine.mem", s->tmp);
	s->mem_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->mem_fd < 0 || ftruncate(s->mem_fd,
	    (off_t)(s->frames << PV_PAGE_SHIFT)) < 0)
		return sim_sys_fail(e, s, "machine.mem");
	return 0;
}
