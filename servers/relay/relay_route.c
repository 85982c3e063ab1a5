/* Where relay sends a recipient domain: the smarthost when set, else the
 * transport_map entry for the domain, else for an address literal its
 * address on mx_port (RFC 5321 §5.1: no MX look-up), else the domain's MX
 * hosts on mx_port. Literals outside public addresses and
 * allowed_literal_networks are refused. require_tls marks domains that
 * must get STARTTLS. Domains compare case-insensitively, without a final
 * dot. */
#include "relay/relay.h"
#include "core/net.h"
#include "smtp/smtp_syntax.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* host-port = ( "[" addr "]" / host ) [ ":" 1*5DIGIT ] */
int relay_hostport_parse(const char *str, size_t len, unsigned def,
                         char *host_r, size_t host_size, unsigned *port_r)
{
	const char *host = str, *colon = NULL;
	size_t host_len;
	while (len > 0 && isspace((unsigned char)*str)) {
		str++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)str[len - 1]))
		len--;
	host = str;
	if (len > 0 && str[0] == '[') {
		const char *end = memchr(str, ']', len);
		if (end == NULL)
			return -1;
		host = str + 1;
		host_len = (size_t)(end - host);
		if ((size_t)(end - str) + 1 < len) {
			if (end[1] != ':')
				return -1;
			colon = end + 1;
		}
	} else {
		colon = memchr(str, ':', len);
		host_len = colon != NULL ? (size_t)(colon - str) : len;
	}
	if (host_len == 0 || host_len >= host_size)
		return -1;
	memcpy(host_r, host, host_len);
	host_r[host_len] = '\0';
	*port_r = def;
	if (colon != NULL) {
		size_t plen = len - (size_t)(colon + 1 - str);
		unsigned long port = 0;
		if (plen == 0 || plen > 5)
			return -1;
		for (size_t i = 0; i < plen; i++) {
			if (!isdigit((unsigned char)colon[1 + i]))
				return -1;
			port = port * 10 + (unsigned long)(colon[1 + i] - '0');
		}
		if (port == 0 || port > 65535)
			return -1;
		*port_r = (unsigned)port;
	}
	return 0;
}

static bool domain_equal(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	while (alen > 0 && a[alen - 1] == '.')
		alen--;
	while (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* list = item *( "," item ); item = domain [ "=" value ], spaces
 * around items ignored. Returns true if domain is listed; with has_value,
 * *value_r and *value_len_r get its value (false if it has none). */
static bool list_find(const char *list, const char *domain, bool has_value,
                      const char **value_r, size_t *value_len_r)
{
	const char *p = list;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *item = p;
		while (len > 0 && isspace((unsigned char)*item)) {
			item++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)item[len - 1]))
			len--;
		const char *eq = has_value ? memchr(item, '=', len) : NULL;
		size_t klen = eq != NULL ? (size_t)(eq - item) : len;
		while (klen > 0 && isspace((unsigned char)item[klen - 1]))
			klen--;
		if (len > 0 && domain_equal(item, klen, domain)) {
			if (has_value) {
				if (eq == NULL)
					return false;
				*value_r = eq + 1;
				*value_len_r = len - (size_t)(eq + 1 - item);
			}
			return true;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

bool relay_domain_listed(const char *list, const char *domain)
{
	return list_find(list, domain, false, NULL, NULL);
}

const char *relay_route_refusal(const struct relay_config *cfg,
                                const char *domain)
{
	char addr[SMTP_LITERAL_ADDR_MAX];
	if (domain[0] != '[')
		return NULL;
	if (smtp_address_literal_addr((const unsigned char *)domain,
	                              strlen(domain), addr) < 0)
		return "not an IP address";
	return net_addr_refusal(addr, cfg->allowed_literal_networks != NULL
	                                  ? cfg->allowed_literal_networks
	                                  : "");
}

int relay_route_find(const struct relay_config *cfg, const char *domain,
                     struct relay_route *route_r, const char **error_r)
{
	const char *value;
	size_t len;
	memset(route_r, 0, sizeof(*route_r));
	route_r->requires_tls = relay_domain_listed(cfg->require_tls, domain);
	if (cfg->smarthost[0] != '\0') {
		if (relay_hostport_parse(cfg->smarthost, strlen(cfg->smarthost),
		                         25, route_r->host,
		                         sizeof(route_r->host),
		                         &route_r->port) < 0) {
			*error_r = "malformed [relay] smarthost";
			return -1;
		}
		route_r->kind = RELAY_ROUTE_HOST;
		route_r->is_smarthost = true;
	} else if (list_find(cfg->transport_map, domain, true, &value, &len)) {
		if (relay_hostport_parse(value, len, 25, route_r->host,
		                         sizeof(route_r->host),
		                         &route_r->port) < 0) {
			*error_r = "malformed [relay] transport_map entry";
			return -1;
		}
		route_r->kind = RELAY_ROUTE_HOST;
	} else if (domain[0] == '[') {
		if (smtp_address_literal_addr((const unsigned char *)domain,
		                              strlen(domain),
		                              route_r->host) < 0) {
			*error_r = "address literal is not an IP address";
			return -1;
		}
		route_r->kind = RELAY_ROUTE_HOST;
		route_r->port = cfg->mx_port;
	} else {
		size_t dlen = strlen(domain);
		while (dlen > 0 && domain[dlen - 1] == '.')
			dlen--;
		if (dlen == 0 || dlen >= sizeof(route_r->host)) {
			*error_r = "bad recipient domain";
			return -1;
		}
		for (size_t i = 0; i < dlen; i++)
			route_r->host[i] =
			    (char)tolower((unsigned char)domain[i]);
		route_r->kind = RELAY_ROUTE_MX;
		route_r->port = cfg->mx_port;
	}
	/* one destination per route and TLS policy */
	snprintf(route_r->key, sizeof(route_r->key), "%s:%s:%u%s",
	         route_r->kind == RELAY_ROUTE_MX ? "mx" : "host", route_r->host,
	         route_r->port, route_r->requires_tls ? ":tls" : "");
	return 0;
}
