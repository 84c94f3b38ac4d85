/* SPDX-License-Identifier: ISC */
/*
 * sim.c: the sim backend, pvbuild's stand-in for a hypervisor.
 *
 * A domain is a directory (README, "The sim backend"): machine.mem holds
 * the machine's memory (sparse), m2p.bin the machine-to-phys table,
 * domain.json what the hypervisor would know of the domain. The domain's
 * frames are scattered over the machine by a permutation that --scatter
 * picks, so that a pfn used where an mfn belongs shows. The directory
 * itself, built beside DIR and renamed into place whole, is simdir.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bigbuf.h"
#include "guest.h"
#include "sim.h"
#include "xenhdr.h"

#define SIM_SPREAD 4		/* the machine is this many times the domain */
#define SIM_MAX_EXTRA ((uint64_t)1 << 20)	/* ...up to 4 GiB spare */
#define SIM_BELOW_4G ((uint64_t)1 << 20)	/* frames under 4 GiB */

static uint64_t
sim_mfn(struct hv *hv, uint64_t pfn)
{
	struct sim *s = (struct sim *)hv;

	if (s->moved && pfn == s->moved_pfn)
		return s->moved_mfn;
	return sim_frames_slot(s, pfn);
}

static void
sim_mfns(struct hv *hv, uint64_t pfn, uint64_t n, uint64_t *out)
{
	struct sim *s = (struct sim *)hv;

	sim_frames_slots(s, pfn, n, out);
	if (s->moved && s->moved_pfn - pfn < n)
		out[s->moved_pfn - pfn] = s->moved_mfn;
}

