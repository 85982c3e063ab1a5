/* JMAP Sieve (RFC 9661): SieveScript/get, /set, /query and
 * SieveScript/validate over the account's Sieve scripts (store_sieve.h,
 * the ones ManageSieve and postroomctl manage), each checked by lib/rules
 * before it is stored, with the capability's fields from lib/rules' own
 * limits. Ids are "s<n>" (store_jmap_sieve.c: a rename keeps them). A
 * script's content is a blob: /get writes the text into the blob store
 * (content-addressed, so once per version) and remembers it as the
 * account's upload, so blobId downloads like any other and can be given
 * back to /set; /set reads uploaded blobs. isActive is changed only by
 * onSuccessActivateScript and onSuccessDeactivateScript (§2.4), after the
 * creates, updates and destroys. */
#include "core/buf.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap_dav.h"
#include "jmap_server.h"
#include "rules/sieve.h"
#include "store/store.h"
#include "store/store_sieve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SIEVE_SCRIPTS_MAX 100 /* maxNumberScripts */

static const char *const sieve_props[] = {"id", "name", "blobId", "isActive",
                                          NULL};

void jmap_sieve_settings(struct httpd *httpd, struct sieve_settings *set)
{
	*set = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	set->max_script_size =
	    (size_t)httpd->set.deliver.sieve_max_script_size;
	set->max_actions = httpd->set.deliver.sieve_max_actions;
	set->max_redirects = httpd->set.deliver.sieve_max_redirects;
}

json_t *jmap_sieve_capability(struct httpd *httpd)
{
	struct sieve_settings set;
	jmap_sieve_settings(httpd, &set);
	json_t *exts = json_array();
	char *caps = strdup(sieve_capabilities()), *save;
	for (char *w = strtok_r(caps, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save))
		json_array_append_new(exts, json_string(w));
	free(caps);
	return json_pack("{s:s, s:i, s:I, s:i, s:i, s:o, s:[s], s:n}",
	                 "implementation", "Postroom", "maxSizeScriptName",
	                 STORE_SIEVE_NAME_MAX, "maxSizeScript",
	                 (json_int_t)set.max_script_size, "maxNumberScripts",
	                 SIEVE_SCRIPTS_MAX, "maxNumberRedirects",
	                 (int)set.max_redirects, "sieveExtensions", exts,
	                 "notificationMethods", "mailto", "externalLists");
}

static struct jmap_ctx *ctx_of(struct jmap_call_ctx *c)
{
	return jmap_call_server_ctx(c);
}

static const char *sieve_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_state_str(c, STORE_JMAP_SIEVE);
}

static int scripts(struct jmap_call_ctx *c,
                   struct store_jmap_sieve_script **list_r, size_t *count_r)
{
	return store_jmap_sieve_list(ctx_of(c)->account, jmap_call_pool(c),
	                             list_r, count_r);
}

/* "s<n>": the script of that id, or NULL. */
static const struct store_jmap_sieve_script *
script_find(const struct store_jmap_sieve_script *list, size_t count,
            const char *id)
{
	int64_t n;
	if (id == NULL || jmap_dav_id_parse(id, 's', &n) < 0)
		return NULL;
	for (size_t i = 0; i < count; i++)
		if (list[i].id == n)
			return &list[i];
	return NULL;
}

/* The script's text as a blob of the account: "b<sha256>" (from pool),
 * or NULL. */
static const char *script_blob(struct jmap_ctx *ctx, struct pool *pool,
                               const struct store_jmap_sieve_script *s)
{
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_hex(s->data, s->size, hex);
	int fd = store_blob_open(ctx->httpd->store, hex);
	if (fd >= 0) {
		close(fd);
	} else {
		struct store_blob_writer *w;
		char id[STORE_BLOB_ID_LEN + 1];
		uint64_t size;
		const char *error;
		if (store_blob_begin(ctx->httpd->store, &w, &error) < 0)
			return NULL;
		if (store_blob_write(w, s->data, s->size) < 0) {
			store_blob_abort(&w);
			return NULL;
		}
		if (store_blob_finish(&w, id, &size, &error) < 0)
			return NULL;
	}
	if (store_jmap_blob_is_owned(ctx->account, hex) <= 0 &&
	    store_jmap_upload_add(ctx->account, hex, "application/sieve",
	                          s->size) < 0)
		return NULL;
	return pool_printf(pool, "b%s", hex);
}

