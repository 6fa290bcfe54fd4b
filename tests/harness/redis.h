/*
 * redis: real redis-server (and redis-sentinel) processes for the server
 * adapter's tests, the demo and the benchmarks, in a directory of the
 * caller's own (no persistence), and a small blocking RESP client to ask
 * them things. Replies are parsed with lib/resp, the daemon's own parser.
 * A server is reached at an IPv4 address and port from the caller's
 * network namespace or from another one (the partition bench's), so one
 * client serves loopback and namespaces alike. Waits are bounded polls of
 * the server's own answers.
 */
#ifndef REDIS_H
#define REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "resp.h"

#define REDIS_START_MS  10000   /* bound on a server answering PING */
#define REDIS_REPLY_MAX 16384   /* bytes of one reply kept by redis_cmd */
#define REDIS_HOST_MAX  16      /* bytes of a dotted IPv4 address, NUL too */

/*
 * Where a server or a sentinel listens, and from where it is reached:
 * nsfd is an open network namespace (/run/netns/NAME) the connection is
 * made in, -1 the caller's own.
 */
struct redis_addr {
	char		 host[REDIS_HOST_MAX];
	uint16_t	 port;
	int		 nsfd;
};

/* One reply: its bytes and the parse pointing into them (big: 128 KiB). */
struct redis_reply {
	uint8_t		 buf[RESP_REPLY_MAX];
	struct resp_reply r;
};

/* Is redis-server installed? (Tests skip, loudly, when it is not.) */
bool redis_available(void);
/* 127.0.0.1:port from here. */
struct redis_addr redis_loopback(uint16_t port);

/*
 * Start redis-server on 127.0.0.1:port in dir; its pid, or -1. Full
 * syncs start at once (repl-diskless-sync-delay 0: Redis 7 waits 5 s by
 * default for more replicas to share one).
 */
pid_t redis_start(uint16_t port, const char *dir);
/* The same with more arguments (NULL-terminated), e.g. --requirepass x. */
pid_t redis_start_with(uint16_t port, const char *dir,
    const char *const *extra);
/* The same at a (bound to a->host, run in a->nsfd's namespace). */
pid_t redis_start_at(const struct redis_addr *a, const char *dir,
    const char *const *extra);
/*
 * Run argv (argv[0] found in PATH) in namespace nsfd (-1: here), its
 * output appended to log; await it answering PING at a (PONG, or NOAUTH
 * from a server with a password) within REDIS_START_MS. Its pid, or -1
 * (it died, or never answered: then it is killed).
 */
pid_t redis_spawn(int nsfd, const char *const *argv, const char *log,
    const struct redis_addr *a);
/* SIGKILL and reap (pid <= 0: nothing). */
void redis_kill(pid_t);

/* A connection to a within timeout_ms: its descriptor, or -1. */
int redis_dial(const struct redis_addr *a, uint64_t timeout_ms);
/*
 * One command (argv, NULL-terminated) on connection fd: 0 with the reply
 * parsed into out, or -1 (not sent, closed, not RESP, or no whole reply
 * within timeout_ms: the connection is then unusable).
 */
int redis_call(int fd, const char *const *argv, struct redis_reply *out,
    uint64_t timeout_ms);
/* The same on a fresh connection to a, closed after; timeout_ms bounds
 * the connect and the reply each. */
int redis_ask(const struct redis_addr *a, const char *const *argv,
    struct redis_reply *out, uint64_t timeout_ms);

/*
 * One command on a fresh connection to 127.0.0.1:port; the reply's text
 * into out ("+OK" as "OK", "-ERR x" as "-ERR x", a bulk as its bytes, an
 * integer as digits). 0, or -1 if no reply came in timeout_ms.
 */
int redis_cmd(uint16_t port, char *out, size_t cap, uint64_t timeout_ms,
    const char *const *argv);
/*
 * Send one command and leave its connection open, the reply unread (a
 * command that blocks, or waits out a CLIENT PAUSE, still runs): the
 * descriptor to close, or -1.
 */
int redis_send(uint16_t port, const char *const *argv);
/* The value of field in the server's INFO replication ("" if absent). */
void redis_info(uint16_t port, const char *field, char *out, size_t cap);

/* A port in a bulk, simple string or integer element; 0 if none. */
uint16_t redis_elem_port(const struct resp_elem *e);
/* The value of key in the flat key/value array a of r, or NULL. */
const struct resp_elem *redis_kv(const struct resp_reply *r,
    const struct resp_elem *a, const char *key);
/*
 * servers[m] is a master with the n - 1 others attached, and each of them
 * replicates from it (master_host and master_port are servers[m]'s) with
 * the link up. scratch holds the INFO replies.
 */
bool redis_follow(const struct redis_addr *servers, size_t n, size_t m,
    struct redis_reply *scratch);

#endif
