/* The ManageSieve line parser (RFC 5804 §4): a byte-at-a-time state
 * machine, so a line may arrive in any pieces. Tokens are kept in one
 * buffer, NUL after each; a line's tail (the last bytes outside literals)
 * is kept too, so that a line being dropped after an error still finds
 * the literal announced at its end and drops its octets as well. */
#include "managesieve/managesieve_parser.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_LINE 8192
#define DEFAULT_MAX_LITERAL (1024 * 1024)
#define DEFAULT_MAX_TOKENS 8
#define TAIL_MAX 24 /* "{" 20 digits "+}" CR */

enum state {
	ST_BETWEEN,    /* before a token, or after one and its SP */
	ST_AFTER,      /* right after a token: SP or the line's end */
	ST_ATOM,       /* in an atom */
	ST_QUOTED,     /* in a quoted string */
	ST_QUOTED_ESC, /* after "\" in a quoted string */
	ST_LIT_NUM,    /* after "{": digits */
	ST_LIT_CLOSE,  /* after "+": "}" */
	ST_LIT_EOL,    /* after "}": CR or LF */
	ST_LIT_LF,     /* after "}" CR: LF */
	ST_LIT_DATA,   /* the literal's octets */
	ST_CR,         /* CR at the end of a line: LF */
	ST_SKIP,       /* dropping the rest of a wrong line */
	ST_SKIP_DATA,  /* dropping a literal's octets on it */
};

struct raw_token {
	enum managesieve_token_type type;
	bool is_literal;
	size_t offset, len;
};

struct managesieve_parser {
	struct managesieve_parser_settings set;
	enum state state;
	bool needs_reset;      /* a line ended: the next byte starts one */
	struct buf data;       /* token bytes, NUL after each */
	struct raw_token *raw; /* set.max_tokens of them */
	struct managesieve_token *tokens;
	size_t count;
	size_t line_len;        /* bytes of the line outside literals */
	uint64_t literal_total; /* octets of its literals so far */
	uint64_t literal_left;  /* of the literal being read or dropped */
	uint64_t literal_size;
	bool has_digit;
	char tail[TAIL_MAX];
	size_t tail_len;
	enum managesieve_parser_error error;
};

struct managesieve_parser *
managesieve_parser_new(const struct managesieve_parser_settings *settings)
{
	struct managesieve_parser *p = xcalloc(1, sizeof(*p));
	if (settings != NULL)
		p->set = *settings;
	if (p->set.max_line == 0)
		p->set.max_line = DEFAULT_MAX_LINE;
	if (p->set.max_literal == 0)
		p->set.max_literal = DEFAULT_MAX_LITERAL;
	if (p->set.max_tokens == 0)
		p->set.max_tokens = DEFAULT_MAX_TOKENS;
	p->raw = xcalloc(p->set.max_tokens, sizeof(*p->raw));
	p->tokens = xcalloc(p->set.max_tokens, sizeof(*p->tokens));
	buf_init(&p->data);
	return p;
}

void managesieve_parser_free(struct managesieve_parser **pp)
{
	struct managesieve_parser *p = *pp;
	if (p == NULL)
		return;
	buf_deinit(&p->data);
	free(p->raw);
	free(p->tokens);
	free(p);
	*pp = NULL;
}

/* Starts a new line. A buffer grown for a large script is given back. */
static void line_reset(struct managesieve_parser *p)
{
	if (p->data.cap > 65536) {
		buf_deinit(&p->data);
		buf_init(&p->data);
	}
	buf_truncate(&p->data, 0);
	p->count = 0;
	p->line_len = 0;
	p->literal_total = 0;
	p->tail_len = 0;
	p->state = ST_BETWEEN;
}

static void tail_add(struct managesieve_parser *p, unsigned char c)
{
	if (p->tail_len == TAIL_MAX) {
		memmove(p->tail, p->tail + 1, TAIL_MAX - 1);
		p->tail_len--;
	}
	p->tail[p->tail_len++] = (char)c;
}

/* Whether the line's tail is a literal's header "{" number ["+"] "}"
 * (with the CR LF after it): the size in *size_r, capped when it overflows
 * (such a line is never read to its end anyway). */
