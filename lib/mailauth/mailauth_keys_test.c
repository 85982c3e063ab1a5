/* Tests for the key folder (mailauth_keys.h): keys of a domain, of its
 * parent up to the organisational domain, none elsewhere, a broken file
 * skipped and reported; and dkim_sign_message over a whole message, whose
 * signatures the verifier passes. */
#include "mailauth/dkim.h"
#include "mailauth/mailauth_keys.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static char records[2][600];

static void key_write(const char *dir, const char *name, bool is_ed25519,
                      char *record)
{
	struct buf pem, rec;
	const char *error;
	buf_init(&pem);
	buf_init(&rec);
	test_assert(dkim_key_generate(is_ed25519, &pem, &rec, &error) == 0);
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fwrite(pem.data, 1, pem.len, f);
	fclose(f);
	if (record != NULL)
		snprintf(record, 600, "%s", rec.data);
	buf_deinit(&pem);
	buf_deinit(&rec);
}

static size_t errors;

static void error_cb(const char *path, const char *error, void *ctx)
{
	(void)ctx;
	test_assert(strstr(path, "broken.key") != NULL);
	test_assert_str(error, "not a PEM private key");
	errors++;
}

static void test_keys_for(void)
{
	test_begin("mailauth keys of a domain and its parents");
	const char *data = test_tmpdir();
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/dkim/example.org", data);
	test_assert(file_mkdirs(dir, 0700) == 0);
	key_write(dir, "e1.key", true, records[0]);
	key_write(dir, "r1.key", false, records[1]);
	FILE *f = fopen(strcat(dir, "/broken.key"), "w");
	fputs("not a key\n", f);
	fclose(f);
	struct pool *pool = pool_new();
	struct dkim_sign_key *keys[4];
	const char *signer = NULL;
	size_t n = mailauth_keys_for(data, "mx.mail.example.org", pool, keys, 4,
	                             &signer, error_cb, NULL);
	test_assert_int(n, 2);
	test_assert_str(signer, "example.org");
	test_assert_int(errors, 1);
	struct dkim_sign_key *rsa = mailauth_keys_rsa(keys, n);
	test_assert(rsa != NULL);
	test_assert(mailauth_keys_rsa(keys, 0) == NULL);
	/* the whole message signed with both keys verifies */
	static const char msg[] = "From: MAILER-DAEMON@mx.example.org\r\n"
	                          "Subject: bounce\r\n\r\nbody\r\n\r\n";
	struct buf out;
	const char *error;
	buf_init(&out);
	test_assert(dkim_sign_message(keys, n, 1700000000, 0, msg, strlen(msg),
	                              &out, &error) == 0);
	buf_append_str(&out, msg);
	struct dkim_verify_settings set = DKIM_VERIFY_SETTINGS_DEFAULT;
	const char *body = strstr(out.data, "\r\n\r\n") + 4;
	struct dkim_verify *v = dkim_verify_new(
	    out.data, (size_t)(body - out.data) - 2, &set, 1700000100);
	dkim_verify_body(v, body, strlen(body));
	dkim_verify_body_end(v);
	test_assert_int(dkim_verify_count(v), 2);
	for (size_t i = 0; i < dkim_verify_count(v); i++) {
		const char *name = dkim_verify_key_name(v, i);
		const char *txt =
		    strncmp(name, "e1.", 3) == 0 ? records[0] : records[1];
		size_t len = strlen(txt);
		dkim_verify_key(v, i, DKIM_KEY_FOUND, &txt, &len, 1);
		test_assert_str(
		    dkim_status_name(dkim_verify_result(v, i)->status), "pass");
	}
	dkim_verify_free(&v);
	buf_deinit(&out);
	mailauth_keys_free(keys, n);
	/* beyond the organisational domain, and other domains: none */
	test_assert_int(mailauth_keys_for(data, "example.net", pool, keys, 4,
	                                  &signer, NULL, NULL),
	                0);
	test_assert_int(
	    mailauth_keys_for(data, "org", pool, keys, 4, &signer, NULL, NULL),
	    0);
	test_assert_int(
	    mailauth_keys_load(data, "../dkim", keys, 4, NULL, NULL), 0);
	pool_free(&pool);
	test_end();
}

/* The call Sieve's redirect makes: the forwarding domain's RSA key seals
 * a stored message, our verdict on it in the ARC set. */
static void test_arc_forward(void)
{
	test_begin("mailauth arc seal of a forwarded message");
	const char *data = test_tmpdir();
	static const char msg[] =
	    "Delivered-To: ann@example.org\r\n"
	    "Authentication-Results: mx.example.org;\r\n"
	    "\tspf=pass smtp.mailfrom=x@y.test\r\n"
	    "From: x@y.test\r\nSubject: on\r\n\r\nbody\r\n";
	struct buf out;
	const char *error;
	buf_init(&out);
	test_assert(mailauth_arc_forward(data, "example.org", "mx.example.org",
	                                 msg, strlen(msg), 1700000000, &out,
	                                 &error) == 0);
	test_assert(strncmp(out.data,
	                    "ARC-Seal: i=1; a=rsa-sha256; "
	                    "t=1700000000; cv=none;\r\n"
	                    "\td=example.org; s=r1;",
	                    67) == 0);
	test_assert(strstr(out.data, "ARC-Authentication-Results: i=1; "
	                             "mx.example.org;\r\n\tspf=pass") != NULL);
	test_assert(mailauth_arc_forward(data, "example.net", "mx.example.org",
	                                 msg, strlen(msg), 1700000000, &out,
	                                 &error) < 0);
	test_assert_str(error, "the domain has no RSA key");
	buf_deinit(&out);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_keys_for, test_arc_forward,
	                                      NULL};
	return test_run(tests);
}
