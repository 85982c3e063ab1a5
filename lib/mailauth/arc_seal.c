/* ARC sealing (RFC 8617 §5.1): the next instance after the highest one in
 * the header, its ARC-Authentication-Results (the verdict, §4.1.1), an
 * ARC-Message-Signature (relaxed/relaxed, the fields DKIM signing
 * oversigns plus every DKIM-Signature, §4.1.2) and an ARC-Seal over the
 * sets in instance order (§5.1.1), or over the new set alone when the
 * chain arrived broken (cv=fail, §5.1.2). */
#include "mailauth/arc.h"
#include "mailauth/authres.h"
#include "mailauth/dkim_private.h"
#include "mailauth/mailauth_header.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct arc_seal {
	const struct dkim_sign_key *key;
	time_t now;
	struct dkim_body *body;
};

/* the AMS also signs what earlier signers signed with */
static const char *const arc_extra_headers[] = {"dkim-signature", NULL};

struct arc_seal *arc_seal_new(const struct dkim_sign_key *key, time_t now)
{
	struct arc_seal *s = xcalloc(1, sizeof(*s));
	s->key = key;
	s->now = now;
	s->body = dkim_body_new(true, UINT64_MAX);
	return s;
}

void arc_seal_free(struct arc_seal **sp)
{
	struct arc_seal *s = *sp;
	if (s == NULL)
		return;
	*sp = NULL;
	dkim_body_free(&s->body);
	free(s);
}

void arc_seal_body(struct arc_seal *s, const void *data, size_t size)
{
	dkim_body_feed(s->body, data, size);
}

/* The instance of an ARC field (0 when it has none that parses). */
static unsigned field_instance(const struct mailauth_field *f,
                               struct pool *pool)
{
	struct dkim_sig sig;
	unsigned instance = 0;
	const char *cv, *error;
	if (mailauth_field_is(f, "ARC-Seal") ||
	    mailauth_field_is(f, "ARC-Message-Signature")) {
		bool is_seal = mailauth_field_is(f, "ARC-Seal");
		if (dkim_sig_parse_arc(f->value, f->value_len, is_seal, pool,
		                       &sig, &instance, &cv, &error) < 0)
			return 0;
		return instance;
	}
	if (!mailauth_field_is(f, "ARC-Authentication-Results"))
		return 0;
	const char *value = mailauth_field_value(f, pool);
	while (*value == ' ' || *value == '\t')
		value++;
	if (strncasecmp(value, "i=", 2) != 0)
		return 0;
	size_t len = strspn(value + 2, "0123456789");
	if (len == 0 || len > 2)
		return 0;
	char *digits = pool_strndup(pool, value + 2, len);
	return dkim_arc_instance(digits, &instance) < 0 ? 0 : instance;
}

/* Appends the relaxed form of every ARC field of instance i, in the
 * order AAR, AMS, AS (§5.1.1). */
static void seal_add_set(const struct mailauth_field *fields, size_t count,
                         unsigned i, struct pool *pool, struct buf *data)
{
	static const char *const order[] = {
	    "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"};
	for (size_t k = 0; k < 3; k++) {
		for (size_t f = 0; f < count; f++) {
			if (mailauth_field_is(&fields[f], order[k]) &&
			    field_instance(&fields[f], pool) == i) {
				dkim_canon_header(fields[f].raw,
				                  fields[f].raw_len, true,
				                  data);
				break;
			}
		}
	}
}

/* Signs data and appends the folded b= value to field, then field to
 * out. Returns 0 or -1. */
static int seal_sign(const struct arc_seal *s, struct buf *field,
                     const struct buf *data)
{
	struct buf sig;
	buf_init(&sig);
	int ret = dkim_sign_key_sign(s->key, data->data, data->len, &sig);
	if (ret == 0)
		dkim_sign_append_b(&sig, field);
	buf_deinit(&sig);
	return ret;
}

/* The ARC-Message-Signature of instance i over header (fields). */
static int seal_ams(const struct arc_seal *s, unsigned i,
                    const struct mailauth_field *fields, size_t count,
                    struct pool *pool, struct buf *ams)
{
	unsigned char bh[32];
	(void)dkim_body_finish(s->body, bh);
	const char **names;
	size_t n = dkim_sign_header_names(fields, count, arc_extra_headers,
	                                  pool, &names);
	buf_printf(ams,
	           "ARC-Message-Signature: i=%u; a=rsa-sha256; "
	           "c=relaxed/relaxed;\r\n\td=%s; s=%s; t=%" PRId64 ";\r\n\t",
	           i, dkim_sign_key_domain(s->key),
	           dkim_sign_key_selector(s->key), (int64_t)s->now);
	dkim_sign_fold_names(names, n, ams);
	buf_append_str(ams, "\r\n\tbh=");
	base64_encode(bh, 32, ams);
	buf_append_str(ams, ";\r\n\tb=");
	struct buf data;
	buf_init(&data);
	dkim_hash_headers(fields, count, names, n, true, &data);
	dkim_hash_sig_field(ams->data, ams->len, true, &data);
	int ret = seal_sign(s, ams, &data);
	buf_deinit(&data);
	return ret;
}

