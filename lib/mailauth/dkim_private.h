/* What the DKIM files share inside lib/mailauth. */
#ifndef MAILAUTH_DKIM_PRIVATE_H
#define MAILAUTH_DKIM_PRIVATE_H

#include "mailauth/dkim.h"

struct buf;
struct pool;

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

/* The h= list of a signature over fields: each field of
 * dkim_sign_headers present, as often as present plus once (From always),
 * then each field named in extra (NULL-terminated, or NULL) as often as
 * present. Returns the count, with the names from pool in *names_r. */
size_t dkim_sign_header_names(const struct mailauth_field *fields, size_t count,
                              const char *const *extra, struct pool *pool,
                              const char ***names_r);
/* Appends "h=name:name...;" folded before 70 columns. */
void dkim_sign_fold_names(const char *const *names, size_t n, struct buf *out);
/* Appends the signature sig (raw bytes) in base64, folded every 64
 * characters, and the CRLF that ends the field. */
void dkim_sign_append_b(const struct buf *sig, struct buf *out);

/* ---- ARC (RFC 8617) over the same parts --------------------------------- */

/* The highest ARC instance (RFC 8617 §4.2.1). */
#define DKIM_ARC_INSTANCE_MAX 50

/* instance = 1*2DIGIT; 1 to DKIM_ARC_INSTANCE_MAX. Returns 0 with
 * *instance_r, or -1 (NULL, not a number, out of range). */
int dkim_arc_instance(const char *value, unsigned *instance_r);
/* Parses the value of an ARC-Message-Signature (is_seal false: the DKIM
 * tags without v=, i= the instance, §4.1.2) or an ARC-Seal (is_seal: a, b,
 * cv, d, i, s, t and no h=, §4.1.3; header_relaxed set). Returns 0 with
 * *sig_r (auid NULL), *instance_r and for a seal *cv_r (as written, from
 * pool), or -1 with a static reason. */
int dkim_sig_parse_arc(const char *value, size_t len, bool is_seal,
                       struct pool *pool, struct dkim_sig *sig_r,
                       unsigned *instance_r, const char **cv_r,
                       const char **error_r);

#endif
