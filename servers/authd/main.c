/* authd [-c CONFIG]: checks passwords for smtpd, pop3d and imapd, so that
 * the ~70 ms of a yescrypt verification never stalls their event loops.
 * postroomd binds data_dir/run/auth.sock (mode 0600) once and starts
 * `[authd] workers` of these processes on it (POSTROOM_LISTEN="auth:3");
 * the kernel's accept queue spreads the checks over them, and a check
 * waiting while one is restarted stays queued. Each worker is a plain
 * blocking loop, one connection at a time: accept, read one
 * lib/auth/auth_client.h request, look the account up, ask the login
 * throttle shared by all workers (lib/auth/auth_throttle.h) whether a check
 * may run now, verify (against a dummy hash for an unknown user, so both
 * cost the same) or refuse without verifying while a penalty runs, record
 * the result, answer with the delay the server puts before a failure
 * reply, close. The password is wiped from every buffer it was in and
 * never logged. SIGTERM ends the loop after the check in hand is answered. */
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "auth/auth_throttle.h"
#include "config/settings.h"
#include "core/buf.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/store.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define AUTHD_READ_TIMEOUT_SECS 5
/* Every byte of the user and the password may be %XX-escaped; the other
 * fields (service, ip) are short. */
#define AUTHD_REQUEST_MAX ((AUTH_USER_MAX + AUTH_PASSWORD_MAX) * 3 + 1024)

static volatile sig_atomic_t is_stopping;

static void stop_handler(int sig)
{
	(void)sig;
	is_stopping = 1;
}

struct authd {
	struct postroom_settings set;
	struct store *store;
	struct pool *pool;
	const char *dummy_hash;
	struct auth_throttle *throttle;
};

/* What authd answers one request. */
struct authd_answer {
	const char *status;   /* "ok", "fail", "tempfail" */
	const char *address;  /* ok: the account's address, from the pool */
	unsigned delay_msecs; /* fail: how long the reply is held back */
	bool is_throttled;    /* fail: not checked, a penalty was running */
};

/* Reads one LF-terminated line into line (which is wiped on every path by
 * the caller). Returns its length without the LF, or -1. */
