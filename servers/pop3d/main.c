/* pop3d: started by postroomd with the listening sockets in POSTROOM_LISTEN
 * ("pop3:3 pop3s:4"), taken up by lib/core/service.c. Reads the settings
 * itself. SIGTERM closes the listeners at once and the sessions once their
 * current response is written (nothing is expunged: RFC 1939 §6 UPDATE
 * happens only on QUIT), and exits 0. SIGHUP and SIGPIPE are ignored. */
#include "pop3d.h"
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define POP3D_SHUTDOWN_GRACE_MSECS 30000

/* Indexed by enum pop3d_service. */
static const char *const pop3d_service_names[] = {"pop3", "pop3s", NULL};

static void pop3d_accept_cb(unsigned name_idx, int fd,
                            const struct sockaddr *addr, void *ctx)
{
	pop3_client_accept(ctx, (enum pop3d_service)name_idx, fd, addr);
}

static void pop3d_stop_cb(void *ctx)
{
	struct pop3d *pop3d = ctx;
	log_info(NULL, "shutdown clients=%u",
	         service_conn_count(pop3d->service));
	if (pop3d->clients == NULL) {
		event_loop_stop(pop3d->loop);
		return;
	}
	pop3_client_shutdown_all(pop3d);
}

static void pop3d_grace_over_cb(void *ctx)
{
	struct pop3d *pop3d = ctx;
	log_info(NULL, "shutdown grace period over clients=%u",
	         service_conn_count(pop3d->service));
	pop3_client_close_all(pop3d);
}

static const struct service_callbacks pop3d_service_callbacks = {
    .accept = pop3d_accept_cb,
    .stop = pop3d_stop_cb,
    .grace_over = pop3d_grace_over_cb,
};

static void pop3d_init(struct pop3d *pop3d, const char *config)
{
	struct pool *pool = pool_new();
	const char *error;
	if (settings_open(&pop3d->set, "pop3d", config, pool, &error) < 0)
		log_fatal(NULL, "config: %s", error);
	pool_free(&pool);
	struct store_settings ss = {
	    .data_dir = pop3d->set.data_dir,
	    .default_quota = pop3d->set.deliver.default_quota,
	};
	if (store_open(&ss, &pop3d->store, &error) < 0)
		log_fatal(NULL, "store: %s", error);
	if (service_tls_load(pop3d->set.tls_cert, pop3d->set.tls_key,
	                     pop3d->set.data_dir, &pop3d->tls, &error) < 0) {
		/* POP3 on 110 still works; 995 refuses connections. */
		log_error(NULL, "tls disabled: %s", error);
		pop3d->tls = NULL;
	}
	pop3d->lock_dir = settings_data_path(&pop3d->set, "run/pop3-locks");
	pop3d->auth_socket =
	    settings_data_path(&pop3d->set, "run/" AUTH_SOCKET_NAME);
	if (mkdir(pop3d->lock_dir, 0700) < 0 && errno != EEXIST)
		log_fatal(NULL, "mkdir %s: %s", pop3d->lock_dir,
		          strerror(errno));
}

static void pop3d_deinit(struct pop3d *pop3d)
{
	service_free(&pop3d->service);
	tls_server_free(&pop3d->tls);
	store_close(&pop3d->store);
	free(pop3d->lock_dir);
	free(pop3d->auth_socket);
	settings_deinit(&pop3d->set);
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		config = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: pop3d [-c CONFIG]\n");
		return 2;
	}
	const char *listen = getenv("POSTROOM_LISTEN");
	if (listen == NULL || listen[0] == '\0') {
		fprintf(stderr, "pop3d: POSTROOM_LISTEN is not set "
		                "(pop3d is started by postroomd)\n");
		return 2;
	}
	struct pop3d *pop3d = xcalloc(1, sizeof(*pop3d));
	pop3d_init(pop3d, config);
	pop3d->loop = event_loop_new();
	const struct service_settings service_set = {
	    .names = pop3d_service_names,
	    .max_connections = pop3d->set.pop3d.max_connections,
	    .max_connections_per_ip = pop3d->set.pop3d.max_connections_per_ip,
	    .grace_msecs = POP3D_SHUTDOWN_GRACE_MSECS,
	};
	const char *error;
	if (service_new(pop3d->loop, listen, &service_set,
	                &pop3d_service_callbacks, pop3d, &pop3d->service,
	                &error) < 0)
		log_fatal(NULL, "%s", error);
	log_info(NULL, "started listeners=%zu tls=%s",
	         service_listener_count(pop3d->service),
	         pop3d->tls != NULL ? "yes" : "no");
	int ret = event_loop_run(pop3d->loop);
	log_info(NULL, "stopped");
	pop3d_deinit(pop3d);
	event_loop_free(&pop3d->loop);
	free(pop3d);
	return ret < 0 ? 1 : 0;
}
