/*
 * check_reload: SIGHUP's reload_config (daemon/reload.c) in-process, on a
 * config file in one mkdtemp directory, with the log (stderr) caught in a
 * file. A changed live key is applied and logged as "old -> new"; every
 * other changed key is named, the running config left as it was; the
 * membership keys share one "membership changed" line; an invalid file
 * changes nothing. The cases cover every key of the schema, so a new key
 * cannot be left out of SIGHUP unnoticed; the server group's keys are
 * all restart-only, turning the adapter on or off included.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "electd.h"
#include "log.h"
#include "reload.h"
#include "textfile.h"

#define LOG_MAX 16384 /* bytes of log kept from one reload */

#define MEMBERS "members = (\n" \
    "  { id = \"n1\"; election = \"127.0.0.1:7401\"; " \
    "client = \"127.0.0.1:6401\"; },\n" \
    "  { id = \"n2\"; election = \"127.0.0.1:7402\"; " \
    "client = \"127.0.0.1:6402\"; },\n" \
    "  { id = \"n3\"; election = \"127.0.0.1:7403\"; " \
    "client = \"127.0.0.1:6403\"; }\n);\n"
#define BASE "node_id = \"n1\";\n" MEMBERS

static char dir[64];
static char conf_path[128];
static char log_path[128];
static char logged[LOG_MAX];

/* The running config, as a start would have loaded it. */
static struct config *
start_with(const char *text)
{
	struct config *c = calloc(1, sizeof *c);

	ck_assert_ptr_nonnull(c);
	textfile_write(conf_path, text);
	ck_assert_int_eq(config_load(conf_path, c, NULL, NULL), 0);
	log_init(c->log_level, false);
	return c;
}

