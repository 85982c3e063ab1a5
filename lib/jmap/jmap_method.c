/* The standard methods of RFC 8620 §5 over a struct jmap_type: /get
 * (§5.1), /changes (§5.2), /set (§5.3: creates, then updates, then
 * destroys, each an atomic unit of its own, with ifInState and
 * maxObjectsInSet), and the common parts of /query (§5.5). */
#include "core/pool.h"
#include "jmap/jmap_method.h"

#include <string.h>

bool jmap_str_in(const char *str, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(str, *list) == 0)
			return true;
	}
	return false;
}

json_t *jmap_set_error(const char *type, const char *description,
                       const char *const *properties)
{
	json_t *err = json_pack("{s:s}", "type", type);
	if (description != NULL)
		json_object_set_new(err, "description", json_string(description));
	if (properties != NULL) {
		json_t *props = json_array();
		for (; *properties != NULL; properties++)
			json_array_append_new(props, json_string(*properties));
		json_object_set_new(err, "properties", props);
	}
	return err;
}

json_t *jmap_set_error_prop(const char *type, const char *description,
                            const char *property)
{
	const char *props[] = {property, NULL};
	return jmap_set_error(type, description, props);
}

/* ---- arguments ---- */

static int arg_bad(struct jmap_call_ctx *c, const char *name, const char *what)
{
	jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "%s must be %s", name, what);
	return -1;
}

int jmap_arg_account(struct jmap_call_ctx *c, json_t *args, const char **id_r)
{
	json_t *v = json_object_get(args, "accountId");
	if (!json_is_string(v))
		return arg_bad(c, "accountId", "an Id");
	*id_r = json_string_value(v);
	return 0;
}

int jmap_arg_str(struct jmap_call_ctx *c, json_t *args, const char *name,
                 const char **str_r)
{
	json_t *v = json_object_get(args, name);
	*str_r = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return arg_bad(c, name, "a String");
	*str_r = json_string_value(v);
	return 0;
}

int jmap_arg_int(struct jmap_call_ctx *c, json_t *args, const char *name,
                 int64_t def, int64_t *value_r)
{
	json_t *v = json_object_get(args, name);
	*value_r = def;
	if (v == NULL || json_is_null(v))
		return 0;
	/* §1.3: Int is in [-2^53+1, 2^53-1] */
	if (!json_is_integer(v) || json_integer_value(v) > 9007199254740991LL ||
	    json_integer_value(v) < -9007199254740991LL)
		return arg_bad(c, name, "an Int");
	*value_r = json_integer_value(v);
	return 0;
}

int jmap_arg_uint(struct jmap_call_ctx *c, json_t *args, const char *name,
                  uint64_t def, uint64_t *value_r)
{
	json_t *v = json_object_get(args, name);
	*value_r = def;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 9007199254740991LL)
		return arg_bad(c, name, "an UnsignedInt");
	*value_r = (uint64_t)json_integer_value(v);
	return 0;
}

int jmap_arg_bool(struct jmap_call_ctx *c, json_t *args, const char *name,
                  bool def, bool *value_r)
{
	json_t *v = json_object_get(args, name);
	*value_r = def;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return arg_bad(c, name, "a Boolean");
	*value_r = json_is_true(v);
	return 0;
}

int jmap_args_check(struct jmap_call_ctx *c, json_t *args,
                    const char *const *allowed)
{
	const char *key;
	json_t *value;
	json_object_foreach(args, key, value)
	{
		if (!jmap_str_in(key, allowed)) {
			jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS,
			           "unknown argument %s", key);
			return -1;
		}
	}
	return 0;
}

static int args_check2(struct jmap_call_ctx *c, json_t *args,
                       const char *const *std, const char *const *extra)
{
	const char *key;
	json_t *value;
	json_object_foreach(args, key, value)
	{
		if (!jmap_str_in(key, std) && !jmap_str_in(key, extra)) {
			jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS,
			           "unknown argument %s", key);
			return -1;
		}
	}
	return 0;
}

/* ---- /get ---- */

/* ids: Id[]|null, with "#x" creation ids resolved (an unknown one stays
 * as it is, so it is reported notFound). Returns a new array, NULL for
 * null, or (json_t *)-1 after an error response. */
