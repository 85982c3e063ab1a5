/* Messages from Email creation objects (RFC 8621 §4.6 Email/set create):
 * the header from the convenience properties and "header:" properties
 * (RFC 2047 B-encoding for non-ASCII text, RFC 2231 for file names), the
 * body from bodyStructure, or from textBody, htmlBody and attachments
 * (multipart/alternative for text and HTML, multipart/mixed around them
 * with attachments), text from bodyValues, attachment bytes through the
 * caller's blob callback. Every line ends in CRLF; text is 7bit when it
 * can be, else base64, as are attachments. */
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "jmap/jmap_compose.h"
#include "jmap/jmap_email.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x80 || ch == 0 || (ch < 0x20 && ch != '\t'))
			return false;
	}
	return true;
}

/* RFC 2047 §4.1: "=?UTF-8?B?...?=" words of at most 75 characters,
 * split on UTF-8 character boundaries. */
static void encode_word(struct buf *out, const char *s, size_t len)
{
	if (is_ascii(s, len)) {
		buf_append(out, s, len);
		return;
	}
	size_t i = 0;
	while (i < len) {
		size_t n = len - i > 45 ? 45 : len - i;
		while (i + n < len && ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n--;
		if (i > 0)
			buf_append_str(out, "\r\n ");
		buf_append_str(out, "=?UTF-8?B?");
		base64_encode(s + i, n, out);
		buf_append_str(out, "?=");
		i += n;
	}
}

/* A display name: a quoted string when ASCII, else encoded words. */
static void encode_name(struct buf *out, const char *name)
{
	size_t len = strlen(name);
	if (!is_ascii(name, len)) {
		encode_word(out, name, len);
		return;
	}
	buf_append_char(out, '"');
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, *p);
	}
	buf_append_char(out, '"');
}

static bool email_is_valid(const char *email)
{
	const char *at = strrchr(email, '@');
	return at != NULL && at != email && at[1] != '\0' &&
	       strpbrk(email, " \t\r\n<>,;\"()") == NULL &&
	       is_ascii(email, strlen(email));
}

/* EmailAddress[] as a field body. Returns 0, or -1 for a bad address. */
static int addresses(struct buf *out, json_t *list)
{
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a)
	{
		const char *email = json_string_value(json_object_get(a, "email"));
		const char *name = json_string_value(json_object_get(a, "name"));
		if (email == NULL || !email_is_valid(email))
			return -1;
		if (i > 0)
			buf_append_str(out, ",\r\n ");
		if (name != NULL && name[0] != '\0') {
			encode_name(out, name);
			buf_printf(out, " <%s>", email);
		} else {
			buf_append_str(out, email);
		}
	}
	return 0;
}

static int msgids(struct buf *out, json_t *list)
{
	size_t i;
	json_t *id;
	json_array_foreach(list, i, id)
	{
		const char *s = json_string_value(id);
		if (s == NULL || strpbrk(s, "<> \t\r\n") != NULL ||
		    strchr(s, '@') == NULL)
			return -1;
		buf_printf(out, "%s<%s>", i > 0 ? " " : "", s);
	}
	return 0;
}

static const struct {
	const char *prop, *field;
	int kind; /* 0 addresses, 1 message ids, 2 text */
} fields[] = {
    {"from", "From", 0},          {"sender", "Sender", 0},
    {"replyTo", "Reply-To", 0},   {"to", "To", 0},
    {"cc", "Cc", 0},              {"bcc", "Bcc", 0},
    {"subject", "Subject", 2},    {"messageId", "Message-ID", 1},
    {"inReplyTo", "In-Reply-To", 1}, {"references", "References", 1},
};

static int compose_fail(const char **error_r, const char **prop_r,
                        const char *error, const char *prop)
{
	*error_r = error;
	*prop_r = prop;
	return -1;
}

