/* pr_cmd_ui: the full-screen interface. This file holds the session (one
 * account open at a time, switched with 'A'), the signals, the key table
 * that both dispatches keys and writes the key bar and help screen, and
 * the input loop: poll() on the terminal and the store's change fd, so mail
 * that a sync (or the IDLE child) stores shows up without a key press.
 * Invariant: once curses is started, every way out goes through endwin()
 * (ui_screen_end, and an atexit() hook for exits we do not control). */
#include "ui.h"

#include "core/net.h"
#include "core/pool.h"
#include "store/store.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t quit_signal;
/* Self-pipe: a signal that lands between the loop's check and poll()
 * still wakes poll(), since the handler writes a byte here. */
static int wake_fds[2] = {-1, -1};

static void wake(void)
{
	int saved = errno;
	if (wake_fds[1] >= 0)
		(void)!write(wake_fds[1], "", 1);
	errno = saved;
}

static void quit_handler(int signo)
{
	quit_signal = signo;
	wake();
}

/* SIGCHLD only has to wake poll(); ui_idle_check() reaps. */
static void child_handler(int signo)
{
	(void)signo;
	wake();
}

static void wake_drain(void)
{
	char bytes[64];
	while (read(wake_fds[0], bytes, sizeof(bytes)) > 0)
		;
}

/* Returns 0, or -1 with errno when the wake pipe cannot be made. */
static int signals_install(void)
{
	if (pipe(wake_fds) < 0)
		return -1;
	for (int i = 0; i < 2; i++)
		(void)net_set_nonblock(wake_fds[i]); /* and close-on-exec */
	struct sigaction sa = {.sa_handler = quit_handler};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = child_handler;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

/* Back to the default dispositions; closes the wake pipe. */
static void signals_remove(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	for (int i = 0; i < 2; i++) {
		if (wake_fds[i] >= 0)
			close(wake_fds[i]);
		wake_fds[i] = -1;
	}
}

/* ---- The screen ---------------------------------------------------------- */

static SCREEN *screen;

static void screen_atexit(void)
{
	if (screen != NULL && !isendwin())
		endwin();
}

/* Starts curses on the terminal. Returns 0, or -1 when it cannot (no
 * terminal, unknown TERM). newterm() rather than initscr(), which would
 * exit on failure. */
static int ui_screen_start(void)
{
	screen = newterm(NULL, stdout, stdin);
	if (screen == NULL)
		return -1;
	atexit(screen_atexit);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_RED, -1);
		init_pair(2, COLOR_CYAN, -1);
	}
	return 0;
}

static void ui_screen_end(void)
{
	if (screen == NULL)
		return;
	if (!isendwin())
		endwin();
	delscreen(screen);
	screen = NULL;
}

/* ---- Keys -----------------------------------------------------------------
 */

int ui_key_read(void)
{
	wint_t wch;
	int ret = get_wch(&wch);
	if (ret == ERR)
		return UI_KEY_NONE;
	return ret == KEY_CODE_YES ? UI_FKEY(wch) : (int)wch;
}

int ui_key_wait(struct ui *ui)
{
	for (;;) {
		if (quit_signal != 0) {
			ui->is_quitting = true;
			return UI_KEY_NONE;
		}
		int key = ui_key_read();
		if (key != UI_KEY_NONE)
			return key;
		ui_idle_check(ui);
		struct pollfd fds[2] = {
		    {.fd = STDIN_FILENO, .events = POLLIN},
		    {.fd = wake_fds[0], .events = POLLIN},
		};
		if (poll(fds, 2, 1000) > 0 && (fds[1].revents & POLLIN) != 0)
			wake_drain();
	}
}

typedef void ui_key_fn(struct ui *ui);

