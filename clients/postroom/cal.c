/* postroom cal: the agenda, a day, a week and a month (in the terminal and
 * as --json), and events added, changed and deleted with recurrence rules
 * (RFC 5545 §3.3.10), time zones and reminders (VALARM); a change or
 * deletion can be of one instance of a series (an override or an
 * EXDATE). Everything works on the local store; the next `postroom sync`
 * carries it to the CalDAV server, and invitations to the attendees go
 * through the Outbox at once (invite.c). */
#include "cal.h"

#include "core/buf.h"
#include "core/pool.h"
#include "store/store_dav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAL_ALARMS_MAX 8
#define CAL_ATTENDEES_MAX 64
#define CAL_DEFAULT_DURATION 3600

void pr_json_print(json_t *value)
{
	json_dumpf(value, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(value);
}

int pr_cal_ctx_open(struct pr_cli *cli, struct pr_cal_ctx *ctx)
{
	*ctx = (struct pr_cal_ctx){.cli = cli, .now = time(NULL)};
	if (pr_cli_open(cli, &ctx->account, &ctx->local_own) < 0)
		return -1;
	ctx->local = &ctx->local_own;
	ctx->tz = ical_tz_local(&ctx->tz_name);
	return 0;
}

void pr_cal_ctx_init(struct pr_cal_ctx *ctx, struct pr_cli *cli,
                     struct pr_account *account, struct pr_local *local)
{
	*ctx = (struct pr_cal_ctx){
	    .cli = cli, .account = account, .local = local, .now = time(NULL)};
	ctx->tz = ical_tz_local(&ctx->tz_name);
}

void pr_cal_ctx_close(struct pr_cal_ctx *ctx)
{
	ical_tz_free(&ctx->tz);
	if (ctx->local == &ctx->local_own)
		pr_local_close(&ctx->local_own);
}

/* ---- Options ------------------------------------------------------------ */

/* What add and edit were given. */
struct cal_opts {
	const char *summary, *location, *description, *start, *end;
	const char *duration, *tz, *rrule, *calendar, *instance, *status;
	const char *alarms[CAL_ALARMS_MAX];
	size_t alarm_count;
	const char *attendees[CAL_ATTENDEES_MAX];
	size_t attendee_count;
	bool is_all_day, is_no_alarms;
};

static int opts_parse(int argc, char **argv, int first, struct cal_opts *o)
{
	memset(o, 0, sizeof(*o));
	static const char *const names[] = {
	    "--summary",  "--location", "--description", "--start",
	    "--end",      "--duration", "--tz",          "--rrule",
	    "--calendar", "--instance", "--status",      NULL};
	const char **slots[] = {&o->summary,  &o->location, &o->description,
	                        &o->start,    &o->end,      &o->duration,
	                        &o->tz,       &o->rrule,    &o->calendar,
	                        &o->instance, &o->status};
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--all-day") == 0) {
			o->is_all_day = true;
			continue;
		}
		if (strcmp(a, "--no-alarms") == 0) {
			o->is_no_alarms = true;
			continue;
		}
		if (i + 1 >= argc)
			return pr_fail("%s needs a value", a);
		const char *v = argv[++i];
		if (strcmp(a, "--alarm") == 0 &&
		    o->alarm_count < CAL_ALARMS_MAX)
			o->alarms[o->alarm_count++] = v;
		else if (strcmp(a, "--attendee") == 0 &&
		         o->attendee_count < CAL_ATTENDEES_MAX)
			o->attendees[o->attendee_count++] = v;
		else {
			size_t k = 0;
			while (names[k] != NULL && strcmp(names[k], a) != 0)
				k++;
			if (names[k] == NULL)
				return pr_fail("unknown option %s", a);
			*slots[k] = v;
		}
	}
	return 0;
}

