/* Send/Receive: the Outbox goes first (a reply written offline leaves
 * before new mail arrives), then the incoming protocol. An unreachable
 * outgoing server does not stop receiving; each failure is reported. */
#include "postroom.h"

#include "core/pool.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int pr_sync(const struct pr_config *config, const struct pr_account *account,
            struct pr_local *local, struct pr_sync_report *report,
            struct pool *pool, const char **error_r)
{
	const char *send_error = NULL;
	int send_ret = 0;
	if (account->outgoing.host != NULL)
		send_ret = pr_outbox_flush(config, account, local, report, pool,
		                           &send_error);
	int ret = 0;
	if (account->incoming.host != NULL)
		ret = account->proto == PR_PROTO_POP3
		          ? pr_sync_pop3(config, account, local, report, pool,
		                         error_r)
		          : pr_sync_imap(config, account, local, report, pool,
		                         error_r);
	/* calendars and contacts do not wait for mail to work */
	const char *dav_error = NULL;
	int dav_ret =
	    pr_sync_dav(config, account, local, report, pool, &dav_error);
	if (ret == 0 && send_ret < 0) {
		*error_r = pool_printf(pool, "sending: %s (kept in %s)",
		                       send_error, PR_OUTBOX);
		ret = -1;
	} else if (ret < 0 && send_ret < 0) {
		*error_r = pool_printf(pool, "%s; sending: %s", *error_r,
		                       send_error);
	}
	if (dav_ret < 0) {
		*error_r = ret < 0 ? pool_printf(pool,
		                                 "%s; calendars and "
		                                 "contacts: %s",
		                                 *error_r, dav_error)
		                   : pool_printf(pool,
		                                 "calendars and contacts: "
		                                 "%s",
		                                 dav_error);
		ret = -1;
	}
	return ret;
}

static void report_print(const struct pr_account *account,
                         const struct pr_sync_report *r, bool is_json,
                         const char *error)
{
	bool has_dav =
	    account->caldav_url != NULL || account->carddav_url != NULL;
	if (!is_json) {
		printf("%s: %u fetched, %u uploaded, %u sent, flags %u up %u "
		       "down, %u deleted here, %u deleted there\n",
		       account->name, r->fetched, r->uploaded, r->sent,
		       r->flags_up, r->flags_down, r->expunged_down,
		       r->expunged_up);
		if (has_dav)
			printf("%s: calendars and contacts: %u down, %u up, "
			       "%u deleted here, %u deleted there, %u "
			       "conflicts kept as copies%s%s\n",
			       account->name, r->dav_down, r->dav_up,
			       r->dav_deleted_down, r->dav_deleted_up,
			       r->dav_conflicts,
			       r->dav_errors > 0 ? "; failed: " : "",
			       r->dav_errors > 0 ? r->dav_error : "");
		return;
	}
	json_t *o = json_pack(
	    "{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o}",
	    "account", account->name, "fetched", r->fetched, "uploaded",
	    r->uploaded, "flags_up", r->flags_up, "flags_down", r->flags_down,
	    "expunged_up", r->expunged_up, "expunged_down", r->expunged_down,
	    "moved_up", r->moved_up, "sent", r->sent, "send_failed",
	    r->send_failed, "ok", error == NULL, "error",
	    error != NULL ? json_string(error) : json_null());
	json_object_set_new(o, "dav",
	                    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:s}",
	                              "down", r->dav_down, "up", r->dav_up,
	                              "deleted_down", r->dav_deleted_down,
	                              "deleted_up", r->dav_deleted_up,
	                              "conflicts", r->dav_conflicts, "errors",
	                              r->dav_errors, "error", r->dav_error));
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
}

static volatile bool stop_requested;

static void stop_handler(int signo)
{
	(void)signo;
	stop_requested = true;
}

static int sync_idle(struct pr_cli *cli, struct pr_account *account,
                     struct pr_local *local)
{
	if (account->proto != PR_PROTO_IMAP)
		return pr_fail("--idle needs an IMAP account");
	struct sigaction sa = { .sa_handler = stop_handler };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	const char *error;
	if (pr_sync_imap_idle(cli->config, account, local, &stop_requested,
	                      cli->pool, &error) < 0)
		return pr_fail("%s: %s", account->name, error);
	return 0;
}

int pr_cmd_sync(struct pr_cli *cli, int argc, char **argv)
{
	bool is_idle = argc == 2 && strcmp(argv[1], "--idle") == 0;
	bool is_dav = argc == 2 && strcmp(argv[1], "--dav") == 0;
	if (argc > 1 && !is_idle && !is_dav)
		return 2;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	int ret = 0;
	if (is_idle) {
		ret = sync_idle(cli, account, &local);
	} else {
		struct pr_sync_report report = { 0 };
		const char *error = NULL;
		if ((is_dav ? pr_sync_dav(cli->config, account, &local, &report,
		                          cli->pool, &error)
		            : pr_sync(cli->config, account, &local, &report,
		                      cli->pool, &error)) < 0)
			ret = 1;
		report_print(account, &report, cli->is_json, error);
		if (ret != 0)
			pr_fail("%s: %s", account->name, error);
	}
	pr_local_close(&local);
	return ret;
}
