/* The single-file wallet format: one `wallet.dat`, mode 0600, replaced
 * atomically (a fresh `wallet.dat.tmp`, fsync, rename over the old file,
 * fsync of the folder) so that a crash at any instant leaves the old or the
 * new file, never a torn one. Earlier versions kept the wallet this way;
 * now it is what backupwallet writes and what a wallet is migrated from
 * (the byte layout is in docs/wallet.md). An encrypted image writes its
 * sealed block, never its secrets. Not thread-safe. */
#ifndef CAIRN_WALLET_WFILE_H
#define CAIRN_WALLET_WFILE_H

#include <stdint.h>

#include "util/err.h"
#include "wallet/wstore.h"

/* Reads path into s (initialised by the call). A leftover `path.tmp` of an
 * interrupted save is removed first. Returns 0, or -1 with s released and
 * err filled when the file is missing, unreadable, of another network or
 * version, truncated or damaged (checksum). An encrypted file loads
 * without its secrets. */
int wfile_load(struct wstore *s, const char *path, const uint8_t net[4], char *err) WUR;
/* Writes s atomically to path with mode 0600: path.tmp (O_EXCL), fsync,
 * rename, fsync of the folder. Returns 0, or -1 with err filled and the old
 * file untouched. */
int wfile_save(const struct wstore *s, const char *path, char *err) WUR;

#endif
