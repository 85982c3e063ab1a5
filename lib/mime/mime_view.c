/* Messages shown to a person: summary fields (RFC 5322 §3.6, RFC 2047
 * decoding by mime_decode_header, the Date by GMime's RFC 5322 §3.3 parser
 * with its obsolete forms), the readable text (RFC 2046 §5.1.3 mixed parts
 * in order, §5.1.4 alternative towards text/plain, §5.2.1 forwarded
 * messages inline) and attachments (RFC 2183 disposition and filename, RFC
 * 2231 names decoded by mime_param_get). Text goes to terminals, so
 * control characters other than tab and line feed are dropped (an escape
 * sequence in a subject must not reach the screen). */
#include "mime/mime_view.h"

#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "mime/mime_decode.h"
#include "mime/mime_html.h"

#include <gmime/gmime.h>
#include <string.h>
#include <strings.h>

#define VIEW_CHARSET_MAX 64

/* Appends s (len bytes; made valid UTF-8 when it is not) without CR and
 * control characters: C0 except tab and LF, DEL, and C1 (U+0080-U+009F,
 * which some terminals obey). With is_line, tab and LF become spaces (a
 * header field). */
static void view_append_clean(const char *s, size_t len, bool is_line,
                              struct buf *out)
{
	struct buf valid;
	buf_init(&valid);
	if (!g_utf8_validate(s, (gssize)len, NULL)) {
		/* raw 8-bit header bytes (an unencoded Latin-1 file name) */
		mime_decode_charset(NULL, (const unsigned char *)s, len,
		                    &valid);
		s = valid.data;
		len = valid.len;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f) {
			i++;
			continue;
		}
		if (c == '\t' || c == '\n')
			buf_append_char(out, is_line ? ' ' : (char)c);
		else if (c >= 0x20 && c != 0x7f)
			buf_append_char(out, (char)c);
	}
	buf_deinit(&valid);
}

/* The field name of part's header decoded to clean UTF-8, "" if absent. */
static const char *view_field(const unsigned char *data,
                              const struct mime_part *part, const char *name,
                              struct pool *pool)
{
	const char *raw = mime_header_get(data, part, name, pool);
	if (raw == NULL)
		return "";
	struct buf decoded, clean;
	buf_init(&decoded);
	buf_init(&clean);
	mime_decode_header((const unsigned char *)raw, strlen(raw), &decoded);
	view_append_clean(decoded.data, decoded.len, true, &clean);
	const char *value = pool_strndup(pool, clean.data, clean.len);
	buf_deinit(&decoded);
	buf_deinit(&clean);
	return value;
}

static const char *view_raw_field(const unsigned char *data,
                                  const struct mime_part *part,
                                  const char *name, struct pool *pool)
{
	const char *raw = mime_header_get(data, part, name, pool);
	if (raw == NULL)
		return "";
	struct buf clean;
	buf_init(&clean);
	view_append_clean(raw, strlen(raw), true, &clean);
	const char *value = pool_strndup(pool, clean.data, clean.len);
	buf_deinit(&clean);
	return value;
}

/* From: the first mailbox (groups skipped) as display name and address;
 * without a parsable address, the decoded field is the name. */
static void view_from(const unsigned char *data, const struct mime_part *root,
                      struct pool *pool, struct mime_view_summary *s)
{
	s->from_name = view_field(data, root, "from", pool);
	s->from_addr = "";
	const char *raw = mime_header_get(data, root, "from", pool);
	struct mime_address *list = NULL;
	if (raw == NULL || mime_address_parse((const unsigned char *)raw,
	                                      strlen(raw), pool, &list) <= 0)
		return;
	for (; list != NULL; list = list->next)
		if (list->host != NULL && !list->is_group_start)
			break;
	if (list == NULL)
		return;
	bool has_domain = strcmp(list->host, "MISSING_DOMAIN") != 0;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s%s%s", list->mailbox, has_domain ? "@" : "",
	           has_domain ? list->host : "");
	struct buf clean;
	buf_init(&clean);
	view_append_clean(b.data, b.len, true, &clean);
	s->from_addr = pool_strndup(pool, clean.data, clean.len);
	s->from_name = s->from_addr;
	if (list->name != NULL && list->name[0] != '\0') {
		buf_truncate(&b, 0);
		buf_truncate(&clean, 0);
		mime_decode_header((const unsigned char *)list->name,
		                   strlen(list->name), &b);
		view_append_clean(b.data, b.len, true, &clean);
		if (clean.len > 0)
			s->from_name =
			    pool_strndup(pool, clean.data, clean.len);
	}
	buf_deinit(&b);
	buf_deinit(&clean);
}

