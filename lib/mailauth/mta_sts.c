/* MTA-STS policies, their TXT records, MX patterns (RFC 8461) and the
 * TLS-RPT record (RFC 8460 §3): mta_sts.h. Untrusted text throughout:
 * every parser is bounded and refuses a NUL. */
#include "mailauth/mta_sts.h"
#include "core/buf.h"
#include "core/pool.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const mode_names[] = {"none", "testing", "enforce"};

const char *mta_sts_mode_name(enum mta_sts_mode mode)
{
	return mode_names[mode];
}

/* sts-policy-mx-value = ["*."] Domain (RFC 5321): letters, digits,
 * hyphens and dots, labels of 1 to 63, at most 253 in all. */
static bool mx_pattern_valid(const char *p)
{
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	size_t len = strlen(p), label = 0;
	if (len == 0 || len > 253 || p[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static int policy_field(const char *key, const char *value, struct pool *pool,
                        struct mta_sts_policy *policy, unsigned *seen,
                        const char **error_r)
{
	if (strcmp(key, "mx") == 0) {
		if (!mx_pattern_valid(value)) {
			*error_r = "bad mx: pattern";
			return -1;
		}
		if (policy->mx_count < MTA_STS_MX_MAX)
			policy->mx[policy->mx_count++] =
			    pool_strdup(pool, value);
		return 0;
	}
	static const char *const keys[] = {"version", "mode", "max_age"};
	size_t k = 0;
	while (k < 3 && strcmp(key, keys[k]) != 0)
		k++;
	if (k == 3)
		return 0; /* sts-policy-extension: ignored */
	if ((*seen & (1u << k)) != 0) {
		*error_r = "repeated policy field";
		return -1;
	}
	*seen |= 1u << k;
	if (k == 0 && strcmp(value, "STSv1") != 0) {
		*error_r = "not version: STSv1";
		return -1;
	}
	if (k == 1) {
		size_t m = 0;
		while (m < 3 && strcmp(value, mode_names[m]) != 0)
			m++;
		if (m == 3) {
			*error_r = "bad mode:";
			return -1;
		}
		policy->mode = (enum mta_sts_mode)m;
	}
	if (k == 2) {
		/* sts-policy-max-age-value = 1*10DIGIT */
		size_t n = strspn(value, "0123456789");
		unsigned long long v = 0;
		for (size_t i = 0; i < n && i < 10; i++)
			v = v * 10 + (unsigned long long)(value[i] - '0');
		if (n == 0 || n > 10 || value[n] != '\0' ||
		    v > MTA_STS_MAX_AGE_MAX) {
			*error_r = "bad max_age:";
			return -1;
		}
		policy->max_age = (unsigned)v;
	}
	return 0;
}

int mta_sts_policy_parse(const char *text, size_t len, struct pool *pool,
                         struct mta_sts_policy *policy, const char **error_r)
{
	unsigned seen = 0;
	memset(policy, 0, sizeof(*policy));
	if (len > MTA_STS_POLICY_MAX || memchr(text, '\0', len) != NULL) {
		*error_r = len > MTA_STS_POLICY_MAX ? "policy too long"
		                                    : "NUL in policy";
		return -1;
	}
	for (size_t pos = 0; pos < len;) {
		const char *lf = memchr(text + pos, '\n', len - pos);
		size_t end = lf != NULL ? (size_t)(lf - text) : len;
		size_t e = end;
		if (e > pos && text[e - 1] == '\r')
			e--;
		const char *colon = memchr(text + pos, ':', e - pos);
		if (colon == NULL) {
			if (e > pos) {
				*error_r = "policy line without ':'";
				return -1;
			}
		} else {
			/* field = key ":" *WSP value *WSP */
			char *key = pool_strndup(pool, text + pos,
			                         (size_t)(colon - text) - pos);
			size_t vs = (size_t)(colon - text) + 1;
			while (vs < e && (text[vs] == ' ' || text[vs] == '\t'))
				vs++;
			size_t ve = e;
			while (ve > vs &&
			       (text[ve - 1] == ' ' || text[ve - 1] == '\t'))
				ve--;
			char *value = pool_strndup(pool, text + vs, ve - vs);
			if (policy_field(key, value, pool, policy, &seen,
			                 error_r) < 0)
				return -1;
		}
		pos = end + 1;
	}
	if ((seen & 7u) != 7u) {
		*error_r = (seen & 1u) == 0 ? "no version: STSv1"
		                            : "missing mode: or max_age:";
		return -1;
	}
	if (policy->mx_count == 0 && policy->mode != MTA_STS_NONE) {
		*error_r = "no mx:";
		return -1;
	}
	return 0;
}

int mta_sts_policy_from(const char *mode, const char *mx_list,
                        const char *hostname, unsigned max_age,
                        struct pool *pool, struct mta_sts_policy *policy,
                        const char **error_r)
{
	memset(policy, 0, sizeof(*policy));
	if (strcmp(mode, "off") == 0)
		return 0;
	size_t m = 0;
	while (m < 3 && strcmp(mode, mode_names[m]) != 0)
		m++;
	if (m == 3) {
		*error_r = "unknown MTA-STS mode";
		return -1;
	}
	policy->mode = (enum mta_sts_mode)m;
	policy->max_age = max_age;
	for (const char *p = mx_list; *p != '\0';) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (len == 0)
			break;
		char *pattern = pool_strndup(pool, p, len);
		if (!mx_pattern_valid(pattern)) {
			*error_r = "bad MTA-STS mx pattern";
			return -1;
		}
		if (policy->mx_count < MTA_STS_MX_MAX)
			policy->mx[policy->mx_count++] = pattern;
		p += len;
	}
	if (policy->mx_count == 0)
		policy->mx[policy->mx_count++] = pool_strdup(pool, hostname);
	return 1;
}

void mta_sts_policy_write(const struct mta_sts_policy *policy, struct buf *out)
{
	buf_printf(out, "version: STSv1\r\nmode: %s\r\n",
	           mta_sts_mode_name(policy->mode));
	for (size_t i = 0; i < policy->mx_count; i++)
		buf_printf(out, "mx: %s\r\n", policy->mx[i]);
	buf_printf(out, "max_age: %u\r\n", policy->max_age);
}

void mta_sts_policy_id(const char *text, size_t len, char id[21])
{
	unsigned char hash[32];
	unsigned hash_len = 0;
	if (EVP_Digest(text, len, hash, &hash_len, EVP_sha256(), NULL) != 1)
		memset(hash, 0, sizeof(hash));
	for (size_t i = 0; i < 10; i++)
		snprintf(id + 2 * i, 3, "%02x", hash[i]);
}

/* host without its final dot: its length */
static size_t host_len(const char *host)
{
	size_t len = strlen(host);
	while (len > 0 && host[len - 1] == '.')
		len--;
	return len;
}

bool mta_sts_mx_match(const char *pattern, const char *host)
{
	size_t hl = host_len(host), pl = host_len(pattern);
	if (strncmp(pattern, "*.", 2) != 0)
		return pl == hl && strncasecmp(pattern, host, hl) == 0;
	/* "*.example.com": exactly one label more than example.com */
	const char *rest = pattern + 1; /* ".example.com" */
	size_t rl = pl - 1;
	if (hl <= rl || strncasecmp(host + hl - rl, rest, rl) != 0)
		return false;
	size_t first = hl - rl;
	return first > 0 && memchr(host, '.', first) == NULL;
}

bool mta_sts_policy_allows(const struct mta_sts_policy *policy,
                           const char *host)
{
	for (size_t i = 0; i < policy->mx_count; i++) {
		if (mta_sts_mx_match(policy->mx[i], host))
			return true;
	}
	return false;
}

/* Splits txt into fields at ";" and calls cb with each trimmed field.
 * Returns -1 at a NUL. */
static int txt_fields(const char *txt, size_t len, struct pool *pool,
                      char ***fields_r, size_t *count_r)
{
	if (memchr(txt, '\0', len) != NULL)
		return -1;
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += txt[i] == ';';
	char **fields = pool_alloc(pool, n * sizeof(*fields));
	size_t count = 0;
	for (size_t pos = 0; pos <= len;) {
		const char *semi = memchr(txt + pos, ';', len - pos);
		size_t end = semi != NULL ? (size_t)(semi - txt) : len;
		size_t s = pos, e = end;
		while (s < e && (txt[s] == ' ' || txt[s] == '\t'))
			s++;
		while (e > s && (txt[e - 1] == ' ' || txt[e - 1] == '\t'))
			e--;
		if (e > s)
			fields[count++] = pool_strndup(pool, txt + s, e - s);
		pos = end + 1;
	}
	*fields_r = fields;
	*count_r = count;
	return 0;
}

bool mta_sts_txt_is_sts(const char *txt, size_t len)
{
	return len >= 7 && strncmp(txt, "v=STSv1", 7) == 0 &&
	       (len == 7 || txt[7] == ';' || txt[7] == ' ' || txt[7] == '\t');
}

int mta_sts_txt_parse(const char *txt, size_t len, char id_r[33],
                      const char **error_r)
{
	struct pool *pool = pool_new();
	char **fields;
	size_t count;
	int ret = -1;
	*error_r = "not v=STSv1";
	if (txt_fields(txt, len, pool, &fields, &count) < 0)
		*error_r = "NUL in record";
	else if (count > 0 && strcmp(fields[0], "v=STSv1") == 0) {
		*error_r = "no id=";
		for (size_t i = 1; i < count; i++) {
			if (strncmp(fields[i], "id=", 3) != 0)
				continue;
			const char *id = fields[i] + 3;
			size_t n = strlen(id), ok = 0;
			while (ok < n && isalnum((unsigned char)id[ok]))
				ok++;
			if (n == 0 || n > 32 || ok != n) {
				*error_r = "bad id=";
				break;
			}
			memcpy(id_r, id, n + 1);
			ret = 0;
			break;
		}
	}
	pool_free(&pool);
	return ret;
}

int tlsrpt_txt_parse(const char *txt, size_t len, struct pool *pool,
                     const char **rua_r, const char **error_r)
{
	char **fields;
	size_t count;
	if (txt_fields(txt, len, pool, &fields, &count) < 0) {
		*error_r = "NUL in record";
		return -1;
	}
	if (count == 0 || strcmp(fields[0], "v=TLSRPTv1") != 0) {
		*error_r = "not v=TLSRPTv1";
		return -1;
	}
	for (size_t i = 1; i < count; i++) {
		if (strncmp(fields[i], "rua=", 4) == 0 &&
		    fields[i][4] != '\0') {
			*rua_r = fields[i] + 4;
			return 0;
		}
	}
	*error_r = "no rua=";
	return -1;
}
