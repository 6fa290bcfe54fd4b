/*
 * check_hook: the notify hook. First the module alone on an event loop
 * of the test's own (which changes run, queue overflow, timeout, failures,
 * shutdown), then real kevy-electd processes through tests/harness/cluster.c:
 * each survivor of a failover runs the hook once per role or primary
 * change it published on WATCH, in that order, with argv and environment
 * agreeing; runs never overlap; a slow hook is killed while the daemon
 * keeps answering; a failing hook is logged; an unusable notify_exec
 * stops startup.
 *
 * The hook scripts live in a mkdtemp directory of this test and write
 * what they saw to files there. A hook is an external process that sends
 * the test no event, so for those files only the test re-reads them every
 * HOOK_POLL_NS, bounded by WAIT_MS; a hook's exit is awaited on a pidfd
 * where the kernel (or valgrind) gives one. Daemon transitions are awaited
 * on their WATCH streams, never with a sleep.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cluster.h"
#include "change.h"
#include "hook.h"
#include "status.h"
#include "runner.h"

#define WAIT_MS      15000      /* bound on any one wait */
#define HOOK_POLL_NS 10000000L  /* 10 ms between reads of a hook's file */
#define LINES_MAX    64         /* lines kept from one hook file */
#define LINE_MAX_B   512        /* bytes in one of those lines */
#define DIR_MAX      64         /* bytes in the scripts' directory path */

/* ------------------------------------------------------------------ */
/* Scripts and their output files                                      */

static char dir[DIR_MAX];

