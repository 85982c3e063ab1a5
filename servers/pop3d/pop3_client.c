/* pop3d connections: accepting under the per-process and per-IP limits
 * (when the process is full, the oldest session still in AUTHORIZATION
 * makes room), the greeting, reading command lines of at most 255 octets
 * (RFC 2449 §4) and dispatching them from the command table by state
 * (RFC 1939 §3-5), pipelined commands answered in order (RFC 2449 §6.6),
 * the error count, the idle timeout (RFC 1939 §3: at least 10 minutes),
 * the deadlines no byte moves (connect to login, one command line) and the
 * graceful stop. A dropped connection never reaches UPDATE: nothing is
 * expunged. */
#include "pop3d.h"
#include "auth/auth_client.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD_AUTHORIZATION (1u << 0) /* allowed before login */
#define CMD_TRANSACTION (1u << 1)   /* allowed after login */

struct pop3_cmd_def {
	const char *name;
	pop3_cmd_func *func;
	unsigned flags;
};

static const struct pop3_cmd_def pop3_commands[] = {
    {"USER", cmd_user, CMD_AUTHORIZATION},
    {"PASS", cmd_pass, CMD_AUTHORIZATION},
    {"AUTH", cmd_auth, CMD_AUTHORIZATION},
    {"STLS", cmd_stls, CMD_AUTHORIZATION},
    {"CAPA", cmd_capa, CMD_AUTHORIZATION | CMD_TRANSACTION},
    {"QUIT", cmd_quit, CMD_AUTHORIZATION | CMD_TRANSACTION},
    {"NOOP", cmd_noop, CMD_TRANSACTION},
    {"STAT", cmd_stat, CMD_TRANSACTION},
    {"LIST", cmd_list, CMD_TRANSACTION},
    {"UIDL", cmd_uidl, CMD_TRANSACTION},
    {"RETR", cmd_retr, CMD_TRANSACTION},
    {"TOP", cmd_top, CMD_TRANSACTION},
    {"DELE", cmd_dele, CMD_TRANSACTION},
    {"RSET", cmd_rset, CMD_TRANSACTION},
};

static const char *const service_names[] = {"pop3", "pop3s"};

static void pop3_client_input_cb(struct conn *conn, void *ctx);
static void pop3_client_timeout_cb(struct conn *conn, void *ctx);
static void pop3_client_closed_cb(struct conn *conn, enum conn_status status,
                                  void *ctx);
static void pop3_client_drained_cb(struct conn *conn, void *ctx);

static const struct conn_callbacks pop3_client_conn_callbacks = {
    .input = pop3_client_input_cb,
    .timeout = pop3_client_timeout_cb,
    .closed = pop3_client_closed_cb,
    .drained = pop3_client_drained_cb,
};

void pop3_client_flush(struct pop3_client *c)
{
	if (c->out.len > 0)
		conn_write(c->conn, c->out.data, c->out.len);
	buf_truncate(&c->out, 0);
}

void pop3_client_ok(struct pop3_client *c, const char *fmt, ...)
{
	va_list ap;
	buf_append_str(&c->out, "+OK ");
	va_start(ap, fmt);
	buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	buf_append(&c->out, "\r\n", 2);
	pop3_client_flush(c);
}

void pop3_client_err(struct pop3_client *c, const char *code, const char *fmt,
                     ...)
{
	va_list ap;
	buf_append_str(&c->out, "-ERR ");
	if (code != NULL)
		buf_printf(&c->out, "[%s] ", code);
	va_start(ap, fmt);
	buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	buf_append(&c->out, "\r\n", 2);
	pop3_client_flush(c);
	if (++c->errors >= POP3D_MAX_ERRORS) {
		buf_append_str(&c->out, "-ERR Too many errors, closing\r\n");
		pop3_client_close(c, "too many errors");
	}
}

void pop3_client_close(struct pop3_client *c, const char *reason)
{
	pop3_client_flush(c);
	if (c->close_reason == NULL)
		c->close_reason = reason;
	if (!conn_is_closing(c->conn))
		conn_close_after_flush(c->conn);
}

bool pop3_client_can_auth(const struct pop3_client *c)
{
	return conn_is_tls(c->conn) ||
	       (c->pop3d->set.plaintext_auth_loopback && c->is_loopback);
}

/* In AUTHORIZATION and not waiting for authd: may make room. */
static bool pop3_client_can_evict(void *ctx)
{
	struct pop3_client *c = ctx;
	return c->state == POP3_STATE_AUTHORIZATION && !c->is_auth_waiting;
}

