/*
 * check_firsthour: what a new user and an operator meet in their first
 * hour, on the real binary (KEVY_ELECTD_BIN, or beside this test): -h and
 * -V; a last control line without its line end answered at EOF; HELP and
 * STATUS as docs/reference/control-protocol.md and the man page document
 * them; WATCH lines with a true since_change_ms; SIGHUP's summary line
 * naming every changed key; a refused write logged with the uid the
 * daemon saw, and the shipped unit's sandbox letting a uid listed in
 * control.write_uids write; a daemonized start that reports its real
 * outcome to its caller; pid_file (written when ready, locked, removed). Runs from the repository root (it
 * reads docs/, man/ and systemd/). Every wait is on an event (a reply, a
 * WATCH line, a notify datagram, a process exit) with a generous bound.
 */
#define _GNU_SOURCE
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "runner.h"
#include "textfile.h"

#define WAIT_MS     15000   /* bound on any one awaited event */
#define REPLY_MAX   16384   /* bytes of one reply kept */
#define OTHER_UID   1000    /* a client that is neither root nor the daemon */
#define OVERFLOW_ID 65534   /* what an unmapped id looks like in a userns */
#define EXIT_RUNTIME 1
#define EXIT_USAGE   64

static const char *const control_doc = "docs/reference/control-protocol.md";
static const char *const control_man = "man/kevy-electd-control.7";

static char bin[PATH_MAX];

/*
 * Run the binary with args (NULL-terminated) and its stdout and stderr in
 * the file out; await the exit of that process (not of any daemon it
 * leaves behind) within WAIT_MS. Returns its exit code.
 */
static int
run_to(const char *out, const char *const args[])
{
	char *argv[16];
	size_t n = 0;
	struct pollfd p;
	int ws, fd;
	pid_t pid;

	argv[n++] = bin;
	while (args[n - 1] != NULL && n < 15) {
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(127);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		unsetenv("NOTIFY_SOCKET");
		execv(bin, argv);
		_exit(127);
	}
	ck_assert_int_ge(fd = (int)syscall(SYS_pidfd_open, pid, 0), 0);
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, WAIT_MS) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		ck_abort_msg("%s still running after %d ms", bin, WAIT_MS);
	}
	close(fd);
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert_msg(WIFEXITED(ws), "killed by signal %d", WTERMSIG(ws));
	return WEXITSTATUS(ws);
}

