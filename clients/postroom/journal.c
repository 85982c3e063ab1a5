/* postroom journal: entries (VJOURNAL, RFC 5545 §3.6.3) by date in the
 * local journals, synced over CalDAV. An entry is written in $EDITOR as a
 * small template, or given with --summary and --body-file:
 *   Summary: Tuesday
 *   Date: 2024-05-07
 *
 *   What happened...
 * and found again by its date or UID. */
#include "cal.h"
#include "compose.h"

#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "store/store_dav.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define JOURNAL_BODY_MAX (1024 * 1024)

/* The entry's text as the editor shows it. */
static void template_write(const char *summary, const char *date,
                           const char *body, struct buf *out)
{
	buf_printf(out, "Summary: %s\nDate: %s\n\n%s", summary, date, body);
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_append_char(out, '\n');
}

/* Reads the template back. Strings from pool. Returns 0 or -1. */
static int template_read(const char *text, struct pool *pool,
                         const char **summary_r, const char **date_r,
                         const char **body_r)
{
	*summary_r = *date_r = NULL;
	const char *p = text;
	while (*p != '\0' && *p != '\n') {
		size_t len = strcspn(p, "\n");
		if (strncasecmp(p, "Summary:", 8) == 0)
			*summary_r = pool_strndup(pool, p + 8, len - 8);
		else if (strncasecmp(p, "Date:", 5) == 0)
			*date_r = pool_strndup(pool, p + 5, len - 5);
		else
			return -1;
		p += len + (p[len] == '\n');
	}
	p += *p == '\n';
	/* trim the spaces after the colons, and the body's last newline */
	while (*summary_r != NULL && **summary_r == ' ')
		(*summary_r)++;
	while (*date_r != NULL && **date_r == ' ')
		(*date_r)++;
	size_t len = strlen(p);
	while (len > 0 && p[len - 1] == '\n')
		len--;
	*body_r = pool_strndup(pool, p, len);
	return 0;
}

/* Runs the editor on text. Returns 1 changed (text replaced), 0 not,
 * -1 failed. */
static int edit_text(struct pr_cal_ctx *ctx, struct buf *text)
{
	struct pr_draft draft;
	pr_draft_init(&draft);
	buf_append(&draft.text, text->data, text->len);
	buf_append(&draft.written, text->data, text->len);
	const char *error;
	int ret =
	    pr_compose_edit(ctx->cli->config, &draft, ctx->cli->pool, &error);
	if (ret < 0)
		pr_fail("journal: %s", error);
	if (ret > 0) {
		buf_truncate(text, 0);
		buf_append(text, draft.text.data, draft.text.len);
	}
	pr_draft_deinit(&draft);
	return ret;
}

/* Fills e's summary, description and date from the template text. */
static int edit_from_template(struct pr_cal_ctx *ctx, const char *text,
                              struct ical_edit *e)
{
	const char *summary, *date, *body;
	bool is_utc;
	if (template_read(text, ctx->cli->pool, &summary, &date, &body) < 0)
		return pr_fail("journal: the first lines must be Summary: and "
		               "Date:");
	e->summary = summary != NULL ? summary : "";
	e->description = body;
	if (date != NULL && date[0] != '\0' &&
	    (pr_time_parse(date, ctx->now, &e->start, &is_utc) < 0 ||
	     !e->start.is_date))
		return pr_fail("journal: not a date: %s", date);
	return 0;
}

static int body_read(const char *path, struct buf *body)
{
	if (strcmp(path, "-") != 0) {
		if (file_read_all(path, body, JOURNAL_BODY_MAX) < 0)
			return pr_fail("%s: %s", path, strerror(errno));
		return 0;
	}
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0 &&
	       body->len < JOURNAL_BODY_MAX)
		buf_append(body, chunk, n);
	return ferror(stdin) ? pr_fail("stdin: read error") : 0;
}

struct add_opts {
	const char *date, *summary, *body_file, *journal;
};

