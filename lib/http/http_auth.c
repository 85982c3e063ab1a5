/* credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * (RFC 9110 §11.4); Basic: token68 is base64 of user-id ":" password
 * (RFC 7617 §2); Bearer: b64token (RFC 6750 §2.1); Cookie: cookie-string
 * = cookie-pair *( ";" SP cookie-pair ) (RFC 6265 §4.2.1). */
#include "http/http_auth.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "http/http_path.h"
#include "http/http_syntax.h"

#include <string.h>

static int http_auth_fail(unsigned status, const char *error,
                          unsigned *status_r, const char **error_r)
{
	*status_r = status;
	*error_r = error;
	return -1;
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool http_is_token68(const char *s)
{
	size_t i = 0;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	       (s[i] >= '0' && s[i] <= '9') ||
	       (s[i] != '\0' && strchr("-._~+/", s[i]) != NULL))
		i++;
	if (i == 0)
		return false;
	while (s[i] == '=')
		i++;
	return s[i] == '\0';
}

/* No control characters (RFC 7617 §2), valid UTF-8 (its charset). */
static bool http_auth_is_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return http_path_is_utf8((const unsigned char *)s, len);
}

static int http_auth_basic(const char *b64, struct pool *pool,
                           struct http_credentials *cred, unsigned *status_r,
                           const char **error_r)
{
	struct buf plain;
	buf_init(&plain);
	int ret = -1;
	const char *colon;
	if (!http_is_token68(b64) ||
	    base64_decode(b64, strlen(b64), &plain) < 0)
		http_auth_fail(400, "bad Basic credentials", status_r, error_r);
	else if ((colon = memchr(plain.data, ':', plain.len)) == NULL)
		http_auth_fail(400, "no colon in Basic credentials", status_r,
		               error_r);
	else if (!http_auth_is_text(plain.data, plain.len))
		http_auth_fail(400, "Basic credentials are not UTF-8 text",
		               status_r, error_r);
	else {
		size_t ulen = (size_t)(colon - plain.data);
		cred->scheme = HTTP_AUTH_BASIC;
		cred->user = pool_strndup(pool, plain.data, ulen);
		cred->password =
		    pool_strndup(pool, colon + 1, plain.len - ulen - 1);
		ret = 1;
	}
	explicit_bzero(plain.data, plain.len);
	buf_deinit(&plain);
	return ret;
}

/* The value of cookie name in a Cookie field, or NULL. */
static const char *http_auth_cookie(const struct http_headers *headers,
                                    const char *name, struct pool *pool)
{
	size_t nlen = strlen(name);
	for (unsigned i = 0; i < headers->count; i++) {
		const struct http_header *h = &headers->items[i];
		if (!http_str_eq_ci(h->name, strlen(h->name), "Cookie"))
			continue;
		const char *p = h->value;
		while (*p != '\0') {
			while (*p == ' ' || *p == ';')
				p++;
			const char *end = strchr(p, ';');
			size_t len =
			    end != NULL ? (size_t)(end - p) : strlen(p);
			if (len > nlen && p[nlen] == '=' &&
			    memcmp(p, name, nlen) == 0)
				return pool_strndup(pool, p + nlen + 1,
				                    len - nlen - 1);
			p += len;
		}
	}
	return NULL;
}

int http_auth_parse(const struct http_headers *headers, const char *cookie_name,
                    struct pool *pool, struct http_credentials *cred_r,
                    unsigned *status_r, const char **error_r)
{
	memset(cred_r, 0, sizeof(*cred_r));
	unsigned n = http_headers_count(headers, "Authorization");
	if (n > 1)
		return http_auth_fail(400, "several Authorization fields",
		                      status_r, error_r);
	if (n == 0) {
		const char *value =
		    cookie_name != NULL
		        ? http_auth_cookie(headers, cookie_name, pool)
		        : NULL;
		if (value == NULL || *value == '\0')
			return 0;
		cred_r->scheme = HTTP_AUTH_COOKIE;
		cred_r->token = value;
		return 1;
	}
	const char *value = http_headers_get(headers, "Authorization");
	size_t slen = 0;
	while (http_is_tchar((unsigned char)value[slen]))
		slen++;
	const char *rest = value + slen;
	if (slen == 0 || (*rest != ' ' && *rest != '\0'))
		return http_auth_fail(400, "bad Authorization field", status_r,
		                      error_r);
	while (*rest == ' ')
		rest++;
	if (http_str_eq_ci(value, slen, "Basic"))
		return http_auth_basic(rest, pool, cred_r, status_r, error_r);
	if (http_str_eq_ci(value, slen, "Bearer")) {
		if (!http_is_token68(rest))
			return http_auth_fail(400, "bad Bearer token", status_r,
			                      error_r);
		cred_r->scheme = HTTP_AUTH_BEARER;
		cred_r->token = pool_strdup(pool, rest);
		return 1;
	}
	return http_auth_fail(401, "unsupported authentication scheme",
	                      status_r, error_r);
}

void http_auth_key(const struct http_credentials *cred,
                   char key_r[DIGEST_SHA256_HEX_LEN + 1])
{
	struct digest_sha256 *d = digest_sha256_new();
	unsigned char scheme = (unsigned char)cred->scheme;
	digest_sha256_update(d, &scheme, 1);
	const char *parts[] = {cred->user, cred->password, cred->token};
	for (size_t i = 0; i < 3; i++) {
		const char *s = parts[i] != NULL ? parts[i] : "";
		/* each part with its NUL, so "a"+"bc" differs from "ab"+"c" */
		digest_sha256_update(d, s, strlen(s) + 1);
	}
	digest_sha256_final_hex(d, key_r);
	digest_sha256_free(&d);
}

void http_auth_wipe(struct http_credentials *cred)
{
	if (cred->password != NULL)
		explicit_bzero((char *)cred->password, strlen(cred->password));
	if (cred->token != NULL)
		explicit_bzero((char *)cred->token, strlen(cred->token));
}
