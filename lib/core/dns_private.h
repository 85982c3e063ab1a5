/* What lib/core/dns.c shares with dns_secure.c: the resolver and its
 * requests (c-ares stays inside lib/core/dns_*, STYLE.md §2). */
#ifndef CORE_DNS_PRIVATE_H
#define CORE_DNS_PRIVATE_H

#include "core/dns.h"

#include <ares.h>
#include <stdbool.h>

struct dns_watch {
	struct event *ev;
	ares_socket_t fd; /* ARES_SOCKET_BAD when the slot is free */
};

enum dns_kind {
	DNS_KIND_ADDR,
	DNS_KIND_MX,
	DNS_KIND_SRV,
	DNS_KIND_TXT,
	DNS_KIND_FAMILY,
	DNS_KIND_PTR,
	DNS_KIND_MX_SECURE,
	DNS_KIND_TLSA
};

/* the most A or AAAA records kept from one answer (SPF "a", "mx") */
#define DNS_FAMILY_MAX 64

struct dns_req {
	struct dns *dns;
	struct dns_req *prev, *next;
	struct event *done_ev;
	enum dns_kind kind;
	bool is_cancelled;
	dns_mx_cb *mx_cb;
	dns_srv_cb *srv_cb;
	dns_addr_cb *addr_cb;
	dns_txt_cb *txt_cb;
	dns_name_cb *name_cb;
	dns_mx_secure_cb *mx_secure_cb;
	dns_tlsa_cb *tlsa_cb;
	void *ctx;
	bool is_secure; /* the answer had the AD bit */
	struct dns_tlsa *tlsa;
	unsigned port;
	int family;
	enum dns_status status;
	char error[128];
	struct dns_mx *mx;
	struct dns_srv *srv;
	struct dns_txt *txt;
	char **names;
	struct dns_addr *many; /* DNS_KIND_FAMILY */
	size_t count;
	struct dns_addr addrs[DNS_ADDR_MAX];
};

struct dns {
	struct event_base *base;
	ares_channel channel;
	struct event *timer;
	struct dns_watch *watches;
	size_t watch_count;
	struct dns_req *reqs;
	bool is_freeing;
};

/* Re-arms the timer to c-ares' next timeout. */
void dns_timer_update(struct dns *dns);
/* A new request on dns's list; its done event hands the result over. */
struct dns_req *dns_req_new(struct dns *dns, void *ctx);
/* Maps a c-ares status; returns false for ARES_EDESTRUCTION (dns_free). */
bool dns_req_status(struct dns_req *req, int status);
/* The ares_callback of MX look-ups. */
void dns_mx_answer_cb(void *arg, int status, int timeouts, unsigned char *abuf,
                      int alen);

#endif
