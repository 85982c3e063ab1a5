/* POP3 command lines and status lines: RFC 1939 §3 (commands, +OK/-ERR,
 * multi-line termination), RFC 2449 §3 (grammar) and §4 (255-octet command
 * lines), §8 and RFC 3206 (response codes in brackets). Replies are
 * formatted into a struct buf that the caller writes. */
#include "pop3/pop3_syntax.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/pool.h"

#include <stdarg.h>
#include <string.h>

static bool pop3_is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool pop3_is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* command = keyword *(SP param) CRLF   ; RFC 2449 §3
 * keyword = 3*4VCHAR                    ; letters in every defined one
 * param   = 1*VCHAR                     ; octets >= 0x80 allowed (UTF-8)
 * Runs of spaces are taken as one, and trailing spaces are ignored, as
 * clients in the wild send them. */
int pop3_command_parse(const unsigned char *data, size_t size,
                       struct pool *pool, struct pop3_command *cmd_r,
                       const char **error_r)
{
	memset(cmd_r, 0, sizeof(*cmd_r));
	cmd_r->args = "";
	if (size == 0)
		return 0;
	for (size_t i = 0; i < size; i++) {
		if (pop3_is_ctl(data[i])) {
			*error_r = "control character in command";
			return -1;
		}
	}
	size_t klen = 0;
	while (klen < size && data[klen] != ' ')
		klen++;
	if (klen < 3 || klen > 4) {
		*error_r = "invalid command";
		return -1;
	}
	for (size_t i = 0; i < klen; i++) {
		if (!pop3_is_alpha(data[i])) {
			*error_r = "invalid command";
			return -1;
		}
		cmd_r->name[i] = (char)(data[i] & ~0x20);
	}
	if (klen == size)
		return 1;
	const char *rest =
	    pool_strndup(pool, (const char *)data + klen + 1, size - klen - 1);
	cmd_r->args = rest;
	for (const char *p = rest; *p != '\0';) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		const char *end = strchr(p, ' ');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (cmd_r->argc < POP3_ARGS_MAX)
			cmd_r->argv[cmd_r->argc] = pool_strndup(pool, p, len);
		cmd_r->argc++;
		p += len;
	}
	return 1;
}

/* number = 1*10DIGIT   ; and at most 4294967295 */
int pop3_number_parse(const char *str, uint32_t *num_r)
{
	uint64_t n = 0;
	size_t i = 0;
	for (; str[i] != '\0'; i++) {
		if (str[i] < '0' || str[i] > '9' || i == 10)
			return -1;
		n = n * 10 + (uint64_t)(str[i] - '0');
	}
	if (i == 0 || n > UINT32_MAX)
		return -1;
	*num_r = (uint32_t)n;
	return 0;
}

static void pop3_reply_text(struct buf *out, const char *fmt, va_list ap)
{
	size_t start = out->len;
	buf_vprintf(out, fmt, ap);
	/* A reply is one line: never let a CR or LF from a caller through. */
	for (size_t i = start; i < out->len; i++)
		ASSERT(out->data[i] != '\r' && out->data[i] != '\n');
}

void pop3_reply_ok(struct buf *out, const char *fmt, ...)
{
	va_list ap;
	buf_append_str(out, "+OK ");
	va_start(ap, fmt);
	pop3_reply_text(out, fmt, ap);
	va_end(ap);
	buf_append(out, "\r\n", 2);
}

void pop3_reply_err(struct buf *out, const char *code, const char *fmt, ...)
{
	va_list ap;
	buf_append_str(out, "-ERR ");
	if (code != NULL)
		buf_printf(out, "[%s] ", code);
	va_start(ap, fmt);
	pop3_reply_text(out, fmt, ap);
	va_end(ap);
	buf_append(out, "\r\n", 2);
}

void pop3_reply_line(struct buf *out, const char *fmt, ...)
{
	va_list ap;
	size_t start = out->len;
	va_start(ap, fmt);
	pop3_reply_text(out, fmt, ap);
	va_end(ap);
	if (out->len > start && out->data[start] == '.') {
		/* RFC 1939 §3: byte-stuff a leading termination octet. */
		buf_append_char(out, '.');
		memmove(out->data + start + 1, out->data + start,
		        out->len - start - 1);
	}
	buf_append(out, "\r\n", 2);
}

void pop3_reply_end(struct buf *out)
{
	buf_append(out, ".\r\n", 3);
}
