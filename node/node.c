#include "node/node.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/address.h"
#include "chain/mempool.h"
#include "node/addrbuild.h"
#include "node/datadir.h"
#include "node/feed.h"
#include "node/journal.h"
#include "chain/fees.h"
#include "node/miner.h"
#include "node/notify.h"
#include "rpc/chain_rpc.h"
#include "rpc/history_rpc.h"
#include "rpc/amount.h"
#include "rpc/events.h"
#include "rpc/metrics.h"
#include "rpc/mempool_rpc.h"
#include "rpc/server.h"
#include "rpc/stats_rpc.h"
#include "rpc/util_rpc.h"
#include "rpc/walletinfo_rpc.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/pool.h"
#include "wallet/wallet.h"

#define CAIRN_VERSION "0.1.0"
/* Seconds between writes of fee_estimates.dat besides the one at shut-down
 * (Core: FEE_FLUSH_INTERVAL, an hour). */
#define FEES_SAVE_INTERVAL 3600

/* --- the node's own RPC methods --- */

static void stop_after_reply(void *arg)
{
	struct node *n = arg;
	event_base_loopexit(n->base, NULL);
}

static int rpc_stop(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct node *n = ctx;
	(void)params;
	rpc_server_after_reply(n->rpc, stop_after_reply, n);
	*result = cJSON_CreateString("cairn server stopping");
	return *result ? 0 : rpc_error_set(e, RPC_OUT_OF_MEMORY, "Out of memory");
}

static int rpc_uptime(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct node *n = ctx;
	(void)params;
	*result = cJSON_CreateNumber((double)(clock_now() - n->started));
	return *result ? 0 : rpc_error_set(e, RPC_OUT_OF_MEMORY, "Out of memory");
}

static int rpc_setmocktime(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct node *n = ctx;
	int64_t t;
	if (n->p->net != NET_REGTEST)
		return rpc_error_set(e, RPC_METHOD_NOT_FOUND, "Setmocktime is for regression testing (-regtest mode) only");
	if (rpc_param_int(&t, params, 0, "timestamp", -1, 0, INT64_MAX / 2, e) != 0)
		return -1;
	clock_set_mock((uint64_t)t);
	*result = NULL;
	return 0;
}

static const struct rpc_method node_methods[] = {
	{ "stop", "control", "", "Stops the node.", rpc_stop, "str", NULL },
	{ "uptime", "control", "", "Returns the seconds since the node started.", rpc_uptime, "int", NULL },
	{ "setmocktime", "hidden", "timestamp:int (unix seconds; 0: the system clock)",
	  "Sets the node's clock (regtest only); 0 returns to the system clock.", rpc_setmocktime, "null", "-8 -32601" },
};

/* --- signals and stopping --- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct node *n = arg;
	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP: nothing to reload");
		return;
	}
	log_info("received signal %d: shutting down", (int)sig);
	event_base_loopexit(n->base, NULL);
}

static int add_signals(struct node *n, char *err)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		n->signals[i] = evsignal_new(n->base, sigs[i], on_signal, n);
		if (!n->signals[i] || event_add(n->signals[i], NULL) != 0)
			return err_set(err, "cannot install signal handlers");
	}
	return 0;
}

/* --- wiring the parts together --- */

/* The chainstate's listeners, in the order registered: this one (the
 * mempool, then the wallet), the mesh, the miner. So the wallet, the mesh
 * and the miner see a pool that already agrees with the chain. */
static void on_connected(void *ctx, const struct block *b, const struct block_index *bi)
{
	struct node *n = ctx;
	mempool_block_connected(n->mp, b, bi);
	if (n->fees)
		fees_block_connected(n->fees, b, bi->height);
	wallets_block_connected(&n->wallets, b, bi);
}

static void on_disconnected(void *ctx, const struct block *b, const struct block_index *bi)
{
	struct node *n = ctx;
	mempool_block_disconnected(n->mp, b, bi);
	wallets_block_disconnected(&n->wallets, b, bi);
}

/* The mempool's news, for the wallets (and the mesh). */
static void save_mempool(struct node *n);
static void save_fees(struct node *n);

/* The fee estimator learns from transactions accepted while the chain is
 * current (Core's m_chainstate_is_current), with their fee and parents. */
static void fees_heard(struct node *n, const struct tx *tx)
{
	struct mempool_entry_info info;
	if (!n->fees || chain_rpc_initial_download(n->cs, clock_now()) || mempool_entry(n->mp, tx->txid, &info) != 1)
		return;
	fees_tx_added(n->fees, tx->txid, info.height, info.fee, info.size, info.n_depends > 0);
	mempool_entry_info_release(&info);
}

static void on_mempool_added(void *ctx, const struct tx *tx)
{
	struct node *n = ctx;
	char err[ERR_LEN];
	if (n->journal && journal_append(n->journal, tx, clock_now(), err) != 0)
		log_error("%s", err);
	if (n->journal && journal_size(n->journal) > JOURNAL_MAX_BYTES)
		save_mempool(n);
	fees_heard(n, tx);
	wallets_tx_added(&n->wallets, tx, clock_now());
	if (n->feed)
		feed_tx_added(n->feed, tx);
	p2p_tx_added(n->p2p, tx);
}

