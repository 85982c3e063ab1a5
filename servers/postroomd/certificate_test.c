/* Tests for certificate.c: which addresses the self-signed certificate
 * names for a `listen` value (a wildcard means the machine's interfaces,
 * loopback included, without IPv6 link-local ones). */
#include "certificate.h"
#include "test/test.h"

#include <stdbool.h>
#include <string.h>

static bool has(char **addrs, size_t count, const char *want)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(addrs[i], want) == 0)
			return true;
	}
	return false;
}

static void test_addresses(void)
{
	char **addrs;
	size_t n;
	test_begin("certificate_addresses");
	n = certificate_addresses("127.0.0.1", &addrs);
	test_assert_int(n, 1);
	test_assert_str(addrs[0], "127.0.0.1");
	certificate_addresses_free(addrs, n);

	n = certificate_addresses("127.0.0.1, ::1,127.0.0.1", &addrs);
	test_assert_int(n, 2);
	test_assert(has(addrs, n, "127.0.0.1") && has(addrs, n, "::1"));
	certificate_addresses_free(addrs, n);

	/* every IPv4 address of the machine: loopback is one */
	n = certificate_addresses("0.0.0.0", &addrs);
	test_assert(has(addrs, n, "127.0.0.1"));
	for (size_t i = 0; i < n; i++)
		test_assert_idx(strchr(addrs[i], ':') == NULL, i);
	certificate_addresses_free(addrs, n);

	n = certificate_addresses("::", &addrs);
	for (size_t i = 0; i < n; i++) {
		test_assert_idx(strchr(addrs[i], ':') != NULL, i);
		test_assert_idx(strncmp(addrs[i], "fe80:", 5) != 0, i);
	}
	certificate_addresses_free(addrs, n);

	n = certificate_addresses("", &addrs);
	test_assert_int(n, 0);
	certificate_addresses_free(addrs, n);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_addresses, NULL};
	return test_run(tests);
}
