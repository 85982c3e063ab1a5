/* Helpers every postroomctl command uses: error lines, usage, opening the
 * store as the data_dir's owner (a root administrator must not leave
 * root-owned files in the server's data), and sizes such as "2G". */
#include "core/priv.h"
#include "core/xmalloc.h"
#include "postroomctl.h"
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int ctl_error(const struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "postroomctl: %s: ", ctl->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_FAIL;
}

int ctl_usage(const struct ctl *ctl, const char *usage)
{
	fprintf(stderr, "usage: postroomctl [-c FILE] %s\n", usage);
	return CTL_EXIT_USAGE;
}

int ctl_drop_privileges(const struct ctl *ctl)
{
	struct stat st;
	if (geteuid() != 0)
		return 0;
	if (stat(ctl->settings.data_dir, &st) < 0) {
		if (errno == ENOENT)
			return 0; /* nothing there yet to keep owned */
		ctl_error(ctl, "%s: %s", ctl->settings.data_dir,
		          strerror(errno));
		return -1;
	}
	if (st.st_uid == 0)
		return 0;
	struct passwd *pw = getpwuid(st.st_uid);
	if (pw == NULL) {
		ctl_error(ctl, "owner %u of %s has no passwd entry",
		          (unsigned)st.st_uid, ctl->settings.data_dir);
		return -1;
	}
	/* priv_drop: supplementary groups, setgid, then setuid, and checks
	 * that root cannot be regained. The gid is the folder's group. */
	struct priv_user user = {
	    .name = pw->pw_name, .uid = st.st_uid, .gid = st.st_gid};
	const char *error;
	if (priv_drop(&user, &error) < 0) {
		ctl_error(ctl, "becoming %s: %s", pw->pw_name, error);
		return -1;
	}
	return 0;
}

struct store *ctl_store(struct ctl *ctl)
{
	if (ctl->store != NULL)
		return ctl->store;
	if (ctl_drop_privileges(ctl) < 0)
		return NULL;
	struct store_settings set = {
	    .data_dir = ctl->settings.data_dir,
	    .default_quota = ctl->settings.deliver.default_quota,
	};
	const char *error;
	if (store_open(&set, &ctl->store, &error) < 0) {
		ctl_error(ctl, "cannot open the store: %s", error);
		return NULL;
	}
	return ctl->store;
}

int ctl_size_parse(const char *str, uint64_t *size_r)
{
	static const char units[] = "KMGT";
	if (strcasecmp(str, "unlimited") == 0) {
		*size_r = 0;
		return 0;
	}
	uint64_t n = 0;
	const char *p = str;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0') {
		const char *u = strchr(units, *p & ~0x20);
		if (u == NULL || *u == '\0' || p[1] != '\0')
			return -1;
		for (const char *q = units; q <= u; q++) {
			if (n > UINT64_MAX / 1024)
				return -1;
			n *= 1024;
		}
	}
	*size_r = n;
	return 0;
}

const char *ctl_size_format(uint64_t size, bool zero_is_unlimited)
{
	static char str[32];
	static const char units[] = "KMGT";
	if (size == 0 && zero_is_unlimited)
		return "unlimited";
	if (size < 1024) {
		snprintf(str, sizeof(str), "%" PRIu64, size);
		return str;
	}
	double v = (double)size;
	size_t u = 0;
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) - 1; u++)
		v /= 1024;
	if (v == (double)(uint64_t)v)
		snprintf(str, sizeof(str), "%" PRIu64 "%c", (uint64_t)v,
		         units[u]);
	else
		snprintf(str, sizeof(str), "%.1f%c", v, units[u]);
	return str;
}
