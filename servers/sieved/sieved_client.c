/* sieved connections: accepting under the per-process and per-IP limits
 * (when the process is full, the oldest session not logged in makes
 * room), the greeting with the capabilities (RFC 5804 §1.7), reading
 * commands with their literals through lib/managesieve and dispatching
 * them from the command table by state, the error count, the idle
 * timeout, the deadlines no byte moves (connect to login, one command
 * with its literals) and the graceful stop. */
#include "sieved.h"
#include "auth/auth_client.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/xmalloc.h"
#include "store/store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CMD_NOT_AUTH (1u << 0) /* allowed before login */
#define CMD_AUTH (1u << 1)     /* allowed after login */
/* Before login no literal needs more than an AUTHENTICATE response. */
#define SIEVED_LITERAL_MAX_NOT_AUTH 8192

struct sieved_cmd_def {
	const char *name;
	sieved_cmd_func *func;
	unsigned flags;
};

static const struct sieved_cmd_def sieved_commands[] = {
    {"AUTHENTICATE", cmd_authenticate, CMD_NOT_AUTH},
    {"STARTTLS", cmd_starttls, CMD_NOT_AUTH},
    {"CAPABILITY", cmd_capability, CMD_NOT_AUTH | CMD_AUTH},
    {"LOGOUT", cmd_logout, CMD_NOT_AUTH | CMD_AUTH},
    {"NOOP", cmd_noop, CMD_NOT_AUTH | CMD_AUTH},
    {"UNAUTHENTICATE", cmd_unauthenticate, CMD_AUTH},
    {"HAVESPACE", cmd_havespace, CMD_AUTH},
    {"PUTSCRIPT", cmd_putscript, CMD_AUTH},
    {"CHECKSCRIPT", cmd_checkscript, CMD_AUTH},
    {"LISTSCRIPTS", cmd_listscripts, CMD_AUTH},
    {"SETACTIVE", cmd_setactive, CMD_AUTH},
    {"GETSCRIPT", cmd_getscript, CMD_AUTH},
    {"DELETESCRIPT", cmd_deletescript, CMD_AUTH},
    {"RENAMESCRIPT", cmd_renamescript, CMD_AUTH},
};

static void client_input_cb(struct conn *conn, void *ctx);
static void client_timeout_cb(struct conn *conn, void *ctx);
static void client_closed_cb(struct conn *conn, enum conn_status status,
                             void *ctx);
static void client_tls_done_cb(struct conn *conn, void *ctx);

static const struct conn_callbacks client_conn_callbacks = {
    .input = client_input_cb,
    .timeout = client_timeout_cb,
    .closed = client_closed_cb,
    /* a server's TLS handshake after STARTTLS is done (conn.h) */
    .connected = client_tls_done_cb,
};

void sieved_client_flush(struct sieved_client *c)
{
	if (c->out.len > 0)
		conn_write(c->conn, c->out.data, c->out.len);
	buf_truncate(&c->out, 0);
}

static void client_reply(struct sieved_client *c, enum managesieve_status st,
                         const char *code, const char *fmt, va_list ap)
{
	struct buf text;
	buf_init(&text);
	buf_vprintf(&text, fmt, ap);
	managesieve_reply(&c->out, st, code, text.data);
	buf_deinit(&text);
	sieved_client_flush(c);
}

void sieved_client_ok(struct sieved_client *c, const char *code,
                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	client_reply(c, MANAGESIEVE_OK, code, fmt, ap);
	va_end(ap);
}

void sieved_client_no(struct sieved_client *c, const char *code,
                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	client_reply(c, MANAGESIEVE_NO, code, fmt, ap);
	va_end(ap);
}

void sieved_client_bye(struct sieved_client *c, const char *code,
                       const char *text, const char *reason)
{
	if (conn_is_closing(c->conn))
		return;
	managesieve_reply(&c->out, MANAGESIEVE_BYE, code, text);
	sieved_client_flush(c);
	if (c->close_reason == NULL)
		c->close_reason = reason;
	conn_close_after_flush(c->conn);
}

