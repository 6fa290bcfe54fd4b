/*
 * check_config: daemon/config.c and config_schema.c on real files written
 * into one mkdtemp directory (each test overwrites its t.conf). Every error class must come out
 * as "file:line: key: problem" with the right line and key, all problems
 * of a file must be reported in one load, and a load with any error must
 * leave the caller's struct config untouched. Runs from the repository
 * root: the shipped conf/kevy-electd.conf, docs/reference/configuration.md and
 * man/kevy-electd.conf.5 are checked against the schema, so none can
 * drift from it; the schema rows are checked against themselves (a field
 * of the size the kind needs, a reload column, live keys with an apply
 * hook) and config_key_same, which SIGHUP uses, key by key.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "textfile.h"

#define REPORTS_MAX 64
#define MSG_MAX 1400

static char dir[64];
static char conf_path[128];

static struct {
	int n, errors, warnings;
	bool is_error[REPORTS_MAX];
	char msg[REPORTS_MAX][MSG_MAX];
} rep;

static void
collect(void *ctx, bool is_error, const char *msg)
{
	(void)ctx;
	if (is_error)
		rep.errors++;
	else
		rep.warnings++;
	if (rep.n < REPORTS_MAX) {
		rep.is_error[rep.n] = is_error;
		snprintf(rep.msg[rep.n], MSG_MAX, "%s", msg);
		rep.n++;
	}
}

static void
setup(void)
{
	memset(&rep, 0, sizeof rep);
}

/*
 * Emptied by main after the run, not per test: a failing test's child
 * exits without its teardown, and the directory must go all the same.
 */
static int
remove_dir(void)
{
	struct dirent *de;
	char sub[256];
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
		unlink(sub);
	}
	closedir(d);
	return rmdir(dir);
}

/* Write text as t.conf and load it; the reports land in rep. */
static int
load(const char *text, struct config *out)
{
	textfile_write(conf_path, text);
	memset(&rep, 0, sizeof rep);
	return config_load(conf_path, out, collect, NULL);
}

/* 1-based line of the first occurrence of needle in text. */
static int
line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	int line = 1;

	ck_assert_msg(p != NULL, "'%s' not in the config", needle);
	for (; text < p; text++)
		if (*text == '\n')
			line++;
	return line;
}

static void
dump(void)
{
	for (int i = 0; i < rep.n; i++)
		fprintf(stderr, "  %s %s\n", rep.is_error[i] ? "E" : "W",
		    rep.msg[i]);
}

/* A report "file:line: key: ...frag..." (line 0: "file: key: ..."). */
static bool
has(bool is_error, const char *file, int line, const char *key,
    const char *frag)
{
	char prefix[512];

	if (line > 0)
		snprintf(prefix, sizeof prefix, "%s:%d: %s: ", file, line, key);
	else
		snprintf(prefix, sizeof prefix, "%s: %s: ", file, key);
	for (int i = 0; i < rep.n; i++)
		if (rep.is_error[i] == is_error &&
		    strncmp(rep.msg[i], prefix, strlen(prefix)) == 0 &&
		    strstr(rep.msg[i] + strlen(prefix), frag) != NULL)
			return true;
	dump();
	return false;
}

#define ASSERT_ERROR(line, key, frag) \
	ck_assert_msg(has(true, conf_path, (line), (key), (frag)), \
	    "no error %d %s %s", (line), (key), (frag))
#define ASSERT_WARNING(line, key, frag) \
	ck_assert_msg(has(false, conf_path, (line), (key), (frag)), \
	    "no warning %d %s %s", (line), (key), (frag))

#define M1 "  { id = \"n1\"; election = \"127.0.0.1:7401\"; " \
	   "client = \"127.0.0.1:6401\"; },\n"
#define M2 "  { id = \"n2\"; election = \"127.0.0.1:7402\"; " \
	   "client = \"127.0.0.1:6402\"; },\n"
#define M3 "  { id = \"n3\"; election = \"127.0.0.1:7403\"; " \
	   "client = \"127.0.0.1:6403\"; }\n"
#define BASE "node_id = \"n1\";\nmembers = (\n" M1 M2 M3 ");\n"

/* ---- good configs ---- */

START_TEST(test_example)
{
	struct elector_timing t;
	struct config c;

	elector_timing_defaults(&t);
	ck_assert_int_eq(elector_timing_check(&t, NULL, 0), 0);
	ck_assert_uint_gt(t.lease_ms, 0);
	ck_assert_uint_gt(t.pause_threshold_ms, 0);

	ck_assert_int_eq(config_load("conf/kevy-electd.conf", &c, collect,
	    NULL), 0);
	ck_assert_int_eq(rep.errors + rep.warnings, 0);
	ck_assert_str_eq(c.path, "conf/kevy-electd.conf");
	ck_assert_str_eq(c.node_id, "n1");
	ck_assert_uint_eq(c.n_members, 3);
	ck_assert_uint_eq(c.self, 0);
	ck_assert_str_eq(c.members[2].id, "n3");
	ck_assert_str_eq(c.members[2].election.host, "127.0.0.1");
	ck_assert_uint_eq(c.members[2].election.port, 7403);
	ck_assert_str_eq(c.members[1].client, "127.0.0.1:6402");
	ck_assert(!c.members[2].never_stand);
	ck_assert_str_eq(c.listen.host, "127.0.0.1");
	ck_assert_uint_eq(c.listen.port, 7401);
	ck_assert_str_eq(c.advertise, "127.0.0.1:6401");
	ck_assert_str_eq(c.state_dir, "/var/lib/kevy-elect/n1");
	ck_assert_str_eq(c.control_path, "/run/kevy-elect/n1/kevy-electd.sock");
	ck_assert_uint_eq(c.control_mode, 0660);
	ck_assert_str_eq(c.control_group, "");
	ck_assert_uint_eq(c.timing.hb_interval_ms, 200);
	ck_assert_uint_eq(c.timing.down_after_ms, 5000);
	ck_assert_uint_eq(c.timing.election_timeout_ms, 3000);
	ck_assert_uint_eq(c.timing.backoff_ms, 1000);
	ck_assert_uint_eq(c.timing.backoff_jitter_ms, 4000);
	/* Derived by the elector, whatever its rule is today. */
	ck_assert_mem_eq(&c.timing, &t, sizeof t);
	ck_assert(!c.want_primary);
	ck_assert(!c.never_stand);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_INFO);
	/* Hardening keys: all off but the epoch jump. */
	ck_assert_uint_eq(c.n_write_uids, 0);
	ck_assert_uint_eq(c.n_write_gids, 0);
	ck_assert_uint_eq(c.max_epoch_jump, ELECTOR_MAX_EPOCH_JUMP_DEFAULT);
	ck_assert(!c.peer_source_check);
	ck_assert_str_eq(c.auth_key_file, "");
	/* The server group is there, commented out: no adapter. */
	ck_assert(!c.server.enabled);
	ck_assert_uint_eq(c.server.poll_ms, 0);
}
END_TEST

START_TEST(test_hardening_keys)
{
	const char *text = BASE
	    "control = { write_uids = [0, 1000, 65534]; "
	    "write_gids = [5]; };\n"
	    "max_epoch_jump = 0;\npeer_source_check = true;\n"
	    "auth_key_file = \"/etc/kevy-elect/key\";\n";
	struct elector_member em[ELECTOR_MEMBERS_MAX];
	struct elector_config ec;
	struct config c;

	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_uint_eq(c.n_write_uids, 3);
	ck_assert_uint_eq(c.write_uids[1], 1000);
	ck_assert_uint_eq(c.write_uids[2], 65534);
	ck_assert_uint_eq(c.n_write_gids, 1);
	ck_assert_uint_eq(c.write_gids[0], 5);
	ck_assert_uint_eq(c.max_epoch_jump, 0);
	ck_assert(c.peer_source_check);
	ck_assert_str_eq(c.auth_key_file, "/etc/kevy-elect/key");
	config_to_elector(&c, em, &ec);
	ck_assert_uint_eq(ec.max_epoch_jump, 0);
	ck_assert_int_eq(load(BASE "max_epoch_jump = 7L;\n", &c), 0);
	config_to_elector(&c, em, &ec);
	ck_assert_uint_eq(ec.max_epoch_jump, 7);
}
END_TEST

static const struct {
	const char *line, *key, *frag;
} bad_hardening[] = {
	{ "control = { write_uids = [-1]; };", "control.write_uids",
	  "not a uid or gid" },
	{ "control = { write_uids = [4294967295L]; };", "control.write_uids",
	  "not a uid or gid" },
	{ "control = { write_gids = [\"0\"]; };", "control.write_gids",
	  "expected an integer, found string" },
	{ "control = { write_uids = 0; };", "control.write_uids",
	  "expected array, found integer" },
	{ "control = { write_uids = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
	  "17]; };", "control.write_uids", "17 entries, expected 0..16" },
	{ "max_epoch_jump = -1;", "max_epoch_jump", "out of range" },
	{ "peer_source_check = 1;", "peer_source_check",
	  "expected boolean, found integer" },
	{ "auth_key_file = \"key\";", "auth_key_file",
	  "must be an absolute path" },
};

START_TEST(test_bad_hardening)
{
	char text[1024];
	struct config c;
	int line;

	snprintf(text, sizeof text, "%s%s\n", BASE, bad_hardening[_i].line);
	line = line_of(text, bad_hardening[_i].line);
	ck_assert_int_eq(load(text, &c), 1);
	ASSERT_ERROR(line, bad_hardening[_i].key, bad_hardening[_i].frag);
}
END_TEST