/* SIGHUP with text in the file: reload, its log into `logged`. */
static void
hup(struct config *cur, const char *text)
{
	struct electd d;
	int fd, saved;
	ssize_t n;

	textfile_write(conf_path, text);
	memset(&d, 0, sizeof d);
	d.cfg = cur;
	fd = open(log_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	reload_config(&d);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	n = pread(fd, logged, sizeof logged - 1, 0);
	ck_assert_int_ge(n, 0);
	logged[n] = '\0';
	close(fd);
}

static void
assert_logged(const char *what)
{
	ck_assert_msg(strstr(logged, what) != NULL, "no '%s' in the log:\n%s",
	    what, logged);
}

START_TEST(test_unchanged)
{
	struct config *cur = start_with(BASE), before = *cur;

	hup(cur, BASE "# a comment changes nothing\n");
	ck_assert_ptr_null(strstr(logged, "changed"));
	assert_logged("event=reload_done ");
	assert_logged(" applied=none restart_needed=none "
	    "restart_all_nodes=none\n");
	ck_assert_mem_eq(cur, &before, sizeof before);
	free(cur);
}
END_TEST

START_TEST(test_live_log_level)
{
	struct config *cur = start_with(BASE "log_level = \"info\";\n");

	hup(cur, BASE "log_level = \"debug\";\n");
	assert_logged("level=info node=- event=reload_applied key=log_level "
	    "change=\"info -> debug\"\n");
	ck_assert_ptr_null(strstr(logged, "changed"));
	ck_assert_int_eq(cur->log_level, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_DEBUG);
	free(cur);
}
END_TEST

START_TEST(test_live_handoff_on_stop)
{
	struct config *cur = start_with(BASE);

	ck_assert_uint_eq(cur->handoff_on_stop_ms, 600);
	hup(cur, BASE "handoff_on_stop_ms = 0;\n");
	assert_logged("level=info node=- event=reload_applied "
	    "key=handoff_on_stop_ms change=\"600 -> 0\"\n");
	ck_assert_ptr_null(strstr(logged, "changed"));
	ck_assert_uint_eq(cur->handoff_on_stop_ms, 0);
	free(cur);
}
END_TEST

/* The warnings are out before a quieter level hides them. */
START_TEST(test_restart_warned_before_live)
{
	struct config *cur = start_with(BASE);

	hup(cur, BASE "log_level = \"error\";\nhb_interval_ms = 100;\n");
	assert_logged("level=warn node=- event=reload_restart_needed "
	    "key=hb_interval_ms\n");
	ck_assert_int_eq(cur->log_level, LOG_LEVEL_ERROR);
	ck_assert_uint_eq(cur->timing.hb_interval_ms,
	    ELECTOR_HB_INTERVAL_DEFAULT);
	free(cur);
}
END_TEST

/* One restart-only key per case, the text that changes it. */
static const struct {
	const char *path, *line;
} restart[] = {
	{ "listen", "listen = \"0.0.0.0:7401\";" },
	{ "advertise", "advertise = \"10.0.0.1:6401\";" },
	{ "state_dir", "state_dir = \"/srv/e\";" },
	{ "control.path", "control = { path = \"/run/e.sock\"; };" },
	{ "control.mode", "control = { mode = \"0600\"; };" },
	{ "control.group", "control = { group = \"kevy\"; };" },
	{ "control.write_uids", "control = { write_uids = [0]; };" },
	{ "control.write_gids", "control = { write_gids = [5]; };" },
	{ "hb_interval_ms", "hb_interval_ms = 100;" },
	{ "down_after_ms", "down_after_ms = 6000;" },
	{ "election_timeout_ms", "election_timeout_ms = 2000;" },
	{ "election_backoff_ms", "election_backoff_ms = 2000;" },
	{ "election_backoff_jitter_ms", "election_backoff_jitter_ms = 1;" },
	{ "lease_ms", "lease_ms = 1000;" },
	{ "pause_threshold_ms", "pause_threshold_ms = 1000;" },
	{ "initial_role", "initial_role = \"primary\";" },
	{ "never_stand", "never_stand = true;" },
	{ "priority_lag_bytes", "priority_lag_bytes = 100;" },
	{ "max_lag_bytes", "max_lag_bytes = 100;" },
	{ "local_health_timeout_ms", "local_health_timeout_ms = 500;" },
	{ "notify_exec", "notify_exec = \"/bin/true\";" },
	{ "pid_file", "pid_file = \"/run/kevy-electd.pid\";" },
	{ "notify_timeout_ms", "notify_timeout_ms = 5;" },
	{ "http_listen", "http_listen = \"127.0.0.1:9105\";" },
	{ "max_epoch_jump", "max_epoch_jump = 0;" },
	{ "peer_source_check", "peer_source_check = true;" },
	{ "auth_key_file", "auth_key_file = \"/k\";" },
};

START_TEST(test_restart_only)
{
	struct config *cur = start_with(BASE), before = *cur;
	char text[2048], want[256];

	snprintf(text, sizeof text, "%s%s\n", BASE, restart[_i].line);
	hup(cur, text);
	snprintf(want, sizeof want, "level=warn node=- "
	    "event=reload_restart_needed key=%s\n", restart[_i].path);
	assert_logged(want);
	ck_assert_ptr_null(strstr(logged, "membership"));
	ck_assert_mem_eq(cur, &before, sizeof before);
	free(cur);
}
END_TEST

/*
 * The server group: one key per case, changed in a daemon whose adapter
 * is on (SRV_BASE); only that key is named. Restart-only, every one: the
 * adapter's connection and fencing are set up once, at start.
 */
#define SRV "server = { address = \"127.0.0.1:6379\"; "
#define SRV_BASE BASE SRV "};\n"

static const struct {
	const char *path, *text;
} server_restart[] = {
	{ "server.address", BASE "server = { address = "
	  "\"/run/valkey/valkey.sock\"; };\n" },
	{ "server.user", BASE SRV "user = \"elect\"; password_file = "
	  "\"/p\"; };\n" },
	{ "server.password_file", BASE SRV "password_file = \"/p\"; };\n" },
	{ "server.poll_ms", BASE SRV "poll_ms = 100; };\n" },
	{ "server.timeout_ms", BASE SRV "timeout_ms = 500; };\n" },
	{ "server.fence", BASE SRV "fence = \"min-replicas\"; };\n" },
};

/* How often needle occurs in hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay += strlen(needle))
		n++;
	return n;
}

START_TEST(test_server_restart_only)
{
	struct config *cur = start_with(SRV_BASE), before = *cur;
	char want[256];

	ck_assert(cur->server.enabled);
	hup(cur, server_restart[_i].text);
	snprintf(want, sizeof want, "level=warn node=- "
	    "event=reload_restart_needed key=%s\n", server_restart[_i].path);
	assert_logged(want);
	/* server.user needs password_file: both change in that case. */
	ck_assert_int_eq(count(logged, " event=reload_restart_needed "), strcmp(
	    server_restart[_i].path, "server.user") == 0 ? 2 : 1);
	ck_assert_mem_eq(cur, &before, sizeof before);
	free(cur);
}
END_TEST

