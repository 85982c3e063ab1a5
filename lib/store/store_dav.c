/* Calendar and address book collections of one account (store_dav.h):
 * the default collections made once, creating, updating (live fields and
 * dead properties together, RFC 4918 §9.2) and deleting collections, dead
 * properties, and the access check (the owner, or a share of
 * store_dav_share.c). A collection's MODSEQ grows with each change to it
 * or to a member; its row id is never reused (AUTOINCREMENT), so a sync
 * token naming a deleted collection never matches a new one of the same
 * name. */
#include "core/pool.h"
#include "store/store_dav.h"
#include "store/store_dav_private.h"
#include "store/store_private.h"

#include <string.h>
#include <time.h>

static const struct {
	enum store_dav_kind kind;
	const char *name, *displayname;
	unsigned components;
} default_collections[] = {
    {STORE_DAV_CALENDAR, "calendar", "Calendar", STORE_DAV_COMP_VEVENT},
    {STORE_DAV_CALENDAR, "tasks", "Tasks", STORE_DAV_COMP_VTODO},
    {STORE_DAV_CALENDAR, "journal", "Journal", STORE_DAV_COMP_VJOURNAL},
    {STORE_DAV_ADDRESSBOOK, "contacts", "Contacts", 0},
};

bool store_dav_name_is_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > STORE_DAV_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0';
	     p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return false;
	}
	return true;
}

const char *store_dav_last_error(struct store_account *account)
{
	return account->db.error.data;
}

int store_dav_fail(struct store_account *account, const char *what,
                   const char **error_r)
{
	*error_r = store_db_fail(&account->db, what);
	return -1;
}

int store_dav_rollback(struct store_account *account, int ret)
{
	store_db_rollback(&account->db);
	return ret;
}

int store_dav_commit(struct store_account *account, const char **error_r)
{
	if (store_db_commit(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	store_account_db_touch(account);
	return 0;
}

/* Inside a transaction: inserts the defaults unless meta says they were
 * made. Returns 0 or -1. */
static int defaults_insert(struct store_account *account, time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT 1 FROM meta WHERE key = 'dav_defaults'");
	if (stmt == NULL)
		return -1;
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 0;
	for (size_t i = 0;
	     i < sizeof(default_collections) / sizeof(*default_collections);
	     i++) {
		stmt = store_db_prepare(
		    &account->db,
		    "INSERT OR IGNORE INTO dav_collections (kind, name,"
		    " displayname, components, max_resource_size, created)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int(stmt, 1, (int)default_collections[i].kind);
		sqlite3_bind_text(stmt, 2, default_collections[i].name, -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, default_collections[i].displayname,
		                  -1, SQLITE_STATIC);
		sqlite3_bind_int(stmt, 4,
		                 (int)default_collections[i].components);
		sqlite3_bind_int64(stmt, 5, STORE_DAV_DEFAULT_MAX_SIZE);
		sqlite3_bind_int64(stmt, 6, (sqlite3_int64)now);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
	}
	stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO meta (key, value) VALUES ('dav_defaults', 1)");
	return stmt == NULL ? -1 : store_db_step_done(&account->db, stmt, NULL);
}

/* Makes the default collections on first use. Returns 0 or -1. */
static int defaults_ensure(struct store_account *account)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT 1 FROM meta WHERE key = 'dav_defaults'");
	if (stmt == NULL)
		return -1;
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 0;
	const char *error;
	if (store_db_begin(&account->db) < 0)
		return -1;
	if (defaults_insert(account, time(NULL)) < 0)
		return store_dav_rollback(account, -1);
	return store_dav_commit(account, &error);
}

#define COLLECTION_COLUMNS                                                     \
	"SELECT id, kind, name, displayname, description, color, timezone,"    \
	" sort_order, components, max_resource_size, modseq,"                  \
	" tombstone_horizon, created FROM dav_collections"

static void collection_read(sqlite3_stmt *stmt, struct pool *pool,
                            struct store_dav_collection *c)
{
	c->id = sqlite3_column_int64(stmt, 0);
	c->kind = (enum store_dav_kind)sqlite3_column_int(stmt, 1);
	c->name = pool_strdup(pool, store_db_column_str(stmt, 2));
	c->displayname = pool_strdup(pool, store_db_column_str(stmt, 3));
	c->description = pool_strdup(pool, store_db_column_str(stmt, 4));
	c->color = pool_strdup(pool, store_db_column_str(stmt, 5));
	c->timezone = pool_strdup(pool, store_db_column_str(stmt, 6));
	c->sort_order = sqlite3_column_int64(stmt, 7);
	c->components = (unsigned)sqlite3_column_int(stmt, 8);
	c->max_resource_size = (uint64_t)sqlite3_column_int64(stmt, 9);
	c->modseq = (uint64_t)sqlite3_column_int64(stmt, 10);
	c->tombstone_horizon = (uint64_t)sqlite3_column_int64(stmt, 11);
	c->created = (time_t)sqlite3_column_int64(stmt, 12);
}

int store_dav_collections(struct store_account *account,
                          enum store_dav_kind kind, struct pool *pool,
                          struct store_dav_collection **colls_r,
                          size_t *count_r)
{
	if (defaults_ensure(account) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(&account->db, COLLECTION_COLUMNS
	                                      " WHERE kind = ?1"
	                                      " ORDER BY sort_order, name");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, (int)kind);
	size_t count = 0, cap = 8;
	struct store_dav_collection *colls =
	    pool_alloc(pool, cap * sizeof(*colls));
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			struct store_dav_collection *bigger =
			    pool_alloc(pool, 2 * cap * sizeof(*colls));
			memcpy(bigger, colls, cap * sizeof(*colls));
			colls = bigger;
			cap *= 2;
		}
		collection_read(stmt, pool, &colls[count++]);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "dav collections");
		return -1;
	}
	*colls_r = colls;
	*count_r = count;
	return 0;
}

