/* Dropping root (STYLE.md §6, after OpenSMTPD dispatcher.c): the master
 * binds its ports as root, then every process becomes the unprivileged
 * user. Resolving the user and switching to it are kept in one place so the
 * drop can be audited. */
#ifndef CORE_PRIV_H
#define CORE_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

struct priv_user {
	char *name; /* heap; NULL when no switch is needed */
	uid_t uid;
	gid_t gid;
};

/* Decides whom to run as. A non-empty name must exist. An empty name
 * means: stay the invoking user, unless that is root, in which case use
 * "postroom" if it exists, else "nobody". *user_r->name is NULL when no
 * switch will happen. Returns 0, or -1 with a static reason. */
int priv_resolve(const char *name, struct priv_user *user_r,
		 const char **error_r);
/* Gives the tree at path (if it exists) to user, when running as root and
 * user->name is set. Returns 0, or -1 with errno. */
int priv_chown_tree(const struct priv_user *user, const char *path);
/* Switches to user for good: supplementary groups, gid, then uid, then
 * checks that root cannot be regained. A no-op when user->name is NULL.
 * Returns 0, or -1 with a static reason. */
int priv_drop(const struct priv_user *user, const char **error_r);
void priv_user_deinit(struct priv_user *user);

#endif
