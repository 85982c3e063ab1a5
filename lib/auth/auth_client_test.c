/* Unit tests for the authd request records: the password survives any
 * byte (space, '=', '%', " password=" inside it), is wiped from the line,
 * and malformed lines are refused. */
#include "auth/auth_client.h"
#include "core/buf.h"
#include "core/ipc.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

static const char *const passwords[] = {
    "secret-pw", "p w=d%41", " password=x", "ünï©ødé", "a\tb\x7f", "=",
};

static void test_auth_wire_roundtrip(void)
{
	test_begin("auth wire request round trip");
	for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++) {
		const struct auth_request_info info = {
		    .user = "bob user@ex.org",
		    .password = passwords[i],
		    .service = "imap",
		    .ip = "::1",
		};
		struct buf out;
		buf_init(&out);
		auth_wire_request_encode(&info, &out);
		test_assert_idx(out.len > 0 && out.data[out.len - 1] == '\n',
		                i);
		struct ipc_record rec;
		char *password = NULL;
		const char *error;
		int ret = auth_wire_request_decode(out.data, out.len - 1, &rec,
		                                   &password, &error);
		test_assert_idx(ret == 0, i);
		if (ret == 0) {
			test_assert_str(password, passwords[i]);
			test_assert_str(rec.verb, "verify");
			test_assert_str(ipc_record_get(&rec, "user"),
			                "bob user@ex.org");
			test_assert_str(ipc_record_get(&rec, "service"),
			                "imap");
			test_assert_str(ipc_record_get(&rec, "ip"), "::1");
			test_assert_idx(
			    ipc_record_get(&rec, "password") == NULL, i);
		}
		/* the password's bytes are gone from the line */
		test_assert_idx(strstr(out.data, "password=") == NULL, i);
		auth_secret_free(&password);
		test_assert_idx(password == NULL, i);
		ipc_record_deinit(&rec);
		buf_deinit(&out);
	}
	test_end();
}

static void test_auth_wire_bad(void)
{
	static const char *const lines[] = {
	    "verify user=bob",
	    "verify user=bob password=a%00b",
	    "verify user=bob password=a%4",
	    "ver!fy user=bob password=x",
	};
	test_begin("auth wire request refused");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *line = strdup(lines[i]);
		struct ipc_record rec;
		char *password = NULL;
		const char *error = NULL;
		test_assert_idx(auth_wire_request_decode(line, strlen(line),
		                                         &rec, &password,
		                                         &error) == -1,
		                i);
		test_assert_idx(password == NULL && error != NULL, i);
		ipc_record_deinit(&rec);
		free(line);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {test_auth_wire_roundtrip,
	                                      test_auth_wire_bad, NULL};
	return test_run(tests);
}