static void key_quit(struct ui *ui);
static void key_enter(struct ui *ui);
static void key_next_pane(struct ui *ui);
static void key_prev_pane(struct ui *ui);
static void key_down(struct ui *ui);
static void key_up(struct ui *ui);
static void key_page_down(struct ui *ui);
static void key_page_up(struct ui *ui);
static void key_help(struct ui *ui);
static void key_compose(struct ui *ui);
static void key_reply(struct ui *ui);
static void key_reply_all(struct ui *ui);
static void key_forward(struct ui *ui);
static void key_contacts(struct ui *ui);
static void key_contacts_add(struct ui *ui);
static void key_calendar(struct ui *ui);
static void key_tasks(struct ui *ui);
static void key_journal(struct ui *ui);

struct ui_key {
	int key;
	unsigned panes; /* UI_IN(...) where the key works */
	ui_key_fn *fn;
	const char *name;  /* as shown, or NULL: not shown (an alias) */
	const char *label; /* for the help screen */
	const char *bar;   /* short label for the key bar, or NULL */
};

/* Order matters: the key bar shows entries in this order as far as the
 * screen is wide, so the most used keys come first. */
static const struct ui_key keys[] = {
    {'q', UI_IN_ALL, key_quit, "q", "quit, or back", "quit"},
    {'?', UI_IN_ALL, key_help, "?", "help", "help"},
    {'\r', UI_IN_ALL, key_enter, "Enter", "open", "open"},
    {'\n', UI_IN_ALL, key_enter, NULL, NULL, NULL},
    {UI_FKEY(KEY_ENTER), UI_IN_ALL, key_enter, NULL, NULL, NULL},
    {'r', UI_IN_MSG, key_reply, "r", "reply", "reply"},
    {'R', UI_IN_MSG, key_reply_all, "R", "reply to all", "all"},
    {'f', UI_IN_MSG, key_forward, "f", "forward", "fwd"},
    {'d', UI_IN_MSG, ui_action_delete, "d", "delete (to Trash)", "del"},
    {'m', UI_IN_MSG, ui_action_move, "m", "move to a folder", "move"},
    {'F', UI_IN_MSG, ui_action_toggle_flag, "F", "flag or unflag", "flag"},
    {'u', UI_IN_MSG, ui_action_toggle_unread, "u", "mark unread or read",
     "unread"},
    {'a', UI_IN(UI_PANE_VIEW), ui_view_save_attachment, "a",
     "save an attachment", "save"},
    {'y', UI_IN(UI_PANE_VIEW), ui_cal_accept, "y", "accept the invitation",
     "accept"},
    {'n', UI_IN(UI_PANE_VIEW), ui_cal_decline, "n", "decline the invitation",
     "decline"},
    {'t', UI_IN(UI_PANE_VIEW), ui_cal_tentative, "t",
     "accept the invitation tentatively", "maybe"},
    {'c', UI_IN_ALL, key_compose, "c", "compose", "new"},
    {'s', UI_IN_MAIL, ui_action_sync, "s", "send/receive", "sync"},
    {'/', UI_IN_MAIL, ui_action_search, "/", "search all folders", "search"},
    {'/', UI_IN(UI_PANE_CONTACTS), ui_contacts_search, "/", "search contacts",
     "search"},
    {'a', UI_IN(UI_PANE_CONTACTS), key_contacts_add, "a",
     "add the sender of the current message", "add sender"},
    {'\t', UI_IN_MAIL, key_next_pane, "Tab", "next pane", "pane"},
    {UI_FKEY(KEY_RIGHT), UI_IN_MAIL, key_next_pane, "Right", "next pane", NULL},
    {UI_FKEY(KEY_LEFT), UI_IN_MAIL, key_prev_pane, "Left", "previous pane",
     NULL},
    {UI_FKEY(KEY_BTAB), UI_IN_MAIL, key_prev_pane, NULL, NULL, NULL},
    {'C', UI_IN_MAIL, key_contacts, "C", "contacts", "contacts"},
    {'W', UI_IN_MAIL | UI_IN_ORGANIZER, key_calendar, "W",
     "calendar: the week and its agenda", "calendar"},
    {'T', UI_IN_MAIL | UI_IN_ORGANIZER, key_tasks, "T", "tasks", "tasks"},
    {'J', UI_IN_MAIL | UI_IN_ORGANIZER, key_journal, "J", "journal", "journal"},
    {'n', UI_IN(UI_PANE_CALENDAR), ui_cal_next, "n", "next week", "next"},
    {'p', UI_IN(UI_PANE_CALENDAR), ui_cal_prev, "p", "previous week", "prev"},
    {'t', UI_IN(UI_PANE_CALENDAR), ui_cal_today, "t", "this week", "today"},
    {'a', UI_IN(UI_PANE_CALENDAR) | UI_IN(UI_PANE_TASKS), ui_cal_add, "a",
     "add", "add"},
    {'a', UI_IN(UI_PANE_JOURNAL), ui_cal_add, "a",
     "write today's entry in the editor", "write"},
    {'e', UI_IN(UI_PANE_JOURNAL), ui_cal_edit, "e",
     "change the entry in the editor", "edit"},
    {'x', UI_IN(UI_PANE_TASKS), ui_cal_toggle_done, "x",
     "mark done or open again", "done"},
    {'d', UI_IN_ORGANIZER, ui_cal_delete, "d", "delete", "del"},
    {'s', UI_IN_ORGANIZER, ui_action_sync, "s", "send/receive", "sync"},
    {'A', UI_IN_MAIL, ui_action_account, "A", "next account", NULL},
    {'j', UI_IN_ALL, key_down, "j/Down", "next", NULL},
    {UI_FKEY(KEY_DOWN), UI_IN_ALL, key_down, NULL, NULL, NULL},
    {'k', UI_IN_ALL, key_up, "k/Up", "previous", NULL},
    {UI_FKEY(KEY_UP), UI_IN_ALL, key_up, NULL, NULL, NULL},
    {' ', UI_IN_ALL, key_page_down, "Space/PgDn", "page down", NULL},
    {UI_FKEY(KEY_NPAGE), UI_IN_ALL, key_page_down, NULL, NULL, NULL},
    {'-', UI_IN_ALL, key_page_up, "-/PgUp", "page up", NULL},
    {UI_FKEY(KEY_PPAGE), UI_IN_ALL, key_page_up, NULL, NULL, NULL},
};
#define KEY_COUNT (sizeof(keys) / sizeof(keys[0]))

