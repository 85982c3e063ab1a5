/* What the message keys do: delete (to Trash), move, flag, unread, search,
 * send/receive and the account switch. Each works on the message being
 * read in the view pane, else on the one selected in the list, changes
 * the local store through mail.h (the next sync carries it to the
 * server), and reports on the status line. */
#include "ui.h"

#include "core/pool.h"
#include "store/store.h"

#include <curses.h>
#include <string.h>

/* The message a key acts on: the open one in the view pane, else the list
 * selection. Returns the list row, or NULL with a note on the status line
 * (*mailbox_r and *uid_r set only with a row or the view). */
static struct ui_item *target(struct ui *ui, const char **mailbox_r,
                              uint32_t *uid_r)
{
	struct ui_item *it = ui_list_current(ui);
	if (ui->pane == UI_PANE_VIEW && ui->has_msg) {
		*mailbox_r = ui->view_mailbox;
		*uid_r = ui->view_uid;
		if (it != NULL && (it->sum.uid != *uid_r ||
		                   strcmp(it->mailbox, *mailbox_r) != 0))
			it = NULL;
		return it;
	}
	if (it == NULL) {
		ui_status(ui, false, "no message selected");
		return NULL;
	}
	*mailbox_r = it->mailbox;
	*uid_r = it->sum.uid;
	return it;
}

static bool has_target(struct ui *ui, const char **mailbox_r, uint32_t *uid_r)
{
	*mailbox_r = NULL;
	(void)target(ui, mailbox_r, uid_r);
	return *mailbox_r != NULL;
}

/* After the current message left the list: close it if open and select
 * its neighbour. */
static void after_removal(struct ui *ui, uint32_t uid)
{
	if (ui->has_msg && ui->view_uid == uid) {
		ui_view_close(ui);
		ui->pane = UI_PANE_LIST;
		ui_layout(ui);
	}
	ui_refresh_store(ui);
}

void ui_action_delete(struct ui *ui)
{
	const char *mailbox, *error;
	uint32_t uid;
	bool is_expunged;
	if (!has_target(ui, &mailbox, &uid))
		return;
	struct pool *pool = pool_new();
	mailbox = pool_strdup(pool, mailbox);
	int ret =
	    pr_mail_delete(&ui->local, mailbox, uid, &is_expunged, &error);
	if (ret < 0)
		ui_status(ui, true, "not deleted: %s", error);
	else if (ret == 0)
		ui_status(ui, true, "the message is already gone");
	else
		ui_status(ui, false,
		          is_expunged ? "deleted for good"
		                      : "moved to " PR_MAIL_TRASH);
	if (ret >= 0)
		after_removal(ui, uid);
	pool_free(&pool);
}

void ui_action_move(struct ui *ui)
{
	const char *mailbox, *error;
	uint32_t uid, new_uid;
	if (!has_target(ui, &mailbox, &uid))
		return;
	struct pool *pool = pool_new();
	mailbox = pool_strdup(pool, mailbox);
	const char *to = ui_prompt(ui, "Move to folder (Tab completes): ", NULL,
	                           ui_complete_mailbox, pool);
	if (to == NULL || to[0] == '\0') {
		ui_status(ui, false, "not moved");
	} else if (strcmp(to, mailbox) == 0) {
		ui_status(ui, false, "it is in %s already", to);
	} else {
		int ret = pr_mail_move(&ui->local, mailbox, uid, to, &new_uid,
		                       &error);
		if (ret < 0)
			ui_status(ui, true, "not moved: %s", error);
		else if (ret == 0)
			ui_status(ui, true, "the message is already gone");
		else
			ui_status(ui, false, "moved to %s", to);
		if (ret >= 0)
			after_removal(ui, uid);
	}
	pool_free(&pool);
}

/* Toggles flag on the target; on_text/off_text say what happened. */
static void toggle(struct ui *ui, uint32_t flag, bool is_set_means_on,
                   const char *on_text, const char *off_text)
{
	const char *mailbox, *error;
	uint32_t uid;
	struct ui_item *it = target(ui, &mailbox, &uid);
	if (it == NULL) {
		if (ui->pane == UI_PANE_VIEW)
			ui_status(ui, true,
			          "the list has moved; select the "
			          "message again");
		return;
	}
	bool is_add = (it->sum.flags & flag) == 0;
	int ret = pr_mail_flag(&ui->local, mailbox, uid, is_add, flag, &error);
	if (ret <= 0) {
		ui_status(ui, true, "%s",
		          ret < 0 ? error : "the message is gone");
		return;
	}
	if (is_add)
		it->sum.flags |= flag;
	else
		it->sum.flags &= ~flag;
	ui_status(ui, false, "%s",
	          is_add == is_set_means_on ? on_text : off_text);
}

void ui_action_toggle_flag(struct ui *ui)
{
	toggle(ui, STORE_FLAG_FLAGGED, true, "flagged", "flag removed");
}

void ui_action_toggle_unread(struct ui *ui)
{
	toggle(ui, STORE_FLAG_SEEN, false, "marked unread", "marked read");
}

void ui_action_sync(struct ui *ui)
{
	ui_status(ui, false, "syncing %s...", ui->account->name);
	ui_draw_status(ui);
	struct pool *pool = pool_new();
	struct pr_sync_report r = {0};
	const char *error = NULL;
	int ret =
	    pr_sync(ui->cli->config, ui->account, &ui->local, &r, pool, &error);
	struct buf counts;
	buf_init(&counts);
	buf_printf(&counts,
	           "%u fetched, %u sent, %u uploaded, %u flags, "
	           "%u deleted",
	           r.fetched, r.sent, r.uploaded, r.flags_up + r.flags_down,
	           r.expunged_up + r.expunged_down);
	if (r.send_failed > 0)
		buf_printf(&counts, ", %u not sent", r.send_failed);
	if (ret < 0)
		ui_status(ui, true, "sync: %s (%s)", error, counts.data);
	else
		ui_status(ui, false, "synced: %s", counts.data);
	buf_deinit(&counts);
	pool_free(&pool);
	ui_refresh_store(ui);
}

void ui_action_search(struct ui *ui)
{
	struct pool *pool = pool_new();
	const char *query =
	    ui_prompt(ui, "Search all folders for: ", NULL, NULL, pool);
	if (query != NULL && query[0] != '\0' &&
	    ui_list_search(ui, query) == 0) {
		ui_view_close(ui);
		ui->pane = UI_PANE_LIST;
		ui_layout(ui);
		ui_status(ui, false, "%zu found for \"%s\"; q returns to %s",
		          ui->item_count, query, ui->mailbox);
	}
	pool_free(&pool);
}

void ui_action_account(struct ui *ui)
{
	const struct pr_config *config = ui->cli->config;
	if (config->account_count < 2) {
		ui_status(ui, false, "%s is the only account",
		          ui->account->name);
		return;
	}
	size_t i = 0;
	while (i < config->account_count && config->accounts[i] != ui->account)
		i++;
	struct pr_account *old = ui->account;
	struct pr_account *next =
	    config->accounts[(i + 1) % config->account_count];
	const char *error;
	if (ui_account_open(ui, next, &error) < 0) {
		ui_status(ui, true, "%s: %s", next->name, error);
		if (ui_account_open(ui, old, &error) < 0)
			ui->is_quitting =
			    true; /* neither opens: nothing to show */
		return;
	}
	ui_layout(ui);
	ui_status(ui, false, "account %s <%s>", next->name, next->address);
}
