/* Writing the reports of a set (report.h): the DMARC aggregate report as
 * the XML of RFC 7489 Appendix C, the TLS report as the JSON of RFC 8460
 * §4.4, and the mail that carries either (RFC 7489 §7.2.1.1, RFC 8460
 * §5.3). Everything from the records is escaped for its syntax. */
#include "mailauth/report_private.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <stdlib.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* XML 1.0 §2.4 character data; control characters dropped. */
static void xml_text(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		if (*p == '&')
			buf_append_str(out, "&amp;");
		else if (*p == '<')
			buf_append_str(out, "&lt;");
		else if (*p == '>')
			buf_append_str(out, "&gt;");
		else if (*p >= 0x20 && *p != 0x7f)
			buf_append_char(out, (char)*p);
	}
}

static void xml_elem(struct buf *out, const char *indent, const char *name,
                     const char *value)
{
	buf_printf(out, "%s<%s>", indent, name);
	xml_text(out, value);
	buf_printf(out, "</%s>\n", name);
}

/* RFC 8259 §7 string, with its quotes. */
static void json_string(struct buf *out, const char *s)
{
	buf_append_char(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(out, "\\u%04x", *p);
		else
			buf_append_char(out, (char)*p);
	}
	buf_append_char(out, '"');
}

static void dmarc_row(struct buf *out, const struct report_row *row)
{
	/* fields: ip, from, mfrom, spf, da, sa, disp, override */
	const char *const *f = row->fields;
	buf_append_str(out, "  <record>\n    <row>\n");
	xml_elem(out, "      ", "source_ip", f[0]);
	buf_printf(out, "      <count>%zu</count>\n", row->count);
	buf_append_str(out, "      <policy_evaluated>\n");
	xml_elem(out, "        ", "disposition", f[6]);
	xml_elem(out, "        ", "dkim", f[4]);
	xml_elem(out, "        ", "spf", f[5]);
	if (f[7][0] != '\0') {
		/* RFC 7489 §7.2 PolicyOverrideType: ARC vouched for it */
		buf_append_str(out, "        <reason>\n");
		xml_elem(out, "          ", "type", "trusted_forwarder");
		buf_append_str(out, "          <comment>arc=pass sealer ");
		xml_text(out, f[7]);
		buf_append_str(out, "</comment>\n        </reason>\n");
	}
	buf_append_str(out, "      </policy_evaluated>\n    </row>\n");
	buf_append_str(out, "    <identifiers>\n");
	xml_elem(out, "      ", "header_from", f[1]);
	if (f[2][0] != '\0')
		xml_elem(out, "      ", "envelope_from", f[2]);
	buf_append_str(out, "    </identifiers>\n    <auth_results>\n");
	for (size_t i = 0; i < row->dkim_count; i++) {
		/* "result domain selector" */
		char result[32], domain[256], selector[256];
		if (sscanf(row->dkim[i], "%31s %255s %255s", result, domain,
		           selector) != 3)
			continue;
		buf_append_str(out, "      <dkim>\n");
		xml_elem(out, "        ", "domain", domain);
		xml_elem(out, "        ", "selector", selector);
		xml_elem(out, "        ", "result", result);
		buf_append_str(out, "      </dkim>\n");
	}
	buf_append_str(out, "      <spf>\n");
	xml_elem(out, "        ", "domain", f[2]);
	xml_elem(out, "        ", "scope", "mfrom");
	xml_elem(out, "        ", "result", f[3]);
	buf_append_str(out, "      </spf>\n    </auth_results>\n"
	                    "  </record>\n");
}

