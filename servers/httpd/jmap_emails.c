/* JMAP Email reading (RFC 8621 §4.2, §4.3, §4.9, §5): Email/get from the
 * store's rows (id, blobId, threadId, mailboxIds, keywords, size,
 * receivedAt need no body) and from the message (lib/jmap/jmap_email.c,
 * read only when a property needs it), Email/changes, Email/parse and
 * SearchSnippet/get; Email/query and /queryChanges are in
 * jmap_email_query.c. IMAP's system flags are the keywords $seen,
 * $answered, $flagged, $draft; \Deleted messages are not Emails. */
#include "core/buf.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap/jmap_email.h"
#include "jmap_server.h"
#include "mime/mime.h"
#include "mime/mime_decode.h"
#include "store/store_mime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int jmap_email_changes_read(struct jmap_call_ctx *c, void *account,
                            const char *since, unsigned max,
                            struct jmap_changes *out);

int jmap_blob_read(struct jmap_ctx *ctx, const char *blob_id, struct buf *out)
{
	const char *error;
	return store_mime_blob_read(ctx->httpd->store, blob_id, out, &error);
}

static bool guid_parse(const char *id, const char **guid_r)
{
	if (id == NULL || id[0] != 'e' || strlen(id) != 33)
		return false;
	for (const char *p = id + 1; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	}
	*guid_r = id + 1;
	return true;
}

/* IMAP flags and keywords as JMAP keywords (lowercase, RFC 8621 §4.1.1). */
static json_t *keywords_json(uint32_t flags, const char *keywords)
{
	json_t *kw = json_object();
	if ((flags & STORE_FLAG_SEEN) != 0)
		json_object_set_new(kw, "$seen", json_true());
	if ((flags & STORE_FLAG_ANSWERED) != 0)
		json_object_set_new(kw, "$answered", json_true());
	if ((flags & STORE_FLAG_FLAGGED) != 0)
		json_object_set_new(kw, "$flagged", json_true());
	if ((flags & STORE_FLAG_DRAFT) != 0)
		json_object_set_new(kw, "$draft", json_true());
	const char *p = keywords;
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

static bool has_prop(json_t *props, const char *name)
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

/* The fetch arguments of Email/get and Email/parse. Returns 0 or -1
 * after an error response. */
static int fetch_args(struct jmap_call_ctx *c, json_t *args,
                      struct jmap_email_fetch *f)
{
	uint64_t max;
	memset(f, 0, sizeof(*f));
	if (jmap_arg_bool(c, args, "fetchTextBodyValues", false,
	                  &f->fetch_text) < 0 ||
	    jmap_arg_bool(c, args, "fetchHTMLBodyValues", false,
	                  &f->fetch_html) < 0 ||
	    jmap_arg_bool(c, args, "fetchAllBodyValues", false,
	                  &f->fetch_all) < 0 ||
	    jmap_arg_uint(c, args, "maxBodyValueBytes", 0, &max) < 0)
		return -1;
	f->max_body_value_bytes = (size_t)max;
	json_t *bp = json_object_get(args, "bodyProperties");
	if (bp != NULL && !json_is_null(bp)) {
		size_t i;
		json_t *p;
		if (!json_is_array(bp))
			goto bad;
		json_array_foreach(bp, i, p)
		{
			if (!json_is_string(p) ||
			    (!jmap_str_in(json_string_value(p),
			                  jmap_email_body_props_all) &&
			     !jmap_email_header_prop_is_valid(
			         json_string_value(p))))
				goto bad;
		}
		f->body_properties = bp;
	}
	return 0;
bad:
	jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS,
	           "bodyProperties must name EmailBodyPart properties");
	return -1;
}

/* Fills obj with the properties props that need the message. Returns 0,
 * or -1 for a header property that does not parse. */
static int body_props(struct jmap_ctx *ctx, const char *blob_id, json_t *props,
                      const struct jmap_email_fetch *fetch, json_t *obj)
{
	size_t i;
	json_t *p;
	bool needed = false;
	json_array_foreach(props, i, p)
	{
		needed = needed ||
		         jmap_email_prop_needs_body(json_string_value(p));
	}
	if (!needed)
		return 0;
	struct buf data;
	buf_init(&data);
	if (jmap_blob_read(ctx, blob_id, &data) < 0)
		buf_truncate(&data, 0); /* gone: an empty message */
	struct jmap_email_msg msg;
	jmap_email_msg_init(&msg, (const unsigned char *)data.data, data.len,
	                    pool_printf(ctx->pool, "b%s", blob_id), ctx->pool);
	int ret = 0;
	json_array_foreach(props, i, p)
	{
		const char *name = json_string_value(p);
		if (jmap_email_prop_needs_body(name) &&
		    jmap_email_prop(&msg, name, fetch, obj) < 0)
			ret = -1;
	}
	buf_deinit(&data);
	return ret;
}

