/* Tests for DKIM: the tag-list parser (RFC 6376 §3.2), canonicalization
 * with the examples of §3.4.5, the signed example of RFC 8463 Appendix A
 * (ed25519-sha256 and rsa-sha256 over one message), and signatures made
 * here checked by the verifier, with the body fed whole or byte by byte. */
#include "mailauth/dkim.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/pool.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>

static void test_dkim_tags(void)
{
	static const struct {
		const char *in;
		int ret;
		const char *want; /* name=value|... */
	} cases[] = {
	    {"v=1; a=rsa-sha256", 0, "v=1|a=rsa-sha256|"},
	    {"v=1;a=x;", 0, "v=1|a=x|"},
	    {" v = 1 ;\r\n\t a=\r\n x y ", 0, "v=1|a=x y|"},
	    {"k=", 0, "k=|"},
	    {"", 0, ""},
	    {"v=1; v=2", -1, NULL},  /* duplicate: the list is invalid */
	    {"v=1;; a=2", -1, NULL}, /* empty tag-spec inside */
	    {"1v=2", -1, NULL},      /* tag-name starts with ALPHA */
	    {"v", -1, NULL},
	    {"v=a\x01", -1, NULL},
	    {"a_b9=c", 0, "a_b9=c|"},
	};
	test_begin("dkim tag-list parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool *pool = pool_new();
		struct dkim_tag *tags;
		size_t count;
		const char *error;
		int ret = dkim_tags_parse(cases[i].in, strlen(cases[i].in),
		                          pool, &tags, &count, &error);
		test_assert_idx(ret == cases[i].ret, i);
		if (ret == 0 && cases[i].want != NULL) {
			struct buf b;
			buf_init(&b);
			for (size_t k = 0; k < count; k++)
				buf_printf(&b, "%s=%s|", tags[k].name,
				           tags[k].value);
			test_assert_str(b.data, cases[i].want);
			buf_deinit(&b);
		}
		pool_free(&pool);
	}
	test_end();
}

