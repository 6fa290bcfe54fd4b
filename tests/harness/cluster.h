/*
 * cluster: real kevy-electd processes on loopback for the integration
 * tests and the demo. Each node gets a config in a temporary directory,
 * ephemeral ports and its own control socket; the harness starts it,
 * awaits READY=1 on a notify socket of its own (no sleeps), and keeps a
 * WATCH connection to every node, so it always knows each node's latest
 * STATUS line and checks, after every line, that no two running nodes are
 * unfenced primaries at once.
 */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CLUSTER_NODES_MAX   64     /* daemons in one cluster (bench/idle: 64) */
#define CLUSTER_ID_MAX      32     /* bytes in a node id */
#define CLUSTER_LINE_MAX    16384  /* bytes in one STATUS line */
#define CLUSTER_START_MS    10000  /* bound on a daemon becoming ready */
#define CLUSTER_PORTS_RECENT 256   /* ports cluster_free_port never repeats */
#define CLUSTER_PORT_TRIES  64     /* kernel draws before it gives up */

struct cluster_opts {
	size_t n;
	uint64_t hb_interval_ms;     /* 0: fast timings, 50/500/300/100/400 */
	uint64_t down_after_ms;
	uint64_t election_timeout_ms;
	uint64_t backoff_ms;
	uint64_t backoff_jitter_ms;
	bool never_stand[CLUSTER_NODES_MAX];
	/* Node i's members.[].priority; 0: not written (the default, 1). */
	unsigned priority[CLUSTER_NODES_MAX];
	const char *log_level;       /* NULL: "info" */
	/* More config lines for node i (e.g. "http_listen = ...;"), or NULL;
	 * "%u" in them is replaced by the node number (1..n). */
	const char *extra_conf[CLUSTER_NODES_MAX];
	/* More keys inside every node's control group (e.g.
	 * "write_uids = [1000];"), or NULL. */
	const char *control_extra;
	const char *env[4];          /* "NAME=value" for every daemon, or NULL */
	/* Node i's client port in members (its server's); 0: 20000 + i. */
	uint16_t client_port[CLUSTER_NODES_MAX];
	/* RLIMIT_NOFILE (soft and hard) for node i; 0: inherited. */
	uint64_t nofile[CLUSTER_NODES_MAX];
};

/* What the latest STATUS line of a node said. */
struct cluster_view {
	bool seen;
	char role[16];
	uint64_t epoch;
	char primary[CLUSTER_ID_MAX + 1];   /* "none" when none */
	bool quorum;
	bool fenced;
	uint64_t offset;
	char down[CLUSTER_LINE_MAX / 8];    /* "none" or comma-separated */
	uint64_t at_us;                     /* when it arrived (monotonic) */
};

struct cluster;

struct cluster *cluster_new(const struct cluster_opts *);
/*
 * Kill every daemon still running, remove the directory. With
 * KEVY_LOGFMT_CHECK set (and not "0"; runner_main sets it), every line of
 * every node's log must be of the documented format (logfmt.h): if one
 * is not, it is printed, the directory kept, and the process exits 1.
 */
void cluster_free(struct cluster *);

const char *cluster_dir(const struct cluster *);
const char *cluster_id(const struct cluster *, size_t i);
const char *cluster_config_path(const struct cluster *, size_t i);
const char *cluster_socket_path(const struct cluster *, size_t i);
pid_t cluster_pid(const struct cluster *, size_t i);
/* Node i's election port on 127.0.0.1. */
uint16_t cluster_election_port(const struct cluster *, size_t i);

/* Start node i, await READY=1, open its WATCH stream. 0 or -1. */
int cluster_start(struct cluster *, size_t i);
/* SIGKILL and reap node i. */
void cluster_kill(struct cluster *, size_t i);
/* Send sig to node i; 0 or -1. */
int cluster_signal(struct cluster *, size_t i, int sig);
/* Await node i's exit; its wait status, or -1 on timeout. */
int cluster_wait_exit(struct cluster *, size_t i, uint64_t timeout_ms);
/* The next notify datagram of node i into buf; its length or -1. */
int cluster_notify_next(struct cluster *, size_t i, char *buf, size_t cap,
    uint64_t timeout_ms);
/* Await a notify datagram containing what (e.g. "READY=1"); 0 or -1. */
int cluster_await_notify(struct cluster *, size_t i, const char *what);
const char *cluster_log_path(const struct cluster *, size_t i);
/* SIGSTOP / SIGCONT node i (a stopped node is left out of the checks). */
void cluster_stop(struct cluster *, size_t i);
void cluster_cont(struct cluster *, size_t i);
bool cluster_running(const struct cluster *, size_t i);

/* One request line to node i on a fresh connection; reply without "\n". */
int cluster_request(struct cluster *, size_t i, const char *line,
    char *reply, size_t cap);
/* The same to the control socket at path sock. */
int cluster_request_at(const char *sock, const char *line, char *reply,
    size_t cap);

/*
 * Read WATCH lines from every running node until pred() holds or
 * timeout_ms passes. Returns true if pred held. pred sees the views.
 */
typedef bool cluster_pred_fn(struct cluster *, void *arg);
bool cluster_wait(struct cluster *, cluster_pred_fn *, void *arg,
    uint64_t timeout_ms);
const struct cluster_view *cluster_view(const struct cluster *, size_t i);

/* Called with each WATCH line as it arrives (the demo prints them). */
typedef void cluster_line_fn(struct cluster *, size_t i, const char *line,
    void *arg);
void cluster_on_line(struct cluster *, cluster_line_fn *, void *arg);

/*
 * Every running node names the same primary, other than *(int *)arg (the
 * one just killed), whether or not it is writable yet: "agreement".
 */
bool cluster_agreed_other(struct cluster *, void *arg);

/* A datagram containing what on fd, or the death of *pid (then 0). */
int cluster_await_datagram(int fd, pid_t *pid, const char *what,
    uint64_t timeout_ms);

/* A free TCP port on 127.0.0.1 (bound then released), 0 on failure. */
uint16_t cluster_free_port(void);
/* The value of key in a "k=v k=v" line into out ("" when absent). */
void cluster_field(const char *line, const char *key, char *out, size_t cap);

/* Running nodes all agree on one primary that says primary, unfenced. */
bool cluster_agreed(struct cluster *, void *arg);
/* Agreement, and no running node counts any peer down. */
bool cluster_settled(struct cluster *, void *arg);

/* What a settled cluster looked like: its primary and epoch. */
struct cluster_steady {
	int primary;
	uint64_t epoch;
};
/*
 * arg is a struct cluster_steady: does any running node show another
 * epoch or primary, or count a peer down?
 */
bool cluster_disturbed(struct cluster *, void *arg);

/* The agreed primary's index, or -1. */
int cluster_primary(struct cluster *);

/* Safety: max unfenced primaries seen at once, over the whole run. */
unsigned cluster_max_unfenced(const struct cluster *);
uint64_t cluster_now_us(void);
/* The same in milliseconds. */
uint64_t cluster_now_ms(void);

/*
 * A program of the build beside the test binary (build/tests/x ->
 * build/<name>), or the path in environment variable env when set.
 */
/*
 * Play the local servers of nodes 0..2 but skip (-1: none): ALIVE to
 * each running one every 100 ms, until pred holds or timeout_ms passes.
 */
bool cluster_serve_until(struct cluster *, int skip, cluster_pred_fn *,
    void *arg, uint64_t timeout_ms);

void cluster_build_binary(const char *env, const char *name, char *out,
    size_t cap);

#endif
