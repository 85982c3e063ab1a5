/* POP3 syntax (RFC 1939 §3, RFC 2449 §3-4): parsing a command line into a
 * keyword and its parameters, message numbers, and formatting the status
 * lines "+OK ..." and "-ERR [RESP-CODE] ..." and the lines of multi-line
 * responses. Policy-free: pop3d decides what each command means. */
#ifndef POP3_POP3_SYNTAX_H
#define POP3_POP3_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct pool;

/* RFC 2449 §4: a command line is at most 255 octets with its CRLF. */
#define POP3_COMMAND_LINE_MAX 255
/* RFC 5034 §4: SASL responses can be longer than commands. */
#define POP3_SASL_LINE_MAX 8192
/* Parameters kept in argv; more are counted in argc but not stored. */
#define POP3_ARGS_MAX 4

struct pop3_command {
	char name[5];     /* the keyword, uppercased, NUL-terminated */
	const char *args; /* everything after the first SP, "" if none
	                     (PASS may hold spaces, RFC 1939 §7) */
	size_t argc;      /* parameters separated by spaces */
	const char *argv[POP3_ARGS_MAX];
};

/* Parses one command line (without its CRLF) of size bytes, which may hold
 * NULs. Returns 1 with *cmd_r filled (strings from pool), 0 for an empty
 * line, or -1 with a static reason in *error_r: a keyword that is not 3-4
 * letters, or a control byte (NUL, CR, LF...) anywhere. Bytes >= 0x80 are
 * allowed in parameters (UTF-8 passwords). */
int pop3_command_parse(const unsigned char *data, size_t size,
                       struct pool *pool, struct pop3_command *cmd_r,
                       const char **error_r);

/* Parses a message number or line count: 1*10DIGIT, no sign, fits in 32
 * bits. Returns 0 with *num_r, or -1. */
int pop3_number_parse(const char *str, uint32_t *num_r);

/* Appends "+OK text\r\n". */
void pop3_reply_ok(struct buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends "-ERR [code] text\r\n"; code (RFC 2449 §8, RFC 3206: "IN-USE",
 * "AUTH", "SYS/TEMP"...) may be NULL. */
void pop3_reply_err(struct buf *out, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends one line of a multi-line response, dot-stuffed (RFC 1939 §3). */
void pop3_reply_line(struct buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends the terminating ".\r\n" of a multi-line response. */
void pop3_reply_end(struct buf *out);

#endif