static bool tail_literal(const struct managesieve_parser *p, uint64_t *size_r)
{
	size_t n = p->tail_len;
	if (n > 0 && p->tail[n - 1] == '\n')
		n--;
	if (n > 0 && p->tail[n - 1] == '\r')
		n--;
	if (n < 3 || p->tail[n - 1] != '}')
		return false;
	n--;
	if (p->tail[n - 1] == '+')
		n--;
	size_t end = n;
	while (n > 0 && p->tail[n - 1] >= '0' && p->tail[n - 1] <= '9')
		n--;
	if (n == 0 || n == end || p->tail[n - 1] != '{')
		return false;
	uint64_t size = 0;
	for (size_t i = n; i < end; i++) {
		unsigned d = (unsigned)(p->tail[i] - '0');
		size =
		    size > (UINT64_MAX - d) / 10 ? UINT64_MAX : size * 10 + d;
	}
	*size_r = size;
	return true;
}

static void tokens_fix(struct managesieve_parser *p)
{
	for (size_t i = 0; i < p->count; i++) {
		p->tokens[i] = (struct managesieve_token){
		    .type = p->raw[i].type,
		    .is_literal = p->raw[i].is_literal,
		    .str = p->data.data + p->raw[i].offset,
		    .len = p->raw[i].len,
		};
	}
}

/* Starts a token. Returns false when the line has too many. */
static bool token_begin(struct managesieve_parser *p,
                        enum managesieve_token_type type, bool is_literal)
{
	if (p->count == p->set.max_tokens)
		return false;
	p->raw[p->count++] = (struct raw_token){
	    .type = type, .is_literal = is_literal, .offset = p->data.len};
	return true;
}

static void token_end(struct managesieve_parser *p)
{
	struct raw_token *t = &p->raw[p->count - 1];
	t->len = p->data.len - t->offset;
	buf_append_char(&p->data, '\0');
	p->state = ST_AFTER;
}

/* ATOM-CHAR: a visible ASCII character that starts nothing else. */
static bool is_atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"(){}\\", c) == NULL;
}

/* The bytes a UTF-8 sequence starting with c has (RFC 3629 §4), 0 if c
 * cannot start one. */
static size_t utf8_len(unsigned char c)
{
	return c < 0x80                 ? 1
	       : c >= 0xC2 && c <= 0xDF ? 2
	       : (c & 0xF0) == 0xE0     ? 3
	       : c >= 0xF0 && c <= 0xF4 ? 4
	                                : 0;
}

/* Checks the quoted string just ended: valid UTF-8 (RFC 5804 §4,
 * SAFE-UTF8-CHAR), no overlong forms or surrogates. */
static bool quoted_is_utf8(const struct managesieve_parser *p)
{
	const struct raw_token *t = &p->raw[p->count - 1];
	const unsigned char *s =
	    (const unsigned char *)p->data.data + t->offset;
	size_t len = p->data.len - t->offset;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len(s[i]);
		if (n == 0 || i + n > len)
			return false;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		if ((s[i] == 0xE0 && s[i + 1] < 0xA0) ||
		    (s[i] == 0xED && s[i + 1] >= 0xA0) ||
		    (s[i] == 0xF0 && s[i + 1] < 0x90) ||
		    (s[i] == 0xF4 && s[i + 1] >= 0x90))
			return false;
		i += n;
	}
	return true;
}

/* The line ended at LF: done, or (when dropping) a literal follows. */
static int line_end(struct managesieve_parser *p, bool is_skipping)
{
	uint64_t size;
	if (is_skipping && tail_literal(p, &size)) {
		p->literal_left = size;
		p->tail_len = 0;
		p->state = size > 0 ? ST_SKIP_DATA : ST_SKIP;
		return 0;
	}
	p->needs_reset = true;
	p->state = ST_BETWEEN;
	return is_skipping ? 0 : 1;
}

static int fail(struct managesieve_parser *p, unsigned char c,
                enum managesieve_parser_error error, const char *text,
                const char **error_r)
{
	p->error = error;
	*error_r = text;
	tokens_fix(p);
	if (c == '\n')
		(void)line_end(p, true);
	else
		p->state = ST_SKIP;
	return -1;
}

