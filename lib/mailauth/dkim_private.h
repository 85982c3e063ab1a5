/* What the DKIM files share inside lib/mailauth. */
#ifndef MAILAUTH_DKIM_PRIVATE_H
#define MAILAUTH_DKIM_PRIVATE_H

#include "mailauth/dkim.h"

/* Checks sig[0..sig_len) over the SHA-256 hash of data[0..size) with key
 * (for Ed25519 the signed bytes are the hash, RFC 8463 §3). Returns 1 if
 * it verifies, 0 if not. */
int dkim_key_verify(const struct dkim_key *key, enum dkim_alg alg,
                    const void *data, size_t size, const unsigned char *sig,
                    size_t sig_len);
/* Signs data[0..size) with key. Returns 0 with the signature appended to
 * out (raw bytes), or -1. */
int dkim_sign_key_sign(const struct dkim_sign_key *key, const void *data,
                       size_t size, struct buf *out);
enum dkim_alg dkim_sign_key_alg(const struct dkim_sign_key *key);
const char *dkim_sign_key_domain(const struct dkim_sign_key *key);
const char *dkim_sign_key_selector(const struct dkim_sign_key *key);

/* Appends the canonical header fields signed by h=
 * (headers[0..header_count)) from fields: for each name, the last field of
 * that name not used yet (§5.4.2); a name with none left adds nothing. */
struct mailauth_field;
void dkim_hash_headers(const struct mailauth_field *fields, size_t count,
                       const char *const *headers, size_t header_count,
                       bool relaxed, struct buf *out);
/* Appends the signature field raw[0..len) with the value of its b= tag
 * removed, canonicalized, without its final CRLF (§3.7). */
void dkim_hash_sig_field(const char *raw, size_t len, bool relaxed,
                         struct buf *out);

#endif
