/* One followed collection, synced by three states as mail is
 * (store_sync_dav.h): for each member the local ETag against the one last
 * agreed tells a local change, the server's ETag (from sync-collection,
 * RFC 6578, or from a PROPFIND listing when the server has no sync token)
 * against the agreed one a remote change. Then:
 *   changed here only   PUT with If-Match (RFC 9110 §13.1.1) or DELETE
 *   changed there only  fetched (multiget) into the local store, or
 *                       deleted here
 *   changed on both     the server's version is kept and the local one
 *                       saved as a copy under a new UID, uploaded as a new
 *                       member; identical bytes are no conflict; a local
 *                       deletion loses to a remote change, a remote
 *                       deletion to a local change (nothing is lost)
 *   new here            PUT with If-None-Match: * (412: both sides made
 *                       one, resolved as above)
 * A 412 on a PUT or DELETE means the server changed meanwhile: the same
 * resolution. The sync token is kept only when every member went through,
 * so a failure is tried again at the next sync. Read-only collections are
 * only ever downloaded: a local change there is undone. */
#include "sync_dav.h"

#include "core/buf.h"
#include "core/pool.h"
#include "dav/dav_token.h"
#include "store/store_dav.h"
#include "store/store_sync_dav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fetch_mode {
	FETCH_PLAIN,    /* take the server's version */
	FETCH_CONFLICT, /* both changed: keep a copy of the local one */
};

struct fetch {
	const char *href;
	const char *key; /* NULL: from the data (a member new here) */
	enum fetch_mode mode;
};

struct upload {
	const char *key, *href;
	const char *if_match; /* NULL: a new member (If-None-Match: *) */
};

struct objsync {
	struct pr_dav *dav;
	struct pr_dav_side *side;
	struct store_sync_dav_collection *state;
	const char *path; /* the remote collection */
	bool is_read_only;
	struct pr_sync_report *report;
	struct pool *pool;
	/* what the server said changed (or everything, when is_full) */
	struct dav_remote_member *remote;
	size_t remote_count;
	bool is_full;
	struct pr_dav_item *local;
	size_t local_count;
	struct fetch *fetches;
	size_t fetch_count, fetch_cap;
	struct upload *uploads;
	size_t upload_count, upload_cap;
	bool has_error;
};

static void member_error(struct objsync *s, const char *what, const char *why)
{
	s->has_error = true;
	s->report->dav_errors++;
	snprintf(s->report->dav_error, sizeof(s->report->dav_error), "%s: %s",
	         what, why);
}

static void fetch_add(struct objsync *s, const char *href, const char *key,
                      enum fetch_mode mode)
{
	if (s->fetch_count == s->fetch_cap) {
		s->fetch_cap = s->fetch_cap == 0 ? 16 : s->fetch_cap * 2;
		struct fetch *n =
		    pool_alloc(s->pool, s->fetch_cap * sizeof(*n));
		if (s->fetch_count > 0)
			memcpy(n, s->fetches, s->fetch_count * sizeof(*n));
		s->fetches = n;
	}
	s->fetches[s->fetch_count++] =
	    (struct fetch){.href = href, .key = key, .mode = mode};
}

static void upload_add(struct objsync *s, const char *key, const char *href,
                       const char *if_match)
{
	if (s->upload_count == s->upload_cap) {
		s->upload_cap = s->upload_cap == 0 ? 16 : s->upload_cap * 2;
		struct upload *n =
		    pool_alloc(s->pool, s->upload_cap * sizeof(*n));
		if (s->upload_count > 0)
			memcpy(n, s->uploads, s->upload_count * sizeof(*n));
		s->uploads = n;
	}
	s->uploads[s->upload_count++] =
	    (struct upload){.key = key, .href = href, .if_match = if_match};
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dav_remote_member *)a)->path,
	              ((const struct dav_remote_member *)b)->path);
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pr_dav_item *)a)->key,
	              ((const struct pr_dav_item *)b)->key);
}

static const struct dav_remote_member *remote_find(const struct objsync *s,
                                                   const char *href)
{
	struct dav_remote_member want = {.path = href};
	return s->remote_count == 0 ? NULL
	                            : bsearch(&want, s->remote, s->remote_count,
	                                      sizeof(*s->remote), member_cmp);
}

static const struct pr_dav_item *local_find(const struct objsync *s,
                                            const char *key)
{
	struct pr_dav_item want = {.key = key};
	return s->local_count == 0 ? NULL
	                           : bsearch(&want, s->local, s->local_count,
	                                     sizeof(*s->local), item_cmp);
}

/* What the server has changed: sync-collection from the token (from ""
 * when there is none or the server refuses it), else, without
 * sync-collection, the whole listing unless the CTag says nothing
 * changed. *token_r: the token to keep, or NULL. */
