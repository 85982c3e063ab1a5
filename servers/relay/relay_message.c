/* qmgr's requests to relay (relay.h gives the records): the queue file is
 * opened and its envelope read, the listed recipients are grouped by
 * destination into jobs, and each job's results go back as "result"
 * records, then "done" after the last job. The message body is scanned
 * once for 8-bit bytes (BODY=8BITMIME only when needed, RFC 6152) and for
 * UTF-8 in the header or the envelope (SMTPUTF8 only when needed, RFC 6531
 * §3.4). */
#include "relay/relay.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "queue/queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void record_send(struct relay_message *msg, struct ipc_record *rec)
{
	struct buf out;
	if (msg->owner != NULL) {
		buf_init(&out);
		ipc_record_encode(rec, &out);
		conn_write(msg->owner, out.data, out.len);
		buf_deinit(&out);
	}
	ipc_record_deinit(rec);
}

static void message_free(struct relay_message *msg)
{
	struct relay *relay = msg->relay;
	if (msg->prev != NULL)
		msg->prev->next = msg->next;
	else
		relay->messages = msg->next;
	if (msg->next != NULL)
		msg->next->prev = msg->prev;
	if (msg->fd >= 0)
		close(msg->fd);
	pool_free(&msg->pool);
	free(msg);
}

static void message_done(struct relay_message *msg)
{
	struct ipc_record rec;
	ipc_record_init(&rec, "done");
	ipc_record_add(&rec, "id", msg->id);
	record_send(msg, &rec);
	message_free(msg);
}

static bool has_utf8(const char *str)
{
	for (; *str != '\0'; str++) {
		if ((unsigned char)*str >= 0x80)
			return true;
	}
	return false;
}

/* Sets is_8bit and needs_smtputf8 from one pass over the body. */
static int message_scan(struct relay_message *msg)
{
	const struct queue_envelope *env = msg->env;
	unsigned char chunk[65536];
	uint64_t pos = 0;
	bool in_header = true, header_8bit = false, any_8bit = false;
	unsigned char last[4] = {0};
	while (pos < env->data_size) {
		size_t want = env->data_size - pos < sizeof(chunk)
		                  ? (size_t)(env->data_size - pos)
		                  : sizeof(chunk);
		ssize_t n =
		    pread(msg->fd, chunk, want, env->data_offset + (off_t)pos);
		if (n <= 0)
			return -1;
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] >= 0x80) {
				any_8bit = true;
				header_8bit = header_8bit || in_header;
			}
			memmove(last, last + 1, 3);
			last[3] = chunk[i];
			if (in_header && memcmp(last, "\r\n\r\n", 4) == 0)
				in_header = false;
		}
		pos += (uint64_t)n;
		if (any_8bit && !in_header)
			break;
	}
	bool addr_utf8 = has_utf8(env->sender);
	for (size_t i = 0; i < env->rcpt_count; i++)
		addr_utf8 = addr_utf8 || has_utf8(env->rcpts[i].address);
	msg->is_8bit = any_8bit;
	msg->needs_smtputf8 = addr_utf8 || (env->smtputf8 && header_8bit);
	return 0;
}

static void result_send(struct relay_message *msg, size_t idx,
                        const struct smtp_client_rcpt *r, const char *mta)
{
	struct ipc_record rec;
	unsigned cls = r->status.code / 100;
	ipc_record_init(&rec, "result");
	ipc_record_add(&rec, "id", msg->id);
	ipc_record_addf(&rec, "rcpt", "%zu", idx);
	ipc_record_add(&rec, "status",
	               cls == 2   ? "ok"
	               : cls == 5 ? "permfail"
	                          : "tempfail");
	ipc_record_addf(&rec, "code", "%u", r->status.code);
	ipc_record_add(&rec, "enhanced", r->status.enhanced);
	ipc_record_add(&rec, "text", r->status.text);
	if (mta != NULL && mta[0] != '\0')
		ipc_record_add(&rec, "mta", mta);
	ipc_record_add(&rec, "dsn", r->is_dsn_passed ? "1" : "0");
	record_send(msg, &rec);
	log_info(NULL,
	         "%s id=%s to=<%s> relay=%s code=%u enhanced=%s "
	         "text=%s",
	         cls == 2   ? "sent"
	         : cls == 5 ? "bounced"
	                    : "deferred",
	         msg->id, log_sanitize(r->address, 200),
	         log_sanitize(mta != NULL ? mta : "none", 200), r->status.code,
	         log_sanitize(r->status.enhanced, 16),
	         log_sanitize(r->status.text, 300));
}