/* date-time = [ day-of-week "," ] date time [CFWS]  (RFC 5322 §3.3, §4.3
 * obsolete forms too). Returns the UTC time, or 0 when there is none. */
static time_t view_date(const unsigned char *data, const struct mime_part *root,
                        struct pool *pool)
{
	const char *raw = mime_header_get(data, root, "date", pool);
	if (raw == NULL)
		return 0;
	GDateTime *dt = g_mime_utils_header_decode_date(raw);
	if (dt == NULL)
		return 0;
	gint64 t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t > 0 ? (time_t)t : 0;
}

static bool view_is_named(const struct mime_part *part)
{
	return mime_param_get(part->disposition_params,
	                      part->disposition_param_count, "filename",
	                      NULL) != NULL ||
	       mime_param_get(part->params, part->param_count, "name", NULL) !=
	           NULL;
}

/* Is part text/plain or text/html that is shown in the body? Not when
 * its disposition says attachment, or when it has a file name and no
 * disposition (how older mailers attach .txt files). */
static bool view_is_shown_text(const struct mime_part *part)
{
	if (!mime_part_is(part, "text", "plain") &&
	    !mime_part_is(part, "text", "html"))
		return false;
	if (part->disposition != NULL)
		return strncasecmp(part->disposition, "attachment", 10) != 0;
	return !view_is_named(part);
}

/* Walks the tree in order and stores each attachment part into parts (when
 * not NULL) from index n on. Returns the new count. */
static unsigned int view_collect(const struct mime_part *part,
                                 const struct mime_part **parts, unsigned int n)
{
	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0) {
		for (const struct mime_part *c = part->children; c != NULL;
		     c = c->next)
			n = view_collect(c, parts, n);
		return n;
	}
	if ((part->flags & MIME_PART_FLAG_MESSAGE) == 0 &&
	    view_is_shown_text(part))
		return n;
	if (parts != NULL)
		parts[n] = part;
	return n + 1;
}

void mime_view_summary(const unsigned char *data, const struct mime_part *root,
                       struct pool *pool, struct mime_view_summary *summary_r)
{
	memset(summary_r, 0, sizeof(*summary_r));
	view_from(data, root, pool, summary_r);
	summary_r->to = view_field(data, root, "to", pool);
	summary_r->cc = view_field(data, root, "cc", pool);
	summary_r->subject = view_field(data, root, "subject", pool);
	summary_r->date = view_date(data, root, pool);
	summary_r->message_id = view_raw_field(data, root, "message-id", pool);
	summary_r->in_reply_to =
	    view_raw_field(data, root, "in-reply-to", pool);
	summary_r->references = view_raw_field(data, root, "references", pool);
	/* a message that is itself one attachment (a bare PDF) has one */
	summary_r->has_attachments = view_collect(root, NULL, 0) > 0;
}

/* ---- Text ---------------------------------------------------------------- */

static void view_part_text(const unsigned char *data,
                           const struct mime_part *part, size_t start,
                           struct buf *out);

/* Does the tree under part show a text/subtype leaf (not looking inside
 * forwarded messages)? */
static bool view_contains(const struct mime_part *part, const char *subtype)
{
	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0) {
		for (const struct mime_part *c = part->children; c != NULL;
		     c = c->next)
			if (view_contains(c, subtype))
				return true;
		return false;
	}
	return view_is_shown_text(part) && mime_part_is(part, "text", subtype);
}