static int remote_changes(struct objsync *s,
                          const struct dav_remote_collection *remote,
                          const char **token_r, const char **error_r)
{
	struct dav_client *client = s->dav->client;
	const char *token = s->state->sync_token;
	*token_r = NULL;
	if (remote->has_sync) {
		int ret =
		    dav_remote_sync(client, s->path, token, s->pool, &s->remote,
		                    &s->remote_count, token_r, error_r);
		if (ret == 0 && token[0] != '\0') {
			token = "";
			ret = dav_remote_sync(client, s->path, token, s->pool,
			                      &s->remote, &s->remote_count,
			                      token_r, error_r);
		}
		if (ret > 0) {
			s->is_full = token[0] == '\0';
			return 0;
		}
		if (ret == 0) {
			*error_r = "the server refuses its own sync token";
			return -1;
		}
		*token_r = NULL;
	}
	if (remote->ctag != NULL && s->state->ctag[0] != '\0' &&
	    strcmp(remote->ctag, s->state->ctag) == 0) {
		s->remote_count = 0;
		return 0;
	}
	s->is_full = true;
	return dav_remote_members(client, s->path, s->pool, &s->remote,
	                          &s->remote_count, error_r);
}

struct rows {
	struct pool *pool;
	struct store_sync_dav_object *list;
	size_t count, cap;
};

static int rows_cb(const struct store_sync_dav_object *obj, void *ctx)
{
	struct rows *r = ctx;
	if (r->count == r->cap) {
		r->cap = r->cap == 0 ? 64 : r->cap * 2;
		struct store_sync_dav_object *n =
		    pool_alloc(r->pool, r->cap * sizeof(*n));
		if (r->count > 0)
			memcpy(n, r->list, r->count * sizeof(*n));
		r->list = n;
	}
	r->list[r->count++] = (struct store_sync_dav_object){
	    .local_key = pool_strdup(r->pool, obj->local_key),
	    .href = pool_strdup(r->pool, obj->href),
	    .remote_etag = pool_strdup(r->pool, obj->remote_etag),
	    .local_etag = pool_strdup(r->pool, obj->local_etag)};
	return 0;
}

static int row_forget(struct objsync *s, const char *key)
{
	return store_sync_dav_object_del(s->side->local->account, s->state->id,
	                                 key);
}

static int row_agree(struct objsync *s, const char *key, const char *href,
                     const char *remote_etag, const char *local_etag)
{
	struct store_sync_dav_object row = {.local_key = key,
	                                    .href = href,
	                                    .remote_etag = remote_etag,
	                                    .local_etag = local_etag};
	return store_sync_dav_object_set(s->side->local->account, s->state->id,
	                                 &row);
}

/* One member both sides agreed on once: the three states decide. */
static void row_decide(struct objsync *s,
                       const struct store_sync_dav_object *row)
{
	const struct pr_dav_item *l = local_find(s, row->local_key);
	const struct dav_remote_member *r = remote_find(s, row->href);
	bool is_remote_gone = r != NULL ? r->is_gone : s->is_full;
	const char *remote_etag = r != NULL && r->etag != NULL ? r->etag
	                          : r != NULL                  ? ""
	                                      : row->remote_etag;
	bool lc = l == NULL || strcmp(l->etag, row->local_etag) != 0;
	bool rc = is_remote_gone || strcmp(remote_etag, row->remote_etag) != 0;
	const char *error;
	if (!lc && !rc)
		return;
	if (rc && is_remote_gone && (!lc || l == NULL || s->is_read_only)) {
		/* gone there, unchanged (or gone) here */
		if (l != NULL &&
		    s->side->ops->remove(s->side, row->local_key, &error) < 0) {
			member_error(s, row->local_key, error);
			return;
		}
		s->report->dav_deleted_down += l != NULL;
		(void)row_forget(s, row->local_key);
		return;
	}
	if (rc && is_remote_gone) {
		/* changed here, gone there: the local change goes up anew */
		(void)row_forget(s, row->local_key);
		return;
	}
	if (!lc || s->is_read_only || l == NULL) {
		/* changed there only, a read-only member changed here, or
		 * deleted here: the server's version */
		fetch_add(s, row->href, row->local_key, FETCH_PLAIN);
		return;
	}
	if (rc) {
		fetch_add(s, row->href, row->local_key, FETCH_CONFLICT);
		return;
	}
	upload_add(s, row->local_key, row->href, row->remote_etag);
}

/* A local member deleted since the agreement, unchanged there: DELETE
 * with If-Match. */
