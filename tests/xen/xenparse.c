/* SPDX-License-Identifier: ISC */
/*
 * xenparse [-v] IMAGE
 *
 * Asks Xen's own domain builder, libxenguest from Xen 4.17 (Debian's
 * libxen-dev), what it makes of a PV kernel image, and prints its decision
 * as one JSON object with sorted keys: whether it accepted the image (and
 * if not, where and with which error text), the loader that claimed it,
 * the guest type, the kernel's declarations as Xen parsed them (struct
 * elf_dom_parms) and every Xen ELF note Xen recorded. The agreement tests
 * compare this with pvbuild's elfinfo on the same image.
 *
 * No hypervisor is needed: the xc interface is opened with
 * XC_OPENFLAG_DUMMY, and only xc_dom_kernel_file and xc_dom_parse_image
 * run, which read the image and touch no domain. Xen's log messages are
 * captured rather than written to stderr; those at level ERROR and above
 * become the "error" member. When no loader claims an ELF image, the ELF
 * loader's probe is run again with a logger, and libelf's reason becomes
 * the "elf_probe_error" member. -v copies Xen's whole log to stderr.
 *
 * Exit status: 0 printed (accepted or not), 1 the image cannot be read,
 * 2 usage, 3 libxenguest could not be used or stdout could not be written.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenguest.h>
#include <xentoollog.h>
#include <xen/elfnote.h>
#include <xen/features.h>

enum {
	EXIT_OK = 0,
	EXIT_INPUT = 1,
	EXIT_USAGE = 2,
	EXIT_SYSTEM = 3,
};

/*
 * What Xen offers, as xc_version(XENVER_capabilities) reports it on a 64-bit
 * x86 host with 32-bit PV enabled. It decides the guest type of a bimodal
 * ELF32 kernel.
 */
#define XEN_CAPS "xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 " \
	"hvm-3.0-x86_32p hvm-3.0-x86_64"

/* Longest string note value printed; Xen's own strings are shorter. */
#define NOTE_STR_MAX 256

/*
 * libxenguest 4.17 keeps struct elf_dom_parms and struct xc_dom_loader to
 * itself: xenguest.h only names them, and libelf.h is not installed. The
 * two structs below restate their layout in Xen 4.17 (tools build, where
 * an elf_ptrval is a uintptr_t). main() checks the restatement at run time
 * against the accessors libxenguest exports (xc_dom_guest_os,
 * xc_dom_virt_base, xc_dom_virt_entry, xc_dom_virt_hypercall) and refuses
 * to print if they disagree, so a different Xen cannot give wrong facts.
 */
enum xp_note_type {
	XP_NOTE_NONE = 0,
	XP_NOTE_LONG = 1,
	XP_NOTE_STR = 2,
};

struct xp_note {
	enum xp_note_type type;
	const char *name;
	union {
		const char *str;
		uint64_t num;
	} data;
};

enum xp_pae {
	XP_PAE_NO = 0,
	XP_PAE_YES = 1,
	XP_PAE_EXTCR3 = 2,
	XP_PAE_BIMODAL = 3,
};

struct xp_dom_parms {
	/* Raw: where the declarations were found. */
	uintptr_t guest_info;
	uintptr_t elf_note_start;
	uintptr_t elf_note_end;
	struct xp_note elf_notes[XEN_ELFNOTE_MAX + 1];

	/* Parsed from the notes or the __xen_guest string. */
	char guest_os[16];
	char guest_ver[16];
	char xen_ver[16];
	char loader[16];
	enum xp_pae pae;
	bool bsd_symtab;
	bool unmapped_initrd;
	uint64_t virt_base;
	uint64_t virt_entry;
	uint64_t virt_hypercall;
	uint64_t virt_hv_start_low;
	uint64_t p2m_base;
	uint64_t elf_paddr_offset;
	uint32_t f_supported[XENFEAT_NR_SUBMAPS];
	uint32_t f_required[XENFEAT_NR_SUBMAPS];
	uint32_t phys_entry;

	/* Calculated from the program headers. */
	uint64_t virt_kstart;
	uint64_t virt_kend;
};

/* Only the first member of struct xc_dom_loader is read. */
struct xp_loader {
	const char *name;
};

/*
 * libelf, which libxenguest exports but no installed header declares.
 * struct elf_binary is private too; it is about 160 bytes in Xen 4.17,
 * and xenparse gives it far more room than that.
 */
struct elf_binary;
typedef void xp_elf_log(struct elf_binary *elf, void *data, bool iserr,
    const char *fmt, va_list al);