static void dmarc_write(const struct report_group *g,
                        const struct report_meta *meta, struct buf *out)
{
	static const char *const policy[] = {"adkim", "aspf", "p", "sp", "pct"};
	buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                    "<feedback>\n  <version>1.0</version>\n"
	                    "  <report_metadata>\n");
	xml_elem(out, "    ", "org_name", meta->org_name);
	xml_elem(out, "    ", "email", meta->email);
	xml_elem(out, "    ", "report_id", meta->report_id);
	buf_printf(out,
	           "    <date_range>\n      <begin>%" PRId64 "</begin>\n"
	           "      <end>%" PRId64 "</end>\n    </date_range>\n"
	           "  </report_metadata>\n  <policy_published>\n",
	           (int64_t)meta->begin, (int64_t)meta->end);
	xml_elem(out, "    ", "domain", g->domain);
	for (size_t i = 0; i < REPORT_POLICY_FIELDS; i++)
		xml_elem(out, "    ", policy[i],
		         g->policy[i] != NULL ? g->policy[i] : "");
	buf_append_str(out, "  </policy_published>\n");
	for (size_t i = 0; i < g->row_count; i++)
		dmarc_row(out, &g->rows[i]);
	buf_append_str(out, "</feedback>\n");
}

static void rfc3339(struct buf *out, time_t t)
{
	struct tm tm;
	char str[32];
	gmtime_r(&t, &tm);
	strftime(str, sizeof(str), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_string(out, str);
}

/* "policy-string": the policy's lines; "mx-host": its mx: patterns. */
static void tls_policy(struct buf *out, const struct report_group *g,
                       const struct report_row *row)
{
	buf_append_str(out, "{\"policy\": {\"policy-type\": ");
	json_string(out, row->fields[0]);
	buf_append_str(out, ", \"policy-string\": [");
	struct buf mx;
	buf_init(&mx);
	const char *p = row->fields[1];
	size_t lines = 0;
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		buf_append_str(out, lines++ > 0 ? ", " : "");
		json_string(out, line);
		if (strncmp(line, "mx:", 3) == 0) {
			buf_append_str(&mx, mx.len > 0 ? ", " : "");
			json_string(&mx, line + 3 + strspn(line + 3, " \t"));
		}
		p += len + (p[len] == '\n');
	}
	buf_append_str(out, "], \"policy-domain\": ");
	json_string(out, g->domain);
	if (mx.len > 0)
		buf_printf(out, ", \"mx-host\": [%s]", mx.data);
	buf_deinit(&mx);
	buf_printf(out,
	           "},\n   \"summary\": {\"total-successful-session-count\": "
	           "%zu, \"total-failure-session-count\": %zu}",
	           row->successes, row->failures);
	size_t n = 0;
	for (size_t i = 0; i < g->row_count; i++) {
		const struct report_row *f = &g->rows[i];
		if (f->kind != REPORT_ROW_FAILURE ||
		    strcmp(f->fields[0], row->fields[0]) != 0 ||
		    strcmp(f->fields[1], row->fields[1]) != 0)
			continue;
		buf_append_str(out, n++ == 0 ? ",\n   \"failure-details\": [\n"
		                             : ",\n");
		buf_append_str(out, "    {\"result-type\": ");
		json_string(out, f->fields[2]);
		if (f->fields[3][0] != '\0') {
			buf_append_str(out, ", \"receiving-mx-hostname\": ");
			json_string(out, f->fields[3]);
		}
		if (f->fields[4][0] != '\0') {
			buf_append_str(out, ", \"receiving-ip\": ");
			json_string(out, f->fields[4]);
		}
		buf_printf(out, ", \"failed-session-count\": %zu}", f->count);
	}
	buf_append_str(out, n > 0 ? "]}" : "}");
}

static void tls_write(const struct report_group *g,
                      const struct report_meta *meta, struct buf *out)
{
	buf_append_str(out, "{\"organization-name\": ");
	json_string(out, meta->org_name);
	buf_append_str(out, ",\n \"date-range\": {\"start-datetime\": ");
	rfc3339(out, meta->begin);
	buf_append_str(out, ", \"end-datetime\": ");
	rfc3339(out, meta->end);
	buf_append_str(out, "},\n \"contact-info\": ");
	json_string(out, meta->email);
	buf_append_str(out, ",\n \"report-id\": ");
	json_string(out, meta->report_id);
	buf_append_str(out, ",\n \"policies\": [");
	size_t n = 0;
	for (size_t i = 0; i < g->row_count; i++) {
		if (g->rows[i].kind != REPORT_ROW_POLICY)
			continue;
		buf_append_str(out, n++ > 0 ? ",\n  " : "\n  ");
		tls_policy(out, g, &g->rows[i]);
	}
	buf_append_str(out, "]}\n");
}

