/* The full-screen interface (pr_cmd_ui) as parts that share one struct ui:
 * ui.c the session and the input loop, ui_draw.c the screen frame and text
 * helpers, ui_list.c the folder pane and the message list, ui_view.c the
 * message view, ui_action.c what keys do to messages, ui_compose.c writing
 * mail, ui_prompt.c the one-line prompts, ui_idle.c the IMAP IDLE child,
 * ui_contacts.c the address book. Only ui*.c include <curses.h>; this header
 * does not, so its types stay plain C. Everything runs on the local store;
 * only 's', sending and the IDLE child touch the network. */
#ifndef POSTROOM_UI_H
#define POSTROOM_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "core/buf.h"
#include "mail.h"
#include "postroom.h"

struct pr_cal_entry;

struct pool;

enum ui_pane {
	UI_PANE_FOLDERS,
	UI_PANE_LIST,
	UI_PANE_VIEW,
	UI_PANE_CONTACTS,
	UI_PANE_CALENDAR, /* a week and its agenda (ui_cal.c) */
	UI_PANE_TASKS,
	UI_PANE_JOURNAL,
};
#define UI_IN(pane) (1u << (pane))
#define UI_IN_MAIL                                                             \
	(UI_IN(UI_PANE_FOLDERS) | UI_IN(UI_PANE_LIST) | UI_IN(UI_PANE_VIEW))
#define UI_IN_MSG (UI_IN(UI_PANE_LIST) | UI_IN(UI_PANE_VIEW))
#define UI_IN_ORGANIZER                                                        \
	(UI_IN(UI_PANE_CALENDAR) | UI_IN(UI_PANE_TASKS) |                      \
	 UI_IN(UI_PANE_JOURNAL))
#define UI_IN_ALL (UI_IN_MAIL | UI_IN(UI_PANE_CONTACTS) | UI_IN_ORGANIZER)

struct ui_mailbox {
	const char *name; /* from ui->folder_pool */
	uint32_t messages, unseen;
	bool is_outbox;
};

/* One line of the message list: a summary and the mailbox it lives in
 * (a search lists several mailboxes). */
struct ui_item {
	struct pr_mail_summary sum;
	const char *mailbox;
};

/* A contact as the contacts pane shows it. */
struct ui_contact {
	const char *name;
	const char *addr;
};

/* Where each pane sits on the screen; computed by ui_layout(). */
struct ui_rect {
	int y, x, h, w; /* h or w 0: not shown */
};

struct ui {
	struct pr_cli *cli;
	struct pr_account *account;
	struct pr_local local;
	bool is_local_open;
	int watch_fd; /* store_account_watch_fd, or -1 */

	enum ui_pane pane;
	enum ui_pane back_pane; /* where 'q' goes from the contacts pane */
	bool is_quitting;

	/* The folder pane. */
	struct pool *folder_pool;
	struct ui_mailbox *mailboxes;
	size_t mailbox_count, folder_sel, folder_top;
	const char *mailbox; /* the listed mailbox, from list_pool */

	/* The message list, or search results when search is not NULL. */
	struct pool *list_pool;
	struct ui_item *items;
	size_t item_count, list_sel, list_top;
	const char *search; /* the query, from list_pool */

	/* The open message. */
	struct pool *view_pool;
	bool has_msg;
	struct pr_mail_message msg;
	const char *view_mailbox; /* from view_pool */
	uint32_t view_uid;
	bool is_view_invitation; /* the message is an iTIP REQUEST */
	struct buf view_text;    /* pr_mail_render() output */
	size_t view_top;         /* first shown line (wrapped lines) */
	size_t view_lines;       /* wrapped lines at the last draw */

	/* The contacts pane. */
	struct pool *contact_pool;
	struct ui_contact *contacts;
	size_t contact_count, contact_sel, contact_top;
	const char *contact_query; /* from contact_pool, or NULL */

	/* The calendar, tasks and journal panes (ui_cal.c): the entries
	 * shown (the week's instances, the tasks, the journal entries). */
	struct pool *cal_pool;
	struct pr_cal_entry *cal_entries;
	size_t cal_count, cal_sel, cal_top;
	time_t cal_week;    /* local midnight of the shown week's Monday */
	time_t remind_from; /* alarms before this were shown already */

	/* The status line: what just happened, or an error. */
	struct buf status;
	bool is_status_error;

	/* The IMAP IDLE child (ui_idle.c). */
	pid_t idle_pid;      /* 0: not running */
	time_t idle_started; /* when it was last started */

	struct ui_rect r_folders, r_list, r_view, r_contacts, r_cal;
};

