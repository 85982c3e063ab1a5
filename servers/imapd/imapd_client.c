/* imapd connections: accepting with the connection limits, the greeting
 * (RFC 9051 §7.1.1 with CAPABILITY), reading commands through the parser
 * (literal continuations, RFC 7888), dispatching them through the command
 * table with the state checks of RFC 9051 §3, the raw-input states
 * (AUTHENTICATE lines, IDLE's DONE, APPEND literal streaming), the
 * per-session command rate (a token bucket: an empty one stops reading,
 * so TCP slows the client; a sustained flood gets BYE), timeouts and the
 * deadlines no byte moves (connect to login, one command line), the slot
 * a session not yet logged in gives up when the process is full, and the
 * graceful stop. */
#include "auth/auth_client.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/xmalloc.h"
#include "imapd.h"
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define IMAPD_OUT_KEEP 16384
#define IMAPD_RAW_LINE_MAX 16384 /* AUTHENTICATE responses, DONE */

static void client_free(struct imapd_client *c);

void imapd_client_flush(struct imapd_client *c)
{
	if (c->out.len > 0 && c->conn != NULL)
		conn_write(c->conn, c->out.data, c->out.len);
	buf_truncate(&c->out, 0);
	if (c->out.cap > IMAPD_OUT_KEEP) {
		buf_deinit(&c->out);
		buf_init(&c->out);
	}
}

void imapd_client_bye(struct imapd_client *c, const char *text)
{
	if (conn_is_closing(c->conn))
		return;
	buf_printf(&c->out, "* BYE %s\r\n", text);
	imapd_client_flush(c);
	c->state = IMAPD_STATE_LOGOUT;
	conn_close_after_flush(c->conn);
}

/* Sends BAD for a command that could not be parsed. */
static void client_bad(struct imapd_client *c, const char *tag,
                       const char *error)
{
	buf_printf(&c->out, "%s BAD %s\r\n", tag != NULL ? tag : "*", error);
	imapd_client_flush(c);
	if (++c->bad_count >= IMAPD_MAX_BAD)
		imapd_client_bye(c, "Too many invalid commands");
}

static void client_end_command(struct imapd_client *c)
{
	imapd_append_reset(c);
	imap_parser_reset(c->parser);
	pool_clear(c->pool);
	imapd_client_flush(c);
}

/* Finds the command and checks the state. Returns it, or NULL after BAD. */
static const struct imapd_command *client_lookup(struct imapd_client *c,
                                                 struct imapd_cmd *cmd)
{
	const char *name = imap_parser_name(c->parser);
	const struct imapd_command *command;
	if (strcasecmp(name, "UID") == 0) {
		const char *sub;
		if (cmd->args == NULL || cmd->args->type != IMAP_ARG_ATOM ||
		    !imap_arg_get_astring(cmd->args, &sub)) {
			client_bad(c, cmd->tag, "UID needs a command");
			return NULL;
		}
		command = imapd_command_find(sub);
		if (command == NULL || (command->flags & IMAPD_CMD_UID) == 0) {
			client_bad(c, cmd->tag, "Unknown UID command");
			return NULL;
		}
		cmd->is_uid = true;
		cmd->name = pool_printf(cmd->pool, "UID %s", command->name);
		cmd->args = cmd->args->next;
	} else {
		command = imapd_command_find(name);
		if (command == NULL) {
			client_bad(c, cmd->tag, "Unknown command");
			return NULL;
		}
		cmd->name = command->name;
	}
	const char *refusal = NULL;
	if (c->state == IMAPD_STATE_NOT_AUTH &&
	    (command->flags & IMAPD_CMD_NOT_AUTH) == 0)
		refusal = "Log in first";
	else if (c->state != IMAPD_STATE_NOT_AUTH &&
	         (command->flags & IMAPD_CMD_AUTH) == 0)
		refusal = "Already logged in";
	else if ((command->flags & IMAPD_CMD_SELECTED) != 0 &&
	         c->state != IMAPD_STATE_SELECTED)
		refusal = "No mailbox selected";
	if (refusal != NULL) {
		client_bad(c, cmd->tag, refusal);
		return NULL;
	}
	return command;
}

