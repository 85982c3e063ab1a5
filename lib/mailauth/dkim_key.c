/* DKIM keys (RFC 6376 §3.6.1): key records from DNS, private keys from
 * PEM files, new pairs (RSA-2048, Ed25519 as RFC 8463 §4), and the two
 * signature primitives over OpenSSL's EVP interface. */
#include "mailauth/dkim_private.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/pool.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct dkim_key {
	EVP_PKEY *pkey;
	bool is_ed25519, is_testing, is_strict;
	unsigned bits;
};

struct dkim_sign_key {
	EVP_PKEY *pkey;
	enum dkim_alg alg;
	char *domain, *selector;
};

/* Does the colon-separated list (h= or s= of a key record) hold word or
 * "*"? */
static bool list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; *p != '\0';) {
		while (*p == ':' || *p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ": \t");
		if ((n == wl && strncasecmp(p, word, n) == 0) ||
		    (n == 1 && *p == '*'))
			return true;
		p += n;
	}
	return false;
}

static EVP_PKEY *key_decode(bool is_ed25519, const struct buf *der)
{
	const unsigned char *p = (const unsigned char *)der->data;
	if (is_ed25519)
		return der->len == 32 ? EVP_PKEY_new_raw_public_key(
		                            EVP_PKEY_ED25519, NULL, p, 32)
		                      : NULL;
	/* SubjectPublicKeyInfo, as everyone publishes; RFC 6376 §3.6.1 also
	 * names a bare RSAPublicKey */
	EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)der->len);
	if (pkey == NULL) {
		p = (const unsigned char *)der->data;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)der->len);
	}
	if (pkey != NULL && EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

static int key_check_tags(const struct dkim_tag *tags, size_t count,
                          bool *is_ed25519_r, const char **error_r)
{
	const char *v = dkim_tags_get(tags, count, "v");
	const char *k = dkim_tags_get(tags, count, "k");
	const char *h = dkim_tags_get(tags, count, "h");
	const char *s = dkim_tags_get(tags, count, "s");
	if (v != NULL &&
	    (strcmp(tags[0].name, "v") != 0 || strcmp(v, "DKIM1") != 0)) {
		*error_r = "bad v= in key record";
		return -1;
	}
	*is_ed25519_r = k != NULL && strcasecmp(k, "ed25519") == 0;
	if (k != NULL && !*is_ed25519_r && strcasecmp(k, "rsa") != 0) {
		*error_r = "unknown key type";
		return -1;
	}
	if (h != NULL && !list_has(h, "sha256")) {
		*error_r = "key record does not allow sha256";
		return -1;
	}
	if (s != NULL && !list_has(s, "email")) {
		*error_r = "key record not for email";
		return -1;
	}
	return 0;
}

int dkim_key_parse(const char *txt, size_t len, struct dkim_key **key_r,
                   const char **error_r)
{
	struct pool *pool = pool_new();
	struct dkim_tag *tags;
	size_t count;
	bool is_ed25519;
	int ret = -1;
	if (dkim_tags_parse(txt, len, pool, &tags, &count, error_r) < 0 ||
	    key_check_tags(tags, count, &is_ed25519, error_r) < 0)
		goto out;
	const char *p = dkim_tags_get(tags, count, "p");
	if (p == NULL) {
		*error_r = "key record without p=";
		goto out;
	}
	struct buf der, clean;
	buf_init(&der);
	buf_init(&clean);
	for (const char *c = p; *c != '\0'; c++) {
		if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '\n')
			buf_append_char(&clean, *c);
	}
	EVP_PKEY *pkey = NULL;
	if (clean.len == 0)
		*error_r = "key revoked";
	else if (base64_decode(clean.data, clean.len, &der) < 0 ||
	         (pkey = key_decode(is_ed25519, &der)) == NULL)
		*error_r = "bad public key";
	buf_deinit(&der);
	buf_deinit(&clean);
	if (pkey == NULL)
		goto out;
	struct dkim_key *key = xcalloc(1, sizeof(*key));
	key->pkey = pkey;
	key->is_ed25519 = is_ed25519;
	key->bits = (unsigned)EVP_PKEY_get_bits(pkey);
	const char *t = dkim_tags_get(tags, count, "t");
	key->is_testing =
	    t != NULL && list_has(t, "y") && strchr(t, '*') == NULL;
	key->is_strict =
	    t != NULL && list_has(t, "s") && strchr(t, '*') == NULL;
	*key_r = key;
	ret = 0;
out:
	pool_free(&pool);
	return ret;
}

void dkim_key_free(struct dkim_key **keyp)
{
	struct dkim_key *key = *keyp;
	if (key == NULL)
		return;
	*keyp = NULL;
	EVP_PKEY_free(key->pkey);
	free(key);
}

unsigned dkim_key_bits(const struct dkim_key *key)
{
	return key->bits;
}

bool dkim_key_is_ed25519(const struct dkim_key *key)
{
	return key->is_ed25519;
}

bool dkim_key_is_testing(const struct dkim_key *key)
{
	return key->is_testing;
}

bool dkim_key_is_strict(const struct dkim_key *key)
{
	return key->is_strict;
}