static json_t *get_ids(struct jmap_call_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "ids");
	if (ids == NULL || json_is_null(ids))
		return NULL;
	if (!json_is_array(ids)) {
		arg_bad(c, "ids", "an array of Ids or null");
		return (json_t *)-1;
	}
	if (json_array_size(ids) > jmap_call_settings(c)->max_objects_in_get) {
		jmap_error(c, JMAP_ERR_REQUEST_TOO_LARGE,
		           "more than maxObjectsInGet (%u) ids",
		           jmap_call_settings(c)->max_objects_in_get);
		return (json_t *)-1;
	}
	json_t *out = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		if (!json_is_string(id)) {
			json_decref(out);
			arg_bad(c, "ids", "an array of Ids or null");
			return (json_t *)-1;
		}
		const char *s = json_string_value(id);
		const char *r = jmap_call_resolve_id(c, s);
		json_array_append_new(out, json_string(r != NULL ? r : s));
	}
	return out;
}

/* properties: String[]|null; every name must be the type's. Returns a new
 * array (the defaults for null, "id" always included), or NULL after an
 * error response. */
static json_t *get_props(struct jmap_call_ctx *c, json_t *args,
                         const struct jmap_type *type)
{
	json_t *props = json_object_get(args, "properties");
	json_t *out = json_array();
	json_array_append_new(out, json_string("id"));
	if (props == NULL || json_is_null(props)) {
		const char *const *list = type->default_properties != NULL
		                              ? type->default_properties
		                              : type->properties;
		for (; *list != NULL; list++) {
			if (strcmp(*list, "id") != 0)
				json_array_append_new(out, json_string(*list));
		}
		return out;
	}
	size_t i;
	json_t *p;
	if (!json_is_array(props))
		goto bad;
	json_array_foreach(props, i, p)
	{
		if (!json_is_string(p))
			goto bad;
		const char *name = json_string_value(p);
		/* RFC 8621 §4.1.3: header:{name}[:as{Form}][:all] */
		if (!jmap_str_in(name, type->properties) &&
		    !(strncmp(name, "header:", 7) == 0 &&
		      jmap_str_in("header:", type->properties))) {
			json_decref(out);
			jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS,
			           "unknown property %s", name);
			return NULL;
		}
		if (strcmp(name, "id") != 0)
			json_array_append(out, p);
	}
	return out;
bad:
	json_decref(out);
	arg_bad(c, "properties", "an array of Strings or null");
	return NULL;
}

void jmap_std_get(struct jmap_call_ctx *c, json_t *args,
                  const struct jmap_type *type, jmap_account_fn *account_fn)
{
	static const char *const std[] = {"accountId", "ids", "properties",
	                                  NULL};
	const char *account_id;
	if (args_check2(c, args, std, type->get_args) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0)
		return;
	void *account = account_fn(c, account_id);
	if (account == NULL)
		return;
	json_t *ids = get_ids(c, args);
	if (ids == (json_t *)-1)
		return;
	json_t *props = get_props(c, args, type);
	if (props == NULL) {
		json_decref(ids);
		return;
	}
	const char *state = type->state(c, account);
	json_t *list = json_array(), *not_found = json_array();
	int ret = state == NULL ? -1
	                        : type->get(c, account, args, ids, props, list,
	                                    not_found);
	if (ret > 0) { /* answered already */
		json_decref(list);
		json_decref(not_found);
	} else if (ret < 0) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		json_decref(list);
		json_decref(not_found);
	} else if (ids == NULL &&
	           json_array_size(list) >
	               jmap_call_settings(c)->max_objects_in_get) {
		jmap_error(c, JMAP_ERR_REQUEST_TOO_LARGE,
		           "more than maxObjectsInGet objects: ask by ids");
		json_decref(list);
		json_decref(not_found);
	} else {
		char name[128];
		snprintf(name, sizeof(name), "%s/get", type->name);
		jmap_reply(c, name,
		           json_pack("{s:s, s:s, s:o, s:o}", "accountId",
		                     account_id, "state", state, "list", list,
		                     "notFound", not_found));
	}
	json_decref(ids);
	json_decref(props);
}

/* ---- /changes ---- */

