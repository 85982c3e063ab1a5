/* FETCH and UID FETCH (RFC 9051 §6.4.5, §7.5.2; RFC 3501 §6.4.5 for the
 * RFC822* items): FLAGS, INTERNALDATE, RFC822.SIZE, UID, MODSEQ and
 * CHANGEDSINCE (RFC 7162 §3.1.4-5), VANISHED (§3.2.6), ENVELOPE, BODY,
 * BODYSTRUCTURE, BODY[section]<partial>, BODY.PEEK, RFC822, RFC822.HEADER,
 * RFC822.TEXT, BINARY[section], BINARY.PEEK, BINARY.SIZE (RFC 3516).
 * Message bytes are read from the blob (mapped to find the part tree with
 * lib/mime; a byte-range section is copied from the fd in chunks), and the
 * responses go out message by message, pausing while the connection's
 * output is full (the drained callback resumes). A non-PEEK body fetch
 * sets \Seen in a read-write mailbox. A NUL byte goes out only inside a
 * literal8 of BINARY; elsewhere it is sent as 0x80 (RFC 9051 §4.3). */
#include "core/conn.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imap/imap_write.h"
#include "imapd.h"
#include "mime/mime.h"
#include "mime/mime_imap.h"
#include "mime/mime_section.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum fetch_kind {
	FETCH_UID,
	FETCH_FLAGS,
	FETCH_INTERNALDATE,
	FETCH_SIZE,
	FETCH_MODSEQ,
	FETCH_ENVELOPE,
	FETCH_BODY, /* BODY without a section: non-extensible */
	FETCH_BODYSTRUCTURE,
	FETCH_SECTION, /* BODY[...], RFC822, RFC822.HEADER/TEXT */
	FETCH_BINARY,
	FETCH_BINARY_SIZE,
};

struct fetch_item {
	enum fetch_kind kind;
	const char *name; /* as echoed in the response, "BODY[HEADER]" */
	struct mime_section section;
	bool has_partial;
	uint64_t partial_offset, partial_len;
};

struct fetch_ctx {
	struct imapd_cmd *cmd;
	struct fetch_item *items;
	size_t count;
	/* needs_info: ENVELOPE, BODY or BODYSTRUCTURE, answered from the
	 * store's MIME cache without reading the blob; needs_blob: a section
	 * or BINARY, which read and parse the blob */
	bool needs_info, needs_blob, sets_seen, has_flags, has_uid, has_modseq;
	uint64_t changedsince;
	bool has_changedsince, has_vanished;
};

struct fetch_msg {
	uint32_t uid, flags;
	uint64_t modseq, size;
	time_t internal_date;
	const char *keywords, *blob_id;
};

static struct fetch_item *fetch_add(struct fetch_ctx *fc, enum fetch_kind k,
                                    const char *name)
{
	struct fetch_item *n =
	    pool_alloc(fc->cmd->pool, (fc->count + 1) * sizeof(*n));
	if (fc->count > 0)
		memcpy(n, fc->items, fc->count * sizeof(*n));
	fc->items = n;
	struct fetch_item *it = &n[fc->count++];
	it->kind = k;
	it->name = name;
	if (k == FETCH_UID)
		fc->has_uid = true;
	if (k == FETCH_FLAGS)
		fc->has_flags = true;
	if (k == FETCH_MODSEQ)
		fc->has_modseq = true;
	if (k == FETCH_ENVELOPE || k == FETCH_BODY || k == FETCH_BODYSTRUCTURE)
		fc->needs_info = true;
	else if (k > FETCH_BODYSTRUCTURE)
		fc->needs_blob = true;
	return it;
}

/* section = "[" [section-spec] "]" ["<" number "." nz-number ">"] after
 * BODY, BODY.PEEK, BINARY, BINARY.PEEK or BINARY.SIZE. */
