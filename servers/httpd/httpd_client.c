/* httpd connections: accepting under the per-process and per-IP limits
 * (503 through http_server_conn_refuse past them; the master steers one
 * address to one worker, so the per-IP count holds across workers),
 * choosing what the plain port serves to this peer, checking credentials
 * at authd (service=http, whose login throttle holds failures back), and
 * the graceful stop. lib/http caches the verified identity per connection,
 * so a client repeating the same credentials costs one check per
 * connection. */
#include "auth/auth_client.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/service.h"
#include "core/xmalloc.h"
#include "http/http_request.h"
#include "httpd.h"
#include "store/store.h"
#include "store/store_token.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A refused connection (over a limit, or during the stop) is not counted,
 * so it gets only this long to send the request its 503 answers: a flood
 * of silent connections cannot hold descriptors for idle_timeout. */
#define HTTPD_REFUSED_TIMEOUT 5 /* seconds */

static const char *const service_names[] = {"http", "https"};

static void httpd_client_auth_done(struct httpd_client *c,
                                   enum http_auth_result result,
                                   const char *user)
{
	struct http_request *req = c->auth_http_req;
	c->auth_http_req = NULL;
	http_request_set_destroy(req, NULL, NULL);
	http_request_auth_done(req, result, user);
}

/* The throttle's delay after a failure is over. */
static void httpd_client_auth_delay_cb(void *ctx)
{
	httpd_client_auth_done(ctx, HTTP_AUTH_FAIL, NULL);
}

/* authd's answer. A failure is answered after the delay authd's login
 * throttle gives (the same for an unknown user and a wrong password). */
static void httpd_client_verified_cb(const struct auth_answer *answer,
                                     void *ctx)
{
	struct httpd_client *c = ctx;
	c->auth_req = NULL;
	ASSERT(c->auth_http_req != NULL);
	switch (answer->result) {
	case AUTH_RESULT_TEMPFAIL:
		log_error(&c->log, "login-tempfail error=%s", answer->error);
		httpd_client_auth_done(c, HTTP_AUTH_TEMPFAIL, NULL);
		return;
	case AUTH_RESULT_OK:
		c->has_user = true;
		log_info(&c->log, "login mech=basic user=%s",
		         log_sanitize(answer->user, 100));
		httpd_client_auth_done(c, HTTP_AUTH_OK, answer->user);
		return;
	case AUTH_RESULT_FAIL:
		break;
	}
	log_info(&c->log, "login-failed mech=basic user=%s delay=%ums%s",
	         log_sanitize(answer->user, 100), answer->delay_msecs,
	         answer->is_throttled ? " throttled=yes" : "");
	if (answer->delay_msecs == 0) {
		httpd_client_auth_done(c, HTTP_AUTH_FAIL, NULL);
		return;
	}
	if (c->auth_timer == NULL)
		c->auth_timer = event_timer_new(c->httpd->loop,
		                                httpd_client_auth_delay_cb, c);
	event_timer_set(c->auth_timer, answer->delay_msecs);
}

/* The request ended (the client left) while its credentials were being
 * checked: drop the check. */
static void httpd_client_auth_destroy_cb(struct http_request *req, void *ctx)
{
	struct httpd_client *c = ctx;
	if (c->auth_http_req != req)
		return;
	c->auth_http_req = NULL;
	auth_request_free(&c->auth_req);
	if (c->auth_timer != NULL)
		event_timer_cancel(c->auth_timer);
}

/* The session cookie (made by POST /login) or a bearer token (made by
 * postroomctl token): one look-up of the secret's hash in postroom.db,
 * answered at once. Nothing to throttle: a 256-bit random secret cannot
 * be guessed. */
static void httpd_client_check_token(struct httpd_client *c,
                                     struct http_request *req,
                                     const struct http_credentials *cred)
{
	struct httpd *httpd = c->httpd;
	bool is_cookie = cred->scheme == HTTP_AUTH_COOKIE;
	struct store_token_info info;
	int ret = store_token_check(
	    httpd->store, is_cookie ? STORE_TOKEN_SESSION : STORE_TOKEN_BEARER,
	    cred->token, time(NULL), httpd->set.httpd.session_idle_timeout,
	    http_request_pool(req), &info);
	if (ret < 0) {
		log_error(&c->log, "login-tempfail mech=%s error=%s",
		          is_cookie ? "cookie" : "bearer",
		          store_last_error(httpd->store));
		http_request_auth_done(req, HTTP_AUTH_TEMPFAIL, NULL);
		return;
	}
	if (ret == 0) {
		log_info(&c->log, "login-failed mech=%s error=%s",
		         is_cookie ? "cookie" : "bearer",
		         is_cookie ? "no such session" : "no such token");
		http_request_auth_done(req, HTTP_AUTH_FAIL, NULL);
		return;
	}
	if (!c->has_user)
		log_info(&c->log, "login mech=%s user=%s id=%lld",
		         is_cookie ? "cookie" : "bearer",
		         log_sanitize(info.address, 100), (long long)info.id);
	c->has_user = true;
	http_request_auth_done(req, HTTP_AUTH_OK, info.address);
}