bool elf_is_elfbinary(const void *image, size_t size);
int elf_init(struct elf_binary *elf, const char *image, size_t size);
void elf_set_log(struct elf_binary *elf, xp_elf_log *log, void *data,
    bool verbose);
void elf_parse_binary(struct elf_binary *elf);
int elf_xen_parse(struct elf_binary *elf, struct xp_dom_parms *parms,
    bool hvm);

#define ELF_BINARY_ROOM 16384
#define DOM_PARMS_ROOM 16384

_Static_assert(XENFEAT_NR_SUBMAPS == 1, "one feature word is printed");

/*
 * A xentoollog logger that keeps Xen's messages of level ERROR and above
 * (one a line) and, when verbose, copies every message to stderr.
 */
struct capture {
	struct xentoollog_logger vtable;
	FILE *errors;
	char *text;
	size_t len;
	unsigned int count;
	bool verbose;
};

static void
capture_vmessage(struct xentoollog_logger *logger, xentoollog_level level,
    int errnoval, const char *context, const char *format, va_list al)
{
	struct capture *cap = (struct capture *)logger;
	va_list copy;

	if (cap->verbose) {
		va_copy(copy, al);
		fprintf(stderr, "xen %s: ", xtl_level_to_string(level));
		vfprintf(stderr, format, copy);
		fputc('\n', stderr);
		va_end(copy);
	}
	if (level < XTL_ERROR || cap->errors == NULL)
		return;
	if (cap->count++ > 0)
		fputc('\n', cap->errors);
	vfprintf(cap->errors, format, al);
	if (errnoval > 0)
		fprintf(cap->errors, ": %s", strerror(errnoval));
}

static void
capture_destroy(struct xentoollog_logger *logger)
{
}

/* The captured error text, trailing newlines dropped; NULL if none. */
static const char *
capture_text(struct capture *cap)
{
	if (cap->errors == NULL || fflush(cap->errors) != 0 || cap->count == 0)
		return NULL;
	while (cap->len > 0 && cap->text[cap->len - 1] == '\n')
		cap->text[--cap->len] = '\0';
	return cap->text;
}

/*
 * The output object: members collected in any order, printed sorted by
 * key. Values are JSON text already.
 */
#define MAX_MEMBERS 40

struct member {
	const char *key;
	char *value;
};

struct object {
	struct member m[MAX_MEMBERS];
	size_t n;
	bool failed;
};

static void
put_raw(struct object *obj, const char *key, char *value)
{
	if (value == NULL || obj->n == MAX_MEMBERS) {
		obj->failed = true;
		free(value);
		return;
	}
	obj->m[obj->n].key = key;
	obj->m[obj->n].value = value;
	obj->n++;
}

static void
put_fmt(struct object *obj, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
put_fmt(struct object *obj, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *value;

	va_start(ap, fmt);
	if (vasprintf(&value, fmt, ap) < 0)
		value = NULL;
	va_end(ap);
	put_raw(obj, key, value);
}

/* Writes s, at most max bytes of it, as a JSON string. */
static void
json_string(FILE *f, const char *s, size_t max)
{
	size_t i, len = strnlen(s, max);

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
put_str(struct object *obj, const char *key, const char *s, size_t max)
{
	char *value = NULL;
	size_t len = 0;
	FILE *f;

	if (s == NULL) {
		put_fmt(obj, key, "null");
		return;
	}
	f = open_memstream(&value, &len);
	if (f == NULL) {
		obj->failed = true;
		return;
	}
	json_string(f, s, max);
	if (fclose(f) != 0) {
		free(value);
		value = NULL;
	}
	put_raw(obj, key, value);
}

static void
put_addr(struct object *obj, const char *key, uint64_t v)
{
	put_fmt(obj, key, "\"0x%" PRIx64 "\"", v);
}

static void
put_bool(struct object *obj, const char *key, bool v)
{
	put_fmt(obj, key, "%s", v ? "true" : "false");
}

static int
member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->key,
	    ((const struct member *)b)->key);
}

static void
object_print(struct object *obj, FILE *f, const char *indent)
{
	size_t i;

	qsort(obj->m, obj->n, sizeof(obj->m[0]), member_cmp);
	if (obj->n == 0) {
		fputs("{}", f);
		return;
	}
	fputs("{\n", f);
	for (i = 0; i < obj->n; i++) {
		fprintf(f, "%s  ", indent);
		json_string(f, obj->m[i].key, SIZE_MAX);
		fprintf(f, ": %s%s\n", obj->m[i].value,
		    i + 1 < obj->n ? "," : "");
	}
	fprintf(f, "%s}", indent);
}