/* RFC 2046 §5.1.4 orders alternatives from plainest to richest; a person
 * in a terminal wants the plain one: a text/plain leaf, else a multipart
 * holding one, else HTML, else the last (richest) alternative. */
static const struct mime_part *
view_alternative_pick(const struct mime_part *alt)
{
	const struct mime_part *best = NULL, *last = NULL;
	int best_score = 0;
	for (const struct mime_part *c = alt->children; c != NULL;
	     c = c->next) {
		int score = 0;
		bool is_leaf = (c->flags & MIME_PART_FLAG_MULTIPART) == 0;
		if (view_contains(c, "plain"))
			score = is_leaf ? 3 : 2;
		else if (view_contains(c, "html"))
			score = 1;
		if (score > best_score) {
			best = c;
			best_score = score;
		}
		last = c;
	}
	return best != NULL ? best : last;
}

/* Ends what out holds (after start) with one blank line, so the next
 * part's text stands apart. */
static void view_separate(struct buf *out, size_t start)
{
	if (out->len == start)
		return;
	if (out->data[out->len - 1] != '\n')
		buf_append_char(out, '\n');
	if (out->len - start < 2 || out->data[out->len - 2] != '\n')
		buf_append_char(out, '\n');
}

/* Appends text (UTF-8) cleaned, without trailing blank lines, ending "\n". */
static void view_append_body(const char *text, size_t len, struct buf *out)
{
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	                   text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0)
		return;
	view_append_clean(text, len, false, out);
	buf_append_char(out, '\n');
}

static void view_leaf_text(const unsigned char *data,
                           const struct mime_part *part, struct buf *out)
{
	struct buf raw, utf8;
	buf_init(&raw);
	buf_init(&utf8);
	const unsigned char *body = data + part->body_offset;
	size_t size = part->end_offset - part->body_offset;
	if (mime_decode_transfer(part->encoding, body, size, &raw) < 0)
		buf_append(&raw, body, size);
	bool is_html = mime_part_is(part, "text", "html");
	char sniffed[VIEW_CHARSET_MAX];
	const char *charset =
	    mime_param_get(part->params, part->param_count, "charset", NULL);
	if (charset == NULL && is_html)
		charset = mime_html_charset((const unsigned char *)raw.data,
		                            raw.len, sniffed, sizeof(sniffed));
	mime_decode_charset(charset, (const unsigned char *)raw.data, raw.len,
	                    &utf8);
	if (is_html) {
		buf_truncate(&raw, 0);
		mime_html_to_text(utf8.data, utf8.len, &raw);
		view_append_body(raw.data, raw.len, out);
	} else {
		view_append_body(utf8.data, utf8.len, out);
	}
	buf_deinit(&raw);
	buf_deinit(&utf8);
}

static void view_forwarded(const unsigned char *data,
                           const struct mime_part *msg, struct buf *out)
{
	static const char *const fields[][2] = {
	    {"From", "from"},
	    {"Date", "date"},
	    {"Subject", "subject"},
	    {"To", "to"},
	};
	struct pool *pool = pool_new();
	buf_append_str(out, "---------- Forwarded message ----------\n");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *value = view_field(data, msg, fields[i][1], pool);
		if (value[0] != '\0')
			buf_printf(out, "%s: %s\n", fields[i][0], value);
	}
	buf_append_char(out, '\n');
	size_t start = out->len;
	view_part_text(data, msg, start, out);
	pool_free(&pool);
}

static void view_part_text(const unsigned char *data,
                           const struct mime_part *part, size_t start,
                           struct buf *out)
{
	if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0) {
		if (part->children != NULL) {
			view_separate(out, start);
			view_forwarded(data, part->children, out);
		}
		return;
	}
	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0) {
		if (mime_part_is(part, "multipart", "alternative")) {
			const struct mime_part *c = view_alternative_pick(part);
			if (c != NULL)
				view_part_text(data, c, start, out);
			return;
		}
		for (const struct mime_part *c = part->children; c != NULL;
		     c = c->next)
			view_part_text(data, c, start, out);
		return;
	}
	if (!view_is_shown_text(part))
		return;
	view_separate(out, start);
	view_leaf_text(data, part, out);
}

