/* The shared login throttle (auth_throttle.h): a header and a fixed array
 * of records in a file mapped MAP_SHARED by every authd worker. Each
 * operation takes flock(LOCK_EX) on the file for a few microseconds (never
 * across a password check); a worker that dies drops its lock with its
 * descriptor. Records are keyed by the first 64 bits of SHA-256(salt, kind,
 * address, account), the salt random per file, so neither a long user name
 * nor chosen collisions reach the table; a key is looked for in a window of
 * THROTTLE_PROBE slots from its hash. Times are wall-clock milliseconds,
 * kept across restarts; a time in the future (the clock went back) counts
 * as now, and no penalty runs longer than max_delay. */
#include "auth/auth_throttle.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define THROTTLE_MAGIC "PRTHRT01"
#define THROTTLE_PROBE 16
#define THROTTLE_OPEN_TRIES 8
#define THROTTLE_FAILURES_MAX 1000000u
/* A penalty this close to its end counts as over: a client that waited
 * for the delayed reply must not be refused for a server timer's jitter. */
#define THROTTLE_GRACE_MSECS 50

struct throttle_header {
	char magic[8];
	uint32_t entries;
	uint32_t reserved;
	unsigned char salt[16];
	unsigned char pad[32];
};

struct throttle_slot {
	uint64_t key;         /* 0: empty */
	int64_t last_failure; /* msecs since the epoch, 0: none */
	int64_t last_success; /* pairs: the last good check, 0: none */
	int64_t next_check;   /* no check before this while failures live */
	uint32_t failures;
	uint32_t addrs; /* accounts: distinct addresses that failed */
};

enum throttle_kind {
	THROTTLE_PAIR = 'p',
	THROTTLE_ADDR = 'a',
	THROTTLE_ACCOUNT = 'u',
};

struct auth_throttle {
	int fd;
	size_t size;
	struct throttle_header *header;
	struct throttle_slot *slots;
	uint32_t entries;
	int64_t max_delay, forget, trust; /* msecs */
};

/* The three keys of one request. */
struct throttle_keys {
	uint64_t pair, addr, account;
};

static char open_error[512];

static int open_fail(const char *what, const char *path)
{
	snprintf(open_error, sizeof(open_error), "%s %s: %s", what, path,
	         strerror(errno));
	return -1;
}

static size_t throttle_size(uint32_t entries)
{
	return sizeof(struct throttle_header) +
	       (size_t)entries * sizeof(struct throttle_slot);
}

/* Sizes an empty file and writes a header with a fresh salt. */
static int throttle_init_file(int fd, uint32_t entries)
{
	struct throttle_header h = {.entries = entries};
	memcpy(h.magic, THROTTLE_MAGIC, sizeof(h.magic));
	if (getrandom(h.salt, sizeof(h.salt), 0) != sizeof(h.salt))
		return -1;
	if (ftruncate(fd, 0) < 0 ||
	    ftruncate(fd, (off_t)throttle_size(entries)) < 0 ||
	    pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -1;
	return 0;
}

static bool throttle_file_fits(int fd, const struct stat *st, uint32_t entries)
{
	struct throttle_header h;
	if ((size_t)st->st_size != throttle_size(entries) ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return false;
	return memcmp(h.magic, THROTTLE_MAGIC, sizeof(h.magic)) == 0 &&
	       h.entries == entries;
}

/* Replaces path with a fresh table (under the old file's lock, so that
 * the workers waiting on it see the new file once they have the lock). */
static int throttle_replace(const char *path, uint32_t entries)
{
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	              0600);
	int ret = -1;
	if (fd < 0) {
		open_fail("cannot create", tmp);
	} else if (throttle_init_file(fd, entries) < 0 ||
	           rename(tmp, path) < 0) {
		open_fail("cannot write", tmp);
		(void)unlink(tmp);
	} else {
		ret = 0;
	}
	if (fd >= 0)
		close(fd);
	free(tmp);
	return ret;
}

/* Opens, locks and checks path once. Returns 1 with *fd_r locked and the
 * table ready, 0 to try again (the file was replaced meanwhile), or -1. */
static int throttle_open_once(const char *path, uint32_t entries, int *fd_r)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return open_fail("cannot open", path);
	struct stat st, st_path;
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		open_fail("cannot lock", path);
		close(fd);
		return -1;
	}
	int ret = 1;
	if (stat(path, &st_path) < 0 || st_path.st_ino != st.st_ino ||
	    st_path.st_dev != st.st_dev) {
		ret = 0; /* replaced by another worker while we waited */
	} else if (st.st_size == 0) {
		/* New: nobody maps an empty file, so it is sized in place. */
		if (throttle_init_file(fd, entries) < 0)
			ret = open_fail("cannot write", path);
	} else if (!throttle_file_fits(fd, &st, entries)) {
		ret = throttle_replace(path, entries) < 0 ? -1 : 0;
	}
	if (ret <= 0) {
		close(fd);
		return ret;
	}
	*fd_r = fd;
	return 1;
}

