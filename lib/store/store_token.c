/* Login sessions and bearer tokens in postroom.db (store_token.h): the
 * table keeps the SHA-256 of each secret, never the secret. */
#include "store/store_token.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/pool.h"
#include "store/store_private.h"

#include <string.h>
#include <sys/random.h>

#define TOKEN_RANDOM_BYTES 32
#define TOKEN_BEARER_PREFIX "prt_"
/* the last use is written at most this often (seconds) */
#define TOKEN_TOUCH_SECS 60

/* 32 random bytes as base64url without padding (RFC 4648 §5), after the
 * prefix. Returns 0, or -1 when getrandom fails. */
static int token_secret_make(const char *prefix,
                             char secret_r[STORE_TOKEN_SECRET_MAX + 1])
{
	unsigned char raw[TOKEN_RANDOM_BYTES];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, prefix);
	base64_encode(raw, sizeof(raw), &b);
	explicit_bzero(raw, sizeof(raw));
	size_t len = 0;
	for (size_t i = 0; i < b.len; i++) {
		char ch = b.data[i];
		if (ch == '=')
			break;
		secret_r[len++] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
	}
	secret_r[len] = '\0';
	explicit_bzero(b.data, b.len);
	buf_deinit(&b);
	return 0;
}

static void token_hash(const char *secret,
                       char hex_r[DIGEST_SHA256_HEX_LEN + 1])
{
	digest_sha256_hex(secret, strlen(secret), hex_r);
}

static int token_prune(struct store *store, time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "DELETE FROM tokens WHERE expires != 0 AND expires <= ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)now);
	return store_db_step_done(&store->db, stmt, NULL);
}

int store_token_create(struct store *store, const char *address,
                       enum store_token_kind kind, const char *name,
                       const char *ip, time_t expires,
                       char secret_r[STORE_TOKEN_SECRET_MAX + 1],
                       int64_t *id_r, const char **error_r)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(address, pool);
	int64_t account_id;
	int ret = -1;
	int found = addr != NULL ? store_account_get_id(store, addr, &account_id)
	                         : 0;
	if (found <= 0) {
		*error_r = found == 0 ? "no such account" : store->db.error.data;
		goto out;
	}
	if (token_secret_make(kind == STORE_TOKEN_BEARER ? TOKEN_BEARER_PREFIX
	                                                 : "",
	                      secret_r) < 0) {
		*error_r = "no random bytes";
		goto out;
	}
	time_t now = time(NULL);
	char hash[DIGEST_SHA256_HEX_LEN + 1];
	token_hash(secret_r, hash);
	if (token_prune(store, now) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "INSERT INTO tokens (hash, kind, account_id, name, ip, created,"
	    " last_used, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)");
	if (stmt == NULL) {
		*error_r = store->db.error.data;
		goto out;
	}
	sqlite3_bind_text(stmt, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 2, (int)kind);
	sqlite3_bind_int64(stmt, 3, account_id);
	sqlite3_bind_text(stmt, 4, name != NULL ? name : "", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, ip != NULL ? ip : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)now);
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)expires);
	if (store_db_step_done(&store->db, stmt, NULL) < 0) {
		*error_r = store->db.error.data;
		goto out;
	}
	if (id_r != NULL)
		*id_r = (int64_t)sqlite3_last_insert_rowid(store->db.db);
	ret = 0;
out:
	if (ret < 0)
		explicit_bzero(secret_r, STORE_TOKEN_SECRET_MAX + 1);
	pool_free(&pool);
	return ret;
}

/* The columns id, kind, address, name, ip, created, last_used, expires of
 * the current row into *info_r (strings from pool, or borrowed when pool
 * is NULL). */
static void token_row(sqlite3_stmt *stmt, struct pool *pool,
                      struct store_token_info *info_r)
{
	info_r->id = sqlite3_column_int64(stmt, 0);
	info_r->kind = (enum store_token_kind)sqlite3_column_int(stmt, 1);
	const char *address = store_db_column_str(stmt, 2);
	const char *name = store_db_column_str(stmt, 3);
	const char *ip = store_db_column_str(stmt, 4);
	info_r->address = pool != NULL ? pool_strdup(pool, address) : address;
	info_r->name = pool != NULL ? pool_strdup(pool, name) : name;
	info_r->ip = pool != NULL ? pool_strdup(pool, ip) : ip;
	info_r->created = (time_t)sqlite3_column_int64(stmt, 5);
	info_r->last_used = (time_t)sqlite3_column_int64(stmt, 6);
	info_r->expires = (time_t)sqlite3_column_int64(stmt, 7);
}

