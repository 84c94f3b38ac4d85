/* SPDX-License-Identifier: ISC */
/*
 * qemu.c: the QEMU path (qemu.h): the machine and the firmware handed to
 * QEMU, its console relayed, and the end read from its exit status and
 * the handlers' record. The hole is qemu_hole.c's.
 *
 * QEMU's side: docs/system/invocation (memory-backend-file, -bios,
 * isa-debugcon, isa-debug-exit: "exits with (value << 1) | 1").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ports.h"
#include "qemu.h"
#include "rom.h"

/* The firmware, built from rom.S and linked in (rom_blob.S). */
extern const unsigned char boot_rom_image[], boot_rom_image_end[];

/*
 * What QEMU is given: the machine's RAM, the firmware and a file for its
 * complaints, each a memfd, which QEMU opens as /proc/self/fd/N. Nothing
 * is on a file system, so a boot killed by any signal leaves no file,
 * and its emulator dies with it (PR_SET_PDEATHSIG, in child()).
 */
struct qfiles {
	int mem, rom, err;
};

static void
qfiles_close(struct qfiles *q)
{
	if (q->mem >= 0)
		close(q->mem);
	if (q->rom >= 0)
		close(q->rom);
	if (q->err >= 0)
		close(q->err);
	q->mem = q->rom = q->err = -1;
}

static int
zero_page(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	size_t i;

	for (i = 0; i < PV_PAGE_SIZE / 8; i++)
		if (w[i] != 0)
			return 0;
	return 1;
}

/*
 * Copy machine.mem's data extents in [start, size) to fd, each at its
 * offset less `base`.
 */
static int
copy_data(const struct boot_domain *d, int fd, off_t start, off_t size,
    off_t base)
{
	off_t end;

	if (size > (off_t)d->mem_size)
		size = (off_t)d->mem_size;

	while (start < size) {
		start = lseek(d->mem_fd, start, SEEK_DATA);
		if (start < 0)
			return errno == ENXIO ? 0 : -1;
		if (start >= size)
			return 0;
		if ((end = lseek(d->mem_fd, start, SEEK_HOLE)) < 0)
			return -1;
		if (end > size)
			end = size;
		start &= ~(off_t)(PV_PAGE_SIZE - 1);
		if (pv_pwrite_all(fd, d->mem + start, (size_t)(end - start),
		    start - base) < 0)
			return -1;
		start = end;
	}
	return 0;
}

/*
 * The machine as QEMU's RAM: m->ram_size bytes (on shmem, as QEMU's
 * first write to each page of a disk file would allocate a block) with
 * the domain's non-zero frames, and the ROM: the firmware at its top and
 * the machine's data below it.
 */
static int
write_files(const struct boot_domain *d, struct qfiles *q,
    const struct boot_qemu_machine *m, struct pv_err *e)
{
	const uint64_t rom_base = BOOT_QEMU_4G - m->rom_size;
	uint64_t f, size = m->ram_size;

	if ((q->mem = memfd_create("pvboot-machine", MFD_CLOEXEC)) < 0 ||
	    (q->rom = memfd_create("pvboot-rom", MFD_CLOEXEC)) < 0 ||
	    (q->err = memfd_create("pvboot-qemu-err", MFD_CLOEXEC)) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "memfd_create: %s",
		    strerror(errno));
	if (ftruncate(q->mem, (off_t)size) < 0)
		goto fail;
	/* The hypervisor's frames, where boot's own are. */
	for (f = 0; f < d->reserved_frames; f++)
		if (!zero_page(d->mem + f * PV_PAGE_SIZE) &&
		    pv_pwrite_all(q->mem, d->mem + f * PV_PAGE_SIZE, PV_PAGE_SIZE,
		    (off_t)(f * PV_PAGE_SIZE)) < 0)
			goto fail;
	/*
	 * The domain's: only where machine.mem has data (a sparse file of
	 * mostly holes), from the private mapping, which holds boot's
	 * changes to the domain's tables. Reading the holes would cost a
	 * page each.
	 */
	if (copy_data(d, q->mem, (off_t)(d->reserved_frames * PV_PAGE_SIZE),
	    (off_t)size, 0) < 0)
		goto fail;
	if (ftruncate(q->rom, (off_t)m->rom_size) < 0 ||
	    copy_data(d, q->rom, (off_t)rom_base, (off_t)(BOOT_QEMU_4G -
	    m->fw_size), (off_t)rom_base) < 0 ||
	    pv_pwrite_all(q->rom, m->fw, m->fw_size, (off_t)(m->rom_size -
	    m->fw_size)) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "the firmware's memfd: %s",
		    strerror(errno));
	return 0;
fail:
	return pv_fail(e, PV_EXIT_SYSTEM, "the machine's memfd (%llu MiB): %s",
	    (unsigned long long)(size >> 20), strerror(errno));
}