static int add_opts_parse(int argc, char **argv, struct add_opts *o)
{
	*o = (struct add_opts){.date = "today"};
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return pr_fail("%s needs a value", argv[i]);
		if (strcmp(argv[i], "--date") == 0)
			o->date = argv[i + 1];
		else if (strcmp(argv[i], "--summary") == 0)
			o->summary = argv[i + 1];
		else if (strcmp(argv[i], "--body-file") == 0)
			o->body_file = argv[i + 1];
		else if (strcmp(argv[i], "--journal") == 0)
			o->journal = argv[i + 1];
		else
			return pr_fail("unknown option %s", argv[i]);
	}
	return 0;
}

/* Fills e's text from the options, or from the editor. Returns 0 or the
 * exit status. */
static int add_text(struct pr_cal_ctx *ctx, const struct add_opts *o,
                    struct ical_edit *e, struct buf *text)
{
	struct pool *pool = ctx->cli->pool;
	if (o->body_file != NULL || o->summary != NULL) {
		if (o->body_file != NULL && body_read(o->body_file, text) != 0)
			return 1;
		e->summary = o->summary != NULL ? o->summary : "";
		e->description = pool_strdup(pool, text->data);
		return 0;
	}
	template_write("", pr_time_date(pr_time_of(&e->start, false), pool), "",
	               text);
	int edited = edit_text(ctx, text);
	if (edited <= 0)
		return edited < 0 ? 1 : pr_fail("journal add: nothing written");
	return edit_from_template(ctx, text->data, e) != 0 ? 1 : 0;
}

static int cmd_add(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	struct pool *pool = ctx->cli->pool;
	struct add_opts o;
	if (add_opts_parse(argc, argv, &o) != 0)
		return 2;
	struct ical_edit e = {.kind = ICAL_KIND_VJOURNAL,
	                      .priority = -1,
	                      .percent = -1,
	                      .now = ctx->now,
	                      .local = ctx->tz};
	bool is_utc;
	if (pr_time_parse(o.date, ctx->now, &e.start, &is_utc) < 0)
		return pr_fail("not a date: %s", o.date) + 1;
	e.start.is_date = true;
	struct buf text;
	buf_init(&text);
	int ret = add_text(ctx, &o, &e, &text);
	buf_truncate(&text, 0);
	const char *error, *collection = NULL;
	e.uid = pr_cal_uid_new(pool);
	if (ret == 0 &&
	    ((collection = pr_cal_collection_for(ctx->local, ICAL_KIND_VJOURNAL,
	                                         o.journal, pool, &error)) ==
	         NULL ||
	     ical_edit_new(&e, pool, &text, &error) < 0 ||
	     pr_cal_store(ctx->local, collection,
	                  pool_printf(pool, "%s.ics", e.uid),
	                  (const unsigned char *)text.data, text.len, NULL,
	                  true, pool, NULL, &error) != 0))
		ret = pr_fail("journal add: %s", error);
	buf_deinit(&text);
	if (ret == 0 && ctx->cli->is_json)
		pr_json_print(json_pack("{s:s, s:s}", "uid", e.uid, "journal",
		                        collection));
	else if (ret == 0)
		printf("added journal entry %s\n", e.uid);
	return ret;
}

/* The entries a DATE or UID names. Returns 0 with the list, or the exit
 * status. */
static int entries_of(struct pr_cal_ctx *ctx, const char *arg,
                      struct pr_cal_entry **list_r, size_t *count_r)
{
	struct ical_when w;
	bool is_utc;
	struct pool *pool = ctx->cli->pool;
	const char *error = "no such journal entry";
	if (pr_time_parse(arg, ctx->now, &w, &is_utc) == 0 && w.is_date) {
		time_t day = pr_time_of(&w, false);
		if (pr_cal_entries(ctx->local, ICAL_KIND_VJOURNAL, day,
		                   pr_day_add(day, 1), ctx->tz, pool, list_r,
		                   count_r) < 0)
			return pr_fail("journal: %s", store_dav_last_error(
			                                  ctx->local->account));
		if (*count_r == 0)
			return pr_fail("no journal entry on %s", arg);
		return 0;
	}
	*list_r = pool_alloc(pool, sizeof(**list_r));
	*count_r = 1;
	if (pr_cal_find(ctx->local, arg, ICAL_KIND_VJOURNAL, ctx->tz, pool,
	                *list_r, &error) != 1)
		return pr_fail("%s: %s", arg, error);
	return 0;
}

