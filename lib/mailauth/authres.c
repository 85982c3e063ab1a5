/* Authentication-Results (RFC 8601 §2.2): the field is folded before each
 * resinfo; values are tokens (RFC 2045 §5.1) or quoted-strings. */
#include "mailauth/authres.h"
#include "core/buf.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

void authres_begin(struct authres *ar, struct buf *out, const char *authserv_id)
{
	ar->out = out;
	ar->count = 0;
	buf_printf(out, "Authentication-Results: %s", authserv_id);
}

/* tspecials of RFC 2045 §5.1 minus "@" and "/", which RFC 8601 §2.3
 * allows unquoted in a pvalue (an address, a domain) */
static bool is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>,;:\\\"[]?=", c) == NULL;
}

static void value_write(struct buf *out, const char *v)
{
	bool plain = v[0] != '\0';
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
		plain &= is_token_char(*p);
	if (plain) {
		buf_append_str(out, v);
		return;
	}
	buf_append_char(out, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0';
	     p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, (char)*p);
	}
	buf_append_char(out, '"');
}

/* A comment's text: no parentheses, backslashes or control characters. */
static void comment_write(struct buf *out, const char *text)
{
	buf_append_str(out, " (");
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	     p++) {
		if (*p >= 0x20 && *p < 0x7f && strchr("()\\", *p) == NULL)
			buf_append_char(out, (char)*p);
	}
	buf_append_char(out, ')');
}

void authres_add(struct authres *ar, const char *method, const char *result,
                 const char *reason, const char *const *props,
                 size_t prop_count)
{
	struct buf *out = ar->out;
	buf_printf(out, ";\r\n\t%s=%s", method, result);
	if (reason != NULL && reason[0] != '\0')
		comment_write(out, reason);
	for (size_t i = 0; i < prop_count; i++) {
		buf_printf(out, " %s=", props[2 * i]);
		value_write(out, props[2 * i + 1]);
	}
	ar->count++;
}

void authres_end(struct authres *ar)
{
	/* a field with no resinfo says "none" (§2.2 no-result) */
	if (ar->count == 0)
		buf_append_str(ar->out, "; none");
	buf_append_str(ar->out, "\r\n");
}

bool authres_claims(const char *value, size_t len, const char *authserv_id)
{
	size_t i = 0;
	/* [CFWS] authserv-id: skip spaces and comments */
	for (;;) {
		while (i < len && isspace((unsigned char)value[i]))
			i++;
		if (i < len && value[i] == '(') {
			int depth = 0;
			for (; i < len; i++) {
				if (value[i] == '\\') {
					i++;
					continue;
				}
				depth += value[i] == '(';
				depth -= value[i] == ')';
				if (depth == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		break;
	}
	size_t start = i;
	while (i < len && !isspace((unsigned char)value[i]) &&
	       value[i] != ';' && value[i] != '(')
		i++;
	size_t n = i - start, idl = strlen(authserv_id);
	if (n >= 2 && value[start] == '"' && value[i - 1] == '"') {
		start++;
		n -= 2;
	}
	return n == idl && strncasecmp(value + start, authserv_id, n) == 0;
}
