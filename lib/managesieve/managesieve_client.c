/* The ManageSieve client (managesieve_client.h). A response is read as a
 * list of tokens: atoms, a response code in parentheses, and strings,
 * quoted or literal (RFC 5804 §4); a literal's octets are read at once and
 * the line goes on after them. Lines whose first token is OK, NO or BYE
 * end a command; the others (capabilities, script names, a script) are
 * the command's data. */
#include "managesieve/managesieve_client.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES 8192
#define TOKENS_MAX 16
#define CAPS_MAX 32

enum tok_type { TOK_ATOM, TOK_STRING, TOK_CODE };

struct tok {
	enum tok_type type;
	const char *str; /* NUL-terminated; a literal may hold NULs */
	size_t len;
};

struct managesieve_client {
	struct tls_stream *stream;
	struct managesieve_client_settings set;
	struct pool *pool; /* the current command's strings */
	char *cap_names[CAPS_MAX], *cap_values[CAPS_MAX];
	size_t cap_count;
	const char *code; /* the last response's code, from pool */
	bool is_broken;
};

struct managesieve_client *
managesieve_client_new(struct tls_stream *stream,
                       const struct managesieve_client_settings *set)
{
	struct managesieve_client *c = xcalloc(1, sizeof(*c));
	c->stream = stream;
	if (set != NULL)
		c->set = *set;
	if (c->set.max_literal == 0)
		c->set.max_literal = 1024 * 1024;
	c->pool = pool_new();
	return c;
}

static void caps_clear(struct managesieve_client *c)
{
	for (size_t i = 0; i < c->cap_count; i++) {
		free(c->cap_names[i]);
		free(c->cap_values[i]);
	}
	c->cap_count = 0;
}

void managesieve_client_free(struct managesieve_client **client)
{
	struct managesieve_client *c = *client;
	if (c == NULL)
		return;
	caps_clear(c);
	pool_free(&c->pool);
	free(c);
	*client = NULL;
}

static int fail(struct managesieve_client *c, const char **error_r,
                const char *error)
{
	c->is_broken = true;
	*error_r = error;
	return -1;
}

/* A quoted string from p (at the opening quote) into *tok; returns the
 * byte after the closing quote, or NULL when it does not close. */
static const char *read_quoted(struct managesieve_client *c, const char *p,
                               const char *end, struct tok *tok)
{
	struct buf b;
	buf_init(&b);
	for (p++; p < end && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		buf_append_char(&b, *p);
	}
	if (p < end) {
		tok->type = TOK_STRING;
		tok->len = b.len;
		tok->str = pool_strndup(c->pool, b.len > 0 ? b.data : "", b.len);
	}
	buf_deinit(&b);
	return p < end ? p + 1 : NULL;
}

/* "{" number ["+"] "}" at the end of the line, then its octets. Returns
 * 0 or -1. */
static int read_literal(struct managesieve_client *c, const char *p,
                        const char *end, struct tok *tok, const char **error_r)
{
	char *num_end;
	unsigned long long n = strtoull(p + 1, &num_end, 10);
	if (num_end != p + 1 && *num_end == '+')
		num_end++;
	if (num_end == p + 1 || !(p[1] >= '0' && p[1] <= '9') ||
	    num_end + 1 != end || *num_end != '}')
		return fail(c, error_r, "bad literal from the server");
	if (n > c->set.max_literal)
		return fail(c, error_r, "literal from the server too large");
	struct buf b;
	buf_init(&b);
	if (tls_stream_read_exact(c->stream, n, &b, error_r) < 0) {
		buf_deinit(&b);
		c->is_broken = true;
		return -1;
	}
	char *s = pool_alloc(c->pool, n + 1);
	if (n > 0)
		memcpy(s, b.data, n);
	s[n] = '\0';
	buf_deinit(&b);
	tok->type = TOK_STRING;
	tok->str = s;
	tok->len = n;
	return 0;
}

/* One token at p; returns the byte after it, or NULL (*error_r). Sets
 * *is_literal when it was a literal (the line continues after it). */