static int header_fields(json_t *email, const struct jmap_compose *cs,
                         struct buf *out, const char **error_r,
                         const char **prop_r)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		json_t *v = json_object_get(email, fields[i].prop);
		if (v == NULL || json_is_null(v))
			continue;
		buf_printf(out, "%s: ", fields[i].field);
		int ret = 0;
		if (fields[i].kind == 0)
			ret = json_is_array(v) ? addresses(out, v) : -1;
		else if (fields[i].kind == 1)
			ret = json_is_array(v) ? msgids(out, v) : -1;
		else if (json_is_string(v))
			encode_word(out, json_string_value(v),
			            json_string_length(v));
		else
			ret = -1;
		if (ret < 0)
			return compose_fail(error_r, prop_r, "invalid value",
			                    fields[i].prop);
		buf_append_str(out, "\r\n");
	}
	time_t t = cs->now;
	json_t *sent = json_object_get(email, "sentAt");
	if (json_is_string(sent) &&
	    jmap_date_parse_rfc3339(json_string_value(sent), &t) < 0)
		return compose_fail(error_r, prop_r, "invalid date", "sentAt");
	char date[64];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(out, "Date: %s\r\n", date);
	if (json_object_get(email, "messageId") == NULL)
		buf_printf(out, "Message-ID: <%s>\r\n", cs->message_id);
	/* "header:Name:asRaw" / ":asText" */
	const char *key;
	json_t *v;
	json_object_foreach(email, key, v)
	{
		if (strncmp(key, "header:", 7) != 0)
			continue;
		const char *name = key + 7;
		size_t nlen = strcspn(name, ":");
		const char *form = name + nlen;
		if (nlen == 0 || !json_is_string(v) ||
		    (form[0] != '\0' && strcmp(form, ":asRaw") != 0 &&
		     strcmp(form, ":asText") != 0))
			return compose_fail(error_r, prop_r,
			                    "only Raw and Text header forms",
			                    key);
		const char *value = json_string_value(v);
		if (strpbrk(value, "\r\n") != NULL &&
		    strcmp(form, ":asText") == 0)
			return compose_fail(error_r, prop_r, "invalid value",
			                    key);
		buf_printf(out, "%.*s:", (int)nlen, name);
		if (form[0] == '\0' || strcmp(form, ":asRaw") == 0)
			buf_append_str(out, value); /* raw: as given */
		else {
			buf_append_char(out, ' ');
			encode_word(out, value, strlen(value));
		}
		buf_append_str(out, "\r\n");
	}
	buf_append_str(out, "MIME-Version: 1.0\r\n");
	return 0;
}

static void base64_lines(struct buf *out, const void *data, size_t size)
{
	struct buf b;
	buf_init(&b);
	base64_encode(data, size, &b);
	for (size_t i = 0; i < b.len; i += 76) {
		size_t n = b.len - i > 76 ? 76 : b.len - i;
		buf_append(out, b.data + i, n);
		buf_append_str(out, "\r\n");
	}
	buf_deinit(&b);
}

/* A text body: 7bit with CRLF when ASCII with short lines, else base64. */
static void text_body(struct buf *out, const char *type, const char *text)
{
	size_t len = strlen(text);
	bool short_lines = true;
	size_t line = 0;
	for (size_t i = 0; i < len; i++) {
		line = text[i] == '\n' ? 0 : line + 1;
		if (line > 900)
			short_lines = false;
	}
	buf_printf(out, "Content-Type: %s; charset=utf-8\r\n", type);
	if (is_ascii(text, len) || !short_lines) {
		/* bytes under 0x20 besides tab: only CR and LF */
		bool plain = short_lines;
		for (size_t i = 0; plain && i < len; i++) {
			unsigned char ch = (unsigned char)text[i];
			plain = ch >= 0x20 ? ch < 0x80 : ch == '\t' || ch == '\n' ||
			                                     ch == '\r';
		}
		if (plain) {
			buf_append_str(out, "Content-Transfer-Encoding: 7bit\r\n\r\n");
			for (size_t i = 0; i < len; i++) {
				if (text[i] == '\r')
					continue;
				if (text[i] == '\n')
					buf_append_str(out, "\r\n");
				else
					buf_append_char(out, text[i]);
			}
			if (len > 0 && text[len - 1] != '\n')
				buf_append_str(out, "\r\n");
			return;
		}
	}
	buf_append_str(out, "Content-Transfer-Encoding: base64\r\n\r\n");
	base64_lines(out, text, len);
}

/* RFC 2231 filename (UTF-8''%XX) unless it is plain ASCII. */
static void filename_param(struct buf *out, const char *name)
{
	size_t len = strlen(name);
	if (is_ascii(name, len) && strpbrk(name, "\"\\") == NULL) {
		buf_printf(out, "; filename=\"%s\"", name);
		return;
	}
	buf_append_str(out, "; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == '_')
			buf_append_char(out, (char)*p);
		else
			buf_printf(out, "%%%02X", *p);
	}
}

static bool type_is_valid(const char *type)
{
	const char *slash = strchr(type, '/');
	return slash != NULL && slash != type && slash[1] != '\0' &&
	       strpbrk(type, " \t\r\n;\"") == NULL && is_ascii(type, strlen(type));
}

