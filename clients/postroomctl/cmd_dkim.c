/* postroomctl dkim rotate DOMAIN | dkim list [DOMAIN], and the keys that
 * domain add makes: data_dir/dkim/<domain>/<selector>.key (PKCS#8 PEM,
 * 0600, read by smtpd to sign, doc/authentication.md) and <selector>.pub
 * (the key record to publish). Each domain signs with an Ed25519 and an
 * RSA-2048 key side by side (RFC 8463 §6), selectors "e" and "r" with the
 * date ("e20261207"). Rotating makes a new pair and retires the old one:
 * its private key goes at once, its public record stays published (a
 * <selector>.retired file holds the time) for [mailauth]
 * dkim_signature_lifetime, so mail signed before still verifies until its
 * signatures expire (x=). */
#include "core/buf.h"
#include "core/file.h"
#include "core/pool.h"
#include "core/xmalloc.h"
#include "mailauth/dkim.h"
#include "postroomctl.h"
#include "store/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *key_dir(const struct ctl *ctl, const char *domain)
{
	return xasprintf("%s/dkim/%s", ctl->settings.data_dir, domain);
}

/* Reads the time in dir/selector.retired; 0 when the key is active. */
static time_t key_retired(const char *dir, const char *selector)
{
	char *path = xasprintf("%s/%s.retired", dir, selector);
	struct buf b;
	buf_init(&b);
	time_t t = 0;
	if (file_read_all(path, &b, 64) == 0)
		t = (time_t)strtoll(b.data, NULL, 10);
	buf_deinit(&b);
	free(path);
	return t;
}

int dkim_keys_scan(const struct ctl *ctl, const char *domain, dkim_keys_cb *cb,
                   void *ctx)
{
	char *dir = key_dir(ctl, domain);
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		free(dir);
		return errno == ENOENT ? 0 : -1;
	}
	int count = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		if (name[0] != '.' && len > 4 &&
		    strcmp(name + len - 4, ".pub") == 0) {
			char *selector = xstrndup(name, len - 4);
			char *path = xasprintf("%s/%s", dir, name);
			struct buf rec;
			buf_init(&rec);
			if (file_read_all(path, &rec, 4096) == 0) {
				while (
				    rec.len > 0 &&
				    isspace(
				        (unsigned char)rec.data[rec.len - 1]))
					buf_truncate(&rec, rec.len - 1);
				struct dkim_key_info info = {
				    .selector = selector,
				    .record = rec.data,
				    .retired = key_retired(dir, selector),
				    .is_ed25519 =
				        strstr(rec.data, "k=ed25519") != NULL,
				};
				cb(&info, ctx);
				count++;
			}
			buf_deinit(&rec);
			free(path);
			free(selector);
		}
		free(names[i]);
	}
	free(names);
	free(dir);
	return count;
}

/* Makes one key pair under dir with a free selector prefix+date[+b..z].
 * Prints the selector. Returns 0 or -1 (after printing why). */
static int key_make(struct ctl *ctl, const char *dir, bool is_ed25519)
{
	char date[16], selector[32], suffix_str[2] = {0, 0};
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	char *pub = NULL;
	for (char suffix = 'a'; suffix <= 'z'; suffix++) {
		suffix_str[0] = suffix == 'a' ? '\0' : suffix;
		snprintf(selector, sizeof(selector), "%c%s%s",
		         is_ed25519 ? 'e' : 'r', date, suffix_str);
		free(pub);
		pub = xasprintf("%s/%s.pub", dir, selector);
		if (access(pub, F_OK) != 0)
			break;
	}
	struct buf pem, rec;
	const char *error;
	buf_init(&pem);
	buf_init(&rec);
	int ret = dkim_key_generate(is_ed25519, &pem, &rec, &error);
	if (ret < 0) {
		ctl_error(ctl, "%s", error);
	} else {
		char *key = xasprintf("%s/%s.key", dir, selector);
		buf_append_char(&rec, '\n');
		/* the private key first: a record is never published for a
		 * key that could not be saved */
		if (file_write_atomic(key, pem.data, pem.len, 0600) < 0 ||
		    file_write_atomic(pub, rec.data, rec.len, 0644) < 0) {
			ctl_error(ctl, "cannot write %s: %s", key,
			          strerror(errno));
			ret = -1;
		} else
			printf("dkim key %s (%s) for %s\n", selector,
			       is_ed25519 ? "ed25519" : "rsa-2048",
			       strrchr(dir, '/') + 1);
		free(key);
	}
	explicit_bzero(pem.data, pem.len);
	buf_deinit(&pem);
	buf_deinit(&rec);
	free(pub);
	return ret;
}

struct active_keys {
	char *selectors[16];
	size_t count;
};

static void active_cb(const struct dkim_key_info *info, void *ctx)
{
	struct active_keys *a = ctx;
	if (info->retired == 0 && a->count < 16)
		a->selectors[a->count++] = xstrdup(info->selector);
}

/* Makes an Ed25519 and an RSA key for domain, then retires the keys that
 * were active before (retire) or keeps them when there are some and
 * !retire (domain add of a domain that already has keys). */
