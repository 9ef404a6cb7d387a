/* The pure parts of cairn-cli, apart from its main so they can be tested:
 * option parsing, where the credentials come from, turning command-line
 * words into JSON params, reading the server's reply, and what gets
 * printed. No I/O here except reading the cookie file. */
#ifndef CAIRN_RPC_CLIARGS_H
#define CAIRN_RPC_CLIARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "util/err.h"

#define CLIARGS_MAIN_PORT 9732
#define CLIARGS_REGTEST_PORT 19732
#define CLIARGS_PATH_LEN 4096
#define CLIARGS_FIELD_LEN 256
#define CLIARGS_DEFAULT_CLIENT_TIMEOUT 900 /* seconds, Bitcoin Core's */

struct cliargs {
	char datadir[CLIARGS_PATH_LEN];		/* -datadir, default $HOME/.cairn */
	bool regtest;				/* -regtest */
	char rpcconnect[CLIARGS_FIELD_LEN];	/* -rpcconnect, default 127.0.0.1 */
	uint16_t rpcport;			/* -rpcport; 0: the network's default */
	char rpcuser[CLIARGS_FIELD_LEN];	/* -rpcuser */
	char rpcpassword[CLIARGS_FIELD_LEN];	/* -rpcpassword */
	char rpcwallet[CLIARGS_FIELD_LEN];	/* -rpcwallet; empty: none */
	bool rpcwait;				/* -rpcwait */
	int rpcwaittimeout;			/* -rpcwaittimeout seconds; 0: forever */
	int rpcclienttimeout;			/* -rpcclienttimeout seconds; 0: none */
	bool named;				/* -named */
	bool use_stdin;				/* -stdin */
	bool getinfo;				/* -getinfo */
	bool help;				/* -help, -h, -? */
	int first;	/* argv index of METHOD, the first word that is no option (argc if none) */
};

/* Parses the options in argv[1..] up to the first word that does not start
 * with '-'. Both -x and --x are accepted; booleans take no value or =0/=1.
 * home is $HOME for the default data directory (NULL: "."). Returns 0, or -1
 * with err filled (unknown option, bad number, value too long); *out is
 * zeroed first and holds defaults for what was not given. */
int cliargs_parse(struct cliargs *out, int argc, char *const *argv, const char *home,
		  char *err) WUR;

/* The port to connect to: -rpcport, else the network's default. */
uint16_t cliargs_port(const struct cliargs *a);

/* The HTTP path a call goes to: "/", or with -rpcwallet=NAME the wallet
 * endpoint "/wallet/NAME" with NAME percent-encoded (all but letters,
 * digits and -._~), as bitcoin-cli sends it. Returns 0, or -1 with err
 * filled when it does not fit in len. */
int cliargs_uri_path(char *out, size_t len, const struct cliargs *a, char *err) WUR;

/* "<datadir>/.cookie" or "<datadir>/regtest/.cookie". Returns 0, or -1 with
 * err filled when it does not fit in len. */
int cliargs_cookie_path(char *out, size_t len, const struct cliargs *a, char *err) WUR;

/* "user:password" for Basic authentication: -rpcuser/-rpcpassword when
 * -rpcpassword is given, else the cookie file's content. Returns 0, or -1
 * with err filled and out emptied (no cookie, unreadable, malformed). */
int cliargs_credentials(char *out, size_t len, const struct cliargs *a, char *err) WUR;

/* One command-line word as a JSON value: the JSON it spells when it is
 * valid JSON (numbers kept as their exact text, true, false, null, objects,
 * arrays, "quoted"), else the word as a string. NULL when out of memory. */
cJSON *cliargs_value(const char *word);

/* The params of a call: an array of cliargs_value of each word, or with
 * named an object from "name=value" words. Returns 0 with *out set (caller
 * frees), or -1 with err filled and *out NULL (a word without '=' or with an
 * empty name under named, out of memory). */
int cliargs_params(cJSON **out, char *const *words, size_t n, bool named, char *err) WUR;

/* The JSON-RPC 2.0 request text for method and params (borrowed). Caller
 * frees with free(); NULL when out of memory. */
char *cliargs_request(const char *method, const cJSON *params, int id);

/* Reads a reply body. Numbers in it keep the text the server sent (as
 * cJSON_Raw items), so 50.00000000 prints as 50.00000000. Returns
 *   0  with *result set (caller frees; JSON null when the result was null),
 *   1  for an error reply, with *code and *message set (caller frees),
 *  -1  when the body is no JSON-RPC reply, with err filled.
 * Outputs not named for a case are NULL / 0. */
int cliargs_reply(cJSON **result, int *code, char **message, const char *body, size_t len,
		  char *err) WUR;

/* What cairn-cli prints for a result: a string bare, null as "" (nothing),
 * anything else as JSON indented by two spaces, one member per line, as
 * bitcoin-cli prints it. Caller frees; NULL when out of memory. */
char *cliargs_format(const cJSON *result);

/* The -getinfo summary from the results of getblockchaininfo,
 * getnetworkinfo, getconnectioncount, getmempoolinfo and getbalance, any of
 * which may be NULL (that line is left out). The verification progress is
 * capped at blocks/headers and drawn as a bar (cliargs_progress_bar) while
 * initialblockdownload is true or the progress is below 99 %. Caller frees; NULL when out of
 * memory. */
char *cliargs_getinfo(const cJSON *chain, const cJSON *network, const cJSON *connections,
		      const cJSON *mempool, const cJSON *balance);

/* The -getinfo progress bar: CLIARGS_BAR_CELLS cells of 5 % each, the
 * first floor(progress * 20) of them '\u2592' and the rest '\u2591' (UTF-8,
 * three bytes a cell), NUL-terminated. progress is clamped to [0, 1]. */
#define CLIARGS_BAR_CELLS 20
#define CLIARGS_BAR_LEN (3 * CLIARGS_BAR_CELLS + 1)
void cliargs_progress_bar(char out[CLIARGS_BAR_LEN], double progress);

/* The text of -help. */
const char *cliargs_usage(void);

/* The value of a number item of a reply, which cliargs keeps as the
 * server's text (a raw item) or as a number; false for anything else. */
bool cliargs_number(const cJSON *v, double *out);

#endif
