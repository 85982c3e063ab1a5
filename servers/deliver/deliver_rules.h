/* Delivery rules: the Sieve scripts that run for each recipient during
 * delivery (lib/rules), in this order, as if each included the next
 * (RFC 6609): the administrator's sieve_dir/before.sieve, the account's
 * active script (else sieve_dir/domains/<domain>.sieve, the domain's
 * default), sieve_dir/after.sieve. Scripts are compiled once and kept by
 * the hash of their text. The result becomes the mailboxes the message
 * goes into (with flags and any edited header) and keys to remember;
 * the mail it sends (redirect, vacation, reject, notify) is queued here,
 * before deliver answers qmgr. Whatever fails inside a script keeps the
 * message in INBOX: a broken script never loses mail, and its owner gets
 * one note per version of the script. */
#ifndef DELIVER_DELIVER_RULES_H
#define DELIVER_DELIVER_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rules/sieve.h"

struct pool;
struct store;
struct store_account;
struct queue_envelope;

struct deliver_rules_settings {
	bool is_enabled;
	const char *sieve_dir; /* NULL or "": no administrator scripts */
	const char *hostname;
	struct sieve_settings sieve;
	size_t max_message_read; /* bytes of a message the rules see */
	unsigned max_hops;       /* Delivered-To fields before redirect
	                            stops (RFC 5228 §4.2 loop control) */
	bool use_srs; /* redirect from an SRS address (else the original
	                 sender) when the sender's domain is not local */
	/* DKIM-signs the mail rules send (deliver_sign.h) with the keys in
	   sign_data_dir/dkim, or NULL to sign nothing ([mailauth] sign = no) */
	const char *sign_data_dir;
	unsigned dkim_lifetime; /* x= after t=, seconds; 0: none */
	/* ARC-seal redirected copies with the keys under data_dir/dkim,
	   naming our authserv_id's verdict; NULL: do not seal */
	const char *data_dir, *authserv_id;
};

/* Postroom's defaults: on, no sieve_dir, SIEVE_SETTINGS_DEFAULT, 10 MiB
 * read, 10 hops, SRS. */
void deliver_rules_settings_init(struct deliver_rules_settings *set);

struct deliver_rules;

/* Returns the rules of deliver (settings copied, strings too). */
struct deliver_rules *
deliver_rules_new(const struct deliver_rules_settings *set);
void deliver_rules_free(struct deliver_rules **r);
/* Forgets the keys remembered by the previous batch (before its commit,
 * later recipients of a batch see what earlier ones will record). */
void deliver_rules_batch_begin(struct deliver_rules *r);
const struct deliver_rules_settings *
deliver_rules_settings(const struct deliver_rules *r);

/* One recipient of one queued message. */
struct deliver_rules_input {
	struct store *store;
	struct store_account *account;
	int64_t account_id;
	const char *address;     /* the account */
	const char *envelope_to; /* as addressed: local[+detail]@domain */
	const struct queue_envelope *env;
	int fd; /* the queue file */
	/* reads the message, as far as rules may see it (max_message_read),
	   only when the recipient has scripts: returns 0 or -1 */
	int (*message_read)(void *ctx, const unsigned char **data_r,
	                    size_t *size_r);
	void *ctx;
	const char *queue_dir;
	const char *delivery_key; /* "<queue id>/<index>" */
	time_t now;
};

/* A mailbox the message goes into. */
struct deliver_rules_target {
	const char *mailbox;
	uint32_t flags;                /* STORE_FLAG_* */
	const char *keywords;          /* space-separated, "" for none */
	const struct sieve_edit *edit; /* NULL: the message as queued */
	const char *report; /* not NULL: this target is the error note
	                       (a whole message), not the message */
	size_t report_size;
	const char *key; /* its delivery key */
};

struct deliver_rules_memory {
	const char *key;
	time_t expires;
};

struct deliver_rules_result {
	bool has_rules; /* a script ran: the targets say where it goes */
	bool is_done;   /* an earlier try committed this recipient */
	struct deliver_rules_target *targets;
	size_t target_count;
	struct deliver_rules_memory *memory;
	size_t memory_count;
	const char *summary;  /* the actions, for the log */
	const char *tempfail; /* not NULL: answer this temporary failure
	                         (mail that rules send could not be queued) */
};

/* Runs the scripts for one recipient. Fills *out from pool. Never fails:
 * without scripts has_rules is false (plain INBOX delivery); when the
 * recipient's delivery key is recorded already, is_done is set and
 * nothing runs; a storage failure becomes out->tempfail. */
void deliver_rules_run(struct deliver_rules *r,
                       const struct deliver_rules_input *in, struct pool *pool,
                       struct deliver_rules_result *out);

/* Turns "\\Seen $label" into store flags and a keyword string. */
void deliver_rules_flags(const char *flags, struct pool *pool,
                         uint32_t *flags_r, const char **keywords_r);

#endif
