/* The reply parser of http_fetch.h: a whole response held in memory,
 * parsed again as more of it arrives (a document of a few kilobytes). The
 * status line and field lines (RFC 9112 §4, §5) are checked strictly:
 * field names are tokens, values field characters, obsolete line folding
 * and a bare CR are refused; interim 1xx responses are skipped (RFC 9110
 * §15.2); the body is framed as RFC 9112 §6.3 says, chunked (§7.1, chunk
 * extensions and trailers read and dropped), else by one Content-Length,
 * else by the close. */
#include "http/http_fetch.h"
#include "http/http_syntax.h"
#include "core/buf.h"
#include "core/pool.h"

#include <stdint.h>
#include <string.h>

struct fetch_head {
	unsigned status;
	const char *content_type;
	bool is_chunked, has_length;
	uint64_t length;
	size_t end; /* of the head, past its empty line */
};

/* Finds the end of a line from pos: returns the offset of its LF (the
 * line is data[pos..lf), a CR before it dropped by the caller), or
 * SIZE_MAX when none is there yet. */
static size_t line_end(const unsigned char *data, size_t size, size_t pos)
{
	const unsigned char *lf = memchr(data + pos, '\n', size - pos);
	return lf != NULL ? (size_t)(lf - data) : SIZE_MAX;
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] */
static int status_line(const unsigned char *p, size_t len, unsigned *status_r)
{
	if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' ||
	    p[7] > '9' || p[8] != ' ')
		return -1;
	unsigned s = 0;
	for (size_t i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		s = s * 10 + (unsigned)(p[i] - '0');
	}
	if (s < 100 || (len > 12 && p[12] != ' '))
		return -1;
	for (size_t i = 13; i < len; i++) {
		if (!http_is_field_char(p[i]) && p[i] < 0x80)
			return -1;
	}
	*status_r = s;
	return 0;
}

