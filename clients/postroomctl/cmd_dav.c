/* postroomctl dav: an account's calendars and address books (the store's
 * DAV collections, doc/dav.md):
 *   dav list ACCOUNT                      its collections, whom each is
 *                                         shared with, what it received
 *   dav share OWNER COLLECTION GRANTEE read|read-write
 *   dav unshare OWNER COLLECTION GRANTEE
 *   dav export ACCOUNT COLLECTION [FILE]  one .ics or .vcf stream
 *   dav directory ACCOUNT [--name NAME] [--hide|--show]
 * COLLECTION is "calendars/NAME", "addressbooks/NAME", or a NAME only one
 * of the two kinds has. */
#include "core/buf.h"
#include "core/pool.h"
#include "dav/ical_merge.h"
#include "postroomctl.h"
#include "store/store.h"
#include "store/store_dav.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *kind_dir(enum store_dav_kind kind)
{
	return kind == STORE_DAV_CALENDAR ? "calendars" : "addressbooks";
}

static const char *access_name(enum store_dav_access access)
{
	return access == STORE_DAV_ACCESS_READ_WRITE ? "read-write" : "read";
}

static int account_open(struct ctl *ctl, struct store *store,
                        const char *address, struct store_account **a_r)
{
	const char *error;
	if (store_account_open(store, address, a_r, &error) < 0)
		return ctl_error(ctl, "%s '%s'", error, address);
	return CTL_EXIT_OK;
}

/* Finds COLLECTION of account. Returns CTL_EXIT_OK with *coll_r. */
static int collection_find(struct ctl *ctl, struct store_account *account,
                           const char *spec, struct pool *pool,
                           struct store_dav_collection *coll_r)
{
	static const enum store_dav_kind kinds[] = {STORE_DAV_CALENDAR,
	                                            STORE_DAV_ADDRESSBOOK};
	const char *slash = strchr(spec, '/');
	int found = 0;
	for (size_t i = 0; i < 2; i++) {
		const char *dir = kind_dir(kinds[i]);
		const char *name = spec;
		if (slash != NULL) {
			size_t len = (size_t)(slash - spec);
			if (strlen(dir) != len || strncmp(spec, dir, len) != 0)
				continue;
			name = slash + 1;
		}
		struct store_dav_collection c;
		int ret =
		    store_dav_collection_get(account, kinds[i], name, pool, &c);
		if (ret < 0)
			return ctl_error(ctl, "%s",
			                 store_dav_last_error(account));
		if (ret == 1 && found++ == 0)
			*coll_r = c;
	}
	if (found == 0)
		return ctl_error(ctl, "no such collection '%s'", spec);
	if (found > 1)
		return ctl_error(ctl,
		                 "'%s' is a calendar and an address book: "
		                 "say calendars/%s or addressbooks/%s",
		                 spec, spec, spec);
	return CTL_EXIT_OK;
}

static int count_cb(const struct store_dav_object *obj, void *ctx)
{
	(void)obj;
	(*(size_t *)ctx)++;
	return 0;
}

/* One own collection: its path, name, size and shares. */
static int list_collection(struct ctl *ctl, struct store_account *account,
                           const struct store_dav_collection *c,
                           struct pool *pool)
{
	size_t objects = 0, count;
	struct store_dav_share *shares;
	if (store_dav_objects_list(account, c->id, STORE_DAV_TIME_MIN,
	                           STORE_DAV_TIME_MAX, false, count_cb,
	                           &objects) < 0 ||
	    store_dav_share_list_collection(account, c->id, pool, &shares,
	                                    &count) < 0)
		return ctl_error(ctl, "%s", store_dav_last_error(account));
	printf("%s/%s  \"%s\"  %zu object%s\n", kind_dir(c->kind), c->name,
	       c->displayname, objects, objects == 1 ? "" : "s");
	for (size_t i = 0; i < count; i++)
		printf("    shared with %s (%s) as %s/%s\n", shares[i].grantee,
		       access_name(shares[i].access), kind_dir(c->kind),
		       shares[i].name);
	return CTL_EXIT_OK;
}

