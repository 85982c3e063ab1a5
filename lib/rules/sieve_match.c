/* Comparators and match types. Comparators (RFC 4790 §9): i;octet,
 * i;ascii-casemap (the default, RFC 5228 §2.7.3) and i;ascii-numeric
 * (leading digits as a number, anything else positive infinity). Match
 * types: :is, :contains, :matches (RFC 5228 §2.7.1; "*" and "?" take
 * octets, "\" escapes, the wildcards' parts become match variables with
 * each "*" as short as the rest allows, RFC 5229 §3.2), :regex
 * (draft-ietf-sieve-regex: POSIX extended, without back-references,
 * whose run time has no bound), :count and :value (RFC 5231). Work is
 * counted so that a run stays within max_steps. */
#include "core/pool.h"
#include "rules/sieve_private.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sieve_regex_entry {
	char *pattern;
	bool icase;
	regex_t re;
};

static const char *const relation_names[] = {
    [SIEVE_REL_GT] = "gt", [SIEVE_REL_GE] = "ge", [SIEVE_REL_LT] = "lt",
    [SIEVE_REL_LE] = "le", [SIEVE_REL_EQ] = "eq", [SIEVE_REL_NE] = "ne",
};

int sieve_relation_parse(const char *str, enum sieve_relation *rel_r)
{
	for (unsigned i = 0;
	     i < sizeof(relation_names) / sizeof(*relation_names); i++) {
		if (strcasecmp(str, relation_names[i]) == 0) {
			*rel_r = (enum sieve_relation)i;
			return 0;
		}
	}
	return -1;
}

static bool chars_equal(char a, char b, enum sieve_comparator cmp)
{
	if (cmp == SIEVE_CMP_OCTET)
		return a == b;
	return tolower((unsigned char)a) == tolower((unsigned char)b);
}

/* i;ascii-numeric: the leading digits without leading zeros, or NULL
 * (positive infinity) when the string does not start with a digit. */
static const char *numeric_digits(const char *s, size_t len, size_t *n_r)
{
	if (len == 0 || !isdigit((unsigned char)s[0]))
		return NULL;
	size_t i = 0;
	while (i + 1 < len && s[i] == '0' && isdigit((unsigned char)s[i + 1]))
		i++;
	size_t n = i;
	while (n < len && isdigit((unsigned char)s[n]))
		n++;
	*n_r = n - i;
	return s + i;
}

