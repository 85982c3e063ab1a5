/* The message view: pr_mail_render()'s text (headers, the decoded body,
 * the numbered attachments) wrapped to the pane, scrolled by line, and
 * 'a' to save an attachment through pr_mail_save_attachment. Opening a
 * message marks it read in the local store; the next sync tells the
 * server. */
#include "ui.h"

#include "core/pool.h"
#include "mime/mime_view.h"
#include "store/store.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

void ui_view_close(struct ui *ui)
{
	if (!ui->has_msg)
		return;
	pr_mail_message_deinit(&ui->msg);
	buf_deinit(&ui->view_text);
	pool_free(&ui->view_pool);
	ui->has_msg = false;
	ui->view_mailbox = NULL;
	ui->view_uid = 0;
	ui->is_view_invitation = false;
	ui->view_top = ui->view_lines = 0;
}

/* Loads mailbox/uid into the view. Returns 0, or -1 with the error on
 * the status line. */
static int view_load(struct ui *ui, const char *mailbox, uint32_t uid)
{
	struct pool *pool = pool_new();
	const char *name = pool_strdup(pool, mailbox);
	struct pr_mail_message msg;
	const char *error = "no such message";
	int ret =
	    pr_mail_message_load(&ui->local, name, uid, pool, &msg, &error);
	if (ret <= 0) {
		ui_status(ui, true, "%s UID %u: %s", name, uid,
		          ret == 0 ? "the message is gone" : error);
		pool_free(&pool);
		return -1;
	}
	ui_view_close(ui);
	ui->view_pool = pool;
	ui->msg = msg;
	ui->has_msg = true;
	ui->view_mailbox = name;
	ui->view_uid = uid;
	buf_init(&ui->view_text);
	pr_mail_render(&ui->msg, pool, &ui->view_text);
	ui_cal_view_check(ui);
	return 0;
}

int ui_view_open(struct ui *ui)
{
	struct ui_item *it = ui_list_current(ui);
	if (it == NULL) {
		ui_status(ui, false, "no message here");
		return -1;
	}
	if (view_load(ui, it->mailbox, it->sum.uid) < 0)
		return -1;
	ui->pane = UI_PANE_VIEW;
	if ((it->sum.flags & STORE_FLAG_SEEN) == 0) {
		const char *error;
		if (pr_mail_flag(&ui->local, it->mailbox, it->sum.uid, true,
		                 STORE_FLAG_SEEN, &error) < 0)
			ui_status(ui, true, "marking read: %s", error);
		else
			it->sum.flags |= STORE_FLAG_SEEN;
	}
	return 0;
}

void ui_view_scroll(struct ui *ui, long delta)
{
	long h = ui->r_view.h > 0 ? ui->r_view.h : 1;
	long max = (long)ui->view_lines - h;
	long top = (long)ui->view_top + delta;
	if (top > max)
		top = max;
	if (top < 0)
		top = 0;
	ui->view_top = (size_t)top;
}

/* Draws the wrapped text from view_top and counts every wrapped line, so
 * scrolling knows where the end is. Header lines (up to the first blank
 * line) are bold. */
void ui_view_draw(struct ui *ui)
{
	const struct ui_rect *r = &ui->r_view;
	const char *text = ui->view_text.data;
	size_t len = ui->view_text.len, off = 0, line = 0;
	bool is_header = true;
	int width = r->w > 1 ? r->w - 1 : 1; /* a margin on the right */
	while (off < len) {
		size_t shown;
		size_t used = ui_wrap(text + off, len - off, width, &shown);
		if (shown == 0 && text[off] == '\n')
			is_header = false;
		if (line >= ui->view_top &&
		    line < ui->view_top + (size_t)r->h) {
			int y = r->y + (int)(line - ui->view_top);
			if (is_header)
				attron(A_BOLD);
			ui_put(y, r->x, text + off, shown, r->w);
			if (is_header)
				attroff(A_BOLD);
		}
		off += used;
		line++;
	}
	ui->view_lines = line;
	if (ui->view_top > 0 && ui->view_top >= line)
		ui->view_top = line > 0 ? line - 1 : 0;
}

/* "~/x" is $HOME/x; anything else as typed. From pool. */
static const char *path_expand(const char *path, struct pool *pool)
{
	const char *home = getenv("HOME");
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') &&
	    home != NULL)
		return pool_printf(pool, "%s%s", home, path + 1);
	return path;
}

/* Asks which attachment; returns its 1-based number, or 0. */
static unsigned attachment_ask(struct ui *ui, struct pool *pool)
{
	unsigned count = ui->msg.attachment_count;
	if (count == 1)
		return 1;
	const char *q = pool_printf(pool, "Save attachment (1-%u): ", count);
	const char *answer = ui_prompt(ui, q, NULL, NULL, pool);
	if (answer == NULL)
		return 0;
	char *end;
	unsigned long n = strtoul(answer, &end, 10);
	if (*end != '\0' || n == 0 || n > count) {
		ui_status(ui, true, "no attachment %s", answer);
		return 0;
	}
	return (unsigned)n;
}

void ui_view_save_attachment(struct ui *ui)
{
	if (!ui->has_msg && ui_view_open(ui) < 0)
		return;
	if (ui->msg.attachment_count == 0) {
		ui_status(ui, false, "this message has no attachments");
		return;
	}
	struct pool *pool = pool_new();
	unsigned n = attachment_ask(ui, pool);
	if (n == 0) {
		pool_free(&pool);
		return;
	}
	/* a relative path is relative to where postroom was started */
	const struct mime_view_attachment *att = &ui->msg.attachments[n - 1];
	const char *initial = mime_view_attachment_filename(att, pool);
	const char *path = ui_prompt(ui, "Save to: ", initial, NULL, pool);
	const char *written, *error;
	if (path == NULL || path[0] == '\0')
		ui_status(ui, false, "not saved");
	else if (pr_mail_save_attachment(&ui->msg, n, path_expand(path, pool),
	                                 pool, &written, &error) < 0)
		ui_status(ui, true, "not saved: %s", error);
	else
		ui_status(ui, false, "saved %s", written);
	pool_free(&pool);
}
