/* What tests see of the message: header fields unfolded and decoded (RFC
 * 5228 §5.7, RFC 2047 through lib/mime), with the edits of addheader and
 * deleteheader applied as they happen (RFC 5293 §4-5); the :index of RFC
 * 5260 §6; addresses split into parts (RFC 5228 §2.7.4, RFC 5233
 * :user/:detail with "+"); the envelope (§5.4); and the body test's
 * transforms (RFC 5173 §5: :raw, :content, :text). The MIME tree is
 * parsed only when the body test needs it; header tests read the header
 * alone. */
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "mime/mime_decode.h"
#include "mime/mime_view.h"
#include "rules/sieve_private.h"

#include <string.h>
#include <strings.h>

/* Header fields the tests see: later ones are ignored, as lib/mime does
 * past its max_header_count (a header of millions of one-byte lines must
 * not cost memory in proportion). */
#define SIEVE_FIELDS_MAX 10000

/* Returns the offset after the blank line that ends the header. */
static size_t header_end(const unsigned char *d, size_t size)
{
	size_t pos = 0;
	while (pos < size) {
		if (d[pos] == '\n')
			return pos + 1;
		if (d[pos] == '\r' && pos + 1 < size && d[pos + 1] == '\n')
			return pos + 2;
		const unsigned char *lf = memchr(d + pos, '\n', size - pos);
		if (lf == NULL)
			return size;
		pos = (size_t)(lf - d) + 1;
	}
	return size;
}

static struct sieve_field *field_insert(struct sieve_interp *ip, unsigned at)
{
	if (ip->field_count == ip->field_cap) {
		unsigned cap = ip->field_cap == 0 ? 32 : ip->field_cap * 2;
		struct sieve_field *more =
		    pool_alloc(ip->pool, cap * sizeof(*more));
		if (ip->field_count > 0)
			memcpy(more, ip->fields,
			       ip->field_count * sizeof(*more));
		ip->fields = more;
		ip->field_cap = cap;
	}
	memmove(&ip->fields[at + 1], &ip->fields[at],
	        (ip->field_count - at) * sizeof(*ip->fields));
	ip->field_count++;
	memset(&ip->fields[at], 0, sizeof(ip->fields[at]));
	return &ip->fields[at];
}

void sieve_message_fields(struct sieve_interp *ip)
{
	if (ip->fields_loaded)
		return;
	ip->fields_loaded = true;
	const struct sieve_mail *m = ip->mail;
	ip->body_offset = header_end(m->data, m->size);
	struct mime_part part = {.header_offset = 0,
	                         .body_offset = ip->body_offset,
	                         .end_offset = m->size};
	struct mime_header_iter iter;
	struct mime_header_field hf;
	mime_header_iter_init(&iter, m->data, &part);
	while (ip->field_count < SIEVE_FIELDS_MAX &&
	       mime_header_iter_next(&iter, &hf) > 0) {
		struct sieve_field *f = field_insert(ip, ip->field_count);
		f->name = (const char *)hf.name;
		f->name_len = hf.name_len;
		f->raw = (const char *)m->data + hf.offset;
		f->raw_len = hf.size;
		f->body = (const char *)hf.value;
		f->body_len = hf.value_len;
	}
}

const char *sieve_field_value(struct sieve_interp *ip, struct sieve_field *f)
{
	if (f->value != NULL)
		return f->value;
	struct buf b;
	buf_init(&b);
	mime_decode_header((const unsigned char *)f->body, f->body_len, &b);
	size_t start = 0, end = b.len;
	while (start < end && (b.data[start] == ' ' || b.data[start] == '\t'))
		start++;
	while (end > start &&
	       (b.data[end - 1] == ' ' || b.data[end - 1] == '\t'))
		end--;
	f->value = pool_strndup(ip->pool, b.data + start, end - start);
	buf_deinit(&b);
	return f->value;
}

bool sieve_field_is(const struct sieve_field *f, const char *name, size_t len)
{
	return !f->is_deleted && f->name_len == len && len > 0 &&
	       strncasecmp(f->name, name, len) == 0;
}

struct mime_part *sieve_message_root(struct sieve_interp *ip)
{
	if (ip->root == NULL) {
		struct mime_settings set = MIME_SETTINGS_DEFAULT;
		set.max_parts = 1000;
		ip->root =
		    mime_parse(ip->mail->data, ip->mail->size, &set, ip->pool);
	}
	return ip->root;
}

