/* IMAP views of a parsed message: the ENVELOPE (RFC 9051 §7.5.2, RFC 3501
 * §7.4.2) and BODYSTRUCTURE / BODY (same sections), written in IMAP syntax
 * ready to follow "ENVELOPE " or "BODYSTRUCTURE " in a FETCH response.
 * Strings are quoted when they can be, literals ({n}CRLF bytes) otherwise;
 * absent values are NIL. Both depend only on the message bytes. */
#ifndef MIME_MIME_IMAP_H
#define MIME_MIME_IMAP_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct mime_part;

/* Appends the ENVELOPE of the message whose header is root's to out:
 * (date subject from sender reply-to to cc bcc in-reply-to message-id).
 * For FETCH ENVELOPE, root is the tree's root, whatever its type (RFC 9051
 * §7.5.2: a top-level message/rfc822 has its own envelope); for the
 * message inside a message/rfc822 part, that part's child.
 * sender and reply-to default to from; display names are the raw header
 * text (encoded words kept); groups follow RFC 9051 §7.5.2. */
void mime_imap_envelope(const unsigned char *data, const struct mime_part *root,
                        struct buf *out);

/* Appends BODYSTRUCTURE (extended is true: MD5, disposition, language,
 * location, multipart parameters) or BODY (extended false) of part to out.
 * Valid IMAP syntax for any tree mime_parse() returns. */
void mime_imap_bodystructure(const unsigned char *data,
                             const struct mime_part *part, bool extended,
                             struct buf *out);

/* Appends str (len bytes) as an IMAP string: quoted when it has no CR, LF,
 * NUL or 8-bit byte and is under 1024 bytes, else a literal. */
void mime_imap_string(const void *str, size_t len, struct buf *out);
/* Appends str as an IMAP nstring (NIL for NULL). */
void mime_imap_nstring(const char *str, struct buf *out);

#endif
