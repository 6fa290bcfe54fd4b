/*
 * check_startup: the daemon binary as a child process (found as the
 * cluster harness finds it: KEVY_ELECTD_BIN, or beside this test), on
 * configs and files written into one mkdtemp directory. `-t` must refuse
 * what a start refuses, with the same sentence naming the key and the
 * file, and exit 78; a start must exit 78 for a configuration fault and
 * 1 for what a restart can fix (its election port in use); --gen-key
 * must write a key the daemon's own loader takes, never over an existing
 * file; server.password_file is judged as auth_key_file is, by -t and a
 * start alike; the shipped units must not restart on 64 or 78. Runs from
 * the repository root (the units are read from systemd/). No sleeps:
 * every run is awaited by reading the child's output to its end.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "auth.h"
#include "cluster.h"
#include "config.h"
#include "keygen.h"
#include "preflight.h"
#include "secret.h"

#define RUN_MS     10000       /* bound on one run of the daemon to exit */
#define OUT_MAX    16384       /* bytes of a run's output kept */
#define ARGS_MAX   8           /* arguments of one run, without argv[0] */
#define FTW_FDS    16          /* descriptors nftw may hold */
#define EXIT_OK        0
#define EXIT_RUNTIME   1       /* a restart may fix it */
#define EXIT_USAGE     64      /* EX_USAGE */
#define EXIT_CONFIG    78      /* EX_CONFIG */

/* A key the loader takes: 40 bytes and a newline. */
#define GOOD_KEY "0123456789abcdef0123456789abcdef-kevy-ok\n"
/* A server password the loader takes. */
#define GOOD_PASSWORD "s3cret-pass\n"
#define OTHER_UID 65534 /* nobody: owns a password file that is not ours */

#define LOW_NOFILE 24 /* descriptors: under any cluster's reserve */

static char bin[PATH_MAX];
static char base[64];          /* main's directory; every test's under it */
static char dir[128];          /* this test's own */
static char conf[192];
static uint16_t port;          /* this test's election port */
static char out[OUT_MAX];

static uint64_t
now_ms(void)
{
	return cluster_now_us() / 1000;
}

/*
 * Run the daemon with args (NULL-terminated), stdout and stderr into out;
 * wait for the end of its output and its exit. Returns its exit code; a
 * child still running after RUN_MS is killed and fails the test.
 */
static int
run(const char *const args[])
{
	char *argv[ARGS_MAX + 2], drain[512];
	uint64_t deadline = now_ms() + RUN_MS;
	size_t len = 0, n_args = 0;
	bool eof = false;
	int p[2], ws;
	pid_t pid;

	argv[0] = bin;
	while (args[n_args] != NULL) {
		ck_assert_uint_lt(n_args, ARGS_MAX);
		argv[n_args + 1] = (char *)args[n_args];
		n_args++;
	}
	argv[n_args + 1] = NULL;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		execv(bin, argv);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while (!eof && now_ms() < deadline) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		if (len < sizeof(out) - 1)
			r = read(p[0], out + len, sizeof(out) - 1 - len);
		else
			r = read(p[0], drain, sizeof(drain));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			eof = true;
		else if (len < sizeof(out) - 1)
			len += (size_t)r;
	}
	close(p[0]);
	out[len] = '\0';
	if (!eof) {
		kill(pid, SIGKILL);
		waitpid(pid, &ws, 0);
		ck_abort_msg("%s still running after %d ms; output:\n%s", bin,
		    RUN_MS, out);
	}
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert_msg(WIFEXITED(ws), "killed by signal %d; output:\n%s",
	    WIFSIGNALED(ws) ? WTERMSIG(ws) : 0, out);
	return WEXITSTATUS(ws);
}

#define EXPECT_EXIT(code, ...) do {					\
	const char *const args_[] = { __VA_ARGS__, NULL };		\
	int got_ = run(args_);						\
	ck_assert_msg(got_ == (code), "exit %d, expected %d; output:\n%s",\
	    got_, (code), out);						\
} while (0)

