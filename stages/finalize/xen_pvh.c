/* SPDX-License-Identifier: ISC */
/*
 * xen_pvh.c: the xen backend's PVH domain (hv.h, hv_xen_build_physical):
 * an HVM container with hardware-assisted paging and no device model,
 * built as libxl 4.17 builds `type = "pvh"` (libxl_create.c,
 * libxl_dom.c's libxl__build_pre and libxl__build_hvm, libxl_x86.c) with
 * libxenguest's HVM hooks (xg_dom_x86.c: meminit_hvm,
 * alloc_magic_pages_hvm, bootlate_hvm, vcpu_hvm; xg_dom_boot.c):
 *
 *  1. create the domain paused: XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
 *     only the local APIC emulated (XEN_X86_EMU_LAPIC), the plan's vCPUs;
 *     give it libxl's paging pool (XEN_DOMCTL_set_paging_mempool_size), the PV path's maximum (memory plus
 *     LIBXL_MAXMEM_CONSTANT), the plan's memory map (XENMEM_set_memory_map),
 *     its CPUID policy, timer mode and two event channels to dom0;
 *  2. populate every range of the memory map (RAM and the ACPI pages) and
 *     the eight special pages, frame = gfn, 2 MiB extents where Xen has
 *     them;
 *  3. write the image (pvhimage.c: kernel, initrd, hvm_start_info,
 *     memory map, command line, ACPI tables, the special pages cleared
 *     and the identity page table) through foreign mappings of the gfns;
 *  4. set the HVM parameters of the eight special pages (as
 *     alloc_magic_pages_hvm does) and of the store and console event
 *     channels (as hvm_build_set_params does),
 *     the first vCPU's state (a HEADER and CPU record through
 *     xc_domain_hvm_setcontext) and every vCPU's MTRRs (write-back), and
 *     seed the grant table's console and xenstore entries by gfn;
 *  5. commit as the PV path does (xen.c): the xenstore nodes in one
 *     transaction, the devices, the introduction to xenstored, unpause.
 *
 * Everything before the commit is undone on failure or on a stop signal
 * by xen_close, which destroys the domain and its nodes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guest.h"
#include "xenbe.h"

#include <xen/hvm/params.h>
#include <xen/hvm/save.h>

/*
 * libxl's default paging pool for an HVM guest, in KiB
 * (libxl__arch_get_required_paging_memory): 1 MiB per vCPU and 8 KiB per
 * MiB of maxmem.
 */
#define PVH_PAGING_KB(maxmem_kb, vcpus) \
	(4 * (256 * (uint64_t)(vcpus) + 2 * ((maxmem_kb) / 1024)))
/* libxl's default timer_mode, no_delay_for_missed_ticks (HVMPTM_*). */
#define PVH_TIMER_MODE 1
/* What vcpu_hvm sets in every vCPU's MTRRs: enabled, default write-back. */
#define PVH_MTRR_TYPE_WRBACK 6
#define PVH_MTRR_DEF_TYPE_ENABLE (1u << 11)
/* The debug registers' reset values, as vcpu_hvm sets them. */
#define PVH_DR6_DEFAULT 0xffff0ff0
#define PVH_DR7_DEFAULT 0x400
/* gfns given to Xen at once when populating 4 KiB frames. */
#define PVH_GFN_BATCH 4096

/* Refuse, before anything is created, a host that cannot run PVH. */
static int
check_hap(struct xen *x, struct pv_err *e)
{
	xc_physinfo_t info;

	memset(&info, 0, sizeof(info));
	if (xc_physinfo(x->xch, &info) != 0)
		return xen_fail(e, x, "asking the hypervisor's capabilities");
	if (!(info.capabilities & XEN_SYSCTL_PHYSCAP_hvm) ||
	    !(info.capabilities & XEN_SYSCTL_PHYSCAP_hap))
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: this host has no "
		    "hardware-assisted paging (HAP), which a PVH guest needs");
	return 0;
}

/* The plan's memory map as Xen's e820 entries (XENMEM_set_memory_map). */
static int
set_memory_map(struct xen *x, const struct plan_layout *l, struct pv_err *e)
{
	struct e820entry map[PLAN_MEMMAP_MAX];
	size_t i;

	for (i = 0; i < l->nr_memmap; i++) {
		map[i].addr = l->memmap[i].addr;
		map[i].size = l->memmap[i].size;
		map[i].type = l->memmap[i].type;
	}
	if (xc_domain_set_memory_map(x->xch, x->domid, map,
	    (uint32_t)l->nr_memmap) != 0)
		return xen_fail(e, x, "setting the memory map");
	return 0;
}