/* field-line = field-name ":" OWS field-value OWS */
static int field_line(const unsigned char *p, size_t len, struct pool *pool,
                      struct fetch_head *h, const char **error_r)
{
	const unsigned char *colon = memchr(p, ':', len);
	if (colon == NULL ||
	    !http_is_token((const char *)p, (size_t)(colon - p))) {
		*error_r = "bad field line";
		return -1;
	}
	size_t nlen = (size_t)(colon - p), vs = nlen + 1, ve = len;
	while (vs < ve && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
		ve--;
	for (size_t i = vs; i < ve; i++) {
		if (!http_is_field_char(p[i]) && p[i] < 0x80) {
			*error_r = "bad field value";
			return -1;
		}
	}
	const char *name = (const char *)p, *value = (const char *)p + vs;
	size_t vlen = ve - vs;
	if (http_str_eq_ci(name, nlen, "content-type")) {
		h->content_type = pool_strndup(pool, value, vlen);
	} else if (http_str_eq_ci(name, nlen, "content-length")) {
		/* 1*DIGIT; a list of equal values is one (RFC 9110 §8.6) */
		char *v = pool_strndup(pool, value, vlen);
		const char *pos = v, *elem;
		size_t elen;
		while (http_list_next(&pos, &elem, &elen) == 1) {
			uint64_t n = 0;
			if (elen == 0 || elen > 15) {
				*error_r = "bad Content-Length";
				return -1;
			}
			for (size_t i = 0; i < elen; i++) {
				if (elem[i] < '0' || elem[i] > '9') {
					*error_r = "bad Content-Length";
					return -1;
				}
				n = n * 10 + (uint64_t)(elem[i] - '0');
			}
			if (h->has_length && n != h->length) {
				*error_r = "conflicting Content-Length";
				return -1;
			}
			h->has_length = true;
			h->length = n;
		}
	} else if (http_str_eq_ci(name, nlen, "transfer-encoding")) {
		/* only chunked, the last and only coding we read */
		if (!http_str_eq_ci(value, vlen, "chunked")) {
			*error_r = "transfer coding other than chunked";
			return -1;
		}
		h->is_chunked = true;
	}
	return 0;
}

/* One response head from pos. Returns 1 with h, 0 for more, -1. */
static int head_parse(const unsigned char *data, size_t size, size_t pos,
                      struct pool *pool, struct fetch_head *h,
                      const char **error_r)
{
	memset(h, 0, sizeof(*h));
	for (bool first = true;; first = false) {
		size_t lf = line_end(data, size, pos);
		if (lf == SIZE_MAX) {
			if (size - pos > HTTP_FETCH_HEAD_MAX) {
				*error_r = "response head too long";
				return -1;
			}
			return 0;
		}
		size_t end = lf > pos && data[lf - 1] == '\r' ? lf - 1 : lf;
		const unsigned char *p = data + pos;
		size_t len = end - pos;
		if (memchr(p, '\r', len) != NULL) {
			*error_r = "bare CR";
			return -1;
		}
		pos = lf + 1;
		if (first) {
			if (status_line(p, len, &h->status) < 0) {
				*error_r = "bad status line";
				return -1;
			}
		} else if (len == 0) {
			h->end = pos;
			return 1;
		} else if (p[0] == ' ' || p[0] == '\t') {
			*error_r = "obsolete line folding";
			return -1;
		} else if (field_line(p, len, pool, h, error_r) < 0) {
			return -1;
		}
	}
}

/* chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 §7.1)
 * Returns 1 when complete, 0 for more, -1. */
static int chunked_parse(const unsigned char *data, size_t size, size_t pos,
                         size_t max_body, struct buf *body,
                         const char **error_r)
{
	for (;;) {
		size_t lf = line_end(data, size, pos);
		if (lf == SIZE_MAX)
			return 0;
		/* chunk-size [ chunk-ext ] CRLF */
		uint64_t n = 0;
		size_t i = pos, digits = 0;
		for (; i < lf && http_hex_value(data[i]) >= 0; i++, digits++) {
			if (digits >= 15) {
				*error_r = "chunk too large";
				return -1;
			}
			n = n * 16 + (uint64_t)http_hex_value(data[i]);
		}
		if (digits == 0 ||
		    (i < lf && data[i] != ';' && data[i] != '\r' &&
		     data[i] != ' ' && data[i] != '\t')) {
			*error_r = "bad chunk size";
			return -1;
		}
		pos = lf + 1;
		if (n == 0)
			break;
		if (n > max_body || body->len + n > max_body) {
			*error_r = "body too large";
			return -1;
		}
		if (size - pos < n + 2)
			return 0;
		buf_append(body, data + pos, (size_t)n);
		pos += (size_t)n;
		if (data[pos] == '\r' && data[pos + 1] == '\n')
			pos += 2;
		else if (data[pos] == '\n')
			pos += 1;
		else {
			*error_r = "chunk without CRLF";
			return -1;
		}
	}
	/* trailer-section: field lines up to the empty one, dropped */
	for (;;) {
		size_t lf = line_end(data, size, pos);
		if (lf == SIZE_MAX)
			return 0;
		size_t len = lf - pos;
		pos = lf + 1;
		if (len == 0 || (len == 1 && data[lf - 1] == '\r'))
			return 1;
	}
}

int http_fetch_parse(const unsigned char *data, size_t size, bool is_eof,
                     size_t max_body, struct pool *pool,
                     struct http_fetch_reply *reply, const char **error_r)
{
	struct fetch_head h;
	size_t pos = 0;
	int ret;
	/* interim responses first (RFC 9110 §15.2) */
	while ((ret = head_parse(data, size, pos, pool, &h, error_r)) == 1 &&
	       h.status < 200)
		pos = h.end;
	if (ret <= 0) {
		if (ret == 0 && is_eof) {
			*error_r = "closed before the end of the head";
			return -1;
		}
		return ret;
	}
	reply->status = h.status;
	reply->content_type = h.content_type;
	buf_truncate(&reply->body, 0);
	size_t rest = size - h.end;
	if (h.is_chunked) {
		ret = chunked_parse(data, size, h.end, max_body, &reply->body,
		                    error_r);
		if (ret == 0 && is_eof) {
			*error_r = "closed inside the chunked body";
			ret = -1;
		}
		return ret;
	}
	if (h.status == 204 || h.status == 304)
		return 1;
	if (h.has_length) {
		if (h.length > max_body) {
			*error_r = "body too large";
			return -1;
		}
		if (rest < h.length) {
			if (is_eof) {
				*error_r = "closed before Content-Length";
				return -1;
			}
			return 0;
		}
		buf_append(&reply->body, data + h.end, (size_t)h.length);
		return 1;
	}
	if (rest > max_body) {
		*error_r = "body too large";
		return -1;
	}
	if (!is_eof)
		return 0;
	buf_append(&reply->body, data + h.end, rest);
	return 1;
}
