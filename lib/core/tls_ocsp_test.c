/* Tests for tls_ocsp.c with a test CA made here: the responder URL from
 * the Authority Information Access, the checks of a response (RFC 6960
 * §3.2, §4.2.2.2: signed by the issuer, for this certificate, good,
 * current), a fetch over HTTP from a small responder on loopback, and
 * stapling (RFC 6066 §8): a client that asks gets the cached response's
 * exact bytes, a changed file is used without a restart, and a stale or
 * missing one staples nothing. */
#include "core/tls.h"
#include "core/buf.h"
#include "core/conn.h"
#include "core/event_loop.h"
#include "core/file.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct pki {
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca, *leaf;
	char *url, *chain_path, *leaf_only_path, *key_path, *cache_path;
};

static struct pki pki, rogue; /* rogue: another CA, same names */
static int responder_fd = -1;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for key issued by issuer (self-signed when NULL). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, const char *aia, long serial)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer)
	                                       : X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	X509 *by = issuer != NULL ? issuer : x;
	if (issuer == NULL) {
		add_ext(x, by, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, by, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, by, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, by, NID_key_usage, "critical,digitalSignature");
		add_ext(x, by, NID_subject_alt_name, "DNS:mx.test");
	}
	if (aia != NULL)
		add_ext(x, by, NID_info_access, aia);
	X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256());
	return x;
}

static void write_pem(const char *path, X509 *a, X509 *b, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		abort();
	if (a != NULL)
		PEM_write_X509(f, a);
	if (b != NULL)
		PEM_write_X509(f, b);
	if (key != NULL)
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

static void pki_make(struct pki *p, const char *name, int port)
{
	p->ca_key = EVP_EC_gen("P-256");
	p->leaf_key = EVP_EC_gen("P-256");
	p->url = xasprintf("http://127.0.0.1:%d/ocsp", port);
	char *aia = xasprintf("OCSP;URI:%s", p->url);
	p->ca = make_cert("Test CA", p->ca_key, NULL, NULL, NULL, 1);
	p->leaf = make_cert("mx.test", p->leaf_key, p->ca, p->ca_key, aia, 2);
	free(aia);
	p->chain_path = xasprintf("%s/%s-chain.pem", test_tmpdir(), name);
	p->leaf_only_path = xasprintf("%s/%s-leaf.pem", test_tmpdir(), name);
	p->key_path = xasprintf("%s/%s-key.pem", test_tmpdir(), name);
	p->cache_path = xasprintf("%s/%s-ocsp.der", test_tmpdir(), name);
	write_pem(p->chain_path, p->leaf, p->ca, NULL);
	write_pem(p->leaf_only_path, p->leaf, NULL, NULL);
	write_pem(p->key_path, NULL, NULL, p->leaf_key);
}

/* A response about leaf (issued by issuer), signed by signer, with
 * thisUpdate and nextUpdate (0: none) relative to now. */
static void make_response(struct buf *out, X509 *leaf, X509 *issuer,
                          X509 *signer, EVP_PKEY *signer_key, int status,
                          long this_off, long next_off)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, leaf, issuer);
	ASN1_TIME *this_upd = X509_gmtime_adj(NULL, this_off);
	ASN1_TIME *next_upd =
	    next_off != 0 ? X509_gmtime_adj(NULL, next_off) : NULL;
	ASN1_TIME *revoked = status == V_OCSP_CERTSTATUS_REVOKED
	                         ? X509_gmtime_adj(NULL, -7200)
	                         : NULL;
	OCSP_basic_add1_status(bs, id, status, OCSP_REVOKED_STATUS_NOSTATUS,
	                       revoked, this_upd, next_upd);
	OCSP_basic_sign(bs, signer, signer_key, EVP_sha256(), NULL, 0);
	OCSP_RESPONSE *resp =
	    OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	unsigned char *der = NULL;
	int len = i2d_OCSP_RESPONSE(resp, &der);
	buf_truncate(out, 0);
	buf_append(out, der, (size_t)len);
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(this_upd);
	ASN1_TIME_free(next_upd);
	ASN1_TIME_free(revoked);
}

