/* JMAP Mailbox (RFC 8621 §2), Thread (§3) and Identity (§6) over the
 * store. Mailboxes are IMAP's: "a/b/c" is "c" with the parentId of "a/b"
 * (or of the nearest existing ancestor, the rest of the path in the
 * name), the SPECIAL-USE role is the JMAP role, counts leave out \Deleted
 * messages. Creating, renaming and deleting go through the same store
 * calls as IMAP's CREATE, RENAME and DELETE. */
#include "core/buf.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap_server.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const role_names[] = {
    [STORE_SPECIAL_NONE] = NULL,       [STORE_SPECIAL_INBOX] = "inbox",
    [STORE_SPECIAL_DRAFTS] = "drafts", [STORE_SPECIAL_SENT] = "sent",
    [STORE_SPECIAL_TRASH] = "trash",   [STORE_SPECIAL_JUNK] = "junk",
    [STORE_SPECIAL_ARCHIVE] = "archive",
};

static int role_parse(const char *role, enum store_special_use *su_r)
{
	for (size_t i = 1; i < sizeof(role_names) / sizeof(*role_names); i++) {
		if (strcmp(role, role_names[i]) == 0) {
			*su_r = (enum store_special_use)i;
			return 0;
		}
	}
	return -1;
}

int jmap_mailbox_id_parse(const char *id, int64_t *id_r)
{
	if (id == NULL || id[0] != 'm' || id[1] < '1' || id[1] > '9' ||
	    strlen(id) > 19)
		return -1;
	char *end;
	long long v = strtoll(id + 1, &end, 10);
	if (*end != '\0')
		return -1;
	*id_r = v;
	return 0;
}

/* ---- listing ---- */

struct mb_list {
	struct pool *pool;
	struct store_jmap_mailbox *items;
	size_t count, cap;
};

static void mb_list_cb(const struct store_jmap_mailbox *mb, void *context)
{
	struct mb_list *l = context;
	if (l->count == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		struct store_jmap_mailbox *n =
		    pool_alloc(l->pool, l->cap * sizeof(*n));
		if (l->count > 0)
			memcpy(n, l->items, l->count * sizeof(*n));
		l->items = n;
	}
	l->items[l->count] = *mb;
	l->items[l->count].name = pool_strdup(l->pool, mb->name);
	l->count++;
}

static int mb_list_read(struct jmap_ctx *ctx, struct mb_list *l)
{
	memset(l, 0, sizeof(*l));
	l->pool = ctx->pool;
	return store_jmap_mailbox_list(ctx->account, mb_list_cb, l);
}

static const struct store_jmap_mailbox *mb_by_name(const struct mb_list *l,
                                                  const char *name,
                                                  size_t len)
{
	for (size_t i = 0; i < l->count; i++) {
		if (strlen(l->items[i].name) == len &&
		    strncmp(l->items[i].name, name, len) == 0)
			return &l->items[i];
	}
	return NULL;
}

static const struct store_jmap_mailbox *mb_by_id(const struct mb_list *l,
                                                int64_t id)
{
	for (size_t i = 0; i < l->count; i++) {
		if (l->items[i].id == id)
			return &l->items[i];
	}
	return NULL;
}

/* The nearest existing ancestor of mb, and where its own name starts. */
static const struct store_jmap_mailbox *
mb_parent(const struct mb_list *l, const struct store_jmap_mailbox *mb,
          const char **name_r)
{
	const char *name = mb->name;
	for (size_t len = strlen(name); len > 0; len--) {
		if (name[len - 1] != '/' || len == 1)
			continue;
		const struct store_jmap_mailbox *p =
		    mb_by_name(l, name, len - 1);
		if (p != NULL) {
			*name_r = name + len;
			return p;
		}
	}
	*name_r = name;
	return NULL;
}

static bool wants(json_t *props, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(props, i, p)
	{
		if (strcmp(json_string_value(p), name) == 0)
			return true;
	}
	return false;
}

