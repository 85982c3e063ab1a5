/* The request-head parser: bytes are gathered into lines (CRLF only: a bare
 * LF or CR is refused, RFC 9112 §2.2), the request-line is checked against
 * RFC 9112 §3 and each field line against §5, and once the empty line
 * arrives the framing is decided by §6.3. Limits are checked while bytes
 * arrive, so an endless line is refused before it ends. */
#include "http/http_parser.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_syntax.h"

#include <stdlib.h>
#include <string.h>

#define HTTP_METHOD_MAX_LEN 32 /* longer than any method we implement */

enum http_parser_state {
	HTTP_PARSER_REQUEST_LINE,
	HTTP_PARSER_HEADERS,
	HTTP_PARSER_DONE,
};

struct http_parser {
	struct http_parser_settings set;
	struct pool *pool;
	struct http_request_head *head;
	enum http_parser_state state;
	struct buf line;     /* the line being gathered, without CRLF */
	bool has_cr;         /* the last byte was a CR */
	bool has_started;    /* a byte of the request-line arrived */
	bool has_method_sp;  /* the request-line's first SP arrived */
	size_t leading;      /* empty lines' bytes before the request-line */
	size_t header_bytes; /* field lines so far, with their CRLFs */
	unsigned status;
	const char *error;
};

struct http_parser *http_parser_new(const struct http_parser_settings *set)
{
	struct http_parser *parser = xcalloc(1, sizeof(*parser));
	if (set != NULL)
		parser->set = *set;
	if (parser->set.max_request_line == 0)
		parser->set.max_request_line = 8192;
	if (parser->set.max_header_bytes == 0)
		parser->set.max_header_bytes = 65536;
	if (parser->set.max_headers == 0)
		parser->set.max_headers = 100;
	buf_init(&parser->line);
	return parser;
}

void http_parser_free(struct http_parser **parserp)
{
	struct http_parser *parser = *parserp;
	if (parser == NULL)
		return;
	*parserp = NULL;
	buf_deinit(&parser->line);
	free(parser);
}

void http_parser_reset(struct http_parser *parser, struct pool *pool)
{
	parser->pool = pool;
	parser->head = pool_alloc(pool, sizeof(*parser->head));
	parser->state = HTTP_PARSER_REQUEST_LINE;
	buf_truncate(&parser->line, 0);
	parser->has_cr = false;
	parser->has_started = false;
	parser->has_method_sp = false;
	parser->leading = 0;
	parser->header_bytes = 0;
	parser->status = 0;
	parser->error = NULL;
}

bool http_parser_has_started(const struct http_parser *parser)
{
	return parser->has_started;
}

static int http_parser_fail(struct http_parser *parser, unsigned status,
                            const char *error)
{
	parser->status = status;
	parser->error = error;
	parser->state = HTTP_PARSER_DONE;
	return -1;
}

/* absolute-form = absolute-URI (RFC 9112 §3.2.2), of the http and https
 * schemes only: scheme "://" authority path-abempty [ "?" query ] */
static int http_parser_absolute_form(struct http_parser *parser,
                                     const char *target, size_t len)
{
	struct http_request_head *head = parser->head;
	const char *colon = memchr(target, ':', len);
	if (colon == NULL ||
	    !(http_str_eq_ci(target, (size_t)(colon - target), "http") ||
	      http_str_eq_ci(target, (size_t)(colon - target), "https")))
		return http_parser_fail(parser, 400, "bad request-target");
	const char *p = colon + 1, *end = target + len;
	if (end - p < 2 || p[0] != '/' || p[1] != '/')
		return http_parser_fail(parser, 400, "bad request-target");
	p += 2;
	const char *auth = p;
	while (p < end && *p != '/' && *p != '?')
		p++;
	/* RFC 9110 §4.2.4: userinfo is an error; §4.2.1: no empty host */
	if (memchr(auth, '@', (size_t)(p - auth)) != NULL ||
	    !http_is_authority(auth, (size_t)(p - auth), false))
		return http_parser_fail(parser, 400, "bad authority in target");
	head->authority = pool_strndup(parser->pool, auth, (size_t)(p - auth));
	const char *q = memchr(p, '?', (size_t)(end - p));
	const char *path_end = q != NULL ? q : end;
	if (!http_is_uri_part(p, (size_t)(path_end - p), "/") ||
	    (q != NULL &&
	     !http_is_uri_part(q + 1, (size_t)(end - q - 1), "/?")))
		return http_parser_fail(parser, 400, "bad request-target");
	head->path = path_end == p ? "/"
	                           : pool_strndup(parser->pool, p,
	                                          (size_t)(path_end - p));
	if (q != NULL)
		head->query =
		    pool_strndup(parser->pool, q + 1, (size_t)(end - q - 1));
	head->form = HTTP_TARGET_ABSOLUTE;
	return 0;
}

