/* The node: owns the event loop and every part, starts them in order and
 * stops them in reverse. */
#ifndef CAIRN_NODE_NODE_H
#define CAIRN_NODE_NODE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain/chainstate.h"
#include "node/options.h"
#include "p2p/net.h"
#include "rpc/address_rpc.h"
#include "rpc/asset_rpc.h"
#include "rpc/chain_rpc.h"
#include "rpc/fees_rpc.h"
#include "rpc/mining_rpc.h"
#include "rpc/net_rpc.h"
#include "rpc/rawtx_rpc.h"
#include "rpc/rest.h"
#include "rpc/stats_rpc.h"
#include "rpc/util_rpc.h"
#include "rpc/wallets.h"

struct event_base;
struct event;
struct rpc_server;
struct journal;
struct miner;
struct events;
struct feed;
struct metrics;
struct addrbuild;
struct fees;

struct node {
	struct options *opts;
	const struct chain_params *p;
	char datadir[PATH_MAX]; /* the network's folder */
	char pid_path[PATH_MAX];
	struct event_base *base;
	struct pool *pool;       /* the worker threads (-par), for every part */
	struct chainstate *cs;
	struct mempool *mp;
	struct fees *fees;       /* the fee estimator, fed by the mempool and the chain */
	uint64_t fees_saved;     /* when fee_estimates.dat was last written */
	size_t block_max_size;   /* -blockmaxsize: the templates' bytes */
	struct journal *journal; /* NULL unless -persistmempool */
	struct miner *miner;     /* NULL unless -mine */
	struct events *events;   /* the event stream's buffer (GET /events) */
	struct feed *feed;       /* turns chain, mempool and peer news into events */
	struct rpc_server *rpc;
	struct metrics *metrics; /* NULL unless -metrics (GET /metrics) */
	struct notify *notify;   /* -blocknotify, -walletnotify, -assetnotify */
	char chainstate_dir[PATH_MAX];
	struct chain_rpc chain_rpc;
	struct mining_rpc mining_rpc;
	struct rawtx_rpc rawtx_rpc;
	struct p2p *p2p;
	struct net_rpc net_rpc;
	struct wallets wallets; /* none loaded with -disablewallet */
	struct asset_rpc asset_rpc;
	struct addrbuild *addrbuild; /* NULL unless -addressindex */
	struct address_rpc address_rpc;
	struct fees_rpc fees_rpc;
	struct rest rest; /* what GET /rest/ reads, with -rest */
	struct stats_rpc stats_rpc;
	struct util_rpc util_rpc;
	struct event *signals[4];
	int lock_fd;
	uint64_t started; /* unix seconds */
	int exit_code;
};

/* Resolves the data directory, takes its lock, opens the log, the
 * chainstate and the servers. Returns 0, or -1 with err filled (the
 * message cairnd prints before exiting with status 1). */
int node_start(struct node *n, struct options *opts, char *err) WUR;
/* Runs the event loop until a signal or the stop RPC. */
void node_run(struct node *n);
/* Stops everything in reverse order; safe on a partly started node. */
void node_stop(struct node *n);

#endif
