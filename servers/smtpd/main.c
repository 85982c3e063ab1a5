/* smtpd: started by postroomd with the listening sockets in POSTROOM_LISTEN
 * ("smtp:3 submission:4 submissions:5"; several workers accept on the same
 * fds), taken up by lib/core/service.c. Reads the settings itself. SIGTERM
 * closes the listeners at once, lets transactions finish for up to 30 s,
 * answers idle sessions 421 4.3.2 and exits 0. SIGHUP and SIGPIPE are
 * ignored. */
#include "smtpd.h"
#include "smtp/smtp_release.h"
#include "auth/auth.h"
#include "auth/auth_client.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/service.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "store/store.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMTPD_SHUTDOWN_GRACE_MSECS 30000

/* Indexed by enum smtpd_service. */
static const char *const smtpd_service_names[] = {"smtp", "submission",
                                                  "submissions", NULL};

static void smtpd_accept_cb(unsigned name_idx, int fd,
                            const struct sockaddr *addr, void *ctx)
{
	smtpd_client_accept(ctx, (enum smtpd_service)name_idx, fd, addr);
}

static void smtpd_grace_over_cb(void *ctx)
{
	struct smtpd *smtpd = ctx;
	log_info(NULL, "shutdown grace period over clients=%u",
	         service_conn_count(smtpd->service));
	smtpd_client_close_all(smtpd);
}

static void smtpd_stop_cb(void *ctx)
{
	struct smtpd *smtpd = ctx;
	smtpd->is_shutting_down = true;
	log_info(NULL, "shutdown clients=%u",
	         service_conn_count(smtpd->service));
	if (smtpd->clients == NULL) {
		event_loop_stop(smtpd->loop);
		return;
	}
	smtpd_client_shutdown_all(smtpd);
}

static const struct service_callbacks smtpd_service_callbacks = {
    .accept = smtpd_accept_cb,
    .stop = smtpd_stop_cb,
    .grace_over = smtpd_grace_over_cb,
};

static void smtpd_tls_load(struct smtpd *smtpd)
{
	const char *error;
	if (service_tls_load(smtpd->set.tls_cert, smtpd->set.tls_key,
	                     smtpd->set.data_dir, &smtpd->tls, &error) < 0) {
		/* Plain SMTP on 25 still works; 465 refuses connections. */
		log_error(NULL, "tls disabled: %s", error);
		smtpd->tls = NULL;
	}
}

static void smtpd_init(struct smtpd *smtpd, const char *config)
{
	struct pool *pool = pool_new();
	const char *error;
	if (settings_open(&smtpd->set, "smtpd", config, pool, &error) < 0)
		log_fatal(NULL, "config: %s", error);
	pool_free(&pool);
	smtpd->hostname = settings_hostname(&smtpd->set);
	smtpd->queue_dir = settings_data_path(&smtpd->set, "queue");
	smtpd->auth_socket =
	    settings_data_path(&smtpd->set, "run/" AUTH_SOCKET_NAME);
	struct store_settings ss = {
	    .data_dir = smtpd->set.data_dir,
	    .default_quota = smtpd->set.deliver.default_quota,
	    .postmaster = smtpd->set.postmaster,
	};
	if (store_open(&ss, &smtpd->store, &error) < 0)
		log_fatal(NULL, "store: %s", error);
	smtpd_tls_load(smtpd);
	const struct smtpd_settings *s = &smtpd->set.smtpd;
	smtpd->smtp_set = (struct smtp_server_settings){
	    .hostname = smtpd->hostname,
	    .max_message_size = s->max_message_size,
	    .max_recipients = s->max_recipients,
	    .max_command_line = s->max_command_line,
	    .max_text_line = s->max_text_line,
	    .max_errors = s->max_errors,
	    .idle_timeout = s->idle_timeout,
	    .data_timeout = s->data_timeout,
	    .login_timeout = s->login_timeout,
	    .line_timeout = s->line_timeout,
	    .min_data_rate = s->min_data_rate,
	    /* RFC 4865 §3: the interval has at most 9 digits */
	    .future_release_max =
	        s->future_release_max > SMTP_RELEASE_INTERVAL_MAX
	            ? SMTP_RELEASE_INTERVAL_MAX
	            : s->future_release_max,
	    .handshake_timeout = smtpd->set.tls_handshake_timeout,
	};
}

static void smtpd_deinit(struct smtpd *smtpd)
{
	service_free(&smtpd->service);
	tls_server_free(&smtpd->tls);
	store_close(&smtpd->store);
	free(smtpd->hostname);
	free(smtpd->queue_dir);
	free(smtpd->auth_socket);
	settings_deinit(&smtpd->set);
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		config = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: smtpd [-c CONFIG]\n");
		return 2;
	}
	const char *listen = getenv("POSTROOM_LISTEN");
	if (listen == NULL || listen[0] == '\0') {
		fprintf(stderr, "smtpd: POSTROOM_LISTEN is not set "
		                "(smtpd is started by postroomd)\n");
		return 2;
	}
	struct smtpd smtpd;
	memset(&smtpd, 0, sizeof(smtpd));
	smtpd_init(&smtpd, config);
	smtpd.loop = event_loop_new();
	const char *error;
	if (smtpd_mailauth_init(&smtpd, &error) < 0)
		log_fatal(NULL, "mailauth: %s", error);
	const struct service_settings service_set = {
	    .names = smtpd_service_names,
	    .max_connections = smtpd.set.smtpd.max_connections,
	    .max_connections_per_ip = smtpd.set.smtpd.max_connections_per_ip,
	    .grace_msecs = SMTPD_SHUTDOWN_GRACE_MSECS,
	};
	if (service_new(smtpd.loop, listen, &service_set,
	                &smtpd_service_callbacks, &smtpd, &smtpd.service,
	                &error) < 0)
		log_fatal(NULL, "%s", error);
	log_info(NULL, "started listeners=%zu tls=%s",
	         service_listener_count(smtpd.service),
	         smtpd.tls != NULL ? "yes" : "no");
	int ret = event_loop_run(smtpd.loop);
	log_info(NULL, "stopped");
	smtpd_mailauth_deinit(&smtpd);
	smtpd_deinit(&smtpd);
	event_loop_free(&smtpd.loop);
	return ret < 0 ? 1 : 0;
}