/* request-target = origin-form / absolute-form / authority-form /
 * asterisk-form (RFC 9112 §3.2) */
static int http_parser_target(struct http_parser *parser, const char *target,
                              size_t len)
{
	struct http_request_head *head = parser->head;
	bool is_connect = head->method_id == HTTP_METHOD_CONNECT;
	if (target[0] == '/' && !is_connect) {
		/* origin-form = absolute-path [ "?" query ] */
		const char *q = memchr(target, '?', len);
		size_t plen = q != NULL ? (size_t)(q - target) : len;
		if (!http_is_uri_part(target, plen, "/") ||
		    (q != NULL &&
		     !http_is_uri_part(q + 1, len - plen - 1, "/?")))
			return http_parser_fail(parser, 400,
			                        "bad request-target");
		head->form = HTTP_TARGET_ORIGIN;
		head->path = pool_strndup(parser->pool, target, plen);
		if (q != NULL)
			head->query =
			    pool_strndup(parser->pool, q + 1, len - plen - 1);
		return 0;
	}
	if (len == 1 && target[0] == '*') {
		/* asterisk-form = "*", for a server-wide OPTIONS only */
		if (head->method_id != HTTP_METHOD_OPTIONS)
			return http_parser_fail(
			    parser, 400, "asterisk-form without OPTIONS");
		head->form = HTTP_TARGET_ASTERISK;
		head->path = "*";
		return 0;
	}
	if (is_connect) {
		/* authority-form = uri-host ":" port */
		if (!http_is_authority(target, len, false) ||
		    memchr(target, '@', len) != NULL ||
		    target[len - 1] == ']' || memchr(target, ':', len) == NULL)
			return http_parser_fail(parser, 400,
			                        "bad authority-form");
		head->form = HTTP_TARGET_AUTHORITY;
		head->path = "";
		head->authority = pool_strndup(parser->pool, target, len);
		return 0;
	}
	return http_parser_absolute_form(parser, target, len);
}

/* request-line = method SP request-target SP HTTP-version
 * HTTP-version = HTTP-name "/" DIGIT "." DIGIT (RFC 9112 §2.3, §3) */
static int http_parser_request_line(struct http_parser *parser)
{
	struct http_request_head *head = parser->head;
	const char *line = parser->line.data;
	size_t len = parser->line.len;
	const char *sp1 = memchr(line, ' ', len);
	if (sp1 == NULL || sp1 == line ||
	    !http_is_token(line, (size_t)(sp1 - line)))
		return http_parser_fail(parser, 400, "bad request-line");
	const char *target = sp1 + 1;
	const char *sp2 = memchr(target, ' ', len - (size_t)(target - line));
	if (sp2 == NULL || sp2 == target)
		return http_parser_fail(parser, 400, "bad request-line");
	const char *version = sp2 + 1;
	size_t vlen = len - (size_t)(version - line);
	if (vlen != 8 || memcmp(version, "HTTP/", 5) != 0 || version[5] < '0' ||
	    version[5] > '9' || version[6] != '.' || version[7] < '0' ||
	    version[7] > '9')
		return http_parser_fail(parser, 400, "bad HTTP-version");
	if (version[5] != '1')
		return http_parser_fail(parser, 505,
		                        "HTTP version not supported");
	head->version_minor = (unsigned)(version[7] - '0');
	head->method = pool_strndup(parser->pool, line, (size_t)(sp1 - line));
	head->method_id = http_method_parse(line, (size_t)(sp1 - line));
	head->target =
	    pool_strndup(parser->pool, target, (size_t)(sp2 - target));
	head->authority = "";
	if (http_parser_target(parser, target, (size_t)(sp2 - target)) < 0)
		return -1;
	parser->state = HTTP_PARSER_HEADERS;
	return 0;
}

static bool http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5) */
static int http_parser_field_line(struct http_parser *parser)
{
	const char *line = parser->line.data;
	size_t len = parser->line.len;
	if (http_is_ows(line[0]))
		/* obs-fold, or whitespace after the start-line (§2.2, §5.2) */
		return http_parser_fail(parser, 400,
		                        "obs-fold or leading whitespace");
	if (parser->head->headers.count >= parser->set.max_headers)
		return http_parser_fail(parser, 431, "too many header fields");
	const char *colon = memchr(line, ':', len);
	if (colon == NULL)
		return http_parser_fail(parser, 400,
		                        "field line without colon");
	size_t name_len = (size_t)(colon - line);
	if (name_len == 0)
		return http_parser_fail(parser, 400, "bad field name");
	if (http_is_ows(colon[-1]))
		return http_parser_fail(parser, 400, "whitespace before colon");
	if (!http_is_token(line, name_len))
		return http_parser_fail(parser, 400, "bad field name");
	const char *value = colon + 1, *end = line + len;
	while (value < end && http_is_ows(*value))
		value++;
	while (end > value && http_is_ows(end[-1]))
		end--;
	for (const char *p = value; p < end; p++)
		if (!http_is_field_char((unsigned char)*p))
			return http_parser_fail(parser, 400,
			                        "bad character in field value");
	http_headers_add(&parser->head->headers, parser->pool, line, name_len,
	                 value, (size_t)(end - value));
	return 0;
}

