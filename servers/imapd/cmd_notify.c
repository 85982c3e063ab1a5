/* NOTIFY (RFC 5465 §3.1, §8): parsing NOTIFY SET [STATUS] event-groups and
 * NOTIFY NONE into the session's struct imapd_notify. Mailbox specifiers:
 * SELECTED, SELECTED-DELAYED, INBOXES (as PERSONAL: §6.3 allows it, and
 * Sieve rules may file mail anywhere), PERSONAL, SUBSCRIBED, SUBTREE and
 * MAILBOXES; events MessageNew (with fetch attributes for the selected
 * mailbox), MessageExpunge, FlagChange, MailboxName, SubscriptionChange.
 * AnnotationChange, MailboxMetadataChange and ServerMetadataChange (no
 * ANNOTATE, no METADATA here) get NO [BADEVENT]. What happens when an event
 * comes is in imapd_notify.c. */
#include "core/pool.h"
#include "core/xmalloc.h"
#include "imapd.h"
#include "mime/mime_section.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOTIFY_BADEVENT                                                        \
	"[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName "         \
	"SubscriptionChange)]"

/* Parse results: 0 fine, -1 BAD (reason in *error_r), -2 NO [BADEVENT]. */

/* fetch-att of MessageNew (§5.2: no \Seen, no part that may not exist):
 * UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE
 * and BODY.PEEK[HEADER...] / BODY.PEEK[n.MIME]. */
int imapd_fetch_att_check(const struct imap_arg *a, struct pool *pool,
                          const char **error_r)
{
	static const char *const simple[] = {
	    "UID",         "FLAGS",    "MODSEQ",        "INTERNALDATE",
	    "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY"};
	if (a->type != IMAP_ARG_ATOM) {
		*error_r = "Invalid fetch attribute";
		return -1;
	}
	for (size_t i = 0; i < sizeof(simple) / sizeof(*simple); i++)
		if (strcasecmp(a->str, simple[i]) == 0)
			return 0;
	if (strncasecmp(a->str, "BODY.PEEK[", 10) == 0) {
		const char *close = strchr(a->str, ']');
		struct mime_section section;
		const char *error;
		if (close == NULL || close[1] != '\0' ||
		    mime_section_parse(a->str + 10,
		                       (size_t)(close - a->str - 10), pool,
		                       &section, &error) < 0 ||
		    section.kind == MIME_SECTION_PART ||
		    section.kind == MIME_SECTION_TEXT) {
			*error_r = "MessageNew takes header sections only";
			return -1;
		}
		return 0;
	}
	*error_r = "Fetch attribute not allowed with MessageNew";
	return -1;
}

static int notify_fetch_att(struct imapd_notify *n, const struct imap_arg *a,
                            const char **error_r)
{
	if (imapd_fetch_att_check(a, n->pool, error_r) < 0)
		return -1;
	if (n->fetch_count == IMAPD_NOTIFY_FETCH_MAX) {
		*error_r = "Too many fetch attributes";
		return -1;
	}
	n->fetch[n->fetch_count++] = pool_strdup(n->pool, a->str);
	return 0;
}

