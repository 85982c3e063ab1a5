/* qmgr [-c CONFIG]: the queue manager process (qmgr.h). Reads the
 * settings, logs as "qmgr", runs the loop until SIGTERM or SIGINT, which
 * take effect once the message in hand is finished. */
#include "qmgr/qmgr.h"
#include "config/settings.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "mailauth/dmarc.h"
#include "store/store.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* [mailauth] report_from, else postmaster@ the hostname's organisational
 * domain (heap). */
static char *report_from(const struct postroom_settings *s,
                         const char *hostname)
{
	if (s->mailauth.report_from[0] != '\0')
		return xstrdup(s->mailauth.report_from);
	struct pool *pool = pool_new();
	char *from =
	    xasprintf("postmaster@%s", dmarc_org_domain(hostname, pool));
	pool_free(&pool);
	return from;
}

int main(int argc, char **argv)
{
	struct postroom_settings s;
	struct pool *pool = pool_new();
	const char *config = NULL, *error;
	struct qmgr q;
	int c;
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c')
			log_fatal(NULL, "usage: qmgr [-c CONFIG]");
		config = optarg;
	}
	if (settings_open(&s, "qmgr", config, pool, &error) < 0)
		log_fatal(NULL, "config-failed error=%s", error);
	signal(SIGPIPE, SIG_IGN);

	struct event_base *base = event_base_new();
	if (base == NULL)
		log_fatal(NULL, "event-base-failed");
	if (qmgr_init(&q, base, s.data_dir, s.queue.run_interval,
	              s.queue.max_lifetime, &error) < 0)
		log_fatal(NULL, "start-failed data_dir=%s error=%s", s.data_dir,
		          error);
	struct store_settings store_set = {
	    .data_dir = s.data_dir,
	    .default_quota = s.deliver.default_quota,
	    .postmaster = s.postmaster,
	};
	if (store_open(&store_set, &q.store, &error) < 0)
		log_warn(NULL,
		         "store-open-failed error=%s (DSNs go out as "
		         "remote mail)",
		         error);
	free(q.hostname);
	q.hostname = settings_hostname(&s);
	q.min_backoff = s.queue.min_backoff;
	q.max_backoff = s.queue.max_backoff;
	q.delay_warning = s.queue.delay_warning;
	q.blob_grace = s.queue.blob_grace;
	q.expunge_log_keep = s.queue.expunge_log_keep;
	q.expiry.trash_days = s.queue.trash_expiry_days;
	q.expiry.junk_days = s.queue.junk_expiry_days;
	q.dkim_lifetime = s.mailauth.dkim_signature_lifetime;
	q.reports = s.mailauth.reports;
	q.report_interval = s.mailauth.report_interval;
	q.report_from = report_from(&s, q.hostname);
	q.dns_server =
	    xstrdup(s.mailauth.dns_server[0] != '\0' ? s.mailauth.dns_server
	                                             : s.relay.dns_server);
	qmgr_report_start(&q);
	if (qmgr_maintenance_start(&q, s.queue.maintenance_interval) < 0)
		log_fatal(NULL, "maintenance-timer-failed");
	log_info(NULL, "started data_dir=%s run_interval=%u", s.data_dir,
	         q.run_interval);
	int ret = event_base_dispatch(base) < 0 ? 1 : 0;
	store_close(&q.store);
	qmgr_deinit(&q);
	event_base_free(base);
	settings_deinit(&s);
	pool_free(&pool);
	log_info(NULL, "stopped");
	return ret;
}