void sieved_client_bad(struct sieved_client *c, const char *text)
{
	managesieve_reply(&c->out, MANAGESIEVE_NO, NULL, text);
	sieved_client_flush(c);
	if (++c->errors >= SIEVED_MAX_ERRORS)
		sieved_client_bye(c, NULL, "Too many errors",
		                  "too many errors");
}

bool sieved_client_can_auth(const struct sieved_client *c)
{
	return conn_is_tls(c->conn) ||
	       (c->sieved->set.plaintext_auth_loopback && c->is_loopback);
}

void sieved_client_capabilities(struct sieved_client *c)
{
	const struct sieved *s = c->sieved;
	bool is_auth = c->state == SIEVED_STATE_AUTH;
	const struct managesieve_capabilities caps = {
	    .implementation = "Postroom",
	    .sasl = !is_auth && sieved_client_can_auth(c) ? "PLAIN LOGIN" : "",
	    .sieve = sieve_capabilities(),
	    .has_starttls = !is_auth && s->tls != NULL && !conn_is_tls(c->conn),
	    .max_redirects = s->set.deliver.sieve_max_redirects,
	    .notify = "mailto",
	    .owner = is_auth ? c->user : NULL,
	    .has_unauthenticate = true,
	};
	managesieve_capabilities_append(&c->out, &caps);
}

static void client_parser_new(struct sieved_client *c)
{
	const struct managesieve_parser_settings ps = {
	    .max_line = SIEVED_MAX_LINE,
	    .max_literal = c->state == SIEVED_STATE_AUTH
	                       ? (size_t)c->sieved->set.sieved.max_script_size
	                       : SIEVED_LITERAL_MAX_NOT_AUTH,
	    .max_tokens = 8,
	};
	managesieve_parser_free(&c->parser);
	c->parser = managesieve_parser_new(&ps);
}

/* Not logged in and no password check running: may make room. */
static bool client_can_evict(void *ctx)
{
	struct sieved_client *c = ctx;
	return c->state == SIEVED_STATE_NOT_AUTH && !c->is_auth_waiting;
}

static void client_evict(void *ctx)
{
	struct sieved_client *c = ctx;
	sieved_client_bye(c, "TRYLATER",
	                  "Too many connections, try again later", "evicted");
	service_slot_remove(c->sieved->service, &c->slot);
}

static const struct service_slot_callbacks client_slot_callbacks = {
    .can_evict = client_can_evict,
    .evict = client_evict,
};

void sieved_client_accept(struct sieved *s, int fd, const struct sockaddr *addr)
{
	struct sieved_client *c = xcalloc(1, sizeof(*c));
	c->sieved = s;
	c->id = ++s->next_id;
	net_addr_str(addr, c->addr);
	c->is_loopback = net_addr_is_loopback(addr);
	c->cmd_pool = pool_new();
	buf_init(&c->out);
	client_parser_new(c);
	log_init(&c->log, "conn=%u peer=%s", c->id, c->addr);
	c->next = s->clients;
	if (c->next != NULL)
		c->next->prev = c;
	s->clients = c;
	struct conn_settings cs = {
	    .handshake_timeout = s->set.tls_handshake_timeout,
	};
	c->conn = conn_new(s->loop, fd, NULL, &cs, &client_conn_callbacks, c);
	conn_set_timeout(c->conn, s->set.sieved.idle_timeout);
	conn_set_line_timeout(c->conn, s->set.sieved.line_timeout);
	conn_set_deadline(c->conn, s->set.sieved.login_timeout);
	log_info(&c->log, "connect service=sieve");
	const char *error;
	if (service_is_stopping(s->service)) {
		sieved_client_bye(c, "TRYLATER", "Server shutting down",
		                  "shutdown");
		return;
	}
	if (service_slot_add(s->service, c->addr, &client_slot_callbacks, c,
	                     &c->slot, &error) < 0) {
		sieved_client_bye(c, "TRYLATER",
		                  strcmp(error, "too many connections") == 0
		                      ? "Too many connections, try again later"
		                      : "Too many connections from your "
		                        "address, try again later",
		                  error);
		return;
	}
	sieved_client_capabilities(c);
	sieved_client_ok(c, NULL, "Postroom ManageSieve ready");
}

