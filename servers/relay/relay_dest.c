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
 * verified (doc/smtp.md) unless a policy of the recipient domain says so
 * (relay_policy.c): for MX routes the domain's MTA-STS policy and TLS-RPT
 * record (relay_sts.c) are looked up beside its MX, hosts that an
 * enforced policy does not name are skipped (RFC 8461 §4.1), and with
 * [relay] dane each host's TLSA records (RFC 7672 §2.2). Each session's
 * TLS outcome goes to the domain's TLS-RPT records. */
#include "relay/relay.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/net.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "mailauth/mta_sts.h"

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
	/* MX routes: the domain's policies, and the MX answer kept until
	 * they are known */
	struct relay_sts *sts;
	struct relay_sts_wait *sts_wait;
	bool is_mx_in, is_sts_in, is_mx_secure;
	struct relay_host_tls host_tls; /* the current host's */
	struct tls_client *peer;        /* the current connection's */
};

static void session_next_host(struct relay_session *s);
static void session_next_addr(struct relay_session *s);
static void session_addr_cb(enum dns_status status,
                            const struct dns_addr *addrs, size_t count,
                            const char *error, void *ctx);
static void session_hosts_fail(struct relay_session *s, unsigned code,
                               const char *enhanced, const char *text);

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
	tls_client_free(&s->peer);
	relay_sts_wait_cancel(&s->sts_wait);
	relay_host_tls_clear(&s->host_tls);
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
		log_info(NULL,
		         "connected dest=%s host=%s addr=%s tls=%s%s policy=%s",
		         dest->route.key, log_sanitize(session_mta(s), 200),
		         smtp_client_peer(client),
		         smtp_client_is_tls(client) ? "yes" : "no",
		         smtp_client_is_tls(client)
		             ? (smtp_client_is_tls_verified(client)
		                    ? " verified=yes"
		                    : " verified=no")
		             : "",
		         relay_host_tls_name(&s->host_tls));
		relay_tls_record(s->sts, &s->host_tls, session_mta(s),
		                 smtp_client_peer(client),
		                 relay_tls_result_ready(
		                     &s->host_tls, smtp_client_is_tls(client),
		                     smtp_client_is_tls_verified(client),
		                     s->peer));
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
	/* status and the address live in the client: copy them first */
	struct smtp_client_status st = *status;
	char peer_addr[64];
	snprintf(peer_addr, sizeof(peer_addr), "%s", smtp_client_peer(client));
	status = &st;
	smtp_client_free(&s->client);
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
	         "text=%s policy=%s",
	         s->dest->route.key, log_sanitize(session_mta(s), 200),
	         status->code, status->enhanced,
	         log_sanitize(status->text, 300),
	         relay_host_tls_name(&s->host_tls));
	const char *result = relay_tls_result_failed(status, s->peer);
	if (result != NULL)
		relay_tls_record(s->sts, &s->host_tls, session_mta(s),
		                 peer_addr, result);
	if (strcmp(status->enhanced, "4.7.5") == 0 && !s->is_tls_off &&
	    !s->dest->route.requires_tls &&
	    !relay_host_tls_needs_tls(&s->host_tls)) {
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
	const struct relay_host_tls *h = &s->host_tls;
	/* each connection its own TLS client: its own verify outcome, and
	 * the host's TLSA records under DANE */
	tls_client_free(&s->peer);
	if (tls_client_peer_new(relay->tls, session_mta(s), h->tlsa,
	                        h->policy == RELAY_TLS_DANE ? h->tlsa_count : 0,
	                        &s->peer) < 0)
		log_panic("tls-peer-failed");
	bool needs_tls =
	    route->requires_tls || relay_host_tls_needs_tls(&s->host_tls);
	struct smtp_client_settings set = {
	    .helo_name = relay->cfg.helo_name,
	    .servername = session_mta(s),
	    .connect_timeout = relay->cfg.connect_timeout,
	    .command_timeout = relay->cfg.command_timeout,
	    .data_timeout = relay->cfg.data_timeout,
	    .tls_mode = needs_tls       ? SMTP_CLIENT_TLS_REQUIRED
	                : s->is_tls_off ? SMTP_CLIENT_TLS_NONE
	                                : SMTP_CLIENT_TLS_OPPORTUNISTIC,
	    .tls = s->peer,
	    .allow_plain_auth =
	        net_addr_is_loopback((const struct sockaddr *)&a->sa),
	    .is_verify_required = relay_host_tls_needs_verify(&s->host_tls),
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

static void session_tlsa_cb(enum dns_status status, const struct dns_tlsa *tlsa,
                            size_t count, bool is_secure, const char *error,
                            void *ctx)
{
	struct relay_session *s = ctx;
	if (status == DNS_STATUS_TEMPFAIL) {
		/* RFC 7672 §2.2: a host whose TLSA records cannot be had
		 * (a validating resolver's SERVFAIL: bogus) is not used */
		char text[300];
		snprintf(text, sizeof(text), "TLSA look-up of %s failed: %s",
		         session_mta(s), error != NULL ? error : "");
		smtp_client_status_set(&s->last_error, 451, "4.7.5", text);
		log_info(NULL, "tlsa-failed dest=%s host=%s error=%s",
		         s->dest->route.key, log_sanitize(session_mta(s), 200),
		         error != NULL ? error : "");
		relay_host_tls_set(&s->host_tls, true, NULL, 0, NULL);
		s->host_tls.policy = RELAY_TLS_DANE_UNUSABLE;
		relay_tls_record(s->sts, &s->host_tls, session_mta(s), "",
		                 "dnssec-invalid");
		s->host_idx++;
		session_next_host(s);
		return;
	}
	relay_host_tls_set(&s->host_tls, is_secure && status == DNS_STATUS_OK,
	                   tlsa, status == DNS_STATUS_OK ? count : 0, s->sts);
	dns_addr_lookup(s->dest->relay->dns, session_mta(s),
	                s->dest->route.port, session_addr_cb, s);
}

static void session_next_host(struct relay_session *s)
{
	struct relay *relay = s->dest->relay;
	if (s->host_idx >= s->host_count) {
		session_end(s, false);
		return;
	}
	if (relay->cfg.dane && s->sts != NULL) {
		/* RFC 7672 §2.2.1: _25._tcp.<host>, here the MX port */
		char name[300];
		snprintf(name, sizeof(name), "_%u._tcp.%s", s->dest->route.port,
		         s->hosts[s->host_idx]);
		dns_tlsa_lookup(relay->dns, name, session_tlsa_cb, s);
		return;
	}
	relay_host_tls_set(&s->host_tls, false, NULL, 0, s->sts);
	dns_addr_lookup(relay->dns, s->hosts[s->host_idx], s->dest->route.port,
	                session_addr_cb, s);
}

/* The MX hosts and the domain's policies are both in: an enforced
 * MTA-STS policy keeps only the hosts it names (RFC 8461 §4.1); testing
 * keeps all, and the mismatch goes to the report. */
static void session_hosts_ready(struct relay_session *s)
{
	struct relay_sts *sts = s->sts;
	if (sts != NULL && relay_sts_is_active(sts)) {
		size_t kept = 0;
		struct relay_host_tls h = {.policy =
		                               relay_sts_is_enforced(sts)
		                                   ? RELAY_TLS_STS_ENFORCE
		                                   : RELAY_TLS_STS_TESTING};
		for (size_t i = 0; i < s->host_count; i++) {
			if (mta_sts_policy_allows(sts->policy, s->hosts[i])) {
				s->hosts[kept++] = s->hosts[i];
				continue;
			}
			log_info(NULL,
			         "mta-sts-mx-mismatch dest=%s host=%s "
			         "mode=%s",
			         s->dest->route.key,
			         log_sanitize(s->hosts[i], 200),
			         mta_sts_mode_name(sts->policy->mode));
			relay_tls_record(sts, &h, s->hosts[i], "",
			                 "validation-failure");
			if (h.policy == RELAY_TLS_STS_ENFORCE)
				free(s->hosts[i]);
			else
				s->hosts[kept++] = s->hosts[i];
		}
		s->host_count = kept;
		if (kept == 0) {
			char text[300];
			snprintf(text, sizeof(text),
			         "no MX host of %s is in its MTA-STS policy "
			         "(RFC 8461 4.1)",
			         sts->domain);
			session_hosts_fail(s, 451, "4.7.5", text);
			return;
		}
	}
	session_next_host(s);
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
	s->is_mx_in = true;
	if (s->is_sts_in)
		session_hosts_ready(s);
}

static void session_mx_secure_cb(enum dns_status status,
                                 const struct dns_mx *mx, size_t count,
                                 bool is_secure, const char *error, void *ctx)
{
	struct relay_session *s = ctx;
	s->is_mx_secure = is_secure;
	session_mx_cb(status, mx, count, error, ctx);
}

static void session_sts_cb(void *ctx)
{
	struct relay_session *s = ctx;
	s->sts_wait = NULL;
	s->is_sts_in = true;
	if (s->is_mx_in)
		session_hosts_ready(s);
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
		struct relay *relay = dest->relay;
		if (relay->cfg.mta_sts || relay->cfg.dane ||
		    relay->cfg.tlsrpt) {
			s->sts = relay_sts_get(relay, dest->route.host);
			s->is_sts_in = relay_sts_refresh(s->sts, session_sts_cb,
			                                 s, &s->sts_wait) == 1;
		} else {
			s->is_sts_in = true;
		}
		if (relay->cfg.dane)
			dns_mx_lookup_secure(relay->dns, dest->route.host,
			                     session_mx_secure_cb, s);
		else
			dns_mx_lookup(relay->dns, dest->route.host,
			              session_mx_cb, s);
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