#define EXPECT_OUT(frag) \
	ck_assert_msg(strstr(out, (frag)) != NULL, "no '%s' in:\n%s", \
	    (frag), out)

static void
put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

/* dir/name into buf. */
static const char *
in_dir(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
	return buf;
}

/* Three members, this one listening on port; extra lines appended. */
static void
write_conf(const char *extra)
{
	FILE *f = fopen(conf, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "node_id = \"n1\";\n"
	    "members = (\n"
	    "  { id = \"n1\"; election = \"127.0.0.1:%u\"; "
	    "client = \"127.0.0.1:6401\"; },\n"
	    "  { id = \"n2\"; election = \"127.0.0.1:1\"; "
	    "client = \"127.0.0.1:6402\"; },\n"
	    "  { id = \"n3\"; election = \"127.0.0.1:2\"; "
	    "client = \"127.0.0.1:6403\"; }\n"
	    ");\n"
	    "state_dir = \"%s/state\";\n"
	    "control = { path = \"%s/ctl.sock\"; };\n"
	    "%s\n", port, dir, dir, extra != NULL ? extra : "");
	ck_assert_int_eq(fclose(f), 0);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/c.conf", dir);
	ck_assert_uint_ne(port = cluster_free_port(), 0);
	memset(out, 0, sizeof(out));
}

/* ---- what a start refuses, -t refuses: one table for both ---- */

struct bad_case {
	const char *name;
	/* Writes the files, the config lines into extra, the culprit into
	 * path (the file the message must name). */
	void (*make)(char *extra, size_t cap, char *path, size_t pcap);
	const char *frag;          /* the problem, as the message says it */
};

static void
key_missing(char *extra, size_t cap, char *path, size_t pcap)
{
	in_dir(path, pcap, "no.key");
	snprintf(extra, cap, "auth_key_file = \"%s\";", path);
}

static void
key_0644(char *extra, size_t cap, char *path, size_t pcap)
{
	put(in_dir(path, pcap, "peer.key"), GOOD_KEY, 0644);
	snprintf(extra, cap, "auth_key_file = \"%s\";", path);
}

static void
key_short(char *extra, size_t cap, char *path, size_t pcap)
{
	put(in_dir(path, pcap, "peer.key"), "short-key\n", 0600);
	snprintf(extra, cap, "auth_key_file = \"%s\";", path);
}

/* The server group with password_file = path, the adapter on. */
static void
server_with_password(char *extra, size_t cap, const char *path)
{
	snprintf(extra, cap, "server = { address = \"127.0.0.1:6401\"; "
	    "user = \"elect\"; password_file = \"%s\"; };", path);
}

static void
pass_missing(char *extra, size_t cap, char *path, size_t pcap)
{
	server_with_password(extra, cap, in_dir(path, pcap, "no.pass"));
}

static void
pass_0644(char *extra, size_t cap, char *path, size_t pcap)
{
	put(in_dir(path, pcap, "server.pass"), GOOD_PASSWORD, 0644);
	server_with_password(extra, cap, path);
}

static void
pass_too_long(char *extra, size_t cap, char *path, size_t pcap)
{
	char text[CONFIG_SERVER_PASSWORD_MAX + 2];

	memset(text, 'p', CONFIG_SERVER_PASSWORD_MAX + 1);
	text[CONFIG_SERVER_PASSWORD_MAX + 1] = '\0';
	put(in_dir(path, pcap, "server.pass"), text, 0600);
	server_with_password(extra, cap, path);
}

static void
pass_two_lines(char *extra, size_t cap, char *path, size_t pcap)
{
	put(in_dir(path, pcap, "server.pass"), "first\nsecond\n", 0600);
	server_with_password(extra, cap, path);
}