/* Bar labels that depend on the pane: Enter and q say what they do. */
static const char *key_bar_label(const struct ui *ui, const struct ui_key *k)
{
	if (k->key == '\r')
		return ui->pane == UI_PANE_FOLDERS    ? "open folder"
		       : ui->pane == UI_PANE_CONTACTS ? "write to"
		       : ui->pane == UI_PANE_VIEW     ? "page"
		       : (UI_IN(ui->pane) & UI_IN_ORGANIZER) != 0 ? "details"
		                                                  : "open";
	if (k->key == 'q')
		return ui->pane == UI_PANE_VIEW ||
		               ui->pane == UI_PANE_CONTACTS ||
		               (UI_IN(ui->pane) & UI_IN_ORGANIZER) != 0 ||
		               (ui->pane == UI_PANE_LIST && ui->search != NULL)
		           ? "back"
		           : "quit";
	/* the answers only for a message that is an invitation */
	if (ui->pane == UI_PANE_VIEW && !ui->is_view_invitation &&
	    (k->key == 'y' || k->key == 'n' || k->key == 't'))
		return NULL;
	return k->bar;
}

void ui_keybar(const struct ui *ui, size_t width, struct buf *out)
{
	for (size_t i = 0; i < KEY_COUNT; i++) {
		const struct ui_key *k = &keys[i];
		if (k->bar == NULL || (k->panes & UI_IN(ui->pane)) == 0)
			continue;
		const char *label = key_bar_label(ui, k);
		if (label == NULL)
			continue;
		size_t len = out->len;
		buf_printf(out, "%s%s:%s", len > 0 ? "  " : "", k->name, label);
		if (out->len > width) { /* only whole entries */
			buf_truncate(out, len);
			break;
		}
	}
}

