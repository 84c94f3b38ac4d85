/*
 * digest.c: sha256 as hex (digest.h), through OpenSSL's EVP interface,
 * which uses the processor's SHA instructions where it has them.
 */
#include <string.h>

#include <openssl/evp.h>

#include "digest.h"

void
digest_sha256(const uint8_t *buf, uint64_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	unsigned i;

	EVP_Digest(buf, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

int
digest_valid(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}
