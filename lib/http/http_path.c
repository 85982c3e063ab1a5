/* Path normalisation: each raw segment (split on a literal "/") is decoded
 * on its own, so an encoded "/" can be told from a real one, then checked
 * and appended. */
#include "http/http_path.h"
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_syntax.h"

#include <string.h>

bool http_path_is_utf8(const unsigned char *s, unsigned long len)
{
	unsigned long i = 0;
	while (i < len) {
		unsigned char c = s[i];
		unsigned n;
		unsigned long cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static int http_path_fail(unsigned status, const char *error,
                          unsigned *status_r, const char **error_r)
{
	*status_r = status;
	*error_r = error;
	return -1;
}

/* Decodes one segment into seg; returns 0 or -1. */
static int http_path_segment(const char *p, const char *end,
                             bool allow_encoded_slash, struct buf *seg,
                             unsigned *status_r, const char **error_r)
{
	buf_truncate(seg, 0);
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%' && end - p >= 3 && http_hex_value(p[1]) >= 0 &&
		    http_hex_value(p[2]) >= 0) {
			c = (unsigned char)(http_hex_value(p[1]) * 16 +
			                    http_hex_value(p[2]));
			p += 2;
			if (c == '/' && !allow_encoded_slash)
				return http_path_fail(404,
				                      "encoded slash in path",
				                      status_r, error_r);
		}
		if (c < 0x20 || c == 0x7f)
			return http_path_fail(400, "control character in path",
			                      status_r, error_r);
		buf_append_char(seg, (char)c);
	}
	if (!http_path_is_utf8((const unsigned char *)seg->data, seg->len))
		return http_path_fail(400, "path is not UTF-8", status_r,
		                      error_r);
	return 0;
}

int http_path_normalize(const char *path, bool allow_encoded_slash,
                        struct pool *pool, const char **out_r,
                        unsigned *status_r, const char **error_r)
{
	if (path[0] != '/')
		return http_path_fail(400, "path is not absolute", status_r,
		                      error_r);
	struct buf out, seg;
	buf_init(&out);
	buf_init(&seg);
	int ret = 0;
	const char *p = path + 1;
	size_t len = strlen(path);
	bool has_trailing_slash = len > 1 && path[len - 1] == '/';
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		ret = http_path_segment(p, end, allow_encoded_slash, &seg,
		                        status_r, error_r);
		if (ret < 0)
			break;
		p = *end == '/' ? end + 1 : end;
		if (seg.len == 0 || strcmp(seg.data, ".") == 0)
			continue;
		if (strcmp(seg.data, "..") == 0) {
			ret = http_path_fail(400, "dot-dot segment in path",
			                     status_r, error_r);
			break;
		}
		buf_append_char(&out, '/');
		buf_append(&out, seg.data, seg.len);
	}
	if (ret == 0) {
		if (out.len == 0 || has_trailing_slash)
			buf_append_char(&out, '/');
		*out_r = pool_strndup(pool, out.data, out.len);
	}
	buf_deinit(&out);
	buf_deinit(&seg);
	return ret;
}