int dkim_key_verify(const struct dkim_key *key, enum dkim_alg alg,
                    const void *data, size_t size, const unsigned char *sig,
                    size_t sig_len)
{
	if ((alg == DKIM_ALG_ED25519_SHA256) != key->is_ed25519)
		return 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ASSERT(md != NULL);
	int ok;
	if (key->is_ed25519) {
		unsigned char hash[32];
		unsigned len = 0;
		ok = EVP_Digest(data, size, hash, &len, EVP_sha256(), NULL) ==
		         1 &&
		     EVP_DigestVerifyInit(md, NULL, NULL, NULL, key->pkey) ==
		         1 &&
		     EVP_DigestVerify(md, sig, sig_len, hash, len) == 1;
	} else {
		ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
		                          key->pkey) == 1 &&
		     EVP_DigestVerify(md, sig, sig_len, data, size) == 1;
	}
	EVP_MD_CTX_free(md);
	return ok ? 1 : 0;
}

/* ---- Private keys ------------------------------------------------------- */

int dkim_sign_key_load(const char *path, const char *domain,
                       const char *selector, struct dkim_sign_key **key_r,
                       const char **error_r)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*error_r = "cannot open the key file";
		return -1;
	}
	EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL) {
		*error_r = "not a PEM private key";
		return -1;
	}
	int id = EVP_PKEY_get_base_id(pkey);
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		*error_r = "neither an RSA nor an Ed25519 key";
		return -1;
	}
	struct dkim_sign_key *key = xcalloc(1, sizeof(*key));
	key->pkey = pkey;
	key->alg =
	    id == EVP_PKEY_RSA ? DKIM_ALG_RSA_SHA256 : DKIM_ALG_ED25519_SHA256;
	key->domain = xstrdup(domain);
	key->selector = xstrdup(selector);
	*key_r = key;
	return 0;
}

void dkim_sign_key_free(struct dkim_sign_key **keyp)
{
	struct dkim_sign_key *key = *keyp;
	if (key == NULL)
		return;
	*keyp = NULL;
	EVP_PKEY_free(key->pkey);
	free(key->domain);
	free(key->selector);
	free(key);
}

enum dkim_alg dkim_sign_key_alg(const struct dkim_sign_key *key)
{
	return key->alg;
}

const char *dkim_sign_key_domain(const struct dkim_sign_key *key)
{
	return key->domain;
}

const char *dkim_sign_key_selector(const struct dkim_sign_key *key)
{
	return key->selector;
}

int dkim_sign_key_sign(const struct dkim_sign_key *key, const void *data,
                       size_t size, struct buf *out)
{
	unsigned char hash[32];
	unsigned hash_len = 0;
	const void *in = data;
	size_t in_len = size;
	const EVP_MD *md_type = EVP_sha256();
	if (key->alg == DKIM_ALG_ED25519_SHA256) {
		if (EVP_Digest(data, size, hash, &hash_len, EVP_sha256(),
		               NULL) != 1)
			return -1;
		in = hash;
		in_len = hash_len;
		md_type = NULL;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ASSERT(md != NULL);
	size_t sig_len = 0;
	int ret = -1;
	if (EVP_DigestSignInit(md, NULL, md_type, NULL, key->pkey) == 1 &&
	    EVP_DigestSign(md, NULL, &sig_len, in, in_len) == 1) {
		buf_reserve(out, sig_len);
		if (EVP_DigestSign(md, (unsigned char *)out->data + out->len,
		                   &sig_len, in, in_len) == 1) {
			out->len += sig_len;
			out->data[out->len] = '\0';
			ret = 0;
		}
	}
	EVP_MD_CTX_free(md);
	return ret;
}

/* Appends the key record of pkey: "v=DKIM1; k=...; p=<base64>". */
static int key_record(EVP_PKEY *pkey, struct buf *out)
{
	bool is_ed25519 = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;
	unsigned char raw[32], *der = NULL;
	size_t len = sizeof(raw);
	buf_printf(out, "v=DKIM1; k=%s; p=", is_ed25519 ? "ed25519" : "rsa");
	if (is_ed25519) {
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1)
			return -1;
		base64_encode(raw, len, out);
		return 0;
	}
	int n = i2d_PUBKEY(pkey, &der);
	if (n <= 0)
		return -1;
	base64_encode(der, (size_t)n, out);
	OPENSSL_free(der);
	return 0;
}

int dkim_key_generate(bool is_ed25519, struct buf *pem_out,
                      struct buf *record_out, const char **error_r)
{
	EVP_PKEY *pkey =
	    is_ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	               : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (pkey == NULL) {
		*error_r = "key generation failed";
		return -1;
	}
	BIO *bio = BIO_new(BIO_s_mem());
	ASSERT(bio != NULL);
	char *mem;
	int ret = -1;
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) ==
	        1 &&
	    key_record(pkey, record_out) == 0) {
		long n = BIO_get_mem_data(bio, &mem);
		buf_append(pem_out, mem, (size_t)n);
		ret = 0;
	} else {
		*error_r = "cannot encode the key";
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return ret;
}

int dkim_key_record_from_pem(const char *path, struct buf *record_out,
                             const char **error_r)
{
	struct dkim_sign_key *key;
	if (dkim_sign_key_load(path, "", "", &key, error_r) < 0)
		return -1;
	int ret = key_record(key->pkey, record_out);
	dkim_sign_key_free(&key);
	if (ret < 0)
		*error_r = "cannot encode the key";
	return ret;
}