/* Reads a time option into w (UTC times become tzid "UTC"). */
static int when_opt(struct pr_cal_ctx *ctx, const char *str, bool is_all_day,
                    struct ical_when *w, const char **tzid)
{
	bool is_utc;
	if (pr_time_parse(str, ctx->now, w, &is_utc) < 0)
		return pr_fail("not a date or time: %s (try 2024-05-01 10:00)",
		               str);
	if (is_all_day && !w->is_date) {
		w->is_date = true;
		w->hour = w->minute = w->second = 0;
	}
	if (is_utc)
		*tzid = "UTC";
	return 0;
}

/* Fills e from o: text, times, rule, alarms, status. */
static int edit_fill(struct pr_cal_ctx *ctx, const struct cal_opts *o,
                     struct ical_edit *e, int64_t *alarms)
{
	e->summary = o->summary;
	e->location = o->location;
	e->description = o->description;
	e->status = o->status;
	e->tzid = o->tz != NULL ? o->tz : ctx->tz_name;
	e->local = ctx->tz;
	e->now = ctx->now;
	e->priority = e->percent = -1;
	if (o->rrule != NULL)
		e->rrule = strcmp(o->rrule, "none") == 0 ? "" : o->rrule;
	if (o->start != NULL &&
	    when_opt(ctx, o->start, o->is_all_day, &e->start, &e->tzid) != 0)
		return -1;
	if (o->end != NULL &&
	    when_opt(ctx, o->end, e->start.is_date, &e->end, &e->tzid) != 0)
		return -1;
	if (o->duration != NULL &&
	    (e->duration = pr_duration_parse(o->duration)) <= 0)
		return pr_fail("not a length: %s (try 90m, 1h30m, 2d)",
		               o->duration);
	for (size_t i = 0; i < o->alarm_count; i++) {
		alarms[i] = pr_duration_parse(o->alarms[i]);
		if (alarms[i] < 0)
			return pr_fail("not a length: %s (try 15m)",
			               o->alarms[i]);
	}
	if (o->alarm_count > 0 || o->is_no_alarms) {
		e->has_alarms = true;
		e->alarms = alarms;
		e->alarm_count = o->alarm_count;
	}
	return 0;
}

/* ---- Viewing ------------------------------------------------------------ */

enum cal_view { VIEW_AGENDA, VIEW_DAY, VIEW_WEEK, VIEW_MONTH };

/* "2024-05" (a month, for the month view): its first day. */
static bool month_parse(const char *str, time_t *from_r)
{
	int y, m, n = 0;
	if (sscanf(str, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 ||
	    str[n] != '\0' || m < 1 || m > 12)
		return false;
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = m - 1,
	                .tm_mday = 1,
	                .tm_hour = 12,
	                .tm_isdst = -1};
	*from_r = pr_day_start(mktime(&tm));
	return true;
}

/* cal [VIEW] [DATE] [--days N]: the options start at argv[first]. */
static int cmd_view(struct pr_cal_ctx *ctx, enum cal_view view, int argc,
                    char **argv, int first)
{
	time_t from = pr_day_start(ctx->now);
	int days = 14;
	for (int i = first; i < argc; i++) {
		struct ical_when w;
		bool is_utc;
		if (strcmp(argv[i], "--days") == 0 && i + 1 < argc &&
		    view == VIEW_AGENDA) {
			days = atoi(argv[++i]);
			if (days < 1 || days > 3660)
				return pr_fail("--days takes 1 to 3660");
		} else if (pr_time_parse(argv[i], ctx->now, &w, &is_utc) == 0) {
			from = pr_day_start(pr_time_of(&w, is_utc));
		} else if (view == VIEW_MONTH && month_parse(argv[i], &from)) {
			continue;
		} else {
			return pr_fail("not a date: %s", argv[i]);
		}
	}
	if (view == VIEW_DAY)
		days = 1;
	if (view == VIEW_WEEK) {
		from = pr_week_start(from);
		days = 7;
	}
	time_t to = pr_day_add(from, days);
	if (view == VIEW_MONTH) {
		from = pr_month_start(from);
		to = pr_month_add(from, 1);
		days = (int)((to - from + 43200) / 86400);
	}
	struct pr_cal_entry *list;
	size_t count;
	if (pr_cal_entries(ctx->local, ICAL_KIND_VEVENT, from, to, ctx->tz,
	                   ctx->cli->pool, &list, &count) < 0)
		return pr_fail("cal: %s",
		               store_dav_last_error(ctx->local->account));
	if (ctx->cli->is_json) {
		json_t *a = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(
			    a, pr_cal_entry_json(&list[i], ctx->cli->pool));
		pr_json_print(a);
		return 0;
	}
	struct buf out;
	buf_init(&out);
	if (view == VIEW_MONTH) {
		pr_cal_month_grid(list, count, from, &out);
		buf_append_str(&out, "\n");
	}
	pr_cal_agenda(list, count, from, days,
	              view == VIEW_WEEK || view == VIEW_DAY, &out);
	if (out.len == 0)
		buf_append_str(&out, "nothing planned\n");
	fputs(out.data, stdout);
	buf_deinit(&out);
	return 0;
}