/*
 * QEMU's first line of complaint, for an error message: not a warning,
 * which it gives and runs on.
 */
static void
first_error_line(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);
	char *line = buf, *next;

	buf[n > 0 ? n : 0] = '\0';
	for (; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		if (strstr(line, "warning: ") == NULL)
			break;
	}
	memmove(buf, line, strlen(line) + 1);
}

/*
 * The child: QEMU's stdin /dev/null, stdout the console pipe, stderr the
 * err memfd, the machine and firmware memfds kept open across the exec
 * (QEMU opens them by /proc/self/fd); killed with boot
 * (PR_SET_PDEATHSIG), so that a boot killed by a signal it cannot catch
 * leaves no emulator running. Why it could not exec goes back as an
 * errno on status_fd, which the exec closes.
 */
static void __attribute__((noreturn))
child(char **argv, int out_fd, const struct qfiles *q, int status_fd,
    pid_t parent)
{
	int fd, err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	if (getppid() != parent)
		_exit(127);
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0 ||
	    dup2(out_fd, 1) < 0 || dup2(q->err, 2) < 0 ||
	    fcntl(q->mem, F_SETFD, 0) < 0 || fcntl(q->rom, F_SETFD, 0) < 0)
		goto fail;
	execvp(argv[0], argv);
fail:
	err = errno;
	if (write(status_fd, &err, sizeof(err)) < 0)
		_exit(126);
	_exit(127);
}

