/* The master's supervision: it starts smtpd workers, qmgr and deliver,
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
	const char *libexec_dir; /* servers are libexec_dir/<name> */
	bool is_build_tree;      /* servers are libexec_dir/<name>/<name> */
	struct postroom_settings settings;
	struct listener_set listeners;
	unsigned workers;
};

/* Runs until SIGTERM or SIGINT. Returns the exit status. */
int master_run(struct master *master);

#endif
