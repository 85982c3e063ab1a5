/* One mailbox of an IMAP sync (sync_imap.h): remote changes through
 * QRESYNC (RFC 7162 §3.2.5), CHANGEDSINCE (§3.1.4) or a full UID FETCH;
 * a three-way merge of flags per bit and of keywords per name (a local
 * change since the last agreed state wins, else the remote value);
 * expunges both ways (UID EXPUNGE, RFC 4315 §2.1); local moves sent as
 * UID MOVE (RFC 6851 §3.2) mapped through COPYUID. Local mail is only
 * expunged once the server no longer has it. */
#include "sync_imap.h"

#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_client.h"
#include "imap/imap_seqset.h"
#include "store/store.h"
#include "store/store_mime.h"
#include "store/store_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FETCH_BATCH 25

struct remote_msg {
	uint32_t uid;
	uint32_t flags;
	const char *keywords;
	uint64_t size;
	const char *message_id;
};

struct local_msg {
	uint32_t uid;
	uint32_t flags;
	const char *keywords;
};

struct mbox_sync {
	struct sync_imap *s;
	const char *local, *remote;
	struct pool *pool;
	struct remote_msg *changed; /* FETCH results, any order */
	size_t changed_count, changed_cap;
	struct buf vanished; /* "1:3,7," from VANISHED */
	uint32_t *all; /* every remote UID (when has_all) */
	size_t all_count, all_cap;
	bool has_all;
	uint32_t uidvalidity; /* of this SELECT */
	struct local_msg *msgs; /* local, UID order */
	size_t msg_count, msg_cap;
	struct store_sync_map *maps; /* remote UID order */
	size_t map_count, map_cap;
	const char *error; /* of a callback */
};

#define GROW(arr, count, cap)                                                  \
	do {                                                                   \
		if ((count) == (cap)) {                                        \
			(cap) = (cap) == 0 ? 64 : (cap) * 2;                   \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));       \
		}                                                              \
	} while (0)

int sync_imap_fail(struct sync_imap *s, const char *what, const char *reason)
{
	if (s->error == NULL)
		s->error = pool_printf(s->pool, "%s: %s", what, reason);
	return -1;
}

/* ---- Collecting the remote view -------------------------------------------- */