void jmap_std_changes(struct jmap_call_ctx *c, json_t *args,
                      const struct jmap_type *type,
                      jmap_account_fn *account_fn)
{
	static const char *const std[] = {"accountId", "sinceState",
	                                  "maxChanges", NULL};
	const char *account_id, *since;
	uint64_t max_changes;
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0 ||
	    jmap_arg_str(c, args, "sinceState", &since) < 0 ||
	    jmap_arg_uint(c, args, "maxChanges", 0, &max_changes) < 0)
		return;
	if (since == NULL) {
		arg_bad(c, "sinceState", "a String");
		return;
	}
	json_t *mc = json_object_get(args, "maxChanges");
	if (mc != NULL && !json_is_null(mc) && max_changes == 0) {
		arg_bad(c, "maxChanges", "greater than 0");
		return;
	}
	void *account = account_fn(c, account_id);
	if (account == NULL)
		return;
	struct jmap_changes ch = {0};
	ch.created = json_array();
	ch.updated = json_array();
	ch.destroyed = json_array();
	int ret = type->changes(c, account, since,
	                        max_changes > 100000 ? 100000
	                                             : (unsigned)max_changes,
	                        &ch);
	if (ret != 0) {
		if (ret > 0)
			jmap_error(c, JMAP_ERR_CANNOT_CALCULATE_CHANGES,
			           "the state is unknown or too old");
		else
			jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		json_decref(ch.created);
		json_decref(ch.updated);
		json_decref(ch.destroyed);
		json_decref(ch.updated_properties);
		return;
	}
	json_t *resp = json_pack(
	    "{s:s, s:s, s:s, s:b, s:o, s:o, s:o}", "accountId", account_id,
	    "oldState", since, "newState", ch.new_state, "hasMoreChanges",
	    ch.has_more, "created", ch.created, "updated", ch.updated,
	    "destroyed", ch.destroyed);
	if (ch.updated_properties != NULL)
		json_object_set_new(resp, "updatedProperties",
		                    ch.updated_properties);
	char name[128];
	snprintf(name, sizeof(name), "%s/changes", type->name);
	jmap_reply(c, name, resp);
}

/* ---- /set ---- */

struct set_run {
	const struct jmap_type *type;
	void *account;
	json_t *created, *updated, *destroyed;
	json_t *not_created, *not_updated, *not_destroyed;
};

static void set_creates(struct jmap_call_ctx *c, struct set_run *r,
                        json_t *create)
{
	const char *cid;
	json_t *obj;
	json_object_foreach(create, cid, obj)
	{
		json_t *err = NULL, *extra = NULL;
		if (!jmap_id_is_valid(cid) || !json_is_object(obj)) {
			json_object_set_new(
			    r->not_created, cid,
			    jmap_set_error(JMAP_ERR_INVALID_ARGUMENTS,
			                   "a creation id and an object", NULL));
			continue;
		}
		const char *id =
		    r->type->create(c, r->account, obj, &extra, &err);
		if (id == NULL) {
			json_object_set_new(r->not_created, cid, err);
			continue;
		}
		if (extra == NULL)
			extra = json_object();
		json_object_set_new(extra, "id", json_string(id));
		json_object_set_new(r->created, cid, extra);
		jmap_call_created(c, cid, id);
	}
}

static void set_updates(struct jmap_call_ctx *c, struct set_run *r,
                        json_t *update)
{
	const char *key;
	json_t *patch;
	json_object_foreach(update, key, patch)
	{
		json_t *err = NULL;
		const char *id = jmap_call_resolve_id(c, key);
		if (id == NULL || !json_is_object(patch)) {
			json_object_set_new(
			    r->not_updated, key,
			    jmap_set_error(id == NULL ? "notFound"
			                              : "invalidPatch",
			                   NULL, NULL));
			continue;
		}
		if (r->type->update(c, r->account, id, patch, &err) < 0)
			json_object_set_new(r->not_updated, id, err);
		else
			json_object_set_new(r->updated, id, json_null());
	}
}

