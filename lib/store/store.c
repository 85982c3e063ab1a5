/* Opening and closing the store: the folders under data_dir, the global
 * database postroom.db (domains, accounts, aliases) and its schema. Account
 * ids come from AUTOINCREMENT so a deleted account's folder name is never
 * given to a new account. Blob garbage collection is left to maintenance. */
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct store_migration store_global_migrations[] = {
    {"CREATE TABLE domains ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " name TEXT NOT NULL UNIQUE,"
     " created INTEGER NOT NULL);"
     "CREATE TABLE accounts ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " address TEXT NOT NULL UNIQUE,"
     " domain_id INTEGER NOT NULL REFERENCES domains(id),"
     " password_hash TEXT NOT NULL,"
     " quota INTEGER NOT NULL DEFAULT 0,"
     " created INTEGER NOT NULL);"
     "CREATE INDEX accounts_domain ON accounts(domain_id);"
     "CREATE TABLE aliases ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " source TEXT NOT NULL,"
     " target TEXT NOT NULL,"
     " domain_id INTEGER NOT NULL REFERENCES domains(id)"
     "  ON DELETE CASCADE,"
     " UNIQUE (source, target));"
     "CREATE INDEX aliases_domain ON aliases(domain_id);"
     "CREATE INDEX aliases_target ON aliases(target);"},
    /* lib/store/store_mime.c: IMAP strings cached once per blob. */
    {"CREATE TABLE mime_cache ("
     " blob_id TEXT PRIMARY KEY,"
     " envelope TEXT NOT NULL,"
     " bodystructure TEXT NOT NULL,"
     " body TEXT NOT NULL) WITHOUT ROWID;"},
    /* lib/store/store_mime.c: which computation made a row; a row of an
     * older one is computed again when read (rows from before this step
     * are version 0). */
    {"ALTER TABLE mime_cache ADD COLUMN version INTEGER NOT NULL"
     " DEFAULT 0;"},
    /* lib/store/store_token.c: login sessions and bearer tokens, by the
     * SHA-256 of their secret. */
    {"CREATE TABLE tokens ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " hash TEXT NOT NULL UNIQUE,"
     " kind INTEGER NOT NULL,"
     " account_id INTEGER NOT NULL REFERENCES accounts(id)"
     "  ON DELETE CASCADE,"
     " name TEXT NOT NULL DEFAULT '',"
     " ip TEXT NOT NULL DEFAULT '',"
     " created INTEGER NOT NULL,"
     " last_used INTEGER NOT NULL,"
     " expires INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX tokens_account ON tokens(account_id);"},
    /* lib/store/store_dav_share.c: a calendar or address book one account
     * shares with another, the grant and the name it has in the
     * grantee's home in one row (an account's rows go with it); and how
     * an account appears in its domain's shared address book
     * (store_dav_directory.c): a name, or hidden. version grows with
     * every change, so the book sees one. */
    {"CREATE TABLE dav_shares ("
     " owner_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     " collection_id INTEGER NOT NULL,"
     " kind INTEGER NOT NULL,"
     " grantee_id INTEGER NOT NULL REFERENCES accounts(id)"
     "  ON DELETE CASCADE,"
     " access INTEGER NOT NULL,"
     " name TEXT NOT NULL,"
     " created INTEGER NOT NULL,"
     " PRIMARY KEY (owner_id, collection_id, grantee_id),"
     " UNIQUE (grantee_id, kind, name));"
     "CREATE TABLE dav_directory ("
     " account_id INTEGER PRIMARY KEY REFERENCES accounts(id)"
     "  ON DELETE CASCADE,"
     " name TEXT NOT NULL DEFAULT '',"
     " hidden INTEGER NOT NULL DEFAULT 0,"
     " version INTEGER NOT NULL DEFAULT 0);"},
};

static int store_mkdirs(struct store *store, const char **error_r)
{
	const char *const dirs[] = {store->data_dir, store->accounts_dir,
	                            store->blobs_dir};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		if (file_mkdirs(dirs[i], 0750) < 0) {
			buf_truncate(&store->db.error, 0);
			buf_printf(&store->db.error, "mkdir %s: %s", dirs[i],
			           strerror(errno));
			*error_r = store->db.error.data;
			return -1;
		}
	}
	char *tmp = xasprintf("%s/tmp", store->blobs_dir);
	int ret = file_mkdirs(tmp, 0750);
	if (ret < 0) {
		buf_truncate(&store->db.error, 0);
		buf_printf(&store->db.error, "mkdir %s: %s", tmp,
		           strerror(errno));
		*error_r = store->db.error.data;
	}
	free(tmp);
	return ret;
}

int store_open(const struct store_settings *settings, struct store **store_r,
               const char **error_r)
{
	static char open_error[512];
	struct store *store = xcalloc(1, sizeof(*store));
	store->data_dir = xstrdup(settings->data_dir);
	store->accounts_dir = xasprintf("%s/accounts", settings->data_dir);
	store->blobs_dir = xasprintf("%s/blobs", settings->data_dir);
	store->default_quota = settings->default_quota;
	buf_init(&store->db.error);
	if (settings->postmaster != NULL && settings->postmaster[0] != '\0') {
		struct pool *pool = pool_new();
		const char *pm =
		    store_address_normalize(settings->postmaster, pool);
		if (pm != NULL && pm[0] != '@')
			store->postmaster = xstrdup(pm);
		pool_free(&pool);
		if (store->postmaster == NULL) {
			*error_r = "invalid postmaster address";
			goto fail;
		}
	}
	if (store_mkdirs(store, error_r) < 0)
		goto fail;
	buf_deinit(&store->db.error);

	char *path = xasprintf("%s/postroom.db", settings->data_dir);
	int ret = store_db_open(&store->db, path, store_global_migrations,
	                        sizeof(store_global_migrations) /
	                            sizeof(*store_global_migrations));
	free(path);
	if (ret < 0) {
		*error_r = store->db.error.data;
		goto fail;
	}
	*store_r = store;
	return 0;
fail:
	/* The reason must outlive the failed store: keep it in a static
	 * buffer (processes are single-threaded). */
	snprintf(open_error, sizeof(open_error), "%s", *error_r);
	*error_r = open_error;
	store_db_close(&store->db);
	free(store->data_dir);
	free(store->accounts_dir);
	free(store->blobs_dir);
	free(store->postmaster);
	free(store);
	return -1;
}

void store_close(struct store **store)
{
	struct store *s = *store;
	if (s == NULL)
		return;
	store_db_close(&s->db);
	free(s->data_dir);
	free(s->accounts_dir);
	free(s->blobs_dir);
	free(s->postmaster);
	free(s);
	*store = NULL;
}

const char *store_last_error(const struct store *store)
{
	return store->db.error.len > 0 ? store->db.error.data : "no error";
}
