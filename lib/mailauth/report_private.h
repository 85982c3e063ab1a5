/* What report.c (records, grouping) and report_write.c (XML, JSON, the
 * mail) share inside lib/mailauth. */
#ifndef MAILAUTH_REPORT_PRIVATE_H
#define MAILAUTH_REPORT_PRIVATE_H

#include "mailauth/report.h"

#define REPORT_POLICY_FIELDS 5 /* adkim, aspf, p, sp, pct */
#define REPORT_ROW_FIELDS                                                      \
	8 /* ip, from, mfrom, spf, da, sa, disp,                               \
	     override (DMARC); type, policy, result,                           \
	     mx, ip (TLS) */

enum report_row_kind {
	REPORT_ROW_DMARC,   /* one row of an aggregate report */
	REPORT_ROW_POLICY,  /* TLS: a policy with its session counts */
	REPORT_ROW_FAILURE, /* TLS: failed sessions of one kind and host */
};

struct report_row {
	const char *key; /* every field that tells rows apart */
	enum report_row_kind kind;
	size_t count; /* DMARC messages, TLS failed sessions */
	const char *fields[REPORT_ROW_FIELDS];
	const char *dkim[REPORT_DKIM_MAX]; /* "result domain selector" */
	size_t dkim_count;
	size_t successes, failures; /* TLS policy rows */
};

struct report_group {
	bool is_tls;
	const char *domain, *rua;
	size_t events;
	time_t first, last;
	const char *policy[REPORT_POLICY_FIELDS]; /* DMARC: as last seen */
	struct report_row *rows;
	size_t row_count, row_alloc;
};

struct report_set {
	struct pool *pool;
	struct report_group *reports;
	size_t count, alloc;
};

#endif
