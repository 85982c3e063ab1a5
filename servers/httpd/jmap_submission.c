/* JMAP EmailSubmission (RFC 8621 §7): sending an Email through the queue
 * as submission on 587 does: the envelope's MAIL FROM must pass the same
 * ownership check (store_sender_allowed: the account's address, +detail,
 * or an alias that delivers to it), recipients are resolved by the store
 * (local accounts, aliases) or queued for relay, the message needs a
 * From field (RFC 6409 §6.3), Bcc is removed (RFC 5322 §3.6.3) and a
 * Received field is added; qmgr is woken as smtpd wakes it. Sending later
 * (§7 futureRelease): the mailFrom parameters HOLDFOR and HOLDUNTIL (RFC
 * 4865) become the queue's release time, up to [smtpd]
 * future_release_max as on port 587 (maxDelayedSend). Submissions are
 * final at once (undoStatus "final": a held message cannot be canceled
 * through JMAP yet) and not kept: /get finds none.
 * onSuccessUpdateEmail and onSuccessDestroyEmail run an implicit Email/set
 * (§7.5). */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap/jmap_email.h"
#include "jmap_server.h"
#include "mime/mime.h"
#include "queue/queue.h"
#include "smtp/smtp_release.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RCPTS_MAX 100

struct submit {
	struct jmap_ctx *ctx;
	const char *sender;
	time_t release;              /* 0: now */
	const char *release_request; /* "for;N" or "until;DATE" */
	struct queue_recipient rcpts[RCPTS_MAX * 4];
	size_t rcpt_count;
};

static json_t *sub_error(const char *type, const char *description)
{
	return jmap_set_error(type, description, NULL);
}

/* Adds one envelope recipient, resolved like RCPT TO on submission. */
static int rcpt_add(struct submit *s, const char *addr, json_t **err_r)
{
	struct store_resolution res;
	addr = pool_strdup(s->ctx->pool, addr); /* the JSON goes first */
	if (!store_address_is_valid(addr) || strchr(addr, '[') != NULL) {
		*err_r = json_pack("{s:s, s:[s]}", "type", "invalidRecipients",
		                   "invalidRecipients", addr);
		return -1;
	}
	int ret = store_address_resolve(s->ctx->httpd->store, addr,
	                                s->ctx->pool, &res);
	if (ret < 0) {
		*err_r = sub_error("serverFail", NULL);
		return -1;
	}
	if (ret == 0) { /* not ours: relay, as submission allows */
		res.count = 1;
		res.targets = pool_alloc(s->ctx->pool, sizeof(*res.targets));
		res.targets[0].address = addr;
	}
	for (size_t i = 0; i < res.count; i++) {
		if (s->rcpt_count == sizeof(s->rcpts) / sizeof(*s->rcpts)) {
			*err_r = sub_error("tooManyRecipients", NULL);
			return -1;
		}
		struct queue_recipient *r = &s->rcpts[s->rcpt_count++];
		memset(r, 0, sizeof(*r));
		r->address = res.targets[i].address;
		r->original = addr;
		r->detail = res.targets[i].detail;
		r->is_local = res.targets[i].is_local;
	}
	return 0;
}

/* The envelope: given, or the identity's address and the To, Cc and Bcc
 * of the message (§7 envelope: null). */
static int envelope(struct submit *s, json_t *env, const char *identity,
                    const struct jmap_email_msg *msg, json_t **err_r)
{
	s->sender = identity;
	json_t *rcpts = NULL, *own = NULL;
	if (env != NULL && !json_is_null(env)) {
		const char *from = json_string_value(
		    json_object_get(json_object_get(env, "mailFrom"), "email"));
		rcpts = json_object_get(env, "rcptTo");
		if (from == NULL || !json_is_array(rcpts)) {
			*err_r = jmap_set_error_prop("invalidProperties",
			                             "mailFrom and rcptTo",
			                             "envelope");
			return -1;
		}
		s->sender = pool_strdup(s->ctx->pool, from);
	} else {
		own = json_array();
		static const char *const props[] = {"to", "cc", "bcc"};
		for (size_t i = 0; i < 3; i++) {
			json_t *o = json_object();
			(void)jmap_email_prop(msg, props[i], NULL, o);
			json_array_extend(own, json_is_array(json_object_get(o, props[i]))
			                           ? json_object_get(o, props[i])
			                           : json_array());
			json_decref(o);
		}
		rcpts = own;
	}
	size_t i;
	json_t *r;
	int ret = 0;
	json_array_foreach(rcpts, i, r)
	{
		const char *addr = json_string_value(json_object_get(r, "email"));
		if (addr == NULL || i >= RCPTS_MAX ||
		    rcpt_add(s, addr, err_r) < 0) {
			if (addr == NULL || i >= RCPTS_MAX)
				*err_r = sub_error(i >= RCPTS_MAX
				                       ? "tooManyRecipients"
				                       : "invalidRecipients",
				                   NULL);
			ret = -1;
			break;
		}
	}
	json_decref(own);
	if (ret == 0 && s->rcpt_count == 0) {
		*err_r = sub_error("noRecipients", NULL);
		ret = -1;
	}
	return ret;
}

