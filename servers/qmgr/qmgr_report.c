/* Mail that qmgr writes itself, signed, and the scheduled reports. A DSN
 * or a report gets a DKIM-Signature per key of its From domain (or of a
 * parent up to the organisational domain, which aligns for DMARC). Once
 * per [mailauth] report_interval (at the next multiple of it since the
 * epoch: midnight UTC for a day) and on "report" (postroomctl report
 * send-now), the record files that smtpd (DMARC) and relay (TLS) append to
 * in data_dir/reports are renamed aside, read after a short pause (a
 * writer that opened a file just before the rename finishes its one
 * write), grouped per domain and address, and each report goes out as a
 * gzip'ed attachment through the queue: DMARC aggregate reports to the
 * domain's rua= (RFC 7489 §7.2; an address outside the domain's
 * organisational domain only when <domain>._report._dmarc.<its domain>
 * says so, §7.1), TLS reports to the TLS-RPT rua= (RFC 8460 §5.3). */
#include "qmgr/qmgr.h"
#include "core/buf.h"
#include "core/dns.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "http/http_gzip.h"
#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"
#include "mailauth/mailauth_keys.h"
#include "mailauth/report.h"
#include "queue/queue.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define QMGR_SIGN_KEYS_MAX 4
#define QMGR_REPORT_SETTLE_SECS 2 /* between the rename and the read */
#define QMGR_REPORT_DNS_MSECS 10000
#define QMGR_REPORT_RCPTS_MAX 8
#define QMGR_REPORT_FILE_MAX (256 * 1024 * 1024)

static void key_error_cb(const char *path, const char *error, void *ctx)
{
	(void)ctx;
	log_error(NULL, "dkim-key-failed path=%s error=%s", path, error);
}

const char *qmgr_sign(struct qmgr *q, const char *domain, const char *msg,
                      size_t size, struct buf *out)
{
	static char signer_buf[256];
	struct dkim_sign_key *keys[QMGR_SIGN_KEYS_MAX];
	struct pool *pool = pool_new();
	const char *signer, *error;
	size_t n =
	    mailauth_keys_for(q->data_dir, domain, pool, keys,
	                      QMGR_SIGN_KEYS_MAX, &signer, key_error_cb, NULL);
	const char *ret = NULL;
	if (n > 0 && dkim_sign_message(keys, n, time(NULL), q->dkim_lifetime,
	                               msg, size, out, &error) < 0) {
		log_error(NULL, "dkim-sign-failed domain=%s error=%s", signer,
		          error);
	} else if (n > 0) {
		snprintf(signer_buf, sizeof(signer_buf), "%s", signer);
		ret = signer_buf;
	}
	mailauth_keys_free(keys, n);
	pool_free(&pool);
	return ret;
}

int qmgr_queue_mail(struct qmgr *q, const char *sender, const char *rcpt,
                    const char *sign_domain, const char *msg, size_t size)
{
	struct queue_envelope env = {.arrival = time(NULL),
	                             .sender = sender,
	                             .body = "7BIT",
	                             .client_addr = "127.0.0.1",
	                             .helo = q->hostname,
	                             .rcpt_count = 1};
	struct queue_recipient r;
	struct queue_writer *w;
	const char *error;
	qmgr_rcpt_fill(q, rcpt, &r);
	env.rcpts = &r;
	if (queue_writer_begin(q->queue_dir, &env, &w, &error) < 0) {
		log_error(NULL, "queue-failed error=%s", error);
		return -1;
	}
	struct buf sig;
	buf_init(&sig);
	(void)qmgr_sign(q, sign_domain, msg, size, &sig);
	int ret = queue_writer_write(w, sig.data, sig.len);
	if (ret == 0)
		ret = queue_writer_write(w, msg, size);
	buf_deinit(&sig);
	if (ret < 0 || queue_writer_commit(&w, &error) < 0) {
		queue_writer_abort(&w);
		log_error(NULL, "queue-failed to=<%s> error=cannot write",
		          log_sanitize(rcpt, 200));
		return -1;
	}
	log_info(NULL, "queued-own id=%s from=<%s> to=<%s> size=%zu", env.id,
	         log_sanitize(sender, 200), log_sanitize(rcpt, 200), size);
	queue_notify(q->queue_dir);
	return 0;
}

/* ---- RFC 7489 §7.1: report addresses outside the domain ------------------ */

struct ext_check {
	struct ext_run *run;
	char *name; /* <domain>._report._dmarc.<rua domain> */
	bool is_ok;
};

struct ext_run {
	struct event_loop *loop;
	size_t pending;
};