static json_t *mb_json(const struct mb_list *l,
                       const struct store_jmap_mailbox *mb, json_t *props)
{
	json_t *o = json_pack("{s:s+}", "id", "m",
	                      pool_printf(l->pool, "%lld", (long long)mb->id));
	const char *name;
	const struct store_jmap_mailbox *parent = mb_parent(l, mb, &name);
	if (wants(props, "name"))
		json_object_set_new(o, "name", json_string(name));
	if (wants(props, "parentId"))
		json_object_set_new(
		    o, "parentId",
		    parent == NULL ? json_null()
		                   : json_sprintf("m%lld", (long long)parent->id));
	if (wants(props, "role")) {
		const char *role = role_names[mb->special_use];
		json_object_set_new(o, "role",
		                    role != NULL ? json_string(role) : json_null());
	}
	if (wants(props, "sortOrder"))
		json_object_set_new(o, "sortOrder", json_integer(mb->sort_order));
	if (wants(props, "totalEmails"))
		json_object_set_new(o, "totalEmails",
		                    json_integer(mb->total_emails));
	if (wants(props, "unreadEmails"))
		json_object_set_new(o, "unreadEmails",
		                    json_integer(mb->unread_emails));
	if (wants(props, "totalThreads"))
		json_object_set_new(o, "totalThreads",
		                    json_integer(mb->total_threads));
	if (wants(props, "unreadThreads"))
		json_object_set_new(o, "unreadThreads",
		                    json_integer(mb->unread_threads));
	if (wants(props, "isSubscribed"))
		json_object_set_new(o, "isSubscribed",
		                    json_boolean(mb->is_subscribed));
	if (wants(props, "myRights")) {
		bool is_inbox = mb->special_use == STORE_SPECIAL_INBOX;
		json_object_set_new(
		    o, "myRights",
		    json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
		              "mayReadItems", 1, "mayAddItems", 1,
		              "mayRemoveItems", 1, "maySetSeen", 1,
		              "maySetKeywords", 1, "mayCreateChild", 1,
		              "mayRename", !is_inbox, "mayDelete", !is_inbox,
		              "maySubmit", 1));
	}
	return o;
}

static const char *mailbox_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_state_str(c, STORE_JMAP_MAILBOX);
}

static int mailbox_get(struct jmap_call_ctx *c, void *account, json_t *args,
                       json_t *ids, json_t *props, json_t *list,
                       json_t *not_found)
{
	(void)args;
	struct jmap_ctx *ctx = account;
	struct mb_list l;
	if (mb_list_read(ctx, &l) < 0)
		return -1;
	if (ids == NULL) {
		for (size_t i = 0; i < l.count; i++)
			json_array_append_new(list,
			                      mb_json(&l, &l.items[i], props));
		return 0;
	}
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		int64_t n;
		const struct store_jmap_mailbox *mb =
		    jmap_mailbox_id_parse(json_string_value(id), &n) == 0
		        ? mb_by_id(&l, n)
		        : NULL;
		if (mb == NULL)
			json_array_append(not_found, id);
		else
			json_array_append_new(list, mb_json(&l, mb, props));
	}
	return 0;
}

struct changes_ctx {
	json_t *created, *updated, *destroyed;
	char prefix;
	bool all_counts_only;
};

static void changes_cb(enum store_jmap_change change, const char *id,
                       bool is_counts_only, void *context)
{
	struct changes_ctx *ch = context;
	json_t *arr = change == STORE_JMAP_CREATED   ? ch->created
	              : change == STORE_JMAP_UPDATED ? ch->updated
	                                             : ch->destroyed;
	json_array_append_new(arr, json_sprintf("%c%s", ch->prefix, id));
	if (change != STORE_JMAP_UPDATED || !is_counts_only)
		ch->all_counts_only = false;
}