static json_t *script_json(struct jmap_call_ctx *c,
                           const struct store_jmap_sieve_script *s,
                           json_t *props)
{
	bool want = props == NULL;
	size_t i;
	json_t *p;
	json_array_foreach(props, i, p)
	    want |= strcmp(json_string_value(p), "blobId") == 0;
	const char *blob =
	    want ? script_blob(ctx_of(c), jmap_call_pool(c), s) : NULL;
	json_t *obj = json_pack("{s:s, s:s, s:o, s:b}", "id",
	                        jmap_dav_id(c, 's', s->id), "name", s->name,
	                        "blobId",
	                        blob != NULL ? json_string(blob) : json_null(),
	                        "isActive", s->is_active);
	jmap_dav_filter_props(obj, props);
	return obj;
}

static int sieve_get(struct jmap_call_ctx *c, void *account, json_t *args,
                     json_t *ids, json_t *props, json_t *list,
                     json_t *not_found)
{
	(void)account;
	(void)args;
	struct store_jmap_sieve_script *all;
	size_t count;
	if (scripts(c, &all, &count) < 0)
		return -1;
	if (ids == NULL) {
		for (size_t i = 0; i < count; i++)
			json_array_append_new(list, script_json(c, &all[i], props));
		return 0;
	}
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		const struct store_jmap_sieve_script *s =
		    script_find(all, count, json_string_value(id));
		if (s != NULL)
			json_array_append_new(list, script_json(c, s, props));
		else
			json_array_append(not_found, id);
	}
	return 0;
}

static int sieve_changes(struct jmap_call_ctx *c, void *account,
                         const char *since, unsigned max,
                         struct jmap_changes *ch)
{
	(void)account;
	return jmap_server_changes(c, STORE_JMAP_SIEVE, 's', since, max, ch);
}

/* ---- /set ---- */

/* The text of an uploaded blob "b<sha256>" of the account. Returns 0, or
 * -1 with *err_r (blobNotFound). */
static int blob_text(struct jmap_call_ctx *c, const char *blob_id,
                     struct buf *out, json_t **err_r)
{
	struct jmap_ctx *ctx = ctx_of(c);
	blob_id = jmap_call_resolve_id(c, blob_id);
	if (blob_id == NULL || blob_id[0] != 'b' ||
	    strlen(blob_id) != 1 + STORE_BLOB_ID_LEN ||
	    strspn(blob_id + 1, "0123456789abcdef") != STORE_BLOB_ID_LEN ||
	    store_jmap_blob_is_owned(ctx->account, blob_id + 1) <= 0 ||
	    jmap_blob_read(ctx, blob_id + 1, out) < 0) {
		*err_r = jmap_set_error_prop("blobNotFound", NULL, "blobId");
		return -1;
	}
	return 0;
}

/* Compiles text; a failure is invalidSieve naming line and column. */
static int text_check(struct jmap_call_ctx *c, const char *name,
                      const struct buf *text, json_t **err_r)
{
	struct sieve_settings set;
	struct sieve_script *script = NULL;
	struct sieve_error error;
	jmap_sieve_settings(ctx_of(c)->httpd, &set);
	if (text->len > set.max_script_size) {
		*err_r = jmap_set_error("tooLarge", "larger than maxSizeScript",
		                        NULL);
		return -1;
	}
	if (sieve_compile((const unsigned char *)text->data, text->len, name,
	                  &set, &script, &error) < 0) {
		char *d = pool_printf(jmap_call_pool(c), "%u:%u: %s",
		                      error.line, error.column, error.message);
		*err_r = jmap_set_error("invalidSieve", d, NULL);
		return -1;
	}
	sieve_script_free(&script);
	return 0;
}

