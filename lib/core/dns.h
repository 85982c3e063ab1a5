/* Asynchronous DNS on the event loop (c-ares, used nowhere else: STYLE.md
 * §2): MX look-ups sorted by preference with equal preferences shuffled
 * (RFC 5321 §5.1), the null MX of RFC 7505, and A/AAAA look-ups of a host.
 * A name that does not exist (NXDOMAIN) is told apart from a name without
 * records of the type (NODATA: RFC 5321 §5.1 implicit MX) and from a
 * failure to get an answer (SERVFAIL, timeout: try again later). TXT, A
 * or AAAA alone, and PTR look-ups serve SPF, DKIM and DMARC (lib/mailauth);
 * every look-up returns a handle that dns_cancel() can cancel. */
#ifndef CORE_DNS_H
#define CORE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct event_loop;
struct dns;
struct dns_req;

enum dns_status {
	DNS_STATUS_OK,
	DNS_STATUS_NXDOMAIN, /* the name does not exist: permanent */
	DNS_STATUS_NODATA,   /* the name exists without such records */
	DNS_STATUS_TEMPFAIL, /* no usable answer now (SERVFAIL, timeout) */
};

struct dns_mx {
	char *host; /* without the final dot; "" for the root (null MX) */
	unsigned preference;
};

#define DNS_ADDR_MAX 8 /* addresses kept per host */

struct dns_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

/* A service record (RFC 2782); host "" (the root ".") means the service
 * is decidedly not available at this domain (RFC 6186 §3.4). */
struct dns_srv {
	char *host;
	unsigned priority;
	unsigned weight;
	unsigned port;
};

/* mx[0..count) and error live until the callback returns. With status
 * other than OK, count is 0 and error says why (for a log line). */
typedef void dns_mx_cb(enum dns_status status, const struct dns_mx *mx,
                       size_t count, const char *error, void *ctx);
typedef void dns_addr_cb(enum dns_status status, const struct dns_addr *addrs,
                         size_t count, const char *error, void *ctx);

typedef void dns_srv_cb(enum dns_status status, const struct dns_srv *srv,
                        size_t count, const char *error, void *ctx);

/* One TXT record: its character-strings joined (RFC 7208 §3.3, RFC 6376
 * §3.6.2.2), NUL-terminated; len counts a NUL inside. */
struct dns_txt {
	char *text;
	size_t len;
};

typedef void dns_txt_cb(enum dns_status status, const struct dns_txt *txt,
                        size_t count, const char *error, void *ctx);
/* names[0..count): host names without the final dot (PTR). */
typedef void dns_name_cb(enum dns_status status, const char *const *names,
                         size_t count, const char *error, void *ctx);

/* Makes a resolver on loop. server is "" for the servers of
 * /etc/resolv.conf, or "ip[:port]" (IPv6 as "[ip]:port"). Returns 0 with
 * *dns_r, or -1 with a static reason in *error_r. */
int dns_new(struct event_loop *loop, const char *server, struct dns **dns_r,
            const char **error_r);
/* Cancels every pending look-up (their callbacks are not called), frees
 * and sets *dns to NULL; accepts NULL. */
void dns_free(struct dns **dns);

/* Every look-up returns a handle, valid until its callback returns or
 * dns_cancel(); callers that cannot be cancelled may ignore it. */

/* Looks up the MX records of domain; cb is always called from the loop,
 * never from inside this call. Records come sorted (dns_mx_sort). */
struct dns_req *dns_mx_lookup(struct dns *dns, const char *domain,
                              dns_mx_cb *cb, void *ctx);
/* Looks up the IPv4 and IPv6 addresses of host (a numeric address is
 * answered as is) with port set in each; at most DNS_ADDR_MAX. cb is
 * always called from the loop. */
struct dns_req *dns_addr_lookup(struct dns *dns, const char *host,
                                unsigned port, dns_addr_cb *cb, void *ctx);