static void good_response(struct buf *out, long this_off)
{
	make_response(out, pki.leaf, pki.ca, pki.ca, pki.ca_key,
	              V_OCSP_CERTSTATUS_GOOD, this_off, 3600);
}

static void write_cache(const struct buf *der)
{
	if (file_write_atomic(pki.cache_path, der->data, der->len, 0644) < 0)
		abort();
}

static void test_responder(void)
{
	char *self = xasprintf("%s/self.pem", test_tmpdir());
	char *self_key = xasprintf("%s/self-key.pem", test_tmpdir());
	const char *error;
	test_begin("tls_ocsp_responder reads the AIA");
	char *url = tls_ocsp_responder(pki.chain_path);
	test_assert_str(url != NULL ? url : "(none)", pki.url);
	free(url);
	test_assert(tls_selfsigned_create(self, self_key, "mx.test", &error) ==
	            0);
	test_assert(tls_ocsp_responder(self) == NULL);
	test_assert(tls_ocsp_responder("/nonexistent") == NULL);
	test_end();
	free(self);
	free(self_key);
}

static int cached(const char **error_r)
{
	time_t this_upd, next_upd;
	return tls_ocsp_cached(pki.chain_path, pki.cache_path, &this_upd,
	                       &next_upd, error_r);
}

static void test_cached(void)
{
	struct buf der;
	const char *error = "";
	time_t this_upd = 0, next_upd = 0;
	buf_init(&der);
	test_begin("tls_ocsp_cached: good, current, for us, by our CA");
	unlink(pki.cache_path);
	test_assert_int(cached(&error), 0);
	good_response(&der, -60);
	write_cache(&der);
	time_t now = time(NULL);
	test_assert_int(tls_ocsp_cached(pki.chain_path, pki.cache_path,
	                                &this_upd, &next_upd, &error),
	                1);
	test_assert(this_upd >= now - 70 && this_upd <= now - 50);
	test_assert(next_upd >= now + 3590 && next_upd <= now + 3610);
	/* nextUpdate passed */
	make_response(&der, pki.leaf, pki.ca, pki.ca, pki.ca_key,
	              V_OCSP_CERTSTATUS_GOOD, -7200, -3600);
	write_cache(&der);
	test_assert_int(cached(&error), -1);
	make_response(&der, pki.leaf, pki.ca, pki.ca, pki.ca_key,
	              V_OCSP_CERTSTATUS_REVOKED, -60, 3600);
	write_cache(&der);
	test_assert_int(cached(&error), -1);
	test_assert_str(error, "certificate status revoked");
	/* about another CA's certificate of the same name */
	make_response(&der, rogue.leaf, rogue.ca, rogue.ca, rogue.ca_key,
	              V_OCSP_CERTSTATUS_GOOD, -60, 3600);
	write_cache(&der);
	test_assert_int(cached(&error), -1);
	/* about ours, but signed by a stranger */
	make_response(&der, pki.leaf, pki.ca, rogue.ca, rogue.ca_key,
	              V_OCSP_CERTSTATUS_GOOD, -60, 3600);
	write_cache(&der);
	test_assert_int(cached(&error), -1);
	test_assert_str(error, "the response's signature does not verify");
	buf_truncate(&der, 0);
	buf_append_str(&der, "not DER at all");
	write_cache(&der);
	test_assert_int(cached(&error), -1);
	test_end();
	buf_deinit(&der);
}

/* Reads one HTTP request (headers and Content-Length bytes) from fd. */
static bool read_request(int fd, struct buf *req)
{
	char chunk[2048];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		buf_append(req, chunk, (size_t)n);
		const char *end = strstr(req->data, "\r\n\r\n");
		const char *cl = strstr(req->data, "Content-Length:");
		if (end != NULL && cl != NULL &&
		    req->len >= (size_t)(end + 4 - req->data) +
		                    strtoul(cl + 15, NULL, 10))
			return strncmp(req->data, "POST /ocsp ", 11) == 0;
	}
	return false;
}

