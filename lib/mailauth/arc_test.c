/* Tests for ARC (RFC 8617): chains sealed by dkimpy (one and two
 * instances, tests/data/mailauth/arc-dkimpy-*.eml, made by
 * arc-dkimpy-gen.py) validate here, and fail when a body, a sealed field
 * or a key changes; the structural rules of §5.2 (incomplete or duplicate
 * sets, cv= per instance, at most 50); and what arc_seal makes validates,
 * sealed alone, on top of dkimpy's chain, and as a whole message. */
#include "mailauth/arc.h"
#include "core/buf.h"
#include "core/pool.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *data_dir = "tests/data/mailauth";

/* "name record" lines of arc-dkimpy-keys.txt, and keys made here */
static char keys[8][2][600];
static size_t key_count;

static void key_add(const char *name, const char *record)
{
	snprintf(keys[key_count][0], sizeof(keys[0][0]), "%s", name);
	snprintf(keys[key_count][1], sizeof(keys[0][1]), "%s", record);
	key_count++;
}

static void file_read(const char *name, struct buf *out)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	FILE *f = fopen(path, "rb");
	test_assert(f != NULL);
	if (f == NULL)
		return;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	fclose(f);
}

static void keys_load(void)
{
	struct buf b;
	buf_init(&b);
	file_read("arc-dkimpy-keys.txt", &b);
	char *save = NULL;
	for (char *line = strtok_r(b.data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		key_add(line, sp + 1);
	}
	buf_deinit(&b);
}

/* Validates msg, feeding the body step bytes at a time; keys come from
 * the table (missing: NONE; the name "tempfail..." never answers). */
static struct arc_verify *verify_msg(const char *msg, size_t step)
{
	struct dkim_verify_settings set = DKIM_VERIFY_SETTINGS_DEFAULT;
	const char *body = strstr(msg, "\r\n\r\n");
	size_t head = body != NULL ? (size_t)(body - msg) + 2 : strlen(msg);
	struct arc_verify *v = arc_verify_new(msg, head, &set);
	const char *rest = msg + head + 2;
	size_t len = strlen(rest);
	for (size_t i = 0; i < len; i += step)
		arc_verify_body(v, rest + i, len - i < step ? len - i : step);
	arc_verify_body_end(v);
	for (size_t i = 0; i < arc_verify_key_count(v); i++) {
		const char *name = arc_verify_key_name(v, i);
		const char *txt[1];
		size_t lens[1];
		bool found = false;
		for (size_t k = 0; k < key_count && !found; k++) {
			if (strcmp(keys[k][0], name) != 0)
				continue;
			txt[0] = keys[k][1];
			lens[0] = strlen(txt[0]);
			found = true;
		}
		if (strncmp(name, "tempfail", 8) == 0)
			arc_verify_key(v, i, DKIM_KEY_TEMPFAIL, NULL, NULL, 0);
		else if (found)
			arc_verify_key(v, i, DKIM_KEY_FOUND, txt, lens, 1);
		else
			arc_verify_key(v, i, DKIM_KEY_NONE, NULL, NULL, 0);
	}
	return v;
}

static const char *cv_of(const char *msg, size_t step)
{
	static char out[400];
	struct arc_verify *v = verify_msg(msg, step);
	const struct arc_result *r = arc_verify_result(v);
	snprintf(out, sizeof(out), "%s i=%u %s%s%s", arc_cv_name(r->cv),
	         r->instance, r->sealer != NULL ? r->sealer : "-",
	         r->reason != NULL ? ": " : "",
	         r->reason != NULL ? r->reason : "");
	arc_verify_free(&v);
	return out;
}

/* msg with the first occurrence of from replaced by to (heap). */
static char *replace(const char *msg, const char *from, const char *to)
{
	const char *p = strstr(msg, from);
	test_assert(p != NULL);
	if (p == NULL)
		return strdup(msg);
	struct buf b;
	buf_init(&b);
	buf_append(&b, msg, (size_t)(p - msg));
	buf_append_str(&b, to);
	buf_append_str(&b, p + strlen(from));
	char *out = strdup(b.data);
	buf_deinit(&b);
	return out;
}

static void test_arc_dkimpy(void)
{
	struct buf i1, i2;
	buf_init(&i1);
	buf_init(&i2);
	test_begin("arc chains sealed by dkimpy");
	file_read("arc-dkimpy-i1.eml", &i1);
	file_read("arc-dkimpy-i2.eml", &i2);
	test_assert_str(cv_of(i1.data, 1 << 20), "pass i=1 forwarder.test");
	test_assert_str(cv_of(i1.data, 1), "pass i=1 forwarder.test");
	test_assert_str(cv_of(i2.data, 1 << 20), "pass i=2 list.test");
	test_assert_str(cv_of(i2.data, 3), "pass i=2 list.test");
	/* the body changed after the newest seal */
	char *m = replace(i2.data, "this is  the body", "this is a body");
	test_assert_str(cv_of(m, 7),
	                "fail i=2 list.test: ARC-Message-Signature i=2: "
	                "body hash did not verify");
	free(m);
	/* the verdict of the first hop changed: both seals cover it */
	m = replace(i2.data, "dmarc=pass header.from=origin.test",
	            "dmarc=pass header.from=evil.test");
	test_assert_str(cv_of(m, 100),
	                "fail i=2 list.test: ARC-Seal i=2 did not verify");
	free(m);
	/* a signed field of the message changed (the AMS of i=2 fails;
	 * the older AMS is not looked at) */
	m = replace(i2.data, "Subject: ARC test", "Subject: ARC Test");
	test_assert_str(cv_of(m, 100), "fail i=2 list.test: "
	                               "ARC-Message-Signature i=2 did not "
	                               "verify");
	free(m);
	/* the key of the first sealer is gone, or cannot be fetched */
	m = replace(i2.data, "s=arc1;", "s=gone;");
	test_assert_str(cv_of(m, 100), "fail i=2 list.test: ARC-Seal i=2 did "
	                               "not verify");
	free(m);
	m = replace(i1.data, "s=arc1;\r\n t=", "s=tempfail;\r\n t=");
	struct arc_verify *v = verify_msg(m, 100);
	const struct arc_result *r = arc_verify_result(v);
	test_assert_str(arc_cv_name(r->cv), "fail");
	test_assert(r->is_temperror);
	test_assert_str(r->reason, "ARC-Seal i=1: key lookup failed");
	arc_verify_free(&v);
	free(m);
	buf_deinit(&i1);
	buf_deinit(&i2);
	test_end();
}

static void test_arc_structure(void)
{
	static const char body[] = "\r\nbody\r\n";
	static const struct {
		const char *fields, *want;
	} cases[] = {
	    {"From: a@b.test\r\n", "none i=0 -"},
	    /* an AAR alone: set 1 is incomplete */
	    {"ARC-Authentication-Results: i=1; x.test; spf=pass\r\n",
	     "fail i=1 -: ARC set i=1 incomplete"},
	    {"ARC-Authentication-Results: i=1; x.test; spf=pass\r\n"
	     "ARC-Authentication-Results: i=1; y.test; spf=pass\r\n",
	     "fail i=1 -: two ARC sets with i=1"},
	    {"ARC-Authentication-Results: i=51; x.test; spf=pass\r\n",
	     "fail i=0 -: malformed ARC-Authentication-Results"},
	    {"ARC-Authentication-Results: x.test; spf=pass\r\n",
	     "fail i=0 -: malformed ARC-Authentication-Results"},
	    {"ARC-Seal: i=1; a=rsa-sha256; cv=pass; d=x.test; s=s; b=AAAA\r\n",
	     "fail i=1 x.test: cv=pass at i=1"},
	    {"ARC-Seal: i=2; a=rsa-sha256; cv=none; d=x.test; s=s; b=AAAA\r\n",
	     "fail i=2 x.test: cv=none at i=2"},
	    {"ARC-Seal: i=3; a=rsa-sha256; cv=fail; d=x.test; s=s; b=AAAA\r\n",
	     "fail i=3 x.test: the chain was marked failed at i=3"},
	    {"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.test; s=s; b=AAAA; "
	     "h=from\r\n",
	     "fail i=0 -: malformed ARC-Seal: h= in an ARC-Seal"},
	    {"ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=x.test; s=s; b=AAAA\r\n"
	     "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.test; s=s; b=AAAA\r\n",
	     "fail i=2 x.test: ARC set i=1 incomplete"},
	    {"ARC-Message-Signature: i=1; a=rsa-sha1; d=x.test; s=s; b=AAAA; "
	     "bh=AAAA; h=from\r\n",
	     "fail i=0 -: malformed ARC-Message-Signature: rsa-sha1 is not "
	     "accepted (RFC 8301)"},
	};
	test_begin("arc chain structure");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf m;
		buf_init(&m);
		buf_printf(&m, "%sFrom: a@b.test\r\n%s", cases[i].fields, body);
		const char *got = cv_of(m.data, 1000);
		if (strcmp(got, cases[i].want) != 0)
			printf("case %zu: got %s\n", i, got);
		test_assert_idx(strcmp(got, cases[i].want) == 0, i);
		buf_deinit(&m);
	}
	test_end();
}

