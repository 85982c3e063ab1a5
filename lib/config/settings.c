/* The setting tables of every section, and checks across keys. */
#include "config/settings.h"
#include "config/config.h"
#include "core/log.h"
#include "core/net.h"
#include "core/pool.h"
#include "core/xmalloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAIN(name, type, def, desc)                                           \
	{ #name, type, offsetof(struct postroom_settings, name), def, desc }
#define SMTPD(name, type, def, desc)                                          \
	{ #name, type, offsetof(struct smtpd_settings, name), def, desc }
#define POP3D(name, type, def, desc)                                          \
	{ #name, type, offsetof(struct pop3d_settings, name), def, desc }
#define IMAPD(name, type, def, desc)                                          \
	{ #name, type, offsetof(struct imapd_settings, name), def, desc }
#define HTTPD(name, type, def, desc)                                          \
	{ #name, type, offsetof(struct httpd_settings, name), def, desc }
#define SIEVED(name, type, def, desc)                                         \
	{ #name, type, offsetof(struct sieved_settings, name), def, desc }
#define RELAY(name, type, def, desc)                                          \
	{ #name, type, offsetof(struct relay_settings, name), def, desc }
#define QUEUE(name, type, def, desc)                                          \
	{ #name, type, offsetof(struct queue_settings, name), def, desc }
#define DELIVER(name, type, def, desc)                                        \
	{ #name, type, offsetof(struct deliver_settings, name), def, desc }
#define MAILAUTH(name, type, def, desc)                                       \
	{ #name, type, offsetof(struct mailauth_settings, name), def, desc }
#define JMAP(name, type, def, desc)                                           \
	{ #name, type, offsetof(struct jmap_section_settings, name), def,    \
	  desc }
#define AUTHD(name, type, def, desc)                                          \
	{ #name, type, offsetof(struct authd_settings, name), def, desc }

static const struct setting_def main_defs[] = {
	MAIN(data_dir, SETTING_STRING, "./var", "folder for all state"),
	MAIN(hostname, SETTING_STRING, "", "name in banners and Received"),
	MAIN(postmaster, SETTING_STRING, "",
	     "where postmaster@ goes without an alias"),
	MAIN(user, SETTING_STRING, "", "unprivileged user for the servers"),
	MAIN(listen, SETTING_STRING, "127.0.0.1", "addresses to bind"),
	MAIN(log, SETTING_STRING, "stderr", "stderr or syslog"),
	MAIN(log_level, SETTING_STRING, "info", "debug, info, warn, error"),
	MAIN(tls_cert, SETTING_STRING, "", "certificate chain (PEM)"),
	MAIN(tls_key, SETTING_STRING, "", "private key (PEM)"),
	MAIN(tls_selfsigned, SETTING_BOOL, "yes",
	     "make a self-signed pair when missing"),
	MAIN(plaintext_auth_loopback, SETTING_BOOL, "yes",
	     "allow AUTH without TLS from loopback"),
	MAIN(tls_handshake_timeout, SETTING_DURATION, "1m",
	     "a server TLS handshake, from its start"),
};

static const struct setting_def smtpd_defs[] = {
	SMTPD(port, SETTING_PORT, "2525", "SMTP (MX) port"),
	SMTPD(submission_port, SETTING_PORT, "2587", "submission (STARTTLS)"),
	SMTPD(submissions_port, SETTING_PORT, "2465", "submission (TLS)"),
	SMTPD(workers, SETTING_UINT, "0", "processes; 0 is one per core"),
	SMTPD(max_message_size, SETTING_SIZE, "50M", "largest message"),
	SMTPD(max_recipients, SETTING_UINT, "100", "recipients per message"),
	SMTPD(max_command_line, SETTING_UINT, "2048", "command line bytes"),
	SMTPD(max_text_line, SETTING_UINT, "1000", "message line bytes"),
	SMTPD(max_connections, SETTING_UINT, "500", "per process"),
	SMTPD(max_connections_per_ip, SETTING_UINT, "20", "per client IP"),
	SMTPD(max_errors, SETTING_UINT, "10", "errors before disconnect"),
	SMTPD(idle_timeout, SETTING_DURATION, "5m", "between commands"),
	SMTPD(data_timeout, SETTING_DURATION, "10m", "while reading data"),
	SMTPD(min_free_space, SETTING_SIZE, "100M",
	      "free bytes kept: 452 4.3.1 below it"),
	SMTPD(login_timeout, SETTING_DURATION, "3m",
	      "submission: connect to AUTH; 0 is none"),
	SMTPD(line_timeout, SETTING_DURATION, "5m",
	      "one command line from its first byte; 0 is none"),
	SMTPD(min_data_rate, SETTING_UINT, "500",
	      "DATA/BDAT bytes per second; 0 is no limit"),
	SMTPD(future_release_max, SETTING_DURATION, "30d",
	      "longest FUTURERELEASE hold on submission; 0 is off"),
};

static const struct setting_def pop3d_defs[] = {
	POP3D(port, SETTING_PORT, "2110", "POP3 (STLS) port"),
	POP3D(pop3s_port, SETTING_PORT, "2995", "POP3 over TLS port"),
	POP3D(workers, SETTING_UINT, "0", "processes; 0 is one per core"),
	POP3D(max_connections, SETTING_UINT, "500", "per process"),
	POP3D(max_connections_per_ip, SETTING_UINT, "20", "per client IP"),
	POP3D(idle_timeout, SETTING_DURATION, "10m", "between commands"),
	POP3D(login_timeout, SETTING_DURATION, "3m",
	      "connect to login; 0 is none"),
	POP3D(line_timeout, SETTING_DURATION, "5m",
	      "one command line from its first byte; 0 is none"),
};

static const struct setting_def imapd_defs[] = {
	IMAPD(port, SETTING_PORT, "2143", "IMAP (STARTTLS) port"),
	IMAPD(imaps_port, SETTING_PORT, "2993", "IMAP over TLS port"),
	IMAPD(workers, SETTING_UINT, "0", "processes; 0 is one per core"),
	IMAPD(max_connections, SETTING_UINT, "2000", "per process"),
	IMAPD(max_connections_per_ip, SETTING_UINT, "50", "per client IP"),
	IMAPD(idle_timeout, SETTING_DURATION, "30m", "between commands"),
	IMAPD(max_literal_size, SETTING_SIZE, "50M", "APPENDLIMIT"),
	IMAPD(command_rate, SETTING_UINT, "5000",
	      "commands per second per session; 0 is no limit"),
	IMAPD(command_burst, SETTING_UINT, "5000",
	      "commands a session may send at once"),
	IMAPD(command_flood_time, SETTING_DURATION, "1m",
	      "time held at the rate before BYE; 0 never"),
	IMAPD(login_timeout, SETTING_DURATION, "3m",
	      "connect to login; 0 is none"),
	IMAPD(line_timeout, SETTING_DURATION, "5m",
	      "one command line from its first byte; 0 is none"),
};

static const struct setting_def httpd_defs[] = {
	HTTPD(port, SETTING_PORT, "2080", "HTTP port (redirects to HTTPS)"),
	HTTPD(https_port, SETTING_PORT, "2443", "HTTPS port"),
	HTTPD(workers, SETTING_UINT, "0", "processes; 0 is one per core"),
	HTTPD(max_connections, SETTING_UINT, "1000", "per process"),
	HTTPD(max_connections_per_ip, SETTING_UINT, "50", "per client IP"),
	HTTPD(max_request_line, SETTING_UINT, "8192", "request-line bytes"),
	HTTPD(max_header_bytes, SETTING_SIZE, "64k", "header section bytes"),
	HTTPD(max_headers, SETTING_UINT, "100", "header field lines"),
	HTTPD(body_memory_max, SETTING_SIZE, "64k",
	      "larger request bodies go to a file"),
	HTTPD(idle_timeout, SETTING_DURATION, "1m", "between requests"),
	HTTPD(header_timeout, SETTING_DURATION, "30s", "for a request head"),
	HTTPD(body_timeout, SETTING_DURATION, "1m", "for a request body"),
	HTTPD(request_rate, SETTING_UINT, "100",
	      "requests per second per connection; 0 is no limit"),
	HTTPD(request_burst, SETTING_UINT, "1000",
	      "requests a connection may send at once"),
	HTTPD(hsts_max_age, SETTING_DURATION, "365d",
	      "Strict-Transport-Security on HTTPS; 0 is off"),
	HTTPD(web_root, SETTING_STRING, "",
	      "the webmail's built files; empty is the source's web/dist"),
	HTTPD(session_idle_timeout, SETTING_DURATION, "1d",
	      "a login session unused this long ends"),
	HTTPD(session_lifetime, SETTING_DURATION, "14d",
	      "a login session ends this long after the login"),
};

static const struct setting_def sieved_defs[] = {
	SIEVED(port, SETTING_PORT, "2190", "ManageSieve (STARTTLS) port"),
	SIEVED(workers, SETTING_UINT, "1", "processes; 0 is one per core"),
	SIEVED(max_connections, SETTING_UINT, "500", "per process"),
	SIEVED(max_connections_per_ip, SETTING_UINT, "20", "per client IP"),
	SIEVED(idle_timeout, SETTING_DURATION, "10m", "between commands"),
	SIEVED(login_timeout, SETTING_DURATION, "3m",
	       "connect to login; 0 is none"),
	SIEVED(line_timeout, SETTING_DURATION, "5m",
	       "one command with its literals, from its first byte; 0 is none"),
	SIEVED(max_scripts, SETTING_UINT, "20",
	       "scripts per account; 0 is no limit"),
	SIEVED(max_script_size, SETTING_SIZE, "256k",
	       "bytes of one script, at most [deliver] sieve_max_script_size"),
};

static const struct setting_def relay_defs[] = {
	RELAY(dns_server, SETTING_STRING, "", "resolver address[:port]"),
	RELAY(smarthost, SETTING_STRING, "", "host:port for all remote mail"),
	RELAY(smarthost_user, SETTING_STRING, "", "AUTH user at smarthost"),
	RELAY(smarthost_password, SETTING_STRING, "", "its password"),
	RELAY(transport_map, SETTING_STRING, "", "domain=host:port, ..."),
	RELAY(require_tls, SETTING_STRING, "", "domains needing STARTTLS"),
	RELAY(max_per_destination, SETTING_UINT, "5", "connections"),
	RELAY(connect_timeout, SETTING_DURATION, "30s", "TCP connect"),
	RELAY(mx_port, SETTING_PORT, "25", "port of MX hosts"),
	RELAY(command_timeout, SETTING_DURATION, "5m",
	      "per reply (RFC 5321 4.5.3.2)"),
	RELAY(data_timeout, SETTING_DURATION, "10m",
	      "data blocks and final reply"),
	RELAY(max_messages_per_connection, SETTING_UINT, "100",
	      "then reconnect"),
	RELAY(allowed_literal_networks, SETTING_STRING, "",
	      "networks u@[addr] may name besides public ones"),
	RELAY(tls_ca_file, SETTING_STRING, "",
	      "trust anchors (PEM) for peers; empty is the system's"),
	RELAY(mta_sts, SETTING_BOOL, "yes",
	      "honour other domains' MTA-STS policies (RFC 8461)"),
	RELAY(mta_sts_port, SETTING_PORT, "443", "port of mta-sts.<domain>"),
	RELAY(mta_sts_timeout, SETTING_DURATION, "1m", "one policy fetch"),
	RELAY(dane, SETTING_BOOL, "no",
	      "DANE (RFC 7672); dns_server must validate DNSSEC"),
	RELAY(tlsrpt, SETTING_BOOL, "yes",
	      "record TLS outcomes for TLS-RPT (RFC 8460)"),
};

static const struct setting_def queue_defs[] = {
	QUEUE(run_interval, SETTING_DURATION, "1m", "between queue scans"),
	QUEUE(max_lifetime, SETTING_DURATION, "5d", "before a bounce"),
	QUEUE(min_backoff, SETTING_DURATION, "5m", "first retry"),
	QUEUE(max_backoff, SETTING_DURATION, "1h", "longest retry wait"),
	QUEUE(delay_warning, SETTING_DURATION, "4h", "delay DSN; 0 is off"),
	QUEUE(maintenance_interval, SETTING_DURATION, "1h",
	      "between maintenance jobs"),
	QUEUE(blob_grace, SETTING_DURATION, "1d",
	      "age before an unreferenced blob goes"),
	QUEUE(expunge_log_keep, SETTING_UINT, "10000",
	      "expunge log rows kept per mailbox; 0 keeps all"),
	QUEUE(trash_expiry_days, SETTING_UINT, "30",
	      "days in Trash before maintenance expunges; 0 never"),
	QUEUE(junk_expiry_days, SETTING_UINT, "30",
	      "days in Junk before maintenance expunges; 0 never"),
};

static const struct setting_def deliver_defs[] = {
	DELIVER(default_quota, SETTING_SIZE, "0", "bytes; 0 is unlimited"),
	DELIVER(sieve, SETTING_BOOL, "yes", "run delivery rules (Sieve)"),
	DELIVER(sieve_dir, SETTING_STRING, "",
	        "administrator scripts; empty: data_dir/sieve"),
	DELIVER(sieve_max_script_size, SETTING_SIZE, "1M",
	        "bytes of one Sieve script"),
	DELIVER(sieve_max_actions, SETTING_UINT, "64",
	        "actions one run of the rules may take"),
	DELIVER(sieve_max_redirects, SETTING_UINT, "4",
	        "redirects one run of the rules may make"),
	DELIVER(sieve_max_steps, SETTING_UINT, "2000000",
	        "units of work one run of the rules may do"),
	DELIVER(sieve_vacation_min_period, SETTING_DURATION, "1h",
	        "shortest time between two vacation replies to one sender"),
	DELIVER(sieve_vacation_max_period, SETTING_DURATION, "90d",
	        "longest time between two vacation replies to one sender"),
	DELIVER(sieve_redirect_srs, SETTING_BOOL, "yes",
	        "redirected mail leaves from an SRS address"),
};

static const struct setting_def authd_defs[] = {
	AUTHD(workers, SETTING_UINT, "0", "processes; 0 is one per core"),
	AUTHD(throttle_max_delay, SETTING_DURATION, "16s",
	      "longest wait between password checks after failures"),
	AUTHD(throttle_forget, SETTING_DURATION, "15m",
	      "failures forgotten after this long without one"),
	AUTHD(throttle_trust, SETTING_DURATION, "30d",
	      "an (address, account) that logged in skips wider penalties"),
	AUTHD(throttle_entries, SETTING_UINT, "65536",
	      "records in the shared throttle table (40 bytes each)"),
};

static const struct setting_def mailauth_defs[] = {
	MAILAUTH(verify, SETTING_BOOL, "yes",
		 "SPF, DKIM, DMARC on port 25; Authentication-Results"),
	MAILAUTH(dmarc_policy, SETTING_STRING, "enforce",
		 "enforce, quarantine or none"),
	MAILAUTH(authserv_id, SETTING_STRING, "",
		 "Authentication-Results name; empty is the hostname"),
	MAILAUTH(dns_server, SETTING_STRING, "",
		 "resolver address[:port]; empty is [relay] dns_server"),
	MAILAUTH(timeout, SETTING_DURATION, "20s",
		 "DNS answers awaited after the end of DATA"),
	MAILAUTH(max_dns_queries, SETTING_UINT, "60", "per message"),
	MAILAUTH(dkim_min_rsa_bits, SETTING_UINT, "1024",
		 "shorter RSA keys do not verify"),
	MAILAUTH(dkim_refuse_length, SETTING_BOOL, "yes",
		 "l= short of the body gives dkim=policy"),
	MAILAUTH(dkim_max_signatures, SETTING_UINT, "5",
		 "DKIM signatures checked per message"),
	MAILAUTH(sign, SETTING_BOOL, "yes",
		 "DKIM-sign submitted mail of local domains"),
	MAILAUTH(dkim_signature_lifetime, SETTING_DURATION, "7d",
		 "x= of our signatures; rotated keys stay published"),
	MAILAUTH(arc_seal, SETTING_BOOL, "yes",
		 "ARC-seal mail that aliases forward (RFC 8617)"),
	MAILAUTH(arc_trusted_sealers, SETTING_STRING, "",
		 "domains whose passing ARC chain overrides DMARC"),
	MAILAUTH(mta_sts_mode, SETTING_STRING, "testing",
		 "MTA-STS policy served: off, none, testing, enforce"),
	MAILAUTH(mta_sts_mx, SETTING_STRING, "",
		 "mx: patterns of the policy; empty is the hostname"),
	MAILAUTH(mta_sts_max_age, SETTING_DURATION, "7d",
		 "how long senders keep the policy"),
	MAILAUTH(tlsrpt_rua, SETTING_STRING, "",
		 "TLS-RPT rua=; empty is mailto:postmaster@<domain>"),
	MAILAUTH(reports, SETTING_BOOL, "yes",
		 "send DMARC aggregate and TLS-RPT reports"),
	MAILAUTH(report_interval, SETTING_DURATION, "1d",
		 "the period each report covers"),
	MAILAUTH(report_from, SETTING_STRING, "",
		 "From of reports; empty is postmaster@<hostname's domain>"),
};

static const struct setting_def jmap_defs[] = {
	JMAP(max_size_upload, SETTING_SIZE, "50M", "maxSizeUpload: one blob"),
	JMAP(max_concurrent_upload, SETTING_UINT, "4",
	     "maxConcurrentUpload (advertised)"),
	JMAP(max_size_request, SETTING_SIZE, "10M",
	     "maxSizeRequest: one API request or WebSocket message"),
	JMAP(max_concurrent_requests, SETTING_UINT, "4",
	     "maxConcurrentRequests (advertised)"),
	JMAP(max_calls_in_request, SETTING_UINT, "64", "maxCallsInRequest"),
	JMAP(max_objects_in_get, SETTING_UINT, "1000", "maxObjectsInGet"),
	JMAP(max_objects_in_set, SETTING_UINT, "1000", "maxObjectsInSet"),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct config_section sections[] = {
	{ "", main_defs, N(main_defs), 0 },
	{ "smtpd", smtpd_defs, N(smtpd_defs),
	  offsetof(struct postroom_settings, smtpd) },
	{ "pop3d", pop3d_defs, N(pop3d_defs),
	  offsetof(struct postroom_settings, pop3d) },
	{ "imapd", imapd_defs, N(imapd_defs),
	  offsetof(struct postroom_settings, imapd) },
	{ "httpd", httpd_defs, N(httpd_defs),
	  offsetof(struct postroom_settings, httpd) },
	{ "sieved", sieved_defs, N(sieved_defs),
	  offsetof(struct postroom_settings, sieved) },
	{ "relay", relay_defs, N(relay_defs),
	  offsetof(struct postroom_settings, relay) },
	{ "queue", queue_defs, N(queue_defs),
	  offsetof(struct postroom_settings, queue) },
	{ "deliver", deliver_defs, N(deliver_defs),
	  offsetof(struct postroom_settings, deliver) },
	{ "authd", authd_defs, N(authd_defs),
	  offsetof(struct postroom_settings, authd) },
	{ "mailauth", mailauth_defs, N(mailauth_defs),
	  offsetof(struct postroom_settings, mailauth) },
	{ "jmap", jmap_defs, N(jmap_defs),
	  offsetof(struct postroom_settings, jmap) },
};

void settings_init(struct postroom_settings *s)
{
	memset(s, 0, sizeof(*s));
	config_defaults(s, sections, N(sections));
}

const char *settings_path(const char *path)
{
	if (path != NULL)
		return path;
	const char *env = getenv("POSTROOM_CONF");
	return env != NULL && env[0] != '\0' ? env : NULL;
}

int settings_load(struct postroom_settings *s, const char *path,
		  struct pool *pool, const char **error_r)
{
	path = settings_path(path);
	if (path != NULL &&
	    config_read(s, sections, N(sections), path, pool, error_r) < 0)
		return -1;
	return settings_check(s, pool, error_r);
}

int settings_open(struct postroom_settings *s, const char *name,
		  const char *path, struct pool *pool, const char **error_r)
{
	settings_init(s);
	if (settings_load(s, path, pool, error_r) < 0)
		return -1;
	enum log_level level = LOG_LEVEL_INFO;
	(void)log_level_parse(s->log_level, &level);
	log_open(name, strcmp(s->log, "syslog") == 0 ? LOG_TARGET_SYSLOG
						     : LOG_TARGET_STDERR,
		 level);
	return 0;
}

int settings_check(const struct postroom_settings *s, struct pool *pool,
		   const char **error_r)
{
	if (s->data_dir[0] == '\0') {
		*error_r = "key 'data_dir': must not be empty";
		return -1;
	}
	if (strcmp(s->log, "stderr") != 0 && strcmp(s->log, "syslog") != 0) {
		*error_r = pool_printf(pool,
			"key 'log': bad value '%s': expected stderr or syslog",
			s->log);
		return -1;
	}
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	bool level_ok = false;
	for (size_t i = 0; i < N(levels); i++)
		level_ok = level_ok || strcmp(s->log_level, levels[i]) == 0;
	if (!level_ok) {
		*error_r = pool_printf(pool,
			"key 'log_level': bad value '%s': expected debug, "
			"info, warn or error", s->log_level);
		return -1;
	}
	if (s->authd.throttle_entries < 64 ||
	    s->authd.throttle_entries > 16777216) {
		*error_r = "[authd] key 'throttle_entries': must be between 64 "
			   "and 16777216";
		return -1;
	}
	if (s->listen[0] == '\0') {
		*error_r = "key 'listen': must name at least one address";
		return -1;
	}
	const unsigned ports[] = { s->smtpd.port, s->smtpd.submission_port,
				   s->smtpd.submissions_port, s->pop3d.port,
				   s->pop3d.pop3s_port, s->imapd.port,
				   s->imapd.imaps_port, s->httpd.port,
				   s->httpd.https_port, s->sieved.port };
	for (size_t i = 0; i < N(ports); i++) {
		for (size_t j = i + 1; j < N(ports); j++) {
			if (ports[i] != 0 && ports[i] == ports[j]) {
				*error_r = pool_printf(pool,
					"port %u is used twice", ports[i]);
				return -1;
			}
		}
	}
	if (s->smtpd.max_command_line < 512) {
		*error_r = "[smtpd] key 'max_command_line': must be at least "
			   "512 (RFC 5321 4.5.3.1.4)";
		return -1;
	}
	if (s->smtpd.max_text_line < 1000) {
		*error_r = "[smtpd] key 'max_text_line': must be at least "
			   "1000 (RFC 5321 4.5.3.1.6)";
		return -1;
	}
	if (s->smtpd.max_recipients < 100) {
		*error_r = "[smtpd] key 'max_recipients': must be at least "
			   "100 (RFC 5321 4.5.3.1.8)";
		return -1;
	}
	if (s->smtpd.max_connections == 0 ||
	    s->smtpd.max_connections_per_ip == 0) {
		*error_r = "[smtpd] max_connections and "
			   "max_connections_per_ip must be at least 1";
		return -1;
	}
	if (s->smtpd.idle_timeout == 0 || s->smtpd.data_timeout == 0) {
		*error_r = "[smtpd] idle_timeout and data_timeout must be "
			   "at least 1s";
		return -1;
	}
	if (s->queue.min_backoff == 0 ||
	    s->queue.max_backoff < s->queue.min_backoff) {
		*error_r = "[queue] min_backoff must be at least 1s and at "
			   "most max_backoff";
		return -1;
	}
	if (s->imapd.command_rate != 0 && s->imapd.command_burst == 0) {
		*error_r = "[imapd] key 'command_burst': must be at least 1 "
			   "when command_rate is set";
		return -1;
	}
	if (s->httpd.max_connections == 0 ||
	    s->httpd.max_connections_per_ip == 0) {
		*error_r = "[httpd] max_connections and "
			   "max_connections_per_ip must be at least 1";
		return -1;
	}
	if (s->httpd.max_request_line < 256 || s->httpd.max_headers == 0 ||
	    s->httpd.max_header_bytes < 1024) {
		*error_r = "[httpd] max_request_line must be at least 256, "
			   "max_header_bytes at least 1k and max_headers at "
			   "least 1";
		return -1;
	}
	if (s->httpd.idle_timeout == 0 || s->httpd.header_timeout == 0 ||
	    s->httpd.body_timeout == 0) {
		*error_r = "[httpd] idle_timeout, header_timeout and "
			   "body_timeout must be at least 1s";
		return -1;
	}
	if (s->httpd.session_idle_timeout == 0 ||
	    s->httpd.session_lifetime == 0) {
		*error_r = "[httpd] session_idle_timeout and session_lifetime "
			   "must be more than 0";
		return -1;
	}
	if (s->httpd.request_rate != 0 && s->httpd.request_burst == 0) {
		*error_r = "[httpd] key 'request_burst': must be at least 1 "
			   "when request_rate is set";
		return -1;
	}
	if (s->jmap.max_size_request < 1024 || s->jmap.max_size_upload < 1024 ||
	    s->jmap.max_calls_in_request == 0 ||
	    s->jmap.max_objects_in_get == 0 ||
	    s->jmap.max_objects_in_set == 0 ||
	    s->jmap.max_concurrent_upload == 0 ||
	    s->jmap.max_concurrent_requests == 0) {
		*error_r = "[jmap] max_size_request and max_size_upload must "
			   "be at least 1k, the other limits at least 1";
		return -1;
	}
	if (s->sieved.max_connections == 0 ||
	    s->sieved.max_connections_per_ip == 0 ||
	    s->sieved.idle_timeout == 0) {
		*error_r = "[sieved] max_connections, max_connections_per_ip "
			   "and idle_timeout must be at least 1";
		return -1;
	}
	if (s->sieved.max_script_size == 0 ||
	    s->sieved.max_script_size > s->deliver.sieve_max_script_size) {
		*error_r = "[sieved] key 'max_script_size': must be at least 1 "
			   "and at most [deliver] sieve_max_script_size";
		return -1;
	}
	if (s->tls_handshake_timeout == 0) {
		*error_r = "key 'tls_handshake_timeout': must be at least 1s";
		return -1;
	}
	if (s->queue.run_interval == 0) {
		*error_r = "[queue] key 'run_interval': must be at least 1s";
		return -1;
	}
	const char *at = strrchr(s->postmaster, '@');
	bool pm_ok = s->postmaster[0] == '\0' ||
		     (at != NULL && at != s->postmaster && at[1] != '\0');
	for (const char *p = s->postmaster; *p != '\0'; p++)
		pm_ok = pm_ok && *p > ' ' && *p != 0x7f;
	if (!pm_ok) {
		*error_r = pool_printf(pool,
			"key 'postmaster': bad value '%s': expected an "
			"address (local@domain)", s->postmaster);
		return -1;
	}
	const char *dp = s->mailauth.dmarc_policy;
	if (strcmp(dp, "enforce") != 0 && strcmp(dp, "quarantine") != 0 &&
	    strcmp(dp, "none") != 0) {
		*error_r = pool_printf(pool,
			"[mailauth] key 'dmarc_policy': bad value '%s': "
			"expected enforce, quarantine or none", dp);
		return -1;
	}
	const char *sts = s->mailauth.mta_sts_mode;
	if (strcmp(sts, "off") != 0 && strcmp(sts, "none") != 0 &&
	    strcmp(sts, "testing") != 0 && strcmp(sts, "enforce") != 0) {
		*error_r = pool_printf(pool,
			"[mailauth] key 'mta_sts_mode': bad value '%s': "
			"expected off, none, testing or enforce", sts);
		return -1;
	}
	/* RFC 8461 §3.2: max_age at most 31557600 s (a year) */
	if (s->mailauth.mta_sts_max_age == 0 ||
	    s->mailauth.mta_sts_max_age > 31557600 ||
	    s->mailauth.report_interval == 0) {
		*error_r = "[mailauth] mta_sts_max_age must be 1s to 365d, "
			   "report_interval at least 1s";
		return -1;
	}
	if (!net_networks_are_valid(s->relay.allowed_literal_networks)) {
		*error_r = pool_printf(pool,
			"[relay] key 'allowed_literal_networks': bad value "
			"'%s': expected address[/prefix], ...",
			s->relay.allowed_literal_networks);
		return -1;
	}
	return 0;
}

void settings_print(const struct postroom_settings *s, struct buf *out)
{
	config_print(s, sections, N(sections), out);
}

void settings_deinit(struct postroom_settings *s)
{
	config_free(s, sections, N(sections));
}

char *settings_data_path(const struct postroom_settings *s, const char *rel)
{
	return xasprintf("%s/%s", s->data_dir, rel);
}

char *settings_hostname(const struct postroom_settings *s)
{
	if (s->hostname[0] != '\0')
		return xstrdup(s->hostname);
	char name[256];
	if (gethostname(name, sizeof(name)) < 0)
		return xstrdup("localhost");
	name[sizeof(name) - 1] = '\0';
	return xstrdup(name);
}