static void
pass_empty(char *extra, size_t cap, char *path, size_t pcap)
{
	put(in_dir(path, pcap, "server.pass"), "\n", 0600);
	server_with_password(extra, cap, path);
}

static void
pass_directory(char *extra, size_t cap, char *path, size_t pcap)
{
	ck_assert_int_eq(mkdir(in_dir(path, pcap, "pass.d"), 0700), 0);
	server_with_password(extra, cap, path);
}

static void
hook_missing(char *extra, size_t cap, char *path, size_t pcap)
{
	in_dir(path, pcap, "no-hook");
	snprintf(extra, cap, "notify_exec = \"%s\";", path);
}

static void
hook_not_executable(char *extra, size_t cap, char *path, size_t pcap)
{
	put(in_dir(path, pcap, "hook.sh"), "#!/bin/sh\nexit 0\n", 0644);
	snprintf(extra, cap, "notify_exec = \"%s\";", path);
}

static void
meta_corrupt(char *extra, size_t cap, char *path, size_t pcap)
{
	char sd[192];

	ck_assert_int_eq(mkdir(in_dir(sd, sizeof(sd), "state"), 0700), 0);
	put(in_dir(path, pcap, "state/elect.meta"), "epoch twelve\nvoted n2\n",
	    0600);
	extra[0] = '\0';
	(void)cap;
}

static void
state_dir_is_a_file(char *extra, size_t cap, char *path, size_t pcap)
{
	put(in_dir(path, pcap, "state"), "not a directory\n", 0600);
	extra[0] = '\0';
	(void)cap;
}

static void
control_path_is_a_file(char *extra, size_t cap, char *path, size_t pcap)
{
	put(in_dir(path, pcap, "ctl.sock"), "not a socket\n", 0600);
	extra[0] = '\0';
	(void)cap;
}

static void
config_invalid(char *extra, size_t cap, char *path, size_t pcap)
{
	snprintf(path, pcap, "%s", conf);
	snprintf(extra, cap, "hb_interval_ms = \"fast\";");
}

static const struct bad_case bad_cases[] = {
	{ "auth_key_file missing", key_missing, "No such file or directory" },
	{ "auth_key_file mode 0644", key_0644, "mode 0644: group or others" },
	{ "auth_key_file too short", key_short, "the key must be 32..1024" },
	{ "server.password_file missing", pass_missing,
	  "No such file or directory" },
	{ "server.password_file mode 0644", pass_0644,
	  "mode 0644: group or others" },
	{ "server.password_file too long", pass_too_long,
	  "the password is too long; it must be one line of 1..512 bytes" },
	{ "server.password_file two lines", pass_two_lines,
	  "the password holds a line break" },
	{ "server.password_file empty", pass_empty, "the password is empty" },
	{ "server.password_file a directory", pass_directory,
	  "not a regular file" },
	{ "notify_exec missing", hook_missing, "No such file or directory" },
	{ "notify_exec not executable", hook_not_executable,
	  "not executable: Permission denied" },
	{ "elect.meta corrupt", meta_corrupt, "cannot be read" },
	{ "state_dir a file", state_dir_is_a_file, "not a directory" },
	{ "control.path a file", control_path_is_a_file,
	  "exists and is not a socket" },
	{ "invalid config", config_invalid, "hb_interval_ms" },
};
#define N_BAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

static void
make_bad(int i, char *path, size_t pcap)
{
	char extra[512];

	bad_cases[i].make(extra, sizeof(extra), path, pcap);
	write_conf(extra);
}

START_TEST(check_refuses_what_a_start_refuses)
{
	char path[256];

	make_bad(_i, path, sizeof(path));
	EXPECT_EXIT(EXIT_CONFIG, "-t", "-c", conf);
	ck_assert_msg(strstr(out, bad_cases[_i].frag) != NULL &&
	    strstr(out, path) != NULL, "%s: no '%s' naming %s in:\n%s",
	    bad_cases[_i].name, bad_cases[_i].frag, path, out);
	ck_assert_msg(strstr(out, "configuration valid") == NULL, "%s", out);
	/* -t writes nothing: no state_dir where there was none. */
	if (bad_cases[_i].make != meta_corrupt &&
	    bad_cases[_i].make != state_dir_is_a_file) {
		char sd[192];

		ck_assert_int_eq(access(in_dir(sd, sizeof(sd), "state"), F_OK),
		    -1);
	}
}
END_TEST

