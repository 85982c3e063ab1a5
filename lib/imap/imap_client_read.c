/* Reading server responses for the client engine (RFC 9051 §7, §9
 * "response"): a response is read whole, line by line with its literals
 * ({n} and the binary ~{n} of RFC 3516 §4.3) stored inline, each followed
 * by a NUL so that a literal value points into the buffer without a copy.
 * Limits: max_line per line, max_literal per literal, twice max_literal
 * plus max_line in all, IMAP_CLIENT_MAX_DEPTH nested lists. */
#include "core/pool.h"
#include "core/tls_stream.h"
#include "imap/imap_client_private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rparser {
	const char *p, *end;
	struct pool *pool;
	unsigned depth;
	const char *error;
};

/* If line (len bytes) ends with a literal announcement "{n}", "{n+}" or
 * "~{n}", returns true with its size in *size_r. */
static bool line_literal(const char *line, size_t len, uint64_t *size_r)
{
	if (len < 3 || line[len - 1] != '}')
		return false;
	size_t i = len - 1;
	if (line[i - 1] == '+')
		i--;
	size_t digits_end = i;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == digits_end || i == 0 || line[i - 1] != '{' ||
	    digits_end - i > 19)
		return false;
	uint64_t n = 0;
	for (size_t k = i; k < digits_end; k++)
		n = n * 10 + (uint64_t)(line[k] - '0');
	*size_r = n;
	return true;
}

/* Is line a status response or a continuation, whose text may end in
 * "{5}" without that being a literal (RFC 9051 §7.1 resp-text)?
 *   resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
 *   resp-cond-bye / greeting / continue-req = "+" SP resp-text */
static bool line_is_status(const char *line, size_t len)
{
	static const char *const words[] = { "OK ", "NO ", "BAD ", "BYE ",
		                             "PREAUTH " };
	if (len > 0 && line[0] == '+')
		return true;
	const char *sp = memchr(line, ' ', len);
	if (sp == NULL)
		return false;
	size_t rest = len - (size_t)(sp + 1 - line);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);
		if (rest >= n && strncasecmp(sp + 1, words[i], n) == 0)
			return true;
	}
	return false;
}

static int read_fail(struct imap_client *c, const char *error,
                     const char **error_r)
{
	c->is_broken = true;
	*error_r = error;
	return -1;
}

/* Reads lines and literals of one response into c->raw. */
static int read_raw(struct imap_client *c, const char **error_r)
{
	size_t total_max = c->set.max_literal * 2 + c->set.max_line;
	buf_truncate(&c->raw, 0);
	for (;;) {
		const char *line, *error;
		size_t len;
		int ret = tls_stream_read_line(c->stream, c->set.max_line,
		                               &line, &len, &error);
		if (ret <= 0)
			return read_fail(c, ret == 0 ? "connection closed" :
			                               error, error_r);
		buf_append(&c->raw, line, len);
		buf_append_char(&c->raw, '\n');
		uint64_t size;
		/* only a response's first line can be a status response;
		 * after a literal the line goes on with data */
		bool is_first = c->raw.len == len + 1;
		if ((is_first && line_is_status(line, len)) ||
		    !line_literal(line, len, &size))
			return 0;
		if (size > c->set.max_literal)
			return read_fail(c, "literal too large", error_r);
		if (c->raw.len + size > total_max)
			return read_fail(c, "response too large", error_r);
		if (tls_stream_read_exact(c->stream, size, &c->raw, &error) < 0)
			return read_fail(c, error, error_r);
		buf_append_char(&c->raw, '\0');
	}
}

int imap_client_read_response(struct imap_client *c,
                              struct imap_client_resp *r,
                              const char **error_r)
{
	pool_clear(c->resp_pool);
	if (read_raw(c, error_r) < 0)
		return -1;
	if (imap_client_parse_raw(c->raw.data, c->raw.len, c->resp_pool, r,
	                          error_r) < 0) {
		c->is_broken = true;
		return -1;
	}
	return 0;
}

/* ---- Parsing the raw response ------------------------------------------ */

static bool is_atom_char(unsigned char c)
{
	/* ATOM-CHAR plus "]" and the list wildcards, which appear in flags
	 * ("\*") and sections; "[" opens a section read as part of the atom
	 * (RFC 9051 §9 msg-att-static "BODY" section). */
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '"' &&
	       c != '{';
}

static int perr(struct rparser *rp, const char *error)
{
	rp->error = error;
	return -1;
}

