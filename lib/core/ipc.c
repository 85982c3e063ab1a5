/* Encoding and decoding of inter-process records. */
#include "core/ipc.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ipc_record_init(struct ipc_record *rec, const char *verb)
{
	rec->verb = xstrdup(verb);
	rec->count = 0;
}

void ipc_record_add(struct ipc_record *rec, const char *key, const char *value)
{
	ASSERT(rec->count < IPC_RECORD_MAX_FIELDS);
	rec->fields[rec->count].key = xstrdup(key);
	rec->fields[rec->count].value = xstrdup(value);
	rec->count++;
}

void ipc_record_addf(struct ipc_record *rec, const char *key, const char *fmt,
		     ...)
{
	struct buf b;
	va_list ap;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ipc_record_add(rec, key, b.data);
	buf_deinit(&b);
}

const char *ipc_record_get(const struct ipc_record *rec, const char *key)
{
	for (size_t i = 0; i < rec->count; i++) {
		if (strcmp(rec->fields[i].key, key) == 0)
			return rec->fields[i].value;
	}
	return NULL;
}

static void encode_value(struct buf *out, const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '%' || *p == '=')
			buf_printf(out, "%%%02X", *p);
		else
			buf_append_char(out, (char)*p);
	}
}

void ipc_record_encode(const struct ipc_record *rec, struct buf *out)
{
	buf_append_str(out, rec->verb);
	for (size_t i = 0; i < rec->count; i++) {
		buf_append_char(out, ' ');
		buf_append_str(out, rec->fields[i].key);
		buf_append_char(out, '=');
		encode_value(out, rec->fields[i].value);
	}
	buf_append_char(out, '\n');
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* record = verb *( SP key "=" value ) */
int ipc_record_decode(const char *line, size_t len, struct ipc_record *rec,
		      const char **error_r)
{
	const char *p = line, *end = line + len;
	const char *vend = p;
	while (vend < end && is_key_char(*vend))
		vend++;
	if (vend == p || (vend < end && *vend != ' ')) {
		*error_r = "malformed verb";
		ipc_record_init(rec, "");
		return -1;
	}
	char *verb = xstrndup(p, (size_t)(vend - p));
	ipc_record_init(rec, verb);
	free(verb);
	p = vend;
	/* Values may be secrets (authd's password): the scratch buffer is
	 * sized once so it never leaves a reallocated copy behind, and is
	 * wiped before it is freed, as are the values (ipc_record_deinit). */
	struct buf val;
	buf_init(&val);
	buf_reserve(&val, (size_t)(end - p));
	while (p < end) {
		if (*p++ != ' ' || p >= end)
			goto bad;
		const char *k = p;
		while (p < end && is_key_char(*p))
			p++;
		if (p == k || p >= end || *p != '=')
			goto bad;
		char *key = xstrndup(k, (size_t)(p - k));
		p++;
		buf_truncate(&val, 0);
		while (p < end && *p != ' ') {
			if (*p == '%') {
				int hi = p + 2 < end ? hexval(p[1]) : -1;
				int lo = hi >= 0 ? hexval(p[2]) : -1;
				/* values are C strings: no NUL, escaped or not */
				if (lo < 0 || hi * 16 + lo == 0) {
					free(key);
					goto bad;
				}
				buf_append_char(&val, (char)(hi * 16 + lo));
				p += 3;
			} else if (*p == '\0') {
				free(key);
				goto bad;
			} else {
				buf_append_char(&val, *p++);
			}
		}
		if (rec->count >= IPC_RECORD_MAX_FIELDS) {
			free(key);
			goto bad;
		}
		rec->fields[rec->count].key = key;
		rec->fields[rec->count].value = xstrndup(val.data, val.len);
		rec->count++;
	}
	explicit_bzero(val.data, val.len);
	buf_deinit(&val);
	return 0;
bad:
	explicit_bzero(val.data, val.len);
	buf_deinit(&val);
	ipc_record_deinit(rec);
	ipc_record_init(rec, "");
	*error_r = "malformed record";
	return -1;
}

void ipc_record_deinit(struct ipc_record *rec)
{
	for (size_t i = 0; i < rec->count; i++) {
		free(rec->fields[i].key);
		explicit_bzero(rec->fields[i].value,
		               strlen(rec->fields[i].value));
		free(rec->fields[i].value);
	}
	rec->count = 0;
	free(rec->verb);
	rec->verb = NULL;
}
