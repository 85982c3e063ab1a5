/* Email properties computed from the message (RFC 8621 §4.1.3-4.1.4):
 * the convenience header properties, bodyStructure, textBody, htmlBody
 * and attachments (the parseStructure algorithm of §4.1.4), bodyValues,
 * preview and hasAttachment. Leaf parts are numbered in tree order
 * ("1", "2", ...); a message/rfc822 part is a leaf whose content is the
 * message it holds. */
#include "core/buf.h"
#include "core/pool.h"
#include "jmap/jmap_email_private.h"
#include "jmap/jmap_method.h"
#include "mime/mime.h"
#include "mime/mime_decode.h"
#include "mime/mime_html.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PREVIEW_MAX 256 /* characters (§4.1.4: at most 256) */

const char *const jmap_email_body_props[] = {
    "partId",      "blobId", "size",     "name",     "type", "charset",
    "disposition", "cid",    "language", "location", NULL};
const char *const jmap_email_body_props_all[] = {
    "partId",      "blobId", "size",     "headers",  "name",     "type",
    "charset",     "disposition", "cid", "language", "location", "subParts",
    NULL};

static const char *const meta_props[] = {
    "id",   "blobId",     "threadId", "mailboxIds",
    "keywords", "size",   "receivedAt", NULL};

bool jmap_email_prop_needs_body(const char *prop)
{
	for (const char *const *p = meta_props; *p != NULL; p++) {
		if (strcmp(*p, prop) == 0)
			return false;
	}
	return true;
}

void jmap_email_msg_init(struct jmap_email_msg *msg, const unsigned char *data,
                         size_t size, const char *blob_id, struct pool *pool)
{
	struct mime_settings set;
	mime_settings_init(&set);
	set.max_parts = 1000;
	msg->data = data;
	msg->size = size;
	msg->blob_id = blob_id;
	msg->pool = pool;
	msg->root = mime_parse(data, size, &set, pool);
}

/* ---- parts ---- */

static bool part_is_leaf(const struct mime_part *part)
{
	return (part->flags & MIME_PART_FLAG_MULTIPART) == 0;
}

/* Numbers leaves in tree order: returns part's number (1...), 0 for a
 * multipart. */
static unsigned part_number(const struct mime_part *root,
                            const struct mime_part *part)
{
	unsigned n = 0;
	const struct mime_part *p = root;
	while (p != NULL) {
		if (part_is_leaf(p))
			n++;
		if (p == part)
			return part_is_leaf(p) ? n : 0;
		if (!part_is_leaf(p) && p->children != NULL) {
			p = p->children;
			continue;
		}
		while (p != NULL && p != root && p->next == NULL)
			p = p->parent;
		if (p == NULL || p == root)
			break;
		p = p->next;
	}
	return 0;
}

const struct mime_part *jmap_email_part_find(const struct jmap_email_msg *msg,
                                             const char *part_id)
{
	char *end;
	unsigned long want = strtoul(part_id, &end, 10);
	if (*end != '\0' || want == 0)
		return NULL;
	unsigned n = 0;
	const struct mime_part *p = msg->root;
	while (p != NULL) {
		if (part_is_leaf(p) && ++n == want)
			return p;
		if (!part_is_leaf(p) && p->children != NULL) {
			p = p->children;
			continue;
		}
		while (p != NULL && p != msg->root && p->next == NULL)
			p = p->parent;
		if (p == NULL || p == msg->root)
			break;
		p = p->next;
	}
	return NULL;
}

const char *jmap_email_part_type(const struct mime_part *part,
                                 struct pool *pool)
{
	char *t = pool_printf(pool, "%s/%s", part->type, part->subtype);
	for (char *p = t; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return t;
}

static int part_decode(const struct jmap_email_msg *msg,
                       const struct mime_part *part, struct buf *out)
{
	const unsigned char *body = msg->data + part->body_offset;
	size_t len = part->end_offset - part->body_offset;
	if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0) {
		buf_append(out, body, len);
		return 0;
	}
	if (mime_decode_transfer(part->encoding, body, len, out) < 0) {
		buf_append(out, body, len);
		return -1;
	}
	return 0;
}

