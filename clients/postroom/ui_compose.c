/* Writing mail from the interface: a To prompt with completion from the
 * contacts (new messages and forwards; replies take their recipients from
 * the original), then compose.h's flow with curses suspended while the
 * editor runs (def_prog_mode/endwin, reset_prog_mode after), then a choice:
 * send, edit again, save to Drafts or discard. The result goes on the
 * status line: "sent", "kept in Outbox: <reason>", "saved to Drafts". */
#include "ui.h"

#include "compose.h"
#include "core/pool.h"

#include <curses.h>
#include <string.h>

/* The message a reply or forward is about: the open one in the view,
 * else the list selection. Returns false with a note when none. */
static bool about(struct ui *ui, const char **mailbox_r, uint32_t *uid_r)
{
	if (ui->pane == UI_PANE_VIEW && ui->has_msg) {
		*mailbox_r = ui->view_mailbox;
		*uid_r = ui->view_uid;
		return true;
	}
	const struct ui_item *it = ui_list_current(ui);
	if (ui->pane != UI_PANE_LIST || it == NULL) {
		ui_status(ui, false, "select a message first");
		return false;
	}
	*mailbox_r = it->mailbox;
	*uid_r = it->sum.uid;
	return true;
}

/* Fills draft for kind. Returns 1 ready, 0 cancelled, -1 with *error_r. */
static int compose_start(struct ui *ui, enum ui_compose_kind kind,
                         const char *to, struct pool *pool,
                         struct pr_draft *draft, const char **error_r)
{
	const char *mailbox = NULL;
	uint32_t uid = 0;
	if (kind != UI_COMPOSE_NEW && !about(ui, &mailbox, &uid))
		return 0;
	if (kind == UI_COMPOSE_REPLY || kind == UI_COMPOSE_REPLY_ALL)
		return pr_compose_reply(ui->account, &ui->local, mailbox, uid,
		                        kind == UI_COMPOSE_REPLY_ALL, pool,
		                        draft, error_r) < 0
		           ? -1
		           : 1;
	to = ui_prompt(ui, "To (Tab completes): ", to, ui_complete_address,
	               pool);
	if (to == NULL) {
		ui_status(ui, false, "cancelled");
		return 0;
	}
	const char *to_arg = to[0] != '\0' ? to : NULL;
	if (kind == UI_COMPOSE_FORWARD)
		return pr_compose_forward(ui->account, &ui->local, mailbox, uid,
		                          to_arg, pool, draft, error_r) < 0
		           ? -1
		           : 1;
	pr_compose_new(ui->account, to_arg, draft);
	return 1;
}

/* Runs the editor with curses suspended. Returns pr_compose_edit's 1/0/-1. */
static int edit_outside(struct ui *ui, struct pr_draft *draft,
                        struct pool *pool, const char **error_r)
{
	def_prog_mode();
	endwin();
	int ret = pr_compose_edit(ui->cli->config, draft, pool, error_r);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	ui_layout(ui); /* the editor may have seen a resize */
	return ret;
}

/* Builds the message and sends it (is_send) or saves it to Drafts.
 * Returns true when done, false to ask again (the status says why). */
static bool finish(struct ui *ui, const struct pr_draft *draft, bool is_send,
                   struct pool *pool)
{
	struct pr_composed composed = {0};
	buf_init(&composed.data);
	const char *error;
	bool is_done = false;
	struct pr_delivery d;
	if (pr_compose_finish(ui->account, draft, pool, &composed, &error) <
	    0) {
		ui_status(ui, true, "%s", error);
	} else if (!is_send) {
		is_done = pr_compose_save_draft(&ui->local, draft,
		                                &composed.data, &error) == 0;
		ui_status(ui, !is_done,
		          is_done ? "saved to Drafts" : "not saved: %s", error);
	} else if (!composed.has_recipient) {
		ui_status(ui, true,
		          "no recipient: e to edit, d to save to "
		          "Drafts");
	} else {
		ui_status(ui, false, "sending...");
		ui_draw_status(ui);
		is_done = true;
		if (pr_compose_deliver(ui->cli->config, ui->account, &ui->local,
		                       draft, &composed.data, pool, &d,
		                       &error) < 0)
			ui_status(ui, true, "not sent, not stored: %s", error);
		else if (d.is_sent)
			ui_status(ui, false, "sent");
		else
			ui_status(ui, d.is_refused, "kept in %s: %s", PR_OUTBOX,
			          d.why != NULL ? d.why : "not sent yet");
	}
	buf_deinit(&composed.data);
	return is_done;
}

/* Edit, then ask what to do, until sent, saved or dropped. */
static void compose_run(struct ui *ui, struct pr_draft *draft,
                        struct pool *pool)
{
	const char *error;
	int ret = edit_outside(ui, draft, pool, &error);
	ui_status(ui, false, "%s", "");
	for (;;) {
		if (ret < 0) {
			ui_status(ui, true, "%s", error);
			return;
		}
		if (ret == 0) {
			ui_status(ui, false, "not sent: nothing was written");
			return;
		}
		ui_draw(ui);
		/* an error from the last try stays in sight */
		const char *q =
		    pool_printf(pool,
		                "%s%sy:send  e:edit again  d:save to Drafts  "
		                "q:discard  (Enter sends)",
		                ui->is_status_error ? ui->status.data : "",
		                ui->is_status_error ? " -- " : "");
		int c = ui_prompt_choice(ui, q, "yedq");
		if (c == 'e') {
			ret = edit_outside(ui, draft, pool, &error);
			/* unchanged now is still edited before, unless emptied
			 */
			if (ret == 0 && draft->text.len >
			                    strspn(draft->text.data, " \t\r\n"))
				ret = 1;
			continue;
		}
		if (c == 0 && ui->is_quitting) {
			(void)finish(ui, draft, false, pool); /* keep it */
			return;
		}
		if (c == 0 || c == 'q') {
			ui_status(ui, false, "discarded");
			return;
		}
		if (finish(ui, draft, c == 'y', pool))
			return;
	}
}

void ui_compose(struct ui *ui, enum ui_compose_kind kind, const char *to)
{
	struct pool *pool = pool_new();
	struct pr_draft draft;
	pr_draft_init(&draft);
	const char *error;
	int ret = compose_start(ui, kind, to, pool, &draft, &error);
	if (ret < 0)
		ui_status(ui, true, "%s", error);
	else if (ret > 0)
		compose_run(ui, &draft, pool);
	pr_draft_deinit(&draft);
	pool_free(&pool);
	ui_refresh_store(ui);
}
