/*
 * pv.c: error records, number parsing, whole writes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pv.h"

int
pv_fail(struct pv_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
pv_wrap(struct pv_err *e, const char *fmt, ...)
{
	char where[256], old[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(where, sizeof(where), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", where, old);
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
