/* Content-Type and Content-Disposition values (RFC 2045 §5.1, RFC 2183 §2)
 * with RFC 2231 §3-4 parameter continuations and charsets. Our own parser:
 * IMAP's BODYSTRUCTURE wants the parameters as written but with
 * continuations joined (Dovecot's rfc2231_parse), which GMime does not give;
 * decoding the charset of a value is left to GMime (mime_decode.c).
 * Lenient: an unquoted value runs to the next ';' or whitespace. */
#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime_decode.h"
#include "mime/mime_private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COMMENT_DEPTH_MAX 16

struct raw_param {
	char *name; /* lowercased, as written with its '*' */
	const char *value;
};

/* CFWS = *([FWS] comment) [FWS]; comment = "(" *ccontent ")" */
static const char *cfws_skip(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s != '(')
			return s;
		int depth = 0;
		for (; *s != '\0'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '(' && depth < COMMENT_DEPTH_MAX)
				depth++;
			else if (*s == ')' && --depth == 0) {
				s++;
				break;
			}
		}
	}
}

/* token = 1*<any CHAR except SPACE, CTLs, or tspecials>; 8-bit bytes are
 * let in, as mailers send them. */
static bool is_token_char(unsigned char c)
{
	return c > ' ' && c != 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static const char *token_read(const char *s, struct pool *pool, char **tok_r)
{
	const char *start = s;
	while (*s != '\0' && is_token_char((unsigned char)*s))
		s++;
	*tok_r =
	    s == start ? NULL : pool_strndup(pool, start, (size_t)(s - start));
	return s;
}

/* quoted-string = DQUOTE *(qtext / quoted-pair) DQUOTE (an unclosed one
 * runs to the end) */
static const char *quoted_read(const char *s, struct pool *pool, char **str_r)
{
	struct buf b;
	buf_init(&b);
	for (s++; *s != '\0' && *s != '"'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		buf_append_char(&b, *s);
	}
	if (*s == '"')
		s++;
	*str_r = pool_strndup(pool, b.data, b.len);
	buf_deinit(&b);
	return s;
}

/* value = token / quoted-string, leniently: an unquoted value may hold
 * '/', '=', '@' ... up to ';' or whitespace. */
static const char *value_read(const char *s, struct pool *pool, char **val_r)
{
	if (*s == '"')
		return quoted_read(s, pool, val_r);
	const char *start = s;
	while (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t' && *s != '(')
		s++;
	*val_r = pool_strndup(pool, start, (size_t)(s - start));
	return s;
}

/* parameter = attribute "=" value. Returns the position after it (at ';'
 * or the end); *raw_r->name is NULL if it was not a parameter. */
static const char *param_read(const char *s, struct pool *pool,
                              struct raw_param *raw_r)
{
	char *name = NULL, *value = NULL;
	raw_r->name = NULL;
	s = token_read(cfws_skip(s), pool, &name);
	s = cfws_skip(s);
	if (name != NULL && *s == '=') {
		s = value_read(cfws_skip(s + 1), pool, &value);
		for (char *c = name; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		raw_r->name = name;
		raw_r->value = value;
	}
	while (*s != '\0' && *s != ';')
		s++;
	return s;
}

/* Splits "base*N*": returns the base length, *section_r (-1 without a
 * number) and *is_ext_r (a trailing '*'). */
static size_t name_split(const char *name, int *section_r, bool *is_ext_r)
{
	const char *star = strchr(name, '*');
	*section_r = -1;
	*is_ext_r = false;
	if (star == NULL)
		return strlen(name);
	const char *s = star + 1;
	if (isdigit((unsigned char)*s)) {
		char *e;
		long n = strtol(s, &e, 10);
		*section_r = n > 10000 ? 10000 : (int)n;
		s = e;
	}
	*is_ext_r = *s == '*';
	return (size_t)(star - name);
}

/* attribute-char = any token char except "*", "'", "%" (RFC 2231 §7) */
static void ext_escape(const char *value, struct buf *out)
{
	for (const unsigned char *s = (const unsigned char *)value; *s != '\0';
	     s++) {
		if (is_token_char(*s) && *s < 0x80 && strchr("*'%", *s) == NULL)
			buf_append_char(out, (char)*s);
		else
			buf_printf(out, "%%%02X", *s);
	}
}

/* Joins the sections of base (raw[i] is one of them) into one parameter
 * (RFC 2231 §3-4): returns 1 with *param_r, 0 if raw[i] is not the first
 * section (it was joined already). */
static int sections_join(const struct raw_param *raw, unsigned int count,
                         unsigned int i, struct pool *pool,
                         struct mime_param *param_r)
{
	int sec;
	bool is_ext;
	size_t blen = name_split(raw[i].name, &sec, &is_ext);
	if (sec > 0)
		return 0;
	if (sec < 0) {
		param_r->name = raw[i].name; /* "name*" single */
		param_r->value = raw[i].value;
		return 1;
	}
	struct buf b;
	buf_init(&b);
	bool first_ext = is_ext, any_ext = is_ext;
	for (int want = 0;; want++) {
		unsigned int j;
		for (j = 0; j < count; j++) {
			int s;
			bool e;
			if (name_split(raw[j].name, &s, &e) == blen &&
			    s == want &&
			    strncmp(raw[j].name, raw[i].name, blen) == 0)
				break;
		}
		if (j == count)
			break;
		int s;
		name_split(raw[j].name, &s, &is_ext);
		if (is_ext && !first_ext && !any_ext) {
			/* a later section is encoded: so must all be */
			struct buf e;
			buf_init(&e);
			buf_append_str(&e, "''");
			ext_escape(b.data, &e);
			buf_truncate(&b, 0);
			buf_append(&b, e.data, e.len);
			buf_deinit(&e);
		}
		if (!is_ext && any_ext)
			ext_escape(raw[j].value, &b);
		else
			buf_append_str(&b, raw[j].value);
		any_ext = any_ext || is_ext;
	}
	param_r->name = any_ext
	                    ? pool_printf(pool, "%.*s*", (int)blen, raw[i].name)
	                    : pool_strndup(pool, raw[i].name, blen);
	param_r->value = pool_strndup(pool, b.data, b.len);
	buf_deinit(&b);
	return 1;
}

static void params_join(const struct raw_param *raw, unsigned int count,
                        struct pool *pool, struct mime_param_value *r)
{
	r->params = pool_alloc(pool, sizeof(*r->params) * (count + 1));
	r->param_count = 0;
	for (unsigned int i = 0; i < count; i++) {
		if (strchr(raw[i].name, '*') == NULL) {
			r->params[r->param_count].name = raw[i].name;
			r->params[r->param_count++].value = raw[i].value;
		} else if (sections_join(raw, count, i, pool,
		                         &r->params[r->param_count]) > 0) {
			r->param_count++;
		}
	}
}

int mime_param_parse(const char *value, bool want_subtype,
                     unsigned int max_params, struct pool *pool,
                     struct mime_param_value *r_r)
{
	char *type = NULL, *subtype = NULL;
	const char *s = token_read(cfws_skip(value), pool, &type);
	s = cfws_skip(s);
	if (want_subtype && *s == '/')
		s = token_read(cfws_skip(s + 1), pool, &subtype);
	memset(r_r, 0, sizeof(*r_r));

	struct raw_param *raw =
	    pool_alloc(pool, sizeof(*raw) * (max_params + 1));
	unsigned int count = 0;
	while ((s = strchr(s, ';')) != NULL && count < max_params) {
		s = param_read(s + 1, pool, &raw[count]);
		if (raw[count].name != NULL)
			count++;
	}
	params_join(raw, count, pool, r_r);
	r_r->type = type;
	r_r->subtype = subtype;
	if (type == NULL || (want_subtype && subtype == NULL))
		return 0;
	return 1;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* extended-value = [charset] "'" [language] "'" extended-other-values */
static const char *ext_decode(const char *value, struct pool *pool)
{
	const char *q1 = strchr(value, '\''), *q2;
	const char *text = value;
	char *charset = NULL;
	if (q1 != NULL && (q2 = strchr(q1 + 1, '\'')) != NULL) {
		charset = pool_strndup(pool, value, (size_t)(q1 - value));
		text = q2 + 1;
	}
	struct buf raw, out;
	buf_init(&raw);
	buf_init(&out);
	for (const char *s = text; *s != '\0'; s++) {
		int h, l;
		if (*s == '%' && (h = hex_value((unsigned char)s[1])) >= 0 &&
		    (l = hex_value((unsigned char)s[2])) >= 0) {
			buf_append_char(&raw, (char)(h * 16 + l));
			s += 2;
		} else
			buf_append_char(&raw, *s);
	}
	mime_decode_charset(charset != NULL && *charset != '\0' ? charset
	                                                        : NULL,
	                    (const unsigned char *)raw.data, raw.len, &out);
	const char *r = pool_strndup(pool, out.data, out.len);
	buf_deinit(&raw);
	buf_deinit(&out);
	return r;
}

const char *mime_param_get(const struct mime_param *params, unsigned int count,
                           const char *name, struct pool *pool)
{
	size_t len = strlen(name);
	const char *plain = NULL, *ext = NULL;
	for (unsigned int i = 0; i < count; i++) {
		const char *n = params[i].name;
		if (strncmp(n, name, len) != 0)
			continue;
		if (n[len] == '\0' && plain == NULL)
			plain = params[i].value;
		else if (n[len] == '*' && n[len + 1] == '\0' && ext == NULL)
			ext = params[i].value;
	}
	if (pool == NULL)
		return plain != NULL ? plain : ext;
	if (ext != NULL)
		return ext_decode(ext, pool);
	if (plain != NULL && strstr(plain, "=?") != NULL) {
		/* RFC 2047 words in a parameter are wrong, but common */
		struct buf b;
		buf_init(&b);
		mime_decode_header((const unsigned char *)plain, strlen(plain),
		                   &b);
		plain = pool_strndup(pool, b.data, b.len);
		buf_deinit(&b);
	}
	return plain;
}
