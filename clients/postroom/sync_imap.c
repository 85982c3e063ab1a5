/* The IMAP sync of the terminal client (postroom.h, sync_imap.h): log in
 * (STARTTLS when the account asks, RFC 9051 §6.2.1), ENABLE QRESYNC and
 * UTF8=ACCEPT (RFC 7162 §3.2.3, RFC 6855 §3), match the folders, then
 * sync every mailbox and upload what the server lacks. Folders: a remote
 * mailbox with a SPECIAL-USE role (RFC 6154 §2) whose local role mailbox
 * has another name and was never synced renames the local one ("Sent" ->
 * "Sent Items"); a folder known to the sync state but gone on one side
 * was deleted there and is deleted on the other, unless the local one
 * still holds unsent mail, which is then created remotely again. */
#include "sync_imap.h"

#include "core/pool.h"
#include "core/tls_stream.h"
#include "core/xmalloc.h"
#include "imap/imap_client.h"
#include "store/store.h"
#include "store/store_sync.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define IDLE_MSECS (25 * 60 * 1000) /* RFC 2177 §3: re-issue within 29 min */
#define POLL_SECS 60

/* ---- The session ---------------------------------------------------------- */

static int session_login(struct sync_imap *s, const char **error_r)
{
	const struct pr_endpoint *ep = &s->account->incoming;
	const char *user = ep->user != NULL ? ep->user : s->account->address;
	const char *password, *error;
	if (pr_account_password(s->account, s->pool, &password, error_r) < 0)
		return -1;
	int ret = imap_client_login(s->c, user, password, &error);
	explicit_bzero((char *)password, strlen(password));
	if (ret < 0 && imap_client_last_status(s->c) == IMAP_CLIENT_NO)
		*error_r = pool_printf(s->pool, "wrong password for %s at %s",
		                       user, ep->host);
	else if (ret < 0)
		*error_r = pool_printf(s->pool, "%s: login: %s", ep->host,
		                       error);
	return ret;
}

static int session_open(struct sync_imap *s, const char **error_r)
{
	const struct pr_endpoint *ep = &s->account->incoming;
	struct tls_stream *stream;
	const char *error;
	if (pr_connect(s->config, s->account, ep, s->pool, &stream,
	               error_r) < 0)
		return -1;
	struct imap_client_settings set = {0};
	s->c = imap_client_new(stream, &set);
	if (imap_client_greeting(s->c, &error) < 0)
		goto fail;
	if (ep->tls == PR_TLS_STARTTLS) {
		if (!imap_client_has(s->c, "STARTTLS")) {
			*error_r = pool_printf(s->pool, "%s: the server does "
			                       "not offer STARTTLS", ep->host);
			return -1;
		}
		if (imap_client_starttls(s->c, &error) < 0)
			goto fail;
	}
	if (session_login(s, error_r) < 0)
		return -1;
	const char *caps = imap_client_has(s->c, "QRESYNC") ?
	                       (imap_client_has(s->c, "UTF8=ACCEPT") ?
	                            "QRESYNC UTF8=ACCEPT" : "QRESYNC") :
	                       imap_client_has(s->c, "UTF8=ACCEPT") ?
	                       "UTF8=ACCEPT" : NULL;
	if (caps != NULL && imap_client_has(s->c, "ENABLE") &&
	    imap_client_enable(s->c, caps, &error) < 0 &&
	    imap_client_last_status(s->c) == IMAP_CLIENT_ERROR)
		goto fail;
	return 0;
fail:
	*error_r = pool_printf(s->pool, "%s: %s", ep->host, error);
	return -1;
}

static void session_init(struct sync_imap *s, const struct pr_config *config,
                         const struct pr_account *account,
                         struct pr_local *local, struct pr_sync_report *report,
                         struct pool *pool)
{
	*s = (struct sync_imap){.config = config, .account = account,
	                        .local = local, .report = report,
	                        .pool = pool, .delim = '/'};
}

static void session_close(struct sync_imap *s)
{
	imap_client_logout(&s->c);
	free(s->cands);
	s->cands = NULL;
	s->cand_count = s->cand_cap = 0;
}

