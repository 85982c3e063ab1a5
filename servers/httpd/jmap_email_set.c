/* JMAP Email writing (RFC 8621 §4.6-4.8): Email/set (create composes the
 * message with lib/jmap's jmap_compose and stores it as a blob and rows,
 * as IMAP APPEND does; update sets keywords and mailboxIds, whole or by
 * patch paths "keywords/$seen", "mailboxIds/m3"; destroy removes every
 * copy) and Email/import of uploaded blobs. Changes go through the same
 * store calls as IMAP STORE, COPY, MOVE and EXPUNGE, so IMAP sessions see
 * them with new MODSEQs at once. */
#include "core/buf.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap/jmap_compose.h"
#include "jmap/jmap_email.h"
#include "jmap_server.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct {
	const char *kw;
	uint32_t flag;
} system_kw[] = {{"$seen", STORE_FLAG_SEEN},
                 {"$answered", STORE_FLAG_ANSWERED},
                 {"$flagged", STORE_FLAG_FLAGGED},
                 {"$draft", STORE_FLAG_DRAFT}};

/* A keyword JMAP may set (RFC 8621 §4.1.1: IMAP flag-keyword syntax). */
static bool keyword_is_valid(const char *kw)
{
	size_t len = strlen(kw);
	if (len == 0 || len > 255)
		return false;
	for (const char *p = kw; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch <= 0x20 || ch >= 0x7f || strchr("(){]%*\"\\", ch) != NULL)
			return false;
	}
	return true;
}

/* Turns a keywords object into flags and a keyword list. Returns 0 or -1
 * for an invalid keyword. */
static int keywords_split(json_t *keywords, uint32_t *flags_r, struct buf *kw)
{
	*flags_r = 0;
	const char *key;
	json_t *v;
	json_object_foreach(keywords, key, v)
	{
		if (!json_is_true(v) || !keyword_is_valid(key))
			return -1;
		bool sys = false;
		for (size_t i = 0; i < sizeof(system_kw) / sizeof(*system_kw);
		     i++) {
			if (strcasecmp(key, system_kw[i].kw) == 0) {
				*flags_r |= system_kw[i].flag;
				sys = true;
			}
		}
		if (sys)
			continue;
		if (kw->len > 0)
			buf_append_char(kw, ' ');
		for (const char *p = key; *p != '\0'; p++)
			buf_append_char(kw, (char)tolower((unsigned char)*p));
	}
	return 0;
}

/* The current keywords of an Email as a JSON object. */
static json_t *keywords_current(const struct store_jmap_email *e)
{
	json_t *kw = json_object();
	for (size_t i = 0; i < sizeof(system_kw) / sizeof(*system_kw); i++) {
		if ((e->flags & system_kw[i].flag) != 0)
			json_object_set_new(kw, system_kw[i].kw, json_true());
	}
	const char *p = e->keywords;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len == 0)
			break;
		char word[256];
		if (len < sizeof(word)) {
			for (size_t i = 0; i < len; i++)
				word[i] = (char)tolower((unsigned char)p[i]);
			word[len] = '\0';
			json_object_set_new(kw, word, json_true());
		}
		p += len;
	}
	return kw;
}

/* mailboxIds as store ids. Returns the count, or -1. */
static int mailbox_ids(struct jmap_call_ctx *c, json_t *obj, int64_t *ids,
                       size_t max)
{
	size_t n = 0;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		int64_t id;
		const char *k = jmap_call_resolve_id(c, key);
		if (!json_is_true(v) || k == NULL ||
		    jmap_mailbox_id_parse(k, &id) < 0 || n == max)
			return -1;
		ids[n++] = id;
	}
	return (int)n;
}

static bool guid_parse(const char *id, const char **guid_r)
{
	if (id == NULL || id[0] != 'e' || strlen(id) != 33)
		return false;
	*guid_r = id + 1;
	return true;
}

#define MAILBOXES_MAX 64