static void client_free(struct sieved_client *c)
{
	struct sieved *s = c->sieved;
	log_info(&c->log, "disconnect reason=%s commands=%u",
	         log_sanitize(c->close_reason, 100), c->commands);
	cmd_auth_logout(c);
	auth_request_free(&c->auth_req);
	event_timer_free(&c->auth_timer);
	conn_free(&c->conn);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	service_slot_remove(s->service, &c->slot);
	free(c->login_user);
	managesieve_parser_free(&c->parser);
	buf_deinit(&c->out);
	pool_free(&c->cmd_pool);
	log_deinit(&c->log);
	free(c);
	if (service_is_stopping(s->service) && s->clients == NULL)
		event_loop_stop(s->loop);
}

static const struct sieved_cmd_def *command_find(const char *name)
{
	for (size_t i = 0;
	     i < sizeof(sieved_commands) / sizeof(*sieved_commands); i++)
		if (strcasecmp(sieved_commands[i].name, name) == 0)
			return &sieved_commands[i];
	return NULL;
}

/* A whole line: a command, or the answer to an AUTHENTICATE challenge. */
static void client_line(struct sieved_client *c)
{
	size_t count;
	const struct managesieve_token *t =
	    managesieve_parser_tokens(c->parser, &count);
	if (c->sasl != SIEVED_SASL_NONE) {
		cmd_authenticate_response(c, t, count);
		return;
	}
	if (count == 0)
		return; /* an empty line: nothing asked, nothing answered */
	c->commands++;
	if (t[0].type != MANAGESIEVE_TOKEN_ATOM) {
		sieved_client_bad(c, "Expected a command name");
		return;
	}
	const struct sieved_cmd_def *def = command_find(t[0].str);
	if (def == NULL) {
		sieved_client_bad(c, "Unknown command");
		return;
	}
	unsigned need = c->state == SIEVED_STATE_AUTH ? CMD_AUTH : CMD_NOT_AUTH;
	if ((def->flags & need) == 0) {
		sieved_client_bad(c, c->state == SIEVED_STATE_AUTH
		                         ? "Already authenticated"
		                         : "Authenticate first");
		return;
	}
	def->func(c, t + 1, count - 1);
}

/* A line the parser refused. */
static void client_parse_error(struct sieved_client *c, const char *error)
{
	size_t count;
	const struct managesieve_token *t =
	    managesieve_parser_tokens(c->parser, &count);
	if (c->sasl != SIEVED_SASL_NONE) {
		c->sasl = SIEVED_SASL_NONE;
		sieved_client_bad(c, "Invalid authentication response");
		return;
	}
	c->commands++;
	bool is_script = count > 0 && c->state == SIEVED_STATE_AUTH &&
	                 (managesieve_token_is(&t[0], "PUTSCRIPT") ||
	                  managesieve_token_is(&t[0], "CHECKSCRIPT"));
	if (is_script && managesieve_parser_error(c->parser) ==
	                     MANAGESIEVE_PARSER_TOO_LARGE) {
		/* RFC 5804 §1.3: the script is over the size quota */
		sieved_client_no(
		    c, "QUOTA/MAXSIZE", "Script is larger than %llu bytes",
		    (unsigned long long)c->sieved->set.sieved.max_script_size);
		return;
	}
	sieved_client_bad(c, error);
}

