/* The IMAP command parser (RFC 9051 §2.2, §9; RFC 3501 §9): fed bytes as
 * they arrive, it builds one command at a time as a tag, a command name and
 * a tree of arguments (atoms, quoted strings, literals, lists). Literals
 * {n}, {n+} (LITERAL+, RFC 7888) and ~{n} (BINARY, RFC 3516) stop the
 * parser so the caller can refuse them, send the continuation, let the
 * parser buffer them, or consume the bytes itself (APPEND streaming).
 * Every limit (line length, literal size and count, nesting, argument
 * count) comes from struct imap_parser_settings. A refused command's line
 * that ends in a non-synchronizing literal stops the parser once more, so
 * the caller can have the literal's octets skipped (RFC 7888 §3: they are
 * on the way) or close the connection (§4). "~" followed by anything but
 * "{" is an ATOM-CHAR. */
#ifndef IMAP_IMAP_PARSER_H
#define IMAP_IMAP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_parser;

struct imap_parser_settings {
	size_t max_line;     /* command bytes outside literals (0: 65536) */
	size_t max_literals; /* literals per command (0: 32) */
	unsigned max_depth;  /* parenthesis nesting (0: 16, at most 64) */
	size_t max_args;     /* arguments per command, lists included
	                        (0: 100000) */
};

enum imap_arg_type {
	IMAP_ARG_ATOM,     /* also NIL, numbers, flags, seqsets, sections */
	IMAP_ARG_QUOTED,   /* "..." with the escapes removed */
	IMAP_ARG_LITERAL,  /* {n} bytes buffered by the parser */
	IMAP_ARG_STREAMED, /* {n} bytes the caller consumed itself */
	IMAP_ARG_LIST,     /* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	bool is_literal8;      /* ~{n}: may hold NULs (RFC 3516) */
	const char *str;       /* atom, quoted, literal: NUL-terminated (a
	                          literal may also hold NULs); NULL for lists */
	size_t len;            /* bytes in str; for STREAMED the literal size */
	struct imap_arg *list; /* LIST: the first element, or NULL */
	size_t count;          /* LIST: number of elements */
	struct imap_arg *next; /* the next argument at the same level */
};

enum imap_parser_event {
	IMAP_PARSER_COMMAND, /* a whole command was parsed */
	IMAP_PARSER_LITERAL, /* a literal header "{n}" CRLF was read */
	IMAP_PARSER_SKIP,    /* the line of a refused command ended in
	                        "{n+}" CRLF: its octets follow */
};

/* Returns a new parser; settings is copied and may be NULL. */
struct imap_parser *imap_parser_new(const struct imap_parser_settings *set);
/* Frees; sets *parser to NULL; accepts NULL. */
void imap_parser_free(struct imap_parser **parser);

/* Parses data (size bytes, any of which may be NUL) and sets *consumed_r to
 * how many bytes it used. Returns 1 with *event_r when it stopped at an
 * event (the bytes after it are not consumed); 0 when all of data was used
 * and more is needed; -1 with *error_r (a static string) on a syntax error
 * or a passed limit: the rest of the line up to LF is then skipped by the
 * next calls, and imap_parser_tag() tells whether the tag was read.
 *
 * After IMAP_PARSER_LITERAL the caller must call exactly one of
 * imap_parser_literal_accept(), imap_parser_literal_streamed(),
 * imap_parser_literal_skip() or imap_parser_reset() before feeding more.
 * After IMAP_PARSER_SKIP (which follows a -1 for that line, and may come
 * again for further literals of it) imap_parser_literal() gives the size;
 * the caller calls imap_parser_literal_skip(), or closes the connection
 * when it would not read that much. After IMAP_PARSER_COMMAND the tag, name
 * and arguments stay valid until imap_parser_reset(), which the caller
 * calls once it is done with the command. */
int imap_parser_feed(struct imap_parser *parser, const unsigned char *data,
                     size_t size, size_t *consumed_r,
                     enum imap_parser_event *event_r, const char **error_r);
/* Drops the current command (or the rest of a refused one) and starts
 * afresh at the next byte; frees what the command held. */
void imap_parser_reset(struct imap_parser *parser);

/* The literal announced by IMAP_PARSER_LITERAL: its size, whether the
 * client waits for a "+" continuation (a synchronizing {n}), and how many
 * lists enclose it. */
void imap_parser_literal(const struct imap_parser *parser, uint64_t *size_r,
                         bool *is_sync_r, unsigned *depth_r);
/* Returns true if the literal announced is a literal8 "~{n}". */
bool imap_parser_literal_is_literal8(const struct imap_parser *parser);
/* The parser buffers the literal's bytes as they are fed. */
void imap_parser_literal_accept(struct imap_parser *parser);
/* The command is refused (or was, for IMAP_PARSER_SKIP): the octets of a
 * non-synchronizing literal and the rest of its command line are read and
 * dropped by the next feeds (further {n+} on it come as IMAP_PARSER_SKIP);
 * after a synchronizing one, which the client does not send without "+",
 * the parser starts afresh. */
void imap_parser_literal_skip(struct imap_parser *parser);
/* The caller consumed the literal's bytes itself: the argument is added as
 * IMAP_ARG_STREAMED with len set to the size and parsing goes on after it. */
void imap_parser_literal_streamed(struct imap_parser *parser);

/* The tag, or NULL if none was read yet (or it was invalid). */
const char *imap_parser_tag(const struct imap_parser *parser);
/* The command name as sent (compare case-insensitively), or NULL. */
const char *imap_parser_name(const struct imap_parser *parser);
/* The first argument after the name, or NULL if there is none. */
const struct imap_arg *imap_parser_args(const struct imap_parser *parser);
/* Arguments parsed so far at the top level (the tag and name not counted);
 * for choosing a streaming literal. */
size_t imap_parser_arg_count(const struct imap_parser *parser);
/* The argument parsed last at the current nesting level (in the list the
 * parser is in), or NULL if that level has none yet; for choosing a
 * streaming literal by what precedes it (CATENATE's TEXT or URL). */
const struct imap_arg *imap_parser_last_arg(const struct imap_parser *parser);

/* Helpers for commands. */
/* Returns true if arg is an atom, quoted string or literal (an astring /
 * string), with its bytes in *str_r. */
bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r);
/* Returns true if arg is an atom with exactly this text, case-insensitive. */
bool imap_arg_atom_equals(const struct imap_arg *arg, const char *atom);
/* Returns true if arg is an atom of digits that fits in a uint32 (or a
 * uint64 for the _64 form): number = 1*DIGIT. */
bool imap_arg_get_number(const struct imap_arg *arg, uint32_t *num_r);
bool imap_arg_get_number64(const struct imap_arg *arg, uint64_t *num_r);

#endif
