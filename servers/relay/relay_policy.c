/* One MX host's TLS policy and the TLS-RPT result of its sessions
 * (relay.h). DANE first (RFC 7672 §2.2: authenticated TLSA records of the
 * host; PKIX-TA(0) and PKIX-EE(1) records are not usable for SMTP, §3.1.3,
 * and when none is usable TLS is still required, unauthenticated), then
 * MTA-STS (RFC 8461 §4: under "enforce" TLS whose certificate verifies
 * for the MX name; under "testing" the same is tried and reported), else
 * opportunistic TLS. */
#include "relay/relay.h"
#include "core/buf.h"
#include "core/dns.h"
#include "core/xmalloc.h"
#include "mailauth/mta_sts.h"

#include <stdlib.h>
#include <string.h>

void relay_host_tls_clear(struct relay_host_tls *h)
{
	for (size_t i = 0; i < h->tlsa_count; i++)
		free(h->tlsa[i].data);
	free(h->tlsa_text);
	memset(h, 0, sizeof(*h));
}

void relay_host_tls_set(struct relay_host_tls *h, bool is_secure,
                        const struct dns_tlsa *tlsa, size_t count,
                        const struct relay_sts *sts)
{
	relay_host_tls_clear(h);
	if (is_secure && count > 0) {
		struct buf text;
		buf_init(&text);
		for (size_t i = 0; i < count; i++) {
			const struct dns_tlsa *t = &tlsa[i];
			buf_printf(&text, "%s%u %u %u ",
			           text.len > 0 ? "\n" : "", t->usage,
			           t->selector, t->mtype);
			for (size_t k = 0; k < t->len; k++)
				buf_printf(&text, "%02x", t->data[k]);
			/* §3.1.3: DANE-TA(2) and DANE-EE(3) only */
			if ((t->usage != 2 && t->usage != 3) ||
			    t->selector > 1 || t->mtype > 2 ||
			    h->tlsa_count == RELAY_TLSA_MAX)
				continue;
			struct tls_dane_record *r = &h->tlsa[h->tlsa_count++];
			r->usage = (unsigned char)t->usage;
			r->selector = (unsigned char)t->selector;
			r->mtype = (unsigned char)t->mtype;
			r->data = xmalloc(t->len + 1);
			memcpy(r->data, t->data, t->len);
			r->len = t->len;
		}
		h->tlsa_text = xstrdup(text.data);
		buf_deinit(&text);
		h->policy = h->tlsa_count > 0 ? RELAY_TLS_DANE
		                              : RELAY_TLS_DANE_UNUSABLE;
		return;
	}
	if (sts != NULL && relay_sts_is_enforced(sts))
		h->policy = RELAY_TLS_STS_ENFORCE;
	else if (sts != NULL && relay_sts_is_active(sts))
		h->policy = RELAY_TLS_STS_TESTING;
	else
		h->policy = RELAY_TLS_NONE_FOUND;
}

bool relay_host_tls_needs_tls(const struct relay_host_tls *h)
{
	return h->policy == RELAY_TLS_STS_ENFORCE ||
	       h->policy == RELAY_TLS_DANE ||
	       h->policy == RELAY_TLS_DANE_UNUSABLE;
}

bool relay_host_tls_needs_verify(const struct relay_host_tls *h)
{
	return h->policy == RELAY_TLS_STS_ENFORCE ||
	       h->policy == RELAY_TLS_DANE;
}

const char *relay_host_tls_name(const struct relay_host_tls *h)
{
	static const char *const names[] = {
	    "none", "sts-testing", "sts-enforce", "dane", "dane-unusable"};
	return names[h->policy];
}

/* RFC 8460 §4.3.2.1 for a certificate that did not verify. */
static const char *verify_result(const struct tls_client *peer)
{
	switch (peer != NULL ? tls_client_verify_kind(peer)
	                     : TLS_VERIFY_OTHER) {
	case TLS_VERIFY_HOST_MISMATCH:
		return "certificate-host-mismatch";
	case TLS_VERIFY_EXPIRED:
		return "certificate-expired";
	case TLS_VERIFY_UNTRUSTED:
		return "certificate-not-trusted";
	case TLS_VERIFY_DANE_NO_MATCH:
		return "tlsa-invalid";
	default:
		return "validation-failure";
	}
}

const char *relay_tls_result_ready(const struct relay_host_tls *h, bool is_tls,
                                   bool is_verified,
                                   const struct tls_client *peer)
{
	if (!is_tls)
		return "starttls-not-supported";
	if (h->policy == RELAY_TLS_STS_TESTING && !is_verified)
		return verify_result(peer);
	return "success";
}

const char *relay_tls_result_failed(const struct smtp_client_status *st,
                                    const struct tls_client *peer)
{
	if (strcmp(st->enhanced, "4.7.10") == 0)
		return "starttls-not-supported";
	if (strcmp(st->enhanced, "4.7.5") != 0)
		return NULL;
	if (strncmp(st->text, "certificate verify failed", 25) == 0)
		return verify_result(peer);
	return "validation-failure";
}

void relay_tls_record(struct relay_sts *sts, const struct relay_host_tls *h,
                      const char *mx, const char *ip, const char *result)
{
	if (sts == NULL)
		return;
	const char *type = "no-policy-found", *text = "";
	char *lines = NULL;
	if (h->policy == RELAY_TLS_DANE ||
	    h->policy == RELAY_TLS_DANE_UNUSABLE) {
		type = "tlsa";
		text = h->tlsa_text != NULL ? h->tlsa_text : "";
	} else if (h->policy != RELAY_TLS_NONE_FOUND && sts->text != NULL) {
		/* the policy's lines, LF-joined (report.h) */
		type = "sts";
		lines = xstrdup(sts->text);
		size_t n = 0;
		for (size_t i = 0; lines[i] != '\0'; i++) {
			if (lines[i] != '\r')
				lines[n++] = lines[i];
		}
		while (n > 0 && lines[n - 1] == '\n')
			n--;
		lines[n] = '\0';
		text = lines;
	}
	relay_sts_record(sts, type, text, mx, ip, result);
	free(lines);
}