/* A group added by SIGHUP turns nothing on: the adapter waits a restart. */
START_TEST(test_server_added_needs_restart)
{
	struct config *cur = start_with(BASE), before = *cur;

	hup(cur, SRV_BASE);
	assert_logged("event=reload_restart_needed key=server.address\n");
	ck_assert(!cur->server.enabled);
	ck_assert_mem_eq(cur, &before, sizeof before);
	/* And removed: the running adapter stays. */
	free(cur);
	cur = start_with(SRV_BASE);
	before = *cur;
	hup(cur, BASE);
	assert_logged("event=reload_restart_needed key=server.address\n");
	ck_assert(cur->server.enabled);
	ck_assert_mem_eq(cur, &before, sizeof before);
	free(cur);
}
END_TEST

/*
 * One membership key per case: the whole file, as members is a list.
 * (node_id moves the default listen and advertise too: their own lines.)
 */
static const struct {
	const char *path, *text;
} membership[] = {
	{ "node_id", "node_id = \"n2\";\n" MEMBERS },
	{ "members", "node_id = \"n1\";\nmembers = (\n"
	  "  { id = \"n1\"; election = \"127.0.0.1:7401\"; "
	  "client = \"127.0.0.1:6401\"; }\n);\n" },
	{ "members.[].id", "node_id = \"n1\";\nmembers = (\n"
	  "  { id = \"n1\"; election = \"127.0.0.1:7401\"; "
	  "client = \"127.0.0.1:6401\"; },\n"
	  "  { id = \"n2\"; election = \"127.0.0.1:7402\"; "
	  "client = \"127.0.0.1:6402\"; },\n"
	  "  { id = \"n9\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6403\"; }\n);\n" },
	{ "members.[].election", "node_id = \"n1\";\nmembers = (\n"
	  "  { id = \"n1\"; election = \"127.0.0.1:7401\"; "
	  "client = \"127.0.0.1:6401\"; },\n"
	  "  { id = \"n2\"; election = \"127.0.0.1:7409\"; "
	  "client = \"127.0.0.1:6402\"; },\n"
	  "  { id = \"n3\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6403\"; }\n);\n" },
	{ "members.[].client", "node_id = \"n1\";\nmembers = (\n"
	  "  { id = \"n1\"; election = \"127.0.0.1:7401\"; "
	  "client = \"127.0.0.1:6401\"; },\n"
	  "  { id = \"n2\"; election = \"127.0.0.1:7402\"; "
	  "client = \"127.0.0.1:6409\"; },\n"
	  "  { id = \"n3\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6403\"; }\n);\n" },
	{ "members.[].never_stand,members.[].priority", "node_id = \"n1\";\nmembers = (\n"
	  "  { id = \"n1\"; election = \"127.0.0.1:7401\"; "
	  "client = \"127.0.0.1:6401\"; },\n"
	  "  { id = \"n2\"; election = \"127.0.0.1:7402\"; "
	  "client = \"127.0.0.1:6402\"; never_stand = true; },\n"
	  "  { id = \"n3\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6403\"; }\n);\n" },
	{ "members.[].priority", "node_id = \"n1\";\nmembers = (\n"
	  "  { id = \"n1\"; election = \"127.0.0.1:7401\"; "
	  "client = \"127.0.0.1:6401\"; },\n"
	  "  { id = \"n2\"; election = \"127.0.0.1:7402\"; "
	  "client = \"127.0.0.1:6402\"; priority = 9; },\n"
	  "  { id = \"n3\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6403\"; }\n);\n" },
};