/* Reads and handles input. Returns 1 to go on, 0 when nothing is ready. */
static int client_read(struct sieved_client *c)
{
	const unsigned char *data;
	size_t size, consumed;
	int r = conn_peek(c->conn, &data, &size);
	if (r < 0) {
		if (c->close_reason == NULL)
			c->close_reason = "eof";
		conn_close_after_flush(c->conn);
		return 0;
	}
	if (r == 0)
		return 0;
	const char *error;
	int ret =
	    managesieve_parser_feed(c->parser, data, size, &consumed, &error);
	conn_consume(c->conn, consumed);
	/* the line deadline runs over a whole command, literals included */
	conn_set_line_pending(c->conn,
	                      managesieve_parser_is_pending(c->parser));
	if (ret < 0)
		client_parse_error(c, error);
	else if (ret > 0)
		client_line(c);
	pool_clear(c->cmd_pool);
	return 1;
}

static void client_input_cb(struct conn *conn, void *ctx)
{
	struct sieved_client *c = ctx;
	while (!conn_is_closing(conn) && !c->is_auth_waiting && !c->is_logout &&
	       !conn_output_is_full(conn)) {
		if (service_is_stopping(c->sieved->service) &&
		    !managesieve_parser_is_pending(c->parser)) {
			sieved_client_bye(c, "TRYLATER", "Server shutting down",
			                  "shutdown");
			break;
		}
		if (client_read(c) == 0)
			break;
	}
}

void sieved_client_resume(struct sieved_client *c)
{
	/* input may already be waiting behind the finished command */
	conn_set_input_paused(c->conn, true);
	conn_set_input_paused(c->conn, false);
}

/* RFC 5804 §2.2: after the TLS handshake the server sends its
 * capabilities again, unasked, then OK. */
static void client_tls_done_cb(struct conn *conn, void *ctx)
{
	struct sieved_client *c = ctx;
	log_info(&c->log, "starttls version=%s cipher=%s",
	         conn_tls_version(conn), conn_tls_cipher(conn));
	sieved_client_capabilities(c);
	sieved_client_ok(c, NULL, "TLS negotiation successful");
}

static void client_timeout_cb(struct conn *conn, void *ctx)
{
	struct sieved_client *c = ctx;
	switch (conn_timeout_kind(conn)) {
	case CONN_TIMEOUT_DEADLINE:
		if (c->state != SIEVED_STATE_NOT_AUTH)
			return; /* login_timeout ends at login */
		sieved_client_bye(c, NULL, "Login time limit exceeded",
		                  "login-timeout");
		break;
	case CONN_TIMEOUT_LINE:
		sieved_client_bye(c, NULL, "Command time limit exceeded",
		                  "line-timeout");
		break;
	default:
		sieved_client_bye(c, NULL, "Disconnected for inactivity",
		                  "timeout");
		break;
	}
}

static void client_closed_cb(struct conn *conn, enum conn_status status,
                             void *ctx)
{
	struct sieved_client *c = ctx;
	if (status == CONN_STATUS_ERROR)
		c->close_reason = conn_error_str(conn);
	else if (c->close_reason != NULL)
		;
	else if (status == CONN_STATUS_EOF)
		c->close_reason = "eof";
	else if (status == CONN_STATUS_TIMEOUT)
		c->close_reason = "timeout";
	else
		c->close_reason = "closed";
	client_free(c);
}

void sieved_client_shutdown_all(struct sieved *s)
{
	for (struct sieved_client *c = s->clients; c != NULL; c = c->next) {
		/* a command being read or checked finishes first; the input
		 * callback says BYE after it */
		if (c->is_auth_waiting ||
		    managesieve_parser_is_pending(c->parser))
			continue;
		sieved_client_bye(c, "TRYLATER", "Server shutting down",
		                  "shutdown");
	}
}

void sieved_client_close_all(struct sieved *s)
{
	for (struct sieved_client *c = s->clients; c != NULL; c = c->next)
		sieved_client_bye(c, "TRYLATER", "Server shutting down",
		                  "shutdown");
}

void sieved_client_state_set(struct sieved_client *c, enum sieved_state state)
{
	c->state = state;
	client_parser_new(c);
}