static void on_mempool_removed(void *ctx, const uint8_t txid[32], enum mempool_removal why)
{
	struct node *n = ctx;
	if (n->fees && why != MEMPOOL_REMOVED_BLOCK) /* a block's are counted by the block */
		fees_tx_removed(n->fees, txid);
	wallets_tx_removed(&n->wallets, txid);
	if (n->feed)
		feed_tx_removed(n->feed, txid, why);
}

/* After any change of tip: the mempool takes back what a reorganisation
 * disconnected. */
static void on_tip_changed(void *ctx, const struct block_index *tip)
{
	struct node *n = ctx;
	(void)tip;
	mempool_reorg_done(n->mp, clock_now());
	uint64_t now = clock_now();
	if (now < n->fees_saved) /* the clock went back (setmocktime) */
		n->fees_saved = now;
	if (n->fees && now - n->fees_saved >= FEES_SAVE_INTERVAL)
		save_fees(n);
}


static int select_txs(void *ctx, struct tx **txs, size_t *count, int64_t *fees, size_t max_bytes)
{
	struct node *n = ctx;
	struct mempool_selection sel;
	if (max_bytes > n->block_max_size - 1000)
		max_bytes = n->block_max_size - 1000; /* room for the header and the coinbase */
	if (mempool_select(n->mp, &sel, max_bytes) != 0)
		return -1;
	*txs = sel.txs;
	*count = sel.n;
	*fees = sel.fees;
	return 0;
}

static size_t pooled(void *ctx)
{
	return mempool_count(((struct node *)ctx)->mp);
}

static int mempool_path(struct node *n, char *out, size_t len, char *err)
{
	return datadir_join(out, len, n->datadir, "mempool.dat", err);
}

static void replay_one(void *ctx, const struct tx *tx, uint64_t time)
{
	struct node *n = ctx;
	struct verdict v;
	(void)time;
	verdict_init(&v);
	if (!mempool_has(n->mp, tx->txid))
		mempool_accept(n->mp, tx, clock_now(), &v);
}

/* Replays what the journal holds beyond mempool.dat (a kill -9 left it),
 * folds both into a fresh mempool.dat and starts an empty journal. */
static int open_journal(struct node *n, char *err)
{
	char path[PATH_MAX], why[ERR_LEN];
	size_t count;
	bool torn;
	if (datadir_join(path, sizeof(path), n->datadir, "mempool.journal", err) != 0)
		return -1;
	if (journal_replay(path, replay_one, n, &count, &torn, why) != 0)
		log_warn("mempool journal not replayed: %s", why);
	else if (count || torn)
		log_info("mempool journal replayed: %zu transactions%s", count, torn ? ", a torn last record dropped" : "");
	if (!(n->journal = journal_open(path, err)))
		return -1;
	if (count || torn)
		save_mempool(n); /* folds the journal in, then empties it */
	return 0;
}

/* ---- notify commands ---- */

static int open_notify(struct node *n, char *err)
{
	struct notify_commands c = { options_str(n->opts, "blocknotify", NULL), options_str(n->opts, "walletnotify", NULL),
				     options_str(n->opts, "assetnotify", NULL) };
	return (n->notify = notify_new(n->base, &c, err)) ? 0 : -1;
}

static bool hash_of(uint8_t out[32], const cJSON *data, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, key);
	return cJSON_IsString(v) && strlen(v->valuestring) == 64 && hex_decode(out, 32, v->valuestring);
}

/* A new tip (outside initial download, as Core) and an asset's step that
 * is not its undoing, from the events the node publishes. */
static void on_event(void *ctx, enum events_topic topic, const cJSON *data)
{
	struct node *n = ctx;
	uint8_t hash[32];
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(data, "action");
	if (topic == EVENTS_TIP && hash_of(hash, data, "hash") && !chain_rpc_initial_download(n->cs, clock_now()))
		notify_block(n->notify, hash);
	else if (topic == EVENTS_ASSET && cJSON_IsString(action) && strcmp(action->valuestring, "unconfirmed") != 0 &&
		 hash_of(hash, data, "asset"))
		notify_asset(n->notify, hash);
}

static void on_wallet_tx(void *ctx, const char *wallet, const uint8_t txid[32], const uint8_t *block, uint32_t height)
{
	notify_wallet(((struct node *)ctx)->notify, wallet, txid, block, height);
}

/* The event stream's buffer and what feeds it; its chain listener comes
 * right after the mempool's, so that it sees the mempool agree with the
 * chain. */