static json_t *email_json(struct jmap_ctx *ctx,
                          const struct store_jmap_email *e, json_t *props)
{
	json_t *o = json_pack("{s:s+}", "id", "e", e->guid);
	if (has_prop(props, "blobId"))
		json_object_set_new(o, "blobId", json_sprintf("b%s", e->blob_id));
	if (has_prop(props, "threadId"))
		json_object_set_new(o, "threadId",
		                    json_sprintf("t%lld", (long long)e->thread_id));
	if (has_prop(props, "mailboxIds")) {
		json_t *m = json_object();
		for (size_t i = 0; i < e->row_count; i++) {
			char key[32];
			snprintf(key, sizeof(key), "m%lld",
			         (long long)e->rows[i].mailbox_id);
			json_object_set_new(m, key, json_true());
		}
		json_object_set_new(o, "mailboxIds", m);
	}
	if (has_prop(props, "keywords"))
		json_object_set_new(o, "keywords",
		                    keywords_json(e->flags, e->keywords));
	if (has_prop(props, "size"))
		json_object_set_new(o, "size", json_integer((json_int_t)e->size));
	if (has_prop(props, "receivedAt")) {
		struct buf b;
		buf_init(&b);
		jmap_date_utc(e->received, &b);
		json_object_set_new(o, "receivedAt", json_string(b.data));
		buf_deinit(&b);
	}
	(void)ctx;
	return o;
}

static const char *email_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_state_str(c, STORE_JMAP_EMAIL);
}

static int all_ids_cb(const struct store_jmap_item *item, void *context)
{
	json_t *ids = context;
	json_array_append_new(ids, json_sprintf("e%s", item->guid));
	return json_array_size(ids) > 1000 ? 1 : 0;
}

static int email_get(struct jmap_call_ctx *c, void *account, json_t *args,
                     json_t *ids, json_t *props, json_t *list,
                     json_t *not_found)
{
	struct jmap_ctx *ctx = account;
	struct jmap_email_fetch fetch;
	if (fetch_args(c, args, &fetch) < 0)
		return 1;
	json_t *all = NULL;
	if (ids == NULL) {
		all = json_array();
		if (store_jmap_email_walk(ctx->account, 0, true, all_ids_cb,
		                          all) < 0) {
			json_decref(all);
			return -1;
		}
		ids = all;
	}
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		const char *guid;
		struct store_jmap_email e;
		int ret = guid_parse(json_string_value(id), &guid)
		              ? store_jmap_email_get(ctx->account, guid,
		                                     ctx->pool, &e)
		              : 0;
		if (ret < 0) {
			json_decref(all);
			return -1;
		}
		if (ret == 0) {
			json_array_append(not_found, id);
			continue;
		}
		json_t *o = email_json(ctx, &e, props);
		if (body_props(ctx, e.blob_id, props, &fetch, o) < 0) {
			json_decref(o);
			json_decref(all);
			jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS,
			           "a header property does not parse");
			return 1;
		}
		json_array_append_new(list, o);
	}
	json_decref(all);
	return 0;
}

static const char *const email_props[] = {
    "id",          "blobId",       "threadId",    "mailboxIds",
    "keywords",    "size",         "receivedAt",  "messageId",
    "inReplyTo",   "references",   "sender",      "from",
    "to",          "cc",           "bcc",         "replyTo",
    "subject",     "sentAt",       "hasAttachment", "preview",
    "bodyStructure", "bodyValues", "textBody",    "htmlBody",
    "attachments", "headers",      "header:",     NULL};
static const char *const email_default_props[] = {
    "id",         "blobId",     "threadId",  "mailboxIds",    "keywords",
    "size",       "receivedAt", "messageId", "inReplyTo",     "references",
    "sender",     "from",       "to",        "cc",            "bcc",
    "replyTo",    "subject",    "sentAt",    "hasAttachment", "preview",
    "bodyValues", "textBody",   "htmlBody",  "attachments",   NULL};
static const char *const email_get_args[] = {
    "bodyProperties",      "fetchTextBodyValues", "fetchHTMLBodyValues",
    "fetchAllBodyValues", "maxBodyValueBytes",    NULL};

