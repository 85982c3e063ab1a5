/* The body decoders: a counter for Content-Length and a state machine for
 * chunked (RFC 9112 §7.1):
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 * Lines (the chunk-size line, trailer lines) are gathered into a buffer
 * with a limit; chunk data is handed out in place. */
#include "http/http_body.h"
#include "core/buf.h"
#include "core/xmalloc.h"
#include "http/http_syntax.h"

#include <stdlib.h>
#include <string.h>

enum http_body_state {
	HTTP_BODY_LENGTH,    /* counting Content-Length bytes */
	HTTP_BODY_SIZE_LINE, /* chunk-size [ chunk-ext ] CRLF */
	HTTP_BODY_DATA,      /* chunk-data */
	HTTP_BODY_DATA_CR,   /* the CR after chunk-data */
	HTTP_BODY_DATA_LF,   /* the LF after chunk-data */
	HTTP_BODY_TRAILER,   /* trailer-section lines, then CRLF */
	HTTP_BODY_DONE,
};

struct http_body {
	struct http_body_settings set;
	enum http_body_state state;
	uint64_t remaining; /* of the body (LENGTH) or of the chunk (DATA) */
	uint64_t size;      /* body bytes so far */
	struct buf line;
	bool has_cr;
	size_t trailer_bytes;
	unsigned trailers;
};

struct http_body *http_body_new(enum http_framing framing,
                                uint64_t content_length,
                                const struct http_body_settings *settings)
{
	struct http_body *body = xcalloc(1, sizeof(*body));
	if (settings != NULL)
		body->set = *settings;
	if (body->set.max_chunk_line == 0)
		body->set.max_chunk_line = 4096;
	if (body->set.max_trailer_bytes == 0)
		body->set.max_trailer_bytes = 16384;
	if (body->set.max_trailers == 0)
		body->set.max_trailers = 32;
	buf_init(&body->line);
	switch (framing) {
	case HTTP_FRAMING_LENGTH:
		body->state =
		    content_length > 0 ? HTTP_BODY_LENGTH : HTTP_BODY_DONE;
		body->remaining = content_length;
		break;
	case HTTP_FRAMING_CHUNKED:
		body->state = HTTP_BODY_SIZE_LINE;
		break;
	default:
		body->state = HTTP_BODY_DONE;
	}
	return body;
}

void http_body_free(struct http_body **bodyp)
{
	struct http_body *body = *bodyp;
	if (body == NULL)
		return;
	*bodyp = NULL;
	buf_deinit(&body->line);
	free(body);
}

bool http_body_is_done(const struct http_body *body)
{
	return body->state == HTTP_BODY_DONE;
}

uint64_t http_body_size(const struct http_body *body)
{
	return body->size;
}

static bool http_body_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 * chunk-ext-name = token; chunk-ext-val = token / quoted-string */
static bool http_body_chunk_ext(const char *p, const char *end)
{
	while (p < end) {
		/* BWS is allowed only before ";" or "=", never at the end */
		while (p < end && http_body_is_ows(*p))
			p++;
		if (p == end || *p++ != ';')
			return false;
		while (p < end && http_body_is_ows(*p))
			p++;
		const char *name = p;
		while (p < end && http_is_tchar((unsigned char)*p))
			p++;
		if (p == name)
			return false;
		const char *q = p;
		while (q < end && http_body_is_ows(*q))
			q++;
		if (q == end || *q != '=')
			continue;
		p = q + 1;
		while (p < end && http_body_is_ows(*p))
			p++;
		if (p < end && *p == '"') {
			size_t n = http_quoted_string_len(p, (size_t)(end - p));
			if (n == 0)
				return false;
			p += n;
			continue;
		}
		const char *val = p;
		while (p < end && http_is_tchar((unsigned char)*p))
			p++;
		if (p == val)
			return false;
	}
	return true;
}

/* chunk-size = 1*HEXDIG, then extensions. Returns 0 or -1. */
static int http_body_size_line(struct http_body *body, unsigned *status_r,
                               const char **error_r)
{
	const char *p = body->line.data, *end = p + body->line.len;
	uint64_t size = 0;
	const char *digits = p;
	for (; p < end && http_hex_value((unsigned char)*p) >= 0; p++) {
		if (size > (UINT64_MAX >> 4)) {
			*error_r = "chunk-size out of range";
			return -1;
		}
		size =
		    (size << 4) | (uint64_t)http_hex_value((unsigned char)*p);
	}
	if (p == digits) {
		*error_r = "bad chunk-size";
		return -1;
	}
	if (!http_body_chunk_ext(p, end)) {
		*error_r = "bad chunk extension";
		return -1;
	}
	if (body->set.max_size != 0 &&
	    (size > body->set.max_size ||
	     body->size > body->set.max_size - size)) {
		*status_r = 413;
		*error_r = "body too large";
		return -1;
	}
	body->remaining = size;
	body->state = size > 0 ? HTTP_BODY_DATA : HTTP_BODY_TRAILER;
	return 0;
}

/* trailer-section = *( field-line CRLF ), with the field line grammar of
 * RFC 9112 §5; the fields themselves are dropped. Returns 0 or -1. */
