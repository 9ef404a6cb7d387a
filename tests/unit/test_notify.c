/* The notify commands: substitution, shell quoting, and the bounds on
 * children running and waiting, with real children on a real loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "node/notify.h"

static void test_expand(void **state)
{
	(void)state;
	const char *values[] = { "aa", "w'x", "unconfirmed", "-1" };
	char *s = notify_expand("echo %s %w %b %h %% %q %", "swbh", values);
	assert_string_equal(s, "echo aa w'x unconfirmed -1 %% %q %");
	free(s);
	s = notify_expand("%s%s", "s", values);
	assert_string_equal(s, "aaaa");
	free(s);
	s = notify_expand("", "s", values);
	assert_string_equal(s, "");
	free(s);
}

static void test_quote(void **state)
{
	(void)state;
	char *q = notify_shell_quote("it's $HOME `x`");
	assert_string_equal(q, "'it'\\''s $HOME `x`'");
	free(q);
	q = notify_shell_quote("");
	assert_string_equal(q, "''");
	free(q);
}

static void turn_until(struct event_base *base, struct notify *nt, size_t want_started)
{
	size_t started, failed, dropped;
	for (int i = 0; i < 20000; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		notify_counts(nt, &started, &failed, &dropped);
		if (started >= want_started)
			return;
		usleep(500);
	}
}

/* More commands than may wait: eight run, a thousand wait, the rest are
 * dropped and counted; as children end the waiting ones start. */
static void test_bounds(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	char err[ERR_LEN], path[] = "/tmp/cairn-notify-XXXXXX", cmd[128];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "echo %%s >> %s", path);
	struct notify_commands c = { .block = cmd, .asset = "exit 7" };
	struct notify *nt = notify_new(base, &c, err);
	uint8_t hash[32] = { 0 };
	size_t started, failed, dropped;

	assert_non_null(nt);
	for (int i = 0; i < NOTIFY_MAX_RUNNING + NOTIFY_MAX_QUEUED + 5; i++) {
		hash[0] = (uint8_t)i;
		hash[1] = (uint8_t)(i >> 8);
		notify_block(nt, hash);
	}
	notify_counts(nt, &started, &failed, &dropped);
	assert_int_equal(started, NOTIFY_MAX_RUNNING);
	assert_int_equal(dropped, 5);
	turn_until(base, nt, NOTIFY_MAX_RUNNING + NOTIFY_MAX_QUEUED);
	notify_counts(nt, &started, &failed, &dropped);
	assert_int_equal(started, NOTIFY_MAX_RUNNING + NOTIFY_MAX_QUEUED);

	notify_asset(nt, hash); /* exits 7: counted as failed once reaped */
	for (int i = 0; i < 20000 && failed == 0; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		notify_counts(nt, &started, &failed, &dropped);
		usleep(500);
	}
	assert_int_equal(failed, 1);
	notify_wallet(nt, "w", hash, NULL, 0); /* no -walletnotify: nothing */
	notify_counts(nt, &started, &failed, &dropped);
	assert_int_equal(started, NOTIFY_MAX_RUNNING + NOTIFY_MAX_QUEUED + 1);
	notify_free(nt);
	event_base_free(base);

	/* every line a command wrote is one of the hashes, each once */
	FILE *f = fopen(path, "r");
	char line[80];
	size_t n = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strlen(line) == 65;
	fclose(f);
	unlink(path);
	assert_true(n <= NOTIFY_MAX_RUNNING + NOTIFY_MAX_QUEUED);
	assert_true(n >= NOTIFY_MAX_QUEUED); /* the last few may still be running */
}

static void test_none(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	char err[ERR_LEN];
	struct notify_commands c = { .block = "" };
	struct notify *nt = notify_new(base, &c, err);
	uint8_t hash[32] = { 0 };
	size_t started, failed, dropped;
	assert_non_null(nt);
	notify_block(nt, hash);
	notify_asset(nt, hash);
	notify_counts(nt, &started, &failed, &dropped);
	assert_int_equal(started + failed + dropped, 0);
	notify_free(nt);
	notify_block(NULL, hash);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