/* A one-node cluster, started; its logs in cluster_dir. */
static struct cluster *
one_node(const char *control_extra)
{
	struct cluster_opts o = { .n = 1, .control_extra = control_extra };
	struct cluster *c = cluster_new(&o);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(cluster_start(c, 0) == 0, "node did not start (%s)",
	    cluster_dir(c));
	return c;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Send text, half-close, read everything until the daemon closes. */
static void
send_and_read_all(const char *path, const char *text, char *out, size_t cap)
{
	uint64_t end = cluster_now_us() + WAIT_MS * 1000ULL;
	size_t len = 0;
	int fd = connect_to(path);

	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		ck_assert_msg(cluster_now_us() < end, "no EOF; got: %.*s",
		    (int)len, out);
		if (poll(&p, 1, WAIT_MS) != 1)
			continue;
		if ((n = read(fd, out + len, cap - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		ck_assert_uint_lt(len, cap - 1);
	}
	out[len] = '\0';
	close(fd);
}

/* ---- flags ---- */

START_TEST(short_help_and_version)
{
	char out[] = "/tmp/kevy-firsthour-out.XXXXXX";
	char *text;
	int fd;

	ck_assert_int_ge(fd = mkstemp(out), 0);
	close(fd);
	ck_assert_int_eq(run_to(out, (const char *const[]){ "-h", NULL }), 0);
	text = textfile_read(out);
	ck_assert_msg(strncmp(text, "usage: kevy-electd", 18) == 0, "%s", text);
	free(text);
	ck_assert_int_eq(run_to(out, (const char *const[]){ "-V", NULL }), 0);
	text = textfile_read(out);
	ck_assert_msg(strncmp(text, "kevy-electd ", 12) == 0 &&
	    strchr("0123456789", text[12]) != NULL, "%s", text);
	free(text);
	/* The long forms say the same; an unknown flag is still 64. */
	ck_assert_int_eq(run_to(out, (const char *const[]){ "--version",
	    NULL }), 0);
	ck_assert_int_eq(run_to(out, (const char *const[]){ "-Z", NULL }),
	    EXIT_USAGE);
	unlink(out);
}
END_TEST

/* ---- the control protocol as documented ---- */

START_TEST(last_line_without_end_is_answered)
{
	struct cluster *c = one_node(NULL);
	char got[REPLY_MAX];

	send_and_read_all(cluster_socket_path(c, 0), "PING", got, sizeof(got));
	ck_assert_str_eq(got, "PONG\n");
	/* After complete lines, and with a lone "\r" left of its end. */
	send_and_read_all(cluster_socket_path(c, 0), "PING\nROLE\r", got,
	    sizeof(got));
	ck_assert_msg(strncmp(got, "PONG\n", 5) == 0 &&
	    strchr(got + 5, '\n') == got + strlen(got) - 1 &&
	    strchr(got + 5, '\r') == NULL, "%s", got);
	cluster_free(c);
}
END_TEST

/* The line of the file at path that starts with prefix (malloc'd). */
static char *
line_starting(const char *path, const char *prefix)
{
	char *text = textfile_read(path), *p = text, *line = NULL;
	size_t pl = strlen(prefix);

	while (p != NULL && *p != '\0') {
		char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (n >= pl && strncmp(p, prefix, pl) == 0) {
			line = strndup(p, n);
			break;
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(text);
	return line;
}

/* HELP's reply is what the doc and the man page show, and every verb
 * in it has its own section in the doc and a mention in the README. */
START_TEST(help_matches_the_docs)
{
	struct cluster *c = one_node(NULL);
	char help[REPLY_MAX], want[REPLY_MAX + 16], *doc, *readme, *line;
	char *save = NULL, *tok;

	ck_assert_int_eq(cluster_request(c, 0, "HELP", help, sizeof(help)), 0);
	ck_assert_msg(strncmp(help, "commands: ", 10) == 0, "%s", help);
	snprintf(want, sizeof(want), "< %s", help);
	line = line_starting(control_doc, "< commands: ");
	ck_assert_msg(line != NULL && strcmp(line, want) == 0,
	    "%s shows\n%s\nthe daemon says\n%s", control_doc,
	    line != NULL ? line : "(nothing)", want);
	free(line);
	snprintf(want, sizeof(want), ".BR \"%s\" .", help);
	line = line_starting(control_man, ".BR \"commands: ");
	ck_assert_msg(line != NULL && strcmp(line, want) == 0,
	    "%s shows\n%s\nthe daemon says\n%s", control_man,
	    line != NULL ? line : "(nothing)", want);
	free(line);
	doc = textfile_read(control_doc);
	readme = textfile_read("README.md");
	for (tok = strtok_r(help + 10, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		char verb[32], head[48], quoted[40];

		ck_assert_int_eq(sscanf(tok, " %31[A-Z]", verb), 1);
		snprintf(head, sizeof(head), "\n### %s", verb);
		ck_assert_msg(strstr(doc, head) != NULL, "%s: no section for "
		    "%s", control_doc, verb);
		snprintf(quoted, sizeof(quoted), "`%s", verb);
		ck_assert_msg(strstr(readme, quoted) != NULL, "README.md does "
		    "not list %s", verb);
	}
	free(doc);
	free(readme);
	cluster_free(c);
}
END_TEST

/* Every key of a STATUS line has its row in the doc's STATUS table and
 * is named in the man page. */
START_TEST(status_keys_are_documented)
{
	struct cluster *c = one_node(NULL);
	char st[REPLY_MAX], *doc, *man, *save = NULL, *tok;
	size_t n = 0;

	ck_assert_int_eq(cluster_request(c, 0, "STATUS", st, sizeof(st)), 0);
	doc = textfile_read(control_doc);
	man = textfile_read(control_man);
	for (tok = strtok_r(st, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save), n++) {
		char key[64], row[80], bold[80];

		ck_assert_int_eq(sscanf(tok, "%63[a-z_]=", key), 1);
		snprintf(row, sizeof(row), "\n| `%s` |", key);
		ck_assert_msg(strstr(doc, row) != NULL, "%s: STATUS key %s "
		    "has no row", control_doc, key);
		snprintf(bold, sizeof(bold), "\n.B %s\n", key);
		ck_assert_msg(strstr(man, bold) != NULL, "%s: STATUS key %s "
		    "not named", control_man, key);
	}
	ck_assert_uint_ge(n, 16);
	free(doc);
	free(man);
	cluster_free(c);
}
END_TEST

/* ---- WATCH: since_change_ms ---- */

struct last_line {
	size_t node;
	char line[CLUSTER_LINE_MAX];
};

static void
keep_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	struct last_line *l = arg;

	(void)c;
	if (i == l->node)
		snprintf(l->line, sizeof(l->line), "%s", line);
}

struct down_seen {
	int primary;
	int victim;
};

static bool
primary_sees_down(struct cluster *c, void *arg)
{
	const struct down_seen *d = arg;

	return strcmp(cluster_view(c, (size_t)d->primary)->down,
	    cluster_id(c, (size_t)d->victim)) == 0;
}

/*
 * A replica dies: the primary's next WATCH line (its down set changed,
 * role, epoch and primary did not) counts since the election, which was
 * at least down_after_ms before the death was noticed.
 */
START_TEST(watch_since_change_counts_from_the_last_move)
{
	struct cluster_opts o = { .n = 3 };
	struct last_line last;
	struct down_seen d;
	struct cluster *c;
	char since[32];

	ck_assert_ptr_nonnull(c = cluster_new(&o));
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(cluster_start(c, i), 0);
	ck_assert_msg(cluster_wait(c, cluster_settled, NULL, WAIT_MS),
	    "not settled (%s)", cluster_dir(c));
	d.primary = cluster_primary(c);
	d.victim = (d.primary + 1) % 3;
	last.node = (size_t)d.primary;
	last.line[0] = '\0';
	cluster_on_line(c, keep_line, &last);
	cluster_kill(c, (size_t)d.victim);
	ck_assert_msg(cluster_wait(c, primary_sees_down, &d, WAIT_MS),
	    "the primary never counted %s down", cluster_id(c,
	    (size_t)d.victim));
	cluster_field(last.line, "since_change_ms", since, sizeof(since));
	ck_assert_msg(strtoull(since, NULL, 10) >= 500, "down_after_ms is "
	    "500, yet: %s", last.line);
	cluster_free(c);
}
END_TEST

/* ---- SIGHUP ---- */

/* Replace the first "from" in the file with "to". */
static void
edit(const char *path, const char *from, const char *to)
{
	char *text = textfile_read(path), *at, *fresh;

	ck_assert_ptr_nonnull(at = strstr(text, from));
	ck_assert_int_ge(asprintf(&fresh, "%.*s%s%s", (int)(at - text), text,
	    to, at + strlen(from)), 0);
	textfile_write(path, fresh);
	free(fresh);
	free(text);
}

START_TEST(reload_summary_names_every_changed_key)
{
	struct cluster *c = one_node(NULL);
	char *line, *log;

	edit(cluster_config_path(c, 0), "hb_interval_ms = 50;",
	    "hb_interval_ms = 60;");
	edit(cluster_config_path(c, 0), "election_timeout_ms = 300;",
	    "election_timeout_ms = 320;");
	ck_assert_int_eq(cluster_signal(c, 0, SIGHUP), 0);
	/* READY=1 comes after the reload has logged everything. */
	ck_assert_int_eq(cluster_await_notify(c, 0, "READY=1"), 0);
	log = textfile_read(cluster_log_path(c, 0));
	ck_assert_msg((line = strstr(log, "event=reload_done ")) != NULL,
	    "%s", log);
	line = strndup(line, strcspn(line, "\n"));
	ck_assert_msg(strstr(line, "hb_interval_ms") != NULL &&
	    strstr(line, "election_timeout_ms") != NULL &&
	    strstr(line, "applied=none") != NULL, "%s", line);
	free(line);
	free(log);
	cluster_free(c);
}
END_TEST

/* ---- who may write ---- */

/*
 * As uid OTHER_UID: connect to path, send request, the reply into got
 * (through a pipe from the child that dropped its ids).
 */
static void
ask_as_other(const char *path, const char *request, char *got, size_t cap)
{
	int p[2], ws;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		char buf[256];
		size_t len = 0;
		int fd;
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		close(p[0]);
		if (setgroups(0, NULL) == -1 || setgid(OTHER_UID) == -1 ||
		    setuid(OTHER_UID) == -1)
			_exit(2);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    write(fd, request, strlen(request)) !=
		    (ssize_t)strlen(request))
			_exit(3);
		while (len < sizeof(buf) - 1 && memchr(buf, '\n', len) == NULL &&
		    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		if (write(p[1], buf, len) != (ssize_t)len)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], got, cap - 1);
	got[n > 0 ? n : 0] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "client as uid "
	    "%d failed (%d)", OTHER_UID, WEXITSTATUS(ws));
}

/* Let OTHER_UID reach node 0's socket. */
static void
open_socket_to_others(struct cluster *c)
{
	ck_assert_int_eq(chmod(cluster_dir(c), 0755), 0);
	ck_assert_int_eq(chmod(cluster_socket_path(c, 0), 0666), 0);
}

static bool
skip_unless_root(const char *name)
{
	if (geteuid() == 0)
		return false;
	fprintf(stderr, "SKIP %s: needs root (to connect as uid %d)\n", name,
	    OTHER_UID);
	return true;
}

/* A refused write is logged with the ids the daemon saw. */
START_TEST(denied_write_logs_the_uid)
{
	struct cluster *c;
	char got[256], want[64], *log;

	if (skip_unless_root("denied_write_logs_the_uid"))
		return;
	c = one_node(NULL);
	open_socket_to_others(c);
	ask_as_other(cluster_socket_path(c, 0), "OFFSET 5\n", got, sizeof(got));
	ck_assert_str_eq(got, "ERR permission denied\n");
	/* Logged before the reply was queued. */
	log = textfile_read(cluster_log_path(c, 0));
	snprintf(want, sizeof(want), "uid=%d gid=%d ", OTHER_UID, OTHER_UID);
	ck_assert_msg(strstr(log, "event=ctl_write_denied") != NULL &&
	    strstr(log, want) != NULL, "no '%s' in:\n%s", want, log);
	free(log);
	cluster_free(c);
}
END_TEST

/* Does the unit file at path set PrivateUsers= to yes? */
static bool
unit_has_private_users(const char *path)
{
	char *text = textfile_read(path), *p = text;
	bool on = false;

	while ((p = strstr(p, "PrivateUsers=")) != NULL) {
		if (p == text || p[-1] == '\n')
			on = strncmp(p + 13, "yes", 3) == 0 ||
			    strncmp(p + 13, "true", 4) == 0 ||
			    strncmp(p + 13, "1", 1) == 0 ||
			    strncmp(p + 13, "self", 4) == 0;
		p += 13;
	}
	free(text);
	return on;
}

/*
 * A wrapper that runs the daemon as PrivateUsers=yes would: in a new user
 * namespace where only root is mapped (the service user here is root).
 * Returns false (and says SKIP) where user namespaces are refused.
 */
static bool
userns_wrapper(char *path, size_t cap)
{
	char script[PATH_MAX + 128];

	if (system("unshare --user --map-root-user true 2>/dev/null") != 0) {
		fprintf(stderr, "SKIP: unshare --user not permitted here\n");
		return false;
	}
	snprintf(path, cap, "/tmp/kevy-firsthour-userns.%d", (int)getpid());
	snprintf(script, sizeof(script), "#!/bin/sh\nexec unshare --user "
	    "--map-root-user %s \"$@\"\n", bin);
	textfile_write(path, script);
	ck_assert_int_eq(chmod(path, 0700), 0);
	return true;
}

/* Node 0 started as the shipped unit would run it (userns or not). */
static struct cluster *
start_as_unit(const char *control_extra, bool in_userns, char *wrapper,
    size_t cap)
{
	struct cluster *c;

	wrapper[0] = '\0';
	if (in_userns) {
		if (!userns_wrapper(wrapper, cap))
			return NULL;
		setenv("KEVY_ELECTD_BIN", wrapper, 1);
	}
	c = one_node(control_extra);
	setenv("KEVY_ELECTD_BIN", bin, 1);
	return c;
}

/*
 * The installed unit's sandbox must keep control.write_uids working: a
 * client whose uid is listed may write. Run the daemon the way the unit
 * does (in a root-only user namespace if the unit says PrivateUsers=yes).
 */
START_TEST(unit_sandbox_keeps_write_uids)
{
	char got[256], wrapper[PATH_MAX];
	struct cluster *c;

	if (skip_unless_root("unit_sandbox_keeps_write_uids"))
		return;
	ck_assert_int_eq(unit_has_private_users("systemd/kevy-electd.service"),
	    unit_has_private_users("systemd/kevy-electd@.service"));
	c = start_as_unit("write_uids = [1000];",
	    unit_has_private_users("systemd/kevy-electd.service"), wrapper,
	    sizeof(wrapper));
	if (c == NULL)
		return;
	open_socket_to_others(c);
	ask_as_other(cluster_socket_path(c, 0), "OFFSET 7\n", got, sizeof(got));
	ck_assert_msg(strcmp(got, "OK\n") == 0, "uid %d is in write_uids, "
	    "yet: %s(log: %s)", OTHER_UID, got, cluster_log_path(c, 0));
	cluster_free(c);
	if (wrapper[0] != '\0')
		unlink(wrapper);
}
END_TEST

/*
 * Why the units do not set PrivateUsers=: in a namespace that maps only
 * root, the listed uid arrives as the overflow id, and the log says so.
 */
START_TEST(root_only_userns_hides_client_uids)
{
	char got[256], wrapper[PATH_MAX], want[64], *log;
	struct cluster *c;

	if (skip_unless_root("root_only_userns_hides_client_uids"))
		return;
	if ((c = start_as_unit("write_uids = [1000];", true, wrapper,
	    sizeof(wrapper))) == NULL)
		return;
	open_socket_to_others(c);
	ask_as_other(cluster_socket_path(c, 0), "OFFSET 7\n", got, sizeof(got));
	ck_assert_str_eq(got, "ERR permission denied\n");
	log = textfile_read(cluster_log_path(c, 0));
	snprintf(want, sizeof(want), "uid=%d gid=%d ", OVERFLOW_ID,
	    OVERFLOW_ID);
	ck_assert_msg(strstr(log, want) != NULL, "no '%s' in:\n%s", want, log);
	free(log);
	cluster_free(c);
	unlink(wrapper);
}
END_TEST


/* ---- daemonized starts and pid_file ---- */

/* A one-node config, not started; with pid_name, pid_file is that name
 * in the cluster's directory. */
static struct cluster *
one_config(const char *pid_name, char *pid_path, size_t cap)
{
	struct cluster_opts o = { .n = 1 };
	struct cluster *c = cluster_new(&o);
	FILE *f;

	ck_assert_ptr_nonnull(c);
	if (pid_name != NULL) {
		snprintf(pid_path, cap, "%s/%s", cluster_dir(c), pid_name);
		ck_assert_ptr_nonnull(f = fopen(cluster_config_path(c, 0), "a"));
		fprintf(f, "pid_file = \"%s\";\n", pid_path);
		ck_assert_int_eq(fclose(f), 0);
	}
	return c;
}

static char *
out_path(struct cluster *c, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/out", cluster_dir(c));
	return buf;
}

/* SIGTERM pid (not our child) and await its end through a pidfd. */
static void
stop_daemon(pid_t pid)
{
	struct pollfd p;
	int fd;

	ck_assert_int_ge(fd = (int)syscall(SYS_pidfd_open, pid, 0), 0);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	p.fd = fd;
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
	close(fd);
}

static pid_t
pid_in(const char *path)
{
	char *text = textfile_read(path);
	long pid = strtol(text, NULL, 10);

	free(text);
	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

/* Without -f the caller gets the start's outcome, as with -f. */
START_TEST(daemonized_start_reports_a_failed_bind)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char out[CLUSTER_LINE_MAX], *text;
	struct cluster *c = one_config(NULL, NULL, 0);
	int fd, one = 1;

	sin.sin_port = htons(cluster_election_port(c, 0));
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)), 0);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(run_to(out_path(c, out, sizeof(out)),
	    (const char *const[]){ "-c", cluster_config_path(c, 0), NULL }),
	    EXIT_RUNTIME);
	text = textfile_read(out);
	ck_assert_msg(strstr(text, "Address already in use") != NULL, "%s",
	    text);
	free(text);
	close(fd);
	cluster_free(c);
}
END_TEST

