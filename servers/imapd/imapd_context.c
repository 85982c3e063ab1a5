/* UPDATE contexts (RFC 5267 §4.3): a SEARCH or SORT run with RETURN
 * (UPDATE) keeps its search program and its result (UIDs, in the
 * requested order) while the mailbox stays selected. Whenever the session
 * syncs its view (imapd_mailbox_sync: before a tagged reply, during IDLE)
 * each program runs again and the difference goes out as ESEARCH ADDTO and
 * REMOVEFROM (§4.3.3-4): for SEARCH with context position 0 in mailbox
 * order, for SORT with positions that keep the sort order. REMOVEFROM for
 * expunged messages goes out before their EXPUNGE, ADDTO for new ones after
 * EXISTS, so sequence numbers are valid when used (§4.3.3-4). At most
 * IMAPD_CONTEXT_MAX contexts per session: beyond, NO [NOUPDATE] (§4.3.1).
 * XXX a sequence-set search key is read against the view as it is when the
 * program runs again, not as it was at the command (§4.3 says the
 * latter); clients use UID keys with UPDATE. */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imapd.h"

#include <stdlib.h>
#include <string.h>

#define IMAPD_CONTEXT_MAX 8

struct imapd_context {
	struct imapd_context *next;
	char *tag;
	bool is_uid, is_sort;
	struct pool *pool;           /* the copy of args */
	const struct imap_arg *args; /* SEARCH: keys; SORT: charset, keys */
	struct imap_sort_program program;
	uint32_t *uids; /* the result, in the requested order */
	size_t count;
	/* UPDATE (fetch-att ...) of RFC 5465 §7: sent for messages that
	 * arrive (UID above last_uid, the view's last at the previous run),
	 * not for those a flag change brings in */
	const char **fetch;
	size_t fetch_count;
	uint32_t last_uid;
};

/* A deep copy of the argument list a into pool. */
static struct imap_arg *args_copy(struct pool *pool, const struct imap_arg *a)
{
	struct imap_arg *first = NULL, **tail = &first;
	for (; a != NULL; a = a->next) {
		struct imap_arg *n = pool_alloc(pool, sizeof(*n));
		*n = *a;
		n->next = NULL;
		if (a->str != NULL) {
			char *s = pool_alloc(pool, a->len + 1);
			memcpy(s, a->str, a->len);
			s[a->len] = '\0';
			n->str = s;
		}
		n->list = args_copy(pool, a->list);
		*tail = n;
		tail = &n->next;
	}
	return first;
}

struct imapd_context *imapd_context_find(struct imapd_client *c,
                                         const char *tag)
{
	for (struct imapd_context *x = c->box != NULL ? c->box->contexts : NULL;
	     x != NULL; x = x->next)
		if (strcmp(x->tag, tag) == 0)
			return x;
	return NULL;
}

static uint32_t view_last_uid(const struct imapd_mailbox *box)
{
	return box->count > 0 ? box->uids[box->count - 1] : 0;
}

void imapd_context_add(struct imapd_cmd *cmd, const struct imap_arg *args,
                       const struct imap_sort_program *program,
                       const struct imap_arg *fetch_atts,
                       const struct imapd_result *res, size_t count)
{
	struct imapd_mailbox *box = cmd->client->box;
	size_t n = 0;
	for (struct imapd_context *x = box->contexts; x != NULL; x = x->next)
		n++;
	if (n >= IMAPD_CONTEXT_MAX) {
		buf_printf(&cmd->client->out,
		           "* NO [NOUPDATE \"%s\"] Too many contexts\r\n",
		           cmd->tag);
		return;
	}
	struct imapd_context *x = xcalloc(1, sizeof(*x));
	x->tag = xstrdup(cmd->tag);
	x->is_uid = cmd->is_uid;
	x->is_sort = program != NULL;
	if (program != NULL)
		x->program = *program;
	x->pool = pool_new();
	x->args = args_copy(x->pool, args);
	x->last_uid = view_last_uid(box);
	if (fetch_atts != NULL && fetch_atts->count > 0) {
		x->fetch =
		    pool_alloc(x->pool, fetch_atts->count * sizeof(*x->fetch));
		for (const struct imap_arg *a = fetch_atts->list; a != NULL;
		     a = a->next)
			x->fetch[x->fetch_count++] =
			    pool_strdup(x->pool, a->str);
	}
	x->uids = xmalloc((count + 1) * sizeof(*x->uids));
	for (size_t i = 0; i < count; i++)
		x->uids[i] = res[i].uid;
	x->count = count;
	x->next = box->contexts;
	box->contexts = x;
}

