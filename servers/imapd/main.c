/* imapd: started by postroomd with the listening sockets in POSTROOM_LISTEN
 * ("imap:3 imaps:4"; several workers accept on the same fds), reads the
 * settings itself, and serves IMAP4rev2/IMAP4rev1 (RFC 9051, RFC 3501) on
 * 143 with STARTTLS and 993 with implicit TLS (RFC 8314). SIGTERM closes
 * the listeners at once, ends idle sessions with "* BYE" and lets running
 * commands finish within the grace period. */
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "imapd.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAPD_GC_MSECS 5000

static const char *const service_names[] = {"imap", "imaps", NULL};

static void imapd_accept_cb(unsigned name_idx, int fd,
                            const struct sockaddr *addr, void *ctx)
{
	imapd_client_accept(ctx, name_idx == 1, fd, addr);
}

static void imapd_stop_cb(void *ctx)
{
	struct imapd *imapd = ctx;
	log_info(NULL, "shutdown clients=%u", imapd->client_count);
	if (imapd->clients == NULL) {
		event_loop_stop(imapd->loop);
		return;
	}
	imapd_client_close_all(imapd, true);
}

static void imapd_grace_over_cb(void *ctx)
{
	struct imapd *imapd = ctx;
	log_info(NULL, "shutdown grace period over clients=%u",
	         imapd->client_count);
	imapd_client_close_all(imapd, false);
}

static void imapd_init(struct imapd *imapd, const char *config)
{
	struct pool *pool = pool_new();
	const char *error;
	if (settings_open(&imapd->set, "imapd", config, pool, &error) < 0)
		log_fatal(NULL, "config: %s", error);
	pool_free(&pool);
	struct store_settings ss = {
	    .data_dir = imapd->set.data_dir,
	    .default_quota = imapd->set.deliver.default_quota,
	};
	if (store_open(&ss, &imapd->store, &error) < 0)
		log_fatal(NULL, "store: %s", error);
	if (service_tls_load(imapd->set.tls_cert, imapd->set.tls_key,
	                     imapd->set.data_dir, &imapd->tls, &error) < 0) {
		/* Plain IMAP still works; 993 refuses connections. */
		log_error(NULL, "tls disabled: %s", error);
		imapd->tls = NULL;
	}
	imapd->auth_socket =
	    settings_data_path(&imapd->set, "run/" AUTH_SOCKET_NAME);
	imapd->watcher = store_watcher_new(imapd->store);
	if (imapd->watcher == NULL)
		log_fatal(NULL, "inotify: cannot watch the store");
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		config = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: imapd [-c CONFIG]\n");
		return 2;
	}
	const char *listen = getenv("POSTROOM_LISTEN");
	if (listen == NULL || listen[0] == '\0') {
		fprintf(stderr, "imapd: POSTROOM_LISTEN is not set "
		                "(imapd is started by postroomd)\n");
		return 2;
	}
	struct imapd imapd;
	memset(&imapd, 0, sizeof(imapd));
	imapd_init(&imapd, config);
	imapd.loop = event_loop_new();
	const struct service_settings sset = {
	    .names = service_names,
	    .max_connections = imapd.set.imapd.max_connections,
	    .max_connections_per_ip = imapd.set.imapd.max_connections_per_ip,
	};
	const struct service_callbacks cbs = {
	    .accept = imapd_accept_cb,
	    .stop = imapd_stop_cb,
	    .grace_over = imapd_grace_over_cb,
	};
	const char *error;
	if (service_new(imapd.loop, listen, &sset, &cbs, &imapd, &imapd.service,
	                &error) < 0)
		log_fatal(NULL, "POSTROOM_LISTEN: %s", error);
	imapd.watch_io =
	    event_io_new(imapd.loop, store_watcher_fd(imapd.watcher),
	                 imapd_user_watch_cb, &imapd);
	event_io_set_enabled(imapd.watch_io, true);
	imapd.gc_timer = event_timer_new(imapd.loop, imapd_user_gc_cb, &imapd);
	event_timer_set(imapd.gc_timer, IMAPD_GC_MSECS);
	log_info(NULL, "started listeners=%zu tls=%s",
	         service_listener_count(imapd.service),
	         imapd.tls != NULL ? "yes" : "no");
	int ret = event_loop_run(imapd.loop);
	log_info(NULL, "stopped");
	imapd_client_free_all(&imapd);
	event_timer_free(&imapd.gc_timer);
	event_io_free(&imapd.watch_io);
	service_free(&imapd.service);
	store_watcher_free(&imapd.watcher);
	free(imapd.auth_socket);
	tls_server_free(&imapd.tls);
	store_close(&imapd.store);
	settings_deinit(&imapd.set);
	event_loop_free(&imapd.loop);
	return ret < 0 ? 1 : 0;
}