/* ---- the server group ---- */

/* A report that is exactly "t.conf:line: key: problem" (line 0: none). */
static bool
has_exact(bool is_error, int line, const char *key, const char *problem)
{
	char want[MSG_MAX];

	if (line > 0)
		snprintf(want, sizeof want, "%s:%d: %s: %s", conf_path, line,
		    key, problem);
	else
		snprintf(want, sizeof want, "%s: %s: %s", conf_path, key,
		    problem);
	for (int i = 0; i < rep.n; i++)
		if (rep.is_error[i] == is_error && strcmp(rep.msg[i], want) == 0)
			return true;
	dump();
	fprintf(stderr, "  wanted %s %s\n", is_error ? "E" : "W", want);
	return false;
}

START_TEST(test_server_absent)
{
	struct config c;

	ck_assert_int_eq(load(BASE, &c), 0);
	ck_assert(!c.server.enabled);
	ck_assert_str_eq(c.server.address, "");
	ck_assert_str_eq(c.server.unix_path, "");
	ck_assert_uint_eq(c.server.tcp.port, 0);
	ck_assert_str_eq(c.server.user, "");
	ck_assert_str_eq(c.server.password_file, "");
	ck_assert_str_eq(c.server.password, "");
	ck_assert_int_eq(c.server.fence, CONFIG_FENCE_AUTO);
	/* Nothing derived for an adapter that is not there. */
	ck_assert_uint_eq(c.server.poll_ms, 0);
	ck_assert_uint_eq(c.server.timeout_ms, 0);
	ck_assert_uint_eq(c.server.health_ms, 0);
}
END_TEST

START_TEST(test_server_values)
{
	const char *text = BASE "server = {\n"
	    "  address = \"127.0.0.1:6379\";\n"
	    "  user = \"elect\";\n"
	    "  password_file = \"/etc/kevy-elect/server.pass\";\n"
	    "  poll_ms = 100;\n"
	    "  timeout_ms = 500;\n"
	    "  fence = \"min-replicas\";\n"
	    "};\n";
	struct config c;

	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_int_eq(rep.n, 0);
	ck_assert(c.server.enabled);
	ck_assert_str_eq(c.server.address, "127.0.0.1:6379");
	ck_assert_str_eq(c.server.unix_path, "");
	ck_assert_str_eq(c.server.tcp.host, "127.0.0.1");
	ck_assert_uint_eq(c.server.tcp.port, 6379);
	ck_assert_str_eq(c.server.user, "elect");
	ck_assert_str_eq(c.server.password_file,
	    "/etc/kevy-elect/server.pass");
	/* config_load never reads the file: preflight_start does. */
	ck_assert_str_eq(c.server.password, "");
	ck_assert_uint_eq(c.server.poll_ms, 100);
	ck_assert_uint_eq(c.server.timeout_ms, 500);
	ck_assert_int_eq(c.server.fence, CONFIG_FENCE_MIN_REPLICAS);
	/* 3 x poll_ms, under down_after_ms = 5000. */
	ck_assert_uint_eq(c.server.health_ms, 300);

	ck_assert_int_eq(load(BASE "server = { address = \"[::1]:6380\"; "
	    "fence = \"auto\"; };\n", &c), 0);
	ck_assert_str_eq(c.server.tcp.host, "::1");
	ck_assert_uint_eq(c.server.tcp.port, 6380);
	ck_assert_int_eq(c.server.fence, CONFIG_FENCE_AUTO);
}
END_TEST

/* Unset keys: the defaults, and the values derived from the timings. */
START_TEST(test_server_defaults)
{
	struct config c;

	ck_assert_int_eq(load(BASE "server = { address = "
	    "\"/run/valkey/valkey.sock\"; };\n", &c), 0);
	ck_assert_int_eq(rep.n, 0);
	ck_assert(c.server.enabled);
	ck_assert_str_eq(c.server.address, "/run/valkey/valkey.sock");
	ck_assert_str_eq(c.server.unix_path, "/run/valkey/valkey.sock");
	ck_assert_str_eq(c.server.tcp.host, "");
	ck_assert_uint_eq(c.server.tcp.port, 0);
	ck_assert_str_eq(c.server.user, "");
	ck_assert_str_eq(c.server.password_file, "");
	ck_assert_int_eq(c.server.fence, CONFIG_FENCE_AUTO);
	ck_assert_uint_eq(c.server.poll_ms, ELECTOR_HB_INTERVAL_DEFAULT);
	ck_assert_uint_eq(c.server.timeout_ms,
	    CONFIG_SERVER_TIMEOUT_DEFAULT_MS);
	ck_assert_uint_eq(c.server.health_ms,
	    CONFIG_SERVER_HEALTH_POLLS * ELECTOR_HB_INTERVAL_DEFAULT);

	/* 0 means unset; the timeout follows a down_after_ms below 1000. */
	ck_assert_int_eq(load(BASE "hb_interval_ms = 100;\n"
	    "down_after_ms = 400;\nelection_timeout_ms = 100;\n"
	    "server = { address = \"h:1\"; poll_ms = 0; };\n", &c), 0);
	ck_assert_uint_eq(c.server.poll_ms, 100);
	ck_assert_uint_eq(c.server.timeout_ms, 400);
	ck_assert_uint_eq(c.server.health_ms, 300);
	/* 3 x poll_ms, at most down_after_ms. */
	ck_assert_int_eq(load(BASE "hb_interval_ms = 100;\n"
	    "down_after_ms = 400;\nelection_timeout_ms = 100;\n"
	    "server = { address = \"h:1\"; poll_ms = 150; };\n", &c), 0);
	ck_assert_uint_eq(c.server.health_ms, 400);
	/* local_health_timeout_ms, when set, is the health timeout. */
	ck_assert_int_eq(load(BASE "local_health_timeout_ms = 2500;\n"
	    "server = { address = \"h:1\"; };\n", &c), 0);
	ck_assert_uint_eq(c.server.health_ms, 2500);
	ck_assert_uint_eq(c.local_health_timeout_ms, 2500);
	/* A heartbeat slower than a poll may be: poll_ms stops at 60000. */
	ck_assert_int_eq(load(BASE "hb_interval_ms = 70000;\n"
	    "down_after_ms = 280000;\nelection_timeout_ms = 70000;\n"
	    "server = { address = \"h:1\"; };\n", &c), 0);
	ck_assert_uint_eq(c.server.poll_ms, CONFIG_SERVER_MS_MAX);
	ck_assert_uint_eq(c.server.timeout_ms,
	    CONFIG_SERVER_TIMEOUT_DEFAULT_MS);
	ck_assert_uint_eq(c.server.health_ms, 3 * CONFIG_SERVER_MS_MAX);
}
END_TEST

START_TEST(test_server_fence_none_warns)
{
	const char *text = BASE "server = {\n  address = \"h:1\";\n"
	    "  fence = \"none\";\n};\n";
	struct config c;

	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_int_eq(rep.warnings, 1);
	ck_assert_int_eq(c.server.fence, CONFIG_FENCE_NONE);
	ck_assert(has_exact(false, line_of(text, "fence ="), "server.fence",
	    "\"none\": writes are not fenced in the server: a primary that "
	    "loses its role keeps accepting writes until its clients move"));
}
END_TEST

