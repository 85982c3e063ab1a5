/* SMTP replies as a client reads them (RFC 5321 §4.2): one reply is one or
 * more lines "code-text" ending with "code text", all with the same code;
 * enhanced status codes (RFC 3463, RFC 2034) are split off the text. The
 * reader keeps at most SMTP_CLIENT_REPLY_TEXT_MAX bytes of text and
 * refuses replies of more than SMTP_CLIENT_REPLY_LINES_MAX lines, so a
 * hostile peer cannot make it grow. Also the EHLO keyword parser. */
#ifndef SMTP_SMTP_CLIENT_REPLY_H
#define SMTP_SMTP_CLIENT_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_CLIENT_REPLY_LINE_MAX                                             \
	2048 /* bytes with CRLF (§4.5.3.1.5                                   \
	        says 512; we are lenient) */
#define SMTP_CLIENT_REPLY_LINES_MAX 100
#define SMTP_CLIENT_REPLY_TEXT_MAX 1024

struct smtp_client_reply {
	unsigned code;     /* 200..599 */
	char enhanced[16]; /* "2.1.0" from the first line, or "" */
	char text[SMTP_CLIENT_REPLY_TEXT_MAX]; /* lines joined by "\n",
	                                          enhanced codes removed */
	size_t text_len;
	size_t lines;
};

/* Starts an empty reply. */
void smtp_client_reply_init(struct smtp_client_reply *reply);
/* Adds one reply line (without CRLF).
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 * Returns 1 when this was the last line (reply complete), 0 when more
 * lines follow, -1 with a static reason for a malformed line, a code that
 * differs from the first line's, or too many lines. */
int smtp_client_reply_add(struct smtp_client_reply *reply, const char *line,
                          size_t len, const char **error_r);

enum smtp_client_ext {
	SMTP_CLIENT_EXT_PIPELINING = 1 << 0,
	SMTP_CLIENT_EXT_SIZE = 1 << 1,
	SMTP_CLIENT_EXT_8BITMIME = 1 << 2,
	SMTP_CLIENT_EXT_SMTPUTF8 = 1 << 3,
	SMTP_CLIENT_EXT_CHUNKING = 1 << 4,
	SMTP_CLIENT_EXT_DSN = 1 << 5,
	SMTP_CLIENT_EXT_STARTTLS = 1 << 6,
	SMTP_CLIENT_EXT_ENHANCEDSTATUSCODES = 1 << 7,
	SMTP_CLIENT_EXT_AUTH_PLAIN = 1 << 8,
	SMTP_CLIENT_EXT_AUTH_LOGIN = 1 << 9,
	SMTP_CLIENT_EXT_BINARYMIME = 1 << 10,
	SMTP_CLIENT_EXT_FUTURERELEASE = 1 << 11, /* RFC 4865 */
};

/* Reads the keywords of a 250 EHLO reply (its text, lines after the first
 * being "ehlo-keyword *(SP ehlo-param)", RFC 5321 §4.1.1.1). Returns the
 * smtp_client_ext bits, and the SIZE limit in *size_max_r (0: none). */
unsigned smtp_client_ehlo_parse(const struct smtp_client_reply *reply,
                                uint64_t *size_max_r);

#endif