const char *jmap_email_store(struct jmap_ctx *ctx, const void *data,
                             size_t size, const int64_t *mailboxes,
                             size_t count, uint32_t flags,
                             const char *keywords, time_t received,
                             json_t **err_r)
{
	struct store_blob_writer *w;
	const char *error, *first, *guid;
	char blob[STORE_BLOB_ID_LEN + 1];
	uint64_t blob_size;
	uint32_t uid;
	if (count == 0 ||
	    store_jmap_mailbox_name(ctx->account, mailboxes[0], ctx->pool,
	                            &first) <= 0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "no such mailbox", "mailboxIds");
		return NULL;
	}
	if (store_blob_begin(ctx->httpd->store, &w, &error) < 0 ||
	    store_blob_write(w, data, size) < 0 ||
	    store_blob_finish(&w, blob, &blob_size, &error) < 0 ||
	    store_message_add(ctx->account, first, blob, blob_size, flags,
	                      keywords, received, NULL, &uid, &error) < 0 ||
	    store_jmap_message_guid(ctx->account, first, uid, ctx->pool,
	                            &guid) <= 0) {
		store_blob_abort(&w);
		*err_r = jmap_set_error("serverFail", NULL, NULL);
		return NULL;
	}
	if (count > 1 && store_jmap_email_set_mailboxes(ctx->account, guid,
	                                                mailboxes, count,
	                                                &error) < 0) {
		*err_r = jmap_set_error_prop("invalidProperties", error,
		                             "mailboxIds");
		return NULL;
	}
	return pool_printf(ctx->pool, "e%s", guid);
}

/* Attachments of a new Email: a blob of this account, whole or a part. */
static int compose_blob_read(void *context, const char *blob_id,
                             struct buf *out)
{
	struct jmap_ctx *ctx = context;
	if (blob_id[0] != 'b' || strlen(blob_id) < 65)
		return -1;
	char blob[STORE_BLOB_ID_LEN + 1];
	memcpy(blob, blob_id + 1, STORE_BLOB_ID_LEN);
	blob[STORE_BLOB_ID_LEN] = '\0';
	if (store_jmap_blob_is_owned(ctx->account, blob) <= 0)
		return -1;
	if (blob_id[65] == '\0')
		return jmap_blob_read(ctx, blob, out);
	if (blob_id[65] != '_')
		return -1;
	struct buf whole;
	buf_init(&whole);
	int ret = jmap_blob_read(ctx, blob, &whole);
	if (ret == 0) {
		struct jmap_email_msg msg;
		jmap_email_msg_init(&msg, (const unsigned char *)whole.data,
		                    whole.len, "", ctx->pool);
		const struct mime_part *p =
		    jmap_email_part_find(&msg, blob_id + 66);
		if (p == NULL)
			ret = -1;
		else
			jmap_email_part_content(&msg, p, out);
	}
	buf_deinit(&whole);
	return ret;
}

const char *jmap_email_create(struct jmap_call_ctx *c, void *account,
                              json_t *obj, json_t **extra_r, json_t **err_r)
{
	struct jmap_ctx *ctx = account;
	static const char *const server_set[] = {
	    "id", "blobId", "threadId", "size", "hasAttachment", "preview",
	    NULL};
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (jmap_str_in(key, server_set)) {
			*err_r = jmap_set_error_prop("invalidProperties",
			                             "set by the server", key);
			return NULL;
		}
	}
	int64_t boxes[MAILBOXES_MAX];
	json_t *mb = json_object_get(obj, "mailboxIds");
	int count = json_is_object(mb) ? mailbox_ids(c, mb, boxes,
	                                             MAILBOXES_MAX)
	                               : -1;
	if (count <= 0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "at least one mailbox", "mailboxIds");
		return NULL;
	}
	uint32_t flags = 0;
	struct buf kw;
	buf_init(&kw);
	json_t *keywords = json_object_get(obj, "keywords");
	if (keywords != NULL && (!json_is_object(keywords) ||
	                         keywords_split(keywords, &flags, &kw) < 0)) {
		buf_deinit(&kw);
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "invalid keyword", "keywords");
		return NULL;
	}
	time_t received = time(NULL);
	json_t *ra = json_object_get(obj, "receivedAt");
	if (json_is_string(ra))
		(void)jmap_date_parse_rfc3339(json_string_value(ra), &received);
	char msgid[128];
	snprintf(msgid, sizeof(msgid), "%llx.%x@%s",
	         (unsigned long long)time(NULL), (unsigned)random(),
	         ctx->httpd->hostname);
	struct jmap_compose cs = {.now = time(NULL),
	                          .message_id = msgid,
	                          .blob_read = compose_blob_read,
	                          .ctx = ctx};
	struct buf data;
	buf_init(&data);
	const char *error, *prop;
	int ret = jmap_compose_email(obj, &cs, &data, &error, &prop);
	const char *id = NULL;
	if (ret == -2) {
		*err_r = json_pack("{s:s, s:[s]}", "type", "blobNotFound",
		                   "notFound", prop);
	} else if (ret < 0) {
		*err_r = jmap_set_error_prop("invalidProperties", error, prop);
	} else {
		id = jmap_email_store(ctx, data.data, data.len, boxes,
		                      (size_t)count, flags, kw.data, received,
		                      err_r);
	}
	if (id != NULL) {
		struct store_jmap_email e;
		if (store_jmap_email_get(ctx->account, id + 1, ctx->pool, &e) ==
		    1)
			*extra_r = json_pack("{s:s+, s:s+, s:I}", "blobId", "b",
			                     e.blob_id, "threadId", "t",
			                     pool_printf(ctx->pool, "%lld",
			                                 (long long)e.thread_id),
			                     "size", (json_int_t)e.size);
	}
	buf_deinit(&data);
	buf_deinit(&kw);
	return id;
}