/* One line added to BASE; the whole problem as reported, one error. */
static const struct {
	const char *line, *key, *problem;
} bad_server[] = {
	{ "server = 5;", "server", "expected group, found integer" },
	{ "server = { };", "server.address", "missing (required in a server "
	  "group: it turns the adapter on)" },
	{ "server = { poll_ms = 100; };", "server.address", "missing "
	  "(required in a server group: it turns the adapter on)" },
	{ "server = { address = \"h:1\"; bogus = 1; };", "server.bogus",
	  "unknown key" },
	{ "server = { address = \"localhost\"; };", "server.address",
	  "expected host:port or an absolute Unix socket path" },
	{ "server = { address = \"run/valkey.sock\"; };", "server.address",
	  "expected host:port or an absolute Unix socket path" },
	{ "server = { address = \"\"; };", "server.address",
	  "must not be empty" },
	{ "server = { address = 6379; };", "server.address",
	  "expected string, found integer" },
	{ "server = { address = \"h:0\"; };", "server.address",
	  "port must be a number 1..65535" },
	{ "server = { address = \"::1:6379\"; };", "server.address",
	  "an IPv6 address must be bracketed, as [::1]:7400" },
	{ "server = { address = \"h x:1\"; };", "server.address",
	  "contains a space, control or non-ASCII byte" },
	{ "server = { address = \"/run/\\tx\"; };", "server.address",
	  "contains a control byte" },
	{ "server = { address = \"h:1\"; user = \"a b\"; "
	  "password_file = \"/p\"; };", "server.user",
	  "a user name may hold only printable ASCII without spaces" },
	{ "server = { address = \"h:1\"; user = \"\\x7f\"; "
	  "password_file = \"/p\"; };", "server.user",
	  "a user name may hold only printable ASCII without spaces" },
	{ "server = { address = \"h:1\"; user = \"elect\"; };", "server.user",
	  "needs server.password_file: AUTH takes a user and a password" },
	{ "server = { address = \"h:1\"; user = \"elect\"; "
	  "password_file = \"\"; };", "server.user",
	  "needs server.password_file: AUTH takes a user and a password" },
	{ "server = { address = \"h:1\"; password_file = \"pass\"; };",
	  "server.password_file", "must be an absolute path" },
	{ "server = { address = \"h:1\"; password_file = 1; };",
	  "server.password_file", "expected string, found integer" },
	{ "server = { address = \"h:1\"; poll_ms = 60001; };",
	  "server.poll_ms", "60001 is out of range 0..60000" },
	{ "server = { address = \"h:1\"; poll_ms = -1; };",
	  "server.poll_ms", "-1 is out of range 0..60000" },
	{ "server = { address = \"h:1\"; poll_ms = \"fast\"; };",
	  "server.poll_ms", "expected integer, found string" },
	{ "server = { address = \"h:1\"; timeout_ms = 0; };",
	  "server.timeout_ms", "0 is out of range 1..60000" },
	{ "server = { address = \"h:1\"; timeout_ms = 60001; };",
	  "server.timeout_ms", "60001 is out of range 1..60000" },
	{ "server = { address = \"h:1\"; timeout_ms = 5001; };",
	  "server.timeout_ms, down_after_ms", "server.timeout_ms must not "
	  "exceed down_after_ms: a server that does not answer must count as "
	  "down before the peers would call this node down "
	  "(server.timeout_ms = 5001, down_after_ms = 5000 (default))" },
	{ "down_after_ms = 800; server = { address = \"h:1\"; "
	  "timeout_ms = 900; };", "server.timeout_ms, down_after_ms",
	  "server.timeout_ms must not exceed down_after_ms: a server that does "
	  "not answer must count as down before the peers would call this "
	  "node down (server.timeout_ms = 900, down_after_ms = 800)" },
	{ "server = { address = \"h:1\"; poll_ms = 5000; };",
	  "server.poll_ms, down_after_ms", "server.poll_ms must be below "
	  "down_after_ms, which bounds the adapter's health timeout (3 x "
	  "server.poll_ms, at most down_after_ms), or every poll would come "
	  "too late (server.poll_ms = 5000, down_after_ms = 5000 (default))" },
	{ "local_health_timeout_ms = 150; server = { address = \"h:1\"; };",
	  "server.poll_ms, local_health_timeout_ms", "server.poll_ms must be "
	  "below local_health_timeout_ms, the adapter's health timeout, or "
	  "every poll would come too late (server.poll_ms = 200, "
	  "local_health_timeout_ms = 150)" },
	{ "server = { address = \"h:1\"; fence = \"off\"; };", "server.fence",
	  "expected \"auto\", \"min-replicas\" or \"none\"" },
	{ "server = { address = \"h:1\"; fence = \"AUTO\"; };", "server.fence",
	  "expected \"auto\", \"min-replicas\" or \"none\"" },
	{ "server = { address = \"h:1\"; fence = \"\"; };", "server.fence",
	  "must not be empty" },
	{ "server = { address = \"h:1\"; fence = true; };", "server.fence",
	  "expected string, found boolean" },
};

START_TEST(test_bad_server)
{
	char text[1024];
	struct config c;

	memset(&c, 0x5a, sizeof c);
	snprintf(text, sizeof text, "%s# filler\n%s\n", BASE,
	    bad_server[_i].line);
	ck_assert_int_eq(load(text, &c), 1);
	ck_assert_int_eq(rep.errors, 1);
	ck_assert(has_exact(true, line_of(text, bad_server[_i].line),
	    bad_server[_i].key, bad_server[_i].problem));
	ck_assert_uint_eq((unsigned char)c.node_id[0], 0x5a); /* untouched */
}
END_TEST

/* Every error of the group in one load, each on its own line. */
START_TEST(test_server_all_errors)
{
	const char *text = BASE "server = {\n"
	    "  user = \"a b\";\n"
	    "  password_file = \"rel\";\n"
	    "  poll_ms = 70000;\n"
	    "  fence = \"maybe\";\n"
	    "};\n";
	struct config c;

	ck_assert_int_eq(load(text, &c), 5);
	ASSERT_ERROR(line_of(text, "server ="), "server.address",
	    "missing (required");
	ASSERT_ERROR(line_of(text, "user ="), "server.user", "printable");
	ASSERT_ERROR(line_of(text, "password_file ="), "server.password_file",
	    "absolute");
	ASSERT_ERROR(line_of(text, "poll_ms ="), "server.poll_ms",
	    "out of range");
	ASSERT_ERROR(line_of(text, "fence ="), "server.fence", "\"none\"");
}
END_TEST

START_TEST(test_server_lengths)
{
	char text[4096], s[600];
	struct config c;

	/* A Unix socket path: 107 bytes fit sun_path, 108 do not. */
	memset(s, 'a', sizeof s);
	s[0] = '/';
	s[CONFIG_SUN_PATH_MAX] = '\0';
	snprintf(text, sizeof text, BASE "server = { address = \"%s\"; };\n",
	    s);
	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_uint_eq(strlen(c.server.unix_path), CONFIG_SUN_PATH_MAX);
	s[CONFIG_SUN_PATH_MAX] = 'a';
	s[CONFIG_SUN_PATH_MAX + 1] = '\0';
	snprintf(text, sizeof text, BASE "server = { address = \"%s\"; };\n",
	    s);
	ck_assert_int_eq(load(text, &c), 1);
	ck_assert(has_exact(true, 7, "server.address",
	    "a Unix socket path is longer than 107 bytes"));

	/* host:port: WIRE_ADDR_MAX bytes, as every other address. */
	memset(s, 'a', sizeof s);
	memcpy(s + 250, ":6379", 6);
	snprintf(text, sizeof text, BASE "server = { address = \"%s\"; };\n",
	    s);
	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_uint_eq(strlen(c.server.address), WIRE_ADDR_MAX);
	ck_assert_uint_eq(c.server.tcp.port, 6379);
	memset(s, 'a', sizeof s);
	memcpy(s + 251, ":6379", 6);
	snprintf(text, sizeof text, BASE "server = { address = \"%s\"; };\n",
	    s);
	ck_assert_int_eq(load(text, &c), 1);
	ck_assert(has_exact(true, 7, "server.address",
	    "longer than 255 bytes"));

	/* server.user: CONFIG_SERVER_USER_MAX bytes. */
	memset(s, 'u', sizeof s);
	s[CONFIG_SERVER_USER_MAX] = '\0';
	snprintf(text, sizeof text, BASE "server = { address = \"h:1\"; "
	    "password_file = \"/p\"; user = \"%s\"; };\n", s);
	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_uint_eq(strlen(c.server.user), CONFIG_SERVER_USER_MAX);
	s[CONFIG_SERVER_USER_MAX] = 'u';
	s[CONFIG_SERVER_USER_MAX + 1] = '\0';
	snprintf(text, sizeof text, BASE "server = { address = \"h:1\"; "
	    "password_file = \"/p\"; user = \"%s\"; };\n", s);
	ck_assert_int_eq(load(text, &c), 1);
	ck_assert(has_exact(true, 7, "server.user", "longer than 128 bytes"));
}
END_TEST

START_TEST(test_defaults)
{
	struct elector_timing t;
	struct config c;

	ck_assert_int_eq(load(BASE, &c), 0);
	ck_assert_int_eq(rep.n, 0);
	elector_timing_defaults(&t);
	ck_assert_int_eq(elector_timing_check(&t, NULL, 0), 0);
	ck_assert_mem_eq(&c.timing, &t, sizeof t);
	ck_assert_str_eq(c.state_dir, CONFIG_DEFAULT_STATE_DIR);
	ck_assert_str_eq(c.control_path, CONFIG_DEFAULT_CONTROL);
	ck_assert_uint_eq(c.control_mode, CONFIG_DEFAULT_CONTROL_MODE);
	ck_assert_str_eq(c.control_group, "");
	ck_assert_uint_eq(c.listen.port, 7401);
	ck_assert_str_eq(c.advertise, "127.0.0.1:6401");
	ck_assert(!c.want_primary && !c.never_stand);
	ck_assert(!c.members[0].never_stand);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_INFO);
}
END_TEST

START_TEST(test_values)
{
	const char *text = "node_id = \"n2\";\nmembers = (\n" M1 M2
	    "  { id = \"n3\"; election = \"[::1]:7403\"; "
	    "client = \"[::1]:6403\"; never_stand = true; }\n);\n"
	    "listen = \"0.0.0.0:7402\";\nadvertise = \"10.0.0.2:6402\";\n"
	    "control = { mode = \"0600\"; group = \"kevy\"; };\n"
	    "hb_interval_ms = 50;\ndown_after_ms = 500L;\n"
	    "election_timeout_ms = 250;\nlease_ms = 0;\n"
	    "election_backoff_jitter_ms = 0;\n"
	    "log_level = \"debug\";\n";
	struct elector_member em[ELECTOR_MEMBERS_MAX];
	struct elector_config ec;
	struct elector_timing t;
	struct config c;

	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_int_eq(rep.n, 0);
	ck_assert_uint_eq(c.self, 1);
	ck_assert_str_eq(c.members[2].election.host, "::1");
	ck_assert(c.members[2].never_stand);
	ck_assert_str_eq(c.listen.host, "0.0.0.0");
	ck_assert_uint_eq(c.control_mode, 0600);
	ck_assert_str_eq(c.control_group, "kevy");
	ck_assert_uint_eq(c.timing.down_after_ms, 500);
	/* lease_ms = 0 means derive, as if unset. */
	t = (struct elector_timing){ .hb_interval_ms = 50,
	    .down_after_ms = 500, .election_timeout_ms = 250,
	    .backoff_ms = ELECTOR_TIMING_DERIVE, .backoff_jitter_ms = 0 };
	ck_assert_int_eq(elector_timing_check(&t, NULL, 0), 0);
	ck_assert_mem_eq(&c.timing, &t, sizeof t);
	/*
	 * An unset retry timing follows down_after (2/10 of it); one set
	 * wins, 0 included (no jitter), even where the derivation differs.
	 */
	ck_assert_uint_eq(c.timing.backoff_ms, 100);
	ck_assert_uint_eq(c.timing.election_timeout_ms, 250);
	ck_assert_uint_eq(c.timing.backoff_jitter_ms, 0);
	ck_assert_uint_gt(c.timing.lease_ms, 0);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);

	config_to_elector(&c, em, &ec);
	ck_assert_ptr_eq(ec.members, em);
	ck_assert_uint_eq(ec.n_members, 3);
	ck_assert_uint_eq(ec.self, 1);
	ck_assert_str_eq(em[0].addr, "127.0.0.1:6401");
	ck_assert_str_eq(em[1].addr, "10.0.0.2:6402"); /* advertise */
	ck_assert_str_eq(em[2].id, "n3");
	ck_assert(em[2].never_stand && !em[1].never_stand);
	ck_assert(!ec.never_stand && !ec.want_primary);
	ck_assert_uint_eq(ec.seed, 0);
	ck_assert_uint_eq(ec.timing.hb_interval_ms, 50);
}
END_TEST

