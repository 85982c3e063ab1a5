/* The self-signed certificate of a first start: EC P-256, SHA-256, valid
 * for 10 years, subject CN=<host name>, O=Postroom self-signed, and a
 * subjectAltName with the host name, localhost and every address the
 * server listens on (RFC 5280 §4.2.1.6), so that a verifying client may
 * connect by any of them. It also recognises one made by this code,
 * including the older form without the addresses or the O= marker, to
 * renew it with its own key when a name is missing. */
#include "core/tls.h"
#include "core/file.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SELFSIGNED_ORG "Postroom self-signed"

static int selfsigned_add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	int ret = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return ret;
}

/* "DNS:host,DNS:localhost,IP:a,..." (heap), or NULL if an address is not
 * a numeric IPv4 or IPv6 address. */
static char *selfsigned_san(const char *hostname, const char *const *addrs,
                            size_t addr_count)
{
	size_t size = strlen(hostname) + 32;
	for (size_t i = 0; i < addr_count; i++)
		size += strlen(addrs[i]) + 4;
	char *san = xmalloc(size);
	int n = snprintf(san, size, "DNS:%s", hostname);
	if (strcmp(hostname, "localhost") != 0)
		n += snprintf(san + n, size - (size_t)n, ",DNS:localhost");
	for (size_t i = 0; i < addr_count; i++) {
		unsigned char bin[16];
		if (inet_pton(strchr(addrs[i], ':') ? AF_INET6 : AF_INET,
		              addrs[i], bin) != 1) {
			free(san);
			return NULL;
		}
		n += snprintf(san + n, size - (size_t)n, ",IP:%s", addrs[i]);
	}
	return san;
}

static int selfsigned_serial(X509 *cert)
{
	unsigned char serial[16];
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return -1;
	serial[0] &= 0x7f; /* a positive INTEGER */
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ASN1_INTEGER *sn = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	BN_free(bn);
	int ret = sn != NULL && X509_set_serialNumber(cert, sn) == 1 ? 0 : -1;
	ASN1_INTEGER_free(sn);
	return ret;
}

static X509 *selfsigned_cert(EVP_PKEY *key, const char *hostname,
                             const char *san)
{
	X509 *cert = X509_new();
	if (cert == NULL || selfsigned_serial(cert) < 0)
		goto fail;
	X509_set_version(cert, 2);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
	X509_NAME *name = X509_get_subject_name(cert);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                               (const unsigned char *)hostname, -1, -1,
	                               0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	                               (const unsigned char *)SELFSIGNED_ORG,
	                               -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 ||
	    X509_set_pubkey(cert, key) != 1)
		goto fail;
	if (selfsigned_add_ext(cert, NID_subject_alt_name, san) < 0 ||
	    selfsigned_add_ext(cert, NID_basic_constraints,
	                       "critical,CA:FALSE") < 0 ||
	    selfsigned_add_ext(cert, NID_key_usage,
	                       "critical,digitalSignature,keyEncipherment") <
	        0 ||
	    selfsigned_add_ext(cert, NID_ext_key_usage, "serverAuth") < 0 ||
	    X509_sign(cert, key, EVP_sha256()) == 0)
		goto fail;
	return cert;
fail:
	X509_free(cert);
	return NULL;
}

/* Writes the PEM of key or cert into path atomically with mode. */
static int selfsigned_write(const char *path, mode_t mode, EVP_PKEY *key,
                            X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return -1;
	int ok = key != NULL ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	                                                NULL, NULL)
	                     : PEM_write_bio_X509(bio, cert);
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	int ret = ok == 1 && len > 0
	              ? file_write_atomic(path, data, (size_t)len, mode)
	              : -1;
	OPENSSL_cleanse(data, len > 0 ? (size_t)len : 0);
	BIO_free(bio);
	return ret;
}

static int selfsigned_mkdir(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int ret = 0;
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		ret = file_mkdirs(dir, 0700);
	}
	free(dir);
	return ret;
}

static EVP_PKEY *selfsigned_read_key(const char *key_path)
{
	FILE *f = fopen(key_path, "r");
	if (f == NULL)
		return NULL;
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return key;
}

static X509 *selfsigned_read_cert(const char *cert_path)
{
	FILE *f = fopen(cert_path, "r");
	if (f == NULL)
		return NULL;
	X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return cert;
}

/* Makes and writes the certificate for key; writes key too when
 * is_new_key. */
