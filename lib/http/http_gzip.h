/* gzip content coding for responses (RFC 9110 §8.4.1.3, RFC 1952):
 * Accept-Encoding negotiation with q-values (§12.5.3), which media types
 * are worth compressing, and a streaming compressor (zlib). */
#ifndef HTTP_HTTP_GZIP_H
#define HTTP_HTTP_GZIP_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct http_gzip;

/* Returns true if accept_encoding (the combined field value, or NULL when
 * absent) makes gzip acceptable and at least as preferred as identity:
 * "gzip" or "x-gzip" with q > 0, or "*" with q > 0 and gzip not listed.
 * *identity_refused_r (may be NULL) says identity;q=0 (or *;q=0 without
 * identity) was sent. */
bool http_gzip_is_accepted(const char *accept_encoding,
                           bool *identity_refused_r);
/* Returns true for media types that compress well: text, JSON, XML,
 * JavaScript, SVG, and the +json/+xml suffixes (parameters ignored). */
bool http_gzip_is_compressible(const char *content_type);

/* A gzip stream. */
struct http_gzip *http_gzip_new(void);
/* Sets *gz to NULL; accepts NULL. */
void http_gzip_free(struct http_gzip **gz);
/* Compresses size bytes, appending what is ready to out. */
void http_gzip_write(struct http_gzip *gz, const void *data, size_t size,
                     struct buf *out);
/* Ends the stream (trailer with CRC-32 and length) into out. */
void http_gzip_finish(struct http_gzip *gz, struct buf *out);

#endif
