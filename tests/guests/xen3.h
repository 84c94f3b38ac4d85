/* SPDX-License-Identifier: ISC */
/*
 * Shared definitions of the pvbuild xen-3.0 test guests (x64-*, pae-*,
 * notes-*): freestanding kernels for the two modern PV ABIs, x86_64 and
 * x86_32 PAE, which declare themselves with Xen ELF notes. Included by C and
 * by assembler sources, so everything C-only sits under !__ASSEMBLER__.
 *
 * The note types are XEN_ELFNOTE_* of <xen/elfnote.h> and the feature bits
 * XENFEAT_* of <xen/features.h>: both headers hold only #defines, so they are
 * included as they are, freestanding, from the compiler's default path.
 */
#ifndef XEN3_H
#define XEN3_H

#include <xen/elfnote.h>
#include <xen/features.h>

/* Port of the debug console (QEMU's and Bochs' "port 0xE9 hack"). */
#define XEN3_DEBUG_PORT		0xE9

/*
 * Words in each guest's initialised data pattern (xen3_pattern); word i
 * holds XEN3_PATTERN_BASE + i. Two pages and a half, so a loader that copies
 * the wrong page or stops early shows.
 */
#define XEN3_PATTERN_WORDS	2560
#define XEN3_PATTERN_BASE	0x58330000

/* Bytes of zero-initialised data: more than 1 MiB, as the brief of these
 * guests asks, so the kernel reaches far past the end of its file. */
#define XEN3_BSS_BYTES		((1 << 20) + 4096)

/*
 * Where the x86_64 guests are linked, as Linux does it: the kernel map
 * starts at 0xffffffff80000000 (the VIRT_BASE note) and the kernel lies
 * 16 MiB into it, both physically (p_paddr 0x1000000, PADDR_OFFSET 0) and
 * virtually (0xffffffff81000000).
 */
#define X64_VIRT_BASE		0xffffffff80000000
#define X64_KERNEL_PHYS		0x1000000

/* Where the x86_32 PAE guests are linked: p_paddr == p_vaddr, as old 32-bit
 * Linux did, so VIRT_BASE and PADDR_OFFSET are the same. */
#define PAE_VIRT_BASE		0xC0000000

/* The phys-to-machine list address Debian's x86_64 Linux asks for (INIT_P2M):
 * 512 GiB, the span of one top-level page-table entry. */
#define X64_INIT_P2M		0x8000000000

#ifdef __ASSEMBLER__

/*
 * xen3_pattern_data: the initialised data pattern, in .data. Each guest's
 * entry source invokes it once.
 */
	.macro	xen3_pattern_data
	.pushsection .data.pattern, "aw", @progbits
	.balign	4
	.globl	xen3_pattern
	.type	xen3_pattern, @object
xen3_pattern:
	.set	.Li, 0
	.rept	XEN3_PATTERN_WORDS
	.long	XEN3_PATTERN_BASE + .Li
	.set	.Li, .Li + 1
	.endr
	.size	xen3_pattern, . - xen3_pattern
	.popsection
	.endm

/*
 * xen_note TYPE, DESC...: one ELF note of owner "Xen" and type TYPE whose
 * descriptor is the assembler directives DESC (System V gABI, "Note
 * Section": namesz, descsz and type as 4-byte words, then the name and the
 * descriptor, each padded to 4 bytes). Notes go to the section .note.Xen,
 * which each guest's linker script places.
 */
	.macro	xen_note type:req, desc:vararg
	.pushsection .note.Xen, "a", @note
	.balign	4
	.long	.Lname_end\@ - .Lname\@		/* namesz, with the NUL */
	.long	.Ldesc_end\@ - .Ldesc\@		/* descsz, without padding */
	.long	\type
.Lname\@:
	.asciz	"Xen"
.Lname_end\@:
	.balign	4
.Ldesc\@:
	\desc
.Ldesc_end\@:
	.balign	4
	.popsection
	.endm

#else /* !__ASSEMBLER__ */

typedef unsigned char		u8;
typedef unsigned short		u16;
typedef unsigned int		u32;
typedef unsigned long long	u64;

/* Bounds of the zero-initialised data, from each guest's linker script. */
extern u8 __bss_start[], __bss_end[];

/* The initialised data pattern (x64-entry.S, pae-entry.S). */
extern const u32 xen3_pattern[XEN3_PATTERN_WORDS];

static inline void
xen3_outb(u16 port, u8 val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void
xen3_write(const char *s)
{
	while (*s != '\0')
		xen3_outb(XEN3_DEBUG_PORT, (u8)*s++);
}

static inline void
xen3_report(const char *name, int ok)
{
	xen3_write("check ");
	xen3_write(name);
	xen3_write(ok ? " ok\n" : " FAIL\n");
}

/*
 * start_info begins with magic[32], "xen-<version>-<platform>" (<xen/xen.h>,
 * struct start_info), e.g. "xen-3.0-x86_64" or "xen-3.0-x86_32p". Only the
 * common prefix is checked: the rest of the structure is the builder's
 * business and is checked from outside.
 */
static inline int
xen3_check_start_info(const char *si)
{
	static const char prefix[] = "xen-3.0-";
	unsigned int i;

	if (si == 0)
		return 0;
	for (i = 0; i < sizeof(prefix) - 1; i++)
		if (si[i] != prefix[i])
			return 0;
	return 1;
}

/* The initialised data arrived whole, at the address it was linked for. */
static inline int
xen3_check_pattern(void)
{
	u32 i;

	for (i = 0; i < XEN3_PATTERN_WORDS; i++)
		if (xen3_pattern[i] != XEN3_PATTERN_BASE + i)
			return 0;
	return 1;
}

/* Every byte of .bss reads zero: the builder zeroes each segment past
 * p_filesz. */
static inline int
xen3_check_bss(void)
{
	const volatile u8 *p;

	for (p = __bss_start; p < __bss_end; p++)
		if (*p != 0)
			return 0;
	return 1;
}

#endif /* !__ASSEMBLER__ */
#endif /* XEN3_H */
