#include "node/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The help text of an option for the regression-test network only. */
#define REGTEST_ONLY "(regtest) "

static bool regtest_only(const struct opt_def *d)
{
	return strncmp(d->help, REGTEST_ONLY, strlen(REGTEST_ONLY)) == 0;
}

static const struct opt_def table[] = {
	{ "help", OPT_BOOL, NULL, "Print this help and exit" },
	{ "version", OPT_BOOL, NULL, "Print the version and exit" },
	{ "datadir", OPT_STR, "~/.cairn", "Data directory" },
	{ "conf", OPT_STR, "cairn.conf", "Config file, relative to the data directory unless absolute" },
	{ "regtest", OPT_BOOL, "0", "Use the regression-test network: trivial proof of work, blocks on demand" },
	{ "port", OPT_INT, "9733, regtest 19733", "Listen for peers on this port" },
	{ "bind", OPT_LIST, "0.0.0.0", "Listen for peers on this address (repeatable)" },
	{ "listen", OPT_BOOL, "1", "Accept inbound peer connections" },
	{ "connect", OPT_LIST, NULL, "Connect only to these peers (repeatable)" },
	{ "addnode", OPT_LIST, NULL, "Add a peer to connect to and keep connected (repeatable)" },
	{ "seednode", OPT_LIST, NULL, "Connect to a peer to learn addresses, then disconnect (repeatable)" },
	{ "externalip", OPT_LIST, NULL,
	  "Announce this address to peers as where to reach the node: IP or IP:PORT, numeric (repeatable)" },
	{ "maxconnections", OPT_INT, "125", "Maximum peer connections, inbound and outbound" },
	{ "compactblocks", OPT_BOOL, "1", "Relay blocks as compact blocks (BIP 152) to peers that take them" },
	{ "bantime", OPT_INT, "86400", "Seconds a misbehaving peer's address stays banned" },
	{ "rpcport", OPT_INT, "9732, regtest 19732", "Listen for JSON-RPC on this port" },
	{ "rpcbind", OPT_LIST, "127.0.0.1", "Listen for JSON-RPC on this address[:port] (repeatable)" },
	{ "rpcallowip", OPT_LIST, "127.0.0.1", "Allow JSON-RPC from this address or subnet (repeatable)" },
	{ "rpcuser", OPT_STR, NULL, "User name for JSON-RPC (with -rpcpassword; else a cookie file)" },
	{ "rpcpassword", OPT_STR, NULL, "Password for JSON-RPC" },
	{ "rpcauth", OPT_LIST, NULL,
	  "A JSON-RPC user as user:salt$hash, hash = HMAC-SHA256 of the password keyed by the salt "
	  "(tools/rpcauth.py prints one; repeatable)" },
	{ "rpcwhitelist", OPT_LIST, NULL,
	  "Restrict a JSON-RPC user to methods: user:method,method (given twice for a user: the methods in both)" },
	{ "rpcwhitelistdefault", OPT_BOOL, "1 when -rpcwhitelist is given",
	  "Users without a whitelist may call nothing (1) or every method (0)" },
	{ "server", OPT_BOOL, "1", "Accept JSON-RPC commands" },
	{ "rpcservertimeout", OPT_INT, "30", "Seconds an RPC client may be idle or slow before it is disconnected" },
	{ "eventsreplay", OPT_INT, "10000", "Events kept for clients of GET /events that reconnect with Last-Event-ID" },
	{ "eventsmaxclients", OPT_INT, "100", "Most GET /events streams open at once" },
	{ "rest", OPT_BOOL, "0",
	  "Serve public chain data at GET /rest/ on the RPC port, without authentication (Bitcoin Core's REST; "
	  "docs/rest.md)" },
	{ "metrics", OPT_BOOL, "0", "Serve Prometheus metrics at GET /metrics on the RPC port (docs/metrics.md)" },
	{ "blocknotify", OPT_STR, NULL, "Run this command when the best block changes, outside initial download (%s: its hash)" },
	{ "walletnotify", OPT_STR, NULL,
	  "Run this command when a wallet transaction is added or confirmed (%s: txid, %w: wallet, %b: block hash or "
	  "'unconfirmed', %h: height or -1)" },
	{ "assetnotify", OPT_STR, NULL, "Run this command when an asset is registered, transferred or confirmed (%s: asset id)" },
	{ "eventsclientbuffer", OPT_INT, "4194304",
	  "Bytes of events a GET /events client may leave unread before it is cut off" },
	{ "dbcache", OPT_INT, "16", "Database cache in MiB" },
	{ "reindex", OPT_BOOL, "0",
	  "Rebuild the chainstate and the block index from the block files (blocks/blk*.dat) at start-up" },
	{ "reindex-chainstate", OPT_BOOL, "0",
	  "Rebuild the chainstate from the block files at start-up, keeping the block index" },
	{ "checkblocks", OPT_INT, "6", "How many blocks to check at start-up (0: all)" },
	{ "checklevel", OPT_INT, "3", "How thorough the start-up check of -checkblocks is (0-4; see verifychain)" },
	{ "addressindex", OPT_BOOL, "0",
	  "Keep an index of every address's amounts and unspent outputs for getaddress* (built in the background "
	  "when enabled on an existing chain; docs/operations.md)" },
	{ "debug", OPT_LIST, NULL, "Log debug lines of a category (net, mempool, rpc, bench, validation, wallet, db, mine, all)" },
	{ "printtoconsole", OPT_BOOL, "0", "Send log lines to the console as well as debug.log" },
	{ "daemon", OPT_BOOL, "0", "Run in the background" },
	{ "pid", OPT_STR, "cairnd.pid", "Process id file, relative to the data directory unless absolute" },
	{ "mine", OPT_BOOL, "0", "Mine blocks continuously (needs -mineaddress)" },
	{ "minethreads", OPT_INT, "1", "Threads for -mine" },
	{ "mineaddress", OPT_STR, NULL, "Address that -mine pays" },
	{ "maxmempool", OPT_INT, "300", "Mempool size limit in MB" },
	{ "minrelaytxfee", OPT_STR, "0.00001", "Lowest fee rate, CRN per 1,000 bytes, to accept or relay a transaction" },
	{ "persistmempool", OPT_BOOL, "1", "Save the mempool at shut-down and load it at start-up" },
	{ "txindex", OPT_BOOL, "1", "Accepted for Bitcoin Core's configurations: the transaction index is always kept" },
	{ "disablewallet", OPT_BOOL, "0", "Do not load any wallet, and offer no wallet RPC methods" },
	{ "wallet", OPT_LIST, "default", "Load the wallet wallets/NAME/ at start, created if missing (repeatable)" },
	{ "paytxfee", OPT_STR, "0", "Fee rate the wallet pays, CRN per 1,000 bytes (0: estimate it)" },
	{ "fallbackfee", OPT_STR, "0",
	  "Fee rate, CRN per 1,000 bytes, the wallet pays when the estimator has too little data (0: refuse to send)" },
	{ "txconfirmtarget", OPT_INT, "6", "Blocks within which the wallet's transactions should confirm, for the fee estimate" },
	{ "blockmaxsize", OPT_INT, "2000000", "Largest block, in bytes, the miner and generatetoaddress build" },
	{ "par", OPT_INT, "0", "Worker threads for signature checks, RPC calls and mining (0: one per core)" },
	/* Hidden from -help and refused outside regtest: timers that tests
	 * shorten (docs/protocol-behaviour.md). */
	{ "eventskeepalive", OPT_INT, "15000", REGTEST_ONLY "Milliseconds between keep-alive comments on an idle event stream" },
	{ "addressindexpause", OPT_INT, "0",
	  REGTEST_ONLY "Milliseconds between slices of the address index's build, one block a slice when set" },
	{ "handshaketimeout", OPT_INT, "60", REGTEST_ONLY "Seconds a peer may take to finish the handshake" },
	{ "pinginterval", OPT_INT, "120", REGTEST_ONLY "Seconds between pings to a peer" },
	{ "pingtimeout", OPT_INT, "1200",
	  REGTEST_ONLY "Seconds a ping may go unanswered, or a peer stay silent, before it is disconnected" },
	{ "stalltimeout", OPT_INT, "2000",
	  REGTEST_ONLY "Milliseconds before the block requests of a peer holding up the download go to others "
		       "(five times as long disconnects it)" },
	{ "feelerinterval", OPT_INT, "120000",
	  REGTEST_ONLY "Milliseconds on average between feeler connections (tests of a new-table address)" },
	{ "blockrelayinterval", OPT_INT, "300000",
	  REGTEST_ONLY "Milliseconds on average between extra block-relay-only peers" },
	{ "fullrelayslots", OPT_INT, "8", REGTEST_ONLY "Outbound full-relay slots (at most 8)" },
	{ "blockrelayslots", OPT_INT, "2", REGTEST_ONLY "Outbound block-relay-only slots (at most 2)" },
	{ "blockfilesize", OPT_INT, "134217728",
	  REGTEST_ONLY "Bytes a block file may reach before the next one is started" },
	{ "rescanloginterval", OPT_INT, "10000",
	  REGTEST_ONLY "Milliseconds between the progress lines a wallet rescan logs (0: one per block)" },
};