static int
create(struct xen *x, const struct plan_layout *l, struct pv_err *e)
{
	struct xen_domctl_createdomain config;

	memset(&config, 0, sizeof(config));
	memcpy(config.handle, x->handle, sizeof(config.handle));
	config.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
	config.arch.emulation_flags = XEN_X86_EMU_LAPIC;
	config.max_vcpus = x->vcpus;
	config.max_evtchn_port = XEN_EVTCHN_PORTS;
	config.max_grant_frames = -1;		/* the hypervisor's default */
	config.max_maptrack_frames = -1;
	config.grant_opts = XEN_DOMCTL_GRANT_version(1);
	if (xc_domain_create(x->xch, &x->domid, &config) != 0)
		return xen_fail(e, x, "creating the PVH domain");
	x->created = 1;
	snprintf(x->where, sizeof(x->where), "xen domid %u", x->domid);
	if (xc_domain_max_vcpus(x->xch, x->domid, x->vcpus) != 0)
		return xen_fail(e, x, "setting the vCPUs");
	if (xc_set_paging_mempool_size(x->xch, x->domid,
	    PVH_PAGING_KB(x->maxmem_kb, x->vcpus) * 1024) != 0)
		return xen_fail(e, x, "sizing the paging pool");
	if (xc_cpuid_apply_policy(x->xch, x->domid, false, NULL, 0, true,
	    false, false, NULL, NULL) != 0)
		return xen_fail(e, x, "setting the CPUID policy");
	if (xc_domain_setmaxmem(x->xch, x->domid,
	    x->memory_kb + XEN_MAXMEM_SLACK_KB) != 0)
		return xen_fail(e, x, "setting the maximum memory");
	if (set_memory_map(x, l, e) < 0)
		return -1;
	if (xc_hvm_param_set(x->xch, x->domid, HVM_PARAM_TIMER_MODE,
	    PVH_TIMER_MODE) != 0)
		return xen_fail(e, x, "setting the timer mode");
	return xen_alloc_ports(x, e);
}

/* Populate 4 KiB frames at gfns [gfn, gfn + n). */
static int
populate_small(struct xen *x, uint64_t gfn, uint64_t n, struct pv_err *e)
{
	xen_pfn_t gfns[PVH_GFN_BATCH];
	uint64_t k, m;

	while (n > 0) {
		if (xen_stopped(x, e) < 0)
			return -1;
		m = n < PVH_GFN_BATCH ? n : PVH_GFN_BATCH;
		for (k = 0; k < m; k++)
			gfns[k] = gfn + k;
		if (xc_domain_populate_physmap_exact(x->xch, x->domid,
		    (unsigned long)m, 0, 0, gfns) != 0) {
			char what[96];

			snprintf(what, sizeof(what), "populating gfns "
			    "0x%llx-0x%llx", (unsigned long long)gfn,
			    (unsigned long long)(gfn + m - 1));
			return xen_fail(e, x, what);
		}
		gfn += m;
		n -= m;
	}
	return 0;
}

/*
 * Populate gfns [gfn, gfn + n): 2 MiB extents for the aligned middle
 * while Xen has them (meminit_hvm), 4 KiB frames for the rest.
 */
static int
populate_range(struct xen *x, uint64_t gfn, uint64_t n, struct pv_err *e)
{
	xen_pfn_t ext[XEN_EXTENTS_PER_CALL];
	uint64_t head, k, m;
	long rc;

	head = (XEN_SUPERPAGE_PAGES - gfn % XEN_SUPERPAGE_PAGES) %
	    XEN_SUPERPAGE_PAGES;
	if (head > n)
		head = n;
	if (populate_small(x, gfn, head, e) < 0)
		return -1;
	gfn += head;
	n -= head;
	while (n >= XEN_SUPERPAGE_PAGES) {
		if (xen_stopped(x, e) < 0)
			return -1;
		m = n / XEN_SUPERPAGE_PAGES;
		if (m > XEN_EXTENTS_PER_CALL)
			m = XEN_EXTENTS_PER_CALL;
		for (k = 0; k < m; k++)
			ext[k] = gfn + k * XEN_SUPERPAGE_PAGES;
		rc = xc_domain_populate_physmap(x->xch, x->domid,
		    (unsigned long)m, XEN_SUPERPAGE_ORDER, 0, ext);
		if (rc < 0)
			rc = 0;
		gfn += (uint64_t)rc * XEN_SUPERPAGE_PAGES;
		n -= (uint64_t)rc * XEN_SUPERPAGE_PAGES;
		if ((uint64_t)rc < m)
			break;		/* no more 2 MiB runs: 4 KiB from here */
	}
	x->log.last[0] = '\0';
	return populate_small(x, gfn, n, e);
}

