/* libFuzzer target for options_read_conf, the reader of cairn.conf: the
 * file is the operator's, but a damaged or hand-mangled one must give a
 * line-numbered refusal, never a crash. The input goes to a file per run.
 *
 * The first input byte holds flags: bits 0-1 pick the section read (none,
 * [main], [regtest]), bit 2 sets -port and -connect on the command line
 * first (the file must leave those alone), bit 3 makes the file required.
 * The rest is the file.
 *
 * Besides "never crash, never leak": the answer is 0, or -1 with a reason;
 * what the command line gave survives either way; every option the file
 * set reads back through the getters. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/options.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[128];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/cairn-fuzz-conf-%ld.conf",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	atexit(remove_file);
	return 0;
}

/* Reads every option the file may have set through its type's getter. */
static void read_back(const struct options *o)
{
	static const char *const names[] = { "port", "connect", "addnode", "datadir", "regtest", "listen",
					     "rpcport", "rpcallowip", "par", "paytxfee", "maxconnections", "debug", "pingtimeout" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct opt_def *d = options_find(names[i]);
		size_t n = 0;
		if (!d)
			continue;
		if (d->type == OPT_LIST) {
			const char *const *v = options_list(o, d->name, &n);
			for (size_t k = 0; k < n; k++)
				if (!v[k])
					abort();
		} else if (d->type == OPT_INT) {
			(void)options_int(o, d->name, 0);
		} else if (d->type == OPT_BOOL) {
			(void)options_bool(o, d->name, false);
		} else {
			(void)options_str(o, d->name, NULL);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const nets[] = { NULL, "main", "regtest", NULL };
	char *const args[] = { "cairnd", "-port=1234", "-connect=10.0.0.1" };
	char err[ERR_LEN] = "";
	if (size < 1)
		return 0;
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
		abort();
	struct options *o = options_new();
	if (!o)
		return 0;
	bool from_args = data[0] & 4;
	if (from_args && options_parse_args(o, 3, args, err) != 0)
		abort();
	int r = options_read_conf(o, path, data[0] & 8, nets[data[0] & 3], err);
	if (r != 0 && (r != -1 || err[0] == '\0'))
		abort();
	if (from_args) {
		size_t n = 0;
		const char *const *c = options_list(o, "connect", &n);
		if (options_int(o, "port", 0) != 1234 || n != 1 || strcmp(c[0], "10.0.0.1") != 0)
			abort();
	}
	read_back(o);
	options_free(o);
	return 0;
}
