#include "rpc/net_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p2p/banman.h"
#include "rpc/amount.h"
#include "util/clock.h"

#define CLIENT_VERSION 100 /* 0.1.0, as Bitcoin Core numbers versions */
#define SUBVERSION "/cairn:0.1.0/"
#define LOCAL_ADDRESSES_MAX 16 /* LOCALADDR_MAX of the mesh */

static int need_p2p(const struct net_rpc *r, struct rpc_error *e)
{
	if (r->p2p)
		return 0;
	return rpc_error_set(e, RPC_CLIENT_P2P_DISABLED, "Error: Peer-to-peer functionality missing or disabled");
}

static void services_hex(char out[17], uint64_t s)
{
	snprintf(out, 17, "%016llx", (unsigned long long)s);
}

/* ---- peers ---- */

/* Bitcoin Core's bytessent_per_msg: only the commands with traffic. */
static bool add_per_msg(cJSON *o, const char *name, const uint64_t *per)
{
	cJSON *m = cJSON_AddObjectToObject(o, name);
	for (size_t k = 0; m && k <= MSG_N_COMMANDS; k++)
		if (per[k] && !cJSON_AddNumberToObject(m, msg_command_name(k), (double)per[k]))
			return false;
	return m != NULL;
}

static cJSON *peer_json(const void *item)
{
	const struct p2p_peer_info *i = item;
	char svc[17];
	cJSON *o = cJSON_CreateObject();
	services_hex(svc, i->services);
	bool ok = o && cJSON_AddNumberToObject(o, "id", (double)i->id) && cJSON_AddStringToObject(o, "addr", i->addr) &&
		  cJSON_AddStringToObject(o, "services", svc) && cJSON_AddBoolToObject(o, "relaytxes", i->relay_txs) &&
		  cJSON_AddNumberToObject(o, "lastsend", (double)i->last_send) &&
		  cJSON_AddNumberToObject(o, "lastrecv", (double)i->last_recv) &&
		  cJSON_AddNumberToObject(o, "bytessent", (double)i->bytes_sent) &&
		  cJSON_AddNumberToObject(o, "bytesrecv", (double)i->bytes_recv) &&
		  cJSON_AddNumberToObject(o, "conntime", (double)i->conn_time) &&
		  (i->ping_us < 0 || cJSON_AddNumberToObject(o, "pingtime", (double)i->ping_us / 1e6)) &&
		  (i->min_ping_us < 0 || cJSON_AddNumberToObject(o, "minping", (double)i->min_ping_us / 1e6)) &&
		  (i->ping_wait_us < 0 || cJSON_AddNumberToObject(o, "pingwait", (double)i->ping_wait_us / 1e6)) &&
		  cJSON_AddNumberToObject(o, "version", i->version) && cJSON_AddStringToObject(o, "subver", i->subver) &&
		  cJSON_AddBoolToObject(o, "inbound", i->inbound) &&
		  cJSON_AddNumberToObject(o, "startingheight", i->starting_height) &&
		  cJSON_AddNumberToObject(o, "synced_headers", i->synced_headers) &&
		  cJSON_AddNumberToObject(o, "synced_blocks", i->synced_blocks) &&
		  cJSON_AddNumberToObject(o, "blocks_in_flight", (double)i->inflight) &&
		  cJSON_AddNumberToObject(o, "banscore", i->score) &&
		  cJSON_AddNumberToObject(o, "misbehavior_score", i->score) &&
		  cJSON_AddBoolToObject(o, "handshake_complete", i->ready) &&
		  cJSON_AddStringToObject(o, "connection_type", p2p_conn_type_name(i->type)) &&
		  cJSON_AddBoolToObject(o, "bip152_hb_to", i->hb_to) && cJSON_AddBoolToObject(o, "bip152_hb_from", i->hb_from) &&
		  add_per_msg(o, "bytessent_per_msg", i->sent_per_msg) &&
		  add_per_msg(o, "bytesrecv_per_msg", i->recv_per_msg);
	return rpc_json_if(o, ok);
}

static int getpeerinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	struct p2p_peer_info *infos;
	size_t n;
	(void)params;
	if (need_p2p(r, e) != 0)
		return -1;
	if (p2p_peers(r->p2p, &infos, &n) != 0)
		return rpc_oom(e);
	int rc = rpc_result_array(result, infos, n, sizeof(*infos), peer_json, e);
	free(infos);
	return rc;
}