/* ---- ui.c ------------------------------------------------------------- */

/* Keys as ui.c passes them around: a character is its code point, a
 * curses function key (KEY_UP...) is negated, so the two never meet. */
#define UI_FKEY(k) (-(int)(k))
#define UI_KEY_NONE 0

/* The next key without waiting, or UI_KEY_NONE. */
int ui_key_read(void);
/* Waits for a key, keeping the IDLE child looked after. Returns
 * UI_KEY_NONE when a signal asks the UI to quit (ui->is_quitting set). */
int ui_key_wait(struct ui *ui);
/* Appends the key bar of the current pane, "q:quit  ?:help  Enter:open
 * ...", as many whole entries as fit in width bytes. */
void ui_keybar(const struct ui *ui, size_t width, struct buf *out);

/* Opens account (index into the configuration) as the current one: the
 * local store, the change watch, the folders and INBOX, and the IDLE
 * child. Closes the previous account first. Returns 0, or -1 with
 * *error_r (from ui->cli->pool). */
int ui_account_open(struct ui *ui, struct pr_account *account,
                    const char **error_r);
/* Closes the current account: stops IDLE, drops the view and lists. */
void ui_account_close(struct ui *ui);

/* ---- ui_draw.c: the frame and text helpers ----------------------------- */

/* Sets the status line (printf-like); is_error shows it highlighted. */
void ui_status(struct ui *ui, bool is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Computes the pane rectangles for the screen size and ui->pane. */
void ui_layout(struct ui *ui);
/* Redraws the whole screen and shows it. */
void ui_draw(struct ui *ui);
/* Draws the status line alone and shows it at once (before slow work). */
void ui_draw_status(struct ui *ui);
/* Writes at most width display columns of the UTF-8 text str (len bytes)
 * at y, x, control bytes as '?', and pads with spaces to width. Returns
 * the bytes consumed. */
size_t ui_put(int y, int x, const char *str, size_t len, int width);
/* Returns how many bytes of str (len bytes) make the next display line of
 * at most width columns: up to a newline (not counted in the line but
 * consumed), else broken after the last space that fits, else cut. Sets
 * *line_len_r to the bytes to show. Returns 0 only when len is 0. */
size_t ui_wrap(const char *str, size_t len, int width, size_t *line_len_r);

/* ---- ui_list.c: folders and the message list -------------------------- */

/* Reloads the mailboxes with their counts, keeping the selection by
 * name. Returns 0, or -1 with the error on the status line. */
int ui_folders_load(struct ui *ui);
/* Lists mailbox (copied) in thread order and selects the newest
 * message, or the message with keep_uid when it is still there. Clears
 * a search. Returns 0, or -1 with the error on the status line. */
int ui_list_load(struct ui *ui, const char *mailbox, uint32_t keep_uid);
/* Re-reads what the store holds now (after a change): folders, the
 * list (or the search), keeping selections. */
void ui_refresh_store(struct ui *ui);
/* Searches the text of every mailbox for query and lists the matches.
 * Returns 0, or -1 with the error on the status line. */
int ui_list_search(struct ui *ui, const char *query);
/* The selected message, or NULL when the list is empty. */
struct ui_item *ui_list_current(struct ui *ui);
/* Move the selection by delta lines (clamped). */
void ui_folders_move(struct ui *ui, long delta);
void ui_list_move(struct ui *ui, long delta);
/* Lists the mailbox selected in the folder pane. */
void ui_folders_open(struct ui *ui);
void ui_folders_draw(struct ui *ui);
void ui_list_draw(struct ui *ui);

/* ---- ui_view.c: the open message --------------------------------------- */

/* Opens the selected message in the view and marks it read. Returns 0,
 * or -1 with the error on the status line. */
int ui_view_open(struct ui *ui);
void ui_view_close(struct ui *ui);
/* Scrolls by delta lines (clamped). */
void ui_view_scroll(struct ui *ui, long delta);
void ui_view_draw(struct ui *ui);
/* Asks for an attachment number and a path and saves it. */
void ui_view_save_attachment(struct ui *ui);

/* ---- ui_action.c: keys that change mail -------------------------------- */

void ui_action_delete(struct ui *ui);
void ui_action_move(struct ui *ui);
void ui_action_toggle_flag(struct ui *ui);
void ui_action_toggle_unread(struct ui *ui);
/* Send/Receive with pr_sync, "syncing..." while it runs, the counts
 * after. */
void ui_action_sync(struct ui *ui);
void ui_action_search(struct ui *ui);
/* Switches to the next configured account. */
void ui_action_account(struct ui *ui);

/* ---- ui_compose.c ------------------------------------------------------- */

enum ui_compose_kind {
	UI_COMPOSE_NEW,
	UI_COMPOSE_REPLY,
	UI_COMPOSE_REPLY_ALL,
	UI_COMPOSE_FORWARD,
};
/* Writes a message of kind (about the current message for replies and
 * forwards) in the editor outside curses, then sends it, keeps it in the
 * Outbox or saves it to Drafts, and says which on the status line. to
 * may prefill the To prompt (NULL: empty). */
void ui_compose(struct ui *ui, enum ui_compose_kind kind, const char *to);

/* ---- ui_prompt.c --------------------------------------------------------- */

/* Completes input: returns the whole input with its nth completion
 * (counting from 0 and wrapping around, so repeated Tabs cycle), from
 * pool, or NULL when nothing matches. */
typedef const char *ui_complete_fn(struct ui *ui, const char *input,
                                   unsigned nth, struct pool *pool);
/* Reads a line on the status line after question, starting with initial
 * (may be NULL). Tab calls complete (may be NULL). Returns the text (from
 * pool), or NULL when cancelled with Esc or Ctrl-G, or when the UI is
 * asked to quit. */
const char *ui_prompt(struct ui *ui, const char *question, const char *initial,
                      ui_complete_fn *complete, struct pool *pool);
/* Asks question and waits for one of the characters in choices (Enter
 * picks the first). Returns the character, or 0 when cancelled. */
int ui_prompt_choice(struct ui *ui, const char *question, const char *choices);
/* Completion over the mailbox names (for 'm'). */
ui_complete_fn ui_complete_mailbox;
/* Completion over the contacts (for To:): completes the last address of a
 * comma-separated list. */
ui_complete_fn ui_complete_address;

/* ---- ui_idle.c ----------------------------------------------------------- */

/* Starts the IDLE child for an IMAP account with an incoming server (not
 * when one runs or one started less than a minute ago). */
void ui_idle_start(struct ui *ui);
/* Stops the child: SIGTERM, then SIGKILL after a second; reaps it. */
void ui_idle_stop(struct ui *ui);
/* Reaps a child that ended (after SIGCHLD) and restarts it when its
 * back-off allows. Cheap; called on every loop turn. */
void ui_idle_check(struct ui *ui);
/* How many milliseconds the loop may sleep before ui_idle_check must run
 * again (-1: no limit). */
int ui_idle_timeout(const struct ui *ui);

/* ---- ui_cal.c: calendar, tasks, journal ------------------------------------
 */

/* Opens pane (UI_PANE_CALENDAR at the current week, TASKS, JOURNAL),
 * remembering where 'q' goes back to. */
void ui_cal_open(struct ui *ui, enum ui_pane pane);
/* Reloads the entries of the pane shown (after a change or a sync). */
void ui_cal_refresh(struct ui *ui);
/* Shows on the status line the reminders (alarms) that went off since
 * the last call, whatever the pane. Cheap; called on every loop turn. */
void ui_cal_remind(struct ui *ui);
/* In the message view: answers the invitation it holds (the event into
 * the calendar, the REPLY to the organizer) with y, n or t. */
void ui_cal_accept(struct ui *ui);
void ui_cal_decline(struct ui *ui);
void ui_cal_tentative(struct ui *ui);
/* Is the viewed message an invitation? (set by ui_view.c) */
void ui_cal_view_check(struct ui *ui);
void ui_cal_draw(struct ui *ui);
void ui_cal_move(struct ui *ui, long delta);
/* Enter: the selected entry's details on the status line. */
void ui_cal_enter(struct ui *ui);
/* Keys of the panes: weeks back and forth, today, add, delete, a task
 * done or not, a journal entry written or changed in the editor. */
void ui_cal_next(struct ui *ui);
void ui_cal_prev(struct ui *ui);
void ui_cal_today(struct ui *ui);
void ui_cal_add(struct ui *ui);
void ui_cal_delete(struct ui *ui);
void ui_cal_toggle_done(struct ui *ui);
void ui_cal_edit(struct ui *ui);

/* ---- ui_contacts.c ------------------------------------------------------- */

/* Opens the contacts pane (all contacts). */
void ui_contacts_open(struct ui *ui);
void ui_contacts_draw(struct ui *ui);
void ui_contacts_move(struct ui *ui, long delta);
/* Asks for text and lists the matching contacts. */
void ui_contacts_search(struct ui *ui);
/* Adds the sender of the current message to the contacts. */
void ui_contacts_add_sender(struct ui *ui);
/* Writes a new message to the selected contact. */
void ui_contacts_compose(struct ui *ui);

#endif
