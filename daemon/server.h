/*
 * server: the adapter that drives the local kevy / Redis / Valkey server
 * (the optional `server` group of the config). It keeps one non-blocking
 * RESP connection to it, polls `INFO replication` every server.poll_ms
 * for the offset the node stands with (and as proof the server lives),
 * and makes the server follow the election: a writable master only while
 * this node is an unfenced primary, a replica of the elected primary
 * otherwise, and fenced in the server itself (CLIENT PAUSE WRITE where it
 * exists, min-replicas-to-write always) the moment the node loses its
 * lease or its role. It never blocks the loop: connect, AUTH and every
 * command have a deadline (server.timeout_ms); a server that misses one
 * is down and is redialled with a capped backoff.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct change;
struct config;
struct event_base;
struct server;
struct status;

#define SERVER_PENDING_MAX     32     /* commands in flight on the connection */
#define SERVER_OUT_MAX         16384  /* bytes queued to the server: then down */
#define SERVER_READ_MAX        (128 * 1024) /* bytes of replies buffered */
#define SERVER_BACKOFF_MIN_MS  50     /* first redial delay */
#define SERVER_BACKOFF_MAX_MS  2000   /* redial delay cap */
/*
 * A CLIENT PAUSE WRITE lasts one lease and is renewed every lease / this:
 * a frozen or dead daemon's pause runs out by itself within a lease
 * (min-replicas-to-write still refuses writes on a cut-off master).
 */
#define SERVER_PAUSE_RENEWS    2
/*
 * min-replicas-max-lag, in seconds, at least: Redis counts a replica's
 * lag in whole seconds from its once-a-second REPLCONF ACK, so 1 would
 * refuse writes on a healthy master now and then. The lease (rounded up)
 * when it is longer. CLIENT PAUSE is the fast fence; this one holds even
 * with the daemon frozen or dead.
 */
#define SERVER_MINLAG_MIN_S    2
/*
 * A newly elected primary's server is promoted only once the node is
 * unfenced: at once when it won without a hold (its ANNOUNCE says so:
 * the quiet rule), else lease + one heartbeat after it won. A replica
 * pointed at it before then is refused (NOMASTERLINK) and Redis retries
 * only once a second, so a replica waits this many heartbeats (plus the
 * hold, unless the ANNOUNCE said none) after it learned a new primary
 * before pointing its server.
 */
#define SERVER_POINT_MARGIN_HB 1
#define SERVER_RELINK_HB       2      /* a replica's link down this many
                                         heartbeats: point it again */
/*
 * ... but at the master it already has only this long after the last
 * REPLICAOF at it, doubling up to the cap while the link stays down (back
 * to the start once it is up or the master changes). Redis answers such
 * a REPLICAOF "Already connected" and changes nothing, its replication
 * cron redials every second by itself: sooner, it is only noise; kevy
 * may take it as a nudge.
 */
#define SERVER_REPOINT_BACKOFF_MIN_MS 1000
#define SERVER_REPOINT_BACKOFF_MAX_MS 16000

/* Where the server adapter stands, for STATUS and the log. */
enum server_state {
	SERVER_DOWN = 1,       /* no connection: redialling */
	SERVER_CONNECTING,     /* connect or AUTH or probe in flight */
	SERVER_UP,             /* polled and answering */
	SERVER_AUTH_FAILED,    /* AUTH refused: redialled slowly */
	SERVER_LOADING,        /* answers LOADING / BUSY: not ready */
};

/* Its ways into the core. */
struct server_ops {
	/* A fresh offset from INFO: also proof that the server lives. */
	void (*offset)(void *ctx, uint64_t offset);
	/* The current snapshot: role, fencing, primary. */
	const struct status *(*status)(void *ctx);
};

struct server_config {
	struct event_base *base;
	const struct config *cfg;    /* server group, members; outlives it */
	uint64_t hb_interval_ms;
	uint64_t lease_ms;
};

/* Counters for /metrics. */
struct server_stats {
	uint64_t connects;           /* connections that reached UP */
	uint64_t promotions;         /* REPLICAOF NO ONE sent */
	uint64_t repoints;           /* REPLICAOF host port sent */
	uint64_t fences;             /* CLIENT PAUSE WRITE sent */
	uint64_t command_failures;   /* error replies and timeouts */
	uint64_t polls;              /* INFO replication answered */
};

/* What STATUS shows of the server. */
struct server_view {
	const char *state;           /* up, down, connecting, auth-failed, ... */
	const char *role;            /* master, replica, unknown */
	char master[64];             /* host:port it replicates from, or "" */
	uint64_t offset;             /* master_repl_offset of the last poll */
	const char *fencing;         /* pause+min-replicas, min-replicas, none */
};

struct server *server_new(const struct server_config *,
    const struct server_ops *, void *ctx);
void server_free(struct server *);
/* change_fn (ctx: the server): follow the election at once. */
void server_on_change(void *ctx, const struct change *);
void server_view(const struct server *, struct server_view *);
const struct server_stats *server_stats(const struct server *);
const char *server_state_name(enum server_state);

#endif