START_TEST(start_refuses_with_exit_78)
{
	char path[256];

	make_bad(_i, path, sizeof(path));
	EXPECT_EXIT(EXIT_CONFIG, "-f", "-c", conf);
	ck_assert_msg(strstr(out, bad_cases[_i].frag) != NULL &&
	    strstr(out, path) != NULL, "%s: no '%s' naming %s in:\n%s",
	    bad_cases[_i].name, bad_cases[_i].frag, path, out);
}
END_TEST

/* Without -f the refusal must still reach the caller, not only the log. */
START_TEST(daemonized_start_refuses_with_exit_78)
{
	char path[256];

	make_bad(1, path, sizeof(path));
	EXPECT_EXIT(EXIT_CONFIG, "-c", conf);
	EXPECT_OUT("mode 0644");
}
END_TEST

START_TEST(check_reports_every_problem)
{
	char key[256], hook[256], sd[192], extra[768];

	ck_assert_int_eq(mkdir(in_dir(sd, sizeof(sd), "state"), 0700), 0);
	put(in_dir(sd, sizeof(sd), "state/elect.meta"), "epoch 1\r\n", 0600);
	put(in_dir(key, sizeof(key), "peer.key"), GOOD_KEY, 0640);
	in_dir(hook, sizeof(hook), "no-hook");
	snprintf(extra, sizeof(extra), "auth_key_file = \"%s\";\n"
	    "notify_exec = \"%s\";", key, hook);
	write_conf(extra);
	EXPECT_EXIT(EXIT_CONFIG, "-t", "-c", conf);
	EXPECT_OUT("mode 0640");
	EXPECT_OUT("notify_exec");
	EXPECT_OUT("elect.meta");
	EXPECT_OUT("3 problems");
}
END_TEST

START_TEST(check_accepts_a_valid_setup)
{
	char key[256], hook[256], sd[192], extra[768];

	ck_assert_int_eq(mkdir(in_dir(sd, sizeof(sd), "state"), 0700), 0);
	put(in_dir(sd, sizeof(sd), "state/elect.meta"), "epoch 7\nvoted n2\n",
	    0600);
	put(in_dir(key, sizeof(key), "peer.key"), GOOD_KEY, 0600);
	put(in_dir(hook, sizeof(hook), "hook.sh"), "#!/bin/sh\nexit 0\n", 0700);
	snprintf(extra, sizeof(extra), "auth_key_file = \"%s\";\n"
	    "notify_exec = \"%s\";", key, hook);
	write_conf(extra);
	EXPECT_EXIT(EXIT_OK, "-t", "-c", conf);
	EXPECT_OUT("configuration valid");
	ck_assert_msg(strstr(out, "error") == NULL, "%s", out);
}
END_TEST

/*
 * A good password file: -t passes, and a start gets past every file
 * check: with its election port taken it fails at bind, exit 1 (what a
 * restart may fix), not 78. The password itself is never printed.
 */
START_TEST(server_password_file_accepted)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	char pass[256], extra[512];
	int fd, one = 1;

	put(in_dir(pass, sizeof(pass), "server.pass"), GOOD_PASSWORD, 0600);
	server_with_password(extra, sizeof(extra), pass);
	write_conf(extra);
	EXPECT_EXIT(EXIT_OK, "-t", "-c", conf);
	EXPECT_OUT("configuration valid");
	ck_assert_msg(strstr(out, "s3cret") == NULL, "%s", out);
	/* 0400 and "\r\n" are fine too. */
	put(pass, "s3cret-pass\r\n", 0400);
	EXPECT_EXIT(EXIT_OK, "-t", "-c", conf);

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)), 0);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	EXPECT_EXIT(EXIT_RUNTIME, "-f", "-c", conf);
	EXPECT_OUT("Address already in use");
	ck_assert_msg(strstr(out, "s3cret") == NULL, "%s", out);
	close(fd);
}
END_TEST

