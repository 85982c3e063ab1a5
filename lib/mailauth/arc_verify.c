/* ARC chain validation (RFC 8617 §5.2). The structure is checked when the
 * header section arrives: the ARC sets by instance, each complete and
 * unique (§4.2.1), no more than 50, the newest seal not cv=fail (the chain
 * ended there), cv=none at i=1 and cv=pass above (§5.2 step 3). Then the
 * newest ARC-Message-Signature is verified like a DKIM signature (its body
 * hash streamed) and every ARC-Seal over the sets up to its own (§5.1.1),
 * relaxed. Older AMSs are not looked at: only the newest must verify. */
#include "mailauth/arc.h"
#include "mailauth/dkim_private.h"
#include "mailauth/mailauth_header.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct arc_set {
	const struct mailauth_field *aar, *ams, *as;
	struct dkim_sig ams_sig, as_sig;
	size_t as_key; /* index in keys */
};

struct arc_key {
	const char *name;
	bool has_answer, is_tempfail;
	struct dkim_key *key; /* NULL when there is none */
	const char *error;
};

struct arc_verify {
	struct pool *pool;
	struct dkim_verify_settings set;
	char *header;
	struct mailauth_field *fields;
	size_t field_count;
	struct arc_set sets[DKIM_ARC_INSTANCE_MAX + 1]; /* by instance */
	unsigned n;                                     /* the newest */
	struct arc_key keys[DKIM_ARC_INSTANCE_MAX + 1];
	size_t key_count, ams_key;
	struct dkim_body *body;
	unsigned char bh[32];
	uint64_t body_len;
	bool is_body_done;
	struct arc_result result;
	bool is_decided;
};

static const char *const cv_names[] = {"none", "pass", "fail"};

const char *arc_cv_name(enum arc_cv cv)
{
	return cv_names[cv];
}

static void verify_decide(struct arc_verify *v, enum arc_cv cv,
                          const char *reason)
{
	if (v->is_decided)
		return;
	v->result.cv = cv;
	v->result.reason = reason;
	v->is_decided = true;
}

/* arc-info = instance [CFWS] ";" authres-payload (§4.1.1)
 * instance = [CFWS] %x69 [CFWS] "=" [CFWS] 1*2DIGIT
 * Returns the instance of an AAR value, or 0. */
static unsigned aar_instance(const struct mailauth_field *f, struct pool *pool)
{
	const char *value = mailauth_field_value(f, pool);
	const char *semi = strchr(value, ';');
	const char *eq = strchr(value, '=');
	unsigned instance;
	if (semi == NULL || eq == NULL || eq > semi)
		return 0;
	const char *p = value;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != 'i' && *p != 'I')
		return 0;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	if (p != eq)
		return 0;
	char *digits = pool_strndup(pool, eq + 1, (size_t)(semi - eq - 1));
	char *d = digits, *end = digits + strlen(digits);
	while (*d == ' ' || *d == '\t')
		d++;
	while (end > d && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return dkim_arc_instance(d, &instance) < 0 ? 0 : instance;
}

/* Files field f of kind 0 (AAR), 1 (AMS) or 2 (AS) under its instance.
 * Returns NULL, or why the chain fails. */
static const char *set_add(struct arc_verify *v, const struct mailauth_field *f,
                           int kind)
{
	unsigned instance = 0;
	const char *cv = NULL, *error;
	struct dkim_sig sig;
	if (kind == 0) {
		instance = aar_instance(f, v->pool);
		if (instance == 0)
			return "malformed ARC-Authentication-Results";
	} else if (dkim_sig_parse_arc(f->value, f->value_len, kind == 2,
	                              v->pool, &sig, &instance, &cv,
	                              &error) < 0) {
		return pool_printf(
		    v->pool, "malformed %s: %s",
		    kind == 1 ? "ARC-Message-Signature" : "ARC-Seal", error);
	}
	struct arc_set *set = &v->sets[instance];
	const struct mailauth_field **slot = kind == 0   ? &set->aar
	                                     : kind == 1 ? &set->ams
	                                                 : &set->as;
	if (*slot != NULL)
		return pool_printf(v->pool, "two ARC sets with i=%u", instance);
	*slot = f;
	if (instance > v->n)
		v->n = instance;
	if (kind == 1)
		set->ams_sig = sig;
	if (kind == 2) {
		set->as_sig = sig;
		/* §5.2 step 3: cv=none only at i=1, pass above */
		enum arc_cv want = instance == 1 ? ARC_CV_NONE : ARC_CV_PASS;
		if (strcasecmp(cv, "fail") == 0)
			return pool_printf(v->pool,
			                   "the chain was marked failed at "
			                   "i=%u",
			                   instance);
		if (strcasecmp(cv, cv_names[want]) != 0)
			return pool_printf(v->pool, "cv=%s at i=%u", cv,
			                   instance);
	}
	return NULL;
}

