/*
 * netns: see netns.h. Commands (ip, nft) run by fork+exec with an argv,
 * never a shell; nft runs inside a node's namespace through setns() in the
 * child. The harness has threads (the WATCH reader), so a child only calls
 * async-signal-safe functions between fork and exec: its argv and
 * environment are built before the fork. Every wait is bounded.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "netns.h"

#define NETNS_RUN_DIR    "/run/netns"         /* where ip keeps them */
#define NETNS_TMP_FMT    "/tmp/%s-netns-%ld.XXXXXX" /* tag, pid */
#define NETNS_OUT_MAX    2048                 /* bytes of command output kept */
#define NETNS_SCRIPT_MAX 4096                 /* bytes of one nft script */
#define NETNS_ENV_MAX    256                  /* environment entries passed */
#define NETNS_TAG_MAX    16                   /* bytes of a tag */

/* Whose namespaces and directories are whose: a tag, its program. */
static const struct {
	const char *tag, *program;
} owners[] = {
	{ NETNS_TAG_TEST, "check_netns" },
	{ NETNS_TAG_BENCH, "bench/partition" },
	{ NETNS_TAG_JITTER, "bench/jitter" },
};

extern char **environ;

struct netns_node {
	char id[8];
	char ns[NETNS_NAME_MAX];
	char addr[32];
	char conf[NETNS_PATH_MAX];
	char sock[NETNS_PATH_MAX];
	char notify[NETNS_PATH_MAX];
	char log[NETNS_PATH_MAX];
	char extra[NETNS_EXTRA_MAX];
	bool ns_made;
	int nsfd;
	int notify_fd;
	pid_t pid;
	bool stopped;
	enum netns_drop row[NETNS_NODES_MAX];   /* installed: drops from x */
	bool row_known;
};

struct netns_lab {
	size_t n;
	char tag[NETNS_TAG_MAX];
	char prefix[NETNS_NAME_MAX];            /* "<tag>-<pid>" */
	unsigned run;                           /* third address octet */
	char br_ns[NETNS_NAME_MAX];
	bool br_made;
	char ip[PATH_MAX], nft[PATH_MAX], bin[PATH_MAX];
	char dir[NETNS_PATH_MAX];
	struct netns_timing t;
	struct netns_node nodes[NETNS_NODES_MAX];
};

static bool
find_exe(const char *name, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	char dirs[PATH_MAX * 2];
	char *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/bin:/bin",
	    path != NULL ? path : "");
	for (char *d = strtok_r(dirs, ":", &save); d != NULL;
	    d = strtok_r(NULL, ":", &save)) {
		snprintf(out, cap, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	out[0] = '\0';
	return false;
}

/* Await child pid for at most timeout_ms; its wait status, or -1 (killed). */
static int
wait_child(pid_t pid, uint64_t timeout_ms)
{
	/* Asked once: valgrind has no pidfd_open and warns on every call. */
	static int have_pidfd = -1;
	int fd = have_pidfd == 0 ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	uint64_t end = cluster_now_ms() + timeout_ms;

	if (have_pidfd == -1)
		have_pidfd = fd >= 0 || errno != ENOSYS;
	int status = -1;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		uint64_t now = cluster_now_ms();

		if (r == pid || (r == -1 && errno != EINTR))
			break;
		if (now >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			status = -1;
			break;
		}
		if (fd >= 0) {
			struct pollfd p = { fd, POLLIN, 0 };

			(void)poll(&p, 1, (int)(end - now));
		} else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			/* No pidfd (valgrind): a short bounded slice. */
			nanosleep(&ts, NULL);
		}
	}
	if (fd >= 0)
		close(fd);
	return status;
}

/*
 * Run argv (argv[0] a full path), in namespace ns unless NULL, feeding it
 * input; its stdout and stderr end up in out. Returns the child's pid, or
 * -1; the caller awaits it (so several can run at once).
 */
static pid_t
spawn(const char *ns, char *const argv[], const char *input, int *out_fd)
{
	char nspath[NETNS_PATH_MAX];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	pid_t pid;

	snprintf(nspath, sizeof(nspath), "%s/%s", NETNS_RUN_DIR,
	    ns != NULL ? ns : "");
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		goto fail;
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0) {
		if (ns != NULL) {
			int fd = open(nspath, O_RDONLY | O_CLOEXEC);

			if (fd == -1 || setns(fd, CLONE_NEWNET) == -1)
				_exit(126);
		}
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (input != NULL) {
		size_t len = strlen(input), done = 0;

		while (done < len) {
			ssize_t w = write(in[1], input + done, len - done);

			if (w <= 0)
				break;
			done += (size_t)w;
		}
	}
	close(in[1]);
	*out_fd = out[0];
	return pid;
fail:
	for (int k = 0; k < 2; k++) {
		if (in[k] >= 0)
			close(in[k]);
		if (out[k] >= 0)
			close(out[k]);
	}
	return -1;
}

