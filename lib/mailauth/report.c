/* Report records and their grouping (report.h). A DMARC record line
 * carries what one message contributes to an aggregate report's row
 * (RFC 7489 Appendix C: source IP, the identifiers, the evaluated policy
 * and the raw results), with the policy published; a TLS record one
 * session's outcome for RFC 8460 §4.3. A set keeps the reports in the
 * order their first record came, and in each the rows (identical rows
 * counted once, §7.2 "count") in that order too. */
#include "mailauth/report.h"
#include "mailauth/report_private.h"
#include "core/buf.h"
#include "core/ipc.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void report_file_name(const char *kind, time_t when, char *name, size_t size)
{
	struct tm tm;
	gmtime_r(&when, &tm);
	snprintf(name, size, "%s-%04d%02d%02d.log", kind, tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday);
}

void report_dmarc_record(const struct report_dmarc_event *e, struct buf *out)
{
	const struct dmarc_record *r = e->record;
	if (r->rua == NULL || r->rua[0] == '\0')
		return;
	struct ipc_record rec;
	ipc_record_init(&rec, "dmarc");
	ipc_record_addf(&rec, "t", "%" PRId64, (int64_t)e->when);
	ipc_record_add(&rec, "domain", e->domain);
	ipc_record_add(&rec, "rua", r->rua);
	ipc_record_add(&rec, "adkim", r->adkim_strict ? "s" : "r");
	ipc_record_add(&rec, "aspf", r->aspf_strict ? "s" : "r");
	ipc_record_add(&rec, "p", dmarc_policy_name(r->p));
	ipc_record_add(&rec, "sp", dmarc_policy_name(r->sp));
	ipc_record_addf(&rec, "pct", "%u", r->pct);
	ipc_record_add(&rec, "ip", e->source_ip);
	ipc_record_add(&rec, "from", e->header_from);
	ipc_record_add(&rec, "mfrom", e->envelope_from);
	ipc_record_add(&rec, "spf", spf_result_name(e->spf));
	ipc_record_add(&rec, "da", e->outcome->dkim_aligned ? "pass" : "fail");
	ipc_record_add(&rec, "sa", e->outcome->spf_aligned ? "pass" : "fail");
	ipc_record_add(&rec, "disp", e->disposition);
	if (e->override != NULL)
		ipc_record_add(&rec, "override", e->override);
	for (size_t i = 0; i < e->dkim_count && i < REPORT_DKIM_MAX; i++) {
		const struct dkim_result *d = e->dkim[i];
		char key[16];
		if (d->domain == NULL)
			continue;
		snprintf(key, sizeof(key), "dkim%zu", i);
		ipc_record_addf(&rec, key, "%s %s %s",
		                dkim_status_name(d->status), d->domain,
		                d->selector);
	}
	ipc_record_encode(&rec, out);
	ipc_record_deinit(&rec);
}

void report_tls_record(const struct report_tls_event *e, struct buf *out)
{
	struct ipc_record rec;
	ipc_record_init(&rec, "tls");
	ipc_record_addf(&rec, "t", "%" PRId64, (int64_t)e->when);
	ipc_record_add(&rec, "domain", e->domain);
	ipc_record_add(&rec, "type", e->policy_type);
	ipc_record_add(&rec, "policy", e->policy);
	ipc_record_add(&rec, "mx", e->mx_host);
	ipc_record_add(&rec, "ip", e->ip);
	ipc_record_add(&rec, "result", e->result);
	ipc_record_add(&rec, "rua", e->rua);
	ipc_record_encode(&rec, out);
	ipc_record_deinit(&rec);
}

/* ---- Grouping --------------------------------------------------------- */

struct report_set *report_set_new(void)
{
	struct report_set *set = xcalloc(1, sizeof(*set));
	set->pool = pool_new();
	return set;
}

void report_set_free(struct report_set **setp)
{
	struct report_set *set = *setp;
	if (set == NULL)
		return;
	*setp = NULL;
	for (size_t i = 0; i < set->count; i++)
		free(set->reports[i].rows);
	free(set->reports);
	pool_free(&set->pool);
	free(set);
}

static const char *get(const struct ipc_record *rec, const char *key)
{
	const char *v = ipc_record_get(rec, key);
	return v != NULL ? v : "";
}

/* The report of (kind, domain, rua), made on first use. */
static struct report_group *group_find(struct report_set *set, bool is_tls,
                                       const char *domain, const char *rua)
{
	for (size_t i = 0; i < set->count; i++) {
		struct report_group *g = &set->reports[i];
		if (g->is_tls == is_tls && strcmp(g->domain, domain) == 0 &&
		    strcmp(g->rua, rua) == 0)
			return g;
	}
	if (set->count == set->alloc) {
		set->alloc = set->alloc == 0 ? 8 : set->alloc * 2;
		set->reports =
		    xrealloc(set->reports, set->alloc * sizeof(*set->reports));
	}
	struct report_group *g = &set->reports[set->count++];
	memset(g, 0, sizeof(*g));
	g->is_tls = is_tls;
	g->domain = pool_strdup(set->pool, domain);
	g->rua = pool_strdup(set->pool, rua);
	return g;
}

/* The row identified by key (every field of the record that tells rows
 * apart), made on first use (*is_new_r says so). */
