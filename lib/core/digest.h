/* Message digests for content addressing: SHA-256 (FIPS 180-4) through
 * OpenSSL's EVP interface, with lowercase hex output. OpenSSL stays inside
 * lib/core (STYLE.md §2); other modules use this header. */
#ifndef CORE_DIGEST_H
#define CORE_DIGEST_H

#include <stddef.h>

#define DIGEST_SHA256_SIZE 32
#define DIGEST_SHA256_HEX_LEN 64 /* without the NUL */

struct digest_sha256;

/* Returns a new SHA-256 context. Never fails (aborts if OpenSSL cannot make
 * one, which only happens out of memory). */
struct digest_sha256 *digest_sha256_new(void);
/* Feeds size bytes of data into the digest. */
void digest_sha256_update(struct digest_sha256 *ctx, const void *data,
                          size_t size);
/* Finishes the digest and writes it as 64 lowercase hex digits and a NUL
 * into hex_r. The context can not be updated afterwards, only freed. */
void digest_sha256_final_hex(struct digest_sha256 *ctx,
                             char hex_r[DIGEST_SHA256_HEX_LEN + 1]);
/* Frees *ctx and sets it to NULL; accepts NULL. */
void digest_sha256_free(struct digest_sha256 **ctx);
/* One-shot: the hex SHA-256 of data. */
void digest_sha256_hex(const void *data, size_t size,
                       char hex_r[DIGEST_SHA256_HEX_LEN + 1]);

#define DIGEST_SHA1_SIZE 20

/* One-shot SHA-1 (FIPS 180-4) of data: only for protocols that name it,
 * such as the WebSocket handshake's Sec-WebSocket-Accept (RFC 6455 §4.2.2),
 * never for security. */
void digest_sha1(const void *data, size_t size,
                 unsigned char out_r[DIGEST_SHA1_SIZE]);

#endif