/* envelope.mailFrom.parameters: HOLDFOR (seconds) or HOLDUNTIL (an RFC
 * 3339 date-time), RFC 4865 as RFC 8621 §7 names them; other parameters
 * are left to the queue's defaults. Returns 0, or -1 with *err_r. */
static int release_params(struct submit *s, json_t *env, json_t **err_r)
{
	json_t *params = json_object_get(json_object_get(env, "mailFrom"),
	                                 "parameters");
	unsigned max = s->ctx->httpd->set.smtpd.future_release_max;
	time_t now = time(NULL);
	const char *key;
	json_t *v;
	json_object_foreach(json_is_object(params) ? params : NULL, key, v)
	{
		const char *value = json_string_value(v);
		bool is_for = strcasecmp(key, "HOLDFOR") == 0;
		if (!is_for && strcasecmp(key, "HOLDUNTIL") != 0)
			continue;
		unsigned long secs = 0;
		time_t until = 0;
		if (value == NULL ||
		    (is_for ? smtp_release_interval_parse(value, &secs)
		            : smtp_release_datetime_parse(value, &until)) < 0) {
			*err_r = jmap_set_error_prop("invalidProperties",
			                             "bad HOLDFOR or HOLDUNTIL",
			                             "envelope");
			return -1;
		}
		if (!is_for)
			secs = until > now ? (unsigned long)(until - now) : 0;
		if (max == 0 || secs > max) {
			*err_r = jmap_set_error_prop(
			    "invalidProperties",
			    max == 0 ? "sending later is off"
			             : "later than maxDelayedSend",
			    "envelope");
			return -1;
		}
		if (secs == 0)
			continue;
		s->release = now + (time_t)secs;
		char date[SMTP_DATETIME_MAX];
		smtp_release_datetime_format(s->release, date);
		s->release_request =
		    is_for ? pool_printf(s->ctx->pool, "for;%lu", secs)
		           : pool_printf(s->ctx->pool, "until;%s", date);
	}
	return 0;
}

/* The message as queued: a Received field, then the message without its
 * Bcc fields. */
static void queued_bytes(struct submit *s, const struct jmap_email_msg *msg,
                         const char *id, struct buf *out)
{
	struct jmap_ctx *ctx = s->ctx;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(out,
	           "Received: from [%s]\r\n\tby %s (Postroom) with HTTPSA"
	           " (JMAP) id %s;\r\n\t%s\r\n",
	           ctx->user, ctx->httpd->hostname, id, date);
	struct mime_header_iter iter;
	struct mime_header_field f;
	mime_header_iter_init(&iter, msg->data, msg->root);
	size_t end = 0;
	while (mime_header_iter_next(&iter, &f) > 0) {
		end = f.offset + f.size;
		if (f.name_len == 3 && strncasecmp((const char *)f.name, "bcc", 3) == 0)
			continue;
		buf_append(out, msg->data + f.offset, f.size);
	}
	if (end < msg->size)
		buf_append(out, msg->data + end, msg->size - end);
}

