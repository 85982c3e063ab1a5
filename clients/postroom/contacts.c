/* postroom contacts: add, list, search, show, edit, delete, import and
 * export of the address book in the local store. Each contact keeps a
 * vCard (RFC 6350) beside its fields: cards are written as vCard 4.0, an
 * imported card keeps its own text (and so what postroom does not know),
 * and an edit rewrites the card from the stored one with the new fields. */
#include "contacts.h"
#include "postroom.h"

#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "dav/vcard.h"
#include "store/store_contact.h"
#include "store/store_dav.h"
#include "store/store_sync_dav.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONTACTS_FILE_MAX (64 * 1024 * 1024)
#define CONTACTS_LIST_MAX 32 /* --email and --phone given at most */

static void contact_export(const struct store_contact *c, struct pool *pool,
                           struct buf *out);

/* What add and edit were told; NULL or count 0: not given. */
struct contact_opts {
	const char *name, *org, *note;
	const char *emails[CONTACTS_LIST_MAX];
	size_t email_count;
	const char *phones[CONTACTS_LIST_MAX];
	size_t phone_count;
};

int pr_contacts_complete(struct pr_local *local, const char *prefix,
                         struct pool *pool, const char ***entries_r,
                         size_t *count_r)
{
	return store_contact_complete(local->account, prefix,
	                              PR_CONTACTS_COMPLETE_MAX, pool, entries_r,
	                              count_r);
}

/* Reads --name N --email E ... from argv[first..]. Returns 0, or -1 (a
 * usage error was printed). */
static int opts_parse(int argc, char **argv, int first,
                      struct contact_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	for (int i = first; i < argc; i++) {
		const char *o = argv[i];
		if (i + 1 >= argc) {
			pr_fail("%s needs a value", o);
			return -1;
		}
		const char *v = argv[++i];
		if (strcmp(o, "--name") == 0)
			opts->name = v;
		else if (strcmp(o, "--org") == 0)
			opts->org = v;
		else if (strcmp(o, "--note") == 0)
			opts->note = v;
		else if (strcmp(o, "--email") == 0 &&
		         opts->email_count < CONTACTS_LIST_MAX)
			opts->emails[opts->email_count++] = v;
		else if (strcmp(o, "--phone") == 0 &&
		         opts->phone_count < CONTACTS_LIST_MAX)
			opts->phones[opts->phone_count++] = v;
		else {
			pr_fail("unknown option %s", o);
			return -1;
		}
	}
	return 0;
}

