/* The servers' side of authd (auth_client.h): one non-blocking UNIX stream
 * connection per password check, the request written at once (it is far
 * smaller than a socket buffer, and a UNIX socket takes data before authd
 * accepts), the answer read from the loop, a timer for authd being stuck.
 * Every buffer that held the password is wiped before it is released. */
#include "auth/auth_client.h"
#include "core/buf.h"
#include "core/event_loop.h"
#include "core/ipc.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define AUTH_ANSWER_MAX 4096

struct auth_request {
	struct event_loop *loop;
	int fd;
	struct event_io *io;
	struct event_timer *timer;
	auth_request_cb *cb;
	void *ctx;
	char *user;
	struct buf in;
	enum auth_result failure; /* answered from the timer before I/O */
	bool is_failed;
	bool is_throttled;
	unsigned delay_msecs;
	char error[256]; /* why a tempfail, for the caller's log */
};

void auth_secret_free(char **secret)
{
	if (*secret == NULL)
		return;
	explicit_bzero(*secret, strlen(*secret));
	free(*secret);
	*secret = NULL;
}

static size_t escaped_size(const char *s)
{
	return s == NULL ? 0 : strlen(s) * 3;
}

void auth_wire_request_encode(const struct auth_request_info *info,
                              struct buf *out)
{
	/* Reserve it all first: buf growth would free an unwiped copy. */
	buf_reserve(out, 64 + escaped_size(info->service) +
	                     escaped_size(info->ip) + escaped_size(info->user) +
	                     escaped_size(info->password));
	struct ipc_record rec;
	ipc_record_init(&rec, "verify");
	ipc_record_add(&rec, "service", info->service);
	ipc_record_add(&rec, "ip", info->ip);
	ipc_record_add(&rec, "user", info->user);
	ipc_record_encode(&rec, out);
	ipc_record_deinit(&rec);
	buf_truncate(out, out->len - 1); /* the LF: the password goes last */
	buf_append_str(out, " password=");
	for (const unsigned char *p = (const unsigned char *)info->password;
	     *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '%' || *p == '=') {
			static const char hex[] = "0123456789ABCDEF";
			buf_append_char(out, '%');
			buf_append_char(out, hex[*p >> 4]);
			buf_append_char(out, hex[*p & 15]);
		} else {
			buf_append_char(out, (char)*p);
		}
	}
	buf_append_char(out, '\n');
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int auth_wire_request_decode(char *line, size_t len, struct ipc_record *rec,
                             char **password_r, const char **error_r)
{
	static const char key[] = " password=";
	char *at = NULL;
	for (size_t i = 0; i + sizeof(key) - 1 <= len; i++) {
		if (memcmp(line + i, key, sizeof(key) - 1) == 0)
			at = line + i;
	}
	if (at == NULL) {
		explicit_bzero(line, len);
		ipc_record_init(rec, "");
		*error_r = "no password";
		return -1;
	}
	char *p = at + sizeof(key) - 1, *end = line + len;
	char *password = xmalloc((size_t)(end - p) + 1);
	size_t n = 0;
	int ret = 0;
	while (p < end) {
		if (*p == '%') {
			int hi = p + 2 < end ? hexval(p[1]) : -1;
			int lo = hi >= 0 ? hexval(p[2]) : -1;
			if (lo < 0 || hi * 16 + lo == 0) {
				ret = -1;
				break;
			}
			password[n++] = (char)(hi * 16 + lo);
			p += 3;
		} else if (*p == ' ' || *p == '\0') {
			ret = -1;
			break;
		} else {
			password[n++] = *p++;
		}
	}
	password[n] = '\0';
	explicit_bzero(at, (size_t)(end - at));
	if (ret == 0)
		ret =
		    ipc_record_decode(line, (size_t)(at - line), rec, error_r);
	else {
		ipc_record_init(rec, "");
		*error_r = "malformed password";
	}
	if (ret < 0) {
		auth_secret_free(&password);
		return -1;
	}
	*password_r = password;
	return 0;
}

static void auth_request_finish(struct auth_request *req,
                                enum auth_result result, const char *user,
                                const char *error)
{
	auth_request_cb *cb = req->cb;
	void *ctx = req->ctx;
	char *copy = xstrdup(user != NULL ? user : req->user);
	char *why = xstrdup(error != NULL ? error : "");
	const struct auth_answer answer = {
	    .result = result,
	    .user = copy,
	    .error = result == AUTH_RESULT_TEMPFAIL ? why : NULL,
	    .delay_msecs = result == AUTH_RESULT_FAIL ? req->delay_msecs : 0,
	    .is_throttled = result == AUTH_RESULT_FAIL && req->is_throttled,
	};
	auth_request_free(&req);
	cb(&answer, ctx);
	free(why);
	free(copy);
}

/* answer = "result" SP "status=" ("ok" / "fail" / "tempfail")
 *          [SP "user=" address] [SP "delay_msecs=" 1*DIGIT]
 *          [SP "throttled=yes"] */