/*
 * Every range of the memory map (RAM and the ACPI pages, which libxl
 * populates too) and the special pages, all eight in one call as
 * alloc_magic_pages_hvm asks for them.
 */
static int
populate(struct xen *x, const struct plan_layout *l, struct pv_err *e)
{
	xen_pfn_t special[PLAN_SPECIAL_PAGES];
	uint64_t first, end;
	size_t i;

	for (i = 0; i < l->nr_memmap; i++) {
		first = l->memmap[i].addr >> PV_PAGE_SHIFT;
		end = (l->memmap[i].addr + l->memmap[i].size + PV_PAGE_SIZE -
		    1) >> PV_PAGE_SHIFT;
		if (populate_range(x, first, end - first, e) < 0)
			return -1;
	}
	for (i = 0; i < PLAN_SPECIAL_PAGES; i++)
		special[i] = l->special[i].pfn;
	if (xc_domain_populate_physmap_exact(x->xch, x->domid,
	    PLAN_SPECIAL_PAGES, 0, 0, special) != 0)
		return xen_fail(e, x, "populating the special pages");
	return 0;
}

/*
 * Write len bytes at gpa through mappings of at most XEN_WINDOW_PAGES
 * gfns at a time (hv_put_fn).
 */
static int
put(void *ctx, uint64_t gpa, const void *buf, size_t len, struct pv_err *e)
{
	struct xen *x = ctx;
	const uint8_t *src = buf;
	xen_pfn_t gfns[XEN_WINDOW_PAGES];
	int err[XEN_WINDOW_PAGES];
	uint64_t off, n, k, chunk;
	uint8_t *va;

	while (len > 0) {
		if (xen_stopped(x, e) < 0)
			return -1;
		off = gpa & (PV_PAGE_SIZE - 1);
		n = (off + len + PV_PAGE_SIZE - 1) >> PV_PAGE_SHIFT;
		if (n > XEN_WINDOW_PAGES)
			n = XEN_WINDOW_PAGES;
		for (k = 0; k < n; k++)
			gfns[k] = (gpa >> PV_PAGE_SHIFT) + k;
		va = xenforeignmemory_map(x->fmem, x->domid,
		    PROT_READ | PROT_WRITE, (size_t)n, gfns, err);
		if (va == NULL)
			return xen_fail(e, x, "mapping the domain's frames");
		for (k = 0; k < n; k++)
			if (err[k] != 0) {
				xenforeignmemory_unmap(x->fmem, va, (size_t)n);
				errno = -err[k];
				return xen_fail(e, x, "mapping a frame of the "
				    "domain");
			}
		chunk = (n << PV_PAGE_SHIFT) - off;
		if (chunk > len)
			chunk = len;
		memcpy(va + off, src, (size_t)chunk);
		xenforeignmemory_unmap(x->fmem, va, (size_t)n);
		src += chunk;
		gpa += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

/*
 * The HVM parameters of the special pages, each set as
 * alloc_magic_pages_hvm sets it (the identity page table's by address,
 * the rest by frame; the guest finds its xenstore and console by two of
 * them), and the store and console event channels
 * (hvm_build_set_params). libxenguest goes on past a parameter Xen
 * refuses; pvbuild does not, since the guest would lack it.
 */
static int
set_params(struct xen *x, const struct plan_layout *l, struct pv_err *e)
{
	size_t i;

	for (i = 0; i < PLAN_SPECIAL_PAGES; i++) {
		const struct guest_pvh_special *sp =
		    &guest_pvh_special[l->special[i].role];
		uint64_t v = sp->by_address ?
		    l->special[i].pfn << PV_PAGE_SHIFT : l->special[i].pfn;

		if (xc_hvm_param_set(x->xch, x->domid, sp->param, v) != 0) {
			char what[64];

			snprintf(what, sizeof(what), "setting the HVM parameter "
			    "of the %s page", sp->role);
			return xen_fail(e, x, what);
		}
	}
	if (xc_hvm_param_set(x->xch, x->domid, HVM_PARAM_STORE_EVTCHN,
	    x->hv.store_port) != 0 ||
	    xc_hvm_param_set(x->xch, x->domid, HVM_PARAM_CONSOLE_EVTCHN,
	    x->hv.console_port) != 0)
		return xen_fail(e, x, "setting the HVM parameters");
	return 0;
}

static uint64_t
vhex(json_t *v, const char *key)
{
	uint64_t n = 0;

	(void)pv_parse_u64(json_string_value(json_object_get(v, key)), &n);
	return n;
}

/* Find the record of `code`, instance 0, in a domain's HVM context. */
static const uint8_t *
find_record(const uint8_t *ctx, size_t size, uint16_t code, uint32_t length)
{
	struct hvm_save_descriptor d;
	size_t off = 0;

	while (pv_inside(off, sizeof(d), size)) {
		memcpy(&d, ctx + off, sizeof(d));
		off += sizeof(d);
		if (!pv_inside(off, d.length, size))
			return NULL;
		if (d.typecode == code && d.instance == 0 && d.length == length)
			return ctx + off;
		if (d.typecode == HVM_SAVE_CODE(END))
			return NULL;
		off += d.length;
	}
	return NULL;
}

/*
 * The first vCPU's entry state from the plan (populate.vcpu, the state
 * vcpu_hvm sets) as a HEADER and CPU record, and every vCPU's MTRRs
 * enabled with write-back as the default type, as vcpu_hvm sets them for
 * a guest without a device model. The header and the MTRRs' other
 * contents are the domain's own, read from Xen first.
 */
static int
set_vcpus(struct xen *x, const struct plan *p, struct pv_err *e)
{
	json_t *v = json_object_get(json_object_get(p->root, "populate"),
	    "vcpu");
	struct {
		struct hvm_save_descriptor header_d;
		HVM_SAVE_TYPE(HEADER) header;
		struct hvm_save_descriptor cpu_d;
		HVM_SAVE_TYPE(CPU) cpu;
		struct hvm_save_descriptor end_d;
		HVM_SAVE_TYPE(END) end;
	} bsp;
	struct {
		struct hvm_save_descriptor header_d;
		HVM_SAVE_TYPE(HEADER) header;
		struct hvm_save_descriptor mtrr_d;
		HVM_SAVE_TYPE(MTRR) mtrr;
		struct hvm_save_descriptor end_d;
		HVM_SAVE_TYPE(END) end;
	} mtrr;
	const uint8_t *hdr, *rec;
	uint8_t *full = NULL;
	int size, rc = -1;
	uint32_t i;

	if ((size = xc_domain_hvm_getcontext(x->xch, x->domid, NULL, 0)) <= 0)
		return xen_fail(e, x, "reading the domain's HVM context");
	if ((full = malloc((size_t)size)) == NULL)
		return pv_fail(e, PV_EXIT_SYSTEM, "xen: out of memory");
	if ((size = xc_domain_hvm_getcontext(x->xch, x->domid, full,
	    (uint32_t)size)) <= 0) {
		xen_fail(e, x, "reading the domain's HVM context");
		goto out;
	}
	hdr = find_record(full, (size_t)size, HVM_SAVE_CODE(HEADER),
	    HVM_SAVE_LENGTH(HEADER));
	rec = find_record(full, (size_t)size, HVM_SAVE_CODE(MTRR),
	    HVM_SAVE_LENGTH(MTRR));
	if (hdr == NULL || rec == NULL) {
		pv_fail(e, PV_EXIT_SYSTEM, "xen: the domain's HVM context has "
		    "no %s record", hdr == NULL ? "header" : "MTRR");
		goto out;
	}
	memset(&bsp, 0, sizeof(bsp));
	bsp.header_d.typecode = HVM_SAVE_CODE(HEADER);
	bsp.header_d.length = HVM_SAVE_LENGTH(HEADER);
	memcpy(&bsp.header, hdr, sizeof(bsp.header));
	bsp.cpu_d.typecode = HVM_SAVE_CODE(CPU);
	bsp.cpu_d.length = HVM_SAVE_LENGTH(CPU);
	bsp.cpu.rip = vhex(v, "eip");
	bsp.cpu.rbx = vhex(v, "ebx");
	bsp.cpu.rflags = vhex(v, "eflags");
	bsp.cpu.cr0 = vhex(v, "cr0");
	bsp.cpu.cr3 = vhex(v, "cr3");
	bsp.cpu.cr4 = vhex(v, "cr4");
	bsp.cpu.msr_efer = vhex(v, "efer");
	bsp.cpu.dr6 = PVH_DR6_DEFAULT;
	bsp.cpu.dr7 = PVH_DR7_DEFAULT;
#define SEG(s) do {							\
	bsp.cpu.s##_base = vhex(v, #s "_base");				\
	bsp.cpu.s##_limit = (uint32_t)vhex(v, #s "_limit");		\
	bsp.cpu.s##_arbytes = (uint32_t)vhex(v, #s "_ar");		\
} while (0)
	SEG(cs);
	SEG(ds);
	SEG(es);
	SEG(ss);
	SEG(tr);
#undef SEG
	bsp.end_d.typecode = HVM_SAVE_CODE(END);
	/*
	 * Every load of a context takes down the vCPUs it has no CPU record
	 * for (hvm_load), so the MTRRs go first and the first vCPU's state
	 * last, as vcpu_hvm orders them.
	 */
	memset(&mtrr, 0, sizeof(mtrr));
	mtrr.header_d = bsp.header_d;
	mtrr.header = bsp.header;
	mtrr.mtrr_d.typecode = HVM_SAVE_CODE(MTRR);
	mtrr.mtrr_d.length = HVM_SAVE_LENGTH(MTRR);
	memcpy(&mtrr.mtrr, rec, sizeof(mtrr.mtrr));
	mtrr.mtrr.msr_mtrr_def_type = PVH_MTRR_TYPE_WRBACK |
	    PVH_MTRR_DEF_TYPE_ENABLE;
	mtrr.end_d = bsp.end_d;
	for (i = 0; i < x->vcpus; i++) {
		mtrr.mtrr_d.instance = (uint16_t)i;
		if (xc_domain_hvm_setcontext(x->xch, x->domid,
		    (uint8_t *)&mtrr, sizeof(mtrr)) != 0) {
			xen_fail(e, x, "setting a vCPU's MTRRs");
			goto out;
		}
	}
	if (xc_domain_hvm_setcontext(x->xch, x->domid, (uint8_t *)&bsp,
	    sizeof(bsp)) != 0) {
		xen_fail(e, x, "setting the first vCPU's state");
		goto out;
	}
	rc = 0;
out:
	free(full);
	return rc;
}

int
hv_xen_build_physical(const struct hv_xen_options *opt, const struct plan *p,
    const uint8_t *kernel, const uint8_t *initrd,
    int (*shown)(const struct hv *, void *arg, char **out, struct pv_err *),
    void *arg, struct pv_err *e)
{
	const struct plan_layout *l = p->layout;
	struct hv_request r;
	struct hv *hv = NULL;
	struct xen *x;
	char *out = NULL;
	int rc = -1;

	xen_request_of(p, &r);
	if (xen_open_common(opt, &r, &hv, e) < 0)
		goto out;
	x = (struct xen *)hv;
	x->store_frame = l->regions[REGION_XENSTORE].start >> PV_PAGE_SHIFT;
	x->console_frame = l->regions[REGION_CONSOLE].start >> PV_PAGE_SHIFT;
	if (check_hap(x, e) < 0 || create(x, l, e) < 0 ||
	    xen_name_domain(x, e) < 0 || populate(x, l, e) < 0 ||
	    hv_physical_image(p, kernel, initrd, put, x, e) < 0 ||
	    set_params(x, l, e) < 0 || set_vcpus(x, p, e) < 0 ||
	    shown(hv, arg, &out, e) < 0)
		goto out;
	/* The console and store rings, by grant as well as by gfn. */
	if (xc_dom_gnttab_seed(x->xch, x->domid, true, x->console_frame,
	    x->store_frame, 0, 0) != 0) {
		xen_fail(e, x, "seeding the grant table");
		goto out;
	}
	if (xen_commit_store(x, p, e) < 0)
		goto out;
	fputs(out, stdout);
	if (opt->wait && xen_wait(hv, e) < 0)
		goto out;
	rc = 0;
out:
	free(out);
	if (hv != NULL)
		hv->ops->close(hv);
	return rc;
}
