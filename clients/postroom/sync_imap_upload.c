/* Local messages the server has not got (sync_imap.h): found as local
 * messages without a map row, first offered as the far end of a local
 * move, then appended (RFC 9051 §6.3.12) and mapped through APPENDUID
 * (RFC 4315 §3) or, without UIDPLUS, by looking for the new message among
 * UIDs from the old UIDNEXT on with the same size and Message-ID. */
#include "sync_imap.h"

#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_client.h"
#include "store/store.h"
#include "store/store_mime.h"
#include "store/store_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* field = field-name ":" unstructured CRLF, folded lines continue with
 * WSP (RFC 5322 §2.2, §3.6.4 msg-id); the header ends at an empty line. */
const char *sync_imap_message_id(const unsigned char *data, size_t size,
                                 struct pool *pool)
{
	const char *p = (const char *)data, *end = p + size;
	while (p < end && *p != '\r' && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol - p > 11 && strncasecmp(p, "Message-ID:", 11) == 0) {
			const char *v = p + 11, *e = eol;
			while (e < end - 1 && (e[1] == ' ' || e[1] == '\t')) {
				const char *next =
				    memchr(e + 1, '\n', (size_t)(end - e - 1));
				e = next != NULL ? next : end;
			}
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\r' ||
			                 e[-1] == '\n' || e[-1] == '\t'))
				e--;
			return pool_strndup(pool, v, (size_t)(e - v));
		}
		p = eol + 1;
	}
	return "";
}

struct unmapped_ctx {
	struct sync_imap *s;
	const char *local, *remote;
	int error;
};

static int unmapped_cb(const struct store_message *msg, void *ctx)
{
	struct unmapped_ctx *u = ctx;
	struct sync_imap *s = u->s;
	struct store_sync_map map;
	struct pool *tmp = pool_new();
	int ret = store_sync_map_by_local(s->local->account, u->local,
	                                  msg->uid, tmp, &map);
	pool_free(&tmp);
	if (ret < 0)
		return -1;
	if (ret > 0)
		return 0;
	if (s->cand_count == s->cand_cap) {
		s->cand_cap = s->cand_cap == 0 ? 32 : s->cand_cap * 2;
		s->cands = xrealloc(s->cands, s->cand_cap * sizeof(*s->cands));
	}
	s->cands[s->cand_count++] = (struct sync_imap_cand){
	    .mailbox = u->local, .remote_mailbox = u->remote, .uid = msg->uid,
	    .size = msg->size, .blob_id = pool_strdup(s->pool, msg->blob_id)};
	return 0;
}

int sync_imap_candidates(struct sync_imap *s, const char *local_name,
                         const char *remote_name)
{
	struct unmapped_ctx u = {s, pool_strdup(s->pool, local_name),
	                         pool_strdup(s->pool, remote_name), 0};
	if (store_message_list(s->local->account, local_name, 1, UINT32_MAX,
	                       unmapped_cb, &u) < 0)
		return sync_imap_fail(s, local_name, "cannot read messages");
	return 0;
}

struct find_ctx {
	uint64_t size;
	const char *message_id;
	struct pool *pool;
	uint32_t uid;
};

static void find_cb(const struct imap_response *resp, void *ctx)
{
	struct find_ctx *f = ctx;
	struct imap_fetch fe;
	if (imap_fetch_parse(resp, &fe) <= 0 || fe.uid == 0 ||
	    fe.size != f->size)
		return;
	const struct imap_value *att = resp->items[2].list;
	for (size_t i = 0; i + 1 < resp->items[2].count; i += 2)
		if (strncasecmp(att[i].str, "BODY[HEADER", 11) == 0 &&
		    att[i + 1].type == IMAP_VALUE_STRING &&
		    strcmp(sync_imap_message_id(
		               (const unsigned char *)att[i + 1].str,
		               att[i + 1].len, f->pool),
		           f->message_id) == 0 &&
		    fe.uid > f->uid)
			f->uid = fe.uid;
}

