/* Shared by lib/core's tls_*.c files only (STYLE.md §2: OpenSSL types stay
 * inside core/tls_*). */
#ifndef CORE_TLS_PRIVATE_H
#define CORE_TLS_PRIVATE_H

#include <openssl/ssl.h>

/* Makes ctx staple the OCSP response cached in path (tls_ocsp.c). Returns
 * 1 when it will, 0 when the certificate names no OCSP responder or its
 * issuer is not in the chain (nothing to staple), -1 on failure. */
int tls_ocsp_staple_attach(SSL_CTX *ctx, const char *path);

#endif
