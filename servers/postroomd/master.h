/* The master's supervision: it starts deliver, qmgr, relay, authd, and the
 * workers of smtpd, pop3d, imapd, httpd and sieved,
 * restarts a crashed child (with back-off against crash loops), re-reads the
 * configuration on SIGHUP by starting a new generation of children and
 * retiring the old one, and on SIGTERM lets the children finish their
 * in-flight transactions before it exits. */
#ifndef POSTROOMD_MASTER_H
#define POSTROOMD_MASTER_H

#include "config/settings.h"
#include "listen.h"

#include <stdbool.h>

struct master {
	const char *config_path; /* absolute, or NULL for built-in defaults */
	char *snapshot_path;     /* data_dir/run/postroom.conf: what the
				    children read (see master_write_snapshot) */
	const char *libexec_dir; /* servers are libexec_dir/<name> */
	bool is_build_tree;      /* servers are libexec_dir/<name>/<name> */
	struct postroom_settings settings;
	struct listener_set listeners;
	int auth_fd; /* run/auth.sock, listening; authd's workers share it */
};

/* Writes the effective settings to snapshot_path. The children read this
 * snapshot, never the operator's file, so a child restarted after a bad
 * edit of that file runs with the configuration the master accepted.
 * Returns 0, or -1 with errno. */
int master_write_snapshot(struct master *master);
/* Makes data_dir absolute (it must exist). Returns 0, or -1 with errno. */
int master_absolute_data_dir(struct postroom_settings *s);
/* Checks that every server executable is there. Returns 0, or -1 with the
 * missing path in *missing_r (a static buffer). */
int master_check_servers(const struct master *master, const char **missing_r);
/* Binds data_dir/run/auth.sock (mode 0600, replacing a stale one) into
 * master->auth_fd. Call after dropping privileges, so that the servers'
 * user owns it. Returns 0, or -1 with errno and a static *what_r. */
int master_bind_auth(struct master *master, const char **what_r);
/* Runs until SIGTERM or SIGINT. Returns the exit status. */
int master_run(struct master *master);

#endif