static const char *read_token(struct managesieve_client *c, const char *p,
                              const char *end, struct tok *tok,
                              bool *is_literal, const char **error_r)
{
	if (*p == '"') {
		const char *next = read_quoted(c, p, end, tok);
		if (next == NULL)
			fail(c, error_r, "unterminated string from the server");
		return next;
	}
	if (*p == '{') {
		*is_literal = true;
		return read_literal(c, p, end, tok, error_r) < 0 ? NULL : end;
	}
	const char *start = p;
	if (*p == '(') {
		/* a code's own strings are kept as its text */
		bool in_quote = false;
		for (p++; p < end && (in_quote || *p != ')'); p++)
			if (*p == '"' && p[-1] != '\\')
				in_quote = !in_quote;
		if (p == end) {
			fail(c, error_r, "unterminated response code");
			return NULL;
		}
		tok->type = TOK_CODE;
		tok->str = pool_strndup(c->pool, start + 1, p - start - 1);
		tok->len = p - start - 1;
		return p + 1;
	}
	while (p < end && *p != ' ' && *p != '"' && *p != '{' && *p != '(')
		p++;
	tok->type = TOK_ATOM;
	tok->str = pool_strndup(c->pool, start, p - start);
	tok->len = p - start;
	return p;
}

/* One response line with its literals into toks. Returns 0 or -1. */
static int read_line(struct managesieve_client *c, struct tok *toks,
                     size_t *count_r, const char **error_r)
{
	size_t count = 0;
	bool is_literal = true;
	while (is_literal) {
		const char *line;
		size_t len;
		int ret = tls_stream_read_line(c->stream, LINE_MAX_BYTES, &line,
		                               &len, error_r);
		if (ret <= 0)
			return fail(c, error_r, ret == 0 ? "connection closed"
			                                 : *error_r);
		char *copy = pool_strndup(c->pool, line, len);
		const char *p = copy, *end = copy + len;
		is_literal = false;
		while (p != NULL && p < end) {
			if (*p == ' ') {
				p++;
				continue;
			}
			if (count == TOKENS_MAX)
				return fail(c, error_r,
				            "too many tokens from the server");
			p = read_token(c, p, end, &toks[count++], &is_literal,
			               error_r);
		}
		if (p == NULL)
			return -1;
	}
	*count_r = count;
	return 0;
}

static bool tok_is(const struct tok *t, const char *atom)
{
	return t->type == TOK_ATOM && strcasecmp(t->str, atom) == 0;
}

typedef int data_fn(struct managesieve_client *c, const struct tok *toks,
                    size_t count, void *ctx, const char **error_r);

/* Reads data lines (each given to fn, which may be NULL) up to OK, NO or
 * BYE. Returns 0, 1 or -1 as the commands do. */
static int read_response(struct managesieve_client *c, data_fn *fn, void *ctx,
                         const char **error_r)
{
	for (;;) {
		struct tok toks[TOKENS_MAX];
		size_t count;
		if (read_line(c, toks, &count, error_r) < 0)
			return -1;
		if (count == 0)
			continue; /* the CRLF after GETSCRIPT's literal */
		bool is_ok = tok_is(&toks[0], "OK"), is_no = tok_is(&toks[0], "NO");
		bool is_bye = tok_is(&toks[0], "BYE");
		if (!is_ok && !is_no && !is_bye) {
			if (fn != NULL && fn(c, toks, count, ctx, error_r) < 0)
				return fail(c, error_r, *error_r);
			continue;
		}
		size_t i = 1;
		c->code = NULL;
		if (i < count && toks[i].type == TOK_CODE)
			c->code = toks[i++].str;
		const char *text = i < count && toks[i].type == TOK_STRING
		                       ? toks[i].str : NULL;
		if (is_ok)
			return 0;
		*error_r = text != NULL ? text
		         : c->code != NULL ? c->code : is_no ? "refused"
		                                             : "server hung up";
		if (is_bye)
			c->is_broken = true;
		return is_no ? 1 : -1;
	}
}

