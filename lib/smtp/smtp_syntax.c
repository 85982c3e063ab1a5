/* Paths, domains, address literals, ESMTP parameters and xtext after
 * RFC 5321 §4.1.2-4.1.3, RFC 3461 §4 and RFC 6531 §3.3. Every parser reads
 * only (data, size) and never trusts a NUL; limits are those of §4.5.3.1. */
#include "smtp/smtp_syntax.h"
#include "core/buf.h"
#include "core/pool.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* atext = ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~" (RFC 5322 §3.2.3) */
static bool is_atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* UTF8-non-ascii = UTF8-2 / UTF8-3 / UTF8-4 (RFC 6532 §3.1); returns the
 * length of the sequence at data, or 0 if it is not well-formed. */
static size_t utf8_seq_len(const unsigned char *d, size_t size)
{
	unsigned char c = d[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (size < n || d[1] < lo || d[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (d[i] < 0x80 || d[i] > 0xbf)
			return 0;
	return n;
}

bool smtp_utf8_is_valid(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size;) {
		if (data[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = utf8_seq_len(data + i, size - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* sub-domain = Let-dig [Ldh-str] ; U-label: UTF-8 letters (RFC 6531 §3.3)
 * Domain = sub-domain *("." sub-domain) */
bool smtp_domain_is_valid(const unsigned char *data, size_t size,
                          bool allow_utf8)
{
	if (size == 0 || size > SMTP_DOMAIN_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < size; i++) {
		unsigned char c = data[i];
		if (c == '.') {
			if (label == 0 || data[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (c >= 0x80) {
			if (!allow_utf8)
				return false;
			size_t n = utf8_seq_len(data + i, size - i);
			if (n == 0)
				return false;
			i += n - 1;
		} else if (c == '-') {
			if (label == 0)
				return false;
		} else if (!is_alpha(c) && !is_digit(c)) {
			return false;
		}
		if (++label > 63)
			return false;
	}
	return label > 0 && data[size - 1] != '-';
}

/* address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
 *                   General-address-literal ) "]"
 * General-address-literal = Standardized-tag ":" 1*dcontent */
bool smtp_address_literal_is_valid(const unsigned char *data, size_t size)
{
	char tmp[128];
	unsigned char addr[16];
	if (size < 3 || size >= sizeof(tmp) || data[0] != '[' ||
	    data[size - 1] != ']')
		return false;
	memcpy(tmp, data + 1, size - 2);
	tmp[size - 2] = '\0';
	if (strlen(tmp) != size - 2)
		return false;
	if (strncasecmp(tmp, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, tmp + 5, addr) == 1;
	if (inet_pton(AF_INET, tmp, addr) == 1)
		return true;
	const char *colon = strchr(tmp, ':');
	if (colon == NULL || colon == tmp || colon[1] == '\0')
		return false;
	for (const char *p = tmp; p < colon; p++)
		if (!is_alpha((unsigned char)*p) &&
		    !is_digit((unsigned char)*p) && *p != '-')
			return false;
	for (const char *p = colon + 1; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']')
			return false;
	}
	return true;
}

/* IPv4-address-literal = Snum 3("."  Snum)
 * IPv6-address-literal = "IPv6:" IPv6-addr */
int smtp_address_literal_addr(const unsigned char *data, size_t size,
                              char addr_r[SMTP_LITERAL_ADDR_MAX])
{
	unsigned char addr[16];
	if (!smtp_address_literal_is_valid(data, size))
		return -1;
	const char *p = (const char *)data + 1;
	size_t len = size - 2;
	int family = AF_INET;
	if (len > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		len -= 5;
		family = AF_INET6;
	}
	if (len >= SMTP_LITERAL_ADDR_MAX)
		return -1;
	memcpy(addr_r, p, len);
	addr_r[len] = '\0';
	if (inet_pton(family, addr_r, addr) != 1)
		return -1; /* a General-address-literal */
	return 0;
}

/* xtext = *( xchar / hexchar ); xchar = %d33-42 / %d44-60 / %d62-126;
 * hexchar = "+" 2(%x30-39 / %x41-46) */
bool smtp_xtext_is_valid(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		unsigned char c = data[i];
		if (c == '+') {
			if (size - i < 3)
				return false;
			for (size_t j = 1; j <= 2; j++) {
				unsigned char h = data[i + j];
				if (!is_digit(h) && !(h >= 'A' && h <= 'F'))
					return false;
			}
			i += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return false;
		}
	}
	return true;
}

/* Dot-string = Atom *("." Atom); Atom = 1*atext (UTF-8 allowed, §3.3) */
static bool dot_string_is_valid(const unsigned char *d, size_t size)
{
	if (size == 0 || d[0] == '.' || d[size - 1] == '.')
		return false;
	for (size_t i = 0; i < size; i++) {
		if (d[i] == '.') {
			if (d[i - 1] == '.')
				return false;
		} else if (d[i] >= 0x80) {
			size_t n = utf8_seq_len(d + i, size - i);
			if (n == 0)
				return false;
			i += n - 1;
		} else if (!is_atext(d[i])) {
			return false;
		}
	}
	return true;
}

/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE
 * QcontentSMTP = qtextSMTP / quoted-pairSMTP; quoted-pairSMTP = "\" %d32-126
 * qtextSMTP = %d32-33 / %d35-91 / %d93-126 / UTF8-non-ascii
 * Returns the length through the closing quote (0 on error) and the
 * unescaped content in out. */
static size_t quoted_string_parse(const unsigned char *d, size_t size,
                                  struct buf *out)
{
	for (size_t i = 1; i < size; i++) {
		unsigned char c = d[i];
		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (i + 1 >= size || d[i + 1] < 32 || d[i + 1] > 126)
				return 0;
			buf_append_char(out, (char)d[++i]);
		} else if (c >= 0x80) {
			size_t n = utf8_seq_len(d + i, size - i);
			if (n == 0)
				return 0;
			buf_append(out, d + i, n);
			i += n - 1;
		} else if (c < 32 || c > 126) {
			return 0;
		} else {
			buf_append_char(out, (char)c);
		}
	}
	return 0;
}

/* Domain / address-literal, ending at any byte in stops. */
static size_t domain_part_len(const unsigned char *d, size_t size,
                              const char *stops)
{
	size_t i = 0;
	while (i < size && (d[i] == 0 || strchr(stops, d[i]) == NULL))
		i++;
	return i;
}

static bool domain_part_is_valid(const unsigned char *d, size_t size)
{
	if (size > 0 && d[0] == '[')
		return smtp_address_literal_is_valid(d, size);
	return smtp_domain_is_valid(d, size, true);
}

/* A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain
 * Returns bytes through the ':' (0 if there is no route, -1 error). */
static long route_skip(const unsigned char *d, size_t size)
{
	if (size == 0 || d[0] != '@')
		return 0;
	size_t i = 0;
	for (;;) {
		if (i >= size || d[i] != '@')
			return -1;
		i++;
		size_t n = domain_part_len(d + i, size - i, ",:>");
		if (!domain_part_is_valid(d + i, n))
			return -1;
		i += n;
		if (i < size && d[i] == ':')
			return (long)i + 1;
		if (i >= size || d[i] != ',')
			return -1;
		i++;
	}
}

static int path_mailbox(const unsigned char *d, size_t size, struct pool *pool,
                        struct smtp_path *path, const char **error_r)
{
	struct buf local;
	buf_init(&local);
	size_t i;
	bool is_quoted = size > 0 && d[0] == '"';
	if (is_quoted) {
		i = quoted_string_parse(d, size, &local);
	} else {
		i = domain_part_len(d, size, "@");
		buf_append(&local, d, i);
	}
	int ret = -1;
	*error_r = "invalid local part";
	if (i == 0 || (!is_quoted && !dot_string_is_valid(d, i)))
		goto out;
	if (i > SMTP_LOCAL_PART_MAX + (is_quoted ? 2 : 0)) {
		*error_r = "local part too long";
		goto out;
	}
	if (i >= size || d[i] != '@') {
		*error_r = "missing domain";
		goto out;
	}
	const unsigned char *dom = d + i + 1;
	size_t dom_len = size - i - 1;
	if (!domain_part_is_valid(dom, dom_len)) {
		*error_r = "invalid domain";
		goto out;
	}
	/* "abc"@x is abc@x; a local part that needs its quotes keeps the
	 * form it was sent in, so that it is never re-interpreted. */
	if (is_quoted &&
	    dot_string_is_valid((unsigned char *)local.data, local.len))
		path->local = pool_strndup(pool, local.data, local.len);
	else
		path->local = pool_strndup(pool, (const char *)d, i);
	path->domain = pool_strndup(pool, (const char *)dom, dom_len);
	path->address = pool_printf(pool, "%s@%s", path->local, path->domain);
	ret = 1;
out:
	buf_deinit(&local);
	return ret;
}

/* Path = "<" [ A-d-l ":" ] Mailbox ">"
 * Reverse-path = Path / "<>"; Forward-path = Path / "<Postmaster>" */
int smtp_path_parse(const unsigned char *data, size_t size, bool is_reverse,
                    struct pool *pool, struct smtp_path *path_r,
                    size_t *consumed_r, const char **error_r)
{
	memset(path_r, 0, sizeof(*path_r));
	if (size == 0 || data[0] != '<') {
		*error_r = "missing '<'";
		return -1;
	}
	/* The closing '>' is the first one outside a quoted string. */
	size_t end = 1;
	bool in_quote = false;
	for (; end < size; end++) {
		if (in_quote && data[end] == '\\' && end + 1 < size)
			end++;
		else if (data[end] == '"')
			in_quote = !in_quote;
		else if (!in_quote && data[end] == '>')
			break;
	}
	if (end >= size) {
		*error_r = "missing '>'";
		return -1;
	}
	if (end + 1 > SMTP_PATH_MAX) {
		*error_r = "path too long";
		return -1;
	}
	*consumed_r = end + 1;
	const unsigned char *d = data + 1;
	size_t len = end - 1;
	if (len == 0 && is_reverse) {
		path_r->is_null = true;
		path_r->address = path_r->local = path_r->domain = "";
		return 1;
	}
	if (!is_reverse && len == 10 &&
	    strncasecmp((const char *)d, "postmaster", 10) == 0) {
		path_r->is_postmaster = true;
		path_r->address = path_r->local = "postmaster";
		path_r->domain = "";
		return 1;
	}
	long route = route_skip(d, len);
	if (route < 0) {
		*error_r = "invalid source route";
		return -1;
	}
	if (path_mailbox(d + route, len - (size_t)route, pool, path_r,
	                 error_r) < 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (d[i] >= 0x80)
			path_r->has_utf8 = true;
	return 1;
}

/* esmtp-param = esmtp-keyword ["=" esmtp-value]
 * esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 * esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii) */
int smtp_params_parse(const unsigned char *data, size_t size, struct pool *pool,
                      struct smtp_param **params_r, size_t *count_r,
                      const char **error_r)
{
	size_t count = 0, i = 0;
	for (size_t j = 0; j < size; j++)
		if (data[j] == ' ')
			count++;
	struct smtp_param *params =
	    pool_alloc(pool, (count + 1) * sizeof(*params));
	count = 0;
	while (i < size) {
		size_t k = i;
		if (!is_alpha(data[k]) && !is_digit(data[k]))
			goto bad;
		while (k < size && (is_alpha(data[k]) || is_digit(data[k]) ||
		                    data[k] == '-'))
			k++;
		params[count].keyword =
		    pool_strndup(pool, (const char *)data + i, k - i);
		params[count].value = NULL;
		if (k < size && data[k] == '=') {
			size_t v = ++k;
			while (k < size && data[k] != ' ') {
				if (data[k] < 33 || data[k] == '=' ||
				    data[k] == 127)
					goto bad;
				k++;
			}
			if (k == v || !smtp_utf8_is_valid(data + v, k - v))
				goto bad;
			params[count].value =
			    pool_strndup(pool, (const char *)data + v, k - v);
		}
		count++;
		if (k == size)
			break;
		if (data[k] != ' ' || k + 1 == size)
			goto bad;
		i = k + 1;
	}
	*params_r = params;
	*count_r = count;
	return 1;
bad:
	*error_r = "invalid parameter syntax";
	return -1;
}
