/* The ManageSieve command parser (RFC 5804 §4): fed bytes as they arrive,
 * it reads one line of tokens at a time: atoms (command names, numbers),
 * quoted strings and literals, whose octets it buffers. A command is a
 * line whose first token is an atom; an AUTHENTICATE step (§2.1) is a
 * line of one string, so the parser does not tell them apart: the caller
 * does. Clients send non-synchronizing literals {n+} only (§4,
 * literal-c2s); a {n} is read the same way, with no continuation, as
 * other servers do. Every limit (line bytes, quoted and literal sizes,
 * tokens, all bytes of a command) comes from struct
 * managesieve_parser_settings. After an error the rest of the line,
 * including the octets of literals announced on it, is read and dropped,
 * so the next command starts where the client thinks it does. */
#ifndef MANAGESIEVE_MANAGESIEVE_PARSER_H
#define MANAGESIEVE_MANAGESIEVE_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5804 §4: a quoted string holds at most 1024 octets. */
#define MANAGESIEVE_QUOTED_MAX 1024

struct managesieve_parser;

struct managesieve_parser_settings {
	size_t max_line;    /* bytes of a line outside literals (0: 8192) */
	size_t max_literal; /* octets of one literal (0: 1 MiB) */
	size_t max_tokens;  /* tokens of one line (0: 8) */
};

enum managesieve_token_type {
	MANAGESIEVE_TOKEN_ATOM,   /* a command name or a number */
	MANAGESIEVE_TOKEN_STRING, /* quoted (escapes removed) or literal */
};

struct managesieve_token {
	enum managesieve_token_type type;
	bool is_literal;
	const char *str; /* NUL-terminated; a literal may also hold NULs */
	size_t len;
};

enum managesieve_parser_error {
	MANAGESIEVE_PARSER_SYNTAX,    /* not RFC 5804 syntax */
	MANAGESIEVE_PARSER_TOO_LONG,  /* the line or a quoted string is over
	                                 its limit, or too many tokens */
	MANAGESIEVE_PARSER_TOO_LARGE, /* a literal over max_literal */
};

/* Returns a new parser; settings is copied and may be NULL. */
struct managesieve_parser *
managesieve_parser_new(const struct managesieve_parser_settings *settings);
/* Frees; sets *parser to NULL; accepts NULL. */
void managesieve_parser_free(struct managesieve_parser **parser);

/* line = token *(1*SP token) *SP CRLF ; an empty line has no token
 * token = atom / quoted / literal
 * Parses data (size bytes, any of which may be NUL) and sets *consumed_r
 * to how many it used. Returns 1 when a whole line was read (the bytes
 * after it are not consumed): its tokens stay valid until the next feed;
 * 0 when all of data was used and more is needed (or an erroneous line is
 * still being dropped); -1 with *error_r (a static string) when the line
 * is wrong: managesieve_parser_error() says how, and the next feeds drop
 * what is left of it, literals included. */
int managesieve_parser_feed(struct managesieve_parser *parser,
                            const unsigned char *data, size_t size,
                            size_t *consumed_r, const char **error_r);
/* The tokens of the line that feed returned 1 for, and their count; after
 * -1 the tokens read before the error (the first names the command). */
const struct managesieve_token *
managesieve_parser_tokens(const struct managesieve_parser *parser,
                          size_t *count_r);
/* What the last -1 was about. */
enum managesieve_parser_error
managesieve_parser_error(const struct managesieve_parser *parser);
/* True while the parser holds part of a line (or drops one): the caller
 * keeps a deadline on it. */
bool managesieve_parser_is_pending(const struct managesieve_parser *parser);

/* number = 1*DIGIT that fits in 32 bits (RFC 5804 §4). Returns true with
 * the value in *num_r if token is one. */
bool managesieve_token_number(const struct managesieve_token *token,
                              uint32_t *num_r);
/* Returns true if token is an atom equal to name, case-insensitively. */
bool managesieve_token_is(const struct managesieve_token *token,
                          const char *name);

#endif