/* Returns <0, 0, >0 as a sorts before, with or after b. */
static int compare(const char *a, size_t alen, const char *b, size_t blen,
                   enum sieve_comparator cmp)
{
	if (cmp == SIEVE_CMP_ASCII_NUMERIC) {
		size_t an = 0, bn = 0;
		const char *ad = numeric_digits(a, alen, &an);
		const char *bd = numeric_digits(b, blen, &bn);
		if (ad == NULL || bd == NULL)
			return (ad == NULL) - (bd == NULL);
		if (an != bn)
			return an < bn ? -1 : 1;
		return memcmp(ad, bd, an);
	}
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
		if (cmp == SIEVE_CMP_ASCII_CASEMAP) {
			/* RFC 4790 §9.2: uppercase both */
			ca = toupper(ca);
			cb = toupper(cb);
		}
		if (ca != cb)
			return ca - cb;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static bool relation_holds(int order, enum sieve_relation rel)
{
	switch (rel) {
	case SIEVE_REL_GT:
		return order > 0;
	case SIEVE_REL_GE:
		return order >= 0;
	case SIEVE_REL_LT:
		return order < 0;
	case SIEVE_REL_LE:
		return order <= 0;
	case SIEVE_REL_EQ:
		return order == 0;
	case SIEVE_REL_NE:
		return order != 0;
	}
	return false;
}

static bool contains(const char *value, size_t vlen, const char *key,
                     size_t klen, enum sieve_comparator cmp)
{
	if (klen == 0)
		return true;
	if (klen > vlen)
		return false;
	if (cmp == SIEVE_CMP_OCTET)
		return sieve_bytes_find(value, vlen, key, klen) >= 0;
	/* lowercase copies, so the search stays linear (memmem) */
	char *v = malloc(vlen), *k = malloc(klen);
	if (v == NULL || k == NULL)
		abort();
	for (size_t i = 0; i < vlen; i++)
		v[i] = (char)tolower((unsigned char)value[i]);
	for (size_t i = 0; i < klen; i++)
		k[i] = (char)tolower((unsigned char)key[i]);
	bool found = sieve_bytes_find(v, vlen, k, klen) >= 0;
	free(v);
	free(k);
	return found;
}

int sieve_glob_match(const char *value, size_t value_len, const char *key,
                     size_t key_len, enum sieve_comparator comparator,
                     size_t *starts_r, size_t *lens_r, unsigned max_vars,
                     unsigned *count_r, uint64_t *steps)
{
	size_t vi = 0, ki = 0, star_ki = 0, star_vi = 0;
	unsigned nvars = 0, star_var = 0;
	bool has_star = false;
#define VAR_SET(idx, start, len)                                               \
	do {                                                                   \
		if ((idx) < max_vars) {                                        \
			starts_r[idx] = (start);                               \
			lens_r[idx] = (len);                                   \
		}                                                              \
	} while (0)
	while (vi < value_len) {
		if (*steps == 0)
			return -1;
		(*steps)--;
		if (ki < key_len) {
			char c = key[ki];
			if (c == '*') {
				VAR_SET(nvars, vi, 0);
				has_star = true;
				star_var = nvars++;
				star_ki = ++ki;
				star_vi = vi;
				continue;
			}
			if (c == '?') {
				VAR_SET(nvars, vi, 1);
				nvars++;
				ki++;
				vi++;
				continue;
			}
			size_t tok = 1;
			if (c == '\\' && ki + 1 < key_len)
				c = key[ki + (tok = 2) - 1];
			if (chars_equal(c, value[vi], comparator)) {
				ki += tok;
				vi++;
				continue;
			}
		}
		if (!has_star)
			return 0;
		/* the last "*" takes one more octet and the rest retries */
		vi = ++star_vi;
		ki = star_ki;
		nvars = star_var + 1;
		if (star_var < max_vars)
			lens_r[star_var] = star_vi - starts_r[star_var];
	}
	while (ki < key_len && key[ki] == '*') {
		VAR_SET(nvars, vi, 0);
		nvars++;
		ki++;
	}
#undef VAR_SET
	*count_r = nvars;
	return ki == key_len ? 1 : 0;
}

/* ---- regex ---- */

#define REGEX_WEIGHT_MAX 1024   /* copies glibc's regcomp may make */
#define REGEX_SUBJECT_MAX 4096  /* bytes of a value a regex runs over */
#define REGEX_COMPILE_STEPS 400 /* steps charged per unit of weight */

/* Returns the weight of [p, end): atoms count one, a group the sum of
 * its contents; "{m,n}" multiplies what it follows by its bound and "+"
 * doubles it (glibc's regcomp copies the subtree for each, so stacked or
 * nested ones grow exponentially in time and memory); "*" and "?" copy
 * nothing. Saturates just over REGEX_WEIGHT_MAX. *p is left after the
 * group's ")" (or at end). */
static uint64_t regex_weight(const char **p, const char *end, int depth)
{
	uint64_t total = 0, last = 0;
	while (*p < end && total + last <= REGEX_WEIGHT_MAX) {
		char c = *(*p)++;
		if (c == ')' && depth > 0)
			break;
		if (c == '{') {
			uint64_t bound = 0;
			while (*p < end && **p != '}') {
				if (**p >= '0' && **p <= '9' && bound < 100000)
					bound =
					    bound * 10 + (uint64_t)(**p - '0');
				else if (**p == ',')
					bound = 0; /* the upper bound counts */
				(*p)++;
			}
			if (*p < end)
				(*p)++;
			last *= bound == 0 ? 1 : bound;
		} else if (c == '+') {
			last *= 2;
		} else if (c != '*' && c != '?') {
			total += last;
			if (c == '(') {
				last = regex_weight(p, end, depth + 1);
			} else if (c == '[') { /* one atom */
				if (*p < end && **p == '^')
					(*p)++;
				if (*p < end && **p == ']')
					(*p)++;
				while (*p < end && **p != ']')
					(*p)++;
				if (*p < end)
					(*p)++;
				last = 1;
			} else if (c == '\\' && *p < end) {
				(*p)++;
				last = 1;
			} else {
				last = c == '|' ? 0 : 1;
			}
		}
		if (last > REGEX_WEIGHT_MAX)
			last = REGEX_WEIGHT_MAX + 1;
	}
	return total + last;
}

static bool has_backreference(const char *pattern, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (pattern[i] != '\\')
			continue;
		if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9')
			return true;
		i++;
	}
	return false;
}

