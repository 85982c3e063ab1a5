/* The address book of one account (store_contact.h): contacts with their
 * addresses and phone numbers in mail.db, a per-address use count, and
 * completion entries in RFC 5322 §3.4 mailbox form. A contact and its
 * addresses change together in one transaction. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_contact.h"
#include "store/store_private.h"

#include <stdlib.h>
#include <string.h>

/* Columns of every contact query, in this order. */
#define CONTACT_COLUMNS                                                        \
	"SELECT c.id, c.uid, c.name, c.org, c.note, c.vcard, c.updated,"       \
	" (SELECT coalesce(sum(u.count), 0) FROM contact_emails e"             \
	"  JOIN address_use u ON u.address = lower(e.address)"                 \
	"  WHERE e.contact_id = c.id) FROM contacts c"
#define CONTACT_ORDER " ORDER BY c.name COLLATE NOCASE, c.id"

static const char *str_or_empty(const char *str)
{
	return str == NULL ? "" : str;
}

static int contact_check(const struct store_contact *contact,
                         const char **error_r)
{
	if (contact->uid == NULL || contact->uid[0] == '\0') {
		*error_r = "contact needs a UID";
		return -1;
	}
	if ((contact->name == NULL || contact->name[0] == '\0') &&
	    contact->email_count == 0) {
		*error_r = "contact needs a name or an address";
		return -1;
	}
	return 0;
}

/* Inside a transaction: writes the addresses and numbers of contact id,
 * replacing what it had. Returns 0 or -1. */
static int contact_lists_put(struct store_account *account, int64_t id,
                             const struct store_contact *contact)
{
	static const char *const deletes[] = {
	    "DELETE FROM contact_emails WHERE contact_id = ?1",
	    "DELETE FROM contact_phones WHERE contact_id = ?1",
	};
	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *stmt = store_db_prepare(&account->db, deletes[i]);
		if (stmt == NULL)
			return -1;
		sqlite3_bind_int64(stmt, 1, id);
		if (store_db_step_done(&account->db, stmt, NULL) < 0)
			return -1;
	}
	const char *sql[2] = {
	    "INSERT INTO contact_emails (contact_id, position, address)"
	    " VALUES (?1, ?2, ?3)",
	    "INSERT INTO contact_phones (contact_id, position, number)"
	    " VALUES (?1, ?2, ?3)",
	};
	const char **lists[2] = {contact->emails, contact->phones};
	size_t counts[2] = {contact->email_count, contact->phone_count};
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			sqlite3_stmt *stmt =
			    store_db_prepare(&account->db, sql[l]);
			if (stmt == NULL)
				return -1;
			sqlite3_bind_int64(stmt, 1, id);
			sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
			sqlite3_bind_text(stmt, 3, lists[l][i], -1,
			                  SQLITE_STATIC);
			if (store_db_step_done(&account->db, stmt, NULL) < 0)
				return -1;
		}
	}
	return 0;
}

/* Binds the row fields of contact as ?1 uid .. ?6 updated. */
static void contact_bind(sqlite3_stmt *stmt,
                         const struct store_contact *contact, time_t now)
{
	sqlite3_bind_text(stmt, 1, contact->uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, str_or_empty(contact->name), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, str_or_empty(contact->org), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, str_or_empty(contact->note), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, str_or_empty(contact->vcard), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)now);
}

/* Inside a transaction: inserts (id == 0) or updates the contact row,
 * then its lists. Returns 1, 0 (update of a missing id), -1. */
static int contact_write_tx(struct store_account *account,
                            const struct store_contact *contact, int64_t id,
                            time_t now, int64_t *id_r, const char **error_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    id == 0 ? "INSERT INTO contacts (uid, name, org, note, vcard,"
	              " updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	            : "UPDATE contacts SET uid = ?1, name = ?2, org = ?3,"
	              " note = ?4, vcard = ?5, updated = ?6 WHERE id = ?7");
	if (stmt == NULL)
		goto fail;
	contact_bind(stmt, contact, now);
	if (id != 0)
		sqlite3_bind_int64(stmt, 7, id);
	bool is_constraint;
	if (store_db_step_done(&account->db, stmt, &is_constraint) < 0) {
		if (is_constraint) {
			*error_r = "contact exists";
			return -1;
		}
		goto fail;
	}
	if (sqlite3_changes(account->db.db) == 0)
		return 0;
	if (id == 0)
		id = sqlite3_last_insert_rowid(account->db.db);
	if (contact_lists_put(account, id, contact) < 0)
		goto fail;
	*id_r = id;
	return 1;
fail:
	*error_r = account->db.error.data;
	return -1;
}

