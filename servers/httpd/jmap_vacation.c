/* JMAP VacationResponse (RFC 8621 §8) over the vacation that is stored as
 * Sieve: the vacation section of the settings block in the account's
 * active script (lib/rules/sieve_managed.h), the same one postroomctl
 * account vacation writes and ManageSieve shows. There is one object,
 * "singleton"; its state is the Sieve scripts' (any change of a script may
 * change it). fromDate and toDate become currentdate tests, htmlBody a
 * :mime multipart/alternative reply; turning it off removes the section,
 * so its text is not kept (get then shows null). An update rewrites the
 * active script in one transaction (store_sieve_rewrite_active). */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap/jmap_email.h"
#include "jmap_dav.h"
#include "jmap_server.h"
#include "rules/sieve_managed.h"
#include "store/store_sieve.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SINGLETON "singleton"

static const char *const vacation_props[] = {
    "id",       "isEnabled", "fromDate", "toDate",
    "subject",  "textBody",  "htmlBody", NULL};

static struct jmap_ctx *ctx_of(struct jmap_call_ctx *c)
{
	return jmap_call_server_ctx(c);
}

static const char *vacation_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_state_str(c, STORE_JMAP_SIEVE);
}

/* The vacation of the active script into *v (strings from pool). Returns
 * 0, or -1 after a failure. */
static int vacation_read(struct jmap_ctx *ctx, struct pool *pool,
                         struct sieve_vacation *v)
{
	const char *name, *data;
	size_t size, start, end;
	struct sieve_managed m;
	struct sieve_settings set;
	memset(v, 0, sizeof(*v));
	int found = store_sieve_get_active(ctx->account, pool, &name, &data,
	                                   &size);
	if (found < 0)
		return -1;
	sieve_managed_init(&m);
	jmap_sieve_settings(ctx->httpd, &set);
	if (found > 0 && sieve_managed_find(data, &start, &end, &m) &&
	    sieve_managed_get_vacation(&m, &set, pool, v) < 0)
		memset(v, 0, sizeof(*v)); /* an edit that does not compile */
	sieve_managed_deinit(&m);
	return 0;
}

static json_t *date_or_null(time_t t)
{
	if (t == 0)
		return json_null();
	struct buf b;
	buf_init(&b);
	jmap_date_utc(t, &b);
	json_t *s = json_string(b.data);
	buf_deinit(&b);
	return s;
}

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *vacation_json(const struct sieve_vacation *v)
{
	return json_pack("{s:s, s:b, s:o, s:o, s:o, s:o, s:o}", "id", SINGLETON,
	                 "isEnabled", v->is_enabled, "fromDate",
	                 date_or_null(v->from_date), "toDate",
	                 date_or_null(v->to_date), "subject",
	                 str_or_null(v->subject), "textBody",
	                 str_or_null(v->text), "htmlBody",
	                 str_or_null(v->html));
}

static int vacation_get(struct jmap_call_ctx *c, void *account, json_t *args,
                        json_t *ids, json_t *props, json_t *list,
                        json_t *not_found)
{
	(void)account;
	(void)args;
	struct sieve_vacation v;
	if (vacation_read(ctx_of(c), jmap_call_pool(c), &v) < 0)
		return -1;
	json_t *obj = vacation_json(&v);
	jmap_dav_filter_props(obj, props);
	bool want = ids == NULL;
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		if (json_is_string(id) &&
		    strcmp(json_string_value(id), SINGLETON) == 0)
			want = true;
		else
			json_array_append(not_found, id);
	}
	if (want)
		json_array_append(list, obj);
	json_decref(obj);
	return 0;
}

/* Applies the members of patch to v. Returns 0, or -1 with *err_r. */
static int vacation_patch(struct jmap_call_ctx *c, json_t *patch,
                          struct sieve_vacation *v, json_t **err_r)
{
	const char *key;
	json_t *val;
	json_object_foreach(patch, key, val)
	{
		bool is_null = json_is_null(val);
		const char *s = json_string_value(val);
		time_t t = 0;
		bool ok = true;
		if (strcmp(key, "isEnabled") == 0) {
			ok = json_is_boolean(val);
			v->is_enabled = json_is_true(val);
		} else if (strcmp(key, "fromDate") == 0 ||
		           strcmp(key, "toDate") == 0) {
			ok = is_null ||
			     (s != NULL && jmap_date_parse_rfc3339(s, &t) == 0);
			*(key[0] == 'f' ? &v->from_date : &v->to_date) = t;
		} else if (strcmp(key, "subject") == 0 ||
		           strcmp(key, "textBody") == 0 ||
		           strcmp(key, "htmlBody") == 0) {
			ok = is_null || s != NULL;
			const char *copy =
			    s != NULL ? pool_strdup(jmap_call_pool(c), s) : NULL;
			if (key[0] == 's')
				v->subject = copy;
			else if (key[0] == 't')
				v->text = copy;
			else
				v->html = copy;
		} else {
			ok = false; /* "id" and unknown members */
		}
		if (!ok) {
			*err_r = jmap_set_error_prop("invalidProperties", NULL,
			                             key);
			return -1;
		}
	}
	return 0;
}

