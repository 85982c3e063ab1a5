/* Aggregate reports: DMARC (RFC 7489 §7.2, the XML of Appendix C) and
 * SMTP TLS reporting (RFC 8460 §4, JSON). The servers that see the events
 * append one record line per event to a file of the day (smtpd: each
 * message whose DMARC record asks for reports with rua=; relay: each TLS
 * session with a domain that publishes MTA-STS, TLSA or TLS-RPT records);
 * qmgr's scheduler reads a period's files into a report set, which groups
 * them per domain and report address, and writes each report and the mail
 * that carries it (gzip'ed by the caller). Record lines are lib/core ipc
 * records, so any byte in a value survives. */
#ifndef MAILAUTH_REPORT_H
#define MAILAUTH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"
#include "mailauth/spf.h"

struct buf;

/* ---- Records ------------------------------------------------------------- */

#define REPORT_DKIM_MAX 8 /* DKIM results kept per message */

struct report_dmarc_event {
	time_t when;
	const char *domain; /* where the DMARC record was found */
	const struct dmarc_record *record;
	const char *source_ip;
	const char *header_from;   /* the From domain */
	const char *envelope_from; /* the domain SPF checked */
	enum spf_result spf;
	const struct dkim_result *const *dkim;
	size_t dkim_count;
	const struct dmarc_outcome *outcome;
	const char *disposition; /* applied: none, quarantine, reject */
	const char *override;    /* ARC sealer that overrode, or NULL */
};

/* Appends the record line of e (with LF) to out; nothing when the DMARC
 * record has no rua=. */
void report_dmarc_record(const struct report_dmarc_event *e, struct buf *out);

/* RFC 8460 §4.3 result types, or "success". */
struct report_tls_event {
	time_t when;
	const char *domain;      /* the policy domain (recipient domain) */
	const char *policy_type; /* "sts", "tlsa" or "no-policy-found" */
	const char *policy;      /* the policy, its lines joined by LF, or "" */
	const char *mx_host;     /* the receiving MX host, or "" */
	const char *ip;          /* its address, or "" */
	const char *result;      /* "success" or a result type */
	const char *rua;         /* the domain's TLS-RPT rua=, or "" */
};

/* Appends the record line of e (with LF) to out. */
void report_tls_record(const struct report_tls_event *e, struct buf *out);

/* The file of a day for records of kind ("dmarc" or "tls"):
 * "<kind>-YYYYMMDD.log" (UTC), into name[0..size). */
void report_file_name(const char *kind, time_t when, char *name, size_t size);

/* ---- Grouping ------------------------------------------------------------ */

struct report_set;

struct report_set *report_set_new(void);
void report_set_free(struct report_set **set);
/* Adds one record line line[0..len) (without LF) of either kind. Returns
 * 0, or -1 when it is malformed (then skipped). */
int report_set_add(struct report_set *set, const char *line, size_t len);

struct report_info {
	bool is_tls;
	const char *domain; /* the policy domain */
	const char *rua;    /* the report addresses as published */
	size_t events;      /* messages or sessions covered */
	time_t first, last; /* of the events */
};

/* The number of reports: one per (kind, domain, rua). */
size_t report_set_count(const struct report_set *set);
/* Fills info for report i (strings live with set). */
void report_set_info(const struct report_set *set, size_t i,
                     struct report_info *info);

struct report_meta {
	const char *org_name;  /* who reports: our hostname */
	const char *email;     /* contact: report_from */
	const char *report_id; /* unique per report */
	time_t begin, end;     /* the period covered */
};

/* Appends report i to out: the DMARC aggregate XML (RFC 7489 Appendix
 * C), or the TLS-RPT JSON (RFC 8460 §4.4). */
void report_set_write(const struct report_set *set, size_t i,
                      const struct report_meta *meta, struct buf *out);

/* ---- The mail -------------------------------------------------------------
 */

/* The mailto: addresses of a rua= value ("mailto:a@b.example!10m,
 * https://...": size limits dropped, other schemes skipped), at most max.
 * Returns the count, the addresses from pool. */
struct pool;
size_t report_rua_addresses(const char *rua, struct pool *pool,
                            const char **addrs, size_t max);

/* Appends the message that carries report info (gz[0..gz_len), the
 * gzip'ed report) from from to to: Subject "Report Domain: ... Submitter:
 * ... Report-ID: <...>", a text part, and the attachment as RFC 7489
 * §7.2.1.1 (application/gzip, "submitter!domain!begin!end!id.xml.gz") or
 * RFC 8460 §5.3 (multipart/report; report-type="tlsrpt",
 * application/tlsrpt+gzip, TLS-Report-Domain and TLS-Report-Submitter
 * fields) names them. now is its Date, message_id its Message-ID. */
void report_mail(const struct report_info *info, const struct report_meta *meta,
                 const char *from, const char *to, const char *message_id,
                 time_t now, const void *gz, size_t gz_len, struct buf *out);

#endif
