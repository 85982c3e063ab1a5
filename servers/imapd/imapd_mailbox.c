/* The selected mailbox as one session sees it (RFC 9051 §2.3.1.2 sequence
 * numbers, §7.5.1 EXPUNGE rules): the UID of every sequence number, and
 * the resynchronisation that turns changes made by other sessions and by
 * delivery into untagged EXPUNGE (highest first, so each number is still
 * valid when sent) or VANISHED (RFC 7162 §3.2.10), EXISTS and FETCH (FLAGS)
 * responses, and \Recent for IMAP4rev1 (RFC 3501 §2.3.2). Flags and keywords
 * are written and parsed here too (RFC 9051 §2.3.2). Invariant: no FETCH
 * shows a keyword before a FLAGS response named it (RFC 3501 §7.2.6). */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_seqset.h"
#include "imapd.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	uint32_t flag;
} system_flags[] = {
    {"\\Seen", STORE_FLAG_SEEN},       {"\\Answered", STORE_FLAG_ANSWERED},
    {"\\Flagged", STORE_FLAG_FLAGGED}, {"\\Deleted", STORE_FLAG_DELETED},
    {"\\Draft", STORE_FLAG_DRAFT},
};

void imapd_flags_write(struct buf *out, uint32_t flags, const char *keywords)
{
	bool first = true;
	buf_append_char(out, '(');
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(*system_flags);
	     i++) {
		if ((flags & system_flags[i].flag) == 0)
			continue;
		if (!first)
			buf_append_char(out, ' ');
		buf_append_str(out, system_flags[i].name);
		first = false;
	}
	if ((flags & IMAPD_FLAG_RECENT) != 0) {
		if (!first)
			buf_append_char(out, ' ');
		buf_append_str(out, "\\Recent");
		first = false;
	}
	if (keywords != NULL && keywords[0] != '\0') {
		if (!first)
			buf_append_char(out, ' ');
		buf_append_str(out, keywords);
	}
	buf_append_char(out, ')');
}

/* flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" /
 *        flag-keyword / flag-extension; flag-keyword = atom */
static int flag_parse(const struct imap_arg *arg, uint32_t *flags,
                      struct buf *keywords)
{
	if (arg->type != IMAP_ARG_ATOM)
		return -1;
	if (arg->str[0] == '\\') {
		for (size_t i = 0;
		     i < sizeof(system_flags) / sizeof(*system_flags); i++) {
			if (strcasecmp(arg->str, system_flags[i].name) == 0) {
				*flags |= system_flags[i].flag;
				return 0;
			}
		}
		/* \Recent and unknown extensions cannot be stored */
		return strcasecmp(arg->str, "\\Recent") == 0 ? 0 : -1;
	}
	for (const char *p = arg->str; *p != '\0'; p++)
		if (strchr("%*]\\", *p) != NULL || (unsigned char)*p >= 0x80)
			return -1;
	if (keywords->len > 0)
		buf_append_char(keywords, ' ');
	buf_append_str(keywords, arg->str);
	return 0;
}

/* flag-list = "(" [flag *(SP flag)] ")" */
int imapd_flags_parse(const struct imap_arg *arg, struct pool *pool,
                      uint32_t *flags_r, const char **keywords_r)
{
	struct buf kw;
	buf_init(&kw);
	*flags_r = 0;
	int ret = 0;
	if (arg->type == IMAP_ARG_LIST) {
		for (const struct imap_arg *a = arg->list;
		     a != NULL && ret == 0; a = a->next)
			ret = flag_parse(a, flags_r, &kw);
	} else {
		ret = flag_parse(arg, flags_r, &kw);
	}
	*keywords_r = pool_strdup(pool, kw.data);
	buf_deinit(&kw);
	return ret;
}

