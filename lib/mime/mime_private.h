/* Declarations shared by the files of lib/mime and nothing else: the
 * Content-Type / Content-Disposition value parser (mime_param.c) and small
 * byte helpers. */
#ifndef MIME_MIME_PRIVATE_H
#define MIME_MIME_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "mime/mime.h"

struct pool;

/* A parsed Content-Type or Content-Disposition value. */
struct mime_param_value {
	const char *type;    /* NULL when the value has no token */
	const char *subtype; /* NULL unless want_subtype and "/" found */
	struct mime_param *params;
	unsigned int param_count;
};

/* content     = type "/" subtype *(";" parameter)   (RFC 2045 §5.1)
 * disposition = disposition-type *(";" parameter)   (RFC 2183 §2)
 * parameter   = attribute "=" value ; value = token / quoted-string
 *               with RFC 2231 §3-4 name*N / name* forms joined.
 * Parses value (NUL-terminated, unfolded). Returns 1 with *r_r (from pool),
 * or 0 if the type (or "/" subtype, when want_subtype) is missing; params
 * are still filled. Keeps at most max_params parameters. */
int mime_param_parse(const char *value, bool want_subtype,
                     unsigned int max_params, struct pool *pool,
                     struct mime_param_value *r_r);

/* ASCII case-insensitive comparison of name (len bytes) with str. */
bool mime_name_eq(const unsigned char *name, size_t len, const char *str);

#endif
