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
 * kept (store_jmap_submission.c, ids "S<n>"): one held for later is
 * "pending" until its release time and can be canceled (undoStatus
 * "canceled": the queue file is removed, lib/queue queue_cancel_held),
 * then "final"; /get, /changes and /query read them. onSuccessUpdateEmail
 * and onSuccessDestroyEmail run an implicit Email/set (§7.5). */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap/jmap_email.h"
#include "jmap_dav.h"
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
	json_t *rcpt_to; /* the envelope's rcptTo as given (owned) */
	char queue_id[QUEUE_ID_MAX];
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
		if (addr != NULL)
			json_array_append_new(
			    s->rcpt_to, json_pack("{s:s, s:n}", "email", addr,
			                          "parameters"));
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
	snprintf(s->queue_id, sizeof(s->queue_id), "%s", env.id);
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

static const char *const submission_props[] = {
    "id",         "identityId", "emailId",        "threadId",
    "envelope",   "sendAt",     "undoStatus",     "deliveryStatus",
    "dsnBlobIds", "mdnBlobIds", NULL};

static struct jmap_ctx *ctx_of(struct jmap_call_ctx *c)
{
	return jmap_call_server_ctx(c);
}

/* The envelope as it was used: mailFrom with its parameters, rcptTo as
 * given. */
static char *envelope_text(const struct submit *s, json_t *env)
{
	json_t *params = json_object_get(json_object_get(env, "mailFrom"),
	                                 "parameters");
	json_t *e = json_pack("{s:{s:s, s:O}, s:O}", "mailFrom", "email",
	                      s->sender, "parameters",
	                      json_is_object(params) ? params : json_null(),
	                      "rcptTo", s->rcpt_to);
	char *text = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	return text;
}

/* Checks, queues and records one submission. Returns its id (from the
 * call's pool), or NULL with *err_r. */
