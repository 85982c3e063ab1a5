/* The HTTP/1.1 client under the terminal client's CalDAV and CardDAV sync:
 * a request is written in one go (request-line, fields, body), the head is
 * read line by line into lib/http's response-head parser, and the body by
 * the framing it decided (RFC 9112 §6.3): Content-Length, chunked (§7.1,
 * trailers read and dropped) or until the server closes. One connection
 * is kept while the server keeps it (§9.3). */
#include "dav/dav_client.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "core/xmalloc.h"
#include "http/http_path.h"
#include "http/http_response_parser.h"
#include "http/http_syntax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAV_CLIENT_LINE_MAX 16384
#define DAV_CLIENT_DEFAULT_MAX_BODY (64 * 1024 * 1024)
#define DAV_CLIENT_INTERIM_MAX 8 /* 1xx heads before the final one */

struct dav_client {
	bool is_tls;
	char *host;
	unsigned port;
	char *authorization; /* "Basic ..." or NULL */
	char *user_agent;
	size_t max_body;
	dav_client_connect_cb *connect_cb;
	void *ctx;
	struct tls_stream *stream; /* NULL: not connected */
	bool is_reused;            /* the stream carried a response before */
	struct http_response_parser *parser;
};

/* ---- URLs ------------------------------------------------------------- */

int dav_url_parse(const char *str, struct pool *pool, struct dav_url *url_r,
                  const char **error_r)
{
	const char *p;
	if (strncasecmp(str, "https://", 8) == 0) {
		url_r->is_tls = true;
		p = str + 8;
	} else if (strncasecmp(str, "http://", 7) == 0) {
		url_r->is_tls = false;
		p = str + 7;
	} else {
		*error_r = "a URL must start with https:// or http://";
		return -1;
	}
	size_t auth_len = strcspn(p, "/?#");
	if (p[auth_len] == '?' || p[auth_len] == '#' ||
	    strchr(p + auth_len, '?') != NULL ||
	    strchr(p + auth_len, '#') != NULL) {
		*error_r = "a DAV URL has no query or fragment";
		return -1;
	}
	if (auth_len == 0 || memchr(p, '@', auth_len) != NULL ||
	    !http_is_authority(p, auth_len, false)) {
		*error_r = "bad host in URL";
		return -1;
	}
	const char *host = p, *host_end = p + auth_len, *port = NULL;
	if (*host == '[') {
		const char *close = memchr(host, ']', auth_len);
		host++;
		port = close + 1 < host_end ? close + 2 : NULL;
		host_end = close;
	} else {
		const char *colon = memchr(host, ':', auth_len);
		if (colon != NULL) {
			port = colon + 1;
			host_end = colon;
		}
	}
	url_r->port = url_r->is_tls ? 443 : 80;
	if (port != NULL && port < p + auth_len) {
		unsigned long n = strtoul(port, NULL, 10);
		if (n == 0 || n > 65535) {
			*error_r = "bad port in URL";
			return -1;
		}
		url_r->port = (unsigned)n;
	}
	url_r->host = pool_strndup(pool, host, (size_t)(host_end - host));
	const char *path = p[auth_len] == '/' ? p + auth_len : "/";
	url_r->path = dav_client_href_path(path, pool);
	if (url_r->path == NULL) {
		*error_r = "bad path in URL";
		return -1;
	}
	return 0;
}

const char *dav_url_str(const struct dav_url *url, struct pool *pool)
{
	struct buf out;
	buf_init(&out);
	bool is_v6 = strchr(url->host, ':') != NULL;
	buf_printf(&out, "%s://%s%s%s", url->is_tls ? "https" : "http",
	           is_v6 ? "[" : "", url->host, is_v6 ? "]" : "");
	if (url->port != (url->is_tls ? 443u : 80u))
		buf_printf(&out, ":%u", url->port);
	dav_client_path_encode(url->path, &out);
	const char *str = pool_strdup(pool, out.data);
	buf_deinit(&out);
	return str;
}

void dav_client_path_encode(const char *path, struct buf *out)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/";
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0';
	     p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(keep, *p) != NULL)
			buf_append_char(out, (char)*p);
		else
			buf_printf(out, "%%%02X", *p);
	}
}