#define N_OPTS (sizeof(table) / sizeof(table[0]))

struct values {
	char *v[OPT_MAX_VALUES];
	size_t n;
	bool from_args;
};

struct options {
	struct values vals[N_OPTS];
};

const struct opt_def *options_find(const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

static struct values *slot(const struct options *o, const char *name)
{
	const struct opt_def *d = options_find(name);
	return d ? (struct values *)&o->vals[d - table] : NULL;
}

struct options *options_new(void)
{
	return calloc(1, sizeof(struct options));
}

void options_free(struct options *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < N_OPTS; i++)
		for (size_t j = 0; j < o->vals[i].n; j++)
			free(o->vals[i].v[j]);
	free(o);
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, ""))
		*out = true;
	else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
		*out = false;
	else
		return false;
	return true;
}

static bool parse_int(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return false;
	*out = x;
	return true;
}

/* Sets one option from "name" and its value (NULL when none was given). */
static int set(struct options *o, const char *name, const char *value, bool from_args, const char *where, char *err)
{
	const struct opt_def *d = options_find(name);
	bool negated = false, b = false;
	int64_t i;
	/* -noX negates a boolean X; for any other X it is unknown. */
	const struct opt_def *base = !d && strncmp(name, "no", 2) == 0 ? options_find(name + 2) : NULL;
	if (base && base->type == OPT_BOOL) {
		d = base;
		negated = true;
	}
	if (!d)
		return err_set(err, "%sunknown option '-%s' (see -help)", where, name);
	struct values *s = &o->vals[d - table];
	if (!from_args && s->from_args)
		return 0;
	if (!value)
		value = d->type == OPT_BOOL ? "1" : NULL;
	if (!value)
		return err_set(err, "%soption '-%s' needs a value", where, d->name);
	if (d->type == OPT_BOOL && !parse_bool(value, &b))
		return err_set(err, "%soption '-%s' takes 0 or 1, not '%s'", where, d->name, value);
	if (negated)
		value = b ? "0" : "1";
	if (d->type == OPT_INT && !parse_int(value, &i))
		return err_set(err, "%soption '-%s' takes a whole number, not '%s'", where, d->name, value);
	if (d->type != OPT_LIST) {
		for (size_t j = 0; j < s->n; j++)
			free(s->v[j]);
		s->n = 0;
	}
	if (s->n == OPT_MAX_VALUES)
		return err_set(err, "%soption '-%s' given more than %d times", where, d->name, OPT_MAX_VALUES);
	if (!(s->v[s->n] = strdup(value)))
		return err_set(err, "out of memory");
	s->n++;
	s->from_args = from_args;
	return 0;
}

