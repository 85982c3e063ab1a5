/* Replying to and forwarding a stored message: subjects without piled-up
 * prefixes, the reply target (Reply-To, else From, RFC 5322 §3.6.2),
 * reply-all recipients, the In-Reply-To/References chain of RFC 5322
 * §3.6.4, and the quoted text of the first text part, decoded through
 * mime_decode (transfer encoding, then charset). Forwarding attaches the
 * original whole as message/rfc822 (RFC 2046 §5.2.1). */
#include "mime/mime_compose.h"
#include "mime/mime_view.h"

#include "core/buf.h"
#include "core/pool.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "mime/mime_decode.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Quoting stops after this many bytes of decoded text. */
#define REPLY_QUOTE_MAX (256 * 1024)
/* An attached original is named after at most this many subject bytes. */
#define FORWARD_NAME_MAX 60

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Returns the length of a leading "Re:", "Re :", "Re[3]:" (any case), or
 * 0 when s does not start with one. */
static size_t re_prefix_len(const char *s)
{
	if (strncasecmp(s, "re", 2) != 0)
		return 0;
	size_t i = 2;
	if (s[i] == '[') {
		i++;
		while (isdigit((unsigned char)s[i]))
			i++;
		if (s[i] != ']')
			return 0;
		i++;
	}
	while (s[i] == ' ')
		i++;
	return s[i] == ':' ? i + 1 : 0;
}

const char *mime_compose_reply_subject(const char *subject, struct pool *pool)
{
	const char *s = skip_space(subject != NULL ? subject : "");
	size_t n;
	while ((n = re_prefix_len(s)) > 0)
		s = skip_space(s + n);
	return pool_printf(pool, "Re: %s", s);
}

const char *mime_compose_forward_subject(const char *subject, struct pool *pool)
{
	const char *s = skip_space(subject != NULL ? subject : "");
	if (strncasecmp(s, "fwd:", 4) == 0 || strncasecmp(s, "fw:", 3) == 0)
		return pool_strdup(pool, s);
	return pool_printf(pool, "Fwd: %s", s);
}

/* The decoded (UTF-8) value of the top-level field name, or NULL. */
static const char *field_decoded(const unsigned char *data,
                                 const struct mime_part *root, const char *name,
                                 struct pool *pool)
{
	const char *raw = mime_header_get(data, root, name, pool);
	if (raw == NULL)
		return NULL;
	struct buf out;
	buf_init(&out);
	mime_decode_header((const unsigned char *)raw, strlen(raw), &out);
	const char *value = pool_strdup(pool, out.data);
	buf_deinit(&out);
	return value;
}

/* An address list being collected: text for a field, and every address
 * already in it (or excluded), compared case-insensitively. */
struct addr_list {
	struct buf text;
	const char **seen;
	size_t seen_count, seen_cap;
};

static bool addr_list_has(const struct addr_list *list, const char *addr)
{
	for (size_t i = 0; i < list->seen_count; i++)
		if (strcasecmp(list->seen[i], addr) == 0)
			return true;
	return false;
}

static void addr_list_see(struct addr_list *list, const char *addr,
                          struct pool *pool)
{
	if (list->seen_count == list->seen_cap) {
		size_t cap = list->seen_cap == 0 ? 16 : list->seen_cap * 2;
		const char **seen = pool_alloc(pool, cap * sizeof(*seen));
		if (list->seen_count > 0)
			memcpy(seen, list->seen,
			       list->seen_count * sizeof(*seen));
		list->seen = seen;
		list->seen_cap = cap;
	}
	list->seen[list->seen_count++] = pool_strdup(pool, addr);
}

/* Appends "Name" <addr> (the name decoded and re-quoted) to text. */
static void addr_format(struct buf *text, const struct mime_address *a,
                        const char *addr)
{
	if (text->len > 0)
		buf_append_str(text, ", ");
	if (a->name == NULL || a->name[0] == '\0') {
		buf_append_str(text, addr);
		return;
	}
	struct buf name;
	buf_init(&name);
	mime_decode_header((const unsigned char *)a->name, strlen(a->name),
	                   &name);
	buf_append_char(text, '"');
	for (size_t i = 0; i < name.len; i++) {
		if (name.data[i] == '"' || name.data[i] == '\\')
			buf_append_char(text, '\\');
		buf_append_char(text, name.data[i]);
	}
	buf_printf(text, "\" <%s>", addr);
	buf_deinit(&name);
}

