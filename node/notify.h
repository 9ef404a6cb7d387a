/* The notify commands, as Bitcoin Core runs them: -blocknotify on a new
 * best block (%s: its hash), -walletnotify when a wallet transaction is
 * added or confirmed (%s: txid, %w: wallet name, %b: block hash or
 * "unconfirmed", %h: height or -1), and cairn's -assetnotify when an asset
 * is registered, transferred or confirmed (%s: asset id). Each command
 * runs through /bin/sh -c in a child process the loop never waits for:
 * at most NOTIFY_MAX_RUNNING at once, the rest queued up to
 * NOTIFY_MAX_QUEUED and beyond that dropped with a log line. A command
 * that cannot start or exits non-zero is logged. docs/operations.md.
 *
 * What is substituted is hex, a number, or the wallet's name quoted for
 * the shell: never text from a peer. Runs on the loop. */
#ifndef CAIRN_NODE_NOTIFY_H
#define CAIRN_NODE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define NOTIFY_MAX_RUNNING 8
#define NOTIFY_MAX_QUEUED 1000

struct event_base;
struct notify;

struct notify_commands {
	const char *block, *wallet, *asset; /* NULL or "" for none */
};

/* NULL with err when out of memory. */
struct notify *notify_new(struct event_base *base, const struct notify_commands *cmds, char *err) WUR;
/* Forgets the children still running (they finish on their own). Takes
 * NULL. */
void notify_free(struct notify *nt);

void notify_block(struct notify *nt, const uint8_t hash[32]);
/* block NULL (height ignored) for a transaction not yet in a block. */
void notify_wallet(struct notify *nt, const char *wallet, const uint8_t txid[32], const uint8_t *block,
		   uint32_t height);
void notify_asset(struct notify *nt, const uint8_t id[32]);

/* Commands started, failed (did not start or exited non-zero), dropped
 * (queue full) so far; for tests and logs. */
void notify_counts(const struct notify *nt, size_t *started, size_t *failed, size_t *dropped);

/* cmd with every "%c" of the pairs' letters replaced by its value (other
 * '%' sequences kept): a new string, NULL when out of memory. */
char *notify_expand(const char *cmd, const char *letters, const char *const *values);
/* s quoted for /bin/sh ('...' with each ' as '\''): a new string. */
char *notify_shell_quote(const char *s);

#endif