/* atom = 1*ATOM-CHAR, here also "BODY[HEADER.FIELDS (A B)]<0>" */
static int parse_atom(struct rparser *rp, struct imap_value *v)
{
	const char *start = rp->p;
	while (rp->p < rp->end && is_atom_char((unsigned char)*rp->p)) {
		if (*rp->p++ != '[')
			continue;
		while (rp->p < rp->end && *rp->p != ']' && *rp->p != '\n')
			rp->p++;
		if (rp->p == rp->end || *rp->p != ']')
			return perr(rp, "unterminated section");
		rp->p++;
	}
	if (rp->p == start)
		return perr(rp, "unexpected character");
	v->len = (size_t)(rp->p - start);
	v->str = pool_strndup(rp->pool, start, v->len);
	v->type = v->len == 3 && strncasecmp(start, "NIL", 3) == 0 ?
	              IMAP_VALUE_NIL : IMAP_VALUE_ATOM;
	return 0;
}

/* quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR allows "\\" and "\"" */
static int parse_quoted(struct rparser *rp, struct imap_value *v)
{
	struct buf b;
	buf_init(&b);
	rp->p++;
	while (rp->p < rp->end && *rp->p != '"') {
		char ch = *rp->p++;
		if (ch == '\n' || ch == '\r' || ch == '\0')
			break;
		if (ch == '\\') {
			if (rp->p == rp->end ||
			    (*rp->p != '\\' && *rp->p != '"'))
				break;
			ch = *rp->p++;
		}
		buf_append_char(&b, ch);
	}
	if (rp->p == rp->end || *rp->p != '"') {
		buf_deinit(&b);
		return perr(rp, "bad quoted string");
	}
	rp->p++;
	v->type = IMAP_VALUE_STRING;
	v->len = b.len;
	v->str = pool_strndup(rp->pool, b.data, b.len);
	buf_deinit(&b);
	return 0;
}

/* literal = "{" number64 ["+"] "}" CRLF *CHAR8; literal8 = "~{" ... */
static int parse_literal(struct rparser *rp, struct imap_value *v)
{
	if (*rp->p == '~')
		rp->p++;
	if (rp->p == rp->end || *rp->p != '{')
		return perr(rp, "bad literal");
	uint64_t n = 0;
	size_t digits = 0;
	for (rp->p++; rp->p < rp->end && *rp->p >= '0' && *rp->p <= '9';
	     rp->p++, digits++)
		n = n * 10 + (uint64_t)(*rp->p - '0');
	if (rp->p < rp->end && *rp->p == '+')
		rp->p++;
	if (digits == 0 || digits > 19 || rp->end - rp->p < 2 ||
	    rp->p[0] != '}' || rp->p[1] != '\n')
		return perr(rp, "bad literal");
	rp->p += 2;
	if ((uint64_t)(rp->end - rp->p) < n + 1 || rp->p[n] != '\0')
		return perr(rp, "bad literal");
	v->type = IMAP_VALUE_STRING;
	v->str = rp->p; /* NUL-terminated by the reader */
	v->len = (size_t)n;
	rp->p += n + 1;
	return 0;
}

static int parse_values(struct rparser *rp, char close,
                        const struct imap_value **list_r, size_t *count_r);

static int parse_value(struct rparser *rp, struct imap_value *v)
{
	switch (*rp->p) {
	case '"':
		return parse_quoted(rp, v);
	case '{':
	case '~':
		return parse_literal(rp, v);
	case '(':
		if (++rp->depth > IMAP_CLIENT_MAX_DEPTH)
			return perr(rp, "lists nested too deeply");
		rp->p++;
		v->type = IMAP_VALUE_LIST;
		if (parse_values(rp, ')', &v->list, &v->count) < 0)
			return -1;
		rp->depth--;
		return 0;
	default:
		return parse_atom(rp, v);
	}
}

/* Values separated by SP up to close (')' or the end of the line '\n'). */
static int parse_values(struct rparser *rp, char close,
                        const struct imap_value **list_r, size_t *count_r)
{
	struct imap_value *items = NULL;
	size_t count = 0, cap = 0;
	int ret = 0;
	for (;;) {
		while (rp->p < rp->end && *rp->p == ' ')
			rp->p++;
		if (rp->p == rp->end) {
			ret = perr(rp, "unexpected end of response");
			break;
		}
		if (*rp->p == close) {
			rp->p++;
			break;
		}
		if (*rp->p == '\n' || *rp->p == ')') {
			ret = perr(rp, "unbalanced parentheses");
			break;
		}
		if (count == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			struct imap_value *n =
			    pool_alloc(rp->pool, cap * sizeof(*n));
			if (count > 0)
				memcpy(n, items, count * sizeof(*n));
			items = n;
		}
		memset(&items[count], 0, sizeof(items[count]));
		if ((ret = parse_value(rp, &items[count])) < 0)
			break;
		count++;
	}
	*list_r = items;
	*count_r = count;
	return ret;
}