static void pop3_client_evict(void *ctx)
{
	struct pop3_client *c = ctx;
	/* RFC 2449 §8.1.2: SYS/TEMP, a temporary condition */
	buf_append_str(&c->out, "-ERR [SYS/TEMP] Too many connections, try "
	                        "again later\r\n");
	pop3_client_close(c, "evicted");
	service_slot_remove(c->pop3d->service, &c->slot);
}

static const struct service_slot_callbacks pop3_client_slot_callbacks = {
    .can_evict = pop3_client_can_evict,
    .evict = pop3_client_evict,
};

struct pop3_message *pop3_client_message(struct pop3_client *c, const char *arg)
{
	uint32_t num;
	if (arg == NULL || pop3_number_parse(arg, &num) < 0) {
		pop3_client_err(c, NULL, "Invalid message number");
		return NULL;
	}
	if (num == 0 || num > c->msg_count) {
		pop3_client_err(c, NULL, "No such message");
		return NULL;
	}
	struct pop3_message *msg = &c->msgs[num - 1];
	if (msg->is_deleted) {
		pop3_client_err(c, NULL, "Message %u is deleted", num);
		return NULL;
	}
	return msg;
}

void pop3_client_accept(struct pop3d *pop3d, enum pop3d_service service, int fd,
                        const struct sockaddr *addr)
{
	struct tls_server *tls = NULL;
	if (service == POP3D_SERVICE_POP3S) {
		if (pop3d->tls == NULL) {
			close(fd); /* no certificate: nothing to offer */
			return;
		}
		tls = pop3d->tls;
	}
	struct pop3_client *c = xcalloc(1, sizeof(*c));
	c->pop3d = pop3d;
	c->service = service;
	c->id = ++pop3d->next_id;
	c->lock_fd = -1;
	c->stream_fd = -1;
	net_addr_str(addr, c->addr);
	c->is_loopback = net_addr_is_loopback(addr);
	c->pool = pool_new();
	c->cmd_pool = pool_new();
	buf_init(&c->out);
	log_init(&c->log, "conn=%u peer=%s", c->id, c->addr);
	c->next = pop3d->clients;
	if (c->next != NULL)
		c->next->prev = c;
	pop3d->clients = c;
	/* The input buffer holds a full SASL line and some pipelining. */
	struct conn_settings cs = {
	    .input_max = POP3_SASL_LINE_MAX + 65536,
	    .handshake_timeout = pop3d->set.tls_handshake_timeout,
	};
	c->conn =
	    conn_new(pop3d->loop, fd, tls, &cs, &pop3_client_conn_callbacks, c);
	conn_set_timeout(c->conn, pop3d->set.pop3d.idle_timeout);
	conn_set_line_timeout(c->conn, pop3d->set.pop3d.line_timeout);
	conn_set_deadline(c->conn, pop3d->set.pop3d.login_timeout);
	log_info(&c->log, "connect service=%s", service_names[service]);
	const char *error;
	if (service_is_stopping(pop3d->service)) {
		pop3_client_err(c, "SYS/TEMP", "Server shutting down");
		pop3_client_close(c, "shutdown");
		return;
	}
	if (service_slot_add(pop3d->service, c->addr,
	                     &pop3_client_slot_callbacks, c, &c->slot,
	                     &error) < 0) {
		pop3_client_err(c, "SYS/TEMP", "%s, try again later",
		                strcmp(error, "too many connections") == 0
		                    ? "Too many connections"
		                    : "Too many connections from your address");
		pop3_client_close(c, error);
		return;
	}
	pop3_client_ok(c, "Postroom POP3 ready");
}

static void pop3_client_free(struct pop3_client *c)
{
	struct pop3d *pop3d = c->pop3d;
	log_info(&c->log, "disconnect reason=%s commands=%u retrieved=%u",
	         log_sanitize(c->close_reason, 100), c->commands, c->retrieved);
	if (c->stream_fd >= 0)
		close(c->stream_fd);
	pop3_maildrop_close(c);
	auth_request_free(&c->auth_req);
	event_timer_free(&c->auth_timer);
	conn_free(&c->conn);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		pop3d->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	service_slot_remove(pop3d->service, &c->slot);
	if (c->user != NULL)
		explicit_bzero(c->user, strlen(c->user));
	free(c->user);
	free(c->login_user);
	buf_deinit(&c->out);
	pool_free(&c->pool);
	pool_free(&c->cmd_pool);
	log_deinit(&c->log);
	free(c);
	if (service_is_stopping(pop3d->service) && pop3d->clients == NULL)
		event_loop_stop(pop3d->loop);
}

static const struct pop3_cmd_def *pop3_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(pop3_commands) / sizeof(*pop3_commands);
	     i++)
		if (strcmp(pop3_commands[i].name, name) == 0)
			return &pop3_commands[i];
	return NULL;
}