static int queue_write(struct submit *s, const struct jmap_email_msg *msg,
                       json_t **err_r)
{
	struct jmap_ctx *ctx = s->ctx;
	char *queue_dir = settings_data_path(&ctx->httpd->set, "queue");
	struct queue_envelope env = {
	    .arrival = time(NULL),
	    .sender = s->sender,
	    .body = "8BITMIME",
	    .auth_user = ctx->user,
	    .client_addr = "jmap",
	    .helo = "jmap",
	    .rcpt_count = s->rcpt_count,
	    .rcpts = s->rcpts,
	    .release = s->release,
	    .release_request = s->release_request,
	};
	struct queue_writer *w;
	const char *error;
	struct buf bytes;
	buf_init(&bytes);
	int ret = -1;
	if (queue_writer_begin(queue_dir, &env, &w, &error) < 0)
		goto out;
	queued_bytes(s, msg, env.id, &bytes);
	if (queue_writer_write(w, bytes.data, bytes.len) < 0 ||
	    queue_writer_commit(&w, &error) < 0) {
		queue_writer_abort(&w);
		goto out;
	}
	log_info(NULL, "jmap queued id=%s from=<%s> user=%s nrcpt=%zu", env.id,
	         log_sanitize(s->sender, 300), log_sanitize(ctx->user, 100),
	         s->rcpt_count);
	queue_notify(queue_dir);
	ret = 0;
out:
	if (ret < 0)
		*err_r = sub_error("serverFail", "the queue refused it");
	buf_deinit(&bytes);
	free(queue_dir);
	return ret;
}

static const char *submit_one(struct jmap_call_ctx *c, struct jmap_ctx *ctx,
                              json_t *obj, time_t *send_at_r, json_t **err_r)
{
	const char *identity = json_string_value(json_object_get(obj, "identityId"));
	const char *email_id = json_string_value(json_object_get(obj, "emailId"));
	if (email_id != NULL)
		email_id = jmap_call_resolve_id(c, email_id);
	if (identity == NULL || strcmp(identity, "i1") != 0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "no such identity", "identityId");
		return NULL;
	}
	struct store_jmap_email e;
	if (email_id == NULL || strlen(email_id) != 33 ||
	    store_jmap_email_get(ctx->account, email_id + 1, ctx->pool, &e) <=
	        0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "no such email", "emailId");
		return NULL;
	}
	struct buf data;
	buf_init(&data);
	const char *id = NULL;
	if (jmap_blob_read(ctx, e.blob_id, &data) < 0) {
		*err_r = sub_error("serverFail", NULL);
		goto out;
	}
	struct jmap_email_msg msg;
	jmap_email_msg_init(&msg, (const unsigned char *)data.data, data.len,
	                    "", ctx->pool);
	struct submit *s = pool_alloc(ctx->pool, sizeof(*s));
	s->ctx = ctx;
	if (envelope(s, json_object_get(obj, "envelope"), ctx->user, &msg,
	             err_r) < 0 ||
	    release_params(s, json_object_get(obj, "envelope"), err_r) < 0)
		goto out;
	int allowed = store_sender_allowed(ctx->httpd->store, ctx->user,
	                                   s->sender);
	if (allowed <= 0) {
		/* §7.5: forbiddenMailFrom, as 553 5.7.1 on port 587 */
		*err_r = sub_error(allowed < 0 ? "serverFail" : "forbiddenMailFrom",
		                   "not owned by the user");
		goto out;
	}
	if (mime_header_get(msg.data, msg.root, "from", ctx->pool) == NULL) {
		*err_r = sub_error("invalidEmail", "no From header field");
		goto out;
	}
	if (queue_write(s, &msg, err_r) < 0)
		goto out;
	id = pool_printf(ctx->pool, "s%llx%x", (unsigned long long)time(NULL),
	                 (unsigned)random());
	*send_at_r = s->release != 0 ? s->release : time(NULL);
out:
	buf_deinit(&data);
	return id;
}

/* §7.5: the implicit Email/set of onSuccessUpdateEmail and
 * onSuccessDestroyEmail ("#creationId" names a submission made here). */
