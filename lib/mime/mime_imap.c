/* ENVELOPE and BODYSTRUCTURE / BODY in IMAP syntax (RFC 9051 §7.5.2 and
 * its formal syntax §9: envelope, body, body-type-1part, body-type-mpart,
 * body-ext-1part, body-ext-mpart). Follows Dovecot where the RFC leaves a
 * choice: types as written, "7bit" and ("charset" "us-ascii") defaults for
 * text, languages as a list, extension data always complete. Values are
 * raw header text (encoded words kept); sizes are raw byte counts of the
 * blob, which imapd sends unchanged. */
#include "mime/mime_imap.h"

#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "mime/mime_private.h"

#include <string.h>
#include <strings.h>

/* An absurd header field is cut: ENVELOPE stays a sane size. */
#define ENVELOPE_FIELD_MAX 65536
#define QUOTED_MAX 1024

void mime_imap_string(const void *str, size_t len, struct buf *out)
{
	const unsigned char *s = str;
	bool is_quotable = len < QUOTED_MAX;
	for (size_t i = 0; i < len && is_quotable; i++) {
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n' ||
		    s[i] >= 0x80)
			is_quotable = false;
	}
	if (!is_quotable) {
		buf_printf(out, "{%zu}\r\n", len);
		buf_append(out, s, len);
		return;
	}
	buf_append_char(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, (char)s[i]);
	}
	buf_append_char(out, '"');
}

void mime_imap_nstring(const char *str, struct buf *out)
{
	if (str == NULL)
		buf_append_str(out, "NIL");
	else
		mime_imap_string(str, strlen(str), out);
}

/* ---- ENVELOPE ---------------------------------------------------------- */

enum env_field {
	ENV_DATE,
	ENV_SUBJECT,
	ENV_FROM,
	ENV_SENDER,
	ENV_REPLY_TO,
	ENV_TO,
	ENV_CC,
	ENV_BCC,
	ENV_IN_REPLY_TO,
	ENV_MESSAGE_ID,
	ENV_COUNT
};

static const char *const env_names[ENV_COUNT] = {
    "date", "subject", "from", "sender",      "reply-to",
    "to",   "cc",      "bcc",  "in-reply-to", "message-id",
};

/* address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")" */
static void address_list_write(const struct mime_address *list, struct buf *out)
{
	if (list == NULL) {
		buf_append_str(out, "NIL");
		return;
	}
	buf_append_char(out, '(');
	for (const struct mime_address *a = list; a != NULL; a = a->next) {
		buf_append_char(out, '(');
		mime_imap_nstring(a->name, out);
		buf_append_char(out, ' ');
		mime_imap_nstring(a->route, out);
		buf_append_char(out, ' ');
		mime_imap_nstring(a->is_group_end ? NULL : a->mailbox, out);
		buf_append_char(out, ' ');
		mime_imap_nstring(
		    a->is_group_start || a->is_group_end ? NULL : a->host, out);
		buf_append_char(out, ')');
	}
	buf_append_char(out, ')');
}

/* Reads the first of each envelope field into values (unfolded, from
 * pool). */
static void envelope_fields(const unsigned char *data,
                            const struct mime_part *root, struct pool *pool,
                            const char *values[ENV_COUNT])
{
	struct mime_header_iter iter;
	struct mime_header_field f;
	struct buf b;
	buf_init(&b);
	mime_header_iter_init(&iter, data, root);
	while (mime_header_iter_next(&iter, &f) > 0) {
		for (int i = 0; i < ENV_COUNT; i++) {
			if (values[i] != NULL || f.name_len == 0 ||
			    !mime_name_eq(f.name, f.name_len, env_names[i]))
				continue;
			buf_truncate(&b, 0);
			mime_header_unfold(f.value,
			                   f.value_len < ENVELOPE_FIELD_MAX
			                       ? f.value_len
			                       : ENVELOPE_FIELD_MAX,
			                   &b);
			values[i] = pool_strndup(pool, b.data, b.len);
		}
	}
	buf_deinit(&b);
}

void mime_imap_envelope(const unsigned char *data, const struct mime_part *root,
                        struct buf *out)
{
	struct pool *pool = pool_new();
	const char *values[ENV_COUNT] = {NULL};
	struct mime_address *lists[ENV_COUNT] = {NULL};
	envelope_fields(data, root, pool, values);
	for (int i = ENV_FROM; i <= ENV_BCC; i++) {
		if (values[i] != NULL)
			mime_address_parse((const unsigned char *)values[i],
			                   strlen(values[i]), pool, &lists[i]);
	}
	/* RFC 9051 §7.5.2: sender and reply-to default to from */
	if (lists[ENV_SENDER] == NULL)
		lists[ENV_SENDER] = lists[ENV_FROM];
	if (lists[ENV_REPLY_TO] == NULL)
		lists[ENV_REPLY_TO] = lists[ENV_FROM];

