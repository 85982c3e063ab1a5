/* SHA-256 over OpenSSL EVP (FIPS 180-4), hex-encoded for blob ids. */
#include "core/digest.h"
#include "core/log.h"

#include <openssl/evp.h>

struct digest_sha256 {
	EVP_MD_CTX *md;
	int is_final;
};

struct digest_sha256 *digest_sha256_new(void)
{
	struct digest_sha256 *ctx;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		log_panic("EVP_DigestInit_ex(sha256) failed");
	ctx = OPENSSL_zalloc(sizeof(*ctx));
	if (ctx == NULL)
		log_panic("out of memory");
	ctx->md = md;
	return ctx;
}

void digest_sha256_update(struct digest_sha256 *ctx, const void *data,
                          size_t size)
{
	ASSERT(!ctx->is_final);
	if (size > 0 && EVP_DigestUpdate(ctx->md, data, size) != 1)
		log_panic("EVP_DigestUpdate failed");
}

void digest_sha256_final_hex(struct digest_sha256 *ctx,
                             char hex_r[DIGEST_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ASSERT(!ctx->is_final);
	if (EVP_DigestFinal_ex(ctx->md, md, &len) != 1 ||
	    len != DIGEST_SHA256_SIZE)
		log_panic("EVP_DigestFinal_ex failed");
	ctx->is_final = 1;
	for (unsigned i = 0; i < len; i++) {
		hex_r[2 * i] = digits[md[i] >> 4];
		hex_r[2 * i + 1] = digits[md[i] & 15];
	}
	hex_r[DIGEST_SHA256_HEX_LEN] = '\0';
}

void digest_sha256_free(struct digest_sha256 **ctx)
{
	if (*ctx == NULL)
		return;
	EVP_MD_CTX_free((*ctx)->md);
	OPENSSL_free(*ctx);
	*ctx = NULL;
}

void digest_sha256_hex(const void *data, size_t size,
                       char hex_r[DIGEST_SHA256_HEX_LEN + 1])
{
	struct digest_sha256 *ctx = digest_sha256_new();
	digest_sha256_update(ctx, data, size);
	digest_sha256_final_hex(ctx, hex_r);
	digest_sha256_free(&ctx);
}

void digest_sha1(const void *data, size_t size,
                 unsigned char out_r[DIGEST_SHA1_SIZE])
{
	unsigned int len = DIGEST_SHA1_SIZE;
	if (EVP_Digest(data, size, out_r, &len, EVP_sha1(), NULL) != 1 ||
	    len != DIGEST_SHA1_SIZE)
		log_panic("EVP_Digest(sha1) failed");
}