static int contact_write(struct store_account *account,
                         const struct store_contact *contact, int64_t id,
                         time_t now, int64_t *id_r, const char **error_r)
{
	if (contact_check(contact, error_r) < 0)
		return -1;
	if (store_db_begin(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	int ret = contact_write_tx(account, contact, id, now, id_r, error_r);
	if (ret <= 0) {
		store_db_rollback(&account->db);
		return ret;
	}
	if (store_db_commit(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	return 1;
}

int store_contact_add(struct store_account *account,
                      const struct store_contact *contact, time_t now,
                      int64_t *id_r, const char **error_r)
{
	return contact_write(account, contact, 0, now, id_r, error_r) < 0 ? -1
	                                                                  : 0;
}

int store_contact_update(struct store_account *account,
                         const struct store_contact *contact, time_t now,
                         const char **error_r)
{
	int64_t id;
	if (contact->id <= 0)
		return 0;
	return contact_write(account, contact, contact->id, now, &id, error_r);
}

int store_contact_delete(struct store_account *account, int64_t id)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "DELETE FROM contacts WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_db_step_done(&account->db, stmt, NULL) < 0)
		return -1;
	return sqlite3_changes(account->db.db) > 0 ? 1 : 0;
}

/* Reads the first column of every row of stmt (bound to a contact id) into
 * a pool array. Returns 0 or -1. */
static int strings_read(struct store_account *account, sqlite3_stmt *stmt,
                        struct pool *pool, const char ***list_r,
                        size_t *count_r)
{
	size_t count = 0, cap = 0;
	const char **list = NULL;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[count++] = pool_strdup(pool, store_db_column_str(stmt, 0));
	}
	sqlite3_reset(stmt);
	*list_r = pool_alloc(pool, count * sizeof(*list) + 1);
	if (count > 0)
		memcpy(*list_r, list, count * sizeof(*list));
	*count_r = count;
	free(list);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "contact lists");
		return -1;
	}
	return 0;
}

/* Fills the addresses and numbers of contact. Returns 0 or -1. */
static int contact_lists_get(struct store_account *account, struct pool *pool,
                             struct store_contact *contact)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, "SELECT address FROM contact_emails"
	                  " WHERE contact_id = ?1 ORDER BY position");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, contact->id);
	if (strings_read(account, stmt, pool, &contact->emails,
	                 &contact->email_count) < 0)
		return -1;
	stmt = store_db_prepare(&account->db,
	                        "SELECT number FROM contact_phones"
	                        " WHERE contact_id = ?1 ORDER BY position");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, contact->id);
	return strings_read(account, stmt, pool, &contact->phones,
	                    &contact->phone_count);
}

static void contact_row_read(sqlite3_stmt *stmt, struct pool *pool,
                             struct store_contact *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	c->uid = pool_strdup(pool, store_db_column_str(stmt, 1));
	c->name = pool_strdup(pool, store_db_column_str(stmt, 2));
	c->org = pool_strdup(pool, store_db_column_str(stmt, 3));
	c->note = pool_strdup(pool, store_db_column_str(stmt, 4));
	c->vcard = pool_strdup(pool, store_db_column_str(stmt, 5));
	c->updated = (time_t)sqlite3_column_int64(stmt, 6);
	c->use_count = (uint64_t)sqlite3_column_int64(stmt, 7);
}

/* Runs stmt (bound, CONTACT_COLUMNS) and returns its contacts, lists
 * filled, as a pool array. Returns 0 or -1. */
static int contacts_query(struct store_account *account, sqlite3_stmt *stmt,
                          struct pool *pool, struct store_contact **list_r,
                          size_t *count_r)
{
	size_t count = 0, cap = 0;
	struct store_contact *list = NULL;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			list = xrealloc(list, cap * sizeof(*list));
		}
		contact_row_read(stmt, pool, &list[count++]);
	}
	sqlite3_reset(stmt);
	int ret = 0;
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "contacts");
		ret = -1;
	}
	/* the lists are read once the main statement is done with */
	for (size_t i = 0; ret == 0 && i < count; i++)
		ret = contact_lists_get(account, pool, &list[i]);
	if (ret == 0) {
		*list_r = pool_alloc(pool, count * sizeof(*list) + 1);
		if (count > 0)
			memcpy(*list_r, list, count * sizeof(*list));
		*count_r = count;
	}
	free(list);
	return ret;
}

/* One contact from stmt. Returns 1, 0, -1. */
static int contact_get_one(struct store_account *account, sqlite3_stmt *stmt,
                           struct pool *pool, struct store_contact *contact_r)
{
	struct store_contact *list;
	size_t count;
	if (contacts_query(account, stmt, pool, &list, &count) < 0)
		return -1;
	if (count == 0)
		return 0;
	*contact_r = list[0];
	return 1;
}