const struct jmap_type jmap_email_type = {
    .name = "Email",
    .properties = email_props,
    .default_properties = email_default_props,
    .get_args = email_get_args,
    .state = email_state,
    .get = email_get,
    .changes = jmap_email_changes_read,
    .create = jmap_email_create,
    .update = jmap_email_update,
    .destroy = jmap_email_destroy,
};

/* ---- Email/parse (§4.9) ---- */

/* Reads the message a blob id names: a whole blob, or a message/rfc822
 * part of one. Returns 1, 0 not found, -1 not parsable. */
static int parse_blob(struct jmap_ctx *ctx, const char *id, struct buf *out)
{
	if (id[0] != 'b' || strlen(id) < 65)
		return 0;
	char blob[STORE_BLOB_ID_LEN + 1];
	memcpy(blob, id + 1, STORE_BLOB_ID_LEN);
	blob[STORE_BLOB_ID_LEN] = '\0';
	const char *part = id[65] == '_' ? id + 66 : NULL;
	if ((id[65] != '\0' && part == NULL) ||
	    store_jmap_blob_is_owned(ctx->account, blob) <= 0)
		return 0;
	struct buf whole;
	buf_init(&whole);
	if (jmap_blob_read(ctx, blob, &whole) < 0) {
		buf_deinit(&whole);
		return 0;
	}
	int ret = 1;
	if (part == NULL) {
		buf_append(out, whole.data, whole.len);
	} else {
		struct jmap_email_msg msg;
		jmap_email_msg_init(&msg, (const unsigned char *)whole.data,
		                    whole.len, "", ctx->pool);
		const struct mime_part *p = jmap_email_part_find(&msg, part);
		if (p == NULL)
			ret = 0;
		else if ((p->flags & MIME_PART_FLAG_MESSAGE) == 0)
			ret = -1;
		else
			jmap_email_part_content(&msg, p, out);
	}
	buf_deinit(&whole);
	return ret;
}

void jmap_email_parse(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const std[] = {
	    "accountId",           "blobIds",
	    "properties",          "bodyProperties",
	    "fetchTextBodyValues", "fetchHTMLBodyValues",
	    "fetchAllBodyValues",  "maxBodyValueBytes",
	    NULL};
	const char *account_id;
	struct jmap_email_fetch fetch;
	json_t *blob_ids = json_object_get(args, "blobIds");
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0 ||
	    fetch_args(c, args, &fetch) < 0)
		return;
	if (!json_is_array(blob_ids)) {
		jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "blobIds");
		return;
	}
	if (json_array_size(blob_ids) >
	    jmap_call_settings(c)->max_objects_in_get) {
		jmap_error(c, JMAP_ERR_REQUEST_TOO_LARGE, NULL);
		return;
	}
	struct jmap_ctx *ctx = jmap_server_account(c, account_id);
	if (ctx == NULL)
		return;
	json_t *props = json_object_get(args, "properties");
	static const char *const defaults[] = {
	    "messageId", "inReplyTo", "references", "sender",  "from",
	    "to",        "cc",        "bcc",        "replyTo", "subject",
	    "sentAt",    "hasAttachment", "preview", "bodyValues",
	    "textBody",  "htmlBody",  "attachments", NULL};
	json_t *own = NULL;
	if (props == NULL || json_is_null(props)) {
		own = json_array();
		for (const char *const *p = defaults; *p != NULL; p++)
			json_array_append_new(own, json_string(*p));
		props = own;
	}
	json_t *parsed = json_object(), *not_parsable = json_array(),
	       *not_found = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(blob_ids, i, id)
	{
		const char *s = json_string_value(id);
		struct buf data;
		buf_init(&data);
		int ret = s != NULL ? parse_blob(ctx, s, &data) : 0;
		if (ret <= 0) {
			json_array_append(ret == 0 ? not_found : not_parsable,
			                  id);
			buf_deinit(&data);
			continue;
		}
		struct jmap_email_msg msg;
		jmap_email_msg_init(&msg, (const unsigned char *)data.data,
		                    data.len, s, ctx->pool);
		json_t *o = json_object();
		size_t k;
		json_t *p;
		json_array_foreach(props, k, p)
		{
			const char *name = json_string_value(p);
			if (name == NULL)
				continue;
			if (jmap_email_prop_needs_body(name))
				(void)jmap_email_prop(&msg, name, &fetch, o);
			else if (strcmp(name, "blobId") == 0)
				json_object_set(o, name, id);
			else if (strcmp(name, "size") == 0)
				json_object_set_new(o, name,
				                    json_integer((json_int_t)data.len));
			else
				json_object_set_new(o, name, json_null());
		}
		json_object_set_new(parsed, s, o);
		buf_deinit(&data);
	}
	json_decref(own);
	jmap_reply(c, "Email/parse",
	           json_pack("{s:s, s:o, s:o, s:o}", "accountId", account_id,
	                     "parsed", parsed, "notParsable", not_parsable,
	                     "notFound", not_found));
}

