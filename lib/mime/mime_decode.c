/* Decoding for display and search, by GMime 3: RFC 2047 §6 encoded words
 * (g_mime_utils_header_decode_text, which also copes with the usual
 * breakage: words glued to text, split multibyte characters), charset
 * conversion through GMime's iconv wrapper (it knows the aliases mailers
 * use and skips bad bytes), and RFC 2045 §6.8 base64. Quoted-printable
 * (§6.7) is decoded here: GMime's decoder keeps the trailing whitespace
 * rule 3 says to delete, and so misses a soft line break ("=") followed by
 * such whitespace. Every output is valid UTF-8 (g_utf8_make_valid) or
 * the decoded bytes. */
#include "mime/mime_decode.h"

#include "core/buf.h"

#include <gmime/gmime.h>
#include <string.h>
#include <strings.h>

#define DECODE_CHUNK 65536

static void gmime_ensure_init(void)
{
	static bool is_initialized = false;
	/* Processes are single-threaded (DESIGN.md), so no lock. */
	if (!is_initialized) {
		g_mime_init();
		is_initialized = true;
	}
}

static void utf8_append(const char *s, size_t len, struct buf *out)
{
	if (g_utf8_validate(s, (gssize)len, NULL)) {
		buf_append(out, s, len);
		return;
	}
	char *valid = g_utf8_make_valid(s, (gssize)len);
	buf_append_str(out, valid);
	g_free(valid);
}

void mime_decode_header(const unsigned char *value, size_t len, struct buf *out)
{
	gmime_ensure_init();
	struct buf unfolded;
	buf_init(&unfolded);
	for (size_t i = 0; i < len; i++) {
		if (value[i] != '\r' && value[i] != '\n' && value[i] != '\0')
			buf_append_char(&unfolded, (char)value[i]);
	}
	char *decoded = g_mime_utils_header_decode_text(NULL, unfolded.data);
	if (decoded != NULL) {
		/* GMime trims nothing: do it for stable search text. */
		const char *s = decoded;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		utf8_append(s, n, out);
		g_free(decoded);
	} else {
		utf8_append(unfolded.data, unfolded.len, out);
	}
	buf_deinit(&unfolded);
}

static bool charset_is_utf8_like(const char *charset)
{
	return charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	       strcasecmp(charset, "utf8") == 0 ||
	       strcasecmp(charset, "us-ascii") == 0 ||
	       strcasecmp(charset, "ascii") == 0;
}

static void latin1_append(const unsigned char *data, size_t size,
                          struct buf *out)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] < 0x80) {
			buf_append_char(out, (char)data[i]);
		} else {
			buf_append_char(out, (char)(0xc0 | (data[i] >> 6)));
			buf_append_char(out, (char)(0x80 | (data[i] & 0x3f)));
		}
	}
}

/* Is charset one whose text holds NUL bytes (UTF-16, UTF-32, UCS-2/4)? */
static bool charset_is_wide(const char *charset)
{
	return charset != NULL && (strncasecmp(charset, "utf-16", 6) == 0 ||
	                           strncasecmp(charset, "utf-32", 6) == 0 ||
	                           strncasecmp(charset, "ucs-", 4) == 0 ||
	                           strncasecmp(charset, "ucs2", 4) == 0 ||
	                           strncasecmp(charset, "ucs4", 4) == 0);
}

void mime_decode_charset(const char *charset, const unsigned char *data,
                         size_t size, struct buf *out)
{
	gmime_ensure_init();
	if (!charset_is_wide(charset) && memchr(data, '\0', size) != NULL) {
		/* A NUL in 7bit or 8bit text is noise (RFC 2045 §2.7-2.8),
		 * and would end the text for UTF-8 checks and iconv: a
		 * space instead, so the text after it is still searched. */
		struct buf copy;
		buf_init(&copy);
		buf_append(&copy, data, size);
		for (size_t i = 0; i < size; i++)
			if (copy.data[i] == '\0')
				copy.data[i] = ' ';
		mime_decode_charset(charset, (const unsigned char *)copy.data,
		                    size, out);
		buf_deinit(&copy);
		return;
	}
	/* us-ascii labels on UTF-8 text are common: keep valid UTF-8. */
	if (charset_is_utf8_like(charset) &&
	    g_utf8_validate((const char *)data, (gssize)size, NULL)) {
		buf_append(out, data, size);
		return;
	}
	iconv_t cd = charset_is_utf8_like(charset)
	                 ? (iconv_t)-1
	                 : g_mime_iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		latin1_append(data, size, out);
		return;
	}
	char *conv = g_mime_iconv_strndup(cd, (const char *)data, size);
	g_mime_iconv_close(cd);
	if (conv == NULL) {
		latin1_append(data, size, out);
		return;
	}
	utf8_append(conv, strlen(conv), out);
	g_free(conv);
}

