/* SPDX-License-Identifier: ISC */
/*
 * domain.c: read a sim domain's domain.json and map its machine.mem
 * (README, "The sim backend") for bin/boot.
 *
 * domain.json is untrusted here as a plan is to a stage: a damaged domain
 * is a test case. Only the members boot uses are read, each checked for
 * type and range; the rest (the event channels, the m2p, the trap table)
 * are the sim's record and boot has no use for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "domain.h"
#include "json.h"

static int
read_vcpu(json_t *root, struct boot_vcpu *v, struct pv_err *e)
{
	static const struct {
		const char *key;
		size_t off;
	} regs[] = {
#define REG(name) { #name, offsetof(struct boot_vcpu, name) }
		REG(cr3), REG(ip), REG(sp), REG(si), REG(flags),
		REG(ax), REG(bx), REG(cx), REG(dx), REG(di), REG(bp),
		REG(cs), REG(ds), REG(es), REG(fs), REG(gs), REG(ss),
#undef REG
	};
	json_t *vcpu;
	size_t i;

	if (pj_get(root, "domain.json: domain", "vcpu", JSON_OBJECT, &vcpu,
	    e) < 0)
		return -1;
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (pj_get_hex(vcpu, "domain.json: vcpu", regs[i].key,
		    (uint64_t *)((char *)v + regs[i].off), e) < 0)
			return -1;
	return 0;
}

/*
 * Open a file of the domain directory: a regular file in it, never what a
 * symbolic link there leads to, and without blocking (a FIFO put there
 * would wait for a writer forever). The directory is the caller's choice;
 * what lies in it may not be.
 */
static int
open_in_domain(const char *path, struct pv_err *e)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY)) < 0)
		return pv_fail(e, errno == ENOENT || errno == ELOOP ?
		    PV_EXIT_INPUT : PV_EXIT_SYSTEM, "%s: %s", path,
		    errno == ELOOP ? "a symbolic link, not the domain's file" :
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pv_fail(e, PV_EXIT_INPUT, "%s: not a regular file",
		    path);
	}
	return fd;
}

/*
 * machine.frames, .page_size and .file, which names the machine file: a
 * plain name inside DIR, never a path that leaves it.
 */
static int
read_machine(json_t *machine, struct boot_domain *d, char *file,
    size_t filesz, struct pv_err *e)
{
	const char *s;
	uint64_t page;

	if (pj_get_uint(machine, "domain.json: machine", "frames", &d->frames,
	    e) < 0 ||
	    pj_get_uint(machine, "domain.json: machine", "page_size", &page,
	    e) < 0 ||
	    pj_get_str(machine, "domain.json: machine", "file", &s, e) < 0)
		return -1;
	if (*s == '\0' || strchr(s, '/') != NULL || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0 || strlen(s) >= filesz)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: machine.file "
		    "\"%s\" is not a file name in the domain directory", s);
	strcpy(file, s);
	if (page != PV_PAGE_SIZE)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: machine.page_size "
		    "%llu is not 4096", (unsigned long long)page);
	return 0;
}

/*
 * A PVH domain: its machine is its guest-physical memory (frame g at byte
 * g * 4096, no frames of the hypervisor's), below 4 GiB (pvh.h).
 */
static int
read_pvh(json_t *root, struct boot_domain *d, char *file, size_t filesz,
    struct pv_err *e)
{
	json_t *machine;

	d->is_pvh = 1;
	if (pj_get(root, "domain.json: domain", "machine", JSON_OBJECT,
	    &machine, e) < 0 || read_machine(machine, d, file, filesz, e) < 0)
		return -1;
	if (d->frames == 0 || d->frames > BOOT_PVH_MAX_FRAMES)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: machine.frames "
		    "%llu is not in 1..%u (4 GiB)", (unsigned long long)d->frames,
		    BOOT_PVH_MAX_FRAMES);
	return boot_pvh_read(root, d->frames, &d->pvh, e);
}

/*
 * The members are read with the plan's strict getters (json.h), their
 * object named "domain.json: machine" and so on, so that a message names
 * the file and the member, as boot's always have.
 */
