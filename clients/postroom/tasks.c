/* postroom tasks: to-dos (VTODO, RFC 5545 §3.6.2) in the local task
 * lists, synced over CalDAV: listed open first by due date then priority,
 * added with a due date and a priority (1 highest .. 9 lowest, RFC 5545
 * §3.8.1.9), completed (STATUS, COMPLETED, PERCENT-COMPLETE) or reopened,
 * given another due date or priority, and deleted. */
#include "cal.h"

#include "core/buf.h"
#include "core/pool.h"
#include "store/store_dav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool task_is_done(const struct ical_item *it)
{
	return strcmp(it->status, "COMPLETED") == 0 ||
	       strcmp(it->status, "CANCELLED") == 0;
}

/* Open before done, then by due date (none last), then priority (0:
 * undefined, last), then summary. */
static int task_cmp(const void *a, const void *b)
{
	const struct ical_item *x = &((const struct pr_cal_entry *)a)->item;
	const struct ical_item *y = &((const struct pr_cal_entry *)b)->item;
	if (task_is_done(x) != task_is_done(y))
		return task_is_done(x) ? 1 : -1;
	int64_t dx = x->due == ICAL_TIME_MIN ? ICAL_TIME_MAX : x->due;
	int64_t dy = y->due == ICAL_TIME_MIN ? ICAL_TIME_MAX : y->due;
	if (dx != dy)
		return dx < dy ? -1 : 1;
	int px = x->priority == 0 ? 10 : x->priority;
	int py = y->priority == 0 ? 10 : y->priority;
	if (px != py)
		return px - py;
	return strcmp(x->summary, y->summary);
}

static void task_line(const struct pr_cal_entry *e, struct pool *pool)
{
	const struct ical_item *it = &e->item;
	printf("[%c] %s", task_is_done(it) ? 'x' : ' ', it->summary);
	if (it->due != ICAL_TIME_MIN)
		printf("  due %s",
		       it->is_due_date
		           ? pr_time_date((time_t)it->due, pool)
		           : pr_time_rfc3339((time_t)it->due, pool));
	if (it->priority > 0)
		printf("  priority %d", it->priority);
	printf("  %.8s\n", it->uid);
}

static int cmd_list(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	bool is_all = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			is_all = true;
		else
			return pr_fail("usage: tasks list [--all]") + 1;
	}
	struct pr_cal_entry *list;
	size_t count;
	if (pr_cal_entries(ctx->local, ICAL_KIND_VTODO, ICAL_TIME_MIN,
	                   ICAL_TIME_MAX, ctx->tz, ctx->cli->pool, &list,
	                   &count) < 0)
		return pr_fail("tasks: %s",
		               store_dav_last_error(ctx->local->account));
	if (count > 1)
		qsort(list, count, sizeof(*list), task_cmp);
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++) {
		if (!is_all && task_is_done(&list[i].item))
			continue;
		if (ctx->cli->is_json)
			json_array_append_new(
			    a, pr_cal_entry_json(&list[i], ctx->cli->pool));
		else
			task_line(&list[i], ctx->cli->pool);
	}
	if (ctx->cli->is_json)
		pr_json_print(a);
	else
		json_decref(a);
	return 0;
}

/* Reads a due date: a date, a time, or "none". */
static int due_opt(struct pr_cal_ctx *ctx, const char *str, struct ical_edit *e)
{
	bool is_utc;
	if (strcmp(str, "none") == 0) {
		e->is_due_removed = true;
		return 0;
	}
	if (pr_time_parse(str, ctx->now, &e->due, &is_utc) < 0)
		return pr_fail("not a date or time: %s", str);
	e->tzid = is_utc ? "UTC" : ctx->tz_name;
	return 0;
}

static int priority_opt(const char *str, int *priority_r)
{
	char *end;
	long n = strtol(str, &end, 10);
	if (*end != '\0' || n < 0 || n > 9)
		return pr_fail("a priority is 1 (highest) to 9, 0 for none");
	*priority_r = (int)n;
	return 0;
}

static int cmd_add(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	struct pool *pool = ctx->cli->pool;
	struct ical_edit e = {.kind = ICAL_KIND_VTODO,
	                      .priority = -1,
	                      .percent = -1,
	                      .now = ctx->now,
	                      .local = ctx->tz};
	const char *list_name = NULL;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' && e.summary == NULL) {
			e.summary = a;
			continue;
		}
		if (i + 1 >= argc)
			return pr_fail("%s needs a value", a) + 1;
		const char *v = argv[++i];
		if (strcmp(a, "--due") == 0) {
			if (due_opt(ctx, v, &e) != 0)
				return 2;
		} else if (strcmp(a, "--priority") == 0) {
			if (priority_opt(v, &e.priority) != 0)
				return 2;
		} else if (strcmp(a, "--description") == 0) {
			e.description = v;
		} else if (strcmp(a, "--list") == 0) {
			list_name = v;
		} else {
			return pr_fail("unknown option %s", a) + 1;
		}
	}
	if (e.summary == NULL)
		return pr_fail("usage: tasks add SUMMARY [--due T] "
		               "[--priority N] [--list NAME]") +
		       1;
	e.uid = pr_cal_uid_new(pool);
	const char *error;
	const char *collection = pr_cal_collection_for(
	    ctx->local, ICAL_KIND_VTODO, list_name, pool, &error);
	if (collection == NULL)
		return pr_fail("tasks add: %s", error);
	struct buf data;
	buf_init(&data);
	int ret = 0;
	if (ical_edit_new(&e, pool, &data, &error) < 0 ||
	    pr_cal_store(ctx->local, collection,
	                 pool_printf(pool, "%s.ics", e.uid),
	                 (const unsigned char *)data.data, data.len, NULL, true,
	                 pool, NULL, &error) != 0)
		ret = pr_fail("tasks add: %s", error);
	buf_deinit(&data);
	if (ret == 0 && ctx->cli->is_json)
		pr_json_print(
		    json_pack("{s:s, s:s}", "uid", e.uid, "list", collection));
	else if (ret == 0)
		printf("added task %s to %s\n", e.uid, collection);
	return ret;
}