/* Appends a string argument: quoted when it may be, else {n+}. */
static void put_string(struct buf *out, const void *data, size_t len,
                       bool is_literal)
{
	const unsigned char *s = data;
	for (size_t i = 0; i < len && !is_literal; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			is_literal = true;
	if (!is_literal && len <= 1024) {
		buf_append_char(out, '"');
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				buf_append_char(out, '\\');
			buf_append_char(out, (char)s[i]);
		}
		buf_append_char(out, '"');
		return;
	}
	buf_printf(out, "{%zu+}\r\n", len);
	buf_append(out, data, len);
}

/* Sends cmd (a whole command with CRLF) and reads its response. */
static int command(struct managesieve_client *c, struct buf *cmd, data_fn *fn,
                   void *ctx, const char **error_r)
{
	pool_clear(c->pool);
	c->code = NULL;
	if (c->is_broken) {
		buf_deinit(cmd);
		*error_r = "connection lost";
		return -1;
	}
	int ret = tls_stream_write(c->stream, cmd->data, cmd->len, error_r);
	buf_deinit(cmd);
	if (ret < 0 || tls_stream_flush(c->stream, error_r) < 0)
		return fail(c, error_r, *error_r);
	return read_response(c, fn, ctx, error_r);
}

/* COMMAND [SP string] CRLF */
static int simple(struct managesieve_client *c, const char *name,
                  const char *arg, data_fn *fn, void *ctx,
                  const char **error_r)
{
	struct buf cmd;
	buf_init(&cmd);
	buf_append_str(&cmd, name);
	if (arg != NULL) {
		buf_append_char(&cmd, ' ');
		put_string(&cmd, arg, strlen(arg), false);
	}
	buf_append_str(&cmd, "\r\n");
	return command(c, &cmd, fn, ctx, error_r);
}

static int cap_line(struct managesieve_client *c, const struct tok *toks,
                    size_t count, void *ctx, const char **error_r)
{
	(void)ctx;
	if (toks[0].type != TOK_STRING) {
		*error_r = "bad capability line from the server";
		return -1;
	}
	if (c->cap_count == CAPS_MAX)
		return 0;
	c->cap_names[c->cap_count] = xstrdup(toks[0].str);
	c->cap_values[c->cap_count++] =
	    xstrdup(count > 1 && toks[1].type == TOK_STRING ? toks[1].str : "");
	return 0;
}

int managesieve_client_greeting(struct managesieve_client *c,
                                const char **error_r)
{
	pool_clear(c->pool);
	caps_clear(c);
	int ret = read_response(c, cap_line, NULL, error_r);
	return ret == 1 ? fail(c, error_r, *error_r) : ret;
}

const char *managesieve_client_capability(const struct managesieve_client *c,
                                          const char *name)
{
	for (size_t i = 0; i < c->cap_count; i++)
		if (strcasecmp(c->cap_names[i], name) == 0)
			return c->cap_values[i];
	return NULL;
}

int managesieve_client_starttls(struct managesieve_client *c,
                                const char **error_r)
{
	int ret = simple(c, "STARTTLS", NULL, NULL, NULL, error_r);
	if (ret != 0)
		return ret;
	if (tls_stream_starttls(c->stream, error_r) < 0)
		return fail(c, error_r, *error_r);
	/* RFC 5804 §2.2: the capabilities come again, unasked */
	return managesieve_client_greeting(c, error_r);
}

int managesieve_client_login(struct managesieve_client *c, const char *user,
                             const char *password, const char **error_r)
{
	struct buf plain, cmd;
	buf_init(&plain);
	buf_init(&cmd);
	/* RFC 4616: authzid NUL authcid NUL passwd, the authzid empty */
	buf_append_char(&plain, '\0');
	buf_append(&plain, user, strlen(user));
	buf_append_char(&plain, '\0');
	buf_append(&plain, password, strlen(password));
	buf_append_str(&cmd, "AUTHENTICATE \"PLAIN\" \"");
	base64_encode(plain.data, plain.len, &cmd);
	buf_append_str(&cmd, "\"\r\n");
	memset(plain.data, 0, plain.len);
	buf_deinit(&plain);
	int ret = command(c, &cmd, NULL, NULL, error_r);
	return ret;
}