static ssize_t authd_read_line(int fd, struct buf *line)
{
	buf_reserve(line, AUTHD_REQUEST_MAX + 1); /* never grows after */
	for (;;) {
		char *lf = memchr(line->data, '\n', line->len);
		if (lf != NULL)
			return lf - line->data;
		if (line->len >= AUTHD_REQUEST_MAX)
			return -1;
		ssize_t n = read(fd, line->data + line->len,
		                 AUTHD_REQUEST_MAX - line->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		line->len += (size_t)n;
	}
}

static int64_t authd_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The name the throttle keeps an account under: its address when it
 * exists, else the name asked for, lowercased as the store compares it,
 * so that an unknown user is counted like a known one. */
static const char *authd_throttle_name(struct authd *a, const char *user,
                                       const struct store_account_info *info)
{
	if (info != NULL)
		return info->address;
	char *name = pool_strdup(a->pool, user);
	for (char *p = name; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return name;
}

/* Runs the check the throttle allowed for name, and records its result. */
static void authd_verify(struct authd *a, const char *ip, const char *name,
                         const char *password, const char *hash,
                         struct authd_answer *ans)
{
	const char *error;
	int ret;
	/* An unknown user (no address) fails even if the dummy hash took. */
	if (auth_password_verify(password, hash) == 1 && ans->address != NULL) {
		ans->status = "ok";
		ret = auth_throttle_success(a->throttle, ip, name, authd_now(),
		                            &error);
	} else {
		ans->status = "fail";
		ans->address = NULL;
		ret = auth_throttle_fail(a->throttle, ip, name, authd_now(),
		                         &ans->delay_msecs, &error);
	}
	if (ret < 0)
		log_error(NULL, "throttle-failed ip=%s error=%s",
		          log_sanitize(ip, 50), error);
}

/* Answers one verify request into *ans. */
static void authd_check(struct authd *a, const struct ipc_record *rec,
                        const char *password, struct authd_answer *ans)
{
	const char *user = ipc_record_get(rec, "user");
	const char *service = ipc_record_get(rec, "service");
	const char *ip = ipc_record_get(rec, "ip");
	service = service != NULL ? service : "";
	ip = ip != NULL ? ip : "";
	ans->status = "tempfail";
	if (strcmp(rec->verb, "verify") != 0 || user == NULL) {
		log_warn(NULL, "bad request verb=%s",
		         log_sanitize(rec->verb, 20));
		return;
	}
	if (strlen(user) > AUTH_USER_MAX ||
	    strlen(password) > AUTH_PASSWORD_MAX) {
		ans->status = "fail"; /* the servers send none of these */
		return;
	}
	struct store_account_info info;
	int ret = store_account_lookup(a->store, user, a->pool, &info);
	if (ret < 0) {
		log_error(NULL, "lookup-failed service=%s ip=%s error=%s",
		          log_sanitize(service, 10), log_sanitize(ip, 50),
		          store_last_error(a->store));
		return;
	}
	const char *name = authd_throttle_name(a, user, ret > 0 ? &info : NULL);
	const char *error;
	unsigned wait;
	int allowed = auth_throttle_begin(a->throttle, ip, name, authd_now(),
	                                  &wait, &error);
	if (allowed < 0) {
		log_error(NULL, "throttle-failed ip=%s error=%s",
		          log_sanitize(ip, 50), error);
		return;
	}
	if (allowed == 0) {
		ans->status = "fail";
		ans->delay_msecs = wait;
		ans->is_throttled = true;
		log_info(NULL, "throttled service=%s ip=%s user=%s wait=%ums",
		         log_sanitize(service, 10), log_sanitize(ip, 50),
		         log_sanitize(name, 100), wait);
		return;
	}
	ans->address = ret > 0 ? info.address : NULL;
	authd_verify(a, ip, name, password,
	             ret > 0 ? info.password_hash : a->dummy_hash, ans);
	log_info(NULL, "checked service=%s ip=%s user=%s result=%s delay=%ums",
	         log_sanitize(service, 10), log_sanitize(ip, 50),
	         log_sanitize(name, 100), ans->status, ans->delay_msecs);
}

/* result status=... [user=...] [delay_msecs=...] [throttled=yes] */
static void authd_answer_send(int fd, const struct authd_answer *ans)
{
	struct ipc_record answer;
	struct buf out;
	ipc_record_init(&answer, "result");
	ipc_record_add(&answer, "status", ans->status);
	if (ans->address != NULL)
		ipc_record_add(&answer, "user", ans->address);
	if (ans->delay_msecs > 0)
		ipc_record_addf(&answer, "delay_msecs", "%u", ans->delay_msecs);
	if (ans->is_throttled)
		ipc_record_add(&answer, "throttled", "yes");
	buf_init(&out);
	ipc_record_encode(&answer, &out);
	if (send(fd, out.data, out.len, MSG_NOSIGNAL) != (ssize_t)out.len)
		log_warn(NULL, "answer not sent: %s", strerror(errno));
	buf_deinit(&out);
	ipc_record_deinit(&answer);
}

static void authd_serve(struct authd *a, int fd)
{
	struct timeval tv = {AUTHD_READ_TIMEOUT_SECS, 0};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct buf line;
	buf_init(&line);
	ssize_t len = authd_read_line(fd, &line);
	struct ipc_record rec;
	char *password = NULL;
	const char *error;
	struct authd_answer ans = {0};
	if (len < 0) {
		log_warn(NULL, "request unreadable or too long");
	} else if (auth_wire_request_decode(line.data, (size_t)len, &rec,
	                                    &password, &error) < 0) {
		log_warn(NULL, "bad request error=%s", error);
		ipc_record_deinit(&rec);
	} else {
		authd_check(a, &rec, password, &ans);
		auth_secret_free(&password);
		ipc_record_deinit(&rec);
	}
	explicit_bzero(line.data, line.cap);
	buf_deinit(&line);
	if (ans.status != NULL)
		authd_answer_send(fd, &ans);
	pool_clear(a->pool);
	close(fd);
}

/* Waits for connections on the shared, non-blocking listener until
 * SIGTERM. Another worker may win a connection: EAGAIN is normal. */
static void authd_run(struct authd *a, int listen_fd)
{
	while (!is_stopping) {
		struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
		int n = poll(&pfd, 1, 1000); /* bounds a missed SIGTERM */
		if (n < 0 && errno != EINTR)
			log_fatal(NULL, "poll: %s", strerror(errno));
		if (n <= 0)
			continue;
		int fd = accept(listen_fd, NULL, NULL);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_error(NULL, "accept: %s", strerror(errno));
			continue;
		}
		authd_serve(a, fd);
	}
}

static int authd_listen_fd(void)
{
	const char *listen = getenv("POSTROOM_LISTEN");
	int fd;
	char end;
	if (listen == NULL || sscanf(listen, "auth:%d%c", &fd, &end) != 1 ||
	    fd < 3) {
		fprintf(stderr, "authd: POSTROOM_LISTEN is not \"auth:FD\" "
		                "(authd is started by postroomd)\n");
		exit(2);
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		config = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: authd [-c CONFIG]\n");
		return 2;
	}
	int listen_fd = authd_listen_fd();
	struct authd a = {0};
	const char *error;
	a.pool = pool_new();
	if (settings_open(&a.set, "authd", config, a.pool, &error) < 0)
		log_fatal(NULL, "config: %s", error);
	pool_clear(a.pool);
	struct store_settings ss = {
	    .data_dir = a.set.data_dir,
	    .default_quota = a.set.deliver.default_quota,
	};
	if (store_open(&ss, &a.store, &error) < 0)
		log_fatal(NULL, "store: %s", error);
	const struct auth_throttle_settings ts = {
	    .max_delay = a.set.authd.throttle_max_delay,
	    .forget = a.set.authd.throttle_forget,
	    .trust = a.set.authd.throttle_trust,
	    .entries = a.set.authd.throttle_entries,
	};
	char *throttle_path =
	    settings_data_path(&a.set, "run/" AUTH_THROTTLE_FILE_NAME);
	if (auth_throttle_open(throttle_path, &ts, &a.throttle, &error) < 0)
		log_fatal(NULL, "throttle: %s", error);
	free(throttle_path);
	struct sigaction sa = {.sa_handler = stop_handler};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* Made before the first request, so no check waits for it. */
	a.dummy_hash = auth_password_dummy_hash();
	log_info(NULL, "started");
	authd_run(&a, listen_fd);
	log_info(NULL, "stopped");
	close(listen_fd);
	auth_throttle_close(&a.throttle);
	store_close(&a.store);
	pool_free(&a.pool);
	settings_deinit(&a.set);
	return 0;
}
