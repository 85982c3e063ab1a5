/* Responses: the decisions made when one is sent (preconditions, Range,
 * gzip, framing, persistence; RFC 9110 §13-§15, RFC 9112 §6, §9), the
 * head, and the body pump. A sized body (memory or file) is a list of
 * segments: the whole, one range, or the parts of multipart/byteranges
 * with their headers between; it is written a piece at a time while the
 * output has room and resumed from the drained callback. */
#include "http/http_server_private.h"
#include "core/conn.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_date.h"
#include "http/http_gzip.h"
#include "http/http_range.h"
#include "http/http_router.h"
#include "http/http_syntax.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HTTP_PIECE (64 * 1024)
#define HTTP_MAX_RANGES 16

const char *http_response_reason(unsigned status)
{
	static const struct {
		unsigned status;
		const char *reason;
	} reasons[] = {
	    {100, "Continue"},
	    {200, "OK"},
	    {201, "Created"},
	    {202, "Accepted"},
	    {204, "No Content"},
	    {206, "Partial Content"},
	    {207, "Multi-Status"},
	    {301, "Moved Permanently"},
	    {302, "Found"},
	    {303, "See Other"},
	    {304, "Not Modified"},
	    {307, "Temporary Redirect"},
	    {308, "Permanent Redirect"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {406, "Not Acceptable"},
	    {408, "Request Timeout"},
	    {409, "Conflict"},
	    {410, "Gone"},
	    {411, "Length Required"},
	    {412, "Precondition Failed"},
	    {413, "Content Too Large"},
	    {414, "URI Too Long"},
	    {415, "Unsupported Media Type"},
	    {416, "Range Not Satisfiable"},
	    {417, "Expectation Failed"},
	    {422, "Unprocessable Content"},
	    {423, "Locked"},
	    {429, "Too Many Requests"},
	    {431, "Request Header Fields Too Large"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {505, "HTTP Version Not Supported"},
	    {507, "Insufficient Storage"},
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "";
}

struct http_response *http_response_new(struct http_request *req,
                                        unsigned status)
{
	ASSERT(req->resp == NULL);
	ASSERT(status >= 200 && status <= 599);
	struct http_response *resp = xcalloc(1, sizeof(*resp));
	resp->req = req;
	resp->status = status;
	resp->fd = -1;
	buf_init(&resp->headers);
	buf_init(&resp->data);
	buf_init(&resp->piece);
	req->resp = resp;
	return resp;
}

void http_response_free(struct http_response **respp)
{
	struct http_response *resp = *respp;
	if (resp == NULL)
		return;
	*respp = NULL;
	buf_deinit(&resp->headers);
	buf_deinit(&resp->data);
	buf_deinit(&resp->piece);
	http_gzip_free(&resp->gzip);
	if (resp->fd >= 0)
		close(resp->fd);
	free(resp);
}

void http_response_add_header(struct http_response *resp, const char *name,
                              const char *fmt, ...)
{
	size_t nlen = strlen(name);
	ASSERT(http_is_token(name, nlen));
	/* the engine writes the framing and the date itself */
	ASSERT(!http_str_eq_ci(name, nlen, "Content-Length") &&
	       !http_str_eq_ci(name, nlen, "Transfer-Encoding") &&
	       !http_str_eq_ci(name, nlen, "Connection") &&
	       !http_str_eq_ci(name, nlen, "Date"));
	struct buf value;
	buf_init(&value);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&value, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < value.len; i++) {
		unsigned char c = (unsigned char)value.data[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			value.data[i] = '?';
	}
	if (http_str_eq_ci(name, nlen, "Content-Type")) {
		resp->type = pool_strdup(resp->req->pool, value.data);
	} else {
		if (http_str_eq_ci(name, nlen, "Content-Security-Policy"))
			resp->has_csp = true;
		if (http_str_eq_ci(name, nlen, "Content-Encoding"))
			resp->has_content_encoding = true;
		buf_printf(&resp->headers, "%s: %s\r\n", name, value.data);
	}
	buf_deinit(&value);
}

void http_response_set_type(struct http_response *resp, const char *type)
{
	http_response_add_header(resp, "Content-Type", "%s", type);
}

void http_response_set_validators(struct http_response *resp,
                                  const struct http_validators *v)
{
	resp->has_validators = true;
	resp->validators = *v;
	if (v->etag != NULL)
		resp->validators.etag = pool_strdup(resp->req->pool, v->etag);
}

void http_response_disable_gzip(struct http_response *resp)
{
	resp->is_gzip_disabled = true;
}

static void http_response_start(struct http_response *resp);

void http_response_send_empty(struct http_response *resp)
{
	http_response_start(resp);
}

void http_response_send_data(struct http_response *resp, const void *data,
                             size_t size)
{
	resp->source = HTTP_SOURCE_DATA;
	buf_append(&resp->data, data, size);
	resp->size = size;
	http_response_start(resp);
}

void http_response_send_text(struct http_response *resp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&resp->data, fmt, ap);
	va_end(ap);
	if (resp->type == NULL)
		resp->type = "text/plain; charset=utf-8";
	resp->source = HTTP_SOURCE_DATA;
	resp->size = resp->data.len;
	http_response_start(resp);
}

void http_response_send_file(struct http_response *resp, int fd, uint64_t size)
{
	resp->source = HTTP_SOURCE_FILE;
	resp->fd = fd;
	resp->size = size;
	http_response_start(resp);
}

void http_response_send_stream(struct http_response *resp,
                               http_response_produce_cb *produce, void *ctx)
{
	resp->source = HTTP_SOURCE_STREAM;
	resp->produce = produce;
	resp->produce_ctx = ctx;
	http_response_start(resp);
}

static void http_response_segments(struct http_response *resp, unsigned count)
{
	resp->segments =
	    pool_alloc(resp->req->pool, count * sizeof(*resp->segments));
	resp->segment_count = count;
}

/* §13.2.2 for GET and HEAD of a 200 with validators. */
static void http_response_conditional(struct http_response *resp)
{
	const struct http_request *req = resp->req;
	unsigned ret =
	    http_cond_evaluate(&req->head->headers, req->head->method_id,
	                       &resp->validators, time(NULL));
	if (ret == 0)
		return;
	resp->status = ret;
	buf_truncate(&resp->data, 0);
	resp->source = HTTP_SOURCE_NONE;
	if (ret == 412) {
		buf_append_str(&resp->data, "412 Precondition Failed\n");
		resp->source = HTTP_SOURCE_DATA;
		resp->size = resp->data.len;
		resp->type = "text/plain; charset=utf-8";
	}
}

/* A boundary for multipart/byteranges: not guessable from the content. */
static const char *http_response_boundary(struct http_response *resp)
{
	static unsigned counter;
	struct {
		uint64_t msecs, size;
		unsigned counter;
		int pid;
	} seed = {http_server_now_msecs(), resp->size, ++counter, getpid()};
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_hex(&seed, sizeof(seed), hex);
	return pool_printf(resp->req->pool, "postroom-%.24s", hex);
}

/* §14.6: the parts of a multipart/byteranges body. */
static void http_response_multipart(struct http_response *resp,
                                    const struct http_range *r, unsigned count)
{
	struct pool *pool = resp->req->pool;
	const char *boundary = http_response_boundary(resp);
	const char *type =
	    resp->type != NULL ? resp->type : "application/octet-stream";
	http_response_segments(resp, count * 2 + 1);
	for (unsigned i = 0; i < count; i++) {
		struct http_segment *head = &resp->segments[i * 2];
		head->text = pool_printf(
		    pool,
		    "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes "
		    "%" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n\r\n",
		    boundary, type, r[i].first, r[i].last, resp->size);
		head->len = strlen(head->text);
		resp->segments[i * 2 + 1].first = r[i].first;
		resp->segments[i * 2 + 1].len = r[i].last - r[i].first + 1;
	}
	struct http_segment *end = &resp->segments[count * 2];
	end->text = pool_printf(pool, "\r\n--%s--\r\n", boundary);
	end->len = strlen(end->text);
	resp->type =
	    pool_printf(pool, "multipart/byteranges; boundary=%s", boundary);
}

/* §14.2 for a GET of a sized 200: 206, 416, or the whole. */
static void http_response_range(struct http_response *resp)
{
	struct http_request *req = resp->req;
	const char *range = http_request_header_join(req, "Range");
	struct http_range *r;
	unsigned count;
	if (range == NULL ||
	    (resp->has_validators &&
	     !http_cond_if_range(&req->head->headers, &resp->validators,
	                         time(NULL))))
		return;
	int ret = http_range_parse(range, resp->size, HTTP_MAX_RANGES,
	                           req->pool, &r, &count);
	if (ret == 0)
		return;
	if (ret < 0) {
		resp->status = 416;
		buf_printf(&resp->headers,
		           "Content-Range: bytes */%" PRIu64 "\r\n",
		           resp->size);
		if (resp->fd >= 0)
			close(resp->fd);
		resp->fd = -1;
		buf_truncate(&resp->data, 0);
		buf_append_str(&resp->data, "416 Range Not Satisfiable\n");
		resp->source = HTTP_SOURCE_DATA;
		resp->size = resp->data.len;
		resp->type = "text/plain; charset=utf-8";
		return;
	}
	resp->status = 206;
	if (count == 1) {
		buf_printf(&resp->headers,
		           "Content-Range: bytes %" PRIu64 "-%" PRIu64
		           "/%" PRIu64 "\r\n",
		           r[0].first, r[0].last, resp->size);
		http_response_segments(resp, 1);
		resp->segments[0].first = r[0].first;
		resp->segments[0].len = r[0].last - r[0].first + 1;
	} else {
		http_response_multipart(resp, r, count);
	}
}

/* Decides gzip (§12.5.3) for a 200; returns true if the type varies by
 * Accept-Encoding. */
static bool http_response_gzip(struct http_response *resp)
{
	struct http_request *req = resp->req;
	if (resp->status != 200 || resp->source == HTTP_SOURCE_NONE ||
	    resp->is_gzip_disabled || resp->has_content_encoding ||
	    (req->route != NULL &&
	     (req->route->flags & HTTP_ROUTE_NO_GZIP) != 0) ||
	    !http_gzip_is_compressible(resp->type))
		return false;
	bool identity_refused;
	if (!http_gzip_is_accepted(
	        http_request_header_join(req, "Accept-Encoding"),
	        &identity_refused))
		return true;
	if (resp->source == HTTP_SOURCE_DATA &&
	    resp->size < req->srv->set.gzip_min_size && !identity_refused)
		return true;
	resp->gzip = http_gzip_new();
	if (resp->source == HTTP_SOURCE_DATA) {
		/* compressed now, so its length is known (and HEAD's too) */
		struct buf out;
		buf_init(&out);
		http_gzip_write(resp->gzip, resp->data.data, resp->data.len,
		                &out);
		http_gzip_finish(resp->gzip, &out);
		http_gzip_free(&resp->gzip);
		buf_deinit(&resp->data);
		resp->data = out;
		resp->size = out.len;
	}
	buf_append_str(&resp->headers, "Content-Encoding: gzip\r\n");
	/* §8.8.3: other bytes, so the strong validator becomes weak */
	const char *etag = resp->validators.etag;
	if (etag != NULL && etag[0] == '"')
		resp->validators.etag = pool_printf(req->pool, "W/%s", etag);
	return true;
}

/* Whether the connection ends with this response (RFC 9112 §9.3, §9.6). */
static bool http_response_will_close(const struct http_response *resp)
{
	const struct http_request *req = resp->req;
	const struct http_server_conn *srv = req->srv;
	if (req->must_close || srv->is_shutdown || req->head == NULL ||
	    !req->head->is_keep_alive)
		return true;
	return http_request_has_body(req) && !req->is_body_read &&
	       !http_request_can_discard(req);
}

static void http_response_write_head(struct http_response *resp,
                                     bool has_length, bool varies)
{
	struct http_request *req = resp->req;
	struct http_server_conn *srv = req->srv;
	struct buf out;
	char date[HTTP_DATE_LEN + 1];
	buf_init(&out);
	http_date_format(time(NULL), date);
	buf_printf(&out, "HTTP/1.1 %u %s\r\nDate: %s\r\n", resp->status,
	           http_response_reason(resp->status), date);
	if (resp->type != NULL && resp->status != 304)
		buf_printf(&out, "Content-Type: %s\r\n", resp->type);
	if (resp->validators.etag != NULL)
		buf_printf(&out, "ETag: %s\r\n", resp->validators.etag);
	if (resp->validators.last_modified != 0) {
		http_date_format(resp->validators.last_modified, date);
		buf_printf(&out, "Last-Modified: %s\r\n", date);
	}
	buf_append(&out, resp->headers.data, resp->headers.len);
	if (varies)
		buf_append_str(&out, "Vary: Accept-Encoding\r\n");
	if (resp->status == 200 && resp->source != HTTP_SOURCE_STREAM &&
	    resp->gzip == NULL && resp->source != HTTP_SOURCE_NONE)
		buf_append_str(&out, "Accept-Ranges: bytes\r\n");
	/* security fields on every response */
	buf_append_str(&out, "X-Content-Type-Options: nosniff\r\n"
	                     "Referrer-Policy: no-referrer\r\n");
	if (!resp->has_csp)
		buf_printf(&out, "Content-Security-Policy: %s\r\n",
		           req->route != NULL && req->route->csp != NULL
		               ? req->route->csp
		               : "frame-ancestors 'none'");
	if (conn_is_tls(srv->conn) && srv->set.hsts_max_age != 0)
		buf_printf(&out, "Strict-Transport-Security: max-age=%u\r\n",
		           srv->set.hsts_max_age);
	if (has_length)
		buf_printf(&out, "Content-Length: %" PRIu64 "\r\n", resp->size);
	else if (resp->is_chunked)
		buf_append_str(&out, "Transfer-Encoding: chunked\r\n");
	if (req->must_close)
		buf_append_str(&out, "Connection: close\r\n");
	else if (req->head->version_minor == 0)
		buf_append_str(&out, "Connection: keep-alive\r\n");
	buf_append_str(&out, "\r\n");
	conn_write(srv->conn, out.data, out.len);
	buf_deinit(&out);
}

static void http_response_start(struct http_response *resp)
{
	struct http_request *req = resp->req;
	const struct http_request_head *head = req->head;
	ASSERT(!resp->is_sending);
	bool is_get = head != NULL && head->method_id == HTTP_METHOD_GET;
	bool is_head = head != NULL && head->method_id == HTTP_METHOD_HEAD;
	if (resp->status == 204 || resp->status == 304) {
		resp->source = HTTP_SOURCE_NONE;
		buf_truncate(&resp->data, 0);
	}
	if (resp->has_validators && resp->status == 200 && (is_get || is_head))
		http_response_conditional(resp);
	if (resp->status == 200 && is_get &&
	    (resp->source == HTTP_SOURCE_DATA ||
	     resp->source == HTTP_SOURCE_FILE))
		http_response_range(resp);
	bool varies = http_response_gzip(resp);
	bool is_sized =
	    resp->source == HTTP_SOURCE_DATA ||
	    (resp->source == HTTP_SOURCE_FILE && resp->gzip == NULL);
	if (is_sized && resp->segments == NULL) {
		http_response_segments(resp, 1);
		resp->segments[0].len = resp->size;
	}
	if (resp->segments != NULL) {
		resp->size = 0;
		for (unsigned i = 0; i < resp->segment_count; i++)
			resp->size += resp->segments[i].len;
	}
	/* unknown length: chunked, or to HTTP/1.0 until the close; for
	 * HEAD there is no length to tell */
	bool is_unsized =
	    !is_sized && resp->source != HTTP_SOURCE_NONE && !is_head;
	resp->is_chunked =
	    is_unsized && head != NULL && head->version_minor >= 1;
	if (http_response_will_close(resp) || (is_unsized && !resp->is_chunked))
		req->must_close = true;
	req->status = resp->status;
	bool has_length =
	    is_sized || (resp->source == HTTP_SOURCE_NONE &&
	                 resp->status != 204 && resp->status != 304);
	http_response_write_head(resp, has_length, varies);
	resp->is_sending = true;
	if (is_head || resp->source == HTTP_SOURCE_NONE) {
		resp->is_done = true;
		resp->is_sending = false;
		http_server_request_finished(req->srv);
		return;
	}
	http_response_pump(resp);
}

/* Writes body bytes: through gzip if on, then in a chunk if chunked. */
static void http_response_emit(struct http_response *resp, const void *data,
                               size_t size)
{
	struct conn *conn = resp->req->srv->conn;
	if (resp->gzip != NULL) {
		buf_truncate(&resp->piece, 0);
		http_gzip_write(resp->gzip, data, size, &resp->piece);
		data = resp->piece.data;
		size = resp->piece.len;
	}
	if (size == 0)
		return;
	if (resp->is_chunked) {
		char line[24];
		snprintf(line, sizeof(line), "%zx\r\n", size);
		conn_write_str(conn, line);
		conn_write(conn, data, size);
		conn_write(conn, "\r\n", 2);
	} else {
		conn_write(conn, data, size);
	}
	resp->req->bytes += size;
}

static void http_response_end_body(struct http_response *resp)
{
	struct conn *conn = resp->req->srv->conn;
	if (resp->gzip != NULL) {
		struct buf tail;
		buf_init(&tail);
		http_gzip_finish(resp->gzip, &tail);
		http_gzip_free(&resp->gzip);
		http_response_emit(resp, tail.data, tail.len);
		buf_deinit(&tail);
	}
	if (resp->is_chunked)
		conn_write_str(conn, "0\r\n\r\n");
	resp->is_done = true;
}

void http_response_write(struct http_response *resp, const void *data,
                         size_t size)
{
	ASSERT(resp->is_sending && resp->source == HTTP_SOURCE_STREAM);
	resp->produced += size;
	http_response_emit(resp, data, size);
}

void http_response_resume(struct http_response *resp)
{
	if (!resp->is_waiting)
		return;
	resp->is_waiting = false;
	http_response_pump(resp);
}

/* The next piece of a sized body. Returns 0, or -1 if the file failed. */
static int http_response_next_segment(struct http_response *resp)
{
	if (resp->segment == resp->segment_count) {
		http_response_end_body(resp);
		return 0;
	}
	struct http_segment *seg = &resp->segments[resp->segment];
	uint64_t left = seg->len - resp->segment_pos;
	size_t n = left > HTTP_PIECE ? HTTP_PIECE : (size_t)left;
	uint64_t at = seg->first + resp->segment_pos;
	if (seg->text != NULL) {
		http_response_emit(resp, seg->text, n);
	} else if (resp->source == HTTP_SOURCE_DATA) {
		http_response_emit(resp, resp->data.data + at, n);
	} else {
		char *tmp = xmalloc(n);
		ssize_t got = pread(resp->fd, tmp, n, (off_t)at);
		if (got <= 0) {
			log_error(resp->req->srv->log, "http file read: %s",
			          got < 0 ? strerror(errno) : "file shrank");
			free(tmp);
			return -1;
		}
		n = (size_t)got;
		http_response_emit(resp, tmp, n);
		free(tmp);
	}
	resp->segment_pos += n;
	if (resp->segment_pos == seg->len) {
		resp->segment++;
		resp->segment_pos = 0;
	}
	return 0;
}

/* Streams the rest of the file through gzip (length unknown). */
static int http_response_next_file(struct http_response *resp)
{
	if (resp->segment_pos == resp->size) {
		http_response_end_body(resp);
		return 0;
	}
	uint64_t left = resp->size - resp->segment_pos;
	size_t n = left > HTTP_PIECE ? HTTP_PIECE : (size_t)left;
	char *tmp = xmalloc(n);
	ssize_t got = pread(resp->fd, tmp, n, (off_t)resp->segment_pos);
	if (got <= 0) {
		log_error(resp->req->srv->log, "http file read: %s",
		          got < 0 ? strerror(errno) : "file shrank");
		free(tmp);
		return -1;
	}
	http_response_emit(resp, tmp, (size_t)got);
	free(tmp);
	resp->segment_pos += (uint64_t)got;
	return 0;
}

static int http_response_next(struct http_response *resp)
{
	if (resp->source == HTTP_SOURCE_STREAM) {
		uint64_t before = resp->produced;
		switch (resp->produce(resp, resp->produce_ctx)) {
		case HTTP_PRODUCE_MORE:
			/* MORE must write, or this would spin */
			ASSERT(resp->produced != before);
			return 0;
		case HTTP_PRODUCE_WAIT:
			resp->is_waiting = true;
			return 0;
		case HTTP_PRODUCE_DONE:
			http_response_end_body(resp);
			return 0;
		default:
			return -1;
		}
	}
	if (resp->segments != NULL)
		return http_response_next_segment(resp);
	return http_response_next_file(resp);
}

void http_response_pump(struct http_response *resp)
{
	struct http_request *req = resp->req;
	struct http_server_conn *srv = req->srv;
	while (!resp->is_done) {
		if (srv->is_closing || resp->is_waiting ||
		    conn_output_is_full(srv->conn))
			return;
		if (http_response_next(resp) < 0) {
			/* the head is out: all we can do is stop short */
			req->must_close = true;
			req->error = "body failed";
			http_server_close(srv, "response body failed");
			return;
		}
	}
	resp->is_sending = false;
	http_server_request_finished(srv);
}
