/* Credentials httpd issues itself, kept in postroom.db: login sessions
 * (the webmail's session cookie, made by POST /login) and bearer tokens
 * for API clients (RFC 6750; `postroomctl token create`). A secret is 32
 * random bytes (getrandom) in base64url, given to its owner once and kept
 * only as its SHA-256: a copy of the database lets nobody in. A random
 * 256-bit secret needs no slow hash (nothing to guess), so a check is one
 * indexed look-up. Sessions end at their absolute expiry or after
 * idle_secs without a check; tokens at their expiry (0: never). Removing
 * the account removes both (ON DELETE CASCADE). */
#ifndef STORE_STORE_TOKEN_H
#define STORE_STORE_TOKEN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pool;
struct store;

enum store_token_kind {
	STORE_TOKEN_SESSION, /* the session cookie */
	STORE_TOKEN_BEARER,  /* Authorization: Bearer */
};

/* A secret: "prt_" (bearer only) and 43 base64url characters. */
#define STORE_TOKEN_SECRET_MAX 48

struct store_token_info {
	int64_t id; /* the public handle, for lists and revoking */
	enum store_token_kind kind;
	const char *address; /* the account's */
	const char *name;    /* a bearer token's label, a session's client */
	const char *ip;      /* where a session logged in from; "" */
	time_t created, last_used;
	time_t expires; /* 0: never */
};

/* Makes a credential for account address: name (may be NULL) and ip (may
 * be NULL) are kept for lists; expires is an absolute time (0: never).
 * Writes the secret into secret_r (shown once: only its hash is kept) and
 * the id into *id_r (may be NULL). Removes expired credentials of every
 * account on the way. Returns 0, or -1 with *error_r ("no such account",
 * or a storage failure). */
int store_token_create(struct store *store, const char *address,
                       enum store_token_kind kind, const char *name,
                       const char *ip, time_t expires,
                       char secret_r[STORE_TOKEN_SECRET_MAX + 1],
                       int64_t *id_r, const char **error_r);
/* Checks secret as a credential of kind at time now: a session also ends
 * idle_secs (0: never) after its last use. Returns 1 with *info_r (strings
 * from pool) and the last use recorded (at most once a minute, to spare
 * writes), 0 when no such credential is valid (an expired one is
 * removed), -1 on a storage failure. */
int store_token_check(struct store *store, enum store_token_kind kind,
                      const char *secret, time_t now, unsigned idle_secs,
                      struct pool *pool, struct store_token_info *info_r);
typedef void store_token_cb(const struct store_token_info *info, void *ctx);
/* Calls cb for every credential of kind of account address, oldest
 * first (the strings live until cb returns). Returns 0, or -1. */
int store_token_list(struct store *store, const char *address,
                     enum store_token_kind kind, store_token_cb *cb,
                     void *ctx);
/* Revokes credential id of account address (of any kind). Returns 1, 0
 * when the account has no such credential, -1. */
int store_token_revoke(struct store *store, const char *address, int64_t id);
/* Revokes every credential of kind of account address except
 * except_id (0: none). Returns how many went, or -1. */
int store_token_revoke_all(struct store *store, const char *address,
                           enum store_token_kind kind, int64_t except_id);

#endif