static void set_destroys(struct jmap_call_ctx *c, struct set_run *r,
                         json_t *destroy)
{
	size_t i;
	json_t *v;
	json_array_foreach(destroy, i, v)
	{
		json_t *err = NULL;
		const char *key = json_string_value(v);
		const char *id = jmap_call_resolve_id(c, key);
		if (id == NULL) {
			json_object_set_new(
			    r->not_destroyed, key,
			    jmap_set_error("notFound", NULL, NULL));
			continue;
		}
		if (r->type->destroy(c, r->account, id, &err) < 0)
			json_object_set_new(r->not_destroyed, id, err);
		else
			json_array_append_new(r->destroyed, json_string(id));
	}
}

/* An object, or null for an empty one (§5.3 "or null if none"). */
static json_t *or_null(json_t *v)
{
	if ((json_is_object(v) && json_object_size(v) == 0) ||
	    (json_is_array(v) && json_array_size(v) == 0)) {
		json_decref(v);
		return json_null();
	}
	return v;
}

/* Checks the shapes of create, update and destroy and their total against
 * maxObjectsInSet. Returns 0 or -1 after an error response. */
static int set_check(struct jmap_call_ctx *c, json_t *create, json_t *update,
                     json_t *destroy)
{
	if ((create != NULL && !json_is_null(create) &&
	     !json_is_object(create)) ||
	    (update != NULL && !json_is_null(update) &&
	     !json_is_object(update)))
		return arg_bad(c, "create and update", "objects or null");
	if (destroy != NULL && !json_is_null(destroy)) {
		size_t i;
		json_t *v;
		if (!json_is_array(destroy))
			return arg_bad(c, "destroy", "an array of Ids or null");
		json_array_foreach(destroy, i, v)
		{
			if (!json_is_string(v))
				return arg_bad(c, "destroy",
				               "an array of Ids or null");
		}
	}
	size_t total = json_object_size(create) + json_object_size(update) +
	               json_array_size(destroy);
	if (total > jmap_call_settings(c)->max_objects_in_set) {
		jmap_error(c, JMAP_ERR_REQUEST_TOO_LARGE,
		           "more than maxObjectsInSet (%u) objects",
		           jmap_call_settings(c)->max_objects_in_set);
		return -1;
	}
	return 0;
}

static void set_reply(struct jmap_call_ctx *c, struct set_run *r,
                      const char *account_id, const char *old_state)
{
	const char *new_state = r->type->state(c, r->account);
	json_t *resp = json_pack("{s:s, s:s}", "accountId", account_id,
	                         "newState",
	                         new_state != NULL ? new_state : old_state);
	json_object_set_new(resp, "oldState", json_string(old_state));
	json_object_set_new(resp, "created", or_null(r->created));
	json_object_set_new(resp, "updated", or_null(r->updated));
	json_object_set_new(resp, "destroyed", or_null(r->destroyed));
	json_object_set_new(resp, "notCreated", or_null(r->not_created));
	json_object_set_new(resp, "notUpdated", or_null(r->not_updated));
	json_object_set_new(resp, "notDestroyed", or_null(r->not_destroyed));
	char name[128];
	snprintf(name, sizeof(name), "%s/set", r->type->name);
	jmap_reply(c, name, resp);
}

