/* relay [-c CONFIG]: the remote delivery server (relay.h gives the
 * protocol). Listens on the UNIX stream socket data_dir/run/relay.sock
 * (mode 0600) for qmgr, reads one request per line and answers as each
 * recipient's fate becomes known; everything runs on one event loop with
 * c-ares for DNS. SIGTERM stops at once: deliveries in flight are cut and
 * qmgr, which heard no result for them, tries them again later. */
#include "relay/relay.h"
#include "config/settings.h"
#include "core/conn.h"
#include "core/dns.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/net.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct relay_client {
	struct relay_server *srv;
	struct conn *conn;
	struct relay_client *prev, *next;
};

struct relay_server {
	struct relay relay;
	struct relay_client *clients;
};

static void client_free(struct relay_client *c)
{
	struct relay_server *srv = c->srv;
	relay_owner_gone(&srv->relay, c->conn);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	conn_free(&c->conn);
	free(c);
}

static void client_input_cb(struct conn *conn, void *ctx)
{
	struct relay_client *c = ctx;
	const char *line;
	size_t len;
	int ret;
	while ((ret = conn_read_line(conn, IPC_RECORD_MAX_LEN, &line, &len,
	                             NULL)) > 0)
		relay_request(&c->srv->relay, conn, line, len);
	if (ret < 0 && conn_last_error(conn) == CONN_ERROR_TOO_LONG)
		log_warn(NULL, "bad-request error=line too long");
}

static void client_closed_cb(struct conn *conn, enum conn_status status,
                             void *ctx)
{
	(void)conn;
	(void)status;
	client_free(ctx);
}

static void accept_cb(int fd, const struct sockaddr *addr, void *ctx)
{
	static const struct conn_callbacks cbs = {
	    .input = client_input_cb,
	    .closed = client_closed_cb,
	};
	static const struct conn_settings set = {
	    .input_max = IPC_RECORD_MAX_LEN * 2,
	    .output_max = 16 * 1024 * 1024,
	};
	struct relay_server *srv = ctx;
	struct relay_client *c = xcalloc(1, sizeof(*c));
	(void)addr;
	c->srv = srv;
	c->next = srv->clients;
	if (c->next != NULL)
		c->next->prev = c;
	srv->clients = c;
	c->conn = conn_new(srv->relay.loop, fd, NULL, &set, &cbs, c);
}

static void stop_cb(void *ctx)
{
	struct relay_server *srv = ctx;
	log_info(NULL, "stopping");
	event_loop_stop(srv->relay.loop);
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
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	(void)unlink(path);
	mode_t old = umask(0177);
	int ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || listen(fd, 16) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void config_fill(struct relay_config *cfg,
                        const struct postroom_settings *s, char *helo)
{
	const struct relay_settings *r = &s->relay;
	*cfg = (struct relay_config){
	    .helo_name = helo,
	    .data_dir = s->data_dir,
	    .mta_sts = r->mta_sts,
	    .dane = r->dane,
	    .tlsrpt = r->tlsrpt,
	    .mta_sts_port = r->mta_sts_port,
	    .mta_sts_timeout = r->mta_sts_timeout,
	    .smarthost = r->smarthost,
	    .smarthost_user = r->smarthost_user,
	    .smarthost_password = r->smarthost_password,
	    .transport_map = r->transport_map,
	    .require_tls = r->require_tls,
	    .allowed_literal_networks = r->allowed_literal_networks,
	    .mx_port = r->mx_port,
	    .max_per_destination = r->max_per_destination,
	    .max_messages_per_connection = r->max_messages_per_connection,
	    .connect_timeout = r->connect_timeout,
	    .command_timeout = r->command_timeout,
	    .data_timeout = r->data_timeout,
	};
}

static void settings_read(int argc, char **argv, struct postroom_settings *s,
                          struct pool *pool)
{
	const char *config = NULL, *error;
	int c;
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c')
			log_fatal(NULL, "usage: relay [-c CONFIG]");
		config = optarg;
	}
	if (settings_open(s, "relay", config, pool, &error) < 0)
		log_fatal(NULL, "config-failed error=%s", error);
}

int main(int argc, char **argv)
{
	struct postroom_settings s;
	struct pool *pool = pool_new();
	struct relay_server srv;
	const char *error;
	settings_read(argc, argv, &s, pool);
	signal(SIGPIPE, SIG_IGN);
	memset(&srv, 0, sizeof(srv));
	char *helo = settings_hostname(&s);
	char *run_dir = settings_data_path(&s, "run");
	char *sock_path = settings_data_path(&s, "run/relay.sock");
	srv.relay.queue_dir = settings_data_path(&s, "queue");
	srv.relay.loop = event_loop_new();
	config_fill(&srv.relay.cfg, &s, helo);
	if (file_mkdirs(run_dir, 0700) < 0)
		log_fatal(NULL, "mkdir-failed path=%s", run_dir);
	if (dns_new(srv.relay.loop, s.relay.dns_server, &srv.relay.dns,
	            &error) < 0)
		log_fatal(NULL, "dns-failed server=%s error=%s",
		          s.relay.dns_server, error);
	/* never failing a handshake itself: policies decide (relay_policy.c) */
	if (tls_client_new_verify(
	        s.relay.tls_ca_file[0] != '\0' ? s.relay.tls_ca_file : NULL,
	        false, &srv.relay.tls, &error) < 0)
		log_fatal(NULL, "tls-failed error=%s", error);
	int fd = socket_listen(sock_path);
	if (fd < 0)
		log_fatal(NULL, "listen-failed path=%s error=%s", sock_path,
		          strerror(errno));
	struct net_listener *l =
	    net_listener_new(srv.relay.loop, fd, accept_cb, &srv);
	struct event_signal *term =
	    event_signal_new(srv.relay.loop, SIGTERM, stop_cb, &srv);
	struct event_signal *intr =
	    event_signal_new(srv.relay.loop, SIGINT, stop_cb, &srv);
	log_info(NULL, "started path=%s dns=%s mta_sts=%s dane=%s", sock_path,
	         s.relay.dns_server[0] != '\0' ? s.relay.dns_server
	                                       : "resolv.conf",
	         s.relay.mta_sts ? "yes" : "no", s.relay.dane ? "yes" : "no");
	int ret = event_loop_run(srv.relay.loop) < 0 ? 1 : 0;

	net_listener_free(&l);
	close(fd);
	(void)unlink(sock_path);
	relay_dests_free(&srv.relay);
	relay_sts_free_all(&srv.relay);
	while (srv.clients != NULL)
		client_free(srv.clients);
	relay_messages_free(&srv.relay);
	dns_free(&srv.relay.dns);
	tls_client_free(&srv.relay.tls);
	event_signal_free(&term);
	event_signal_free(&intr);
	event_loop_free(&srv.relay.loop);
	free(srv.relay.queue_dir);
	free(helo);
	free(run_dir);
	free(sock_path);
	settings_deinit(&s);
	pool_free(&pool);
	log_info(NULL, "stopped");
	return ret;
}
