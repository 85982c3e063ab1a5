/* Sieve scripts and what delivery rules remember, in the account's own
 * mail.db. Scripts follow ManageSieve's model (RFC 5804 §1.5): an account
 * has several named scripts and at most one is active; the store keeps
 * their text only (checking is lib/rules' part, done by the callers before
 * a put). The memory is a set of keys with an expiry: vacation replies
 * sent (RFC 5230 §4.2: once per sender and handle per period), duplicate
 * ids seen (RFC 7352), error reports made; deliver adds its keys in the
 * same transaction as the message rows they belong to. */
#ifndef STORE_STORE_SIEVE_H
#define STORE_STORE_SIEVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

struct pool;

#define STORE_SIEVE_NAME_MAX 128 /* bytes of a script name */

struct store_sieve_script {
	const char *name;
	bool is_active;
	size_t size;
	time_t updated;
};

/* Returns true if name may name a script: 1 to STORE_SIEVE_NAME_MAX bytes
 * of valid UTF-8 without control characters (RFC 5804 §1.6) and without
 * "/" (a name is never a path). */
bool store_sieve_name_is_valid(const char *name);

/* Stores script name (size bytes of text), replacing one of that name and
 * keeping it active if it was. Returns 0, or -1 with *error_r: "invalid
 * script name", or a storage failure. */
int store_sieve_put(struct store_account *account, const char *name,
                    const void *data, size_t size, time_t now,
                    const char **error_r);
/* Returns 1 with the text of script name in *data_r (NUL-terminated, from
 * pool) and its size in *size_r, 0 if there is no such script, -1. */
int store_sieve_get(struct store_account *account, const char *name,
                    struct pool *pool, const char **data_r, size_t *size_r);
/* Like store_sieve_get for the active script, with its name in *name_r.
 * Returns 0 when no script is active. */
int store_sieve_get_active(struct store_account *account, struct pool *pool,
                           const char **name_r, const char **data_r,
                           size_t *size_r);
/* Makes name the active script (the others inactive); name NULL leaves
 * none active (RFC 5804 §2.8 SETACTIVE ""). Returns 0, or -1 with
 * *error_r ("no such script"). */
int store_sieve_activate(struct store_account *account, const char *name,
                         const char **error_r);
/* Returns 0, or -1 with *error_r: "no such script", "script is active"
 * (RFC 5804 §2.10: the active script is not deleted). */
int store_sieve_delete(struct store_account *account, const char *name,
                       const char **error_r);
/* Returns 0, or -1 with *error_r: "no such script", "script exists",
 * "invalid script name". An active script stays active. */
int store_sieve_rename(struct store_account *account, const char *old_name,
                       const char *new_name, const char **error_r);
typedef void store_sieve_cb(const struct store_sieve_script *script, void *ctx);
/* Calls cb for each script by name. Returns 0 or -1. */
int store_sieve_list(struct store_account *account, store_sieve_cb *cb,
                     void *ctx);

/* ---- Memory ------------------------------------------------------------- */

/* Returns 1 if key is remembered and has not expired at now, 0 if not,
 * -1 on error. */
int store_sieve_memory_seen(struct store_account *account, const char *key,
                            time_t now);
/* Remembers key until expires (replacing an older expiry); removes some
 * expired keys on the way. One of the single-row writes allowed inside
 * store_message_batch_begin. Returns 0, or -1 with *error_r. */
int store_sieve_memory_put(struct store_account *account, const char *key,
                           time_t expires, time_t now, const char **error_r);

/* ---- Delivery keys of rules ---------------------------------------------
 * A message that rules filed into several mailboxes, or into none
 * (discard, reject, redirect), is still delivered once: deliver marks its
 * delivery key when all of the recipient's rows are in. */

/* Returns 1 if delivery_key is recorded (by a row or a mark), 0, -1. */
int store_sieve_delivery_done(struct store_account *account,
                              const char *delivery_key);
/* Records delivery_key without a row (a no-op when it is recorded). A
 * single-row write allowed inside store_message_batch_begin. Returns 0,
 * or -1 with *error_r. */
int store_sieve_delivery_mark(struct store_account *account,
                              const char *delivery_key, time_t now,
                              const char **error_r);

/* ---- SRS for redirected mail ------------------------------------------- */

#define STORE_SIEVE_SRS_DAYS 21 /* a bounce may take this long to return */

/* Makes the SRS0 address (at local domain) that a copy of mail from
 * sender leaves from. Returns 0 with it in *srs_r (from pool), or -1 (no
 * secret could be read or made, or sender is not local@domain). */
int store_sieve_srs_forward(struct store *store, const char *sender,
                            const char *domain, time_t now, struct pool *pool,
                            const char **srs_r);
/* Returns 1 with the original sender in *orig_r if address is an SRS0
 * address this store made in the last STORE_SIEVE_SRS_DAYS days, 0 if it
 * is not, -1 on error. */
int store_sieve_srs_reverse(struct store *store, const char *address,
                            time_t now, struct pool *pool, const char **orig_r);

#endif