/* Reads and checks name (a String, or null for "script-<n>" on create). */
static int name_arg(struct jmap_call_ctx *c, json_t *obj, bool is_create,
                    const struct store_jmap_sieve_script *all, size_t count,
                    const char **name_r, json_t **err_r)
{
	json_t *v = json_object_get(obj, "name");
	*name_r = NULL;
	if (v == NULL || (json_is_null(v) && !is_create))
		return 0;
	if (json_is_null(v)) {
		for (unsigned n = 1; *name_r == NULL; n++) {
			const char *try =
			    pool_printf(jmap_call_pool(c), "script-%u", n);
			bool taken = false;
			for (size_t i = 0; i < count; i++)
				taken |= strcmp(all[i].name, try) == 0;
			if (!taken)
				*name_r = try;
		}
		return 0;
	}
	const char *name = json_string_value(v);
	if (name == NULL || !store_sieve_name_is_valid(name)) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "not a valid script name", "name");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(all[i].name, name) == 0) {
			*err_r = json_pack("{s:s, s:s}", "type", "alreadyExists",
			                   "existingId",
			                   jmap_dav_id(c, 's', all[i].id));
			return -1;
		}
	}
	*name_r = pool_strdup(jmap_call_pool(c), name);
	return 0;
}

/* Only name and blobId may be given (isActive is the server's). */
static int members_check(json_t *obj, bool is_create, json_t **err_r)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (strcmp(key, "name") != 0 && strcmp(key, "blobId") != 0 &&
		    !(is_create && strcmp(key, "isActive") == 0 &&
		      json_is_false(v))) {
			*err_r = jmap_set_error_prop("invalidProperties", NULL,
			                             key);
			return -1;
		}
	}
	return 0;
}

static const char *sieve_create(struct jmap_call_ctx *c, void *account,
                                json_t *obj, json_t **extra_r, json_t **err_r)
{
	(void)account;
	struct jmap_ctx *ctx = ctx_of(c);
	struct store_jmap_sieve_script *all;
	size_t count;
	const char *name, *error;
	if (members_check(obj, true, err_r) < 0 ||
	    scripts(c, &all, &count) < 0 ||
	    name_arg(c, obj, true, all, count, &name, err_r) < 0)
		return NULL;
	if (count >= SIEVE_SCRIPTS_MAX) {
		*err_r = jmap_set_error("overQuota", "maxNumberScripts", NULL);
		return NULL;
	}
	const char *blob = json_string_value(json_object_get(obj, "blobId"));
	if (blob == NULL) {
		*err_r = jmap_set_error_prop("invalidProperties", NULL, "blobId");
		return NULL;
	}
	struct buf text;
	buf_init(&text);
	const char *id = NULL;
	if (blob_text(c, blob, &text, err_r) == 0 &&
	    text_check(c, name, &text, err_r) == 0) {
		if (store_sieve_put(ctx->account, name, text.data, text.len,
		                    time(NULL), &error) < 0 ||
		    scripts(c, &all, &count) < 0) {
			*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		} else {
			for (size_t i = 0; i < count && id == NULL; i++)
				if (strcmp(all[i].name, name) == 0)
					id = jmap_dav_id(c, 's', all[i].id);
			*extra_r = json_pack("{s:s, s:b}", "name", name,
			                     "isActive", 0);
		}
	}
	buf_deinit(&text);
	return id;
}