/* Answers `count` requests on responder_fd with body, then exits. */
static pid_t responder_start(const struct buf *body, int count)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	for (int i = 0; i < count; i++) {
		int fd = accept(responder_fd, NULL, NULL);
		struct buf req;
		buf_init(&req);
		if (fd < 0 || !read_request(fd, &req))
			_exit(1);
		char head[200];
		int n = snprintf(head, sizeof(head),
		                 "HTTP/1.0 200 OK\r\nContent-Type: "
		                 "application/ocsp-response\r\n"
		                 "Content-Length: %zu\r\n\r\n",
		                 body->len);
		if (write(fd, head, (size_t)n) != n ||
		    write(fd, body->data, body->len) != (ssize_t)body->len)
			_exit(2);
		close(fd);
	}
	_exit(0);
}

static int responder_wait(pid_t pid)
{
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_fetch(void)
{
	struct buf der, saved;
	const char *error = "";
	time_t this_upd = 0, next_upd = 0;
	buf_init(&der);
	buf_init(&saved);
	test_begin("tls_ocsp_fetch over HTTP, checked before it is saved");
	unlink(pki.cache_path);
	good_response(&der, -60);
	pid_t pid = responder_start(&der, 1);
	test_assert_int(tls_ocsp_fetch(pki.chain_path, pki.cache_path, 10,
	                               &this_upd, &next_upd, &error),
	                0);
	test_assert_int(responder_wait(pid), 0);
	test_assert(file_read_all(pki.cache_path, &saved, 100000) == 0);
	test_assert(saved.len == der.len &&
	            memcmp(saved.data, der.data, der.len) == 0);
	test_assert(next_upd > time(NULL));
	/* a revoked answer is refused and the good one stays */
	struct buf revoked;
	buf_init(&revoked);
	make_response(&revoked, pki.leaf, pki.ca, pki.ca, pki.ca_key,
	              V_OCSP_CERTSTATUS_REVOKED, -60, 3600);
	pid = responder_start(&revoked, 1);
	test_assert_int(tls_ocsp_fetch(pki.chain_path, pki.cache_path, 10,
	                               &this_upd, &next_upd, &error),
	                -1);
	test_assert_str(error, "certificate status revoked");
	test_assert_int(responder_wait(pid), 0);
	buf_truncate(&saved, 0);
	test_assert(file_read_all(pki.cache_path, &saved, 100000) == 0);
	test_assert(saved.len == der.len);
	/* the issuer must follow the certificate in the file */
	test_assert_int(tls_ocsp_fetch(pki.leaf_only_path, pki.cache_path, 10,
	                               &this_upd, &next_upd, &error),
	                -1);
	test_assert(strstr(error, "issuer") != NULL);
	/* nobody answers: rogue's URL names a port nothing listens on */
	write_pem(rogue.chain_path, rogue.leaf, rogue.ca, NULL);
	test_assert_int(tls_ocsp_fetch(rogue.chain_path, rogue.cache_path, 1,
	                               &this_upd, &next_upd, &error),
	                -1);
	test_assert(strncmp(error, "no response from", 16) == 0);
	test_end();
	buf_deinit(&revoked);
	buf_deinit(&der);
	buf_deinit(&saved);
}

/* ---- Stapling over a real handshake ------------------------------------ */

/* The client asks for the status and compares what it got with want
 * (NULL: nothing stapled). Exits 0 when it matches. */
static void status_client(int fd, const struct buf *want)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
	if (SSL_connect(ssl) != 1)
		_exit(2);
	const unsigned char *got = NULL;
	long len = SSL_get_tlsext_status_ocsp_resp(ssl, &got);
	bool is_same = want == NULL ? (len <= 0 || got == NULL)
	                            : (len == (long)want->len && got != NULL &&
	                               memcmp(got, want->data, want->len) == 0);
	SSL_write(ssl, "HI\r\n", 4);
	char buf[64];
	(void)SSL_read(ssl, buf, sizeof(buf));
	_exit(is_same ? 0 : 5);
}

