/* The ban list: addresses and subnets (IPv4 and IPv6 CIDR) that may not
 * connect until a given time. Bans come from the operator (setban) and from
 * misbehaving peers (24 hours). Pure data: no sockets, no clock reads (every
 * call that needs the time takes `now`, unix seconds), single-threaded.
 * Addresses are 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
#ifndef CAIRN_P2P_BANMAN_H
#define CAIRN_P2P_BANMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* At most this many bans are kept; the one ending first gives way. */
#define BANMAN_MAX 10000
/* Room for the longest subnet text, "ffff:...:ffff/128" plus NUL. */
#define BANMAN_TEXT_LEN 64
/* A file larger than this is refused before it is read. */
#define BANMAN_FILE_MAX (64 + (size_t)BANMAN_MAX * 48)

/* A network: the first `bits` bits of ip (IPv6 terms: an IPv4 /24 has
 * bits = 96 + 24). Host bits are always zero. */
struct ban_subnet {
	uint8_t ip[16];
	uint8_t bits;
};

struct banman_item {
	struct ban_subnet subnet;
	char text[BANMAN_TEXT_LEN]; /* "1.2.3.0/24", "2001:db8::/64" */
	uint64_t ban_created;
	uint64_t banned_until;
	uint64_t ban_duration;   /* banned_until - ban_created */
	uint64_t time_remaining; /* banned_until - now, 0 once over */
};

struct banman;

/* Returns an empty ban list, or NULL when out of memory. Free with
 * banman_free. */
struct banman *banman_new(void);
/* Safe on NULL. */
void banman_free(struct banman *bm);

/* Parses "a.b.c.d", "a.b.c.d/n" (0..32), "x:y::z" or "x:y::z/n" (0..128)
 * strictly: no spaces, no netmask form, no hostnames. Host bits are
 * cleared. Returns 0, or -1 with err saying what was wrong ("bad address",
 * "bad prefix length"); *out is zeroed on failure. */
int banman_parse(struct ban_subnet *out, const char *text, char *err) WUR;
/* The canonical text of a subnet, IPv4 when it lies in ::ffff:0:0/96:
 * "1.2.3.4/32", "2001:db8::/64". out holds BANMAN_TEXT_LEN bytes. */
void banman_format(char out[BANMAN_TEXT_LEN], const struct ban_subnet *s);
/* The single-address subnet of ip (/32 or /128). */
struct ban_subnet banman_subnet_of(const uint8_t ip[16]);
bool banman_subnet_contains(const struct ban_subnet *s, const uint8_t ip[16]);

/* Bans the subnet (text as for banman_parse) from now until `until`. A ban
 * already on the same subnet is replaced when the new one ends later, and
 * kept otherwise. When the list is full, expired bans go first, then the
 * one ending soonest if it ends before `until`. Returns 0, or -1 with err
 * (bad text, until <= now, list full). */
int banman_ban(struct banman *bm, const char *text, uint64_t until, uint64_t now, char *err) WUR;
/* The same for a parsed subnet; a misbehaving peer is banned with
 * banman_subnet_of(its ip). */
int banman_ban_subnet(struct banman *bm, const struct ban_subnet *s, uint64_t until, uint64_t now,
		      char *err) WUR;
/* Lifts the ban on exactly this subnet (after normalising the text).
 * Returns 0, or -1 with err (bad text, or "not banned"). */
int banman_unban(struct banman *bm, const char *text, char *err) WUR;
/* True when a ban still in force (banned_until > now) covers ip. */
bool banman_is_banned(const struct banman *bm, const uint8_t ip[16], uint64_t now);
/* True when exactly this subnet has a ban in force. */
bool banman_has(const struct banman *bm, const struct ban_subnet *s, uint64_t now);
/* Forgets every ban. */
void banman_clear(struct banman *bm);
/* Forgets bans that ended at or before now; returns how many. */
size_t banman_sweep(struct banman *bm, uint64_t now);
/* Number of bans held, expired ones not yet swept included. */
size_t banman_size(const struct banman *bm);
/* True when the list changed since the last successful save or load. */
bool banman_dirty(const struct banman *bm);

/* The bans in force at now, ordered by subnet, for listbanned. *out is a
 * malloc'd array of *n items the caller free()s (NULL when *n is 0).
 * Returns 0, or -1 when out of memory (then *out is NULL and *n is 0). */
int banman_list(const struct banman *bm, uint64_t now, struct banman_item **out, size_t *n) WUR;

/* Writes the list to path atomically (path.tmp, fsync, rename, fsync of the
 * folder). Format in docs/addrman.md. Returns 0, or -1 with err. */
int banman_save(struct banman *bm, const char *path, char *err) WUR;
/* Replaces the list with the file's. A missing, short, oversize, corrupt or
 * foreign file gives -1 with err and leaves the list empty; never a crash. */
int banman_load(struct banman *bm, const char *path, char *err) WUR;
/* The same from bytes in memory (the fuzz entry point). */
int banman_load_mem(struct banman *bm, const uint8_t *p, size_t len, char *err) WUR;

#endif
