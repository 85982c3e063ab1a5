/* JMAP's routes (RFC 8620): the session resource at /.well-known/jmap and
 * /jmap/session (§2), the API at /jmap/api (§3: a request's problems are
 * answered 400 application/problem+json, §3.6.1), blob upload to the
 * content-addressed store (§6.1: a large body arrives in lib/http's
 * temporary file and is copied into a blob in pieces, never held whole)
 * and download with Range (§6.2). Every route needs credentials; the
 * accounts are the user's own and those of owners who share calendars or
 * address books with it (jmap_share.c; only their DAV types' methods run
 * there, and they have no blobs); another accountId is accountNotFound,
 * another account's blob notFound. */
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/conn.h"
#include "core/digest.h"
#include "core/xmalloc.h"
#include "http/http_query.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"
#include "jmap/jmap_email.h"
#include "jmap_dav.h"
#include "jmap_server.h"
#include "jmap_share.h"
#include "smtp/smtp_release.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct jmap_settings jmap_server_settings = {
    .max_size_upload = 50 * 1024 * 1024,
    .max_concurrent_upload = 4,
    .max_size_request = 10 * 1024 * 1024,
    .max_concurrent_requests = 4,
    .max_calls_in_request = 64,
    .max_objects_in_get = 1000,
    .max_objects_in_set = 1000,
    .max_ref_values = 100000,
};

void jmap_server_configure(const struct postroom_settings *set)
{
	const struct jmap_section_settings *j = &set->jmap;
	jmap_server_settings.max_size_upload = j->max_size_upload;
	jmap_server_settings.max_concurrent_upload = j->max_concurrent_upload;
	jmap_server_settings.max_size_request = j->max_size_request;
	jmap_server_settings.max_concurrent_requests =
	    j->max_concurrent_requests;
	jmap_server_settings.max_calls_in_request = j->max_calls_in_request;
	jmap_server_settings.max_objects_in_get = j->max_objects_in_get;
	jmap_server_settings.max_objects_in_set = j->max_objects_in_set;
}

static const char *const capabilities[] = {
    JMAP_CAP_CORE,     JMAP_CAP_MAIL,      JMAP_CAP_SUBMISSION,
    JMAP_CAP_WEBSOCKET, JMAP_CAP_CONTACTS, JMAP_CAP_CALENDARS,
    JMAP_CAP_TASKS,    JMAP_CAP_JOURNAL,   JMAP_CAP_VACATION,
    JMAP_CAP_SIEVE,    NULL};

void jmap_server_send_json(struct http_request *req, unsigned status,
                           json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	struct http_response *resp = http_response_new(req, status);
	http_response_set_type(resp, status == 400
	                                 ? "application/problem+json"
	                                 : "application/json");
	http_response_add_header(resp, "Cache-Control", "no-store");
	http_response_send_data(resp, text, strlen(text));
	free(text);
	json_decref(v);
}

int jmap_server_account_id(struct httpd *httpd, const char *user,
                           struct pool *pool, char *buf, size_t size)
{
	struct store_account_info info;
	if (store_account_lookup(httpd->store, user, pool, &info) <= 0)
		return -1;
	snprintf(buf, size, "a%lld", (long long)info.id);
	return 0;
}

/* The shared account account_id of the user, its store opened. Returns
 * 1 with *a_r and *store_r, 0 if the user has no such account, -1. */
