/* postroomctl queue list|show|flush|hold|release|delete: the messages in
 * data_dir/queue, oldest first, with each recipient's status and, for a
 * message sent for later (FUTURERELEASE), its release time; one message's
 * envelope and header; a retry of everything deferred now (not of what is
 * held for later: its sender chose the time); a message put aside in
 * held/ (qmgr never looks there) and taken back, and release also sends a
 * message held for later now; and a message removed for good (which
 * cancels a send-later). A message qmgr is working on (active/) can be
 * neither held nor deleted: try again a moment later. */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "postroomctl.h"
#include "queue/queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *rcpt_status_name(char status)
{
	return status == QUEUE_RCPT_DELIVERED ? "done"
	       : status == QUEUE_RCPT_FAILED  ? "failed"
	                                      : "pending";
}

/* "YYYY-MM-DD HH:MM:SS" in UTC. */
static void date_format(time_t when, char date[32])
{
	struct tm tm;
	date[0] = '\0';
	if (gmtime_r(&when, &tm) != NULL)
		strftime(date, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static void queue_print_cb(const char *state, const struct queue_envelope *env,
                           void *ctx)
{
	char date[32];
	(void)ctx;
	date_format(env->arrival, date);
	printf("%-20s %-9s %s %9s <%s>", env->id, state, date,
	       ctl_size_format(env->data_size, false), env->sender);
	if (env->attempts > 0)
		printf(" attempts=%u", env->attempts);
	/* sent for later (RFC 4865): when it goes */
	if (queue_envelope_is_held(env, time(NULL))) {
		date_format(env->next_attempt, date);
		printf(" release=\"%s UTC\"", date);
	}
	putchar('\n');
	for (size_t i = 0; i < env->rcpt_count; i++) {
		const struct queue_recipient *r = &env->rcpts[i];
		printf("    %s <%s>%s\n", rcpt_status_name(r->status),
		       r->address, r->is_local ? "" : " (remote)");
	}
}

static int queue_list_cmd(struct ctl *ctl)
{
	char *dir = settings_data_path(&ctl->settings, "queue");
	const char *error;
	int count = queue_list(dir, queue_print_cb, NULL, &error);
	free(dir);
	if (count < 0)
		return ctl_error(ctl, "%s", error);
	printf("%d message%s queued\n", count, count == 1 ? "" : "s");
	return CTL_EXIT_OK;
}

/* queue flush: qmgr retries every deferred message now. */
static int queue_flush(struct ctl *ctl)
{
	char *dir = settings_data_path(&ctl->settings, "queue");
	int ret = queue_flush_request(dir);
	free(dir);
	if (ret < 0)
		return ctl_error(ctl,
		                 "cannot reach qmgr (is postroomd "
		                 "running?): %s",
		                 strerror(errno));
	printf("flush requested\n");
	return CTL_EXIT_OK;
}

/* Returns the state folder of id among states, or NULL. */
static const char *queue_find(const char *dir, const char *id,
                              const char *const *states)
{
	for (size_t i = 0; states[i] != NULL; i++) {
		char *path = queue_path(dir, states[i], id);
		int ret = access(path, F_OK);
		free(path);
		if (ret == 0)
			return states[i];
	}
	return NULL;
}

static void header_print(const char *path, const struct queue_envelope *env)
{
	FILE *f = fopen(path, "rb");
	char line[1000];
	if (f == NULL || fseeko(f, env->data_offset, SEEK_SET) < 0) {
		if (f != NULL)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL &&
	       strcmp(line, "\r\n") != 0 && strcmp(line, "\n") != 0)
		fputs(line, stdout);
	fclose(f);
}

static int queue_show(struct ctl *ctl, const char *dir, const char *id)
{
	static const char *const states[] = {"incoming", "active", "deferred",
	                                     "held", NULL};
	const char *state = queue_find(dir, id, states), *error;
	if (state == NULL)
		return ctl_error(ctl, "no message %s in the queue", id);
	struct pool *pool = pool_new();
	struct queue_envelope env;
	char *path = queue_path(dir, state, id);
	int ret = queue_envelope_read(path, pool, &env, NULL, &error);
	if (ret == 0) {
		printf("id: %s\nstate: %s\nsender: <%s>\narrival: %lld\n"
		       "attempts: %u\nnext_attempt: %lld\nsize: %llu\n",
		       env.id, state, env.sender, (long long)env.arrival,
		       env.attempts, (long long)env.next_attempt,
		       (unsigned long long)env.data_size);
		if (env.release > 0) {
			char date[32];
			date_format(env.release, date);
			printf(
			    "release: %lld (%s UTC%s)\nrelease_request: %s\n",
			    (long long)env.release, date,
			    queue_envelope_is_held(&env, time(NULL)) ? ", held"
			                                             : "",
			    env.release_request != NULL ? env.release_request
			                                : "");
		}
		for (size_t i = 0; i < env.rcpt_count; i++)
			printf("recipient: %s <%s>%s\n",
			       rcpt_status_name(env.rcpts[i].status),
			       env.rcpts[i].address,
			       env.rcpts[i].is_local ? "" : " (remote)");
		putchar('\n');
		header_print(path, &env);
	}
	free(path);
	pool_free(&pool);
	return ret == 0 ? CTL_EXIT_OK : ctl_error(ctl, "%s", error);
}

static int queue_hold(struct ctl *ctl, const char *dir, const char *id)
{
	static const char *const states[] = {"deferred", "incoming", NULL};
	const char *state = queue_find(dir, id, states), *error;
	if (state == NULL)
		return ctl_error(ctl,
		                 "no message %s waiting (it may be "
		                 "being delivered: try again)",
		                 id);
	if (queue_move(dir, id, state, "held", QUEUE_DURABLE, &error) < 0)
		return ctl_error(ctl, "%s", error);
	printf("held %s\n", id);
	return CTL_EXIT_OK;
}

/* Makes the queue file at state/id due now (next attempt 0), durably.
 * Returns 0 with *env_r, or -1 with a reason from pool. */
static int queue_make_due(const char *dir, const char *state, const char *id,
                          struct pool *pool, struct queue_envelope *env_r,
                          const char **error_r)
{
	int fd = -1;
	char *path = queue_path(dir, state, id);
	int ret = queue_envelope_read(path, pool, env_r, &fd, error_r);
	free(path);
	if (ret < 0)
		return -1;
	env_r->next_attempt = 0;
	ret = queue_envelope_set_schedule(fd, env_r, error_r);
	if (ret == 0)
		ret = queue_envelope_sync(fd, error_r);
	close(fd);
	return ret;
}

/* queue release of a message held for later (FUTURERELEASE) in
 * deferred/: it goes now, through incoming/ so qmgr takes it at once. */
static int queue_release_later(struct ctl *ctl, const char *dir, const char *id)
{
	struct pool *pool = pool_new();
	struct queue_envelope env;
	const char *error = "not held";
	char *path = queue_path(dir, "deferred", id);
	int ret = queue_envelope_read(path, pool, &env, NULL, &error);
	free(path);
	if (ret == 0 && !queue_envelope_is_held(&env, time(NULL))) {
		error = "not held for later";
		ret = -1;
	}
	if (ret == 0)
		ret = queue_make_due(dir, "deferred", id, pool, &env, &error);
	if (ret == 0)
		ret = queue_move(dir, id, "deferred", "incoming", QUEUE_DURABLE,
		                 &error);
	if (ret < 0) {
		ret = ctl_error(ctl, "cannot release %s: %s", id, error);
		pool_free(&pool);
		return ret;
	}
	pool_free(&pool);
	queue_notify(dir);
	printf("released %s (sent now, not at its release time)\n", id);
	return CTL_EXIT_OK;
}

static int queue_release(struct ctl *ctl, const char *dir, const char *id)
{
	struct pool *pool = pool_new();
	struct queue_envelope env;
	const char *error;
	char *path = queue_path(dir, "held", id);
	int ret = access(path, F_OK);
	free(path);
	if (ret < 0 && errno == ENOENT) {
		pool_free(&pool);
		return queue_release_later(ctl, dir, id);
	}
	/* due at once, also when it was sent for later */
	ret = queue_make_due(dir, "held", id, pool, &env, &error);
	if (ret == 0)
		ret = queue_move(dir, id, "held", "deferred", QUEUE_DURABLE,
		                 &error);
	if (ret < 0) {
		ret = ctl_error(ctl, "no held message %s: %s", id, error);
		pool_free(&pool);
		return ret;
	}
	pool_free(&pool);
	(void)queue_flush_request(dir);
	printf("released %s\n", id);
	return CTL_EXIT_OK;
}

static int queue_delete(struct ctl *ctl, const char *dir, const char *id)
{
	static const char *const states[] = {"deferred", "incoming", "held",
	                                     NULL};
	const char *state = queue_find(dir, id, states), *error;
	if (state == NULL)
		return ctl_error(ctl,
		                 "no message %s waiting (it may be "
		                 "being delivered: try again)",
		                 id);
	if (queue_remove(dir, state, id, QUEUE_DURABLE, &error) < 0)
		return ctl_error(ctl, "%s", error);
	printf("deleted %s\n", id);
	return CTL_EXIT_OK;
}

static int queue_one(struct ctl *ctl, const char *verb, const char *id)
{
	if (!queue_id_is_valid(id))
		return ctl_error(ctl, "not a queue id: %s", id);
	char *dir = settings_data_path(&ctl->settings, "queue");
	int ret = strcmp(verb, "show") == 0      ? queue_show(ctl, dir, id)
	          : strcmp(verb, "hold") == 0    ? queue_hold(ctl, dir, id)
	          : strcmp(verb, "release") == 0 ? queue_release(ctl, dir, id)
	                                         : queue_delete(ctl, dir, id);
	free(dir);
	return ret;
}

int cmd_queue(struct ctl *ctl, int argc, char **argv)
{
	static const char *const one[] = {"show", "hold", "release", "delete",
	                                  NULL};
	const char *usage = "queue list|flush|show ID|hold ID|release ID|"
	                    "delete ID";
	if (argc < 1)
		return ctl_usage(ctl, usage);
	ctl->cmd = "queue";
	if (ctl_drop_privileges(ctl) < 0)
		return CTL_EXIT_FAIL;
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return queue_list_cmd(ctl);
	if (argc == 1 && strcmp(argv[0], "flush") == 0)
		return queue_flush(ctl);
	for (size_t i = 0; argc == 2 && one[i] != NULL; i++) {
		if (strcmp(argv[0], one[i]) == 0)
			return queue_one(ctl, one[i], argv[1]);
	}
	return ctl_usage(ctl, usage);
}
