/* DKIM (RFC 6376) signing and verification with rsa-sha256 and
 * ed25519-sha256 (RFC 8463); rsa-sha1 is refused (RFC 8301 §3.1), as are
 * RSA keys under dkim_verify_settings.min_rsa_bits (at least 1024, RFC 8301
 * §3.2). The tag-list parser (§3.2) serves signatures and key records; the
 * body is hashed as it streams (§3.4.3, §3.4.4, §3.7), so a verifier or a
 * signer never holds more than the header section. DNS stays outside: a
 * verifier names the key records it needs (selector._domainkey.domain)
 * and is handed their TXT answers. OpenSSL only inside lib/mailauth. */
#ifndef MAILAUTH_DKIM_H
#define MAILAUTH_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct pool;

/* ---- Tag lists (RFC 6376 §3.2) ------------------------------------------ */

struct dkim_tag {
	const char *name;  /* NUL-terminated, from the pool */
	const char *value; /* trimmed of surrounding FWS */
};

#define DKIM_TAGS_MAX 64

/* tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 * tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 * tag-name  =  ALPHA *ALNUMPUNC
 * tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
 * Parses data[0..size). Returns 0 with *count_r tags from pool in *tags_r,
 * or -1 with a static reason: bad syntax, a duplicate name (§3.2: the whole
 * list is then invalid), more than DKIM_TAGS_MAX tags, or a NUL. */
int dkim_tags_parse(const char *data, size_t size, struct pool *pool,
                    struct dkim_tag **tags_r, size_t *count_r,
                    const char **error_r);
/* Returns the value of tag name in tags, or NULL. */
const char *dkim_tags_get(const struct dkim_tag *tags, size_t count,
                          const char *name);

/* ---- Signatures (§3.5) and key records (§3.6.1) -------------------------- */

enum dkim_alg { DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256 };

struct dkim_sig {
	enum dkim_alg alg;
	bool header_relaxed, body_relaxed; /* c= */
	const char *domain;                /* d=, lower case */
	const char *selector;              /* s= */
	const char *auid;                  /* i=, or "@" d= when absent */
	const char **headers;              /* h=, as written */
	size_t header_count;
	unsigned char *b, *bh; /* decoded b= and bh= */
	size_t b_len, bh_len;
	const char *b_text; /* b= as written, FWS removed (header.b) */
	bool has_length;    /* l= */
	uint64_t length;
	bool has_timestamp, has_expire; /* t=, x= */
	time_t timestamp, expire;
};

/* Parses the value of a DKIM-Signature field (the bytes after its colon).
 * Returns 0 with *sig_r from pool, or -1 with a static reason (a permerror
 * of RFC 6376 §6.1.1: missing or bad required tag, v= not 1, an unknown
 * or refused a=, h= without From, i= outside d=, x= before t=). */
int dkim_sig_parse(const char *value, size_t len, struct pool *pool,
                   struct dkim_sig *sig_r, const char **error_r);

struct dkim_key;

/* Parses a key record (TXT at selector._domainkey.domain, §3.6.1:
 * v=DKIM1; k=rsa|ed25519; p=...). Returns 0 with a new key in *key_r, or
 * -1 with a static reason; an empty p= gives the reason "key revoked". */
int dkim_key_parse(const char *txt, size_t len, struct dkim_key **key_r,
                   const char **error_r);
void dkim_key_free(struct dkim_key **key);
/* Key size in bits (RSA modulus; 256 for Ed25519). */
unsigned dkim_key_bits(const struct dkim_key *key);
bool dkim_key_is_ed25519(const struct dkim_key *key);
/* t=y: the domain is testing DKIM (§3.6.1). */
bool dkim_key_is_testing(const struct dkim_key *key);
/* t=s: i= must be exactly in d=, not a subdomain. */
bool dkim_key_is_strict(const struct dkim_key *key);

/* ---- Canonicalization (§3.4) --------------------------------------------- */

/* Appends the canonical form of the field raw[0..len) (name, colon,
 * value, with its CRLF): relaxed (§3.4.2) or simple (§3.4.1, as is). */
void dkim_canon_header(const char *raw, size_t len, bool relaxed,
                       struct buf *out);

/* A streaming body hash (SHA-256 of the canonical body, §3.7), cut at
 * limit bytes of canonical body (UINT64_MAX: none). */
struct dkim_body;
struct dkim_body *dkim_body_new(bool relaxed, uint64_t limit);
void dkim_body_free(struct dkim_body **body);
/* Feeds body bytes (the message after its header's empty line). */
void dkim_body_feed(struct dkim_body *body, const void *data, size_t size);
/* Ends the body and writes the 32-byte hash to digest. Returns the
 * canonical body length (all of it, past the limit too). */
uint64_t dkim_body_finish(struct dkim_body *body, unsigned char digest[32]);

/* ---- Verifying (§6) -------------------------------------------------------
 */

/* RFC 8601 §2.7.1 results */
enum dkim_status {
	DKIM_STATUS_NONE,
	DKIM_STATUS_PASS,
	DKIM_STATUS_FAIL,
	DKIM_STATUS_POLICY, /* valid, but not acceptable here (l=) */
	DKIM_STATUS_NEUTRAL,
	DKIM_STATUS_TEMPERROR,
	DKIM_STATUS_PERMERROR,
};