/* A random (version 4) UUID URN, RFC 9562 §5.4, from pool. */
static const char *uid_new(struct pool *pool)
{
	unsigned char b[16] = {0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, b, sizeof(b));
	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof(b)) {
		/* XXX no urandom: time and pid still make it unique here */
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		uint64_t c = (uint64_t)clock();
		memcpy(b, &t, sizeof(t));
		memcpy(b + 8, &c, sizeof(c));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return pool_printf(pool,
	                   "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	                   "%02x%02x-%02x%02x%02x%02x%02x%02x",
	                   b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
	                   b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* REV as RFC 6350 §4.3.5 timestamp, from pool. */
static const char *rev_now(time_t now, struct pool *pool)
{
	struct tm tm;
	gmtime_r(&now, &tm);
	return pool_printf(pool, "%04d%02d%02dT%02d%02d%02dZ",
	                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                   tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Parses the one card of text, or NULL (a contact made without one). */
static struct vcard *card_of(const char *text, struct pool *pool)
{
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard_parser parser;
	vcard_parser_init(&parser, (const unsigned char *)text, strlen(text),
	                  &set);
	struct vcard *card;
	const char *error;
	if (text[0] == '\0' ||
	    vcard_parser_next(&parser, pool, &card, &error) <= 0)
		return NULL;
	return card;
}

/* Sets card's fields from contact, keeping TYPE and PREF of addresses
 * and numbers that stay. */
static void card_from_contact(struct vcard *card, const struct store_contact *c,
                              struct pool *pool)
{
	card->uid = c->uid;
	if (card->fn == NULL || strcmp(card->fn, c->name) != 0)
		card->n = (struct vcard_name){0}; /* N no longer matches */
	card->fn = c->name;
	card->org = c->org[0] != '\0' ? c->org : NULL;
	card->note = c->note[0] != '\0' ? c->note : NULL;
	const char *const *lists[2] = {c->emails, c->phones};
	size_t counts[2] = {c->email_count, c->phone_count};
	struct vcard_typed **typed[2] = {&card->emails, &card->tels};
	size_t *typed_counts[2] = {&card->email_count, &card->tel_count};
	for (size_t l = 0; l < 2; l++) {
		struct vcard_typed *n =
		    pool_alloc(pool, counts[l] * sizeof(*n) + 1);
		for (size_t i = 0; i < counts[l]; i++) {
			n[i].value = lists[l][i];
			n[i].types = "";
			for (size_t j = 0; j < *typed_counts[l]; j++) {
				if (strcmp((*typed[l])[j].value, lists[l][i]) ==
				    0)
					n[i] = (*typed[l])[j];
			}
		}
		*typed[l] = n;
		*typed_counts[l] = counts[l];
	}
}

/* Writes c->vcard anew from its old card (if any) and its fields. */
static void contact_vcard_update(struct store_contact *c, time_t now,
                                 struct pool *pool)
{
	struct vcard *card = card_of(c->vcard, pool);
	if (card == NULL)
		card = pool_alloc(pool, sizeof(*card));
	card_from_contact(card, c, pool);
	card->rev = rev_now(now, pool);
	struct buf out;
	buf_init(&out);
	vcard_write(card, &out);
	c->vcard = pool_strdup(pool, out.data);
	buf_deinit(&out);
}

static json_t *str_array_json(const char *const *list, size_t count)
{
	json_t *a = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

static json_t *contact_json(const struct store_contact *c, bool with_vcard)
{
	json_t *o = json_pack(
	    "{s:I, s:s, s:s, s:o, s:o, s:s, s:s, s:I, s:I}", "id",
	    (json_int_t)c->id, "uid", c->uid, "name", c->name, "emails",
	    str_array_json(c->emails, c->email_count), "phones",
	    str_array_json(c->phones, c->phone_count), "org", c->org, "note",
	    c->note, "updated", (json_int_t)c->updated, "use_count",
	    (json_int_t)c->use_count);
	if (with_vcard)
		json_object_set_new(o, "vcard", json_string(c->vcard));
	return o;
}

static void json_print(json_t *value)
{
	json_dumpf(value, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(value);
}

/* One line per contact: id, name, addresses. */
static void contacts_print(const struct store_contact *list, size_t count,
                           bool is_json)
{
	if (is_json) {
		json_t *a = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(a, contact_json(&list[i], false));
		json_print(a);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		printf("%" PRId64 "\t%s", list[i].id, list[i].name);
		for (size_t j = 0; j < list[i].email_count; j++)
			printf("%s<%s>", j == 0 ? "\t" : ", ",
			       list[i].emails[j]);
		putchar('\n');
	}
}

static void contact_show(const struct store_contact *c, bool is_json)
{
	if (is_json) {
		json_print(contact_json(c, true));
		return;
	}
	printf("id:      %" PRId64 "\nuid:     %s\nname:    %s\n", c->id,
	       c->uid, c->name);
	for (size_t i = 0; i < c->email_count; i++)
		printf("email:   %s\n", c->emails[i]);
	for (size_t i = 0; i < c->phone_count; i++)
		printf("phone:   %s\n", c->phones[i]);
	if (c->org[0] != '\0')
		printf("org:     %s\n", c->org);
	if (c->note[0] != '\0')
		printf("note:    %s\n", c->note);
}

/* contacts add --name N --email E ... */
static int cmd_add(struct pr_cli *cli, struct pr_local *local, int argc,
                   char **argv)
{
	struct contact_opts o;
	if (opts_parse(argc, argv, 2, &o) < 0)
		return 2;
	if (o.name == NULL && o.email_count == 0)
		return pr_fail("contacts add needs --name or --email") + 1;
	struct store_contact c = {
	    .name = o.name != NULL ? o.name : "",
	    .emails = o.emails,
	    .email_count = o.email_count,
	    .phones = o.phones,
	    .phone_count = o.phone_count,
	    .org = o.org != NULL ? o.org : "",
	    .note = o.note != NULL ? o.note : "",
	};
	const char *error;
	if (pr_contacts_add(local, &c, cli->pool, &error) < 0)
		return pr_fail("contacts add: %s", error);
	if (store_contact_get(local->account, c.id, cli->pool, &c) <= 0)
		return pr_fail("contacts add: %s",
		               store_last_error(local->store));
	if (cli->is_json)
		contact_show(&c, true);
	else
		printf("added contact %" PRId64 "\n", c.id);
	return 0;
}

int pr_contacts_add(struct pr_local *local, struct store_contact *c,
                    struct pool *pool, const char **error_r)
{
	time_t now = time(NULL);
	c->uid = uid_new(pool);
	c->vcard = "";
	contact_vcard_update(c, now, pool);
	return store_contact_add(local->account, c, now, &c->id, error_r);
}

/* Reads ID into the contact. Returns 0, or the exit status to return. */
static int contact_by_arg(struct pr_local *local, const char *arg,
                          struct pool *pool, struct store_contact *c)
{
	char *end;
	errno = 0;
	long long id = strtoll(arg, &end, 10);
	if (errno != 0 || *end != '\0' || id <= 0) {
		pr_fail("not a contact id: %s", arg);
		return 2;
	}
	int ret = store_contact_get(local->account, id, pool, c);
	if (ret < 0)
		return pr_fail("contacts: %s", store_last_error(local->store));
	if (ret == 0)
		return pr_fail("no contact %lld", id);
	return 0;
}

/* contacts edit ID [--name N] [--email E ...] ...: a list given replaces
 * the whole list. */
static int cmd_edit(struct pr_cli *cli, struct pr_local *local, int argc,
                    char **argv)
{
	struct store_contact c;
	struct contact_opts o;
	if (argc < 3 || opts_parse(argc, argv, 3, &o) < 0)
		return argc < 3 ? pr_fail("usage: contacts edit ID [--name N]"
		                          " [--email E] ...") +
		                      1
		                : 2;
	int ret = contact_by_arg(local, argv[2], cli->pool, &c);
	if (ret != 0)
		return ret;
	if (pr_contacts_is_read_only(local, c.uid))
		return pr_fail("contact %s is in a read-only address book",
		               argv[2]);
	if (o.name != NULL)
		c.name = o.name;
	if (o.org != NULL)
		c.org = o.org;
	if (o.note != NULL)
		c.note = o.note;
	if (o.email_count > 0) {
		c.emails = o.emails;
		c.email_count = o.email_count;
	}
	if (o.phone_count > 0) {
		c.phones = o.phones;
		c.phone_count = o.phone_count;
	}
	time_t now = time(NULL);
	contact_vcard_update(&c, now, cli->pool);
	const char *error = "contact went away";
	if (store_contact_update(local->account, &c, now, &error) <= 0)
		return pr_fail("contacts edit: %s", error);
	c.updated = now;
	if (cli->is_json)
		contact_show(&c, true);
	else
		printf("updated contact %" PRId64 "\n", c.id);
	return 0;
}

static int cmd_show(struct pr_cli *cli, struct pr_local *local, int argc,
                    char **argv)
{
	if (argc != 3)
		return pr_fail("usage: contacts show ID") + 1;
	struct store_contact c;
	int ret = contact_by_arg(local, argv[2], cli->pool, &c);
	if (ret == 0)
		contact_show(&c, cli->is_json);
	return ret;
}

static int cmd_delete(struct pr_cli *cli, struct pr_local *local, int argc,
                      char **argv)
{
	if (argc != 3)
		return pr_fail("usage: contacts delete ID") + 1;
	struct store_contact c;
	int ret = contact_by_arg(local, argv[2], cli->pool, &c);
	if (ret != 0)
		return ret;
	if (pr_contacts_is_read_only(local, c.uid))
		return pr_fail("contact %s is in a read-only address book",
		               argv[2]);
	if (store_contact_delete(local->account, c.id) < 0)
		return pr_fail("contacts delete: %s",
		               store_last_error(local->store));
	if (cli->is_json)
		json_print(json_pack("{s:I}", "deleted", (json_int_t)c.id));
	else
		printf("deleted contact %" PRId64 "\n", c.id);
	return 0;
}

/* contacts list, and contacts search QUERY */
static int cmd_list(struct pr_cli *cli, struct pr_local *local, int argc,
                    char **argv)
{
	bool is_search = strcmp(argv[1], "search") == 0;
	if (argc != (is_search ? 3 : 2))
		return pr_fail(is_search ? "usage: contacts search QUERY"
		                         : "usage: contacts list") +
		       1;
	struct store_contact *list;
	size_t count;
	int ret = is_search ? store_contact_search(local->account, argv[2],
	                                           cli->pool, &list, &count)
	                    : store_contact_list(local->account, cli->pool,
	                                         &list, &count);
	if (ret < 0)
		return pr_fail("contacts: %s", store_last_error(local->store));
	contacts_print(list, count, cli->is_json);
	return 0;
}

/* The contact an imported card makes: its fields, and its own text when
 * it has a UID (else a UID is made and the card rewritten with it). */
static void contact_from_card(struct vcard *card, struct pool *pool,
                              struct store_contact *c)
{
	memset(c, 0, sizeof(*c));
	c->name = card->fn;
	if ((c->name == NULL || c->name[0] == '\0') && card->n.family != NULL)
		c->name = pool_printf(pool, "%s%s%s", card->n.given,
		                      card->n.given[0] != '\0' ? " " : "",
		                      card->n.family);
	if (c->name == NULL)
		c->name = "";
	const char **emails =
	    pool_alloc(pool, card->email_count * sizeof(*emails) + 1);
	for (size_t i = 0; i < card->email_count; i++)
		emails[i] = card->emails[i].value;
	const char **phones =
	    pool_alloc(pool, card->tel_count * sizeof(*phones) + 1);
	for (size_t i = 0; i < card->tel_count; i++)
		phones[i] = card->tels[i].value;
	*c =
	    (struct store_contact){.uid = card->uid,
	                           .name = c->name,
	                           .emails = emails,
	                           .email_count = card->email_count,
	                           .phones = phones,
	                           .phone_count = card->tel_count,
	                           .org = card->org != NULL ? card->org : "",
	                           .note = card->note != NULL ? card->note : "",
	                           .vcard = card->raw};
	if (c->uid == NULL || c->uid[0] == '\0') {
		card->uid = c->uid = uid_new(pool);
		struct buf out;
		buf_init(&out);
		vcard_write(card, &out);
		c->vcard = pool_strdup(pool, out.data);
		buf_deinit(&out);
	}
}

/* Adds card, or updates the contact with its UID. Returns 1 added, 0
 * updated, -1 with *error_r. */
static int import_card(struct pr_local *local, struct vcard *card, time_t now,
                       struct pool *pool, const char **error_r)
{
	struct store_contact c, old;
	contact_from_card(card, pool, &c);
	int ret = store_contact_get_by_uid(local->account, c.uid, pool, &old);
	if (ret < 0) {
		*error_r = store_last_error(local->store);
		return -1;
	}
	if (ret == 0)
		return store_contact_add(local->account, &c, now, &c.id,
		                         error_r) < 0
		           ? -1
		           : 1;
	c.id = old.id;
	return store_contact_update(local->account, &c, now, error_r) < 0 ? -1
	                                                                  : 0;
}

int pr_contacts_put_card(struct pr_local *local, const unsigned char *data,
                         size_t size, struct pool *pool, const char **uid_r,
                         const char **text_r, const char **error_r)
{
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *card;
	if (vcard_parse_resource(data, size, &set, pool, &card, error_r) < 0)
		return -1;
	/* the text as it came, so its ETag is that of the server's bytes */
	card->raw = pool_strndup(pool, (const char *)data, size);
	struct store_contact c;
	contact_from_card(card, pool, &c);
	if (import_card(local, card, time(NULL), pool, error_r) < 0)
		return -1;
	*uid_r = c.uid;
	*text_r = c.vcard;
	return 0;
}

const char *pr_contacts_card_text(const struct store_contact *c,
                                  struct pool *pool)
{
	if (c->vcard != NULL && c->vcard[0] != '\0')
		return c->vcard;
	struct buf out;
	buf_init(&out);
	contact_export(c, pool, &out);
	const char *text = pool_strdup(pool, out.data);
	buf_deinit(&out);
	return text;
}

int pr_contacts_card_copy(const unsigned char *data, size_t size,
                          const char *label, struct pool *pool,
                          const char **text_r, const char **error_r)
{
	struct vcard_settings set;
	vcard_settings_init(&set);
	struct vcard *card;
	if (vcard_parse_resource(data, size, &set, pool, &card, error_r) < 0)
		return -1;
	card->uid = uid_new(pool);
	card->fn = pool_printf(pool, "%s%s", card->fn, label);
	card->n = (struct vcard_name){0};
	struct buf out;
	buf_init(&out);
	vcard_write(card, &out);
	*text_r = pool_strdup(pool, out.data);
	buf_deinit(&out);
	return 0;
}

bool pr_contacts_is_read_only(struct pr_local *local, const char *uid)
{
	int64_t coll_id;
	if (store_sync_dav_object_owner(local->account, STORE_DAV_ADDRESSBOOK,
	                                uid, &coll_id) <= 0)
		return false;
	struct pool *pool = pool_new();
	struct store_sync_dav_collection *colls;
	size_t count;
	bool is_read_only = false;
	if (store_sync_dav_collections(local->account, STORE_DAV_ADDRESSBOOK,
	                               pool, &colls, &count) == 0) {
		for (size_t i = 0; i < count; i++)
			if (colls[i].id == coll_id)
				is_read_only = colls[i].is_read_only;
	}
	pool_free(&pool);
	return is_read_only;
}

static int cmd_import(struct pr_cli *cli, struct pr_local *local, int argc,
                      char **argv)
{
	if (argc != 3)
		return pr_fail("usage: contacts import FILE.vcf") + 1;
	struct buf data;
	buf_init(&data);
	struct vcard **cards;
	size_t count, added = 0, updated = 0;
	const char *error;
	struct vcard_settings set;
	vcard_settings_init(&set);
	int ret = 0;
	if (file_read_all(argv[2], &data, CONTACTS_FILE_MAX) < 0)
		ret = pr_fail("%s: %s", argv[2], strerror(errno));
	else if (vcard_parse((const unsigned char *)data.data, data.len, &set,
	                     cli->pool, &cards, &count, &error) < 0)
		ret = pr_fail("%s: %s", argv[2], error);
	time_t now = time(NULL);
	for (size_t i = 0; ret == 0 && i < count; i++) {
		int r = import_card(local, cards[i], now, cli->pool, &error);
		if (r < 0)
			ret =
			    pr_fail("%s: card %zu: %s", argv[2], i + 1, error);
		else if (r > 0)
			added++;
		else
			updated++;
	}
	buf_deinit(&data);
	if (ret != 0)
		return ret;
	if (cli->is_json)
		json_print(json_pack("{s:I, s:I}", "added", (json_int_t)added,
		                     "updated", (json_int_t)updated));
	else
		printf("%zu added, %zu updated\n", added, updated);
	return 0;
}

/* Appends contact c as vCard 4.0: its own card rewritten, or one made
 * from its fields. */
static void contact_export(const struct store_contact *c, struct pool *pool,
                           struct buf *out)
{
	struct vcard *card = card_of(c->vcard, pool);
	if (card == NULL) {
		card = pool_alloc(pool, sizeof(*card));
		card_from_contact(card, c, pool);
	}
	vcard_write(card, out);
}

static int cmd_export(struct pr_cli *cli, struct pr_local *local, int argc,
                      char **argv)
{
	if (argc > 3)
		return pr_fail("usage: contacts export [FILE]") + 1;
	struct store_contact *list;
	size_t count;
	if (store_contact_list(local->account, cli->pool, &list, &count) < 0)
		return pr_fail("contacts: %s", store_last_error(local->store));
	struct buf out;
	buf_init(&out);
	for (size_t i = 0; i < count; i++)
		contact_export(&list[i], cli->pool, &out);
	int ret = 0;
	if (argc == 3) {
		if (file_write_atomic(argv[2], out.data, out.len, 0600) < 0)
			ret = pr_fail("%s: %s", argv[2], strerror(errno));
		else if (cli->is_json)
			json_print(json_pack("{s:I, s:s}", "exported",
			                     (json_int_t)count, "file",
			                     argv[2]));
		else
			fprintf(stderr, "%zu contacts exported\n", count);
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	           fflush(stdout) != 0) {
		ret = pr_fail("stdout: %s", strerror(errno));
	}
	buf_deinit(&out);
	return ret;
}

typedef int contacts_cmd_fn(struct pr_cli *cli, struct pr_local *local,
                            int argc, char **argv);

static const struct {
	const char *name;
	contacts_cmd_fn *fn;
} contacts_cmds[] = {
    {"add", cmd_add},       {"list", cmd_list},     {"search", cmd_list},
    {"show", cmd_show},     {"edit", cmd_edit},     {"delete", cmd_delete},
    {"import", cmd_import}, {"export", cmd_export},
};

int pr_cmd_contacts(struct pr_cli *cli, int argc, char **argv)
{
	char *list_argv[] = {argv[0], "list", NULL};
	if (argc < 2) {
		argc = 2;
		argv = list_argv;
	}
	contacts_cmd_fn *fn = NULL;
	for (size_t i = 0; i < sizeof(contacts_cmds) / sizeof(*contacts_cmds);
	     i++) {
		if (strcmp(argv[1], contacts_cmds[i].name) == 0)
			fn = contacts_cmds[i].fn;
	}
	if (fn == NULL)
		return pr_fail("usage: contacts add|list|search|show|edit|"
		               "delete|import|export") +
		       1;
	struct pr_account *account;
	struct pr_local local;
	if (pr_cli_open(cli, &account, &local) < 0)
		return 1;
	int ret = fn(cli, &local, argc, argv);
	pr_local_close(&local);
	return ret;
}