/* Looks up the SRV records of name ("_imaps._tcp.example.org"), lowest
 * priority first and, within one priority, heaviest first. cb is always
 * called from the loop. */
struct dns_req *dns_srv_lookup(struct dns *dns, const char *name,
                               dns_srv_cb *cb, void *ctx);

/* Looks up the TXT records of name, in the order of the answer. cb is
 * always called from the loop. */
struct dns_req *dns_txt_lookup(struct dns *dns, const char *name,
                               dns_txt_cb *cb, void *ctx);
/* Looks up only the A (family AF_INET) or only the AAAA (AF_INET6)
 * records of name, every one of them (port 0), with NXDOMAIN and NODATA
 * told apart (SPF's void look-ups, RFC 7208 §4.6.4). cb is always called
 * from the loop. */
struct dns_req *dns_addr_family_lookup(struct dns *dns, const char *name,
                                       int family, dns_addr_cb *cb,
                                       void *ctx);
/* Looks up the PTR records of the address sa (in-addr.arpa or ip6.arpa).
 * cb is always called from the loop. */
struct dns_req *dns_ptr_lookup(struct dns *dns, const struct sockaddr *sa,
                               dns_name_cb *cb, void *ctx);
/* Cancels the look-up *req (its callback is never called) and sets *req
 * to NULL; accepts NULL. Only before the callback ran. */
void dns_cancel(struct dns_req **req);

/* ---- DNSSEC-aware look-ups (DANE, RFC 7672) -----------------------------
 * These queries set the AD bit (RFC 6840 §5.7) and DO (RFC 3225), and
 * report whether the answer came back with AD: "secure" as far as the
 * resolver says. Postroom does not validate DNSSEC itself: the AD bit is
 * worth something only from a validating resolver the operator trusts,
 * over a path nobody can tamper with (loopback). */

/* A TLSA record (RFC 6698 §2.1). */
struct dns_tlsa {
	unsigned usage, selector, mtype;
	unsigned char *data;
	size_t len;
};

#define DNS_TLSA_MAX 16 /* records kept from one answer */

typedef void dns_mx_secure_cb(enum dns_status status, const struct dns_mx *mx,
                              size_t count, bool is_secure, const char *error,
                              void *ctx);
typedef void dns_tlsa_cb(enum dns_status status, const struct dns_tlsa *tlsa,
                         size_t count, bool is_secure, const char *error,
                         void *ctx);

/* Looks up the MX records of domain as dns_mx_lookup does, and says
 * whether the answer (or the denial) had the AD bit. cb is always called
 * from the loop. */
struct dns_req *dns_mx_lookup_secure(struct dns *dns, const char *domain,
                                     dns_mx_secure_cb *cb, void *ctx);
/* Looks up the TLSA records of name ("_25._tcp.mx.example.org"), at most
 * DNS_TLSA_MAX, with the AD bit of the answer. cb is always called from
 * the loop. */
struct dns_req *dns_tlsa_lookup(struct dns *dns, const char *name,
                                dns_tlsa_cb *cb, void *ctx);
/* Parses the TLSA records of the DNS answer abuf[0..alen) into
 * out[0..max) (data from the heap). Returns the count, or -1 when the
 * answer is malformed. For lib/core's tests and fuzzer. */
int dns_tlsa_parse(const unsigned char *abuf, size_t alen, struct dns_tlsa *out,
                   size_t max);

/* Sorts mx by preference, lowest first, and puts records of equal
 * preference in random order (random_cb(n) returns 0..n-1; NULL uses
 * random()). */
void dns_mx_sort(struct dns_mx *mx, size_t count,
                 unsigned (*random_cb)(unsigned n));
/* Returns true if the records are a null MX (RFC 7505 §3: a single record
 * for "." with preference 0; "." among other records is ignored by the
 * caller as §4.3 says). */
bool dns_mx_is_null(const struct dns_mx *mx, size_t count);

#endif
