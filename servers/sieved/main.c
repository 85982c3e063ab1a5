/* sieved: started by postroomd with its listening socket in
 * POSTROOM_LISTEN ("sieve:3"), taken up by lib/core/service.c. Reads the
 * settings itself. SIGTERM closes the listener at once and the sessions
 * once their current command is done, and exits 0. SIGHUP and SIGPIPE are
 * ignored. */
#include "sieved.h"
#include "auth/auth_client.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIEVED_SHUTDOWN_GRACE_MSECS 30000

static const char *const sieved_service_names[] = {"sieve", NULL};

static void sieved_accept_cb(unsigned name_idx, int fd,
                             const struct sockaddr *addr, void *ctx)
{
	(void)name_idx;
	sieved_client_accept(ctx, fd, addr);
}

static void sieved_stop_cb(void *ctx)
{
	struct sieved *s = ctx;
	log_info(NULL, "shutdown clients=%u", service_conn_count(s->service));
	if (s->clients == NULL) {
		event_loop_stop(s->loop);
		return;
	}
	sieved_client_shutdown_all(s);
}

static void sieved_grace_over_cb(void *ctx)
{
	struct sieved *s = ctx;
	log_info(NULL, "shutdown grace period over clients=%u",
	         service_conn_count(s->service));
	sieved_client_close_all(s);
}

static const struct service_callbacks sieved_service_callbacks = {
    .accept = sieved_accept_cb,
    .stop = sieved_stop_cb,
    .grace_over = sieved_grace_over_cb,
};

static void sieved_init(struct sieved *s, const char *config)
{
	struct pool *pool = pool_new();
	const char *error;
	if (settings_open(&s->set, "sieved", config, pool, &error) < 0)
		log_fatal(NULL, "config: %s", error);
	pool_free(&pool);
	struct store_settings ss = {
	    .data_dir = s->set.data_dir,
	    .default_quota = s->set.deliver.default_quota,
	};
	if (store_open(&ss, &s->store, &error) < 0)
		log_fatal(NULL, "store: %s", error);
	if (service_tls_load(s->set.tls_cert, s->set.tls_key, s->set.data_dir,
	                     &s->tls, &error) < 0) {
		/* logins then work only from loopback (when allowed) */
		log_error(NULL, "tls disabled: %s", error);
		s->tls = NULL;
	}
	s->auth_socket = settings_data_path(&s->set, "run/" AUTH_SOCKET_NAME);
	/* scripts are compiled with the limits deliver runs them with */
	s->sieve = (struct sieve_settings)SIEVE_SETTINGS_DEFAULT;
	s->sieve.max_script_size = (size_t)s->set.deliver.sieve_max_script_size;
	s->sieve.max_actions = s->set.deliver.sieve_max_actions;
	s->sieve.max_redirects = s->set.deliver.sieve_max_redirects;
	s->sieve.max_steps = s->set.deliver.sieve_max_steps;
}

static void sieved_deinit(struct sieved *s)
{
	service_free(&s->service);
	tls_server_free(&s->tls);
	store_close(&s->store);
	free(s->auth_socket);
	settings_deinit(&s->set);
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		config = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: sieved [-c CONFIG]\n");
		return 2;
	}
	const char *listen = getenv("POSTROOM_LISTEN");
	if (listen == NULL || listen[0] == '\0') {
		fprintf(stderr, "sieved: POSTROOM_LISTEN is not set "
		                "(sieved is started by postroomd)\n");
		return 2;
	}
	struct sieved *s = xcalloc(1, sizeof(*s));
	sieved_init(s, config);
	s->loop = event_loop_new();
	const struct service_settings service_set = {
	    .names = sieved_service_names,
	    .max_connections = s->set.sieved.max_connections,
	    .max_connections_per_ip = s->set.sieved.max_connections_per_ip,
	    .grace_msecs = SIEVED_SHUTDOWN_GRACE_MSECS,
	};
	const char *error;
	if (service_new(s->loop, listen, &service_set,
	                &sieved_service_callbacks, s, &s->service, &error) < 0)
		log_fatal(NULL, "%s", error);
	log_info(NULL, "started listeners=%zu tls=%s",
	         service_listener_count(s->service),
	         s->tls != NULL ? "yes" : "no");
	int ret = event_loop_run(s->loop);
	log_info(NULL, "stopped");
	sieved_deinit(s);
	event_loop_free(&s->loop);
	free(s);
	return ret < 0 ? 1 : 0;
}
