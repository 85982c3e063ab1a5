/* One account's own database, accounts/<id>/mail.db: creating it with the
 * default mailboxes (RFC 6154 roles), opening and closing it, usage totals,
 * and change notification. After every commit a writer touches
 * accounts/<id>/changes (utimensat); watchers get an inotify fd on it. */
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "store/store_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct store_migration store_account_migrations[] = {
    {"CREATE TABLE meta ("
     " key TEXT PRIMARY KEY,"
     " value INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE mailboxes ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " name TEXT NOT NULL UNIQUE,"
     " special_use INTEGER NOT NULL DEFAULT 0,"
     " uidvalidity INTEGER NOT NULL,"
     " uidnext INTEGER NOT NULL DEFAULT 1,"
     " highestmodseq INTEGER NOT NULL DEFAULT 1,"
     " subscribed INTEGER NOT NULL DEFAULT 1);"
     "CREATE TABLE messages ("
     " mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id)"
     "  ON DELETE CASCADE,"
     " uid INTEGER NOT NULL,"
     " modseq INTEGER NOT NULL,"
     " flags INTEGER NOT NULL DEFAULT 0,"
     " keywords TEXT NOT NULL DEFAULT '',"
     " internal_date INTEGER NOT NULL,"
     " size INTEGER NOT NULL,"
     " blob_id TEXT NOT NULL,"
     " guid TEXT NOT NULL,"
     " PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
     "CREATE INDEX messages_blob ON messages(blob_id);"
     "CREATE INDEX messages_guid ON messages(guid);"
     /* Kept after expunge so a retried delivery is still recognised;
      * maintenance may prune old rows. */
     "CREATE TABLE deliveries ("
     " key TEXT PRIMARY KEY,"
     " mailbox_id INTEGER NOT NULL,"
     " uid INTEGER NOT NULL,"
     " created INTEGER NOT NULL) WITHOUT ROWID;"},
    /* lib/store/store_mime.c: the search text of each blob this account
     * holds, in an FTS5 trigram index (substring search). */
    {"CREATE TABLE message_text_ids ("
     " id INTEGER PRIMARY KEY,"
     " blob_id TEXT NOT NULL UNIQUE);"
     "CREATE VIRTUAL TABLE message_text USING fts5("
     " hfrom, hto, hcc, subject, header, body, tokenize='trigram');"},
    /* RFC 7162 §3.2: the expunge log for QRESYNC's VANISHED. A row per
     * UID that left a mailbox (expunge or move), with the mailbox's
     * MODSEQ of that change; written in the same transaction. Pruned by
     * maintenance (store_gc_expunged); see expunge_horizon below. */
    {"CREATE TABLE expunged ("
     " mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id)"
     "  ON DELETE CASCADE,"
     " uid INTEGER NOT NULL,"
     " modseq INTEGER NOT NULL,"
     " PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
     "CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);"
     /* RFC 3501 §2.3.2 \Recent: UIDs up to recent_uid were seen by
      * some session's SELECT already (store_imap_recent) */
     "ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL"
     " DEFAULT 0;"},
    /* lib/store/store_sync.c: what a client remembers of its server. Keyed
     * by mailbox name with no foreign keys, so the rows outlive a local
     * DELETE of the mailbox or an expunge of the message (store_sync.h). */
    {"CREATE TABLE sync_mailbox ("
     " name TEXT PRIMARY KEY,"
     " local_uidvalidity INTEGER NOT NULL,"
     " uidvalidity INTEGER NOT NULL,"
     " uidnext INTEGER NOT NULL,"
     " highestmodseq INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE sync_map ("
     " mailbox TEXT NOT NULL,"
     " remote_uid INTEGER NOT NULL,"
     " local_uid INTEGER NOT NULL,"
     " flags INTEGER NOT NULL,"
     " keywords TEXT NOT NULL,"
     " PRIMARY KEY (mailbox, remote_uid)) WITHOUT ROWID;"
     "CREATE UNIQUE INDEX sync_map_local ON sync_map(mailbox, local_uid);"
     "CREATE TABLE sync_pop3 ("
     " uidl TEXT PRIMARY KEY,"
     " downloaded INTEGER NOT NULL) WITHOUT ROWID;"},
    /* RFC 7162 §3.2.5.2: the expunge log of a mailbox holds every expunge
     * with a MODSEQ above expunge_horizon; maintenance raises it when it
     * prunes (store_gc_expunged), and store_imap_vanished answers an older
     * MODSEQ with every UID that is gone. Mailboxes older than this step
     * may have expunges from before the log: their horizon starts at
     * their HIGHESTMODSEQ. */
    {"ALTER TABLE mailboxes ADD COLUMN expunge_horizon INTEGER NOT NULL"
     " DEFAULT 0;"
     "UPDATE mailboxes SET expunge_horizon = highestmodseq;"},
    /* lib/store/store_contact.c: the address book. Use counts are kept
     * per lowercased address, apart from the contacts. */
    {"CREATE TABLE contacts ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " uid TEXT NOT NULL UNIQUE,"
     " name TEXT NOT NULL,"
     " org TEXT NOT NULL,"
     " note TEXT NOT NULL,"
     " vcard TEXT NOT NULL,"
     " updated INTEGER NOT NULL);"
     "CREATE TABLE contact_emails ("
     " contact_id INTEGER NOT NULL REFERENCES contacts(id)"
     "  ON DELETE CASCADE,"
     " position INTEGER NOT NULL,"
     " address TEXT NOT NULL,"
     " PRIMARY KEY (contact_id, position)) WITHOUT ROWID;"
     "CREATE INDEX contact_emails_address ON contact_emails(lower(address));"
     "CREATE TABLE contact_phones ("
     " contact_id INTEGER NOT NULL REFERENCES contacts(id)"
     "  ON DELETE CASCADE,"
     " position INTEGER NOT NULL,"
     " number TEXT NOT NULL,"
     " PRIMARY KEY (contact_id, position)) WITHOUT ROWID;"
     "CREATE TABLE address_use ("
     " address TEXT PRIMARY KEY,"
     " count INTEGER NOT NULL,"
     " last_used INTEGER NOT NULL) WITHOUT ROWID;"},
    /* lib/store/store_mime.c: every message of the mailbox with a UID up
     * to indexed_uid has had its turn at the search index, so a search
     * looks for unindexed messages only above it (not over the whole
     * mailbox: that scan cost 0.25 s per search at 100,000 messages). */
    {"ALTER TABLE mailboxes ADD COLUMN indexed_uid INTEGER NOT NULL"
     " DEFAULT 0;"},
    /* lib/store/store_expire.c: a mailbox's expiry in days (NULL: the
     * default of its SPECIAL-USE role, 0: never), and when each message
     * arrived in its mailbox: its internal date when delivered or
     * appended, the time of the COPY or MOVE otherwise (a message moved
     * to Trash keeps its old internal date, RFC 9051 §6.4.7). */
    {"ALTER TABLE mailboxes ADD COLUMN expire_days INTEGER;"
     "ALTER TABLE messages ADD COLUMN saved INTEGER NOT NULL DEFAULT 0;"
     "UPDATE messages SET saved = internal_date;"},
    /* lib/store/store_dav.c: calendars and address books (store_dav.h).
     * time_start/time_end NULL is an unbounded span; data NULL means the
     * bytes are in blob_id. Tombstones and dead properties name members
     * by name, so they need no foreign key to dav_objects. */
    {"CREATE TABLE dav_collections ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " kind INTEGER NOT NULL,"
     " name TEXT NOT NULL,"
     " displayname TEXT NOT NULL DEFAULT '',"
     " description TEXT NOT NULL DEFAULT '',"
     " color TEXT NOT NULL DEFAULT '',"
     " timezone TEXT NOT NULL DEFAULT '',"
     " sort_order INTEGER NOT NULL DEFAULT 0,"
     " components INTEGER NOT NULL DEFAULT 0,"
     " max_resource_size INTEGER NOT NULL,"
     " modseq INTEGER NOT NULL DEFAULT 1,"
     " tombstone_horizon INTEGER NOT NULL DEFAULT 0,"
     " created INTEGER NOT NULL,"
     " UNIQUE (kind, name));"
     "CREATE TABLE dav_objects ("
     " collection_id INTEGER NOT NULL REFERENCES dav_collections(id)"
     "  ON DELETE CASCADE,"
     " name TEXT NOT NULL,"
     " uid TEXT NOT NULL,"
     " etag TEXT NOT NULL,"
     " modseq INTEGER NOT NULL,"
     " content_type TEXT NOT NULL,"
     " size INTEGER NOT NULL,"
     " data BLOB,"
     " blob_id TEXT,"
     " component INTEGER NOT NULL DEFAULT 0,"
     " time_start INTEGER,"
     " time_end INTEGER,"
     " recurring INTEGER NOT NULL DEFAULT 0,"
     " created INTEGER NOT NULL,"
     " updated INTEGER NOT NULL,"
     " UNIQUE (collection_id, name),"
     " UNIQUE (collection_id, uid));"
     "CREATE INDEX dav_objects_modseq ON dav_objects(collection_id, modseq);"
     "CREATE INDEX dav_objects_blob ON dav_objects(blob_id)"
     " WHERE blob_id IS NOT NULL;"
     "CREATE TABLE dav_tombstones ("
     " collection_id INTEGER NOT NULL REFERENCES dav_collections(id)"
     "  ON DELETE CASCADE,"
     " name TEXT NOT NULL,"
     " modseq INTEGER NOT NULL,"
     " PRIMARY KEY (collection_id, name)) WITHOUT ROWID;"
     "CREATE INDEX dav_tombstones_modseq ON"
     " dav_tombstones(collection_id, modseq);"
     "CREATE TABLE dav_props ("
     " collection_id INTEGER NOT NULL REFERENCES dav_collections(id)"
     "  ON DELETE CASCADE,"
     " object TEXT NOT NULL,"
     " ns TEXT NOT NULL,"
     " name TEXT NOT NULL,"
     " value TEXT NOT NULL,"
     " PRIMARY KEY (collection_id, object, ns, name)) WITHOUT ROWID;"
     "CREATE TABLE dav_grants ("
     " collection_id INTEGER NOT NULL REFERENCES dav_collections(id)"
     "  ON DELETE CASCADE,"
     " grantee TEXT NOT NULL,"
     " access INTEGER NOT NULL,"
     " PRIMARY KEY (collection_id, grantee)) WITHOUT ROWID;"},
    /* lib/store/store_jmap.c (doc/jmap.md, state and changes): one JMAP
     * change counter per account (meta jmap_modseq) that every change of
     * an Email, Mailbox or Thread takes a new value of, whichever process
     * or protocol made it: triggers keep it, so IMAP, POP3, deliver and
     * JMAP need no code of their own. An Email is a guid (copies in
     * several mailboxes are one Email); its row counts the messages rows
     * and the visible ones (without \Deleted: RFC 8621 §4.1.1), and stays
     * when none are left, as the tombstone /changes reads. Threads are
     * assigned by store_thread.c; thread_refs maps Message-IDs seen to
     * threads. Uploaded blobs are remembered per account (uploads). */
    {"INSERT INTO meta (key, value) VALUES ('jmap_modseq', 1),"
     " ('jmap_state_email', 1), ('jmap_state_mailbox', 1),"
     " ('jmap_state_thread', 1);"
     "ALTER TABLE mailboxes ADD COLUMN jmap_created INTEGER NOT NULL"
     " DEFAULT 1;"
     "ALTER TABLE mailboxes ADD COLUMN jmap_modseq INTEGER NOT NULL"
     " DEFAULT 1;"
     "ALTER TABLE mailboxes ADD COLUMN jmap_props_modseq INTEGER NOT NULL"
     " DEFAULT 1;"
     "ALTER TABLE mailboxes ADD COLUMN sort_order INTEGER NOT NULL"
     " DEFAULT 0;"
     "CREATE TABLE jmap_mailbox_gone ("
     " id INTEGER PRIMARY KEY,"
     " created INTEGER NOT NULL,"
     " modseq INTEGER NOT NULL);"
     "CREATE TABLE emails ("
     " guid TEXT PRIMARY KEY,"
     " thread_id INTEGER NOT NULL DEFAULT 0,"
     " rows INTEGER NOT NULL DEFAULT 0,"
     " visible INTEGER NOT NULL DEFAULT 0,"
     " created INTEGER NOT NULL DEFAULT 1,"
     " modseq INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID;"
     "CREATE INDEX emails_modseq ON emails(modseq);"
     "CREATE INDEX emails_thread ON emails(thread_id);"
     "CREATE TABLE threads ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " subject TEXT NOT NULL,"
     " visible INTEGER NOT NULL DEFAULT 0,"
     " created INTEGER NOT NULL DEFAULT 1,"
     " modseq INTEGER NOT NULL DEFAULT 1);"
     "CREATE INDEX threads_modseq ON threads(modseq);"
     "CREATE TABLE thread_refs ("
     " msgid TEXT PRIMARY KEY,"
     " thread_id INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE uploads ("
     " blob_id TEXT PRIMARY KEY,"
     " type TEXT NOT NULL,"
     " size INTEGER NOT NULL,"
     " created INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE INDEX messages_date ON messages(mailbox_id, internal_date);"
     "INSERT INTO emails (guid, rows, visible)"
     " SELECT guid, count(*), sum((flags & 8) = 0) FROM messages"
     " GROUP BY guid;"},
    /* the triggers of the step above: each change takes a new value of
     * meta jmap_modseq and stamps the objects it changed with it */
    {"CREATE TRIGGER messages_jmap_insert AFTER INSERT ON messages BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " INSERT INTO emails (guid) VALUES (NEW.guid)"
     "  ON CONFLICT (guid) DO NOTHING;"
     " UPDATE emails SET rows = rows + 1,"
     "  visible = visible + ((NEW.flags & 8) = 0),"
     "  created = CASE WHEN visible = 0 AND (NEW.flags & 8) = 0 THEN"
     "   (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "   ELSE created END,"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE guid = NEW.guid;"
     " UPDATE mailboxes SET jmap_modseq ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = NEW.mailbox_id;"
     " UPDATE meta SET value ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE key IN ('jmap_state_email', 'jmap_state_mailbox');"
     "END;"
     "CREATE TRIGGER messages_jmap_flags AFTER UPDATE OF flags, keywords"
     " ON messages WHEN OLD.flags != NEW.flags"
     " OR OLD.keywords != NEW.keywords BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE emails SET"
     "  visible = visible + ((NEW.flags & 8) = 0) - ((OLD.flags & 8) = 0),"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE guid = NEW.guid;"
     " UPDATE mailboxes SET jmap_modseq ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = NEW.mailbox_id AND (OLD.flags & 9) != (NEW.flags & 9);"
     " UPDATE meta SET value ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE key = 'jmap_state_email' OR (key = 'jmap_state_mailbox'"
     "  AND (OLD.flags & 9) != (NEW.flags & 9));"
     "END;"
     "CREATE TRIGGER messages_jmap_move AFTER UPDATE OF mailbox_id"
     " ON messages WHEN OLD.mailbox_id != NEW.mailbox_id BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE emails SET"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE guid = NEW.guid;"
     " UPDATE mailboxes SET jmap_modseq ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id IN (OLD.mailbox_id, NEW.mailbox_id);"
     " UPDATE meta SET value ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE key IN ('jmap_state_email', 'jmap_state_mailbox');"
     "END;"
     "CREATE TRIGGER messages_jmap_delete AFTER DELETE ON messages BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE emails SET rows = rows - 1,"
     "  visible = visible - ((OLD.flags & 8) = 0),"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE guid = OLD.guid;"
     " UPDATE mailboxes SET jmap_modseq ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = OLD.mailbox_id;"
     " UPDATE meta SET value ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE key IN ('jmap_state_email', 'jmap_state_mailbox');"
     "END;"},
    /* a thread changes when an email comes into it or leaves it */
    {"CREATE TRIGGER emails_jmap_thread AFTER UPDATE OF visible, thread_id"
     " ON emails WHEN (OLD.visible > 0) != (NEW.visible > 0)"
     " OR OLD.thread_id != NEW.thread_id BEGIN"
     " UPDATE threads SET visible = visible - (OLD.visible > 0),"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = OLD.thread_id;"
     " UPDATE threads SET visible = visible + (NEW.visible > 0),"
     "  created = CASE WHEN visible = 0 AND NEW.visible > 0 THEN"
     "   (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "   ELSE created END,"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = NEW.thread_id;"
     " UPDATE meta SET value ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE key = 'jmap_state_thread';"
     "END;"},
    {"CREATE TRIGGER mailboxes_jmap_insert AFTER INSERT ON mailboxes BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE mailboxes SET"
     "  jmap_created = (SELECT value FROM meta WHERE key = 'jmap_modseq'),"
     "  jmap_modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq'),"
     "  jmap_props_modseq ="
     "   (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = NEW.id;"
     " UPDATE meta SET value ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE key = 'jmap_state_mailbox';"
     "END;"
     "CREATE TRIGGER mailboxes_jmap_update AFTER UPDATE OF name,"
     " special_use, subscribed, sort_order ON mailboxes"
     " WHEN OLD.name != NEW.name OR OLD.special_use != NEW.special_use"
     " OR OLD.subscribed != NEW.subscribed"
     " OR OLD.sort_order != NEW.sort_order BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE mailboxes SET"
     "  jmap_modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq'),"
     "  jmap_props_modseq ="
     "   (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = NEW.id;"
     " UPDATE meta SET value ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE key = 'jmap_state_mailbox';"
     "END;"
     "CREATE TRIGGER mailboxes_jmap_delete AFTER DELETE ON mailboxes BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " INSERT OR REPLACE INTO jmap_mailbox_gone (id, created, modseq)"
     "  VALUES (OLD.id, OLD.jmap_created,"
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq'));"
     " UPDATE meta SET value ="
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE key = 'jmap_state_mailbox';"
     "END;"},
    /* lib/store/store_sieve.c: Sieve scripts (RFC 5804's model: one
     * active at most) and the keys delivery rules remember until they
     * expire (vacation replies, duplicate ids, error reports). */
    {"CREATE TABLE sieve_scripts ("
     " name TEXT PRIMARY KEY,"
     " script BLOB NOT NULL,"
     " is_active INTEGER NOT NULL DEFAULT 0,"
     " updated INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE UNIQUE INDEX sieve_scripts_active ON sieve_scripts(is_active)"
     " WHERE is_active = 1;"
     "CREATE TABLE sieve_memory ("
     " key TEXT PRIMARY KEY,"
     " expires INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE INDEX sieve_memory_expires ON sieve_memory(expires);"},
    /* lib/store/store_jmap_dav.c: JMAP ids and changes of the DAV
     * collections and members (doc/jmap.md, contacts and calendars).
     * dav_jmap_objects gives each member a JMAP id that lives as long as
     * the row (a PUT that replaces it or a MOVE keeps it) and stamps it
     * with the account's JMAP change counter; obj is the dav_objects
     * rowid, NULL once the member went (the tombstone /changes reads).
     * type: 1 ContactCard, 2 CalendarEvent, 3 Task, 4 journal entry, 0
     * not a JMAP object. dav_jmap_collections does the same for the
     * collections; a change of a grant is a change of its collection. */
    {"CREATE TABLE dav_jmap_objects ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " obj INTEGER UNIQUE,"
     " type INTEGER NOT NULL,"
     " created INTEGER NOT NULL,"
     " modseq INTEGER NOT NULL);"
     "CREATE INDEX dav_jmap_objects_modseq ON dav_jmap_objects(type, modseq);"
     "CREATE TABLE dav_jmap_collections ("
     " id INTEGER PRIMARY KEY,"
     " kind INTEGER NOT NULL,"
     " gone INTEGER NOT NULL DEFAULT 0,"
     " created INTEGER NOT NULL,"
     " modseq INTEGER NOT NULL);"
     "INSERT INTO dav_jmap_collections (id, kind, created, modseq)"
     " SELECT id, kind, 1, 1 FROM dav_collections;"
     "INSERT INTO dav_jmap_objects (obj, type, created, modseq)"
     " SELECT o.rowid, CASE c.kind WHEN 2 THEN 1 ELSE CASE o.component"
     "  WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 4 THEN 4 ELSE 0 END END, 1, 1"
     " FROM dav_objects o JOIN dav_collections c ON c.id = o.collection_id;"
     "CREATE TRIGGER dav_objects_jmap_insert AFTER INSERT ON dav_objects"
     " BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " INSERT INTO dav_jmap_objects (obj, type, created, modseq) VALUES"
     " (NEW.rowid, (SELECT CASE kind WHEN 2 THEN 1 ELSE CASE NEW.component"
     "  WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 4 THEN 4 ELSE 0 END END"
     "  FROM dav_collections WHERE id = NEW.collection_id),"
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq'),"
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq'));"
     "END;"
     "CREATE TRIGGER dav_objects_jmap_update AFTER UPDATE ON dav_objects"
     " BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE dav_jmap_objects SET type = (SELECT CASE kind WHEN 2 THEN 1"
     "  ELSE CASE NEW.component"
     "  WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 4 THEN 4 ELSE 0 END END"
     "  FROM dav_collections WHERE id = NEW.collection_id),"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE obj = OLD.rowid;"
     "END;"
     "CREATE TRIGGER dav_objects_jmap_delete AFTER DELETE ON dav_objects"
     " BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE dav_jmap_objects SET obj = NULL,"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE obj = OLD.rowid;"
     "END;"
     "CREATE TRIGGER dav_collections_jmap_insert AFTER INSERT ON"
     " dav_collections BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " INSERT OR REPLACE INTO dav_jmap_collections (id, kind, created,"
     "  modseq) VALUES (NEW.id, NEW.kind,"
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq'),"
     "  (SELECT value FROM meta WHERE key = 'jmap_modseq'));"
     "END;"
     "CREATE TRIGGER dav_collections_jmap_update AFTER UPDATE OF name,"
     " displayname, description, color, timezone, sort_order, components"
     " ON dav_collections BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE dav_jmap_collections SET"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = NEW.id;"
     "END;"
     "CREATE TRIGGER dav_collections_jmap_delete AFTER DELETE ON"
     " dav_collections BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE dav_jmap_collections SET gone = 1,"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = OLD.id;"
     "END;"
     "CREATE TRIGGER dav_grants_jmap_insert AFTER INSERT ON dav_grants"
     " BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE dav_jmap_collections SET"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = NEW.collection_id;"
     "END;"
     "CREATE TRIGGER dav_grants_jmap_update AFTER UPDATE ON dav_grants"
     " BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE dav_jmap_collections SET"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = NEW.collection_id;"
     "END;"
     "CREATE TRIGGER dav_grants_jmap_delete AFTER DELETE ON dav_grants"
     " BEGIN"
     " UPDATE meta SET value = value + 1 WHERE key = 'jmap_modseq';"
     " UPDATE dav_jmap_collections SET"
     "  modseq = (SELECT value FROM meta WHERE key = 'jmap_modseq')"
     "  WHERE id = OLD.collection_id;"
     "END;"},
};