/* A literal's header is complete (c is its LF). */
static int literal_begin(struct managesieve_parser *p, const char **error_r)
{
	const char *error = NULL;
	if (p->literal_size > p->set.max_literal ||
	    p->literal_total + p->literal_size >
	        (uint64_t)p->set.max_literal + p->set.max_line) {
		p->error = MANAGESIEVE_PARSER_TOO_LARGE;
		error = "Literal too large";
	} else if (!token_begin(p, MANAGESIEVE_TOKEN_STRING, true)) {
		p->error = MANAGESIEVE_PARSER_TOO_LONG;
		error = "Too many arguments";
	}
	if (error != NULL) {
		*error_r = error;
		tokens_fix(p);
		/* its octets follow the header's LF: drop them */
		p->literal_left = p->literal_size;
		p->state = p->literal_size > 0 ? ST_SKIP_DATA : ST_SKIP;
		return -1;
	}
	p->literal_total += p->literal_size;
	p->literal_left = p->literal_size;
	buf_reserve(&p->data, (size_t)p->literal_size + 1);
	if (p->literal_left == 0)
		token_end(p);
	else
		p->state = ST_LIT_DATA;
	return 0;
}

static int step(struct managesieve_parser *p, unsigned char c,
                const char **error_r);

/* Between tokens: a separator, the line's end, or a token's first byte. */
static int step_between(struct managesieve_parser *p, unsigned char c,
                        const char **error_r)
{
	if (c == ' ') {
		p->state = ST_BETWEEN;
		return 0;
	}
	if (c == '\r') {
		p->state = ST_CR;
		return 0;
	}
	if (c == '\n')
		return line_end(p, false);
	if (p->state == ST_AFTER)
		return fail(p, c, MANAGESIEVE_PARSER_SYNTAX,
		            "Missing space between arguments", error_r);
	if (c == '{') {
		p->literal_size = 0;
		p->has_digit = false;
		p->state = ST_LIT_NUM;
		return 0;
	}
	if (c != '"' && !is_atom_char(c))
		return fail(p, c, MANAGESIEVE_PARSER_SYNTAX,
		            "Invalid character", error_r);
	if (!token_begin(
	        p, c == '"' ? MANAGESIEVE_TOKEN_STRING : MANAGESIEVE_TOKEN_ATOM,
	        false))
		return fail(p, c, MANAGESIEVE_PARSER_TOO_LONG,
		            "Too many arguments", error_r);
	if (c == '"') {
		p->state = ST_QUOTED;
		return 0;
	}
	buf_append_char(&p->data, (char)c);
	p->state = ST_ATOM;
	return 0;
}

/* quoted = DQUOTE *QUOTED-CHAR DQUOTE (RFC 5804 §4, erratum 2655) */
static int step_quoted(struct managesieve_parser *p, unsigned char c,
                       const char **error_r)
{
	if (p->state == ST_QUOTED_ESC) {
		/* QUOTED-SPECIALS = DQUOTE / "\" */
		if (c != '"' && c != '\\')
			return fail(p, c, MANAGESIEVE_PARSER_SYNTAX,
			            "Invalid escape in quoted string", error_r);
		p->state = ST_QUOTED;
	} else if (c == '"') {
		if (!quoted_is_utf8(p))
			return fail(p, c, MANAGESIEVE_PARSER_SYNTAX,
			            "Quoted string is not UTF-8", error_r);
		token_end(p);
		return 0;
	} else if (c == '\\') {
		p->state = ST_QUOTED_ESC;
		return 0;
	} else if (c == '\0' || c == '\r' || c == '\n') {
		return fail(p, c, MANAGESIEVE_PARSER_SYNTAX,
		            "Invalid character in quoted string", error_r);
	}
	if (p->data.len - p->raw[p->count - 1].offset >= MANAGESIEVE_QUOTED_MAX)
		return fail(p, c, MANAGESIEVE_PARSER_TOO_LONG,
		            "Quoted string too long", error_r);
	buf_append_char(&p->data, (char)c);
	return 0;
}

/* literal-c2s = "{" number "+}" CRLF *OCTET (and "{" number "}" CRLF) */
static int step_literal_header(struct managesieve_parser *p, unsigned char c,
                               const char **error_r)
{
	switch (p->state) {
	case ST_LIT_NUM:
		if (c >= '0' && c <= '9') {
			p->literal_size =
			    p->literal_size * 10 + (uint64_t)(c - '0');
			if (p->literal_size > UINT32_MAX)
				return fail(p, c, MANAGESIEVE_PARSER_TOO_LARGE,
				            "Literal too large", error_r);
			p->has_digit = true;
			return 0;
		}
		if (!p->has_digit || (c != '+' && c != '}'))
			break;
		p->state = c == '+' ? ST_LIT_CLOSE : ST_LIT_EOL;
		return 0;
	case ST_LIT_CLOSE:
		if (c != '}')
			break;
		p->state = ST_LIT_EOL;
		return 0;
	default: /* ST_LIT_EOL, ST_LIT_LF */
		if (c == '\r' && p->state == ST_LIT_EOL) {
			p->state = ST_LIT_LF;
			return 0;
		}
		if (c != '\n')
			return fail(p, c, MANAGESIEVE_PARSER_SYNTAX,
			            "Literal header must end the line",
			            error_r);
		p->tail_len = 0;
		return literal_begin(p, error_r);
	}
	return fail(p, c, MANAGESIEVE_PARSER_SYNTAX, "Invalid literal",
	            error_r);
}

