/* JMAP Identity (RFC 8621 §6): Identity/get, /changes and /set over the
 * identities stored per account (store_jmap_identity.c). "i1" is the
 * account's own address, always there and not deletable (mayDelete
 * false); the user may add others, but only with an address the account
 * may send from: the same check as MAIL FROM on port 587
 * (store_sender_allowed: the account's address, +detail, or an alias that
 * delivers to it), else forbiddenFrom (§6.3). An Identity's email cannot
 * change once made (§6). Also the generic /changes of the account's other
 * JMAP types (jmap_server_changes). */
#include "core/buf.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap_dav.h"
#include "jmap_server.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const identity_props[] = {
    "id",           "name",          "email",    "replyTo", "bcc",
    "textSignature", "htmlSignature", "mayDelete", NULL};

static struct jmap_ctx *ctx_of(struct jmap_call_ctx *c)
{
	return jmap_call_server_ctx(c);
}

/* ---- changes of any store_jmap type ---- */

struct changes_ctx {
	json_t *created, *updated, *destroyed;
	char prefix;
};

static void changes_cb(enum store_jmap_change change, const char *id,
                       bool is_counts_only, void *context)
{
	struct changes_ctx *ch = context;
	(void)is_counts_only;
	json_t *arr = change == STORE_JMAP_CREATED   ? ch->created
	              : change == STORE_JMAP_UPDATED ? ch->updated
	                                             : ch->destroyed;
	json_array_append_new(arr, json_sprintf("%c%s", ch->prefix, id));
}

int jmap_server_changes(struct jmap_call_ctx *c, enum store_jmap_type type,
                        char prefix, const char *since, unsigned max,
                        struct jmap_changes *out)
{
	char *end;
	unsigned long long s = strtoull(since, &end, 10);
	if (since[0] < '0' || since[0] > '9' || *end != '\0')
		return 1;
	struct changes_ctx ch = {.created = out->created,
	                         .updated = out->updated,
	                         .destroyed = out->destroyed,
	                         .prefix = prefix};
	uint64_t upto;
	int ret = store_jmap_changes(ctx_of(c)->account, type, s, max,
	                             changes_cb, &ch, &upto, &out->has_more);
	if (ret != 0)
		return ret;
	out->new_state =
	    pool_printf(jmap_call_pool(c), "%llu", (unsigned long long)upto);
	return 0;
}

/* ---- Identity ---- */

static int identities(struct jmap_call_ctx *c,
                      struct store_jmap_identity **list_r, size_t *count_r);

static const char *identity_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	struct store_jmap_identity *list;
	size_t count;
	/* identity 1 is made on first use: before the state is told */
	if (identities(c, &list, &count) < 0)
		return NULL;
	return jmap_state_str(c, STORE_JMAP_IDENTITY);
}

static json_t *json_or_null(const char *text)
{
	json_t *v = text != NULL ? json_loads(text, 0, NULL) : NULL;
	return v != NULL ? v : json_null();
}

static json_t *identity_json(struct jmap_call_ctx *c,
                             const struct store_jmap_identity *i,
                             json_t *props)
{
	json_t *obj = json_pack(
	    "{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:b}", "id",
	    jmap_dav_id(c, 'i', i->id), "name", i->name, "email", i->email,
	    "replyTo", json_or_null(i->reply_to), "bcc", json_or_null(i->bcc),
	    "textSignature", i->text_signature, "htmlSignature",
	    i->html_signature, "mayDelete", i->id != 1);
	jmap_dav_filter_props(obj, props);
	return obj;
}

static int identities(struct jmap_call_ctx *c,
                      struct store_jmap_identity **list_r, size_t *count_r)
{
	return store_jmap_identity_list(ctx_of(c)->account, jmap_call_pool(c),
	                                list_r, count_r);
}

static struct store_jmap_identity *
identity_find(struct store_jmap_identity *list, size_t count, const char *id)
{
	int64_t n;
	if (id == NULL || jmap_dav_id_parse(id, 'i', &n) < 0)
		return NULL;
	for (size_t i = 0; i < count; i++)
		if (list[i].id == n)
			return &list[i];
	return NULL;
}

