/* The screen frame of the interface: a title line, the panes, the status
 * line and the key bar, laid out for any size from 80x24 up (and redone
 * on KEY_RESIZE); plus the UTF-8 text helpers every pane draws with, which
 * count display columns (wcwidth) and never let a control byte from a
 * message reach the terminal. */
#include "ui.h"

#include <curses.h>
#include <stdarg.h>
#include <string.h>
#include <wchar.h>

#define UI_MIN_LINES 10
#define UI_MIN_COLS 40

void ui_status(struct ui *ui, bool is_error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_truncate(&ui->status, 0);
	buf_vprintf(&ui->status, fmt, ap);
	va_end(ap);
	ui->is_status_error = is_error;
}

/* Decodes one character of str; an invalid byte counts as '?' one column
 * wide. Returns the bytes used (>= 1) with *wc_r and *width_r. */
static size_t char_next(const char *str, size_t len, wchar_t *wc_r,
                        int *width_r)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	wchar_t wc;
	size_t n = mbrtowc(&wc, str, len, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		wc = L'?';
		n = 1;
	}
	int width = wc == L'\t' ? 1 : wcwidth(wc);
	if (wc == L'\t') {
		wc = L' ';
	} else if (width < 0) {
		wc = L'?';
		width = 1;
	}
	*wc_r = wc;
	*width_r = width;
	return n;
}

size_t ui_put(int y, int x, const char *str, size_t len, int width)
{
	size_t i = 0;
	int col = 0;
	if (width <= 0)
		return 0;
	move(y, x);
	while (i < len && str[i] != '\n') {
		wchar_t wc;
		int w;
		size_t n = char_next(str + i, len - i, &wc, &w);
		if (col + w > width)
			break;
		if (w > 0 || col > 0) /* no combining mark at the start */
			addnwstr(&wc, 1);
		col += w;
		i += n;
	}
	for (; col < width; col++)
		addch(' ');
	return i;
}

size_t ui_wrap(const char *str, size_t len, int width, size_t *line_len_r)
{
	size_t i = 0, last_space = 0;
	int col = 0;
	while (i < len) {
		if (str[i] == '\n') {
			*line_len_r = i;
			return i + 1;
		}
		wchar_t wc;
		int w;
		size_t n = char_next(str + i, len - i, &wc, &w);
		if (col + w > width && i > 0) {
			if (last_space > 0) {
				*line_len_r = last_space;
				return last_space + 1;
			}
			*line_len_r = i;
			return i;
		}
		if (wc == L' ')
			last_space = i;
		col += w;
		i += n;
	}
	*line_len_r = len;
	return len;
}

/* Columns: the folder pane on the left (hidden while reading a message on
 * a narrow screen, so the text gets the width); on the right the list,
 * and below it the open message. */
void ui_layout(struct ui *ui)
{
	int body_y = 1, body_h = LINES - 3;
	memset(&ui->r_folders, 0, sizeof(ui->r_folders));
	memset(&ui->r_list, 0, sizeof(ui->r_list));
	memset(&ui->r_view, 0, sizeof(ui->r_view));
	memset(&ui->r_contacts, 0, sizeof(ui->r_contacts));
	memset(&ui->r_cal, 0, sizeof(ui->r_cal));
	if (LINES < UI_MIN_LINES || COLS < UI_MIN_COLS)
		return;
	if (ui->pane == UI_PANE_CONTACTS) {
		ui->r_contacts = (struct ui_rect){body_y, 0, body_h, COLS};
		return;
	}
	if ((UI_IN(ui->pane) & UI_IN_ORGANIZER) != 0) {
		ui->r_cal = (struct ui_rect){body_y, 0, body_h, COLS};
		return;
	}
	int fw = COLS >= 100 ? 24 : 18;
	if (ui->pane == UI_PANE_VIEW && COLS < 100)
		fw = 0;
	if (fw > 0)
		ui->r_folders = (struct ui_rect){body_y, 0, body_h, fw};
	int x = fw > 0 ? fw + 1 : 0, w = COLS - x;
	if (!ui->has_msg) {
		ui->r_list = (struct ui_rect){body_y, x, body_h, w};
		return;
	}
	int list_h = body_h / 3 < 3 ? 3 : body_h / 3;
	ui->r_list = (struct ui_rect){body_y, x, list_h, w};
	/* one line between them names the message */
	ui->r_view =
	    (struct ui_rect){body_y + list_h + 1, x, body_h - list_h - 1, w};
}

