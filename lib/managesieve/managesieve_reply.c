/* ManageSieve responses and strings (RFC 5804 §1.3, §1.7, §4). A string
 * is quoted when the grammar allows it (SAFE-UTF8-CHAR, at most 1024
 * octets), else sent as a literal, so any bytes (an error message quoting
 * a script line, a script) reach the client intact. */
#include "managesieve/managesieve_reply.h"
#include "core/buf.h"
#include "managesieve/managesieve_parser.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Returns true if data may be sent as a quoted string. */
static bool can_quote(const unsigned char *s, size_t len)
{
	if (len > MANAGESIEVE_QUOTED_MAX)
		return false;
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		if (c == '\0' || c == '\r' || c == '\n')
			return false;
		size_t n = c < 0x80                 ? 1
		           : c >= 0xC2 && c <= 0xDF ? 2
		           : (c & 0xF0) == 0xE0     ? 3
		           : c >= 0xF0 && c <= 0xF4 ? 4
		                                    : 0;
		if (n == 0 || i + n > len)
			return false;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		if ((c == 0xE0 && s[i + 1] < 0xA0) ||
		    (c == 0xED && s[i + 1] >= 0xA0) ||
		    (c == 0xF0 && s[i + 1] < 0x90) ||
		    (c == 0xF4 && s[i + 1] >= 0x90))
			return false;
		i += n;
	}
	return true;
}

void managesieve_literal_append(struct buf *out, const void *data, size_t len)
{
	buf_printf(out, "{%zu}\r\n", len);
	buf_append(out, data, len);
}

void managesieve_string_append(struct buf *out, const void *data, size_t len)
{
	const unsigned char *s = data;
	if (!can_quote(s, len)) {
		managesieve_literal_append(out, data, len);
		return;
	}
	buf_append_char(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, (char)s[i]);
	}
	buf_append_char(out, '"');
}

void managesieve_string_append_str(struct buf *out, const char *str)
{
	managesieve_string_append(out, str, strlen(str));
}

void managesieve_reply(struct buf *out, enum managesieve_status status,
                       const char *code, const char *text)
{
	buf_append_str(out, status == MANAGESIEVE_OK   ? "OK"
	                    : status == MANAGESIEVE_NO ? "NO"
	                                               : "BYE");
	if (code != NULL)
		buf_printf(out, " (%s)", code);
	if (text != NULL) {
		buf_append_char(out, ' ');
		managesieve_string_append_str(out, text);
	}
	buf_append_str(out, "\r\n");
}

static void capability(struct buf *out, const char *name, const char *value)
{
	managesieve_string_append_str(out, name);
	if (value != NULL) {
		buf_append_char(out, ' ');
		managesieve_string_append_str(out, value);
	}
	buf_append_str(out, "\r\n");
}

void managesieve_capabilities_append(
    struct buf *out, const struct managesieve_capabilities *caps)
{
	capability(out, "IMPLEMENTATION", caps->implementation);
	capability(out, "SASL", caps->sasl);
	capability(out, "SIEVE", caps->sieve);
	if (caps->has_starttls)
		capability(out, "STARTTLS", NULL);
	if (caps->max_redirects > 0) {
		char num[16]; /* number-str (RFC 5804 §4) */
		snprintf(num, sizeof(num), "%u", caps->max_redirects);
		capability(out, "MAXREDIRECTS", num);
	}
	if (caps->notify != NULL)
		capability(out, "NOTIFY", caps->notify);
	if (caps->owner != NULL)
		capability(out, "OWNER", caps->owner);
	if (caps->has_unauthenticate)
		capability(out, "UNAUTHENTICATE", NULL);
	capability(out, "VERSION", "1.0");
}