int sieve_regex_check(const char *pattern, size_t len, bool icase,
                      const struct sieve_settings *settings,
                      const char **error_r)
{
	if (len > settings->max_regex_size) {
		*error_r = "regex too long";
		return -1;
	}
	if (memchr(pattern, '\0', len) != NULL) {
		*error_r = "regex contains NUL";
		return -1;
	}
	if (has_backreference(pattern, len)) {
		/* they make matching exponential */
		*error_r = "regex back-references are not supported";
		return -1;
	}
	const char *p = pattern;
	if (regex_weight(&p, pattern + len, 0) > REGEX_WEIGHT_MAX) {
		*error_r = "regex repeats too much";
		return -1;
	}
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | (icase ? REG_ICASE : 0)) !=
	    0) {
		*error_r = "invalid regex";
		return -1;
	}
	regfree(&re);
	return 0;
}

static regex_t *regex_get(struct sieve_interp *ip,
                          const struct sieve_node *node, const char *pattern,
                          size_t len, bool icase)
{
	const char *error;
	for (unsigned i = 0; i < ip->regex_count; i++)
		if (ip->regexes[i].icase == icase &&
		    strlen(ip->regexes[i].pattern) == len &&
		    memcmp(ip->regexes[i].pattern, pattern, len) == 0)
			return &ip->regexes[i].re;
	if (sieve_regex_check(pattern, len, icase, ip->set, &error) < 0) {
		sieve_runtime_error(ip, node, "%s", error);
		return NULL;
	}
	const char *p = pattern;
	if (sieve_step(ip, node,
	               REGEX_COMPILE_STEPS *
	                   regex_weight(&p, pattern + len, 0)) < 0)
		return NULL;
	if (ip->regex_count >= ip->set->max_regexes) {
		sieve_runtime_error(ip, node, "more than %u regexes in one run",
		                    ip->set->max_regexes);
		return NULL;
	}
	if (ip->regexes == NULL)
		ip->regexes =
		    calloc(ip->set->max_regexes, sizeof(*ip->regexes));
	if (ip->regexes == NULL)
		abort();
	struct sieve_regex_entry *e = &ip->regexes[ip->regex_count];
	e->pattern = malloc(len + 1);
	if (e->pattern == NULL)
		abort();
	memcpy(e->pattern, pattern, len);
	e->pattern[len] = '\0';
	e->icase = icase;
	if (regcomp(&e->re, e->pattern,
	            REG_EXTENDED | (icase ? REG_ICASE : 0)) != 0) {
		free(e->pattern);
		sieve_runtime_error(ip, node, "invalid regex");
		return NULL;
	}
	ip->regex_count++;
	return &e->re;
}

void sieve_match_free_regexes(struct sieve_interp *ip)
{
	for (unsigned i = 0; i < ip->regex_count; i++) {
		regfree(&ip->regexes[i].re);
		free(ip->regexes[i].pattern);
	}
	free(ip->regexes);
	ip->regexes = NULL;
	ip->regex_count = 0;
}