int arc_seal_finish(struct arc_seal *s, const char *header, size_t size,
                    const char *authres, enum arc_cv cv, struct buf *out,
                    const char **error_r)
{
	if (dkim_sign_key_alg(s->key) != DKIM_ALG_RSA_SHA256) {
		*error_r = "ARC seals with an RSA key";
		return -1;
	}
	struct pool *pool = pool_new();
	struct mailauth_field *fields;
	size_t count = mailauth_header_split(header, size, pool, &fields);
	unsigned top = 0;
	for (size_t f = 0; f < count; f++) {
		unsigned i = field_instance(&fields[f], pool);
		top = i > top ? i : top;
	}
	if (top >= DKIM_ARC_INSTANCE_MAX) {
		pool_free(&pool);
		*error_r = "the chain has 50 ARC sets already";
		return -1;
	}
	unsigned i = top + 1;
	struct buf aar, ams, as, data;
	buf_init(&aar);
	buf_init(&ams);
	buf_init(&as);
	buf_init(&data);
	while (*authres == ' ' || *authres == '\t')
		authres++;
	buf_printf(&aar, "ARC-Authentication-Results: i=%u; %s\r\n", i,
	           authres);
	int ret = seal_ams(s, i, fields, count, pool, &ams);
	if (cv != ARC_CV_FAIL) {
		for (unsigned j = 1; j < i; j++)
			seal_add_set(fields, count, j, pool, &data);
	}
	dkim_canon_header(aar.data, aar.len, true, &data);
	dkim_canon_header(ams.data, ams.len, true, &data);
	buf_printf(&as,
	           "ARC-Seal: i=%u; a=rsa-sha256; t=%" PRId64
	           "; cv=%s;\r\n\td=%s; s=%s;\r\n\tb=",
	           i, (int64_t)s->now, arc_cv_name(cv),
	           dkim_sign_key_domain(s->key),
	           dkim_sign_key_selector(s->key));
	dkim_hash_sig_field(as.data, as.len, true, &data);
	if (ret == 0)
		ret = seal_sign(s, &as, &data);
	if (ret == 0) {
		buf_append(out, as.data, as.len);
		buf_append(out, ams.data, ams.len);
		buf_append(out, aar.data, aar.len);
	} else {
		*error_r = "signing failed";
	}
	buf_deinit(&aar);
	buf_deinit(&ams);
	buf_deinit(&as);
	buf_deinit(&data);
	pool_free(&pool);
	return ret;
}

/* The arc= result of an Authentication-Results value (RFC 8617 §4.1.1:
 * what the sealer found). */
static enum arc_cv authres_arc(const char *value)
{
	const char *p = value;
	while ((p = strstr(p, "arc=")) != NULL) {
		if (p == value || strchr(" \t;\r\n", p[-1]) != NULL) {
			p += 4;
			if (strncasecmp(p, "pass", 4) == 0)
				return ARC_CV_PASS;
			if (strncasecmp(p, "fail", 4) == 0)
				return ARC_CV_FAIL;
			return ARC_CV_NONE;
		}
		p += 4;
	}
	return ARC_CV_NONE;
}

int arc_authres_find(const char *header, size_t size, const char *authserv_id,
                     struct pool *pool, const char **authres_r,
                     enum arc_cv *cv_r)
{
	struct mailauth_field *fields;
	size_t count = mailauth_header_split(header, size, pool, &fields);
	for (size_t f = 0; f < count; f++) {
		if (mailauth_field_is(&fields[f], "Authentication-Results") &&
		    authres_claims(fields[f].value, fields[f].value_len,
		                   authserv_id)) {
			/* folded as it is: an AAR line stays short */
			*authres_r = pool_strndup(pool, fields[f].value,
			                          fields[f].value_len);
			*cv_r = authres_arc(*authres_r);
			return 1;
		}
	}
	return 0;
}

int arc_seal_message(const struct dkim_sign_key *key, const char *msg,
                     size_t size, const char *authserv_id, time_t now,
                     struct buf *out, const char **error_r)
{
	struct pool *pool = pool_new();
	struct mailauth_field *fields;
	size_t count = mailauth_header_split(msg, size, pool, &fields);
	const char *authres;
	enum arc_cv cv;
	/* the body starts after the header's empty line */
	size_t head = count > 0 ? (size_t)(fields[count - 1].raw - msg) +
	                              fields[count - 1].raw_len
	                        : 0;
	size_t body = head;
	if (body < size && msg[body] == '\n')
		body++;
	else if (body + 1 < size && msg[body] == '\r' && msg[body + 1] == '\n')
		body += 2;
	int ret = -1;
	if (arc_authres_find(msg, head, authserv_id, pool, &authres, &cv) ==
	    0) {
		*error_r = "no Authentication-Results field of ours";
	} else {
		struct arc_seal *s = arc_seal_new(key, now);
		arc_seal_body(s, msg + body, size - body);
		ret = arc_seal_finish(s, msg, head, authres, cv, out, error_r);
		arc_seal_free(&s);
	}
	pool_free(&pool);
	return ret;
}