static int open_events(struct node *n, char *err)
{
	int64_t replay = options_int(n->opts, "eventsreplay", EVENTS_DEFAULT_REPLAY);
	int64_t clients = options_int(n->opts, "eventsmaxclients", EVENTS_DEFAULT_MAX_CLIENTS);
	int64_t keepalive = options_int(n->opts, "eventskeepalive", EVENTS_DEFAULT_KEEPALIVE_MS);
	int64_t buffer = options_int(n->opts, "eventsclientbuffer", EVENTS_DEFAULT_CLIENT_BUFFER);
	if (replay < 1 || replay > 10000000)
		return err_set(err, "-eventsreplay must be between 1 and 10000000");
	if (clients < 1 || clients > 10000)
		return err_set(err, "-eventsmaxclients must be between 1 and 10000");
	if (keepalive < 10 || keepalive > 3600000)
		return err_set(err, "-eventskeepalive must be between 10 and 3600000 ms");
	if (buffer < 4096 || buffer > (int64_t)1 << 32)
		return err_set(err, "-eventsclientbuffer must be between 4096 and 4294967296 bytes");
	struct events_config cfg = { .replay = (size_t)replay, .max_clients = (size_t)clients,
				     .keepalive_ms = (unsigned)keepalive, .client_buffer = (size_t)buffer };
	if (!(n->events = events_new(n->base, &cfg, err)))
		return -1;
	if (!(n->feed = feed_new(n->cs, n->mp, n->events)))
		return err_set(err, "cannot start the event stream: out of memory");
	struct chain_events ev = feed_chain_events(n->feed);
	return chainstate_listen(n->cs, &ev) == 0 ? 0 : err_set(err, "cannot follow the chain: too many listeners");
}

static void on_peer(void *ctx, const struct p2p_peer_event *e)
{
	struct node *n = ctx;
	if (n->feed)
		feed_peer(n->feed, e);
}

static int open_mempool(struct node *n, char *err)
{
	struct mempool_opts o;
	struct mempool_load_stats st;
	char path[PATH_MAX], why[ERR_LEN];
	int64_t max_mb = options_int(n->opts, "maxmempool", 300), fee;
	mempool_opts_default(&o);
	if (max_mb < 1 || max_mb > 1000000)
		return err_set(err, "-maxmempool must be between 1 and 1000000 MB");
	if (amount_parse(&fee, options_str(n->opts, "minrelaytxfee", "0.00001"), why) != 0)
		return err_set(err, "invalid -minrelaytxfee: %s", why);
	o.max_bytes = (size_t)max_mb * 1000000;
	o.min_relay_fee = fee;
	if (!(n->mp = mempool_new(n->cs, &o)))
		return err_set(err, "cannot create the mempool");
	struct chain_events ev = { .connected = on_connected, .disconnected = on_disconnected,
				   .tip_changed = on_tip_changed, .ctx = n };
	struct mempool_events mev = { on_mempool_added, on_mempool_removed, n };
	if (chainstate_listen(n->cs, &ev) != 0)
		return err_set(err, "cannot follow the chain: too many listeners");
	if (open_events(n, err) != 0)
		return -1;
	events_observe(n->events, on_event, n);
	mempool_set_events(n->mp, &mev);
	if (!options_bool(n->opts, "persistmempool", true))
		return 0;
	if (mempool_path(n, path, sizeof(path), err) != 0)
		return -1;
	if (mempool_load(n->mp, path, clock_now(), &st, why) != 0)
		log_warn("mempool not loaded: %s", why);
	else if (st.found)
		log_info("mempool loaded: %zu of %zu transactions accepted, %zu failed, %zu expired", st.accepted,
			 st.total, st.failed, st.expired);
	return open_journal(n, err);
}

/* Writes mempool.dat into path (PATH_MAX) and empties the journal, which
 * it now holds: 0, or -1 with err (the journal keeps what the file lacks). */
static int write_mempool(struct node *n, char *path, char *err)
{
	char why[ERR_LEN];
	if (mempool_path(n, path, PATH_MAX, err) != 0 || mempool_save(n->mp, path, err) != 0)
		return -1;
	log_info("mempool saved: %zu transactions", mempool_count(n->mp));
	if (n->journal && journal_reset(n->journal, why) != 0)
		log_error("%s", why);
	return 0;
}

static void save_mempool(struct node *n)
{
	char path[PATH_MAX], err[ERR_LEN];
	if (!n->mp || !options_bool(n->opts, "persistmempool", true))
		return;
	if (write_mempool(n, path, err) != 0)
		log_error("cannot save the mempool: %s", err);
}

/* Core's savemempool: written whatever -persistmempool says. */
static int rpc_savemempool(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct node *n = ctx;
	char path[PATH_MAX], err[ERR_LEN];
	(void)params;
	if (write_mempool(n, path, err) != 0) {
		log_error("cannot save the mempool: %s", err);
		return rpc_error_set(e, RPC_MISC_ERROR, "Unable to dump mempool to disk");
	}
	cJSON *j = cJSON_CreateObject();
	return rpc_result_if(result, j, j && cJSON_AddStringToObject(j, "filename", path), e);
}

static const struct rpc_method mempool_methods[] = {
	{ "savemempool", "blockchain", "", "Writes the mempool to mempool.dat in the data directory; returns the file's path.",
	  rpc_savemempool, "{filename:str}", "-1" },
};
/* The fee estimator, with what fee_estimates.dat kept; a damaged file is
 * logged and set aside, the estimator then starts empty. */