static void
object_free(struct object *obj)
{
	size_t i;

	for (i = 0; i < obj->n; i++)
		free(obj->m[i].value);
	obj->n = 0;
}

/* The Xen ELF notes Xen recorded, as an object keyed by Xen's note name. */
static char *
notes_json(const struct xp_dom_parms *parms)
{
	struct object notes = { .n = 0 };
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	for (i = 0; i <= XEN_ELFNOTE_MAX; i++) {
		const struct xp_note *note = &parms->elf_notes[i];

		if (note->name == NULL)
			continue;
		if (note->type == XP_NOTE_STR && note->data.str != NULL)
			put_str(&notes, note->name, note->data.str,
			    NOTE_STR_MAX);
		else if (note->type == XP_NOTE_LONG)
			put_addr(&notes, note->name, note->data.num);
		else
			put_fmt(&notes, note->name, "null");
	}
	f = open_memstream(&text, &len);
	if (f != NULL) {
		object_print(&notes, f, "  ");
		if (fclose(f) != 0 || notes.failed) {
			free(text);
			text = NULL;
		}
	}
	object_free(&notes);
	return text;
}

static const char *
pae_name(enum xp_pae pae)
{
	switch (pae) {
	case XP_PAE_NO:
		return "no";
	case XP_PAE_YES:
		return "yes";
	case XP_PAE_EXTCR3:
		return "extcr3";
	case XP_PAE_BIMODAL:
		return "bimodal";
	}
	return "unknown";
}

static void
probe_log(struct elf_binary *elf, void *data, bool iserr, const char *fmt,
    va_list al)
{
	capture_vmessage(data, iserr ? XTL_ERROR : XTL_DETAIL, -1, "libelf",
	    fmt, al);
}

/*
 * When no loader claims an ELF image, Xen says only "no loader found":
 * the ELF loader's probe runs libelf without a logger, so the reason it
 * refused is lost. This runs the probe's steps again (elf_init,
 * elf_parse_binary, elf_xen_parse as for a PV container) with a logger
 * and returns libelf's error text, or NULL if it reported none.
 */
static const char *
probe_again(struct capture *cap, const void *image, size_t size)
{
	static _Alignas(max_align_t) unsigned char elf_room[ELF_BINARY_ROOM];
	static _Alignas(max_align_t) unsigned char parms_room[DOM_PARMS_ROOM];
	struct elf_binary *elf = (struct elf_binary *)elf_room;

	if (!elf_is_elfbinary(image, size))
		return NULL;
	if (elf_init(elf, image, size) == 0) {
		elf_set_log(elf, probe_log, cap, cap->verbose);
		elf_parse_binary(elf);
		elf_xen_parse(elf, (struct xp_dom_parms *)parms_room, false);
	}
	return capture_text(cap);
}

