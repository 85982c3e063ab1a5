/* Every setting of Postroom, section by section, with the embedded default
 * as the built-in value: data in ./var, 127.0.0.1 only, unprivileged ports.
 * A production install passes -c /etc/postroom/postroom.conf (see
 * etc/postroom.conf.production). doc/configuration.md documents each key;
 * settings_check() holds the rules that span keys. Servers read this struct
 * and hand the parts they need to the libraries as their own settings. */
#ifndef CONFIG_SETTINGS_H
#define CONFIG_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

struct pool;
struct buf;

struct smtpd_settings {
	unsigned port;             /* MX, 25 in production */
	unsigned submission_port;  /* 587: STARTTLS, AUTH required */
	unsigned submissions_port; /* 465: implicit TLS, AUTH required */
	unsigned workers;          /* 0: one per core */
	uint64_t max_message_size; /* SIZE; 552 5.3.4 past it */
	unsigned max_recipients;   /* 452 4.5.3 past it */
	unsigned max_command_line; /* bytes incl. CRLF; 500 5.5.2 past it */
	unsigned max_text_line;    /* bytes incl. CRLF in DATA/BDAT */
	unsigned max_connections;  /* per smtpd process */
	unsigned max_connections_per_ip;
	unsigned max_errors;   /* errors before 421 and disconnect */
	unsigned idle_timeout; /* seconds between commands */
	unsigned data_timeout; /* seconds between DATA/BDAT reads */
	uint64_t min_free_space; /* 452 4.3.1 at MAIL/DATA below this */
	/* deadlines no byte moves (0: none): connect to AUTH on the
	 * submission ports, one command line from its first byte */
	unsigned login_timeout;
	unsigned line_timeout;
	/* DATA/BDAT: data_timeout plus 1 s per min_data_rate bytes */
	unsigned min_data_rate;
	/* FUTURERELEASE (RFC 4865) on submission: the longest hold, 0: off */
	unsigned future_release_max;
};

struct pop3d_settings {
	unsigned port;       /* 110: STLS */
	unsigned pop3s_port; /* 995: implicit TLS */
	unsigned workers;    /* 0: one per core */
	unsigned max_connections; /* per pop3d process */
	unsigned max_connections_per_ip;
	unsigned idle_timeout; /* seconds; RFC 1939 §3: at least 10 minutes */
	unsigned login_timeout; /* connect to login, 0: none */
	unsigned line_timeout;  /* one command line, 0: none */
};

struct imapd_settings {
	unsigned port;       /* 143: STARTTLS */
	unsigned imaps_port; /* 993: implicit TLS */
	unsigned workers;    /* 0: one per core */
	unsigned max_connections; /* per imapd process */
	unsigned max_connections_per_ip;
	unsigned idle_timeout;       /* seconds; RFC 9051 §5.4: >= 30 min */
	uint64_t max_literal_size;   /* after login (APPENDLIMIT) */
	/* per-session token bucket: commands per second, 0 is no limit */
	unsigned command_rate;
	unsigned command_burst;      /* commands beyond the rate at once */
	unsigned command_flood_time; /* seconds held at the rate: BYE; 0 never */
	unsigned login_timeout;      /* connect to login, 0: none */
	unsigned line_timeout;       /* one command line, 0: none */
};

struct httpd_settings {
	unsigned port;       /* plain HTTP: 80; redirects to https_port */
	unsigned https_port; /* HTTPS: 443 */
	unsigned workers;    /* 0: one per core */
	unsigned max_connections; /* per httpd process */
	unsigned max_connections_per_ip;
	unsigned max_request_line; /* bytes incl. CRLF; 414 past it */
	uint64_t max_header_bytes; /* the field lines; 431 past it */
	unsigned max_headers;      /* field lines; 431 past it */
	uint64_t body_memory_max;  /* larger request bodies go to a file */
	unsigned idle_timeout;   /* seconds between requests */
	unsigned header_timeout; /* seconds for a whole request head */
	unsigned body_timeout;   /* seconds for a whole request body */
	unsigned request_rate;   /* per connection per second; 429 past it */
	unsigned request_burst;  /* requests at once above the rate */
	unsigned hsts_max_age;   /* Strict-Transport-Security; 0 is off */
	char *web_root; /* the webmail's built files; "" = web/dist */
	unsigned session_idle_timeout; /* a login session unused this long
	                                  ends (seconds) */
	unsigned session_lifetime;     /* a login session ends this long
	                                  after the login (seconds) */
};

