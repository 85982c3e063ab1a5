/* UIDONLY (RFC 9586): once a session sends ENABLE UIDONLY, messages are
 * named by UID only. Commands that take message sequence numbers (FETCH,
 * STORE, COPY, MOVE, SEARCH, SORT, THREAD without UID, a sequence-set
 * search key, QRESYNC's seq-match-data) get BAD [UIDREQUIRED]; FETCH
 * responses become "* uid UIDFETCH (...)" and EXPUNGE responses VANISHED
 * (as with QRESYNC). The rest of imapd asks imapd_fetch_head() for the
 * start of every FETCH response. */
#include "imapd.h"

#include <string.h>
#include <strings.h>

void imapd_fetch_head(struct imapd_client *c, uint32_t uid)
{
	/* uidfetch-resp = uniqueid SP "UIDFETCH" SP msg-att */
	if (c->is_uidonly)
		buf_printf(&c->out, "* %u UIDFETCH (", uid);
	else
		buf_printf(&c->out, "* %u FETCH (",
		           imapd_mailbox_seq(c->box, uid));
}

/* The search keys that take one argument, and HEADER two (RFC 9051 §6.4.4,
 * RFC 7162 §3.1.5 MODSEQ with its optional entry name and type). */
static unsigned key_arity(const char *key)
{
	static const char *const one[] = {
	    "BCC",       "BEFORE", "BODY",     "CC",         "FROM",
	    "KEYWORD",   "LARGER", "ON",       "SENTBEFORE", "SENTON",
	    "SENTSINCE", "SINCE",  "SMALLER",  "SUBJECT",    "TEXT",
	    "TO",        "UID",    "UNKEYWORD"};
	for (size_t i = 0; i < sizeof(one) / sizeof(*one); i++)
		if (strcasecmp(key, one[i]) == 0)
			return 1;
	return strcasecmp(key, "HEADER") == 0 ? 2 : 0;
}

/* Returns true if a key from *a on names messages by sequence number;
 * moves *a past one key. */
static bool key_has_seq(const struct imap_arg **a, unsigned depth)
{
	const struct imap_arg *k = *a;
	*a = k->next;
	if (depth > 64)
		return false;
	if (k->type == IMAP_ARG_LIST) {
		for (const struct imap_arg *i = k->list; i != NULL;)
			if (key_has_seq(&i, depth + 1))
				return true;
		return false;
	}
	if (k->type != IMAP_ARG_ATOM)
		return false;
	if (strcasecmp(k->str, "NOT") == 0)
		return *a != NULL && key_has_seq(a, depth + 1);
	if (strcasecmp(k->str, "OR") == 0)
		return (*a != NULL && key_has_seq(a, depth + 1)) ||
		       (*a != NULL && key_has_seq(a, depth + 1));
	if (strcasecmp(k->str, "MODSEQ") == 0) {
		if (*a != NULL && (*a)->type == IMAP_ARG_QUOTED)
			*a = (*a)->next != NULL ? (*a)->next->next : NULL;
		if (*a != NULL)
			*a = (*a)->next;
		return false;
	}
	unsigned n = key_arity(k->str);
	for (; n > 0 && *a != NULL; n--)
		*a = (*a)->next;
	/* sequence-set: digits, ":", ",", "*" (not "$", the saved UIDs) */
	return k->str[0] != '\0' && k->str[0] != '$' &&
	       strspn(k->str, "0123456789:,*") == strlen(k->str);
}

int imapd_uidonly_check_keys(struct imapd_cmd *cmd, const struct imap_arg *keys)
{
	if (!cmd->client->is_uidonly)
		return 0;
	for (const struct imap_arg *a = keys; a != NULL;) {
		if (key_has_seq(&a, 0)) {
			imapd_cmd_bad(cmd, "[UIDREQUIRED] Message sequence "
			                   "numbers are off (UIDONLY)");
			return -1;
		}
	}
	return 0;
}

bool imapd_uidonly_refuses(const struct imapd_client *c,
                           const struct imapd_cmd *cmd)
{
	/* EXPUNGE names no message; UID EXPUNGE names UIDs */
	return c->is_uidonly && (cmd->flags & IMAPD_CMD_UID) != 0 &&
	       !cmd->is_uid && strcmp(cmd->name, "EXPUNGE") != 0;
}
