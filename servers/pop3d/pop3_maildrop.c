/* The maildrop of a POP3 session (RFC 1939 §4-6): INBOX, locked for the
 * session with flock() on data_dir/run/pop3-locks/<account id> (the kernel
 * drops the lock when the fd closes or the process dies, even on kill -9,
 * and it holds across pop3d workers), and the snapshot taken at login:
 * UID, size, blob and GUID (the UIDL, RFC 1939 §7) of every message. Mail
 * arriving later shows up in the next session. */
#include "pop3d.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Returns 1 with the lock in c->lock_fd, 0 if held elsewhere, -1. */
static int pop3_maildrop_lock(struct pop3_client *c, int64_t account_id)
{
	char *path =
	    xasprintf("%s/%lld", c->pop3d->lock_dir, (long long)account_id);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error(&c->log, "open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		int err = errno;
		close(fd);
		if (err == EWOULDBLOCK)
			return 0;
		log_error(&c->log, "flock: %s", strerror(err));
		return -1;
	}
	c->lock_fd = fd;
	return 1;
}

struct pop3_snapshot_ctx {
	struct pop3_client *client;
	size_t alloc;
};

static int pop3_maildrop_add_cb(const struct store_message *msg, void *ctx)
{
	struct pop3_snapshot_ctx *sc = ctx;
	struct pop3_client *c = sc->client;
	if (c->msg_count == sc->alloc) {
		sc->alloc = sc->alloc == 0 ? 64 : sc->alloc * 2;
		c->msgs = xrealloc(c->msgs, sc->alloc * sizeof(*c->msgs));
	}
	struct pop3_message *m = &c->msgs[c->msg_count++];
	memset(m, 0, sizeof(*m));
	m->uid = msg->uid;
	m->size = msg->size;
	snprintf(m->blob_id, sizeof(m->blob_id), "%s", msg->blob_id);
	snprintf(m->guid, sizeof(m->guid), "%s", msg->guid);
	c->total_size += msg->size;
	return 0;
}

int pop3_maildrop_open(struct pop3_client *c,
                       const struct store_account_info *info)
{
	const char *error;
	int ret = pop3_maildrop_lock(c, info->id);
	if (ret <= 0)
		return ret;
	if (store_account_open(c->pop3d->store, info->address, &c->account,
	                       &error) < 0) {
		log_error(&c->log, "account open: %s", error);
		pop3_maildrop_close(c);
		return -1;
	}
	struct pop3_snapshot_ctx sc = {.client = c};
	if (store_message_list(c->account, "INBOX", 1, UINT32_MAX,
	                       pop3_maildrop_add_cb, &sc) < 0) {
		log_error(&c->log, "message list failed");
		pop3_maildrop_close(c);
		return -1;
	}
	c->account_addr = xstrdup(info->address);
	return 1;
}

int pop3_maildrop_expunge(struct pop3_client *c)
{
	if (c->deleted_count == 0)
		return 0;
	uint32_t *uids = xmalloc(c->deleted_count * sizeof(*uids));
	size_t n = 0;
	for (uint32_t i = 0; i < c->msg_count; i++)
		if (c->msgs[i].is_deleted)
			uids[n++] = c->msgs[i].uid;
	int ret = store_message_expunge(c->account, "INBOX", uids, n);
	free(uids);
	if (ret < 0)
		log_error(&c->log, "expunge failed count=%zu", n);
	return ret;
}

void pop3_maildrop_close(struct pop3_client *c)
{
	store_account_close(&c->account);
	free(c->msgs);
	c->msgs = NULL;
	c->msg_count = 0;
	c->total_size = 0;
	c->deleted_count = 0;
	c->deleted_size = 0;
	free(c->account_addr);
	c->account_addr = NULL;
	if (c->lock_fd >= 0) {
		close(c->lock_fd); /* releases the flock */
		c->lock_fd = -1;
	}
}
