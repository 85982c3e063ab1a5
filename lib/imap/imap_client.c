/* The IMAP client engine: one command at a time (RFC 9051 §2.2.1), tags
 * "a1", "a2"..., arguments formatted as atoms, quoted strings or literals
 * (RFC 9051 §4.3; non-synchronising literals of RFC 7888 when offered),
 * the capability list kept up to date (§7.2.2, response code CAPABILITY),
 * STARTTLS (§6.2.1), AUTHENTICATE PLAIN (RFC 4616, SASL-IR RFC 4959) or
 * LOGIN, and ENABLE (RFC 5161). Invariant: after any read error the
 * stream is out of step and every later command fails at once. */
#include "core/log.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "core/xmalloc.h"
#include "imap/imap_client_private.h"
#include "imap/imap_write.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUOTED_MAX 1024

struct imap_client *imap_client_new(struct tls_stream *stream,
                                    const struct imap_client_settings *set)
{
	struct imap_client *c = xcalloc(1, sizeof(*c));
	c->stream = stream;
	if (set != NULL)
		c->set = *set;
	if (c->set.max_literal == 0)
		c->set.max_literal = 64 * 1024 * 1024;
	if (c->set.max_line == 0)
		c->set.max_line = 1024 * 1024;
	c->resp_pool = pool_new();
	c->cmd_pool = pool_new();
	buf_init(&c->raw);
	buf_init(&c->out);
	c->enabled = xstrdup(" ");
	return c;
}

void imap_client_free(struct imap_client **client)
{
	struct imap_client *c = *client;
	if (c == NULL)
		return;
	*client = NULL;
	tls_stream_free(&c->stream);
	pool_free(&c->resp_pool);
	pool_free(&c->cmd_pool);
	buf_deinit(&c->raw);
	explicit_bzero(c->out.data, c->out.len);
	buf_deinit(&c->out);
	free(c->caps);
	free(c->enabled);
	free(c);
}

void imap_client_logout(struct imap_client **client)
{
	struct imap_client *c = *client;
	const char *error;
	if (c != NULL && !c->is_broken && !c->has_bye)
		(void)imap_client_cmd(c, NULL, NULL, &error, "LOGOUT");
	imap_client_free(client);
}

enum imap_client_status imap_client_last_status(const struct imap_client *c)
{
	return c->status;
}

const char *imap_client_last_code(const struct imap_client *c)
{
	return c->last_code;
}

void imap_client_set_stop(struct imap_client *c, const volatile bool *stop)
{
	c->stop = stop;
}

int imap_client_fail(struct imap_client *c, enum imap_client_status status,
                     const char **error_r, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*error_r = pool_strdup(c->cmd_pool, b.data);
	buf_deinit(&b);
	c->status = status;
	if (status == IMAP_CLIENT_ERROR)
		c->is_broken = true;
	return -1;
}

void imap_client_begin(struct imap_client *c)
{
	pool_clear(c->cmd_pool);
	c->last_code = NULL;
	c->status = IMAP_CLIENT_OK;
	snprintf(c->tag, sizeof(c->tag), "a%u", ++c->tag_seq);
	explicit_bzero(c->out.data, c->out.len);
	buf_truncate(&c->out, 0);
}

int imap_client_send(struct imap_client *c, const char **error_r)
{
	const char *error;
	int ret = tls_stream_write(c->stream, c->out.data, c->out.len, &error);
	if (ret == 0)
		ret = tls_stream_flush(c->stream, &error);
	explicit_bzero(c->out.data, c->out.len);
	buf_truncate(&c->out, 0);
	if (ret < 0)
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r, "%s",
		                        error);
	return 0;
}

/* ---- Capabilities ------------------------------------------------------- */

/* Replaces the capability list with the atoms in str (space-separated). */
static void caps_set(struct imap_client *c, const char *str)
{
	struct buf b;
	buf_init(&b);
	buf_append_char(&b, ' ');
	for (const char *p = str; *p != '\0'; p++)
		buf_append_char(&b, (char)(*p >= 'a' && *p <= 'z' ?
		                               *p - 32 : *p));
	buf_append_char(&b, ' ');
	free(c->caps);
	c->caps = buf_detach(&b);
	buf_deinit(&b);
}

static bool list_has(const char *list, const char *cap)
{
	size_t len = strlen(cap);
	for (const char *p = list; p != NULL && *p != '\0'; p++) {
		if (p[0] == ' ' && strncasecmp(p + 1, cap, len) == 0 &&
		    p[len + 1] == ' ')
			return true;
	}
	return false;
}

bool imap_client_has(const struct imap_client *c, const char *cap)
{
	return list_has(c->caps, cap);
}

