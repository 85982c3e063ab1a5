/* Collations for text-match (RFC 4790 §9, RFC 5051); see
 * dav_collation.h. Both sides are folded into buffers, then compared as
 * bytes, which is what each collation's equality and substring operations
 * come to once case is gone. */
#include "dav/dav_collation.h"
#include "core/buf.h"

#include <stdint.h>
#include <string.h>

int dav_collation_parse(const char *name, enum dav_collation *collation_r)
{
	if (name == NULL || strcmp(name, "i;ascii-casemap") == 0)
		*collation_r = DAV_COLLATION_ASCII_CASEMAP;
	else if (strcmp(name, "i;octet") == 0)
		*collation_r = DAV_COLLATION_OCTET;
	else if (strcmp(name, "i;unicode-casemap") == 0)
		*collation_r = DAV_COLLATION_UNICODE_CASEMAP;
	else
		return -1;
	return 0;
}

int dav_match_type_parse(const char *name, enum dav_match_type *type_r)
{
	if (name == NULL || strcmp(name, "contains") == 0)
		*type_r = DAV_MATCH_CONTAINS;
	else if (strcmp(name, "equals") == 0)
		*type_r = DAV_MATCH_EQUALS;
	else if (strcmp(name, "starts-with") == 0)
		*type_r = DAV_MATCH_STARTS_WITH;
	else if (strcmp(name, "ends-with") == 0)
		*type_r = DAV_MATCH_ENDS_WITH;
	else
		return -1;
	return 0;
}

/* Simple case folding of one code point (the ranges of dav_collation.h). */
static uint32_t fold_cp(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))
		return c + 32;
	if (c == 0xB5)
		return 0x3BC;
	if (c == 0x178)
		return 0xFF;
	if (c == 0x17F)
		return 's';
	if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) ||
	    (c >= 0x14A && c <= 0x177) || (c >= 0x1E00 && c <= 0x1E95) ||
	    (c >= 0x1EA0 && c <= 0x1EFF) || (c >= 0x460 && c <= 0x481) ||
	    (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E) ||
	    (c >= 0x4C1 && c <= 0x4CE))
		return (c & 1) ? c + 1 : c;
	if ((c >= 0x391 && c <= 0x3A9 && c != 0x3A2) ||
	    (c >= 0x410 && c <= 0x42F) || (c >= 0xFF21 && c <= 0xFF3A))
		return c + 32;
	if (c == 0x386)
		return 0x3AC;
	if (c >= 0x388 && c <= 0x38A)
		return c + 37;
	if (c == 0x38C)
		return 0x3CC;
	if (c == 0x38E || c == 0x38F)
		return c + 63;
	if (c == 0x3C2)
		return 0x3C3;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	if (c == 0x4C0)
		return 0x4CF;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if (c >= 0x10A0 && c <= 0x10C5)
		return c - 0x10A0 + 0x2D00;
	return c;
}

/* Decodes one UTF-8 sequence at s. Returns its length (1 for an invalid
 * byte, *cp_r then the byte with is_valid false). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp_r,
                        bool *is_valid_r)
{
	*is_valid_r = true;
	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
	uint32_t cp = len == 4   ? s[0] & 0x07
	              : len == 3 ? s[0] & 0x0F
	                         : s[0] & 0x1F;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			len = 0;
			break;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (len == 0 || s[0] > 0xF4 || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF)) {
		*is_valid_r = false;
		*cp_r = s[0];
		return 1;
	}
	*cp_r = cp;
	return len;
}

void dav_collation_fold(enum dav_collation collation, const char *str,
                        struct buf *out)
{
	const unsigned char *s = (const unsigned char *)str;
	switch (collation) {
	case DAV_COLLATION_OCTET:
		buf_append_str(out, str);
		return;
	case DAV_COLLATION_ASCII_CASEMAP:
		for (; *s != '\0'; s++)
			buf_append_char(
			    out, (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s));
		return;
	case DAV_COLLATION_UNICODE_CASEMAP:
		while (*s != '\0') {
			uint32_t cp;
			bool is_valid;
			size_t len = utf8_next(s, &cp, &is_valid);
			if (is_valid)
				buf_append_utf8(out, fold_cp(cp));
			else
				buf_append_char(out, (char)*s);
			s += len;
		}
		return;
	}
}

/* Returns true if h[0..hlen) holds n[0..nlen) (memmem is GNU). */
static bool bytes_contain(const char *h, size_t hlen, const char *n,
                          size_t nlen)
{
	for (size_t i = 0; i + nlen <= hlen; i++) {
		if (memcmp(h + i, n, nlen) == 0)
			return true;
	}
	return false;
}

bool dav_collation_match(enum dav_collation collation, enum dav_match_type type,
                         const char *needle, const char *haystack)
{
	struct buf n, h;
	buf_init(&n);
	buf_init(&h);
	dav_collation_fold(collation, needle, &n);
	dav_collation_fold(collation, haystack, &h);
	bool match = false;
	switch (type) {
	case DAV_MATCH_EQUALS:
		match = n.len == h.len && memcmp(n.data, h.data, n.len) == 0;
		break;
	case DAV_MATCH_CONTAINS:
		match = bytes_contain(h.data, h.len, n.data, n.len);
		break;
	case DAV_MATCH_STARTS_WITH:
		match = n.len <= h.len && memcmp(h.data, n.data, n.len) == 0;
		break;
	case DAV_MATCH_ENDS_WITH:
		match = n.len <= h.len &&
		        memcmp(h.data + h.len - n.len, n.data, n.len) == 0;
		break;
	}
	buf_deinit(&n);
	buf_deinit(&h);
	return match;
}