static void client_command(struct imapd_client *c)
{
	struct imapd_cmd cmd = {
	    .client = c,
	    .tag = imap_parser_tag(c->parser),
	    .args = imap_parser_args(c->parser),
	    .pool = c->pool,
	};
	c->commands++;
	const struct imapd_command *command = client_lookup(c, &cmd);
	if (command != NULL) {
		cmd.flags = command->flags;
		c->bad_count = 0;
		imapd_notify_before_command(c);
		if (imapd_uidonly_refuses(c, &cmd))
			imapd_cmd_bad(&cmd, "[UIDREQUIRED] Message sequence "
			                    "numbers are off (UIDONLY)");
		else
			command->func(&cmd);
		imapd_notify_after_command(c, cmd.name);
	}
	if (c->wait == IMAPD_WAIT_FETCH)
		return; /* goes on from client_fetch_continue() */
	client_end_command(c);
}

/* A FETCH in progress writes more; once it is over, the command ends and
 * the commands pipelined behind it are read. */
static void client_fetch_continue(struct imapd_client *c)
{
	if (imapd_fetch_continue(c) == 0)
		return;
	c->wait = IMAPD_WAIT_COMMAND;
	client_end_command(c);
	if (c->is_bye_after_fetch) {
		imapd_client_bye(c, "Autologout; idle for too long");
		return;
	}
	/* input may already be waiting behind the finished command */
	conn_set_input_paused(c->conn, true);
	conn_set_input_paused(c->conn, false);
}

/* Returns true if the command being parsed is APPEND. */
static bool client_is_append(const struct imapd_client *c)
{
	const char *name = imap_parser_name(c->parser);
	return name != NULL && strcasecmp(name, "APPEND") == 0;
}

/* The largest literal read for the command being parsed. */
static uint64_t client_literal_max(const struct imapd_client *c)
{
	if (c->state == IMAPD_STATE_NOT_AUTH)
		return IMAPD_PRELOGIN_LITERAL_MAX;
	if (client_is_append(c) &&
	    c->imapd->set.imapd.max_literal_size > IMAPD_LITERAL_MAX)
		return c->imapd->set.imapd.max_literal_size;
	return IMAPD_LITERAL_MAX;
}

/* The line of a refused command (already answered BAD) ended in {n+}: its
 * octets are on the way and are dropped, unless there are more than any
 * command could send, which ends the session (RFC 7888 §4). */
static void client_skip_literal(struct imapd_client *c)
{
	uint64_t size;
	bool is_sync;
	unsigned depth;
	imap_parser_literal(c->parser, &size, &is_sync, &depth);
	if (size > client_literal_max(c)) {
		log_info(&c->log, "refused-literal too-big size=%llu",
		         (unsigned long long)size);
		imapd_client_bye(c, "[TOOBIG] Literal too large");
		return;
	}
	imap_parser_literal_skip(c->parser);
}

/* A literal was announced: refuse it, stream it or let the parser buffer
 * it (RFC 9051 §7.5 "+" continuation; RFC 7888 §4 for {n+}). */
static void client_literal(struct imapd_client *c)
{
	uint64_t size;
	bool is_sync;
	unsigned depth;
	imap_parser_literal(c->parser, &size, &is_sync, &depth);
	const char *name = imap_parser_name(c->parser);
	if (imap_parser_literal_is_literal8(c->parser) &&
	    (!client_is_append(c) || depth > 1)) {
		/* literal8 is APPEND's message (RFC 3516 §4.4, RFC 6855
		 * §4) and nothing else */
		client_bad(c, imap_parser_tag(c->parser),
		           "literal8 is only valid in APPEND");
		if (!conn_is_closing(c->conn))
			client_skip_literal(c);
		return;
	}
	uint64_t max = IMAPD_LITERAL_MAX;
	if (c->state == IMAPD_STATE_NOT_AUTH) {
		max = IMAPD_PRELOGIN_LITERAL_MAX;
	} else if (name != NULL && strcasecmp(name, "APPEND") == 0 &&
	           cmd_append_is_streamed(c, depth)) {
		/* depth 1: CATENATE's TEXT parts (RFC 4469) and the UTF8
		 * (~{n}) form of RFC 6855 §4; a flag list holds no
		 * literal, cmd_append checks the shape */
		(void)cmd_append_literal(c, size, is_sync);
		return;
	}
	if (size > max) {
		if (!is_sync) {
			imapd_client_bye(c, "[TOOBIG] Literal too large");
			return;
		}
		const char *tag = imap_parser_tag(c->parser);
		buf_printf(&c->out, "%s NO [TOOBIG] Literal too large\r\n",
		           tag != NULL ? tag : "*");
		client_end_command(c);
		return;
	}
	imap_parser_literal_accept(c->parser);
	if (is_sync) {
		buf_append_str(&c->out, "+ OK\r\n");
		imapd_client_flush(c);
	}
}