static int shared_account(struct jmap_ctx *ctx, const char *account_id,
                          const struct jmap_share_account **a_r,
                          struct store_account **store_r)
{
	if (!ctx->has_shares) {
		if (jmap_share_accounts(ctx->httpd, ctx->user, ctx->pool,
		                        &ctx->shares, &ctx->share_count) < 0)
			return -1;
		ctx->share_stores =
		    pool_alloc(ctx->pool, (ctx->share_count + 1) *
		                              sizeof(*ctx->share_stores));
		memset(ctx->share_stores, 0,
		       (ctx->share_count + 1) * sizeof(*ctx->share_stores));
		ctx->has_shares = true;
	}
	for (size_t i = 0; i < ctx->share_count; i++) {
		if (strcmp(ctx->shares[i].account_id, account_id) != 0)
			continue;
		const char *error;
		if (ctx->share_stores[i] == NULL &&
		    store_account_open(ctx->httpd->store, ctx->shares[i].owner,
		                       &ctx->share_stores[i], &error) < 0) {
			log_error(NULL,
			          "jmap share-open-failed user=%s owner=%s"
			          " reason=\"%s\"",
			          ctx->user, ctx->shares[i].owner, error);
			return -1;
		}
		*a_r = &ctx->shares[i];
		*store_r = ctx->share_stores[i];
		return 1;
	}
	return 0;
}

void *jmap_server_account(struct jmap_call_ctx *c, const char *account_id)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	if (strcmp(account_id, ctx->account_id) == 0) {
		ctx->account = ctx->own;
		ctx->shared = NULL;
		return ctx;
	}
	const struct jmap_share_account *a = NULL;
	struct store_account *store = NULL;
	int ret = shared_account(ctx, account_id, &a, &store);
	if (ret <= 0) {
		jmap_error(c,
		           ret < 0 ? JMAP_ERR_SERVER_FAIL
		                   : JMAP_ERR_ACCOUNT_NOT_FOUND,
		           NULL);
		return NULL;
	}
	/* RFC 8620 §3.6.2: the account exists but has not this data type
	   (a shared account has only the shared calendars or books) */
	if (!jmap_share_allows(a, jmap_call_capability(c))) {
		jmap_error(c, JMAP_ERR_ACCOUNT_NOT_SUPPORTED, NULL);
		return NULL;
	}
	ctx->account = store;
	ctx->shared = a;
	return ctx;
}

const char *jmap_state_str(struct jmap_call_ctx *c, enum store_jmap_type type)
{
	struct jmap_ctx *ctx = jmap_call_server_ctx(c);
	struct store_jmap_states st;
	if (store_jmap_states(ctx->account, &st) < 0)
		return NULL;
	uint64_t v = type == STORE_JMAP_EMAIL     ? st.email
	             : type == STORE_JMAP_MAILBOX ? st.mailbox
	                                          : st.thread;
	if (type > STORE_JMAP_THREAD &&
	    store_jmap_state(ctx->account, type, &v) < 0)
		return NULL;
	return pool_printf(jmap_call_pool(c), "%llu", (unsigned long long)v);
}

/* ---- the session resource (§2) ---- */

/* "http[s]://host[:port]" of this request. */
static const char *request_origin(struct http_request *req,
                                  struct httpd *httpd)
{
	const struct http_request_head *head = http_request_head(req);
	bool tls = conn_is_tls(http_server_conn_get_conn(http_request_conn(req)));
	return pool_printf(http_request_pool(req), "%s://%s",
	                   tls ? "https" : "http",
	                   head->authority[0] != '\0' ? head->authority
	                                              : httpd->hostname);
}

/* RFC 8620 §2: one account per owner who shares with the user, keyed by
 * the owner's own accountId; primaryAccounts stay the user's. */
static void session_add_shares(json_t *session,
                               const struct jmap_share_account *a, size_t count)
{
	json_t *accounts = json_object_get(session, "accounts");
	for (size_t i = 0; i < count; i++) {
		json_t *caps = json_object();
		jmap_dav_account_caps(caps, a[i].has_book, a[i].has_calendar,
		                      false);
		json_object_set_new(accounts, a[i].account_id,
		                    json_pack("{s:s, s:b, s:b, s:o}", "name",
		                              a[i].owner, "isPersonal", 0,
		                              "isReadOnly", !a[i].is_writable,
		                              "accountCapabilities", caps));
	}
}

