/* The body of a multi-line POP3 response as a streaming filter (RFC 1939
 * §3, §7 TOP): a message is fed in chunks of any size and comes out with
 * every line ending in CRLF (a bare LF gets its CR) and every line that
 * begins with "." given a second one. For TOP it stops after the header,
 * the blank line and n body lines. It holds no message data itself, so a
 * 25 MB message never needs to be in memory. */
#ifndef POP3_POP3_DOTSTUFF_H
#define POP3_POP3_DOTSTUFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define POP3_DOTSTUFF_ALL_LINES UINT64_MAX

struct pop3_dotstuff {
	uint64_t max_body_lines; /* TOP n, or POP3_DOTSTUFF_ALL_LINES */
	uint64_t body_lines;     /* body lines written so far */
	uint64_t line_len;       /* bytes of the current line so far */
	bool is_line_start;      /* the next byte begins a line */
	bool has_cr;             /* the last byte written was CR */
	bool is_in_body;
	bool is_done; /* TOP's limit reached */
};

/* Starts a response body; max_body_lines as above. */
void pop3_dotstuff_init(struct pop3_dotstuff *ds, uint64_t max_body_lines);
/* Filters size bytes of the message into out. Returns 1 if more input is
 * wanted, 0 once TOP's limit is reached (the rest of data, and of the
 * message, is not needed). */
int pop3_dotstuff_feed(struct pop3_dotstuff *ds, const unsigned char *data,
                       size_t size, struct buf *out);
/* Ends the response: CRLF if the message did not end with a line end,
 * then ".\r\n". */
void pop3_dotstuff_finish(struct pop3_dotstuff *ds, struct buf *out);

#endif
