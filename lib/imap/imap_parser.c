/* The IMAP command parser (RFC 9051 §2.2.1, §4.3, §9; RFC 7888 LITERAL+/-;
 * RFC 3516 literal8): a byte-at-a-time state machine, so a command may
 * arrive in any number of pieces. Tokens are collected in one growable
 * buffer and copied into a per-command pool; nothing survives
 * imap_parser_reset() except a small buffer. Beside the grammar, a small
 * framing tracker watches every line for a "{n+}" CRLF ending, so that a
 * refused command's non-synchronizing literal is skipped, never read as
 * commands (RFC 7888 §3: the client sends those octets without waiting). */
#include "imap/imap_parser.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMAP_PARSER_DEPTH_LIMIT 64
#define IMAP_PARSER_KEEP_BUF 4096

enum parser_state {
	STATE_TAG,
	STATE_NAME,
	STATE_ARG,       /* expecting an argument, ")" or CRLF */
	STATE_AFTER_ARG, /* expecting SP, ")" or CRLF */
	STATE_ATOM,
	STATE_ATOM_BRACKET, /* inside [...] of an atom */
	STATE_QUOTED,
	STATE_QUOTED_ESCAPE,
	STATE_LITERAL8,     /* after "~", expecting "{" */
	STATE_LITERAL_LEN,  /* inside {...} */
	STATE_LITERAL_CR,   /* after "}", expecting CRLF */
	STATE_LITERAL_WAIT, /* the event was returned, caller decides */
	STATE_LITERAL_DATA,
	STATE_CR,           /* CR seen at the end of a command */
	STATE_SKIP,         /* an error: skipping to LF */
	STATE_SKIP_PENDING, /* an error at a LF that announced a {n+}:
	                       the next feed returns IMAP_PARSER_SKIP */
	STATE_SKIP_WAIT,    /* IMAP_PARSER_SKIP returned, caller decides */
	STATE_SKIP_LITERAL, /* an error: skipping a non-sync literal */
	STATE_FAILED,       /* an error at LF: reset at the next byte */
	STATE_DONE,         /* a command was returned */
};

/* Where the line is in a literal header, whatever the grammar state:
 * "{" digits ["+"] "}" [CR] before LF announces a literal. */
enum frame_state {
	FRAME_NONE,
	FRAME_LEN,   /* after "{" */
	FRAME_CLOSE, /* after "}" */
	FRAME_CR,    /* after "}" CR */
};

struct parser_level {
	struct imap_arg *list; /* NULL at the top level */
	struct imap_arg **tail;
	struct imap_arg *last; /* the last argument added, or NULL */
};

struct imap_parser {
	struct imap_parser_settings set;
	enum parser_state state;
	struct pool *pool;
	struct buf token;
	char *tag, *name;
	struct imap_arg *args;
	size_t top_count, arg_count, literal_count, line_len;
	unsigned depth;
	struct parser_level levels[IMAP_PARSER_DEPTH_LIMIT + 1];
	uint64_t literal_size, literal_left;
	bool literal_sync, literal_has_digits, literal8, literal_plus;
	enum frame_state frame;
	uint64_t frame_size; /* saturates at UINT64_MAX */
	bool frame_has_digits, frame_plus;
};

struct imap_parser *imap_parser_new(const struct imap_parser_settings *set)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));
	if (set != NULL)
		p->set = *set;
	if (p->set.max_line == 0)
		p->set.max_line = 65536;
	if (p->set.max_literals == 0)
		p->set.max_literals = 32;
	if (p->set.max_depth == 0)
		p->set.max_depth = 16;
	if (p->set.max_depth > IMAP_PARSER_DEPTH_LIMIT)
		p->set.max_depth = IMAP_PARSER_DEPTH_LIMIT;
	if (p->set.max_args == 0)
		p->set.max_args = 100000;
	p->pool = pool_new();
	buf_init(&p->token);
	imap_parser_reset(p);
	return p;
}