static int getconnectioncount(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	(void)params;
	if (need_p2p(r, e) != 0)
		return -1;
	return rpc_result(result, cJSON_CreateNumber((double)p2p_connection_count(r->p2p, NULL, NULL)), e);
}

/* An address's IP alone, as the RPC prints it: "1.2.3.4" or "::1". */
static void host_text(char host[NET_ADDR_TEXT_LEN], const struct net_addr *a)
{
	char text[NET_ADDR_TEXT_LEN];
	net_addr_to_text(a, text);
	snprintf(host, NET_ADDR_TEXT_LEN, "%s", text);
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = '\0';
	if (host[0] == '[' && strlen(host) > 1 && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
}

/* getnetworkinfo's localaddresses: Bitcoin Core's address, port, score. */
static cJSON *local_addresses_json(struct p2p *p2p)
{
	struct p2p_local_info info[LOCAL_ADDRESSES_MAX];
	size_t n = p2p ? p2p_local_addresses(p2p, info, LOCAL_ADDRESSES_MAX) : 0;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < n; i++) {
		char host[NET_ADDR_TEXT_LEN];
		cJSON *o = cJSON_CreateObject();
		host_text(host, &info[i].addr);
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			cJSON_Delete(arr);
			return NULL;
		}
		if (!cJSON_AddStringToObject(o, "address", host) || !cJSON_AddNumberToObject(o, "port", info[i].addr.port) ||
		    !cJSON_AddNumberToObject(o, "score", info[i].score)) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

/* getnetworkinfo's compactblocks: cairn's own counters of BIP 152 relay. */
static cJSON *compact_json(struct p2p *p2p)
{
	struct p2p_compact_info ci = { 0 };
	if (p2p)
		p2p_compact_info(p2p, &ci);
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddBoolToObject(o, "enabled", ci.enabled) &&
		  cJSON_AddNumberToObject(o, "rebuilt", (double)ci.rebuilt) &&
		  cJSON_AddNumberToObject(o, "from_mempool", (double)ci.from_mempool) &&
		  cJSON_AddNumberToObject(o, "requested", (double)ci.requested) &&
		  cJSON_AddNumberToObject(o, "fallbacks", (double)ci.fallbacks);
	return rpc_json_if(o, ok);
}

static int getnetworkinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	struct mempool_info mi;
	size_t in = 0, out = 0, total = 0;
	char svc[17];
	(void)params;
	services_hex(svc, MSG_NODE_NETWORK);
	mempool_get_info(r->mp, &mi);
	if (r->p2p)
		total = p2p_connection_count(r->p2p, &in, &out);
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddNumberToObject(o, "version", CLIENT_VERSION) &&
		  cJSON_AddStringToObject(o, "subversion", SUBVERSION) &&
		  cJSON_AddNumberToObject(o, "protocolversion", MSG_PROTOCOL_VERSION) &&
		  cJSON_AddStringToObject(o, "localservices", svc) && cJSON_AddBoolToObject(o, "localrelay", true) &&
		  cJSON_AddNumberToObject(o, "timeoffset", 0) &&
		  cJSON_AddBoolToObject(o, "networkactive", r->p2p && p2p_active(r->p2p)) &&
		  cJSON_AddNumberToObject(o, "connections", (double)total) &&
		  cJSON_AddNumberToObject(o, "connections_in", (double)in) &&
		  cJSON_AddNumberToObject(o, "connections_out", (double)out) && cJSON_AddArrayToObject(o, "networks") &&
		  cJSON_AddItemToObject(o, "relayfee", amount_to_json(mi.min_relay_fee)) &&
		  cJSON_AddItemToObject(o, "incrementalfee", amount_to_json(mi.min_relay_fee)) &&
		  cJSON_AddItemToObject(o, "localaddresses", local_addresses_json(r->p2p)) &&
		  cJSON_AddItemToObject(o, "compactblocks", compact_json(r->p2p)) &&
		  cJSON_AddStringToObject(o, "warnings", "");
	return rpc_result_if(result, o, ok, e);
}