static void ext_txt_cb(enum dns_status status, const struct dns_txt *txt,
                       size_t count, const char *error, void *ctx)
{
	struct ext_check *c = ctx;
	(void)error;
	for (size_t i = 0; status == DNS_STATUS_OK && i < count; i++)
		c->is_ok |= dmarc_record_is_dmarc(txt[i].text, txt[i].len);
	if (--c->run->pending == 0)
		event_loop_stop(c->run->loop);
}

static void ext_timeout_cb(void *ctx)
{
	struct ext_run *run = ctx;
	event_loop_stop(run->loop);
}

/* Looks up every check on a loop of its own, for at most
 * QMGR_REPORT_DNS_MSECS: this blocks qmgr, once per report run and only
 * when some domain sends its reports elsewhere. */
static void ext_verify(struct qmgr *q, struct ext_check *checks, size_t n)
{
	struct ext_run run = {.loop = event_loop_new(), .pending = n};
	struct dns *dns;
	const char *error;
	if (dns_new(run.loop, q->dns_server, &dns, &error) < 0) {
		log_error(NULL, "report-dns-failed error=%s", error);
		event_loop_free(&run.loop);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		checks[i].run = &run;
		(void)dns_txt_lookup(dns, checks[i].name, ext_txt_cb,
		                     &checks[i]);
	}
	struct event_timer *timer =
	    event_timer_new(run.loop, ext_timeout_cb, &run);
	event_timer_set(timer, QMGR_REPORT_DNS_MSECS);
	if (n > 0)
		(void)event_loop_run(run.loop);
	dns_free(&dns);
	event_timer_free(&timer);
	event_loop_free(&run.loop);
}

/* ---- Sending one report ------------------------------------------------ */

struct report_out {
	size_t index;
	const char *addrs[QMGR_REPORT_RCPTS_MAX];
	size_t addr_count;
	struct ext_check *ext[QMGR_REPORT_RCPTS_MAX];
};

static void report_send(struct qmgr *q, const struct report_set *set,
                        const struct report_out *r, time_t now, size_t seq)
{
	struct report_info info;
	report_set_info(set, r->index, &info);
	char *id =
	    xasprintf("%" PRId64 ".%zu.%d", (int64_t)now, seq, (int)getpid());
	const char *at = strrchr(q->report_from, '@');
	struct report_meta meta = {
	    .org_name = q->hostname,
	    .email = q->report_from,
	    .report_id = id,
	    .begin = info.first,
	    .end = now,
	};
	struct buf text, gz;
	buf_init(&text);
	buf_init(&gz);
	report_set_write(set, r->index, &meta, &text);
	struct http_gzip *z = http_gzip_new();
	http_gzip_write(z, text.data, text.len, &gz);
	http_gzip_finish(z, &gz);
	http_gzip_free(&z);
	for (size_t i = 0; i < r->addr_count; i++) {
		if (r->ext[i] != NULL && !r->ext[i]->is_ok) {
			log_warn(NULL,
			         "report-skipped kind=dmarc domain=%s to=<%s> "
			         "reason=not authorised by %s (RFC 7489 7.1)",
			         info.domain, log_sanitize(r->addrs[i], 200),
			         r->ext[i]->name);
			continue;
		}
		struct buf mail;
		buf_init(&mail);
		char *msgid = xasprintf("%s.%zu@%s", id, i, q->hostname);
		report_mail(&info, &meta, q->report_from, r->addrs[i], msgid,
		            now, gz.data, gz.len, &mail);
		if (qmgr_queue_mail(q, q->report_from, r->addrs[i],
		                    at != NULL ? at + 1 : q->hostname,
		                    mail.data, mail.len) == 0)
			log_info(NULL,
			         "report-sent kind=%s domain=%s to=<%s> "
			         "events=%zu id=%s",
			         info.is_tls ? "tls" : "dmarc", info.domain,
			         log_sanitize(r->addrs[i], 200), info.events,
			         id);
		free(msgid);
		buf_deinit(&mail);
	}
	buf_deinit(&text);
	buf_deinit(&gz);
	free(id);
}