static int open_fees(struct node *n, char *err)
{
	char path[PATH_MAX], why[ERR_LEN];
	bool found;
	int64_t max = options_int(n->opts, "blockmaxsize", BLOCK_MAX_SIZE);
	if (max < 2000 || max > BLOCK_MAX_SIZE)
		return err_set(err, "-blockmaxsize must be between 2000 and %d", BLOCK_MAX_SIZE);
	n->block_max_size = (size_t)max;
	if (!(n->fees = fees_new()))
		return err_set(err, "cannot start the fee estimator: out of memory");
	n->fees_saved = clock_now();
	if (datadir_join(path, sizeof(path), n->datadir, FEES_FILE, err) != 0)
		return -1;
	if (fees_load(n->fees, path, &found, why) != 0)
		log_warn("fee estimates not loaded, starting afresh: %s", why);
	else if (found)
		log_info("fee estimates loaded from %s", FEES_FILE);
	return 0;
}

static void save_fees(struct node *n)
{
	char path[PATH_MAX], err[ERR_LEN];
	n->fees_saved = clock_now();
	if (datadir_join(path, sizeof(path), n->datadir, FEES_FILE, err) != 0 || fees_save(n->fees, path, err) != 0)
		log_error("cannot save the fee estimates: %s", err);
}

/* The wallets/ folder of the network's data directory into out, made if
 * missing; a wallet.dat of the single-file format that earlier versions
 * kept in the data directory is migrated into wallets/default/ first. */
static int wallets_dir(struct node *n, char *out, size_t len, char *err)
{
	char def[4096], file[4096];
	size_t n_txs;
	if (datadir_join(out, len, n->datadir, WALLET_DIR, err) != 0 ||
	    datadir_join(def, sizeof(def), out, WALLET_DEFAULT_NAME, err) != 0 ||
	    datadir_join(file, sizeof(file), n->datadir, WSTORE_FILE, err) != 0 || datadir_ensure(out, err) != 0)
		return -1;
	if (access(def, F_OK) == 0 || access(file, F_OK) != 0)
		return 0;
	if (wallet_migrate(file, def, n->p, &n_txs, err) != 0)
		return -1;
	log_info("%s migrated to %s/%s/ (%zu transactions); the old file is kept as %s.bak", WSTORE_FILE, WALLET_DIR,
		 WALLET_DEFAULT_NAME, n_txs, WSTORE_FILE);
	return 0;
}

/* The wallets -wallet names (repeatable), or the default one without any:
 * each opened, or created from a fresh seed, and brought up to the tip. */
static int open_wallets(struct node *n, char *err)
{
	static const char *const default_name[] = { WALLET_DEFAULT_NAME };
	char dir[4096], why[ERR_LEN];
	int64_t fee;
	size_t count;
	const char *const *names = options_list(n->opts, "wallet", &count);
	if (amount_parse(&fee, options_str(n->opts, "paytxfee", "0"), why) != 0)
		return err_set(err, "invalid -paytxfee: %s", why);
	bool enabled = !options_bool(n->opts, "disablewallet", false);
	int64_t log_ms = options_int(n->opts, "rescanloginterval", WALLET_RESCAN_LOG_MS);
	if (log_ms < 0 || log_ms > 86400000)
		return err_set(err, "-rescanloginterval must be between 0 and 86400000");
	wallet_set_rescan_log_interval((uint64_t)log_ms);
	if (enabled && wallets_dir(n, dir, sizeof(dir), err) != 0)
		return -1;
	/* Even without wallets: the asset methods route through the list. */
	wallets_init(&n->wallets, enabled ? dir : "", n->cs, n->mp, fee, n->pool);
	wallets_set_tx_hook(&n->wallets, on_wallet_tx, n);
	if (wallets_set_fees(&n->wallets, n->fees, options_str(n->opts, "fallbackfee", "0"),
			     options_int(n->opts, "txconfirmtarget", 6), err) != 0)
		return -1;
	if (!enabled)
		return 0;
	if (count == 0) {
		names = default_name;
		count = 1;
	}
	for (size_t i = 0; i < count; i++) {
		struct rpc_error e;
		if (wallets_find(&n->wallets, names[i]))
			return err_set(err, "error loading wallet '%s': duplicate -wallet filename specified", names[i]);
		if (wallets_load(&n->wallets, names[i], true, NULL, &e) != 0)
			return err_set(err, "error loading wallet '%s': %s", names[i], e.message);
	}
	return 0;
}

/* -mine: to -mineaddress, or to a fresh address of the first wallet. */
static int open_miner(struct node *n, char *err)
{
	struct miner_config cfg = { .cs = n->cs, .mp = n->mp, .pool = n->pool, .max_bytes = n->block_max_size - 1000 };
	const char *addr = options_str(n->opts, "mineaddress", NULL);
	char fresh[100], why[ERR_LEN];
	if (!options_bool(n->opts, "mine", false))
		return 0;
	if (!addr && n->wallets.n &&
	    wallet_get_new_address(n->wallets.items[0]->w, fresh, sizeof(fresh), "mining", why) == 0)
		addr = fresh;
	if (!addr)
		return err_set(err, "-mine needs -mineaddress (or a wallet)");
	if (address_decode(cfg.payto, n->p->hrp, addr, why) != 0)
		return err_set(err, "invalid -mineaddress '%s': %s", addr, why);
	cfg.threads = (int)options_int(n->opts, "minethreads", 1);
	if (cfg.threads < 1 || cfg.threads > 64)
		return err_set(err, "-minethreads must be between 1 and 64");
	if (!(n->miner = miner_new(n->base, &cfg, err)))
		return -1;
	struct chain_events ev = miner_chain_events(n->miner);
	return chainstate_listen(n->cs, &ev) == 0 ? 0 : err_set(err, "cannot follow the chain: too many listeners");
}

