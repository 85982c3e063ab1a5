/* SEARCH and UID SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4): every search
 * key of both, CHARSET UTF-8/US-ASCII, MODSEQ (RFC 7162 §3.1.5), and the
 * ESEARCH answer (RFC 4731, RFC 9051 §7.3.4) with RETURN (MIN MAX COUNT
 * ALL) or for IMAP4rev2 clients. Header and text keys decode the message
 * through lib/mime and match case-insensitively as substrings.
 * XXX: the text is extracted from the blob per SEARCH, not from an FTS5
 * index: linear in the mailbox size. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_seqset.h"
#include "imapd.h"
#include "mime/mime.h"
#include "mime/mime_text.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SEARCH_DEPTH_MAX 32

enum key_kind {
	KEY_ALL,
	KEY_NONE,
	KEY_FLAG,
	KEY_UNFLAG,
	KEY_KEYWORD,
	KEY_UNKEYWORD,
	KEY_FROM,
	KEY_TO,
	KEY_CC,
	KEY_BCC,
	KEY_SUBJECT,
	KEY_HEADER,
	KEY_BODY,
	KEY_TEXT,
	KEY_BEFORE,
	KEY_ON,
	KEY_SINCE,
	KEY_SENTBEFORE,
	KEY_SENTON,
	KEY_SENTSINCE,
	KEY_LARGER,
	KEY_SMALLER,
	KEY_UID,
	KEY_SEQ,
	KEY_NOT,
	KEY_OR,
	KEY_AND,
	KEY_MODSEQ,
	KEY_NEW, /* \Recent and not \Seen */
};

struct search_key {
	enum key_kind kind;
	uint32_t flag;
	const char *str, *field;
	uint64_t num;
	struct imap_seqset set;
	struct search_key *a, *b; /* NOT: a; OR: a, b; AND: list via next */
	struct search_key *next;
	/* TEXT, BODY, FROM, TO, CC, SUBJECT: the matching UIDs, ascending,
	 * from the account's full-text index (search_index) */
	bool has_hits;
	uint32_t *hits;
	size_t hit_count, hit_cap;
};

struct search_msg {
	uint32_t uid, seq, flags;
	uint64_t modseq, size;
	time_t internal_date;
	const char *keywords, *blob_id;
	/* loaded on demand */
	bool is_loaded;
	struct buf data;
	struct pool *pool;
	struct mime_part *root;
	struct mime_text text;
};

struct search_parser {
	struct imapd_cmd *cmd;
	const struct imap_arg *arg;
	bool has_modseq;
	unsigned depth;
};

static const struct {
	const char *name;
	enum key_kind kind;
	uint32_t flag;
} flag_keys[] = {
    {"ANSWERED", KEY_FLAG, STORE_FLAG_ANSWERED},
    {"DELETED", KEY_FLAG, STORE_FLAG_DELETED},
    {"DRAFT", KEY_FLAG, STORE_FLAG_DRAFT},
    {"FLAGGED", KEY_FLAG, STORE_FLAG_FLAGGED},
    {"SEEN", KEY_FLAG, STORE_FLAG_SEEN},
    {"OLD", KEY_UNFLAG, IMAPD_FLAG_RECENT},
    {"ALL", KEY_ALL, 0},
    {"NEW", KEY_NEW, 0},
    {"RECENT", KEY_FLAG, IMAPD_FLAG_RECENT},
    {"UNANSWERED", KEY_UNFLAG, STORE_FLAG_ANSWERED},
    {"UNDELETED", KEY_UNFLAG, STORE_FLAG_DELETED},
    {"UNDRAFT", KEY_UNFLAG, STORE_FLAG_DRAFT},
    {"UNFLAGGED", KEY_UNFLAG, STORE_FLAG_FLAGGED},
    {"UNSEEN", KEY_UNFLAG, STORE_FLAG_SEEN},
};

static const struct {
	const char *name;
	enum key_kind kind;
} str_keys[] = {
    {"FROM", KEY_FROM}, {"TO", KEY_TO},           {"CC", KEY_CC},
    {"BCC", KEY_BCC},   {"SUBJECT", KEY_SUBJECT}, {"BODY", KEY_BODY},
    {"TEXT", KEY_TEXT}, {"KEYWORD", KEY_KEYWORD}, {"UNKEYWORD", KEY_UNKEYWORD},
};

