/* JMAP Email/query and Email/queryChanges (RFC 8621 §4.4, RFC 8620 §5.6):
 * the filter (FilterOperator trees of §4.4.1's conditions, text
 * conditions answered by the store's search index), collapseThreads, and
 * the query over the rows in date order, stopping as soon as the page is
 * full (the newest 50 threads of a 100,000-message mailbox cost 50 rows);
 * queryChanges from the rows' change log. Email/get, /parse and
 * SearchSnippet/get are in jmap_emails.c. */
#include "core/buf.h"
#include "core/pool.h"
#include "httpd.h"
#include "jmap/jmap_email.h"
#include "jmap_server.h"
#include "mime/mime.h"
#include "store/store_mime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Email/query (§4.4) ---- */

/* (mailbox, uid) pairs found by a text search, sorted. */
struct hits {
	uint64_t *keys;
	size_t count, cap;
	int64_t mailbox_id; /* filled by the search callback */
};

static void hit_cb(uint32_t uid, void *context)
{
	struct hits *h = context;
	if (h->count == h->cap) {
		h->cap = h->cap == 0 ? 64 : h->cap * 2;
		h->keys = realloc(h->keys, h->cap * sizeof(*h->keys));
		if (h->keys == NULL)
			abort();
	}
	h->keys[h->count++] = ((uint64_t)h->mailbox_id << 32) | uid;
}

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The mailboxes, listed before searching them (a search may write the
 * index, which it must not do while the listing reads). */
struct mb_names {
	struct pool *pool;
	int64_t ids[1024];
	const char *names[1024];
	size_t count;
};

static void mb_names_cb(const struct store_jmap_mailbox *mb, void *context)
{
	struct mb_names *l = context;
	if (l->count < 1024) {
		l->ids[l->count] = mb->id;
		l->names[l->count++] = pool_strdup(l->pool, mb->name);
	}
}

static int search_all(struct jmap_ctx *ctx, enum store_mime_field field,
                      const char *text, struct hits *hits)
{
	struct mb_names *l = pool_alloc(ctx->pool, sizeof(*l));
	l->pool = ctx->pool;
	if (store_jmap_mailbox_list(ctx->account, mb_names_cb, l) < 0)
		return -1;
	for (size_t i = 0; i < l->count; i++) {
		const char *error;
		hits->mailbox_id = l->ids[i];
		if (store_mime_search(ctx->account, l->names[i], field, text,
		                      hit_cb, hits, &error) < 0)
			return -1;
	}
	return 0;
}

/* One condition of a filter, compiled. */
struct cond {
	const char *key;
	json_t *value;
	struct hits hits; /* for the text conditions */
};

struct query_filter {
	struct cond conds[64];
	size_t count;
};

static const struct {
	const char *key;
	enum store_mime_field field;
} text_keys[] = {
    {"text", STORE_MIME_TEXT},  {"from", STORE_MIME_FROM},
    {"to", STORE_MIME_TO},      {"cc", STORE_MIME_CC},
    {"bcc", STORE_MIME_HEADER}, {"subject", STORE_MIME_SUBJECT},
    {"body", STORE_MIME_BODY},
};

static int text_field(const char *key, enum store_mime_field *field_r)
{
	for (size_t i = 0; i < sizeof(text_keys) / sizeof(*text_keys); i++) {
		if (strcmp(key, text_keys[i].key) == 0) {
			*field_r = text_keys[i].field;
			return 0;
		}
	}
	return -1;
}

/* Checks the filter and runs its text searches. Returns 0, or -1 after
 * an error response. */