static int cmd_calendars(struct pr_cal_ctx *ctx)
{
	struct store_dav_collection *colls;
	size_t count;
	if (store_dav_collections(ctx->local->account, STORE_DAV_CALENDAR,
	                          ctx->cli->pool, &colls, &count) < 0)
		return pr_fail("cal: %s",
		               store_dav_last_error(ctx->local->account));
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++) {
		unsigned c = colls[i].components;
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:b, s:b, s:b}", "name",
		                 colls[i].name, "displayname",
		                 colls[i].displayname, "events",
		                 (c & ICAL_KIND_VEVENT) != 0, "tasks",
		                 (c & ICAL_KIND_VTODO) != 0, "journal",
		                 (c & ICAL_KIND_VJOURNAL) != 0));
		if (!ctx->cli->is_json)
			printf("%s\t%s%s%s%s\n", colls[i].name,
			       colls[i].displayname,
			       (c & ICAL_KIND_VEVENT) ? " [events]" : "",
			       (c & ICAL_KIND_VTODO) ? " [tasks]" : "",
			       (c & ICAL_KIND_VJOURNAL) ? " [journal]" : "");
	}
	if (ctx->cli->is_json)
		pr_json_print(a);
	else
		json_decref(a);
	return 0;
}

static int cmd_show(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	if (argc != 3)
		return pr_fail("usage: cal show UID") + 1;
	struct pr_cal_entry e;
	const char *error = "no such event";
	if (pr_cal_find(ctx->local, argv[2], ICAL_KIND_ALL, ctx->tz,
	                ctx->cli->pool, &e, &error) <= 0)
		return pr_fail("%s: %s", argv[2], error);
	if (ctx->cli->is_json) {
		pr_json_print(pr_cal_entry_json(&e, ctx->cli->pool));
		return 0;
	}
	const struct ical_item *it = &e.item;
	printf("uid:      %s\ncalendar: %s\nsummary:  %s\n", it->uid,
	       e.collection, it->summary);
	if (it->start != ICAL_TIME_MIN)
		printf("start:    %s%s\n",
		       it->is_all_day
		           ? pr_time_date((time_t)it->start, ctx->cli->pool)
		           : pr_time_rfc3339((time_t)it->start, ctx->cli->pool),
		       it->is_all_day ? " (all day)" : "");
	if (it->end > it->start && !it->is_all_day)
		printf("end:      %s\n",
		       pr_time_rfc3339((time_t)it->end, ctx->cli->pool));
	if (it->rrule[0] != '\0')
		printf("repeats:  %s\n", it->rrule);
	if (it->location[0] != '\0')
		printf("location: %s\n", it->location);
	for (size_t i = 0; i < it->alarm_count; i++)
		printf("alarm:    %lld minutes before\n",
		       (long long)(it->alarms[i] / 60));
	if (it->organizer[0] != '\0')
		printf("organizer: %s\n", it->organizer);
	for (size_t i = 0; i < it->attendee_count; i++)
		printf("attendee: %s (%s)\n", it->attendees[i].address,
		       it->attendees[i].partstat);
	if (it->description[0] != '\0')
		printf("\n%s\n", it->description);
	return 0;
}

