/* Fuzzer for the ManageSieve client's response reader
 * (managesieve_client.c): a server's bytes arrive on a socketpair; the
 * client reads the greeting, then runs LISTSCRIPTS, GETSCRIPT and
 * CHECKSCRIPT in turn until the input ends or the stream breaks. Whatever
 * the bytes, it must end with an error or OK, never a crash, a hang or a
 * leak. */
#include "core/buf.h"
#include "core/pool.h"
#include "core/tls_stream.h"
#include "managesieve/managesieve_client.h"

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One command by turn; returns -1 when the stream is broken. */
static int run_one(struct managesieve_client *c, int i, struct pool *pool)
{
	const char *error;
	struct managesieve_script *scripts;
	size_t count;
	struct buf script;
	int ret;
	switch (i % 3) {
	case 0:
		ret = managesieve_client_listscripts(c, pool, &scripts, &count,
		                                     &error);
		for (size_t j = 0; ret == 0 && j < count; j++)
			(void)strlen(scripts[j].name);
		break;
	case 1:
		buf_init(&script);
		ret = managesieve_client_getscript(c, "s", &script, &error);
		if (ret == 0 && script.len > 0)
			(void)script.data[script.len - 1];
		buf_deinit(&script);
		break;
	default:
		ret = managesieve_client_checkscript(c, "keep;", 5, &error);
		break;
	}
	if (ret != 0)
		(void)strlen(error);
	return ret < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	/* the whole input must fit in the socket buffer: no writer thread */
	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	struct tls_stream_settings set = { .timeout = 2 };
	struct managesieve_client_settings cset = { .max_literal = 65536 };
	struct tls_stream *stream = tls_stream_new_fd(sv[0], &set, "fuzz");
	struct managesieve_client *c = managesieve_client_new(stream, &cset);
	struct pool *pool = pool_new();
	const char *error;
	if (managesieve_client_greeting(c, &error) == 0) {
		(void)managesieve_client_capability(c, "SIEVE");
		for (int i = 0; i < 300; i++)
			if (run_one(c, i, pool) < 0)
				break;
	}
	pool_free(&pool);
	managesieve_client_free(&c);
	tls_stream_free(&stream);
	close(sv[1]);
	return 0;
}