/* Owned by another uid: needs root to make such a file. */
START_TEST(server_password_file_of_another_uid)
{
	char pass[256], extra[512], want[64];

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP server_password_file_of_another_uid: "
		    "chown needs root\n");
		return;
	}
	put(in_dir(pass, sizeof(pass), "server.pass"), GOOD_PASSWORD, 0600);
	ck_assert_int_eq(chown(pass, OTHER_UID, (gid_t)-1), 0);
	server_with_password(extra, sizeof(extra), pass);
	write_conf(extra);
	snprintf(want, sizeof(want), "owned by uid %d, must be owned by "
	    "the daemon's uid 0", OTHER_UID);
	EXPECT_EXIT(EXIT_CONFIG, "-t", "-c", conf);
	EXPECT_OUT(pass);
	EXPECT_OUT(want);
	EXPECT_EXIT(EXIT_CONFIG, "-f", "-c", conf);
	EXPECT_OUT(want);
}
END_TEST

static void
quiet(void *ctx, bool is_error, const char *msg)
{
	int *errors = ctx;

	*errors += is_error;
	fprintf(stderr, "  %s %s\n", is_error ? "E" : "W", msg);
}

/*
 * In process: preflight_start keeps the password where the adapter reads
 * it (cfg->server.password); -t's preflight_run reads it and keeps
 * nothing; a refused file leaves nothing behind.
 */
START_TEST(preflight_start_keeps_the_password)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	char pass[256], extra[512];
	int errors = 0;

	ck_assert_ptr_nonnull(cfg);
	put(in_dir(pass, sizeof(pass), "server.pass"), "s3cret-pass\r\n",
	    0600);
	server_with_password(extra, sizeof(extra), pass);
	write_conf(extra);
	ck_assert_int_eq(config_load(conf, cfg, quiet, &errors), 0);
	ck_assert_str_eq(cfg->server.password, "");
	ck_assert_int_eq(preflight_run(cfg, PREFLIGHT_CHECK, NULL, quiet,
	    &errors), 0);
	ck_assert_str_eq(cfg->server.password, "");
	ck_assert_int_eq(preflight_start(cfg, NULL, quiet, &errors), 0);
	ck_assert_str_eq(cfg->server.password, "s3cret-pass");
	ck_assert_int_eq(errors, 0);

	ck_assert_int_eq(chmod(pass, 0640), 0);
	ck_assert_int_eq(preflight_start(cfg, NULL, quiet, &errors), 1);
	ck_assert_str_eq(cfg->server.password, "");
	free(cfg);
}
END_TEST