/* ---- Writing ------------------------------------------------------------- */

/* Stores data for entry e (or a new member of collection when e is NULL)
 * and tells the attendees when there are any. */
static int store_and_invite(struct pr_cal_ctx *ctx, const char *collection,
                            const char *name, const struct buf *data,
                            const char *method, bool is_new)
{
	const char *error;
	if (pr_cal_store(ctx->local, collection, name,
	                 (const unsigned char *)data->data, data->len, NULL,
	                 is_new, ctx->cli->pool, NULL, &error) != 0)
		return pr_fail("cal: %s", error);
	int sent = pr_invite_send(ctx, (const unsigned char *)data->data,
	                          data->len, method, &error);
	if (sent < 0)
		pr_fail("cal: saved, but the invitations were not sent: %s",
		        error);
	else if (sent > 0 && !ctx->cli->is_json)
		printf("%s sent to %d attendee%s\n",
		       strcmp(method, "CANCEL") == 0 ? "cancellation"
		                                     : "invitation",
		       sent, sent == 1 ? "" : "s");
	return 0;
}

static int cmd_add(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	struct cal_opts o;
	int64_t alarms[CAL_ALARMS_MAX];
	if (opts_parse(argc, argv, 2, &o) != 0)
		return 2;
	if (o.summary == NULL || o.start == NULL)
		return pr_fail("cal add needs --summary and --start") + 1;
	struct ical_edit e = {.kind = ICAL_KIND_VEVENT};
	if (edit_fill(ctx, &o, &e, alarms) != 0)
		return 2;
	if (!e.end.is_set && e.duration == 0 && !e.start.is_date)
		e.duration = CAL_DEFAULT_DURATION;
	struct pool *pool = ctx->cli->pool;
	e.uid = pr_cal_uid_new(pool);
	if (o.attendee_count > 0) {
		e.organizer = ctx->account->address;
		e.organizer_name = ctx->account->display_name;
		e.has_attendees = true;
		e.attendees = o.attendees;
		e.attendee_count = o.attendee_count;
	}
	const char *error;
	const char *collection = pr_cal_collection_for(
	    ctx->local, ICAL_KIND_VEVENT, o.calendar, pool, &error);
	if (collection == NULL)
		return pr_fail("cal add: %s", error);
	struct buf data;
	buf_init(&data);
	int ret = ical_edit_new(&e, pool, &data, &error) < 0
	              ? pr_fail("cal add: %s", error)
	              : store_and_invite(ctx, collection,
	                                 pool_printf(pool, "%s.ics", e.uid),
	                                 &data, "REQUEST", true);
	buf_deinit(&data);
	if (ret != 0)
		return ret;
	if (ctx->cli->is_json)
		pr_json_print(json_pack("{s:s, s:s}", "uid", e.uid, "calendar",
		                        collection));
	else
		printf("added %s to %s\n", e.uid, collection);
	return 0;
}

/* The instance an --instance option names (its original start), or
 * ICAL_TIME_MIN for the whole series. */
static int instance_opt(struct pr_cal_ctx *ctx, const char *str,
                        int64_t *instance_r)
{
	*instance_r = ICAL_TIME_MIN;
	if (str == NULL)
		return 0;
	struct ical_when w;
	bool is_utc;
	if (pr_time_parse(str, ctx->now, &w, &is_utc) < 0)
		return pr_fail("not a date or time: %s", str);
	*instance_r = pr_time_of(&w, is_utc);
	return 0;
}

/* Reads the entry uid names with its data. Returns 0 or the exit status. */
static int entry_load(struct pr_cal_ctx *ctx, const char *uid, unsigned kinds,
                      struct pr_cal_entry *e, const unsigned char **data_r,
                      size_t *size_r)
{
	const char *error = "no such item", *etag;
	int ret = pr_cal_find(ctx->local, uid, kinds, ctx->tz, ctx->cli->pool,
	                      e, &error);
	if (ret <= 0)
		return pr_fail("%s: %s", uid, error);
	if (pr_cal_read(ctx->local, e->collection, e->name, ctx->cli->pool,
	                data_r, size_r, &etag) <= 0)
		return pr_fail("%s: gone meanwhile", uid);
	return 0;
}

