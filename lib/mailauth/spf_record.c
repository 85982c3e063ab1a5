/* SPF records (RFC 7208 §4.5, §5, §6, ABNF of §12) and macros (§7). The
 * whole record is parsed before any term is evaluated, so a syntax error
 * anywhere is a permerror even when an earlier mechanism would match
 * (§4.6). */
#include "mailauth/spf.h"
#include "core/buf.h"
#include "core/pool.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const result_names[] = {
    "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror",
};

const char *spf_result_name(enum spf_result result)
{
	return result_names[result];
}

bool spf_record_is_spf(const char *txt, size_t len)
{
	return len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 &&
	       (len == 6 || txt[6] == ' ');
}

/* ---- Macros (§7) ----------------------------------------------------------
 */

static bool is_delimiter(char c)
{
	return strchr(".-+,/_=", c) != NULL && c != '\0';
}

/* The value of macro letter c (lower case) in ctx, from pool. */
static const char *macro_value(char c, const struct spf_macro_ctx *ctx,
                               struct pool *pool)
{
	char addr[INET6_ADDRSTRLEN];
	switch (c) {
	case 's':
		return ctx->sender;
	case 'l':
		return ctx->local;
	case 'o':
		return ctx->sender_domain;
	case 'd':
		return ctx->domain;
	case 'h':
		return ctx->helo;
	case 'p':
		return ctx->validated != NULL ? ctx->validated : "unknown";
	case 'v':
		return ctx->is_ipv6 ? "ip6" : "in-addr";
	case 'r':
		return "unknown";
	case 't':
		return pool_printf(pool, "%lld", (long long)time(NULL));
	case 'c':
		inet_ntop(ctx->is_ipv6 ? AF_INET6 : AF_INET, ctx->ip, addr,
		          sizeof(addr));
		return pool_strdup(pool, addr);
	case 'i':
		if (!ctx->is_ipv6) {
			inet_ntop(AF_INET, ctx->ip, addr, sizeof(addr));
			return pool_strdup(pool, addr);
		}
		/* §7.3: dot-format, one hex nibble per label */
		char *s = pool_alloc(pool, 64);
		for (int i = 0; i < 16; i++)
			snprintf(s + 4 * i, 5, "%x.%x%s", ctx->ip[i] >> 4,
			         ctx->ip[i] & 15, i < 15 ? "." : "");
		return s;
	}
	return "";
}

/* Applies the transformers (rightmost n parts, reversed) and the
 * delimiters to value; parts are joined with ".". */