const char *dav_client_href_path(const char *href, struct pool *pool)
{
	const char *p = href;
	if (strncasecmp(p, "https://", 8) == 0 ||
	    strncasecmp(p, "http://", 7) == 0) {
		p = strstr(p, "://") + 3;
		p += strcspn(p, "/");
		if (*p == '\0')
			p = "/";
	}
	if (*p != '/')
		return NULL;
	/* servers do send unencoded characters (a space, non-ASCII): encode
	 * what a path may not hold, keeping the escapes there are */
	struct buf enc;
	buf_init(&enc);
	for (const unsigned char *c = (const unsigned char *)p; *c != '\0';
	     c++) {
		if (*c == '%' || *c == '/' || http_is_pchar(*c))
			buf_append_char(&enc, (char)*c);
		else
			buf_printf(&enc, "%%%02X", *c);
	}
	const char *out = NULL, *error;
	unsigned status;
	if (!http_is_uri_part(enc.data, enc.len, "/") ||
	    http_path_normalize(enc.data, false, pool, &out, &status, &error) <
	        0)
		out = NULL;
	buf_deinit(&enc);
	return out;
}

/* ---- The client ------------------------------------------------------- */

struct dav_client *dav_client_new(const struct dav_url *origin,
                                  const struct dav_client_settings *set,
                                  dav_client_connect_cb *connect_cb, void *ctx)
{
	struct dav_client *client = xcalloc(1, sizeof(*client));
	client->is_tls = origin->is_tls;
	client->host = xstrdup(origin->host);
	client->port = origin->port;
	client->max_body =
	    set->max_body != 0 ? set->max_body : DAV_CLIENT_DEFAULT_MAX_BODY;
	client->user_agent =
	    xstrdup(set->user_agent != NULL ? set->user_agent : "postroom");
	if (set->user != NULL) {
		/* RFC 7617 §2: user-pass = user-id ":" password, base64 */
		struct buf pass, b64;
		buf_init(&pass);
		buf_init(&b64);
		buf_printf(&pass, "%s:%s", set->user,
		           set->password != NULL ? set->password : "");
		base64_encode(pass.data, pass.len, &b64);
		explicit_bzero(pass.data, pass.len);
		client->authorization = xasprintf("Basic %s", b64.data);
		explicit_bzero(b64.data, b64.len);
		buf_deinit(&pass);
		buf_deinit(&b64);
	}
	client->connect_cb = connect_cb;
	client->ctx = ctx;
	client->parser = http_response_parser_new(NULL);
	return client;
}

/* Closes the connection; an error that lives in the stream is copied to
 * pool first. */
static void client_close_keep(struct dav_client *client, struct pool *pool,
                              const char **error_r)
{
	if (*error_r != NULL)
		*error_r = pool_strdup(pool, *error_r);
	tls_stream_free(&client->stream);
	client->is_reused = false;
}

static void client_close(struct dav_client *client)
{
	tls_stream_free(&client->stream);
	client->is_reused = false;
}

void dav_client_free(struct dav_client **clientp)
{
	struct dav_client *client = *clientp;
	if (client == NULL)
		return;
	*clientp = NULL;
	client_close(client);
	if (client->authorization != NULL) {
		explicit_bzero(client->authorization,
		               strlen(client->authorization));
		free(client->authorization);
	}
	http_response_parser_free(&client->parser);
	free(client->host);
	free(client->user_agent);
	free(client);
}

bool dav_client_is_origin(const struct dav_client *client,
                          const struct dav_url *url)
{
	return url->is_tls == client->is_tls && url->port == client->port &&
	       strcasecmp(url->host, client->host) == 0;
}

static int client_connect(struct dav_client *client, struct pool *pool,
                          const char **error_r)
{
	if (client->stream != NULL)
		return 0;
	if (client->connect_cb(client->host, client->port, client->is_tls, pool,
	                       &client->stream, error_r, client->ctx) < 0)
		return -1;
	client->is_reused = false;
	/* RFC 7617 §4: Basic sends the password in the clear; only TLS or
	 * the machine itself may carry it */
	if (client->authorization != NULL && !client->is_tls &&
	    !tls_stream_peer_is_loopback(client->stream)) {
		*error_r = pool_printf(pool,
		                       "refusing to send a password over plain "
		                       "HTTP to %s (use https)",
		                       tls_stream_peer(client->stream));
		client_close(client);
		return -1;
	}
	return 0;
}