int store_dav_collection_get(struct store_account *account,
                             enum store_dav_kind kind, const char *name,
                             struct pool *pool,
                             struct store_dav_collection *coll_r)
{
	if (defaults_ensure(account) < 0)
		return -1;
	sqlite3_stmt *stmt = store_db_prepare(&account->db, COLLECTION_COLUMNS
	                                      " WHERE kind = ?1 AND name = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, (int)kind);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		collection_read(stmt, pool, coll_r);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "dav collection");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_dav_collection_get_by_id(struct store_account *account, int64_t id,
                                   struct pool *pool,
                                   struct store_dav_collection *coll_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, COLLECTION_COLUMNS " WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	int rc = sqlite3_step(stmt), ret = 0;
	if (rc == SQLITE_ROW) {
		collection_read(stmt, pool, coll_r);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "dav collection");
		ret = -1;
	}
	sqlite3_reset(stmt);
	return ret;
}

int store_dav_schedule_box(struct store_account *account,
                           enum store_dav_kind kind, struct pool *pool,
                           struct store_dav_collection *coll_r)
{
	const char *name =
	    kind == STORE_DAV_SCHEDULE_INBOX ? "inbox" : "outbox";
	int ret = store_dav_collection_get(account, kind, name, pool, coll_r);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT OR IGNORE INTO dav_collections (kind, name, displayname,"
	    " components, max_resource_size, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int(stmt, 1, (int)kind);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3,
	                  kind == STORE_DAV_SCHEDULE_INBOX ? "Inbox" : "Outbox",
	                  -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4,
	                 STORE_DAV_COMP_VEVENT | STORE_DAV_COMP_VTODO |
	                     STORE_DAV_COMP_VJOURNAL |
	                     STORE_DAV_COMP_VFREEBUSY);
	sqlite3_bind_int64(stmt, 5, STORE_DAV_DEFAULT_MAX_SIZE);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)time(NULL));
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	store_account_db_touch(account);
	ret = store_dav_collection_get(account, kind, name, pool, coll_r);
	return ret == 1 ? 0 : (store_db_fail(&account->db, "dav box"), -1);
}

int store_dav_props_write(struct store_account *account, int64_t coll_id,
                          const char *object,
                          const struct store_dav_prop *props, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		sqlite3_stmt *stmt = store_db_prepare(
		    &account->db,
		    props[i].value == NULL
		        ? "DELETE FROM dav_props WHERE collection_id = ?1"
		          " AND object = ?2 AND ns = ?3 AND name = ?4"
		        : "INSERT OR REPLACE INTO dav_props (collection_id,"
		          " object, ns, name, value) VALUES (?1, ?2, ?3, ?4, "
		          "?5)");
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, coll_id);
		sqlite3_bind_text(stmt, 2, object, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, props[i].ns, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, props[i].name, -1, SQLITE_STATIC);
		if (props[i].value != NULL)
			sqlite3_bind_text(stmt, 5, props[i].value, -1,
			                  SQLITE_STATIC);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
	}
	return 0;
}

static const char *str_or_empty(const char *s)
{
	return s == NULL ? "" : s;
}

