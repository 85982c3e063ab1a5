/* The POP3 client engine (pop3_client.h): one command at a time over a
 * blocking tls_stream. Status lines are "+OK"/"-ERR" (RFC 1939 §3), CAPA
 * lists capabilities (RFC 2449 §5), STLS upgrades (RFC 2595 §4), AUTH PLAIN
 * sends an initial response (RFC 5034 §4, RFC 4616 §2). Response codes in
 * brackets (RFC 2449 §8, RFC 3206) tell a refused login from a server
 * problem. Invariant: a command's multi-line answer is read to its end
 * even when its content is refused, so the session stays in step. */
#include "pop3/pop3_client.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/tls_stream.h"
#include "core/xmalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POP3_CLIENT_LINE_MAX 8192 /* status and list lines; RFC 2449 §4 */
#define POP3_CLIENT_DEFAULT_MAX_MESSAGE (64u * 1024 * 1024)

struct pop3_client {
	struct tls_stream *stream;
	size_t max_message;
	struct buf capa;  /* capability lines, each ending in '\n' */
	struct buf error; /* the last failure */
};

enum pop3_status {
	POP3_STATUS_FAIL = -1, /* connection problem: the error is set */
	POP3_STATUS_ERR = 0,   /* -ERR: the error holds its text */
	POP3_STATUS_OK = 1,
	POP3_STATUS_CONTINUE = 2, /* "+ " SASL challenge (RFC 5034 §4) */
};

struct pop3_client *pop3_client_new(struct tls_stream *stream,
                                    const struct pop3_client_settings *set)
{
	struct pop3_client *c = xcalloc(1, sizeof(*c));
	c->stream = stream;
	c->max_message = set != NULL && set->max_message != 0
	                     ? set->max_message
	                     : POP3_CLIENT_DEFAULT_MAX_MESSAGE;
	buf_init(&c->capa);
	buf_init(&c->error);
	return c;
}

void pop3_client_free(struct pop3_client **client)
{
	struct pop3_client *c = *client;
	if (c == NULL)
		return;
	tls_stream_free(&c->stream);
	buf_deinit(&c->capa);
	buf_deinit(&c->error);
	free(c);
	*client = NULL;
}

static const char *client_fail(struct pop3_client *c, const char *text)
{
	buf_truncate(&c->error, 0);
	buf_append_str(&c->error, text);
	return c->error.data;
}

/* Sends one command line (CRLF added) and flushes. Returns 0 or -1 with
 * the error set. */
static int client_send(struct pop3_client *c, const char *cmd)
{
	const char *error;
	if (tls_stream_write_str(c->stream, cmd, &error) < 0 ||
	    tls_stream_write_str(c->stream, "\r\n", &error) < 0 ||
	    tls_stream_flush(c->stream, &error) < 0) {
		client_fail(c, error);
		return -1;
	}
	return 0;
}

/* Reads a status line: "+OK [text]" or "-ERR [text]" (RFC 1939 §3). With
 * text_r, returns the text after "+OK " (valid until the next read). */
static enum pop3_status client_status(struct pop3_client *c,
                                      const char **text_r)
{
	const char *line, *error;
	size_t len;
	int ret = tls_stream_read_line(c->stream, POP3_CLIENT_LINE_MAX, &line,
	                               &len, &error);
	if (ret <= 0) {
		client_fail(c, ret < 0 ? error : "connection closed by server");
		return POP3_STATUS_FAIL;
	}
	if (strncasecmp(line, "+OK", 3) == 0 &&
	    (line[3] == '\0' || line[3] == ' ')) {
		if (text_r != NULL)
			*text_r = line[3] == ' ' ? line + 4 : "";
		return POP3_STATUS_OK;
	}
	if (strncasecmp(line, "-ERR", 4) == 0) {
		const char *text = line + 4;
		text += strspn(text, " ");
		client_fail(c, text[0] != '\0' ? text : "command refused");
		return POP3_STATUS_ERR;
	}
	if (line[0] == '+' && (line[1] == ' ' || line[1] == '\0')) {
		client_fail(c, "unexpected continuation from server");
		return POP3_STATUS_CONTINUE;
	}
	buf_truncate(&c->error, 0);
	buf_printf(&c->error, "unexpected reply from server: %.100s", line);
	return POP3_STATUS_FAIL;
}

/* Sends cmd and reads its status line. */
static enum pop3_status client_command(struct pop3_client *c, const char *cmd,
                                       const char **text_r)
{
	if (client_send(c, cmd) < 0)
		return POP3_STATUS_FAIL;
	return client_status(c, text_r);
}