static struct dkim_sign_key *key_make(bool is_ed25519, const char *selector)
{
	struct buf pem, rec;
	const char *error;
	struct dkim_sign_key *key = NULL;
	buf_init(&pem);
	buf_init(&rec);
	test_assert(dkim_key_generate(is_ed25519, &pem, &rec, &error) == 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.key", test_tmpdir(), selector);
	FILE *f = fopen(path, "w");
	fwrite(pem.data, 1, pem.len, f);
	fclose(f);
	test_assert(dkim_sign_key_load(path, "sealer.test", selector, &key,
	                               &error) == 0);
	char name[100];
	snprintf(name, sizeof(name), "%s._domainkey.sealer.test", selector);
	key_add(name, rec.data);
	buf_deinit(&pem);
	buf_deinit(&rec);
	return key;
}

/* Seals msg (header and body split at the empty line) with key on top of
 * it; returns the sealed message (heap). */
static char *seal(const struct dkim_sign_key *key, const char *msg,
                  enum arc_cv cv, const char **error_r)
{
	const char *body = strstr(msg, "\r\n\r\n") + 4;
	struct arc_seal *s = arc_seal_new(key, 1700000500);
	for (const char *p = body; *p != '\0'; p++)
		arc_seal_body(s, p, 1);
	struct buf out;
	buf_init(&out);
	int ret = arc_seal_finish(s, msg, (size_t)(body - msg) - 2,
	                          "mx.sealer.test;\r\n\tspf=pass "
	                          "smtp.mailfrom=a@b.test",
	                          cv, &out, error_r);
	arc_seal_free(&s);
	char *sealed = NULL;
	if (ret == 0) {
		buf_append_str(&out, msg);
		sealed = strdup(out.data);
	}
	buf_deinit(&out);
	return sealed;
}

static void test_arc_seal(void)
{
	static const char msg[] =
	    "DKIM-Signature: v=1; a=rsa-sha256; d=b.test; s=x; h=from; "
	    "bh=AAAA; b=AAAA\r\n"
	    "From: A <a@b.test>\r\nTo: c@d.test\r\nSubject: sealed\r\n\r\n"
	    "line one  \r\n\r\nline three\r\n\r\n\r\n";
	const char *error;
	struct buf i2;
	buf_init(&i2);
	test_begin("arc seal");
	struct dkim_sign_key *rsa = key_make(false, "r1");
	struct dkim_sign_key *ed = key_make(true, "e1");
	char *one = seal(rsa, msg, ARC_CV_NONE, &error);
	test_assert(one != NULL);
	test_assert(strncmp(one,
	                    "ARC-Seal: i=1; a=rsa-sha256; t=1700000500; "
	                    "cv=none;\r\n\td=sealer.test; s=r1;\r\n\tb=",
	                    78) == 0);
	test_assert(strstr(one, "ARC-Authentication-Results: i=1; "
	                        "mx.sealer.test;\r\n\tspf=pass") != NULL);
	test_assert(strstr(one, "h=from:from:subject:subject:to:to:") != NULL);
	test_assert(strstr(one, "dkim-signature;") != NULL);
	test_assert_str(cv_of(one, 5), "pass i=1 sealer.test");
	/* a second set on ours, then the chain changed below it */
	char *two = seal(rsa, one, ARC_CV_PASS, &error);
	test_assert_str(cv_of(two, 1000), "pass i=2 sealer.test");
	char *bad = replace(two, "cv=none", "cv=pass");
	test_assert_str(cv_of(bad, 1000),
	                "fail i=2 sealer.test: cv=pass at i=1");
	free(bad);
	/* sealed as failed: the chain ends there */
	char *failed = seal(rsa, one, ARC_CV_FAIL, &error);
	test_assert_str(cv_of(failed, 1000),
	                "fail i=2 sealer.test: the chain was marked failed "
	                "at i=2");
	/* on top of dkimpy's two sets */
	file_read("arc-dkimpy-i2.eml", &i2);
	char *three = seal(rsa, i2.data, ARC_CV_PASS, &error);
	test_assert_str(cv_of(three, 1000), "pass i=3 sealer.test");
	/* Ed25519 does not seal */
	test_assert(seal(ed, msg, ARC_CV_NONE, &error) == NULL);
	test_assert_str(error, "ARC seals with an RSA key");
	free(one);
	free(two);
	free(failed);
	free(three);
	buf_deinit(&i2);
	dkim_sign_key_free(&rsa);
	dkim_sign_key_free(&ed);
	test_end();
}

static void test_arc_seal_message(void)
{
	static const char msg[] =
	    "Authentication-Results: other.test; spf=fail\r\n"
	    "Authentication-Results: mx.sealer.test;\r\n"
	    "\tarc=pass (i=2) smtp.remote-ip=192.0.2.1;\r\n"
	    "\tspf=fail smtp.mailfrom=x@y.test\r\n"
	    "From: a@b.test\r\nSubject: whole\r\n\r\nbody\r\n";
	const char *error;
	struct buf out, i2;
	buf_init(&out);
	buf_init(&i2);
	test_begin("arc seal a whole message");
	struct dkim_sign_key *rsa = key_make(false, "r2");
	/* our verdict says arc=pass: cv=pass, on a message without sets
	 * that is a seal the next hop refuses (cv=pass at i=1) */
	test_assert(arc_seal_message(rsa, msg, strlen(msg), "mx.sealer.test",
	                             1700000000, &out, &error) == 0);
	test_assert(strstr(out.data, "cv=pass") != NULL);
	test_assert(strstr(out.data,
	                   "ARC-Authentication-Results: i=1; "
	                   "mx.sealer.test;\r\n\tarc=pass (i=2)") != NULL);
	buf_truncate(&out, 0);
	test_assert(arc_seal_message(rsa, msg, strlen(msg), "nobody.test",
	                             1700000000, &out, &error) < 0);
	test_assert_str(error, "no Authentication-Results field of ours");
	/* dkimpy's chain with our verdict on top */
	file_read("arc-dkimpy-i2.eml", &i2);
	struct buf m;
	buf_init(&m);
	buf_append_str(&m, "Authentication-Results: mx.sealer.test; "
	                   "arc=pass smtp.remote-ip=192.0.2.1\r\n");
	buf_append(&m, i2.data, i2.len);
	buf_truncate(&out, 0);
	test_assert(arc_seal_message(rsa, m.data, m.len, "mx.sealer.test",
	                             1700000000, &out, &error) == 0);
	buf_append(&out, m.data, m.len);
	test_assert_str(cv_of(out.data, 1000), "pass i=3 sealer.test");
	buf_deinit(&m);
	buf_deinit(&out);
	buf_deinit(&i2);
	dkim_sign_key_free(&rsa);
	test_end();
}

int main(int argc, char **argv)
{
	static void (*const tests[])(void) = {
	    test_arc_dkimpy,
	    test_arc_structure,
	    test_arc_seal,
	    test_arc_seal_message,
	    NULL,
	};
	if (argc > 1)
		data_dir = argv[1];
	keys_load();
	return test_run(tests);
}
