/* The Sieve lexer and parser (RFC 5228 §8): comments, identifiers, tags,
 * numbers with K/M/G, quoted strings with their escapes (§2.4.2),
 * multi-line "text:" strings with dot-stuffing (§8.1), string lists,
 * tests and test lists, blocks. Line ends may be CRLF or LF; strings keep
 * CRLF. Every token carries its line and column for the error messages
 * that ManageSieve's PUTSCRIPT and CHECKSCRIPT return. Nesting of blocks
 * and tests is bounded by max_nesting; the parser recurses only that
 * deep. */
#include "core/pool.h"
#include "rules/sieve_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum token_type {
	TOKEN_EOF,
	TOKEN_IDENTIFIER,
	TOKEN_TAG,
	TOKEN_NUMBER,
	TOKEN_STRING,
	TOKEN_SPECIAL, /* one of ; , [ ] ( ) { } */
};

struct token {
	enum token_type type;
	unsigned line, column;
	const char *text; /* identifier or tag (lowercased), or string */
	size_t len;
	uint64_t number;
	char special;
};

struct parser {
	const unsigned char *start, *p, *end;
	unsigned line;
	const unsigned char *line_start;
	const struct sieve_settings *set;
	struct pool *pool;
	struct sieve_error *error;
	struct token tok; /* the current token */
	unsigned depth;
};

int sieve_error_set(struct sieve_error *error, unsigned line, unsigned column,
                    const char *fmt, ...)
{
	va_list ap;
	error->line = line;
	error->column = column;
	va_start(ap, fmt);
	vsnprintf(error->message, sizeof(error->message), fmt, ap);
	va_end(ap);
	return -1;
}

static unsigned column_of(const struct parser *ps, const unsigned char *at)
{
	return (unsigned)(at - ps->line_start) + 1;
}

static void newline(struct parser *ps, const unsigned char *after)
{
	ps->line++;
	ps->line_start = after;
}

/* white-space = 1*(SP / CRLF / HTAB) / comment
 * bracket-comment = "/" "*" ... "*" "/"; hash-comment = "#" ... CRLF */
