/* Tests for the report writers (report.h): DMARC records grouped into rows
 * with counts and written as RFC 7489 Appendix C XML; TLS records grouped
 * per policy with their summary and failure details as RFC 8460 §4.4
 * JSON; the rua= addresses; and the mail around a report. */
#include "mailauth/report.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static void dmarc_line(struct buf *out, const char *ip, const char *disp,
                       const char *override, time_t when)
{
	struct dmarc_record rec = {.p = DMARC_POLICY_REJECT,
	                           .sp = DMARC_POLICY_QUARANTINE,
	                           .adkim_strict = true,
	                           .pct = 100,
	                           .rua = "mailto:dmarc@origin.test"};
	struct dkim_result d1 = {.status = DKIM_STATUS_PASS,
	                         .domain = "other.test",
	                         .selector = "s1"};
	struct dkim_result d2 = {.status = DKIM_STATUS_FAIL,
	                         .domain = "origin.test",
	                         .selector = "s<2>"};
	const struct dkim_result *dkim[] = {&d1, &d2};
	struct dmarc_outcome outcome = {.result = DMARC_RESULT_FAIL};
	struct report_dmarc_event e = {
	    .when = when,
	    .domain = "origin.test",
	    .record = &rec,
	    .source_ip = ip,
	    .header_from = "origin.test",
	    .envelope_from = "other.test",
	    .spf = SPF_RESULT_FAIL,
	    .dkim = dkim,
	    .dkim_count = 2,
	    .outcome = &outcome,
	    .disposition = disp,
	    .override = override,
	};
	report_dmarc_record(&e, out);
}

static void set_add_lines(struct report_set *set, const struct buf *lines)
{
	const char *p = lines->data;
	while (*p != '\0') {
		const char *lf = strchr(p, '\n');
		test_assert(report_set_add(set, p, (size_t)(lf - p)) == 0);
		p = lf + 1;
	}
}

static void test_report_dmarc(void)
{
	struct buf lines, xml;
	buf_init(&lines);
	buf_init(&xml);
	test_begin("report dmarc aggregate");
	dmarc_line(&lines, "192.0.2.1", "reject", NULL, 1700000000);
	dmarc_line(&lines, "192.0.2.1", "reject", NULL, 1700000100);
	dmarc_line(&lines, "192.0.2.9", "none", "forwarder.test", 1700000200);
	test_assert(strncmp(lines.data,
	                    "dmarc t=1700000000 domain=origin.test ", 38) == 0);
	/* a record without rua= writes nothing */
	struct dmarc_record bare = {.p = DMARC_POLICY_NONE};
	struct dmarc_outcome outcome = {0};
	struct report_dmarc_event e = {.record = &bare, .outcome = &outcome};
	size_t before = lines.len;
	report_dmarc_record(&e, &lines);
	test_assert(lines.len == before);
	struct report_set *set = report_set_new();
	set_add_lines(set, &lines);
	test_assert(report_set_add(set, "dmarc nodomain=x", 16) < 0);
	test_assert(report_set_add(set, "bogus line", 10) < 0);
	test_assert_int(report_set_count(set), 1);
	struct report_info info;
	report_set_info(set, 0, &info);
	test_assert(!info.is_tls);
	test_assert_str(info.domain, "origin.test");
	test_assert_str(info.rua, "mailto:dmarc@origin.test");
	test_assert_int(info.events, 3);
	test_assert_int(info.first, 1700000000);
	test_assert_int(info.last, 1700000200);
	struct report_meta meta = {"mx.local.test", "postmaster@local.test",
	                           "r1", 1699999200, 1700085599};
	report_set_write(set, 0, &meta, &xml);
	test_assert(strstr(xml.data, "<begin>1699999200</begin>") != NULL);
	test_assert(strstr(xml.data, "<domain>origin.test</domain>\n"
	                             "    <adkim>s</adkim>\n"
	                             "    <aspf>r</aspf>\n    <p>reject</p>\n"
	                             "    <sp>quarantine</sp>\n"
	                             "    <pct>100</pct>") != NULL);
	test_assert(strstr(xml.data, "<source_ip>192.0.2.1</source_ip>\n"
	                             "      <count>2</count>") != NULL);
	test_assert(strstr(xml.data, "<source_ip>192.0.2.9</source_ip>\n"
	                             "      <count>1</count>") != NULL);
	test_assert(strstr(xml.data, "<type>trusted_forwarder</type>") != NULL);
	test_assert(strstr(xml.data, "<selector>s&lt;2&gt;</selector>") !=
	            NULL);
	test_assert(strstr(xml.data, "<scope>mfrom</scope>\n"
	                             "        <result>fail</result>") != NULL);
	report_set_free(&set);
	buf_deinit(&lines);
	buf_deinit(&xml);
	test_end();
}

