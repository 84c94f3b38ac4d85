/* SPDX-License-Identifier: ISC */
/*
 * domain.h: a sim domain (README, "The sim backend") as bin/boot sees
 * it: what domain.json says of the machine and the initial vCPU, and
 * machine.mem mapped privately, so that running the domain never changes
 * the directory.
 */
#ifndef BOOT_DOMAIN_H
#define BOOT_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "paging.h"
#include "pv.h"
#include "pvh.h"

/* The initial vCPU of domain.json's "vcpu" (xen-3.0 names, no "r"/"e"). */
struct boot_vcpu {
	uint64_t cr3, ip, sp, si, flags;
	uint64_t ax, bx, cx, dx, di, bp;
	uint64_t cs, ds, es, fs, gs, ss;	/* Xen's selectors, for the record */
};

struct boot_domain {
	/*
	 * A PV domain's ABI and boot's facts of it; NULL for a PVH domain
	 * (domain.json's abi "pvh"), which has no paging of its own to
	 * enter and whose vCPU is `pvh`'s, not `vcpu`.
	 */
	const struct abi *abi;
	const struct boot_paging *paging;
	int is_pvh;
	struct boot_pvh pvh;
	uint64_t frames;		/* machine frames: machine.frames */
	uint64_t reserved_frames;	/* the hypervisor's, at the bottom */
	struct boot_vcpu vcpu;
	uint8_t *mem;			/* frame m at mem + m * PV_PAGE_SIZE */
	size_t mem_size;		/* frames * PV_PAGE_SIZE */
	int mem_fd;			/* machine.mem, read-only: its holes */
};

/*
 * Read DIR/domain.json and map its machine file copy-on-write (MAP_PRIVATE:
 * the domain's files are never written). Everything read is untrusted:
 * types, ranges, the machine file's name and size are checked, and cr3 must
 * name a frame of the machine (a PV domain's), or the PVH members must be
 * ones boot can enter (pvh.h). Returns 0, or -1 with e set (PV_EXIT_INPUT
 * for a bad domain, PV_EXIT_SYSTEM for a failed system call).
 */
int boot_domain_open(const char *dir, struct boot_domain *, struct pv_err *e);
void boot_domain_close(struct boot_domain *);

#endif