/* Adds the mailboxes of raw field value (NULL: none) to to, unless seen
 * (through seen, which may be the same list or a shared exclusion). */
static void addr_list_add_field(struct addr_list *to, struct addr_list *seen,
                                const char *value, struct pool *pool)
{
	struct mime_address *list;
	if (value == NULL ||
	    mime_address_parse((const unsigned char *)value, strlen(value),
	                       pool, &list) <= 0)
		return;
	for (const struct mime_address *a = list; a != NULL; a = a->next) {
		if (a->host == NULL || a->mailbox == NULL ||
		    strcmp(a->host, "MISSING_DOMAIN") == 0)
			continue; /* group markers, broken entries */
		const char *addr =
		    pool_printf(pool, "%s@%s", a->mailbox, a->host);
		if (addr_list_has(seen, addr))
			continue;
		addr_list_see(seen, addr, pool);
		addr_format(&to->text, a, addr);
	}
}

static const char *addr_list_result(struct addr_list *list, struct pool *pool)
{
	const char *text =
	    list->text.len > 0 ? pool_strdup(pool, list->text.data) : NULL;
	buf_deinit(&list->text);
	return text;
}

static void reply_recipients(const unsigned char *data,
                             const struct mime_part *root, const char *own_addr,
                             bool is_all, struct pool *pool,
                             struct mime_reply *reply)
{
	const char *target = mime_header_get(data, root, "Reply-To", pool);
	if (target == NULL)
		target = mime_header_get(data, root, "From", pool);
	const char *orig_to = mime_header_get(data, root, "To", pool);
	struct addr_list to = {0}, cc = {0}, seen = {0};
	buf_init(&to.text);
	buf_init(&cc.text);
	if (own_addr != NULL)
		addr_list_see(&seen, own_addr, pool);
	addr_list_add_field(&to, &seen, target, pool);
	if (to.text.len == 0) /* replying to our own message */
		addr_list_add_field(&to, &seen, orig_to, pool);
	if (is_all) {
		addr_list_add_field(&cc, &seen, orig_to, pool);
		addr_list_add_field(
		    &cc, &seen, mime_header_get(data, root, "Cc", pool), pool);
	}
	reply->to = addr_list_result(&to, pool);
	reply->cc = addr_list_result(&cc, pool);
}

/* msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]  (RFC 5322 §3.6.4)
 * Returns the first "<...>" of value, from pool, or NULL. */
static const char *first_msg_id(const char *value, struct pool *pool)
{
	const char *lt = value != NULL ? strchr(value, '<') : NULL;
	const char *gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (gt == NULL || gt == lt + 1)
		return NULL;
	return pool_strndup(pool, lt, (size_t)(gt - lt + 1));
}

/* RFC 5322 §3.6.4: In-Reply-To is the parent's Message-ID; References is
 * the parent's References (or, without them, its single In-Reply-To)
 * followed by the parent's Message-ID. */
static void reply_chain(const unsigned char *data, const struct mime_part *root,
                        struct pool *pool, struct mime_reply *reply)
{
	const char *id =
	    first_msg_id(mime_header_get(data, root, "Message-ID", pool), pool);
	const char *refs = mime_header_get(data, root, "References", pool);
	if (refs == NULL || strchr(refs, '<') == NULL) {
		const char *irt =
		    mime_header_get(data, root, "In-Reply-To", pool);
		refs = first_msg_id(irt, pool);
	}
	reply->in_reply_to = id;
	if (id == NULL)
		reply->references = refs;
	else if (refs == NULL)
		reply->references = id;
	else
		reply->references = pool_printf(pool, "%s %s", refs, id);
}

/* Appends text, each line prefixed "> " (">" alone before a line that is
 * already quoted), with LF line ends and no trailing empty lines. */