static json_t *session_json(struct http_request *req, struct httpd *httpd,
                            const char *user, const char *account_id)
{
	const struct jmap_settings *s = &jmap_server_settings;
	const char *origin = request_origin(req, httpd);
	json_t *core = json_pack(
	    "{s:I, s:i, s:I, s:i, s:i, s:i, s:i, s:[s, s, s]}", "maxSizeUpload",
	    (json_int_t)s->max_size_upload, "maxConcurrentUpload",
	    s->max_concurrent_upload, "maxSizeRequest",
	    (json_int_t)s->max_size_request, "maxConcurrentRequests",
	    s->max_concurrent_requests, "maxCallsInRequest",
	    s->max_calls_in_request, "maxObjectsInGet", s->max_objects_in_get,
	    "maxObjectsInSet", s->max_objects_in_set, "collationAlgorithms",
	    "i;ascii-numeric", "i;ascii-casemap", "i;unicode-casemap");
	json_t *mail_acct = json_pack(
	    "{s:n, s:n, s:i, s:I, s:[s, s], s:b}", "maxMailboxesPerEmail",
	    "maxMailboxDepth", "maxSizeMailboxName", 1024,
	    "maxSizeAttachmentsPerEmail", (json_int_t)s->max_size_upload,
	    "emailQuerySortOptions", "receivedAt", "size",
	    "mayCreateTopLevelMailbox", 1);
	/* FUTURERELEASE as on port 587 (RFC 8621 §1.3.4: the EHLO keyword's
	   arguments, RFC 4865 §3) */
	unsigned max_delay = httpd->set.smtpd.future_release_max;
	json_t *ext = json_object();
	if (max_delay > 0) {
		char date[SMTP_DATETIME_MAX];
		smtp_release_datetime_format(time(NULL) + max_delay, date);
		/* the date moves with time: keep it out of the session state
		   by rounding to the day */
		date[10] = '\0';
		json_object_set_new(
		    ext, "FUTURERELEASE",
		    json_pack("[s, s+]", pool_printf(http_request_pool(req), "%u",
		                                    max_delay),
		              date, "T00:00:00Z"));
	}
	json_t *sub_acct = json_pack("{s:i, s:o}", "maxDelayedSend",
	                             (int)max_delay, "submissionExtensions",
	                             ext);
	json_t *session = json_pack(
	    "{s:{s:o, s:{}, s:{}}, s:{s:{s:s, s:b, s:b, s:{s:o, s:o}}},"
	    " s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s}",
	    "capabilities", JMAP_CAP_CORE, core, JMAP_CAP_MAIL,
	    JMAP_CAP_SUBMISSION, "accounts", account_id, "name", user,
	    "isPersonal", 1, "isReadOnly", 0, "accountCapabilities",
	    JMAP_CAP_MAIL, mail_acct, JMAP_CAP_SUBMISSION, sub_acct,
	    "primaryAccounts", JMAP_CAP_MAIL, account_id, JMAP_CAP_SUBMISSION,
	    account_id, "username", user, "apiUrl",
	    pool_printf(http_request_pool(req), "%s/jmap/api/", origin),
	    "downloadUrl",
	    pool_printf(http_request_pool(req),
	                "%s/jmap/download/{accountId}/{blobId}/{name}"
	                "?accept={type}",
	                origin),
	    "uploadUrl",
	    pool_printf(http_request_pool(req), "%s/jmap/upload/{accountId}/",
	                origin),
	    "eventSourceUrl",
	    pool_printf(http_request_pool(req),
	                "%s/jmap/eventsource/?types={types}"
	                "&closeafter={closeafter}&ping={ping}",
	                origin));
	/* contacts, calendars, tasks and the journal (jmap_dav.c) */
	jmap_dav_session(session, account_id);
	/* VacationResponse (RFC 8621 §8) and Sieve (RFC 9661) */
	json_t *caps = json_object_get(session, "capabilities");
	json_t *acct = json_object_get(
	    json_object_get(json_object_get(session, "accounts"), account_id),
	    "accountCapabilities");
	json_t *primary = json_object_get(session, "primaryAccounts");
	json_object_set_new(caps, JMAP_CAP_VACATION, json_object());
	json_object_set_new(caps, JMAP_CAP_SIEVE, json_object());
	json_object_set_new(acct, JMAP_CAP_VACATION, json_object());
	json_object_set_new(acct, JMAP_CAP_SIEVE, jmap_sieve_capability(httpd));
	json_object_set_new(primary, JMAP_CAP_VACATION, json_string(account_id));
	json_object_set_new(primary, JMAP_CAP_SIEVE, json_string(account_id));
	/* RFC 8887 §4.1: the WebSocket URL of the same origin */
	bool tls = strncmp(origin, "https:", 6) == 0;
	json_object_set_new(
	    json_object_get(session, "capabilities"), JMAP_CAP_WEBSOCKET,
	    json_pack("{s:s, s:b}", "url",
	              pool_printf(http_request_pool(req), "%s%s/jmap/ws/",
	                          tls ? "wss" : "ws",
	                          origin + (tls ? 5 : 4)),
	              "supportsPush", 1));
	/* the calendars and address books others share with the user */
	struct jmap_share_account *shares;
	size_t share_count;
	if (jmap_share_accounts(httpd, user, http_request_pool(req), &shares,
	                        &share_count) == 0)
		session_add_shares(session, shares, share_count);
	else
		log_error(NULL, "jmap share-list-failed user=%s", user);
	/* the session changes only with the account and its shares: a
	   digest of it */
	char *text = json_dumps(session, JSON_COMPACT | JSON_SORT_KEYS);
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_hex(text, strlen(text), hex);
	free(text);
	hex[16] = '\0';
	json_object_set_new(session, "state", json_string(hex));
	return session;
}

