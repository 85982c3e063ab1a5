/* Supervision of the server processes: spawn, reap, restart with back-off,
 * graceful reload and shutdown. The master is single-threaded and waits in
 * sigtimedwait(); it holds no session state, so it rarely has reason to
 * crash, and if it is killed its children get SIGTERM (PR_SET_PDEATHSIG). */
#define _GNU_SOURCE /* PR_SET_PDEATHSIG */
#include "master.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHUTDOWN_GRACE_SECS 40 /* children finish transactions first */
#define QUICK_EXIT_SECS 10     /* a child dying sooner counts as a crash */
#define MAX_BACKOFF_SECS 60
#define AUTH_BACKLOG 4096   /* logins queued while authd workers are busy */
#define AUTH_FD_FLOOR 100   /* like the listeners: never overwritten at 3 */

struct child {
	const char *name; /* "smtpd", "qmgr", "deliver" */
	unsigned index;   /* worker number for smtpd */
	unsigned generation;
	pid_t pid;        /* 0 while waiting to be restarted */
	struct timespec started;
	struct timespec restart_at;
	unsigned quick_exits;
	bool is_retiring; /* from an older generation: not restarted */
};

static struct child *children;
static size_t child_count;
static unsigned generation;

static double now_secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ts_secs(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static void ts_set(struct timespec *ts, double secs)
{
	ts->tv_sec = (time_t)secs;
	ts->tv_nsec = (long)((secs - (double)ts->tv_sec) * 1e9);
}

static void server_path(const struct master *m, const char *name,
			char *path, size_t size)
{
	if (m->is_build_tree)
		snprintf(path, size, "%s/%s/%s", m->libexec_dir, name, name);
	else
		snprintf(path, size, "%s/%s", m->libexec_dir, name);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void exec_child(const struct master *m, const struct child *c,
		       pid_t master_pid)
{
	char path[4096], env[2048] = "";
	sigset_t none;
	sigemptyset(&none);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != master_pid)
		_exit(1);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0 && devnull != STDIN_FILENO) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	if (strcmp(c->name, "authd") == 0) {
		if (dup2(m->auth_fd, 3) < 0)
			_exit(1);
		snprintf(env, sizeof(env), "auth:3");
	} else if (listen_install_for_worker(&m->listeners, c->name, c->index,
					     3, env, sizeof(env)) < 0) {
		_exit(1);
	}
	char worker[16];
	snprintf(worker, sizeof(worker), "%u", c->index);
	setenv("POSTROOM_LISTEN", env, 1);
	setenv("POSTROOM_WORKER", worker, 1);
	server_path(m, c->name, path, sizeof(path));
	char *argv[4] = { (char *)c->name, NULL, NULL, NULL };

	argv[1] = "-c";
	argv[2] = m->snapshot_path;
	execv(path, argv);
	_exit(127);
}

static void spawn(const struct master *m, struct child *c)
{
	pid_t master_pid = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		log_error(NULL, "fork-failed child=%s error=%s", c->name,
			  strerror(errno));
		ts_set(&c->restart_at, now_secs() + 1);
		c->pid = 0;
		return;
	}
	if (pid == 0)
		exec_child(m, c, master_pid);
	c->pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	log_info(NULL, "started child=%s worker=%u pid=%ld", c->name, c->index,
		 (long)pid);
}

int master_check_servers(const struct master *m, const char **missing_r)
{
	static const char *const names[] = { "deliver", "qmgr",  "relay",
					     "authd",   "smtpd", "pop3d",
					     "imapd",   "ocspd",   "httpd",
					     "sieved" };
	static char path[4096];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		server_path(m, names[i], path, sizeof(path));
		if (access(path, X_OK) < 0) {
			*missing_r = path;
			return -1;
		}
	}
	return 0;
}

/* authd is needed by any server that takes logins; one per core unless
 * set. */
static unsigned authd_workers(const struct postroom_settings *s)
{
	if (listen_server_workers(s, "smtpd") == 0 &&
	    listen_server_workers(s, "pop3d") == 0 &&
	    listen_server_workers(s, "imapd") == 0 &&
	    listen_server_workers(s, "httpd") == 0 &&
	    listen_server_workers(s, "sieved") == 0)
		return 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	return s->authd.workers != 0 ? s->authd.workers
	       : cores > 0	     ? (unsigned)cores
				     : 1;
}