static void status_cb(const struct imap_response *resp, void *ctx)
{
	uint32_t *uidnext = ctx;
	if (resp->count == 3 && resp->items[2].type == IMAP_VALUE_LIST) {
		const struct imap_value *l = resp->items[2].list;
		for (size_t i = 0; i + 1 < resp->items[2].count; i += 2)
			if (l[i].type == IMAP_VALUE_ATOM &&
			    strcasecmp(l[i].str, "UIDNEXT") == 0)
				*uidnext = (uint32_t)strtoul(l[i + 1].str,
				                             NULL, 10);
	}
}

/* Without UIDPLUS: the newest message from uidnext on with the same size
 * and Message-ID. Returns its UID, or 0. */
static uint32_t find_appended(struct sync_imap *s, const char *remote,
                              uint32_t uidnext, const struct buf *data)
{
	struct imap_client_selected sel;
	const char *error;
	struct find_ctx f = {data->len, NULL, pool_new(), 0};
	f.message_id = sync_imap_message_id((const unsigned char *)data->data,
	                                    data->len, f.pool);
	if (*f.message_id != '\0' &&
	    imap_client_select(s->c, remote, true, NULL, NULL, NULL, NULL, &sel,
	                       &error) == 0)
		(void)imap_client_cmd(s->c, find_cb, &f, &error,
		                      "UID FETCH %u:* (UID RFC822.SIZE "
		                      "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
		                      uidnext);
	pool_free(&f.pool);
	return f.uid;
}

static int upload_one(struct sync_imap *s, const struct sync_imap_cand *cand,
                      const struct store_message *msg)
{
	struct buf data;
	const char *error;
	uint32_t uv = 0, uid = 0, uidnext = 0;
	bool has_uidplus = imap_client_has(s->c, "UIDPLUS");
	buf_init(&data);
	int ret = store_mime_blob_read(s->local->store, msg->blob_id, &data,
	                               &error);
	if (ret < 0) {
		buf_deinit(&data);
		return sync_imap_fail(s, cand->mailbox, error);
	}
	if (!has_uidplus)
		(void)imap_client_cmd(s->c, status_cb, &uidnext, &error,
		                      "STATUS %m (UIDNEXT)",
		                      cand->remote_mailbox);
	ret = imap_client_append(s->c, cand->remote_mailbox, msg->flags,
	                         msg->keywords, msg->internal_date,
	                         (const unsigned char *)data.data, data.len,
	                         &uv, &uid, &error);
	if (ret == 0 && uid == 0 && uidnext > 0)
		uid = find_appended(s, cand->remote_mailbox, uidnext, &data);
	buf_deinit(&data);
	if (ret < 0)
		return sync_imap_fail(s, cand->remote_mailbox, error);
	s->report->uploaded++;
	/* XXX without a UID the message stays unmapped and is appended
	 * again by the next sync; servers without UIDPLUS are rare. */
	struct store_sync_map map = {msg->uid, uid, msg->flags, msg->keywords};
	if (uid != 0 &&
	    store_sync_map_set(s->local->account, cand->mailbox, &map) < 0)
		return sync_imap_fail(s, cand->mailbox, "cannot record state");
	return 0;
}

struct upload_ctx {
	struct sync_imap *s;
	const struct sync_imap_cand *cand;
};

static int upload_cb(const struct store_message *msg, void *ctx)
{
	struct upload_ctx *u = ctx;
	return upload_one(u->s, u->cand, msg) < 0 ? -1 : 1;
}

int sync_imap_upload(struct sync_imap *s, const char *local_name,
                     const char *remote_name)
{
	(void)remote_name;
	for (size_t i = 0; i < s->cand_count; i++) {
		const struct sync_imap_cand *cand = &s->cands[i];
		if (cand->is_claimed || strcmp(cand->mailbox, local_name) != 0)
			continue;
		/* the message may have gone since the list was made */
		struct store_sync_map map;
		struct pool *tmp = pool_new();
		int mapped = store_sync_map_by_local(s->local->account,
		                                     local_name, cand->uid, tmp,
		                                     &map);
		pool_free(&tmp);
		if (mapped != 0)
			continue;
		struct upload_ctx u = {s, cand};
		if (store_message_list(s->local->account, local_name, cand->uid,
		                       cand->uid, upload_cb, &u) < 0)
			return -1;
	}
	return 0;
}