/* Applies the patch's keywords and mailboxIds parts to copies of the
 * current values. Returns 0 or -1 with *err_r. */
static int patch_apply(struct jmap_call_ctx *c, json_t *patch, json_t *kw,
                       json_t *mb, bool *kw_changed, bool *mb_changed,
                       json_t **err_r)
{
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v)
	{
		if (strcmp(key, "keywords") == 0 && json_is_object(v)) {
			json_object_clear(kw);
			json_object_update(kw, v);
			*kw_changed = true;
		} else if (strncmp(key, "keywords/", 9) == 0 &&
		           (json_is_true(v) || json_is_null(v)) &&
		           keyword_is_valid(key + 9)) {
			char lower[256];
			snprintf(lower, sizeof(lower), "%s", key + 9);
			for (char *p = lower; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			if (json_is_null(v))
				json_object_del(kw, lower);
			else
				json_object_set_new(kw, lower, json_true());
			*kw_changed = true;
		} else if (strcmp(key, "mailboxIds") == 0 && json_is_object(v)) {
			json_object_clear(mb);
			json_object_update(mb, v);
			*mb_changed = true;
		} else if (strncmp(key, "mailboxIds/", 11) == 0 &&
		           (json_is_true(v) || json_is_null(v))) {
			const char *id = jmap_call_resolve_id(c, key + 11);
			if (id == NULL)
				goto bad;
			if (json_is_null(v))
				json_object_del(mb, id);
			else
				json_object_set_new(mb, id, json_true());
			*mb_changed = true;
		} else {
			goto bad;
		}
		continue;
	bad:
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "only keywords and mailboxIds "
		                             "can change",
		                             key);
		return -1;
	}
	return 0;
}

int jmap_email_update(struct jmap_call_ctx *c, void *account, const char *id,
                      json_t *patch, json_t **err_r)
{
	struct jmap_ctx *ctx = account;
	const char *guid;
	struct store_jmap_email e;
	if (!guid_parse(id, &guid) ||
	    store_jmap_email_get(ctx->account, guid, ctx->pool, &e) <= 0) {
		*err_r = jmap_set_error("notFound", NULL, NULL);
		return -1;
	}
	json_t *kw = keywords_current(&e), *mb = json_object();
	for (size_t i = 0; i < e.row_count; i++) {
		char key[32];
		snprintf(key, sizeof(key), "m%lld",
		         (long long)e.rows[i].mailbox_id);
		json_object_set_new(mb, key, json_true());
	}
	bool kw_changed = false, mb_changed = false;
	int ret = patch_apply(c, patch, kw, mb, &kw_changed, &mb_changed, err_r);
	uint32_t flags;
	struct buf words;
	buf_init(&words);
	if (ret == 0 && kw_changed && keywords_split(kw, &flags, &words) < 0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "invalid keyword", "keywords");
		ret = -1;
	}
	int64_t boxes[MAILBOXES_MAX];
	int count = ret == 0 && mb_changed
	                ? mailbox_ids(c, mb, boxes, MAILBOXES_MAX)
	                : 0;
	if (ret == 0 && mb_changed && count <= 0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "at least one mailbox", "mailboxIds");
		ret = -1;
	}
	const char *error;
	if (ret == 0 && kw_changed &&
	    store_jmap_email_set_keywords(ctx->account, guid, flags,
	                                  words.data) < 0) {
		*err_r = jmap_set_error("serverFail", NULL, NULL);
		ret = -1;
	}
	if (ret == 0 && mb_changed &&
	    store_jmap_email_set_mailboxes(ctx->account, guid, boxes,
	                                   (size_t)count, &error) < 0) {
		*err_r = jmap_set_error_prop("invalidProperties", error,
		                             "mailboxIds");
		ret = -1;
	}
	buf_deinit(&words);
	json_decref(kw);
	json_decref(mb);
	return ret;
}

int jmap_email_destroy(struct jmap_call_ctx *c, void *account, const char *id,
                       json_t **err_r)
{
	(void)c;
	struct jmap_ctx *ctx = account;
	const char *guid;
	int ret = guid_parse(id, &guid)
	              ? store_jmap_email_destroy(ctx->account, guid)
	              : 0;
	if (ret <= 0) {
		*err_r = jmap_set_error(ret == 0 ? "notFound" : "serverFail",
		                        NULL, NULL);
		return -1;
	}
	return 0;
}

