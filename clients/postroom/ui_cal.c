/* The organiser panes of the full-screen interface: the calendar ('W': a
 * week as seven columns, its agenda below with a selection; n/p move a
 * week, t goes to today, a adds an event, d deletes one), the tasks ('T':
 * open ones first; x marks one done or open again, a adds, d deletes) and
 * the journal ('J': entries by date with the selected one's text below; a
 * writes today's in the editor, e changes the selected one). They read
 * and write the local calendars (calendar.c) as the cal, tasks and journal
 * commands do; 's' syncs them with the server like mail. */
#include "cal.h"
#include "ui.h"

#include "core/buf.h"
#include "core/pool.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#define UI_CAL_GRID_MIN_W 70 /* narrower: the agenda alone */

/* Loads what the pane shows into ui->cal_entries. */
static void entries_load(struct ui *ui)
{
	pool_free(&ui->cal_pool);
	ui->cal_pool = pool_new();
	ui->cal_entries = NULL;
	ui->cal_count = 0;
	struct pr_cal_ctx ctx;
	pr_cal_ctx_init(&ctx, ui->cli, ui->account, &ui->local);
	unsigned kind = ui->pane == UI_PANE_TASKS     ? ICAL_KIND_VTODO
	                : ui->pane == UI_PANE_JOURNAL ? ICAL_KIND_VJOURNAL
	                                              : ICAL_KIND_VEVENT;
	int64_t from = ICAL_TIME_MIN, to = ICAL_TIME_MAX;
	if (ui->pane == UI_PANE_CALENDAR) {
		from = ui->cal_week;
		to = pr_day_add(ui->cal_week, 7);
	}
	if (pr_cal_entries(&ui->local, kind, from, to, ctx.tz, ui->cal_pool,
	                   &ui->cal_entries, &ui->cal_count) < 0)
		ui_status(ui, true, "calendar: cannot read the local store");
	pr_cal_ctx_close(&ctx);
	if (ui->pane == UI_PANE_JOURNAL) {
		/* newest first */
		for (size_t i = 0; i < ui->cal_count / 2; i++) {
			struct pr_cal_entry t = ui->cal_entries[i];
			ui->cal_entries[i] =
			    ui->cal_entries[ui->cal_count - 1 - i];
			ui->cal_entries[ui->cal_count - 1 - i] = t;
		}
	}
	if (ui->cal_sel >= ui->cal_count)
		ui->cal_sel = ui->cal_count > 0 ? ui->cal_count - 1 : 0;
}

void ui_cal_open(struct ui *ui, enum ui_pane pane)
{
	if ((UI_IN(ui->pane) & UI_IN_ORGANIZER) == 0)
		ui->back_pane = ui->pane;
	ui->pane = pane;
	ui->cal_sel = ui->cal_top = 0;
	if (ui->cal_week == 0)
		ui->cal_week = pr_week_start(time(NULL));
	entries_load(ui);
	ui_layout(ui);
	ui_status(ui, false, "%zu %s", ui->cal_count,
	          pane == UI_PANE_CALENDAR ? "events this week"
	          : pane == UI_PANE_TASKS  ? "tasks"
	                                   : "journal entries");
}

void ui_cal_remind(struct ui *ui)
{
	time_t now = time(NULL);
	if (now <= ui->remind_from || !ui->is_local_open)
		return;
	struct pool *pool = pool_new();
	struct pr_cal_ctx ctx;
	pr_cal_ctx_init(&ctx, ui->cli, ui->account, &ui->local);
	struct pr_cal_alarm *alarms;
	size_t count;
	if (pr_cal_alarms(&ui->local, ui->remind_from, now + 1, ctx.tz, pool,
	                  &alarms, &count) == 0 &&
	    count > 0) {
		const struct pr_cal_alarm *al = &alarms[count - 1];
		char hhmm[6];
		pr_time_hhmm((time_t)al->base, hhmm);
		ui_status(ui, false, "Reminder: %s at %s%s",
		          al->entry->item.summary, hhmm,
		          count > 1
		              ? pool_printf(pool, " (and %zu more)", count - 1)
		              : "");
		beep();
	}
	pr_cal_ctx_close(&ctx);
	pool_free(&pool);
	ui->remind_from = now + 1;
}