bool mime_decode_transfer_is_known(const char *encoding)
{
	static const char *const known[] = {"7bit", "8bit", "binary", "base64",
	                                    "quoted-printable"};
	if (encoding == NULL || *encoding == '\0')
		return true;
	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++) {
		if (strcasecmp(encoding, known[i]) == 0)
			return true;
	}
	return false;
}

/* Unpadded base64 at the end (common from broken mailers) leaves bits in
 * GMime's state: feed the missing '=' so they come out. */
static void base64_pad(const unsigned char *data, size_t size, int *state,
                       guint32 *save, struct buf *out)
{
	size_t count = 0;
	for (size_t i = 0; i < size; i++) {
		unsigned char c = data[i];
		if (c == '=')
			return;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/')
			count++;
	}
	static const unsigned char pad[] = "==";
	size_t n = count % 4 == 2 ? 2 : count % 4 == 3 ? 1 : 0;
	if (n == 0)
		return;
	buf_reserve(out, 8);
	out->len += g_mime_encoding_base64_decode_step(
	    pad, n, (unsigned char *)out->data + out->len, state, save);
	out->data[out->len] = '\0';
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10; /* RFC 2045 §6.7 note 1: robust */
	return -1;
}

/* Decodes one encoded line (its line end not included): rule 3, trailing
 * SPACE and TAB are transport padding and go; rule 5, an "=" that then
 * ends the line is a soft line break. Returns true if it was. */
static bool qp_line_decode(const unsigned char *s, size_t len, struct buf *out)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	bool is_soft = len > 0 && s[len - 1] == '=';
	if (is_soft)
		len--;
	size_t i = 0;
	while (i < len) {
		const unsigned char *eq = memchr(s + i, '=', len - i);
		size_t n = eq == NULL ? len - i : (size_t)(eq - (s + i));
		buf_append(out, s + i, n);
		i += n;
		if (i == len)
			break;
		int hi = i + 1 < len ? hex_value(s[i + 1]) : -1;
		int lo = hi >= 0 && i + 2 < len ? hex_value(s[i + 2]) : -1;
		if (lo >= 0) {
			buf_append_char(out, (char)(hi << 4 | lo));
			i += 3;
		} else {
			/* note 2: an "=" that starts no escape is kept */
			buf_append_char(out, '=');
			i++;
		}
	}
	return is_soft;
}

/* Quoted-printable (RFC 2045 §6.7), line by line: a hard line break keeps
 * the line end it had (CRLF, or a bare LF); a soft one disappears. */
static void qp_decode(const unsigned char *data, size_t size, struct buf *out)
{
	size_t pos = 0;
	buf_reserve(out, size);
	while (pos < size) {
		const unsigned char *lf = memchr(data + pos, '\n', size - pos);
		size_t end = lf == NULL ? size : (size_t)(lf - data);
		size_t len = end - pos;
		bool has_cr = lf != NULL && len > 0 && data[end - 1] == '\r';
		if (has_cr)
			len--;
		bool is_soft = qp_line_decode(data + pos, len, out);
		if (lf != NULL && !is_soft)
			buf_append(out, has_cr ? "\r\n" : "\n", has_cr ? 2 : 1);
		pos = lf == NULL ? size : end + 1;
	}
}

int mime_decode_transfer(const char *encoding, const unsigned char *data,
                         size_t size, struct buf *out)
{
	if (!mime_decode_transfer_is_known(encoding))
		return -1;
	bool is_b64 = encoding != NULL && strcasecmp(encoding, "base64") == 0;
	bool is_qp =
	    encoding != NULL && strcasecmp(encoding, "quoted-printable") == 0;
	if (!is_b64 && !is_qp) {
		buf_append(out, data, size);
		return 0;
	}
	if (is_qp) {
		qp_decode(data, size, out);
		return 0;
	}
	int state = 0;
	guint32 save = 0;
	/* Decoding in chunks bounds the extra memory; the decoder keeps its
	 * state across calls. The output is 3/4 of the input. */
	for (size_t pos = 0; pos < size; pos += DECODE_CHUNK) {
		size_t n =
		    size - pos < DECODE_CHUNK ? size - pos : DECODE_CHUNK;
		buf_reserve(out, n + 4);
		unsigned char *dst = (unsigned char *)out->data + out->len;
		out->len += g_mime_encoding_base64_decode_step(
		    data + pos, n, dst, &state, &save);
		out->data[out->len] = '\0';
	}
	base64_pad(data, size, &state, &save, out);
	return 0;
}
