/* SPDX-License-Identifier: ISC */
/*
 * plan.h: the plan document (README, "The plan format"): reading and
 * writing it, and each stage's member as a checked C structure.
 *
 * Every parser here treats the plan as untrusted: types, ranges, order and
 * consistency with the earlier members are checked, and an error names the
 * member path ("layout.regions[2].end: ...").
 */
#ifndef PLAN_H
#define PLAN_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "abi.h"
#include "img.h"
#include "json.h"
#include "pv.h"

#define PLAN_FORMAT "pvbuild-plan/1"

struct plan_segment {
	uint64_t vaddr, offset, filesz, memsz;
	uint64_t paddr;			/* xen-3.0 only: p_paddr */
	char flags[4];			/* "r", "w", "x" letters in order */
};

/*
 * What a xen-3.0 guest declares, from notes or a legacy __xen_guest string,
 * and what Xen derives from it (Xen 4.17, libelf-dominfo.c).
 */
struct plan_xen3 {
	const char *declared_by;	/* "notes", "note-sections", "guest_info" */
	json_t *notes;			/* decoded notes, by name */
	json_t *warnings;		/* strings */
	uint64_t virt_base, paddr_offset;
	int has_hypercall_page, has_hv_start_low, has_init_p2m;
	uint64_t hypercall_page, hv_start_low, init_p2m;
	int mod_start_pfn;
	char *pae_mode;			/* NULL when not declared */
	uint32_t features_supported, features_required;
};

struct plan_elfinfo {
	const struct abi *abi;
	struct img_ref image;
	char *guest_info;		/* the __xen_guest string, or NULL */
	uint64_t kernel_start, kernel_end, entry;
	size_t nr_segments;
	struct plan_segment *segments;
	struct plan_xen3 x3;		/* xen-3.0 ABIs; pvh uses
					 * declared_by, notes, warnings */
};

enum plan_region_id {
	REGION_KERNEL, REGION_INITRD, REGION_P2M, REGION_PAGETABLES,
	REGION_START_INFO, REGION_STACK, REGION_XENSTORE, REGION_CONSOLE,
	REGION_ACPI, NR_REGIONS
};
extern const char *const plan_region_names[NR_REGIONS];

/* The regions of an ABI's bootstrap region, in address order. */
const enum plan_region_id *plan_region_order(const struct abi *, size_t *n);

struct plan_region {
	uint64_t start, end;
};

/*
 * A disk of the domain (layout --disk, xl's disk spec): the backing file
 * or block device as given (finalize decides which it is, on the host
 * that builds), the name the guest sees (xvda..) and whether it may
 * write.  Frontend and backend wiring is finalize's.
 */
#define PLAN_DISKS_MAX 16
struct plan_disk {
	char *target;
	char vdev[16];
	int writable;
};

/* A network interface (layout --nic, xl's vif spec): its MAC and bridge. */
#define PLAN_NICS_MAX 8
struct plan_nic {
	uint8_t mac[6];
	char *bridge;
};

/*
 * The rules of the request's strings (devspec.c), which layout's options
 * and every plan reader hold them to:
 * - a name: 1 to PLAN_NAME_MAX printable ASCII bytes, no space or '/',
 *   not digits alone (xl takes those for a domain id);
 * - a vdev: "xvd" and 1 to PLAN_VDEV_LETTERS lowercase letters;
 * - a bridge: an interface name, 1 to PLAN_BRIDGE_MAX (IFNAMSIZ - 1)
 *   printable bytes, no space, '/' or ':';
 * - a target: 1 to PLAN_TARGET_MAX bytes, no control character;
 * - a MAC: "xx:xx:xx:xx:xx:xx" in hex, unicast.
 * Each check returns 0 when the string keeps its rule, else -1.
 */
#define PLAN_NAME_MAX 64
#define PLAN_VDEV_LETTERS 3
#define PLAN_BRIDGE_MAX 15
#define PLAN_BRIDGE_DEFAULT "xenbr0"	/* xl's default bridge */
#define PLAN_TARGET_MAX 4095
#define PLAN_MAC_STRLEN 18
int plan_name_check(const char *);
int plan_vdev_check(const char *);
int plan_bridge_check(const char *);
int plan_target_check(const char *);
int plan_mac_parse(const char *, uint8_t mac[6]);
void plan_mac_string(const uint8_t mac[6], char out[PLAN_MAC_STRLEN]);

