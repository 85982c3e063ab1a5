/* Decoding for display and search: RFC 2047 encoded words in header fields,
 * charset conversion to UTF-8 (both by GMime 3, which knows every iconv
 * charset and its aliases and is fuzzed for years), and the transfer
 * decodings base64 (RFC 2045 §6.8) and quoted-printable (§6.7). */
#ifndef MIME_MIME_DECODE_H
#define MIME_MIME_DECODE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Appends header field value (len bytes, raw) unfolded, with RFC 2047
 * encoded words decoded, converted to UTF-8 to out. Never fails: bytes that
 * do not decode are kept (invalid UTF-8 replaced by U+FFFD). */
void mime_decode_header(const unsigned char *value, size_t len,
                        struct buf *out);
/* Appends data converted from charset (NULL or unknown: taken as UTF-8
 * when valid, else ISO-8859-1) to out as valid UTF-8. A NUL byte becomes a
 * space (but in UTF-16/32 text). Never fails. */
void mime_decode_charset(const char *charset, const unsigned char *data,
                         size_t size, struct buf *out);
/* Appends data decoded from transfer encoding (a Content-Transfer-Encoding
 * value, NULL for none) to out. Returns 0, or -1 if the encoding is not
 * known (nothing appended). Invalid base64 bytes are skipped. Quoted-
 * printable follows RFC 2045 §6.7: trailing SPACE/TAB of each line is
 * deleted (rule 3), so "=" then blanks at a line end is a soft line break
 * (rule 5); hard line breaks keep their CRLF (or bare LF); lowercase hex is
 * decoded and an "=" that starts no escape is kept as it is (note 1-2). */
int mime_decode_transfer(const char *encoding, const unsigned char *data,
                         size_t size, struct buf *out);
/* Returns true if encoding (NULL for none) is one of 7bit, 8bit, binary,
 * base64, quoted-printable (case-insensitive). */
bool mime_decode_transfer_is_known(const char *encoding);

#endif