/* Returns "none", "pass", "fail", ... */
const char *dkim_status_name(enum dkim_status status);

struct dkim_verify_settings {
	unsigned min_rsa_bits;   /* shorter RSA keys: permerror (RFC 8301) */
	bool refuse_length;      /* l= shorter than the body: policy */
	unsigned max_signatures; /* more are not checked */
};

#define DKIM_VERIFY_SETTINGS_DEFAULT                                           \
	{                                                                      \
		.min_rsa_bits = 1024, .refuse_length = true,                   \
		.max_signatures = 5                                            \
	}

struct dkim_result {
	enum dkim_status status;
	const char *reason;   /* for a status other than pass, or NULL */
	const char *domain;   /* d=, or NULL when unparsable */
	const char *selector; /* s= */
	const char *auid;     /* i= */
	const char *b;        /* the first 8 characters of b= (header.b) */
	enum dkim_alg alg;
	unsigned key_bits;
	bool is_testing; /* the key says t=y */
};

struct dkim_verify;

/* Starts verifying the message whose header section is
 * header[0..size) (copied). now is the time for x= (expiry). Every
 * DKIM-Signature field is looked at, top first, at most
 * set->max_signatures of them. */
struct dkim_verify *dkim_verify_new(const char *header, size_t size,
                                    const struct dkim_verify_settings *set,
                                    time_t now);
void dkim_verify_free(struct dkim_verify **v);
/* The number of signatures being checked. */
size_t dkim_verify_count(const struct dkim_verify *v);
/* The key record signature i needs ("s._domainkey.d"), or NULL when its
 * result is already known (unparsable signature). Lives with v. */
const char *dkim_verify_key_name(const struct dkim_verify *v, size_t i);
void dkim_verify_body(struct dkim_verify *v, const void *data, size_t size);
/* The body ended. */
void dkim_verify_body_end(struct dkim_verify *v);

enum dkim_key_answer {
	DKIM_KEY_FOUND,    /* txt[0..count) are the TXT records */
	DKIM_KEY_NONE,     /* no such record: permerror (§6.1.2) */
	DKIM_KEY_TEMPFAIL, /* DNS failed: temperror */
};
/* Hands signature i its key record answer. The first TXT record that
 * parses as a key is used. */
void dkim_verify_key(struct dkim_verify *v, size_t i,
                     enum dkim_key_answer answer, const char *const *txt,
                     const size_t *txt_len, size_t count);
/* Signature i's result, once the body ended and the key was handed over
 * (else status NONE with reason "not finished"). Lives with v. */
const struct dkim_result *dkim_verify_result(struct dkim_verify *v, size_t i);

/* ---- Signing (§5)
 * ------------------------------------------------------------ */

struct dkim_sign_key;

/* Loads a private key (PEM, PKCS#8: RSA or Ed25519) from path for domain
 * and selector. Returns 0 with *key_r, or -1 with a static reason. */
int dkim_sign_key_load(const char *path, const char *domain,
                       const char *selector, struct dkim_sign_key **key_r,
                       const char **error_r);
void dkim_sign_key_free(struct dkim_sign_key **key);

/* Makes a new key pair: Ed25519 when is_ed25519, else RSA-2048. Writes the
 * private key PEM to pem_out and the key record ("v=DKIM1; k=...; p=...")
 * to record_out. Returns 0, or -1 with a static reason. */
int dkim_key_generate(bool is_ed25519, struct buf *pem_out,
                      struct buf *record_out, const char **error_r);
/* Derives the key record of the private key in the PEM file at path.
 * Returns 0, or -1 with a static reason. */
int dkim_key_record_from_pem(const char *path, struct buf *record_out,
                             const char **error_r);

/* The header fields signed (relaxed/relaxed): each present one, and each
 * once more (oversigned, §8.15) so none can be added. */
extern const char *const dkim_sign_headers[];

struct dkim_sign;

/* A signer with keys[0..count) (borrowed; one signature each), timestamp
 * now and x= now + lifetime (0: no x=). */
struct dkim_sign *dkim_sign_new(struct dkim_sign_key *const *keys, size_t count,
                                time_t now, unsigned lifetime);
void dkim_sign_free(struct dkim_sign **s);
void dkim_sign_body(struct dkim_sign *s, const void *data, size_t size);
/* Ends the body and appends one "DKIM-Signature:" field per key, folded,
 * each ending in CRLF, signing header[0..size) (the header section as it
 * will be stored, below the new fields). Returns 0, or -1 with a static
 * reason. */
int dkim_sign_finish(struct dkim_sign *s, const char *header, size_t size,
                     struct buf *out, const char **error_r);
/* Signs the whole message msg[0..size) held in memory (a bounce, a
 * report) as dkim_sign_new and dkim_sign_finish would: appends one
 * DKIM-Signature field per key to out. Returns 0, or -1 with a static
 * reason. */
int dkim_sign_message(struct dkim_sign_key *const *keys, size_t count,
                      time_t now, unsigned lifetime, const char *msg,
                      size_t size, struct buf *out, const char **error_r);

#endif
