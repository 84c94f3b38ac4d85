/*
 * hv_sim.c: the sim backend, pvbuild's stand-in for a hypervisor.
 *
 * A domain is a directory (README, "The sim backend"): machine.mem holds
 * the machine's memory (sparse), m2p.bin the machine-to-phys table,
 * domain.json what the hypervisor would know of the domain. The domain's
 * frames are scattered over the machine by a seeded permutation, so that a
 * pfn used where an mfn belongs shows. Everything is built in a temporary
 * directory beside the target and renamed into place by commit, so a
 * failed or killed build never leaves a partial domain under the name.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv.h"

#define SIM_RESERVED_FRAMES 256	/* the hypervisor's own low frames */
#define SIM_SPREAD 4		/* the machine is this many times the domain */
#define SIM_X13_MAX_FRAMES ((uint64_t)1 << 20)	/* 32-bit machine addresses */
#define M2P_INVALID 0xffffffffu	/* Xen's INVALID_M2P_ENTRY, 32-bit */
#define SIM_EVTCHN 1		/* the domain controller's event channel */

static const char *const sim_files[] = {
	"machine.mem", "m2p.bin", "domain.json", "plan.json",
};

struct sim {
	struct hv hv;
	char *out, *tmp;
	int mem_fd;
	uint64_t frames, seed;
	uint64_t perm_bits, perm_mask;	/* the Feistel domain: 2^(2*bits) */
	uint64_t pool;			/* frames - reserved */
	uint64_t pinned_pfn;
	int pinned_level;
};

static uint64_t
mix64(uint64_t z)
{
	/* splitmix64's finaliser: a good 64-bit mixing function. */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * A seeded permutation of [0, pool): a four-round Feistel network over the
 * smallest even power of two that holds the pool, walked until the value
 * falls inside it (cycle walking keeps it a permutation). Constant memory,
 * so the machine can be far larger than what we keep of it.
 */
static uint64_t
sim_perm(const struct sim *s, uint64_t x)
{
	uint64_t l, r, t;
	int round;

	do {
		l = x >> s->perm_bits;
		r = x & s->perm_mask;
		for (round = 0; round < 4; round++) {
			t = r;
			r = l ^ (mix64(r ^ s->seed ^ ((uint64_t)round << 56)) &
			    s->perm_mask);
			l = t;
		}
		x = l << s->perm_bits | r;
	} while (x >= s->pool);
	return x;
}

static uint64_t
sim_mfn(struct hv *hv, uint64_t pfn)
{
	struct sim *s = (struct sim *)hv;

	return SIM_RESERVED_FRAMES + sim_perm(s, pfn);
}

static int
sys_fail(struct pv_err *e, const struct sim *s, const char *what)
{
	return pv_fail(e, PV_EXIT_SYSTEM, "sim: %s: %s: %s", s->out, what,
	    strerror(errno));
}

static int
sim_write(struct hv *hv, uint64_t mfn, uint64_t off, const void *buf,
    size_t len, struct pv_err *e)
{
	struct sim *s = (struct sim *)hv;

	if (mfn < SIM_RESERVED_FRAMES || mfn >= s->frames ||
	    !pv_inside(off, len, PV_PAGE_SIZE))
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: write outside the "
		    "domain's frames (mfn %llu)", (unsigned long long)mfn);
	if (pv_pwrite_all(s->mem_fd, buf, len,
	    (mfn << PV_PAGE_SHIFT) + off) < 0)
		return sys_fail(e, s, "machine.mem");
	return 0;
}

static int
write_file(const struct sim *s, const char *name, const void *buf,
    size_t len, struct pv_err *e)
{
	char path[4096];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", s->tmp, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return sys_fail(e, s, name);
	rc = pv_pwrite_all(fd, buf, len, 0);
	if (close(fd) < 0 || rc < 0)
		return sys_fail(e, s, name);
	return 0;
}

static int
sim_machphys(struct hv *hv, struct pv_err *e)
{
	struct sim *s = (struct sim *)hv;
	uint32_t *m2p;
	uint64_t pfn, m;
	int rc;

	if ((m2p = malloc(s->frames * sizeof(*m2p))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory for the "
		    "m2p table");
	for (m = 0; m < s->frames; m++)
		m2p[m] = M2P_INVALID;
	for (pfn = 0; pfn < hv->nr_pages; pfn++)
		m2p[sim_mfn(hv, pfn)] = (uint32_t)pfn;
	rc = write_file(s, "m2p.bin", m2p, s->frames * sizeof(*m2p), e);
	free(m2p);
	return rc;
}

static int
sim_pin(struct hv *hv, uint64_t pfn, int level, struct pv_err *e)
{
	struct sim *s = (struct sim *)hv;

	if (s->pinned_level != 0)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: a table is already "
		    "pinned");
	s->pinned_pfn = pfn;
	s->pinned_level = level;
	return 0;
}