void ui_cal_view_check(struct ui *ui)
{
	struct pr_cal_ctx ctx;
	pr_cal_ctx_init(&ctx, ui->cli, ui->account, &ui->local);
	ui->is_view_invitation =
	    ui->has_msg &&
	    pr_invite_is_request(&ctx, ui->view_mailbox, ui->view_uid);
	pr_cal_ctx_close(&ctx);
}

static void view_answer(struct ui *ui, const char *answer)
{
	if (!ui->has_msg || !ui->is_view_invitation) {
		ui_status(ui, true, "this message is no invitation");
		return;
	}
	struct pr_cal_ctx ctx;
	pr_cal_ctx_init(&ctx, ui->cli, ui->account, &ui->local);
	struct pr_invite_answer a;
	const char *error;
	if (pr_invite_answer(&ctx, ui->view_mailbox, ui->view_uid, answer, NULL,
	                     &a, &error) < 0)
		ui_status(ui, true, "%s: %s", answer, error);
	else
		ui_status(ui, false, "%s %s; %s %s", a.partstat, a.summary,
		          a.by_server ? "the server replies at the next sync to"
		                      : "reply sent to",
		          a.organizer);
	pr_cal_ctx_close(&ctx);
	ui_cal_refresh(ui);
}

void ui_cal_accept(struct ui *ui)
{
	view_answer(ui, "accept");
}

void ui_cal_decline(struct ui *ui)
{
	view_answer(ui, "decline");
}

void ui_cal_tentative(struct ui *ui)
{
	view_answer(ui, "tentative");
}

void ui_cal_refresh(struct ui *ui)
{
	if ((UI_IN(ui->pane) & UI_IN_ORGANIZER) != 0)
		entries_load(ui);
}

void ui_cal_move(struct ui *ui, long delta)
{
	if (ui->cal_count == 0)
		return;
	long sel = (long)ui->cal_sel + delta;
	if (sel < 0)
		sel = 0;
	if (sel >= (long)ui->cal_count)
		sel = (long)ui->cal_count - 1;
	ui->cal_sel = (size_t)sel;
}

static const struct pr_cal_entry *selected(const struct ui *ui)
{
	return ui->cal_count > 0 ? &ui->cal_entries[ui->cal_sel] : NULL;
}

/* ---- Drawing --------------------------------------------------------------
 */

/* The week as seven columns: a day's heading, then its entries. */
static void week_draw(struct ui *ui, int y, int h)
{
	const struct ui_rect *r = &ui->r_cal;
	int cw = r->w / 7;
	time_t today = pr_day_start(time(NULL));
	for (int d = 0; d < 7; d++) {
		time_t day = pr_day_add(ui->cal_week, d);
		time_t next = pr_day_add(day, 1);
		char label[16];
		pr_time_day_label(day, label);
		int attr = day == today ? A_BOLD | A_REVERSE : A_BOLD;
		attron(attr);
		ui_put(y, r->x + d * cw, label, strlen(label), cw - 1);
		attroff(attr);
		int row = 1;
		for (size_t i = 0; i < ui->cal_count && row < h; i++) {
			const struct ical_item *it = &ui->cal_entries[i].item;
			bool is_on = it->end > it->start
			                 ? it->start < next && it->end > day
			                 : it->start >= day && it->start < next;
			if (!is_on)
				continue;
			struct buf line;
			buf_init(&line);
			if (it->is_all_day) {
				buf_append_str(&line, "* ");
			} else {
				char hhmm[6];
				pr_time_hhmm(
				    it->start < day ? day : (time_t)it->start,
				    hhmm);
				buf_printf(&line, "%s ", hhmm);
			}
			buf_append_str(&line, it->summary);
			if (i == ui->cal_sel)
				attron(A_REVERSE);
			ui_put(y + row++, r->x + d * cw, line.data, line.len,
			       cw - 1);
			if (i == ui->cal_sel)
				attroff(A_REVERSE);
			buf_deinit(&line);
		}
	}
}