/* Read a page of machine.mem back (one gathered in part). */
static int
pread_page(int fd, uint8_t *page, uint64_t mfn)
{
	size_t done = 0;
	ssize_t n;

	while (done < PV_PAGE_SIZE) {
		n = pread(fd, page + done, PV_PAGE_SIZE - done,
		    (off_t)((mfn << PV_PAGE_SHIFT) + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

#define STAGE_DIRTY(s, i) ((s)->stage_dirty[(i) / 64] >> ((i) % 64) & 1)

/* The pieces of a run of frames, at most one a frame. */
#define RUN_IOV_MAX SIM_EXTENT_FRAMES

/*
 * pwritev of iov[0, n) at byte `off`, again from where a short write
 * stopped; -1 with errno.
 */
static int
pwritev_all(int fd, struct iovec *iov, int n, uint64_t off)
{
	ssize_t w;

	while (n > 0) {
		w = pwritev(fd, iov, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		off += (uint64_t)w;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * The gathered frames of the staged extent written out, each run of
 * consecutive frames in one pwritev, its pieces wherever the frames'
 * bytes are (the stage, the kernel, the initrd): the domain's 2 MiB
 * stretches go to one extent each, so a kernel or p2m goes out in writes
 * of up to 2 MiB rather than a page at a time, and a kernel's pages are
 * copied once, into machine.mem, not first into the stage.
 */
static int
stage_flush(struct sim *s, struct pv_err *e)
{
	const uint64_t first = s->stage_ext << SIM_EXTENT_BITS;
	struct iovec iov[RUN_IOV_MAX];
	uint64_t i, n, k;
	int nv;

	if (s->stage_ext == UINT64_MAX)
		return 0;
	for (i = 0; i < SIM_EXTENT_FRAMES; i += n) {
		for (n = 0; i + n < SIM_EXTENT_FRAMES && STAGE_DIRTY(s, i + n);
		    n++)
			;
		if (n == 0) {
			n = 1;
			continue;
		}
		for (k = 0, nv = 0; k < n; k++) {
			const uint8_t *p = s->stage_src[i + k];

			if (nv > 0 && (const uint8_t *)iov[nv - 1].iov_base +
			    iov[nv - 1].iov_len == p)
				iov[nv - 1].iov_len += PV_PAGE_SIZE;
			else
				iov[nv++] = (struct iovec){ (void *)(uintptr_t)p,
				    PV_PAGE_SIZE };
		}
		if (pwritev_all(s->mem_fd, iov, nv, (first + i) <<
		    PV_PAGE_SHIFT) < 0)
			return sim_sys_fail(e, s, "machine.mem");
	}
	memset(s->stage_dirty, 0, sizeof(s->stage_dirty));
	s->stage_ext = UINT64_MAX;
	return 0;
}

/*
 * Frame mfn's slot in the stage, the stage moved to its extent first (the
 * one before written out); its index, or -1 with `e` set.
 */
static int64_t
stage_slot(struct sim *s, uint64_t mfn, uint64_t off, size_t len,
    struct pv_err *e)
{
	if (mfn < s->reserved || mfn >= s->frames ||
	    !pv_inside(off, len, PV_PAGE_SIZE))
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: write outside the "
		    "domain's frames (mfn %llu)", (unsigned long long)mfn);
	if (mfn >> SIM_EXTENT_BITS != s->stage_ext) {
		if (stage_flush(s, e) < 0)
			return -1;
		s->stage_ext = mfn >> SIM_EXTENT_BITS;
	}
	return (int64_t)(mfn % SIM_EXTENT_FRAMES);
}

static int
sim_write(struct hv *hv, uint64_t mfn, uint64_t off, const void *buf,
    size_t len, struct pv_err *e)
{
	struct sim *s = (struct sim *)hv;
	const int64_t i = stage_slot(s, mfn, off, len, e);
	uint8_t *page;

	if (i < 0)
		return -1;
	page = s->stage + ((uint64_t)i << PV_PAGE_SHIFT);
	/*
	 * A frame gathered for the first time starts as machine.mem has it,
	 * which a write of the whole frame need not read; one gathered by
	 * reference to a page of the kernel starts as that page.
	 */
	if (!STAGE_DIRTY(s, i)) {
		if ((off != 0 || len != PV_PAGE_SIZE) &&
		    pread_page(s->mem_fd, page, mfn) < 0)
			return sim_sys_fail(e, s, "machine.mem");
		s->stage_dirty[i / 64] |= (uint64_t)1 << (i % 64);
	} else if (s->stage_src[i] != page)
		memcpy(page, s->stage_src[i], PV_PAGE_SIZE);
	s->stage_src[i] = page;
	memcpy(page + off, buf, len);
	return 0;
}

/* A whole frame by reference (hv.h): written out from `page` itself. */
static int
sim_write_page(struct hv *hv, uint64_t mfn, const uint8_t *page,
    struct pv_err *e)
{
	struct sim *s = (struct sim *)hv;
	const int64_t i = stage_slot(s, mfn, 0, PV_PAGE_SIZE, e);

	if (i < 0)
		return -1;
	s->stage_dirty[i / 64] |= (uint64_t)1 << (i % 64);
	s->stage_src[i] = page;
	return 0;
}

static int
sim_below_4g(struct hv *hv, uint64_t pfn, struct pv_err *e)
{
	struct sim *s = (struct sim *)hv;
	uint64_t m, top = s->frames < SIM_BELOW_4G ? s->frames : SIM_BELOW_4G;

	if (sim_mfn(hv, pfn) < SIM_BELOW_4G)
		return 0;
	/* Any frame under 4 GiB that neither the domain nor shared_info
	 * holds will do; take the lowest. */
	for (m = s->reserved; m < top; m++)
		if (sim_frames_owner(s, m) == UINT64_MAX &&
		    m != hv->shared_info_mfn)
			break;
	if (m >= top)
		return pv_fail(e, PV_EXIT_INPUT, "the PAE guest's L3 table "
		    "needs a frame below 4 GiB and this machine has none free "
		    "(the hypervisor keeps the low %llu MiB)",
		    (unsigned long long)(s->reserved >> (20 - PV_PAGE_SHIFT)));
	s->moved_from = sim_mfn(hv, pfn);
	s->moved = 1;
	s->moved_pfn = pfn;
	s->moved_mfn = m;
	return 0;
}

/*
 * The machine-to-phys table, one entry of the guest's word size per frame,
 * all ones for frames that are not the domain's (Xen's INVALID_M2P_ENTRY),
 * made a chunk at a time (simframes.c) and written to m2p.bin on a thread
 * of its own: it needs only where the frames are, settled before
 * machphys, and so it overlaps the writes into machine.mem.
 */
/* Frames a chunk: whole extents, 64 KiB of entries that stay in cache. */
#define M2P_CHUNK ((uint64_t)1 << 13)

static void *
m2p_main(void *arg)
{
	struct sim *s = arg;
	const unsigned w = s->hv.abi->word;
	uint64_t m, n;
	uint8_t *buf;

	if ((buf = malloc(M2P_CHUNK * w)) == NULL) {
		s->m2p_errno = ENOMEM;
		return NULL;
	}
	for (m = 0; m < s->frames; m += n) {
		n = s->frames - m < M2P_CHUNK ? s->frames - m : M2P_CHUNK;
		sim_frames_m2p(s, m, n, buf, w);
		if (pv_pwrite_all(s->m2p_fd, buf, (size_t)(n * w), m * w) < 0) {
			s->m2p_errno = errno;
			break;
		}
	}
	free(buf);
	return NULL;
}

static int
sim_machphys(struct hv *hv, struct pv_err *e)
{
	struct sim *s = (struct sim *)hv;
	char path[4096];

	snprintf(path, sizeof(path), "%s/m2p.bin", s->tmp);
	s->m2p_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->m2p_fd < 0)
		return sim_sys_fail(e, s, "m2p.bin");
	/*
	 * The table's room taken at once, so that a disk too small for it
	 * fails here, naming it, whatever the writes into machine.mem meet
	 * meanwhile (a file system without fallocate finds out as it goes).
	 */
	if (fallocate(s->m2p_fd, 0, 0, (off_t)(s->frames * hv->abi->word)) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS)
		return sim_sys_fail(e, s, "m2p.bin");
	/* Without a second thread, the table is made here and now. */
	if (pthread_create(&s->m2p_thread, NULL, m2p_main, s) == 0)
		s->m2p_running = 1;
	else
		m2p_main(s);
	return 0;
}

/* The table finished (joined) and m2p.bin closed; its error, if any. */
static int
m2p_finish(struct sim *s, struct pv_err *e)
{
	if (s->m2p_running)
		pthread_join(s->m2p_thread, NULL);
	s->m2p_running = 0;
	if (s->m2p_fd >= 0 && close(s->m2p_fd) < 0 && s->m2p_errno == 0)
		s->m2p_errno = errno;
	s->m2p_fd = -1;
	if (s->m2p_errno == 0)
		return 0;
	errno = s->m2p_errno;
	return e != NULL ? sim_sys_fail(e, s, "m2p.bin") : -1;
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

/*
 * The hypercall page, filled as Xen fills it: 32 bytes per hypercall
 * number, each loading the number into eax and entering the hypervisor
 * (syscall for a 64-bit guest, int $0x82 for a 32-bit one) and returning;
 * iret's entry does not return and keeps the registers it needs on the
 * stack. The rest of the page is int3.
 */
static int
sim_hypercall_page(struct hv *hv, uint64_t pfn, struct pv_err *e)
{
	uint8_t page[PV_PAGE_SIZE], *q;
	uint32_t i;

	memset(page, 0xcc, sizeof(page));
	for (i = 0; i < PV_PAGE_SIZE / 32; i++) {
		q = page + 32 * i;
		if (hv->abi->ops->long_mode) {
			static const uint8_t save[] = { 0x51, 0x41, 0x53 };
			static const uint8_t back[] = { 0x41, 0x5b, 0x59, 0xc3 };

			/* push %rcx; push %r11 */
			memcpy(q, save, sizeof(save));
			q += sizeof(save);
			if (i == __HYPERVISOR_iret)
				*q++ = 0x50;		/* push %rax */
			*q++ = 0xb8;			/* mov $i, %eax */
			pv_put32(q, i);
			q += 4;
			*q++ = 0x0f;			/* syscall */
			*q++ = 0x05;
			if (i != __HYPERVISOR_iret)	/* pop; pop; ret */
				memcpy(q, back, sizeof(back));
		} else {
			if (i == __HYPERVISOR_iret)
				*q++ = 0x50;		/* push %eax */
			*q++ = 0xb8;			/* mov $i, %eax */
			pv_put32(q, i);
			q += 4;
			*q++ = 0xcd;			/* int $0x82 */
			*q++ = 0x82;
			if (i != __HYPERVISOR_iret)
				*q++ = 0xc3;		/* ret */
		}
	}
	return sim_write(hv, sim_mfn(hv, pfn), 0, page, sizeof(page), e);
}

/*
 * DR0-DR7, registers and so hex. xen-1.3's are all zero; Xen 3's
 * builder sets DR6 and DR7 to their reset values.
 */
static json_t *
debugreg_json(int xen3)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < 8; i++)
		json_array_append_new(a, plan_hex_json(!xen3 ? 0 :
		    i == 6 ? 0xffff0ff0 : i == 7 ? 0x400 : 0));
	return a;
}

static json_t *
vcpu_json(const struct hv *hv, const struct plan_vcpu *v, uint64_t cr3)
{
	json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:i, "
	    "s:{s:i, s:o, s:o}, s:{s:o, s:o}, s:{s:o, s:o}, s:i, s:i, "
	    "s:o, s:s}",
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
	    "fast_trap_idx", 0, "ldt_ents", 0, "gdt_ents", 0,
	    "trap_table", "entries", (int)hv->abi->ops->trap_entries,
	    "cs", plan_hex_json(v->trap_cs), "handler", plan_hex_json(0),
	    "event_callback", "cs", plan_hex_json(v->callback_cs),
	    "ip", plan_hex_json(0),
	    "failsafe_callback", "cs", plan_hex_json(v->callback_cs),
	    "ip", plan_hex_json(0),
	    "vcpu_id", 0, "online", 1,
	    "debugreg", debugreg_json(hv->abi->ops->context_assists),
	    "fpu", "zero");

	if (o != NULL && hv->abi->ops->context_assists)
		json_object_set_new(o, "vm_assist", plan_hex_json(v->vm_assist));
	return o;
}

static int
sim_commit(struct hv *hv, const struct plan *p, struct pv_err *e)
{
	const struct plan_vcpu *v = &p->populate->vcpu;
	const uint64_t top_pfn = p->pagetables->top_pfn;
	const uint64_t si_pfn = p->populate->start_info.pfn;
	struct sim *s = (struct sim *)hv;
	json_t *dom;
	int rc;

	if (s->pinned_level == 0 || s->pinned_pfn != top_pfn)
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: the top-level table is "
		    "not pinned");
	if (stage_flush(s, e) < 0 || m2p_finish(s, e) < 0)
		return -1;
	if (close(s->mem_fd) < 0) {
		s->mem_fd = -1;
		return sim_sys_fail(e, s, "machine.mem");
	}
	s->mem_fd = -1;
	/* machine.seed: --scatter, under the name domain.json gave it first. */
	dom = json_pack("{s:s, s:s, s:I, s:{s:s, s:I, s:I, s:I, s:I}, "
	    "s:{s:s, s:i, s:o}, s:I, s:[{s:I, s:I, s:i}], s:o, s:{s:I, s:I, "
	    "s:o}}",
	    "abi", hv->abi->name, "backend", "sim",
	    "nr_pages", (json_int_t)hv->nr_pages,
	    "machine", "file", "machine.mem",
	    "frames", (json_int_t)s->frames,
	    "reserved_frames", (json_int_t)s->reserved,
	    "page_size", (json_int_t)PV_PAGE_SIZE, "seed", (json_int_t)s->scatter,
	    "m2p", "file", "m2p.bin", "entry_size", (int)hv->abi->word,
	    "invalid", plan_hex_json(hv->abi->word == 4 ? 0xffffffffULL :
	    UINT64_MAX),
	    "shared_info_mfn", (json_int_t)hv->shared_info_mfn,
	    "pinned", "pfn", (json_int_t)s->pinned_pfn,
	    "mfn", (json_int_t)sim_mfn(hv, s->pinned_pfn),
	    "level", s->pinned_level,
	    "vcpu", vcpu_json(hv, v, sim_mfn(hv, top_pfn) << PV_PAGE_SHIFT),
	    "start_info", "pfn", (json_int_t)si_pfn,
	    "mfn", (json_int_t)sim_mfn(hv, si_pfn),
	    "va", plan_hex_json(p->populate->start_info.va));
	/* What the request asked of the hypervisor beyond the bootstrap:
	 * the sim holds it as Xen would, for the checker to hold to the
	 * plan. */
	if (dom == NULL || plan_request_set(dom, p->layout) < 0) {
		json_decref(dom);
		return pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
	}
	if (hv->abi->ops->control_evtchn)
		json_object_set_new(dom, "control_evtchn",
		    json_integer(hv->control_evtchn));
	else {
		json_object_set_new(dom, "store_evtchn",
		    json_integer(hv->store_port));
		json_object_set_new(dom, "console_evtchn",
		    json_integer(hv->console_port));
	}
	rc = sim_dir_write_json(s, "domain.json", dom, e);
	json_decref(dom);
	if (rc < 0 || sim_dir_write_json(s, "plan.json", p->root, e) < 0 ||
	    sim_dir_write_file(s, "arrangement.txt", hv->arrangement,
	    strlen(hv->arrangement), e) < 0)
		return -1;
	return sim_dir_place(s, e);
}

static void
sim_close(struct hv *hv)
{
	struct sim *s = (struct sim *)hv;

	m2p_finish(s, NULL);
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	sim_dir_remove(s);
	free(s->blocks);
	bigbuf_free(s->stage);
	free(s->out);
	free(s);
}

static const struct hv_ops sim_ops = {
	.mfn = sim_mfn,
	.mfns = sim_mfns,
	.write = sim_write,
	.write_page = sim_write_page,
	.machphys = sim_machphys,
	.below_4g = sim_below_4g,
	.pin = sim_pin,
	.hypercall_page = sim_hypercall_page,
	.commit = sim_commit,
	.close = sim_close,
};

int
hv_sim_open(const char *out, const struct hv_sim_options *opt,
    const struct plan *p, struct hv **hvp, struct pv_err *e)
{
	const struct abi *abi = p->elfinfo->abi;
	uint64_t nr_pages = p->layout->nr_pages, extra, max_frames;
	struct sim *s;

	if ((s = sim_new(out, opt->sync, e)) == NULL)
		return -1;
	s->stage_ext = UINT64_MAX;
	s->hv.ops = &sim_ops;
	s->hv.abi = abi;
	s->hv.nr_pages = nr_pages;
	s->hv.zeroed = 1;	/* machine.mem is a new sparse file */
	s->hv.control_evtchn = 1;
	s->hv.store_port = 1;
	s->hv.console_port = 2;
	s->scatter = opt->scatter;
	s->reserved = (opt->reserved + PV_PAGE_SIZE - 1) >> PV_PAGE_SHIFT;
	/*
	 * The machine: several times the domain and its shared_info frame
	 * (at most 4 GiB spare, so huge domains stay cheap), within what the
	 * ABI's machine addresses reach.
	 */
	extra = (SIM_SPREAD - 1) * (nr_pages + 1);
	if (extra > SIM_MAX_EXTRA)
		extra = SIM_MAX_EXTRA;
	max_frames = (uint64_t)1 << abi->mfn_bits;
	s->frames = s->reserved + nr_pages + 1 + extra;
	if (s->frames > max_frames)
		s->frames = max_frames;
	if (s->reserved >= s->frames || s->frames - s->reserved < nr_pages + 1) {
		free(s);
		return pv_fail(e, PV_EXIT_INPUT, "sim: a %s machine of at most "
		    "%llu frames, %llu of them the hypervisor's, cannot hold "
		    "%llu pages", abi->name, (unsigned long long)max_frames,
		    (unsigned long long)(opt->reserved >> PV_PAGE_SHIFT),
		    (unsigned long long)nr_pages);
	}
	if (sim_frames_init(s, e) < 0)
		goto fail;
	/* One huge page where the kernel gives them: the p2m and the
	 * tables fill it a page at a time, each a fault otherwise. */
	if ((s->stage = bigbuf_alloc(SIM_EXTENT_FRAMES << PV_PAGE_SHIFT)) ==
	    NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "sim: out of memory");
		goto fail;
	}
	if (sim_dir_create_mem(s, out, e) < 0)
		goto fail;
	*hvp = &s->hv;
	return 0;
fail:
	sim_close(&s->hv);
	return -1;
}