/* --- start-up --- */

static int open_dirs(struct node *n, char *err)
{
	char base[PATH_MAX], conf[PATH_MAX];
	const char *dd = options_str(n->opts, "datadir", "~/.cairn");
	bool explicit_dir = options_is_set(n->opts, "datadir");
	if (datadir_expand(base, sizeof(base), dd, err) != 0)
		return -1;
	if (explicit_dir && access(base, F_OK) != 0)
		return err_set(err, "specified data directory '%s' does not exist", base);
	if (datadir_ensure(base, err) != 0)
		return -1;
	if (datadir_join(conf, sizeof(conf), base, options_str(n->opts, "conf", "cairn.conf"), err) != 0 ||
	    options_read_conf(n->opts, conf, options_is_set(n->opts, "conf"), NULL, err) != 0)
		return -1;
	n->p = params_get(options_bool(n->opts, "regtest", false) ? NET_REGTEST : NET_MAIN);
	if (options_read_conf(n->opts, conf, false, n->p->name, err) != 0)
		return -1;
	if (n->p->subdir[0]) {
		if (datadir_join(n->datadir, sizeof(n->datadir), base, n->p->subdir, err) != 0 ||
		    datadir_ensure(n->datadir, err) != 0)
			return -1;
	} else {
		snprintf(n->datadir, sizeof(n->datadir), "%s", base);
	}
	return (n->lock_fd = datadir_lock(n->datadir, err)) < 0 ? -1 : 0;
}

static int open_log(struct node *n, char *err)
{
	char path[PATH_MAX];
	size_t nd;
	const char *const *debug = options_list(n->opts, "debug", &nd);
	for (size_t i = 0; i < nd; i++)
		if (!log_enable(debug[i]))
			return err_set(err, "unknown debug category '%s' (one of: %s)", debug[i], log_category_names());
	if (datadir_join(path, sizeof(path), n->datadir, "debug.log", err) != 0)
		return -1;
	return log_open(path, options_bool(n->opts, "printtoconsole", false), err);
}

static int write_pid(struct node *n, char *err)
{
	if (datadir_join(n->pid_path, sizeof(n->pid_path), n->datadir, options_str(n->opts, "pid", "cairnd.pid"), err) != 0)
		return -1;
	FILE *f = fopen(n->pid_path, "w");
	if (!f)
		return err_set(err, "cannot write pid file '%s': %s", n->pid_path, strerror(errno));
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	return 0;
}

/* The worker threads every part shares: -par of them (at most 64), one a
 * core when it is 0 or less. */
static int open_pool(struct node *n, char *err)
{
	int64_t par = options_int(n->opts, "par", 0);
	n->pool = pool_new(par > 0 ? (int)(par < 64 ? par : 64) : pool_default_threads(), err);
	return n->pool ? 0 : -1;
}

static int corrupt_error(char *err)
{
	char why[ERR_LEN];
	snprintf(why, sizeof(why), "%s", err);
	return err_set(err, "the chainstate database is corrupt (%.160s); restart with -reindex to rebuild it from "
		       "the block files", why);
}

/* -checkblocks and -checklevel: Bitcoin Core's verifychain before the node
 * serves; a failure means the chainstate cannot be trusted. */
static int check_chain(struct node *n, char *err)
{
	int64_t level = options_int(n->opts, "checklevel", 3), nblocks = options_int(n->opts, "checkblocks", 6);
	if (level < 0 || level > 4)
		return err_set(err, "-checklevel must be between 0 and 4");
	if (nblocks < 0)
		nblocks = 0;
	if (nblocks > UINT32_MAX)
		nblocks = UINT32_MAX;
	uint64_t t0 = clock_mono_us();
	int ok = chainstate_verify(n->cs, (int)level, (uint32_t)nblocks, err);
	if (ok < 0)
		return -1;
	if (ok == 0) {
		log_info("verifychain: %s", err);
		return corrupt_error(err);
	}
	log_info("verified the last %lld blocks at level %lld in %llu ms", (long long)nblocks, (long long)level,
		 (unsigned long long)((clock_mono_us() - t0) / 1000));
	return 0;
}

