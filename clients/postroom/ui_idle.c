/* Live updates for IMAP accounts: while the interface is open, a forked
 * child keeps pr_sync_imap_idle() running on its own connection to the
 * local store; what it stores reaches the interface through the store's
 * change fd. The child is stopped by its PID (SIGTERM, then SIGKILL) on
 * exit and account switch, ends by itself when the interface is gone, and
 * after it dies is restarted at most once a minute. Its last error comes
 * back through a pipe for the status line. */
#include "ui.h"

#include "core/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define IDLE_BACKOFF 60   /* seconds between starts */
#define IDLE_STOP_WAIT 20 /* times 50 ms before SIGKILL */

static int idle_error_fd = -1; /* read end of the child's error pipe */

/* ---- The child -------------------------------------------------------------
 */

static volatile bool child_stop;
static pid_t child_parent;

static void child_stop_handler(int signo)
{
	(void)signo;
	child_stop = true;
}

/* Every few seconds: the interface gone (we were reparented) means stop. */
static void child_alarm_handler(int signo)
{
	(void)signo;
	if (getppid() != child_parent)
		child_stop = true;
}

static void child_signals(void)
{
	struct sigaction sa = {.sa_handler = child_stop_handler};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = child_alarm_handler;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	struct itimerval it = {{5, 0}, {5, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Runs in the child; never returns. The parent's store handles are left
 * alone (SQLite must not be used across fork): the child opens its own. */
static void idle_child(const struct pr_config *config,
                       const struct pr_account *account, int error_fd)
{
	child_signals();
	int null_fd = open("/dev/null", O_RDWR);
	if (null_fd >= 0) {
		/* the terminal belongs to curses */
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		dup2(null_fd, STDERR_FILENO);
	}
	struct pool *pool = pool_new();
	struct pr_local local;
	const char *error = NULL;
	int ret = pr_local_open(config, account, &local, &error);
	if (ret == 0) {
		ret = pr_sync_imap_idle(config, account, &local, &child_stop,
		                        pool, &error);
		pr_local_close(&local);
	}
	if (ret < 0 && error != NULL)
		(void)!write(error_fd, error, strlen(error));
	_exit(ret < 0 ? 1 : 0);
}

/* ---- The parent
 * -------------------------------------------------------------- */

static bool is_wanted(const struct ui *ui)
{
	const struct pr_account *a = ui->account;
	return ui->is_local_open && a->proto == PR_PROTO_IMAP &&
	       a->incoming.host != NULL && a->incoming.host[0] != '\0';
}

void ui_idle_start(struct ui *ui)
{
	if (ui->idle_pid > 0 || !is_wanted(ui))
		return;
	int fds[2];
	if (pipe(fds) < 0) {
		ui_status(ui, true, "live updates: pipe: %s", strerror(errno));
		return;
	}
	ui->idle_started = time(NULL);
	child_parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		ui_status(ui, true, "live updates: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		idle_child(ui->cli->config, ui->account, fds[1]);
	}
	close(fds[1]);
	(void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	if (idle_error_fd >= 0)
		close(idle_error_fd);
	idle_error_fd = fds[0];
	ui->idle_pid = pid;
}

/* Reads what the child left in its pipe into the status line. */
static void child_error(struct ui *ui, int status)
{
	char msg[256];
	ssize_t n =
	    idle_error_fd >= 0 ? read(idle_error_fd, msg, sizeof(msg) - 1) : -1;
	if (idle_error_fd >= 0)
		close(idle_error_fd);
	idle_error_fd = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	msg[n > 0 ? n : 0] = '\0';
	ui_status(ui, true,
	          "live updates stopped%s%s; retrying within a "
	          "minute (s syncs now)",
	          n > 0 ? ": " : "", msg);
}

void ui_idle_stop(struct ui *ui)
{
	if (ui->idle_pid <= 0)
		return;
	int status;
	kill(ui->idle_pid, SIGTERM);
	for (int i = 0; i < IDLE_STOP_WAIT; i++) {
		pid_t p = waitpid(ui->idle_pid, &status, WNOHANG);
		if (p == ui->idle_pid || (p < 0 && errno != EINTR))
			goto reaped;
		usleep(50 * 1000);
	}
	kill(ui->idle_pid, SIGKILL);
	while (waitpid(ui->idle_pid, &status, 0) < 0 && errno == EINTR)
		;
reaped:
	ui->idle_pid = 0;
	if (idle_error_fd >= 0)
		close(idle_error_fd);
	idle_error_fd = -1;
}

void ui_idle_check(struct ui *ui)
{
	if (ui->idle_pid > 0) {
		int status;
		pid_t p = waitpid(ui->idle_pid, &status, WNOHANG);
		if (p == ui->idle_pid) {
			ui->idle_pid = 0;
			child_error(ui, status);
		}
	}
	if (ui->idle_pid == 0 && is_wanted(ui) &&
	    time(NULL) >= ui->idle_started + IDLE_BACKOFF)
		ui_idle_start(ui);
}

int ui_idle_timeout(const struct ui *ui)
{
	if (ui->idle_pid > 0 || !is_wanted(ui))
		return -1;
	time_t left = ui->idle_started + IDLE_BACKOFF - time(NULL);
	return left > 0 ? (int)left * 1000 : 0;
}
