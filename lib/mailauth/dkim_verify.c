/* DKIM verification (RFC 6376 §6): every DKIM-Signature field (up to
 * max_signatures) gets its own body hash, fed as the body streams; each
 * result is decided once both the body and the key record are in. A
 * result is pass, fail (hash or signature mismatch, expired x=), policy
 * (l= shorter than the body when refused), permerror (syntax, key) or
 * temperror (DNS), as RFC 8601 §2.7.1 names them. */
#include "mailauth/dkim_private.h"
#include "mailauth/mailauth_header.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdlib.h>

#include <string.h>
#include <strings.h>

struct dkim_check {
	struct dkim_sig sig;
	bool is_parsed;
	const struct mailauth_field *field;
	const char *key_name;
	struct dkim_body *body;
	unsigned char bh[32];
	uint64_t body_len;
	bool has_key_answer;
	struct dkim_key *key; /* held until the body ends */
	struct dkim_result result;
	bool is_decided;
};

struct dkim_verify {
	struct pool *pool;
	struct dkim_verify_settings set;
	time_t now;
	char *header;
	struct mailauth_field *fields;
	size_t field_count;
	struct dkim_check *checks;
	size_t count;
	bool is_body_done;
};

static const char *const status_names[] = {
    "none", "pass", "fail", "policy", "neutral", "temperror", "permerror",
};

const char *dkim_status_name(enum dkim_status status)
{
	return status_names[status];
}

static void check_decide(struct dkim_check *c, enum dkim_status status,
                         const char *reason)
{
	c->result.status = status;
	c->result.reason = reason;
	c->is_decided = true;
}

static void check_init(struct dkim_verify *v, struct dkim_check *c,
                       const struct mailauth_field *field)
{
	const char *error;
	c->field = field;
	if (dkim_sig_parse(field->value, field->value_len, v->pool, &c->sig,
	                   &error) < 0) {
		check_decide(c, DKIM_STATUS_PERMERROR, error);
		return;
	}
	c->is_parsed = true;
	c->result.domain = c->sig.domain;
	c->result.selector = c->sig.selector;
	c->result.auid = c->sig.auid;
	c->result.alg = c->sig.alg;
	c->result.b = pool_strndup(v->pool, c->sig.b_text, 8);
	c->key_name = pool_printf(v->pool, "%s._domainkey.%s", c->sig.selector,
	                          c->sig.domain);
	if (c->sig.has_expire && c->sig.expire < v->now) {
		check_decide(c, DKIM_STATUS_FAIL, "signature expired");
		c->key_name = NULL;
		return;
	}
	c->body = dkim_body_new(c->sig.body_relaxed,
	                        c->sig.has_length ? c->sig.length : UINT64_MAX);
}

struct dkim_verify *dkim_verify_new(const char *header, size_t size,
                                    const struct dkim_verify_settings *set,
                                    time_t now)
{
	struct dkim_verify *v = xcalloc(1, sizeof(*v));
	v->pool = pool_new();
	v->set = *set;
	v->now = now;
	v->header = pool_alloc(v->pool, size + 1);
	memcpy(v->header, header, size);
	v->header[size] = '\0';
	v->field_count =
	    mailauth_header_split(v->header, size, v->pool, &v->fields);
	size_t n = 0;
	for (size_t i = 0; i < v->field_count; i++)
		n += mailauth_field_is(&v->fields[i], "DKIM-Signature");
	if (n > set->max_signatures)
		n = set->max_signatures;
	v->checks = pool_alloc(v->pool, (n + 1) * sizeof(*v->checks));
	memset(v->checks, 0, (n + 1) * sizeof(*v->checks));
	for (size_t i = 0; i < v->field_count && v->count < n; i++) {
		if (mailauth_field_is(&v->fields[i], "DKIM-Signature"))
			check_init(v, &v->checks[v->count++], &v->fields[i]);
	}
	return v;
}