static int filter_compile(struct jmap_call_ctx *c, struct jmap_ctx *ctx,
                          json_t *filter, struct query_filter *qf,
                          unsigned depth)
{
	static const char *const keys[] = {
	    "inMailbox", "inMailboxOtherThan", "before", "after", "minSize",
	    "maxSize", "hasKeyword", "notKeyword", "text", "from", "to", "cc",
	    "bcc", "subject", "body", NULL};
	if (filter == NULL)
		return 0;
	if (!json_is_object(filter) || depth > 10) {
		jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "bad filter");
		return -1;
	}
	json_t *op = json_object_get(filter, "operator");
	if (op != NULL) {
		json_t *conds = json_object_get(filter, "conditions");
		if (!json_is_string(op) || !json_is_array(conds)) {
			jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "bad operator");
			return -1;
		}
		size_t i;
		json_t *sub;
		json_array_foreach(conds, i, sub)
		{
			if (filter_compile(c, ctx, sub, qf, depth + 1) < 0)
				return -1;
		}
		return 0;
	}
	const char *key;
	json_t *v;
	json_object_foreach(filter, key, v)
	{
		if (!jmap_str_in(key, keys)) {
			jmap_error(c, JMAP_ERR_UNSUPPORTED_FILTER, "%s", key);
			return -1;
		}
		if (qf->count == sizeof(qf->conds) / sizeof(*qf->conds)) {
			jmap_error(c, JMAP_ERR_UNSUPPORTED_FILTER,
			           "too many conditions");
			return -1;
		}
		struct cond *cd = &qf->conds[qf->count++];
		memset(cd, 0, sizeof(*cd));
		cd->key = key;
		cd->value = v;
		enum store_mime_field field;
		if (text_field(key, &field) < 0)
			continue;
		if (!json_is_string(v)) {
			jmap_error(c, JMAP_ERR_INVALID_ARGUMENTS, "%s", key);
			return -1;
		}
		if (search_all(ctx, field, json_string_value(v), &cd->hits) <
		    0) {
			jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
			return -1;
		}
		if (cd->hits.count > 0)
			qsort(cd->hits.keys, cd->hits.count, sizeof(uint64_t),
			      key_cmp);
	}
	return 0;
}

static void filter_free(struct query_filter *qf)
{
	for (size_t i = 0; i < qf->count; i++)
		free(qf->conds[i].hits.keys);
}

static bool keyword_has(const struct store_jmap_item *it, const char *kw)
{
	static const struct {
		const char *kw;
		uint32_t flag;
	} sys[] = {{"$seen", STORE_FLAG_SEEN},
	           {"$answered", STORE_FLAG_ANSWERED},
	           {"$flagged", STORE_FLAG_FLAGGED},
	           {"$draft", STORE_FLAG_DRAFT}};
	for (size_t i = 0; i < sizeof(sys) / sizeof(*sys); i++) {
		if (strcasecmp(kw, sys[i].kw) == 0)
			return (it->flags & sys[i].flag) != 0;
	}
	size_t len = strlen(kw);
	for (const char *p = it->keywords; *p != '\0';) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == len && strncasecmp(p, kw, len) == 0)
			return true;
		p += n;
	}
	return false;
}

static const struct cond *cond_find(const struct query_filter *qf,
                                    json_t *value)
{
	for (size_t i = 0; i < qf->count; i++) {
		if (qf->conds[i].value == value)
			return &qf->conds[i];
	}
	return NULL;
}

