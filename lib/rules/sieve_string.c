/* Strings of Sieve: encoded characters decoded at compile time (RFC 5228
 * §2.4.2.4), variable references expanded at run time (RFC 5229 §3), the
 * modifiers of "set" (RFC 5229 §4.1 with :quoteregex of the regex draft
 * and :encodeurl of RFC 5435 §6), and the syntax checks the compiler makes
 * of constant strings: addresses (RFC 5322 §3.4.1 addr-spec), header
 * field names (§3.6.8), variable names. */
#include "core/pool.h"
#include "rules/sieve_private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* encoded-arb-octets = "${hex:" hex-pair-seq "}"
 * hex-pair-seq = *blank hex-pair *(1*blank hex-pair) *blank
 * encoded-unicode-char = "${unicode:" unicode-hex-seq "}"
 * Decodes one sequence at p (after "${hex:" or "${unicode:") into out.
 * Returns the bytes consumed up to and including "}", 0 if the sequence
 * is not well-formed (kept as written), -1 for a code point out of range. */
static long decode_seq(const char *p, const char *end, bool is_unicode,
                       struct buf *out)
{
	const char *start = p;
	size_t mark = out->len;
	unsigned count = 0;
	for (;;) {
		const char *blank = p;
		while (p < end && is_blank(*p))
			p++;
		if (p < end && *p == '}' && count > 0) {
			return (long)(p + 1 - start);
		}
		if (count > 0 && p == blank)
			break; /* two values need a blank between them */
		uint32_t v = 0;
		unsigned digits = 0;
		bool too_big = false;
		while (p < end && hex_value(*p) >= 0) {
			if (v > 0x10FFFF)
				too_big = true;
			else
				v = v * 16 + (uint32_t)hex_value(*p);
			p++;
			digits++;
		}
		if (digits == 0 || (!is_unicode && digits > 2))
			break;
		if (is_unicode) {
			if (too_big || v > 0x10FFFF ||
			    (v >= 0xD800 && v <= 0xDFFF)) {
				/* an error only when the whole is well-formed
				 */
				const char *q = p;
				while (q < end &&
				       (is_blank(*q) || hex_value(*q) >= 0))
					q++;
				if (q < end && *q == '}')
					return -1;
				break;
			}
			buf_append_utf8(out, v == 0 ? 0xFFFD : v);
			if (v == 0) { /* NUL is a valid character here */
				buf_truncate(out, out->len - 3);
				buf_append_char(out, '\0');
			}
		} else {
			buf_append_char(out, (char)v);
		}
		count++;
	}
	buf_truncate(out, mark);
	return 0;
}

int sieve_string_decode_encoded(struct sieve_string *str, struct pool *pool,
                                const char **error_r)
{
	if (str->len < 8 || sieve_bytes_find(str->data, str->len, "${", 2) < 0)
		return 0;
	struct buf out;
	buf_init(&out);
	const char *p = str->data, *end = str->data + str->len;
	while (p < end) {
		bool is_hex = end - p >= 6 && strncasecmp(p, "${hex:", 6) == 0;
		bool is_uni =
		    end - p >= 10 && strncasecmp(p, "${unicode:", 10) == 0;
		if (is_hex || is_uni) {
			size_t skip = is_hex ? 6 : 10;
			long n = decode_seq(p + skip, end, is_uni, &out);
			if (n < 0) {
				buf_deinit(&out);
				*error_r = "encoded character outside Unicode";
				return -1;
			}
			if (n > 0) {
				p += skip + (size_t)n;
				continue;
			}
		}
		buf_append_char(&out, *p++);
	}
	char *s = pool_alloc(pool, out.len + 1);
	memcpy(s, out.data, out.len + 1);
	str->data = s;
	str->len = out.len;
	buf_deinit(&out);
	return 0;
}

static bool is_id_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_id_char(char c)
{
	return is_id_start(c) || (c >= '0' && c <= '9');
}

