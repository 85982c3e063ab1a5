/* DMARC (RFC 7489): the policy record (§6.3, §6.4), the organisational
 * domain from the Public Suffix List (§3.2, libpsl), identifier alignment
 * (§3.1) and the evaluation of §6.6: pass when an SPF or a DKIM pass is
 * aligned with the From domain, else fail with the domain's policy (sp=
 * for subdomains when the record came from the organisational domain,
 * pct= sampling). Policy discovery (_dmarc.<From domain>, then
 * _dmarc.<organisational domain>) is DNS, done by the caller. */
#ifndef MAILAUTH_DMARC_H
#define MAILAUTH_DMARC_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

enum dmarc_policy {
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

/* "none", "quarantine", "reject" */
const char *dmarc_policy_name(enum dmarc_policy policy);

struct dmarc_record {
	enum dmarc_policy p, sp; /* sp is p when absent */
	bool adkim_strict, aspf_strict;
	unsigned pct;          /* 0..100 */
	const char *rua, *ruf; /* as written, or NULL (for later reports) */
};

/* dmarc-record = dmarc-version dmarc-sep [dmarc-request] ...
 * Is txt[0..len) a DMARC record ("v=DMARC1" first, §6.3)? */
bool dmarc_record_is_dmarc(const char *txt, size_t len);
/* Parses a DMARC record. Returns 0 with *rec_r, or -1 with a static reason
 * (not v=DMARC1 first, a bad p=, sp=, adkim=, aspf= or pct=). A record
 * without p= but with a valid rua= is read as p=none (§6.6.3). Unknown
 * tags are ignored (§6.3). */
int dmarc_record_parse(const char *txt, size_t len, struct pool *pool,
                       struct dmarc_record *rec_r, const char **error_r);

/* The organisational domain of domain (lower case, from pool): its
 * registrable domain by the Public Suffix List, or domain itself when it
 * is a public suffix. */
const char *dmarc_org_domain(const char *domain, struct pool *pool);
/* Are a and b aligned: equal (strict), or with the same organisational
 * domain (relaxed)? Case-insensitive. */
bool dmarc_is_aligned(const char *a, const char *b, bool strict);

enum dmarc_result {
	DMARC_RESULT_NONE, /* no policy published */
	DMARC_RESULT_PASS,
	DMARC_RESULT_FAIL,
	DMARC_RESULT_TEMPERROR,
	DMARC_RESULT_PERMERROR, /* no usable From */
};

/* "none", "pass", "fail", "temperror", "permerror" (RFC 8601 §2.7) */
const char *dmarc_result_name(enum dmarc_result result);

/* What the other checks found, for §6.6.2. */
struct dmarc_input {
	const char *from_domain;
	const char *spf_domain; /* the domain SPF checked (MAIL FROM/HELO) */
	bool spf_pass;
	const char *const *dkim_pass_domains; /* d= of every DKIM pass */
	size_t dkim_pass_count;
};

struct dmarc_outcome {
	enum dmarc_result result;
	enum dmarc_policy policy; /* published for this From domain */
	enum dmarc_policy action; /* to apply: policy after pct=, or none */
	bool spf_aligned, dkim_aligned;
};

/* Evaluates in against rec (found at the From domain when is_org_record is
 * false, else at its organisational domain). sample is 0..99, random per
 * message (pct=). */
void dmarc_evaluate(const struct dmarc_input *in,
                    const struct dmarc_record *rec, bool is_org_record,
                    unsigned sample, struct dmarc_outcome *out);

/* Finds the From domain of a header section: exactly one From field with
 * exactly one address that has a domain (§6.6.1). Returns 1 with the
 * domain (lower case, from pool), 0 if there is none or more than one. */
int dmarc_from_domain(const char *header, size_t size, struct pool *pool,
                      const char **domain_r);

#endif
