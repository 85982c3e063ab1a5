/* Fixtures shared by the store's unit tests: a store in the test's scratch
 * folder with one local domain, and accounts in it. Failures abort: a test
 * cannot run without its fixture. */
#ifndef STORE_STORE_TESTING_H
#define STORE_STORE_TESTING_H

struct store;
struct store_account;

/* Opens a store under test_tmpdir()/name with domain added (when not
 * NULL). Close it with store_close(). */
struct store *store_testing_open(const char *name, const char *domain);
/* Adds address (password hash "h", default quota) and opens it. */
struct store_account *store_testing_account(struct store *store,
                                            const char *address);

#endif
