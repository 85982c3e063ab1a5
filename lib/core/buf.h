/* struct buf: the one growable byte buffer (STYLE.md §5). data is always
 * NUL-terminated after len bytes, so a buf of text can be used as a C string;
 * it may also hold NULs. */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data; /* never NULL after buf_init */
	size_t len;
	size_t cap;
};

/* Makes buf empty ("" with a small allocation). */
void buf_init(struct buf *buf);
/* Frees the storage; buf must be buf_init'ed again before reuse. */
void buf_deinit(struct buf *buf);
/* Makes room for at least extra more bytes after len. */
void buf_reserve(struct buf *buf, size_t extra);
void buf_append(struct buf *buf, const void *data, size_t size);
void buf_append_str(struct buf *buf, const char *str);
void buf_append_char(struct buf *buf, char c);
void buf_printf(struct buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *buf, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Appends code point cp as UTF-8 (RFC 3629 §3); a surrogate, 0 or a value
 * past U+10FFFF becomes U+FFFD. */
void buf_append_utf8(struct buf *buf, uint32_t cp);
/* Shortens buf to len bytes (len <= buf->len). */
void buf_truncate(struct buf *buf, size_t len);
/* Removes the first n bytes (n <= buf->len). */
void buf_consume(struct buf *buf, size_t n);
/* Returns the heap string and leaves buf empty but usable. Caller frees. */
char *buf_detach(struct buf *buf);

#endif