void sieve_values_add(struct sieve_interp *ip, struct sieve_values *v,
                      const char *str, size_t len)
{
	if (v->count == v->cap) {
		size_t cap = v->cap == 0 ? 8 : v->cap * 2;
		const char **items = pool_alloc(ip->pool, cap * sizeof(*items));
		size_t *lens = pool_alloc(ip->pool, cap * sizeof(*lens));
		if (v->count > 0) {
			memcpy(items, v->items, v->count * sizeof(*items));
			memcpy(lens, v->lens, v->count * sizeof(*lens));
		}
		v->items = items;
		v->lens = lens;
		v->cap = cap;
	}
	v->items[v->count] = str;
	v->lens[v->count++] = len;
}

/* The fields called name (not deleted), honouring :index/:last; calls
 * back with each. */
typedef void field_cb(struct sieve_interp *ip, struct sieve_field *f,
                      void *ctx);

static void fields_walk(struct sieve_interp *ip, const struct sieve_node *node,
                        const char *name, size_t len, field_cb *cb, void *ctx)
{
	sieve_message_fields(ip);
	if (sieve_step(ip, node, 1 + ip->field_count / 16) < 0)
		return;
	const struct sieve_value *idx = node->tagged[SIEVE_TAG_INDEX];
	unsigned total = 0;
	for (unsigned i = 0; i < ip->field_count; i++)
		if (sieve_field_is(&ip->fields[i], name, len))
			total++;
	uint64_t want = 0; /* 0: every occurrence */
	if (idx != NULL) {
		if (idx->number == 0 || idx->number > total)
			return;
		want = node->tagged[SIEVE_TAG_LAST] != NULL
		           ? total - idx->number + 1
		           : idx->number;
	}
	unsigned seen = 0;
	for (unsigned i = 0; i < ip->field_count; i++) {
		if (!sieve_field_is(&ip->fields[i], name, len))
			continue;
		seen++;
		if (want == 0 || seen == want)
			cb(ip, &ip->fields[i], ctx);
	}
}

static void header_value_cb(struct sieve_interp *ip, struct sieve_field *f,
                            void *ctx)
{
	const char *value = sieve_field_value(ip, f);
	sieve_values_add(ip, ctx, value, strlen(value));
}

void sieve_message_headers(struct sieve_interp *ip,
                           const struct sieve_node *node,
                           const struct sieve_value *names,
                           struct sieve_values *v)
{
	for (unsigned i = 0; i < names->count; i++) {
		size_t len;
		const char *name = sieve_expand(ip, &names->strings[i], &len);
		fields_walk(ip, node, name, len, header_value_cb, v);
	}
}

struct address_ctx {
	const struct sieve_node *node;
	struct sieve_values *v;
};

/* Adds the part the node asks for of local@domain (domain NULL when the
 * address has none: then only :all has a value). */
static void address_part(struct sieve_interp *ip, const struct sieve_node *node,
                         struct sieve_values *v, const char *local,
                         const char *domain)
{
	const char *plus = strchr(local, '+');
	switch (node->part) {
	case SIEVE_PART_ALL:
		if (domain == NULL) {
			sieve_values_add(ip, v, local, strlen(local));
		} else {
			const char *all =
			    pool_printf(ip->pool, "%s@%s", local, domain);
			sieve_values_add(ip, v, all, strlen(all));
		}
		break;
	case SIEVE_PART_LOCALPART:
		if (domain != NULL)
			sieve_values_add(ip, v, local, strlen(local));
		break;
	case SIEVE_PART_DOMAIN:
		if (domain != NULL)
			sieve_values_add(ip, v, domain, strlen(domain));
		break;
	case SIEVE_PART_USER: /* RFC 5233 §4: before the separator */
		if (domain != NULL)
			sieve_values_add(ip, v, local,
			                 plus != NULL ? (size_t)(plus - local)
			                              : strlen(local));
		break;
	case SIEVE_PART_DETAIL:
		if (domain != NULL && plus != NULL)
			sieve_values_add(ip, v, plus + 1, strlen(plus + 1));
		break;
	}
}

