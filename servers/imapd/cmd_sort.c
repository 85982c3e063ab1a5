/* SORT and UID SORT (RFC 5256 §3), with ESORT and CONTEXT=SORT's RETURN
 * options (RFC 5267, cmd_esearch.c) and SORT=DISPLAY's keys (RFC 5957):
 * the search keys pick the messages, whose
 * header fields (Date, Subject, From, To, Cc, and for THREAD Message-ID,
 * References, In-Reply-To) are read from the head of each blob and ordered
 * by lib/imap/imap_sort. The collection is shared with cmd_thread.c.
 * XXX: the header of every match is read from its blob per command (no
 * cached sort keys yet): linear in the number of matches. */
#include "core/buf.h"
#include "core/pool.h"
#include "imap/imap_sort.h"
#include "imapd.h"
#include "mime/mime.h"
#include "mime/mime_decode.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SORT_HEADER_MAX (256 * 1024) /* header bytes read per message */

struct sort_collect {
	struct imapd_cmd *cmd;
	struct imapd_sort_hit *v;
	size_t count, cap;
	struct buf head, tmp;
};

/* Reads the blob's header (up to the blank line, or SORT_HEADER_MAX) into
 * sc->head. Returns 0 or -1. */
static int sort_read_head(struct sort_collect *sc, const char *blob_id)
{
	int fd = store_blob_open(sc->cmd->client->imapd->store, blob_id);
	if (fd < 0)
		return -1;
	buf_truncate(&sc->head, 0);
	while (sc->head.len < SORT_HEADER_MAX) {
		buf_reserve(&sc->head, 8192);
		ssize_t n = read(fd, sc->head.data + sc->head.len, 8192);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		size_t from = sc->head.len > 3 ? sc->head.len - 3 : 0;
		sc->head.len += (size_t)n;
		sc->head.data[sc->head.len] = '\0';
		if (strstr(sc->head.data + from, "\n\r\n") != NULL ||
		    strstr(sc->head.data + from, "\n\n") != NULL)
			break;
	}
	close(fd);
	sc->head.data[sc->head.len] = '\0';
	return 0;
}

static int sort_hit_cb(const struct store_message *msg, uint32_t seq, void *ctx)
{
	struct sort_collect *sc = ctx;
	struct pool *pool = sc->cmd->pool;
	if (sort_read_head(sc, msg->blob_id) < 0)
		return -1;
	if (sc->count == sc->cap) {
		size_t cap = sc->cap == 0 ? 64 : sc->cap * 2;
		struct imapd_sort_hit *v = pool_alloc(pool, cap * sizeof(*v));
		if (sc->count > 0)
			memcpy(v, sc->v, sc->count * sizeof(*v));
		sc->v = v;
		sc->cap = cap;
	}
	struct imapd_sort_hit *h = &sc->v[sc->count++];
	struct mime_settings ms;
	mime_settings_init(&ms);
	const unsigned char *data = (const unsigned char *)sc->head.data;
	struct mime_part *root = mime_parse(data, sc->head.len, &ms, pool);
	h->sort.seq = seq;
	h->sort.uid = msg->uid;
	h->sort.size = msg->size;
	h->sort.arrival = msg->internal_date;
	const char *date = mime_header_get(data, root, "Date", pool);
	if (date == NULL || imap_sort_date_parse(date, &h->sort.date) < 0)
		h->sort.date = msg->internal_date; /* RFC 5256 §2.2 */
	const char *subject = mime_header_get(data, root, "Subject", pool);
	buf_truncate(&sc->tmp, 0);
	if (subject != NULL)
		mime_decode_header((const unsigned char *)subject,
		                   strlen(subject), &sc->tmp);
	struct buf base;
	buf_init(&base);
	h->is_reply = imap_sort_base_subject(sc->tmp.data, &base);
	h->sort.subject = pool_strdup(pool, base.data);
	buf_deinit(&base);
	const char *from = mime_header_get(data, root, "From", pool);
	const char *to = mime_header_get(data, root, "To", pool);
	h->sort.from = imap_sort_addr_key(from, pool);
	h->sort.to = imap_sort_addr_key(to, pool);
	h->sort.display_from = imap_sort_display_key(from, pool);
	h->sort.display_to = imap_sort_display_key(to, pool);
	h->sort.cc =
	    imap_sort_addr_key(mime_header_get(data, root, "Cc", pool), pool);
	h->message_id = mime_header_get(data, root, "Message-ID", pool);
	h->references = mime_header_get(data, root, "References", pool);
	h->in_reply_to = mime_header_get(data, root, "In-Reply-To", pool);
	return 0;
}

