/* THREAD (RFC 5256 §3): the ORDEREDSUBJECT and REFERENCES algorithms over
 * a table of messages, written as the thread-list of the THREAD response
 * ("(2)(3 6 (4 23)(44 7 96))"). Message IDs in Message-ID, References and
 * In-Reply-To are taken as the text between '<' and '>'; duplicates and
 * links that would make a cycle are dropped as §3 says. */
#ifndef IMAP_IMAP_THREAD_H
#define IMAP_IMAP_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct imap_arg;

enum imap_thread_algorithm {
	IMAP_THREAD_ORDEREDSUBJECT,
	IMAP_THREAD_REFERENCES,
};

/* One message, given in mailbox order (ascending sequence number). */
struct imap_thread_msg {
	uint32_t id;            /* what the reply names: seq or UID */
	time_t date;            /* sent date (INTERNALDATE when none) */
	const char *subject;    /* base subject (imap_sort_base_subject) */
	bool is_reply;          /* the subject was a reply or forward */
	const char *message_id; /* raw field bodies, or NULL */
	const char *references;
	const char *in_reply_to;
};

/* thread-alg = "ORDEREDSUBJECT" / "REFERENCES". Returns 0 with
 * *algorithm_r, or -1 if arg names no algorithm this code knows. */
int imap_thread_algorithm_parse(const struct imap_arg *arg,
                                enum imap_thread_algorithm *algorithm_r);

/* Appends the thread-list of msgs (count) by algorithm to out: nothing
 * when count is 0. Never fails; works in time O(n log n) plus the
 * References it reads. */
void imap_thread_write(const struct imap_thread_msg *msgs, size_t count,
                       enum imap_thread_algorithm algorithm, struct buf *out);

#endif