static const char *session_state(struct http_request *req, struct httpd *httpd,
                                 const char *user, const char *account_id)
{
	json_t *s = session_json(req, httpd, user, account_id);
	const char *state = pool_strdup(
	    http_request_pool(req), json_string_value(json_object_get(s, "state")));
	json_decref(s);
	return state;
}

void jmap_session_handler(struct http_request *req, void *context)
{
	struct httpd *httpd = context;
	const char *user = http_request_user(req);
	char account_id[32];
	if (jmap_server_account_id(httpd, user, http_request_pool(req),
	                           account_id, sizeof(account_id)) < 0) {
		struct http_response *resp = http_response_new(req, 503);
		http_response_send_text(resp, "account unavailable\n");
		return;
	}
	jmap_server_send_json(req, 200,
	                      session_json(req, httpd, user, account_id));
}

/* ---- the API (§3) ---- */

static void core_echo(struct jmap_call_ctx *c, json_t *args)
{
	jmap_reply(c, "Core/echo", json_incref(args));
}

static void mailbox_get(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &jmap_mailbox_type, jmap_server_account);
}
static void mailbox_changes(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &jmap_mailbox_type, jmap_server_account);
}
static void mailbox_set(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_set(c, args, &jmap_mailbox_type, jmap_server_account);
}
static void thread_get(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &jmap_thread_type, jmap_server_account);
}
static void thread_changes(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &jmap_thread_type, jmap_server_account);
}
static void email_get(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_get(c, args, &jmap_email_type, jmap_server_account);
}
static void email_changes(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_changes(c, args, &jmap_email_type, jmap_server_account);
}
static void email_set(struct jmap_call_ctx *c, json_t *args)
{
	jmap_std_set(c, args, &jmap_email_type, jmap_server_account);
}