static void address_field_cb(struct sieve_interp *ip, struct sieve_field *f,
                             void *context)
{
	struct address_ctx *ctx = context;
	struct mime_address *list = NULL;
	/* a NUL cannot be part of an address: parse up to it */
	const char *nul = memchr(f->body, '\0', f->body_len);
	size_t len = nul != NULL ? (size_t)(nul - f->body) : f->body_len;
	if (mime_address_parse((const unsigned char *)f->body, len, ip->pool,
	                       &list) <= 0)
		return;
	for (struct mime_address *a = list; a != NULL; a = a->next) {
		/* lib/mime fills the gaps as IMAP's ENVELOPE wants them */
		if (a->is_group_start || a->is_group_end ||
		    a->mailbox == NULL ||
		    strcmp(a->mailbox, "MISSING_MAILBOX") == 0)
			continue;
		bool has_domain =
		    a->host != NULL && strcmp(a->host, "MISSING_DOMAIN") != 0;
		address_part(ip, ctx->node, ctx->v, a->mailbox,
		             has_domain ? a->host : NULL);
	}
}

/* RFC 5228 §5.1: the address test only looks at fields that hold
 * addresses. */
static bool is_address_field(const char *name, size_t len)
{
	static const char *const names[] = {
	    "from",
	    "to",
	    "cc",
	    "bcc",
	    "sender",
	    "resent-from",
	    "resent-to",
	    "resent-cc",
	    "resent-bcc",
	    "resent-sender",
	    "reply-to",
	    "resent-reply-to",
	    "return-path",
	    "delivered-to",
	    "errors-to",
	    "envelope-to",
	    "x-original-to",
	    "disposition-notification-to",
	    "original-recipient",
	    "x-envelope-to",
	    "apparently-to",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == len &&
		    strncasecmp(names[i], name, len) == 0)
			return true;
	return false;
}

int sieve_message_addresses(struct sieve_interp *ip,
                            const struct sieve_node *node,
                            const struct sieve_value *names, bool is_envelope,
                            struct sieve_values *v)
{
	struct address_ctx ctx = {.node = node, .v = v};
	for (unsigned i = 0; i < names->count; i++) {
		size_t len;
		const char *name = sieve_expand(ip, &names->strings[i], &len);
		if (!is_envelope) {
			if (is_address_field(name, len))
				fields_walk(ip, node, name, len,
				            address_field_cb, &ctx);
			continue;
		}
		const char *addr =
		    strcasecmp(name, "from") == 0 ? ip->mail->envelope_from
		    : strcasecmp(name, "to") == 0 ? ip->mail->envelope_to
		                                  : NULL;
		if (addr == NULL)
			continue;
		if (addr[0] ==
		    '\0') { /* the null reverse-path, RFC 5228 §5.4 */
			if (node->part == SIEVE_PART_ALL)
				sieve_values_add(ip, v, "", 0);
			continue;
		}
		const char *at = strrchr(addr, '@');
		if (at == NULL) {
			address_part(ip, node, v, addr, NULL);
			continue;
		}
		address_part(ip, node, v,
		             pool_strndup(ip->pool, addr, (size_t)(at - addr)),
		             at + 1);
	}
	return 0;
}

/* ---- body (RFC 5173) ---- */

static bool content_type_wanted(const struct mime_part *part, const char *type,
                                size_t len)
{
	if (len == 0)
		return true;
	const char *slash = memchr(type, '/', len);
	if (slash == NULL)
		return strlen(part->type) == len &&
		       strncasecmp(part->type, type, len) == 0;
	size_t tlen = (size_t)(slash - type);
	return strlen(part->type) == tlen &&
	       strncasecmp(part->type, type, tlen) == 0 &&
	       strlen(part->subtype) == len - tlen - 1 &&
	       strncasecmp(part->subtype, slash + 1, len - tlen - 1) == 0;
}

static void body_part_add(struct sieve_interp *ip, const struct mime_part *part,
                          struct sieve_values *v, size_t *budget)
{
	const unsigned char *data = ip->mail->data + part->body_offset;
	size_t size = part->end_offset - part->body_offset;
	struct buf decoded, text;
	buf_init(&decoded);
	buf_init(&text);
	if (mime_decode_transfer(part->encoding, data, size, &decoded) < 0)
		buf_append(&decoded, data, size);
	struct buf *out = &decoded;
	if (mime_part_is(part, "text", NULL)) {
		const char *charset = mime_param_get(
		    part->params, part->param_count, "charset", NULL);
		mime_decode_charset(charset,
		                    (const unsigned char *)decoded.data,
		                    decoded.len, &text);
		out = &text;
	}
	size_t len = out->len < *budget ? out->len : *budget;
	*budget -= len;
	sieve_values_add(ip, v, pool_strndup(ip->pool, out->data, len), len);
	buf_deinit(&decoded);
	buf_deinit(&text);
}