static const struct {
	const char *name;
	enum key_kind kind;
} date_keys[] = {
    {"BEFORE", KEY_BEFORE}, {"ON", KEY_ON},
    {"SINCE", KEY_SINCE},   {"SENTBEFORE", KEY_SENTBEFORE},
    {"SENTON", KEY_SENTON}, {"SENTSINCE", KEY_SENTSINCE},
};

/* date = date-text / DQUOTE date-text DQUOTE
 * date-text = date-day "-" date-month "-" date-year. Returns the day
 * number (days since 1970-01-01 UTC) or -1. */
static long date_parse(const char *s)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
	                                     "May", "Jun", "Jul", "Aug",
	                                     "Sep", "Oct", "Nov", "Dec"};
	int day, year, used = 0;
	char mon[4];
	if (sscanf(s, "%2d-%3c-%4d%n", &day, mon, &year, &used) != 3 ||
	    s[used] != '\0' || day < 1 || day > 31 || year < 1900)
		return -1;
	mon[3] = '\0';
	for (int m = 0; m < 12; m++) {
		if (strcasecmp(mon, months[m]) != 0)
			continue;
		struct tm tm = {
		    .tm_year = year - 1900, .tm_mon = m, .tm_mday = day};
		return (long)(timegm(&tm) / 86400);
	}
	return -1;
}

static struct search_key *key_new(struct search_parser *sp, enum key_kind k)
{
	struct search_key *key = pool_alloc(sp->cmd->pool, sizeof(*key));
	key->kind = k;
	return key;
}

static const char *next_string(struct search_parser *sp)
{
	const char *s;
	if (sp->arg == NULL || !imap_arg_get_astring(sp->arg, &s))
		return NULL;
	sp->arg = sp->arg->next;
	return s;
}

/* "$" as a search key (RFC 5182 §2.2): the saved result's UIDs; an empty
 * result matches nothing (NOT ALL). */
static struct search_key *key_saved(struct search_parser *sp,
                                   struct search_key *key)
{
	const struct imapd_mailbox *box = sp->cmd->client->box;
	if (box->saved_count == 0) {
		key->kind = KEY_NOT;
		key->a = key_new(sp, KEY_ALL);
		return key;
	}
	struct buf set;
	buf_init(&set);
	imap_seqset_write(&set, box->saved_uids, box->saved_count);
	int ret = imap_seqset_parse(pool_strdup(sp->cmd->pool, set.data),
	                            sp->cmd->pool, &key->set);
	buf_deinit(&set);
	return ret > 0 ? key : NULL;
}

static struct search_key *search_parse_key(struct search_parser *sp);

/* search-key = "ALL" / "ANSWERED" / ... / "(" search-key *(SP search-key)
 *              ")" / sequence-set / "UID" SP sequence-set / "NOT" SP key /
 *              "OR" SP key SP key / "MODSEQ" [...] SP mod-sequence-valzer */