int options_parse_args(struct options *o, int argc, char *const *argv, char *err)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char name[64];
		if (a[0] != '-' || a[1] == '\0')
			return err_set(err, "unexpected argument '%s': options start with '-'", a);
		a += a[1] == '-' ? 2 : 1;
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		if (len == 0 || len >= sizeof(name))
			return err_set(err, "malformed option '%s'", argv[i]);
		memcpy(name, a, len);
		name[len] = '\0';
		if (!strcmp(name, "h") || !strcmp(name, "?"))
			strcpy(name, "help");
		if (set(o, name, eq ? eq + 1 : NULL, true, "", err) != 0)
			return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* Reading the network's own section is the moment the network is known
 * for good (the command line and the file's top are read by then), so the
 * options that only regtest takes are refused here for any other. */
static int check_network(const struct options *o, const char *network, char *err)
{
	if (!network || strcmp(network, "regtest") == 0)
		return 0;
	for (size_t i = 0; i < N_OPTS; i++)
		if (regtest_only(&table[i]) && o->vals[i].n > 0)
			return err_set(err, "option '-%s' is only for -regtest", table[i].name);
	return 0;
}

int options_read_conf(struct options *o, const char *path, bool required, const char *network, char *err)
{
	FILE *f = fopen(path, "r");
	char line[1024], where[300], section[32] = "";
	int r = 0, no = 0;
	if (!f) {
		if (!required && errno == ENOENT)
			return check_network(o, network, err);
		return err_set(err, "cannot read config file '%s': %s", path, strerror(errno));
	}
	while (r == 0 && fgets(line, sizeof(line), f)) {
		no++;
		snprintf(where, sizeof(where), "%s line %d: ", path, no);
		if (!strchr(line, '\n') && !feof(f)) {
			r = err_set(err, "%sline too long", where);
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end || end[1] || (size_t)(end - s - 1) >= sizeof(section))
				r = err_set(err, "%smalformed section '%s'", where, s);
			else
				snprintf(section, sizeof(section), "%.*s", (int)(end - s - 1), s + 1);
			continue;
		}
		if (network ? strcmp(section, network) != 0 : section[0] != '\0')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			r = err_set(err, "%sexpected name=value, got '%s'", where, s);
			break;
		}
		*eq = '\0';
		char *name = trim(s), *value = trim(eq + 1);
		if (name[0] == '-')
			r = err_set(err, "%swrite '%s' without the dash", where, name);
		else
			r = set(o, name, value, false, where, err);
	}
	fclose(f);
	return r != 0 ? r : check_network(o, network, err);
}

