/* SPDX-License-Identifier: ISC */
/*
 * guest.h: what differs between the guest types pvbuild builds, as one
 * table of operations per type, the way Xen's builder gives each guest
 * type a struct xc_dom_arch (xg_dom_x86.c). Each type's table is in a file
 * of its own (xen13.c; xen3.c holds the two xen-3.0 tables, which share
 * nearly all), and its row of abi_table (abi.c) points at it: adding a
 * type is a new file and a row, not edits across the tree.
 *
 * The hooks take members already read and checked by their readers; the
 * plan itself is untrusted, so a check hook compares what the plan says
 * with what the type's own rules make of the members before it.
 */
#ifndef GUEST_H
#define GUEST_H

#include "plan.h"

/*
 * What the backend chose for a domain that start_info tells its guest:
 * machine frames and event channels, of which a type reads those it has.
 */
struct guest_machine {
	uint64_t shared_info_mfn, store_mfn, console_ring_mfn;
	uint32_t control_evtchn, store_port, console_port;
};

struct guest_ops {
	/* elfinfo: the keys of the member and of a segment, NULL-ended. */
	const char *const *elfinfo_keys, *const *segment_keys;
	/* elfinfo.guest_info may not be null: the string declares the type. */
	int guest_info_required;
	/* Segments carry p_paddr (xen-3.0 loads them there). */
	int segment_paddr;
	/* A loadable segment has at least one of these flags. */
	const char *load_flags;
	/* The type is chosen (elfinfo --pvh), not declared by the kernel:
	 * a kernel is read as this type (elf_guest_inspect_as). */
	int chosen;
	/* Read and write what elfinfo holds beyond what every type has. */
	int (*elfinfo_read)(json_t *obj, struct plan_elfinfo *,
	    struct pv_err *);
	int (*elfinfo_json)(json_t *o, const struct plan_elfinfo *);
	/* xen-3.0: the guest may map its p2m list apart (INIT_P2M). */
	int takes_init_p2m;
	/* xen-3.0: PAE_MODE may ask for the extended-cr3 assist. */
	int extended_cr3;

	/* The plan is in guest-physical terms, paging off (pvh): the
	 * arrangement is a physical one, with the memory map. */
	int physical;

	/* layout: the member's keys and the regions, in address order. */
	const char *const *layout_keys;
	const enum plan_region_id *regions;
	size_t nr_regions;
	uint64_t max_memory;		/* the largest domain, in bytes */
	uint32_t max_vcpus;		/* the most vCPUs a domain may have */
	/*
	 * The hypervisor's hole runs from hv_start (or a lower
	 * HV_START_LOW) to the top of the address space, as on x86_32;
	 * otherwise it is [hv_start, hv_end) and the guest may lie above it.
	 */
	int hole_at_top;
	/* Solve the bootstrap region for the request in l (layout stage). */
	int (*layout_solve)(const struct plan_elfinfo *, struct plan_layout *,
	    struct pv_err *);
	/* Check a plan's layout by the same rules (every later reader). */
	int (*layout_check)(const struct plan_elfinfo *,
	    const struct plan_layout *, struct pv_err *);
	/* Read and write what layout holds beyond what every type has. */
	int (*layout_read)(json_t *obj, struct plan_layout *, struct pv_err *);
	int (*layout_json)(json_t *o, const struct plan_layout *);

	/* populate: start_info and the vCPU context. */
	uint64_t cmdline_max;		/* start_info's command line, with NUL */
	uint64_t shared_info_vcpus;	/* vCPU slots of shared_info */
	/* Fill what start_info holds beyond what every type has. */
	void (*start_info)(struct plan_populate *, const struct plan_elfinfo *,
	    const struct plan_layout *);
	void (*vcpu)(struct plan_vcpu *, const struct plan_elfinfo *,
	    const struct plan_layout *);
	/* The keys of populate, its start_info and its vcpu, NULL-ended;
	 * a type's vcpu keys are a prefix of plan_vcpu's fields, in order. */
	const char *const *populate_keys, *const *start_info_keys,
	    *const *vcpu_keys;
	/* Read what start_info holds beyond what every type has. */
	int (*start_info_read)(json_t *si, const struct abi *,
	    struct plan_populate *, struct pv_err *);
	/* Read and check what populate holds beyond start_info and what
	 * every type has; write it all. */
	int (*populate_read)(json_t *obj, const struct plan_elfinfo *,
	    const struct plan_layout *, struct plan_populate *,
	    struct pv_err *);
	int (*populate_json)(json_t *o, const struct plan_populate *);
	/*
	 * A type whose populate member is its own (pvh: hvm_start_info,
	 * ACPI, an HVM vCPU) plans it whole from elfinfo and layout, and
	 * reads a plan's by holding it to that; the hooks above are then
	 * unused. NULL for the PV types.
	 */
	json_t *(*populate_whole)(const struct plan_elfinfo *,
	    const struct plan_layout *);
	int (*populate_whole_read)(json_t *obj, const struct plan_elfinfo *,
	    const struct plan_layout *, struct pv_err *);

