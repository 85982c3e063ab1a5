/* Local delivery, the only writer of mailboxes: one request names a queue
 * file, and every pending local recipient in it gets the message in its
 * INBOX, or where its delivery rules put it (deliver_rules.h), under the
 * delivery key "<queue id>/<index>", so a repeated request adds nothing
 * twice. qmgr may send several requests
 * before reading the replies, which come in request order. Protocol, core/ipc records:
 *   deliver id=ID path=STATE/ID
 *   result id=ID rcpt=INDEX status=ok|tempfail|permfail text=...
 *   done id=ID status=ok|error [text=...] */
#ifndef DELIVER_DELIVER_H
#define DELIVER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct store;
struct deliver;
struct deliver_rules_settings;

/* Returns a delivery context over store (not owned) and the queue under
 * queue_dir (copied). cache_size is how many accounts stay open (>= 1). */
struct deliver *deliver_new(struct store *store, const char *queue_dir,
			    size_t cache_size);
/* Replaces the delivery rules' settings (deliver_new starts with those
 * of deliver_rules_settings_init). */
void deliver_set_rules(struct deliver *d,
		       const struct deliver_rules_settings *set);
/* Closes the cached accounts and frees *d (set to NULL); accepts NULL. */
void deliver_free(struct deliver **d);

/* Handles count request lines (lines[i] of lens[i] bytes, without LF) as
 * one group commit and appends the reply records to out in request order:
 * for each, a result per recipient handled, then done. Every blob and row
 * of the batch is durable before this returns. Never fails: problems
 * become tempfail results or "done status=error". */
void deliver_batch(struct deliver *d, const char *const *lines,
		   const size_t *lens, size_t count, struct buf *out);
/* deliver_batch of one request. */
void deliver_request(struct deliver *d, const char *line, size_t len,
		     struct buf *out);
/* Returns true while work for idle time is queued: the MIME cache and the
 * search index of delivered messages, kept out of the path to the reply. */
bool deliver_has_idle_work(const struct deliver *d);
/* Does one piece of idle work (one message). Failures are logged only. */
void deliver_idle_work(struct deliver *d);

#endif
