/* IMAP section addressing (RFC 9051 §6.4.5 "BODY[<section>]", §6.4.5
 * "BINARY[<section-binary>]"): parsing a section spec, finding what it
 * names in a part tree, and the decoded content of a part for BINARY. */
#ifndef MIME_MIME_SECTION_H
#define MIME_MIME_SECTION_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct pool;
struct mime_part;

#define MIME_SECTION_MAX_PARTS 64 /* numbers in "1.2.3..." */

enum mime_section_kind {
	MIME_SECTION_PART,       /* "" (whole message) or "1.2" (a part) */
	MIME_SECTION_HEADER,     /* "HEADER", "1.HEADER" */
	MIME_SECTION_FIELDS,     /* "HEADER.FIELDS (a b)" */
	MIME_SECTION_FIELDS_NOT, /* "HEADER.FIELDS.NOT (a b)" */
	MIME_SECTION_TEXT,       /* "TEXT", "3.1.TEXT" */
	MIME_SECTION_MIME,       /* "1.MIME" */
};

struct mime_section {
	unsigned int part_count;
	unsigned int parts[MIME_SECTION_MAX_PARTS]; /* each >= 1 */
	enum mime_section_kind kind;
	unsigned int field_count;
	const char **fields; /* from pool, as written (case kept) */
};

/* section      = [section-part ["." section-text]] / section-text
 * section-part = nz-number *("." nz-number)
 * section-text = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list /
 *                "TEXT" / "MIME"      (MIME only after a section-part)
 * header-list  = "(" header-fld-name *(SP header-fld-name) ")"
 * Parses spec (the text between '[' and ']', len bytes; keywords in any
 * case, field names as atoms or quoted strings). Returns 1 with *section_r
 * (fields from pool), or -1 with a static reason in *error_r. */
int mime_section_parse(const char *spec, size_t len, struct pool *pool,
                       struct mime_section *section_r, const char **error_r);

/* What a section names: a byte range of the message, or bytes made here
 * (HEADER.FIELDS). */
struct mime_section_result {
	const struct mime_part *part; /* the part addressed (for BINARY) */
	size_t offset, size;          /* range of data when synth is NULL */
	const unsigned char *synth;   /* from pool, or NULL */
	size_t synth_size;
};

/* Resolves section against the tree of root (data is the message), as RFC
 * 9051 §6.4.5 numbers parts: the numbers of a multipart index its body
 * parts; a message that is not multipart has only a part 1, its body
 * (for a top-level message/rfc822 or message/global that body is the
 * encapsulated message); the numbers after a message/rfc822 part go on
 * into the message it encapsulates ("3.1" is part 1 of the message in
 * part 3); a leaf has no subparts. HEADER and TEXT of a part look into the
 * message a message/rfc822 part encapsulates (for another part they give
 * an empty result); MIME gives the part's own header (for part 1 of a
 * single-part message, the message's header). Returns 1 with *result_r, 0
 * if the part does not exist (IMAP sends an empty string), never -1. */
int mime_section_find(const unsigned char *data, const struct mime_part *root,
                      const struct mime_section *section, struct pool *pool,
                      struct mime_section_result *result_r);

/* BINARY[section] (RFC 9051 §6.4.5; section-binary is section-part only:
 * kind must be MIME_SECTION_PART). Appends to out: for "" the whole
 * message as it is; for a part its body decoded from the part's own
 * Content-Transfer-Encoding (base64, quoted-printable; 7bit, 8bit, binary
 * and none are copied), whatever its type: the body parts of a multipart
 * or the message in a message/rfc822 part keep their own encodings. Broken
 * base64/QP is decoded as far as it goes (RFC 2045 §6.7 note 2). Returns
 * 1, 0 if the part does not exist, or -1 with *error_r "unknown encoding"
 * (IMAP: NO [UNKNOWN-CTE]) or "not a part section". */
int mime_section_binary(const unsigned char *data, const struct mime_part *root,
                        const struct mime_section *section, struct buf *out,
                        const char **error_r);
/* BINARY.SIZE[section]: the size mime_section_binary() would append, with
 * the same return values (it decodes: linear in the part's size). */
int mime_section_binary_size(const unsigned char *data,
                             const struct mime_part *root,
                             const struct mime_section *section, size_t *size_r,
                             const char **error_r);

#endif
