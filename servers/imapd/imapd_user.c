/* Accounts with sessions in this process: one struct imapd_user per
 * account, shared by its sessions. It holds the account's change watch
 * (one inotify watch in the process-wide store_watcher) and an account
 * handle that is opened on demand and closed after a few idle seconds, so
 * an idle session holds no database handle. */
#include "core/event_loop.h"
#include "core/xmalloc.h"
#include "imapd.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <stdlib.h>
#include <string.h>

#define IMAPD_ACCOUNT_IDLE_SECS 5
#define IMAPD_GC_MSECS 5000

struct imapd_user *imapd_user_ref(struct imapd *imapd, const char *address)
{
	for (struct imapd_user *u = imapd->users; u != NULL; u = u->next) {
		if (strcmp(u->address, address) == 0) {
			u->refs++;
			return u;
		}
	}
	struct imapd_user *u = xcalloc(1, sizeof(*u));
	u->imapd = imapd;
	u->address = xstrdup(address);
	u->refs = 1;
	u->watch_id = -1;
	u->next = imapd->users;
	imapd->users = u;
	struct store_account *account = imapd_user_account(u);
	if (account != NULL)
		u->watch_id = store_watcher_add(imapd->watcher, account);
	return u;
}

void imapd_user_unref(struct imapd_user **user)
{
	struct imapd_user *u = *user;
	if (u == NULL)
		return;
	*user = NULL;
	if (--u->refs > 0)
		return;
	struct imapd *imapd = u->imapd;
	for (struct imapd_user **p = &imapd->users; *p != NULL;
	     p = &(*p)->next) {
		if (*p == u) {
			*p = u->next;
			break;
		}
	}
	if (u->watch_id >= 0)
		store_watcher_remove(imapd->watcher, u->watch_id);
	store_account_close(&u->account);
	free(u->address);
	free(u);
}

struct store_account *imapd_user_account(struct imapd_user *u)
{
	u->last_used = time(NULL);
	if (u->account != NULL)
		return u->account;
	const char *error;
	if (store_account_open(u->imapd->store, u->address, &u->account,
	                       &error) < 0) {
		log_error(NULL, "account open user=%s failed: %s", u->address,
		          error);
		u->account = NULL;
	}
	return u->account;
}

static void user_changed_cb(int watch_id, void *ctx)
{
	struct imapd *imapd = ctx;
	for (struct imapd_client *c = imapd->clients; c != NULL; c = c->next) {
		if (c->user == NULL || c->user->watch_id != watch_id)
			continue;
		if (c->notify != NULL) { /* RFC 5465: NOTIFY decides */
			imapd_notify_changed(c);
			continue;
		}
		if (c->wait != IMAPD_WAIT_IDLE || c->box == NULL)
			continue;
		(void)imapd_mailbox_sync(c, true);
		imapd_client_flush(c);
	}
}

void imapd_user_watch_cb(void *ctx)
{
	struct imapd *imapd = ctx;
	store_watcher_read(imapd->watcher, user_changed_cb, imapd);
}

void imapd_user_gc_cb(void *ctx)
{
	struct imapd *imapd = ctx;
	time_t now = time(NULL);
	for (struct imapd_user *u = imapd->users; u != NULL; u = u->next)
		if (u->account != NULL &&
		    now - u->last_used >= IMAPD_ACCOUNT_IDLE_SECS)
			store_account_close(&u->account);
	event_timer_set(imapd->gc_timer, IMAPD_GC_MSECS);
}