static void remote_delete(struct objsync *s,
                          const struct store_sync_dav_object *row)
{
	struct dav_request req = {
	    .method = "DELETE",
	    .path = row->href,
	    .if_match = row->remote_etag[0] != '\0' ? row->remote_etag : NULL};
	struct dav_response resp;
	const char *error;
	if (dav_client_request(s->dav->client, &req, s->pool, &resp, &error) <
	    0) {
		member_error(s, row->href, error);
		return;
	}
	if (resp.status == 412) {
		/* changed there meanwhile: the server's version comes back */
		fetch_add(s, row->href, row->local_key, FETCH_PLAIN);
		return;
	}
	if (resp.status >= 300 && resp.status != 404) {
		member_error(s, row->href,
		             dav_remote_status_error(resp.status, resp.body,
		                                     resp.body_size, s->pool));
		return;
	}
	s->report->dav_deleted_up++;
	(void)row_forget(s, row->local_key);
}

static int rows_walk(struct objsync *s)
{
	struct rows rows = {.pool = s->pool};
	if (store_sync_dav_objects(s->side->local->account, s->state->id,
	                           rows_cb, &rows) < 0)
		return -1;
	for (size_t i = 0; i < rows.count; i++) {
		const struct store_sync_dav_object *row = &rows.list[i];
		const struct dav_remote_member *r = remote_find(s, row->href);
		bool is_remote_same = !(r != NULL ? r->is_gone : s->is_full) &&
		                      (r == NULL || r->etag == NULL ||
		                       strcmp(r->etag, row->remote_etag) == 0);
		if (local_find(s, row->local_key) == NULL && is_remote_same &&
		    !s->is_read_only)
			remote_delete(s, row);
		else
			row_decide(s, row);
	}
	return 0;
}

/* Members new on the server: fetched under the key their data gives. */
static void remote_new(struct objsync *s)
{
	for (size_t i = 0; i < s->remote_count; i++) {
		const struct dav_remote_member *r = &s->remote[i];
		struct store_sync_dav_object row;
		if (r->is_gone || store_sync_dav_object_by_href(
		                      s->side->local->account, s->state->id,
		                      r->path, s->pool, &row) != 0)
			continue;
		fetch_add(s, r->path, NULL, FETCH_PLAIN);
	}
}

/* Writes a fetched member under key. */
static void fetched_store(struct objsync *s, const struct fetch *f,
                          const struct dav_remote_member *m, const char *key)
{
	const char *error, *etag;
	const unsigned char *ldata;
	size_t lsize;
	const char *letag;
	struct store_sync_dav_object row;
	bool is_mapped =
	    store_sync_dav_object_by_key(s->side->local->account, s->state->id,
	                                 key, s->pool, &row) == 1;
	int has_local =
	    s->side->ops->read(s->side, key, s->pool, &ldata, &lsize, &letag);
	bool is_conflict =
	    f->mode == FETCH_CONFLICT || (!is_mapped && has_local == 1);
	if (is_conflict && has_local == 1) {
		char remote_etag[DAV_TOKEN_ETAG_LEN + 1];
		dav_token_etag(m->data, m->size, remote_etag);
		if (strcmp(remote_etag, letag) == 0) {
			/* the same bytes on both sides: no conflict */
			(void)row_agree(s, key, m->path,
			                m->etag != NULL ? m->etag : "", letag);
			return;
		}
		if (s->side->ops->copy(s->side, ldata, lsize, s->pool, &error) <
		    0) {
			member_error(s, key, error);
			return;
		}
		s->report->dav_conflicts++;
	}
	if (s->side->ops->write(s->side, key, m->data, m->size, s->pool, &etag,
	                        &error) < 0) {
		member_error(s, m->path, error);
		return;
	}
	s->report->dav_down++;
	(void)row_agree(s, key, m->path, m->etag != NULL ? m->etag : "", etag);
}

static int fetches_run(struct objsync *s, const char **error_r)
{
	if (s->fetch_count == 0)
		return 0;
	const char **paths =
	    pool_alloc(s->pool, s->fetch_count * sizeof(*paths));
	for (size_t i = 0; i < s->fetch_count; i++)
		paths[i] = s->fetches[i].href;
	struct dav_remote_member *got;
	size_t count;
	if (dav_remote_multiget(s->dav->client, s->path, s->dav->kind, paths,
	                        s->fetch_count, s->pool, &got, &count,
	                        error_r) < 0)
		return -1;
	for (size_t i = 0; i < s->fetch_count; i++) {
		const struct fetch *f = &s->fetches[i];
		const struct dav_remote_member *m = NULL;
		for (size_t j = 0; j < count && m == NULL; j++)
			if (strcmp(got[j].path, f->href) == 0)
				m = &got[j];
		if (m == NULL || m->is_gone)
			continue; /* gone meanwhile: the next sync sees it */
		const char *error;
		const char *key =
		    f->key != NULL
		        ? f->key
		        : s->side->ops->key_for(s->side, m->path, m->data,
		                                m->size, s->pool, &error);
		if (key == NULL)
			member_error(s, m->path, error);
		else
			fetched_store(s, f, m, key);
	}
	s->fetch_count = 0;
	return 0;
}