START_TEST(test_initial_role_primary)
{
	struct elector_member em[ELECTOR_MEMBERS_MAX];
	struct elector_config ec;
	const char *text = BASE "initial_role = \"primary\";\n";
	struct config c;

	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_int_eq(rep.warnings, 1);
	ASSERT_WARNING(line_of(text, "initial_role"), "initial_role",
	    "starts as replica");
	ck_assert(c.want_primary);
	config_to_elector(&c, em, &ec);
	ck_assert(ec.want_primary);
}
END_TEST

START_TEST(test_never_stand)
{
	const char *own = "node_id = \"n1\";\nmembers = (\n"
	    "  { id = \"n1\"; election = \"h:1\"; client = \"h:2\"; "
	    "never_stand = true; },\n" M2 M3 ");\n";
	const char *all = "node_id = \"n1\";\nmembers = (\n"
	    "  { id = \"n1\"; election = \"h:1\"; client = \"h:2\"; "
	    "never_stand = true; },\n"
	    "  { id = \"n2\"; election = \"h:3\"; client = \"h:4\"; "
	    "never_stand = true; }\n);\n";
	const char *local = BASE "never_stand = true;\n";
	struct config c;

	ck_assert_int_eq(load(own, &c), 0);
	ck_assert(c.never_stand);
	ck_assert_int_eq(load(local, &c), 0);
	ck_assert(c.never_stand);
	ASSERT_WARNING(line_of(local, "never_stand ="), "never_stand",
	    "members.[0].never_stand");
	ck_assert_int_eq(load(all, &c), 1);
	ASSERT_ERROR(2, "members", "no node could ever become primary");
}
END_TEST

/* priority: 0 is never_stand; both keys may say it, never disagree. */
START_TEST(test_priority)
{
	const char *prio = "node_id = \"n1\";\nmembers = (\n" M1
	    "  { id = \"n2\"; election = \"h:3\"; client = \"h:4\"; "
	    "priority = 200; },\n"
	    "  { id = \"n3\"; election = \"h:5\"; client = \"h:6\"; "
	    "priority = 0; }\n);\n"
	    "priority_lag_bytes = 4096;\nmax_lag_bytes = 1048576;\n";
	const char *agree = "node_id = \"n1\";\nmembers = (\n" M1 M2
	    "  { id = \"n3\"; election = \"h:5\"; client = \"h:6\"; "
	    "priority = 0; never_stand = true; }\n);\n";
	const char *clash = "node_id = \"n1\";\nmembers = (\n" M1 M2
	    "  { id = \"n3\"; election = \"h:5\"; client = \"h:6\"; "
	    "never_stand = true;\n    priority = 3; }\n);\n";
	const char *clash0 = "node_id = \"n1\";\nmembers = (\n" M1 M2
	    "  { id = \"n3\"; election = \"h:5\"; client = \"h:6\"; "
	    "never_stand = false;\n    priority = 0; }\n);\n";
	const char *big = "node_id = \"n1\";\nmembers = (\n" M1 M2
	    "  { id = \"n3\"; election = \"h:5\"; client = \"h:6\"; "
	    "priority = 256; }\n);\n";
	struct elector_member em[ELECTOR_MEMBERS_MAX];
	struct elector_config ec;
	struct config c;

	ck_assert_int_eq(load(BASE, &c), 0);
	ck_assert_uint_eq(c.members[0].priority, ELECTOR_PRIORITY_DEFAULT);
	ck_assert_uint_eq(c.priority_lag_bytes, 0);
	ck_assert_uint_eq(c.max_lag_bytes, 0);
	ck_assert_int_eq(load(prio, &c), 0);
	config_to_elector(&c, em, &ec);
	ck_assert_uint_eq(em[0].priority, 1);
	ck_assert_uint_eq(em[1].priority, 200);
	ck_assert(!em[1].never_stand);
	/* priority = 0 alone makes a witness. */
	ck_assert(em[2].never_stand);
	ck_assert_uint_eq(elector_member_priority(&em[2]), 0);
	ck_assert_uint_eq(ec.priority_lag_bytes, 4096);
	ck_assert_uint_eq(ec.max_lag_bytes, 1048576);
	ck_assert_int_eq(load(agree, &c), 0);
	ck_assert(c.members[2].never_stand);
	ck_assert_int_eq(load(clash, &c), 1);
	ASSERT_ERROR(line_of(clash, "priority = 3"), "members.[2].priority",
	    "3 disagrees with never_stand = true");
	ck_assert_int_eq(load(clash0, &c), 1);
	ASSERT_ERROR(line_of(clash0, "priority = 0"), "members.[2].priority",
	    "0 disagrees with never_stand = false");
	ck_assert_int_eq(load(big, &c), 1);
	ASSERT_ERROR(line_of(big, "priority = 256"), "members.[2].priority",
	    "256 is out of range 0..255");
	ck_assert_int_eq(load(BASE "max_lag_bytes = -1;\n", &c), 1);
	ck_assert_int_eq(load(BASE "priority_lag_bytes = \"1k\";\n", &c), 1);
}
END_TEST

START_TEST(test_cluster_size_warnings)
{
	const char *two = "node_id = \"n1\";\nmembers = (\n" M1
	    "  { id = \"n2\"; election = \"127.0.0.1:7402\"; "
	    "client = \"127.0.0.1:6402\"; }\n);\n";
	const char *one = "node_id = \"n1\";\nmembers = (\n"
	    "  { id = \"n1\"; election = \"h:1\"; client = \"h:2\"; }\n);\n";
	const char *four = "node_id = \"n1\";\nmembers = (\n" M1 M2
	    "  { id = \"n3\"; election = \"h:3\"; client = \"h:4\"; },\n"
	    "  { id = \"n4\"; election = \"h:5\"; client = \"h:6\"; }\n);\n";
	struct config c;

	ck_assert_int_eq(load(two, &c), 0);
	ck_assert_int_eq(rep.warnings, 1);
	ASSERT_WARNING(2, "members", "N=2 has no fault tolerance");
	ck_assert_uint_eq(c.n_members, 2);
	ck_assert_int_eq(load(one, &c), 0);
	ASSERT_WARNING(2, "members", "no failover");
	ck_assert_int_eq(load(four, &c), 0);
	ASSERT_WARNING(2, "members", "N=4 tolerates no more failures");
}
END_TEST

START_TEST(test_other_warnings)
{
	const char *text = "node_id = \"n1\";\nmembers = (\n" M1 M2
	    "  { id = \"n3\"; election = \"127.0.0.1:7403\"; "
	    "client = \"127.0.0.1:6401\"; }\n);\n"
	    "listen = \"0.0.0.0:9999\";\ncontrol = { mode = \"0666\"; };\n";
	struct config c;

	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_int_eq(rep.warnings, 3);
	ASSERT_WARNING(5, "members.[2].client", "same client address");
	ASSERT_WARNING(7, "listen", "peers dial");
	ASSERT_WARNING(8, "control.mode", "world-writable");
}
END_TEST

/* ---- one bad line added to a good config ---- */