static const struct jmap_method methods[] = {
    {"Core/echo", JMAP_CAP_CORE, core_echo},
    {"Mailbox/get", JMAP_CAP_MAIL, mailbox_get},
    {"Mailbox/changes", JMAP_CAP_MAIL, mailbox_changes},
    {"Mailbox/query", JMAP_CAP_MAIL, jmap_mailbox_query},
    {"Mailbox/queryChanges", JMAP_CAP_MAIL, jmap_mailbox_query_changes},
    {"Mailbox/set", JMAP_CAP_MAIL, mailbox_set},
    {"Thread/get", JMAP_CAP_MAIL, thread_get},
    {"Thread/changes", JMAP_CAP_MAIL, thread_changes},
    {"Email/get", JMAP_CAP_MAIL, email_get},
    {"Email/changes", JMAP_CAP_MAIL, email_changes},
    {"Email/query", JMAP_CAP_MAIL, jmap_email_query},
    {"Email/queryChanges", JMAP_CAP_MAIL, jmap_email_query_changes},
    {"Email/set", JMAP_CAP_MAIL, email_set},
    {"Email/import", JMAP_CAP_MAIL, jmap_email_import},
    {"Email/copy", JMAP_CAP_MAIL, jmap_server_copy},
    {"Email/parse", JMAP_CAP_MAIL, jmap_email_parse},
    {"SearchSnippet/get", JMAP_CAP_MAIL, jmap_snippet_get},
    {"Identity/get", JMAP_CAP_SUBMISSION, jmap_identity_get},
    {"Identity/changes", JMAP_CAP_SUBMISSION, jmap_identity_changes},
    {"Identity/set", JMAP_CAP_SUBMISSION, jmap_identity_set},
    {"EmailSubmission/get", JMAP_CAP_SUBMISSION, jmap_submission_get},
    {"EmailSubmission/changes", JMAP_CAP_SUBMISSION,
     jmap_submission_changes},
    {"EmailSubmission/query", JMAP_CAP_SUBMISSION, jmap_submission_query},
    {"EmailSubmission/set", JMAP_CAP_SUBMISSION, jmap_submission_set},
};

/* methods[] and the DAV data types' (jmap_contacts.c, jmap_calendars.c)
 * in one table, made once. */
static const struct jmap_method *all_methods(size_t *count_r)
{
	static struct jmap_method *all;
	static size_t count;
	if (all == NULL) {
		size_t n = sizeof(methods) / sizeof(*methods);
		count = n + jmap_contacts_method_count +
		        jmap_calendars_method_count + jmap_sieve_method_count;
		all = xmalloc(count * sizeof(*all));
		memcpy(all, methods, n * sizeof(*all));
		memcpy(all + n, jmap_contacts_methods,
		       jmap_contacts_method_count * sizeof(*all));
		memcpy(all + n + jmap_contacts_method_count,
		       jmap_calendars_methods,
		       jmap_calendars_method_count * sizeof(*all));
		memcpy(all + n + jmap_contacts_method_count +
		           jmap_calendars_method_count,
		       jmap_sieve_methods,
		       jmap_sieve_method_count * sizeof(*all));
	}
	*count_r = count;
	return all;
}

