/* postroomctl dns [--address IP]... DOMAIN: the DNS records DOMAIN should
 * publish to be served here, in zone-file form (RFC 1035 §5.1), from the
 * configuration: the MX; the address records of the hostname (--address,
 * else the addresses of `listen`, else those of the machine's interfaces);
 * the SRV records of RFC 6186 for submission, IMAP and POP3 (implicit TLS
 * first, RFC 8314 §5.1; a service that is off is published as not offered,
 * target "."); ManageSieve's (RFC 5804 §1.8); those of RFC 6764 for
 * CalDAV and CardDAV with their TXT path=; and the autoconfig and
 * autodiscover names that Thunderbird and Outlook look up; then SPF, DKIM
 * and DMARC (cmd_dns_auth.c, which also serves dns check DOMAIN). */
#include "config/settings_endpoint.h"
#include "core/xmalloc.h"
#include "postroomctl.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DNS_TTL 3600
#define DNS_MX_PREFERENCE 10
#define DNS_PRIORITY_TLS 0       /* implicit TLS: preferred */
#define DNS_PRIORITY_STARTTLS 10 /* STARTTLS: the fallback */
#define DNS_MAX_ADDRESSES 32

static void dns_record(const char *name, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void dns_record(const char *name, const char *type, const char *fmt, ...)
{
	va_list ap;
	printf("%-40s %u IN %-5s ", name, DNS_TTL, type);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* 10/8, 172.16/12, 192.168/16, 100.64/10 and fc00::/7: not reachable
 * from the Internet as they are. */
static bool dns_is_private(int family, const void *addr)
{
	if (family == AF_INET) {
		const unsigned char *a = addr;
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64);
	}
	return (((const unsigned char *)addr)[0] & 0xfe) == 0xfc;
}

/* Loopback, link-local or unspecified: never published. */
static bool dns_is_local(int family, const void *addr)
{
	if (family == AF_INET) {
		const unsigned char *a = addr;
		return a[0] == 127 || a[0] == 0 || (a[0] == 169 && a[1] == 254);
	}
	const struct in6_addr *a6 = addr;
	return IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_UNSPECIFIED(a6) ||
	       IN6_IS_ADDR_LINKLOCAL(a6) || IN6_IS_ADDR_V4MAPPED(a6);
}

struct dns_addrs {
	char *text[DNS_MAX_ADDRESSES];
	bool is_v6[DNS_MAX_ADDRESSES];
	bool is_private[DNS_MAX_ADDRESSES];
	size_t count;
	bool has_wildcard;
};

/* Adds str if it is a numeric address worth publishing (any that is_given
 * on the command line). Returns 1 if added, 0 if skipped (local,
 * duplicate), -1 if it is not an address. */
static int dns_addrs_add(struct dns_addrs *a, const char *str, bool is_given)
{
	unsigned char buf[sizeof(struct in6_addr)];
	int family = strchr(str, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(family, str, buf) != 1)
		return -1;
	char text[INET6_ADDRSTRLEN];
	inet_ntop(family, buf, text, sizeof(text));
	if ((!is_given && dns_is_local(family, buf)) ||
	    a->count == DNS_MAX_ADDRESSES)
		return 0;
	for (size_t i = 0; i < a->count; i++) {
		if (strcmp(a->text[i], text) == 0)
			return 0;
	}
	a->text[a->count] = xstrdup(text);
	a->is_v6[a->count] = family == AF_INET6;
	a->is_private[a->count] = dns_is_private(family, buf);
	a->count++;
	return 1;
}

/* The addresses of `listen`; a wildcard (0.0.0.0, ::) means the
 * interfaces'. */
static void dns_addrs_from_config(struct dns_addrs *a, const char *listen)
{
	char *list = xstrdup(listen), *save = NULL;
	for (char *s = strtok_r(list, ", ", &save); s != NULL;
	     s = strtok_r(NULL, ", ", &save)) {
		if (strcmp(s, "0.0.0.0") == 0 || strcmp(s, "::") == 0)
			a->has_wildcard = true;
		else
			(void)dns_addrs_add(a, s, false);
	}
	free(list);
	struct ifaddrs *ifs;
	if (!a->has_wildcard || getifaddrs(&ifs) < 0)
		return;
	for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
		char text[INET6_ADDRSTRLEN];
		const struct sockaddr *sa = i->ifa_addr;
		if (sa == NULL ||
		    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
			continue;
		const void *addr =
		    sa->sa_family == AF_INET
		        ? (const void *)&(
		              (const struct sockaddr_in *)(const void *)sa)
		              ->sin_addr
		        : (const void *)&(
		              (const struct sockaddr_in6 *)(const void *)sa)
		              ->sin6_addr;
		if (inet_ntop(sa->sa_family, addr, text, sizeof(text)) != NULL)
			(void)dns_addrs_add(a, text, false);
	}
	freeifaddrs(ifs);
}

static void dns_addrs_print(const struct dns_addrs *a, const char *host_dot,
                            const char *listen)
{
	for (size_t i = 0; i < a->count; i++) {
		if (a->is_private[i])
			printf("; %s is a private address: publish the public "
			       "one it is reached by\n",
			       a->text[i]);
		dns_record(host_dot, a->is_v6[i] ? "AAAA" : "A", "%s",
		           a->text[i]);
	}
	if (a->count == 0)
		printf("; no address to publish (listen = %s): give "
		       "--address IP\n",
		       listen);
}

/* The SRV record of one endpoint (RFC 2782, RFC 6186 §3). */
static void dns_srv(const struct settings_endpoint *e, const char *domain,
                    const char *host_dot)
{
	char name[512];
	snprintf(name, sizeof(name), "_%s._tcp.%s.", e->srv_name, domain);
	if (e->port == 0) {
		/* RFC 6186 §3.4: the service is not offered */
		dns_record(name, "SRV", "0 0 0 .");
		return;
	}
	dns_record(name, "SRV", "%d 1 %u %s",
	           e->tls == SETTINGS_TLS_IMPLICIT ? DNS_PRIORITY_TLS
	                                           : DNS_PRIORITY_STARTTLS,
	           e->port, host_dot);
}

/* RFC 6764 §3, §4: CalDAV and CardDAV over TLS, and their context path;
 * without TLS they are not offered (credentials would travel in plain). */
static void dns_dav(const char *service, unsigned https_port,
                    const char *domain, const char *host_dot)
{
	char name[512];
	snprintf(name, sizeof(name), "_%ss._tcp.%s.", service, domain);
	if (https_port == 0) {
		dns_record(name, "SRV", "0 0 0 .");
	} else {
		dns_record(name, "SRV", "0 1 %u %s", https_port, host_dot);
		dns_record(name, "TXT", "\"path=/dav/\"");
	}
	snprintf(name, sizeof(name), "_%s._tcp.%s.", service, domain);
	dns_record(name, "SRV", "0 0 0 .");
}

/* RFC 5804 §1.8: ManageSieve (STARTTLS on its one port), or not offered
 * when sieved is off. */
static void dns_sieve(unsigned port, const char *domain, const char *host_dot)
{
	char *name = xasprintf("_sieve._tcp.%s.", domain);
	if (port == 0)
		dns_record(name, "SRV", "0 0 0 .");
	else
		dns_record(name, "SRV", "0 1 %u %s", port, host_dot);
	free(name);
}

static void dns_print(const struct ctl *ctl, const char *domain,
                      const char *host, const struct dns_addrs *addrs)
{
	const struct postroom_settings *s = &ctl->settings;
	char *host_dot = xasprintf("%s.", host);
	char *domain_dot = xasprintf("%s.", domain);
	size_t hl = strlen(host), dl = strlen(domain);
	bool in_zone =
	    strcmp(host, domain) == 0 || (hl > dl && host[hl - dl - 1] == '.' &&
	                                  strcmp(host + hl - dl, domain) == 0);
	printf("; DNS records for %s, served by %s (postroomctl dns)\n", domain,
	       host);
	if (strchr(host, '.') == NULL)
		printf("; '%s' is not a fully qualified name: set hostname in "
		       "the configuration\n",
		       host);
	dns_record(domain_dot, "MX", "%d %s", DNS_MX_PREFERENCE, host_dot);
	if (s->smtpd.port != 25)
		printf("; other servers send mail to port 25 only; [smtpd] "
		       "port is %u\n",
		       s->smtpd.port);
	if (!in_zone)
		printf("; the address records belong in the zone of %s\n",
		       host);
	dns_addrs_print(addrs, host_dot, s->listen);
	printf("; mail submission and access (RFC 6186; implicit TLS first, "
	       "RFC 8314)\n");
	struct settings_endpoint list[SETTINGS_ENDPOINT_COUNT];
	settings_endpoint_list(s, list);
	for (size_t i = 0; i < SETTINGS_ENDPOINT_COUNT; i++) {
		if (list[i].proto != SETTINGS_PROTO_HTTP)
			dns_srv(&list[i], domain, host_dot);
	}
	printf("; Sieve rules (RFC 5804)\n");
	dns_sieve(s->sieved.port, domain, host_dot);
	printf("; calendars and contacts (RFC 6764)\n");
	dns_dav("caldav", s->httpd.https_port, domain, host_dot);
	dns_dav("carddav", s->httpd.https_port, domain, host_dot);
	printf("; client autoconfig: Thunderbird (autoconfig), Outlook "
	       "(autodiscover)\n");
	char *name = xasprintf("autoconfig.%s.", domain);
	dns_record(name, "CNAME", "%s", host_dot);
	free(name);
	name = xasprintf("autodiscover.%s.", domain);
	dns_record(name, "CNAME", "%s", host_dot);
	free(name);
	if (s->httpd.https_port != 0) {
		name = xasprintf("_autodiscover._tcp.%s.", domain);
		dns_record(name, "SRV", "0 1 %u %s", s->httpd.https_port,
		           host_dot);
		free(name);
	}
	if (s->httpd.port != 80)
		printf("; autoconfig over plain HTTP is looked up on port 80 "
		       "only; [httpd] port is %u\n",
		       s->httpd.port);
	printf("; the certificate should name %s, autoconfig.%s and "
	       "autodiscover.%s\n",
	       host, domain, domain);
	printf("; mail authentication (doc/authentication.md)\n");
	dns_auth_print(ctl, domain, host);
	free(host_dot);
	free(domain_dot);
}

int cmd_dns(struct ctl *ctl, int argc, char **argv)
{
	static const char usage[] =
	    "dns [--address IP]... DOMAIN | dns check DOMAIN";
	struct dns_addrs addrs = {0};
	int i = 0, ret = CTL_EXIT_OK;
	bool has_given = false;
	bool is_check = argc == 2 && strcmp(argv[0], "check") == 0;
	if (is_check) {
		ctl->cmd = "dns check";
		i = 1;
	}
	for (; i + 1 < argc && strcmp(argv[i], "--address") == 0; i += 2) {
		has_given = true;
		if (dns_addrs_add(&addrs, argv[i + 1], true) < 0) {
			ret = ctl_error(ctl, "not an IP address '%s'",
			                argv[i + 1]);
			goto out;
		}
	}
	if (argc - i != 1 || argv[i][0] == '-') {
		ret = ctl_usage(ctl, usage);
		goto out;
	}
	char *domain = xstrdup(argv[i]);
	for (char *p = domain; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!store_domain_is_valid(domain)) {
		ret = ctl_error(ctl, "invalid domain '%s'", argv[i]);
		free(domain);
		goto out;
	}
	if (is_check) {
		ret = dns_auth_check(ctl, domain);
		free(domain);
		goto out;
	}
	if (!has_given)
		dns_addrs_from_config(&addrs, ctl->settings.listen);
	char *host = settings_hostname(&ctl->settings);
	for (char *p = host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	dns_print(ctl, domain, host, &addrs);
	free(host);
	free(domain);
	if (fflush(stdout) != 0)
		ret = CTL_EXIT_FAIL;
out:
	for (size_t k = 0; k < addrs.count; k++)
		free(addrs.text[k]);
	return ret;
}