/* ---- Email/import (§4.8) ---- */

static const char *import_one(struct jmap_call_ctx *c, struct jmap_ctx *ctx,
                              json_t *obj, json_t **err_r)
{
	const char *blob_id = json_string_value(json_object_get(obj, "blobId"));
	json_t *mb = json_object_get(obj, "mailboxIds");
	int64_t boxes[MAILBOXES_MAX];
	int count = json_is_object(mb) ? mailbox_ids(c, mb, boxes,
	                                             MAILBOXES_MAX)
	                               : -1;
	if (count <= 0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "at least one mailbox", "mailboxIds");
		return NULL;
	}
	uint32_t flags = 0;
	struct buf kw, data;
	buf_init(&kw);
	buf_init(&data);
	const char *id = NULL;
	json_t *keywords = json_object_get(obj, "keywords");
	time_t received = time(NULL);
	json_t *ra = json_object_get(obj, "receivedAt");
	if (keywords != NULL && (!json_is_object(keywords) ||
	                         keywords_split(keywords, &flags, &kw) < 0)) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "invalid keyword", "keywords");
	} else if (ra != NULL && !json_is_null(ra) &&
	           (!json_is_string(ra) ||
	            jmap_date_parse_rfc3339(json_string_value(ra),
	                                    &received) < 0)) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "not a UTCDate", "receivedAt");
	} else if (blob_id == NULL ||
	           compose_blob_read(ctx, blob_id, &data) < 0) {
		*err_r = json_pack("{s:s, s:[s]}", "type", "blobNotFound",
		                   "notFound", blob_id != NULL ? blob_id : "");
	} else {
		id = jmap_email_store(ctx, data.data, data.len, boxes,
		                      (size_t)count, flags, kw.data, received,
		                      err_r);
	}
	buf_deinit(&kw);
	buf_deinit(&data);
	return id;
}

void jmap_email_import(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const std[] = {"accountId", "ifInState", "emails",
	                                  NULL};
	const char *account_id, *if_in_state;
	json_t *emails = json_object_get(args, "emails");
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0 ||
	    jmap_arg_str(c, args, "ifInState", &if_in_state) < 0)
		return;
	if (!json_is_object(emails)) {
		jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "emails");
		return;
	}
	if (json_object_size(emails) >
	    jmap_call_settings(c)->max_objects_in_set) {
		jmap_error(c, JMAP_ERR_REQUEST_TOO_LARGE, NULL);
		return;
	}
	struct jmap_ctx *ctx = jmap_server_account(c, account_id);
	if (ctx == NULL)
		return;
	const char *old = jmap_state_str(c, STORE_JMAP_EMAIL);
	if (old == NULL) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	if (if_in_state != NULL && strcmp(if_in_state, old) != 0) {
		jmap_error(c, JMAP_ERR_STATE_MISMATCH, NULL);
		return;
	}
	json_t *created = json_object(), *not_created = json_object();
	const char *cid;
	json_t *obj;
	json_object_foreach(emails, cid, obj)
	{
		json_t *err = NULL;
		const char *id = json_is_object(obj)
		                     ? import_one(c, ctx, obj, &err)
		                     : NULL;
		if (id == NULL) {
			json_object_set_new(
			    not_created, cid,
			    err != NULL ? err
			                : jmap_set_error("invalidArguments", NULL,
			                                 NULL));
			continue;
		}
		struct store_jmap_email e;
		json_t *o = json_pack("{s:s}", "id", id);
		if (store_jmap_email_get(ctx->account, id + 1, ctx->pool, &e) ==
		    1) {
			json_object_set_new(o, "blobId",
			                    json_sprintf("b%s", e.blob_id));
			json_object_set_new(
			    o, "threadId",
			    json_sprintf("t%lld", (long long)e.thread_id));
			json_object_set_new(o, "size",
			                    json_integer((json_int_t)e.size));
		}
		json_object_set_new(created, cid, o);
		jmap_call_created(c, cid, id);
	}
	const char *new_state = jmap_state_str(c, STORE_JMAP_EMAIL);
	json_t *resp = json_pack("{s:s, s:s, s:s}", "accountId", account_id,
	                         "oldState", old, "newState",
	                         new_state != NULL ? new_state : old);
	json_object_set_new(resp, "created",
	                    json_object_size(created) > 0 ? created
	                                                  : json_null());
	json_object_set_new(resp, "notCreated",
	                    json_object_size(not_created) > 0 ? not_created
	                                                      : json_null());
	if (json_object_size(created) == 0)
		json_decref(created);
	if (json_object_size(not_created) == 0)
		json_decref(not_created);
	jmap_reply(c, "Email/import", resp);
}