void imap_parser_free(struct imap_parser **parser)
{
	struct imap_parser *p = *parser;
	if (p == NULL)
		return;
	*parser = NULL;
	pool_free(&p->pool);
	buf_deinit(&p->token);
	free(p);
}

static void parser_clear(struct imap_parser *p)
{
	pool_clear(p->pool);
	if (p->token.cap > IMAP_PARSER_KEEP_BUF) {
		buf_deinit(&p->token);
		buf_init(&p->token);
	}
	buf_truncate(&p->token, 0);
	p->tag = p->name = NULL;
	p->args = NULL;
	p->top_count = p->arg_count = p->literal_count = p->line_len = 0;
	p->depth = 0;
	p->levels[0].list = NULL;
	p->levels[0].tail = &p->args;
	p->levels[0].last = NULL;
	p->frame = FRAME_NONE;
}

void imap_parser_reset(struct imap_parser *p)
{
	parser_clear(p);
	p->state = STATE_TAG;
}

/* Adds an argument at the current level; NULL past max_args. */
static struct imap_arg *parser_add(struct imap_parser *p,
                                   enum imap_arg_type type)
{
	if (++p->arg_count > p->set.max_args)
		return NULL;
	struct imap_arg *arg = pool_alloc(p->pool, sizeof(*arg));
	arg->type = type;
	struct parser_level *lv = &p->levels[p->depth];
	*lv->tail = arg;
	lv->tail = &arg->next;
	lv->last = arg;
	if (lv->list != NULL)
		lv->list->count++;
	else
		p->top_count++;
	return arg;
}

static int parser_add_token(struct imap_parser *p, enum imap_arg_type type)
{
	struct imap_arg *arg = parser_add(p, type);
	if (arg == NULL)
		return -1;
	char *s = pool_alloc(p->pool, p->token.len + 1);
	memcpy(s, p->token.data, p->token.len);
	arg->str = s;
	arg->len = p->token.len;
	arg->is_literal8 = type == IMAP_ARG_LITERAL && p->literal8;
	buf_truncate(&p->token, 0);
	return 0;
}

/* ATOM-CHAR plus what commands need inside atoms: "\" (flags), "%" and "*"
 * (patterns, sets), "]" (resp-specials are ASTRING-CHARs) and 8-bit bytes
 * (UTF-8 names from lenient clients). */
static bool is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c == 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

/* tag = 1*<any ASTRING-CHAR except "+"> */
static bool is_tag_char(unsigned char c)
{
	return is_atom_char(c) && c < 0x80 && c != '+' && c != '%' &&
	       c != '*' && c != '\\' && c != '[';
}

/* Feeds one byte outside literal data to the framing tracker. */
static void frame_byte(struct imap_parser *p, unsigned char c)
{
	switch (p->frame) {
	case FRAME_LEN:
		if (c >= '0' && c <= '9' && !p->frame_plus) {
			p->frame_size =
			    p->frame_size > (UINT64_MAX - 9) / 10
			        ? UINT64_MAX
			        : p->frame_size * 10 + (uint64_t)(c - '0');
			p->frame_has_digits = true;
			return;
		}
		if (c == '+' && p->frame_has_digits && !p->frame_plus) {
			p->frame_plus = true;
			return;
		}
		if (c == '}' && p->frame_has_digits) {
			p->frame = FRAME_CLOSE;
			return;
		}
		break;
	case FRAME_CLOSE:
	case FRAME_CR:
		if (c == '\r') { /* the parser takes CRs before LF too */
			p->frame = FRAME_CR;
			return;
		}
		break;
	case FRAME_NONE:
		break;
	}
	p->frame = FRAME_NONE;
	if (c == '{') {
		p->frame = FRAME_LEN;
		p->frame_size = 0;
		p->frame_has_digits = p->frame_plus = false;
	}
}

/* Returns true if a LF now ends a line announcing a {n+} literal. */
static bool frame_is_literal_plus(const struct imap_parser *p)
{
	return (p->frame == FRAME_CLOSE || p->frame == FRAME_CR) &&
	       p->frame_plus;
}

