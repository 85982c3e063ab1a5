/* DNSSEC-aware look-ups for DANE (RFC 7672): MX and TLSA queries sent
 * with the AD bit (RFC 6840 §5.7) and DO (RFC 3225), through ares_send
 * since ares_query sets neither, the answer's rcode mapped as ares_query
 * would, and whether it came back authenticated (AD). TLSA records (RFC
 * 6698 §2.1) are read from the raw answer: c-ares 1.18 has no parser for
 * them. */
#include "core/dns.h"
#include "core/dns_private.h"
#include "core/xmalloc.h"

#include <arpa/nameser.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* What ares_query would say of a raw answer to ares_send (the rcode and
 * the answer count; RFC 1035 §4.1.1), and its AD bit. */
static int dns_raw_status(int status, const unsigned char *abuf, int alen,
                          bool *is_secure_r)
{
	*is_secure_r = false;
	if (status != ARES_SUCCESS)
		return status;
	if (abuf == NULL || alen < 12)
		return ARES_EBADRESP;
	*is_secure_r = (abuf[3] & 0x20) != 0;
	unsigned ancount = (unsigned)abuf[6] << 8 | abuf[7];
	switch (abuf[3] & 0x0f) {
	case 0:
		return ancount == 0 ? ARES_ENODATA : ARES_SUCCESS;
	case 3:
		return ARES_ENOTFOUND;
	case 2:
		return ARES_ESERVFAIL;
	default:
		return ARES_EREFUSED;
	}
}

/* Sends a query for name with the AD bit (RFC 6840 §5.7) and, in its
 * EDNS0 OPT record, DO (RFC 3225 §3). */
static void dns_send_ad(struct dns *dns, const char *name, int type,
                        ares_callback cb, struct dns_req *req)
{
	unsigned char *q = NULL;
	int qlen = 0;
	unsigned short id = 0;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = (unsigned short)random();
	if (ares_create_query(name, ns_c_in, type, id, 1, &q, &qlen, 1232) !=
	        ARES_SUCCESS ||
	    qlen < 12 + 11) {
		if (q != NULL)
			ares_free_string(q);
		cb(req, ARES_EBADNAME, 0, NULL, 0);
		return;
	}
	q[3] |= 0x20;        /* AD */
	q[qlen - 4] |= 0x80; /* DO: the high bit of the OPT TTL's flags */
	ares_send(dns->channel, q, qlen, cb, req);
	ares_free_string(q);
	dns_timer_update(dns);
}

static void dns_mx_secure_answer_cb(void *arg, int status, int timeouts,
                                    unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	bool is_secure;
	status = dns_raw_status(status, abuf, alen, &is_secure);
	req->is_secure = is_secure;
	dns_mx_answer_cb(arg, status, timeouts, abuf, alen);
}

struct dns_req *dns_mx_lookup_secure(struct dns *dns, const char *domain,
                                     dns_mx_secure_cb *cb, void *ctx)
{
	struct dns_req *req = dns_req_new(dns, ctx);
	req->kind = DNS_KIND_MX_SECURE;
	req->mx_secure_cb = cb;
	dns_send_ad(dns, domain, ns_t_mx, dns_mx_secure_answer_cb, req);
	return req;
}

/* Skips a domain name (RFC 1035 §4.1.4: labels, or a pointer that ends
 * it). Returns the offset after it, or 0 when it runs out. */
static size_t dns_name_skip(const unsigned char *p, size_t len, size_t pos)
{
	while (pos < len) {
		unsigned char c = p[pos];
		if (c == 0)
			return pos + 1;
		if ((c & 0xc0) == 0xc0)
			return pos + 2 <= len ? pos + 2 : 0;
		if ((c & 0xc0) != 0)
			return 0;
		pos += 1 + (size_t)c;
	}
	return 0;
}

int dns_tlsa_parse(const unsigned char *abuf, size_t alen, struct dns_tlsa *out,
                   size_t max)
{
	if (alen < 12)
		return -1;
	size_t qd = (size_t)abuf[4] << 8 | abuf[5];
	size_t an = (size_t)abuf[6] << 8 | abuf[7];
	size_t pos = 12, n = 0;
	for (size_t i = 0; i < qd; i++) {
		pos = dns_name_skip(abuf, alen, pos);
		if (pos == 0 || pos + 4 > alen)
			return -1;
		pos += 4;
	}
	for (size_t i = 0; i < an; i++) {
		pos = dns_name_skip(abuf, alen, pos);
		if (pos == 0 || pos + 10 > alen)
			goto bad;
		unsigned type = (unsigned)abuf[pos] << 8 | abuf[pos + 1];
		size_t rdlen = (size_t)abuf[pos + 8] << 8 | abuf[pos + 9];
		pos += 10;
		if (pos + rdlen > alen)
			goto bad;
		/* TLSA (type 52, RFC 6698 §7.1): usage, selector, type,
		 * then the association data */
		if (type == 52 && rdlen >= 4 && n < max) {
			struct dns_tlsa *t = &out[n++];
			t->usage = abuf[pos];
			t->selector = abuf[pos + 1];
			t->mtype = abuf[pos + 2];
			t->len = rdlen - 3;
			t->data = xmalloc(t->len);
			memcpy(t->data, abuf + pos + 3, t->len);
		}
		pos += rdlen;
	}
	return (int)n;
bad:
	for (size_t i = 0; i < n; i++)
		free(out[i].data);
	return -1;
}

static void dns_tlsa_answer_cb(void *arg, int status, int timeouts,
                               unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	bool is_secure;
	(void)timeouts;
	status = dns_raw_status(status, abuf, alen, &is_secure);
	if (!dns_req_status(req, status))
		return;
	req->is_secure = is_secure;
	req->tlsa = xcalloc(DNS_TLSA_MAX, sizeof(*req->tlsa));
	if (status == ARES_SUCCESS) {
		int n =
		    dns_tlsa_parse(abuf, (size_t)alen, req->tlsa, DNS_TLSA_MAX);
		if (n < 0)
			(void)dns_req_status(req, ARES_EBADRESP);
		else if (n == 0)
			(void)dns_req_status(req, ARES_ENODATA);
		req->count = n > 0 ? (size_t)n : 0;
	}
	event_active(req->done_ev, EV_TIMEOUT, 0);
}

struct dns_req *dns_tlsa_lookup(struct dns *dns, const char *name,
                                dns_tlsa_cb *cb, void *ctx)
{
	struct dns_req *req = dns_req_new(dns, ctx);
	req->kind = DNS_KIND_TLSA;
	req->tlsa_cb = cb;
	dns_send_ad(dns, name, 52, dns_tlsa_answer_cb, req);
	return req;
}