void jmap_email_part_content(const struct jmap_email_msg *msg,
                             const struct mime_part *part, struct buf *out)
{
	(void)part_decode(msg, part, out);
}

static const char *part_name(const struct mime_part *part, struct pool *pool)
{
	const char *name =
	    mime_param_get(part->disposition_params,
	                   part->disposition_param_count, "filename", pool);
	if (name == NULL)
		name = mime_param_get(part->params, part->param_count, "name",
		                      pool);
	return name;
}

static const char *part_disposition(const struct mime_part *part,
                                    struct pool *pool)
{
	if (part->disposition == NULL)
		return NULL;
	size_t len = strcspn(part->disposition, "; \t");
	char *d = pool_strndup(pool, part->disposition, len);
	for (char *p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static json_t *nullable(const char *s)
{
	if (s == NULL)
		return json_null();
	struct buf b;
	buf_init(&b);
	jmap_utf8_sanitize((const unsigned char *)s, strlen(s), &b);
	json_t *j = json_stringn(b.data, b.len);
	buf_deinit(&b);
	return j;
}

static bool wants(const struct jmap_email_fetch *fetch, const char *prop)
{
	if (fetch == NULL || fetch->body_properties == NULL)
		return jmap_str_in(prop, jmap_email_body_props);
	size_t i;
	json_t *v;
	json_array_foreach(fetch->body_properties, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), prop) == 0)
			return true;
	}
	return false;
}

static json_t *part_json(const struct jmap_email_msg *msg,
                         const struct mime_part *part,
                         const struct jmap_email_fetch *fetch)
{
	struct pool *pool = msg->pool;
	json_t *obj = json_object();
	bool leaf = part_is_leaf(part);
	unsigned n = leaf ? part_number(msg->root, part) : 0;
	const char *type = jmap_email_part_type(part, pool);
	if (wants(fetch, "partId"))
		json_object_set_new(obj, "partId",
		                    leaf ? json_sprintf("%u", n) : json_null());
	if (wants(fetch, "blobId"))
		json_object_set_new(obj, "blobId",
		                    leaf ? json_sprintf("%s_%u", msg->blob_id, n)
		                         : json_null());
	if (wants(fetch, "size")) {
		struct buf b;
		buf_init(&b);
		if (leaf)
			(void)part_decode(msg, part, &b);
		json_object_set_new(obj, "size", json_integer((json_int_t)b.len));
		buf_deinit(&b);
	}
	if (wants(fetch, "headers"))
		json_object_set_new(obj, "headers",
		                    jmap_header_all_raw(msg->data, part));
	if (wants(fetch, "name"))
		json_object_set_new(obj, "name", nullable(part_name(part, pool)));
	if (wants(fetch, "type"))
		json_object_set_new(obj, "type", json_string(type));
	if (wants(fetch, "charset")) {
		const char *cs = mime_param_get(part->params, part->param_count,
		                                "charset", NULL);
		if (cs == NULL && strncmp(type, "text/", 5) == 0)
			cs = "us-ascii";
		json_object_set_new(obj, "charset", nullable(cs));
	}
	if (wants(fetch, "disposition"))
		json_object_set_new(obj, "disposition",
		                    nullable(part_disposition(part, pool)));
	if (wants(fetch, "cid")) {
		const char *cid = part->id;
		if (cid != NULL && cid[0] == '<') {
			size_t len = strcspn(cid + 1, ">");
			cid = pool_strndup(pool, cid + 1, len);
		}
		json_object_set_new(obj, "cid", nullable(cid));
	}
	if (wants(fetch, "language")) {
		json_t *langs = json_null();
		if (part->language != NULL) {
			langs = json_array();
			char *copy = pool_strdup(pool, part->language);
			for (char *tok = strtok(copy, ", \t"); tok != NULL;
			     tok = strtok(NULL, ", \t"))
				json_array_append_new(langs, nullable(tok));
		}
		json_object_set_new(obj, "language", langs);
	}
	if (wants(fetch, "location"))
		json_object_set_new(obj, "location", nullable(part->location));
	if (!leaf) { /* always, so the tree can be walked */
		json_t *subs = json_array();
		for (const struct mime_part *c = part->children; c != NULL;
		     c = c->next)
			json_array_append_new(subs, part_json(msg, c, fetch));
		json_object_set_new(obj, "subParts", subs);
	}
	return obj;
}

