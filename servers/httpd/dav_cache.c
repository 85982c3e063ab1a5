/* Account databases kept open between DAV requests (dav_server.h). Opening
 * an account's mail.db costs its schema read, its pragmas and, when no
 * other connection has it open, the creation of its WAL and shared-memory
 * files (and their removal at the close): about a millisecond of CPU,
 * which was most of a GET. httpd keeps the DAV_CACHE_SIZE most recently
 * used handles of this process open, with their prepared statements.
 * Each reuse checks the address still names the account of the same id
 * (a deleted account's handle is closed; one made again under the same
 * address gets a new id, so a new handle). One handle may be lent to
 * several requests at once: httpd is one thread, and no store call keeps
 * a transaction open across a turn of the event loop (a request that
 * waits for its body holds no statement), so interleaved requests use it
 * in turn. An entry is reused for another account only when nothing
 * holds it. The domains' address books (the books' database) are cached
 * the same way under the name "". */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "dav_server.h"
#include "httpd.h"
#include "store/store.h"
#include "store/store_dav.h"

#include <string.h>
#include <stdlib.h>

#define DAV_CACHE_SIZE 16

struct cache_entry {
	char *address; /* "" for the books' database; NULL: empty */
	int64_t id;
	struct store_account *account;
	unsigned refs; /* requests holding it */
	uint64_t last_used;
};

static struct cache_entry cache[DAV_CACHE_SIZE];
static uint64_t cache_clock;

static void entry_clear(struct cache_entry *e)
{
	store_account_close(&e->account);
	free(e->address);
	memset(e, 0, sizeof(*e));
}

/* A free slot: an empty one, else the least recently used not lent, or
 * NULL when all are lent. */
static struct cache_entry *slot_take(void)
{
	struct cache_entry *best = NULL;
	for (size_t i = 0; i < DAV_CACHE_SIZE; i++) {
		struct cache_entry *e = &cache[i];
		if (e->address == NULL)
			return e;
		if (e->refs == 0 &&
		    (best == NULL || e->last_used < best->last_used))
			best = e;
	}
	if (best != NULL)
		entry_clear(best);
	return best;
}

static struct cache_entry *entry_find(const char *address)
{
	for (size_t i = 0; i < DAV_CACHE_SIZE; i++) {
		if (cache[i].address != NULL &&
		    strcmp(cache[i].address, address) == 0)
			return &cache[i];
	}
	return NULL;
}

/* Lends e's handle. */
static int lend(struct cache_entry *e, struct store_account **account_r)
{
	e->refs++;
	e->last_used = ++cache_clock;
	*account_r = e->account;
	return 0;
}

int dav_cache_open(struct httpd *httpd, const char *address,
                   struct store_account **account_r, const char **error_r)
{
	struct pool *pool = pool_new();
	struct store_account_info info;
	int ret = store_account_lookup(httpd->store, address, pool, &info);
	if (ret <= 0) {
		*error_r = ret == 0 ? "no such account"
		                    : store_last_error(httpd->store);
		struct cache_entry *gone = entry_find(address);
		if (ret == 0 && gone != NULL && gone->refs == 0)
			entry_clear(gone);
		pool_free(&pool);
		return -1;
	}
	struct cache_entry *e = entry_find(info.address);
	if (e != NULL && e->id == info.id) {
		pool_free(&pool);
		return lend(e, account_r);
	}
	if (e != NULL && e->refs == 0)
		entry_clear(e);
	ret =
	    store_account_open(httpd->store, info.address, account_r, error_r);
	if (ret == 0 && (e == NULL || e->address == NULL) &&
	    (e = slot_take()) != NULL) {
		e->address = xstrdup(info.address);
		e->id = info.id;
		e->account = *account_r;
		lend(e, account_r);
	}
	pool_free(&pool);
	return ret;
}

int dav_cache_open_directory(struct httpd *httpd,
                             struct store_account **account_r,
                             const char **error_r)
{
	struct cache_entry *e = entry_find("");
	if (e != NULL)
		return lend(e, account_r);
	if (store_dav_directory_open(httpd->store, account_r, error_r) < 0)
		return -1;
	if (e == NULL && (e = slot_take()) != NULL) {
		e->address = xstrdup("");
		e->account = *account_r;
		lend(e, account_r);
	}
	return 0;
}

void dav_cache_release(struct store_account **account)
{
	if (*account == NULL)
		return;
	for (size_t i = 0; i < DAV_CACHE_SIZE; i++) {
		if (cache[i].account == *account) {
			cache[i].refs--;
			*account = NULL;
			return;
		}
	}
	store_account_close(account);
}

void dav_cache_clear(void)
{
	for (size_t i = 0; i < DAV_CACHE_SIZE; i++) {
		if (cache[i].address != NULL && cache[i].refs == 0)
			entry_clear(&cache[i]);
	}
}
