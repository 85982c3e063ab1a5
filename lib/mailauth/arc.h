/* ARC, the Authenticated Received Chain (RFC 8617): each intermediary
 * that handles a message adds one ARC set on top of it, the
 * ARC-Authentication-Results (AAR: its verdict), the ARC-Message-Signature
 * (AMS: a DKIM-like signature of the message) and the ARC-Seal (AS: a
 * signature over every ARC set so far, with the chain's validation status
 * cv=). A receiver validates the chain (§5.2): every set 1..N complete
 * and unique, N at most 50, cv= none at i=1 and pass above, the newest
 * AMS and every AS verified. Verifying and sealing reuse DKIM's tag
 * lists, canonical forms, keys and streaming body hash; DNS stays outside
 * as for DKIM (the caller looks up the key records named here). Seals
 * are rsa-sha256 (the only algorithm RFC 8617 names). */
#ifndef MAILAUTH_ARC_H
#define MAILAUTH_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mailauth/dkim.h"

struct buf;

/* The chain validation status (§4.1.3, cv=). */
enum arc_cv { ARC_CV_NONE, ARC_CV_PASS, ARC_CV_FAIL };

/* "none", "pass", "fail" */
const char *arc_cv_name(enum arc_cv cv);

struct arc_result {
	enum arc_cv cv;
	const char *reason; /* why it failed, or NULL */
	unsigned instance;  /* ARC sets found (the highest i=); 0: none */
	const char *sealer; /* d= of the newest ARC-Seal, or NULL */
	bool is_temperror;  /* a key record could not be fetched */
};

/* ---- Validating a chain (§5.2) ------------------------------------------ */

struct arc_verify;

/* Starts validating the ARC chain of the header section header[0..size)
 * (copied). The structure is checked at once (a result may already be
 * known: none, or fail). set gives the RSA key size limit. */
struct arc_verify *arc_verify_new(const char *header, size_t size,
                                  const struct dkim_verify_settings *set);
void arc_verify_free(struct arc_verify **v);
/* The key records the chain needs (each "s._domainkey.d" once): the
 * newest AMS's and every AS's. 0 when the result is already known. */
size_t arc_verify_key_count(const struct arc_verify *v);
const char *arc_verify_key_name(const struct arc_verify *v, size_t i);
/* Hands key record i its answer (as dkim_verify_key). */
void arc_verify_key(struct arc_verify *v, size_t i, enum dkim_key_answer answer,
                    const char *const *txt, const size_t *txt_len,
                    size_t count);
/* The message body, after the header's empty line (the newest AMS's body
 * hash). */
void arc_verify_body(struct arc_verify *v, const void *data, size_t size);
void arc_verify_body_end(struct arc_verify *v);
/* The result once the body ended and every key was handed over (before
 * that, a missing key counts as a temperror: cv fail). Lives with v. */
const struct arc_result *arc_verify_result(struct arc_verify *v);

/* ---- Sealing (§5.1) ------------------------------------------------------ */

struct arc_seal;

/* A sealer with key (borrowed; must be RSA) at time now. */
struct arc_seal *arc_seal_new(const struct dkim_sign_key *key, time_t now);
void arc_seal_free(struct arc_seal **s);
/* The message body, after the header's empty line. */
void arc_seal_body(struct arc_seal *s, const void *data, size_t size);
/* Adds the next ARC set to the message whose header section, as it will
 * be stored under the new fields, is header[0..size): appends ARC-Seal,
 * ARC-Message-Signature and ARC-Authentication-Results (top to bottom,
 * each folded and ending in CRLF) to out. authres is the verdict the set
 * carries: the value of our Authentication-Results field ("authserv-id;
 * method=result ..."), and cv the validation status of the chain the
 * message arrived with; with cv fail the seal covers only the new set
 * (§5.1.2). Returns 0, or -1 with a static reason (not an RSA key, the
 * chain already has 50 sets, signing failed). */
int arc_seal_finish(struct arc_seal *s, const char *header, size_t size,
                    const char *authres, enum arc_cv cv, struct buf *out,
                    const char **error_r);

/* Finds, in the header section header[0..size), the Authentication-Results
 * field that claims authserv_id: its value as folded (from pool) in
 * *authres_r, and in *cv_r the cv= a seal over it carries (its arc=
 * result; none when it has none). Returns 1, or 0 when there is none. */
struct pool;
int arc_authres_find(const char *header, size_t size, const char *authserv_id,
                     struct pool *pool, const char **authres_r,
                     enum arc_cv *cv_r);

/* The same for a whole message msg[0..size) held in memory, for code that
 * forwards a stored message (Sieve redirect): the verdict and cv come from
 * the message's own Authentication-Results field that claims authserv_id
 * (its arc= result; none when it has none). Returns 0 with the fields
 * appended to out, or -1 with a static reason (no such field, or as
 * arc_seal_finish). */
int arc_seal_message(const struct dkim_sign_key *key, const char *msg,
                     size_t size, const char *authserv_id, time_t now,
                     struct buf *out, const char **error_r);

#endif