static bool is_identifier(const char *s, size_t len)
{
	if (len == 0 || !is_id_start(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_id_char(s[i]))
			return false;
	return true;
}

bool sieve_variable_name_is_valid(const char *name, size_t len,
                                  bool allow_global)
{
	if (allow_global && len > 7 && strncasecmp(name, "global.", 7) == 0)
		return is_identifier(name + 7, len - 7);
	return len <= 128 && is_identifier(name, len);
}

/* variable-ref = "${" [namespace] variable-name "}"
 * Returns the length of a reference at p (from "${" to "}"), or 0. */
static size_t ref_length(const char *p, const char *end)
{
	const char *q = p + 2;
	while (q < end && (is_id_char(*q) || *q == '.'))
		q++;
	if (q >= end || *q != '}' || q == p + 2)
		return 0;
	const char *name = p + 2;
	size_t len = (size_t)(q - name);
	bool numeric = true;
	for (size_t i = 0; i < len; i++)
		if (name[i] < '0' || name[i] > '9')
			numeric = false;
	if (!numeric && !sieve_variable_name_is_valid(name, len, true) &&
	    memchr(name, '.', len) == NULL)
		return 0;
	if (memchr(name, '.', len) != NULL) {
		/* namespace.name: every part an identifier */
		const char *part = name;
		for (const char *c = name; c <= name + len; c++) {
			if (c == name + len || *c == '.') {
				if (!is_identifier(part, (size_t)(c - part)))
					return 0;
				part = c + 1;
			}
		}
	}
	return (size_t)(q + 1 - p);
}

bool sieve_string_has_refs(const char *data, size_t len)
{
	const char *end = data + len;
	for (const char *p = data; p + 3 < end; p++)
		if (p[0] == '$' && p[1] == '{' && ref_length(p, end) > 0)
			return true;
	return false;
}

bool sieve_string_has_bad_namespace(const char *data, size_t len,
                                    bool allow_global)
{
	const char *end = data + len;
	for (const char *p = data; p + 3 < end; p++) {
		if (p[0] != '$' || p[1] != '{')
			continue;
		size_t n = ref_length(p, end);
		const char *dot = n > 0 ? memchr(p + 2, '.', n - 3) : NULL;
		if (dot != NULL &&
		    !(allow_global && dot - (p + 2) == 6 &&
		      strncasecmp(p + 2, "global", 6) == 0 &&
		      memchr(dot + 1, '.', (size_t)(p + n - 1 - (dot + 1))) ==
		          NULL))
			return true;
	}
	return false;
}

const char *sieve_expand(struct sieve_interp *ip,
                         const struct sieve_string *str, size_t *len_r)
{
	if (!str->has_vars) {
		*len_r = str->len;
		return str->data;
	}
	struct buf out;
	buf_init(&out);
	const char *p = str->data, *end = str->data + str->len;
	while (p < end && out.len <= ip->set->max_string_size) {
		size_t n = p[0] == '$' && p + 1 < end && p[1] == '{'
		               ? ref_length(p, end)
		               : 0;
		if (n == 0) {
			buf_append_char(&out, *p++);
			continue;
		}
		const char *name = p + 2;
		size_t name_len = n - 3;
		p += n;
		if (name[0] >= '0' && name[0] <= '9') {
			unsigned idx = 0;
			for (size_t i = 0; i < name_len && idx < 100; i++)
				idx = idx * 10 + (unsigned)(name[i] - '0');
			if (idx < ip->match_var_count)
				buf_append(&out, ip->match_vars[idx].data,
				           ip->match_vars[idx].len);
			continue;
		}
		struct buf *v = sieve_var_get(ip, NULL, name, name_len, false);
		if (v != NULL)
			buf_append(&out, v->data, v->len);
	}
	if (out.len > ip->set->max_string_size)
		buf_truncate(&out, ip->set->max_string_size);
	char *s = pool_alloc(ip->pool, out.len + 1);
	memcpy(s, out.data, out.len + 1);
	*len_r = out.len;
	buf_deinit(&out);
	return s;
}

/* ---- set modifiers (RFC 5229 §4.1) ---- */

static size_t utf8_length(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static void apply_case(struct buf *b, bool upper, bool first_only)
{
	for (size_t i = 0; i < b->len && (!first_only || i < 1); i++)
		b->data[i] = (char)(upper ? toupper((unsigned char)b->data[i])
		                          : tolower((unsigned char)b->data[i]));
}

static void quote_chars(struct buf *b, const char *specials)
{
	struct buf out;
	buf_init(&out);
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] != '\0' && strchr(specials, b->data[i]) != NULL)
			buf_append_char(&out, '\\');
		buf_append_char(&out, b->data[i]);
	}
	buf_deinit(b);
	*b = out;
}

