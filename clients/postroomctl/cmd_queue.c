/* postroomctl queue list: the messages in data_dir/queue (incoming,
 * active, deferred), oldest first, with each recipient's status. */
#include "core/xmalloc.h"
#include "postroomctl.h"
#include "queue/queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void queue_print_cb(const char *state, const struct queue_envelope *env,
                           void *ctx)
{
	char date[32] = "";
	struct tm tm;
	time_t when = env->arrival;
	if (gmtime_r(&when, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%-20s %-9s %s %9s <%s>", env->id, state, date,
	       ctl_size_format(env->data_size, false), env->sender);
	if (env->attempts > 0)
		printf(" attempts=%u", env->attempts);
	putchar('\n');
	for (size_t i = 0; i < env->rcpt_count; i++) {
		const struct queue_recipient *r = &env->rcpts[i];
		const char *status = r->status == QUEUE_RCPT_DELIVERED ? "done"
		                     : r->status == QUEUE_RCPT_FAILED
		                         ? "failed"
		                         : "pending";
		printf("    %s <%s>%s\n", status, r->address,
		       r->is_local ? "" : " (remote)");
	}
}

/* queue flush: qmgr retries every deferred message now. */
static int queue_flush(struct ctl *ctl)
{
	ctl->cmd = "queue flush";
	if (ctl_drop_privileges(ctl) < 0)
		return CTL_EXIT_FAIL;
	char *dir = settings_data_path(&ctl->settings, "queue");
	int ret = queue_flush_request(dir);
	free(dir);
	if (ret < 0)
		return ctl_error(ctl, "cannot reach qmgr (is postroomd "
				 "running?): %s", strerror(errno));
	printf("flush requested\n");
	return CTL_EXIT_OK;
}

int cmd_queue(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "flush") == 0)
		return queue_flush(ctl);
	if (argc != 1 || strcmp(argv[0], "list") != 0)
		return ctl_usage(ctl, "queue list|flush");
	ctl->cmd = "queue list";
	if (ctl_drop_privileges(ctl) < 0)
		return CTL_EXIT_FAIL;
	char *dir = settings_data_path(&ctl->settings, "queue");
	const char *error;
	int count = queue_list(dir, queue_print_cb, NULL, &error);
	free(dir);
	if (count < 0)
		return ctl_error(ctl, "%s", error);
	printf("%d message%s queued\n", count, count == 1 ? "" : "s");
	return CTL_EXIT_OK;
}