static int http_body_trailer_line(struct http_body *body, unsigned *status_r,
                                  const char **error_r)
{
	const char *line = body->line.data;
	size_t len = body->line.len;
	if (len == 0) {
		body->state = HTTP_BODY_DONE;
		return 0;
	}
	body->trailer_bytes += len + 2;
	if (++body->trailers > body->set.max_trailers) {
		*status_r = 431;
		*error_r = "too many trailer fields";
		return -1;
	}
	const char *colon = memchr(line, ':', len);
	if (http_body_is_ows(line[0]) || colon == NULL || colon == line ||
	    !http_is_token(line, (size_t)(colon - line))) {
		*error_r = "bad trailer field";
		return -1;
	}
	for (const char *p = colon + 1; p < line + len; p++)
		if (!http_is_field_char((unsigned char)*p)) {
			*error_r = "bad trailer field";
			return -1;
		}
	return 0;
}

/* Gathers a CRLF-terminated line; returns 1 when one is complete in
 * body->line, 0 when data ran out, -1 on a bare CR/LF or the limit. */
static int http_body_gather(struct http_body *body, const unsigned char *data,
                            size_t size, size_t *pos, size_t max,
                            unsigned *status_r, const char **error_r)
{
	while (*pos < size) {
		unsigned char c = data[(*pos)++];
		if (body->has_cr) {
			body->has_cr = false;
			if (c == '\n')
				return 1;
			*error_r = "bare CR in chunked framing";
			return -1;
		}
		if (c == '\r') {
			body->has_cr = true;
			continue;
		}
		if (c == '\n') {
			*error_r = "bare LF in chunked framing";
			return -1;
		}
		if (body->line.len + 3 > max) {
			*status_r =
			    body->state == HTTP_BODY_TRAILER ? 431 : 400;
			*error_r = body->state == HTTP_BODY_TRAILER
			               ? "trailer section too large"
			               : "chunk-size line too long";
			return -1;
		}
		buf_append_char(&body->line, (char)c);
	}
	return 0;
}

/* One step of a line state: gather, then act on a full line. */
static int http_body_line_step(struct http_body *body,
                               const unsigned char *data, size_t size,
                               size_t *pos, unsigned *status_r,
                               const char **error_r)
{
	bool is_trailer = body->state == HTTP_BODY_TRAILER;
	size_t max = is_trailer
	                 ? body->set.max_trailer_bytes - body->trailer_bytes
	                 : body->set.max_chunk_line;
	int ret =
	    http_body_gather(body, data, size, pos, max, status_r, error_r);
	if (ret <= 0)
		return ret;
	ret = is_trailer ? http_body_trailer_line(body, status_r, error_r)
	                 : http_body_size_line(body, status_r, error_r);
	buf_truncate(&body->line, 0);
	return ret;
}

static int http_body_data(struct http_body *body, const unsigned char *data,
                          size_t size, size_t *pos, const unsigned char **out_r,
                          size_t *out_size_r, unsigned *status_r,
                          const char **error_r)
{
	size_t n = size - *pos;
	if (n > body->remaining)
		n = (size_t)body->remaining;
	if (body->set.max_size != 0 && body->size + n > body->set.max_size) {
		*status_r = 413;
		*error_r = "body too large";
		return -1;
	}
	*out_r = data + *pos;
	*out_size_r = n;
	*pos += n;
	body->size += n;
	body->remaining -= n;
	if (body->remaining == 0)
		body->state = body->state == HTTP_BODY_LENGTH
		                  ? HTTP_BODY_DONE
		                  : HTTP_BODY_DATA_CR;
	return 0;
}

int http_body_read(struct http_body *body, const unsigned char *data,
                   size_t size, size_t *consumed_r, const unsigned char **out_r,
                   size_t *out_size_r, unsigned *status_r, const char **error_r)
{
	size_t pos = 0;
	int ret = 0;
	*consumed_r = 0;
	*out_r = data;
	*out_size_r = 0;
	*status_r = 400;
	if (body->state == HTTP_BODY_LENGTH && body->set.max_size != 0 &&
	    body->size + body->remaining > body->set.max_size) {
		*status_r = 413;
		*error_r = "body too large";
		return -1;
	}
	/* Framing is consumed until body bytes are found or data ends, so
	 * that each call returns at most one piece of body. */
	while (pos < size && *out_size_r == 0 && ret == 0) {
		switch (body->state) {
		case HTTP_BODY_LENGTH:
		case HTTP_BODY_DATA:
			ret = http_body_data(body, data, size, &pos, out_r,
			                     out_size_r, status_r, error_r);
			break;
		case HTTP_BODY_DATA_CR:
		case HTTP_BODY_DATA_LF:
			if (data[pos] !=
			    (body->state == HTTP_BODY_DATA_CR ? '\r' : '\n')) {
				*error_r = "chunk data not followed by CRLF";
				return -1;
			}
			pos++;
			body->state = body->state == HTTP_BODY_DATA_CR
			                  ? HTTP_BODY_DATA_LF
			                  : HTTP_BODY_SIZE_LINE;
			break;
		case HTTP_BODY_SIZE_LINE:
		case HTTP_BODY_TRAILER:
			ret = http_body_line_step(body, data, size, &pos,
			                          status_r, error_r);
			if (ret > 0)
				ret = 0;
			break;
		case HTTP_BODY_DONE:
			*consumed_r = pos;
			return pos > 0 ? 1 : 0;
		}
		if (ret < 0)
			return -1;
	}
	*consumed_r = pos;
	return pos > 0 ? 1 : 0;
}