static void encode_url(struct buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf out;
	buf_init(&out);
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		/* RFC 3986 §2.3 unreserved */
		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			buf_append_char(&out, (char)c);
		} else {
			buf_append_char(&out, '%');
			buf_append_char(&out, hex[c >> 4]);
			buf_append_char(&out, hex[c & 15]);
		}
	}
	buf_deinit(b);
	*b = out;
}

#define HAS(mask, tag) (((mask) & (UINT64_C(1) << SIEVE_TAG_##tag)) != 0)

void sieve_string_modify(const char *str, size_t len, uint64_t mask,
                         struct buf *out)
{
	struct buf b;
	buf_init(&b);
	buf_append(&b, str, len);
	/* precedence 40, 30, 20, 15, 10 */
	if (HAS(mask, LOWER) || HAS(mask, UPPER))
		apply_case(&b, HAS(mask, UPPER), false);
	if (HAS(mask, LOWERFIRST) || HAS(mask, UPPERFIRST))
		apply_case(&b, HAS(mask, UPPERFIRST), true);
	if (HAS(mask, QUOTEWILDCARD))
		quote_chars(&b, "*?\\");
	if (HAS(mask, QUOTEREGEX))
		quote_chars(&b, "\\.^$*+?(){}[]|");
	if (HAS(mask, ENCODEURL))
		encode_url(&b);
	if (HAS(mask, LENGTH)) {
		size_t n = utf8_length(b.data, b.len);
		buf_truncate(&b, 0);
		buf_printf(&b, "%zu", n);
	}
	buf_append(out, b.data, b.len);
	buf_deinit(&b);
}

/* ---- syntax checks ---- */

static bool is_atext(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL ||
	       c >= 0x80; /* RFC 6532 UTF-8 */
}

static bool dot_atom_is_valid(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (s[i] == '\0' || !is_atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static bool domain_is_valid(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		for (size_t i = 1; i + 1 < len; i++)
			if (s[i] <= ' ' || s[i] == '[' || s[i] == ']' ||
			    s[i] == '\\' || s[i] == 0x7f)
				return false;
		return true;
	}
	if (len > 253 || !dot_atom_is_valid(s, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '.' && c < 0x80)
			return false;
	}
	return true;
}

bool sieve_address_is_valid(const char *str, size_t len)
{
	/* addr-spec = local-part "@" domain */
	const char *at = NULL;
	bool in_quote = false;
	if (len == 0 || len > 1024)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (str[i] == '"' && (i == 0 || str[i - 1] != '\\'))
			in_quote = !in_quote;
		else if (str[i] == '@' && !in_quote)
			at = str + i;
	}
	if (at == NULL || at == str || in_quote)
		return false;
	size_t local_len = (size_t)(at - str);
	if (str[0] == '"') {
		if (local_len < 2 || str[local_len - 1] != '"')
			return false;
		for (size_t i = 1; i + 1 < local_len; i++)
			if (str[i] == '\r' || str[i] == '\n' || str[i] == '\0')
				return false;
	} else if (!dot_atom_is_valid(str, local_len)) {
		return false;
	}
	return domain_is_valid(at + 1, len - local_len - 1);
}

bool sieve_field_name_is_valid(const char *str, size_t len)
{
	/* field-name = 1*ftext; ftext = %d33-57 / %d59-126 */
	if (len == 0 || len > 997)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

long sieve_bytes_find(const char *hay, size_t len, const char *needle,
                      size_t nlen)
{
	if (nlen == 0)
		return 0;
	if (nlen > len)
		return -1;
	if (nlen == 1) {
		const char *p = memchr(hay, needle[0], len);
		return p == NULL ? -1 : p - hay;
	}
	size_t *fail = malloc(nlen * sizeof(*fail));
	if (fail == NULL)
		abort();
	fail[0] = 0;
	for (size_t i = 1, k = 0; i < nlen; i++) {
		while (k > 0 && needle[i] != needle[k])
			k = fail[k - 1];
		if (needle[i] == needle[k])
			k++;
		fail[i] = k;
	}
	long found = -1;
	for (size_t i = 0, k = 0; i < len; i++) {
		while (k > 0 && hay[i] != needle[k])
			k = fail[k - 1];
		if (hay[i] == needle[k])
			k++;
		if (k == nlen) {
			found = (long)(i + 1 - nlen);
			break;
		}
	}
	free(fail);
	return found;
}
