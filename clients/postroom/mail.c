/* Reading the local store for a person: message lists built from each
 * message's header alone (the blob is read up to its blank line), threads
 * by the REFERENCES algorithm of RFC 5256 §3 (lib/imap's THREAD, whose
 * thread-list is walked back into an order and depths), whole messages
 * rendered through lib/mime's view, and the changes a reader makes. Those
 * are local only: the next sync carries flags, moves and expunges up. */
#include "mail.h"

#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "imap/imap_sort.h"
#include "imap/imap_thread.h"
#include "mime/mime.h"
#include "mime/mime_view.h"
#include "postroom.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAIL_HEADER_MAX (256 * 1024) /* read of a header for the list */
#define MAIL_READ_CHUNK 8192
/* account-level store calls keep their reason inside the account handle */
#define MAIL_STORE_ERROR "local store failure"

/* ---- Finding messages ---------------------------------------------------- */

struct mail_find_ctx {
	struct pool *pool;
	struct store_message msg;
	bool is_found;
};

static int mail_find_cb(const struct store_message *msg, void *context)
{
	struct mail_find_ctx *ctx = context;
	ctx->msg = *msg;
	ctx->msg.keywords = pool_strdup(ctx->pool, msg->keywords);
	ctx->msg.blob_id = pool_strdup(ctx->pool, msg->blob_id);
	ctx->msg.guid = pool_strdup(ctx->pool, msg->guid);
	ctx->is_found = true;
	return 0;
}

/* Returns 1 if mailbox exists, else -1 with *error_r. */
static int mail_mailbox_check(struct pr_local *local, const char *mailbox,
                              struct pool *pool, const char **error_r)
{
	struct store_mailbox_info info;
	int ret = store_mailbox_get(local->account, mailbox, pool, &info);
	if (ret == 0)
		*error_r = "no such mailbox";
	else if (ret < 0)
		*error_r = MAIL_STORE_ERROR;
	return ret > 0 ? 1 : -1;
}

/* Looks uid up in mailbox. Returns 1 with *msg_r (strings from pool), 0
 * when there is no such UID, -1 with *error_r. */
static int mail_find(struct pr_local *local, const char *mailbox, uint32_t uid,
                     struct pool *pool, struct store_message *msg_r,
                     const char **error_r)
{
	if (mail_mailbox_check(local, mailbox, pool, error_r) < 0)
		return -1;
	struct mail_find_ctx ctx = {.pool = pool};
	if (store_message_list(local->account, mailbox, uid, uid, mail_find_cb,
	                       &ctx) < 0) {
		*error_r = MAIL_STORE_ERROR;
		return -1;
	}
	*msg_r = ctx.msg;
	return ctx.is_found ? 1 : 0;
}

/* Returns the length of the header in data (up to and including the
 * blank line), or 0 if it has not ended within size bytes. */
