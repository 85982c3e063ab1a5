/* The MIME part tree of one message held whole in memory (RFC 5322 §2.1-2.2,
 * RFC 2045 §5-8, RFC 2046 §5.1 multipart, §5.2.1 message/rfc822, RFC 6532
 * message/global, RFC 2183 Content-Disposition, RFC 2231 parameters).
 * Every part records byte offsets into the caller's data, so IMAP streams
 * sections straight from the blob. Any input, however broken, gives a valid
 * tree: limits from struct mime_settings end the descent, never the parse. */
#ifndef MIME_MIME_H
#define MIME_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;
struct buf;

/* Limits of the parser (Dovecot message_parser_settings). A limit that is
 * hit never fails the parse: the rest is kept as the body of a leaf part
 * and MIME_PART_FLAG_LIMIT is set on it. */
struct mime_settings {
	unsigned int max_parts;        /* parts in the whole tree */
	unsigned int max_depth;        /* multipart/message nesting */
	unsigned int max_header_count; /* fields parsed per header */
	size_t max_header_field_size;  /* bytes kept of one unfolded field */
	size_t max_boundary_len;       /* RFC 2046 says 70; accept more */
	unsigned int max_params;       /* per Content-Type/-Disposition */
};

/* Postroom's defaults: 10,000 parts, depth 50, 1,000 header fields, 64 KiB
 * per field, 200-byte boundaries, 100 parameters. Depths over 1,000 are
 * taken as 1,000 (the parser recurses). */
#define MIME_SETTINGS_DEFAULT                                                  \
	{                                                                      \
		.max_parts = 10000, .max_depth = 50, .max_header_count = 1000, \
		.max_header_field_size = 65536, .max_boundary_len = 200,       \
		.max_params = 100,                                             \
	}

enum mime_part_flag {
	/* multipart/ *: children are the body parts, in order */
	MIME_PART_FLAG_MULTIPART = 1u << 0,
	/* message/rfc822 or message/global: one child, the encapsulated
	 * message (its header is the child's header) */
	MIME_PART_FLAG_MESSAGE = 1u << 1,
	/* text/ * (IMAP sends body-fld-lines for it) */
	MIME_PART_FLAG_TEXT = 1u << 2,
	/* the part's bytes contain NUL */
	MIME_PART_FLAG_HAS_NUL = 1u << 3,
	/* a limit (parts, depth) stopped parsing inside this part */
	MIME_PART_FLAG_LIMIT = 1u << 4,
	/* multipart without its close-delimiter, or without any boundary */
	MIME_PART_FLAG_BROKEN = 1u << 5,
};

/* One parameter of Content-Type or Content-Disposition. RFC 2231
 * continuations (name*0, name*1*) are joined. A value that was charset-
 * encoded (name*=utf-8''%E2%82%AC) keeps that form and its name ends in
 * '*', as Dovecot sends it in BODYSTRUCTURE; mime_param_decode() gives
 * UTF-8. */
struct mime_param {
	const char *name; /* lowercased */
	const char *value;
};

struct mime_part {
	struct mime_part *parent;
	struct mime_part *children; /* first child, or NULL */
	struct mime_part *next;     /* next sibling, or NULL */
	unsigned int child_count;
	unsigned int depth; /* 0 for the root */
	unsigned int flags; /* enum mime_part_flag */

	/* Offsets into the data given to mime_parse(). The header is
	 * [header_offset, body_offset) including the blank line that ends
	 * it; the body is [body_offset, end_offset). For the root,
	 * header_offset is 0 and end_offset the data size. */
	size_t header_offset, body_offset, end_offset;
	/* Lines: the LFs in each range (a last line without one is not
	 * counted; IMAP's body-fld-lines, as Dovecot counts them). */
	size_t header_lines, body_lines;

	/* Content-Type: type and subtype as written (default "text" "plain",
	 * or "message" "rfc822" inside multipart/digest). */
	const char *type, *subtype;
	struct mime_param *params;
	unsigned int param_count;
	/* Field values unfolded and trimmed, encoded words kept; NULL when
	 * the field is absent. */
	const char *id;          /* Content-ID */
	const char *description; /* Content-Description */
	const char *encoding;    /* Content-Transfer-Encoding, as written */
	const char *md5;         /* Content-MD5 */
	const char *language;    /* Content-Language */
	const char *location;    /* Content-Location */
	const char *disposition; /* Content-Disposition value */
	struct mime_param *disposition_params;
	unsigned int disposition_param_count;
};

/* Fills settings with MIME_SETTINGS_DEFAULT. */
void mime_settings_init(struct mime_settings *settings);

/* Parses data (size bytes, may hold NULs, bare LFs, anything) into a part
 * tree allocated from pool. Never fails: the root is always a valid tree
 * whose offsets lie inside data. data must stay unchanged while the tree is
 * used (offsets point into it; strings are copies in pool). Runs in time
 * linear in size (times nesting depth at most). */
struct mime_part *mime_parse(const unsigned char *data, size_t size,
                             const struct mime_settings *settings,
                             struct pool *pool);

/* Counts the parts of the tree under (and including) part. */
unsigned int mime_part_count(const struct mime_part *part);
/* Returns true if part's type/subtype equals type/subtype (ASCII case-
 * insensitive; subtype NULL matches any). */
bool mime_part_is(const struct mime_part *part, const char *type,
                  const char *subtype);
/* Returns the value of parameter name (lowercase, without '*') of a params
 * array, or NULL. With a pool, a charset-encoded (name*) value or one made
 * of RFC 2047 encoded words is returned decoded into UTF-8 from pool; with
 * pool NULL the stored value is returned as it is. */
const char *mime_param_get(const struct mime_param *params, unsigned int count,
                           const char *name, struct pool *pool);

/* ---- Header fields -------------------------------------------------------
 * Walking the raw header of a part: for HEADER.FIELDS, SEARCH HEADER,
 * SORT. */

struct mime_header_field {
	const unsigned char *name; /* not NUL-terminated */
	size_t name_len;
	const unsigned char *value; /* raw, after ':' up to the line end,
	                               folding kept */
	size_t value_len;
	size_t offset, size; /* the whole field with its line ends */
};

struct mime_header_iter {
	const unsigned char *data;
	size_t pos, end;
};

/* Starts walking the header of part. */
void mime_header_iter_init(struct mime_header_iter *iter,
                           const unsigned char *data,
                           const struct mime_part *part);
/* field       = field-name ":" unstructured CRLF   (RFC 5322 §2.2)
 * Returns 1 with the next field in *field_r, 0 at the end of the header.
 * A line without a colon is returned as a field with name_len 0 (so
 * HEADER and HEADER.FIELDS.NOT keep it, HEADER.FIELDS drops it). */
int mime_header_iter_next(struct mime_header_iter *iter,
                          struct mime_header_field *field_r);
/* Returns the unfolded, trimmed value of the first field called name
 * (case-insensitive) in part's header, from pool, or NULL if none. */
const char *mime_header_get(const unsigned char *data,
                            const struct mime_part *part, const char *name,
                            struct pool *pool);
/* Appends value (len bytes) unfolded (CR and LF dropped) and trimmed; a
 * NUL becomes U+FFFD. */
void mime_header_unfold(const unsigned char *value, size_t len,
                        struct buf *out);

#endif