/* Collect what the child wrote, await it; 0 when it exited 0. */
static int
finish(pid_t pid, int fd, char *out, size_t cap)
{
	uint64_t end = cluster_now_ms() + NETNS_CMD_MS;
	size_t len = 0;
	int status;
	char sink[256];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint64_t now = cluster_now_ms();
		ssize_t r;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		if (out != NULL && len + 1 < cap)
			r = read(fd, out + len, cap - 1 - len);
		else
			r = read(fd, sink, sizeof(sink));
		if (r <= 0)
			break;
		if (out != NULL && len + 1 < cap)
			len += (size_t)r;
	}
	if (out != NULL && cap > 0) {
		out[len] = '\0';
		while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
			out[--len] = '\0';
	}
	close(fd);
	status = wait_child(pid, NETNS_CMD_MS);
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
	    0 : -1;
}

static int
run(const char *ns, char *const argv[], const char *input, char *out,
    size_t cap)
{
	int fd;
	pid_t pid = spawn(ns, argv, input, &fd);

	if (pid == -1) {
		if (out != NULL && cap > 0)
			snprintf(out, cap, "fork: %s", strerror(errno));
		return -1;
	}
	return finish(pid, fd, out, cap);
}

/* `ip ARGS...` in the root namespace; up to 12 words. */
static int
ipc(struct netns_lab *l, char *out, size_t cap, const char *a0, ...)
{
	char *argv[16];
	const char *w;
	va_list ap;
	size_t k = 0;

	argv[k++] = l->ip;
	va_start(ap, a0);
	for (w = a0; w != NULL && k < 15; w = va_arg(ap, const char *))
		argv[k++] = (char *)(uintptr_t)w;
	va_end(ap);
	argv[k] = NULL;
	return run(NULL, argv, NULL, out, cap);
}

/*
 * Is pid a live program (the partition test or bench that goes with the
 * tag, possibly under valgrind or another wrapper)? Only then are its
 * namespaces not leftovers. A dead pid, or one reused by something else,
 * owns nothing any more.
 */
static bool
pid_is_live_owner(long pid, const char *program)
{
	char path[64], argv[4096];
	size_t len = 0;
	FILE *f;

	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if ((f = fopen(path, "r")) == NULL)
		return true;            /* cannot tell: leave it alone */
	len = fread(argv, 1, sizeof(argv) - 1, f);
	fclose(f);
	for (size_t k = 0; k < len; k++)
		if (argv[k] == '\0')
			argv[k] = ' ';
	argv[len] = '\0';
	return strstr(argv, program) != NULL;
}

/* "kevy-<pid>-..." -> pid, or -1 when the name is not ours. */
static long
owner_of(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);
	long pid = 0;
	const char *p;

	if (strncmp(name, prefix, pl) != 0 || name[pl] < '0' || name[pl] > '9')
		return -1;
	for (p = name + pl; *p >= '0' && *p <= '9'; p++) {
		pid = pid * 10 + (*p - '0');
		if (pid > 4194304)       /* above any pid_max */
			return -1;
	}
	return *p == '-' || *p == '.' ? pid : -1;
}

static void
kill_ns_pids(const char *ip, const char *ns)
{
	char *argv[] = { (char *)(uintptr_t)ip, "netns", "pids",
	    (char *)(uintptr_t)ns, NULL };
	char out[NETNS_OUT_MAX], *save = NULL;

	if (run(NULL, argv, NULL, out, sizeof(out)) != 0)
		return;
	for (char *w = strtok_r(out, " \n", &save); w != NULL;
	    w = strtok_r(NULL, " \n", &save)) {
		long pid = strtol(w, NULL, 10);

		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
	}
}