static int fetch_section(struct fetch_ctx *fc, const char *atom,
                         const char *bracket, enum fetch_kind kind)
{
	const char *close = strchr(bracket, ']'), *error;
	if (close == NULL)
		return -1;
	struct fetch_item *it = fetch_add(fc, kind, NULL);
	if (mime_section_parse(bracket + 1, (size_t)(close - bracket - 1),
	                       fc->cmd->pool, &it->section, &error) < 0)
		return -1;
	const char *p = close + 1;
	if (*p == '<') {
		char *end;
		it->partial_offset = strtoull(p + 1, &end, 10);
		if (end == p + 1 || *end != '.')
			return -1;
		const char *q = end + 1;
		it->partial_len = strtoull(q, &end, 10);
		if (end == q || *end != '>' || end[1] != '\0' ||
		    it->partial_len == 0)
			return -1;
		it->has_partial = true;
	} else if (*p != '\0') {
		return -1;
	}
	/* echo "BODY[spec]", "BINARY[spec]" with <offset> only */
	(void)atom;
	const char *base = kind == FETCH_SECTION       ? "BODY"
	                   : kind == FETCH_BINARY_SIZE ? "BINARY.SIZE"
	                                               : "BINARY";
	it->name = it->has_partial
	               ? pool_printf(fc->cmd->pool, "%s%.*s<%llu>", base,
	                             (int)(close - bracket + 1), bracket,
	                             (unsigned long long)it->partial_offset)
	               : pool_printf(fc->cmd->pool, "%s%.*s", base,
	                             (int)(close - bracket + 1), bracket);
	return 0;
}

static const struct {
	const char *name;
	enum fetch_kind kind;
} simple_items[] = {
    {"UID", FETCH_UID},
    {"FLAGS", FETCH_FLAGS},
    {"INTERNALDATE", FETCH_INTERNALDATE},
    {"RFC822.SIZE", FETCH_SIZE},
    {"MODSEQ", FETCH_MODSEQ},
    {"ENVELOPE", FETCH_ENVELOPE},
    {"BODY", FETCH_BODY},
    {"BODYSTRUCTURE", FETCH_BODYSTRUCTURE},
};

/* fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822" [".HEADER"
 *   / ".TEXT"] / "RFC822.SIZE" / "BODY" ["STRUCTURE"] / "UID" /
 *   "BODY" section [partial] / "BODY.PEEK" section [partial] /
 *   "BINARY" [".PEEK"] section-binary [partial] / "BINARY.SIZE" ... */
static int fetch_item_parse(struct fetch_ctx *fc, const struct imap_arg *a)
{
	if (a->type != IMAP_ARG_ATOM)
		return -1;
	const char *s = a->str, *br = strchr(s, '[');
	for (size_t i = 0; i < sizeof(simple_items) / sizeof(*simple_items);
	     i++)
		if (br == NULL && strcasecmp(s, simple_items[i].name) == 0) {
			fetch_add(fc, simple_items[i].kind,
			          simple_items[i].name);
			return 0;
		}
	struct pool *pool = fc->cmd->pool;
	const char *spec = NULL, *name = NULL;
	bool seen = false;
	if (strcasecmp(s, "RFC822") == 0)
		spec = "", name = "RFC822", seen = true;
	else if (strcasecmp(s, "RFC822.HEADER") == 0)
		spec = "HEADER", name = "RFC822.HEADER";
	else if (strcasecmp(s, "RFC822.TEXT") == 0)
		spec = "TEXT", name = "RFC822.TEXT", seen = true;
	if (spec != NULL) {
		struct fetch_item *it = fetch_add(fc, FETCH_SECTION, name);
		const char *error;
		fc->sets_seen |= seen;
		return mime_section_parse(spec, strlen(spec), pool,
		                          &it->section, &error) < 0
		           ? -1
		           : 0;
	}
	if (br == NULL)
		return -1;
	size_t head = (size_t)(br - s);
	if (head == 4 && strncasecmp(s, "BODY", 4) == 0) {
		fc->sets_seen = true;
		return fetch_section(fc, s, br, FETCH_SECTION);
	}
	if (head == 9 && strncasecmp(s, "BODY.PEEK", 9) == 0)
		return fetch_section(fc, s, br, FETCH_SECTION);
	if (head == 6 && strncasecmp(s, "BINARY", 6) == 0) {
		fc->sets_seen = true;
		return fetch_section(fc, s, br, FETCH_BINARY);
	}
	if (head == 11 && strncasecmp(s, "BINARY.PEEK", 11) == 0)
		return fetch_section(fc, s, br, FETCH_BINARY);
	if (head == 11 && strncasecmp(s, "BINARY.SIZE", 11) == 0)
		return fetch_section(fc, s, br, FETCH_BINARY_SIZE);
	return -1;
}

/* fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
 *         fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
 */
static int fetch_parse(struct fetch_ctx *fc, const struct imap_arg *a)
{
	static const char *const macros[][5] = {
	    {"ALL", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
	    {"FAST", "FLAGS", "INTERNALDATE", "RFC822.SIZE", NULL},
	    {"FULL", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
	};
	if (a == NULL)
		return -1;
	for (size_t m = 0; m < 3; m++) {
		if (!imap_arg_atom_equals(a, macros[m][0]))
			continue;
		for (size_t i = 1; i < 5 && macros[m][i] != NULL; i++) {
			struct imap_arg tmp = {.type = IMAP_ARG_ATOM,
			                       .str = macros[m][i]};
			(void)fetch_item_parse(fc, &tmp);
		}
		if (m == 2)
			fetch_add(fc, FETCH_BODY, "BODY");
		return 0;
	}
	if (a->type != IMAP_ARG_LIST)
		return fetch_item_parse(fc, a);
	if (a->count == 0)
		return -1;
	for (const struct imap_arg *i = a->list; i != NULL; i = i->next)
		if (fetch_item_parse(fc, i) < 0)
			return -1;
	return 0;
}

/* fetch-modifier = "CHANGEDSINCE" SP mod-sequence-value / "VANISHED"
 * VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC (RFC 7162 §3.2.6). */
static int fetch_modifiers(struct fetch_ctx *fc, const struct imap_arg *a)
{
	if (a == NULL)
		return 0;
	if (a->type != IMAP_ARG_LIST || a->next != NULL)
		return -1;
	for (const struct imap_arg *m = a->list; m != NULL; m = m->next) {
		if (imap_arg_atom_equals(m, "VANISHED")) {
			fc->has_vanished = true;
			continue;
		}
		if (!imap_arg_atom_equals(m, "CHANGEDSINCE") ||
		    !imap_arg_get_number64(m->next, &fc->changedsince))
			return -1;
		fc->has_changedsince = true;
		m = m->next;
	}
	if (fc->has_vanished && (!fc->cmd->is_uid || !fc->has_changedsince ||
	                         !fc->cmd->client->is_qresync))
		return -1;
	return 0;
}

struct fetch_collect {
	struct fetch_msg *msgs;
	size_t n;
	const uint32_t *uids;
	size_t count;
	struct pool *pool;
};

static int fetch_collect_cb(const struct store_message *msg, void *ctx)
{
	struct fetch_collect *fcl = ctx;
	const uint32_t *uids = fcl->uids;
	size_t count = fcl->count, lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (uids[mid] < msg->uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == count || uids[lo] != msg->uid)
		return 0;
	fcl->msgs[fcl->n++] = (struct fetch_msg){
	    .uid = msg->uid,
	    .flags = msg->flags,
	    .modseq = msg->modseq,
	    .size = msg->size,
	    .internal_date = msg->internal_date,
	    .keywords = pool_strdup(fcl->pool, msg->keywords),
	    .blob_id = pool_strdup(fcl->pool, msg->blob_id),
	};
	return 0;
}

void imapd_date_write(struct buf *out, time_t t)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
	                                     "May", "Jun", "Jul", "Aug",
	                                     "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	gmtime_r(&t, &tm);
	buf_printf(out, "\"%02d-%s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday,
	           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	           tm.tm_sec);
}

/* RFC 9051 §4.3: a string with NUL may only be sent as a literal8, which
 * only BINARY may send (§9, msg-att-static). Everywhere else (BODY[...],
 * RFC822*) each NUL of the message goes out as 0x80, as Dovecot sends it:
 * the length stays what RFC822.SIZE and BODYSTRUCTURE announce, and
 * BINARY still gives the exact bytes. */
static void fetch_nul_replace(unsigned char *data, size_t size)
{
	unsigned char *p = data, *end = data + size;
	while (p < end && (p = memchr(p, '\0', (size_t)(end - p))) != NULL)
		*p++ = 0x80;
}

/* Appends bytes as a literal, cut by the item's partial range: a literal8
 * for BINARY when they hold a NUL, else a literal with NULs replaced. */
static void fetch_write_bytes(struct buf *out, const struct fetch_item *it,
                              const unsigned char *data, size_t size)
{
	if (it->has_partial) {
		uint64_t off =
		    it->partial_offset < size ? it->partial_offset : size;
		uint64_t len =
		    size - off < it->partial_len ? size - off : it->partial_len;
		data += off;
		size = (size_t)len;
	}
	bool has_nul = size > 0 && memchr(data, 0, size) != NULL;
	bool is_literal8 = has_nul && it->kind == FETCH_BINARY;
	buf_printf(out, "%s{%zu}\r\n", is_literal8 ? "~" : "", size);
	buf_append(out, data, size);
	if (has_nul && !is_literal8)
		fetch_nul_replace((unsigned char *)out->data + out->len - size,
		                  size);
}

/* A FETCH in progress: the messages go out one by one, and a section that
 * is a byte range of the blob is read from the blob fd in chunks while the
 * output drains. The struct lives in the command pool (client->pool); the
 * fd, the mapping and mpool are released by imapd_fetch_free(). */
struct imapd_fetch {
	struct imapd_cmd cmd; /* tag and args stay valid: the parser is not
	                         reset before the command ends */
	struct fetch_ctx fc;
	struct fetch_msg *msgs;
	size_t n, next; /* messages; the next one to start */
	/* the message being written, or NULL */
	struct fetch_msg *m;
	size_t item; /* its next item */
	bool add_flags;
	int fd;
	void *map;
	size_t map_size;
	const unsigned char *data;
	const struct mime_part *root;
	struct store_mime_info info_buf, *info;
	struct pool *mpool;
	/* the literal being copied from fd */
	uint64_t lit_off, lit_left;
	unsigned char *chunk;
};

#define FETCH_CHUNK 65536

/* Releases what the current message holds. */
static void fetch_msg_release(struct imapd_fetch *f)
{
	if (f->map != NULL)
		(void)munmap(f->map, f->map_size);
	if (f->fd >= 0)
		close(f->fd);
	f->map = NULL;
	f->map_size = 0;
	f->fd = -1;
	f->data = NULL;
	f->root = NULL;
	f->info = NULL;
	pool_free(&f->mpool);
	f->m = NULL;
	f->lit_left = 0;
}

void imapd_fetch_free(struct imapd_client *c)
{
	if (c->fetch == NULL)
		return;
	fetch_msg_release(c->fetch);
	c->fetch = NULL;
}

/* Opens and maps the blob of m (the pages stay in the page cache rather
 * than in a heap copy) and parses its MIME tree. Returns 0 or -1. */
static int fetch_blob_map(struct imapd_fetch *f, const struct fetch_msg *m)
{
	struct imapd_client *c = f->cmd.client;
	struct stat st;
	f->fd = store_blob_open(c->imapd->store, m->blob_id);
	if (f->fd < 0 || fstat(f->fd, &st) < 0)
		return -1;
	f->data = (const unsigned char *)"";
	if (st.st_size > 0) {
		f->map_size = (size_t)st.st_size;
		void *map =
		    mmap(NULL, f->map_size, PROT_READ, MAP_PRIVATE, f->fd, 0);
		if (map == MAP_FAILED)
			return -1;
		f->map = map;
		f->data = map;
	}
	struct mime_settings ms;
	mime_settings_init(&ms);
	f->mpool = pool_new();
	f->root = mime_parse(f->data, f->map_size, &ms, f->mpool);
	return 0;
}

/* Sets \Seen if needed, reads what the items need and writes the start of
 * "* seq FETCH (". Returns 0, or -1 before writing anything. */
static int fetch_msg_begin(struct imapd_fetch *f, struct fetch_msg *m)
{
	struct imapd_client *c = f->cmd.client;
	struct fetch_ctx *fc = &f->fc;
	f->m = m;
	f->item = 0;
	f->add_flags = false;
	if (fc->sets_seen && !c->box->is_readonly &&
	    (m->flags & STORE_FLAG_SEEN) == 0) {
		struct store_account *account = imapd_user_account(c->user);
		if (account != NULL &&
		    store_message_set_flags(account, c->box->name, m->uid,
		                            STORE_FLAGS_ADD, STORE_FLAG_SEEN,
		                            "", &m->modseq) > 0) {
			m->flags |= STORE_FLAG_SEEN;
			imapd_mailbox_own_change(c->box, m->uid, m->modseq);
			f->add_flags = !fc->has_flags;
		}
	}
	if (fc->needs_blob && fetch_blob_map(f, m) < 0) {
		log_error(&c->log, "blob read uid=%u: %s", m->uid,
		          strerror(errno));
		return -1;
	}
	/* Without the blob at hand, the cache (computed once per blob) */
	const char *info_error;
	if (fc->needs_info && !fc->needs_blob) {
		f->mpool = pool_new(); /* per message: FETCH 1:* stays small */
		if (store_mime_info_get(c->imapd->store, m->blob_id, f->mpool,
		                        &f->info_buf, &info_error) < 0) {
			log_error(&c->log, "mime info uid=%u: %s", m->uid,
			          info_error);
			return -1;
		}
		f->info = &f->info_buf;
	}
	imapd_fetch_head(c, m->uid); /* UIDFETCH with UIDONLY */
	if (f->cmd.is_uid && !fc->has_uid)
		buf_printf(&c->out, "UID %u", m->uid);
	return 0;
}

/* BODY[section]<partial>: a byte range of the blob is announced here and
 * copied later by fetch_literal_chunk(); the rest is written now. */
static void fetch_section_write(struct imapd_fetch *f,
                                const struct fetch_item *it)
{
	struct buf *out = &f->cmd.client->out;
	struct mime_section_result r;
	if (mime_section_find(f->data, f->root, &it->section, f->cmd.pool,
	                      &r) <= 0) {
		fetch_write_bytes(out, it, f->data, 0);
		return;
	}
	if (r.synth != NULL) {
		fetch_write_bytes(out, it, r.synth, r.synth_size);
		return;
	}
	uint64_t off = 0, len = r.size;
	if (it->has_partial) {
		off = it->partial_offset < len ? it->partial_offset : len;
		len = len - off < it->partial_len ? len - off : it->partial_len;
	}
	buf_printf(out, "{%zu}\r\n", (size_t)len);
	f->lit_off = r.offset + off;
	f->lit_left = len;
}

static void fetch_item_write(struct imapd_fetch *f, const struct fetch_item *it)
{
	struct fetch_ctx *fc = &f->fc;
	const struct fetch_msg *m = f->m;
	const struct store_mime_info *info = f->info;
	struct buf *out = &fc->cmd->client->out;
	const char *error;
	buf_printf(out, "%s ", it->name);
	switch (it->kind) {
	case FETCH_UID:
		buf_printf(out, "%u", m->uid);
		break;
	case FETCH_FLAGS:
		imapd_flags_write(
		    out, imapd_mailbox_flags(fc->cmd->client, m->uid, m->flags),
		    m->keywords);
		break;
	case FETCH_INTERNALDATE:
		imapd_date_write(out, m->internal_date);
		break;
	case FETCH_SIZE:
		buf_printf(out, "%llu", (unsigned long long)m->size);
		break;
	case FETCH_MODSEQ:
		buf_printf(out, "(%llu)", (unsigned long long)m->modseq);
		break;
	case FETCH_ENVELOPE:
		if (info != NULL)
			buf_append_str(out, info->envelope);
		else
			mime_imap_envelope(f->data, f->root, out);
		break;
	case FETCH_BODY:
	case FETCH_BODYSTRUCTURE:
		if (info != NULL)
			buf_append_str(out, it->kind == FETCH_BODYSTRUCTURE
			                        ? info->bodystructure
			                        : info->body);
		else
			mime_imap_bodystructure(f->data, f->root,
			                        it->kind == FETCH_BODYSTRUCTURE,
			                        out);
		break;
	case FETCH_SECTION:
		fetch_section_write(f, it);
		break;
	case FETCH_BINARY: {
		/* XXX decoded in memory: BINARY needs the decoded size (and
		 * whether it holds a NUL) before the literal starts */
		struct buf bin;
		buf_init(&bin);
		if (mime_section_binary(f->data, f->root, &it->section, &bin,
		                        &error) < 0)
			buf_truncate(&bin, 0);
		fetch_write_bytes(out, it, (const unsigned char *)bin.data,
		                  bin.len);
		buf_deinit(&bin);
		break;
	}
	case FETCH_BINARY_SIZE: {
		size_t size = 0;
		(void)mime_section_binary_size(f->data, f->root, &it->section,
		                               &size, &error);
		buf_printf(out, "%zu", size);
		break;
	}
	}
}

/* Writes the next item of the current message, or its end. */
static void fetch_msg_step(struct imapd_fetch *f)
{
	struct imapd_client *c = f->cmd.client;
	struct fetch_msg *m = f->m;
	struct buf *out = &c->out;
	if (f->item < f->fc.count) {
		/* a space after "(" only if UID was put first */
		if (f->item > 0 || (f->cmd.is_uid && !f->fc.has_uid))
			buf_append_char(out, ' ');
		fetch_item_write(f, &f->fc.items[f->item++]);
		return;
	}
	if (f->add_flags) {
		buf_append_str(out, " FLAGS ");
		imapd_flags_write(out, imapd_mailbox_flags(c, m->uid, m->flags),
		                  m->keywords);
	}
	if ((c->is_condstore || f->fc.has_changedsince) && !f->fc.has_modseq)
		buf_printf(out, " MODSEQ (%llu)",
		           (unsigned long long)m->modseq);
	buf_append_str(out, ")\r\n");
	imapd_client_flush(c);
	fetch_msg_release(f);
}

/* Copies the next chunk of the pending literal from the blob fd. Returns
 * 0, or -1 on a read error or a blob shorter than announced. */
static int fetch_literal_chunk(struct imapd_fetch *f)
{
	struct imapd_client *c = f->cmd.client;
	size_t want =
	    f->lit_left < FETCH_CHUNK ? (size_t)f->lit_left : FETCH_CHUNK;
	imapd_client_flush(c); /* the literal's header first */
	ssize_t n = pread(f->fd, f->chunk, want, (off_t)f->lit_off);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		log_error(&c->log, "blob read uid=%u: %s", f->m->uid,
		          n < 0 ? strerror(errno) : "unexpected end");
		return -1;
	}
	fetch_nul_replace(f->chunk, (size_t)n); /* a BODY[] literal */
	conn_write(c->conn, f->chunk, (size_t)n);
	f->lit_off += (uint64_t)n;
	f->lit_left -= (uint64_t)n;
	return 0;
}