static int leaf_part(json_t *part, json_t *values,
                     const struct jmap_compose *cs, struct buf *out,
                     const char **error_r, const char **prop_r)
{
	const char *type = json_string_value(json_object_get(part, "type"));
	const char *part_id = json_string_value(json_object_get(part, "partId"));
	const char *blob_id = json_string_value(json_object_get(part, "blobId"));
	const char *name = json_string_value(json_object_get(part, "name"));
	const char *disp =
	    json_string_value(json_object_get(part, "disposition"));
	const char *cid = json_string_value(json_object_get(part, "cid"));
	if (part_id != NULL) {
		json_t *bv = json_object_get(values, part_id);
		const char *text = json_string_value(json_object_get(bv, "value"));
		if (text == NULL)
			return compose_fail(error_r, prop_r,
			                    "no bodyValues for the part",
			                    "bodyValues");
		if (type == NULL)
			type = "text/plain";
		if (strncmp(type, "text/", 5) != 0 || !type_is_valid(type))
			return compose_fail(error_r, prop_r,
			                    "a part with a value is text",
			                    "bodyStructure");
		text_body(out, type, text);
		return 0;
	}
	if (blob_id == NULL)
		return compose_fail(error_r, prop_r, "a part needs partId or blobId",
		                    "attachments");
	struct buf data;
	buf_init(&data);
	if (cs->blob_read(cs->ctx, blob_id, &data) < 0) {
		buf_deinit(&data);
		*error_r = "blobNotFound";
		*prop_r = blob_id;
		return -2;
	}
	if (type == NULL || !type_is_valid(type))
		type = "application/octet-stream";
	buf_printf(out, "Content-Type: %s\r\n", type);
	buf_printf(out, "Content-Disposition: %s",
	           disp != NULL && strcmp(disp, "inline") == 0 ? "inline"
	                                                       : "attachment");
	if (name != NULL)
		filename_param(out, name);
	buf_append_str(out, "\r\n");
	if (cid != NULL && strpbrk(cid, "<>\r\n ") == NULL)
		buf_printf(out, "Content-ID: <%s>\r\n", cid);
	buf_append_str(out, "Content-Transfer-Encoding: base64\r\n\r\n");
	base64_lines(out, data.data, data.len);
	buf_deinit(&data);
	return 0;
}

static int body_part(json_t *part, json_t *values,
                     const struct jmap_compose *cs, struct buf *out,
                     unsigned depth, const char **error_r, const char **prop_r)
{
	const char *type = json_string_value(json_object_get(part, "type"));
	json_t *subs = json_object_get(part, "subParts");
	if (depth > 20)
		return compose_fail(error_r, prop_r, "too deep", "bodyStructure");
	if (type == NULL || strncmp(type, "multipart/", 10) != 0 ||
	    !json_is_array(subs))
		return leaf_part(part, values, cs, out, error_r, prop_r);
	if (!type_is_valid(type))
		return compose_fail(error_r, prop_r, "invalid type",
		                    "bodyStructure");
	char boundary[64];
	snprintf(boundary, sizeof(boundary), "=_%s_%u", cs->message_id, depth);
	for (char *p = boundary; *p != '\0'; p++) {
		if (*p == '@')
			*p = '_';
	}
	buf_printf(out, "Content-Type: %s; boundary=\"%s\"\r\n\r\n", type,
	           boundary);
	size_t i;
	json_t *sub;
	json_array_foreach(subs, i, sub)
	{
		buf_printf(out, "--%s\r\n", boundary);
		int ret = body_part(sub, values, cs, out, depth + 1, error_r,
		                    prop_r);
		if (ret < 0)
			return ret;
	}
	buf_printf(out, "--%s--\r\n", boundary);
	return 0;
}

/* A bodyStructure from textBody, htmlBody and attachments (new ref). */
static json_t *structure_from_lists(json_t *email)
{
	json_t *text = json_array_get(json_object_get(email, "textBody"), 0);
	json_t *html = json_array_get(json_object_get(email, "htmlBody"), 0);
	json_t *atts = json_object_get(email, "attachments");
	json_t *body = NULL;
	if (text != NULL && html != NULL)
		body = json_pack("{s:s, s:[O, O]}", "type",
		                 "multipart/alternative", "subParts", text, html);
	else if (text != NULL || html != NULL)
		body = json_incref(text != NULL ? text : html);
	if (html != NULL && json_object_get(html, "type") == NULL) {
		json_t *h = json_deep_copy(html);
		json_object_set_new(h, "type", json_string("text/html"));
		if (json_is_array(json_object_get(body, "subParts")))
			json_array_set(json_object_get(body, "subParts"), 1, h);
		else {
			json_decref(body);
			body = json_incref(h);
		}
		json_decref(h);
	}
	if (json_array_size(atts) == 0)
		return body != NULL ? body
		                    : json_pack("{s:s, s:s}", "type", "text/plain",
		                                "partId", "");
	json_t *mixed = json_pack("{s:s, s:[]}", "type", "multipart/mixed",
	                          "subParts");
	if (body != NULL)
		json_array_append_new(json_object_get(mixed, "subParts"), body);
	json_array_extend(json_object_get(mixed, "subParts"), atts);
	return mixed;
}

int jmap_compose_email(json_t *email, const struct jmap_compose *cs,
                       struct buf *out, const char **error_r,
                       const char **prop_r)
{
	size_t start = out->len;
	if (header_fields(email, cs, out, error_r, prop_r) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	json_t *structure = json_object_get(email, "bodyStructure");
	json_t *own = NULL;
	if (structure == NULL) {
		own = structure_from_lists(email);
		structure = own;
	}
	json_t *values = json_object_get(email, "bodyValues");
	json_t *empty = NULL;
	if (values == NULL && json_object_get(structure, "partId") != NULL &&
	    json_string_length(json_object_get(structure, "partId")) == 0)
		values = empty = json_pack("{s:{s:s}}", "", "value", "");
	int ret = body_part(structure, values, cs, out, 0, error_r, prop_r);
	json_decref(own);
	json_decref(empty);
	if (ret < 0)
		buf_truncate(out, start);
	return ret;
}
