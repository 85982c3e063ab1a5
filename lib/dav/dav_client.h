/* A WebDAV client over HTTP/1.1 for the terminal client (RFC 9110, RFC
 * 9112, RFC 4918): one request at a time on a blocking struct tls_stream
 * (the same stream the IMAP client uses), kept open between requests
 * (persistent connections, RFC 9112 §9.3) and opened again through the
 * caller's callback when the server has closed it; a request on a reused
 * connection that gets no byte back is sent once more (§9.3.1: the server
 * may close an idle connection at any time). Responses are read with
 * lib/http's response-head parser and framed by Content-Length, chunked
 * or close, up to a size limit. Basic credentials (RFC 7617) go with
 * every request, and never over plain TCP to a peer that is not loopback.
 * Paths given here are decoded ("/dav/calendars/bob@x/a b.ics") and
 * percent-encoded on the way out; hrefs that come back are turned into
 * the same decoded form (dav_client_href_path). Policy-free: what to ask
 * and what a status means is the caller's business. */
#ifndef DAV_DAV_CLIENT_H
#define DAV_DAV_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_headers.h"

struct buf;
struct pool;
struct tls_stream;
struct dav_client;

/* An http or https URL taken apart. */
struct dav_url {
	bool is_tls;      /* https */
	const char *host; /* without brackets for IPv6 */
	unsigned port;    /* 443 or 80 when not given */
	const char *path; /* decoded, starts with "/" */
};

/* Parses "http[s]://host[:port][/path]" (RFC 9110 §4.2; no userinfo, no
 * query or fragment). Returns 0 with *url_r (strings from pool), or -1
 * with *error_r (static). */
int dav_url_parse(const char *str, struct pool *pool, struct dav_url *url_r,
                  const char **error_r);
/* Writes url back as a string from pool ("https://host/path", the port
 * only when it is not the scheme's, the path percent-encoded). */
const char *dav_url_str(const struct dav_url *url, struct pool *pool);

/* Opens a stream to host:port, with TLS from the first byte when is_tls
 * (the caller checks the certificate as its account says). Returns 0 with
 * *stream_r, or -1 with *error_r (from pool). */
typedef int dav_client_connect_cb(const char *host, unsigned port, bool is_tls,
                                  struct pool *pool,
                                  struct tls_stream **stream_r,
                                  const char **error_r, void *ctx);

struct dav_client_settings {
	const char *user;       /* NULL: no credentials */
	const char *password;   /* copied; wiped when the client is freed */
	size_t max_body;        /* bytes of a response body; 0: 64 MiB */
	const char *user_agent; /* NULL: "postroom" */
};

/* A client for the server at origin's scheme, host and port (the path
 * is not used). set and origin are copied. */
struct dav_client *dav_client_new(const struct dav_url *origin,
                                  const struct dav_client_settings *set,
                                  dav_client_connect_cb *connect_cb, void *ctx);
/* Closes the connection; sets *client to NULL; accepts NULL. */
void dav_client_free(struct dav_client **client);
/* True if url is on this client's scheme, host and port. */
bool dav_client_is_origin(const struct dav_client *client,
                          const struct dav_url *url);

struct dav_request {
	const char *method;       /* "PROPFIND", "PUT", ... */
	const char *path;         /* decoded absolute path */
	const char *depth;        /* Depth (RFC 4918 §10.2), or NULL */
	const char *content_type; /* with a body; NULL: none */
	const void *body;
	size_t body_size;
	const char *if_match; /* an entity-tag with its quotes, or NULL */
	bool if_none_match;   /* If-None-Match: * (create only) */
};

struct dav_response {
	unsigned status;
	struct http_headers headers;
	const unsigned char *body; /* body_size bytes and a NUL */
	size_t body_size;
	const char *etag;     /* the ETag field, or NULL */
	const char *location; /* the Location field, or NULL */
};

/* Sends req and reads the final response (1xx ones are skipped). Returns
 * 0 with *resp_r (whatever the status; everything from pool), or -1 with
 * *error_r (from pool: "connection closed", "response body too large",
 * "refusing to send a password over plain HTTP to 192.0.2.1" ...) when
 * no response could be read; the connection is then closed. */
int dav_client_request(struct dav_client *client, const struct dav_request *req,
                       struct pool *pool, struct dav_response *resp_r,
                       const char **error_r);

/* Appends path percent-encoded for a request-target: everything but
 * unreserved characters, sub-delims, ":", "@" and "/" (RFC 3986 §3.3). */
void dav_client_path_encode(const char *path, struct buf *out);
/* The decoded absolute path of an href from a response (an absolute
 * path, or an http/https URL whose authority is ignored), normalised as
 * lib/http does for requests (percent-decoding, "." segments, a trailing
 * "/" kept). Returns it from pool, or NULL when it is not one (".."
 * segments, control characters, invalid UTF-8). */
const char *dav_client_href_path(const char *href, struct pool *pool);

#endif