int jmap_identity_find(struct jmap_call_ctx *c, const char *id,
                       int64_t *id_r, const char **email_r)
{
	struct store_jmap_identity *list;
	size_t count;
	if (identities(c, &list, &count) < 0)
		return -1;
	struct store_jmap_identity *i = identity_find(list, count, id);
	if (i == NULL)
		return 0;
	*id_r = i->id;
	*email_r = i->email;
	return 1;
}

static int identity_get(struct jmap_call_ctx *c, void *account, json_t *args,
                        json_t *ids, json_t *props, json_t *list,
                        json_t *not_found)
{
	(void)account;
	(void)args;
	struct store_jmap_identity *all;
	size_t count;
	if (identities(c, &all, &count) < 0)
		return -1;
	if (ids == NULL) {
		for (size_t i = 0; i < count; i++)
			json_array_append_new(list,
			                      identity_json(c, &all[i], props));
		return 0;
	}
	size_t k;
	json_t *id;
	json_array_foreach(ids, k, id)
	{
		struct store_jmap_identity *i =
		    identity_find(all, count, json_string_value(id));
		if (i != NULL)
			json_array_append_new(list, identity_json(c, i, props));
		else
			json_array_append(not_found, id);
	}
	return 0;
}

static int identity_changes(struct jmap_call_ctx *c, void *account,
                            const char *since, unsigned max,
                            struct jmap_changes *ch)
{
	(void)account;
	return jmap_server_changes(c, STORE_JMAP_IDENTITY, 'i', since, max, ch);
}

/* EmailAddress[]|null (§4.1.2.3): as JSON text, or NULL for null.
 * Returns 0 or -1. */
static int addresses_arg(struct jmap_call_ctx *c, json_t *v,
                         const char **text_r)
{
	*text_r = NULL;
	if (json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return -1;
	size_t i;
	json_t *a;
	json_array_foreach(v, i, a)
	{
		json_t *name = json_object_get(a, "name");
		const char *email = json_string_value(json_object_get(a, "email"));
		if (!json_is_object(a) || email == NULL ||
		    !store_address_is_valid(email) ||
		    (name != NULL && !json_is_null(name) && !json_is_string(name)))
			return -1;
	}
	char *text = json_dumps(v, JSON_COMPACT);
	*text_r = pool_strdup(jmap_call_pool(c), text);
	free(text);
	return 0;
}

/* Applies the members of obj to i. Returns 0, or -1 with *err_r. */
static int identity_apply(struct jmap_call_ctx *c, json_t *obj,
                          bool is_create, struct store_jmap_identity *i,
                          json_t **err_r)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		const char *s = json_string_value(v);
		bool ok = true;
		if (strcmp(key, "name") == 0 && s != NULL)
			i->name = pool_strdup(jmap_call_pool(c), s);
		else if (strcmp(key, "email") == 0 && is_create && s != NULL)
			i->email = pool_strdup(jmap_call_pool(c), s);
		else if (strcmp(key, "textSignature") == 0 && s != NULL)
			i->text_signature = pool_strdup(jmap_call_pool(c), s);
		else if (strcmp(key, "htmlSignature") == 0 && s != NULL)
			i->html_signature = pool_strdup(jmap_call_pool(c), s);
		else if (strcmp(key, "replyTo") == 0)
			ok = addresses_arg(c, v, &i->reply_to) == 0;
		else if (strcmp(key, "bcc") == 0)
			ok = addresses_arg(c, v, &i->bcc) == 0;
		else
			ok = false; /* id, mayDelete, email on update */
		if (!ok) {
			*err_r = jmap_set_error_prop("invalidProperties", NULL,
			                             key);
			return -1;
		}
	}
	return 0;
}