static struct report_row *row_get(struct report_set *set,
                                  struct report_group *g,
                                  enum report_row_kind kind, const char *key,
                                  bool *is_new_r)
{
	*is_new_r = false;
	for (size_t i = 0; i < g->row_count; i++) {
		if (g->rows[i].kind == kind && strcmp(g->rows[i].key, key) == 0)
			return &g->rows[i];
	}
	if (g->row_count == g->row_alloc) {
		g->row_alloc = g->row_alloc == 0 ? 16 : g->row_alloc * 2;
		g->rows = xrealloc(g->rows, g->row_alloc * sizeof(*g->rows));
	}
	struct report_row *row = &g->rows[g->row_count++];
	memset(row, 0, sizeof(*row));
	row->kind = kind;
	row->key = pool_strdup(set->pool, key);
	*is_new_r = true;
	return row;
}

static void dmarc_add(struct report_set *set, const struct ipc_record *rec,
                      struct report_group *g)
{
	static const char *const policy[] = {"adkim", "aspf", "p", "sp", "pct"};
	static const char *const fields[] = {"ip", "from", "mfrom", "spf",
	                                     "da", "sa",   "disp",  "override"};
	/* the policy as last seen */
	for (size_t i = 0; i < REPORT_POLICY_FIELDS; i++)
		g->policy[i] = pool_strdup(set->pool, get(rec, policy[i]));
	struct buf key;
	buf_init(&key);
	for (size_t i = 0; i < REPORT_ROW_FIELDS; i++)
		buf_printf(&key, "%s\n", get(rec, fields[i]));
	for (size_t i = 0; i < REPORT_DKIM_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "dkim%zu", i);
		buf_printf(&key, "%s\n", get(rec, name));
	}
	bool is_new;
	struct report_row *row =
	    row_get(set, g, REPORT_ROW_DMARC, key.data, &is_new);
	buf_deinit(&key);
	row->count++;
	if (!is_new)
		return;
	for (size_t i = 0; i < REPORT_ROW_FIELDS; i++)
		row->fields[i] = pool_strdup(set->pool, get(rec, fields[i]));
	for (size_t i = 0; i < REPORT_DKIM_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "dkim%zu", i);
		const char *v = ipc_record_get(rec, name);
		if (v != NULL)
			row->dkim[row->dkim_count++] =
			    pool_strdup(set->pool, v);
	}
}

static void tls_add(struct report_set *set, const struct ipc_record *rec,
                    struct report_group *g)
{
	const char *result = get(rec, "result");
	bool is_success = strcmp(result, "success") == 0, is_new;
	/* one row per policy for its counts (RFC 8460 §4.4 "summary"),
	 * one per failure kind, host and address ("failure-details") */
	struct buf key;
	buf_init(&key);
	buf_printf(&key, "%s\n%s", get(rec, "type"), get(rec, "policy"));
	struct report_row *row =
	    row_get(set, g, REPORT_ROW_POLICY, key.data, &is_new);
	if (is_new) {
		row->fields[0] = pool_strdup(set->pool, get(rec, "type"));
		row->fields[1] = pool_strdup(set->pool, get(rec, "policy"));
	}
	if (is_success)
		row->successes++;
	else
		row->failures++;
	if (!is_success) {
		buf_printf(&key, "\n%s\n%s\n%s", result, get(rec, "mx"),
		           get(rec, "ip"));
		row = row_get(set, g, REPORT_ROW_FAILURE, key.data, &is_new);
		row->count++;
		if (is_new) {
			static const char *const f[] = {"type", "policy",
			                                "result", "mx", "ip"};
			for (size_t i = 0; i < 5; i++)
				row->fields[i] =
				    pool_strdup(set->pool, get(rec, f[i]));
		}
	}
	buf_deinit(&key);
}

int report_set_add(struct report_set *set, const char *line, size_t len)
{
	struct ipc_record rec;
	const char *error;
	if (ipc_record_decode(line, len, &rec, &error) < 0) {
		ipc_record_deinit(&rec);
		return -1;
	}
	bool is_tls = strcmp(rec.verb, "tls") == 0;
	const char *domain = ipc_record_get(&rec, "domain");
	const char *t = ipc_record_get(&rec, "t");
	int ret = -1;
	if ((is_tls || strcmp(rec.verb, "dmarc") == 0) && domain != NULL &&
	    domain[0] != '\0' && t != NULL) {
		struct report_group *g =
		    group_find(set, is_tls, domain, get(&rec, "rua"));
		time_t when = (time_t)strtoll(t, NULL, 10);
		if (g->events == 0 || when < g->first)
			g->first = when;
		if (when > g->last)
			g->last = when;
		g->events++;
		if (is_tls)
			tls_add(set, &rec, g);
		else
			dmarc_add(set, &rec, g);
		ret = 0;
	}
	ipc_record_deinit(&rec);
	return ret;
}

size_t report_set_count(const struct report_set *set)
{
	return set->count;
}

void report_set_info(const struct report_set *set, size_t i,
                     struct report_info *info)
{
	const struct report_group *g = &set->reports[i];
	info->is_tls = g->is_tls;
	info->domain = g->domain;
	info->rua = g->rua;
	info->events = g->events;
	info->first = g->first;
	info->last = g->last;
}

size_t report_rua_addresses(const char *rua, struct pool *pool,
                            const char **addrs, size_t max)
{
	size_t n = 0;
	for (const char *p = rua; *p != '\0' && n < max;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, ",");
		size_t end = len;
		while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		/* RFC 7489 §6.2: "mailto:addr!size" */
		if (end > 7 && strncasecmp(p, "mailto:", 7) == 0) {
			const char *bang = memchr(p + 7, '!', end - 7);
			size_t alen =
			    bang != NULL ? (size_t)(bang - p - 7) : end - 7;
			char *addr = pool_strndup(pool, p + 7, alen);
			if (strchr(addr, '@') != NULL &&
			    strpbrk(addr, " <>\r\n\"") == NULL)
				addrs[n++] = addr;
		}
		p += len;
	}
	return n;
}