int store_dav_collection_create(struct store_account *account,
                                const struct store_dav_collection *coll,
                                const struct store_dav_prop *props,
                                size_t prop_count, time_t now, int64_t *id_r,
                                const char **error_r)
{
	if (!store_dav_name_is_valid(coll->name)) {
		*error_r = "invalid name";
		return -1;
	}
	if (defaults_ensure(account) < 0 || store_db_begin(&account->db) < 0)
		return store_dav_fail(account, "dav create", error_r);
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO dav_collections (kind, name, displayname,"
	    " description, color, timezone, sort_order, components,"
	    " max_resource_size, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int(stmt, 1, (int)coll->kind);
	sqlite3_bind_text(stmt, 2, coll->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, str_or_empty(coll->displayname), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, str_or_empty(coll->description), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, str_or_empty(coll->color), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, str_or_empty(coll->timezone), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, coll->sort_order);
	sqlite3_bind_int(stmt, 8, (int)coll->components);
	sqlite3_bind_int64(stmt, 9,
	                   coll->max_resource_size != 0
	                       ? (sqlite3_int64)coll->max_resource_size
	                       : STORE_DAV_DEFAULT_MAX_SIZE);
	sqlite3_bind_int64(stmt, 10, (sqlite3_int64)now);
	bool is_constraint;
	if (store_db_step_done(&account->db, stmt, &is_constraint) < 0) {
		if (is_constraint)
			return store_dav_rollback(account, STORE_DAV_EXISTS);
		goto fail;
	}
	*id_r = sqlite3_last_insert_rowid(account->db.db);
	if (store_dav_props_write(account, *id_r, "", props, prop_count) < 0)
		goto fail;
	return store_dav_commit(account, error_r);
fail:
	*error_r = account->db.error.data;
	return store_dav_rollback(account, -1);
}

int store_dav_bump(struct store_account *account, int64_t coll_id,
                   uint64_t *modseq_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "UPDATE dav_collections SET modseq = modseq + 1"
	                  " WHERE id = ?1 RETURNING modseq");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	int rc = sqlite3_step(stmt), ret = -1;
	if (rc == SQLITE_ROW) {
		if (modseq_r != NULL)
			*modseq_r = (uint64_t)sqlite3_column_int64(stmt, 0);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = STORE_DAV_NOT_FOUND;
	} else {
		store_db_fail(&account->db, "dav modseq");
	}
	sqlite3_reset(stmt);
	return ret;
}

/* Inside a transaction: writes the fields of values named by fields. */
static int collection_fields_write(struct store_account *account, int64_t id,
                                   const struct store_dav_collection *values,
                                   unsigned fields)
{
	static const struct {
		enum store_dav_field field;
		const char *sql;
	} setters[] = {
	    {STORE_DAV_FIELD_DISPLAYNAME,
	     "UPDATE dav_collections SET displayname = ?2 WHERE id = ?1"},
	    {STORE_DAV_FIELD_DESCRIPTION,
	     "UPDATE dav_collections SET description = ?2 WHERE id = ?1"},
	    {STORE_DAV_FIELD_COLOR,
	     "UPDATE dav_collections SET color = ?2 WHERE id = ?1"},
	    {STORE_DAV_FIELD_TIMEZONE,
	     "UPDATE dav_collections SET timezone = ?2 WHERE id = ?1"},
	    {STORE_DAV_FIELD_ORDER,
	     "UPDATE dav_collections SET sort_order = ?3 WHERE id = ?1"},
	};
	const char *texts[] = {values->displayname, values->description,
	                       values->color, values->timezone, NULL};
	for (size_t i = 0; i < sizeof(setters) / sizeof(*setters); i++) {
		if ((fields & setters[i].field) == 0)
			continue;
		sqlite3_stmt *stmt =
		    store_db_prepare(&account->db, setters[i].sql);
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, id);
		if (setters[i].field == STORE_DAV_FIELD_ORDER)
			sqlite3_bind_int64(stmt, 3, values->sort_order);
		else
			sqlite3_bind_text(stmt, 2, str_or_empty(texts[i]), -1,
			                  SQLITE_STATIC);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
	}
	return 0;
}

int store_dav_collection_update(struct store_account *account, int64_t id,
                                const struct store_dav_collection *values,
                                unsigned fields,
                                const struct store_dav_prop *props,
                                size_t prop_count, const char **error_r)
{
	if (store_db_begin(&account->db) < 0)
		return store_dav_fail(account, "dav update", error_r);
	int ret = store_dav_bump(account, id, NULL);
	if (ret != 0)
		goto out;
	if (collection_fields_write(account, id, values, fields) < 0 ||
	    store_dav_props_write(account, id, "", props, prop_count) < 0) {
		ret = -1;
		goto out;
	}
	return store_dav_commit(account, error_r);
out:
	if (ret < 0)
		*error_r = account->db.error.data;
	return store_dav_rollback(account, ret);
}