int store_contact_get(struct store_account *account, int64_t id,
                      struct pool *pool, struct store_contact *contact_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, CONTACT_COLUMNS " WHERE c.id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return contact_get_one(account, stmt, pool, contact_r);
}

int store_contact_get_by_uid(struct store_account *account, const char *uid,
                             struct pool *pool, struct store_contact *contact_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, CONTACT_COLUMNS " WHERE c.uid = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, uid, -1, SQLITE_STATIC);
	return contact_get_one(account, stmt, pool, contact_r);
}

int store_contact_list(struct store_account *account, struct pool *pool,
                       struct store_contact **contacts_r, size_t *count_r)
{
	sqlite3_stmt *stmt =
	    store_db_prepare(&account->db, CONTACT_COLUMNS CONTACT_ORDER);
	if (stmt == NULL)
		return -1;
	return contacts_query(account, stmt, pool, contacts_r, count_r);
}

int store_contact_search(struct store_account *account, const char *query,
                         struct pool *pool, struct store_contact **contacts_r,
                         size_t *count_r)
{
	/* instr() rather than LIKE: no wildcards to escape in query */
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db, CONTACT_COLUMNS
	    " WHERE instr(lower(c.name), lower(?1)) > 0"
	    " OR EXISTS (SELECT 1 FROM contact_emails e"
	    "  WHERE e.contact_id = c.id"
	    "  AND instr(lower(e.address), lower(?1)) > 0)" CONTACT_ORDER);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, query, -1, SQLITE_STATIC);
	return contacts_query(account, stmt, pool, contacts_r, count_r);
}

/* RFC 5322 §3.2.3 specials, and the quote itself, force a quoted
 * display name. */
static bool name_needs_quotes(const char *name)
{
	return strpbrk(name, "()<>[]:;@\\,.\"") != NULL;
}

/* "Name <addr>", "\"Doe, J.\" <addr>" or "addr", from pool. */
static const char *entry_format(const char *name, const char *address,
                                struct pool *pool)
{
	if (name[0] == '\0')
		return pool_strdup(pool, address);
	if (!name_needs_quotes(name))
		return pool_printf(pool, "%s <%s>", name, address);
	struct buf b;
	buf_init(&b);
	buf_append_char(&b, '"');
	for (const char *p = name; *p != '\0'; p++) {
		/* RFC 5322 §3.2.4 quoted-pair */
		if (*p == '"' || *p == '\\')
			buf_append_char(&b, '\\');
		buf_append_char(&b, *p);
	}
	buf_printf(&b, "\" <%s>", address);
	const char *ret = pool_strdup(pool, b.data);
	buf_deinit(&b);
	return ret;
}

int store_contact_complete(struct store_account *account, const char *prefix,
                           size_t limit, struct pool *pool,
                           const char ***entries_r, size_t *count_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT c.name, e.address FROM contact_emails e"
	    " JOIN contacts c ON c.id = e.contact_id"
	    " LEFT JOIN address_use u ON u.address = lower(e.address)"
	    " WHERE substr(lower(c.name), 1, length(?1)) = lower(?1)"
	    " OR instr(' ' || lower(c.name), ' ' || lower(?1)) > 0"
	    " OR substr(lower(e.address), 1, length(?1)) = lower(?1)"
	    " ORDER BY coalesce(u.count, 0) DESC, c.name COLLATE NOCASE,"
	    " lower(e.address) LIMIT ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(
	    stmt, 2, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
	size_t count = 0;
	const char **list =
	    pool_alloc(pool, (limit < 64 ? limit : 64) * sizeof(*list) + 1);
	size_t cap = limit < 64 ? limit : 64;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			const char **bigger =
			    pool_alloc(pool, cap * 2 * sizeof(*list));
			memcpy(bigger, list, count * sizeof(*list));
			list = bigger;
			cap *= 2;
		}
		list[count++] =
		    entry_format(store_db_column_str(stmt, 0),
		                 store_db_column_str(stmt, 1), pool);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		store_db_fail(&account->db, "contact complete");
		return -1;
	}
	*entries_r = list;
	*count_r = count;
	return 0;
}

int store_contact_use(struct store_account *account, const char *address,
                      time_t now)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "INSERT INTO address_use (address, count, last_used)"
	    " VALUES (lower(?1), 1, ?2) ON CONFLICT (address) DO UPDATE"
	    " SET count = count + 1, last_used = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)now);
	return store_db_step_done(&account->db, stmt, NULL);
}