static void key_dispatch(struct ui *ui, int key)
{
	if (key == UI_FKEY(KEY_RESIZE)) {
		ui_layout(ui);
		clearok(curscr, TRUE);
		return;
	}
	for (size_t i = 0; i < KEY_COUNT; i++) {
		if (keys[i].key == key && (keys[i].panes & UI_IN(ui->pane))) {
			keys[i].fn(ui);
			return;
		}
	}
	ui_status(ui, false, "no such key here; ? shows the keys");
}

/* ---- What the keys do ------------------------------------------------------
 */

static void key_quit(struct ui *ui)
{
	switch (ui->pane) {
	case UI_PANE_VIEW:
		ui_view_close(ui);
		ui->pane = UI_PANE_LIST;
		break;
	case UI_PANE_CONTACTS:
	case UI_PANE_CALENDAR:
	case UI_PANE_TASKS:
	case UI_PANE_JOURNAL:
		ui->pane = ui->back_pane;
		break;
	case UI_PANE_LIST:
		if (ui->search != NULL) {
			(void)ui_list_load(ui, ui->mailbox, 0);
			break;
		}
		/* fall through */
	case UI_PANE_FOLDERS:
		ui->is_quitting = true;
		break;
	}
	ui_layout(ui);
}

static void key_enter(struct ui *ui)
{
	switch (ui->pane) {
	case UI_PANE_FOLDERS:
		ui_folders_open(ui);
		break;
	case UI_PANE_LIST:
		(void)ui_view_open(ui);
		break;
	case UI_PANE_VIEW:
		key_page_down(ui);
		break;
	case UI_PANE_CONTACTS:
		ui_contacts_compose(ui);
		break;
	case UI_PANE_CALENDAR:
	case UI_PANE_TASKS:
	case UI_PANE_JOURNAL:
		ui_cal_enter(ui);
		break;
	}
	ui_layout(ui);
}

static void key_next_pane(struct ui *ui)
{
	if (ui->pane == UI_PANE_FOLDERS)
		ui->pane = UI_PANE_LIST;
	else if (ui->pane == UI_PANE_LIST && ui->has_msg)
		ui->pane = UI_PANE_VIEW;
	else
		ui->pane = UI_PANE_FOLDERS;
	ui_layout(ui);
}

static void key_prev_pane(struct ui *ui)
{
	if (ui->pane == UI_PANE_VIEW)
		ui->pane = UI_PANE_LIST;
	else if (ui->pane == UI_PANE_LIST)
		ui->pane = UI_PANE_FOLDERS;
	else
		ui->pane = ui->has_msg ? UI_PANE_VIEW : UI_PANE_LIST;
	ui_layout(ui);
}

static void move_by(struct ui *ui, long delta)
{
	switch (ui->pane) {
	case UI_PANE_FOLDERS:
		ui_folders_move(ui, delta);
		break;
	case UI_PANE_LIST:
		ui_list_move(ui, delta);
		break;
	case UI_PANE_VIEW:
		ui_view_scroll(ui, delta);
		break;
	case UI_PANE_CONTACTS:
		ui_contacts_move(ui, delta);
		break;
	case UI_PANE_CALENDAR:
	case UI_PANE_TASKS:
	case UI_PANE_JOURNAL:
		ui_cal_move(ui, delta);
		break;
	}
}

static long page_size(const struct ui *ui)
{
	const struct ui_rect *r = ui->pane == UI_PANE_FOLDERS ? &ui->r_folders
	                          : ui->pane == UI_PANE_LIST  ? &ui->r_list
	                          : ui->pane == UI_PANE_VIEW  ? &ui->r_view
	                          : ui->pane == UI_PANE_CONTACTS
	                              ? &ui->r_contacts
	                              : &ui->r_cal;
	return r->h > 2 ? r->h - 1 : 1;
}

