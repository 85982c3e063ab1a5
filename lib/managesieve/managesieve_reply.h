/* What a ManageSieve server writes (RFC 5804 §1.3, §1.7, §4): strings as
 * quoted or literal, the responses OK, NO and BYE with a response code and
 * a human-readable text, and the capability list that the greeting,
 * CAPABILITY and a finished STARTTLS send. Every function appends to a
 * struct buf. */
#ifndef MANAGESIEVE_MANAGESIEVE_REPLY_H
#define MANAGESIEVE_MANAGESIEVE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

enum managesieve_status {
	MANAGESIEVE_OK,
	MANAGESIEVE_NO,
	MANAGESIEVE_BYE,
};

/* string = quoted / literal-s2c (RFC 5804 §4). Appends data (len bytes,
 * which may be anything) as a quoted string when it is valid UTF-8 of at
 * most 1024 octets without CR, LF or NUL, else as a literal "{len}" CRLF
 * data. */
void managesieve_string_append(struct buf *out, const void *data, size_t len);
void managesieve_string_append_str(struct buf *out, const char *str);
/* Appends data always as a literal (GETSCRIPT's script, RFC 5804 §2.9). */
void managesieve_literal_append(struct buf *out, const void *data, size_t len);

/* response-ok / response-nobye = ("OK" / "NO" / "BYE") [SP "(" resp-code
 * ")"] [SP string] CRLF
 * Appends one response. code (may be NULL) is written as it is, so a code
 * with an argument comes formatted: "QUOTA/MAXSIZE", "TAG {3}\r\nabc";
 * text (may be NULL) becomes a string. */
void managesieve_reply(struct buf *out, enum managesieve_status status,
                       const char *code, const char *text);

/* What the server offers (RFC 5804 §1.7). */
struct managesieve_capabilities {
	const char *implementation; /* "Postroom" */
	const char *sasl;        /* space-separated mechanisms; "" when no login
	                            may happen on this connection yet */
	const char *sieve;       /* the Sieve extensions (lib/rules) */
	bool has_starttls;       /* offered: TLS available and not active */
	unsigned max_redirects;  /* 0: not sent */
	const char *notify;      /* enotify methods ("mailto"), or NULL */
	const char *owner;       /* the logged-in user, or NULL (RFC 5804 §1.7:
	                            only once authenticated) */
	bool has_unauthenticate; /* RFC 5804 §2.14.1 */
};

/* single-capability = capability-name [SP string] CRLF
 * Appends one line per capability, with VERSION "1.0" (RENAMESCRIPT,
 * CHECKSCRIPT and NOOP are there, §1.7), and no final OK. */
void managesieve_capabilities_append(
    struct buf *out, const struct managesieve_capabilities *caps);

#endif