static int open_chain(struct node *n, char *err)
{
	char path[PATH_MAX], blocks[PATH_MAX];
	bool corrupt = false;
	int64_t mib = options_int(n->opts, "dbcache", 16);
	int64_t filesize = options_int(n->opts, "blockfilesize", 128 << 20);
	if (mib < 1 || mib > 16384)
		return err_set(err, "-dbcache must be between 1 and 16384 MiB");
	if (filesize < 1024 || filesize > (1 << 30))
		return err_set(err, "-blockfilesize must be between 1024 and 1073741824 bytes");
	if (datadir_join(path, sizeof(path), n->datadir, "chainstate", err) != 0 ||
	    datadir_join(blocks, sizeof(blocks), n->datadir, "blocks", err) != 0)
		return -1;
	struct chainstate_opts o = { .path = path, .cache_bytes = (size_t)mib << 20, .pool = n->pool,
				     .blocks_dir = blocks, .blockfile_max = (uint32_t)filesize,
				     .now = clock_now(), .corrupt = &corrupt,
				     .check_db = options_int(n->opts, "checklevel", 3) >= 4 };
	if (options_bool(n->opts, "reindex", false))
		o.reindex = REINDEX_FULL;
	else if (options_bool(n->opts, "reindex-chainstate", false))
		o.reindex = REINDEX_CHAINSTATE;
	if (options_is_set(n->opts, "txindex"))
		log_info("-txindex%s: the transaction index is always on, the option changes nothing",
			 options_bool(n->opts, "txindex", true) ? "" : "=0");
	uint64_t t0 = clock_mono_us();
	if (!(n->cs = chainstate_open(n->p, &o, err))) {
		if (corrupt)
			log_info("chainstate: %s", err);
		return corrupt ? corrupt_error(err) : -1;
	}
	log_info("chainstate loaded in %llu ms: height %u", (unsigned long long)((clock_mono_us() - t0) / 1000),
		 chainstate_tip(n->cs)->height);
	return check_chain(n, err);
}

/* -addressindex: kept in the chain's batches from here, built in the
 * background from what is stored. */
static int open_addrindex(struct node *n, char *err)
{
	int64_t pause = options_int(n->opts, "addressindexpause", 0);
	if (pause < 0 || pause > 60000)
		return err_set(err, "-addressindexpause must be between 0 and 60000 ms");
	if (!options_bool(n->opts, "addressindex", false))
		return 0;
	return (n->addrbuild = addrbuild_start(n->base, n->cs, (unsigned)pause, err)) ? 0 : -1;
}

/* The mesh's timers (regtest-only options, for tests). */
static int set_timers(struct node *n, struct p2p_config *cfg, char *err)
{
	static const char *const names[] = { "handshaketimeout", "pinginterval", "pingtimeout", "stalltimeout",
					     "feelerinterval", "blockrelayinterval" };
	unsigned *fields[] = { &cfg->handshake_timeout, &cfg->ping_interval, &cfg->ping_timeout, &cfg->stall_timeout_ms,
			       &cfg->feeler_interval_ms, &cfg->block_relay_interval_ms };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int64_t v = options_int(n->opts, names[i], 0);
		if (v < 0 || v > 86400000)
			return err_set(err, "-%s must be between 0 and 86400000", names[i]);
		*fields[i] = (unsigned)v;
	}
	/* fewer outbound slots than Core's 8 + 2, so that a test mesh of a
	 * few nodes can fill them */
	int64_t full = options_int(n->opts, "fullrelayslots", 8), block = options_int(n->opts, "blockrelayslots", 2);
	if (full < 1 || full > 8 || block < 0 || block > 2)
		return err_set(err, "-fullrelayslots must be between 1 and 8, -blockrelayslots between 0 and 2");
	cfg->slots_given = options_is_set(n->opts, "fullrelayslots") || options_is_set(n->opts, "blockrelayslots");
	cfg->full_relay_slots = (unsigned)full;
	cfg->block_relay_slots = (unsigned)block;
	return 0;
}

/* The mesh, after the mempool: -connect implies -listen=0 unless -listen
 * is given, as in Bitcoin Core. */
static int open_p2p(struct node *n, char *err)
{
	size_t nb, nc, na, ns, ne;
	int64_t port = options_int(n->opts, "port", n->p->p2p_port);
	int64_t maxconn = options_int(n->opts, "maxconnections", 125);
	int64_t bantime = options_int(n->opts, "bantime", 86400);
	if (port < 0 || port > 65535)
		return err_set(err, "-port must be between 0 and 65535");
	if (maxconn < 0 || maxconn > 100000 || bantime < 1)
		return err_set(err, "-maxconnections must be 0..100000 and -bantime at least 1");
	struct p2p_config cfg = {
		.port = (uint16_t)port,
		.bind = options_list(n->opts, "bind", &nb),
		.connect = options_list(n->opts, "connect", &nc),
		.addnode = options_list(n->opts, "addnode", &na),
		.seednode = options_list(n->opts, "seednode", &ns),
		.externalip = options_list(n->opts, "externalip", &ne),
		.max_connections = (int)maxconn,
		.no_compact = !options_bool(n->opts, "compactblocks", true),
		.bantime = bantime,
		.datadir = n->datadir,
		.pool = n->pool,
		.on_peer = on_peer,
		.peer_ctx = n,
	};
	cfg.n_bind = nb;
	cfg.n_connect = nc;
	cfg.n_addnode = na;
	cfg.n_seednode = ns;
	cfg.n_externalip = ne;
	cfg.connect_only = nc > 0;
	cfg.listen = options_bool(n->opts, "listen", !cfg.connect_only);
	if (set_timers(n, &cfg, err) != 0)
		return -1;
	n->net_rpc = (struct net_rpc){ .mp = n->mp };
	if (!(n->p2p = p2p_new(n->base, n->cs, n->mp, &cfg, err)))
		return -1;
	n->net_rpc.p2p = n->p2p;
	struct chain_events ev = p2p_chain_events(n->p2p);
	return chainstate_listen(n->cs, &ev) == 0 ? 0 : err_set(err, "cannot follow the chain: too many listeners");
}

