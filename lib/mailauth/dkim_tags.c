/* DKIM tag lists (RFC 6376 §3.2) and the DKIM-Signature field (§3.5):
 * the parsers of untrusted text, with no crypto (dkim_key.c decodes keys).
 * Whitespace inside base64 values (b=, bh=) is folding and is removed. */
#include "mailauth/dkim_private.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* tag-name = ALPHA *ALNUMPUNC; ALNUMPUNC = ALPHA / DIGIT / "_" */
static bool tag_name_valid(const char *p, size_t len)
{
	if (len == 0 || !isalpha((unsigned char)p[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		if (!isalnum((unsigned char)p[i]) && p[i] != '_')
			return false;
	}
	return true;
}

/* tval = 1*VALCHAR; VALCHAR = %x21-3A / %x3C-7E (no ";", no space) */
static bool tag_value_valid(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (is_wsp((char)c))
			continue;
		if (c < 0x21 || c > 0x7e || c == ';')
			return false;
	}
	return true;
}

int dkim_tags_parse(const char *data, size_t size, struct pool *pool,
                    struct dkim_tag **tags_r, size_t *count_r,
                    const char **error_r)
{
	struct dkim_tag *tags = pool_alloc(pool, DKIM_TAGS_MAX * sizeof(*tags));
	size_t count = 0, pos = 0;
	if (memchr(data, '\0', size) != NULL) {
		*error_r = "NUL in tag list";
		return -1;
	}
	while (pos < size) {
		const char *semi = memchr(data + pos, ';', size - pos);
		size_t end = semi != NULL ? (size_t)(semi - data) : size;
		size_t s = pos, e = end;
		while (s < e && is_wsp(data[s]))
			s++;
		while (e > s && is_wsp(data[e - 1]))
			e--;
		pos = end + 1;
		if (s == e) {
			/* only a final ";" may leave an empty spec */
			if (semi != NULL && pos < size) {
				size_t k = pos;
				while (k < size && is_wsp(data[k]))
					k++;
				if (k < size) {
					*error_r = "empty tag";
					return -1;
				}
			}
			continue;
		}
		const char *eq = memchr(data + s, '=', e - s);
		if (eq == NULL) {
			*error_r = "tag without '='";
			return -1;
		}
		size_t ne = (size_t)(eq - data), vs = ne + 1;
		while (ne > s && is_wsp(data[ne - 1]))
			ne--;
		while (vs < e && is_wsp(data[vs]))
			vs++;
		if (!tag_name_valid(data + s, ne - s) ||
		    !tag_value_valid(data + vs, e - vs)) {
			*error_r = "bad tag syntax";
			return -1;
		}
		char *name = pool_strndup(pool, data + s, ne - s);
		for (size_t i = 0; i < count; i++) {
			if (strcmp(tags[i].name, name) == 0) {
				*error_r = "duplicate tag";
				return -1;
			}
		}
		if (count == DKIM_TAGS_MAX) {
			*error_r = "too many tags";
			return -1;
		}
		tags[count].name = name;
		tags[count].value = pool_strndup(pool, data + vs, e - vs);
		count++;
	}
	*tags_r = tags;
	*count_r = count;
	return 0;
}

const char *dkim_tags_get(const struct dkim_tag *tags, size_t count,
                          const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(tags[i].name, name) == 0)
			return tags[i].value;
	}
	return NULL;
}

/* Returns value with every whitespace character removed, from pool. */
static char *strip_wsp(const char *value, struct pool *pool)
{
	size_t len = strlen(value), n = 0;
	char *out = pool_alloc(pool, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (!is_wsp(value[i]))
			out[n++] = value[i];
	}
	out[n] = '\0';
	return out;
}

/* Decodes base64 with FWS inside. Returns 0 or -1. */
static int b64_value(const char *value, struct pool *pool,
                     unsigned char **out_r, size_t *len_r)
{
	char *s = strip_wsp(value, pool);
	struct buf b;
	buf_init(&b);
	if (s[0] == '\0' || base64_decode(s, strlen(s), &b) < 0) {
		buf_deinit(&b);
		return -1;
	}
	*out_r = pool_alloc(pool, b.len + 1);
	memcpy(*out_r, b.data, b.len);
	*len_r = b.len;
	buf_deinit(&b);
	return 0;
}

/* 1*76DIGIT; returns 0 or -1 */
static int parse_uint(const char *s, uint64_t *v_r)
{
	uint64_t v = 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*v_r = v;
	return 0;
}

