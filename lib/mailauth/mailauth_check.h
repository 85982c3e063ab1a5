/* The checks of one incoming message on an event loop (RFC 7208 SPF, RFC
 * 6376 DKIM, RFC 7489 DMARC), through lib/core/dns: SPF starts at MAIL
 * FROM, DKIM key and DMARC policy look-ups once the header section is in,
 * the body hashes as it streams, and the results come when the body has
 * ended and every answer is in, or when the time after the end of the
 * body runs out or the message's DNS budget is spent: whatever is still
 * missing is then a temperror. Nothing here ever blocks. */
#ifndef MAILAUTH_MAILAUTH_CHECK_H
#define MAILAUTH_MAILAUTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "mailauth/arc.h"
#include "mailauth/dkim.h"
#include "mailauth/dmarc.h"
#include "mailauth/spf.h"

struct buf;
struct dns;
struct event_loop;

struct mailauth_check_settings {
	unsigned timeout_msecs; /* from the end of the body */
	unsigned max_queries;   /* DNS queries per message */
	struct dkim_verify_settings dkim;
	/* "domain, domain": sealers whose passing ARC chain overrides a
	 * DMARC failure (RFC 8617 §7.2, RFC 7489 §6.7); NULL or "": none */
	const char *arc_trusted_sealers;
};

struct mailauth_verdict {
	enum spf_result spf;
	const char *spf_domain; /* MAIL FROM's domain, or the HELO name */
	size_t dkim_count;
	size_t dkim_pass;           /* signatures that passed */
	const char *from_domain;    /* NULL when the From field is unusable */
	struct dmarc_outcome dmarc; /* result NONE without a policy */
	bool has_dmarc_record;
	struct dmarc_record dmarc_record; /* when has_dmarc_record */
	const char *dmarc_domain;         /* where the record was found */
	struct arc_result arc; /* the chain the message arrived with */
	/* DMARC failed, but a trusted sealer's chain passed: no policy
	 * applied (dmarc.action none), the sealer's domain here */
	const char *arc_override;
	/* every DKIM signature's d=, s= and result, for reports */
	const struct dkim_result *const *dkim_results;
};

struct mailauth_check;
typedef void mailauth_check_cb(void *ctx);

/* Starts checking a message from client (its address), helo and
 * mail_from ("" for the null reverse-path: SPF then checks
 * postmaster@helo, RFC 7208 §2.4). */
struct mailauth_check *
mailauth_check_new(struct event_loop *loop, struct dns *dns,
                   const struct mailauth_check_settings *set,
                   const struct sockaddr *client, const char *helo,
                   const char *mail_from);
/* Cancels every look-up; accepts NULL. */
void mailauth_check_free(struct mailauth_check **c);
/* The header section header[0..size) (copied), once. */
void mailauth_check_header(struct mailauth_check *c, const char *header,
                           size_t size);
void mailauth_check_body(struct mailauth_check *c, const void *data,
                         size_t size);
/* The body ended: cb runs from the loop (never from inside this call)
 * once the results are known. */
void mailauth_check_end(struct mailauth_check *c, mailauth_check_cb *cb,
                        void *ctx);
/* After cb: appends the Authentication-Results field (RFC 8601) with
 * authserv_id to out and fills *verdict_r (strings live with c). */
void mailauth_check_results(struct mailauth_check *c, const char *authserv_id,
                            struct buf *out,
                            struct mailauth_verdict *verdict_r);

#endif