static void pop3_client_command(struct pop3_client *c, const char *line,
                                size_t len)
{
	struct pop3_command cmd;
	const char *error;
	c->commands++;
	int ret = pop3_command_parse((const unsigned char *)line, len,
	                             c->cmd_pool, &cmd, &error);
	if (ret <= 0) {
		pop3_client_err(c, NULL, "%s",
		                ret == 0 ? "Empty command" : "Invalid command");
		return;
	}
	const struct pop3_cmd_def *def = pop3_command_find(cmd.name);
	if (def == NULL) {
		pop3_client_err(c, NULL, "Unknown command");
		return;
	}
	unsigned need = c->state == POP3_STATE_AUTHORIZATION ? CMD_AUTHORIZATION
	                                                     : CMD_TRANSACTION;
	if ((def->flags & need) == 0) {
		pop3_client_err(c, NULL, "%s",
		                c->state == POP3_STATE_AUTHORIZATION
		                    ? "Not logged in"
		                    : "Already logged in");
		return;
	}
	def->func(c, &cmd);
}

/* Reads one line. Returns 1 if one was handled, 0 if none is ready. */
static int pop3_client_read(struct pop3_client *c)
{
	const char *line;
	size_t len;
	size_t max = c->sasl != POP3_SASL_NONE ? POP3_SASL_LINE_MAX
	                                       : POP3_COMMAND_LINE_MAX;
	int ret = conn_read_line(c->conn, max, &line, &len, NULL);
	if (ret == 0)
		return 0;
	if (ret < 0) {
		if (conn_last_error(c->conn) != CONN_ERROR_TOO_LONG)
			return 0; /* EOF: closed is called from the loop */
		c->sasl = POP3_SASL_NONE;
		pop3_client_err(c, NULL, "Line too long");
		return 1;
	}
	if (c->sasl != POP3_SASL_NONE)
		cmd_auth_response(c, line);
	else
		pop3_client_command(c, line, len);
	pool_clear(c->cmd_pool);
	return 1;
}

static void pop3_client_input_cb(struct conn *conn, void *ctx)
{
	struct pop3_client *c = ctx;
	if (c->stream_fd >= 0 && !cmd_retr_continue(c))
		return;
	while (!conn_is_closing(conn) && !c->is_auth_waiting &&
	       c->stream_fd < 0 && !conn_output_is_full(conn)) {
		if (service_is_stopping(c->pop3d->service)) {
			pop3_client_err(c, "SYS/TEMP", "Server shutting down");
			pop3_client_close(c, "shutdown");
			break;
		}
		if (pop3_client_read(c) == 0)
			break;
	}
}

/* The output is written out: a RETR/TOP in progress refills it, and the
 * commands pipelined behind it are read after it. */
static void pop3_client_drained_cb(struct conn *conn, void *ctx)
{
	struct pop3_client *c = ctx;
	if (c->stream_fd >= 0)
		pop3_client_input_cb(conn, c);
}

static void pop3_client_timeout_cb(struct conn *conn, void *ctx)
{
	struct pop3_client *c = ctx;
	switch (conn_timeout_kind(conn)) {
	case CONN_TIMEOUT_DEADLINE:
		if (c->state != POP3_STATE_AUTHORIZATION)
			return; /* login_timeout ends at login */
		buf_append_str(&c->out, "-ERR Login time limit exceeded\r\n");
		pop3_client_close(c, "login-timeout");
		break;
	case CONN_TIMEOUT_LINE:
		buf_append_str(&c->out,
		               "-ERR Command line time limit exceeded\r\n");
		pop3_client_close(c, "line-timeout");
		break;
	default:
		buf_append_str(&c->out, "-ERR Disconnected for inactivity\r\n");
		pop3_client_close(c, "timeout");
		break;
	}
}

static void pop3_client_closed_cb(struct conn *conn, enum conn_status status,
                                  void *ctx)
{
	struct pop3_client *c = ctx;
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
	pop3_client_free(c);
}

void pop3_client_shutdown_all(struct pop3d *pop3d)
{
	for (struct pop3_client *c = pop3d->clients; c != NULL; c = c->next) {
		/* A response in progress finishes first; the input callback
		 * closes the session after it. */
		if (c->stream_fd >= 0 || c->is_auth_waiting)
			continue;
		pop3_client_err(c, "SYS/TEMP", "Server shutting down");
		pop3_client_close(c, "shutdown");
	}
}

void pop3_client_close_all(struct pop3d *pop3d)
{
	for (struct pop3_client *c = pop3d->clients; c != NULL; c = c->next) {
		if (c->stream_fd >= 0) {
			close(c->stream_fd);
			c->stream_fd = -1;
		}
		pop3_client_close(c, "shutdown");
	}
}
