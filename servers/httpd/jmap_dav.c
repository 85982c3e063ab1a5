/* The parts JMAP's contacts and calendars share over the DAV store
 * (jmap_dav.h): ids, states, changes, PatchObjects, member writes with
 * the same ETags as CalDAV and CardDAV PUTs (dav_token_etag), and the
 * access check of every read and write (store_dav_access). */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "dav/dav_token.h"
#include "httpd.h"
#include "jmap_dav.h"
#include "jmap_share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int jmap_dav_id_parse(const char *id, char prefix, int64_t *n_r)
{
	if (id == NULL || id[0] != prefix || id[1] < '1' || id[1] > '9' ||
	    strlen(id) > 19)
		return -1;
	char *end;
	long long v = strtoll(id + 1, &end, 10);
	if (*end != '\0')
		return -1;
	*n_r = v;
	return 0;
}

const char *jmap_dav_id(struct jmap_call_ctx *c, char prefix, int64_t n)
{
	return pool_printf(jmap_call_pool(c), "%c%lld", prefix, (long long)n);
}

static struct jmap_ctx *ctx_of(struct jmap_call_ctx *c)
{
	return jmap_call_server_ctx(c);
}

/* The collections that hold members of type. */
static enum store_dav_kind type_kind(enum store_jmap_dav_type type)
{
	return type == STORE_JMAP_DAV_CARD ? STORE_DAV_ADDRESSBOOK
	                                   : STORE_DAV_CALENDAR;
}

/* A state of the call's account: the change stamp, and on a shared
 * account the fingerprint of the shares of kind (jmap_share_state). */
static const char *state_str(struct jmap_call_ctx *c, uint64_t v,
                             enum store_dav_kind kind)
{
	const struct jmap_share_account *shared = ctx_of(c)->shared;
	if (shared != NULL)
		return jmap_share_state(jmap_call_pool(c), v,
		                        jmap_share_print(shared, kind));
	return pool_printf(jmap_call_pool(c), "%llu", (unsigned long long)v);
}

const char *jmap_dav_state(struct jmap_call_ctx *c,
                           enum store_jmap_dav_type type)
{
	uint64_t v;
	if (store_jmap_dav_state(ctx_of(c)->account, type, &v) < 0)
		return NULL;
	return state_str(c, v, type_kind(type));
}

const char *jmap_dav_collection_state(struct jmap_call_ctx *c,
                                      enum store_dav_kind kind)
{
	uint64_t v;
	if (store_jmap_dav_collection_state(ctx_of(c)->account, kind, &v) < 0)
		return NULL;
	return state_str(c, v, kind);
}

struct changes_ctx {
	struct jmap_call_ctx *c;
	json_t *created, *updated, *destroyed;
	char prefix;
};

static bool may(struct jmap_call_ctx *c, int64_t coll_id,
                enum store_dav_access access);

/* On a shared account: whether the user may read the member (prefix
 * 'o') or collection ('c') of JMAP id id. */
static bool change_is_visible(struct changes_ctx *ch, const char *id)
{
	int64_t n = strtoll(id, NULL, 10);
	if (ch->prefix == 'c')
		return may(ch->c, n, STORE_DAV_ACCESS_READ);
	struct store_jmap_dav_ref ref;
	return store_jmap_dav_locate(ctx_of(ch->c)->account, n,
	                             jmap_call_pool(ch->c), &ref) == 1 &&
	       may(ch->c, ref.collection_id, STORE_DAV_ACCESS_READ);
}

static void changes_cb(enum store_jmap_change change, const char *id,
                       bool is_counts_only, void *context)
{
	struct changes_ctx *ch = context;
	(void)is_counts_only;
	/* a shared account shows the shared collections' members only.
	   XXX a member that went is not known by collection any more
	   (dav_jmap_objects keeps no collection), so its id is reported
	   whichever collection it was in; a member moved out of a shared
	   collection is not reported (it reads as notFound) */
	if (ctx_of(ch->c)->shared != NULL && change != STORE_JMAP_DESTROYED &&
	    !change_is_visible(ch, id))
		return;
	json_t *arr = change == STORE_JMAP_CREATED   ? ch->created
	              : change == STORE_JMAP_UPDATED ? ch->updated
	                                             : ch->destroyed;
	json_array_append_new(arr, json_sprintf("%c%s", ch->prefix, id));
}

