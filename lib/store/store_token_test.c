/* Tests of sessions and bearer tokens: secrets shown once and kept only
 * hashed, the kinds kept apart, idle and absolute expiry, revoking one or
 * all but one, another account's ids, and removal with the account. */
#include "core/digest.h"
#include "core/pool.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "store/store_token.h"
#include "test/test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static struct store *store;

static void count_cb(const struct store_token_info *info, void *ctx)
{
	(void)info;
	(*(unsigned *)ctx)++;
}

static unsigned count(const char *address, enum store_token_kind kind)
{
	unsigned n = 0;
	test_assert(store_token_list(store, address, kind, count_cb, &n) == 0);
	return n;
}

static void test_create_and_check(void)
{
	test_begin("store token create and check");
	struct pool *pool = pool_new();
	char secret[STORE_TOKEN_SECRET_MAX + 1], bearer[STORE_TOKEN_SECRET_MAX + 1];
	int64_t id, bid;
	const char *error;
	time_t now = time(NULL);
	test_assert(store_token_create(store, "A@example.com",
	                               STORE_TOKEN_SESSION, "Firefox",
	                               "127.0.0.1", now + 3600, secret, &id,
	                               &error) == 0);
	test_assert(strlen(secret) == 43);
	test_assert(strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                           "qrstuvwxyz0123456789-_") == 43);
	test_assert(store_token_create(store, "a@example.com",
	                               STORE_TOKEN_BEARER, "cli", NULL, 0,
	                               bearer, &bid, &error) == 0);
	test_assert(strncmp(bearer, "prt_", 4) == 0 && strlen(bearer) == 47);
	test_assert(strcmp(secret, bearer + 4) != 0);
	struct store_token_info info;
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, secret, now,
	                              600, pool, &info) == 1);
	test_assert_str(info.address, "a@example.com");
	test_assert_str(info.name, "Firefox");
	test_assert_str(info.ip, "127.0.0.1");
	test_assert(info.id == id);
	/* the kinds are kept apart: a session is no bearer token */
	test_assert(store_token_check(store, STORE_TOKEN_BEARER, secret, now,
	                              0, pool, &info) == 0);
	test_assert(store_token_check(store, STORE_TOKEN_BEARER, bearer, now,
	                              0, pool, &info) == 1);
	test_assert(info.id == bid && info.expires == 0);
	/* one byte off */
	secret[5] = secret[5] == 'A' ? 'B' : 'A';
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, secret, now,
	                              600, pool, &info) == 0);
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, "", now,
	                              600, pool, &info) == 0);
	test_assert(store_token_create(store, "nobody@example.com",
	                               STORE_TOKEN_BEARER, NULL, NULL, 0,
	                               bearer, NULL, &error) == -1);
	test_assert_str(error, "no such account");
	test_assert(store_token_revoke_all(store, "a@example.com",
	                                   STORE_TOKEN_SESSION, 0) == 1);
	test_assert(store_token_revoke_all(store, "a@example.com",
	                                   STORE_TOKEN_BEARER, 0) == 1);
	pool_free(&pool);
	test_end();
}

