/* Base64 (RFC 4648 §4), as SASL (RFC 4954) and MIME use it. */
#ifndef CORE_BASE64_H
#define CORE_BASE64_H

#include <stddef.h>

struct buf;

/* Appends the encoding of data to out. */
void base64_encode(const void *data, size_t size, struct buf *out);
/* Appends the decoding of str (len bytes, no whitespace allowed, padding
 * required) to out. Returns 0, or -1 if str is not valid base64. */
int base64_decode(const char *str, size_t len, struct buf *out);

#endif