/*
 * A daemonized start returns once the daemon is ready: its socket answers
 * at once and pid_file names it. A second daemon on that pid_file is
 * refused (exit 1, naming the holder); a clean exit removes the file.
 */
START_TEST(pid_file_written_when_ready_and_locked)
{
	char pidp[CLUSTER_LINE_MAX], out[CLUSTER_LINE_MAX], got[256];
	char *text, want[64];
	struct cluster *c = one_config("n1.pid", pidp, sizeof(pidp));
	struct cluster *c2 = one_config(NULL, NULL, 0);
	FILE *f;
	pid_t pid;

	ck_assert_int_eq(run_to(out_path(c, out, sizeof(out)),
	    (const char *const[]){ "-c", cluster_config_path(c, 0), NULL }), 0);
	pid = pid_in(pidp);
	ck_assert_int_eq(kill(pid, 0), 0);
	send_and_read_all(cluster_socket_path(c, 0), "PING\n", got,
	    sizeof(got));
	ck_assert_str_eq(got, "PONG\n");

	ck_assert_ptr_nonnull(f = fopen(cluster_config_path(c2, 0), "a"));
	fprintf(f, "pid_file = \"%s\";\n", pidp);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(run_to(out_path(c2, out, sizeof(out)),
	    (const char *const[]){ "-c", cluster_config_path(c2, 0), NULL }),
	    EXIT_RUNTIME);
	text = textfile_read(out);
	snprintf(want, sizeof(want), "(pid %d)", (int)pid);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	free(text);
	ck_assert_int_eq(pid_in(pidp), pid);
	ck_assert_int_eq(access(cluster_socket_path(c2, 0), F_OK), -1);

	stop_daemon(pid);
	ck_assert_int_eq(access(pidp, F_OK), -1);
	cluster_free(c2);
	cluster_free(c);
}
END_TEST

