/* Request body decoders (RFC 9112 §6, §7.1): Content-Length and chunked,
 * as streaming 1/0/-1 decoders that return the body bytes in place (no
 * copy) and consume the framing. The chunked decoder is strict: chunk-size
 * is 1*HEXDIG and may not overflow, chunk extensions follow §7.1.1 within a
 * line limit, chunk data must end in CRLF, trailer fields follow the field
 * line grammar within limits (and are then dropped, RFC 9110 §6.5.1), and
 * a bare LF or CR is refused. A refusal means the framing is lost: close
 * the connection after the error reply. */
#ifndef HTTP_HTTP_BODY_H
#define HTTP_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parser.h"

struct http_body;

struct http_body_settings {
	size_t max_chunk_line;    /* chunk-size line with extensions, incl.
	                             CRLF (0: 4096) */
	size_t max_trailer_bytes; /* trailer lines incl. CRLFs (0: 16384) */
	unsigned max_trailers;    /* trailer field lines (0: 32) */
	uint64_t max_size;        /* body bytes, 413 past it (0: no limit) */
};

/* Returns a decoder for a body framed as framing (content_length for
 * HTTP_FRAMING_LENGTH). HTTP_FRAMING_NONE is done at once. settings may
 * be NULL. */
struct http_body *http_body_new(enum http_framing framing,
                                uint64_t content_length,
                                const struct http_body_settings *settings);
/* Sets *body to NULL; accepts NULL. */
void http_body_free(struct http_body **body);

/* Decodes data[0..size). Returns 1 when it consumed input: the first
 * *consumed_r bytes of data are done with, and *out_size_r body bytes
 * start at *out_r (inside data; 0 bytes when only framing was read); 0
 * when size is 0 or the body is complete (nothing consumed); -1 when the
 * body is refused, with *status_r (400, or 413 past max_size) and *error_r
 * (static). Call again with the rest until it returns 0. */
int http_body_read(struct http_body *body, const unsigned char *data,
                   size_t size, size_t *consumed_r, const unsigned char **out_r,
                   size_t *out_size_r, unsigned *status_r,
                   const char **error_r);
/* True once the whole body (for chunked: up to the end of the trailer
 * section) has been read. */
bool http_body_is_done(const struct http_body *body);
/* Body bytes returned so far. */
uint64_t http_body_size(const struct http_body *body);

#endif
