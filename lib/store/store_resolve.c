/* Recipient resolution, sender authorization and quota checks on top of the
 * global database. For "L+D@X": account L+D@X, account L@X, alias L+D@X,
 * alias L@X (keeps detail D), catch-all @X; the first that matches wins.
 * postmaster@X with none of these goes to the configured postmaster, else
 * to the installation's first account (RFC 5321 §4.5.1). Aliases expand
 * recursively at most STORE_ALIAS_DEPTH_MAX levels; an address already on
 * the current path is skipped, so a loop ends with what was found. Targets
 * are deduplicated by address. */
#include "core/pool.h"
#include "store/store_private.h"
#include "store/store_sieve.h"

#include <string.h>
#include <time.h>

struct resolve_ctx {
	struct store *store;
	struct pool *pool;
	struct store_target *targets;
	size_t count, cap;
	const char *path[STORE_ALIAS_DEPTH_MAX + 1];
	size_t depth;
	bool failed;
};

static void resolve_add(struct resolve_ctx *ctx, const char *address,
                        const char *detail, bool is_local)
{
	for (size_t i = 0; i < ctx->count; i++) {
		if (strcmp(ctx->targets[i].address, address) == 0)
			return;
	}
	if (ctx->count == ctx->cap) {
		size_t cap = ctx->cap == 0 ? 4 : ctx->cap * 2;
		struct store_target *t =
		    pool_alloc(ctx->pool, cap * sizeof(*t));
		if (ctx->count > 0)
			memcpy(t, ctx->targets, ctx->count * sizeof(*t));
		ctx->targets = t;
		ctx->cap = cap;
	}
	struct store_target *t = &ctx->targets[ctx->count++];
	t->address = pool_strdup(ctx->pool, address);
	t->detail = detail != NULL ? pool_strdup(ctx->pool, detail) : NULL;
	t->is_local = is_local;
}

/* Reads every target of alias source into a NULL-terminated pool array:
 * the cached statement cannot stay open across the recursion. Returns
 * the number of targets, or -1. */
static int alias_targets(struct resolve_ctx *ctx, const char *source,
                         const char ***targets_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &ctx->store->db,
	    "SELECT target FROM aliases WHERE source = ?1 ORDER BY id");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, source, -1, SQLITE_STATIC);
	size_t n = 0, cap = 4;
	const char **t = pool_alloc(ctx->pool, (cap + 1) * sizeof(*t));
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			const char **nt =
			    pool_alloc(ctx->pool, (cap * 2 + 1) * sizeof(*t));
			memcpy(nt, t, n * sizeof(*t));
			t = nt;
			cap *= 2;
		}
		t[n++] = pool_strdup(ctx->pool, store_db_column_str(stmt, 0));
	}
	int ret = (int)n;
	if (rc != SQLITE_DONE) {
		store_db_fail(&ctx->store->db, "alias lookup");
		ret = -1;
	}
	sqlite3_reset(stmt);
	*targets_r = t;
	return ret;
}

static void resolve_address(struct resolve_ctx *ctx, const char *addr,
                            const char *detail);

/* Expands the alias source if it has targets. Returns true if it had. */
static bool resolve_alias(struct resolve_ctx *ctx, const char *source,
                          const char *detail)
{
	const char **targets;
	int n = alias_targets(ctx, source, &targets);
	if (n < 0) {
		ctx->failed = true;
		return true;
	}
	for (int i = 0; i < n; i++)
		resolve_address(ctx, targets[i], detail);
	return n > 0;
}

/* Returns true if account addr exists, and adds it. */
static bool resolve_account(struct resolve_ctx *ctx, const char *addr,
                            const char *detail)
{
	int64_t id;
	int ret = store_account_get_id(ctx->store, addr, &id);
	if (ret < 0)
		ctx->failed = true;
	if (ret > 0)
		resolve_add(ctx, addr, detail, true);
	return ret != 0;
}

/* Returns the address of the first account made (lowest id) from the
 * context's pool, NULL when there is none (or on error: ctx->failed). */
static const char *first_account(struct resolve_ctx *ctx)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &ctx->store->db,
	    "SELECT address FROM accounts ORDER BY id LIMIT 1");
	if (stmt == NULL) {
		ctx->failed = true;
		return NULL;
	}
	const char *address = NULL;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		address = pool_strdup(ctx->pool, store_db_column_str(stmt, 0));
	else if (rc != SQLITE_DONE) {
		store_db_fail(&ctx->store->db, "first account lookup");
		ctx->failed = true;
	}
	sqlite3_reset(stmt);
	return address;
}

/* RFC 5321 §4.5.1: postmaster@X of a local domain must reach someone even
 * when the operator made no account, alias or catch-all for it: the
 * configured postmaster (resolved like an alias target, so it may be
 * remote or an alias itself), else the administrator who set the system
 * up, whose account is in practice the first one made. */
static void resolve_postmaster(struct resolve_ctx *ctx)
{
	if (ctx->store->postmaster != NULL) {
		resolve_address(ctx, ctx->store->postmaster, NULL);
		return;
	}
	const char *first = first_account(ctx);
	if (first != NULL)
		resolve_add(ctx, first, NULL, true);
}