/* Does e have attendees and the account as its organizer? */
static bool is_organizer(const struct pr_cal_ctx *ctx,
                         const struct pr_cal_entry *e)
{
	return e->item.attendee_count > 0 &&
	       strcasecmp(e->item.organizer, ctx->account->address) == 0;
}

static int cmd_edit(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	struct cal_opts o;
	int64_t alarms[CAL_ALARMS_MAX], instance;
	if (argc < 3 || opts_parse(argc, argv, 3, &o) != 0)
		return argc < 3 ? pr_fail("usage: cal edit UID [--summary S]"
		                          " [--start T] ...") +
		                      1
		                : 2;
	struct ical_edit e = {0};
	if (edit_fill(ctx, &o, &e, alarms) != 0 ||
	    instance_opt(ctx, o.instance, &instance) != 0)
		return 2;
	struct pr_cal_entry entry;
	const unsigned char *data;
	size_t size;
	int ret =
	    entry_load(ctx, argv[2], ICAL_KIND_VEVENT, &entry, &data, &size);
	if (ret != 0)
		return ret;
	struct buf out;
	buf_init(&out);
	const char *error;
	if (ical_edit_change(data, size, &e, instance, ctx->cli->pool, &out,
	                     &error) < 0)
		ret = pr_fail("cal edit: %s", error);
	else if (is_organizer(ctx, &entry))
		ret = store_and_invite(ctx, entry.collection, entry.name, &out,
		                       "REQUEST", false);
	else if (pr_cal_store(ctx->local, entry.collection, entry.name,
	                      (const unsigned char *)out.data, out.len, NULL,
	                      false, ctx->cli->pool, NULL, &error) != 0)
		ret = pr_fail("cal edit: %s", error);
	buf_deinit(&out);
	if (ret == 0 && !ctx->cli->is_json)
		printf("changed %s\n", entry.item.uid);
	else if (ret == 0)
		pr_json_print(json_pack("{s:s}", "changed", entry.item.uid));
	return ret;
}

static int cmd_delete(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	struct cal_opts o;
	int64_t instance;
	if (argc < 3 || opts_parse(argc, argv, 3, &o) != 0)
		return pr_fail("usage: cal delete UID [--instance T]") + 1;
	if (instance_opt(ctx, o.instance, &instance) != 0)
		return 2;
	struct pr_cal_entry e;
	const unsigned char *data;
	size_t size;
	int ret = entry_load(ctx, argv[2], ICAL_KIND_ALL, &e, &data, &size);
	if (ret != 0)
		return ret;
	const char *error;
	struct buf out;
	buf_init(&out);
	if (instance != ICAL_TIME_MIN) {
		if (ical_edit_exclude(data, size, instance, ctx->tz, ctx->now,
		                      ctx->cli->pool, &out, &error) < 0 ||
		    pr_cal_store(ctx->local, e.collection, e.name,
		                 (const unsigned char *)out.data, out.len, NULL,
		                 false, ctx->cli->pool, NULL, &error) != 0)
			ret = pr_fail("cal delete: %s", error);
	} else {
		if (is_organizer(ctx, &e) &&
		    pr_invite_send(ctx, data, size, "CANCEL", &error) < 0)
			pr_fail("cal delete: the cancellation was not sent: %s",
			        error);
		if (pr_cal_remove(ctx->local, e.collection, e.name, &error) < 0)
			ret = pr_fail("cal delete: %s", error);
	}
	buf_deinit(&out);
	if (ret == 0 && ctx->cli->is_json)
		pr_json_print(json_pack("{s:s}", "deleted", e.item.uid));
	else if (ret == 0)
		printf("deleted %s%s\n", e.item.uid,
		       instance != ICAL_TIME_MIN ? " (one instance)" : "");
	return ret;
}

