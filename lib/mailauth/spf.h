/* SPF (RFC 7208): the record parser (§4.5, §12 ABNF), macro expansion
 * (§7) and check_host() (§4) as a state machine that asks for one DNS
 * answer at a time, so it runs on an event loop without blocking and is
 * tested without a network. Limits: 10 mechanisms or modifiers that look
 * up DNS (§4.6.4), 2 void look-ups, 10 MX or PTR names per mechanism;
 * exceeding any is a permerror. The "exp" modifier is parsed but never
 * fetched: explanations are for rejection texts, which smtpd writes
 * itself. */
#ifndef MAILAUTH_SPF_H
#define MAILAUTH_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/dns.h"

struct pool;

/* §2.6 */
enum spf_result {
	SPF_RESULT_NONE,
	SPF_RESULT_NEUTRAL,
	SPF_RESULT_PASS,
	SPF_RESULT_FAIL,
	SPF_RESULT_SOFTFAIL,
	SPF_RESULT_TEMPERROR,
	SPF_RESULT_PERMERROR,
};

/* "none", "neutral", "pass", "fail", "softfail", "temperror",
 * "permerror" (RFC 8601 §2.7.2 spells them so) */
const char *spf_result_name(enum spf_result result);

#define SPF_LOOKUP_LIMIT 10
#define SPF_VOID_LIMIT 2
#define SPF_NAMES_LIMIT 10

enum spf_mech {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	char qualifier;          /* '+', '-', '~' or '?' */
	const char *domain_spec; /* or NULL when the mechanism has none */
	unsigned cidr4, cidr6;   /* prefix lengths (32 and 128 by default) */
	unsigned char ip[16];    /* ip4 (4 bytes) or ip6 (16 bytes) */
};

struct spf_record {
	struct spf_term *terms; /* the mechanisms, in order */
	size_t count;
	const char *redirect; /* domain-spec, or NULL */
	const char *exp;      /* domain-spec, or NULL */
};

/* Is txt[0..len) an SPF record: "v=spf1" alone or followed by a space
 * (§4.5, case-insensitive)? */
bool spf_record_is_spf(const char *txt, size_t len);
/* record = version terms *SP
 * terms  = *( 1*SP ( directive / modifier ) )
 * Parses txt[0..len). Returns 0 with *rec_r from pool, or -1 with a static
 * reason (a permerror: bad syntax, unknown mechanism, duplicate redirect or
 * exp, a macro that does not expand, a bad address or prefix). */
int spf_record_parse(const char *txt, size_t len, struct pool *pool,
                     struct spf_record *rec_r, const char **error_r);

/* What a macro may name (§7.3). */
struct spf_macro_ctx {
	const char *sender;        /* s: local-part@domain */
	const char *local;         /* l */
	const char *sender_domain; /* o */
	const char *domain;        /* d: the current domain */
	const unsigned char *ip;   /* i, c: 4 or 16 bytes */
	bool is_ipv6;
	const char *validated; /* p: a validated name, or NULL ("unknown") */
	const char *helo;      /* h */
	bool is_exp;           /* c, r, t allowed (explanations only) */
};

/* macro-string = *( macro-expand / macro-literal )
 * Expands spec (a domain-spec) with ctx. Returns 0 with the result from
 * pool in *out_r (cut to 253 characters by dropping labels on the left,
 * §7.3), or -1 with a static reason. Without ctx (NULL) it only checks
 * the syntax. */
int spf_macro_expand(const char *spec, const struct spf_macro_ctx *ctx,
                     struct pool *pool, const char **out_r,
                     const char **error_r);
/* Does spec use %{p} (which needs validated PTR names first)? */
bool spf_macro_uses_ptr(const char *spec);

/* ---- check_host() (§4) ----------------------------------------------------
 */

enum spf_query_type {
	SPF_QUERY_TXT,
	SPF_QUERY_A,
	SPF_QUERY_AAAA,
	SPF_QUERY_MX,
	SPF_QUERY_PTR, /* of the client address */
};

struct spf_query {
	enum spf_query_type type;
	const char *name; /* not for PTR; lives until the answer */
};

/* The answer to the query asked: with status OK, the records of the
 * query's type in the matching field, count of them. */
struct spf_answer {
	enum dns_status status;
	const struct dns_txt *txt;
	const struct dns_addr *addrs; /* A or AAAA */
	const struct dns_mx *mx;
	const char *const *names; /* PTR */
	size_t count;
};

struct spf_eval;

/* Starts check_host(ip, domain, sender) (§4.1): ip is the client's
 * address (AF_INET or AF_INET6), sender the MAIL FROM address or, for the
 * HELO identity, "postmaster@" helo (§2.3, §2.4); helo is for %{h}. */
struct spf_eval *spf_eval_new(const struct sockaddr *ip, const char *sender,
                              const char *helo);
void spf_eval_free(struct spf_eval **e);
/* Runs until it needs DNS or has the result. Returns 1 with the query to
 * make in *query_r (answer it with spf_eval_answer before the next step),
 * or 0 when done (spf_eval_result). */
int spf_eval_step(struct spf_eval *e, struct spf_query *query_r);
void spf_eval_answer(struct spf_eval *e, const struct spf_answer *answer);
/* Ends a check that ran out of time or DNS budget: temperror. */
void spf_eval_abort(struct spf_eval *e, const char *reason);
enum spf_result spf_eval_result(const struct spf_eval *e);
/* Why, for a log line or the Authentication-Results comment: the
 * mechanism that matched ("mechanism ip4:192.0.2.0/24 matched"), or the
 * error ("too many DNS look-ups"). */
const char *spf_eval_reason(const struct spf_eval *e);
/* The domain checked (of the sender). */
const char *spf_eval_domain(const struct spf_eval *e);
/* DNS queries made so far (for the per-message budget). */
unsigned spf_eval_queries(const struct spf_eval *e);

#endif