/* sig-c-tag = %x63 [FWS] "=" [FWS] sig-c-tag-alg ["/" sig-c-tag-alg] */
static int sig_canon(const char *c, struct dkim_sig *sig)
{
	const char *slash = strchr(c, '/');
	size_t hl = slash != NULL ? (size_t)(slash - c) : strlen(c);
	const char *body = slash != NULL ? slash + 1 : "simple";
	if (hl == 7 && strncasecmp(c, "relaxed", 7) == 0)
		sig->header_relaxed = true;
	else if (!(hl == 6 && strncasecmp(c, "simple", 6) == 0))
		return -1;
	if (strcasecmp(body, "relaxed") == 0)
		sig->body_relaxed = true;
	else if (strcasecmp(body, "simple") != 0)
		return -1;
	return 0;
}

/* sig-h-tag = %x68 [FWS] "=" [FWS] hdr-name *( [FWS] ":" [FWS] hdr-name ) */
static int sig_headers(const char *h, struct pool *pool, struct dkim_sig *sig)
{
	char *list = strip_wsp(h, pool);
	size_t n = 1;
	for (const char *p = list; *p != '\0'; p++)
		n += *p == ':';
	sig->headers = pool_alloc(pool, n * sizeof(*sig->headers));
	bool has_from = false;
	char *save = NULL;
	for (char *t = strtok_r(list, ":", &save); t != NULL;
	     t = strtok_r(NULL, ":", &save)) {
		sig->headers[sig->header_count++] = t;
		has_from |= strcasecmp(t, "from") == 0;
	}
	return has_from ? 0 : -1;
}

/* i= must be in d= or a subdomain of it (§3.5). */
static bool auid_in_domain(const char *auid, const char *domain)
{
	const char *at = strrchr(auid, '@');
	if (at == NULL)
		return false;
	const char *d = at + 1;
	size_t dl = strlen(d), l = strlen(domain);
	if (dl == l)
		return strcasecmp(d, domain) == 0;
	return dl > l && d[dl - l - 1] == '.' &&
	       strcasecmp(d + dl - l, domain) == 0;
}

static int sig_times(const struct dkim_tag *tags, size_t count,
                     struct dkim_sig *sig, const char **error_r)
{
	const char *t = dkim_tags_get(tags, count, "t");
	const char *x = dkim_tags_get(tags, count, "x");
	const char *l = dkim_tags_get(tags, count, "l");
	uint64_t v;
	if (t != NULL) {
		if (parse_uint(t, &v) < 0 || v > (uint64_t)INT64_MAX / 2) {
			*error_r = "bad t= tag";
			return -1;
		}
		sig->has_timestamp = true;
		sig->timestamp = (time_t)v;
	}
	if (x != NULL) {
		if (parse_uint(x, &v) < 0 || v > (uint64_t)INT64_MAX / 2) {
			*error_r = "bad x= tag";
			return -1;
		}
		sig->has_expire = true;
		sig->expire = (time_t)v;
		if (sig->has_timestamp && sig->expire < sig->timestamp) {
			*error_r = "x= before t=";
			return -1;
		}
	}
	if (l != NULL) {
		if (parse_uint(l, &sig->length) < 0) {
			*error_r = "bad l= tag";
			return -1;
		}
		sig->has_length = true;
	}
	return 0;
}

static int sig_alg(const char *a, struct dkim_sig *sig, const char **error_r)
{
	if (strcasecmp(a, "rsa-sha256") == 0)
		sig->alg = DKIM_ALG_RSA_SHA256;
	else if (strcasecmp(a, "ed25519-sha256") == 0)
		sig->alg = DKIM_ALG_ED25519_SHA256;
	else if (strcasecmp(a, "rsa-sha1") == 0) {
		*error_r = "rsa-sha1 is not accepted (RFC 8301)";
		return -1;
	} else {
		*error_r = "unknown a= algorithm";
		return -1;
	}
	return 0;
}