static const struct {
	const char *line, *key, *frag;
} bad_top[] = {
	{ "bogus = 1;", "bogus", "unknown key" },
	{ "Node_id = \"n1\";", "Node_id", "unknown key" },
	{ "hb_interval_ms = -1;", "hb_interval_ms", "-1 is out of range 1..3600000" },
	{ "hb_interval_ms = 0;", "hb_interval_ms", "out of range" },
	{ "down_after_ms = 3600001;", "down_after_ms", "out of range 0..3600000" },
	{ "down_after_ms = 99999999999L;", "down_after_ms", "out of range" },
	{ "down_after_ms = 5000.0;", "down_after_ms", "expected integer, found float" },
	{ "election_timeout_ms = \"3000\";", "election_timeout_ms", "expected integer, found string" },
	{ "lease_ms = true;", "lease_ms", "expected integer, found boolean" },
	{ "state_dir = \"var/lib\";", "state_dir", "absolute" },
	{ "state_dir = \"\";", "state_dir", "must not be empty" },
	{ "state_dir = 5;", "state_dir", "expected string, found integer" },
	{ "state_dir = \"/var/\\nlib\";", "state_dir", "control byte" },
	{ "control = 5;", "control", "expected group, found integer" },
	{ "control = { bogus = 1; };", "control.bogus", "unknown key" },
	{ "control = { path = \"run/x.sock\"; };", "control.path", "absolute" },
	{ "control = { mode = 0660; };", "control.mode", "expected string, found integer" },
	{ "control = { mode = \"0800\"; };", "control.mode", "octal" },
	{ "control = { mode = \"01000\"; };", "control.mode", "octal" },
	{ "control = { mode = \"777777777777\"; };", "control.mode", "octal" },
	{ "control = { mode = \"\"; };", "control.mode", "must not be empty" },
	{ "control = { group = \"bad group\"; };", "control.group", "group name" },
	{ "control = { group = \"-x\"; };", "control.group", "group name" },
	{ "initial_role = \"leader\";", "initial_role", "\"replica\" or \"primary\"" },
	{ "log_level = \"loud\";", "log_level", "\"debug\"" },
	{ "log_level = 3;", "log_level", "expected string, found integer" },
	{ "never_stand = \"yes\";", "never_stand", "expected boolean, found string" },
	{ "node_list = [1];", "node_list", "unknown key" },
	{ "listen = \"::1:7400\";", "listen", "must be bracketed" },
	{ "listen = \"[::1]\";", "listen", "expected [IPv6 address]:port" },
	{ "listen = \"[::1:7400\";", "listen", "expected [IPv6 address]:port" },
	{ "listen = \"[zz]:7400\";", "listen", "not an IPv6 address" },
	{ "listen = \"localhost\";", "listen", "expected host:port" },
	{ "listen = \":7400\";", "listen", "empty host" },
	{ "listen = \"h:0\";", "listen", "port must be" },
	{ "listen = \"h:65536\";", "listen", "port must be" },
	{ "listen = \"h:+1\";", "listen", "port must be" },
	{ "listen = \"h:\";", "listen", "port must be" },
	{ "listen = \"h: 1\";", "listen", "space" },
	{ "listen = \"h\\t:1\";", "listen", "control" },
	{ "listen = \"h/x:1\";", "listen", "host may hold only" },
	{ "advertise = \"a b:1\";", "advertise", "space" },
	{ "advertise = \"nope\";", "advertise", "expected host:port" },
	{ "lease_ms = 4900;", "hb_interval_ms, down_after_ms, lease_ms",
	  "lease_ms + 2 x hb_interval_ms must not exceed down_after_ms" },
	{ "lease_ms = 300;", "hb_interval_ms, lease_ms",
	  "lease_ms must be at least 2 x hb_interval_ms" },
	{ "down_after_ms = 500;", "hb_interval_ms, down_after_ms",
	  "down_after_ms must be at least 4 x hb_interval_ms" },
	{ "election_timeout_ms = 100;", "hb_interval_ms, election_timeout_ms",
	  "(hb_interval_ms = 200 (default), election_timeout_ms = 100)" },
	{ "pause_threshold_ms = 399;", "hb_interval_ms, pause_threshold_ms",
	  "pause_threshold_ms must be at least 2 x hb_interval_ms" },
};

START_TEST(test_bad_top)
{
	char text[1024];
	struct config c;
	int line;

	snprintf(text, sizeof text, "%s# filler\n%s\n", BASE, bad_top[_i].line);
	line = line_of(text, bad_top[_i].line);
	ck_assert_int_eq(load(text, &c), 1);
	ck_assert_int_eq(rep.errors, 1);
	ASSERT_ERROR(line, bad_top[_i].key, bad_top[_i].frag);
}
END_TEST

/* Entry members.[1] (line 4) replaced. */
static const struct {
	const char *entry, *key, *frag;
} bad_member[] = {
	{ "{ id = \"n2\"; election = \"h:2\"; client = \"h:3\"; bogus = 1; }",
	  "members.[1].bogus", "unknown key" },
	{ "{ id = \"n2\"; election = \"h:2\"; }",
	  "members.[1].client", "missing (required)" },
	{ "{ election = \"h:2\"; client = \"h:3\"; }",
	  "members.[1].id", "missing (required)" },
	{ "{ id = \"n23456789012345678901234567890123\"; election = \"h:2\"; "
	  "client = \"h:3\"; }", "members.[1].id", "longer than 32 bytes" },
	{ "{ id = \"n 2\"; election = \"h:2\"; client = \"h:3\"; }",
	  "members.[1].id", "printable ASCII without spaces" },
	{ "{ id = \"n\\x7f\"; election = \"h:2\"; client = \"h:3\"; }",
	  "members.[1].id", "printable ASCII without spaces" },
	{ "{ id = \"-\"; election = \"h:2\"; client = \"h:3\"; }",
	  "members.[1].id", "reserved" },
	{ "{ id = \"\"; election = \"h:2\"; client = \"h:3\"; }",
	  "members.[1].id", "must not be empty" },
	{ "{ id = \"n1\"; election = \"h:2\"; client = \"h:3\"; }",
	  "members.[1].id", "duplicate id \"n1\" (also members.[0])" },
	{ "{ id = \"n2\"; election = \"127.0.0.1:7401\"; client = \"h:3\"; }",
	  "members.[1].election", "duplicate election address" },
	{ "{ id = \"n2\"; election = 7402; client = \"h:3\"; }",
	  "members.[1].election", "expected string, found integer" },
	{ "{ id = \"n2\"; election = \"h:2\"; client = \"[::1]:x\"; }",
	  "members.[1].client", "port must be" },
	{ "{ id = \"n2\"; election = \"h:2\"; client = \"h:3\"; "
	  "never_stand = 1; }", "members.[1].never_stand",
	  "expected boolean, found integer" },
	{ "\"n2\"", "members.[1]", "expected group { ... }, found string" },
};

START_TEST(test_bad_member)
{
	char text[1024];
	struct config c;

	snprintf(text, sizeof text, "node_id = \"n1\";\nmembers = (\n%s  %s,\n"
	    "%s);\n", M1, bad_member[_i].entry, M3);
	ck_assert_int_eq(load(text, &c), 1);
	ck_assert_int_eq(rep.errors, 1);
	ASSERT_ERROR(4, bad_member[_i].key, bad_member[_i].frag);
}
END_TEST

START_TEST(test_bad_lengths)
{
	char text[4096], s[1100];
	struct config c;

	/* control.path: 107 bytes fit sun_path, 108 do not. */
	memset(s, 'a', sizeof s);
	s[0] = '/';
	s[CONFIG_SUN_PATH_MAX] = '\0';
	snprintf(text, sizeof text, BASE "control = { path = \"%s\"; };\n", s);
	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_uint_eq(strlen(c.control_path), CONFIG_SUN_PATH_MAX);
	s[CONFIG_SUN_PATH_MAX] = 'a';
	s[CONFIG_SUN_PATH_MAX + 1] = '\0';
	snprintf(text, sizeof text, BASE "control = { path = \"%s\"; };\n", s);
	ck_assert_int_eq(load(text, &c), 1);
	ASSERT_ERROR(7, "control.path", "longer than 107 bytes");

	/* advertise: WIRE_ADDR_MAX bytes at most. */
	memset(s, 'a', sizeof s);
	memcpy(s + 250, ":6401", 6);
	snprintf(text, sizeof text, BASE "advertise = \"%s\";\n", s);
	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_uint_eq(strlen(c.advertise), WIRE_ADDR_MAX);
	memset(s, 'a', sizeof s);
	memcpy(s + 251, ":6401", 6);
	snprintf(text, sizeof text, BASE "advertise = \"%s\";\n", s);
	ck_assert_int_eq(load(text, &c), 1);
	ASSERT_ERROR(7, "advertise", "longer than 255 bytes");

	memset(s, 'a', sizeof s);
	s[0] = '/';
	s[CONFIG_PATH_MAX + 1] = '\0';
	snprintf(text, sizeof text, BASE "state_dir = \"%s\";\n", s);
	ck_assert_int_eq(load(text, &c), 1);
	ASSERT_ERROR(7, "state_dir", "longer than 1024 bytes");
}
END_TEST

START_TEST(test_hostport)
{
	struct config_hostport hp;
	const char *why;
	char s[300];

	ck_assert_int_eq(config_parse_hostport("[::1]:7400", &hp), 0);
	ck_assert_str_eq(hp.host, "::1");
	ck_assert_uint_eq(hp.port, 7400);
	ck_assert_int_eq(config_parse_hostport("[fe80::1%eth0]:1", &hp), 0);
	ck_assert_str_eq(hp.host, "fe80::1%eth0");
	ck_assert_int_eq(config_parse_hostport("db-1.example.com:65535", &hp), 0);
	ck_assert_str_eq(hp.host, "db-1.example.com");
	ck_assert_uint_eq(hp.port, 65535);
	ck_assert_int_eq(config_parse_hostport("h:00080", &hp), 0);
	ck_assert_uint_eq(hp.port, 80);

	memset(&hp, 0x5a, sizeof hp);
	ck_assert_int_eq(config_parse_hostport("", &hp), -1);
	ck_assert_int_eq(config_parse_hostport("h:99999999999999999999999", &hp),
	    -1);
	ck_assert_int_eq(config_parse_hostport("h:-1", &hp), -1);
	ck_assert_int_eq(config_parse_hostport("[]:1", &hp), -1);
	ck_assert_int_eq(config_parse_hostport("[::1]x:1", &hp), -1);
	ck_assert_int_eq(config_parse_hostport("h\xc3\xa9:1", &hp), -1);
	ck_assert_uint_eq((unsigned char)hp.host[0], 0x5a); /* untouched */

	memset(s, 'a', sizeof s);
	memcpy(s + CONFIG_HOST_MAX, ":1", 3);
	ck_assert_int_eq(config_parse_hostport_why(s, &hp, &why), 0);
	ck_assert_uint_eq(strlen(hp.host), CONFIG_HOST_MAX);
	memset(s, 'a', sizeof s);
	memcpy(s + CONFIG_HOST_MAX + 1, ":1", 3);
	ck_assert_int_eq(config_parse_hostport_why(s, &hp, &why), -1);
	ck_assert_str_eq(why, "host longer than 253 bytes");
}
END_TEST