struct vacation_edit {
	struct httpd *httpd;
	const struct sieve_vacation *v;
	char message[400];
};

static void vacation_change(struct sieve_managed *m, void *ctx)
{
	struct vacation_edit *e = ctx;
	sieve_managed_set_vacation(m, e->v);
}

static int vacation_rewrite_cb(const char *name, const char *data,
                               size_t size, struct buf *out, void *ctx,
                               const char **error_r)
{
	struct vacation_edit *e = ctx;
	struct sieve_settings set;
	struct sieve_error error;
	jmap_sieve_settings(e->httpd, &set);
	if (sieve_managed_rewrite(name, data, size, vacation_change, e, &set,
	                          out, &error) == 0)
		return 0;
	snprintf(e->message, sizeof(e->message), "%s", error.message);
	*error_r = e->message;
	return -1;
}

static int vacation_update(struct jmap_call_ctx *c, void *account,
                           const char *id, json_t *patch, json_t **err_r)
{
	(void)account;
	struct jmap_ctx *ctx = ctx_of(c);
	struct sieve_vacation v;
	if (strcmp(id, SINGLETON) != 0) {
		*err_r = jmap_set_error("notFound", NULL, NULL);
		return -1;
	}
	if (vacation_read(ctx, jmap_call_pool(c), &v) < 0) {
		*err_r = jmap_set_error(JMAP_ERR_SERVER_FAIL, NULL, NULL);
		return -1;
	}
	if (vacation_patch(c, patch, &v, err_r) < 0)
		return -1;
	if (v.is_enabled && v.from_date != 0 && v.to_date != 0 &&
	    v.to_date <= v.from_date) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "toDate is not after fromDate",
		                             "toDate");
		return -1;
	}
	if (v.days == 0)
		v.days = 7;
	struct vacation_edit e = {.httpd = ctx->httpd, .v = &v};
	const char *error;
	if (store_sieve_rewrite_active(ctx->account, SIEVE_MANAGED_SCRIPT,
	                               vacation_rewrite_cb, &e, time(NULL),
	                               &error) < 0) {
		/* the user's active script does not compile with it */
		log_info(NULL, "jmap-vacation-refused user=%s error=%s",
		         log_sanitize(ctx->user, 100), log_sanitize(error, 300));
		*err_r = jmap_set_error(e.message[0] != '\0'
		                            ? "invalidProperties"
		                            : JMAP_ERR_SERVER_FAIL,
		                        e.message[0] != '\0' ? e.message : NULL,
		                        NULL);
		return -1;
	}
	return 0;
}

/* §8: there is only the singleton: no create, no destroy. */
static const char *vacation_create(struct jmap_call_ctx *c, void *account,
                                   json_t *obj, json_t **extra_r,
                                   json_t **err_r)
{
	(void)c;
	(void)account;
	(void)obj;
	(void)extra_r;
	*err_r = jmap_set_error("singleton", NULL, NULL);
	return NULL;
}

static int vacation_destroy(struct jmap_call_ctx *c, void *account,
                            const char *id, json_t **err_r)
{
	(void)c;
	(void)account;
	(void)id;
	*err_r = jmap_set_error("singleton", NULL, NULL);
	return -1;
}

static const struct jmap_type vacation_type = {
    .name = "VacationResponse",
    .properties = vacation_props,
    .state = vacation_state,
    .get = vacation_get,
    .create = vacation_create,
    .update = vacation_update,
    .destroy = vacation_destroy,
};

void jmap_vacation_get(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &vacation_type, jmap_server_account);
}

void jmap_vacation_set(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_set(c, args, &vacation_type, jmap_server_account);
}
