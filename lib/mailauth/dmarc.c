/* DMARC records, organisational domains and evaluation (dmarc.h). The
 * record shares DKIM's tag-list syntax (RFC 7489 §6.4 refers to RFC 6376
 * §3.2). */
#include "mailauth/dmarc.h"
#include "mailauth/dkim.h"
#include "mailauth/mailauth_header.h"
#include "core/pool.h"
#include "mime/mime_address.h"

#include <ctype.h>
#include <libpsl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const policy_names[] = {"none", "quarantine", "reject"};
static const char *const result_names[] = {"none", "pass", "fail", "temperror",
                                           "permerror"};

const char *dmarc_policy_name(enum dmarc_policy policy)
{
	return policy_names[policy];
}

const char *dmarc_result_name(enum dmarc_result result)
{
	return result_names[result];
}

bool dmarc_record_is_dmarc(const char *txt, size_t len)
{
	/* dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31 */
	size_t i = 0;
	if (len == 0 || txt[i++] != 'v')
		return false;
	while (i < len && (txt[i] == ' ' || txt[i] == '\t'))
		i++;
	if (i == len || txt[i++] != '=')
		return false;
	while (i < len && (txt[i] == ' ' || txt[i] == '\t'))
		i++;
	if (len - i < 6 || memcmp(txt + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	while (i < len && (txt[i] == ' ' || txt[i] == '\t'))
		i++;
	return i == len || txt[i] == ';';
}

static int policy_parse(const char *v, enum dmarc_policy *p)
{
	for (int i = 0; i < 3; i++) {
		if (strcasecmp(v, policy_names[i]) == 0) {
			*p = (enum dmarc_policy)i;
			return 0;
		}
	}
	return -1;
}

/* dmarc-adkim = "adkim" *WSP "=" *WSP ( "r" / "s" ) */
static int mode_parse(const char *v, bool *strict)
{
	if (v == NULL)
		return 0;
	if (strcasecmp(v, "s") != 0 && strcasecmp(v, "r") != 0)
		return -1;
	*strict = strcasecmp(v, "s") == 0;
	return 0;
}

int dmarc_record_parse(const char *txt, size_t len, struct pool *pool,
                       struct dmarc_record *rec, const char **error_r)
{
	struct dkim_tag *tags;
	size_t count;
	memset(rec, 0, sizeof(*rec));
	rec->pct = 100;
	if (!dmarc_record_is_dmarc(txt, len)) {
		*error_r = "not a DMARC record";
		return -1;
	}
	if (dkim_tags_parse(txt, len, pool, &tags, &count, error_r) < 0)
		return -1;
	const char *p = dkim_tags_get(tags, count, "p");
	const char *sp = dkim_tags_get(tags, count, "sp");
	const char *pct = dkim_tags_get(tags, count, "pct");
	rec->rua = dkim_tags_get(tags, count, "rua");
	rec->ruf = dkim_tags_get(tags, count, "ruf");
	if (p == NULL && (rec->rua == NULL || rec->rua[0] == '\0')) {
		*error_r = "no p= tag";
		return -1;
	}
	if (p != NULL && policy_parse(p, &rec->p) < 0) {
		*error_r = "bad p= tag";
		return -1;
	}
	rec->sp = rec->p;
	if (sp != NULL && policy_parse(sp, &rec->sp) < 0) {
		*error_r = "bad sp= tag";
		return -1;
	}
	if (mode_parse(dkim_tags_get(tags, count, "adkim"),
	               &rec->adkim_strict) < 0 ||
	    mode_parse(dkim_tags_get(tags, count, "aspf"), &rec->aspf_strict) <
	        0) {
		*error_r = "bad adkim= or aspf= tag";
		return -1;
	}
	if (pct != NULL) {
		char *end;
		long v = strtol(pct, &end, 10);
		if (pct[0] == '\0' || *end != '\0' || v < 0 || v > 100 ||
		    !isdigit((unsigned char)pct[0])) {
			*error_r = "bad pct= tag";
			return -1;
		}
		rec->pct = (unsigned)v;
	}
	return 0;
}

static psl_ctx_t *psl_get(void)
{
	static psl_ctx_t *psl;
	/* the system list (publicsuffix package) when newer than the
	 * built-in one; kept for the process's life */
	if (psl == NULL)
		psl = psl_latest(NULL);
	if (psl == NULL)
		psl = (psl_ctx_t *)psl_builtin();
	return psl;
}

const char *dmarc_org_domain(const char *domain, struct pool *pool)
{
	char *lower = pool_strdup(pool, domain);
	size_t len = strlen(lower);
	while (len > 0 && lower[len - 1] == '.')
		lower[--len] = '\0';
	for (char *p = lower; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	psl_ctx_t *psl = psl_get();
	const char *reg =
	    psl != NULL ? psl_registrable_domain(psl, lower) : NULL;
	return reg != NULL ? reg : lower;
}

bool dmarc_is_aligned(const char *a, const char *b, bool strict)
{
	if (a == NULL || b == NULL)
		return false;
	if (strcasecmp(a, b) == 0)
		return true;
	if (strict)
		return false;
	struct pool *pool = pool_new();
	bool same =
	    strcmp(dmarc_org_domain(a, pool), dmarc_org_domain(b, pool)) == 0;
	pool_free(&pool);
	return same;
}

void dmarc_evaluate(const struct dmarc_input *in,
                    const struct dmarc_record *rec, bool is_org_record,
                    unsigned sample, struct dmarc_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->spf_aligned =
	    in->spf_pass &&
	    dmarc_is_aligned(in->spf_domain, in->from_domain, rec->aspf_strict);
	for (size_t i = 0; i < in->dkim_pass_count && !out->dkim_aligned; i++)
		out->dkim_aligned =
		    dmarc_is_aligned(in->dkim_pass_domains[i], in->from_domain,
		                     rec->adkim_strict);
	/* §6.3 sp=: for subdomains of the organisational domain whose
	 * record was found there */
	out->policy = is_org_record ? rec->sp : rec->p;
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = DMARC_RESULT_PASS;
		out->action = DMARC_POLICY_NONE;
		return;
	}
	out->result = DMARC_RESULT_FAIL;
	out->action = out->policy;
	/* §6.6.4: outside pct, one step lower */
	if (sample >= rec->pct && out->action != DMARC_POLICY_NONE)
		out->action = (enum dmarc_policy)(out->action - 1);
}

int dmarc_from_domain(const char *header, size_t size, struct pool *pool,
                      const char **domain_r)
{
	struct mailauth_field *fields;
	size_t count = mailauth_header_split(header, size, pool, &fields);
	const struct mailauth_field *from = NULL;
	for (size_t i = 0; i < count; i++) {
		if (!mailauth_field_is(&fields[i], "From"))
			continue;
		if (from != NULL)
			return 0; /* two From fields */
		from = &fields[i];
	}
	/* RFC 5322 has no NUL; XXX: lib/mime's address parser also loops on
	 * one (mime_address.c member_read), so it never gets one from here */
	if (from == NULL || memchr(from->value, '\0', from->value_len) != NULL)
		return 0;
	struct mime_address *list;
	if (mime_address_parse((const unsigned char *)from->value,
	                       from->value_len, pool, &list) <= 0)
		return 0;
	const char *domain = NULL;
	for (struct mime_address *a = list; a != NULL; a = a->next) {
		if (a->is_group_start || a->is_group_end)
			continue;
		if (domain != NULL || a->host == NULL ||
		    strcmp(a->host, "MISSING_DOMAIN") == 0)
			return 0;
		domain = a->host;
	}
	if (domain == NULL || domain[0] == '\0')
		return 0;
	char *lower = pool_strdup(pool, domain);
	for (char *p = lower; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	*domain_r = lower;
	return 1;
}