static const char *identity_create(struct jmap_call_ctx *c, void *account,
                                   json_t *obj, json_t **extra_r,
                                   json_t **err_r)
{
	(void)account;
	struct jmap_ctx *ctx = ctx_of(c);
	struct store_jmap_identity i = {.name = "", .text_signature = "",
	                                .html_signature = ""};
	if (identity_apply(c, obj, true, &i, err_r) < 0)
		return NULL;
	if (i.email == NULL || !store_address_is_valid(i.email)) {
		*err_r = jmap_set_error_prop("invalidProperties", NULL, "email");
		return NULL;
	}
	int allowed =
	    store_sender_allowed(ctx->httpd->store, ctx->user, i.email);
	if (allowed <= 0) {
		*err_r = jmap_set_error(allowed < 0 ? JMAP_ERR_SERVER_FAIL
		                                    : "forbiddenFrom",
		                        allowed < 0 ? NULL
		                                    : "not an address of the "
		                                      "account",
		                        NULL);
		return NULL;
	}
	int64_t id;
	if (store_jmap_identity_add(ctx->account, &i, &id) < 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return NULL;
	}
	*extra_r = json_pack("{s:b}", "mayDelete", 1);
	return jmap_dav_id(c, 'i', id);
}

static int identity_update(struct jmap_call_ctx *c, void *account,
                           const char *id, json_t *patch, json_t **err_r)
{
	(void)account;
	struct store_jmap_identity *all;
	size_t count;
	if (identities(c, &all, &count) < 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	struct store_jmap_identity *i = identity_find(all, count, id);
	if (i == NULL) {
		*err_r = jmap_set_error("notFound", NULL, NULL);
		return -1;
	}
	json_t *email = json_object_get(patch, "email");
	if (email != NULL && json_is_string(email) &&
	    strcmp(json_string_value(email), i->email) == 0)
		json_object_del(patch, "email"); /* unchanged: allowed */
	if (identity_apply(c, patch, false, i, err_r) < 0)
		return -1;
	if (store_jmap_identity_update(ctx_of(c)->account, i) <= 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	return 0;
}

static int identity_destroy(struct jmap_call_ctx *c, void *account,
                            const char *id, json_t **err_r)
{
	(void)account;
	int64_t n;
	if (jmap_dav_id_parse(id, 'i', &n) == 0 && n == 1) {
		*err_r = jmap_set_error(JMAP_ERR_FORBIDDEN,
		                        "the account's own address", NULL);
		return -1;
	}
	int ret = jmap_dav_id_parse(id, 'i', &n) < 0
	              ? 0
	              : store_jmap_identity_destroy(ctx_of(c)->account, n);
	if (ret <= 0) {
		*err_r = jmap_set_error(ret < 0 ? JMAP_ERR_SERVER_FAIL : "notFound",
		                        NULL, NULL);
		return -1;
	}
	return 0;
}

static const struct jmap_type identity_type = {
    .name = "Identity",
    .properties = identity_props,
    .state = identity_state,
    .get = identity_get,
    .changes = identity_changes,
    .create = identity_create,
    .update = identity_update,
    .destroy = identity_destroy,
};

void jmap_identity_get(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &identity_type, jmap_server_account);
}

void jmap_identity_changes(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &identity_type, jmap_server_account);
}

void jmap_identity_set(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_set(c, args, &identity_type, jmap_server_account);
}

/* ---- Foo/copy (RFC 8620 §5.4) ---- */

void jmap_server_copy(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const std[] = {
	    "fromAccountId", "ifFromInState", "accountId",
	    "ifInState",     "create",        "onSuccessDestroyOriginal",
	    "destroyFromIfInState", NULL};
	const char *from, *to;
	struct jmap_ctx *ctx = ctx_of(c);
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &to) < 0 ||
	    jmap_arg_str(c, args, "fromAccountId", &from) < 0)
		return;
	if (from == NULL) {
		jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "fromAccountId");
		return;
	}
	/* the accounts a user reaches: only the own one for now */
	if (strcmp(from, ctx->account_id) != 0) {
		jmap_error(c, JMAP_ERR_FROM_ACCOUNT_NOT_FOUND, NULL);
		return;
	}
	if (jmap_server_account(c, to) == NULL)
		return;
	if (ctx->shared != NULL) {
		/* XXX a copy into another user's shared calendars or books
		   is not built: a create there does the same */
		jmap_error(c, JMAP_ERR_ACCOUNT_NOT_SUPPORTED,
		           "no copy into a shared account");
		return;
	}
	/* §5.4: the two accounts MUST differ; within one account a copy is
	   an /set of mailboxIds (Email) or addressBookIds (ContactCard) */
	jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS,
	           "fromAccountId and accountId must differ");
}