	/*
	 * What Xen 4.17 lets a domU of the type start with, for the checks
	 * of stages/finalize/hvrules.c: the start_info flags a domU's
	 * builder sets, the assists it offers (arch_vm_assist_valid_mask),
	 * and whether the trap and callback selectors may be null.
	 */
	uint64_t start_info_flags, vm_assists;
	int null_callback_cs;

	/* pagetables: the member, from the layout. */
	int (*pagetables)(const struct plan *, json_t **member,
	    struct pv_err *);

	/*
	 * finalize: what its backends write and its hypervisor rules hold
	 * the plan to, as facts of the type, so that nothing under
	 * stages/finalize/ names one.
	 */
	/* start_info in the type's own layout, from the plan and from the
	 * machine the backend chose; page is one zeroed page. */
	void (*start_info_page)(uint8_t *page, const struct plan *,
	    const struct guest_machine *);
	/* shared_info's per-vCPU slots: their size and where each slot's
	 * upcall mask byte is. */
	size_t vcpu_info_size, upcall_mask_offset;
	/* The top-level table needs a frame below 4 GiB (PAE: CR3 holds
	 * 32 bits of it). */
	int top_below_4g;
	/* Xen 4.17 adds User to every upper-level entry of the type's
	 * tables and Accessed to its L4 entries (adjust_guest_l*e of a
	 * 64-bit guest), so a plan's entries must have them. */
	int upper_user;
	/* The guest runs in long mode: it enters the hypervisor by syscall
	 * rather than int $0x82, and its vCPU context is x86_64's. */
	int long_mode;
	/* The entries of the first vCPU's trap table the builder fills:
	 * the seed's 256, none for xen-3.0 (the guest registers its own). */
	unsigned trap_entries;
	/* The vCPU context has vm_assist and the debug registers DR6 and
	 * DR7 at their reset values, as Xen 3's builders set them. */
	int context_assists;
	/* The guest talks to a domain controller on one event channel
	 * (xen-1.3), not to xenstore and a console on one each. */
	int control_evtchn;
	/* Xen 4.17 builds the type: the xen backend may take it. */
	int xen_builds;
	/* The word XENVER_capabilities lists when the hypervisor runs the
	 * type; NULL: the ABI's name (the PV types). */
	const char *xen_capability;
};

extern const struct guest_ops guest_xen13, guest_xen3_x86_32p,
    guest_xen3_x86_64, guest_pvh;

/*
 * What the layout solvers share: place a region of `size` bytes at *va,
 * leaving *va at its page end; and the refusals both solvers make.
 */
int guest_place(struct plan_layout *, enum plan_region_id, uint64_t *va,
    uint64_t size, struct pv_err *);
int guest_hole(const struct plan_layout *, uint64_t at, struct pv_err *);
int guest_too_small(const struct plan_layout *, uint64_t need,
    struct pv_err *);

/*
 * The roles of a PVH guest's special pages, by SPECIALPAGE_* index
 * (xg_dom_x86.c), each with the HVM parameter alloc_magic_pages_hvm
 * points at it (<xen/hvm/params.h>) and that parameter's name in the
 * plan. HVM_PARAM_IDENT_PT alone takes the page's address, not its frame.
 */
struct guest_pvh_special {
	const char *role, *param_name;
	uint32_t param;
	int by_address;
};
extern const struct guest_pvh_special guest_pvh_special[PLAN_SPECIAL_PAGES];
/* The special pages of roles of their own: xenstore, the EPT identity
 * page table, the console. */
#define GUEST_PVH_XENSTORE 4
#define GUEST_PVH_IDENT_PT 6
#define GUEST_PVH_CONSOLE 7

/* The PVH populate member (pvh_populate.c). */
json_t *guest_pvh_populate(const struct plan_elfinfo *,
    const struct plan_layout *);
int guest_pvh_populate_read(json_t *obj, const struct plan_elfinfo *,
    const struct plan_layout *, struct pv_err *);

/* The xen-3.0 page tables (derive_pagetables.c). */
int guest_xen3_pagetables(const struct plan *, json_t **member,
    struct pv_err *);
/* The xen-3.0 members' own parts (xen3_members.c). */
int guest_xen3_elfinfo_read(json_t *, struct plan_elfinfo *,
    struct pv_err *);
int guest_xen3_elfinfo_json(json_t *, const struct plan_elfinfo *);
int guest_xen3_start_info_read(json_t *, const struct abi *,
    struct plan_populate *, struct pv_err *);
int guest_xen3_populate_read(json_t *, const struct plan_elfinfo *,
    const struct plan_layout *, struct plan_populate *, struct pv_err *);
int guest_xen3_populate_json(json_t *, const struct plan_populate *);
int guest_xen3_layout_read(json_t *, struct plan_layout *, struct pv_err *);
int guest_xen3_layout_json(json_t *, const struct plan_layout *);
extern const char *const guest_xen3_elfinfo_keys[],
    *const guest_xen3_segment_keys[], *const guest_xen3_populate_keys[],
    *const guest_xen3_start_info_keys[], *const guest_xen3_vcpu_keys[];

#endif