static void on_success(struct jmap_call_ctx *c, json_t *args,
                       json_t *created, const char *account_id)
{
	json_t *upd = json_object_get(args, "onSuccessUpdateEmail");
	json_t *des = json_object_get(args, "onSuccessDestroyEmail");
	if (!json_is_object(upd) && !json_is_array(des))
		return;
	json_t *set_update = json_object(), *set_destroy = json_array();
	const char *key;
	json_t *v;
	json_object_foreach(upd, key, v)
	{
		json_t *sub = key[0] == '#' ? json_object_get(created, key + 1)
		                            : NULL;
		const char *email = json_string_value(
		    json_object_get(sub, "emailId"));
		if (email != NULL)
			json_object_set(set_update, email, v);
	}
	size_t i;
	json_array_foreach(des, i, v)
	{
		const char *k = json_string_value(v);
		json_t *sub = k != NULL && k[0] == '#'
		                  ? json_object_get(created, k + 1)
		                  : NULL;
		json_t *email = json_object_get(sub, "emailId");
		if (email != NULL)
			json_array_append(set_destroy, email);
	}
	json_t *set_args =
	    json_pack("{s:s, s:o, s:o}", "accountId", account_id, "update",
	              set_update, "destroy", set_destroy);
	jmap_std_set(c, set_args, &jmap_email_type, jmap_server_account);
	json_decref(set_args);
}

void jmap_submission_set(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const std[] = {
	    "accountId", "ifInState",            "create",
	    "update",    "destroy",              "onSuccessUpdateEmail",
	    "onSuccessDestroyEmail", NULL};
	const char *account_id;
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0)
		return;
	struct jmap_ctx *ctx = jmap_server_account(c, account_id);
	if (ctx == NULL)
		return;
	json_t *create = json_object_get(args, "create");
	if (create != NULL && !json_is_object(create) && !json_is_null(create)) {
		jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "create");
		return;
	}
	json_t *created = json_object(), *not_created = json_object();
	json_t *internal = json_object(); /* creation id -> emailId */
	const char *cid;
	json_t *obj;
	json_object_foreach(create, cid, obj)
	{
		json_t *err = NULL;
		time_t send_at = 0;
		const char *id = json_is_object(obj)
		                     ? submit_one(c, ctx, obj, &send_at, &err)
		                     : NULL;
		if (id == NULL) {
			json_object_set_new(not_created, cid,
			                    err != NULL ? err
			                                : sub_error("invalidArguments",
			                                            NULL));
			continue;
		}
		struct buf at;
		buf_init(&at);
		jmap_date_utc(send_at, &at);
		json_object_set_new(created, cid,
		                    json_pack("{s:s, s:s, s:s}", "id", id,
		                              "sendAt", at.data, "undoStatus",
		                              "final"));
		buf_deinit(&at);
		json_object_set_new(
		    internal, cid,
		    json_pack("{s:s}", "emailId",
		              jmap_call_resolve_id(
		                  c, json_string_value(
		                         json_object_get(obj, "emailId")))));
		jmap_call_created(c, cid, id);
	}
	json_t *not_destroyed = json_object();
	json_t *destroy = json_object_get(args, "destroy");
	size_t i;
	json_t *v;
	json_array_foreach(destroy, i, v)
	{
		if (json_is_string(v))
			json_object_set_new(not_destroyed, json_string_value(v),
			                    sub_error("notFound", NULL));
	}
	json_t *resp = json_pack("{s:s, s:s, s:s}", "accountId", account_id,
	                         "oldState", "0", "newState", "0");
	json_object_set_new(resp, "created",
	                    json_object_size(created) > 0 ? json_incref(created)
	                                                  : json_null());
	json_object_set_new(resp, "notCreated",
	                    json_object_size(not_created) > 0
	                        ? json_incref(not_created)
	                        : json_null());
	json_object_set_new(resp, "notDestroyed",
	                    json_object_size(not_destroyed) > 0
	                        ? json_incref(not_destroyed)
	                        : json_null());
	jmap_reply(c, "EmailSubmission/set", resp);
	on_success(c, args, internal, account_id);
	json_decref(created);
	json_decref(not_created);
	json_decref(not_destroyed);
	json_decref(internal);
}

void jmap_submission_get(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const std[] = {"accountId", "ids", "properties",
	                                  NULL};
	const char *account_id;
	if (jmap_args_check(c, args, std) < 0 ||
	    jmap_arg_account(c, args, &account_id) < 0 ||
	    jmap_server_account(c, account_id) == NULL)
		return;
	json_t *ids = json_object_get(args, "ids");
	jmap_reply(c, "EmailSubmission/get",
	           json_pack("{s:s, s:s, s:[], s:o}", "accountId", account_id,
	                     "state", "0", "list", "notFound",
	                     json_is_array(ids) ? json_incref(ids)
	                                        : json_array()));
}
