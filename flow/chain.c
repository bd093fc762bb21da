/* Hash chain primitives (flow/chain.h), on OpenSSL's libcrypto: its
 * SHA-256 uses the CPU's SHA extensions, which a hand-written one would not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

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

/* OpenSSL 3's one-shot SHA256() and HMAC() look the algorithm up by name
 * on every call (a lock and string compares: most of their cost on short
 * lines); the method is fetched once here and HMAC is built from it. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* SHA-256 of <a> followed by <b> (b may be empty). */
static void sha256(const void *a, size_t alen, const void *b, size_t blen,
		   uint8_t out[DFL_CHAIN_LEN])
{
	EVP_MD_CTX *ctx;

	pthread_once(&sha256_once, fetch_sha256);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !sha256_md ||
	    !EVP_DigestInit_ex2(ctx, sha256_md, NULL) ||
	    !EVP_DigestUpdate(ctx, a, alen) ||
	    (blen && !EVP_DigestUpdate(ctx, b, blen)) ||
	    !EVP_DigestFinal_ex(ctx, out, NULL)) {
		/* out of memory in libcrypto: the hashes cannot be computed,
		 * which must not pass for a match */
		abort();
	}
	EVP_MD_CTX_free(ctx);
}

/* RFC 2104 HMAC-SHA-256 with a key of at most one block (64 bytes). */
static void hmac(const struct dfl_chain *c, const void *data, size_t len,
		 uint8_t out[DFL_CHAIN_LEN])
{
	uint8_t ipad[64] = {0}, opad[64], inner[DFL_CHAIN_LEN];

	memcpy(ipad, c->key, c->key_len);
	for (int i = 0; i < 64; i++) {
		opad[i] = ipad[i] ^ 0x5c;
		ipad[i] ^= 0x36;
	}
	sha256(ipad, sizeof(ipad), data, len, inner);
	sha256(opad, sizeof(opad), inner, sizeof(inner), out);
}

static void hash(const struct dfl_chain *c, const void *data, size_t len,
		 uint8_t out[DFL_CHAIN_LEN])
{
	if (c->key_len)
		hmac(c, data, len, out);
	else
		sha256(data, len, NULL, 0, out);
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
	sha256(c->key, c->key_len, NULL, 0, id);
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
		int hi = nibble(in[2 * i]),
		    lo = hi < 0 ? -1 : nibble(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return in[2 * n] == '\0' || in[2 * n] == ' ' || in[2 * n] == '\n'
		   ? 0
		   : -EINVAL;
}