static int selfsigned_make(const char *cert_path, const char *key_path,
                           EVP_PKEY *key, bool is_new_key, const char *hostname,
                           const char *const *addrs, size_t addr_count,
                           const char **error_r)
{
	char *san = selfsigned_san(hostname, addrs, addr_count);
	if (san == NULL) {
		*error_r = "an address for the certificate is not numeric";
		return -1;
	}
	X509 *cert = selfsigned_cert(key, hostname, san);
	free(san);
	int ret = -1;
	if (cert == NULL)
		*error_r = "cannot build the certificate";
	else if (selfsigned_mkdir(key_path) < 0 ||
	         selfsigned_mkdir(cert_path) < 0)
		*error_r = "cannot create the tls folder";
	else if (is_new_key && selfsigned_write(key_path, 0600, key, NULL) < 0)
		*error_r = "cannot write the private key";
	else if (selfsigned_write(cert_path, 0644, NULL, cert) < 0)
		*error_r = "cannot write the certificate";
	else
		ret = 0;
	ERR_clear_error();
	X509_free(cert);
	return ret;
}

int tls_selfsigned_create_addrs(const char *cert_path, const char *key_path,
                                const char *hostname, const char *const *addrs,
                                size_t addr_count, const char **error_r)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	if (key == NULL) {
		*error_r = "cannot generate an EC P-256 key";
		return -1;
	}
	int ret = selfsigned_make(cert_path, key_path, key, true, hostname,
	                          addrs, addr_count, error_r);
	EVP_PKEY_free(key);
	return ret;
}

int tls_selfsigned_create(const char *cert_path, const char *key_path,
                          const char *hostname, const char **error_r)
{
	return tls_selfsigned_create_addrs(cert_path, key_path, hostname, NULL,
	                                   0, error_r);
}

int tls_selfsigned_renew(const char *cert_path, const char *key_path,
                         const char *hostname, const char *const *addrs,
                         size_t addr_count, const char **error_r)
{
	EVP_PKEY *key = selfsigned_read_key(key_path);
	if (key == NULL) {
		ERR_clear_error();
		*error_r = "cannot read the private key";
		return -1;
	}
	int ret = selfsigned_make(cert_path, key_path, key, false, hostname,
	                          addrs, addr_count, error_r);
	EVP_PKEY_free(key);
	return ret;
}

/* Whether the subject is what this code writes: CN alone (before the
 * addresses were added), or CN and O=SELFSIGNED_ORG. */
static bool selfsigned_subject_is_ours(X509 *cert)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	int count = X509_NAME_entry_count(name);
	if (X509_NAME_get_index_by_NID(name, NID_commonName, -1) < 0)
		return false;
	if (count == 1)
		return true;
	char org[64];
	return count == 2 &&
	       X509_NAME_get_text_by_NID(name, NID_organizationName, org,
	                                 sizeof(org)) > 0 &&
	       strcmp(org, SELFSIGNED_ORG) == 0;
}

static bool selfsigned_is_ours(X509 *cert, EVP_PKEY *key)
{
	uint32_t flags = X509_get_extension_flags(cert);
	/* not X509_check_issued: our key usage has no keyCertSign */
	return X509_NAME_cmp(X509_get_subject_name(cert),
	                     X509_get_issuer_name(cert)) == 0 &&
	       X509_verify(cert, X509_get0_pubkey(cert)) == 1 &&
	       (flags & EXFLAG_BCONS) != 0 && (flags & EXFLAG_CA) == 0 &&
	       X509_check_host(cert, "localhost", 0, 0, NULL) == 1 &&
	       selfsigned_subject_is_ours(cert) &&
	       X509_check_private_key(cert, key) == 1;
}

int tls_selfsigned_check(const char *cert_path, const char *key_path,
                         const char *hostname, const char *const *addrs,
                         size_t addr_count, const char **missing_r)
{
	static char missing[300];
	X509 *cert = selfsigned_read_cert(cert_path);
	EVP_PKEY *key = cert != NULL ? selfsigned_read_key(key_path) : NULL;
	int ret = -1;
	if (cert != NULL && key != NULL && selfsigned_is_ours(cert, key)) {
		ret = 1;
		if (X509_check_host(cert, hostname, 0, 0, NULL) != 1) {
			snprintf(missing, sizeof(missing), "DNS:%s", hostname);
			ret = 0;
		}
		for (size_t i = 0; ret == 1 && i < addr_count; i++) {
			if (X509_check_ip_asc(cert, addrs[i], 0) != 1) {
				snprintf(missing, sizeof(missing), "IP:%s",
				         addrs[i]);
				ret = 0;
			}
		}
		/* the older form: CN alone */
		if (ret == 1 &&
		    X509_NAME_entry_count(X509_get_subject_name(cert)) != 2) {
			snprintf(missing, sizeof(missing), "O=" SELFSIGNED_ORG);
			ret = 0;
		}
		*missing_r = missing;
	}
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(cert);
	return ret;
}
