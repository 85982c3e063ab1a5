/* The path of a request, made safe to route on: percent-decoding (RFC 3986
 * §2.1) segment by segment, "." segments and empty ones dropped, ".."
 * refused rather than resolved, a decoded NUL or control character or
 * invalid UTF-8 refused, and an encoded "/" refused unless the caller
 * allows it (it would let "a%2Fb" pass as one segment to code that splits
 * on "/"). */
#ifndef HTTP_HTTP_PATH_H
#define HTTP_HTTP_PATH_H

#include <stdbool.h>

struct pool;

/* Normalises path (an absolute-path as sent, already checked by the
 * parser). Returns 0 with *out_r ("/a/b", a trailing "/" kept; from pool),
 * or -1 with *status_r (400; 404 for an encoded "/" when not
 * allow_encoded_slash) and *error_r (static). */
int http_path_normalize(const char *path, bool allow_encoded_slash,
                        struct pool *pool, const char **out_r,
                        unsigned *status_r, const char **error_r);
/* Returns true if str is valid UTF-8 (RFC 3629 §4: no overlongs, no
 * surrogates, nothing past U+10FFFF). */
bool http_path_is_utf8(const unsigned char *str, unsigned long len);

#endif