static uint64_t client_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void client_rate_refill(struct imapd_client *c, uint64_t now)
{
	const struct imapd_settings *set = &c->imapd->set.imapd;
	c->rate_tokens +=
	    (double)(now - c->rate_last_ms) * set->command_rate / 1000.0;
	if (c->rate_tokens > set->command_burst)
		c->rate_tokens = set->command_burst;
	c->rate_last_ms = now;
}

static void client_rate_timer_cb(void *ctx)
{
	struct imapd_client *c = ctx;
	/* the input waiting is read again from the loop */
	conn_set_input_paused(c->conn, true);
	conn_set_input_paused(c->conn, false);
}

/* Before the next command is read: returns true if the bucket holds a
 * token. Else input stays unread until one is back (a timer), and a
 * session held at the rate for command_flood_time without a quiet second
 * in between gets BYE. */
static bool client_rate_allows(struct imapd_client *c)
{
	const struct imapd_settings *set = &c->imapd->set.imapd;
	const unsigned char *data;
	size_t size;
	if (set->command_rate == 0)
		return true;
	if (c->rate_timer != NULL && event_timer_is_pending(c->rate_timer))
		return false;
	uint64_t now = client_now_ms();
	client_rate_refill(c, now);
	double quiet = set->command_rate < set->command_burst
	                   ? set->command_rate
	                   : set->command_burst;
	if (c->rate_tokens >= quiet)
		c->flood_since_ms = 0;
	if (c->rate_tokens >= 1 || conn_peek(c->conn, &data, &size) <= 0)
		return true;
	if (c->flood_since_ms == 0)
		c->flood_since_ms = now;
	if (!c->was_rate_held) {
		/* once per session: tells whether the limit touches clients */
		c->was_rate_held = true;
		log_info(&c->log, "command-rate hold rate=%u/s burst=%u "
		                  "commands=%u",
		         set->command_rate, set->command_burst, c->commands);
	}
	if (set->command_flood_time != 0 &&
	    now - c->flood_since_ms >= set->command_flood_time * 1000ull) {
		log_warn(&c->log, "command-flood rate=%u/s seconds=%u commands=%u",
		         set->command_rate, set->command_flood_time, c->commands);
		imapd_client_bye(c, "Too many commands");
		return false;
	}
	if (c->rate_timer == NULL)
		c->rate_timer =
		    event_timer_new(c->imapd->loop, client_rate_timer_cb, c);
	unsigned ms = (unsigned)((1 - c->rate_tokens) * 1000.0 /
	                         set->command_rate) + 1;
	event_timer_set(c->rate_timer, ms);
	return false;
}

/* Returns 1 to go on reading, 0 to stop. */
static int client_read_command(struct imapd_client *c)
{
	const unsigned char *data;
	size_t size, consumed;
	int r = conn_peek(c->conn, &data, &size);
	if (r < 0) {
		conn_close_after_flush(c->conn);
		return 0;
	}
	if (r == 0)
		return 0;
	enum imap_parser_event ev;
	const char *error;
	int ret =
	    imap_parser_feed(c->parser, data, size, &consumed, &ev, &error);
	conn_consume(c->conn, consumed);
	/* the line deadline runs while the parser holds part of a command
	 * line (a literal announced restarts it) */
	conn_set_line_pending(c->conn, ret == 0);
	if (ret < 0 || (ret > 0 && ev == IMAP_PARSER_COMMAND))
		c->rate_tokens -= 1; /* a whole command, good or BAD */
	if (ret < 0)
		client_bad(c, imap_parser_tag(c->parser), error);
	else if (ret > 0 && ev == IMAP_PARSER_LITERAL)
		client_literal(c);
	else if (ret > 0 && ev == IMAP_PARSER_SKIP)
		client_skip_literal(c);
	else if (ret > 0)
		client_command(c);
	return 1;
}

/* APPEND literal bytes go straight into the blob (never all in memory). */
static int client_read_literal(struct imapd_client *c)
{
	const unsigned char *data;
	size_t size;
	int r = conn_peek(c->conn, &data, &size);
	if (r < 0) {
		conn_close_after_flush(c->conn);
		return 0;
	}
	if (r == 0)
		return 0;
	size_t n = size < c->append_left ? size : (size_t)c->append_left;
	if (c->append_blob != NULL &&
	    store_blob_write(c->append_blob, data, n) < 0) {
		store_blob_abort(&c->append_blob);
		c->append_error = "write failed";
	}
	conn_consume(c->conn, n);
	c->append_left -= n;
	if (c->append_left == 0) {
		c->wait = IMAPD_WAIT_COMMAND;
		cmd_append_literal_done(c);
	}
	return 1;
}