/* The key record name of sig, each name once in keys. */
static size_t key_index(struct arc_verify *v, const struct dkim_sig *sig)
{
	const char *name = pool_printf(v->pool, "%s._domainkey.%s",
	                               sig->selector, sig->domain);
	for (size_t i = 0; i < v->key_count; i++) {
		if (strcasecmp(v->keys[i].name, name) == 0)
			return i;
	}
	v->keys[v->key_count].name = name;
	return v->key_count++;
}

/* §5.2 steps 1-3: the sets, their completeness and their cv=. */
static void verify_structure(struct arc_verify *v)
{
	static const char *const names[] = {
	    "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"};
	const char *fail = NULL;
	for (size_t i = 0; i < v->field_count && fail == NULL; i++) {
		for (int kind = 0; kind < 3 && fail == NULL; kind++) {
			if (mailauth_field_is(&v->fields[i], names[kind]))
				fail = set_add(v, &v->fields[i], kind);
		}
	}
	if (fail == NULL && v->n == 0) {
		verify_decide(v, ARC_CV_NONE, NULL);
		return;
	}
	for (unsigned i = 1; fail == NULL && i <= v->n; i++) {
		const struct arc_set *set = &v->sets[i];
		if (set->aar == NULL || set->ams == NULL || set->as == NULL)
			fail =
			    pool_printf(v->pool, "ARC set i=%u incomplete", i);
	}
	v->result.instance = v->n;
	if (v->n > 0 && v->sets[v->n].as != NULL)
		v->result.sealer = v->sets[v->n].as_sig.domain;
	if (fail != NULL) {
		verify_decide(v, ARC_CV_FAIL, fail);
		return;
	}
	const struct dkim_sig *ams = &v->sets[v->n].ams_sig;
	v->ams_key = key_index(v, ams);
	for (unsigned i = 1; i <= v->n; i++)
		v->sets[i].as_key = key_index(v, &v->sets[i].as_sig);
	v->body = dkim_body_new(ams->body_relaxed,
	                        ams->has_length ? ams->length : UINT64_MAX);
}

struct arc_verify *arc_verify_new(const char *header, size_t size,
                                  const struct dkim_verify_settings *set)
{
	struct arc_verify *v = xcalloc(1, sizeof(*v));
	v->pool = pool_new();
	v->set = *set;
	v->header = pool_alloc(v->pool, size + 1);
	memcpy(v->header, header, size);
	v->header[size] = '\0';
	v->field_count =
	    mailauth_header_split(v->header, size, v->pool, &v->fields);
	verify_structure(v);
	return v;
}

void arc_verify_free(struct arc_verify **vp)
{
	struct arc_verify *v = *vp;
	if (v == NULL)
		return;
	*vp = NULL;
	dkim_body_free(&v->body);
	for (size_t i = 0; i < v->key_count; i++)
		dkim_key_free(&v->keys[i].key);
	pool_free(&v->pool);
	free(v);
}

size_t arc_verify_key_count(const struct arc_verify *v)
{
	return v->is_decided ? 0 : v->key_count;
}

const char *arc_verify_key_name(const struct arc_verify *v, size_t i)
{
	return v->keys[i].name;
}

void arc_verify_key(struct arc_verify *v, size_t i, enum dkim_key_answer answer,
                    const char *const *txt, const size_t *txt_len, size_t count)
{
	struct arc_key *k = &v->keys[i];
	if (k->has_answer)
		return;
	k->has_answer = true;
	k->is_tempfail = answer == DKIM_KEY_TEMPFAIL;
	k->error = k->is_tempfail ? "key lookup failed" : "no key record";
	for (size_t n = 0; answer == DKIM_KEY_FOUND && n < count; n++) {
		if (dkim_key_parse(txt[n], txt_len[n], &k->key, &k->error) == 0)
			break;
	}
	k->error = pool_strdup(v->pool, k->error);
}

