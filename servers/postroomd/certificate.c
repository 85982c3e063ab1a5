/* The certificate the master settles on before the servers start
 * (certificate.h): the operator's pair, or the self-signed one made on a
 * first start for the host name, localhost and every listening address,
 * so that a verifying client can connect to 127.0.0.1 as the README does.
 * A self-signed certificate of ours from an earlier version or an earlier
 * configuration (another host name, other addresses) is renewed with the
 * same key at start; the new one is logged. */
#include "certificate.h"
#include "config/settings.h"
#include "core/log.h"
#include "core/tls.h"
#include "core/xmalloc.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void add_address(char ***addrs, size_t *count, const char *addr)
{
	for (size_t i = 0; i < *count; i++) {
		if (strcmp((*addrs)[i], addr) == 0)
			return;
	}
	*addrs = xrealloc(*addrs, (*count + 1) * sizeof(**addrs));
	(*addrs)[(*count)++] = xstrdup(addr);
}

/* Every address of family on the machine's interfaces. */
static void add_interfaces(char ***addrs, size_t *count, int family)
{
	struct ifaddrs *list;
	if (getifaddrs(&list) < 0) {
		log_warn(NULL,
		         "getifaddrs failed: the certificate names only "
		         "127.0.0.1 and ::1 for a wildcard listen address");
		add_address(addrs, count,
		            family == AF_INET ? "127.0.0.1" : "::1");
		return;
	}
	for (const struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
		char text[INET6_ADDRSTRLEN];
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
			continue;
		const void *bin =
		    family == AF_INET
		        ? (const void *)&(
		              (const struct sockaddr_in *)(const void *)
		                  i->ifa_addr)
		              ->sin_addr
		        : (const void *)&(
		              (const struct sockaddr_in6 *)(const void *)
		                  i->ifa_addr)
		              ->sin6_addr;
		if (family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)bin))
			continue; /* needs a zone: no name a client can use */
		if (inet_ntop(family, bin, text, sizeof(text)) != NULL)
			add_address(addrs, count, text);
	}
	freeifaddrs(list);
}

size_t certificate_addresses(const char *listen, char ***addrs_r)
{
	char **addrs = NULL;
	size_t count = 0;
	char *list = xstrdup(listen), *save = NULL;
	for (char *a = strtok_r(list, ", ", &save); a != NULL;
	     a = strtok_r(NULL, ", ", &save)) {
		unsigned char bin[16];
		bool is_v6 = strchr(a, ':') != NULL;
		if (inet_pton(is_v6 ? AF_INET6 : AF_INET, a, bin) != 1)
			continue; /* listen_bind_all refuses it anyway */
		static const unsigned char zero[16];
		if (memcmp(bin, zero, is_v6 ? 16 : 4) == 0)
			add_interfaces(&addrs, &count,
			               is_v6 ? AF_INET6 : AF_INET);
		else
			add_address(&addrs, &count, a);
	}
	free(list);
	*addrs_r = addrs;
	return count;
}

void certificate_addresses_free(char **addrs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(addrs[i]);
	free(addrs);
}

void certificate_ensure(struct postroom_settings *s)
{
	bool is_default = s->tls_cert[0] == '\0' && s->tls_key[0] == '\0';
	if (s->tls_cert[0] == '\0') {
		free(s->tls_cert);
		s->tls_cert = settings_data_path(s, "tls/cert.pem");
	}
	if (s->tls_key[0] == '\0') {
		free(s->tls_key);
		s->tls_key = settings_data_path(s, "tls/key.pem");
	}
	bool has_pair =
	    access(s->tls_cert, R_OK) == 0 && access(s->tls_key, R_OK) == 0;
	if (!has_pair && !s->tls_selfsigned)
		log_fatal(NULL,
		          "cannot read tls_cert %s or tls_key %s and "
		          "tls_selfsigned is off",
		          s->tls_cert, s->tls_key);
	if (has_pair && (!is_default || !s->tls_selfsigned))
		return;
	char *host = settings_hostname(s);
	char **addrs;
	size_t count = certificate_addresses(s->listen, &addrs);
	const char *const *names = (const char *const *)addrs;
	const char *error, *missing = "";
	int state = has_pair
	                ? tls_selfsigned_check(s->tls_cert, s->tls_key, host,
	                                       names, count, &missing)
	                : 0;
	if (!has_pair) {
		if (tls_selfsigned_create_addrs(s->tls_cert, s->tls_key, host,
		                                names, count, &error) < 0)
			log_fatal(NULL,
			          "cannot create a self-signed "
			          "certificate: %s",
			          error);
		log_info(NULL,
		         "created self-signed certificate cert=%s "
		         "host=%s addresses=%zu",
		         s->tls_cert, host, count);
	} else if (state == 0) {
		if (tls_selfsigned_renew(s->tls_cert, s->tls_key, host, names,
		                         count, &error) < 0)
			log_fatal(NULL,
			          "cannot renew the self-signed "
			          "certificate: %s",
			          error);
		log_info(NULL,
		         "renewed self-signed certificate cert=%s "
		         "host=%s addresses=%zu lacked=%s (same key)",
		         s->tls_cert, host, count, missing);
	}
	certificate_addresses_free(addrs, count);
	free(host);
}
