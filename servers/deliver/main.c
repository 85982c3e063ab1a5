/* deliver [-c CONFIG]: the local delivery server. Listens on the UNIX
 * stream socket data_dir/run/deliver.sock (mode 0600) for qmgr's requests
 * (deliver.h gives the protocol), one line each, answered in order. The
 * requests waiting when deliver reads (at most DELIVER_BATCH_MAX) are
 * handled together as one group commit, synchronously, since SQLite and
 * fsync block anyway. SIGTERM ends the loop once the current batch is
 * answered. */
#include "deliver/deliver.h"
#include "deliver/deliver_rules.h"
#include "config/settings.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "queue/queue.h"
#include "store/store.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DELIVER_CACHE_SIZE 32
#define DELIVER_BATCH_MAX 64 /* requests per group commit */

struct client {
	struct server *srv;
	struct bufferevent *bev;
	struct client *prev, *next;
};

struct server {
	struct event_base *base;
	struct deliver *deliver;
	struct client *clients;
	struct event *idle; /* one piece of idle work per loop turn */
};

static void idle_schedule(struct server *srv)
{
	static const struct timeval now = {0, 0};
	if (deliver_has_idle_work(srv->deliver) &&
	    !event_pending(srv->idle, EV_TIMEOUT, NULL))
		event_add(srv->idle, &now);
}

/* Requests are served first: they have the higher priority (0), so idle
 * work runs only in loop turns where no request is ready. */
static void idle_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct server *srv = ctx;
	deliver_idle_work(srv->deliver);
	idle_schedule(srv);
}

static void client_free(struct client **cp)
{
	struct client *c = *cp;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	free(c);
	*cp = NULL;
}

/* At exit: writes out replies still buffered, so qmgr sees the answer to
 * the request that was handled last, then closes every connection. */
static void clients_close(struct server *srv)
{
	while (srv->clients != NULL) {
		struct client *c = srv->clients;
		struct evbuffer *out = bufferevent_get_output(c->bev);
		evutil_socket_t fd = bufferevent_getfd(c->bev);
		if (fcntl(fd, F_SETFL, 0) == 0) {
			while (evbuffer_get_length(out) > 0 &&
			       evbuffer_write(out, fd) > 0)
				;
		}
		client_free(&c);
	}
}

static void client_read_cb(struct bufferevent *bev, void *ctx)
{
	struct client *c = ctx;
	struct server *srv = c->srv;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *lines[DELIVER_BATCH_MAX];
	size_t lens[DELIVER_BATCH_MAX], count;
	struct buf out;
	buf_init(&out);
	do {
		for (count = 0; count < DELIVER_BATCH_MAX; count++) {
			lines[count] =
			    evbuffer_readln(in, &lens[count], EVBUFFER_EOL_LF);
			if (lines[count] == NULL)
				break;
		}
		if (count == 0)
			break;
		deliver_batch(srv->deliver, (const char *const *)lines, lens,
		              count, &out);
		for (size_t i = 0; i < count; i++)
			free(lines[i]);
		bufferevent_write(bev, out.data, out.len);
		buf_truncate(&out, 0);
	} while (count == DELIVER_BATCH_MAX &&
	         !event_base_got_break(srv->base));
	buf_deinit(&out);
	idle_schedule(srv);
	if (evbuffer_get_length(in) > IPC_RECORD_MAX_LEN) {
		log_warn(NULL, "disconnect reason=request too long");
		client_free(&c);
	}
}

