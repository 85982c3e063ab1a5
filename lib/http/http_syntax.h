/* The small grammar pieces HTTP is built from: tokens, quoted strings and
 * comma-separated lists (RFC 9110 §5.6), the characters of field values
 * (RFC 9110 §5.5) and of URIs (RFC 3986 §2, §3.2.2), validated strictly.
 * Nothing here allocates except where a pool is passed. */
#ifndef HTTP_HTTP_SYNTAX_H
#define HTTP_HTTP_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

/* tchar (RFC 9110 §5.6.2): "!#$%&'*+-.^_`|~", DIGIT, ALPHA. */
bool http_is_tchar(unsigned char c);
/* token = 1*tchar */
bool http_is_token(const char *str, size_t len);
/* field-vchar / SP / HTAB (RFC 9110 §5.5): what a field value may hold. */
bool http_is_field_char(unsigned char c);
/* pchar (RFC 3986 §3.3) without the '%' of pct-encoded: unreserved,
 * sub-delims, ':' and '@'. */
bool http_is_pchar(unsigned char c);
/* Returns true if str[0..len) is pct-encoded correctly and otherwise made of
 * the characters pchar allows plus those in extra ("/" for a path, "/?"
 * for a query). */
bool http_is_uri_part(const char *str, size_t len, const char *extra);
/* authority = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2),
 * without userinfo. An empty string is accepted when allow_empty. */
bool http_is_authority(const char *str, size_t len, bool allow_empty);
/* Value of a hex digit, or -1. */
int http_hex_value(unsigned char c);

/* Iterates over a #rule list (RFC 9110 §5.6.1): each call returns 1 with
 * the next non-empty element (OWS trimmed; commas inside quoted strings do
 * not split) in *elem_r and *len_r and advances *pos, or 0 at the end. */
int http_list_next(const char **pos, const char **elem_r, size_t *len_r);
/* Returns true if the list value holds token (case-insensitively) as a
 * whole element, ignoring any ";param" after it. */
bool http_list_has_token(const char *value, const char *token);

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE. Returns the
 * length of the quoted string at the start of str (both quotes included),
 * or 0 if str[0..len) does not start with a valid one. */
size_t http_quoted_string_len(const char *str, size_t len);
/* The content of a valid quoted string (quotes removed, quoted-pairs
 * unescaped), allocated from pool. */
char *http_quoted_string_unquote(struct pool *pool, const char *str,
                                 size_t len);

/* A parameter after an element: ";" name "=" value, with value a token or
 * a quoted string (RFC 9110 §5.6.6). Returns 1 with the next parameter and
 * advances *pos, 0 at the end, -1 on bad syntax. The value is as sent
 * (quotes kept). */
int http_param_next(const char **pos, const char *end, const char **name_r,
                    size_t *name_len_r, const char **value_r,
                    size_t *value_len_r);

/* Case-insensitive ASCII comparison of str[0..len) with the NUL-terminated
 * want. */
bool http_str_eq_ci(const char *str, size_t len, const char *want);

#endif
