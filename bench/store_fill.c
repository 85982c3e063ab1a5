/* bench/store_fill: fills one mailbox of an existing account with many
 * small messages straight through the store API (blob, row, search index),
 * for the SEARCH benchmark (bench/imap_search.py): SMTP would take hours
 * for 100,000 messages. Prints the time of the fill and, separately, of
 * the FTS5 index build (store_mime_index_add per message), as key=value.
 * Usage: store_fill DATA_DIR ADDRESS COUNT
 * Message i: From user<i % 1000>@sender<i % 7>.test, Subject "report <i>
 * <word>", a body of about 600 bytes of words; every 10,000th message
 * carries "needle<k>" in its subject and body; every third is \Seen. */
#include "core/buf.h"
#include "store/store.h"
#include "store/store_mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const words[] = {
    "alpha",  "budget", "meeting", "quarterly", "invoice", "shipping",
    "garden", "window", "rocket",  "yellow",    "database", "holiday",
    "coffee", "ticket", "printer", "harbour",   "lantern", "minutes",
};
#define WORD_COUNT (sizeof(words) / sizeof(*words))

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void message_build(struct buf *b, unsigned i)
{
	unsigned r = i * 2654435761u;
	buf_truncate(b, 0);
	buf_printf(b,
	           "From: User %u <user%u@sender%u.test>\r\n"
	           "To: bench@bench.test\r\n"
	           "Subject: report %u %s%s\r\n"
	           "Date: Mon, 02 Jan 2023 10:%02u:%02u +0000\r\n"
	           "Message-ID: <m%u@sender.test>\r\n\r\n",
	           i % 1000, i % 1000, i % 7, i, words[r % WORD_COUNT],
	           i % 10000 == 0 ? " needle" : "", (i / 60) % 60, i % 60, i);
	if (i % 10000 == 0)
		buf_printf(b, "needle%u is here\r\n", i / 10000);
	for (unsigned line = 0; line < 8; line++) {
		for (unsigned w = 0; w < 10; w++) {
			r = r * 1103515245u + 12345u;
			buf_printf(b, "%s ", words[(r >> 16) % WORD_COUNT]);
		}
		buf_append_str(b, "\r\n");
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: store_fill DATA_DIR ADDRESS COUNT\n");
		return 2;
	}
	unsigned count = (unsigned)strtoul(argv[3], NULL, 10);
	struct store_settings set = {.data_dir = argv[1]};
	struct store *store = NULL;
	struct store_account *account = NULL;
	const char *error;
	if (store_open(&set, &store, &error) < 0 ||
	    store_account_open(store, argv[2], &account, &error) < 0) {
		fprintf(stderr, "store_fill: %s\n", error);
		return 1;
	}
	char (*ids)[STORE_BLOB_ID_LEN + 1] = calloc(count, sizeof(*ids));
	struct buf b;
	buf_init(&b);
	double t0 = now_s();
	for (unsigned i = 0; i < count; i++) {
		struct store_blob_writer *w;
		uint64_t size;
		uint32_t uid;
		message_build(&b, i);
		if (store_blob_begin(store, &w, &error) < 0 ||
		    store_blob_write(w, b.data, b.len) < 0 ||
		    store_blob_finish(&w, ids[i], &size, &error) < 0 ||
		    store_message_add(account, "INBOX", ids[i], size,
		                      i % 3 == 0 ? STORE_FLAG_SEEN : 0, NULL,
		                      1672653600 + (time_t)i, NULL, &uid,
		                      &error) < 0) {
			fprintf(stderr, "store_fill: message %u: %s\n", i,
			        error);
			return 1;
		}
	}
	double t1 = now_s();
	for (unsigned i = 0; i < count; i++) {
		message_build(&b, i);
		if (store_mime_index_add(account, ids[i],
		                         (const unsigned char *)b.data, b.len,
		                         &error) < 0) {
			fprintf(stderr, "store_fill: index %u: %s\n", i, error);
			return 1;
		}
	}
	double t2 = now_s();
	printf("messages=%u fill_s=%.2f index_s=%.2f bytes_each=%zu\n", count,
	       t1 - t0, t2 - t1, b.len);
	buf_deinit(&b);
	free(ids);
	store_account_close(&account);
	store_close(&store);
	return 0;
}