void arc_verify_body(struct arc_verify *v, const void *data, size_t size)
{
	if (v->body != NULL)
		dkim_body_feed(v->body, data, size);
}

void arc_verify_body_end(struct arc_verify *v)
{
	if (v->body != NULL) {
		v->body_len = dkim_body_finish(v->body, v->bh);
		dkim_body_free(&v->body);
	}
	v->is_body_done = true;
}

/* Checks sig over data with key record k. Returns NULL, or why not. */
static const char *sig_check(struct arc_verify *v, const struct arc_key *k,
                             const struct dkim_sig *sig, const struct buf *data,
                             const char *what)
{
	if (k->key == NULL) {
		v->result.is_temperror |= k->is_tempfail;
		return pool_printf(v->pool, "%s: %s", what, k->error);
	}
	if (dkim_key_is_ed25519(k->key) !=
	    (sig->alg == DKIM_ALG_ED25519_SHA256))
		return pool_printf(v->pool,
		                   "%s: key type does not match a=", what);
	if (!dkim_key_is_ed25519(k->key) &&
	    dkim_key_bits(k->key) < v->set.min_rsa_bits)
		return pool_printf(v->pool, "%s: key too short", what);
	if (dkim_key_verify(k->key, sig->alg, data->data, data->len, sig->b,
	                    sig->b_len) != 1)
		return pool_printf(v->pool, "%s did not verify", what);
	return NULL;
}

/* The newest AMS: body hash, then the signature (RFC 6376 §6.1.3). */
static const char *ams_check(struct arc_verify *v)
{
	const struct arc_set *set = &v->sets[v->n];
	const struct dkim_sig *sig = &set->ams_sig;
	const char *what =
	    pool_printf(v->pool, "ARC-Message-Signature i=%u", v->n);
	if (sig->has_length && sig->length > v->body_len)
		return pool_printf(v->pool, "%s: l= longer than the body",
		                   what);
	if (sig->bh_len != 32 || memcmp(sig->bh, v->bh, 32) != 0)
		return pool_printf(v->pool, "%s: body hash did not verify",
		                   what);
	struct buf data;
	buf_init(&data);
	dkim_hash_headers(v->fields, v->field_count, sig->headers,
	                  sig->header_count, sig->header_relaxed, &data);
	dkim_hash_sig_field(set->ams->raw, set->ams->raw_len,
	                    sig->header_relaxed, &data);
	const char *error =
	    sig_check(v, &v->keys[v->ams_key], sig, &data, what);
	buf_deinit(&data);
	return error;
}

/* The seal of instance i: the sets 1..i in order, AAR, AMS, AS each,
 * relaxed, its own AS last without b= and CRLF (§5.1.1). */
static const char *as_check(struct arc_verify *v, unsigned i)
{
	struct buf data;
	buf_init(&data);
	for (unsigned j = 1; j <= i; j++) {
		const struct arc_set *set = &v->sets[j];
		dkim_canon_header(set->aar->raw, set->aar->raw_len, true,
		                  &data);
		dkim_canon_header(set->ams->raw, set->ams->raw_len, true,
		                  &data);
		if (j < i)
			dkim_canon_header(set->as->raw, set->as->raw_len, true,
			                  &data);
	}
	const struct arc_set *own = &v->sets[i];
	dkim_hash_sig_field(own->as->raw, own->as->raw_len, true, &data);
	const char *error =
	    sig_check(v, &v->keys[own->as_key], &own->as_sig, &data,
	              pool_printf(v->pool, "ARC-Seal i=%u", i));
	buf_deinit(&data);
	return error;
}

const struct arc_result *arc_verify_result(struct arc_verify *v)
{
	if (v->is_decided)
		return &v->result;
	for (size_t i = 0; i < v->key_count; i++) {
		if (!v->keys[i].has_answer)
			arc_verify_key(v, i, DKIM_KEY_TEMPFAIL, NULL, NULL, 0);
	}
	if (!v->is_body_done)
		arc_verify_body_end(v);
	const char *fail = ams_check(v);
	for (unsigned i = v->n; fail == NULL && i >= 1; i--)
		fail = as_check(v, i);
	verify_decide(v, fail == NULL ? ARC_CV_PASS : ARC_CV_FAIL, fail);
	return &v->result;
}
