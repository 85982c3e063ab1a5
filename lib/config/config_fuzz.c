/* Fuzzer for the configuration reader (config.c) with every setting table
 * and the checks across keys (settings.c), as each server runs them at
 * start: the input is the config file. A file that is refused names its
 * problem; a file that is taken prints (postroomctl config) as a file that
 * reads back to the same settings. Nothing may leak, whatever line fails. */
#include "config/settings.h"
#include "core/buf.h"
#include "core/pool.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The file and its printed form (the file's values and every other key)
 * fit in a pipe (64 KiB on Linux), so one write never blocks. */
#define FUZZ_INPUT_MAX 32768

#define CHECK(expr)                                                            \
	do {                                                                   \
		if (!(expr))                                                   \
			abort();                                               \
	} while (0)

/* Loads data as the config file through a pipe, whose read end
 * /dev/fd/N opens again: nothing touches the disk. Returns what
 * settings_load returns. */
static int load(struct postroom_settings *s, const void *data, size_t size,
                struct pool *pool, const char **error_r)
{
	int fds[2];
	CHECK(size < 65536 && pipe(fds) == 0);
	CHECK(size == 0 || write(fds[1], data, size) == (ssize_t)size);
	close(fds[1]);
	char path[32];
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	int ret = settings_load(s, path, pool, error_r);
	close(fds[0]);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_INPUT_MAX)
		return 0;
	struct pool *pool = pool_new();
	struct postroom_settings s;
	const char *error = NULL;
	settings_init(&s);
	if (load(&s, data, size, pool, &error) < 0) {
		CHECK(error != NULL && error[0] != '\0');
		settings_deinit(&s);
		pool_free(&pool);
		return 0;
	}
	/* what was taken prints as a file that gives the same settings */
	struct buf printed, again;
	buf_init(&printed);
	buf_init(&again);
	settings_print(&s, &printed);
	struct postroom_settings s2;
	settings_init(&s2);
	CHECK(load(&s2, printed.data, printed.len, pool, &error) == 0);
	settings_print(&s2, &again);
	CHECK(printed.len == again.len &&
	      memcmp(printed.data, again.data, again.len) == 0);
	buf_deinit(&printed);
	buf_deinit(&again);
	settings_deinit(&s2);
	settings_deinit(&s);
	pool_free(&pool);
	return 0;
}
