/* smtp_source: an SMTP load generator after Postfix's smtp-source. It opens
 * `sessions` connections to host:port and sends `count` messages in all,
 * each of `size` bytes to `rcpts` recipients, over as many transactions per
 * connection as it takes, then prints one line of figures. Loopback only
 * (the benchmark passes 127.0.0.1). Session i connects from 127.0.1.(1 + i)
 * so that, as with real clients, connections come from many addresses
 * (postroomd steers each address to one smtpd worker). Asserts nothing. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct job {
	int index; /* of the session */
	const char *host;
	int port;
	size_t size;
	int rcpts;
	const char *rcpt_prefix; /* "user" of "user%d@domain" */
	const char *rcpt_suffix; /* "@domain" */
	int users;
	char *message;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long remaining, sent, failed;

static int read_reply(int fd, char *buf, size_t size)
{
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, size - used - 1);
		if (n <= 0)
			return -1;
		used += (size_t)n;
		buf[used] = '\0';
		/* the last line of a reply has a space after the code */
		char *last = buf, *p;
		while ((p = strstr(last, "\r\n")) != NULL && p[2] != '\0')
			last = p + 2;
		if (strstr(last, "\r\n") != NULL && strlen(last) >= 4 &&
		    last[3] == ' ')
			return atoi(last);
		if (used >= size - 1)
			return -1;
	}
}

static int cmd(int fd, const char *line, char *buf, size_t size)
{
	if (write(fd, line, strlen(line)) < 0)
		return -1;
	return read_reply(fd, buf, size);
}

static void *session(void *arg)
{
	const struct job *job = arg;
	char buf[8192], line[512];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)job->port) };
	inet_pton(AF_INET, job->host, &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in src = { .sin_family = AF_INET };
	src.sin_addr.s_addr = htonl(0x7f000101u + (uint32_t)(job->index % 250));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    read_reply(fd, buf, sizeof(buf)) != 220 ||
	    cmd(fd, "EHLO bench.test\r\n", buf, sizeof(buf)) != 250) {
		perror("connect");
		exit(1);
	}
	unsigned seed = (unsigned)(uintptr_t)&fd;
	for (;;) {
		pthread_mutex_lock(&lock);
		long n = remaining > 0 ? remaining-- : -1;
		pthread_mutex_unlock(&lock);
		if (n < 0)
			break;
		int ok = cmd(fd, "MAIL FROM:<bench@remote.test>\r\n", buf,
			     sizeof(buf)) == 250;
		int first = (int)(rand_r(&seed) % (unsigned)job->users);
		for (int r = 0; ok && r < job->rcpts; r++) {
			snprintf(line, sizeof(line), "RCPT TO:<%s%d%s>\r\n",
				 job->rcpt_prefix, (first + r) % job->users,
				 job->rcpt_suffix);
			ok = cmd(fd, line, buf, sizeof(buf)) == 250;
		}
		ok = ok && cmd(fd, "DATA\r\n", buf, sizeof(buf)) == 354;
		ok = ok && cmd(fd, job->message, buf, sizeof(buf)) == 250;
		pthread_mutex_lock(&lock);
		if (ok)
			sent++;
		else
			failed++;
		pthread_mutex_unlock(&lock);
		if (!ok)
			cmd(fd, "RSET\r\n", buf, sizeof(buf));
	}
	cmd(fd, "QUIT\r\n", buf, sizeof(buf));
	close(fd);
	return NULL;
}

static char *make_message(size_t size)
{
	static const char head[] = "Subject: bench\r\n\r\n";
	char *m = malloc(size + 64);
	size_t len = sizeof(head) - 1;
	memcpy(m, head, len);
	while (len + 80 < size) {
		memset(m + len, 'x', 76);
		len += 76;
		memcpy(m + len, "\r\n", 2);
		len += 2;
	}
	memcpy(m + len, ".\r\n", 4);
	return m;
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: smtp_source HOST PORT SESSIONS COUNT "
				"SIZE RCPTS RCPT_FMT(user%%d@dom):USERS\n");
		return 2;
	}
	struct job job = { .host = argv[1], .port = atoi(argv[2]),
			   .size = (size_t)atol(argv[5]),
			   .rcpts = atoi(argv[6]) };
	char *fmt = strdup(argv[7]);
	char *colon = strrchr(fmt, ':');
	job.users = colon ? atoi(colon + 1) : 1;
	if (colon)
		*colon = '\0';
	char *d = strstr(fmt, "%d");
	if (d == NULL) {
		fprintf(stderr, "smtp_source: RCPT_FMT needs %%d\n");
		return 2;
	}
	*d = '\0';
	job.rcpt_prefix = fmt;
	job.rcpt_suffix = d + 2;
	job.message = make_message(job.size);
	int sessions = atoi(argv[3]);
	remaining = atol(argv[4]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_t *t = calloc((size_t)sessions, sizeof(*t));
	struct job *jobs = calloc((size_t)sessions, sizeof(*jobs));
	for (int i = 0; i < sessions; i++) {
		jobs[i] = job;
		jobs[i].index = i;
		pthread_create(&t[i], NULL, session, &jobs[i]);
	}
	for (int i = 0; i < sessions; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("sent=%ld failed=%ld seconds=%.3f rate=%.1f\n", sent, failed,
	       secs, (double)sent / secs);
	return failed ? 1 : 0;
}
