/* The folder pane (mailboxes with their unread counts; the Outbox with
 * the messages waiting in it) and the message list (threads indented by
 * their References, RFC 5256, as pr_mail_list orders them), and full-text
 * search over every mailbox shown as a list. Reloads keep the selection
 * on the same message, so a change arriving from a sync does not move the
 * reader. Arrays are heap (xrealloc), their strings from the pane's pool. */
#include "ui.h"

#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Folders ---------------------------------------------------------------
 */

struct folders_ctx {
	struct pool *pool;
	struct ui_mailbox *list;
	size_t count;
};

static void folder_cb(const struct store_mailbox_info *info, void *context)
{
	struct folders_ctx *ctx = context;
	ctx->list = xrealloc(ctx->list, (ctx->count + 1) * sizeof(*ctx->list));
	ctx->list[ctx->count++] = (struct ui_mailbox){
	    .name = pool_strdup(ctx->pool, info->name),
	    .messages = info->messages,
	    .unseen = info->unseen,
	    .is_outbox = strcmp(info->name, PR_OUTBOX) == 0,
	};
}

int ui_folders_load(struct ui *ui)
{
	struct folders_ctx ctx = {.pool = pool_new()};
	if (store_mailbox_list(ui->local.account, folder_cb, &ctx) < 0) {
		free(ctx.list);
		pool_free(&ctx.pool);
		ui_status(ui, true, "cannot list the mailboxes: %s",
		          store_last_error(ui->local.store));
		return -1;
	}
	const char *selected = ui->folder_sel < ui->mailbox_count
	                           ? ui->mailboxes[ui->folder_sel].name
	                           : PR_MAIL_DEFAULT_MAILBOX;
	size_t sel = 0;
	for (size_t i = 0; i < ctx.count; i++)
		if (strcmp(ctx.list[i].name, selected) == 0)
			sel = i;
	free(ui->mailboxes);
	pool_free(&ui->folder_pool);
	ui->folder_pool = ctx.pool;
	ui->mailboxes = ctx.list;
	ui->mailbox_count = ctx.count;
	ui->folder_sel = sel;
	return 0;
}

void ui_folders_move(struct ui *ui, long delta)
{
	if (ui->mailbox_count == 0)
		return;
	long sel = (long)ui->folder_sel + delta;
	if (sel < 0)
		sel = 0;
	if (sel >= (long)ui->mailbox_count)
		sel = (long)ui->mailbox_count - 1;
	ui->folder_sel = (size_t)sel;
}

void ui_folders_open(struct ui *ui)
{
	if (ui->folder_sel >= ui->mailbox_count)
		return;
	ui_view_close(ui);
	if (ui_list_load(ui, ui->mailboxes[ui->folder_sel].name, 0) == 0)
		ui->pane = UI_PANE_LIST;
}

/* Keeps sel inside the rows shown, scrolling *top. */
static void scroll_to(size_t sel, size_t *top, int height)
{
	size_t h = height > 0 ? (size_t)height : 1;
	if (sel < *top)
		*top = sel;
	else if (sel >= *top + h)
		*top = sel - h + 1;
}

/* The row attribute of a selected line: reverse in the focused pane,
 * bold elsewhere. */
static int selected_attr(const struct ui *ui, enum ui_pane pane)
{
	return (int)(ui->pane == pane ? A_REVERSE : A_BOLD);
}

void ui_folders_draw(struct ui *ui)
{
	const struct ui_rect *r = &ui->r_folders;
	scroll_to(ui->folder_sel, &ui->folder_top, r->h);
	for (int row = 0; row < r->h; row++) {
		size_t i = ui->folder_top + (size_t)row;
		if (i >= ui->mailbox_count)
			break;
		const struct ui_mailbox *mb = &ui->mailboxes[i];
		/* children are indented under their parent, by last name */
		const char *leaf = strrchr(mb->name, '/');
		int depth = 0;
		for (const char *p = mb->name; *p != '\0'; p++)
			depth += *p == '/';
		struct buf line;
		buf_init(&line);
		buf_printf(&line, "%*s%s", depth, "",
		           leaf != NULL ? leaf + 1 : mb->name);
		uint32_t count = mb->is_outbox ? mb->messages : mb->unseen;
		char num[16] = "";
		if (count > 0)
			snprintf(num, sizeof(num), " %u", count);
		int attr = i == ui->folder_sel
		               ? selected_attr(ui, UI_PANE_FOLDERS)
		               : 0;
		if (count > 0 && !mb->is_outbox)
			attr |= A_BOLD;
		attron(attr);
		int nw = (int)strlen(num);
		ui_put(r->y + row, r->x, line.data, line.len, r->w - nw);
		ui_put(r->y + row, r->x + r->w - nw, num, (size_t)nw, nw);
		attroff(attr);
		buf_deinit(&line);
	}
}