/* tasks complete|reopen|due|priority|delete UID [VALUE] */
static int cmd_change(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	const char *sub = argv[1];
	bool needs_value =
	    strcmp(sub, "due") == 0 || strcmp(sub, "priority") == 0;
	if (argc != (needs_value ? 4 : 3))
		return pr_fail("usage: tasks %s UID%s", sub,
		               needs_value ? " VALUE" : "") +
		       1;
	struct pool *pool = ctx->cli->pool;
	struct pr_cal_entry entry;
	const char *error = "no such task", *etag;
	const unsigned char *data;
	size_t size;
	if (pr_cal_find(ctx->local, argv[2], ICAL_KIND_VTODO, ctx->tz, pool,
	                &entry, &error) != 1 ||
	    pr_cal_read(ctx->local, entry.collection, entry.name, pool, &data,
	                &size, &etag) != 1)
		return pr_fail("%s: %s", argv[2], error);
	if (strcmp(sub, "delete") == 0) {
		if (pr_cal_remove(ctx->local, entry.collection, entry.name,
		                  &error) < 0)
			return pr_fail("tasks delete: %s", error);
		printf(ctx->cli->is_json ? "{\"deleted\":\"%s\"}\n"
		                         : "deleted task %s\n",
		       entry.item.uid);
		return 0;
	}
	struct ical_edit e = {.priority = -1,
	                      .percent = -1,
	                      .now = ctx->now,
	                      .local = ctx->tz,
	                      .is_completed = strcmp(sub, "complete") == 0,
	                      .is_reopened = strcmp(sub, "reopen") == 0};
	if (strcmp(sub, "due") == 0 && due_opt(ctx, argv[3], &e) != 0)
		return 2;
	if (strcmp(sub, "priority") == 0 &&
	    priority_opt(argv[3], &e.priority) != 0)
		return 2;
	struct buf out;
	buf_init(&out);
	int ret = 0;
	if (ical_edit_change(data, size, &e, ICAL_TIME_MIN, pool, &out,
	                     &error) < 0 ||
	    pr_cal_store(ctx->local, entry.collection, entry.name,
	                 (const unsigned char *)out.data, out.len, etag, false,
	                 pool, NULL, &error) != 0)
		ret = pr_fail("tasks %s: %s", sub, error);
	buf_deinit(&out);
	if (ret == 0 && ctx->cli->is_json)
		pr_json_print(json_pack("{s:s}", "changed", entry.item.uid));
	else if (ret == 0)
		printf("%s %s\n",
		       e.is_completed  ? "completed"
		       : e.is_reopened ? "reopened"
		                       : "changed",
		       entry.item.uid);
	return ret;
}

int pr_cmd_tasks(struct pr_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	struct pr_cal_ctx ctx;
	int (*fn)(struct pr_cal_ctx *, int, char **) = NULL;
	if (strcmp(sub, "list") == 0 || sub[0] == '-')
		fn = cmd_list;
	else if (strcmp(sub, "add") == 0)
		fn = cmd_add;
	else if (strcmp(sub, "complete") == 0 || strcmp(sub, "reopen") == 0 ||
	         strcmp(sub, "due") == 0 || strcmp(sub, "priority") == 0 ||
	         strcmp(sub, "delete") == 0)
		fn = cmd_change;
	if (fn == NULL)
		return pr_fail("usage: tasks [list [--all]] | add SUMMARY | "
		               "complete|reopen|delete UID | due UID T|none | "
		               "priority UID N") +
		       1;
	if (pr_cal_ctx_open(cli, &ctx) < 0)
		return 1;
	/* "tasks" and "tasks --all" are "tasks list ..." */
	char *list_argv[4] = {argv[0], (char *)"list", NULL, NULL};
	int ret;
	if (argc > 1 && sub[0] != '-') {
		ret = fn(&ctx, argc, argv);
	} else if (argc <= 2) {
		if (argc > 1)
			list_argv[2] = argv[1];
		ret = fn(&ctx, argc + 1, list_argv);
	} else {
		ret = pr_fail("usage: tasks list [--all]") + 1;
	}
	pr_cal_ctx_close(&ctx);
	return ret;
}
