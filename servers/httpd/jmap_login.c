/* Logging in from a browser, and the logged-in user's own credentials
 * (doc/jmap.md, Authentication):
 *   POST /login            {"username", "password"}: authd checks them
 *                          (service http, its login throttle); a session
 *                          in postroom.db (store_token.h) and its cookie:
 *                          HttpOnly, Secure, SameSite=Strict, Path=/,
 *                          "__Host-" on HTTPS (RFC 6265bis §4.1.3.2)
 *   POST /logout           ends the cookie's session, clears the cookie
 *   GET /account/sessions  the user's sessions; DELETE .../<id> ends one
 *   POST /account/password {"oldPassword", "newPassword"}: the old one is
 *                          checked at authd like a login, then every other
 *                          session of the account ends
 * Bodies are application/json only (no other site's form can send that)
 * and /login and /logout also need a request from our own origin
 * (http_request_is_same_origin): no login CSRF. The other routes need
 * credentials, and lib/http makes the same origin check for a change made
 * with the cookie. */
#include "auth/auth_client.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_request.h"
#include "http/http_response.h"
#include "httpd.h"
#include "jmap/jmap_email.h"
#include "jmap_server.h"
#include "store/store.h"
#include "store/store_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOGIN_PASSWORD_MIN 8 /* bytes of a new password */
#define LOGIN_CLIENT_MAX 200 /* bytes of User-Agent kept for the list */

enum login_kind { LOGIN_SESSION, LOGIN_PASSWORD_CHANGE };

/* One password check at authd in progress. */
struct login {
	struct httpd *httpd;
	struct http_request *req;
	enum login_kind kind;
	struct auth_request *auth;
	struct event_timer *delay; /* holds a failure back (the throttle) */
	unsigned status;           /* the failure's, when delay fires */
	char *new_password;        /* a password change's; wiped */
};

static void send_json_error(struct http_request *req, unsigned status,
                            const char *error)
{
	jmap_server_send_json(req, status, json_pack("{s:s}", "error", error));
}

static const char *cookie_name(struct http_request *req)
{
	return conn_is_tls(http_server_conn_get_conn(http_request_conn(req)))
	           ? HTTPD_SESSION_COOKIE_TLS
	           : HTTPD_SESSION_COOKIE_PLAIN;
}

/* Set-Cookie for value with max_age seconds (0: clears it). */
static void set_cookie(struct http_response *resp, struct http_request *req,
                       const char *value, unsigned max_age)
{
	/* Secure on the plain loopback port too: browsers count
	   http://localhost and 127.0.0.1 as secure for it */
	http_response_add_header(resp, "Set-Cookie",
	                         "%s=%s; Path=/; Max-Age=%u; HttpOnly; Secure; "
	                         "SameSite=Strict",
	                         cookie_name(req), value, max_age);
}

/* The session cookie of req, or NULL. */
static const char *session_secret(struct http_request *req)
{
	struct http_credentials cred;
	unsigned status;
	const char *error;
	struct http_headers headers = http_request_head(req)->headers;
	if (http_request_header(req, "Authorization") != NULL)
		return NULL;
	if (http_auth_parse(&headers, cookie_name(req), http_request_pool(req),
	                    &cred, &status, &error) <= 0 ||
	    cred.scheme != HTTP_AUTH_COOKIE)
		return NULL;
	return cred.token;
}

/* The id of req's own session, or 0. */
static int64_t session_id(struct http_request *req, struct httpd *httpd)
{
	const char *secret = session_secret(req);
	struct store_token_info info;
	if (secret == NULL ||
	    store_token_check(httpd->store, STORE_TOKEN_SESSION, secret,
	                      time(NULL), httpd->set.httpd.session_idle_timeout,
	                      http_request_pool(req), &info) <= 0)
		return 0;
	return info.id;
}

static void login_free(struct login *l)
{
	auth_request_free(&l->auth);
	event_timer_free(&l->delay);
	if (l->new_password != NULL) {
		explicit_bzero(l->new_password, strlen(l->new_password));
		free(l->new_password);
	}
	free(l);
}

/* The request ended (the client left) during the check. */
static void login_destroy_cb(struct http_request *req, void *ctx)
{
	(void)req;
	login_free(ctx);
}