static bool cond_match(const struct query_filter *qf, const char *key,
                       json_t *v, const struct store_jmap_item *it)
{
	int64_t id;
	time_t t;
	if (strcmp(key, "inMailbox") == 0)
		return jmap_mailbox_id_parse(json_string_value(v), &id) == 0 &&
		       id == it->mailbox_id;
	if (strcmp(key, "inMailboxOtherThan") == 0) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m)
		{
			if (jmap_mailbox_id_parse(json_string_value(m), &id) ==
			        0 &&
			    id == it->mailbox_id)
				return false;
		}
		return true;
	}
	if (strcmp(key, "before") == 0 || strcmp(key, "after") == 0) {
		if (!json_is_string(v) ||
		    jmap_date_parse_rfc3339(json_string_value(v), &t) < 0)
			return false;
		return key[0] == 'b' ? it->received < t : it->received >= t;
	}
	if (strcmp(key, "minSize") == 0)
		return json_is_integer(v) &&
		       it->size >= (uint64_t)json_integer_value(v);
	if (strcmp(key, "maxSize") == 0)
		return json_is_integer(v) &&
		       it->size < (uint64_t)json_integer_value(v);
	if (strcmp(key, "hasKeyword") == 0)
		return json_is_string(v) && keyword_has(it, json_string_value(v));
	if (strcmp(key, "notKeyword") == 0)
		return json_is_string(v) &&
		       !keyword_has(it, json_string_value(v));
	const struct cond *cd = cond_find(qf, v);
	uint64_t k = ((uint64_t)it->mailbox_id << 32) | it->uid;
	return cd != NULL && cd->hits.count > 0 && bsearch(&k, cd->hits.keys, cd->hits.count,
	                             sizeof(uint64_t), key_cmp) != NULL;
}

static bool filter_match(const struct query_filter *qf, json_t *filter,
                         const struct store_jmap_item *it)
{
	if (filter == NULL)
		return true;
	json_t *op = json_object_get(filter, "operator");
	if (op != NULL) {
		const char *o = json_string_value(op);
		json_t *conds = json_object_get(filter, "conditions");
		bool is_and = strcmp(o, "AND") == 0, is_or = strcmp(o, "OR") == 0;
		size_t i;
		json_t *sub;
		json_array_foreach(conds, i, sub)
		{
			bool m = filter_match(qf, sub, it);
			if (is_and && !m)
				return false;
			if (is_or && m)
				return true;
			if (!is_and && !is_or && m) /* NOT */
				return false;
		}
		return !is_or;
	}
	const char *key;
	json_t *v;
	json_object_foreach(filter, key, v)
	{
		if (!cond_match(qf, key, v, it))
			return false;
	}
	return true;
}

/* A set of strings (guids, thread ids as text) for deduplication. */
struct strset {
	char **slots;
	size_t cap, count;
};

static bool strset_add(struct strset *s, const char *str)
{
	if (s->count * 2 >= s->cap) {
		struct strset n = {.cap = s->cap == 0 ? 256 : s->cap * 2};
		n.slots = calloc(n.cap, sizeof(*n.slots));
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slots[i] != NULL) {
				size_t h = 5381;
				for (const char *p = s->slots[i]; *p; p++)
					h = h * 33 + (unsigned char)*p;
				size_t k = h & (n.cap - 1);
				while (n.slots[k] != NULL)
					k = (k + 1) & (n.cap - 1);
				n.slots[k] = s->slots[i];
			}
		}
		free(s->slots);
		n.count = s->count;
		*s = n;
	}
	size_t h = 5381;
	for (const char *p = str; *p; p++)
		h = h * 33 + (unsigned char)*p;
	size_t k = h & (s->cap - 1);
	while (s->slots[k] != NULL) {
		if (strcmp(s->slots[k], str) == 0)
			return false;
		k = (k + 1) & (s->cap - 1);
	}
	s->slots[k] = strdup(str);
	s->count++;
	return true;
}

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
}

struct query_run {
	const struct query_filter *qf;
	json_t *filter;
	bool collapse;
	size_t stop_after; /* 0: never */
	struct strset emails, threads;
	json_t *ids;
	json_t *sizes; /* for a size sort: parallel array */
};

static int query_cb(const struct store_jmap_item *it, void *context)
{
	struct query_run *r = context;
	if (!filter_match(r->qf, r->filter, it))
		return 0;
	if (!strset_add(&r->emails, it->guid))
		return 0;
	char tid[32];
	snprintf(tid, sizeof(tid), "%lld", (long long)it->thread_id);
	if (r->collapse && !strset_add(&r->threads, tid))
		return 0;
	json_array_append_new(r->ids, json_sprintf("e%s", it->guid));
	if (r->sizes != NULL)
		json_array_append_new(r->sizes, json_integer((json_int_t)it->size));
	return r->stop_after != 0 && json_array_size(r->ids) >= r->stop_after;
}

