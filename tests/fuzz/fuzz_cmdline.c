/* libFuzzer target for options_parse_args, cairnd's command line, and for
 * its precedence over cairn.conf. The command line is the operator's, but
 * a mangled one must give a refusal naming the option, never a crash.
 *
 * The first input byte holds flags: bit 0 has the harness then read a
 * cairn.conf made of the same words (one a line, without the leading
 * dashes), bits 1-2 pick the section read (none, [main], [regtest]). The
 * rest is the words after argv[0], separated by NULs (at most 64).
 *
 * Besides "never crash, never leak": the answer is 0, or -1 with a reason;
 * the same words parse the same way twice; every option reads back
 * through its type's getter; and what the command line set survives the
 * file unchanged (the command line wins; the file may set the others). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/options.h"
#include "util/buf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 64

static const char *const names[] = {
	"help", "version", "datadir", "conf", "regtest", "port", "bind", "listen", "connect", "addnode", "seednode",
	"externalip", "maxconnections", "compactblocks", "bantime", "rpcport", "rpcbind", "rpcallowip", "rpcuser",
	"rpcpassword", "rpcauth", "rpcwhitelist", "rpcwhitelistdefault", "server", "rpcservertimeout",
	"eventsreplay", "eventsmaxclients", "rest", "metrics", "blocknotify", "walletnotify", "assetnotify",
	"eventsclientbuffer", "dbcache", "addressindex", "debug", "printtoconsole", "daemon", "pid", "mine",
	"minethreads", "mineaddress", "maxmempool", "minrelaytxfee", "persistmempool", "txindex", "disablewallet",
	"wallet", "paytxfee", "fallbackfee", "txconfirmtarget", "blockmaxsize", "par", "eventskeepalive",
	"addressindexpause", "handshaketimeout", "pinginterval", "pingtimeout", "stalltimeout", "feelerinterval",
	"blockrelayinterval", "fullrelayslots", "blockrelayslots", "rescanloginterval",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static char path[128];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/cairn-fuzz-cmdline-%ld.conf",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	atexit(remove_file);
	return 0;
}

/* Every option that is set in o and in only, as text through its getter:
 * name=value lines. */
static void snapshot(struct buf *out, const struct options *o, const struct options *only)
{
	for (size_t i = 0; i < N_NAMES; i++) {
		const struct opt_def *d = options_find(names[i]);
		char line[64];
		if (!d || !options_is_set(o, d->name) || !options_is_set(only, d->name))
			continue;
		snprintf(line, sizeof(line), "%s=", d->name);
		buf_put(out, line, strlen(line));
		if (d->type == OPT_LIST) {
			size_t n = 0;
			const char *const *v = options_list(o, d->name, &n);
			if (n > OPT_MAX_VALUES)
				abort();
			for (size_t k = 0; k < n; k++) {
				if (!v[k])
					abort();
				buf_put(out, v[k], strlen(v[k]) + 1);
			}
		} else if (d->type == OPT_INT) {
			snprintf(line, sizeof(line), "%lld", (long long)options_int(o, d->name, -7));
			buf_put(out, line, strlen(line));
		} else if (d->type == OPT_BOOL) {
			buf_put(out, options_bool(o, d->name, false) ? "1" : "0", 1);
		} else {
			const char *s = options_str(o, d->name, NULL);
			if (!s)
				abort();
			buf_put(out, s, strlen(s));
		}
		buf_put(out, "\n", 1);
	}
}

static int parse(struct options *o, int argc, char **argv, char *err)
{
	int r = options_parse_args(o, argc, argv, err);
	if (r != 0 && (r != -1 || err[0] == '\0'))
		abort();
	return r;
}

/* The words as cairn.conf lines: name=value, the dashes dropped. */
static void write_conf(char **argv, int argc)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		w += strspn(w, "-");
		fprintf(f, "%s\n", w);
	}
	if (ferror(f) || fclose(f) != 0)
		abort();
}

static void same(const struct buf *a, const struct buf *b)
{
	if (!buf_ok(a) || !buf_ok(b) || a->len != b->len || (a->len && memcmp(a->data, b->data, a->len) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const nets[] = { NULL, "main", "regtest", NULL };
	char *argv[MAX_WORDS + 1], err[ERR_LEN] = "", err2[ERR_LEN] = "";
	int argc = 1;
	if (size < 1)
		return 0;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	argv[0] = "cairnd";
	for (char *p = text; argc <= MAX_WORDS && p < text + size - 1; p += strlen(p) + 1)
		argv[argc++] = p;

	struct options *o = options_new(), *again = options_new();
	struct buf before = BUF_INIT, twice = BUF_INIT, after = BUF_INIT;
	if (!o || !again)
		goto out;
	int r = parse(o, argc, argv, err);
	if (parse(again, argc, argv, err2) != r || strcmp(err, err2) != 0)
		abort();
	snapshot(&before, o, o);
	snapshot(&twice, again, again);
	same(&before, &twice);
	if (r == 0 && (data[0] & 1)) {
		write_conf(argv, argc);
		err[0] = '\0';
		r = options_read_conf(o, path, true, nets[(data[0] >> 1) & 3], err);
		if (r != 0 && (r != -1 || err[0] == '\0'))
			abort();
		snapshot(&after, o, again); /* again: what the command line alone set */
		same(&before, &after);      /* the file changes none of it */
	}
out:
	buf_release(&before);
	buf_release(&twice);
	buf_release(&after);
	options_free(o);
	options_free(again);
	free(text);
	return 0;
}
