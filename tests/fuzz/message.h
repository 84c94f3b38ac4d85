/* SPDX-License-Identifier: ISC */
/*
 * message.h: what the fuzz targets ask of every error message: one line
 * that a program prints as it is (README, "Exit codes"), so that no input
 * can forge a log line or drive a terminal. Checked here byte by byte,
 * apart from pv_escape, which is what makes it so: valid UTF-8 (shortest
 * forms, no surrogates, at most U+10FFFF) without a C0 or C1 control,
 * DEL or a Unicode line or paragraph separator, NUL-terminated inside the
 * record, and not empty.
 */
#ifndef FUZZ_MESSAGE_H
#define FUZZ_MESSAGE_H

#include <stdint.h>
#include <string.h>

#include "pv.h"

static int
message_is_one_line(const char *msg)
{
	/* The least code point of each length, which shortest form needs. */
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	const unsigned char *s = (const unsigned char *)msg;
	size_t len = strnlen(msg, PV_MSG_SIZE), i, n, k;
	uint32_t c;

	if (len == 0 || len == PV_MSG_SIZE)
		return 0;
	for (i = 0; i < len; i += n) {
		n = s[i] < 0x80 ? 1 : (s[i] & 0xe0) == 0xc0 ? 2 :
		    (s[i] & 0xf0) == 0xe0 ? 3 : (s[i] & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || n > len - i)
			return 0;
		c = n == 1 ? s[i] : s[i] & (0x7f >> n);
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < least[n] || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff) || c < 0x20 ||
		    (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029)
			return 0;
	}
	return 1;
}

#endif