/* ManageSieve (RFC 5804, doc/rules.md): users manage their Sieve scripts */
struct sieved_settings {
	unsigned port;    /* 4190: STARTTLS */
	unsigned workers; /* 0: one per core */
	unsigned max_connections; /* per sieved process */
	unsigned max_connections_per_ip;
	unsigned idle_timeout;  /* seconds between commands */
	unsigned login_timeout; /* connect to login, 0: none */
	unsigned line_timeout;  /* one command with its literals, 0: none */
	unsigned max_scripts;      /* scripts per account: QUOTA/MAXSCRIPTS */
	uint64_t max_script_size;  /* bytes of one: QUOTA/MAXSIZE */
};

struct relay_settings {
	char *dns_server;   /* "" = /etc/resolv.conf; "127.0.0.53:5353" */
	char *smarthost;    /* "" or "host:port": all remote mail there */
	char *smarthost_user;     /* AUTH to the smarthost, or "" */
	char *smarthost_password; /* its password, or "" */
	char *transport_map;      /* "domain=host:port, ..." (static routes) */
	char *require_tls;        /* domains that must get STARTTLS */
	unsigned max_per_destination; /* connections per destination */
	unsigned connect_timeout;     /* seconds */
	unsigned mx_port;         /* port for MX and implicit-MX hosts (25) */
	unsigned command_timeout; /* greeting, EHLO, MAIL, RCPT, RSET (s) */
	unsigned data_timeout;    /* DATA/BDAT blocks and the final reply */
	unsigned max_messages_per_connection; /* then QUIT and reconnect */
	/* networks that address literals ("u@[10.0.0.1]") may name besides
	   public addresses: "10.0.0.0/8, fd00::/8" (smtpd and relay) */
	char *allowed_literal_networks;
	char *tls_ca_file;  /* trust anchors for peers; "" is the system's */
	bool mta_sts;       /* honour other domains' MTA-STS (RFC 8461) */
	unsigned mta_sts_port;    /* of mta-sts.<domain> (443) */
	unsigned mta_sts_timeout; /* seconds for a policy fetch */
	bool dane;          /* DANE (RFC 7672): trust dns_server's AD bit */
	bool tlsrpt;        /* record TLS outcomes for TLS-RPT (RFC 8460) */
};

struct queue_settings {
	unsigned run_interval; /* seconds between scans of the queue */
	unsigned max_lifetime; /* seconds before a message bounces */
	unsigned min_backoff;  /* first retry after a temporary failure */
	unsigned max_backoff;  /* retries double up to this */
	unsigned delay_warning; /* seconds before a delay DSN; 0 is off */
	unsigned maintenance_interval; /* between maintenance jobs */
	unsigned blob_grace; /* unreferenced blobs older than this go */
	unsigned expunge_log_keep; /* QRESYNC expunge log rows per mailbox */
	/* days mail stays in \Trash and \Junk mailboxes without a setting of
	   their own (postroomctl account expiry); 0 never expires */
	unsigned trash_expiry_days;
	unsigned junk_expiry_days;
};

struct deliver_settings {
	uint64_t default_quota; /* bytes for new accounts; 0 is unlimited */
	/* delivery rules (Sieve, doc/rules.md) */
	bool sieve;                  /* run them at all */
	char *sieve_dir;             /* administrator scripts; "" data_dir/sieve */
	uint64_t sieve_max_script_size; /* bytes of one script */
	unsigned sieve_max_actions;  /* actions of one run */
	unsigned sieve_max_redirects; /* redirects of one run */
	unsigned sieve_max_steps;    /* units of work of one run */
	unsigned sieve_vacation_min_period; /* seconds between replies */
	unsigned sieve_vacation_max_period;
	bool sieve_redirect_srs;     /* redirect from an SRS address */
};

struct authd_settings {
	unsigned workers; /* password-checking processes; 0: one per core */
	unsigned throttle_max_delay; /* seconds: longest login penalty */
	unsigned throttle_forget;    /* seconds before failures are forgotten */
	unsigned throttle_trust;     /* seconds a good (address, account) is
	                                trusted */
	unsigned throttle_entries;   /* records in run/auth-throttle */
};

/* SPF, DKIM and DMARC of mail on port 25, DKIM signing of submitted mail
 * (doc/authentication.md) */