int auth_throttle_open(const char *path,
                       const struct auth_throttle_settings *set,
                       struct auth_throttle **throttle_r, const char **error_r)
{
	uint32_t entries = set->entries < AUTH_THROTTLE_ENTRIES_MIN
	                       ? AUTH_THROTTLE_ENTRIES_MIN
	                       : set->entries;
	int fd = -1, ret = 0;
	for (int i = 0; i < THROTTLE_OPEN_TRIES && ret == 0; i++)
		ret = throttle_open_once(path, entries, &fd);
	if (ret <= 0) {
		if (ret == 0)
			snprintf(open_error, sizeof(open_error),
			         "%s keeps being replaced", path);
		*error_r = open_error;
		return -1;
	}
	size_t size = throttle_size(entries);
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(void)flock(fd, LOCK_UN);
	if (map == MAP_FAILED) {
		*error_r = (open_fail("cannot map", path), open_error);
		close(fd);
		return -1;
	}
	struct auth_throttle *t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->size = size;
	t->header = map;
	t->slots = (struct throttle_slot *)(t->header + 1);
	t->entries = entries;
	t->max_delay = (int64_t)set->max_delay * 1000;
	t->forget = (int64_t)set->forget * 1000;
	t->trust = (int64_t)set->trust * 1000;
	*throttle_r = t;
	return 0;
}

void auth_throttle_close(struct auth_throttle **throttle)
{
	struct auth_throttle *t = *throttle;
	if (t == NULL)
		return;
	*throttle = NULL;
	munmap(t->header, t->size);
	close(t->fd);
	free(t);
}

/* The address a record is kept for: IPv4 as is (also when mapped into
 * IPv6), IPv6 by its /64, which one client usually holds whole. */
static void throttle_addr(const char *ip, char out[INET6_ADDRSTRLEN + 4])
{
	unsigned char a[16];
	if (inet_pton(AF_INET6, ip, a) == 1) {
		static const unsigned char mapped[12] = {
		    [10] = 0xff, [11] = 0xff};
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			inet_ntop(AF_INET, a + 12, out, INET6_ADDRSTRLEN);
			return;
		}
		char prefix[INET6_ADDRSTRLEN];
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, prefix, sizeof(prefix));
		snprintf(out, INET6_ADDRSTRLEN + 4, "%s/64", prefix);
		return;
	}
	snprintf(out, INET6_ADDRSTRLEN + 4, "%s", ip);
}

static uint64_t throttle_hash(const struct auth_throttle *t,
                              enum throttle_kind kind, const char *addr,
                              const char *account)
{
	struct digest_sha256 *d = digest_sha256_new();
	char k = (char)kind, hex[DIGEST_SHA256_HEX_LEN + 1];
	digest_sha256_update(d, t->header->salt, sizeof(t->header->salt));
	digest_sha256_update(d, &k, 1);
	digest_sha256_update(d, addr, strlen(addr) + 1);
	digest_sha256_update(d, account, strlen(account) + 1);
	digest_sha256_final_hex(d, hex);
	digest_sha256_free(&d);
	hex[16] = '\0';
	uint64_t key = strtoull(hex, NULL, 16);
	return key == 0 ? 1 : key;
}

static void throttle_keys(const struct auth_throttle *t, const char *ip,
                          const char *account, struct throttle_keys *keys)
{
	char addr[INET6_ADDRSTRLEN + 4];
	throttle_addr(ip != NULL ? ip : "", addr);
	keys->pair = throttle_hash(t, THROTTLE_PAIR, addr, account);
	keys->addr = throttle_hash(t, THROTTLE_ADDR, addr, "");
	keys->account = throttle_hash(t, THROTTLE_ACCOUNT, "", account);
}