/* ---- SearchSnippet/get (§5) ---- */

/* The words of the filter's text conditions. */
static void snippet_terms(json_t *filter, json_t *terms, unsigned depth)
{
	if (!json_is_object(filter) || depth > 10)
		return;
	json_t *conds = json_object_get(filter, "conditions");
	size_t i;
	json_t *sub;
	json_array_foreach(conds, i, sub)
	{
		snippet_terms(sub, terms, depth + 1);
	}
	static const char *const keys[] = {"text", "subject", "body", NULL};
	for (const char *const *k = keys; *k != NULL; k++) {
		json_t *v = json_object_get(filter, *k);
		if (json_is_string(v) && json_string_length(v) > 0)
			json_array_append(terms, v);
	}
}

/* text with every term marked (<mark>, HTML-escaped), or null when no
 * term is in it. */
static json_t *snippet_mark(const char *text, json_t *terms, size_t max)
{
	struct buf out;
	buf_init(&out);
	bool found = false;
	size_t len = strlen(text);
	for (size_t i = 0; i < len && out.len < max;) {
		size_t tl = 0;
		size_t k;
		json_t *t;
		json_array_foreach(terms, k, t)
		{
			size_t n = json_string_length(t);
			if (n > 0 && i + n <= len &&
			    strncasecmp(text + i, json_string_value(t), n) == 0)
				tl = n;
		}
		const char *open = tl > 0 ? "<mark>" : "";
		if (tl > 0)
			found = true;
		buf_append_str(&out, open);
		size_t n = tl > 0 ? tl : 1;
		for (size_t j = i; j < i + n; j++) {
			char ch = text[j];
			if (ch == '<')
				buf_append_str(&out, "&lt;");
			else if (ch == '>')
				buf_append_str(&out, "&gt;");
			else if (ch == '&')
				buf_append_str(&out, "&amp;");
			else
				buf_append_char(&out, ch);
		}
		if (tl > 0)
			buf_append_str(&out, "</mark>");
		i += n;
	}
	json_t *j = found ? json_string(out.data) : json_null();
	buf_deinit(&out);
	return j;
}

void jmap_snippet_get(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const std[] = {"accountId", "filter", "emailIds",
	                                  NULL};
	const char *account_id;
	json_t *ids = json_object_get(args, "emailIds");
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0)
		return;
	if (!json_is_array(ids)) {
		jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "emailIds");
		return;
	}
	if (json_array_size(ids) > jmap_call_settings(c)->max_objects_in_get) {
		jmap_error(c, JMAP_ERR_REQUEST_TOO_LARGE, NULL);
		return;
	}
	struct jmap_ctx *ctx = jmap_server_account(c, account_id);
	if (ctx == NULL)
		return;
	json_t *terms = json_array();
	snippet_terms(json_object_get(args, "filter"), terms, 0);
	json_t *list = json_array(), *not_found = json_array();
	json_t *props = json_pack("[s, s]", "subject", "preview");
	struct jmap_email_fetch fetch = {0};
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		const char *guid;
		struct store_jmap_email e;
		if (!guid_parse(json_string_value(id), &guid) ||
		    store_jmap_email_get(ctx->account, guid, ctx->pool, &e) <=
		        0) {
			json_array_append(not_found, id);
			continue;
		}
		json_t *o = json_object();
		(void)body_props(ctx, e.blob_id, props, &fetch, o);
		const char *subject =
		    json_string_value(json_object_get(o, "subject"));
		const char *preview =
		    json_string_value(json_object_get(o, "preview"));
		json_array_append_new(
		    list, json_pack("{s:O, s:o, s:o}", "emailId", id, "subject",
		                    snippet_mark(subject != NULL ? subject : "",
		                                 terms, 4096),
		                    "preview",
		                    snippet_mark(preview != NULL ? preview : "",
		                                 terms, 4096)));
		json_decref(o);
	}
	json_decref(props);
	json_decref(terms);
	jmap_reply(c, "SearchSnippet/get",
	           json_pack("{s:s, s:o, s:o}", "accountId", account_id, "list",
	                     list, "notFound", not_found));
}