static struct search_key *search_parse_atom(struct search_parser *sp,
                                            const char *s)
{
	struct search_key *key;
	for (size_t i = 0; i < sizeof(flag_keys) / sizeof(*flag_keys); i++)
		if (strcasecmp(s, flag_keys[i].name) == 0) {
			key = key_new(sp, flag_keys[i].kind);
			key->flag = flag_keys[i].flag;
			return key;
		}
	for (size_t i = 0; i < sizeof(str_keys) / sizeof(*str_keys); i++)
		if (strcasecmp(s, str_keys[i].name) == 0) {
			key = key_new(sp, str_keys[i].kind);
			return (key->str = next_string(sp)) != NULL ? key
			                                            : NULL;
		}
	for (size_t i = 0; i < sizeof(date_keys) / sizeof(*date_keys); i++)
		if (strcasecmp(s, date_keys[i].name) == 0) {
			key = key_new(sp, date_keys[i].kind);
			const char *d = next_string(sp);
			long day = d != NULL ? date_parse(d) : -1;
			key->num = (uint64_t)day;
			return day >= 0 ? key : NULL;
		}
	if (strcasecmp(s, "HEADER") == 0) {
		key = key_new(sp, KEY_HEADER);
		key->field = next_string(sp);
		key->str = next_string(sp);
		return key->field != NULL && key->str != NULL ? key : NULL;
	}
	if (strcasecmp(s, "LARGER") == 0 || strcasecmp(s, "SMALLER") == 0 ||
	    strcasecmp(s, "MODSEQ") == 0) {
		key = key_new(
		    sp, toupper((unsigned char)s[0]) == 'L'   ? KEY_LARGER
		        : toupper((unsigned char)s[0]) == 'S' ? KEY_SMALLER
		                                              : KEY_MODSEQ);
		if (key->kind == KEY_MODSEQ) {
			sp->has_modseq = true;
			/* entry-name SP entry-type-req are ignored */
			if (sp->arg != NULL && sp->arg->type == IMAP_ARG_QUOTED)
				sp->arg =
				    sp->arg->next ? sp->arg->next->next : NULL;
		}
		if (!imap_arg_get_number64(sp->arg, &key->num))
			return NULL;
		sp->arg = sp->arg->next;
		return key;
	}
	if (strcasecmp(s, "UID") == 0) {
		key = key_new(sp, KEY_UID);
		const char *set = next_string(sp);
		if (set != NULL && strcmp(set, "$") == 0)
			return key_saved(sp, key);
		return set != NULL && imap_seqset_parse(set, sp->cmd->pool,
		                                        &key->set) > 0
		           ? key
		           : NULL;
	}
	if (strcmp(s, "$") == 0)
		return key_saved(sp, key_new(sp, KEY_UID));
	if (strcasecmp(s, "NOT") == 0) {
		key = key_new(sp, KEY_NOT);
		return (key->a = search_parse_key(sp)) != NULL ? key : NULL;
	}
	if (strcasecmp(s, "OR") == 0) {
		key = key_new(sp, KEY_OR);
		if ((key->a = search_parse_key(sp)) == NULL)
			return NULL;
		return (key->b = search_parse_key(sp)) != NULL ? key : NULL;
	}
	key = key_new(sp, KEY_SEQ);
	return imap_seqset_parse(s, sp->cmd->pool, &key->set) > 0 ? key : NULL;
}

static struct search_key *search_parse_list(struct search_parser *sp,
                                            const struct imap_arg *list)
{
	struct search_key *and = key_new(sp, KEY_AND), **tail = &and->a;
	const struct imap_arg *saved = sp->arg;
	sp->arg = list;
	while (sp->arg != NULL) {
		struct search_key *k = search_parse_key(sp);
		if (k == NULL)
			return NULL;
		*tail = k;
		tail = &k->next;
	}
	sp->arg = saved;
	return and;
}

static struct search_key *search_parse_key(struct search_parser *sp)
{
	const struct imap_arg *a = sp->arg;
	if (a == NULL || ++sp->depth > SEARCH_DEPTH_MAX)
		return NULL;
	sp->arg = a->next;
	struct search_key *key;
	if (a->type == IMAP_ARG_LIST)
		key = a->count > 0 ? search_parse_list(sp, a->list) : NULL;
	else
		key = a->type == IMAP_ARG_ATOM ? search_parse_atom(sp, a->str)
		                               : NULL;
	sp->depth--;
	return key;
}

static void search_resolve(struct search_key *k, struct imapd_mailbox *box)
{
	for (; k != NULL; k = k->next) {
		if (k->kind == KEY_SEQ)
			imap_seqset_resolve(&k->set, (uint32_t)box->count);
		if (k->kind == KEY_UID)
			imap_seqset_resolve(
			    &k->set,
			    box->count > 0 ? box->uids[box->count - 1] : 0);
		search_resolve(k->a, box);
		if (k->kind != KEY_AND)
			search_resolve(k->b, box);
	}
}