/* The addresses of every report, and the §7.1 checks they need. */
static void reports_send(struct qmgr *q, const struct report_set *set,
                         struct pool *pool)
{
	size_t n = report_set_count(set);
	struct report_out *outs = pool_alloc(pool, (n + 1) * sizeof(*outs));
	struct ext_check *checks =
	    pool_alloc(pool, (n * QMGR_REPORT_RCPTS_MAX + 1) * sizeof(*checks));
	size_t check_count = 0;
	time_t now = time(NULL);
	memset(outs, 0, (n + 1) * sizeof(*outs));
	for (size_t i = 0; i < n; i++) {
		struct report_info info;
		report_set_info(set, i, &info);
		outs[i].index = i;
		outs[i].addr_count = report_rua_addresses(
		    info.rua, pool, outs[i].addrs, QMGR_REPORT_RCPTS_MAX);
		for (size_t k = 0; !info.is_tls && k < outs[i].addr_count;
		     k++) {
			const char *domain = strrchr(outs[i].addrs[k], '@') + 1;
			if (strcasecmp(dmarc_org_domain(domain, pool),
			               dmarc_org_domain(info.domain, pool)) ==
			    0)
				continue;
			struct ext_check *c = &checks[check_count++];
			memset(c, 0, sizeof(*c));
			c->name = pool_printf(pool, "%s._report._dmarc.%s",
			                      info.domain, domain);
			outs[i].ext[k] = c;
		}
	}
	ext_verify(q, checks, check_count);
	for (size_t i = 0; i < n; i++)
		report_send(q, set, &outs[i], now, i);
}

/* ---- The schedule ------------------------------------------------------ */

static bool name_ends(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);
	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* Reads the record lines of path into set. */
static void report_file_read(const char *path, struct report_set *set)
{
	struct buf b;
	buf_init(&b);
	if (file_read_all(path, &b, QMGR_REPORT_FILE_MAX) < 0) {
		log_error(NULL, "report-read-failed path=%s error=%s", path,
		          strerror(errno));
		buf_deinit(&b);
		return;
	}
	size_t bad = 0;
	for (char *p = b.data, *end = b.data + b.len; p < end;) {
		char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t len = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);
		if (len > 0 && report_set_add(set, p, len) < 0)
			bad++;
		p += len + 1;
	}
	if (bad > 0)
		log_warn(NULL, "report-records-skipped path=%s count=%zu", path,
		         bad);
	buf_deinit(&b);
}

/* QMGR_REPORT_SETTLE_SECS after the rename: reads every renamed file,
 * sends the reports, removes the files. */
static void report_work_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	(void)fd;
	(void)what;
	char *dir = xasprintf("%s/reports", q->data_dir);
	DIR *d = opendir(dir);
	if (d == NULL) {
		free(dir);
		return;
	}
	struct report_set *set = report_set_new();
	struct pool *pool = pool_new();
	char **done = NULL;
	size_t done_count = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !name_ends(de->d_name, ".work"))
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		report_file_read(path, set);
		done = xrealloc(done, (done_count + 1) * sizeof(*done));
		done[done_count++] = path;
	}
	closedir(d);
	if (report_set_count(set) > 0)
		reports_send(q, set, pool);
	for (size_t i = 0; i < done_count; i++) {
		(void)unlink(done[i]);
		free(done[i]);
	}
	free(done);
	pool_free(&pool);
	report_set_free(&set);
	free(dir);
}

void qmgr_report_now(struct qmgr *q)
{
	char *dir = xasprintf("%s/reports", q->data_dir);
	DIR *d = opendir(dir);
	time_t now = time(NULL);
	size_t renamed = 0;
	log_info(NULL, "report-run");
	while (d != NULL) {
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.' || !name_ends(de->d_name, ".log"))
			continue;
		char *from = xasprintf("%s/%s", dir, de->d_name);
		char *to = xasprintf("%s.%" PRId64 ".work", from, (int64_t)now);
		if (rename(from, to) == 0)
			renamed++;
		else
			log_error(NULL, "report-rename-failed path=%s error=%s",
			          from, strerror(errno));
		free(from);
		free(to);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
	/* leftovers of a run a crash cut short go out with these */
	struct timeval tv = {.tv_sec =
	                         renamed > 0 ? QMGR_REPORT_SETTLE_SECS : 0};
	if (q->report_work_ev != NULL)
		event_add(q->report_work_ev, &tv);
}

static void report_schedule(struct qmgr *q)
{
	time_t now = time(NULL);
	time_t interval = q->report_interval > 0 ? q->report_interval : 86400;
	/* at the next multiple of the interval: midnight UTC for a day */
	time_t next = (now / interval + 1) * interval;
	struct timeval tv = {.tv_sec = next - now};
	event_add(q->report_ev, &tv);
}

static void report_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct qmgr *q = ctx;
	(void)fd;
	(void)what;
	qmgr_report_now(q);
	report_schedule(q);
}

void qmgr_report_start(struct qmgr *q)
{
	q->report_work_ev = event_new(q->base, -1, 0, report_work_cb, q);
	if (!q->reports)
		return;
	q->report_ev = event_new(q->base, -1, 0, report_cb, q);
	report_schedule(q);
}

void qmgr_report_stop(struct qmgr *q)
{
	if (q->report_ev != NULL)
		event_free(q->report_ev);
	if (q->report_work_ev != NULL)
		event_free(q->report_work_ev);
	q->report_ev = q->report_work_ev = NULL;
}
