/* Destinations (one per route: an MX domain or a fixed host and port, and
 * its TLS policy) with a queue of jobs and at most max_per_destination
 * sessions. A session finds its hosts (MX records sorted by preference,
 * implicit MX, null MX of RFC 7505 §3; RFC 5321 §5.1), tries each host and
 * each of its addresses in turn until one gets to READY, then carries
 * queued jobs one after another (up to max_messages_per_connection) and
 * QUITs when the queue is empty. A session that runs out of hosts fails
 * the queue with its last error when no other session is left to take it.
 * TLS: opportunistic by default (a failed handshake is retried once in
 * plaintext), mandatory for require_tls domains; certificates are not
 * verified (doc/smtp.md). */
#include "relay/relay.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/net.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct relay_dest {
	struct relay *relay;
	struct relay_dest *next;
	struct relay_route route;
	struct relay_job *head, *tail;
	size_t queued;
	unsigned sessions, starting;
	struct relay_session *session_list;
};

struct relay_session {
	struct relay_dest *dest;
	struct relay_session *prev, *next;
	char **hosts;
	size_t host_count, host_idx;
	struct dns_addr addrs[DNS_ADDR_MAX];
	size_t addr_count, addr_idx;
	struct smtp_client *client;
	struct relay_job *job;
	unsigned sent;
	bool is_ready_seen, is_tls_off;
	struct smtp_client_status last_error;
};

static void session_next_host(struct relay_session *s);
static void session_next_addr(struct relay_session *s);

static struct relay_job *dest_pop(struct relay_dest *dest)
{
	struct relay_job *job = dest->head;
	if (job != NULL) {
		dest->head = job->next;
		if (dest->head == NULL)
			dest->tail = NULL;
		dest->queued--;
		job->next = NULL;
	}
	return job;
}

static void dest_fail_queue(struct relay_dest *dest,
                            const struct smtp_client_status *st)
{
	struct relay_job *job;
	while ((job = dest_pop(dest)) != NULL)
		relay_job_fail(job, st->code, st->enhanced, st->text);
}

static void dest_free_if_idle(struct relay_dest *dest)
{
	if (dest->sessions > 0 || dest->queued > 0)
		return;
	struct relay_dest **p = &dest->relay->dests;
	while (*p != dest)
		p = &(*p)->next;
	*p = dest->next;
	free(dest);
}

static void session_start(struct relay_dest *dest);

/* More sessions while jobs wait for one and the limit allows. */
static void dest_kick(struct relay_dest *dest)
{
	unsigned max = dest->relay->cfg.max_per_destination;
	if (max == 0)
		max = 1;
	while (dest->queued > dest->starting && dest->sessions < max)
		session_start(dest);
}

static void session_free(struct relay_session *s)
{
	struct relay_dest *dest = s->dest;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		dest->session_list = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	smtp_client_free(&s->client);
	for (size_t i = 0; i < s->host_count; i++)
		free(s->hosts[i]);
	free(s->hosts);
	free(s);
}

static void job_drop(struct relay_job *job)
{
	free(job->rcpt_idx);
	free(job->smsg.rcpts);
	free(job);
}

static void session_end(struct relay_session *s, bool can_retry)
{
	struct relay_dest *dest = s->dest;
	if (!s->is_ready_seen)
		dest->starting--;
	dest->sessions--;
	if (s->job != NULL)
		relay_job_fail(s->job, 451, "4.3.0", "session ended");
	if (dest->queued > 0 && !can_retry && dest->sessions == 0) {
		struct smtp_client_status st = s->last_error;
		if (st.code == 0)
			snprintf(st.text, sizeof(st.text), "no host reached");
		/* before a session is up nothing is final (§4.2.1 would let
		 * a 5yz greeting bounce; we retry instead) */
		st.code = 451;
		if (st.enhanced[0] != '4')
			snprintf(st.enhanced, sizeof(st.enhanced), "4.4.1");
		dest_fail_queue(dest, &st);
	}
	session_free(s);
	if (can_retry)
		dest_kick(dest);
	dest_free_if_idle(dest);
}

static const char *session_mta(const struct relay_session *s)
{
	return s->host_idx < s->host_count ? s->hosts[s->host_idx] : "";
}