static void key_down(struct ui *ui)
{
	move_by(ui, 1);
}

static void key_up(struct ui *ui)
{
	move_by(ui, -1);
}

static void key_page_down(struct ui *ui)
{
	move_by(ui, page_size(ui));
}

static void key_page_up(struct ui *ui)
{
	move_by(ui, -page_size(ui));
}

static void key_compose(struct ui *ui)
{
	ui_compose(ui, UI_COMPOSE_NEW, NULL);
}

static void key_reply(struct ui *ui)
{
	ui_compose(ui, UI_COMPOSE_REPLY, NULL);
}

static void key_reply_all(struct ui *ui)
{
	ui_compose(ui, UI_COMPOSE_REPLY_ALL, NULL);
}

static void key_forward(struct ui *ui)
{
	ui_compose(ui, UI_COMPOSE_FORWARD, NULL);
}

static void key_contacts(struct ui *ui)
{
	ui->back_pane = ui->pane;
	ui_contacts_open(ui);
	ui_layout(ui);
}

static void key_contacts_add(struct ui *ui)
{
	ui_contacts_add_sender(ui);
}

static void key_calendar(struct ui *ui)
{
	ui_cal_open(ui, UI_PANE_CALENDAR);
}

static void key_tasks(struct ui *ui)
{
	ui_cal_open(ui, UI_PANE_TASKS);
}

static void key_journal(struct ui *ui)
{
	ui_cal_open(ui, UI_PANE_JOURNAL);
}

/* The help screen: every key of the table, by pane, until a key. */
static void key_help(struct ui *ui)
{
	static const char *const pane_names[] = {
	    "Folders",  "Messages", "Message", "Contacts",
	    "Calendar", "Tasks",    "Journal"};
	erase();
	int y = 0;
	mvaddstr(y++, 0, "postroom keys (any key returns)");
	for (int p = UI_PANE_FOLDERS; p <= UI_PANE_JOURNAL && y < LINES; p++) {
		y++;
		if (y < LINES)
			mvaddstr(y++, 0, pane_names[p]);
		struct buf line;
		buf_init(&line);
		for (size_t i = 0; i < KEY_COUNT; i++) {
			const struct ui_key *k = &keys[i];
			if (k->name == NULL || (k->panes & UI_IN(p)) == 0)
				continue;
			buf_printf(&line, "%s%s %s", line.len > 0 ? ", " : "  ",
			           k->name, k->label);
		}
		size_t off = 0;
		while (off < line.len && y < LINES) {
			size_t shown;
			size_t used = ui_wrap(line.data + off, line.len - off,
			                      COLS - 4, &shown);
			ui_put(y++, 4, line.data + off, shown, COLS - 4);
			off += used;
		}
		buf_deinit(&line);
	}
	refresh();
	(void)ui_key_wait(ui);
	clearok(curscr, TRUE);
}

/* ---- The session -----------------------------------------------------------
 */

int ui_account_open(struct ui *ui, struct pr_account *account,
                    const char **error_r)
{
	ui_account_close(ui);
	if (pr_local_open(ui->cli->config, account, &ui->local, error_r) < 0)
		return -1;
	ui->is_local_open = true;
	ui->account = account;
	ui->watch_fd = store_account_watch_fd(ui->local.account);
	ui->idle_started = 0;
	ui->pane = UI_PANE_LIST;
	(void)ui_folders_load(ui);
	(void)ui_list_load(ui, PR_MAIL_DEFAULT_MAILBOX, 0);
	ui_idle_start(ui);
	return 0;
}