/* Ends the check: the request is answered by the caller. */
static struct http_request *login_end(struct login *l)
{
	struct http_request *req = l->req;
	http_request_set_destroy(req, NULL, NULL);
	login_free(l);
	return req;
}

static void login_delay_cb(void *ctx)
{
	struct login *l = ctx;
	bool is_login = l->kind == LOGIN_SESSION;
	unsigned status = l->status;
	struct http_request *req = login_end(l);
	send_json_error(req, status,
	                is_login ? "wrong address or password"
	                         : "wrong password");
}

static void login_session_made(struct login *l, const char *address)
{
	struct httpd *httpd = l->httpd;
	struct http_request *req = l->req;
	struct conn *conn = http_server_conn_get_conn(http_request_conn(req));
	const char *agent = http_request_header(req, "User-Agent");
	char client[LOGIN_CLIENT_MAX + 1];
	snprintf(client, sizeof(client), "%s",
	         agent != NULL ? log_sanitize(agent, LOGIN_CLIENT_MAX) : "");
	char secret[STORE_TOKEN_SECRET_MAX + 1];
	int64_t id;
	const char *error;
	unsigned lifetime = httpd->set.httpd.session_lifetime;
	if (store_token_create(httpd->store, address, STORE_TOKEN_SESSION,
	                       client, conn_peer_addr(conn),
	                       time(NULL) + lifetime, secret, &id,
	                       &error) < 0) {
		log_error(NULL, "session error=%s", error);
		req = login_end(l);
		send_json_error(req, 503, "try again later");
		return;
	}
	log_info(NULL, "session-login user=%s id=%lld peer=%s",
	         log_sanitize(address, 100), (long long)id,
	         conn_peer_addr(conn));
	req = login_end(l);
	struct http_response *resp = http_response_new(req, 200);
	set_cookie(resp, req, secret, lifetime);
	explicit_bzero(secret, sizeof(secret));
	http_response_set_type(resp, "application/json");
	http_response_add_header(resp, "Cache-Control", "no-store");
	json_t *body = json_pack("{s:s, s:s}", "username", address, "session",
	                         "/jmap/session");
	char *text = json_dumps(body, JSON_COMPACT);
	http_response_send_data(resp, text, strlen(text));
	free(text);
	json_decref(body);
}

static void login_password_changed(struct login *l, const char *address)
{
	struct httpd *httpd = l->httpd;
	char *hash = NULL;
	const char *error;
	/* XXX: yescrypt costs ~70 ms on this event loop; a password change
	   is rare enough not to need authd for it yet */
	int ret = auth_password_hash(l->new_password, &hash, &error);
	if (ret == 0)
		ret = store_account_set_password(httpd->store, address, hash,
		                                 &error);
	free(hash);
	if (ret < 0) {
		log_error(NULL, "password-change user=%s error=%s",
		          log_sanitize(address, 100), error);
		struct http_request *req = login_end(l);
		send_json_error(req, 503, "try again later");
		return;
	}
	int64_t keep = session_id(l->req, httpd);
	int ended = store_token_revoke_all(httpd->store, address,
	                                   STORE_TOKEN_SESSION, keep);
	log_info(NULL, "password-change user=%s sessions_ended=%d",
	         log_sanitize(address, 100), ended);
	struct http_request *req = login_end(l);
	http_response_send_empty(http_response_new(req, 204));
}

/* authd's answer. */
static void login_verified_cb(const struct auth_answer *answer, void *ctx)
{
	struct login *l = ctx;
	l->auth = NULL;
	if (answer->result == AUTH_RESULT_OK) {
		if (l->kind == LOGIN_SESSION)
			login_session_made(l, answer->user);
		else
			login_password_changed(l, answer->user);
		return;
	}
	if (answer->result == AUTH_RESULT_TEMPFAIL) {
		log_error(NULL, "login-tempfail mech=form error=%s",
		          answer->error);
		struct http_request *req = login_end(l);
		struct http_response *resp = http_response_new(req, 503);
		http_response_add_header(resp, "Retry-After", "5");
		http_response_send_text(resp, "try again later\n");
		return;
	}
	log_info(NULL, "login-failed mech=form user=%s delay=%ums%s",
	         log_sanitize(answer->user, 100), answer->delay_msecs,
	         answer->is_throttled ? " throttled=yes" : "");
	if (answer->is_throttled) {
		/* nothing was checked: say when to come back (RFC 6585 §4) */
		struct http_request *req = login_end(l);
		struct http_response *resp = http_response_new(req, 429);
		http_response_add_header(resp, "Retry-After", "%u",
		                         (answer->delay_msecs + 999) / 1000);
		http_response_send_text(resp, "too many attempts\n");
		return;
	}
	l->status = l->kind == LOGIN_SESSION ? 401 : 403;
	l->delay = event_timer_new(l->httpd->loop, login_delay_cb, l);
	event_timer_set(l->delay, answer->delay_msecs);
}

