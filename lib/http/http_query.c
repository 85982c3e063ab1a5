/* Query parameters (http_query.h). The parser has checked the query's
 * characters already (RFC 3986 pchar, "/", "?", pct-encoded). */
#include "http/http_query.h"
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_path.h"
#include "http/http_syntax.h"

#include <string.h>

/* Decodes str[0..len) into out (a malformed "%" is kept as it is). */
static void http_query_decode(const char *str, size_t len, struct buf *out)
{
	buf_truncate(out, 0);
	for (size_t i = 0; i < len; i++) {
		if (str[i] == '%' && len - i >= 3 &&
		    http_hex_value((unsigned char)str[i + 1]) >= 0 &&
		    http_hex_value((unsigned char)str[i + 2]) >= 0) {
			buf_append_char(
			    out,
			    (char)(http_hex_value((unsigned char)str[i + 1]) *
			               16 +
			           http_hex_value((unsigned char)str[i + 2])));
			i += 2;
		} else {
			buf_append_char(out, str[i]);
		}
	}
}

static bool http_query_value_ok(const struct buf *value)
{
	for (size_t i = 0; i < value->len; i++) {
		unsigned char c = (unsigned char)value->data[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return http_path_is_utf8((const unsigned char *)value->data,
	                         value->len);
}

/* query = *( pchar / "/" / "?" ), pairs = pair *( "&" pair ),
 * pair = name [ "=" value ] */
int http_query_get(const char *query, const char *name, struct pool *pool,
                   const char **value_r)
{
	struct buf key, value;
	int ret = 0;
	buf_init(&key);
	buf_init(&value);
	for (const char *p = query; p != NULL && ret == 0;) {
		const char *amp = strchr(p, '&');
		size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t key_len = eq != NULL ? (size_t)(eq - p) : len;
		http_query_decode(p, key_len, &key);
		if (key.len == strlen(name) &&
		    memcmp(key.data, name, key.len) == 0) {
			if (eq != NULL)
				http_query_decode(eq + 1, len - key_len - 1,
				                  &value);
			if (!http_query_value_ok(&value)) {
				ret = -1;
				break;
			}
			*value_r = pool_strndup(pool, value.data, value.len);
			ret = 1;
		}
		p = amp != NULL ? amp + 1 : NULL;
	}
	buf_deinit(&key);
	buf_deinit(&value);
	return ret;
}
