/* Declarations shared by the files of lib/store and nothing else: the
 * SQLite handle wrapper with its statement cache (store_db.c), the store
 * and account structs, and helpers for addresses and paths. Every SQLite
 * call in Postroom goes through here. */
#ifndef STORE_STORE_PRIVATE_H
#define STORE_STORE_PRIVATE_H

#include "core/buf.h"
#include "store/store.h"

#include <sqlite3.h>

#define STORE_BUSY_TIMEOUT_MS 10000
#define STORE_STMT_CACHE_MAX 128
#define STORE_ALIAS_DEPTH_MAX 10

struct store_stmt_slot {
	const char *sql; /* a string literal: cached by its address */
	sqlite3_stmt *stmt;
};

/* One SQLite connection with its prepared statements. */
struct store_db {
	sqlite3 *db;
	struct buf error; /* the last failure, for store_last_error */
	size_t stmt_count;
	struct store_stmt_slot stmts[STORE_STMT_CACHE_MAX];
	bool is_relaxed; /* inside store_db_begin_relaxed's transaction */
};

struct store {
	char *data_dir;
	char *accounts_dir; /* data_dir/accounts */
	char *blobs_dir;    /* data_dir/blobs */
	uint64_t default_quota;
	char *postmaster; /* normalized, or NULL: the first account */
	struct store_db db; /* postroom.db */
};

struct store_account {
	struct store *store;
	int64_t id;
	char *address;
	char *dir;          /* data_dir/accounts/<id> */
	char *changes_path; /* dir/changes */
	struct store_db db; /* dir/mail.db */
	int watch_fd;       /* inotify, -1 until store_account_watch_fd */
	bool is_batch;      /* inside store_message_batch_begin's transaction */
};

/* ---- store_db.c ---- */

/* One schema step: SQL run inside a transaction to go from version
 * (index) to version (index + 1). */
struct store_migration {
	const char *sql;
};

/* Opens path (creating it) with WAL, synchronous=FULL, foreign keys and the
 * busy timeout, then brings its schema (PRAGMA user_version) up to
 * migration_count. Returns 0, or -1 with the reason in db->error (the
 * struct must then still be closed). */
int store_db_open(struct store_db *db, const char *path,
                  const struct store_migration *migrations,
                  size_t migration_count);
/* Finalizes cached statements and closes; accepts a closed db. */
void store_db_close(struct store_db *db);
/* Returns sql's cached statement, reset and with its bindings cleared, or
 * NULL with db->error set. sql must be a string literal (its address is
 * the cache key). */
sqlite3_stmt *store_db_prepare(struct store_db *db, const char *sql);
/* Runs one statement that returns no rows. Returns 0 or -1. */
int store_db_exec(struct store_db *db, const char *sql);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Return 0 or -1 (rollback never
 * fails visibly). */
int store_db_begin(struct store_db *db);
/* Steps stmt, whose columns are uid, modseq, flags, keywords, internal
 * date, size, blob_id, guid, calling cb per row; resets stmt. Returns 0,
 * cb's non-zero value, or -1 (the failure named what). */
int store_message_rows_walk(struct store_account *account,
                            sqlite3_stmt *stmt, store_message_cb *cb,
                            void *ctx, const char *what);
/* Begins a transaction whose commit is not synced (synchronous=NORMAL), for
 * data that can be rebuilt (the MIME cache, the search index): WAL keeps it
 * consistent, a power cut may lose only such trailing commits, and the next
 * durable commit syncs them too. Commit and rollback restore FULL. */
int store_db_begin_relaxed(struct store_db *db);
int store_db_commit(struct store_db *db);
void store_db_rollback(struct store_db *db);
/* Records the SQLite error of db (prefixed with what) in db->error and
 * returns it; for *error_r. Valid until the next failure on db. */
const char *store_db_fail(struct store_db *db, const char *what);
/* Steps stmt expecting SQLITE_DONE. Returns 0, or -1 with db->error set;
 * *is_constraint_r (may be NULL) tells a UNIQUE/FK violation apart. */
int store_db_step_done(struct store_db *db, sqlite3_stmt *stmt,
                       bool *is_constraint_r);
/* Returns column col of the current row as a string ("" for NULL). */
const char *store_db_column_str(sqlite3_stmt *stmt, int col);

/* ---- store_address.c ---- */

/* Returns address lowercased into pool, or NULL if it is not valid. */
char *store_address_normalize(const char *address, struct pool *pool);
/* Splits a normalized "local@domain" (or "@domain") at its last '@'.
 * Returns 0, or -1 if there is no '@'. Strings from pool. */
int store_address_split(const char *address, struct pool *pool,
                        const char **local_r, const char **domain_r);

/* ---- store_domain.c ---- */

/* Looks the local domain up. Returns 1 with *id_r, 0 if absent, -1. */
int store_domain_get_id(struct store *store, const char *domain, int64_t *id_r);

/* ---- store_account.c ---- */

/* Returns 1 with the account's id, 0 if none, -1 on error. address must
 * be normalized. */
int store_account_get_id(struct store *store, const char *address,
                         int64_t *id_r);

/* ---- store_account_db.c ---- */

/* Creates accounts/<id>/ with mail.db, the default mailboxes and the
 * changes file, replacing any leftover folder of that id (an uncommitted
 * account from a crash). Returns 0, or -1 with *error_r. */
int store_account_db_create(struct store *store, int64_t id,
                            const char **error_r);
/* Removes accounts/<id>/ and everything in it. Returns 0 or -1 (errno). */
int store_account_db_remove(struct store *store, int64_t id);
/* Opens the account database of id. Returns 0 or -1 with *error_r. */
int store_account_db_open(struct store *store, int64_t id, const char *address,
                          struct store_account **account_r,
                          const char **error_r);
/* For tests of upgrades: replaces the account database of id by one that
 * has only the schema steps before the first whose SQL contains marker,
 * as an older version of Postroom left it. Returns the number of steps
 * applied, or -1 with *error_r (marker not found, or SQLite failed). */
int store_account_db_make_old(struct store *store, int64_t id,
                              const char *marker, const char **error_r);
/* Tells watchers of account that something was committed (utime on the
 * changes file). Failures are ignored: watchers also poll. */
void store_account_db_touch(struct store_account *account);

/* ---- store_mailbox.c ---- */

/* Returns true if name is a valid mailbox name (see store_mailbox_create).
 */
bool store_mailbox_name_is_valid(const char *name);
/* Reads mailbox name's id, uidnext and highestmodseq. Returns 1, 0 if no
 * such mailbox, -1. name "inbox" in any case means INBOX. */
int store_mailbox_get_ids(struct store_account *account, const char *name,
                          int64_t *id_r, uint32_t *uidnext_r,
                          uint64_t *highestmodseq_r);
/* Inside a transaction: takes the next UID of mailbox (when take_uid) and
 * the next MODSEQ. Returns 0, or -1 ("mailbox full" when UIDs run out). */
int store_mailbox_bump(struct store_account *account, int64_t mailbox_id,
                       bool take_uid, uint32_t *uid_r, uint64_t *modseq_r,
                       const char **error_r);
/* Inside a transaction: inserts a mailbox row. Returns 0 or -1 with
 * *error_r ("mailbox exists"). */
int store_mailbox_insert(struct store_account *account, const char *name,
                         enum store_special_use special_use,
                         const char **error_r);

#endif
