/* Hash chain primitives (flow/chain.h), on OpenSSL's libcrypto: its
 * SHA-256 uses the CPU's SHA extensions, which a hand-written one would not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "flow/chain.h"

int dfl_chain__init(struct dfl_chain *c, const uint8_t *prev, const void *key,
		    size_t key_len)
{
	if (key_len > sizeof(c->key))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (prev)
		memcpy(c->head, prev, DFL_CHAIN_LEN);
	if (key_len)
		memcpy(c->key, key, key_len);
	c->key_len = key_len;
	return 0;
}

static void hash(const struct dfl_chain *c, const void *data, size_t len,
		 uint8_t out[DFL_CHAIN_LEN])
{
	unsigned int n = DFL_CHAIN_LEN;

	if (c->key_len)
		HMAC(EVP_sha256(), c->key, (int)c->key_len, data, len, out, &n);
	else
		SHA256(data, len, out);
}

void dfl_chain__digest(const struct dfl_chain *c, const char *line, size_t len,
		       uint8_t digest[DFL_CHAIN_LEN])
{
	hash(c, line, len, digest);
}

void dfl_chain__step(struct dfl_chain *c, const uint8_t digest[DFL_CHAIN_LEN])
{
	uint8_t buf[2 * DFL_CHAIN_LEN];

	memcpy(buf, c->head, DFL_CHAIN_LEN);
	memcpy(buf + DFL_CHAIN_LEN, digest, DFL_CHAIN_LEN);
	hash(c, buf, sizeof(buf), c->head);
	c->n++;
}

void dfl_chain__alg(const struct dfl_chain *c, char *buf, size_t len)
{
	uint8_t id[DFL_CHAIN_LEN];
	char hex[17];

	if (!c->key_len) {
		snprintf(buf, len, "sha256");
		return;
	}
	/* identifies the key without revealing it */
	SHA256(c->key, c->key_len, id);
	dfl_hex(id, 8, hex);
	snprintf(buf, len, "hmac-sha256 %s", hex);
}

void dfl_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dfl_unhex(const char *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(in[2 * i]), lo = hi < 0 ? -1 : nibble(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return in[2 * n] == '\0' || in[2 * n] == ' ' || in[2 * n] == '\n' ?
		       0 :
		       -EINVAL;
}