/*
 * Parse one untrusted spec string of layout --disk (xl's disk spec:
 * target, format raw, vdev, access, by position or by key) or --nic
 * (xl's vif spec: bridge and mac). The message names what is wrong but
 * not the option; d->target and n->bridge are the caller's to free.
 * *has_mac says whether the spec gave a MAC (else n->mac is zero).
 */
int plan_disk_spec(const char *spec, struct plan_disk *d, struct pv_err *);
int plan_nic_spec(const char *spec, struct plan_nic *n, int *has_mac,
    struct pv_err *);

/*
 * The MAC of NIC `index` when the request gives none: Xen's OUI
 * 00:16:3e and three bytes of a sha256 of the domain's name, or with no
 * name (NULL) of the kernel's sha256 and the command line, and the index.
 * The same request makes the same MAC.
 */
void plan_mac_make(const char *name, const char *kernel_sha256,
    const char *cmdline, size_t index, uint8_t mac[6]);

/*
 * The request's members (vcpus, maxmem, name, disks, nics) of layout:
 * read and checked against the ABI (`path` names the object in errors),
 * and set on an object as JSON (a plan's layout, a sim's domain.json).
 * plan_request_free frees what reading or layout's options allocated.
 */
struct plan_layout;
int plan_request_read(json_t *obj, const char *path, const struct abi *,
    struct plan_layout *, struct pv_err *);
int plan_request_set(json_t *o, const struct plan_layout *);
void plan_request_free(struct plan_layout *);

/*
 * An entry of a PVH guest's memory map (hvm_start_info's, of
 * <xen/arch-x86/hvm/start_info.h>): a range and its E820 type
 * (XEN_HVM_MEMMAP_TYPE_*). Low RAM, the ACPI info page, the tables,
 * the RSDP and high RAM are the most a map has.
 */
#define PLAN_MEMMAP_MAX 8
struct plan_memmap {
	uint64_t addr, size;
	uint32_t type;
};

/*
 * A PVH guest's HVM special pages (libxenguest's X86_HVM_NR_SPECIAL_PAGES
 * pages below X86_HVM_END_SPECIAL_REGION), in libxenguest's order: the
 * page's frame and its role, an index into guest_pvh_special (guest.h).
 */
#define PLAN_SPECIAL_PAGES 8
struct plan_special {
	uint64_t pfn;
	size_t role;
};

struct plan_layout {
	uint64_t memory, nr_pages;
	/*
	 * The request beyond memory: vCPUs (vCPU 0 starts), maxmem (the
	 * balloon's ceiling, at least memory), and the devices.
	 */
	uint32_t vcpus;
	uint64_t maxmem;
	char *name;			/* the domain's name, or NULL */
	size_t nr_disks, nr_nics;
	struct plan_disk disks[PLAN_DISKS_MAX];
	struct plan_nic nics[PLAN_NICS_MAX];
	int has_initrd;
	struct img_ref initrd;
	char *cmdline;
	uint64_t v_start, v_end, nr_pt_pages;
	struct plan_region regions[NR_REGIONS];	/* by id */
	/* xen-3.0: what lies in pfns after the bootstrap region. */
	int has_initrd_pfn;		/* MOD_START_PFN: initrd unmapped */
	uint64_t initrd_pfn;
	struct {
		int present;		/* INIT_P2M: p2m list mapped apart */
		uint64_t va, pfn, pages, pt_pages;
	} p2m_map;
	/* pvh: the guest-physical memory map, in address order. */
	size_t nr_memmap;
	struct plan_memmap memmap[PLAN_MEMMAP_MAX];
	/* pvh: the special pages, all PLAN_SPECIAL_PAGES of them. */
	struct plan_special special[PLAN_SPECIAL_PAGES];
};

/* Pages of the bootstrap region. */
static inline uint64_t
plan_bootstrap_pages(const struct plan_layout *l)
{
	return (l->v_end - l->v_start) >> PV_PAGE_SHIFT;
}

enum plan_source { SOURCE_KERNEL, SOURCE_INITRD, SOURCE_ZERO };

struct plan_write {
	uint64_t pfn, offset, length, source_offset;
	enum plan_source source;
};