static void serve_events(void *ctx, struct evhttp_request *req)
{
	events_serve(ctx, req);
}

static uint64_t chainstate_bytes(void *ctx)
{
	return datadir_size(ctx);
}

/* Before the workers start, so that the probe is in place before any
 * thread checks a signature (chain/probe.h). */
static int open_metrics(struct node *n, char *err)
{
	if (!options_bool(n->opts, "metrics", false))
		return 0;
	if (!(n->metrics = metrics_new()))
		return err_set(err, "cannot start metrics: out of memory");
	struct probe p = metrics_probe(n->metrics);
	probe_set(&p);
	return 0;
}

/* GET /metrics, or its 404 when -metrics is off. */
static int serve_metrics(struct node *n, char *err)
{
	if (n->metrics) {
		if (datadir_join(n->chainstate_dir, sizeof(n->chainstate_dir), n->datadir, "chainstate", err) != 0)
			return -1;
		struct metrics_sources src = { .cs = n->cs, .mp = n->mp, .p2p = n->p2p, .wallets = &n->wallets,
					       .events = n->events, .rpc = n->rpc, .disk_bytes = chainstate_bytes,
					       .disk_ctx = n->chainstate_dir };
		metrics_set_sources(n->metrics, &src);
	}
	return metrics_register(n->rpc, n->metrics, err);
}

/* The methods of the statistics and utility areas. */
static int register_extra(struct node *n, char *err)
{
	if (datadir_join(n->chainstate_dir, sizeof(n->chainstate_dir), n->datadir, "chainstate", err) != 0)
		return -1;
	n->util_rpc.p = n->p;
	n->util_rpc.srv = n->rpc;
	if (datadir_join(n->util_rpc.log_path, sizeof(n->util_rpc.log_path), n->datadir, "debug.log", err) != 0)
		return -1;
	n->stats_rpc = (struct stats_rpc){ .cs = n->cs, .disk_bytes = chainstate_bytes, .disk_ctx = n->chainstate_dir };
	bool wallet = !options_bool(n->opts, "disablewallet", false);
	if (stats_rpc_register(n->rpc, &n->stats_rpc, err) != 0 || mempool_rpc_register(n->rpc, &n->rawtx_rpc, err) != 0 ||
	    rpc_server_add_methods(n->rpc, mempool_methods, 1, n, err) != 0 ||
	    util_rpc_register(n->rpc, &n->util_rpc, err) != 0 ||
	    (wallet && (util_rpc_register_wallet(n->rpc, &n->wallets, err) != 0 ||
			walletinfo_rpc_register(n->rpc, &n->wallets, err) != 0)))
		return -1;
	return 0;
}

static int open_rpc(struct node *n, char *err)
{
	char cookie[PATH_MAX];
	size_t nbind, nallow, nauth, nwhite;
	int64_t port = options_int(n->opts, "rpcport", n->p->rpc_port);
	int64_t timeout = options_int(n->opts, "rpcservertimeout", RPC_DEFAULT_TIMEOUT);
	if (port < 0 || port > 65535)
		return err_set(err, "-rpcport must be between 0 and 65535");
	if (timeout < 1 || timeout > 86400)
		return err_set(err, "-rpcservertimeout must be between 1 and 86400 seconds");
	if (datadir_join(cookie, sizeof(cookie), n->datadir, ".cookie", err) != 0)
		return -1;
	struct rpc_config cfg = {
		.bind = options_list(n->opts, "rpcbind", &nbind),
		.allow = options_list(n->opts, "rpcallowip", &nallow),
		.port = (uint16_t)port,
		.auth = {
			.user = options_str(n->opts, "rpcuser", NULL),
			.password = options_str(n->opts, "rpcpassword", NULL),
			.cookie_path = cookie,
			.rpcauth = options_list(n->opts, "rpcauth", &nauth),
			.whitelist = options_list(n->opts, "rpcwhitelist", &nwhite),
			.whitelist_default = options_is_set(n->opts, "rpcwhitelistdefault")
						     ? options_bool(n->opts, "rpcwhitelistdefault", false)
						     : -1,
		},
		.timeout = (int)timeout,
		.pool = n->pool,
	};
	cfg.auth.n_rpcauth = nauth;
	cfg.auth.n_whitelist = nwhite;
	cfg.n_bind = nbind;
	cfg.n_allow = nallow;
	if (!(n->rpc = rpc_server_new(n->base, &cfg, err)))
		return -1;
	n->chain_rpc = (struct chain_rpc){ .cs = n->cs, .events = n->events };
	n->mining_rpc = (struct mining_rpc){ .cs = n->cs, .select = select_txs, .pooled = pooled, .ctx = n };
	n->rawtx_rpc = (struct rawtx_rpc){ .cs = n->cs, .mp = n->mp, .events = n->events };
	n->asset_rpc = (struct asset_rpc){ .cs = n->cs, .mp = n->mp };
	n->address_rpc = (struct address_rpc){ .cs = n->cs, .mp = n->mp, .ai = addrbuild_index(n->addrbuild) };
	n->fees_rpc = (struct fees_rpc){ .fees = n->fees, .mp = n->mp };
	bool wallet = !options_bool(n->opts, "disablewallet", false);
	if (rpc_server_add_methods(n->rpc, node_methods, sizeof(node_methods) / sizeof(node_methods[0]), n, err) != 0 ||
	    chain_rpc_register(n->rpc, &n->chain_rpc, err) != 0 || history_rpc_register(n->rpc, &n->chain_rpc, err) != 0 ||
	    mining_rpc_register(n->rpc, &n->mining_rpc, err) != 0 || fees_rpc_register(n->rpc, &n->fees_rpc, err) != 0 ||
	    rawtx_rpc_register(n->rpc, &n->rawtx_rpc, err) != 0 || net_rpc_register(n->rpc, &n->net_rpc, err) != 0 ||
	    (wallet && (wallet_rpc_register(n->rpc, &n->wallets, err) != 0 || wallets_register(n->rpc, &n->wallets, err) != 0)) ||
	    asset_rpc_register(n->rpc, &n->asset_rpc, &n->wallets, err) != 0 ||
	    address_rpc_register(n->rpc, &n->address_rpc, err) != 0 || register_extra(n, err) != 0)
		return -1;
	n->rest = (struct rest){ .chain = &n->chain_rpc, .rawtx = &n->rawtx_rpc, .asset = &n->asset_rpc };
	bool rest = options_bool(n->opts, "rest", false);
	if (rpc_server_route(n->rpc, "/events", "events", true, serve_events, n->events, err) != 0 ||
	    serve_metrics(n, err) != 0 || rest_register(n->rpc, rest ? &n->rest : NULL, err) != 0)
		return -1;
	log_info("JSON-RPC listening on port %u", rpc_server_port(n->rpc));
	return 0;
}

