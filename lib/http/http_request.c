/* Requests: their lifetime, the answers to the authenticate callback, and
 * the body: decoded by http_body, kept in memory up to body_memory_max and
 * beyond that streamed to an unlinked file in tmp_dir, within the route's
 * limit and the body deadline. */
#include "http/http_server_private.h"
#include "core/conn.h"
#include "core/file.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_router.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HTTP_DISCARD_MAX (64 * 1024)
#define HTTP_DEADLINE_MAX (30 * 24 * 3600) /* fits the timer's msecs */

struct http_request *http_request_new(struct http_server_conn *srv)
{
	struct http_request *req = xcalloc(1, sizeof(*req));
	req->srv = srv;
	req->pool = pool_new();
	req->start_msecs = http_server_now_msecs();
	buf_init(&req->body_mem);
	req->result.fd = -1;
	return req;
}

void http_request_free(struct http_request **reqp)
{
	struct http_request *req = *reqp;
	if (req == NULL)
		return;
	*reqp = NULL;
	if (req->destroy != NULL)
		req->destroy(req, req->destroy_ctx);
	http_auth_wipe(&req->cred);
	http_response_free(&req->resp);
	http_body_free(&req->body);
	buf_deinit(&req->body_mem);
	if (req->result.fd >= 0)
		close(req->result.fd);
	pool_free(&req->pool);
	free(req);
}

const struct http_request_head *
http_request_head(const struct http_request *req)
{
	return req->head;
}

enum http_method http_request_method(const struct http_request *req)
{
	return req->head->method_id;
}

const char *http_request_path(const struct http_request *req)
{
	return req->path;
}

const char *http_request_header(const struct http_request *req,
                                const char *name)
{
	return http_headers_get(&req->head->headers, name);
}

const char *http_request_header_join(struct http_request *req, const char *name)
{
	return http_headers_join(&req->head->headers, req->pool, name);
}

struct pool *http_request_pool(struct http_request *req)
{
	return req->pool;
}

const struct http_route *http_request_route(const struct http_request *req)
{
	return req->route;
}

const char *http_request_user(const struct http_request *req)
{
	return req->user;
}

struct http_server_conn *http_request_conn(struct http_request *req)
{
	return req->srv;
}

void http_request_set_destroy(struct http_request *req,
                              http_request_cb *destroy, void *ctx)
{
	req->destroy = destroy;
	req->destroy_ctx = ctx;
}

void http_request_auth_done(struct http_request *req,
                            enum http_auth_result result, const char *user)
{
	struct http_server_conn *srv = req->srv;
	ASSERT(req->resp == NULL && srv->input == HTTP_INPUT_WAIT);
	http_auth_wipe(&req->cred);
	switch (result) {
	case HTTP_AUTH_OK:
		ASSERT(user != NULL);
		if (req->cred.scheme == HTTP_AUTH_BASIC) {
			free(srv->auth_user);
			srv->auth_user = xstrdup(user);
			memcpy(srv->auth_key, req->auth_key,
			       sizeof(srv->auth_key));
		}
		req->user = pool_strdup(req->pool, user);
		http_server_run_handler(req);
		break;
	case HTTP_AUTH_FAIL:
		if (req->cred.scheme == HTTP_AUTH_BASIC) {
			free(srv->auth_user);
			srv->auth_user = NULL;
			srv->auth_key[0] = '\0';
		}
		http_server_unauthorized(req, "wrong credentials");
		break;
	default: {
		req->error = "credentials not checked";
		struct http_response *resp = http_response_new(req, 503);
		http_response_add_header(resp, "Retry-After", "5");
		http_response_send_text(resp, "503 Service Unavailable: "
		                              "try again later\n");
	}
	}
}

/* Compares host[:port] a with b, ignoring case and the scheme's default
 * port. */