bool imap_client_is_enabled(const struct imap_client *c, const char *cap)
{
	return list_has(c->enabled, cap);
}

/* Joins atom items from first on with spaces. */
static char *items_join(const struct imap_response *resp, size_t first)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = first; i < resp->count; i++) {
		if (resp->items[i].type != IMAP_VALUE_ATOM)
			continue;
		if (b.len > 0)
			buf_append_char(&b, ' ');
		buf_append_str(&b, resp->items[i].str);
	}
	char *s = buf_detach(&b);
	buf_deinit(&b);
	return s;
}

void imap_client_note(struct imap_client *c, const struct imap_client_resp *r)
{
	const struct imap_response *resp = &r->resp;
	if (resp->count == 0)
		return;
	if (imap_client_value_is(&resp->items[0], "CAPABILITY")) {
		char *s = items_join(resp, 1);
		caps_set(c, s);
		free(s);
	} else if (imap_client_value_is(&resp->items[0], "ENABLED")) {
		char *s = items_join(resp, 1);
		char *joined = xasprintf("%s%s ", c->enabled, s);
		free(c->enabled);
		c->enabled = joined;
		free(s);
	} else if (imap_client_value_is(&resp->items[0], "BYE")) {
		c->has_bye = true;
	}
	if (resp->code != NULL && strncasecmp(resp->code, "CAPABILITY ", 11) == 0)
		caps_set(c, resp->code + 11);
}

/* ---- Waiting for the answer --------------------------------------------- */

static int tagged_result(struct imap_client *c, const struct imap_client_resp *r,
                         const char **error_r)
{
	const char *code = r->resp.code;
	if (code != NULL && strncasecmp(code, "CAPABILITY ", 11) == 0)
		caps_set(c, code + 11);
	if (strcasecmp(r->status, "OK") == 0) {
		c->last_code = code == NULL ? NULL :
		                              pool_strdup(c->cmd_pool, code);
		c->status = IMAP_CLIENT_OK;
		return 0;
	}
	enum imap_client_status status = strcasecmp(r->status, "NO") == 0 ?
	                                     IMAP_CLIENT_NO : IMAP_CLIENT_BAD;
	if (status == IMAP_CLIENT_BAD && strcasecmp(r->status, "BAD") != 0)
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
		                        "unexpected tagged %s", r->status);
	return imap_client_fail(c, status, error_r, "%s %s%s%s%s",
	                        status == IMAP_CLIENT_NO ? "NO" : "BAD",
	                        code != NULL ? "[" : "", code != NULL ? code : "",
	                        code != NULL ? "] " : "", r->resp.text);
}

int imap_client_wait(struct imap_client *c, imap_client_untagged_cb *cb,
                     void *ctx, bool want_cont, const char **error_r)
{
	for (;;) {
		struct imap_client_resp r;
		const char *error;
		if (imap_client_read_response(c, &r, &error) < 0) {
			if (c->has_bye && strcmp(error, "connection closed") == 0)
				error = "server said BYE";
			return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
			                        "%s", error);
		}
		switch (r.kind) {
		case IMAP_CLIENT_CONTINUATION:
			if (want_cont)
				return 1;
			return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
			                        "unexpected continuation");
		case IMAP_CLIENT_TAGGED:
			if (strcmp(r.tag, c->tag) != 0)
				return imap_client_fail(
				    c, IMAP_CLIENT_ERROR, error_r,
				    "unexpected tag %s", r.tag);
			return tagged_result(c, &r, error_r);
		case IMAP_CLIENT_UNTAGGED:
			imap_client_note(c, &r);
			if (cb != NULL)
				cb(&r.resp, ctx);
			break;
		}
	}
}

/* ---- Writing commands ---------------------------------------------------- */

static bool is_astring_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("(){%*\"\\", ch) == NULL;
}

/* Sends a literal of size bytes: non-synchronising when the server takes
 * it (RFC 7888 §4), else "{n}" and a wait for "+". Returns 0, or -1. */
static int write_literal(struct imap_client *c, const void *data,
                         size_t size, imap_client_untagged_cb *cb, void *ctx,
                         const char **error_r)
{
	bool is_nonsync = imap_client_has(c, "LITERAL+") ||
	                  (imap_client_has(c, "LITERAL-") &&
	                   size <= IMAP_CLIENT_LITERAL_MINUS);
	buf_printf(&c->out, "{%zu%s}\r\n", size, is_nonsync ? "+" : "");
	if (!is_nonsync) {
		if (imap_client_send(c, error_r) < 0)
			return -1;
		int ret = imap_client_wait(c, cb, ctx, true, error_r);
		if (ret <= 0) /* refused with a tagged answer */
			return ret == 0 ? imap_client_fail(
			                      c, IMAP_CLIENT_ERROR, error_r,
			                      "literal answered without +") :
			                  -1;
	}
	buf_append(&c->out, data, size);
	return 0;
}

