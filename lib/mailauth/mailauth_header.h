/* The header section of a message as the authentication checks see it:
 * one entry per field (RFC 5322 §2.2), the raw bytes kept (DKIM hashes
 * them canonicalized, RFC 6376 §3.4), names compared case-insensitively.
 * Lines end in CRLF; a bare LF also ends a line, so a verifier fed a
 * message from a file still splits it. */
#ifndef MAILAUTH_MAILAUTH_HEADER_H
#define MAILAUTH_MAILAUTH_HEADER_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

/* the most fields looked at: a longer header is cut there */
#define MAILAUTH_HEADER_FIELDS_MAX 1000

struct mailauth_field {
	const char *name; /* not NUL-terminated: name_len bytes */
	size_t name_len;
	const char *raw; /* the whole field, folding and final CRLF included */
	size_t raw_len;
	const char *value; /* after the colon, up to (not including) CRLF */
	size_t value_len;
};

/* field = field-name ":" unstructured CRLF, with folding (RFC 5322 §2.2)
 * Splits the header section data[0..size) (up to its empty line, or all
 * of it) into fields pointing into data. A line without a colon is
 * skipped. Returns the number of fields, with the array from pool in
 * *fields_r. */
size_t mailauth_header_split(const char *data, size_t size, struct pool *pool,
                             struct mailauth_field **fields_r);
/* Returns true if field is called name (case-insensitive). */
bool mailauth_field_is(const struct mailauth_field *field, const char *name);
/* Returns the value of field unfolded (CRLF removed) and trimmed of
 * surrounding whitespace, NUL-terminated, from pool. */
char *mailauth_field_value(const struct mailauth_field *field,
                           struct pool *pool);

#endif