START_TEST(test_membership)
{
	struct config *cur = start_with(BASE), before = *cur;
	char want[256];

	hup(cur, membership[_i].text);
	snprintf(want, sizeof want, "level=warn node=- "
	    "event=reload_membership_changed keys=%s "
	    "action=restart_every_node\n", membership[_i].path);
	assert_logged(want);
	ck_assert_mem_eq(cur, &before, sizeof before);
	free(cur);
}
END_TEST

/* Every key of the schema has its case above, by its reload column. */
START_TEST(test_cases_cover_schema)
{
	const struct config_key *k;
	size_t n, i, j, found;

	k = config_keys(&n);
	for (i = 0; i < n; i++) {
		found = 0;
		if (k[i].reload == CONFIG_RELOAD_RESTART) {
			for (j = 0; j < sizeof restart / sizeof restart[0]; j++)
				found += strcmp(restart[j].path,
				    k[i].path) == 0;
			for (j = 0; j < sizeof server_restart /
			    sizeof server_restart[0]; j++)
				found += strcmp(server_restart[j].path,
				    k[i].path) == 0;
		}
		else if (k[i].reload == CONFIG_RELOAD_MEMBERSHIP)
			for (j = 0; j < sizeof membership /
			    sizeof membership[0]; j++)
				/* A case may change two keys: "a,b". */
				found += strncmp(membership[j].path, k[i].path,
				    strlen(k[i].path)) == 0 &&
				    strchr(",", membership[j].path[
				    strlen(k[i].path)]) != NULL;
		else if (k[i].reload == CONFIG_RELOAD_LIVE)
			found = strcmp(k[i].path, "log_level") == 0 ||
			    strcmp(k[i].path, "handoff_on_stop_ms") == 0;
		else
			found = k[i].kind == CONFIG_KIND_GROUP;
		ck_assert_msg(found == 1, "%s: no reload case in "
		    "tests/check_reload.c", k[i].path);
	}
}
END_TEST

START_TEST(test_invalid_changes_nothing)
{
	struct config *cur = start_with(BASE), before = *cur;

	hup(cur, BASE "log_level = \"debug\";\nhb_interval_ms = -1;\n");
	assert_logged("level=error node=- event=reload_config_error error=\"");
	assert_logged("hb_interval_ms: -1 is out of range");
	assert_logged(" event=reload_refused path=");
	assert_logged(" reason=invalid_config action=nothing_changed\n");
	ck_assert_ptr_null(strstr(logged, "log_level"));
	ck_assert_mem_eq(cur, &before, sizeof before);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_INFO);
	free(cur);
}
END_TEST

static Suite *
reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("sighup");

	tcase_add_test(tc, test_unchanged);
	tcase_add_test(tc, test_live_log_level);
	tcase_add_test(tc, test_live_handoff_on_stop);
	tcase_add_test(tc, test_restart_warned_before_live);
	tcase_add_loop_test(tc, test_restart_only, 0,
	    (int)(sizeof restart / sizeof restart[0]));
	tcase_add_loop_test(tc, test_server_restart_only, 0,
	    (int)(sizeof server_restart / sizeof server_restart[0]));
	tcase_add_test(tc, test_server_added_needs_restart);
	tcase_add_loop_test(tc, test_membership, 0,
	    (int)(sizeof membership / sizeof membership[0]));
	tcase_add_test(tc, test_cases_cover_schema);
	tcase_add_test(tc, test_invalid_changes_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	/* No service manager here: notify_send must stay silent. */
	unsetenv("NOTIFY_SOCKET");
	strcpy(dir, "/tmp/check_reload.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	snprintf(conf_path, sizeof conf_path, "%s/t.conf", dir);
	snprintf(log_path, sizeof log_path, "%s/log", dir);
	sr = srunner_create(reload_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(conf_path);
	unlink(log_path);
	if (rmdir(dir) == -1) {
		perror(dir);
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
