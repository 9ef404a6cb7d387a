#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static struct {
	pthread_mutex_t lock;
	FILE *file;
	bool console;
	bool opened;
} g = { PTHREAD_MUTEX_INITIALIZER, NULL, false, false };

/* The enabled categories: set from the loop (the logging RPC) while
 * workers log, so atomic. */
static atomic_uint debug_mask;

static const struct {
	const char *name;
	enum log_cat cat;
} cats[] = {
	{ "net", LOG_NET }, { "mempool", LOG_MEMPOOL }, { "rpc", LOG_RPC },
	{ "bench", LOG_BENCH }, { "validation", LOG_VALIDATION },
	{ "wallet", LOG_WALLET }, { "db", LOG_DB }, { "mine", LOG_MINE },
	{ "all", LOG_ALL }, { "1", LOG_ALL },
};

int log_open(const char *path, bool console, char *err)
{
	FILE *f = NULL;
	if (path && !(f = fopen(path, "a")))
		return err_set(err, "cannot open '%s': %s", path, strerror(errno));
	pthread_mutex_lock(&g.lock);
	if (g.file)
		fclose(g.file);
	g.file = f;
	g.console = console;
	g.opened = true;
	pthread_mutex_unlock(&g.lock);
	return 0;
}

void log_close(void)
{
	pthread_mutex_lock(&g.lock);
	if (g.file)
		fclose(g.file);
	g.file = NULL;
	g.opened = false;
	pthread_mutex_unlock(&g.lock);
}

static bool find_cat(const char *name, unsigned *out)
{
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
		if (strcmp(cats[i].name, name) == 0) {
			*out = cats[i].cat;
			return true;
		}
	}
	return false;
}

bool log_enable(const char *name)
{
	unsigned c;
	if (!find_cat(name, &c))
		return false;
	atomic_fetch_or(&debug_mask, c);
	return true;
}

bool log_disable(const char *name)
{
	unsigned c;
	if (strcmp(name, "none") == 0 || strcmp(name, "0") == 0)
		c = LOG_ALL;
	else if (!find_cat(name, &c))
		return false;
	atomic_fetch_and(&debug_mask, ~c);
	return true;
}

const char *log_category(size_t i, bool *enabled)
{
	/* the table's real categories come before "all" and "1" */
	if (i >= sizeof(cats) / sizeof(cats[0]) || cats[i].cat == LOG_ALL)
		return NULL;
	if (enabled)
		*enabled = (atomic_load(&debug_mask) & cats[i].cat) != 0;
	return cats[i].name;
}

const char *log_category_names(void)
{
	return "net, mempool, rpc, bench, validation, wallet, db, mine, all";
}

bool log_enabled(enum log_level level, enum log_cat cat)
{
	if (!g.opened)
		return level >= LOG_WARN;
	return level >= LOG_INFO || (atomic_load_explicit(&debug_mask, memory_order_relaxed) & cat);
}

void log_msg(enum log_level level, enum log_cat cat, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warning", "error" };
	if (!log_enabled(level, cat))
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	struct timeval tv;
	struct tm tm;
	char stamp[40];
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

	pthread_mutex_lock(&g.lock);
	if (!g.opened) {
		fprintf(stderr, "%s: %s\n", names[level], line);
	} else {
		const char *lv = level == LOG_INFO ? "" : names[level];
		const char *sep = level == LOG_INFO ? "" : ": ";
		if (g.file) {
			fprintf(g.file, "%s.%03dZ %s%s%s\n", stamp, (int)(tv.tv_usec / 1000), lv, sep, line);
			fflush(g.file);
		}
		if (g.console) {
			fprintf(stdout, "%s.%03dZ %s%s%s\n", stamp, (int)(tv.tv_usec / 1000), lv, sep, line);
			fflush(stdout);
		}
	}
	pthread_mutex_unlock(&g.lock);
}