/* PUT of one local member. */
static void upload_one(struct objsync *s, const struct upload *u)
{
	const unsigned char *data;
	size_t size;
	const char *etag, *error;
	if (s->side->ops->read(s->side, u->key, s->pool, &data, &size, &etag) <=
	    0)
		return; /* gone meanwhile */
	struct dav_request req = {
	    .method = "PUT",
	    .path = u->href,
	    .content_type = s->dav->kind == DAV_REMOTE_CALENDAR
	                        ? "text/calendar; charset=utf-8"
	                        : "text/vcard; charset=utf-8",
	    .body = data,
	    .body_size = size,
	    .if_match = u->if_match,
	    .if_none_match = u->if_match == NULL,
	};
	struct dav_response resp;
	if (dav_client_request(s->dav->client, &req, s->pool, &resp, &error) <
	    0) {
		member_error(s, u->href, error);
		return;
	}
	if (resp.status == 412) {
		fetch_add(s, u->href, u->key, FETCH_CONFLICT);
		return;
	}
	if (resp.status < 200 || resp.status >= 300) {
		member_error(s, u->href,
		             dav_remote_status_error(resp.status, resp.body,
		                                     resp.body_size, s->pool));
		return;
	}
	s->report->dav_up++;
	/* no ETag: the server changed what it stored (RFC 4791 §5.3.4); the
	 * next sync sees another tag and fetches its version */
	(void)row_agree(s, u->key, u->href, resp.etag != NULL ? resp.etag : "",
	                etag);
}

/* Local members the server has never had. */
static int local_new(struct objsync *s)
{
	if (s->side->ops->list(s->side, s->pool, &s->local, &s->local_count) <
	    0)
		return -1;
	for (size_t i = 0; i < s->local_count; i++) {
		struct store_sync_dav_object row;
		const char *key = s->local[i].key;
		if (store_sync_dav_object_by_key(s->side->local->account,
		                                 s->state->id, key, s->pool,
		                                 &row) != 0)
			continue;
		upload_add(s, key,
		           pool_printf(s->pool, "%s%s", s->path,
		                       s->side->ops->remote_name(s->side, key,
		                                                 s->pool)),
		           NULL);
	}
	return 0;
}

static int uploads_run(struct objsync *s, const char **error_r)
{
	for (size_t i = 0; i < s->upload_count; i++)
		upload_one(s, &s->uploads[i]);
	s->upload_count = 0;
	return fetches_run(s, error_r);
}

int pr_sync_dav_collection(struct pr_dav *dav, struct pr_dav_side *side,
                           struct store_sync_dav_collection *state,
                           const struct dav_remote_collection *remote,
                           bool is_read_only, struct pr_sync_report *report,
                           struct pool *pool, const char **error_r)
{
	struct objsync s = {.dav = dav,
	                    .side = side,
	                    .state = state,
	                    .path = remote->path,
	                    .is_read_only = is_read_only,
	                    .report = report,
	                    .pool = pool};
	const char *token;
	if (remote_changes(&s, remote, &token, error_r) < 0)
		return -1;
	if (s.remote_count > 1)
		qsort(s.remote, s.remote_count, sizeof(*s.remote), member_cmp);
	if (side->ops->list(side, pool, &s.local, &s.local_count) < 0)
		goto local_fail;
	if (s.local_count > 1)
		qsort(s.local, s.local_count, sizeof(*s.local), item_cmp);
	if (rows_walk(&s) < 0)
		goto local_fail;
	remote_new(&s);
	if (fetches_run(&s, error_r) < 0 || uploads_run(&s, error_r) < 0)
		return -1;
	/* new here, and the copies conflicts made: up they go (twice at
	 * most: an upload can meet a conflict that makes a copy) */
	for (int round = 0; round < 2 && !is_read_only; round++) {
		if (local_new(&s) < 0)
			goto local_fail;
		if (s.upload_count == 0)
			break;
		if (uploads_run(&s, error_r) < 0)
			return -1;
	}
	if (!s.has_error) {
		state->sync_token = token != NULL ? token : "";
		state->ctag = remote->ctag != NULL ? remote->ctag : "";
	}
	state->is_read_only = is_read_only;
	state->displayname = remote->displayname;
	if (store_sync_dav_collection_update(side->local->account, state->id,
	                                     state) < 0)
		goto local_fail;
	return 0;
local_fail:
	*error_r = "cannot read or write the local store";
	return -1;
}