static int skip_space(struct parser *ps)
{
	while (ps->p < ps->end) {
		unsigned char c = *ps->p;
		if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else if (c == '\n') {
			newline(ps, ++ps->p);
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '*') {
			unsigned line = ps->line, col = column_of(ps, ps->p);
			ps->p += 2;
			for (;;) {
				if (ps->p + 1 >= ps->end)
					return sieve_error_set(
					    ps->error, line, col,
					    "unterminated comment");
				if (ps->p[0] == '*' && ps->p[1] == '/')
					break;
				if (*ps->p++ == '\n')
					newline(ps, ps->p);
			}
			ps->p += 2;
		} else {
			break;
		}
	}
	return 0;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_") */
static const char *read_identifier(struct parser *ps, size_t *len_r)
{
	const unsigned char *start = ps->p;
	while (ps->p < ps->end && (is_alpha(*ps->p) || is_digit(*ps->p)))
		ps->p++;
	*len_r = (size_t)(ps->p - start);
	char *id = pool_strndup(ps->pool, (const char *)start, *len_r);
	for (char *c = id; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return id;
}

/* number = 1*DIGIT [ QUANTIFIER ]; QUANTIFIER = "K" / "M" / "G" */
static int read_number(struct parser *ps)
{
	uint64_t n = 0;
	while (ps->p < ps->end && is_digit(*ps->p)) {
		if (n > (UINT64_MAX - 9) / 10)
			return sieve_error_set(ps->error, ps->tok.line,
			                       ps->tok.column,
			                       "number too large");
		n = n * 10 + (uint64_t)(*ps->p++ - '0');
	}
	unsigned shift = 0;
	if (ps->p < ps->end) {
		switch (*ps->p) {
		case 'K':
		case 'k':
			shift = 10;
			break;
		case 'M':
		case 'm':
			shift = 20;
			break;
		case 'G':
		case 'g':
			shift = 30;
			break;
		default:
			break;
		}
		if (shift != 0)
			ps->p++;
	}
	/* RFC 5228 §2.4.1: at least 2^31; we keep 63 bits. */
	if (n > (UINT64_MAX >> 1 >> shift))
		return sieve_error_set(ps->error, ps->tok.line, ps->tok.column,
		                       "number too large");
	ps->tok.type = TOKEN_NUMBER;
	ps->tok.number = n << shift;
	if (ps->p < ps->end && (is_alpha(*ps->p) || is_digit(*ps->p)))
		return sieve_error_set(ps->error, ps->line,
		                       column_of(ps, ps->p),
		                       "bad character after number");
	return 0;
}

/* Appends a line end as CRLF. */
static void string_newline(struct buf *out)
{
	buf_append(out, "\r\n", 2);
}

static int string_finish(struct parser *ps, struct buf *out)
{
	if (out->len > ps->set->max_string_size) {
		buf_deinit(out);
		return sieve_error_set(ps->error, ps->tok.line, ps->tok.column,
		                       "string longer than %zu bytes",
		                       ps->set->max_string_size);
	}
	ps->tok.type = TOKEN_STRING;
	ps->tok.len = out->len;
	char *s = pool_alloc(ps->pool, out->len + 1);
	memcpy(s, out->data, out->len + 1);
	ps->tok.text = s;
	buf_deinit(out);
	return 0;
}

/* quoted-string = DQUOTE quoted-text DQUOTE; "\" escapes the next octet
 * (RFC 5228 §2.4.2: only \" and \\ are meaningful, "\x" is "x"). */
static int read_quoted(struct parser *ps)
{
	struct buf out;
	buf_init(&out);
	ps->p++;
	for (;;) {
		if (ps->p >= ps->end) {
			buf_deinit(&out);
			return sieve_error_set(ps->error, ps->tok.line,
			                       ps->tok.column,
			                       "unterminated string");
		}
		unsigned char c = *ps->p++;
		if (c == '"')
			break;
		if (c == '\\' && ps->p < ps->end) {
			c = *ps->p++;
		} else if (c == '\r' && ps->p < ps->end && *ps->p == '\n') {
			continue; /* the LF writes the line end */
		}
		if (c == '\n') {
			newline(ps, ps->p);
			string_newline(&out);
			continue;
		}
		buf_append_char(&out, (char)c);
	}
	return string_finish(ps, &out);
}

/* multi-line = "text:" *(SP / HTAB) (hash-comment / CRLF)
 *              *(multiline-literal / multiline-dotstart) "." CRLF */
static int read_multiline(struct parser *ps)
{
	ps->p += 5;
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
	if (ps->p < ps->end && *ps->p == '#')
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
	if (ps->p < ps->end && *ps->p == '\r')
		ps->p++;
	if (ps->p >= ps->end || *ps->p != '\n')
		return sieve_error_set(ps->error, ps->tok.line, ps->tok.column,
		                       "text: must end its line");
	newline(ps, ++ps->p);
	struct buf out;
	buf_init(&out);
	for (;;) {
		const unsigned char *eol =
		    memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
		if (eol == NULL) {
			buf_deinit(&out);
			return sieve_error_set(ps->error, ps->tok.line,
			                       ps->tok.column,
			                       "unterminated text: string");
		}
		const unsigned char *line_end = eol;
		if (line_end > ps->p && line_end[-1] == '\r')
			line_end--;
		size_t len = (size_t)(line_end - ps->p);
		const unsigned char *start = ps->p;
		ps->p = eol + 1;
		newline(ps, ps->p);
		if (len == 1 && start[0] == '.')
			break;
		if (len > 0 && start[0] == '.') { /* multiline-dotstart */
			start++;
			len--;
		}
		buf_append(&out, start, len);
		string_newline(&out);
		if (out.len > ps->set->max_string_size)
			return string_finish(ps, &out);
	}
	return string_finish(ps, &out);
}

/* Reads the next token into ps->tok. Returns 0 or -1. */
static int next_token(struct parser *ps)
{
	if (skip_space(ps) < 0)
		return -1;
	memset(&ps->tok, 0, sizeof(ps->tok));
	ps->tok.line = ps->line;
	ps->tok.column = column_of(ps, ps->p);
	if (ps->p >= ps->end) {
		ps->tok.type = TOKEN_EOF;
		return 0;
	}
	unsigned char c = *ps->p;
	if (c == '"')
		return read_quoted(ps);
	if (is_digit(c))
		return read_number(ps);
	if (c == ':') {
		ps->p++;
		if (ps->p >= ps->end || !is_alpha(*ps->p))
			return sieve_error_set(ps->error, ps->tok.line,
			                       ps->tok.column,
			                       "tag without a name");
		ps->tok.type = TOKEN_TAG;
		ps->tok.text = read_identifier(ps, &ps->tok.len);
		return 0;
	}
	if (is_alpha(c)) {
		if (ps->end - ps->p >= 5 &&
		    strncasecmp((const char *)ps->p, "text:", 5) == 0)
			return read_multiline(ps);
		ps->tok.type = TOKEN_IDENTIFIER;
		ps->tok.text = read_identifier(ps, &ps->tok.len);
		return 0;
	}
	if (strchr(";,[](){}", c) != NULL && c != '\0') {
		ps->p++;
		ps->tok.type = TOKEN_SPECIAL;
		ps->tok.special = (char)c;
		return 0;
	}
	if (c >= 0x20 && c < 0x7f)
		return sieve_error_set(ps->error, ps->tok.line, ps->tok.column,
		                       "unexpected character '%c'", c);
	return sieve_error_set(ps->error, ps->tok.line, ps->tok.column,
	                       "unexpected byte 0x%02x", c);
}

static bool is_special(const struct parser *ps, char c)
{
	return ps->tok.type == TOKEN_SPECIAL && ps->tok.special == c;
}

static const char *token_name(const struct token *tok)
{
	switch (tok->type) {
	case TOKEN_EOF:
		return "end of script";
	case TOKEN_IDENTIFIER:
		return "identifier";
	case TOKEN_TAG:
		return "tag";
	case TOKEN_NUMBER:
		return "number";
	case TOKEN_STRING:
		return "string";
	case TOKEN_SPECIAL:
		break;
	}
	static const char *const names[] = {";", ",", "[", "]",
	                                    "(", ")", "{", "}"};
	const char *at = strchr(";,[](){}", tok->special);
	return at != NULL ? names[at - ";,[](){}"] : "?";
}

static int unexpected(struct parser *ps, const char *want)
{
	return sieve_error_set(
	    ps->error, ps->tok.line, ps->tok.column, "expected %s, got %s",
	    want,
	    ps->tok.type == TOKEN_SPECIAL
	        ? pool_printf(ps->pool, "'%s'", token_name(&ps->tok))
	        : token_name(&ps->tok));
}

static struct sieve_string *string_of_token(struct parser *ps)
{
	struct sieve_string *s = pool_alloc(ps->pool, sizeof(*s));
	s->data = ps->tok.text;
	s->len = ps->tok.len;
	return s;
}

/* string-list = "[" string *("," string) "]" / string */
static int parse_string_list(struct parser *ps, struct sieve_value *v)
{
	unsigned cap = 4;
	v->type = SIEVE_VALUE_LIST;
	v->strings = pool_alloc(ps->pool, cap * sizeof(*v->strings));
	for (;;) {
		if (next_token(ps) < 0)
			return -1;
		if (ps->tok.type != TOKEN_STRING)
			return unexpected(ps, "string");
		if (v->count == ps->set->max_list_size)
			return sieve_error_set(ps->error, ps->tok.line,
			                       ps->tok.column,
			                       "list longer than %u strings",
			                       ps->set->max_list_size);
		if (v->count == cap) {
			struct sieve_string *more =
			    pool_alloc(ps->pool, 2 * cap * sizeof(*more));
			memcpy(more, v->strings, cap * sizeof(*more));
			v->strings = more;
			cap *= 2;
		}
		v->strings[v->count++] = *string_of_token(ps);
		if (next_token(ps) < 0)
			return -1;
		if (is_special(ps, ']'))
			return next_token(ps);
		if (!is_special(ps, ','))
			return unexpected(ps, "',' or ']'");
	}
}

/* argument = string-list / number / tag. Leaves the token after it. */
static int parse_argument(struct parser *ps, struct sieve_value *v)
{
	v->line = ps->tok.line;
	v->column = ps->tok.column;
	switch (ps->tok.type) {
	case TOKEN_TAG:
		v->type = SIEVE_VALUE_TAG;
		v->tag = ps->tok.text;
		return next_token(ps);
	case TOKEN_NUMBER:
		v->type = SIEVE_VALUE_NUMBER;
		v->number = ps->tok.number;
		return next_token(ps);
	case TOKEN_STRING:
		v->type = SIEVE_VALUE_STRING;
		v->strings = string_of_token(ps);
		v->count = 1;
		return next_token(ps);
	default:
		return parse_string_list(ps, v);
	}
}

static int parse_test(struct parser *ps, struct sieve_node **node_r);

static int enter(struct parser *ps)
{
	if (++ps->depth > ps->set->max_nesting)
		return sieve_error_set(ps->error, ps->tok.line, ps->tok.column,
		                       "nested deeper than %u",
		                       ps->set->max_nesting);
	return 0;
}

/* arguments = *argument [ test / test-list ]
 * test-list = "(" test *("," test) ")" */
static int parse_arguments(struct parser *ps, struct sieve_node *node)
{
	unsigned cap = 0;
	while (ps->tok.type == TOKEN_TAG || ps->tok.type == TOKEN_NUMBER ||
	       ps->tok.type == TOKEN_STRING || is_special(ps, '[')) {
		if (node->arg_count == cap) {
			unsigned ncap = cap == 0 ? 4 : cap * 2;
			struct sieve_value *more =
			    pool_alloc(ps->pool, ncap * sizeof(*more));
			if (cap > 0)
				memcpy(more, node->args, cap * sizeof(*more));
			node->args = more;
			cap = ncap;
		}
		if (node->arg_count >= 64)
			return sieve_error_set(ps->error, ps->tok.line,
			                       ps->tok.column,
			                       "too many arguments");
		if (parse_argument(ps, &node->args[node->arg_count++]) < 0)
			return -1;
	}
	if (ps->tok.type == TOKEN_IDENTIFIER) {
		node->tests = pool_alloc(ps->pool, sizeof(*node->tests));
		node->test_count = 1;
		return parse_test(ps, &node->tests[0]);
	}
	if (!is_special(ps, '('))
		return 0;
	cap = 4;
	node->tests = pool_alloc(ps->pool, cap * sizeof(*node->tests));
	if (enter(ps) < 0)
		return -1;
	for (;;) {
		if (next_token(ps) < 0)
			return -1;
		if (node->test_count == ps->set->max_list_size)
			return sieve_error_set(ps->error, ps->tok.line,
			                       ps->tok.column,
			                       "too many tests");
		if (node->test_count == cap) {
			struct sieve_node **more =
			    pool_alloc(ps->pool, 2 * cap * sizeof(*more));
			memcpy(more, node->tests, cap * sizeof(*more));
			node->tests = more;
			cap *= 2;
		}
		if (ps->tok.type != TOKEN_IDENTIFIER)
			return unexpected(ps, "test");
		if (parse_test(ps, &node->tests[node->test_count++]) < 0)
			return -1;
		if (is_special(ps, ')'))
			break;
		if (!is_special(ps, ','))
			return unexpected(ps, "',' or ')'");
	}
	ps->depth--;
	return next_token(ps);
}

static struct sieve_node *node_new(struct parser *ps)
{
	struct sieve_node *node = pool_alloc(ps->pool, sizeof(*node));
	node->name = ps->tok.text;
	node->line = ps->tok.line;
	node->column = ps->tok.column;
	return node;
}

/* test = identifier arguments */
static int parse_test(struct parser *ps, struct sieve_node **node_r)
{
	if (enter(ps) < 0)
		return -1;
	struct sieve_node *node = node_new(ps);
	*node_r = node;
	if (next_token(ps) < 0 || parse_arguments(ps, node) < 0)
		return -1;
	ps->depth--;
	return 0;
}

static int parse_commands(struct parser *ps, struct sieve_node **first_r,
                          bool is_block);

/* command = identifier arguments (";" / block); block = "{" commands "}" */
static int parse_command(struct parser *ps, struct sieve_node **node_r)
{
	struct sieve_node *node = node_new(ps);
	*node_r = node;
	if (next_token(ps) < 0 || parse_arguments(ps, node) < 0)
		return -1;
	if (is_special(ps, ';')) {
		node->end_offset = (size_t)(ps->p - ps->start);
		return next_token(ps);
	}
	if (!is_special(ps, '{'))
		return unexpected(ps, "';' or '{'");
	if (enter(ps) < 0 || next_token(ps) < 0)
		return -1;
	node->has_block = true;
	if (parse_commands(ps, &node->block, true) < 0)
		return -1;
	ps->depth--;
	node->end_offset = (size_t)(ps->p - ps->start);
	return next_token(ps); /* after '}' */
}

/* commands = *command; inside a block they end at "}" */
static int parse_commands(struct parser *ps, struct sieve_node **first_r,
                          bool is_block)
{
	struct sieve_node **tail = first_r;
	for (;;) {
		if (ps->tok.type == TOKEN_EOF) {
			if (is_block)
				return unexpected(ps, "'}'");
			return 0;
		}
		if (is_block && is_special(ps, '}'))
			return 0;
		if (ps->tok.type != TOKEN_IDENTIFIER)
			return unexpected(ps, "command");
		if (parse_command(ps, tail) < 0)
			return -1;
		tail = &(*tail)->next;
	}
}

int sieve_parse(const unsigned char *data, size_t size,
                const struct sieve_settings *settings, struct pool *pool,
                struct sieve_node **first_r, struct sieve_error *error_r)
{
	struct parser ps = {
	    .start = data,
	    .p = data,
	    .end = data + size,
	    .line = 1,
	    .line_start = data,
	    .set = settings,
	    .pool = pool,
	    .error = error_r,
	};
	*first_r = NULL;
	if (size > settings->max_script_size)
		return sieve_error_set(error_r, 1, 1,
		                       "script larger than %zu bytes",
		                       settings->max_script_size);
	if (next_token(&ps) < 0)
		return -1;
	return parse_commands(&ps, first_r, false);
}
