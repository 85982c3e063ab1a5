/* Growable NUL-terminated byte buffer. */
#include "core/buf.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *buf)
{
	buf->cap = 64;
	buf->data = xmalloc(buf->cap);
	buf->data[0] = '\0';
	buf->len = 0;
}

void buf_deinit(struct buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

void buf_reserve(struct buf *buf, size_t extra)
{
	size_t need = buf->len + extra + 1;
	if (need <= buf->cap)
		return;
	size_t cap = buf->cap ? buf->cap : 64;
	while (cap < need)
		cap *= 2;
	buf->data = xrealloc(buf->data, cap);
	buf->cap = cap;
}

void buf_append(struct buf *buf, const void *data, size_t size)
{
	buf_reserve(buf, size);
	if (size > 0)
		memcpy(buf->data + buf->len, data, size);
	buf->len += size;
	buf->data[buf->len] = '\0';
}

void buf_append_str(struct buf *buf, const char *str)
{
	buf_append(buf, str, strlen(str));
}

void buf_append_char(struct buf *buf, char c)
{
	buf_append(buf, &c, 1);
}

void buf_vprintf(struct buf *buf, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n >= buf->cap - buf->len) {
		buf_reserve(buf, (size_t)n);
		vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, ap);
	}
	buf->len += (size_t)n;
}

void buf_printf(struct buf *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(buf, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *buf, size_t len)
{
	if (len < buf->len) {
		buf->len = len;
		buf->data[len] = '\0';
	}
}

void buf_consume(struct buf *buf, size_t n)
{
	if (n >= buf->len) {
		buf_truncate(buf, 0);
		return;
	}
	memmove(buf->data, buf->data + n, buf->len - n);
	buf_truncate(buf, buf->len - n);
}

char *buf_detach(struct buf *buf)
{
	char *s = buf->data;
	buf_init(buf);
	return s;
}

void buf_append_utf8(struct buf *buf, uint32_t cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		n = 4;
	}
	/* continuation bytes carry six bits each, last bits last */
	for (size_t i = n - 1; i > 0; i--, cp >>= 6)
		b[i] = (char)(0x80 | (cp & 0x3f));
	buf_append(buf, b, n);
}