/* Host = uri-host [ ":" port ] (RFC 9110 §7.2): exactly one in HTTP/1.1,
 * at most one in 1.0 (RFC 9112 §3.2). */
static int http_parser_check_host(struct http_parser *parser)
{
	struct http_request_head *head = parser->head;
	unsigned hosts = http_headers_count(&head->headers, "Host");
	if (hosts > 1)
		return http_parser_fail(parser, 400, "several Host fields");
	if (hosts == 0 && head->version_minor >= 1)
		return http_parser_fail(parser, 400, "no Host field");
	if (hosts == 0)
		return 0;
	const char *host = http_headers_get(&head->headers, "Host");
	if (!http_is_authority(host, strlen(host), true) ||
	    strchr(host, '@') != NULL)
		return http_parser_fail(parser, 400, "bad Host field");
	/* RFC 9112 §3.2.2: the absolute-form's authority wins. */
	if (head->form != HTTP_TARGET_ABSOLUTE &&
	    head->form != HTTP_TARGET_AUTHORITY)
		head->authority = host;
	return 0;
}

/* Transfer-Encoding = #transfer-coding (RFC 9112 §6.1). Only "chunked"
 * alone is understood; chunked must be the final coding (§6.3 item 4). */
static int http_parser_check_te(struct http_parser *parser)
{
	struct http_request_head *head = parser->head;
	if (head->version_minor == 0)
		/* §6.1: an HTTP/1.0 message with Transfer-Encoding has
		 * faulty framing. */
		return http_parser_fail(parser, 400,
		                        "Transfer-Encoding in HTTP/1.0");
	if (http_headers_count(&head->headers, "Content-Length") > 0)
		return http_parser_fail(
		    parser, 400, "Content-Length with Transfer-Encoding");
	const char *te = http_headers_join(&head->headers, parser->pool,
	                                   "Transfer-Encoding");
	const char *pos = te, *elem;
	size_t len;
	unsigned chunked = 0, others = 0;
	bool is_last_chunked = false;
	while (http_list_next(&pos, &elem, &len) > 0) {
		is_last_chunked = http_str_eq_ci(elem, len, "chunked");
		if (is_last_chunked)
			chunked++;
		else
			others++;
	}
	if (!is_last_chunked)
		return http_parser_fail(parser, 400,
		                        "chunked is not the final coding");
	if (chunked > 1)
		return http_parser_fail(parser, 400, "chunked applied twice");
	if (others > 0)
		return http_parser_fail(parser, 501,
		                        "transfer coding not implemented");
	head->framing = HTTP_FRAMING_CHUNKED;
	return 0;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6): one field line with one
 * value; lists and duplicates are refused (RFC 9112 §6.3 item 5). */
static int http_parser_check_length(struct http_parser *parser)
{
	struct http_request_head *head = parser->head;
	unsigned n = http_headers_count(&head->headers, "Content-Length");
	if (n == 0)
		return 0;
	if (n > 1)
		return http_parser_fail(parser, 400,
		                        "several Content-Length fields");
	const char *cl = http_headers_get(&head->headers, "Content-Length");
	uint64_t value = 0;
	if (*cl == '\0')
		return http_parser_fail(parser, 400, "bad Content-Length");
	for (const char *p = cl; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return http_parser_fail(parser, 400,
			                        "bad Content-Length");
		unsigned d = (unsigned)(*p - '0');
		if (value > (UINT64_MAX - d) / 10)
			return http_parser_fail(parser, 400,
			                        "Content-Length out of range");
		value = value * 10 + d;
	}
	head->content_length = value;
	head->framing = value > 0 ? HTTP_FRAMING_LENGTH : HTTP_FRAMING_NONE;
	return 0;
}

