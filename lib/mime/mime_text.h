/* The text of a message for full-text search (RFC 9051 §6.4.4 SEARCH BODY,
 * TEXT, FROM, TO, CC, SUBJECT): header fields decoded to UTF-8, and the
 * bodies of text/ * parts transfer-decoded and converted to UTF-8 (HTML
 * tags are kept: SEARCH is a substring match over the body). */
#ifndef MIME_MIME_TEXT_H
#define MIME_MIME_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

struct mime_part;

struct mime_text {
	/* From, To, Cc, Bcc: each address list as ENVELOPE parses it,
	 * "name <mailbox@host>" (name decoded) or "mailbox@host", groups
	 * "name: ...;", joined with ", " (also across repeated fields) */
	struct buf from, to, cc, bcc;
	struct buf subject; /* decoded (RFC 2047), repeats joined by " " */
	/* every field of the message's header, then of each part's MIME
	 * header and each encapsulated message's header, decoded, as
	 * "Name: value\n" (SEARCH TEXT) */
	struct buf header;
	struct buf body; /* text parts, each followed by "\n" */
};

void mime_text_init(struct mime_text *text);
void mime_text_deinit(struct mime_text *text);
/* Fills text (after emptying it) from the message of root. Bodies stop
 * after max_body bytes of text, and so do the headers of the parts (0: no
 * limit). Never fails. */
void mime_text_extract(const unsigned char *data, const struct mime_part *root,
                       size_t max_body, struct mime_text *text);

/* SEARCH's substring match (RFC 9051 §6.4.4): true if needle (UTF-8) is
 * in text (UTF-8), case-insensitively over all of Unicode, not only ASCII
 * (Unicode case folding); "" is in every text. */
bool mime_text_contains(const char *text, const char *needle);
/* SEARCH HEADER name needle (RFC 9051 §6.4.4): true if any field called
 * name (case-insensitive) of part's header contains needle in its value,
 * unfolded and with RFC 2047 encoded words decoded. needle "" matches
 * when such a field is there at all. */
bool mime_text_header_contains(const unsigned char *data,
                               const struct mime_part *part, const char *name,
                               const char *needle);

#endif
