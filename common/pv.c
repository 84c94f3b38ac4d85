/* SPDX-License-Identifier: ISC */
/*
 * pv.c: error records and their escaping, number parsing, whole writes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pv.h"

/*
 * The length of the valid UTF-8 sequence at s (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF), its code point in *cp; 0 if there is none.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c, min;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int
pv_utf8_valid(const char *s, size_t len)
{
	uint32_t c;
	size_t i, n;

	for (i = 0; i < len; i += n)
		if ((n = utf8_seq((const unsigned char *)s + i, len - i,
		    &c)) == 0)
			return 0;
	return 1;
}

/*
 * Characters that are valid but must not reach a terminal or a log as they
 * are: C0, DEL and C1 controls, which move the cursor or start escape
 * sequences; the Unicode line and paragraph separators, which some viewers
 * break lines at; and the bidirectional embeddings, overrides and
 * isolates, which reorder what is shown.
 */
static int
unprintable(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
	    c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

/* The longest escaped form of one character: four bytes as \xHH. */
#define TOKEN_MAX 16

/*
 * The length of an escape pv_escape writes (\xHH, \n, \r, \t) at s, or
 * 0. Text escaped before (a message quoting another) keeps these whole as
 * one character each, so that a cut never splits one.
 */
static size_t
escaped_seq(const unsigned char *s, size_t len)
{
	if (len >= 2 && s[0] == '\\' &&
	    (s[1] == 'n' || s[1] == 'r' || s[1] == 't'))
		return 2;
	if (len >= 4 && s[0] == '\\' && s[1] == 'x' &&
	    isxdigit(s[2]) && isxdigit(s[3]))
		return 4;
	return 0;
}

/*
 * The character (or byte that starts none, or escape) at s[*i], as
 * pv_escape writes it, into tok; advances *i past it and returns the
 * length of tok.
 */
static size_t
next_token(const unsigned char *s, size_t len, size_t *i, char *tok)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t c = 0;
	size_t n = escaped_seq(s + *i, len - *i), k, out = 0;

	if (n == 0)
		n = utf8_seq(s + *i, len - *i, &c);
	else
		c = '\\';
	if (n != 0 && !unprintable(c)) {
		memcpy(tok, s + *i, n);
		*i += n;
		return n;
	}
	if (n == 0)
		n = 1;
	*i += n;
	if (c == '\n' || c == '\r' || c == '\t') {
		tok[0] = '\\';
		tok[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return 2;
	}
	for (k = 0; k < n; k++) {
		tok[out++] = '\\';
		tok[out++] = 'x';
		tok[out++] = hex[s[*i - n + k] >> 4];
		tok[out++] = hex[s[*i - n + k] & 15];
	}
	return out;
}

/*
 * Two passes over the characters: the first measures the escaped text; the
 * second writes it whole if it fits, else the characters that fit wholly
 * in the head's room from the start, "...", and those that fit in the
 * tail's room from the end. Cutting between characters keeps both halves
 * valid UTF-8 and every escape whole.
 */
size_t
pv_escape(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t room = size - 1, total = 0, head, tail, pos, out = 0, i, n;
	char tok[TOKEN_MAX];
	int in_head = 1;

	if (size < PV_ESCAPE_MIN) {
		if (size > 0)
			dst[0] = '\0';
		return 0;
	}
	for (i = 0; i < len;)
		total += next_token(s, len, &i, tok);
	head = total > room ? (room - 3) / 3 : room;
	tail = total > room ? room - 3 - head : 0;
	for (i = pos = 0; i < len; pos += n) {
		n = next_token(s, len, &i, tok);
		if (in_head && pos + n <= head) {
			memcpy(dst + out, tok, n);
			out += n;
			continue;
		}
		if (in_head) {
			memcpy(dst + out, "...", 3);
			out += 3;
			in_head = 0;
		}
		if (pos >= total - tail) {
			memcpy(dst + out, tok, n);
			out += n;
		}
	}
	dst[out] = '\0';
	return out;
}

size_t
pv_vmessage(char *dst, size_t size, const char *fmt, va_list ap)
{
	char stack[4096], *text = stack;
	va_list again;
	size_t len;
	int n;

	va_copy(again, ap);
	n = vsnprintf(stack, sizeof(stack), fmt, ap);
	len = n > 0 ? (size_t)n : 0;
	if (len >= sizeof(stack)) {
		if ((text = malloc(len + 1)) != NULL)
			vsnprintf(text, len + 1, fmt, again);
		else
			text = stack, len = sizeof(stack) - 1;
	}
	va_end(again);
	len = pv_escape(dst, size, text, len);
	if (text != stack)
		free(text);
	return len;
}

size_t
pv_message(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = pv_vmessage(dst, size, fmt, ap);
	va_end(ap);
	return len;
}

int
pv_fail(struct pv_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	pv_vmessage(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
pv_fail_reported(struct pv_err *e, int code)
{
	e->code = code;
	e->msg[0] = '\0';
	return -1;
}

int
pv_wrap(struct pv_err *e, const char *fmt, ...)
{
	char where[sizeof(e->msg)], old[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	pv_vmessage(where, sizeof(where), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	pv_message(e->msg, sizeof(e->msg), "%s: %s", where, old);
	return -1;
}

int
pv_parse_u64(const char *s, uint64_t *v)
{
	uint64_t n = 0;
	unsigned base = 10, d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		if (pv_mul(n, base, &n) || pv_add(n, d, &n))
			return -1;
	}
	*v = n;
	return 0;
}

int
pv_parse_size(const char *s, uint64_t *bytes)
{
	char digits[32];
	size_t len = strlen(s);
	unsigned shift = 20;
	uint64_t n;

	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, s, len + 1);
	switch (digits[len - 1]) {
	case 'K': case 'k': shift = 10; digits[--len] = '\0'; break;
	case 'M': case 'm': shift = 20; digits[--len] = '\0'; break;
	case 'G': case 'g': shift = 30; digits[--len] = '\0'; break;
	}
	if (len == 0 || strspn(digits, "0123456789") != len)
		return -1;
	if (pv_parse_u64(digits, &n) || n > (UINT64_MAX >> shift))
		return -1;
	*bytes = n << shift;
	return 0;
}

int
pv_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

double
pv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
pv_thread_background(void)
{
	/* On Linux a nice value is each thread's own. */
	id_t tid = (id_t)syscall(SYS_gettid);
	int now;

	errno = 0;
	now = getpriority(PRIO_PROCESS, tid);
	if (errno == 0 && now < 19)
		(void)setpriority(PRIO_PROCESS, tid, now + 10 > 19 ? 19 :
		    now + 10);
}