static void body_content(struct sieve_interp *ip, const struct mime_part *part,
                         const struct sieve_value *types,
                         struct sieve_values *v, size_t *budget)
{
	for (; part != NULL && *budget > 0; part = part->next) {
		if (part->children != NULL) {
			body_content(ip, part->children, types, v, budget);
			continue;
		}
		for (unsigned i = 0; i < types->count; i++) {
			size_t len;
			const char *type =
			    sieve_expand(ip, &types->strings[i], &len);
			if (content_type_wanted(part, type, len)) {
				body_part_add(ip, part, v, budget);
				break;
			}
		}
	}
}

void sieve_message_body(struct sieve_interp *ip, const struct sieve_node *node,
                        struct sieve_values *v)
{
	size_t budget = ip->set->max_body_size;
	sieve_message_fields(ip);
	if (node->tagged[SIEVE_TAG_RAW] != NULL) {
		size_t len = ip->mail->size - ip->body_offset;
		if (len > budget)
			len = budget;
		sieve_values_add(
		    ip, v, (const char *)ip->mail->data + ip->body_offset, len);
		return;
	}
	struct mime_part *root = sieve_message_root(ip);
	const struct sieve_value *types = node->tagged[SIEVE_TAG_CONTENT];
	if (types != NULL) {
		body_content(ip, root, types, v, &budget);
		return;
	}
	struct buf text;
	buf_init(&text);
	mime_view_text(ip->mail->data, root, &text);
	size_t len = text.len < budget ? text.len : budget;
	sieve_values_add(ip, v, pool_strndup(ip->pool, text.data, len), len);
	buf_deinit(&text);
}

/* ---- editheader (RFC 5293) ---- */

bool sieve_field_is_protected(const char *name, size_t len)
{
	/* RFC 5293 §6: Received may never be deleted; Auto-Submitted is
	 * what stops mail loops (RFC 3834), so it is kept alike. */
	return (len == 8 && strncasecmp(name, "received", 8) == 0) ||
	       (len == 14 && strncasecmp(name, "auto-submitted", 14) == 0);
}

static bool is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* Appends value folded at spaces after about 76 columns; non-ASCII text
 * goes into RFC 2047 encoded words ("B" encoding of UTF-8). */