static int type_changes(struct jmap_call_ctx *c, struct jmap_ctx *ctx,
                        enum store_jmap_type type, char prefix,
                        const char *since, unsigned max,
                        struct jmap_changes *out)
{
	char *end;
	unsigned long long s = strtoull(since, &end, 10);
	if (since[0] < '0' || since[0] > '9' || *end != '\0')
		return 1;
	struct changes_ctx ch = {
	    .created = out->created,
	    .updated = out->updated,
	    .destroyed = out->destroyed,
	    .prefix = prefix,
	    .all_counts_only = true,
	};
	uint64_t upto;
	int ret = store_jmap_changes(ctx->account, type, s, max, changes_cb,
	                             &ch, &upto, &out->has_more);
	if (ret != 0)
		return ret;
	out->new_state =
	    pool_printf(jmap_call_pool(c), "%llu", (unsigned long long)upto);
	/* RFC 8621 §2.2: only the counts of the updated mailboxes changed */
	if (type == STORE_JMAP_MAILBOX) {
		out->updated_properties =
		    ch.all_counts_only && json_array_size(ch.updated) > 0
		        ? json_pack("[s, s, s, s]", "totalEmails",
		                    "unreadEmails", "totalThreads",
		                    "unreadThreads")
		        : json_null();
	}
	return 0;
}

static int mailbox_changes(struct jmap_call_ctx *c, void *account,
                           const char *since, unsigned max,
                           struct jmap_changes *out)
{
	return type_changes(c, account, STORE_JMAP_MAILBOX, 'm', since, max,
	                    out);
}

/* ---- Mailbox/set ---- */

static json_t *invalid(const char *prop, const char *why)
{
	return jmap_set_error_prop("invalidProperties", why, prop);
}

/* The full name of a mailbox called name under parent_id (a JSON value:
 * null or an id, "#x" allowed). Returns it from pool, or NULL with
 * *err_r. */
static const char *full_name(struct jmap_call_ctx *c, const struct mb_list *l,
                             json_t *parent_id, const char *name,
                             json_t **err_r)
{
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strlen(name) > 255) {
		*err_r = invalid("name", "a name without \"/\" is needed");
		return NULL;
	}
	if (parent_id == NULL || json_is_null(parent_id))
		return name;
	int64_t pid;
	const char *s = json_is_string(parent_id)
	                    ? jmap_call_resolve_id(c, json_string_value(parent_id))
	                    : NULL;
	const struct store_jmap_mailbox *p =
	    jmap_mailbox_id_parse(s, &pid) == 0 ? mb_by_id(l, pid) : NULL;
	if (p == NULL) {
		*err_r = invalid("parentId", "no such mailbox");
		return NULL;
	}
	return pool_printf(l->pool, "%s/%s", p->name, name);
}

static const char *mailbox_create(struct jmap_call_ctx *c, void *account,
                                  json_t *obj, json_t **extra_r,
                                  json_t **err_r)
{
	static const char *const allowed[] = {
	    "name", "parentId", "role", "sortOrder", "isSubscribed", NULL};
	struct jmap_ctx *ctx = account;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (!jmap_str_in(key, allowed)) {
			*err_r = invalid(key, "not settable");
			return NULL;
		}
	}
	struct mb_list l;
	if (mb_list_read(ctx, &l) < 0) {
		*err_r = jmap_set_error("serverFail", NULL, NULL);
		return NULL;
	}
	json_t *name = json_object_get(obj, "name");
	const char *full =
	    full_name(c, &l, json_object_get(obj, "parentId"),
	              json_is_string(name) ? json_string_value(name) : NULL,
	              err_r);
	if (full == NULL)
		return NULL;
	enum store_special_use su = STORE_SPECIAL_NONE;
	json_t *role = json_object_get(obj, "role");
	if (role != NULL && !json_is_null(role) &&
	    (!json_is_string(role) ||
	     role_parse(json_string_value(role), &su) < 0 ||
	     su == STORE_SPECIAL_INBOX)) {
		*err_r = invalid("role", "not a role this server has");
		return NULL;
	}
	const char *error;
	if (store_mailbox_create(ctx->account, full, su, &error) < 0) {
		*err_r = strcmp(error, "mailbox exists") == 0
		             ? invalid("name", "a mailbox of that name exists")
		             : invalid("name", error);
		return NULL;
	}
	int64_t id;
	if (store_jmap_mailbox_id(ctx->account, full, &id) <= 0) {
		*err_r = jmap_set_error("serverFail", NULL, NULL);
		return NULL;
	}
	json_t *sub = json_object_get(obj, "isSubscribed");
	if (json_is_boolean(sub))
		(void)store_mailbox_subscribe(ctx->account, full,
		                              json_is_true(sub), &error);
	json_t *order = json_object_get(obj, "sortOrder");
	if (json_is_integer(order) && json_integer_value(order) >= 0)
		(void)store_jmap_mailbox_set_sort_order(
		    ctx->account, id, (uint32_t)json_integer_value(order));
	*extra_r = json_pack("{s:i, s:i, s:i, s:i}", "totalEmails", 0,
	                     "unreadEmails", 0, "totalThreads", 0,
	                     "unreadThreads", 0);
	return pool_printf(ctx->pool, "m%lld", (long long)id);
}