int node_start(struct node *n, struct options *opts, char *err)
{
	memset(n, 0, sizeof(*n));
	n->opts = opts;
	n->lock_fd = -1;
	n->started = clock_now();
	if (open_dirs(n, err) != 0 || open_log(n, err) != 0)
		return -1;
	log_info("cairn version %s starting on %s, data directory '%s'", CAIRN_VERSION, n->p->name, n->datadir);
	if (evthread_use_pthreads() != 0 || !(n->base = event_base_new()))
		return err_set(err, "cannot create the event loop");
	if (write_pid(n, err) != 0 || add_signals(n, err) != 0 || open_notify(n, err) != 0 || open_metrics(n, err) != 0 || open_pool(n, err) != 0 || open_chain(n, err) != 0 ||
	    open_addrindex(n, err) != 0 || open_mempool(n, err) != 0 || open_fees(n, err) != 0 || open_wallets(n, err) != 0 ||
	    open_p2p(n, err) != 0 ||
	    open_miner(n, err) != 0)
		return -1;
	if (options_bool(opts, "server", true) && open_rpc(n, err) != 0)
		return -1;
	log_info("init done");
	return 0;
}

void node_run(struct node *n)
{
	event_base_dispatch(n->base);
}

void node_stop(struct node *n)
{
	log_info("shutting down");
	if (n->cs && n->miner)
		chainstate_unlisten(n->cs, n->miner);
	miner_free(n->miner);
	n->miner = NULL;
	rpc_server_drain(n->rpc, n->base, 2000);
	events_end_streams(n->events); /* before their connections go */
	rpc_server_free(n->rpc);
	n->rpc = NULL;
	if (n->p2p) {
		char perr[ERR_LEN];
		if (p2p_save(n->p2p, perr) != 0)
			log_error("cannot save peers and bans: %s", perr);
	}
	if (n->cs && n->p2p)
		chainstate_unlisten(n->cs, n->p2p);
	p2p_free(n->p2p);
	n->p2p = NULL;
	save_mempool(n);
	if (n->fees)
		save_fees(n);
	journal_close(n->journal);
	n->journal = NULL;
	if (n->cs)
		chainstate_unlisten(n->cs, n);
	if (n->cs && n->feed)
		chainstate_unlisten(n->cs, n->feed);
	feed_free(n->feed);
	n->feed = NULL;
	events_free(n->events);
	n->events = NULL;
	if (n->mp)
		mempool_set_events(n->mp, NULL);
	wallets_free(&n->wallets);
	mempool_free(n->mp);
	n->mp = NULL;
	addrbuild_free(n->addrbuild);
	n->addrbuild = NULL;
	fees_free(n->fees);
	n->fees = NULL;
	chainstate_close(n->cs);
	n->cs = NULL;
	pool_free(n->pool); /* last: every part above may use it */
	n->pool = NULL;
	probe_set(NULL); /* no chain work is left to time */
	metrics_free(n->metrics);
	n->metrics = NULL;
	notify_free(n->notify);
	n->notify = NULL;
	for (size_t i = 0; i < sizeof(n->signals) / sizeof(n->signals[0]); i++)
		if (n->signals[i])
			event_free(n->signals[i]);
	if (n->base)
		event_base_free(n->base);
	n->base = NULL;
	if (n->pid_path[0])
		unlink(n->pid_path);
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	n->lock_fd = -1;
	log_info("shutdown done");
	log_close();
}
