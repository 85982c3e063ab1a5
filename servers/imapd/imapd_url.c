/* IMAP URLs (RFC 5092) for CATENATE (RFC 4469 §3): a message or a part of
 * one, in a mailbox of the user logged in, named by a relative URL
 * ("/INBOX;UIDVALIDITY=7/;UID=20/;SECTION=1.MIME/;PARTIAL=0.100", or
 * ";UID=20..." against the selected mailbox) or by an absolute one whose
 * user is this user ("imap://user@host/..."). Anything else (another
 * user, URLAUTH, a search or list URL, an expunged UID, a part that does
 * not exist) is a bad URL, answered with BADURL. The octets copied are
 * those FETCH BODY[section]<partial> would send. */
#include "core/pool.h"
#include "imapd.h"
#include "mime/mime.h"
#include "mime/mime_section.h"
#include "store/store.h"
#include "store/store_imap.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct imap_url {
	const char *mailbox;
	uint32_t uidvalidity, uid; /* uidvalidity 0: not given */
	const char *section;       /* NULL: the whole message */
	bool has_partial;
	uint64_t partial_offset, partial_len; /* len 0: to the end */
};

/* Decodes %XX escapes of s[0..len) (RFC 3986 §2.1). Returns the string
 * from pool, or NULL for a bad escape or a NUL. */
static char *url_unescape(struct pool *pool, const char *s, size_t len)
{
	char *out = pool_alloc(pool, len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= len || !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]))
			return NULL;
		char hex[3] = {s[i + 1], s[i + 2], '\0'};
		*o = (char)strtol(hex, NULL, 16);
		if (*o++ == '\0')
			return NULL;
		i += 2;
	}
	*o = '\0';
	return out;
}

/* Reads nz-number at *s; returns 0 and moves *s, or -1. */
static int url_number(const char **s, uint64_t max, uint64_t *n_r)
{
	uint64_t n = 0;
	const char *p = *s;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > max)
			return -1;
	}
	*s = p;
	*n_r = n;
	return 0;
}

static bool url_skip(const char **s, const char *word)
{
	size_t len = strlen(word);
	if (strncasecmp(*s, word, len) != 0)
		return false;
	*s += len;
	return true;
}

/* iuserinfo "@" host: the user must be the one logged in (its address,
 * or its local part). Returns the rest after the host, or NULL. */
static const char *url_authority(struct imapd_cmd *cmd, const char *s)
{
	const char *slash = strchr(s, '/'), *at = NULL;
	for (const char *p = s; slash != NULL && p < slash; p++)
		if (*p == '@')
			at = p; /* an address's own "@" should be %40 */
	if (at == NULL)
		return NULL;
	size_t ulen = strcspn(s, ";"); /* ";AUTH=" follows the user */
	if (ulen > (size_t)(at - s))
		ulen = (size_t)(at - s);
	if (s + ulen != at)
		return NULL; /* ;AUTH= or URLAUTH: not ours to judge */
	char *user = url_unescape(cmd->pool, s, ulen);
	const char *address = cmd->client->user->address;
	const char *local_end = strchr(address, '@');
	size_t local_len =
	    local_end != NULL ? (size_t)(local_end - address) : strlen(address);
	if (user == NULL || (strcasecmp(user, address) != 0 &&
	                     (strlen(user) != local_len ||
	                      strncasecmp(user, address, local_len) != 0)))
		return NULL;
	return slash;
}

/* imessagepart = ... enc-mailbox [uidvalidity] iuid [isection] [ipartial]
 * uidvalidity = ";UIDVALIDITY=" nz-number; iuid = "/;UID=" nz-number;
 * isection = "/;SECTION=" enc-section; ipartial = "/;PARTIAL=" number
 * ["." nz-number]   (RFC 5092 §6, §9). Returns 0 or -1 (not one). */