static void entry_print(const struct pr_cal_entry *e, struct pool *pool)
{
	const struct ical_item *it = &e->item;
	printf("%s  %s  %.8s\n",
	       it->start != ICAL_TIME_MIN
	           ? pr_time_date((time_t)it->start, pool)
	           : "(no date) ",
	       it->summary, it->uid);
}

static int cmd_list_show(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	bool is_show = strcmp(argv[1], "show") == 0;
	struct pool *pool = ctx->cli->pool;
	struct pr_cal_entry *list;
	size_t count;
	int ret;
	if (is_show) {
		if (argc != 3)
			return pr_fail("usage: journal show DATE|UID") + 1;
		ret = entries_of(ctx, argv[2], &list, &count);
	} else {
		int64_t from = ICAL_TIME_MIN, to = ICAL_TIME_MAX;
		for (int i = 2; i + 1 < argc; i += 2) {
			struct ical_when w;
			bool is_utc;
			if (pr_time_parse(argv[i + 1], ctx->now, &w, &is_utc) <
			    0)
				return pr_fail("not a date: %s", argv[i + 1]) +
				       1;
			int64_t t = pr_day_start(pr_time_of(&w, is_utc));
			if (strcmp(argv[i], "--from") == 0)
				from = t;
			else if (strcmp(argv[i], "--to") == 0)
				to = pr_day_add((time_t)t, 1);
			else
				return pr_fail("unknown option %s", argv[i]) +
				       1;
		}
		ret = pr_cal_entries(ctx->local, ICAL_KIND_VJOURNAL, from, to,
		                     ctx->tz, pool, &list, &count) < 0
		          ? pr_fail("journal: %s",
		                    store_dav_last_error(ctx->local->account))
		          : 0;
	}
	if (ret != 0)
		return ret;
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++) {
		if (ctx->cli->is_json) {
			json_array_append_new(
			    a, pr_cal_entry_json(&list[i], pool));
			continue;
		}
		entry_print(&list[i], pool);
		if (is_show && list[i].item.description[0] != '\0')
			printf("\n%s\n\n", list[i].item.description);
	}
	if (ctx->cli->is_json)
		pr_json_print(a);
	else
		json_decref(a);
	return 0;
}

static void edited_print(struct pr_cal_ctx *ctx, const char *uid,
                         bool is_changed)
{
	if (ctx->cli->is_json)
		pr_json_print(
		    json_pack("{s:s, s:b}", "uid", uid, "changed", is_changed));
	else
		printf(is_changed ? "changed journal entry %s\n"
		                  : "journal entry %s unchanged\n",
		       uid);
}

static int cmd_edit_delete(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	bool is_delete = strcmp(argv[1], "delete") == 0;
	if (argc != 3)
		return pr_fail("usage: journal %s DATE|UID", argv[1]) + 1;
	struct pool *pool = ctx->cli->pool;
	struct pr_cal_entry *list;
	size_t count;
	int ret = entries_of(ctx, argv[2], &list, &count);
	if (ret != 0)
		return ret;
	if (count > 1)
		return pr_fail("%zu entries on %s: name one by its UID", count,
		               argv[2]);
	const struct pr_cal_entry *e = &list[0];
	const char *error, *etag;
	if (is_delete) {
		if (pr_cal_remove(ctx->local, e->collection, e->name, &error) <
		    0)
			return pr_fail("journal delete: %s", error);
		printf(ctx->cli->is_json ? "{\"deleted\":\"%s\"}\n"
		                         : "deleted journal entry %s\n",
		       e->item.uid);
		return 0;
	}
	const unsigned char *data;
	size_t size;
	if (pr_cal_read(ctx->local, e->collection, e->name, pool, &data, &size,
	                &etag) != 1)
		return pr_fail("%s: gone meanwhile", argv[2]);
	struct buf text, out;
	buf_init(&text);
	buf_init(&out);
	template_write(e->item.summary,
	               e->item.start != ICAL_TIME_MIN
	                   ? pr_time_date((time_t)e->item.start, pool)
	                   : "",
	               e->item.description, &text);
	struct ical_edit ed = {
	    .priority = -1, .percent = -1, .now = ctx->now, .local = ctx->tz};
	int edited = edit_text(ctx, &text);
	if (edited <= 0)
		ret = edited < 0 ? 1 : 0;
	else if (edit_from_template(ctx, text.data, &ed) != 0)
		ret = 1;
	else if (ical_edit_change(data, size, &ed, ICAL_TIME_MIN, pool, &out,
	                          &error) < 0 ||
	         pr_cal_store(ctx->local, e->collection, e->name,
	                      (const unsigned char *)out.data, out.len, etag,
	                      false, pool, NULL, &error) != 0)
		ret = pr_fail("journal edit: %s", error);
	buf_deinit(&text);
	buf_deinit(&out);
	if (ret == 0)
		edited_print(ctx, e->item.uid, edited > 0);
	return ret;
}