/* Only the hash is in the database: no column holds the secret. */
static void test_hashed(void)
{
	test_begin("store token kept hashed");
	char secret[STORE_TOKEN_SECRET_MAX + 1];
	const char *error;
	test_assert(store_token_create(store, "a@example.com",
	                               STORE_TOKEN_BEARER, "x", NULL, 0,
	                               secret, NULL, &error) == 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/token/postroom.db", test_tmpdir());
	sqlite3 *db;
	test_assert(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	            SQLITE_OK);
	sqlite3_stmt *stmt;
	test_assert(sqlite3_prepare_v2(db, "SELECT hash FROM tokens", -1,
	                               &stmt, NULL) == SQLITE_OK);
	char want[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_hex(secret, strlen(secret), want);
	bool found = false;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(stmt, 0);
		test_assert(strstr(h, secret) == NULL);
		found |= strcmp(h, want) == 0;
	}
	test_assert(found);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	test_assert(store_token_revoke_all(store, "a@example.com",
	                                   STORE_TOKEN_BEARER, 0) == 1);
	test_end();
}

static void test_expiry(void)
{
	test_begin("store token idle and absolute expiry");
	struct pool *pool = pool_new();
	char s1[STORE_TOKEN_SECRET_MAX + 1], s2[STORE_TOKEN_SECRET_MAX + 1];
	const char *error;
	struct store_token_info info;
	time_t now = time(NULL);
	test_assert(store_token_create(store, "a@example.com",
	                               STORE_TOKEN_SESSION, NULL, NULL,
	                               now + 1000, s1, NULL, &error) == 0);
	/* used within the idle time: it stays, and the use moves it on */
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, s1, now + 500,
	                              600, pool, &info) == 1);
	test_assert(info.last_used == now + 500);
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, s1,
	                              now + 1050, 600, pool, &info) == 0);
	/* gone for good, even at an earlier time */
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, s1, now,
	                              600, pool, &info) == 0);
	test_assert(store_token_create(store, "a@example.com",
	                               STORE_TOKEN_SESSION, NULL, NULL,
	                               now + 100000, s2, NULL, &error) == 0);
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, s2, now + 601,
	                              600, pool, &info) == 0);
	test_assert(count("a@example.com", STORE_TOKEN_SESSION) == 0);
	/* a bearer token ignores the idle time, not its expiry */
	test_assert(store_token_create(store, "a@example.com",
	                               STORE_TOKEN_BEARER, NULL, NULL,
	                               now + 100000, s1, NULL, &error) == 0);
	test_assert(store_token_check(store, STORE_TOKEN_BEARER, s1,
	                              now + 50000, 600, pool, &info) == 1);
	test_assert(store_token_check(store, STORE_TOKEN_BEARER, s1,
	                              now + 100000, 600, pool, &info) == 0);
	pool_free(&pool);
	test_end();
}

static void test_revoke(void)
{
	test_begin("store token revoke, other accounts, account removal");
	struct pool *pool = pool_new();
	char s[3][STORE_TOKEN_SECRET_MAX + 1], other[STORE_TOKEN_SECRET_MAX + 1];
	int64_t ids[3], other_id;
	const char *error;
	struct store_token_info info;
	for (int i = 0; i < 3; i++)
		test_assert(store_token_create(store, "a@example.com",
		                               STORE_TOKEN_SESSION, NULL, NULL,
		                               0, s[i], &ids[i], &error) == 0);
	test_assert(store_token_create(store, "b@example.com",
	                               STORE_TOKEN_SESSION, NULL, NULL, 0,
	                               other, &other_id, &error) == 0);
	test_assert(count("a@example.com", STORE_TOKEN_SESSION) == 3);
	/* another account's id is not ours to revoke */
	test_assert(store_token_revoke(store, "a@example.com", other_id) == 0);
	test_assert(store_token_revoke(store, "a@example.com", ids[0]) == 1);
	test_assert(store_token_revoke(store, "a@example.com", ids[0]) == 0);
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, s[0],
	                              time(NULL), 0, pool, &info) == 0);
	/* all but the current one (a password change) */
	test_assert(store_token_revoke_all(store, "a@example.com",
	                                   STORE_TOKEN_SESSION, ids[2]) == 1);
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, s[1],
	                              time(NULL), 0, pool, &info) == 0);
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, s[2],
	                              time(NULL), 0, pool, &info) == 1);
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, other,
	                              time(NULL), 0, pool, &info) == 1);
	test_assert_str(info.address, "b@example.com");
	/* the account goes, and its sessions with it */
	test_assert(store_account_del(store, "b@example.com", &error) == 0);
	test_assert(store_token_check(store, STORE_TOKEN_SESSION, other,
	                              time(NULL), 0, pool, &info) == 0);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	store = store_testing_open("token", "example.com");
	struct store_account *a = store_testing_account(store, "a@example.com");
	struct store_account *b = store_testing_account(store, "b@example.com");
	store_account_close(&a);
	store_account_close(&b);
	static void (*const tests[])(void) = {test_create_and_check,
	                                      test_hashed, test_expiry,
	                                      test_revoke, NULL};
	int ret = test_run(tests);
	store_close(&store);
	return ret;
}