static int sieve_update(struct jmap_call_ctx *c, void *account,
                        const char *id, json_t *patch, json_t **err_r)
{
	(void)account;
	struct jmap_ctx *ctx = ctx_of(c);
	struct store_jmap_sieve_script *all;
	size_t count;
	const char *name, *error;
	if (scripts(c, &all, &count) < 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	const struct store_jmap_sieve_script *s = script_find(all, count, id);
	if (s == NULL) {
		*err_r = jmap_set_error("notFound", NULL, NULL);
		return -1;
	}
	if (members_check(patch, false, err_r) < 0 ||
	    name_arg(c, patch, false, all, count, &name, err_r) < 0)
		return -1;
	const char *blob = json_string_value(json_object_get(patch, "blobId"));
	struct buf text;
	buf_init(&text);
	int ret = 0;
	if (blob != NULL && (blob_text(c, blob, &text, err_r) < 0 ||
	                     text_check(c, s->name, &text, err_r) < 0))
		ret = -1;
	else if (blob != NULL &&
	         store_sieve_put(ctx->account, s->name, text.data, text.len,
	                         time(NULL), &error) < 0)
		ret = -2;
	else if (name != NULL && strcmp(name, s->name) != 0 &&
	         store_sieve_rename(ctx->account, s->name, name, &error) < 0)
		ret = -2;
	if (ret == -2)
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
	buf_deinit(&text);
	return ret < 0 ? -1 : 0;
}

static int sieve_destroy(struct jmap_call_ctx *c, void *account,
                         const char *id, json_t **err_r)
{
	(void)account;
	struct store_jmap_sieve_script *all;
	size_t count;
	const char *error;
	if (scripts(c, &all, &count) < 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	const struct store_jmap_sieve_script *s = script_find(all, count, id);
	if (s == NULL) {
		*err_r = jmap_set_error("notFound", NULL, NULL);
		return -1;
	}
	if (s->is_active) { /* §2.4: the active script is not destroyed */
		*err_r = jmap_set_error("sieveIsActive", NULL, NULL);
		return -1;
	}
	if (store_sieve_delete(ctx_of(c)->account, s->name, &error) < 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* onSuccessActivateScript / onSuccessDeactivateScript of the /set being
 * run (one at a time: a process runs one method at once). */
static struct {
	const char *activate; /* an id or "#creation id", or NULL */
	bool deactivate;
} pending;

static int sieve_set_prepare(struct jmap_call_ctx *c, void *account,
                             json_t *args)
{
	(void)account;
	json_t *act = json_object_get(args, "onSuccessActivateScript");
	json_t *deact = json_object_get(args, "onSuccessDeactivateScript");
	memset(&pending, 0, sizeof(pending));
	if ((act != NULL && !json_is_null(act) && !json_is_string(act)) ||
	    (deact != NULL && !json_is_null(deact) && !json_is_boolean(deact))) {
		jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS,
		           "onSuccessActivateScript or "
		           "onSuccessDeactivateScript");
		return -1;
	}
	if (json_is_string(act))
		pending.activate =
		    pool_strdup(jmap_call_pool(c), json_string_value(act));
	pending.deactivate = json_is_true(deact);
	return 0;
}

static void sieve_set_end(struct jmap_call_ctx *c, void *account, bool commit)
{
	(void)account;
	struct jmap_ctx *ctx = ctx_of(c);
	struct store_jmap_sieve_script *all;
	size_t count;
	const char *error;
	if (!commit || (pending.activate == NULL && !pending.deactivate))
		return;
	const char *id = pending.activate != NULL
	                     ? jmap_call_resolve_id(c, pending.activate)
	                     : NULL;
	const struct store_jmap_sieve_script *s =
	    id != NULL && scripts(c, &all, &count) == 0
	        ? script_find(all, count, id)
	        : NULL;
	if (s != NULL)
		(void)store_sieve_activate(ctx->account, s->name, &error);
	else if (pending.deactivate)
		(void)store_sieve_activate(ctx->account, NULL, &error);
	memset(&pending, 0, sizeof(pending));
}

static const char *const set_args[] = {"onSuccessActivateScript",
                                       "onSuccessDeactivateScript", NULL};

static const struct jmap_type sieve_type = {
    .name = "SieveScript",
    .properties = sieve_props,
    .set_args = set_args,
    .state = sieve_state,
    .get = sieve_get,
    .changes = sieve_changes,
    .create = sieve_create,
    .update = sieve_update,
    .destroy = sieve_destroy,
    .set_prepare = sieve_set_prepare,
    .set_end = sieve_set_end,
};

static void sieve_get_method(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &sieve_type, jmap_server_account);
}

static void sieve_changes_method(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &sieve_type, jmap_server_account);
}

static void sieve_set_method(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_set(c, args, &sieve_type, jmap_server_account);
}

/* §2.5: filter name (contains, ASCII case-insensitive) and isActive;
 * sort by name or isActive. */
static bool filter_match(json_t *f, const struct store_jmap_sieve_script *s)
{
	const char *name = json_string_value(json_object_get(f, "name"));
	json_t *active = json_object_get(f, "isActive");
	if (name != NULL) {
		size_t n = strlen(name);
		bool found = false;
		for (const char *p = s->name; *p != '\0' && !found; p++)
			found = strncasecmp(p, name, n) == 0;
		if (!found && n > 0)
			return false;
	}
	if (json_is_boolean(active) && json_is_true(active) != s->is_active)
		return false;
	return true;
}

static int sort_by_name(const void *a, const void *b)
{
	const struct store_jmap_sieve_script *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static int sort_by_active(const void *a, const void *b)
{
	const struct store_jmap_sieve_script *x = a, *y = b;
	return (int)x->is_active - (int)y->is_active;
}

static void sieve_query(struct jmap_call_ctx *c, json_t *args)
{
	struct jmap_query q;
	if (jmap_query_parse(c, args, NULL, &q) < 0 ||
	    jmap_server_account(c, q.account_id) == NULL)
		return;
	const char *key;
	json_t *v;
	json_object_foreach(q.filter, key, v)
	{
		if (strcmp(key, "name") != 0 && strcmp(key, "isActive") != 0) {
			jmap_error(c, JMAP_ERR_UNSUPPORTED_FILTER, "%s", key);
			return;
		}
	}
	struct store_jmap_sieve_script *all;
	size_t count;
	if (scripts(c, &all, &count) < 0) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	json_t *comp = json_array_get(q.sort, 0);
	const char *prop = json_string_value(json_object_get(comp, "property"));
	bool is_desc = json_is_false(json_object_get(comp, "isAscending"));
	if (json_array_size(q.sort) > 1 ||
	    (comp != NULL && (prop == NULL || (strcmp(prop, "name") != 0 &&
	                                        strcmp(prop, "isActive") != 0)))) {
		jmap_error(c, JMAP_ERR_UNSUPPORTED_SORT, NULL);
		return;
	}
	qsort(all, count, sizeof(*all),
	      prop != NULL && strcmp(prop, "isActive") == 0 ? sort_by_active
	                                                    : sort_by_name);
	json_t *ids = json_array();
	for (size_t i = 0; i < count; i++) {
		size_t k = is_desc ? count - 1 - i : i;
		if (q.filter == NULL || filter_match(q.filter, &all[k]))
			json_array_append_new(ids, json_string(jmap_dav_id(
			                               c, 's', all[k].id)));
	}
	const char *state = jmap_state_str(c, STORE_JMAP_SIEVE);
	jmap_query_reply(c, &q, ids, state != NULL ? state : "0", false);
}

/* §2.6: {accountId, blobId} -> {accountId, error: null | SetError}. */
static void sieve_validate(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const std[] = {"accountId", "blobId", NULL};
	const char *account_id, *blob;
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0 ||
	    jmap_arg_str(c, args, "blobId", &blob) < 0 ||
	    jmap_server_account(c, account_id) == NULL)
		return;
	if (blob == NULL) {
		jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "blobId");
		return;
	}
	struct buf text;
	json_t *err = NULL;
	buf_init(&text);
	if (blob_text(c, blob, &text, &err) == 0)
		(void)text_check(c, "validate", &text, &err);
	buf_deinit(&text);
	jmap_reply(c, "SieveScript/validate",
	           json_pack("{s:s, s:o}", "accountId", account_id, "error",
	                     err != NULL ? err : json_null()));
}

const struct jmap_method jmap_sieve_methods[] = {
    {"SieveScript/get", JMAP_CAP_SIEVE, sieve_get_method},
    {"SieveScript/changes", JMAP_CAP_SIEVE, sieve_changes_method},
    {"SieveScript/set", JMAP_CAP_SIEVE, sieve_set_method},
    {"SieveScript/query", JMAP_CAP_SIEVE, sieve_query},
    {"SieveScript/validate", JMAP_CAP_SIEVE, sieve_validate},
    {"VacationResponse/get", JMAP_CAP_VACATION, jmap_vacation_get},
    {"VacationResponse/set", JMAP_CAP_VACATION, jmap_vacation_set},
};
const size_t jmap_sieve_method_count =
    sizeof(jmap_sieve_methods) / sizeof(*jmap_sieve_methods);