/* Sorts ids by sizes (a stable insertion of an index array). */
static json_t *sort_by_size(json_t *ids, json_t *sizes, bool ascending)
{
	size_t n = json_array_size(ids);
	size_t *idx = malloc((n + 1) * sizeof(*idx));
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = 1; i < n; i++) { /* merge-free stable sort */
		size_t k = idx[i], j = i;
		json_int_t sk = json_integer_value(json_array_get(sizes, k));
		while (j > 0) {
			json_int_t sj =
			    json_integer_value(json_array_get(sizes, idx[j - 1]));
			if (ascending ? sj <= sk : sj >= sk)
				break;
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = k;
	}
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(out, json_array_get(ids, idx[i]));
	free(idx);
	json_decref(ids);
	return out;
}

/* The whole result of an Email query (filter, sort, collapseThreads),
 * walking no further than stop_after rows when it is not 0. Returns 0
 * with *ids_r (new reference), or -1 after an error response. */
static int email_query_ids(struct jmap_call_ctx *c, struct jmap_ctx *ctx,
                           json_t *filter, json_t *sort, bool collapse,
                           size_t stop_after, json_t **ids_r)
{
	bool by_size = false, ascending = false;
	if (json_array_size(sort) > 1) {
		jmap_error(c, JMAP_ERR_UNSUPPORTED_SORT, "one sort key only");
		return -1;
	}
	json_t *s = json_array_get(sort, 0);
	if (s != NULL) {
		const char *prop =
		    json_string_value(json_object_get(s, "property"));
		json_t *asc = json_object_get(s, "isAscending");
		ascending = asc == NULL || json_is_true(asc);
		if (prop == NULL || (strcmp(prop, "receivedAt") != 0 &&
		                     strcmp(prop, "size") != 0)) {
			jmap_error(c, JMAP_ERR_UNSUPPORTED_SORT, "%s",
			           prop != NULL ? prop : "");
			return -1;
		}
		by_size = strcmp(prop, "size") == 0;
	}
	struct query_filter qf = {.count = 0};
	if (filter_compile(c, ctx, filter, &qf, 0) < 0) {
		filter_free(&qf);
		return -1;
	}
	struct query_run r = {.qf = &qf,
	                      .filter = filter,
	                      .collapse = collapse,
	                      .ids = json_array(),
	                      .sizes = by_size ? json_array() : NULL};
	if (!by_size)
		r.stop_after = stop_after;
	/* walk one mailbox when the filter names it at the top */
	int64_t box = 0;
	json_t *in = filter != NULL ? json_object_get(filter, "inMailbox")
	                            : NULL;
	if (in != NULL && jmap_mailbox_id_parse(json_string_value(in), &box) < 0)
		box = -1; /* no such mailbox: nothing matches */
	int ret = box < 0 ? 0
	                  : store_jmap_email_walk(ctx->account, box,
	                                          by_size || !ascending,
	                                          query_cb, &r);
	filter_free(&qf);
	strset_free(&r.emails);
	strset_free(&r.threads);
	if (ret < 0) {
		json_decref(r.ids);
		json_decref(r.sizes);
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return -1;
	}
	if (by_size)
		r.ids = sort_by_size(r.ids, r.sizes, ascending);
	json_decref(r.sizes);
	*ids_r = r.ids;
	return 0;
}