static void body_hex(bool relaxed, const char *body, size_t step, char hex[65])
{
	unsigned char d[32];
	struct dkim_body *b = dkim_body_new(relaxed, UINT64_MAX);
	size_t len = strlen(body);
	for (size_t i = 0; i < len; i += step)
		dkim_body_feed(b, body + i, len - i < step ? len - i : step);
	(void)dkim_body_finish(b, d);
	dkim_body_free(&b);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* RFC 6376 §3.4.5 and the empty-body rules of §3.4.3, §3.4.4. */
static void test_dkim_canon(void)
{
	static const struct {
		bool relaxed;
		const char *body, *canon;
	} cases[] = {
	    {true, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n"},
	    {false, " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n"},
	    {false, "", "\r\n"},
	    {true, "", ""},
	    {false, "\r\n\r\n", "\r\n"},
	    {true, "\r\n \r\n", ""},
	    {true, "abc", "abc\r\n"},
	    {false, "abc", "abc\r\n"},
	    {true, "a\r\n\r\nb \r\n", "a\r\n\r\nb\r\n"},
	    {true, "x\ry\r\n", "x\ry\r\n"},
	};
	test_begin("dkim canonicalization");
	struct buf h;
	buf_init(&h);
	const char *fields[] = {"A: X\r\n", "B : Y\t\r\n\tZ  \r\n"};
	for (size_t i = 0; i < 2; i++)
		dkim_canon_header(fields[i], strlen(fields[i]), true, &h);
	test_assert_str(h.data, "a:X\r\nb:Y Z\r\n");
	buf_truncate(&h, 0);
	dkim_canon_header(fields[1], strlen(fields[1]), false, &h);
	test_assert_str(h.data, fields[1]);
	buf_deinit(&h);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[65], got[65], got1[65];
		char hex[DIGEST_SHA256_HEX_LEN + 1];
		digest_sha256_hex(cases[i].canon, strlen(cases[i].canon), hex);
		snprintf(want, sizeof(want), "%s", hex);
		body_hex(cases[i].relaxed, cases[i].body, 4096, got);
		body_hex(cases[i].relaxed, cases[i].body, 1, got1);
		test_assert_str(got, want);
		test_assert_str(got1, want);
	}
	test_end();
}

/* RFC 8463 Appendix A.3 (simple/simple, as dkimpy ships it in its tests),
 * CRLF line ends. */
static const char rfc8463_msg[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; \r\n"
    " d=football.example.com; i=@football.example.com; \r\n"
    " q=dns/txt; s=brisbane; t=1518460054; h=from : to : \r\n"
    " subject : date : message-id : from : subject : date; \r\n"
    " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=; \r\n"
    " b=9/dsDChY0YMTtD5Eyw3wx7x22BlSJP7M5ECbJ7GWrR45nXlTCGb8l0YB\r\n"
    " o0wBLR++X5LqmsxXaOYLLJe46l10AQ==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; \r\n"
    " d=football.example.com; i=@football.example.com; \r\n"
    " q=dns/txt; s=test; t=1527915362; h=from : to : subject : \r\n"
    " date : message-id : from : subject : date; \r\n"
    " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=; \r\n"
    " b=icKcLSEZYXJ95flvWE8FT6hl5iqd8MC/LEKYH0QjsqYy6MO/4pgVNCZH\r\n"
    " l/RAXAuADxE/40Fg7uTlxwwD1hjN2Ple6J//cJfslBdDOq6zTVbne1dqtl\r\n"
    " NOat7iamJ1AfRqyG+ja7a2AZsrpUuJ7VA6O+0zRYPqpwMEkEFIzI9i/Xk=\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n"
    "\r\n";

static const char rfc8463_ed_key[] =
    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char rfc8463_rsa_key[] =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3Fu"
    "tACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBf"
    "O2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

/* Verifies msg with the keys named in keys ("name=record" pairs). */
static struct dkim_verify *verify_msg(const char *msg, size_t step,
                                      const char *const *keys,
                                      const struct dkim_verify_settings *set,
                                      time_t now)
{
	const char *body = strstr(msg, "\r\n\r\n") + 4;
	struct dkim_verify *v =
	    dkim_verify_new(msg, (size_t)(body - msg), set, now);
	size_t len = strlen(body);
	for (size_t i = 0; i < len; i += step)
		dkim_verify_body(v, body + i, len - i < step ? len - i : step);
	dkim_verify_body_end(v);
	for (size_t i = 0; i < dkim_verify_count(v); i++) {
		const char *name = dkim_verify_key_name(v, i);
		if (name == NULL)
			continue;
		bool found = false;
		for (size_t k = 0; keys[k] != NULL; k += 2) {
			if (strcmp(keys[k], name) != 0)
				continue;
			size_t len1 = strlen(keys[k + 1]);
			dkim_verify_key(v, i, DKIM_KEY_FOUND, &keys[k + 1],
			                &len1, 1);
			found = true;
		}
		if (!found)
			dkim_verify_key(v, i, DKIM_KEY_NONE, NULL, NULL, 0);
	}
	return v;
}

static void test_dkim_rfc8463(void)
{
	const char *keys[] = {
	    "brisbane._domainkey.football.example.com", rfc8463_ed_key,
	    "test._domainkey.football.example.com", rfc8463_rsa_key, NULL};
	struct dkim_verify_settings set = DKIM_VERIFY_SETTINGS_DEFAULT;
	test_begin("dkim RFC 8463 example");
	size_t steps[] = {1, 7, 100000};
	for (size_t s = 0; s < 3; s++) {
		struct dkim_verify *v =
		    verify_msg(rfc8463_msg, steps[s], keys, &set, 1600000000);
		test_assert(dkim_verify_count(v) == 2);
		const struct dkim_result *r = dkim_verify_result(v, 0);
		test_assert_str(dkim_status_name(r->status), "pass");
		test_assert_str(r->domain, "football.example.com");
		test_assert_str(r->b, "9/dsDChY");
		test_assert(r->alg == DKIM_ALG_ED25519_SHA256);
		r = dkim_verify_result(v, 1);
		test_assert_str(dkim_status_name(r->status), "pass");
		test_assert(r->key_bits == 1024);
		dkim_verify_free(&v);
	}
	/* a changed body, a changed signed field, RSA keys too short */
	struct {
		const char *from, *to;
		const char *ed, *rsa;
		unsigned min_bits;
	} changes[] = {
	    {"We lost", "We won", "fail", "fail", 1024},
	    {"Is dinner", "Is lunch", "fail", "fail", 1024},
	    {"Joe.\r\n", "Joe.\r\n\r\n\r\n", "pass", "pass", 1024},
	    {"Hi.", "Hi. ", "fail", "fail", 1024}, /* simple body */
	    {"Hi.", "Hi.", "pass", "permerror", 2048},
	    {"s=test", "s=none", "pass", "permerror", 1024},
	};
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		struct buf m;
		buf_init(&m);
		const char *at = strstr(rfc8463_msg, changes[i].from);
		buf_append(&m, rfc8463_msg, (size_t)(at - rfc8463_msg));
		buf_append_str(&m, changes[i].to);
		buf_append_str(&m, at + strlen(changes[i].from));
		set.min_rsa_bits = changes[i].min_bits;
		struct dkim_verify *v = verify_msg(m.data, 3, keys, &set, 0);
		test_assert_str(
		    dkim_status_name(dkim_verify_result(v, 0)->status),
		    changes[i].ed);
		test_assert_str(
		    dkim_status_name(dkim_verify_result(v, 1)->status),
		    changes[i].rsa);
		dkim_verify_free(&v);
		buf_deinit(&m);
	}
	test_end();
}

static const char plain_msg[] = "From: Ann <ann@example.org>\r\n"
                                "To: bob@example.net\r\n"
                                "Subject: hello\r\n"
                                "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
                                "Message-ID: <1@example.org>\r\n"
                                "\r\n"
                                "Hello  Bob,\r\n"
                                "\r\n"
                                "bye\r\n";

/* Signs plain_msg with a new key of each type, then checks it, and checks
 * that an added From (what oversigning prevents) breaks it. */
static void test_dkim_sign_verify(void)
{
	test_begin("dkim sign and verify");
	char *dir = (char *)test_tmpdir();
	struct dkim_sign_key *keys[2];
	char records[2][600];
	for (int k = 0; k < 2; k++) {
		struct buf pem, rec;
		const char *error;
		buf_init(&pem);
		buf_init(&rec);
		test_assert(dkim_key_generate(k == 0, &pem, &rec, &error) == 0);
		char path[512];
		snprintf(path, sizeof(path), "%s/k%d.key", dir, k);
		FILE *f = fopen(path, "w");
		fwrite(pem.data, 1, pem.len, f);
		fclose(f);
		test_assert(dkim_sign_key_load(path, "example.org",
		                               k == 0 ? "e1" : "r1", &keys[k],
		                               &error) == 0);
		struct buf rec2;
		buf_init(&rec2);
		test_assert(dkim_key_record_from_pem(path, &rec2, &error) == 0);
		test_assert_str(rec2.data, rec.data);
		snprintf(records[k], sizeof(records[k]), "%s", rec.data);
		buf_deinit(&rec2);
		buf_deinit(&pem);
		buf_deinit(&rec);
	}
	const char *body = strstr(plain_msg, "\r\n\r\n") + 4;
	struct dkim_sign *s = dkim_sign_new(keys, 2, 1700000000, 86400);
	dkim_sign_body(s, body, strlen(body));
	struct buf out;
	const char *error;
	buf_init(&out);
	test_assert(dkim_sign_finish(s, plain_msg, (size_t)(body - plain_msg),
	                             &out, &error) == 0);
	dkim_sign_free(&s);
	test_assert(strstr(out.data, "h=from:from:subject:subject:date:") !=
	            NULL);
	test_assert(strstr(out.data, "x=1700086400") != NULL);
	buf_append_str(&out, plain_msg);
	const char *keyset[] = {"e1._domainkey.example.org", records[0],
	                        "r1._domainkey.example.org", records[1], NULL};
	struct dkim_verify_settings set = DKIM_VERIFY_SETTINGS_DEFAULT;
	struct dkim_verify *v =
	    verify_msg(out.data, 5, keyset, &set, 1700000100);
	test_assert(dkim_verify_count(v) == 2);
	test_assert_str(dkim_status_name(dkim_verify_result(v, 0)->status),
	                "pass");
	test_assert_str(dkim_status_name(dkim_verify_result(v, 1)->status),
	                "pass");
	test_assert(dkim_verify_result(v, 1)->key_bits == 2048);
	dkim_verify_free(&v);
	/* past x=: expired */
	v = verify_msg(out.data, 5, keyset, &set, 1700090000);
	test_assert_str(dkim_verify_result(v, 0)->reason, "signature expired");
	dkim_verify_free(&v);
	/* a second From below the signed one */
	struct buf forged;
	buf_init(&forged);
	buf_append(&forged, out.data, out.len);
	buf_append_str(&forged, "");
	char *from = strstr(forged.data, "From: Ann");
	size_t off = (size_t)(from - forged.data);
	struct buf f2;
	buf_init(&f2);
	buf_append(&f2, forged.data, off);
	buf_append_str(&f2, "From: Mallory <m@example.org>\r\n");
	buf_append_str(&f2, forged.data + off);
	v = verify_msg(f2.data, 5, keyset, &set, 1700000100);
	test_assert_str(dkim_status_name(dkim_verify_result(v, 0)->status),
	                "fail");
	dkim_verify_free(&v);
	buf_deinit(&f2);
	buf_deinit(&forged);
	buf_deinit(&out);
	dkim_sign_key_free(&keys[0]);
	dkim_sign_key_free(&keys[1]);
	test_end();
}

static void test_dkim_sig_parse(void)
{
	static const struct {
		const char *in;
		const char *error; /* NULL: parses */
	} cases[] = {
	    {"v=1; a=rsa-sha256; d=a.org; s=s; h=from; bh=YQ==; b=YQ==", NULL},
	    {"v=1; a=rsa-sha1; d=a.org; s=s; h=from; bh=YQ==; b=YQ==",
	     "rsa-sha1 is not accepted (RFC 8301)"},
	    {"v=1; a=rsa-sha256; d=a.org; s=s; h=to; bh=YQ==; b=YQ==",
	     "h= does not sign From"},
	    {"v=1; a=rsa-sha256; d=a.org; s=s; h=from; bh=YQ==; b=YQ==; "
	     "i=x@b.org",
	     "i= not within d="},
	    {"v=1; a=rsa-sha256; d=a.org; s=s; h=from; bh=YQ==; b=YQ==; "
	     "i=x@sub.a.org; t=10; x=9",
	     "x= before t="},
	    {"v=2; a=rsa-sha256; d=a.org; s=s; h=from; bh=YQ==; b=YQ==",
	     "unsupported version"},
	    {"v=1; a=rsa-sha256; d=a.org; h=from; bh=YQ==; b=YQ==",
	     "missing required tag"},
	    {"v=1; a=rsa-sha256; d=a.org; s=s; h=from; bh=YQ==; b=YQ==; "
	     "l=12x",
	     "bad l= tag"},
	};
	test_begin("dkim signature parse");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool *pool = pool_new();
		struct dkim_sig sig;
		const char *error = NULL;
		int ret = dkim_sig_parse(cases[i].in, strlen(cases[i].in), pool,
		                         &sig, &error);
		if (cases[i].error == NULL)
			test_assert_idx(ret == 0, i);
		else
			test_assert_str(ret < 0 ? error : "ok", cases[i].error);
		pool_free(&pool);
	}
	struct dkim_key *key;
	const char *error;
	test_assert(dkim_key_parse("v=DKIM1; p=", 11, &key, &error) < 0);
	test_assert_str(error, "key revoked");
	test_assert(dkim_key_parse("p=abc; v=DKIM1", 14, &key, &error) < 0);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_dkim_tags,        test_dkim_canon,     test_dkim_rfc8463,
	    test_dkim_sign_verify, test_dkim_sig_parse, NULL};
	return test_run(tests);
}
