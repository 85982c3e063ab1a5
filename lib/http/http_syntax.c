/* HTTP's shared grammar (RFC 9110 §5.5, §5.6; RFC 3986 §2, §3.2): character
 * classes from one table, list and parameter iteration, quoted strings.
 * Everything is strict: what the ABNF does not allow is refused. */
#include "http/http_syntax.h"
#include "core/pool.h"

#include <string.h>

enum {
	C_TCHAR = 0x01,   /* token character */
	C_UNRES = 0x02,   /* unreserved: ALPHA DIGIT - . _ ~ */
	C_SUBDELIM = 0x04 /* ! $ & ' ( ) * + , ; = */
};

static unsigned char http_class_of(unsigned char c)
{
	unsigned char cls = 0;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return C_TCHAR | C_UNRES;
	if (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL)
		cls |= C_TCHAR;
	if (c != '\0' && strchr("-._~", c) != NULL)
		cls |= C_UNRES;
	if (c != '\0' && strchr("!$&'()*+,;=", c) != NULL)
		cls |= C_SUBDELIM;
	return cls;
}

/* The classes of all 256 bytes, made once (every byte of a head is
 * looked up). */
static unsigned char http_class(unsigned char c)
{
	static unsigned char table[256];
	static bool is_ready;
	if (!is_ready) {
		for (unsigned i = 0; i < 256; i++)
			table[i] = http_class_of((unsigned char)i);
		is_ready = true;
	}
	return table[c];
}

bool http_is_tchar(unsigned char c)
{
	return (http_class(c) & C_TCHAR) != 0;
}

bool http_is_token(const char *str, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!http_is_tchar((unsigned char)str[i]))
			return false;
	return true;
}

/* field-vchar = VCHAR / obs-text; plus SP and HTAB inside a value */
bool http_is_field_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

/* pchar = unreserved / pct-encoded / sub-delims / ":" / "@" */
bool http_is_pchar(unsigned char c)
{
	return (http_class(c) & (C_UNRES | C_SUBDELIM)) != 0 || c == ':' ||
	       c == '@';
}

int http_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* pct-encoded = "%" HEXDIG HEXDIG */
bool http_is_uri_part(const char *str, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c == '%') {
			if (i + 2 >= len || http_hex_value(str[i + 1]) < 0 ||
			    http_hex_value(str[i + 2]) < 0)
				return false;
			i += 2;
			continue;
		}
		if (http_is_pchar(c))
			continue;
		if (c != '\0' && strchr(extra, c) != NULL)
			continue;
		return false;
	}
	return true;
}

/* IP-literal = "[" ( IPv6address / IPvFuture ) "]": only IPv6's characters
 * are accepted; the address itself is the resolver's business. */
static bool http_is_ip_literal(const char *str, size_t len)
{
	if (len < 4 || str[0] != '[' || str[len - 1] != ']')
		return false;
	for (size_t i = 1; i < len - 1; i++) {
		unsigned char c = (unsigned char)str[i];
		if (http_hex_value(c) < 0 && c != ':' && c != '.')
			return false;
	}
	return true;
}

/* authority = uri-host [ ":" port ]; uri-host = IP-literal / IPv4address /
 * reg-name; reg-name = *( unreserved / pct-encoded / sub-delims ) */
bool http_is_authority(const char *str, size_t len, bool allow_empty)
{
	if (len == 0)
		return allow_empty;
	size_t host_len = len;
	const char *colon = NULL;
	if (str[0] == '[') {
		const char *close = memchr(str, ']', len);
		if (close == NULL)
			return false;
		host_len = (size_t)(close - str) + 1;
		if (!http_is_ip_literal(str, host_len))
			return false;
		if (host_len < len) {
			if (str[host_len] != ':')
				return false;
			colon = str + host_len;
		}
	} else {
		colon = memchr(str, ':', len);
		if (colon != NULL)
			host_len = (size_t)(colon - str);
		if (host_len == 0)
			return false;
		for (size_t i = 0; i < host_len; i++) {
			unsigned char c = (unsigned char)str[i];
			if (c == '%') {
				if (i + 2 >= host_len ||
				    http_hex_value(str[i + 1]) < 0 ||
				    http_hex_value(str[i + 2]) < 0)
					return false;
				i += 2;
			} else if ((http_class(c) & (C_UNRES | C_SUBDELIM)) ==
			           0) {
				return false;
			}
		}
	}
	if (colon == NULL)
		return true;
	/* port = *DIGIT; at most five of them */
	size_t plen = len - (size_t)(colon - str) - 1;
	if (plen > 5)
		return false;
	for (size_t i = 0; i < plen; i++)
		if (colon[1 + i] < '0' || colon[1 + i] > '9')
			return false;
	return true;
}

