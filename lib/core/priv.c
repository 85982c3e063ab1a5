/* Resolving the unprivileged user and dropping root to it. */
#define _GNU_SOURCE /* setresuid, initgroups, nftw */
#include "core/priv.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

int priv_resolve(const char *name, struct priv_user *user_r,
		 const char **error_r)
{
	user_r->name = NULL;
	user_r->uid = geteuid();
	user_r->gid = getegid();
	const struct passwd *pw = NULL;
	if (name != NULL && name[0] != '\0') {
		pw = getpwnam(name);
		if (pw == NULL) {
			*error_r = "key 'user': no such user";
			return -1;
		}
	} else if (geteuid() == 0) {
		pw = getpwnam("postroom");
		if (pw == NULL)
			pw = getpwnam("nobody");
		if (pw == NULL) {
			*error_r = "running as root and neither user 'postroom' "
				   "nor 'nobody' exists: set key 'user'";
			return -1;
		}
	}
	if (pw == NULL || pw->pw_uid == geteuid())
		return 0;
	if (geteuid() != 0) {
		*error_r = "key 'user': switching users needs root";
		return -1;
	}
	if (pw->pw_uid == 0) {
		*error_r = "key 'user': refusing to run the servers as root";
		return -1;
	}
	user_r->name = xstrdup(pw->pw_name);
	user_r->uid = pw->pw_uid;
	user_r->gid = pw->pw_gid;
	return 0;
}

static uid_t chown_uid;
static gid_t chown_gid;

static int chown_cb(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	if (st->st_uid == chown_uid && st->st_gid == chown_gid)
		return 0;
	return lchown(path, chown_uid, chown_gid) < 0 ? -1 : 0;
}

int priv_chown_tree(const struct priv_user *user, const char *path)
{
	if (user->name == NULL || geteuid() != 0)
		return 0;
	chown_uid = user->uid;
	chown_gid = user->gid;
	int ret = nftw(path, chown_cb, 32, FTW_PHYS);
	if (ret < 0 && errno == ENOENT)
		return 0;
	return ret == 0 ? 0 : -1;
}

int priv_drop(const struct priv_user *user, const char **error_r)
{
	if (user->name == NULL)
		return 0;
	if (initgroups(user->name, user->gid) < 0) {
		*error_r = "initgroups failed";
		return -1;
	}
	if (setresgid(user->gid, user->gid, user->gid) < 0) {
		*error_r = "setresgid failed";
		return -1;
	}
	if (setresuid(user->uid, user->uid, user->uid) < 0) {
		*error_r = "setresuid failed";
		return -1;
	}
	/* A process that can become root again has not dropped anything. */
	if (setuid(0) == 0 || geteuid() == 0) {
		*error_r = "root could be regained after the drop";
		return -1;
	}
	return 0;
}

void priv_user_deinit(struct priv_user *user)
{
	free(user->name);
	user->name = NULL;
}
