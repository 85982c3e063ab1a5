/* Request methods (RFC 9110 §9) and those of WebDAV (RFC 4918), CalDAV
 * (RFC 4791), DAV ACL (RFC 3744), versioning REPORT (RFC 3253) and PATCH
 * (RFC 5789), as one enum so that routes can allow them as a bit set.
 * Method names are case-sensitive (RFC 9110 §9.1). */
#ifndef HTTP_HTTP_METHOD_H
#define HTTP_HTTP_METHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_method {
	HTTP_METHOD_UNKNOWN = 0, /* a valid token this library does not know */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_CONNECT,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_PATCH,
	HTTP_METHOD_PROPFIND,
	HTTP_METHOD_PROPPATCH,
	HTTP_METHOD_MKCOL,
	HTTP_METHOD_COPY,
	HTTP_METHOD_MOVE,
	HTTP_METHOD_LOCK,
	HTTP_METHOD_UNLOCK,
	HTTP_METHOD_REPORT,
	HTTP_METHOD_MKCALENDAR,
	HTTP_METHOD_ACL,
	HTTP_METHOD_COUNT
};

/* A set of methods, for a route's allowed methods. */
#define HTTP_METHOD_BIT(m) ((uint32_t)1 << (m))

/* Returns the method named by str[0..len) (exact case), or
 * HTTP_METHOD_UNKNOWN. */
enum http_method http_method_parse(const char *str, size_t len);
/* Returns the name of a known method ("GET"), or "" for UNKNOWN. */
const char *http_method_name(enum http_method method);
/* Writes "GET, HEAD, PUT" (the Allow field, RFC 9110 §10.2.1) for the set
 * into out (NUL-terminated; names that do not fit are left out). */
void http_method_set_str(uint32_t set, char *out, size_t size);
/* True for the safe methods (RFC 9110 §9.2.1: GET, HEAD, OPTIONS, TRACE;
 * PROPFIND and REPORT, which only read): those a cross-site request may
 * make without changing anything. */
bool http_method_is_safe(enum http_method method);

#endif