static int mailbox_update(struct jmap_call_ctx *c, void *account,
                          const char *id, json_t *patch, json_t **err_r)
{
	struct jmap_ctx *ctx = account;
	struct mb_list l;
	int64_t n;
	if (mb_list_read(ctx, &l) < 0) {
		*err_r = jmap_set_error("serverFail", NULL, NULL);
		return -1;
	}
	const struct store_jmap_mailbox *mb =
	    jmap_mailbox_id_parse(id, &n) == 0 ? mb_by_id(&l, n) : NULL;
	if (mb == NULL) {
		*err_r = jmap_set_error("notFound", NULL, NULL);
		return -1;
	}
	const char *key, *error, *own;
	json_t *v;
	const struct store_jmap_mailbox *parent = mb_parent(&l, mb, &own);
	json_t *parent_id =
	    parent != NULL ? json_sprintf("m%lld", (long long)parent->id)
	                   : json_null();
	const char *new_name = own;
	bool rename = false;
	json_object_foreach(patch, key, v)
	{
		if (strcmp(key, "name") == 0 && json_is_string(v)) {
			new_name = json_string_value(v);
			rename = true;
		} else if (strcmp(key, "parentId") == 0) {
			json_decref(parent_id);
			parent_id = json_incref(v);
			rename = true;
		} else if (strcmp(key, "isSubscribed") == 0 &&
		           json_is_boolean(v)) {
			(void)store_mailbox_subscribe(
			    ctx->account, mb->name, json_is_true(v), &error);
		} else if (strcmp(key, "sortOrder") == 0 &&
		           json_is_integer(v) && json_integer_value(v) >= 0) {
			(void)store_jmap_mailbox_set_sort_order(
			    ctx->account, mb->id,
			    (uint32_t)json_integer_value(v));
		} else if (strcmp(key, "role") == 0) {
			enum store_special_use su = STORE_SPECIAL_NONE;
			if (!json_is_null(v) &&
			    (!json_is_string(v) ||
			     role_parse(json_string_value(v), &su) < 0)) {
				json_decref(parent_id);
				*err_r = invalid("role", "unknown role");
				return -1;
			}
			(void)store_jmap_mailbox_set_role(ctx->account, mb->id,
			                                  su);
		} else {
			json_decref(parent_id);
			*err_r = invalid(key, "not settable");
			return -1;
		}
	}
	int ret = 0;
	if (rename) {
		const char *full = full_name(c, &l, parent_id, new_name, err_r);
		if (full == NULL) {
			ret = -1;
		} else if (strcmp(full, mb->name) != 0 &&
		           store_mailbox_rename(ctx->account, mb->name, full,
		                                &error) < 0) {
			*err_r = invalid(strcmp(error, "invalid name") == 0
			                     ? "parentId"
			                     : "name",
			                 error);
			ret = -1;
		}
	}
	json_decref(parent_id);
	return ret;
}

static bool remove_emails; /* onDestroyRemoveEmails of this /set */

static int mailbox_set_prepare(struct jmap_call_ctx *c, void *account,
                               json_t *args)
{
	(void)account;
	return jmap_arg_bool(c, args, "onDestroyRemoveEmails", false,
	                     &remove_emails);
}

