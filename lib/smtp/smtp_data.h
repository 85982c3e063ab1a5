/* The message data of DATA (RFC 5321 §4.1.1.4, §4.5.2) and BDAT (RFC 3030):
 * dot-unstuffing, the end of data, and the checks that refuse a message
 * after its end. ONLY <CRLF>.<CRLF> ends DATA; a bare CR or bare LF anywhere
 * (§2.3.8) marks the message refused but never ends it, so a message can
 * never be split in two (SMTP smuggling, CVE-2023-51764). */
#ifndef SMTP_SMTP_DATA_H
#define SMTP_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

enum smtp_data_state {
	SMTP_DATA_LINE_START, /* after CRLF (the data starts here) */
	SMTP_DATA_DOT,        /* "." at the start of a line */
	SMTP_DATA_DOT_CR,     /* ".\r" at the start of a line */
	SMTP_DATA_TEXT,
	SMTP_DATA_CR,
};

struct smtp_data_decoder {
	enum smtp_data_state state;
	size_t max_line; /* bytes with CRLF; 0: no limit */
	size_t line_len; /* of the current line so far */
	bool has_bare_cr_lf;
	bool has_long_line;
};

/* Starts a message; max_line counts the line's CRLF. */
void smtp_data_decoder_init(struct smtp_data_decoder *dec, size_t max_line);
/* Decodes dot-stuffed DATA: appends the message bytes (with their CRLFs, up
 * to and including the CRLF before the final dot) to out. Returns 1 when
 * <CRLF>.<CRLF> was found, with *consumed_r the bytes through its LF; 0 if
 * all of data was consumed and more is needed. */
int smtp_data_decode(struct smtp_data_decoder *dec, const unsigned char *data,
                     size_t size, struct buf *out, size_t *consumed_r);
/* Checks BDAT bytes (not dot-stuffed) for bare CR, bare LF and long lines;
 * a CR at the end of one chunk may be followed by LF in the next. */
void smtp_data_scan(struct smtp_data_decoder *dec, const unsigned char *data,
                    size_t size);
/* At the end of BDAT LAST: a trailing CR was bare. */
void smtp_data_scan_finish(struct smtp_data_decoder *dec);

#endif