int dkim_keys_create(struct ctl *ctl, const char *domain, bool retire)
{
	char *dir = key_dir(ctl, domain);
	struct active_keys old = {{NULL}, 0};
	int ret = 0;
	if (file_mkdirs(dir, 0750) < 0) {
		ret = ctl_error(ctl, "cannot create %s: %s", dir,
		                strerror(errno));
		goto out;
	}
	if (dkim_keys_scan(ctl, domain, active_cb, &old) < 0) {
		ret = ctl_error(ctl, "cannot read %s", dir);
		goto out;
	}
	if (old.count > 0 && !retire)
		goto out;
	if (key_make(ctl, dir, true) < 0 || key_make(ctl, dir, false) < 0) {
		ret = CTL_EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < old.count; i++) {
		char *key = xasprintf("%s/%s.key", dir, old.selectors[i]);
		char *mark = xasprintf("%s/%s.retired", dir, old.selectors[i]);
		char *now = xasprintf("%lld\n", (long long)time(NULL));
		if (file_write_atomic(mark, now, strlen(now), 0644) < 0 ||
		    (unlink(key) < 0 && errno != ENOENT))
			ret = ctl_error(ctl, "cannot retire %s",
			                old.selectors[i]);
		else
			printf("dkim key %s retired: its record stays "
			       "published until its signatures expire\n",
			       old.selectors[i]);
		free(key);
		free(mark);
		free(now);
	}
out:
	for (size_t i = 0; i < old.count; i++)
		free(old.selectors[i]);
	free(dir);
	return ret;
}

bool dkim_key_is_expired(const struct ctl *ctl,
                         const struct dkim_key_info *info)
{
	unsigned life = ctl->settings.mailauth.dkim_signature_lifetime;
	return info->retired != 0 && time(NULL) > info->retired + (time_t)life;
}

struct list_ctx {
	struct ctl *ctl;
	const char *domain;
};

/* Removes the files of retired keys whose signatures have all expired. */
static void expired_cb(const struct dkim_key_info *info, void *ctx)
{
	struct list_ctx *l = ctx;
	if (!dkim_key_is_expired(l->ctl, info))
		return;
	char *dir = key_dir(l->ctl, l->domain);
	const char *exts[] = {"pub", "retired", "key"};
	for (size_t i = 0; i < 3; i++) {
		char *path =
		    xasprintf("%s/%s.%s", dir, info->selector, exts[i]);
		(void)unlink(path);
		free(path);
	}
	printf("dkim key %s expired: remove its record from DNS\n",
	       info->selector);
	free(dir);
}

static void list_cb(const struct dkim_key_info *info, void *ctx)
{
	struct list_ctx *l = ctx;
	char until[32] = "";
	if (info->retired != 0) {
		time_t end =
		    info->retired +
		    (time_t)l->ctl->settings.mailauth.dkim_signature_lifetime;
		struct tm tm;
		gmtime_r(&end, &tm);
		strftime(until, sizeof(until), "%Y-%m-%d %H:%M", &tm);
	}
	printf("%s %s %s %s%s\n", l->domain, info->selector,
	       info->is_ed25519 ? "ed25519" : "rsa",
	       info->retired == 0                  ? "active"
	       : dkim_key_is_expired(l->ctl, info) ? "expired"
	                                           : "retired-until ",
	       info->retired != 0 && !dkim_key_is_expired(l->ctl, info) ? until
	                                                                : "");
}

static void list_domain_cb(const char *domain, void *ctx)
{
	struct list_ctx *l = ctx;
	l->domain = domain;
	(void)dkim_keys_scan(l->ctl, domain, list_cb, l);
}

int cmd_dkim(struct ctl *ctl, int argc, char **argv)
{
	static const char usage[] = "dkim rotate DOMAIN | dkim list [DOMAIN]";
	if (argc < 1)
		return ctl_usage(ctl, usage);
	bool is_rotate = strcmp(argv[0], "rotate") == 0;
	bool is_list = strcmp(argv[0], "list") == 0;
	if ((!is_rotate && !is_list) || (is_rotate && argc != 2) ||
	    (is_list && argc > 2))
		return ctl_usage(ctl, usage);
	ctl->cmd = is_rotate ? "dkim rotate" : "dkim list";
	struct store *store = ctl_store(ctl);
	if (store == NULL)
		return CTL_EXIT_FAIL;
	if (argc == 2) {
		int ret = store_domain_exists(store, argv[1]);
		if (ret <= 0)
			return ctl_error(ctl, "%s '%s'",
			                 ret < 0 ? store_last_error(store)
			                         : "no such domain",
			                 argv[1]);
	}
	struct list_ctx l = {ctl, NULL};
	if (is_list) {
		if (argc == 2)
			list_domain_cb(argv[1], &l);
		else if (store_domain_list(store, list_domain_cb, &l) < 0)
			return ctl_error(ctl, "%s", store_last_error(store));
		return CTL_EXIT_OK;
	}
	int ret = dkim_keys_create(ctl, argv[1], true);
	l.domain = argv[1];
	(void)dkim_keys_scan(ctl, argv[1], expired_cb, &l);
	return ret;
}