/* ---- §4.1.4 parseStructure ---- */

#define PART_LIST_MAX 200

struct part_list {
	const struct mime_part *parts[PART_LIST_MAX];
	size_t count;
	bool is_null;
};

static void list_push(struct part_list *l, const struct mime_part *p)
{
	if (l != NULL && !l->is_null && l->count < PART_LIST_MAX)
		l->parts[l->count++] = p;
}

static bool is_inline_media(const char *type)
{
	return strncmp(type, "image/", 6) == 0 ||
	       strncmp(type, "audio/", 6) == 0 ||
	       strncmp(type, "video/", 6) == 0;
}

static void parse_structure(const struct jmap_email_msg *msg,
                            const struct mime_part *first,
                            const char *multipart_type, bool in_alternative,
                            struct part_list *html, struct part_list *text,
                            struct part_list *att, unsigned depth)
{
	struct pool *pool = msg->pool;
	/* html and text are NULL (the JavaScript's null) below a text/plain
	 * or text/html of an alternative: they are copies, not the caller's
	 * lists, so "htmlBody = null" stays local as in the algorithm */
	struct part_list *h = html, *t = text;
	size_t text_len = t != NULL && !t->is_null ? t->count : (size_t)-1;
	size_t html_len = h != NULL && !h->is_null ? h->count : (size_t)-1;
	unsigned i = 0;
	for (const struct mime_part *part = first; part != NULL;
	     part = part->next, i++) {
		const char *type = jmap_email_part_type(part, pool);
		bool is_multipart = !part_is_leaf(part);
		const char *disp = part_disposition(part, pool);
		bool is_inline =
		    (disp == NULL || strcmp(disp, "attachment") != 0) &&
		    (strcmp(type, "text/plain") == 0 ||
		     strcmp(type, "text/html") == 0 || is_inline_media(type)) &&
		    (i == 0 || (strcmp(multipart_type, "related") != 0 &&
		                (is_inline_media(type) ||
		                 part_name(part, pool) == NULL)));
		if (is_multipart) {
			if (depth < 50)
				parse_structure(
				    msg, part->children, type + 10,
				    in_alternative ||
				        strcmp(type + 10, "alternative") == 0,
				    h, t, att, depth + 1);
		} else if (is_inline) {
			if (strcmp(multipart_type, "alternative") == 0) {
				if (strcmp(type, "text/plain") == 0)
					list_push(t, part);
				else if (strcmp(type, "text/html") == 0)
					list_push(h, part);
				else
					list_push(att, part);
				continue;
			} else if (in_alternative) {
				if (strcmp(type, "text/plain") == 0)
					h = NULL;
				if (strcmp(type, "text/html") == 0)
					t = NULL;
			}
			bool has_t = t != NULL && !t->is_null;
			bool has_h = h != NULL && !h->is_null;
			if (has_t)
				list_push(t, part);
			if (has_h)
				list_push(h, part);
			if ((!has_t || !has_h) && is_inline_media(type))
				list_push(att, part);
		} else {
			list_push(att, part);
		}
	}
	if (strcmp(multipart_type, "alternative") == 0 && t != NULL &&
	    !t->is_null && h != NULL && !h->is_null) {
		if (text_len == t->count && html_len != h->count) {
			for (size_t k = html_len; k < h->count; k++)
				list_push(t, h->parts[k]);
		}
		if (html_len == h->count && text_len != t->count) {
			for (size_t k = text_len; k < t->count; k++)
				list_push(h, t->parts[k]);
		}
	}
}

