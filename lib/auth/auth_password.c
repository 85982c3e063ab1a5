/* Password hashing and checking with libxcrypt's yescrypt ("$y$", the hash
 * Debian uses for /etc/shadow). Hashes are compared in constant time, and
 * every copy of a plain-text password or computed hash made here is wiped
 * with explicit_bzero() before its memory is released. */
#include "auth/auth.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

/* Returns true if a and b hold the same bytes; the time taken depends only
 * on the lengths, never on where the first difference is. */
static bool secret_equals(const char *a, const char *b)
{
	size_t alen = strlen(a), blen = strlen(b);
	size_t n = alen > blen ? alen : blen;
	unsigned char diff = alen != blen;
	for (size_t i = 0; i < n; i++) {
		unsigned char ca = i < alen ? (unsigned char)a[i] : 0;
		unsigned char cb = i < blen ? (unsigned char)b[i] : 0;
		diff |= ca ^ cb;
	}
	return diff == 0;
}

/* crypt_ra() returns "*0"/"*1" (or NULL) on failure, never a real hash. */
static bool crypt_failed(const char *result)
{
	return result == NULL || result[0] == '*' || result[0] == '\0';
}

int auth_password_hash(const char *password, char **hash_r,
                       const char **error_r)
{
	char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (salt == NULL) {
		*error_r = "cannot make a yescrypt salt";
		return -1;
	}
	void *data = NULL;
	int data_size = 0;
	const char *result = crypt_ra(password, salt, &data, &data_size);
	free(salt);
	int ret = 0;
	if (crypt_failed(result)) {
		*error_r = "yescrypt hashing failed";
		ret = -1;
	} else {
		*hash_r = xstrdup(result);
	}
	if (data != NULL) {
		explicit_bzero(data, (size_t)data_size);
		free(data);
	}
	return ret;
}

int auth_password_verify(const char *password, const char *hash)
{
	if (hash == NULL || hash[0] == '\0' || hash[0] == '*' || hash[0] == '!')
		return 0;
	void *data = NULL;
	int data_size = 0;
	const char *result = crypt_ra(password, hash, &data, &data_size);
	int ret = !crypt_failed(result) && secret_equals(result, hash) ? 1 : 0;
	if (data != NULL) {
		explicit_bzero(data, (size_t)data_size);
		free(data);
	}
	return ret;
}

const char *auth_password_dummy_hash(void)
{
	static char *dummy;
	if (dummy == NULL) {
		/* A random password nobody keeps: its hash costs what a real
		 * one does, and no input can match it. */
		char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
		ASSERT(salt != NULL);
		const char *error;
		int ret = auth_password_hash(salt, &dummy, &error);
		explicit_bzero(salt, strlen(salt));
		free(salt);
		if (ret < 0)
			log_panic("dummy password hash: %s", error);
	}
	return dummy;
}