int master_bind_auth(struct master *m, const char **what_r)
{
	char *path = settings_data_path(&m->settings, "run/auth.sock");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*what_r = "socket path too long";
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* postroomd holds the pid lock: a socket file left here is stale */
	if (unlink(path) < 0 && errno != ENOENT) {
		*what_r = "unlink";
		goto fail;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*what_r = "socket";
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*what_r = "bind";
		goto fail;
	}
	if (chmod(path, 0600) < 0) {
		*what_r = "chmod";
		goto fail;
	}
	if (listen(fd, AUTH_BACKLOG) < 0) {
		*what_r = "listen";
		goto fail;
	}
	if (fd < AUTH_FD_FLOOR) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, AUTH_FD_FLOOR);
		if (high < 0) {
			*what_r = "fcntl";
			goto fail;
		}
		close(fd);
		fd = high;
	}
	m->auth_fd = fd;
	free(path);
	return 0;
fail:;
	int saved = errno;
	if (fd >= 0)
		close(fd);
	free(path);
	errno = saved;
	return -1;
}

/* ocspd keeps the stapled OCSP response fresh when the certificate names
 * a responder (lib/core/tls_ocsp.c). */
static unsigned ocspd_count(const struct postroom_settings *s)
{
	char *url = tls_ocsp_responder(s->tls_cert);
	unsigned n = url != NULL ? 1 : 0;
	free(url);
	return n;
}

static void add_generation(const struct master *m)
{
	generation++;
	const struct postroom_settings *s = &m->settings;
	const struct {
		const char *name;
		unsigned count;
	} kinds[] = {
		{ "deliver", 1 },
		{ "qmgr", 1 },
		{ "relay", 1 },
		{ "authd", authd_workers(s) },
		{ "smtpd", listen_server_workers(s, "smtpd") },
		{ "pop3d", listen_server_workers(s, "pop3d") },
		{ "imapd", listen_server_workers(s, "imapd") },
		{ "ocspd", ocspd_count(s) },
		{ "httpd", listen_server_workers(s, "httpd") },
		{ "sieved", listen_server_workers(s, "sieved") },
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char path[4096];
		server_path(m, kinds[k].name, path, sizeof(path));
		/* checked at start-up (master_check_servers); a server that
		 * vanished since is restarted with back-off like a crash */
		for (unsigned i = 0; i < kinds[k].count; i++) {
			children = xrealloc(children, (child_count + 1) *
							      sizeof(*children));
			struct child *c = &children[child_count++];
			memset(c, 0, sizeof(*c));
			c->name = kinds[k].name;
			c->index = i;
			c->generation = generation;
			spawn(m, c);
		}
	}
}

static void remove_child(size_t i)
{
	memmove(&children[i], &children[i + 1],
		(child_count - i - 1) * sizeof(*children));
	child_count--;
}

static void describe_status(int status, char *out, size_t size)
{
	if (WIFEXITED(status))
		snprintf(out, size, "exit=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, size, "signal=%d", WTERMSIG(status));
	else
		snprintf(out, size, "status=%d", status);
}

static void reap(bool is_stopping)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < child_count; i++) {
			struct child *c = &children[i];
			if (c->pid != pid)
				continue;
			char how[32];
			describe_status(status, how, sizeof(how));
			bool is_clean = WIFEXITED(status) &&
					WEXITSTATUS(status) == 0;
			if (is_stopping || c->is_retiring) {
				log_info(NULL, "stopped child=%s pid=%ld %s",
					 c->name, (long)pid, how);
				remove_child(i);
				break;
			}
			double lived = now_secs() - ts_secs(&c->started);
			if (lived < QUICK_EXIT_SECS)
				c->quick_exits++;
			else
				c->quick_exits = 0;
			/* Two quick deaths restart at once; after that the
			 * wait doubles up to a minute (crash-loop guard). */
			double delay = 0;
			if (c->quick_exits > 2) {
				unsigned shift = c->quick_exits - 3;
				delay = shift >= 6 ? MAX_BACKOFF_SECS
						   : (double)(1u << shift);
			}
			(is_clean ? log_info : log_warn)(NULL,
				"child-exited child=%s pid=%ld %s "
				"restart_in=%.0fs", c->name, (long)pid, how,
				delay);
			c->pid = 0;
			ts_set(&c->restart_at, now_secs() + delay);
			break;
		}
	}
}

static void restart_due(const struct master *m, double *next_r)
{
	double now = now_secs();
	for (size_t i = 0; i < child_count; i++) {
		struct child *c = &children[i];
		if (c->pid != 0)
			continue;
		double at = ts_secs(&c->restart_at);
		if (at <= now)
			spawn(m, c);
		else if (*next_r < 0 || at < *next_r)
			*next_r = at;
	}
}