static int mailbox_destroy(struct jmap_call_ctx *c, void *account,
                           const char *id, json_t **err_r)
{
	(void)c;
	struct jmap_ctx *ctx = account;
	struct mb_list l;
	int64_t n;
	if (mb_list_read(ctx, &l) < 0) {
		*err_r = jmap_set_error("serverFail", NULL, NULL);
		return -1;
	}
	const struct store_jmap_mailbox *mb =
	    jmap_mailbox_id_parse(id, &n) == 0 ? mb_by_id(&l, n) : NULL;
	if (mb == NULL) {
		*err_r = jmap_set_error("notFound", NULL, NULL);
		return -1;
	}
	for (size_t i = 0; i < l.count; i++) {
		const char *own;
		if (mb_parent(&l, &l.items[i], &own) == mb) {
			*err_r = jmap_set_error("mailboxHasChild", NULL, NULL);
			return -1;
		}
	}
	if (!remove_emails && store_jmap_mailbox_count(ctx->account, n) != 0) {
		*err_r = jmap_set_error("mailboxHasEmail", NULL, NULL);
		return -1;
	}
	const char *error;
	if (store_mailbox_delete(ctx->account, mb->name, &error) < 0) {
		*err_r = jmap_set_error("forbidden", error, NULL);
		return -1;
	}
	return 0;
}

static const char *const mailbox_props[] = {
    "id",          "name",         "parentId",      "role",
    "sortOrder",   "totalEmails",  "unreadEmails",  "totalThreads",
    "unreadThreads", "myRights",   "isSubscribed",  NULL};
static const char *const mailbox_set_args[] = {"onDestroyRemoveEmails", NULL};

const struct jmap_type jmap_mailbox_type = {
    .name = "Mailbox",
    .properties = mailbox_props,
    .set_args = mailbox_set_args,
    .state = mailbox_state,
    .get = mailbox_get,
    .changes = mailbox_changes,
    .create = mailbox_create,
    .update = mailbox_update,
    .destroy = mailbox_destroy,
    .set_prepare = mailbox_set_prepare,
};

/* ---- Mailbox/query (§2.3) ---- */

/* True if needle is in hay, ASCII case-insensitively. */
static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; *p != '\0'; p++) {
		if (strncasecmp(p, needle, n) == 0)
			return true;
	}
	return n == 0;
}

static bool mb_matches(const struct mb_list *l,
                       const struct store_jmap_mailbox *mb, json_t *filter)
{
	if (filter == NULL)
		return true;
	const char *own;
	const struct store_jmap_mailbox *parent = mb_parent(l, mb, &own);
	json_t *v;
	if ((v = json_object_get(filter, "parentId")) != NULL) {
		int64_t pid;
		if (json_is_null(v) ? parent != NULL
		                    : (jmap_mailbox_id_parse(json_string_value(v),
		                                             &pid) < 0 ||
		                       parent == NULL || parent->id != pid))
			return false;
	}
	if ((v = json_object_get(filter, "name")) != NULL &&
	    (!json_is_string(v) || !contains_ci(own, json_string_value(v))))
		return false;
	if ((v = json_object_get(filter, "role")) != NULL) {
		const char *role = role_names[mb->special_use];
		if (json_is_null(v) ? role != NULL
		                    : role == NULL ||
		                          strcmp(role, json_string_value(v)) != 0)
			return false;
	}
	if ((v = json_object_get(filter, "hasAnyRole")) != NULL &&
	    json_is_true(v) != (mb->special_use != STORE_SPECIAL_NONE))
		return false;
	if ((v = json_object_get(filter, "isSubscribed")) != NULL &&
	    json_is_true(v) != mb->is_subscribed)
		return false;
	return true;
}

void jmap_mailbox_query(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const extra[] = {"sortAsTree", "filterAsTree",
	                                    NULL};
	struct jmap_query q;
	if (jmap_query_parse(c, args, extra, &q) < 0)
		return;
	struct jmap_ctx *ctx = jmap_server_account(c, q.account_id);
	if (ctx == NULL)
		return;
	static const char *const filters[] = {
	    "parentId", "name", "role", "hasAnyRole", "isSubscribed", NULL};
	const char *key;
	json_t *v;
	json_object_foreach(q.filter, key, v)
	{
		if (!jmap_str_in(key, filters)) {
			jmap_error(c, JMAP_ERR_UNSUPPORTED_FILTER, "%s", key);
			return;
		}
	}
	size_t i;
	json_t *s;
	json_array_foreach(q.sort, i, s)
	{
		const char *prop = json_string_value(json_object_get(s, "property"));
		if (prop == NULL || (strcmp(prop, "name") != 0 &&
		                     strcmp(prop, "sortOrder") != 0)) {
			jmap_error(c, JMAP_ERR_UNSUPPORTED_SORT, NULL);
			return;
		}
	}
	struct mb_list l;
	const char *state = jmap_state_str(c, STORE_JMAP_MAILBOX);
	if (state == NULL || mb_list_read(ctx, &l) < 0) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	/* the store lists by name; sortOrder then name is the usual order */
	json_t *ids = json_array();
	for (size_t k = 0; k < l.count; k++) {
		if (mb_matches(&l, &l.items[k], q.filter))
			json_array_append_new(
			    ids, json_sprintf("m%lld", (long long)l.items[k].id));
	}
	jmap_query_reply(c, &q, ids, state, false);
}