/* ---- added nodes, disconnecting ---- */

static int addnode(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	const char *node, *cmd;
	char err[ERR_LEN];
	int code;
	if (rpc_param_str(&node, params, 0, "node", true, e) != 0 || rpc_param_str(&cmd, params, 1, "command", true, e) != 0)
		return -1;
	if (strcmp(cmd, "add") != 0 && strcmp(cmd, "remove") != 0 && strcmp(cmd, "onetry") != 0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Error: Invalid command, expected add, remove or onetry");
	if (need_p2p(r, e) != 0)
		return -1;
	if (p2p_addnode(r->p2p, node, cmd, &code, err) != 0)
		return rpc_error_set(e, code, "%s", err);
	*result = NULL;
	return 0;
}

static cJSON *added_json(const struct p2p_added_info *a)
{
	cJSON *o = cJSON_CreateObject(), *addrs = NULL, *x = NULL;
	bool ok = o && cJSON_AddStringToObject(o, "addednode", a->addr) &&
		  cJSON_AddBoolToObject(o, "connected", a->connected) && (addrs = cJSON_AddArrayToObject(o, "addresses"));
	if (ok && a->connected)
		ok = (x = cJSON_CreateObject()) && cJSON_AddItemToArray(addrs, x) &&
		     cJSON_AddStringToObject(x, "address", a->peer_addr) &&
		     cJSON_AddStringToObject(x, "connected", "outbound");
	return rpc_json_if(o, ok);
}

static int getaddednodeinfo(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	const char *node;
	struct p2p_added_info *a;
	size_t n;
	bool found = false;
	if (rpc_param_str(&node, params, 0, "node", false, e) != 0 || need_p2p(r, e) != 0)
		return -1;
	if (p2p_added(r->p2p, &a, &n) != 0)
		return rpc_oom(e);
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		if (node && strcmp(node, a[i].addr) != 0)
			continue;
		found = true;
		ok = rpc_array_add(arr, added_json(&a[i]));
	}
	free(a);
	if (ok && node && !found) {
		cJSON_Delete(arr);
		return rpc_error_set(e, RPC_CLIENT_NODE_NOT_ADDED, "Error: Node has not been added.");
	}
	return rpc_result_if(result, arr, ok, e);
}

