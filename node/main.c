/* cairnd: a cairn full node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "node/node.h"

/* -daemon: the child reports through a pipe whether start-up worked, so the
 * parent can exit with the right status and message. */
static int daemonize(int *report_fd)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char buf[512];
		close(fds[1]);
		ssize_t k = read(fds[0], buf, sizeof(buf) - 1);
		if (k > 0 && buf[0] == '0')
			exit(0);
		if (k > 1) {
			buf[k] = '\0';
			fprintf(stderr, "%s", buf + 1);
		}
		exit(1);
	}
	close(fds[0]);
	setsid();
	*report_fd = fds[1];
	return 0;
}

static void report(int fd, const char *err)
{
	if (fd < 0)
		return;
	char buf[512];
	int n = err ? snprintf(buf, sizeof(buf), "1Error: %s\n", err) : snprintf(buf, sizeof(buf), "0");
	if (write(fd, buf, (size_t)n) < 0) {
		/* the parent is gone: nothing left to tell */
	}
	close(fd);
}

int main(int argc, char **argv)
{
	char err[ERR_LEN] = "";
	struct options *opts = options_new();
	struct node n;
	int report_fd = -1;
	/* As Bitcoin Core: whatever the node creates (the wallet's and the
	 * chain's database files, logs, the cookie) is its user's alone. */
	umask(077);
	if (!opts || options_parse_args(opts, argc, argv, err) != 0) {
		fprintf(stderr, "Error: %s\n", opts ? err : "out of memory");
		options_free(opts);
		return 1;
	}
	if (options_bool(opts, "help", false)) {
		options_print_help(stdout);
		options_free(opts);
		return 0;
	}
	if (options_bool(opts, "version", false)) {
		printf("cairnd version 0.1.0\n");
		options_free(opts);
		return 0;
	}
	if (options_bool(opts, "daemon", false) && daemonize(&report_fd) != 0) {
		fprintf(stderr, "Error: cannot run in the background\n");
		options_free(opts);
		return 1;
	}
	if (node_start(&n, opts, err) != 0) {
		fprintf(stderr, "Error: %s\n", err);
		report(report_fd, err);
		node_stop(&n);
		options_free(opts);
		return 1;
	}
	report(report_fd, NULL);
	if (report_fd >= 0) {
		/* Detach from the terminal only once start-up is reported. */
		if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr)) {
			/* keep going: the log file still works */
		}
	}
	node_run(&n);
	node_stop(&n);
	options_free(opts);
	return 0;
}
