/* Address and domain syntax for the store (RFC 5321 §4.1.2 Local-part,
 * §4.1.3 Domain; lengths from §4.5.3.1). Addresses are kept lowercased
 * (local part included: Postroom treats local parts case-insensitively),
 * split at the last '@'. Local parts may hold UTF-8 (RFC 6531 §3.3,
 * atext =/ UTF8-non-ascii); only ASCII letters are lowercased, so "Ö" and
 * "ö" stay different. Domains are ASCII (A-labels, RFC 5890). */
#include "core/pool.h"
#include "store/store_private.h"

#include <ctype.h>
#include <string.h>

#define LOCAL_PART_MAX 64 /* RFC 5321 §4.5.3.1.1 */
#define DOMAIN_MAX 253    /* RFC 1035 §2.3.4, without the root dot */
#define LABEL_MAX 63
#define ADDRESS_MAX 254 /* a path is 256 with its angle brackets */

static bool is_atext(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Returns the length of the well-formed UTF-8 sequence of 2 to 4 bytes at
 * s (RFC 3629 §4: no overlongs, no surrogates, at most U+10FFFF), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t n;
	unsigned min;
	unsigned cp;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Dot-string = Atom *("." Atom); atext includes UTF8-non-ascii (RFC 6531) */
static bool dot_string_is_valid(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			size_t n = utf8_seq_len((const unsigned char *)s + i,
						len - i);
			if (n == 0)
				return false;
			i += n - 1;
		} else if (c == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!is_atext(c)) {
			return false;
		}
	}
	return true;
}

/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE
 * QcontentSMTP = qtextSMTP / quoted-pairSMTP */
static bool quoted_string_is_valid(const char *s, size_t len)
{
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return false;
	for (size_t i = 1; i < len - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\') {
			i++;
			if (i >= len - 1 || s[i] < 32 || s[i] > 126)
				return false;
		} else if (c < 32 || c > 126 || c == '"') {
			return false;
		}
	}
	return true;
}

bool store_domain_is_valid(const char *domain)
{
	size_t len = strlen(domain), label = 0;
	if (len == 0 || len > DOMAIN_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)domain[i];
		if (c == '.' || c == '\0') {
			/* labels may not start or end with a hyphen */
			if (label == 0 || label > LABEL_MAX ||
			    domain[i - 1] == '-' || domain[i - label] == '-')
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-') {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

bool store_address_is_valid(const char *addr)
{
	const char *at = strrchr(addr, '@');
	if (at == NULL || strlen(addr) > ADDRESS_MAX)
		return false;
	size_t local_len = (size_t)(at - addr);
	if (local_len == 0 || local_len > LOCAL_PART_MAX)
		return false;
	if (!dot_string_is_valid(addr, local_len) &&
	    !quoted_string_is_valid(addr, local_len))
		return false;
	return store_domain_is_valid(at + 1);
}

static char *lowercase_dup(const char *s, struct pool *pool)
{
	char *copy = pool_strdup(pool, s);
	for (char *p = copy; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

char *store_address_normalize(const char *address, struct pool *pool)
{
	if (address[0] == '@')
		return store_domain_is_valid(address + 1)
		           ? lowercase_dup(address, pool)
		           : NULL;
	if (!store_address_is_valid(address))
		return NULL;
	return lowercase_dup(address, pool);
}

int store_address_split(const char *address, struct pool *pool,
                        const char **local_r, const char **domain_r)
{
	const char *at = strrchr(address, '@');
	if (at == NULL)
		return -1;
	*local_r = pool_strndup(pool, address, (size_t)(at - address));
	*domain_r = pool_strdup(pool, at + 1);
	return 0;
}