typedef int client_line_cb(struct pop3_client *c, const char *line, size_t len,
                           void *ctx);

/* Reads the lines of a multi-line answer up to "." (RFC 1939 §3), undoing
 * dot-stuffing, with each line at most max bytes. A line the callback
 * refuses (-1, error set) does not stop the reading; the first refusal is
 * returned at the end. Returns 0, or -1 with the error set. */
static int client_multiline(struct pop3_client *c, size_t max,
                            client_line_cb *cb, void *ctx)
{
	const char *line, *error;
	size_t len;
	bool is_refused = false;
	for (;;) {
		int ret =
		    tls_stream_read_line(c->stream, max, &line, &len, &error);
		if (ret <= 0) {
			client_fail(c, ret < 0 ? error
			                       : "connection closed by server");
			return -1;
		}
		if (line[0] == '.') {
			if (len == 1)
				break;
			line++;
			len--;
		}
		if (!is_refused && cb(c, line, len, ctx) < 0)
			is_refused = true;
	}
	return is_refused ? -1 : 0;
}

int pop3_client_greeting(struct pop3_client *c, const char **error_r)
{
	if (client_status(c, NULL) != POP3_STATUS_OK) {
		*error_r = c->error.data;
		return -1;
	}
	return 0;
}

static int capa_line_cb(struct pop3_client *c, const char *line, size_t len,
                        void *ctx)
{
	(void)ctx;
	buf_append(&c->capa, line, len);
	buf_append_char(&c->capa, '\n');
	return 0;
}

int pop3_client_capa(struct pop3_client *c, const char **error_r)
{
	buf_truncate(&c->capa, 0);
	enum pop3_status st = client_command(c, "CAPA", NULL);
	if (st == POP3_STATUS_ERR)
		return 0; /* RFC 1939 server: no capabilities known */
	if (st == POP3_STATUS_OK &&
	    client_multiline(c, POP3_CLIENT_LINE_MAX, capa_line_cb, NULL) == 0)
		return 0;
	*error_r = c->error.data;
	return -1;
}

/* Is word (len bytes) one of the space-separated words of list? */
static bool words_have(const char *list, size_t list_len, const char *word,
                       size_t len)
{
	const char *end = list + list_len;
	while (list < end) {
		while (list < end && *list == ' ')
			list++;
		const char *w = list;
		while (list < end && *list != ' ')
			list++;
		if ((size_t)(list - w) == len && strncasecmp(w, word, len) == 0)
			return true;
	}
	return false;
}

/* Does the capability line (keyword and arguments) offer cap? cap's
 * first word must be the keyword and its other words among the
 * arguments, so "SASL PLAIN" matches "SASL PLAIN LOGIN". */
static bool capa_line_has(const char *line, size_t len, const char *cap)
{
	size_t kw_len = strcspn(line, " \n");
	size_t cap_kw_len = strcspn(cap, " ");
	if (kw_len != cap_kw_len || strncasecmp(line, cap, kw_len) != 0)
		return false;
	const char *args = line + kw_len;
	size_t args_len = len - kw_len;
	const char *p = cap + cap_kw_len;
	while (*p != '\0') {
		p += strspn(p, " ");
		size_t wlen = strcspn(p, " ");
		if (wlen > 0 && !words_have(args, args_len, p, wlen))
			return false;
		p += wlen;
	}
	return true;
}

bool pop3_client_has(const struct pop3_client *c, const char *cap)
{
	const char *p = c->capa.data;
	const char *end = p + c->capa.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p);
		if (capa_line_has(p, len, cap))
			return true;
		p = nl + 1;
	}
	return false;
}

int pop3_client_stls(struct pop3_client *c, const char **error_r)
{
	const char *error;
	if (client_command(c, "STLS", NULL) != POP3_STATUS_OK) {
		*error_r = c->error.data;
		return -1;
	}
	if (tls_stream_starttls(c->stream, &error) < 0) {
		*error_r = client_fail(c, error);
		return -1;
	}
	/* RFC 2595 §4: forget what was learnt before TLS. */
	return pop3_client_capa(c, error_r);
}

/* RFC 2449 §8, RFC 3206: [SYS/TEMP], [SYS/PERM] and [IN-USE] are server
 * problems; [AUTH] or no code means the credentials were refused. */