static int
read_json(const char *dir, struct boot_domain *d, char *file, size_t filesz,
    struct pv_err *e)
{
	json_t *root, *machine;
	char path[PATH_MAX];
	json_error_t je;
	const char *s;
	int rc = -1, fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/domain.json", dir) >=
	    sizeof(path))
		return pv_fail(e, PV_EXIT_INPUT, "%s: path too long", dir);
	if ((fd = open_in_domain(path, e)) < 0)
		return -1;
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
	close(fd);
	if (root == NULL)
		return pv_fail(e, PV_EXIT_INPUT, "%s:%d:%d: %s", path,
		    je.line, je.column, je.text);
	if (!json_is_object(root)) {
		pv_fail(e, PV_EXIT_INPUT, "%s: not a JSON object", path);
		goto out;
	}
	if (pj_get_str(root, "domain.json: domain", "abi", &s, e) < 0)
		goto out;
	if (strcmp(s, "pvh") == 0) {
		rc = read_pvh(root, d, file, filesz, e);
		goto out;
	}
	if ((d->abi = abi_by_name(s)) == NULL) {
		pv_fail(e, PV_EXIT_INPUT, "domain.json: abi \"%s\" is not one "
		    "pvbuild builds", s);
		goto out;
	}
	/* A type boot has no row for would reach no path that runs it. */
	if ((d->paging = boot_paging(d->abi))->mode == 0) {
		pv_fail(e, PV_EXIT_INPUT, "domain.json: abi \"%s\" is not one "
		    "boot runs", s);
		goto out;
	}
	if (pj_get(root, "domain.json: domain", "machine", JSON_OBJECT,
	    &machine, e) < 0 ||
	    read_machine(machine, d, file, filesz, e) < 0 ||
	    pj_get_uint(machine, "domain.json: machine", "reserved_frames",
	    &d->reserved_frames, e) < 0 ||
	    read_vcpu(root, &d->vcpu, e) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/*
 * A PV domain's machine: frame numbers that fit the paging mode and whose
 * bytes (*size) fit a size_t, the hypervisor's frames below the rest, and
 * cr3 a frame of the machine.
 */
static int
check_pv_machine(const struct boot_domain *d, uint64_t *size,
    struct pv_err *e)
{
	if (d->frames == 0 || d->frames >> d->abi->mfn_bits != 0 ||
	    pv_mul(d->frames, PV_PAGE_SIZE, size) < 0 || *size > SIZE_MAX)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: machine.frames "
		    "%llu is out of range", (unsigned long long)d->frames);
	if (d->reserved_frames >= d->frames)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: machine."
		    "reserved_frames %llu is not below frames %llu",
		    (unsigned long long)d->reserved_frames,
		    (unsigned long long)d->frames);
	if ((d->vcpu.cr3 & (PV_PAGE_SIZE - 1)) != 0 ||
	    d->vcpu.cr3 >> PV_PAGE_SHIFT >= d->frames)
		return pv_fail(e, PV_EXIT_INPUT, "domain.json: vcpu.cr3 0x%llx "
		    "is not a frame of the machine (%llu frames)",
		    (unsigned long long)d->vcpu.cr3,
		    (unsigned long long)d->frames);
	return 0;
}

int
boot_domain_open(const char *dir, struct boot_domain *d, struct pv_err *e)
{
	char file[NAME_MAX + 1], path[PATH_MAX];
	uint64_t size;
	struct stat st;
	void *mem;
	int fd;

	memset(d, 0, sizeof(*d));
	d->mem_fd = -1;
	if (read_json(dir, d, file, sizeof(file), e) < 0)
		return -1;
	size = d->frames * PV_PAGE_SIZE;	/* read_pvh capped frames */
	if (!d->is_pvh && check_pv_machine(d, &size, e) < 0)
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path))
		return pv_fail(e, PV_EXIT_INPUT, "%s: path too long", dir);
	if ((fd = open_in_domain(path, e)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < size) {
		pv_fail(e, PV_EXIT_INPUT, "%s: %llu bytes, not the %llu frames "
		    "domain.json names", path, (unsigned long long)st.st_size,
		    (unsigned long long)d->frames);
		close(fd);
		return -1;
	}
	/*
	 * Private and writable: boot adds its own frames in the reserved
	 * ones and the guest writes its memory, and none of it reaches the
	 * file. MAP_NORESERVE: only the pages touched are ever copied.
	 */
	mem = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (mem == MAP_FAILED) {
		pv_fail(e, PV_EXIT_SYSTEM, "%s: mmap of %llu bytes: %s",
		    path, (unsigned long long)size, strerror(errno));
		close(fd);
		return -1;
	}
	d->mem = mem;
	d->mem_size = (size_t)size;
	/* Kept: the QEMU path copies only the file's data (SEEK_DATA). */
	d->mem_fd = fd;
	return 0;
}

void
boot_domain_close(struct boot_domain *d)
{
	if (d->mem != NULL)
		munmap(d->mem, d->mem_size);
	d->mem = NULL;
	if (d->mem_fd >= 0)
		close(d->mem_fd);
	d->mem_fd = -1;
}
