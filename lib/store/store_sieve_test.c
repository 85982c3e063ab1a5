/* Tests of Sieve scripts and rules' memory in the store: several named
 * scripts with one active (RFC 5804 §1.5), put replacing and keeping the
 * active mark, delete refusing the active script, rename, names; keys
 * that expire; delivery keys marked without a row, also inside a batch. */
#include "core/pool.h"
#include "store/store.h"
#include "store/store_sieve.h"
#include "store/store_testing.h"
#include "test/test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct listing {
	char names[8][64];
	bool active[8];
	size_t sizes[8];
	int count;
};

static void list_cb(const struct store_sieve_script *s, void *ctx)
{
	struct listing *l = ctx;
	if (l->count >= 8)
		return;
	snprintf(l->names[l->count], sizeof(l->names[0]), "%s", s->name);
	l->active[l->count] = s->is_active;
	l->sizes[l->count++] = s->size;
}

static void test_scripts(void)
{
	struct store *store = store_testing_open("scripts", "example.org");
	struct store_account *a =
	    store_testing_account(store, "bob@example.org");
	struct pool *pool = pool_new();
	const char *error, *data, *name;
	size_t size;
	struct listing l = {0};
	test_begin("scripts: put, get, one active, delete, rename");
	test_assert(store_sieve_get_active(a, pool, &name, &data, &size) == 0);
	test_assert(store_sieve_put(a, "main", "keep;", 5, 100, &error) == 0);
	test_assert(store_sieve_put(a, "other", "discard;", 8, 100, &error) ==
	            0);
	test_assert(store_sieve_get(a, "main", pool, &data, &size) == 1);
	test_assert(size == 5 && strcmp(data, "keep;") == 0);
	test_assert(store_sieve_get(a, "nope", pool, &data, &size) == 0);
	test_assert(store_sieve_activate(a, "main", &error) == 0);
	test_assert(store_sieve_activate(a, "other", &error) == 0);
	test_assert(store_sieve_get_active(a, pool, &name, &data, &size) == 1);
	test_assert_str(name, "other");
	test_assert(store_sieve_activate(a, "nope", &error) < 0);
	test_assert_str(error, "no such script");
	/* a failed activation changed nothing */
	test_assert(store_sieve_get_active(a, pool, &name, &data, &size) == 1);
	test_assert_str(name, "other");
	/* a put replaces the text and keeps the active mark */
	test_assert(store_sieve_put(a, "other", "stop;", 5, 200, &error) == 0);
	test_assert(store_sieve_get_active(a, pool, &name, &data, &size) == 1);
	test_assert_str(data, "stop;");
	test_assert(store_sieve_delete(a, "other", &error) < 0);
	test_assert_str(error, "script is active");
	test_assert(store_sieve_delete(a, "nope", &error) < 0);
	test_assert_str(error, "no such script");
	test_assert(store_sieve_rename(a, "other", "main", &error) < 0);
	test_assert_str(error, "script exists");
	test_assert(store_sieve_rename(a, "other", "renamed", &error) == 0);
	test_assert(store_sieve_rename(a, "other", "x", &error) < 0);
	test_assert_str(error, "no such script");
	test_assert(store_sieve_get_active(a, pool, &name, &data, &size) == 1);
	test_assert_str(name, "renamed");
	test_assert(store_sieve_list(a, list_cb, &l) == 0);
	test_assert(l.count == 2);
	test_assert_str(l.names[0], "main");
	test_assert(!l.active[0] && l.sizes[0] == 5);
	test_assert_str(l.names[1], "renamed");
	test_assert(l.active[1]);
	test_assert(store_sieve_activate(a, NULL, &error) == 0);
	test_assert(store_sieve_get_active(a, pool, &name, &data, &size) == 0);
	test_assert(store_sieve_delete(a, "renamed", &error) == 0);
	pool_free(&pool);
	store_account_close(&a);
	store_close(&store);
	test_end();
}

