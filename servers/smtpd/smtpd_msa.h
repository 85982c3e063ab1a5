/* What the submission service (587, 465) does to a message as a message
 * submission agent, RFC 6409 §8: it adds Date (§8.2) and Message-ID (§8.3)
 * when the client left them out, and smtpd refuses a message without From
 * (§6.3; RFC 5322 §3.6 requires one). To put the added fields at the top of
 * the header (under our Received field), the header section is held back
 * until its empty line, at most SMTPD_MSA_HEADER_MAX bytes; the body then
 * streams through untouched. Port 25 never gets here: relayed mail is
 * stored as it came. */
#ifndef SMTPD_SMTPD_MSA_H
#define SMTPD_SMTPD_MSA_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"

#define SMTPD_MSA_HEADER_MAX (256 * 1024)

struct smtpd_msa {
	struct buf header; /* the header section so far, empty line included */
	bool is_done;      /* it ended (or was cut): bytes now pass through */
	bool is_too_big;   /* no empty line within SMTPD_MSA_HEADER_MAX */
	bool has_from, has_date, has_message_id; /* set once is_done */
};

void smtpd_msa_init(struct smtpd_msa *msa);
void smtpd_msa_deinit(struct smtpd_msa *msa);

/* Takes message bytes into the held-back header section until it ends
 * (the first empty line, RFC 5322 §2.1). Returns how many bytes of data
 * belong to the header: all of size while it goes on, fewer once it ended
 * (is_done set: the rest is body), or size after it went past
 * SMTPD_MSA_HEADER_MAX (is_done and is_too_big set; the rest must be
 * dropped). Called after is_done it takes nothing (returns 0). */
size_t smtpd_msa_feed(struct smtpd_msa *msa, const unsigned char *data,
                      size_t size);
/* The end of the message came first: it is all header (no body). Sets
 * is_done and the has_ fields. */
void smtpd_msa_finish(struct smtpd_msa *msa);

/* Appends the fields the message lacks: "Date:" with now in the server's
 * zone (RFC 5322 §3.3) and "Message-ID: <id@hostname>" (§3.6.4: id is the
 * queue id, unique on this host), each ending in CRLF. */
void smtpd_msa_fields(const struct smtpd_msa *msa, time_t now, const char *id,
                      const char *hostname, struct buf *out);

#endif