static void echo_input(struct conn *conn, void *ctx)
{
	const char *line;
	size_t len;
	(void)ctx;
	while (conn_read_line(conn, 100, &line, &len, NULL) > 0) {
		conn_write_str(conn, "OK\r\n");
		conn_close_after_flush(conn);
	}
}

static void echo_closed(struct conn *conn, enum conn_status status, void *ctx)
{
	(void)conn;
	(void)status;
	event_loop_stop(ctx);
}

static int staple_check(struct tls_server *server, const struct buf *want)
{
	static const struct conn_callbacks cb = {
	    .input = echo_input,
	    .closed = echo_closed,
	};
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		status_client(sv[1], want);
	}
	close(sv[1]);
	struct event_loop *loop = event_loop_new();
	struct conn *conn = conn_new(loop, sv[0], server, NULL, &cb, loop);
	event_loop_run(loop);
	conn_free(&conn);
	event_loop_free(&loop);
	return responder_wait(pid);
}

static void test_staple(void)
{
	struct buf der, newer;
	struct tls_server *server = NULL, *self = NULL;
	const char *error;
	buf_init(&der);
	buf_init(&newer);
	test_begin("stapling: the cached response, refreshed, never stale");
	unlink(pki.cache_path);
	test_assert(
	    tls_server_new(pki.chain_path, pki.key_path, &server, &error) == 0);
	test_assert_int(tls_server_set_ocsp_file(server, pki.cache_path), 1);
	test_assert_int(staple_check(server, NULL), 0);
	good_response(&der, -120);
	write_cache(&der);
	test_assert_int(staple_check(server, &der), 0);
	test_assert_int(staple_check(server, &der), 0);
	/* ocspd renames a newer response into place: used at once */
	good_response(&newer, -60);
	write_cache(&newer);
	test_assert_int(staple_check(server, &newer), 0);
	make_response(&der, pki.leaf, pki.ca, pki.ca, pki.ca_key,
	              V_OCSP_CERTSTATUS_GOOD, -7200, -3600);
	write_cache(&der);
	test_assert_int(staple_check(server, NULL), 0);
	/* a certificate without a responder staples nothing */
	char *cert = xasprintf("%s/staple-self.pem", test_tmpdir());
	char *key = xasprintf("%s/staple-self-key.pem", test_tmpdir());
	test_assert(tls_selfsigned_create(cert, key, "mx.test", &error) == 0);
	test_assert(tls_server_new(cert, key, &self, &error) == 0);
	test_assert_int(tls_server_set_ocsp_file(self, pki.cache_path), 0);
	test_assert_int(staple_check(self, NULL), 0);
	tls_server_free(&self);
	tls_server_free(&server);
	test_end();
	free(cert);
	free(key);
	buf_deinit(&der);
	buf_deinit(&newer);
}

static void pki_free(struct pki *p)
{
	X509_free(p->ca);
	X509_free(p->leaf);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->leaf_key);
	free(p->url);
	free(p->chain_path);
	free(p->leaf_only_path);
	free(p->key_path);
	free(p->cache_path);
}

int main(void)
{
	static void (*const tests[])(void) = {test_responder, test_cached,
	                                      test_fetch, test_staple, NULL};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	responder_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (responder_fd < 0 ||
	    bind(responder_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(responder_fd, 8) < 0 ||
	    getsockname(responder_fd, (struct sockaddr *)&sin, &len) < 0)
		return 1;
	pki_make(&pki, "ours", ntohs(sin.sin_port));
	/* rogue's responder: a port that was free a moment ago */
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in free_sin = {.sin_family = AF_INET};
	free_sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(free_sin);
	if (probe < 0 ||
	    bind(probe, (struct sockaddr *)&free_sin, sizeof(free_sin)) < 0 ||
	    getsockname(probe, (struct sockaddr *)&free_sin, &len) < 0)
		return 1;
	close(probe);
	pki_make(&rogue, "rogue", ntohs(free_sin.sin_port));
	int ret = test_run(tests);
	close(responder_fd);
	pki_free(&pki);
	pki_free(&rogue);
	return ret;
}