/* ---- Thread (§3) ---- */

static const char *thread_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_state_str(c, STORE_JMAP_THREAD);
}

static int thread_get(struct jmap_call_ctx *c, void *account, json_t *args,
                      json_t *ids, json_t *props, json_t *list,
                      json_t *not_found)
{
	(void)args;
	(void)props;
	struct jmap_ctx *ctx = account;
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		const char *s = json_string_value(id);
		char *end;
		long long n = s[0] == 't' ? strtoll(s + 1, &end, 10) : 0;
		const char **guids;
		size_t count;
		int ret = n > 0 && *end == '\0'
		              ? store_jmap_thread_get(ctx->account, n,
		                                      jmap_call_pool(c), &guids,
		                                      &count)
		              : 0;
		if (ret < 0)
			return -1;
		if (ret == 0) {
			json_array_append(not_found, id);
			continue;
		}
		json_t *emails = json_array();
		for (size_t k = 0; k < count; k++)
			json_array_append_new(emails,
			                      json_sprintf("e%s", guids[k]));
		json_array_append_new(list, json_pack("{s:O, s:o}", "id", id,
		                                      "emailIds", emails));
	}
	return 0;
}

static int thread_changes(struct jmap_call_ctx *c, void *account,
                          const char *since, unsigned max,
                          struct jmap_changes *out)
{
	return type_changes(c, account, STORE_JMAP_THREAD, 't', since, max,
	                    out);
}

static const char *const thread_props[] = {"id", "emailIds", NULL};

const struct jmap_type jmap_thread_type = {
    .name = "Thread",
    .properties = thread_props,
    .state = thread_state,
    .get = thread_get,
    .changes = thread_changes,
};

/* Emails use the same changes reader. */
int jmap_email_changes_read(struct jmap_call_ctx *c, void *account,
                            const char *since, unsigned max,
                            struct jmap_changes *out);
int jmap_email_changes_read(struct jmap_call_ctx *c, void *account,
                            const char *since, unsigned max,
                            struct jmap_changes *out)
{
	return type_changes(c, account, STORE_JMAP_EMAIL, 'e', since, max,
	                    out);
}

/* ---- Identity (RFC 8621 §6): the account's own address ---- */

void jmap_identity_get(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const std[] = {"accountId", "ids", "properties",
	                                  NULL};
	const char *account_id;
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0)
		return;
	struct jmap_ctx *ctx = jmap_server_account(c, account_id);
	if (ctx == NULL)
		return;
	json_t *identity = json_pack(
	    "{s:s, s:s, s:s, s:n, s:n, s:s, s:s, s:b}", "id", "i1", "name", "",
	    "email", ctx->user, "replyTo", "bcc", "textSignature", "",
	    "htmlSignature", "", "mayDelete", 0);
	json_t *list = json_array(), *not_found = json_array();
	json_t *ids = json_object_get(args, "ids");
	if (json_is_array(ids)) {
		size_t i;
		json_t *id;
		json_array_foreach(ids, i, id)
		{
			if (json_is_string(id) &&
			    strcmp(json_string_value(id), "i1") == 0)
				json_array_append(list, identity);
			else
				json_array_append(not_found, id);
		}
	} else {
		json_array_append(list, identity);
	}
	json_decref(identity);
	jmap_reply(c, "Identity/get",
	           json_pack("{s:s, s:s, s:o, s:o}", "accountId", account_id,
	                     "state", "1", "list", list, "notFound", not_found));
}