static void quote_lines(const char *text, size_t len, struct buf *out)
{
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	size_t start = 0;
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t line_end = end;
		if (line_end > start && text[line_end - 1] == '\r')
			line_end--;
		buf_append_str(out, line_end > start && text[start] == '>' ? ">"
		                    : line_end > start ? "> "
		                                       : ">");
		buf_append(out, text + start, line_end - start);
		buf_append_char(out, '\n');
		start = end + 1;
	}
}

static void reply_quote(const unsigned char *data, const struct mime_part *root,
                        struct pool *pool, struct mime_reply *reply)
{
	const char *from = field_decoded(data, root, "From", pool);
	struct mime_address *addr = NULL;
	const char *raw_from = mime_header_get(data, root, "From", pool);
	if (raw_from != NULL)
		(void)mime_address_parse((const unsigned char *)raw_from,
		                         strlen(raw_from), pool, &addr);
	const char *who = from != NULL ? from : "someone";
	struct buf name;
	buf_init(&name);
	if (addr != NULL && addr->name != NULL && addr->name[0] != '\0') {
		mime_decode_header((const unsigned char *)addr->name,
		                   strlen(addr->name), &name);
		who = name.data;
	}
	const char *date = mime_header_get(data, root, "Date", pool);
	struct buf out;
	buf_init(&out);
	if (date != NULL)
		buf_printf(&out, "On %s, %s wrote:\n", date, who);
	else
		buf_printf(&out, "%s wrote:\n", who);
	buf_deinit(&name);

	/* What the reader saw: text/plain over HTML, HTML as text, the
	 * charset and transfer encoding undone (mime_view.h). */
	struct buf text;
	buf_init(&text);
	mime_view_text(data, root, &text);
	if (text.len > REPLY_QUOTE_MAX)
		buf_truncate(&text, REPLY_QUOTE_MAX);
	quote_lines(text.data, text.len, &out);
	buf_deinit(&text);
	reply->quoted = pool_strdup(pool, out.data);
	buf_deinit(&out);
}

void mime_compose_reply(const unsigned char *data, size_t size,
                        const char *own_addr, bool is_all, struct pool *pool,
                        struct mime_reply *reply_r)
{
	struct mime_settings settings = MIME_SETTINGS_DEFAULT;
	const struct mime_part *root = mime_parse(data, size, &settings, pool);
	memset(reply_r, 0, sizeof(*reply_r));
	reply_recipients(data, root, own_addr, is_all, pool, reply_r);
	reply_r->subject = mime_compose_reply_subject(
	    field_decoded(data, root, "Subject", pool), pool);
	reply_chain(data, root, pool, reply_r);
	reply_quote(data, root, pool, reply_r);
}

/* A file name from the subject: no folder separators or control bytes. */
static const char *forward_filename(const char *subject, struct pool *pool)
{
	struct buf name;
	buf_init(&name);
	/* Stop at a character boundary: never inside a UTF-8 sequence. */
	for (const char *s = subject != NULL ? subject : "";
	     *s != '\0' && (name.len < FORWARD_NAME_MAX ||
	                    ((unsigned char)*s & 0xc0) == 0x80);
	     s++) {
		unsigned char c = (unsigned char)*s;
		buf_append_char(&name, c < 32 || c == '/' || c == '\\' ||
		                               c == '"' || c == 127
		                           ? '_'
		                           : (char)c);
	}
	const char *file =
	    pool_printf(pool, "%s.eml", name.len > 0 ? name.data : "forwarded");
	buf_deinit(&name);
	return file;
}

void mime_compose_forward(const unsigned char *data, size_t size,
                          struct pool *pool, struct mime_reply *reply_r,
                          struct mime_compose_attachment *attachment_r)
{
	struct mime_settings settings = MIME_SETTINGS_DEFAULT;
	const struct mime_part *root = mime_parse(data, size, &settings, pool);
	const char *subject = field_decoded(data, root, "Subject", pool);
	memset(reply_r, 0, sizeof(*reply_r));
	reply_r->subject = mime_compose_forward_subject(subject, pool);
	attachment_r->filename = forward_filename(subject, pool);
	attachment_r->content_type = "message/rfc822";
	attachment_r->data = data;
	attachment_r->size = size;
}