/* Credentials lib/http has not seen on this connection yet. Basic goes to
 * authd; the webmail's session cookie and bearer tokens are looked up in
 * the store. */
static void httpd_client_authenticate_cb(void *ctx, struct http_request *req,
                                         const struct http_credentials *cred)
{
	struct httpd_client *c = ctx;
	struct httpd *httpd = c->httpd;
	if (cred->scheme != HTTP_AUTH_BASIC) {
		httpd_client_check_token(c, req, cred);
		return;
	}
	ASSERT(c->auth_http_req == NULL);
	c->auth_http_req = req;
	http_request_set_destroy(req, httpd_client_auth_destroy_cb, c);
	const struct auth_request_info info = {
	    .user = cred->user,
	    .password = cred->password,
	    .service = "http",
	    .ip = c->addr,
	};
	c->auth_req = auth_request_new(httpd->loop, httpd->auth_socket, &info,
	                               AUTH_REQUEST_TIMEOUT_MSECS,
	                               httpd_client_verified_cb, c);
}

static void httpd_client_disconnect_cb(void *ctx, const char *reason)
{
	struct httpd_client *c = ctx;
	struct httpd *httpd = c->httpd;
	log_info(&c->log, "disconnect reason=%s requests=%u",
	         log_sanitize(reason, 100), http_server_conn_requests(c->srv));
	auth_request_free(&c->auth_req);
	event_timer_free(&c->auth_timer);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		httpd->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	service_slot_remove(httpd->service, &c->slot);
	log_deinit(&c->log);
	free(c);
	if (httpd->clients == NULL && service_is_stopping(httpd->service))
		event_loop_stop(httpd->loop);
}

/* At max_connections a new connection may take the slot of one that has
 * not proven an identity: HTTP keeps nothing between requests, and a
 * client reconnects, while a flood of anonymous connections must not lock
 * out the users (lib/core/service.h). */
static bool httpd_client_can_evict(void *ctx)
{
	const struct httpd_client *c = ctx;
	return !c->has_user && c->auth_http_req == NULL;
}

/* Idle: closed now; in the middle of a request: after its response (which
 * says Connection: close). */
static void httpd_client_evict(void *ctx)
{
	struct httpd_client *c = ctx;
	log_info(&c->log, "evicted reason=\"too many connections\"");
	http_server_conn_shutdown(c->srv);
	service_slot_remove(c->httpd->service, &c->slot);
}

static const struct service_slot_callbacks httpd_client_slot_callbacks = {
    .can_evict = httpd_client_can_evict,
    .evict = httpd_client_evict,
};

static const struct http_server_callbacks httpd_client_callbacks = {
    .authenticate = httpd_client_authenticate_cb,
    .disconnect = httpd_client_disconnect_cb,
};

void httpd_client_accept(struct httpd *httpd, enum httpd_service service,
                         int fd, const struct sockaddr *addr)
{
	struct tls_server *tls = NULL;
	const struct http_server_settings *set = &httpd->http_set;
	if (service == HTTPD_SERVICE_HTTPS) {
		if (httpd->tls == NULL) {
			close(fd); /* no certificate: nothing to offer */
			return;
		}
		tls = httpd->tls;
	} else if (!httpd_routes_plain_serves_all(httpd,
	                                          net_addr_is_loopback(addr))) {
		set = &httpd->redirect_set;
	} else {
		set = &httpd->plain_set;
	}
	struct httpd_client *c = xcalloc(1, sizeof(*c));
	c->httpd = httpd;
	c->service = service;
	c->id = ++httpd->next_id;
	net_addr_str(addr, c->addr);
	log_init(&c->log, "conn=%u peer=%s", c->id, c->addr);
	c->next = httpd->clients;
	if (c->next != NULL)
		c->next->prev = c;
	httpd->clients = c;
	c->srv = http_server_conn_new(httpd->loop, fd, tls, set,
	                              &httpd_client_callbacks, &c->log, c);
	log_info(&c->log, "connect service=%s%s", service_names[service],
	         set == &httpd->redirect_set ? " redirect=yes" : "");
	const char *error = "server shutting down";
	if (!service_is_stopping(httpd->service) &&
	    service_slot_add(httpd->service, c->addr,
	                     &httpd_client_slot_callbacks, c, &c->slot,
	                     &error) == 0)
		return;
	log_info(&c->log, "refused reason=\"%s\"", error);
	http_server_conn_refuse(c->srv, error);
	conn_set_timeout(http_server_conn_get_conn(c->srv),
	                 HTTPD_REFUSED_TIMEOUT);
}

void httpd_client_shutdown_all(struct httpd *httpd)
{
	for (struct httpd_client *c = httpd->clients, *next; c != NULL;
	     c = next) {
		next = c->next;
		http_server_conn_shutdown(c->srv);
	}
}

void httpd_client_close_all(struct httpd *httpd)
{
	for (struct httpd_client *c = httpd->clients, *next; c != NULL;
	     c = next) {
		next = c->next;
		http_server_conn_close(c->srv);
	}
}