static void
make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kevy-hook.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
remove_dir(void)
{
	char cmd[DIR_MAX + 16];

	if (getenv("KEVY_KEEP_CLUSTER") != NULL) {
		fprintf(stderr, "check_hook: kept %s\n", dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_hook: could not remove %s\n", dir);
}

/* dir/name with body after the #! line, mode 0755 (or mode). */
static const char *
write_script(const char *name, mode_t mode, const char *body)
{
	static char path[DIR_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s\n", body);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* Lines of dir/name (without "\n") into lines; how many. */
static size_t
read_lines(const char *name, char lines[][LINE_MAX_B], size_t max)
{
	char path[DIR_MAX + 64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < max && fgets(lines[n], LINE_MAX_B, f) != NULL) {
		lines[n][strcspn(lines[n], "\n")] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Await at least want lines in dir/name. The hook writes them from its
 * own process and tells nobody: re-read every 10 ms, within WAIT_MS.
 */
static size_t
await_lines(const char *name, size_t want, char lines[][LINE_MAX_B])
{
	uint64_t end = cluster_now_us() + WAIT_MS * 1000ULL;
	struct timespec ts = { 0, HOOK_POLL_NS };
	size_t n;

	while ((n = read_lines(name, lines, LINES_MAX)) < want &&
	    cluster_now_us() < end)
		nanosleep(&ts, NULL);
	return n;
}

/*
 * Await the end of process pid (a hook, not our child): on a pidfd, or,
 * where there is none, by probing it every 10 ms. True if it ended.
 */
static bool
await_gone(pid_t pid)
{
	uint64_t end = cluster_now_us() + WAIT_MS * 1000ULL;
	struct timespec ts = { 0, HOOK_POLL_NS };
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, WAIT_MS);

		close(fd);
		return r == 1;
	}
	while (kill(pid, 0) == 0 && cluster_now_us() < end)
		nanosleep(&ts, NULL);
	return kill(pid, 0) == -1;
}

/* Whether pid is still running, asked without waiting. */
static bool
is_running(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { fd, POLLIN, 0 };
	bool running;

	if (fd < 0)
		return kill(pid, 0) == 0;
	running = poll(&p, 1, 0) == 0;
	close(fd);
	return running;
}

static bool
file_has(const char *path, const char *what)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, what) != NULL;
}

/* What every recording hook writes: argv, then "|", then the env. */
#define RECORD_LINE "\"$1 $2 $3 $4 $5 $6 $KEVY_NODE_ID|$KEVY_EVENT " \
	"$KEVY_ROLE $KEVY_OLD_ROLE $KEVY_EPOCH $KEVY_PRIMARY " \
	"$KEVY_PRIMARY_ADDR $KEVY_NODE_ID\""

/* ------------------------------------------------------------------ */
/* The module alone, on a loop of our own                              */

struct rig {
	struct event_base *base;
	struct hook *hook;
	struct status old, st;
};

static void
rig_open(struct rig *r, const char *path, uint64_t timeout_ms)
{
	char err[256];

	memset(r, 0, sizeof(*r));
	ck_assert_ptr_nonnull(r->base = event_base_new());
	r->hook = hook_new(r->base, path, timeout_ms, err, sizeof(err));
	ck_assert_msg(r->hook != NULL, "hook_new: %s", err);
	snprintf(r->st.node_id, sizeof(r->st.node_id), "n1");
	r->st.role = WIRE_ROLE_REPLICA;
}

/* Move to role/epoch/primary, telling the hook. */
static void
rig_change(struct rig *r, enum wire_role role, uint64_t epoch,
    const char *primary, const char *addr)
{
	r->old = r->st;
	r->st.role = role;
	r->st.epoch = epoch;
	snprintf(r->st.primary, sizeof(r->st.primary), "%s", primary);
	snprintf(r->st.primary_addr, sizeof(r->st.primary_addr), "%s", addr);
	hook_on_change(r->hook, &(struct change){ .was = &r->old,
	    .now = &r->st, .watched = true,
	    .moved = change_is_move(&r->old, &r->st) });
}

/* Run the loop until every queued run is over (each step is an event). */
static void
rig_drain(struct rig *r)
{
	uint64_t end = cluster_now_us() + WAIT_MS * 1000ULL;

	while (hook_pending(r->hook) > 0 && cluster_now_us() < end)
		event_base_loop(r->base, EVLOOP_ONCE);
	ck_assert_uint_eq(hook_pending(r->hook), 0);
}

static void
rig_close(struct rig *r)
{
	hook_free(r->hook);
	event_base_free(r->base);
}

START_TEST(only_role_and_primary_changes_run_the_hook)
{
	char lines[LINES_MAX][LINE_MAX_B], script[256];
	struct rig r;
	size_t n;

	make_dir();
	snprintf(script, sizeof(script), "echo " RECORD_LINE " >> %s/out",
	    dir);
	rig_open(&r, write_script("rec.sh", 0755, script), 5000);
	/* Epoch alone, quorum, fencing: no run. */
	rig_change(&r, WIRE_ROLE_REPLICA, 4, "", "");
	r.old = r.st;
	r.st.quorum = true;
	r.st.fenced = true;
	hook_on_change(r.hook, &(struct change){ .was = &r.old, .now = &r.st,
	    .watched = true, .moved = change_is_move(&r.old, &r.st) });
	ck_assert_uint_eq(hook_pending(r.hook), 0);
	rig_change(&r, WIRE_ROLE_CANDIDATE, 5, "", "");
	rig_change(&r, WIRE_ROLE_PRIMARY, 5, "n1", "10.0.0.1:6379");
	rig_change(&r, WIRE_ROLE_REPLICA, 6, "n2", "10.0.0.2:6379");
	rig_change(&r, WIRE_ROLE_REPLICA, 7, "n3", "[::1]:6379");
	rig_change(&r, WIRE_ROLE_REPLICA, 8, "", "");
	ck_assert_uint_eq(hook_pending(r.hook), 5);
	rig_drain(&r);
	ck_assert_uint_eq(hook_stats(r.hook)->runs, 5);
	ck_assert_uint_eq(hook_stats(r.hook)->failures, 0);
	n = read_lines("out", lines, LINES_MAX);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(lines[0], "role candidate replica 5 none none n1|"
	    "role candidate replica 5 none none n1");
	ck_assert_str_eq(lines[1], "role primary candidate 5 n1 10.0.0.1:6379 "
	    "n1|role primary candidate 5 n1 10.0.0.1:6379 n1");
	ck_assert_str_eq(lines[2], "role replica primary 6 n2 10.0.0.2:6379 "
	    "n1|role replica primary 6 n2 10.0.0.2:6379 n1");
	ck_assert_str_eq(lines[3], "primary replica replica 7 n3 [::1]:6379 "
	    "n1|primary replica replica 7 n3 [::1]:6379 n1");
	ck_assert_str_eq(lines[4], "primary replica replica 8 none none "
	    "n1|primary replica replica 8 none none n1");
	rig_close(&r);
	remove_dir();
}
END_TEST

START_TEST(full_queue_drops_the_oldest)
{
	char lines[LINES_MAX + 8][LINE_MAX_B], script[256];
	struct rig r;
	size_t n, extra = 5, total = HOOK_QUEUE_MAX + 1 + extra;

	make_dir();
	snprintf(script, sizeof(script), "echo \"$4\" >> %s/out", dir);
	rig_open(&r, write_script("rec.sh", 0755, script), 5000);
	/* The first runs at once; the queue then fills and overflows. */
	for (size_t i = 1; i <= total; i++)
		rig_change(&r, i % 2 ? WIRE_ROLE_CANDIDATE : WIRE_ROLE_REPLICA,
		    i, "", "");
	ck_assert_uint_eq(hook_pending(r.hook), HOOK_QUEUE_MAX + 1);
	ck_assert_uint_eq(hook_stats(r.hook)->dropped, extra);
	rig_drain(&r);
	ck_assert_uint_eq(hook_stats(r.hook)->runs, HOOK_QUEUE_MAX + 1);
	n = read_lines("out", lines, LINES_MAX + 8);
	ck_assert_uint_eq(n, HOOK_QUEUE_MAX + 1);
	ck_assert_str_eq(lines[0], "1");
	/* Epochs 2..1+extra were the oldest waiting: dropped. */
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_eq(strtoull(lines[i], NULL, 10), i + 1 + extra);
	rig_close(&r);
	remove_dir();
}
END_TEST

START_TEST(timeout_failure_and_exec_error_are_counted)
{
	char script[256];
	struct rig r;
	uint64_t t0;

	make_dir();
	/* A slow hook is killed with what it started. */
	snprintf(script, sizeof(script), "sleep 30 & echo $! > %s/bg\n"
	    "exec sleep 30", dir);
	rig_open(&r, write_script("slow.sh", 0755, script), 200);
	t0 = cluster_now_us();
	rig_change(&r, WIRE_ROLE_CANDIDATE, 1, "", "");
	rig_drain(&r);
	ck_assert_uint_lt(cluster_now_us() - t0, 5000000);
	ck_assert_uint_eq(hook_stats(r.hook)->timeouts, 1);
	{
		char lines[LINES_MAX][LINE_MAX_B];
		pid_t bg;

		/* Written before its parent exec'd, so already there. */
		ck_assert_uint_eq(read_lines("bg", lines, LINES_MAX), 1);
		bg = (pid_t)strtol(lines[0], NULL, 10);
		ck_assert_msg(await_gone(bg), "background child %d survived",
		    (int)bg);
	}
	rig_close(&r);

	rig_open(&r, write_script("fail.sh", 0755, "exit 3"), 5000);
	rig_change(&r, WIRE_ROLE_CANDIDATE, 1, "", "");
	rig_drain(&r);
	ck_assert_uint_eq(hook_stats(r.hook)->failures, 1);
	ck_assert_uint_eq(hook_stats(r.hook)->timeouts, 0);
	rig_close(&r);

	/* Executable, but its interpreter is missing: execve fails. */
	{
		char path[DIR_MAX + 16];
		FILE *f;

		snprintf(path, sizeof(path), "%s/badinterp", dir);
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fprintf(f, "#!/nonexistent/interpreter\n");
		ck_assert_int_eq(fclose(f), 0);
		ck_assert_int_eq(chmod(path, 0755), 0);
		rig_open(&r, path, 5000);
	}
	rig_change(&r, WIRE_ROLE_CANDIDATE, 1, "", "");
	rig_drain(&r);
	ck_assert_uint_eq(hook_stats(r.hook)->failures, 1);
	rig_close(&r);
	remove_dir();
}
END_TEST

START_TEST(hook_new_refuses_what_cannot_run)
{
	struct event_base *base = event_base_new();
	char err[512], path[DIR_MAX + 16];

	make_dir();
	ck_assert_ptr_null(hook_new(base, write_script("plain.sh", 0644,
	    "exit 0"), 1000, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not executable") != NULL, "%s", err);
	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_ptr_null(hook_new(base, path, 1000, err, sizeof(err)));
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
	ck_assert_ptr_null(hook_new(base, dir, 1000, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
	event_base_free(base);
	remove_dir();
}
END_TEST

START_TEST(free_kills_and_reaps_the_running_child)
{
	char lines[LINES_MAX][LINE_MAX_B], script[256];
	struct rig r;
	pid_t pid;

	make_dir();
	snprintf(script, sizeof(script), "echo $$ > %s/pid\nexec sleep 30",
	    dir);
	rig_open(&r, write_script("slow.sh", 0755, script), 60000);
	rig_change(&r, WIRE_ROLE_CANDIDATE, 1, "", "");
	rig_change(&r, WIRE_ROLE_PRIMARY, 1, "n1", "a:1");
	ck_assert_uint_eq(await_lines("pid", 1, lines), 1);
	pid = (pid_t)strtol(lines[0], NULL, 10);
	rig_close(&r);
	/* Reaped, not a zombie: the pid names nothing any more. */
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	remove_dir();
}
END_TEST

/* ------------------------------------------------------------------ */
/* Real daemons                                                        */

/* Per node: the hook events its WATCH lines imply, in order. */
struct expect {
	char role[CLUSTER_NODES_MAX][16];
	char primary[CLUSTER_NODES_MAX][CLUSTER_ID_MAX + 1];
	char ev[CLUSTER_NODES_MAX][LINES_MAX][LINE_MAX_B];
	uint64_t at_us[CLUSTER_NODES_MAX][LINES_MAX];
	size_t n[CLUSTER_NODES_MAX];
};

static void
on_line(struct cluster *c, size_t i, const char *line, void *arg)
{
	struct expect *x = arg;
	char role[16], epoch[32], primary[CLUSTER_ID_MAX + 1], addr[300];
	char ev[LINE_MAX_B];
	const char *event;

	cluster_field(line, "role", role, sizeof(role));
	cluster_field(line, "epoch", epoch, sizeof(epoch));
	cluster_field(line, "primary", primary, sizeof(primary));
	cluster_field(line, "primary_addr", addr, sizeof(addr));
	if (strcmp(role, x->role[i]) != 0)
		event = "role";
	else if (strcmp(primary, x->primary[i]) != 0)
		event = "primary";
	else
		return;
	ck_assert_uint_lt(x->n[i], LINES_MAX);
	x->at_us[i][x->n[i]] = cluster_now_us();
	snprintf(ev, sizeof(ev), "%s %s %s %s %s %s %s", event, role,
	    x->role[i], epoch, primary, addr, cluster_id(c, i));
	memcpy(x->ev[i][x->n[i]++], ev, sizeof(ev));
	snprintf(x->role[i], sizeof(x->role[i]), "%s", role);
	snprintf(x->primary[i], sizeof(x->primary[i]), "%s", primary);
}

/* A fresh daemon starts as a replica that knows no primary. */
static void
expect_init(struct expect *x)
{
	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < CLUSTER_NODES_MAX; i++) {
		snprintf(x->role[i], sizeof(x->role[i]), "replica");
		snprintf(x->primary[i], sizeof(x->primary[i]), "none");
	}
}

/* An agreed primary and every other running node a replica: settled. */
static bool
settled(struct cluster *c, void *arg)
{
	int p = cluster_primary(c);
	size_t n = *(size_t *)arg;

	if (p < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cluster_running(c, i) && (int)i != p &&
		    strcmp(cluster_view(c, i)->role, "replica") != 0)
			return false;
	return true;
}

struct other {
	size_t n;
	int old;
};

static bool
settled_elsewhere(struct cluster *c, void *arg)
{
	struct other *o = arg;

	return settled(c, &o->n) && cluster_primary(c) != o->old;
}

static struct cluster *
start_with_hook(size_t n, const char *conf, struct expect *x)
{
	struct cluster_opts o = { .n = n };
	struct cluster *c;

	for (size_t i = 0; i < n; i++)
		o.extra_conf[i] = conf;
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	if (x != NULL)
		cluster_on_line(c, on_line, x);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(cluster_start(c, i) == 0, "node %zu did not start "
		    "(log in %s)", i + 1, cluster_dir(c));
	ck_assert_msg(cluster_wait(c, settled, &n, WAIT_MS),
	    "no settled primary (logs in %s)", cluster_dir(c));
	return c;
}

static const char *
hook_conf(const char *script, uint64_t timeout_ms)
{
	static char conf[512];

	snprintf(conf, sizeof(conf), "notify_exec = \"%s\";\n"
	    "notify_timeout_ms = %" PRIu64 ";", script, timeout_ms);
	return conf;
}

/* Node i's hook file holds exactly the events its WATCH stream implied. */
static void
check_events(struct cluster *c, const struct expect *x, size_t i)
{
	static char lines[LINES_MAX][LINE_MAX_B];
	char name[64];
	size_t n;

	snprintf(name, sizeof(name), "events.%s", cluster_id(c, i));
	n = await_lines(name, x->n[i], lines);
	ck_assert_msg(n == x->n[i], "%s: %zu hook runs, %zu changes (logs "
	    "in %s)", cluster_id(c, i), n, x->n[i], cluster_dir(c));
	for (size_t k = 0; k < n; k++) {
		char *bar = strchr(lines[k], '|');

		ck_assert_ptr_nonnull(bar);
		*bar = '\0';
		ck_assert_str_eq(lines[k], x->ev[i][k]);
		ck_assert_str_eq(bar + 1, x->ev[i][k]);
	}
}

START_TEST(failover_runs_each_survivors_hook_in_order)
{
	static struct expect x;
	struct cluster *c;
	char script[256];
	struct other o = { 3, -1 };
	size_t n = 3;

	make_dir();
	expect_init(&x);
	snprintf(script, sizeof(script), "echo " RECORD_LINE
	    " >> %s/events.$KEVY_NODE_ID", dir);
	c = start_with_hook(n, hook_conf(write_script("rec.sh", 0755, script),
	    5000), &x);
	o.old = cluster_primary(c);
	cluster_kill(c, (size_t)o.old);
	ck_assert_msg(cluster_wait(c, settled_elsewhere, &o, WAIT_MS),
	    "no new primary (logs in %s)", cluster_dir(c));
	for (size_t i = 0; i < n; i++) {
		if ((int)i == o.old)
			continue;
		/* At least: learnt the first primary, lost it, a new one. */
		ck_assert_uint_ge(x.n[i], 2);
		check_events(c, &x, i);
	}
	cluster_free(c);
	remove_dir();
}
END_TEST

START_TEST(runs_never_overlap)
{
	static struct expect x;
	static char lines[LINES_MAX][LINE_MAX_B];
	struct cluster *c;
	char script[512];
	size_t n = 3;
	bool queued = false;

	make_dir();
	expect_init(&x);
	snprintf(script, sizeof(script),
	    "f=%s/runs.$KEVY_NODE_ID\n"
	    "echo \"start $(date +%%s%%N) $1 $2 $3 $4 $5 $6 $KEVY_NODE_ID\" >> $f\n"
	    "sleep 0.2\n"
	    "echo \"end $(date +%%s%%N)\" >> $f", dir);
	c = start_with_hook(n, hook_conf(write_script("slow.sh", 0755, script),
	    5000), &x);
	for (size_t i = 0; i < n; i++) {
		char name[64];
		uint64_t last_end = 0;
		size_t got;

		snprintf(name, sizeof(name), "runs.%s", cluster_id(c, i));
		got = await_lines(name, 2 * x.n[i], lines);
		ck_assert_uint_eq(got, 2 * x.n[i]);
		for (size_t k = 0; k < x.n[i]; k++) {
			uint64_t start, end;

			ck_assert_int_eq(strncmp(lines[2 * k], "start ", 6), 0);
			ck_assert_int_eq(strncmp(lines[2 * k + 1], "end ", 4), 0);
			start = strtoull(lines[2 * k] + 6, NULL, 10);
			end = strtoull(lines[2 * k + 1] + 4, NULL, 10);
			ck_assert_str_eq(strchr(lines[2 * k] + 6, ' ') + 1,
			    x.ev[i][k]);
			ck_assert_uint_ge(start, last_end);
			ck_assert_uint_ge(end, start + 150000000ULL);
			last_end = end;
			/* A change that came while the previous run went on. */
			if (k > 0 && x.at_us[i][k] - x.at_us[i][k - 1] < 150000)
				queued = true;
		}
	}
	printf("runs_never_overlap: a run was queued behind another: %s\n",
	    queued ? "yes" : "no");
	cluster_free(c);
	remove_dir();
}
END_TEST

START_TEST(slow_hook_is_killed_while_the_daemon_serves)
{
	char lines[LINES_MAX][LINE_MAX_B], script[256], reply[64], want[128];
	struct cluster *c;
	pid_t pid;
	int ws;

	make_dir();
	snprintf(script, sizeof(script), "echo $$ >> %s/pids\n"
	    "exec sleep 30", dir);
	c = start_with_hook(1, hook_conf(write_script("slow.sh", 0755, script),
	    1500), NULL);
	ck_assert_uint_ge(await_lines("pids", 1, lines), 1);
	pid = (pid_t)strtol(lines[0], NULL, 10);
	/* The hook runs, and the loop still answers. */
	ck_assert(is_running(pid));
	ck_assert_int_eq(cluster_request(c, 0, "PING", reply, sizeof(reply)),
	    0);
	ck_assert_str_eq(reply, "PONG");
	ck_assert_msg(is_running(pid), "the hook ended before PONG: the test "
	    "proves nothing (machine too slow?)");
	ck_assert(await_gone(pid));
	ck_assert_int_eq(cluster_signal(c, 0, SIGTERM), 0);
	ws = cluster_wait_exit(c, 0, WAIT_MS);
	ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	snprintf(want, sizeof(want), "event=hook_timeout run=1 change=role "
	    "pid=%d timeout_ms=1500 action=kill", (int)pid);
	ck_assert_msg(file_has(cluster_log_path(c, 0), want), "no '%s' in %s",
	    want, cluster_log_path(c, 0));
	ck_assert(file_has(cluster_log_path(c, 0),
	    "event=hook_end run=1 change=role result=timeout signal=9 "
	    "elapsed_ms="));
	/* No hook outlives the daemon. */
	for (size_t k = 0; k < read_lines("pids", lines, LINES_MAX); k++)
		ck_assert_int_eq(kill((pid_t)strtol(lines[k], NULL, 10), 0), -1);
	cluster_free(c);
	remove_dir();
}
END_TEST

START_TEST(failing_hook_is_logged)
{
	char lines[LINES_MAX][LINE_MAX_B], script[256];
	struct cluster *c;
	int ws;

	make_dir();
	snprintf(script, sizeof(script), "echo $$ >> %s/pids\nexit 3", dir);
	c = start_with_hook(1, hook_conf(write_script("fail.sh", 0755, script),
	    5000), NULL);
	ck_assert_uint_ge(await_lines("pids", 1, lines), 1);
	/* Once it has exited the daemon reaps it, at the latest on SIGTERM. */
	ck_assert(await_gone((pid_t)strtol(lines[0], NULL, 10)));
	ck_assert_int_eq(cluster_signal(c, 0, SIGTERM), 0);
	ws = cluster_wait_exit(c, 0, WAIT_MS);
	ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	ck_assert_msg(file_has(cluster_log_path(c, 0),
	    "level=warn node=n1 event=hook_end run=1 change=role "
	    "result=failed exit=3 elapsed_ms="), "no exit=3 "
	    "warning in %s", cluster_log_path(c, 0));
	cluster_free(c);
	remove_dir();
}
END_TEST

/* What a run writes is logged, line by line, with its run number. */
START_TEST(hook_output_is_logged_with_its_run)
{
	char lines[LINES_MAX][LINE_MAX_B], script[256];
	struct cluster *c;
	int ws;

	make_dir();
	snprintf(script, sizeof(script), "echo 'said \"hi\" to all'\n"
	    "echo oops >&2\necho $$ >> %s/pids\nexit 0", dir);
	c = start_with_hook(1, hook_conf(write_script("say.sh", 0755, script),
	    5000), NULL);
	ck_assert_uint_ge(await_lines("pids", 1, lines), 1);
	ck_assert(await_gone((pid_t)strtol(lines[0], NULL, 10)));
	ck_assert_int_eq(cluster_signal(c, 0, SIGTERM), 0);
	ws = cluster_wait_exit(c, 0, WAIT_MS);
	ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	ck_assert_msg(file_has(cluster_log_path(c, 0), "level=info node=n1 "
	    "event=hook_output run=1 line=\"said \\\"hi\\\" to all\"\n"),
	    "no stdout line in %s", cluster_log_path(c, 0));
	ck_assert_msg(file_has(cluster_log_path(c, 0), "event=hook_output "
	    "run=1 line=oops\n"), "no stderr line in %s",
	    cluster_log_path(c, 0));
	/* cluster_free checks every line of the log is in the format. */
	cluster_free(c);
	remove_dir();
}
END_TEST

START_TEST(unusable_notify_exec_stops_startup)
{
	struct cluster_opts o = { .n = 1 };
	char conf[512], want[256], path[DIR_MAX + 16];
	struct cluster *c;

	make_dir();
	snprintf(path, sizeof(path), "%s", write_script("plain.sh", 0644,
	    "exit 0"));
	snprintf(conf, sizeof(conf), "notify_exec = \"%s\";", path);
	o.extra_conf[0] = conf;
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	ck_assert_int_eq(cluster_start(c, 0), -1);
	snprintf(want, sizeof(want), "level=error node=n1 event=start_refused "
	    "error=\"notify_exec %s: not executable: Permission denied\"",
	    path);
	ck_assert_msg(file_has(cluster_log_path(c, 0), want), "no '%s' in %s",
	    want, cluster_log_path(c, 0));
	cluster_free(c);
	remove_dir();
}
END_TEST

static Suite *
hook_suite(void)
{
	Suite *s = suite_create("hook");
	TCase *unit = tcase_create("module");
	TCase *sys = tcase_create("daemons");

	tcase_set_timeout(unit, 60);
	tcase_add_test(unit, only_role_and_primary_changes_run_the_hook);
	tcase_add_test(unit, full_queue_drops_the_oldest);
	tcase_add_test(unit, timeout_failure_and_exec_error_are_counted);
	tcase_add_test(unit, hook_new_refuses_what_cannot_run);
	tcase_add_test(unit, free_kills_and_reaps_the_running_child);
	suite_add_tcase(s, unit);
	/* Each case starts real processes; bound them, loosely. */
	tcase_set_timeout(sys, 120);
	tcase_add_test(sys, failover_runs_each_survivors_hook_in_order);
	tcase_add_test(sys, runs_never_overlap);
	tcase_add_test(sys, slow_hook_is_killed_while_the_daemon_serves);
	tcase_add_test(sys, failing_hook_is_logged);
	tcase_add_test(sys, hook_output_is_logged_with_its_run);
	tcase_add_test(sys, unusable_notify_exec_stops_startup);
	suite_add_tcase(s, sys);
	return s;
}

int
main(void)
{
	return runner_main(hook_suite());
}