/* Sweep what dead owners of tag left: namespaces and directories. */
static void
sweep_tag(const char *ip, const char *tag, const char *program)
{
	char ns_prefix[NETNS_TAG_MAX + 2], dir_prefix[NETNS_TAG_MAX + 8];
	DIR *d;
	struct dirent *e;

	snprintf(ns_prefix, sizeof(ns_prefix), "%s-", tag);
	snprintf(dir_prefix, sizeof(dir_prefix), "%s-netns-", tag);
	if ((d = opendir(NETNS_RUN_DIR)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			long pid = owner_of(e->d_name, ns_prefix);
			char *argv[] = { (char *)(uintptr_t)ip, "netns", "del",
			    e->d_name, NULL };

			if (pid < 0 || pid == (long)getpid() ||
			    pid_is_live_owner(pid, program))
				continue;
			fprintf(stderr, "netns: removing leftover namespace %s\n",
			    e->d_name);
			kill_ns_pids(ip, e->d_name);
			(void)run(NULL, argv, NULL, NULL, 0);
		}
		closedir(d);
	}
	if ((d = opendir("/tmp")) != NULL) {
		while ((e = readdir(d)) != NULL) {
			long pid = owner_of(e->d_name, dir_prefix);
			char path[NETNS_PATH_MAX];
			char *argv[] = { "/bin/rm", "-rf", path, NULL };

			if (pid < 0 || pid == (long)getpid() ||
			    pid_is_live_owner(pid, program))
				continue;
			snprintf(path, sizeof(path), "/tmp/%s", e->d_name);
			(void)run(NULL, argv, NULL, NULL, 0);
		}
		closedir(d);
	}
}

