/* Unit tests for inter-process records. */
#include "core/buf.h"
#include "core/ipc.h"
#include "test/test.h"

#include <string.h>

static void test_ipc_roundtrip(void)
{
	test_begin("ipc record survives any bytes");
	struct ipc_record rec, back;
	struct buf b;
	const char *error;
	buf_init(&b);
	ipc_record_init(&rec, "result");
	ipc_record_add(&rec, "id", "1a2b");
	ipc_record_add(&rec, "text", "4.2.2 quota=full 100%\r\n\tend");
	ipc_record_add(&rec, "empty", "");
	ipc_record_encode(&rec, &b);
	test_assert(b.data[b.len - 1] == '\n');
	test_assert(memchr(b.data, '\r', b.len) == NULL);
	test_assert(ipc_record_decode(b.data, b.len - 1, &back, &error) == 0);
	test_assert_str(back.verb, "result");
	test_assert_str(ipc_record_get(&back, "id"), "1a2b");
	test_assert_str(ipc_record_get(&back, "text"),
			"4.2.2 quota=full 100%\r\n\tend");
	test_assert_str(ipc_record_get(&back, "empty"), "");
	test_assert(ipc_record_get(&back, "missing") == NULL);
	ipc_record_deinit(&rec);
	ipc_record_deinit(&back);
	buf_deinit(&b);
	test_end();
}

static void test_ipc_malformed(void)
{
	static const char *const bad[] = { "", " x=1", "v x", "v X=1", "v x=%4",
					   "v x=%zz", "v x=1  y=2", "v =1",
					   "V x=1", "v\x01 x=1", "v x=%00",
					   "v=1 x=2" };
	test_begin("ipc rejects malformed records");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipc_record rec;
		const char *error = NULL;
		test_assert_idx(ipc_record_decode(bad[i], strlen(bad[i]), &rec,
						  &error) < 0, i);
		test_assert_idx(error != NULL, i);
		ipc_record_deinit(&rec);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = { test_ipc_roundtrip,
					       test_ipc_malformed, NULL };
	return test_run(tests);
}