static json_t *
vcpu_json(const struct plan_vcpu *v, uint64_t cr3)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:{s:i, s:o, s:o}, s:{s:o, s:o}, s:{s:o, s:o}, s:i, s:i, "
	    "s:[iiiiiiii], s:s}",
	    "cr3", plan_hex_json(cr3), "ip", plan_hex_json(v->ip),
	    "sp", plan_hex_json(v->sp), "si", plan_hex_json(v->si),
	    "flags", plan_hex_json(v->flags), "cs", plan_hex_json(v->cs),
	    "ds", plan_hex_json(v->ds), "es", plan_hex_json(v->es),
	    "fs", plan_hex_json(v->fs), "gs", plan_hex_json(v->gs),
	    "ss", plan_hex_json(v->ss), "kernel_ss", plan_hex_json(v->kernel_ss),
	    "kernel_sp", plan_hex_json(v->kernel_sp),
	    "ax", plan_hex_json(0), "bx", plan_hex_json(0),
	    "cx", plan_hex_json(0), "dx", plan_hex_json(0),
	    "di", plan_hex_json(0), "bp", plan_hex_json(0),
	    "fast_trap_idx", plan_hex_json(0), "ldt_ents", plan_hex_json(0),
	    "gdt_ents", plan_hex_json(0),
	    "trap_table", "entries", 256, "cs", plan_hex_json(v->trap_cs),
	    "handler", plan_hex_json(0),
	    "event_callback", "cs", plan_hex_json(v->callback_cs),
	    "ip", plan_hex_json(0),
	    "failsafe_callback", "cs", plan_hex_json(v->callback_cs),
	    "ip", plan_hex_json(0),
	    "vcpu_id", 0, "online", 1,
	    "debugreg", 0, 0, 0, 0, 0, 0, 0, 0, "fpu", "zero");
}

