/* QRESYNC (RFC 7162 §3.2): the SELECT/EXAMINE QRESYNC parameter with its
 * VANISHED (EARLIER) and FETCH answer (§3.2.5), UID FETCH's VANISHED
 * modifier (§3.2.6) and the VANISHED response itself (§3.2.10). Expunged
 * UIDs come from the store's expunge log; a UID the client never knew may
 * be reported, which the RFC allows and clients ignore. */
#include "core/pool.h"
#include "imap/imap_seqset.h"
#include "imapd.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <stdlib.h>

void imapd_vanished_write(struct buf *out, const uint32_t *uids, size_t count,
                          bool is_earlier)
{
	if (count == 0)
		return;
	buf_append_str(out,
	               is_earlier ? "* VANISHED (EARLIER) " : "* VANISHED ");
	imap_seqset_write(out, uids, count);
	buf_append_str(out, "\r\n");
}

/* seq-match-data = "(" known-sequence-set SP known-uid-set ")" */
static bool seq_match_is_valid(const struct imap_arg *a, struct pool *pool)
{
	const char *seqs, *uids;
	struct imap_seqset set;
	return a->type == IMAP_ARG_LIST && a->next == NULL &&
	       imap_arg_get_astring(a->list, &seqs) && a->list->next != NULL &&
	       imap_arg_get_astring(a->list->next, &uids) &&
	       a->list->next->next == NULL &&
	       imap_seqset_parse(seqs, pool, &set) > 0 &&
	       imap_seqset_parse(uids, pool, &set) > 0;
}

/* select-param =/ "QRESYNC" SP "(" uidvalidity SP mod-sequence-value
 *                 [SP known-uids] [SP seq-match-data] ")"
 * seq-match-data is only checked: the expunge log is complete, so the
 * server needs no hint about what the client knows. */
int imapd_qresync_parse(struct imapd_cmd *cmd, const struct imap_arg *list,
                        struct imapd_qresync *qr_r)
{
	*qr_r = (struct imapd_qresync){0};
	if (list == NULL || list->type != IMAP_ARG_LIST)
		return -1;
	const struct imap_arg *a = list->list;
	if (!imap_arg_get_number(a, &qr_r->uidvalidity) ||
	    qr_r->uidvalidity == 0 || a->next == NULL ||
	    !imap_arg_get_number64(a->next, &qr_r->modseq) || qr_r->modseq == 0)
		return -1;
	a = a->next->next;
	const char *known;
	if (a != NULL && a->type != IMAP_ARG_LIST) {
		if (!imap_arg_get_astring(a, &known) ||
		    imap_seqset_parse(known, cmd->pool, &qr_r->known) < 0)
			return -1;
		qr_r->has_known = true;
		a = a->next;
	}
	if (a != NULL && !seq_match_is_valid(a, cmd->pool))
		return -1;
	qr_r->is_set = true;
	return 0;
}

struct qresync_ctx {
	struct imapd_client *client;
	const struct imapd_qresync *qr;
};

static int qresync_fetch_cb(const struct store_message *msg, void *ctx)
{
	struct qresync_ctx *qc = ctx;
	struct imapd_client *c = qc->client;
	if (qc->qr->has_known &&
	    !imap_seqset_contains(&qc->qr->known, msg->uid))
		return 0;
	if (imapd_mailbox_seq(c->box, msg->uid) == 0)
		return 0;
	imapd_fetch_head(c, msg->uid);
	buf_printf(&c->out, "UID %u FLAGS ", msg->uid);
	imapd_flags_write(&c->out, imapd_mailbox_flags(c, msg->uid, msg->flags),
	                  msg->keywords);
	buf_printf(&c->out, " MODSEQ (%llu))\r\n",
	           (unsigned long long)msg->modseq);
	return 0;
}

/* Writes the UIDs expunged since modseq that set holds (all when set is
 * NULL) as VANISHED (EARLIER). Returns 0 or -1. */
static int vanished_since(struct imapd_client *c, struct store_account *account,
                          uint64_t modseq, const struct imap_seqset *set)
{
	uint32_t *uids;
	size_t count, n = 0;
	if (store_imap_vanished(account, c->box->name, modseq, &uids, &count) <
	    0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (set == NULL || imap_seqset_contains(set, uids[i]))
			uids[n++] = uids[i];
	imapd_vanished_write(&c->out, uids, n, true);
	free(uids);
	return 0;
}

int imapd_qresync_select(struct imapd_client *c, const struct imapd_qresync *qr)
{
	struct imapd_mailbox *box = c->box;
	struct store_account *account = imapd_user_account(c->user);
	if (account == NULL)
		return -1;
	/* RFC 7162 §3.2.5.1: another UIDVALIDITY makes the data useless */
	if (qr->uidvalidity != box->uidvalidity)
		return 0;
	struct imap_seqset known = qr->known;
	if (qr->has_known)
		imap_seqset_resolve(&known,
		                    box->uidnext > 0 ? box->uidnext - 1 : 0);
	if (vanished_since(c, account, qr->modseq,
	                   qr->has_known ? &known : NULL) < 0)
		return -1;
	struct imapd_qresync resolved = *qr;
	resolved.known = known;
	struct qresync_ctx qc = {.client = c, .qr = &resolved};
	return store_imap_changed(account, box->name, qr->modseq,
	                          qresync_fetch_cb, &qc) < 0
	           ? -1
	           : 0;
}

int imapd_fetch_vanished(struct imapd_cmd *cmd, const char *set, uint64_t since)
{
	struct imapd_client *c = cmd->client;
	struct store_account *account = imapd_user_account(c->user);
	struct imap_seqset uids;
	if (account == NULL || imap_seqset_parse(set, cmd->pool, &uids) < 0)
		return -1;
	/* "*" as the last UID ever given, so expunged UIDs above the last
	 * message still count */
	imap_seqset_resolve(&uids,
	                    c->box->uidnext > 0 ? c->box->uidnext - 1 : 0);
	return vanished_since(c, account, since, &uids);
}