/* Appends the request-line, the fields and the body. */
static void request_write(struct dav_client *client,
                          const struct dav_request *req, struct buf *out)
{
	buf_printf(out, "%s ", req->method);
	dav_client_path_encode(req->path, out);
	bool is_v6 = strchr(client->host, ':') != NULL;
	buf_printf(out, " HTTP/1.1\r\nHost: %s%s%s", is_v6 ? "[" : "",
	           client->host, is_v6 ? "]" : "");
	if (client->port != (client->is_tls ? 443u : 80u))
		buf_printf(out, ":%u", client->port);
	buf_printf(out, "\r\nUser-Agent: %s\r\n", client->user_agent);
	if (client->authorization != NULL)
		buf_printf(out, "Authorization: %s\r\n", client->authorization);
	if (req->depth != NULL)
		buf_printf(out, "Depth: %s\r\n", req->depth);
	if (req->if_match != NULL)
		buf_printf(out, "If-Match: %s\r\n", req->if_match);
	if (req->if_none_match)
		buf_append_str(out, "If-None-Match: *\r\n");
	if (req->content_type != NULL)
		buf_printf(out, "Content-Type: %s\r\n", req->content_type);
	if (req->body != NULL || strcmp(req->method, "PUT") == 0 ||
	    strcmp(req->method, "POST") == 0 ||
	    strcmp(req->method, "REPORT") == 0 ||
	    strcmp(req->method, "PROPFIND") == 0)
		buf_printf(out, "Content-Length: %zu\r\n", req->body_size);
	buf_append_str(out, "\r\n");
	if (req->body_size > 0)
		buf_append(out, req->body, req->body_size);
}

/* Reads the final response head. Returns 1 with *head_r, 0 when the
 * connection closed before its first byte, -1 with *error_r. */
static int head_read(struct dav_client *client, bool is_head, struct pool *pool,
                     struct http_response_head **head_r, const char **error_r)
{
	for (unsigned interim = 0; interim <= DAV_CLIENT_INTERIM_MAX;
	     interim++) {
		http_response_parser_reset(client->parser, pool, is_head);
		bool is_first = true;
		for (;;) {
			const char *line;
			size_t len, consumed;
			int ret = tls_stream_read_line(client->stream,
			                               DAV_CLIENT_LINE_MAX,
			                               &line, &len, error_r);
			if (ret == 0 && is_first && interim == 0)
				return 0;
			if (ret == 0)
				*error_r = "connection closed in the response";
			if (ret <= 0)
				return -1;
			is_first = false;
			/* the stream took the line end off: give it back */
			char *copy =
			    pool_printf(pool, "%.*s\n", (int)len, line);
			ret = http_response_parser_parse(
			    client->parser, (const unsigned char *)copy,
			    len + 1, &consumed, head_r, error_r);
			if (ret < 0)
				return -1;
			if (ret > 0)
				break;
		}
		if ((*head_r)->status >= 200)
			return 1;
	}
	*error_r = "too many interim responses";
	return -1;
}

/* chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 §7.1) */
static int body_read_chunked(struct dav_client *client, struct buf *body,
                             const char **error_r)
{
	for (;;) {
		const char *line;
		size_t len;
		if (tls_stream_read_line(client->stream, DAV_CLIENT_LINE_MAX,
		                         &line, &len, error_r) <= 0)
			goto closed;
		/* chunk-size = 1*HEXDIG, then chunk-ext */
		uint64_t size = 0;
		size_t i = 0;
		for (; i < len && http_hex_value((unsigned char)line[i]) >= 0;
		     i++) {
			if (size > (UINT64_MAX >> 4)) {
				*error_r = "chunk size out of range";
				return -1;
			}
			size = size * 16 +
			       (uint64_t)http_hex_value((unsigned char)line[i]);
		}
		if (i == 0 || (i < len && line[i] != ';' && line[i] != ' ' &&
		               line[i] != '\t')) {
			*error_r = "bad chunk size";
			return -1;
		}
		if (size == 0)
			break;
		if (size > client->max_body - body->len) {
			*error_r = "response body too large";
			return -1;
		}
		if (tls_stream_read_exact(client->stream, (size_t)size, body,
		                          error_r) < 0 ||
		    tls_stream_read_line(client->stream, DAV_CLIENT_LINE_MAX,
		                         &line, &len, error_r) <= 0)
			goto closed;
		if (len != 0) {
			*error_r = "chunk data without CRLF";
			return -1;
		}
	}
	/* trailer-section: read and dropped (RFC 9110 §6.5.1) */
	for (unsigned n = 0; n < 100; n++) {
		const char *line;
		size_t len;
		if (tls_stream_read_line(client->stream, DAV_CLIENT_LINE_MAX,
		                         &line, &len, error_r) <= 0)
			goto closed;
		if (len == 0)
			return 0;
	}
	*error_r = "too many trailer fields";
	return -1;
closed:
	if (*error_r == NULL)
		*error_r = "connection closed in the body";
	return -1;
}