static int token_delete(struct store *store, int64_t id)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&store->db, "DELETE FROM tokens WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return store_db_step_done(&store->db, stmt, NULL);
}

static int token_touch(struct store *store, int64_t id, time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "UPDATE tokens SET last_used = ?2 WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)now);
	return store_db_step_done(&store->db, stmt, NULL);
}

int store_token_check(struct store *store, enum store_token_kind kind,
                      const char *secret, time_t now, unsigned idle_secs,
                      struct pool *pool, struct store_token_info *info_r)
{
	if (secret[0] == '\0' || strlen(secret) > STORE_TOKEN_SECRET_MAX)
		return 0;
	char hash[DIGEST_SHA256_HEX_LEN + 1];
	token_hash(secret, hash);
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "SELECT t.id, t.kind, a.address, t.name, t.ip, t.created,"
	    " t.last_used, t.expires FROM tokens t"
	    " JOIN accounts a ON a.id = t.account_id"
	    " WHERE t.hash = ?1 AND t.kind = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 2, (int)kind);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(stmt);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		store_db_fail(&store->db, "token check");
		sqlite3_reset(stmt);
		return -1;
	}
	token_row(stmt, pool, info_r);
	sqlite3_reset(stmt);
	bool is_expired = info_r->expires != 0 && info_r->expires <= now;
	if (kind == STORE_TOKEN_SESSION && idle_secs != 0 &&
	    info_r->last_used + (time_t)idle_secs <= now)
		is_expired = true;
	if (is_expired)
		return token_delete(store, info_r->id) < 0 ? -1 : 0;
	/* often enough that the idle time cannot pass unseen */
	time_t touch = idle_secs != 0 && idle_secs / 4 < TOKEN_TOUCH_SECS
	                   ? (time_t)(idle_secs / 4)
	                   : TOKEN_TOUCH_SECS;
	if (now - info_r->last_used >= touch) {
		if (token_touch(store, info_r->id, now) < 0)
			return -1;
		info_r->last_used = now;
	}
	return 1;
}

int store_token_list(struct store *store, const char *address,
                     enum store_token_kind kind, store_token_cb *cb,
                     void *ctx)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(address, pool);
	int ret = -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "SELECT t.id, t.kind, a.address, t.name, t.ip, t.created,"
	    " t.last_used, t.expires FROM tokens t"
	    " JOIN accounts a ON a.id = t.account_id"
	    " WHERE a.address = ?1 AND t.kind = ?2 ORDER BY t.id");
	if (addr == NULL || stmt == NULL)
		goto out;
	sqlite3_bind_text(stmt, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, (int)kind);
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_token_info info;
		token_row(stmt, NULL, &info);
		cb(&info, ctx);
	}
	if (rc != SQLITE_DONE)
		store_db_fail(&store->db, "token list");
	else
		ret = 0;
	sqlite3_reset(stmt);
out:
	pool_free(&pool);
	return ret;
}

int store_token_revoke(struct store *store, const char *address, int64_t id)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(address, pool);
	int ret = -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "DELETE FROM tokens WHERE id = ?1 AND account_id ="
	    " (SELECT id FROM accounts WHERE address = ?2)");
	if (addr == NULL || stmt == NULL)
		goto out;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, addr, -1, SQLITE_STATIC);
	if (store_db_step_done(&store->db, stmt, NULL) == 0)
		ret = sqlite3_changes(store->db.db) > 0 ? 1 : 0;
out:
	pool_free(&pool);
	return ret;
}

int store_token_revoke_all(struct store *store, const char *address,
                           enum store_token_kind kind, int64_t except_id)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(address, pool);
	int ret = -1;
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db,
	    "DELETE FROM tokens WHERE kind = ?1 AND id != ?2 AND account_id ="
	    " (SELECT id FROM accounts WHERE address = ?3)");
	if (addr == NULL || stmt == NULL)
		goto out;
	sqlite3_bind_int(stmt, 1, (int)kind);
	sqlite3_bind_int64(stmt, 2, except_id);
	sqlite3_bind_text(stmt, 3, addr, -1, SQLITE_STATIC);
	if (store_db_step_done(&store->db, stmt, NULL) == 0)
		ret = sqlite3_changes(store->db.db);
out:
	pool_free(&pool);
	return ret;
}