static void session_ready_cb(struct smtp_client *client, void *ctx)
{
	struct relay_session *s = ctx;
	struct relay_dest *dest = s->dest;
	if (!s->is_ready_seen) {
		s->is_ready_seen = true;
		dest->starting--;
		log_info(NULL, "connected dest=%s host=%s addr=%s tls=%s%s",
		         dest->route.key, log_sanitize(session_mta(s), 200),
		         smtp_client_peer(client),
		         smtp_client_is_tls(client) ? "yes" : "no",
		         smtp_client_is_tls(client)
		             ? (smtp_client_is_tls_verified(client)
		                    ? " verified=yes"
		                    : " verified=no")
		             : "");
	}
	unsigned max = dest->relay->cfg.max_messages_per_connection;
	s->job = s->sent < (max > 0 ? max : 100) ? dest_pop(dest) : NULL;
	if (s->job == NULL) {
		smtp_client_quit(client);
		return;
	}
	smtp_client_send(client, &s->job->smsg);
}

static void session_message_done_cb(struct smtp_client *client,
                                    struct smtp_client_message *msg, void *ctx)
{
	struct relay_session *s = ctx;
	struct relay_job *job = s->job;
	(void)client;
	ASSERT(job != NULL && &job->smsg == msg);
	s->job = NULL;
	s->sent++;
	relay_job_done(job, session_mta(s));
}

static void session_closed_cb(struct smtp_client *client, bool is_ready_seen,
                              const struct smtp_client_status *status,
                              void *ctx)
{
	struct relay_session *s = ctx;
	/* status lives in the client: copy it before freeing */
	struct smtp_client_status st = *status;
	status = &st;
	smtp_client_free(&s->client);
	(void)client;
	if (is_ready_seen) {
		/* a session that carried mail may be replaced; one that
		 * was dropped before any message would only loop */
		if (s->sent == 0 && status->code != 0)
			s->last_error = *status;
		session_end(s, s->sent > 0);
		return;
	}
	s->last_error = *status;
	log_info(NULL,
	         "connect-failed dest=%s host=%s code=%u enhanced=%s "
	         "text=%s",
	         s->dest->route.key, log_sanitize(session_mta(s), 200),
	         status->code, status->enhanced,
	         log_sanitize(status->text, 300));
	if (strcmp(status->enhanced, "4.7.5") == 0 && !s->is_tls_off &&
	    !s->dest->route.requires_tls) {
		/* opportunistic TLS failed: the same address in plaintext */
		s->is_tls_off = true;
	} else {
		s->is_tls_off = false;
		s->addr_idx++;
	}
	session_next_addr(s);
}

static void session_next_addr(struct relay_session *s)
{
	static const struct smtp_client_callbacks cbs = {
	    .ready = session_ready_cb,
	    .message_done = session_message_done_cb,
	    .closed = session_closed_cb,
	};
	struct relay *relay = s->dest->relay;
	const struct relay_route *route = &s->dest->route;
	if (s->addr_idx >= s->addr_count) {
		s->host_idx++;
		session_next_host(s);
		return;
	}
	const struct dns_addr *a = &s->addrs[s->addr_idx];
	struct smtp_client_settings set = {
	    .helo_name = relay->cfg.helo_name,
	    .servername = session_mta(s),
	    .connect_timeout = relay->cfg.connect_timeout,
	    .command_timeout = relay->cfg.command_timeout,
	    .data_timeout = relay->cfg.data_timeout,
	    .tls_mode = route->requires_tls ? SMTP_CLIENT_TLS_REQUIRED
	                : s->is_tls_off     ? SMTP_CLIENT_TLS_NONE
	                                    : SMTP_CLIENT_TLS_OPPORTUNISTIC,
	    .tls = relay->tls,
	    .allow_plain_auth =
	        net_addr_is_loopback((const struct sockaddr *)&a->sa),
	};
	if (route->is_smarthost) {
		set.auth_user = relay->cfg.smarthost_user;
		set.auth_password = relay->cfg.smarthost_password;
	}
	s->client =
	    smtp_client_new(relay->loop, (const struct sockaddr *)&a->sa,
	                    a->len, &set, &cbs, s);
}

static void session_addr_cb(enum dns_status status,
                            const struct dns_addr *addrs, size_t count,
                            const char *error, void *ctx)
{
	struct relay_session *s = ctx;
	if (status != DNS_STATUS_OK) {
		char text[300];
		snprintf(text, sizeof(text),
		         "cannot find the address of %s: "
		         "%s",
		         session_mta(s), error != NULL ? error : "");
		smtp_client_status_set(&s->last_error, 451, "4.4.3", text);
		s->host_idx++;
		session_next_host(s);
		return;
	}
	memcpy(s->addrs, addrs, count * sizeof(*addrs));
	s->addr_count = count;
	s->addr_idx = 0;
	session_next_addr(s);
}

