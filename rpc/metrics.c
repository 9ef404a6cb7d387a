#include "rpc/metrics.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "chain/chainstate.h"
#include "chain/mempool.h"
#include "chain/sigcheck.h"
#include "p2p/net.h"
#include "rpc/chain_rpc.h"
#include "rpc/events.h"
#include "rpc/server.h"
#include "rpc/wallets.h"
#include "util/clock.h"
#include "util/log.h"
#include "wallet/wallet.h"

/* Every series is written here, in the order of docs/metrics.md; names
 * are constants so that they stay stable from release to release. */

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));
	for (size_t i = 0; m && i < PROBE_N_KINDS; i++)
		prom_hist_init(&m->timing[i]);
	return m;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

void metrics_set_sources(struct metrics *m, const struct metrics_sources *src)
{
	m->src = *src;
}

static uint64_t probe_now(void *ctx)
{
	(void)ctx;
	return clock_mono_us();
}

static void probe_done(void *ctx, enum probe_kind kind, uint64_t token)
{
	struct metrics *m = ctx;
	if (kind < PROBE_N_KINDS)
		prom_hist_observe(&m->timing[kind], clock_mono_us() - token);
}

struct probe metrics_probe(struct metrics *m)
{
	return (struct probe){ probe_now, probe_done, m };
}

static void gauge(struct buf *b, const char *name, const char *help, uint64_t v)
{
	prom_family(b, name, "gauge", help);
	prom_sample_u64(b, name, NULL, 0, v);
}

static void counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	prom_family(b, name, "counter", help);
	prom_sample_u64(b, name, NULL, 0, v);
}

static void write_chain(struct metrics *m, struct buf *b)
{
	struct chainstate *cs = m->src.cs;
	if (!cs)
		return;
	const struct block_index *hdr = chainstate_best_header(cs);
	gauge(b, "cairn_chain_height", "Height of the best chain's tip (getblockcount).", chainstate_tip(cs)->height);
	gauge(b, "cairn_chain_header_height", "Height of the best known header (getblockchaininfo headers).",
	      hdr ? hdr->height : chainstate_tip(cs)->height);
	prom_family(b, "cairn_chain_verification_progress", "gauge",
		    "Estimated share of the chain verified, 0 to 1 (getblockchaininfo verificationprogress).");
	prom_sample_double(b, "cairn_chain_verification_progress", NULL, 0, chain_rpc_progress(cs, clock_now()));
	gauge(b, "cairn_assets", "Asset ids registered on the best chain (the asset index's entries).",
	      chainstate_asset_count(cs));
	if (m->src.disk_bytes)
		gauge(b, "cairn_leveldb_size_bytes", "Bytes on disk of the chain's LevelDB folder.",
		      m->src.disk_bytes(m->src.disk_ctx));
}

static void write_mempool(struct metrics *m, struct buf *b)
{
	struct mempool_info mi;
	if (!m->src.mp)
		return;
	mempool_get_info(m->src.mp, &mi);
	gauge(b, "cairn_mempool_transactions", "Transactions in the mempool.", mi.count);
	gauge(b, "cairn_mempool_bytes", "Serialized bytes of the mempool's transactions.", mi.bytes);
	prom_family(b, "cairn_mempool_fees_crn", "gauge", "Sum of the mempool's transaction fees, in CRN.");
	prom_sample_amount(b, "cairn_mempool_fees_crn", NULL, 0, mi.total_fee);
}

static void write_msgs(struct buf *b, const char *name, const char *help, const uint64_t *v)
{
	prom_family(b, name, "counter", help);
	for (size_t i = 0; i <= MSG_N_COMMANDS; i++)
		prom_sample_u64(b, name, &(struct prom_label){ "message", msg_command_name(i) }, 1, v[i]);
}

static void write_p2p(struct metrics *m, struct buf *b)
{
	struct p2p_msg_totals t;
	size_t in, out;
	if (!m->src.p2p)
		return;
	p2p_connection_count(m->src.p2p, &in, &out);
	prom_family(b, "cairn_peers", "gauge", "Connected peers by direction.");
	prom_sample_u64(b, "cairn_peers", &(struct prom_label){ "direction", "inbound" }, 1, in);
	prom_sample_u64(b, "cairn_peers", &(struct prom_label){ "direction", "outbound" }, 1, out);
	gauge(b, "cairn_banned_addresses", "Entries of the ban list (listbanned).", p2p_banned_count(m->src.p2p));
	p2p_msg_totals(m->src.p2p, &t);
	write_msgs(b, "cairn_p2p_sent_bytes_total", "Bytes sent to peers by message type, headers included.",
		   t.bytes_sent);
	write_msgs(b, "cairn_p2p_received_bytes_total", "Bytes received from peers by message type, headers included.",
		   t.bytes_recv);
	write_msgs(b, "cairn_p2p_sent_messages_total", "Messages sent to peers by type.", t.msgs_sent);
	write_msgs(b, "cairn_p2p_received_messages_total", "Messages received from peers by type.", t.msgs_recv);
}