static const char *submit_one(struct jmap_call_ctx *c, struct jmap_ctx *ctx,
                              json_t *obj, json_t **extra_r, json_t **err_r)
{
	const char *identity = json_string_value(json_object_get(obj, "identityId"));
	const char *email_id = json_string_value(json_object_get(obj, "emailId"));
	if (email_id != NULL)
		email_id = jmap_call_resolve_id(c, email_id);
	int64_t identity_num;
	const char *identity_email;
	int found = jmap_identity_find(c, identity, &identity_num,
	                               &identity_email);
	if (found <= 0) {
		*err_r = found < 0 ? sub_error("serverFail", NULL)
		                   : jmap_set_error_prop("invalidProperties",
		                                         "no such identity",
		                                         "identityId");
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
	struct submit *s = pool_alloc(ctx->pool, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->rcpt_to = json_array();
	if (jmap_blob_read(ctx, e.blob_id, &data) < 0) {
		*err_r = sub_error("serverFail", NULL);
		goto out;
	}
	struct jmap_email_msg msg;
	jmap_email_msg_init(&msg, (const unsigned char *)data.data, data.len,
	                    "", ctx->pool);
	json_t *env = json_object_get(obj, "envelope");
	if (envelope(s, env, identity_email, &msg, err_r) < 0 ||
	    release_params(s, env, err_r) < 0)
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
	char *env_text = envelope_text(s, env);
	struct store_jmap_submission rec = {
	    .identity_id = identity_num,
	    .email_guid = e.guid,
	    .thread_id = e.thread_id,
	    .envelope = env_text,
	    .send_at = s->release != 0 ? s->release : time(NULL),
	    .undo_status = s->release != 0 ? "pending" : "final",
	    .queue_id = s->queue_id,
	};
	int64_t num;
	if (store_jmap_submission_add(ctx->account, &rec, &num) < 0) {
		/* queued all the same: the mail goes, the record is lost */
		log_error(NULL, "jmap-submission-record-failed id=%s user=%s",
		          s->queue_id, log_sanitize(ctx->user, 100));
		num = 0;
	}
	free(env_text);
	struct buf at;
	buf_init(&at);
	jmap_date_utc(rec.send_at, &at);
	*extra_r = json_pack("{s:s+, s:s, s:s}", "threadId", "t",
	                     pool_printf(ctx->pool, "%lld",
	                                 (long long)e.thread_id),
	                     "sendAt", at.data, "undoStatus", rec.undo_status);
	buf_deinit(&at);
	id = jmap_dav_id(c, 'S', num);
out:
	json_decref(s->rcpt_to);
	buf_deinit(&data);
	return id;
}

/* ---- the EmailSubmission type ---- */

static const char *submission_state(struct jmap_call_ctx *c, void *account)
{
	(void)account;
	return jmap_state_str(c, STORE_JMAP_SUBMISSION);
}

static int submissions(struct jmap_call_ctx *c,
                       struct store_jmap_submission **list_r, size_t *count_r)
{
	return store_jmap_submission_list(ctx_of(c)->account, time(NULL),
	                                  jmap_call_pool(c), list_r, count_r);
}

static struct store_jmap_submission *
submission_find(struct store_jmap_submission *list, size_t count,
                const char *id)
{
	int64_t n;
	if (id == NULL || jmap_dav_id_parse(id, 'S', &n) < 0)
		return NULL;
	for (size_t i = 0; i < count; i++)
		if (list[i].id == n)
			return &list[i];
	return NULL;
}

static json_t *submission_json(struct jmap_call_ctx *c,
                               const struct store_jmap_submission *s,
                               json_t *props)
{
	struct buf at;
	buf_init(&at);
	jmap_date_utc(s->send_at, &at);
	json_t *env = json_loads(s->envelope, 0, NULL);
	/* deliveryStatus null: per-recipient status is not tracked (§7) */
	json_t *obj = json_pack(
	    "{s:s, s:s, s:s+, s:s, s:o, s:s, s:s, s:n, s:[], s:[]}", "id",
	    jmap_dav_id(c, 'S', s->id), "identityId",
	    jmap_dav_id(c, 'i', s->identity_id), "emailId", "e",
	    s->email_guid, "threadId",
	    jmap_dav_id(c, 't', s->thread_id), "envelope",
	    env != NULL ? env : json_null(), "sendAt", at.data, "undoStatus",
	    s->undo_status, "deliveryStatus", "dsnBlobIds", "mdnBlobIds");
	buf_deinit(&at);
	jmap_dav_filter_props(obj, props);
	return obj;
}

static int submission_get(struct jmap_call_ctx *c, void *account,
                          json_t *args, json_t *ids, json_t *props,
                          json_t *list, json_t *not_found)
{
	(void)account;
	(void)args;
	struct store_jmap_submission *all;
	size_t count;
	if (submissions(c, &all, &count) < 0)
		return -1;
	if (ids == NULL) {
		for (size_t i = 0; i < count; i++)
			json_array_append_new(list,
			                      submission_json(c, &all[i], props));
		return 0;
	}
	size_t k;
	json_t *id;
	json_array_foreach(ids, k, id)
	{
		struct store_jmap_submission *s =
		    submission_find(all, count, json_string_value(id));
		if (s != NULL)
			json_array_append_new(list,
			                      submission_json(c, s, props));
		else
			json_array_append(not_found, id);
	}
	return 0;
}

static int submission_changes(struct jmap_call_ctx *c, void *account,
                              const char *since, unsigned max,
                              struct jmap_changes *ch)
{
	(void)account;
	/* pending submissions whose time came are final: a change */
	struct store_jmap_submission *all;
	size_t count;
	if (submissions(c, &all, &count) < 0)
		return -1;
	return jmap_server_changes(c, STORE_JMAP_SUBMISSION, 'S', since, max,
	                           ch);
}

/* The submissions this /set made or changed: id -> emailId, for
 * onSuccessUpdateEmail and onSuccessDestroyEmail (a process runs one
 * method at a time). */
static json_t *set_done;

static const char *submission_create(struct jmap_call_ctx *c, void *account,
                                     json_t *obj, json_t **extra_r,
                                     json_t **err_r)
{
	(void)account;
	static const char *const allowed[] = {"identityId", "emailId",
	                                      "envelope", NULL};
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (!jmap_str_in(key, allowed)) {
			*err_r = jmap_set_error_prop("invalidProperties", NULL,
			                             key);
			return NULL;
		}
	}
	const char *id = submit_one(c, ctx_of(c), obj, extra_r, err_r);
	if (id != NULL && set_done != NULL)
		json_object_set_new(
		    set_done, id,
		    json_string(jmap_call_resolve_id(
		        c, json_string_value(json_object_get(obj, "emailId")))));
	return id;
}

/* §7.5: only undoStatus "canceled", of a submission that is pending. */
static int submission_update(struct jmap_call_ctx *c, void *account,
                             const char *id, json_t *patch, json_t **err_r)
{
	(void)account;
	struct jmap_ctx *ctx = ctx_of(c);
	struct store_jmap_submission *all;
	size_t count;
	if (submissions(c, &all, &count) < 0) {
		*err_r = sub_error("serverFail", NULL);
		return -1;
	}
	struct store_jmap_submission *s = submission_find(all, count, id);
	if (s == NULL) {
		*err_r = sub_error("notFound", NULL);
		return -1;
	}
	const char *status =
	    json_string_value(json_object_get(patch, "undoStatus"));
	if (json_object_size(patch) != 1 || status == NULL ||
	    strcmp(status, "canceled") != 0) {
		*err_r = jmap_set_error_prop("invalidProperties",
		                             "only undoStatus canceled",
		                             "undoStatus");
		return -1;
	}
	if (strcmp(s->undo_status, "canceled") == 0)
		return 0;
	char *queue_dir = settings_data_path(&ctx->httpd->set, "queue");
	const char *error;
	int ret = strcmp(s->undo_status, "pending") == 0
	              ? queue_cancel_held(queue_dir, s->queue_id, time(NULL),
	                                  &error)
	              : 0;
	free(queue_dir);
	if (ret <= 0) {
		if (ret < 0)
			log_error(NULL, "jmap-cancel-failed id=%s error=%s",
			          s->queue_id, error);
		*err_r = sub_error(ret < 0 ? "serverFail" : "cannotUnsend",
		                   ret < 0 ? NULL : "it is sent or being sent");
		return -1;
	}
	log_info(NULL, "jmap canceled id=%s user=%s", s->queue_id,
	         log_sanitize(ctx->user, 100));
	if (store_jmap_submission_set_status(ctx->account, s->id, "canceled") <
	    0) {
		*err_r = sub_error("serverFail", NULL);
		return -1;
	}
	if (set_done != NULL)
		json_object_set_new(set_done, id,
		                    json_sprintf("e%s", s->email_guid));
	return 0;
}

static int submission_destroy(struct jmap_call_ctx *c, void *account,
                              const char *id, json_t **err_r)
{
	(void)account;
	int64_t n;
	int ret = jmap_dav_id_parse(id, 'S', &n) < 0
	              ? 0
	              : store_jmap_submission_destroy(ctx_of(c)->account, n);
	if (ret <= 0) {
		*err_r = sub_error(ret < 0 ? "serverFail" : "notFound", NULL);
		return -1;
	}
	return 0;
}

static const char *const set_args[] = {"onSuccessUpdateEmail",
                                       "onSuccessDestroyEmail", NULL};

static const struct jmap_type submission_type = {
    .name = "EmailSubmission",
    .properties = submission_props,
    .set_args = set_args,
    .state = submission_state,
    .get = submission_get,
    .changes = submission_changes,
    .create = submission_create,
    .update = submission_update,
    .destroy = submission_destroy,
};

/* §7.5: the implicit Email/set of onSuccessUpdateEmail and
 * onSuccessDestroyEmail; keys are submission ids or "#creation ids" of
 * submissions this /set made or changed. */
static void on_success(struct jmap_call_ctx *c, json_t *args,
                       const char *account_id)
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
		const char *email = json_string_value(json_object_get(
		    set_done, jmap_call_resolve_id(c, key) != NULL
		                  ? jmap_call_resolve_id(c, key)
		                  : ""));
		if (email != NULL)
			json_object_set(set_update, email, v);
	}
	size_t i;
	json_array_foreach(des, i, v)
	{
		const char *k = json_string_value(v);
		const char *id = k != NULL ? jmap_call_resolve_id(c, k) : NULL;
		json_t *email = json_object_get(set_done, id != NULL ? id : "");
		if (email != NULL)
			json_array_append(set_destroy, email);
	}
	json_t *email_args =
	    json_pack("{s:s, s:o, s:o}", "accountId", account_id, "update",
	              set_update, "destroy", set_destroy);
	jmap_std_set(c, email_args, &jmap_email_type, jmap_server_account);
	json_decref(email_args);
}