/* Loads, parses and extracts the text of m. Returns 0 or -1. */
static int search_load(struct imapd_client *c, struct search_msg *m)
{
	if (m->is_loaded)
		return 0;
	int fd = store_blob_open(c->imapd->store, m->blob_id);
	if (fd < 0)
		return -1;
	buf_init(&m->data);
	for (;;) {
		buf_reserve(&m->data, 65536);
		ssize_t n = read(fd, m->data.data + m->data.len,
		                 m->data.cap - m->data.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		m->data.len += (size_t)n;
	}
	close(fd);
	m->data.data[m->data.len] = '\0';
	struct mime_settings ms;
	mime_settings_init(&ms);
	m->pool = pool_new();
	m->root = mime_parse((const unsigned char *)m->data.data, m->data.len,
	                     &ms, m->pool);
	mime_text_init(&m->text);
	mime_text_extract((const unsigned char *)m->data.data, m->root, 0,
	                  &m->text);
	m->is_loaded = true;
	return 0;
}

static void search_unload(struct search_msg *m)
{
	if (!m->is_loaded)
		return;
	mime_text_deinit(&m->text);
	pool_free(&m->pool);
	buf_deinit(&m->data);
	m->is_loaded = false;
}

static bool keyword_has(const char *list, const char *kw)
{
	size_t len = strlen(kw);
	for (const char *p = list; *p != '\0';) {
		const char *end = strchr(p, ' ');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n == len && strncasecmp(p, kw, len) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

static int search_match(struct imapd_client *c, const struct search_key *k,
                        struct search_msg *m);

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Keys that need the message. Returns 1 match, 0 no, -1 error. */
static int search_match_text(struct imapd_client *c, const struct search_key *k,
                             struct search_msg *m)
{
	if (k->has_hits)
		return k->hit_count > 0 &&
		       bsearch(&m->uid, k->hits, k->hit_count, sizeof(uint32_t),
		               uid_cmp) != NULL;
	if (search_load(c, m) < 0)
		return -1;
	const unsigned char *data = (const unsigned char *)m->data.data;
	const char *v;
	switch (k->kind) {
	/* FROM, TO, CC, BCC: the address lists as ENVELOPE parses them;
	 * HEADER: every field of that name, decoded (mime_text.h) */
	case KEY_FROM:
		return mime_text_contains(m->text.from.data, k->str);
	case KEY_TO:
		return mime_text_contains(m->text.to.data, k->str);
	case KEY_CC:
		return mime_text_contains(m->text.cc.data, k->str);
	case KEY_BCC:
		return mime_text_contains(m->text.bcc.data, k->str);
	case KEY_SUBJECT:
		return mime_text_contains(m->text.subject.data, k->str);
	case KEY_HEADER:
		return mime_text_header_contains(data, m->root, k->field,
		                                 k->str);
	case KEY_BODY:
		return mime_text_contains(m->text.body.data, k->str);
	case KEY_TEXT:
		return mime_text_contains(m->text.header.data, k->str) ||
		       mime_text_contains(m->text.body.data, k->str);
	default: {
		/* SENT*: the Date: header, by day in UTC */
		v = mime_header_get(data, m->root, "Date", m->pool);
		const char *p = v != NULL ? v : "";
		if (strchr(p, ',') != NULL)
			p = strchr(p, ',') + 1;
		int d, y;
		char mon[4], text[16];
		if (v == NULL || sscanf(p, " %2d %3s %4d", &d, mon, &y) != 3)
			return 0;
		snprintf(text, sizeof(text), "%d-%s-%d", d, mon, y);
		long day = date_parse(text);
		if (day < 0)
			return 0;
		long want = (long)k->num;
		return k->kind == KEY_SENTBEFORE ? day < want
		       : k->kind == KEY_SENTON   ? day == want
		                                 : day >= want;
	}
	}
}

static int search_match(struct imapd_client *c, const struct search_key *k,
                        struct search_msg *m)
{
	long day = (long)(m->internal_date / 86400);
	int r;
	switch (k->kind) {
	case KEY_ALL:
		return 1;
	case KEY_NONE:
		return 0;
	case KEY_FLAG:
		return (m->flags & k->flag) != 0;
	case KEY_UNFLAG:
		return (m->flags & k->flag) == 0;
	case KEY_NEW:
		return (m->flags & (IMAPD_FLAG_RECENT | STORE_FLAG_SEEN)) ==
		       IMAPD_FLAG_RECENT;
	case KEY_KEYWORD:
		return keyword_has(m->keywords, k->str);
	case KEY_UNKEYWORD:
		return !keyword_has(m->keywords, k->str);
	case KEY_BEFORE:
		return day < (long)k->num;
	case KEY_ON:
		return day == (long)k->num;
	case KEY_SINCE:
		return day >= (long)k->num;
	case KEY_LARGER:
		return m->size > k->num;
	case KEY_SMALLER:
		return m->size < k->num;
	case KEY_MODSEQ:
		return m->modseq >= k->num;
	case KEY_UID:
		return imap_seqset_contains(&k->set, m->uid);
	case KEY_SEQ:
		return imap_seqset_contains(&k->set, m->seq);
	case KEY_NOT:
		r = search_match(c, k->a, m);
		return r < 0 ? -1 : !r;
	case KEY_OR:
		r = search_match(c, k->a, m);
		return r != 0 ? r : search_match(c, k->b, m);
	case KEY_AND:
		for (const struct search_key *i = k->a; i != NULL;
		     i = i->next) {
			r = search_match(c, i, m);
			if (r <= 0)
				return r;
		}
		return 1;
	default:
		return search_match_text(c, k, m);
	}
}

struct search_run {
	struct imapd_cmd *cmd;
	struct search_key *root;
	uint32_t *hits; /* UIDs or sequence numbers, ascending */
	size_t n;
	uint64_t max_modseq;
	int error;
	imapd_search_hit_cb *hit_cb; /* SORT, THREAD: instead of hits */
	void *hit_ctx;
};

static int search_cb(const struct store_message *msg, void *ctx)
{
	struct search_run *sr = ctx;
	struct imapd_client *c = sr->cmd->client;
	struct search_msg m = {
	    .uid = msg->uid,
	    .seq = imapd_mailbox_seq(c->box, msg->uid),
	    .flags = imapd_mailbox_flags(c, msg->uid, msg->flags),
	    .modseq = msg->modseq,
	    .size = msg->size,
	    .internal_date = msg->internal_date,
	    .keywords = msg->keywords,
	    .blob_id = msg->blob_id,
	};
	if (m.seq == 0)
		return 0; /* arrived after the view: not yet announced */
	int r = search_match(c, sr->root, &m);
	search_unload(&m);
	if (r < 0) {
		sr->error = -1;
		return -1;
	}
	if (r > 0 && sr->hit_cb != NULL) {
		if (sr->hit_cb(msg, m.seq, sr->hit_ctx) < 0) {
			sr->error = -1;
			return -1;
		}
	} else if (r > 0) {
		sr->hits[sr->n++] = sr->cmd->is_uid ? m.uid : m.seq;
		if (m.modseq > sr->max_modseq)
			sr->max_modseq = m.modseq;
	}
	return 0;
}

#define RETURN_MIN (1u << 0)
#define RETURN_MAX (1u << 1)
#define RETURN_ALL (1u << 2)
#define RETURN_COUNT (1u << 3)
#define RETURN_SAVE (1u << 4)

/* search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP ...)]
 * ")"; search-return-opt = "MIN" / "MAX" / "ALL" / "COUNT" / "SAVE" */
static int search_return(const struct imap_arg **a, unsigned *opts_r)
{
	*opts_r = 0;
	if (!imap_arg_atom_equals(*a, "RETURN"))
		return 0;
	const struct imap_arg *l = (*a)->next;
	if (l == NULL || l->type != IMAP_ARG_LIST)
		return -1;
	static const char *const names[] = {"MIN", "MAX", "ALL", "COUNT",
	                                    "SAVE"};
	for (const struct imap_arg *o = l->list; o != NULL; o = o->next) {
		size_t i = 0;
		while (i < 5 && !imap_arg_atom_equals(o, names[i]))
			i++;
		if (i == 5)
			return -1;
		*opts_r |= 1u << i;
	}
	if (*opts_r == 0)
		*opts_r = 1u << 2; /* RETURN () means ALL */
	*a = l->next;
	return 1;
}

/* Keeps the result as UIDs for "$": only MIN and/or MAX when those are
 * the only other options, else all of it (RFC 5182 §2.4). */
static void search_save(struct search_run *sr, unsigned opts)
{
	struct imapd_mailbox *box = sr->cmd->client->box;
	const uint32_t *hits = sr->hits;
	size_t n = sr->n;
	uint32_t pick[2];
	if (n > 0 && (opts & (RETURN_ALL | RETURN_COUNT)) == 0 &&
	    (opts & (RETURN_MIN | RETURN_MAX)) != 0) {
		size_t k = 0;
		if (opts & RETURN_MIN)
			pick[k++] = hits[0];
		if ((opts & RETURN_MAX) && (k == 0 || hits[n - 1] != pick[0]))
			pick[k++] = hits[n - 1];
		hits = pick;
		n = k;
	}
	free(box->saved_uids);
	box->saved_uids = xmalloc((n + 1) * sizeof(*box->saved_uids));
	for (size_t i = 0; i < n; i++)
		box->saved_uids[i] = sr->cmd->is_uid ? hits[i]
		                                     : box->uids[hits[i] - 1];
	box->saved_count = n;
}

static void search_reply(struct search_run *sr, bool is_esearch, unsigned opts,
                         bool has_modseq)
{
	struct imapd_cmd *cmd = sr->cmd;
	struct buf *out = &cmd->client->out;
	if (!is_esearch) {
		buf_append_str(out, "* SEARCH");
		for (size_t i = 0; i < sr->n; i++)
			buf_printf(out, " %u", sr->hits[i]);
		if (has_modseq && sr->n > 0)
			buf_printf(out, " (MODSEQ %llu)",
			           (unsigned long long)sr->max_modseq);
		buf_append_str(out, "\r\n");
		return;
	}
	buf_printf(out, "* ESEARCH (TAG \"%s\")%s", cmd->tag,
	           cmd->is_uid ? " UID" : "");
	if ((opts & 1u) && sr->n > 0)
		buf_printf(out, " MIN %u", sr->hits[0]);
	if ((opts & 2u) && sr->n > 0)
		buf_printf(out, " MAX %u", sr->hits[sr->n - 1]);
	if ((opts & 4u) && sr->n > 0) {
		buf_append_str(out, " ALL ");
		imap_seqset_write(out, sr->hits, sr->n);
	}
	if (opts & 8u)
		buf_printf(out, " COUNT %zu", sr->n);
	if (has_modseq && sr->n > 0)
		buf_printf(out, " MODSEQ %llu",
		           (unsigned long long)sr->max_modseq);
	buf_append_str(out, "\r\n");
}

struct hits_ctx {
	struct search_key *key;
	struct pool *pool;
};

static void hits_add_cb(uint32_t uid, void *ctx)
{
	struct hits_ctx *hc = ctx;
	struct search_key *k = hc->key;
	if (k->hit_count == k->hit_cap) {
		size_t cap = k->hit_cap == 0 ? 64 : k->hit_cap * 2;
		uint32_t *n = pool_alloc(hc->pool, cap * sizeof(*n));
		if (k->hit_count > 0)
			memcpy(n, k->hits, k->hit_count * sizeof(*n));
		k->hits = n;
		k->hit_cap = cap;
	}
	k->hits[k->hit_count++] = uid;
}

/* Answers the text keys of the tree from the account's full-text index
 * (SQLite FTS5, kept by deliver), so they need no blob. Returns 0 or -1. */
static int search_index(struct imapd_cmd *cmd, struct store_account *account,
                        struct search_key *k)
{
	for (; k != NULL; k = k->next) {
		int field = k->kind == KEY_TEXT      ? STORE_MIME_TEXT
		            : k->kind == KEY_BODY    ? STORE_MIME_BODY
		            : k->kind == KEY_FROM    ? STORE_MIME_FROM
		            : k->kind == KEY_TO      ? STORE_MIME_TO
		            : k->kind == KEY_CC      ? STORE_MIME_CC
		            : k->kind == KEY_SUBJECT ? STORE_MIME_SUBJECT
		                                     : -1;
		const char *error;
		if (field >= 0) {
			struct hits_ctx hc = {.key = k, .pool = cmd->pool};
			if (store_mime_search(account, cmd->client->box->name,
			                      (enum store_mime_field)field,
			                      k->str, hits_add_cb, &hc,
			                      &error) < 0) {
				log_error(&cmd->client->log, "search index: %s",
				          error);
				return -1;
			}
			if (k->hit_count > 1)
				qsort(k->hits, k->hit_count, sizeof(uint32_t),
				      uid_cmp);
			k->has_hits = true;
		}
		if (search_index(cmd, account, k->a) < 0 ||
		    (k->kind != KEY_AND &&
		     search_index(cmd, account, k->b) < 0))
			return -1;
	}
	return 0;
}

/* search = "SEARCH" [search-return-opts] [SP "CHARSET" SP charset]
 *          1*(SP search-key) */
void cmd_search(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const struct imap_arg *a = cmd->args;
	unsigned opts;
	int has_return = search_return(&a, &opts);
	if (has_return < 0) {
		imapd_cmd_bad(cmd, "Invalid RETURN options");
		return;
	}
	/* a failing SEARCH ... RETURN (SAVE) leaves "$" empty (RFC 5182
	 * §2.1): clear it now, the search fills it when it succeeds */
	if (opts & RETURN_SAVE)
		c->box->saved_count = 0;
	if (imap_arg_atom_equals(a, "CHARSET")) {
		const char *cs;
		if (a->next == NULL || !imap_arg_get_astring(a->next, &cs)) {
			imapd_cmd_bad(cmd, "CHARSET needs a name");
			return;
		}
		if (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "US-ASCII") != 0) {
			imapd_cmd_no(cmd, "[BADCHARSET (UTF-8 US-ASCII)] "
			                  "Unsupported charset");
			return;
		}
		a = a->next->next;
	}
	struct search_parser sp = {.cmd = cmd, .arg = a};
	struct search_key *root = a != NULL ? search_parse_list(&sp, a) : NULL;
	if (root == NULL) {
		imapd_cmd_bad(cmd, "Invalid search keys");
		return;
	}
	if (sp.has_modseq)
		imapd_condstore_enable(c);
	search_resolve(root, c->box);
	struct search_run sr = {
	    .cmd = cmd,
	    .root = root,
	    .hits =
	        pool_alloc(cmd->pool, (c->box->count + 1) * sizeof(*sr.hits)),
	};
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL ||
	    (c->box->count > 0 && search_index(cmd, account, root) < 0) ||
	    (c->box->count > 0 &&
	     store_message_list(account, c->box->name, c->box->uids[0],
	                        c->box->uids[c->box->count - 1], search_cb,
	                        &sr) < 0)) {
		imapd_cmd_fail(cmd, "search");
		return;
	}
	if (opts & RETURN_SAVE)
		search_save(&sr, opts);
	/* SAVE alone answers nothing but OK (RFC 9051 §6.4.4.1) */
	if (opts != RETURN_SAVE)
		search_reply(&sr, has_return > 0 || c->is_rev2,
		             has_return > 0 ? opts : 4u, sp.has_modseq);
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}

/* 1*(SP search-key), for SORT and THREAD (RFC 5256 §3) */
int imapd_search_each(struct imapd_cmd *cmd, const struct imap_arg *keys,
                      imapd_search_hit_cb *cb, void *ctx)
{
	struct imapd_client *c = cmd->client;
	struct search_parser sp = {.cmd = cmd, .arg = keys};
	struct search_key *root =
	    keys != NULL ? search_parse_list(&sp, keys) : NULL;
	if (root == NULL) {
		imapd_cmd_bad(cmd, "Invalid search keys");
		return -1;
	}
	if (sp.has_modseq)
		imapd_condstore_enable(c);
	search_resolve(root, c->box);
	struct search_run sr = {
	    .cmd = cmd, .root = root, .hit_cb = cb, .hit_ctx = ctx};
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL ||
	    (c->box->count > 0 && search_index(cmd, account, root) < 0) ||
	    (c->box->count > 0 &&
	     store_message_list(account, c->box->name, c->box->uids[0],
	                        c->box->uids[c->box->count - 1], search_cb,
	                        &sr) < 0)) {
		imapd_cmd_fail(cmd, "search");
		return -1;
	}
	return 0;
}

/* imapd_search_each() that also tells whether the keys hold MODSEQ (the
 * ESEARCH answers of cmd_esearch.c report the highest MODSEQ then). */
int imapd_search_run(struct imapd_cmd *cmd, const struct imap_arg *keys,
                     imapd_search_hit_cb *cb, void *ctx, bool *has_modseq_r)
{
	struct search_parser sp = {.cmd = cmd, .arg = keys};
	struct search_key *root =
	    keys != NULL ? search_parse_list(&sp, keys) : NULL;
	*has_modseq_r = sp.has_modseq;
	if (root == NULL) {
		imapd_cmd_bad(cmd, "Invalid search keys");
		return -1;
	}
	return imapd_search_each(cmd, keys, cb, ctx);
}