static void draw_title(struct ui *ui)
{
	struct buf t;
	buf_init(&t);
	buf_printf(&t, " postroom  %s <%s>", ui->account->name,
	           ui->account->address);
	if (ui->pane == UI_PANE_CONTACTS)
		buf_append_str(&t, "  | contacts");
	else if (ui->pane == UI_PANE_CALENDAR)
		buf_append_str(&t, "  | calendar");
	else if (ui->pane == UI_PANE_TASKS)
		buf_append_str(&t, "  | tasks");
	else if (ui->pane == UI_PANE_JOURNAL)
		buf_append_str(&t, "  | journal");
	else if (ui->search != NULL)
		buf_printf(&t, "  | search: %s (%zu found)", ui->search,
		           ui->item_count);
	else if (ui->mailbox != NULL)
		buf_printf(&t, "  | %s (%zu message%s)", ui->mailbox,
		           ui->item_count, ui->item_count == 1 ? "" : "s");
	if (ui->idle_pid > 0)
		buf_append_str(&t, "  | live");
	attron(A_REVERSE);
	ui_put(0, 0, t.data, t.len, COLS);
	attroff(A_REVERSE);
	buf_deinit(&t);
}

static void draw_status_line(struct ui *ui)
{
	int attr = ui->is_status_error
	               ? (has_colors() ? COLOR_PAIR(1) | A_BOLD : A_BOLD)
	               : A_NORMAL;
	attron(attr);
	ui_put(LINES - 2, 0, ui->status.data, ui->status.len, COLS);
	attroff(attr);
}

static void draw_keybar(struct ui *ui)
{
	struct buf bar;
	buf_init(&bar);
	ui_keybar(ui, (size_t)COLS, &bar);
	attron(A_REVERSE);
	ui_put(LINES - 1, 0, bar.data, bar.len, COLS);
	attroff(A_REVERSE);
	buf_deinit(&bar);
}

/* The separator between the list and the open message names it. */
static void draw_view_header(struct ui *ui)
{
	const struct ui_rect *r = &ui->r_view;
	struct buf t;
	buf_init(&t);
	buf_printf(&t, "--- %s UID %u ", ui->view_mailbox, ui->view_uid);
	if (ui->view_lines > (size_t)r->h)
		buf_printf(&t, "(%zu%%) ",
		           (ui->view_top + (size_t)r->h) * 100 /
		               ui->view_lines);
	while (t.len < (size_t)r->w)
		buf_append_char(&t, '-');
	attron(A_BOLD);
	ui_put(r->y - 1, r->x, t.data, t.len, r->w);
	attroff(A_BOLD);
	buf_deinit(&t);
}

void ui_draw(struct ui *ui)
{
	erase();
	if (LINES < UI_MIN_LINES || COLS < UI_MIN_COLS) {
		mvaddstr(0, 0, "the window is too small for postroom");
		refresh();
		return;
	}
	draw_title(ui);
	if (ui->pane == UI_PANE_CONTACTS) {
		ui_contacts_draw(ui);
	} else if ((UI_IN(ui->pane) & UI_IN_ORGANIZER) != 0) {
		ui_cal_draw(ui);
	} else {
		if (ui->r_folders.w > 0) {
			ui_folders_draw(ui);
			mvvline(ui->r_folders.y, ui->r_folders.w, ACS_VLINE,
			        ui->r_folders.h);
		}
		ui_list_draw(ui);
		if (ui->has_msg && ui->r_view.h > 0) {
			ui_view_draw(ui);
			draw_view_header(ui);
		}
	}
	draw_status_line(ui);
	draw_keybar(ui);
	refresh();
}

void ui_draw_status(struct ui *ui)
{
	draw_status_line(ui);
	refresh();
}