int store_dav_collection_delete(struct store_account *account, int64_t id,
                                const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "DELETE FROM dav_collections WHERE id = ?1");
	if (stmt == NULL || store_db_begin(&account->db) < 0)
		return store_dav_fail(account, "dav delete", error_r);
	sqlite3_bind_int64(stmt, 1, id);
	if (store_db_step_done(&account->db, stmt, NULL) < 0) {
		*error_r = account->db.error.data;
		return store_dav_rollback(account, -1);
	}
	if (sqlite3_changes(account->db.db) == 0)
		return store_dav_rollback(account, STORE_DAV_NOT_FOUND);
	if (store_dav_commit(account, error_r) < 0)
		return -1;
	/* Its shares go too. Should this fail, the rows name an id that no
	 * collection will have again (AUTOINCREMENT), and find nothing. */
	stmt = store_db_prepare(&account->store->db,
	                        "DELETE FROM dav_shares WHERE owner_id = ?1"
	                        " AND collection_id = ?2");
	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, account->id);
		sqlite3_bind_int64(stmt, 2, id);
		(void)store_db_step_done(&account->store->db, stmt, NULL);
	}
	return 0;
}

int store_dav_props(struct store_account *account, int64_t coll_id,
                    const char *object, struct pool *pool,
                    struct store_dav_prop **props_r, size_t *count_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT ns, name, value FROM dav_props"
	                  " WHERE collection_id = ?1 AND object = ?2"
	                  " ORDER BY ns, name");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, object, -1, SQLITE_STATIC);
	size_t count = 0, cap = 4;
	struct store_dav_prop *props = pool_alloc(pool, cap * sizeof(*props));
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			struct store_dav_prop *bigger =
			    pool_alloc(pool, 2 * cap * sizeof(*props));
			memcpy(bigger, props, cap * sizeof(*props));
			props = bigger;
			cap *= 2;
		}
		props[count].ns =
		    pool_strdup(pool, store_db_column_str(stmt, 0));
		props[count].name =
		    pool_strdup(pool, store_db_column_str(stmt, 1));
		props[count].value =
		    pool_strdup(pool, store_db_column_str(stmt, 2));
		count++;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "dav props");
		return -1;
	}
	*props_r = props;
	*count_r = count;
	return 0;
}

int store_dav_props_set(struct store_account *account, int64_t coll_id,
                        const char *object, const struct store_dav_prop *props,
                        size_t count, const char **error_r)
{
	if (store_db_begin(&account->db) < 0)
		return store_dav_fail(account, "dav props", error_r);
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT 1 FROM dav_objects WHERE collection_id = ?1"
	                  " AND name = ?2");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, coll_id);
	sqlite3_bind_text(stmt, 2, object, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return store_dav_rollback(account, STORE_DAV_NOT_FOUND);
	if (rc != SQLITE_ROW ||
	    store_dav_props_write(account, coll_id, object, props, count) < 0)
		goto fail;
	return store_dav_commit(account, error_r);
fail:
	*error_r = store_db_fail(&account->db, "dav props");
	return store_dav_rollback(account, -1);
}

int store_dav_access(struct store_account *owner, const char *user,
                     int64_t coll_id)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(user, pool);
	int ret = STORE_DAV_ACCESS_NONE;
	if (addr == NULL)
		goto out;
	if (owner->address[0] != '\0' && strcmp(addr, owner->address) == 0) {
		ret = STORE_DAV_ACCESS_OWNER;
		goto out;
	}
	struct store_db *db = &owner->store->db;
	sqlite3_stmt *stmt = store_db_prepare(
	    db, "SELECT s.access FROM dav_shares s JOIN accounts a"
	        " ON a.id = s.grantee_id WHERE s.owner_id = ?1"
	        " AND s.collection_id = ?2 AND a.address = ?3");
	if (stmt == NULL) {
		ret = -1;
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, owner->id);
	sqlite3_bind_int64(stmt, 2, coll_id);
	sqlite3_bind_text(stmt, 3, addr, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		int a = sqlite3_column_int(stmt, 0);
		/* a share never makes its grantee an owner */
		ret = a == STORE_DAV_ACCESS_READ_WRITE ? a
		                                       : STORE_DAV_ACCESS_READ;
	} else if (rc != SQLITE_DONE) {
		store_db_fail(db, "dav access");
		ret = -1;
	}
	sqlite3_reset(stmt);
out:
	pool_free(&pool);
	return ret;
}