static void
usage(void)
{
	fprintf(stderr, "usage: xenparse [-v] IMAGE\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	struct capture cap = {
		.vtable = {
			.vmessage = capture_vmessage,
			.destroy = capture_destroy,
		},
	};
	struct object obj = { .n = 0 };
	struct xc_dom_image *dom;
	const struct xp_dom_parms *parms;
	const char *path, *failed_in = NULL;
	struct stat st;
	xc_interface *xch;
	size_t kernel_size = 0;
	bool accepted;
	int c, rc;

	while ((c = getopt(argc, argv, "v")) != -1) {
		switch (c) {
		case 'v':
			cap.verbose = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	path = argv[optind];

	if (access(path, R_OK) != 0 || stat(path, &st) != 0) {
		fprintf(stderr, "xenparse: %s: %s\n", path, strerror(errno));
		return EXIT_INPUT;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "xenparse: %s: not a regular file\n", path);
		return EXIT_INPUT;
	}

	cap.errors = open_memstream(&cap.text, &cap.len);
	xch = xc_interface_open(&cap.vtable, &cap.vtable, XC_OPENFLAG_DUMMY);
	if (xch == NULL || cap.errors == NULL) {
		fprintf(stderr, "xenparse: cannot open a dummy xc interface\n");
		return EXIT_SYSTEM;
	}
	dom = xc_dom_allocate(xch, NULL, NULL);
	if (dom == NULL) {
		fprintf(stderr, "xenparse: xc_dom_allocate failed\n");
		xc_interface_close(xch);
		return EXIT_SYSTEM;
	}
	snprintf(dom->xen_caps, sizeof(dom->xen_caps), "%s", XEN_CAPS);

	if (xc_dom_kernel_file(dom, path) != 0) {
		failed_in = "xc_dom_kernel_file";
	} else {
		kernel_size = dom->kernel_size;
		if (xc_dom_parse_image(dom) != 0)
			failed_in = "xc_dom_parse_image";
	}
	accepted = failed_in == NULL;

	parms = (const struct xp_dom_parms *)dom->parms;
	if (parms == NULL ||
	    xc_dom_guest_os(dom) != parms->guest_os ||
	    xc_dom_virt_base(dom) != parms->virt_base ||
	    xc_dom_virt_entry(dom) != parms->virt_entry ||
	    xc_dom_virt_hypercall(dom) != parms->virt_hypercall) {
		fprintf(stderr, "xenparse: libxenguest's struct elf_dom_parms "
		    "is not Xen 4.17's\n");
		xc_dom_release(dom);
		xc_interface_close(xch);
		return EXIT_SYSTEM;
	}

	put_bool(&obj, "accepted", accepted);
	put_str(&obj, "error", accepted ? NULL : capture_text(&cap), SIZE_MAX);
	if (!accepted && dom->kernel_loader == NULL && kernel_size > 0) {
		/* The loader probe's reason, told apart from the error above. */
		fclose(cap.errors);
		free(cap.text);
		cap.text = NULL;
		cap.len = 0;
		cap.count = 0;
		cap.errors = open_memstream(&cap.text, &cap.len);
		put_str(&obj, "elf_probe_error", probe_again(&cap,
		    dom->kernel_blob, dom->kernel_size), SIZE_MAX);
	} else {
		put_fmt(&obj, "elf_probe_error", "null");
	}
	put_str(&obj, "failed_in", failed_in, SIZE_MAX);
	put_fmt(&obj, "file_size", "%jd", (intmax_t)st.st_size);
	if (kernel_size > 0) {
		/* After gunzip, before a bzImage's payload is taken out. */
		put_fmt(&obj, "kernel_size", "%zu", kernel_size);
		/* The ELF image Xen parsed, a bzImage's payload decompressed. */
		put_fmt(&obj, "elf_size", "%zu", dom->kernel_size);
	} else {
		put_fmt(&obj, "kernel_size", "null");
		put_fmt(&obj, "elf_size", "null");
	}
	put_str(&obj, "kernel_loader", dom->kernel_loader == NULL ? NULL :
	    ((const struct xp_loader *)dom->kernel_loader)->name, SIZE_MAX);
	put_str(&obj, "guest_type", dom->guest_type, SIZE_MAX);
	put_str(&obj, "guest_os", parms->guest_os, sizeof(parms->guest_os));
	put_str(&obj, "guest_ver", parms->guest_ver, sizeof(parms->guest_ver));
	put_str(&obj, "xen_ver", parms->xen_ver, sizeof(parms->xen_ver));
	put_str(&obj, "loader", parms->loader, sizeof(parms->loader));
	put_str(&obj, "pae", pae_name(parms->pae), SIZE_MAX);
	put_bool(&obj, "bsd_symtab", parms->bsd_symtab);
	put_bool(&obj, "unmapped_initrd", parms->unmapped_initrd);
	put_addr(&obj, "virt_base", parms->virt_base);
	put_addr(&obj, "virt_entry", parms->virt_entry);
	put_addr(&obj, "virt_hypercall", parms->virt_hypercall);
	put_addr(&obj, "virt_hv_start_low", parms->virt_hv_start_low);
	put_addr(&obj, "p2m_base", parms->p2m_base);
	put_addr(&obj, "elf_paddr_offset", parms->elf_paddr_offset);
	put_addr(&obj, "virt_kstart", parms->virt_kstart);
	put_addr(&obj, "virt_kend", parms->virt_kend);
	put_addr(&obj, "phys_entry", parms->phys_entry);
	put_fmt(&obj, "f_supported", "\"0x%08" PRIx32 "\"",
	    parms->f_supported[0]);
	put_fmt(&obj, "f_required", "\"0x%08" PRIx32 "\"",
	    parms->f_required[0]);
	put_raw(&obj, "notes", notes_json(parms));

	rc = EXIT_OK;
	if (obj.failed) {
		fprintf(stderr, "xenparse: out of memory\n");
		rc = EXIT_SYSTEM;
	} else {
		object_print(&obj, stdout, "");
		putchar('\n');
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "xenparse: stdout: %s\n",
			    strerror(errno));
			rc = EXIT_SYSTEM;
		}
	}
	object_free(&obj);
	xc_dom_release(dom);
	xc_interface_close(xch);
	if (cap.errors != NULL)
		fclose(cap.errors);
	free(cap.text);
	return rc;
}