static int client_read_raw_line(struct imapd_client *c)
{
	const char *line;
	size_t len;
	int r = conn_read_line(c->conn, IMAPD_RAW_LINE_MAX, &line, &len, NULL);
	if (r == 0)
		return 0;
	if (r < 0) {
		if (conn_last_error(c->conn) == CONN_ERROR_EOF) {
			conn_close_after_flush(c->conn);
			return 0;
		}
		line = "*"; /* too long: cancel */
	}
	if (c->wait == IMAPD_WAIT_IDLE)
		cmd_idle_line(c, line);
	else
		cmd_authenticate_line(c, line);
	imapd_client_flush(c);
	return 1;
}

void imapd_client_resume(struct imapd_client *c)
{
	free(c->wait_tag);
	c->wait_tag = NULL;
	c->wait = IMAPD_WAIT_COMMAND;
	pool_clear(c->pool);
	imapd_client_flush(c);
	/* input may already be waiting behind the finished command */
	conn_set_input_paused(c->conn, true);
	conn_set_input_paused(c->conn, false);
}

static void client_input_cb(struct conn *conn, void *ctx)
{
	struct imapd_client *c = ctx;
	(void)conn;
	while (!conn_is_closing(c->conn) && !conn_output_is_full(c->conn)) {
		int r;
		switch (c->wait) {
		case IMAPD_WAIT_COMMAND:
			r = client_rate_allows(c) ? client_read_command(c) : 0;
			break;
		case IMAPD_WAIT_LITERAL:
			r = client_read_literal(c);
			break;
		case IMAPD_WAIT_AUTH_LINE:
		case IMAPD_WAIT_IDLE:
			r = client_read_raw_line(c);
			break;
		case IMAPD_WAIT_FETCH:
			client_fetch_continue(c);
			r = c->wait == IMAPD_WAIT_COMMAND;
			break;
		default:
			r = 0;
			break;
		}
		if (r == 0)
			break;
	}
}

/* The output went out: a FETCH in progress writes more. */
static void client_drained_cb(struct conn *conn, void *ctx)
{
	struct imapd_client *c = ctx;
	(void)conn;
	if (c->wait == IMAPD_WAIT_FETCH)
		client_fetch_continue(c);
}

static void client_timeout_cb(struct conn *conn, void *ctx)
{
	struct imapd_client *c = ctx;
	const char *text = "Autologout; idle for too long";
	const char *reason = "timeout";
	switch (conn_timeout_kind(conn)) {
	case CONN_TIMEOUT_DEADLINE:
		if (c->state != IMAPD_STATE_NOT_AUTH)
			return; /* login_timeout ends at login */
		text = "Login time limit exceeded";
		reason = "login-timeout";
		break;
	case CONN_TIMEOUT_LINE:
		text = "Command line time limit exceeded";
		reason = "line-timeout";
		break;
	default:
		break;
	}
	c->close_reason = reason;
	/* A BYE now would land inside a literal: it follows the FETCH, as it
	 * did when the whole FETCH was buffered at once. */
	if (c->wait == IMAPD_WAIT_FETCH) {
		c->is_bye_after_fetch = true;
		return;
	}
	imapd_client_bye(c, text);
}

static void client_closed_cb(struct conn *conn, enum conn_status status,
                             void *ctx)
{
	struct imapd_client *c = ctx;
	(void)conn;
	const char *reason = status == CONN_STATUS_EOF       ? "eof"
	                     : status == CONN_STATUS_TIMEOUT ? "timeout"
	                     : status == CONN_STATUS_CLOSED  ? "closed"
	                                                     : "error";
	if (status == CONN_STATUS_CLOSED && c->close_reason != NULL)
		reason = c->close_reason;
	else if (status == CONN_STATUS_ERROR)
		reason = log_sanitize(conn_error_str(conn), 100);
	log_info(&c->log, "disconnect reason=%s commands=%u", reason,
	         c->commands);
	client_free(c);
}

/* Not logged in, and no password check running at authd: may make room
 * for a newcomer when the process is full. */
static bool client_can_evict(void *ctx)
{
	struct imapd_client *c = ctx;
	return c->state == IMAPD_STATE_NOT_AUTH &&
	       c->wait != IMAPD_WAIT_AUTH_VERIFY;
}