static bool error_is_refusal(const char *text)
{
	return strncasecmp(text, "[SYS/", 5) != 0 &&
	       strncasecmp(text, "[IN-USE]", 8) != 0;
}

/* AUTH PLAIN with an initial response (RFC 5034 §4): authzid empty,
 * authcid user, then the password (RFC 4616 §2). */
static enum pop3_status login_plain(struct pop3_client *c, const char *user,
                                    const char *password)
{
	struct buf plain, cmd;
	buf_init(&plain);
	buf_init(&cmd);
	buf_append_char(&plain, '\0');
	buf_append_str(&plain, user);
	buf_append_char(&plain, '\0');
	buf_append_str(&plain, password);
	buf_append_str(&cmd, "AUTH PLAIN ");
	base64_encode(plain.data, plain.len, &cmd);
	enum pop3_status st = POP3_STATUS_FAIL;
	if (client_send(c, cmd.data) == 0) {
		st = client_status(c, NULL);
		if (st == POP3_STATUS_CONTINUE) {
			/* The initial response was not taken: cancel. */
			if (client_send(c, "*") == 0)
				(void)client_status(c, NULL);
			client_fail(c, "server did not take AUTH PLAIN with "
			               "an initial response");
			st = POP3_STATUS_FAIL;
		}
	}
	explicit_bzero(plain.data, plain.len);
	explicit_bzero(cmd.data, cmd.len);
	buf_deinit(&plain);
	buf_deinit(&cmd);
	return st;
}

/* USER then PASS (RFC 1939 §7). */
static enum pop3_status login_user_pass(struct pop3_client *c, const char *user,
                                        const char *password)
{
	struct buf cmd;
	buf_init(&cmd);
	buf_printf(&cmd, "USER %s", user);
	enum pop3_status st = client_command(c, cmd.data, NULL);
	if (st == POP3_STATUS_OK) {
		buf_truncate(&cmd, 0);
		buf_printf(&cmd, "PASS %s", password);
		st = client_command(c, cmd.data, NULL);
		explicit_bzero(cmd.data, cmd.len);
	}
	buf_deinit(&cmd);
	return st;
}

int pop3_client_login(struct pop3_client *c, const char *user,
                      const char *password, bool *is_refused_r,
                      const char **error_r)
{
	*is_refused_r = false;
	if (strpbrk(user, "\r\n") != NULL ||
	    strpbrk(password, "\r\n") != NULL) {
		*error_r = client_fail(c, "user name or password holds a "
		                          "line break");
		return -1;
	}
	enum pop3_status st = pop3_client_has(c, "SASL PLAIN")
	                          ? login_plain(c, user, password)
	                          : login_user_pass(c, user, password);
	if (st == POP3_STATUS_OK)
		return 0;
	if (st == POP3_STATUS_ERR)
		*is_refused_r = error_is_refusal(c->error.data);
	*error_r = c->error.data;
	return -1;
}

/* Parses "<number> <rest>" as in STAT, LIST and UIDL answers (RFC 1939
 * §5, §7). Returns 0 with the number and *rest_r, or -1. */
static int parse_number(const char *str, uint64_t *num_r, const char **rest_r)
{
	if (str[0] < '0' || str[0] > '9')
		return -1;
	uint64_t n = 0;
	for (; *str >= '0' && *str <= '9'; str++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*str - '0');
	}
	if (*str != ' ' && *str != '\0')
		return -1;
	*num_r = n;
	*rest_r = str + strspn(str, " ");
	return 0;
}

/* Parses "<msgno> <number>" (STAT, LIST). */
static int parse_two_numbers(const char *str, uint64_t *a_r, uint64_t *b_r)
{
	const char *rest;
	if (parse_number(str, a_r, &rest) < 0 ||
	    parse_number(rest, b_r, &rest) < 0)
		return -1;
	return 0;
}

int pop3_client_stat(struct pop3_client *c, unsigned *count_r, uint64_t *size_r,
                     const char **error_r)
{
	const char *text;
	uint64_t count;
	if (client_command(c, "STAT", &text) != POP3_STATUS_OK) {
		*error_r = c->error.data;
		return -1;
	}
	if (parse_two_numbers(text, &count, size_r) < 0 || count > UINT32_MAX) {
		*error_r = client_fail(c, "malformed STAT answer");
		return -1;
	}
	*count_r = (unsigned)count;
	return 0;
}

struct uidl_ctx {
	pop3_client_uidl_cb *cb;
	void *ctx;
};