int jmap_dav_changes(struct jmap_call_ctx *c, enum store_jmap_dav_type type,
                     enum store_dav_kind kind, const char *since, unsigned max,
                     struct jmap_changes *out)
{
	char *end;
	uint64_t s = strtoull(since, &end, 10);
	const struct jmap_share_account *shared = ctx_of(c)->shared;
	enum store_dav_kind print_kind = kind != 0 ? kind : type_kind(type);
	if (shared != NULL) {
		/* a state made under other shares cannot be followed */
		if (jmap_share_state_parse(
		        since, jmap_share_print(shared, print_kind), &s) < 0)
			return 1;
	} else if (since[0] < '0' || since[0] > '9' || *end != '\0') {
		return 1;
	}
	struct changes_ctx ch = {.c = c,
	                         .created = out->created,
	                         .updated = out->updated,
	                         .destroyed = out->destroyed,
	                         .prefix = kind != 0 ? 'c' : 'o'};
	uint64_t upto;
	struct store_account *a = ctx_of(c)->account;
	int ret =
	    kind != 0
	        ? store_jmap_dav_collection_changes(a, kind, s, max, changes_cb,
	                                            &ch, &upto, &out->has_more)
	        : store_jmap_dav_changes(a, type, s, max, changes_cb, &ch,
	                                 &upto, &out->has_more);
	if (ret != 0)
		return ret;
	out->new_state = state_str(c, upto, print_kind);
	return 0;
}

void jmap_dav_query_changes(struct jmap_call_ctx *c, json_t *args,
                            enum store_jmap_dav_type type,
                            jmap_dav_query_ids_fn *query_ids, void *ctx)
{
	struct jmap_query_changes qc;
	if (jmap_query_changes_parse(c, args, NULL, &qc) < 0 ||
	    jmap_server_account(c, qc.account_id) == NULL)
		return;
	const char *state = jmap_dav_state(c, type);
	struct jmap_changes ch = {.created = json_array(),
	                          .updated = json_array(),
	                          .destroyed = json_array()};
	int ret = state == NULL ? -1
	                        : jmap_dav_changes(c, type, 0, qc.since, 0, &ch);
	json_t *changed = json_array(), *ids = NULL;
	json_array_extend(changed, ch.created);
	json_array_extend(changed, ch.updated);
	json_array_extend(changed, ch.destroyed);
	json_decref(ch.created);
	json_decref(ch.updated);
	json_decref(ch.destroyed);
	if (ret != 0) {
		json_decref(changed);
		jmap_error(c, ret > 0 ? JMAP_ERR_CANNOT_CALCULATE_CHANGES
		                      : JMAP_ERR_SERVER_FAIL,
		           NULL);
		return;
	}
	if (query_ids(c, qc.filter, qc.sort, ctx, &ids) < 0) {
		json_decref(changed);
		return;
	}
	jmap_query_changes_reply(c, &qc, ids, changed, state);
}

static bool may(struct jmap_call_ctx *c, int64_t coll_id,
                enum store_dav_access access)
{
	struct jmap_ctx *ctx = ctx_of(c);
	int a = store_dav_access(ctx->account, ctx->user, coll_id);
	return a >= (int)access;
}

int jmap_dav_collections(struct jmap_call_ctx *c, enum store_dav_kind kind,
                         struct store_dav_collection **colls_r, size_t *count_r)
{
	struct store_dav_collection *all;
	size_t count;
	if (store_dav_collections(ctx_of(c)->account, kind, jmap_call_pool(c),
	                          &all, &count) < 0)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		if (may(c, all[i].id, STORE_DAV_ACCESS_READ))
			all[n++] = all[i];
	}
	*colls_r = all;
	*count_r = n;
	return 0;
}

