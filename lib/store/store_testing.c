/* Fixtures shared by the store's unit tests (store_testing.h). */
#include "store/store_testing.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "test/test.h"

#include <stdlib.h>

struct store *store_testing_open(const char *name, const char *domain)
{
	char *dir = xasprintf("%s/%s", test_tmpdir(), name);
	struct store_settings set = {.data_dir = dir};
	struct store *store = NULL;
	const char *error;
	if (store_open(&set, &store, &error) < 0 ||
	    (domain != NULL && store_domain_add(store, domain, &error) < 0))
		abort();
	free(dir);
	return store;
}

struct store_account *store_testing_account(struct store *store,
                                            const char *address)
{
	struct store_account *account = NULL;
	const char *error;
	if (store_account_add(store, address, "h", 0, &error) < 0 ||
	    store_account_open(store, address, &account, &error) < 0)
		abort();
	return account;
}
