/* Header fields of an Email in the parsed forms of RFC 8621 §4.1.2, and
 * the "header:Name[:asForm][:all]" properties of §4.1.3. A field is read
 * from the header of the message (or of a body part) with lib/mime's
 * iterator; without ":all" the last instance counts. */
#include "core/buf.h"
#include "core/pool.h"
#include "jmap/jmap_email_private.h"
#include "mime/mime.h"
#include "mime/mime_address.h"
#include "mime/mime_decode.h"

#include <string.h>
#include <strings.h>

/* Appends data as valid UTF-8: NUL dropped, an invalid sequence becomes
 * U+FFFD (§4.1.2.1). */
void jmap_utf8_sanitize(const unsigned char *data, size_t size,
                        struct buf *out)
{
	size_t i = 0;
	while (i < size) {
		unsigned char c = data[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2
		                      : (c & 0xf0) == 0xe0   ? 3
		                      : (c & 0xf8) == 0xf0   ? 4
		                                             : 0;
		bool ok = n > 0 && i + n <= size;
		for (size_t k = 1; ok && k < n; k++)
			ok = (data[i + k] & 0xc0) == 0x80;
		if (ok && n == 2 && c < 0xc2)
			ok = false;
		if (ok && n == 3 &&
		    ((c == 0xe0 && data[i + 1] < 0xa0) ||
		     (c == 0xed && data[i + 1] >= 0xa0)))
			ok = false;
		if (ok && n == 4 &&
		    ((c == 0xf0 && data[i + 1] < 0x90) || c > 0xf4 ||
		     (c == 0xf4 && data[i + 1] >= 0x90)))
			ok = false;
		if (!ok) {
			buf_append_str(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (c != 0)
			buf_append(out, data + i, n);
		i += n;
	}
}

static json_t *str_json(const struct buf *b)
{
	return json_stringn(b->data, b->len);
}

/* Raw: everything after the colon up to the line end. */
static json_t *form_raw(const unsigned char *value, size_t len)
{
	while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == '\r'))
		len--;
	struct buf b;
	buf_init(&b);
	jmap_utf8_sanitize(value, len, &b);
	json_t *j = str_json(&b);
	buf_deinit(&b);
	return j;
}

static void trim(struct buf *b)
{
	size_t start = 0;
	while (start < b->len && (b->data[start] == ' ' ||
	                          b->data[start] == '\t'))
		start++;
	buf_consume(b, start);
	while (b->len > 0 &&
	       (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
		buf_truncate(b, b->len - 1);
}

/* Text: unfolded, RFC 2047 decoded, trimmed (§4.1.2.2). */
static json_t *form_text(const unsigned char *value, size_t len)
{
	struct buf b, s;
	buf_init(&b);
	buf_init(&s);
	mime_decode_header(value, len, &b);
	trim(&b);
	jmap_utf8_sanitize((const unsigned char *)b.data, b.len, &s);
	json_t *j = str_json(&s);
	buf_deinit(&b);
	buf_deinit(&s);
	return j;
}

static json_t *address_json(const struct mime_address *a)
{
	json_t *obj = json_object();
	if (a->name != NULL && a->name[0] != '\0') {
		json_object_set_new(
		    obj, "name",
		    form_text((const unsigned char *)a->name, strlen(a->name)));
	} else {
		json_object_set_new(obj, "name", json_null());
	}
	struct buf b;
	buf_init(&b);
	if (a->mailbox != NULL && strcmp(a->mailbox, "MISSING_MAILBOX") != 0)
		buf_append_str(&b, a->mailbox);
	if (a->host != NULL && strcmp(a->host, "MISSING_DOMAIN") != 0)
		buf_printf(&b, "@%s", a->host);
	struct buf s;
	buf_init(&s);
	jmap_utf8_sanitize((const unsigned char *)b.data, b.len, &s);
	json_object_set_new(obj, "email", str_json(&s));
	buf_deinit(&b);
	buf_deinit(&s);
	return obj;
}

/* Addresses (§4.1.2.3) or GroupedAddresses (§4.1.2.4). */
static json_t *form_addresses(const unsigned char *value, size_t len,
                              bool grouped)
{
	struct pool *pool = pool_new();
	struct mime_address *list = NULL;
	mime_address_parse(value, len, pool, &list);
	json_t *out = json_array();
	json_t *group = NULL; /* the group being filled (grouped) */
	for (const struct mime_address *a = list; a != NULL; a = a->next) {
		if (a->is_group_start) {
			if (grouped) {
				group = json_pack(
				    "{s:o, s:[]}", "name",
				    form_text((const unsigned char *)a->mailbox,
				              strlen(a->mailbox)),
				    "addresses");
				json_array_append_new(out, group);
			}
			continue;
		}
		if (a->is_group_end) {
			group = NULL;
			continue;
		}
		if (a->host == NULL)
			continue;
		if (!grouped) {
			json_array_append_new(out, address_json(a));
			continue;
		}
		if (group == NULL) {
			json_t *last = json_array_get(
			    out, json_array_size(out) - 1);
			if (last == NULL ||
			    !json_is_null(json_object_get(last, "name")) ||
			    json_object_get(last, "open") == NULL) {
				last = json_pack("{s:n, s:[], s:b}", "name",
				                 "addresses", "open", 1);
				json_array_append_new(out, last);
			}
			json_array_append_new(
			    json_object_get(last, "addresses"), address_json(a));
		} else {
			json_array_append_new(
			    json_object_get(group, "addresses"),
			    address_json(a));
		}
	}
	size_t i;
	json_t *g;
	json_array_foreach(out, i, g)
	{
		json_object_del(g, "open");
	}
	pool_free(&pool);
	return out;
}

/* MessageIds (§4.1.2.5): null when it does not parse. */
static json_t *form_message_ids(const unsigned char *value, size_t len)
{
	struct buf b;
	buf_init(&b);
	mime_header_unfold(value, len, &b);
	json_t *out = json_array();
	const char *p = b.data;
	bool bad = false;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p == '(') { /* a comment */
			const char *end = strchr(p, ')');
			p = end != NULL ? end + 1 : p + strlen(p);
			continue;
		}
		const char *end = *p == '<' ? strchr(p, '>') : NULL;
		size_t idlen = end != NULL ? (size_t)(end - p) - 1 : 0;
		if (end == NULL || idlen == 0 ||
		    memchr(p + 1, '@', idlen) == NULL ||
		    memchr(p + 1, ' ', idlen) != NULL) {
			bad = true;
			break;
		}
		struct buf s;
		buf_init(&s);
		jmap_utf8_sanitize((const unsigned char *)p + 1, idlen, &s);
		json_array_append_new(out, str_json(&s));
		buf_deinit(&s);
		p = end + 1;
	}
	buf_deinit(&b);
	if (bad || json_array_size(out) == 0) {
		json_decref(out);
		return json_null();
	}
	return out;
}

/* Date (§4.1.2.6): null when it does not parse. */
static json_t *form_date(const unsigned char *value, size_t len)
{
	struct buf b;
	buf_init(&b);
	mime_header_unfold(value, len, &b);
	time_t t;
	int offset;
	json_t *out = json_null();
	if (jmap_date_parse(b.data, &t, &offset) == 0) {
		buf_truncate(&b, 0);
		jmap_date_local(t, offset, &b);
		json_decref(out);
		out = str_json(&b);
	}
	buf_deinit(&b);
	return out;
}

/* URLs (§4.1.2.7): the <...> of a List-* field; null if none. */
static json_t *form_urls(const unsigned char *value, size_t len)
{
	struct buf b;
	buf_init(&b);
	mime_header_unfold(value, len, &b);
	json_t *out = json_array();
	const char *p = b.data;
	while ((p = strchr(p, '<')) != NULL) {
		const char *end = strchr(p, '>');
		if (end == NULL)
			break;
		struct buf s;
		buf_init(&s);
		jmap_utf8_sanitize((const unsigned char *)p + 1,
		                   (size_t)(end - p) - 1, &s);
		json_array_append_new(out, str_json(&s));
		buf_deinit(&s);
		p = end + 1;
	}
	buf_deinit(&b);
	if (json_array_size(out) == 0) {
		json_decref(out);
		return json_null();
	}
	return out;
}

static json_t *form_value(enum jmap_header_form form,
                          const unsigned char *value, size_t len)
{
	switch (form) {
	case JMAP_FORM_RAW:
		return form_raw(value, len);
	case JMAP_FORM_TEXT:
		return form_text(value, len);
	case JMAP_FORM_ADDRESSES:
		return form_addresses(value, len, false);
	case JMAP_FORM_GROUPED:
		return form_addresses(value, len, true);
	case JMAP_FORM_MESSAGE_IDS:
		return form_message_ids(value, len);
	case JMAP_FORM_DATE:
		return form_date(value, len);
	case JMAP_FORM_URLS:
		return form_urls(value, len);
	}
	return json_null();
}

static const char *const form_names[] = {
    [JMAP_FORM_RAW] = "asRaw",
    [JMAP_FORM_TEXT] = "asText",
    [JMAP_FORM_ADDRESSES] = "asAddresses",
    [JMAP_FORM_GROUPED] = "asGroupedAddresses",
    [JMAP_FORM_MESSAGE_IDS] = "asMessageIds",
    [JMAP_FORM_DATE] = "asDate",
    [JMAP_FORM_URLS] = "asURLs",
};

int jmap_header_prop_parse(const char *prop, struct jmap_header_prop *hp)
{
	/* "header:" name [":as" form] [":all"] */
	if (strncmp(prop, "header:", 7) != 0)
		return -1;
	const char *name = prop + 7;
	size_t len = strcspn(name, ":");
	if (len == 0 || len >= sizeof(hp->name))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch <= 32 || ch >= 127)
			return -1; /* RFC 5322 §3.6.8 ftext */
	}
	memcpy(hp->name, name, len);
	hp->name[len] = '\0';
	hp->form = JMAP_FORM_RAW;
	hp->is_all = false;
	const char *p = name + len;
	if (strncmp(p, ":as", 3) == 0) {
		size_t flen = strcspn(p + 1, ":");
		bool found = false;
		for (size_t f = 0; f < sizeof(form_names) / sizeof(*form_names);
		     f++) {
			if (strlen(form_names[f]) == flen &&
			    strncmp(p + 1, form_names[f], flen) == 0) {
				hp->form = (enum jmap_header_form)f;
				found = true;
			}
		}
		if (!found)
			return -1;
		p += 1 + flen;
	}
	if (strcmp(p, ":all") == 0)
		hp->is_all = true;
	else if (*p != '\0')
		return -1;
	return 0;
}