static void context_free(struct imapd_context *x)
{
	pool_free(&x->pool);
	free(x->uids);
	free(x->tag);
	free(x);
}

void imapd_context_cancel(struct imapd_client *c, const char *tag)
{
	if (c->box == NULL)
		return;
	for (struct imapd_context **p = &c->box->contexts; *p != NULL;
	     p = &(*p)->next) {
		if (strcmp((*p)->tag, tag) == 0) {
			struct imapd_context *x = *p;
			*p = x->next;
			context_free(x);
			return;
		}
	}
}

void imapd_context_free_all(struct imapd_mailbox *box)
{
	while (box->contexts != NULL) {
		struct imapd_context *x = box->contexts;
		box->contexts = x->next;
		context_free(x);
	}
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static bool sorted_has(const uint32_t *sorted, size_t n, uint32_t uid)
{
	return n > 0 && bsearch(&uid, sorted, n, sizeof(uid), uid_cmp) != NULL;
}

/* The number the client knows uid by in this context, 0 if none. */
static uint32_t context_num(const struct imapd_client *c,
                            const struct imapd_context *x, uint32_t uid)
{
	return x->is_uid ? uid : imapd_mailbox_seq(c->box, uid);
}

static void write_head(struct buf *out, const struct imapd_context *x)
{
	buf_printf(out, "* ESEARCH (TAG \"%s\")%s", x->tag,
	           x->is_uid ? " UID" : "");
}

/* Removes from x's result the UIDs for which keep() is false, writing the
 * REMOVEFROM item (without the line head) for them. Returns how many. */
static size_t context_remove(struct imapd_client *c, struct imapd_context *x,
                             const uint32_t *keep_sorted, size_t keep_count,
                             struct buf *item)
{
	size_t removed = 0, k = 0;
	uint32_t *nums = xmalloc((x->count + 1) * sizeof(*nums));
	buf_append_str(item, " REMOVEFROM (");
	for (size_t i = 0; i < x->count; i++) {
		uint32_t uid = x->uids[i];
		if (sorted_has(keep_sorted, keep_count, uid)) {
			x->uids[k++] = uid;
			continue;
		}
		uint32_t num = context_num(c, x, uid);
		if (num != 0 && x->is_sort)
			/* the position it holds once those before went */
			buf_printf(item, "%s%zu %u", removed > 0 ? " " : "",
			           k + 1, num);
		else if (num != 0)
			nums[removed] = num;
		removed += num != 0;
	}
	if (!x->is_sort && removed > 0) {
		qsort(nums, removed, sizeof(*nums), uid_cmp);
		buf_append_str(item, "0 ");
		imapd_ordered_set_write(item, nums, removed);
	}
	buf_append_char(item, ')');
	free(nums);
	x->count = k;
	return removed;
}

void imapd_context_expunge(struct imapd_client *c, const uint32_t *now,
                           size_t now_count)
{
	struct buf item;
	buf_init(&item);
	for (struct imapd_context *x = c->box->contexts; x != NULL;
	     x = x->next) {
		buf_truncate(&item, 0);
		if (context_remove(c, x, now, now_count, &item) == 0)
			continue;
		write_head(&c->out, x);
		buf_append(&c->out, item.data, item.len);
		buf_append_str(&c->out, "\r\n");
	}
	buf_deinit(&item);
}

/* Runs x's program again: its result in *uids_r (heap, in order). Returns
 * 0, or -1 (nothing written). */
static int context_run(struct imapd_client *c, struct imapd_context *x,
                       uint32_t **uids_r, size_t *count_r)
{
	struct pool *pool = pool_new();
	struct imapd_cmd cmd = {
	    .client = c,
	    .tag = x->tag,
	    .name = x->is_sort ? "SORT" : "SEARCH",
	    .args = x->args,
	    .is_uid = x->is_uid,
	    .pool = pool,
	};
	size_t out_len = c->out.len, n = 0;
	unsigned bad = c->bad_count;
	int ret;
	uint32_t *uids = NULL;
	if (x->is_sort) {
		struct imapd_sort_hit *hits;
		ret = imapd_sort_collect(&cmd, x->args, &hits, &n);
		if (ret == 0) {
			struct imap_sort_msg *msgs =
			    pool_alloc(pool, (n + 1) * sizeof(*msgs));
			for (size_t i = 0; i < n; i++)
				msgs[i] = hits[i].sort;
			imap_sort_msgs(msgs, n, &x->program);
			uids = xmalloc((n + 1) * sizeof(*uids));
			for (size_t i = 0; i < n; i++)
				uids[i] = msgs[i].uid;
		}
	} else {
		struct imapd_result *res;
		bool has_modseq;
		ret =
		    imapd_esearch_collect(&cmd, x->args, &res, &n, &has_modseq);
		if (ret == 0) {
			uids = xmalloc((n + 1) * sizeof(*uids));
			for (size_t i = 0; i < n; i++)
				uids[i] = res[i].uid;
		}
	}
	pool_free(&pool);
	if (ret < 0) {
		/* a tagged reply for a command long answered: not sent */
		buf_truncate(&c->out, out_len);
		c->bad_count = bad;
		return -1;
	}
	*uids_r = uids;
	*count_r = n;
	return 0;
}

/* ADDTO for the UIDs of now (x's new result) not in x's: for SEARCH one
 * set at position 0 in mailbox order, for SORT each at its position. */
static size_t context_add_new(struct imapd_client *c, struct imapd_context *x,
                              const uint32_t *now, size_t n, struct buf *item)
{
	uint32_t *old = xmalloc((x->count + 1) * sizeof(*old));
	uint32_t *nums = xmalloc((n + 1) * sizeof(*nums));
	memcpy(old, x->uids, x->count * sizeof(*old));
	qsort(old, x->count, sizeof(*old), uid_cmp);
	size_t added = 0;
	buf_append_str(item, " ADDTO (");
	for (size_t i = 0; i < n; i++) {
		uint32_t num = context_num(c, x, now[i]);
		if (num == 0 || sorted_has(old, x->count, now[i]))
			continue;
		if (x->is_sort)
			buf_printf(item, "%s%zu %u", added > 0 ? " " : "",
			           i + 1, num);
		else
			nums[added] = num;
		added++;
	}
	if (!x->is_sort && added > 0) {
		qsort(nums, added, sizeof(*nums), uid_cmp);
		buf_append_str(item, "0 ");
		imapd_ordered_set_write(item, nums, added);
	}
	buf_append_char(item, ')');
	free(old);
	free(nums);
	return added;
}

void imapd_context_update(struct imapd_client *c)
{
	struct buf rm, add;
	buf_init(&rm);
	buf_init(&add);
	for (struct imapd_context *x = c->box->contexts; x != NULL;
	     x = x->next) {
		uint32_t *now;
		size_t n;
		if (context_run(c, x, &now, &n) < 0)
			continue;
		uint32_t *sorted = xmalloc((n + 1) * sizeof(*sorted));
		memcpy(sorted, now, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), uid_cmp);
		buf_truncate(&rm, 0);
		buf_truncate(&add, 0);
		size_t removed = context_remove(c, x, sorted, n, &rm);
		/* RFC 5465 §7: EXISTS, then the FETCH of a new match, then
		 * the ADDTO */
		for (size_t i = 0; i < n && x->fetch_count > 0; i++)
			if (now[i] > x->last_uid)
				imapd_notify_fetch(c, now[i], x->fetch,
				                   x->fetch_count);
		x->last_uid = view_last_uid(c->box);
		size_t added = context_add_new(c, x, now, n, &add);
		free(sorted);
		if (removed > 0 || added > 0) {
			write_head(&c->out, x);
			if (removed > 0)
				buf_append(&c->out, rm.data, rm.len);
			if (added > 0)
				buf_append(&c->out, add.data, add.len);
			buf_append_str(&c->out, "\r\n");
		}
		free(x->uids);
		x->uids = now;
		x->count = n;
	}
	buf_deinit(&rm);
	buf_deinit(&add);
}