/* cal reminders [--within D]: the alarms (VALARM with a relative
 * TRIGGER, RFC 5545 §3.6.6) that go off from now to now + D (default
 * 1h), each with its event, by the time they go off. */
static int cmd_reminders(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	int64_t within = 3600;
	if (argc == 4 && strcmp(argv[2], "--within") == 0)
		within = pr_duration_parse(argv[3]);
	else if (argc != 2)
		within = -1;
	if (within <= 0)
		return pr_fail("usage: cal reminders [--within 1h]") + 1;
	struct pool *pool = ctx->cli->pool;
	struct pr_cal_alarm *alarms;
	size_t count;
	if (pr_cal_alarms(ctx->local, ctx->now, ctx->now + within, ctx->tz,
	                  pool, &alarms, &count) < 0)
		return pr_fail("cal: %s",
		               store_dav_last_error(ctx->local->account));
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++) {
		const struct pr_cal_alarm *al = &alarms[i];
		json_t *o = pr_cal_entry_json(al->entry, pool);
		json_object_set_new(
		    o, "alarm",
		    json_string(pr_time_rfc3339((time_t)al->at, pool)));
		json_array_append_new(a, o);
		if (!ctx->cli->is_json) {
			char hhmm[6];
			pr_time_hhmm((time_t)al->base, hhmm);
			printf("%s  %s at %s\n",
			       pr_time_rfc3339((time_t)al->at, pool),
			       al->entry->item.summary, hhmm);
		}
	}
	if (ctx->cli->is_json)
		pr_json_print(a);
	else
		json_decref(a);
	return 0;
}

static int cal_dispatch(struct pr_cal_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "agenda";
	if (argc > 1 && argv[1][0] == '-')
		sub = "agenda";
	static const struct {
		const char *name;
		enum cal_view view;
	} views[] = {{"agenda", VIEW_AGENDA},
	             {"day", VIEW_DAY},
	             {"week", VIEW_WEEK},
	             {"month", VIEW_MONTH}};
	for (size_t i = 0; i < sizeof(views) / sizeof(*views); i++)
		if (strcmp(sub, views[i].name) == 0)
			return cmd_view(ctx, views[i].view, argc, argv,
			                argc > 1 && argv[1][0] != '-' ? 2 : 1);
	if (strcmp(sub, "add") == 0)
		return cmd_add(ctx, argc, argv);
	if (strcmp(sub, "edit") == 0)
		return cmd_edit(ctx, argc, argv);
	if (strcmp(sub, "delete") == 0)
		return cmd_delete(ctx, argc, argv);
	if (strcmp(sub, "show") == 0)
		return cmd_show(ctx, argc, argv);
	if (strcmp(sub, "calendars") == 0)
		return cmd_calendars(ctx);
	if (strcmp(sub, "reminders") == 0)
		return cmd_reminders(ctx, argc, argv);
	if (strcmp(sub, "freebusy") == 0)
		return pr_cal_freebusy_cmd(ctx, argc, argv);
	if (strcmp(sub, "invitations") == 0 || strcmp(sub, "accept") == 0 ||
	    strcmp(sub, "decline") == 0 || strcmp(sub, "tentative") == 0 ||
	    strcmp(sub, "apply") == 0)
		return pr_cal_invite_cmd(ctx, argc, argv);
	return pr_fail(
	           "usage: cal [agenda|day|week|month [DATE]] | add | "
	           "edit UID | delete UID | show UID | calendars | reminders | "
	           "invitations | accept|decline|tentative MSG | apply MSG "
	           "| freebusy ADDRESS") +
	       1;
}

int pr_cmd_cal(struct pr_cli *cli, int argc, char **argv)
{
	struct pr_cal_ctx ctx;
	if (pr_cal_ctx_open(cli, &ctx) < 0)
		return 1;
	int ret = cal_dispatch(&ctx, argc, argv);
	pr_cal_ctx_close(&ctx);
	return ret;
}