static int disconnectnode(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	const char *addr;
	int64_t id;
	if (rpc_param_str(&addr, params, 0, "address", false, e) != 0 ||
	    rpc_param_int(&id, params, 1, "nodeid", -1, -1, INT64_MAX, e) != 0 || need_p2p(r, e) != 0)
		return -1;
	if ((addr && addr[0] && id >= 0) || ((!addr || !addr[0]) && id < 0))
		return rpc_error_set(e, RPC_INVALID_PARAMS, "Only one of address and nodeid should be provided.");
	size_t n = addr && addr[0] ? p2p_disconnect(r->p2p, addr, 0) : p2p_disconnect(r->p2p, NULL, (uint64_t)id);
	if (n == 0)
		return rpc_error_set(e, RPC_CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes");
	*result = NULL;
	return 0;
}

/* The address as host and port apart, the host without IPv6 brackets. */
static cJSON *node_address_json(const void *item)
{
	const struct net_addr *a = item;
	char host[NET_ADDR_TEXT_LEN];
	host_text(host, a);
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddNumberToObject(o, "time", a->time) &&
		  cJSON_AddNumberToObject(o, "services", (double)a->services) &&
		  cJSON_AddStringToObject(o, "address", host) && cJSON_AddNumberToObject(o, "port", a->port) &&
		  cJSON_AddStringToObject(o, "network", net_addr_is_ipv4(a) ? "ipv4" : "ipv6");
	return rpc_json_if(o, ok);
}

static int getnodeaddresses(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	int64_t count;
	struct net_addr *a;
	size_t n;
	if (rpc_param_int(&count, params, 0, "count", 1, INT64_MIN, INT64_MAX, e) != 0 || need_p2p(r, e) != 0)
		return -1;
	if (count < 0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Address count out of range");
	if (p2p_node_addresses(r->p2p, &a, &n, (size_t)count) != 0)
		return rpc_oom(e);
	int rc = rpc_result_array(result, a, n, sizeof(*a), node_address_json, e);
	free(a);
	return rc;
}

static int setnetworkactive(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	const cJSON *v = rpc_param(params, 0);
	if (!v)
		return rpc_error_set(e, RPC_INVALID_PARAMS, "Missing required parameter 'state'");
	if (!cJSON_IsBool(v))
		return rpc_error_set(e, RPC_TYPE_ERROR, "Invalid state: expected a boolean");
	if (need_p2p(r, e) != 0)
		return -1;
	p2p_set_active(r->p2p, cJSON_IsTrue(v));
	return rpc_result(result, cJSON_CreateBool(p2p_active(r->p2p)), e);
}

/* Unix time in milliseconds, as Bitcoin Core's getnettotals reports it. */
static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int getnettotals(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	uint64_t sent = 0, recv = 0;
	(void)params;
	if (need_p2p(r, e) != 0)
		return -1;
	p2p_totals(r->p2p, &sent, &recv);
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddNumberToObject(o, "totalbytesrecv", (double)recv) &&
		  cJSON_AddNumberToObject(o, "totalbytessent", (double)sent) &&
		  cJSON_AddNumberToObject(o, "timemillis", (double)wall_ms());
	return rpc_result_if(result, o, ok, e);
}

/* ---- bans ---- */

static int setban(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	const char *subnet, *cmd;
	int64_t bantime;
	bool absolute;
	char err[ERR_LEN];
	struct ban_subnet s;
	if (rpc_param_str(&subnet, params, 0, "subnet", true, e) != 0 ||
	    rpc_param_str(&cmd, params, 1, "command", true, e) != 0 ||
	    rpc_param_int(&bantime, params, 2, "bantime", 0, 0, INT64_MAX / 4, e) != 0 ||
	    rpc_param_bool(&absolute, params, 3, "absolute", false, e) != 0)
		return -1;
	if (strcmp(cmd, "add") != 0 && strcmp(cmd, "remove") != 0)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Error: Invalid command, expected add or remove");
	if (need_p2p(r, e) != 0)
		return -1;
	if (banman_parse(&s, subnet, err) != 0)
		return rpc_error_set(e, RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet");
	*result = NULL;
	if (strcmp(cmd, "remove") == 0) {
		if (p2p_unban(r->p2p, subnet, err) != 0)
			return rpc_error_set(e, RPC_CLIENT_INVALID_IP_OR_SUBNET,
					     "Error: Unban failed. Requested address/subnet was not previously manually banned.");
		return 0;
	}
	if (p2p_is_banned_subnet(r->p2p, subnet))
		return rpc_error_set(e, RPC_CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned");
	uint64_t now = clock_now();
	uint64_t until = absolute ? (uint64_t)bantime : now + (uint64_t)(bantime ? bantime : p2p_bantime(r->p2p));
	if (until <= now)
		return rpc_error_set(e, RPC_INVALID_PARAMETER, "Error: Absolute timestamp is in the past");
	if (p2p_ban(r->p2p, subnet, until, err) != 0)
		return rpc_error_set(e, RPC_MISC_ERROR, "Cannot ban: %s", err);
	return 0;
}

static int listbanned(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	struct banman_item *items;
	size_t n;
	(void)params;
	if (need_p2p(r, e) != 0)
		return -1;
	if (banman_list(p2p_banman(r->p2p), clock_now(), &items, &n) != 0)
		return rpc_oom(e);
	cJSON *arr = cJSON_CreateArray();
	bool ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		ok = o && cJSON_AddItemToArray(arr, o) && cJSON_AddStringToObject(o, "address", items[i].text) &&
		     cJSON_AddNumberToObject(o, "ban_created", (double)items[i].ban_created) &&
		     cJSON_AddNumberToObject(o, "banned_until", (double)items[i].banned_until) &&
		     cJSON_AddNumberToObject(o, "ban_duration", (double)items[i].ban_duration) &&
		     cJSON_AddNumberToObject(o, "time_remaining", (double)items[i].time_remaining);
	}
	free(items);
	return rpc_result_if(result, arr, ok, e);
}

static int clearbanned(void *ctx, const cJSON *params, cJSON **result, struct rpc_error *e)
{
	struct net_rpc *r = ctx;
	(void)params;
	if (need_p2p(r, e) != 0)
		return -1;
	banman_clear(p2p_banman(r->p2p));
	*result = NULL;
	return 0;
}

/* Every method here answers -31 when the node runs without -listen and
 * peers (need_p2p). */
#define PEER                                                                                                   \
	"{id:int,addr:str,services:hex,relaytxes:bool,lastsend:int,lastrecv:int,bytessent:int,bytesrecv:int,"   \
	"conntime:int,pingtime?:num,minping?:num,pingwait?:num,version:int,subver:str,inbound:bool,"            \
	"startingheight:int,synced_headers:int,synced_blocks:int,blocks_in_flight:int,banscore:int,"            \
	"misbehavior_score:int,handshake_complete:bool,connection_type:str,bip152_hb_to:bool,"                 \
	"bip152_hb_from:bool,bytessent_per_msg:{*:int},"                                                        \
	"bytesrecv_per_msg:{*:int}}"

static const struct rpc_method net_methods[] = {
	{ "getpeerinfo", "network", "", "Returns data about each connected peer.", getpeerinfo, "[" PEER "]", "-31" },
	{ "getconnectioncount", "network", "", "Returns the number of connections to other nodes.", getconnectioncount,
	  "int", "-31" },
	{ "getnetworkinfo", "network", "", "Returns the state of the node's networking.", getnetworkinfo,
	  "{version:int,subversion:str,protocolversion:int,localservices:hex,localrelay:bool,timeoffset:int,"
	  "networkactive:bool,connections:int,connections_in:int,connections_out:int,networks:[],relayfee:amount,"
	  "incrementalfee:amount,localaddresses:[{address:str,port:int,score:int}],warnings:str,"
	  "compactblocks:{enabled:bool,rebuilt:int,from_mempool:int,requested:int,fallbacks:int}}",
	  NULL },
	{ "addnode", "network",
	  "node:str (host:port) command:'add'|'remove'|'onetry' (keep connected, forget, or connect once)",
	  "Adds a node to keep connected (add), removes it (remove) or connects to it once (onetry).", addnode, "null",
	  "-31 -23 -24" },
	{ "getaddednodeinfo", "network", "[node:str (only this added node)]",
	  "Returns the added nodes and whether they are connected.", getaddednodeinfo,
	  "[{addednode:str,connected:bool,addresses:[{address:str,connected:'outbound'}]}]", "-31 -24" },
	{ "disconnectnode", "network",
	  "[address:str (the peer's host:port)] [nodeid:int (the peer's id; give one of the two)]",
	  "Disconnects a peer by address or by id.", disconnectnode, "null", "-31 -29" },
	{ "getnodeaddresses", "network", "[count:int=1 (how many; 0: all)]",
	  "Returns known addresses of the mesh (count 0: all).", getnodeaddresses,
	  "[{time:int,services:int,address:str,port:int,network:'ipv4'|'ipv6'}]", "-31" },
	{ "setnetworkactive", "network", "state:bool (false: disconnect and stay so; true: resume)",
	  "Disables or enables all peer-to-peer network activity.", setnetworkactive, "bool", "-31" },
	{ "getnettotals", "network", "", "Returns the bytes sent and received since start.", getnettotals,
	  "{totalbytesrecv:int,totalbytessent:int,timemillis:int}", "-31" },
	{ "setban", "network",
	  "subnet:str (an IP or subnet: 10.0.0.0/8) command:'add'|'remove' (ban or unban) "
	  "[bantime:int=0 (seconds; 0: the default -bantime)] [absolute:bool=false (bantime is a unix time)]",
	  "Adds or removes an IP/subnet from the ban list (bantime seconds, or an absolute unix time).", setban, "null",
	  "-31 -30 -23 -1" },
	{ "listbanned", "network", "", "Lists the banned IPs and subnets.", listbanned,
	  "[{address:str,ban_created:int,banned_until:int,ban_duration:int,time_remaining:int}]", "-31" },
	{ "clearbanned", "network", "", "Clears the ban list.", clearbanned, "null", "-31" },
};

int net_rpc_register(struct rpc_server *srv, struct net_rpc *r, char *err)
{
	return rpc_server_add_methods(srv, net_methods, sizeof(net_methods) / sizeof(net_methods[0]), r, err);
}
