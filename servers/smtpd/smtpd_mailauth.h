/* smtpd's part of doc/authentication.md. On port 25: SPF from MAIL FROM
 * on, DKIM and DMARC once the header section is in (all through c-ares on
 * the loop), then at the end of DATA one Authentication-Results field
 * (RFC 8601) at the top, incoming ones that claim our authserv-id dropped,
 * and the DMARC policy applied ([mailauth] dmarc_policy: 550 5.7.1 for
 * p=reject, the Junk mailbox for p=quarantine). On submission (587, 465):
 * a DKIM-Signature per key of the From domain when it is local, and no
 * Authentication-Results field with our authserv-id either. */
#ifndef SMTPD_SMTPD_MAILAUTH_H
#define SMTPD_SMTPD_MAILAUTH_H

#include <stdbool.h>
#include <stddef.h>

/* room left in a queue file for the fields put on top at the end of DATA
 * (an Authentication-Results field, or a DKIM-Signature per key) */
#define SMTPD_MAILAUTH_HEAD_RESERVE 16384

struct buf;
struct smtp_server_cmd;
struct smtp_server_mail;
struct smtpd;
struct smtpd_client;

/* Makes the resolver when [mailauth] verify is on. Returns 0, or -1 with a
 * static reason. */
int smtpd_mailauth_init(struct smtpd *smtpd, const char **error_r);
void smtpd_mailauth_deinit(struct smtpd *smtpd);

/* Does this session hold each message's header section back for the
 * checks or the signature? */
bool smtpd_mailauth_wants_header(const struct smtpd_client *c);
/* MAIL accepted on port 25: SPF starts. */
void smtpd_mailauth_mail(struct smtpd_client *c,
                         const struct smtp_server_mail *mail);
/* The header section as it was received (header[0..size)): to the checks
 * on port 25, and appended to out (any port) without the
 * Authentication-Results fields that claim our authserv-id. */
void smtpd_mailauth_header_in(struct smtpd_client *c, const char *header,
                              size_t size, struct buf *out);
/* On submission, the header section as it will be stored (for the
 * signature). */
void smtpd_mailauth_header_out(struct smtpd_client *c, const char *header,
                               size_t size);
void smtpd_mailauth_body(struct smtpd_client *c, const void *data, size_t size);
/* End of DATA: signs or waits for the checks, then calls
 * smtpd_data_commit with the fields to put on top (or refuses). */
void smtpd_mailauth_end(struct smtpd_client *c, struct smtp_server_cmd *cmd);
/* Drops the transaction's checks and signer (idempotent). */
void smtpd_mailauth_reset(struct smtpd_client *c);

#endif