/* ---- whole-file problems ---- */

START_TEST(test_missing_required)
{
	struct config c;

	ck_assert_int_eq(load("# nothing\n", &c), 2);
	ASSERT_ERROR(0, "node_id", "missing (required)");
	ASSERT_ERROR(0, "members", "missing (required)");
	ck_assert_int_eq(load("node_id = \"n1\";\nmembers = ();\n", &c), 1);
	ASSERT_ERROR(2, "members", "0 entries, expected 1..256");
	ck_assert_int_eq(load("node_id = \"n1\";\nmembers = [];\n", &c), 1);
	ASSERT_ERROR(2, "members", "expected list, found array");
	ck_assert_int_eq(load("node_id = \"n1\";\nmembers = { id = \"n1\"; };\n",
	    &c), 1);
	ASSERT_ERROR(2, "members", "expected list, found group");
}
END_TEST

START_TEST(test_too_many_members)
{
	size_t cap = 64 * 300, len;
	char *text = malloc(cap);
	struct config c;

	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "node_id = \"n0\";\nmembers = (\n");
	for (int i = 0; i <= ELECTOR_MEMBERS_MAX; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "{ id = \"n%d\"; election = \"h:%d\"; client = \"c:%d\"; }%s\n",
		    i, i + 1, i + 1, i == ELECTOR_MEMBERS_MAX ? "" : ",");
	snprintf(text + len, cap - len, ");\n");
	ck_assert_int_eq(load(text, &c), 1);
	ASSERT_ERROR(2, "members", "257 entries, expected 1..256");
	/* Exactly the maximum loads. */
	strcpy(strstr(text, ",\n{ id = \"n256\""), "\n);\n");
	ck_assert_int_eq(load(text, &c), 0);
	ck_assert_uint_eq(c.n_members, ELECTOR_MEMBERS_MAX);
	free(text);
}
END_TEST

START_TEST(test_node_id)
{
	const char *text = "node_id = \"n9\";\nmembers = (\n" M1 M2 M3 ");\n";
	struct config c;

	ck_assert_int_eq(load(text, &c), 1);
	ASSERT_ERROR(1, "node_id", "\"n9\" is not the id of any members entry");
	ck_assert_int_eq(load("node_id = \"-\";\nmembers = (\n" M1 M2 M3
	    ");\n", &c), 1);
	ASSERT_ERROR(1, "node_id", "reserved");
	ck_assert_int_eq(load("node_id = 1;\nmembers = (\n" M1 M2 M3 ");\n",
	    &c), 1);
	ASSERT_ERROR(1, "node_id", "expected string, found integer");
}
END_TEST

START_TEST(test_syntax)
{
	struct config c;

	ck_assert_int_eq(load("node_id = \"n1\";\nmembers = (\n"
	    "  { id = \"n1\"; election = ; }\n);\n", &c), 1);
	ASSERT_ERROR(3, "syntax", "syntax error");
	/* A key given twice is libconfig's error, not a silent override. */
	ck_assert_int_eq(load(BASE "node_id = \"n2\";\n", &c), 1);
	ASSERT_ERROR(7, "syntax", "duplicate");
}
END_TEST

/* libconfig 1.5 would wrap these to 32 bits: 4294967496 reads as 200. */
START_TEST(test_int_literal_overflow)
{
	struct config c;

	ck_assert_int_eq(load(BASE "hb_interval_ms = 4294967496;\n", &c), 1);
	ASSERT_ERROR(7, "integer", "does not fit in 32 bits");
	ck_assert_int_eq(load(BASE "# 99999999999 in a comment is fine\n"
	    "log_level = \"info\"; /* 99999999999 */\n", &c), 0);
	/* With the L suffix the value is read whole, then range-checked. */
	ck_assert_int_eq(load(BASE "hb_interval_ms = 4294967496L;\n", &c), 1);
	ck_assert_int_eq(rep.errors, 1);
	ck_assert_ptr_null(strstr(rep.msg[0], "32 bits"));
}
END_TEST

START_TEST(test_unreadable)
{
	struct config c;
	char path[160];

	snprintf(path, sizeof path, "%s/absent.conf", dir);
	memset(&rep, 0, sizeof rep);
	ck_assert_int_eq(config_load(path, &c, collect, NULL), 1);
	ck_assert(has(true, path, 0, "file", "No such file"));
	memset(&rep, 0, sizeof rep);
	ck_assert_int_eq(config_load(dir, &c, collect, NULL), 1);
	ck_assert(has(true, dir, 0, "file", "not a regular file"));
	/* No reporter: still counted. */
	ck_assert_int_eq(config_load(path, &c, NULL, NULL), 1);
}
END_TEST

START_TEST(test_include)
{
	char inc[160];
	struct config c;

	snprintf(inc, sizeof inc, "%s/timings.conf", dir);
	textfile_write(inc, "# timings\nhb_interval_ms = -5;\n");
	ck_assert_int_eq(load(BASE "@include \"timings.conf\"\n", &c), 1);
	ck_assert(has(true, inc, 2, "hb_interval_ms", "out of range"));
}
END_TEST

START_TEST(test_all_errors_reported)
{
	const char *text =
	    "node_id = \"n1\";\n"
	    "members = (\n"
	    M1
	    "  { id = \"n1\"; election = \"h:2\"; client = \"h:3\"; x = 1; },\n"
	    M3
	    ");\n"
	    "hb_interval_ms = -1;\n"
	    "down_after_ms = 100;\n"      /* relation skipped: hb was bad */
	    "control = { mode = \"9\"; path = \"x\"; };\n"
	    "log_level = \"loud\";\n"
	    "extra = 1;\n";
	struct config c;

	ck_assert_int_eq(load(text, &c), 7);
	ck_assert_int_eq(rep.errors, 7);
	ASSERT_ERROR(4, "members.[1].x", "unknown key");
	ASSERT_ERROR(4, "members.[1].id", "duplicate id");
	ASSERT_ERROR(7, "hb_interval_ms", "out of range");
	ASSERT_ERROR(9, "control.mode", "octal");
	ASSERT_ERROR(9, "control.path", "absolute");
	ASSERT_ERROR(10, "log_level", "expected");
	ASSERT_ERROR(11, "extra", "unknown key");
}
END_TEST

START_TEST(test_out_unchanged)
{
	struct config c, before;

	memset(&c, 0xa5, sizeof c);
	before = c;
	/* Nearly all good: a half-applied config would show here. */
	ck_assert_int_eq(load(BASE "log_level = \"debug\";\nlease_ms = -1;\n",
	    &c), 1);
	ck_assert_mem_eq(&c, &before, sizeof c);
	ck_assert_int_eq(load("{", &c), 1);
	ck_assert_mem_eq(&c, &before, sizeof c);
}
END_TEST

/* ---- the schema against the shipped example and docs ---- */

START_TEST(test_schema_documented)
{
	char *conf = textfile_read("conf/kevy-electd.conf");
	char *doc = textfile_read("docs/reference/configuration.md");
	const struct config_key *k = NULL;
	char cell[80];
	size_t n, i;

	k = config_keys(&n);
	ck_assert_uint_gt(n, 20);
	for (i = 0; i < n; i++) {
		const char *row, *eol, *path = k[i].path;

		ck_assert_msg(strstr(conf, config_key_name(&k[i])) != NULL,
		    "%s not in conf/kevy-electd.conf", path);
		snprintf(cell, sizeof cell, "| `%s` |", path);
		row = strstr(doc, cell);
		ck_assert_msg(row != NULL, "no row %s in docs/reference/configuration.md",
		    cell);
		eol = strchr(row, '\n');
		snprintf(cell, sizeof cell, "| %s |",
		    config_kind_name(k[i].kind));
		ck_assert_msg(strstr(row, cell) != NULL && strstr(row, cell) < eol,
		    "docs: %s type is not %s", path, cell);
		if (k[i].def != NULL) {
			snprintf(cell, sizeof cell, k[i].kind == CONFIG_KIND_STRING ?
			    "`\"%s\"`" : "`%s`", k[i].def);
			ck_assert_msg(strstr(row, cell) != NULL &&
			    strstr(row, cell) < eol,
			    "docs: %s default is not %s", path, cell);
		}
	}
	free(conf);
	free(doc);
}
END_TEST

/* ---- the table itself ---- */

/* Doc text: one markdown cell and one roff line per sentence. */
static void
assert_doc_text(const char *path, const char *what, const char *s)
{
	size_t ticks = 0;

	if (s == NULL)
		return;
	for (const char *p = s; *p != '\0'; p++) {
		ck_assert_msg(*p >= 0x20 && *p < 0x7f && *p != '|' && *p != '\\',
		    "%s: %s: byte 0x%02x at %zu: docs take printable ASCII, "
		    "no '|' or '\\'", path, what, (unsigned char)*p,
		    (size_t)(p - s));
		ticks += *p == '`';
	}
	ck_assert_msg(ticks % 2 == 0, "%s: %s: unpaired `", path, what);
}