/* Only methods called at least once: a node has a hundred methods, most
 * of them never used, and a series appears with its first call. */
static void write_rpc(struct metrics *m, struct buf *b)
{
	struct rpc_method_stats st;
	const char *req = "cairn_rpc_requests_total", *dur = "cairn_rpc_request_duration_seconds";
	if (!m->src.rpc)
		return;
	prom_family(b, req, "counter", "JSON-RPC calls by method.");
	for (size_t i = 0; rpc_server_method_stats(m->src.rpc, i, &st); i++)
		if (st.calls)
			prom_sample_u64(b, req, &(struct prom_label){ "method", st.name }, 1, st.calls);
	prom_family(b, dur, "histogram", "Time of JSON-RPC calls on the event loop by method, in seconds.");
	for (size_t i = 0; rpc_server_method_stats(m->src.rpc, i, &st); i++)
		if (st.calls)
			prom_hist_write(b, dur, &(struct prom_label){ "method", st.name }, 1, st.latency);
}

static void write_timings(struct metrics *m, struct buf *b)
{
	uint64_t hits, misses;
	prom_family(b, "cairn_block_connect_duration_seconds", "histogram",
		    "Time to connect a block to the tip (checks, signatures and its write), in seconds.");
	prom_hist_write(b, "cairn_block_connect_duration_seconds", NULL, 0, &m->timing[PROBE_CONNECT]);
	prom_family(b, "cairn_signature_check_duration_seconds", "histogram",
		    "Time of one batch of signature checks (a block's or a transaction's), in seconds.");
	prom_hist_write(b, "cairn_signature_check_duration_seconds", NULL, 0, &m->timing[PROBE_SIGS]);
	sigcache_stats(&hits, &misses);
	counter(b, "cairn_sigcache_hits_total", "Signature checks found in the signature cache.", hits);
	counter(b, "cairn_sigcache_misses_total", "Signature cache lookups that missed.", misses);
}

static void write_wallets(struct metrics *m, struct buf *b)
{
	static const char *const states[] = { "trusted", "untrusted_pending", "immature" };
	const char *name = "cairn_wallet_balance_crn";
	struct wallets *set = m->src.wallets;
	if (!set || set->n == 0)
		return;
	prom_family(b, name, "gauge", "Balance of each loaded wallet by state (getbalances mine), in CRN.");
	for (size_t i = 0; i < set->n; i++) {
		struct wallet_balances wb;
		wallet_get_balances(set->items[i]->w, &wb);
		int64_t v[3] = { wb.trusted, wb.untrusted_pending, wb.immature };
		for (size_t s = 0; s < 3; s++) {
			struct prom_label l[2] = { { "wallet", set->items[i]->name }, { "state", states[s] } };
			prom_sample_amount(b, name, l, 2, v[s]);
		}
	}
}

void metrics_write(struct metrics *m, struct buf *b)
{
	write_chain(m, b);
	write_mempool(m, b);
	write_p2p(m, b);
	write_rpc(m, b);
	write_timings(m, b);
	write_wallets(m, b);
	if (m->src.events)
		gauge(b, "cairn_event_stream_clients", "Open GET /events streams.", events_clients(m->src.events));
}

static void reply(struct evhttp_request *req, int status, const char *reason, const char *text)
{
	struct evbuffer *body = evbuffer_new();
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
	if (body && text)
		evbuffer_add(body, text, strlen(text));
	evhttp_send_reply(req, status, reason, body);
	if (body)
		evbuffer_free(body);
}

static void serve(void *ctx, struct evhttp_request *req)
{
	struct metrics *m = ctx;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct buf b = BUF_INIT;

	if (!m) {
		reply(req, 404, "Not Found", "metrics are off (-metrics=0)\n");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		reply(req, 405, "Method Not Allowed", NULL);
		return;
	}
	metrics_write(m, &b);
	if (!buf_ok(&b)) {
		buf_release(&b);
		reply(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	struct evbuffer *body = evbuffer_new();
	rpc_server_no_delay(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	if (body)
		evbuffer_add(body, b.data, b.len);
	evhttp_send_reply(req, body ? 200 : 500, body ? "OK" : "Internal Server Error", body);
	if (body)
		evbuffer_free(body);
	buf_release(&b);
}

int metrics_register(struct rpc_server *srv, struct metrics *m, char *err)
{
	bool auth = !rpc_server_loopback_only(srv);
	if (m)
		log_info("metrics at GET /metrics (%s)", auth ? "authenticated" : "loopback only, no authentication");
	return rpc_server_route(srv, "/metrics", "metrics", m ? auth : false, serve, m, err);
}