/* The lookups for one local address (normalized), in order. */
static void resolve_local(struct resolve_ctx *ctx, const char *addr,
                          const char *local, const char *domain,
                          const char *inherited_detail)
{
	if (resolve_account(ctx, addr, inherited_detail))
		return;
	const char *plus = strchr(local, '+');
	const char *base = NULL, *detail = inherited_detail;
	if (plus != NULL && plus != local && plus[1] != '\0') {
		base = pool_printf(ctx->pool, "%.*s@%s", (int)(plus - local),
		                   local, domain);
		detail = plus + 1;
		if (resolve_account(ctx, base, detail))
			return;
	}
	if (resolve_alias(ctx, addr, NULL))
		return;
	if (base != NULL && resolve_alias(ctx, base, detail))
		return;
	if (resolve_alias(ctx, pool_printf(ctx->pool, "@%s", domain), NULL))
		return;
	if (strcmp(local, "postmaster") == 0)
		resolve_postmaster(ctx);
}

static void resolve_address(struct resolve_ctx *ctx, const char *addr,
                            const char *detail)
{
	const char *local, *domain;
	if (ctx->failed ||
	    store_address_split(addr, ctx->pool, &local, &domain) < 0)
		return;
	int64_t domain_id;
	int is_local = store_domain_get_id(ctx->store, domain, &domain_id);
	if (is_local < 0) {
		ctx->failed = true;
		return;
	}
	if (is_local == 0) {
		/* A remote target of an alias; a remote address asked for
		 * directly is not ours to take. */
		if (ctx->depth > 0)
			resolve_add(ctx, addr, NULL, false);
		return;
	}
	if (ctx->depth > STORE_ALIAS_DEPTH_MAX)
		return;
	for (size_t i = 0; i < ctx->depth; i++) {
		if (strcmp(ctx->path[i], addr) == 0)
			return;
	}
	ctx->path[ctx->depth++] = addr;
	resolve_local(ctx, addr, local, domain, detail);
	ctx->depth--;
}

/* The one remote target of an SRS address. Returns 1. */
static int srs_remote(struct pool *pool, const char *orig,
                      struct store_resolution *res_r)
{
	struct store_target *t = pool_alloc(pool, sizeof(*t));
	t->address = orig;
	t->detail = NULL;
	t->is_local = false;
	res_r->count = 1;
	res_r->targets = t;
	return 1;
}

int store_address_resolve(struct store *store, const char *address,
                          struct pool *pool, struct store_resolution *res_r)
{
	struct resolve_ctx ctx = {.store = store, .pool = pool};
	const char *addr = store_address_normalize(address, pool);
	res_r->count = 0;
	res_r->targets = NULL;
	if (addr == NULL || addr[0] == '@')
		return 0;
	resolve_address(&ctx, addr, NULL);
	const char *orig, *at = strrchr(addr, '@');
	/* a bounce of mail that rules redirected (store_sieve_srs.c) */
	if (!ctx.failed && ctx.count == 0 && at != NULL &&
	    store_domain_exists(store, at + 1) == 1 &&
	    store_sieve_srs_reverse(store, addr, time(NULL), pool, &orig) == 1)
		return store_address_resolve(store, orig, pool, res_r) == 1
		           ? 1
		           : srs_remote(pool, orig, res_r);
	if (ctx.failed)
		return -1;
	res_r->count = ctx.count;
	res_r->targets = ctx.targets;
	return ctx.count > 0 ? 1 : 0;
}

/* Returns "L@X" for "L+D@X", or NULL when addr has no detail. */
static const char *address_without_detail(const char *addr, struct pool *pool)
{
	const char *local, *domain;
	if (store_address_split(addr, pool, &local, &domain) < 0)
		return NULL;
	const char *plus = strchr(local, '+');
	if (plus == NULL || plus == local)
		return NULL;
	return pool_printf(pool, "%.*s@%s", (int)(plus - local), local, domain);
}

static int sender_is_alias_of(struct store *store, const char *sender,
                              const char *base, const char *account)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &store->db, "SELECT EXISTS (SELECT 1 FROM aliases WHERE target = ?3"
	                " AND (source = ?1 OR source = ?2))");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, base != NULL ? base : sender, -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, account, -1, SQLITE_STATIC);
	int ret = -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		ret = sqlite3_column_int(stmt, 0);
	else
		store_db_fail(&store->db, "sender lookup");
	sqlite3_reset(stmt);
	return ret;
}

int store_sender_allowed(struct store *store, const char *account,
                         const char *sender)
{
	struct pool *pool = pool_new();
	const char *acct = store_address_normalize(account, pool);
	const char *from = store_address_normalize(sender, pool);
	int ret = 0;
	if (acct == NULL || from == NULL || from[0] == '@')
		goto out;
	const char *base = address_without_detail(from, pool);
	if (strcmp(acct, from) == 0 ||
	    (base != NULL && strcmp(acct, base) == 0)) {
		ret = 1;
		goto out;
	}
	/* XXX: a catch-all does not let its targets send as any address of
	 * the domain; only explicit alias sources do. */
	ret = sender_is_alias_of(store, from, base, acct);
out:
	pool_free(&pool);
	return ret;
}

int store_quota_check(struct store *store, const char *account, uint64_t size)
{
	struct pool *pool = pool_new();
	struct store_account_info info;
	struct store_account *acct = NULL;
	const char *error;
	uint64_t bytes, messages;
	int ret = store_account_lookup(store, account, pool, &info);
	if (ret <= 0) {
		ret = -1;
		goto out;
	}
	if (info.quota == 0) {
		ret = 1;
		goto out;
	}
	if (store_account_db_open(store, info.id, info.address, &acct, &error) <
	        0 ||
	    store_account_usage(acct, &bytes, &messages) < 0) {
		ret = -1;
		goto out;
	}
	ret = bytes <= info.quota && size <= info.quota - bytes ? 1 : 0;
out:
	store_account_close(&acct);
	pool_free(&pool);
	return ret;
}