struct list_ctx {
	struct pool *pool;
	struct managesieve_script *scripts;
	size_t count, alloc;
};

static int list_line(struct managesieve_client *c, const struct tok *toks,
                     size_t count, void *ctx, const char **error_r)
{
	struct list_ctx *l = ctx;
	(void)c;
	if (toks[0].type != TOK_STRING || strlen(toks[0].str) != toks[0].len) {
		*error_r = "bad script name from the server";
		return -1;
	}
	if (l->count == l->alloc) {
		l->alloc = l->alloc == 0 ? 8 : l->alloc * 2;
		struct managesieve_script *n =
		    pool_alloc(l->pool, l->alloc * sizeof(*n));
		if (l->count > 0)
			memcpy(n, l->scripts, l->count * sizeof(*n));
		l->scripts = n;
	}
	l->scripts[l->count].name = pool_strdup(l->pool, toks[0].str);
	l->scripts[l->count++].is_active = count > 1 &&
	                                   tok_is(&toks[1], "ACTIVE");
	return 0;
}

int managesieve_client_listscripts(struct managesieve_client *c,
                                   struct pool *pool,
                                   struct managesieve_script **scripts_r,
                                   size_t *count_r, const char **error_r)
{
	struct list_ctx l = { .pool = pool };
	int ret = simple(c, "LISTSCRIPTS", NULL, list_line, &l, error_r);
	*scripts_r = l.scripts;
	*count_r = l.count;
	return ret;
}

struct get_ctx {
	struct buf *out;
	bool is_done;
};

static int get_line(struct managesieve_client *c, const struct tok *toks,
                    size_t count, void *ctx, const char **error_r)
{
	struct get_ctx *g = ctx;
	(void)c;
	if (g->is_done || count != 1 || toks[0].type != TOK_STRING) {
		*error_r = "bad GETSCRIPT response from the server";
		return -1;
	}
	buf_append(g->out, toks[0].str, toks[0].len);
	g->is_done = true;
	return 0;
}

int managesieve_client_getscript(struct managesieve_client *c,
                                 const char *name, struct buf *out,
                                 const char **error_r)
{
	struct get_ctx g = { .out = out };
	int ret = simple(c, "GETSCRIPT", name, get_line, &g, error_r);
	if (ret == 0 && !g.is_done)
		return fail(c, error_r, "GETSCRIPT gave no script");
	return ret;
}

int managesieve_client_putscript(struct managesieve_client *c,
                                 const char *name, const void *data,
                                 size_t size, const char **error_r)
{
	struct buf cmd;
	buf_init(&cmd);
	buf_append_str(&cmd, "PUTSCRIPT ");
	put_string(&cmd, name, strlen(name), false);
	buf_append_char(&cmd, ' ');
	put_string(&cmd, data, size, true);
	buf_append_str(&cmd, "\r\n");
	return command(c, &cmd, NULL, NULL, error_r);
}

int managesieve_client_checkscript(struct managesieve_client *c,
                                   const void *data, size_t size,
                                   const char **error_r)
{
	struct buf cmd;
	buf_init(&cmd);
	buf_append_str(&cmd, "CHECKSCRIPT ");
	put_string(&cmd, data, size, true);
	buf_append_str(&cmd, "\r\n");
	return command(c, &cmd, NULL, NULL, error_r);
}

int managesieve_client_setactive(struct managesieve_client *c,
                                 const char *name, const char **error_r)
{
	return simple(c, "SETACTIVE", name, NULL, NULL, error_r);
}

int managesieve_client_deletescript(struct managesieve_client *c,
                                    const char *name, const char **error_r)
{
	return simple(c, "DELETESCRIPT", name, NULL, NULL, error_r);
}

void managesieve_client_logout(struct managesieve_client *c)
{
	const char *error;
	(void)simple(c, "LOGOUT", NULL, NULL, NULL, &error);
}

const char *managesieve_client_last_code(const struct managesieve_client *c)
{
	return c->code;
}
