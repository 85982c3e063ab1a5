/* Base64 encoding and strict decoding (RFC 4648 §4). */
#include "core/base64.h"
#include "core/buf.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const void *data, size_t size, struct buf *out)
{
	const unsigned char *p = data;
	buf_reserve(out, (size + 2) / 3 * 4);
	for (size_t i = 0; i < size; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < size)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < size)
			v |= p[i + 2];
		buf_append_char(out, alphabet[(v >> 18) & 63]);
		buf_append_char(out, alphabet[(v >> 12) & 63]);
		buf_append_char(out, i + 1 < size ? alphabet[(v >> 6) & 63] : '=');
		buf_append_char(out, i + 2 < size ? alphabet[v & 63] : '=');
	}
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(const char *str, size_t len, struct buf *out)
{
	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			char c = str[i + j];
			if (c == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
			} else if (pad > 0 || (v[j] = b64val(c)) < 0) {
				return -1;
			}
		}
		unsigned n = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
			     (unsigned)v[2] << 6 | (unsigned)v[3];
		buf_append_char(out, (char)(n >> 16));
		if (pad < 2)
			buf_append_char(out, (char)(n >> 8 & 0xff));
		if (pad < 1)
			buf_append_char(out, (char)(n & 0xff));
	}
	return 0;
}