static void macro_transform(const char *value, unsigned n, bool reverse,
                            const char *delims, struct buf *out, bool escape)
{
	const char *parts[256];
	size_t lens[256], count = 0;
	const char *p = value;
	for (;;) {
		size_t len = strcspn(p, delims[0] != '\0' ? delims : ".");
		if (count < 256) {
			parts[count] = p;
			lens[count++] = len;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (reverse) {
		for (size_t i = 0; i < count / 2; i++) {
			const char *t = parts[i];
			size_t tl = lens[i];
			parts[i] = parts[count - 1 - i];
			lens[i] = lens[count - 1 - i];
			parts[count - 1 - i] = t;
			lens[count - 1 - i] = tl;
		}
	}
	size_t start = n > 0 && n < count ? count - n : 0;
	for (size_t i = start; i < count; i++) {
		if (i > start)
			buf_append_char(out, '.');
		for (size_t k = 0; k < lens[i]; k++) {
			unsigned char c = (unsigned char)parts[i][k];
			/* §7.3: upper-case letters URL-escape (RFC 3986
			 * unreserved characters stay) */
			if (escape && !isalnum(c) && strchr("-._~", c) == NULL)
				buf_printf(out, "%%%02X", c);
			else
				buf_append_char(out, (char)c);
		}
	}
}

/* macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / ...
 * Expands the macro at spec[*pos] (just after '%'). */
static int macro_one(const char *spec, size_t *pos,
                     const struct spf_macro_ctx *ctx, struct pool *pool,
                     struct buf *out, const char **error_r)
{
	char c = spec[*pos];
	if (c == '%' || c == '_' || c == '-') {
		buf_append_str(out, c == '%' ? "%" : c == '_' ? " " : "%20");
		(*pos)++;
		return 0;
	}
	if (c != '{') {
		*error_r = "bad macro";
		return -1;
	}
	size_t p = *pos + 1;
	char letter = (char)tolower((unsigned char)spec[p]);
	bool escape = isupper((unsigned char)spec[p]);
	if (letter == '\0' || strchr("slodiphcrtv", letter) == NULL) {
		*error_r = "unknown macro letter";
		return -1;
	}
	bool exp_only = strchr("crt", letter) != NULL;
	p++;
	unsigned n = 0;
	bool has_digits = false;
	while (isdigit((unsigned char)spec[p])) {
		n = n * 10 + (unsigned)(spec[p++] - '0');
		has_digits = true;
		if (n > 128) {
			*error_r = "macro digit transformer too large";
			return -1;
		}
	}
	if (has_digits && n == 0) {
		*error_r = "macro digit transformer of zero";
		return -1;
	}
	bool reverse = false;
	if (spec[p] == 'r' || spec[p] == 'R') {
		reverse = true;
		p++;
	}
	char delims[16];
	size_t nd = 0;
	while (is_delimiter(spec[p]) && nd + 1 < sizeof(delims))
		delims[nd++] = spec[p++];
	delims[nd] = '\0';
	if (spec[p] != '}') {
		*error_r = "unterminated macro";
		return -1;
	}
	*pos = p + 1;
	if (exp_only && ctx != NULL && !ctx->is_exp) {
		*error_r = "macro only allowed in exp";
		return -1;
	}
	if (ctx != NULL) {
		const char *value = macro_value(letter, ctx, pool);
		macro_transform(value != NULL ? value : "", n, reverse, delims,
		                out, escape);
	}
	return 0;
}

int spf_macro_expand(const char *spec, const struct spf_macro_ctx *ctx,
                     struct pool *pool, const char **out_r,
                     const char **error_r)
{
	struct buf out;
	buf_init(&out);
	for (size_t pos = 0; spec[pos] != '\0';) {
		unsigned char c = (unsigned char)spec[pos];
		if (c == '%') {
			pos++;
			if (macro_one(spec, &pos, ctx, pool, &out, error_r) <
			    0) {
				buf_deinit(&out);
				return -1;
			}
			continue;
		}
		/* macro-literal = %x21-24 / %x26-7E */
		if (c < 0x21 || c > 0x7e) {
			buf_deinit(&out);
			*error_r = "bad character in domain-spec";
			return -1;
		}
		buf_append_char(&out, (char)c);
		pos++;
	}
	/* §7.3: over 253 characters, labels go from the left */
	const char *s = out.data;
	while (strlen(s) > 253) {
		const char *dot = strchr(s, '.');
		if (dot == NULL)
			break;
		s = dot + 1;
	}
	*out_r = pool_strdup(pool, s);
	buf_deinit(&out);
	return 0;
}

bool spf_macro_uses_ptr(const char *spec)
{
	for (const char *p = spec; (p = strchr(p, '%')) != NULL; p++) {
		if (p[1] == '%') {
			p++;
			continue;
		}
		if (p[1] == '{' && (p[2] == 'p' || p[2] == 'P'))
			return true;
	}
	return false;
}

/* ---- Records ------------------------------------------------------------- */

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool toplabel_valid(const char *s, size_t len)
{
	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	bool has_alpha = false, has_dash = false;
	for (size_t i = 0; i < len; i++) {
		if (isalpha((unsigned char)s[i]))
			has_alpha = true;
		else if (s[i] == '-')
			has_dash = true;
		else if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return has_alpha || has_dash;
}

/* domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand */
static int domain_spec_check(const char *spec, const char **error_r)
{
	const char *out;
	struct pool *pool = pool_new();
	int ret = spf_macro_expand(spec, NULL, pool, &out, error_r);
	pool_free(&pool);
	if (ret < 0)
		return -1;
	size_t len = strlen(spec);
	if (len > 0 && spec[len - 1] == '}')
		return 0; /* ends in a macro-expand */
	if (len > 0 && spec[len - 1] == '.')
		len--;
	const char *dot = NULL;
	for (size_t i = len; i-- > 0;) {
		if (spec[i] == '.') {
			dot = spec + i;
			break;
		}
	}
	if (dot == NULL ||
	    !toplabel_valid(dot + 1, (size_t)(spec + len - dot - 1))) {
		*error_r = "domain-spec does not end in a top label";
		return -1;
	}
	return 0;
}

/* "/" digits with the value at most max; returns -1 if bad. */
static int cidr_parse(const char *s, size_t len, unsigned max, unsigned *v_r)
{
	if (len == 0 || len > 3 || (s[0] == '0' && len > 1))
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*v_r = v;
	return 0;
}

/* Splits a trailing dual-cidr-length ("/24", "//64", "/24//64") off arg
 * (arg_len is shortened). Returns 0, or -1 if it is malformed. */
static int dual_cidr(const char *arg, size_t *arg_len, struct spf_term *t)
{
	size_t len = *arg_len;
	size_t d = len;
	while (d > 0 && isdigit((unsigned char)arg[d - 1]))
		d--;
	if (d >= 2 && d < len && arg[d - 1] == '/' && arg[d - 2] == '/') {
		if (cidr_parse(arg + d, len - d, 128, &t->cidr6) < 0)
			return -1;
		len = d - 2;
		d = len;
		while (d > 0 && isdigit((unsigned char)arg[d - 1]))
			d--;
	}
	if (d >= 1 && d < len && arg[d - 1] == '/') {
		if (cidr_parse(arg + d, len - d, 32, &t->cidr4) < 0)
			return -1;
		len = d - 1;
	}
	*arg_len = len;
	return 0;
}

static const struct {
	const char *name;
	enum spf_mech mech;
} mechs[] = {
    {"all", SPF_MECH_ALL}, {"include", SPF_MECH_INCLUDE}, {"a", SPF_MECH_A},
    {"mx", SPF_MECH_MX},   {"ptr", SPF_MECH_PTR},         {"ip4", SPF_MECH_IP4},
    {"ip6", SPF_MECH_IP6}, {"exists", SPF_MECH_EXISTS},
};

/* The argument of a mechanism: ":" domain-spec, addresses, cidr. */
static int mech_arg(struct spf_term *t, const char *arg, size_t len,
                    struct pool *pool, const char **error_r)
{
	bool has_colon = len > 0 && arg[0] == ':';
	char addr[64];
	switch (t->mech) {
	case SPF_MECH_ALL:
		if (len == 0)
			return 0;
		break;
	case SPF_MECH_IP4:
	case SPF_MECH_IP6: {
		/* ip4-network [ ip4-cidr-length ], ip6 likewise */
		bool is4 = t->mech == SPF_MECH_IP4;
		if (!has_colon)
			break;
		arg++;
		len--;
		const char *slash = memchr(arg, '/', len);
		size_t alen = slash != NULL ? (size_t)(slash - arg) : len;
		if (slash != NULL &&
		    cidr_parse(slash + 1, len - alen - 1, is4 ? 32 : 128,
		               is4 ? &t->cidr4 : &t->cidr6) < 0)
			break;
		if (alen == 0 || alen >= sizeof(addr))
			break;
		memcpy(addr, arg, alen);
		addr[alen] = '\0';
		if (inet_pton(is4 ? AF_INET : AF_INET6, addr, t->ip) == 1)
			return 0;
		*error_r = "bad address in ip4 or ip6";
		return -1;
	}
	case SPF_MECH_A:
	case SPF_MECH_MX:
	case SPF_MECH_PTR:
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS: {
		bool cidr_ok = t->mech == SPF_MECH_A || t->mech == SPF_MECH_MX;
		if (cidr_ok && dual_cidr(arg, &len, t) < 0)
			break;
		bool needs =
		    t->mech == SPF_MECH_INCLUDE || t->mech == SPF_MECH_EXISTS;
		if (len == 0 && !needs)
			return 0;
		if (!has_colon || len < 2)
			break;
		char *spec = pool_strndup(pool, arg + 1, len - 1);
		if (domain_spec_check(spec, error_r) < 0)
			return -1;
		t->domain_spec = spec;
		return 0;
	}
	}
	*error_r = "bad mechanism argument";
	return -1;
}

/* directive = [ qualifier ] mechanism */
static int directive_parse(const char *s, size_t len, struct pool *pool,
                           struct spf_term *t, const char **error_r)
{
	memset(t, 0, sizeof(*t));
	t->qualifier = '+';
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (len > 0 && strchr("+-~?", s[0]) != NULL) {
		t->qualifier = s[0];
		s++;
		len--;
	}
	size_t n = 0;
	while (n < len && isalnum((unsigned char)s[n]))
		n++;
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (strlen(mechs[i].name) == n &&
		    strncasecmp(s, mechs[i].name, n) == 0) {
			t->mech = mechs[i].mech;
			return mech_arg(t, s + n, len - n, pool, error_r);
		}
	}
	*error_r = "unknown mechanism";
	return -1;
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ); returns its length
 * if s is "name=...", else 0. */
static size_t modifier_name(const char *s, size_t len)
{
	if (len == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	size_t n = 1;
	while (n < len &&
	       (isalnum((unsigned char)s[n]) || strchr("-_.", s[n]) != NULL))
		n++;
	return n < len && s[n] == '=' ? n : 0;
}

static int modifier_parse(const char *s, size_t len, size_t n,
                          struct pool *pool, struct spf_record *rec,
                          const char **error_r)
{
	char *value = pool_strndup(pool, s + n + 1, len - n - 1);
	bool is_redirect = n == 8 && strncasecmp(s, "redirect", 8) == 0;
	bool is_exp = n == 3 && strncasecmp(s, "exp", 3) == 0;
	const char *out;
	if (is_redirect || is_exp) {
		const char **slot = is_redirect ? &rec->redirect : &rec->exp;
		if (*slot != NULL) {
			*error_r = "redirect or exp given twice";
			return -1;
		}
		if (domain_spec_check(value, error_r) < 0)
			return -1;
		*slot = value;
		return 0;
	}
	/* unknown-modifier = name "=" macro-string: ignored (§6) */
	return spf_macro_expand(value, NULL, pool, &out, error_r);
}

int spf_record_parse(const char *txt, size_t len, struct pool *pool,
                     struct spf_record *rec, const char **error_r)
{
	memset(rec, 0, sizeof(*rec));
	if (!spf_record_is_spf(txt, len) || memchr(txt, '\0', len) != NULL) {
		*error_r = "not an SPF record";
		return -1;
	}
	size_t alloc = 8;
	rec->terms = pool_alloc(pool, alloc * sizeof(*rec->terms));
	for (size_t pos = 6; pos < len;) {
		if (txt[pos] == ' ') {
			pos++;
			continue;
		}
		size_t end = pos;
		while (end < len && txt[end] != ' ')
			end++;
		const char *s = txt + pos;
		size_t n = modifier_name(s, end - pos);
		if (n > 0) {
			if (modifier_parse(s, end - pos, n, pool, rec,
			                   error_r) < 0)
				return -1;
		} else {
			if (rec->count == alloc) {
				struct spf_term *t =
				    pool_alloc(pool, 2 * alloc * sizeof(*t));
				memcpy(t, rec->terms, alloc * sizeof(*t));
				rec->terms = t;
				alloc *= 2;
			}
			if (directive_parse(s, end - pos, pool,
			                    &rec->terms[rec->count],
			                    error_r) < 0)
				return -1;
			rec->count++;
		}
		pos = end;
	}
	return 0;
}
