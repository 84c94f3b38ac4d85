/* SPDX-License-Identifier: ISC */
/*
 * pv.h: what every pvbuild program shares: exit codes, the error record that
 * code in common/ fills instead of printing, and overflow-safe arithmetic.
 */
#ifndef PV_H
#define PV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The version --version prints: VERSION's, with git describe's in a git
 * checkout (version.c).
 */
extern const char pv_version[];
#define PV_VERSION pv_version

/* The one table of exit codes, the same for every program (README). */
enum pv_exit {
	PV_EXIT_OK = 0,
	PV_EXIT_INPUT = 1,	/* bad image, initrd, plan or request */
	PV_EXIT_USAGE = 2,	/* bad command line */
	PV_EXIT_SYSTEM = 3,	/* system or backend failure */
};

#define PV_PAGE_SHIFT 12
#define PV_PAGE_SIZE ((uint64_t)1 << PV_PAGE_SHIFT)

/*
 * Code in common/ never prints or exits: it fills one of these and returns
 * -1. `code` is the exit code main should use; `msg` is "where: what",
 * one printable line (pv_escape) that the programs can print as it is.
 */
#define PV_MSG_SIZE 512

struct pv_err {
	int code;
	char msg[PV_MSG_SIZE];
};

/* Fill `e` with the message, escaped and cut as pv_escape does. */
int pv_fail(struct pv_err *, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * A failure that another program has already reported: `e` gets `code`
 * and an empty message, for which main prints nothing (cli_error); it is
 * returned to main as it is, not wrapped. As a stage's empty input from a
 * pipe: the stage before failed and said why, and that line should stand
 * alone.
 */
int pv_fail_reported(struct pv_err *, int code);
/* Prefix an existing message with "where: ", escaped and cut again. */
int pv_wrap(struct pv_err *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Messages quote what comes from outside (plans, file names, arguments),
 * and plans are untrusted while finalize runs as root: a quoted newline
 * would forge a log line, an escape sequence would drive the operator's
 * terminal. pv_escape writes `len` bytes of `src` into `dst` (`size` bytes,
 * at least PV_ESCAPE_MIN) as one printable line of valid UTF-8: every C0
 * control, DEL, byte that is not valid UTF-8, C1 control (U+0080..U+009F)
 * and Unicode line separator or bidirectional override is written as
 * \xHH per byte (\n, \r, \t for those three). A backslash is left as it
 * is, so that escaping is idempotent: a message that quotes another,
 * already escaped, is not escaped twice. When the escaped text does not
 * fit, its middle is cut out and marked "...": the start, which names the
 * file or field, and the end, which says what is wrong, are kept, the end
 * given twice the room. Returns the length written (NUL not counted).
 */
#define PV_ESCAPE_MIN 64
size_t pv_escape(char *dst, size_t size, const char *src, size_t len);

/* Is s (len bytes) valid UTF-8, as JSON strings, and so plans, must be? */
int pv_utf8_valid(const char *s, size_t len);

/*
 * Format into a buffer as large as the text needs (so that the end of a
 * long message is not lost), then pv_escape it into `dst`. Out of memory,
 * the formatted text is cut at 4 KiB first.
 */
size_t pv_vmessage(char *dst, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
size_t pv_message(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The range check every read of untrusted bytes goes through: is
 * [off, off + len) inside an object of `size` bytes? Written so that it
 * cannot overflow.
 */
static inline int
pv_inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* a + b into *sum; returns 0, or -1 when it would wrap. */
static inline int
pv_add(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum) ? -1 : 0;
}

static inline int
pv_mul(uint64_t a, uint64_t b, uint64_t *prod)
{
	return __builtin_mul_overflow(a, b, prod) ? -1 : 0;
}

/* Round up to a power-of-two `align`; -1 when it would wrap. */
static inline int
pv_roundup(uint64_t v, uint64_t align, uint64_t *out)
{
	uint64_t t;

	if (pv_add(v, align - 1, &t))
		return -1;
	*out = t & ~(align - 1);
	return 0;
}

/* Parse a SIZE: digits with an optional K, M or G suffix; bare is MiB. */
int pv_parse_size(const char *s, uint64_t *bytes);

/* Parse a decimal or 0x-prefixed unsigned number, the whole string. */
int pv_parse_u64(const char *s, uint64_t *v);

/* Write all of buf to fd at off (pwrite until done). */
int pv_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/*
 * Lower the calling thread's priority, this thread alone: 10 nicer than
 * it was, at most 19. For a helper whose work (a hash that follows the
 * data, a domain made while the plan comes) must not take a processor
 * from the decompression the whole build waits for; its work is done all
 * the same, on the processor the decompression leaves. Failure changes
 * nothing.
 */
void pv_thread_background(void);

/*
 * Little-endian stores and loads of n (1 to 8) bytes, the byte order of
 * every guest ABI; the stores keep the low n bytes of v.
 */
static inline void
pv_put_le(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t
pv_get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void pv_put32(uint8_t *p, uint64_t v) { pv_put_le(p, v, 4); }
static inline void pv_put64(uint8_t *p, uint64_t v) { pv_put_le(p, v, 8); }
static inline uint64_t pv_get16(const uint8_t *p) { return pv_get_le(p, 2); }
static inline uint64_t pv_get32(const uint8_t *p) { return pv_get_le(p, 4); }
static inline uint64_t pv_get64(const uint8_t *p) { return pv_get_le(p, 8); }

/* Seconds on CLOCK_MONOTONIC, for timeouts and measured durations. */
double pv_now(void);

#endif
