/* Tests for dns.c's pure parts: MX ordering by preference with equal
 * preferences shuffled (RFC 5321 §5.1) and the null MX (RFC 7505 §3). The
 * look-ups themselves are exercised against dnsmasq by
 * tests/integration/test_relay.py. */
#include "core/dns.h"
#include "core/buf.h"
#include "test/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned pick_first(unsigned n)
{
	(void)n;
	return 0;
}

static unsigned pick_last(unsigned n)
{
	return n - 1;
}

static void test_dns_mx_sort(void)
{
	static const struct {
		const char *in; /* host:pref ... */
		unsigned (*rnd)(unsigned);
		const char *want; /* hosts in order */
	} cases[] = {
	    {"a:10 b:5 c:20", pick_first, "b a c"},
	    {"a:10 b:10 c:5", pick_first, "c b a"},
	    {"a:10 b:10 c:5", pick_last, "c a b"},
	    {"a:0", pick_first, "a"},
	    {"", pick_first, ""},
	    {"x:30 y:20 z:10 w:20", pick_last, "z y w x"},
	};
	test_begin("dns_mx_sort");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dns_mx mx[8];
		char hosts[8][8], in[64];
		struct buf got;
		size_t n = 0;
		snprintf(in, sizeof(in), "%s", cases[i].in);
		for (char *tok = strtok(in, " "); tok != NULL;
		     tok = strtok(NULL, " ")) {
			char *colon = strchr(tok, ':');
			*colon = '\0';
			snprintf(hosts[n], sizeof(hosts[n]), "%s", tok);
			mx[n].host = hosts[n];
			mx[n].preference = (unsigned)atoi(colon + 1);
			n++;
		}
		dns_mx_sort(mx, n, cases[i].rnd);
		buf_init(&got);
		for (size_t j = 0; j < n; j++)
			buf_printf(&got, "%s%s", j > 0 ? " " : "", mx[j].host);
		test_assert_str(got.data, cases[i].want);
		buf_deinit(&got);
	}
	test_end();
}

static void test_dns_mx_shuffle_covers_all(void)
{
	/* with random() both orders of an equal pair must turn up */
	test_begin("dns_mx_sort shuffles equal preferences");
	bool seen_ab = false, seen_ba = false;
	for (int i = 0; i < 200; i++) {
		struct dns_mx mx[2] = {{(char *)"a", 10}, {(char *)"b", 10}};
		dns_mx_sort(mx, 2, NULL);
		if (strcmp(mx[0].host, "a") == 0)
			seen_ab = true;
		else
			seen_ba = true;
	}
	test_assert(seen_ab);
	test_assert(seen_ba);
	test_end();
}

static void test_dns_mx_is_null(void)
{
	struct dns_mx null_mx[] = {{(char *)"", 0}};
	struct dns_mx normal[] = {{(char *)"mx.example", 0}};
	struct dns_mx mixed[] = {{(char *)"", 0}, {(char *)"mx.example", 10}};
	test_begin("dns_mx_is_null");
	test_assert(dns_mx_is_null(null_mx, 1));
	test_assert(!dns_mx_is_null(normal, 1));
	test_assert(!dns_mx_is_null(mixed, 2));
	test_assert(!dns_mx_is_null(null_mx, 0));
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_dns_mx_sort,
	                                      test_dns_mx_shuffle_covers_all,
	                                      test_dns_mx_is_null, NULL};
	return test_run(tests);
}