static void client_event_cb(struct bufferevent *bev, short what, void *ctx)
{
	struct client *c = ctx;
	if ((what & BEV_EVENT_ERROR) != 0)
		log_warn(NULL, "disconnect error=%s", strerror(errno));
	client_free(&c);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int socklen, void *ctx)
{
	struct server *srv = ctx;
	struct bufferevent *bev =
	    bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	struct client *c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->bev = bev;
	c->next = srv->clients;
	if (c->next != NULL)
		c->next->prev = c;
	srv->clients = c;
	bufferevent_setcb(bev, client_read_cb, NULL, client_event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void signal_cb(evutil_socket_t sig, short what, void *ctx)
{
	struct server *srv = ctx;
	log_info(NULL, "stopping signal=%d", (int)sig);
	event_base_loopbreak(srv->base);
}

/* Binds a UNIX stream socket at path with mode 0600, replacing a stale
 * one. Returns the fd, or -1 with errno set. */
static int socket_listen(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)unlink(path);
	mode_t old = umask(0177);
	int ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	/* libevent accepts until EAGAIN */
	if (ret < 0 || listen(fd, 16) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void settings_read(int argc, char **argv, struct postroom_settings *s,
                          struct pool *pool)
{
	const char *config = NULL, *error;
	int c;
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c')
			log_fatal(NULL, "usage: deliver [-c CONFIG]");
		config = optarg;
	}
	if (settings_open(s, "deliver", config, pool, &error) < 0)
		log_fatal(NULL, "config-failed error=%s", error);
}

/* The delivery rules' settings from the [deliver] section. Strings are
 * copied by deliver_set_rules. */
static void rules_configure(struct deliver *d, const struct postroom_settings *s)
{
	struct deliver_rules_settings set;
	deliver_rules_settings_init(&set);
	char *hostname = settings_hostname(s);
	char *sieve_dir = s->deliver.sieve_dir[0] != '\0'
	                      ? xstrdup(s->deliver.sieve_dir)
	                      : settings_data_path(s, "sieve");
	set.is_enabled = s->deliver.sieve;
	set.sieve_dir = sieve_dir;
	set.hostname = hostname;
	set.sieve.max_script_size = (size_t)s->deliver.sieve_max_script_size;
	set.sieve.max_actions = s->deliver.sieve_max_actions;
	set.sieve.max_redirects = s->deliver.sieve_max_redirects;
	set.sieve.max_steps = s->deliver.sieve_max_steps;
	set.sieve.vacation_min_period = s->deliver.sieve_vacation_min_period;
	set.sieve.vacation_max_period = s->deliver.sieve_vacation_max_period;
	set.use_srs = s->deliver.sieve_redirect_srs;
	/* the mail rules send is signed like submitted mail
	   (doc/authentication.md) */
	set.sign_data_dir = s->mailauth.sign ? s->data_dir : NULL;
	set.dkim_lifetime = s->mailauth.dkim_signature_lifetime;
	if (s->mailauth.arc_seal) {
		set.data_dir = s->data_dir;
		set.authserv_id = s->mailauth.authserv_id[0] != '\0'
		                      ? s->mailauth.authserv_id
		                      : hostname;
	}
	deliver_set_rules(d, &set);
	free(hostname);
	free(sieve_dir);
}

static int server_run(struct server *srv, const char *sock_path)
{
	int fd = socket_listen(sock_path);
	if (fd < 0)
		log_fatal(NULL, "listen-failed path=%s error=%s", sock_path,
		          strerror(errno));
	struct evconnlistener *l = evconnlistener_new(
	    srv->base, accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	struct event *term = evsignal_new(srv->base, SIGTERM, signal_cb, srv);
	struct event *intr = evsignal_new(srv->base, SIGINT, signal_cb, srv);
	if (l == NULL || term == NULL || intr == NULL ||
	    event_add(term, NULL) < 0 || event_add(intr, NULL) < 0)
		log_fatal(NULL, "event-setup-failed");
	log_info(NULL, "started path=%s", sock_path);
	int ret = event_base_dispatch(srv->base);
	clients_close(srv);
	evconnlistener_free(l);
	event_free(term);
	event_free(intr);
	(void)unlink(sock_path);
	return ret < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct postroom_settings s;
	struct pool *pool = pool_new();
	struct store *store;
	const char *error;
	settings_read(argc, argv, &s, pool);
	signal(SIGPIPE, SIG_IGN);

	char *queue_dir = settings_data_path(&s, "queue");
	char *run_dir = settings_data_path(&s, "run");
	char *sock_path = settings_data_path(&s, "run/deliver.sock");
	if (queue_dirs_create(queue_dir, &error) < 0 ||
	    file_mkdirs(run_dir, 0700) < 0)
		log_fatal(NULL, "mkdir-failed data_dir=%s", s.data_dir);
	struct store_settings store_set = {
	    .data_dir = s.data_dir,
	    .default_quota = s.deliver.default_quota,
	};
	if (store_open(&store_set, &store, &error) < 0)
		log_fatal(NULL, "store-open-failed error=%s", error);

	struct server srv = {.base = event_base_new()};
	if (srv.base == NULL || event_base_priority_init(srv.base, 2) < 0)
		log_fatal(NULL, "event-base-failed");
	srv.idle = evtimer_new(srv.base, idle_cb, &srv);
	if (srv.idle == NULL || event_priority_set(srv.idle, 1) < 0)
		log_fatal(NULL, "event-setup-failed");
	srv.deliver = deliver_new(store, queue_dir, DELIVER_CACHE_SIZE);
	rules_configure(srv.deliver, &s);
	int ret = server_run(&srv, sock_path);

	deliver_free(&srv.deliver);
	event_free(srv.idle);
	event_base_free(srv.base);
	store_close(&store);
	free(queue_dir);
	free(run_dir);
	free(sock_path);
	settings_deinit(&s);
	pool_free(&pool);
	log_info(NULL, "stopped");
	return ret;
}