static void session_next_host(struct relay_session *s)
{
	if (s->host_idx >= s->host_count) {
		session_end(s, false);
		return;
	}
	dns_addr_lookup(s->dest->relay->dns, s->hosts[s->host_idx],
	                s->dest->route.port, session_addr_cb, s);
}

static void session_hosts_fail(struct relay_session *s, unsigned code,
                               const char *enhanced, const char *text)
{
	struct smtp_client_status st;
	smtp_client_status_set(&st, code, enhanced, text);
	log_info(NULL, "route-failed dest=%s code=%u text=%s",
	         s->dest->route.key, code, log_sanitize(text, 300));
	/* the DNS answer holds for every job queued here */
	dest_fail_queue(s->dest, &st);
	session_end(s, false);
}

static void session_mx_cb(enum dns_status status, const struct dns_mx *mx,
                          size_t count, const char *error, void *ctx)
{
	struct relay_session *s = ctx;
	const char *domain = s->dest->route.host;
	char text[300];
	switch (status) {
	case DNS_STATUS_OK:
		if (dns_mx_is_null(mx, count)) {
			session_hosts_fail(
			    s, 556, "5.1.10",
			    "the domain accepts no mail (null MX, "
			    "RFC 7505)");
			return;
		}
		s->hosts = xcalloc(count, sizeof(*s->hosts));
		for (size_t i = 0; i < count; i++) {
			if (mx[i].host[0] != '\0') /* RFC 7505 §4.3 */
				s->hosts[s->host_count++] = xstrdup(mx[i].host);
		}
		break;
	case DNS_STATUS_NODATA:
		/* RFC 5321 §5.1: no MX, the domain itself is the host */
		s->hosts = xcalloc(1, sizeof(*s->hosts));
		s->hosts[s->host_count++] = xstrdup(domain);
		break;
	case DNS_STATUS_NXDOMAIN:
		snprintf(text, sizeof(text), "domain %s does not exist",
		         domain);
		session_hosts_fail(s, 550, "5.1.2", text);
		return;
	case DNS_STATUS_TEMPFAIL:
		snprintf(text, sizeof(text), "MX look-up of %s failed: %s",
		         domain, error != NULL ? error : "");
		session_hosts_fail(s, 451, "4.4.3", text);
		return;
	}
	session_next_host(s);
}

static void session_start(struct relay_dest *dest)
{
	struct relay_session *s = xcalloc(1, sizeof(*s));
	s->dest = dest;
	s->next = dest->session_list;
	if (s->next != NULL)
		s->next->prev = s;
	dest->session_list = s;
	dest->sessions++;
	dest->starting++;
	if (dest->route.kind == RELAY_ROUTE_MX) {
		dns_mx_lookup(dest->relay->dns, dest->route.host, session_mx_cb,
		              s);
		return;
	}
	s->hosts = xcalloc(1, sizeof(*s->hosts));
	s->hosts[s->host_count++] = xstrdup(dest->route.host);
	session_next_host(s);
}

void relay_dest_enqueue(struct relay *relay, const struct relay_route *route,
                        struct relay_job *job)
{
	struct relay_dest *dest = relay->dests;
	while (dest != NULL && strcmp(dest->route.key, route->key) != 0)
		dest = dest->next;
	if (dest == NULL) {
		dest = xcalloc(1, sizeof(*dest));
		dest->relay = relay;
		dest->route = *route;
		dest->next = relay->dests;
		relay->dests = dest;
	}
	if (dest->tail != NULL)
		dest->tail->next = job;
	else
		dest->head = job;
	dest->tail = job;
	dest->queued++;
	dest_kick(dest);
}

void relay_dests_free(struct relay *relay)
{
	/* at exit: sessions and DNS are gone with the loop; jobs are
	 * dropped unanswered (qmgr retries what it did not hear about) */
	while (relay->dests != NULL) {
		struct relay_dest *dest = relay->dests;
		struct relay_job *job;
		relay->dests = dest->next;
		while ((job = dest_pop(dest)) != NULL)
			job_drop(job);
		while (dest->session_list != NULL) {
			struct relay_session *s = dest->session_list;
			if (s->job != NULL)
				job_drop(s->job);
			session_free(s);
		}
		free(dest);
	}
}
