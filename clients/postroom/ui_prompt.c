/* One-line prompts on the status line: text input with UTF-8 editing
 * (Backspace, Ctrl-U, Ctrl-W), Tab completion that cycles through the
 * matches, Esc or Ctrl-G to cancel; and single-key choices. Completion
 * sources: the mailbox names, and the contacts for addresses. */
#include "ui.h"

#include "contacts.h"
#include "core/pool.h"
#include "store/store.h"

#include <curses.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#define KEY_CTRL(c) ((c)&0x1f)
#define KEY_ESC 27

/* Draws question and input on the status line with the cursor after the
 * input; a long input shows its end. */
static void prompt_draw(const char *question, const struct buf *line)
{
	int y = LINES - 2;
	int qw = (int)strlen(question);
	if (qw > COLS * 2 / 3)
		qw = COLS * 2 / 3;
	attron(A_BOLD);
	ui_put(y, 0, question, strlen(question), qw);
	attroff(A_BOLD);
	int room = COLS - qw - 1;
	size_t start = 0;
	/* show the tail: skip whole characters until it fits */
	while (start < line->len &&
	       (int)mbstowcs(NULL, line->data + start, 0) > room) {
		start++;
		while (start < line->len &&
		       ((unsigned char)line->data[start] & 0xc0) == 0x80)
			start++;
	}
	ui_put(y, qw, line->data + start, line->len - start, room + 1);
	int cx = qw + (int)(line->len - start); /* good enough for ASCII */
	size_t chars = mbstowcs(NULL, line->data + start, 0);
	if (chars != (size_t)-1)
		cx = qw + (int)chars;
	move(y, cx < COLS ? cx : COLS - 1);
	refresh();
}

/* Removes the last UTF-8 character of line. */
static void backspace(struct buf *line)
{
	size_t len = line->len;
	while (len > 0 && ((unsigned char)line->data[len - 1] & 0xc0) == 0x80)
		len--;
	if (len > 0)
		len--;
	buf_truncate(line, len);
}

static void word_erase(struct buf *line)
{
	size_t len = line->len;
	while (len > 0 && line->data[len - 1] == ' ')
		len--;
	while (len > 0 && line->data[len - 1] != ' ')
		len--;
	buf_truncate(line, len);
}

static void char_append(struct buf *line, int key)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t n = wcrtomb(mb, (wchar_t)key, &st);
	if (n != (size_t)-1)
		buf_append(line, mb, n);
}

/* Handles one editing key. Returns 1 done, 0 go on, -1 cancelled. */
static int prompt_key(struct ui *ui, int key, struct buf *line,
                      struct buf *base, unsigned *tabs,
                      ui_complete_fn *complete, struct pool *pool)
{
	if (key != '\t')
		*tabs = 0;
	if (key == '\r' || key == '\n' || key == UI_FKEY(KEY_ENTER))
		return 1;
	if (key == UI_KEY_NONE || key == KEY_ESC || key == KEY_CTRL('g'))
		return -1;
	if (key == UI_FKEY(KEY_BACKSPACE) || key == 127 || key == KEY_CTRL('h'))
		backspace(line);
	else if (key == KEY_CTRL('u'))
		buf_truncate(line, 0);
	else if (key == KEY_CTRL('w'))
		word_erase(line);
	else if (key == UI_FKEY(KEY_RESIZE))
		ui_layout(ui), ui_draw(ui);
	else if (key == '\t' && complete != NULL) {
		/* every Tab completes the text typed before the first one */
		if (*tabs == 0) {
			buf_truncate(base, 0);
			buf_append(base, line->data, line->len);
		}
		const char *c = complete(ui, base->data, (*tabs)++, pool);
		if (c != NULL) {
			buf_truncate(line, 0);
			buf_append_str(line, c);
		}
	} else if (key >= ' ' && key != 127)
		char_append(line, key);
	return 0;
}

const char *ui_prompt(struct ui *ui, const char *question, const char *initial,
                      ui_complete_fn *complete, struct pool *pool)
{
	struct buf line, base;
	buf_init(&line);
	buf_init(&base);
	if (initial != NULL)
		buf_append_str(&line, initial);
	unsigned tabs = 0;
	int ret;
	curs_set(1);
	do {
		prompt_draw(question, &line);
		ret = prompt_key(ui, ui_key_wait(ui), &line, &base, &tabs,
		                 complete, pool);
	} while (ret == 0);
	curs_set(0);
	const char *result = ret > 0 ? pool_strdup(pool, line.data) : NULL;
	buf_deinit(&line);
	buf_deinit(&base);
	ui_status(ui, false, "%s", "");
	return result;
}

int ui_prompt_choice(struct ui *ui, const char *question, const char *choices)
{
	for (;;) {
		attron(A_BOLD);
		ui_put(LINES - 2, 0, question, strlen(question), COLS);
		attroff(A_BOLD);
		refresh();
		int key = ui_key_wait(ui);
		if (key == UI_KEY_NONE || key == KEY_ESC ||
		    key == KEY_CTRL('g'))
			return 0;
		if (key == '\r' || key == '\n' || key == UI_FKEY(KEY_ENTER))
			return choices[0];
		if (key == UI_FKEY(KEY_RESIZE)) {
			ui_layout(ui);
			ui_draw(ui);
		} else if (key > 0 && key < 128 &&
		           strchr(choices, key) != NULL) {
			return key;
		}
	}
}

/* ---- Completion sources ----------------------------------------------------
 */

const char *ui_complete_mailbox(struct ui *ui, const char *input, unsigned nth,
                                struct pool *pool)
{
	size_t len = strlen(input), matches = 0;
	for (size_t i = 0; i < ui->mailbox_count; i++)
		matches += strncasecmp(ui->mailboxes[i].name, input, len) == 0;
	if (matches == 0)
		return NULL;
	size_t want = nth % matches;
	for (size_t i = 0; i < ui->mailbox_count; i++) {
		if (strncasecmp(ui->mailboxes[i].name, input, len) != 0)
			continue;
		if (want-- == 0)
			return pool_strdup(pool, ui->mailboxes[i].name);
	}
	return NULL;
}

const char *ui_complete_address(struct ui *ui, const char *input, unsigned nth,
                                struct pool *pool)
{
	/* complete the last address of "a@x, b" */
	const char *comma = strrchr(input, ',');
	const char *word = comma != NULL ? comma + 1 : input;
	while (*word == ' ')
		word++;
	if (*word == '\0')
		return NULL;
	const char **matches;
	size_t count;
	if (pr_contacts_complete(&ui->local, word, pool, &matches, &count) <
	    0) {
		ui_status(ui, true, "contacts: %s",
		          store_last_error(ui->local.store));
		return NULL;
	}
	if (count == 0)
		return NULL;
	return pool_printf(pool, "%.*s%s", (int)(word - input), input,
	                   matches[nth % count]);
}