	buf_append_char(out, '(');
	for (int i = 0; i < ENV_COUNT; i++) {
		if (i > 0)
			buf_append_char(out, ' ');
		if (i >= ENV_FROM && i <= ENV_BCC)
			address_list_write(lists[i], out);
		else
			mime_imap_nstring(values[i], out);
	}
	buf_append_char(out, ')');
	pool_free(&pool);
}

/* ---- BODYSTRUCTURE ----------------------------------------------------- */

/* body-fld-param = "(" string SP string *(SP string SP string) ")" / nil */
static void params_write(const struct mime_param *params, unsigned int count,
                         bool add_charset, struct buf *out)
{
	if (add_charset &&
	    mime_param_get(params, count, "charset", NULL) != NULL)
		add_charset = false;
	if (count == 0 && !add_charset) {
		buf_append_str(out, "NIL");
		return;
	}
	buf_append_char(out, '(');
	if (add_charset)
		buf_append_str(out, "\"charset\" \"us-ascii\"");
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0 || add_charset)
			buf_append_char(out, ' ');
		mime_imap_nstring(params[i].name, out);
		buf_append_char(out, ' ');
		mime_imap_nstring(params[i].value, out);
	}
	buf_append_char(out, ')');
}

/* body-fld-lang = nstring / "(" string *(SP string) ")" */
static void language_write(const char *language, struct buf *out)
{
	if (language == NULL) {
		buf_append_str(out, "NIL");
		return;
	}
	bool has_any = false;
	buf_append_char(out, '(');
	for (const char *s = language; *s != '\0';) {
		size_t n = strcspn(s, ", \t");
		if (n > 0) {
			if (has_any)
				buf_append_char(out, ' ');
			mime_imap_string(s, n, out);
			has_any = true;
		}
		s += n;
		s += strspn(s, ", \t");
	}
	if (!has_any)
		buf_append_str(out, "\"\"");
	buf_append_char(out, ')');
}

/* [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]] */
static void ext_common_write(const struct mime_part *part, struct buf *out)
{
	buf_append_char(out, ' ');
	if (part->disposition == NULL) {
		buf_append_str(out, "NIL");
	} else {
		buf_append_char(out, '(');
		mime_imap_nstring(part->disposition, out);
		buf_append_char(out, ' ');
		params_write(part->disposition_params,
		             part->disposition_param_count, false, out);
		buf_append_char(out, ')');
	}
	buf_append_char(out, ' ');
	language_write(part->language, out);
	buf_append_char(out, ' ');
	mime_imap_nstring(part->location, out);
}

static void part_write(const unsigned char *data, const struct mime_part *part,
                       bool extended, struct buf *out);

/* body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart] */
static void multipart_write(const unsigned char *data,
                            const struct mime_part *part, bool extended,
                            struct buf *out)
{
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		part_write(data, c, extended, out);
	buf_append_char(out, ' ');
	mime_imap_nstring(part->subtype, out);
	if (extended) {
		buf_append_char(out, ' ');
		params_write(part->params, part->param_count, false, out);
		ext_common_write(part, out);
	}
}

/* body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP
 *               body-fld-enc SP body-fld-octets */
static void leaf_write(const unsigned char *data, const struct mime_part *part,
                       bool extended, struct buf *out)
{
	bool is_text = (part->flags & MIME_PART_FLAG_TEXT) != 0;
	mime_imap_nstring(part->type, out);
	buf_append_char(out, ' ');
	mime_imap_nstring(part->subtype, out);
	buf_append_char(out, ' ');
	params_write(part->params, part->param_count, is_text, out);
	buf_append_char(out, ' ');
	mime_imap_nstring(part->id, out);
	buf_append_char(out, ' ');
	mime_imap_nstring(part->description, out);
	buf_append_char(out, ' ');
	mime_imap_nstring(part->encoding != NULL ? part->encoding : "7bit",
	                  out);
	buf_printf(out, " %zu", part->end_offset - part->body_offset);
	if ((part->flags & MIME_PART_FLAG_MESSAGE) != 0) {
		/* body-type-msg: SP envelope SP body SP body-fld-lines */
		buf_append_char(out, ' ');
		mime_imap_envelope(data, part->children, out);
		buf_append_char(out, ' ');
		part_write(data, part->children, extended, out);
		buf_printf(out, " %zu", part->body_lines);
	} else if (is_text) {
		buf_printf(out, " %zu", part->body_lines);
	}
	if (extended) {
		buf_append_char(out, ' ');
		mime_imap_nstring(part->md5, out);
		ext_common_write(part, out);
	}
}

static void part_write(const unsigned char *data, const struct mime_part *part,
                       bool extended, struct buf *out)
{
	buf_append_char(out, '(');
	if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0)
		multipart_write(data, part, extended, out);
	else
		leaf_write(data, part, extended, out);
	buf_append_char(out, ')');
}

void mime_imap_bodystructure(const unsigned char *data,
                             const struct mime_part *part, bool extended,
                             struct buf *out)
{
	part_write(data, part, extended, out);
}