static int throttle_lock(struct auth_throttle *t, const char **error_r)
{
	while (flock(t->fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			*error_r = "cannot lock the throttle file";
			return -1;
		}
	}
	return 0;
}

static void throttle_unlock(struct auth_throttle *t)
{
	(void)flock(t->fd, LOCK_UN);
}

/* A stored time, never later than now (the clock may have gone back). */
static int64_t past(int64_t when, int64_t now)
{
	return when > now ? now : when;
}

static bool slot_has_failures(const struct auth_throttle *t,
                              const struct throttle_slot *s, int64_t now)
{
	return s != NULL && s->failures > 0 &&
	       now - past(s->last_failure, now) < t->forget;
}

static bool slot_is_trusted(const struct auth_throttle *t,
                            const struct throttle_slot *s, int64_t now)
{
	return s != NULL && s->last_success != 0 &&
	       now - past(s->last_success, now) < t->trust;
}

static int64_t slot_last_use(const struct throttle_slot *s)
{
	int64_t last = s->last_failure;
	if (s->last_success > last)
		last = s->last_success;
	return s->next_check > last ? s->next_check : last;
}

/* The penalty after failures: none for the first, then 1 s doubling. */
static int64_t throttle_delay(const struct auth_throttle *t, uint32_t failures)
{
	if (failures <= 1)
		return 0;
	if (failures - 2 >= 40)
		return t->max_delay;
	int64_t delay = (int64_t)1000 << (failures - 2);
	return delay < t->max_delay ? delay : t->max_delay;
}

static struct throttle_slot *throttle_find(const struct auth_throttle *t,
                                           uint64_t key)
{
	for (uint32_t i = 0; i < THROTTLE_PROBE && i < t->entries; i++) {
		struct throttle_slot *s = &t->slots[(key + i) % t->entries];
		if (s->key == key)
			return s;
	}
	return NULL;
}

static bool keys_hold(const struct throttle_keys *keys, uint64_t key)
{
	return key == keys->pair || key == keys->addr || key == keys->account;
}

/* Finds key's record or makes one: in an empty or dead slot of its window
 * if there is one, else in place of the least recently used record that is
 * not one of this request's own keys. */
static struct throttle_slot *throttle_take(const struct auth_throttle *t,
                                           uint64_t key,
                                           const struct throttle_keys *keys,
                                           int64_t now)
{
	struct throttle_slot *s = throttle_find(t, key), *victim = NULL;
	if (s != NULL)
		return s;
	for (uint32_t i = 0; i < THROTTLE_PROBE && i < t->entries; i++) {
		s = &t->slots[(key + i) % t->entries];
		if (s->key == 0 || (!slot_has_failures(t, s, now) &&
		                    !slot_is_trusted(t, s, now))) {
			victim = s;
			break;
		}
		if (!keys_hold(keys, s->key) &&
		    (victim == NULL ||
		     slot_last_use(s) < slot_last_use(victim)))
			victim = s;
	}
	ASSERT(victim != NULL); /* a window holds more than three keys */
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	return victim;
}

/* One record's failure; returns whether it already had live failures. */
static bool slot_fail(const struct auth_throttle *t, struct throttle_slot *s,
                      int64_t now)
{
	bool had = slot_has_failures(t, s, now);
	if (!had) {
		s->failures = 0;
		s->addrs = 0;
	}
	if (s->failures < THROTTLE_FAILURES_MAX)
		s->failures++;
	s->last_failure = now;
	s->next_check = now + throttle_delay(t, s->failures);
	return had;
}

/* The records that hold back a check of the pair. */
static size_t throttle_applying(const struct auth_throttle *t,
                                const struct throttle_keys *keys, int64_t now,
                                struct throttle_slot *out[3])
{
	size_t n = 0;
	struct throttle_slot *pair = throttle_find(t, keys->pair);
	if (slot_has_failures(t, pair, now))
		out[n++] = pair;
	if (slot_is_trusted(t, pair, now))
		return n;
	struct throttle_slot *addr = throttle_find(t, keys->addr);
	if (slot_has_failures(t, addr, now))
		out[n++] = addr;
	struct throttle_slot *account = throttle_find(t, keys->account);
	if (slot_has_failures(t, account, now) && account->addrs >= 2)
		out[n++] = account;
	return n;
}