static int url_parse(struct imapd_cmd *cmd, const char *s, struct imap_url *u)
{
	uint64_t n;
	*u = (struct imap_url){0};
	if (url_skip(&s, "imap://")) {
		if ((s = url_authority(cmd, s)) == NULL)
			return -1;
	}
	if (*s == '/') {
		s++;
		const char *end = s;
		while (*end != '\0' && *end != ';' && *end != '?')
			end++;
		/* "Drafts/" before ";UID=": the mailbox ends at the last "/" */
		size_t len = (size_t)(end - s);
		if (len > 0 && s[len - 1] == '/')
			len--;
		if (len == 0 ||
		    (u->mailbox = url_unescape(cmd->pool, s, len)) == NULL)
			return -1;
		if (strcasecmp(u->mailbox, "INBOX") == 0)
			u->mailbox = "INBOX";
		s += len;
		if (url_skip(&s, ";UIDVALIDITY=")) {
			if (url_number(&s, UINT32_MAX, &n) < 0 || n == 0)
				return -1;
			u->uidvalidity = (uint32_t)n;
		}
		if (!url_skip(&s, "/;UID="))
			return -1;
	} else if (url_skip(&s, ";UID=")) {
		/* relative to the selected mailbox (RFC 4469 §3) */
		if (cmd->client->box == NULL)
			return -1;
		u->mailbox = cmd->client->box->name;
	} else {
		return -1;
	}
	if (url_number(&s, UINT32_MAX, &n) < 0 || n == 0)
		return -1;
	u->uid = (uint32_t)n;
	if (url_skip(&s, "/;SECTION=")) {
		const char *end = strstr(s, "/;");
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
		if ((u->section = url_unescape(cmd->pool, s, len)) == NULL)
			return -1;
		s += len;
	}
	if (url_skip(&s, "/;PARTIAL=")) {
		if (url_number(&s, UINT64_MAX / 2, &u->partial_offset) < 0)
			return -1;
		if (*s == '.' &&
		    (s++, url_number(&s, UINT64_MAX / 2, &u->partial_len) < 0 ||
		              u->partial_len == 0))
			return -1;
		u->has_partial = true;
	}
	return *s == '\0' ? 0 : -1;
}

struct url_msg {
	uint32_t uid;
	char blob_id[STORE_BLOB_ID_LEN + 1];
	bool found;
};

static int url_msg_cb(const struct store_message *msg, void *ctx)
{
	struct url_msg *um = ctx;
	if (msg->uid != um->uid)
		return 0;
	um->found = true;
	snprintf(um->blob_id, sizeof(um->blob_id), "%s", msg->blob_id);
	return 1;
}

/* Writes the range [off, off+len) of data, cut by the URL's PARTIAL. */
static int url_write(struct store_blob_writer *w, const struct imap_url *u,
                     const unsigned char *data, size_t len)
{
	if (u->has_partial) {
		size_t off = u->partial_offset < len ? u->partial_offset : len;
		data += off;
		len -= off;
		if (u->partial_len != 0 && u->partial_len < len)
			len = (size_t)u->partial_len;
	}
	return len == 0 ? 0 : store_blob_write(w, data, len);
}

/* Copies the section of the mapped message. Returns 1, 0 (no such part or
 * bad section), -1. */
static int url_copy_section(struct imapd_cmd *cmd, const struct imap_url *u,
                            const unsigned char *data, size_t size,
                            struct store_blob_writer *w)
{
	if (u->section == NULL)
		return url_write(w, u, data, size) < 0 ? -1 : 1;
	struct mime_section section;
	struct mime_section_result r;
	struct mime_settings ms;
	const char *error;
	if (mime_section_parse(u->section, strlen(u->section), cmd->pool,
	                       &section, &error) < 0)
		return 0;
	mime_settings_init(&ms);
	struct mime_part *root = mime_parse(data, size, &ms, cmd->pool);
	if (mime_section_find(data, root, &section, cmd->pool, &r) <= 0)
		return 0;
	int ret = r.synth != NULL ? url_write(w, u, r.synth, r.synth_size)
	                          : url_write(w, u, data + r.offset, r.size);
	return ret < 0 ? -1 : 1;
}

int imapd_url_append(struct imapd_cmd *cmd, const char *url,
                     struct store_blob_writer *w)
{
	struct imapd_client *c = cmd->client;
	struct store_account *account = imapd_user_account(c->user);
	struct imap_url u;
	uint32_t uidvalidity, uidnext;
	uint64_t hms;
	if (url_parse(cmd, url, &u) < 0)
		return 0;
	if (account == NULL)
		return -1;
	int ret = store_imap_mailbox_state(account, u.mailbox, &uidvalidity,
	                                   &uidnext, &hms);
	if (ret <= 0 || (u.uidvalidity != 0 && u.uidvalidity != uidvalidity))
		return ret < 0 ? -1 : 0;
	struct url_msg um = {.uid = u.uid};
	if (store_message_list(account, u.mailbox, u.uid, u.uid, url_msg_cb,
	                       &um) < 0)
		return -1;
	if (!um.found)
		return 0;
	int fd = store_blob_open(c->imapd->store, um.blob_id);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		log_error(&c->log, "catenate blob %s: %s", um.blob_id,
		          strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	void *map =
	    size > 0 ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	static const unsigned char empty[1];
	ret = url_copy_section(cmd, &u, map != NULL ? map : empty, size, w);
	if (map != NULL)
		munmap(map, size);
	return ret;
}

const char *imapd_url_text(struct imapd_cmd *cmd, const char *url)
{
	/* url-resp-text = 1*(any TEXT-CHAR except "]") */
	char *s = pool_strdup(cmd->pool, url[0] != '\0' ? url : "-");
	for (char *p = s; *p != '\0'; p++)
		if (*p == ']' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}