/* A pid file left by a daemon that died is nobody's: it is taken over. */
START_TEST(stale_pid_file_is_replaced)
{
	char pidp[CLUSTER_LINE_MAX], out[CLUSTER_LINE_MAX];
	struct cluster *c = one_config("n1.pid", pidp, sizeof(pidp));
	pid_t pid;

	textfile_write(pidp, "999999\n");
	ck_assert_int_eq(run_to(out_path(c, out, sizeof(out)),
	    (const char *const[]){ "-c", cluster_config_path(c, 0), NULL }), 0);
	pid = pid_in(pidp);
	ck_assert_int_ne(pid, 999999);
	stop_daemon(pid);
	cluster_free(c);
}
END_TEST

START_TEST(check_refuses_a_pid_file_nowhere)
{
	char pidp[CLUSTER_LINE_MAX], out[CLUSTER_LINE_MAX], *text;
	struct cluster *c = one_config("no-such-dir/n1.pid", pidp,
	    sizeof(pidp));

	ck_assert_int_eq(run_to(out_path(c, out, sizeof(out)),
	    (const char *const[]){ "-t", "-c", cluster_config_path(c, 0),
	    NULL }), 78);
	text = textfile_read(out);
	ck_assert_msg(strstr(text, "pid_file") != NULL &&
	    strstr(text, "does not exist") != NULL, "%s", text);
	free(text);
	cluster_free(c);
}
END_TEST