static void remote_cb(const struct imap_response *resp, void *ctx)
{
	struct mbox_sync *m = ctx;
	struct imap_fetch f;
	const char *uids;
	bool is_earlier;
	if (imap_fetch_parse(resp, &f) > 0 && f.uid != 0 && f.has_flags) {
		GROW(m->changed, m->changed_count, m->changed_cap);
		m->changed[m->changed_count++] = (struct remote_msg){
		    .uid = f.uid,
		    .flags = f.flags,
		    .keywords = pool_strdup(m->pool, f.keywords)};
	} else if (imap_vanished_parse(resp, &uids, &is_earlier) > 0) {
		buf_append_str(&m->vanished, uids);
		buf_append_char(&m->vanished, ',');
	} else if (resp->count >= 1 &&
	           strcasecmp(resp->items[0].str != NULL ? resp->items[0].str :
	                                                   "",
	                      "SEARCH") == 0) {
		for (size_t i = 1; i < resp->count; i++) {
			if (resp->items[i].type != IMAP_VALUE_ATOM)
				continue;
			unsigned long n = strtoul(resp->items[i].str, NULL, 10);
			GROW(m->all, m->all_count, m->all_cap);
			m->all[m->all_count++] = (uint32_t)n;
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static bool has_uid(const uint32_t *uids, size_t count, uint32_t uid)
{
	return bsearch(&uid, uids, count, sizeof(uid), cmp_u32) != NULL;
}

/* Asks for what changed unless QRESYNC already said so during SELECT. */
static int remote_changes(struct mbox_sync *m, bool is_qresync,
                          const struct store_sync_mailbox *state,
                          const struct imap_client_selected *sel)
{
	struct imap_client *c = m->s->c;
	const char *error;
	if (is_qresync)
		return 0;
	m->changed_count = 0;
	buf_truncate(&m->vanished, 0);
	m->has_all = true;
	if (sel->exists == 0)
		return 0;
	if (state != NULL && state->highestmodseq > 0 &&
	    sel->highestmodseq > 0 && imap_client_has(c, "CONDSTORE")) {
		if (imap_client_cmd(c, remote_cb, m, &error,
		                    "UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE %U)",
		                    state->highestmodseq) < 0 ||
		    imap_client_cmd(c, remote_cb, m, &error,
		                    "UID SEARCH ALL") < 0)
			return sync_imap_fail(m->s, m->remote, error);
	} else {
		if (imap_client_cmd(c, remote_cb, m, &error,
		                    "UID FETCH 1:* (UID FLAGS)") < 0)
			return sync_imap_fail(m->s, m->remote, error);
		for (size_t i = 0; i < m->changed_count; i++) {
			GROW(m->all, m->all_count, m->all_cap);
			m->all[m->all_count++] = m->changed[i].uid;
		}
	}
	qsort(m->all, m->all_count, sizeof(*m->all), cmp_u32);
	return 0;
}

/* ---- The local view ----------------------------------------------------------- */

static int local_cb(const struct store_message *msg, void *ctx)
{
	struct mbox_sync *m = ctx;
	GROW(m->msgs, m->msg_count, m->msg_cap);
	m->msgs[m->msg_count++] = (struct local_msg){
	    msg->uid, msg->flags, pool_strdup(m->pool, msg->keywords)};
	return 0;
}

static int map_cb(const struct store_sync_map *map, void *ctx)
{
	struct mbox_sync *m = ctx;
	GROW(m->maps, m->map_count, m->map_cap);
	m->maps[m->map_count] = *map;
	m->maps[m->map_count++].keywords = pool_strdup(m->pool, map->keywords);
	return 0;
}

static int local_load(struct mbox_sync *m)
{
	struct store_account *a = m->s->local->account;
	m->msg_count = m->map_count = 0;
	if (store_message_list(a, m->local, 1, UINT32_MAX, local_cb, m) < 0 ||
	    store_sync_map_list(a, m->local, map_cb, m) < 0)
		return sync_imap_fail(m->s, m->local, "cannot read local state");
	return 0;
}

static const struct local_msg *local_find(const struct mbox_sync *m,
                                          uint32_t uid)
{
	size_t lo = 0, hi = m->msg_count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->msgs[mid].uid == uid)
			return &m->msgs[mid];
		if (m->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct remote_msg *changed_find(const struct mbox_sync *m,
                                             uint32_t uid)
{
	for (size_t i = m->changed_count; i > 0; i--)
		if (m->changed[i - 1].uid == uid)
			return &m->changed[i - 1];
	return NULL;
}

static bool map_has_remote(const struct mbox_sync *m, uint32_t uid)
{
	for (size_t i = 0; i < m->map_count; i++)
		if (m->maps[i].remote_uid == uid)
			return true;
	return false;
}

/* ---- Three-way merge of flags --------------------------------------------------- */

static bool kw_has(const char *list, const char *kw, size_t len)
{
	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, " ");
		if (n == len && strncasecmp(p, kw, len) == 0)
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

static bool kw_subset(const char *a, const char *b)
{
	for (const char *p = a; *p != '\0';) {
		size_t n = strcspn(p, " ");
		if (n > 0 && !kw_has(b, p, n))
			return false;
		p += n;
		p += strspn(p, " ");
	}
	return true;
}

static bool kw_same(const char *a, const char *b)
{
	return kw_subset(a, b) && kw_subset(b, a);
}

/* Per keyword: the local value if it changed since base, else remote's. */
static const char *kw_merge(const char *base, const char *local,
                            const char *remote, struct pool *pool)
{
	struct buf out;
	buf_init(&out);
	const char *lists[2] = {remote, local};
	for (int i = 0; i < 2; i++) {
		for (const char *p = lists[i]; *p != '\0';) {
			size_t n = strcspn(p, " ");
			bool in_b = kw_has(base, p, n), in_l = kw_has(local, p, n);
			bool keep = in_b != in_l ? in_l : kw_has(remote, p, n);
			if (n > 0 && keep && !kw_has(out.data, p, n)) {
				if (out.len > 0)
					buf_append_char(&out, ' ');
				buf_append(&out, p, n);
			}
			p += n;
			p += strspn(p, " ");
		}
	}
	const char *s = pool_strdup(pool, out.data);
	buf_deinit(&out);
	return s;
}

static int merge_one(struct mbox_sync *m, const struct store_sync_map *map,
                     const struct local_msg *lm, uint32_t r_flags,
                     const char *r_kw)
{
	struct sync_imap *s = m->s;
	uint32_t changed = map->flags ^ lm->flags;
	uint32_t flags = (r_flags & ~changed) | (lm->flags & changed);
	const char *kw = kw_merge(map->keywords, lm->keywords, r_kw, m->pool);
	const char *error;
	if (flags != r_flags || !kw_same(kw, r_kw)) {
		struct buf fl;
		buf_init(&fl);
		imap_client_flags_str(flags, kw, &fl);
		int ret = imap_client_cmd(s->c, NULL, NULL, &error,
		                          "UID STORE %u FLAGS.SILENT %a",
		                          map->remote_uid, fl.data);
		buf_deinit(&fl);
		if (ret < 0)
			return sync_imap_fail(s, m->remote, error);
		s->report->flags_up++;
	}
	if (flags != lm->flags || !kw_same(kw, lm->keywords)) {
		uint64_t modseq;
		if (store_message_set_flags(s->local->account, m->local,
		                            lm->uid, STORE_FLAGS_SET, flags, kw,
		                            &modseq) < 0)
			return sync_imap_fail(s, m->local, "cannot set flags");
		s->report->flags_down++;
	}
	if (flags != map->flags || !kw_same(kw, map->keywords)) {
		struct store_sync_map agreed = {lm->uid, map->remote_uid, flags,
		                                kw};
		if (store_sync_map_set(s->local->account, m->local, &agreed) < 0)
			return sync_imap_fail(s, m->local, "cannot record state");
	}
	return 0;
}

/* ---- Downloads ----------------------------------------------------------------- */

struct download {
	struct mbox_sync *m;
	struct pr_local_batch *batch;
};

static void download_cb(const struct imap_response *resp, void *ctx)
{
	struct download *d = ctx;
	struct mbox_sync *m = d->m;
	struct imap_fetch f;
	const char *error;
	if (m->error != NULL || imap_fetch_parse(resp, &f) <= 0 ||
	    f.uid == 0 || f.body == NULL)
		return;
	/* a repeat after a crash finds the first copy (the delivery key) */
	char *key = pool_printf(m->pool, "imap:%s:%u:%u", m->remote,
	                        m->uidvalidity, f.uid);
	if (pr_local_batch_add(d->batch, f.body, f.body_len, f.flags,
	                       f.keywords, f.internal_date, key, f.uid, NULL,
	                       &error) < 0)
		m->error = pool_strdup(m->pool, error);
}

/* Fetches uids FETCH_BATCH at a time; each batch is stored together
 * (pr_local_batch_commit: one file system sync, one transaction) before
 * the next is asked for. */
static int download(struct mbox_sync *m, const uint32_t *uids, size_t count)
{
	const char *error;
	struct download d = {m, pr_local_batch_new(m->s->local)};
	int ret = 0;
	for (size_t i = 0; i < count && ret == 0; i += FETCH_BATCH) {
		size_t n = count - i < FETCH_BATCH ? count - i : FETCH_BATCH;
		struct buf set;
		buf_init(&set);
		imap_seqset_write(&set, uids + i, n);
		ret = imap_client_cmd(m->s->c, download_cb, &d, &error,
		                      "UID FETCH %a (UID FLAGS INTERNALDATE "
		                      "RFC822.SIZE BODY.PEEK[])",
		                      set.data);
		buf_deinit(&set);
		unsigned stored;
		if (ret < 0)
			ret = sync_imap_fail(m->s, m->remote, error);
		else if (m->error != NULL)
			ret = sync_imap_fail(m->s, m->local, m->error);
		else if (pr_local_batch_commit(d.batch, m->local, &stored,
		                               &error) < 0)
			ret = sync_imap_fail(m->s, m->local, error);
		else
			m->s->report->fetched += stored;
	}
	pr_local_batch_free(&d.batch);
	return ret;
}

/* ---- Messages gone locally: moves, then deletions ------------------------------- */

static void gone_cb(const struct imap_response *resp, void *ctx)
{
	struct mbox_sync *m = ctx;
	struct imap_fetch f;
	if (imap_fetch_parse(resp, &f) <= 0 || f.uid == 0)
		return;
	/* BODY[HEADER.FIELDS (MESSAGE-ID)] is not f.body: find it by hand */
	const struct imap_value *att = resp->items[2].list;
	const char *msgid = "";
	for (size_t i = 0; i + 1 < resp->items[2].count; i += 2)
		if (strncasecmp(att[i].str, "BODY[HEADER", 11) == 0 &&
		    att[i + 1].type == IMAP_VALUE_STRING)
			msgid = sync_imap_message_id(
			    (const unsigned char *)att[i + 1].str,
			    att[i + 1].len, m->pool);
	GROW(m->changed, m->changed_count, m->changed_cap);
	m->changed[m->changed_count++] = (struct remote_msg){
	    .uid = f.uid, .flags = f.flags,
	    .keywords = pool_strdup(m->pool, f.keywords), .size = f.size,
	    .message_id = pool_strdup(m->pool, msgid)};
}

static struct sync_imap_cand *cand_match(struct sync_imap *s,
                                         const char *mailbox,
                                         const struct remote_msg *rm)
{
	for (size_t i = 0; i < s->cand_count; i++) {
		struct sync_imap_cand *cand = &s->cands[i];
		if (cand->is_claimed || cand->size != rm->size ||
		    strcmp(cand->mailbox, mailbox) == 0 || *rm->message_id == '\0')
			continue;
		if (cand->message_id == NULL) {
			struct buf b;
			const char *error;
			buf_init(&b);
			cand->message_id = "";
			if (store_mime_blob_read(s->local->store, cand->blob_id,
			                         &b, &error) == 0)
				cand->message_id = sync_imap_message_id(
				    (const unsigned char *)b.data, b.len, s->pool);
			buf_deinit(&b);
		}
		if (strcmp(cand->message_id, rm->message_id) == 0)
			return cand;
	}
	return NULL;
}

static void copyuid_cb(const struct imap_response *resp, void *ctx)
{
	uint32_t *uid_r = ctx;
	unsigned long long uv, from, to;
	if (resp->code != NULL &&
	    sscanf(resp->code, "COPYUID %llu %llu %llu", &uv, &from, &to) == 3)
		*uid_r = (uint32_t)to;
}

/* UID MOVE of one message whose local copy moved to cand's mailbox.
 * Returns 1 moved, 0 not, -1 on error. */
static int move_one(struct mbox_sync *m, const struct remote_msg *rm,
                    struct sync_imap_cand *cand)
{
	struct sync_imap *s = m->s;
	const char *error;
	uint32_t new_uid = 0;
	if (imap_client_cmd(s->c, copyuid_cb, &new_uid, &error,
	                    "UID MOVE %u %m", rm->uid,
	                    cand->remote_mailbox) < 0)
		return imap_client_last_status(s->c) == IMAP_CLIENT_ERROR ?
		           sync_imap_fail(s, m->remote, error) : 0;
	const char *code = imap_client_last_code(s->c);
	if (new_uid == 0 && code != NULL)
		copyuid_cb(&(struct imap_response){.code = code}, &new_uid);
	/* the base is what the server has; the next sync of cand's
	 * mailbox sends any local flag change made with the move */
	struct store_sync_map map = {cand->uid, new_uid, rm->flags,
	                             rm->keywords};
	if (new_uid != 0 &&
	    store_sync_map_set(s->local->account, cand->mailbox, &map) < 0)
		return sync_imap_fail(s, cand->mailbox, "cannot record state");
	cand->is_claimed = new_uid != 0;
	s->report->moved_up++;
	return 1;
}

/* Sends moves for messages that reappeared unmapped in another mailbox,
 * then \Deleted and UID EXPUNGE for the rest (without UIDPLUS, EXPUNGE
 * only when no other message carries \Deleted). */
static int gone_send(struct mbox_sync *m, uint32_t *uids, size_t count)
{
	struct sync_imap *s = m->s;
	const char *error;
	struct buf set;
	if (count == 0)
		return 0;
	buf_init(&set);
	imap_seqset_write(&set, uids, count);
	size_t left = 0;
	if (imap_client_has(s->c, "MOVE") && imap_client_has(s->c, "UIDPLUS") &&
	    s->cand_count > 0) {
		m->changed_count = 0;
		if (imap_client_cmd(s->c, gone_cb, m, &error,
		                    "UID FETCH %a (UID FLAGS RFC822.SIZE "
		                    "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
		                    set.data) < 0) {
			buf_deinit(&set);
			return sync_imap_fail(s, m->remote, error);
		}
		for (size_t i = 0; i < m->changed_count; i++) {
			struct sync_imap_cand *cand =
			    cand_match(s, m->local, &m->changed[i]);
			int ret = cand == NULL ? 0 :
			                         move_one(m, &m->changed[i], cand);
			if (ret < 0) {
				buf_deinit(&set);
				return -1;
			}
			for (size_t k = 0; k < count && ret > 0; k++)
				if (uids[k] == m->changed[i].uid)
					uids[k] = 0;
		}
	}
	for (size_t k = 0; k < count; k++)
		if (uids[k] != 0)
			uids[left++] = uids[k];
	buf_truncate(&set, 0);
	imap_seqset_write(&set, uids, left);
	int ret = 0;
	if (left > 0)
		ret = imap_client_cmd(s->c, NULL, NULL, &error,
		                      "UID STORE %a +FLAGS.SILENT (\\Deleted)",
		                      set.data);
	if (ret == 0 && left > 0 && imap_client_has(s->c, "UIDPLUS"))
		ret = imap_client_cmd(s->c, NULL, NULL, &error,
		                      "UID EXPUNGE %a", set.data);
	else if (ret == 0 && left > 0) {
		m->all_count = 0;
		ret = imap_client_cmd(s->c, remote_cb, m, &error,
		                      "UID SEARCH DELETED");
		if (ret == 0 && m->all_count == left)
			ret = imap_client_cmd(s->c, NULL, NULL, &error,
			                      "EXPUNGE");
	}
	buf_deinit(&set);
	if (ret < 0)
		return sync_imap_fail(s, m->remote, error);
	s->report->expunged_up += (unsigned)left;
	return 0;
}

/* ---- The whole mailbox ------------------------------------------------------------ */

struct lists {
	uint32_t *expunge_local; /* local UIDs */
	uint32_t *gone_remote;   /* remote UIDs whose local copy is gone */
	uint32_t *fresh;         /* remote UIDs to download */
	size_t n_exp, n_gone, n_fresh;
};

/* Walks the map rows: remote expunges, local expunges, flag merges. */
static int walk_maps(struct mbox_sync *m, struct imap_seqset *vanished,
                     struct lists *l)
{
	for (size_t i = 0; i < m->map_count; i++) {
		const struct store_sync_map *map = &m->maps[i];
		const struct local_msg *lm = local_find(m, map->local_uid);
		bool is_remote_gone =
		    m->has_all ? !has_uid(m->all, m->all_count, map->remote_uid) :
		                 imap_seqset_contains(vanished, map->remote_uid);
		if (is_remote_gone) {
			if (lm != NULL)
				l->expunge_local[l->n_exp++] = lm->uid;
			continue;
		}
		if (lm == NULL) {
			l->gone_remote[l->n_gone++] = map->remote_uid;
			continue;
		}
		const struct remote_msg *rm = changed_find(m, map->remote_uid);
		if (merge_one(m, map, lm, rm != NULL ? rm->flags : map->flags,
		              rm != NULL ? rm->keywords : map->keywords) < 0)
			return -1;
	}
	for (size_t i = 0; i < m->changed_count; i++)
		if (!map_has_remote(m, m->changed[i].uid))
			l->fresh[l->n_fresh++] = m->changed[i].uid;
	qsort(l->fresh, l->n_fresh, sizeof(*l->fresh), cmp_u32);
	return 0;
}

/* Applies remote expunges locally, then forgets their rows (in this
 * order: a crash in between leaves a row the next sync drops). */
static int apply_lists(struct mbox_sync *m, struct lists *l,
                       struct imap_seqset *vanished)
{
	struct sync_imap *s = m->s;
	struct store_account *a = s->local->account;
	if (l->n_exp > 0) {
		int n = store_message_expunge(a, m->local, l->expunge_local,
		                              l->n_exp);
		if (n < 0)
			return sync_imap_fail(s, m->local, "cannot expunge");
		s->report->expunged_down += (unsigned)n;
	}
	for (size_t i = 0; i < m->map_count; i++) {
		uint32_t ruid = m->maps[i].remote_uid;
		bool is_gone = m->has_all ? !has_uid(m->all, m->all_count, ruid) :
		                            imap_seqset_contains(vanished, ruid);
		if (is_gone && store_sync_map_del(a, m->local, ruid) < 0)
			return sync_imap_fail(s, m->local, "cannot record state");
	}
	size_t n_gone = l->n_gone;
	uint32_t *gone = xmalloc((n_gone + 1) * sizeof(*gone));
	memcpy(gone, l->gone_remote, n_gone * sizeof(*gone));
	qsort(gone, n_gone, sizeof(*gone), cmp_u32);
	int ret = gone_send(m, gone, n_gone);
	free(gone);
	for (size_t i = 0; ret == 0 && i < n_gone; i++)
		if (store_sync_map_del(a, m->local, l->gone_remote[i]) < 0)
			ret = sync_imap_fail(s, m->local, "cannot record state");
	if (ret == 0)
		ret = download(m, l->fresh, l->n_fresh);
	return ret;
}

/* UIDVALIDITY changed (RFC 9051 §2.3.1.1): the mapped local copies are
 * the server's old messages; they go, local-only ones stay and upload. */
static int uidvalidity_reset(struct mbox_sync *m)
{
	struct store_account *a = m->s->local->account;
	if (local_load(m) < 0)
		return -1;
	uint32_t *uids = xmalloc((m->map_count + 1) * sizeof(*uids));
	for (size_t i = 0; i < m->map_count; i++)
		uids[i] = m->maps[i].local_uid;
	int ret = m->map_count == 0 ? 0 :
	          store_message_expunge(a, m->local, uids, m->map_count);
	free(uids);
	if (ret < 0 || store_sync_mailbox_forget(a, m->local) < 0)
		return sync_imap_fail(m->s, m->local, "cannot reset state");
	return 0;
}

static int mailbox_run(struct mbox_sync *m)
{
	struct sync_imap *s = m->s;
	struct store_account *a = s->local->account;
	struct store_sync_mailbox state;
	struct imap_client_selected sel;
	const char *error;
	int has_state = store_sync_mailbox_get(a, m->local, &state);
	if (has_state < 0)
		return sync_imap_fail(s, m->local, "cannot read sync state");
	bool can_qresync = has_state > 0 && state.highestmodseq > 0 &&
	                   imap_client_is_enabled(s->c, "QRESYNC");
	if (imap_client_select(s->c, m->remote, false,
	                       can_qresync ? &state.uidvalidity : NULL,
	                       can_qresync ? &state.highestmodseq : NULL,
	                       remote_cb, m, &sel, &error) < 0)
		return sync_imap_fail(s, m->remote, error);
	m->uidvalidity = sel.uidvalidity;
	if (has_state > 0 && state.uidvalidity != sel.uidvalidity) {
		if (uidvalidity_reset(m) < 0)
			return -1;
		has_state = 0;
		can_qresync = false;
	}
	bool is_qresync = can_qresync && sel.highestmodseq > 0;
	if (remote_changes(m, is_qresync, has_state > 0 ? &state : NULL,
	                   &sel) < 0 ||
	    local_load(m) < 0)
		return -1;
	struct imap_seqset vanished = {0};
	if (m->vanished.len > 0) {
		buf_truncate(&m->vanished, m->vanished.len - 1);
		if (imap_seqset_parse(m->vanished.data, m->pool, &vanished) < 0)
			return sync_imap_fail(s, m->remote, "bad VANISHED");
		imap_seqset_resolve(&vanished, UINT32_MAX);
	}
	size_t n = m->map_count + m->changed_count + 1;
	struct lists l = {xmalloc(n * sizeof(uint32_t)),
	                  xmalloc(n * sizeof(uint32_t)),
	                  xmalloc(n * sizeof(uint32_t)), 0, 0, 0};
	int ret = walk_maps(m, &vanished, &l);
	if (ret == 0)
		ret = apply_lists(m, &l, &vanished);
	free(l.expunge_local);
	free(l.gone_remote);
	free(l.fresh);
	struct store_sync_mailbox agreed = {sel.uidvalidity, sel.uidnext,
	                                    sel.highestmodseq, false};
	if (ret == 0 && store_sync_mailbox_set(a, m->local, &agreed) < 0)
		ret = sync_imap_fail(s, m->local, "cannot record state");
	return ret;
}

int sync_imap_mailbox(struct sync_imap *s, const char *local_name,
                      const char *remote_name)
{
	struct mbox_sync m = {.s = s, .local = local_name,
	                      .remote = remote_name, .pool = pool_new()};
	buf_init(&m.vanished);
	int ret = mailbox_run(&m);
	buf_deinit(&m.vanished);
	free(m.changed);
	free(m.all);
	free(m.msgs);
	free(m.maps);
	pool_free(&m.pool);
	return ret;
}