static void append_field_value(struct buf *out, const char *value, size_t len,
                               size_t column)
{
	if (!is_ascii(value, len)) {
		static const char b64[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";
		size_t i = 0;
		while (i < len) {
			/* 45 bytes a word keep each line under 78 columns */
			size_t n = len - i < 45 ? len - i : 45;
			while (n > 1 && i + n < len &&
			       ((unsigned char)value[i + n] & 0xC0) == 0x80)
				n--; /* never split a character */
			if (i > 0)
				buf_append_str(out, "\r\n ");
			buf_append_str(out, "=?UTF-8?B?");
			for (size_t k = 0; k < n; k += 3) {
				unsigned char a = (unsigned char)value[i + k];
				unsigned char b =
				    k + 1 < n ? (unsigned char)value[i + k + 1]
				              : 0;
				unsigned char c =
				    k + 2 < n ? (unsigned char)value[i + k + 2]
				              : 0;
				buf_append_char(out, b64[a >> 2]);
				buf_append_char(out,
				                b64[((a & 3) << 4) | (b >> 4)]);
				buf_append_char(
				    out, k + 1 < n
				             ? b64[((b & 15) << 2) | (c >> 6)]
				             : '=');
				buf_append_char(out,
				                k + 2 < n ? b64[c & 63] : '=');
			}
			buf_append_str(out, "?=");
			i += n;
		}
		return;
	}
	size_t line_start = out->len - column;
	for (size_t i = 0; i < len; i++) {
		char c = value[i];
		if (c == '\r' || c == '\n') /* no header injection */
			c = ' ';
		if (c == ' ' && out->len - line_start > 76) {
			buf_append_str(out, "\r\n");
			line_start = out->len;
		}
		buf_append_char(out, c == '\0' ? ' ' : c);
	}
}

static int edit_count(struct sieve_interp *ip, const struct sieve_node *node)
{
	if (++ip->header_edits > ip->set->max_header_edits)
		return sieve_runtime_error(ip, node,
		                           "more than %u header edits",
		                           ip->set->max_header_edits);
	return 0;
}

int sieve_message_addheader(struct sieve_interp *ip,
                            const struct sieve_node *node)
{
	size_t name_len, value_len;
	const char *name =
	    sieve_expand(ip, &node->pos[0]->strings[0], &name_len);
	const char *value =
	    sieve_expand(ip, &node->pos[1]->strings[0], &value_len);
	if (!sieve_field_name_is_valid(name, name_len))
		return sieve_runtime_error(ip, node, "invalid header name");
	if (sieve_field_is_protected(name, name_len))
		return 0; /* RFC 5293 §6: silently ignored */
	if (edit_count(ip, node) < 0)
		return -1;
	sieve_message_fields(ip);
	struct buf raw;
	buf_init(&raw);
	buf_append(&raw, name, name_len);
	buf_append_str(&raw, ": ");
	append_field_value(&raw, value, value_len, raw.len);
	buf_append_str(&raw, "\r\n");
	unsigned at =
	    node->tagged[SIEVE_TAG_LAST] != NULL ? ip->field_count : 0;
	struct sieve_field *f = field_insert(ip, at);
	f->name = pool_strndup(ip->pool, name, name_len);
	f->name_len = name_len;
	f->raw = pool_strndup(ip->pool, raw.data, raw.len);
	f->raw_len = raw.len;
	f->body = f->raw + name_len + 1;
	f->body_len = raw.len - name_len - 3;
	/* tests see the value as given (RFC 5293 §4), not its encoding */
	f->value = pool_strndup(ip->pool, value, value_len);
	for (char *c = (char *)f->value; *c != '\0'; c++)
		if (*c == '\r' || *c == '\n')
			*c = ' ';
	buf_deinit(&raw);
	ip->header_changed = true;
	return 0;
}

struct delete_ctx {
	const struct sieve_node *node;
	const struct sieve_value *patterns;
	int ret;
};

static void delete_cb(struct sieve_interp *ip, struct sieve_field *f,
                      void *context)
{
	struct delete_ctx *ctx = context;
	if (ctx->ret < 0)
		return;
	if (ctx->patterns != NULL) {
		const char *value = sieve_field_value(ip, f);
		int matched = 0;
		for (unsigned i = 0; i < ctx->patterns->count && matched == 0;
		     i++) {
			size_t klen;
			const char *key =
			    sieve_expand(ip, &ctx->patterns->strings[i], &klen);
			matched = sieve_match_one(ip, ctx->node, value,
			                          strlen(value), key, klen);
		}
		if (matched <= 0) {
			ctx->ret = matched;
			return;
		}
	}
	f->is_deleted = true;
	ip->header_changed = true;
}

int sieve_message_deleteheader(struct sieve_interp *ip,
                               const struct sieve_node *node)
{
	size_t len;
	const char *name = sieve_expand(ip, &node->pos[0]->strings[0], &len);
	if (!sieve_field_name_is_valid(name, len))
		return sieve_runtime_error(ip, node, "invalid header name");
	if (sieve_field_is_protected(name, len))
		return 0;
	if (edit_count(ip, node) < 0)
		return -1;
	struct delete_ctx ctx = {
	    .node = node,
	    .patterns = node->pos_count > 1 ? node->pos[1] : NULL,
	};
	fields_walk(ip, node, name, len, delete_cb, &ctx);
	return ctx.ret < 0 ? -1 : 0;
}

const struct sieve_edit *sieve_message_edit(struct sieve_interp *ip)
{
	if (!ip->header_changed)
		return ip->edit;
	ip->header_changed = false;
	struct buf out;
	buf_init(&out);
	for (unsigned i = 0; i < ip->field_count; i++) {
		const struct sieve_field *f = &ip->fields[i];
		if (f->is_deleted)
			continue;
		buf_append(&out, f->raw, f->raw_len);
		if (f->raw_len == 0 || f->raw[f->raw_len - 1] != '\n')
			buf_append_str(&out, "\r\n");
	}
	buf_append_str(&out, "\r\n");
	struct sieve_edit *edit = pool_alloc(ip->pool, sizeof(*edit));
	edit->header = pool_strndup(ip->pool, out.data, out.len);
	edit->header_size = out.len;
	edit->body_offset = ip->body_offset;
	buf_deinit(&out);
	ip->edit = edit;
	return edit;
}