static int
sim_commit(struct hv *hv, const struct plan_vcpu *v, uint64_t top_pfn,
    json_t *plan, struct pv_err *e)
{
	struct sim *s = (struct sim *)hv;
	json_t *dom;
	char *text;
	int rc;

	if (s->pinned_level == 0 || s->pinned_pfn != top_pfn)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: the top-level table is "
		    "not pinned");
	if (close(s->mem_fd) < 0) {
		s->mem_fd = -1;
		return sys_fail(e, s, "machine.mem");
	}
	s->mem_fd = -1;
	dom = json_pack("{s:s, s:s, s:I, s:{s:s, s:I, s:I, s:I, s:I}, "
	    "s:{s:s, s:i, s:s}, s:I, s:i, s:[{s:I, s:I, s:i}], s:o}",
	    "abi", "xen-1.3", "backend", "sim",
	    "nr_pages", (json_int_t)hv->nr_pages,
	    "machine", "file", "machine.mem",
	    "frames", (json_int_t)s->frames,
	    "reserved_frames", (json_int_t)SIM_RESERVED_FRAMES,
	    "page_size", (json_int_t)PV_PAGE_SIZE, "seed", (json_int_t)s->seed,
	    "m2p", "file", "m2p.bin", "entry_size", 4, "invalid", "0xffffffff",
	    "shared_info_mfn", (json_int_t)hv->shared_info_mfn,
	    "control_evtchn", (int)hv->control_evtchn,
	    "pinned", "pfn", (json_int_t)s->pinned_pfn,
	    "mfn", (json_int_t)sim_mfn(hv, s->pinned_pfn),
	    "level", s->pinned_level,
	    "vcpu", vcpu_json(v, sim_mfn(hv, top_pfn) << PV_PAGE_SHIFT));
	if (dom == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
	text = json_dumps(dom, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(dom);
	if (text == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
	rc = write_file(s, "domain.json", text, strlen(text), e);
	free(text);
	if (rc < 0)
		return -1;
	if ((text = json_dumps(plan, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
	rc = write_file(s, "plan.json", text, strlen(text), e);
	free(text);
	if (rc < 0)
		return -1;
	/* The one step that makes the domain exist, and never over another. */
	if (renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->out, RENAME_NOREPLACE) < 0)
		return pv_fail(e, errno == EEXIST ? PV_EXIT_INPUT :
		    PV_EXIT_SYSTEM, "--out: %s: %s", s->out, strerror(errno));
	free(s->tmp);
	s->tmp = NULL;
	return 0;
}

static void
sim_close(struct hv *hv)
{
	struct sim *s = (struct sim *)hv;
	char path[4096];
	size_t i;

	if (s->mem_fd >= 0)
		close(s->mem_fd);
	if (s->tmp != NULL) {
		for (i = 0; i < sizeof(sim_files) / sizeof(sim_files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", s->tmp,
			    sim_files[i]);
			unlink(path);
		}
		rmdir(s->tmp);
		free(s->tmp);
	}
	free(s->out);
	free(s);
}

static const struct hv_ops sim_ops = {
	.mfn = sim_mfn,
	.write = sim_write,
	.machphys = sim_machphys,
	.pin = sim_pin,
	.commit = sim_commit,
	.close = sim_close,
};

int
hv_sim_open(const char *out, uint64_t seed, const struct plan *p,
    struct hv **hvp, struct pv_err *e)
{
	uint64_t nr_pages = p->layout->nr_pages, bits;
	char *dcopy = NULL, *bcopy = NULL;
	struct stat st;
	struct sim *s;
	char path[4096];

	if (lstat(out, &st) == 0)
		return pv_fail(e, PV_EXIT_INPUT, "--out: %s already exists", out);
	if (errno != ENOENT)
		return pv_fail(e, PV_EXIT_SYSTEM, "--out: %s: %s", out,
		    strerror(errno));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
	s->mem_fd = -1;
	s->hv.ops = &sim_ops;
	s->hv.nr_pages = nr_pages;
	s->hv.control_evtchn = SIM_EVTCHN;
	s->seed = seed;
	/* The machine: several times the domain and its shared_info frame,
	 * within what 32-bit machine addresses reach. */
	s->frames = SIM_RESERVED_FRAMES + SIM_SPREAD * (nr_pages + 1);
	if (s->frames > SIM_X13_MAX_FRAMES)
		s->frames = SIM_X13_MAX_FRAMES;
	s->pool = s->frames - SIM_RESERVED_FRAMES;
	if (s->pool < nr_pages + 1) {
		free(s);
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: a machine of %llu "
		    "frames cannot hold %llu pages", (unsigned long long)
		    SIM_X13_MAX_FRAMES, (unsigned long long)nr_pages);
	}
	for (bits = 1; (uint64_t)1 << (2 * bits) < s->pool; bits++)
		;
	s->perm_bits = bits;
	s->perm_mask = ((uint64_t)1 << bits) - 1;
	/* The frame after the domain's is the hypervisor's shared_info. */
	s->hv.shared_info_mfn = SIM_RESERVED_FRAMES + sim_perm(s, nr_pages);
	if ((s->out = strdup(out)) == NULL || (dcopy = strdup(out)) == NULL ||
	    (bcopy = strdup(out)) == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
		goto fail;
	}
	s->hv.where = s->out;
	snprintf(path, sizeof(path), "%s/.%s.pvbuild-XXXXXX", dirname(dcopy),
	    basename(bcopy));
	if (mkdtemp(path) == NULL) {
		pv_fail(e, errno == ENOENT ? PV_EXIT_INPUT : PV_EXIT_SYSTEM,
		    "--out: %s: cannot create a directory beside it: %s", out,
		    strerror(errno));
		goto fail;
	}
	/* mkdtemp makes it 0700; the domain directory gets the umask's
	 * ordinary permissions. */
	mode_t mask = umask(0);
	umask(mask);
	chmod(path, 0777 & ~mask);
	if ((s->tmp = strdup(path)) == NULL) {
		rmdir(path);
		pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/machine.mem", s->tmp);
	s->mem_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (s->mem_fd < 0 || ftruncate(s->mem_fd,
	    (off_t)(s->frames << PV_PAGE_SHIFT)) < 0) {
		sys_fail(e, s, "machine.mem");
		goto fail;
	}
	free(dcopy);
	free(bcopy);
	*hvp = &s->hv;
	return 0;
fail:
	free(dcopy);
	free(bcopy);
	sim_close(&s->hv);
	return -1;
}