int pr_journal_write(struct pr_cal_ctx *ctx, const struct pr_cal_entry *e,
                     time_t day, const char **error_r)
{
	struct pool *pool = ctx->cli->pool;
	const unsigned char *data = NULL;
	size_t size = 0;
	const char *etag = NULL, *collection = NULL, *name;
	struct ical_edit ed = {.kind = ICAL_KIND_VJOURNAL,
	                       .priority = -1,
	                       .percent = -1,
	                       .now = ctx->now,
	                       .local = ctx->tz};
	if (e != NULL && pr_cal_read(ctx->local, e->collection, e->name, pool,
	                             &data, &size, &etag) != 1) {
		*error_r = "the entry went away";
		return -1;
	}
	struct buf text, out;
	buf_init(&text);
	buf_init(&out);
	if (e != NULL)
		template_write(e->item.summary,
		               e->item.start != ICAL_TIME_MIN
		                   ? pr_time_date((time_t)e->item.start, pool)
		                   : "",
		               e->item.description, &text);
	else
		template_write("", pr_time_date(day, pool), "", &text);
	int ret = edit_text(ctx, &text);
	*error_r = "the editor failed";
	if (ret > 0 && edit_from_template(ctx, text.data, &ed) != 0) {
		*error_r = "the first lines must be Summary: and Date:";
		ret = -1;
	}
	if (ret > 0 && e == NULL) {
		ed.uid = pr_cal_uid_new(pool);
		name = pool_printf(pool, "%s.ics", ed.uid);
		collection = pr_cal_collection_for(
		    ctx->local, ICAL_KIND_VJOURNAL, NULL, pool, error_r);
		if (collection == NULL ||
		    ical_edit_new(&ed, pool, &out, error_r) < 0 ||
		    pr_cal_store(ctx->local, collection, name,
		                 (const unsigned char *)out.data, out.len, NULL,
		                 true, pool, NULL, error_r) != 0)
			ret = -1;
	} else if (ret > 0 &&
	           (ical_edit_change(data, size, &ed, ICAL_TIME_MIN, pool, &out,
	                             error_r) < 0 ||
	            pr_cal_store(ctx->local, e->collection, e->name,
	                         (const unsigned char *)out.data, out.len, etag,
	                         false, pool, NULL, error_r) != 0)) {
		ret = -1;
	}
	buf_deinit(&text);
	buf_deinit(&out);
	return ret;
}

int pr_cmd_journal(struct pr_cli *cli, int argc, char **argv)
{
	char *list_argv[] = {argv[0], (char *)"list", NULL};
	if (argc < 2) {
		argc = 2;
		argv = list_argv;
	}
	int (*fn)(struct pr_cal_ctx *, int, char **) = NULL;
	if (strcmp(argv[1], "add") == 0)
		fn = cmd_add;
	else if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "show") == 0)
		fn = cmd_list_show;
	else if (strcmp(argv[1], "edit") == 0 || strcmp(argv[1], "delete") == 0)
		fn = cmd_edit_delete;
	if (fn == NULL)
		return pr_fail(
		           "usage: journal [list [--from D] [--to D]] | add "
		           "[--date D] [--summary S] [--body-file F] | "
		           "show|edit|delete DATE|UID") +
		       1;
	struct pr_cal_ctx ctx;
	if (pr_cal_ctx_open(cli, &ctx) < 0)
		return 1;
	int ret = fn(&ctx, argc, argv);
	pr_cal_ctx_close(&ctx);
	return ret;
}