static int regex_match(struct sieve_interp *ip, const struct sieve_node *node,
                       const char *value, size_t vlen, const char *key,
                       size_t klen)
{
	regex_t *re = regex_get(ip, node, key, klen,
	                        node->comparator == SIEVE_CMP_ASCII_CASEMAP);
	if (re == NULL)
		return -1;
	/* glibc's matcher is quadratic in the subject at worst: a bounded
	 * subject, and steps charged for the square */
	if (vlen > ip->set->max_match_size)
		vlen = ip->set->max_match_size;
	if (vlen > REGEX_SUBJECT_MAX)
		vlen = REGEX_SUBJECT_MAX;
	if (sieve_step(ip, node, 1 + vlen * vlen / 64) < 0)
		return -1;
	char *subject = pool_strndup(ip->pool, value, vlen);
	regmatch_t m[SIEVE_MATCH_VARS];
	if (regexec(re, subject, SIEVE_MATCH_VARS, m, 0) != 0)
		return 0;
	size_t starts[SIEVE_MATCH_VARS], lens[SIEVE_MATCH_VARS];
	unsigned count = 0;
	for (unsigned i = 1; i < SIEVE_MATCH_VARS; i++) {
		starts[i - 1] = m[i].rm_so < 0 ? 0 : (size_t)m[i].rm_so;
		lens[i - 1] =
		    m[i].rm_so < 0 ? 0 : (size_t)(m[i].rm_eo - m[i].rm_so);
		if (m[i].rm_so >= 0)
			count = i;
	}
	/* ${0} is what the whole expression matched */
	ip->match_var_count = 0;
	buf_truncate(&ip->match_vars[0], 0);
	buf_append(&ip->match_vars[0], subject + m[0].rm_so,
	           (size_t)(m[0].rm_eo - m[0].rm_so));
	for (unsigned i = 0; i < count; i++) {
		buf_truncate(&ip->match_vars[i + 1], 0);
		buf_append(&ip->match_vars[i + 1], subject + starts[i],
		           lens[i]);
	}
	ip->match_var_count = count + 1;
	return 1;
}

void sieve_match_vars_set(struct sieve_interp *ip, const char *value,
                          size_t value_len, const size_t *starts,
                          const size_t *lens, unsigned count)
{
	if (count > SIEVE_MATCH_VARS - 1)
		count = SIEVE_MATCH_VARS - 1;
	buf_truncate(&ip->match_vars[0], 0);
	buf_append(&ip->match_vars[0], value, value_len);
	for (unsigned i = 0; i < count; i++) {
		buf_truncate(&ip->match_vars[i + 1], 0);
		buf_append(&ip->match_vars[i + 1], value + starts[i], lens[i]);
	}
	ip->match_var_count = count + 1;
}

static int glob_match(struct sieve_interp *ip, const struct sieve_node *node,
                      const char *value, size_t vlen, const char *key,
                      size_t klen)
{
	size_t starts[SIEVE_MATCH_VARS], lens[SIEVE_MATCH_VARS];
	unsigned count = 0;
	if (vlen > ip->set->max_match_size)
		vlen = ip->set->max_match_size;
	/* each step of the run pays for 16 of the matcher's */
	uint64_t budget = ip->set->max_steps > ip->steps
	                      ? (ip->set->max_steps - ip->steps) * 16
	                      : 0;
	uint64_t left = budget;
	int ret =
	    sieve_glob_match(value, vlen, key, klen, node->comparator, starts,
	                     lens, SIEVE_MATCH_VARS - 1, &count, &left);
	if (ret < 0 || sieve_step(ip, node, (budget - left) / 16) < 0)
		return sieve_runtime_error(ip, node,
		                           "too much work in :matches");
	if (ret > 0)
		sieve_match_vars_set(ip, value, vlen, starts, lens, count);
	return ret;
}

int sieve_match_one(struct sieve_interp *ip, const struct sieve_node *node,
                    const char *value, size_t value_len, const char *key,
                    size_t key_len)
{
	if (sieve_step(ip, node, 1 + (value_len + key_len) / 64) < 0)
		return -1;
	switch (node->match) {
	case SIEVE_MATCH_IS:
		return compare(value, value_len, key, key_len,
		               node->comparator) == 0;
	case SIEVE_MATCH_CONTAINS:
		return contains(value, value_len, key, key_len,
		                node->comparator);
	case SIEVE_MATCH_MATCHES:
		return glob_match(ip, node, value, value_len, key, key_len);
	case SIEVE_MATCH_REGEX:
		return regex_match(ip, node, value, value_len, key, key_len);
	case SIEVE_MATCH_VALUE:
		return relation_holds(
		    compare(value, value_len, key, key_len, node->comparator),
		    node->relation);
	case SIEVE_MATCH_COUNT:
		break; /* counted by the caller */
	}
	return 0;
}

int sieve_match_count(const struct sieve_node *node, size_t count,
                      const char *key, size_t key_len)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%zu", count);
	return relation_holds(
	    compare(num, (size_t)n, key, key_len, node->comparator),
	    node->relation);
}