/* is_plus_lf: c is the LF of a line that announced a {n+} literal. */
static int parser_fail(struct imap_parser *p, unsigned char c, bool is_plus_lf,
                       const char *error, const char **error_r)
{
	/* The tag stays readable until the next feed. */
	*error_r = error;
	if (c != '\n')
		p->state = STATE_SKIP;
	else if (is_plus_lf)
		p->state = STATE_SKIP_PENDING; /* its octets are on the way */
	else
		p->state = STATE_FAILED;
	return -1;
}

/* Starts a token at c in STATE_ARG. Returns 0, 1 if the command ended
 * (LF), or -1 with *error_r. */
static int parser_arg_start(struct imap_parser *p, unsigned char c,
                            const char **error_r)
{
	switch (c) {
	case '(': {
		if (p->depth + 1 > p->set.max_depth) {
			*error_r = "Too deeply nested";
			return -1;
		}
		struct imap_arg *list = parser_add(p, IMAP_ARG_LIST);
		if (list == NULL) {
			*error_r = "Too many arguments";
			return -1;
		}
		p->depth++;
		p->levels[p->depth].list = list;
		p->levels[p->depth].tail = &list->list;
		p->levels[p->depth].last = NULL;
		return 0;
	}
	case ')':
		if (p->depth == 0) {
			*error_r = "Unexpected ')'";
			return -1;
		}
		p->depth--;
		p->state = STATE_AFTER_ARG;
		return 0;
	case '"':
		p->state = STATE_QUOTED;
		return 0;
	case '~':
		/* "~{" starts a literal8; "~" is an ATOM-CHAR otherwise */
		p->literal8 = true;
		p->state = STATE_LITERAL8;
		return 0;
	case '{':
		p->literal8 = false;
		p->state = STATE_LITERAL_LEN;
		p->literal_size = 0;
		p->literal_has_digits = p->literal_plus = false;
		return 0;
	case '\r':
		p->state = STATE_CR;
		return 0;
	case '\n':
		if (p->depth > 0) {
			*error_r = "Missing ')'";
			return -1;
		}
		return 1;
	default:
		if (!is_atom_char(c)) {
			*error_r = "Invalid character in argument";
			return -1;
		}
		buf_append_char(&p->token, (char)c);
		p->state = c == '[' ? STATE_ATOM_BRACKET : STATE_ATOM;
		return 0;
	}
}

/* After a token: SP, ")" or the end of the line. */
static int parser_after_arg(struct imap_parser *p, unsigned char c,
                            const char **error_r)
{
	if (c == ' ') {
		p->state = STATE_ARG;
		return 0;
	}
	if (c == ')' || c == '\r' || c == '\n')
		return parser_arg_start(p, c, error_r);
	*error_r = "Missing space between arguments";
	return -1;
}

static int parser_atom(struct imap_parser *p, unsigned char c,
                       const char **error_r)
{
	if (p->state == STATE_ATOM_BRACKET) {
		/* section = "[" [section-spec] "]": spaces and lists of
		 * header names belong to the atom. */
		if (c == '\r' || c == '\n' || c == 0) {
			*error_r = "Missing ']'";
			return -1;
		}
		buf_append_char(&p->token, (char)c);
		if (c == ']')
			p->state = STATE_ATOM;
		return 0;
	}
	if (is_atom_char(c)) {
		buf_append_char(&p->token, (char)c);
		if (c == '[')
			p->state = STATE_ATOM_BRACKET;
		return 0;
	}
	if (c == '(' || c == '{' || c == '"') {
		*error_r = "Invalid character in atom";
		return -1;
	}
	if (parser_add_token(p, IMAP_ARG_ATOM) < 0) {
		*error_r = "Too many arguments";
		return -1;
	}
	p->state = STATE_AFTER_ARG;
	return parser_after_arg(p, c, error_r);
}

/* quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR = <any TEXT-CHAR except
 * quoted-specials> / "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4 */
static int parser_quoted(struct imap_parser *p, unsigned char c,
                         const char **error_r)
{
	if (c == '\r' || c == '\n' || c == 0) {
		*error_r = "Unterminated quoted string";
		return -1;
	}
	if (p->state == STATE_QUOTED_ESCAPE) {
		if (c != '"' && c != '\\') {
			*error_r = "Invalid escape in quoted string";
			return -1;
		}
		buf_append_char(&p->token, (char)c);
		p->state = STATE_QUOTED;
		return 0;
	}
	if (c == '\\') {
		p->state = STATE_QUOTED_ESCAPE;
		return 0;
	}
	if (c != '"') {
		buf_append_char(&p->token, (char)c);
		return 0;
	}
	if (parser_add_token(p, IMAP_ARG_QUOTED) < 0) {
		*error_r = "Too many arguments";
		return -1;
	}
	p->state = STATE_AFTER_ARG;
	return 0;
}

/* literal = "{" number64 ["+"] "}" CRLF *CHAR8; literal8 = "~{" ... */
static int parser_literal_len(struct imap_parser *p, unsigned char c,
                              const char **error_r)
{
	if (p->state == STATE_LITERAL8) {
		if (c != '{') { /* an atom that starts with "~" */
			p->literal8 = false;
			buf_append_char(&p->token, '~');
			p->state = STATE_ATOM;
			return parser_atom(p, c, error_r);
		}
		p->state = STATE_LITERAL_LEN;
		p->literal_size = 0;
		p->literal_has_digits = p->literal_plus = false;
		return 0;
	}
	if (p->state == STATE_LITERAL_CR) {
		if (c == '\r')
			return 0;
		if (c != '\n') {
			*error_r = "Literal must end its line";
			return -1;
		}
		if (++p->literal_count > p->set.max_literals) {
			*error_r = "Too many literals";
			return -1;
		}
		/* the literal is an argument too: refuse it now, before it
		 * is streamed past the parser and lost */
		if (p->arg_count + 1 > p->set.max_args) {
			*error_r = "Too many arguments";
			return -1;
		}
		p->state = STATE_LITERAL_WAIT;
		p->literal_sync = !p->literal_plus;
		return 1;
	}
	if (c >= '0' && c <= '9' && !p->literal_plus) {
		if (p->literal_size > (UINT64_MAX - 9) / 10) {
			*error_r = "Literal size too large";
			return -1;
		}
		p->literal_size = p->literal_size * 10 + (c - '0');
		p->literal_has_digits = true;
		return 0;
	}
	if (c == '+' && p->literal_has_digits && !p->literal_plus) {
		p->literal_plus = true;
		return 0;
	}
	if (c == '}' && p->literal_has_digits) {
		p->state = STATE_LITERAL_CR;
		return 0;
	}
	*error_r = "Invalid literal size";
	return -1;
}

/* command = tag SP (command-any / command-auth / ...) CRLF: the tag and the
 * command name are atoms; everything after is generic arguments. */
static int parser_head(struct imap_parser *p, unsigned char c,
                       const char **error_r)
{
	if (p->state == STATE_TAG) {
		if (c == ' ' && p->token.len > 0) {
			p->tag =
			    pool_strndup(p->pool, p->token.data, p->token.len);
			buf_truncate(&p->token, 0);
			p->state = STATE_NAME;
			return 0;
		}
		if (!is_tag_char(c)) {
			*error_r = "Invalid tag";
			return -1;
		}
		buf_append_char(&p->token, (char)c);
		return 0;
	}
	if (c == ' ' || c == '\r' || c == '\n') {
		if (p->token.len == 0) {
			*error_r = "Missing command";
			return -1;
		}
		p->name = pool_strndup(p->pool, p->token.data, p->token.len);
		buf_truncate(&p->token, 0);
		p->state = c == '\r' ? STATE_CR : STATE_ARG;
		return c == '\n' ? 1 : 0;
	}
	if (!is_atom_char(c) || c >= 0x80) {
		*error_r = "Invalid command name";
		return -1;
	}
	buf_append_char(&p->token, (char)c);
	return 0;
}