/* Connection (RFC 9112 §9.3) and Expect (RFC 9110 §10.1.1). */
static void http_parser_check_options(struct http_parser *parser)
{
	struct http_request_head *head = parser->head;
	const char *conn =
	    http_headers_join(&head->headers, parser->pool, "Connection");
	bool is_close = http_list_has_token(conn, "close");
	if (head->version_minor >= 1)
		head->is_keep_alive = !is_close;
	else
		head->is_keep_alive =
		    !is_close && http_list_has_token(conn, "keep-alive");
	/* An HTTP/1.0 100-continue MUST be ignored; so is anything else. */
	const char *expect =
	    http_headers_join(&head->headers, parser->pool, "Expect");
	if (expect == NULL || head->version_minor == 0)
		return;
	const char *pos = expect, *elem;
	size_t len;
	while (http_list_next(&pos, &elem, &len) > 0) {
		if (http_str_eq_ci(elem, len, "100-continue"))
			head->expect_continue = true;
		else
			head->has_bad_expect = true;
	}
	if (*expect == '\0')
		head->has_bad_expect = true;
}

static int http_parser_finish(struct http_parser *parser)
{
	if (http_parser_check_host(parser) < 0)
		return -1;
	if (http_headers_count(&parser->head->headers, "Transfer-Encoding") >
	    0) {
		if (http_parser_check_te(parser) < 0)
			return -1;
	} else if (http_parser_check_length(parser) < 0) {
		return -1;
	}
	http_parser_check_options(parser);
	parser->state = HTTP_PARSER_DONE;
	return 1;
}

/* A whole line (without its CRLF) is in parser->line. Returns 1 at the end
 * of the head, 0 to go on, -1 on a refusal. */
static int http_parser_line(struct http_parser *parser)
{
	if (parser->state == HTTP_PARSER_REQUEST_LINE) {
		if (parser->line.len == 0) {
			/* §2.2: ignore empty lines before the request-line,
			 * within the request-line's limit */
			parser->leading += 2;
			if (parser->leading > parser->set.max_request_line)
				return http_parser_fail(parser, 400,
				                        "too many empty lines");
			return 0;
		}
		return http_parser_request_line(parser);
	}
	parser->header_bytes += parser->line.len + 2;
	if (parser->line.len == 0)
		return http_parser_finish(parser);
	return http_parser_field_line(parser);
}

/* Checks the line gathered so far against the limits and, in the
 * request-line, the method's characters, so that garbage (a TLS hello on
 * the plain port) is refused at once. */
static int http_parser_check_partial(struct http_parser *parser, size_t from)
{
	const struct buf *line = &parser->line;
	if (parser->state == HTTP_PARSER_REQUEST_LINE) {
		parser->has_started = true;
		/* byte by byte, so that how the bytes were split never
		 * changes the answer */
		for (size_t i = from; i < line->len && !parser->has_method_sp;
		     i++) {
			unsigned char c = (unsigned char)line->data[i];
			if (c == ' ')
				parser->has_method_sp = true;
			else if (i >= HTTP_METHOD_MAX_LEN)
				/* RFC 9110 §9.1: longer than any we know */
				return http_parser_fail(
				    parser, 501, "method not implemented");
			else if (!http_is_tchar(c))
				return http_parser_fail(parser, 400,
				                        "bad request-line");
		}
		if (line->len + 2 > parser->set.max_request_line)
			return http_parser_fail(parser, 414,
			                        "request-line too long");
		return 0;
	}
	if (parser->header_bytes + line->len + 2 > parser->set.max_header_bytes)
		return http_parser_fail(parser, 431,
		                        "header section too large");
	return 0;
}

static int http_parser_step(struct http_parser *parser,
                            const unsigned char *data, size_t size, size_t *pos)
{
	size_t i = *pos;
	if (parser->has_cr) {
		parser->has_cr = false;
		if (data[i] != '\n')
			return http_parser_fail(parser, 400, "bare CR");
		*pos = i + 1;
		int ret = http_parser_line(parser);
		buf_truncate(&parser->line, 0);
		return ret;
	}
	if (data[i] == '\r') {
		parser->has_cr = true;
		*pos = i + 1;
		return 0;
	}
	if (data[i] == '\n')
		return http_parser_fail(parser, 400, "bare LF");
	size_t j = i;
	while (j < size && data[j] != '\r' && data[j] != '\n')
		j++;
	size_t from = parser->line.len;
	buf_append(&parser->line, data + i, j - i);
	*pos = j;
	return http_parser_check_partial(parser, from);
}

int http_parser_parse(struct http_parser *parser, const unsigned char *data,
                      size_t size, size_t *consumed_r,
                      struct http_request_head **head_r, unsigned *status_r,
                      const char **error_r)
{
	ASSERT(parser->state != HTTP_PARSER_DONE);
	size_t pos = 0;
	*consumed_r = 0;
	while (pos < size) {
		int ret = http_parser_step(parser, data, size, &pos);
		if (ret < 0) {
			*status_r = parser->status;
			*error_r = parser->error;
			return -1;
		}
		if (ret > 0) {
			*consumed_r = pos;
			*head_r = parser->head;
			return 1;
		}
	}
	*consumed_r = size;
	return 0;
}
