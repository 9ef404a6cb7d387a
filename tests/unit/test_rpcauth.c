/* Who may call the RPC server: -rpcuser/-rpcpassword, the cookie, Bitcoin
 * Core's hashed -rpcauth entries (its own test vector), and per-user
 * whitelists with Core's intersection and default rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "rpc/auth.h"

/* Bitcoin Core's rpc_users.py: user rt, this salt and hash, this password. */
#define RT_AUTH "rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144"
#define RT_PASS "cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="

/* "Basic " + base64(userpass) */
static const char *basic(const char *userpass)
{
	static char h[512];
	memcpy(h, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)h + 6, (const unsigned char *)userpass, (int)strlen(userpass));
	return h;
}

static struct rpc_auth *make(const char *const *auth, size_t n_auth, const char *const *wl, size_t n_wl,
			     int wl_default)
{
	char err[ERR_LEN];
	struct rpc_auth_config cfg = { .user = "u", .password = "p", .rpcauth = auth, .n_rpcauth = n_auth,
				       .whitelist = wl, .n_whitelist = n_wl, .whitelist_default = wl_default };
	struct rpc_auth *a = rpc_auth_new(&cfg, err);
	if (!a)
		fail_msg("%s", err);
	return a;
}

static void test_password_and_rpcauth(void **state)
{
	(void)state;
	const char *auth[] = { RT_AUTH, "rt:salt2$" "0000000000000000000000000000000000000000000000000000000000000000" };
	struct rpc_auth *a = make(auth, 2, NULL, 0, -1);
	char user[RPC_AUTH_MAX_USER];

	assert_true(rpc_auth_check(a, basic("u:p"), user));
	assert_string_equal(user, "u");
	assert_true(rpc_auth_check(a, basic("rt:" RT_PASS), user));
	assert_string_equal(user, "rt");
	assert_false(rpc_auth_check(a, basic("rt:" RT_PASS "x"), user));
	assert_false(rpc_auth_check(a, basic("rt2:" RT_PASS), user));
	assert_false(rpc_auth_check(a, basic("u:q"), user));
	assert_false(rpc_auth_check(a, basic("rt"), user));
	assert_false(rpc_auth_check(a, NULL, user));
	assert_false(rpc_auth_check(a, "Bearer x", user));
	assert_false(rpc_auth_check(a, "Basic !!!!", user));
	rpc_auth_free(a);
}

static void test_rpcauth_malformed(void **state)
{
	(void)state;
	const char *bad[] = {
		"rt93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144",
		"rt:93648e835a54c573682c2eb19f8825357681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144",
		"rt:salt$7681e9c5",
		"rt:salt$zz81e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144",
		":salt$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144",
		"rt:a:b$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144",
		"rt:a$b$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[ERR_LEN] = "";
		struct rpc_auth_config cfg = { .user = "u", .password = "p", .rpcauth = &bad[i], .n_rpcauth = 1,
					       .whitelist_default = -1 };
		assert_null(rpc_auth_new(&cfg, err));
		assert_non_null(strstr(err, "-rpcauth"));
	}
	char err[ERR_LEN] = "";
	struct rpc_auth_config half = { .user = "u", .whitelist_default = -1 };
	assert_null(rpc_auth_new(&half, err));
	assert_non_null(strstr(err, "together"));
	const char *wl = ":getblockcount";
	struct rpc_auth_config badwl = { .user = "u", .password = "p", .whitelist = &wl, .n_whitelist = 1,
					 .whitelist_default = -1 };
	assert_null(rpc_auth_new(&badwl, err));
	assert_non_null(strstr(err, "-rpcwhitelist"));
}

static bool permits(struct rpc_auth *a, const char *user, const char *body, char *method)
{
	return rpc_auth_permits(a, user, body, strlen(body), method, 64);
}

static void test_whitelist(void **state)
{
	(void)state;
	const char *wl[] = { "u:getblockcount, getbestblockhash,help", "u:getblockcount help" };
	struct rpc_auth *a = make(NULL, 0, wl, 2, -1);
	char m[64];

	assert_true(permits(a, "u", "{\"method\":\"getblockcount\"}", m));
	assert_true(permits(a, "u", "{\"method\":\"help\",\"id\":1}", m));
	/* in the first entry only: the intersection drops it */
	assert_false(permits(a, "u", "{\"method\":\"getbestblockhash\"}", m));
	assert_string_equal(m, "getbestblockhash");
	assert_false(permits(a, "u", "[{\"method\":\"help\"},{\"method\":\"stop\"}]", m));
	assert_string_equal(m, "stop");
	assert_false(permits(a, "u", "[{\"method\":\"help\"},{\"id\":1}]", m));
	assert_true(permits(a, "u", "[{\"method\":\"help\"},{\"method\":\"getblockcount\"}]", m));
	/* not JSON, or no method: the dispatcher answers */
	assert_true(permits(a, "u", "{not json", m));
	assert_true(permits(a, "u", "{\"id\":1}", m));
	/* a whitelist given: users without one may call nothing */
	assert_false(permits(a, "other", "{\"method\":\"help\"}", m));
	assert_string_equal(m, "");
	rpc_auth_free(a);

	a = make(NULL, 0, wl, 1, 0);
	assert_true(permits(a, "other", "{\"method\":\"stop\"}", m));
	assert_true(permits(a, "u", "{\"method\":\"getbestblockhash\"}", m));
	rpc_auth_free(a);

	a = make(NULL, 0, NULL, 0, 1);
	assert_false(permits(a, "u", "{\"method\":\"help\"}", m));
	rpc_auth_free(a);

	a = make(NULL, 0, NULL, 0, -1);
	assert_true(permits(a, "u", "{\"method\":\"stop\"}", m));
	rpc_auth_free(a);

	const char *none[] = { "u" }; /* a user named without methods may call none */
	a = make(NULL, 0, none, 1, -1);
	assert_false(permits(a, "u", "{\"method\":\"help\"}", m));
	rpc_auth_free(a);
}

static void test_cookie(void **state)
{
	(void)state;
	char dir[] = "/tmp/cairn-rpcauth-XXXXXX", path[128], text[256], user[RPC_AUTH_MAX_USER], err[ERR_LEN];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.cookie", dir);
	struct rpc_auth_config cfg = { .cookie_path = path, .whitelist_default = -1 };
	struct rpc_auth *a = rpc_auth_new(&cfg, err);
	if (!a)
		fail_msg("%s", err);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_true(rpc_auth_check(a, basic(text), user));
	assert_string_equal(user, RPC_AUTH_COOKIE_USER);
	text[strlen(text) - 1] ^= 1;
	assert_false(rpc_auth_check(a, basic(text), user));
	rpc_auth_free(a);
	assert_int_equal(access(path, F_OK), -1);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_and_rpcauth),
		cmocka_unit_test(test_rpcauth_malformed),
		cmocka_unit_test(test_whitelist),
		cmocka_unit_test(test_cookie),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