/* unique-id = 1*70 %x21-7E (RFC 1939 §7 UIDL) */
static bool uidl_is_valid(const char *uidl)
{
	size_t len = strlen(uidl);
	if (len == 0 || len > 70)
		return false;
	for (; *uidl != '\0'; uidl++) {
		if (*uidl < 0x21 || *uidl > 0x7e)
			return false;
	}
	return true;
}

static int uidl_line_cb(struct pop3_client *c, const char *line, size_t len,
                        void *context)
{
	struct uidl_ctx *ctx = context;
	uint64_t msgno;
	const char *uidl;
	(void)len;
	if (parse_number(line, &msgno, &uidl) < 0 || msgno == 0 ||
	    msgno > UINT32_MAX || !uidl_is_valid(uidl)) {
		client_fail(c, "malformed UIDL answer");
		return -1;
	}
	ctx->cb((unsigned)msgno, uidl, ctx->ctx);
	return 0;
}

int pop3_client_uidl(struct pop3_client *c, pop3_client_uidl_cb *cb, void *ctx,
                     const char **error_r)
{
	struct uidl_ctx uctx = {.cb = cb, .ctx = ctx};
	if (client_command(c, "UIDL", NULL) != POP3_STATUS_OK ||
	    client_multiline(c, POP3_CLIENT_LINE_MAX, uidl_line_cb, &uctx) <
	        0) {
		*error_r = c->error.data;
		return -1;
	}
	return 0;
}

struct list_ctx {
	pop3_client_list_cb *cb;
	void *ctx;
};

static int list_line_cb(struct pop3_client *c, const char *line, size_t len,
                        void *context)
{
	struct list_ctx *ctx = context;
	uint64_t msgno, size;
	(void)len;
	if (parse_two_numbers(line, &msgno, &size) < 0 || msgno == 0 ||
	    msgno > UINT32_MAX) {
		client_fail(c, "malformed LIST answer");
		return -1;
	}
	ctx->cb((unsigned)msgno, size, ctx->ctx);
	return 0;
}

int pop3_client_list(struct pop3_client *c, pop3_client_list_cb *cb, void *ctx,
                     const char **error_r)
{
	struct list_ctx lctx = {.cb = cb, .ctx = ctx};
	if (client_command(c, "LIST", NULL) != POP3_STATUS_OK ||
	    client_multiline(c, POP3_CLIENT_LINE_MAX, list_line_cb, &lctx) <
	        0) {
		*error_r = c->error.data;
		return -1;
	}
	return 0;
}

struct retr_ctx {
	struct buf *out;
	size_t start;
	size_t max;
};

static int retr_line_cb(struct pop3_client *c, const char *line, size_t len,
                        void *context)
{
	struct retr_ctx *ctx = context;
	if (ctx->out->len - ctx->start + len + 2 > ctx->max) {
		buf_truncate(&c->error, 0);
		buf_printf(&c->error, "message is larger than %zu bytes",
		           ctx->max);
		buf_truncate(ctx->out, ctx->start);
		return -1;
	}
	buf_append(ctx->out, line, len);
	buf_append(ctx->out, "\r\n", 2);
	return 0;
}

int pop3_client_retr(struct pop3_client *c, unsigned msgno, struct buf *out,
                     const char **error_r)
{
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "RETR %u", msgno);
	struct retr_ctx rctx = {
	    .out = out, .start = out->len, .max = c->max_message};
	/* A line may be as long as the whole message may be. */
	if (client_command(c, cmd, NULL) != POP3_STATUS_OK ||
	    client_multiline(c, c->max_message, retr_line_cb, &rctx) < 0) {
		buf_truncate(out, rctx.start);
		*error_r = c->error.data;
		return -1;
	}
	return 0;
}

int pop3_client_dele(struct pop3_client *c, unsigned msgno,
                     const char **error_r)
{
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "DELE %u", msgno);
	if (client_command(c, cmd, NULL) != POP3_STATUS_OK) {
		*error_r = c->error.data;
		return -1;
	}
	return 0;
}

int pop3_client_quit(struct pop3_client **client, const char **error_r)
{
	static char error[TLS_STREAM_ERROR_MAX];
	struct pop3_client *c = *client;
	int ret = 0;
	if (client_command(c, "QUIT", NULL) != POP3_STATUS_OK) {
		/* The client is freed below: keep the text elsewhere. */
		snprintf(error, sizeof(error), "%s", c->error.data);
		*error_r = error;
		ret = -1;
	}
	pop3_client_free(client);
	return ret;
}
