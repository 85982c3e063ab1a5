/* HTML mail bodies turned into text a person can read in a terminal (the
 * way text browsers render HTML 5 flow content): head, script and style
 * are dropped, block elements and <br> end lines, list items start with
 * "- ", links show their target when it differs from their text, character
 * references (HTML 5 §13.5, named and numeric) are decoded, white space
 * collapses except inside <pre>. Never a full HTML parser: forgiving and
 * linear in the input, so any bytes give some text. */
#ifndef MIME_MIME_HTML_H
#define MIME_MIME_HTML_H

#include <stddef.h>

struct buf;

/* Appends the readable text of html (size bytes of UTF-8; other bytes are
 * passed through) to out, ending with "\n" when anything was written.
 * Never fails; runs in time linear in size. */
void mime_html_to_text(const char *html, size_t size, struct buf *out);

/* Returns the charset an HTML document declares in its first 2048 bytes
 * (<meta charset=x> or <meta http-equiv content="...; charset=x">),
 * copied into charset_r (NUL-terminated, at most charset_size - 1 bytes),
 * or NULL when it declares none. */
const char *mime_html_charset(const unsigned char *html, size_t size,
                              char *charset_r, size_t charset_size);

#endif