static void signal_all(int sig, bool only_retiring)
{
	for (size_t i = 0; i < child_count; i++) {
		if (children[i].pid > 0 &&
		    (!only_retiring || children[i].is_retiring))
			kill(children[i].pid, sig);
	}
}

static size_t running_count(void)
{
	size_t n = 0;
	for (size_t i = 0; i < child_count; i++)
		n += children[i].pid > 0;
	return n;
}

static void stop_all(void)
{
	log_info(NULL, "stopping children=%zu", running_count());
	signal_all(SIGTERM, false);
	double deadline = now_secs() + SHUTDOWN_GRACE_SECS;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	while (running_count() > 0 && now_secs() < deadline) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		sigtimedwait(&set, NULL, &ts);
		reap(true);
	}
	if (running_count() > 0) {
		log_warn(NULL, "killing children=%zu after %ds",
			 running_count(), SHUTDOWN_GRACE_SECS);
		signal_all(SIGKILL, false);
		while (running_count() > 0 && waitpid(-1, NULL, 0) > 0)
			reap(true);
	}
}

int master_absolute_data_dir(struct postroom_settings *s)
{
	char real[PATH_MAX];
	if (realpath(s->data_dir, real) == NULL)
		return -1;
	free(s->data_dir);
	s->data_dir = xstrdup(real);
	return 0;
}

int master_write_snapshot(struct master *m)
{
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "# Written by postroomd: the configuration the "
			   "servers run with.\n# Edit the file postroomd was "
			   "started with, not this one.\n");
	settings_print(&m->settings, &b);
	int ret = file_write_atomic(m->snapshot_path, b.data, b.len, 0640);
	buf_deinit(&b);
	return ret;
}

static void reload(struct master *m)
{
	struct postroom_settings fresh;
	struct pool *pool = pool_new();
	const char *error;
	settings_init(&fresh);
	if (settings_load(&fresh, m->config_path, pool, &error) < 0) {
		log_error(NULL, "reload-failed error=\"%s\" (keeping the old "
			  "configuration)", error);
		settings_deinit(&fresh);
		pool_free(&pool);
		return;
	}
	pool_free(&pool);
	if (master_absolute_data_dir(&fresh) < 0 ||
	    strcmp(fresh.data_dir, m->settings.data_dir) != 0) {
		log_error(NULL, "reload-failed error=\"data_dir cannot change "
			  "on reload; restart postroomd\" (keeping the old "
			  "configuration)");
		settings_deinit(&fresh);
		return;
	}
	/* TLS files: keep what start-up settled on unless set anew. */
	if (fresh.tls_cert[0] == '\0') {
		free(fresh.tls_cert);
		fresh.tls_cert = xstrdup(m->settings.tls_cert);
	}
	if (fresh.tls_key[0] == '\0') {
		free(fresh.tls_key);
		fresh.tls_key = xstrdup(m->settings.tls_key);
	}
	if (!listen_same_config(&m->settings, &fresh)) {
		struct listener_set set;
		char *why = NULL;
		if (listen_bind_all(&fresh, &set, &why) < 0) {
			log_error(NULL, "reload-failed error=\"%s\" (keeping "
				  "the old configuration)", why);
			free(why);
			settings_deinit(&fresh);
			return;
		}
		listen_close_all(&m->listeners);
		m->listeners = set;
	}
	settings_deinit(&m->settings);
	m->settings = fresh;
	if (master_write_snapshot(m) < 0)
		log_error(NULL, "cannot write %s: %s", m->snapshot_path,
			  strerror(errno));
	for (size_t i = 0; i < child_count; i++)
		children[i].is_retiring = true;
	/* Children that were waiting for a restart simply go away. */
	for (size_t i = child_count; i-- > 0;) {
		if (children[i].pid == 0)
			remove_child(i);
	}
	signal_all(SIGTERM, true);
	add_generation(m);
	log_info(NULL, "reloaded generation=%u", generation);
}

int master_run(struct master *m)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	add_generation(m);
	for (;;) {
		double next = -1;
		restart_due(m, &next);
		struct timespec ts = { 1, 0 };
		if (next > 0) {
			double wait = next - now_secs();
			ts_set(&ts, wait > 0.01 ? (wait < 1 ? wait : 1) : 0.01);
		}
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGCHLD) {
			reap(false);
		} else if (sig == SIGHUP) {
			log_info(NULL, "reload requested");
			reload(m);
		} else if (sig == SIGTERM || sig == SIGINT) {
			log_info(NULL, "shutdown requested signal=%d", sig);
			stop_all();
			return 0;
		}
		/* SIGCHLD can be merged with another signal: always reap. */
		reap(false);
	}
}