static void tls_line(struct buf *out, const char *result, const char *mx)
{
	struct report_tls_event e = {
	    .when = 1700000000,
	    .domain = "peer.test",
	    .policy_type = "sts",
	    .policy = "version: STSv1\nmode: enforce\nmx: mx.peer.test\n"
	              "max_age: 86400",
	    .mx_host = mx,
	    .ip = "192.0.2.25",
	    .result = result,
	    .rua = "mailto:tlsrpt@peer.test",
	};
	report_tls_record(&e, out);
}

static void test_report_tls(void)
{
	struct buf lines, json;
	buf_init(&lines);
	buf_init(&json);
	test_begin("report tls-rpt");
	tls_line(&lines, "success", "mx.peer.test");
	tls_line(&lines, "success", "mx.peer.test");
	tls_line(&lines, "starttls-not-supported", "mx.peer.test");
	tls_line(&lines, "starttls-not-supported", "mx.peer.test");
	tls_line(&lines, "certificate-host-mismatch", "mx2.peer.test");
	struct report_set *set = report_set_new();
	set_add_lines(set, &lines);
	test_assert_int(report_set_count(set), 1);
	struct report_info info;
	report_set_info(set, 0, &info);
	test_assert(info.is_tls);
	test_assert_int(info.events, 5);
	struct report_meta meta = {"mx.local.test", "postmaster@local.test",
	                           "r2", 1699920000, 1700006399};
	report_set_write(set, 0, &meta, &json);
	test_assert(strstr(json.data, "\"start-datetime\": "
	                              "\"2023-11-14T00:00:00Z\"") != NULL);
	test_assert(strstr(json.data,
	                   "\"policy-string\": [\"version: STSv1\", "
	                   "\"mode: enforce\", \"mx: mx.peer.test\", "
	                   "\"max_age: 86400\"], \"policy-domain\": "
	                   "\"peer.test\", \"mx-host\": [\"mx.peer.test\"]") !=
	            NULL);
	test_assert(strstr(json.data,
	                   "\"total-successful-session-count\": 2, "
	                   "\"total-failure-session-count\": 3") != NULL);
	test_assert(strstr(json.data,
	                   "{\"result-type\": \"starttls-not-supported\", "
	                   "\"receiving-mx-hostname\": \"mx.peer.test\", "
	                   "\"receiving-ip\": \"192.0.2.25\", "
	                   "\"failed-session-count\": 2}") != NULL);
	test_assert(strstr(json.data, "\"certificate-host-mismatch\"") != NULL);
	/* the mail around it */
	struct buf mail;
	buf_init(&mail);
	report_mail(&info, &meta, "postmaster@local.test", "tlsrpt@peer.test",
	            "r2@mx.local.test", 1700010000, "\x1f\x8b\x08", 3, &mail);
	test_assert(strstr(mail.data, "Subject: Report Domain: peer.test "
	                              "Submitter: mx.local.test Report-ID: "
	                              "<r2>\r\n") != NULL);
	test_assert(strstr(mail.data, "TLS-Report-Domain: peer.test\r\n") !=
	            NULL);
	test_assert(strstr(mail.data, "report-type=\"tlsrpt\"") != NULL);
	test_assert(
	    strstr(mail.data, "Content-Type: application/tlsrpt+gzip") != NULL);
	test_assert(strstr(mail.data,
	                   "filename=\"mx.local.test!peer.test!"
	                   "1699920000!1700006399!r2.json.gz\"") != NULL);
	test_assert(strstr(mail.data, "\r\nH4sI\r\n") != NULL);
	buf_deinit(&mail);
	report_set_free(&set);
	buf_deinit(&lines);
	buf_deinit(&json);
	test_end();
}

static void test_report_rua(void)
{
	test_begin("report rua addresses");
	struct pool *pool = pool_new();
	const char *addrs[4];
	size_t n = report_rua_addresses(
	    "mailto:a@x.test!10m, https://r.test/x,mailto:b@y.test ,"
	    "mailto:bad, mailto:c d@z.test",
	    pool, addrs, 4);
	test_assert_int(n, 2);
	test_assert_str(addrs[0], "a@x.test");
	test_assert_str(addrs[1], "b@y.test");
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_report_dmarc, test_report_tls, test_report_rua, NULL};
	return test_run(tests);
}