static void auth_request_answer(struct auth_request *req, const char *line,
                                size_t len)
{
	struct ipc_record rec;
	const char *error;
	enum auth_result result = AUTH_RESULT_TEMPFAIL;
	const char *user = NULL;
	if (ipc_record_decode(line, len, &rec, &error) < 0 ||
	    strcmp(rec.verb, "result") != 0) {
		error = "authd answer unreadable";
	} else {
		error = "authd could not check the password";
		const char *status = ipc_record_get(&rec, "status");
		const char *delay = ipc_record_get(&rec, "delay_msecs");
		const char *throttled = ipc_record_get(&rec, "throttled");
		user = ipc_record_get(&rec, "user");
		if (status != NULL && strcmp(status, "ok") == 0 && user != NULL)
			result = AUTH_RESULT_OK;
		else if (status != NULL && strcmp(status, "fail") == 0)
			result = AUTH_RESULT_FAIL;
		if (result != AUTH_RESULT_OK)
			user = NULL;
		if (delay != NULL)
			req->delay_msecs = (unsigned)strtoul(delay, NULL, 10);
		req->is_throttled =
		    throttled != NULL && strcmp(throttled, "yes") == 0;
	}
	char *copy = user != NULL ? xstrdup(user) : NULL;
	ipc_record_deinit(&rec);
	auth_request_finish(req, result, copy, error);
	free(copy);
}

static void auth_request_read_cb(void *ctx)
{
	struct auth_request *req = ctx;
	buf_reserve(&req->in, 512);
	ssize_t n = recv(req->fd, req->in.data + req->in.len,
	                 req->in.cap - req->in.len - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* authd died (or was restarted) with our request. */
		auth_request_finish(req, AUTH_RESULT_TEMPFAIL, NULL,
		                    n < 0 ? strerror(errno)
		                          : "authd closed the connection");
		return;
	}
	req->in.len += (size_t)n;
	req->in.data[req->in.len] = '\0';
	char *lf = memchr(req->in.data, '\n', req->in.len);
	if (lf != NULL) {
		auth_request_answer(req, req->in.data,
		                    (size_t)(lf - req->in.data));
		return;
	}
	if (req->in.len > AUTH_ANSWER_MAX) {
		auth_request_finish(req, AUTH_RESULT_TEMPFAIL, NULL,
		                    "authd answer too long");
	}
}

static void auth_request_timer_cb(void *ctx)
{
	struct auth_request *req = ctx;
	if (!req->is_failed)
		snprintf(req->error, sizeof(req->error),
		         "authd did not answer in time");
	auth_request_finish(
	    req, req->is_failed ? req->failure : AUTH_RESULT_TEMPFAIL, NULL,
	    req->error);
}

/* Connects and sends. Returns 0, or -1 with errno. */
static int auth_request_send(struct auth_request *req, const char *path,
                             const struct auth_request_info *info)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	req->fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (req->fd < 0)
		return -1;
	/* A full accept queue gives EAGAIN: authd is overloaded. */
	if (connect(req->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -1;
	struct buf out;
	buf_init(&out);
	auth_wire_request_encode(info, &out);
	ssize_t n = send(req->fd, out.data, out.len, MSG_NOSIGNAL);
	int saved = errno;
	bool is_whole = n == (ssize_t)out.len;
	explicit_bzero(out.data, out.cap);
	buf_deinit(&out);
	if (!is_whole) {
		errno = n < 0 ? saved : EMSGSIZE;
		return -1;
	}
	return 0;
}

struct auth_request *auth_request_new(struct event_loop *loop,
                                      const char *socket_path,
                                      const struct auth_request_info *info,
                                      unsigned timeout_msecs,
                                      auth_request_cb *cb, void *ctx)
{
	struct auth_request *req = xcalloc(1, sizeof(*req));
	req->loop = loop;
	req->fd = -1;
	req->cb = cb;
	req->ctx = ctx;
	req->user = xstrdup(info->user);
	buf_init(&req->in);
	req->timer = event_timer_new(loop, auth_request_timer_cb, req);
	if (strlen(info->user) > AUTH_USER_MAX ||
	    strlen(info->password) > AUTH_PASSWORD_MAX) {
		/* No account has such a name: a wrong login, not an error. */
		req->is_failed = true;
		req->failure = AUTH_RESULT_FAIL;
		event_timer_set(req->timer, 0);
		return req;
	}
	if (auth_request_send(req, socket_path, info) < 0) {
		snprintf(req->error, sizeof(req->error),
		         "authd unreachable at %s: %s", socket_path,
		         strerror(errno));
		req->is_failed = true;
		req->failure = AUTH_RESULT_TEMPFAIL;
		event_timer_set(req->timer, 0);
		return req;
	}
	req->io = event_io_new(loop, req->fd, auth_request_read_cb, req);
	event_io_set_enabled(req->io, true);
	event_timer_set(req->timer, timeout_msecs);
	return req;
}

void auth_request_free(struct auth_request **reqp)
{
	struct auth_request *req = *reqp;
	if (req == NULL)
		return;
	*reqp = NULL;
	event_io_free(&req->io);
	event_timer_free(&req->timer);
	if (req->fd >= 0)
		close(req->fd);
	buf_deinit(&req->in);
	free(req->user);
	free(req);
}
