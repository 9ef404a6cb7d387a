/* A peer's network address: the IPv6 form (IPv4 mapped into it) the mesh
 * keeps, its text and socket forms, and the ranges that tell a reachable
 * address from a local one. Owns struct net_addr and every net_addr_*
 * function; the message codec (p2p/msg.h) only carries the type. Numeric
 * only: nothing here resolves names or touches a socket. */
#ifndef CAIRN_P2P_NETADDR_H
#define CAIRN_P2P_NETADDR_H

#include <stdbool.h>
#include <stdint.h>

#include <sys/socket.h>

#include "util/err.h"

/* An IPv6 address (IPv4 as IPv4-mapped ::ffff:a.b.c.d), a port in host
 * order, the services it offers and when it was last seen (unix seconds). */
struct net_addr {
	uint8_t ip[16];
	uint16_t port;
	uint64_t services;
	uint32_t time;
};

/* "255.255.255.255:65535" or "[ffff:...]:65535", with the NUL. */
#define NET_ADDR_TEXT_LEN 64

/* Fills a from an AF_INET or AF_INET6 socket address (services and time
 * zero). Returns 0, or -1 (a zeroed) for another family. */
int net_addr_from_sockaddr(struct net_addr *a, const struct sockaddr *sa, char *err) WUR;
/* Fills ss with a's address: AF_INET for an IPv4-mapped address, AF_INET6
 * otherwise. Returns the length to pass to connect()/bind(). */
socklen_t net_addr_to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss);
/* "1.2.3.4:9733" or "[::1]:9733" into out (NET_ADDR_TEXT_LEN bytes). */
void net_addr_to_text(const struct net_addr *a, char out[NET_ADDR_TEXT_LEN]);
/* Parses a numeric address, never DNS: "1.2.3.4", "1.2.3.4:9733",
 * "[::1]:9733", "[::1]" or a bare "::1". Without a port, default_port is
 * used. Port 0 is accepted (a listener picks one). Returns 0, or -1 with a
 * zeroed and err filled. */
int net_addr_parse(struct net_addr *a, const char *text, uint16_t default_port, char *err) WUR;
/* Sets a to the IPv4 address a.b.c.d (network order in ip4) mapped into
 * IPv6, and port. */
void net_addr_set_ipv4(struct net_addr *a, const uint8_t ip4[4], uint16_t port);
bool net_addr_is_ipv4(const struct net_addr *a);
/* 127.0.0.0/8 or ::1. */
bool net_addr_is_loopback(const struct net_addr *a);
/* RFC 1918, CGNAT 100.64/10, link-local (169.254/16, fe80::/10), unique
 * local fc00::/7. */
bool net_addr_is_private(const struct net_addr *a);
/* Reachable across the internet: not unspecified, loopback, private,
 * multicast, broadcast or a documentation range, and the port is not 0.
 * Loopback is for the address manager's policy to allow (regtest). */
bool net_addr_is_routable(const struct net_addr *a);
/* Same IP and port (services and time ignored). */
bool net_addr_equal(const struct net_addr *a, const struct net_addr *b);

#endif
