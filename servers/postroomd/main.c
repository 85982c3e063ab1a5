/* postroomd, the master (DESIGN.md, processes): reads the configuration,
 * creates the data folders and a self-signed certificate on first start,
 * binds every port while it may still be root, drops to the unprivileged
 * user, then starts and supervises smtpd, qmgr and deliver. */
#define _GNU_SOURCE /* flock via sys/file.h, get_nprocs */
#include "certificate.h"
#include "config/settings.h"
#include "core/file.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/priv.h"
#include "core/xmalloc.h"
#include "listen.h"
#include "master.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const data_folders[] = {
	"", "queue", "queue/tmp", "queue/incoming", "queue/active",
	"queue/deferred", "queue/corrupt", "run", "tls", "accounts", "blobs",
};

static void usage(void)
{
	fprintf(stderr, "usage: postroomd [-c FILE] [--check]\n"
			"  -c FILE   configuration file (default: $POSTROOM_CONF,"
			" else the embedded default)\n"
			"  --check   validate the configuration and exit\n");
	exit(2);
}

/* Where the server executables are: $POSTROOM_LIBEXEC, else beside us in
 * the build tree (servers/<name>/<name>), else ../libexec/postroom. */
static void find_servers(struct master *m)
{
	const char *env = getenv("POSTROOM_LIBEXEC");
	if (env != NULL && env[0] != '\0') {
		m->libexec_dir = xstrdup(env);
		return;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		log_fatal(NULL, "cannot find my own executable: %s",
			  strerror(errno));
	exe[n] = '\0';
	const char *dir = dirname(exe);
	char *probe = xasprintf("%s/../smtpd/smtpd", dir);
	m->is_build_tree = access(probe, X_OK) == 0;
	free(probe);
	m->libexec_dir = m->is_build_tree ? xasprintf("%s/..", dir)
			 : xasprintf("%s/../libexec/postroom", dir);
}

static void make_folders(const struct postroom_settings *s)
{
	for (size_t i = 0; i < sizeof(data_folders) / sizeof(data_folders[0]);
	     i++) {
		char *path = settings_data_path(s, data_folders[i]);
		if (file_mkdirs(path, 0750) < 0)
			log_fatal(NULL, "cannot create %s: %s", path,
				  strerror(errno));
		free(path);
	}
}

/* Nobody writes queue/tmp before the servers start: what is there is from
 * a crash, never acknowledged with 250, and safe to remove. */
static void clean_queue_tmp(const struct postroom_settings *s)
{
	char *path = settings_data_path(s, "queue/tmp");
	DIR *dir = opendir(path);
	if (dir == NULL)
		log_fatal(NULL, "cannot open %s: %s", path, strerror(errno));
	unsigned removed = 0;
	const struct dirent *d;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(dir), d->d_name, 0) == 0)
			removed++;
	}
	closedir(dir);
	if (removed > 0)
		log_info(NULL, "removed unfinished queue files count=%u",
			 removed);
	free(path);
}

/* As root, every process runs as user after the drop: a data_dir or a
 * build tree inside a private folder (/root, a 0700 home) would fail in
 * each child, over and over. Asks a child that has dropped, and stops
 * with the reason. */
static void check_reachable(const struct master *m,
			    const struct priv_user *user)
{
	if (user->name == NULL)
		return;
	char *server = m->is_build_tree
			       ? xasprintf("%s/smtpd/smtpd", m->libexec_dir)
			       : xasprintf("%s/smtpd", m->libexec_dir);
	pid_t pid = fork();
	if (pid == 0) {
		const char *error;
		if (priv_drop(user, &error) < 0)
			_exit(3);
		if (access(m->settings.data_dir, R_OK | W_OK | X_OK) < 0)
			_exit(1);
		_exit(access(server, X_OK) < 0 ? 2 : 0);
	}
	int status = -1;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		log_fatal(NULL, "cannot check what user %s can reach: %s",
			  user->name, strerror(errno));
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
	if (code == 1 || code == 2)
		log_fatal(NULL, "user %s cannot %s %s: a folder above it is "
			  "private (such as /root or a home folder); start "
			  "postroomd as the folder's owner, move the folder "
			  "(e.g. to /srv), or set key 'user'", user->name,
			  code == 1 ? "enter data_dir" : "run", code == 1
			  ? m->settings.data_dir : server);
	if (code != 0)
		log_fatal(NULL, "cannot drop privileges to %s", user->name);
	free(server);
}