/* secret_password_load's bounds, byte by byte. */
START_TEST(password_file_bounds)
{
	char path[256], pw[CONFIG_SERVER_PASSWORD_MAX + 1], err[1024];
	char text[CONFIG_SERVER_PASSWORD_MAX + 8];
	int fd;

	in_dir(path, sizeof(path), "server.pass");
	memset(text, 'p', sizeof(text));
	text[CONFIG_SERVER_PASSWORD_MAX] = '\0';
	put(path, text, 0600);
	ck_assert_int_eq(secret_password_load("server.password_file", path,
	    geteuid(), pw, CONFIG_SERVER_PASSWORD_MAX, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(pw), CONFIG_SERVER_PASSWORD_MAX);
	memcpy(text + CONFIG_SERVER_PASSWORD_MAX, "\r\n", 3);
	put(path, text, 0400);
	ck_assert_int_eq(secret_password_load("server.password_file", path,
	    geteuid(), pw, CONFIG_SERVER_PASSWORD_MAX, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(pw), CONFIG_SERVER_PASSWORD_MAX);
	memcpy(text + CONFIG_SERVER_PASSWORD_MAX, "p\n", 3);
	put(path, text, 0600);
	ck_assert_int_eq(secret_password_load("server.password_file", path,
	    geteuid(), pw, CONFIG_SERVER_PASSWORD_MAX, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is too long") != NULL, "%s", err);
	ck_assert_str_eq(pw, "");
	/* Only one line end is stripped; a NUL inside is refused. */
	put(path, "pass\n\n", 0600);
	ck_assert_int_eq(secret_password_load("server.password_file", path,
	    geteuid(), pw, CONFIG_SERVER_PASSWORD_MAX, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "line break") != NULL, "%s", err);
	put(path, "pass\rword", 0600);
	ck_assert_int_eq(secret_password_load("server.password_file", path,
	    geteuid(), pw, CONFIG_SERVER_PASSWORD_MAX, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "line break") != NULL, "%s", err);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_TRUNC), 0);
	ck_assert_int_eq(write(fd, "pa\0ss\n", 6), 6);
	close(fd);
	ck_assert_int_eq(secret_password_load("server.password_file", path,
	    geteuid(), pw, CONFIG_SERVER_PASSWORD_MAX, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "holds a NUL byte") != NULL, "%s", err);
	/* The message names the file, never what is in it. */
	put(path, "s3cret\nx", 0600);
	ck_assert_int_eq(secret_password_load("server.password_file", path,
	    geteuid(), pw, CONFIG_SERVER_PASSWORD_MAX, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_null(strstr(err, "s3cret"));
}
END_TEST

/* fence = "none": valid, with a warning at -t and at a start. */
START_TEST(server_fence_none_warns)
{
	write_conf("server = { address = \"/run/none.sock\"; "
	    "fence = \"none\"; };");
	EXPECT_EXIT(EXIT_OK, "-t", "-c", conf);
	EXPECT_OUT("warning: ");
	EXPECT_OUT("server.fence: \"none\": writes are not fenced in the "
	    "server");
}
END_TEST

/*
 * A hard RLIMIT_NOFILE below the descriptor reserve and the minimum caps
 * (fdbudget.h): a restart cannot fix it, so -t and a start say 78.
 */
START_TEST(descriptor_limit_too_low_is_a_config_error)
{
	struct rlimit rl = { LOW_NOFILE, LOW_NOFILE };

	write_conf(NULL);
	/* This test's own process (Check forks one per test) passes it on. */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	EXPECT_EXIT(EXIT_CONFIG, "-t", "-c", conf);
	EXPECT_OUT("RLIMIT_NOFILE");
	EXPECT_EXIT(EXIT_CONFIG, "-f", "-c", conf);
	EXPECT_OUT("RLIMIT_NOFILE");
}
END_TEST

/* A fresh node: no state_dir yet. -t passes and creates nothing. */
START_TEST(check_creates_nothing)
{
	char sd[192];

	write_conf(NULL);
	EXPECT_EXIT(EXIT_OK, "-t", "-c", conf);
	EXPECT_OUT("configuration valid");
	ck_assert_int_eq(access(in_dir(sd, sizeof(sd), "state"), F_OK), -1);
	ck_assert_int_eq(access(in_dir(sd, sizeof(sd), "ctl.sock"), F_OK), -1);
}
END_TEST

/* Somebody else holds the election port: a restart may fix that. */
START_TEST(start_with_port_in_use_exits_1)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	int fd, one = 1;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)), 0);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	write_conf(NULL);
	EXPECT_EXIT(EXIT_OK, "-t", "-c", conf);
	EXPECT_EXIT(EXIT_RUNTIME, "-f", "-c", conf);
	EXPECT_OUT("Address already in use");
	close(fd);
}
END_TEST