/* ---- Folders ----------------------------------------------------------------- */

struct folder {
	const char *local;  /* local name ("/"-separated) */
	const char *remote; /* remote name, NULL when none */
	enum store_special_use role;
	bool is_local, is_remote, has_state, is_local_gone;
};

struct folders {
	struct sync_imap *s;
	struct folder *f;
	size_t count, cap;
};

static struct folder *folder_get(struct folders *fs, const char *local)
{
	for (size_t i = 0; i < fs->count; i++)
		if (strcmp(fs->f[i].local, local) == 0)
			return &fs->f[i];
	if (fs->count == fs->cap) {
		fs->cap = fs->cap == 0 ? 16 : fs->cap * 2;
		fs->f = xrealloc(fs->f, fs->cap * sizeof(*fs->f));
	}
	fs->f[fs->count] = (struct folder){
	    .local = pool_strdup(fs->s->pool, local)};
	return &fs->f[fs->count++];
}

/* Local names use "/"; the server's delimiter replaces it remotely. */
static char *name_convert(struct pool *pool, const char *name, char from,
                          char to)
{
	char *s = pool_strdup(pool, name);
	for (char *p = s; from != to && *p != '\0'; p++)
		if (*p == from)
			*p = to;
	return s;
}

static enum store_special_use role_of(const char *special_use)
{
	static const struct {
		const char *name;
		enum store_special_use role;
	} roles[] = {{"\\Sent", STORE_SPECIAL_SENT},
	             {"\\Drafts", STORE_SPECIAL_DRAFTS},
	             {"\\Trash", STORE_SPECIAL_TRASH},
	             {"\\Junk", STORE_SPECIAL_JUNK},
	             {"\\Archive", STORE_SPECIAL_ARCHIVE}};
	for (size_t i = 0; special_use != NULL && i < 5; i++)
		if (strcasecmp(special_use, roles[i].name) == 0)
			return roles[i].role;
	return STORE_SPECIAL_NONE;
}

static void remote_cb(const struct imap_client_mailbox *mbox, void *ctx)
{
	struct folders *fs = ctx;
	if ((mbox->attrs & IMAP_CLIENT_MBOX_NOSELECT) != 0)
		return;
	if (mbox->delimiter != '\0')
		fs->s->delim = mbox->delimiter;
	char *local = name_convert(fs->s->pool, mbox->name, mbox->delimiter,
	                           mbox->delimiter != '\0' ? '/' : '\0');
	struct folder *f = folder_get(fs, local);
	f->remote = pool_strdup(fs->s->pool, mbox->name);
	f->is_remote = true;
	f->role = role_of(mbox->special_use);
}

static void local_cb(const struct store_mailbox_info *info, void *ctx)
{
	struct folders *fs = ctx;
	if (strcmp(info->name, PR_OUTBOX) == 0)
		return;
	struct folder *f = folder_get(fs, info->name);
	f->is_local = true;
	if (!f->is_remote)
		f->role = info->special_use;
}

static int state_cb(const char *mailbox, const struct store_sync_mailbox *st,
                    void *ctx)
{
	struct folders *fs = ctx;
	struct folder *f = folder_get(fs, mailbox);
	f->has_state = true;
	f->is_local_gone = st->is_local_gone;
	return 0;
}

/* The local mailbox holding role, or NULL. */
static struct folder *local_role(struct folders *fs,
                                 enum store_special_use role)
{
	struct store_mailbox_info info;
	for (size_t i = 0; i < fs->count; i++) {
		if (!fs->f[i].is_local)
			continue;
		struct pool *tmp = pool_new();
		int ret = store_mailbox_get(fs->s->local->account, fs->f[i].local,
		                            tmp, &info);
		pool_free(&tmp);
		if (ret > 0 && info.special_use == role)
			return &fs->f[i];
	}
	return NULL;
}

/* A remote role mailbox by another name takes over the local one of that
 * role when the local one was never synced and has no remote twin. */