START_TEST(test_schema_rows)
{
	const struct config_key *k;
	size_t n, i, j, live = 0;

	k = config_keys(&n);
	ck_assert_ptr_nonnull(k[0].section);
	for (i = 0; i < n; i++) {
		const char *path = k[i].path;
		enum config_scope scope = config_key_scope(&k[i]);

		ck_assert_msg(path != NULL && path[0] != '\0', "row %zu", i);
		for (j = 0; j < i; j++)
			ck_assert_msg(strcmp(k[j].path, path) != 0,
			    "%s: two rows", path);
		ck_assert_msg(strchr(config_key_name(&k[i]), '.') == NULL,
		    "%s: no scope has this prefix", path);
		ck_assert_msg(k[i].help != NULL, "%s: no help", path);
		assert_doc_text(path, "help", k[i].help);
		assert_doc_text(path, "form", k[i].form);
		assert_doc_text(path, "derived", k[i].derived);
		assert_doc_text(path, "def", k[i].def);
		ck_assert_msg(!(k[i].required && k[i].def != NULL),
		    "%s: required with a default", path);
		ck_assert_msg(k[i].min <= k[i].max || k[i].kind ==
		    CONFIG_KIND_BOOL || k[i].kind == CONFIG_KIND_GROUP,
		    "%s: min > max", path);
		/* A scope opened by this row: its children follow it. */
		if (k[i].kind == CONFIG_KIND_GROUP ||
		    k[i].kind == CONFIG_KIND_LIST) {
			ck_assert_msg(k[i].opens != 0 && k[i].opens != scope,
			    "%s: opens no scope", path);
			ck_assert_msg(i + 1 < n &&
			    config_key_scope(&k[i + 1]) == k[i].opens &&
			    strncmp(k[i + 1].path, path, strlen(path)) == 0 &&
			    k[i + 1].path[strlen(path)] == '.',
			    "%s: its keys must follow it", path);
		}
		if (k[i].kind == CONFIG_KIND_GROUP) {
			ck_assert_msg(k[i].reload == 0 && k[i].size == 0 &&
			    k[i].set == NULL && k[i].def == NULL,
			    "%s: a group holds no value", path);
			continue;
		}
		/* Every value: live or restart, and SIGHUP can compare it. */
		ck_assert_msg(k[i].reload == CONFIG_RELOAD_LIVE ||
		    k[i].reload == CONFIG_RELOAD_RESTART ||
		    k[i].reload == CONFIG_RELOAD_MEMBERSHIP,
		    "%s: no reload column", path);
		ck_assert_msg((k[i].reload == CONFIG_RELOAD_LIVE) ==
		    (k[i].apply != NULL), "%s: live needs an apply hook, "
		    "and only live", path);
		live += k[i].reload == CONFIG_RELOAD_LIVE;
		ck_assert_msg((k[i].reload == CONFIG_RELOAD_MEMBERSHIP) ==
		    (scope == CONFIG_SCOPE_MEMBER ||
		    strcmp(path, "node_id") == 0 ||
		    strcmp(path, "members") == 0),
		    "%s: membership is node_id and members, all of it", path);
		ck_assert_msg(k[i].size > 0 || (k[i].set != NULL &&
		    k[i].same != NULL), "%s: neither a field nor hooks", path);
		ck_assert_msg(k[i].check == NULL ||
		    (k[i].kind == CONFIG_KIND_STRING && k[i].set == NULL),
		    "%s: check is for a plain string", path);
		if (k[i].set != NULL)
			continue;
		/* A plain field: its size says its type is the kind's. */
		switch (k[i].kind) {
		case CONFIG_KIND_STRING:
			ck_assert_msg(k[i].size == k[i].max + 1,
			    "%s: field of %zu bytes for %llu", path, k[i].size,
			    (unsigned long long)k[i].max);
			break;
		case CONFIG_KIND_MS:
		case CONFIG_KIND_INT:
			ck_assert_msg(k[i].size == sizeof(uint64_t), "%s", path);
			break;
		case CONFIG_KIND_BOOL:
			ck_assert_msg(k[i].size == sizeof(bool), "%s", path);
			break;
		case CONFIG_KIND_LIST:
			ck_assert_msg(k[i].size == sizeof(size_t), "%s", path);
			break;
		case CONFIG_KIND_IDS:
		case CONFIG_KIND_GROUP:
			ck_abort_msg("%s: needs a setter", path);
		}
		ck_assert_msg(k[i].off + k[i].size <=
		    (scope == CONFIG_SCOPE_MEMBER ? sizeof(struct config_member) :
		    sizeof(struct config)), "%s: field out of bounds", path);
	}
	/* log_level, handoff_on_stop_ms; a new one needs a test */
	ck_assert_uint_eq(live, 2);
}
END_TEST

/*
 * config_key_same, key by key: each variant of BASE (or of its own base)
 * changes exactly the keys listed (space-separated), no other. Derived
 * values count: the own members entry's election is also the default
 * listen.
 */
#define SRV "server = { address = \"h:1\"; "
#define SRV_BASE BASE SRV "};\n"

static const struct {
	const char *text, *changed;
} variants[] = {
	{ "node_id = \"n2\";\nmembers = (\n" M1 M2 M3 ");\n",
	  "node_id listen advertise" },
	{ "node_id = \"n1\";\nmembers = (\n" M1
	  "  { id = \"n2\"; election = \"127.0.0.1:7402\"; "
	  "client = \"127.0.0.1:6402\"; }\n);\n", "members" },
	{ "node_id = \"n1\";\nmembers = (\n" M1 M2
	  "  { id = \"n4\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6403\"; }\n);\n", "members.[].id" },
	{ "node_id = \"n1\";\nmembers = (\n" M1 M2
	  "  { id = \"n3\"; election = \"127.0.0.1:7404\"; "
	  "client = \"127.0.0.1:6403\"; }\n);\n", "members.[].election" },
	{ "node_id = \"n1\";\nmembers = (\n" M1 M2
	  "  { id = \"n3\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6404\"; }\n);\n", "members.[].client" },
	{ "node_id = \"n1\";\nmembers = (\n" M1 M2
	  "  { id = \"n3\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6403\"; never_stand = true; }\n);\n",
	  "members.[].never_stand members.[].priority" },
	{ "node_id = \"n1\";\nmembers = (\n" M1 M2
	  "  { id = \"n3\"; election = \"127.0.0.1:7403\"; "
	  "client = \"127.0.0.1:6403\"; priority = 7; }\n);\n",
	  "members.[].priority" },
	{ BASE "listen = \"0.0.0.0:7401\";\n", "listen" },
	{ BASE "listen = \"127.0.0.1:7401\";\n", "" },
	{ BASE "advertise = \"10.0.0.1:6401\";\n", "advertise" },
	{ BASE "state_dir = \"/srv/e\";\n", "state_dir" },
	{ BASE "control = { path = \"/run/e.sock\"; };\n", "control.path" },
	{ BASE "control = { mode = \"0600\"; };\n", "control.mode" },
	{ BASE "control = { mode = \"660\"; };\n", "" },
	{ BASE "control = { group = \"kevy\"; };\n", "control.group" },
	{ BASE "control = { write_uids = [0]; };\n", "control.write_uids" },
	{ BASE "control = { write_gids = [0, 5]; };\n", "control.write_gids" },
	/* Derived: lease and pause follow hb_interval_ms when unset. */
	{ BASE "hb_interval_ms = 100;\n",
	  "hb_interval_ms lease_ms pause_threshold_ms" },
	/* The retry timings follow down_after_ms when unset. */
	{ BASE "down_after_ms = 6000;\n", "down_after_ms election_timeout_ms "
	  "election_backoff_ms election_backoff_jitter_ms" },
	{ BASE "election_timeout_ms = 2000;\n", "election_timeout_ms" },
	{ BASE "election_backoff_ms = 2000;\n", "election_backoff_ms" },
	{ BASE "election_backoff_jitter_ms = 1;\n",
	  "election_backoff_jitter_ms" },
	{ BASE "lease_ms = 1000;\n", "lease_ms" },
	{ BASE "pause_threshold_ms = 1000;\n", "pause_threshold_ms" },
	{ BASE "initial_role = \"primary\";\n", "initial_role" },
	{ BASE "never_stand = true;\n", "never_stand" },
	{ BASE "log_level = \"debug\";\n", "log_level" },
	{ BASE "priority_lag_bytes = 1024;\n", "priority_lag_bytes" },
	{ BASE "max_lag_bytes = 1048576;\n", "max_lag_bytes" },
	{ BASE "handoff_on_stop_ms = 0;\n", "handoff_on_stop_ms" },
	{ BASE "local_health_timeout_ms = 500;\n", "local_health_timeout_ms" },
	{ BASE "notify_exec = \"/bin/true\";\n", "notify_exec" },
	{ BASE "pid_file = \"/run/kevy-electd.pid\";\n", "pid_file" },
	{ BASE "notify_timeout_ms = 5;\n", "notify_timeout_ms" },
	{ BASE "http_listen = \"127.0.0.1:9105\";\n", "http_listen" },
	{ BASE "http_listen = \"\";\n", "" },
	{ BASE "max_epoch_jump = 0;\n", "max_epoch_jump" },
	{ BASE "peer_source_check = true;\n", "peer_source_check" },
	{ BASE "auth_key_file = \"/k\";\n", "auth_key_file" },
	/* Turning the adapter on resolves its timings: they change too. */
	{ BASE SRV "};\n", "server.address server.poll_ms server.timeout_ms" },
};

