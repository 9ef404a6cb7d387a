/* struct net_addr's functions (p2p/netaddr.h): text and socket-address
 * forms and the address ranges. No state. */
#include "p2p/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void net_addr_set_ipv4(struct net_addr *a, const uint8_t ip4[4], uint16_t port)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->ip, v4_prefix, 12);
	memcpy(a->ip + 12, ip4, 4);
	a->port = port;
}

bool net_addr_is_ipv4(const struct net_addr *a)
{
	return memcmp(a->ip, v4_prefix, 12) == 0;
}

int net_addr_from_sockaddr(struct net_addr *a, const struct sockaddr *sa, char *err)
{
	memset(a, 0, sizeof(*a));
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		net_addr_set_ipv4(a, (const uint8_t *)&s4->sin_addr, ntohs(s4->sin_port));
		return 0;
	}
	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
		return 0;
	}
	return err_set(err, "cannot use socket address: not IPv4 or IPv6");
}

socklen_t net_addr_to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (net_addr_is_ipv4(a)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->ip + 12, 4);
		s4->sin_port = htons(a->port);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	memcpy(&s6->sin6_addr, a->ip, 16);
	s6->sin6_port = htons(a->port);
	return sizeof(*s6);
}

void net_addr_to_text(const struct net_addr *a, char out[NET_ADDR_TEXT_LEN])
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (net_addr_is_ipv4(a)) {
		inet_ntop(AF_INET, a->ip + 12, ip, sizeof(ip));
		snprintf(out, NET_ADDR_TEXT_LEN, "%s:%u", ip, (unsigned)a->port);
	} else {
		inet_ntop(AF_INET6, a->ip, ip, sizeof(ip));
		snprintf(out, NET_ADDR_TEXT_LEN, "[%s]:%u", ip, (unsigned)a->port);
	}
}

/* Decimal port 0..65535, digits only. */
static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (const char *q = s; *q; q++) {
		if (*q < '0' || *q > '9')
			return -1;
		v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Splits text into host and port text; host is copied into host[size]. */
static int split_host_port(const char *text, char *host, size_t size, const char **port)
{
	const char *colon = strrchr(text, ':');
	size_t n;
	*port = NULL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (close[1] != '\0' && close[1] != ':'))
			return -1;
		n = (size_t)(close - text - 1);
		text++;
		if (close[1] == ':')
			*port = close + 2;
	} else if (colon && strchr(text, ':') == colon) {
		n = (size_t)(colon - text); /* one colon: IPv4 with a port */
		*port = colon + 1;
	} else {
		n = strlen(text); /* no colon, or a bare IPv6 address */
	}
	if (n == 0 || n >= size)
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	return 0;
}

int net_addr_parse(struct net_addr *a, const char *text, uint16_t default_port, char *err)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_text;
	uint16_t port = default_port;
	uint8_t ip4[4];

	memset(a, 0, sizeof(*a));
	if (!text || split_host_port(text, host, sizeof(host), &port_text) != 0)
		return err_set(err, "cannot parse address '%.64s'", text ? text : "(null)");
	if (port_text && parse_port(port_text, &port) != 0)
		return err_set(err, "cannot parse port in '%.64s'", text);
	if (inet_pton(AF_INET, host, ip4) == 1 && text[0] != '[') {
		net_addr_set_ipv4(a, ip4, port);
		return 0;
	}
	if (strchr(host, ':') && inet_pton(AF_INET6, host, a->ip) == 1) {
		a->port = port;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return err_set(err, "cannot parse address '%.64s': not a numeric IPv4 or IPv6 address", text);
}

#define V4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* a is IPv4 and inside net/prefix_bits (1..32). */
static bool v4_in(const struct net_addr *a, uint32_t net, unsigned prefix_bits)
{
	uint32_t ip = V4(a->ip[12], a->ip[13], a->ip[14], a->ip[15]);
	uint32_t mask = ~0u << (32 - prefix_bits);
	return (ip & mask) == (net & mask);
}

bool net_addr_is_loopback(const struct net_addr *a)
{
	static const uint8_t v6_loop[16] = { [15] = 1 };
	if (net_addr_is_ipv4(a))
		return a->ip[12] == 127;
	return memcmp(a->ip, v6_loop, 16) == 0;
}

bool net_addr_is_private(const struct net_addr *a)
{
	if (net_addr_is_ipv4(a))
		return v4_in(a, V4(10, 0, 0, 0), 8) || v4_in(a, V4(172, 16, 0, 0), 12) ||
		       v4_in(a, V4(192, 168, 0, 0), 16) || v4_in(a, V4(100, 64, 0, 0), 10) ||
		       v4_in(a, V4(169, 254, 0, 0), 16);
	return (a->ip[0] & 0xfe) == 0xfc || (a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80);
}

/* Unspecified, multicast, broadcast, "this network" and documentation
 * ranges: never a peer. */
static bool is_reserved(const struct net_addr *a)
{
	static const uint8_t zero[16];
	if (net_addr_is_ipv4(a))
		return a->ip[12] == 0 || a->ip[12] >= 224 || v4_in(a, V4(192, 0, 2, 0), 24) ||
		       v4_in(a, V4(198, 51, 100, 0), 24) || v4_in(a, V4(203, 0, 113, 0), 24) ||
		       v4_in(a, V4(198, 18, 0, 0), 15);
	return memcmp(a->ip, zero, 16) == 0 || a->ip[0] == 0xff ||
	       (a->ip[0] == 0x20 && a->ip[1] == 0x01 && a->ip[2] == 0x0d && a->ip[3] == 0xb8);
}

bool net_addr_is_routable(const struct net_addr *a)
{
	return a->port != 0 && !is_reserved(a) && !net_addr_is_loopback(a) &&
	       !net_addr_is_private(a);
}

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	return memcmp(a->ip, b->ip, 16) == 0 && a->port == b->port;
}