int imapd_sort_collect(struct imapd_cmd *cmd, const struct imap_arg *args,
                       struct imapd_sort_hit **hits_r, size_t *count_r)
{
	const char *charset;
	if (args == NULL || !imap_arg_get_astring(args, &charset)) {
		imapd_cmd_bad(cmd, "Charset expected");
		return -1;
	}
	if (strcasecmp(charset, "UTF-8") != 0 &&
	    strcasecmp(charset, "US-ASCII") != 0) {
		imapd_cmd_no(cmd, "[BADCHARSET (UTF-8 US-ASCII)] "
		                  "Unsupported charset");
		return -1;
	}
	if (imapd_uidonly_check_keys(cmd, args->next) < 0)
		return -1;
	struct sort_collect sc = {.cmd = cmd};
	buf_init(&sc.head);
	buf_init(&sc.tmp);
	int ret = imapd_search_each(cmd, args->next, sort_hit_cb, &sc);
	buf_deinit(&sc.head);
	buf_deinit(&sc.tmp);
	*hits_r = sc.v;
	*count_r = sc.count;
	return ret;
}

/* ESORT and CONTEXT=SORT (RFC 5267 §3, §4): the ESEARCH answer in sort
 * order; SAVE keeps the UIDs (RFC 5182); UPDATE makes a context. */
static void sort_esearch(struct imapd_cmd *cmd, const struct imapd_return *r,
                         const struct imap_arg *criteria,
                         const struct imap_sort_program *program,
                         const struct imap_sort_msg *msgs, size_t count)
{
	struct imapd_result *res =
	    pool_alloc(cmd->pool, (count + 1) * sizeof(*res));
	for (size_t i = 0; i < count; i++)
		res[i] = (struct imapd_result){.uid = msgs[i].uid,
		                               .seq = msgs[i].seq};
	if (r->opts & IMAPD_RETURN_SAVE)
		imapd_esearch_save(cmd, r, res, count);
	imapd_esearch_reply(cmd, r, res, count, false);
	if (r->opts & IMAPD_RETURN_UPDATE)
		imapd_context_add(cmd, criteria, program, r->update_atts, res,
		                  count);
}

/* sort = ["UID" SP] "SORT" [search-return-opts] SP sort-criteria SP
 *        search-criteria; search-criteria = charset 1*(SP search-key) */
void cmd_sort(struct imapd_cmd *cmd)
{
	const struct imap_arg *a = cmd->args;
	struct imap_sort_program program;
	struct imapd_return r;
	const char *error;
	int has_return = imapd_return_parse(&a, &r);
	if (has_return < 0) {
		imapd_cmd_bad(cmd, "Invalid RETURN options");
		return;
	}
	if (a == NULL || a->type != IMAP_ARG_LIST) {
		imapd_cmd_bad(cmd, "Sort criteria expected");
		return;
	}
	if (imap_sort_program_parse(a->list, &program, &error) < 0) {
		imapd_cmd_bad(cmd, "%s", error);
		return;
	}
	if (imapd_return_check(cmd, &r) < 0)
		return;
	if ((r.opts & IMAPD_RETURN_UPDATE) &&
	    imapd_context_find(cmd->client, cmd->tag) != NULL) {
		imapd_cmd_bad(cmd, "Tag reuse"); /* RFC 5267 §4.3 */
		return;
	}
	if (r.opts & IMAPD_RETURN_SAVE)
		cmd->client->box->saved_count = 0;
	struct imapd_sort_hit *hits;
	size_t count;
	if (imapd_sort_collect(cmd, a->next, &hits, &count) < 0)
		return;
	struct imap_sort_msg *msgs =
	    pool_alloc(cmd->pool, (count + 1) * sizeof(*msgs));
	for (size_t i = 0; i < count; i++)
		msgs[i] = hits[i].sort;
	imap_sort_msgs(msgs, count, &program);
	if (has_return > 0) {
		sort_esearch(cmd, &r, a->next, &program, msgs, count);
		imapd_cmd_ok(cmd, "%s completed", cmd->name);
		return;
	}
	struct buf *out = &cmd->client->out;
	buf_append_str(out, "* SORT");
	for (size_t i = 0; i < count; i++)
		buf_printf(out, " %u", cmd->is_uid ? msgs[i].uid : msgs[i].seq);
	buf_append_str(out, "\r\n");
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}
