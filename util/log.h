/* Logging with levels and categories. Until log_open() is called, lines go
 * to stderr at LOG_WARN and above only, so tests and tools stay quiet. */
#ifndef CAIRN_UTIL_LOG_H
#define CAIRN_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Categories for --debug=NAME; LOG_GENERAL lines are never filtered out at
 * LOG_INFO and above. */
enum log_cat {
	LOG_GENERAL = 0,
	LOG_NET = 1 << 0,
	LOG_MEMPOOL = 1 << 1,
	LOG_RPC = 1 << 2,
	LOG_BENCH = 1 << 3,
	LOG_VALIDATION = 1 << 4,
	LOG_WALLET = 1 << 5,
	LOG_DB = 1 << 6,
	LOG_MINE = 1 << 7,
	LOG_ALL = 0xffff,
};

/* Opens path for appending (NULL: no file), echoing to stdout when console.
 * Returns 0, or -1 with err filled. */
int log_open(const char *path, bool console, char *err) WUR;
void log_close(void);
/* Enables debug lines of the named category ("net", "all", ...); false when
 * the name is unknown. */
bool log_enable(const char *name);
/* Turns the named category's debug lines off ("none" or "0": all of them);
 * false when the name is unknown. */
bool log_disable(const char *name);
/* The i-th category (from 0; "all" is not one): its name and in *enabled
 * (may be NULL) whether its debug lines are on; NULL past the last. */
const char *log_category(size_t i, bool *enabled);
/* The comma-separated list of category names, for --help. */
const char *log_category_names(void);
bool log_enabled(enum log_level level, enum log_cat cat);
void log_msg(enum log_level level, enum log_cat cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(cat, ...) do { if (log_enabled(LOG_DEBUG, cat)) log_msg(LOG_DEBUG, cat, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_INFO, LOG_GENERAL, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, LOG_GENERAL, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, LOG_GENERAL, __VA_ARGS__)

#endif
