/* Who may call the RPC server, and what: the password of -rpcuser and
 * -rpcpassword or of the cookie file, Bitcoin Core's hashed -rpcauth
 * entries ("user:salt$hash", hash = hex HMAC-SHA256 keyed by the salt's
 * text over the password), and per-user method whitelists (-rpcwhitelist,
 * -rpcwhitelistdefault) with Core's semantics (docs/rpc.md). Secrets are
 * kept only as digests and compared in constant time. */
#ifndef CAIRN_RPC_AUTH_H
#define CAIRN_RPC_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define RPC_AUTH_COOKIE_USER "__cookie__"
#define RPC_AUTH_MAX_USER 256 /* bytes of a user name, with its NUL */

struct rpc_auth_config {
	/* Both set: the credentials. Otherwise a cookie "__cookie__:<64 hex>"
	 * is written to cookie_path (mode 0600) and removed by rpc_auth_free. */
	const char *user;
	const char *password;
	const char *cookie_path;
	const char *const *rpcauth; /* "user:salt$hash" entries */
	size_t n_rpcauth;
	const char *const *whitelist; /* "user:method,method ..." entries */
	size_t n_whitelist;
	/* -rpcwhitelistdefault: 1 or 0; -1 when not given (then it is 1 when
	 * any whitelist is given, as in Core). */
	int whitelist_default;
};

struct rpc_auth;

/* Reads the configuration (writing the cookie when there is no password).
 * NULL with err filled: a malformed entry, a user without a password, the
 * cookie not writable, out of memory. */
struct rpc_auth *rpc_auth_new(const struct rpc_auth_config *cfg, char *err) WUR;
/* Deletes the cookie it wrote and wipes the digests. Takes NULL. */
void rpc_auth_free(struct rpc_auth *a);

/* True when header (an Authorization header's value, NULL when absent)
 * holds Basic credentials that one of the configured ways accepts; user
 * then holds the caller's name. */
bool rpc_auth_check(const struct rpc_auth *a, const char *header, char user[RPC_AUTH_MAX_USER]);

/* True when user may call the request in body (a JSON-RPC object or
 * batch): every method it names is on the user's whitelist, or the user
 * has none and the default allows all. A body that is not JSON passes, so
 * that the dispatcher answers its parse error, as Core does; a batch
 * entry without a string method is refused when the user has a
 * whitelist. On refusal, method names the first method refused (or is
 * empty when the default refuses everything). */
/* True when user may call method (or read the endpoint of that name, such
 * as "events"): it is on the user's whitelist, or the user has none and
 * the default allows all. */
bool rpc_auth_may(const struct rpc_auth *a, const char *user, const char *method);

bool rpc_auth_permits(const struct rpc_auth *a, const char *user, const char *body, size_t len,
		      char *method, size_t method_len);

#endif
