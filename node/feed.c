#include "node/feed.h"

#include <stdlib.h>
#include <string.h>

#include "chain/address.h"
#include "chain/coin.h"
#include "util/hex.h"
#include "util/log.h"

/* An event waiting for the end of an activation. */
struct held {
	enum events_topic topic;
	cJSON *data;
};

struct list {
	struct held *items;
	size_t n, cap;
};

struct feed {
	struct chainstate *cs;
	struct mempool *mp;
	struct events *ev;
	struct list blocks;   /* connected blocks' events, for the end of the activation */
	struct list removals; /* pool removals of the block being connected */
};

/* ---- holding events ---- */

static void hold(struct list *l, enum events_topic topic, cJSON *data)
{
	if (!data)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct held *grown = realloc(l->items, cap * sizeof(*grown));
		if (!grown) {
			log_error("event of topic %s lost: out of memory", events_topic_name(topic));
			cJSON_Delete(data);
			return;
		}
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = (struct held){ topic, data };
}

/* Appends src's events to dst (or publishes them when dst is NULL). */
static void move_all(struct feed *f, struct list *dst, struct list *src)
{
	for (size_t i = 0; i < src->n; i++) {
		if (dst)
			hold(dst, src->items[i].topic, src->items[i].data);
		else
			events_publish(f->ev, src->items[i].topic, src->items[i].data);
	}
	src->n = 0;
}

static void flush(struct feed *f)
{
	move_all(f, NULL, &f->blocks);
	move_all(f, NULL, &f->removals);
}

/* ---- building events ---- */

static void add_hex(cJSON *o, const char *key, const uint8_t *bytes, size_t n)
{
	char hex[65];
	hex_encode(hex, bytes, n);
	cJSON_AddStringToObject(o, key, hex);
}

static cJSON *block_event(const char *action, const struct block *b, const struct block_index *bi)
{
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddStringToObject(o, "action", action);
		add_hex(o, "hash", bi->hash, 32);
		cJSON_AddNumberToObject(o, "height", bi->height);
		cJSON_AddNumberToObject(o, "txs", (double)b->n_tx);
	}
	return o;
}

static bool same_outpoint(const struct outpoint *a, const uint8_t txid[32], uint32_t index)
{
	return memcmp(a->txid, txid, 32) == 0 && a->index == index;
}

/* An asset step, from the output of tx that carries it. */
static cJSON *asset_event(struct feed *f, const char *action, const char *step, const struct tx *tx, size_t out,
			  const struct block_index *bi)
{
	char addr[128];
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "action", action);
	add_hex(o, "asset", tx->out[out].asset, 32);
	cJSON_AddStringToObject(o, "step", step);
	add_hex(o, "txid", tx->txid, 32);
	cJSON_AddNumberToObject(o, "vout", (double)out);
	if (address_encode(addr, sizeof(addr), chainstate_params(f->cs)->hrp, tx->out[out].addr) == 0)
		cJSON_AddStringToObject(o, "owner", addr);
	if (bi) {
		add_hex(o, "block", bi->hash, 32);
		cJSON_AddNumberToObject(o, "height", bi->height);
	}
	return o;
}

/* In a block being connected or disconnected: the chain's asset index,
 * already updated, registers the id at this output, or (disconnected
 * registration) no longer knows it. */
static const char *chain_step(struct feed *f, const struct tx *tx, size_t out)
{
	struct asset_entry e;
	int known = chainstate_get_asset(f->cs, tx->out[out].asset, &e);
	return known == 0 || (known == 1 && same_outpoint(&e.reg, tx->txid, (uint32_t)out)) ? "registration"
											      : "transfer";
}

static void block_assets(struct feed *f, struct list *to, const char *action, const struct block *b,
			 const struct block_index *bi)
{
	for (size_t t = 0; t < b->n_tx; t++)
		for (size_t o = 0; o < b->txs[t].n_out; o++)
			if (b->txs[t].out[o].kind == TXOUT_ASSET) {
				cJSON *e = asset_event(f, action, chain_step(f, &b->txs[t], o), &b->txs[t], o, bi);
				if (to)
					hold(to, EVENTS_ASSET, e);
				else if (e)
					events_publish(f->ev, EVENTS_ASSET, e);
			}
}

/* ---- the chainstate's news ---- */

static void on_connected(void *ctx, const struct block *b, const struct block_index *bi)
{
	struct feed *f = ctx;
	hold(&f->blocks, EVENTS_BLOCK, block_event("connected", b, bi));
	block_assets(f, &f->blocks, "confirmed", b, bi);
	/* the mempool, told first, removed what the block confirms */
	move_all(f, &f->blocks, &f->removals);
}