bool options_is_set(const struct options *o, const char *name)
{
	struct values *s = slot(o, name);
	return s && s->n > 0;
}

const char *options_str(const struct options *o, const char *name, const char *def)
{
	struct values *s = slot(o, name);
	return s && s->n ? s->v[s->n - 1] : def;
}

int64_t options_int(const struct options *o, const char *name, int64_t def)
{
	int64_t v;
	const char *s = options_str(o, name, NULL);
	return s && parse_int(s, &v) ? v : def;
}

bool options_bool(const struct options *o, const char *name, bool def)
{
	bool v;
	const char *s = options_str(o, name, NULL);
	return s && parse_bool(s, &v) ? v : def;
}

const char *const *options_list(const struct options *o, const char *name, size_t *n)
{
	struct values *s = slot(o, name);
	*n = s ? s->n : 0;
	return s ? (const char *const *)s->v : NULL;
}

void options_print_help(FILE *out)
{
	fprintf(out, "Usage: cairnd [options]\n\nOptions (-name=value or --name=value; -noname for a false boolean):\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_def *d = &table[i];
		if (regtest_only(d))
			continue;
		const char *arg = d->type == OPT_BOOL ? "" : d->type == OPT_INT ? "=<n>" : "=<value>";
		fprintf(out, "  -%s%s\n      %s", d->name, arg, d->help);
		if (d->def)
			fprintf(out, " (default: %s)", d->def);
		fprintf(out, "\n");
	}
}