void jmap_submission_set(struct jmap_call_ctx *c, json_t *args)
{
	const char *account_id =
	    json_string_value(json_object_get(args, "accountId"));
	set_done = json_object();
	jmap_std_set(c, args, &submission_type, jmap_server_account);
	/* after an error response nothing was done: set_done stays empty */
	if (account_id != NULL && json_object_size(set_done) > 0)
		on_success(c, args, account_id);
	json_decref(set_done);
	set_done = NULL;
}

void jmap_submission_get(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &submission_type, jmap_server_account);
}

void jmap_submission_changes(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &submission_type, jmap_server_account);
}

/* ---- /query (§7.3) ---- */

static bool id_listed(json_t *list, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
			return true;
	}
	return false;
}

/* FilterCondition: identityIds, emailIds, threadIds, undoStatus, before,
 * after (sendAt). Returns 1 match, 0 not, -1 unsupported. */
static int filter_match(struct jmap_call_ctx *c, json_t *f,
                        const struct store_jmap_submission *s)
{
	const char *op = json_string_value(json_object_get(f, "operator"));
	if (op != NULL) {
		json_t *conds = json_object_get(f, "conditions");
		size_t i, n = 0;
		json_t *sub;
		json_array_foreach(conds, i, sub)
		{
			int m = filter_match(c, sub, s);
			if (m < 0)
				return -1;
			n += (size_t)m;
		}
		size_t total = json_array_size(conds);
		return strcmp(op, "AND") == 0  ? n == total
		       : strcmp(op, "OR") == 0 ? n > 0
		       : strcmp(op, "NOT") == 0 ? n == 0
		                                : -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach(f, key, v)
	{
		time_t t;
		const char *str = json_string_value(v);
		bool ok;
		if (strcmp(key, "identityIds") == 0)
			ok = id_listed(v, jmap_dav_id(c, 'i', s->identity_id));
		else if (strcmp(key, "emailIds") == 0)
			ok = id_listed(v, pool_printf(jmap_call_pool(c), "e%s",
			                              s->email_guid));
		else if (strcmp(key, "threadIds") == 0)
			ok = id_listed(v, jmap_dav_id(c, 't', s->thread_id));
		else if (strcmp(key, "undoStatus") == 0)
			ok = str != NULL && strcmp(str, s->undo_status) == 0;
		else if ((strcmp(key, "before") == 0 ||
		          strcmp(key, "after") == 0) &&
		         str != NULL && jmap_date_parse_rfc3339(str, &t) == 0)
			ok = key[0] == 'b' ? s->send_at < t : s->send_at >= t;
		else
			return -1;
		if (!ok)
			return 0;
	}
	return 1;
}

static int by_sent_at(const void *a, const void *b)
{
	const struct store_jmap_submission *x = a, *y = b;
	if (x->send_at != y->send_at)
		return x->send_at < y->send_at ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_email(const void *a, const void *b)
{
	const struct store_jmap_submission *x = a, *y = b;
	int d = strcmp(x->email_guid, y->email_guid);
	return d != 0 ? d : by_sent_at(a, b);
}

static int by_thread(const void *a, const void *b)
{
	const struct store_jmap_submission *x = a, *y = b;
	if (x->thread_id != y->thread_id)
		return x->thread_id < y->thread_id ? -1 : 1;
	return by_sent_at(a, b);
}

void jmap_submission_query(struct jmap_call_ctx *c, json_t *args)
{
	struct jmap_query q;
	if (jmap_query_parse(c, args, NULL, &q) < 0 ||
	    jmap_server_account(c, q.account_id) == NULL)
		return;
	json_t *comp = json_array_get(q.sort, 0);
	const char *prop = json_string_value(json_object_get(comp, "property"));
	bool is_desc = json_is_false(json_object_get(comp, "isAscending"));
	int (*cmp)(const void *, const void *) = by_sent_at;
	if (prop != NULL && strcmp(prop, "emailId") == 0)
		cmp = by_email;
	else if (prop != NULL && strcmp(prop, "threadId") == 0)
		cmp = by_thread;
	else if (comp != NULL &&
	         (prop == NULL || strcmp(prop, "sentAt") != 0)) {
		jmap_error(c, JMAP_ERR_UNSUPPORTED_SORT, NULL);
		return;
	}
	struct store_jmap_submission *all;
	size_t count;
	if (submissions(c, &all, &count) < 0) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	qsort(all, count, sizeof(*all), cmp);
	json_t *ids = json_array();
	for (size_t i = 0; i < count; i++) {
		size_t k = is_desc ? count - 1 - i : i;
		int m = q.filter != NULL ? filter_match(c, q.filter, &all[k]) : 1;
		if (m < 0) {
			json_decref(ids);
			jmap_error(c, JMAP_ERR_UNSUPPORTED_FILTER, NULL);
			return;
		}
		if (m > 0)
			json_array_append_new(
			    ids, json_string(jmap_dav_id(c, 'S', all[k].id)));
	}
	const char *state = jmap_state_str(c, STORE_JMAP_SUBMISSION);
	jmap_query_reply(c, &q, ids, state != NULL ? state : "0", false);
}