struct body_lists {
	struct part_list text, html, att;
};

static void body_lists(const struct jmap_email_msg *msg, struct body_lists *bl)
{
	memset(bl, 0, sizeof(*bl));
	parse_structure(msg, msg->root, "mixed", false, &bl->html, &bl->text,
	                &bl->att, 0);
}

static json_t *list_json(const struct jmap_email_msg *msg,
                         const struct part_list *l,
                         const struct jmap_email_fetch *fetch)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < l->count; i++)
		json_array_append_new(arr, part_json(msg, l->parts[i], fetch));
	return arr;
}

/* The text of a text part as UTF-8. Returns false when it could not be
 * decoded (isEncodingProblem). */
static bool part_text(const struct jmap_email_msg *msg,
                      const struct mime_part *part, struct buf *out)
{
	struct buf raw;
	buf_init(&raw);
	bool ok = part_decode(msg, part, &raw) == 0;
	const char *cs =
	    mime_param_get(part->params, part->param_count, "charset", NULL);
	mime_decode_charset(cs, (const unsigned char *)raw.data, raw.len, out);
	buf_deinit(&raw);
	return ok;
}

/* Cuts out at most max bytes on a UTF-8 character boundary. */
static bool utf8_truncate(struct buf *b, size_t max)
{
	if (max == 0 || b->len <= max)
		return false;
	size_t len = max;
	while (len > 0 && ((unsigned char)b->data[len] & 0xc0) == 0x80)
		len--;
	buf_truncate(b, len);
	return true;
}

static void body_values_add(const struct jmap_email_msg *msg,
                            const struct part_list *l,
                            const struct jmap_email_fetch *fetch,
                            json_t *values)
{
	for (size_t i = 0; i < l->count; i++) {
		const struct mime_part *p = l->parts[i];
		if ((p->flags & MIME_PART_FLAG_TEXT) == 0)
			continue;
		char key[16];
		snprintf(key, sizeof(key), "%u", part_number(msg->root, p));
		if (json_object_get(values, key) != NULL)
			continue;
		struct buf t, b;
		buf_init(&t);
		buf_init(&b);
		bool ok = part_text(msg, p, &t);
		/* §4.1.4: CRLF becomes LF */
		for (size_t k = 0; k < t.len; k++) {
			if (t.data[k] != '\r' || k + 1 >= t.len ||
			    t.data[k + 1] != '\n')
				buf_append_char(&b, t.data[k]);
		}
		buf_deinit(&t);
		bool cut = utf8_truncate(&b, fetch->max_body_value_bytes);
		json_object_set_new(values, key,
		                    json_pack("{s:s%, s:b, s:b}", "value",
		                              b.data, b.len, "isEncodingProblem",
		                              !ok, "isTruncated", cut));
		buf_deinit(&b);
	}
}

static json_t *preview(const struct jmap_email_msg *msg,
                       const struct body_lists *bl)
{
	struct buf text, out;
	buf_init(&text);
	buf_init(&out);
	for (size_t i = 0; i < bl->text.count && text.len == 0; i++) {
		const struct mime_part *p = bl->text.parts[i];
		if ((p->flags & MIME_PART_FLAG_TEXT) == 0)
			continue;
		if (strcasecmp(p->subtype, "html") == 0) {
			struct buf html;
			buf_init(&html);
			part_text(msg, p, &html);
			mime_html_to_text(html.data, html.len, &text);
			buf_deinit(&html);
		} else {
			part_text(msg, p, &text);
		}
	}
	/* white space folded to one space, at most PREVIEW_MAX characters */
	unsigned chars = 0;
	bool space = false;
	for (size_t i = 0; i < text.len && chars < PREVIEW_MAX; i++) {
		unsigned char ch = (unsigned char)text.data[i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			space = out.len > 0;
			continue;
		}
		if (space) {
			buf_append_char(&out, ' ');
			chars++;
			space = false;
		}
		if ((ch & 0xc0) != 0x80)
			chars++;
		if (chars > PREVIEW_MAX)
			break;
		buf_append_char(&out, (char)ch);
	}
	while (out.len > 0 && ((unsigned char)out.data[out.len - 1] & 0x80) &&
	       ((unsigned char)out.data[out.len - 1] & 0xc0) == 0xc0)
		buf_truncate(&out, out.len - 1); /* a cut lead byte */
	json_t *j = json_stringn(out.data, out.len);
	buf_deinit(&text);
	buf_deinit(&out);
	return j;
}