static int dav_list(struct ctl *ctl, struct store *store, int argc, char **argv)
{
	static const enum store_dav_kind kinds[] = {STORE_DAV_CALENDAR,
	                                            STORE_DAV_ADDRESSBOOK};
	struct store_account *account;
	struct pool *pool = pool_new();
	int ret = account_open(ctl, store, argv[1], &account);
	for (size_t k = 0; ret == CTL_EXIT_OK && k < 2; k++) {
		struct store_dav_collection *colls;
		size_t count;
		if (store_dav_collections(account, kinds[k], pool, &colls,
		                          &count) < 0) {
			ret =
			    ctl_error(ctl, "%s", store_dav_last_error(account));
			break;
		}
		for (size_t i = 0; ret == CTL_EXIT_OK && i < count; i++)
			ret = list_collection(ctl, account, &colls[i], pool);
	}
	for (size_t k = 0; ret == CTL_EXIT_OK && k < 2; k++) {
		struct store_dav_share *shares;
		size_t count;
		if (store_dav_share_list_granted(store, argv[1], kinds[k], pool,
		                                 &shares, &count) < 0) {
			ret = ctl_error(ctl, "%s", store_last_error(store));
			break;
		}
		for (size_t i = 0; i < count; i++)
			printf("%s/%s  shared by %s (%s)\n", kind_dir(kinds[k]),
			       shares[i].name, shares[i].owner,
			       access_name(shares[i].access));
	}
	store_account_close(&account);
	pool_free(&pool);
	return ret;
}

static int dav_share(struct ctl *ctl, struct store *store, int argc,
                     char **argv)
{
	bool is_unshare = strcmp(argv[0], "unshare") == 0;
	enum store_dav_access access = STORE_DAV_ACCESS_NONE;
	if (!is_unshare) {
		if (strcmp(argv[4], "read") == 0)
			access = STORE_DAV_ACCESS_READ;
		else if (strcmp(argv[4], "read-write") == 0)
			access = STORE_DAV_ACCESS_READ_WRITE;
		else
			return ctl_error(
			    ctl, "access is read or read-write, not '%s'",
			    argv[4]);
	}
	struct store_account *owner;
	struct store_dav_collection coll;
	struct pool *pool = pool_new();
	const char *error, *name;
	int ret = account_open(ctl, store, argv[1], &owner);
	if (ret == CTL_EXIT_OK)
		ret = collection_find(ctl, owner, argv[2], pool, &coll);
	if (ret == CTL_EXIT_OK) {
		int r = store_dav_share_set(owner, &coll, argv[3], access,
		                            time(NULL), pool, &name, &error);
		if (r == STORE_DAV_NOT_FOUND)
			ret = ctl_error(ctl, "%s '%s'",
			                is_unshare ? "no such share"
			                           : "no such account",
			                argv[3]);
		else if (r < 0)
			ret = ctl_error(ctl, "%s", error);
		else if (is_unshare)
			printf("%s/%s of %s no longer shared with %s\n",
			       kind_dir(coll.kind), coll.name, argv[1],
			       argv[3]);
		else
			printf("%s/%s of %s shared with %s (%s) as %s/%s\n",
			       kind_dir(coll.kind), coll.name, argv[1], argv[3],
			       argv[4], kind_dir(coll.kind), name);
	}
	store_account_close(&owner);
	pool_free(&pool);
	return ret;
}

struct export_ctx {
	struct buf *out;
	struct ical_merge *merge;
	size_t count;
};

static int export_cb(const struct store_dav_object *obj, void *ctx)
{
	struct export_ctx *e = ctx;
	if (e->merge != NULL) {
		if (ical_merge_add(e->merge, obj->data, obj->size) == 0)
			e->count++;
		return 0;
	}
	/* a vCard stream is the cards one after the other (RFC 6350 §3.3) */
	buf_append(e->out, obj->data, obj->size);
	if (obj->size > 0 && obj->data[obj->size - 1] != '\n')
		buf_append_str(e->out, "\r\n");
	e->count++;
	return 0;
}

/* The file an export goes to, opened before postroomctl drops root for
 * the data folder's owner, so that root's export lands where root may
 * write; NULL for stdout. */
static FILE *export_file;

static int export_write(struct ctl *ctl, const char *path,
                        const struct buf *data)
{
	FILE *f = export_file != NULL ? export_file : stdout;
	size_t n = fwrite(data->data, 1, data->len, f);
	if (n != data->len || fflush(f) != 0)
		return ctl_error(ctl, "%s: write failed",
		                 path != NULL ? path : "stdout");
	return CTL_EXIT_OK;
}

