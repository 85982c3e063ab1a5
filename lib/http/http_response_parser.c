/* The response-head parser: bytes are gathered into lines (LF ends one, a
 * CR right before it is dropped, RFC 9112 §2.2), the status-line is checked
 * against §4 and each field line against §5, and once the empty line
 * arrives the body's framing is decided by §6.3. Limits are checked while
 * bytes arrive, so an endless line fails before it ends. */
#include "http/http_response_parser.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_syntax.h"

#include <stdlib.h>
#include <string.h>

enum http_response_state {
	HTTP_RESPONSE_STATUS_LINE,
	HTTP_RESPONSE_HEADERS,
	HTTP_RESPONSE_DONE,
};

struct http_response_parser {
	struct http_response_parser_settings set;
	struct pool *pool;
	struct http_response_head *head;
	enum http_response_state state;
	bool is_head;
	struct buf line;     /* the line being gathered, without its end */
	size_t header_bytes; /* field lines so far, with their ends */
	const char *error;
};

struct http_response_parser *
http_response_parser_new(const struct http_response_parser_settings *set)
{
	struct http_response_parser *parser = xcalloc(1, sizeof(*parser));
	if (set != NULL)
		parser->set = *set;
	if (parser->set.max_line == 0)
		parser->set.max_line = 16384;
	if (parser->set.max_header_bytes == 0)
		parser->set.max_header_bytes = 262144;
	if (parser->set.max_headers == 0)
		parser->set.max_headers = 200;
	buf_init(&parser->line);
	return parser;
}

void http_response_parser_free(struct http_response_parser **parserp)
{
	struct http_response_parser *parser = *parserp;
	if (parser == NULL)
		return;
	*parserp = NULL;
	buf_deinit(&parser->line);
	free(parser);
}

void http_response_parser_reset(struct http_response_parser *parser,
                                struct pool *pool, bool is_head)
{
	parser->pool = pool;
	parser->head = pool_alloc(pool, sizeof(*parser->head));
	parser->head->reason = "";
	parser->state = HTTP_RESPONSE_STATUS_LINE;
	parser->is_head = is_head;
	buf_truncate(&parser->line, 0);
	parser->header_bytes = 0;
	parser->error = NULL;
}

static int response_fail(struct http_response_parser *parser, const char *error)
{
	parser->error = error;
	parser->state = HTTP_RESPONSE_DONE;
	return -1;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ]
 * status-code = 3DIGIT (RFC 9112 §4). A missing SP after the code is
 * taken for an empty reason. */
static int response_status_line(struct http_response_parser *parser)
{
	struct http_response_head *head = parser->head;
	const char *line = parser->line.data;
	size_t len = parser->line.len;
	if (len < 12 || memcmp(line, "HTTP/", 5) != 0 || line[5] < '0' ||
	    line[5] > '9' || line[6] != '.' || line[7] < '0' || line[7] > '9' ||
	    line[8] != ' ')
		return response_fail(parser, "bad status-line");
	if (line[5] != '1')
		return response_fail(parser, "HTTP version not supported");
	head->version_minor = (unsigned)(line[7] - '0');
	unsigned status = 0;
	for (size_t i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return response_fail(parser, "bad status code");
		status = status * 10 + (unsigned)(line[i] - '0');
	}
	/* RFC 9110 §15: only 100 to 599 exist */
	if (status < 100 || status > 599)
		return response_fail(parser, "bad status code");
	if (len > 12 && line[12] != ' ')
		return response_fail(parser, "bad status-line");
	head->status = status;
	if (len > 13)
		head->reason = pool_strndup(parser->pool, line + 13, len - 13);
	parser->state = HTTP_RESPONSE_HEADERS;
	return 0;
}

/* obs-fold = OWS CRLF RWS (RFC 9112 §5.2): a user agent replaces it with
 * a space, so the line continues the last field's value. */
static int response_obs_fold(struct http_response_parser *parser)
{
	struct http_headers *headers = &parser->head->headers;
	if (headers->count == 0)
		/* §2.2: whitespace before the first field line */
		return response_fail(parser, "whitespace after status-line");
	const char *value = parser->line.data, *end = value + parser->line.len;
	while (value < end && is_ows(*value))
		value++;
	while (end > value && is_ows(end[-1]))
		end--;
	struct http_header *last = &headers->items[headers->count - 1];
	last->value =
	    pool_printf(parser->pool, "%s%s%.*s", last->value,
	                last->value[0] != '\0' && end > value ? " " : "",
	                (int)(end - value), value);
	return 0;
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5) */
static int response_field_line(struct http_response_parser *parser)
{
	const char *line = parser->line.data;
	size_t len = parser->line.len;
	if (is_ows(line[0]))
		return response_obs_fold(parser);
	if (parser->head->headers.count >= parser->set.max_headers)
		return response_fail(parser, "too many header fields");
	const char *colon = memchr(line, ':', len);
	if (colon == NULL)
		return response_fail(parser, "field line without colon");
	size_t name_len = (size_t)(colon - line);
	/* §5.1: whitespace before the colon is not allowed; a recipient
	 * that is not a server drops it */
	while (name_len > 0 && is_ows(line[name_len - 1]))
		name_len--;
	if (name_len == 0 || !http_is_token(line, name_len))
		return response_fail(parser, "bad field name");
	const char *value = colon + 1, *end = line + len;
	while (value < end && is_ows(*value))
		value++;
	while (end > value && is_ows(end[-1]))
		end--;
	for (const char *p = value; p < end; p++)
		if (*p == '\0')
			return response_fail(parser, "NUL in field value");
	http_headers_add(&parser->head->headers, parser->pool, line, name_len,
	                 value, (size_t)(end - value));
	return 0;
}

