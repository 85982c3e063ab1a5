/* Credentials of a request: the Authorization field (RFC 9110 §11.6.2)
 * with the Basic scheme (RFC 7617, UTF-8) and the Bearer scheme (RFC 6750
 * §2.1, for JMAP), or a session cookie (RFC 6265 §4.2, for the webmail).
 * The server engine asks the server to verify them and caches the verified
 * identity per connection under a digest of the credentials, so the same
 * credentials on the next request need no new check. A new scheme is a
 * new enum value here and a case in the server's verify callback. */
#ifndef HTTP_HTTP_AUTH_H
#define HTTP_HTTP_AUTH_H

#include "core/digest.h"
#include "http/http_headers.h"

struct pool;

enum http_auth_scheme {
	HTTP_AUTH_NONE,
	HTTP_AUTH_BASIC,  /* user and password */
	HTTP_AUTH_BEARER, /* token */
	HTTP_AUTH_COOKIE, /* token: the session cookie's value */
};

struct http_credentials {
	enum http_auth_scheme scheme;
	const char *user;     /* Basic: the user-id (UTF-8, no controls) */
	const char *password; /* Basic: the password (UTF-8, no controls) */
	const char *token;    /* Bearer: the token68; Cookie: the value */
};

/* Reads the credentials of a request: Authorization first, else the
 * cookie called cookie_name (NULL: none). Strings are from pool. Returns
 * 1 with *cred_r, 0 when there are none (scheme NONE), -1 when they are
 * malformed (answer 400) or of a scheme this library does not know (answer
 * 401), with *error_r (static) and *status_r. */
int http_auth_parse(const struct http_headers *headers, const char *cookie_name,
                    struct pool *pool, struct http_credentials *cred_r,
                    unsigned *status_r, const char **error_r);
/* Writes a digest of the credentials (scheme and secrets; the secrets
 * themselves are not kept) for the per-connection cache. */
void http_auth_key(const struct http_credentials *cred,
                   char key_r[DIGEST_SHA256_HEX_LEN + 1]);
/* Overwrites the password and token in place (explicit_bzero). */
void http_auth_wipe(struct http_credentials *cred);

#endif
