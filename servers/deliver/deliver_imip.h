/* iMIP replies arriving by mail (RFC 6047 §2.4, RFC 5546 §3.2.3): after a
 * message was delivered to an account, deliver_imip looks for a
 * text/calendar part with METHOD:REPLY from an attendee of an event the
 * account organizes, and sets the attendee's PARTSTAT in the account's
 * copy (as CalDAV scheduling does for attendees on this server,
 * doc/dav.md). The reply must come from the attendee it speaks for: its
 * From address is the ATTENDEE's, and mail authentication did not find
 * it forged (deliver_imip_is_authentic: smtpd quarantined it, or an
 * Authentication-Results field says DMARC failed, RFC 7489 §6.6.2; a
 * pass, or no DMARC policy at the attendee's domain, lets it through).
 * Messages over DELIVER_IMIP_MAX bytes are not looked at. */
#ifndef DELIVER_DELIVER_IMIP_H
#define DELIVER_DELIVER_IMIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct store;
struct mime_part;

#define DELIVER_IMIP_MAX (1024 * 1024)

/* Outcomes of deliver_imip_apply, for the log and the tests. */
enum deliver_imip_result {
	DELIVER_IMIP_NONE,    /* no iMIP REPLY in the message */
	DELIVER_IMIP_APPLIED, /* the organizer's copy was updated */
	DELIVER_IMIP_REFUSED, /* a REPLY, but not one to trust or apply */
	DELIVER_IMIP_FAILED,  /* a storage failure */
};

/* Applies an iMIP REPLY in data (a message, size bytes) delivered to
 * account; is_quarantined: smtpd quarantined it (DMARC). Logs what it
 * did. Returns the outcome. */
enum deliver_imip_result deliver_imip_apply(struct store *store,
                                            const unsigned char *data,
                                            size_t size, const char *account,
                                            bool is_quarantined);
/* deliver_imip_apply on the message of a queue file open on fd (size
 * bytes at offset); nothing when it is larger than DELIVER_IMIP_MAX or
 * does not mention text/calendar. */
void deliver_imip(struct store *store, int fd, off_t offset, uint64_t size,
                  const char *account, bool is_quarantined);
/* The hook for mail authentication (lib/mailauth in smtpd): false when
 * smtpd quarantined the message or an Authentication-Results field says
 * its From failed DMARC (smtpd removes fields claiming this server's
 * authserv-id before adding its own, and a forged "fail" only hurts its
 * forger), so a REPLY forged in an attendee's name changes nothing. */
bool deliver_imip_is_authentic(const unsigned char *data,
                               const struct mime_part *root,
                               bool is_quarantined);

#endif