void dkim_verify_free(struct dkim_verify **vp)
{
	struct dkim_verify *v = *vp;
	if (v == NULL)
		return;
	*vp = NULL;
	for (size_t i = 0; i < v->count; i++) {
		dkim_body_free(&v->checks[i].body);
		dkim_key_free(&v->checks[i].key);
	}
	pool_free(&v->pool);
	free(v);
}

size_t dkim_verify_count(const struct dkim_verify *v)
{
	return v->count;
}

const char *dkim_verify_key_name(const struct dkim_verify *v, size_t i)
{
	return v->checks[i].is_decided ? NULL : v->checks[i].key_name;
}

void dkim_verify_body(struct dkim_verify *v, const void *data, size_t size)
{
	for (size_t i = 0; i < v->count; i++) {
		if (v->checks[i].body != NULL)
			dkim_body_feed(v->checks[i].body, data, size);
	}
}

static void check_with_key(struct dkim_verify *v, struct dkim_check *c,
                           const struct dkim_key *key);

void dkim_verify_body_end(struct dkim_verify *v)
{
	for (size_t i = 0; i < v->count; i++) {
		struct dkim_check *c = &v->checks[i];
		if (c->body != NULL) {
			c->body_len = dkim_body_finish(c->body, c->bh);
			dkim_body_free(&c->body);
		}
	}
	v->is_body_done = true;
	for (size_t i = 0; i < v->count; i++) {
		struct dkim_check *c = &v->checks[i];
		if (c->key != NULL && !c->is_decided)
			check_with_key(v, c, c->key);
		dkim_key_free(&c->key);
	}
}

/* The i= domain must be exactly d= under a t=s key. */
static bool auid_exact(const struct dkim_sig *sig)
{
	const char *at = strrchr(sig->auid, '@');
	return at != NULL && strcasecmp(at + 1, sig->domain) == 0;
}

/* §6.1.3: compares the body hash, then checks the signature over the
 * signed fields and this field without its b= value. */
static void check_with_key(struct dkim_verify *v, struct dkim_check *c,
                           const struct dkim_key *key)
{
	const struct dkim_sig *sig = &c->sig;
	c->result.key_bits = dkim_key_bits(key);
	c->result.is_testing = dkim_key_is_testing(key);
	if (dkim_key_is_ed25519(key) != (sig->alg == DKIM_ALG_ED25519_SHA256)) {
		check_decide(c, DKIM_STATUS_PERMERROR,
		             "key type does not match a=");
		return;
	}
	if (!dkim_key_is_ed25519(key) &&
	    dkim_key_bits(key) < v->set.min_rsa_bits) {
		check_decide(c, DKIM_STATUS_PERMERROR, "key too short");
		return;
	}
	if (dkim_key_is_strict(key) && !auid_exact(sig)) {
		check_decide(c, DKIM_STATUS_PERMERROR,
		             "i= is a subdomain under a t=s key");
		return;
	}
	if (sig->has_length && sig->length > c->body_len) {
		check_decide(c, DKIM_STATUS_FAIL, "l= longer than the body");
		return;
	}
	if (sig->bh_len != 32 || memcmp(sig->bh, c->bh, 32) != 0) {
		check_decide(c, DKIM_STATUS_FAIL, "body hash did not verify");
		return;
	}
	struct buf data;
	buf_init(&data);
	dkim_hash_headers(v->fields, v->field_count, sig->headers,
	                  sig->header_count, sig->header_relaxed, &data);
	dkim_hash_sig_field(c->field->raw, c->field->raw_len,
	                    sig->header_relaxed, &data);
	int ok = dkim_key_verify(key, sig->alg, data.data, data.len, sig->b,
	                         sig->b_len);
	buf_deinit(&data);
	if (ok != 1)
		check_decide(c, DKIM_STATUS_FAIL, "signature did not verify");
	else if (sig->has_length && sig->length < c->body_len &&
	         v->set.refuse_length)
		check_decide(c, DKIM_STATUS_POLICY,
		             "l= leaves part of the body unsigned");
	else
		check_decide(c, DKIM_STATUS_PASS, NULL);
}