void report_set_write(const struct report_set *set, size_t i,
                      const struct report_meta *meta, struct buf *out)
{
	const struct report_group *g = &set->reports[i];
	if (g->is_tls)
		tls_write(g, meta, out);
	else
		dmarc_write(g, meta, out);
}

/* ---- The mail ----------------------------------------------------------- */

/* A domain or id as it may appear in a header field or a file name:
 * letters, digits, ".", "-" and "_"; anything else becomes "_" (heap). */
static char *safe_name(const char *s)
{
	char *out = xstrdup(s);
	for (char *p = out; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr(".-_", *p) == NULL)
			*p = '_';
	}
	return out;
}

void report_mail(const struct report_info *info, const struct report_meta *meta,
                 const char *from, const char *to, const char *message_id,
                 time_t now, const void *gz, size_t gz_len, struct buf *out)
{
	char date[64];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	/* RFC 7489 §7.2.1.1: receiver "!" policy domain "!" begin "!" end
	 * "!" unique-id; RFC 8460 §5.3 names it alike */
	char *org = safe_name(meta->org_name),
	     *domain = safe_name(info->domain);
	char *id = safe_name(meta->report_id);
	char *file = xasprintf("%s!%s!%" PRId64 "!%" PRId64 "!%s.%s", org,
	                       domain, (int64_t)meta->begin, (int64_t)meta->end,
	                       id, info->is_tls ? "json.gz" : "xml.gz");
	const char *boundary = "=_report_boundary";
	buf_printf(out, "From: %s\r\nTo: %s\r\nDate: %s\r\n", from, to, date);
	buf_printf(out, "Message-ID: <%s>\r\n", message_id);
	buf_printf(
	    out, "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\r\n",
	    domain, org, id);
	if (info->is_tls)
		buf_printf(out,
		           "TLS-Report-Domain: %s\r\nTLS-Report-Submitter: "
		           "%s\r\n",
		           domain, org);
	buf_printf(out, "MIME-Version: 1.0\r\n");
	if (info->is_tls)
		buf_printf(out,
		           "Content-Type: multipart/report; "
		           "report-type=\"tlsrpt\";\r\n\tboundary=\"%s\"\r\n",
		           boundary);
	else
		buf_printf(out,
		           "Content-Type: multipart/mixed;\r\n"
		           "\tboundary=\"%s\"\r\n",
		           boundary);
	buf_printf(out,
	           "\r\n--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	           "\r\nThis is %s report for %s from %s, covering %zu %s.\r\n"
	           "\r\n--%s\r\n",
	           boundary,
	           info->is_tls ? "an SMTP TLS (RFC 8460)"
	                        : "a DMARC aggregate (RFC 7489)",
	           domain, org, info->events,
	           info->is_tls ? "TLS sessions" : "messages", boundary);
	buf_printf(out,
	           "Content-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
	           "Content-Disposition: attachment;\r\n\tfilename=\"%s\"\r\n"
	           "\r\n",
	           info->is_tls ? "application/tlsrpt+gzip"
	                        : "application/gzip",
	           file);
	struct buf b64;
	buf_init(&b64);
	base64_encode(gz, gz_len, &b64);
	for (size_t i = 0; i < b64.len; i += 76) {
		size_t len = b64.len - i < 76 ? b64.len - i : 76;
		buf_append(out, b64.data + i, len);
		buf_append_str(out, "\r\n");
	}
	buf_deinit(&b64);
	buf_printf(out, "\r\n--%s--\r\n", boundary);
	free(file);
	free(org);
	free(domain);
	free(id);
}