static int lock_pidfile(const struct postroom_settings *s)
{
	char *path = settings_data_path(s, "run/postroomd.pid");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		log_fatal(NULL, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "";
		ssize_t n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		log_fatal(NULL, "another postroomd (pid %s) uses %s", pid,
			  s->data_dir);
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_fatal(NULL, "cannot write %s: %s", path, strerror(errno));
	free(path);
	return fd;
}

static int check_only(const struct postroom_settings *s, const char *path)
{
	struct priv_user user;
	const char *error;
	if (priv_resolve(s->user, &user, &error) < 0) {
		fprintf(stderr, "postroomd: %s: %s\n", path ? path : "defaults",
			error);
		return 1;
	}
	priv_user_deinit(&user);
	printf("postroomd: %s: configuration ok\n",
	       path ? path : "built-in defaults");
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	bool check = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
		else
			usage();
	}
	path = settings_path(path);
	struct master m = { 0 };
	struct pool *pool = pool_new();
	const char *error;
	settings_init(&m.settings);
	if (settings_load(&m.settings, path, pool, &error) < 0) {
		fprintf(stderr, "postroomd: %s%s%s\n",
			path != NULL && strncmp(error, path, strlen(path)) != 0
				? path : "",
			path != NULL && strncmp(error, path, strlen(path)) != 0
				? ": " : "",
			error);
		return 1;
	}
	pool_free(&pool);
	if (check)
		return check_only(&m.settings, path);

	enum log_level level = LOG_LEVEL_INFO;
	log_level_parse(m.settings.log_level, &level);
	log_open("postroomd", strcmp(m.settings.log, "syslog") == 0
				      ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR,
		 level);
	if (path != NULL) {
		char real[PATH_MAX];
		if (realpath(path, real) == NULL)
			log_fatal(NULL, "cannot resolve %s: %s", path,
				  strerror(errno));
		m.config_path = xstrdup(real);
	}
	struct priv_user user;
	if (priv_resolve(m.settings.user, &user, &error) < 0)
		log_fatal(NULL, "%s", error);

	make_folders(&m.settings);
	if (master_absolute_data_dir(&m.settings) < 0)
		log_fatal(NULL, "cannot resolve %s: %s", m.settings.data_dir,
			  strerror(errno));
	int pidfd = lock_pidfile(&m.settings);
	clean_queue_tmp(&m.settings);
	certificate_ensure(&m.settings);
	find_servers(&m);
	const char *missing;
	if (master_check_servers(&m, &missing) < 0)
		log_fatal(NULL, "missing server executable %s (set "
			  "POSTROOM_LIBEXEC, or reinstall)", missing);
	m.snapshot_path = settings_data_path(&m.settings, "run/postroom.conf");
	if (master_write_snapshot(&m) < 0)
		log_fatal(NULL, "cannot write %s: %s", m.snapshot_path,
			  strerror(errno));

	char *why = NULL;
	if (listen_bind_all(&m.settings, &m.listeners, &why) < 0)
		log_fatal(NULL, "%s", why);
	for (size_t i = 0; i < m.listeners.count; i++) {
		const struct listener *l = &m.listeners.items[i];
		if (l->is_shared || l->worker == 0)
			log_info(NULL, "listening service=%s addr=%s",
				 l->service, l->addr_str);
	}
	if (priv_chown_tree(&user, m.settings.data_dir) < 0)
		log_fatal(NULL, "cannot give %s to user %s: %s",
			  m.settings.data_dir, user.name, strerror(errno));
	if (fchown(pidfd, user.uid, user.gid) < 0 && user.name != NULL)
		log_fatal(NULL, "cannot chown the pid file: %s",
			  strerror(errno));
	check_reachable(&m, &user);
	if (priv_drop(&user, &error) < 0)
		log_fatal(NULL, "cannot drop privileges to %s: %s", user.name,
			  error);
	if (master_bind_auth(&m, &error) < 0)
		log_fatal(NULL, "cannot listen on run/auth.sock: %s: %s", error,
			  strerror(errno));
	log_info(NULL, "ready user=%s uid=%ld data=%s",
		 user.name != NULL ? user.name : "(invoking)", (long)getuid(),
		 m.settings.data_dir);
	priv_user_deinit(&user);
	int status = master_run(&m);
	char *pidpath = settings_data_path(&m.settings, "run/postroomd.pid");
	unlink(pidpath);
	free(pidpath);
	close(pidfd);
	listen_close_all(&m.listeners);
	close(m.auth_fd);
	char *authpath = settings_data_path(&m.settings, "run/auth.sock");
	unlink(authpath);
	free(authpath);
	settings_deinit(&m.settings);
	log_info(NULL, "stopped");
	return status;
}
