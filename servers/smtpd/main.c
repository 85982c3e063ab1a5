/* smtpd: started by postroomd with the listening sockets in POSTROOM_LISTEN
 * ("smtp:3 submission:4 submissions:5"; several workers accept on the same
 * fds). Reads the settings itself. SIGTERM closes the listeners at once,
 * lets transactions finish for up to 30 s, answers idle sessions 421 4.3.2
 * and exits 0. SIGHUP and SIGPIPE are ignored. */
#include "smtpd.h"
#include "auth/auth.h"
#include "core/event_loop.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "store/store.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMTPD_MAX_LISTENERS 16
#define SMTPD_SHUTDOWN_GRACE_MSECS 30000
#define SMTPD_AUTH_MAX_DELAY 16 /* seconds */
#define SMTPD_AUTH_FORGET 900   /* seconds */

struct smtpd_listener {
	struct smtpd *smtpd;
	enum smtpd_service service;
	int fd;
	struct net_listener *listener;
};

static struct smtpd_listener listeners[SMTPD_MAX_LISTENERS];
static size_t listener_count;
static struct event_timer *shutdown_timer;

static void smtpd_accept_cb(int fd, const struct sockaddr *addr, void *ctx)
{
	struct smtpd_listener *l = ctx;
	smtpd_client_accept(l->smtpd, l->service, fd, addr);
}

/* POSTROOM_LISTEN = listen *(SP listen); listen = service ":" fd */
static void smtpd_listen_parse(struct smtpd *smtpd, const char *env)
{
	char *copy = xstrdup(env), *save = NULL;
	for (char *tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(tok, ':');
		char *end = NULL;
		long fd = colon != NULL ? strtol(colon + 1, &end, 10) : -1;
		if (colon == NULL || end == colon + 1 || *end != '\0' || fd < 0)
			log_fatal(NULL, "bad POSTROOM_LISTEN entry '%s'", tok);
		*colon = '\0';
		enum smtpd_service service;
		if (strcmp(tok, "smtp") == 0)
			service = SMTPD_SERVICE_SMTP;
		else if (strcmp(tok, "submission") == 0)
			service = SMTPD_SERVICE_SUBMISSION;
		else if (strcmp(tok, "submissions") == 0)
			service = SMTPD_SERVICE_SUBMISSIONS;
		else
			log_fatal(NULL,
			          "unknown service '%s' in POSTROOM_LISTEN",
			          tok);
		if (listener_count == SMTPD_MAX_LISTENERS)
			log_fatal(NULL, "too many listeners");
		if (net_set_nonblock((int)fd) < 0)
			log_fatal(NULL, "fd %ld: %s", fd, strerror(errno));
		struct smtpd_listener *l = &listeners[listener_count++];
		l->smtpd = smtpd;
		l->service = service;
		l->fd = (int)fd;
		l->listener =
		    net_listener_new(smtpd->loop, l->fd, smtpd_accept_cb, l);
	}
	free(copy);
	if (listener_count == 0)
		log_fatal(NULL, "POSTROOM_LISTEN has no sockets");
}

static void smtpd_listeners_close(void)
{
	for (size_t i = 0; i < listener_count; i++) {
		if (listeners[i].listener == NULL)
			continue;
		net_listener_free(&listeners[i].listener);
		close(listeners[i].fd);
	}
}

static void smtpd_shutdown_timer_cb(void *ctx)
{
	struct smtpd *smtpd = ctx;
	log_info(NULL, "shutdown grace period over clients=%u",
	         smtpd->client_count);
	smtpd_client_close_all(smtpd);
}

static void smtpd_sigterm_cb(void *ctx)
{
	struct smtpd *smtpd = ctx;
	if (smtpd->is_shutting_down)
		return;
	smtpd->is_shutting_down = true;
	log_info(NULL, "shutdown clients=%u", smtpd->client_count);
	/* Free the ports at once so that a new master can bind them. */
	smtpd_listeners_close();
	if (smtpd->clients == NULL) {
		event_loop_stop(smtpd->loop);
		return;
	}
	smtpd_client_shutdown_all(smtpd);
	event_timer_set(shutdown_timer, SMTPD_SHUTDOWN_GRACE_MSECS);
}

static void smtpd_tls_load(struct smtpd *smtpd)
{
	char *cert = smtpd->set.tls_cert[0] != '\0'
	                 ? xstrdup(smtpd->set.tls_cert)
	                 : settings_data_path(&smtpd->set, "tls/cert.pem");
	char *key = smtpd->set.tls_key[0] != '\0'
	                ? xstrdup(smtpd->set.tls_key)
	                : settings_data_path(&smtpd->set, "tls/key.pem");
	const char *error;
	if (tls_server_new(cert, key, &smtpd->tls, &error) < 0) {
		/* Plain SMTP on 25 still works; 465 refuses connections. */
		log_error(NULL, "tls disabled: %s", error);
		smtpd->tls = NULL;
	}
	free(cert);
	free(key);
}

static void smtpd_init(struct smtpd *smtpd, const char *config)
{
	struct pool *pool = pool_new();
	const char *error;
	settings_init(&smtpd->set);
	if (settings_load(&smtpd->set, config, pool, &error) < 0)
		log_fatal(NULL, "config: %s", error);
	pool_free(&pool);
	enum log_level level = LOG_LEVEL_INFO;
	(void)log_level_parse(smtpd->set.log_level, &level);
	log_open("smtpd",
	         strcmp(smtpd->set.log, "syslog") == 0 ? LOG_TARGET_SYSLOG
	                                               : LOG_TARGET_STDERR,
	         level);
	smtpd->hostname = settings_hostname(&smtpd->set);
	smtpd->queue_dir = settings_data_path(&smtpd->set, "queue");
	struct store_settings ss = {
	    .data_dir = smtpd->set.data_dir,
	    .default_quota = smtpd->set.deliver.default_quota,
	};
	if (store_open(&ss, &smtpd->store, &error) < 0)
		log_fatal(NULL, "store: %s", error);
	smtpd_tls_load(smtpd);
	smtpd->throttle =
	    auth_throttle_new(SMTPD_AUTH_MAX_DELAY, SMTPD_AUTH_FORGET);
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
	};
}

static void smtpd_deinit(struct smtpd *smtpd)
{
	smtpd_listeners_close();
	auth_throttle_free(&smtpd->throttle);
	tls_server_free(&smtpd->tls);
	store_close(&smtpd->store);
	free(smtpd->hostname);
	free(smtpd->queue_dir);
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
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
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
	smtpd_listen_parse(&smtpd, listen);
	struct event_signal *sigterm =
	    event_signal_new(smtpd.loop, SIGTERM, smtpd_sigterm_cb, &smtpd);
	struct event_signal *sigint =
	    event_signal_new(smtpd.loop, SIGINT, smtpd_sigterm_cb, &smtpd);
	shutdown_timer =
	    event_timer_new(smtpd.loop, smtpd_shutdown_timer_cb, &smtpd);
	log_info(NULL, "started listeners=%zu tls=%s", listener_count,
	         smtpd.tls != NULL ? "yes" : "no");
	int ret = event_loop_run(smtpd.loop);
	log_info(NULL, "stopped");
	event_timer_free(&shutdown_timer);
	event_signal_free(&sigterm);
	event_signal_free(&sigint);
	smtpd_deinit(&smtpd);
	event_loop_free(&smtpd.loop);
	return ret < 0 ? 1 : 0;
}