#define ACCOUNT_MIGRATION_COUNT                                                \
	(sizeof(store_account_migrations) / sizeof(*store_account_migrations))

static const struct {
	const char *name;
	enum store_special_use special_use;
} default_mailboxes[] = {
    {"INBOX", STORE_SPECIAL_INBOX}, {"Drafts", STORE_SPECIAL_DRAFTS},
    {"Sent", STORE_SPECIAL_SENT},   {"Trash", STORE_SPECIAL_TRASH},
    {"Junk", STORE_SPECIAL_JUNK},   {"Archive", STORE_SPECIAL_ARCHIVE},
};

int store_account_db_remove(struct store *store, int64_t id)
{
	char *dir = xasprintf("%s/%lld", store->accounts_dir, (long long)id);
	DIR *d = opendir(dir);
	int ret = 0;
	if (d == NULL) {
		ret = errno == ENOENT ? 0 : -1;
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			ret = -1;
	}
	closedir(d);
	if (ret == 0 && rmdir(dir) < 0)
		ret = -1;
	if (ret == 0)
		ret = file_fsync_dir(store->accounts_dir);
out:
	free(dir);
	return ret;
}

static int account_db_fill(struct store_account *account, const char **error_r)
{
	if (store_db_begin(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	for (size_t i = 0;
	     i < sizeof(default_mailboxes) / sizeof(*default_mailboxes); i++) {
		if (store_mailbox_insert(account, default_mailboxes[i].name,
		                         default_mailboxes[i].special_use,
		                         error_r) < 0) {
			store_db_rollback(&account->db);
			return -1;
		}
	}
	if (store_db_commit(&account->db) < 0) {
		*error_r = account->db.error.data;
		return -1;
	}
	return 0;
}

/* Creates the changes file if missing. Returns 0 or -1 (errno). */
static int changes_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	return close(fd);
}

int store_account_db_create(struct store *store, int64_t id,
                            const char **error_r)
{
	static char error[256];
	struct store_account *account = NULL;
	char *dir = xasprintf("%s/%lld", store->accounts_dir, (long long)id);
	int ret = -1;
	if (store_account_db_remove(store, id) < 0 || mkdir(dir, 0750) < 0) {
		snprintf(error, sizeof(error), "mkdir %s: %s", dir,
		         strerror(errno));
		*error_r = error;
		goto out;
	}
	if (store_account_db_open(store, id, "", &account, error_r) < 0 ||
	    account_db_fill(account, error_r) < 0) {
		/* the reason lives in account->db, which is about to go */
		snprintf(error, sizeof(error), "%s", *error_r);
		*error_r = error;
		goto out;
	}
	if (changes_create(account->changes_path) < 0 ||
	    file_fsync_dir(dir) < 0 ||
	    file_fsync_dir(store->accounts_dir) < 0) {
		snprintf(error, sizeof(error), "%s: %s", dir, strerror(errno));
		*error_r = error;
		goto out;
	}
	ret = 0;
out:
	store_account_close(&account);
	if (ret < 0)
		(void)store_account_db_remove(store, id);
	free(dir);
	return ret;
}

int store_account_db_make_old(struct store *store, int64_t id,
                              const char *marker, const char **error_r)
{
	size_t steps = 0;
	while (steps < ACCOUNT_MIGRATION_COUNT &&
	       strstr(store_account_migrations[steps].sql, marker) == NULL)
		steps++;
	if (steps == ACCOUNT_MIGRATION_COUNT) {
		*error_r = "no schema step has the marker";
		return -1;
	}
	char *path = xasprintf("%s/%lld/mail.db", store->accounts_dir,
	                       (long long)id);
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	(void)unlink(path);
	(void)unlink(wal);
	(void)unlink(shm);
	struct store_db db = {0};
	int ret = store_db_open(&db, path, store_account_migrations, steps);
	if (ret < 0)
		*error_r = "cannot create the old database";
	store_db_close(&db);
	free(shm);
	free(wal);
	free(path);
	return ret < 0 ? -1 : (int)steps;
}

int store_account_db_open(struct store *store, int64_t id, const char *address,
                          struct store_account **account_r,
                          const char **error_r)
{
	static char error[256];
	struct store_account *account = xcalloc(1, sizeof(*account));
	account->store = store;
	account->id = id;
	account->address = xstrdup(address);
	account->dir = xasprintf("%s/%lld", store->accounts_dir, (long long)id);
	account->changes_path = xasprintf("%s/changes", account->dir);
	account->watch_fd = -1;
	char *path = xasprintf("%s/mail.db", account->dir);
	int ret = store_db_open(&account->db, path, store_account_migrations,
	                        ACCOUNT_MIGRATION_COUNT);
	free(path);
	if (ret < 0) {
		snprintf(error, sizeof(error), "%s", account->db.error.data);
		*error_r = error;
		store_account_close(&account);
		return -1;
	}
	*account_r = account;
	return 0;
}

int store_account_open(struct store *store, const char *address,
                       struct store_account **account_r, const char **error_r)
{
	struct pool *pool = pool_new();
	const char *addr = store_address_normalize(address, pool);
	int64_t id;
	int ret = -1;
	int found = addr == NULL ? 0 : store_account_get_id(store, addr, &id);
	if (found <= 0) {
		*error_r =
		    found == 0 ? "no such account" : store->db.error.data;
		goto out;
	}
	ret = store_account_db_open(store, id, addr, account_r, error_r);
out:
	pool_free(&pool);
	return ret;
}

void store_account_close(struct store_account **account)
{
	struct store_account *a = *account;
	if (a == NULL)
		return;
	store_db_close(&a->db);
	if (a->watch_fd >= 0)
		close(a->watch_fd);
	free(a->address);
	free(a->dir);
	free(a->changes_path);
	free(a);
	*account = NULL;
}

int store_account_usage(struct store_account *account, uint64_t *bytes_r,
                        uint64_t *messages_r)
{
	sqlite3_stmt *stmt = store_db_prepare(
	    &account->db,
	    "SELECT count(*), coalesce(sum(size), 0) FROM messages");
	if (stmt == NULL)
		return -1;
	int ret = -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*messages_r = (uint64_t)sqlite3_column_int64(stmt, 0);
		*bytes_r = (uint64_t)sqlite3_column_int64(stmt, 1);
		ret = 0;
	} else {
		store_db_fail(&account->db, "usage");
	}
	sqlite3_reset(stmt);
	return ret;
}

void store_account_db_touch(struct store_account *account)
{
	if (utimensat(AT_FDCWD, account->changes_path, NULL, 0) < 0 &&
	    errno == ENOENT) {
		(void)changes_create(account->changes_path);
		(void)utimensat(AT_FDCWD, account->changes_path, NULL, 0);
	}
}

int store_account_watch_fd(struct store_account *account)
{
	if (account->watch_fd >= 0)
		return account->watch_fd;
	if (changes_create(account->changes_path) < 0)
		return -1;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -1;
	if (inotify_add_watch(fd, account->changes_path,
	                      IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE) < 0) {
		close(fd);
		return -1;
	}
	account->watch_fd = fd;
	return fd;
}

void store_account_watch_drain(struct store_account *account)
{
	if (account->watch_fd < 0)
		return;
	/* Events only say "something changed": read and drop them all. */
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(account->watch_fd, buf, sizeof(buf)) > 0)
		;
}