void relay_job_done(struct relay_job *job, const char *mta)
{
	struct relay_message *msg = job->msg;
	for (size_t i = 0; i < job->smsg.rcpt_count; i++)
		result_send(msg, job->rcpt_idx[i], &job->smsg.rcpts[i], mta);
	free(job->rcpt_idx);
	free(job->smsg.rcpts);
	free(job);
	if (--msg->jobs_left == 0)
		message_done(msg);
}

void relay_job_fail(struct relay_job *job, unsigned code, const char *enhanced,
                    const char *text)
{
	for (size_t i = 0; i < job->smsg.rcpt_count; i++) {
		struct smtp_client_status *st = &job->smsg.rcpts[i].status;
		st->code = code;
		snprintf(st->enhanced, sizeof(st->enhanced), "%s", enhanced);
		snprintf(st->text, sizeof(st->text), "%s", text);
		job->smsg.rcpts[i].is_dsn_passed = false;
	}
	relay_job_done(job, NULL);
}

static struct relay_job *job_new(struct relay_message *msg, size_t max)
{
	const struct queue_envelope *env = msg->env;
	struct relay_job *job = xcalloc(1, sizeof(*job));
	job->msg = msg;
	job->rcpt_idx = xcalloc(max, sizeof(*job->rcpt_idx));
	job->smsg.rcpts = xcalloc(max, sizeof(*job->smsg.rcpts));
	job->smsg.sender = env->sender;
	job->smsg.ret = env->ret;
	job->smsg.envid = env->envid;
	job->smsg.is_8bit = msg->is_8bit;
	job->smsg.needs_smtputf8 = msg->needs_smtputf8;
	job->smsg.fd = msg->fd;
	job->smsg.offset = env->data_offset;
	job->smsg.size = env->data_size;
	msg->jobs_left++;
	return job;
}

static void job_add_rcpt(struct relay_job *job, size_t idx)
{
	const struct queue_recipient *qr = &job->msg->env->rcpts[idx];
	struct smtp_client_rcpt *r = &job->smsg.rcpts[job->smsg.rcpt_count];
	r->address = qr->address;
	r->orcpt = qr->orcpt;
	r->notify = qr->notify;
	job->rcpt_idx[job->smsg.rcpt_count++] = idx;
}

static const char *rcpt_domain(const char *address)
{
	const char *at = strrchr(address, '@');
	return at != NULL ? at + 1 : "";
}

/* Groups the listed recipients by route and queues a job for each. */
static void message_route(struct relay_message *msg, const size_t *idx,
                          size_t count)
{
	struct relay_route *routes = xcalloc(count, sizeof(*routes));
	struct relay_job **jobs = xcalloc(count, sizeof(*jobs));
	const char *error;
	/* hold a job count of one until every job is queued, so a job that
	 * finishes at once cannot end the message early */
	msg->jobs_left++;
	for (size_t i = 0; i < count; i++) {
		const char *address = msg->env->rcpts[idx[i]].address;
		const char *refusal =
		    relay_route_refusal(&msg->relay->cfg, rcpt_domain(address));
		if (refusal != NULL) {
			char text[200];
			snprintf(text, sizeof(text),
			         "address literal %s not allowed: %s network",
			         rcpt_domain(address), refusal);
			struct relay_job *job = job_new(msg, 1);
			job_add_rcpt(job, idx[i]);
			relay_job_fail(job, 550, "5.7.1", text);
			continue;
		}
		if (relay_route_find(&msg->relay->cfg, rcpt_domain(address),
		                     &routes[i], &error) < 0) {
			struct relay_job *job = job_new(msg, 1);
			job_add_rcpt(job, idx[i]);
			relay_job_fail(job, 451, "4.3.5", error);
			continue;
		}
		size_t j = 0;
		while (j < i && (jobs[j] == NULL ||
		                 strcmp(routes[j].key, routes[i].key) != 0))
			j++;
		if (j == i)
			jobs[i] = job_new(msg, count);
		job_add_rcpt(jobs[j], idx[i]);
	}
	for (size_t i = 0; i < count; i++) {
		if (jobs[i] != NULL)
			relay_dest_enqueue(msg->relay, &routes[i], jobs[i]);
	}
	free(routes);
	free(jobs);
	if (--msg->jobs_left == 0)
		message_done(msg);
}