static void test_names(void)
{
	static const struct {
		const char *name;
		bool valid;
	} cases[] = {
	    {"main", true},       {"Ferien \xc3\xa9t\xc3\xa9", true},
	    {"", false},          {"a/b", false},
	    {"tab\there", false}, {"\xc2\x85", false},
	    {"\xff", false},      {"\xc3", false},
	};
	test_begin("script names (RFC 5804 §1.6)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_assert_idx(store_sieve_name_is_valid(cases[i].name) ==
		                    cases[i].valid,
		                i);
	char long_name[STORE_SIEVE_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	test_assert(!store_sieve_name_is_valid(long_name));
	long_name[STORE_SIEVE_NAME_MAX] = '\0';
	test_assert(store_sieve_name_is_valid(long_name));
	test_end();
}

static void test_memory(void)
{
	struct store *store = store_testing_open("memory", "example.org");
	struct store_account *a =
	    store_testing_account(store, "bob@example.org");
	const char *error;
	test_begin("memory: keys expire; delivery keys without rows");
	test_assert(store_sieve_memory_seen(a, "v:1", 100) == 0);
	test_assert(store_sieve_memory_put(a, "v:1", 200, 100, &error) == 0);
	test_assert(store_sieve_memory_seen(a, "v:1", 199) == 1);
	test_assert(store_sieve_memory_seen(a, "v:1", 200) == 0);
	test_assert(store_sieve_memory_put(a, "v:1", 300, 100, &error) == 0);
	test_assert(store_sieve_memory_seen(a, "v:1", 250) == 1);
	/* an expired key is pruned by a later put */
	test_assert(store_sieve_memory_put(a, "v:2", 1000, 400, &error) == 0);
	test_assert(store_sieve_memory_seen(a, "v:1", 0) == 0);
	/* delivery keys: a mark, and a row's key, both count */
	test_assert(store_sieve_delivery_done(a, "Q/0") == 0);
	test_assert(store_message_batch_begin(a, &error) == 0);
	test_assert(store_sieve_delivery_mark(a, "Q/0", 100, &error) == 0);
	test_assert(store_sieve_delivery_mark(a, "Q/0", 100, &error) == 0);
	test_assert(store_sieve_memory_put(a, "d:1", 500, 100, &error) == 0);
	test_assert(store_message_batch_commit(a, &error) == 0);
	test_assert(store_sieve_delivery_done(a, "Q/0") == 1);
	test_assert(store_sieve_memory_seen(a, "d:1", 100) == 1);
	/* a rolled-back batch leaves nothing */
	test_assert(store_message_batch_begin(a, &error) == 0);
	test_assert(store_sieve_delivery_mark(a, "Q/1", 100, &error) == 0);
	store_message_batch_rollback(a);
	test_assert(store_sieve_delivery_done(a, "Q/1") == 0);
	store_account_close(&a);
	store_close(&store);
	test_end();
}

static void test_srs(void)
{
	struct store *store = store_testing_open("srs", "example.org");
	struct pool *pool = pool_new();
	const char *srs, *orig;
	struct store_resolution res;
	time_t now = time(NULL); /* store_address_resolve checks the age */
	test_begin("SRS: a redirected copy's sender leads back to the sender");
	test_assert(store_sieve_srs_forward(store, "Ann@Example.NET",
	                                    "example.org", now, pool,
	                                    &srs) == 0);
	test_assert(strncmp(srs, "SRS0=", 5) == 0);
	test_assert(strstr(srs, "=Example.NET=Ann@example.org") != NULL);
	test_assert(store_sieve_srs_reverse(store, srs, now, pool, &orig) == 1);
	test_assert_str(orig, "Ann@Example.NET");
	/* case folded on the way (mail systems may lowercase it) */
	char *folded = pool_strdup(pool, srs);
	for (char *p = folded; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	test_assert(store_sieve_srs_reverse(store, folded, now, pool, &orig) ==
	            1);
	test_assert_str(orig, "ann@example.net");
	/* a bounce to it resolves to the original sender, remote */
	test_assert(store_address_resolve(store, srs, pool, &res) == 1);
	test_assert(res.count == 1 && !res.targets[0].is_local);
	test_assert_str(res.targets[0].address, "ann@example.net");
	/* 22 days later it is refused */
	test_assert(store_sieve_srs_reverse(store, srs, now + 22 * 86400, pool,
	                                    &orig) == 0);
	test_assert(store_sieve_srs_reverse(store, srs, now + 20 * 86400, pool,
	                                    &orig) == 1);
	/* a forged hash, a changed address, or no SRS at all: refused */
	char *forged = pool_strdup(pool, srs);
	forged[5] = forged[5] == 'a' ? 'b' : 'a';
	test_assert(store_sieve_srs_reverse(store, forged, now, pool, &orig) ==
	            0);
	char *changed = pool_strdup(pool, srs);
	changed[strlen(changed) - strlen("Ann@example.org")] = 'B';
	test_assert(store_sieve_srs_reverse(store, changed, now, pool, &orig) ==
	            0);
	test_assert(store_address_resolve(store, forged, pool, &res) == 0);
	test_assert(store_sieve_srs_reverse(store, "SRS0=x@example.org", now,
	                                    pool, &orig) == 0);
	test_assert(store_sieve_srs_reverse(store, "bob@example.org", now, pool,
	                                    &orig) == 0);
	store_close(&store);
	pool_free(&pool);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_scripts, test_names,
	                                      test_memory, test_srs, NULL};
	return test_run(tests);
}
