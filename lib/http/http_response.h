/* Responses (RFC 9110 §15, RFC 9112 §4, §6): a handler makes one with
 * http_response_new, adds fields, and sends it with one of the send
 * calls; the engine writes the status line, Date (IMF-fixdate), the
 * security fields (X-Content-Type-Options: nosniff, Referrer-Policy:
 * no-referrer, Content-Security-Policy: frame-ancestors 'none' unless the
 * handler or route gives one, Strict-Transport-Security on TLS), and the
 * framing: Content-Length when the length is known, else chunked (or
 * close-delimited for HTTP/1.0). For HEAD only the head is sent, with the
 * Content-Length a GET would get. A 200 of a text type is gzip-compressed
 * when Accept-Encoding allows it (with Vary: Accept-Encoding, and a weak
 * ETag, since the bytes differ). With validators set, GET and HEAD are
 * answered 304/412 when their preconditions say so, and a sized body
 * honours Range (206, multipart/byteranges for several ranges, 416).
 * Bodies are written as the output drains (backpressure): a file or a
 * producer callback never needs to be held in memory whole. */
#ifndef HTTP_HTTP_RESPONSE_H
#define HTTP_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "http/http_cond.h"

struct http_request;
struct http_response;

enum http_produce {
	HTTP_PRODUCE_MORE,  /* call again when the output has room */
	HTTP_PRODUCE_WAIT,  /* call again after http_response_resume() */
	HTTP_PRODUCE_DONE,  /* the body is complete */
	HTTP_PRODUCE_ERROR, /* give up: the connection is closed, so the
	                       client sees a truncated body */
};

/* Writes more of a streamed body with http_response_write. */
typedef enum http_produce http_response_produce_cb(struct http_response *resp,
                                                   void *ctx);

/* Starts the response to req (one per request). */
struct http_response *http_response_new(struct http_request *req,
                                        unsigned status);
/* Adds a field. name must be a token; control characters in the value
 * are replaced by '?', so client text can never split the head. */
void http_response_add_header(struct http_response *resp, const char *name,
                              const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Content-Type (it decides gzip and the multipart parts' type). */
void http_response_set_type(struct http_response *resp, const char *type);
/* ETag and Last-Modified of the representation, and for GET/HEAD with a
 * 200 the evaluation of its preconditions (304/412) and of Range. */
void http_response_set_validators(struct http_response *resp,
                                  const struct http_validators *v);
/* Never compress this response. */
void http_response_disable_gzip(struct http_response *resp);

/* The send calls end the handler's part: the engine owns resp from now
 * on. A body given to a status without content (1xx, 204, 304) is
 * dropped. */
void http_response_send_empty(struct http_response *resp);
/* Copies size bytes. */
void http_response_send_data(struct http_response *resp, const void *data,
                             size_t size);
/* Sends a text/plain; charset=utf-8 body (unless a type was set). */
void http_response_send_text(struct http_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sends size bytes of fd from offset 0 (read with pread); fd is owned
 * from now on and closed at the end. */
void http_response_send_file(struct http_response *resp, int fd, uint64_t size);
/* Sends a body of unknown length, produced by produce (never called for
 * HEAD). */
void http_response_send_stream(struct http_response *resp,
                               http_response_produce_cb *produce, void *ctx);
/* From a producer: appends size bytes to the body. */
void http_response_write(struct http_response *resp, const void *data,
                         size_t size);
/* After HTTP_PRODUCE_WAIT: the producer has more now. */
void http_response_resume(struct http_response *resp);

/* The reason phrase of a status ("Not Found"), "" if unknown. */
const char *http_response_reason(unsigned status);

#endif
