/* The contacts pane ('C'): the address book of the account
 * (lib/store/store_contact.h) listed by name, '/' to search names and
 * addresses, Enter to write to the selected contact, 'a' to add the sender
 * of the current message. The contacts subcommand (contacts.c) owns
 * editing and vCard import/export; a contact added here has no vCard text
 * yet, which contacts.c writes on its next edit or export. */
#include "ui.h"
#include "contacts.h"

#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_contact.h"

#include <curses.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Loads every contact, or those matching query (NULL: all). Returns 0,
 * or -1 with the error on the status line. */
static int contacts_load(struct ui *ui, const char *query)
{
	struct pool *pool = pool_new();
	struct store_contact *list;
	size_t count;
	int ret = query != NULL ? store_contact_search(ui->local.account, query,
	                                               pool, &list, &count)
	                        : store_contact_list(ui->local.account, pool,
	                                             &list, &count);
	if (ret < 0) {
		ui_status(ui, true, "contacts: %s",
		          store_last_error(ui->local.store));
		pool_free(&pool);
		return -1;
	}
	/* one row per address: that is what one writes to */
	struct ui_contact *rows = NULL;
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		size_t emails =
		    list[i].email_count > 0 ? list[i].email_count : 1;
		rows = xrealloc(rows, (n + emails) * sizeof(*rows));
		for (size_t e = 0; e < emails; e++)
			rows[n++] = (struct ui_contact){
			    .name = list[i].name,
			    .addr = list[i].email_count > 0 ? list[i].emails[e]
			                                    : "",
			};
	}
	free(ui->contacts);
	pool_free(&ui->contact_pool);
	ui->contact_pool = pool;
	ui->contacts = rows;
	ui->contact_count = n;
	ui->contact_sel = ui->contact_top = 0;
	ui->contact_query = query != NULL ? pool_strdup(pool, query) : NULL;
	return 0;
}

void ui_contacts_open(struct ui *ui)
{
	if (contacts_load(ui, NULL) < 0)
		return;
	ui->pane = UI_PANE_CONTACTS;
	ui_status(ui, false, "%zu address%s", ui->contact_count,
	          ui->contact_count == 1 ? "" : "es");
}

void ui_contacts_move(struct ui *ui, long delta)
{
	if (ui->contact_count == 0)
		return;
	long sel = (long)ui->contact_sel + delta;
	if (sel < 0)
		sel = 0;
	if (sel >= (long)ui->contact_count)
		sel = (long)ui->contact_count - 1;
	ui->contact_sel = (size_t)sel;
}

void ui_contacts_draw(struct ui *ui)
{
	const struct ui_rect *r = &ui->r_contacts;
	const char *head = ui->contact_query != NULL ? "matching:" : "all:";
	ui_put(r->y, r->x, head, strlen(head), r->w);
	int h = r->h - 1;
	if (ui->contact_count == 0) {
		ui_put(r->y + 1, r->x, "(none)", 6, r->w);
		return;
	}
	if (ui->contact_sel < ui->contact_top)
		ui->contact_top = ui->contact_sel;
	else if (h > 0 && ui->contact_sel >= ui->contact_top + (size_t)h)
		ui->contact_top = ui->contact_sel - (size_t)h + 1;
	int name_w = r->w / 3;
	for (int row = 0; row < h; row++) {
		size_t i = ui->contact_top + (size_t)row;
		if (i >= ui->contact_count)
			break;
		const struct ui_contact *c = &ui->contacts[i];
		if (i == ui->contact_sel)
			attron(A_REVERSE);
		ui_put(r->y + 1 + row, r->x, c->name, strlen(c->name), name_w);
		ui_put(r->y + 1 + row, r->x + name_w, c->addr, strlen(c->addr),
		       r->w - name_w);
		if (i == ui->contact_sel)
			attroff(A_REVERSE);
	}
}

void ui_contacts_search(struct ui *ui)
{
	struct pool *pool = pool_new();
	const char *q = ui_prompt(ui, "Search contacts: ", NULL, NULL, pool);
	if (q != NULL && contacts_load(ui, q[0] != '\0' ? q : NULL) == 0)
		ui_status(ui, false, "%zu found", ui->contact_count);
	pool_free(&pool);
}

/* True when name needs quoting in a To: field (RFC 5322 §3.2.3 specials). */
static bool needs_quotes(const char *name)
{
	return strpbrk(name, "()<>[]:;@\\,.\"") != NULL;
}

void ui_contacts_compose(struct ui *ui)
{
	if (ui->contact_sel >= ui->contact_count ||
	    ui->contacts[ui->contact_sel].addr[0] == '\0') {
		ui_status(ui, false, "no address here");
		return;
	}
	const struct ui_contact *c = &ui->contacts[ui->contact_sel];
	struct pool *pool = pool_new();
	const char *to = c->addr;
	if (c->name[0] != '\0' && !needs_quotes(c->name))
		to = pool_printf(pool, "%s <%s>", c->name, c->addr);
	ui->pane = ui->back_pane;
	ui_layout(ui);
	ui_compose(ui, UI_COMPOSE_NEW, to);
	pool_free(&pool);
}

/* The sender of the open message, else of the selected one. */
static bool sender(struct ui *ui, const char **name_r, const char **addr_r)
{
	const struct ui_item *it = ui_list_current(ui);
	if (ui->has_msg && (it == NULL || it->sum.uid != ui->view_uid)) {
		struct pr_mail_summary s;
		const char *error;
		if (pr_mail_summary_get(&ui->local, ui->view_mailbox,
		                        ui->view_uid, ui->view_pool, &s,
		                        &error) <= 0)
			return false;
		*name_r = s.from;
		*addr_r = s.from_addr;
		return true;
	}
	if (it == NULL)
		return false;
	*name_r = it->sum.from;
	*addr_r = it->sum.from_addr;
	return true;
}

static bool is_known(struct ui *ui, const char *addr, struct pool *pool)
{
	struct store_contact *list;
	size_t count;
	if (store_contact_search(ui->local.account, addr, pool, &list, &count) <
	    0)
		return false;
	for (size_t i = 0; i < count; i++)
		for (size_t e = 0; e < list[i].email_count; e++)
			if (strcasecmp(list[i].emails[e], addr) == 0)
				return true;
	return false;
}

void ui_contacts_add_sender(struct ui *ui)
{
	const char *name, *addr;
	if (!sender(ui, &name, &addr) || addr[0] == '\0') {
		ui_status(ui, false, "no message with a sender is selected");
		return;
	}
	struct pool *pool = pool_new();
	addr = pool_strdup(pool, addr);
	if (is_known(ui, addr, pool)) {
		ui_status(ui, false, "%s is in the contacts already", addr);
		pool_free(&pool);
		return;
	}
	const char *q = pool_printf(pool, "Name for %s: ", addr);
	name =
	    ui_prompt(ui, q, strcmp(name, addr) != 0 ? name : "", NULL, pool);
	if (name == NULL) {
		ui_status(ui, false, "not added");
		pool_free(&pool);
		return;
	}
	struct store_contact c = {.name = name,
	                          .emails = &addr,
	                          .email_count = 1,
	                          .org = "",
	                          .note = ""};
	const char *error;
	if (pr_contacts_add(&ui->local, &c, pool, &error) < 0)
		ui_status(ui, true, "not added: %s", error);
	else if (contacts_load(ui, NULL) == 0)
		ui_status(ui, false, "added %s <%s>", name, addr);
	pool_free(&pool);
}
