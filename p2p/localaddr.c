/* The node's own addresses and their scores (p2p/localaddr.h). */
#include "p2p/localaddr.h"

#include <string.h>

void localaddr_init(struct localaddr *la)
{
	memset(la, 0, sizeof(*la));
}

/* a's index, or la->n when it is not ours. */
static size_t find(const struct localaddr *la, const struct net_addr *a)
{
	size_t i = 0;
	while (i < la->n && !net_addr_equal(&la->e[i].addr, a))
		i++;
	return i;
}

int localaddr_add(struct localaddr *la, const struct net_addr *a, enum localaddr_source source, char *err)
{
	char text[NET_ADDR_TEXT_LEN];
	net_addr_to_text(a, text);
	if (a->port == 0)
		return err_set(err, "cannot use '%s' as a local address: port 0", text);
	size_t i = find(la, a);
	if (i < la->n) {
		if (la->e[i].score < (int)source)
			la->e[i].score = (int)source;
		return 0;
	}
	if (la->n == LOCALADDR_MAX)
		return err_set(err, "cannot add local address '%s': at most %d", text, LOCALADDR_MAX);
	struct localaddr_entry *e = &la->e[la->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->addr.ip, a->ip, 16);
	e->addr.port = a->port;
	e->score = (int)source;
	return 0;
}

bool localaddr_seen(struct localaddr *la, const struct net_addr *a)
{
	size_t i = find(la, a);
	if (i == la->n)
		return false;
	if (la->e[i].score < 1000000)
		la->e[i].score++;
	return true;
}

bool localaddr_has(const struct localaddr *la, const struct net_addr *a)
{
	return find(la, a) < la->n;
}

static bool fits(const struct net_addr *mine, const struct net_addr *peer)
{
	if (net_addr_is_ipv4(mine) != net_addr_is_ipv4(peer))
		return false;
	return !net_addr_is_loopback(mine) || net_addr_is_loopback(peer);
}

bool localaddr_best(const struct localaddr *la, struct net_addr *out, const struct net_addr *peer)
{
	const struct localaddr_entry *best = NULL;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < la->n; i++)
		if (fits(&la->e[i].addr, peer) && (!best || la->e[i].score > best->score))
			best = &la->e[i];
	if (!best)
		return false;
	*out = best->addr;
	return true;
}
