/*
 * netns: a throw-away network lab for partition tests. Every node gets a
 * network namespace of its own ("<tag>-<pid>-n<i>", tag "kevy" for the
 * tests, NETNS_TAG_BENCH for the partition bench, NETNS_TAG_JITTER for
 * the jitter soak) with one veth into a bridge that lives in a namespace
 * of its own ("<tag>-<pid>-br"), and an address from 10.77.<run>.0/24 that
 * exists only inside those namespaces: nothing here touches the host's
 * network. Faults are nftables rules in each node's namespace (table
 * "inet kevy", replaced atomically). Daemons run as `ip netns exec NS
 * kevy-electd -f -c CONF`; their control and notify sockets are filesystem
 * paths, reachable from the root namespace.
 *
 * Must never: touch a namespace, process or file without the run's prefix
 * (leftovers of a crashed run are swept only when their owner is dead),
 * or leave anything behind on a normal exit.
 */
#ifndef NETNS_H
#define NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NETNS_NODES_MAX    9      /* daemons in one lab */
#define NETNS_NAME_MAX     48     /* bytes in a namespace name */
#define NETNS_PATH_MAX     256    /* bytes in a file path */
#define NETNS_START_MS     10000  /* bound on a daemon becoming ready */
#define NETNS_CMD_MS       10000  /* bound on one ip/nft command */
#define NETNS_ELECTION_PORT 7401  /* every node listens here, own address */
#define NETNS_CLIENT_PORT  6379   /* every member's client address: its server */
#define NETNS_EXTRA_MAX    512    /* bytes of a node's extra config lines */
/*
 * Names of the partition bench's labs (its namespaces and /tmp directory).
 * A lab's leftovers are swept only once its owner is dead, and an owner
 * is recognised by the program name that goes with its tag: a tag of its
 * own keeps the bench's live lab out of the way of a test's sweep, even a
 * test built from older code that knows only "kevy".
 */
#define NETNS_TAG_TEST     "kevy"
#define NETNS_TAG_BENCH    "kevybench"
#define NETNS_TAG_JITTER   "kevyjit"   /* bench/jitter, the jitter soak */

/* What node y drops from node x (the filter matrix). */
enum netns_drop {
	NETNS_PASS = 0,
	NETNS_DROP_ALL,       /* every packet from x: IP-level cut */
	NETNS_DROP_MSGS,      /* x's own connections to y: y does not hear x */
};

/* Milliseconds; 0 in any but hb_ms and down_after_ms: the key is left unset. */
struct netns_timing {
	uint64_t hb_ms, down_after_ms, election_timeout_ms, backoff_ms,
	    jitter_ms, lease_ms;
};

struct netns_lab;

/*
 * Namespaces, bridge, veths and addresses for n nodes; NULL with a reason
 * in why (e.g. not root, no `ip`, `ip netns add` refused) when the lab
 * cannot exist here: the caller skips.
 */
struct netns_lab *netns_lab_new(size_t n, char *why, size_t why_cap);
/* The same, named after tag (NETNS_TAG_TEST or NETNS_TAG_BENCH). */
struct netns_lab *netns_lab_new_tagged(const char *tag, size_t n, char *why,
    size_t why_cap);
/* Kill every daemon, delete every namespace of the run, free. */
void netns_lab_free(struct netns_lab *);
/* Remove namespaces, processes and directories of dead earlier runs. */
void netns_sweep_leftovers(void);
/*
 * SIGINT, SIGTERM and SIGHUP call on_signal (which should only set a
 * flag: the caller's loop then tears its lab down); SIGPIPE is ignored.
 */
void netns_trap_signals(void (*on_signal)(int));

size_t netns_lab_size(const struct netns_lab *);
const char *netns_node_id(const struct netns_lab *, size_t i);
const char *netns_node_ns(const struct netns_lab *, size_t i);
const char *netns_node_addr(const struct netns_lab *, size_t i);
/* An open descriptor of node i's namespace (for setns), owned by the lab. */
int netns_node_nsfd(const struct netns_lab *, size_t i);
/*
 * More config lines for node i's daemon (e.g. its server group), written
 * by the next netns_lab_reset; NULL: none. 0, or -1 if over
 * NETNS_EXTRA_MAX.
 */
int netns_node_extra_conf(struct netns_lab *, size_t i, const char *conf);

/*
 * A fresh cluster directory (configs, state dirs, sockets, logs) for the
 * same namespaces: every daemon must be down. 0 or -1.
 */
int netns_lab_reset(struct netns_lab *, const struct netns_timing *);
const char *netns_lab_dir(const struct netns_lab *);
const char *netns_node_socket(const struct netns_lab *, size_t i);

/* Start node i in its namespace, await READY=1. 0 or -1. */
int netns_node_start(struct netns_lab *, size_t i);
/* SIGKILL and reap node i (its state dir stays). */
void netns_node_kill(struct netns_lab *, size_t i);
/* SIGSTOP / SIGCONT node i; 0 or -1. */
int netns_node_stop(struct netns_lab *, size_t i);
int netns_node_cont(struct netns_lab *, size_t i);
bool netns_node_is_up(const struct netns_lab *, size_t i);
bool netns_node_is_stopped(const struct netns_lab *, size_t i);
pid_t netns_node_pid(const struct netns_lab *, size_t i);

/*
 * Install drop[y * n + x] for every node y (what y drops from x); only the
 * namespaces whose row changed are touched. 0 or -1.
 */
int netns_filter_apply(struct netns_lab *, const enum netns_drop *drop);
/* A WATCH connection to node i's control socket (CLOEXEC); fd or -1. */
int netns_watch_open(const struct netns_lab *, size_t i);
/* One request line to node i's control socket; its reply, without "\n". */
int netns_request(const struct netns_lab *, size_t i, const char *line,
    char *reply, size_t cap);

#endif