/* ---- what -t and a start make of missing directories ---- */

/* Point node 0's state_dir and socket at paths under missing dirs. */
static void
nested_paths(struct cluster *c)
{
	char sock[CLUSTER_LINE_MAX], lib[CLUSTER_LINE_MAX];
	char from[CLUSTER_LINE_MAX];

	snprintf(from, sizeof(from), "state_dir = \"%s/n1.state\";",
	    cluster_dir(c));
	snprintf(lib, sizeof(lib), "state_dir = \"%s/lib/kevy/n1\";",
	    cluster_dir(c));
	edit(cluster_config_path(c, 0), from, lib);
	snprintf(from, sizeof(from), "path = \"%s\";",
	    cluster_socket_path(c, 0));
	snprintf(sock, sizeof(sock), "path = \"%s/run/n1/kevy-electd.sock\";",
	    cluster_dir(c));
	edit(cluster_config_path(c, 0), from, sock);
}

/* A start makes state_dir and the socket's directory, parents included. */
START_TEST(start_creates_missing_directories)
{
	char out[CLUSTER_LINE_MAX], sock[CLUSTER_LINE_MAX], got[64], *text;
	char pidp[CLUSTER_LINE_MAX];
	struct cluster *c = one_config("n1.pid", pidp, sizeof(pidp));
	struct stat sb;

	nested_paths(c);
	if (run_to(out_path(c, out, sizeof(out)), (const char *const[]){
	    "-c", cluster_config_path(c, 0), NULL }) != 0) {
		text = textfile_read(out);
		ck_abort_msg("start refused:\n%s", text);
	}
	snprintf(sock, sizeof(sock), "%s/run/n1/kevy-electd.sock",
	    cluster_dir(c));
	send_and_read_all(sock, "PING\n", got, sizeof(got));
	ck_assert_str_eq(got, "PONG\n");
	snprintf(sock, sizeof(sock), "%s/lib/kevy/n1", cluster_dir(c));
	ck_assert_int_eq(stat(sock, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0700);
	stop_daemon(pid_in(pidp));
	cluster_free(c);
}
END_TEST

/*
 * -t as a user who could not make those directories: warnings, and
 * never a bare "configuration valid" under them.
 */
START_TEST(check_warns_a_user_who_cannot_start)
{
	char out[CLUSTER_LINE_MAX], *text;
	struct cluster *c;
	int ws;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP check_warns_a_user_who_cannot_start: "
		    "needs root to run -t as another uid\n");
		return;
	}
	c = one_config(NULL, NULL, 0);
	nested_paths(c);
	/* Readable, not writable, by OTHER_UID. */
	ck_assert_int_eq(chmod(cluster_dir(c), 0755), 0);
	ck_assert_int_eq(chmod(cluster_config_path(c, 0), 0644), 0);
	out_path(c, out, sizeof(out));
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || setgroups(0, NULL) == -1 ||
		    setgid(OTHER_UID) == -1 || setuid(OTHER_UID) == -1)
			_exit(125);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execl(bin, bin, "-t", "-c", cluster_config_path(c, 0),
		    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	text = textfile_read(out);
	ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "%s", text);
	ck_assert_msg(strstr(text, "state_dir") != NULL &&
	    strstr(text, "control.path") != NULL &&
	    strstr(text, "cannot create it") != NULL &&
	    strstr(text, "valid, but see the 2 warnings") != NULL &&
	    strstr(text, "configuration valid\n") == NULL, "%s", text);
	free(text);
	cluster_free(c);
}
END_TEST

