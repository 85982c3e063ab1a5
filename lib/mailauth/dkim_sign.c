/* DKIM signing (RFC 6376 §5) with relaxed/relaxed canonicalization: one
 * body hash serves every key (all sign relaxed SHA-256 bodies), and each
 * key adds a DKIM-Signature field: Ed25519 and RSA side by side (RFC 8463
 * §6 suggests both while verifiers learn Ed25519). The fields of
 * dkim_sign_headers are signed once per occurrence and once more
 * (oversigning, §8.15), so no such field can be added without breaking
 * the signature. */
#include "mailauth/dkim_private.h"
#include "mailauth/mailauth_header.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdlib.h>

#include <inttypes.h>
#include <string.h>

const char *const dkim_sign_headers[] = {
    "from",
    "reply-to",
    "subject",
    "date",
    "to",
    "cc",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-unsubscribe",
    "list-unsubscribe-post",
    NULL,
};

struct dkim_sign {
	struct dkim_sign_key *const *keys;
	size_t count;
	time_t now;
	unsigned lifetime;
	struct dkim_body *body;
};

struct dkim_sign *dkim_sign_new(struct dkim_sign_key *const *keys, size_t count,
                                time_t now, unsigned lifetime)
{
	struct dkim_sign *s = xcalloc(1, sizeof(*s));
	s->keys = keys;
	s->count = count;
	s->now = now;
	s->lifetime = lifetime;
	s->body = dkim_body_new(true, UINT64_MAX);
	return s;
}

void dkim_sign_free(struct dkim_sign **sp)
{
	struct dkim_sign *s = *sp;
	if (s == NULL)
		return;
	*sp = NULL;
	dkim_body_free(&s->body);
	free(s);
}

void dkim_sign_body(struct dkim_sign *s, const void *data, size_t size)
{
	dkim_body_feed(s->body, data, size);
}

size_t dkim_sign_header_names(const struct mailauth_field *fields, size_t count,
                              const char *const *extra, struct pool *pool,
                              const char ***names_r)
{
	size_t n = 0, max = 0;
	for (size_t h = 0; dkim_sign_headers[h] != NULL; h++)
		max++;
	max += 2 * count;
	const char **names = pool_alloc(pool, (max + 1) * sizeof(*names));
	for (size_t h = 0; dkim_sign_headers[h] != NULL; h++) {
		size_t present = 0;
		for (size_t i = 0; i < count; i++)
			present +=
			    mailauth_field_is(&fields[i], dkim_sign_headers[h]);
		/* only fields that are there (and From, which must be)
		 * are oversigned; the others would bloat h= */
		if (present == 0 && h != 0)
			continue;
		for (size_t k = 0; k <= present; k++)
			names[n++] = dkim_sign_headers[h];
	}
	for (size_t e = 0; extra != NULL && extra[e] != NULL; e++) {
		for (size_t i = 0; i < count; i++) {
			if (mailauth_field_is(&fields[i], extra[e]))
				names[n++] = extra[e];
		}
	}
	*names_r = names;
	return n;
}

void dkim_sign_fold_names(const char *const *names, size_t n, struct buf *out)
{
	buf_append_str(out, "h=");
	size_t line = 3;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		if (line + len > 70) {
			buf_append_str(out, "\r\n\t");
			line = 1;
		}
		buf_printf(out, "%s%s", names[i], i + 1 < n ? ":" : ";");
		line += len + 1;
	}
}

void dkim_sign_append_b(const struct buf *sig, struct buf *out)
{
	struct buf b64;
	buf_init(&b64);
	base64_encode(sig->data, sig->len, &b64);
	for (size_t i = 0; i < b64.len; i += 64) {
		size_t len = b64.len - i < 64 ? b64.len - i : 64;
		if (i > 0)
			buf_append_str(out, "\r\n\t ");
		buf_append(out, b64.data + i, len);
	}
	buf_append_str(out, "\r\n");
	buf_deinit(&b64);
}

/* Appends the field up to "b=" (folded at the tags), no CRLF. */
static void sign_field_head(const struct dkim_sign *s,
                            const struct dkim_sign_key *key,
                            const char *const *names, size_t n,
                            const unsigned char bh[32], struct buf *out)
{
	bool is_ed = dkim_sign_key_alg(key) == DKIM_ALG_ED25519_SHA256;
	buf_printf(out,
	           "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed;\r\n"
	           "\td=%s; s=%s; t=%" PRId64,
	           is_ed ? "ed25519-sha256" : "rsa-sha256",
	           dkim_sign_key_domain(key), dkim_sign_key_selector(key),
	           (int64_t)s->now);
	if (s->lifetime > 0)
		buf_printf(out, "; x=%" PRId64,
		           (int64_t)s->now + (int64_t)s->lifetime);
	buf_append_str(out, ";\r\n\t");
	dkim_sign_fold_names(names, n, out);
	buf_append_str(out, "\r\n\tbh=");
	base64_encode(bh, 32, out);
	buf_append_str(out, ";\r\n\tb=");
}

int dkim_sign_finish(struct dkim_sign *s, const char *header, size_t size,
                     struct buf *out, const char **error_r)
{
	unsigned char bh[32];
	(void)dkim_body_finish(s->body, bh);
	struct pool *pool = pool_new();
	struct mailauth_field *fields;
	size_t count = mailauth_header_split(header, size, pool, &fields);
	const char **names;
	size_t n = dkim_sign_header_names(fields, count, NULL, pool, &names);
	int ret = 0;
	for (size_t k = 0; k < s->count && ret == 0; k++) {
		struct buf field, data, sig;
		buf_init(&field);
		buf_init(&data);
		buf_init(&sig);
		sign_field_head(s, s->keys[k], names, n, bh, &field);
		dkim_hash_headers(fields, count, names, n, true, &data);
		dkim_hash_sig_field(field.data, field.len, true, &data);
		if (dkim_sign_key_sign(s->keys[k], data.data, data.len, &sig) <
		    0) {
			*error_r = "signing failed";
			ret = -1;
		} else {
			buf_append(out, field.data, field.len);
			dkim_sign_append_b(&sig, out);
		}
		buf_deinit(&field);
		buf_deinit(&data);
		buf_deinit(&sig);
	}
	pool_free(&pool);
	return ret;
}

int dkim_sign_message(struct dkim_sign_key *const *keys, size_t count,
                      time_t now, unsigned lifetime, const char *msg,
                      size_t size, struct buf *out, const char **error_r)
{
	/* the header ends at the first empty line (CRLF CRLF, or LF LF) */
	size_t head = size, body = size;
	for (size_t i = 0; i + 1 < size; i++) {
		if (msg[i] != '\n')
			continue;
		if (msg[i + 1] == '\n') {
			head = i + 1;
			body = i + 2;
			break;
		}
		if (i + 2 < size && msg[i + 1] == '\r' && msg[i + 2] == '\n') {
			head = i + 1;
			body = i + 3;
			break;
		}
	}
	struct dkim_sign *s = dkim_sign_new(keys, count, now, lifetime);
	dkim_sign_body(s, msg + body, size - body);
	int ret = dkim_sign_finish(s, msg, head, out, error_r);
	dkim_sign_free(&s);
	return ret;
}
