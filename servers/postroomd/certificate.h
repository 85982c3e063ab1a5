/* The master's TLS certificate at start: the configured pair, or the
 * self-signed one of the embedded default, which names the host name,
 * localhost and every address the server listens on. */
#ifndef POSTROOMD_CERTIFICATE_H
#define POSTROOMD_CERTIFICATE_H

#include <stddef.h>

struct postroom_settings;

/* Sets s->tls_cert and s->tls_key to data_dir/tls/cert.pem and key.pem
 * when they are unset. When they cannot be read and tls_selfsigned is on,
 * makes a self-signed pair; when they are the default files, hold a
 * self-signed certificate of ours (tls_selfsigned_check) and it lacks the
 * host name or an address, renews it with its own key. An operator's
 * certificate is never touched. Calls log_fatal when it cannot go on. */
void certificate_ensure(struct postroom_settings *s);

/* The addresses `listen` binds, for the subjectAltName: each address as
 * written, and for a wildcard (0.0.0.0, ::) every address of that family
 * on the machine's interfaces except IPv6 link-local ones. Returns how
 * many, with a heap array of heap strings in *addrs_r (certificate_
 * addresses_free frees it). */
size_t certificate_addresses(const char *listen, char ***addrs_r);
void certificate_addresses_free(char **addrs, size_t count);

#endif
