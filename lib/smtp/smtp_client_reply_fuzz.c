/* Fuzzer for the SMTP reply reader the relay uses (smtp_client_reply.c),
 * driven as smtp_client_input_cb drives it: the input is the peer's byte
 * stream, cut into lines at LF with a CR before it dropped; a line longer
 * than SMTP_CLIENT_REPLY_LINE_MAX or a malformed one ends the session.
 * Every complete reply is read for EHLO keywords and turned into the
 * status a DSN reports. A reply must keep its bounds: a code of 200-599,
 * an enhanced code of its own class, text without NUL inside the struct. */
#include "smtp/smtp_client.h"
#include "smtp/smtp_client_reply.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			abort();                                               \
	} while (0)

/* status-code = class "." subject "." detail; subject, detail = 1*3digit */
static bool is_enhanced(const char *s, unsigned code)
{
	if (s[0] != (char)('0' + code / 100) || s[1] != '.')
		return false;
	s += 2;
	for (int part = 0; part < 2; part++) {
		size_t n = 0;
		while (isdigit((unsigned char)s[n]))
			n++;
		if (n < 1 || n > 3)
			return false;
		s += n;
		if (part == 0 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

/* The enhanced code at the start of a first line's text (RFC 3463 §2),
 * followed by SP or the end of the line, as a string in out; or "". */
static void first_enhanced(const char *text, size_t len, char cls, char out[16])
{
	size_t i = 0;
	out[0] = '\0';
	if (len < 2 || text[0] != cls || text[1] != '.')
		return;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t n = 0;
		while (i + n < len && n < 4 &&
		       isdigit((unsigned char)text[i + n]))
			n++;
		if (n < 1 || n > 3)
			return;
		i += n;
		if (part == 0 && (i >= len || text[i++] != '.'))
			return;
	}
	if (i < len && text[i] != ' ')
		return;
	memcpy(out, text, i);
	out[i] = '\0';
}

static void check_reply(const struct smtp_client_reply *r, bool is_complete)
{
	CHECK(r->code >= 200 && r->code <= 559);
	CHECK(r->lines >= 1 && r->lines <= SMTP_CLIENT_REPLY_LINES_MAX);
	CHECK(r->text_len < sizeof(r->text) && r->text[r->text_len] == '\0');
	CHECK(strlen(r->text) == r->text_len);
	CHECK(memchr(r->text, '\r', r->text_len) == NULL);
	CHECK(r->enhanced[0] == '\0' || is_enhanced(r->enhanced, r->code));
	if (!is_complete)
		return;
	uint64_t size_max = 1;
	unsigned ext = smtp_client_ehlo_parse(r, &size_max);
	CHECK(size_max == 0 || (ext & SMTP_CLIENT_EXT_SIZE) != 0);
	struct smtp_client_status st;
	smtp_client_status_set(&st, r->code, r->enhanced, r->text);
	CHECK(strlen(st.text) < sizeof(st.text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_client_reply reply;
	smtp_client_reply_init(&reply);
	size_t start = 0;
	while (start < size) {
		const uint8_t *lf = memchr(data + start, '\n', size - start);
		if (lf == NULL)
			break; /* no whole line: the client waits for more */
		size_t len = (size_t)(lf - data) - start;
		if (len + 1 > SMTP_CLIENT_REPLY_LINE_MAX)
			break; /* "reply line too long": the session ends */
		if (len > 0 && data[start + len - 1] == '\r')
			len--;
		/* conn_read_line's line: NUL-terminated, may hold NULs */
		char *line = malloc(len + 1);
		memcpy(line, data + start, len);
		line[len] = '\0';
		const char *error = NULL;
		int ret = smtp_client_reply_add(&reply, line, len, &error);
		start = (size_t)(lf - data) + 1;
		if (ret < 0) {
			CHECK(error != NULL);
			free(line);
			break; /* "protocol error": the session ends */
		}
		if (reply.lines == 1) {
			char want[16];
			first_enhanced(len > 4 ? line + 4 : "",
			               len > 4 ? len - 4 : 0, line[0], want);
			CHECK(strcmp(reply.enhanced, want) == 0);
		}
		check_reply(&reply, ret == 1);
		free(line);
		if (ret == 1)
			smtp_client_reply_init(&reply);
	}
	return 0;
}