/* d= and s=: d= lower case, neither empty. */
static int sig_domain(const char *d, const char *s, struct pool *pool,
                      struct dkim_sig *sig, const char **error_r)
{
	char *dom = strip_wsp(d, pool);
	for (char *p = dom; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	sig->domain = dom;
	sig->selector = strip_wsp(s, pool);
	if (dom[0] == '\0' || sig->selector[0] == '\0') {
		*error_r = "empty d= or s=";
		return -1;
	}
	return 0;
}

/* a=, b=, bh= (when present), c= and h= (when present): what DKIM and ARC
 * signatures share. */
static int sig_common(const struct dkim_tag *tags, size_t count,
                      struct pool *pool, struct dkim_sig *sig,
                      const char **error_r)
{
	const char *a = dkim_tags_get(tags, count, "a");
	const char *b = dkim_tags_get(tags, count, "b");
	const char *bh = dkim_tags_get(tags, count, "bh");
	const char *h = dkim_tags_get(tags, count, "h");
	const char *c = dkim_tags_get(tags, count, "c");
	if (sig_alg(a, sig, error_r) < 0)
		return -1;
	if (b64_value(b, pool, &sig->b, &sig->b_len) < 0 ||
	    (bh != NULL && b64_value(bh, pool, &sig->bh, &sig->bh_len) < 0)) {
		*error_r = "bad base64 in b= or bh=";
		return -1;
	}
	sig->b_text = strip_wsp(b, pool);
	if (c != NULL && sig_canon(c, sig) < 0) {
		*error_r = "unknown c= canonicalization";
		return -1;
	}
	if (h != NULL && sig_headers(h, pool, sig) < 0) {
		*error_r = "h= does not sign From";
		return -1;
	}
	return 0;
}

int dkim_sig_parse(const char *value, size_t len, struct pool *pool,
                   struct dkim_sig *sig, const char **error_r)
{
	struct dkim_tag *tags;
	size_t count;
	memset(sig, 0, sizeof(*sig));
	if (dkim_tags_parse(value, len, pool, &tags, &count, error_r) < 0)
		return -1;
	const char *v = dkim_tags_get(tags, count, "v");
	const char *i = dkim_tags_get(tags, count, "i");
	const char *q = dkim_tags_get(tags, count, "q");
	static const char *const required[] = {"v", "a", "b", "bh",
	                                       "d", "h", "s"};
	for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++) {
		if (dkim_tags_get(tags, count, required[k]) == NULL) {
			*error_r = "missing required tag";
			return -1;
		}
	}
	if (strcmp(v, "1") != 0) {
		*error_r = "unsupported version";
		return -1;
	}
	if (sig_common(tags, count, pool, sig, error_r) < 0)
		return -1;
	if (q != NULL && strncasecmp(q, "dns/txt", 7) != 0) {
		*error_r = "unknown q= query method";
		return -1;
	}
	if (sig_domain(dkim_tags_get(tags, count, "d"),
	               dkim_tags_get(tags, count, "s"), pool, sig, error_r) < 0)
		return -1;
	sig->auid = i != NULL ? strip_wsp(i, pool)
	                      : pool_printf(pool, "@%s", sig->domain);
	if (!auid_in_domain(sig->auid, sig->domain)) {
		*error_r = "i= not within d=";
		return -1;
	}
	return sig_times(tags, count, sig, error_r);
}

/* instance = 1*2DIGIT, 1 to 50 (RFC 8617 §4.2.1) */
int dkim_arc_instance(const char *value, unsigned *instance_r)
{
	uint64_t v;
	if (value == NULL || parse_uint(value, &v) < 0 || v < 1 ||
	    v > DKIM_ARC_INSTANCE_MAX)
		return -1;
	*instance_r = (unsigned)v;
	return 0;
}

int dkim_sig_parse_arc(const char *value, size_t len, bool is_seal,
                       struct pool *pool, struct dkim_sig *sig,
                       unsigned *instance_r, const char **cv_r,
                       const char **error_r)
{
	struct dkim_tag *tags;
	size_t count;
	memset(sig, 0, sizeof(*sig));
	if (dkim_tags_parse(value, len, pool, &tags, &count, error_r) < 0)
		return -1;
	/* RFC 8617 §4.1.2: the AMS has the DKIM tags but v=, and i= is
	 * the instance; §4.1.3: the AS has a, b, cv, d, i, s, t and no h= */
	static const char *const ams[] = {"a", "b", "bh", "d", "h", "s", "i"};
	static const char *const seal[] = {"a", "b", "cv", "d", "s", "i"};
	const char *const *required = is_seal ? seal : ams;
	size_t n = is_seal ? sizeof(seal) / sizeof(seal[0])
	                   : sizeof(ams) / sizeof(ams[0]);
	for (size_t k = 0; k < n; k++) {
		if (dkim_tags_get(tags, count, required[k]) == NULL) {
			*error_r = "missing required tag";
			return -1;
		}
	}
	if (is_seal && dkim_tags_get(tags, count, "h") != NULL) {
		*error_r = "h= in an ARC-Seal";
		return -1;
	}
	if (dkim_arc_instance(dkim_tags_get(tags, count, "i"), instance_r) <
	    0) {
		*error_r = "bad i= instance";
		return -1;
	}
	if (sig_common(tags, count, pool, sig, error_r) < 0 ||
	    sig_domain(dkim_tags_get(tags, count, "d"),
	               dkim_tags_get(tags, count, "s"), pool, sig, error_r) < 0)
		return -1;
	if (is_seal) {
		/* the seal is always relaxed (§5.1.1) */
		sig->header_relaxed = true;
		*cv_r = strip_wsp(dkim_tags_get(tags, count, "cv"), pool);
	}
	return sig_times(tags, count, sig, error_r);
}