static void client_evict(void *ctx)
{
	struct imapd_client *c = ctx;
	c->close_reason = "evicted";
	imapd_client_bye(c, "[UNAVAILABLE] Too many connections, try again "
	                    "later");
	service_slot_remove(c->imapd->service, &c->slot);
	c->imapd->client_count--;
}

static const struct service_slot_callbacks client_slot_callbacks = {
    .can_evict = client_can_evict,
    .evict = client_evict,
};

static const struct conn_callbacks client_callbacks = {
    .input = client_input_cb,
    .timeout = client_timeout_cb,
    .closed = client_closed_cb,
    .drained = client_drained_cb,
};

void imapd_client_accept(struct imapd *imapd, bool is_imaps, int fd,
                         const struct sockaddr *addr)
{
	struct tls_server *tls = NULL;
	if (is_imaps) {
		if (imapd->tls == NULL) {
			close(fd); /* no certificate: nothing to offer */
			return;
		}
		tls = imapd->tls;
	}
	struct imapd_client *c = xcalloc(1, sizeof(*c));
	c->imapd = imapd;
	c->id = ++imapd->next_id;
	c->is_imaps = is_imaps;
	net_addr_str(addr, c->addr);
	c->is_loopback = net_addr_is_loopback(addr);
	c->pool = pool_new();
	buf_init(&c->out);
	c->rate_tokens = imapd->set.imapd.command_burst;
	c->rate_last_ms = client_now_ms();
	log_init(&c->log, "conn=%u peer=%s", c->id, c->addr);
	c->next = imapd->clients;
	if (c->next != NULL)
		c->next->prev = c;
	imapd->clients = c;
	const struct conn_settings cset = {
	    .input_max = 256 * 1024,
	    .handshake_timeout = imapd->set.tls_handshake_timeout,
	};
	c->conn = conn_new(imapd->loop, fd, tls, &cset, &client_callbacks, c);
	const struct imap_parser_settings pset = {0};
	c->parser = imap_parser_new(&pset);
	log_info(&c->log, "connect service=%s", is_imaps ? "imaps" : "imap");
	const char *error;
	if (service_is_stopping(imapd->service)) {
		imapd_client_bye(c, "Server shutting down");
		return;
	}
	if (service_slot_add(imapd->service, c->addr, &client_slot_callbacks, c,
	                     &c->slot, &error) < 0) {
		imapd_client_bye(c, error);
		return;
	}
	imapd->client_count++;
	conn_set_timeout(c->conn, imapd->set.imapd.idle_timeout);
	conn_set_line_timeout(c->conn, imapd->set.imapd.line_timeout);
	conn_set_deadline(c->conn, imapd->set.imapd.login_timeout);
	buf_append_str(&c->out, "* OK [CAPABILITY ");
	imapd_capability(c, &c->out);
	buf_append_str(&c->out, "] Postroom IMAP ready\r\n");
	imapd_client_flush(c);
}

static void client_free(struct imapd_client *c)
{
	struct imapd *imapd = c->imapd;
	imapd_fetch_free(c);
	imapd_notify_free(&c->notify);
	imapd_mailbox_close(c);
	imapd_user_unref(&c->user);
	imapd_append_reset(c);
	auth_request_free(&c->auth_req);
	event_timer_free(&c->auth_timer);
	event_timer_free(&c->rate_timer);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		imapd->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->slot != NULL) {
		service_slot_remove(imapd->service, &c->slot);
		imapd->client_count--;
	}
	conn_free(&c->conn);
	imap_parser_free(&c->parser);
	pool_free(&c->pool);
	buf_deinit(&c->out);
	free(c->wait_tag);
	free(c->auth_mech);
	if (c->auth_user != NULL) {
		explicit_bzero(c->auth_user, strlen(c->auth_user));
		free(c->auth_user);
	}
	log_deinit(&c->log);
	free(c);
	if (service_is_stopping(imapd->service) && imapd->clients == NULL)
		event_loop_stop(imapd->loop);
}

void imapd_client_close_all(struct imapd *imapd, bool only_idle)
{
	for (struct imapd_client *c = imapd->clients; c != NULL; c = c->next) {
		if (only_idle && c->wait != IMAPD_WAIT_COMMAND &&
		    c->wait != IMAPD_WAIT_IDLE)
			continue;
		imapd_client_bye(c, "Server shutting down");
	}
}

void imapd_client_free_all(struct imapd *imapd)
{
	while (imapd->clients != NULL)
		client_free(imapd->clients);
}