void ui_account_close(struct ui *ui)
{
	if (!ui->is_local_open)
		return;
	ui_idle_stop(ui);
	ui_view_close(ui);
	free(ui->items);
	free(ui->mailboxes);
	free(ui->contacts);
	ui->items = NULL;
	ui->mailboxes = NULL;
	ui->contacts = NULL;
	ui->item_count = ui->mailbox_count = ui->contact_count = 0;
	ui->search = ui->mailbox = ui->contact_query = NULL;
	pool_free(&ui->list_pool);
	pool_free(&ui->folder_pool);
	pool_free(&ui->contact_pool);
	pool_free(&ui->cal_pool);
	ui->cal_entries = NULL;
	ui->cal_count = 0;
	if ((UI_IN(ui->pane) & UI_IN_ORGANIZER) != 0)
		ui->pane = UI_PANE_LIST;
	pr_local_close(&ui->local);
	ui->is_local_open = false;
	ui->watch_fd = -1;
}

/* Reads every key that is waiting; ncurses may hold bytes that poll()
 * cannot see, so this runs until get_wch() has nothing. */
static void input_drain(struct ui *ui)
{
	for (int key; !ui->is_quitting && (key = ui_key_read()) != UI_KEY_NONE;)
		key_dispatch(ui, key);
}

#define UI_REMIND_TICK 15000 /* ms */

static void ui_loop(struct ui *ui)
{
	while (!ui->is_quitting && quit_signal == 0) {
		ui_idle_check(ui);
		ui_cal_remind(ui);
		ui_draw(ui);
		struct pollfd fds[3] = {
		    {.fd = STDIN_FILENO, .events = POLLIN},
		    {.fd = wake_fds[0], .events = POLLIN},
		    {.fd = ui->watch_fd, .events = POLLIN},
		};
		/* woken at least every UI_REMIND_TICK for the reminders */
		int timeout = ui_idle_timeout(ui);
		if (timeout < 0 || timeout > UI_REMIND_TICK)
			timeout = UI_REMIND_TICK;
		int ret = poll(fds, ui->watch_fd >= 0 ? 3 : 2, timeout);
		if (ret < 0 && errno != EINTR) {
			ui_status(ui, true, "poll: %s", strerror(errno));
			break;
		}
		if (ret > 0 && (fds[1].revents & POLLIN) != 0)
			wake_drain();
		if (ret > 0 && ui->watch_fd >= 0 &&
		    (fds[2].revents & POLLIN) != 0) {
			store_account_watch_drain(ui->local.account);
			ui_refresh_store(ui);
			ui_cal_refresh(ui);
		}
		if (ret > 0 && (fds[0].revents & (POLLHUP | POLLERR)) != 0)
			break; /* the terminal went away */
		input_drain(ui);
	}
}

static void ui_deinit(struct ui *ui)
{
	ui_account_close(ui);
	buf_deinit(&ui->status);
	signals_remove();
}

int pr_cmd_ui(struct pr_cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return 2;
	const char *error;
	struct pr_account *account =
	    pr_config_account(cli->config, cli->account_name, &error);
	if (account == NULL)
		return pr_fail("%s", error);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return pr_fail("the interface needs a terminal; see "
		               "'postroom --help' for the commands");
	struct ui ui = {.cli = cli, .watch_fd = -1, .remind_from = time(NULL)};
	if (signals_install() < 0)
		return pr_fail("pipe: %s", strerror(errno));
	buf_init(&ui.status);
	if (ui_account_open(&ui, account, &error) < 0) {
		ui_deinit(&ui);
		return pr_fail("local store: %s", error);
	}
	setlocale(LC_ALL, "");
	if (ui_screen_start() < 0) {
		ui_deinit(&ui);
		return pr_fail("cannot start the screen (TERM=%s)",
		               getenv("TERM") != NULL ? getenv("TERM") : "");
	}
	ui_layout(&ui);
	ui_loop(&ui);
	ui_screen_end();
	ui_deinit(&ui);
	if (quit_signal != 0 && quit_signal != SIGINT)
		return 1;
	return 0;
}
