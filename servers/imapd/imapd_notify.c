/* NOTIFY events (RFC 5465 §4-6): the store's change watch (one inotify
 * watch per account, imapd_user.c) says an account changed; a session
 * with NOTIFY SET then compares the account's mailboxes (store_mailbox_list:
 * id, name, subscription, UIDVALIDITY, UIDNEXT, MESSAGES, UNSEEN,
 * HIGHESTMODSEQ) with what it last reported and sends, for the mailboxes
 * its event groups name: STATUS for MessageNew/MessageExpunge/FlagChange
 * in other mailboxes (§5.1-5.3), LIST for MailboxName (created, deleted
 * with \NonExistent, renamed with OLDNAME, and the parent of each, §5.4)
 * and SubscriptionChange (§5.5). For the selected mailbox (SELECTED,
 * SELECTED-DELAYED) it syncs the view: EXISTS and the MessageNew fetch
 * attributes, FETCH for flags, EXPUNGE or VANISHED at once for SELECTED
 * and held for a command that allows them for SELECTED-DELAYED (§6.1).
 * This happens at once when the session waits for a command or is in IDLE
 * (§4), else before its next command. A session whose output backs up gets
 * OK [NOTIFICATIONOVERFLOW] and NOTIFY NONE (§5.8). Changes this session
 * made itself are not reported back (§5). XXX a change by another session
 * that lands while this session's own APPEND/CREATE/... runs is folded into
 * that command's silent refresh. */
#include "core/conn.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_write.h"
#include "imapd.h"
#include "mime/mime.h"
#include "mime/mime_imap.h"
#include "mime/mime_section.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct snap_ctx {
	struct pool *pool;
	struct imapd_notify_mailbox *v;
	size_t count, cap;
};

static void snap_cb(const struct store_mailbox_info *info, void *ctx)
{
	struct snap_ctx *sc = ctx;
	if (sc->count == sc->cap) {
		size_t cap = sc->cap == 0 ? 16 : sc->cap * 2;
		struct imapd_notify_mailbox *v =
		    pool_alloc(sc->pool, cap * sizeof(*v));
		if (sc->count > 0)
			memcpy(v, sc->v, sc->count * sizeof(*v));
		sc->v = v;
		sc->cap = cap;
	}
	sc->v[sc->count++] = (struct imapd_notify_mailbox){
	    .id = info->id,
	    .name = pool_strdup(sc->pool, info->name),
	    .is_subscribed = info->is_subscribed,
	    .uidvalidity = info->uidvalidity,
	    .uidnext = info->uidnext,
	    .messages = info->messages,
	    .unseen = info->unseen,
	    .highestmodseq = info->highestmodseq,
	};
}

/* Reads the account's mailboxes into a new pool. Returns 0 or -1. */
static int snap_take(struct imapd_client *c, struct snap_ctx *sc)
{
	struct store_account *account = imapd_user_account(c->user);
	*sc = (struct snap_ctx){.pool = pool_new()};
	if (account == NULL || store_mailbox_list(account, snap_cb, sc) < 0) {
		pool_free(&sc->pool);
		return -1;
	}
	return 0;
}

static void snap_keep(struct imapd_notify *n, struct snap_ctx *sc)
{
	pool_free(&n->snap_pool);
	n->snap_pool = sc->pool;
	n->snap = sc->v;
	n->snap_count = sc->count;
}

static bool group_matches(const struct imapd_notify_group *g, const char *name,
                          bool is_subscribed)
{
	switch (g->kind) {
	case IMAPD_NOTIFY_PERSONAL:
		return true;
	case IMAPD_NOTIFY_SUBSCRIBED:
		return is_subscribed;
	case IMAPD_NOTIFY_SUBTREE:
	case IMAPD_NOTIFY_MAILBOXES:
		for (size_t i = 0; i < g->name_count; i++) {
			size_t len = strlen(g->names[i]);
			if (strcmp(name, g->names[i]) == 0 ||
			    (g->kind == IMAPD_NOTIFY_SUBTREE &&
			     strncmp(name, g->names[i], len) == 0 &&
			     name[len] == '/'))
				return true;
		}
		return false;
	}
	return false;
}

/* The events asked for name; message events of the selected mailbox are
 * SELECTED's alone (§3.1). */