static void login_start(struct http_request *req, struct httpd *httpd,
                        enum login_kind kind, const char *user,
                        const char *password, const char *new_password)
{
	struct login *l = xcalloc(1, sizeof(*l));
	l->httpd = httpd;
	l->req = req;
	l->kind = kind;
	if (new_password != NULL)
		l->new_password = xstrdup(new_password);
	http_request_set_destroy(req, login_destroy_cb, l);
	struct conn *conn = http_server_conn_get_conn(http_request_conn(req));
	const struct auth_request_info info = {
	    .user = user,
	    .password = password,
	    .service = "http",
	    .ip = conn_peer_addr(conn),
	};
	l->auth = auth_request_new(httpd->loop, httpd->auth_socket, &info,
	                           AUTH_REQUEST_TIMEOUT_MSECS,
	                           login_verified_cb, l);
}

/* The JSON object of the body, or NULL after an error answer. */
static json_t *body_object(struct http_request *req)
{
	struct buf body;
	buf_init(&body);
	json_t *obj = NULL;
	if (jmap_server_body_read(req, &body) == 0)
		obj = json_loadb(body.data, body.len, JSON_REJECT_DUPLICATES,
		                 NULL);
	explicit_bzero(body.data, body.len);
	buf_deinit(&body);
	if (!json_is_object(obj)) {
		json_decref(obj);
		send_json_error(req, 400, "a JSON object is expected");
		return NULL;
	}
	return obj;
}

/* A string member: 1 to AUTH_PASSWORD_MAX bytes without controls. */
static const char *member_str(json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));
	if (s == NULL || s[0] == '\0' || strlen(s) > AUTH_PASSWORD_MAX)
		return NULL;
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	return s;
}

static void wipe_member(json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));
	if (s != NULL)
		explicit_bzero((char *)s, strlen(s));
}

static void login_body_done(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	json_t *obj = body_object(req);
	if (obj == NULL)
		return;
	const char *user = member_str(obj, "username");
	const char *password = member_str(obj, "password");
	if (user == NULL || password == NULL || strlen(user) > AUTH_USER_MAX)
		send_json_error(req, 400, "username and password are needed");
	else
		login_start(req, httpd, LOGIN_SESSION, user, password, NULL);
	wipe_member(obj, "password");
	json_decref(obj);
}

/* The checks of a browser's request without credentials: JSON, from our
 * own origin, over TLS (or loopback with plaintext_auth_loopback).
 * Returns 0, or -1 after an error answer. */
static int check_form_request(struct http_request *req)
{
	const char *type = http_request_header(req, "Content-Type");
	if (type == NULL || strncasecmp(type, "application/json", 16) != 0) {
		send_json_error(req, 415, "Content-Type must be application/json");
		return -1;
	}
	if (!http_request_is_same_origin(req)) {
		send_json_error(req, 403, "cross-origin request");
		return -1;
	}
	if (!http_server_conn_is_secure(http_request_conn(req))) {
		send_json_error(req, 403, "credentials need TLS");
		return -1;
	}
	return 0;
}

void jmap_login_handler(struct http_request *req, void *ctx)
{
	if (check_form_request(req) == 0)
		http_request_read_body(req, login_body_done, ctx);
}