static void roles_rename(struct folders *fs)
{
	const char *error;
	for (size_t i = 0; i < fs->count; i++) {
		struct folder *r = &fs->f[i];
		if (!r->is_remote || r->is_local || r->role == STORE_SPECIAL_NONE)
			continue;
		struct folder *l = local_role(fs, r->role);
		if (l == NULL || l->is_remote || l->has_state)
			continue;
		if (store_mailbox_rename(fs->s->local->account, l->local,
		                         r->local, &error) < 0)
			continue;
		l->is_local = false;
		r->is_local = true;
	}
}

static bool has_unmapped(struct sync_imap *s, const char *local)
{
	size_t before = s->cand_count;
	bool has = sync_imap_candidates(s, local, local) == 0 &&
	           s->cand_count > before;
	s->cand_count = before;
	return has;
}

/* Decides one folder: 1 sync it, 0 nothing (deleted on one side), -1. */
static int folder_settle(struct sync_imap *s, struct folder *f)
{
	struct store_account *a = s->local->account;
	const char *error;
	if (f->is_remote && f->is_local) {
		if (f->is_local_gone) /* deleted and made again locally */
			(void)store_sync_mailbox_forget(a, f->local);
		return 1;
	}
	if (f->is_remote && f->has_state && strcmp(f->local, "INBOX") != 0) {
		/* synced before, deleted locally since */
		if (imap_client_cmd(s->c, NULL, NULL, &error, "DELETE %m",
		                    f->remote) < 0)
			return sync_imap_fail(s, f->remote, error);
		return store_sync_mailbox_forget(a, f->local) < 0 ? -1 : 0;
	}
	if (f->is_remote) {
		if (store_mailbox_create(a, f->local, f->role, &error) < 0 &&
		    store_mailbox_create(a, f->local, STORE_SPECIAL_NONE,
		                         &error) < 0)
			return sync_imap_fail(s, f->local, error);
		return 1;
	}
	if (!f->is_local)
		return store_sync_mailbox_forget(a, f->local) < 0 ? -1 : 0;
	if (f->has_state && !has_unmapped(s, f->local)) {
		/* synced before, deleted remotely, nothing unsent in it */
		if (store_mailbox_delete(a, f->local, &error) < 0)
			return sync_imap_fail(s, f->local, error);
		return store_sync_mailbox_forget(a, f->local) < 0 ? -1 : 0;
	}
	(void)store_sync_mailbox_forget(a, f->local);
	f->remote = name_convert(s->pool, f->local, '/', s->delim);
	if (imap_client_cmd(s->c, NULL, NULL, &error, "CREATE %m",
	                    f->remote) < 0)
		return sync_imap_fail(s, f->remote, error);
	return 1;
}

static int folders_load(struct sync_imap *s, struct folders *fs)
{
	const char *error;
	if (imap_client_list(s->c, remote_cb, fs, &error) < 0)
		return sync_imap_fail(s, "LIST", error);
	if (store_mailbox_list(s->local->account, local_cb, fs) < 0 ||
	    store_sync_mailbox_list(s->local->account, state_cb, fs) < 0)
		return sync_imap_fail(s, "local store", "cannot list mailboxes");
	roles_rename(fs);
	return 0;
}

/* Folders, then phase 1 for each, then phase 2. Returns 0 or -1. */
static int sync_all(struct sync_imap *s)
{
	struct folders fs = {.s = s};
	int ret = folders_load(s, &fs);
	size_t n = 0;
	for (size_t i = 0; ret == 0 && i < fs.count; i++) {
		int r = folder_settle(s, &fs.f[i]);
		if (r > 0)
			fs.f[n++] = fs.f[i];
		if (r < 0 && imap_client_last_status(s->c) == IMAP_CLIENT_ERROR)
			ret = -1;
	}
	fs.count = ret == 0 ? n : 0;
	for (size_t i = 0; i < fs.count; i++)
		if (sync_imap_candidates(s, fs.f[i].local, fs.f[i].remote) < 0)
			ret = -1;
	for (int phase = 1; phase <= 2; phase++) {
		for (size_t i = 0; ret == 0 && i < fs.count; i++) {
			int r = phase == 1 ?
			            sync_imap_mailbox(s, fs.f[i].local,
			                              fs.f[i].remote) :
			            sync_imap_upload(s, fs.f[i].local,
			                             fs.f[i].remote);
			if (r < 0 &&
			    imap_client_last_status(s->c) == IMAP_CLIENT_ERROR)
				ret = -1;
		}
	}
	free(fs.f);
	return ret < 0 || s->error != NULL ? -1 : 0;
}

