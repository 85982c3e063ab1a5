/* Accept-Encoding = #( codings [ weight ] ) with weight = OWS ";" OWS "q="
 * qvalue (RFC 9110 §12.4.2, §12.5.3), and deflate with the gzip wrapper
 * (windowBits 16 + 15) at level 6, zlib's default trade-off. */
#include "http/http_gzip.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/http_syntax.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths; -1 if invalid. */
static int http_qvalue(const char *p, size_t len)
{
	if (len == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	int q = (p[0] - '0') * 1000;
	if (len == 1)
		return q;
	if (p[1] != '.' || len > 5)
		return -1;
	int scale = 100;
	for (size_t i = 2; i < len; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* The weight of one element (1000 when none); -1 if malformed. */
static int http_gzip_weight(const char *p, const char *end)
{
	const char *name, *value;
	size_t nlen, vlen;
	int q = 1000, ret;
	while ((ret = http_param_next(&p, end, &name, &nlen, &value, &vlen)) >
	       0)
		if (http_str_eq_ci(name, nlen, "q"))
			q = http_qvalue(value, vlen);
	return ret < 0 ? -1 : q;
}

bool http_gzip_is_accepted(const char *accept_encoding,
                           bool *identity_refused_r)
{
	int gzip = -1, identity = -1, star = -1;
	if (identity_refused_r != NULL)
		*identity_refused_r = false;
	if (accept_encoding == NULL)
		return false;
	const char *pos = accept_encoding, *elem;
	size_t len;
	while (http_list_next(&pos, &elem, &len) > 0) {
		size_t n = 0;
		while (n < len && http_is_tchar((unsigned char)elem[n]))
			n++;
		int q = http_gzip_weight(elem + n, elem + len);
		if (q < 0)
			continue; /* a malformed element says nothing */
		if (http_str_eq_ci(elem, n, "gzip") ||
		    http_str_eq_ci(elem, n, "x-gzip"))
			gzip = q > gzip ? q : gzip;
		else if (http_str_eq_ci(elem, n, "identity"))
			identity = q;
		else if (n == 1 && elem[0] == '*')
			star = q;
	}
	if (gzip < 0)
		gzip = star >= 0 ? star : 0;
	/* identity is acceptable unless refused by name or by "*;q=0"; not
	 * named, it never outweighs a gzip that is */
	if (identity < 0)
		identity = star == 0 ? 0 : 1;
	if (identity_refused_r != NULL)
		*identity_refused_r = identity == 0;
	return gzip > 0 && gzip >= identity;
}

bool http_gzip_is_compressible(const char *type)
{
	static const char *const types[] = {
	    "application/json", "application/javascript", "application/xml",
	    "image/svg+xml",    "text/javascript",
	};
	if (type == NULL)
		return false;
	size_t len = strcspn(type, "; \t");
	if (len > 5 && http_str_eq_ci(type, 5, "text/"))
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (http_str_eq_ci(type, len, types[i]))
			return true;
	return (len > 5 && http_str_eq_ci(type + len - 5, 5, "+json")) ||
	       (len > 4 && http_str_eq_ci(type + len - 4, 4, "+xml"));
}

struct http_gzip {
	z_stream z;
};

struct http_gzip *http_gzip_new(void)
{
	struct http_gzip *gz = xcalloc(1, sizeof(*gz));
	if (deflateInit2(&gz->z, 6, Z_DEFLATED, 16 + 15, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		log_panic("http: deflateInit2 failed");
	return gz;
}

void http_gzip_free(struct http_gzip **gzp)
{
	struct http_gzip *gz = *gzp;
	if (gz == NULL)
		return;
	*gzp = NULL;
	deflateEnd(&gz->z);
	free(gz);
}

static void http_gzip_run(struct http_gzip *gz, const void *data, size_t size,
                          int flush, struct buf *out)
{
	gz->z.next_in = (Bytef *)(uintptr_t)data;
	gz->z.avail_in = (uInt)size;
	for (;;) {
		buf_reserve(out, 16384);
		gz->z.next_out = (Bytef *)out->data + out->len;
		gz->z.avail_out = (uInt)(out->cap - out->len - 1);
		uInt before = gz->z.avail_out;
		int ret = deflate(&gz->z, flush);
		if (ret == Z_STREAM_ERROR)
			log_panic("http: deflate failed");
		out->len += before - gz->z.avail_out;
		out->data[out->len] = '\0';
		if (flush == Z_FINISH
		        ? ret == Z_STREAM_END
		        : gz->z.avail_out != 0 && gz->z.avail_in == 0)
			break;
	}
}

void http_gzip_write(struct http_gzip *gz, const void *data, size_t size,
                     struct buf *out)
{
	/* zlib counts in uInt: feed big inputs in pieces */
	const unsigned char *p = data;
	while (size > 0) {
		size_t n = size > (1u << 30) ? (1u << 30) : size;
		http_gzip_run(gz, p, n, Z_NO_FLUSH, out);
		p += n;
		size -= n;
	}
}

void http_gzip_finish(struct http_gzip *gz, struct buf *out)
{
	http_gzip_run(gz, NULL, 0, Z_FINISH, out);
}