uint32_t imapd_mailbox_seq(const struct imapd_mailbox *box, uint32_t uid)
{
	size_t lo = 0, hi = box->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (box->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < box->count && box->uids[lo] == uid ? (uint32_t)lo + 1 : 0;
}

int imapd_set_uids(struct imapd_cmd *cmd, const char *str, bool is_uid,
                   uint32_t **uids_r, size_t *count_r)
{
	const struct imapd_mailbox *box = cmd->client->box;
	if (strcmp(str, "$") == 0) {
		/* seq-number / seq-range / "$" (RFC 9051 §9): the saved
		 * search result, as far as those messages are still here */
		uint32_t *uids = pool_alloc(
		    cmd->pool, (box->saved_count + 1) * sizeof(*uids));
		size_t n = 0;
		for (size_t i = 0; i < box->saved_count; i++)
			if (imapd_mailbox_seq(box, box->saved_uids[i]) != 0)
				uids[n++] = box->saved_uids[i];
		*uids_r = uids;
		*count_r = n;
		return 0;
	}
	struct imap_seqset set;
	if (imap_seqset_parse(str, cmd->pool, &set) < 0)
		return -1;
	uint32_t star = is_uid
	                    ? (box->count > 0 ? box->uids[box->count - 1] : 0)
	                    : (uint32_t)box->count;
	imap_seqset_resolve(&set, star);
	uint32_t *uids =
	    pool_alloc(cmd->pool, (box->count + 1) * sizeof(*uids));
	size_t n = 0;
	for (size_t i = 0; i < box->count; i++) {
		uint32_t key = is_uid ? box->uids[i] : (uint32_t)i + 1;
		if (imap_seqset_contains(&set, key))
			uids[n++] = box->uids[i];
	}
	*uids_r = uids;
	*count_r = n;
	return 0;
}

void imapd_mailbox_close(struct imapd_client *c)
{
	struct imapd_mailbox *box = c->box;
	if (box == NULL)
		return;
	c->box = NULL;
	if (c->state == IMAPD_STATE_SELECTED)
		c->state = IMAPD_STATE_AUTH;
	free(box->name);
	free(box->uids);
	free(box->own_uids);
	free(box->own_modseqs);
	free(box->recent);
	free(box->saved_uids);
	for (size_t i = 0; i < box->keyword_count; i++)
		free(box->keywords[i]);
	free(box->keywords);
	imapd_context_free_all(box);
	free(box);
}

/* Index of the first UID of the view >= uid. */
static size_t view_lower_bound(const struct imapd_mailbox *box, uint32_t uid)
{
	size_t lo = 0, hi = box->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (box->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t imapd_mailbox_flags(const struct imapd_client *c, uint32_t uid,
                             uint32_t flags)
{
	const struct imapd_mailbox *box = c->box;
	for (size_t i = 0; box != NULL && i < box->recent_count; i++)
		if (uid >= box->recent[i].first && uid <= box->recent[i].last)
			return flags | IMAPD_FLAG_RECENT;
	return flags;
}

/* How many UIDs of the view are \Recent. */
static size_t recent_in_view(const struct imapd_mailbox *box)
{
	size_t n = 0;
	for (size_t i = 0; i < box->recent_count; i++)
		n += view_lower_bound(box, box->recent[i].last + 1) -
		     view_lower_bound(box, box->recent[i].first);
	return n;
}

/* IMAP4rev1 \Recent (RFC 3501 §2.3.2): claims the UIDs of the view above
 * from in the store's watermark; those no other session claimed first are
 * \Recent here. EXAMINE only looks (§6.3.2). Returns 0 or -1. */
static int recent_claim(struct imapd_client *c, uint32_t from)
{
	struct imapd_mailbox *box = c->box;
	if (c->is_rev2 || box->count == 0 || box->uids[box->count - 1] <= from)
		return 0;
	uint32_t last = box->uids[box->count - 1], old;
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL || store_imap_recent(account, box->name, last,
	                                         !box->is_readonly, &old) < 0)
		return -1;
	if (old < from)
		old = from;
	if (old >= last)
		return 0;
	struct imapd_uid_range *r =
	    box->recent_count > 0 ? &box->recent[box->recent_count - 1] : NULL;
	if (r != NULL && r->last == old) {
		r->last = last; /* contiguous: one range */
		return 0;
	}
	box->recent = xrealloc(box->recent,
	                       (box->recent_count + 1) * sizeof(*box->recent));
	box->recent[box->recent_count++] =
	    (struct imapd_uid_range){.first = old + 1, .last = last};
	return 0;
}

static bool keywords_has(const struct imapd_mailbox *box, const char *word,
                         size_t len)
{
	for (size_t i = 0; i < box->keyword_count; i++)
		if (strlen(box->keywords[i]) == len &&
		    strncasecmp(box->keywords[i], word, len) == 0)
			return true;
	return false;
}

/* Adds the keywords of list that box does not know yet. Returns true if
 * there was one. */
static bool keywords_add(struct imapd_mailbox *box, const char *list)
{
	bool is_new = false;
	for (const char *p = list != NULL ? list : ""; *p != '\0';) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");
		if (len > 0 && !keywords_has(box, p, len)) {
			size_t n = box->keyword_count + 1;
			box->keywords =
			    xrealloc(box->keywords, n * sizeof(*box->keywords));
			box->keywords[box->keyword_count++] = xstrndup(p, len);
			is_new = true;
		}
		p += len;
	}
	return is_new;
}

static void keywords_add_cb(const char *keywords, void *ctx)
{
	(void)keywords_add(ctx, keywords);
}

/* flag-list of the system flags and the keywords the session knows, with
 * "\*" (new keywords may be stored) when is_permanent. */
static void flags_list_write(struct buf *out, const struct imapd_mailbox *box,
                             bool is_permanent)
{
	buf_append_str(out, "(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (size_t i = 0; i < box->keyword_count; i++)
		buf_printf(out, " %s", box->keywords[i]);
	buf_append_str(out, is_permanent ? " \\*)" : ")");
}

/* FLAGS and PERMANENTFLAGS (RFC 3501 §6.3.1, §7.2.6); nothing may be
 * stored in a read-only mailbox (§6.3.2). */
static void flags_announce(struct imapd_client *c)
{
	struct imapd_mailbox *box = c->box;
	buf_append_str(&c->out, "* FLAGS ");
	flags_list_write(&c->out, box, false);
	buf_append_str(&c->out, "\r\n* OK [PERMANENTFLAGS ");
	if (box->is_readonly)
		buf_append_str(&c->out, "()");
	else
		flags_list_write(&c->out, box, true);
	buf_append_str(&c->out, "] Flags permitted\r\n");
}

void imapd_mailbox_keywords_announce(struct imapd_client *c,
                                     const char *keywords)
{
	if (c->box != NULL && keywords_add(c->box, keywords))
		flags_announce(c);
}

int imapd_mailbox_select(struct imapd_client *c, const char *name,
                         bool is_readonly)
{
	imapd_mailbox_close(c);
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL)
		return -1;
	struct imapd_mailbox *box = xcalloc(1, sizeof(*box));
	uint32_t first_unseen = 0;
	int ret = store_imap_mailbox_state(account, name, &box->uidvalidity,
	                                   &box->uidnext, &box->highestmodseq);
	if (ret > 0)
		ret = store_imap_uids(account, name, &box->uids, &box->count);
	if (ret > 0)
		ret = store_imap_select_info(account, name, &first_unseen,
		                             keywords_add_cb, box);
	if (ret <= 0) {
		for (size_t i = 0; i < box->keyword_count; i++)
			free(box->keywords[i]);
		free(box->keywords);
		free(box->uids);
		free(box);
		return ret;
	}
	box->cap = box->count;
	box->name = xstrdup(name);
	box->is_readonly = is_readonly;
	c->box = box;
	c->state = IMAPD_STATE_SELECTED;
	struct buf *out = &c->out;
	buf_printf(out, "* %zu EXISTS\r\n", box->count);
	if (!c->is_rev2) {
		if (recent_claim(c, 0) < 0) {
			imapd_mailbox_close(c);
			return -1;
		}
		buf_printf(out, "* %zu RECENT\r\n", recent_in_view(box));
		/* RFC 3501 §6.3.1 (gone from RFC 9051): the first unseen */
		uint32_t seq = imapd_mailbox_seq(box, first_unseen);
		if (seq != 0)
			buf_printf(out, "* OK [UNSEEN %u] First unseen\r\n",
			           seq);
	}
	flags_announce(c);
	buf_printf(out, "* OK [UIDVALIDITY %u] UIDs valid\r\n",
	           box->uidvalidity);
	buf_printf(out, "* OK [UIDNEXT %u] Predicted next UID\r\n",
	           box->uidnext);
	buf_printf(out, "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
	           (unsigned long long)box->highestmodseq);
	return 1;
}

struct sync_ctx {
	struct imapd_client *client;
	uint32_t known_max; /* UIDs above it are new: no FETCH for them */
};

void imapd_mailbox_own_change(struct imapd_mailbox *box, uint32_t uid,
                              uint64_t modseq)
{
	if (box->own_count == box->own_cap) {
		box->own_cap = box->own_cap < 16 ? 16 : box->own_cap * 2;
		box->own_uids =
		    xrealloc(box->own_uids, box->own_cap * sizeof(uint32_t));
		box->own_modseqs =
		    xrealloc(box->own_modseqs, box->own_cap * sizeof(uint64_t));
	}
	box->own_uids[box->own_count] = uid;
	box->own_modseqs[box->own_count++] = modseq;
}

static bool is_own_change(const struct imapd_mailbox *box, uint32_t uid,
                          uint64_t modseq)
{
	for (size_t i = 0; i < box->own_count; i++)
		if (box->own_uids[i] == uid && box->own_modseqs[i] == modseq)
			return true;
	return false;
}

static int sync_flags_cb(const struct store_message *msg, void *ctx)
{
	struct sync_ctx *sc = ctx;
	struct imapd_client *c = sc->client;
	/* new messages too: a FETCH of them must not be the first to show
	 * their keywords */
	imapd_mailbox_keywords_announce(c, msg->keywords);
	if (msg->uid > sc->known_max ||
	    is_own_change(c->box, msg->uid, msg->modseq))
		return 0;
	if (imapd_mailbox_seq(c->box, msg->uid) == 0)
		return 0;
	imapd_fetch_head(c, msg->uid);
	buf_printf(&c->out, "UID %u FLAGS ", msg->uid);
	imapd_flags_write(&c->out, imapd_mailbox_flags(c, msg->uid, msg->flags),
	                  msg->keywords);
	if (c->is_condstore)
		buf_printf(&c->out, " MODSEQ (%llu)",
		           (unsigned long long)msg->modseq);
	buf_append_str(&c->out, ")\r\n");
	return 0;
}

/* Removes from the view the UIDs that are not in now (both ascending),
 * sending EXPUNGE for each, highest sequence number first, or one
 * VANISHED for them all once QRESYNC is enabled (RFC 7162 §3.2.10). */
static void sync_expunges(struct imapd_client *c, const uint32_t *now,
                          size_t now_count)
{
	struct imapd_mailbox *box = c->box;
	uint32_t *gone = NULL;
	size_t gone_count = 0, j = now_count;
	if (c->is_qresync || c->is_uidonly) /* RFC 9586 too */
		gone = xmalloc((box->count + 1) * sizeof(*gone));
	for (size_t i = box->count; i > 0; i--) {
		uint32_t uid = box->uids[i - 1];
		while (j > 0 && now[j - 1] > uid)
			j--;
		if (j > 0 && now[j - 1] == uid)
			continue;
		if (gone != NULL)
			gone[gone_count++] = uid;
		else
			buf_printf(&c->out, "* %zu EXPUNGE\r\n", i);
		memmove(&box->uids[i - 1], &box->uids[i],
		        (box->count - i) * sizeof(*box->uids));
		box->count--;
	}
	/* collected from the highest down: turn them ascending */
	for (size_t i = 0; i < gone_count / 2; i++) {
		uint32_t t = gone[i];
		gone[i] = gone[gone_count - 1 - i];
		gone[gone_count - 1 - i] = t;
	}
	imapd_vanished_write(&c->out, gone, gone_count, false);
	free(gone);
}

/* Returns true if a UID of the view is no longer in now. */
static bool view_has_gone(const struct imapd_mailbox *box, const uint32_t *now,
                          size_t now_count)
{
	size_t j = 0;
	for (size_t i = 0; i < box->count; i++) {
		while (j < now_count && now[j] < box->uids[i])
			j++;
		if (j == now_count || now[j] != box->uids[i])
			return true;
	}
	return false;
}

/* Appends the UIDs of now above the view's last one. */
static void sync_new(struct imapd_client *c, const uint32_t *now,
                     size_t now_count)
{
	struct imapd_mailbox *box = c->box;
	uint32_t last = box->count > 0 ? box->uids[box->count - 1] : 0;
	size_t old = box->count;
	for (size_t i = 0; i < now_count; i++) {
		if (now[i] <= last)
			continue;
		if (box->count == box->cap) {
			box->cap = box->cap < 16 ? 16 : box->cap * 2;
			box->uids =
			    xrealloc(box->uids, box->cap * sizeof(*box->uids));
		}
		box->uids[box->count++] = now[i];
	}
	if (box->count == old)
		return;
	buf_printf(&c->out, "* %zu EXISTS\r\n", box->count);
	if (!c->is_rev2) {
		(void)recent_claim(c, last); /* XXX a failure: not \Recent */
		buf_printf(&c->out, "* %zu RECENT\r\n", recent_in_view(box));
	}
}

static int mailbox_sync(struct imapd_client *c, bool allow_expunge);

int imapd_mailbox_sync(struct imapd_client *c, bool allow_expunge)
{
	struct imapd_mailbox *box = c->box;
	if (box == NULL)
		return -1;
	if (box->is_syncing)
		return 0; /* a context's search answering inside the sync */
	box->is_syncing = true;
	int ret = mailbox_sync(c, allow_expunge);
	if (c->box == box)
		box->is_syncing = false;
	return ret;
}

static int mailbox_sync(struct imapd_client *c, bool allow_expunge)
{
	struct imapd_mailbox *box = c->box;
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL)
		return -1;
	uint32_t uidvalidity, uidnext;
	uint64_t hms;
	int ret = store_imap_mailbox_state(account, box->name, &uidvalidity,
	                                   &uidnext, &hms);
	if (ret <= 0 || uidvalidity != box->uidvalidity) {
		/* deleted or recreated under us: nothing is valid */
		imapd_client_bye(c, "Selected mailbox was deleted");
		return -1;
	}
	if (hms == box->highestmodseq && uidnext == box->uidnext &&
	    !(allow_expunge && box->has_pending_expunges))
		return 0;
	uint32_t *now;
	size_t now_count;
	if (store_imap_uids(account, box->name, &now, &now_count) <= 0)
		return -1;
	struct sync_ctx sc = {
	    .client = c,
	    .known_max = box->count > 0 ? box->uids[box->count - 1] : 0,
	};
	if (allow_expunge) {
		/* RFC 5267 §4.3.4: REMOVEFROM before the EXPUNGE */
		imapd_context_expunge(c, now, now_count);
		sync_expunges(c, now, now_count);
		box->has_pending_expunges = false;
	} else if (view_has_gone(box, now, now_count)) {
		box->has_pending_expunges = true;
	}
	sync_new(c, now, now_count);
	free(now);
	if (store_imap_changed(account, box->name, box->highestmodseq,
	                       sync_flags_cb, &sc) < 0)
		return -1;
	box->highestmodseq = hms;
	box->uidnext = uidnext;
	box->own_count = 0;
	if (box->contexts != NULL)
		imapd_context_update(c);
	return 0;
}
