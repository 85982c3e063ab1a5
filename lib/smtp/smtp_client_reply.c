/* Reply lines of RFC 5321 §4.2 read into a fixed-size struct, enhanced
 * status codes of RFC 3463 §2 split off, and EHLO keywords of §4.1.1.1
 * (with the AUTH mechanisms of RFC 4954 §3 and SIZE of RFC 1870 §4). */
#include "smtp/smtp_client_reply.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void smtp_client_reply_init(struct smtp_client_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
}

/* status-code = class "." subject "." detail, class = "2"/"4"/"5",
 * subject = 1*3digit, detail = 1*3digit (RFC 3463 §2). Returns the
 * length of the code and the SP after it, or 0. */
static size_t enhanced_len(const char *text, size_t len, char cls)
{
	size_t i = 0;
	if (len < 5 || text[0] != cls || text[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t start = i;
		while (i < len && i - start < 3 &&
		       isdigit((unsigned char)text[i]))
			i++;
		if (i == start)
			return 0;
		if (part == 0 && (i >= len || text[i++] != '.'))
			return 0;
	}
	if (i < len && text[i] != ' ')
		return 0;
	return i < len ? i + 1 : i;
}

static void text_append(struct smtp_client_reply *reply, const char *text,
                        size_t len)
{
	size_t room = sizeof(reply->text) - 1 - reply->text_len;
	if (reply->lines > 1 && room > 0) {
		reply->text[reply->text_len++] = '\n';
		room--;
	}
	if (len > room)
		len = room; /* the rest is dropped: memory stays bounded */
	memcpy(reply->text + reply->text_len, text, len);
	reply->text_len += len;
	reply->text[reply->text_len] = '\0';
}

/* Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *              Reply-code [ SP textstring ] CRLF
 * Reply-code = %x32-35 %x30-35 %x30-39
 * textstring = 1*(%d09 / %d32-126) */
int smtp_client_reply_add(struct smtp_client_reply *reply, const char *line,
                          size_t len, const char **error_r)
{
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '5' || !isdigit((unsigned char)line[2]) ||
	    (len > 3 && line[3] != '-' && line[3] != ' ')) {
		*error_r = "malformed reply line";
		return -1;
	}
	for (size_t i = 4; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c != '\t' && (c < 32 || c > 126) && c < 128) {
			*error_r = "control character in reply";
			return -1;
		}
	}
	unsigned code = (unsigned)(line[0] - '0') * 100 +
	                (unsigned)(line[1] - '0') * 10 +
	                (unsigned)(line[2] - '0');
	if (reply->lines > 0 && code != reply->code) {
		*error_r = "reply code changes between lines";
		return -1;
	}
	if (++reply->lines > SMTP_CLIENT_REPLY_LINES_MAX) {
		*error_r = "reply has too many lines";
		return -1;
	}
	reply->code = code;
	const char *text = len > 4 ? line + 4 : "";
	size_t text_len = len > 4 ? len - 4 : 0;
	size_t elen = enhanced_len(text, text_len, line[0]);
	if (elen > 0) {
		if (reply->lines == 1) {
			size_t n = text[elen - 1] == ' ' ? elen - 1 : elen;
			if (n < sizeof(reply->enhanced)) {
				memcpy(reply->enhanced, text, n);
				reply->enhanced[n] = '\0';
			}
		}
		text += elen;
		text_len -= elen;
	}
	text_append(reply, text, text_len);
	return len > 3 && line[3] == '-' ? 0 : 1;
}

/* ehlo-line = ehlo-keyword *( SP ehlo-param )
 * ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static unsigned ehlo_line(const char *line, size_t len, uint64_t *size_max_r)
{
	static const struct {
		const char *keyword;
		unsigned bit;
	} keywords[] = {
	    {"PIPELINING", SMTP_CLIENT_EXT_PIPELINING},
	    {"SIZE", SMTP_CLIENT_EXT_SIZE},
	    {"8BITMIME", SMTP_CLIENT_EXT_8BITMIME},
	    {"SMTPUTF8", SMTP_CLIENT_EXT_SMTPUTF8},
	    {"CHUNKING", SMTP_CLIENT_EXT_CHUNKING},
	    {"DSN", SMTP_CLIENT_EXT_DSN},
	    {"STARTTLS", SMTP_CLIENT_EXT_STARTTLS},
	    {"ENHANCEDSTATUSCODES", SMTP_CLIENT_EXT_ENHANCEDSTATUSCODES},
	    {"BINARYMIME", SMTP_CLIENT_EXT_BINARYMIME},
	    {"FUTURERELEASE", SMTP_CLIENT_EXT_FUTURERELEASE},
	};
	size_t klen = 0;
	while (klen < len && line[klen] != ' ' && line[klen] != '=')
		klen++;
	const char *params = klen < len ? line + klen + 1 : "";
	size_t plen = klen < len ? len - klen - 1 : 0;
	if (klen == 4 && strncasecmp(line, "AUTH", 4) == 0) {
		unsigned bits = 0;
		for (size_t i = 0; i < plen;) {
			size_t j = i;
			while (j < plen && params[j] != ' ')
				j++;
			if (j - i == 5 &&
			    strncasecmp(params + i, "PLAIN", 5) == 0)
				bits |= SMTP_CLIENT_EXT_AUTH_PLAIN;
			if (j - i == 5 &&
			    strncasecmp(params + i, "LOGIN", 5) == 0)
				bits |= SMTP_CLIENT_EXT_AUTH_LOGIN;
			i = j + 1;
		}
		return bits;
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strlen(keywords[i].keyword) != klen ||
		    strncasecmp(line, keywords[i].keyword, klen) != 0)
			continue;
		if (keywords[i].bit == SMTP_CLIENT_EXT_SIZE && plen > 0 &&
		    isdigit((unsigned char)params[0]))
			*size_max_r = strtoull(params, NULL, 10);
		return keywords[i].bit;
	}
	return 0;
}

unsigned smtp_client_ehlo_parse(const struct smtp_client_reply *reply,
                                uint64_t *size_max_r)
{
	unsigned bits = 0;
	*size_max_r = 0;
	/* the first line is the greeting domain; keywords follow */
	const char *p = memchr(reply->text, '\n', reply->text_len);
	const char *end = reply->text + reply->text_len;
	while (p != NULL && p < end) {
		p++;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		bits |= ehlo_line(p, len, size_max_r);
		p = nl;
	}
	return bits;
}
