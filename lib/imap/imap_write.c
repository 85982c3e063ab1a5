/* Response strings and mailbox-name encodings: RFC 9051 §4.3 (string
 * forms), RFC 3501 §5.1.3 (modified UTF-7: "&" shift, base64 with ","
 * for "/", UTF-16 underneath), RFC 3629 (UTF-8 validity). Invariant: a
 * name has exactly one modified UTF-7 form; the encoder writes it (one
 * shift per run of non-ASCII characters) and the decoder accepts nothing
 * else, so two wire names never reach one mailbox. */
#include "imap/imap_write.h"
#include "core/buf.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define QUOTED_MAX 1024

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Decodes one UTF-8 sequence at s (left bytes). Returns its length with
 * the code point in *cp, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n;
	uint32_t min;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, min = 0x80, *cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, min = 0x800, *cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, *cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

bool imap_utf8_is_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 || cp == 0)
			return false;
		i += n;
	}
	return true;
}

static bool is_atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

void imap_write_string(struct buf *out, const char *str, size_t len,
                       bool is_utf8)
{
	bool can_quote = len <= QUOTED_MAX;
	bool has_8bit = false;
	for (size_t i = 0; i < len && can_quote; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c == '\r' || c == '\n' || c == 0)
			can_quote = false;
		else if (c >= 0x80)
			has_8bit = true;
	}
	if (has_8bit && (!is_utf8 || !imap_utf8_is_valid(str, len)))
		can_quote = false;
	if (!can_quote) {
		buf_printf(out, "{%zu}\r\n", len);
		buf_append(out, str, len);
		return;
	}
	buf_append_char(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (str[i] == '"' || str[i] == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, str[i]);
	}
	buf_append_char(out, '"');
}

void imap_write_nstring(struct buf *out, const char *str, size_t len,
                        bool is_utf8)
{
	if (str == NULL)
		buf_append_str(out, "NIL");
	else
		imap_write_string(out, str, len, is_utf8);
}

void imap_write_astring(struct buf *out, const char *str, size_t len,
                        bool is_utf8)
{
	bool is_atom =
	    len > 0 && !(len == 3 && strncasecmp(str, "NIL", 3) == 0);
	for (size_t i = 0; i < len && is_atom; i++)
		is_atom = is_atom_char((unsigned char)str[i]);
	if (is_atom)
		buf_append(out, str, len);
	else
		imap_write_string(out, str, len, is_utf8);
}

void imap_write_mailbox(struct buf *out, const char *name, bool is_utf8)
{
	if (is_utf8) {
		imap_write_astring(out, name, strlen(name), true);
		return;
	}
	struct buf tmp;
	buf_init(&tmp);
	if (imap_utf7_encode(name, &tmp) < 0) {
		/* names are checked on the way in; never leak 8-bit here */
		buf_truncate(&tmp, 0);
		buf_append_str(&tmp, name);
	}
	imap_write_astring(out, tmp.data, tmp.len, false);
	buf_deinit(&tmp);
}

/* Bits of modified BASE64 not yet written (fewer than six). */
struct utf7_bits {
	uint32_t bits;
	int count;
};

static void utf7_put_unit(struct buf *out, struct utf7_bits *b, uint16_t u)
{
	b->bits = (b->bits << 16) | u;
	b->count += 16;
	while (b->count >= 6) {
		b->count -= 6;
		buf_append_char(out, b64chars[(b->bits >> b->count) & 0x3f]);
	}
	b->bits &= (1u << b->count) - 1;
}

/* Ends a shift: the last bits padded with zeros, then "-". */
static void utf7_close(struct buf *out, struct utf7_bits *b)
{
	if (b->count > 0)
		buf_append_char(out,
		                b64chars[(b->bits << (6 - b->count)) & 0x3f]);
	buf_append_char(out, '-');
	*b = (struct utf7_bits){0};
}

int imap_utf7_encode(const char *utf8, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t len = strlen(utf8), i = 0;
	struct utf7_bits b = {0};
	bool is_shifted = false;
	while (i < len) {
		uint32_t cp;
		size_t step = utf8_decode(s + i, len - i, &cp);
		if (step == 0)
			return -1;
		i += step;
		if (cp >= 0x20 && cp < 0x7f) {
			if (is_shifted)
				utf7_close(out, &b);
			is_shifted = false;
			if (cp == '&')
				buf_append_str(out, "&-");
			else
				buf_append_char(out, (char)cp);
			continue;
		}
		if (!is_shifted) /* one shift for the whole run */
			buf_append_char(out, '&');
		is_shifted = true;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			utf7_put_unit(out, &b, (uint16_t)(0xd800 | (cp >> 10)));
			utf7_put_unit(out, &b,
			              (uint16_t)(0xdc00 | (cp & 0x3ff)));
		} else {
			utf7_put_unit(out, &b, (uint16_t)cp);
		}
	}
	if (is_shifted)
		utf7_close(out, &b);
	return 0;
}

static int b64_value(char c)
{
	const char *p = c != '\0' ? strchr(b64chars, c) : NULL;
	return p != NULL ? (int)(p - b64chars) : -1;
}

/* Decodes the base64 run at *p up to "-". Returns 0 or -1. */
static int utf7_decode_run(const char **p, struct buf *out)
{
	const char *s = *p;
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	size_t units = 0;
	for (; *s != '-'; s++) {
		int v = b64_value(*s);
		if (v < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xffff;
		units++;
		if (high != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return -1;
			buf_append_utf8(out, 0x10000 + ((high - 0xd800) << 10) +
			                         (u - 0xdc00));
			high = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
		} else if ((u >= 0xdc00 && u <= 0xdfff) ||
		           (u >= 0x20 && u < 0x7f) || u == 0) {
			/* a lone low surrogate, printable ASCII that stands
			 * for itself, or U+0000, which no name holds */
			return -1;
		} else {
			buf_append_utf8(out, u);
		}
	}
	/* leftover bits must be zero padding shorter than a base64 digit */
	if (units == 0 || high != 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	*p = s + 1;
	return 0;
}

int imap_utf7_decode(const char *mutf7, struct buf *out)
{
	const char *p = mutf7;
	while (*p != '\0') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c >= 0x7f)
			return -1;
		if (c != '&') {
			buf_append_char(out, (char)c);
			p++;
			continue;
		}
		p++;
		if (*p == '-') {
			buf_append_char(out, '&');
			p++;
			continue;
		}
		if (utf7_decode_run(&p, out) < 0)
			return -1;
		/* "-&" then BASE64 is a null shift: the run goes on in one */
		if (*p == '&' && p[1] != '-')
			return -1;
	}
	return 0;
}
