/* SPDX-License-Identifier: ISC */
/*
 * check-text.h: the text side of the self-checking test guests, which a
 * freestanding kernel has no library for: a small printf, the reason a
 * check failed, the command line's key=value expectations and FNV-1a
 * sums. Included once by x64-check.h (the PV guests) and pvh-guest.c,
 * after u8, u32 and u64 are defined; putf writes to emit_console, which
 * each guest defines for its own console.
 */
#ifndef CHECK_TEXT_H
#define CHECK_TEXT_H

#if __SIZEOF_LONG__ == 4
/*
 * v / base, leaving v % base in *rem. A 32-bit guest has no libgcc to
 * divide 64-bit numbers (Debian's gcc ships none for -m32 without
 * gcc-multilib), so it shifts and subtracts; an x86_64 guest divides.
 */
static u64
divmod(u64 v, u64 base, u64 *rem)
{
	u64 q = 0, r = 0;
	int bit;

	for (bit = 63; bit >= 0; bit--) {
		r = r << 1 | ((v >> bit) & 1);
		if (r >= base) {
			r -= base;
			q |= 1ULL << bit;
		}
	}
	*rem = r;
	return q;
}
#endif

/*
 * A small printf: %s, %c, %d (u64, decimal) and %x (u64, "0x" and hex),
 * each character handed to `emit`. One formatted call instead of a chain
 * of puts keeps the guest's text small: the layout tests pin its pages.
 */
static void
format(void (*emit)(char), const char *f, __builtin_va_list ap)
{
	char buf[20];
	const char *s;
	u64 v, base;
#if __SIZEOF_LONG__ == 4
	u64 digit;
#endif
	int i;

	for (; *f != '\0'; f++) {
		if (*f != '%') {
			emit(*f);
			continue;
		}
		switch (*++f) {
		case 's':
			for (s = __builtin_va_arg(ap, const char *); *s; s++)
				emit(*s);
			continue;
		case 'c':
			emit((char)__builtin_va_arg(ap, int));
			continue;
		case 'x':
			emit('0');
			emit('x');
			base = 16;
			break;
		default:
			base = 10;
			break;
		}
		v = __builtin_va_arg(ap, u64);
		i = 0;
		do {
#if __SIZEOF_LONG__ == 4
			v = divmod(v, base, &digit);
			buf[i++] = "0123456789abcdef"[digit];
#else
			buf[i++] = "0123456789abcdef"[v % base];
			v /= base;
#endif
		} while (v != 0);
		while (i > 0)
			emit(buf[--i]);
	}
}

/* The guest's console, one character at a time: its own. */
static void	emit_console(char);

/* Format onto the guest's console. */
static void
putf(const char *f, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, f);
	format(emit_console, f, ap);
	__builtin_va_end(ap);
}

/*
 * Why the current check failed: set by fail(), printed by report(). Only
 * a check's first reason is kept.
 */
static char why_buf[200];
static unsigned why_len;
static int why_done;

static void
emit_why(char c)
{
	if (why_len < sizeof(why_buf) - 1)
		why_buf[why_len++] = c;
}

/* Give the reason a check failed; returns 0, the check's result. */
static int
fail(const char *f, ...)
{
	__builtin_va_list ap;

	if (!why_done) {
		__builtin_va_start(ap, f);
		format(emit_why, f, ap);
		__builtin_va_end(ap);
		why_done = 1;
	}
	return 0;
}

/* FNV-1a, 32 bits: the sums the test passes on the command line. */
#define FNV_OFFSET	0x811c9dc5u
#define FNV_PRIME	0x01000193u

static u32
fnv_add(u32 h, const u8 *p, u64 n)
{
	while (n-- > 0)
		h = (h ^ *p++) * FNV_PRIME;
	return h;
}

/* The length of `key` if `p` starts with it followed by '=', else 0. */
static unsigned
key_at(const char *p, const char *key)
{
	unsigned n;

	for (n = 0; key[n] != '\0'; n++)
		if (p[n] != key[n])
			return 0;
	return p[n] == '=' ? n : 0;
}

/*
 * The value of "KEY=" in the command line `s` (at its start or after a
 * space), in `base` 10 or 16, up to the next space; *at is where the key
 * starts. Returns 1 if found and well formed.
 */
static int
cmdline_value(const char *s, const char *key, unsigned base, u64 *v,
    const char **at)
{
	const char *p;
	unsigned n, d;

	for (p = s; *p != '\0'; p++) {
		if ((p != s && p[-1] != ' ') || (n = key_at(p, key)) == 0)
			continue;
		*at = p;
		*v = 0;
		for (p += n + 1; *p != '\0' && *p != ' '; p++) {
			if (*p >= '0' && *p <= '9')
				d = (unsigned)(*p - '0');
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = (unsigned)(*p - 'a' + 10);
			else
				return 0;
			*v = *v * base + d;
		}
		return p != *at + n + 1;
	}
	return 0;
}

#endif