/* ---- The message list ------------------------------------------------------
 */

/* Replaces the list with items (heap) in pool, selecting keep_uid in
 * keep_mailbox when present, else the row at old_sel when keep is set,
 * else the last row (the newest thread). */
static void list_set(struct ui *ui, struct pool *pool, struct ui_item *items,
                     size_t count, const char *keep_mailbox, uint32_t keep_uid)
{
	size_t old_sel = ui->list_sel;
	size_t sel = count > 0 ? count - 1 : 0;
	if (keep_uid != 0 && count > 0)
		sel = old_sel < count ? old_sel : count - 1;
	for (size_t i = 0; keep_uid != 0 && i < count; i++)
		if (items[i].sum.uid == keep_uid &&
		    strcmp(items[i].mailbox, keep_mailbox) == 0)
			sel = i;
	free(ui->items);
	pool_free(&ui->list_pool);
	ui->list_pool = pool;
	ui->items = items;
	ui->item_count = count;
	ui->list_sel = sel;
}

int ui_list_load(struct ui *ui, const char *mailbox, uint32_t keep_uid)
{
	struct pool *pool = pool_new();
	const char *name = pool_strdup(pool, mailbox);
	struct pr_mail_summary *list;
	size_t count;
	const char *error;
	if (pr_mail_list(&ui->local, name, PR_MAIL_LIST_THREADS, pool, &list,
	                 &count, &error) < 0) {
		ui_status(ui, true, "%s: %s", name, error);
		pool_free(&pool);
		return -1;
	}
	struct ui_item *items = xcalloc(count > 0 ? count : 1, sizeof(*items));
	for (size_t i = 0; i < count; i++)
		items[i] = (struct ui_item){.sum = list[i], .mailbox = name};
	list_set(ui, pool, items, count, name, keep_uid);
	ui->mailbox = name;
	ui->search = NULL;
	return 0;
}

struct search_ctx {
	struct ui *ui;
	struct pool *pool;
	const char *mailbox;
	struct ui_item *items;
	size_t count;
};

static void search_cb(uint32_t uid, void *context)
{
	struct search_ctx *ctx = context;
	struct pr_mail_summary sum;
	const char *error;
	if (pr_mail_summary_get(&ctx->ui->local, ctx->mailbox, uid, ctx->pool,
	                        &sum, &error) <= 0)
		return;
	sum.depth = 0;
	ctx->items =
	    xrealloc(ctx->items, (ctx->count + 1) * sizeof(*ctx->items));
	ctx->items[ctx->count++] =
	    (struct ui_item){.sum = sum, .mailbox = ctx->mailbox};
}

static int item_date_cmp(const void *a, const void *b)
{
	const struct ui_item *x = a, *y = b;
	return x->sum.date < y->sum.date ? -1 : x->sum.date > y->sum.date;
}

/* Searches every mailbox into ctx. Returns 0, or -1 with *error_r. */
static int search_all(struct ui *ui, const char *query, struct search_ctx *ctx,
                      const char **error_r)
{
	for (size_t i = 0; i < ui->mailbox_count; i++) {
		ctx->mailbox = pool_strdup(ctx->pool, ui->mailboxes[i].name);
		if (store_mime_search(ui->local.account, ctx->mailbox,
		                      STORE_MIME_TEXT, query, search_cb, ctx,
		                      error_r) < 0)
			return -1;
	}
	return 0;
}

int ui_list_search(struct ui *ui, const char *query)
{
	struct search_ctx ctx = {.ui = ui, .pool = pool_new()};
	const char *q = pool_strdup(ctx.pool, query);
	const struct ui_item *cur = ui_list_current(ui);
	const char *keep_mailbox =
	    cur != NULL ? pool_strdup(ctx.pool, cur->mailbox) : "";
	uint32_t keep_uid =
	    cur != NULL && ui->search != NULL && strcmp(ui->search, query) == 0
	        ? cur->sum.uid
	        : 0;
	const char *error;
	if (search_all(ui, q, &ctx, &error) < 0) {
		ui_status(ui, true, "search: %s", error);
		free(ctx.items);
		pool_free(&ctx.pool);
		return -1;
	}
	if (ctx.count > 1)
		qsort(ctx.items, ctx.count, sizeof(*ctx.items), item_date_cmp);
	if (ctx.items == NULL)
		ctx.items = xcalloc(1, sizeof(*ctx.items));
	/* the mailbox name must outlive the old pool */
	const char *mailbox = pool_strdup(
	    ctx.pool,
	    ui->mailbox != NULL ? ui->mailbox : PR_MAIL_DEFAULT_MAILBOX);
	list_set(ui, ctx.pool, ctx.items, ctx.count, keep_mailbox, keep_uid);
	ui->mailbox = mailbox;
	ui->search = q;
	return 0;
}