static int body_read(struct dav_client *client,
                     const struct http_response_head *head, struct buf *body,
                     const char **error_r)
{
	if (head->framing == HTTP_FRAMING_LENGTH) {
		if (head->content_length > client->max_body) {
			*error_r = "response body too large";
			return -1;
		}
		return tls_stream_read_exact(client->stream,
		                             (size_t)head->content_length, body,
		                             error_r);
	}
	if (head->framing == HTTP_FRAMING_CHUNKED) {
		*error_r = NULL;
		return body_read_chunked(client, body, error_r);
	}
	if (!head->is_until_close)
		return 0;
	for (;;) {
		if (body->len >= client->max_body) {
			*error_r = "response body too large";
			return -1;
		}
		int ret = tls_stream_read_some(client->stream,
		                               client->max_body - body->len,
		                               body, error_r);
		if (ret <= 0)
			return ret;
	}
}

static void response_fill(const struct http_response_head *head,
                          const struct buf *body, struct pool *pool,
                          struct dav_response *resp_r)
{
	resp_r->status = head->status;
	resp_r->headers = head->headers;
	unsigned char *data = pool_alloc(pool, body->len + 1);
	memcpy(data, body->data, body->len);
	data[body->len] = '\0';
	resp_r->body = data;
	resp_r->body_size = body->len;
	resp_r->etag = http_headers_get(&head->headers, "ETag");
	resp_r->location = http_headers_get(&head->headers, "Location");
}

/* One attempt. Returns 1 with *resp_r, 0 when a reused connection gave
 * nothing back (the caller may send again), -1 with *error_r. */
static int request_once(struct dav_client *client,
                        const struct dav_request *req, const struct buf *out,
                        struct pool *pool, struct dav_response *resp_r,
                        const char **error_r)
{
	if (client_connect(client, pool, error_r) < 0)
		return -1;
	bool was_reused = client->is_reused;
	struct http_response_head *head;
	*error_r = NULL;
	int ret =
	    tls_stream_write(client->stream, out->data, out->len, error_r);
	if (ret == 0)
		ret = tls_stream_flush(client->stream, error_r);
	if (ret < 0) {
		client_close_keep(client, pool, error_r);
		return was_reused ? 0 : -1;
	}
	ret = head_read(client, strcmp(req->method, "HEAD") == 0, pool, &head,
	                error_r);
	if (ret <= 0) {
		client_close_keep(client, pool, error_r);
		if (ret == 0 && was_reused)
			return 0;
		if (ret == 0)
			*error_r = "connection closed without a response";
		return -1;
	}
	struct buf body;
	buf_init(&body);
	ret = body_read(client, head, &body, error_r);
	if (ret == 0)
		response_fill(head, &body, pool, resp_r);
	buf_deinit(&body);
	if (ret < 0 || !head->is_keep_alive)
		client_close_keep(client, pool, error_r);
	else
		client->is_reused = true;
	return ret < 0 ? -1 : 1;
}

int dav_client_request(struct dav_client *client, const struct dav_request *req,
                       struct pool *pool, struct dav_response *resp_r,
                       const char **error_r)
{
	struct buf out;
	buf_init(&out);
	request_write(client, req, &out);
	*resp_r = (struct dav_response){0};
	int ret = request_once(client, req, &out, pool, resp_r, error_r);
	if (ret == 0)
		/* RFC 9112 §9.3.1: the server closed an idle connection */
		ret = request_once(client, req, &out, pool, resp_r, error_r);
	if (ret == 0) {
		*error_r = "the server closed the connection";
		ret = -1;
	}
	if (client->authorization != NULL)
		explicit_bzero(out.data, out.len);
	buf_deinit(&out);
	if (ret < 0) {
		*error_r = pool_printf(pool, "%s:%u: %s", client->host,
		                       client->port, *error_r);
		return -1;
	}
	return 0;
}