/* events = ( "(" event *(SP event) ")" ) / "NONE" */
static int notify_events(struct imapd_notify *n, const struct imap_arg *a,
                         bool is_selected, unsigned *events_r,
                         const char **error_r)
{
	*events_r = 0;
	if (imap_arg_atom_equals(a, "NONE"))
		return 0;
	if (a == NULL || a->type != IMAP_ARG_LIST || a->count == 0) {
		*error_r = "Events expected";
		return -1;
	}
	bool is_unsupported = false;
	for (const struct imap_arg *e = a->list; e != NULL; e = e->next) {
		if (imap_arg_atom_equals(e, "MessageNew")) {
			*events_r |= IMAPD_NOTIFY_NEW;
			if (e->next != NULL && e->next->type == IMAP_ARG_LIST) {
				if (!is_selected) {
					*error_r = "Fetch attributes are for "
					           "the selected mailbox";
					return -1;
				}
				e = e->next;
				for (const struct imap_arg *f = e->list;
				     f != NULL; f = f->next)
					if (notify_fetch_att(n, f, error_r) < 0)
						return -1;
			}
		} else if (imap_arg_atom_equals(e, "MessageExpunge")) {
			*events_r |= IMAPD_NOTIFY_EXPUNGE;
		} else if (imap_arg_atom_equals(e, "FlagChange")) {
			*events_r |= IMAPD_NOTIFY_FLAGS;
		} else if (imap_arg_atom_equals(e, "MailboxName")) {
			*events_r |= IMAPD_NOTIFY_NAME;
		} else if (imap_arg_atom_equals(e, "SubscriptionChange")) {
			*events_r |= IMAPD_NOTIFY_SUBSCRIPTION;
		} else if (e->type == IMAP_ARG_ATOM) {
			/* AnnotationChange, *MetadataChange, event-ext */
			is_unsupported = true;
		} else {
			*error_r = "Invalid event";
			return -1;
		}
	}
	/* §5: MessageNew and MessageExpunge together; FlagChange needs
	 * both; SELECTED takes message events only (§6.1) */
	unsigned msg = *events_r & (IMAPD_NOTIFY_NEW | IMAPD_NOTIFY_EXPUNGE);
	if (msg == IMAPD_NOTIFY_NEW || msg == IMAPD_NOTIFY_EXPUNGE ||
	    ((*events_r & IMAPD_NOTIFY_FLAGS) && msg == 0)) {
		*error_r = "MessageNew and MessageExpunge go together";
		return -1;
	}
	if (is_selected &&
	    (*events_r & (IMAPD_NOTIFY_NAME | IMAPD_NOTIFY_SUBSCRIPTION))) {
		*error_r = "SELECTED takes message events only";
		return -1;
	}
	return is_unsupported ? -2 : 0;
}

/* one-or-more-mailbox = mailbox / many-mailboxes */
static int notify_names(struct imapd_cmd *cmd, struct imapd_notify *n,
                        struct imapd_notify_group *g, const struct imap_arg *a,
                        const char **error_r)
{
	const struct imap_arg *first = a->type == IMAP_ARG_LIST ? a->list : a;
	size_t count = a->type == IMAP_ARG_LIST ? a->count : 1;
	if (count == 0) {
		*error_r = "Mailbox expected";
		return -1;
	}
	g->names = pool_alloc(n->pool, count * sizeof(*g->names));
	for (const struct imap_arg *m = first;
	     m != NULL && g->name_count < count; m = m->next) {
		const char *name = imapd_arg_mailbox(cmd, m);
		if (name == NULL)
			return -3; /* answered */
		g->names[g->name_count++] = pool_strdup(n->pool, name);
	}
	return 0;
}

/* The events at a: the list itself, or (the form of §3.1's example,
 * without the parentheses the grammar wants) the events up to the end of
 * the group, gathered into *tmp. */
static const struct imap_arg *notify_events_arg(const struct imap_arg *a,
                                                struct imap_arg *tmp)
{
	if (a == NULL || a->type == IMAP_ARG_LIST ||
	    imap_arg_atom_equals(a, "NONE"))
		return a;
	*tmp = (struct imap_arg){.type = IMAP_ARG_LIST, .list = (void *)a};
	for (const struct imap_arg *e = a; e != NULL; e = e->next)
		tmp->count++;
	return tmp;
}