int jmap_server_body_read(struct http_request *req, struct buf *out)
{
	const struct http_request_body *body = http_request_body(req);
	if (body->fd < 0) {
		buf_append(out, body->data, body->size_in_memory);
		return 0;
	}
	buf_reserve(out, (size_t)body->size);
	uint64_t off = 0;
	while (off < body->size) {
		ssize_t n = pread(body->fd, out->data + out->len,
		                  (size_t)(body->size - off), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (uint64_t)n;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
	return 0;
}

static void api_problem(struct http_request *req,
                        const struct jmap_problem *p)
{
	jmap_server_send_json(req, p->status, jmap_problem_json(p));
}

json_t *jmap_api_execute(struct httpd *httpd, const char *user,
                         const char *session_state, const unsigned char *data,
                         size_t size, struct pool *pool,
                         struct jmap_problem *p)
{
	struct jmap_ctx ctx = {
	    .httpd = httpd,
	    .pool = pool,
	    .user = user,
	};
	const char *error;
	memset(p, 0, sizeof(*p));
	if (jmap_server_account_id(httpd, user, pool, ctx.account_id,
	                           sizeof(ctx.account_id)) < 0 ||
	    store_account_open(httpd->store, user, &ctx.own, &error) < 0) {
		p->status = 503;
		return NULL;
	}
	ctx.account = ctx.own;
	struct jmap_request jreq;
	json_t *resp = NULL;
	if (jmap_request_parse(data, size, &jmap_server_settings, pool, &jreq,
	                       p) == 0) {
		size_t count;
		const struct jmap_method *all = all_methods(&count);
		resp = jmap_exec_run(&jreq, all, count, capabilities,
		                     &jmap_server_settings, &ctx, pool, p);
		if (resp != NULL)
			json_object_set_new(resp, "sessionState",
			                    json_string(session_state));
		jmap_request_deinit(&jreq);
	}
	for (size_t i = 0; i < ctx.share_count; i++)
		store_account_close(&ctx.share_stores[i]);
	store_account_close(&ctx.own);
	return resp;
}

const char *jmap_api_session_state(struct http_request *req,
                                   struct httpd *httpd, const char *user)
{
	char account_id[32];
	if (jmap_server_account_id(httpd, user, http_request_pool(req),
	                           account_id, sizeof(account_id)) < 0)
		return "";
	return session_state(req, httpd, user, account_id);
}

static void api_body_done(struct http_request *req, void *context)
{
	struct httpd *httpd = context;
	struct pool *pool = http_request_pool(req);
	const char *user = http_request_user(req);
	struct buf body;
	buf_init(&body);
	struct jmap_problem p;
	json_t *resp = NULL;
	if (jmap_server_body_read(req, &body) == 0)
		resp = jmap_api_execute(
		    httpd, user, jmap_api_session_state(req, httpd, user),
		    (const unsigned char *)body.data, body.len, pool, &p);
	else
		p.status = 503;
	buf_deinit(&body);
	if (resp != NULL) {
		jmap_server_send_json(req, 200, resp);
	} else if (p.status == 503) {
		struct http_response *r = http_response_new(req, 503);
		http_response_add_header(r, "Retry-After", "5");
		http_response_send_text(r, "account unavailable\n");
	} else {
		api_problem(req, &p);
	}
}

void jmap_api_handler(struct http_request *req, void *context)
{
	/* §3.1: the body is application/json; a form post from another
	   site (text/plain, urlencoded) is not read at all (CSRF) */
	const char *type = http_request_header(req, "Content-Type");
	if (type == NULL || strncasecmp(type, "application/json", 16) != 0) {
		struct jmap_problem p = {
		    .status = 400,
		    .type = JMAP_PROBLEM_NOT_REQUEST,
		    .detail = "Content-Type must be application/json",
		};
		api_problem(req, &p);
		return;
	}
	http_request_read_body(req, api_body_done, context);
}

/* ---- blobs (§6) ---- */

/* "/jmap/upload/<account>/" or "/jmap/download/<account>/..." : the
 * path segment after prefix into seg (NUL-terminated). Returns the rest
 * after it, or NULL. */
static const char *path_segment(const char *path, const char *prefix,
                                char *seg, size_t size)
{
	size_t plen = strlen(prefix);
	if (strncmp(path, prefix, plen) != 0)
		return NULL;
	const char *s = path + plen;
	size_t len = strcspn(s, "/");
	if (len == 0 || len >= size)
		return NULL;
	memcpy(seg, s, len);
	seg[len] = '\0';
	return s + len;
}

static void send_status(struct http_request *req, unsigned status,
                        const char *text)
{
	struct http_response *resp = http_response_new(req, status);
	http_response_send_text(resp, "%s\n", text);
}

/* Copies the body into a new blob. Returns 0 with the id, or -1. */
static int upload_store(struct http_request *req, struct httpd *httpd,
                        char blob_id[STORE_BLOB_ID_LEN + 1], uint64_t *size_r)
{
	const struct http_request_body *body = http_request_body(req);
	struct store_blob_writer *w;
	const char *error;
	if (store_blob_begin(httpd->store, &w, &error) < 0)
		return -1;
	if (body->fd < 0) {
		if (store_blob_write(w, body->data, body->size_in_memory) < 0)
			goto fail;
	} else {
		char chunk[65536];
		uint64_t off = 0;
		while (off < body->size) {
			ssize_t n =
			    pread(body->fd, chunk, sizeof(chunk), (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || store_blob_write(w, chunk, (size_t)n) < 0)
				goto fail;
			off += (uint64_t)n;
		}
	}
	return store_blob_finish(&w, blob_id, size_r, &error);
fail:
	store_blob_abort(&w);
	return -1;
}

static void upload_body_done(struct http_request *req, void *context)
{
	struct httpd *httpd = context;
	const char *user = http_request_user(req);
	const char *type = http_request_header(req, "Content-Type");
	if (type == NULL)
		type = "application/octet-stream";
	char blob_id[STORE_BLOB_ID_LEN + 1];
	uint64_t size;
	struct store_account *account = NULL;
	const char *error;
	if (upload_store(req, httpd, blob_id, &size) < 0 ||
	    store_account_open(httpd->store, user, &account, &error) < 0 ||
	    store_jmap_upload_add(account, blob_id, type, size) < 0) {
		store_account_close(&account);
		send_status(req, 500, "upload failed");
		return;
	}
	store_account_close(&account);
	char account_id[32];
	(void)jmap_server_account_id(httpd, user, http_request_pool(req),
	                             account_id, sizeof(account_id));
	jmap_server_send_json(req, 201,
	                      json_pack("{s:s, s:s+, s:s, s:I}", "accountId",
	                                account_id, "blobId", "b", blob_id,
	                                "type", type, "size", (json_int_t)size));
}

void jmap_upload_handler(struct http_request *req, void *context)
{
	struct httpd *httpd = context;
	char account[64], account_id[32];
	const char *rest = path_segment(http_request_path(req),
	                                "/jmap/upload/", account,
	                                sizeof(account));
	if (rest == NULL || (rest[0] != '\0' && strcmp(rest, "/") != 0) ||
	    jmap_server_account_id(httpd, http_request_user(req),
	                           http_request_pool(req), account_id,
	                           sizeof(account_id)) < 0 ||
	    strcmp(account, account_id) != 0) {
		send_status(req, 404, "no such account");
		return;
	}
	http_request_read_body(req, upload_body_done, context);
}

/* Parses "b<64 hex>" or "b<64 hex>_<part>". */
static int blob_id_parse(const char *id, char blob_r[STORE_BLOB_ID_LEN + 1],
                         const char **part_r)
{
	if (id[0] != 'b' || strlen(id) < 1 + STORE_BLOB_ID_LEN)
		return -1;
	for (size_t i = 1; i <= STORE_BLOB_ID_LEN; i++) {
		char ch = id[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return -1;
	}
	memcpy(blob_r, id + 1, STORE_BLOB_ID_LEN);
	blob_r[STORE_BLOB_ID_LEN] = '\0';
	const char *rest = id + 1 + STORE_BLOB_ID_LEN;
	if (rest[0] == '\0') {
		*part_r = NULL;
		return 0;
	}
	if (rest[0] != '_' || rest[1] == '\0')
		return -1;
	*part_r = rest + 1;
	return 0;
}

/* A part of a message: decoded into memory (parts are bounded by the
 * message size limit). */
static void download_part(struct http_request *req, struct jmap_ctx *ctx,
                          const char *blob_id, const char *part_id,
                          const char *type, const char *name)
{
	struct buf data, out;
	buf_init(&data);
	buf_init(&out);
	struct jmap_email_msg msg;
	if (jmap_blob_read(ctx, blob_id, &data) < 0) {
		send_status(req, 404, "no such blob");
		goto out;
	}
	jmap_email_msg_init(&msg, (const unsigned char *)data.data, data.len,
	                    "", ctx->pool);
	const struct mime_part *part = jmap_email_part_find(&msg, part_id);
	if (part == NULL) {
		send_status(req, 404, "no such blob");
		goto out;
	}
	jmap_email_part_content(&msg, part, &out);
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, type);
	http_response_add_header(resp, "Content-Disposition",
	                         "attachment; filename=\"%s\"", name);
	http_response_add_header(resp, "Cache-Control",
	                         "private, immutable, max-age=604800");
	http_response_send_data(resp, out.data, out.len);
out:
	buf_deinit(&data);
	buf_deinit(&out);
}

void jmap_download_handler(struct http_request *req, void *context)
{
	struct httpd *httpd = context;
	struct pool *pool = http_request_pool(req);
	char account[64], blob_seg[160], account_id[32];
	char blob_id[STORE_BLOB_ID_LEN + 1];
	const char *part_id = NULL;
	const char *rest = path_segment(http_request_path(req),
	                                "/jmap/download/", account,
	                                sizeof(account));
	rest = rest != NULL && rest[0] == '/'
	           ? path_segment(rest, "/", blob_seg, sizeof(blob_seg))
	           : NULL;
	if (rest == NULL || rest[0] != '/' || rest[1] == '\0' ||
	    strchr(rest + 1, '/') != NULL ||
	    blob_id_parse(blob_seg, blob_id, &part_id) < 0 ||
	    jmap_server_account_id(httpd, http_request_user(req), pool,
	                           account_id, sizeof(account_id)) < 0 ||
	    strcmp(account, account_id) != 0) {
		send_status(req, 404, "no such blob");
		return;
	}
	const char *name = rest + 1;
	const char *type = NULL;
	if (http_query_get(http_request_head(req)->query, "accept", pool,
	                   &type) <= 0 ||
	    type[0] == '\0' || strchr(type, '/') == NULL ||
	    strpbrk(type, "\"\\;,") != NULL)
		type = "application/octet-stream";
	struct store_account *acc = NULL;
	const char *error;
	if (store_account_open(httpd->store, http_request_user(req), &acc,
	                       &error) < 0) {
		send_status(req, 503, "account unavailable");
		return;
	}
	int owned = store_jmap_blob_is_owned(acc, blob_id);
	if (owned <= 0) {
		store_account_close(&acc);
		send_status(req, owned < 0 ? 503 : 404,
		            owned < 0 ? "account unavailable" : "no such blob");
		return;
	}
	if (part_id != NULL) {
		struct jmap_ctx ctx = {.httpd = httpd, .req = req, .pool = pool,
		                       .account = acc};
		download_part(req, &ctx, blob_id, part_id, type, name);
		store_account_close(&acc);
		return;
	}
	store_account_close(&acc);
	int fd = store_blob_open(httpd->store, blob_id);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		send_status(req, 404, "no such blob");
		return;
	}
	/* content-addressed: the id is a strong validator, so Range and
	   If-None-Match work (RFC 9110 §13, §14) */
	struct http_validators v = {
	    .etag = pool_printf(pool, "\"%s\"", blob_id),
	    .last_modified = st.st_mtime,
	    .exists = true,
	};
	struct http_response *resp = http_response_new(req, 200);
	http_response_set_type(resp, type);
	http_response_disable_gzip(resp);
	http_response_set_validators(resp, &v);
	http_response_add_header(resp, "Content-Disposition",
	                         "attachment; filename=\"%s\"", name);
	http_response_add_header(resp, "Cache-Control",
	                         "private, immutable, max-age=604800");
	http_response_send_file(resp, fd, (uint64_t)st.st_size);
}
