#include "node/notify.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "util/hex.h"
#include "util/log.h"

extern char **environ;

struct job {
	char *cmd;
	const char *option; /* "-blocknotify", ... for the log */
};

struct running {
	pid_t pid;
	struct job job;
};

struct notify {
	char *block, *wallet, *asset;
	struct event *sigchld;
	struct job queue[NOTIFY_MAX_QUEUED];
	size_t head, n;
	struct running run[NOTIFY_MAX_RUNNING];
	size_t n_run;
	size_t started, failed, dropped;
};

/* ---- the strings ---- */

char *notify_expand(const char *cmd, const char *letters, const char *const *values)
{
	size_t len = 0;
	for (int pass = 0; pass < 2; pass++) {
		char *out = pass ? malloc(len + 1) : NULL;
		size_t o = 0;
		if (pass && !out)
			return NULL;
		for (const char *p = cmd; *p; p++) {
			const char *hit = p[0] == '%' && p[1] ? strchr(letters, p[1]) : NULL;
			const char *piece = hit ? values[hit - letters] : p;
			size_t n = hit ? strlen(piece) : 1;
			if (pass)
				memcpy(out + o, piece, n);
			o += n;
			p += hit != NULL;
		}
		if (pass) {
			out[o] = '\0';
			return out;
		}
		len = o;
	}
	return NULL;
}

char *notify_shell_quote(const char *s)
{
	size_t n = 2;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* ---- the children ---- */

static void start_queued(struct notify *nt)
{
	while (nt->n && nt->n_run < NOTIFY_MAX_RUNNING) {
		struct job job = nt->queue[nt->head];
		char *argv[] = { "sh", "-c", job.cmd, NULL };
		pid_t pid;
		nt->head = (nt->head + 1) % NOTIFY_MAX_QUEUED;
		nt->n--;
		int rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
		if (rc != 0) {
			log_warn("%s command could not start: %s: %s", job.option, strerror(rc), job.cmd);
			nt->failed++;
			free(job.cmd);
			continue;
		}
		nt->started++;
		nt->run[nt->n_run++] = (struct running){ pid, job };
	}
}

static void reap(struct notify *nt)
{
	for (size_t i = 0; i < nt->n_run;) {
		int status;
		pid_t r = waitpid(nt->run[i].pid, &status, WNOHANG);
		if (r == 0 || (r < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		struct job *job = &nt->run[i].job;
		if (r < 0)
			log_warn("%s command lost: %s: %s", job->option, strerror(errno), job->cmd);
		else if (WIFSIGNALED(status))
			log_warn("%s command killed by signal %d: %s", job->option, WTERMSIG(status), job->cmd);
		else if (WEXITSTATUS(status) != 0)
			log_warn("%s command exited with status %d: %s", job->option, WEXITSTATUS(status), job->cmd);
		if (r < 0 || WIFSIGNALED(status) || WEXITSTATUS(status) != 0)
			nt->failed++;
		free(job->cmd);
		nt->run[i] = nt->run[--nt->n_run];
	}
}

static void on_sigchld(evutil_socket_t fd, short what, void *arg)
{
	struct notify *nt = arg;
	(void)fd;
	(void)what;
	reap(nt);
	start_queued(nt);
}

/* Queues cmd (taken) to run. */
static void submit(struct notify *nt, const char *option, char *cmd)
{
	if (!cmd) {
		log_error("%s command not run: out of memory", option);
		nt->dropped++;
		return;
	}
	if (nt->n == NOTIFY_MAX_QUEUED) {
		if (nt->dropped++ % 100 == 0)
			log_warn("%s command dropped: %d are waiting (%zu dropped so far)", option, NOTIFY_MAX_QUEUED,
				 nt->dropped);
		free(cmd);
		return;
	}
	nt->queue[(nt->head + nt->n) % NOTIFY_MAX_QUEUED] = (struct job){ cmd, option };
	nt->n++;
	start_queued(nt);
}

/* ---- what is told ---- */

void notify_block(struct notify *nt, const uint8_t hash[32])
{
	char hex[65];
	if (!nt || !nt->block)
		return;
	hex_encode(hex, hash, 32);
	const char *values[] = { hex };
	submit(nt, "-blocknotify", notify_expand(nt->block, "s", values));
}

void notify_wallet(struct notify *nt, const char *wallet, const uint8_t txid[32], const uint8_t *block,
		   uint32_t height)
{
	char tx_hex[65], block_hex[65], h[16];
	if (!nt || !nt->wallet)
		return;
	hex_encode(tx_hex, txid, 32);
	if (block)
		hex_encode(block_hex, block, 32);
	snprintf(h, sizeof(h), "%ld", block ? (long)height : -1L);
	char *name = notify_shell_quote(wallet);
	if (!name) {
		submit(nt, "-walletnotify", NULL);
		return;
	}
	const char *values[] = { tx_hex, name, block ? block_hex : "unconfirmed", h };
	submit(nt, "-walletnotify", notify_expand(nt->wallet, "swbh", values));
	free(name);
}

void notify_asset(struct notify *nt, const uint8_t id[32])
{
	char hex[65];
	if (!nt || !nt->asset)
		return;
	hex_encode(hex, id, 32);
	const char *values[] = { hex };
	submit(nt, "-assetnotify", notify_expand(nt->asset, "s", values));
}

void notify_counts(const struct notify *nt, size_t *started, size_t *failed, size_t *dropped)
{
	*started = nt ? nt->started : 0;
	*failed = nt ? nt->failed : 0;
	*dropped = nt ? nt->dropped : 0;
}

/* ---- life cycle ---- */

static char *dup_cmd(const char *s, bool *oom)
{
	if (!s || !*s)
		return NULL;
	char *d = strdup(s);
	*oom |= !d;
	return d;
}

struct notify *notify_new(struct event_base *base, const struct notify_commands *cmds, char *err)
{
	struct notify *nt = calloc(1, sizeof(*nt));
	bool oom = !nt;
	if (nt) {
		nt->block = dup_cmd(cmds->block, &oom);
		nt->wallet = dup_cmd(cmds->wallet, &oom);
		nt->asset = dup_cmd(cmds->asset, &oom);
		/* SIGCHLD ends up here only while a notify command is set */
		if ((nt->block || nt->wallet || nt->asset) &&
		    (!(nt->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, nt)) || event_add(nt->sigchld, NULL) != 0))
			oom = true;
	}
	if (oom) {
		notify_free(nt);
		err_set(err, "cannot set up the notify commands");
		return NULL;
	}
	return nt;
}

void notify_free(struct notify *nt)
{
	if (!nt)
		return;
	if (nt->sigchld) {
		reap(nt);
		event_free(nt->sigchld);
	}
	if (nt->n_run)
		log_info("%zu notify commands still running at shut-down", nt->n_run);
	for (size_t i = 0; i < nt->n_run; i++)
		free(nt->run[i].job.cmd);
	for (size_t i = 0; i < nt->n; i++)
		free(nt->queue[(nt->head + i) % NOTIFY_MAX_QUEUED].cmd);
	free(nt->block);
	free(nt->wallet);
	free(nt->asset);
	free(nt);
}