static unsigned events_for(const struct imapd_client *c, const char *name,
                           bool is_subscribed)
{
	const struct imapd_notify *n = c->notify;
	unsigned ev = 0;
	for (size_t i = 0; i < n->group_count; i++)
		if (group_matches(&n->groups[i], name, is_subscribed))
			ev |= n->groups[i].events;
	if (c->box != NULL && strcmp(c->box->name, name) == 0)
		ev &= ~IMAPD_NOTIFY_MESSAGE;
	return ev;
}

static const struct imapd_notify_mailbox *
snap_find_id(const struct imapd_notify_mailbox *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

static const struct imapd_notify_mailbox *
snap_find_name(const struct imapd_notify_mailbox *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static bool has_children(const struct imapd_notify_mailbox *v, size_t n,
                         const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < n; i++)
		if (strncmp(v[i].name, name, len) == 0 && v[i].name[len] == '/')
			return true;
	return false;
}

/* "* STATUS name (items)" for the events ev of mailbox m (§5.1-5.3). */
static void write_status(struct imapd_client *c,
                         const struct imapd_notify_mailbox *m,
                         const struct imapd_notify_mailbox *old, unsigned ev)
{
	bool is_modseq = c->is_condstore || c->is_qresync;
	bool is_new = old == NULL || old->uidvalidity != m->uidvalidity;
	bool counts = is_new || old->uidnext != m->uidnext ||
	              old->messages != m->messages;
	bool flags =
	    !is_new && old->highestmodseq != m->highestmodseq && !counts;
	bool unseen = !is_new && old->unseen != m->unseen;
	struct buf items;
	buf_init(&items);
	if (is_new ||
	    (counts && (ev & (IMAPD_NOTIFY_NEW | IMAPD_NOTIFY_EXPUNGE))))
		buf_printf(&items, " UIDNEXT %u MESSAGES %u", m->uidnext,
		           m->messages);
	if (is_new ||
	    (flags && (ev & IMAPD_NOTIFY_FLAGS) && (is_modseq || unseen)))
		buf_printf(&items, " UIDVALIDITY %u", m->uidvalidity);
	if ((ev & IMAPD_NOTIFY_FLAGS) && unseen && flags)
		buf_printf(&items, " UNSEEN %u", m->unseen);
	if (items.len > 0 && is_modseq)
		buf_printf(&items, " HIGHESTMODSEQ %llu",
		           (unsigned long long)m->highestmodseq);
	if (items.len > 0) {
		buf_append_str(&c->out, "* STATUS ");
		imap_write_mailbox(&c->out, m->name, c->is_utf8);
		buf_printf(&c->out, " (%s)\r\n", items.data + 1);
	}
	buf_deinit(&items);
}

/* "* LIST (attrs) "/" name [("OLDNAME" (old))]" after the event. */
static void write_list(struct imapd_client *c,
                       const struct imapd_notify_mailbox *v, size_t n,
                       const char *name, const char *old_name)
{
	const struct imapd_notify_mailbox *m = snap_find_name(v, n, name);
	bool kids = has_children(v, n, name);
	buf_printf(&c->out, "* LIST (%s%s%s) \"/\" ",
	           m == NULL ? "\\NonExistent " : "",
	           kids ? "\\HasChildren" : "\\HasNoChildren",
	           m != NULL && m->is_subscribed ? " \\Subscribed" : "");
	imap_write_mailbox(&c->out, name, c->is_utf8);
	if (old_name != NULL) {
		buf_append_str(&c->out, " (\"OLDNAME\" (");
		imap_write_mailbox(&c->out, old_name, c->is_utf8);
		buf_append_str(&c->out, "))");
	}
	buf_append_str(&c->out, "\r\n");
}

/* Writes LIST for name's parent once (a create or delete touches it). */
static void write_parent(struct imapd_client *c,
                         const struct imapd_notify_mailbox *v, size_t n,
                         const char *name, struct pool *pool,
                         const char ***done, size_t *done_count)
{
	const char *slash = strrchr(name, '/');
	if (slash == NULL)
		return;
	char *parent = pool_strndup(pool, name, (size_t)(slash - name));
	for (size_t i = 0; i < *done_count; i++)
		if (strcmp((*done)[i], parent) == 0)
			return;
	const struct imapd_notify_mailbox *p = snap_find_name(v, n, parent);
	if ((events_for(c, parent, p != NULL && p->is_subscribed) &
	     IMAPD_NOTIFY_NAME) == 0)
		return;
	(*done)[(*done_count)++] = parent;
	write_list(c, v, n, parent, NULL);
}

/* Was old renamed along with its parent (§5.4: children get no event)? */
static bool renamed_with_parent(const struct imapd_notify_mailbox *ov,
                                size_t on,
                                const struct imapd_notify_mailbox *nv,
                                size_t nn, const struct imapd_notify_mailbox *o,
                                const struct imapd_notify_mailbox *m)
{
	for (size_t i = 0; i < nn; i++) {
		const struct imapd_notify_mailbox *p =
		    snap_find_id(ov, on, nv[i].id);
		if (p == NULL || strcmp(p->name, nv[i].name) == 0)
			continue;
		size_t ol = strlen(p->name), nl = strlen(nv[i].name);
		if (strncmp(o->name, p->name, ol) == 0 && o->name[ol] == '/' &&
		    strncmp(m->name, nv[i].name, nl) == 0 &&
		    strcmp(m->name + nl, o->name + ol) == 0)
			return true;
	}
	return false;
}

/* The events of the other mailboxes: old snapshot n->snap against now. */
static void notify_mailboxes(struct imapd_client *c, const struct snap_ctx *now)
{
	struct imapd_notify *n = c->notify;
	const struct imapd_notify_mailbox *ov = n->snap, *nv = now->v;
	size_t on = n->snap_count, nn = now->count, done_count = 0;
	const char **done =
	    pool_alloc(now->pool, (on + nn + 1) * sizeof(*done));
	for (size_t i = 0; i < nn; i++) {
		const struct imapd_notify_mailbox *m = &nv[i];
		const struct imapd_notify_mailbox *o =
		    snap_find_id(ov, on, m->id);
		unsigned ev = events_for(c, m->name, m->is_subscribed);
		if (o != NULL && o->is_subscribed && !m->is_subscribed)
			ev |= events_for(c, m->name, true) &
			      IMAPD_NOTIFY_SUBSCRIPTION;
		bool is_listed = false;
		if (o == NULL && (ev & IMAPD_NOTIFY_NAME)) {
			write_list(c, nv, nn, m->name, NULL);
			write_parent(c, nv, nn, m->name, now->pool, &done,
			             &done_count);
			is_listed = true;
		} else if (o != NULL && strcmp(o->name, m->name) != 0) {
			unsigned old_ev =
			    events_for(c, o->name, o->is_subscribed);
			if (((ev | old_ev) & IMAPD_NOTIFY_NAME) &&
			    !renamed_with_parent(ov, on, nv, nn, o, m)) {
				write_list(c, nv, nn, m->name, o->name);
				is_listed = true;
			}
		}
		if (!is_listed && o != NULL &&
		    o->is_subscribed != m->is_subscribed &&
		    (ev & IMAPD_NOTIFY_SUBSCRIPTION))
			write_list(c, nv, nn, m->name, NULL);
		if (ev & IMAPD_NOTIFY_MESSAGE)
			write_status(c, m, o, ev);
	}
	for (size_t i = 0; i < on; i++) {
		const struct imapd_notify_mailbox *o = &ov[i];
		if (snap_find_id(nv, nn, o->id) != NULL ||
		    (events_for(c, o->name, o->is_subscribed) &
		     IMAPD_NOTIFY_NAME) == 0)
			continue;
		write_list(c, nv, nn, o->name, NULL); /* \NonExistent */
		write_parent(c, nv, nn, o->name, now->pool, &done, &done_count);
	}
}

/* ---- MessageNew's FETCH for the selected mailbox (§5.2) ------------ */

struct fetch_msg {
	bool found;
	struct store_message msg;
	char blob_id[STORE_BLOB_ID_LEN + 1];
	const char *keywords;
};

static int fetch_msg_cb(const struct store_message *msg, void *ctx)
{
	struct fetch_msg *fm = ctx;
	fm->found = true;
	fm->msg = *msg;
	snprintf(fm->blob_id, sizeof(fm->blob_id), "%s", msg->blob_id);
	fm->keywords = xstrdup(msg->keywords);
	return 1;
}

/* Maps the blob; *size_r 0 (and NULL) for an empty one. */
static const unsigned char *fetch_map(struct imapd_client *c,
                                      const char *blob_id, size_t *size_r)
{
	int fd = store_blob_open(c->imapd->store, blob_id);
	struct stat st;
	*size_r = 0;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	void *map =
	    mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	*size_r = (size_t)st.st_size;
	return map;
}

static void fetch_att_write(struct imapd_client *c, const char *att,
                            const struct fetch_msg *fm,
                            const unsigned char *data, size_t size,
                            struct pool *pool)
{
	struct buf *out = &c->out;
	static const unsigned char empty[1];
	struct mime_settings ms;
	mime_settings_init(&ms);
	struct mime_part *root =
	    mime_parse(data != NULL ? data : empty, size, &ms, pool);
	if (strcasecmp(att, "FLAGS") == 0) {
		buf_append_str(out, "FLAGS ");
		imapd_flags_write(
		    out, imapd_mailbox_flags(c, fm->msg.uid, fm->msg.flags),
		    fm->keywords);
	} else if (strcasecmp(att, "MODSEQ") == 0) {
		buf_printf(out, "MODSEQ (%llu)",
		           (unsigned long long)fm->msg.modseq);
	} else if (strcasecmp(att, "INTERNALDATE") == 0) {
		buf_append_str(out, "INTERNALDATE ");
		imapd_date_write(out, fm->msg.internal_date);
	} else if (strcasecmp(att, "RFC822.SIZE") == 0) {
		buf_printf(out, "RFC822.SIZE %llu",
		           (unsigned long long)fm->msg.size);
	} else if (strcasecmp(att, "ENVELOPE") == 0) {
		buf_append_str(out, "ENVELOPE ");
		mime_imap_envelope(data != NULL ? data : empty, root, out);
	} else if (strcasecmp(att, "BODYSTRUCTURE") == 0 ||
	           strcasecmp(att, "BODY") == 0) {
		bool ext = strcasecmp(att, "BODYSTRUCTURE") == 0;
		buf_printf(out, "%s ", ext ? "BODYSTRUCTURE" : "BODY");
		mime_imap_bodystructure(data != NULL ? data : empty, root, ext,
		                        out);
	} else {
		/* BODY.PEEK[section], checked by cmd_notify.c */
		const char *spec = att + 10;
		size_t len = strlen(spec) - 1;
		struct mime_section section;
		struct mime_section_result r;
		const char *error;
		buf_printf(out, "BODY[%.*s] ", (int)len, spec);
		if (data == NULL ||
		    mime_section_parse(spec, len, pool, &section, &error) < 0 ||
		    mime_section_find(data, root, &section, pool, &r) <= 0) {
			buf_append_str(out, "\"\"");
			return;
		}
		const unsigned char *p =
		    r.synth != NULL ? r.synth : data + r.offset;
		size_t n = r.synth != NULL ? r.synth_size : r.size;
		buf_printf(out, "{%zu}\r\n", n);
		buf_append(out, p, n);
	}
}

void imapd_notify_fetch(struct imapd_client *c, uint32_t uid,
                        const char *const *atts, size_t count)
{
	struct store_account *account = imapd_user_account(c->user);
	struct fetch_msg fm = {0};
	if (account == NULL ||
	    store_message_list(account, c->box->name, uid, uid, fetch_msg_cb,
	                       &fm) < 0 ||
	    !fm.found) {
		free((char *)fm.keywords);
		return;
	}
	size_t size;
	const unsigned char *data = fetch_map(c, fm.blob_id, &size);
	struct pool *pool = pool_new();
	imapd_mailbox_keywords_announce(c, fm.keywords);
	imapd_fetch_head(c, uid);
	buf_printf(&c->out, "UID %u", uid);
	for (size_t i = 0; i < count; i++) {
		if (strcasecmp(atts[i], "UID") == 0)
			continue;
		buf_append_char(&c->out, ' ');
		fetch_att_write(c, atts[i], &fm, data, size, pool);
	}
	buf_append_str(&c->out, ")\r\n");
	pool_free(&pool);
	if (data != NULL)
		munmap((void *)data, size);
	free((char *)fm.keywords);
}

/* The selected mailbox under SELECTED / SELECTED-DELAYED (§6.1). */
static void notify_selected(struct imapd_client *c, const struct snap_ctx *now)
{
	struct imapd_notify *n = c->notify;
	struct imapd_mailbox *box = c->box;
	if (box == NULL || n->selected == IMAPD_NOTIFY_SEL_NONE ||
	    n->selected_events == 0)
		return;
	const struct imapd_notify_mailbox *m =
	    snap_find_name(now->v, now->count, box->name);
	if (m == NULL)
		return;
	bool want_flags = (n->selected_events & IMAPD_NOTIFY_FLAGS) != 0;
	if (m->uidnext == box->uidnext && m->messages == box->count &&
	    !(want_flags && m->highestmodseq != box->highestmodseq))
		return;
	uint32_t last = box->count > 0 ? box->uids[box->count - 1] : 0;
	/* §6.1.2: IDLE is a command that may carry expunges */
	bool allow = n->selected == IMAPD_NOTIFY_SEL_NOW ||
	             c->wait == IMAPD_WAIT_IDLE;
	if (imapd_mailbox_sync(c, allow) < 0 ||
	    c->box != box || n->fetch_count == 0)
		return;
	for (size_t i = 0; i < box->count; i++)
		if (box->uids[i] > last)
			imapd_notify_fetch(c, box->uids[i], n->fetch,
			                   n->fetch_count);
}

/* Reports everything that changed since the last look. */
static void notify_run(struct imapd_client *c)
{
	struct imapd_notify *n = c->notify;
	struct snap_ctx now;
	n->is_dirty = false;
	if (conn_output_is_full(c->conn)) {
		/* §5.8: the client does not read what it asked for */
		buf_append_str(&c->out, "* OK [NOTIFICATIONOVERFLOW] Too many "
		                        "events unread: NOTIFY NONE\r\n");
		log_info(&c->log, "notify overflow");
		imapd_notify_free(&c->notify);
		return;
	}
	if (snap_take(c, &now) < 0) {
		log_error(&c->log, "notify: cannot list mailboxes");
		return;
	}
	notify_selected(c, &now);
	if (conn_is_closing(c->conn)) { /* the sync said BYE */
		pool_free(&now.pool);
		return;
	}
	notify_mailboxes(c, &now);
	snap_keep(n, &now);
}

int imapd_notify_start(struct imapd_client *c, bool is_status)
{
	struct imapd_notify *n = c->notify;
	struct snap_ctx now;
	if (snap_take(c, &now) < 0)
		return -1;
	for (size_t i = 0; i < now.count && is_status; i++) {
		const struct imapd_notify_mailbox *m = &now.v[i];
		unsigned ev = events_for(c, m->name, m->is_subscribed);
		if ((ev & IMAPD_NOTIFY_MESSAGE) == 0)
			continue;
		/* §3.1: MESSAGES UIDNEXT UIDVALIDITY (+ HIGHESTMODSEQ) */
		buf_append_str(&c->out, "* STATUS ");
		imap_write_mailbox(&c->out, m->name, c->is_utf8);
		buf_printf(&c->out, " (MESSAGES %u UIDNEXT %u UIDVALIDITY %u",
		           m->messages, m->uidnext, m->uidvalidity);
		if (c->is_condstore || c->is_qresync)
			buf_printf(&c->out, " HIGHESTMODSEQ %llu",
			           (unsigned long long)m->highestmodseq);
		buf_append_str(&c->out, ")\r\n");
	}
	snap_keep(n, &now);
	return 0;
}

void imapd_notify_changed(struct imapd_client *c)
{
	if (c->notify == NULL || conn_is_closing(c->conn))
		return;
	if (c->wait != IMAPD_WAIT_COMMAND && c->wait != IMAPD_WAIT_IDLE) {
		c->notify->is_dirty = true;
		return;
	}
	notify_run(c);
	imapd_client_flush(c);
}

void imapd_notify_before_command(struct imapd_client *c)
{
	if (c->notify != NULL && c->notify->is_dirty)
		notify_run(c);
}

void imapd_notify_after_command(struct imapd_client *c, const char *name)
{
	static const char *const own[] = {"APPEND",    "COPY",       "MOVE",
	                                  "CREATE",    "DELETE",     "RENAME",
	                                  "SUBSCRIBE", "UNSUBSCRIBE"};
	struct snap_ctx now;
	if (c->notify == NULL || name == NULL)
		return;
	for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++) {
		if (strstr(name, own[i]) != NULL) {
			if (snap_take(c, &now) == 0)
				snap_keep(c->notify, &now);
			return;
		}
	}
}