void jmap_std_set(struct jmap_call_ctx *c, json_t *args,
                  const struct jmap_type *type, jmap_account_fn *account_fn)
{
	static const char *const std[] = {"accountId", "ifInState", "create",
	                                  "update",    "destroy",   NULL};
	const char *account_id, *if_in_state;
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	if (args_check2(c, args, std, type->set_args) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0 ||
	    jmap_arg_str(c, args, "ifInState", &if_in_state) < 0 ||
	    set_check(c, create, update, destroy) < 0)
		return;
	struct set_run r = {.type = type};
	r.account = account_fn(c, account_id);
	if (r.account == NULL)
		return;
	if (type->set_prepare != NULL &&
	    type->set_prepare(c, r.account, args) < 0)
		return;
	if (type->set_begin != NULL && type->set_begin(c, r.account) < 0) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	const char *old_state = type->state(c, r.account);
	if (old_state == NULL) {
		if (type->set_end != NULL)
			type->set_end(c, r.account, false);
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	if (if_in_state != NULL && strcmp(if_in_state, old_state) != 0) {
		if (type->set_end != NULL)
			type->set_end(c, r.account, false);
		jmap_error(c, JMAP_ERR_STATE_MISMATCH, NULL);
		return;
	}
	old_state = pool_strdup(jmap_call_pool(c), old_state);
	r.created = json_object();
	r.updated = json_object();
	r.destroyed = json_array();
	r.not_created = json_object();
	r.not_updated = json_object();
	r.not_destroyed = json_object();
	if (json_is_object(create))
		set_creates(c, &r, create);
	if (json_is_object(update))
		set_updates(c, &r, update);
	if (json_is_array(destroy))
		set_destroys(c, &r, destroy);
	if (type->set_end != NULL)
		type->set_end(c, r.account, true);
	set_reply(c, &r, account_id, old_state);
}

/* ---- /query ---- */

int jmap_query_parse(struct jmap_call_ctx *c, json_t *args,
                     const char *const *extra, struct jmap_query *q)
{
	static const char *const std[] = {
	    "accountId", "filter", "sort",           "position",
	    "anchor",    "anchorOffset", "limit",    "calculateTotal",
	    NULL};
	memset(q, 0, sizeof(*q));
	if (args_check2(c, args, std, extra) < 0 ||
	    jmap_arg_account(c, args, &q->account_id) < 0 ||
	    jmap_arg_int(c, args, "position", 0, &q->position) < 0 ||
	    jmap_arg_str(c, args, "anchor", &q->anchor) < 0 ||
	    jmap_arg_int(c, args, "anchorOffset", 0, &q->anchor_offset) < 0 ||
	    jmap_arg_uint(c, args, "limit", 0, &q->limit) < 0 ||
	    jmap_arg_bool(c, args, "calculateTotal", false,
	                  &q->calculate_total) < 0)
		return -1;
	json_t *limit = json_object_get(args, "limit");
	q->has_limit = limit != NULL && !json_is_null(limit);
	q->filter = json_object_get(args, "filter");
	if (json_is_null(q->filter))
		q->filter = NULL;
	if (q->filter != NULL && !json_is_object(q->filter))
		return arg_bad(c, "filter", "an object or null");
	q->sort = json_object_get(args, "sort");
	if (json_is_null(q->sort))
		q->sort = NULL;
	if (q->sort != NULL && !json_is_array(q->sort))
		return arg_bad(c, "sort", "an array or null");
	if (q->anchor != NULL)
		q->anchor = jmap_call_resolve_id(c, q->anchor);
	return 0;
}

void jmap_query_reply(struct jmap_call_ctx *c, const struct jmap_query *q,
                      json_t *ids, const char *query_state,
                      bool can_calculate_changes)
{
	int64_t total = (int64_t)json_array_size(ids), start = q->position;
	if (q->anchor != NULL) {
		int64_t at = -1;
		for (int64_t i = 0; i < total && at < 0; i++) {
			if (strcmp(json_string_value(json_array_get(
			               ids, (size_t)i)),
			           q->anchor) == 0)
				at = i;
		}
		if (at < 0) {
			json_decref(ids);
			jmap_error(c, JMAP_ERR_ANCHOR_NOT_FOUND, NULL);
			return;
		}
		start = at + q->anchor_offset;
		if (start < 0)
			start = 0;
	} else if (start < 0) {
		start = total + start;
		if (start < 0)
			start = 0;
	}
	if (start > total)
		start = total;
	int64_t end = total;
	if (q->has_limit && start + (int64_t)q->limit < end)
		end = start + (int64_t)q->limit;
	json_t *page = json_array();
	for (int64_t i = start; i < end; i++)
		json_array_append(page, json_array_get(ids, (size_t)i));
	json_decref(ids);
	char name[128];
	snprintf(name, sizeof(name), "%s",
	         jmap_call_name(c)); /* "Foo/query" */
	json_t *resp = json_pack(
	    "{s:s, s:s, s:b, s:I, s:o}", "accountId", q->account_id,
	    "queryState", query_state, "canCalculateChanges",
	    can_calculate_changes, "position", (json_int_t)start, "ids", page);
	if (q->calculate_total)
		json_object_set_new(resp, "total", json_integer(total));
	jmap_reply(c, name, resp);
}