void jmap_email_query(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const extra[] = {"collapseThreads", NULL};
	struct jmap_query q;
	bool collapse;
	if (jmap_query_parse(c, args, extra, &q) < 0 ||
	    jmap_arg_bool(c, args, "collapseThreads", false, &collapse) < 0)
		return;
	struct jmap_ctx *ctx = jmap_server_account(c, q.account_id);
	if (ctx == NULL)
		return;
	const char *state = jmap_state_str(c, STORE_JMAP_EMAIL);
	if (state == NULL) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	size_t stop_after = 0;
	if (!q.calculate_total && q.anchor == NULL && q.position >= 0 &&
	    q.has_limit)
		stop_after = (size_t)(q.position + (int64_t)q.limit);
	json_t *ids;
	if (email_query_ids(c, ctx, q.filter, q.sort, collapse, stop_after,
	                    &ids) < 0)
		return;
	jmap_query_reply(c, &q, ids, state, true);
}

struct changed_ctx {
	json_t *ids;
	char prefix;
	json_t *threads; /* changed thread ids (numbers as text), or NULL */
};

static void changed_cb(enum store_jmap_change change, const char *id,
                       bool is_counts_only, void *context)
{
	struct changed_ctx *ch = context;
	(void)change;
	(void)is_counts_only;
	if (ch->threads != NULL)
		json_array_append_new(ch->threads, json_string(id));
	else
		json_array_append_new(ch->ids,
		                      json_sprintf("%c%s", ch->prefix, id));
}

/* §5.6 over the Email changes since (and, collapsing threads, the Emails
 * of every thread that changed: its first Email may be another now). */
void jmap_email_query_changes(struct jmap_call_ctx *c, json_t *args)
{
	static const char *const extra[] = {"collapseThreads", NULL};
	struct jmap_query_changes qc;
	bool collapse;
	if (jmap_query_changes_parse(c, args, extra, &qc) < 0 ||
	    jmap_arg_bool(c, args, "collapseThreads", false, &collapse) < 0)
		return;
	struct jmap_ctx *ctx = jmap_server_account(c, qc.account_id);
	if (ctx == NULL)
		return;
	char *end;
	unsigned long long since = strtoull(qc.since, &end, 10);
	const char *state = jmap_state_str(c, STORE_JMAP_EMAIL);
	if (state == NULL) {
		jmap_error(c, JMAP_ERR_SERVER_FAIL, NULL);
		return;
	}
	struct changed_ctx ch = {.ids = json_array(), .prefix = 'e'};
	uint64_t upto;
	bool more;
	int ret = qc.since[0] < '0' || qc.since[0] > '9' || *end != '\0'
	              ? 1
	              : store_jmap_changes(ctx->account, STORE_JMAP_EMAIL,
	                                   since, 0, changed_cb, &ch, &upto,
	                                   &more);
	if (ret == 0 && collapse) {
		ch.threads = json_array();
		/* one change counter: a state past the threads' last change
		   means no thread changed since */
		ret = store_jmap_changes(ctx->account, STORE_JMAP_THREAD, since,
		                         0, changed_cb, &ch, &upto, &more);
		if (ret == 1)
			ret = 0;
		size_t i;
		json_t *t;
		json_array_foreach(ch.threads, i, t)
		{
			const char **guids;
			size_t count;
			if (ret == 0 &&
			    store_jmap_thread_get(
			        ctx->account, strtoll(json_string_value(t), NULL, 10),
			        ctx->pool, &guids, &count) > 0)
				for (size_t k = 0; k < count; k++)
					json_array_append_new(
					    ch.ids, json_sprintf("e%s", guids[k]));
		}
		json_decref(ch.threads);
	}
	json_t *ids;
	if (ret != 0) {
		json_decref(ch.ids);
		jmap_error(c, ret > 0 ? JMAP_ERR_CANNOT_CALCULATE_CHANGES
		                      : JMAP_ERR_SERVER_FAIL,
		           NULL);
		return;
	}
	if (email_query_ids(c, ctx, qc.filter, qc.sort, collapse, 0, &ids) < 0) {
		json_decref(ch.ids);
		return;
	}
	jmap_query_changes_reply(c, &qc, ids, ch.ids, state);
}