static const struct {
	const char *prop, *header;
} convenience[] = {
    {"messageId", "header:Message-ID:asMessageIds"},
    {"inReplyTo", "header:In-Reply-To:asMessageIds"},
    {"references", "header:References:asMessageIds"},
    {"sender", "header:Sender:asAddresses"},
    {"from", "header:From:asAddresses"},
    {"to", "header:To:asAddresses"},
    {"cc", "header:Cc:asAddresses"},
    {"bcc", "header:Bcc:asAddresses"},
    {"replyTo", "header:Reply-To:asAddresses"},
    {"subject", "header:Subject:asText"},
    {"sentAt", "header:Date:asDate"},
};

static int header_prop(const struct jmap_email_msg *msg, const char *prop,
                       const char *header, json_t *obj)
{
	struct jmap_header_prop hp;
	if (jmap_header_prop_parse(header, &hp) < 0)
		return -1;
	json_t *v = jmap_header_get(msg->data, msg->root, &hp);
	/* the convenience properties are null, not [], when absent */
	if (json_is_array(v) && json_array_size(v) == 0 &&
	    strncmp(prop, "header:", 7) != 0) {
		json_decref(v);
		v = json_null();
	}
	json_object_set_new(obj, prop, v);
	return 0;
}

int jmap_email_prop(const struct jmap_email_msg *msg, const char *prop,
                    const struct jmap_email_fetch *fetch, json_t *obj)
{
	for (size_t i = 0; i < sizeof(convenience) / sizeof(*convenience); i++) {
		if (strcmp(prop, convenience[i].prop) == 0)
			return header_prop(msg, prop, convenience[i].header, obj);
	}
	if (strncmp(prop, "header:", 7) == 0)
		return header_prop(msg, prop, prop, obj);
	if (strcmp(prop, "headers") == 0) {
		json_object_set_new(obj, prop,
		                    jmap_header_all_raw(msg->data, msg->root));
		return 0;
	}
	if (strcmp(prop, "bodyStructure") == 0) {
		json_object_set_new(obj, prop, part_json(msg, msg->root, fetch));
		return 0;
	}
	struct body_lists bl;
	body_lists(msg, &bl);
	if (strcmp(prop, "textBody") == 0) {
		json_object_set_new(obj, prop, list_json(msg, &bl.text, fetch));
	} else if (strcmp(prop, "htmlBody") == 0) {
		json_object_set_new(obj, prop, list_json(msg, &bl.html, fetch));
	} else if (strcmp(prop, "attachments") == 0) {
		json_object_set_new(obj, prop, list_json(msg, &bl.att, fetch));
	} else if (strcmp(prop, "hasAttachment") == 0) {
		json_object_set_new(obj, prop, json_boolean(bl.att.count > 0));
	} else if (strcmp(prop, "preview") == 0) {
		json_object_set_new(obj, prop, preview(msg, &bl));
	} else if (strcmp(prop, "bodyValues") == 0) {
		json_t *values = json_object();
		if (fetch->fetch_all || fetch->fetch_text)
			body_values_add(msg, &bl.text, fetch, values);
		if (fetch->fetch_all || fetch->fetch_html)
			body_values_add(msg, &bl.html, fetch, values);
		if (fetch->fetch_all)
			body_values_add(msg, &bl.att, fetch, values);
		json_object_set_new(obj, prop, values);
	}
	return 0;
}