/* Transfer-Encoding = #transfer-coding (RFC 9112 §6.1, §6.3 item 4): a
 * final chunked is read as chunks; a final other coding runs until the
 * server closes; a coding before chunked cannot be undone here (we never
 * asked for one with TE). */
static int response_check_te(struct http_response_parser *parser)
{
	struct http_response_head *head = parser->head;
	const char *te = http_headers_join(&head->headers, parser->pool,
	                                   "Transfer-Encoding");
	const char *pos = te, *elem;
	size_t len;
	unsigned count = 0;
	bool is_last_chunked = false;
	while (http_list_next(&pos, &elem, &len) > 0) {
		is_last_chunked = http_str_eq_ci(elem, len, "chunked");
		count++;
	}
	/* §6.3 item 3: Transfer-Encoding overrides Content-Length, and the
	 * connection must not be used again */
	if (http_headers_count(&head->headers, "Content-Length") > 0)
		head->is_keep_alive = false;
	if (!is_last_chunked) {
		head->is_until_close = true;
		head->is_keep_alive = false;
		return 0;
	}
	if (count > 1)
		return response_fail(parser, "transfer coding not supported");
	head->framing = HTTP_FRAMING_CHUNKED;
	return 0;
}

/* Reads 1*DIGIT into *value_r. Returns 0, or -1 when it is not one or
 * passes 2^64. */
static int length_parse(const char *str, size_t len, uint64_t *value_r)
{
	uint64_t value = 0;
	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (str[i] < '0' || str[i] > '9')
			return -1;
		unsigned d = (unsigned)(str[i] - '0');
		if (value > (UINT64_MAX - d) / 10)
			return -1;
		value = value * 10 + d;
	}
	*value_r = value;
	return 0;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6). §6.3 item 5: several lines or
 * a list are fine when every value is the same; anything else fails. */
static int response_check_length(struct http_response_parser *parser)
{
	struct http_response_head *head = parser->head;
	const char *cl =
	    http_headers_join(&head->headers, parser->pool, "Content-Length");
	if (cl == NULL) {
		/* §6.3 item 8: the body runs until the server closes */
		head->is_until_close = true;
		head->is_keep_alive = false;
		return 0;
	}
	const char *pos = cl, *elem;
	size_t len;
	bool has_value = false;
	uint64_t value = 0;
	while (http_list_next(&pos, &elem, &len) > 0) {
		uint64_t v;
		if (length_parse(elem, len, &v) < 0 ||
		    (has_value && v != value))
			return response_fail(parser, "bad Content-Length");
		value = v;
		has_value = true;
	}
	if (!has_value)
		return response_fail(parser, "bad Content-Length");
	head->content_length = value;
	head->framing = value > 0 ? HTTP_FRAMING_LENGTH : HTTP_FRAMING_NONE;
	return 0;
}

static int response_finish(struct http_response_parser *parser)
{
	struct http_response_head *head = parser->head;
	const char *conn =
	    http_headers_join(&head->headers, parser->pool, "Connection");
	bool is_close = http_list_has_token(conn, "close");
	/* RFC 9112 §9.3 */
	head->is_keep_alive =
	    !is_close && (head->version_minor >= 1 ||
	                  http_list_has_token(conn, "keep-alive"));
	parser->state = HTTP_RESPONSE_DONE;
	/* §6.3 items 1 and 2: no body whatever the fields say */
	if (parser->is_head || head->status < 200 || head->status == 204 ||
	    head->status == 304)
		return 1;
	int ret = http_headers_count(&head->headers, "Transfer-Encoding") > 0
	              ? response_check_te(parser)
	              : response_check_length(parser);
	return ret < 0 ? -1 : 1;
}

/* A whole line (without its end) is in parser->line. Returns 1 at the end
 * of the head, 0 to go on, -1 on failure. */
static int response_line(struct http_response_parser *parser)
{
	if (memchr(parser->line.data, '\r', parser->line.len) != NULL)
		/* §2.2: a bare CR is invalid */
		return response_fail(parser, "bare CR");
	if (parser->state == HTTP_RESPONSE_STATUS_LINE)
		return response_status_line(parser);
	parser->header_bytes += parser->line.len + 2;
	if (parser->header_bytes > parser->set.max_header_bytes)
		return response_fail(parser, "header section too large");
	if (parser->line.len == 0)
		return response_finish(parser);
	return response_field_line(parser);
}

int http_response_parser_parse(struct http_response_parser *parser,
                               const unsigned char *data, size_t size,
                               size_t *consumed_r,
                               struct http_response_head **head_r,
                               const char **error_r)
{
	ASSERT(parser->state != HTTP_RESPONSE_DONE);
	size_t pos = 0;
	*consumed_r = 0;
	while (pos < size) {
		const unsigned char *lf = memchr(data + pos, '\n', size - pos);
		size_t end = lf != NULL ? (size_t)(lf - data) : size;
		buf_append(&parser->line, data + pos, end - pos);
		pos = end;
		if (parser->line.len + 2 > parser->set.max_line) {
			*error_r = "line too long";
			response_fail(parser, *error_r);
			return -1;
		}
		if (lf == NULL)
			break;
		pos++; /* the LF */
		if (parser->line.len > 0 &&
		    parser->line.data[parser->line.len - 1] == '\r')
			buf_truncate(&parser->line, parser->line.len - 1);
		int ret = response_line(parser);
		buf_truncate(&parser->line, 0);
		if (ret < 0) {
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
