/* THREAD and UID THREAD (RFC 5256 §3) with ORDEREDSUBJECT and REFERENCES:
 * the messages the search keys pick (collected by cmd_sort.c) are threaded
 * by lib/imap/imap_thread and sent as one "* THREAD" response. */
#include "core/buf.h"
#include "core/pool.h"
#include "imap/imap_thread.h"
#include "imapd.h"

/* thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria */
void cmd_thread(struct imapd_cmd *cmd)
{
	const struct imap_arg *a = cmd->args;
	enum imap_thread_algorithm algorithm;
	if (a == NULL || imap_thread_algorithm_parse(a, &algorithm) < 0) {
		imapd_cmd_bad(cmd, "Unknown threading algorithm");
		return;
	}
	struct imapd_sort_hit *hits;
	size_t count;
	if (imapd_sort_collect(cmd, a->next, &hits, &count) < 0)
		return;
	struct imap_thread_msg *msgs =
	    pool_alloc(cmd->pool, (count + 1) * sizeof(*msgs));
	for (size_t i = 0; i < count; i++) {
		const struct imapd_sort_hit *h = &hits[i];
		msgs[i] = (struct imap_thread_msg){
		    .id = cmd->is_uid ? h->sort.uid : h->sort.seq,
		    .date = h->sort.date,
		    .subject = h->sort.subject,
		    .is_reply = h->is_reply,
		    .message_id = h->message_id,
		    .references = h->references,
		    .in_reply_to = h->in_reply_to,
		};
	}
	struct buf *out = &cmd->client->out;
	buf_append_str(out, "* THREAD ");
	imap_thread_write(msgs, count, algorithm, out);
	buf_append_str(out, "\r\n");
	imapd_cmd_ok(cmd, "%s completed", cmd->name);
}
