/* The master's listening sockets. Each (address, port) gets one socket per
 * worker of the server that serves it, in one SO_REUSEPORT group, and a
 * classic BPF program steers every connection by its source address, so
 * all connections from one IP reach the same worker and that worker's
 * per-IP limit is exact. Where the kernel refuses the program, one shared
 * socket serves all workers. */
#ifndef POSTROOMD_LISTEN_H
#define POSTROOMD_LISTEN_H

#include <stddef.h>

struct postroom_settings;

struct listener {
	const char *service; /* "smtp", "submission", "submissions", "pop3",
				"pop3s", "imap", "imaps", "http", "https",
				"sieve" */
	const char *server;  /* the executable that serves it: "smtpd"... */
	char *addr_str;      /* "127.0.0.1:2525" */
	unsigned group;      /* which (address, port) it belongs to */
	unsigned worker;     /* the worker it is for; all when is_shared */
	int is_shared;
	int fd;
};

struct listener_set {
	size_t count;
	struct listener *items;
};

/* The number of processes of server ("smtpd", "pop3d", "imapd", "httpd",
 * "sieved")
 * that s asks for (0 means one per core), or 0 when all its ports are
 * off. */
unsigned listen_server_workers(const struct postroom_settings *s,
			       const char *server);
/* Binds every configured (address, port), one socket per worker of the
 * server that serves it. Returns 0, or -1 with a heap reason in *error_r
 * (caller frees) and nothing left open. */
int listen_bind_all(const struct postroom_settings *s,
		    struct listener_set *set_r, char **error_r);
/* Returns 1 if a and b would bind the same things, 0 if not. */
int listen_same_config(const struct postroom_settings *a,
		       const struct postroom_settings *b);
/* Appends to env ("service:fd ...") the listeners of worker w of server, after
 * moving each to the fd numbers starting at first_fd in a child about to
 * exec. Only for use between fork and exec. Returns the next free fd, or -1. */
int listen_install_for_worker(const struct listener_set *set,
			      const char *server, unsigned w, int first_fd,
			      char *env, size_t env_size);
void listen_close_all(struct listener_set *set);

#endif