void ui_refresh_store(struct ui *ui)
{
	(void)ui_folders_load(ui);
	const struct ui_item *cur = ui_list_current(ui);
	uint32_t keep = cur != NULL ? cur->sum.uid : 0;
	if (ui->search != NULL) {
		struct pool *pool = pool_new();
		(void)ui_list_search(ui, pool_strdup(pool, ui->search));
		pool_free(&pool);
	} else if (ui->mailbox != NULL) {
		struct pool *pool = pool_new();
		/* keep_uid is set: the row stays even when its message
		 * went; an empty list starts at the newest */
		(void)ui_list_load(ui, pool_strdup(pool, ui->mailbox), keep);
		pool_free(&pool);
	}
}

struct ui_item *ui_list_current(struct ui *ui)
{
	return ui->list_sel < ui->item_count ? &ui->items[ui->list_sel] : NULL;
}

void ui_list_move(struct ui *ui, long delta)
{
	if (ui->item_count == 0)
		return;
	long sel = (long)ui->list_sel + delta;
	if (sel < 0)
		sel = 0;
	if (sel >= (long)ui->item_count)
		sel = (long)ui->item_count - 1;
	ui->list_sel = (size_t)sel;
}

/* "14:05" today, "Mar 02" this year, else "2023-03-02". */
static void date_format(time_t t, char *out, size_t size)
{
	time_t now = time(NULL);
	struct tm tm, today;
	localtime_r(&t, &tm);
	localtime_r(&now, &today);
	size_t n;
	if (tm.tm_year != today.tm_year)
		n = strftime(out, size, "%Y-%m-%d", &tm);
	else if (tm.tm_yday == today.tm_yday)
		n = strftime(out, size, "%H:%M", &tm);
	else
		n = strftime(out, size, "%b %d", &tm);
	if (n == 0)
		out[0] = '\0';
}

static void list_row(struct ui *ui, const struct ui_item *it, int y,
                     bool is_selected)
{
	const struct ui_rect *r = &ui->r_list;
	const struct pr_mail_summary *s = &it->sum;
	char flags[4] = {(s->flags & STORE_FLAG_SEEN) == 0 ? 'N' : ' ',
	                 (s->flags & STORE_FLAG_FLAGGED) != 0    ? '!'
	                 : (s->flags & STORE_FLAG_ANSWERED) != 0 ? 'r'
	                                                         : ' ',
	                 s->has_attachments ? '+' : ' ', '\0'};
	char date[16];
	date_format(s->date, date, sizeof(date));
	int from_w = r->w >= 100 ? 24 : 18;
	int attr = is_selected ? selected_attr(ui, UI_PANE_LIST) : 0;
	if ((s->flags & STORE_FLAG_SEEN) == 0)
		attr |= A_BOLD;
	attron(attr);
	ui_put(y, r->x, flags, 3, 4);
	ui_put(y, r->x + 4, date, strlen(date), 11);
	ui_put(y, r->x + 15, s->from, strlen(s->from), from_w + 1);
	struct buf subj;
	buf_init(&subj);
	buf_printf(&subj, "%*s", (int)(s->depth > 8 ? 16 : s->depth * 2), "");
	if (ui->search != NULL)
		buf_printf(&subj, "[%s] ", it->mailbox);
	buf_append_str(&subj,
	               s->subject[0] != '\0' ? s->subject : "(no subject)");
	int x = r->x + 16 + from_w;
	ui_put(y, x, subj.data, subj.len, r->w - (x - r->x));
	attroff(attr);
	buf_deinit(&subj);
}

void ui_list_draw(struct ui *ui)
{
	const struct ui_rect *r = &ui->r_list;
	if (r->h <= 0)
		return;
	if (ui->item_count == 0) {
		const char *msg =
		    ui->search != NULL ? "(nothing found)" : "(no messages)";
		ui_put(r->y, r->x, msg, strlen(msg), r->w);
		return;
	}
	scroll_to(ui->list_sel, &ui->list_top, r->h);
	for (int row = 0; row < r->h; row++) {
		size_t i = ui->list_top + (size_t)row;
		if (i >= ui->item_count)
			break;
		list_row(ui, &ui->items[i], r->y + row, i == ui->list_sel);
	}
}