struct mailauth_settings {
	bool verify;          /* check port 25 mail, add Authentication-Results */
	char *dmarc_policy;   /* "enforce", "quarantine" or "none" */
	char *authserv_id;    /* "" means the hostname */
	char *dns_server;     /* "" means [relay] dns_server */
	unsigned timeout;     /* seconds after the end of DATA */
	unsigned max_dns_queries;   /* per message */
	unsigned dkim_min_rsa_bits; /* shorter keys do not verify */
	bool dkim_refuse_length;    /* l= short of the body: dkim=policy */
	unsigned dkim_max_signatures; /* checked per message */
	bool sign;            /* DKIM-sign submitted mail of our domains */
	unsigned dkim_signature_lifetime; /* x= after t=; old keys kept */
	bool arc_seal;               /* ARC-seal mail forwarded by aliases */
	char *arc_trusted_sealers;   /* their passing chain overrides DMARC */
	char *mta_sts_mode;          /* off, none, testing, enforce */
	char *mta_sts_mx;            /* MX patterns; "" is the hostname */
	unsigned mta_sts_max_age;    /* seconds a sender keeps the policy */
	char *tlsrpt_rua;            /* "" is mailto:postmaster@<domain> */
	bool reports;                /* send DMARC and TLS-RPT reports */
	unsigned report_interval;    /* seconds between reports (1d) */
	char *report_from;           /* "" is postmaster@<hostname's domain> */
};

/* JMAP's limits (RFC 8620 §2 urn:ietf:params:jmap:core; doc/jmap.md):
 * advertised in the Session object and enforced by httpd */
struct jmap_section_settings {
	uint64_t max_size_upload;      /* bytes of one blob upload */
	unsigned max_concurrent_upload;
	uint64_t max_size_request;     /* bytes of one API request */
	unsigned max_concurrent_requests;
	unsigned max_calls_in_request;
	unsigned max_objects_in_get;
	unsigned max_objects_in_set;
};

struct postroom_settings {
	char *data_dir;  /* databases, blobs, queue, run/, tls/ */
	char *hostname;  /* "" means gethostname() */
	char *postmaster; /* "" means the first account (RFC 5321 4.5.1) */
	char *user;      /* "" means the invoking user (root: see doc) */
	char *listen;    /* comma-separated addresses to bind */
	char *log;       /* "stderr" or "syslog" */
	char *log_level; /* debug, info, warn, error */
	char *tls_cert;  /* PEM; "" means data_dir/tls/cert.pem */
	char *tls_key;   /* PEM; "" means data_dir/tls/key.pem */
	bool tls_selfsigned; /* create a self-signed pair when missing */
	bool plaintext_auth_loopback; /* AUTH without TLS from 127/8, ::1 */
	unsigned tls_handshake_timeout; /* seconds a server handshake may take */
	struct smtpd_settings smtpd;
	struct pop3d_settings pop3d;
	struct imapd_settings imapd;
	struct httpd_settings httpd;
	struct sieved_settings sieved;
	struct relay_settings relay;
	struct queue_settings queue;
	struct deliver_settings deliver;
	struct authd_settings authd;
	struct mailauth_settings mailauth;
	struct jmap_section_settings jmap;
};

/* Fills s with the built-in (embedded) defaults. */
void settings_init(struct postroom_settings *s);
/* Reads path (NULL: defaults only, or $POSTROOM_CONF if set) over s, then
 * runs settings_check. Returns 0, or -1 with the file, line, key and
 * problem, allocated from pool, in *error_r. */
int settings_load(struct postroom_settings *s, const char *path,
		  struct pool *pool, const char **error_r);
/* The start of every server: settings_init, settings_load of path (as in
 * settings_load), then log_open as name with the configured target and
 * level. Returns 0, or -1 with the reason from pool in *error_r (the log
 * is then still stderr, for the caller's fatal line). */
int settings_open(struct postroom_settings *s, const char *name,
		  const char *path, struct pool *pool, const char **error_r);
/* Checks rules that span keys (distinct ports, a usable data_dir...).
 * Returns 0, or -1 with the reason from pool in *error_r. */
int settings_check(const struct postroom_settings *s, struct pool *pool,
		   const char **error_r);
/* Appends the effective configuration in config-file syntax. */
void settings_print(const struct postroom_settings *s, struct buf *out);
void settings_deinit(struct postroom_settings *s);

/* The config path in effect: path if not NULL, else $POSTROOM_CONF if set,
 * else NULL (built-in defaults). */
const char *settings_path(const char *path);
/* Returns "data_dir/rel" (heap). */
char *settings_data_path(const struct postroom_settings *s, const char *rel);
/* Returns the hostname to announce: s->hostname or gethostname() (heap). */
char *settings_hostname(const struct postroom_settings *s);

#endif