/* The entries as lines, the selection kept in view. */
static void list_draw(struct ui *ui, int y, int h)
{
	const struct ui_rect *r = &ui->r_cal;
	if (ui->cal_count == 0) {
		const char *none = ui->pane == UI_PANE_CALENDAR
		                       ? "nothing planned this week"
		                       : "(none)";
		ui_put(y, r->x, none, strlen(none), r->w);
		return;
	}
	if (ui->cal_sel < ui->cal_top)
		ui->cal_top = ui->cal_sel;
	else if (h > 0 && ui->cal_sel >= ui->cal_top + (size_t)h)
		ui->cal_top = ui->cal_sel - (size_t)h + 1;
	for (int row = 0; row < h; row++) {
		size_t i = ui->cal_top + (size_t)row;
		if (i >= ui->cal_count)
			break;
		const struct pr_cal_entry *e = &ui->cal_entries[i];
		const struct ical_item *it = &e->item;
		struct buf line;
		buf_init(&line);
		if (ui->pane == UI_PANE_CALENDAR) {
			char label[16];
			pr_time_day_label((time_t)it->start, label);
			buf_printf(&line, "%s ", label);
			pr_cal_entry_line(e, pr_day_start((time_t)it->start),
			                  &line);
		} else if (ui->pane == UI_PANE_TASKS) {
			bool is_done = strcmp(it->status, "COMPLETED") == 0;
			buf_printf(&line, "[%c] %s", is_done ? 'x' : ' ',
			           it->summary);
			if (it->due != ICAL_TIME_MIN)
				buf_printf(&line, "  due %s",
				           pr_time_date((time_t)it->due,
				                        ui->cal_pool));
			if (it->priority > 0)
				buf_printf(&line, "  !%d", it->priority);
		} else {
			buf_printf(
			    &line, "%s  %s",
			    it->start != ICAL_TIME_MIN
			        ? pr_time_date((time_t)it->start, ui->cal_pool)
			        : "(no date) ",
			    it->summary);
		}
		while (line.len > 0 && line.data[line.len - 1] == '\n')
			buf_truncate(&line, line.len - 1);
		if (i == ui->cal_sel)
			attron(A_REVERSE);
		ui_put(y + row, r->x, line.data, line.len, r->w);
		if (i == ui->cal_sel)
			attroff(A_REVERSE);
		buf_deinit(&line);
	}
}

/* The selected journal entry's text. */
static void text_draw(struct ui *ui, int y, int h)
{
	const struct pr_cal_entry *e = selected(ui);
	if (e == NULL)
		return;
	const char *text = e->item.description;
	size_t len = strlen(text), off = 0;
	for (int row = 0; row < h && off < len; row++) {
		size_t shown;
		size_t used =
		    ui_wrap(text + off, len - off, ui->r_cal.w, &shown);
		ui_put(y + row, ui->r_cal.x, text + off, shown, ui->r_cal.w);
		off += used;
	}
}

