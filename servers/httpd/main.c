/* httpd: started by postroomd with the listening sockets in POSTROOM_LISTEN
 * ("http:3 https:4"), taken up by lib/core/service.c. Reads the settings
 * itself, opens the store (local domains now; DAV and JMAP later), loads
 * the certificate the other servers use, and serves the routes of
 * httpd_routes.c through lib/http. SIGTERM closes the listeners at once,
 * idle connections at once and busy ones after their current response,
 * and exits 0; SIGHUP and SIGPIPE are ignored (postroomd reloads by
 * starting a new generation). */
#include "auth/auth_client.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "httpd.h"
#include "jmap_server.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HTTPD_SHUTDOWN_GRACE_MSECS 30000

/* Indexed by enum httpd_service. */
static const char *const httpd_service_names[] = {"http", "https", NULL};

static void httpd_accept_cb(unsigned name_idx, int fd,
                            const struct sockaddr *addr, void *ctx)
{
	httpd_client_accept(ctx, (enum httpd_service)name_idx, fd, addr);
}

static void httpd_stop_cb(void *ctx)
{
	struct httpd *httpd = ctx;
	log_info(NULL, "shutdown clients=%u",
	         service_conn_count(httpd->service));
	if (httpd->clients == NULL) {
		event_loop_stop(httpd->loop);
		return;
	}
	httpd_client_shutdown_all(httpd);
}

static void httpd_grace_over_cb(void *ctx)
{
	struct httpd *httpd = ctx;
	log_info(NULL, "shutdown grace period over clients=%u",
	         service_conn_count(httpd->service));
	httpd_client_close_all(httpd);
}

static const struct service_callbacks httpd_service_callbacks = {
    .accept = httpd_accept_cb,
    .stop = httpd_stop_cb,
    .grace_over = httpd_grace_over_cb,
};

/* lib/http's settings from [httpd]: one set for every route, one for the
 * plain port's redirects (the same limits, another router). */
static void httpd_http_settings(struct httpd *httpd)
{
	const struct httpd_settings *hs = &httpd->set.httpd;
	struct http_server_settings *set = &httpd->http_set;
	set->parser.max_request_line = hs->max_request_line;
	set->parser.max_header_bytes = (size_t)hs->max_header_bytes;
	set->parser.max_headers = hs->max_headers;
	set->body_memory_max = (size_t)hs->body_memory_max;
	set->tmp_dir = httpd->tmp_dir;
	set->idle_timeout = hs->idle_timeout;
	set->header_timeout = hs->header_timeout;
	set->body_timeout = hs->body_timeout;
	set->request_rate = hs->request_rate;
	set->request_burst = hs->request_burst;
	set->hsts_max_age = hs->hsts_max_age;
	set->tls_timeout = httpd->set.tls_handshake_timeout;
	set->realm = "Postroom";
	set->allow_plaintext_auth = false;
	set->allow_loopback_plaintext_auth = httpd->set.plaintext_auth_loopback;
	set->router = httpd->router;
	set->auth_cookie = HTTPD_SESSION_COOKIE_TLS;
	httpd->plain_set = *set;
	httpd->plain_set.auth_cookie = HTTPD_SESSION_COOKIE_PLAIN;
	httpd->redirect_set = *set;
	httpd->redirect_set.router = httpd->redirect_router;
}

static void httpd_init(struct httpd *httpd, const char *config)
{
	struct pool *pool = pool_new();
	const char *error;
	if (settings_open(&httpd->set, "httpd", config, pool, &error) < 0)
		log_fatal(NULL, "config: %s", error);
	pool_free(&pool);
	struct store_settings ss = {
	    .data_dir = httpd->set.data_dir,
	    .default_quota = httpd->set.deliver.default_quota,
	};
	if (store_open(&ss, &httpd->store, &error) < 0)
		log_fatal(NULL, "store: %s", error);
	if (service_tls_load(httpd->set.tls_cert, httpd->set.tls_key,
	                     httpd->set.data_dir, &httpd->tls, &error) < 0) {
		/* the plain port still works; HTTPS refuses connections */
		log_error(NULL, "tls disabled: %s", error);
		httpd->tls = NULL;
	}
	httpd->auth_socket =
	    settings_data_path(&httpd->set, "run/" AUTH_SOCKET_NAME);
	httpd->tmp_dir = settings_data_path(&httpd->set, "run/http-tmp");
	if (mkdir(httpd->tmp_dir, 0700) < 0 && errno != EEXIST)
		log_fatal(NULL, "mkdir %s: %s", httpd->tmp_dir,
		          strerror(errno));
	httpd->hostname = settings_hostname(&httpd->set);
	httpd->web_root = xstrdup(httpd->set.httpd.web_root[0] != '\0'
	                              ? httpd->set.httpd.web_root
	                              : POSTROOM_WEB_DIR);
	httpd->started = time(NULL);
	settings_endpoint_list(&httpd->set, httpd->endpoints);
	jmap_server_configure(&httpd->set);
	httpd_routes_init(httpd);
	httpd_http_settings(httpd);
}

static void httpd_deinit(struct httpd *httpd)
{
	service_free(&httpd->service);
	httpd_routes_deinit(httpd);
	tls_server_free(&httpd->tls);
	store_close(&httpd->store);
	free(httpd->auth_socket);
	free(httpd->tmp_dir);
	free(httpd->hostname);
	free(httpd->web_root);
	settings_deinit(&httpd->set);
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		config = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: httpd [-c CONFIG]\n");
		return 2;
	}
	const char *listen = getenv("POSTROOM_LISTEN");
	if (listen == NULL || listen[0] == '\0') {
		fprintf(stderr, "httpd: POSTROOM_LISTEN is not set "
		                "(httpd is started by postroomd)\n");
		return 2;
	}
	struct httpd *httpd = xcalloc(1, sizeof(*httpd));
	httpd_init(httpd, config);
	httpd->loop = event_loop_new();
	const struct service_settings service_set = {
	    .names = httpd_service_names,
	    .max_connections = httpd->set.httpd.max_connections,
	    .max_connections_per_ip = httpd->set.httpd.max_connections_per_ip,
	    .grace_msecs = HTTPD_SHUTDOWN_GRACE_MSECS,
	};
	const char *error;
	if (service_new(httpd->loop, listen, &service_set,
	                &httpd_service_callbacks, httpd, &httpd->service,
	                &error) < 0)
		log_fatal(NULL, "%s", error);
	log_info(NULL, "started listeners=%zu tls=%s",
	         service_listener_count(httpd->service),
	         httpd->tls != NULL ? "yes" : "no");
	int ret = event_loop_run(httpd->loop);
	log_info(NULL, "stopped");
	httpd_deinit(httpd);
	event_loop_free(&httpd->loop);
	free(httpd);
	return ret < 0 ? 1 : 0;
}