void dkim_verify_key(struct dkim_verify *v, size_t i,
                     enum dkim_key_answer answer, const char *const *txt,
                     const size_t *txt_len, size_t count)
{
	struct dkim_check *c = &v->checks[i];
	if (c->is_decided || c->has_key_answer)
		return;
	c->has_key_answer = true;
	if (answer == DKIM_KEY_TEMPFAIL) {
		check_decide(c, DKIM_STATUS_TEMPERROR, "key lookup failed");
		return;
	}
	const char *error = "no key record";
	struct dkim_key *key = NULL;
	for (size_t k = 0; answer == DKIM_KEY_FOUND && k < count; k++) {
		if (dkim_key_parse(txt[k], txt_len[k], &key, &error) == 0)
			break;
	}
	if (key == NULL) {
		check_decide(c, DKIM_STATUS_PERMERROR,
		             pool_strdup(v->pool, error));
		return;
	}
	c->result.key_bits = dkim_key_bits(key);
	if (!v->is_body_done) {
		c->key = key; /* the body is still coming */
		return;
	}
	check_with_key(v, c, key);
	dkim_key_free(&key);
}

const struct dkim_result *dkim_verify_result(struct dkim_verify *v, size_t i)
{
	struct dkim_check *c = &v->checks[i];
	if (!c->is_decided) {
		c->result.status = DKIM_STATUS_NONE;
		c->result.reason = "not finished";
	}
	return &c->result;
}

/* ---- What is hashed -------------------------------------------------- */

void dkim_hash_headers(const struct mailauth_field *fields, size_t count,
                       const char *const *headers, size_t header_count,
                       bool relaxed, struct buf *out)
{
	bool used[MAILAUTH_HEADER_FIELDS_MAX] = {false};
	for (size_t h = 0; h < header_count; h++) {
		for (size_t i = count; i-- > 0;) {
			if (used[i] ||
			    !mailauth_field_is(&fields[i], headers[h]))
				continue;
			used[i] = true;
			dkim_canon_header(fields[i].raw, fields[i].raw_len,
			                  relaxed, out);
			break;
		}
	}
}

/* Finds the b= tag's value in the field; returns its start and end. */
static bool find_b_value(const char *raw, size_t len, size_t *start_r,
                         size_t *end_r)
{
	const char *colon = memchr(raw, ':', len);
	size_t pos = colon != NULL ? (size_t)(colon - raw) + 1 : len;
	while (pos < len) {
		size_t end = pos;
		while (end < len && raw[end] != ';')
			end++;
		size_t s = pos;
		while (s < end && strchr(" \t\r\n", raw[s]) != NULL)
			s++;
		if (s < end && raw[s] == 'b') {
			size_t e = s + 1;
			while (e < end && strchr(" \t\r\n", raw[e]) != NULL)
				e++;
			if (e < end && raw[e] == '=') {
				*start_r = e + 1;
				*end_r = end;
				return true;
			}
		}
		pos = end + 1;
	}
	return false;
}

void dkim_hash_sig_field(const char *raw, size_t len, bool relaxed,
                         struct buf *out)
{
	struct buf field;
	buf_init(&field);
	size_t s, e;
	if (find_b_value(raw, len, &s, &e)) {
		buf_append(&field, raw, s);
		/* keep the CRLF that ends the field if b= was last */
		size_t tail = e;
		if (tail == len) {
			while (tail > s &&
			       (raw[tail - 1] == '\r' || raw[tail - 1] == '\n'))
				tail--;
		}
		buf_append(&field, raw + tail, len - tail);
	} else {
		buf_append(&field, raw, len);
	}
	size_t before = out->len;
	dkim_canon_header(field.data, field.len, relaxed, out);
	/* §3.7: without the CRLF that ends the field */
	if (out->len >= before + 2 &&
	    memcmp(out->data + out->len - 2, "\r\n", 2) == 0)
		buf_truncate(out, out->len - 2);
	buf_deinit(&field);
}