void jmap_logout_handler(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	if (!http_request_is_same_origin(req)) {
		send_json_error(req, 403, "cross-origin request");
		return;
	}
	const char *secret = session_secret(req);
	struct store_token_info info;
	if (secret != NULL &&
	    store_token_check(httpd->store, STORE_TOKEN_SESSION, secret,
	                      time(NULL), 0, http_request_pool(req),
	                      &info) > 0 &&
	    store_token_revoke(httpd->store, info.address, info.id) > 0)
		log_info(NULL, "session-logout user=%s id=%lld",
		         log_sanitize(info.address, 100), (long long)info.id);
	struct http_response *resp = http_response_new(req, 204);
	set_cookie(resp, req, "", 0);
	http_response_add_header(resp, "Cache-Control", "no-store");
	http_response_send_empty(resp);
}

struct session_list {
	json_t *list;
	int64_t current;
};

static json_t *date_json(time_t t)
{
	struct buf b;
	buf_init(&b);
	jmap_date_utc(t, &b);
	json_t *v = json_string(b.data);
	buf_deinit(&b);
	return v;
}

static void session_list_cb(const struct store_token_info *info, void *ctx)
{
	struct session_list *sl = ctx;
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)info->id);
	json_t *s = json_pack("{s:s, s:o, s:o, s:o, s:s, s:s, s:b}", "id", id,
	                      "created", date_json(info->created), "lastUsed",
	                      date_json(info->last_used), "expires",
	                      date_json(info->expires), "ip", info->ip,
	                      "client", info->name, "isCurrent",
	                      info->id == sl->current);
	json_array_append_new(sl->list, s);
}

static void sessions_list(struct http_request *req, struct httpd *httpd)
{
	struct session_list sl = {
	    .list = json_array(),
	    .current = session_id(req, httpd),
	};
	if (store_token_list(httpd->store, http_request_user(req),
	                     STORE_TOKEN_SESSION, session_list_cb, &sl) < 0) {
		json_decref(sl.list);
		send_json_error(req, 503, "try again later");
		return;
	}
	jmap_server_send_json(req, 200, json_pack("{s:o}", "sessions", sl.list));
}

/* GET /account/sessions: the list; DELETE /account/sessions/<id>: ends
 * one of the user's own sessions (another account's id is not found). */
void jmap_sessions_handler(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	const char *path = http_request_path(req);
	const char *prefix = "/account/sessions";
	const char *rest = path + strlen(prefix);
	if (http_request_method(req) != HTTP_METHOD_DELETE) {
		if (rest[0] != '\0' && strcmp(rest, "/") != 0)
			send_json_error(req, 404, "no such resource");
		else
			sessions_list(req, httpd);
		return;
	}
	char *end = NULL;
	long long id = rest[0] == '/' && rest[1] >= '1' && rest[1] <= '9'
	                   ? strtoll(rest + 1, &end, 10)
	                   : 0;
	if (id <= 0 || *end != '\0') {
		send_json_error(req, 404, "no such session");
		return;
	}
	int ret = store_token_revoke(httpd->store, http_request_user(req), id);
	if (ret <= 0) {
		send_json_error(req, ret < 0 ? 503 : 404,
		                ret < 0 ? "try again later" : "no such session");
		return;
	}
	log_info(NULL, "session-revoke user=%s id=%lld",
	         log_sanitize(http_request_user(req), 100), id);
	http_response_send_empty(http_response_new(req, 204));
}

static void password_body_done(struct http_request *req, void *ctx)
{
	struct httpd *httpd = ctx;
	json_t *obj = body_object(req);
	if (obj == NULL)
		return;
	const char *old = member_str(obj, "oldPassword");
	const char *new = member_str(obj, "newPassword");
	if (old == NULL || new == NULL)
		send_json_error(req, 400,
		                "oldPassword and newPassword are needed");
	else if (strlen(new) < LOGIN_PASSWORD_MIN)
		send_json_error(req, 400, "the new password is too short");
	else
		login_start(req, httpd, LOGIN_PASSWORD_CHANGE,
		            http_request_user(req), old, new);
	wipe_member(obj, "oldPassword");
	wipe_member(obj, "newPassword");
	json_decref(obj);
}

void jmap_password_handler(struct http_request *req, void *ctx)
{
	const char *type = http_request_header(req, "Content-Type");
	if (type == NULL || strncasecmp(type, "application/json", 16) != 0) {
		send_json_error(req, 415, "Content-Type must be application/json");
		return;
	}
	http_request_read_body(req, password_body_done, ctx);
}