/* resp-text = ["[" resp-text-code "]" SP] [text] */
static int parse_resp_text(struct rparser *rp, struct imap_response *resp)
{
	if (rp->p < rp->end && *rp->p == ' ')
		rp->p++;
	const char *nl = memchr(rp->p, '\n', (size_t)(rp->end - rp->p));
	if (nl == NULL || (size_t)(rp->end - nl) != 1)
		return perr(rp, "literal in response text");
	if (memchr(rp->p, '\0', (size_t)(nl - rp->p)) != NULL)
		return perr(rp, "NUL in response text");
	if (*rp->p == '[') {
		const char *close = memchr(rp->p, ']', (size_t)(nl - rp->p));
		if (close == NULL)
			return perr(rp, "unterminated response code");
		resp->code = pool_strndup(rp->pool, rp->p + 1,
		                          (size_t)(close - rp->p - 1));
		rp->p = close + 1;
		if (rp->p < nl && *rp->p == ' ')
			rp->p++;
	}
	resp->text = pool_strndup(rp->pool, rp->p, (size_t)(nl - rp->p));
	rp->p = rp->end;
	return 0;
}

static bool is_status_word(const char *s)
{
	return strcasecmp(s, "OK") == 0 || strcasecmp(s, "NO") == 0 ||
	       strcasecmp(s, "BAD") == 0 || strcasecmp(s, "BYE") == 0 ||
	       strcasecmp(s, "PREAUTH") == 0;
}

/* response = *(continue-req / response-data) response-done
 * continue-req = "+" SP (resp-text / base64) CRLF
 * response-data = "*" SP (resp-cond-state / resp-cond-bye / ...) CRLF
 * response-tagged = tag SP resp-cond-state CRLF */
int imap_client_parse_raw(const char *raw, size_t size, struct pool *pool,
                          struct imap_client_resp *r, const char **error_r)
{
	struct rparser rp = {.p = raw, .end = raw + size, .pool = pool};
	memset(r, 0, sizeof(*r));
	r->resp.pool = pool;
	if (size > 0 && raw[0] == '+') {
		rp.p++;
		r->kind = IMAP_CLIENT_CONTINUATION;
		if (parse_resp_text(&rp, &r->resp) < 0)
			goto fail;
		return 0;
	}
	struct imap_value tag, first;
	if (size == 0 || parse_atom(&rp, &tag) < 0 || rp.p == rp.end ||
	    *rp.p != ' ') {
		*error_r = "malformed response: no tag";
		return -1;
	}
	rp.p++;
	if (parse_atom(&rp, &first) < 0)
		goto fail;
	bool is_untagged = strcmp(tag.str, "*") == 0;
	r->kind = is_untagged ? IMAP_CLIENT_UNTAGGED : IMAP_CLIENT_TAGGED;
	r->tag = tag.str;
	if (is_status_word(first.str)) {
		struct imap_value *item = pool_alloc(pool, sizeof(*item));
		*item = first;
		r->status = first.str;
		r->resp.items = item;
		r->resp.count = 1;
		if (parse_resp_text(&rp, &r->resp) < 0)
			goto fail;
		return 0;
	}
	if (!is_untagged) {
		*error_r = "malformed response: tagged without status";
		return -1;
	}
	rp.p -= first.len;
	if (parse_values(&rp, '\n', &r->resp.items, &r->resp.count) < 0)
		goto fail;
	if (rp.p != rp.end)
		goto fail;
	return 0;
fail:
	*error_r = rp.error != NULL ? rp.error : "malformed response";
	return -1;
}

bool imap_client_value_is(const struct imap_value *v, const char *str)
{
	return v->type == IMAP_VALUE_ATOM && strcasecmp(v->str, str) == 0;
}

int imap_client_value_num(const struct imap_value *v, uint64_t max,
                          uint64_t *num_r)
{
	if (v->type != IMAP_VALUE_ATOM || v->len == 0 || v->len > 20)
		return -1;
	uint64_t n = 0;
	for (size_t i = 0; i < v->len; i++) {
		if (v->str[i] < '0' || v->str[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(v->str[i] - '0');
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*num_r = n;
	return 0;
}