int imapd_fetch_continue(struct imapd_client *c)
{
	struct imapd_fetch *f = c->fetch;
	while (f != NULL) {
		if (conn_is_closing(c->conn))
			break;
		if (conn_output_is_full(c->conn))
			return 0;
		if (f->lit_left > 0) {
			if (fetch_literal_chunk(f) == 0)
				continue;
			/* the literal's length is promised: only closing
			 * tells the client */
			imapd_client_flush(c);
			c->state = IMAPD_STATE_LOGOUT;
			conn_close_after_flush(c->conn);
			break;
		}
		if (f->m != NULL) {
			fetch_msg_step(f);
			continue;
		}
		if (f->next == f->n) {
			imapd_cmd_ok(&f->cmd, "%s completed", f->cmd.name);
			break;
		}
		struct fetch_msg *m = &f->msgs[f->next++];
		if (f->fc.has_changedsince && m->modseq <= f->fc.changedsince)
			continue;
		if (fetch_msg_begin(f, m) < 0) {
			imapd_cmd_no(&f->cmd,
			             "[SERVERBUG] Message unreadable (conn=%u)",
			             c->id);
			break;
		}
	}
	imapd_fetch_free(c);
	return 1;
}

void cmd_fetch(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	struct fetch_ctx fc = {.cmd = cmd};
	const char *set;
	uint32_t *uids;
	size_t count;
	if (!imap_arg_get_astring(cmd->args, &set) ||
	    fetch_parse(&fc, cmd->args->next) < 0 ||
	    fetch_modifiers(&fc, cmd->args->next->next) < 0) {
		imapd_cmd_bad(cmd, "Invalid FETCH arguments");
		return;
	}
	if (imapd_set_uids(cmd, set, cmd->is_uid, &uids, &count) < 0) {
		imapd_cmd_bad(cmd, "Invalid sequence set");
		return;
	}
	if (fc.has_changedsince || fc.has_modseq)
		imapd_condstore_enable(c);
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL) {
		imapd_cmd_fail(cmd, "account open");
		return;
	}
	struct fetch_collect fcl = {
	    .msgs = pool_alloc(cmd->pool, (count + 1) * sizeof(*fcl.msgs)),
	    .uids = uids,
	    .count = count,
	    .pool = cmd->pool,
	};
	if (count > 0 &&
	    store_message_list(account, c->box->name, uids[0], uids[count - 1],
	                       fetch_collect_cb, &fcl) < 0) {
		imapd_cmd_fail(cmd, "message list");
		return;
	}
	/* RFC 3501 §7.2.6: FLAGS names a keyword before a FETCH shows it */
	for (size_t i = 0; i < fcl.n; i++)
		imapd_mailbox_keywords_announce(c, fcl.msgs[i].keywords);
	if (fc.has_vanished &&
	    imapd_fetch_vanished(cmd, set, fc.changedsince) < 0) {
		imapd_cmd_fail(cmd, "vanished");
		return;
	}
	struct imapd_fetch *f = pool_alloc(cmd->pool, sizeof(*f));
	memset(f, 0, sizeof(*f));
	f->cmd = *cmd;
	f->fc = fc;
	f->fc.cmd = &f->cmd;
	f->msgs = fcl.msgs;
	f->n = fcl.n;
	f->fd = -1;
	if (fc.needs_blob)
		f->chunk = pool_alloc(cmd->pool, FETCH_CHUNK);
	c->fetch = f;
	if (imapd_fetch_continue(c) == 0)
		c->wait = IMAPD_WAIT_FETCH;
}