/* One byte outside literal data. Returns 0, 1 with *event_r, -1. */
static int parser_byte(struct imap_parser *p, unsigned char c,
                       enum imap_parser_event *event_r, const char **error_r)
{
	int ret;
	switch (p->state) {
	case STATE_TAG:
	case STATE_NAME:
		ret = parser_head(p, c, error_r);
		break;
	case STATE_ARG:
		ret = parser_arg_start(p, c, error_r);
		break;
	case STATE_AFTER_ARG:
		ret = parser_after_arg(p, c, error_r);
		break;
	case STATE_ATOM:
	case STATE_ATOM_BRACKET:
		ret = parser_atom(p, c, error_r);
		break;
	case STATE_QUOTED:
	case STATE_QUOTED_ESCAPE:
		ret = parser_quoted(p, c, error_r);
		break;
	case STATE_LITERAL8:
	case STATE_LITERAL_LEN:
	case STATE_LITERAL_CR:
		ret = parser_literal_len(p, c, error_r);
		if (ret == 1) {
			*event_r = IMAP_PARSER_LITERAL;
			return 1;
		}
		break;
	case STATE_CR:
		if (c != '\n') {
			*error_r = "CR without LF";
			return -1;
		}
		ret = parser_arg_start(p, c, error_r);
		break;
	default:
		ret = 0;
		break;
	}
	if (ret == 1) {
		p->state = STATE_DONE;
		*event_r = IMAP_PARSER_COMMAND;
	}
	return ret;
}

/* Copies literal bytes; returns how many of data were used. */
static size_t parser_literal_data(struct imap_parser *p,
                                  const unsigned char *data, size_t size)
{
	size_t n = size < p->literal_left ? size : (size_t)p->literal_left;
	buf_append(&p->token, data, n);
	p->literal_left -= n;
	return n;
}

/* The refused line ended in a {n+}: hands its size to the caller. */
static int parser_skip_event(struct imap_parser *p, size_t consumed,
                             size_t *consumed_r,
                             enum imap_parser_event *event_r)
{
	p->literal_size = p->frame_size;
	p->literal_sync = false;
	p->literal8 = false;
	p->frame = FRAME_NONE;
	p->state = STATE_SKIP_WAIT;
	*consumed_r = consumed;
	*event_r = IMAP_PARSER_SKIP;
	return 1;
}

int imap_parser_feed(struct imap_parser *p, const unsigned char *data,
                     size_t size, size_t *consumed_r,
                     enum imap_parser_event *event_r, const char **error_r)
{
	size_t i = 0;
	int ret = 0;
	if (p->state == STATE_FAILED)
		imap_parser_reset(p);
	if (p->state == STATE_SKIP_PENDING)
		return parser_skip_event(p, 0, consumed_r, event_r);
	if (p->state == STATE_DONE || p->state == STATE_LITERAL_WAIT ||
	    p->state == STATE_SKIP_WAIT) {
		/* the caller must reset or answer the literal first */
		*consumed_r = 0;
		*error_r = "Parser used after an event";
		return -1;
	}
	while (i < size) {
		unsigned char c = data[i];
		if (p->state == STATE_LITERAL_DATA) {
			i += parser_literal_data(p, data + i, size - i);
			if (p->literal_left > 0)
				continue;
			if (parser_add_token(p, IMAP_ARG_LITERAL) < 0) {
				*consumed_r = i;
				return parser_fail(
				    p, 0, false, "Too many arguments", error_r);
			}
			p->state = STATE_AFTER_ARG;
			p->line_len = 0;
			continue;
		}
		if (p->state == STATE_SKIP_LITERAL) {
			size_t n = size - i < p->literal_left
			               ? size - i
			               : (size_t)p->literal_left;
			i += n;
			p->literal_left -= n;
			if (p->literal_left == 0)
				p->state = STATE_SKIP;
			continue;
		}
		i++;
		bool is_plus_lf = c == '\n' && frame_is_literal_plus(p);
		frame_byte(p, c);
		if (p->state == STATE_SKIP) {
			if (c == '\n' && is_plus_lf)
				return parser_skip_event(p, i, consumed_r,
				                         event_r);
			if (c == '\n')
				imap_parser_reset(p);
			continue;
		}
		if (++p->line_len > p->set.max_line) {
			*consumed_r = i;
			return parser_fail(p, c, is_plus_lf,
			                   "Command line too long", error_r);
		}
		ret = parser_byte(p, c, event_r, error_r);
		if (ret < 0) {
			*consumed_r = i;
			return parser_fail(p, c, is_plus_lf, *error_r, error_r);
		}
		if (ret == 1)
			break;
	}
	*consumed_r = i;
	return ret;
}