/* The same from an adapter already on (base), each key on its own. */
static const struct {
	const char *base, *text, *changed;
} server_variants[] = {
	{ SRV_BASE, BASE "server = { address = \"h:2\"; };\n",
	  "server.address" },
	{ SRV_BASE, BASE "server = { address = \"/run/v.sock\"; };\n",
	  "server.address" },
	{ SRV_BASE, BASE SRV "password_file = \"/p\"; };\n",
	  "server.password_file" },
	{ BASE SRV "password_file = \"/p\"; };\n",
	  BASE SRV "password_file = \"/p\"; user = \"u\"; };\n",
	  "server.user" },
	{ SRV_BASE, BASE SRV "poll_ms = 100; };\n", "server.poll_ms" },
	{ SRV_BASE, BASE SRV "poll_ms = 200; };\n", "" },
	{ SRV_BASE, BASE SRV "timeout_ms = 900; };\n", "server.timeout_ms" },
	{ SRV_BASE, BASE SRV "timeout_ms = 1000; };\n", "" },
	{ SRV_BASE, BASE SRV "fence = \"min-replicas\"; };\n",
	  "server.fence" },
	{ SRV_BASE, BASE SRV "fence = \"auto\"; };\n", "" },
	/* The poll period follows the heartbeat when unset. */
	{ SRV_BASE, BASE "hb_interval_ms = 100;\n" SRV "};\n",
	  "hb_interval_ms lease_ms pause_threshold_ms server.poll_ms" },
};

static bool
is_listed(const char *list, const char *path)
{
	size_t len = strlen(path);

	for (const char *p = list; (p = strstr(p, path)) != NULL; p += len)
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

/* Load base and text; exactly the keys in changed differ. */
static void
assert_changes(int v, const char *base, const char *text,
    const char *changed_keys)
{
	struct config *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	const struct config_key *k;
	size_t n, i;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(load(base, a), 0);
	ck_assert_int_eq(load(text, b), 0);
	k = config_keys(&n);
	for (i = 0; i < n; i++) {
		bool changed = is_listed(changed_keys, k[i].path);

		ck_assert_msg(config_key_same(&k[i], a, a) &&
		    config_key_same(&k[i], b, b), "%s: not the same as itself",
		    k[i].path);
		ck_assert_msg(config_key_same(&k[i], a, b) == !changed &&
		    config_key_same(&k[i], b, a) == !changed,
		    "variant %d: %s %s", v, k[i].path,
		    changed ? "not seen as changed" : "seen as changed");
	}
	free(a);
	free(b);
}

START_TEST(test_key_same)
{
	assert_changes(_i, BASE, variants[_i].text, variants[_i].changed);
}
END_TEST

START_TEST(test_key_same_server)
{
	assert_changes(_i, server_variants[_i].base, server_variants[_i].text,
	    server_variants[_i].changed);
}
END_TEST

/* Every value key has a variant: a new key gets its compare tested. */
START_TEST(test_key_same_covers_schema)
{
	const struct config_key *k;
	size_t n, i, j, found;

	k = config_keys(&n);
	for (i = 0; i < n; i++) {
		if (k[i].kind == CONFIG_KIND_GROUP)
			continue;
		found = 0;
		for (j = 0; j < sizeof variants / sizeof variants[0]; j++)
			found += is_listed(variants[j].changed, k[i].path);
		for (j = 0; j < sizeof server_variants /
		    sizeof server_variants[0]; j++)
			found += is_listed(server_variants[j].changed,
			    k[i].path);
		ck_assert_msg(found > 0, "%s: no variant in "
		    "tests/check_config.c changes it", k[i].path);
	}
}
END_TEST

/* ---- the generated key reference against the docs ---- */

static char *
dump_to_string(const char *format)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(config_dump(f, format), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* The lines strictly between the begin and end marker lines of doc. */
static char *
marked_region(const char *doc, const char *file, const char *begin,
    const char *end)
{
	char bline[64], eline[64];
	const char *b, *e;

	snprintf(bline, sizeof bline, "\n%s\n", begin);
	snprintf(eline, sizeof eline, "\n%s\n", end);
	b = strstr(doc, bline);
	ck_assert_msg(b != NULL, "%s: no '%s' line", file, begin);
	ck_assert_msg(strstr(b + 1, bline) == NULL, "%s: two '%s' lines",
	    file, begin);
	b += strlen(bline);
	/* An empty region: the end marker right after the begin one. */
	e = strncmp(b, eline + 1, strlen(eline + 1)) == 0 ? b - 1 :
	    strstr(b - 1, eline);
	ck_assert_msg(e != NULL, "%s: no '%s' line after '%s'", file, end,
	    begin);
	return strndup(b, (size_t)(e + 1 - b));
}

static void
assert_in_sync(const char *file, const char *format, const char *begin,
    const char *end)
{
	char *doc = textfile_read(file), *want = dump_to_string(format);
	char *have = marked_region(doc, file, begin, end);
	size_t i, line = 1;

	for (i = 0; have[i] != '\0' && have[i] == want[i]; i++)
		line += have[i] == '\n';
	ck_assert_msg(have[i] == want[i], "%s: the key reference differs from "
	    "kevy-electd --dump-config %s at its line %zu: regenerate it with "
	    "make config-docs (or sh mk/gen-config-docs.sh BINARY)", file,
	    format, line);
	free(have);
	free(want);
	free(doc);
}

START_TEST(test_docs_md_in_sync)
{
	assert_in_sync("docs/reference/configuration.md", "md", "<!-- keys:begin -->",
	    "<!-- keys:end -->");
}
END_TEST

START_TEST(test_docs_man_in_sync)
{
	assert_in_sync("man/kevy-electd.conf.5", "man", ".\\\" keys:begin",
	    ".\\\" keys:end");
}
END_TEST

START_TEST(test_dump)
{
	char *md = dump_to_string("md"), *man = dump_to_string("man");
	const struct config_key *k;
	char want[128];
	size_t n, i;
	FILE *f;

	k = config_keys(&n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof want, "\n| `%s` | %s |", k[i].path,
		    config_kind_name(k[i].kind));
		ck_assert_msg(strstr(md, want) != NULL, "md: no row %s", want);
		snprintf(want, sizeof want, "\n.TP\n.B %s\n", k[i].path);
		ck_assert_msg(strstr(man, want) != NULL, "man: no %s", want);
	}
	/* Derived columns: the range comes from min..max, the reload column. */
	ck_assert_ptr_nonnull(strstr(md, "| `hb_interval_ms` | integer | `200` "
	    "| 1..3600000 | restart |"));
	ck_assert_ptr_nonnull(strstr(md, "| `log_level` | string | `\"info\"` "
	    "| 1..64 bytes, `\"error\"`, `\"warn\"`, `\"info\"` or `\"debug\"` "
	    "| live |"));
	ck_assert_ptr_nonnull(strstr(md, "| `members.[].id` | string | "
	    "required | 1..32 bytes"));
	ck_assert_ptr_nonnull(strstr(man, "\n.B max_epoch_jump\nInteger, "
	    "default \\fB1000000\\fR; 0..2^63\\-1.\n"));
	/* An unknown format writes nothing. */
	f = tmpfile();
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(config_dump(f, "html"), -1);
	ck_assert_int_eq(ftell(f), 0);
	fclose(f);
	free(md);
	free(man);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_example);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_server_absent);
	tcase_add_test(tc, test_server_values);
	tcase_add_test(tc, test_server_defaults);
	tcase_add_test(tc, test_server_fence_none_warns);
	tcase_add_loop_test(tc, test_bad_server, 0,
	    (int)(sizeof bad_server / sizeof bad_server[0]));
	tcase_add_test(tc, test_server_all_errors);
	tcase_add_test(tc, test_server_lengths);
	tcase_add_test(tc, test_hardening_keys);
	tcase_add_loop_test(tc, test_bad_hardening, 0,
	    sizeof bad_hardening / sizeof bad_hardening[0]);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_initial_role_primary);
	tcase_add_test(tc, test_never_stand);
	tcase_add_test(tc, test_priority);
	tcase_add_test(tc, test_cluster_size_warnings);
	tcase_add_test(tc, test_other_warnings);
	tcase_add_loop_test(tc, test_bad_top, 0,
	    (int)(sizeof bad_top / sizeof bad_top[0]));
	tcase_add_loop_test(tc, test_bad_member, 0,
	    (int)(sizeof bad_member / sizeof bad_member[0]));
	tcase_add_test(tc, test_bad_lengths);
	tcase_add_test(tc, test_hostport);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_too_many_members);
	tcase_add_test(tc, test_node_id);
	tcase_add_test(tc, test_syntax);
	tcase_add_test(tc, test_int_literal_overflow);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_include);
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_out_unchanged);
	tcase_add_test(tc, test_schema_documented);
	tcase_add_test(tc, test_schema_rows);
	tcase_add_loop_test(tc, test_key_same, 0,
	    (int)(sizeof variants / sizeof variants[0]));
	tcase_add_loop_test(tc, test_key_same_server, 0,
	    (int)(sizeof server_variants / sizeof server_variants[0]));
	tcase_add_test(tc, test_key_same_covers_schema);
	tcase_add_test(tc, test_docs_md_in_sync);
	tcase_add_test(tc, test_docs_man_in_sync);
	tcase_add_test(tc, test_dump);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	strcpy(dir, "/tmp/check_config.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	snprintf(conf_path, sizeof conf_path, "%s/t.conf", dir);
	sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (remove_dir() == -1) {
		perror(dir);
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
