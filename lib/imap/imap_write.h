/* Writing IMAP response data (RFC 9051 §4.3, §9: astring, string, nstring)
 * and mailbox names: modified UTF-7 for IMAP4rev1 clients (RFC 3501
 * §5.1.3), UTF-8 as is for IMAP4rev2 and UTF8=ACCEPT (RFC 9051 §5.1,
 * RFC 6855). A string goes out as an atom, a quoted string or a literal,
 * whichever is valid and shortest to read. */
#ifndef IMAP_IMAP_WRITE_H
#define IMAP_IMAP_WRITE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Appends str (len bytes) as a string: quoted when it has no CR, LF or NUL,
 * is short, and is 7-bit (or is_utf8 allows valid UTF-8); else as a
 * literal "{n}" CRLF bytes. */
void imap_write_string(struct buf *out, const char *str, size_t len,
                       bool is_utf8);
/* The same, or NIL when str is NULL. */
void imap_write_nstring(struct buf *out, const char *str, size_t len,
                        bool is_utf8);
/* The same, or a bare atom when str is a non-empty atom other than NIL. */
void imap_write_astring(struct buf *out, const char *str, size_t len,
                        bool is_utf8);
/* Appends mailbox name (UTF-8) as an astring: encoded in modified UTF-7
 * unless is_utf8. */
void imap_write_mailbox(struct buf *out, const char *name, bool is_utf8);

/* Appends utf8 in modified UTF-7 (RFC 3501 §5.1.3), one shift per run of
 * non-ASCII characters. Returns 0, or -1 if utf8 is not valid UTF-8 (out
 * then holds a partial result). */
int imap_utf7_encode(const char *utf8, struct buf *out);
/* Appends the UTF-8 of modified UTF-7 mutf7. Returns 0, or -1 if it is
 * not the one form RFC 3501 §5.1.3 allows: bad base64, "&" unterminated,
 * padding bits set or a digit too many, printable ASCII encoded, a
 * superfluous shift ("-&" between two runs), U+0000, a broken surrogate
 * pair. */
int imap_utf7_decode(const char *mutf7, struct buf *out);
/* Returns true if str is valid UTF-8 without NUL (len bytes). */
bool imap_utf8_is_valid(const char *str, size_t len);

#endif