static size_t mail_header_end(const char *data, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 2;
		if (data[i + 1] == '\r' && i + 2 < size && data[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Appends the header of blob_id (at most MAIL_HEADER_MAX bytes) to out.
 * Returns 0, or -1 with *error_r. */
static int mail_header_read(struct pr_local *local, const char *blob_id,
                            struct buf *out, const char **error_r)
{
	int fd = store_blob_open(local->store, blob_id);
	if (fd < 0) {
		*error_r = errno == ENOENT
		               ? "message body missing from the store"
		               : strerror(errno);
		return -1;
	}
	size_t start = out->len;
	while (out->len - start < MAIL_HEADER_MAX) {
		buf_reserve(out, MAIL_READ_CHUNK);
		ssize_t n = read(fd, out->data + out->len, MAIL_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (mail_header_end(out->data + start, out->len - start) > 0)
			break;
	}
	close(fd);
	return 0;
}

/* ---- Summaries ----------------------------------------------------------- */

/* Fills *s from the header in data (size bytes). The parse lives in
 * scratch (cleared here), the summary's strings in pool. */
static void mail_summary_fill(const struct store_message *msg,
                              const unsigned char *data, size_t size,
                              struct pool *scratch, struct pool *pool,
                              struct pr_mail_summary *s)
{
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	pool_clear(scratch);
	struct mime_part *root = mime_parse(data, size, &set, scratch);
	struct mime_view_summary v;
	mime_view_summary(data, root, scratch, &v);
	*s = (struct pr_mail_summary){
	    .uid = msg->uid,
	    .flags = msg->flags,
	    .keywords = pool_strdup(pool, msg->keywords),
	    .date = v.date != 0 ? v.date : msg->internal_date,
	    .size = msg->size,
	    .from = pool_strdup(pool, v.from_name),
	    .from_addr = pool_strdup(pool, v.from_addr),
	    .to = pool_strdup(pool, v.to),
	    .subject = pool_strdup(pool, v.subject),
	    .message_id = pool_strdup(pool, v.message_id),
	    .in_reply_to = pool_strdup(pool, v.in_reply_to),
	    .references = pool_strdup(pool, v.references),
	};
	bool is_leaf = (root->flags & (MIME_PART_FLAG_MULTIPART |
	                               MIME_PART_FLAG_MESSAGE)) == 0;
	s->has_attachments = mime_part_is(root, "multipart", "mixed") ||
	                     (is_leaf && !mime_part_is(root, "text", NULL));
}

struct mail_list_ctx {
	struct pr_local *local;
	struct pool *pool, *scratch;
	unsigned flags;
	struct pr_mail_summary *list;
	size_t count, alloc;
	struct buf header;
	const char *error;
};

static int mail_list_cb(const struct store_message *msg, void *context)
{
	struct mail_list_ctx *ctx = context;
	if ((ctx->flags & PR_MAIL_LIST_UNREAD) != 0 &&
	    (msg->flags & STORE_FLAG_SEEN) != 0)
		return 0;
	buf_truncate(&ctx->header, 0);
	if (mail_header_read(ctx->local, msg->blob_id, &ctx->header,
	                     &ctx->error) < 0)
		return -1;
	if (ctx->count == ctx->alloc) {
		ctx->alloc = ctx->alloc == 0 ? 64 : ctx->alloc * 2;
		struct pr_mail_summary *bigger =
		    pool_alloc(ctx->pool, ctx->alloc * sizeof(*bigger));
		if (ctx->count > 0)
			memcpy(bigger, ctx->list, ctx->count * sizeof(*bigger));
		ctx->list = bigger;
	}
	mail_summary_fill(msg, (const unsigned char *)ctx->header.data,
	                  ctx->header.len, ctx->scratch, ctx->pool,
	                  &ctx->list[ctx->count++]);
	return 0;
}

int pr_mail_summary_get(struct pr_local *local, const char *mailbox,
                        uint32_t uid, struct pool *pool,
                        struct pr_mail_summary *summary_r, const char **error_r)
{
	struct store_message msg;
	int ret = mail_find(local, mailbox, uid, pool, &msg, error_r);
	if (ret <= 0)
		return ret;
	struct buf header;
	buf_init(&header);
	if (mail_header_read(local, msg.blob_id, &header, error_r) < 0) {
		buf_deinit(&header);
		return -1;
	}
	struct pool *scratch = pool_new();
	mail_summary_fill(&msg, (const unsigned char *)header.data, header.len,
	                  scratch, pool, summary_r);
	pool_free(&scratch);
	buf_deinit(&header);
	return 1;
}

/* ---- Threads ------------------------------------------------------------- */

struct mail_thread_walk {
	const struct pr_mail_summary *in;
	size_t count;
	struct pr_mail_summary *out;
	size_t out_count;
};

/* thread-list = "(" (thread-members / thread-nested) ")"   (RFC 5256 §4)
 * Each member is the child of the one before it; a nested list branches
 * from the last member. Returns the position after the list. */
static const char *mail_thread_list(struct mail_thread_walk *w, const char *p,
                                    unsigned depth)
{
	p++; /* '(' */
	while (*p != '\0' && *p != ')') {
		if (*p == '(') {
			p = mail_thread_list(w, p, depth);
		} else if (*p >= '0' && *p <= '9') {
			char *end;
			unsigned long id = strtoul(p, &end, 10);
			p = end;
			if (id >= 1 && id <= w->count &&
			    w->out_count < w->count) {
				w->out[w->out_count] = w->in[id - 1];
				w->out[w->out_count++].depth = depth++;
			}
		} else {
			p++;
		}
	}
	return *p == ')' ? p + 1 : p;
}

/* Reorders list (count) into thread order with depths. */
static void mail_thread(struct pr_mail_summary *list, size_t count,
                        struct pool *pool)
{
	struct imap_thread_msg *msgs = pool_alloc(pool, count * sizeof(*msgs));
	struct buf base, tree;
	buf_init(&base);
	buf_init(&tree);
	for (size_t i = 0; i < count; i++) {
		buf_truncate(&base, 0);
		msgs[i] = (struct imap_thread_msg){
		    .id = (uint32_t)(i + 1), /* index + 1, not the UID */
		    .date = list[i].date,
		    .is_reply = imap_sort_base_subject(list[i].subject, &base),
		    .message_id = list[i].message_id,
		    .references = list[i].references,
		    .in_reply_to = list[i].in_reply_to,
		};
		msgs[i].subject = pool_strdup(pool, base.data);
	}
	imap_thread_write(msgs, count, IMAP_THREAD_REFERENCES, &tree);
	struct mail_thread_walk w = {
	    .in = list,
	    .count = count,
	    .out = pool_alloc(pool, count * sizeof(*list)),
	};
	const char *p = tree.data;
	while (*p == '(')
		p = mail_thread_list(&w, p, 0);
	/* every message appears once in a thread-list; if not, keep UIDs */
	if (w.out_count == count)
		memcpy(list, w.out, count * sizeof(*list));
	buf_deinit(&base);
	buf_deinit(&tree);
}

int pr_mail_list(struct pr_local *local, const char *mailbox, unsigned flags,
                 struct pool *pool, struct pr_mail_summary **list_r,
                 size_t *count_r, const char **error_r)
{
	*list_r = NULL;
	*count_r = 0;
	if (mail_mailbox_check(local, mailbox, pool, error_r) < 0)
		return -1;
	struct mail_list_ctx ctx = {.local = local,
	                            .pool = pool,
	                            .scratch = pool_new(),
	                            .flags = flags};
	buf_init(&ctx.header);
	int ret = store_message_list(local->account, mailbox, 1, UINT32_MAX,
	                             mail_list_cb, &ctx);
	buf_deinit(&ctx.header);
	pool_free(&ctx.scratch);
	if (ret != 0) {
		*error_r = ctx.error != NULL ? ctx.error : MAIL_STORE_ERROR;
		return -1;
	}
	if ((flags & PR_MAIL_LIST_THREADS) != 0 && ctx.count > 0)
		mail_thread(ctx.list, ctx.count, pool);
	*list_r = ctx.list;
	*count_r = ctx.count;
	return 0;
}

/* ---- Whole messages ------------------------------------------------------ */

int pr_mail_message_load(struct pr_local *local, const char *mailbox,
                         uint32_t uid, struct pool *pool,
                         struct pr_mail_message *msg_r, const char **error_r)
{
	struct store_message m;
	int ret = mail_find(local, mailbox, uid, pool, &m, error_r);
	if (ret <= 0)
		return ret;
	*msg_r = (struct pr_mail_message){
	    .uid = m.uid, .flags = m.flags, .internal_date = m.internal_date};
	buf_init(&msg_r->data);
	if (store_mime_blob_read(local->store, m.blob_id, &msg_r->data,
	                         error_r) < 0) {
		buf_deinit(&msg_r->data);
		return -1;
	}
	struct mime_settings set = MIME_SETTINGS_DEFAULT;
	const unsigned char *data = (const unsigned char *)msg_r->data.data;
	msg_r->root = mime_parse(data, msg_r->data.len, &set, pool);
	msg_r->attachment_count =
	    mime_view_attachments(data, msg_r->root, pool, &msg_r->attachments);
	return 1;
}

void pr_mail_message_deinit(struct pr_mail_message *msg)
{
	buf_deinit(&msg->data);
	msg->root = NULL;
	msg->attachments = NULL;
	msg->attachment_count = 0;
}

static void mail_size_format(uint64_t size, struct buf *out)
{
	if (size < 1024)
		buf_printf(out, "%llu B", (unsigned long long)size);
	else if (size < 1024 * 1024)
		buf_printf(out, "%.1f KiB", (double)size / 1024);
	else
		buf_printf(out, "%.1f MiB", (double)size / (1024 * 1024));
}

void pr_mail_render(const struct pr_mail_message *msg, struct pool *pool,
                    struct buf *out)
{
	const unsigned char *data = (const unsigned char *)msg->data.data;
	struct mime_view_summary v;
	mime_view_summary(data, msg->root, pool, &v);
	if (v.from_addr[0] != '\0' && strcmp(v.from_name, v.from_addr) != 0)
		buf_printf(out, "From: %s <%s>\n", v.from_name, v.from_addr);
	else
		buf_printf(out, "From: %s\n", v.from_name);
	if (v.to[0] != '\0')
		buf_printf(out, "To: %s\n", v.to);
	if (v.cc[0] != '\0')
		buf_printf(out, "Cc: %s\n", v.cc);
	time_t date = v.date != 0 ? v.date : msg->internal_date;
	struct tm tm;
	char when[64];
	if (localtime_r(&date, &tm) != NULL &&
	    strftime(when, sizeof(when), "%a, %d %b %Y %H:%M %z", &tm) > 0)
		buf_printf(out, "Date: %s\n", when);
	buf_printf(out, "Subject: %s\n\n", v.subject);
	size_t text_start = out->len;
	mime_view_text(data, msg->root, out);
	if (out->len == text_start)
		buf_append_str(out, "(no text)\n");
	if (msg->attachment_count > 0)
		buf_append_str(out, "\nAttachments:\n");
	for (unsigned int i = 0; i < msg->attachment_count; i++) {
		const struct mime_view_attachment *a = &msg->attachments[i];
		buf_printf(out, "  [%u] %s  %s  ", a->index,
		           mime_view_attachment_filename(a, pool),
		           a->content_type);
		mail_size_format(a->size, out);
		buf_append_char(out, '\n');
	}
}

int pr_mail_save_attachment(const struct pr_mail_message *msg,
                            unsigned int index, const char *path,
                            struct pool *pool, const char **path_r,
                            const char **error_r)
{
	if (index == 0 || index > msg->attachment_count) {
		*error_r = pool_printf(pool, "no attachment %u", index);
		return -1;
	}
	const struct mime_view_attachment *a = &msg->attachments[index - 1];
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		path = pool_printf(pool, "%s/%s", path,
		                   mime_view_attachment_filename(a, pool));
	struct buf bytes;
	buf_init(&bytes);
	mime_view_attachment_data((const unsigned char *)msg->data.data, a,
	                          &bytes);
	int ret = file_write_atomic(path, bytes.data, bytes.len, 0644);
	buf_deinit(&bytes);
	if (ret < 0) {
		*error_r = pool_printf(pool, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (path_r != NULL)
		*path_r = path;
	return 0;
}

/* ---- Changes ------------------------------------------------------------- */

int pr_mail_flag(struct pr_local *local, const char *mailbox, uint32_t uid,
                 bool is_add, uint32_t flags, const char **error_r)
{
	struct pool *pool = pool_new();
	int ret = mail_mailbox_check(local, mailbox, pool, error_r);
	pool_free(&pool);
	if (ret < 0)
		return -1;
	uint64_t modseq;
	ret = store_message_set_flags(local->account, mailbox, uid,
	                              is_add ? STORE_FLAGS_ADD
	                                     : STORE_FLAGS_REMOVE,
	                              flags, NULL, &modseq);
	if (ret < 0)
		*error_r = MAIL_STORE_ERROR;
	return ret;
}

int pr_mail_move(struct pr_local *local, const char *mailbox, uint32_t uid,
                 const char *to, uint32_t *uid_r, const char **error_r)
{
	struct pool *pool = pool_new();
	int ret = mail_mailbox_check(local, mailbox, pool, error_r);
	if (ret > 0 && mail_mailbox_check(local, to, pool, error_r) < 0) {
		*error_r = "no such target mailbox";
		ret = -1;
	}
	pool_free(&pool);
	if (ret < 0)
		return -1;
	ret = store_message_copy(local->account, mailbox, uid, to, true, uid_r);
	if (ret < 0)
		*error_r = MAIL_STORE_ERROR;
	return ret;
}

struct mail_trash_ctx {
	struct pool *pool;
	const char *name;
};

static void mail_trash_cb(const struct store_mailbox_info *info, void *context)
{
	struct mail_trash_ctx *ctx = context;
	if (info->special_use == STORE_SPECIAL_TRASH && ctx->name == NULL)
		ctx->name = pool_strdup(ctx->pool, info->name);
}

/* The Trash mailbox's name (from pool), created when missing. Returns 0
 * or -1 with *error_r. */
static int mail_trash(struct pr_local *local, struct pool *pool,
                      const char **name_r, const char **error_r)
{
	struct mail_trash_ctx ctx = {.pool = pool};
	if (store_mailbox_list(local->account, mail_trash_cb, &ctx) < 0) {
		*error_r = MAIL_STORE_ERROR;
		return -1;
	}
	if (ctx.name == NULL) {
		const char *error;
		if (store_mailbox_create(local->account, PR_MAIL_TRASH,
		                         STORE_SPECIAL_TRASH, &error) < 0 &&
		    strcmp(error, "mailbox exists") != 0) {
			*error_r = error;
			return -1;
		}
		ctx.name = PR_MAIL_TRASH;
	}
	*name_r = ctx.name;
	return 0;
}

int pr_mail_delete(struct pr_local *local, const char *mailbox, uint32_t uid,
                   bool *is_expunged_r, const char **error_r)
{
	struct pool *pool = pool_new();
	const char *trash;
	uint32_t new_uid;
	int ret = mail_trash(local, pool, &trash, error_r);
	*is_expunged_r = ret == 0 && strcmp(trash, mailbox) == 0;
	if (ret < 0) {
		ret = -1;
	} else if (*is_expunged_r) {
		ret = store_message_expunge(local->account, mailbox, &uid, 1);
		if (ret < 0)
			*error_r = MAIL_STORE_ERROR;
	} else {
		ret =
		    pr_mail_move(local, mailbox, uid, trash, &new_uid, error_r);
	}
	pool_free(&pool);
	return ret < 0 ? -1 : ret > 0 ? 1 : 0;
}
