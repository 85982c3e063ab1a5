/* Fuzzer for the IMAP client's response reader and parser
 * (imap_client_read.c, imap_client_fetch.c): a server's bytes arrive on a
 * socketpair; the client reads the greeting, then runs NOOPs until the
 * input ends, parsing every untagged response as FETCH and VANISHED.
 * Whatever the bytes, it must end with an error or OK, never a crash, a
 * hang or a leak. */
#include "core/tls_stream.h"
#include "imap/imap_client.h"

#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void untagged_cb(const struct imap_response *resp, void *ctx)
{
	struct imap_fetch f;
	const char *uids;
	bool is_earlier;
	(void)ctx;
	if (imap_fetch_parse(resp, &f) == 1 && f.body != NULL && f.body_len > 0)
		(void)f.body[f.body_len - 1]; /* the body is all there */
	(void)imap_vanished_parse(resp, &uids, &is_earlier);
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
	struct imap_client_settings cset = { .max_literal = 65536,
		                             .max_line = 65536 };
	struct imap_client *c =
	    imap_client_new(tls_stream_new_fd(sv[0], &set, "fuzz"), &cset);
	const char *error;
	if (imap_client_greeting(c, &error) == 0) {
		for (int i = 0; i < 1000; i++)
			if (imap_client_cmd(c, untagged_cb, NULL, &error,
			                    "NOOP") < 0 &&
			    imap_client_last_status(c) == IMAP_CLIENT_ERROR)
				break;
	}
	imap_client_free(&c);
	close(sv[1]);
	return 0;
}
