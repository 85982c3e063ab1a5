/* Finding an account's servers from its address (postroom account add). */
#ifndef POSTROOM_DISCOVER_H
#define POSTROOM_DISCOVER_H

#include "postroom.h"

/* Fills account->proto, incoming and outgoing (hosts, ports, TLS; users
 * stay as they are) for account->address, trying in turn: SRV records
 * (RFC 6186 §3.2-3.3 with RFC 8314 §5.1's _submissions and _imaps
 * first), the autoconfig file at autoconfig.<domain> and
 * <domain>/.well-known/autoconfig, then imap./pop3./mail./smtp.<domain>
 * on the standard ports, each probed by connecting. is_pop3 asks for POP3
 * incoming instead of IMAP. Returns 0 with *how_r ("SRV records",
 * "autoconfig", "common names"), or -1 with *error_r from pool. */
int pr_discover(const struct pr_config *config, struct pr_account *account,
                bool is_pop3, struct pool *pool, const char **how_r,
                const char **error_r);

/* Parses an autoconfig document (Thunderbird's config-v1.1 format) into
 * account for address: the first incomingServer of the wanted type and
 * the first smtp outgoingServer. Returns 0, or -1 if it names neither. */
int pr_discover_autoconfig_parse(const char *xml, size_t len,
                                 const char *address,
                                 struct pr_account *account, bool is_pop3);

/* Finds the account's CalDAV and CardDAV servers (RFC 6764 §6): SRV
 * records _caldavs._tcp and _carddavs._tcp (TLS only; without the TXT
 * path, their /.well-known/caldav or carddav), else /.well-known/caldav
 * and carddav over HTTPS at the domain and at the incoming server's name.
 * Each candidate is tried with the account's login (principal and home
 * set found); the first that works fills account->caldav_url or
 * carddav_url. Returns how many of the two were found, with *how_r
 * ("SRV records", "well-known URI"). */
int pr_discover_dav(const struct pr_config *config, struct pr_account *account,
                    struct pool *pool, const char **how_r);

/* Looks up _sieve._tcp.<domain> (RFC 5804 §1.8) and, when there is one,
 * sets account->sieve (its host and port, STARTTLS). Returns 1 found, 0
 * not (the default stays: the incoming host on 4190). */
int pr_discover_sieve(const struct pr_config *config,
                      struct pr_account *account, struct pool *pool);

#endif