size_t http_quoted_string_len(const char *str, size_t len)
{
	if (len < 2 || str[0] != '"')
		return 0;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c == '"')
			return i + 1;
		if (c == '\\') {
			/* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
			if (i + 1 >= len ||
			    !http_is_field_char((unsigned char)str[i + 1]))
				return 0;
			i++;
			continue;
		}
		/* qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text */
		if (!http_is_field_char(c))
			return 0;
	}
	return 0;
}

char *http_quoted_string_unquote(struct pool *pool, const char *str, size_t len)
{
	char *out = pool_alloc(pool, len + 1);
	size_t n = 0;
	for (size_t i = 1; i + 1 < len; i++) {
		if (str[i] == '\\')
			i++;
		out[n++] = str[i];
	}
	out[n] = '\0';
	return out;
}

static bool http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int http_list_next(const char **pos, const char **elem_r, size_t *len_r)
{
	const char *p = *pos;
	for (;;) {
		while (http_is_ows(*p) || *p == ',')
			p++;
		if (*p == '\0') {
			*pos = p;
			return 0;
		}
		const char *start = p;
		while (*p != '\0' && *p != ',') {
			if (*p == '"') {
				size_t q = http_quoted_string_len(p, strlen(p));
				p += q != 0 ? q : 1;
			} else {
				p++;
			}
		}
		const char *end = p;
		while (end > start && http_is_ows(end[-1]))
			end--;
		if (end == start)
			continue;
		*elem_r = start;
		*len_r = (size_t)(end - start);
		*pos = p;
		return 1;
	}
}

bool http_list_has_token(const char *value, const char *token)
{
	const char *pos = value, *elem;
	size_t len;
	if (value == NULL)
		return false;
	while (http_list_next(&pos, &elem, &len) > 0) {
		size_t tlen = 0;
		while (tlen < len && http_is_tchar((unsigned char)elem[tlen]))
			tlen++;
		if (http_str_eq_ci(elem, tlen, token))
			return true;
	}
	return false;
}

/* parameters = *( OWS ";" OWS [ parameter ] )
 * parameter = parameter-name "=" parameter-value
 * parameter-value = ( token / quoted-string ) */
int http_param_next(const char **pos, const char *end, const char **name_r,
                    size_t *name_len_r, const char **value_r,
                    size_t *value_len_r)
{
	const char *p = *pos;
	for (;;) {
		while (p < end && http_is_ows(*p))
			p++;
		if (p == end) {
			*pos = p;
			return 0;
		}
		if (*p != ';')
			return -1;
		p++;
		while (p < end && http_is_ows(*p))
			p++;
		if (p < end && *p != ';')
			break;
	}
	if (p == end) {
		*pos = p;
		return 0;
	}
	const char *name = p;
	while (p < end && http_is_tchar((unsigned char)*p))
		p++;
	if (p == name || p == end || *p != '=')
		return -1;
	*name_r = name;
	*name_len_r = (size_t)(p - name);
	p++;
	const char *value = p;
	if (p < end && *p == '"') {
		size_t q = http_quoted_string_len(p, (size_t)(end - p));
		if (q == 0)
			return -1;
		p += q;
	} else {
		while (p < end && http_is_tchar((unsigned char)*p))
			p++;
		if (p == value)
			return -1;
	}
	*value_r = value;
	*value_len_r = (size_t)(p - value);
	*pos = p;
	return 1;
}

bool http_str_eq_ci(const char *str, size_t len, const char *want)
{
	size_t wlen = strlen(want);
	if (len != wlen)
		return false;
	for (size_t i = 0; i < len; i++) {
		char a = str[i], b = want[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}
