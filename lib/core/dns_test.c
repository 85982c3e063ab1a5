/* Tests for dns.c's pure parts: MX ordering by preference with equal
 * preferences shuffled (RFC 5321 §5.1), the null MX (RFC 7505 §3) and
 * TLSA records read from a raw answer (RFC 6698 §2.1). The
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

/* An answer to _25._tcp.mx.example.org TLSA: the question, then a TLSA
 * record (3 1 1 and 32 bytes) whose owner is a pointer to the question,
 * then an RRSIG the parser must skip. */
static void test_dns_tlsa_parse(void)
{
	static const unsigned char head[] = {
	    0x12, 0x34, 0x81, 0xa0, 0,   1,   0,   2,   0,   0,   0,
	    0,    3,    '_',  '2',  '5', 4,   '_', 't', 'c', 'p', 2,
	    'm',  'x',  7,    'e',  'x', 'a', 'm', 'p', 'l', 'e', 3,
	    'o',  'r',  'g',  0,    0,   52,  0,   1};
	struct buf b;
	buf_init(&b);
	buf_append(&b, head, sizeof(head));
	static const unsigned char rr[] = {0xc0, 12,   0, 52, 0, 1, 0, 0,
	                                   0x0e, 0x10, 0, 35, 3, 1, 1};
	buf_append(&b, rr, sizeof(rr));
	for (int i = 0; i < 32; i++)
		buf_append_char(&b, (char)i);
	static const unsigned char sig[] = {0xc0, 12,   0, 46, 0, 1, 0, 0,
	                                    0x0e, 0x10, 0, 3,  1, 2, 3};
	buf_append(&b, sig, sizeof(sig));
	struct dns_tlsa t[4];
	test_begin("dns tlsa parse");
	int n = dns_tlsa_parse((const unsigned char *)b.data, b.len, t, 4);
	test_assert_int(n, 1);
	if (n == 1) {
		test_assert(t[0].usage == 3 && t[0].selector == 1 &&
		            t[0].mtype == 1 && t[0].len == 32);
		test_assert(t[0].data[31] == 31);
		free(t[0].data);
	}
	/* cut anywhere inside the records: malformed, nothing kept */
	for (size_t cut = sizeof(head) + 1; cut < b.len - sizeof(sig); cut++) {
		n = dns_tlsa_parse((const unsigned char *)b.data, cut, t, 4);
		test_assert_idx(n == -1, cut);
	}
	buf_deinit(&b);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
	    test_dns_mx_sort, test_dns_mx_shuffle_covers_all,
	    test_dns_mx_is_null, test_dns_tlsa_parse, NULL};
	return test_run(tests);
}