/* ---- log timestamps ---- */

/* How many lines of the log at path (*n_lines of them) start with
 * ts=<RFC 3339 UTC time, ms>. */
static size_t
stamped_lines(const char *path, size_t *n_lines)
{
	char *text = textfile_read(path), *line, *save = NULL;
	size_t stamped = 0;

	*n_lines = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		int y, mo, d, h, mi, sec, ms, end = 0;

		(*n_lines)++;
		if (sscanf(line, "ts=%4d-%2d-%2dT%2d:%2d:%2d.%3dZ %n", &y, &mo,
		    &d, &h, &mi, &sec, &ms, &end) == 7 && end == 28)
			stamped++;
	}
	free(text);
	return stamped;
}

/* Under -f, as the units run it, a log not going to the journal is
 * stamped; the journal (JOURNAL_STREAM naming stderr) stamps it itself. */
START_TEST(log_is_stamped_unless_it_is_the_journal)
{
	struct cluster_opts o = { .n = 1 };
	char env[64];
	struct cluster *c;
	struct stat sb;
	size_t n;
	int fd;

	ck_assert_ptr_nonnull(c = cluster_new(&o));
	ck_assert_int_eq(cluster_start(c, 0), 0);
	ck_assert_uint_eq(stamped_lines(cluster_log_path(c, 0), &n), n);
	ck_assert_uint_ge(n, 3);
	cluster_free(c);

	/* The env string is filled in once the log file exists. */
	o.env[0] = env;
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	ck_assert_int_ge(fd = open(cluster_log_path(c, 0), O_WRONLY | O_CREAT,
	    0644), 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	close(fd);
	snprintf(env, sizeof(env), "JOURNAL_STREAM=%llu:%llu",
	    (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino);
	ck_assert_int_eq(cluster_start(c, 0), 0);
	ck_assert_msg(stamped_lines(cluster_log_path(c, 0), &n) == 0 && n >= 3,
	    "stamped under the journal: %s", cluster_log_path(c, 0));
	cluster_free(c);
}
END_TEST

static Suite *
firsthour_suite(void)
{
	Suite *s = suite_create("firsthour");
	TCase *flags = tcase_create("flags");
	TCase *ctl = tcase_create("control");
	TCase *perm = tcase_create("permissions");
	TCase *daemon = tcase_create("daemonize");

	tcase_add_test(flags, short_help_and_version);
	tcase_add_test(flags, log_is_stamped_unless_it_is_the_journal);
	suite_add_tcase(s, flags);

	tcase_add_test(ctl, last_line_without_end_is_answered);
	tcase_add_test(ctl, help_matches_the_docs);
	tcase_add_test(ctl, status_keys_are_documented);
	tcase_add_test(ctl, watch_since_change_counts_from_the_last_move);
	tcase_add_test(ctl, reload_summary_names_every_changed_key);
	tcase_set_timeout(ctl, 120);
	suite_add_tcase(s, ctl);

	tcase_add_test(perm, denied_write_logs_the_uid);
	tcase_add_test(perm, unit_sandbox_keeps_write_uids);
	tcase_add_test(perm, root_only_userns_hides_client_uids);
	tcase_set_timeout(perm, 120);
	suite_add_tcase(s, perm);

	tcase_add_test(daemon, daemonized_start_reports_a_failed_bind);
	tcase_add_test(daemon, pid_file_written_when_ready_and_locked);
	tcase_add_test(daemon, stale_pid_file_is_replaced);
	tcase_add_test(daemon, check_refuses_a_pid_file_nowhere);
	tcase_add_test(daemon, start_creates_missing_directories);
	tcase_add_test(daemon, check_warns_a_user_who_cannot_start);
	tcase_set_timeout(daemon, 120);
	suite_add_tcase(s, daemon);
	return s;
}

int
main(void)
{
	cluster_build_binary("KEVY_ELECTD_BIN", "kevy-electd", bin,
	    sizeof(bin));
	setenv("KEVY_ELECTD_BIN", bin, 1);
	return runner_main(firsthour_suite());
}
