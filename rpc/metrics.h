/* GET /metrics: the node's state and counters in Prometheus's text format
 * (docs/metrics.md lists every series). Each scrape reads the parts
 * through their own accessors, on the loop; nothing here keeps state but
 * the histograms of the node's chain timings, which the node's probe
 * (chain/probe.h) fills from any thread. */
#ifndef CAIRN_RPC_METRICS_H
#define CAIRN_RPC_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/probe.h"
#include "rpc/prom.h"
#include "util/buf.h"
#include "util/err.h"

struct chainstate;
struct mempool;
struct p2p;
struct wallets;
struct events;
struct rpc_server;
struct evhttp_request;

/* What a scrape reads; any pointer but cs and mp may be NULL (that part
 * is not running and its series are left out). */
struct metrics_sources {
	struct chainstate *cs;
	struct mempool *mp;
	struct p2p *p2p;
	struct wallets *wallets;
	const struct events *events;
	struct rpc_server *rpc;
	/* The database folder's size in bytes; NULL: left out. */
	uint64_t (*disk_bytes)(void *ctx);
	void *disk_ctx;
};

struct metrics {
	struct metrics_sources src;
	struct prom_hist timing[PROBE_N_KINDS]; /* filled by metrics_probe's marks */
};

/* A metrics set with empty histograms and no sources yet; NULL when out
 * of memory. Free with metrics_free (takes NULL). */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* What m reads from now on (copied; the parts must outlive m or be
 * replaced first). */
void metrics_set_sources(struct metrics *m, const struct metrics_sources *src);
/* A probe that times chain work into m's histograms (clock_mono_us). */
struct probe metrics_probe(struct metrics *m);

/* Appends one scrape's text to b (check buf_ok after). */
void metrics_write(struct metrics *m, struct buf *b);

/* Registers GET /metrics on srv: with m NULL (-metrics=0) it answers 404.
 * Authentication as the JSON-RPC unless every RPC listener is on a
 * loopback address (rpc_server_loopback_only). 0, or -1 with err. */
int metrics_register(struct rpc_server *srv, struct metrics *m, char *err) WUR;

#endif
