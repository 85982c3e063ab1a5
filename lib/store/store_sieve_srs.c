/* The Sender Rewriting Scheme for mail that delivery rules redirect:
 *   SRS0=<hash>=<tt>=<domain>=<local>@<forwarding domain>
 * so that the copy leaves from an address of a local domain (an SPF
 * check of the next server passes for it) and a bounce of the copy still
 * reaches the original sender: store_address_resolve turns a valid SRS0
 * address of a local domain back into it. <tt> is the day (base32, mod
 * 1024) and <hash> 6 base32 characters of HMAC-SHA-256 (RFC 2104) over
 * the lowercased rest with a secret made at first use in data_dir/srs.key
 * (mode 0600); an address older than STORE_SIEVE_SRS_DAYS or with a wrong
 * hash is refused, so the store is no open relay. Case is folded, as
 * mail systems may change it. */
#include "core/digest.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_private.h"
#include "store/store_sieve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#define SRS_KEY_SIZE 32
#define SRS_HASH_LEN 6
#define SRS_DAYS_MOD 1024

static const char base32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Reads data_dir/srs.key, making it first when missing. Returns 0 or -1. */
static int srs_key(struct store *store, unsigned char key[SRS_KEY_SIZE])
{
	char *path = xasprintf("%s/srs.key", store->data_dir);
	int ret = -1;
	for (int attempt = 0; attempt < 2 && ret < 0; attempt++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, key, SRS_KEY_SIZE);
			close(fd);
			ret = n == SRS_KEY_SIZE ? 0 : -1;
			break;
		}
		if (errno != ENOENT)
			break;
		/* written under a temporary name, linked when complete */
		char *tmp = xasprintf("%s.%d", path, (int)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0 &&
		    getrandom(key, SRS_KEY_SIZE, 0) == SRS_KEY_SIZE &&
		    file_write_all(fd, key, SRS_KEY_SIZE) == 0 &&
		    fsync(fd) == 0) {
			close(fd);
			fd = -1;
			if (link(tmp, path) == 0)
				ret = 0; /* else another process won: read it */
		}
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
	}
	free(path);
	return ret;
}

static void hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

/* The hash field: HMAC-SHA-256(key, text) as base32, first chars. */
static void srs_hash(const unsigned char key[SRS_KEY_SIZE], const char *text,
                     char out[SRS_HASH_LEN + 1])
{
	unsigned char pad[64], inner[DIGEST_SHA256_SIZE],
	    outer[DIGEST_SHA256_SIZE];
	char hex[DIGEST_SHA256_HEX_LEN + 1];
	struct digest_sha256 *d = digest_sha256_new();
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < SRS_KEY_SIZE; i++)
		pad[i] ^= key[i];
	digest_sha256_update(d, pad, sizeof(pad));
	digest_sha256_update(d, text, strlen(text));
	digest_sha256_final_hex(d, hex);
	digest_sha256_free(&d);
	hex_to_bytes(hex, inner, sizeof(inner));
	d = digest_sha256_new();
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < SRS_KEY_SIZE; i++)
		pad[i] ^= key[i];
	digest_sha256_update(d, pad, sizeof(pad));
	digest_sha256_update(d, inner, sizeof(inner));
	digest_sha256_final_hex(d, hex);
	digest_sha256_free(&d);
	hex_to_bytes(hex, outer, sizeof(outer));
	for (size_t i = 0; i < SRS_HASH_LEN; i++)
		out[i] = base32[outer[i] & 31];
	out[SRS_HASH_LEN] = '\0';
}

static char *lower(struct pool *pool, const char *s)
{
	char *out = pool_strdup(pool, s);
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

int store_sieve_srs_forward(struct store *store, const char *sender,
                            const char *domain, time_t now, struct pool *pool,
                            const char **srs_r)
{
	unsigned char key[SRS_KEY_SIZE];
	const char *at = strrchr(sender, '@');
	if (at == NULL || at == sender || at[1] == '\0' ||
	    srs_key(store, key) < 0)
		return -1;
	unsigned day = (unsigned)((now / 86400) % SRS_DAYS_MOD);
	char tt[3] = {base32[day >> 5], base32[day & 31], '\0'};
	const char *rest = pool_printf(pool, "%s=%s=%.*s", tt, at + 1,
	                               (int)(at - sender), sender);
	char hash[SRS_HASH_LEN + 1];
	srs_hash(key, lower(pool, rest), hash);
	explicit_bzero(key, sizeof(key));
	*srs_r = pool_printf(pool, "SRS0=%s=%s@%s", hash, rest, domain);
	return 0;
}

int store_sieve_srs_reverse(struct store *store, const char *address,
                            time_t now, struct pool *pool, const char **orig_r)
{
	unsigned char key[SRS_KEY_SIZE];
	const char *at = strrchr(address, '@');
	if (at == NULL || strncasecmp(address, "srs0=", 5) != 0)
		return 0;
	/* SRS0=HHHHHH=TT=domain=local@forwarder */
	const char *h = address + 5;
	const char *rest = h + SRS_HASH_LEN + 1;
	if (at - h < SRS_HASH_LEN + 1 + 3 + 2 || h[SRS_HASH_LEN] != '=' ||
	    rest[2] != '=')
		return 0;
	const char *dom = rest + 3;
	const char *eq = memchr(dom, '=', (size_t)(at - dom));
	if (eq == NULL || eq == dom || eq + 1 >= at)
		return 0;
	const char *p1 = strchr(base32, rest[0] | 0x20);
	const char *p2 = strchr(base32, rest[1] | 0x20);
	if (p1 == NULL || p2 == NULL || rest[0] == '\0' || rest[1] == '\0')
		return 0;
	unsigned day = (unsigned)((p1 - base32) << 5 | (p2 - base32));
	unsigned today = (unsigned)((now / 86400) % SRS_DAYS_MOD);
	if ((today + SRS_DAYS_MOD - day) % SRS_DAYS_MOD > STORE_SIEVE_SRS_DAYS)
		return 0;
	if (srs_key(store, key) < 0)
		return -1;
	char hash[SRS_HASH_LEN + 1];
	const char *text =
	    lower(pool, pool_strndup(pool, rest, (size_t)(at - rest)));
	srs_hash(key, text, hash);
	explicit_bzero(key, sizeof(key));
	if (strncasecmp(hash, h, SRS_HASH_LEN) != 0)
		return 0;
	*orig_r = pool_printf(pool, "%.*s@%.*s", (int)(at - eq - 1), eq + 1,
	                      (int)(eq - dom), dom);
	return 1;
}