static int dav_export(struct ctl *ctl, struct store *store, int argc,
                      char **argv)
{
	struct store_account *account;
	struct store_dav_collection coll;
	struct pool *pool = pool_new();
	struct buf out;
	buf_init(&out);
	struct export_ctx e = {.out = &out};
	int ret = account_open(ctl, store, argv[1], &account);
	if (ret == CTL_EXIT_OK)
		ret = collection_find(ctl, account, argv[2], pool, &coll);
	if (ret == CTL_EXIT_OK) {
		if (coll.kind == STORE_DAV_CALENDAR)
			e.merge =
			    ical_merge_new(&out, "-//Postroom//export//EN");
		if (store_dav_objects_list(account, coll.id, STORE_DAV_TIME_MIN,
		                           STORE_DAV_TIME_MAX, true, export_cb,
		                           &e) < 0)
			ret =
			    ctl_error(ctl, "%s", store_dav_last_error(account));
		ical_merge_finish(&e.merge);
	}
	if (ret == CTL_EXIT_OK)
		ret = export_write(ctl, argc > 3 ? argv[3] : NULL, &out);
	if (ret == CTL_EXIT_OK && argc > 3)
		printf("%zu object%s of %s/%s written to %s\n", e.count,
		       e.count == 1 ? "" : "s", kind_dir(coll.kind), coll.name,
		       argv[3]);
	buf_deinit(&out);
	store_account_close(&account);
	pool_free(&pool);
	return ret;
}

static int dav_directory(struct ctl *ctl, struct store *store, int argc,
                         char **argv)
{
	const char *name = NULL, *error;
	int hidden = -1;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--hide") == 0)
			hidden = 1;
		else if (strcmp(argv[i], "--show") == 0)
			hidden = 0;
		else
			return ctl_usage(ctl, "dav directory ACCOUNT "
			                      "[--name NAME] [--hide|--show]");
	}
	if ((name != NULL || hidden >= 0) &&
	    store_dav_directory_set(store, argv[1], name, hidden, &error) < 0)
		return ctl_error(ctl, "%s '%s'", error, argv[1]);
	struct pool *pool = pool_new();
	bool is_hidden;
	int ret =
	    store_dav_directory_get(store, argv[1], pool, &name, &is_hidden);
	if (ret <= 0) {
		pool_free(&pool);
		return ret < 0
		           ? ctl_error(ctl, "%s", store_last_error(store))
		           : ctl_error(ctl, "no such account '%s'", argv[1]);
	}
	printf("%s  name \"%s\"  %s\n", argv[1], name,
	       is_hidden ? "hidden from the directory" : "in the directory");
	pool_free(&pool);
	return CTL_EXIT_OK;
}

static const struct {
	const char *verb, *cmd, *usage;
	int min_args, max_args; /* counting the verb; -1: no limit */
	int (*func)(struct ctl *ctl, struct store *store, int argc,
	            char **argv);
} dav_verbs[] = {
    {"list", "dav list", "dav list ACCOUNT", 2, 2, dav_list},
    {"share", "dav share", "dav share OWNER COLLECTION GRANTEE read|read-write",
     5, 5, dav_share},
    {"unshare", "dav unshare", "dav unshare OWNER COLLECTION GRANTEE", 4, 4,
     dav_share},
    {"export", "dav export", "dav export ACCOUNT COLLECTION [FILE]", 3, 4,
     dav_export},
    {"directory", "dav directory",
     "dav directory ACCOUNT [--name NAME] [--hide|--show]", 2, 5,
     dav_directory},
};

int cmd_dav(struct ctl *ctl, int argc, char **argv)
{
	for (size_t i = 0;
	     argc > 0 && i < sizeof(dav_verbs) / sizeof(*dav_verbs); i++) {
		if (strcmp(argv[0], dav_verbs[i].verb) != 0)
			continue;
		ctl->cmd = dav_verbs[i].cmd;
		if (argc < dav_verbs[i].min_args ||
		    (dav_verbs[i].max_args >= 0 &&
		     argc > dav_verbs[i].max_args))
			return ctl_usage(ctl, dav_verbs[i].usage);
		bool has_file = dav_verbs[i].func == dav_export && argc > 3;
		if (has_file && (export_file = fopen(argv[3], "w")) == NULL)
			return ctl_error(ctl, "%s: %s", argv[3],
			                 strerror(errno));
		struct store *store = ctl_store(ctl);
		int ret = store == NULL
		              ? CTL_EXIT_FAIL
		              : dav_verbs[i].func(ctl, store, argc, argv);
		if (has_file && fclose(export_file) != 0 && ret == CTL_EXIT_OK)
			ret =
			    ctl_error(ctl, "%s: %s", argv[3], strerror(errno));
		if (has_file && ret != CTL_EXIT_OK)
			(void)unlink(argv[3]);
		export_file = NULL;
		return ret;
	}
	return ctl_usage(ctl, "dav list|share|unshare|export|directory ...");
}