void imap_parser_literal(const struct imap_parser *p, uint64_t *size_r,
                         bool *is_sync_r, unsigned *depth_r)
{
	*size_r = p->literal_size;
	*is_sync_r = p->literal_sync;
	*depth_r = p->depth;
}

void imap_parser_literal_accept(struct imap_parser *p)
{
	p->literal_left = p->literal_size;
	p->state = STATE_LITERAL_DATA;
}

bool imap_parser_literal_is_literal8(const struct imap_parser *p)
{
	return p->literal8;
}

void imap_parser_literal_skip(struct imap_parser *p)
{
	if (p->literal_sync) {
		/* the client sends neither the octets nor the rest */
		imap_parser_reset(p);
		return;
	}
	p->literal_left = p->literal_size;
	p->state = p->literal_left > 0 ? STATE_SKIP_LITERAL : STATE_SKIP;
}

void imap_parser_literal_streamed(struct imap_parser *p)
{
	struct imap_arg *arg = parser_add(p, IMAP_ARG_STREAMED);
	if (arg != NULL) {
		arg->str = "";
		arg->len = (size_t)p->literal_size;
	}
	/* past max_args the command fails at its next token anyway */
	p->state = STATE_AFTER_ARG;
	p->line_len = 0;
}

const char *imap_parser_tag(const struct imap_parser *p)
{
	return p->tag;
}

const char *imap_parser_name(const struct imap_parser *p)
{
	return p->name;
}

const struct imap_arg *imap_parser_args(const struct imap_parser *p)
{
	return p->args;
}

size_t imap_parser_arg_count(const struct imap_parser *p)
{
	return p->top_count;
}

const struct imap_arg *imap_parser_last_arg(const struct imap_parser *p)
{
	return p->levels[p->depth].last;
}

bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r)
{
	if (arg == NULL || arg->type == IMAP_ARG_LIST ||
	    arg->type == IMAP_ARG_STREAMED)
		return false;
	*str_r = arg->str;
	return true;
}

bool imap_arg_atom_equals(const struct imap_arg *arg, const char *atom)
{
	return arg != NULL && arg->type == IMAP_ARG_ATOM &&
	       strcasecmp(arg->str, atom) == 0;
}

bool imap_arg_get_number64(const struct imap_arg *arg, uint64_t *num_r)
{
	if (arg == NULL || arg->type != IMAP_ARG_ATOM || arg->len == 0 ||
	    arg->len > 20)
		return false;
	uint64_t n = 0;
	for (size_t i = 0; i < arg->len; i++) {
		unsigned char c = (unsigned char)arg->str[i];
		if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (c - '0');
	}
	*num_r = n;
	return true;
}

bool imap_arg_get_number(const struct imap_arg *arg, uint32_t *num_r)
{
	uint64_t n;
	if (!imap_arg_get_number64(arg, &n) || n > UINT32_MAX)
		return false;
	*num_r = (uint32_t)n;
	return true;
}
