/* The SQLite layer under the store: opening a database with the settings
 * that make a commit durable (WAL, synchronous=FULL: a commit survives a
 * power cut), the busy timeout that lets several processes share it,
 * schema migrations numbered by PRAGMA user_version, and a per-handle cache
 * of prepared statements keyed by their SQL literal. */
#include "core/log.h"
#include "store/store_private.h"

#include <stdio.h>
#include <string.h>

const char *store_db_fail(struct store_db *db, const char *what)
{
	buf_truncate(&db->error, 0);
	buf_printf(&db->error, "%s: %s", what,
	           db->db != NULL ? sqlite3_errmsg(db->db) : "no database");
	return db->error.data;
}

static int store_db_pragmas(struct store_db *db)
{
	static const char *const pragmas[] = {
	    "PRAGMA journal_mode=WAL",
	    "PRAGMA synchronous=FULL",
	    "PRAGMA foreign_keys=ON",
	};
	for (size_t i = 0; i < sizeof(pragmas) / sizeof(*pragmas); i++) {
		/* journal_mode returns a row, so exec() rather than step. */
		if (sqlite3_exec(db->db, pragmas[i], NULL, NULL, NULL) !=
		    SQLITE_OK) {
			store_db_fail(db, pragmas[i]);
			return -1;
		}
	}
	return 0;
}

static int store_db_user_version(struct store_db *db, int *version_r)
{
	sqlite3_stmt *stmt = store_db_prepare(db, "PRAGMA user_version");
	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_db_fail(db, "user_version");
		return -1;
	}
	*version_r = sqlite3_column_int(stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

/* Runs the migrations this database has not had yet, in one transaction
 * so that two processes opening a new database do it once. */
static int store_db_migrate(struct store_db *db,
                            const struct store_migration *migrations,
                            size_t count)
{
	int version;
	if (store_db_begin(db) < 0)
		return -1;
	if (store_db_user_version(db, &version) < 0)
		goto fail;
	if (version > (int)count) {
		buf_truncate(&db->error, 0);
		buf_printf(&db->error, "schema version %d is newer than %zu",
		           version, count);
		goto fail;
	}
	for (size_t i = (size_t)version; i < count; i++) {
		if (sqlite3_exec(db->db, migrations[i].sql, NULL, NULL, NULL) !=
		    SQLITE_OK) {
			store_db_fail(db, "schema migration");
			goto fail;
		}
	}
	if ((size_t)version < count) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%zu", count);
		if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			store_db_fail(db, "user_version");
			goto fail;
		}
	}
	return store_db_commit(db);
fail:
	store_db_rollback(db);
	return -1;
}

int store_db_open(struct store_db *db, const char *path,
                  const struct store_migration *migrations,
                  size_t migration_count)
{
	memset(db, 0, sizeof(*db));
	buf_init(&db->error);
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
		store_db_fail(db, path);
		return -1;
	}
	sqlite3_busy_timeout(db->db, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->db, 1);
	if (store_db_pragmas(db) < 0)
		return -1;
	return store_db_migrate(db, migrations, migration_count);
}

void store_db_close(struct store_db *db)
{
	for (size_t i = 0; i < db->stmt_count; i++)
		sqlite3_finalize(db->stmts[i].stmt);
	db->stmt_count = 0;
	if (db->db != NULL) {
		/* sqlite3_close_v2 never fails for a handle whose statements
		 * are all finalized. */
		sqlite3_close_v2(db->db);
		db->db = NULL;
	}
	if (db->error.data != NULL)
		buf_deinit(&db->error);
}

sqlite3_stmt *store_db_prepare(struct store_db *db, const char *sql)
{
	for (size_t i = 0; i < db->stmt_count; i++) {
		if (db->stmts[i].sql == sql) {
			sqlite3_stmt *stmt = db->stmts[i].stmt;
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			return stmt;
		}
	}
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                       &stmt, NULL) != SQLITE_OK) {
		store_db_fail(db, "prepare");
		return NULL;
	}
	/* Every statement is a literal in lib/store, so the cache size is a
	 * property of the code, not of the input. */
	if (db->stmt_count == STORE_STMT_CACHE_MAX)
		log_panic("store statement cache is full (%d)",
		          STORE_STMT_CACHE_MAX);
	db->stmts[db->stmt_count].sql = sql;
	db->stmts[db->stmt_count].stmt = stmt;
	db->stmt_count++;
	return stmt;
}

int store_db_step_done(struct store_db *db, sqlite3_stmt *stmt,
                       bool *is_constraint_r)
{
	int rc = sqlite3_step(stmt);
	if (is_constraint_r != NULL)
		*is_constraint_r = (rc & 0xff) == SQLITE_CONSTRAINT;
	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		sqlite3_reset(stmt);
		return 0;
	}
	store_db_fail(db, "step");
	sqlite3_reset(stmt);
	return -1;
}

int store_db_exec(struct store_db *db, const char *sql)
{
	sqlite3_stmt *stmt = store_db_prepare(db, sql);
	if (stmt == NULL)
		return -1;
	return store_db_step_done(db, stmt, NULL);
}

int store_db_begin(struct store_db *db)
{
	return store_db_exec(db, "BEGIN IMMEDIATE");
}

int store_db_begin_relaxed(struct store_db *db)
{
	/* PRAGMA synchronous cannot change inside a transaction: set first. */
	if (store_db_exec(db, "PRAGMA synchronous=NORMAL") < 0)
		return -1;
	db->is_relaxed = true;
	if (store_db_begin(db) == 0)
		return 0;
	store_db_exec(db, "PRAGMA synchronous=FULL");
	db->is_relaxed = false;
	return -1;
}

static void db_unrelax(struct store_db *db)
{
	if (db->is_relaxed) {
		db->is_relaxed = false;
		store_db_exec(db, "PRAGMA synchronous=FULL");
	}
}

int store_db_commit(struct store_db *db)
{
	if (store_db_exec(db, "COMMIT") == 0) {
		db_unrelax(db);
		return 0;
	}
	store_db_rollback(db);
	return -1;
}

void store_db_rollback(struct store_db *db)
{
	if (sqlite3_get_autocommit(db->db)) {
		db_unrelax(db);
		return;
	}
	/* Not cached: a failed ROLLBACK must not disturb the cache. */
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	db_unrelax(db);
}

const char *store_db_column_str(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);
	return s != NULL ? (const char *)s : "";
}