/* rcpts = 1*DIGIT *( "," 1*DIGIT ), each below max.
 * Parses into idx (at most max). Returns the count or -1. */
static ssize_t rcpts_parse(const char *str, size_t max, size_t *idx)
{
	size_t n = 0;
	while (*str != '\0') {
		char *end;
		unsigned long v = strtoul(str, &end, 10);
		if (end == str || v >= max || n >= max ||
		    (*end != ',' && *end != '\0'))
			return -1;
		idx[n++] = v;
		str = *end == ',' ? end + 1 : end;
	}
	return (ssize_t)n;
}

static int message_open(struct relay_message *msg, const char *path,
                        const char **error_r)
{
	char *full = xasprintf("%s/%s", msg->relay->queue_dir, path);
	msg->env = pool_alloc(msg->pool, sizeof(*msg->env));
	int ret =
	    queue_envelope_read(full, msg->pool, msg->env, &msg->fd, error_r);
	free(full);
	if (ret == 0 && strcmp(msg->env->id, msg->id) != 0) {
		*error_r = "queue file id differs";
		ret = -1;
	}
	if (ret == 0 && message_scan(msg) < 0) {
		*error_r = "cannot read the queue file";
		ret = -1;
	}
	return ret;
}

void relay_request(struct relay *relay, struct conn *owner, const char *line,
                   size_t len)
{
	struct ipc_record rec;
	const char *error;
	if (ipc_record_decode(line, len, &rec, &error) < 0) {
		log_warn(NULL, "bad-request error=%s", error);
		return;
	}
	const char *id = ipc_record_get(&rec, "id");
	const char *path = ipc_record_get(&rec, "path");
	const char *rcpts = ipc_record_get(&rec, "rcpts");
	if (strcmp(rec.verb, "relay") != 0 || id == NULL ||
	    !queue_id_is_valid(id) || path == NULL || rcpts == NULL ||
	    strstr(path, "..") != NULL) {
		log_warn(NULL, "bad-request verb=%s",
		         log_sanitize(rec.verb, 32));
		ipc_record_deinit(&rec);
		return;
	}
	struct relay_message *msg = xcalloc(1, sizeof(*msg));
	msg->relay = relay;
	msg->owner = owner;
	msg->fd = -1;
	msg->pool = pool_new();
	snprintf(msg->id, sizeof(msg->id), "%s", id);
	msg->next = relay->messages;
	if (msg->next != NULL)
		msg->next->prev = msg;
	relay->messages = msg;
	if (message_open(msg, path, &error) < 0) {
		/* qmgr sees no result for any recipient: a tempfail */
		log_error(NULL, "open-failed id=%s error=%s", id, error);
		ipc_record_deinit(&rec);
		message_done(msg);
		return;
	}
	size_t *idx = xcalloc(msg->env->rcpt_count + 1, sizeof(*idx));
	ssize_t count = rcpts_parse(rcpts, msg->env->rcpt_count, idx);
	ipc_record_deinit(&rec);
	if (count <= 0) {
		log_warn(NULL, "bad-request id=%s error=bad rcpts", msg->id);
		message_done(msg);
	} else {
		message_route(msg, idx, (size_t)count);
	}
	free(idx);
}

void relay_owner_gone(struct relay *relay, struct conn *owner)
{
	for (struct relay_message *m = relay->messages; m != NULL;
	     m = m->next) {
		if (m->owner == owner)
			m->owner = NULL;
	}
}

void relay_messages_free(struct relay *relay)
{
	while (relay->messages != NULL)
		message_free(relay->messages);
}