static bool http_authority_eq(const char *a, size_t alen, const char *b,
                              bool is_tls)
{
	const char *def = is_tls ? ":443" : ":80";
	size_t blen = strlen(b), dlen = strlen(def);
	if (alen > dlen && memcmp(a + alen - dlen, def, dlen) == 0)
		alen -= dlen;
	if (blen > dlen && memcmp(b + blen - dlen, def, dlen) == 0)
		blen -= dlen;
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

bool http_request_is_same_origin(const struct http_request *req)
{
	const char *site = http_request_header(req, "Sec-Fetch-Site");
	if (site != NULL)
		return strcmp(site, "same-origin") == 0;
	const char *origin = http_request_header(req, "Origin");
	if (origin == NULL || req->head == NULL)
		return false;
	bool is_tls = conn_is_tls(req->srv->conn);
	const char *scheme = is_tls ? "https://" : "http://";
	size_t slen = strlen(scheme);
	if (strncasecmp(origin, scheme, slen) != 0)
		return false;
	const char *host = origin + slen;
	size_t len = strlen(host);
	if (len == 0 || strchr(host, '/') != NULL)
		return false;
	return http_authority_eq(host, len, req->head->authority, is_tls);
}

bool http_request_has_body(const struct http_request *req)
{
	return req->head != NULL && req->head->framing != HTTP_FRAMING_NONE;
}

bool http_request_can_discard(const struct http_request *req)
{
	const struct http_request_head *head = req->head;
	if (head == NULL || head->framing != HTTP_FRAMING_LENGTH)
		return false;
	/* never asked for: the client may wait for a 100 that never comes */
	if (head->expect_continue && !req->has_body_started)
		return false;
	uint64_t read = req->body != NULL ? http_body_size(req->body) : 0;
	return head->content_length - read <= HTTP_DISCARD_MAX;
}

void http_request_read_body(struct http_request *req, http_request_cb *done,
                            void *ctx)
{
	struct http_server_conn *srv = req->srv;
	ASSERT(req->resp == NULL && !req->has_body_started);
	ASSERT(srv->input == HTTP_INPUT_WAIT);
	req->body_done = done;
	req->body_ctx = ctx;
	req->has_body_started = true;
	srv->input = HTTP_INPUT_BODY;
	if (!http_request_has_body(req)) {
		req->is_body_read = true;
		http_server_kick(srv);
		return;
	}
	const struct http_request_head *head = req->head;
	struct http_body_settings set = srv->set.body;
	set.max_size = req->route != NULL ? req->route->body_max : 0;
	req->body = http_body_new(head->framing, head->content_length, &set);
	const unsigned char *data;
	size_t size;
	if (head->expect_continue && conn_peek(srv->conn, &data, &size) == 0) {
		/* RFC 9110 §10.1.1: only now that the body is wanted */
		conn_write_str(srv->conn, "HTTP/1.1 100 Continue\r\n\r\n");
		req->has_sent_continue = true;
	}
	uint64_t expected = head->framing == HTTP_FRAMING_LENGTH
	                        ? head->content_length
	                        : set.max_size;
	uint64_t secs = srv->set.body_timeout;
	if (srv->set.body_min_rate != 0)
		secs += expected / srv->set.body_min_rate;
	http_server_deadline_set(
	    srv, secs > HTTP_DEADLINE_MAX ? HTTP_DEADLINE_MAX : (unsigned)secs);
	conn_set_input_paused(srv->conn, false);
	http_server_kick(srv);
}

const struct http_request_body *
http_request_body(const struct http_request *req)
{
	ASSERT(req->is_body_read);
	return &req->result;
}

unsigned http_request_check_preconditions(const struct http_request *req,
                                          const struct http_validators *v)
{
	return http_cond_evaluate(&req->head->headers, req->head->method_id, v,
	                          time(NULL));
}

/* An unlinked file in tmp_dir, or -1 with errno. */
static int http_request_tmpfile(const char *dir)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/http-body.XXXXXX", dir) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void http_request_write_failed(struct http_request *req)
{
	int err = errno;
	log_error(req->srv->log, "http body file: %s", strerror(err));
	/* RFC 4918 §11.5 for a full disk; else a plain server error */
	bool is_full = err == ENOSPC || err == EDQUOT;
	http_server_error(
	    req, is_full ? 507 : 500,
	    is_full ? "no room for the body" : "cannot store the body", true);
}

/* Keeps size body bytes: memory first, then the file. Returns 0 or -1
 * after an error reply. */
static int http_request_sink(struct http_request *req,
                             const unsigned char *data, size_t size)
{
	struct http_server_conn *srv = req->srv;
	if (size == 0)
		return 0;
	if (req->result.fd < 0) {
		if (req->body_mem.len + size <= srv->set.body_memory_max) {
			buf_append(&req->body_mem, data, size);
			return 0;
		}
		if (srv->set.tmp_dir == NULL) {
			http_server_error(req, 413, "body too large", true);
			return -1;
		}
		req->result.fd = http_request_tmpfile(srv->set.tmp_dir);
		if (req->result.fd < 0 ||
		    file_write_all(req->result.fd, req->body_mem.data,
		                   req->body_mem.len) < 0) {
			http_request_write_failed(req);
			return -1;
		}
		buf_truncate(&req->body_mem, 0);
	}
	if (file_write_all(req->result.fd, data, size) < 0) {
		http_request_write_failed(req);
		return -1;
	}
	return 0;
}

static void http_request_body_finished(struct http_request *req)
{
	struct http_server_conn *srv = req->srv;
	http_server_deadline_clear(srv);
	srv->input = HTTP_INPUT_WAIT;
	conn_set_input_paused(srv->conn, true);
	req->result.size = req->body != NULL ? http_body_size(req->body) : 0;
	if (req->result.fd >= 0) {
		if (lseek(req->result.fd, 0, SEEK_SET) < 0) {
			http_request_write_failed(req);
			return;
		}
	} else {
		req->result.data = (const unsigned char *)req->body_mem.data;
		req->result.size_in_memory = req->body_mem.len;
	}
	req->body_done(req, req->body_ctx);
}

int http_request_body_input(struct http_request *req)
{
	struct http_server_conn *srv = req->srv;
	if (req->is_body_read) {
		http_request_body_finished(req);
		return 0;
	}
	const unsigned char *data, *out;
	size_t size, consumed, out_size;
	int ret = conn_peek(srv->conn, &data, &size);
	if (ret < 0) {
		req->error = "eof in body";
		http_server_close(srv, "eof in body");
		return -1;
	}
	if (ret == 0)
		return 0;
	unsigned status;
	const char *error;
	ret = http_body_read(req->body, data, size, &consumed, &out, &out_size,
	                     &status, &error);
	if (ret < 0) {
		http_server_error(req, status, error, true);
		return -1;
	}
	/* the sink may reuse nothing of data: it copies before consuming */
	if (http_request_sink(req, out, out_size) < 0)
		return -1;
	conn_consume(srv->conn, consumed);
	if (http_body_is_done(req->body)) {
		req->is_body_read = true;
		http_request_body_finished(req);
		return 0;
	}
	return 1;
}

int http_request_discard_input(struct http_request *req)
{
	struct http_server_conn *srv = req->srv;
	if (req->body == NULL)
		req->body = http_body_new(req->head->framing,
		                          req->head->content_length, NULL);
	const unsigned char *data, *out;
	size_t size, consumed, out_size;
	int ret = conn_peek(srv->conn, &data, &size);
	if (ret < 0) {
		http_server_close(srv, "eof in body");
		return -1;
	}
	if (ret == 0)
		return 0;
	unsigned status;
	const char *error;
	if (http_body_read(req->body, data, size, &consumed, &out, &out_size,
	                   &status, &error) < 0) {
		http_server_close(srv, error);
		return -1;
	}
	conn_consume(srv->conn, consumed);
	if (http_body_is_done(req->body)) {
		req->is_body_read = true;
		return 0;
	}
	return 1;
}
