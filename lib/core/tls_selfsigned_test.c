/* Tests for tls_selfsigned.c: the certificate names the host name,
 * localhost and every address given (RFC 5280 §4.2.1.6 iPAddress), the key
 * is private, a renewal keeps the key, and the check tells our
 * certificates (the current and the older form) from anyone else's. */
#include "core/tls.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const loopback[] = {"127.0.0.1", "::1"};

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k =
	    f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	return k;
}

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", test_tmpdir(), name);
}

static void test_create(void)
{
	char *cert = tmp_path("a/tls/cert.pem"),
	     *key = tmp_path("a/tls/key.pem");
	const char *error, *missing;
	struct stat st;
	test_begin("tls_selfsigned_create names host, localhost, addresses");
	test_assert(tls_selfsigned_create_addrs(cert, key, "mx.test", loopback,
	                                        2, &error) == 0);
	test_assert(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600);
	X509 *x = read_cert(cert);
	test_assert(x != NULL);
	if (x != NULL) {
		test_assert(X509_check_host(x, "mx.test", 0, 0, NULL) == 1);
		test_assert(X509_check_host(x, "localhost", 0, 0, NULL) == 1);
		test_assert(X509_check_host(x, "other.test", 0, 0, NULL) != 1);
		test_assert(X509_check_ip_asc(x, "127.0.0.1", 0) == 1);
		test_assert(X509_check_ip_asc(x, "::1", 0) == 1);
		test_assert(X509_check_ip_asc(x, "127.0.0.2", 0) != 1);
		char org[64] = "";
		X509_NAME_get_text_by_NID(X509_get_subject_name(x),
		                          NID_organizationName, org,
		                          sizeof(org));
		test_assert_str(org, "Postroom self-signed");
		X509_free(x);
	}
	test_assert_int(
	    tls_selfsigned_check(cert, key, "mx.test", loopback, 2, &missing),
	    1);
	test_assert(tls_selfsigned_create_addrs(
	                cert, key, "mx.test", (const char *const[]){"mx.test"},
	                1, &error) < 0);
	test_end();
	free(cert);
	free(key);
}

static void test_check_and_renew(void)
{
	char *cert = tmp_path("b/cert.pem"), *key = tmp_path("b/key.pem");
	const char *error, *missing = "";
	const char *const more[] = {"127.0.0.1", "::1", "192.0.2.7"};
	struct buf key_before, key_after;
	buf_init(&key_before);
	buf_init(&key_after);
	test_begin("tls_selfsigned_check and _renew keep the key");
	test_assert(tls_selfsigned_create_addrs(cert, key, "mx.test", loopback,
	                                        1, &error) == 0);
	test_assert_int(
	    tls_selfsigned_check(cert, key, "mx.test", more, 3, &missing), 0);
	test_assert_str(missing, "IP:::1");
	test_assert_int(
	    tls_selfsigned_check(cert, key, "new.test", loopback, 1, &missing),
	    0);
	test_assert_str(missing, "DNS:new.test");
	test_assert(file_read_all(key, &key_before, 10000) == 0);
	test_assert(
	    tls_selfsigned_renew(cert, key, "mx.test", more, 3, &error) == 0);
	test_assert(file_read_all(key, &key_after, 10000) == 0);
	test_assert_str(key_after.data, key_before.data);
	test_assert_int(
	    tls_selfsigned_check(cert, key, "mx.test", more, 3, &missing), 1);
	test_assert(tls_selfsigned_renew(cert, "/nonexistent", "mx.test", more,
	                                 3, &error) < 0);
	test_end();
	buf_deinit(&key_before);
	buf_deinit(&key_after);
	free(cert);
	free(key);
}

/* A certificate signed by key with subject CN=mx.test (and O=org when not
 * NULL), basicConstraints bc and subjectAltName san. */
static int write_cert(const char *path, EVP_PKEY *key, const char *org,
                      const char *bc, const char *san)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)"mx.test", -1, -1, 0);
	if (org != NULL)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
		                           (const unsigned char *)org, -1, -1,
		                           0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	/* the extensions earlier versions wrote, with bc and san */
	const int nids[] = {NID_basic_constraints, NID_subject_alt_name,
	                    NID_key_usage, NID_ext_key_usage};
	const char *values[] = {
	    bc, san, "critical,digitalSignature,keyEncipherment", "serverAuth"};
	for (int i = 0; i < 4; i++) {
		X509_EXTENSION *e =
		    X509V3_EXT_conf_nid(NULL, &v3, nids[i], values[i]);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, key, EVP_sha256());
	FILE *f = fopen(path, "w");
	int ret = f != NULL && PEM_write_X509(f, x) == 1 ? 0 : -1;
	if (f != NULL)
		fclose(f);
	X509_free(x);
	return ret;
}

static void test_older_and_others(void)
{
	char *cert = tmp_path("c/cert.pem"), *key = tmp_path("c/key.pem");
	char *other_key = tmp_path("c/other.pem");
	char *other_cert = tmp_path("c/other-cert.pem");
	const char *error, *missing = "";
	test_begin("tls_selfsigned_check: older form is ours, others are not");
	test_assert(tls_selfsigned_create(cert, key, "mx.test", &error) == 0);
	test_assert(tls_selfsigned_create(other_cert, other_key, "x.test",
	                                  &error) == 0);
	EVP_PKEY *k = read_key(key);
	test_assert(k != NULL);
	/* what earlier versions wrote: CN alone, no addresses */
	test_assert(write_cert(cert, k, NULL, "critical,CA:FALSE",
	                       "DNS:mx.test,DNS:localhost") == 0);
	test_assert_int(
	    tls_selfsigned_check(cert, key, "mx.test", loopback, 1, &missing),
	    0);
	test_assert_str(missing, "IP:127.0.0.1");
	test_assert_int(
	    tls_selfsigned_check(cert, key, "mx.test", NULL, 0, &missing), 0);
	test_assert_str(missing, "O=Postroom self-signed");
	test_assert_int(
	    tls_selfsigned_check(cert, other_key, "mx.test", NULL, 0, &missing),
	    -1);
	/* an operator's own: `openssl req -x509` makes a CA by default */
	test_assert(write_cert(cert, k, NULL, "critical,CA:TRUE",
	                       "DNS:mx.test,DNS:localhost") == 0);
	test_assert_int(
	    tls_selfsigned_check(cert, key, "mx.test", NULL, 0, &missing), -1);
	test_assert(write_cert(cert, k, "Example Org", "critical,CA:FALSE",
	                       "DNS:mx.test,DNS:localhost") == 0);
	test_assert_int(
	    tls_selfsigned_check(cert, key, "mx.test", NULL, 0, &missing), -1);
	test_assert(
	    write_cert(cert, k, NULL, "critical,CA:FALSE", "DNS:mx.test") == 0);
	test_assert_int(
	    tls_selfsigned_check(cert, key, "mx.test", NULL, 0, &missing), -1);
	test_assert_int(tls_selfsigned_check("/nonexistent", key, "mx.test",
	                                     NULL, 0, &missing),
	                -1);
	EVP_PKEY_free(k);
	test_end();
	free(cert);
	free(key);
	free(other_key);
	free(other_cert);
}

int main(void)
{
	static void (*const tests[])(void) = {test_create, test_check_and_renew,
	                                      test_older_and_others, NULL};
	return test_run(tests);
}