/* event-group = "(" filter-mailboxes SP events ")" */
static int notify_group(struct imapd_cmd *cmd, struct imapd_notify *n,
                        const struct imap_arg *list, const char **error_r)
{
	struct imap_arg tmp;
	const struct imap_arg *a = list->list;
	if (list->type != IMAP_ARG_LIST || a == NULL || a->next == NULL) {
		*error_r = "Event group expected";
		return -1;
	}
	bool is_selected = imap_arg_atom_equals(a, "SELECTED") ||
	                   imap_arg_atom_equals(a, "SELECTED-DELAYED");
	if (is_selected) {
		if (n->selected != IMAPD_NOTIFY_SEL_NONE) {
			*error_r = "One SELECTED or SELECTED-DELAYED only";
			return -1;
		}
		n->selected = imap_arg_atom_equals(a, "SELECTED")
		                  ? IMAPD_NOTIFY_SEL_NOW
		                  : IMAPD_NOTIFY_SEL_DELAYED;
		const struct imap_arg *ev = notify_events_arg(a->next, &tmp);
		if (ev == a->next && a->next->next != NULL) {
			*error_r = "Unexpected arguments";
			return -1;
		}
		return notify_events(n, ev, true, &n->selected_events, error_r);
	}
	if (n->group_count == IMAPD_NOTIFY_GROUP_MAX) {
		*error_r = "Too many event groups";
		return -1;
	}
	struct imapd_notify_group *g = &n->groups[n->group_count];
	*g = (struct imapd_notify_group){0};
	const struct imap_arg *ev = a->next;
	if (imap_arg_atom_equals(a, "INBOXES") ||
	    imap_arg_atom_equals(a, "PERSONAL")) {
		g->kind = IMAPD_NOTIFY_PERSONAL;
	} else if (imap_arg_atom_equals(a, "SUBSCRIBED")) {
		g->kind = IMAPD_NOTIFY_SUBSCRIBED;
	} else if (imap_arg_atom_equals(a, "SUBTREE") ||
	           imap_arg_atom_equals(a, "MAILBOXES")) {
		g->kind = imap_arg_atom_equals(a, "SUBTREE")
		              ? IMAPD_NOTIFY_SUBTREE
		              : IMAPD_NOTIFY_MAILBOXES;
		int ret = notify_names(cmd, n, g, a->next, error_r);
		if (ret < 0)
			return ret;
		ev = a->next->next;
	} else {
		*error_r = "Unknown mailbox specifier";
		return -1;
	}
	const struct imap_arg *events = notify_events_arg(ev, &tmp);
	if (events == NULL || (events == ev && ev->next != NULL)) {
		*error_r = "Events expected";
		return -1;
	}
	ev = events;
	n->group_count++;
	return notify_events(n, ev, false, &g->events, error_r);
}

void imapd_notify_free(struct imapd_notify **notify)
{
	struct imapd_notify *n = *notify;
	if (n == NULL)
		return;
	*notify = NULL;
	pool_free(&n->snap_pool);
	pool_free(&n->pool);
	free(n);
}

/* notify = "NOTIFY" SP (notify-set / notify-none)
 * notify-set = "SET" [status-indicator] SP event-groups */
void cmd_notify(struct imapd_cmd *cmd)
{
	struct imapd_client *c = cmd->client;
	const struct imap_arg *a = cmd->args;
	if (imap_arg_atom_equals(a, "NONE") && a->next == NULL) {
		imapd_notify_free(&c->notify);
		imapd_cmd_ok(cmd, "Notifications off");
		return;
	}
	if (!imap_arg_atom_equals(a, "SET")) {
		imapd_cmd_bad(cmd, "NOTIFY SET or NOTIFY NONE");
		return;
	}
	struct imapd_notify *n = xcalloc(1, sizeof(*n));
	n->pool = pool_new();
	a = a->next;
	bool is_status = imap_arg_atom_equals(a, "STATUS");
	if (is_status)
		a = a->next;
	const char *error = "Event groups expected";
	int ret = a != NULL ? 0 : -1;
	bool is_badevent = false;
	for (; a != NULL && ret == 0; a = a->next) {
		ret = notify_group(cmd, n, a, &error);
		if (ret == -2) {
			is_badevent = true;
			ret = 0;
		}
	}
	if (ret == -3 || ret < 0) {
		if (ret != -3)
			imapd_cmd_bad(cmd, "%s", error);
		imapd_notify_free(&n);
		return;
	}
	if (is_badevent) {
		/* §3.1: NO (not BAD) listing every event supported */
		imapd_notify_free(&n);
		imapd_cmd_no(cmd, NOTIFY_BADEVENT " Event not supported");
		return;
	}
	imapd_notify_free(&c->notify);
	c->notify = n;
	if (imapd_notify_start(c, is_status) < 0) {
		imapd_notify_free(&c->notify);
		imapd_cmd_fail(cmd, "notify");
		return;
	}
	/* §3.1: an implicit NOOP (the reply syncs the selected mailbox) */
	imapd_cmd_ok(cmd, "NOTIFY completed");
}