int jmap_dav_collection(struct jmap_call_ctx *c, enum store_dav_kind kind,
                        const char *id, enum store_dav_access access,
                        struct store_dav_collection *coll_r)
{
	int64_t n;
	if (jmap_dav_id_parse(id, 'c', &n) < 0)
		return 0;
	struct store_dav_collection *all;
	size_t count;
	if (jmap_dav_collections(c, kind, &all, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (all[i].id == n) {
			if (!may(c, n, access))
				return 0;
			*coll_r = all[i];
			return 1;
		}
	}
	return 0;
}

int jmap_dav_object(struct jmap_call_ctx *c, enum store_jmap_dav_type type,
                    const char *id, bool write,
                    struct store_jmap_dav_ref *ref_r,
                    struct store_dav_object *obj_r)
{
	int64_t n;
	struct store_account *a = ctx_of(c)->account;
	if (jmap_dav_id_parse(id, 'o', &n) < 0)
		return 0;
	int ret = store_jmap_dav_locate(a, n, jmap_call_pool(c), ref_r);
	if (ret <= 0)
		return ret;
	if (ref_r->type != type ||
	    !may(c, ref_r->collection_id,
	         write ? STORE_DAV_ACCESS_READ_WRITE : STORE_DAV_ACCESS_READ))
		return 0;
	return store_dav_object_get(a, ref_r->collection_id, ref_r->name, true,
	                            jmap_call_pool(c), obj_r);
}

json_t *jmap_dav_object_error(struct jmap_call_ctx *c,
                              enum store_jmap_dav_type type, const char *id,
                              int ret)
{
	struct store_jmap_dav_ref ref;
	struct store_dav_object obj;
	if (ret < 0)
		return jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
	if (jmap_dav_object(c, type, id, false, &ref, &obj) == 1)
		return jmap_set_error(JMAP_ERR_FORBIDDEN, "read-only share",
		                      NULL);
	return jmap_set_error("notFound", NULL, NULL);
}

json_t *jmap_dav_target_error(struct jmap_call_ctx *c, enum store_dav_kind kind,
                              const char *id, const char *description,
                              const char *prop)
{
	struct store_dav_collection coll;
	if (ctx_of(c)->shared != NULL &&
	    (id == NULL ||
	     jmap_dav_collection(c, kind, id, STORE_DAV_ACCESS_READ_WRITE,
	                         &coll) != 1))
		return jmap_set_error(JMAP_ERR_FORBIDDEN,
		                      "not a collection you may write", NULL);
	return jmap_set_error_prop("invalidProperties", description, prop);
}

const char *jmap_dav_uuid(struct jmap_call_ctx *c)
{
	unsigned char b[16];
	arc4random_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return pool_printf(jmap_call_pool(c),
	                   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	                   "%02x%02x%02x%02x%02x%02x",
	                   b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
	                   b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* What a CalDAV or CardDAV PUT checks besides the data (dav_object.c):
 * the collection's max-resource-size, and the owner's quota (RFC 4331
 * §6: mail and DAV data together; a grantee's writes count against the
 * owner's). Returns 0, or -1 with *err_r (tooLarge, overQuota). */
static int write_check(struct jmap_call_ctx *c, int64_t coll_id,
                       const char *name, uint64_t size, json_t **err_r)
{
	struct jmap_ctx *ctx = ctx_of(c);
	struct pool *pool = jmap_call_pool(c);
	struct store_dav_collection coll;
	struct store_account_info info;
	struct store_dav_object old = {0};
	uint64_t mail, messages, dav;
	const char *owner =
	    ctx->shared != NULL ? ctx->shared->owner : ctx->user;
	int ret =
	    store_dav_collection_get_by_id(ctx->account, coll_id, pool, &coll);
	if (ret > 0 && size > coll.max_resource_size) {
		*err_r = jmap_set_error("tooLarge",
		                        "larger than the calendar's or address"
		                        " book's max-resource-size",
		                        NULL);
		return -1;
	}
	if (ret > 0)
		ret =
		    store_account_lookup(ctx->httpd->store, owner, pool, &info);
	if (ret > 0 && info.quota == 0)
		return 0;
	if (ret <= 0 ||
	    (name != NULL && store_dav_object_get(ctx->account, coll_id, name,
	                                          false, pool, &old) < 0) ||
	    store_account_usage(ctx->account, &mail, &messages) < 0 ||
	    store_dav_usage(ctx->account, &dav) < 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	if (mail + dav - (old.size < dav ? old.size : dav) + size >
	    info.quota) {
		*err_r = jmap_set_error("overQuota",
		                        "the account's quota is full", NULL);
		return -1;
	}
	return 0;
}

int64_t jmap_dav_write(struct jmap_call_ctx *c, int64_t coll_id,
                       const char *name, const char *if_match,
                       struct store_dav_object *obj, const struct buf *data,
                       json_t **err_r)
{
	struct jmap_ctx *ctx = ctx_of(c);
	if (!may(c, coll_id, STORE_DAV_ACCESS_READ_WRITE)) {
		*err_r = jmap_set_error(JMAP_ERR_FORBIDDEN, NULL, NULL);
		return 0;
	}
	if (write_check(c, coll_id, name, data->len, err_r) < 0)
		return 0;
	char etag[DAV_TOKEN_ETAG_LEN + 1];
	dav_token_etag(data->data, data->len, etag);
	obj->etag = etag;
	obj->name = name;
	if (obj->name == NULL) {
		obj->name =
		    pool_printf(jmap_call_pool(c), "%s.%s", jmap_dav_uuid(c),
		                obj->component == 0 ? "vcf" : "ics");
	}
	obj->data = (const unsigned char *)data->data;
	obj->size = data->len;
	bool created;
	uint64_t modseq;
	const char *error;
	int ret = store_dav_object_put(ctx->account, coll_id, obj, if_match,
	                               if_match == NULL, time(NULL), &created,
	                               &modseq, &error);
	if (ret == STORE_DAV_UID_CONFLICT) {
		*err_r = jmap_set_error_prop(
		    "invalidProperties", "another object has this uid", "uid");
		return 0;
	}
	if (ret == STORE_DAV_PRECONDITION) {
		*err_r =
		    jmap_set_error("stateMismatch",
		                   "changed by another client meanwhile", NULL);
		return 0;
	}
	int64_t id = 0;
	if (ret != 0 ||
	    store_jmap_dav_id(ctx->account, coll_id, obj->name, &id) != 1) {
		log_error(NULL, "jmap dav-write-failed user=%s reason=\"%s\"",
		          ctx->user,
		          ret < 0 ? error : store_dav_last_error(ctx->account));
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return 0;
	}
	return id;
}

/* RFC 6901 token unescaping: ~1 is "/", ~0 is "~". */
static char *token_unescape(const char *s, size_t len)
{
	char *t = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '~' && i + 1 < len &&
		    (s[i + 1] == '0' || s[i + 1] == '1')) {
			t[o++] = s[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			t[o++] = s[i];
		}
	}
	t[o] = '\0';
	return t;
}

static int patch_one(json_t *obj, const char *path, json_t *value)
{
	json_t *cur = obj;
	const char *p = path[0] == '/' ? path + 1 : path;
	for (;;) {
		size_t len = strcspn(p, "/");
		char *key = token_unescape(p, len);
		if (!json_is_object(cur) || key[0] == '\0') {
			free(key);
			return -1;
		}
		if (p[len] == '\0') {
			if (json_is_null(value))
				json_object_del(cur, key);
			else
				json_object_set(cur, key, value);
			free(key);
			return 0;
		}
		cur = json_object_get(cur, key);
		free(key);
		if (cur == NULL)
			return -1; /* every part before the last must exist */
		p += len + 1;
	}
}

int jmap_dav_patch(json_t *obj, json_t *patch, json_t **err_r)
{
	const char *path;
	json_t *value;
	json_object_foreach(patch, path, value)
	{
		if (patch_one(obj, path, value) < 0) {
			*err_r = jmap_set_error_prop(
			    "invalidProperties", "invalid patch path", path);
			return -1;
		}
	}
	return 0;
}

void jmap_dav_filter_props(json_t *obj, json_t *props)
{
	if (props == NULL || json_is_null(props))
		return;
	const char *key;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(obj, tmp, key, v)
	{
		bool keep = strcmp(key, "id") == 0;
		size_t i;
		json_t *p;
		json_array_foreach(props, i, p)
		{
			if (json_is_string(p) &&
			    strcmp(json_string_value(p), key) == 0)
				keep = true;
		}
		if (!keep)
			json_object_del(obj, key);
	}
}

void jmap_dav_account_caps(json_t *acct, bool contacts, bool calendars,
                           bool may_create)
{
	if (contacts)
		json_object_set_new(
		    acct, JMAP_CAP_CONTACTS,
		    json_pack("{s:i, s:b}", "maxAddressBooksPerCard", 1,
		              "mayCreateAddressBook", may_create));
	if (!calendars)
		return;
	json_object_set_new(
	    acct, JMAP_CAP_CALENDARS,
	    json_pack("{s:i, s:b, s:s, s:s, s:s, s:n}", "maxCalendarsPerEvent",
	              1, "mayCreateCalendar", may_create, "minDateTime",
	              "1800-01-01T00:00:00Z", "maxDateTime",
	              "2500-12-31T23:59:59Z", "maxExpandedQueryDuration",
	              "P3660D", "maxParticipantsPerEvent"));
	json_object_set_new(acct, JMAP_CAP_TASKS,
	                    json_pack("{s:i, s:b}", "maxTaskListsPerTask", 1,
	                              "mayCreateTaskList", may_create));
	json_object_set_new(acct, JMAP_CAP_JOURNAL,
	                    json_pack("{s:i}", "maxJournalsPerEntry", 1));
}

void jmap_dav_session(json_t *session, const char *account_id)
{
	json_t *caps = json_object_get(session, "capabilities");
	json_t *acct = json_object_get(
	    json_object_get(json_object_get(session, "accounts"), account_id),
	    "accountCapabilities");
	json_t *primary = json_object_get(session, "primaryAccounts");
	json_object_set_new(caps, JMAP_CAP_CONTACTS, json_object());
	json_object_set_new(caps, JMAP_CAP_CALENDARS, json_object());
	json_object_set_new(caps, JMAP_CAP_TASKS, json_object());
	json_object_set_new(caps, JMAP_CAP_JOURNAL, json_object());
	jmap_dav_account_caps(acct, true, true, true);
	const char *caps_list[] = {JMAP_CAP_CONTACTS, JMAP_CAP_CALENDARS,
	                           JMAP_CAP_TASKS, JMAP_CAP_JOURNAL};
	for (size_t i = 0; i < 4; i++)
		json_object_set_new(primary, caps_list[i],
		                    json_string(account_id));
}

/* ---- AddressBooks and Calendars ---- */

/* myRights of a collection of kind the user has access to: RFC 9610
 * §2.1 AddressBookRights; for a calendar also the draft's CalendarRights
 * members. A share's grantee never administers, shares or deletes the
 * collection itself; read-write lets it write the members. */
static json_t *rights_json(enum store_dav_kind kind,
                           enum store_dav_access access)
{
	bool write = access >= STORE_DAV_ACCESS_READ_WRITE;
	bool owner = access == STORE_DAV_ACCESS_OWNER;
	json_t *r = json_pack("{s:b, s:b, s:b, s:b}", "mayRead", 1, "mayWrite",
	                      write, "mayShare", 0, "mayDelete", owner);
	if (kind == STORE_DAV_CALENDAR) {
		json_t *cal = json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
		                        "mayReadFreeBusy", 1, "mayReadItems", 1,
		                        "mayWriteAll", write, "mayWriteOwn",
		                        write, "mayUpdatePrivate", write,
		                        "mayRSVP", write, "mayAdmin", owner);
		json_object_update(r, cal);
		json_decref(cal);
	}
	return r;
}

json_t *jmap_dav_collection_json(struct jmap_call_ctx *c,
                                 const struct store_dav_collection *coll,
                                 const char *default_name)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	int access = store_dav_access(ctx->account, ctx->user, coll->id);
	json_t *o = json_pack(
	    "{s:s, s:s, s:I, s:b, s:b, s:n, s:o}", "id",
	    jmap_dav_id(c, 'c', coll->id), "name",
	    coll->displayname[0] != '\0' ? coll->displayname : coll->name,
	    "sortOrder", (json_int_t)coll->sort_order, "isDefault",
	    strcmp(coll->name, default_name) == 0, "isSubscribed", 1,
	    "shareWith", "myRights",
	    rights_json(coll->kind, access < 0
	                                ? STORE_DAV_ACCESS_NONE
	                                : (enum store_dav_access)access));
	json_object_set_new(o, "description",
	                    coll->description[0] != '\0'
	                        ? json_string(coll->description)
	                        : json_null());
	return o;
}

/* Lists the collections of kind as JMAP objects (ids NULL: all). */

int jmap_dav_collections_get(struct jmap_call_ctx *c, enum store_dav_kind kind,
                             const char *default_name, json_t *ids,
                             json_t *props, json_t *list, json_t *not_found)
{
	struct store_dav_collection *colls;
	size_t count;
	if (jmap_dav_collections(c, kind, &colls, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const char *id = jmap_dav_id(c, 'c', colls[i].id);
		bool wanted = ids == NULL;
		size_t k;
		json_t *v;
		json_array_foreach(ids, k, v)
		{
			if (strcmp(json_string_value(v), id) == 0)
				wanted = true;
		}
		if (!wanted)
			continue;
		json_t *o =
		    jmap_dav_collection_json(c, &colls[i], default_name);
		jmap_dav_filter_props(o, props);
		json_array_append_new(list, o);
	}
	size_t k;
	json_t *v;
	json_array_foreach(ids, k, v)
	{
		bool found = false;
		size_t j;
		json_t *o;
		json_array_foreach(list, j, o)
		{
			if (strcmp(json_string_value(json_object_get(o, "id")),
			           json_string_value(v)) == 0)
				found = true;
		}
		if (!found)
			json_array_append(not_found, v);
	}
	return 0;
}

/* The writable members of an AddressBook or Calendar from obj into v
 * (fields bits). Returns 0 or -1 with *err_r. */

int jmap_dav_collection_values(json_t *obj, bool is_create,
                               struct store_dav_collection *v,
                               unsigned *fields_r, json_t **err_r)
{
	const char *key;
	json_t *val;
	*fields_r = 0;
	json_object_foreach(obj, key, val)
	{
		if (strcmp(key, "name") == 0 && json_is_string(val) &&
		    json_string_length(val) > 0) {
			v->displayname = json_string_value(val);
			*fields_r |= STORE_DAV_FIELD_DISPLAYNAME;
		} else if (strcmp(key, "description") == 0 &&
		           (json_is_string(val) || json_is_null(val))) {
			v->description =
			    json_is_null(val) ? "" : json_string_value(val);
			*fields_r |= STORE_DAV_FIELD_DESCRIPTION;
		} else if (strcmp(key, "color") == 0 &&
		           (json_is_string(val) || json_is_null(val))) {
			v->color =
			    json_is_null(val) ? "" : json_string_value(val);
			*fields_r |= STORE_DAV_FIELD_COLOR;
		} else if (strcmp(key, "sortOrder") == 0 &&
		           json_is_integer(val) &&
		           json_integer_value(val) >= 0) {
			v->sort_order = json_integer_value(val);
			*fields_r |= STORE_DAV_FIELD_ORDER;
		} else if ((strcmp(key, "isSubscribed") == 0 ||
		            strcmp(key, "isVisible") == 0) &&
		           json_is_true(val)) {
			/* always subscribed and visible */
		} else if (strcmp(key, "shareWith") == 0 && json_is_null(val)) {
			/* sharing is CalDAV's and CardDAV's for now */
		} else {
			*err_r =
			    jmap_set_error_prop("invalidProperties", NULL, key);
			return -1;
		}
	}
	if (is_create && (*fields_r & STORE_DAV_FIELD_DISPLAYNAME) == 0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "a name is required", "name");
		return -1;
	}
	return 0;
}

/* onDestroyRemoveContents (RFC 9610 §2.3, the draft's for calendars):
 * read by set_prepare for the destroys of the same call; one call runs at
 * a time in this process. */
static bool remove_contents;

int jmap_dav_collection_prepare(struct jmap_call_ctx *c, void *account,
                                json_t *args)
{
	(void)account;
	return jmap_arg_bool(c, args, "onDestroyRemoveContents", false,
	                     &remove_contents);
}

const char *jmap_dav_collection_create(struct jmap_call_ctx *c,
                                       enum store_dav_kind kind,
                                       unsigned components, json_t *obj,
                                       json_t **extra_r, json_t **err_r)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	struct store_dav_collection v = {.kind = kind,
	                                 .displayname = "",
	                                 .description = "",
	                                 .color = "",
	                                 .timezone = "",
	                                 .components = components};
	unsigned fields;
	if (ctx->shared != NULL) {
		/* mayCreateAddressBook, mayCreateCalendar: false there */
		*err_r = jmap_set_error(JMAP_ERR_FORBIDDEN,
		                        "not in another user's account", NULL);
		return NULL;
	}
	if (jmap_dav_collection_values(obj, true, &v, &fields, err_r) < 0)
		return NULL;
	v.name = jmap_dav_uuid(c);
	int64_t id;
	const char *error;
	if (store_dav_collection_create(ctx->account, &v, NULL, 0, time(NULL),
	                                &id, &error) != 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return NULL;
	}
	*extra_r = json_pack("{s:b, s:b, s:n, s:o}", "isDefault", 0,
	                     "isSubscribed", 1, "shareWith", "myRights",
	                     rights_json(kind, STORE_DAV_ACCESS_OWNER));
	return jmap_dav_id(c, 'c', id);
}

/* Why the collection id of kind may not be changed (ret: what
 * jmap_dav_collection answered for the owner's access): a shared one is
 * forbidden (myRights: mayAdmin, mayDelete false), any other notFound. */
static json_t *collection_error(struct jmap_call_ctx *c,
                                enum store_dav_kind kind, const char *id,
                                int ret)
{
	struct store_dav_collection coll;
	if (ret < 0)
		return jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
	if (jmap_dav_collection(c, kind, id, STORE_DAV_ACCESS_READ, &coll) == 1)
		return jmap_set_error(JMAP_ERR_FORBIDDEN,
		                      "shared with you, not yours", NULL);
	return jmap_set_error("notFound", NULL, NULL);
}

int jmap_dav_collection_update(struct jmap_call_ctx *c,
                               enum store_dav_kind kind, const char *id,
                               json_t *patch, json_t **err_r)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	struct store_dav_collection coll;
	int ret =
	    jmap_dav_collection(c, kind, id, STORE_DAV_ACCESS_OWNER, &coll);
	if (ret <= 0) {
		*err_r = collection_error(c, kind, id, ret);
		return -1;
	}
	unsigned fields;
	if (jmap_dav_collection_values(patch, false, &coll, &fields, err_r) < 0)
		return -1;
	const char *error;
	if (fields != 0 &&
	    store_dav_collection_update(ctx->account, coll.id, &coll, fields,
	                                NULL, 0, &error) != 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	return 0;
}

int jmap_dav_collection_destroy(struct jmap_call_ctx *c,
                                enum store_dav_kind kind, const char *id,
                                const char *has_contents, json_t **err_r)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	struct store_dav_collection coll;
	int ret =
	    jmap_dav_collection(c, kind, id, STORE_DAV_ACCESS_OWNER, &coll);
	if (ret <= 0) {
		*err_r = collection_error(c, kind, id, ret);
		return -1;
	}
	if (!remove_contents) {
		struct store_dav_object obj;
		bool has = false;
		for (int t = STORE_JMAP_DAV_NONE; t <= STORE_JMAP_DAV_JOURNAL;
		     t++) {
			struct store_jmap_dav_ref *refs;
			size_t n = 0;
			if (store_jmap_dav_list(
			        ctx->account, (enum store_jmap_dav_type)t,
			        coll.id, STORE_DAV_TIME_MIN, STORE_DAV_TIME_MAX,
			        jmap_call_pool(c), &refs, &n) == 0 &&
			    n > 0)
				has = true;
		}
		(void)obj;
		if (has) {
			*err_r = jmap_set_error(has_contents, NULL, NULL);
			return -1;
		}
	}
	const char *error;
	if (store_dav_collection_delete(ctx->account, coll.id, &error) != 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	return 0;
}