static void on_disconnected(void *ctx, const struct block *b, const struct block_index *bi)
{
	struct feed *f = ctx;
	flush(f); /* anything connected earlier comes first */
	cJSON *e = block_event("disconnected", b, bi);
	if (e)
		events_publish(f->ev, EVENTS_BLOCK, e);
	block_assets(f, NULL, "unconfirmed", b, bi);
}

/* The activation is over: the mempool has taken back what it could (those
 * events are out), so the connected blocks follow, then the tip. */
static void on_tip_changed(void *ctx, const struct block_index *tip)
{
	struct feed *f = ctx;
	flush(f);
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	add_hex(o, "hash", tip->hash, 32);
	cJSON_AddNumberToObject(o, "height", tip->height);
	events_publish(f->ev, EVENTS_TIP, o);
}

struct chain_events feed_chain_events(struct feed *f)
{
	return (struct chain_events){ .connected = on_connected, .disconnected = on_disconnected,
				      .tip_changed = on_tip_changed, .ctx = f };
}

/* ---- the mempool's and the mesh's news ---- */

/* A pool transaction's output of an asset is a transfer when one of its
 * inputs spends the same asset (from the pool or from the chain). */
static const char *pool_step(struct feed *f, const struct tx *tx, size_t out)
{
	for (size_t i = 0; i < tx->n_in; i++) {
		const struct outpoint *prev = &tx->in[i].prev;
		const struct tx *parent = mempool_get(f->mp, prev->txid);
		bool same = false;
		if (parent) {
			same = prev->index < parent->n_out && parent->out[prev->index].kind == TXOUT_ASSET &&
			       memcmp(parent->out[prev->index].asset, tx->out[out].asset, 32) == 0;
		} else {
			struct coin c;
			if (chainstate_get_coin(f->cs, prev, &c) == 1) {
				same = c.out.kind == TXOUT_ASSET && memcmp(c.out.asset, tx->out[out].asset, 32) == 0;
				coin_release(&c);
			}
		}
		if (same)
			return "transfer";
	}
	return "registration";
}

void feed_tx_added(struct feed *f, const struct tx *tx)
{
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddStringToObject(o, "action", "added");
		add_hex(o, "txid", tx->txid, 32);
		cJSON_AddNumberToObject(o, "size", (double)tx->size);
		events_publish(f->ev, EVENTS_TX, o);
	}
	for (size_t i = 0; i < tx->n_out; i++)
		if (tx->out[i].kind == TXOUT_ASSET) {
			const char *step = pool_step(f, tx, i);
			cJSON *e = asset_event(f, strcmp(step, "registration") == 0 ? "registered" : "transferred", step,
					       tx, i, NULL);
			if (e)
				events_publish(f->ev, EVENTS_ASSET, e);
		}
}

static const char *removal_name(enum mempool_removal why)
{
	switch (why) {
	case MEMPOOL_REMOVED_EXPIRY:
		return "expiry";
	case MEMPOOL_REMOVED_SIZELIMIT:
		return "eviction";
	case MEMPOOL_REMOVED_REORG:
		return "reorg";
	case MEMPOOL_REMOVED_BLOCK:
		return "block";
	case MEMPOOL_REMOVED_CONFLICT:
		return "conflict";
	}
	return "unknown";
}

void feed_tx_removed(struct feed *f, const uint8_t txid[32], enum mempool_removal why)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddStringToObject(o, "action", "removed");
	add_hex(o, "txid", txid, 32);
	cJSON_AddStringToObject(o, "reason", removal_name(why));
	/* a block's removals follow that block's event */
	if (why == MEMPOOL_REMOVED_BLOCK || why == MEMPOOL_REMOVED_CONFLICT)
		hold(&f->removals, EVENTS_TX, o);
	else
		events_publish(f->ev, EVENTS_TX, o);
}

void feed_peer(struct feed *f, const struct p2p_peer_event *e)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddStringToObject(o, "action", e->connected ? "connected" : "disconnected");
	cJSON_AddNumberToObject(o, "id", (double)e->id);
	cJSON_AddStringToObject(o, "addr", e->addr);
	cJSON_AddStringToObject(o, "connection_type", p2p_conn_type_name(e->type));
	if (e->reason)
		cJSON_AddStringToObject(o, "reason", e->reason);
	events_publish(f->ev, EVENTS_PEER, o);
}

/* ---- life cycle ---- */

struct feed *feed_new(struct chainstate *cs, struct mempool *mp, struct events *ev)
{
	struct feed *f = calloc(1, sizeof(*f));
	if (f)
		*f = (struct feed){ .cs = cs, .mp = mp, .ev = ev };
	return f;
}

void feed_free(struct feed *f)
{
	if (!f)
		return;
	flush(f);
	free(f->blocks.items);
	free(f->removals.items);
	free(f);
}