int pr_sync_imap(const struct pr_config *config,
                 const struct pr_account *account, struct pr_local *local,
                 struct pr_sync_report *report, struct pool *pool,
                 const char **error_r)
{
	struct sync_imap s;
	session_init(&s, config, account, local, report, pool);
	if (session_open(&s, error_r) < 0) {
		session_close(&s);
		return -1;
	}
	int ret = sync_all(&s);
	if (ret < 0)
		*error_r = s.error != NULL ? s.error : "sync failed";
	session_close(&s);
	return ret;
}

/* ---- IDLE ------------------------------------------------------------------- */

static void idle_cb(const struct imap_response *resp, void *ctx)
{
	bool *has_change = ctx;
	if (resp->count >= 2 &&
	    (strcasecmp(resp->items[1].str != NULL ? resp->items[1].str : "",
	                "EXISTS") == 0 ||
	     strcasecmp(resp->items[1].str != NULL ? resp->items[1].str : "",
	                "EXPUNGE") == 0 ||
	     strcasecmp(resp->items[1].str != NULL ? resp->items[1].str : "",
	                "FETCH") == 0 ||
	     strcasecmp(resp->items[0].str != NULL ? resp->items[0].str : "",
	                "VANISHED") == 0))
		*has_change = true;
}

/* Waits for a change in INBOX: IDLE when offered, else a POLL_SECS nap.
 * Returns 1 change (or poll due), 0 quiet cycle end, -1. */
static int idle_wait(struct sync_imap *s, volatile bool *stop)
{
	const char *error;
	bool has_change = false;
	if (!imap_client_has(s->c, "IDLE")) {
		for (int i = 0; i < POLL_SECS && !*stop; i++)
			sleep(1);
		return 1;
	}
	struct imap_client_selected sel;
	if (imap_client_select(s->c, "INBOX", false, NULL, NULL, NULL, NULL,
	                       &sel, &error) < 0)
		return sync_imap_fail(s, "INBOX", error);
	/* Mail that came between the last sync and this SELECT is told by
	 * UIDNEXT, not by IDLE: sync before waiting. */
	struct store_sync_mailbox state;
	if (store_sync_mailbox_get(s->local->account, "INBOX", &state) == 1 &&
	    sel.uidvalidity == state.uidvalidity &&
	    sel.uidnext > state.uidnext)
		return 1;
	imap_client_set_stop(s->c, stop);
	int ret = imap_client_idle(s->c, IDLE_MSECS, idle_cb, &has_change,
	                           &error);
	imap_client_set_stop(s->c, NULL);
	if (ret < 0)
		return sync_imap_fail(s, "IDLE", error);
	return has_change ? 1 : 0;
}

int pr_sync_imap_idle(const struct pr_config *config,
                      const struct pr_account *account, struct pr_local *local,
                      volatile bool *stop, struct pool *pool,
                      const char **error_r)
{
	struct pr_sync_report report = {0};
	struct sync_imap s;
	session_init(&s, config, account, local, &report, pool);
	int ret = session_open(&s, error_r);
	if (ret == 0 && (ret = sync_all(&s)) < 0)
		*error_r = s.error;
	while (ret == 0 && !*stop) {
		int r = idle_wait(&s, stop);
		if (r < 0 || *stop) {
			ret = r < 0 ? -1 : 0;
			break;
		}
		/* a change in INBOX syncs INBOX; a quiet cycle syncs all */
		s.error = NULL;
		s.cand_count = 0;
		if (r > 0)
			ret = sync_imap_candidates(&s, "INBOX", "INBOX") < 0 ||
			              sync_imap_mailbox(&s, "INBOX", "INBOX") < 0 ||
			              sync_imap_upload(&s, "INBOX", "INBOX") < 0 ?
			          -1 : 0;
		else
			ret = sync_all(&s);
	}
	if (ret < 0 && s.error != NULL)
		*error_r = s.error;
	session_close(&s);
	return ret;
}