/* ---- --gen-key ---- */

START_TEST(gen_key_writes_a_key_the_daemon_accepts)
{
	char key[256], extra[512], errbuf[512];
	struct auth_key k;
	struct stat sb;
	FILE *f;
	char text[KEYGEN_TEXT_LEN + 8];
	size_t n;

	EXPECT_EXIT(EXIT_OK, "--gen-key", in_dir(key, sizeof(key), "peer.key"));
	EXPECT_OUT(key);
	ck_assert_int_eq(stat(key, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 07777, KEYGEN_MODE);
	ck_assert_uint_eq(sb.st_uid, geteuid());
	ck_assert_ptr_nonnull(f = fopen(key, "r"));
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	ck_assert_uint_eq(n, KEYGEN_TEXT_LEN + 1);
	ck_assert_int_eq(text[KEYGEN_TEXT_LEN], '\n');
	ck_assert_uint_eq(strspn(text, "0123456789abcdef"), KEYGEN_TEXT_LEN);
	/* The daemon's own loader, then the daemon's own check. */
	ck_assert_msg(auth_key_load(key, geteuid(), &k, errbuf,
	    sizeof(errbuf)) == 0, "%s", errbuf);
	ck_assert_uint_eq(k.len, KEYGEN_TEXT_LEN);
	snprintf(extra, sizeof(extra), "auth_key_file = \"%s\";", key);
	write_conf(extra);
	EXPECT_EXIT(EXIT_OK, "-t", "-c", conf);
	EXPECT_OUT("configuration valid");
}
END_TEST

START_TEST(gen_key_never_overwrites)
{
	char key[256], sym[256], text[256] = "";
	FILE *f;

	put(in_dir(key, sizeof(key), "peer.key"), "the old key\n", 0600);
	EXPECT_EXIT(EXIT_RUNTIME, "--gen-key", key);
	EXPECT_OUT("exists; not overwriting it");
	ck_assert_ptr_nonnull(f = fopen(key, "r"));
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
	fclose(f);
	ck_assert_str_eq(text, "the old key\n");
	/* Nor through a symlink, dangling or not. */
	ck_assert_int_eq(symlink(in_dir(text, sizeof(text), "elsewhere"),
	    in_dir(sym, sizeof(sym), "link.key")), 0);
	EXPECT_EXIT(EXIT_RUNTIME, "--gen-key", sym);
	ck_assert_int_eq(access(text, F_OK), -1);
}
END_TEST

START_TEST(gen_key_to_stdout)
{
	char first[KEYGEN_TEXT_LEN + 2];

	EXPECT_EXIT(EXIT_OK, "--gen-key", "-");
	ck_assert_uint_eq(strlen(out), KEYGEN_TEXT_LEN + 1);
	ck_assert_uint_eq(strspn(out, "0123456789abcdef"), KEYGEN_TEXT_LEN);
	ck_assert_int_eq(out[KEYGEN_TEXT_LEN], '\n');
	memcpy(first, out, sizeof(first));
	EXPECT_EXIT(EXIT_OK, "--gen-key", "-");
	ck_assert_msg(memcmp(first, out, KEYGEN_TEXT_LEN) != 0,
	    "two keys alike: %s", out);
}
END_TEST

START_TEST(gen_key_bad_usage_exits_64)
{
	char key[256];

	in_dir(key, sizeof(key), "peer.key");
	write_conf(NULL);
	EXPECT_EXIT(EXIT_USAGE, "--gen-key");
	EXPECT_OUT("requires an argument");
	EXPECT_EXIT(EXIT_USAGE, "--gen-key", key, "extra");
	EXPECT_EXIT(EXIT_USAGE, "--gen-key", key, "-t");
	EXPECT_EXIT(EXIT_USAGE, "-f", "--gen-key", key);
	EXPECT_EXIT(EXIT_USAGE, "-c", conf, "--gen-key", key);
	ck_assert_int_eq(access(key, F_OK), -1);
}
END_TEST

/* ---- documentation and units ---- */

START_TEST(help_documents_exit_codes_and_gen_key)
{
	EXPECT_EXIT(EXIT_OK, "--help");
	EXPECT_OUT("--gen-key file");
	EXPECT_OUT("exit status");
	EXPECT_OUT("\n  1   ");
	EXPECT_OUT("\n  64  ");
	EXPECT_OUT("\n  78  ");
}
END_TEST

/* "RestartPreventExitStatus=" in unit file path lists 64 and 78. */
static bool
unit_prevents_restart(const char *path)
{
	char line[256];
	bool has64 = false, has78 = false;
	FILE *f = fopen(path, "r");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tok, *save = NULL;

		if (strncmp(line, "RestartPreventExitStatus=", 25) != 0)
			continue;
		for (tok = strtok_r(line + 25, " \t\n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t\n", &save)) {
			has64 |= strcmp(tok, "64") == 0;
			has78 |= strcmp(tok, "78") == 0;
		}
	}
	fclose(f);
	return has64 && has78;
}