struct plan_vcpu {
	uint64_t ip, sp, si, flags, cs, ds, es, fs, gs, ss;
	uint64_t kernel_ss, kernel_sp, trap_cs, callback_cs;
	uint64_t vm_assist;		/* xen-3.0 only */
};

struct plan_populate {
	size_t nr_writes;
	struct plan_write *writes;
	struct { uint64_t pfn, entries, entry_size; } p2m;
	struct {
		uint64_t pfn, va, nr_pages, flags, pt_base, nr_pt_frames;
		uint64_t mfn_list, mod_start, mod_len, cmd_line_length;
		/* xen-3.0 only */
		const char *magic;
		uint64_t store_pfn, console_pfn, first_p2m_pfn, nr_p2m_frames;
	} start_info;
	/*
	 * vcpus is the domain's vCPUs; masked_vcpu_info the vcpu_info slots
	 * whose upcall mask is set, all the type's slots, as Xen's builder
	 * masks them whatever the domain's vCPUs.
	 */
	struct { uint64_t vcpus, masked_vcpu_info, upcall_mask; } shared_info;
	/*
	 * A type whose member is read whole (pvh, guest.h populate_whole):
	 * the member as read, held to its derivation; the fields above
	 * stay zero.
	 */
	json_t *whole;
	int has_hypercall_page;		/* xen-3.0: the backend fills it */
	uint64_t hypercall_pfn;
	struct plan_vcpu vcpu;
};

/*
 * The longest command line a plan carries, in bytes (layout --cmdline):
 * start_info takes only its first plan_cmdline_max() - 1 of them.
 */
#define PLAN_CMDLINE_MAX 65536

/* The longest command line an ABI's start_info holds, with its NUL. */
uint64_t plan_cmdline_max(const struct abi *);

struct plan_map {
	uint64_t index, count, pfn, flags;
};

struct plan_table {
	uint64_t pfn;
	int level;
	size_t nr_maps;
	struct plan_map *maps;
};

struct plan_pagetables {
	int levels, entry_size;
	uint64_t top_pfn;
	size_t nr_tables;
	struct plan_table *tables;
	struct { uint64_t pfn; int level; } pin;
};

/* A plan as read: the document and whichever members it holds, checked. */
struct plan {
	json_t *root;
	struct plan_elfinfo *elfinfo;
	struct plan_layout *layout;
	struct plan_populate *populate;
	struct plan_pagetables *pagetables;
};

/*
 * Read a plan from `path` ("-" or NULL: stdin) and check every member it
 * holds, in order. `stage` is the reader's own member: the plan must hold
 * every member before it and none from it on. `stage` NULL reads a plan
 * only to look at it (show): one of any stage from layout on, a sim
 * domain's plan.json with its finalize member too.
 */
int plan_read(const char *path, const char *stage, struct plan *,
    struct pv_err *);
/* The same for the `len` bytes at `buf`, named "<buffer>" in errors. */
int plan_read_buffer(const char *buf, size_t len, const char *stage,
    struct plan *, struct pv_err *);
/* A fresh plan with only the format member (for elfinfo). */
int plan_new(struct plan *, struct pv_err *);
void plan_free(struct plan *);

/* Free what an elfinfo holds. */
void plan_elfinfo_clear(struct plan_elfinfo *);

/* Add a member as JSON. */
json_t *plan_elfinfo_json(const struct plan_elfinfo *);
json_t *plan_layout_json(const struct plan_layout *, const struct abi *);

/* The largest domain an ABI can have, in bytes. */
uint64_t plan_max_memory(const struct abi *);
json_t *plan_populate_json(const struct plan_populate *, const struct abi *);
json_t *plan_pagetables_json(const struct plan_pagetables *);
int plan_set(struct plan *, const char *member, json_t *value,
    struct pv_err *);

/*
 * Write the plan: sorted keys, two-space indent, newline; flush and check
 * that it was all written. Returns 0 or -1 with errno-based message.
 */
int plan_write(const struct plan *, FILE *, struct pv_err *);

/* The byte range of region r in pseudo-physical terms. */
static inline uint64_t
plan_region_pfn(const struct plan_layout *l, enum plan_region_id r)
{
	return (l->regions[r].start - l->v_start) >> PV_PAGE_SHIFT;
}

#endif