void
netns_trap_signals(void (*on_signal)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void
netns_sweep_leftovers(void)
{
	char ip[PATH_MAX];

	if (geteuid() != 0 || !find_exe("ip", ip, sizeof(ip)))
		return;
	for (size_t k = 0; k < sizeof(owners) / sizeof(owners[0]); k++)
		sweep_tag(ip, owners[k].tag, owners[k].program);
}

static int
lab_build(struct netns_lab *l, char *why, size_t cap)
{
	char out[NETNS_OUT_MAX], path[NETNS_PATH_MAX];

	if (ipc(l, out, sizeof(out), "netns", "add", l->br_ns, NULL) != 0) {
		snprintf(why, cap, "`ip netns add` failed: %s", out);
		return -1;
	}
	l->br_made = true;
	if (ipc(l, out, sizeof(out), "-n", l->br_ns, "link", "add", "br0",
	    "type", "bridge", NULL) != 0 ||
	    ipc(l, out, sizeof(out), "-n", l->br_ns, "link", "set", "br0",
	    "up", NULL) != 0) {
		snprintf(why, cap, "no bridge in a namespace: %s", out);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct netns_node *nd = &l->nodes[i];
		char veth[16], cidr[40];

		snprintf(veth, sizeof(veth), "v%zu", i + 1);
		snprintf(cidr, sizeof(cidr), "%s/24", nd->addr);
		if (ipc(l, out, sizeof(out), "netns", "add", nd->ns, NULL) != 0) {
			snprintf(why, cap, "`ip netns add %s` failed: %s",
			    nd->ns, out);
			return -1;
		}
		nd->ns_made = true;
		if (ipc(l, out, sizeof(out), "-n", nd->ns, "link", "add",
		    "eth0", "type", "veth", "peer", "name", veth, "netns",
		    l->br_ns, NULL) != 0 ||
		    ipc(l, out, sizeof(out), "-n", l->br_ns, "link", "set",
		    veth, "master", "br0", "up", NULL) != 0 ||
		    ipc(l, out, sizeof(out), "-n", nd->ns, "addr", "add", cidr,
		    "dev", "eth0", NULL) != 0 ||
		    ipc(l, out, sizeof(out), "-n", nd->ns, "link", "set", "eth0",
		    "up", NULL) != 0 ||
		    ipc(l, out, sizeof(out), "-n", nd->ns, "link", "set", "lo",
		    "up", NULL) != 0) {
			snprintf(why, cap, "veth/address for %s failed: %s",
			    nd->ns, out);
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, nd->ns);
		if ((nd->nsfd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(why, cap, "open %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

struct netns_lab *
netns_lab_new(size_t n, char *why, size_t cap)
{
	return netns_lab_new_tagged(NETNS_TAG_TEST, n, why, cap);
}

struct netns_lab *
netns_lab_new_tagged(const char *tag, size_t n, char *why, size_t cap)
{
	struct netns_lab *l;
	enum netns_drop pass[NETNS_NODES_MAX * NETNS_NODES_MAX] = { 0 };

	if (cap > 0)
		why[0] = '\0';
	if (geteuid() != 0) {
		snprintf(why, cap, "not root (network namespaces need "
		    "CAP_SYS_ADMIN)");
		return NULL;
	}
	if (n < 1 || n > NETNS_NODES_MAX || (l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(why, cap, "bad node count or out of memory");
		return NULL;
	}
	l->n = n;
	snprintf(l->tag, sizeof(l->tag), "%s", tag);
	for (size_t i = 0; i < n; i++)
		l->nodes[i].nsfd = -1;
	if (!find_exe("ip", l->ip, sizeof(l->ip)) ||
	    !find_exe("nft", l->nft, sizeof(l->nft))) {
		snprintf(why, cap, "`%s` not found (iproute2 and nftables: "
		    "mk/deps.sh installs them as root)",
		    l->ip[0] == '\0' ? "ip" : "nft");
		free(l);
		return NULL;
	}
	cluster_build_binary("KEVY_ELECTD_BIN", "kevy-electd", l->bin,
	    sizeof(l->bin));
	snprintf(l->prefix, sizeof(l->prefix), "%s-%ld", l->tag,
	    (long)getpid());
	l->run = (unsigned)(getpid() % 250) + 1;
	snprintf(l->br_ns, sizeof(l->br_ns), "%s-br", l->prefix);
	for (size_t i = 0; i < n; i++) {
		struct netns_node *nd = &l->nodes[i];

		snprintf(nd->id, sizeof(nd->id), "n%zu", i + 1);
		snprintf(nd->ns, sizeof(nd->ns), "%s-%s", l->prefix, nd->id);
		snprintf(nd->addr, sizeof(nd->addr), "10.77.%u.%zu", l->run,
		    i + 1);
		nd->notify_fd = -1;
	}
	if (lab_build(l, why, cap) == -1 ||
	    netns_filter_apply(l, pass) == -1) {
		if (why[0] == '\0')
			snprintf(why, cap, "nftables unusable in a namespace");
		netns_lab_free(l);
		return NULL;
	}
	return l;
}

static void
remove_dir(struct netns_lab *l)
{
	char *argv[] = { "/bin/rm", "-rf", l->dir, NULL };

	if (l->dir[0] != '\0')
		(void)run(NULL, argv, NULL, NULL, 0);
	l->dir[0] = '\0';
}

void
netns_lab_free(struct netns_lab *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		netns_node_kill(l, i);
		if (l->nodes[i].notify_fd >= 0)
			close(l->nodes[i].notify_fd);
		l->nodes[i].notify_fd = -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->nodes[i].nsfd >= 0)
			close(l->nodes[i].nsfd);
		l->nodes[i].nsfd = -1;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->nodes[i].ns_made) {
			kill_ns_pids(l->ip, l->nodes[i].ns);
			(void)ipc(l, NULL, 0, "netns", "del", l->nodes[i].ns,
			    NULL);
		}
	/* Deleting the bridge's namespace deletes the bridge and veths. */
	if (l->br_made)
		(void)ipc(l, NULL, 0, "netns", "del", l->br_ns, NULL);
	remove_dir(l);
	free(l);
}

size_t netns_lab_size(const struct netns_lab *l) { return l->n; }
const char *netns_node_id(const struct netns_lab *l, size_t i) { return l->nodes[i].id; }
const char *netns_node_ns(const struct netns_lab *l, size_t i) { return l->nodes[i].ns; }
const char *netns_node_addr(const struct netns_lab *l, size_t i) { return l->nodes[i].addr; }
int netns_node_nsfd(const struct netns_lab *l, size_t i) { return l->nodes[i].nsfd; }
const char *netns_lab_dir(const struct netns_lab *l) { return l->dir; }
const char *netns_node_socket(const struct netns_lab *l, size_t i) { return l->nodes[i].sock; }
pid_t netns_node_pid(const struct netns_lab *l, size_t i) { return l->nodes[i].pid; }
bool netns_node_is_up(const struct netns_lab *l, size_t i) { return l->nodes[i].pid > 0; }
bool netns_node_is_stopped(const struct netns_lab *l, size_t i) { return l->nodes[i].stopped; }

static int
write_config(struct netns_lab *l, size_t i)
{
	const struct netns_node *nd = &l->nodes[i];
	const struct netns_timing *t = &l->t;
	FILE *f = fopen(nd->conf, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "node_id = \"%s\";\nmembers = (\n", nd->id);
	for (size_t j = 0; j < l->n; j++)
		fprintf(f, "  { id = \"%s\"; election = \"%s:%u\"; "
		    "client = \"%s:%u\"; }%s\n", l->nodes[j].id,
		    l->nodes[j].addr, NETNS_ELECTION_PORT, l->nodes[j].addr,
		    NETNS_CLIENT_PORT, j + 1 < l->n ? "," : "");
	fprintf(f, ");\nstate_dir = \"%s/%s.state\";\n"
	    "control = { path = \"%s\"; mode = \"0600\"; };\n"
	    "hb_interval_ms = %llu;\ndown_after_ms = %llu;\n"
	    "log_level = \"info\";\n%s", l->dir, nd->id, nd->sock,
	    (unsigned long long)t->hb_ms, (unsigned long long)t->down_after_ms,
	    nd->extra);
	/* 0: left unset, for the daemon to derive (or default). */
	if (t->election_timeout_ms != 0)
		fprintf(f, "election_timeout_ms = %llu;\n",
		    (unsigned long long)t->election_timeout_ms);
	if (t->backoff_ms != 0)
		fprintf(f, "election_backoff_ms = %llu;\n",
		    (unsigned long long)t->backoff_ms);
	if (t->jitter_ms != 0)
		fprintf(f, "election_backoff_jitter_ms = %llu;\n",
		    (unsigned long long)t->jitter_ms);
	if (t->lease_ms != 0)
		fprintf(f, "lease_ms = %llu;\n",
		    (unsigned long long)t->lease_ms);
	return fclose(f) == 0 ? 0 : -1;
}

int
netns_node_extra_conf(struct netns_lab *l, size_t i, const char *conf)
{
	struct netns_node *nd = &l->nodes[i];

	if (conf != NULL && strlen(conf) >= sizeof(nd->extra))
		return -1;
	snprintf(nd->extra, sizeof(nd->extra), "%s", conf != NULL ? conf : "");
	return 0;
}

int
netns_lab_reset(struct netns_lab *l, const struct netns_timing *t)
{
	enum netns_drop pass[NETNS_NODES_MAX * NETNS_NODES_MAX] = { 0 };

	for (size_t i = 0; i < l->n; i++) {
		netns_node_kill(l, i);
		if (l->nodes[i].notify_fd >= 0)
			close(l->nodes[i].notify_fd);
		l->nodes[i].notify_fd = -1;
	}
	remove_dir(l);
	if (netns_filter_apply(l, pass) == -1)
		return -1;
	l->t = *t;
	snprintf(l->dir, sizeof(l->dir), NETNS_TMP_FMT, l->tag, (long)getpid());
	if (mkdtemp(l->dir) == NULL) {
		l->dir[0] = '\0';
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct netns_node *nd = &l->nodes[i];
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(nd->conf, sizeof(nd->conf), "%s/%s.conf", l->dir, nd->id);
		snprintf(nd->sock, sizeof(nd->sock), "%s/%s.sock", l->dir, nd->id);
		snprintf(nd->notify, sizeof(nd->notify), "%s/%s.notify", l->dir,
		    nd->id);
		snprintf(nd->log, sizeof(nd->log), "%s/%s.log", l->dir, nd->id);
		if (write_config(l, i) == -1)
			return -1;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", nd->notify);
		nd->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (nd->notify_fd == -1 ||
		    bind(nd->notify_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			return -1;
	}
	return 0;
}

/* READY=1 from node nd, or its death. */
static int
await_ready(struct netns_node *nd)
{
	return cluster_await_datagram(nd->notify_fd, &nd->pid, "READY=1",
	    NETNS_START_MS);
}

int
netns_node_start(struct netns_lab *l, size_t i)
{
	struct netns_node *nd = &l->nodes[i];
	char *envp[NETNS_ENV_MAX + 2], notify[NETNS_PATH_MAX + 16];
	char *argv[] = { l->ip, "netns", "exec", nd->ns, l->bin, "-f", "-c",
	    nd->conf, NULL };
	size_t k = 0;
	int logfd;

	if (nd->pid > 0 || nd->notify_fd < 0)
		return -1;
	snprintf(notify, sizeof(notify), "NOTIFY_SOCKET=%s", nd->notify);
	for (char **e = environ; *e != NULL && k < NETNS_ENV_MAX; e++)
		if (strncmp(*e, "NOTIFY_SOCKET=", 14) != 0)
			envp[k++] = *e;
	envp[k++] = notify;
	envp[k] = NULL;
	logfd = open(nd->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if ((nd->pid = fork()) == -1) {
		nd->pid = 0;
		if (logfd >= 0)
			close(logfd);
		return -1;
	}
	if (nd->pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		/* The daemon dies with the harness, even if it crashes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		if (logfd >= 0) {
			dup2(logfd, STDOUT_FILENO);
			dup2(logfd, STDERR_FILENO);
		}
		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (logfd >= 0)
		close(logfd);
	nd->stopped = false;
	if (await_ready(nd) == -1) {
		netns_node_kill(l, i);
		return -1;
	}
	return 0;
}

void
netns_node_kill(struct netns_lab *l, size_t i)
{
	struct netns_node *nd = &l->nodes[i];

	if (nd->pid > 0) {
		kill(nd->pid, SIGKILL);
		(void)wait_child(nd->pid, NETNS_CMD_MS);
	}
	nd->pid = 0;
	nd->stopped = false;
}

int
netns_node_stop(struct netns_lab *l, size_t i)
{
	struct netns_node *nd = &l->nodes[i];

	if (nd->pid <= 0 || nd->stopped || kill(nd->pid, SIGSTOP) == -1)
		return -1;
	nd->stopped = true;
	return 0;
}

int
netns_node_cont(struct netns_lab *l, size_t i)
{
	struct netns_node *nd = &l->nodes[i];

	if (nd->pid <= 0 || !nd->stopped || kill(nd->pid, SIGCONT) == -1)
		return -1;
	nd->stopped = false;
	return 0;
}

/* The whole input chain of node y, replacing the previous one at once. */
static void
filter_script(const struct netns_lab *l, size_t y, const enum netns_drop *row,
    char *s, size_t cap)
{
	size_t len;

	len = (size_t)snprintf(s, cap, "table inet kevy\n"
	    "delete table inet kevy\n"
	    "table inet kevy {\n chain input {\n"
	    "  type filter hook input priority 0; policy accept;\n");
	for (size_t x = 0; x < l->n && len < cap; x++) {
		if (x == y || row[x] == NETNS_PASS)
			continue;
		/*
		 * Frames travel only on the sender's own connection to the
		 * receiver's election port: dropping those (and nothing else)
		 * is "y does not hear x" while x still hears y, ACKs included.
		 */
		if (row[x] == NETNS_DROP_ALL)
			len += (size_t)snprintf(s + len, cap - len,
			    "  ip saddr %s drop\n", l->nodes[x].addr);
		else
			len += (size_t)snprintf(s + len, cap - len,
			    "  ip saddr %s tcp dport %u drop\n",
			    l->nodes[x].addr, NETNS_ELECTION_PORT);
	}
	if (len < cap)
		snprintf(s + len, cap - len, " }\n}\n");
}

int
netns_filter_apply(struct netns_lab *l, const enum netns_drop *drop)
{
	pid_t pids[NETNS_NODES_MAX];
	int fds[NETNS_NODES_MAX];
	char script[NETNS_SCRIPT_MAX];
	char *argv[] = { l->nft, "-f", "-", NULL };
	int rc = 0;

	/* All changed namespaces at once: a partition is one instant. */
	for (size_t y = 0; y < l->n; y++) {
		struct netns_node *nd = &l->nodes[y];
		const enum netns_drop *row = drop + y * l->n;

		pids[y] = 0;
		if (nd->row_known &&
		    memcmp(nd->row, row, l->n * sizeof(*row)) == 0)
			continue;
		filter_script(l, y, row, script, sizeof(script));
		if ((pids[y] = spawn(nd->ns, argv, script, &fds[y])) == -1) {
			pids[y] = 0;
			rc = -1;
		}
	}
	for (size_t y = 0; y < l->n; y++) {
		struct netns_node *nd = &l->nodes[y];
		char out[NETNS_OUT_MAX];

		if (pids[y] == 0)
			continue;
		if (finish(pids[y], fds[y], out, sizeof(out)) != 0) {
			fprintf(stderr, "netns: nft in %s failed: %s\n", nd->ns,
			    out);
			nd->row_known = false;
			rc = -1;
			continue;
		}
		memcpy(nd->row, drop + y * l->n, l->n * sizeof(*drop));
		nd->row_known = true;
	}
	return rc;
}

int
netns_watch_open(const struct netns_lab *l, size_t i)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", l->nodes[i].sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    write(fd, "WATCH\n", 6) != 6) {
		close(fd);
		return -1;
	}
	return fd;
}

int
netns_request(const struct netns_lab *l, size_t i, const char *line,
    char *reply, size_t cap)
{
	return cluster_request_at(l->nodes[i].sock, line, reply, cap);
}