START_TEST(units_do_not_restart_on_usage_or_config_errors)
{
	ck_assert(unit_prevents_restart("systemd/kevy-electd.service"));
	ck_assert(unit_prevents_restart("systemd/kevy-electd@.service"));
}
END_TEST

static int
remove_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == -1 ? -1 : 0;
}

static Suite *
startup_suite(void)
{
	Suite *s = suite_create("startup");
	TCase *check = tcase_create("check");
	TCase *start = tcase_create("start");
	TCase *key = tcase_create("gen-key");
	TCase *doc = tcase_create("docs");

	tcase_add_checked_fixture(check, setup, NULL);
	tcase_add_loop_test(check, check_refuses_what_a_start_refuses, 0,
	    (int)N_BAD);
	tcase_add_test(check, check_reports_every_problem);
	tcase_add_test(check, check_accepts_a_valid_setup);
	tcase_add_test(check, check_creates_nothing);
	tcase_add_test(check, server_password_file_accepted);
	tcase_add_test(check, server_password_file_of_another_uid);
	tcase_add_test(check, server_fence_none_warns);
	tcase_add_test(check, preflight_start_keeps_the_password);
	tcase_add_test(check, password_file_bounds);
	tcase_add_test(check, descriptor_limit_too_low_is_a_config_error);
	tcase_set_timeout(check, 60);
	suite_add_tcase(s, check);

	tcase_add_checked_fixture(start, setup, NULL);
	tcase_add_loop_test(start, start_refuses_with_exit_78, 0, (int)N_BAD);
	tcase_add_test(start, daemonized_start_refuses_with_exit_78);
	tcase_add_test(start, start_with_port_in_use_exits_1);
	tcase_set_timeout(start, 60);
	suite_add_tcase(s, start);

	tcase_add_checked_fixture(key, setup, NULL);
	tcase_add_test(key, gen_key_writes_a_key_the_daemon_accepts);
	tcase_add_test(key, gen_key_never_overwrites);
	tcase_add_test(key, gen_key_to_stdout);
	tcase_add_test(key, gen_key_bad_usage_exits_64);
	tcase_set_timeout(key, 60);
	suite_add_tcase(s, key);

	tcase_add_checked_fixture(doc, setup, NULL);
	tcase_add_test(doc, help_documents_exit_codes_and_gen_key);
	tcase_add_test(doc, units_do_not_restart_on_usage_or_config_errors);
	suite_add_tcase(s, doc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	cluster_build_binary("KEVY_ELECTD_BIN", "kevy-electd", bin,
	    sizeof(bin));
	snprintf(base, sizeof(base), "/tmp/kevy-startup.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(startup_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Here, not per test: a failed test's child skips its teardown. */
	nftw(base, remove_one, FTW_FDS, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
