/* ocspd [-c CONFIG]: keeps the OCSP response for the server's certificate
 * fresh in data_dir/tls/ocsp.der, where smtpd, pop3d and imapd staple it
 * (lib/core/tls_ocsp.c, RFC 6066 §8). postroomd starts one when tls_cert
 * names an OCSP responder (Authority Information Access). A plain blocking
 * loop with no event loop, so a slow responder delays nobody: check the
 * cached response; when it is missing, bad, or past the middle of its
 * thisUpdate..nextUpdate window, ask the responder (10 s at most) and
 * replace the file atomically; on failure try again after 1, 2, 4 ...
 * minutes, at most an hour; the old response is stapled meanwhile while it
 * is current. SIGTERM ends it at once: it holds nothing half-done. */
#include "config/settings.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OCSPD_TIMEOUT_SECS 10
#define OCSPD_RETRY_MIN_SECS 60
#define OCSPD_RETRY_MAX_SECS 3600
#define OCSPD_NO_NEXT_UPDATE_SECS 3600 /* refresh then without nextUpdate */
#define OCSPD_MIN_WAIT_SECS 5

/* When a response made at this_update, good until next_update (0: no
 * nextUpdate, RFC 6960 §4.2.2.1: newer information is always there), is
 * due for a refresh: half way, so that a responder down for a while never
 * lets the staple lapse. */
static time_t refresh_time(time_t this_update, time_t next_update)
{
	if (next_update == 0)
		return this_update + OCSPD_NO_NEXT_UPDATE_SECS;
	return this_update + (next_update - this_update) / 2;
}

static void ocspd_run(const char *cert, const char *cache, const char *url)
{
	unsigned retry = OCSPD_RETRY_MIN_SECS;
	for (;;) {
		time_t this_update, next_update, now = time(NULL), due = now;
		const char *error;
		int cached = tls_ocsp_cached(cert, cache, &this_update,
		                             &next_update, &error);
		if (cached > 0)
			due = refresh_time(this_update, next_update);
		else if (cached < 0)
			log_warn(NULL,
			         "cached response unusable path=%s "
			         "error=\"%s\"",
			         cache, error);
		if (due <= now) {
			if (tls_ocsp_fetch(cert, cache, OCSPD_TIMEOUT_SECS,
			                   &this_update, &next_update,
			                   &error) == 0) {
				due = refresh_time(this_update, next_update);
				log_info(NULL,
				         "response saved responder=%s "
				         "next_update=%lld refresh_in=%llds",
				         url, (long long)next_update,
				         (long long)(due - time(NULL)));
				retry = OCSPD_RETRY_MIN_SECS;
			} else {
				log_warn(NULL,
				         "fetch failed responder=%s "
				         "error=\"%s\" retry_in=%us",
				         url, error, retry);
				due = time(NULL) + retry;
				retry = retry * 2 > OCSPD_RETRY_MAX_SECS
				            ? OCSPD_RETRY_MAX_SECS
				            : retry * 2;
			}
		}
		long wait = (long)(due - time(NULL));
		sleep((unsigned)(wait < OCSPD_MIN_WAIT_SECS
		                     ? OCSPD_MIN_WAIT_SECS
		                     : wait));
	}
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		config = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: ocspd [-c CONFIG]\n");
		return 2;
	}
	struct postroom_settings set;
	struct pool *pool = pool_new();
	const char *error;
	if (settings_open(&set, "ocspd", config, pool, &error) < 0)
		log_fatal(NULL, "config: %s", error);
	pool_free(&pool);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* the master wrote the paths it settled on into our configuration */
	char *cert = set.tls_cert[0] != '\0'
	                 ? xstrdup(set.tls_cert)
	                 : settings_data_path(&set, "tls/cert.pem");
	char *cache = settings_data_path(&set, "tls/ocsp.der");
	char *url = tls_ocsp_responder(cert);
	if (url == NULL)
		log_fatal(NULL, "%s names no OCSP responder", cert);
	log_info(NULL, "started cert=%s responder=%s", cert, url);
	ocspd_run(cert, cache, url);
	return 0;
}