/* One byte outside literal data. Returns 1 (line done), 0, or -1. */
static int step(struct managesieve_parser *p, unsigned char c,
                const char **error_r)
{
	if (p->state != ST_SKIP && ++p->line_len > p->set.max_line)
		return fail(p, c, MANAGESIEVE_PARSER_TOO_LONG, "Line too long",
		            error_r);
	tail_add(p, c);
	switch (p->state) {
	case ST_BETWEEN:
	case ST_AFTER:
		return step_between(p, c, error_r);
	case ST_ATOM:
		if (is_atom_char(c)) {
			buf_append_char(&p->data, (char)c);
			return 0;
		}
		/* the byte after an atom is read again in ST_AFTER */
		token_end(p);
		p->line_len--;
		p->tail_len--;
		return step(p, c, error_r);
	case ST_QUOTED:
	case ST_QUOTED_ESC:
		return step_quoted(p, c, error_r);
	case ST_LIT_NUM:
	case ST_LIT_CLOSE:
	case ST_LIT_EOL:
	case ST_LIT_LF:
		return step_literal_header(p, c, error_r);
	case ST_CR:
		if (c != '\n')
			return fail(p, c, MANAGESIEVE_PARSER_SYNTAX,
			            "CR without LF", error_r);
		return line_end(p, false);
	case ST_SKIP:
		return c == '\n' ? line_end(p, true) : 0;
	case ST_LIT_DATA:
	case ST_SKIP_DATA:
		break;
	}
	log_panic("managesieve parser: state %d", (int)p->state);
}

int managesieve_parser_feed(struct managesieve_parser *p,
                            const unsigned char *data, size_t size,
                            size_t *consumed_r, const char **error_r)
{
	size_t i = 0;
	int ret = 0;
	while (i < size && ret == 0) {
		if (p->needs_reset) {
			p->needs_reset = false;
			line_reset(p);
		}
		if (p->state == ST_LIT_DATA || p->state == ST_SKIP_DATA) {
			size_t n = size - i;
			if (n > p->literal_left)
				n = (size_t)p->literal_left;
			if (p->state == ST_LIT_DATA)
				buf_append(&p->data, data + i, n);
			i += n;
			p->literal_left -= n;
			if (p->literal_left == 0) {
				if (p->state == ST_LIT_DATA)
					token_end(p);
				else
					p->state = ST_SKIP;
			}
			continue;
		}
		ret = step(p, data[i++], error_r);
		if (ret == 1)
			tokens_fix(p);
	}
	*consumed_r = i;
	return ret;
}

const struct managesieve_token *
managesieve_parser_tokens(const struct managesieve_parser *p, size_t *count_r)
{
	*count_r = p->count;
	return p->tokens;
}

enum managesieve_parser_error
managesieve_parser_error(const struct managesieve_parser *p)
{
	return p->error;
}

bool managesieve_parser_is_pending(const struct managesieve_parser *p)
{
	return !p->needs_reset && (p->state != ST_BETWEEN || p->line_len > 0);
}

bool managesieve_token_number(const struct managesieve_token *t,
                              uint32_t *num_r)
{
	if (t->type != MANAGESIEVE_TOKEN_ATOM || t->len == 0 || t->len > 10)
		return false;
	uint64_t n = 0;
	for (size_t i = 0; i < t->len; i++) {
		if (t->str[i] < '0' || t->str[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(t->str[i] - '0');
	}
	if (n > UINT32_MAX)
		return false;
	*num_r = (uint32_t)n;
	return true;
}

bool managesieve_token_is(const struct managesieve_token *t, const char *name)
{
	return t->type == MANAGESIEVE_TOKEN_ATOM && strlen(name) == t->len &&
	       strcasecmp(t->str, name) == 0;
}
