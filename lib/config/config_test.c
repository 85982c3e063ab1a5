/* Unit tests for the config reader and the settings tables. */
#include "config/config.h"
#include "config/settings.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "test/test.h"

#include <stdlib.h>
#include <string.h>

static char *write_conf(const char *text)
{
	static int n;
	char *path = xasprintf("%s/conf%d", test_tmpdir(), n++);
	if (file_write_atomic(path, text, strlen(text), 0600) < 0)
		abort();
	return path;
}

static void test_settings_defaults(void)
{
	test_begin("settings defaults are the embedded default");
	struct postroom_settings s;
	settings_init(&s);
	test_assert_str(s.data_dir, "./var");
	test_assert_str(s.listen, "127.0.0.1");
	test_assert_int(s.smtpd.port, 2525);
	test_assert_int(s.smtpd.submission_port, 2587);
	test_assert_int(s.smtpd.submissions_port, 2465);
	test_assert_int(s.smtpd.max_message_size, 50 * 1024 * 1024);
	test_assert_int(s.queue.max_lifetime, 5 * 86400);
	test_assert(s.plaintext_auth_loopback);
	test_assert_int(s.httpd.port, 2080);
	test_assert_int(s.httpd.https_port, 2443);
	test_assert_int(s.httpd.max_header_bytes, 64 * 1024);
	test_assert_int(s.httpd.hsts_max_age, 365 * 86400);
	test_assert_int(s.sieved.port, 2190);
	test_assert_int(s.sieved.max_scripts, 20);
	test_assert_int(s.sieved.max_script_size, 256 * 1024);
	settings_deinit(&s);
	test_end();
}

static void test_settings_file(void)
{
	test_begin("settings file overrides with sections and comments");
	struct postroom_settings s;
	struct pool *pool = pool_new();
	const char *error = NULL;
	char *path = write_conf("# comment\ndata_dir = /tmp/x  # trailing\n"
				"\n[smtpd]\nport = 25\nmax_message_size = 10M\n"
				"idle_timeout = 2m\n[queue]\nmax_lifetime=1d\n");
	settings_init(&s);
	test_assert(settings_load(&s, path, pool, &error) == 0);
	test_assert_str(error, NULL);
	test_assert_str(s.data_dir, "/tmp/x");
	test_assert_int(s.smtpd.port, 25);
	test_assert_int(s.smtpd.max_message_size, 10 * 1024 * 1024);
	test_assert_int(s.smtpd.idle_timeout, 120);
	test_assert_int(s.queue.max_lifetime, 86400);
	struct buf out;
	buf_init(&out);
	settings_print(&s, &out);
	test_assert(strstr(out.data, "\n[smtpd]\nport = 25\n") != NULL);
	buf_deinit(&out);
	settings_deinit(&s);
	free(path);
	pool_free(&pool);
	test_end();
}

static const struct {
	const char *text, *want;
} bad_files[] = {
	{ "[smtpd]\nport = 70000\n", ":2: key 'port': bad value '70000'" },
	{ "nosuchkey = 1\n", ":1: key 'nosuchkey': unknown key" },
	{ "[smtpd]\nnope = 1\n", ":2: key 'nope': unknown key in [smtpd]" },
	{ "[nosection]\n", ":1: unknown section [nosection]" },
	{ "[smtpd\n", ":1: malformed section header" },
	{ "just words\n", ":1: expected 'key = value'" },
	{ "plaintext_auth_loopback = maybe\n", "expected yes or no" },
	{ "[smtpd]\nmax_message_size = 10X\n", "expected a size" },
	{ "[smtpd]\nidle_timeout = -1\n", "expected a duration" },
	{ "[smtpd]\nport = 2525\nsubmission_port = 2525\n", "used twice" },
	{ "[smtpd]\nmax_command_line = 100\n", "at least 512" },
	{ "log = file\n", "key 'log': bad value 'file'" },
	{ "[imapd]\nport = 2080\n", "port 2080 is used twice" },
	{ "[httpd]\nhttps_port = 2993\n", "port 2993 is used twice" },
	{ "[httpd]\nmax_connections_per_ip = 0\n", "at least 1" },
	{ "[sieved]\nport = 2143\n", "port 2143 is used twice" },
	{ "[sieved]\nmax_script_size = 2M\n",
	  "at most [deliver] sieve_max_script_size" },
	{ "[sieved]\nidle_timeout = 0\n", "at least 1" },
	{ "[httpd]\nheader_timeout = 0\n", "at least 1s" },
	{ "[httpd]\nmax_header_bytes = 100\n", "at least 1k" },
	{ "postmaster = root\n", "key 'postmaster': bad value 'root'" },
	{ "postmaster = a b@c.test\n", "key 'postmaster': bad value" },
	{ "[relay]\nallowed_literal_networks = 10.0.0.0/33\n",
	  "key 'allowed_literal_networks': bad value" },
};

static void test_settings_errors(void)
{
	test_begin("settings errors name line, key and problem");
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct postroom_settings s;
		struct pool *pool = pool_new();
		const char *error = NULL;
		char *path = write_conf(bad_files[i].text);
		settings_init(&s);
		test_assert_idx(settings_load(&s, path, pool, &error) < 0, i);
		test_assert_idx(error != NULL &&
				strstr(error, bad_files[i].want) != NULL, i);
		settings_deinit(&s);
		free(path);
		pool_free(&pool);
	}
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_settings_defaults, test_settings_file,
		test_settings_errors, NULL
	};
	return test_run(tests);
}