void ui_cal_draw(struct ui *ui)
{
	const struct ui_rect *r = &ui->r_cal;
	if (r->h < 4)
		return;
	struct buf head;
	buf_init(&head);
	if (ui->pane == UI_PANE_CALENDAR) {
		char from[16], to[16];
		pr_time_day_label(ui->cal_week, from);
		pr_time_day_label(pr_day_add(ui->cal_week, 6), to);
		buf_printf(&head, "Week %s - %s", from, to);
	} else {
		buf_append_str(&head,
		               ui->pane == UI_PANE_TASKS ? "Tasks" : "Journal");
	}
	attron(A_BOLD);
	ui_put(r->y, r->x, head.data, head.len, r->w);
	attroff(A_BOLD);
	buf_deinit(&head);
	int top_h = (r->h - 1) / 2;
	if (ui->pane == UI_PANE_CALENDAR && r->w >= UI_CAL_GRID_MIN_W) {
		week_draw(ui, r->y + 1, top_h);
		mvhline(r->y + 1 + top_h, r->x, ACS_HLINE, r->w);
		list_draw(ui, r->y + 2 + top_h, r->h - 2 - top_h);
	} else if (ui->pane == UI_PANE_JOURNAL) {
		list_draw(ui, r->y + 1, top_h);
		mvhline(r->y + 1 + top_h, r->x, ACS_HLINE, r->w);
		text_draw(ui, r->y + 2 + top_h, r->h - 2 - top_h);
	} else {
		list_draw(ui, r->y + 1, r->h - 1);
	}
}

/* ---- Keys ------------------------------------------------------------------
 */

void ui_cal_enter(struct ui *ui)
{
	const struct pr_cal_entry *e = selected(ui);
	if (e == NULL)
		return;
	const struct ical_item *it = &e->item;
	ui_status(ui, false, "%s%s%s%s%s  [%s]", it->summary,
	          it->location[0] != '\0' ? "  at " : "", it->location,
	          it->description[0] != '\0' ? "  - " : "", it->description,
	          e->collection);
}

static void week_go(struct ui *ui, time_t week)
{
	ui->cal_week = week;
	ui->cal_sel = ui->cal_top = 0;
	entries_load(ui);
}

void ui_cal_next(struct ui *ui)
{
	if (ui->pane == UI_PANE_CALENDAR)
		week_go(ui, pr_day_add(ui->cal_week, 7));
}

void ui_cal_prev(struct ui *ui)
{
	if (ui->pane == UI_PANE_CALENDAR)
		week_go(ui, pr_day_add(ui->cal_week, -7));
}

void ui_cal_today(struct ui *ui)
{
	if (ui->pane == UI_PANE_CALENDAR)
		week_go(ui, pr_week_start(time(NULL)));
}

/* Adds an event (summary, start, length) or a task (summary, due). */
static void add_item(struct ui *ui, struct pr_cal_ctx *ctx, struct pool *pool)
{
	bool is_task = ui->pane == UI_PANE_TASKS;
	const char *summary =
	    ui_prompt(ui, is_task ? "Task: " : "Event: ", NULL, NULL, pool);
	if (summary == NULL || summary[0] == '\0')
		return;
	const char *when = ui_prompt(
	    ui, is_task ? "Due (empty: none): " : "Start (2024-05-01 10:00): ",
	    NULL, NULL, pool);
	if (when == NULL)
		return;
	struct ical_edit e = {.kind =
	                          is_task ? ICAL_KIND_VTODO : ICAL_KIND_VEVENT,
	                      .summary = summary,
	                      .tzid = ctx->tz_name,
	                      .local = ctx->tz,
	                      .priority = -1,
	                      .percent = -1,
	                      .now = ctx->now,
	                      .uid = pr_cal_uid_new(pool)};
	bool is_utc;
	struct ical_when *w = is_task ? &e.due : &e.start;
	if ((when[0] != '\0' || !is_task) &&
	    pr_time_parse(when, ctx->now, w, &is_utc) < 0) {
		ui_status(ui, true, "not a date or time: %s", when);
		return;
	}
	if (!is_task && !e.start.is_date) {
		const char *len =
		    ui_prompt(ui, "Length (1h): ", "1h", NULL, pool);
		if (len == NULL)
			return;
		e.duration = pr_duration_parse(len);
		if (e.duration <= 0) {
			ui_status(ui, true, "not a length: %s", len);
			return;
		}
	}
	const char *error;
	const char *collection =
	    pr_cal_collection_for(ctx->local, e.kind, NULL, pool, &error);
	struct buf data;
	buf_init(&data);
	if (collection == NULL || ical_edit_new(&e, pool, &data, &error) < 0 ||
	    pr_cal_store(ctx->local, collection,
	                 pool_printf(pool, "%s.ics", e.uid),
	                 (const unsigned char *)data.data, data.len, NULL, true,
	                 pool, NULL, &error) != 0)
		ui_status(ui, true, "not added: %s", error);
	else
		ui_status(ui, false, "added %s (s to sync)", summary);
	buf_deinit(&data);
	if (!is_task && w->is_set)
		ui->cal_week = pr_week_start(pr_time_of(w, is_utc));
}