static int
spawn(const struct boot_domain *d, const struct qfiles *q, uint64_t size,
    int out_fd, pid_t *pid, struct pv_err *e)
{
	char *log = getenv(BOOT_QEMU_LOG_ENV);
	char mib[32], backend[256], rom[128], smp[96];
	char cpus[BOOT_PVH_MAX_VCPUS][64];
	char *argv[40 + 2 * BOOT_PVH_MAX_VCPUS];
	uint64_t i;
	int argc = 0, status[2], err = 0;
	pid_t parent;
	ssize_t n;

	snprintf(mib, sizeof(mib), "%lluM", (unsigned long long)(size >> 20));
	snprintf(backend, sizeof(backend), "memory-backend-file,id=ram,"
	    "size=%s,mem-path=/proc/self/fd/%d,share=on", mib, q->mem);
	snprintf(rom, sizeof(rom), "/proc/self/fd/%d", q->rom);
#define ARG(s) (argv[argc++] = (char *)(s))
	ARG(BOOT_QEMU_PROGRAM);
	ARG("-nographic"); ARG("-nodefaults"); ARG("-no-reboot");
	ARG("-display"); ARG("none");
	/*
	 * A PVH domain's vCPUs are two threads a core (below), which QEMU
	 * warns an AMD family 6 CPU, qemu64's own, cannot have.
	 */
	ARG("-accel"); ARG("tcg"); ARG("-cpu");
	ARG(d->is_pvh ? "qemu64,vendor=GenuineIntel" : "qemu64");
	ARG("-machine"); ARG("pc,memory-backend=ram");
	ARG("-m"); ARG(mib); ARG("-object"); ARG(backend);
	ARG("-bios"); ARG(rom);
	ARG("-chardev"); ARG("stdio,id=console,signal=off");
	/*
	 * A PVH domain's console is the PC's COM1, which Linux takes
	 * (console=ttyS0) and the test guest writes; it may have several
	 * vCPUs. A PV domain's is the debug port, on one vCPU.
	 */
	if (d->is_pvh) {
		/*
		 * Xen numbers vCPU i's local APIC 2 * i, and so does the
		 * domain's MADT: here, vCPU i is thread 0 of core i, two
		 * threads a core, the first started with the machine, the
		 * rest added as devices, so that each has that APIC ID.
		 */
		snprintf(smp, sizeof(smp), "1,sockets=1,cores=%llu,threads=2,"
		    "maxcpus=%llu", (unsigned long long)d->pvh.vcpus,
		    (unsigned long long)d->pvh.vcpus * 2);
		ARG("-smp"); ARG(smp);
		for (i = 1; i < d->pvh.vcpus; i++) {
			snprintf(cpus[i], sizeof(cpus[i]), "qemu64-x86_64-cpu,"
			    "socket-id=0,core-id=%llu,thread-id=0",
			    (unsigned long long)i);
			ARG("-device"); ARG(cpus[i]);
		}
		ARG("-serial"); ARG("chardev:console");
	} else {
		ARG("-device"); ARG("isa-debugcon,iobase=0xe9,chardev=console");
	}
	ARG("-device"); ARG("isa-debug-exit,iobase=0xf4,iosize=1");
	/* For whoever debugs the firmware: QEMU's log of every exception. */
	if (log != NULL && *log != '\0') {
		ARG("-d"); ARG("int,cpu_reset"); ARG("-D"); ARG(log);
	}
	argv[argc] = NULL;
#undef ARG
	if (pipe2(status, O_CLOEXEC) < 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "pipe: %s", strerror(errno));
	parent = getpid();
	if ((*pid = fork()) < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "fork: %s", strerror(errno));
		close(status[0]);
		close(status[1]);
		return -1;
	}
	if (*pid == 0)
		child(argv, out_fd, q, status[1], parent);
	close(status[1]);
	while ((n = read(status[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(status[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(*pid, NULL, 0);
		*pid = -1;
		return pv_fail(e, PV_EXIT_SYSTEM, "%s: %s%s", BOOT_QEMU_PROGRAM,
		    strerror(err), err == ENOENT ? " (Debian package "
		    "qemu-system-x86)" : "");
	}
	return 0;
}

/* The handlers' record, from the machine QEMU shared. */
static int
read_record(const struct qfiles *q, uint8_t *page, struct pv_err *e)
{
	if (pread(q->mem, page, PV_PAGE_SIZE, (off_t)(QF_DATA * PV_PAGE_SIZE)) !=
	    (ssize_t)PV_PAGE_SIZE)
		return pv_fail(e, PV_EXIT_SYSTEM, "the machine's memfd: short "
		    "read");
	return 0;
}

static void
fault_from_record(const uint8_t *rec, struct boot_result *r)
{
	struct boot_fault *f = &r->fault;
	struct boot_cpu *c = &r->cpu;

	memset(f, 0, sizeof(*f));
	f->vector = (unsigned)pv_get64(rec + DATA_VALUE) & 0xff;
	f->has_error = boot_x86_has_error(f->vector);
	f->error = pv_get64(rec + DATA_ERROR);
	f->rip = pv_get64(rec + DATA_IP);
	f->cs = pv_get64(rec + DATA_CS);
	f->rflags = pv_get64(rec + DATA_FLAGS);
	f->rsp = pv_get64(rec + DATA_SP);
	f->ss = pv_get64(rec + DATA_SS);
	f->rax = pv_get64(rec + DATA_AX);
	memset(c, 0, sizeof(*c));
	c->rip = f->rip;
	c->rsp = f->rsp;
	c->rflags = f->rflags;
	c->rax = f->rax;
	c->rbx = pv_get64(rec + DATA_BX);
	c->rcx = pv_get64(rec + DATA_CX);
	c->rdx = pv_get64(rec + DATA_DX);
	c->rsi = pv_get64(rec + DATA_SI);
	c->rdi = pv_get64(rec + DATA_DI);
	c->rbp = pv_get64(rec + DATA_BP);
	c->cr0 = pv_get64(rec + DATA_CR0);
	c->cr2 = pv_get64(rec + DATA_CR2);
	c->cr3 = pv_get64(rec + DATA_CR3);
	c->cr4 = pv_get64(rec + DATA_CR4);
	c->efer = pv_get64(rec + DATA_EFER);
	c->ds = (uint16_t)pv_get64(rec + DATA_DS);
	c->es = (uint16_t)pv_get64(rec + DATA_ES);
	c->fs = (uint16_t)pv_get64(rec + DATA_FS);
	c->gs = (uint16_t)pv_get64(rec + DATA_GS);
	c->tr = (uint16_t)pv_get64(rec + DATA_TR);
	c->cs = (uint16_t)f->cs;
	c->ss = (uint16_t)f->ss;
	r->end = BOOT_END_FAULT;
	r->has_cpu = 1;
	r->handler = pv_get64(rec + DATA_HANDLER);
	r->bounces = (unsigned long)pv_get64(rec + DATA_BOUNCES);
}

/* How relay() ended: QEMU exited, or boot is to kill it. */
enum relayed { QEMU_EXITED, QEMU_TIMEOUT, QEMU_STOP };

/*
 * Relay QEMU's console until it closes it (QEMU exited), the timeout or
 * *stop. Returns 0 with *ended, or -1 with e set when the console cannot
 * be read.
 */
static int
relay(int fd, double deadline, void (*console)(const uint8_t *, size_t),
    volatile sig_atomic_t *stop, enum relayed *ended, struct pv_err *e)
{
	uint8_t buf[4096];
	struct pollfd p;
	double left;
	ssize_t n;
	int rc;

	*ended = QEMU_EXITED;
	for (;;) {
		if (*stop) {
			*ended = QEMU_STOP;
			return 0;
		}
		left = deadline - pv_now();
		if (left <= 0) {
			*ended = QEMU_TIMEOUT;
			return 0;
		}
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return pv_fail(e, PV_EXIT_SYSTEM, "poll: %s",
			    strerror(errno));
		}
		if (rc == 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return pv_fail(e, PV_EXIT_SYSTEM, "reading QEMU's "
			    "console: %s", strerror(errno));
		}
		if (n == 0)
			return 0;
		console(buf, (size_t)n);
	}
}

/* The run ended without a verdict: why, for main to show. */
static int stopped(struct boot_result *, enum boot_end, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
stopped(struct boot_result *r, enum boot_end end, const char *fmt, ...)
{
	va_list ap;

	r->end = end;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * How a PVH domain's run ended. Its guest writes the verdict port itself
 * (the isa-debug-exit device: QEMU exits (verdict << 1) | 1), as nothing
 * of boot's runs beside it to keep a record; QEMU's own failures, which
 * exit 1 too, are told from a verdict of 0 by what QEMU said on stderr.
 */
static int
ended_pvh(int status, const char *line, struct boot_result *r,
    struct pv_err *e)
{
	if (WIFEXITED(status) && (WEXITSTATUS(status) & 1) && line[0] == '\0') {
		r->end = BOOT_END_VERDICT;
		r->verdict = (unsigned)WEXITSTATUS(status) >> 1;
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && line[0] == '\0')
		return stopped(r, BOOT_END_STOPPED, "the guest reset or shut "
		    "down (a triple fault?) without a verdict, after %.3f s",
		    r->seconds);
	if (WIFEXITED(status))
		return pv_fail(e, PV_EXIT_SYSTEM, "%s exited %d without a "
		    "verdict%s%s", BOOT_QEMU_PROGRAM, WEXITSTATUS(status),
		    line[0] ? ": " : "", line);
	return pv_fail(e, PV_EXIT_SYSTEM, "%s was killed by signal %d%s%s",
	    BOOT_QEMU_PROGRAM, WTERMSIG(status), line[0] ? ": " : "", line);
}

/*
 * How QEMU's run ended, from its exit status and the handlers' record: a
 * verdict only when both agree, so that QEMU's own failures never read as
 * one.
 */
static int
ended(const struct boot_domain *d, const struct qfiles *q, int status,
    struct boot_result *r, struct pv_err *e)
{
	uint8_t rec[PV_PAGE_SIZE];
	char line[200];
	uint32_t magic;

	first_error_line(q->err, line, sizeof(line));
	if (d->is_pvh)
		return ended_pvh(status, line, r, e);
	if (read_record(q, rec, e) < 0)
		return -1;
	magic = (uint32_t)pv_get64(rec + DATA_MAGIC);
	if (WIFEXITED(status) && (WEXITSTATUS(status) & 1) &&
	    magic == DATA_VERDICT &&
	    (unsigned)WEXITSTATUS(status) >> 1 == (pv_get64(rec + DATA_VALUE) & 0xff)) {
		r->end = BOOT_END_VERDICT;
		r->verdict = (unsigned)WEXITSTATUS(status) >> 1;
		return 0;
	}
	if (WIFEXITED(status) && (WEXITSTATUS(status) & 1) &&
	    magic == DATA_FAULT) {
		fault_from_record(rec, r);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && magic == 0)
		return stopped(r, BOOT_END_STOPPED, "the guest shut down (a "
		    "triple fault) without a verdict, after %.3f s", r->seconds);
	if (WIFEXITED(status))
		return pv_fail(e, PV_EXIT_SYSTEM, "%s exited %d without a verdict "
		    "from boot's handlers%s%s", BOOT_QEMU_PROGRAM,
		    WEXITSTATUS(status), line[0] ? ": " : "", line);
	return pv_fail(e, PV_EXIT_SYSTEM, "%s was killed by signal %d%s%s",
	    BOOT_QEMU_PROGRAM, WTERMSIG(status), line[0] ? ": " : "", line);
}

int
boot_qemu_run(struct boot_domain *d, const struct boot_run *how,
    struct boot_result *r, const struct boot_qemu_machine *m,
    struct pv_err *e)
{
	struct qfiles q = { -1, -1, -1 };
	uint64_t size;
	int pipefd[2] = { -1, -1 }, status, rc = -1;
	enum relayed how_ended;
	pid_t pid = -1;
	double t0;

	size = m->ram_size;
	if (write_files(d, &q, m, e) < 0)
		goto out;
	if (*how->stop) {
		rc = stopped(r, BOOT_END_SIGNAL, "stopped by signal %d; QEMU "
		    "killed", (int)*how->stop);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		pv_fail(e, PV_EXIT_SYSTEM, "pipe: %s", strerror(errno));
		goto out;
	}
	t0 = pv_now();
	if (spawn(d, &q, size, pipefd[1], &pid, e) < 0)
		goto out;
	close(pipefd[1]);
	pipefd[1] = -1;
	if (relay(pipefd[0], t0 + how->timeout, how->console, how->stop,
	    &how_ended, e) < 0)
		goto out;
	if (how_ended != QEMU_EXITED) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		pid = -1;
		rc = how_ended == QEMU_TIMEOUT ? stopped(r, BOOT_END_STOPPED,
		    "timeout: no verdict after %g s; QEMU killed", how->timeout) :
		    stopped(r, BOOT_END_SIGNAL, "stopped by signal %d; QEMU "
		    "killed", (int)*how->stop);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			pv_fail(e, PV_EXIT_SYSTEM, "waitpid: %s",
			    strerror(errno));
			goto out;
		}
	pid = -1;
	r->seconds = pv_now() - t0;
	rc = ended(d, &q, status, r, e);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	qfiles_close(&q);
	return rc;
}

int
boot_qemu_path(struct boot_domain *d, const struct boot_run *how,
    struct boot_result *r, struct pv_err *e)
{
	struct boot_qemu_machine m;
	char where[PV_MSG_SIZE];

	memset(r, 0, sizeof(*r));
	if (boot_qemu_prepare(d, e) < 0)
		return -1;
	snprintf(where, sizeof(where), "; boot's GDT, IDT, TSS and handlers in "
	    "the hypervisor's hole from 0x%llx",
	    (unsigned long long)d->abi->hv_start);
	how->ready(how, d, where);
	/* Whole MiB, as QEMU's -m takes them. */
	m.ram_size = (d->mem_size + (1 << 20) - 1) & ~(uint64_t)((1 << 20) - 1);
	if (m.ram_size < (2 << 20))
		m.ram_size = 2 << 20;
	m.fw = boot_rom_image;
	m.fw_size = m.rom_size = (size_t)(boot_rom_image_end - boot_rom_image);
	return boot_qemu_run(d, how, r, &m, e);
}