void mime_view_text(const unsigned char *data, const struct mime_part *root,
                    struct buf *out)
{
	view_part_text(data, root, out->len, out);
}

/* ---- Attachments --------------------------------------------------------- */

static const char *view_content_type(const struct mime_part *part,
                                     struct pool *pool)
{
	char *type = pool_printf(pool, "%s/%s", part->type, part->subtype);
	for (char *p = type; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return type;
}

static const char *view_filename(const struct mime_part *part,
                                 struct pool *pool)
{
	const char *name =
	    mime_param_get(part->disposition_params,
	                   part->disposition_param_count, "filename", pool);
	if (name == NULL)
		name = mime_param_get(part->params, part->param_count, "name",
		                      pool);
	if (name == NULL)
		return NULL;
	struct buf clean;
	buf_init(&clean);
	view_append_clean(name, strlen(name), true, &clean);
	name = pool_strndup(pool, clean.data, clean.len);
	buf_deinit(&clean);
	return name;
}

unsigned int mime_view_attachments(const unsigned char *data,
                                   const struct mime_part *root,
                                   struct pool *pool,
                                   struct mime_view_attachment **list_r)
{
	*list_r = NULL;
	unsigned int count = view_collect(root, NULL, 0);
	if (count == 0)
		return 0;
	const struct mime_part **parts =
	    pool_alloc(pool, count * sizeof(*parts));
	view_collect(root, parts, 0);
	struct mime_view_attachment *list =
	    pool_alloc(pool, count * sizeof(*list));
	struct buf decoded;
	buf_init(&decoded);
	for (unsigned int i = 0; i < count; i++) {
		list[i].index = i + 1;
		list[i].part = parts[i];
		list[i].filename = view_filename(parts[i], pool);
		list[i].content_type = view_content_type(parts[i], pool);
		buf_truncate(&decoded, 0);
		mime_view_attachment_data(data, &list[i], &decoded);
		list[i].size = decoded.len;
	}
	buf_deinit(&decoded);
	*list_r = list;
	return count;
}

void mime_view_attachment_data(const unsigned char *data,
                               const struct mime_view_attachment *att,
                               struct buf *out)
{
	const struct mime_part *part = att->part;
	const unsigned char *body = data + part->body_offset;
	size_t size = part->end_offset - part->body_offset;
	if (mime_decode_transfer(part->encoding, body, size, out) < 0)
		buf_append(out, body, size);
}

static const char *view_extension(const char *content_type)
{
	static const char *const exts[][2] = {
	    {"application/pdf", ".pdf"},
	    {"image/png", ".png"},
	    {"image/jpeg", ".jpg"},
	    {"image/gif", ".gif"},
	    {"image/webp", ".webp"},
	    {"text/plain", ".txt"},
	    {"text/html", ".html"},
	    {"text/calendar", ".ics"},
	    {"message/rfc822", ".eml"},
	    {"message/global", ".eml"},
	    {"application/zip", ".zip"},
	    {"text/csv", ".csv"},
	    {"application/pgp-signature", ".asc"},
	};
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcmp(exts[i][0], content_type) == 0)
			return exts[i][1];
	return ".bin";
}

const char *
mime_view_attachment_filename(const struct mime_view_attachment *att,
                              struct pool *pool)
{
	const char *name = att->filename != NULL ? att->filename : "";
	/* the last path component only: "../../.bashrc" must not escape */
	for (const char *p = name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			name = p + 1;
	while (*name == '.' || *name == ' ')
		name++;
	if (*name != '\0')
		return pool_strdup(pool, name);
	return pool_printf(pool, "attachment-%u%s", att->index,
	                   view_extension(att->content_type));
}