/* Leaves curses for the editor and comes back. */
static void journal_write(struct ui *ui, struct pr_cal_ctx *ctx,
                          const struct pr_cal_entry *e)
{
	def_prog_mode();
	endwin();
	const char *error;
	int ret = pr_journal_write(ctx, e, pr_day_start(time(NULL)), &error);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	if (ret < 0)
		ui_status(ui, true, "journal: %s", error);
	else
		ui_status(ui, false,
		          ret > 0 ? "journal entry saved (s to "
		                    "sync)"
		                  : "nothing written");
}

void ui_cal_add(struct ui *ui)
{
	struct pr_cal_ctx ctx;
	pr_cal_ctx_init(&ctx, ui->cli, ui->account, &ui->local);
	struct pool *pool = pool_new();
	if (ui->pane == UI_PANE_JOURNAL)
		journal_write(ui, &ctx, NULL);
	else
		add_item(ui, &ctx, pool);
	pool_free(&pool);
	pr_cal_ctx_close(&ctx);
	entries_load(ui);
}

void ui_cal_edit(struct ui *ui)
{
	const struct pr_cal_entry *e = selected(ui);
	if (ui->pane != UI_PANE_JOURNAL || e == NULL)
		return;
	struct pr_cal_ctx ctx;
	pr_cal_ctx_init(&ctx, ui->cli, ui->account, &ui->local);
	journal_write(ui, &ctx, e);
	pr_cal_ctx_close(&ctx);
	entries_load(ui);
}

void ui_cal_delete(struct ui *ui)
{
	const struct pr_cal_entry *e = selected(ui);
	if (e == NULL)
		return;
	struct pool *pool = pool_new();
	const char *q =
	    pool_printf(pool, "Delete \"%s\"%s? (y/n) ", e->item.summary,
	                e->item.is_recurring ? " (every instance)" : "");
	const char *error;
	if (ui_prompt_choice(ui, q, "ny") == 'y') {
		if (pr_cal_remove(&ui->local, e->collection, e->name, &error) <
		    0)
			ui_status(ui, true, "not deleted: %s", error);
		else
			ui_status(ui, false, "deleted (s to sync)");
		entries_load(ui);
	}
	pool_free(&pool);
}

void ui_cal_toggle_done(struct ui *ui)
{
	const struct pr_cal_entry *e = selected(ui);
	if (ui->pane != UI_PANE_TASKS || e == NULL)
		return;
	struct pool *pool = pool_new();
	const unsigned char *data;
	size_t size;
	const char *etag, *error = "the task went away";
	bool is_done = strcmp(e->item.status, "COMPLETED") == 0;
	struct ical_edit ed = {.priority = -1,
	                       .percent = -1,
	                       .now = time(NULL),
	                       .is_completed = !is_done,
	                       .is_reopened = is_done};
	struct buf out;
	buf_init(&out);
	if (pr_cal_read(&ui->local, e->collection, e->name, pool, &data, &size,
	                &etag) != 1 ||
	    ical_edit_change(data, size, &ed, ICAL_TIME_MIN, pool, &out,
	                     &error) < 0 ||
	    pr_cal_store(&ui->local, e->collection, e->name,
	                 (const unsigned char *)out.data, out.len, etag, false,
	                 pool, NULL, &error) != 0)
		ui_status(ui, true, "task: %s", error);
	else
		ui_status(ui, false, "%s (s to sync)",
		          is_done ? "open again" : "done");
	buf_deinit(&out);
	pool_free(&pool);
	entries_load(ui);
}