int auth_throttle_begin(struct auth_throttle *t, const char *ip,
                        const char *account, int64_t now,
                        unsigned *wait_msecs_r, const char **error_r)
{
	struct throttle_keys keys;
	throttle_keys(t, ip, account, &keys);
	if (throttle_lock(t, error_r) < 0)
		return -1;
	struct throttle_slot *held[3];
	size_t n = throttle_applying(t, &keys, now, held);
	int64_t wait = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t left = held[i]->next_check - now;
		if (left > t->max_delay) { /* the clock went back */
			held[i]->next_check = now + t->max_delay;
			left = t->max_delay;
		}
		if (left > wait)
			wait = left;
	}
	if (wait <= THROTTLE_GRACE_MSECS) {
		wait = 0;
		/* This check takes the turn: the next one waits its penalty
		 * even if this one's failure has not been recorded yet. */
		for (size_t i = 0; i < n; i++)
			held[i]->next_check =
			    now + throttle_delay(t, held[i]->failures);
	}
	throttle_unlock(t);
	*wait_msecs_r = (unsigned)wait;
	return wait == 0 ? 1 : 0;
}

int auth_throttle_fail(struct auth_throttle *t, const char *ip,
                       const char *account, int64_t now,
                       unsigned *delay_msecs_r, const char **error_r)
{
	struct throttle_keys keys;
	throttle_keys(t, ip, account, &keys);
	if (throttle_lock(t, error_r) < 0)
		return -1;
	struct throttle_slot *pair = throttle_take(t, keys.pair, &keys, now);
	bool is_trusted = slot_is_trusted(t, pair, now);
	bool is_known_addr = slot_fail(t, pair, now);
	int64_t delay = throttle_delay(t, pair->failures);
	struct throttle_slot *addr = throttle_take(t, keys.addr, &keys, now);
	slot_fail(t, addr, now);
	struct throttle_slot *acct = throttle_take(t, keys.account, &keys, now);
	slot_fail(t, acct, now);
	if (!is_known_addr && acct->addrs < THROTTLE_FAILURES_MAX)
		acct->addrs++;
	if (!is_trusted) {
		int64_t d = throttle_delay(t, addr->failures);
		delay = d > delay ? d : delay;
		d = acct->addrs >= 2 ? throttle_delay(t, acct->failures) : 0;
		delay = d > delay ? d : delay;
	}
	throttle_unlock(t);
	*delay_msecs_r = (unsigned)delay;
	return 0;
}

int auth_throttle_success(struct auth_throttle *t, const char *ip,
                          const char *account, int64_t now,
                          const char **error_r)
{
	struct throttle_keys keys;
	throttle_keys(t, ip, account, &keys);
	if (throttle_lock(t, error_r) < 0)
		return -1;
	struct throttle_slot *pair = throttle_take(t, keys.pair, &keys, now);
	pair->failures = 0;
	pair->last_failure = 0;
	pair->next_check = 0;
	pair->last_success = now;
	throttle_unlock(t);
	return 0;
}

static unsigned live_failures(const struct auth_throttle *t,
                              const struct throttle_slot *s, int64_t now)
{
	return slot_has_failures(t, s, now) ? s->failures : 0;
}

int auth_throttle_peek(struct auth_throttle *t, const char *ip,
                       const char *account, int64_t now,
                       struct auth_throttle_counts *counts_r,
                       const char **error_r)
{
	struct throttle_keys keys;
	throttle_keys(t, ip, account, &keys);
	if (throttle_lock(t, error_r) < 0)
		return -1;
	const struct throttle_slot *pair = throttle_find(t, keys.pair);
	const struct throttle_slot *addr = throttle_find(t, keys.addr);
	const struct throttle_slot *acct = throttle_find(t, keys.account);
	counts_r->pair_failures = live_failures(t, pair, now);
	counts_r->addr_failures = live_failures(t, addr, now);
	counts_r->account_failures = live_failures(t, acct, now);
	counts_r->account_addrs =
	    counts_r->account_failures > 0 ? acct->addrs : 0;
	counts_r->is_trusted = slot_is_trusted(t, pair, now);
	throttle_unlock(t);
	return 0;
}