/* astring = 1*ASTRING-CHAR / string (RFC 9051 §9) */
static int write_astring(struct imap_client *c, const char *str,
                         imap_client_untagged_cb *cb, void *ctx,
                         const char **error_r)
{
	size_t len = strlen(str);
	bool is_atom = len > 0 && strcasecmp(str, "NIL") != 0;
	bool can_quote = len <= QUOTED_MAX, has_8bit = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)str[i];
		is_atom = is_atom && is_astring_char(ch);
		if (ch == '\r' || ch == '\n')
			can_quote = false;
		has_8bit = has_8bit || ch >= 0x80;
	}
	if (has_8bit && !(imap_client_is_enabled(c, "UTF8=ACCEPT") &&
	                  imap_utf8_is_valid(str, len)))
		can_quote = false;
	if (is_atom) {
		buf_append(&c->out, str, len);
	} else if (can_quote) {
		buf_append_char(&c->out, '"');
		for (size_t i = 0; i < len; i++) {
			if (str[i] == '"' || str[i] == '\\')
				buf_append_char(&c->out, '\\');
			buf_append_char(&c->out, str[i]);
		}
		buf_append_char(&c->out, '"');
	} else {
		return write_literal(c, str, len, cb, ctx, error_r);
	}
	return 0;
}

static int write_mailbox(struct imap_client *c, const char *name,
                         imap_client_untagged_cb *cb, void *ctx,
                         const char **error_r)
{
	if (imap_client_is_enabled(c, "UTF8=ACCEPT") ||
	    imap_client_is_enabled(c, "IMAP4rev2"))
		return write_astring(c, name, cb, ctx, error_r);
	struct buf b;
	buf_init(&b);
	int ret = imap_utf7_encode(name, &b);
	if (ret == 0)
		ret = write_astring(c, b.data, cb, ctx, error_r);
	else
		ret = imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
		                       "mailbox name is not UTF-8");
	buf_deinit(&b);
	return ret;
}

/* Formats one conversion at *fmt (after '%'). Returns 0 or -1. */
static int write_conv(struct imap_client *c, char conv, va_list *ap,
                      imap_client_untagged_cb *cb, void *ctx,
                      const char **error_r)
{
	switch (conv) {
	case 'a':
		buf_append_str(&c->out, va_arg(*ap, const char *));
		return 0;
	case 's':
		return write_astring(c, va_arg(*ap, const char *), cb, ctx,
		                     error_r);
	case 'm':
		return write_mailbox(c, va_arg(*ap, const char *), cb, ctx,
		                     error_r);
	case 'u':
		buf_printf(&c->out, "%u", va_arg(*ap, unsigned));
		return 0;
	case 'U':
		buf_printf(&c->out, "%llu",
		           (unsigned long long)va_arg(*ap, uint64_t));
		return 0;
	case 'b': {
		const unsigned char *data = va_arg(*ap, const unsigned char *);
		size_t size = va_arg(*ap, size_t);
		return write_literal(c, data, size, cb, ctx, error_r);
	}
	case '%':
		buf_append_char(&c->out, '%');
		return 0;
	}
	ASSERT(!"unknown imap_client_cmd conversion");
	return -1;
}

/* Writes the command of fmt with the current tag and sends it. */
static int cmd_write(struct imap_client *c, imap_client_untagged_cb *cb,
                     void *ctx, const char **error_r, const char *fmt,
                     va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	buf_printf(&c->out, "%s ", c->tag);
	int ret = 0;
	for (const char *p = fmt; *p != '\0' && ret == 0; p++) {
		if (*p != '%')
			buf_append_char(&c->out, *p);
		else if (p[1] != '\0')
			ret = write_conv(c, *++p, &aq, cb, ctx, error_r);
	}
	va_end(aq);
	if (ret < 0)
		return -1;
	buf_append_str(&c->out, "\r\n");
	return imap_client_send(c, error_r);
}

int imap_client_cmd(struct imap_client *c, imap_client_untagged_cb *cb,
                    void *ctx, const char **error_r, const char *fmt, ...)
{
	imap_client_begin(c);
	if (c->is_broken)
		return imap_client_fail(c, IMAP_CLIENT_ERROR, error_r,
		                        "connection lost earlier");
	va_list ap;
	va_start(ap, fmt);
	int ret = cmd_write(c, cb, ctx, error_r, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	return imap_client_wait(c, cb, ctx, false, error_r);
}