bool jmap_email_header_prop_is_valid(const char *prop)
{
	struct jmap_header_prop hp;
	return jmap_header_prop_parse(prop, &hp) == 0;
}

json_t *jmap_header_get(const unsigned char *data, const struct mime_part *part,
                        const struct jmap_header_prop *hp)
{
	struct mime_header_iter iter;
	struct mime_header_field f;
	json_t *all = hp->is_all ? json_array() : NULL, *last = json_null();
	mime_header_iter_init(&iter, data, part);
	while (mime_header_iter_next(&iter, &f) > 0) {
		if (f.name_len == 0 || strlen(hp->name) != f.name_len ||
		    strncasecmp((const char *)f.name, hp->name, f.name_len) !=
		        0)
			continue;
		json_t *v = form_value(hp->form, f.value, f.value_len);
		if (all != NULL) {
			json_array_append_new(all, v);
		} else {
			json_decref(last);
			last = v;
		}
	}
	if (all != NULL) {
		json_decref(last);
		return all;
	}
	return last;
}

json_t *jmap_header_all_raw(const unsigned char *data,
                            const struct mime_part *part)
{
	struct mime_header_iter iter;
	struct mime_header_field f;
	json_t *out = json_array();
	mime_header_iter_init(&iter, data, part);
	while (mime_header_iter_next(&iter, &f) > 0) {
		if (f.name_len == 0)
			continue;
		struct buf name;
		buf_init(&name);
		jmap_utf8_sanitize(f.name, f.name_len, &name);
		json_array_append_new(
		    out, json_pack("{s:s%, s:o}", "name", name.data, name.len,
		                   "value", form_raw(f.value, f.value_len)));
		buf_deinit(&name);
	}
	return out;
}
