/* The method table: names in enum order (RFC 9110 §9, RFC 4918 §9, RFC 4791
 * §5.3.1, RFC 3744 §8.1, RFC 3253 §3.6, RFC 5789 §2). */
#include "http/http_method.h"

#include <stdio.h>
#include <string.h>

static const char *const http_method_names[HTTP_METHOD_COUNT] = {
    [HTTP_METHOD_UNKNOWN] = "",
    [HTTP_METHOD_GET] = "GET",
    [HTTP_METHOD_HEAD] = "HEAD",
    [HTTP_METHOD_POST] = "POST",
    [HTTP_METHOD_PUT] = "PUT",
    [HTTP_METHOD_DELETE] = "DELETE",
    [HTTP_METHOD_CONNECT] = "CONNECT",
    [HTTP_METHOD_OPTIONS] = "OPTIONS",
    [HTTP_METHOD_TRACE] = "TRACE",
    [HTTP_METHOD_PATCH] = "PATCH",
    [HTTP_METHOD_PROPFIND] = "PROPFIND",
    [HTTP_METHOD_PROPPATCH] = "PROPPATCH",
    [HTTP_METHOD_MKCOL] = "MKCOL",
    [HTTP_METHOD_COPY] = "COPY",
    [HTTP_METHOD_MOVE] = "MOVE",
    [HTTP_METHOD_LOCK] = "LOCK",
    [HTTP_METHOD_UNLOCK] = "UNLOCK",
    [HTTP_METHOD_REPORT] = "REPORT",
    [HTTP_METHOD_MKCALENDAR] = "MKCALENDAR",
    [HTTP_METHOD_ACL] = "ACL",
};

enum http_method http_method_parse(const char *str, size_t len)
{
	for (int m = 1; m < HTTP_METHOD_COUNT; m++) {
		const char *name = http_method_names[m];
		if (strlen(name) == len && memcmp(name, str, len) == 0)
			return (enum http_method)m;
	}
	return HTTP_METHOD_UNKNOWN;
}

const char *http_method_name(enum http_method method)
{
	if ((int)method < 0 || method >= HTTP_METHOD_COUNT)
		return "";
	return http_method_names[method];
}

void http_method_set_str(uint32_t set, char *out, size_t size)
{
	size_t len = 0;
	if (size == 0)
		return;
	out[0] = '\0';
	for (int m = 1; m < HTTP_METHOD_COUNT; m++) {
		if ((set & HTTP_METHOD_BIT(m)) == 0)
			continue;
		int n = snprintf(out + len, size - len, "%s%s",
		                 len > 0 ? ", " : "", http_method_names[m]);
		if (n < 0 || (size_t)n >= size - len) {
			out[len] = '\0'; /* only whole names */
			return;
		}
		len += (size_t)n;
	}
}

bool http_method_is_safe(enum http_method method)
{
	switch (method) {
	case HTTP_METHOD_GET:
	case HTTP_METHOD_HEAD:
	case HTTP_METHOD_OPTIONS:
	case HTTP_METHOD_TRACE:
	case HTTP_METHOD_PROPFIND:
	case HTTP_METHOD_REPORT:
		return true;
	default:
		return false;
	}
}
